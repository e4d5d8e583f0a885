"""Typed, read-only views of a loaded BOM for the report, the completeness score and the SPDX
converter: the one place these three read the JSON-shaped document of :mod:`mlbom.reader`.

Any producer's CycloneDX 1.4–1.7 reads: every field is optional, every value is checked for
its type before use, and what is absent stays absent (``None`` or an empty tuple) so that the
callers can say "unknown" instead of guessing. A later typed read model replaces this module;
its callers only use the dataclasses below.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from mlbom.properties import Prop
from mlbom.reader import LoadedBom, iter_components

WEIGHT_FORMATS = frozenset({"safetensors", "gguf", "onnx", "pickle", "pytorch-legacy", "pytorch-zip", "keras", "hdf5",
                            "joblib-zfile", "numpy", "tf-savedmodel", "zip", "gzip", "xz", "zlib"})
"""File formats (``mlbom:file:format``) that hold model weights; the scanner names them."""
PICKLE_FORMATS = frozenset({"pickle", "pytorch-legacy", "pytorch-zip", "joblib-zfile", "gzip", "xz", "zlib"})
_WEIGHT_SUFFIXES = (".safetensors", ".gguf", ".onnx", ".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".joblib",
                    ".h5", ".hdf5", ".keras", ".npz", ".npy", ".tflite", ".pb", ".dill", ".msgpack")


def _s(v: object) -> str:
    return v if isinstance(v, str) else ""


def _list(v: object) -> list[object]:
    return v if isinstance(v, list) else []


def _dict(v: object) -> dict[str, object]:
    return v if isinstance(v, dict) else {}


def _text(v: object) -> str:
    """A scalar as text (numbers too); containers are not text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v) if isinstance(v, (str, int, float)) else ""


@dataclass(frozen=True)
class Finding:
    severity: str
    id: str
    message: str
    component: str
    """The name of the component it is about (the release's name for release-wide findings)."""
    ref: str


@dataclass(frozen=True)
class Licence:
    text: str
    """An SPDX id, an expression, or a free-text name as the BOM states it."""
    is_spdx: bool


@dataclass(frozen=True)
class Component:
    ref: str
    type: str
    name: str
    group: str
    version: str
    purl: str
    description: str
    licences: tuple[Licence, ...]
    hashes: tuple[tuple[str, str], ...]
    """``(algorithm, value)`` pairs as stated."""
    props: dict[str, tuple[str, ...]] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    raw: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def prop(self, name: Prop) -> tuple[str, ...]:
        return self.props.get(name.value, ())

    def first(self, name: Prop) -> str:
        got = self.prop(name)
        return got[0] if got else ""

    @property
    def sha256(self) -> str:
        return next((v for a, v in self.hashes if a.upper() in ("SHA-256", "SHA256")), "")

    @property
    def verdict(self) -> str:
        """The scan verdict, worst first when several are stated; ``""`` when not scanned."""
        got = set(self.prop(Prop.SAFETY_VERDICT))
        return next((v for v in ("unsafe", "error", "suspicious", "safe") if v in got), sorted(got)[0] if got else "")

    @property
    def file_format(self) -> str:
        return self.first(Prop.FILE_FORMAT)

    @property
    def path(self) -> str:
        return self.first(Prop.FILE_PATH) or self.name

    @property
    def is_weight(self) -> bool:
        if self.type != "file":
            return False
        return self.file_format in WEIGHT_FORMATS or self.path.lower().endswith(_WEIGHT_SUFFIXES)

    @property
    def display(self) -> str:
        base = f"{self.group}/{self.name}" if self.group else self.name
        return base or self.ref or "(unnamed)"


@dataclass(frozen=True)
class Metric:
    type: str
    value: str
    slice: str


@dataclass(frozen=True)
class Energy:
    activity: str
    """CycloneDX ``energyConsumptions[].activity`` (``training``, ``fine-tuning``, ``inference``…)."""
    value: float
    unit: str
    """``kWh`` in CycloneDX 1.6/1.7."""

    def __str__(self) -> str:
        return f"{self.activity or 'unstated activity'}: {self.value:g} {self.unit}".strip()


