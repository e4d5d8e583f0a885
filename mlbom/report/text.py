"""The report as plain text (a terminal or an e-mail), with the same content as the HTML page.
Columns are padded to a width for reading, never cut here: a longer cell runs past its column
(every cell is already at most ``MAX_REPORT_CELL_CHARS`` characters, :func:`mlbom.report.model.clip`).
Characters from the BOM that are not printable (C0/C1 controls such as terminal escapes, bidi
overrides) are shown as ``\\xNN``/``\\uNNNN`` (:func:`mlbom.table.printable`)."""

from __future__ import annotations

from mlbom import table as text_table
from mlbom.report.model import Bars, Block, Bullets, Facts, Lineage, Para, Report, Table

_MAX_COL = 40


def esc(s: str) -> str:
    return text_table.printable(s)


def _table(head: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> list[str]:
    # Every cell whole (a long one overflows its column): the text report never cuts a value.
    return text_table.render(head, [[esc(x) for x in r] for r in rows], limit=None, cap=_MAX_COL, rule=True, rstrip=True)


def _block(b: Block, out: list[str]) -> None:
    if isinstance(b, Facts):
        w = max((len(k) for k, _ in b.pairs), default=0)
        out += [f"{esc(k).ljust(w)}  {esc(v)}" for k, v in b.pairs]
    elif isinstance(b, Table):
        if b.caption:
            out += [esc(b.caption) + ":"]
        out += _table(b.head, b.rows) if b.rows else [esc(b.empty)] if not b.omitted else []
        if b.omitted:
            out.append(esc(b.note))
    elif isinstance(b, Bullets):
        if b.caption:
            out += [esc(b.caption) + ":"]
        out += [f"  - {esc(i)}" for i in b.items] if b.items else [esc(b.empty)]
    elif isinstance(b, Para):
        out.append(esc(b.text))
    elif isinstance(b, Bars):
        if not b.bars:
            return
        top = max(x.value for x in b.bars) or 1
        w = max(len(esc(x.label)) for x in b.bars)
        out += [esc(b.title) + ":"] + [f"  {esc(x.label).ljust(w)}  {'#' * max(1, x.value * 30 // top)} {x.value}"
                                       for x in b.bars]
    elif isinstance(b, Lineage):
        out.append("Lineage: " + esc(", ".join(b.bases) or "(no base model declared)") + " -> " + esc(b.model) + " -> "
                   + esc(", ".join(b.datasets) or "(no dataset linked)"))
    out.append("")


def render(r: Report) -> str:
    out = [esc(r.title), "=" * len(esc(r.title)), ""]
    for s in r.sections:
        t = esc(s.title)
        out += [t, ("-" if s.level == 2 else ".") * len(t), ""]
        for b in s.blocks:
            _block(b, out)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)
