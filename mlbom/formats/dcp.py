"""Where ``torch.distributed.checkpoint`` (DCP) reads each item of a checkpoint's shards.

A DCP checkpoint folder holds ``.metadata`` — a pickle of ``Metadata`` whose ``storage_data``
maps each item's ``MetadataIndex`` to a ``filesystem._StorageInfo(relative_path, offset, length,
transform_descriptors)`` — and the ``*.distcp`` shards. ``FileSystemReader.read_data`` slices
``[offset, offset + length)`` of ``relative_path`` and hands the slice to ``torch.load``
(torch/distributed/checkpoint/filesystem.py). The scanner judges each archive of a shard; this
module reads, without unpickling anything, which slices the loader takes, so the two can be
compared (red team 18e-1).

The pickle is *evaluated symbolically*: plain values (dicts, lists, tuples, numbers, strings)
are built, every global is a name, every call or instance an inert record of its class, its
arguments and its BUILD state. Nothing is imported or called. An opcode outside that subset,
a malformed stream or a bound exceeded gives ``None`` (not read)."""

from __future__ import annotations

import pickletools
from dataclasses import dataclass, field

MAX_METADATA = 64 << 20  # bytes of .metadata read
MAX_OPS = 20_000_000  # opcodes evaluated

_STORAGE_INFO = ("torch.distributed.checkpoint.filesystem", "_StorageInfo")


@dataclass(frozen=True)
class _Global:
    module: str
    name: str


@dataclass(eq=False)
class _Obj:
    """A call or an instance: never made, only recorded. ``attrs`` is its ``__dict__`` as
    ``pickle.load``'s BUILD leaves it (``load_build``): a dict state's items copied in at BUILD
    time (a later edit of that dict object does not reach the instance), successive BUILDs
    merged, a ``(dict, slotstate)`` state's slot items set last (they win). ``opaque``: a
    BUILD went to a ``__setstate__`` mlbom does not model (its attributes are never read)."""

    cls: object
    args: object
    new: bool = False  # made by NEWOBJ/NEWOBJ_EX (``cls.__new__``, no ``__init__``), not a call
    attrs: dict[object, object] = field(default_factory=dict)
    built: bool = False
    opaque: bool = False


@dataclass
class Slice:
    """One item as the loader reads it."""

    path: str
    offset: int
    length: int
    transformed: bool = False


@dataclass
class Slices:
    items: list[Slice] = field(default_factory=list)


class _Unread(Exception):
    pass


