"""A bounded reader of UBJSON (Universal Binary JSON, draft 12), the binary model format of
XGBoost (``Booster.save_model("m.ubj")``, the default since xgboost 2.1; red team 18e-8).

UBJSON is pure data — the JSON value model with typed numbers — and XGBoost parses it in C++
into its JSON tree: nothing is imported or called. The reader builds the same value a JSON
reader would, so the scanner judges it as it judges the JSON form; numeric arrays written in the
strongly typed form (``[$d#…``, ``[$l#…``: the bulk of a model's trees) are checked for size and
skipped, never materialised — numbers name nothing a loader could run.

Markers: ``Z`` null, ``N`` no-op, ``T``/``F``, ``i U I l L`` (int8, uint8, int16, int32, int64,
big-endian), ``d D`` (float32/64), ``H`` (a high-precision number as a string), ``C`` (a char),
``S`` (a string: length, UTF-8 bytes), ``[`` and ``{`` (optionally ``$type`` then ``#count``;
object keys are a length and UTF-8 bytes without the ``S``). Anything else, a length or count
that is negative or runs past the end, invalid UTF-8, nesting deeper than
:data:`mlbom.limits.MAX_DEPTH`, more than :data:`MAX_ITEMS` values, or bytes after the value is
a :class:`~mlbom.formats.weights.FormatError`."""

from __future__ import annotations

import struct

from mlbom.formats.weights import FormatError
from mlbom.limits import MAX_DEPTH

MAX_BYTES = 512 << 20  # largest UBJSON document read
MAX_ITEMS = 5_000_000  # values (typed numeric array elements not counted: they are skipped)

_INTS = {b"i": (1, ">b"), b"U": (1, ">B"), b"I": (2, ">h"), b"l": (4, ">i"), b"L": (8, ">q")}
_FLOATS = {b"d": (4, ">f"), b"D": (8, ">d")}
_SIZED = {**{k: v[0] for k, v in _INTS.items()}, **{k: v[0] for k, v in _FLOATS.items()}, b"C": 1}
# a second byte that makes `{`/`[` UBJSON and never JSON text
_AFTER_OBJECT = frozenset(b"iUIlL$#")
_AFTER_ARRAY = frozenset(b"ZNTFiUIlLdDHCS$#")


def looks_like(head: bytes) -> bool:
    """Whether ``head`` starts a UBJSON container that no JSON text starts like (``{`` then a
    length marker, ``[`` then a value marker; ``{}``/``[[``… are left to the JSON reader)."""
    if len(head) < 2:
        return False
    if head[:1] == b"{":
        return head[1] in _AFTER_OBJECT
    return head[:1] == b"[" and head[1] in _AFTER_ARRAY


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.items = 0
        self.duplicates: list[str] = []
        self.skipped = 0  # typed numeric values not materialised

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise FormatError(f"ubjson: {n} bytes wanted at {self.pos}, past the end ({len(self.data)} bytes)")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def marker(self) -> bytes:
        m = self.take(1)
        while m == b"N":  # no-op
            m = self.take(1)
        return m

    def length(self) -> int:
        m = self.take(1)
        if m not in _INTS:
            raise FormatError(f"ubjson: a length must be an integer, found marker {m!r} at {self.pos - 1}")
        size, fmt = _INTS[m]
        n = int(struct.unpack(fmt, self.take(size))[0])
        if n < 0:
            raise FormatError(f"ubjson: negative length {n} at {self.pos}")
        return n

    def text(self, n: int) -> str:
        raw = self.take(n)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"ubjson: a string is not UTF-8 ({exc.reason}) at {self.pos - n}") from exc

    def count(self) -> None:
        self.items += 1
        if self.items > MAX_ITEMS:
            raise FormatError(f"ubjson: more than {MAX_ITEMS} values: not read")

    def value(self, m: bytes, depth: int) -> object:
        self.count()
        if m == b"Z":
            return None
        if m == b"T":
            return True
        if m == b"F":
            return False
        if m in _INTS:
            size, fmt = _INTS[m]
            return int(struct.unpack(fmt, self.take(size))[0])
        if m in _FLOATS:
            size, fmt = _FLOATS[m]
            return float(struct.unpack(fmt, self.take(size))[0])
        if m == b"C":
            return self.text(1)
        if m in (b"S", b"H"):
            return self.text(self.length())
        if m in (b"[", b"{"):
            if depth >= MAX_DEPTH:
                raise FormatError(f"ubjson: nested deeper than {MAX_DEPTH}")
            return self.container(m == b"{", depth + 1)
        raise FormatError(f"ubjson: unknown marker {m!r} at {self.pos - 1}")

    def container(self, is_object: bool, depth: int) -> object:
        typ: bytes | None = None
        n: int | None = None
        nxt = self.take(1)
        if nxt == b"$":
            typ = self.take(1)
            if typ not in _SIZED and typ not in (b"Z", b"T", b"F", b"S", b"H", b"[", b"{"):
                raise FormatError(f"ubjson: container type {typ!r} is no value type")
            if self.take(1) != b"#":
                raise FormatError("ubjson: a typed container must give its count ('#')")
            n = self.length()
        elif nxt == b"#":
            n = self.length()
        else:
            self.pos -= 1
        end = b"}" if is_object else b"]"
        if not is_object and typ in _SIZED and n is not None:  # a typed numeric array: checked, skipped
            self.take(n * _SIZED[typ])
            self.skipped += n
            return []
        if n is not None and typ is None and n > len(self.data) - self.pos:
            raise FormatError(f"ubjson: count {n} exceeds the bytes left")
        out_list: list[object] = []
        out_dict: dict[str, object] = {}
        i = 0
        while n is None or i < n:
            if n is None:
                m = self.marker()
                if m == end:
                    break
                if is_object:
                    self.pos -= 1
            if is_object:
                key = self.text(self.length())
                m = typ if typ is not None else self.marker()
                val = self.value(m, depth)
                if key in out_dict:
                    self.duplicates.append(key)
                out_dict[key] = val
            else:
                if n is not None:
                    m = typ if typ is not None else self.marker()
                out_list.append(self.value(m, depth))  # m: the marker read above when counted by ']'
            i += 1
        return out_dict if is_object else out_list


def parse(data: bytes) -> tuple[object, list[str], int]:
    """The document's value, the object keys that occur twice in one object (the later value is
    kept here; which one a reader keeps is its own choice, so the caller reports them), and the
    count of typed numeric values skipped. Raises FormatError where the bytes are not one UBJSON value."""
    if len(data) > MAX_BYTES:
        raise FormatError(f"ubjson: {len(data)} bytes exceed the limit of {MAX_BYTES}")
    r = _Reader(data)
    value = r.value(r.marker(), 0)
    if r.pos != len(data):
        raise FormatError(f"ubjson: {len(data) - r.pos} bytes after the value")
    return value, r.duplicates, r.skipped
