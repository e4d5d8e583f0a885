"""Vulnerabilities as a BOM states them, read back from the read model (any producer): for
``diff``, ``report``, ``query`` and the index. Pure dict walking over the JSON-shaped document;
nothing here imports the matcher or the database.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _str(v: object) -> str:
    return v if isinstance(v, str) else ""


def vulnerabilities(doc: dict[str, object]) -> list[VulnView]:
    """The BOM's ``vulnerabilities``, with each ``affects`` ref resolved to its component."""
    from mlbom.reader import iter_components

    comps = {c["bom-ref"]: c for c in iter_components(doc.get("components")) if isinstance(c.get("bom-ref"), str)}
    meta = doc.get("metadata")
    root = meta.get("component") if isinstance(meta, dict) else None
    if isinstance(root, dict) and isinstance(root.get("bom-ref"), str):
        comps.setdefault(root["bom-ref"], root)
    out: list[VulnView] = []
    raw = doc.get("vulnerabilities")
    for v in raw if isinstance(raw, list) else []:
        if not isinstance(v, dict) or not _str(v.get("id")):
            continue
        ids = {_str(v["id"]).upper()}
        refs = v.get("references")
        ids |= {_str(r.get("id")).upper() for r in refs if isinstance(r, dict) and _str(r.get("id"))} \
            if isinstance(refs, list) else set()
        ratings = v.get("ratings")
        sevs = [_str(r.get("severity")) for r in ratings if isinstance(r, dict)] if isinstance(ratings, list) else []
        known = [s for s in sevs if s in SEVERITY_ORDER and s != "unknown"]
        severity = min(known, key=SEVERITY_ORDER.index) if known else "unknown"
        analysis = v.get("analysis")
        state = _str(analysis.get("state")) if isinstance(analysis, dict) else ""
        detail = _str(analysis.get("detail")) if isinstance(analysis, dict) else ""
        affects: list[Affected] = []
        targets = v.get("affects")
        for t in targets if isinstance(targets, list) else []:
            if not isinstance(t, dict) or not _str(t.get("ref")):
                continue
            ref = _str(t["ref"])
            c = comps.get(ref.split("#", 1)[1] if ref.startswith("urn:cdx:") and "#" in ref else ref, {})
            affects.append(Affected(ref, _str(c.get("name")), _str(c.get("version")), _str(c.get("purl"))))
        out.append(VulnView(_str(v["id"]), frozenset(ids), severity, state or "in_triage", detail, tuple(affects)))
    return out
