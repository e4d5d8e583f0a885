"""Python environment collector: the installed distributions of a virtualenv, a site-packages
folder or an interpreter, with their dependency graph.

Read, never run: metadata is read from ``*.dist-info``/``*.egg-info`` as bytes. Where the
environment keeps its packages, and what its interpreter is, comes from
:mod:`mlbom.collectors._interpreter` (no interpreter is ever started); ``--verify-record`` is
:mod:`mlbom.collectors._verify_record`.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

import mlbom.licenses as licenses
from mlbom.collectors import BaseCollector, Context, Option
from mlbom.collectors._dists import Dist, archived_dist_dirs, find_dist_dirs, outside_dist, read_dist_file
from mlbom.collectors._interpreter import STATIC_HOW, locate, under, unrecorded_executables, venv_cfg
from mlbom.collectors._verify_record import verify_records
from mlbom.collectors.facts import Fact, FrameworkBuild, InstalledPackage, PythonEnvironment
from mlbom.errors import InputError
from mlbom.formats import pymeta
from mlbom.hashing import sha256_file
from mlbom.identity import purl_name_ok, pypi_purl, safe_url
from mlbom.limits import MAX_EXTRA_MARKER_EVALUATIONS, MAX_LICENSE_EXPRESSION_CHARS, MAX_METADATA_BYTES, MAX_SMALL_JSON
from mlbom.model import (
    Collected,
    Component,
    Evidence,
    ExternalReference,
    Finding,
    Hash,
    License,
    Property,
    Relation,
    Unreadable,
)
from mlbom.properties import Prop
from mlbom.refs import ref_part
from mlbom.versions import contains, extra_literals, marker_holds, parse_version

_URL_LABELS = {
    "homepage": "website",
    "home": "website",
    "source": "vcs",
    "source code": "vcs",
    "repository": "vcs",
    "code": "vcs",
    "github": "vcs",
    "documentation": "documentation",
    "docs": "documentation",
    "issues": "issue-tracker",
    "tracker": "issue-tracker",
    "bug tracker": "issue-tracker",
    "bug reports": "issue-tracker",
    "changelog": "release-notes",
    "changes": "release-notes",
    "release notes": "release-notes",
    "download": "distribution",
}


class EnvironmentCollector(BaseCollector):
    """Installed distributions of one Python environment."""

    name: ClassVar[str] = "environment"
    patterns: ClassVar[tuple[str, ...]] = (".venv", "venv", "env", ".env")
    # red team 24d-4: any folder of the project holding a pyvenv.cfg is an environment, whatever
    # its name (.tox/py311, tools/, .venv-ci/); a conda prefix is reported (conda-meta/history)
    markers: ClassVar[tuple[str, ...]] = ("pyvenv.cfg", "conda-meta/history")
    options: ClassVar[tuple[Option, ...]] = (
        Option("verify_record", bool, "Re-hash every installed file against its distribution's RECORD (tamper evidence)."),
    )

    def __init__(self, *, verify_record: bool = False) -> None:
        self.verify_record = verify_record

    def collect(self, ctx: Context) -> Iterator[Collected | Fact]:
        path = ctx.path
        if not ctx.explicit and venv_cfg(path) is None:
            odd = [c for c in (path / "bin" / "pyvenv.cfg", path / "Scripts" / "pyvenv.cfg", path / "pyvenv.cfg")
                   if os.path.lexists(c)]
            if odd:  # a pyvenv.cfg that is no regular file (a link to /dev/null, to nothing): said (120p-1)
                yield Unreadable(path=ctx.rel(odd[0]), collector="environment",
                                 reason="pyvenv.cfg is not a regular file (a device, FIFO, folder or link to nothing): "
                                        "the environment beside it is not inventoried")
                return
            if (path / "conda-meta" / "history").is_file():
                yield Finding(
                    id="python.environment-not-inventoried", severity="medium", source=ctx.rel(path),
                    message=(f"{ctx.rel(path)} is a conda environment (conda-meta/history) in the project: mlbom "
                             "does not read conda prefixes, so its packages, interpreter and activation scripts "
                             "(etc/conda/activate.d) are not inventoried or verified; name it with --env "
                             "ENV/bin/python to read its site-packages"))
            return
        project = ctx.project if ctx.project is not None else (None if ctx.explicit else ctx.base)
        interp = locate(path, project)
        ctx.say(f"reading environment {path} ({interp.how})")
        root = interp.root if interp.root.exists() else path

        def rel(p: Path) -> str:
            try:
                return Path(os.path.relpath(p, root)).as_posix()
            except ValueError:  # pragma: no cover
                return p.as_posix()

        if ctx.explicit and (conda := _conda_prefix(root)) is not None:
            # named as python.environment-not-inventoried advises: its site-packages are read
            # below, but the conda packages (openssl, cudnn, the CUDA runtime...) are not: said,
            # and the inventory is incomplete (red team 102c-8)
            shown = ctx.rel(conda)
            yield Finding(
                id="python.environment-not-inventoried", severity="medium", source=shown,
                message=(f"{path} is in a conda environment ({shown}: conda-meta/history): its site-packages are "
                         "read, but mlbom does not read conda packages (conda-meta: native libraries such as "
                         "openssl, cudnn, the CUDA runtime), so they are not inventoried"))
            yield Unreadable(path=shown, collector="environment",
                             reason="conda environment: its conda packages (conda-meta) are not inventoried")
        for file, why in interp.unread:
            yield Unreadable(path=ctx.rel(file), collector="environment",
                             reason=f"{why}: the environment's settings in it are not known")
        for site, why in interp.unread_sites:
            yield Unreadable(path=ctx.rel(site), collector="environment", reason=why)
        if interp.sites and not any(s.is_dir() for s in interp.sites):
            yield Unreadable(path=rel(root), collector="environment",
                             reason="none of the site-packages folders the interpreter names exists ("
                                    + ", ".join(s.as_posix() for s in interp.sites) + "): packages not listed")
        dists: list[Dist] = []
        for site, ddir in find_dist_dirs(interp.path):
            dist, problems = _read_dist(site, ddir, rel)
            yield from problems
            if dist is not None:
                dists.append(dist)
        for archive, folders in archived_dist_dirs(interp.path):
            shown = ", ".join(folders[:5]) + (f" and {len(folders) - 5} more" if len(folders) > 5 else "")
            yield Finding(
                id="python.path-archive-not-read", severity="medium", source=rel(archive),
                message=(f"{rel(archive)} is a zip on the import path holding {shown}: its packages are importable "
                         "(zipimport) and importlib.metadata lists them, but mlbom does not read inside it: "
                         "not inventoried"))
            yield Unreadable(path=rel(archive), collector="environment",
                             reason=f"a zip on the import path holding {shown}: its distributions are not inventoried")

        by_name: dict[NormalizedName, list[Dist]] = {}
        for d in dists:
            by_name.setdefault(d.canonical, []).append(d)
        for d in dists:
            base = pypi_purl(d.name, d.version)
            same = by_name[d.canonical]
            d.shadowed = same[0] is not d
            d.ref = base if not d.shadowed else f"{base}#{rel(d.dir)}"

        markers_json = json.dumps(interp.markers, sort_keys=True)
        impl = interp.markers.get("implementation_name", "python")
        py_version = interp.markers.get("python_full_version")
        runtime = Component(
            bom_ref=f"python:{ref_part(ctx.rel(path))}",
            type="platform",
            name=impl,
            version=py_version,
            description=f"Python interpreter of the environment {ctx.rel(path)}",
            properties=(Property(name=Prop.PY_ENVIRONMENT.value, value=interp.how),
                        Property(name=Prop.PY_MARKER_ENV.value, value=markers_json)),
            evidence=(Evidence(fact="version", source=ctx.rel(path), field="python_full_version"),),
        )
        yield runtime
        for note in interp.notes:
            yield note.model_copy(update={"source": rel(Path(note.source)) if note.source else None})
        yield from _duplicate_findings(by_name, rel, root)
        edges, dep_findings, extras = _resolve(dists, by_name, interp.markers, rel)
        yield from dep_findings
        cuda_props: dict[str, list[Property]] = {}
        yield from _cuda_stack(dists, rel, cuda_props)
        if interp.how.startswith(STATIC_HOW):
            yield from unrecorded_executables(root, dists, rel, project)
        if self.verify_record:
            yield from verify_records(dists, root, rel, ctx, interp)
        for d in dists:
            comp, comp_findings = _component(d, rel, cuda_props.get(d.ref, []), extras[d.ref])
            yield comp
            yield from comp_findings
            targets = sorted(edges.get(d.ref, set()))
            yield Relation(ref=d.ref, depends_on=tuple(targets))
        yield PythonEnvironment(markers=dict(interp.markers), packages=tuple(
            InstalledPackage(ref=d.ref, name=d.name, version=d.version) for d in dists if not d.shadowed))


def _cuda_stack(dists: list[Dist], rel: Callable[[Path], str],
                props: dict[str, list[Property]]) -> Iterator[Collected | Fact]:
    """Framework builds (what CUDA they were built for, read from their files) and the CUDA
    families of NVIDIA wheels, as properties added to ``props`` (by bom-ref) and as
    :class:`FrameworkBuild` facts; mixing and cuDNN/NCCL mismatches as findings. Host facts
    (driver, GPUs) are checked against the builds by the post-collection pass
    :func:`mlbom.collectors.passes.cuda_host`."""
    from mlbom.formats import cuda_builds as cb

    families: dict[int, list[str]] = {}
    installed: dict[str, list[tuple[str, Dist]]] = {}
    builds: list[tuple[Dist, cb.Build]] = []
    for d in dists:
        if d.shadowed:
            continue
        d_props = props.setdefault(d.ref, [])
        fam = cb.wheel_family(d.name, d.version)
        if fam is not None:
            d_props.append(Property(name=Prop.CUDA_FAMILY.value, value=str(fam)))
            families.setdefault(fam, []).append(f"{d.name} {d.version}")
        lib = cb.cudnn_major_of(d.name, d.version)
        if lib is not None:
            installed.setdefault(lib[0], []).append((lib[1], d))
        build = None
        if d.canonical == "torch":
            build = cb.torch_build(d.site, d.version, d.meta.all("Requires-Dist") if d.meta is not None else [])
        elif d.canonical in ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly"):
            build = cb.tensorflow_build(d.site, d.version)
        elif d.canonical.startswith("onnxruntime"):
            build = cb.onnxruntime_build(d.site, d.name, d.version)
        if build is None:
            continue
        builds.append((d, build))
        for problem in build.problems:
            yield Finding(id="cuda.build-unreadable", severity="low", subject=d.ref, source=rel(d.site / build.evidence),
                          message=f"{d.name} {d.version}: {build.evidence}: {problem}; its build facts may be incomplete")
        kind = f"cuda-{build.cuda}" if build.cuda else f"rocm-{build.rocm}" if build.rocm else "cpu" if build.cpu_only else None
        if kind:
            d_props.append(Property(name=Prop.CUDA_BUILD.value, value=kind))
            yield FrameworkBuild(ref=d.ref, name=d.name, version=d.version, build=kind, archs=tuple(build.archs))
        if build.archs:
            d_props.append(Property(name=Prop.CUDA_ARCHS.value, value=",".join(build.archs)))
        for lib_name, major in (("cudnn", build.cudnn_major), ("nccl", build.nccl_major)):
            if major:
                d_props.append(Property(name=Prop.CUDA_EXPECTS.value, value=f"{lib_name}={major}"))
        if build.providers:
            d_props.append(Property(name=Prop.CUDA_PROVIDERS.value, value=",".join(build.providers)))
        if build.bundled:
            d_props.append(Property(name=Prop.CUDA_BUNDLED.value, value=",".join(build.bundled)))
        if build.git_version:
            d_props.append(Property(name=Prop.BUILD_COMMIT.value, value=build.git_version))
        if build.cuda_major is not None:
            families.setdefault(build.cuda_major, []).append(f"{d.name} {d.version} (built for CUDA {build.cuda})")
    if len(families) > 1:
        parts = "; ".join(f"CUDA {m}: {', '.join(sorted(v))}" for m, v in sorted(families.items()))
        loaders = [f"{d.name} {d.version} loads " + (f"the CUDA libraries it bundles ({', '.join(b.bundled)})" if b.bundled
                                                     else f"the CUDA {b.cuda_major} libraries it was built for")
                   for d, b in builds if b.cuda_major is not None]
        yield Finding(id="cuda.multiple-runtimes", severity="medium",
                      message=(f"this environment mixes CUDA major versions ({parts})"
                               + (f"; {'; '.join(loaders)}" if loaders else "")
                               + "; wheels of the other family are dead weight or, when loaded by another package, a "
                                 "second CUDA runtime in the process (docs/cuda-compatibility.md)"))
    for d, b in builds:
        why = "its Requires-Dist pin" if b.framework == "torch" else b.evidence
        for lib_name, want in (("cudnn", b.cudnn_major), ("nccl", b.nccl_major)):
            for have, dist in installed.get(lib_name, []):
                if want and have != want and (b.cuda_major is None or cb.wheel_family(dist.name, dist.version) == b.cuda_major):
                    yield Finding(id=f"cuda.{lib_name}-mismatch", severity="high", subject=d.ref,
                                  message=(f"{d.name} {d.version} expects {lib_name} {want}.x ({why}) "
                                           f"but {dist.name} {dist.version} is installed: a major mismatch fails at load time "
                                           "(docs/cuda-compatibility.md)"))


def _read_dist(site: Path, ddir: Path, rel: Callable[[Path], str]) -> tuple[Dist | None, list[Collected]]:
    """Read one distribution's metadata; malformed metadata is a finding, not a crash."""
    problems: list[Collected] = []
    meta_file = ddir / "METADATA" if ddir.name.lower().endswith(".dist-info") else ddir / "PKG-INFO"
    if ddir.is_file():  # an egg-info *file* holds the metadata itself
        meta_file = ddir
    dir_name, dir_version = pymeta.parse_dist_dirname(ddir.name)
    meta: pymeta.CoreMetadata | None = None
    try:
        meta = pymeta.parse_metadata(read_dist_file(meta_file, MAX_METADATA_BYTES, ddir, site), meta_file)
    except InputError as exc:
        problems.append(Unreadable(path=rel(meta_file), reason=exc.detail, collector="environment"))
    meta_name = meta.first("Name") if meta else None
    meta_name = meta_name if meta_name and purl_name_ok(meta_name) else None
    name = meta_name or (dir_name if dir_name and purl_name_ok(dir_name) else None)
    version = (meta.first("Version") if meta else None) or dir_version
    if not name:
        # importlib.metadata lists it and its RECORD may install files: never dropped silently
        # (red team 78c-8: "-2.0.dist-info" with "Name: " and ".dist-info" vanished, composition
        # complete). A finding naming the folder, and the inventory is incomplete.
        said = meta.first("Name") if meta else None
        why = (f"METADATA Name {said[:80]!r} cannot name a package" if said else "METADATA has no Name") \
            + (" and the folder name gives none usable" if meta is not None else "")
        problems.append(Finding(
            id="python.metadata-malformed", severity="medium", source=rel(ddir),
            message=f"{rel(ddir)}: {why}: the distribution is not inventoried (its files are not listed either)"))
        problems.append(Unreadable(path=rel(ddir), reason=f"{why}: distribution not inventoried",
                                   collector="environment"))
        return None, problems
    dist = Dist(dir=ddir, site=site, name=name, canonical=canonicalize_name(name), version=version, meta=meta)
    if meta is not None and (meta_name is None or not meta.first("Version")):
        missing = [f for f, v in (("Name", meta_name), ("Version", meta.first("Version"))) if not v]
        problems.append(Finding(
            id="python.metadata-malformed", severity="medium",
            message=f"{name}: METADATA lacks {', '.join(missing)}; taken from the folder name {ddir.name}",
            subject=pypi_purl(name, version), source=rel(meta_file)))
    du_path = ddir / "direct_url.json"
    if ddir.is_dir() and du_path.is_file():  # where it came from: unreadable origin makes the inventory incomplete
        try:
            pymeta.parse_direct_url(read_dist_file(du_path, MAX_SMALL_JSON, ddir, site), du_path)
        except InputError as exc:
            problems.append(Unreadable(path=rel(du_path), reason=exc.detail, collector="environment"))
    installer = ddir / "INSTALLER"
    if ddir.is_dir() and os.path.lexists(installer) and (problem := _installer_problem(installer, ddir, site)):
        # never its content (red team 119ps-2): the record says why, the component's property too
        problems.append(Unreadable(path=rel(installer), reason=problem, collector="environment"))
    return dist, problems


