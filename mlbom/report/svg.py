"""Inline SVG pictures for the HTML report: the lineage graph (base model → model → datasets)
and horizontal bar charts (severity, licences). Every label is XML-escaped; the drawing has no
script, no link and no external reference, and its size grows linearly with what it shows."""

from __future__ import annotations

from html import escape as _escape

from mlbom.report.model import Bars, Lineage
from mlbom.table import printable


def escape(s: str) -> str:
    """HTML/XML-escaped text (quotes too), with every character that is not printable shown as
    :func:`mlbom.table.printable` shows it in the text report (``\\x01``, ``\\u202e``): control
    characters, which HTML and XML text may not hold, and also bidi overrides and isolates and
    other format characters, U+2028/U+2029 and CR, which would reorder or break what a browser
    shows (red team 9c H1: ``evil\\u202elkp.pt`` shown as ``evil.pt``). Used by the HTML renderer
    as well."""
    return _escape(printable(s), quote=True)


_TONE = {"bad": "#c0392b", "warn": "#d68910", "ok": "#1e8449", "neutral": "#7f8c8d"}
_BOX_W, _BOX_H, _GAP = 220, 34, 12


def _label(text: str, limit: int = 32) -> str:
    """Box labels are shortened to fit; the full text is in the title tooltip and in the tables."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _box(x: int, y: int, text: str, fill: str) -> str:
    t = escape(text)
    return (f'<g><title>{t}</title><rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="{fill}" '
            f'stroke="#34495e"/><text x="{x + 10}" y="{y + 22}" font-size="13">{escape(_label(text))}</text></g>')


def lineage(fig: Lineage) -> str:
    bases = fig.bases or ("(no base model declared)",)
    datasets = fig.datasets or ("(no dataset linked)",)
    rows = max(len(bases), len(datasets), 1)
    height = rows * (_BOX_H + _GAP) + _GAP
    xs = (10, 10 + _BOX_W + 60, 10 + 2 * (_BOX_W + 60))
    width = xs[2] + _BOX_W + 10
    my = (height - _BOX_H) // 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>Lineage of {escape(fig.model)}</title>',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#34495e"/></marker></defs>']
    for i, b in enumerate(bases):
        y = _GAP + i * (_BOX_H + _GAP)
        parts.append(_box(xs[0], y, b, "#eaf2f8" if fig.bases else "#f4f6f6"))
        if fig.bases:
            parts.append(f'<line x1="{xs[0] + _BOX_W}" y1="{y + _BOX_H // 2}" x2="{xs[1]}" y2="{my + _BOX_H // 2}" '
                         'stroke="#34495e" marker-end="url(#arrow)"/>')
    parts.append(_box(xs[1], my, fig.model, "#d5f5e3"))
    for i, d in enumerate(datasets):
        y = _GAP + i * (_BOX_H + _GAP)
        parts.append(_box(xs[2], y, d, "#fdebd0" if fig.datasets else "#f4f6f6"))
        if fig.datasets:
            parts.append(f'<line x1="{xs[1] + _BOX_W}" y1="{my + _BOX_H // 2}" x2="{xs[2]}" y2="{y + _BOX_H // 2}" '
                         'stroke="#34495e" stroke-dasharray="4 3" marker-end="url(#arrow)"/>')
    parts.append("</svg>")
    return "".join(parts)


def bars(fig: Bars) -> str:
    if not fig.bars:
        return ""
    top = max(b.value for b in fig.bars) or 1
    row, label_w, bar_w = 22, 240, 320
    height = len(fig.bars) * row + 8
    width = label_w + bar_w + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(fig.title)}</title>']
    for i, b in enumerate(fig.bars):
        y = 4 + i * row
        w = max(2, b.value * bar_w // top)
        t = escape(f"{b.label}: {b.value}")
        parts.append(f'<g><title>{t}</title><text x="{label_w - 6}" y="{y + 14}" font-size="12" text-anchor="end">'
                     f'{escape(_label(b.label, 36))}</text><rect x="{label_w}" y="{y + 2}" width="{w}" height="{row - 6}" '
                     f'fill="{_TONE[b.tone]}"/><text x="{label_w + w + 6}" y="{y + 14}" font-size="12">{b.value}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
