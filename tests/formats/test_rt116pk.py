"""Red team 116pk-1: ``joblib.load(filename, mmap_mode='r')`` reads an array wrapper whose pickled
``allow_mmap`` is true with ``NumpyArrayWrapper.read_mmap`` — also for an object dtype, which no
joblib writes so (``allow_mmap = not buffered and not dtype.hasobject``). read_mmap reads a padding
byte, maps count * itemsize bytes (8 a pointer) after it and seeks past them, where read_array (what
mlbom walked) unpickles a nested pickle: the outer stream resumes elsewhere, and opcodes hidden in
the nested pickle's bytes ran while mlbom said ``safe``. Now such a wrapper is a differential and
the mmap reading is walked too. 116pk-2: nested calls of an allowlisted callable, 3 bytes a call."""

from __future__ import annotations

import io
import pickle
import struct
from pathlib import Path

import pytest

from mlbom.formats.pickle import read_pickle
from mlbom.scanner import scan_bytes, scan_file

pytestmark = pytest.mark.sklearn  # numpy/joblib: the optional scikit-learn tier (.ci/run)
np = pytest.importorskip("numpy")
joblib = pytest.importorskip("joblib")


def _s(t: str) -> bytes:  # SHORT_BINUNICODE
    b = t.encode()
    return b"\x8c" + bytes([len(b)]) + b


def _g(m: str, n: str) -> bytes:  # STACK_GLOBAL
    return _s(m) + _s(n) + b"\x93"


def _dtype_ops(dt: object) -> bytes:
    """numpy's own pickle of a dtype, without PROTO/FRAME/STOP (its MEMOIZEs number themselves)."""
    raw = pickle.dumps(dt, protocol=4)
    assert raw[:2] == b"\x80\x04" and raw[-1:] == b"."
    body = raw[2:-1]
    if body[:1] == b"\x95":
        body = body[9:]
    return body


O8 = _g("numpy", "dtype") + _s("O8") + b"\x89\x88\x87R" + b"(K\x03" + _s("|") + \
    b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb"
EVIL = b"0" + _g("os", "system") + _s("true") + b"\x85R" + b"s."  # POP the memmap; d['w'] = os.system('true')


def _wrapper(dtype: bytes, shape: bytes = b"K\x01\x85", allow: bytes = b"\x88", align: bytes = b"K\x10") -> bytes:
    return (_g("joblib.numpy_pickle", "NumpyArrayWrapper") + b")\x81}(" + _s("subclass") + _g("numpy", "ndarray")
            + _s("shape") + shape + _s("order") + _s("C") + _s("dtype") + dtype
            + _s("allow_mmap") + allow + _s("numpy_array_alignment_bytes") + align + b"ub")


def _object_mmap_file(dtype: bytes = O8, itemsize: int = 8, count: int = 1, allow: bytes = b"\x88") -> bytes:
    """{'w': wrapper} then a nested pickle (PROTO 4; BINBYTES payload; STOP) that read_array
    unpickles; read_mmap takes its PROTO byte 0x80 for the padding length, maps count * itemsize
    bytes at X + 1 + 128 and resumes the outer stream after them, inside the payload."""
    head = b"\x80\x04}" + _s("w") + _wrapper(dtype, b"K" + bytes([count]) + b"\x85", allow)
    n = count * itemsize
    payload = b"filler".ljust(122, b".") + b"\x00" * n + EVIL  # the nested payload starts at X + 7
    nested = b"\x80\x04B" + struct.pack("<I", len(payload)) + payload + b"."
    data = head + nested + b"s."
    assert data[len(head) + 1 + 0x80 + n:].startswith(EVIL)
    return data


def _ids(r: object) -> list[tuple[str, str]]:
    return [(f.id, f.message[:200]) for f in r.findings]  # type: ignore[attr-defined]


def test_object_array_mmap_reading_is_judged(tmp_path: Path) -> None:
    data = _object_mmap_file()
    rep = read_pickle(io.BytesIO(data), len(data), joblib=True)
    assert any(f.effect == "unsafe" and "mmap_mode" in f.message for f in rep.findings), _ids(rep)
    assert any(f.id == "pickle.differential" and "allow_mmap" in f.message for f in rep.findings)
    p = tmp_path / "model.joblib"
    p.write_bytes(data)
    r = scan_file(p)
    assert r.verdict == "unsafe", _ids(r)


