"""OSV records: parse, validate and reduce to what matching PyPI packages needs.

Spec: the Open Source Vulnerability format, https://ossf.github.io/osv-schema/ (schema
``mlbom/data/osv-schema.json``, ossf/osv-schema@51b8156, Apache-2.0). A record arrives as JSON
or YAML bytes; it is parsed with bounds (size, YAML ``CSafeLoader``, a node budget that defeats
alias bombs), validated against the official schema and reduced to a :class:`Record` that
keeps the PyPI ``affected`` entries only. A record that fails any step raises
:class:`RecordError` — the loader counts and reports it; it never stops the others.

Deliberately not kept: ``credits``, ``related``, ``upstream``, other ecosystems' entries and
``ecosystem_specific`` blobs (nothing in matching or the BOM uses them).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

import orjson

from mlbom.errors import InputError

MAX_RECORD_BYTES = 4 << 20
"""Largest single OSV record read (4 MiB; the largest in the PyPA database is ~60 KiB)."""
MAX_NODES = 200_000
"""Most YAML/JSON nodes one record may expand to: a YAML alias bomb expands past it and is refused."""
MAX_DEPTH = 64
MAX_TEXT = 16_384
"""``details`` longer than this is cut (and says so) so the index stays compact."""

EventKind = Literal["introduced", "fixed", "last_affected", "limit"]
EVENT_KINDS: tuple[EventKind, ...] = ("introduced", "fixed", "last_affected", "limit")
_PEP503 = re.compile(r"[-_.]+")


class RecordError(ValueError):
    """One record could not be read or is not valid OSV; the message says why."""


_RFC3339 = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
                      r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))")
_RFC3339_PATTERN = "^" + _RFC3339.pattern + "$"
"""The same shape for the schema (which spells the timestamp with an unanchored pattern: red team 95c-1)."""


def parse_timestamp(text: str) -> _dt.datetime | None:
    """An RFC 3339 timestamp (what OSV's ``modified``, ``published`` and ``withdrawn`` are) as an
    aware UTC datetime: fractional seconds and offsets read, a leap second read as its last
    microsecond; None when ``text`` is not one (a calendar date that does not exist included).
    Timestamps are compared as times, never as text (``…00.5Z`` is later than ``…00Z``)."""
    m = _RFC3339.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    if second == 60:  # RFC 3339 allows a leap second; datetime does not
        second, micro = 59, 999_999
    try:
        tz = _dt.timezone.utc
        if m.group(9):
            oh, om = int(m.group(10)), int(m.group(11))
            if oh > 23 or om > 59:
                return None
            tz = _dt.timezone((-1 if m.group(9) == "-" else 1) * _dt.timedelta(hours=oh, minutes=om))
        return _dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).astimezone(_dt.timezone.utc)
    except (ValueError, OverflowError):
        return None


def timestamp_key(text: str) -> tuple[_dt.datetime, str]:
    """A sort key that orders timestamps as times (text that is not one sorts first, by text)."""
    return parse_timestamp(text) or _dt.datetime.min.replace(tzinfo=_dt.timezone.utc), text


def normalize_name(name: str) -> str:
    """PEP 503 normalized project name."""
    return _PEP503.sub("-", name).lower()


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    value: str


@dataclass(frozen=True, slots=True)
class Range:
    type: str
    """``ECOSYSTEM``, ``SEMVER``, ``GIT`` or anything a newer schema adds (then ignored, counted)."""
    repo: str | None
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Affected:
    name: str
    """PEP 503 normalized PyPI name."""
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]
    severity: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Record:
    """One OSV advisory reduced to its PyPI facts."""

    id: str
    modified: str
    published: str | None
    withdrawn: str | None
    aliases: tuple[str, ...]
    summary: str | None
    details: str | None
    severity: tuple[tuple[str, str], ...]
    """(type, score) pairs: ``("CVSS_V3", "CVSS:3.1/AV:N/…")``."""
    db_severity: str | None
    """The database's own word (GHSA ``database_specific.severity``: LOW/MODERATE/HIGH/CRITICAL)."""
    cwes: tuple[int, ...]
    references: tuple[tuple[str, str], ...]
    """(type, url) pairs."""
    affected: tuple[Affected, ...]
    source: str
    """The file (or zip member) the record came from, relative to the database."""

    def to_compact(self) -> list[object]:
        """A JSON-able list: the on-disk index form (see :func:`from_compact`)."""
        return [self.id, self.modified, self.published, self.withdrawn, list(self.aliases), self.summary, self.details,
                [list(s) for s in self.severity], self.db_severity, list(self.cwes),
                [list(r) for r in self.references],
                [[a.name, [[r.type, r.repo, [[e.kind, e.value] for e in r.events]] for r in a.ranges], list(a.versions),
                  [list(s) for s in a.severity]] for a in self.affected],
                self.source]


def from_compact(obj: object) -> Record:
    """The inverse of :meth:`Record.to_compact`, checking every type: a cache file is read,
    never trusted. Raises :class:`RecordError` on any mismatch."""
    try:
        if not isinstance(obj, list) or len(obj) != 13:
            raise RecordError("not a compact record")
        (rid, modified, published, withdrawn, aliases, summary, details, severity, db_sev, cwes, refs, affected,
         source) = obj
        return Record(
            id=_s(rid), modified=_s(modified), published=_opt(published), withdrawn=_opt(withdrawn),
            aliases=tuple(_s(a) for a in _l(aliases)), summary=_opt(summary), details=_opt(details),
            severity=tuple(_pair(s) for s in _l(severity)), db_severity=_opt(db_sev),
            cwes=tuple(_i(c) for c in _l(cwes)), references=tuple(_pair(r) for r in _l(refs)),
            affected=tuple(_affected_compact(a) for a in _l(affected)), source=_s(source))
    except (TypeError, ValueError) as exc:
        raise RecordError(f"corrupt compact record: {exc}") from exc


def _affected_compact(a: object) -> Affected:
    name, ranges, versions, severity = _l(a)
    out: list[Range] = []
    for r in _l(ranges):
        rtype, repo, events = _l(r)
        evs = []
        for e in _l(events):
            kind, value = _pair(e)
            if kind not in EVENT_KINDS:
                raise RecordError(f"unknown event {kind!r}")
            evs.append(Event(kind, value))
        out.append(Range(_s(rtype), _opt(repo), tuple(evs)))
    return Affected(_s(name), tuple(out), tuple(_s(v) for v in _l(versions)), tuple(_pair(s) for s in _l(severity)))


def _s(v: object) -> str:
    if not isinstance(v, str):
        raise RecordError(f"expected a string, got {type(v).__name__}")
    return v


def _opt(v: object) -> str | None:
    return None if v is None else _s(v)


def _i(v: object) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise RecordError("expected an integer")
    return v


def _l(v: object) -> list[object]:
    if not isinstance(v, list):
        raise RecordError(f"expected a list, got {type(v).__name__}")
    return v


def _pair(v: object) -> tuple[str, str]:
    items = _l(v)
    if len(items) != 2:
        raise RecordError("expected a pair")
    return _s(items[0]), _s(items[1])


# ---------------------------------------------------------------------------------------
# Parsing raw records


def parse_documents(data: bytes, name: str) -> list[object]:
    """The raw records in one file: a JSON object, a JSON array of objects, ``{"vulns": [...]}``
    (what OSV's API returns) or one YAML document. Raises :class:`RecordError`."""
    return parse_counted(data, name)[0]


def parse_counted(data: bytes, name: str) -> tuple[list[object], int]:
    """:func:`parse_documents`, and how many nodes the file holds (a database's budget)."""
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError(f"{len(data)} bytes, larger than the {MAX_RECORD_BYTES >> 20} MiB a record may be")
    lower = name.lower()
    if lower.endswith((".yaml", ".yml")):
        doc = _yaml(data)
    else:
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise RecordError(f"not valid JSON: {exc}") from exc
    nodes = _check_size(doc)
    if isinstance(doc, dict) and "id" not in doc and isinstance(doc.get("vulns"), list):
        return list(doc["vulns"]), nodes
    if isinstance(doc, list):
        return list(doc), nodes
    return [doc], nodes


def _yaml(data: bytes) -> object:
    from mlbom.formats.safe_read import load_yaml

    try:
        # The bounded reading layer: nodes, characters and depth counted with every alias
        # expanded over libyaml's event stream, before anything is built (an alias bomb costs
        # time linear in its text); dates the constructors cannot build (month 13) are errors.
        loaded = load_yaml(data, "record", max_depth=MAX_DEPTH, max_nodes=MAX_NODES, max_bytes=MAX_RECORD_BYTES)
    except InputError as exc:
        raise RecordError(f"not valid YAML: {exc.at + ': ' if exc.at else ''}{exc.detail}") from exc
    return _plain(loaded.value)


def _plain(value: object) -> object:
    """YAML timestamps to RFC 3339 strings (the schema wants strings), with the node budget."""
    budget = [MAX_NODES]

    def walk(v: object, depth: int) -> object:
        budget[0] -= 1
        if budget[0] < 0:
            raise RecordError(f"more than {MAX_NODES} nodes (a YAML alias bomb?)")
        if depth > MAX_DEPTH:
            raise RecordError(f"nested deeper than {MAX_DEPTH}")
        if isinstance(v, dict):
            return {str(k): walk(x, depth + 1) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x, depth + 1) for x in v]
        if isinstance(v, _dt.datetime):
            if v.tzinfo is None:
                v = v.replace(tzinfo=_dt.timezone.utc)
            try:
                v = v.astimezone(_dt.timezone.utc)
            except OverflowError as exc:  # 0001-01-01 00:00:00+01:00 is before year 1 in UTC
                raise RecordError(f"timestamp {v.isoformat()} is out of range in UTC") from exc
            return v.isoformat().replace("+00:00", "Z")
        if isinstance(v, _dt.date):
            return v.isoformat() + "T00:00:00Z"
        return v

    return walk(value, 0)


