"""An index of many BOMs in a SQL database, for questions across releases: which releases
contain this package in that version range, this file by SHA-256, a model derived from that base
model, unsafe files; which licences each release ships.

SQLite by default (one file, nothing to run), PostgreSQL for organisation scale — both through
SQLAlchemy Core, with the same tables (``docs/diff-and-query.md`` describes them).

- A release is identified as CycloneDX identifies a BOM: serial number and BOM version (a BOM
  without a serial number is identified by its SHA-256). Adding the same BOM again is a no-op;
  adding a *different* BOM under an identity already indexed is a conflict and is refused — the
  BOM changed without its version changing, which is what a compliance record must not hide.
- One transaction per BOM: a release is either there with all its components or not at all.
  Concurrent ``index add`` processes are safe: SQLite takes the write lock at the start of the
  transaction (``BEGIN IMMEDIATE``, with a busy timeout), PostgreSQL resolves a race on the same
  identity with ``ON CONFLICT DO NOTHING``.
- The original bytes of every BOM are kept (compressed), so the index loses nothing and can hand
  a release's BOM back exactly as it was added.
- Filters are bound parameters, never SQL text; globs become ``LIKE`` patterns with every
  ``LIKE`` metacharacter escaped, and each row is checked again in Python (fnmatch, packaging
  specifiers) so the SQL only narrows.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from packaging.specifiers import SpecifierSet

from mlbom.errors import MlbomError, UsageError
from mlbom.identity import purl_base
from mlbom.model import SEVERITIES, stated_verdict
from mlbom.properties import Prop
from mlbom.query import Filters, checked_spec, licences_match, version_in
from mlbom.reader import LoadedBom
from mlbom.readmodel import (
    ReadComponent,
    components,
    dicts,
    finding_rank,
    finding_severity,
    hash_alg,
    subject_views,
    vulnerabilities,
)

DEFAULT_URL = "sqlite:///mlbom-index.db"
SCHEMA_VERSION = "1"

try:  # SQLAlchemy is a dependency; the import is here so that a broken install reads clearly
    import sqlalchemy as sa
    from sqlalchemy.engine import Engine
except ImportError as exc:  # pragma: no cover
    raise MlbomError("mlbom index needs SQLAlchemy (pip install 'mlbom')") from exc

_md = sa.MetaData()
meta_t = sa.Table("mlbom_meta", _md, sa.Column("key", sa.String(64), primary_key=True), sa.Column("value", sa.Text))
releases_t = sa.Table(
    "mlbom_releases", _md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("serial_number", sa.String(200), nullable=False),
    sa.Column("bom_version", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False), sa.Column("content_digest", sa.String(64), nullable=True),
    sa.Column("name", sa.Text), sa.Column("version", sa.Text),
    sa.Column("spec_version", sa.String(8)), sa.Column("format", sa.String(8)),
    sa.Column("timestamp", sa.Text), sa.Column("signature", sa.String(16)),
    sa.Column("signature_verified", sa.Boolean, nullable=True),
    sa.Column("component_count", sa.Integer), sa.Column("problems", sa.Text),
    sa.Column("source", sa.Text), sa.Column("added_at", sa.Text),
    sa.Column("document", sa.LargeBinary),
    sa.UniqueConstraint("serial_number", "bom_version", name="uq_mlbom_release_identity"),
)
components_t = sa.Table(
    "mlbom_components", _md,
    sa.Column("release_id", sa.Integer, sa.ForeignKey("mlbom_releases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("ordinal", sa.Integer, primary_key=True),
    sa.Column("bom_ref", sa.Text), sa.Column("type", sa.String(40)), sa.Column("grp", sa.Text),
    sa.Column("name", sa.Text), sa.Column("name_lc", sa.Text), sa.Column("version", sa.Text),
    sa.Column("purl", sa.Text), sa.Column("purl_base", sa.Text), sa.Column("licenses", sa.Text),
    sa.Column("verdict", sa.String(16)), sa.Column("max_severity", sa.String(16)), sa.Column("findings", sa.Integer),
    sa.Column("file_format", sa.Text), sa.Column("properties", sa.Text), sa.Column("sha256", sa.String(64)),
    sa.Index("ix_mlbom_components_name", "name_lc"),
    sa.Index("ix_mlbom_components_purl", "purl_base"),
    sa.Index("ix_mlbom_components_verdict", "verdict"),
)
hashes_t = sa.Table(
    "mlbom_hashes", _md,
    sa.Column("release_id", sa.Integer, sa.ForeignKey("mlbom_releases.id", ondelete="CASCADE"), nullable=False),
    sa.Column("ordinal", sa.Integer, nullable=False),
    sa.Column("alg", sa.String(16), nullable=False), sa.Column("content", sa.String(128), nullable=False),
    sa.Index("ix_mlbom_hashes_content", "content"),
)
links_t = sa.Table(
    "mlbom_links", _md,
    sa.Column("release_id", sa.Integer, sa.ForeignKey("mlbom_releases.id", ondelete="CASCADE"), nullable=False),
    sa.Column("ordinal", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False), sa.Column("target", sa.Text, nullable=False),
    sa.Index("ix_mlbom_links_target", "kind", "target"),
)
vulns_t = sa.Table(
    "mlbom_vulnerabilities", _md,
    sa.Column("release_id", sa.Integer, sa.ForeignKey("mlbom_releases.id", ondelete="CASCADE"), nullable=False),
    sa.Column("ordinal", sa.Integer, nullable=False),
    sa.Column("vuln_id", sa.Text, nullable=False),
    sa.Column("ids", sa.Text, nullable=False),  # JSON array of the id and aliases, upper case, sorted
    sa.Column("severity", sa.String(16)), sa.Column("state", sa.String(32)), sa.Column("detail", sa.Text),
    sa.Column("affects", sa.Text),  # JSON: [[ref, name, version, purl], ...]
    sa.Index("ix_mlbom_vulnerabilities_id", "vuln_id"),
)
_VULN_COLUMNS = ("release_id", "ordinal", "vuln_id", "ids", "severity", "state", "detail", "affects")


def normalize_url(url: str) -> str:
    """``postgresql://`` uses psycopg 3; a bare path means a SQLite file."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def safe_url(url: str) -> str:
    try:
        return sa.make_url(normalize_url(url)).render_as_string(hide_password=True)
    except Exception:
        return "<index URL>"