def test_structured_object_field_is_an_object_array_too() -> None:
    dt = np.dtype([("a", "O"), ("b", "<i8")])
    assert dt.itemsize == 16
    data = _object_mmap_file(_dtype_ops(dt), 16)
    r = scan_bytes(data, "model.joblib")
    assert r.verdict == "unsafe", _ids(r)


@pytest.mark.parametrize("allow", [b"K\x01", _s("yes"), _g("builtins", "object") + b")R"])
def test_allow_mmap_true_or_unknown_is_a_differential(allow: bytes) -> None:
    # no hidden stream (the mapped bytes run past the end): the differential alone
    head = b"\x80\x04}" + _s("w") + _wrapper(O8, allow=allow)
    data = head + b"\x80\x04N." + b"s."
    r = scan_bytes(data, "model.joblib")
    assert r.verdict in ("suspicious", "unsafe"), _ids(r)
    assert any(f.id == "pickle.differential" and "allow_mmap" in f.message for f in r.findings), _ids(r)


@pytest.mark.parametrize("allow", [b"\x89", b"N", b"K\x00", _s("")])
def test_allow_mmap_false_reads_the_nested_pickle_only(allow: bytes) -> None:
    data = _object_mmap_file(allow=allow)
    r = scan_bytes(data, "model.joblib")
    assert r.verdict == "safe", _ids(r)


def test_int_shape_only_numpy_memmap_takes() -> None:
    # read_array: len(3) raises; numpy.memmap(shape=3) maps (3,): the mmap reading is walked
    head = b"\x80\x04}" + _s("w") + _wrapper(_dtype_ops(np.dtype("<f8")), shape=b"K\x03")
    data = head + b"\x00" + b"\x00" * 24 + EVIL
    r = scan_bytes(data, "model.joblib")
    assert r.verdict == "unsafe", _ids(r)


def test_str_dtype_only_numpy_memmap_takes() -> None:
    head = b"\x80\x04}" + _s("w") + _wrapper(_s("<f8"), shape=b"K\x02\x85")
    data = head + b"\x00" + b"\x00" * 16 + EVIL
    r = scan_bytes(data, "model.joblib")
    assert r.verdict == "unsafe", _ids(r)


@pytest.mark.parametrize("pad", [0, 3, 15, 0x80, 0xFF])
@pytest.mark.parametrize("align", [b"K\x10", b"N"])
def test_plain_dtype_reads_the_same_both_ways(pad: int, align: bytes) -> None:
    # read_array and read_mmap consume the same bytes for a plain dtype: padding byte (any value)
    # and padding, then count * itemsize; a clean file stays safe, with no differential
    head = b"\x80\x04}" + _s("w") + _wrapper(_dtype_ops(np.dtype("<f8")), shape=b"K\x02\x85", align=align)
    body = (bytes([pad]) + b"\xff" * pad if align != b"N" else b"") + b"\x00" * 16
    data = head + body + b"s."
    r = scan_bytes(data, "model.joblib")
    assert r.verdict == "safe", _ids(r)
    assert not any("mmap" in f.message for f in r.findings)


@pytest.mark.parametrize("compress", [0, 3])
def test_real_joblib_dumps_stay_safe(tmp_path: Path, compress: int) -> None:
    obj = {
        "objects": np.array(["a", None, 3, (1, 2)], dtype=object),
        "numbers": np.arange(1000, dtype="<f8").reshape(10, 100),
        "fortran": np.asfortranarray(np.ones((7, 5), dtype="<i4")),
        "records": np.array([(None, 1)], dtype=[("a", "O"), ("b", "<i8")]),
        "strings": np.array(["x", "yz"]),
        "empty": np.zeros((0, 3)),
        "scalar": np.float32(1.5),
    }
    p = tmp_path / f"obj{compress}.joblib"
    joblib.dump(obj, p, compress=compress)
    r = scan_file(p)
    # the pickle.load reading (array bytes read as opcodes: a nested pickle's memo fetches name
    # the outer memo's strings) is an older, separate finding; joblib.load's readings are clean
    mine = [f for f in r.findings if "read by pickle.load (not joblib.load)" not in f.message]
    assert not mine, _ids(r)
    assert r.verdict in ("safe", "suspicious")


# -- 116pk-2: judged calls are bounded by the bytes read ------------------------------------

def _nested_calls(size: int, mod: str = "builtins", name: str = "frozenset") -> bytes:
    """frozenset((frozenset((… frozenset(()) …),),)): a DUP a level, 3 bytes a call."""
    head = b"\x80\x04" + _g(mod, name)
    k = (size - len(head) - 2) // 3
    return head + b"2" * k + b")" + b"\x85R" * k + b"."


