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

from mlbom.jsondoc import as_dict, as_list, as_str, as_text, dicts, properties
from mlbom.properties import Prop
from mlbom.reader import LoadedBom, iter_components

WEIGHT_FORMATS = frozenset({"safetensors", "gguf", "onnx", "pickle", "pytorch-legacy", "pytorch-zip", "keras", "hdf5",
                            "joblib-zfile", "numpy", "tf-savedmodel", "zip", "gzip", "xz", "zlib"})
"""File formats (``mlbom:file:format``) that hold model weights; the scanner names them."""
PICKLE_FORMATS = frozenset({"pickle", "pytorch-legacy", "pytorch-zip", "joblib-zfile", "gzip", "xz", "zlib"})
_WEIGHT_SUFFIXES = (".safetensors", ".gguf", ".onnx", ".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".joblib",
                    ".h5", ".hdf5", ".keras", ".npz", ".npy", ".tflite", ".pb", ".dill", ".msgpack")


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
    for lc in as_list(raw.get("licenses")):
        lc = as_dict(lc)
        expr = as_str(lc.get("expression"))
        if expr:
            out.append(Licence(expr, is_spdx_expression(expr)))
            continue
        inner = as_dict(lc.get("license"))
        if as_str(inner.get("id")):
            out.append(Licence(as_str(inner.get("id")), True))
        elif as_text(inner.get("name")):
            out.append(Licence(as_text(inner.get("name")), False))
    return tuple(sorted(set(out), key=lambda x: x.text))


def _props(raw: dict[str, object]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(sorted(v)) for k, v in properties(raw).items()}


def parse_finding(value: str, component: str, ref: str) -> Finding:
    """The inverse of ``mlbom.model.Finding.render``: ``SEVERITY ID: message``."""
    sev, _, rest = value.partition(" ")
    fid, sep, msg = rest.partition(": ")
    if sev not in ("critical", "high", "medium", "low", "info") or not sep:
        return Finding("unknown", "", value, component, ref)
    return Finding(sev, fid, msg, component, ref)


def component(raw: dict[str, object]) -> Component:
    props = _props(raw)
    name = as_text(raw.get("name"))
    ref = as_str(raw.get("bom-ref"))
    hashes = tuple(sorted((as_str(h.get("alg")), as_str(h.get("content"))) for h in map(as_dict, as_list(raw.get("hashes")))
                          if as_str(h.get("content"))))
    c = Component(ref=ref, type=as_str(raw.get("type")), name=name, group=as_text(raw.get("group")),
                  version=as_text(raw.get("version")), purl=as_str(raw.get("purl")), description=as_text(raw.get("description")),
                  licences=licences_of(raw), hashes=hashes, props=props, raw=raw)
    label = c.display
    findings = tuple(parse_finding(v, label, ref) for v in props.get(Prop.FINDING.value, ()))
    return Component(ref=c.ref, type=c.type, name=c.name, group=c.group, version=c.version, purl=c.purl,
                     description=c.description, licences=c.licences, hashes=c.hashes, props=props, findings=findings, raw=raw)


def model_card(c: Component) -> ModelCard:
    card = as_dict(c.raw.get("modelCard"))
    params = as_dict(card.get("modelParameters"))
    cons = as_dict(card.get("considerations"))
    qa = as_dict(card.get("quantitativeAnalysis"))

    def texts(v: object) -> tuple[str, ...]:
        out = []
        for x in as_list(v):
            if isinstance(x, dict):
                t = as_text(x.get("description")) or as_text(x.get("name")) or as_text(x.get("text"))
                if isinstance(x.get("mitigationStrategy"), str):
                    t += f" (mitigation: {x['mitigationStrategy']})"
            else:
                t = as_text(x)
            if t:
                out.append(t)
        return tuple(out)

    datasets = tuple(as_str(d.get("ref")) or as_text(d.get("name")) for d in map(as_dict, as_list(params.get("datasets")))
                     if as_str(d.get("ref")) or as_text(d.get("name")))
    metrics = tuple(Metric(as_text(m.get("type")), as_text(m.get("value")), as_text(m.get("slice")))
                    for m in map(as_dict, as_list(qa.get("performanceMetrics"))) if m)
    energy: list[Energy] = []
    env = as_dict(cons.get("environmentalConsideration"))
    for e in map(as_dict, as_list(env.get("energyConsumptions"))):
        cost = as_dict(e.get("activityEnergyCost"))
        value = cost.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            energy.append(Energy(as_text(e.get("activity")), float(value), as_text(cost.get("unit"))))
    approach = as_text(as_dict(params.get("approach")).get("type"))
    io = [as_text(as_dict(x).get("format")) for x in as_list(params.get("inputs"))], \
         [as_text(as_dict(x).get("format")) for x in as_list(params.get("outputs"))]
    return ModelCard(present=bool(set(card) - {"bom-ref"}), task=as_text(params.get("task")),
                     architecture=as_text(params.get("modelArchitecture")), family=as_text(params.get("architectureFamily")),
                     datasets=datasets, use_cases=texts(cons.get("useCases")),
                     limitations=texts(cons.get("technicalLimitations")), tradeoffs=texts(cons.get("performanceTradeoffs")),
                     ethical=texts(cons.get("ethicalConsiderations")), metrics=metrics, energy=tuple(energy),
                     inputs=tuple(x for x in io[0] if x), outputs=tuple(x for x in io[1] if x), approach=approach)


