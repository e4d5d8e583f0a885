"""Matching PyPI components against OSV records, as the OSV specification evaluates them.

Spec: https://ossf.github.io/osv-schema/#evaluation (OSV 1.6). For each ``affected`` entry
whose package is the component's (names PEP 503-normalised): the version is affected when it
is listed in ``versions``, or when an ``ECOSYSTEM`` range includes it: events are sorted by
version (``introduced: "0"`` first) and walked — ``introduced`` at or below the version makes
it vulnerable, ``fixed`` at or below and ``last_affected`` strictly below make it not — and
the version must lie below some ``limit`` when a range has limits. Ordering is PEP 440's.
A local version (``2.0.0+cu118``) is matched by its public version against bounds and listings
without a local label, as PEP 440 matches it (``last_affected: 2.0.0`` and ``versions: ["2.0.0"]``
name it; ``fixed: 2.0.0`` does not: a local build of the fixed release is fixed).
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
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import unquote

from packaging.version import Version

from mlbom.identity import purl_head
from mlbom.model import Finding
from mlbom.versions import parse_version
from mlbom.vulns.db import Database, Entries
from mlbom.vulns.osv import Affected, Range, Record, normalize_name

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
    """``record`` affects ``target``; ``how`` says by which rule; ``fixed`` is the nearest fixed
    version above the installed one (any of the record's entries naming the package; for a version
    that is not PEP 440, the lowest), None when there is none."""

    record: Record
    target: Target
    how: str
    fixed: str | None = None


def parse_pypi_purl(purl: str) -> tuple[str, str | None, dict[str, str]] | None:
    """(name, version, qualifiers) of a ``pkg:pypi`` purl; None for any other purl."""
    head = purl_head(purl)  # pkg:PyPI/, pkg://pypi/ are pkg:pypi/ (red team 83c-5)
    if head is None or head[0] != "pypi":
        return None
    body = head[1].split("#", 1)[0]
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


@dataclass(frozen=True, slots=True)
class _EcoRange:
    """An ``ECOSYSTEM`` range prepared once per record: its events sorted by version
    (``introduced: "0"`` first, record order among equals) with their kinds alongside, so that
    each component is one binary search, not a sort of every event."""

    bad: tuple[str, ...]
    """Bounds that are not PEP 440 (``kind: value``); when any, the range is not evaluated."""
    limited: bool
    limit: Version | None
    """The highest ``limit`` (None: a ``*`` limit, or no limits)."""
    keys: tuple[tuple[int, Version], ...]
    kinds: tuple[str, ...]
    start: tuple[int, ...]
    """For each event, the index of the first event of its run of equal versions."""
    acting: tuple[int, ...]
    """For each event, the last event of its run, up to it, that is not ``last_affected`` (-1: none):
    what decides when the run's ``last_affected`` do not act (red team 91c-1)."""


_ZERO = Version("0")


def _prepare_range(rng: Range) -> _EcoRange:
    bad: list[str] = []
    limits: list[Version | None] = []
    events: list[tuple[tuple[int, Version], str]] = []
    for e in rng.events:
        if e.kind == "limit" and e.value == "*":
            limits.append(None)
            continue
        if e.kind == "introduced" and e.value == "0":
            events.append(((0, _ZERO), e.kind))
            continue
        ev = _parse(e.value)
        if ev is None:
            bad.append(f"{e.kind}: {e.value}")
        elif e.kind == "limit":
            limits.append(ev)
        elif e.kind in ("introduced", "fixed", "last_affected"):
            events.append(((1, ev), e.kind))
    # Python's sort is stable, so equal versions keep record order.
    events.sort(key=lambda pair: pair[0])
    top = None if not limits or None in limits else max(v for v in limits if v is not None)
    start: list[int] = []
    acting: list[int] = []
    for i, (key, kind) in enumerate(events):
        first = start[i - 1] if i and events[i - 1][0] == key else i
        start.append(first)
        acting.append(i if kind != "last_affected" else acting[i - 1] if first < i else -1)
    return _EcoRange(tuple(bad), bool(limits), top, tuple(k for k, _ in events), tuple(k for _, k in events),
                     tuple(start), tuple(acting))


