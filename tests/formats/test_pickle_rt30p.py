"""Red team 30p: numpy dtypes judged where numpy reads raw bytes with them, not only where built.

30p-1: ``numpy.dtypes.BytesDType(8)`` (allowlisted) makes a fresh, mutable descriptor; a BUILD gives
it an ``O`` field with flags 0 and ``_frombuffer`` (which refuses object dtypes only by their flags)
reads the bytes as a ``PyObject*``. 30p-2: a dtype's fields dict changed by SETITEM (memo) after the
dtype's BUILD was judged. 30p-3: a nested dtype BUILT after the outer dtype's BUILD was judged.
mlbom said ``safe`` to all three; the red team's proofs are in /work/redteam-30p."""

from __future__ import annotations

import pickle
import struct

import pytest

from tests.formats.pickle_ops import (
    BUILD,
    MARK,
    NONE,
    POP,
    REDUCE,
    SETITEM,
    STOP,
    TUPLE,
    TUPLE1,
    TUPLE3,
    bb,
    get,
    glob,
    i1,
    proto,
    put,
    s,
    walk,
)

NEWTRUE, NEWFALSE, TUPLE2 = b"\x88", b"\x89", b"\x86"
PTR = struct.pack("<Q", 0x4141414141414140)


def _dtype(code: str) -> bytes:
    return glob("numpy", "dtype") + s(code) + NEWFALSE + NEWTRUE + TUPLE3 + REDUCE


def _state(name: str, field: bytes, flags: int, elsize: int = 8) -> bytes:
    """A version-3 dtype state ``(3, '|', None, (name,), {name: (field, 0)}, elsize, 1, flags)``
    (its fields dict memoised as 9)."""
    return MARK + i1(3) + s("|") + NONE + s(name) + TUPLE1 + b"}" + put(9) + s(name) + field + i1(0) + TUPLE2 \
        + SETITEM + i1(elsize) + i1(1) + i1(flags) + TUPLE + BUILD


def _frombuffer(dtype: bytes, module: str = "numpy._core.numeric") -> bytes:
    return glob(module, "_frombuffer") + MARK + bb(PTR) + dtype + i1(1) + TUPLE1 + s("C") + TUPLE + REDUCE


def _objfield() -> bytes:
    return _dtype("O8") + MARK + i1(3) + s("|") + NONE + NONE + NONE + b"J" + struct.pack("<i", -1) \
        + b"J" + struct.pack("<i", -1) + i1(63) + TUPLE + BUILD