@pytest.mark.parametrize("callable_", [("builtins", "frozenset"), ("collections", "OrderedDict"),
                                       ("builtins", "tuple")])
def test_close_calls_stop_at_the_call_bound(callable_: tuple[str, str]) -> None:
    from mlbom.formats.pickle import Limits

    data = _nested_calls(30_000, *callable_)  # 10 K calls, 3 bytes apart
    rep = read_pickle(io.BytesIO(data), len(data), limits=Limits(calls=2_000))
    assert rep.error is not None and "calls" in rep.error, rep.error
    assert any(f.id == "pickle.limit" and f.effect == "error" for f in rep.findings)
    # under the free calls, the same shape is judged to its end (safe)
    rep = read_pickle(io.BytesIO(data), len(data), limits=Limits(calls=20_000))
    assert rep.error is None and rep.complete, rep.error


def test_a_one_megabyte_pickle_of_close_calls_is_bounded() -> None:
    # the red team's file: 333 K calls (1.6-3 s); now at most Limits.calls are judged
    data = _nested_calls(1_000_000 - 300)
    r = scan_bytes(data, "x.pkl")
    assert r.verdict == "error", _ids(r)
    assert any(f.id == "pickle.limit" and "50000 calls" in f.message for f in r.findings), _ids(r)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_real_pickles_of_many_small_objects_stay_under_the_bound(protocol: int) -> None:
    import datetime
    import decimal

    from mlbom.formats.pickle import Limits

    base = datetime.datetime(2020, 1, 1)
    for obj in ([base + datetime.timedelta(seconds=i) for i in range(5_000)],
                [datetime.date(2020, 1, 1) + datetime.timedelta(days=i) for i in range(5_000)],
                [decimal.Decimal(i) for i in range(5_000)],
                list(np.arange(5_000.0))):
        data = pickle.dumps(obj, protocol=protocol)
        rep = read_pickle(io.BytesIO(data), len(data), limits=Limits(calls=500))  # 10x past the free calls
        assert rep.error is None and rep.complete, (type(obj[0]), rep.error)


def test_a_bound_met_in_the_mmap_reading_is_not_dropped() -> None:
    from mlbom.formats.pickle import Limits

    # read_mmap resumes inside the nested pickle's payload, where 3,000 close calls come before
    # os.system: with a small call bound that reading stops unjudged, which is an error, not safe
    calls = _g("builtins", "frozenset") + b"2" * 3000 + b")" + b"\x85R" * 3000 + b"0"
    evil = b"0" + calls + _g("os", "system") + _s("true") + b"\x85Rs."
    head = b"\x80\x04}" + _s("w") + _wrapper(O8)
    payload = b"filler".ljust(122, b".") + b"\x00" * 8 + evil
    data = head + b"\x80\x04B" + struct.pack("<I", len(payload)) + payload + b"." + b"s."
    rep = read_pickle(io.BytesIO(data), len(data), joblib=True, limits=Limits(calls=1_000))
    assert any(f.id == "pickle.limit" and "mmap_mode" in f.message for f in rep.findings), _ids(rep)
    rep = read_pickle(io.BytesIO(data), len(data), joblib=True)
    assert any(f.effect == "unsafe" and "mmap_mode" in f.message for f in rep.findings), _ids(rep)


def test_the_call_bound_met_in_the_pickle_load_reading_is_reported() -> None:
    from mlbom.formats.pickle import Limits

    # joblib steps over the array bytes; pickle.load reads them as opcodes: close calls, then
    # os.system. With the bound met there, that reading is not judged to its end: error, not safe
    n = 3_000
    while True:
        hidden = _g("builtins", "frozenset") + b"2" * n + b")" + b"\x85R" * n + b"0" \
            + _g("os", "system") + _s("true") + b"\x85R0"
        if len(hidden) % 8 == 0:
            break
        n += 1
    head = b"\x80\x04}" + _s("w") + _wrapper(_dtype_ops(np.dtype("<f8")), shape=b"J" + struct.pack("<i", len(hidden) // 8)
                                             + b"\x85", allow=b"\x89", align=b"N")
    data = head + hidden + b"s."
    rep = read_pickle(io.BytesIO(data), len(data), joblib=True, limits=Limits(calls=1_000))
    assert any(f.id == "pickle.limit" and "read by pickle.load" in f.message for f in rep.findings), _ids(rep)
    rep = read_pickle(io.BytesIO(data), len(data), joblib=True)
    assert any(f.effect == "unsafe" and "read by pickle.load" in f.message for f in rep.findings), _ids(rep)