def base_models(c: Component) -> list[BaseModel]:
    out = []
    for a in dicts(as_dict(c.raw.get("pedigree")).get("ancestors")):
        if not a:
            continue
        props = _props(a)
        name = f"{as_text(a.get('group'))}/{as_text(a.get('name'))}" if as_text(a.get("group")) else as_text(a.get("name"))
        out.append(BaseModel(name or as_str(a.get("purl")) or "(unnamed)", as_str(a.get("purl")), as_text(a.get("version")),
                             ",".join(props.get(Prop.MODEL_BASE_RELATION.value, ()))))
    return out


def dataset_info(c: Component) -> DatasetInfo:
    descs, cls, sens, facts = [], [], [], []
    for d in map(as_dict, as_list(c.raw.get("data"))):
        if as_text(d.get("description")):
            descs.append(as_text(d["description"]))
        if as_text(d.get("classification")):
            cls.append(as_text(d["classification"]))
        sens += [as_text(x) for x in as_list(d.get("sensitiveData")) if as_text(x)]
        for p in dicts(as_dict(d.get("contents")).get("properties")):
            if as_str(p.get("name")):
                facts.append((as_str(p["name"]), as_text(p.get("value"))))
    sources = tuple(as_text(a.get("name")) or as_str(a.get("purl")) for a in dicts(as_dict(c.raw.get("pedigree")).get("ancestors"))
                    if as_text(a.get("name")) or as_str(a.get("purl")))
    return DatasetInfo(tuple(descs), tuple(cls), tuple(sens), sources, tuple(facts))


def _vulns(doc: dict[str, object], by_ref: dict[str, Component]) -> list[Vulnerability]:
    from mlbom.vulns.views import CLOSED_STATES, vulnerabilities

    raw_by_id: dict[str, dict[str, object]] = {}
    for rv in map(as_dict, as_list(doc.get("vulnerabilities"))):
        raw_by_id.setdefault(as_str(rv.get("id")), rv)
    out = []
    for vv in vulnerabilities(doc):
        raw = raw_by_id.get(vv.id, {})
        score: float | None = None
        vector = ""
        for r in map(as_dict, as_list(raw.get("ratings"))):
            sc = r.get("score")
            if isinstance(sc, (int, float)) and not isinstance(sc, bool) and (score is None or sc > score):
                score, vector = float(sc), as_str(r.get("vector"))
        affects = tuple((a.ref, (f"{a.name} {a.version}".strip() if a.name else
                                 (by_ref[a.ref].display if a.ref in by_ref else a.ref))) for a in vv.affects)
        analysis = as_dict(raw.get("analysis"))
        out.append(Vulnerability(vv.id, vv.severity, vv.state, vv.detail, as_str(analysis.get("justification")), affects,
                                 vv.state not in CLOSED_STATES, as_text(raw.get("description")),
                                 as_text(raw.get("recommendation")), score, vector))
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
    for d in map(as_dict, as_list(doc.get("dependencies"))):
        if as_str(d.get("ref")):
            depends[as_str(d["ref"])] = tuple(x for x in as_list(d.get("dependsOn")) if isinstance(x, str))
    aggregates = [as_str(as_dict(c).get("aggregate")) for c in as_list(doc.get("compositions"))]
    composition = ("incomplete" if any(a != "complete" for a in aggregates) else "complete") if aggregates else "undeclared"
    producer = ""
    tools = meta.get("tools")
    tool_list = as_list(as_dict(tools).get("components")) if isinstance(tools, dict) else as_list(tools)
    names = [" ".join(x for x in (as_text(as_dict(t).get("name")), as_text(as_dict(t).get("version"))) if x) for t in tool_list]
    producer = ", ".join(n for n in names if n)
    audits = tuple(properties(meta).get(Prop.VULN_AUDIT.value, ()))
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
