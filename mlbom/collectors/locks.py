"""Lock-file collector: uv.lock, poetry.lock, Pipfile.lock, pylock.toml, conda environment.yml.

Locked packages become ``library`` components with every artifact hash the lock records and
the artifact URLs as ``distribution`` references; the lock's own dependency lists become
dependency edges. Drift between a lock and an installed environment is computed by
:mod:`mlbom.inventory`, which sees both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from packaging.utils import canonicalize_name

from mlbom.collectors import BaseCollector, Context
from mlbom.collectors._declared import declaring
from mlbom.collectors._manifest import manifest_component, package_component, read_manifest
from mlbom.collectors.facts import Fact
from mlbom.errors import InputError
from mlbom.formats import locks
from mlbom.model import Collected, Finding, Property, Relation
from mlbom.properties import Prop


class LockCollector(BaseCollector):
    """One lock file of a supported format."""

    name: ClassVar[str] = "lock"
    patterns: ClassVar[tuple[str, ...]] = (
        "uv.lock", "poetry.lock", "Pipfile.lock", "pylock.toml", "pylock.*.toml",
        "environment.yml", "environment.yaml",
    )

    def collect(self, ctx: Context) -> Iterator[Collected | Fact]:
        return declaring(self._lock(ctx.path, ctx), lock=True)

    def _lock(self, path: Path, ctx: Context) -> Iterator[Collected]:
        fmt = locks.detect(path)
        if fmt is None:
            raise InputError(path, "not a lock file mlbom knows (uv.lock, poetry.lock, Pipfile.lock, "
                                   "pylock[.NAME].toml, environment.yml)")
        data = read_manifest(path, locks.MAX_LOCK_BYTES)
        lock = locks.parse(data, path, fmt)
        rel = ctx.rel(path)
        ctx.say(f"reading {fmt} {rel} ({len(lock.packages)} packages)")
        file_comp = manifest_component(path, ctx, fmt)
        if lock.channels:
            file_comp = file_comp.model_copy(update={"properties": file_comp.properties + tuple(
                Property(name=Prop.CONDA_CHANNEL.value, value=c) for c in lock.channels)})
        yield file_comp
        for note in lock.notes:
            yield Finding(id="input.text-replaced" if "Unicode" in note else "input.duplicate-key", severity="low",
                          message=note, subject=file_comp.bom_ref, source=rel)
        refs_by_name: dict[str, list[str]] = {}
        comps = []
        for pkg in lock.packages:
            props = [Property(name=Prop.LOCK_FORMAT.value, value=fmt)]
            if pkg.source:
                props.append(Property(name=Prop.LOCK_SOURCE.value, value=pkg.source))
            if pkg.group:
                props.append(Property(name=Prop.LOCK_GROUP.value, value=pkg.group))
            if pkg.marker:
                props.append(Property(name=Prop.PY_MARKER.value, value=pkg.marker))
            if pkg.index:
                props.append(Property(name=Prop.PY_INDEX.value, value=pkg.index))
            if pkg.specifier:
                props.append(Property(name=Prop.PY_REQUIREMENT.value, value=f"{pkg.name} {pkg.specifier}".strip()))
            url = pkg.source_url if pkg.source in ("git", "url") else None
            comp = package_component(
                name=pkg.name, version=pkg.version, ecosystem=pkg.ecosystem, source_file=rel,
                hashes=[a.sha256 for a in pkg.artifacts if a.sha256],
                artifacts=[(a.url, a.sha256) for a in pkg.artifacts if a.url],
                url=url, vcs_commit=pkg.vcs_commit, properties=props)
            comps.append((pkg, comp))
            refs_by_name.setdefault(canonicalize_name(pkg.name), []).append(comp.bom_ref)
            yield comp
            if pkg.version is None and pkg.source in ("registry", "conda", "pip", None):
                yield Finding(id="lock.unpinned", severity="medium",
                              message=f"{pkg.name} is not pinned to one version in {fmt} ({pkg.specifier or 'no version'})",
                              subject=comp.bom_ref, source=rel)
            elif pkg.ecosystem == "pypi" and pkg.source == "registry" and not any(a.sha256 for a in pkg.artifacts) \
                    and fmt != "conda":
                yield Finding(id="lock.hash-missing", severity="low",
                              message=f"{pkg.name} {pkg.version} has no artifact hash in {fmt}; the download cannot be verified",
                              subject=comp.bom_ref, source=rel)
        for pkg, comp in comps:
            targets = sorted({r for d in pkg.dependencies for r in refs_by_name.get(canonicalize_name(d), [])})
            if targets:
                yield Relation(ref=comp.bom_ref, depends_on=tuple(targets))
