"""The symbolic values of the pickle walker (:mod:`mlbom.formats.pickle`): what its stack and
memo hold instead of objects — a resolved global, the result of a call with its attribute model,
containers whose items are kept within a budget, text and bytes located in the stream but not
kept — and the questions asked of them everywhere (which class an instance is of, which
allowlisted callable made it, which numpy dtype code a ``numpy.dtype`` call makes). Nothing here
reads the stream or judges a finding; the walker and the native-state judge
(:mod:`mlbom.formats.pickle_native`) share these types.
"""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass
from typing import IO

from mlbom.formats import npdtype


@dataclass(frozen=True)
class Resolved:
    """A global as ``find_class`` would resolve it."""

    raw: str  # module + " " + name as written
    path: str  # the resolved dotted path
    status: str  # "allow" | "deny" | "unlisted" | "unresolvable"
    reason: str


class Mark:
    __slots__ = ()


class Value:
    __slots__ = ()
    kind = "value"


class Global(Value):
    __slots__ = ("res",)
    kind = "global"

    def __init__(self, res: Resolved) -> None:
        self.res = res


class AttributeGlobal(Global):
    """What ``getattr(global, name)`` returned at load (a method or class attribute), resolved as
    the dotted global protocol 4 writes: stored, it is judged as that global; called at load
    while not allowlisted, it is ``unsafe`` (red team 47f-2: ``getattr(numpy.ndarray, "tofile")``
    called with an array and a path writes any file)."""

    __slots__ = ()


class BoundAttributeGlobal(AttributeGlobal):
    """What ``getattr(instance, name)`` returned at load for an object the walk built from a
    named class: a bound method, which protocols < 4 write for a method kept as an attribute
    (scipy's ``Rbf._function = self._h_multiquadric``; red team 51b-7). Stored, it is judged as
    the class's attribute ``module.cls.name``; called at load, it is ``unsafe`` whatever it is
    (no pickler writes a call of a bound method, and the call passes the built object along)."""

    __slots__ = ()


class DeferredGlobal(Global):
    """A denied global whose judgement waits for the end of the walk, because one exact use of
    it calls nothing (each subclass says which). Every time it lands on the stack (its GLOBAL, a
    memo GET, DUP) counts in ``landed``; each harmless use consumes one landing. Any landing
    left over (a container, another call, an argument, the stack at STOP) is the denied
    global's finding."""

    __slots__ = ("landed", "where")

    def __init__(self, res: Resolved, where: str) -> None:
        super().__init__(res)
        self.where = where
        self.landed = 1

    def harmless(self) -> int:
        """The landings consumed by harmless uses."""
        raise NotImplementedError


class GetattrGlobal(DeferredGlobal):
    """``builtins.getattr``: the only use that is not ``unsafe`` is a REDUCE of it with a global
    and a plain attribute name, judged as the dotted global it resolves to
    (``_Walker.getattr_data``)."""

    __slots__ = ("reduced",)

    def __init__(self, res: Resolved, where: str) -> None:
        super().__init__(res, where)
        self.reduced = 0

    def harmless(self) -> int:
        return self.reduced


class StoredClassGlobal(DeferredGlobal):
    """``numpy.memmap`` (denied: it opens the file its argument names): joblib's
    ``NumpyArrayWrapper`` stores the array's class in its state under ``subclass`` and only
    compares it with ``ndarray``/``memmap`` (``joblib.dump`` of a memmapped array, red team
    46f-3). Each distinct wrapper state holding it there at BUILD consumes one landing."""

    __slots__ = ("states",)

    def __init__(self, res: Resolved, where: str) -> None:
        super().__init__(res, where)
        self.states: list[object] = []

    def harmless(self) -> int:
        return len(self.states)


class BareClassGlobal(DeferredGlobal):
    """A denied class whose ``__init__`` does I/O but whose instances hold only data: joblib's
    ``Memory`` (its ``__init__`` creates the cache folder; a Pipeline's ``memory`` attribute,
    red team 51b-2). Pickle writes one as ``NEWOBJ(cls, ())`` or copyreg's ``__newobj__(cls)`` /
    ``_reconstructor(cls, object, None)`` plus a BUILD that updates its ``__dict__`` (it has no
    ``__setstate__``): no ``__init__`` runs. Each NEWOBJ of it (which pops one landing) and each
    distinct copyreg argument tuple holding it, REDUCEd directly, consumes one landing."""

    __slots__ = ("args", "bare")

    def __init__(self, res: Resolved, where: str) -> None:
        super().__init__(res, where)
        self.bare = 0
        self.args: list[object] = []

    def harmless(self) -> int:
        return self.bare + len(self.args)


