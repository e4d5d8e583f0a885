"""The one place the policy reads a BOM: the JSON-shaped document of :func:`mlbom.reader.load`
(CycloneDX 1.4–1.7, JSON or XML, any producer) turned into the few facts the rules need.

Rules never look at the document themselves, so a typed read model can replace this module
without touching them. Absent data stays absent (``None``/empty) — a rule that needs it reports
"cannot evaluate" instead of passing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from mlbom.properties import Prop
from mlbom.reader import LoadedBom, loads, read_bytes
from mlbom.readmodel import dicts, properties, walk

LICENSED_TYPES = ("library", "framework", "machine-learning-model", "data")


@dataclass(frozen=True)
class LicenseDecl:
    kind: str  # "expression", "id" or "name"
    value: str


@dataclass(frozen=True)
class FindingFact:
    severity: str
    id: str
    message: str


@dataclass(frozen=True)
class BaseModel:
    name: str
    purl: str | None
    version: str | None


@dataclass(frozen=True)
class Item:
    """One component as the policy sees it."""

    ref: str
    type: str
    name: str
    version: str | None = None
    group: str | None = None
    purl: str | None = None
    licenses: tuple[LicenseDecl, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    hashes: tuple[str, ...] = ()
    model_card: dict[str, object] | None = None
    base_models: tuple[BaseModel, ...] = ()
    findings: tuple[FindingFact, ...] = ()

    def prop(self, name: Prop) -> str | None:
        return next((v for k, v in self.properties if k == name.value), None)

    def props(self, name: Prop) -> list[str]:
        return [v for k, v in self.properties if k == name.value]

    @property
    def path(self) -> str | None:
        """The file's path relative to the project (``mlbom:file:path``)."""
        return self.prop(Prop.FILE_PATH)

    @property
    def label(self) -> str:
        """How violations name it: the file path, else the purl, else the name (and version)."""
        if self.path:
            return self.path
        if self.purl:
            return self.purl
        full = f"{self.group}/{self.name}" if self.group else self.name
        return f"{full} {self.version}" if self.version else full

    def names(self) -> set[str]:
        """Every string an exception's ``component`` may use for this component."""
        out = {self.name, self.ref}
        for v in (self.purl, self.path, f"{self.group}/{self.name}" if self.group else None):
            if v:
                out.add(v)
        return out


@dataclass(frozen=True)
class VulnFact:
    id: str
    severities: tuple[str, ...]
    scores: tuple[float, ...]
    state: str | None
    affects: tuple[str, ...]


@dataclass(frozen=True)
class BomFacts:
    source: str
    data: bytes
    root: Item
    items: tuple[Item, ...]
    produced_by_mlbom: bool
    vulnerabilities: tuple[VulnFact, ...] | None
    depends_on: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def item(self, ref: str) -> Item | None:
        return self._by_ref.get(ref)

    @cached_property
    def _by_ref(self) -> dict[str, Item]:
        return {i.ref: i for i in reversed(self.items)}  # the first of duplicate refs wins

    def has_findings_data(self) -> bool:
        """True when the producer writes mlbom findings (mlbom, or any BOM carrying one)."""
        return self.produced_by_mlbom or any(i.findings for i in (self.root, *self.items))


def load(path: Path | str) -> BomFacts:
    """Read a BOM (``-`` for stdin) into the facts the rules use; :class:`InputError` if unreadable."""
    data = read_bytes(path)
    return from_loaded(loads(data, str(path)), data)


