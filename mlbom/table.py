"""One plain-text table renderer, shared by ``mlbom query``, ``mlbom index`` and the text
report, so that every table behaves the same: columns padded to their widest cell; a cell longer
than ``limit`` is cut with a visible ellipsis (never silently), except a hash (32 or more hex
digits, optionally ``alg:``-prefixed), which is always shown whole. Every cell goes through
:func:`printable` (also the text and Markdown reports' escaping), so BOM text cannot drive the
terminal or reorder what is shown. A leaf module."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence

ELLIPSIS = "…"
_HASH = re.compile(r"(?:[A-Za-z0-9-]+:)?[0-9a-fA-F]{32,}")


def _code(ch: str) -> str:
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def printable(text: str) -> str:
    """``text`` safe to show on a terminal or in a Markdown file: every character that is not
    printable (``str.isprintable``: C0 and C1 controls such as ESC and the 8-bit CSI U+009B, DEL,
    line and paragraph separators, bidi overrides and isolates U+202A–U+202E and U+2066–U+2069
    and other format characters, unassigned code points, spaces other than U+0020) is written as
    ``\\x9b``, ``\\u202e`` or ``\\U000e0001``. Printable text is unchanged."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _code(ch) for ch in text)


def shown(cell: str, limit: int | None) -> str:
    """``cell`` as displayed: whole when it fits ``limit`` (or is a hash, or ``limit`` is None),
    else cut to ``limit`` characters ending in an ellipsis."""
    if limit is None or len(cell) <= limit or _HASH.fullmatch(cell):
        return cell
    return cell[: max(0, limit - 1)] + ELLIPSIS


def render(head: Sequence[str], rows: Sequence[Sequence[str]], *, limit: int | None = 60, cap: int | None = None,
           rule: bool = False, rstrip: bool = False) -> list[str]:
    """The table's lines. ``limit``: longest cell shown whole (None: every cell whole);
    ``cap``: widest a column is padded to (longer cells then overflow their column, whole);
    ``rule``: a line of dashes under the heading; ``rstrip``: no trailing spaces."""
    head = [printable(h) for h in head]
    cells = [[shown(printable(x), limit) for x in r] for r in rows]
    widths = [len(h) for h in head]
    for r in cells:
        for i, x in enumerate(r):
            widths[i] = max(widths[i], len(x) if cap is None else min(cap, len(x)))

    def line(values: Sequence[str]) -> str:
        text = "  ".join(v.ljust(widths[i]) for i, v in enumerate(values))
        return text.rstrip() if rstrip else text

    out = [line(head)]
    if rule:
        out.append("  ".join("-" * w for w in widths))
    out += [line(r) for r in cells]
    return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text (OWASP "CSV injection"): one that starts with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, which Excel, LibreOffice and Google
    Sheets would evaluate as a formula (CWE-1236), gets a leading single quote."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def render_csv(columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> str:
    """``rows`` as CSV (RFC 4180: CRLF line ends, so that a cell holding a CR or LF is quoted)
    with a header line (keys outside ``columns`` are left out), every cell
    :func:`spreadsheet_safe`; no line end after the last row."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([spreadsheet_safe(c) for c in columns])
    w.writerows([spreadsheet_safe(str(r.get(c, ""))) for c in columns] for r in rows)
    return buf.getvalue().removesuffix("\r\n")
