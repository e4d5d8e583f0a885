"""Streaming walk → hash → write. Files come from :func:`mlbom.fswalk.iter_files` in manifest
order and are hashed in batches on a bounded window of worker processes (per-file work is a
handful of system calls; a batch amortises the hand-off), so memory does not grow with the
number of files. The hash cache is consulted a folder at a time (:func:`hash_runs`: one record
per folder, compared whole) and otherwise per batch with one query.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import operator
import os
import struct
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import NamedTuple, cast

from mlbom.errors import InputError, UsageError
from mlbom.fswalk import FileRun, iter_files, iter_runs
from mlbom.hashing import StableRow, StatKey, default_workers, stable_rows, stat_key
from mlbom.manifest.cache import FolderRecord, HashCache
from mlbom.manifest.format import Entry, Header, Written, own_paths, path_key, read_shard, root_problem, shard_of, writing
from mlbom.model import Finding

BATCH = 1024


class Hashed(NamedTuple):
    """One walked file: its digest, size and :data:`StatKey` (``key`` when a cache is
    used or keys were asked for), or why not (``error``; ``changed`` when it changed while hashed); its format when a
    detector was given; ``cached`` when the digest came from the hash cache. Flat: one is made
    per file."""

    rel: str
    path: str
    sha256: str | None
    size: int | None
    key: StatKey | None
    fmt: str | None
    error: str | None = None
    changed: bool = False
    cached: bool = False

    def entry(self) -> Entry:
        return Entry(self.rel, self.size, self.sha256, None if self.sha256 else self.error)


_new = tuple.__new__  # Hashed from a row without the keyword handling of Hashed(...): once per file
_NO_KEY: StatKey = (-1, -1, -1, -1, -1)  # a file that cannot be stat-ed: never in the cache


_ToHash = tuple[str, str] | tuple[str, str, StatKey]
"""A file to hash: ``(rel, path)``, or ``(rel, path, key)`` when its :data:`StatKey` was just
taken (by :func:`hash_runs`: not stat-ed again)."""


def _cached(items: list[_ToHash], cache: HashCache, detect: Callable[[bytes], str] | None) -> list[Hashed | None]:
    """The batch's cache hits (one query for the batch); None where the file must be hashed."""
    keys: list[StatKey] = []
    append = keys.append
    for item in items:  # once per file of a warm re-run: no context manager per file
        if len(item) > 2:
            append(item[2])
            continue
        try:
            append(stat_key(os.stat(item[1])))
        except OSError:
            append(_NO_KEY)
    hits = cache.lookup(keys)
    return [_new(Hashed, (item[0], item[1], hit[0], key[2], key, hit[1], None, False, True))
            if hit is not None and key is not _NO_KEY and (detect is None or hit[1] is not None) else None
            for item, key, hit in zip(items, keys, hits, strict=True)]


def _rows(paths: list[str], detect: Callable[[bytes], str] | None, keys: bool) -> list[StableRow]:
    """Hash a batch (in a worker process or here): plain tuples, which cross a process
    boundary for a fraction of what objects cost."""
    return stable_rows(paths, detect, keys=keys)


def hash_stream(items: Iterable[tuple[str, str]], *, cache: HashCache | None = None, workers: int | None = None,
                detect: Callable[[bytes], str] | None = None,
                advance: Callable[[int], None] | None = None, keys: bool = False) -> Iterator[Hashed]:
    """Hash ``(rel, path)`` items, yielding results in input order. The cache is asked here,
    one query per batch of :data:`BATCH` files (a warm re-run only stats); the misses go to
    worker *processes* (small files are a few system calls each, and threads would serialise
    on the interpreter lock) as a list of paths, and come back as a list of plain tuples, at
    most ``3 × workers`` batches in flight, so memory stays flat. New digests go into
    ``cache``; ``advance`` gets bytes hashed (once per batch). ``detect`` (a module-level
    function: it crosses to the workers) gives each file's format from its first bytes. ``keys``
    asks for every file's :data:`StatKey` also without a cache (to tell later whether it changed)."""
    yield from cast(Iterator[Hashed], _stream(items, cache=cache, workers=workers, detect=detect, advance=advance, keys=keys))


