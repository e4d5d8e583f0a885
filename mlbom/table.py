"""One plain-text table renderer, shared by ``mlbom query``, ``mlbom index`` and the text
report, so that every table behaves the same: columns padded to their widest cell; a cell longer
than ``limit`` is cut with a visible ellipsis (never silently), except a hash (32 or more hex
digits, optionally ``alg:``-prefixed), which is always shown whole. A leaf module."""

from __future__ import annotations

import re
from collections.abc import Sequence

ELLIPSIS = "…"
_HASH = re.compile(r"(?:[A-Za-z0-9-]+:)?[0-9a-fA-F]{32,}")


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
    cells = [[shown(x, limit) for x in r] for r in rows]
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
