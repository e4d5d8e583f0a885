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
from mlbom.readmodel import ReadFinding, as_text, dicts, properties, rating_parts, subjects, unreadable_ratings, vuln_id

UNLICENSED_TYPES = ("file", "service")
"""Objects that need not declare a licence themselves: a file is covered by the component it
belongs to, a service is not shipped. A licence one of them *does* declare is judged all the
same, as on every other object — the release and applications, containers, firmware… included
(red team 16a-6: the gate judged a fixed list of types while the readers list every licence)."""


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
    """One component (or the release, or a service) as the policy sees it."""

    ref: str
    """Its bom-ref; ``""`` when it has none. Never an identity: ``index`` is."""
    type: str
    name: str
    index: int = 0
    """Its position among the BOM's objects (:func:`mlbom.readmodel.subjects`; 0 is the
    release): what tells two components apart, even ref-less or otherwise equal (red team
    11b-4)."""
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

    def states(self, name: Prop) -> bool:
        """True when the property is stated at all, whatever its value (an empty first
        ``mlbom:safety:verdict`` hid the ones after it: red team 11b-5)."""
        return any(k == name.value for k, _ in self.properties)

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
        """The identifiers an exception's ``component`` matches first: the file path
        (``mlbom:file:path``, relative to the project), the bom-ref and the purl — each names one
        object of the BOM."""
        return {v for v in (self.ref, self.purl, self.path) if v}

    def plain_names(self) -> set[str]:
        """The names an exception may use for an object that is not a file: its name and
        ``group/name``. A file has none: its ``name`` is relative to its model folder, so
        ``model/legacy.bin`` is the name of ``models/extra/model/legacy.bin`` too — an exception
        written for one file's path waived another file (red team 12b-4)."""
        if self.path:
            return set()
        return {v for v in (self.name, f"{self.group}/{self.name}" if self.group else None) if v}


@dataclass(frozen=True)
class VulnFact:
    id: str
    severities: tuple[str, ...]
    scores: tuple[float, ...]
    state: str | None
    affects: tuple[str, ...]
    unreadable: tuple[str, ...] = ()
    """Ratings no reader can read (:func:`mlbom.readmodel.unreadable_ratings`): the gate fails them."""


@dataclass(frozen=True)
class BomFacts:
    source: str
    data: bytes
    root: Item
    """``metadata.component`` (index 0); an empty stand-in when the BOM has none."""
    items: tuple[Item, ...]
    """Every other object that can state something: the components (the release's nested ones
    and ``components``, nested ones included) and the services, in document order."""
    produced_by_mlbom: bool
    vulnerabilities: tuple[VulnFact, ...] | None
    depends_on: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def item(self, ref: str) -> Item | None:
        """The component whose bom-ref is ``ref`` (never a ref-less one for ``""``)."""
        return self._by_ref.get(ref) if ref else None

    @cached_property
    def _by_ref(self) -> dict[str, Item]:
        # refs are unique (from_loaded refuses a BOM where they are not); ref-less items have none
        return {i.ref: i for i in reversed(self.every) if i.ref}

    @property
    def every(self) -> tuple[Item, ...]:
        """The release and every other object: what a rule judging "any component" walks
        (red team 11b-6: a verdict stated on ``metadata.component`` was never judged)."""
        return (self.root, *self.items)

    def has_findings_data(self) -> bool:
        """True when the producer writes mlbom findings (mlbom, or any BOM carrying one)."""
        return self.produced_by_mlbom or any(i.findings for i in self.every)


def load(path: Path | str) -> BomFacts:
    """Read a BOM (``-`` for stdin) into the facts the rules use; :class:`InputError` if unreadable."""
    data = read_bytes(path)
    return from_loaded(loads(data, str(path)), data)


def from_loaded(loaded: LoadedBom, data: bytes) -> BomFacts:
    """The facts of a BOM; one whose bom-refs are not unique is an input error (exit 2)."""
    loaded.require_unique_refs()
    doc = loaded.doc
    meta = loaded.metadata
    root = Item(ref="", type="application", name="release")
    items: list[Item] = []
    for n, (place, raw) in enumerate(subjects(doc), start=1):
        if place == "root":
            root = _item(raw, 0)
        else:
            items.append(_item(raw, n, service=place == "service"))
    deps: dict[str, tuple[str, ...]] = {}
    for d in dicts(doc.get("dependencies")):
        ref, on = d.get("ref"), d.get("dependsOn")
        if isinstance(ref, str) and ref:
            deps[ref] = tuple(x for x in on if isinstance(x, str)) if isinstance(on, list) else ()
    vulns = doc.get("vulnerabilities")
    # Audited (mlbom:vuln:audit on metadata, or any vulnerabilities list, empty too): facts, maybe none;
    # neither: no data.
    audited = isinstance(vulns, list) or _audited(meta)
    return BomFacts(source=loaded.source, data=data, root=root, items=tuple(items), produced_by_mlbom=_by_mlbom(meta),
                    vulnerabilities=tuple(_vuln(v) for v in dicts(vulns)) if audited else None,
                    depends_on=deps)


def _s(v: object) -> str | None:
    return v if isinstance(v, str) and v else None


def _item(c: dict[str, object], index: int, *, service: bool = False) -> Item:
    # read as the read model reads them (mlbom.readmodel.properties), so gate and report agree
    props = tuple((k, as_text(p.get("value"))) for p in dicts(c.get("properties"))
                  if isinstance(k := p.get("name"), str) and k)
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
            # the one reading every reader shares (red team 13b-4): a value that does not parse is
            # severity "unknown", ranked worst, with no id (no exception by finding id waives it)
            rf = ReadFinding.of(value, "", "")
            findings.append(FindingFact(rf.severity, rf.id, rf.message))
    pedigree = c.get("pedigree")
    bases = []
    if isinstance(pedigree, dict):
        for a in dicts(pedigree.get("ancestors")):
            purl = _s(a.get("purl"))
            version = _s(a.get("version")) or (purl.rpartition("@")[2] if purl and "@" in purl else None)
            bases.append(BaseModel(name=str(a.get("name") or purl or "?"), purl=purl, version=version))
    card = c.get("modelCard")
    return Item(ref=_s(c.get("bom-ref")) or "", type="service" if service else _s(c.get("type")) or "", index=index,
                name=_s(c.get("name")) or "(unnamed)",
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
    # the readers' reading (mlbom.readmodel): one identity and one rating for the gate and every
    # reader (red team 16a-3, 16a-4)
    sevs, scores = rating_parts(v)
    analysis = v.get("analysis")
    state = _s(analysis.get("state")) if isinstance(analysis, dict) else None
    affects = tuple(str(a["ref"]) for a in dicts(v.get("affects")) if _s(a.get("ref")))
    return VulnFact(id=vuln_id(v), severities=sevs, scores=scores, state=state, affects=affects,
                    unreadable=unreadable_ratings(v))
