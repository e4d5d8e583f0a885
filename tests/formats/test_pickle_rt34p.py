"""Red team 34p: the arguments of ``numpy.dtype(code, align, copy)``; record and fast-pickler
false positives.

34p-2: ``numpy.dtype('i1,O', True)`` is numpy's 16-byte aligned struct (object at offset 8), not
the 9 bytes of the code alone: an outer struct laid out around 9 bytes lets an int field overwrite
the object pointer. 34p-3: the same hole desyncs joblib's array stepping (an ``'i1,i8'`` array
read 2x16 bytes by joblib, stepped 2x9 by mlbom). 34p-4: ``joblib.dump`` of an object record
dtype (``numpy.dtype(numpy.record)`` plus a state) was ``error``. 34p-5: a titled object dtype
written with ``Pickler.fast`` (the title entry an equal copy, not the same object) was
``suspicious``. The loader proofs are in /work/redteam-34p."""

from __future__ import annotations

import io
import pickle
import struct
from pathlib import Path

import pytest

from mlbom.formats.pickle_values import maker_code
from mlbom.scanner import scan_bytes, scan_file
from tests.formats.pickle_ops import BUILD, MARK, NEWFALSE, NEWTRUE, NONE, REDUCE, STOP, TUPLE, glob, proto, s, walk
from tests.formats.pickle_ops import dtype_state as _st
from tests.formats.pickle_ops import int_op as _i


def _dtype(code: str, state: bytes | None = None, args: bytes = NEWFALSE + NEWTRUE) -> bytes:
    out = glob("numpy", "dtype") + MARK + s(code) + args + TUPLE + REDUCE
    return out + state + BUILD if state is not None else out


def _array(dt: bytes, items: bytes) -> bytes:
    return glob("numpy._core.multiarray", "_reconstruct") + MARK + glob("numpy", "ndarray") + MARK + _i(0) \
        + TUPLE + b"C\x01b" + TUPLE + REDUCE + MARK + _i(1) + MARK + _i(1) + TUPLE + dt + NEWFALSE + b"]" \
        + MARK + items + TUPLE + b"a" + TUPLE + BUILD


def build_aligned_inner(mode: str, args: bytes = NEWTRUE + NEWTRUE, code: str = "i1,O") -> bytes:
    """34p-2: ``{'a': (dtype(code, *args), 0), 'b': (i8, 9)}`` in 24 bytes (``sub``: a 1-item
    sub-array of the inner dtype in a 9-byte item); ``pop`` drops the array inside the load."""
    inner = _dtype(code, args=args)
    if mode == "sub":
        dt = _dtype("V9", _st(27, 9, sub=MARK + inner + MARK + _i(1) + TUPLE + TUPLE))
        items = b"]" + MARK + MARK + _i(7) + b"]" + TUPLE + b"e"
    else:
        names = MARK + s("a") + s("b") + TUPLE
        fields = b"}" + MARK + s("a") + MARK + inner + _i(0) + TUPLE + s("b") + MARK \
            + _dtype("i8", _st(0, bo="<")) + _i(9) + TUPLE + b"u"
        dt = _dtype("V24", _st(27, 24, names=names, fields=fields))
        items = MARK + MARK + _i(7) + b"]" + TUPLE + _i(0x41414141) + TUPLE
    return proto(4) + _array(dt, items) + (b"0N" if mode == "pop" else b"") + STOP


@pytest.mark.parametrize("mode", ["keep", "pop", "sub"])
@pytest.mark.parametrize("args", [NEWTRUE + NEWTRUE, NEWTRUE, _i(1) + NEWFALSE, _i(2)])
def test_34p_2_aligned_struct_code_is_not_safe(mode: str, args: bytes) -> None:
    rep = walk(build_aligned_inner(mode, args))
    assert rep.verdict != "safe", rep.findings


@pytest.mark.parametrize("args", [s("x") + NEWTRUE, NEWFALSE + NEWTRUE + b"}", NEWFALSE + NEWTRUE + NONE,
                                  NONE + NEWTRUE, NEWFALSE + s("no")])
def test_34p_2_maker_arguments_mlbom_does_not_read_are_not_safe(args: bytes) -> None:
    """A non-int align/copy, a fourth (metadata) argument: cannot be modelled."""
    rep = walk(build_aligned_inner("keep", args))
    assert rep.verdict != "safe", rep.findings