def from_loaded(loaded: LoadedBom, data: bytes) -> BomFacts:
    """The facts of a BOM; one whose bom-refs are not unique is an input error (exit 2)."""
    loaded.require_unique_refs()
    doc = loaded.doc
    meta = loaded.metadata
    root_raw = meta.get("component")
    root = _item(root_raw) if isinstance(root_raw, dict) else Item(ref="", type="application", name="release")
    items = tuple(_item(c) for c in walk(doc.get("components")))
    deps: dict[str, tuple[str, ...]] = {}
    for d in dicts(doc.get("dependencies")):
        ref, on = d.get("ref"), d.get("dependsOn")
        if isinstance(ref, str):
            deps[ref] = tuple(x for x in on if isinstance(x, str)) if isinstance(on, list) else ()
    vulns = doc.get("vulnerabilities")
    # Audited (mlbom:vuln:audit on metadata, or any vulnerabilities list, empty too): facts, maybe none;
    # neither: no data.
    audited = isinstance(vulns, list) or _audited(meta)
    return BomFacts(source=loaded.source, data=data, root=root, items=items, produced_by_mlbom=_by_mlbom(meta),
                    vulnerabilities=tuple(_vuln(v) for v in dicts(vulns)) if audited else None,
                    depends_on=deps)


def _s(v: object) -> str | None:
    return v if isinstance(v, str) and v else None


def _item(c: dict[str, object]) -> Item:
    props = tuple((str(p.get("name")), str(p.get("value", ""))) for p in dicts(c.get("properties")))
    lics = []
    for entry in dicts(c.get("licenses")):
        if _s(entry.get("expression")):
            lics.append(LicenseDecl("expression", str(entry["expression"])))
        lic = entry.get("license")
        if isinstance(lic, dict):
            if _s(lic.get("id")):
                lics.append(LicenseDecl("id", str(lic["id"])))
            elif _s(lic.get("name")):
                lics.append(LicenseDecl("name", str(lic["name"])))
    hashes = tuple(str(h.get("alg")) for h in dicts(c.get("hashes")) if _s(h.get("content")))
    findings = []
    for name, value in props:
        if name == Prop.FINDING.value:
            sev, _, rest = value.partition(" ")
            fid, _, msg = rest.partition(": ")
            findings.append(FindingFact(sev.lower(), fid.strip(), msg))
    pedigree = c.get("pedigree")
    bases = []
    if isinstance(pedigree, dict):
        for a in dicts(pedigree.get("ancestors")):
            purl = _s(a.get("purl"))
            version = _s(a.get("version")) or (purl.rpartition("@")[2] if purl and "@" in purl else None)
            bases.append(BaseModel(name=str(a.get("name") or purl or "?"), purl=purl, version=version))
    card = c.get("modelCard")
    return Item(ref=_s(c.get("bom-ref")) or "", type=_s(c.get("type")) or "", name=_s(c.get("name")) or "(unnamed)",
                version=_s(c.get("version")), group=_s(c.get("group")), purl=_s(c.get("purl")), licenses=tuple(lics),
                properties=props, hashes=hashes, model_card=card if isinstance(card, dict) else None,
                base_models=tuple(bases), findings=tuple(findings))


def _by_mlbom(meta: dict[str, object]) -> bool:
    tools = meta.get("tools")
    entries = dicts(tools) if isinstance(tools, list) else dicts(tools.get("components")) if isinstance(tools, dict) else []
    return any(t.get("name") == "mlbom" for t in entries)


def _audited(meta: dict[str, object]) -> bool:
    return Prop.VULN_AUDIT.value in properties(meta)


def _vuln(v: dict[str, object]) -> VulnFact:
    sevs, scores = [], []
    for r in dicts(v.get("ratings")):
        if _s(r.get("severity")):
            sevs.append(str(r["severity"]).lower())
        score = r.get("score")
        if isinstance(score, int | float) and not isinstance(score, bool) and str(r.get("method", "")).upper().startswith("CVSS"):
            scores.append(float(score))
    analysis = v.get("analysis")
    state = _s(analysis.get("state")) if isinstance(analysis, dict) else None
    affects = tuple(str(a["ref"]) for a in dicts(v.get("affects")) if _s(a.get("ref")))
    return VulnFact(id=_s(v.get("id")) or "(no id)", severities=tuple(sevs), scores=tuple(scores), state=state,
                    affects=affects)
