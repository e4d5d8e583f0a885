"""Text as XML 1.0 can hold it: escaped, with the characters XML cannot carry replaced, so
writing a BOM as XML never fails (the leaf both the writer and the ML-block writer use)."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """``value`` as XML character data: escaped, CR written ``&#13;`` (a raw CR is read back as
    LF, red team 122g-5), and characters XML 1.0 cannot hold (control characters, lone
    surrogates, U+FFFE/U+FFFF) replaced with U+FFFD, so writing never fails."""
    return escape(_INVALID_XML.sub("\ufffd", str(value)), {"\r": "&#13;"})


def xml_clean(value: str) -> str:
    """``value`` with each character XML 1.0 cannot hold replaced by U+FFFD (as written)."""
    return _INVALID_XML.sub("\ufffd", value)


def holdable(value: str) -> bool:
    """Whether XML 1.0 holds ``value`` exactly (:func:`xml_text` replaces nothing in it)."""
    return _INVALID_XML.search(value) is None


def xml_attr(value: object) -> str:
    """``value`` as a quoted XML attribute value, cleaned as :func:`xml_text` does."""
    return quoteattr(_INVALID_XML.sub("\ufffd", str(value)))