def _installer_problem(path: Path, ddir: Path, site: Path) -> str | None:
    """Why a distribution's ``INSTALLER`` that exists is not read, or None."""
    try:
        read_dist_file(path, _INSTALLER_BYTES, ddir, site)
    except InputError as exc:
        return exc.detail
    return None


def _component(d: Dist, rel: Callable[[Path], str], extra: list[Property],
               extras: set[str]) -> tuple[Component, list[Finding]]:
    findings: list[Finding] = []
    meta = d.meta
    meta_rel = rel(d.dir / ("METADATA" if d.dir.name.lower().endswith(".dist-info") else "PKG-INFO"))
    props: list[Property] = list(extra)
    ev: list[Evidence] = [Evidence(fact="name", source=meta_rel, field="Name"),
                          Evidence(fact="version", source=meta_rel, field="Version")]
    qualifiers: dict[str, str] = {}
    refs: list[ExternalReference] = []
    lic: list[License] = []
    if meta is not None:
        lic, lic_ev, lic_props, unclear = _licenses(meta, meta_rel)
        if unclear:
            findings.append(Finding(id="license.unclear", severity="low",
                                    message=f"{d.name} {d.version}: licence unclear: {unclear}",
                                    subject=d.ref, source=meta_rel))
        ev += lic_ev
        props += lic_props
        refs += _project_urls(meta)
        rp = meta.first("Requires-Python")
        if rp:
            props.append(Property(name=Prop.PY_REQUIRES_PYTHON.value, value=rp))
    installer, why = _small_text(d.dir / "INSTALLER", d)
    if installer:
        props.append(Property(name=Prop.PY_INSTALLER.value, value=installer))
        ev.append(Evidence(fact="installer", source=rel(d.dir / "INSTALLER")))
    elif why:
        props.append(Property(name=Prop.UNREADABLE.value, value=f"INSTALLER: {why}"))
    du_path = d.dir / "direct_url.json"
    if du_path.is_file():
        du_refs, du_props, qualifiers = _direct_url(du_path, d)
        refs += du_refs
        props += du_props
        ev.append(Evidence(fact="origin", source=rel(du_path)))
    refs += _shipped_sboms(d, rel)
    props.append(Property(name=Prop.PY_LOCATION.value, value=rel(d.site)))
    if d.shadowed:
        props.append(Property(name=Prop.PY_SHADOWED.value, value="true"))
    active = sorted(e for e in extras if e)
    if active:
        props.append(Property(name=Prop.PY_EXTRAS.value, value=",".join(active)))
    summary = meta.first("Summary") if meta else None
    return Component(
        bom_ref=d.ref,
        type="library",
        name=d.name,
        version=d.version,
        purl=pypi_purl(d.name, d.version, qualifiers),
        description=summary or None,
        licenses=tuple(lic),
        external_references=tuple(refs),
        properties=tuple(props),
        evidence=tuple(ev),
    ), findings


