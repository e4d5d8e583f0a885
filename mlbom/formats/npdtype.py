"""numpy dtype strings as ``numpy.dtype(str)`` reads them — never numpy itself.

One reader for every place mlbom meets a dtype spelling (NPY headers, joblib's pickled
``numpy.dtype(code, ...)``): the type characters, kind-plus-size codes (``'f8'``, ``'U10'``,
``'M8[ns]'``), numpy's type names (``'float64'``, ``'bool'``, ``'str_'``), and the comma
strings of ``numpy._core._internal._commastring`` (``'i4,O'``, ``'(2,)O'``, ``'2i4'``). The
result is the item size in bytes and whether an object lives anywhere in it (then numpy
pickles the data). Anything else raises :class:`DTypeError`: a spelling mlbom
does not understand is never taken for plain data. Sizes are those of a 64-bit Linux numpy 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mlbom.limits import bounded_int

MAX_ITEMSIZE = 1 << 62


class DTypeError(ValueError):
    """A dtype spelling mlbom does not understand."""


@dataclass(frozen=True)
class DType:
    itemsize: int
    hasobject: bool
    kind: str  # numpy's kind character: b i u f c S U V O M m
    flexible: bool = False  # S/U/V: the size comes from the spelling (or a pickled state's elsize)
    struct: bool = False  # a comma list ('O,i8'): numpy makes a struct of it (kind V, not flexible)
    subcount: int = 1  # a sub-array ('(2,3)i4'): base elements per item (the product of its dims)


# single type characters (numpy.dtype(char))
_CHARS: dict[str, tuple[int, str]] = {
    "?": (1, "b"), "b": (1, "i"), "B": (1, "u"), "h": (2, "i"), "H": (2, "u"), "i": (4, "i"), "I": (4, "u"),
    "l": (8, "i"), "L": (8, "u"), "q": (8, "i"), "Q": (8, "u"), "p": (8, "i"), "P": (8, "u"), "n": (8, "i"),
    "N": (8, "u"), "e": (2, "f"), "f": (4, "f"), "d": (8, "f"), "g": (16, "f"), "F": (8, "c"), "D": (16, "c"),
    "G": (32, "c"), "O": (8, "O"), "S": (0, "S"), "a": (0, "S"), "c": (1, "S"), "U": (0, "U"), "V": (0, "V"),
    "M": (8, "M"), "m": (8, "m"),
}
# numpy.sctypeDict's names (numpy 2.4, 64-bit Linux)
_NAMES: dict[str, tuple[int, str]] = {
    "a": (0, "S"), "bool": (1, "b"), "bool_": (1, "b"), "byte": (1, "i"), "bytes": (0, "S"), "bytes_": (0, "S"),
    "cdouble": (16, "c"), "clongdouble": (32, "c"), "complex": (16, "c"), "complex128": (16, "c"),
    "complex256": (32, "c"), "complex64": (8, "c"), "csingle": (8, "c"), "datetime64": (8, "M"),
    "double": (8, "f"), "float": (8, "f"), "float128": (16, "f"), "float16": (2, "f"), "float32": (4, "f"),
    "float64": (8, "f"), "half": (2, "f"), "int": (8, "i"), "int16": (2, "i"), "int32": (4, "i"),
    "int64": (8, "i"), "int8": (1, "i"), "int_": (8, "i"), "intc": (4, "i"), "intp": (8, "i"), "long": (8, "i"),
    "longdouble": (16, "f"), "longlong": (8, "i"), "object": (8, "O"), "object_": (8, "O"), "short": (2, "i"),
    "single": (4, "f"), "str": (0, "U"), "str_": (0, "U"), "timedelta64": (8, "m"), "ubyte": (1, "u"),
    "uint": (8, "u"), "uint16": (2, "u"), "uint32": (4, "u"), "uint64": (8, "u"), "uint8": (1, "u"),
    "uintc": (4, "u"), "uintp": (8, "u"), "ulong": (8, "u"), "ulonglong": (8, "u"), "unicode": (0, "U"),
    "ushort": (2, "u"), "void": (0, "V"),
}
# kind + size: the sizes numpy accepts for each numeric kind
_SIZES: dict[str, frozenset[int]] = {
    "b": frozenset({1}), "i": frozenset({1, 2, 4, 8}), "u": frozenset({1, 2, 4, 8}), "f": frozenset({2, 4, 8, 16}),
    "c": frozenset({8, 16, 32}), "O": frozenset({4, 8}), "M": frozenset({8}), "m": frozenset({8}),
}
_DATETIME_UNIT = re.compile(r"\[(?:(?P<num>\d*)(?:Y|M|W|D|h|m|s|ms|us|\u03bcs|ns|ps|fs|as)(?:/(?P<den>\d+))?|generic)\]")
_REPEAT = re.compile(r"0+|[1-9][0-9]*")  # a decimal literal as ast.literal_eval takes it: no leading zeros
_SIZED = re.compile(r"([biufcOMmSaUV])(\d+)")
_FLEXIBLE = frozenset("SUV")
# numpy._core._internal's comma-string grammar
_FORMAT = re.compile(r"(?P<order1>[<>|=]?)(?P<repeats> *[(]?[ ,0-9]*[)]? *)(?P<order2>[<>|=]?)"
                     r"(?P<dtype>[A-Za-z0-9.?]*(?:\[[a-zA-Z0-9,.]+\])?)")
_SEP = re.compile(r"\s*,\s*")
_SPACE = re.compile(r"\s+$")


def _bad(spec: str) -> DTypeError:
    return DTypeError(f"dtype {spec[:60]!r} is not one mlbom can classify")


def simple(spec: str) -> DType:
    """One type spelling without commas or repeat counts (``'<f8'``, ``'float64'``, ``'M8[s]'``)."""
    s = spec[1:] if spec[:1] in ("<", ">", "|", "=") else spec
    unit = ""
    br = s.find("[")
    if br >= 0:
        s, unit = s[:br], s[br:]
    hit = _CHARS.get(s) if len(s) == 1 else _NAMES.get(s)
    if hit is None:
        m = _SIZED.fullmatch(s)
        if m is None:
            raise _bad(spec)
        kind, digits = m.group(1), m.group(2)
        if len(digits) > 18:
            raise _bad(spec)
        n = int(digits)
        if kind in ("S", "a", "V"):
            hit = (n, "S" if kind == "a" else kind)
        elif kind == "U":
            hit = (4 * n, "U")
        elif n in _SIZES[kind]:
            hit = (8 if kind == "O" else n, kind)
        else:
            raise _bad(spec)
    if s == "a" and spec != s:
        raise _bad(spec)  # numpy takes a bare 'a' by name only: '<a', '|a' are not understood (red team 92s)
    size, kind = hit
    if unit and (kind not in ("M", "m") or not _datetime_unit(unit)):
        raise _bad(spec)
    return DType(size, kind == "O", kind, kind in _FLEXIBLE)


# numpy's ``_multiples_table`` (``datetime.c``, ``convert_datetime_divisor_to_multiple``): the
# finer units' factors a datetime divisor (``[Y/2]``) must divide for numpy to take it (``[Y/2]``
# is ``[6M]``). Weeks try four entries of a three-entry row, the fourth a zero every divisor
# divides: numpy takes any divisor of a week. Femtoseconds have one finer unit, attoseconds none.
_DIVISIBLE: dict[str, tuple[int, ...]] = {
    "Y": (12, 52, 365), "M": (4, 30, 720), "W": (0,), "D": (24, 1440, 86400), "h": (60, 3600),
    "m": (60, 60000), "s": (1000, 1000000), "ms": (1000, 1000000), "us": (1000, 1000000),
    "\u03bcs": (1000, 1000000), "ns": (1000, 1000000), "ps": (1000, 1000000), "fs": (1000,), "as": (),
}


def _datetime_unit(unit: str) -> bool:
    """A ``[unit]`` numpy takes for M8/m8, divisors (``[us/2]``) by numpy's rule: ``/1``, or one
    that divides a finer unit's factor (``[ms/2]`` is ``[500us]``; ``[6s/3]`` is refused: 3 divides
    neither 1000 nor 1000000). numpy dies of SIGFPE on ``/0`` (red team 92s): refused, as every
    divisor numpy refuses and any past a C ``int``."""
    m = _DATETIME_UNIT.fullmatch(unit)
    if m is None:
        return False
    den = m.group("den")
    if den is None:
        return True
    d = bounded_int(den, max_digits=10)
    if d is None or not 0 < d < 2**31:
        return False
    base = unit[1:-1].split("/")[0].lstrip("0123456789")
    return d == 1 or any(f % d == 0 for f in _DIVISIBLE.get(base, ()))


def _is_comma_string(s: str) -> bool:
    """numpy's ``_check_for_commastring``."""
    if s[:1].isdigit() or (len(s) > 1 and s[0] in "<>|=" and s[1].isdigit()):
        return True
    if s.startswith("()") or (len(s) > 3 and s[0] in "<>|=" and s[1:3] == "()"):
        return True
    depth = 0
    for ch in s:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            return True
    return False