def _in_range(v: Version, rng: _EcoRange, public: Version | None = None) -> bool | None:
    """True/False as the spec evaluates; None when a bound is not PEP 440.

    Walking the sorted events, an event at or below ``v`` sets the state (``introduced`` and
    ``fixed`` at or below, ``last_affected`` strictly below); events above ``v`` do nothing. So
    the state is the kind of the last acting event at or below ``v``: one binary search, then the
    ``last_affected`` equal to ``v`` (or to its public version) are passed over a whole run at a
    time through :attr:`_EcoRange.acting` — at most two runs, so O(log events) however many
    ``last_affected`` repeat the bound (red team 91c-1: 45,000 of them, stepped over one by one
    for each of 1,000 local versions, took 22 s).

    ``public``: ``v`` without its local label when it has one (``2.0.0`` for ``2.0.0+cu118``).
    PEP 440: against a bound without a local label, the candidate's local label is ignored, so
    ``last_affected: 2.0.0`` is not *strictly below* ``2.0.0+cu118`` (red team 8c T2). For the
    other comparisons (``≤`` and the ``limit``'s ``<``) the full and the public version give the
    same answer, since no public version lies between ``X`` and ``X+local``."""
    if rng.bad:
        return None
    if rng.limited and rng.limit is not None and not v < rng.limit:
        return False
    i = bisect_right(rng.keys, (1, v)) - 1
    while i >= 0:
        tier, bound = rng.keys[i]
        # a run's events share one version (local label included), so whether its last_affected
        # act is decided once per run; only the runs equal to v or to its public version do not
        if tier == 0 or bound < (v if public is None or bound.local is not None else public):
            return rng.kinds[i] == "introduced"
        j = rng.acting[i]
        if j >= 0:
            return rng.kinds[j] == "introduced"
        i = rng.start[i] - 1
    return False


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One ``affected`` entry prepared once per record (see :func:`_prepared`)."""

    ranges: tuple[tuple[Range, _EcoRange | None], ...]
    fixed: tuple[Version, ...]
    """Every ``fixed`` of its ECOSYSTEM ranges, unique and sorted."""
    fixed_str: tuple[str, ...]
    listed: frozenset[str]
    listed_parsed: frozenset[Version]


_PREPARED: dict[int, tuple[Affected, _Prepared]] = {}
_PREPARED_MAX = 1 << 14


def _prepared(aff: Affected) -> _Prepared:
    """``aff`` prepared: kept by identity (the database hands out the same records for a run),
    so matching N components against a record does the record's work once, not N times."""
    hit = _PREPARED.get(id(aff))
    if hit is not None and hit[0] is aff:
        return hit[1]
    fixed = sorted({fv for rng in aff.ranges if rng.type == "ECOSYSTEM" for e in rng.events
                    if e.kind == "fixed" and (fv := _parse(e.value)) is not None})
    prep = _Prepared(
        ranges=tuple((rng, _prepare_range(rng) if rng.type == "ECOSYSTEM" else None) for rng in aff.ranges),
        fixed=tuple(fixed), fixed_str=tuple(str(f) for f in fixed),
        listed=frozenset(aff.versions),
        listed_parsed=frozenset(v for v in map(_parse, aff.versions) if v is not None))
    if len(_PREPARED) >= _PREPARED_MAX:
        _PREPARED.clear()
    _PREPARED[id(aff)] = (aff, prep)
    return prep


def _nearest_fixed(prep: _Prepared, v: Version | None,
                   best: tuple[Version, str] | None) -> tuple[Version, str] | None:
    """The lower of ``best`` and the entry's first fixed version above ``v`` (one binary search; on a
    tie the earlier entry's spelling stays). Only the nearest is ever used (the recommendation), so
    no list of every fixed version is built or merged per component (red team 91c-2: two entries of
    25,000 fixed versions each, merged and sorted again for each of 1,000 components, took 35 s)."""
    i = 0 if v is None else bisect_right(prep.fixed, v)
    if i == len(prep.fixed) or (best is not None and not prep.fixed[i] < best[0]):
        return best
    return prep.fixed[i], prep.fixed_str[i]


def match_target(db: Database, t: Target) -> tuple[list[Match], list[Finding]]:
    """The records affecting one component, and findings for what could not be evaluated."""
    records = db.entries_for(t.name)
    if not records:
        return [], []
    matches: list[Match] = []
    findings: list[Finding] = []
    if t.vcs_repo is not None:
        return _match_vcs(records, t)
    if t.version is None:
        return [], []
    parsed = _parse(t.version)
    # PEP 440: a local label (2.0.0+cu118, every CUDA wheel of torch) is ignored when matching a
    # public version: `versions: ["2.0.0"]` and `last_affected: 2.0.0` name it (red team 8c T2)
    public = _parse(parsed.public) if parsed is not None and parsed.local is not None else None
    if parsed is None:
        findings.append(Finding(id="vuln.version-invalid", severity="medium", subject=t.ref,
                                message=f"version {t.version!r} of {t.name} is not a PEP 440 version: only advisories that list "
                                        f"it exactly were compared ({len(records)} advisories name {t.name})"))
    for rec, own in records:  # each record with its entries for this package only (red team 92c-4)
        hit: str | None = None
        fixed: tuple[Version, str] | None = None
        unevaluated: list[str] = []
        for aff in own:
            prep = _prepared(aff)
            if t.version in prep.listed or (parsed is not None and parsed in prep.listed_parsed) \
                    or (public is not None and public in prep.listed_parsed):
                hit = hit or "versions"
            if parsed is not None:
                for rng, eco in prep.ranges:
                    if rng.type == "GIT":
                        continue
                    if eco is None:
                        unevaluated.append(f"a {rng.type} range (not evaluated for PyPI)")
                        continue
                    res = _in_range(parsed, eco, public)
                    if res is None:
                        unevaluated.append("a range with a bound that is not PEP 440 (" + ", ".join(eco.bad[:3]) + ")")
                    elif res:
                        hit = hit or "range"
            fixed = _nearest_fixed(prep, parsed, fixed)
        if hit:
            matches.append(Match(rec, t, hit, fixed[1] if fixed is not None else None))
        elif unevaluated:
            findings.append(Finding(id="vuln.range-unevaluated", severity="low", subject=t.ref,
                                    message=f"{rec.id} for {t.name}: {unevaluated[0]}; whether {t.version} is affected "
                                            "by it could not be decided"))
    return matches, findings