def _licenses(
    meta: pymeta.CoreMetadata, src: str
) -> tuple[list[License], list[Evidence], list[Property], str | None]:
    """The distribution's licence, most precise source first: PEP 639 ``License-Expression``;
    then classifiers that name one SPDX licence; then a ``License`` field that is an SPDX id or
    expression or a short name. A ``License`` field holding a copyright notice or a whole licence
    text names no licence: the classifiers' names are taken then (the text kept as the licence's
    text), else the field's first line as a name. Returns the licences, evidence, properties and,
    for the last two cases, why the licence is unclear."""
    props = [Property(name=Prop.PY_LICENSE_FILE.value, value=f) for f in meta.all("License-File")]
    expr = meta.first("License-Expression")
    if expr:
        too_long = (f"License-Expression of {len(expr.strip()):,} characters, more than the {MAX_LICENSE_EXPRESSION_CHARS:,} "
                    "an SPDX expression may have: not parsed, kept as a name") if licenses.expression_too_long(expr) else None
        return [licenses.from_expression(expr)], [Evidence(fact="license", source=src, field="License-Expression")], props, too_long
    classifiers = sorted({c for c in meta.all("Classifier") if c.startswith("License ::")})
    found = [licenses.from_classifier(c) for c in classifiers]
    by_classifier = list({(lc.kind, lc.value): lc for lc in found}.values())
    ids = [lc for lc in by_classifier if lc.kind != "name"]
    if ids:
        return ids, [Evidence(fact="license", source=src, field="Classifier")], props, None
    text = _unfold(meta.first("License"))
    if text and text.strip().upper() in ("UNKNOWN", "NONE"):
        text = None
    if text and not licenses.looks_like_text(text):
        return [licenses.from_name(text)], [Evidence(fact="license", source=src, field="License")], props, None
    if by_classifier:
        lics = [lc.model_copy(update={"text": text}) if text and len(by_classifier) == 1 else lc for lc in by_classifier]
        why = (f"classifier {', '.join(repr(lc.value) for lc in by_classifier)} names no single SPDX licence"
               + (" and the License field is a copyright notice or licence text" if text else ""))
        return lics, [Evidence(fact="license", source=src, field="Classifier")], props, why
    if text:
        why = "the License field is a copyright notice or licence text, not a licence's name or SPDX id"
        return [licenses.from_name(text)], [Evidence(fact="license", source=src, field="License")], props, why
    return [], [], props, None


