"""The vulnerability audit as the CLI and library callers use it: open the databases, read the
VEX files, audit a BOM file or a generated :class:`~mlbom.model.Bom`, gate on severity.

Exit-code decision (CONTRACT.md: 1 means "the check found something"): ``mlbom audit`` is an
enrichment, not a check — it exits 0 when the BOM was written, whatever it found, like
``generate``. ``--fail-on SEVERITY`` turns it into a gate: exit 1 when an *open* vulnerability
(analysis not ``resolved``, ``resolved_with_pedigree``, ``not_affected`` or
``false_positive``) has a rating at or above SEVERITY, or has no rating at all (unknown is
never safe; most PyPA records carry no CVSS vector).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from mlbom.errors import InputError, MlbomError
from mlbom.jsonout import dump_document
from mlbom.model import Bom, Vulnerability
from mlbom.readmodel import CLOSED_STATES, release_components
from mlbom.vulns import ratings
from mlbom.vulns.audit import AuditResult, VexInput, add_to_document, audit_components, audit_record, audit_time
from mlbom.vulns.db import Database, open_database
from mlbom.vulns.vex import Statement
from mlbom.vulns.vex import load as load_vex

_ORDER = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class AuditedFile:
    bom_json: bytes
    vex_json: bytes
    vulnerabilities: list[Vulnerability]
    messages: list[str]
    summary: str
    unchecked: int = 0
    """Components not matched (the matching budget was spent): a gate cannot pass."""
    incomplete_dbs: int = 0
    """Databases not read to their end (a bound on their cost was reached): a gate cannot pass."""
    invalid_records: int = 0
    """Database records that are not valid OSV (not used): a gate cannot pass (red team 95c-4)."""


def open_databases(paths: Sequence[Path], *, use_cache: bool = True,
                   progress: Callable[[str], None] | None = None) -> tuple[list[Database], list[str]]:
    """Open every database; report lines say what each held and what was wrong with it."""
    dbs: list[Database] = []
    lines: list[str] = []
    for p in paths:
        db = open_database(p, use_cache=use_cache, progress=progress)
        dbs.append(db)
        lines.append(f"{p}: {db.stats.summary()}" + (" (index from cache)" if db.from_cache else ""))
        if db.cache_off is not None:
            lines.append(f"{p}: warning: the index cache is not used: {db.cache_off}")
        if db.stats.pypi_records == 0:
            lines.append(f"{p}: warning: no PyPI advisories in this database; nothing can match")
        lines += [f"{p}: {problem}" for problem in db.stats.problems[:10]]
        if len(db.stats.problems) > 10:
            lines.append(f"{p}: … {len(db.stats.problems) - 10} more problem(s) not shown")
    return dbs, lines


def read_vex(paths: Sequence[Path]) -> list[Statement]:
    return read_vex_inputs(paths)[0]


def read_vex_inputs(paths: Sequence[Path]) -> tuple[list[Statement], list[VexInput]]:
    """The statements of every VEX file, and what the audit record says of each file."""
    out: list[Statement] = []
    inputs: list[VexInput] = []
    for p in paths:
        statements = load_vex(p)
        out += statements
        inputs.append(VexInput(name=p.name, sha256=_sha256(p), statements=len(statements)))
    return out, inputs


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror or e}") from e
    return h.hexdigest()


def _run(components: list[dict[str, object]], vuln_dbs: Sequence[Path], vex_files: Sequence[Path], *, online: bool,
         use_cache: bool, progress: Callable[[str], None] | None, timestamp: str | None) -> tuple[AuditResult, list[str]]:
    dbs, lines = open_databases(vuln_dbs, use_cache=use_cache, progress=progress)
    if online:
        from mlbom.vulns.match import targets_from_components
        from mlbom.vulns.online import query_database

        online_db = query_database(targets_from_components(components), progress=progress)
        dbs.append(online_db)
        lines.append(f"OSV API: {online_db.stats.summary()}")
    statements, vex_inputs = read_vex_inputs(vex_files)
    from mlbom import gcpause

    # no cyclic collection while matching: it builds an object per match (affects, match properties)
    # and frees them by reference counting, but each older-generation collection walked every live
    # container, the database's records included: 0.8 of 2.0 s for 10,000 components (red team 122v-4)
    with gcpause.paused():
        result = audit_components(components, dbs, vex=statements)
    result = replace(result, record=audit_record(dbs, vex_inputs, audit_time(timestamp)))
    lines += [f"VEX: {line}" for line in result.vex_report]
    return result, lines


def audit_file(path: Path, vuln_dbs: Sequence[Path], vex_files: Sequence[Path] = (), *, online: bool = False,
               use_cache: bool = True, progress: Callable[[str], None] | None = None) -> AuditedFile:
    """Audit a BOM file (any producer, JSON or XML): the BOM as JSON with vulnerabilities added,
    and the analysis as CycloneDX VEX. The cyclic collector is paused throughout (see :func:`_run`;
    the output's objects, one per affected component per vulnerability, are made twice more)."""
    from mlbom import gcpause

    with gcpause.paused():
        return _audit_file(path, vuln_dbs, vex_files, online=online, use_cache=use_cache, progress=progress)


def _audit_file(path: Path, vuln_dbs: Sequence[Path], vex_files: Sequence[Path], *, online: bool, use_cache: bool,
                progress: Callable[[str], None] | None) -> AuditedFile:
    from mlbom.cyclonedx.validate import require_valid, validate_json_doc
    from mlbom.reader import MAX_BOM_VERSION, load
    from mlbom.version import __version__
    from mlbom.vulns.vex import to_cyclonedx_vex

    loaded = load(path)
    if loaded.version >= MAX_BOM_VERSION:  # the audited BOM is one version on, which no reader would read
        raise InputError(path, f"/version: {loaded.version} is the largest BOM version mlbom keeps: the audited BOM "
                               "(one version on) could not be read back; not audited")
    if loaded.format == "json":  # checked before anything is built on it or written back (F11, F13)
        require_valid(validate_json_doc(loaded.doc, str(path)), str(path), referential=False)
    # every component of the release as the read model (query, check) sees it: metadata.component
    # and the components nested in it too (red team 95c-2)
    result, lines = _run(list(release_components(loaded.doc, with_root=True)), vuln_dbs, vex_files, online=online,
                         use_cache=use_cache, progress=progress, timestamp=loaded.timestamp)
    if loaded.signature:
        lines.append(f"{path}: the BOM was signed ({loaded.signature}); the audited BOM is not (re-sign it)")
    if loaded.format == "xml":
        lines.append(f"{path}: read as XML, written as JSON")
    from mlbom.cyclonedx.build import vulnerability_dict

    vex_spec = loaded.spec_version if loaded.spec_version in ("1.6", "1.7") else "1.6"
    doc_spec = str(loaded.doc.get("specVersion", "1.6"))
    # each vulnerability made a CycloneDX object once, for the BOM and the VEX alike, where the two
    # spec versions write it the same (only 1.4 differs: no CVSSv4 method) (red team 122v-4)
    vex_dicts: list[dict[str, object]] = [dict(vulnerability_dict(v, vex_spec)) for v in result.vulnerabilities]
    same = doc_spec == vex_spec or "1.4" not in (doc_spec, vex_spec)
    doc = add_to_document(loaded.doc, result, ours=vex_dicts if same else None)
    vulns = doc.get("vulnerabilities")
    check = {"bomFormat": "CycloneDX", "specVersion": loaded.spec_version, "version": 1,
             "vulnerabilities": vulns if isinstance(vulns, list) else []}
    report = validate_json_doc(check, str(path))
    schema_problems = [p for p in report.problems if "does not resolve" not in p and "not unique" not in p]
    if schema_problems:  # mlbom's own output: a bug, never the user's
        raise MlbomError("internal error: the vulnerabilities written do not validate: " + "; ".join(schema_problems[:3]))
    version = doc.get("version")
    vex_doc = to_cyclonedx_vex(vex_dicts,
                               spec_version=vex_spec, serial=loaded.serial_number,
                               version=version if isinstance(version, int) else 1, timestamp=loaded.timestamp,
                               tool_version=__version__)
    return AuditedFile(dump_document(doc), dump_document(vex_doc), result.vulnerabilities, lines,
                       summary(result), result.unchecked, len(result.incomplete_dbs), result.invalid_records)


def add_vulnerabilities(bom: Bom, vuln_dbs: Sequence[Path], vex_files: Sequence[Path] = (), *, online: bool = False,
                        use_cache: bool = True) -> tuple[Bom, list[str]]:
    """``bom`` with its vulnerabilities (and the findings of matching) added."""
    from mlbom.cyclonedx.build import to_dict

    doc: dict[str, object] = dict(to_dict(bom))
    result, lines = _run(list(release_components(doc, with_root=True)), vuln_dbs, vex_files, online=online,
                         use_cache=use_cache, progress=None, timestamp=bom.timestamp)
    lines.append(summary(result))
    return bom.model_copy(update={"vulnerabilities": tuple(result.vulnerabilities), "audit": result.record,
                                  "findings": bom.findings + tuple(result.findings)}), lines


def summary(result: AuditResult) -> str:
    """One line: how many components were checked, vulnerabilities by severity, open ones."""
    counts: dict[str, int] = {}
    for v in result.vulnerabilities:
        sev = ratings.worst(list(v.ratings))
        counts[sev] = counts.get(sev, 0) + 1
    by_sev = ", ".join(f"{counts[s]} {s}" for s in ratings.SEVERITY_ORDER if s in counts) or "none"
    open_n = sum(1 for v in result.vulnerabilities if not (v.analysis and v.analysis.state in CLOSED_STATES))
    unchecked = f" ({result.unchecked} not checked: the audit is incomplete)" if result.unchecked else ""
    if result.incomplete_dbs:
        unchecked += (f" ({len(result.incomplete_dbs)} database(s) not read to the end: the audit is incomplete)")
    if result.invalid_records:
        unchecked += f" ({result.invalid_records} invalid database record(s) not used: the audit is incomplete)"
    return (f"{result.components_checked} PyPI component(s) checked{unchecked}; {len(result.vulnerabilities)} known "
            f"vulnerabilit{'y' if len(result.vulnerabilities) == 1 else 'ies'} ({by_sev}); {open_n} open")


def gate(vulns: Sequence[Vulnerability], fail_on: str) -> list[str]:
    """Ids of open vulnerabilities rated at or above ``fail_on`` (``any``: every open one)."""
    out = []
    for v in vulns:
        if v.analysis and v.analysis.state in CLOSED_STATES:
            continue
        sev = ratings.worst(list(v.ratings))
        # Unknown is never safe: a vulnerability no one rated meets every threshold.
        if fail_on == "any" or sev == "unknown" or (sev in _ORDER and _ORDER.index(sev) <= _ORDER.index(fail_on)):
            out.append(v.id)
    return out