class CachedRun(NamedTuple):
    """A :class:`~mlbom.fswalk.FileRun` whose files all matched their folder's cache record:
    names and sizes from this run's listing and ``stat`` (keys equal to the record's), digests
    and formats from the record (``""``: none detected). One is made per run, not per file."""

    prefix: str
    base: str
    names: list[str]
    keys: list[StatKey]
    shas: list[str]
    fmts: list[str]

    def sizes(self) -> list[int]:
        return list(map(_SIZE, self.keys))

    def total(self) -> int:
        return sum(map(_SIZE, self.keys))

    def hashed(self) -> Iterator[Hashed]:
        """The run as one :class:`Hashed` per file (for a caller that needs each file)."""
        prefix, base = self.prefix, self.base
        for name, key, sha, fmt in zip(self.names, self.keys, self.shas, self.fmts, strict=True):
            yield _new(Hashed, (prefix + name, base + name, sha, key[2], key, fmt or None, None, False, True))


_SIZE = operator.itemgetter(2)
_Element = _ToHash | Hashed | CachedRun
"""What :func:`_stream` takes: a file to hash ``(rel, path)``, or a result already known
(passed through in its place)."""


def _stream(items: Iterable[_Element], *, cache: HashCache | None, workers: int | None,
            detect: Callable[[bytes], str] | None, advance: Callable[[int], None] | None,
            keys: bool) -> Iterator[Hashed | CachedRun]:
    """:func:`hash_stream` over files to hash and results already known, in input order."""
    n = workers or default_workers()
    use_cache = cache is not None and cache.enabled
    want_keys = use_cache or keys
    it = iter(items)

    def batches() -> Iterator[list[_Element]]:
        """Chunks of about :data:`BATCH` files (a known run counts its files)."""
        chunk: list[_Element] = []
        weight = 0
        for x in it:
            chunk.append(x)
            weight += len(x.names) if type(x) is CachedRun else 1
            if weight >= BATCH:
                yield chunk
                chunk, weight = [], 0
        if chunk:
            yield chunk

    chunks = batches()
    first = list(itertools.islice(chunks, 2))

    def split(chunk: list[_Element]) -> tuple[list[Hashed | CachedRun | None] | None, list[str]]:
        """(per element: the known result or cache hit, else None — or None for all when
        there is nothing known; the paths to hash)."""
        loose = cast(list[_ToHash], [x for x in chunk if type(x) is tuple])
        if len(loose) == len(chunk) and not use_cache:
            return None, [x[1] for x in loose]
        hits = iter(_cached(loose, cache, detect) if use_cache and cache is not None and loose else [None] * len(loose))
        known: list[Hashed | CachedRun | None] = [next(hits) if type(x) is tuple else x for x in chunk]  # type: ignore[misc]
        return known, [x[1] for x, k in zip(chunk, known, strict=True) if k is None]

    def joined(chunk: list[_Element], known: list[Hashed | CachedRun | None] | None,
               rows: list[StableRow]) -> list[Hashed | CachedRun]:
        if known is None:
            done: list[Hashed | CachedRun] = [_new(Hashed, (x[0], x[1], *row, False))
                                              for x, row in zip(chunk, rows, strict=True)]
        else:
            fresh = iter(rows)
            done = [k if k is not None else _new(Hashed, (x[0], x[1], *next(fresh), False))
                    for x, k in zip(chunk, known, strict=True)]
        if use_cache:
            assert cache is not None
            for h in done:
                if type(h) is Hashed and not h.cached and h.sha256 is not None and h.key is not None:
                    cache.store(h.key, h.sha256, h.fmt)
        if advance is not None:
            advance(sum(h.total() if isinstance(h, CachedRun) else h.size or 0 for h in done))
        return done

    few = len(first) < 2 or sum(len(x.names) if type(x) is CachedRun else 1 for c in first for x in c) < 2 * BATCH
    if n <= 1 or few:  # a few files: starting workers costs more
        for chunk in itertools.chain(first, chunks):
            known, todo = split(chunk)
            yield from joined(chunk, known, _rows(todo, detect, want_keys) if todo else [])
        return
    # fork: the workers run one pure function and need nothing re-imported (forkserver and spawn
    # would re-run a library user's unguarded __main__)
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    pool: ProcessPoolExecutor | None = None  # started at the first batch worth it: a warm re-run may need none
    try:
        window: deque[tuple[list[_Element], list[Hashed | CachedRun | None] | None,
                            Future[list[StableRow]] | list[StableRow]]] = deque()
        for chunk in itertools.chain(first, chunks):
            known, todo = split(chunk)
            work: Future[list[StableRow]] | list[StableRow]
            if len(todo) < _IN_PROCESS:
                work = _rows(todo, detect, want_keys) if todo else []
            else:
                if pool is None:
                    pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx)
                work = pool.submit(_rows, todo, detect, want_keys)
            window.append((chunk, known, work))
            while window and (len(window) >= 3 * n or isinstance(window[0][2], list)):
                done_chunk, done_known, w = window.popleft()
                yield from joined(done_chunk, done_known, w if isinstance(w, list) else w.result())
        while window:
            done_chunk, done_known, w = window.popleft()
            yield from joined(done_chunk, done_known, w if isinstance(w, list) else w.result())
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