def _unfold(value: str | None) -> str | None:
    """Undo core-metadata header folding: continuation lines are indented (8 spaces, or 7 and
    a ``|`` as setuptools writes them)."""
    if not value:
        return value
    first, *rest = value.splitlines()
    body = [ln[8:] if ln.startswith(" " * 8) else ln.lstrip() for ln in rest]
    body = [ln[1:] if ln.startswith("|") else ln for ln in body]
    return "\n".join([first, *body]).strip()


def _project_urls(meta: pymeta.CoreMetadata) -> list[ExternalReference]:
    refs: list[ExternalReference] = []
    home = meta.first("Home-page")
    if home and (url := safe_url(home)):
        refs.append(ExternalReference(type="website", url=url))
    for entry in meta.all("Project-URL"):
        label, sep, raw = entry.partition(",")
        if not sep or not (url := safe_url(raw)):
            continue
        key = re.sub(r"[\s_\-.]+", " ", label.strip().lower()).strip()
        kind = _URL_LABELS.get(key, "other")
        refs.append(ExternalReference(type=kind, url=url, comment=label.strip() or None))
    return refs


_INSTALLER_BYTES = 4096


def _small_text(path: Path, d: Dist) -> tuple[str | None, str | None]:
    """The text of the small file ``path`` of distribution ``d`` (``INSTALLER``), or why it was
    not read when it exists (a link out of the distribution folder: never its content, red team
    119ps-2; a FIFO or device; too large)."""
    if not d.dir.is_dir():
        return None, None
    try:
        return read_dist_file(path, _INSTALLER_BYTES, d.dir, d.site).decode("utf-8", "replace").strip() or None, None
    except InputError as exc:
        return None, (exc.detail if os.path.lexists(path) else None)