SAME = object()  # Call.klass: the class was never reassigned


class Call(Value):
    """The result of calling ``func`` (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST): an object with a
    symbolic identity (the same Python object wherever the memo hands it out) and an attribute
    model. ``dicts`` are the dicts whose items became its instance attributes (BUILD's
    ``inst.__dict__`` update, ``setattr`` of a slotstate, torch's ``_set_obj_state``, a
    ``__dict__`` assignment); they are looked up live, so a later change to one of them is
    seen too (an over-approximation of the loaders' copy). ``unknown`` says why its
    attributes cannot be told; ``klass`` is a class assigned through ``setattr(inst,
    "__class__", ...)`` (``SAME``: never)."""

    __slots__ = ("args", "built", "dicts", "flat", "func", "item_attrs", "klass", "kwargs", "mapping", "state",
                 "unknown")
    kind = "call"

    def __init__(self, func: object, args: object, kwargs: object = None) -> None:
        self.func = func
        self.args = args
        self.kwargs = kwargs  # NEWOBJ_EX's keyword arguments (None: none given)
        self.state: object = None
        self.dicts: list[Dct] | None = None
        self.unknown: str | None = None
        self.klass: object = SAME
        self.mapping: Dct | None = None  # items SETITEM(S) stored in it (an OrderedDict, a Bunch ...)
        # its items are attributes of an object (a Bunch's own, an nn.Module's _modules ...): how
        self.item_attrs: str | None = None
        # (state, _Shared.mutations) of its last BUILD: the same state again with nothing changed
        # anywhere since (no call, no container update) repeats that BUILD exactly
        self.built: tuple[object, int] | None = None
        # a functools.partial made by partial.__new__ from a partial: the (func, args, keywords)
        # it may have copied from it then (one per reading of that partial), and whether mlbom
        # cannot tell that it copied at all (see _Walker.flatten; red team 19a-2, 20a-1)
        self.flat: tuple[tuple[tuple[object, object, object], ...], bool] | None = None


class Opaque(Value):
    __slots__ = ("what",)
    kind = "opaque"

    def __init__(self, what: str) -> None:
        self.what = what


class Storage(Opaque):
    """What torch's zip loader returns for a ``('storage', storage_type, key, location, numel)``
    persistent id: a typed storage of ``numel`` elements (``get_storage_from_record`` of
    ``numel * element_size`` bytes; a storage read from a record cannot be resized).
    ``tensor_kind``: "float" (float or complex: may require grad), "int", or None."""

    __slots__ = ("numel", "tensor_kind")

    def __init__(self, tensor_kind: str | None, numel: int | None) -> None:
        super().__init__("a persistent object")
        self.tensor_kind = tensor_kind
        self.numel = numel


class Text(Value):
    """A str whose content was not kept (too long, or over the retained-text budget).
    ``offset``/``nbytes`` locate its UTF-8 bytes in the stream when known (else -1)."""

    __slots__ = ("length", "nbytes", "offset")
    kind = "text"

    def __init__(self, length: int, offset: int = -1, nbytes: int = 0) -> None:
        self.length = length
        self.offset = offset
        self.nbytes = nbytes


class Blob(Value):
    """bytes / bytearray; ``data`` is None when not kept (then ``offset``/``length`` locate it;
    ``utf8`` says the stream holds them as the UTF-8 of their latin-1 text, as
    ``_codecs.encode(text, "latin1")`` of protocols < 3 does, with ``nbytes`` UTF-8 bytes)."""

    __slots__ = ("alt", "data", "length", "mutable", "mutated", "nbytes", "offset", "utf8")
    kind = "bytes"

    def __init__(self, data: bytes | None, offset: int, length: int, utf8: bool = False, nbytes: int = 0,
                 mutable: bool = False) -> None:
        self.data = data
        self.offset = offset
        self.length = length
        self.utf8 = utf8
        self.nbytes = nbytes
        self.mutable = mutable  # a bytearray (BYTEARRAY8), not bytes
        self.mutated = False  # changed in place at load time: its content is no longer known
        self.alt: bytes | None = None  # the content as torch.load computes it, where that differs


