"""Post-collection passes: checks across what several collectors found, over typed facts
(:mod:`mlbom.collectors.facts`), never over collector names or property strings.

- :func:`drift`: declared (requirements, locks) versus installed (environments).
- :func:`cuda_host`: the host's driver and GPUs versus what the frameworks were built for.

:func:`passes` lists them in the order they run; each returns findings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from mlbom.collectors.facts import (
    Declaration,
    Fact,
    FrameworkBuild,
    GpuHost,
    InstalledPackage,
    PythonEnvironment,
)
from mlbom.model import Finding
from mlbom.versions import contains, marker_holds, parse_version

Pass = Callable[[Sequence[Fact]], list[Finding]]


def drift(facts: Sequence[Fact]) -> list[Finding]:
    """Declared versus installed: each difference is a finding about the installed component,
    naming the file that declares otherwise. The first environment's markers decide which
    declarations apply; the first installed distribution of a name is the one compared."""
    envs = [f for f in facts if isinstance(f, PythonEnvironment)]
    installed: dict[NormalizedName, InstalledPackage] = {}
    for env in envs:
        for p in env.packages:
            installed.setdefault(canonicalize_name(p.name), p)
    if not installed:
        return []
    markers = dict(envs[0].markers) if envs else None
    findings: list[Finding] = []
    for decl in (f for f in facts if isinstance(f, Declaration)):
        declared: set[NormalizedName] = set()
        for c in decl.packages:
            if c.project_root:
                continue  # the project itself (uv's virtual or editable root), not a package to install
            if c.marker and markers is not None:
                try:
                    holds = marker_holds(Marker(c.marker), markers)
                except InvalidMarker:
                    holds = None
                if holds is False:
                    continue
            key = canonicalize_name(c.name)
            declared.add(key)
            have = installed.get(key)
            if have is None:
                findings.append(Finding(
                    id="lock.not-installed", severity="medium",
                    message=f"{c.where} declares {c.name} {c.version or c.requirement or ''}".rstrip()
                    + " but it is not installed in the environment",
                    subject=c.ref))
                continue
            if c.version and have.version and not _pin_satisfied(c.version, c.requirement, have.version):
                findings.append(Finding(
                    id="lock.drift", severity="high",
                    message=f"{c.where} pins {c.name} {c.version} but {have.version} is installed",
                    subject=have.ref))
            elif not c.version and c.requirement and have.version:
                try:
                    spec = Requirement(c.requirement).specifier
                except InvalidRequirement:
                    continue
                have_version = parse_version(have.version)
                ok = contains(spec, have_version) if have_version is not None else None
                if ok is False:
                    findings.append(Finding(
                        id="requirements.unsatisfied", severity="high",
                        message=f"{c.where} requires {c.requirement} but {c.name} {have.version} is installed",
                        subject=have.ref))
        if decl.full_locks:
            for key, have in sorted(installed.items()):
                if key not in declared and key not in ("pip", "setuptools", "wheel"):
                    findings.append(Finding(
                        id="lock.unlocked", severity="low",
                        message=f"{have.name} {have.version} is installed but not in the lock ({', '.join(decl.full_locks)})",
                        subject=have.ref))
    return findings


def cuda_host(facts: Sequence[Fact]) -> list[Finding]:
    """The first GPU host's driver and GPUs against each framework build (nothing without one)."""
    host = next((f for f in facts if isinstance(f, GpuHost)), None)
    if host is None:
        return []
    from mlbom.cuda_compat import host_findings

    return host_findings(host, [f for f in facts if isinstance(f, FrameworkBuild)])


def _pin_satisfied(pinned: str, requirement: str | None, have: str) -> bool:
    """Whether the installed version ``have`` is what the declaration pins, as pip decides it
    (red team 102c-6): a requirements pin (``requirement``: ``torch==2.5.0``) by PEP 440 matching
    of its specifier — a local label is ignored by ``==`` without one (``2.5.0+cu121`` satisfies
    ``==2.5.0``, every CUDA wheel of torch), release segments are zero-padded (``1.0.0``
    satisfies ``==1.0``), ``===`` compares the strings; a lock's exact version (no requirement)
    by PEP 440 equality, so ``1.0`` is ``1.0.0`` but ``2.5.0`` is not ``2.5.0+cu121`` (the lock
    names another build). Text that is no version compares as text."""
    have_v = parse_version(have)
    if requirement and have_v is not None:
        try:
            spec = Requirement(requirement).specifier
        except InvalidRequirement:
            spec = None
        if spec is not None and len(spec) > 0:
            ok = contains(spec, have_v)
            if ok is not None:
                return ok
    pinned_v = parse_version(pinned)
    if pinned_v is not None and have_v is not None:
        return pinned_v == have_v
    return pinned == have


def passes() -> tuple[Pass, ...]:
    """The registered post-collection passes, in the order they run."""
    return (drift, cuda_host)