_IN_PROCESS = 32
"""A batch with fewer files to hash than this is hashed here, not handed to a worker."""


# ---- per-folder cache records: a warm re-run a folder at a time -------------------------------

MAX_RECORD = 50_000
"""Most files of one folder kept as one cache record (a larger folder goes file by file)."""

_KEY = operator.attrgetter("st_dev", "st_ino", "st_size", "st_mtime_ns", "st_ctime_ns")
"""A stat result's :data:`StatKey` (one C call per file, mapped over a folder)."""


class _Folder:
    """A folder being hashed through its cache record: its identity, its files' keys as
    stat-ed now and, when the record did not match, the results gathered for a new one."""

    __slots__ = ("dev", "got", "ino", "keys", "known", "names", "run")

    def __init__(self, dev: int, ino: int, names: list[str], keys: list[StatKey] | None) -> None:
        self.dev, self.ino, self.names, self.keys = dev, ino, names, keys
        self.run: tuple[list[str], list[str]] | None = None  # (shas, fmts) when every file matched
        self.known: dict[str, tuple[StatKey, str, str]] = {}  # else the record's files by name
        self.got: list[tuple[StatKey | None, str | None, str | None]] = []


def _pack_keys(keys: list[StatKey]) -> bytes:
    """Keys as signed 64-bit integers, native byte order (:class:`FolderRecord`); raises
    :class:`struct.error` for a number that does not fit."""
    return struct.pack(f"={5 * len(keys)}q", *itertools.chain.from_iterable(keys))


def _unpack(record: FolderRecord, n: int) -> tuple[list[str], list[StatKey], list[str], list[str]] | None:
    """A record's (names, keys, shas, fmts), or None when its parts disagree in length."""
    names = record.names.decode("utf-8", "surrogateescape").split("\0")
    fmts = record.fmts.split("\0")
    if len(record.keys) % 40 or len(record.digests) != 32 * len(names) or len(fmts) != len(names) \
            or len(record.keys) != 40 * len(names) or len(names) > max(n, MAX_RECORD):
        return None
    flat = struct.unpack(f"={len(record.keys) // 8}q", record.keys)
    keys: list[StatKey] = list(zip(flat[0::5], flat[1::5], flat[2::5], flat[3::5], flat[4::5], strict=True))
    shas = record.digests.hex(" ", 32).split(" ")
    return names, keys, shas, fmts


