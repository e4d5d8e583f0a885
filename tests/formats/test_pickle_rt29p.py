"""Red team 29p.

29p-5: numpy's ``arraydescr_setstate`` takes a dtype's flags from a version >= 3 state as written
(version 2 turns every object flag on for any non-zero flags), and ``array_setstate`` then trusts
them: ``dtype('O')`` with flags 1 (REFCOUNT without LIST_PICKLE) makes numpy memcpy an ndarray
state's bytes into the buffer and decref them as ``PyObject*`` (every loader segfaults). mlbom said
``safe``. A dtype state whose object flags differ from the computed ones is now ``unsafe``, one it
cannot model ``suspicious``, and an array state of an object (or unknown) dtype with raw data
``unsafe``.
29p-3: the joblib object-array branch inside a protocol-4 frame.
29p-4: joblib's nested unpickler resolves names at the outer protocol."""

from __future__ import annotations

import io
import pickle
import struct
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes, scan_file
from tests.formats.pickle_ops import BUILD, EMPTY_TUPLE, MARK, NONE, POP, REDUCE, STOP, TUPLE, TUPLE1, TUPLE3, bb, glob, i1, proto, s, walk

NEWTRUE, NEWFALSE = b"\x88", b"\x89"
PTR = struct.pack("<Q", 0x4141414141414140)


def _int(n: int) -> bytes:
    return b"J" + struct.pack("<i", n)


def _dtype(code: str, flags: int | None, version: int = 3, subarray: bytes = NONE, fields: bytes = NONE,
           elsize: int = -1) -> bytes:
    d = glob("numpy", "dtype") + s(code) + NEWFALSE + NEWTRUE + TUPLE3 + REDUCE
    if flags is None:
        return d
    return d + MARK + i1(version) + s("|") + subarray + (NONE if fields == NONE else MARK + s("a") + TUPLE) \
        + fields + _int(elsize) + _int(-1) + _int(flags) + TUPLE + BUILD


def _array(dtype: bytes, data: bytes, maker: tuple[str, str] = ("numpy._core.multiarray", "_reconstruct")) -> bytes:
    return proto(4) + glob(*maker) + glob("numpy", "ndarray") + i1(0) + TUPLE1 + bb(b"b") + TUPLE3 + REDUCE \
        + MARK + i1(1) + i1(1) + TUPLE1 + dtype + NEWFALSE + data + TUPLE + BUILD + POP + NONE + STOP


def _obj_field(flags: int) -> bytes:
    """A ``fields`` dict ``{'a': (dtype('O'), 0)}``."""
    return b"}" + s("a") + _dtype("O8", flags) + i1(0) + b"\x86" + b"s"


@pytest.mark.parametrize("flags", [0, 1, 2, 3, 4, 5, 0x3e, 0x39])
def test_29p_5_object_dtype_with_forged_flags_is_unsafe(flags: int) -> None:
    rep = walk(_array(_dtype("O8", flags), bb(PTR)))
    assert rep.verdict == "unsafe", rep.findings
    assert any(f.id == "pickle.memory" and "flags" in f.message for f in rep.findings), rep.findings


@pytest.mark.parametrize("flags", [1, 2, 4, 7, 0x3f])
def test_29p_5_plain_dtype_with_object_flags_is_unsafe(flags: int) -> None:
    rep = walk(_array(_dtype("f8", flags), bb(PTR)))
    assert rep.verdict == "unsafe", rep.findings


@pytest.mark.parametrize("flags", [1, 0x10, 0x3f])
def test_29p_5_version_2_state_with_flags_on_a_plain_dtype_is_unsafe(flags: int) -> None:
    # numpy 2.4: a version-2 state with any non-zero flags turns every object flag on
    rep = walk(_array(_dtype("f8", flags, version=2), bb(PTR)))
    assert rep.verdict == "unsafe", rep.findings


def test_29p_5_structured_object_field_with_forged_flags_is_unsafe() -> None:
    rep = walk(_array(_dtype("V8", 1, fields=_obj_field(0x3f), elsize=8), bb(PTR)))
    assert rep.verdict == "unsafe", rep.findings