def _check_size(doc: object) -> int:
    """How many nodes ``doc`` has; more than :data:`MAX_NODES` or deeper than :data:`MAX_DEPTH`
    raises :class:`RecordError`."""
    stack: list[tuple[object, int]] = [(doc, 0)]
    n = 0
    while stack:
        v, depth = stack.pop()
        n += 1
        if n > MAX_NODES:
            raise RecordError(f"more than {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise RecordError(f"nested deeper than {MAX_DEPTH}")
        if isinstance(v, dict):
            stack += [(x, depth + 1) for x in v.values()]
        elif isinstance(v, list):
            stack += [(x, depth + 1) for x in v]
    return n


@lru_cache(maxsize=1)
def _validator() -> object:
    import jsonschema_rs

    schema = orjson.loads(resources.files("mlbom").joinpath("data/osv-schema.json").read_bytes())
    defs = schema["$defs"]
    # The schema is a snapshot: its ecosystem list is "currently supported ecosystems", and OSV
    # adds ecosystems over time (the spec: consumers ignore ones they do not know). A name the
    # snapshot lacks must not make the record's PyPI entries invalid (red team 95c-4): any
    # non-empty string is an ecosystem here; everything else in the schema still applies.
    defs["ecosystemWithSuffix"] = {"type": "string", "minLength": 1}
    # Its timestamp pattern has no anchors ("garbage 2020-01-01T00:00:00Z" matched): an RFC 3339
    # timestamp, whole (red team 95c-1); the calendar is checked by :func:`parse_timestamp`.
    defs["timestamp"] = {"type": "string", "pattern": _RFC3339_PATTERN}
    # "GIT ranges must use full-length commit hashes": real records abbreviate or suffix them
    # (7 of the 2024 PyPA snapshot's 2,661), and mlbom never matches GIT ranges (a PyPI version is
    # matched by ECOSYSTEM ranges and ``versions``): a record is not lost, nor the audit made
    # incomplete, for a commit spelling nothing reads. A GIT range still needs its ``repo``.
    ranges = schema["properties"]["affected"]["items"]["properties"]["ranges"]["items"]
    ranges["allOf"] = [r for r in ranges["allOf"] if "full-length" not in str(r.get("title", ""))]
    return jsonschema_rs.validator_for(schema)


def schema_problems(raw: object, *, limit: int = 3) -> list[str]:
    """Up to ``limit`` reasons why ``raw`` is not a valid OSV record (empty when it is)."""
    validator = _validator()
    out: list[str] = []
    for err in validator.iter_errors(raw):  # type: ignore[attr-defined]
        path = "/".join(str(p) for p in err.instance_path) or "(record)"
        out.append(f"{path}: {err.message[:200]}")
        if len(out) >= limit:
            break
    return out


def is_valid(raw: object) -> bool:
    """Whether ``raw`` is a valid OSV record: the schema's yes or no, without the reasons
    (:func:`schema_problems`), which cost some 40 times more to spell out."""
    return bool(_validator().is_valid(raw))  # type: ignore[attr-defined]


def from_osv(raw: object, source: str, *, checked: bool = False) -> Record:
    """Validate ``raw`` against the OSV schema (unless ``checked``: :func:`is_valid` said yes)
    and reduce it. Raises :class:`RecordError`."""
    problems = [] if checked else schema_problems(raw)
    if problems:
        raise RecordError("not valid OSV: " + "; ".join(problems))
    assert isinstance(raw, dict)  # the schema requires an object
    for key in ("modified", "published", "withdrawn"):  # the schema's pattern cannot see a month 13
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or parse_timestamp(value) is None):
            raise RecordError(f"not valid OSV: {key}: {str(value)[:80]!r} is not an RFC 3339 timestamp")
    affected: list[Affected] = []
    for entry in raw.get("affected") or []:
        if not isinstance(entry, dict):
            continue
        pkg = entry.get("package")
        if not isinstance(pkg, dict) or pkg.get("ecosystem") != "PyPI" or not isinstance(pkg.get("name"), str):
            continue
        ranges = []
        for r in entry.get("ranges") or []:
            events = []
            for e in r.get("events") or []:
                for kind in EVENT_KINDS:
                    if isinstance(e.get(kind), str):
                        events.append(Event(kind, e[kind]))
            ranges.append(Range(str(r.get("type")), r.get("repo") if isinstance(r.get("repo"), str) else None,
                                tuple(events)))
        versions = tuple(v for v in entry.get("versions") or [] if isinstance(v, str))
        affected.append(Affected(normalize_name(pkg["name"]), tuple(ranges), versions, _severity(entry.get("severity"))))
    dbs = raw.get("database_specific")
    db_severity = dbs.get("severity") if isinstance(dbs, dict) and isinstance(dbs.get("severity"), str) else None
    cwes: list[int] = []
    if isinstance(dbs, dict) and isinstance(dbs.get("cwe_ids"), list):
        for c in dbs["cwe_ids"]:
            m = re.fullmatch(r"CWE-(\d{1,6})", c) if isinstance(c, str) else None
            if m:
                cwes.append(int(m.group(1)))
    details = raw.get("details")
    if isinstance(details, str) and len(details) > MAX_TEXT:
        details = details[:MAX_TEXT] + " […]"
    refs = tuple((str(r.get("type")), r["url"]) for r in raw.get("references") or []
                 if isinstance(r, dict) and isinstance(r.get("url"), str))
    return Record(
        id=raw["id"], modified=raw["modified"],
        published=raw.get("published") if isinstance(raw.get("published"), str) else None,
        withdrawn=raw.get("withdrawn") if isinstance(raw.get("withdrawn"), str) else None,
        aliases=tuple(sorted({a for a in raw.get("aliases") or [] if isinstance(a, str)} - {raw["id"]})),
        summary=raw.get("summary") if isinstance(raw.get("summary"), str) else None,
        details=details if isinstance(details, str) else None,
        severity=_severity(raw.get("severity")), db_severity=db_severity, cwes=tuple(sorted(set(cwes))),
        # an entry repeated verbatim says nothing more (red team 50p-1: 2,000 copies in one record)
        references=refs, affected=tuple(dict.fromkeys(affected)), source=source)


def _severity(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        return ()
    return tuple((s["type"], s["score"]) for s in value
                 if isinstance(s, dict) and isinstance(s.get("type"), str) and isinstance(s.get("score"), str))
