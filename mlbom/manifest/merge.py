"""Merge the shards of one folder's manifest into the manifest one machine would write, byte
for byte. Refused (an :class:`~mlbom.errors.InputError`, nothing written): parts of different
folders (root name, file count or path listing differ), a missing, repeated or foreign shard,
an entry in the wrong shard, or a merged listing that is not the one every shard announced.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path

from mlbom.errors import InputError
from mlbom.manifest.format import Entry, ManifestReader, Written, path_key, shard_of, writing

_SPARE_FDS = 32
"""Descriptors a merge keeps free beside its parts (the output, Python's own)."""


def _check_parts(parts: Sequence[Path], output: Path) -> None:
    """Before any part is opened (red team 93c-2): a file given twice is refused, and a merge
    needs every part open at once, so more parts than this process may open files (the soft
    limit is raised to the hard one first) are one line, not a failure part-way."""
    seen: dict[tuple[int, int], Path] = {}
    for p in parts:
        try:
            st = os.stat(p)
        except OSError as exc:
            raise InputError(p, f"cannot read manifest: {exc.strerror or exc}") from exc
        if (st.st_dev, st.st_ino) in seen:
            raise InputError(p, f"given twice (also {seen[st.st_dev, st.st_ino]}): each shard once")
        seen[st.st_dev, st.st_ino] = p
    if sys.platform == "win32":
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = len(parts) + _SPARE_FDS
    if soft != resource.RLIM_INFINITY and need > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard) if hard != resource.RLIM_INFINITY
                                                        else need, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if soft != resource.RLIM_INFINITY and need > soft:
            raise InputError(output, f"{len(parts)} shards, but this process may open only {soft} files at once "
                                     "(ulimit -n): not merged")


def merge(parts: Sequence[Path], output: Path) -> Written:
    """Merge shard files into ``output`` (gzip when its name ends in ``.gz``)."""
    if not parts:
        raise InputError(output, "no shards to merge")
    _check_parts(parts, output)
    with ExitStack() as stack:
        readers = [stack.enter_context(ManifestReader(p)) for p in parts]
        first = readers[0].header
        seen: dict[int, Path] = {}
        for r in readers:
            h = r.header
            if h.shard is None:
                raise InputError(r.path, "not a shard (no shard I/N in its header): nothing to merge")
            assert first.shard is not None
            if (h.root, h.files, h.listing, h.shard[1]) != (first.root, first.files, first.listing, first.shard[1]):
                raise InputError(r.path, f"is a shard of another folder or listing than {readers[0].path.name} "
                                         f"(root {h.root!r} vs {first.root!r}, {h.files} vs {first.files} files, "
                                         f"{h.shard[1]} vs {first.shard[1]} shards, listing differs: "
                                         f"{h.listing != first.listing}); refused")
            if h.shard[0] in seen:
                raise InputError(r.path, f"shard {h.shard[0]}/{h.shard[1]} given twice (also {seen[h.shard[0]].name})")
            seen[h.shard[0]] = r.path
        assert first.shard is not None
        n = first.shard[1]
        missing = sorted(set(range(1, n + 1)) - set(seen))
        if missing:
            raise InputError(output, f"shard(s) {', '.join(f'{i}/{n}' for i in missing[:10])} missing: not merged")

        def tagged(r: ManifestReader) -> Iterator[tuple[bytes, Entry, ManifestReader]]:
            assert r.header.shard is not None
            want = r.header.shard[0]
            for e in r:
                if shard_of(e.path, n) != want:
                    raise InputError(r.path, f"{e.path!r} does not belong to shard {want}/{n}; refused")
                yield path_key(e.path), e, r

        listing = hashlib.sha256()
        with writing(output, first.whole()) as writer:
            last: bytes | None = None
            for key, e, _ in heapq.merge(*(tagged(r) for r in readers), key=lambda t: t[0]):
                if key == last:
                    raise InputError(output, f"{e.path!r} is in two shards; refused")
                last = key
                listing.update(key + b"\n")
                writer.add(e)
            if writer.files != first.files or listing.hexdigest() != first.listing:
                raise InputError(output, f"the shards list {writer.files} files but announced {first.files} "
                                         "(or another listing): shards of different walks of the folder; refused")
        return writer.close()
