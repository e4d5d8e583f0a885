"""Vulnerabilities as a BOM states them, read back from the read model (any producer): for
``diff``, ``report``, ``query`` and the index. Pure dict walking over the JSON-shaped document;
nothing here imports the matcher or the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlbom.jsondoc import as_str, dicts

SEVERITY_ORDER = ("critical", "high", "medium", "low", "info", "none", "unknown")
CLOSED_STATES = frozenset({"resolved", "resolved_with_pedigree", "not_affected", "false_positive"})


@dataclass(frozen=True)
class Affected:
    ref: str
    name: str
    version: str
    purl: str


@dataclass(frozen=True)
class VulnView:
    id: str
    ids: frozenset[str]
    """Upper-case id and every reference id (aliases)."""
    severity: str
    """The worst rating's severity; ``unknown`` when no rating gives one."""
    state: str
    """``analysis.state``; ``in_triage`` when the BOM states none."""
    detail: str
    affects: tuple[Affected, ...]

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES


def ids_of(v: dict[str, object]) -> frozenset[str]:
    """A CycloneDX vulnerability object's id and its references' ids (aliases), upper-cased."""
    ids = {as_str(v.get("id")).upper()} | {as_str(r.get("id")).upper() for r in dicts(v.get("references"))}
    return frozenset(ids - {""})


def vulnerabilities(doc: dict[str, object]) -> list[VulnView]:
    """The BOM's ``vulnerabilities``, with each ``affects`` ref resolved to its component."""
    from mlbom.reader import iter_components

    comps = {c["bom-ref"]: c for c in iter_components(doc.get("components")) if isinstance(c.get("bom-ref"), str)}
    meta = doc.get("metadata")
    root = meta.get("component") if isinstance(meta, dict) else None
    if isinstance(root, dict) and isinstance(root.get("bom-ref"), str):
        comps.setdefault(root["bom-ref"], root)
    out: list[VulnView] = []
    for v in dicts(doc.get("vulnerabilities")):
        if not as_str(v.get("id")):
            continue
        ids = ids_of(v)
        sevs = [as_str(r.get("severity")) for r in dicts(v.get("ratings"))]
        known = [s for s in sevs if s in SEVERITY_ORDER and s != "unknown"]
        severity = min(known, key=SEVERITY_ORDER.index) if known else "unknown"
        analysis = v.get("analysis")
        state = as_str(analysis.get("state")) if isinstance(analysis, dict) else ""
        detail = as_str(analysis.get("detail")) if isinstance(analysis, dict) else ""
        affects: list[Affected] = []
        for t in dicts(v.get("affects")):
            if not as_str(t.get("ref")):
                continue
            ref = as_str(t["ref"])
            c = comps.get(ref.split("#", 1)[1] if ref.startswith("urn:cdx:") and "#" in ref else ref, {})
            affects.append(Affected(ref, as_str(c.get("name")), as_str(c.get("version")), as_str(c.get("purl"))))
        out.append(VulnView(as_str(v["id"]), ids, severity, state or "in_triage", detail, tuple(affects)))
    return out