def _direct_url(path: Path, d: Dist) -> tuple[list[ExternalReference], list[Property], dict[str, str]]:
    try:
        du = pymeta.parse_direct_url(read_dist_file(path, MAX_SMALL_JSON, d.dir, d.site), path)
    except InputError as exc:
        return [], [Property(name=Prop.UNREADABLE.value, value=f"direct_url.json: {exc.detail}")], {}
    props = [Property(name=Prop.PY_DIRECT_URL.value, value=du.url)]
    refs: list[ExternalReference] = []
    qualifiers: dict[str, str] = {}
    url = safe_url(du.url)
    if du.kind == "vcs" and url:
        vcs_url = f"{du.vcs}+{du.url}@{du.commit_id}"
        qualifiers["vcs_url"] = vcs_url
        refs.append(ExternalReference(type="vcs", url=url, comment=f"{du.vcs} commit {du.commit_id}"))
    elif du.kind == "archive" and url:
        qualifiers["download_url"] = du.url
        hashes = tuple(Hash(alg="SHA-256", content=v) for k, v in du.hashes.items()
                       if k == "sha256" and re.fullmatch(r"[0-9a-f]{64}", v))
        refs.append(ExternalReference(type="distribution", url=url, hashes=hashes))
    elif du.kind == "dir" and du.editable:
        props.append(Property(name=Prop.PY_EDITABLE.value, value="true"))
    if du.subdirectory:
        qualifiers["subpath"] = du.subdirectory
    return refs, props, qualifiers


