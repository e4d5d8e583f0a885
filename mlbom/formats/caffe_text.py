"""Caffe nets' Python layers, read the way caffe reads a ``.prototxt`` (red team 115pa-3, 116pa-1).

caffe's ``ReadProtoFromTextFile`` parses the net with protobuf's ``TextFormat::Parse``; for a layer
of type ``Python``, ``GetPythonLayer`` (``layer_factory.cpp``) then imports ``python_param.module``
and calls its attribute ``python_param.layer``. protobuf's text format (``text_format.cc``
``ParserImpl::ConsumeField``, ``tokenizer.cc``) accepts more spellings than one regular expression
reads: the ``:`` before a message value is optional, a message is ``{…}`` or ``<…>``, ``#`` starts a
comment, strings (``"…"`` or ``'…'``) hold any brace, escapes (``\\157``, ``\\x6f``, ``\\u…``) and
adjacent literals concatenate (``"o" "s"``), and a body has no length limit.

So: :func:`python_params` is a small tokenizer of that text format. Every ``python_param`` that is
a field name (an identifier outside comments and strings) is a block, whatever follows it — the
caller's fail-closed floor (``code.remote``); the ``module``/``layer`` strings read from its body
only raise that to a denied target."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_BLOCKS = 1000  # python_param blocks read per file (past it, the rest count, unread: code.remote all the same)
MAX_VALUES = 16  # module/layer values kept per block

# one token of protobuf's text format (tokenizer.cc, SH_COMMENT_STYLE): whitespace and ``#`` comments
# are skipped; a string runs to its closing quote or, unterminated, to the end of its line
_TOKEN = re.compile(r"""
    [ \t\r\n\f\v]+
  | \#[^\n]*
  | (?P<str>"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<num>[0-9][A-Za-z0-9_.+\-]*)
  | (?P<sym>.)
""", re.VERBOSE | re.DOTALL)

_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|[xX]([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.DOTALL)
_SIMPLE = {"a": b"\a", "b": b"\b", "f": b"\f", "n": b"\n", "r": b"\r", "t": b"\t", "v": b"\v", "\\": b"\\",
           "?": b"?", "'": b"'", '"': b'"'}


@dataclass(frozen=True)
class PythonParam:
    """One ``python_param`` field: the ``module`` and ``layer`` strings its body gives (each value
    given, in order: a repeated singular field is a parse error in caffe, and every reading counts)."""

    modules: tuple[str, ...]
    layers: tuple[str, ...]


def unescape(token: str) -> str:
    """A string token's value as protobuf's tokenizer gives it (``ParseStringAppend``): C escapes,
    octal and hex bytes, ``\\u``/``\\U`` code points; the bytes read as UTF-8."""
    quote = token[0]
    body = token[1:-1] if len(token) >= 2 and token.endswith(quote) and not _escaped_end(token) else token[1:]
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(body):
        out += body[pos:m.start()].encode("utf-8", "surrogatepass")
        pos = m.end()
        octal, hx, u4, u8, other = m.groups()
        if octal is not None:
            out.append(int(octal, 8) & 0xFF)
        elif hx is not None:
            out.append(int(hx, 16))
        elif u4 is not None or u8 is not None:
            cp = int(u4 or u8 or "0", 16)
            out += chr(cp).encode("utf-8", "surrogatepass") if cp <= 0x10FFFF else b"?"
        else:
            out += _SIMPLE.get(other, other.encode("utf-8", "surrogatepass"))
    out += body[pos:].encode("utf-8", "surrogatepass")
    return out.decode("utf-8", "replace")


def _escaped_end(token: str) -> bool:
    """Whether the last quote of ``token`` is escaped (then the string is unterminated)."""
    n = 0
    for c in reversed(token[1:-1]):
        if c != "\\":
            break
        n += 1
    return n % 2 == 1


def tokens(text: str) -> Iterator[tuple[str, str]]:
    """The tokens of protobuf's text format (``(kind, text)``: ``str``, ``id``, ``num``, ``sym``),
    whitespace and comments skipped (:data:`_TOKEN`); :mod:`mlbom.formats.tf_text` reads with it too."""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind is not None:
            yield kind, m.group(kind)


def python_params(text: str) -> tuple[list[PythonParam], int]:
    """The ``python_param`` fields of a net in protobuf's text format: the first
    :data:`MAX_BLOCKS`, read, and how many there are in all. ``python_param`` as an identifier
    (never in a comment or a string) is one, whatever follows it (``:``, ``{``, ``<`` or nothing
    protobuf would parse): its body, when it has one, gives the ``module``/``layer`` strings at its
    own level (``module: "a" "b"`` is ``ab``)."""
    toks = [t for t in tokens(text)] if "python_param" in text else []
    out: list[PythonParam] = []
    count = 0
    i, n = 0, len(toks)
    while i < n:
        if toks[i] != ("id", "python_param"):
            i += 1
            continue
        count += 1
        j = i + 1
        if j < n and toks[j] == ("sym", ":"):
            j += 1
        values: dict[str, list[str]] = {"module": [], "layer": []}
        if j < n and toks[j][0] == "sym" and toks[j][1] in "{<":
            j, values = _body(toks, j + 1)
        if len(out) < MAX_BLOCKS:
            out.append(PythonParam(tuple(values["module"][:MAX_VALUES]), tuple(values["layer"][:MAX_VALUES])))
        i = j
    return out, count


def _body(toks: list[tuple[str, str]], j: int) -> tuple[int, dict[str, list[str]]]:
    """A message body from just after its opening delimiter: the index after its close (or the
    end) and the ``module``/``layer`` strings at its own level."""
    values: dict[str, list[str]] = {"module": [], "layer": []}
    depth, n = 1, len(toks)
    while j < n and depth:
        kind, v = toks[j]
        if kind == "sym" and v in "{<":
            depth += 1
        elif kind == "sym" and v in "}>":
            depth -= 1
        elif depth == 1 and kind == "id" and v in values:
            k = j + 1
            if k < n and toks[k] == ("sym", ":"):
                k += 1
            parts: list[str] = []
            while k < n and toks[k][0] == "str":  # adjacent literals concatenate
                parts.append(unescape(toks[k][1]))
                k += 1
            if parts:
                values[v].append("".join(parts))
                j = k
                continue
        elif kind == "id" and v == "python_param":
            break  # (a new field: the body was never closed; the caller reads it as a block of its own)
        j += 1
    return j, values
