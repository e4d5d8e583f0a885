"""Red team 51b-3 (second half): ``joblib.dump`` of an array of a union dtype — a sized code given
fields, ``(int32, {"lo": (int16, 0), "hi": (int16, 2)})`` — was ``error`` ("a dtype mlbom cannot
size"): its state's elsize is -1, which numpy ignores for a type that is not flexible (the code's
size stands). It is now sized as numpy sizes it. The same layout with an object field whose state
flags say "no objects" makes numpy read raw bytes as pointers (joblib.load crashes): ``unsafe``."""

from __future__ import annotations

import io

import pytest

from mlbom.scanner import scan_bytes

np = pytest.importorskip("numpy")
joblib = pytest.importorskip("joblib")


def _u(text: str) -> bytes:
    raw = text.encode()
    return b"X" + len(raw).to_bytes(4, "little") + raw


def _dump(obj: object, protocol: int | None = None) -> bytes:
    buf = io.BytesIO()
    joblib.dump(obj, buf, protocol=protocol)
    return buf.getvalue()


def test_a_union_dtype_array_is_safe() -> None:
    dt = np.dtype((np.int32, {"lo": (np.int16, 0), "hi": (np.int16, 2)}))
    arr = np.zeros(5, dtype=dt)
    for data in (_dump(arr), _dump({"x": arr}), _dump(arr, protocol=2)):
        r = scan_bytes(data, "u.joblib")
        assert r.verdict == "safe", [f.message for f in r.findings if f.severity != "info"]


def test_a_union_with_an_object_field_and_no_object_flags_is_unsafe() -> None:
    data = _dump(np.arange(4, dtype=np.int64), protocol=2)
    old = b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t"
    assert data.count(old) == 1
    odt = b"cnumpy\ndtype\n" + _u("O8") + b"\x89\x88\x87R(K\x03" + _u("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb"
    fields = b"N" + _u("a") + b"\x85}" + _u("a") + odt + b"K\x00\x86s"
    r = scan_bytes(data.replace(old, fields + b"J\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t"), "u.joblib")
    assert r.verdict == "unsafe" and any("object pointers" in f.message for f in r.findings)