def _shipped_sboms(d: Dist, rel: Callable[[Path], str]) -> list[ExternalReference]:
    """PEP 770: SBOMs a distribution ships in ``.dist-info/sboms/`` are referenced with their
    hash, so the BOM points at them instead of losing them. One that is a link out of the
    distribution folder is referenced unhashed, saying why (:func:`outside_dist`)."""
    sbom_dir = d.dir / "sboms"
    if not sbom_dir.is_dir():
        return []
    refs: list[ExternalReference] = []
    for f in sorted(sbom_dir.iterdir()):
        if not f.is_file():
            continue
        url = safe_url(rel(f))
        if url is None:
            continue
        if (why := outside_dist(f, d.dir, d.site)) is not None:
            refs.append(ExternalReference(type="bom", url=url, comment=f"PEP 770 SBOM shipped with the distribution: {why}"))
            continue
        digest = sha256_file(f)
        hashes = (Hash(alg="SHA-256", content=digest.sha256),) if digest.sha256 else ()
        refs.append(ExternalReference(type="bom", url=url, hashes=hashes, comment="PEP 770 SBOM shipped with the distribution"))
    return refs


def _duplicate_findings(by_name: dict[NormalizedName, list[Dist]], rel: Callable[[Path], str],
                        root: Path) -> Iterator[Finding]:
    """One ``python.duplicate-distribution`` per name installed more than once on the path, on
    the copy that is imported (the first). Low when that copy is the environment's own and every
    other is outside it (a venv shadowing its base with system site on: ``venv
    --system-site-packages`` installs pip and setuptools in both, red team 20d-6); medium
    otherwise (two copies inside, or an outside copy first)."""
    for name, group in sorted(by_name.items()):
        if len(group) < 2:
            continue
        where = "; ".join(f"{d.version} at {rel(d.dir)}" for d in group)
        first = group[0]
        venv_wins = under(first.dir, root) and not any(under(d.dir, root) for d in group[1:])
        tail = (": the environment's copy wins, the base's is shadowed" if venv_wins
                else f": the first ({first.version} at {rel(first.dir)}) is imported, the others are shadowed")
        yield Finding(id="python.duplicate-distribution", severity="low" if venv_wins else "medium",
                      message=f"{name} is installed {len(group)} times on the path ({where}){tail}",
                      subject=first.ref, source=rel(first.dir))