def _open_folder(run: FileRun, cache: HashCache, detect: Callable[[bytes], str] | None) -> _Folder | None:
    """The folder's state: without a record, its files go the per-file way and make one
    (``keys`` None); with one, every file is stat-ed (a C-speed map per folder) and compared
    with it (:func:`_match`). None when the folder goes file by file without a record (too
    large, cannot be stat-ed)."""
    names = run.names
    if len(names) > MAX_RECORD:
        return None
    try:
        st = os.stat(run.folder)
    except OSError:
        return None
    folder = _Folder(st.st_dev, st.st_ino, names, None)
    record = cache.folder(folder.dev, folder.ino)
    if record is not None:
        try:
            folder.keys = list(map(_KEY, map(os.stat, map(run.base().__add__, names))))
        except OSError:  # a file gone since the listing: each file is stat-ed on its own
            return folder
        _match(folder, record, detect)
    return folder


def _match(folder: _Folder, record: FolderRecord, detect: Callable[[bytes], str] | None) -> None:
    """Compare the folder with its record: every name and key equal (two byte-string
    comparisons) sets ``folder.run``; else ``folder.known`` holds the record's files by name
    (a file whose five keys are the record's may skip hashing)."""
    assert folder.keys is not None
    try:
        packed = _pack_keys(folder.keys)
    except struct.error:
        return
    n = len(folder.names)
    if record.keys == packed and len(record.digests) == 32 * n \
            and record.names == "\0".join(folder.names).encode("utf-8", "surrogateescape"):
        fmts = record.fmts.split("\0")
        if len(fmts) == n and (detect is None or "" not in fmts):
            folder.run = record.digests.hex(" ", 32).split(" "), fmts
            return
    parts = _unpack(record, n)
    if parts is not None:
        folder.known = {name: (key, sha, fmt) for name, key, sha, fmt in zip(*parts, strict=True)}


def hash_runs(runs: Iterable[FileRun], *, cache: HashCache | None = None, workers: int | None = None,
              detect: Callable[[bytes], str] | None = None, advance: Callable[[int], None] | None = None,
              skip: frozenset[str] = frozenset()) -> Iterator[Hashed | CachedRun]:
    """:func:`hash_stream` over the walk's runs, asking the cache a folder at a time: a folder
    whose listing and every file's five keys equal its record (one row per folder) yields
    :class:`CachedRun` s, with no step per file in Python beyond the ``stat``; in a folder that
    differs, a file whose name and keys are the record's is a hit, the others go the per-file
    way (lookup, then hashing), and the folder's record is written anew once all its files are
    done. ``skip``: relative paths left out (the manifest being written); their folder goes
    file by file. Without a cache: :func:`hash_stream`."""
    if cache is None or not cache.enabled:
        items = (x for run in runs for x in run.items() if not skip or x[0] not in skip)
        yield from hash_stream(items, cache=cache, workers=workers, detect=detect, advance=advance)
        return
    owners: deque[_Folder | None] = deque()
    open_folders: dict[int, _Folder | None] = {}

    def elements() -> Iterator[_Element]:
        for run in runs:
            key = id(run.names)
            if run.lo == 0:
                folder = None
                if not (skip and any(s.startswith(run.prefix) and "/" not in s[len(run.prefix):] for s in skip)):
                    folder = _open_folder(run, cache, detect)
                open_folders[key] = folder
            folder = open_folders[key]
            if run.hi == len(run.names):
                del open_folders[key]
            if folder is None:
                for x in run.items():
                    if not skip or x[0] not in skip:
                        owners.append(None)
                        yield x
                continue
            if folder.keys is None:  # no record (or a file gone): file by file, then a record
                for x in run.items():
                    owners.append(folder)
                    yield x
                continue
            if folder.run is not None:
                shas, fmts = folder.run
                lo, hi = run.lo, run.hi
                owners.append(None)
                cache.hits += hi - lo
                yield CachedRun(run.prefix, run.base(), run.names[lo:hi], folder.keys[lo:hi], shas[lo:hi], fmts[lo:hi])
                continue
            known = folder.known
            prefix, base = run.prefix, run.base()
            for i in range(run.lo, run.hi):
                name = run.names[i]
                owners.append(folder)
                hit = known.get(name)
                now = folder.keys[i]
                if hit is not None and hit[0] == now and (detect is None or hit[2]):
                    cache.hits += 1
                    yield _new(Hashed, (prefix + name, base + name, hit[1], now[2], now, hit[2] or None, None, False, True))
                else:
                    yield prefix + name, base + name, now

    for h in _stream(elements(), cache=cache, workers=workers, detect=detect, advance=advance, keys=False):
        folder = owners.popleft()
        if folder is not None:
            assert type(h) is Hashed
            folder.got.append((h.key, h.sha256, h.fmt))
            if len(folder.got) == len(folder.names):
                _store_record(folder, cache)
        yield h


