"""The cyclic collector is paused while one file is scanned (a 900 KB pickle of nested tuples
spent 1.3 s, most of it in collections of containers reference counting frees anyway) and is
back, as it was, once the scan ends — also when the scan raised."""

from __future__ import annotations

import gc
import threading

import pytest

from mlbom import gcpause
from mlbom.formats import pickle as pickle_fmt
from mlbom.scanner import scan_bytes


def test_collector_paused_during_a_scan_and_back_after(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real = pickle_fmt.read_pickle

    def spy(*args: object, **kwargs: object) -> pickle_fmt.PickleReport:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pickle_fmt, "read_pickle", spy)  # the scanner imports it where it reads a pickle
    assert gc.isenabled()
    res = scan_bytes(b"\x80\x04N\x85\x85.", "x.pkl")
    assert res.verdict == "safe"
    assert seen and not any(seen)
    assert gc.isenabled()


def test_state_restored_after_an_exception_and_when_already_off() -> None:
    with pytest.raises(RuntimeError), gcpause.paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_nested_and_concurrent_pauses_resume_once() -> None:
    inside = threading.Event()
    release = threading.Event()

    def other() -> None:
        with gcpause.paused():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=other)
    with gcpause.paused():
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        t.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the other thread is still inside its pause
    release.set()
    t.join(10)
    assert gc.isenabled()
