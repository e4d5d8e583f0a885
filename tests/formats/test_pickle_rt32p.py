"""Red team 32p: a numpy dtype sink reached through a ``functools.partial`` made at load.

32p-1: ``functools.partial(numpy.ndarray, (1,), dtype('O8'))`` REDUCEd with ``(<8 raw bytes>,)``
(or a ``partial(numpy.ndarray)`` whose ``__setstate__`` binds ``buffer=<8 raw bytes>``, called
with ``((1,), dtype('O8'))``): ``partial.__call__`` makes ``ndarray(shape, O, buffer=raw)``, which
reads the bytes as a ``PyObject*`` (a chosen address is read back as that object; 0x41.. segfaults).
mlbom stopped at "a callable produced at load time" (``suspicious``) and never applied the dtype
sink check to the merged call; a STORED partial binding all of it (a gadget the program calls
later) was not judged either. The proofs run the real ``pickle.load`` in a throw-away subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.formats.pickle_ops import (
    EMPTY_DICT,
    EMPTY_TUPLE,
    MARK,
    NONE,
    OBJ,
    REDUCE,
    SETITEM,
    STOP,
    TUPLE,
    TUPLE1,
    TUPLE3,
    bb,
    glob,
    i1,
    proto,
    s,
    walk,
)

BUILD, NEWTRUE, NEWFALSE = b"b", b"\x88", b"\x89"
PTR = b"RT32PPTR"  # 8 bytes the proofs replace with a chosen address
PARTIAL, NDARRAY = glob("functools", "partial"), glob("numpy", "ndarray")
SHAPE = i1(1) + TUPLE1


def _dtype(code: str) -> bytes:
    return glob("numpy", "dtype") + s(code) + NEWFALSE + NEWTRUE + TUPLE3 + REDUCE


def _partial(func: bytes, *args: bytes) -> bytes:
    return PARTIAL + MARK + func + b"".join(args) + TUPLE + REDUCE


def _reduce_call(callee: bytes, *args: bytes) -> bytes:
    return callee + MARK + b"".join(args) + TUPLE + REDUCE


def _setstate_partial(func: bytes, args: bytes, kw: bytes) -> bytes:
    """``partial(func)`` whose ``__setstate__((func, args, kw, None))`` sets what it binds."""
    return _partial(NDARRAY) + MARK + func + args + kw + NONE + TUPLE + BUILD


def _buffer_kw(raw: bytes) -> bytes:
    return EMPTY_DICT + s("buffer") + bb(raw) + SETITEM


def _cases(dt: str, raw: bytes = PTR) -> dict[str, bytes]:
    d = _dtype(dt)
    return {
        # partial(ndarray, (1,), O)(raw)
        "bound-shape-dtype": _reduce_call(_partial(NDARRAY, SHAPE, d), bb(raw)),
        # partial(ndarray) with __setstate__ binding buffer=raw, called with ((1,), O)
        "setstate-buffer": _reduce_call(_setstate_partial(NDARRAY, EMPTY_TUPLE, _buffer_kw(raw)), SHAPE, d),
        # partial(partial(ndarray, (1,)), O)(raw): the inner partial's bound arguments come first
        "nested": _reduce_call(_partial(_partial(NDARRAY, SHAPE), d), bb(raw)),
        # everything bound, called with nothing
        "all-bound": _reduce_call(_partial(NDARRAY, SHAPE, d, bb(raw))),
        # OBJ calls a partial that is not a type: partial(*args)
        "obj": MARK + _partial(NDARRAY, SHAPE, d) + bb(raw) + OBJ,
        # __setstate__ binds (1,) and buffer=raw; the call adds the dtype after the bound positionals
        "setstate-bound-args": _reduce_call(_setstate_partial(NDARRAY, MARK + SHAPE + TUPLE,
                                                                  _buffer_kw(raw)), d),
    }


@pytest.mark.parametrize("name", sorted(_cases("O8")))
def test_32p_1_object_dtype_sink_through_a_called_partial_is_unsafe(name: str) -> None:
    rep = walk(proto(3) + _cases("O8")[name] + STOP)
    assert rep.verdict == "unsafe", rep.findings
    assert any(f.id == "pickle.memory" and f.effect == "unsafe" for f in rep.findings), rep.findings


def test_32p_1_stored_partial_binding_a_sink_with_an_object_dtype_and_raw_bytes_is_unsafe() -> None:
    # not called at load: the program calls it later (a memory-corruption gadget)
    for body in (_partial(NDARRAY, SHAPE, _dtype("O8"), bb(PTR)),
                 _partial(_partial(NDARRAY, SHAPE), _dtype("O8"), bb(PTR)),  # a partial of a partial
                 _setstate_partial(NDARRAY, MARK + SHAPE + _dtype("O8") + TUPLE, _buffer_kw(PTR)),
                 PARTIAL + MARK + NDARRAY + SHAPE + _dtype("O8") + TUPLE + EMPTY_DICT + s("buffer") + bb(PTR)
                 + SETITEM + b"\x92"):  # NEWOBJ_EX partial(ndarray, (1,), O, buffer=raw)... as partial.__new__
        rep = walk(proto(4) + body + STOP)
        assert rep.verdict == "unsafe", rep.findings
    # the same with float64: numbers read from bytes, data
    rep = walk(proto(4) + _partial(_partial(NDARRAY, SHAPE), _dtype("f8"), bb(PTR)) + STOP)
    assert rep.verdict == "safe", rep.findings


def test_32p_1_untracked_bound_arguments_stay_suspicious() -> None:
    # the partial's bound arguments are a persistent object: not known, never safe
    body = _reduce_call(PARTIAL + NDARRAY + TUPLE1 + REDUCE + MARK + NDARRAY + s("pid") + b"Q" + EMPTY_DICT
                        + NONE + TUPLE + BUILD, bb(PTR))
    rep = walk(proto(3) + body + STOP)
    assert rep.verdict in ("suspicious", "unsafe"), rep.findings


@pytest.mark.parametrize("name", sorted(_cases("f8")))
def test_32p_1_benign_float_partial_is_not_unsafe(name: str) -> None:
    # partial(numpy.ndarray, (1,), dtype('f8'))(raw): floats read from bytes, no pointers; still a
    # callable made at load (suspicious, as before), never unsafe
    rep = walk(proto(3) + _cases("f8")[name] + STOP)
    assert rep.verdict == "suspicious", rep.findings
    assert not any(f.id == "pickle.memory" for f in rep.findings), rep.findings


_PROOF = """
import pickle, struct, sys
data = bytes.fromhex(sys.argv[1])
marker = ('MARKER-32p', 12345)
a = pickle.loads(data.replace(b'RT32PPTR', struct.pack('<Q', id(marker))))
print(a.dtype, a.reshape(-1)[0] is marker)
"""


@pytest.mark.parametrize("name", ["bound-shape-dtype", "setstate-buffer", "nested", "obj"])
def test_32p_1_proof_the_real_loader_reads_the_bytes_as_a_pointer(name: str) -> None:
    pytest.importorskip("numpy")
    data = proto(3) + _cases("O8")[name] + STOP
    r = subprocess.run([sys.executable, "-c", _PROOF, data.hex()], capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["object", "True"], (r.stdout, r.stderr[-500:])