Parsed = dict[str, list[tuple[Requirement, int | None]]]


def _resolve(
    dists: list[Dist], by_name: dict[NormalizedName, list[Dist]], markers: dict[str, str], rel: Callable[[Path], str]
) -> tuple[dict[str, set[str]], list[Finding], dict[str, set[str]]]:
    """Evaluate every Requires-Dist for the target interpreter, in three phases: parse them,
    activate the extras other installed distributions ask for, draw the edges (and check the
    versions) the active requirements make. Returns edges, findings and each distribution's
    active extras (``""`` stands for the distribution itself), by bom-ref."""
    parsed, findings = _parse_requires(dists, rel)
    evaluator = _Markers(markers)
    extras = _activate_extras(dists, by_name, parsed, evaluator)
    edges, edge_findings = _draw_edges(dists, by_name, parsed, extras, evaluator, rel)
    return edges, findings + edge_findings + evaluator.findings(rel), extras


def _parse_requires(dists: list[Dist], rel: Callable[[Path], str]) -> tuple[Parsed, list[Finding]]:
    """Each distribution's Requires-Dist lines as requirements (with their line numbers); a line
    that does not parse is a finding."""
    parsed: Parsed = {}
    findings: list[Finding] = []
    for d in dists:
        reqs: list[tuple[Requirement, int | None]] = []
        src = rel(d.dir / "METADATA")
        for raw in d.meta.all("Requires-Dist") if d.meta else []:
            line = d.meta.lines.get(("requires-dist", raw)) if d.meta else None
            try:
                reqs.append((Requirement(raw), line))
            except (InvalidRequirement, InvalidMarker) as exc:
                findings.append(Finding(
                    id="python.requirement-invalid", severity="medium",
                    message=f"{d.name} {d.version}: cannot parse Requires-Dist {raw!r}: {str(exc).splitlines()[0]}",
                    subject=d.ref, source=src, line=line))
        parsed[d.ref] = reqs
    return parsed, findings


class _Markers:
    """Evaluates requirement markers for the target interpreter against a distribution's active
    extras. A requirement applies when its marker holds for one of the extras, taken in sorted
    order (the first that cannot be evaluated ends the search: it does not apply). Red team
    78c-1: one evaluation per (requirement, extra) made a distribution with 1,500 requirements
    asked for with 1,500 extras cost 2.25 M marker evaluations (13 s). Now a marker that compares
    ``extra`` only with ``==``/``!=`` is evaluated for the extras it names and for one other
    (every other extra gives the same value), each (marker, extra) once per run: linear. Any
    other use of ``extra`` (``in``, ``<``…; undefined in the specifier spec, never seen in real
    metadata) is evaluated extra by extra, up to :data:`MAX_EXTRA_MARKER_EVALUATIONS` in all;
    past that the requirement does not apply and :meth:`findings` says so."""

    def __init__(self, markers: dict[str, str]) -> None:
        self.env = markers
        self.values: dict[tuple[str, str], bool | None] = {}
        self.shapes: dict[str, frozenset[str] | None] = {}
        self.spent = 0
        self.skipped: dict[str, Dist] = {}

    def _holds(self, marker: Marker, text: str, extra: str) -> bool | None:
        key = (text, extra)
        if key not in self.values:
            self.values[key] = marker_holds(marker, {**self.env, "extra": extra})
        return self.values[key]

    def applies(self, d: Dist, req: Requirement, extras: set[str], ordered: list[str]) -> bool:
        """Whether ``req`` of ``d`` holds with any of ``extras`` (``ordered``: them, sorted)."""
        marker = req.marker
        if marker is None:
            return True
        text = str(marker)
        if text not in self.shapes:
            self.shapes[text] = extra_literals(marker)
        named = self.shapes[text]
        if named is None:
            candidates = ordered
        else:
            candidates = sorted(e for e in named if e in extras)
            other = next((e for e in ordered if e not in named), None)
            if other is not None:
                bisect.insort(candidates, other)
        for extra in candidates:
            if named is None and (text, extra) not in self.values:
                if self.spent >= MAX_EXTRA_MARKER_EVALUATIONS:
                    self.skipped.setdefault(d.ref, d)
                    return False
                self.spent += 1
            holds = self._holds(marker, text, extra)
            if holds is None:
                return False
            if holds:
                return True
        return False

    def findings(self, rel: Callable[[Path], str]) -> list[Finding]:
        """One finding per distribution whose requirements were left unevaluated."""
        return [Finding(
            id="python.marker-unevaluated", severity="medium",
            message=(f"{d.name} {d.version}: a Requires-Dist marker compares 'extra' with an operator other "
                     f"than == or != and the {MAX_EXTRA_MARKER_EVALUATIONS:,} evaluations such markers may take "
                     "are spent: some of its requirements were not evaluated (no edge drawn)"),
            subject=d.ref, source=rel(d.dir / "METADATA")) for d in self.skipped.values()]