@dataclass(frozen=True)
class ModelCard:
    present: bool
    task: str
    architecture: str
    family: str
    datasets: tuple[str, ...]
    """Refs (or names) of the datasets the card links."""
    use_cases: tuple[str, ...]
    limitations: tuple[str, ...]
    tradeoffs: tuple[str, ...]
    ethical: tuple[str, ...]
    metrics: tuple[Metric, ...]
    energy: tuple[Energy, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    approach: str


@dataclass(frozen=True)
class BaseModel:
    name: str
    purl: str
    version: str
    relation: str

    @property
    def revision(self) -> str:
        """The pinned revision (purl ``@…`` or version), ``""`` when unpinned."""
        if "@" in self.purl.rsplit("/", 1)[-1]:
            return self.purl.rsplit("@", 1)[1].split("?", 1)[0]
        return self.version


@dataclass(frozen=True)
class DatasetInfo:
    descriptions: tuple[str, ...]
    classification: tuple[str, ...]
    sensitive: tuple[str, ...]
    sources: tuple[str, ...]
    """Names of the source datasets (``data[].contents``/``governance`` do not have them; we
    read ``pedigree.ancestors`` and ``data[].name``)."""
    facts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Vulnerability:
    id: str
    severity: str
    state: str
    detail: str
    justification: str
    affects: tuple[tuple[str, str], ...]
    """``(ref, display name)`` per affected component."""
    is_open: bool
    description: str
    recommendation: str
    score: float | None
    vector: str


@dataclass(frozen=True)
class Identity:
    name: str
    version: str
    serial: str
    spec: str
    format: str
    producer: str
    timestamp: str
    digest: str
    signature: str
    bom_version: int


@dataclass
class BomView:
    """Everything the report, score and converter read, computed in one pass over the BOM."""

    loaded: LoadedBom
    identity: Identity
    root: Component
    components: list[Component]
    by_ref: dict[str, Component]
    depends: dict[str, tuple[str, ...]]
    composition: str
    """``complete``, ``incomplete`` (any aggregate other than complete) or ``undeclared``."""
    unreadable: tuple[str, ...]
    vulnerabilities: list[Vulnerability]
    has_vulnerability_section: bool
    """True when the BOM shows it was audited: a ``vulnerabilities`` list (empty too) or an audit record."""
    vulnerability_audits: tuple[str, ...]
    """The ``mlbom:vuln:audit`` records of ``metadata``: one per database the BOM was audited against."""
    problems: tuple[str, ...]

    def of_type(self, *types: str) -> list[Component]:
        return [c for c in self.components if c.type in types]

    def children(self, ref: str) -> list[Component]:
        """Components ``ref`` depends on (files of a model or dataset, packages of a toolkit)."""
        return [self.by_ref[r] for r in self.depends.get(ref, ()) if r in self.by_ref]

    def files_of(self, c: Component) -> list[Component]:
        """The files that make up a model or dataset: its dependencies of type ``file``, or the
        files whose bom-ref extends its own (``model:x#weights.bin``) when no graph says."""
        listed = [x for x in self.children(c.ref) if x.type == "file"]
        if listed or not c.ref:
            return listed
        prefix = c.ref + "#"
        return [x for x in self.components if x.type == "file" and x.ref.startswith(prefix)]


def licences_of(raw: dict[str, object]) -> tuple[Licence, ...]:
    from mlbom.licenses import is_spdx_expression

    out: list[Licence] = []
    for lc in _list(raw.get("licenses")):
        lc = _dict(lc)
        expr = _s(lc.get("expression"))
        if expr:
            out.append(Licence(expr, is_spdx_expression(expr)))
            continue
        inner = _dict(lc.get("license"))
        if _s(inner.get("id")):
            out.append(Licence(_s(inner.get("id")), True))
        elif _text(inner.get("name")):
            out.append(Licence(_text(inner.get("name")), False))
    return tuple(sorted(set(out), key=lambda x: x.text))


def _props(raw: dict[str, object]) -> dict[str, tuple[str, ...]]:
    acc: dict[str, list[str]] = {}
    for p in _list(raw.get("properties")):
        p = _dict(p)
        name = _s(p.get("name"))
        if name:
            acc.setdefault(name, []).append(_text(p.get("value")))
    return {k: tuple(sorted(v)) for k, v in acc.items()}


def parse_finding(value: str, component: str, ref: str) -> Finding:
    """The inverse of ``mlbom.model.Finding.render``: ``SEVERITY ID: message``."""
    sev, _, rest = value.partition(" ")
    fid, sep, msg = rest.partition(": ")
    if sev not in ("critical", "high", "medium", "low", "info") or not sep:
        return Finding("unknown", "", value, component, ref)
    return Finding(sev, fid, msg, component, ref)


def component(raw: dict[str, object]) -> Component:
    props = _props(raw)
    name = _text(raw.get("name"))
    ref = _s(raw.get("bom-ref"))
    hashes = tuple(sorted((_s(h.get("alg")), _s(h.get("content"))) for h in map(_dict, _list(raw.get("hashes")))
                          if _s(h.get("content"))))
    c = Component(ref=ref, type=_s(raw.get("type")), name=name, group=_text(raw.get("group")),
                  version=_text(raw.get("version")), purl=_s(raw.get("purl")), description=_text(raw.get("description")),
                  licences=licences_of(raw), hashes=hashes, props=props, raw=raw)
    label = c.display
    findings = tuple(parse_finding(v, label, ref) for v in props.get(Prop.FINDING.value, ()))
    return Component(ref=c.ref, type=c.type, name=c.name, group=c.group, version=c.version, purl=c.purl,
                     description=c.description, licences=c.licences, hashes=c.hashes, props=props, findings=findings, raw=raw)


def model_card(c: Component) -> ModelCard:
    card = _dict(c.raw.get("modelCard"))
    params = _dict(card.get("modelParameters"))
    cons = _dict(card.get("considerations"))
    qa = _dict(card.get("quantitativeAnalysis"))

    def texts(v: object) -> tuple[str, ...]:
        out = []
        for x in _list(v):
            if isinstance(x, dict):
                t = _text(x.get("description")) or _text(x.get("name")) or _text(x.get("text"))
                if isinstance(x.get("mitigationStrategy"), str):
                    t += f" (mitigation: {x['mitigationStrategy']})"
            else:
                t = _text(x)
            if t:
                out.append(t)
        return tuple(out)

    datasets = tuple(_s(d.get("ref")) or _text(d.get("name")) for d in map(_dict, _list(params.get("datasets")))
                     if _s(d.get("ref")) or _text(d.get("name")))
    metrics = tuple(Metric(_text(m.get("type")), _text(m.get("value")), _text(m.get("slice")))
                    for m in map(_dict, _list(qa.get("performanceMetrics"))) if m)
    energy: list[Energy] = []
    env = _dict(cons.get("environmentalConsideration"))
    for e in map(_dict, _list(env.get("energyConsumptions"))):
        cost = _dict(e.get("activityEnergyCost"))
        value = cost.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            energy.append(Energy(_text(e.get("activity")), float(value), _text(cost.get("unit"))))
    approach = _text(_dict(params.get("approach")).get("type"))
    io = [_text(_dict(x).get("format")) for x in _list(params.get("inputs"))], \
         [_text(_dict(x).get("format")) for x in _list(params.get("outputs"))]
    return ModelCard(present=bool(set(card) - {"bom-ref"}), task=_text(params.get("task")),
                     architecture=_text(params.get("modelArchitecture")), family=_text(params.get("architectureFamily")),
                     datasets=datasets, use_cases=texts(cons.get("useCases")),
                     limitations=texts(cons.get("technicalLimitations")), tradeoffs=texts(cons.get("performanceTradeoffs")),
                     ethical=texts(cons.get("ethicalConsiderations")), metrics=metrics, energy=tuple(energy),
                     inputs=tuple(x for x in io[0] if x), outputs=tuple(x for x in io[1] if x), approach=approach)


def base_models(c: Component) -> list[BaseModel]:
    out = []
    for a in map(_dict, _list(_dict(c.raw.get("pedigree")).get("ancestors"))):
        if not a:
            continue
        props = _props(a)
        name = f"{_text(a.get('group'))}/{_text(a.get('name'))}" if _text(a.get("group")) else _text(a.get("name"))
        out.append(BaseModel(name or _s(a.get("purl")) or "(unnamed)", _s(a.get("purl")), _text(a.get("version")),
                             ",".join(props.get(Prop.MODEL_BASE_RELATION.value, ()))))
    return out


def dataset_info(c: Component) -> DatasetInfo:
    descs, cls, sens, facts = [], [], [], []
    for d in map(_dict, _list(c.raw.get("data"))):
        if _text(d.get("description")):
            descs.append(_text(d["description"]))
        if _text(d.get("classification")):
            cls.append(_text(d["classification"]))
        sens += [_text(x) for x in _list(d.get("sensitiveData")) if _text(x)]
        for p in map(_dict, _list(_dict(d.get("contents")).get("properties"))):
            if _s(p.get("name")):
                facts.append((_s(p["name"]), _text(p.get("value"))))
    sources = tuple(_text(a.get("name")) or _s(a.get("purl")) for a in map(_dict, _list(_dict(c.raw.get("pedigree")).get("ancestors")))
                    if _text(a.get("name")) or _s(a.get("purl")))
    return DatasetInfo(tuple(descs), tuple(cls), tuple(sens), sources, tuple(facts))


def _vulns(doc: dict[str, object], by_ref: dict[str, Component]) -> list[Vulnerability]:
    from mlbom.vulns.views import CLOSED_STATES, vulnerabilities

    raw_by_id: dict[str, dict[str, object]] = {}
    for rv in map(_dict, _list(doc.get("vulnerabilities"))):
        raw_by_id.setdefault(_s(rv.get("id")), rv)
    out = []
    for vv in vulnerabilities(doc):
        raw = raw_by_id.get(vv.id, {})
        score: float | None = None
        vector = ""
        for r in map(_dict, _list(raw.get("ratings"))):
            sc = r.get("score")
            if isinstance(sc, (int, float)) and not isinstance(sc, bool) and (score is None or sc > score):
                score, vector = float(sc), _s(r.get("vector"))
        affects = tuple((a.ref, (f"{a.name} {a.version}".strip() if a.name else
                                 (by_ref[a.ref].display if a.ref in by_ref else a.ref))) for a in vv.affects)
        analysis = _dict(raw.get("analysis"))
        out.append(Vulnerability(vv.id, vv.severity, vv.state, vv.detail, _s(analysis.get("justification")), affects,
                                 vv.state not in CLOSED_STATES, _text(raw.get("description")),
                                 _text(raw.get("recommendation")), score, vector))
    return out


def view(loaded: LoadedBom) -> BomView:
    """Build the views of one loaded BOM (linear in its size)."""
    doc = loaded.doc
    meta = loaded.metadata
    root = component(loaded.root)
    comps = [component(c) for c in iter_components(doc.get("components"))]
    by_ref: dict[str, Component] = {}
    for c in comps:
        if c.ref:
            by_ref.setdefault(c.ref, c)
    depends: dict[str, tuple[str, ...]] = {}
    for d in map(_dict, _list(doc.get("dependencies"))):
        if _s(d.get("ref")):
            depends[_s(d["ref"])] = tuple(x for x in _list(d.get("dependsOn")) if isinstance(x, str))
    aggregates = [_s(_dict(c).get("aggregate")) for c in _list(doc.get("compositions"))]
    composition = ("incomplete" if any(a != "complete" for a in aggregates) else "complete") if aggregates else "undeclared"
    producer = ""
    tools = meta.get("tools")
    tool_list = _list(_dict(tools).get("components")) if isinstance(tools, dict) else _list(tools)
    names = [" ".join(x for x in (_text(_dict(t).get("name")), _text(_dict(t).get("version"))) if x) for t in tool_list]
    producer = ", ".join(n for n in names if n)
    audits = tuple(_s(p.get("value")) for p in map(_dict, _list(meta.get("properties")))
                   if p.get("name") == Prop.VULN_AUDIT.value)
    ident = Identity(name=root.display if root.name else "", version=root.version, serial=loaded.serial_number or "",
                     spec=loaded.spec_version, format=loaded.format, producer=producer, timestamp=loaded.timestamp or "",
                     digest=loaded.sha256, signature=loaded.signature or "", bom_version=loaded.version)
    return BomView(loaded=loaded, identity=ident, root=root, components=comps, by_ref=by_ref, depends=depends,
                   composition=composition, unreadable=root.prop(Prop.UNREADABLE), vulnerabilities=_vulns(doc, by_ref),
                   has_vulnerability_section=isinstance(doc.get("vulnerabilities"), list) or bool(audits),
                   vulnerability_audits=audits, problems=loaded.problems)


def all_findings(v: BomView) -> Iterator[Finding]:
    yield from v.root.findings
    for c in v.components:
        yield from c.findings
