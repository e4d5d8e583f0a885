"""Red team 31p: numpy dtypes whose layout or item kind makes numpy read raw bytes as pointers.

31p-1: a dtype state whose int field overlaps its object field (or whose object field lies past
the item): numpy's ``arraydescr_setstate`` takes offsets and ``elsize`` as written, so the int
becomes a ``PyObject*`` (segfault inside ``pickle.load``). 31p-2: an object sub-array of 65536
items in an 8-byte item (heap overrun). 31p-3: ``numpy.ndarray((1,), StringDType(), <bytes>)``:
StringDType items are (char*, size) records read through the pointer. 31p-4:
``numpy.rec.recarray(shape, dtype, buf)`` passes ``buf`` to ``ndarray(buffer=)``. mlbom said
``safe`` to all four; the proofs (real loaders in a subprocess) are in /work/redteam-31p."""

from __future__ import annotations

import importlib
import inspect
import pickle
import struct
import time
import warnings

import pytest

from mlbom.formats.pickle import _DTYPE_SINKS, _POINTER_DTYPES, load_policy_data
from tests.formats.pickle_ops import (
    BUILD,
    MARK,
    NEWFALSE,
    NEWTRUE,
    NONE,
    REDUCE,
    STOP,
    TUPLE,
    TUPLE1,
    TUPLE3,
    get,
    glob,
    proto,
    put,
    s,
    walk,
)
from tests.formats.pickle_ops import dtype_state as _st
from tests.formats.pickle_ops import int_op as _i
from tests.formats.pickle_ops import np_dtype as _dtype


def _obj() -> bytes:
    return _dtype("O8", _st(63))


def _i8() -> bytes:
    return _dtype("i8", _st(0, bo="<"))


def _struct(fields: list[tuple[str, bytes, bytes]], elsize: int, flags: int = 27) -> bytes:
    """A void dtype with the given (name, dtype, offset) fields."""
    names = MARK + b"".join(s(n) for n, _, _ in fields) + TUPLE
    body = b"}" + MARK + b"".join(s(n) + MARK + d + off + TUPLE for n, d, off in fields) + b"u"
    return _dtype("V8", _st(flags, elsize, names=names, fields=body))


def _array(dt: bytes, items: bytes = NONE) -> bytes:
    """``_reconstruct(ndarray, (0,), b'b')`` with the state ``(1, (1,), dt, False, [items])``."""
    return glob("numpy._core.multiarray", "_reconstruct") + MARK + glob("numpy", "ndarray") + MARK + _i(0) \
        + TUPLE + b"C\x01b" + TUPLE + REDUCE + MARK + _i(1) + MARK + _i(1) + TUPLE + dt + NEWFALSE + b"]" \
        + MARK + items + TUPLE + b"a" + TUPLE + BUILD


def _mem(rep: object) -> list[str]:
    return [f.message for f in rep.findings if f.id == "pickle.memory"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("offset_a", "offset_b"), [(0, 0), (4, 0), (1 << 20, 0), (-8, 0), (0, 4)])
def test_31p_1_object_field_overlapping_or_outside_the_item_is_unsafe(offset_a: int, offset_b: int) -> None:
    dt = _struct([("a", _obj(), _i(offset_a)), ("b", _i8(), _i(offset_b))], 8)
    rep = walk(proto(4) + _array(dt, NONE + _i(0x41414141)) + STOP)
    assert rep.verdict == "unsafe", rep.findings
    assert any("layout" in m or "overlapping" in m or "outside" in m for m in _mem(rep)), rep.findings


