"""Red team 117pk (after fix116pk and the side-by-side scan):

* 117pk-1 (bypass): joblib takes ``read_mmap`` when ``bool(allow_mmap)`` is true; mlbom's truth of a dict counted
  only its str keys, so ``allow_mmap: {1: 1}`` (or ``{None: 0}``) was false to mlbom, the mmap reading was never
  walked, and the ``os.system`` it resumes at was ``safe``. Every key counts now.
* 117pk-2 (slow): the free calls restarted for every pickle stream: a zip of six stored pickles, each just under
  50,000 close calls, took 2 s. The call bound holds per file too.
* 117pk-3/-4: the scan threads entered ``warnings.catch_warnings`` together (an "ignore" filter was left behind),
  and each file ran in the worker's empty context instead of a copy of the caller's. Judging is one file at a time
  now; each file gets a copy of the caller's context.
Nothing here is loaded."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from contextvars import ContextVar
from pathlib import Path

import pytest

from mlbom import scanner
from mlbom.scanner import scan_bytes


def _u(x: str) -> bytes:
    b = x.encode()
    return b"\x8c" + bytes([len(b)]) + b


def _sg(m: str, n: str) -> bytes:
    return _u(m) + _u(n) + b"\x93"


def _mmap_joblib(allow: bytes) -> bytes:
    """The red team's file: an object-dtype NumpyArrayWrapper whose ``allow_mmap`` is ``allow``; read_mmap
    resumes the outer stream inside the nested pickle's bytes, at an os.system call."""
    wrapper = (_sg("joblib.numpy_pickle", "NumpyArrayWrapper") + b")\x81" + b"}(" + _u("subclass")
               + _sg("numpy", "ndarray") + _u("shape") + b"K\x01\x85" + _u("order") + _u("C") + _u("dtype")
               + _sg("numpy", "dtype") + _u("O8") + b"\x89\x88\x87R" + b"(K\x03" + _u("|")
               + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb" + _u("allow_mmap") + allow
               + _u("numpy_array_alignment_bytes") + b"K\x10" + b"ub")
    head = b"\x80\x04" + b"}\x94" + _u("w") + wrapper
    evil = b"0" + _sg("os", "system") + _u("true") + b"\x85R" + b"s."
    payload = b"filler".ljust(122, b".") + b"\x00" * 8 + evil
    nested = b"\x80\x04B" + struct.pack("<I", len(payload)) + payload + b"."
    data = head + nested + b"s."
    resume = len(head) + 1 + 0x80 + 8
    assert data[resume:resume + len(evil)] == evil
    return data


@pytest.mark.parametrize("allow", [b"}K\x01K\x01s", b"}NK\x00s", b"\x88", b"K\x01"])  # {1: 1}, {None: 0}, True, 1
def test_117pk1_any_true_allow_mmap_takes_the_mmap_reading(allow: bytes) -> None:
    r = scan_bytes(_mmap_joblib(allow), "model.joblib")
    assert r.verdict == "unsafe", [(f.id, f.message[:120]) for f in r.findings]


def _nested_calls(k: int) -> bytes:
    return b"\x80\x04" + _sg("builtins", "frozenset") + b"2" * k + b")" + b"\x85R" * k + b"."


def test_117pk2_the_call_bound_holds_per_file() -> None:
    one = _nested_calls(49_000)
    assert scan_bytes(one, "one.pkl").verdict == "safe"  # under the free calls: judged
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i in range(6):
            z.writestr(f"m{i}.pkl", one)
    r = scan_bytes(buf.getvalue(), "members.zip")
    assert r.verdict == "error" and any(f.id == "pickle.limit" and "this file's pickles" in f.message
                                        for f in r.findings), [(f.id, f.message[:120]) for f in r.findings]


def test_117pk3_parallel_scans_leave_the_warning_filters_as_they_were(tmp_path: Path) -> None:
    fields = ", ".join(f"('f{i}', '<f4')" for i in range(2000))
    hdr = ("{'descr': [" + fields + "], 'fortran_order': False, 'shape': (1,), }").encode()
    hdr += b" " * (-(12 + len(hdr) + 1) % 64) + b"\n"
    for i in range(24):
        (tmp_path / f"a{i}.npy").write_bytes(b"\x93NUMPY\x02\x00" + struct.pack("<I", len(hdr)) + hdr + b"\0" * 8000)
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("always", UserWarning)
        before = list(warnings.filters)
        for _ in range(3):
            scanner.scan(tmp_path)
            assert warnings.filters == before


_MARK: ContextVar[str] = ContextVar("rt117pk_mark", default="worker")


def test_117pk4_each_file_runs_in_a_copy_of_the_callers_context(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(6):
        (tmp_path / f"f{i}.txt").write_text("x")
    seen: list[str] = []
    real = scanner._scan_one

    def spy(*a: object, **k: object) -> scanner.FileScan:
        seen.append(_MARK.get())
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(scanner, "_scan_one", spy)
    monkeypatch.setattr(scanner.os, "cpu_count", lambda: 4)
    token = _MARK.set("caller")
    try:
        scanner.scan(tmp_path)
    finally:
        _MARK.reset(token)
    assert seen == ["caller"] * 6


@pytest.mark.parametrize("member", ["m0.pkl", "m1.pkl", "w.pkl"])
def test_117pk_obs_a_short_member_name_is_no_lzma_polyglot(member: str) -> None:
    """A tar whose first member's short name reads as an LZMA-alone header: joblib takes only its
    ``5d 00`` prefix, pandas decodes LZMA-alone only under an ``.xz`` name — no loader reads it as LZMA."""
    import pickle
    import tarfile

    one = pickle.dumps({"a": 1})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        ti = tarfile.TarInfo(member)
        ti.size = len(one)
        t.addfile(ti, io.BytesIO(one))
    r = scan_bytes(buf.getvalue(), "data.tar")
    assert r.verdict == "safe", [(f.id, f.message[:120]) for f in r.findings]
