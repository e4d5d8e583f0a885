"""pyarrow arrays as pandas 3 pickles them (red team 122fp-1), judged as the pickle walker builds them.

pandas >= 3 backs its default ``str`` dtype with pyarrow whenever pyarrow imports, so nearly every
DataFrame, Series or Index pickled with strings (even only column labels) holds an
``ArrowStringArray`` whose ``_pa_array`` pyarrow writes as ``_restore_array((type, length,
null_count, offset, buffers, children, dictionary))`` (``pyarrow/array.pxi``): the type by
``type_for_alias(name)`` (a lookup of a lower-cased alias), each buffer by ``py_buffer(bytes)``.
``_reconstruct_array_data`` hands those to ``ArrayData::Make`` **unvalidated**: a length past the
buffers, or string offsets past the data, are read out of bounds by Arrow's kernels and by
pandas later. :class:`ArrowJudge` reads each ``_restore_array`` call's arguments as they were
when the call ran and checks the layouts pyarrow writes for the primitive, boolean and
(large_)string/binary types (Arrow's columnar format): validity ``>= ceil((offset + length) /
8)`` bytes; fixed-width data ``>= (offset + length) * width``; offsets ``>= offset + length + 1``
entries, never decreasing, from 0, none past the data; ``null_count <= length``; no children and
no dictionary. Anything else (another type, a buffer mlbom cannot read, nested types) is
``suspicious``; a layout no pyarrow writes ``unsafe``. Extension types are never reached: their
pickles name their own classes, which mlbom does not allow (CVE-2023-47248).
"""

from __future__ import annotations

from mlbom.formats.native_state import IndexScan
from mlbom.formats.pickle_native import LibraryJudge, ReadBack, int_value, native_verdict, read_back
from mlbom.formats.pickle_values import NONE, Blob, Call, Dct, Seq, Text, describe, instance_class, made_by

RESTORE_ARRAY = "pyarrow.lib._restore_array"
PY_BUFFER = "pyarrow.lib.py_buffer"
TYPE_FOR_ALIAS = "pyarrow.lib.type_for_alias"
CHUNKED_ARRAY = "pyarrow.lib.chunked_array"

# pandas' Arrow-backed arrays (NEWOBJ + a BUILD of {"_pa_array": ..., "_dtype": ..., "_cache": {}};
# ``ArrowExtensionArray.__setstate__`` passes ``_pa_array`` (or a legacy ``_data``) to
# ``pa.chunked_array``)
ARROW_ARRAYS = frozenset({
    "pandas.arrays.ArrowStringArray", "pandas.core.arrays.string_arrow.ArrowStringArray",
    "pandas.core.arrays.string_arrow.ArrowStringArrayNumpySemantics",
    "pandas.arrays.ArrowExtensionArray", "pandas.core.arrays.arrow.array.ArrowExtensionArray"})

# the layout of each type ``type_for_alias`` returns that mlbom checks: ("null", 0), ("bits", 1),
# ("fixed", bytes per value) or ("var", bytes per offset) (Arrow's columnar format)
_LAYOUTS: dict[str, tuple[str, int]] = {
    "null": ("null", 0), "bool": ("bits", 1), "boolean": ("bits", 1),
    **{a: ("fixed", 1) for a in ("i1", "int8", "u1", "uint8")},
    **{a: ("fixed", 2) for a in ("i2", "int16", "u2", "uint16", "f2", "halffloat", "float16")},
    **{a: ("fixed", 4) for a in ("i4", "int32", "u4", "uint32", "f4", "float", "float32", "date32", "date32[day]",
                                 "time32[s]", "time32[ms]")},
    **{a: ("fixed", 8) for a in ("i8", "int64", "u8", "uint64", "f8", "double", "float64", "date64", "date64[ms]",
                                 "time64[us]", "time64[ns]", "timestamp[s]", "timestamp[ms]", "timestamp[us]",
                                 "timestamp[ns]")},
    **{a: ("var", 4) for a in ("string", "str", "utf8", "binary")},
    **{a: ("var", 8) for a in ("large_string", "large_str", "large_utf8", "large_binary")},
}

_USE = "Arrow's kernels and pandas read its buffers at the length, offset and string offsets it claims, unchecked"


def _args(v: Call) -> list[object] | None:
    return v.args.items if isinstance(v.args, Seq) and v.args.type == "tuple" else None


def _snapshot(v: object) -> object:
    """A ``_restore_array`` data tuple with its lists' items as they are now (the call reads them
    then; a later APPEND does not reach the array)."""
    if isinstance(v, Seq) and v.items is not None:
        return Seq(v.type, [_snapshot(i) for i in v.items]) if v.type == "tuple" else Seq(v.type, list(v.items))
    return v


def restored_length(value: object) -> int | None:
    """The length of an Arrow array or chunked array a pickle makes (``_restore_array``'s
    length; the chunks' total of ``chunked_array``); None when mlbom cannot tell."""
    if not isinstance(value, Call):
        return None
    args = _args(value)
    if made_by(value) == RESTORE_ARRAY:
        data = args[0] if args is not None and len(args) == 1 else None
        items = data.items if isinstance(data, Seq) else None
        n = int_value(items[1]) if items is not None and len(items) == 7 else None
        return n if n is not None and n >= 0 else None
    if made_by(value) == CHUNKED_ARRAY and args:
        chunks = args[0].items if isinstance(args[0], Seq) else None
        lengths = [restored_length(c) for c in chunks or ()]
        if chunks is None or any(n is None for n in lengths):
            return None
        return sum(n for n in lengths if n is not None)
    return None


def pandas_arrow_length(value: object) -> int | None:
    """The length of a pandas Arrow-backed array (:data:`ARROW_ARRAYS`) as its last BUILD left
    it (``_pa_array``, or the legacy ``_data`` that ``__setstate__`` prefers)."""
    if not isinstance(value, Call) or instance_class(value) not in ARROW_ARRAYS:
        return None
    state = value.state
    if not isinstance(state, Dct) or state.items is None or state.loose:
        return None
    data = state.items.get("_data", state.items.get("_pa_array"))
    return restored_length(data)


class _Bytes:
    """A buffer's bytes: its length and, read on demand, its content."""

    def __init__(self, blob: Blob, src: ReadBack) -> None:
        self.blob = blob
        self.src = src

    def scan(self, width: int) -> IndexScan | str:
        scan = IndexScan(width)
        b = self.blob
        if b.data is not None:
            scan.feed(b.data)
        else:
            why = read_back(self.src, b.offset, b.length, scan, "buffer", b.nbytes if b.utf8 else None)
            if why is not None:
                return why
        scan.finish()
        return scan


