"""The report as one self-contained HTML page: inline CSS, inline SVG, no script, no font or
image from elsewhere, and a Content-Security-Policy that forbids fetching anything
(``default-src 'none'; style-src 'unsafe-inline'; img-src data:``), so it opens offline and
prints to PDF. Every string from the BOM is HTML-escaped; the page links only to its own
sections (``#id``), never to a URL from the BOM, so a ``javascript:`` URL stays text.

Sections are ``<details>`` elements: open by default, collapsed for long tables (the
appendix of every component) so that a 10,000-component BOM opens on its summary; a table cut to
the report's bounds (:mod:`mlbom.report.model`) says first how many rows are not shown. Rendering is
one pass with a list of string parts joined at the end (linear in the report's size).
"""

from __future__ import annotations

from mlbom.report import svg
from mlbom.report.model import COLLAPSE_ROWS, Bars, Block, Bullets, Facts, Lineage, Para, Report, Section, Table

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:72em;color:#1b2631;padding:0 1em}
h1{font-size:1.7em;border-bottom:3px solid #1b4f72;padding-bottom:.2em}
h2{display:inline;font-size:1.25em;color:#1b4f72} h3{display:inline;font-size:1.1em;color:#21618c}
h4{margin:.8em 0 .3em;font-size:1em}
details{margin:.6em 0;border:1px solid #d6dbdf;border-radius:6px;padding:.4em .8em}
details.sub{margin-left:1em;border-color:#e5e8e8}
summary{cursor:pointer;padding:.2em 0}
table{border-collapse:collapse;margin:.4em 0;width:100%;table-layout:auto}
th,td{border:1px solid #d6dbdf;padding:.25em .5em;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#eaf2f8;white-space:nowrap} td[class]{white-space:nowrap} tr:nth-child(even) td{background:#fbfcfc}
table.facts th{width:14em}
.sev-unsafe,.sev-unknown,.sev-critical,.sev-high,.st-FAIL{color:#a93226;font-weight:600} .sev-medium{color:#b9770e;font-weight:600}
.st-PASS{color:#1e8449;font-weight:600} .st-N\\/A{color:#7f8c8d}
nav a{margin-right:1em;color:#1b4f72}
.note{color:#566573}
svg{max-width:100%;height:auto;font-family:system-ui,sans-serif}
@media print{details{border:none} summary{list-style:none} nav{display:none} body{max-width:none}}
"""


_e = svg.escape


def _cell(col: str, value: str) -> str:
    cls = ""
    if col == "severity":
        cls = f' class="sev-{_e(value)}"'
    elif col == "result":
        cls = f' class="st-{_e(value)}"'
    return f"<td{cls}>{_e(value)}</td>"


def _block(b: Block, out: list[str]) -> None:
    if isinstance(b, Facts):
        out.append('<table class="facts"><tbody>')
        out.extend(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in b.pairs)
        out.append("</tbody></table>")
    elif isinstance(b, Table):
        if b.caption:
            out.append(f"<h4>{_e(b.caption)}</h4>")
        if b.omitted:
            out.append(f'<p class="note">{_e(b.note)}</p>')
            if not b.rows:
                return
        if not b.rows:
            out.append(f'<p class="note">{_e(b.empty)}</p>')
            return
        long_ = len(b.rows) > COLLAPSE_ROWS
        if long_:
            out.append(f'<details class="sub"><summary>{len(b.rows)} rows (expand)</summary>')
        out.append("<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in b.head) + "</tr></thead><tbody>")
        out.extend("<tr>" + "".join(_cell(h, x) for h, x in zip(b.head, r, strict=True)) + "</tr>" for r in b.rows)
        out.append("</tbody></table>")
        if long_:
            out.append("</details>")
    elif isinstance(b, Bullets):
        if b.caption:
            out.append(f"<h4>{_e(b.caption)}</h4>")
        if not b.items:
            out.append(f'<p class="note">{_e(b.empty)}</p>')
            return
        out.append("<ul>" + "".join(f"<li>{_e(i)}</li>" for i in b.items) + "</ul>")
    elif isinstance(b, Para):
        out.append(f"<p>{_e(b.text)}</p>")
    elif isinstance(b, Bars):
        drawing = svg.bars(b)
        if drawing:
            out.append(f'<figure aria-label="{_e(b.title)}">{drawing}<figcaption class="note">{_e(b.title)}</figcaption></figure>')
    elif isinstance(b, Lineage):
        out.append(f'<figure class="lineage" aria-label="lineage">{svg.lineage(b)}'
                   '<figcaption class="note">Lineage: base model → model → datasets</figcaption></figure>')


def _section(s: Section, out: list[str]) -> None:
    tag = f"h{s.level}"
    cls = ' class="sub"' if s.level > 2 else ""
    out.append(f'<details id="{_e(s.id)}"{cls}{"" if s.collapsed else " open"}><summary><{tag}>{_e(s.title)}</{tag}></summary>')
    for b in s.blocks:
        _block(b, out)
    out.append("</details>")


def render(r: Report) -> str:
    out = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<meta name="referrer" content="no-referrer">',
           f"<title>{_e(r.title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{_e(r.title)}</h1>"]
    out.append("<nav>" + "".join(f'<a href="#{_e(s.id)}">{_e(s.title)}</a>' for s in r.sections if s.level == 2) + "</nav>")
    for s in r.sections:
        _section(s, out)
    out.append('<p class="note">Made by mlbom from the BOM alone; every figure is computed from it.</p></body></html>')
    return "\n".join(out)