def _repeats(text: str, spec: str) -> int | tuple[int, ...]:
    """``ast.literal_eval`` of a repeat count, as numpy's ``_commastring`` takes it: an int
    (``2``, ``(2)``) or, where a comma makes one, a tuple of ints (``2,``, ``(2,)``, ``2,3``, ``()``);
    a number with leading zeros (``01``) is refused, as literal_eval refuses it."""
    t = text.strip()
    paren = t.startswith("(") and t.endswith(")")
    if paren:
        t = t[1:-1].strip()
    elif "(" in t or ")" in t:
        raise _bad(spec)
    if not t:
        if paren:
            return ()
        raise _bad(spec)
    parts = [p.strip() for p in t.split(",")]
    is_tuple = len(parts) > 1
    if is_tuple and parts[-1] == "":
        parts = parts[:-1]
    if not all(_REPEAT.fullmatch(p) for p in parts):
        raise _bad(spec)
    counts = [n for p in parts if (n := bounded_int(p, max_digits=18)) is not None]
    if len(counts) != len(parts):
        raise _bad(spec)
    return tuple(counts) if is_tuple else counts[0]


@lru_cache(maxsize=4096)  # a pickle repeats one spelling per scalar it holds (a vocabulary's int64s)
def parse(spec: str) -> DType:
    """``numpy.dtype(spec)`` for a str ``spec``: its item size and whether it holds objects."""
    if len(spec) > 4096:
        raise _bad(spec)
    if not _is_comma_string(spec):
        return simple(spec)
    items: list[DType] = []
    pos = 0
    islist = False
    while pos < len(spec):
        m = _FORMAT.match(spec, pos)
        if m is None:
            raise _bad(spec)
        pos = m.end()
        if pos < len(spec):
            if _SPACE.match(spec, pos):
                pos = len(spec)
            else:
                sep = _SEP.match(spec, pos)
                if sep is None:
                    raise _bad(spec)
                pos = sep.end()
                islist = True
        o1, o2 = m.group("order1"), m.group("order2")
        base = simple((o1 or o2) + m.group("dtype")) if m.group("dtype") else None
        if base is None:
            raise _bad(spec)
        rep = m.group("repeats")
        if rep:
            counts = _repeats(rep, spec)
            if base.flexible and base.itemsize == 0:
                # numpy's (unsized S/U/V/a, int) is that width, not a sub-array ('8S' is 'S8',
                # '2U' is 'U2'); with a tuple numpy refuses it (red team 92s-1: '8S' read as
                # 8 x S0 made a joblib array 0 bytes long, and its bytes were read as opcodes)
                if isinstance(counts, tuple) or counts > MAX_ITEMSIZE // 4:
                    raise _bad(spec)
                base = DType(counts * (4 if base.kind == "U" else 1), False, base.kind, True)
            elif counts != ():
                count = 1
                for d in counts if isinstance(counts, tuple) else (counts,):
                    count *= d
                    if count > MAX_ITEMSIZE:
                        raise _bad(spec)
                base = DType(base.itemsize * count, base.hasobject, "V", subcount=count)
        items.append(base)
        if len(items) > 4096:
            raise _bad(spec)
    if not items:
        raise _bad(spec)
    if not islist:
        return items[0]
    size = sum(d.itemsize for d in items)
    if size > MAX_ITEMSIZE:
        raise _bad(spec)
    return DType(size, any(d.hasobject for d in items), "V", struct=True)