def open_index(url: str = DEFAULT_URL, *, create: bool = True) -> Engine:
    """An engine on the index at ``url``, its tables created when ``create`` (idempotent and
    safe against several processes doing it at once)."""
    full = normalize_url(url)
    try:
        parsed = sa.make_url(full)
    except sa.exc.ArgumentError as exc:
        raise UsageError(f"not a database URL ({exc})", option="db", value=url) from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise UsageError(f"{safe_url(url)}: mlbom indexes into SQLite or PostgreSQL, not {backend}", option="db")
    if not create and backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        from pathlib import Path

        if not Path(parsed.database).is_file():
            raise MlbomError(f"no index at {safe_url(url)} (mlbom index add creates one)")
    try:
        if backend == "sqlite":
            engine = sa.create_engine(full, connect_args={"timeout": 120})
            sa.event.listen(engine, "connect", _sqlite_connect)
            sa.event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = sa.create_engine(full, pool_pre_ping=True)
    except ImportError as exc:
        raise MlbomError(f"{safe_url(url)}: the database driver is not installed ({exc.name}); "
                         "for PostgreSQL install mlbom[postgresql]") from exc
    _ENGINES.append(engine)
    try:
        if create:
            _create(engine)
        elif not sa.inspect(engine).has_table("mlbom_releases"):
            raise MlbomError(f"no index at {safe_url(url)}: the database has no mlbom tables (mlbom index add creates them)")
    except sa.exc.SQLAlchemyError as exc:
        raise MlbomError(f"cannot open the index {safe_url(url)}: {_reason(exc)}") from exc
    return engine


_ENGINES: list[Engine] = []


def dispose_all() -> None:
    """Close the connections of every index opened in this process."""
    while _ENGINES:
        _ENGINES.pop().dispose()


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: index pages of a large index stay cached while adding
    cur.execute("PRAGMA wal_autocheckpoint=16384")  # checkpoint every ~64 MiB of WAL, not every 4 MiB: 1.5x faster adds
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # a writer takes the write lock now (no lock-upgrade deadlocks between writers); readers
    # take none, so questions never wait for an add in progress (WAL) and never block one
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("mlbom_write") else "BEGIN")


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0] if str(orig or exc).strip() else type(exc).__name__


@contextlib.contextmanager
def _reading(what: str) -> Iterator[None]:
    """A read of the index: a database error, or a stored value this mlbom did not write (a
    ``problems`` or ``affects`` that is not its JSON, a document that is not zlib) is one
    :class:`MlbomError` line, never an internal error (red team 47p-1: a damaged or foreign
    index)."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        raise MlbomError(f"index {what} failed: {_reason(exc)}") from exc
    except (zlib.error, ValueError, TypeError, KeyError) as exc:
        raise MlbomError(f"index {what} failed: it holds a value this mlbom did not write "
                         f"({type(exc).__name__}: {_reason(exc)}): damaged, or written by another tool") from exc


def _inflate(blob: bytes) -> bytes:
    """A stored BOM's bytes, inflated as ``zlib.decompress`` inflates them but never past the
    largest BOM mlbom reads (``max_bytes()``, ``MLBOM_MAX_BOM_BYTES``): a damaged or foreign index
    whose 1 MB document inflates to a GiB is a ``zlib.error`` — the damaged-index line — not a
    MemoryError (red team 89c-1)."""
    from mlbom.cyclonedx.document import max_bytes

    limit = max_bytes()
    d = zlib.decompressobj()
    out = d.decompress(blob, limit + 1)
    if len(out) > limit or d.unconsumed_tail:
        raise zlib.error(f"a stored BOM inflates past the {limit >> 20} MiB mlbom reads")
    if not d.eof:
        raise zlib.error("incomplete or truncated stream")
    return out


def _python_type(column: Any) -> tuple[type, ...]:
    """The Python types a value of ``column`` (a selected column or label) is read as."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return (bool,)
    if isinstance(kind, sa.Integer):
        return (int,)
    if isinstance(kind, sa.LargeBinary):
        return (bytes, bytearray, memoryview)
    if isinstance(kind, sa.String):  # Text too
        return (str,)
    raise AssertionError(f"no Python type for the column type {kind!r}")