def test_31p_1_int_field_past_the_item_of_an_object_dtype_is_unsafe() -> None:
    """An int field written past the item lands on the next item's object pointer."""
    dt = _struct([("a", _obj(), _i(0)), ("b", _i8(), _i(8))], 8)
    rep = walk(proto(4) + _array(dt, NONE + _i(1)) + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_31p_1_the_dtype_alone_is_unsafe() -> None:
    rep = walk(proto(4) + _struct([("a", _obj(), _i(0)), ("b", _i8(), _i(0))], 8) + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_31p_1_object_field_at_an_offset_mlbom_cannot_tell_is_suspicious() -> None:
    dt = _struct([("a", _obj(), s("0")), ("b", _i8(), _i(8))], 16)
    rep = walk(proto(4) + dt + STOP)
    assert rep.verdict == "suspicious", rep.findings


def test_31p_1_overlapping_non_object_fields_stay_safe() -> None:
    dt = _struct([("a", _i8(), _i(0)), ("b", _i8(), _i(0))], 8, flags=16)
    rep = walk(proto(4) + _array(dt, _i(1) + _i(2)) + STOP)
    assert rep.verdict == "safe", rep.findings
    # but not a field past the item, objects or not: a['c'] reads at data + 100 (red team 75f-5)
    dt = _struct([("a", _i8(), _i(0)), ("b", _i8(), _i(0)), ("c", _i8(), _i(100))], 8, flags=16)
    rep = walk(proto(4) + _array(dt, _i(1) + _i(2) + _i(3)) + STOP)
    assert rep.verdict == "unsafe", rep.findings


@pytest.mark.parametrize(("count", "elsize"), [(65536, 8), (2, 8), (1, 16), (0, 8)])
def test_31p_2_object_subarray_not_filling_the_item_is_unsafe(count: int, elsize: int) -> None:
    sub = MARK + _obj() + MARK + _i(count) + TUPLE + TUPLE
    dt = _dtype("V8", _st(63, elsize, sub=sub))
    rep = walk(proto(4) + _array(dt) + STOP)
    assert rep.verdict == "unsafe", rep.findings
    assert any("sub-array" in m for m in _mem(rep)), rep.findings


def test_31p_2_object_subarray_filling_the_item_is_safe() -> None:
    sub = MARK + _obj() + MARK + _i(2) + TUPLE + TUPLE
    rep = walk(proto(4) + _array(_dtype("V16", _st(63, 16, sub=sub))) + STOP)
    assert rep.verdict == "safe", rep.findings


@pytest.mark.parametrize("maker", [glob("numpy.dtypes", "StringDType") + b")" + REDUCE,
                                   glob("numpy._core._internal", "_convert_to_stringdtype_kwargs")
                                   + MARK + NEWTRUE + TUPLE + REDUCE])
def test_31p_3_stringdtype_with_raw_bytes_is_unsafe(maker: bytes) -> None:
    raw = struct.pack("<QQ", 0x4141414141414141, 64 | (0x70 << 56))
    body = glob("numpy", "ndarray") + MARK + b"K\x01" + TUPLE1 + maker + b"C" + bytes([len(raw)]) + raw + TUPLE \
        + REDUCE
    rep = walk(proto(4) + body + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_31p_3_pointer_dtype_table_matches_numpy() -> None:
    """Every numpy.dtypes class numpy makes without arguments has the object bits mlbom gives it."""
    np = pytest.importorskip("numpy")
    seen = 0
    for name in dir(np.dtypes):
        cls = getattr(np.dtypes, name)
        if not (isinstance(cls, type) and issubclass(cls, np.dtype)):
            continue
        try:
            made = cls()
        except (TypeError, RuntimeError):
            made = cls(4) if name in ("BytesDType", "StrDType") else None
        if made is None:
            continue
        seen += 1
        assert made.flags & 0x7 == _POINTER_DTYPES.get(name, 0), (name, made.flags)
    assert seen > 20


@pytest.mark.parametrize("kw", [False, True])
def test_31p_4_recarray_reads_its_buffer_with_the_dtype(kw: bool) -> None:
    dt = _struct([("a", _obj(), _i(0))], 8)
    raw = b"C\x08" + struct.pack("<Q", 0x4141414141414141)
    if kw:
        body = glob("copyreg", "__newobj_ex__") + glob("numpy.rec", "recarray") + MARK + b"K\x01" + TUPLE1 + dt \
            + TUPLE + b"}" + s("buf") + raw + b"s" + TUPLE3 + REDUCE
    else:
        body = glob("numpy.rec", "recarray") + MARK + b"K\x01" + TUPLE1 + dt + raw + TUPLE + REDUCE
    rep = walk(proto(4) + body + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_31p_4_recarray_with_formats_and_raw_bytes_is_not_safe() -> None:
    body = glob("numpy.rec", "recarray") + MARK + b"K\x01" + TUPLE1 + NONE + b"C\x08" + b"A" * 8 + _i(0) + NONE \
        + s("O") + TUPLE + REDUCE
    rep = walk(proto(4) + body + STOP)
    assert rep.verdict != "safe", rep.findings


# allowlisted numpy/pandas callables with a buffer-like parameter that do NOT read it as raw
# memory with a dtype, and why
_NOT_SINKS = {
    "numpy.char.chararray": "chararray.__new__ takes only S/U dtypes (itemsize, unicode): bytes read as "
                            "characters, never as pointers",
    "numpy.ma.core.MaskedArray": "data= goes through numpy.array(data): a bytes object becomes an S/object "
                                 "value, not memory",
    "numpy.ma.MaskedArray": "same class as numpy.ma.core.MaskedArray",
    "numpy.matrixlib.defmatrix.matrix": "data= goes through numpy.array(data, dtype): converted, not memory",
    "numpy.matrix": "same class as numpy.matrixlib.defmatrix.matrix",
}
_PANDAS_DATA = "a pandas constructor converts data= (numpy.asarray / its own arrays), never reading bytes as memory"

# allowlisted callables whose signature inspect cannot read (C / Cython callables with no
# __text_signature__, or not callables at all), listed BY HAND with a decision each from their
# source (red team 32p: a completeness test built on inspect.signature must not skip them)
_OFFSET = "a pandas DateOffset (Cython): n, normalize and offset keywords (ints, bools, times), no buffer"
_UNREADABLE = {
    "numpy.core.multiarray.scalar": "SINK: scalar(dtype, data) reads data's bytes with dtype",
    "numpy._core.multiarray.scalar": "SINK: scalar(dtype, data) reads data's bytes with dtype",
    "numpy.core.multiarray._reconstruct": "_reconstruct(subtype, shape, dtype_char): allocates an empty array, "
                                          "no buffer (its data comes from __setstate__, judged as array data)",
    "numpy._core.multiarray._reconstruct": "as numpy.core.multiarray._reconstruct",
    "pandas.Interval": "Interval(left, right, closed): scalars, no buffer",
    "pandas.core.internals.blocks.Block": "Block(values, placement, ndim, refs): values is an array object kept "
                                          "as is, never bytes read with a dtype",
    "pandas._libs.tslibs.base.ABCTimestamp": "an abstract base class (datetime subclass): no buffer",
    "pandas.NA": "NA is an instance, not a callable (calling it raises TypeError)",
    "pandas._libs.missing.NA": "as pandas.NA",
    "pandas._libs.sparse.IntIndex": "IntIndex(length, indices, check_integrity): indices converted to int32",
    "pandas._libs.sparse.BlockIndex": "BlockIndex(length, blocs, blengths): int32 arrays converted, no buffer",
    **{f"{m}.{name}": _OFFSET for m in ("pandas", "pandas._libs.tslibs.offsets", "pandas.tseries.offsets")
       for name in ("Day", "Easter", "WeekOfMonth", "LastWeekOfMonth", "SemiMonthEnd", "SemiMonthBegin", "FY5253",
                    "FY5253Quarter", "DateOffset", "MonthEnd", "MonthBegin", "BusinessMonthEnd",
                    "BusinessMonthBegin", "QuarterEnd", "QuarterBegin", "YearBegin", "YearEnd", "Week",
                    "BusinessDay", "Hour", "Minute", "Second", "Milli", "Micro", "Nano", "BQuarterEnd",
                    "BQuarterBegin", "BYearEnd", "BYearBegin", "HalfYearEnd", "HalfYearBegin", "BHalfYearEnd",
                    "BHalfYearBegin", "BusinessHour", "CustomBusinessDay", "CustomBusinessHour", "Tick")},
}


def test_31p_4_every_allowlisted_buffer_taker_is_a_dtype_sink_or_excluded_with_a_reason() -> None:
    pytest.importorskip("numpy")
    checked: list[str] = []
    unreadable: list[str] = []
    for group in load_policy_data()["allow"]:  # type: ignore[attr-defined]
        for key in group["entries"]:
            module, _, qual = key.partition(":")
            if module.split(".")[0] not in ("numpy", "pandas"):
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    obj = importlib.import_module(module)
                    for part in qual.split("."):
                        obj = getattr(obj, part)
            except (ImportError, AttributeError):
                continue  # not importable here (pandas absent, a removed alias)
            path = f"{module}.{qual}"
            try:
                sig = inspect.signature(obj)
            except (TypeError, ValueError) as e:  # no signature inspect can read: decided by hand
                decision = _UNREADABLE.get(path)
                assert decision, f"{path}: inspect cannot read its signature ({e}): read its source and add it " \
                                 "to _UNREADABLE with a decision (a dtype sink also goes into _DTYPE_SINKS)"
                assert decision.startswith("SINK") == (path in _DTYPE_SINKS), (path, decision)
                unreadable.append(path)
                continue
            if not {"buffer", "buf", "data"} & set(sig.parameters):
                continue
            checked.append(path)
            if path in _DTYPE_SINKS:
                continue
            reason = _PANDAS_DATA if module.startswith("pandas") and "buffer" not in sig.parameters \
                and "buf" not in sig.parameters else _NOT_SINKS.get(path)
            assert reason, f"{path} takes a buffer ({sig}): add it to _DTYPE_SINKS or to _NOT_SINKS with a reason"
    assert "numpy.rec.recarray" in checked and "numpy.ndarray" in checked
    assert unreadable  # numpy's C scalar() and _reconstruct at least (numpy 2.x)


def _benign() -> list[object]:
    np = pytest.importorskip("numpy")
    out: list[object] = [
        np.zeros(2, dtype=[("a", "O"), ("b", "f8")]),
        np.zeros(2, dtype=np.dtype([("a", "i1"), ("b", "O")], align=True)),
        np.zeros(2, dtype=np.dtype({"names": ["a", "b"], "formats": ["O", "i4"], "offsets": [0, 16],
                                    "itemsize": 32})),
        np.zeros(2, dtype=np.dtype({"names": ["a", "b"], "formats": ["i8", "i4"], "offsets": [0, 0]})),
        np.zeros(2, dtype=np.dtype({"names": ["a", "b"], "formats": ["O", "f8"], "titles": ["A", "B"]})),
        np.zeros(2, dtype=[("a", "O", (3,)), ("b", [("x", "O"), ("y", "i2", (2,))])]),
        np.zeros(2, dtype=("O", (2, 2))),
        np.rec.fromrecords([(1, "x", None)], names="a,b,c"),
        np.array(["a", "bcd"], dtype=np.dtypes.StringDType()),
        np.dtypes.StringDType(), np.zeros(1, dtype=[("a", "O")])[0],
    ]
    return out


@pytest.mark.parametrize("protocol", [2, 3, 5])
def test_31p_real_numpy_pickles_stay_safe(protocol: int) -> None:
    for value in _benign():
        rep = walk(pickle.dumps(value, protocol=protocol))
        assert rep.verdict == "safe", (value, rep.findings)


@pytest.mark.parametrize("base", ["f8", "O8"])
def test_31p_dtype_dag_is_judged_in_linear_time(base: str) -> None:
    """One memoised dtype named by 30 fields at each of 5 levels (30**5 paths): judged once per
    dtype and depth, not once per path (a plain recursive walk took minutes)."""
    body = _dtype(base, _st(63 if base == "O8" else 0, bo="<")) + put(0)
    for level in range(1, 6):
        fields = [(f"f{k}", get(level - 1), _i(0)) for k in range(30)]
        body += b"0" + _struct(fields, 8, flags=27 if base == "O8" else 0) + put(level)
    start = time.monotonic()
    rep = walk(proto(4) + body + STOP)
    assert time.monotonic() - start < 10
    assert rep.verdict == ("safe" if base == "f8" else "unsafe"), rep.findings
