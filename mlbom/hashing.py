"""The one hashing engine: streaming SHA-256 of files, in parallel across files.

Every collector that hashes artifacts (RECORD verification, model weights, dataset files,
``verify --artifacts``) goes through here. Memory is one fixed buffer per worker whatever the
file size; hashlib releases the GIL on large updates, so threads use every core.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

_BUF = 1 << 20  # 1 MiB: large enough that per-call overhead vanishes next to SHA-256 itself


@dataclass(frozen=True)
class FileDigest:
    """The SHA-256 of one file, or why it could not be computed."""

    path: Path
    sha256: str | None
    size: int | None
    error: str | None = None


def sha256_file(path: Path) -> FileDigest:
    """Hash one file in fixed-size chunks. Never raises for I/O problems: they come back in
    ``error`` (a file that vanished, a permission problem, a directory)."""
    try:
        with open(path, "rb", buffering=0) as fh:
            h = hashlib.sha256()
            buf = bytearray(_BUF)
            view = memoryview(buf)
            size = 0
            while True:
                n = fh.readinto(buf)
                if not n:
                    break
                h.update(view[:n])
                size += n
            return FileDigest(path, h.hexdigest(), size)
    except OSError as exc:
        return FileDigest(path, None, None, f"{type(exc).__name__}: {exc.strerror or exc}")


def default_workers() -> int:
    """Worker threads for hashing: one per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def sha256_files(paths: Iterable[Path], *, workers: int | None = None) -> Iterator[FileDigest]:
    """Hash many files, yielding results in input order. With one worker it runs inline."""
    n = workers or default_workers()
    if n <= 1:
        for p in paths:
            yield sha256_file(p)
        return
    with ThreadPoolExecutor(max_workers=n) as pool:
        # map() keeps at most the submitted futures in memory; inputs are paths, results small.
        yield from pool.map(sha256_file, paths)


def record_digest_to_hex(value: str) -> tuple[str, str] | None:
    """Decode a RECORD hash field (``sha256=<urlsafe-b64, no padding>``) to ``(alg, hex)``.
    Returns None for a field that is not of that form."""
    alg, sep, b64 = value.partition("=")
    if not sep or not alg or not b64:
        return None
    try:
        raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
    except (ValueError, TypeError):
        return None
    return alg.lower(), raw.hex()