def _rows(conn: Any, stmt: Any) -> Iterator[Any]:
    """The one typed row reader of the index: each row of ``stmt`` (as a mapping), once every
    value has its column's Python type (``str`` for text, ``int`` for integers, ``bytes`` for
    the stored BOM; ``None`` only where the column allows NULL). SQLite keeps whatever type a
    value was written with (a BLOB or a REAL in a TEXT column: red team 85c-2), so any other
    type is a :class:`TypeError`, which :func:`_reading` turns into the one-line "damaged
    index" error; no command ever sees a value of the wrong type."""
    columns = [(col.name, _python_type(col), getattr(getattr(col, "element", col), "nullable", True))
               for col in stmt.selected_columns]
    for row in conn.execute(stmt):
        for (name, types, nullable), value in zip(columns, row, strict=True):
            if value is None and nullable:
                continue
            if not isinstance(value, types) or (types == (int,) and isinstance(value, bool)):
                raise TypeError(f"column {name} holds a value of type {type(value).__name__}, not {types[0].__name__}")
        yield row._mapping


def _writer(engine: Engine) -> Engine:
    return engine.execution_options(mlbom_write=True)


def _create(engine: Engine) -> None:
    with _writer(engine).begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(4242017)"))  # one creator at a time
        _md.create_all(conn, checkfirst=True)
        row = _meta(conn, "schema_version")
        if row is None:
            conn.execute(sa.insert(meta_t).values(key="schema_version", value=SCHEMA_VERSION))
        elif row != SCHEMA_VERSION:
            raise MlbomError(f"the index has schema version {row}; this mlbom reads version {SCHEMA_VERSION}")
        _backfill_vulnerabilities(conn)


def _meta(conn: Any, key: str) -> str | None:
    """The ``mlbom_meta`` value of ``key`` (None when absent), read by :func:`_rows`."""
    with _reading("open"):
        got = next(_rows(conn, sa.select(meta_t.c.value).where(meta_t.c.key == key)), None)
    return None if got is None else str(got["value"])


def _backfill_vulnerabilities(conn: Any) -> None:
    """An index made before vulnerabilities were indexed: fill their table once from the BOMs it
    keeps (every release's document is stored)."""
    done = _meta(conn, "vulnerabilities_indexed")
    if done == _VULNS_INDEXED:
        return
    if done is not None:  # rows of an older layout (ids joined by spaces, so "A B" was two ids): made again
        conn.execute(sa.delete(vulns_t))
        conn.execute(sa.delete(meta_t).where(meta_t.c.key == "vulnerabilities_indexed"))
    from mlbom.reader import loads

    with _reading("open"):
        stored = [(row["id"], row["document"]) for row in _rows(conn, sa.select(releases_t.c.id, releases_t.c.document))]
    for rid, blob in stored:
        if blob is None:
            continue
        try:
            doc = loads(_inflate(blob)).doc
        except (MlbomError, zlib.error):
            continue
        _bulk(conn, vulns_t, _VULN_COLUMNS, [(rid, *r) for r in vulnerability_rows(doc)])
    conn.execute(sa.insert(meta_t).values(key="vulnerabilities_indexed", value=_VULNS_INDEXED))


_VULNS_INDEXED = "4"
"""``mlbom_meta.vulnerabilities_indexed``: "4" once the table holds every vulnerability read as
:func:`mlbom.readmodel.vulnerabilities` reads it (id-less ones named, the rating the worst of words
and CVSS scores: red team 16a-3, 16a-4; methodless and OWASP scores read too: red team 18d); "3"
(methodless scores ignored), "2" (ids as JSON arrays, id-less entries dropped, words
only) and "1" (ids space-joined) are rebuilt from the stored BOMs when the index is next opened
for writing (``mlbom index add``)."""