def test_34p_2_keyword_arguments_are_not_safe() -> None:
    """``numpy.dtype.__new__(numpy.dtype, 'i1,O', align=True)`` by NEWOBJ_EX."""
    names = MARK + s("a") + s("b") + TUPLE
    # NEWOBJ_EX takes (cls, args, kwargs): cls is numpy.dtype itself
    inner = glob("numpy", "dtype") + MARK + s("i1,O") + TUPLE + b"}" + s("align") + NEWTRUE + b"s" + b"\x92"
    fields = b"}" + MARK + s("a") + MARK + inner + _i(0) + TUPLE + s("b") + MARK \
        + _dtype("i8", _st(0, bo="<")) + _i(9) + TUPLE + b"u"
    dt = _dtype("V24", _st(27, 24, names=names, fields=fields))
    rep = walk(proto(4) + _array(dt, MARK + MARK + _i(7) + b"]" + TUPLE + _i(1) + TUPLE) + STOP)
    assert rep.verdict != "safe", rep.findings


@pytest.mark.parametrize("align", [NEWFALSE, _i(0)])
def test_34p_2_unaligned_struct_code_still_sized(align: bytes) -> None:
    """With a false align the code's packed size holds: b at 9 does not overlap a's object at 1..9."""
    rep = walk(build_aligned_inner("keep", align + NEWTRUE))
    assert rep.verdict == "safe", rep.findings


_CODES = ["O", "i8", "i1", "V8", "S3", "U2", "2O", "(2,)O", "(2,3)i1", "i1,O", "O,i1", "i1,i8", "(2,)i1,O",
          "i1,(2,)i8", "i2,i1", "f8,i1", "S3,O", "U1,i1", "i1, O", "2i1", "M8[s],i1", "O,O", "c16,i1", "b,h,i"]


@pytest.mark.parametrize("code", _CODES)
@pytest.mark.parametrize("align", [False, True, 0, 1])
def test_34p_2_maker_code_is_numpy_size_or_cannot_model(code: str, align: object) -> None:
    """Whatever ``maker_code`` sizes, numpy sizes the same (or mlbom says it cannot tell)."""
    np = pytest.importorskip("numpy")
    raw = proto(4) + _dtype(code, args=(NEWTRUE if align is True else NEWFALSE if align is False
                                        else _i(int(align))) + NEWTRUE) + STOP  # type: ignore[call-overload]
    rep = walk(raw)
    assert rep.complete or rep.verdict != "safe"
    from mlbom.formats.pickle_values import Call, Global, Seq  # the walker's symbolic values
    call = Call(Global.__new__(Global), Seq("tuple", [code, align, True]))
    got = maker_code(call)
    want = np.dtype(code, bool(align))
    if got is not None:
        assert (got.itemsize, got.hasobject) == (want.itemsize, want.hasobject), code
    elif not align:
        pytest.fail(f"{code!r} unaligned must be modelled")


def build_joblib_align(code: str = "i1,i8", align: bytes = NEWTRUE) -> bytes:
    """34p-3: a NumpyArrayWrapper of dtype('i1,i8', align) and shape (2,), 32 array bytes,
    then what joblib runs next; mlbom stepping 18 bytes would land inside the array."""
    def u(t: str) -> bytes:
        return s(t) + b"\x94"
    pk = (u("joblib.numpy_pickle") + u("NumpyArrayWrapper") + b"\x93\x94)\x81\x94}\x94(" + u("subclass")
          + u("numpy") + u("ndarray") + b"\x93\x94" + u("shape") + b"K\x02\x85\x94" + u("order") + u("C")
          + u("dtype") + u("numpy") + u("dtype") + b"\x93\x94" + u(code) + align + b"\x88\x87\x94R\x94"
          + u("allow_mmap") + b"\x88" + u("numpy_array_alignment_bytes") + b"K\x10ub")
    head = b"\x80\x04\x95" + struct.pack("<Q", len(pk)) + pk
    pad = 16 - (len(head) + 1) % 16
    evil = b"0" + b"cposix\nsystem\n" + MARK + s("touch /tmp/x") + TUPLE + REDUCE + STOP
    data = bytearray(32)
    data[18:20] = b"C" + bytes([32 - 18 - 2 + len(evil)])
    return head + bytes([pad]) + b"\xff" * pad + bytes(data) + evil + b"0."


def test_34p_3_joblib_array_of_aligned_struct_is_not_stepped() -> None:
    rep = scan_bytes(build_joblib_align(), "m.joblib")
    assert rep.verdict in ("error", "unsafe"), rep.findings


