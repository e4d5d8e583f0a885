"""Red team 33p: numpy dtype layout and flag model.

33p-1: a field dtype written as ``numpy.dtype('2O')`` / ``'O,O'`` (no state) is a 16-byte object
sub-array / struct in numpy, not an 8-byte object: an int field at offset 8 overlaps it, and a
sub-array of it overruns an 8-byte item. 33p-2: numpy's item access walks ``names`` and uses a
name's entry even when it is shaped as a title's (third item == the name); mlbom skipped every
title-shaped entry. 33p-3: numpy 2.4 gives version 0/1 states with a flags slot version 2's
rule (any non-zero flags turn every object flag on). The proofs (real loaders in a subprocess)
are in /work/redteam-33p; the pointer read-back is re-proved here where numpy is importable."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

import pytest

from tests.formats.pickle_ops import BUILD, MARK, NEWFALSE, NONE, REDUCE, STOP, TUPLE, glob, proto, s, walk
from tests.formats.pickle_ops import dtype_state as _st
from tests.formats.pickle_ops import int_op as _i
from tests.formats.pickle_ops import np_dtype as _dtype


def _i8() -> bytes:
    return _dtype("i8", _st(0, bo="<"))


def _struct(fields: list[tuple[str, bytes, int, str | None]], elsize: int, names: list[str] | None = None,
            flags: int = 27) -> bytes:
    """A void dtype with the given (key, dtype, offset, third item) entries, ``names`` in that order."""
    order = [k for k, _, _, _ in fields] if names is None else names
    nm = MARK + b"".join(s(n) for n in order) + TUPLE
    body = b"}" + MARK + b"".join(s(k) + MARK + d + _i(off) + (s(t) if t is not None else b"") + TUPLE
                                  for k, d, off, t in fields) + b"u"
    return _dtype("V8", _st(flags, elsize, names=nm, fields=body))


def _array(dt: bytes, items: bytes = NONE) -> bytes:
    """``_reconstruct(ndarray, (0,), b'b')`` with the state ``(1, (1,), dt, False, [items])``."""
    return glob("numpy._core.multiarray", "_reconstruct") + MARK + glob("numpy", "ndarray") + MARK + _i(0) \
        + TUPLE + b"C\x01b" + TUPLE + REDUCE + MARK + _i(1) + MARK + _i(1) + TUPLE + dt + NEWFALSE + b"]" \
        + MARK + items + TUPLE + b"a" + TUPLE + BUILD


def _mem(rep: object) -> list[str]:
    return [f.message for f in rep.findings if f.id == "pickle.memory"]  # type: ignore[attr-defined]


def _readback(builder: str, read: str) -> str:
    """Build the pickle in a throw-away subprocess with the address of a marker object as the
    int, pickle.load it, and say whether ``read`` gives back the marker (a pointer forged)."""
    pytest.importorskip("numpy")
    code = textwrap.dedent(f"""
        import pickle, sys
        sys.path.insert(0, {sys.path[0]!r})
        from tests.formats import test_pickle_rt33p as t
        marker = object()
        a = pickle.loads({builder}(id(marker)))
        print({read} is marker)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=sys.path[0])
    return out.stdout.strip() or f"rc={out.returncode} {out.stderr[-300:]}"


# --- 33p-1: the item size of an object code ---------------------------------------------------

def build_shape_prefix(ptr: int, code: str = "2O") -> bytes:
    dt = _struct([("a", _dtype(code), 0, None), ("b", _i8(), 8, None)], 16)
    return proto(4) + _array(dt, NONE + _i(ptr)) + STOP


@pytest.mark.parametrize("code", ["2O", "O,O", "(2,)O", "2O8", "O,i8"])
def test_33p_1_sub_array_or_struct_code_is_sized_as_numpy_parses_it(code: str) -> None:
    rep = walk(build_shape_prefix(0x41414141, code))
    assert rep.verdict == "unsafe", rep.findings
    assert any("overlapping" in m for m in _mem(rep)), rep.findings


def test_33p_1_sub_array_of_a_repeat_code_overrunning_the_item_is_unsafe() -> None:
    dt = _dtype("V8", _st(63, 8, sub=MARK + _dtype("2O") + MARK + _i(1) + TUPLE + TUPLE))
    rep = walk(proto(4) + _array(dt, NONE) + STOP)
    assert rep.verdict == "unsafe", rep.findings
    assert any("sub-array" in m for m in _mem(rep)), rep.findings


@pytest.mark.parametrize("code", ["2O", "O,O", "2i8"])
def test_33p_1_repeat_or_comma_code_given_a_state_is_not_safe(code: str) -> None:
    """numpy takes elsize from the state for them and keeps the code's fields: not modelled."""
    dt = _struct([("a", _dtype(code, _st(63, 8)), 0, None)], 8)
    rep = walk(proto(4) + _array(dt, NONE) + STOP)
    assert rep.verdict != "safe", rep.findings