def _activate_extras(dists: list[Dist], by_name: dict[NormalizedName, list[Dist]], parsed: Parsed,
                     evaluator: _Markers) -> dict[str, set[str]]:
    """The extras of each distribution that installed distributions ask for, until nothing
    changes. A worklist, not rounds over everything: a distribution is looked at again only when
    its active extras grew, so a chain of n extras costs O(n), not O(n^2) marker evaluations
    (issue 19: every graph walk linear)."""
    extras: dict[str, set[str]] = {d.ref: {""} for d in dists}
    work = deque(d for d in dists if not d.shadowed)
    queued = {d.ref for d in work}
    while work:
        d = work.popleft()
        queued.discard(d.ref)
        have = extras[d.ref]
        ordered = sorted(have)
        for req, _ in parsed[d.ref]:
            target = by_name.get(canonicalize_name(req.name))
            if not target or not req.extras or not evaluator.applies(d, req, have, ordered):
                continue
            active = target[0]
            new = {canonicalize_name(e) for e in req.extras} - extras[active.ref]
            if new:
                extras[active.ref] |= new
                if not active.shadowed and active.ref not in queued:
                    work.append(active)
                    queued.add(active.ref)
    return extras


def _draw_edges(dists: list[Dist], by_name: dict[NormalizedName, list[Dist]], parsed: Parsed,
                extras: dict[str, set[str]], evaluator: _Markers,
                rel: Callable[[Path], str]) -> tuple[dict[str, set[str]], list[Finding]]:
    """The dependency edges of the active requirements, and a finding for each one that is
    missing or whose installed version does not satisfy it."""
    findings: list[Finding] = []
    edges: dict[str, set[str]] = {}
    for d in dists:
        src = rel(d.dir / "METADATA")
        ordered = sorted(extras[d.ref])
        for req, line in parsed[d.ref]:
            target = by_name.get(canonicalize_name(req.name))
            if not evaluator.applies(d, req, extras[d.ref], ordered):
                # An optional (extra) requirement nobody asked for draws no edge even when its
                # target is installed for another reason (joblib[docs] -> pandas): an edge claims
                # "this requires that", and it does not. Its version is not checked either (pip).
                continue
            spec = str(req)
            if not target:
                if not d.shadowed:
                    findings.append(Finding(
                        id="python.requirement-missing", severity="medium",
                        message=f"{d.name} {d.version} requires {spec} but no {req.name} is installed",
                        subject=d.ref, source=src, line=line))
                continue
            active = target[0]
            edges.setdefault(d.ref, set()).add(active.ref)
            if d.shadowed or not req.specifier or active.version is None:
                continue
            have = parse_version(active.version)
            ok = contains(req.specifier, have) if have is not None else None
            if ok is None:
                what = (f"{active.name} version {active.version[:80]!r} is not PEP 440" if have is None
                        else "a version in the specifier is not PEP 440 (or too long)")
                findings.append(Finding(
                    id="python.version-invalid", severity="low",
                    message=f"{what}; cannot check {d.name}'s requirement {spec[:200]}",
                    subject=active.ref if have is None else d.ref, source=rel(active.dir if have is None else d.dir)))
                continue
            if not ok:
                findings.append(Finding(
                    id="python.version-conflict", severity="high",
                    message=(f"{d.name} {d.version} requires {spec}, but {active.name} {active.version} "
                             f"is installed (at {rel(active.site)})"),
                    subject=d.ref, source=src, line=line))
    return edges, findings


def _conda_prefix(root: Path) -> Path | None:
    """The conda prefix ``root`` is (``conda-meta/history`` in it), else None."""
    try:
        return root if (root / "conda-meta" / "history").is_file() else None
    except OSError:
        return None
