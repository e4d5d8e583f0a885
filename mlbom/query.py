"""Questions over one BOM without writing code: filters on type, name/purl globs, version
specifiers, licences (or licences outside an allowlist), properties, finding severity and hashes,
and "why is X here?" (the dependency chain from the release to it)."""

from __future__ import annotations

import fnmatch
import json
from collections import deque
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from mlbom import table as text_table
from mlbom.errors import UsageError
from mlbom.model import SEVERITIES
from mlbom.properties import Prop
from mlbom.readmodel import ReadComponent, dependencies, root_of, subject_views
from mlbom.versions import contains, parse_version, specifier_ok


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
        raise UsageError(f"must be one of {', '.join(SEVERITIES)}", option="min_severity", value=f.min_severity)
    if not f.version_spec:
        return None
    try:
        spec = SpecifierSet(f.version_spec)
    except InvalidSpecifier as exc:
        raise UsageError(str(exc), option="version_spec", value=f.version_spec[:200]) from exc
    if not specifier_ok(spec):
        raise UsageError("a version in the specifier is not a PEP 440 version", option="version_spec",
                         value=f.version_spec[:200])
    return spec


def version_in(version: object, spec: SpecifierSet) -> bool:
    """Whether a component version is in the specifier (a version that is not PEP 440 is not)."""
    parsed = parse_version(str(version))
    return parsed is not None and contains(spec, parsed) is True


def licences_match(lics: list[str], f: Filters) -> bool:
    """The ``--license`` glob and the ``--license-not-in`` allowlist (case-insensitive)."""
    if f.license and not any(fnmatch.fnmatchcase(lc.lower(), f.license.lower()) for lc in lics):
        return False
    if f.license_not_in:
        allowed = {a.lower() for a in f.license_not_in}
        if lics and all(lc.lower() in allowed for lc in lics):
            return False
    return True


def select(doc: dict[str, object], f: Filters) -> list[ReadComponent]:
    """Objects matching every filter given, in document order: the release, the components and
    the services (:func:`~mlbom.readmodel.subject_views`, the set the policy gate judges: red
    team 12b-2); a service's type is ``service``."""
    spec = checked_spec(f)
    out = []
    for c in subject_views(doc):
        if f.type and c.kind != f.type:
            continue
        if f.name and not fnmatch.fnmatchcase(c.name.lower(), f.name.lower()):
            continue
        if f.purl and not fnmatch.fnmatchcase(c.purl, f.purl):
            continue
        if spec is not None and not version_in(c.version, spec):
            continue
        if (f.license or f.license_not_in) and not licences_match(c.licence_texts, f):
            continue
        if f.sha256 and f.sha256.strip().lower() not in c.sha256s:
            continue
        if any(value not in c.props.get(name, ()) for name, value in f.properties):
            continue
        if f.min_severity:
            floor = SEVERITIES.index(f.min_severity)
            if not any(x.rank <= floor for x in c.findings):
                continue
        if f.base_model and not any(fnmatch.fnmatchcase(b, f.base_model.lower()) for b in c.base_model_keys):
            continue
        out.append(c)
    return out


MAX_WHY_REFS = 100_000
"""bom-refs :func:`why` returns over all its chains: 11,000 components of one name down one
dependency chain were 60 million refs (2.6 GB, red team 44p-4); past the bound the rest of the
matching components are counted, not listed."""


@dataclass(frozen=True)
class Why:
    chains: list[list[str]]
    """The shortest chain from the release to each matching component, nearest first."""
    more: int = 0
    """Matching components reachable from the release whose chains :data:`MAX_WHY_REFS` left out."""


def why(doc: dict[str, object], target: str) -> Why:
    """Shortest dependency chain(s) from the release to each component whose bom-ref, purl or
    name matches ``target`` (a glob), within :data:`MAX_WHY_REFS`."""
    deps = dependencies(doc)
    root = root_of(doc).ref
    names = {c.ref: c.name for c in subject_views(doc) if c.ref}
    goals = {r for r, n in names.items() if fnmatch.fnmatchcase(r, target) or fnmatch.fnmatchcase(n.lower(), target.lower())}
    if not root or not goals:
        return Why([])
    parent: dict[str, str | None] = {root: None}
    depth = {root: 1}
    queue = deque([root])
    found: list[list[str]] = []
    refs = more = 0
    while queue:
        node = queue.popleft()
        if node in goals:
            if more or refs + depth[node] > MAX_WHY_REFS:
                more += 1
            else:
                chain = []
                cur: str | None = node
                while cur is not None:
                    chain.append(cur)
                    cur = parent[cur]
                found.append(list(reversed(chain)))
                refs += len(chain)
        for nxt in deps.get(node, ()):
            if nxt not in parent:
                parent[nxt] = node
                depth[nxt] = depth[node] + 1
                queue.append(nxt)
    return Why(found, more)


COLUMNS = ("type", "name", "version", "purl", "licenses", "sha256", "verdict", "findings")


def rows(selected: list[ReadComponent]) -> list[dict[str, str]]:
    return [{
        "type": c.kind, "name": c.name, "version": c.version, "purl": c.purl, "licenses": " ".join(c.licence_texts),
        "sha256": ",".join(sorted(c.sha256s)),
        "verdict": ",".join(c.prop(Prop.SAFETY_VERDICT)), "findings": str(len(c.prop(Prop.FINDING))),
    } for c in selected]


def render(table: list[dict[str, str]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(table, indent=2, ensure_ascii=False)
    if fmt == "csv":
        return text_table.render_csv(COLUMNS, table)
    if not table:
        return "no matching components"
    cols = ("type", "name", "version", "licenses", "verdict", "findings")
    return "\n".join(text_table.render(cols, [[r[c] for c in cols] for r in table]))
