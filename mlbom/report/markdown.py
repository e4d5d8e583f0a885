"""The report as Markdown (CommonMark/GFM) with the same content as the HTML page. Every string
from the BOM is escaped: Markdown punctuation and ``<``/``&`` get a backslash (so no link, image,
emphasis or raw HTML can be formed from BOM text), ``|`` cannot end a table cell and line breaks
cannot end a row. Figures become their numbers (bars) or arrows (lineage)."""

from __future__ import annotations

from mlbom.report.model import Bars, Block, Bullets, Facts, Lineage, Para, Report, Table
from mlbom.table import markdown_text


def esc(s: str, *, line_start: bool = False) -> str:
    """Inert Markdown text on one line: :func:`mlbom.table.markdown_text`, the escaping every
    Markdown writer shares."""
    return markdown_text(s, line_start=line_start)


def _table(head: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> list[str]:
    out = ["| " + " | ".join(esc(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(esc(x) for x in r) + " |" for r in rows]
    return out


def _block(b: Block, out: list[str]) -> None:
    if isinstance(b, Facts):
        out += _table(("fact", "value"), b.pairs)
    elif isinstance(b, Table):
        if b.caption:
            out += [f"**{esc(b.caption)}**", ""]
        out += _table(b.head, b.rows) if b.rows else [esc(b.empty, line_start=True)] if not b.omitted else []
        if b.omitted:
            out += ["", esc(b.note, line_start=True)]
    elif isinstance(b, Bullets):
        if b.caption:
            out += [f"**{esc(b.caption)}**", ""]
        out += [f"- {esc(i, line_start=True)}" for i in b.items] if b.items else [esc(b.empty, line_start=True)]
    elif isinstance(b, Para):
        out.append(esc(b.text, line_start=True))
    elif isinstance(b, Bars):
        if b.bars:
            out += [f"**{esc(b.title)}**: " + ", ".join(f"{esc(x.label)} {x.value}" for x in b.bars)]
        else:
            return
    elif isinstance(b, Lineage):
        out.append("Lineage: " + esc(", ".join(b.bases) or "(no base model declared)") + " → " + esc(b.model) + " → "
                   + esc(", ".join(b.datasets) or "(no dataset linked)"))
    out.append("")


def render(r: Report) -> str:
    out = [f"# {esc(r.title)}", ""]
    for s in r.sections:
        out += [f"{'#' * s.level} {esc(s.title)}", ""]
        for b in s.blocks:
            _block(b, out)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)
