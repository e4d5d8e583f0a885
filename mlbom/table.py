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


def printable_lines(text: str) -> str:
    """Several lines of human-readable output with every line :func:`printable` (the line feeds
    between them kept): the CLI's last line of defence for text output, so that a writer that
    forgot a field cannot let BOM or file text drive the terminal (red team 8c T7). A field that
    could hold a line feed must still be escaped by its writer, or it adds a line."""
    return "\n".join(printable(line) for line in text.split("\n"))


# Markdown (CommonMark + GFM tables), the escaping of every Markdown writer (``report``, ``diff``,
# ``check``): BOM text cannot form a link, image, emphasis, heading, list, code span or raw HTML
# (``<`` so that ``<!--`` cannot open a comment that hides every later row: red team 8c T6), a
# ``|`` cannot end a table cell, and no line break (LF, CR, U+2028, …) can end a row.
_MD_SPECIAL = re.compile(r"([\\`*{}\[\]<>#!|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_MD_LINE_START = re.compile(r"^(\d+)([.)])|^([-+=])")
_BACKTICKS = re.compile(r"`+")


def _one_line(s: str) -> str:
    return printable(s.replace("\r", " ").replace("\n", " ").replace("\t", " "))


def markdown_text(s: str, *, line_start: bool = False) -> str:
    """Inert Markdown text on one line (a table cell, a paragraph): non-printable characters as
    :func:`printable` shows them (a CR, LF or tab as a space), Markdown punctuation, ``<`` and
    ``&`` behind a backslash; ``line_start`` when it begins a line or list item, where ``1.``
    or ``-`` would start a list."""
    s = _MD_SPECIAL.sub(r"\\\1", _one_line(s))
    if not line_start:
        return s
    return _MD_LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"\\{m.group(3)}", s)


def markdown_code(s: str) -> str:
    """``s`` as one Markdown code span, for a table cell: shown literally (no backslash escapes
    work inside a code span, so nothing needs them but the delimiters), fenced by one backtick
    more than the longest run inside it and padded with a space when it starts or ends with a
    backtick; ``|`` as ``\\|`` (GFM splits cells before it parses code spans); empty for ``""``."""
    s = _one_line(s).replace("|", "\\|")
    if not s:
        return ""
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(s)), default=0) + 1)
    pad = " " if s[0] == "`" or s[-1] == "`" or (s[0] == " " and s[-1] == " " and s.strip()) else ""
    return f"{fence}{pad}{s}{pad}{fence}"


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
