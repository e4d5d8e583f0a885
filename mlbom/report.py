"""A readable report of one BOM for people who sign off releases: what shipped, where it came
from, under which licences, and what needs attention. Markdown (for a review or a PR) or plain
text; every figure is computed from the BOM, nothing is added.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from mlbom.diff import _licences, _props, _sha256
from mlbom.model import SEVERITIES
from mlbom.query import base_models
from mlbom.reader import LoadedBom

_VERDICT_ORDER = ("unsafe", "suspicious", "error", "safe")


def _cell(v: object) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def _table(head: tuple[str, ...], rows: Iterable[tuple[object, ...]], md: bool) -> list[str]:
    rows = list(rows)
    if not rows:
        return ["(none)"]
    if md:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(_cell(x) for x in r) + " |" for r in rows]
        return out
    widths = [min(50, max(len(h), *(len(str(r[i])) for r in rows))) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(head))]
    out += ["  ".join(str(x)[: widths[i]].ljust(widths[i]) for i, x in enumerate(r)) for r in rows]
    return out


def report(bom: LoadedBom, fmt: str = "markdown") -> str:
    md = fmt == "markdown"
    comps = bom.components()
    root = bom.root
    h1, h2 = ("# ", "## ") if md else ("", "")
    lines: list[str] = []
    title = f"{root.get('name') or '(unnamed release)'}" + (f" {root.get('version')}" if root.get("version") else "")
    lines += [f"{h1}Release {title}", ""]
    facts = [("serial number", bom.serial_number or "(none)"), ("BOM version", bom.version),
             ("CycloneDX", f"{bom.spec_version} ({bom.format})"), ("made", bom.timestamp or "(no timestamp)"),
             ("signature", bom.signature or "none"), ("SHA-256 of this BOM", bom.sha256)]
    compositions = bom.doc.get("compositions")
    comp_state = [c.get("aggregate") for c in compositions if isinstance(c, dict)] if isinstance(compositions, list) else []
    facts.append(("inventory", "incomplete" if any(a != "complete" for a in comp_state) else
                  "complete" if comp_state else "completeness not declared"))
    lines += _table(("fact", "value"), facts, md)
    unreadable = _props(root, "mlbom:unreadable")
    if unreadable:
        lines += ["", f"{h2}Inputs that could not be read", ""] + [f"- {u}" for u in unreadable]
    if bom.problems:
        lines += ["", f"{h2}Problems in the BOM itself", ""] + [f"- {p}" for p in bom.problems[:50]]

    kinds = Counter(str(c.get("type")) for c in comps)
    lines += ["", f"{h2}What shipped", ""]
    lines += _table(("type", "components"), sorted(kinds.items()), md)

    findings = [(str(v).split(" ", 1)[0], str(c.get("name")), str(v).split(" ", 1)[1] if " " in str(v) else str(v))
                for c in [root, *comps] for v in _props(c, "mlbom:finding")]
    sev = Counter(f[0] for f in findings)
    verdicts = Counter(v for c in comps for v in _props(c, "mlbom:safety:verdict"))
    lines += ["", f"{h2}Needs attention", ""]
    lines.append("findings: " + (", ".join(f"{sev[s]} {s}" for s in SEVERITIES if sev[s]) or "none"))
    lines.append("scanned files: " + (", ".join(f"{verdicts[v]} {v}" for v in _VERDICT_ORDER if verdicts[v]) or "none"))
    serious = sorted((f for f in findings if f[0] in ("critical", "high")), key=lambda f: (SEVERITIES.index(f[0]), f[1]))
    if serious:
        lines.append("")
        lines += _table(("severity", "component", "finding"), serious, md)
    bad = [(str(c.get("name")), v) for c in comps for v in _props(c, "mlbom:safety:verdict") if v != "safe"]
    if bad:
        lines += ["", "Files not cleared by the scan:", "", *_table(("file", "verdict"), sorted(bad), md)]

    lines += _vulnerability_section(bom, h2, md)

    models = [c for c in comps if c.get("type") == "machine-learning-model"]
    if models:
        lines += ["", f"{h2}Models", ""]
        rows = []
        for m in models:
            card = m.get("modelCard")
            params = card.get("modelParameters") if isinstance(card, dict) else None
            listed = params.get("datasets") if isinstance(params, dict) else None
            datasets = [str(d.get("ref") or d.get("name")) for d in listed if isinstance(d, dict)] if isinstance(listed, list) else []
            rows.append((m.get("name"), m.get("purl") or m.get("version") or "", " ".join(_licences(m)) or "(none declared)",
                         ", ".join(sorted(set(base_models(m)))) or "-", ", ".join(datasets) or "-"))
        lines += _table(("model", "identity", "licence", "base model", "datasets"), rows, md)
    data = [c for c in comps if c.get("type") == "data"]
    if data:
        lines += ["", f"{h2}Datasets", ""]
        lines += _table(("dataset", "licence", "findings"),
                        [(d.get("name"), " ".join(_licences(d)) or "(none declared)", len(_props(d, "mlbom:finding")))
                         for d in data], md)

    lic: Counter[str] = Counter(lc for c in comps for lc in (_licences(c) or ["(none declared)"]) if c.get("type") != "file")
    lines += ["", f"{h2}Licences (components other than files)", ""]
    ranked: list[tuple[str, int]] = sorted(lic.items(), key=lambda kv: (-kv[1], kv[0]))
    lines += _table(("licence", "components"), ranked, md)

    hw = [c for c in comps if c.get("type") in ("device", "device-driver")] + \
         [c for c in comps if c.get("type") == "framework" and c.get("name") == "cuda-toolkit"]
    builds = [(c.get("name"), c.get("version"), v) for c in comps for v in _props(c, "mlbom:cuda:build")]
    if hw or builds:
        lines += ["", f"{h2}GPU and CUDA", ""]
        lines += _table(("component", "type", "version"), [(c.get("name"), c.get("type"), c.get("version") or "") for c in hw], md)
        if builds:
            lines += ["", "Framework builds:", "", *_table(("framework", "version", "built for"), builds, md)]
    hashed = sum(1 for c in comps if _sha256(c))
    files = sum(1 for c in comps if c.get("type") == "file")
    lines += ["", f"{hashed} components carry a SHA-256 ({files} files)."]
    return "\n".join(lines)


def _vulnerability_section(bom: LoadedBom, h2: str, md: bool) -> list[str]:
    """Known vulnerabilities the BOM states (``mlbom audit`` / ``generate --vuln-db``), open first."""
    from mlbom.vulns.views import SEVERITY_ORDER, vulnerabilities

    vulns = vulnerabilities(bom.doc)
    if not vulns:
        return []
    open_n = sum(1 for v in vulns if v.is_open)
    sev = Counter(v.severity for v in vulns if v.is_open)
    lines = ["", f"{h2}Known vulnerabilities", "",
             f"{len(vulns)} known, {open_n} open" + (": " + ", ".join(f"{sev[s]} {s}" for s in SEVERITY_ORDER if sev[s])
                                                     if open_n else ""), ""]
    rows = sorted(((v.id, v.severity, v.state,
                    ", ".join(sorted({f"{a.name} {a.version}".strip() if a.name else a.ref for a in v.affects})))
                   for v in vulns), key=lambda r: (r[2] not in ("in_triage", "exploitable"), SEVERITY_ORDER.index(r[1])
                                                   if r[1] in SEVERITY_ORDER else 9, r[0]))
    lines += _table(("vulnerability", "severity", "analysis", "affects"), rows, md)
    return lines
