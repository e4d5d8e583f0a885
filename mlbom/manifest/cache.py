"""The incremental hash cache: SQLite, keyed by a file's device, inode, size, mtime_ns and
ctime_ns, so that a re-run over an unchanged dataset only stats its files. Two tables: one row
per folder (:class:`FolderRecord`: its files' names, keys, digests and formats, compared whole
on a re-run) and one row per file (for a folder that differs from its record, and for what goes
file by file).

Threat model (docs/manifests.md): the cache is a convenience, not evidence. Anyone who can
write the cache file can make ``generate`` record a digest the file does not have, and a file
changed without changing any key (a filesystem that does not update ctime, a clock set back and
an inode reused with the same size) is not re-hashed. So the cache lives in the user's own cache
folder (mode 0600), ``--no-cache`` turns it off, and ``verify`` never reads it: verification
always re-hashes. A corrupt or foreign database is rebuilt with a warning, never trusted and
never fatal (a row whose digest is not 64 lower-case hex characters of type text, or whose
format is not a plain format name, is a miss); any later database error turns the cache off
for the run, with a warning. The database is never opened through a symbolic link (red team
122g-2: a checkout's ``hashes.sqlite3 -> app.db`` had mlbom add its tables to a foreign database
and switch it to WAL): when ``hashes.sqlite3`` or its ``-wal``, ``-shm`` or ``-journal`` file is a
link or not a regular file, the cache is not used for the run (a warning), and nothing is changed.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

SCHEMA = 4
"""2: per-folder records (``folders``) beside the per-file rows. 3: formats as
:func:`mlbom.formats.datafile.detect` reads them since pickles are recognised before any media
signature (a format cached by an older detector could leave a pickle unscanned). 4: a pickle walk
that reaches the end of a file's first 4 KiB is a pickle (red team 111pa-5). Bump it whenever
``detect`` changes what it returns for some bytes."""
FILE_NAME = "hashes.sqlite3"
Key = tuple[int, int, int, int, int]
"""(st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns)"""


_HEX64 = re.compile(r"[0-9a-f]{64}")
_FMT = re.compile(r"[a-z0-9][a-z0-9._+-]{0,31}")
"""A detected format name as mlbom writes one (``parquet``, ``jsonl``): anything else read from
the cache (SQLite columns are not typed: a BLOB, a number, ``é`` or a ``"``) is a miss."""


def _digest_ok(value: object) -> bool:
    return type(value) is str and _HEX64.fullmatch(value) is not None


def _fmt_ok(value: object, *, empty: bool = False) -> bool:
    if value is None:
        return not empty
    return type(value) is str and ((empty and value == "") or _FMT.fullmatch(value) is not None)


class FolderRecord(NamedTuple):
    """What the cache holds for one folder's regular files, in walk order, packed (one row per
    folder: a re-run compares a folder's listing and stat keys with it in a few C-speed
    operations instead of a lookup per file). ``names``: the names joined by NUL, UTF-8 with
    surrogate escapes; ``keys``: each file's :data:`Key` as five signed 64-bit integers
    (native byte order); ``digests``: each file's SHA-256, 32 bytes; ``fmts``: each file's
    detected format joined by NUL ("" where none was detected)."""

    names: bytes
    keys: bytes
    digests: bytes
    fmts: str


class CacheWarning(UserWarning):
    """The hash cache could not be used as it was (corrupt, unwritable); the run goes on."""


def default_dir() -> Path:
    """``$XDG_CACHE_HOME/mlbom`` (else ``~/.cache/mlbom``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlbom"


def _warn(message: str) -> None:
    warnings.warn(message, CacheWarning, stacklevel=3)


class HashCache:
    """Digests (and detected data formats) of files by :data:`Key`. Thread-safe for lookups
    (one connection per thread); :meth:`store` and :meth:`close` come from one thread."""

    def __init__(self, folder: Path, *, warn: Callable[[str], None] = _warn) -> None:
        self.path = folder / FILE_NAME
        self._warn = warn
        self._local = threading.local()
        self._pending: list[tuple[int, int, int, int, int, str, str | None]] = []
        self._pending_folders: list[tuple[int, int, bytes, bytes, bytes, str]] = []
        self._pending_folder_files = 0
        self.enabled = True
        self.hits = 0
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._refuse_links()
            self._writer = self._open_checked()
        except (OSError, sqlite3.Error) as exc:
            self._warn(f"hash cache {self.path}: cannot be used ({exc}); hashing without it")
            self.enabled = False

    def _refuse_links(self) -> None:
        """Raise OSError when the database or one of its companion files is a symbolic link or
        not a regular file; create the database (mode 0600) without following a link."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            name = str(self.path) + suffix
            try:
                st = os.lstat(name)
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(st.st_mode):
                raise OSError(f"{os.path.basename(name)} is a symbolic link (not followed)")
            if not stat.S_ISREG(st.st_mode):
                raise OSError(f"{os.path.basename(name)} is not a regular file")
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
            | getattr(os, "O_CLOEXEC", 0)
        os.close(os.open(self.path, flags, 0o600))  # a link put there since the check: ELOOP, no cache

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        con.execute("PRAGMA busy_timeout=30000")
        return con

    def _open_checked(self) -> sqlite3.Connection:
        fresh = os.path.getsize(self.path) == 0
        try:
            con = self._init(self._connect())
        except sqlite3.DatabaseError as exc:
            self._warn(f"hash cache {self.path} is corrupt or not mlbom's ({exc}): rebuilt")
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(str(self.path) + suffix)
            fresh = True
            self._refuse_links()
            con = self._init(self._connect())
        if fresh:
            os.chmod(self.path, 0o600)
        return con

    @staticmethod
    def _init(con: sqlite3.Connection) -> sqlite3.Connection:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        con.execute("CREATE TABLE IF NOT EXISTS files (dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL, "
                    "mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, fmt TEXT, "
                    "PRIMARY KEY (dev, ino)) WITHOUT ROWID")
        con.execute("CREATE TABLE IF NOT EXISTS folders (dev INTEGER NOT NULL, ino INTEGER NOT NULL, names BLOB NOT NULL, "
                    "keys BLOB NOT NULL, digests BLOB NOT NULL, fmts TEXT NOT NULL, PRIMARY KEY (dev, ino))")
        row = con.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None:
            con.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
        elif row[0] != str(SCHEMA):
            raise sqlite3.DatabaseError(f"schema {row[0]!r}, not {SCHEMA}")
        con.execute("PRAGMA quick_check(1)").fetchone()
        return con

    def _disable(self, exc: Exception) -> None:
        if self.enabled:
            self.enabled = False
            self._warn(f"hash cache {self.path}: {exc}; hashing without it for the rest of this run")

    def lookup(self, keys: Sequence[Key]) -> list[tuple[str, str | None] | None]:
        """For each key, ``(sha256, fmt)`` when the cache holds exactly that key, else None."""
        out: list[tuple[str, str | None] | None] = [None] * len(keys)
        if not self.enabled or not keys:
            return out
        try:
            con: sqlite3.Connection | None = getattr(self._local, "con", None)
            if con is None:
                con = self._local.con = self._connect()
            found: dict[tuple[int, int], tuple[int, int, int, str, str | None]] = {}
            by_dev: dict[int, list[int]] = {}
            for k in keys:
                by_dev.setdefault(k[0], []).append(k[1])
            for dev, inodes in by_dev.items():  # (dev, ino) is the primary key: an index lookup per file
                for lo in range(0, len(inodes), 500):
                    part = inodes[lo:lo + 500]
                    marks = ",".join("?" * len(part))
                    found.update(((dev, row[0]), row[1:]) for row in con.execute(
                        f"SELECT ino, size, mtime_ns, ctime_ns, sha256, fmt FROM files WHERE dev = ? AND ino IN ({marks})",
                        [dev, *part]))
        except (sqlite3.Error, OverflowError) as exc:  # OverflowError: an inode number past 2**63
            self._disable(exc)
            return out
        for i, k in enumerate(keys):
            row = found.get((k[0], k[1]))
            # a hit only for a lower-case hex str digest and a plain format name (hostile rows miss)
            if row is not None and row[:3] == k[2:] and _digest_ok(row[3]) and _fmt_ok(row[4]):
                out[i] = (row[3], row[4])
                self.hits += 1
        return out

    def folder(self, dev: int, ino: int) -> FolderRecord | None:
        """The record of the folder ``(dev, ino)``, or None (none, or not of the expected types)."""
        if not self.enabled:
            return None
        try:
            con: sqlite3.Connection | None = getattr(self._local, "con", None)
            if con is None:
                con = self._local.con = self._connect()
            # as bytes whatever was stored: a value of another type is a miss, not a decoding error
            row = con.execute("SELECT CAST(names AS BLOB), CAST(keys AS BLOB), CAST(digests AS BLOB), CAST(fmts AS BLOB) "
                              "FROM folders WHERE dev = ? AND ino = ?", (dev, ino)).fetchone()
        except (sqlite3.Error, OverflowError) as exc:
            self._disable(exc)
            return None
        if row is None or not all(isinstance(v, bytes) for v in row):
            return None
        try:
            fmts = row[3].decode("ascii")
        except UnicodeDecodeError:
            return None
        if not all(_fmt_ok(f, empty=True) for f in fmts.split("\0")):
            return None
        return FolderRecord(row[0], row[1], row[2], fmts)

    def store_folder(self, dev: int, ino: int, record: FolderRecord) -> None:
        """Remember a folder's record (written in batches, with the per-file rows)."""
        if self.enabled:
            self._pending_folders.append((dev, ino, *record))
            self._pending_folder_files += len(record.digests) // 32
            if self._pending_folder_files >= 100_000:
                self.flush()

    def store(self, key: Key, sha256: str, fmt: str | None = None) -> None:
        """Remember a digest (written in batches)."""
        if self.enabled:
            self._pending.append((*key, sha256, fmt))
            if len(self._pending) >= 20_000:
                self.flush()

    def flush(self) -> None:
        if self.enabled and (self._pending or self._pending_folders):
            try:
                with self._writer:
                    self._writer.execute("BEGIN")
                    self._writer.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)", self._pending)
                    self._writer.executemany("INSERT OR REPLACE INTO folders VALUES (?, ?, ?, ?, ?, ?)", self._pending_folders)
            except (sqlite3.Error, OverflowError) as exc:
                self._disable(exc)
        self._pending.clear()
        self._pending_folders.clear()
        self._pending_folder_files = 0

    def close(self) -> None:
        self.flush()
        if hasattr(self, "_writer"):
            self._writer.close()
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()


def open_cache(folder: Path | None, *, enabled: bool = True) -> HashCache | None:
    """The cache in ``folder`` (default :func:`default_dir`), or None when turned off."""
    if not enabled:
        return None
    return HashCache(folder or default_dir())