def _mem(rep: object) -> list[str]:
    return [f.message for f in rep.findings if f.id == "pickle.memory"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("maker", ["BytesDType", "StrDType", "VoidDType"])
@pytest.mark.parametrize("module", ["numpy._core.numeric", "numpy.core.numeric", "numpy.core.multiarray"])
def test_30p_1_dtype_of_another_maker_with_a_forged_object_field_is_unsafe(maker: str, module: str) -> None:
    dt = glob("numpy.dtypes", maker) + i1(8) + TUPLE1 + REDUCE + _state("a", _objfield(), 0)
    rep = walk(proto(4) + _frombuffer(dt, module) + STOP)
    assert rep.verdict == "unsafe", rep.findings
    assert _mem(rep), rep.findings


def test_30p_1_build_on_another_makers_dtype_is_unsafe_even_unused() -> None:
    dt = glob("numpy.dtypes", "BytesDType") + i1(8) + TUPLE1 + REDUCE + _state("a", _dtype("f8"), 0)
    rep = walk(proto(4) + dt + STOP)
    assert rep.verdict == "unsafe", rep.findings


@pytest.mark.parametrize("sink", ["scalar", "ndarray"])
def test_30p_1_other_sinks_judge_the_dtype(sink: str) -> None:
    dt = glob("numpy.dtypes", "BytesDType") + i1(8) + TUPLE1 + REDUCE + _state("a", _objfield(), 0)
    if sink == "scalar":
        body = glob("numpy._core.multiarray", "scalar") + MARK + dt + bb(PTR) + TUPLE + REDUCE
    else:
        body = glob("numpy", "ndarray") + MARK + i1(1) + TUPLE1 + dt + bb(PTR) + TUPLE + REDUCE
    rep = walk(proto(4) + body + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_30p_1_fresh_bytesdtype_in_frombuffer_is_safe() -> None:
    dt = glob("numpy.dtypes", "BytesDType") + i1(8) + TUPLE1 + REDUCE
    rep = walk(proto(4) + _frombuffer(dt) + STOP)
    assert rep.verdict == "safe", rep.findings


def test_30p_2_fields_dict_changed_after_the_dtype_build_is_unsafe() -> None:
    body = _dtype("V8") + put(0) + _state("a", _dtype("f8"), 0) + POP \
        + get(9) + s("a") + _objfield() + i1(0) + TUPLE2 + SETITEM + POP + _frombuffer(get(0))
    rep = walk(proto(4) + body + STOP)
    assert rep.verdict == "unsafe", rep.findings
    assert any("changes" in m for m in _mem(rep)), rep.findings


def test_30p_2_fields_dict_changed_after_the_array_was_made_is_unsafe() -> None:
    """Judged at use time it was consistent: the change afterwards is what is caught."""
    body = _dtype("V8") + put(0) + _state("a", _dtype("f8"), 0) + POP + _frombuffer(get(0)) + POP \
        + get(9) + s("a") + _objfield() + i1(0) + TUPLE2 + SETITEM + POP + NONE
    rep = walk(proto(4) + body + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_30p_2_without_the_change_is_safe() -> None:
    body = _dtype("V8") + put(0) + _state("a", _dtype("f8"), 0) + POP + _frombuffer(get(0))
    rep = walk(proto(4) + body + STOP)
    assert rep.verdict == "safe", rep.findings


def test_30p_3_nested_dtype_built_after_the_outer_build_is_unsafe() -> None:
    inner = _dtype("V8") + put(2)
    body = inner + POP + _dtype("V8") + put(0) + _state("a", get(2), 0) + POP \
        + get(2) + _state("x", _objfield(), 3) + POP + _frombuffer(get(0))
    rep = walk(proto(4) + body + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_30p_3_dtype_built_twice_is_unsafe() -> None:
    body = _dtype("V8") + put(0) + _state("a", _dtype("f8"), 0) + POP \
        + get(0) + _state("a", _objfield(), 0) + POP + NONE
    rep = walk(proto(4) + body + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_30p_array_state_judges_flags_against_the_current_structure() -> None:
    """An ndarray BUILD whose dtype's fields dict was changed to hold objects: unsafe even when the
    data is a list (the flags numpy trusts no longer match)."""
    dt = _dtype("V8") + put(0) + _state("a", _dtype("f8"), 0) + POP + get(9) + s("a") + _objfield() + i1(0) \
        + TUPLE2 + SETITEM + POP + get(0)
    arr = glob("numpy._core.multiarray", "_reconstruct") + glob("numpy", "ndarray") + i1(0) + TUPLE1 + bb(b"b") \
        + TUPLE3 + REDUCE + MARK + i1(1) + i1(1) + TUPLE1 + dt + NEWFALSE + bb(PTR) + TUPLE + BUILD
    rep = walk(proto(4) + arr + STOP)
    assert rep.verdict == "unsafe", rep.findings


def _benign_values() -> list[object]:
    np = pytest.importorskip("numpy")
    out: list[object] = [np.dtypes.BytesDType(8), np.dtypes.StrDType(3), np.dtype([("a", "f8"), ("b", "i4")]),
                         np.zeros(2, dtype=[("a", "f8"), ("b", [("x", "i4")])]), np.zeros(2, dtype="S8"),
                         np.zeros(1, dtype=[("a", "O"), ("b", "f8")])[0], np.zeros(3, dtype=("f4", (2,))),
                         np.array([(1, "x")], dtype=[("a", "i4"), ("b", "O")]), np.float64(1.5), np.str_("abc")]
    return out


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_30p_real_numpy_pickles_stay_safe(protocol: int) -> None:
    for value in _benign_values():
        rep = walk(pickle.dumps(value, protocol=protocol))
        assert rep.verdict == "safe", (value, rep.findings)


def test_30p_dtype_nested_past_the_tracking_bound_is_not_safe() -> None:
    """Tracking lost is ``suspicious``, never ``safe``: 20 dtypes nested in each other's states."""
    dt = _dtype("f8")
    for _ in range(20):
        dt = _dtype("V8") + MARK + i1(3) + s("|") + NONE + s("a") + TUPLE1 + b"}" + s("a") + dt + i1(0) + TUPLE2 \
            + SETITEM + i1(8) + i1(1) + i1(0) + TUPLE + BUILD
    rep = walk(proto(4) + _frombuffer(dt) + STOP)
    assert rep.verdict != "safe", rep.findings