def vulnerability_rows(doc: dict[str, object]) -> list[tuple[object, ...]]:
    """One row per vulnerability the BOM states (without the release id). ``ids`` is a JSON array
    of whole ids: an id is never split (``"PYSEC-1 CVE-2"`` is one id, as the BOM says)."""
    return [(i, v.id, json.dumps(sorted(v.ids)), v.severity, v.state, v.detail or None,
             json.dumps([[a.ref, a.name, a.version, a.purl] for a in v.affects]))
            for i, v in enumerate(vulnerabilities(doc))]


# -- adding ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Added:
    source: str
    outcome: Literal["added", "present", "conflict"]
    serial_number: str
    bom_version: int
    components: int
    detail: str = ""


_COMPONENT_COLUMNS = ("release_id", "ordinal", "bom_ref", "type", "grp", "name", "name_lc", "version", "purl",
                      "purl_base", "licenses", "verdict", "max_severity", "findings", "file_format", "properties", "sha256")


def _component_row(rid: int, i: int, c: ReadComponent) -> tuple[object, ...]:
    props = c.property_pairs
    fmt = None
    verdicts: list[str] = []
    findings = 0
    worst: int | None = None
    for k, v in props:  # one pass: every verdict (the worst is kept), the first format as written (a column to show;
        # queries match every value through the pairs: red team 16a-5), the worst finding
        if k == _FINDING:
            findings += 1
            rank = finding_rank(finding_severity(v))  # a value that does not parse: worst (red team 13b-4)
            if worst is None or rank < worst:
                worst = rank
        elif k == _VERDICT:
            verdicts.append(v)
        elif k == _FORMAT and fmt is None:
            fmt = v
    purl = _s(c.raw.get("purl"))
    return (rid, i, _s(c.raw.get("bom-ref")), c.kind or _s(c.raw.get("type")), _s(c.raw.get("group")), c.name, c.name.lower(),
            _s(c.raw.get("version")), purl, purl_base(purl) if purl else None, join_licences(c.licence_texts),
            stated_verdict(verdicts) or None, _worst_name(worst), findings, fmt,
            json.dumps(props, ensure_ascii=False) if props else None, _first_sha256(c))


def _worst_name(rank: int | None) -> str | None:
    return None if rank is None else SEVERITIES[rank] if rank >= 0 else "unknown"


def join_licences(texts: Sequence[str]) -> str | None:
    """A component's licence texts in one column, one per line. A licence text is BOM text and
    may hold a line break or a backslash itself: those are escaped (``\\n``, ``\\\\``), so
    ``"MIT\\nGPL-3.0"`` stays one licence, as the BOM says (:func:`split_licences` reads it back)."""
    return "\n".join(t.replace("\\", "\\\\").replace("\n", "\\n") for t in texts) or None


def split_licences(raw: object) -> list[str]:
    """The licence texts :func:`join_licences` stored (a row without escapes reads the same)."""
    if not raw:
        return []
    return [_unescape_line(t) for t in str(raw).split("\n")]