def _match_vcs(records: Entries, t: Target) -> tuple[list[Match], list[Finding]]:
    assert t.vcs_repo is not None
    matches: list[Match] = []
    unmatched: list[str] = []
    for rec, own in records:
        decided: bool | None = None
        for aff in own:
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


MAX_MATCH_CHECKS = 500_000
"""``affected`` entries (and their ranges) weighed against distinct component versions in one audit
(:class:`MatchBudget`). Each costs a few microseconds, and their number is components × entries
naming each component's package: 2,000 components of one name against 2,000 one-entry records took
28 s (red team 50p-1). A real BOM needs far fewer — every release of tensorflow's ~900 PyPI
advisories against ten versions of it is some 20,000 — and repeated versions are matched once."""


@dataclass
class MatchBudget:
    """The work one audit may spend matching (:data:`MAX_MATCH_CHECKS`), shared by its databases;
    the bom-refs of the components left unchecked once it is spent."""

    left: int = field(default_factory=lambda: MAX_MATCH_CHECKS)
    unchecked: dict[str, None] = field(default_factory=dict)  # (ordered, as a set)


def _search(n: int) -> int:
    """The steps of one binary search over ``n`` sorted items, and at least 1."""
    return max(1, (n - 1).bit_length())


def _cost(db: Database, name: str, vcs: bool) -> int:
    """What matching one component of ``name`` costs, in the steps it takes: an entry one binary search
    over its fixed versions (the nearest one above, red team 91c-2), an ``ECOSYSTEM`` range one over its
    events (red team 91c-1: 45,000 events are 16 steps, no longer 45,000), so that a record with long
    lists pays for them; for a VCS install each event of a ``GIT`` range (it walks them all: red team
    51f-3, 15,000 commits × 3,000 installs). Preparing a record (sorting its events) is done once per
    record, linear in the database, which the database's own bounds (``OSV_*``) hold.

    The entries weighed are exactly those matching visits: the database hands out each record with
    its entries for ``name`` only (:data:`~mlbom.vulns.db.Entries`), so an entry naming another
    package is neither walked nor free (red team 92c-4: 14,000 components each walked the 14,000
    entries of the one record they shared, and only their own was charged)."""
    total = 0
    for _rec, own in db.entries_for(name):
        for aff in own:
            if vcs:
                total += 1 + sum(len(r.events) if r.type == "GIT" else 1 for r in aff.ranges)
            else:
                total += _search(len(_prepared(aff).fixed)) + sum(_search(len(r.events)) for r in aff.ranges)
    return total


def match_all(db: Database, targets: Iterable[Target],
              budget: MatchBudget | None = None) -> tuple[list[Match], list[Finding]]:
    """Every match and finding for ``targets``. Components of the same package, version and VCS
    source are matched once (a BOM of many environments repeats them); past ``budget`` the rest
    are not matched and their bom-refs are kept on it (the caller says so: never a silent
    "not affected")."""
    budget = budget if budget is not None else MatchBudget()
    matches: list[Match] = []
    findings: list[Finding] = []
    costs: dict[tuple[str, bool], int] = {}
    done: dict[tuple[str, str | None, str | None, str | None], tuple[list[Match], list[Finding]]] = {}
    for t in targets:
        key = (t.name, t.version, t.vcs_repo, t.vcs_commit)
        got = done.get(key)
        if got is None:
            vcs = t.vcs_repo is not None
            cost = costs.get((t.name, vcs))
            if cost is None:
                cost = costs[t.name, vcs] = _cost(db, t.name, vcs)
            if cost > budget.left:
                budget.unchecked[t.ref] = None
                continue
            budget.left -= cost
            got = done[key] = match_target(db, t)
        m, f = got
        matches += [x if x.target == t else replace(x, target=t) for x in m]
        findings += [y if y.subject == t.ref else y.model_copy(update={"subject": t.ref}) for y in f]
    return matches, findings
