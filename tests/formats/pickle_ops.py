"""Raw pickle opcodes for building adversarial pickles by hand in tests (no pickler involved)."""

from __future__ import annotations

import io
import pickle
import struct

from mlbom.formats.pickle import PickleReport, read_pickle

MARK, STOP, POP, DUP, NONE = b"(", b".", b"0", b"2", b"N"
REDUCE, BUILD, NEWOBJ, NEWOBJ_EX = b"R", b"b", b"\x81", b"\x92"
TUPLE, TUPLE1, TUPLE2, TUPLE3, EMPTY_TUPLE = b"t", b"\x85", b"\x86", b"\x87", b")"
EMPTY_DICT, EMPTY_LIST, SETITEM, SETITEMS, APPEND, APPENDS = b"}", b"]", b"s", b"u", b"a", b"e"
STACK_GLOBAL, MEMOIZE, OBJ = b"\x93", b"\x94", b"o"
NEWTRUE, NEWFALSE = b"\x88", b"\x89"


def proto(n: int) -> bytes:
    return b"\x80" + bytes([n])


def glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def inst(module: str, name: str) -> bytes:
    return b"i" + module.encode() + b"\n" + name.encode() + b"\n"


def s(text: str) -> bytes:
    """SHORT_BINUNICODE (BINUNICODE when long)."""
    b = text.encode()
    if len(b) < 256:
        return b"\x8c" + bytes([len(b)]) + b
    return b"X" + struct.pack("<I", len(b)) + b


def bs(text: str) -> bytes:
    """SHORT_BINSTRING (protocol 1/2 str)."""
    b = text.encode()
    return b"U" + bytes([len(b)]) + b


def bb(data: bytes) -> bytes:
    """BINBYTES."""
    return b"B" + struct.pack("<I", len(data)) + data


def i1(n: int) -> bytes:
    return b"K" + bytes([n])


def int_op(n: int) -> bytes:
    """BININT for a 32-bit int, else LONG1 of 8 bytes."""
    return b"J" + struct.pack("<i", n) if -(2**31) <= n < 2**31 else b"\x8a\x08" + struct.pack("<q", n)


def np_dtype(code: str, state: bytes | None = None) -> bytes:
    """``numpy.dtype(code, False, True)`` as numpy's pickler writes it, then BUILD with ``state``."""
    out = glob("numpy", "dtype") + s(code) + NEWFALSE + NEWTRUE + TUPLE3 + REDUCE
    return out + state + BUILD if state is not None else out


def dtype_state(flags: int, elsize: int = -1, sub: bytes = NONE, names: bytes = NONE, fields: bytes = NONE,
                bo: str = "|", version: int = 3) -> bytes:
    """A numpy dtype's 8-item ``__setstate__`` tuple (version, byte order, subarray, names,
    fields, elsize, alignment 1, flags)."""
    return MARK + int_op(version) + s(bo) + sub + names + fields + int_op(elsize) + int_op(1) + int_op(flags) + TUPLE


def put(n: int) -> bytes:
    return b"q" + bytes([n])


def get(n: int) -> bytes:
    return b"h" + bytes([n])


def sglobal(module: str, name: str) -> bytes:
    return s(module) + s(name) + STACK_GLOBAL


def call(func: bytes, *args: bytes) -> bytes:
    """func(*args) with REDUCE."""
    return func + MARK + b"".join(args) + TUPLE + REDUCE


def adam_with_group(group: bytes) -> bytes:
    """torch.optim.Adam.__new__ + BUILD {'defaults': {}, 'state': {}, 'param_groups': [group]}:
    Adam.__setstate__ reads group["params"] while the pickle loads."""
    return glob("torch.optim.adam", "Adam") + EMPTY_TUPLE + NEWOBJ + MARK + s("defaults") + EMPTY_DICT \
        + s("state") + EMPTY_DICT + s("param_groups") + EMPTY_LIST + group + APPEND + b"d" + BUILD


def categorical_with_state(state: bytes) -> bytes:
    """pandas.Categorical.__new__ + BUILD state: its __setstate__ reads state["_categories"]."""
    return glob("pandas", "Categorical") + EMPTY_TUPLE + NEWOBJ + state + BUILD


def defaultdict_of(factory: bytes) -> bytes:
    """collections.defaultdict(factory)."""
    return call(glob("collections", "defaultdict"), factory)


def system(cmd: str = "id", module: str = "os") -> bytes:
    return call(glob(module, "system"), s(cmd))


def walk(data: bytes, **kw: object) -> PickleReport:
    return read_pickle(io.BytesIO(data), len(data), **kw)  # type: ignore[arg-type]


def ids(rep: PickleReport) -> set[str]:
    return {f.id for f in rep.findings}


def legacy_torch_blob(main: bytes) -> bytes:
    """What ``torch.save(..., _use_new_zipfile_serialization=False)`` writes: magic number,
    protocol version and sys info pickles, the main pickle, the storage keys pickle."""
    return (pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2)
            + pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2)
            + main + pickle.dumps([], protocol=2))


def load_from_bytes(blob: bytes, protocol: int = 3) -> bytes:
    """A pickle calling ``torch.storage._load_from_bytes(blob)``."""
    return proto(protocol) + call(glob("torch.storage", "_load_from_bytes"), bb(blob)) + STOP


def dump_as(obj: object, how: str) -> bytes:
    """``obj`` written as a real library writes it: ``how`` is a pickle protocol ("2".."5"),
    "joblib" (zlib level 3) or "pandas-gzip" (``pandas.to_pickle``); joblib and pandas are
    imported only when asked for (the scikit-learn tier installs them)."""
    out = io.BytesIO()
    if how == "joblib":
        import joblib  # type: ignore[import-untyped]

        joblib.dump(obj, out, compress=3)
    elif how == "pandas-gzip":
        import pandas as pd  # type: ignore[import-untyped]

        pd.to_pickle(obj, out, compression="gzip")
    else:
        return pickle.dumps(obj, protocol=int(how))
    return out.getvalue()
