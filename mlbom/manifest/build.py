"""Streaming walk → hash → write. Files come from :func:`mlbom.fswalk.iter_files` in manifest
order and are hashed in batches on a bounded window of worker processes (per-file work is a
handful of system calls; a batch amortises the hand-off), so memory does not grow with the
number of files. The hash cache is consulted per batch with one query.
"""

from __future__ import annotations

import contextlib
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
from mlbom.hashing import StableDigest, StatKey, default_workers, sha256_stable, stat_key
from mlbom.manifest.cache import HashCache
from mlbom.manifest.format import Entry, Header, ManifestWriter, Written, path_key, shard_of
from mlbom.model import Finding

BATCH = 256


class Hashed(NamedTuple):
    """One walked file: its digest (or why not) and, when a detector was given, its format."""

    rel: str
    path: str
    digest: StableDigest
    fmt: str | None
    cached: bool

    def entry(self) -> Entry:
        d = self.digest
        return Entry(self.rel, d.size, d.sha256, None if d.sha256 else d.error)


def _cached(items: list[tuple[str, str]], cache: HashCache | None,
            detect: Callable[[bytes], str] | None) -> list[Hashed | None]:
    """The batch's cache hits (one query for the batch); None where the file must be hashed."""
    if cache is None or not cache.enabled:
        return [None] * len(items)
    keys: list[StatKey | None] = [None] * len(items)
    for i, (_, path) in enumerate(items):
        with contextlib.suppress(OSError):
            keys[i] = stat_key(os.stat(path))
    hits = cache.lookup([k or (-1, -1, -1, -1, -1) for k in keys])
    return [Hashed(rel, path, StableDigest(hit[0], key[2], key), hit[1], True)
            if hit is not None and key is not None and (detect is None or hit[1] is not None) else None
            for (rel, path), key, hit in zip(items, keys, hits, strict=True)]


def _hash_batch(items: list[tuple[str, str]], detect: Callable[[bytes], str] | None) -> list[Hashed]:
    """Hash a batch. The first bytes are used for format detection here and dropped: results
    may cross a process boundary."""
    out: list[Hashed] = []
    for rel, path in items:
        d = sha256_stable(path)
        fmt = detect(d.head) if detect is not None and d.sha256 is not None else None
        out.append(Hashed(rel, path, StableDigest(d.sha256, d.size, d.key, b"", d.error, d.changed), fmt, False))
    return out


_Wire = tuple[str, str, str | None, int | None, StatKey | None, str | None, str | None, bool, bool]


def _worker_batch(items: list[tuple[str, str]], detect: Callable[[bytes], str] | None) -> list[_Wire]:
    """A batch in a worker process, as plain tuples (pickling objects costs more than hashing
    a small file)."""
    return [(h.rel, h.path, h.digest.sha256, h.digest.size, h.digest.key, h.digest.error, h.fmt, h.digest.changed, h.cached)
            for h in _hash_batch(items, detect)]


def _unwire(batch: list[_Wire]) -> list[Hashed]:
    return [Hashed(rel, path, StableDigest(sha, size, key, b"", error, changed), fmt, cached)
            for rel, path, sha, size, key, error, fmt, changed, cached in batch]


def _merge(hits: list[Hashed | None], hashed: list[Hashed]) -> list[Hashed]:
    """The batch in order: cache hits where there were some, fresh digests elsewhere."""
    fresh = iter(hashed)
    return [h if h is not None else next(fresh) for h in hits]


def hash_stream(items: Iterable[tuple[str, str]], *, cache: HashCache | None = None, workers: int | None = None,
                detect: Callable[[bytes], str] | None = None,
                advance: Callable[[int], None] | None = None) -> Iterator[Hashed]:
    """Hash ``(rel, path)`` items, yielding results in input order. The cache is asked here,
    one query per batch of :data:`BATCH` files (a warm re-run only stats); the misses go to
    worker *processes* (small files are a few system calls each, and threads would serialise
    on the interpreter lock), at most ``3 × workers`` batches in flight, so memory stays flat.
    New digests go into ``cache``; ``advance`` gets bytes hashed. ``detect`` (a module-level
    function: it crosses to the workers) gives each file's format from its first bytes."""
    n = workers or default_workers()
    it = iter(items)

    def batches() -> Iterator[list[tuple[str, str]]]:
        while True:
            chunk = list(itertools.islice(it, BATCH))
            if not chunk:
                return
            yield chunk

    chunks = batches()
    first = list(itertools.islice(chunks, 2))

    def local() -> Iterator[Hashed]:
        for chunk in itertools.chain(first, chunks):
            hits = _cached(chunk, cache, detect)
            misses = [item for item, h in zip(chunk, hits, strict=True) if h is None]
            yield from _drain(_merge(hits, _hash_batch(misses, detect)), cache, advance)

    if n <= 1 or sum(len(c) for c in first) < 2 * BATCH:  # a few files: starting workers costs more
        yield from local()
        return
    # fork: the workers run one pure function and need nothing re-imported (forkserver and spawn
    # would re-run a library user's unguarded __main__)
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
        window: deque[tuple[list[Hashed | None], Future[list[_Wire]] | None]] = deque()
        for chunk in itertools.chain(first, chunks):
            hits = _cached(chunk, cache, detect)
            misses = [item for item, h in zip(chunk, hits, strict=True) if h is None]
            window.append((hits, pool.submit(_worker_batch, misses, detect) if misses else None))
            while window and (len(window) >= 3 * n or window[0][1] is None):
                done_hits, fut = window.popleft()
                yield from _drain(_merge(done_hits, _unwire(fut.result()) if fut is not None else []), cache, advance)
        while window:
            done_hits, fut = window.popleft()
            yield from _drain(_merge(done_hits, _unwire(fut.result()) if fut is not None else []), cache, advance)


def _drain(done: list[Hashed], cache: HashCache | None, advance: Callable[[int], None] | None) -> Iterator[Hashed]:
    for h in done:
        d = h.digest
        if cache is not None and not h.cached and d.sha256 is not None and d.key is not None:
            cache.store(d.key, d.sha256, h.fmt)
        if advance is not None and d.size:
            advance(d.size)
        yield h


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
    writer = ManifestWriter(output, header)
    try:
        for h in hash_stream(files, cache=cache, workers=workers, advance=advance):
            writer.add(h.entry())
        return writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        if cache is not None:
            cache.flush()
