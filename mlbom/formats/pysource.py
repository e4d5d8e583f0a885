"""Whether bytes could be Python source to CPython, whatever else they read as (red team 26c-1):
the decoding CPython's tokenizer takes (PEP 263), read statically from the bytes.

- A UTF-8 BOM selects UTF-8. A coding declaration (``coding[:=]\\s*([-\\w.]+)`` in a comment)
  on the first line, or on the second when the first is blank or only a comment, selects its
  codec (normalised as the stdlib ``tokenize.detect_encoding`` does); an unknown one, or one
  that is not ASCII-compatible, is a ``SyntaxError`` to CPython. Otherwise UTF-8.
- A NUL byte anywhere makes CPython refuse the source ("source code cannot contain null bytes").
- CPython 3.11 compiles source bytes without checking the UTF-8 of comments: a byte that does
  not decode counts only when it lies outside a comment (approximated: before the first ``#`` of
  its line, so a ``#`` inside a string literal counts as a comment: the test errs towards
  "Python").
"""

from __future__ import annotations

import codecs
import re

__all__ = ["declared_encoding", "python_readable"]

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_BLANK = re.compile(rb"^[ \t\f]*(?:[#\r\n]|$)")


def _normal(name: str) -> str:
    """``tokenize._get_normal_name``: the spellings CPython maps to utf-8 and latin-1."""
    enc = name[:12].lower().replace("_", "-")
    if enc == "utf-8" or enc.startswith("utf-8-"):
        return "utf-8"
    if enc in ("latin-1", "iso-8859-1", "iso-latin-1") or enc.startswith(("latin-1-", "iso-8859-1-", "iso-latin-1-")):
        return "iso-8859-1"
    return name


def declared_encoding(data: bytes) -> str | None:
    """The codec CPython decodes source ``data`` with (``"utf-8"`` without a declaration), or
    ``None`` when the declaration makes CPython refuse it (unknown codec, not ASCII-based, or a
    BOM that contradicts it)."""
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[3:]
    lines = data.split(b"\n", 2)[:2]
    for i, line in enumerate(lines):
        m = _COOKIE.match(line)
        if m is not None:
            name = _normal(m.group(1).decode("ascii", "replace"))
            try:
                info = codecs.lookup(name)
            except LookupError:
                return None
            if bom and info.name != "utf-8":
                return None
            try:
                if "#".encode(info.name) != b"#" or "coding".encode(info.name) != b"coding":
                    return None
            except (UnicodeError, LookupError):
                return None
            return info.name
        if i == 0 and _BLANK.match(line) is None:
            break
    return "utf-8"


def python_readable(data: bytes) -> bool:
    """Whether CPython could take all of ``data`` as source text: no NUL byte, and it decodes
    under its PEP 263 codec (for UTF-8, bytes that do not decode only in comments)."""
    if b"\x00" in data:
        return False
    codec = declared_encoding(data)
    if codec is None:
        return False
    try:
        data.decode(codec)
        return True
    except UnicodeDecodeError:
        if codec != "utf-8":
            return False
    for line in data.split(b"\n"):
        code = line.split(b"#", 1)[0]
        try:
            code.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True