def test_29p_5_forged_field_dtype_is_unsafe() -> None:
    # the field's own dtype clears its object flags: its parent computes none, and agrees
    rep = walk(_array(_dtype("V8", 0, fields=_obj_field(0), elsize=8), bb(PTR)))
    assert rep.verdict == "unsafe", rep.findings


def test_29p_5_subarray_of_objects_with_forged_flags_is_unsafe() -> None:
    sub = _dtype("O8", 0x3f) + i1(2) + TUPLE1 + b"\x86"
    rep = walk(_array(_dtype("V16", 1, subarray=sub, elsize=16), bb(PTR * 2)))
    assert rep.verdict == "unsafe", rep.findings


def test_29p_5_object_array_with_raw_bytes_is_unsafe_even_with_right_flags() -> None:
    rep = walk(_array(_dtype("O8", 0x3f), bb(PTR)))
    assert rep.verdict == "unsafe", rep.findings
    rep = walk(_array(_dtype("O8", None), bb(PTR)))
    assert rep.verdict == "unsafe", rep.findings


def test_29p_5_unknown_dtype_state_is_not_safe() -> None:
    # flags that are not an int: mlbom cannot tell what numpy takes
    bad = glob("numpy", "dtype") + s("O8") + NEWFALSE + NEWTRUE + TUPLE3 + REDUCE + MARK + i1(3) + s("|") \
        + NONE + NONE + NONE + _int(-1) + _int(-1) + s("x") + TUPLE + BUILD
    rep = walk(proto(4) + bad + STOP)
    assert rep.verdict != "safe", rep.findings


def test_29p_5_masked_array_state_with_raw_object_bytes_is_unsafe() -> None:
    ma = glob("numpy.ma.core", "_mareconstruct") + MARK + glob("numpy.ma.core", "MaskedArray") \
        + glob("numpy", "ndarray") + i1(0) + TUPLE1 + bb(b"b") + TUPLE + REDUCE
    state = MARK + i1(1) + i1(1) + TUPLE1 + _dtype("O8", 0x3f) + NEWFALSE + bb(PTR) + bb(b"\0") + NONE + TUPLE
    rep = walk(proto(4) + ma + state + BUILD + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_29p_5_benign_hand_built_object_array_is_safe() -> None:
    rep = walk(_array(_dtype("O8", 0x3f), b"]" + i1(1) + b"a"))
    assert rep.verdict == "safe", rep.findings
    rep = walk(_array(_dtype("f8", 0), bb(PTR)))
    assert rep.verdict == "safe", rep.findings


def _numpy_values() -> list[object]:
    np = pytest.importorskip("numpy")
    dts = ["O", "f8", "i4", "U3", "S2", "V4", "M8[ns]", "m8[s]", "?", "c16", ">i8", [("a", "O"), ("b", "f8")],
           [("a", "f8"), ("b", "i4")], ("O", (2,)), ("f4", (2, 3)), np.dtype([("a", "O")], align=True),
           np.dtype([("a", "f8"), ("b", "i1")], align=True), [("a", [("x", "O")])], [("a", ("O", (2,)))],
           np.dtype("f8", metadata={"k": 1})]
    out: list[object] = []
    for d in dts:
        dt = np.dtype(d)  # type: ignore[call-overload]
        out.append(dt)
        out.append(np.zeros(3, dtype=dt))
    out += [np.array([1, "a", None], dtype=object), np.ma.masked_array([1, 2, 3], mask=[0, 1, 0]),
            np.ma.masked_array(np.array([1, "a"], dtype=object), mask=[1, 0]),
            np.rec.fromrecords([(1, "x")], names="a,b"), np.asmatrix([[1, 2]]),
            np.array([(1, "x")], dtype=[("a", "i4"), ("b", "O")])]
    return out


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_29p_5_real_numpy_pickles_stay_safe(protocol: int) -> None:
    for value in _numpy_values():
        rep = walk(pickle.dumps(value, protocol=protocol))
        assert rep.verdict == "safe", (value, rep.findings)


def test_29p_5_real_dtype_flags_match_the_model() -> None:
    """What numpy's own ``__reduce__`` writes is what mlbom computes (no finding at all)."""
    np = pytest.importorskip("numpy")
    for value in _numpy_values():
        if isinstance(value, np.dtype):
            rep = walk(pickle.dumps(value, protocol=2))
            assert not [f for f in rep.findings if f.id == "pickle.memory"], (value, rep.findings)


def test_29p_5_pandas_object_columns_stay_safe() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1, 2], "b": ["x", None], "c": [1.5, 2.5]})
    for protocol in (2, 4, 5):
        rep = walk(pickle.dumps(df, protocol=protocol))
        assert rep.verdict == "safe", rep.findings


