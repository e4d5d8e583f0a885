"""An OSV database on disk, read once into a compact index in the user's cache.

Layouts read (``--vuln-db PATH``): a folder of OSV records in JSON or YAML at any depth (the
PyPA advisory database's ``vulns/<package>/PYSEC-*.yaml``, a folder of GHSA/OSV JSON), a zip of
them (OSV's per-ecosystem export ``PyPI/all.zip``), or one record file. Only the PyPI entries
are indexed; everything else is counted.

Bounds (a database is input like any other): every record ≤ :data:`osv.MAX_RECORD_BYTES`,
at most :data:`MAX_FILES` files and :data:`MAX_TOTAL_BYTES` read in all; zip members are read,
never extracted, so a path-traversal name cannot write anywhere — it is still refused and
reported, as are encrypted members, nested archives and members whose expansion ratio or real
size betrays a zip bomb (the header's size is not trusted: reads stop at the bound). What a
database may cost in all — bytes expanded, records, parsed values — is charged against the bytes
it is given as (:class:`_Budget`, ``mlbom.limits.OSV_*``): past a bound the rest is not read and
:attr:`LoadStats.incomplete` says why (red team 80c-6).

The index is keyed by the database's content digest (SHA-256 over every record file's path
and SHA-256, or of the zip's bytes). A small fingerprint file maps the folder's listing (paths,
sizes, mtimes) to that digest so a warm run need not re-hash thousands of files; any change in
the listing re-hashes. Every record in the index is type-checked when read: a corrupt cache is
rebuilt, never trusted.

Threat model (docs/vulnerabilities.md): whoever can write the cache folder must not be able to
hide an advisory (red team 7c F2: an index with its ``packages`` emptied and its self-stated
checksum recomputed made ``audit --fail-on critical`` pass). A checksum the file states about
itself authenticates nothing, so the index and the fingerprint files carry an HMAC-SHA256 under a
per-user secret kept *outside* the cache folder (:func:`cache_key`: ``$MLBOM_CACHE_KEY_FILE``,
else ``$XDG_CONFIG_HOME/mlbom/cache.key``, else ``~/.config/mlbom/cache.key``; 32 random bytes,
created mode 0600, used only when it is a regular file of the current user that nobody else can
read or write). An index or fingerprint whose MAC does not verify under that key — planted,
edited, or written by another user or machine (a CI cache restored into a fresh job) — is
rebuilt from the database. Without a usable key the cache is neither read nor written. An index
is filed under the digest of the very bytes it was built from (:attr:`_Source.read_digest`): a
database changed between being digested and being read is audited as read and not cached.
Cache root: ``$MLBOM_CACHE_DIR``, else ``$XDG_CACHE_HOME/mlbom``, else ``~/.cache/mlbom``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import orjson

from mlbom import limits
from mlbom.errors import InputError, printable
from mlbom.formats.safe_read import read_bounded
from mlbom.formats.safe_zip import MemberError, is_dir, open_archive, read_member
from mlbom.vulns import osv
from mlbom.vulns.osv import Record, RecordError

MAX_FILES = 500_000
MAX_TOTAL_BYTES = 4 << 30
MAX_ZIP_RATIO = 200
"""A member expanding more than this (and beyond 1 MiB) is treated as a zip bomb."""
MAX_INDEX_BYTES = 2 << 30
INDEX_FORMAT = b"mlbom-osv-index 5\n"
"""2: authenticated (``mac``, see the module); 3: a record's repeated ``affected`` entries kept once
(red team 50p-1); 4: each record stored once, a package naming it by number with the numbers of its
own ``affected`` entries (red team 92c-3: a record of 5,000 packages stored 5,000 times whole was
25 million entries, a MemoryError). An index of an earlier format is rebuilt."""
KEY_BYTES = 32
_SUFFIXES = (".json", ".yaml", ".yml")
_VCS_FOLDERS = frozenset({".git", ".github", ".gitlab", ".hg", ".svn"})
"""Hidden folders of a database folder that are a checkout's metadata (the PyPA advisory database is a
git checkout with ``.github/`` workflows), not records: not walked, not reported."""
_HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_REPORTED = 50

Entries = tuple[tuple[Record, tuple[osv.Affected, ...]], ...]
"""What a database holds for one package: each record naming it (the record itself, shared by every
package it names, never copied) with that record's ``affected`` entries for this package only, in
record order. So the index, its cache file and matching are linear in the records (red team 92c-3,
92c-4): a component visits its own entries, never every entry of a record it shares with 5,000
other packages."""


@dataclass
class LoadStats:
    """What reading the database found besides valid PyPI records."""

    files: int = 0
    records: int = 0
    pypi_records: int = 0
    other_ecosystem: int = 0
    withdrawn: int = 0
    duplicates: int = 0
    invalid: int = 0
    skipped: int = 0
    ignored_files: int = 0
    unwalked_folders: int = 0
    """Sub-folders of a database folder not walked (a symbolic link, a hidden folder other than
    :data:`_VCS_FOLDERS`): each noted, and the database is :attr:`incomplete` (red team 119ps-4)."""
    problems: list[str] = field(default_factory=list)
    """The first :data:`MAX_REPORTED` invalid records and skipped files, ``SOURCE: reason``."""
    incomplete: str = ""
    """Why the database was not read to its end (a bound of :class:`_Budget`), else ``""``."""

    def note(self, source: str, reason: str) -> None:
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(f"{source}: {reason}")

    def to_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, obj: object) -> LoadStats:
        if not isinstance(obj, dict):
            raise RecordError("stats missing")
        out = cls()
        for k, v in obj.items():
            if k == "problems":
                if not isinstance(v, list) or not all(isinstance(p, str) for p in v):
                    raise RecordError("bad stats")
                out.problems = list(v)
            elif k == "incomplete" and isinstance(v, str):
                out.incomplete = v
            elif k in out.__dict__ and isinstance(v, int) and not isinstance(v, bool):
                setattr(out, k, v)
            else:
                raise RecordError(f"bad stats key {k!r}")
        return out

    def summary(self) -> str:
        parts = [f"{self.pypi_records} PyPI advisories from {self.files} file(s)"]
        for label, n in (("for other ecosystems", self.other_ecosystem), ("withdrawn", self.withdrawn),
                         ("duplicate ids", self.duplicates), ("INVALID", self.invalid), ("skipped files", self.skipped),
                         ("folders NOT WALKED", self.unwalked_folders)):
            if n:
                parts.append(f"{n} {label}")
        return ", ".join(parts)


class Database:
    """An opened OSV database: records by PEP 503 name (with each record's entries for that name,
    :data:`Entries`), and how it was read.

    Records from the cache are converted (and type-checked) on first use, each once however many
    packages name it; a record or reference that fails the check means the cache is not what mlbom
    wrote, so the index is rebuilt from the database itself and the cache file replaced.
    """

    def __init__(self, path: str, digest: str, raw: tuple[list[object], dict[str, list[object]]] | None,
                 packages: dict[str, Entries] | None, stats: LoadStats, *, from_cache: bool,
                 rebuild: Callable[[], tuple[dict[str, Entries], LoadStats]] | None = None) -> None:
        self.path, self.digest, self.stats, self.from_cache = path, digest, stats, from_cache
        self.cache_off: str | None = None  # why the cache was wanted but not used (no usable key)
        self._raw_records, self._raw = raw or ([], {})
        self._packages: dict[str, Entries] = dict(packages or {})
        self._memo: dict[int, Record] = {}
        self._rebuild = rebuild

    def records_for(self, name: str) -> tuple[Record, ...]:
        """Every (non-withdrawn) record with an ``affected`` entry for this PyPI name."""
        return tuple(rec for rec, _ in self.entries_for(name))

    def entries_for(self, name: str) -> Entries:
        """Every (non-withdrawn) record naming this PyPI name, each with its entries for the name."""
        key = osv.normalize_name(name)
        got = self._packages.get(key)
        if got is not None:
            return got
        items = self._raw.get(key)
        if items is None:
            return ()
        try:
            out = []
            for item in items:
                if not isinstance(item, list) or len(item) != 2 or not isinstance(item[1], list) or not item[1]:
                    raise RecordError("not a compact reference")
                rec = self._record(item[0])
                out.append((rec, tuple(rec.affected[_index(i, len(rec.affected))] for i in item[1])))
        except RecordError:
            if self._rebuild is None:
                raise
            packages, self.stats = self._rebuild()
            self._raw_records, self._raw, self._packages = [], {}, packages
            self._memo, self._rebuild, self.from_cache = {}, None, False
            return self._packages.get(key, ())
        self._packages[key] = tuple(out)
        return self._packages[key]

    def _record(self, ref: object) -> Record:
        i = _index(ref, len(self._raw_records))
        rec = self._memo.get(i)
        if rec is None:
            rec = self._memo[i] = osv.from_compact(self._raw_records[i])
        return rec

    def names(self) -> list[str]:
        """Every package name with at least one record."""
        return sorted(set(self._raw) | set(self._packages))


def _index(v: object, n: int) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < n:
        raise RecordError("not a valid reference")
    return v


def cache_root() -> Path:
    """mlbom's cache folder (see the module docstring)."""
    explicit = os.environ.get("MLBOM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "mlbom"


def cache_key_path() -> Path:
    """Where the cache key is kept (see the module docstring)."""
    explicit = os.environ.get("MLBOM_CACHE_KEY_FILE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".config") / "mlbom" / "cache.key"


def cache_key() -> bytes | None:
    """The per-user secret that authenticates the index cache (see the module), created on
    first use; None when it cannot be read or created safely (the cache is then not used)."""
    return load_cache_key()[0]


def load_cache_key() -> tuple[bytes | None, str | None]:
    """``(key, None)``, or ``(None, why)`` when no usable key can be read or created: the
    cache is then neither read nor written, and the caller warns with ``why`` (one line).
    A key location that cannot hold a file (its folder a dangling symbolic link, a file,
    unwritable — red team 8c T3) is such a case, never an error of the run."""
    path = cache_key_path()
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    for _ in range(2):  # a second pass only when another run created the key between our two opens
        try:
            fd = os.open(path, os.O_RDONLY | nofollow | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:  # FileExistsError: the folder is a file or a dangling link
                return None, f"cannot create the folder of the cache key {printable(str(path.parent))}: " \
                             f"{'exists and is not a folder' if isinstance(exc, FileExistsError) else exc.strerror or exc}"
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow, 0o600)
            except FileExistsError:  # another run created it just now: read it
                continue
            except OSError as exc:
                return None, f"cannot create the cache key {printable(str(path))}: {exc.strerror or exc}"
            try:
                key = secrets.token_bytes(KEY_BYTES)
                if os.write(fd, key) != KEY_BYTES:
                    return None, f"cannot write the cache key {printable(str(path))}"
            except OSError as exc:
                return None, f"cannot write the cache key {printable(str(path))}: {exc.strerror or exc}"
            finally:
                os.close(fd)
            return key, None
        except OSError as exc:  # ELOOP: the key file is a symbolic link
            return None, f"cannot read the cache key {printable(str(path))}: {exc.strerror or exc}"
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return None, f"the cache key {printable(str(path))} is not a regular file"
            if st.st_mode & 0o077 or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
                return None, f"the cache key {printable(str(path))} is readable or writable by others, or not yours"
            key = os.read(fd, KEY_BYTES + 1)
        except OSError as exc:
            return None, f"cannot read the cache key {printable(str(path))}: {exc.strerror or exc}"
        finally:
            os.close(fd)
        if len(key) != KEY_BYTES:
            return None, f"the cache key {printable(str(path))} is not {KEY_BYTES} bytes"
        return key, None
    return None, f"cannot read or create the cache key {printable(str(path))}"


def _mac(key: bytes, kind: bytes, *parts: bytes) -> str:
    m = hmac.new(key, b"mlbom-osv-cache\0" + kind, hashlib.sha256)
    for part in parts:
        m.update(b"\0" + str(len(part)).encode() + b"\0" + part)
    return m.hexdigest()


def open_database(path: str | Path, *, use_cache: bool = True, progress: Callable[[str], None] | None = None) -> Database:
    """Open an OSV database (folder, zip or one record file), through the cache when it can.

    Raises :class:`InputError` only when ``path`` itself cannot be read; bad records are
    counted in :attr:`Database.stats`.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise InputError(p, f"cannot read the vulnerability database: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(st.st_mode):
        source: _Source = _FolderSource(p)
    elif not stat.S_ISREG(st.st_mode):  # zipfile.is_zipfile would block on a FIFO (red team 44p-3)
        raise InputError(p, "not a regular file or folder (a FIFO, socket or device is not read)")
    elif zipfile.is_zipfile(p):
        source = _ZipSource(p)
    elif p.name.lower().endswith(_SUFFIXES):
        source = _FileSource(p)
    else:
        raise InputError(p, "not a vulnerability database: expected a folder or zip of OSV records, or one .json/.yaml record")
    root = cache_root() / "osv"
    fingerprint = source.fingerprint()
    key, cache_off = load_cache_key() if use_cache else (None, None)
    use_cache = key is not None

    def rebuild() -> tuple[dict[str, Entries], LoadStats]:
        packages, stats = _build(source)
        if key is not None and source.read_digest is not None:  # filed under the digest of the bytes it was built from
            _write_index(key, root, source.read_digest, packages, stats)
        return packages, stats

    digest = _read_fingerprint(key, root, fingerprint) if key is not None and fingerprint else None
    if digest is not None and key is not None:
        db = _read_index(key, root, digest, str(p), rebuild)
        if db is not None:
            return db
    if progress:
        progress(f"hashing {p}")
    digest = source.digest()
    if key is not None:
        db = _read_index(key, root, digest, str(p), rebuild)
        if db is not None:
            if fingerprint:
                _write_fingerprint(key, root, fingerprint, digest)
            return db
    if progress:
        progress(f"indexing {p}")
    packages, stats = _build(source)
    # cached only when the bytes indexed are the bytes digested (a database changed between the
    # two reads is audited as read, and not cached under a digest it does not have)
    if key is not None and source.read_digest == digest:
        _write_index(key, root, digest, packages, stats)
        if fingerprint:
            _write_fingerprint(key, root, fingerprint, digest)
    db = Database(str(p), digest, None, packages, stats, from_cache=False)
    db.cache_off = cache_off
    return db


# ---------------------------------------------------------------------------------------
# Sources: what files a database has and their bytes, bounded.


class _Source:
    read_digest: str | None = None
    """The content digest (the formula of :meth:`digest`) of the bytes :meth:`files` read, once it
    has read them all: the index is filed under it, never under a digest taken by another read."""

    def fingerprint(self) -> str | None:
        """A cheap digest of the listing, or None when only the content digest will do."""
        return None

    def digest(self) -> str:
        raise NotImplementedError

    def files(self, stats: LoadStats, budget: _Budget) -> Iterator[tuple[str, bytes]]:
        raise NotImplementedError


class _FileSource(_Source):
    def __init__(self, path: Path) -> None:
        self.path = path

    def digest(self) -> str:
        data, _ = _bounded_bytes(self.path)
        return _file_digest(data)

    def files(self, stats: LoadStats, budget: _Budget) -> Iterator[tuple[str, bytes]]:
        data = _read_bounded(self.path, stats, self.path.name)
        if data is not None and budget.spend(self.path.name, len(data)):
            yield self.path.name, data
        self.read_digest = _file_digest(data)


class _FolderSource(_Source):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._listing: list[tuple[str, str, int, int]] | None = None
        self.unwalked: list[tuple[str, str]] = []
        """``(folder, why)`` for each sub-folder not walked (red team 119ps-4: a linked ``PyPI/`` of
        a mirror was skipped without a word, and the audit said "0 known vulnerabilities")."""

    def listing(self) -> list[tuple[str, str, int, int]]:
        if self._listing is None:
            out: list[tuple[str, str, int, int]] = []

            def unlisted(exc: OSError) -> None:
                # a sub-folder that cannot be listed is one more not walked (red team 120p-4:
                # os.walk's default drops it silently, and the audit said "0 known")
                where = os.path.relpath(exc.filename or self.path, self.path).replace(os.sep, "/")
                if where == ".":
                    raise InputError(self.path, f"cannot be listed ({exc.strerror or exc})")
                self.unwalked.append((where, f"cannot be listed ({exc.strerror or type(exc).__name__})"))

            for dirpath, dirnames, filenames in os.walk(self.path, onerror=unlisted, followlinks=False):
                prefix = os.path.relpath(dirpath, self.path).replace(os.sep, "/")
                prefix = "" if prefix == "." else prefix + "/"
                walked = []
                for d in sorted(dirnames):
                    if os.path.islink(os.path.join(dirpath, d)):
                        self.unwalked.append((prefix + d, "a symbolic link to a folder (not followed)"))
                    elif d.startswith(".") and d not in _VCS_FOLDERS:
                        self.unwalked.append((prefix + d, "a hidden folder (not walked)"))
                    elif not d.startswith("."):
                        walked.append(d)
                dirnames[:] = walked  # (os.walk lists a link to a folder among the folders, followed or not)
                for fn in sorted(filenames):
                    full = os.path.join(dirpath, fn)
                    if not fn.lower().endswith(_SUFFIXES) or fn.startswith("."):
                        out.append(("", full, -1, 0))  # counted as ignored
                        continue
                    try:
                        st = os.stat(full)
                    except OSError:
                        st = None
                    out.append((prefix + fn, full, st.st_size if st else -2, st.st_mtime_ns if st else 0))
                    if len(out) > MAX_FILES:
                        raise InputError(self.path, f"more than {MAX_FILES} files: not read as a vulnerability database")
            self._listing = out
        return self._listing

    def _unwalked_lines(self, h: hashlib._Hash) -> None:
        """The folders not walked, into a digest (none: the digest is what it always was, so a
        cached index stays valid; some: an index built without noting them is not reused)."""
        for rel, why in self.unwalked:
            h.update(f"unwalked\0{rel}\0{why}\n".encode())

    def fingerprint(self) -> str:
        h = hashlib.sha256(b"folder\0")
        for rel, _, size, mtime in self.listing():
            if rel:
                h.update(f"{rel}\0{size}\0{mtime}\n".encode())
        self._unwalked_lines(h)
        return h.hexdigest()

    def digest(self) -> str:
        h = hashlib.sha256(b"osv-folder 2\0")
        for rel, full, size, _ in self.listing():
            if rel:
                data = _bounded_bytes(full)[0] if 0 <= size <= osv.MAX_RECORD_BYTES else None
                h.update(_folder_line(rel, data))
        self._unwalked_lines(h)
        return h.hexdigest()

    def files(self, stats: LoadStats, budget: _Budget) -> Iterator[tuple[str, bytes]]:
        h = hashlib.sha256(b"osv-folder 2\0")
        listing = self.listing()
        for rel, why in self.unwalked:
            stats.unwalked_folders += 1
            stats.note(rel, why)
        if self.unwalked:
            first = ", ".join(f"{rel} ({why.split(' (')[0]})" for rel, why in self.unwalked[:3])
            more = f" and {len(self.unwalked) - 3} more" if len(self.unwalked) > 3 else ""
            stats.incomplete = (f"{len(self.unwalked)} sub-folder(s) not walked: {first}{more}; the records in "
                                "them are not read")
        for rel, full, _size, _ in listing:
            if not rel:
                stats.ignored_files += 1
                continue
            data = _read_bounded(full, stats, rel)
            h.update(_folder_line(rel, data))
            if data is None:
                continue
            if not budget.spend(rel, len(data)):
                return
            yield rel, data
        self._unwalked_lines(h)
        self.read_digest = h.hexdigest()


class _Budget:
    """What one database may cost, charged against the bytes it is given as (``given``: a zip's
    size, or the record files' bytes as they are read): bytes expanded (:data:`MAX_TOTAL_BYTES`,
    and a zip's members at most :data:`~mlbom.limits.OSV_EXPANSION` times the zip), records and
    parsed nodes (``mlbom.limits.OSV_*``; red team 80c-6). The first charge past a bound sets
    :attr:`LoadStats.incomplete` (why) and the source stops there: the rest is not read."""

    def __init__(self, stats: LoadStats, given: int = 0) -> None:
        self.stats = stats
        self.given = given
        self.total = 0
        self.records = 0
        self.nodes = 0

    def _stop(self, name: str, why: str) -> bool:
        self.stats.skipped += 1
        self.stats.incomplete = f"{why}: the rest (from {name}) is not read"
        self.stats.note(name, self.stats.incomplete)
        return False

    def spend(self, name: str, n: int, *, given: int | None = None) -> bool:
        """``n`` bytes expanded, of ``given`` bytes given (the same, but for a zip's members)."""
        self.given += n if given is None else given
        self.total += n
        if self.total > MAX_TOTAL_BYTES:
            return self._stop(name, f"database larger than {MAX_TOTAL_BYTES >> 30} GiB")
        if given is not None and self.total > limits.OSV_EXPANDED_FLOOR + limits.OSV_EXPANSION * self.given:
            return self._stop(name, f"members expand to more than {limits.OSV_EXPANSION}x the archive's "
                                    f"{self.given} bytes (a zip bomb?)")
        return True

    def parse(self, name: str, records: int, nodes: int) -> bool:
        """A file of ``records`` records and ``nodes`` nodes parsed."""
        self.records += records
        self.nodes += nodes
        if self.records > limits.OSV_RECORDS_FLOOR + self.given // limits.OSV_BYTES_PER_RECORD:
            return self._stop(name, f"more than {limits.OSV_RECORDS_FLOOR} records plus one per "
                                    f"{limits.OSV_BYTES_PER_RECORD} bytes of the database's {self.given}")
        if self.nodes > limits.OSV_NODES_FLOOR + limits.OSV_NODES_PER_BYTE * self.given:
            return self._stop(name, f"more than {limits.OSV_NODES_FLOOR} values plus {limits.OSV_NODES_PER_BYTE} "
                                    f"per byte of the database's {self.given}")
        return True


class _MemorySource(_Source):
    def __init__(self, files: list[tuple[str, bytes]]) -> None:
        self._files = files

    def digest(self) -> str:
        h = hashlib.sha256(b"memory\0")
        for name, data in self._files:
            h.update(f"{name}\0{hashlib.sha256(data).hexdigest()}\n".encode())
        return h.hexdigest()

    def files(self, stats: LoadStats, budget: _Budget) -> Iterator[tuple[str, bytes]]:
        for name, data in self._files:
            if not budget.spend(name, len(data)):
                return
            yield name, data


def database_from_files(name: str, files: list[tuple[str, bytes]]) -> Database:
    """A database from record files held in memory (the OSV API's answers), never cached."""
    source = _MemorySource(files)
    packages, stats = _build(source)
    return Database(name, source.digest(), None, packages, stats, from_cache=False)


class _ZipSource(_Source):
    def __init__(self, path: Path) -> None:
        self.path = path

    def digest(self) -> str:
        with open(self.path, "rb") as fh:
            return "zip-" + _sha256_fh(fh)

    def files(self, stats: LoadStats, budget: _Budget) -> Iterator[tuple[str, bytes]]:
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError(self.path, f"cannot read the vulnerability database: {exc.strerror or exc}") from exc
        with fh:
            budget.given = os.fstat(fh.fileno()).st_size  # what the members are charged against
            yield from self._members(fh, stats, budget)
            # the digest of the descriptor the members were read from (see the module: a file
            # rewritten in place during the read and restored is the residual)
            fh.seek(0)
            self.read_digest = "zip-" + _sha256_fh(fh)

    def _members(self, fh: BinaryIO, stats: LoadStats, budget: _Budget) -> Iterator[tuple[str, bytes]]:
        zf = open_archive(self.path, fh)
        with zf:
            infos = zf.infolist()
            if len(infos) > MAX_FILES:
                raise InputError(self.path, f"more than {MAX_FILES} members: not read as a vulnerability database")
            stored: dict[int, str] = {}  # a member's local header offset: the first name read there
            for info in sorted(infos, key=lambda i: i.filename):
                name = info.filename
                if is_dir(info):
                    continue
                reason = _unsafe_member(info)
                if reason is None and info.header_offset in stored:
                    # red team 93c-3: a central directory listing one stored member 19,000 times
                    reason = f"shares its stored bytes with {stored[info.header_offset]!r}; not read again"
                stored.setdefault(info.header_offset, name)
                if reason is None and not name.lower().endswith(_SUFFIXES):
                    stats.ignored_files += 1
                    continue
                if reason is not None:
                    stats.skipped += 1
                    stats.note(repr(name)[1:-1], reason)
                    continue
                try:
                    data = read_member(zf, info, osv.MAX_RECORD_BYTES, self.path)
                except MemberError as exc:
                    stats.skipped += 1
                    stats.note(name, exc.detail)
                    continue
                if len(data) > osv.MAX_RECORD_BYTES:
                    stats.skipped += 1
                    stats.note(name, f"expands past {osv.MAX_RECORD_BYTES >> 20} MiB (its header said {info.file_size} bytes)")
                    continue
                if not budget.spend(name, len(data), given=0):
                    return
                yield name, data


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if "\0" in name or name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
        return "member name leaves the archive (path traversal); not read"
    if info.flag_bits & 0x1:
        return "encrypted member; not read"
    if name.lower().endswith((".zip", ".tar", ".gz", ".tgz", ".xz", ".bz2")):
        return "nested archive; not read"
    if info.file_size > osv.MAX_RECORD_BYTES:
        return f"{info.file_size} bytes, larger than a record may be"
    if info.file_size > (1 << 20) and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
        return f"expands {info.file_size // max(info.compress_size, 1)}x (a zip bomb?); not read"
    return None


def _bounded_bytes(path: str | Path) -> tuple[bytes | None, str]:
    """A record file's bytes (one read, at most the record bound), or None and why not."""
    try:  # a regular file only: a FIFO named *.json in the folder blocked the run (red team 44p-3)
        data = read_bounded(Path(path), osv.MAX_RECORD_BYTES, head=True)
    except InputError as exc:
        return None, exc.detail
    if len(data) > osv.MAX_RECORD_BYTES:
        return None, f"larger than the {osv.MAX_RECORD_BYTES >> 20} MiB a record may be; not read"
    return data, ""


def _read_bounded(path: str | Path, stats: LoadStats, rel: str) -> bytes | None:
    data, why = _bounded_bytes(path)
    if data is None:
        stats.skipped += 1
        stats.note(rel, why)
    return data


def _folder_line(rel: str, data: bytes | None) -> bytes:
    return f"{rel}\0{hashlib.sha256(data).hexdigest() if data is not None else 'unreadable'}\n".encode()


def _file_digest(data: bytes | None) -> str:
    return hashlib.sha256(b"osv-file\0" + data).hexdigest() if data is not None else hashlib.sha256(b"osv-file-unreadable").hexdigest()


def _sha256_fh(fh: BinaryIO) -> str:
    h = hashlib.sha256()
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------
# Building and caching the index


def _build(source: _Source) -> tuple[dict[str, Entries], LoadStats]:
    stats = LoadStats()
    by_id: dict[str, Record] = {}
    budget = _Budget(stats)
    for name, data in source.files(stats, budget):
        stats.files += 1
        try:
            raws, nodes = osv.parse_counted(data, name)
        except RecordError as exc:
            stats.invalid += 1
            stats.note(name, str(exc))
            continue
        if not budget.parse(name, len(raws), nodes):
            break  # the source is closed unread (and so not cached)
        for i, raw in enumerate(raws):
            where = name if len(raws) == 1 else f"{name}[{i}]"
            stats.records += 1
            if not osv.is_valid(raw):  # yes or no: the reasons are spelled out for the few shown
                stats.invalid += 1
                if len(stats.problems) < MAX_REPORTED:
                    stats.note(where, "not valid OSV: " + "; ".join(osv.schema_problems(raw)))
                continue
            try:
                rec = osv.from_osv(raw, where, checked=True)
            except RecordError as exc:
                stats.invalid += 1
                stats.note(where, str(exc))
                continue
            if not rec.affected:
                stats.other_ecosystem += 1
                continue
            prev = by_id.get(rec.id)
            if prev is not None:
                stats.duplicates += 1
                rec, how = _one_of(prev, rec)
                stats.note(where, f"duplicate id {rec.id} (also in {prev.source}); {how}")
            by_id[rec.id] = rec
    packages: dict[str, list[tuple[Record, tuple[osv.Affected, ...]]]] = {}
    for rec in sorted(by_id.values(), key=lambda r: r.id):
        if rec.withdrawn is not None:
            stats.withdrawn += 1
            continue
        stats.pypi_records += 1
        # one pass over the record's entries: each package gets the record (shared) and its own entries
        own: dict[str, list[osv.Affected]] = {}
        for a in rec.affected:
            own.setdefault(a.name, []).append(a)
        for name in sorted(own):
            packages.setdefault(name, []).append((rec, tuple(own[name])))
    return {k: tuple(v) for k, v in sorted(packages.items())}, stats


def _one_of(a: Record, b: Record) -> tuple[Record, str]:
    """Which of two valid records with one id is kept, and how (red team 95c-1): the one
    ``modified`` later, compared as times (:func:`osv.parse_timestamp`; ``from_osv`` refused any
    record whose ``modified`` is not RFC 3339), never as text. Two modified at the same instant
    cannot be ordered: neither is dropped — the record whose source sorts last gives the text
    fields and both give their affected entries (a version either one calls affected is
    reported), aliases, severity scores and CWEs; it is withdrawn only when both are."""
    ta, tb = osv.parse_timestamp(a.modified), osv.parse_timestamp(b.modified)
    if ta is not None and tb is not None and ta != tb:
        return (a if ta > tb else b), "the most recently modified is kept"
    base, other = (a, b) if a.source >= b.source else (b, a)
    return replace(
        base, affected=tuple(dict.fromkeys(base.affected + other.affected)),
        aliases=tuple(sorted(set(base.aliases) | set(other.aliases))),
        severity=tuple(dict.fromkeys(base.severity + other.severity)),
        cwes=tuple(sorted(set(base.cwes) | set(other.cwes))),
        withdrawn=base.withdrawn if base.withdrawn is not None and other.withdrawn is not None else None,
    ), "both were modified at the same time: their affected entries are merged"


def _index_path(root: Path, digest: str) -> Path:
    return root / f"index-{digest}.bin"


def _write_index(key: bytes, root: Path, digest: str, packages: dict[str, Entries], stats: LoadStats) -> None:
    # each record once (``records``); a package names it by number, with the numbers of its own
    # entries: the file is linear in the records however many packages share one (red team 92c-3)
    number: dict[int, tuple[int, dict[int, int]]] = {}
    records: list[object] = []
    refs: dict[str, list[object]] = {}
    for name, entries in packages.items():
        out = refs[name] = []
        for rec, own in entries:
            got = number.get(id(rec))
            if got is None:
                got = number[id(rec)] = (len(records), {id(a): i for i, a in enumerate(rec.affected)})
                records.append(rec.to_compact())
            out.append([got[0], [got[1][id(a)] for a in own]])
    payload = orjson.dumps({"stats": stats.to_json(), "records": records, "packages": refs})
    header = orjson.dumps({"digest": digest, "mac": _mac(key, b"index", digest.encode(), payload),
                           "payload_bytes": len(payload)})
    _atomic_write(_index_path(root, digest), INDEX_FORMAT + header + b"\n" + payload)


def read_index_bytes(path: Path) -> bytes | None:
    """The index file's bytes (bounded), or None. Split out so the benchmark measures the floor."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_INDEX_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_INDEX_BYTES else None


def _read_index(key: bytes, root: Path, digest: str, name: str,
                rebuild: Callable[[], tuple[dict[str, Entries], LoadStats]]) -> Database | None:
    data = read_index_bytes(_index_path(root, digest))
    if data is None or not data.startswith(INDEX_FORMAT):
        return None
    try:
        head_end = data.index(b"\n", len(INDEX_FORMAT))
        header = orjson.loads(data[len(INDEX_FORMAT):head_end])
        payload = data[head_end + 1:]
        mac = header.get("mac") if isinstance(header, dict) else None
        if (not isinstance(header, dict) or header.get("digest") != digest or header.get("payload_bytes") != len(payload)
                or not isinstance(mac, str) or not mac.isascii()
                or not hmac.compare_digest(mac, _mac(key, b"index", digest.encode(), payload))):
            return None  # not written by this user's mlbom for this database: rebuilt
        body = orjson.loads(payload)
        if not isinstance(body, dict) or not isinstance(body.get("packages"), dict) \
                or not isinstance(body.get("records"), list):
            return None
        stats = LoadStats.from_json(body.get("stats"))
        raw: dict[str, list[object]] = {}
        for pkg, items in body["packages"].items():
            if not isinstance(items, list):
                return None
            raw[pkg] = items
    except (ValueError, RecordError, orjson.JSONDecodeError):
        return None
    return Database(name, digest, (body["records"], raw), None, stats, from_cache=True, rebuild=rebuild)


def _read_fingerprint(key: bytes, root: Path, fingerprint: str) -> str | None:
    try:
        with open(root / f"fp-{fingerprint}", "rb") as fh:
            text = fh.read(512).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    digest, _, mac = text.partition(" ")
    if not _HEX64.fullmatch(digest.removeprefix("zip-")) or \
            not hmac.compare_digest(mac, _mac(key, b"fingerprint", fingerprint.encode(), digest.encode())):
        return None
    return digest


def _write_fingerprint(key: bytes, root: Path, fingerprint: str, digest: str) -> None:
    _atomic_write(root / f"fp-{fingerprint}", f"{digest} {_mac(key, b'fingerprint', fingerprint.encode(), digest.encode())}"
                  .encode("ascii"))


def _atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename; a cache that cannot be written is simply not kept."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass
