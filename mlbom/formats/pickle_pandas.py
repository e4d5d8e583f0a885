"""pandas objects nearly every pickle holds, judged as the pickle walker builds them
(docs/scanning.md, "Native model state used after load": red teams 63f-74f).

pandas restores several objects without checking what their Cython code later follows with
bounds checks off: a DataFrame's ``BlockManager`` block placements, a Categorical's codes
against its categories, a MultiIndex's codes against its levels, a masked array's mask against
its data, and the typed ``_ndarray`` of arrays created with ``__new__``. :class:`PandasJudge`
reads the states as pandas' own ``__setstate__``/``_new_Index``/``_unpickle_block`` take them
and notes what no pandas writes (``unsafe``) or what mlbom cannot read (``suspicious``). The
:class:`~mlbom.formats.pickle_native.NativeJudge` calls it at the same points of the walk.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlbom.formats.pickle_arrow import ARROW_ARRAYS, pandas_arrow_length
from mlbom.formats.pickle_native import (
    LibraryJudge,
    ObjectArray,
    ReadBack,
    array_dims,
    array_dtype,
    index_scan,
    int_value,
    native_verdict,
    no_mapping,
    plain_itemsize,
    truth_values,
)
from mlbom.formats.pickle_values import (
    FROMBUFFERS,
    NONE,
    PYX_UNPICKLE,
    RECONSTRUCTS,
    Call,
    Dct,
    Global,
    Opaque,
    Seq,
    Text,
    bare_class,
    describe,
    instance_class,
    made_by,
)

# pandas' arrays backed by a typed ``cdef readonly ndarray _ndarray`` (``NDArrayBacked``), as
# the allowlist spells them: created with ``__new__`` (Cython's ``__pyx_unpickle_NDArrayBacked``,
# NEWOBJ, copyreg) the field is None until a state sets it, and their methods read array fields
# from it unchecked
NDARRAY_BACKED = frozenset({
    "pandas.Categorical", "pandas.arrays.Categorical", "pandas.core.arrays.categorical.Categorical",
    "pandas.arrays.DatetimeArray", "pandas.core.arrays.datetimes.DatetimeArray",
    "pandas.arrays.TimedeltaArray", "pandas.core.arrays.timedeltas.TimedeltaArray",
    "pandas.arrays.PeriodArray", "pandas.core.arrays.period.PeriodArray",
    "pandas.arrays.StringArray", "pandas.core.arrays.string_.StringArray",
    "pandas.arrays.NumpyExtensionArray", "pandas.core.arrays.numpy_.NumpyExtensionArray"})


_MASKED = frozenset({"IntegerArray", "FloatingArray", "BooleanArray"})  # pandas' BaseMaskedArray classes


_BLOCK_MANAGER = "pandas.core.internals.managers.BlockManager"
_SINGLE_BLOCK_MANAGER = "pandas.core.internals.managers.SingleBlockManager"
_ROWS_USE = "repr, take, reindex, sort_index and groupby's cumulative kernels read its values at the index's " \
            "positions with bounds checks off"


_BLOCK_MAKERS = frozenset({"pandas._libs.internals._unpickle_block", "pandas.core.internals.blocks.new_block"})


_NEW_INTERVAL_INDEX = "pandas.core.indexes.interval._new_IntervalIndex"
_NEW_INDEX = frozenset({"pandas.core.indexes.base._new_Index", "pandas.core.indexes.datetimes._new_DatetimeIndex",
                        "pandas.core.indexes.timedeltas._new_TimedeltaIndex", _NEW_INTERVAL_INDEX})


_RAISES = Opaque("a state pandas refuses")  # the load raises: nothing is used


# pandas' Index classes as the allowlist spells them: ``__reduce__`` is ``(_new_Index, (cls, d),
# None)`` and Index has no ``__setstate__``, so a BUILD is pickle's ``__dict__`` update of
# whatever the state holds (red team 75f-4)
_INDEX_NAMES = frozenset({"Index", "RangeIndex", "MultiIndex", "DatetimeIndex", "TimedeltaIndex", "PeriodIndex",
                          "CategoricalIndex", "IntervalIndex"})


def _an_index_class(cls: str | None) -> bool:
    return cls is not None and cls.startswith("pandas.") and cls.rsplit(".", 1)[-1] in _INDEX_NAMES \
        and (cls.count(".") == 1 or cls.startswith("pandas.core.indexes."))


_SPARSE_ARRAYS = frozenset({"pandas.arrays.SparseArray", "pandas.core.arrays.sparse.array.SparseArray",
                            "pandas.core.arrays.sparse.SparseArray"})
_INT_INDEX = "pandas._libs.sparse.IntIndex"
_BLOCK_INDEX = "pandas._libs.sparse.BlockIndex"


def _an_ndarray(value: object) -> bool:
    """``value`` is a numpy array (of any shape or subclass) as pickled: numpy's ``_reconstruct``
    or ``_frombuffer``, a joblib array, a shape mlbom read."""
    if isinstance(value, ObjectArray):  # a joblib object array: what its nested pickle made
        value = value.value
    return array_dims(value, any_order=True) is not None \
        or (isinstance(value, Call) and (made_by(value) in RECONSTRUCTS or made_by(value) in FROMBUFFERS))


def _backed_pops(state: object, cls: str) -> None:
    """What pandas' ``__setstate__`` does to a dict state it is given (the dict object itself: a
    later BUILD with the same dict sees it so; red team 65f-2): a Categorical's ``_codes`` becomes
    ``_ndarray`` and a missing ``_dtype`` is made; ``_data`` (else ``_ndarray``) and ``_dtype``
    are popped."""
    if isinstance(state, Seq) and state.type == "tuple" and state.items is not None and len(state.items) == 1:
        state = state.items[0]
    if not isinstance(state, Dct) or state.items is None:
        return
    items = state.items
    if "Categorical" in cls:
        if "_dtype" not in items:
            items["_dtype"] = Opaque("a CategoricalDtype")
        if "_codes" in items and "_ndarray" not in items:
            items["_ndarray"] = items.pop("_codes")
    if "_data" in items:
        items.pop("_data")
    elif "_ndarray" in items:
        items.pop("_ndarray")
    else:
        return  # ValueError: nothing more is done
    items.pop("_dtype", None)


def _backed_state(inst: Call, cls: str) -> tuple[object, object]:
    """What an NDArrayBacked array's ``_ndarray`` and ``_dtype`` end up with: from its last
    BUILD's state (pandas' ``__setstate__``: a ``(data, dtype[, attrs])`` tuple — pandas 3 writes
    two — swapped where the dtype slot holds the ndarray; a dict's ``_data``/``_ndarray`` (a
    Categorical's ``_codes``) and ``_dtype``; a 1-tuple of a dict), else from the Cython helper's
    state (``(_dtype, _ndarray, __dict__)``). The data is None where nothing sets it and
    :data:`_RAISES` where pandas raises on the state; the dtype None where mlbom cannot tell."""
    state = inst.state
    if state is None:
        args = inst.args.items if isinstance(inst.args, Seq) else None
        pyx = args[2] if args is not None and len(args) == 3 and PYX_UNPICKLE in (made_by(inst) or "") else None
        items = pyx.items if isinstance(pyx, Seq) else None
        dtype = items[0] if items else None
        if items is not None and len(items) >= 2:
            return items[1], dtype
        return (None if pyx is None or pyx is NONE else Opaque("a state mlbom cannot read")), dtype
    if state is NONE:
        return _RAISES, None  # __setstate__(None): NotImplementedError
    if isinstance(state, Seq) and state.type == "tuple" and state.items is not None:
        items = state.items
        if len(items) == 1 and isinstance(items[0], Dct):
            state = items[0]
        elif len(items) in (2, 3):
            return (items[1], items[0]) if _an_ndarray(items[1]) else (items[0], items[1])
        else:
            return _RAISES, None
    if isinstance(state, Dct):
        if state.items is None or state.loose:
            return Opaque("a dict mlbom cannot read"), None
        keys = ("_data", "_ndarray", "_codes") if "Categorical" in cls else ("_data", "_ndarray")
        for key in keys:
            if key in state.items:
                return state.items[key], state.items.get("_dtype")
        return _RAISES, None
    if isinstance(state, Seq) and state.items is not None:
        return _RAISES, None  # a list: NotImplementedError
    return Opaque("a state mlbom cannot read"), None


def _placement(value: object, src: ReadBack) -> tuple[int, int, int] | str | None:
    """(count, smallest, largest) index of a block placement as ``BlockPlacement`` reads it: a
    ``slice`` canonized as pandas' ``slice_canonize`` does (None: it raises), an int, a list of
    ints or an int array; a str: why it cannot be read."""
    if isinstance(value, int):
        return 1, value, value
    if isinstance(value, Call) and made_by(value) == "builtins.slice":
        args = value.args.items if isinstance(value.args, Seq) else None
        if args is None or not 1 <= len(args) <= 3 or value.kwargs not in (None, NONE):
            return "is a slice mlbom cannot read"
        # slice(stop), slice(start, stop), slice(start, stop, step)
        parts: list[int | None] = []
        for a in [NONE, args[0], NONE] if len(args) == 1 else [*args, NONE][:3]:
            v = None if a is NONE else int_value(a)
            if v is None and a is not NONE:
                return "is a slice of values that are not ints"
            parts.append(v)
        start, stop, step = parts
        step = 1 if step is None else step
        if step == 0 or any(abs(p) >= 1 << 63 for p in (start, stop, step) if p is not None):
            return None
        if step > 0:
            if stop is None:
                return None
            start = 0 if start is None else min(start, stop)
        else:
            if start is None:
                return None
            stop = -1 if stop is None else min(stop, start)
        if start < 0 or (stop < 0 and parts[1] is not None and step > 0):
            return None
        r = range(start, stop, step)
        return (len(r), min(r[0], r[-1]), max(r[0], r[-1])) if len(r) else (0, 0, 0)
    if isinstance(value, Seq) and value.type in ("list", "tuple"):
        ints = [int_value(v) for v in value.items or ()]
        if value.items is None or any(v is None for v in ints):
            return "is a list mlbom cannot read"
        vals = [v for v in ints if v is not None]
        return (len(vals), min(vals), max(vals)) if vals else (0, 0, 0)
    scan = index_scan(value, src, (4, 8))
    if isinstance(scan, str):
        return f"is {describe(value)}: {scan}"
    if scan.problem is not None:
        return scan.problem
    return (scan.count, scan.low, scan.high) if scan.low is not None and scan.high is not None else (0, 0, 0)


def _index_length(value: object, given: dict[object, object] | None = None) -> int | None:
    """The length of a pickled pandas Index (``_new_Index(cls, {"data": array, ...})`` — ``given``:
    its dict as the call saw it — a RangeIndex's start/stop/step, or a list of plain values
    ``ensure_index`` makes one of: a list of lists or arrays is a MultiIndex as long as its
    items, red team 72f-5); None when mlbom cannot tell."""
    if isinstance(value, Seq) and value.type in ("list", "tuple") and value.items is not None:
        plain = all(v is NONE or isinstance(v, str | int | float | Text) for v in value.items)
        return len(value.items) if plain else None
    if not isinstance(value, Call) or made_by(value) not in _NEW_INDEX:
        return None
    args = value.args.items if isinstance(value.args, Seq) else None
    if args is None or len(args) != 2 or not isinstance(args[0], Global) or given is None:
        return None
    d = given
    if args[0].res.path.endswith(".RangeIndex"):
        bounds = [int_value(d.get(k, NONE)) for k in ("start", "stop", "step")]
        if any(b is None for b in bounds) or bounds[2] == 0:
            return None
        start, stop, step = (b for b in bounds if b is not None)
        return len(range(start, stop, step))
    if args[0].res.path.endswith(".MultiIndex"):
        codes = d.get("codes") if "codes" in d else d.get("labels")  # as long as its codes
        first = codes.items[0] if isinstance(codes, Seq) and codes.items else None
        return _length_1d(first)
    return _length_1d(d.get("data"))


def _codes_scan(codes: object, src: ReadBack, n: int, what: str, of: str) -> int | tuple[bool, str]:
    """pandas codes (a 1-D int8..int64 array) against ``n`` values they index, -1 meaning
    missing: their count when every code lies in ``[-1, n)``; else (certain, why; ``of`` names
    the values, formatted with ``n``)."""
    scan = index_scan(codes, src, (1, 2, 4, 8))
    if isinstance(scan, str) or scan.problem is not None:
        return False, f"{what} cannot be read ({scan if isinstance(scan, str) else scan.problem})"
    if scan.count and scan.low is not None and scan.high is not None and (scan.low < -1 or scan.high >= n):
        return True, f"{what} ({scan.low}..{scan.high}) index {of.format(n=n)}"
    return scan.count


@dataclass(frozen=True)
class _Ints:
    count: int
    total: int
    low: int | None
    high: int | None


class _NdState:
    """The ndarray state of a pandas < 0.24 SparseArray tuple (``(shape, dtype, fortran, data)``,
    a version first in numpy's own): ``count`` is its length when 1-D, else None."""

    def __init__(self, state: object) -> None:
        items = state.items if isinstance(state, Seq) and state.items is not None else None
        shape = items[1] if items is not None and len(items) == 5 else items[0] if items and len(items) == 4 else None
        dims = shape.items if isinstance(shape, Seq) else None
        one = dims[0] if dims is not None and len(dims) == 1 else None
        self.count = one if isinstance(one, int) and not isinstance(one, bool) and one >= 0 else None
        self.dtype = items[2] if items is not None and len(items) == 5 else items[1] if items and len(items) == 4 \
            else None

    def __repr__(self) -> str:
        return "an ndarray state"


def _length_1d(value: object) -> int | None:
    dims = array_dims(value.value if isinstance(value, ObjectArray) else value, any_order=True)
    return dims[0] if dims is not None and len(dims) == 1 else None


def _manager_call(inst: Call, op: str) -> tuple[list[object] | None, dict[object, object] | None, bool]:
    """``BlockManager(blocks, axes[, verify_integrity])`` as the walk made it: its positional
    arguments (None: not a tuple mlbom read), its keywords ({} when none; None: a mapping mlbom
    cannot read) and whether ``__init__`` ran ``_verify_integrity`` (REDUCE with a true
    ``verify_integrity``; NEWOBJ's ``__cinit__`` never does)."""
    args = inst.args.items if isinstance(inst.args, Seq) and inst.args.type == "tuple" else None
    kwargs: dict[object, object] | None = {}
    if inst.kwargs not in (None, NONE):
        kwargs = inst.kwargs.items if isinstance(inst.kwargs, Dct) and not inst.kwargs.loose else None
    if args is None or len(args) < 2:
        return args, kwargs, False
    verify: object = args[2] if len(args) > 2 else (kwargs or {}).get("verify_integrity", True)
    return args, kwargs, op == "REDUCE" and truth_values(verify) == [True]


class _LegacyBlocks:
    """A manager's pandas 0.14.1-style state, ``(..., ..., ..., {"0.14.1": {"axes": [...],
    "blocks": [{"values", "mgr_locs"}, ...]}})``, read once at its BUILD (``__setstate__`` takes
    the axes and blocks then): ``read`` whether it is such a state mlbom reached the blocks of;
    ``why`` what of it mlbom cannot read; ``axes`` (None where they are not a list mlbom read) and
    each readable block's (values, placement — None when it has none)."""

    def __init__(self, state: object) -> None:
        self.read = False
        self.why: str | None = None
        self.axes: list[object] | None = None
        self.blocks: list[tuple[object, object]] = []
        items = state.items if isinstance(state, Seq) and state.type == "tuple" else None
        legacy = items[3] if items is not None and len(items) >= 4 else None
        if legacy is None or no_mapping(legacy):
            return  # NotImplementedError: '"0.14.1" in state[3]' is false or state[3][...] raises
        if not isinstance(legacy, Dct) or legacy.items is None or legacy.loose:
            self.why = f"its state holds {describe(legacy)}, a mapping mlbom cannot read"  # an OrderedDict (72f-4)
            return
        inner = legacy.items.get("0.14.1")
        if inner is None:
            return
        if not isinstance(inner, Dct) or inner.items is None or inner.loose:
            self.why = "its 0.14.1 state cannot be read"
            return
        axes = inner.items.get("axes")
        blocks = inner.items.get("blocks")
        if not isinstance(blocks, Seq) or blocks.items is None:
            self.why = "its blocks cannot be read"
            return
        self.read = True
        self.axes = list(axes.items) if isinstance(axes, Seq) and axes.items is not None else None
        for b in blocks.items:
            if isinstance(b, Dct) and b.items is not None and not b.loose:
                self.blocks.append((b.items.get("values"), b.items.get("mgr_locs")))
                if "mgr_locs" in b.items:
                    continue
            self.why = self.why or "a block of its state cannot be read"


class PandasJudge(LibraryJudge):
    """Judges the pandas objects one walk builds (see the module docstring); implements
    :class:`~mlbom.formats.pickle_native.StateJudge`."""

    def made(self, inst: Call, op: str) -> None:
        """Remember a pandas array created with ``__new__`` (:data:`NDARRAY_BACKED`), a
        BlockManager and the dict a ``_new_Index`` call was given."""
        cls = instance_class(inst)
        if cls in NDARRAY_BACKED:
            args = inst.args.items if isinstance(inst.args, Seq) else None
            if bare_class(made_by(inst) or "", op, args) is not None:  # created with __new__ alone
                self.reg.backed.put(inst, inst)
        if cls == _BLOCK_MANAGER:
            self.reg.frames.put(inst, (inst, op))
        if made_by(inst) in _NEW_INDEX:
            args = inst.args.items if isinstance(inst.args, Seq) else None
            d = args[1] if args is not None and len(args) == 2 else None
            if isinstance(d, Dct) and d.items is not None and not d.loose:
                self.reg.index_args.put(inst, (inst, dict(d.items)))
        if cls in (_INT_INDEX, _BLOCK_INDEX):
            self.reg.sparse_indexes.put(inst, op)

    def built(self, inst: Call, cls: str | None, state: object) -> None:
        """Keep what an NDArrayBacked array's or a CategoricalDtype's BUILD took; judge a masked
        array's and a legacy BlockManager's state."""
        if cls in NDARRAY_BACKED:
            self.reg.backed_data.put(inst, _backed_state(inst, cls))
            _backed_pops(state, cls)
        if cls is None or not cls.startswith("pandas."):
            return
        if _an_index_class(cls):
            self.index_state(cls, state)
        if cls in _SPARSE_ARRAYS:
            self.sparse_state(inst, state)
        if cls.endswith(".CategoricalDtype"):
            d = state.items if isinstance(state, Dct) and not state.loose else None
            self.reg.cat_dtypes.put(inst, (d.get("categories") if d is not None else None,))
        if cls.rsplit(".", 1)[-1] in _MASKED:
            self.masked_state(inst, state)
        if cls in (_BLOCK_MANAGER, _SINGLE_BLOCK_MANAGER):
            legacy = _LegacyBlocks(state)
            native_verdict(self.note, f"pandas {cls.rsplit('.', 1)[-1]} state", self.legacy_frame_problem(legacy),
                           "pandas", "its block lookup arrays are written out of bounds at load",
                           "its block lookup follows", "frame-placement")
            self.reg.legacy_managers.put(inst, (cls, legacy))

    def judge_end(self, complete: bool, used: set[int] | None) -> None:
        """Arrays created bare (only where the load returns), MultiIndex codes and the
        BlockManagers' placements."""
        if complete:
            self.judge_backed(used)
        self.judge_multi_indexes()
        for inst, held in self.reg.sparse_arrays.values():
            if used is None or id(inst) in used or not complete:
                native_verdict(self.note, "pandas SparseArray", self.sparse_problem(held), "pandas",
                               "its arithmetic reads a value for every point its index claims, bounds checks off",
                               "its arithmetic follows", "sparse-index")
        for cls, blocks in self.reg.legacy_managers.values():
            assert isinstance(blocks, _LegacyBlocks)
            native_verdict(self.note, f"pandas {cls.rsplit('.', 1)[-1]} state", self.legacy_rows_problem(cls, blocks),
                           "pandas", _ROWS_USE, "its takes follow", "frame-rows")
        for inst, op in self.reg.frames.values():
            native_verdict(self.note, "pandas BlockManager", self.frame_problem(inst, op), "pandas",
                           "the first column access writes its block lookup arrays out of bounds",
                           "its block lookup follows", "frame-placement")
            native_verdict(self.note, "pandas BlockManager", self.frame_rows_problem(inst, op), "pandas",
                           _ROWS_USE, "its takes follow", "frame-rows")

    def index_state(self, cls: str, state: object) -> None:
        """A BUILD on a pandas Index: pandas' ``__reduce__`` writes none (``_new_Index(cls, d)``,
        no state) and Index has no ``__setstate__``, so pickle updates its ``__dict__`` with
        whatever the state holds — ``_codes``, ``_levels``, ``_data`` or a ``_cache`` entry that
        replaces what ``_new_Index`` was given and mlbom checked (red team 75f-4: a MultiIndex's
        codes or levels swapped after the call; ``repr`` then read past a level, SIGSEGV)."""
        parts = [state]
        if isinstance(state, Seq) and state.type == "tuple":
            if state.items is None or len(state.items) != 2:
                return  # pickle's default BUILD raises on it
            parts = list(state.items)  # (dict, slot state): both are set
        if all(p is NONE or (isinstance(p, Dct) and p.items == {} and not p.loose and not p.other_keys)
               for p in parts):
            return  # nothing is set
        name = cls.rsplit(".", 1)[-1]
        self.note("pickle.memory", "critical", f"BUILD sets the state of a pandas {name} ({describe(state)}), "
                  "which pandas' pickler never writes: Index has no __setstate__, so it replaces the codes, "
                  "levels, data or cache mlbom checked, which pandas' compiled code then follows with bounds checks "
                  "off (memory corruption on use)", "unsafe", "index-build")

    def sparse_state(self, inst: Call, state: object) -> None:
        """What a SparseArray's BUILD gives it: ``SparseArray.__setstate__`` updates its ``__dict__``
        with a dict state, or reads the pandas < 0.24 tuple ``(ndarray state, (fill value,
        index))``. Judged when the stream ends (:meth:`sparse_problem`)."""
        _, held = self.reg.sparse_arrays.setdefault(inst, lambda: (inst, {}))
        if isinstance(state, Dct) and state.items is not None and not state.loose:
            held.update({k: v for k, v in state.items.items() if k in ("_sparse_values", "_sparse_index")})
            if state.other_keys:
                held["_unread"] = state
            return
        items = state.items if isinstance(state, Seq) and state.type == "tuple" else None
        pair = items[1].items if items is not None and len(items) == 2 and isinstance(items[1], Seq) else None
        if items is not None and pair is not None and len(pair) == 2:
            held["_sparse_values"] = _NdState(items[0])
            held["_sparse_index"] = pair[1]
        else:
            held["_unread"] = state

    def sparse_problem(self, held: dict[str, object]) -> tuple[bool, str] | None:
        """A SparseArray's values against its index (red team 75f): pandas' compiled binary ops
        (``sparse_add_float64`` & co., bounds checks off) read one value for every point the
        index claims — ``IntIndex``'s indices, the sum of ``BlockIndex``'s block lengths — and
        the block loops advance only when a block's length is reached. ``check_integrity`` (run
        by their constructors) checks order and overlap but not the values' count, and rejects
        only zero block lengths. So the values must be a 1-D array of exactly ``npoints`` items,
        every block length above 0 and every block start at or above 0; the index must be made
        by calling its class (``__new__`` alone leaves its arrays None)."""
        if "_unread" in held:
            return False, f"its state ({describe(held['_unread'])}) cannot be read"
        if "_sparse_values" not in held or "_sparse_index" not in held:
            return None  # an attribute is missing: its methods raise
        values, index = held["_sparse_values"], held["_sparse_index"]
        n = values.count if isinstance(values, _NdState) else _length_1d(values)
        if n is None:
            return False, f"its values ({describe(values)}) are not a 1-D array mlbom can size"
        dtype = values.dtype if isinstance(values, _NdState) else array_dtype(values)
        if plain_itemsize(dtype) is None:
            # bool ops view the values as bytes: a zero-size dtype gives none to read (red team 77f-2)
            return False, f"its values' dtype ({describe(dtype)}) is not one plain numpy type mlbom can read"
        if not isinstance(index, Call) or instance_class(index) not in (_INT_INDEX, _BLOCK_INDEX):
            return False, f"its index is {describe(index)}, not an IntIndex or BlockIndex mlbom read"
        op = self.reg.sparse_indexes.get(index)
        args = index.args.items if isinstance(index.args, Seq) else None
        if op in ("NEWOBJ", "NEWOBJ_EX") or made_by(index) not in (_INT_INDEX, _BLOCK_INDEX) or args is None:
            return True, "its index is made without its constructor: its arrays are None"
        if index.state is not None:
            return False, "its index is given a BUILD state"
        if instance_class(index) == _INT_INDEX:
            got = self.int_items(args[1] if len(args) == 2 else None, (1, 2, 4, 8))
            if isinstance(got, str):
                return False, f"its IntIndex indices {got}"
            points = got.count
        else:
            starts = self.int_items(args[1] if len(args) == 3 else None, (4,))
            lengths = self.int_items(args[2] if len(args) == 3 else None, (4,))
            if isinstance(starts, str) or isinstance(lengths, str):
                return False, f"its BlockIndex arrays {starts if isinstance(starts, str) else lengths}"
            if lengths.count and lengths.low is not None and lengths.low < 0:
                return True, f"its BlockIndex has a block of length {lengths.low}"
            if starts.count and starts.low is not None and starts.low < 0:
                return True, f"its BlockIndex has a block at {starts.low}"
            if starts.high is not None and lengths.high is not None and starts.high + lengths.high >= 1 << 31:
                # check_integrity adds them in int32: an end past 2**31 - 1 wraps negative and
                # passes, and BlockUnion counts overlapping points twice (red team 77f-1)
                return False, f"its BlockIndex's blocks may end past 2**31 - 1 ({starts.high} + {lengths.high}), " \
                              "where pandas' int32 checks wrap"
            points = lengths.total
        if points != n:
            return True, f"its index claims {points} points for {n} values"
        return None

    def int_items(self, value: object, sizes: tuple[int, ...]) -> _Ints | str:
        """The count, sum and smallest value of a 1-D int array (of an item size in ``sizes``) or a
        list or tuple of ints, as the sparse index constructors take them; a str: why not."""
        if isinstance(value, Seq) and value.items is not None:
            ints = [int_value(v) for v in value.items]
            if any(i is None for i in ints):
                return "hold an item that is not an int mlbom can read"
            got = [i for i in ints if i is not None]
            return _Ints(len(got), sum(got), min(got, default=None), max(got, default=None))
        scan = index_scan(value, self.src, sizes)
        if isinstance(scan, str) or scan.problem is not None:
            return f"cannot be read ({scan if isinstance(scan, str) else scan.problem})"
        return _Ints(scan.count, scan.total, scan.low, scan.high)

    def masked_state(self, inst: Call, state: object) -> None:
        """pandas' masked arrays (IntegerArray, FloatingArray, BooleanArray) are restored with
        ``object.__setstate__``: ``_data`` and ``_mask`` unchecked. ``unique``/``value_counts``
        run Cython hashtable loops over ``len(_data)`` reading ``_mask[i]`` with bounds checks off
        (red team 73f-2: a 1-entry mask over 4,000,000 values, SIGSEGV). Both must be arrays of
        one shape, as their BUILDs leave them."""
        name = (instance_class(inst) or "").rsplit(".", 1)[-1]
        if not isinstance(state, Dct) or state.items is None or state.loose:
            self.note("pickle.memory", "medium", f"pandas {name} state: {describe(state)}, not a dict mlbom can read: "
                      "its hashtable loops read _mask at every index of _data unchecked", "suspicious", "masked")
            return
        held = self.reg.masked.setdefault(inst, dict)
        held.update({k: v for k, v in state.items.items() if k in ("_data", "_mask") and isinstance(k, str)})
        if "_data" not in held or "_mask" not in held:
            return  # an attribute is missing: its methods raise
        data, mask = (array_dims(held[k], any_order=True) for k in ("_data", "_mask"))
        if data is None or mask is None:
            self.note("pickle.memory", "medium", f"pandas {name} state: its _data or _mask is not an array mlbom can "
                      "size: its hashtable loops read _mask at every index of _data unchecked", "suspicious", "masked")
        elif data != mask:
            self.note("pickle.memory", "critical", f"pandas {name} state: its _mask is {tuple(mask)} for _data "
                      f"{tuple(data)}: its hashtable loops (unique, value_counts) read _mask past its end "
                      "(memory corruption on use); no pandas writes it", "unsafe", "masked")

    def judge_multi_indexes(self) -> None:
        """A MultiIndex made by ``_new_Index`` (which turns ``verify_integrity`` off) takes each
        level's values at its codes with a Cython ``take_1d``, bounds checks off (``repr``,
        ``list``, ``.values``; red team 73f-1: a code of 2,000,000,000 read past the level).
        Every code must lie in ``[-1, len(levels[i]))``, read from the dict as the call saw it."""
        for inst, d in self.reg.index_args.values():
            args = inst.args.items if isinstance(inst.args, Seq) else None
            cls = args[0].res.path if args and isinstance(args[0], Global) else ""
            if not cls.endswith("MultiIndex"):
                continue
            native_verdict(self.note, "pandas MultiIndex", self.multi_codes_problem(d), "pandas",
                                "its values take each level at its codes with bounds checks off", "its take follows",
                                "multiindex-codes")

    def multi_codes_problem(self, d: dict[object, object]) -> tuple[bool, str] | None:
        """Each level's codes against it, and every codes array as long as the first:
        ``is_lexsorted`` (``is_monotonic_increasing``, ``sort_index``, ``get_loc``) reads every
        level's codes over the first one's length (red team 74f-2). ``_new_Index`` renames a
        legacy ``labels`` key to ``codes`` (74f-1)."""
        levels = d.get("levels")
        codes = d.get("codes") if "codes" in d else d.get("labels")
        if levels is None or codes is None:
            return None  # MultiIndex.__new__ raises without them
        lv = levels.items if isinstance(levels, Seq) else None
        cd = codes.items if isinstance(codes, Seq) else None
        if lv is None or cd is None or len(lv) != len(cd):
            return False, "its levels and codes are not lists mlbom can pair"
        counts: set[int] = set()
        for i, (level, code) in enumerate(zip(lv, cd, strict=True)):
            n = self.index_length(level)
            if n is None:
                dims = array_dims(level.value if isinstance(level, ObjectArray) else level, any_order=True)
                n = dims[0] if dims is not None and len(dims) == 1 else None
            if n is None:
                return False, f"its level {i} cannot be counted"
            got = _codes_scan(code, self.src, n, f"its codes {i}", "a level of {n}")
            if not isinstance(got, int):
                return got
            counts.add(got)
        if len(counts) > 1:
            return True, f"its codes arrays have different lengths ({min(counts)}..{max(counts)}): is_lexsorted " \
                         "reads every level's codes over the first one's length"
        return None

    def codes_problem(self, codes: object, dtype: object) -> tuple[bool, str] | None:
        """A Categorical's codes index its dtype's categories: ``__array__``/``to_numpy`` run
        ``take_nd(categories, codes)``, a Cython ``take_1d`` with bounds checks off for numeric
        categories (red team 72f-7: a code of 30,000 over 200 categories returned heap bytes).
        Every code must lie in ``[-1, len(categories))`` (-1 is a missing value)."""
        cats: object = None
        if isinstance(dtype, Call):
            kept = self.reg.cat_dtypes.get(dtype)  # what its BUILD took (a later SETITEM changes nothing)
            args = dtype.args.items if isinstance(dtype.args, Seq) else None
            if kept is not None:
                cats = kept[0]
            elif dtype.state is None and args:
                cats = args[0]
        n = self.index_length(cats)
        if n is None:
            return False, f"its categories ({describe(cats)}) cannot be counted"
        got = _codes_scan(codes, self.src, n, "its codes", "{n} categories")
        return None if isinstance(got, int) else got

    def index_length(self, value: object, depth: int = 0) -> int | None:
        """:func:`_index_length`, reading a ``_new_Index`` call's dict as it was when the call ran
        and sizing data held in a pandas array (a StringArray's, a DatetimeArray's ndarray); an
        IntervalIndex (``_new_IntervalIndex``: ``from_arrays``, which checks ``left`` and
        ``right`` have one length) is as long as its ``left``."""
        kept = self.reg.index_args.get(value) if isinstance(value, Call) else None
        given = kept[1] if kept is not None else None
        if made_by(value) == _NEW_INTERVAL_INDEX:
            left = given.get("left") if given is not None else None
            return self.index_length(left, depth + 1) if depth < 8 and left is not None else _length_1d(left)
        data = given.get("data") if given is not None else None
        if given is not None and isinstance(data, Call) and array_dims(data, any_order=True) is None \
                and (instance_class(data) or "") in NDARRAY_BACKED:
            backed = self.reg.backed_data.get(data)
            given = {**given, "data": (backed or _backed_state(data, instance_class(data) or ""))[0]}
        elif given is not None and isinstance(data, Call) and instance_class(data) in ARROW_ARRAYS:
            args = value.args.items if isinstance(value, Call) and isinstance(value.args, Seq) else None
            cls = args[0].res.path if args and isinstance(args[0], Global) else ""
            if not cls.endswith((".RangeIndex", ".MultiIndex")):
                return pandas_arrow_length(data)  # an Index over a pandas Arrow array (red team 122fp-1)
        elif given is not None and isinstance(data, Call) and (instance_class(data) or "").rsplit(".", 1)[-1] in _MASKED:
            masked = self.reg.masked.get(data) or {}
            given = {**given, "data": masked.get("_data")}  # as long as its _data (its _mask is checked against it)
        return _index_length(value, given)

    def frame_problem(self, inst: Call, op: str) -> tuple[bool, str] | None:
        """A DataFrame's ``BlockManager(blocks, axes)``: ``_verify_integrity`` (run by
        ``__init__``, so by REDUCE, not by NEWOBJ's ``__cinit__``) checks only that the blocks'
        placements hold as many items as ``axes[0]``; the first column access builds
        ``blknos``/``blklocs`` of ``len(items)`` entries in Cython, bounds checks off, writing at
        every index of every placement (red team 71f-1: ``slice(10**8, 10**8 + 2)``, a heap write
        at an offset the file chooses). Every index must lie below the items' count."""
        args, kwargs, verified = _manager_call(inst, op)
        if args is None or kwargs is None or set(kwargs) - {"verify_integrity"}:
            return False, "its arguments cannot be read"
        if len(args) < 2:
            return None  # nothing set (or the call raises)
        axes = args[1].items if isinstance(args[1], Seq) and args[1].items else None
        return self.placements_problem(args[0], axes[0] if axes else None, verified)

    def frame_rows_problem(self, inst: Call, op: str) -> tuple[bool, str] | None:
        """Each block's values of ``BlockManager(blocks, axes[, verify])`` against its placement
        and its index, on their last states (:meth:`rows_problem`; where ``_verify_integrity``
        ran — REDUCE with ``verify_integrity`` and no BUILD on a block — the dimensions are its)."""
        args, _, verified = _manager_call(inst, op)
        if args is None or len(args) < 2:
            return None
        axes = args[1].items if isinstance(args[1], Seq) and args[1].items else None
        blocks = args[0].items if isinstance(args[0], Seq) else None
        # a BUILD on a block (Block.__setstate__ sets its values and placement unchecked) may come
        # after _verify_integrity ran: such a block is not verified (red team 79f-3)
        verified = verified and not any(isinstance(b, Call) and b.state is not None for b in blocks or ())
        for b in (blocks or [])[:100_000]:
            rows = self.rows_problem(self.block_values(b), axes[-1] if axes else None, self.block_placement(b),
                                     len(axes) if axes else None, verified)
            if rows is not None:
                return rows
        return None

    def legacy_frame_problem(self, legacy: _LegacyBlocks) -> tuple[bool, str] | None:
        """``BlockManager.__setstate__`` of a pandas 0.14.1-style state sets the axes and blocks
        unverified and builds the block lookup arrays at once (``_post_setstate``): every block's
        placement against the items' count (:meth:`placements_problem`)."""
        if legacy.why is not None:
            return False, legacy.why
        if not legacy.read:
            return None
        return self.placements_problem(Seq("list", [locs for _, locs in legacy.blocks]),
                                       legacy.axes[0] if legacy.axes else None, False, raw=True)

    def legacy_rows_problem(self, cls: str, held: _LegacyBlocks) -> tuple[bool, str] | None:
        """Each block a 0.14.1-style state gave a manager, against its index (:meth:`rows_problem`),
        judged on the arrays' last states. ``SingleBlockManager.__setstate__`` keeps every axis it
        is given while its Series' index is ``axes[0]``: it must be given exactly one (red team
        79f-4: a second axis made mlbom read the wrong index); a BlockManager's index is
        ``axes[-1]``."""
        if held.axes is None:
            return None
        single = cls == _SINGLE_BLOCK_MANAGER
        if single and len(held.axes) != 1:
            return True, f"a SingleBlockManager is given {len(held.axes)} axes"
        index = held.axes[0] if single else held.axes[-1] if held.axes else None
        for values, locs in held.blocks:
            rows = self.rows_problem(values, index, locs, 1 if single else len(held.axes), False)
            if rows is not None:
                return rows
        return None

    def rows_problem(self, values: object, index: object, placement: object, ndim: int | None,
                     verified: bool) -> tuple[bool, str] | None:
        """A block's values against the manager (red teams 76f-2, 78f-1/2). Where pandas does not
        verify them (``__setstate__``, NEWOBJ's ``__cinit__``, ``verify_integrity=False``),
        ``repr``, ``take``, ``reindex`` and ``sort_index`` take numpy values at the index's
        positions with a Cython ``take_1d``/``take_2d``, bounds checks off (3 values under a
        ``RangeIndex(10**8)``, or a 2-D block in a Series: SIGSEGV), and groupby's cumulative
        kernels loop over an extension array's values reading the index's labels (64 values under
        3 labels: SIGSEGV). So a block's length — a numpy block's last dimension, an extension
        array's own length (a masked array's ``_data``, an NDArrayBacked array's ``_ndarray``, a
        SparseArray's index length, an IntervalArray's ``_left``) — must be the index's, and a
        numpy block must have the manager's dimensions (``ndim``: 1 for a SingleBlockManager, 2
        for a BlockManager). ``_verify_integrity`` (``verified``) checks those itself; it never
        compares a 2-D numpy block's rows with its placement, which ``take`` along the items
        follows through the block lookup arrays: they must be equal everywhere."""
        if isinstance(values, ObjectArray):
            values = values.value
        if values is NONE or isinstance(values, int | float | str | bytes | Text):
            return None  # pandas raises on the block: no manager is made
        dims = array_dims(values, any_order=True)
        numpy = dims is not None
        if dims is None:
            if _an_ndarray(values):
                return False, f"a block's values ({describe(values)}) cannot be sized"
            length = self.extension_length(values)
            if length is None:
                return False, f"a block's values ({describe(values)}) are no array mlbom can size"
            dims = [length]
        if numpy and len(dims) == 2 and placement is not None:
            got = _placement(placement, self.src)
            if isinstance(got, tuple) and got[0] != dims[0]:
                return True, f"a block holds {dims[0]} items for a placement of {got[0]}"
        if not dims:
            return None
        if numpy and not verified and ndim is not None and len(dims) != ndim:
            return True, f"a block of {len(dims)} dimensions in a manager of {ndim}"
        # the length is compared even where _verify_integrity ran: an extension array BUILT again
        # after the manager was made changes it (red team 79f-1)
        n = self.index_length(index)
        if n is None:
            return False, f"its index ({describe(index)}) cannot be counted"
        if dims[-1] != n:
            return True, f"a block holds {dims[-1]} rows under an index of {n}"
        return None

    def extension_length(self, values: object, depth: int = 0) -> int | None:
        """The length of a pandas array as its state leaves it (see :meth:`rows_problem`); None
        when mlbom cannot tell."""
        if not isinstance(values, Call):
            return None
        cls = instance_class(values)
        if cls is None or depth > 4:
            return None
        if cls.startswith("pandas.") and cls.rsplit(".", 1)[-1] in _MASKED:
            data: object = (self.reg.masked.get(values) or {}).get("_data")
        elif cls in NDARRAY_BACKED:
            data = (self.reg.backed_data.get(values) or _backed_state(values, cls))[0]
        elif cls in _SPARSE_ARRAYS:
            held = self.reg.sparse_arrays.get(values)
            index = held[1].get("_sparse_index") if held is not None else None
            args = index.args.items if isinstance(index, Call) and isinstance(index.args, Seq) else None
            return int_value(args[0]) if args else None
        elif cls in ARROW_ARRAYS:
            return pandas_arrow_length(values)  # its pyarrow array's checked length (red team 122fp-1)
        elif cls.rsplit(".", 1)[-1] == "IntervalArray":
            # Cython's __setstate_cython__ updates the __dict__ with state[0]; a plain BUILD with a dict
            state = values.state
            if isinstance(state, Seq) and state.type == "tuple" and state.items:
                state = state.items[0]
            if not isinstance(state, Dct) or state.items is None or state.loose:
                return None
            data = state.items.get("_left")
            if isinstance(data, Call) and array_dims(data, any_order=True) is None:
                return self.extension_length(data, depth + 1)
        else:
            return None
        dims = array_dims(data.value if isinstance(data, ObjectArray) else data, any_order=True)
        return dims[-1] if dims else None

    def placements_problem(self, blocks: object, items_axis: object, verified: bool,
                           raw: bool = False) -> tuple[bool, str] | None:
        """Every index of every block's placement against the items' count: ``axes[0]``'s length
        where mlbom can read it, and, where ``__init__`` verified them, the placements' total
        (``raw``: ``blocks`` holds the placements themselves)."""
        held = blocks.items if isinstance(blocks, Seq) else None
        if held is None or len(held) > 100_000:
            return False, "its blocks cannot be read"
        spans: list[tuple[int, int, int]] = []
        for b in held:
            got = _placement(b if raw else self.block_placement(b), self.src)
            if got is None:
                return None  # BlockPlacement raises: no manager is made
            if isinstance(got, str):
                return False, f"a block's placement {got}"
            spans.append(got)
        sizes = [n for n in (self.index_length(items_axis),) if n is not None]
        if verified:
            sizes.append(sum(count for count, _, _ in spans))
        if not sizes:
            return False, "its items' count cannot be told"
        n_items = min(sizes)
        for count, low, high in spans:
            if count and (low < 0 or high >= n_items):
                return True, f"a block is placed at items {low}..{high} of {n_items}"
        return None

    def block_placement(self, block: object) -> object:
        """The placement a pickled block is given: ``_unpickle_block``/``new_block``'s second
        argument, or ``Block.__setstate__``'s ``state[0]``; an :class:`Opaque` when mlbom cannot
        tell."""
        if not isinstance(block, Call):
            return Opaque(f"{describe(block)}, not a block mlbom read")
        args = block.args.items if isinstance(block.args, Seq) else None
        kwargs = block.kwargs.items if isinstance(block.kwargs, Dct) else None
        if block.state is not None:
            # Block.__setstate__ sets mgr_locs = BlockPlacement(state[0]), whoever made the block
            # (a BUILD after _unpickle_block replaces its placement; red team 72f-3)
            state = block.state.items if isinstance(block.state, Seq) else None
            return state[0] if state else Opaque("a block state mlbom cannot read")
        if made_by(block) in _BLOCK_MAKERS:
            if args is not None and len(args) >= 2:
                return args[1]
            if kwargs is not None and "placement" in kwargs:
                return kwargs["placement"]
            return Opaque("a block made without a placement mlbom can read")
        return Opaque(f"{describe(block)}, not a block mlbom read")

    def block_values(self, block: object) -> object:
        """The values a pickled block holds: ``_unpickle_block``/``new_block``'s first argument,
        or ``Block.__setstate__``'s ``state[1]``; an :class:`Opaque` when mlbom cannot tell."""
        if not isinstance(block, Call):
            return Opaque(f"{describe(block)}, not a block mlbom read")
        if block.state is not None:
            state = block.state.items if isinstance(block.state, Seq) else None
            return state[1] if state and len(state) > 1 else Opaque("a block state mlbom cannot read")
        args = block.args.items if isinstance(block.args, Seq) else None
        kwargs = block.kwargs.items if isinstance(block.kwargs, Dct) else None
        if made_by(block) in _BLOCK_MAKERS:
            if args:
                return args[0]
            if kwargs is not None and "values" in kwargs:
                return kwargs["values"]
        return Opaque(f"{describe(block)}, not a block mlbom read")

    def judge_backed(self, used: set[int] | None = None) -> None:
        """pandas' ``NDArrayBacked`` keeps its data in a typed ``_ndarray`` field that ``__new__``
        leaves None; ``__setstate__`` (or the Cython helper's state) assigns it unchecked, and
        ``repr``, ``copy``, ``nbytes``, ``ravel`` then read array fields from None (red team 63f-2:
        SIGSEGV on the program's first print). pandas always writes the helper with a BUILD whose
        state holds the ndarray; an array left without one is ``unsafe``, one whose data mlbom
        cannot tell ``suspicious``."""
        for inst in self.reg.backed.values():
            if used is not None and id(inst) not in used:
                continue
            cls = instance_class(inst) or "an NDArrayBacked array"
            data, dtype = self.reg.backed_data.get(inst) or _backed_state(inst, cls)
            if data is _RAISES:
                continue
            if _an_ndarray(data):
                if "Categorical" in cls:
                    native_verdict(self.note, "pandas Categorical", self.codes_problem(data, dtype), "pandas",
                                        "its conversions take categories at its codes with bounds checks off",
                                        "its take follows", "categorical-codes")
                continue
            name = cls.rsplit(".", 1)[-1]
            if data is None or data is NONE:
                self.note("pickle.memory", "critical", f"a pandas {name} is created with __new__ and given no "
                          "ndarray (its _ndarray stays None): its methods (repr, copy, nbytes) read array fields "
                          "from None (memory corruption on use); no pandas writes it", "unsafe", "backed-none")
            else:
                self.note("pickle.memory", "medium", f"a pandas {name} is created with __new__ and given "
                          f"{describe(data)} as its data, not an array mlbom can tell: if it is None, its methods "
                          "read array fields from None", "suspicious", "backed-unknown")