class Latin1FromUtf8(io.RawIOBase):
    """Forward-only view of the latin-1 bytes of ``nbytes`` UTF-8 bytes at ``offset`` in ``raw``."""

    def __init__(self, raw: IO[bytes], offset: int, nbytes: int) -> None:
        self.raw = raw
        self.next = offset
        self.left = nbytes
        self.dec = codecs.getincrementaldecoder("utf-8")("surrogatepass")
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buf: bytearray) -> int:  # type: ignore[override]
        while not self.pending and self.left > 0:
            self.raw.seek(self.next)
            chunk = self.raw.read(min(self.left, 1 << 16))
            if not chunk:
                break
            self.next += len(chunk)
            self.left -= len(chunk)
            self.pending = self.dec.decode(chunk, final=self.left == 0).encode("latin-1")
        n = min(len(buf), len(self.pending))
        buf[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


class Seq(Value):
    """A list, tuple, set or frozenset; ``items`` None once the cell budget is spent.
    ``weight``: how many values it holds counted through every nesting as the loader's hash,
    ``==`` and ``repr`` walk them — shared items counted each time they are reached (64 levels of
    tuples holding the level below twice are 2**64 of them in 1 KB: red team 104sa-2); capped at
    :data:`MAX_WEIGHT`. Counted when the sequence is made (the items later added to a list or set
    do not raise it: only tuples and frozensets, fixed at creation, are hashed)."""

    __slots__ = ("items", "type", "weight")
    kind = "seq"

    def __init__(self, type_: str, items: list[object] | None) -> None:
        self.type = type_
        self.items = items
        weight = 1
        if items:  # (the per-opcode hot path: no min() call, no loop for an empty or untracked one)
            for v in items:
                weight += v.weight if isinstance(v, Seq) else 1
            if weight > MAX_WEIGHT:
                weight = MAX_WEIGHT
        self.weight: int = weight


MAX_WEIGHT = 1 << 62


class Dct(Value):
    """A dict; ``items`` keeps its str keys (None once the cell budget is spent). ``loose``:
    the values of keys that may be a str at load time but whose text mlbom cannot tell (a str
    subclass, a call's result): as an object's state, such a value may be any attribute."""

    __slots__ = ("attrs", "items", "keyed", "loose", "other_keys", "others")
    kind = "dict"

    def __init__(self, items: dict[object, object] | None) -> None:
        self.items = items
        # how many keys that are no str it was given (kept in none of the fields above when their
        # value is a number or None): its keys are more than ``items`` shows
        self.other_keys = 0
        self.loose: list[object] | None = None
        # the values of keys that are no str (an nn.Module's hook ids): what calling its values
        # calls (set by SETITEM(S) only, within the cell budget)
        self.others: list[object] | None = None
        # every (key, value) pair of a key that is no str, in the order set (within the cell
        # budget): a dict's length and values once equal keys merge (a vocabulary's columns)
        self.keyed: list[tuple[object, object]] | None = None
        # its keys are an object's attributes while the load goes on (an instance __dict__ set
        # with setattr, a Bunch's items, an nn.Module's _modules ...): how; a later SETITEM adds one
        self.attrs: str | None = None


MARK = Mark()


# the str keys :func:`mlbom.formats.config_targets.pickle_targets` looks for in a pickle's data (its
# ``MARKERS``, ``INIT_ARGS`` and ``type``; a test checks they agree) and the text that marks an
# interpolation: a walk that pushed no such str (and kept every container's items) returns data
# holding no config target, so that post-pass is skipped (red team 106: its plain copy of a
# 900 KB pickle's data cost seconds)
TARGET_KEYS = frozenset({"_target_", "class_path", "_instantiator", "_class_path", "init_args", "dict_kwargs",
                         "type"})
INTERPOLATION = "${"


NONE = Opaque("None")


def plain_value(v: object) -> bool:
    """``v`` is a str, number, bytes or None as the stream built it: a value of a builtin type
    with no methods a loader's call, mapping lookup or attribute access could reach."""
    return isinstance(v, str | int | float | Text | Blob) or v is NONE


def is_dunder(part: str) -> bool:
    """Whether a name part is a dunder (``__x__``): an attribute of interpreter internals."""
    return len(part) > 4 and part.startswith("__") and part.endswith("__")


def describe(v: object, hops: int = 0) -> str:
    if isinstance(v, Global):
        return v.res.path
    if isinstance(v, Call):
        return f"the result of calling {describe(v.func, hops + 1)}" if hops < 4 else "the result of a call"
    if isinstance(v, Opaque):
        return v.what
    if isinstance(v, Seq):
        return f"a {v.type}"
    if isinstance(v, Dct):
        return "a dict"
    if isinstance(v, str | Text):
        return "a str"
    if isinstance(v, Blob):
        return "bytes"
    return type(v).__name__


# creating an instance of their first argument (the class) without calling it
INSTANCE_MAKERS = frozenset({"copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__"})


# Every allowlisted helper that creates an object of the class it is GIVEN (``cls.__new__(cls,
# ...)``, ``ndarray.__new__(subtype, ...)``, ``subtype.__new__(subtype, ...)``, ``x.as_subclass(
# new_type)``, ``cls.from_arrays(**d)``): the position of that class argument. The object's class
# is that argument, never the helper: every class-tied check (method names, scikit-learn's version
# string, pandas' tz keys, the allowlist of the class itself) is made on it (:func:`instance_class`).
# Cython's ``__pyx_unpickle_<C>(type, checksum, state)`` (``C.__new__(type)``) is matched by name.
CLASS_ARG: dict[str, int] = {
    **{p: 0 for p in INSTANCE_MAKERS},
    **{f"{m}.newObj": 0 for m in ("sklearn.neighbors._kd_tree", "sklearn.neighbors._ball_tree",
                                  "sklearn.metrics._dist_metrics")},
    "numpy.ma.core._mareconstruct": 0, "numpy.core.multiarray._reconstruct": 0,
    "numpy._core.multiarray._reconstruct": 0, "numpy.core._internal._reconstruct": 0,
    "pandas.core.indexes.base._new_Index": 0, "pandas.core.indexes.datetimes._new_DatetimeIndex": 0,
    "pandas.core.indexes.interval._new_IntervalIndex": 0, "pandas.core.indexes.timedeltas._new_TimedeltaIndex": 0,
    "torch._tensor._rebuild_from_type_v2": 1, "torch.tensor._rebuild_from_type_v2": 1,
    "torch._utils._rebuild_wrapper_subclass": 0, "dateutil.tz._tzfile._unpickle": 0,
}


# Cython's generated unpickle helpers (module:__pyx_unpickle_<Class>): they set the object's
# state from their third argument
PYX_UNPICKLE = ".__pyx_unpickle_"


# functools.partial(func, *args, **kw): stores func and its arguments for a later call (by the
# program, never by the loader); its __reduce__ is (partial, (func,), (func, args, kwds, dict))
# and __setstate__ checks and stores the four (dict becomes its __dict__). Creating it calls
# nothing: func is judged as the callable it will be (as a stored reference).
PARTIALS = frozenset({"functools.partial"})


def instance_class(v: Call) -> str | None:
    """The allowlisted class ``v`` is an instance of, as far as the walk can tell."""
    if v.klass is not SAME:  # setattr(inst, "__class__", cls)
        k = v.klass
        return k.res.path if isinstance(k, Global) and k.res.status == "allow" else None
    func = v.func
    if not isinstance(func, Global) or func.res.status != "allow":
        return None
    path = func.res.path
    pos = CLASS_ARG.get(path)  # class_arg(path), inlined: asked several times per opcode
    if pos is None and PYX_UNPICKLE in path:
        pos = 0
    if pos is not None:
        items = v.args.items if isinstance(v.args, Seq) else None
        cls = items[pos] if items is not None and pos < len(items) else None
        return cls.res.path if isinstance(cls, Global) and cls.res.status == "allow" else None
    return path


def class_arg(path: str) -> int | None:
    """The position of the class argument of an allowlisted helper that creates an object of
    the class it is given (:data:`CLASS_ARG`, Cython's ``__pyx_unpickle_*``), else None."""
    pos = CLASS_ARG.get(path)
    if pos is None and PYX_UNPICKLE in path:
        return 0
    return pos


def bare_class(path: str, op: str, items: list[object] | None) -> str | None:
    """The allowlisted class a call creates with ``__new__`` alone (no ``__init__``): NEWOBJ(_EX)
    of the class, or a helper that creates the class it is given (copyreg's ``__newobj__``/
    ``__newobj_ex__``/``_reconstructor``, scikit-learn's ``newObj``, pandas' ``_new_Index`` ...:
    :func:`class_arg`; red team 65f: ``newObj(PCG64)`` then numpy's state segfaulted)."""
    if op in ("NEWOBJ", "NEWOBJ_EX"):
        return path
    pos = class_arg(path)
    if pos is not None and items is not None and pos < len(items):
        cls = items[pos]
        return cls.res.path if isinstance(cls, Global) and cls.res.status == "allow" else None
    return None


def made_by(v: object) -> str | None:
    """The allowlisted callable whose call made ``v`` (the helper, not the class it was given)."""
    if isinstance(v, Call) and isinstance(v.func, Global) and v.func.res.status == "allow":
        return v.func.res.path
    return None


def numpy_scalar(value: object) -> bool:
    """A numpy scalar as numpy pickles it (``numpy.core.multiarray.scalar(dtype, bytes)``)."""
    return isinstance(value, Call) and isinstance(value.func, Global) and value.func.res.status == "allow" \
        and value.func.res.path in ("numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar")


def partial_of(value: object, path: str) -> bool:
    """``value`` is a ``functools.partial`` of the function at ``path``, as pickled (its
    constructor argument and the function its state sets)."""
    if not isinstance(value, Call) or instance_class(value) not in PARTIALS:
        return False
    args = value.args.items if isinstance(value.args, Seq) else None
    st = value.state.items if isinstance(value.state, Seq) else None
    funcs = [a for a in (args or [])[:1]] + [s for s in (st or [])[:1]]
    return bool(funcs) and (st is None or len(st) >= 1) and all(
        isinstance(f, Global) and f.res.path == path for f in funcs)


RECONSTRUCTS = frozenset({"numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct"})


FROMBUFFERS = frozenset({"numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer"})


# numpy.dtype(numpy.record) / numpy.dtype(numpy.void): a flexible void dtype (V0 until a state)
VOID_CODE = npdtype.DType(0, False, "V", flexible=True)


def maker_code(dtype: object) -> npdtype.DType | None:
    """What a ``numpy.dtype(obj, align, copy)`` call makes before any state, read as numpy's
    ``arraydescr_new`` reads it: ``obj`` a str code (:mod:`mlbom.formats.npdtype`) or one of
    :data:`VOID_TYPES` (a flexible void, :data:`VOID_CODE`). ``align`` and ``copy`` go
    through ``PyArray_BoolConverter``; a true ``align`` pads and aligns the fields of a struct
    made from a comma string (``dtype('i1,O', True)`` is 16 bytes, its object at offset 8), which
    mlbom does not model, so such a code (or a sub-array's) with any ``align`` other than a
    literal false one is None, and so is any argument mlbom does not read: a non-int ``align``
    or ``copy``, a fourth argument (``metadata``), keywords (red team 34p-2/34p-3). None when it
    cannot be told."""
    if not isinstance(dtype, Call) or not isinstance(dtype.args, Seq):
        return None
    args = dtype.args.items
    if not args or len(args) > 3 or not all(isinstance(a, int) for a in args[1:]):
        return None
    kwargs = dtype.kwargs
    if kwargs is not None and not (isinstance(kwargs, Dct) and kwargs.items == {} and not kwargs.loose
                                   and not kwargs.others):
        return None
    if isinstance(args[0], Global) and args[0].res.path in VOID_TYPES:
        return VOID_CODE
    if not isinstance(args[0], str):
        return None
    try:
        code = npdtype.parse(args[0])
    except npdtype.DTypeError:
        return None
    if len(args) > 1 and args[1] and code.kind == "V" and not code.flexible:
        return None  # an aligned struct (or sub-array) code: numpy pads it
    return code


VOID_TYPES = frozenset({"numpy.record", "numpy.rec.record", "numpy._core.records.record",
                         "numpy.core.records.record", "numpy.void"})


DTYPE_PATHS = frozenset({"numpy.dtype", "numpy.core.multiarray.dtype", "numpy._core.multiarray.dtype"})