class ArrowJudge(LibraryJudge):
    """Judges the pyarrow arrays one walk builds (see the module docstring); implements
    :class:`~mlbom.formats.pickle_native.StateJudge`."""

    def made(self, inst: Call, op: str) -> None:
        by = made_by(inst)
        if by not in (RESTORE_ARRAY, PY_BUFFER, TYPE_FOR_ALIAS):
            return
        args = _args(inst)
        arg = args[0] if args is not None and len(args) == 1 and inst.kwargs in (None, NONE) else None
        if by == RESTORE_ARRAY:
            if len(self.reg.arrow_arrays) < 100_000:
                self.reg.arrow_arrays.append((inst, _snapshot(arg)))
            else:
                self.note("pickle.memory", "medium", "more pyarrow arrays than mlbom checks: their layouts are not "
                          "checked", "suspicious", "arrow-layout")
        elif by == PY_BUFFER and not isinstance(arg, Blob):
            # py_buffer takes any object with the buffer protocol: pyarrow writes bytes
            self.note("pickle.memory", "medium", f"pyarrow py_buffer of {describe(arg)}, not bytes: mlbom cannot "
                      "size the buffer its arrays read", "suspicious", "arrow-buffer")
        elif by == TYPE_FOR_ALIAS and not isinstance(arg, str | Text):
            # type_for_alias calls name.lower() on what it is given
            self.note("pickle.memory", "medium", f"pyarrow type_for_alias of {describe(arg)}, not a str: it calls "
                      "that object's lower()", "suspicious", "arrow-type")

    def built(self, inst: Call, cls: str | None, state: object) -> None:
        return

    def judge_end(self, complete: bool, used: set[int] | None) -> None:
        for _inst, data in self.reg.arrow_arrays:
            native_verdict(self.note, "pyarrow array (_restore_array)", self.layout_problem(data), "pyarrow",
                           _USE, "its buffer reads follow", "arrow-layout")

    def buffer(self, v: object) -> _Bytes | str | None:
        """A buffer of the data tuple: None for None, else its bytes; a str: why not readable."""
        if v is NONE:
            return None
        args = _args(v) if isinstance(v, Call) and made_by(v) == PY_BUFFER else None
        blob = args[0] if args is not None and len(args) == 1 else None
        if not isinstance(blob, Blob) or blob.mutated or blob.alt is not None:
            return f"a buffer is {describe(v)}, not py_buffer of bytes mlbom can read"
        return _Bytes(blob, self.src)

    def layout_problem(self, data: object) -> tuple[bool, str] | None:
        """(True, what no pyarrow writes) / (False, why mlbom cannot check it) / None: fine."""
        items = data.items if isinstance(data, Seq) and data.type == "tuple" else None
        if items is None or len(items) != 7:
            return None if data is NONE or isinstance(data, int | float | str) else \
                (False, f"its data ({describe(data)}) is not the 7-tuple pyarrow writes")
        dtype, length, null_count, offset, buffers, children, dictionary = items
        if not isinstance(dtype, Call) or made_by(dtype) != TYPE_FOR_ALIAS:
            return False, f"its type is {describe(dtype)}, not one type_for_alias names"
        alias_args = _args(dtype)
        alias = alias_args[0] if alias_args is not None and len(alias_args) == 1 else None
        layout = _LAYOUTS.get(alias.lower()) if isinstance(alias, str) else None
        if layout is None:
            return False, f"its type ({describe(alias)}) is not one whose layout mlbom checks"
        n, nulls, off = int_value(length), int_value(null_count), int_value(offset)
        if n is None or nulls is None or off is None:
            return False, "its length, null count or offset is not an int"
        if n < 0 or off < 0 or not -1 <= nulls <= n or n + off >= 1 << 62:
            return True, f"length {n}, null count {nulls} and offset {off}"
        if not (isinstance(children, Seq) and children.items == []) or dictionary is not NONE:
            return False, "it has children or a dictionary"
        bufs = buffers.items if isinstance(buffers, Seq) else None
        if bufs is None:
            return False, f"its buffers are {describe(buffers)}"
        kind, width = layout
        end = n + off
        want = {"null": 1, "bits": 2, "fixed": 2, "var": 3}[kind]
        if len(bufs) != want:
            return True, f"{len(bufs)} buffers for a {alias} array of {want}"
        got = [self.buffer(b) for b in bufs]
        why = next((g for g in got if isinstance(g, str)), None)
        if why is not None:
            return False, why
        if kind == "null":
            return None if got[0] is None else (True, "a null array with a buffer")
        validity = got[0]
        if validity is None and nulls > 0:
            return True, f"{nulls} nulls and no validity bitmap"
        if isinstance(validity, _Bytes) and validity.blob.length < (end + 7) // 8:
            return True, f"a validity bitmap of {validity.blob.length} bytes for {end} values"
        values = got[-1]
        size = values.blob.length if isinstance(values, _Bytes) else 0
        if kind in ("bits", "fixed"):
            need = (end + 7) // 8 if kind == "bits" else end * width
            return None if size >= need else (True, f"{size} data bytes for {end} values of {alias}")
        offsets = got[1]
        if not isinstance(offsets, _Bytes):
            return (True, "no offsets buffer") if end else None
        if offsets.blob.length < (end + 1) * width:
            return True, f"an offsets buffer of {offsets.blob.length} bytes for {end} values of {alias}"
        scan = offsets.scan(width)
        if isinstance(scan, str):
            return False, f"its offsets {scan}"
        if scan.problem is not None:
            return True, f"its offsets: {scan.problem}"
        if not scan.ascending or (scan.low is not None and scan.low < 0):
            return True, "its string offsets decrease or are negative"
        if scan.high is not None and scan.high > size:
            return True, f"a string offset {scan.high} past its {size} data bytes"
        return None
