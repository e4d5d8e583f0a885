"""Known vulnerabilities of a BOM: match, merge aliases, rate, analyse (ML rules), apply VEX.

Input is the JSON-shaped read model of any CycloneDX BOM (:mod:`mlbom.reader`); output is
:class:`~mlbom.model.Vulnerability` objects plus :class:`~mlbom.model.Finding` objects for
what could not be evaluated. :func:`add_to_document` puts them into a read-model document
(``mlbom audit``); ``mlbom generate --vuln-db`` puts them into its :class:`~mlbom.model.Bom`.

Aliases: records that share an id or alias (PYSEC, GHSA and CVE of one flaw) and affect this
BOM become one vulnerability. Its id is the PYSEC record's, else the GHSA's, else the
smallest; every other id is a ``reference``. Order is deterministic: vulnerabilities by id,
affects by bom-ref, ratings by (source, method, vector).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from mlbom.clock import source_date_epoch
from mlbom.identity import url_from_segments
from mlbom.model import (
    Finding,
    Property,
    VulnAffect,
    VulnAnalysis,
    Vulnerability,
    VulnRating,
    VulnReference,
    VulnSource,
)
from mlbom.properties import Prop
from mlbom.reader import bom_version
from mlbom.readmodel import dicts, ids_of, release_components
from mlbom.unionfind import IdGroups
from mlbom.vulns import ml_rules, ratings
from mlbom.vulns.db import Database
from mlbom.vulns.match import MAX_MATCH_CHECKS, Match, MatchBudget, Target, match_all, targets_from_components
from mlbom.vulns.osv import Record, timestamp_key
from mlbom.vulns.vex import Statement
from mlbom.vulns.vex import apply as apply_vex

_PRIMARY_RANK = {"PYSEC": 0, "GHSA": 1}
MLBOM_SOURCE = VulnSource(name="mlbom", url="https://github.com/mlbom/mlbom/blob/main/docs/vulnerabilities.md")


@dataclass
class AuditResult:
    vulnerabilities: list[Vulnerability]
    findings: list[Finding]
    vex_report: list[str] = field(default_factory=list)
    components_checked: int = 0
    unchecked: int = 0
    """Components not matched: the matching budget was spent (``vuln.audit-incomplete``)."""
    incomplete_dbs: list[str] = field(default_factory=list)
    """Databases not read to their end (``vuln.db-incomplete``): a gate cannot pass."""
    invalid_records: int = 0
    """Records of the databases that are not valid OSV and were not used (``vuln.db-invalid-records``):
    what they say could not be checked, so a gate cannot pass (red team 95c-4)."""
    databases: list[str] = field(default_factory=list)
    record: tuple[Property, ...] = ()
    """That the audit happened, against what (:func:`audit_record`): ``metadata`` properties."""


@dataclass(frozen=True)
class VexInput:
    """One ``--vex`` file of an audit, as its record names it."""

    name: str
    sha256: str
    statements: int


def audit_time(bom_timestamp: str | None) -> str | None:
    """When the audit is recorded as made: ``SOURCE_DATE_EPOCH`` when set, else the BOM's own
    timestamp, else none — never the wall clock, so that output stays deterministic."""
    stamp = source_date_epoch()  # the one checked reader: a malformed value is a usage error (red team 75c-5)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ") if stamp is not None else bom_timestamp


def audit_record(databases: Iterable[Database], vex: Iterable[VexInput], at: str | None) -> tuple[Property, ...]:
    """The ``mlbom:vuln:audit`` property per database and ``mlbom:vuln:audit-vex`` per VEX file:
    the BOM says it was audited, against which data, whatever was found."""
    out = [Property(name=Prop.VULN_AUDIT.value,
                    value=f"{os.path.basename(db.path) or db.path}; sha256:{db.digest}; {db.stats.pypi_records} PyPI "
                          f"records" + (f"; at {at}" if at else "")) for db in databases]
    out += [Property(name=Prop.VULN_AUDIT_VEX.value, value=f"{v.name}; sha256:{v.sha256}; {v.statements} statements")
            for v in vex]
    return tuple(out)


def source_for(vid: str) -> VulnSource:
    """The database that publishes an id, with the id's page there. The id (an OSV record's
    ``id`` or alias, any text) is one percent-encoded path segment (``identity.url_from_segments``,
    red team 87c): an ordinary id gives the same URL; one no URL can hold gives none."""
    prefix = vid.split("-", 1)[0].upper()
    if prefix == "CVE":
        return VulnSource(name="NVD", url=url_from_segments(vid, base="https://nvd.nist.gov/vuln/detail"))
    if prefix == "GHSA":
        return VulnSource(name="GitHub Advisory Database", url=url_from_segments(vid, base="https://github.com/advisories"))
    if prefix == "PYSEC":
        return VulnSource(name="PyPA Advisory Database", url=url_from_segments(vid, base="https://osv.dev/vulnerability"))
    return VulnSource(name="OSV", url=url_from_segments(vid, base="https://osv.dev/vulnerability"))


def _primary_key(rid: str) -> tuple[int, str]:
    return _PRIMARY_RANK.get(rid.split("-", 1)[0].upper(), 2), rid


def now() -> _dt.datetime:
    """The moment VEX expiry is judged at: ``SOURCE_DATE_EPOCH`` when set (reproducible runs)."""
    stamp = source_date_epoch()
    return stamp if stamp is not None else _dt.datetime.now(tz=_dt.timezone.utc)


def _groups(matches: list[Match]) -> list[list[Match]]:
    """Union-find over record ids and aliases: one group per flaw."""
    ids = IdGroups()
    for record in {id(m.record): m.record for m in matches}.values():  # once per record, not per match
        for alias in record.aliases:
            ids.union(record.id.upper(), alias.upper())
    groups: dict[str, list[Match]] = {}
    for m in matches:
        groups.setdefault(ids.find(m.record.id.upper()), []).append(m)
    return list(groups.values())


def _vulnerability(group: list[Match]) -> Vulnerability:
    records: dict[str, Record] = {m.record.id: m.record for m in group}
    primary = records[min(records, key=_primary_key)]
    ids = set(records) | {a for r in records.values() for a in r.aliases}
    refs = tuple(VulnReference(id=i, source=source_for(i)) for i in sorted(ids - {primary.id}))
    found: dict[tuple[str, str, str, str], VulnRating] = {}
    for r in sorted(records.values(), key=lambda r: r.id):
        src = source_for(r.id)
        sev_entries = list(r.severity) + [s for a in r.affected for s in a.severity]
        for kind, vector in sev_entries:
            rating = ratings.cvss_rating(kind, vector, src)
            if rating is not None:
                found.setdefault((src.name, rating.method or "", vector, ""), rating)
        if r.db_severity:
            rating = ratings.database_rating(r.db_severity, src)
            found.setdefault((src.name, "other", "", r.db_severity), rating)
    rating_list = tuple(found[k] for k in sorted(found))
    affects: dict[str, set[str]] = {}
    how: set[str] = set()
    recommendations: set[str] = set()
    for m in group:
        affects.setdefault(m.target.ref, set()).update([m.target.version] if m.target.version else [])
        how.add(f"{m.target.ref}: {m.how} ({m.record.id})")
        if m.fixed:
            recommendations.add(f"Upgrade {m.target.name} from {m.target.version} to {m.fixed} or later "
                                "(the nearest fixed version).")
        elif m.how != "git":
            recommendations.add(f"No fixed version of {m.target.name} is recorded in {m.record.id}.")
    # A fixed version anywhere beats "no fixed version" for the same package.
    fixed_names = {r.split(" ", 2)[1] for r in recommendations if r.startswith("Upgrade ")}
    recs = sorted(r for r in recommendations if r.startswith("Upgrade ") or r.split(" ")[4] not in fixed_names)
    # times compared as times, not as text (red team 95c-1)
    published = sorted((r.published for r in records.values() if r.published), key=timestamp_key)
    updated = sorted((r.modified for r in records.values() if r.modified), key=timestamp_key)
    urls = sorted({url for r in records.values() for _, url in r.references})
    return Vulnerability(
        bom_ref=f"vuln:{primary.id}", id=primary.id, source=source_for(primary.id), references=refs,
        ratings=rating_list, cwes=tuple(sorted({c for r in records.values() for c in r.cwes})),
        description=primary.summary, detail=primary.details, recommendation=" ".join(recs) or None,
        advisories=tuple(urls), published=published[0] if published else None, updated=updated[-1] if updated else None,
        affects=tuple(VulnAffect(ref=ref, versions=tuple(sorted(v))) for ref, v in sorted(affects.items())),
        properties=tuple(Property(name=Prop.VULN_MATCH.value, value=h) for h in sorted(how)))


def _analyse(v: Vulnerability, packages: set[str], artifacts: list[ml_rules.Artifact], rules: ml_rules.Rules) -> Vulnerability:
    ids = {v.id.upper()} | {r.id.upper() for r in v.references}
    applicable = rules.for_vulnerability(ids, packages)
    if not applicable:
        return v
    details: list[str] = []
    extra_affects: dict[str, VulnAffect] = {}
    extra_ratings: list[VulnRating] = []
    props = list(v.properties)
    for rule in applicable:
        hits = ml_rules.exercised(rule, artifacts)
        props.append(Property(name=Prop.VULN_ML_RULE.value, value=f"{rule.id}@{rules.version}"))
        if not hits:
            details.append(f"No shipped artifact exercises the vulnerable path: {rule.loader} loads {rule.what}, and the "
                           f"release holds none (rule {rule.id}, {rule.source}). mlbom does not mark this not_affected; "
                           "record that decision in a VEX statement if it holds.")
            continue
        names = ", ".join(a.path for a in hits[:10]) + (f" and {len(hits) - 10} more" if len(hits) > 10 else "")
        details.append(f"{rule.loader} would load {len(hits)} shipped artifact(s) that exercise the vulnerable path: "
                       f"{names} (rule {rule.id}, {rule.source}).")
        for a in hits:
            extra_affects.setdefault(a.ref, VulnAffect(ref=a.ref))
        unsafe = [a for a in hits if a.verdict == "unsafe" and a.format in ml_rules.PICKLE_FORMATS]
        if rule.unsafe_pickle_raises and unsafe:
            extra_ratings.append(VulnRating(
                source=MLBOM_SOURCE, severity="critical", method="other",
                justification=f"the release ships {len(unsafe)} pickle artifact(s) the scanner judged unsafe "
                              f"({', '.join(a.path for a in unsafe[:5])}) and {rule.loader} is what this flaw lets "
                              "them through"))
            for a in unsafe:
                for f in a.findings:
                    props.append(Property(name=Prop.VULN_LINKED_FINDING.value, value=f"{a.ref}: {f}"))
    # the refs the vulnerability names built once, not once per extra artifact (red team 102p-5)
    own = {a.ref: a for a in v.affects}
    affects = own | {k: x for k, x in extra_affects.items() if k not in own}
    return v.model_copy(update={
        "analysis": VulnAnalysis(state="in_triage", detail=" ".join(details)),
        "affects": tuple(affects[k] for k in sorted(affects)),
        "ratings": v.ratings + tuple(extra_ratings),
        "properties": tuple(sorted(set(props), key=lambda p: (p.name, p.value))),
    })


def audit_components(components: list[dict[str, object]], databases: Iterable[Database], *,
                     vex: list[Statement] = (),  # type: ignore[assignment]
                     rules: ml_rules.Rules | None = None, at: _dt.datetime | None = None) -> AuditResult:
    """Vulnerabilities of ``components`` (read-model component objects, nested ones included)
    from ``databases``, analysed with the ML rules and with ``vex`` applied."""
    rules = rules or ml_rules.bundled_rules()
    targets = targets_from_components(components)
    matches: list[Match] = []
    findings: list[Finding] = []
    dbs = list(databases)
    seen: set[tuple[str, str]] = set()
    budget = MatchBudget()
    incomplete: list[str] = []
    invalid = 0
    # the findings already listed, in a set (a finding is frozen, so hashed on its fields and
    # compared as before): a database's findings are de-duplicated by lookup, not by scanning the
    # list (red team 102p-2: two databases of 8,000 findings each compared 64 M pairs, 57 s)
    listed: set[Finding] = set()
    keyed = 0
    for db in dbs:
        m, f = match_all(db, targets, budget)
        for x in m:
            if (x.record.id, x.target.ref) not in seen:
                seen.add((x.record.id, x.target.ref))
                matches.append(x)
        listed.update(findings[keyed:])
        keyed = len(findings)
        findings += [y for y in f if y not in listed]
        if db.stats.invalid:  # "could not be checked" is never "clean": as high as an incomplete database (95c-4)
            invalid += db.stats.invalid
            findings.append(Finding(
                id="vuln.db-invalid-records", severity="high",
                message=f"{db.stats.invalid} record(s) of the vulnerability database {os.path.basename(db.path)} are not "
                        f"valid OSV and were not used: the audit is incomplete"
                        + (f" (first: {db.stats.problems[0]})" if db.stats.problems else "")))
        if db.stats.incomplete:  # a bound on what a database may cost was reached (red team 80c-6)
            incomplete.append(db.path)
            findings.append(Finding(
                id="vuln.db-incomplete", severity="high",
                message=f"the vulnerability database {os.path.basename(db.path)} was not read to its end "
                        f"({db.stats.incomplete}); advisories not read were not used: the audit is incomplete"))
    if budget.unchecked:
        refs = list(budget.unchecked)
        findings.append(Finding(
            id="vuln.audit-incomplete", severity="high",
            message=f"{len(refs)} component(s) were not checked against the vulnerability database(s): matching stops "
                    f"after {MAX_MATCH_CHECKS} advisory entries weighed against component versions (first not "
                    f"checked: {', '.join(refs[:3])}); the audit is incomplete"))
    by_ref: dict[str, Target] = {t.ref: t for t in targets}
    artifacts = ml_rules.artifacts_from_components(components)
    vulns: list[Vulnerability] = []
    for group in _groups(matches):
        v = _vulnerability(group)
        packages = {by_ref[a.ref].name for a in v.affects if a.ref in by_ref}
        vulns.append(_analyse(v, packages, artifacts, rules))
    purls = {str(c["bom-ref"]): str(c["purl"]) for c in components
             if isinstance(c.get("bom-ref"), str) and isinstance(c.get("purl"), str)}
    vulns.sort(key=lambda v: v.id)
    report: list[str] = []
    if vex:
        vulns, report = apply_vex(vulns, list(vex), purls, at or now())
    return AuditResult(vulns, sorted(findings, key=lambda f: (f.subject or "", f.id, f.message)), report,
                       components_checked=sum(1 for t in targets if (t.version or t.vcs_repo)
                                              and t.ref not in budget.unchecked),
                       unchecked=len(budget.unchecked), incomplete_dbs=incomplete, invalid_records=invalid,
                       databases=[db.path for db in dbs])


def _bom_refs(value: object) -> set[str]:
    """Every ``bom-ref`` anywhere in ``value`` (a read BOM: its depth is bounded already)."""
    out: set[str] = set()
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, dict):
            ref = v.get("bom-ref")
            if isinstance(ref, str):
                out.add(ref)
            todo.extend(v.values())
        elif isinstance(v, list):
            todo.extend(v)
    return out


def add_to_document(doc: dict[str, object], result: AuditResult,
                    ours: list[dict[str, object]] | None = None) -> dict[str, object]:
    """A copy of a read-model BOM with ``result`` added: its vulnerabilities (replacing mlbom's own
    earlier ones with the same id or an alias about the same components — a re-audit replaces the
    earlier audit — and keeping every other), its findings as ``mlbom:finding``
    properties of their components (the release's own on ``metadata.component``), ``version``
    incremented (CycloneDX: a modified BOM keeps its serial number and bumps the version), and
    any JSF ``signature`` removed — it no longer covers the document. ``ours``: the result's
    vulnerabilities as CycloneDX objects for this document's spec version, when the caller already
    made them (copied here: a bom-ref suffix does not reach the caller's)."""
    import orjson

    from mlbom.cyclonedx.build import vulnerability_dict

    new = orjson.loads(orjson.dumps(doc))
    assert isinstance(new, dict)
    spec = str(new.get("specVersion", "1.6"))
    mine: list[dict[str, object]] = [dict(v) for v in ours] if ours is not None else [
        dict(vulnerability_dict(v, spec)) for v in result.vulnerabilities]
    affects_by_id: dict[str, set[str]] = {}  # each id or alias of ours: the components ours says it affects
    for found in result.vulnerabilities:
        for i in (found.id, *(r.id for r in found.references)):
            affects_by_id.setdefault(i.upper(), set()).update(a.ref for a in found.affects)

    def superseded(v: object) -> bool:
        """mlbom's own earlier statement (it carries the match property mlbom writes on every one)
        of one of our flaws (same id or alias) about components ours covers: what a re-audit
        refreshes. Another producer's entry, or one about another component, is kept whole, with
        its ratings and analysis (red team 95c-3); a bom-ref it holds makes ours take a suffix."""
        if not isinstance(v, dict) or not any(p.get("name") == Prop.VULN_MATCH.value for p in dicts(v.get("properties"))):
            return False
        shared = [affects_by_id[i] for i in ids_of(v) if i in affects_by_id]
        if not shared:
            return False
        covered = set().union(*shared)
        return all(isinstance(a.get("ref"), str) and a["ref"] in covered for a in dicts(v.get("affects")))

    old = new.get("vulnerabilities")
    kept = [v for v in old if not superseded(v)] if isinstance(old, list) else []
    # a bom-ref is unique in the whole BOM: one a component already has ("vuln:PYSEC-…" is a legal
    # component ref) gets a suffix (red team 47p-3)
    taken = _bom_refs({k: v for k, v in new.items() if k != "vulnerabilities"}) | _bom_refs(kept)
    for v in mine:
        ref = v.get("bom-ref")
        if isinstance(ref, str) and ref in taken:
            n = 2
            while f"{ref}#{n}" in taken:
                n += 1
            v["bom-ref"] = f"{ref}#{n}"
        final = v.get("bom-ref")
        if isinstance(final, str):
            taken.add(final)
    new["vulnerabilities"] = kept + mine  # an empty list too: audited, nothing found
    new.pop("signature", None)
    new["version"] = (bom_version(new.get("version", 1)) or 1) + 1  # (2.0 is version 2, not 1)
    by_ref = {c["bom-ref"]: c for c in release_components(new, with_root=True) if isinstance(c.get("bom-ref"), str)}
    meta = new.setdefault("metadata", {})
    assert isinstance(meta, dict)
    if result.record:  # a re-audit replaces the earlier audit's record
        audit_names = {Prop.VULN_AUDIT.value, Prop.VULN_AUDIT_VEX.value}
        mprops = meta.get("properties")
        others = [p for p in mprops if not (isinstance(p, dict) and p.get("name") in audit_names)] \
            if isinstance(mprops, list) else []
        meta["properties"] = others + [{"name": p.name, "value": p.value} for p in result.record]
    root = meta.get("component")
    for f in result.findings:
        target = by_ref.get(f.subject) if f.subject else root
        if not isinstance(target, dict):
            target = meta
        props = target.setdefault("properties", [])
        if isinstance(props, list):
            item = {"name": Prop.FINDING.value, "value": f.render()}
            if item not in props:
                props.append(item)
    return new