def test_33p_1_stateless_repeat_code_that_fits_is_safe() -> None:
    dt = _struct([("a", _dtype("2O"), 0, None), ("b", _i8(), 16, None)], 24)
    rep = walk(proto(4) + _array(dt, NONE + _i(1)) + STOP)
    assert rep.verdict == "safe", rep.findings


def test_33p_1_proof_pointer_read_back() -> None:
    assert _readback("t.build_shape_prefix", "a[0]['a'][1]") == "True"


# --- 33p-2: names vs the fields dict ----------------------------------------------------------

def build_name_as_title(ptr: int) -> bytes:
    obj = _dtype("O8", _st(63))
    dt = _struct([("a", _i8(), 0, None), ("b", obj, 0, "b")], 8, names=["b", "a"])
    return proto(4) + _array(dt, NONE + _i(ptr)) + STOP


def test_33p_2_title_shaped_entry_of_a_name_is_laid_out() -> None:
    rep = walk(build_name_as_title(0x41414141))
    assert rep.verdict == "unsafe", rep.findings


def test_33p_2_title_shaped_named_object_field_alone_is_unsafe() -> None:
    obj = _dtype("O8", _st(63))
    dt = _struct([("b", obj, 0, "b")], 8)
    rep = walk(proto(4) + _array(dt, NONE) + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_33p_2_title_entry_that_is_not_its_fields_is_checked() -> None:
    """``a['X']`` reads the title's own entry: an object entry over the int field is a forged pointer."""
    obj = _dtype("O8", _st(63))
    dt = _struct([("x", _i8(), 0, "X"), ("X", obj, 0, "X")], 8, names=["x"])
    rep = walk(proto(4) + _array(dt, NONE) + STOP)
    assert rep.verdict != "safe", rep.findings


@pytest.mark.parametrize("names", [["a", "a"], ["a", "z"], []])
def test_33p_2_names_numpy_pickler_never_writes_are_not_safe(names: list[str]) -> None:
    obj = _dtype("O8", _st(63))
    dt = _struct([("a", obj, 0, None)], 8, names=names)
    rep = walk(proto(4) + _array(dt, NONE) + STOP)
    assert rep.verdict != "safe", rep.findings


def test_33p_2_proof_pointer_read_back() -> None:
    assert _readback("t.build_name_as_title", "a[0]['b']") == "True"


@pytest.mark.parametrize("spec", [
    {"names": ["x"], "formats": ["O"], "titles": ["X"]},
    {"names": ["x", "y"], "formats": ["O", "i8"], "titles": ["X", None]},
    {"names": ["x", "y"], "formats": ["i8", "O"], "titles": ["X", "Y"]},
    [("a", "O", (2,)), ("b", "i8")],
    "O,i8",
])
@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_33p_real_object_dtypes_stay_safe(spec: object, protocol: int) -> None:
    np = pytest.importorskip("numpy")
    a = np.zeros(2, dtype=np.dtype(spec))  # type: ignore[call-overload]
    rep = walk(pickle.dumps(a, protocol=protocol))
    assert rep.verdict == "safe", rep.findings


# --- 33p-3: flags of version 0-4 states -------------------------------------------------------

@pytest.mark.parametrize("version", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("flags", [0, 1, 2, 63])
@pytest.mark.parametrize("code", ["O", "f8", "V8"])
def test_33p_3_flag_model_matches_numpy_setstate(version: int, flags: int, code: str) -> None:
    """mlbom calls a dtype state unsafe exactly when numpy's object flags after ``__setstate__``
    differ from those of the dtype numpy would compute (checked against numpy itself)."""
    np = pytest.importorskip("numpy")
    state = (version, "|", None, None, None, 8, 8, flags) + ((None,) if version == 4 else ())
    d = np.dtype(code, False, True)
    d.__setstate__(state)
    differs = (d.flags & 7) != (np.dtype(code).flags & 7)
    raw = MARK + _i(version) + s("|") + NONE + NONE + NONE + _i(8) + _i(8) + _i(flags) \
        + (NONE if version == 4 else b"") + TUPLE
    rep = walk(proto(4) + _dtype(code, raw) + STOP)
    assert rep.verdict == ("unsafe" if differs else "safe"), (d.flags, rep.findings)


@pytest.mark.parametrize("version", [0, 1])
def test_33p_3_old_version_with_flags_on_a_float_array_is_unsafe(version: int) -> None:
    raw = MARK + _i(version) + s("<") + NONE + NONE + NONE + _i(-1) + _i(-1) + _i(1) + TUPLE
    rep = walk(proto(4) + _array(_dtype("f8", raw), _i(0)) + STOP)
    assert rep.verdict == "unsafe", rep.findings