def test_29p_5_torch_save_of_an_object_array_stays_safe(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    path = tmp_path / "m.pt"
    torch.save({"w": torch.zeros(2), "meta": np.array([1, "a"], dtype=object)}, path)
    assert scan_file(path).verdict == "safe"


def test_29p_5_joblib_dump_of_object_arrays_stays_safe(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    joblib = pytest.importorskip("joblib")
    # one bare array per file: a dict holding one is ``suspicious`` already before this change
    # (the pickle.load view of joblib's array bytes), which is not what this test is about
    for i, value in enumerate([np.array([1, "a", None], dtype=object),
                               np.array([(1, "x")], dtype=[("a", "i4"), ("b", "O")])]):
        path = tmp_path / f"m{i}.joblib"
        joblib.dump(value, path)
        assert scan_file(path).verdict == "safe", value
    buf = io.BytesIO()
    joblib.dump(np.array([1, "a"], dtype=object), buf)
    assert scan_bytes(buf.getvalue(), "m.joblib").verdict == "safe"


# -- 29p-3 / 29p-4: joblib object arrays ---------------------------------------------------------
def _wrapper() -> bytes:
    """A joblib ``NumpyArrayWrapper`` of an object array, BUILD (no STOP)."""
    return glob("joblib.numpy_pickle", "NumpyArrayWrapper") + b")\x81" + b"}" + MARK + s("subclass") \
        + glob("numpy", "ndarray") + s("shape") + i1(1) + TUPLE1 + s("order") + s("C") + s("dtype") \
        + _dtype("O8", None) + s("allow_mmap") + NEWFALSE + b"u" + BUILD


def _open_call(secret: str = "/tmp/secret") -> bytes:
    """``__builtin__.open(secret)`` with no PROTO (protocol 0 rules: fix_imports maps the name)."""
    return glob("__builtin__", "open") + s(secret) + TUPLE1 + REDUCE + STOP


def test_29p_3_object_array_inside_a_frame_is_read_after_the_frame() -> None:
    # joblib's pure-Python unpickler has read the frame ahead: the nested pickle is what follows it
    body = _wrapper() + b"N." + b"N."
    data = proto(4) + b"\x95" + struct.pack("<Q", len(body)) + body + _open_call()
    rep = walk(data, joblib=True)
    assert rep.verdict == "unsafe", rep.findings
    assert any("after the frame" in f.message and f.effect == "unsafe" for f in rep.findings), rep.findings
    assert any("inside a protocol-4 frame" in f.message for f in rep.findings), rep.findings


def test_29p_3_benign_object_array_inside_a_frame_is_not_safe() -> None:
    body = _wrapper() + b"N." + b"N."
    data = proto(4) + b"\x95" + struct.pack("<Q", len(body)) + body + b"N."
    assert walk(data, joblib=True).verdict not in ("safe", "suspicious")


def test_29p_4_nested_names_are_judged_at_the_outer_protocol_too() -> None:
    # outer protocol 4, nested stream without PROTO: ``__builtin__.set`` is builtins.set for a
    # plain pickle.load of it (older joblib), but joblib >= 1.5 resolves it at protocol 4
    nested = glob("__builtin__", "set") + EMPTY_TUPLE + REDUCE + STOP
    data = proto(4) + _wrapper() + nested + b"N."
    rep = walk(data, joblib=True)
    hits = [f for f in rep.findings if "outer protocol 4" in f.message]
    assert hits and all(f.effect == "unsafe" for f in hits), rep.findings
    assert rep.verdict == "unsafe"


def test_29p_4_same_protocol_nested_pickle_has_no_extra_finding() -> None:
    nested = proto(4) + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + STOP
    rep = walk(proto(4) + _wrapper() + nested + b"N.", joblib=True)
    assert not [f for f in rep.findings if "outer protocol" in f.message], rep.findings

