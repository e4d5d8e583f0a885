"""ML-aware analysis: which shipped artifacts a vulnerable loader would load.

A loader advisory (torch ``weights_only`` bypass, Keras ``safe_mode`` bypasses, onnx
external-data traversal, pickle loading in joblib/transformers, GGUF chat templates in
llama-cpp-python) matters for a release that ships files that loader reads, and is moot for
one that ships none. The rules (``mlbom/data/ml-vuln-rules.json``, versioned, each citing its
advisory) name those files by what the scanner recorded on file components:
``mlbom:file:format``, ``mlbom:file:fact`` keys, ``mlbom:finding`` ids and ``mlbom:file:path``.

What a rule does to a vulnerability it applies to: the matching file components join
``affects`` and ``analysis.detail`` says which artifacts the loader would load; with none,
``analysis.detail`` says no shipped artifact exercises the vulnerable path. The state stays
``in_triage`` either way: mlbom never decides ``not_affected`` (a VEX statement does). Where
the scanner judged such an artifact ``unsafe`` and the rule says a malicious pickle is what
the flaw lets through, the vulnerability gets an extra ``critical`` rating from mlbom and a
``mlbom:vuln:linked-finding`` property per scan finding, so the two facts point at each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import orjson

from mlbom.errors import MlbomError
from mlbom.model import stated_verdict
from mlbom.properties import Prop
from mlbom.readmodel import properties

PICKLE_FORMATS = frozenset({"pytorch-zip", "pytorch-legacy", "pickle"})


@dataclass(frozen=True)
class Rule:
    id: str
    advisories: frozenset[str]
    packages: frozenset[str]
    loader: str
    what: str
    formats: frozenset[str]
    findings: frozenset[str]
    facts: tuple[str, ...]
    path_suffixes: tuple[str, ...]
    unsafe_pickle_raises: bool
    fixed: str | None
    source: str


@dataclass(frozen=True)
class Rules:
    version: str
    rules: tuple[Rule, ...]

    def for_vulnerability(self, ids: set[str], packages: set[str]) -> list[Rule]:
        """The rules whose advisories name one of ``ids`` (upper case) and whose packages
        include one the vulnerability affects."""
        return [r for r in self.rules if r.advisories & ids and r.packages & packages]


@dataclass(frozen=True)
class Artifact:
    """A file component as the rules see it."""

    ref: str
    name: str
    path: str
    format: str | None
    verdict: str | None
    fact_keys: tuple[str, ...]
    findings: tuple[str, ...]
    """``mlbom:finding`` values: ``SEVERITY ID: message``."""

    @property
    def finding_ids(self) -> set[str]:
        return {f.split(" ", 2)[1].rstrip(":") for f in self.findings if f.count(" ") >= 1}


def _strs(obj: dict[str, object], key: str) -> list[str]:
    v = obj.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise MlbomError(f"mlbom/data/ml-vuln-rules.json: rule {obj.get('id')!r}: {key} must be a list of strings")
    return list(v)


def parse_rules(data: bytes) -> Rules:
    """Parse a rules file (the bundled one, or a test's). Raises :class:`MlbomError`."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MlbomError(f"ml-vuln-rules.json: not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != "mlbom-ml-vuln-rules" or not isinstance(doc.get("rules"), list):
        raise MlbomError("ml-vuln-rules.json: not an mlbom ML rules file")
    out = []
    for r in doc["rules"]:
        if not isinstance(r, dict) or not all(isinstance(r.get(k), str) for k in ("id", "loader", "what", "source")):
            raise MlbomError(f"ml-vuln-rules.json: rule {r!r} lacks id, loader, what or source")
        fixed = r.get("fixed")
        out.append(Rule(
            id=r["id"], advisories=frozenset(a.upper() for a in _strs(r, "advisories")),
            packages=frozenset(_strs(r, "packages")), loader=r["loader"], what=r["what"],
            formats=frozenset(_strs(r, "formats")), findings=frozenset(_strs(r, "findings")),
            facts=tuple(_strs(r, "facts")), path_suffixes=tuple(s.lower() for s in _strs(r, "path_suffixes")),
            unsafe_pickle_raises=r.get("unsafe_pickle_raises") is True,
            fixed=fixed if isinstance(fixed, str) else None, source=r["source"]))
    version = doc.get("version")
    return Rules(version if isinstance(version, str) else "unknown", tuple(out))


@lru_cache(maxsize=1)
def bundled_rules() -> Rules:
    """The rules shipped in ``mlbom/data/ml-vuln-rules.json``."""
    return parse_rules(resources.files("mlbom").joinpath("data/ml-vuln-rules.json").read_bytes())


def artifacts_from_components(components: list[dict[str, object]]) -> list[Artifact]:
    """File components (and anything carrying a file format) with the properties the rules read."""
    out = []
    for c in components:
        values = properties(c)
        fmt = values.get(Prop.FILE_FORMAT.value, [None])[0]
        if c.get("type") != "file" and fmt is None:
            continue
        ref, name = c.get("bom-ref"), c.get("name")
        if not isinstance(ref, str) or not isinstance(name, str):
            continue
        out.append(Artifact(ref=ref, name=name, path=values.get(Prop.FILE_PATH.value, [name])[0], format=fmt,
                            verdict=stated_verdict(values.get(Prop.SAFETY_VERDICT.value, [])) or None,
                            fact_keys=tuple(values.get(Prop.FILE_FACT.value, [])),
                            findings=tuple(values.get(Prop.FINDING.value, []))))
    return out


def exercised(rule: Rule, artifacts: list[Artifact]) -> list[Artifact]:
    """The artifacts a rule's loader would load, in bom-ref order."""
    hits = []
    for a in artifacts:
        if rule.formats and a.format not in rule.formats:
            continue
        if rule.path_suffixes and not rule.formats and not a.path.lower().endswith(rule.path_suffixes):
            continue
        if rule.findings and not (a.finding_ids & rule.findings):
            continue
        if rule.facts and not any(f.startswith(rule.facts) for f in a.fact_keys):
            continue
        hits.append(a)
    return sorted(hits, key=lambda a: a.ref)