_LITERALS = frozenset({"INT", "LONG", "BININT", "BININT1", "BININT2", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
                       "STRING", "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
                       "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "BYTEARRAY8"})


def _pop_mark(stack: list[object], marks: list[int]) -> list[object]:
    if not marks:
        raise _Unread("no MARK")
    at = marks.pop()
    items = stack[at:]
    del stack[at:]
    return items


def _pop(stack: list[object], n: int = 1) -> list[object]:
    if len(stack) < n:
        raise _Unread("stack underflow")
    items = stack[len(stack) - n:]
    del stack[len(stack) - n:]
    return items


def _evaluate(data: bytes) -> object:
    stack: list[object] = []
    marks: list[int] = []
    memo: dict[int, object] = {}
    for count, (op, arg, _pos) in enumerate(pickletools.genops(data)):
        if count > MAX_OPS:
            raise _Unread("too many opcodes")
        name = op.name
        if name in _LITERALS:
            stack.append(arg)
        elif name in ("PROTO", "FRAME"):
            pass
        elif name == "STOP":
            if len(stack) != 1:
                raise _Unread("stack not one value at STOP")
            return stack[0]
        elif name == "NONE":
            stack.append(None)
        elif name == "NEWTRUE":
            stack.append(True)
        elif name == "NEWFALSE":
            stack.append(False)
        elif name == "MARK":
            marks.append(len(stack))
        elif name == "POP":
            if marks and marks[-1] == len(stack):
                marks.pop()  # pickle's POP of a MARK
            else:
                _pop(stack)
        elif name == "POP_MARK":
            _pop_mark(stack, marks)
        elif name == "DUP":
            stack.append(_pop(stack)[0])
            stack.append(stack[-1])
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            if not stack or not isinstance(arg, int):
                raise _Unread("PUT on an empty stack")
            memo[arg] = stack[-1]
        elif name == "MEMOIZE":
            if not stack:
                raise _Unread("MEMOIZE on an empty stack")
            memo[len(memo)] = stack[-1]
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            if not isinstance(arg, int) or arg not in memo:
                raise _Unread("memo key missing")
            stack.append(memo[arg])
        elif name == "GLOBAL":
            module, _, qual = str(arg).partition(" ")
            stack.append(_Global(module, qual))
        elif name == "STACK_GLOBAL":
            mod_name, qual_name = _pop(stack, 2)
            if not isinstance(mod_name, str) or not isinstance(qual_name, str):
                raise _Unread("STACK_GLOBAL of no strings")
            stack.append(_Global(mod_name, qual_name))
        elif name in ("REDUCE", "NEWOBJ"):
            cls, args = _pop(stack, 2)
            stack.append(_Obj(cls, args, new=name == "NEWOBJ"))
        elif name == "NEWOBJ_EX":
            cls, args, kwargs = _pop(stack, 3)
            stack.append(_Obj(cls, (args, kwargs), new=True))
        elif name == "BUILD":
            state = _pop(stack)[0]
            if not stack or not isinstance(stack[-1], _Obj):
                raise _Unread("BUILD on no instance")
            _build(stack[-1], state)
        elif name == "EMPTY_DICT":
            stack.append({})
        elif name == "EMPTY_LIST":
            stack.append([])
        elif name == "EMPTY_TUPLE":
            stack.append(())
        elif name == "EMPTY_SET":
            stack.append(set())
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            stack.append(tuple(_pop(stack, int(name[-1]))))
        elif name == "TUPLE":
            stack.append(tuple(_pop_mark(stack, marks)))
        elif name == "LIST":
            stack.append(_pop_mark(stack, marks))
        elif name == "DICT":
            items = _pop_mark(stack, marks)
            stack.append(_dict(items))
        elif name == "FROZENSET":
            stack.append(frozenset(_hashable(x) for x in _pop_mark(stack, marks)))
        elif name in ("SETITEM", "SETITEMS"):
            items = _pop(stack, 2) if name == "SETITEM" else _pop_mark(stack, marks)
            target = stack[-1] if stack else None
            if not isinstance(target, dict):
                raise _Unread("SETITEM(S) on no dict")
            target.update(_dict(items))
        elif name in ("APPEND", "APPENDS"):
            items = _pop(stack) if name == "APPEND" else _pop_mark(stack, marks)
            target = stack[-1] if stack else None
            if not isinstance(target, list):
                raise _Unread("APPEND(S) on no list")
            target.extend(items)
        elif name == "ADDITEMS":
            items = _pop_mark(stack, marks)
            target = stack[-1] if stack else None
            if not isinstance(target, set):
                raise _Unread("ADDITEMS on no set")
            target.update(_hashable(x) for x in items)
        else:
            raise _Unread(f"opcode {name} not modelled")
    raise _Unread("no STOP")


def _hashable(x: object) -> object:
    try:
        hash(x)
    except TypeError as exc:
        raise _Unread("unhashable key") from exc
    return x


def _dict(items: list[object]) -> dict[object, object]:
    if len(items) % 2:
        raise _Unread("odd number of dict items")
    return {_hashable(items[i]): items[i + 1] for i in range(0, len(items), 2)}


# classes of the checkpoint's pickle with a ``__setstate__`` (torch/distributed/checkpoint/
# metadata.py): BUILD calls it instead of filling ``__dict__``; their attributes are never read
_SETSTATE = frozenset({("torch.distributed.checkpoint.metadata", "TensorProperties")})


def _build(obj: _Obj, state: object) -> None:
    """BUILD as CPython's ``load_build`` (pickle.py, ``_pickle.c``) does it on an instance
    without ``__setstate__``: ``state`` or ``(state, slotstate)``; the dict's items copied into
    ``__dict__`` now, then each slot item ``setattr`` over them. A class with a ``__setstate__``
    mlbom does not model leaves the instance opaque (never read)."""
    obj.built = True
    if isinstance(obj.cls, _Global) and (obj.cls.module, obj.cls.name) in _SETSTATE:
        obj.opaque = True
        return
    slots: object = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    if state is not None:
        if not isinstance(state, dict):
            raise _Unread("BUILD state is not a dict")
        obj.attrs.update(state)  # a copy of the items: later edits of the dict object do not apply
    if slots is not None:
        if not isinstance(slots, dict):
            raise _Unread("BUILD slot state is not a dict")
        obj.attrs.update(slots)  # setattr, after the dict: the slot state wins


def _fields(obj: object) -> dict[object, object] | None:
    """The attributes of an instance made as a dataclass is unpickled (``cls.__new__`` then
    BUILD): None for a call (its ``__init__`` sets attributes mlbom does not model), an
    instance never built or one built through a ``__setstate__``."""
    if not isinstance(obj, _Obj) or not obj.new or not obj.built or obj.opaque:
        return None
    return obj.attrs


def storage_slices(data: bytes) -> Slices | None:
    """The (file, offset, length) of every item ``.metadata`` lists, or None when the pickle is
    not the ``Metadata`` object DCP writes (or mlbom cannot read it)."""
    if len(data) > MAX_METADATA:
        return None
    try:
        top = _evaluate(data)
    except (_Unread, ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError, MemoryError):
        return None
    fields = _fields(top)
    storage = fields.get("storage_data") if fields is not None else None
    if not isinstance(storage, dict):
        return None
    out = Slices()
    for info in storage.values():
        attrs = _fields(info)
        if attrs is None or not isinstance(info, _Obj) or info.cls != _Global(*_STORAGE_INFO):
            return None
        path, offset, length = attrs.get("relative_path"), attrs.get("offset"), attrs.get("length")
        if not isinstance(path, str) or type(offset) is not int or type(length) is not int:
            return None
        out.items.append(Slice(path, offset, length, bool(attrs.get("transform_descriptors"))))
    return out


def names_checkpoint(data: bytes) -> bool:
    """Whether a pickle names a class of ``torch.distributed.checkpoint`` (every ``.metadata``
    DCP writes does): one :func:`storage_slices` cannot read is then a checkpoint whose slices
    go unchecked, never a pickle to pass over."""
    return b"torch.distributed.checkpoint" in data