def _store_record(folder: _Folder, cache: HashCache) -> None:
    """A folder's new record, when every file of it has a digest and a key."""
    got = folder.got
    folder.got = []
    if any(key is None or sha is None for key, sha, _ in got):
        return
    try:
        packed = _pack_keys([key for key, _, _ in got])  # type: ignore[misc]
    except struct.error:
        return
    cache.store_folder(folder.dev, folder.ino, FolderRecord(
        "\0".join(folder.names).encode("utf-8", "surrogateescape"), packed,
        bytes.fromhex("".join(sha for _, sha, _ in got)),  # type: ignore[misc]
        "\0".join(fmt or "" for _, _, fmt in got)))


def listing_digest(root: Path, skip: frozenset[str] = frozenset()) -> tuple[str, int]:
    """SHA-256 over every path of the folder (one per line, manifest order) and the count: what
    shards of one folder agree on. ``skip``: paths left out (the manifest being written,
    :func:`~mlbom.manifest.format.own_paths`)."""
    h = hashlib.sha256()
    n = 0
    for rel, _ in iter_files(root):
        if rel in skip:
            continue
        h.update(path_key(rel) + b"\n")
        n += 1
    return h.hexdigest(), n


def parse_shard(text: str) -> tuple[int, int]:
    """``I/N`` (1 ≤ I ≤ N) as a pair (:func:`~mlbom.manifest.format.read_shard`), or a
    :class:`UsageError`."""
    part = read_shard(text)
    if part is None:
        raise UsageError("expected I/N with 1 ≤ I ≤ N (e.g. 3/8)", option="shard", value=text[:40])
    return part


def build_manifest(root: Path, output: Path, *, shard: tuple[int, int] | None = None, cache: HashCache | None = None,
                   workers: int | None = None, on_finding: Callable[[Finding], None] | None = None,
                   advance: Callable[[int], None] | None = None) -> Written:
    """Write the manifest (or shard ``(I, N)`` of it) of the folder ``root`` to ``output``.
    What the walk cannot read goes to ``on_finding``; a file that cannot be hashed, or changes
    while hashed, is an error line (and counted in ``Written.failed``)."""
    if not root.is_dir():
        raise InputError(root, "no such folder" if not root.exists() else "not a folder")
    name = root.resolve().name
    if (why := root_problem(name)) is not None:
        raise InputError(root, f"the folder's name {name[:80]!r} {why}: a manifest's root is one plain folder name")
    header = Header(name)
    skip = own_paths(root, output)  # the manifest never lists itself nor its temporary file (96c-3)
    if shard is not None:
        listing, total = listing_digest(root, skip)
        header = Header(name, shard, total, listing)
    try:
        with writing(output, header) as writer:  # the cache is the caller's: flushed here, not closed
            add = writer.add_file
            if shard is not None:  # a shard is a share of the paths, not of the folders: file by file
                i, n = shard
                files = ((rel, p) for rel, p in iter_files(root, on_finding=on_finding)
                         if shard_of(rel, n) == i and rel not in skip)
                for h in hash_stream(files, cache=cache, workers=workers, advance=advance):
                    add(h.rel, h.size, h.sha256, h.error)
            else:
                for x in hash_runs(iter_runs(root, on_finding=on_finding), cache=cache, workers=workers, advance=advance,
                                   skip=skip):
                    if isinstance(x, CachedRun):
                        writer.add_run(x.prefix, x.names, x.sizes(), x.shas)
                    else:
                        add(x.rel, x.size, x.sha256, x.error)
        return writer.close()
    finally:
        if cache is not None:
            cache.flush()
