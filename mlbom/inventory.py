"""Generate: run the collectors over the inputs, normalize what they yield into one :class:`Bom`.

Normalization merges components that share a bom-ref (the same package seen by an environment
and a lock), folds an unversioned declared requirement into the one installed version it
resolved to, cross-checks declarations against the installed environment (drift), and links
the release (``metadata.component``) to its top-level components.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

from packaging.utils import NormalizedName, canonicalize_name
from pydantic import JsonValue

from mlbom.clock import source_date_epoch
from mlbom.collectors import (
    ByteProgress,
    Collector,
    CollectorOutput,
    Context,
    configure,
    discover,
    run,
)
from mlbom.collectors._declared import PROJECT_SOURCES
from mlbom.collectors.passes import passes
from mlbom.collectors.registry import registry
from mlbom.errors import InputError, UsageError
from mlbom.model import Bom, Component, Evidence, Finding, Property, Relation, Unreadable
from mlbom.properties import Prop
from mlbom.refs import ref_part


@dataclass(frozen=True)
class Inputs:
    """What to inventory. Explicit inputs of a kind replace discovery of that kind."""

    project_dir: Path | None = None
    envs: tuple[Path, ...] = ()
    requirements: tuple[Path, ...] = ()
    locks: tuple[Path, ...] = ()
    models: tuple[Path, ...] = ()
    datasets: tuple[Path, ...] = ()


def generate(
    inputs: Inputs,
    *,
    name: str | None = None,
    version: str | None = None,
    spec_version: str = "1.6",
    reproducible: bool = False,
    options: Mapping[str, object] | None = None,
    progress: Callable[[str], None] | None = None,
    bytes_progress: ByteProgress | None = None,
) -> Bom:
    """Build one BOM from the inputs.

    ``options`` configures the collectors (option name → value, as the collectors declare
    them; see :func:`mlbom.collectors.declared_options`). Raises :class:`InputError` when an explicitly
    named input is missing or unusable; inputs discovered in ``project_dir`` that cannot be read
    are recorded in the BOM instead. Does not write anything: serialize the result with
    :func:`mlbom.cyclonedx.build.dumps`.
    """
    if spec_version not in ("1.6", "1.7"):
        raise UsageError("unsupported spec version (mlbom writes 1.6 and 1.7)", option="spec_version",
                         value=spec_version)
    table = registry()
    collectors = {kind: configure(cls, options or {}) for kind, cls in table.items()}
    jobs, skipped, notes, shallow = _plan(inputs, table, collectors)
    base = (inputs.project_dir or Path.cwd()).resolve()
    project = inputs.project_dir.resolve() if inputs.project_dir is not None else None
    hosts = {p for c in collectors.values() for p in c.host_inputs()}
    inventoried = tuple(dict.fromkeys(path for _, path, _ in jobs if path not in hosts))
    outputs = [run(collectors[kind], Context(base=base, path=path, explicit=is_explicit, progress=progress,
                                             bytes_progress=bytes_progress, project=project, inventoried=inventoried,
                                             top_only=not is_explicit and (kind, path) in shallow))
               for kind, path, is_explicit in jobs]
    merged = CollectorOutput(unreadable=list(skipped), findings=list(notes))
    for out in outputs:
        merged.extend(out)
    project = inputs.project_dir
    if project is not None and all(not e for _, _, e in jobs) and not merged.components and not merged.unreadable:
        raise InputError(project, "nothing to inventory in this folder: what was found there holds nothing "
                                  "(an empty model or data folder, a folder that is not a virtual environment)")
    for check in passes():
        merged.findings += check(merged.facts)
    return _assemble(inputs, merged, name=name, version=version, spec_version=spec_version, reproducible=reproducible)


_EXPLICIT_KINDS = (("environment", "envs"), ("requirements", "requirements"), ("lock", "locks"),
                   ("model", "models"), ("dataset", "datasets"))


def _plan(inputs: Inputs, table: Mapping[str, type[Collector]],
          collectors: Mapping[str, Collector]
          ) -> tuple[list[tuple[str, Path, bool]], list[Unreadable], list[Finding], set[tuple[str, Path]]]:
    """What to run: explicit inputs, then each collector's host inputs, then what discovery finds
    in ``project_dir`` for kinds given no explicit input. Returns the jobs (kind, path, explicit),
    the discovered matches that were not followed, discovery's own findings (a nested ``.git``
    folder not walked) and the jobs (kind, path) read for a folder's own files only (the project folder
    that is a model folder, :func:`mlbom.collectors.models.stray_models`)."""
    project = inputs.project_dir
    if project is not None and not project.is_dir():
        raise InputError(project, "no such folder" if not project.exists() else "not a folder")
    jobs: list[tuple[str, Path, bool]] = []
    for kind, attr in _EXPLICIT_KINDS:
        paths: tuple[Path, ...] = getattr(inputs, attr)
        jobs += [(kind, p, True) for p in paths]
    for kind in sorted(collectors):
        jobs += [(kind, p, True) for p in collectors[kind].host_inputs()]
    if project is None and not jobs:
        raise UsageError("nothing to inventory: give a PROJECT_DIR or {envs}/{requirements}/{locks}/{models}/{datasets}",
                         related=tuple(attr for _, attr in _EXPLICIT_KINDS))
    skipped: list[Unreadable] = []
    notes: list[Finding] = []
    shallow: set[tuple[str, Path]] = set()
    if project is not None:
        given = {k for k, _, _ in jobs}
        found = discover(project, dict(table), skipped)
        jobs += [(k, p, False) for k, p in found if k not in given]
        skipped = [u for u in skipped if u.collector not in given]
        if "model" in table:
            from mlbom.collectors.models import stray_models

            # a weight file outside every folder found or named is a model of its own, whether
            # or not models were named explicitly: never left out silently (red team 102c-5)
            # (an environment folder covers its package folders only: a marker hides no weight file, 111pa-1/-2)
            covered = ({_resolved(p) for k, p in found if k != "environment"}
                       | {_resolved(p) for k, p, _ in jobs if k != "environment"})
            envs = {_resolved(p) for k, p in found if k == "environment"} | {
                _resolved(p) for k, p, _ in jobs if k == "environment" and p.is_dir()}
            # a weight file in a model folder (a loader config beside it) is inventoried with the
            # folder, a spaCy pipeline folder is a model (red team 119pa-2, 119pa-3)
            for p, top_only in stray_models(project, covered, skipped, envs=envs, notes=notes):
                jobs.append(("model", p, False))
                if top_only:
                    shallow.add(("model", p))
        if not jobs and not skipped:
            raise InputError(project, "nothing to inventory in this folder: no environment, requirements, lock, "
                                      "model or dataset was found (see `mlbom generate --help` for what is looked for)")
    return jobs, skipped, notes, shallow


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _assemble(inputs: Inputs, merged: CollectorOutput, *, name: str | None, version: str | None, spec_version: str,
              reproducible: bool) -> Bom:
    """The BOM: the release root, the normalized components, relations and findings, stamps."""
    project = inputs.project_dir
    explicit = [p for _, attr in _EXPLICIT_KINDS for p in getattr(inputs, attr)]
    stamp = source_date_epoch()
    reproducible = reproducible or stamp is not None
    if stamp is None and not reproducible:
        stamp = datetime.now(timezone.utc).replace(microsecond=0)
    release_name = name or (project.resolve().name if project else (explicit[0].resolve().name if explicit else "host")) or "release"
    root = Component(
        bom_ref=f"release:{release_name}" + (f"@{version}" if version else ""),
        type="application",
        name=release_name,
        version=version,
        properties=(Property(name=Prop.CDX_REPRODUCIBLE.value, value="true"),) if reproducible else (),
    )
    components, relations, findings = normalize(merged.components, merged.relations, merged.findings, root)
    return Bom(
        spec_version="1.7" if spec_version == "1.7" else "1.6",
        serial_number=None if reproducible else f"urn:uuid:{uuid.uuid4()}",
        timestamp=stamp.strftime("%Y-%m-%dT%H:%M:%SZ") if stamp else None,
        reproducible=reproducible,
        root=root,
        components=tuple(components),
        relations=tuple(relations),
        findings=tuple(findings),
        unreadable=tuple(sorted(set(merged.unreadable), key=lambda u: (u.path, u.reason))),
    )


def _merge(a: Component, b: Component) -> Component:
    """One component from two views of it: facts are united, the first non-empty value wins."""
    def union(x: tuple[object, ...], y: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(dict.fromkeys(x + y))

    return a.model_copy(update={
        "version": a.version or b.version,
        "purl": a.purl if (a.purl and len(a.purl) >= len(b.purl or "")) else b.purl,
        "description": a.description or b.description,
        "licenses": a.licenses or b.licenses,
        "hashes": union(a.hashes, b.hashes),
        "external_references": union(a.external_references, b.external_references),
        "properties": union(a.properties, b.properties),
        "evidence": union(a.evidence, b.evidence),
    })


def _not_same(a: Component, b: Component) -> str | None:
    """Why two components given one bom-ref are not one thing (a different type; for things named
    by their path or position, not by a package identity: a different name — red team 84-2, two
    devices recorded with one index — or a digest of one algorithm that differs), or ``None`` when
    they may be merged: the merge of :func:`normalize` is for one thing found twice, never for two
    things (red team 83c-1: a model merged into another model's file; 83c-3: two files, one
    component with two SHA-256s)."""
    if a.type != b.type:
        return f"a {a.type} and a {b.type}"
    if a.purl is not None or b.purl is not None:
        # a package's ref is its identity (name, version): one release has many artifacts (a wheel
        # per platform, the sdist), a lock file and the installed copy name different digests, and
        # a requirement may spell the name otherwise (Pillow, pillow)
        return None
    if a.name != b.name:
        return f"names {a.name!r} and {b.name!r}"
    digests = {h.alg: h.content for h in a.hashes}
    for h in b.hashes:
        if h.alg in digests and digests[h.alg] != h.content:
            return f"different {h.alg} digests"
    return None


def normalize(
    components: Sequence[Component], relations: Sequence[Relation], findings: Sequence[Finding], root: Component
) -> tuple[list[Component], list[Relation], list[Finding]]:
    """Merge, fold, sort and link. Returns components, relations (the root's first) and
    findings, all in a deterministic order."""
    by_ref: dict[str, Component] = {}
    findings = list(findings)
    for c in components:
        if c.bom_ref not in by_ref:
            by_ref[c.bom_ref] = c
        elif (why := _not_same(by_ref[c.bom_ref], c)) is None:
            by_ref[c.bom_ref] = _merge(by_ref[c.bom_ref], c)
        else:  # two things under one ref: both kept, the second under a ref of its own, and said (red team 83c-1, 83c-3)
            n = 2
            while f"{c.bom_ref}#conflict:{n}" in by_ref:
                n += 1
            other = f"{c.bom_ref}#conflict:{n}"
            by_ref[other] = c.model_copy(update={"bom_ref": other})
            findings.append(Finding(
                id="inventory.ref-conflict", severity="high", subject=other,
                message=f"two components were given the bom-ref {c.bom_ref!r} ({why}); both are kept, this one as "
                        f"{other!r}, and what refers to {c.bom_ref!r} points at the first"))

    # A declared requirement without a version ("torch>=2") that matches exactly one
    # versioned component of the same name is that component: fold it in.
    alias: dict[str, str] = {}
    _fold_pins(by_ref, alias)
    versioned: dict[str, list[str]] = {}
    for ref, c in by_ref.items():
        if c.purl and c.purl.startswith("pkg:pypi/") and c.version:
            versioned.setdefault(canonicalize_name(c.name), []).append(ref)
    for ref, c in list(by_ref.items()):
        if c.type == "library" and c.purl and c.purl.startswith("pkg:pypi/") and not c.version:
            cands = versioned.get(canonicalize_name(c.name), [])
            if len(cands) == 1:
                by_ref[cands[0]] = _merge(by_ref[cands[0]], c.model_copy(update={"purl": None}))
                alias[ref] = cands[0]
                del by_ref[ref]

    _link_datasets(by_ref)
    _link_ancestors(by_ref)

    edges: dict[str, set[str]] = {}
    for r in relations:
        src = alias.get(r.ref, r.ref)
        if src not in by_ref:
            continue
        targets = edges.setdefault(src, set())
        targets.update(t2 for t in r.depends_on if (t2 := alias.get(t, t)) in by_ref and t2 != src)
    depended = {t for ts in edges.values() for t in ts}
    top = sorted(ref for ref in by_ref if ref not in depended)
    direct = {alias.get(r, r) for r in _declared_direct(components, relations)} & set(by_ref)
    if direct:
        # The project says what it depends on: the release's direct dependencies among the
        # packages are those, not whichever installed packages nobody else happens to require.
        packages = {ref for ref, c in by_ref.items() if _is_package(c)}
        top = sorted((set(top) - packages) | direct)
    out_rel = [Relation(ref=root.bom_ref, depends_on=tuple(top))]
    out_rel += [Relation(ref=ref, depends_on=tuple(sorted(edges.get(ref, set())))) for ref in sorted(by_ref)]

    fixed = [f.model_copy(update={"subject": alias.get(f.subject, f.subject)}) if f.subject in alias else f
             for f in findings]
    fixed = [f if f.subject is None or f.subject in by_ref else f.model_copy(update={"subject": None}) for f in fixed]
    fixed = sorted(set(fixed), key=lambda f: (f.subject or "", f.id, f.message, f.source or "", f.line or 0))
    comps = sorted(by_ref.values(), key=lambda c: (c.type, c.group or "", c.name.lower(), c.version or "", c.bom_ref))
    return comps, out_rel, fixed


def _installed(c: Component) -> bool:
    """A distribution found in an environment (it has a sys.path location), not one declared."""
    return _prop(c, Prop.PY_LOCATION) is not None


def _fold_pins(by_ref: dict[str, Component], alias: dict[str, str]) -> None:
    """A declared pin (requirements, lock) of a version other than the one installed does not
    ship: it becomes a ``mlbom:python:requirement`` of the one installed (active) distribution of
    that name, and the declared component goes (the drift pass reports the difference). Only
    what describes the declaration is kept: its hashes and download links are the pinned
    version's, not the installed one's, and are dropped."""
    installed: dict[NormalizedName, list[str]] = {}
    for ref, c in by_ref.items():
        if c.type == "library" and _installed(c) and _prop(c, Prop.PY_SHADOWED) is None:
            installed.setdefault(canonicalize_name(c.name), []).append(ref)
    for ref, c in sorted(by_ref.items()):
        if c.type != "library" or _installed(c) or not (c.purl or "").startswith("pkg:pypi/") or not c.version:
            continue
        cands = installed.get(canonicalize_name(c.name), [])
        if len(cands) != 1 or cands[0] == ref:
            continue
        target = by_ref[cands[0]]
        kept = {Prop.PY_REQUIREMENT.value, Prop.SOURCE.value, Prop.PY_MARKER.value, Prop.LOCK_GROUP.value}
        props = [p for p in c.properties if p.name in kept]
        if not any(p.name == Prop.PY_REQUIREMENT.value for p in props):
            props.insert(0, Property(name=Prop.PY_REQUIREMENT.value, value=f"{c.name}=={c.version}"))
        by_ref[cands[0]] = target.model_copy(update={
            "properties": tuple(dict.fromkeys(target.properties + tuple(props))),
            "evidence": tuple(dict.fromkeys(target.evidence + c.evidence)),
        })
        alias[ref] = cands[0]
        del by_ref[ref]


def _is_package(c: Component) -> bool:
    """A library installed in an environment or declared by a requirements or lock file."""
    return c.type == "library" and (_installed(c) or any(e.fact == "declared" for e in c.evidence))


def _declared_direct(components: Sequence[Component], relations: Sequence[Relation]) -> set[str]:
    """The packages the project itself declares as its direct dependencies: every line of a
    requirements file, and of a lock the packages no other locked package requires (the roots
    of the lock's graph); a root that is the project itself (uv's ``source = { virtual = "." }``,
    an editable or directory root) stands for its own dependencies, which are then direct too."""
    direct: set[str] = set()
    locked: dict[str, Component] = {}
    for c in components:
        if c.type != "library" or not any(e.fact == "declared" for e in c.evidence):
            continue
        if _prop(c, Prop.LOCK_FORMAT) is None:
            direct.add(c.bom_ref)
        else:
            locked.setdefault(c.bom_ref, c)
    lock_edges: dict[str, set[str]] = {}
    for r in relations:
        if r.ref in locked:
            lock_edges.setdefault(r.ref, set()).update(t for t in r.depends_on if t in locked and t != r.ref)
    required = {t for ts in lock_edges.values() for t in ts}
    for ref, c in locked.items():
        if ref in required:
            continue
        direct.add(ref)
        if _prop(c, Prop.LOCK_SOURCE) in PROJECT_SOURCES:
            direct |= lock_edges.get(ref, set())
    return direct


def _link_datasets(by_ref: dict[str, Component]) -> None:
    """Point each dataset a model card names at the dataset component of this BOM that it
    names (by name, case-insensitively, or by the last part of a hub id); a dataset the BOM
    does not contain becomes a ``data`` component marked ``mlbom:dataset:inspected=false``."""
    by_name: dict[str, str] = {}
    for ref, c in sorted(by_ref.items()):
        if c.type == "data" and _prop(c, Prop.DATASET_INSPECTED) == "true":
            by_name.setdefault(c.name.lower(), ref)
            by_name.setdefault(c.name.lower().rsplit("/", 1)[-1], ref)
    for ref, c in sorted(by_ref.items()):
        mc = c.model_card
        params = mc.get("modelParameters") if mc else None
        datasets = params.get("datasets") if isinstance(params, dict) else None
        if c.type != "machine-learning-model" or not isinstance(datasets, list) or mc is None:
            continue
        linked: list[JsonValue] = []
        refs: set[str] = set()
        for ds in datasets:
            name = ds.get("name") if isinstance(ds, dict) and "ref" not in ds else None
            if not isinstance(name, str) or not name.strip():
                # a name that names nothing is no dataset to point at (red team 80c-5: a card's
                # ``datasets: [""]`` became a nameless component); the card reader leaves such
                # entries out with a finding, another collector's are kept as written
                linked.append(ds)
                continue
            target = by_name.get(name.lower()) or by_name.get(name.lower().rsplit("/", 1)[-1])
            if target is None:
                target = f"dataset:named:{ref_part(name)}"
                if target not in by_ref:
                    by_ref[target] = Component(
                        bom_ref=target, type="data", name=name,
                        data=({"type": "dataset", "name": name},),
                        properties=(Property(name=Prop.DATASET_INSPECTED.value, value="false"),),
                        evidence=(Evidence(fact="named", source=f"model card of {c.name}", field="datasets"),))
            if target not in refs:  # two names of one dataset (``org/x`` and ``x``): one reference
                refs.add(target)
                linked.append({"ref": target})
        new_params = {**params, "datasets": linked} if isinstance(params, dict) else params
        by_ref[ref] = c.model_copy(update={"model_card": {**mc, "modelParameters": new_params}})


def _identity_keys(c: Component) -> list[str]:
    """Names a model or dataset goes by, most precise first: ``org/name``, then ``name``."""
    full = f"{c.group}/{c.name}" if c.group else c.name
    keys = [full.lower()]
    if c.purl and c.purl.startswith("pkg:huggingface/"):
        # the purl's namespace and name are percent-encoded (identity.make_purl): the id decoded
        keys.insert(0, unquote(c.purl.removeprefix("pkg:huggingface/").split("@", 1)[0]).lower())
    last = full.lower().rsplit("/", 1)[-1]
    return list(dict.fromkeys([*keys, last]))


def _link_ancestors(by_ref: dict[str, Component]) -> None:
    """A base model or source dataset named in a pedigree that is also a component of this BOM
    (inventoried, or the dataset a model card names) is one thing, not two: the pedigree
    ancestor takes that component's identity and points at it (``mlbom:pedigree:ref``)."""
    index: dict[tuple[str, str], str] = {}
    for ref, c in sorted(by_ref.items()):
        if c.type in ("machine-learning-model", "data"):
            for key in _identity_keys(c):
                index.setdefault((c.type, key), ref)
    for ref, c in sorted(by_ref.items()):
        if not c.ancestors:
            continue
        linked: list[Component] = []
        for a in c.ancestors:
            found = [index.get((a.type, k)) for k in _identity_keys(a)]
            target = next((t for t in found if t is not None and t != ref), None)
            if target is None:
                linked.append(a)
                continue
            t = by_ref[target]
            kept = tuple(p for p in a.properties if p.name != Prop.PEDIGREE_REF.value)
            linked.append(a.model_copy(update={
                "name": t.name, "group": t.group, "version": t.version, "purl": t.purl or a.purl,
                "properties": (*kept, Property(name=Prop.PEDIGREE_REF.value, value=target))}))
        by_ref[ref] = c.model_copy(update={"ancestors": tuple(linked)})


def _prop(c: Component, name: Prop) -> str | None:
    return next((p.value for p in c.properties if p.name == name.value), None)
