"""ML-aware comparison of two BOMs, read by :mod:`mlbom.reader` (JSON or XML, never through
cyclonedx-python-lib's model, which drops ``modelCard``, ``data`` and ``signature``).

Components are matched by identity — the purl without version and qualifiers, else
type/group/name; files by their bom-ref (model or dataset plus path) or name — and each matched
pair is compared: version, SHA-256 (same version, different hash: *hash drift*, the red flag for
a swapped artifact), licences, safety verdict, findings, ``modelCard`` and ``data`` field by
field. Dependency edges are compared by identity too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

from mlbom.errors import UsageError
from mlbom.identity import purl_base
from mlbom.model import SEVERITIES

Kind = Literal["added", "removed", "version-change", "hash-drift", "licence-change", "safety-escalation", "new-unreadable",
               "new-finding", "model-card-change", "data-change", "edge-added", "edge-removed", "new-vulnerability"]
_VERDICT_RANK = {"safe": 0, "suspicious": 1, "error": 2, "unsafe": 3}


@dataclass(frozen=True)
class Change:
    kind: Kind
    identity: str
    detail: str
    old: str | None = None
    new: str | None = None
    severity: str | None = None  # for new-finding and new-vulnerability


def _list(v: object) -> list[object]:
    return list(v) if isinstance(v, list) else []


def _components(doc: dict[str, object]) -> list[dict[str, object]]:
    from mlbom.reader import iter_components

    return list(iter_components(doc.get("components")))


def identity(c: dict[str, object]) -> str:
    purl = c.get("purl")
    if isinstance(purl, str) and purl:
        return purl_base(purl)
    if c.get("type") == "file" and isinstance(c.get("bom-ref"), str):
        return f"file:{c['bom-ref']}"
    return f"{c.get('type')}:{c.get('group') or ''}/{c.get('name')}"


def _props(c: dict[str, object], name: str) -> list[str]:
    return sorted(str(p.get("value")) for p in _list(c.get("properties")) if isinstance(p, dict) and p.get("name") == name)


def _sha256(c: dict[str, object]) -> set[str]:
    return {str(h.get("content")) for h in _list(c.get("hashes")) if isinstance(h, dict) and h.get("alg") == "SHA-256"}


def _licences(c: dict[str, object]) -> list[str]:
    out = []
    for lc in _list(c.get("licenses")):
        if isinstance(lc, dict):
            if "expression" in lc:
                out.append(str(lc["expression"]))
            elif isinstance(lc.get("license"), dict):
                inner = lc["license"]
                out.append(str(inner.get("id") or inner.get("name")))
    return sorted(out)


def _flatten(value: object, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            if k != "bom-ref":
                out.update(_flatten(v, f"{prefix}.{k}" if prefix else k))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: json.dumps(value, ensure_ascii=False)}


def _finding_severity(value: str) -> str:
    return value.split(" ", 1)[0]


def _index(doc: dict[str, object]) -> tuple[dict[str, dict[str, object]], dict[str, str]]:
    by_id: dict[str, dict[str, object]] = {}
    ref_to_id: dict[str, str] = {}
    for c in _components(doc):
        ident = identity(c)
        if ident in by_id:  # several versions of one package: keep them apart
            ident = f"{ident}@{c.get('version')}"
        by_id[ident] = c
        if isinstance(c.get("bom-ref"), str):
            ref_to_id[str(c["bom-ref"])] = ident
    meta = doc.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("component"), dict):
        root = meta["component"]
        if isinstance(root.get("bom-ref"), str):
            ref_to_id[str(root["bom-ref"])] = "(release)"
    return by_id, ref_to_id


def _root(doc: dict[str, object]) -> dict[str, object]:
    meta = doc.get("metadata")
    root = meta.get("component") if isinstance(meta, dict) else None
    return root if isinstance(root, dict) else {}


def _edges(doc: dict[str, object], ref_to_id: dict[str, str]) -> set[tuple[str, str]]:
    out = set()
    for d in _list(doc.get("dependencies")):
        if isinstance(d, dict):
            src = ref_to_id.get(str(d.get("ref")), str(d.get("ref")))
            for t in _list(d.get("dependsOn")):
                out.add((src, ref_to_id.get(str(t), str(t))))
    return out


def diff(old: dict[str, object], new: dict[str, object]) -> list[Change]:
    """Every difference between two BOMs, in a stable order."""
    a, a_refs = _index(old)
    b, b_refs = _index(new)
    changes: list[Change] = []
    for ident in sorted(set(a) - set(b)):
        changes.append(Change("removed", ident, f"{a[ident].get('type')} {a[ident].get('name')} {a[ident].get('version') or ''}".strip()))
    for ident in sorted(set(b) - set(a)):
        changes.append(Change("added", ident, f"{b[ident].get('type')} {b[ident].get('name')} {b[ident].get('version') or ''}".strip()))
        verdicts = _props(b[ident], "mlbom:safety:verdict")
        verdict = verdicts[0] if verdicts else None
        if verdict in ("unsafe", "suspicious", "error"):
            changes.append(Change("safety-escalation", ident, f"new component with verdict {verdict}", None, verdict))
        for f in _props(b[ident], "mlbom:finding"):
            changes.append(Change("new-finding", ident, f, None, f, _finding_severity(f)))
    for ident in sorted(set(a) & set(b)):
        x, y = a[ident], b[ident]
        if x == y:  # most components of two releases are unchanged: one C-level comparison
            continue
        if x.get("version") != y.get("version"):
            changes.append(Change("version-change", ident, "version changed", str(x.get("version")), str(y.get("version"))))
        elif _sha256(x) and _sha256(y) and _sha256(x) != _sha256(y):
            changes.append(Change("hash-drift", ident, "same identity and version, different SHA-256",
                                  ",".join(sorted(_sha256(x))), ",".join(sorted(_sha256(y)))))
        if _licences(x) != _licences(y):
            changes.append(Change("licence-change", ident, "licence changed", " ".join(_licences(x)) or "(none)",
                                  " ".join(_licences(y)) or "(none)"))
        vx = (_props(x, "mlbom:safety:verdict") or ["safe"])[0]
        vy = (_props(y, "mlbom:safety:verdict") or ["safe"])[0]
        if _VERDICT_RANK.get(vy, 0) > _VERDICT_RANK.get(vx, 0):
            changes.append(Change("safety-escalation", ident, "safety verdict got worse", vx, vy))
        for f in sorted(set(_props(y, "mlbom:finding")) - set(_props(x, "mlbom:finding"))):
            changes.append(Change("new-finding", ident, f, None, f, _finding_severity(f)))
        for key, kind in (("modelCard", "model-card-change"), ("data", "data-change")):
            if x.get(key) == y.get(key):
                continue
            fx, fy = _flatten(x.get(key)), _flatten(y.get(key))
            for path in sorted(set(fx) | set(fy)):
                if fx.get(path) != fy.get(path):
                    changes.append(Change(kind, ident, f"{key}.{path}" if path else key, fx.get(path), fy.get(path)))  # type: ignore[arg-type]
    ra, rb = _root(old), _root(new)  # the release itself: its findings and the inputs that could not be read
    for u in sorted(set(_props(rb, "mlbom:unreadable")) - set(_props(ra, "mlbom:unreadable"))):
        changes.append(Change("new-unreadable", "(release)", "an input could not be read: the inventory is incomplete", None, u))
    for f in sorted(set(_props(rb, "mlbom:finding")) - set(_props(ra, "mlbom:finding"))):
        changes.append(Change("new-finding", "(release)", f, None, f, _finding_severity(f)))
    ea, eb = _edges(old, a_refs), _edges(new, b_refs)
    changes += [Change("edge-added", f"{s} -> {t}", "dependency added") for s, t in sorted(eb - ea)]
    changes += [Change("edge-removed", f"{s} -> {t}", "dependency removed") for s, t in sorted(ea - eb)]
    changes += new_vulnerabilities(old, new)
    return changes


def new_vulnerabilities(old: dict[str, object], new: dict[str, object]) -> list[Change]:
    """Open vulnerabilities of ``new`` that ``old`` did not have (compared by id and aliases, so
    a flaw renamed from its GHSA to its PYSEC id is not new)."""
    from mlbom.vulns.views import vulnerabilities

    before = set().union(*(v.ids for v in vulnerabilities(old)))
    out = []
    for v in vulnerabilities(new):
        if v.ids & before or not v.is_open:
            continue
        where = ", ".join(sorted({f"{a.name}@{a.version}" if a.name else a.ref for a in v.affects})) or "(no component)"
        out.append(Change("new-vulnerability", v.id, f"{v.severity} vulnerability in {where}", None, v.state, v.severity))
    return sorted(out, key=lambda c: c.identity)


def parse_fail_on(spec: str) -> list[str]:
    """``hash-drift,new-unsafe,licence-change,new-finding:high,…`` → validated rule list."""
    rules = [r.strip() for r in spec.split(",") if r.strip()]
    allowed = {"hash-drift", "new-unsafe", "licence-change", "license-change", "version-change", "added", "removed",
               "model-card-change", "data-change", "new-unreadable", "any"}
    for r in rules:
        if r.startswith(("new-finding", "new-vulnerability")):
            sev = r.partition(":")[2] or "info"
            if sev not in SEVERITIES or r.partition(":")[0] not in ("new-finding", "new-vulnerability"):
                raise UsageError(f"--fail-on {r}: severity must be one of {', '.join(SEVERITIES)}")
        elif r not in allowed:
            raise UsageError(f"--fail-on {r}: unknown kind (known: {', '.join(sorted(allowed))}, new-finding:SEVERITY, "
                              "new-vulnerability:SEVERITY)")
    return rules


def gate(changes: Iterable[Change], rules: list[str]) -> list[Change]:
    """The changes that trip a ``--fail-on`` rule."""
    hits = []
    for c in changes:
        for r in rules:
            if r == "any" or c.kind == r or (r == "license-change" and c.kind == "licence-change") or (
                    r == "new-unsafe" and c.kind == "safety-escalation" and c.new == "unsafe"):
                hits.append(c)
                break
            if r.startswith("new-finding") and c.kind == "new-finding":
                floor = r.partition(":")[2] or "info"
                if c.severity in SEVERITIES and SEVERITIES.index(c.severity) <= SEVERITIES.index(floor):
                    hits.append(c)
                    break
            if r.startswith("new-vulnerability") and c.kind == "new-vulnerability":
                floor = r.partition(":")[2] or "info"
                # unknown is never safe: an unrated vulnerability meets every threshold ("none" meets none)
                if c.severity == "unknown" or (c.severity in SEVERITIES
                                               and SEVERITIES.index(c.severity) <= SEVERITIES.index(floor)):
                    hits.append(c)
                    break
    return hits


def _arrow(c: Change) -> str:
    """``: old -> new`` for text output, without repeating what the detail already says."""
    if c.new == c.detail and c.old is None:
        return ""
    if c.old is None and c.new is None:
        return ""
    if c.old is None:
        return f": {c.new}"
    if c.new is None:
        return f": {c.old} -> (none)"
    return f": {c.old} -> {c.new}"


def render(changes: list[Change], fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"changes": [asdict(c) for c in changes]}, indent=2, ensure_ascii=False)
    if not changes:
        return "no differences" if fmt == "text" else "**No differences.**"
    lines = []
    if fmt == "markdown":
        lines += ["| change | component | detail | old | new |", "|---|---|---|---|---|"]
        for c in changes:
            cells = [c.kind, f"`{c.identity}`", c.detail, c.old or "", c.new or ""]
            lines.append("| " + " | ".join(x.replace("|", "\\|").replace("\n", " ") for x in cells) + " |")
        return "\n".join(lines)
    for c in changes:
        lines.append(f"{c.kind:<18} {c.identity}  {c.detail}{_arrow(c)}")
    return "\n".join(lines)


_STYLE = {"hash-drift": "bold red", "safety-escalation": "bold red", "new-unreadable": "red", "new-finding": "yellow",
          "new-vulnerability": "bold red",
          "licence-change": "magenta", "version-change": "cyan", "added": "green", "removed": "red"}


def render_rich(changes: list[Change]) -> object:
    """A rich table for terminals (``mlbom diff`` uses it when stdout is a terminal)."""
    from rich.table import Table
    from rich.text import Text

    if not changes:
        return Text("no differences", style="green")
    table = Table(show_header=True, header_style="bold", show_lines=False, expand=False)
    for col in ("change", "component", "detail", "old", "new"):
        table.add_column(col, overflow="fold")
    for c in changes:
        table.add_row(Text(c.kind, style=_STYLE.get(c.kind, "")), c.identity, c.detail, c.old or "", c.new or "")
    return table
