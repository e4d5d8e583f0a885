"""Streaming walk → hash → write. Files come from :func:`mlbom.fswalk.iter_files` in manifest
order and are hashed in batches on a bounded window of worker processes (per-file work is a
handful of system calls; a batch amortises the hand-off), so memory does not grow with the
number of files. The hash cache is consulted per batch with one query.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import NamedTuple

from mlbom.errors import InputError, UsageError
from mlbom.fswalk import iter_files
from mlbom.hashing import StableRow, StatKey, default_workers, stable_rows, stat_key
from mlbom.manifest.cache import HashCache
from mlbom.manifest.format import Entry, Header, Written, path_key, shard_of, writing
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


def _cached(items: list[tuple[str, str]], cache: HashCache,
            detect: Callable[[bytes], str] | None) -> list[Hashed | None]:
    """The batch's cache hits (one query for the batch); None where the file must be hashed."""
    keys: list[StatKey] = []
    append = keys.append
    for _, path in items:  # once per file of a warm re-run: no context manager per file
        try:
            append(stat_key(os.stat(path)))
        except OSError:
            append(_NO_KEY)
    hits = cache.lookup(keys)
    return [_new(Hashed, (rel, path, hit[0], key[2], key, hit[1], None, False, True))
            if hit is not None and key is not _NO_KEY and (detect is None or hit[1] is not None) else None
            for (rel, path), key, hit in zip(items, keys, hits, strict=True)]


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
    n = workers or default_workers()
    use_cache = cache is not None and cache.enabled
    want_keys = use_cache or keys
    it = iter(items)

    def batches() -> Iterator[list[tuple[str, str]]]:
        while True:
            chunk = list(itertools.islice(it, BATCH))
            if not chunk:
                return
            yield chunk

    chunks = batches()
    first = list(itertools.islice(chunks, 2))

    def split(chunk: list[tuple[str, str]]) -> tuple[list[Hashed | None] | None, list[str]]:
        """(cache hits, or None without a cache; the paths to hash)."""
        if not use_cache:
            return None, [p for _, p in chunk]
        assert cache is not None
        hits = _cached(chunk, cache, detect)
        return hits, [p for (_, p), h in zip(chunk, hits, strict=True) if h is None]

    def joined(chunk: list[tuple[str, str]], hits: list[Hashed | None] | None, rows: list[StableRow]) -> list[Hashed]:
        if hits is None:
            done = [_new(Hashed, (rel, path, *row, False)) for (rel, path), row in zip(chunk, rows, strict=True)]
        else:
            fresh = iter(rows)
            done = [h if h is not None else _new(Hashed, (rel, path, *next(fresh), False))
                    for (rel, path), h in zip(chunk, hits, strict=True)]
        if cache is not None and use_cache:
            for h in done:
                if not h.cached and h.sha256 is not None and h.key is not None:
                    cache.store(h.key, h.sha256, h.fmt)
        if advance is not None:
            advance(sum(h.size or 0 for h in done))
        return done

    if n <= 1 or sum(len(c) for c in first) < 2 * BATCH:  # a few files: starting workers costs more
        for chunk in itertools.chain(first, chunks):
            hits, todo = split(chunk)
            yield from joined(chunk, hits, _rows(todo, detect, want_keys))
        return
    # fork: the workers run one pure function and need nothing re-imported (forkserver and spawn
    # would re-run a library user's unguarded __main__)
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
        window: deque[tuple[list[tuple[str, str]], list[Hashed | None] | None, Future[list[StableRow]] | None]] = deque()
        for chunk in itertools.chain(first, chunks):
            hits, todo = split(chunk)
            window.append((chunk, hits, pool.submit(_rows, todo, detect, want_keys) if todo else None))
            while window and (len(window) >= 3 * n or window[0][2] is None):
                done_chunk, done_hits, fut = window.popleft()
                yield from joined(done_chunk, done_hits, fut.result() if fut is not None else [])
        while window:
            done_chunk, done_hits, fut = window.popleft()
            yield from joined(done_chunk, done_hits, fut.result() if fut is not None else [])


def listing_digest(root: Path) -> tuple[str, int]:
    """SHA-256 over every path of the folder (one per line, manifest order) and the count: what
    shards of one folder agree on."""
    h = hashlib.sha256()
    n = 0
    for rel, _ in iter_files(root):
        h.update(path_key(rel) + b"\n")
        n += 1
    return h.hexdigest(), n


def parse_shard(text: str) -> tuple[int, int]:
    """``I/N`` (1 ≤ I ≤ N) as a pair, or a :class:`UsageError`."""
    i, sep, n = text.partition("/")
    if not sep or not i.isdigit() or not n.isdigit() or not 1 <= int(i) <= int(n) <= 1_000_000:
        raise UsageError("expected I/N with 1 ≤ I ≤ N (e.g. 3/8)", option="shard", value=text[:40])
    return int(i), int(n)


def build_manifest(root: Path, output: Path, *, shard: tuple[int, int] | None = None, cache: HashCache | None = None,
                   workers: int | None = None, on_finding: Callable[[Finding], None] | None = None,
                   advance: Callable[[int], None] | None = None) -> Written:
    """Write the manifest (or shard ``(I, N)`` of it) of the folder ``root`` to ``output``.
    What the walk cannot read goes to ``on_finding``; a file that cannot be hashed, or changes
    while hashed, is an error line (and counted in ``Written.failed``)."""
    if not root.is_dir():
        raise InputError(root, "no such folder" if not root.exists() else "not a folder")
    name = root.resolve().name
    header = Header(name)
    if shard is not None:
        listing, total = listing_digest(root)
        header = Header(name, shard, total, listing)
    files: Iterable[tuple[str, str]] = iter_files(root, on_finding=on_finding)
    if shard is not None:
        i, n = shard
        files = ((rel, p) for rel, p in files if shard_of(rel, n) == i)
    try:
        with writing(output, header) as writer:  # the cache is the caller's: flushed here, not closed
            add = writer.add_file
            for h in hash_stream(files, cache=cache, workers=workers, advance=advance):
                add(h.rel, h.size, h.sha256, h.error)
        return writer.close()
    finally:
        if cache is not None:
            cache.flush()
