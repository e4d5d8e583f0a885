"""Matching PyPI components against OSV records, as the OSV specification evaluates them.

Spec: https://ossf.github.io/osv-schema/#evaluation (OSV 1.6). For each ``affected`` entry
whose package is the component's (names PEP 503-normalised): the version is affected when it
is listed in ``versions``, or when an ``ECOSYSTEM`` range includes it: events are sorted by
version (``introduced: "0"`` first) and walked — ``introduced`` at or below the version makes
it vulnerable, ``fixed`` at or below and ``last_affected`` strictly below make it not — and
the version must lie below some ``limit`` when a range has limits. Ordering is PEP 440's.
Withdrawn records never reach this module (the database drops them).

What cannot be evaluated is a :class:`~mlbom.model.Finding`, never a crash or a silent
"not affected": a component version that is not PEP 440 (only exact ``versions`` entries are
compared then), a range whose bound is not PEP 440 or whose type mlbom does not evaluate
(``SEMVER`` and unknown types for PyPI), and a VCS install (PEP 610) whose commit no ``GIT``
range of the record names ("not matched: VCS install").

Not done here: CycloneDX output (:mod:`mlbom.vulns.audit`), aliases (merged there).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from packaging.version import Version

from mlbom.model import Finding
from mlbom.versions import parse_version
from mlbom.vulns.db import Database
from mlbom.vulns.osv import Affected, Event, Range, Record, normalize_name

_COMMIT = re.compile(r"[0-9a-f]{7,64}")


@dataclass(frozen=True)
class Target:
    """A component to match: a ``pkg:pypi`` purl with its bom-ref."""

    ref: str
    name: str
    """PEP 503 normalized."""
    version: str | None
    vcs_repo: str | None = None
    vcs_commit: str | None = None


@dataclass(frozen=True)
class Match:
    """``record`` affects ``target``; ``how`` says by which rule; ``fixed`` lists the fixed
    versions above the installed one (nearest first)."""

    record: Record
    target: Target
    how: str
    fixed: tuple[str, ...] = ()


def parse_pypi_purl(purl: str) -> tuple[str, str | None, dict[str, str]] | None:
    """(name, version, qualifiers) of a ``pkg:pypi`` purl; None for any other purl."""
    if not purl.startswith("pkg:pypi/"):
        return None
    body = purl[len("pkg:pypi/"):].split("#", 1)[0]
    body, _, query = body.partition("?")
    name, _, version = body.partition("@")
    name = unquote(name.strip("/"))
    if not name or "/" in name:
        return None
    quals: dict[str, str] = {}
    for part in query.split("&") if query else []:
        k, _, v = part.partition("=")
        if k:
            quals[k.lower()] = unquote(v)
    return name, unquote(version) or None, quals


def targets_from_components(components: Iterable[dict[str, object]]) -> list[Target]:
    """Every component with a ``pkg:pypi`` purl, in document order. A purl without a version
    (an unpinned requirement) is skipped: there is nothing to compare."""
    out: list[Target] = []
    for c in components:
        purl, ref = c.get("purl"), c.get("bom-ref")
        if not isinstance(purl, str):
            continue
        parsed = parse_pypi_purl(purl)
        if parsed is None:
            continue
        name, version, quals = parsed
        if version is None:
            v = c.get("version")
            version = v if isinstance(v, str) and v else None
        repo = commit = None
        vcs = quals.get("vcs_url")
        if vcs:
            url, _, at = vcs.rpartition("@")
            if url and _COMMIT.fullmatch(at.lower()):
                repo, commit = url.split("+", 1)[-1], at.lower()
            else:
                repo, commit = vcs.split("+", 1)[-1], None
        out.append(Target(ref if isinstance(ref, str) else purl, normalize_name(name), version, repo, commit))
    return out


def _norm_repo(url: str) -> str:
    u = url.lower().rstrip("/")
    u = re.sub(r"^(git\+)?(https?|ssh|git)://(git@)?", "", u)
    return u.removesuffix(".git")


@lru_cache(maxsize=1 << 16)
def _parse(value: str) -> Version | None:
    return parse_version(value)


def _in_range(v: Version, rng: Range) -> bool | None:
    """True/False as the spec evaluates; None when a bound is not PEP 440."""
    limits: list[Version | None] = []
    events: list[tuple[Version | None, Event]] = []
    for e in rng.events:
        if e.kind == "limit":
            if e.value == "*":
                limits.append(None)
                continue
            lv = _parse(e.value)
            if lv is None:
                return None
            limits.append(lv)
            continue
        if e.kind == "introduced" and e.value == "0":
            events.append((None, e))
            continue
        ev = _parse(e.value)
        if ev is None:
            return None
        events.append((ev, e))
    if limits and not any(lim is None or v < lim for lim in limits):
        return False
    # Sort by version, "0" first; Python's sort is stable, so equal versions keep record order.
    events.sort(key=lambda pair: (pair[0] is not None, pair[0] or Version("0")))
    vulnerable = False
    for ev, e in events:
        if e.kind == "introduced":
            if ev is None or v >= ev:
                vulnerable = True
        elif e.kind == "fixed":
            if ev is not None and v >= ev:
                vulnerable = False
        elif e.kind == "last_affected" and ev is not None and v > ev:
            vulnerable = False
    return vulnerable


def _fixed_above(aff: Affected, v: Version | None) -> list[Version]:
    out = []
    for rng in aff.ranges:
        if rng.type != "ECOSYSTEM":
            continue
        for e in rng.events:
            if e.kind == "fixed":
                fv = _parse(e.value)
                if fv is not None and (v is None or fv > v):
                    out.append(fv)
    return out


@lru_cache(maxsize=1 << 12)
def _parsed_set(versions: tuple[str, ...]) -> frozenset[Version]:
    return frozenset(v for v in map(_parse, versions) if v is not None)


def _listed(version: str, parsed: Version | None, versions: tuple[str, ...]) -> bool:
    if version in versions:
        return True
    return parsed is not None and parsed in _parsed_set(versions)


def match_target(db: Database, t: Target) -> tuple[list[Match], list[Finding]]:
    """The records affecting one component, and findings for what could not be evaluated."""
    records = db.records_for(t.name)
    if not records:
        return [], []
    matches: list[Match] = []
    findings: list[Finding] = []
    if t.vcs_repo is not None:
        return _match_vcs(records, t)
    if t.version is None:
        return [], []
    parsed = _parse(t.version)
    if parsed is None:
        findings.append(Finding(id="vuln.version-invalid", severity="medium", subject=t.ref,
                                message=f"version {t.version!r} of {t.name} is not a PEP 440 version: only advisories that list "
                                        f"it exactly were compared ({len(records)} advisories name {t.name})"))
    for rec in records:
        hit: str | None = None
        fixed: list[Version] = []
        unevaluated: list[str] = []
        for aff in rec.affected:
            if aff.name != t.name:
                continue
            if _listed(t.version, parsed, aff.versions):
                hit = hit or "versions"
            if parsed is not None:
                for rng in aff.ranges:
                    if rng.type == "GIT":
                        continue
                    if rng.type != "ECOSYSTEM":
                        unevaluated.append(f"a {rng.type} range (not evaluated for PyPI)")
                        continue
                    res = _in_range(parsed, rng)
                    if res is None:
                        bad = [f"{e.kind}: {e.value}" for e in rng.events if e.value != "0" and e.value != "*"
                               and _parse(e.value) is None]
                        unevaluated.append("a range with a bound that is not PEP 440 (" + ", ".join(bad[:3]) + ")")
                    elif res:
                        hit = hit or "range"
            fixed += _fixed_above(aff, parsed)
        if hit:
            matches.append(Match(rec, t, hit, tuple(str(f) for f in sorted(set(fixed)))))
        elif unevaluated:
            findings.append(Finding(id="vuln.range-unevaluated", severity="low", subject=t.ref,
                                    message=f"{rec.id} for {t.name}: {unevaluated[0]}; whether {t.version} is affected "
                                            "by it could not be decided"))
    return matches, findings


def _match_vcs(records: tuple[Record, ...], t: Target) -> tuple[list[Match], list[Finding]]:
    assert t.vcs_repo is not None
    matches: list[Match] = []
    unmatched: list[str] = []
    for rec in records:
        decided: bool | None = None
        for aff in rec.affected:
            if aff.name != t.name:
                continue
            for rng in aff.ranges:
                if rng.type != "GIT" or t.vcs_commit is None:
                    continue
                if rng.repo and _norm_repo(rng.repo) != _norm_repo(t.vcs_repo):
                    continue
                for e in rng.events:
                    if e.value.lower() == t.vcs_commit or (len(t.vcs_commit) >= 7 and e.value.lower().startswith(t.vcs_commit)):
                        decided = e.kind in ("introduced", "last_affected") if decided is None else decided
        if decided is True:
            matches.append(Match(rec, t, "git"))
        elif decided is None:
            unmatched.append(rec.id)
    findings = []
    if unmatched:
        ids = ", ".join(unmatched[:5]) + (f" and {len(unmatched) - 5} more" if len(unmatched) > 5 else "")
        findings.append(Finding(id="vuln.vcs-not-matched", severity="medium", subject=t.ref,
                                message=f"not matched: VCS install of {t.name} ({t.vcs_repo}@{t.vcs_commit or '?'}); "
                                        f"no GIT range names this commit in {ids}"))
    return matches, findings


def match_all(db: Database, targets: Iterable[Target]) -> tuple[list[Match], list[Finding]]:
    """Every match and finding for ``targets``."""
    matches: list[Match] = []
    findings: list[Finding] = []
    for t in targets:
        m, f = match_target(db, t)
        matches += m
        findings += f
    return matches, findings