def test_34p_3_joblib_array_of_aligned_scalar_code_is_stepped() -> None:
    """align does not change a plain scalar code: dtype('i8', True) is 8 bytes (2x8 = 16 here)."""
    def u(t: str) -> bytes:
        return s(t) + b"\x94"
    pk = (u("joblib.numpy_pickle") + u("NumpyArrayWrapper") + b"\x93\x94)\x81\x94}\x94(" + u("subclass")
          + u("numpy") + u("ndarray") + b"\x93\x94" + u("shape") + b"K\x02\x85\x94" + u("order") + u("C")
          + u("dtype") + u("numpy") + u("dtype") + b"\x93\x94" + u("i8") + b"\x88\x88\x87\x94R\x94"
          + u("allow_mmap") + b"\x88" + u("numpy_array_alignment_bytes") + b"K\x10ub")
    head = b"\x80\x04\x95" + struct.pack("<Q", len(pk)) + pk
    pad = 16 - (len(head) + 1) % 16
    rep = scan_bytes(head + bytes([pad]) + b"\xff" * pad + bytes(16) + b".", "m.joblib")
    assert rep.verdict == "safe", rep.findings


# --- 34p-4: joblib dump of an object record dtype ---------------------------------------------

def test_34p_4_joblib_object_record_dtype_is_safe(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    joblib = pytest.importorskip("joblib")
    for i, dt in enumerate([np.dtype((np.record, [("a", "O")])), np.dtype((np.record, [("a", "O"), ("b", "i8")])),
                            np.dtype((np.record, [("a", "i4"), ("b", "f8")]))]):
        path = tmp_path / f"r{i}.joblib"
        joblib.dump(np.zeros(2, dt), path)
        assert scan_file(path).verdict == "safe", dt
    buf = io.BytesIO()
    joblib.dump(np.zeros(3, np.dtype((np.record, [("a", "O")]))).view(np.recarray), buf)
    assert scan_bytes(buf.getvalue(), "m.joblib").verdict == "safe"


# --- 34p-5: Pickler.fast and titles -------------------------------------------------------------

def _fast(obj: object, protocol: int) -> bytes:
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=protocol)
    p.fast = True
    p.dump(obj)
    return buf.getvalue()


@pytest.mark.parametrize("spec", [
    {"names": ["x", "y"], "formats": ["O", "i8"], "titles": ["TX", "TY"]},
    {"names": ["x"], "formats": ["O"], "titles": ["X"]},
    {"names": ["x", "y"], "formats": ["i8", [("p", "O"), ("q", "i4")]], "titles": ["X", "Y"]},
])
@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_34p_5_fast_pickler_titled_object_dtype_is_safe(spec: object, protocol: int) -> None:
    np = pytest.importorskip("numpy")
    a = np.zeros(2, dtype=np.dtype(spec))  # type: ignore[call-overload]
    rep = walk(_fast(a, protocol))
    assert rep.verdict == "safe", rep.findings


def _titled(title_dtype: bytes, title_offset: int) -> bytes:
    """``{'x': (O, 0, 'TX'), 'TX': (title_dtype, title_offset, 'TX'), 'y': (i8, 8)}`` in 16 bytes."""
    names = MARK + s("x") + s("y") + TUPLE
    fields = b"}" + MARK + s("x") + MARK + _dtype("O", _st(63)) + _i(0) + s("TX") + TUPLE \
        + s("TX") + MARK + title_dtype + _i(title_offset) + s("TX") + TUPLE \
        + s("y") + MARK + _dtype("i8", _st(0, bo="<")) + _i(8) + TUPLE + b"u"
    dt = _dtype("V16", _st(27, 16, names=names, fields=fields))
    return proto(4) + _array(dt, MARK + NONE + _i(1) + TUPLE) + STOP


def test_34p_5_equal_copy_of_the_titled_field_is_its_alias() -> None:
    rep = walk(_titled(_dtype("O", _st(63)), 0))
    assert rep.verdict == "safe", rep.findings


@pytest.mark.parametrize("title_dtype,offset", [
    (_dtype("O", _st(63)), 8),             # same dtype, another offset: overlaps y
    (_dtype("2O"), 0),                     # another structure
    (_dtype("O", _st(63, bo="<")), 0),     # a state that differs
    (_dtype("O", _st(63), args=NEWTRUE + NEWTRUE), 0),
])
def test_34p_5_title_entry_that_differs_is_not_an_alias(title_dtype: bytes, offset: int) -> None:
    rep = walk(_titled(title_dtype, offset))
    assert rep.verdict != "safe", rep.findings
