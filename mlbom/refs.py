"""Bom-ref identity: the one rule that turns a path or a name into the part of a bom-ref that
names it (red team 83c-1, 83c-2, 83c-3).

A model's or dataset's own parts get bom-refs ``REF#part`` (``#modelcard``, ``#data``,
``#source:…``, ``#base:…``, ``#<file>``), so the text that becomes ``REF`` or a file's part must
never hold a raw ``#``: a folder named ``m#modelcard`` would otherwise make the ref of another
model's model card. :func:`ref_part` is injective, and leaves every ordinary name unchanged:

- ``%`` → ``%25``, ``#`` → ``%23``, and each character XML 1.0 cannot hold below U+0020
  (control characters) → ``%XX`` (its code, two hex digits, below ``%80``);
- a byte of a file name that is not UTF-8 (kept by ``os.fsdecode`` as the surrogate escape
  U+DC80…U+DCFF) → ``%XX`` with the byte (``%80``…``%FF``), so ``a<FF>.txt`` is ``a%FF.txt``,
  never the text ``a\\xff.txt`` that a real file name can also hold;
- any other lone surrogate, U+FFFE and U+FFFF → ``%uXXXX``.

A bom-ref made this way never holds a character XML cannot carry, so the XML writer's
replacement of such characters (:mod:`mlbom.cyclonedx.xmltext`) never joins two refs."""

from __future__ import annotations

import re

__all__ = ["ref_part", "unescape_part"]

_ESCAPED = re.compile("[%#\x00-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code < 0x80:
        return f"%{code:02X}"
    if 0xDC80 <= code <= 0xDCFF:  # a surrogate-escaped byte of a name that is not UTF-8
        return f"%{code - 0xDC00:02X}"
    return f"%u{code:04X}"


def ref_part(text: str) -> str:
    """``text`` (a path as walked, with surrogate escapes, or a name) as the part of a bom-ref
    that names it: ``%``, ``#``, control characters, non-UTF-8 bytes and the other characters
    XML cannot hold percent-encoded, injectively (see the module). Unchanged for ordinary names."""
    return text if _ESCAPED.search(text) is None else _ESCAPED.sub(_escape, text)


_UNESCAPE = re.compile(r"%(?:u([0-9A-F]{4})|([0-9A-F]{2}))")


def unescape_part(text: str) -> str | None:
    """The text :func:`ref_part` made ``text`` from, or None when ``text`` is not of its form
    (a ``%`` not followed by what :func:`ref_part` writes, a code it never writes, or a ``#``):
    used to read ``mlbom:file:path-escaped`` (red team 122g-5)."""
    if "#" in text or text.count("%") != len(_UNESCAPE.findall(text)):
        return None
    out = _UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else
                        chr(int(m.group(2), 16) + (0xDC00 if int(m.group(2), 16) >= 0x80 else 0)), text)
    return out if ref_part(out) == text else None