def _unescape_line(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt == "n" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_FINDING, _VERDICT, _FORMAT = Prop.FINDING.value, Prop.SAFETY_VERDICT.value, Prop.FILE_FORMAT.value


def _first_sha256(c: ReadComponent) -> str | None:
    return min(c.sha256s, default=None)


def _bulk(conn: Any, table: sa.Table, columns: Sequence[str], rows: list[tuple[object, ...]]) -> None:
    """Insert many rows the fastest way the backend has: ``COPY`` on PostgreSQL, one
    ``executemany`` of plain tuples on SQLite (both inside the caller's transaction)."""
    if not rows:
        return
    cols = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        dbapi = conn.connection.driver_connection
        with dbapi.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", rows)


def _s(v: object) -> str | None:
    return v if isinstance(v, str) else (None if v is None else str(v))


def _links(rid: int, i: int, c: ReadComponent) -> Iterator[tuple[object, ...]]:
    if c.raw.get("pedigree") is None and c.raw.get("modelCard") is None:
        return
    for target in c.base_model_keys:
        yield (rid, i, "base-model", target)
    for ds in c.card_dataset_keys:
        yield (rid, i, "dataset", ds)


@dataclass(frozen=True)
class Prepared:
    """Everything about one BOM the database needs, worked out without it (so that many BOMs
    can be prepared in parallel processes and written by one): picklable."""

    source: str
    serial_number: str
    bom_version: int
    sha256: str
    record: dict[str, object]
    components: list[tuple[object, ...]]  # rows without the release id
    hashes: list[tuple[object, ...]]
    links: list[tuple[object, ...]]
    signature: str | None
    problems: tuple[str, ...]
    content_digest: str | None
    vulnerabilities: tuple[tuple[object, ...], ...] = ()


def prepare(bom: LoadedBom, *, verified: bool | None = None, raw: bytes | None = None) -> Prepared:
    """What the database needs of one BOM. A BOM whose bom-refs are not unique is refused, as
    every other reader refuses it (:meth:`~mlbom.reader.LoadedBom.require_unique_refs`; red team
    12b-7): an :class:`~mlbom.errors.InputError`, so ``index add`` reports it and exits 2."""
    bom.require_unique_refs()
    serial = bom.serial_number or f"urn:sha256:{bom.sha256}"
    # one row per object that can state a verdict, findings or a licence: the release, the
    # components and the services (the set the policy gate judges; red team 12b-2)
    comps = subject_views(bom.doc)
    root = bom.root
    digest = None if raw is not None else bom.content_digest  # else worked out on a conflict only
    record = {
        "serial_number": serial, "bom_version": bom.version, "sha256": bom.sha256, "content_digest": digest,
        "name": _s(root.get("name")), "version": _s(root.get("version")), "spec_version": bom.spec_version,
        "format": bom.format, "timestamp": bom.timestamp, "signature": bom.signature, "signature_verified": verified,
        "component_count": sum(1 for _ in components(bom.doc)), "problems": json.dumps(list(bom.problems)) if bom.problems else None,
        "source": bom.source, "added_at": None, "document": zlib.compress(raw, 1) if raw is not None else None,
    }
    return Prepared(
        bom.source, serial, bom.version, bom.sha256, record,
        [_component_row(0, i, c)[1:] for i, c in enumerate(comps)],
        [(i, hash_alg(str(h.get("alg"))), str(h.get("content", "")).strip().lower())
         for i, c in enumerate(comps) for h in dicts(c.raw.get("hashes"))],
        [x[1:] for i, c in enumerate(comps) for x in _links(0, i, c)],
        bom.signature, bom.problems, digest, tuple(vulnerability_rows(bom.doc)))


def add(engine: Engine, bom: LoadedBom, *, verified: bool | None = None, raw: bytes | None = None) -> Added:
    """Add one BOM in one transaction; idempotent for the same BOM, refused for a different
    BOM under an identity already indexed."""
    return write(engine, prepare(bom, verified=verified, raw=raw))


def write(engine: Engine, prep: Prepared) -> Added:
    """Write a prepared BOM in one transaction (see :func:`add`)."""
    record = dict(prep.record, added_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    serial, version = prep.serial_number, prep.bom_version
    count = prep.record.get("component_count")
    n = count if isinstance(count, int) else len(prep.components)
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        stmt: Any = pg_insert(releases_t).values(**record).on_conflict_do_nothing(
            index_elements=["serial_number", "bom_version"])
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        stmt = sqlite_insert(releases_t).values(**record).on_conflict_do_nothing(
            index_elements=["serial_number", "bom_version"])
    try:
        with _writer(engine).begin() as conn:
            rid = conn.execute(stmt.returning(releases_t.c.id)).scalar()
            if rid is None:
                ident = (releases_t.c.serial_number == serial, releases_t.c.bom_version == version)
                with _reading("add"):
                    existing = next(_rows(conn, sa.select(releases_t.c.sha256, releases_t.c.content_digest,
                                                          releases_t.c.signature, releases_t.c.document).where(*ident)),
                                    None)
                    if existing is None:
                        raise sa.exc.NoResultFound("the release it conflicts with is gone")
                    same = existing["sha256"] == prep.sha256 or _stored_digest(existing) == _prepared_digest(prep)
                if not same:
                    return Added(prep.source, "conflict", serial, version, n,
                                 f"{serial} version {version} is already indexed with different content; "
                                 "a changed BOM needs a new version (or a new serial number)")
                if prep.signature and not existing["signature"]:  # the signed copy of an indexed BOM
                    conn.execute(sa.update(releases_t).where(*ident).values(
                        signature=prep.signature, signature_verified=record["signature_verified"], sha256=prep.sha256,
                        document=record["document"], source=prep.source))
                    return Added(prep.source, "present", serial, version, n, "signature recorded")
                return Added(prep.source, "present", serial, version, n)
            _bulk(conn, components_t, _COMPONENT_COLUMNS, [(rid, *r) for r in prep.components])
            _bulk(conn, hashes_t, ("release_id", "ordinal", "alg", "content"), [(rid, *r) for r in prep.hashes])
            _bulk(conn, links_t, ("release_id", "ordinal", "kind", "target"), [(rid, *r) for r in prep.links])
            _bulk(conn, vulns_t, _VULN_COLUMNS, [(rid, *r) for r in prep.vulnerabilities])
    except sa.exc.SQLAlchemyError as exc:
        raise MlbomError(f"{prep.source}: could not be added to the index: {_reason(exc)}") from exc
    return Added(prep.source, "added", serial, version, n)


_WORKER_KEYS: list[object] = []


def _init_worker(key_paths: tuple[str, ...]) -> None:
    from pathlib import Path

    from mlbom.keys import load_public_keys

    _WORKER_KEYS[:] = [k for p in key_paths for k in load_public_keys(Path(p))]


def prepare_file(path: str, keys: Sequence[object] | None = None) -> Prepared | str:
    """Read, check and prepare one BOM file; an error message instead when it cannot be read.
    Signed BOMs are verified against ``keys`` (a worker process uses the keys it was started with)."""
    from mlbom.reader import loads, read_bytes

    use = _WORKER_KEYS if keys is None else keys
    try:
        raw = read_bytes(path)
        loaded = loads(raw, path)
        verified, doc = _verify(raw, loaded.signature, use, path) if use else (None, None)
        if doc is not None:  # index what was verified, not a second reading of the same bytes
            import dataclasses

            from mlbom.cyclonedx.document import referential_problems

            loaded = dataclasses.replace(loaded, doc=doc, problems=tuple(referential_problems(doc)))
        return prepare(loaded, verified=verified, raw=raw)
    except MlbomError as exc:
        return str(exc)


def _verify(raw: bytes, signature: str | None, keys: Sequence[object], name: str
            ) -> tuple[bool | None, dict[str, object] | None]:
    """What ``mlbom verify --key …`` says of the same bytes: True only when it would exit 0
    (every signer trusted, the BOM valid), with the verified document; None when it finds no
    signature at all; False for anything else it would refuse (including a signature member the
    reader did not recognise)."""
    from mlbom.jsf import PublicKey
    from mlbom.trust import TrustPolicy
    from mlbom.verification import NotSignedError, verify_bytes

    trusted = tuple(k for k in keys if isinstance(k, PublicKey))
    try:
        result = verify_bytes(raw, TrustPolicy.from_keys(trusted), name=name)
    except NotSignedError:
        return None, None
    except MlbomError:  # verify would exit 1 (or 2: it could not even parse what the reader read)
        return (False if signature is not None or b"signature" in raw.lower() else None), None
    return True, result.doc


def prepare_files(paths: Sequence[str], key_paths: Sequence[str] = (), *, workers: int | None = None) -> Iterator[Prepared | str]:
    """:func:`prepare_file` for many files, in order; in parallel processes when there are enough
    files to be worth starting them (the database is written by the caller, one BOM at a time)."""
    import os

    n = workers if workers is not None else min(4, os.cpu_count() or 1)
    if n <= 1 or len(paths) < 8:
        from pathlib import Path

        from mlbom.keys import load_public_keys

        keys = [k for p in key_paths for k in load_public_keys(Path(p))]
        for p in paths:
            yield prepare_file(p, keys)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding database connections
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_init_worker,
                             initargs=(tuple(key_paths),)) as pool:
        yield from pool.map(prepare_file, paths, chunksize=1)


def _prepared_digest(prep: Prepared) -> str | None:
    if prep.content_digest:
        return prep.content_digest
    doc = prep.record.get("document")
    if not isinstance(doc, bytes):
        return None
    from mlbom.reader import loads

    return loads(_inflate(doc), prep.source).content_digest


def _stored_digest(row: Any) -> str | None:
    """The content digest of an indexed BOM (computed from its stored bytes when needed)."""
    if row["content_digest"]:
        return str(row["content_digest"])
    if row["document"] is None:
        return None
    from mlbom.reader import loads

    return loads(_inflate(row["document"])).content_digest


# -- questions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndexFilters(Filters):
    release: str | None = None


def glob_to_like(glob: str) -> str:
    r"""A ``LIKE`` pattern (escape character ``\``) that matches at least what the glob matches."""
    out = []
    i = 0
    while i < len(glob):
        ch = glob[i]
        if ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        elif ch == "[":
            close = glob.find("]", i + 2)
            if close == -1:
                out.append("[")
            else:
                out.append("_")
                i = close
        elif ch in "%_\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _like_literal(text: str) -> str:
    """``text`` as a LIKE pattern matching exactly it (every metacharacter escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(col: Any, glob: str) -> Any:
    pattern = glob_to_like(glob)
    if pattern == glob and "\\" not in pattern:
        return col == glob  # no wildcard: an index lookup
    return col.like(pattern, escape="\\")


RELEASE_COLUMNS = ("release", "release_version", "serial_number", "bom_version")


def query(engine: Engine, f: IndexFilters) -> list[dict[str, str]]:
    """Components of every indexed release that match all filters, with their release."""
    spec = checked_spec(f)
    c, r = components_t, releases_t
    stmt = sa.select(c, r.c.name.label("r_name"), r.c.version.label("r_version"), r.c.serial_number,
                     r.c.bom_version).join(r, r.c.id == c.c.release_id)
    if f.type:
        stmt = stmt.where(c.c.type == f.type)
    if f.name:
        stmt = stmt.where(_like(c.c.name_lc, f.name.lower()))
    if f.purl:
        stmt = stmt.where(_like(c.c.purl, f.purl))
    key = sa.tuple_(c.c.release_id, c.c.ordinal)
    if f.sha256:  # an index lookup on the hash, then the components it names
        h = hashes_t
        stmt = stmt.where(key.in_(sa.select(h.c.release_id, h.c.ordinal).where(
            h.c.content == f.sha256.lower(), h.c.alg == "SHA-256")))
    if f.base_model:
        lk = links_t
        stmt = stmt.where(key.in_(sa.select(lk.c.release_id, lk.c.ordinal).where(
            lk.c.kind == "base-model", _like(lk.c.target, f.base_model.lower()))))
    if f.release:
        stmt = stmt.where(_like(r.c.name, f.release))
    if f.license and "\\" not in f.license:  # narrows in SQL (a backslash is stored escaped); the exact check follows in Python
        stmt = stmt.where(sa.func.lower(c.c.licenses).like("%" + glob_to_like(f.license.lower()) + "%", escape="\\"))
    if f.min_severity:
        floor = SEVERITIES.index(f.min_severity)
        stmt = stmt.where(c.c.max_severity.in_(("unknown", *SEVERITIES[: floor + 1])))  # unknown: worst
    for _name, value in f.properties:
        # every property through the pairs, which hold every value: the verdict and file-format
        # columns hold one representative each (red team 13b-5, 16a-5)
        literal = json.dumps(value, ensure_ascii=False)
        stmt = stmt.where(c.c.properties.like("%" + _like_literal(literal) + "%", escape="\\"))
    stmt = stmt.order_by(r.c.name, r.c.version, r.c.serial_number, r.c.bom_version, c.c.ordinal)
    out = []
    with _reading("query"), engine.connect() as conn:
        for row in _rows(conn, stmt):
            if not _keep(row, f, spec):
                continue
            out.append(_row(row))
    return out


def _keep(row: Any, f: IndexFilters, spec: SpecifierSet | None) -> bool:
    if f.name and not fnmatch.fnmatchcase(row["name_lc"], f.name.lower()):
        return False
    if f.purl and not fnmatch.fnmatchcase(row["purl"] or "", f.purl):
        return False
    if f.release and not fnmatch.fnmatchcase(row["r_name"] or "", f.release):
        return False
    if spec is not None and not version_in(row["version"] or "", spec):
        return False
    if not licences_match(split_licences(row["licenses"]), f):
        return False
    if f.properties:
        props = {(k, v) for k, v in json.loads(row["properties"] or "[]")}
        if any((k, v) not in props for k, v in f.properties):
            return False
    return True


def _row(row: Any) -> dict[str, str]:
    return {
        "release": row["r_name"] or "", "release_version": row["r_version"] or "",
        "serial_number": row["serial_number"], "bom_version": str(row["bom_version"]),
        "type": row["type"] or "", "name": row["name"] or "", "version": row["version"] or "",
        "purl": row["purl"] or "", "licenses": " ".join(split_licences(row["licenses"])),
        "sha256": row["sha256"] or "", "verdict": row["verdict"] or "", "findings": str(row["findings"] or 0),
    }


def licence_inventory(engine: Engine, release: str | None = None) -> list[dict[str, str]]:
    """Per release: each licence and how many components carry it (``(none)`` for components
    that declare none)."""
    c, r = components_t, releases_t
    stmt = (sa.select(r.c.name, r.c.version, r.c.serial_number, r.c.bom_version, c.c.licenses,
                      sa.func.count().label("n"))
            .join(r, r.c.id == c.c.release_id)
            .group_by(r.c.id, r.c.name, r.c.version, r.c.serial_number, r.c.bom_version, c.c.licenses))
    if release:
        stmt = stmt.where(_like(r.c.name, release))
    counts: dict[tuple[str, str, str, str, str], int] = {}
    with _reading("licence inventory"), engine.connect() as conn:
        for name, version, serial, bv, lics, n in (tuple(row.values()) for row in _rows(conn, stmt)):
            if release and not fnmatch.fnmatchcase(name or "", release):
                continue
            for lic in (split_licences(lics) or ["(none)"]):
                key = (name or "", version or "", serial, str(bv), lic)
                counts[key] = counts.get(key, 0) + n
    return [{"release": k[0], "release_version": k[1], "serial_number": k[2], "bom_version": k[3], "license": k[4],
             "components": str(n)} for k, n in sorted(counts.items())]


def list_releases(engine: Engine) -> list[dict[str, str]]:
    r = releases_t
    stmt = sa.select(r.c.name, r.c.version, r.c.serial_number, r.c.bom_version, r.c.timestamp, r.c.spec_version,
                     r.c.format, r.c.signature, r.c.signature_verified, r.c.component_count, r.c.problems,
                     r.c.sha256).order_by(r.c.name, r.c.version, r.c.serial_number, r.c.bom_version)
    out = []
    with _reading("release list"), engine.connect() as conn:
        for row in _rows(conn, stmt):
            sig = row["signature"] or "unsigned"
            if row["signature"] and row["signature_verified"] is not None:
                sig += " (verified)" if row["signature_verified"] else " (NOT verified)"
            out.append({"release": row["name"] or "", "release_version": row["version"] or "",
                        "serial_number": row["serial_number"], "bom_version": str(row["bom_version"]),
                        "timestamp": row["timestamp"] or "", "spec_version": row["spec_version"] or "",
                        "format": row["format"] or "", "signature": sig, "components": str(row["component_count"]),
                        "problems": str(len(json.loads(row["problems"])) if row["problems"] else 0),
                        "sha256": row["sha256"]})
    return out


def document(engine: Engine, serial_number: str, bom_version: int | None = None) -> bytes:
    """The BOM exactly as it was added (the latest version when none is given)."""
    r = releases_t
    stmt = sa.select(r.c.document).where(r.c.serial_number == serial_number).order_by(r.c.bom_version.desc())
    if bom_version is not None:
        stmt = stmt.where(r.c.bom_version == bom_version)
    with _reading("read"), engine.connect() as conn:
        got = next(_rows(conn, stmt.limit(1)), None)
    blob = None if got is None else got["document"]
    if blob is None:
        raise MlbomError(f"no BOM {serial_number}" + (f" version {bom_version}" if bom_version else "") + " in the index")
    with _reading("read"):
        return _inflate(blob)


VULN_COLUMNS = ("release", "release_version", "serial_number", "bom_version", "vulnerability", "severity", "state",
                "component", "version", "purl", "detail")


def wanted_vuln_id(vuln_id: str) -> str:
    """The id ``query --vuln`` looks for, the same way in an index and in one BOM: upper case,
    whole (compared with each id and alias as the BOM writes them, never a part of one)."""
    want = vuln_id.strip().upper()
    if not want or any(ch.isspace() for ch in want):
        raise UsageError("give one vulnerability id (CVE-…, GHSA-…, PYSEC-…)", option="vuln_id", value=vuln_id)
    return want


def _json_ids(raw: object) -> list[str]:
    """A row's ids: a JSON array; " A B " in an index not yet rebuilt (opened only for reading
    since an older mlbom wrote it), read as that mlbom did until the next write rebuilds it."""
    text = str(raw)
    if text.startswith(" "):
        return text.split()
    try:
        ids = json.loads(text)
    except ValueError:
        return []
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []


def vulnerability_releases(engine: Engine, vuln_id: str) -> list[dict[str, str]]:
    """Which releases a vulnerability (by id or any alias) affects: one row per release and
    affected component, with the analysis the release's BOM states."""
    want = wanted_vuln_id(vuln_id)
    v, r = vulns_t, releases_t
    stmt = (sa.select(r.c.name, r.c.version, r.c.serial_number, r.c.bom_version, v.c.vuln_id, v.c.ids, v.c.severity,
                      v.c.state, v.c.detail, v.c.affects)
            .join(r, r.c.id == v.c.release_id)
            .where(sa.or_(v.c.ids.like(f"%{_like_literal(json.dumps(want))}%", escape="\\"),
                          v.c.ids.like(f"% {_like_literal(want)} %", escape="\\")))
            .order_by(r.c.name, r.c.version, r.c.serial_number, r.c.bom_version, v.c.ordinal))
    out = []
    with _reading("vulnerability query"), engine.connect() as conn:
        for row in _rows(conn, stmt):
            if want not in _json_ids(row["ids"]):
                continue
            base = {"release": row["name"] or "", "release_version": row["version"] or "",
                    "serial_number": row["serial_number"], "bom_version": str(row["bom_version"]),
                    "vulnerability": row["vuln_id"], "severity": row["severity"] or "", "state": row["state"] or "",
                    "detail": row["detail"] or ""}
            affects = json.loads(row["affects"] or "[]")
            for entry in affects or [["", "", "", ""]]:
                if not isinstance(entry, list) or len(entry) != 4:
                    raise ValueError(f"an affects entry {str(entry)[:60]!r} is not [ref, name, version, purl]")
                ref, name, version, purl = (str(x) if x is not None else "" for x in entry)
                out.append(base | {"component": name or ref, "version": version, "purl": purl})
    return out


def render(table: Sequence[dict[str, str]], fmt: str, columns: Sequence[str]) -> str:
    """Table, JSON or CSV of rows with the given columns."""
    from mlbom import table as text_table

    if fmt == "json":
        return json.dumps(list(table), indent=2, ensure_ascii=False)
    if fmt == "csv":
        return text_table.render_csv(columns, table)
    if not table:
        return "nothing found"

    return "\n".join(text_table.render(columns, [[r.get(c, "") for c in columns] for r in table]))
