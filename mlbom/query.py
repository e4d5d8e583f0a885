"""Questions over one BOM without writing code: filters on type, name/purl globs, version
specifiers, licences (or licences outside an allowlist), properties, finding severity and hashes,
and "why is X here?" (the dependency chain from the release to it)."""

from __future__ import annotations

import csv
import fnmatch
import io
import json
from collections import deque
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from mlbom import table as text_table
from mlbom.diff import _components, _licences, _list, _props, _sha256
from mlbom.errors import UsageError
from mlbom.model import SEVERITIES


@dataclass(frozen=True)
class Filters:
    type: str | None = None
    name: str | None = None
    purl: str | None = None
    version_spec: str | None = None
    license: str | None = None
    license_not_in: tuple[str, ...] = ()
    sha256: str | None = None
    properties: tuple[tuple[str, str], ...] = ()
    min_severity: str | None = None
    base_model: str | None = None


def checked_spec(f: Filters) -> SpecifierSet | None:
    """The version specifier of the filters, after checking the filters that can be wrong."""
    if f.min_severity and f.min_severity not in SEVERITIES:
        raise UsageError(f"--severity must be one of {', '.join(SEVERITIES)}")
    if not f.version_spec:
        return None
    try:
        return SpecifierSet(f.version_spec)
    except InvalidSpecifier as exc:
        raise UsageError(f"--version-spec {f.version_spec!r}: {exc}") from exc


def version_in(version: object, spec: SpecifierSet) -> bool:
    """Whether a component version is in the specifier (a version that is not PEP 440 is not)."""
    try:
        return Version(str(version)) in spec
    except InvalidVersion:
        return False


def licences_match(lics: list[str], f: Filters) -> bool:
    """The ``--license`` glob and the ``--license-not-in`` allowlist (case-insensitive)."""
    if f.license and not any(fnmatch.fnmatchcase(lc.lower(), f.license.lower()) for lc in lics):
        return False
    if f.license_not_in:
        allowed = {a.lower() for a in f.license_not_in}
        if lics and all(lc.lower() in allowed for lc in lics):
            return False
    return True


def select(doc: dict[str, object], f: Filters) -> list[dict[str, object]]:
    """Components matching every filter given, in document order."""
    spec = checked_spec(f)
    out = []
    for c in _components(doc):
        if f.type and c.get("type") != f.type:
            continue
        if f.name and not fnmatch.fnmatchcase(str(c.get("name", "")).lower(), f.name.lower()):
            continue
        if f.purl and not fnmatch.fnmatchcase(str(c.get("purl", "")), f.purl):
            continue
        if spec is not None and not version_in(c.get("version"), spec):
            continue
        if not licences_match(_licences(c), f):
            continue
        if f.sha256 and f.sha256.lower() not in _sha256(c):
            continue
        if any(value not in _props(c, name) for name, value in f.properties):
            continue
        if f.min_severity:
            floor = SEVERITIES.index(f.min_severity)
            sevs = [v.split(" ", 1)[0] for v in _props(c, "mlbom:finding")]
            if not any(s in SEVERITIES and SEVERITIES.index(s) <= floor for s in sevs):
                continue
        if f.base_model and not any(fnmatch.fnmatchcase(b, f.base_model.lower()) for b in base_models(c)):
            continue
        out.append(c)
    return out


def base_models(c: dict[str, object]) -> list[str]:
    """The base models a model component declares (pedigree ancestors that are models), each
    as its purl and as ``ORG/NAME``, lower-cased."""
    out: list[str] = []
    ped = c.get("pedigree")
    for a in _list(ped.get("ancestors")) if isinstance(ped, dict) else []:
        if isinstance(a, dict) and a.get("type") == "machine-learning-model":
            if isinstance(a.get("purl"), str):
                out.append(str(a["purl"]).lower())
            out.append("/".join(str(x) for x in (a.get("group"), a.get("name")) if x).lower())
    return out


def why(doc: dict[str, object], target: str) -> list[list[str]]:
    """Shortest dependency chain(s) from the release to each component whose bom-ref, purl or
    name matches ``target`` (a glob)."""
    deps: dict[str, list[str]] = {}
    for d in _list(doc.get("dependencies")):
        if isinstance(d, dict):
            deps[str(d.get("ref"))] = [str(x) for x in _list(d.get("dependsOn"))]
    meta = doc.get("metadata")
    root = meta.get("component", {}).get("bom-ref") if isinstance(meta, dict) and isinstance(meta.get("component"), dict) else None
    names = {str(c.get("bom-ref")): str(c.get("name")) for c in _components(doc)}
    goals = {r for r, n in names.items() if fnmatch.fnmatchcase(r, target) or fnmatch.fnmatchcase(n.lower(), target.lower())}
    if not isinstance(root, str) or not goals:
        return []
    parent: dict[str, str | None] = {root: None}
    queue = deque([root])
    found: list[list[str]] = []
    while queue:
        node = queue.popleft()
        if node in goals:
            chain = []
            cur: str | None = node
            while cur is not None:
                chain.append(cur)
                cur = parent[cur]
            found.append(list(reversed(chain)))
        for nxt in deps.get(node, []):
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return found


COLUMNS = ("type", "name", "version", "purl", "licenses", "sha256", "verdict", "findings")


def rows(components: list[dict[str, object]]) -> list[dict[str, str]]:
    return [{
        "type": str(c.get("type", "")), "name": str(c.get("name", "")), "version": str(c.get("version") or ""),
        "purl": str(c.get("purl") or ""), "licenses": " ".join(_licences(c)), "sha256": ",".join(sorted(_sha256(c))),
        "verdict": ",".join(_props(c, "mlbom:safety:verdict")), "findings": str(len(_props(c, "mlbom:finding"))),
    } for c in components]


def render(table: list[dict[str, str]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(table, indent=2, ensure_ascii=False)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(table)
        return buf.getvalue().rstrip("\n")
    if not table:
        return "no matching components"
    cols = ("type", "name", "version", "licenses", "verdict", "findings")
    return "\n".join(text_table.render(cols, [[r[c] for c in cols] for r in table]))
