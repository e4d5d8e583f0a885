"""The documented multi-machine path: the shards of a manifest as tasks on a Dask
``distributed`` cluster (https://distributed.dask.org), merged by the client — no home-made
scheduler. Each task walks the folder (every worker must see the data at the same path: a
shared or replicated filesystem), hashes its share and returns its shard's bytes; the client
writes the parts and merges them (:func:`mlbom.manifest.merge.merge`), so the result is byte
for byte the manifest one machine writes. Any other batch system runs ``mlbom manifest DIR
--shard I/N`` the same way (job arrays, Kubernetes indexed jobs).

Needs the ``dask`` extra (``pip install 'mlbom[dask]'``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

from mlbom.errors import MlbomError, UsageError
from mlbom.manifest.format import Written


class _Future(Protocol):
    def result(self) -> object: ...


class DaskClient(Protocol):
    """What is used of ``distributed.Client``."""

    def submit(self, func: object, *args: object, pure: bool = ..., key: str = ...) -> _Future: ...


def shard_task(root: str, index: int, count: int, cache_dir: str | None) -> bytes:
    """One shard, on a worker: its manifest's bytes (the part file is temporary)."""
    from mlbom.manifest.build import build_manifest
    from mlbom.manifest.cache import open_cache

    with tempfile.TemporaryDirectory(prefix="mlbom-shard-") as tmp:
        out = Path(tmp) / f"part-{index}.jsonl"
        cache = open_cache(Path(cache_dir), enabled=True) if cache_dir else None
        try:
            # one process per task: Dask runs the tasks in parallel (and its worker processes
            # are daemonic, so they could not start hashing processes of their own)
            build_manifest(Path(root), out, shard=(index, count), cache=cache, workers=1)
        finally:
            if cache is not None:
                cache.close()
        return out.read_bytes()


def build_on_dask(client: DaskClient, root: Path, output: Path, *, shards: int, parts_dir: Path,
                  cache_dir: Path | None = None) -> Written:
    """Run ``shards`` shard tasks on ``client``'s cluster, write them to ``parts_dir`` as
    ``part-I-of-N.jsonl`` and merge them into ``output``. ``root`` is the folder's path as the
    workers see it; ``cache_dir`` a hash cache folder on each worker (None: no cache)."""
    from mlbom.manifest.merge import merge

    if shards < 1:
        raise UsageError(f"must be 1 or more, not {shards}", option="shards", value=str(shards))
    futures = [client.submit(shard_task, os.fspath(root), i, shards, os.fspath(cache_dir) if cache_dir else None,
                             pure=False, key=f"mlbom-manifest-{i}-of-{shards}") for i in range(1, shards + 1)]
    parts: list[Path] = []
    for i, fut in enumerate(futures, 1):
        try:
            data = fut.result()
        except MlbomError:
            raise
        except Exception as exc:  # a worker's failure arrives as its exception
            raise MlbomError(f"shard {i}/{shards} failed on the cluster: {type(exc).__name__}: {exc}") from exc
        assert isinstance(data, bytes)
        part = parts_dir / f"part-{i}-of-{shards}.jsonl"
        part.write_bytes(data)
        parts.append(part)
    return merge(parts, output)


def local_client(workers: int) -> tuple[object, object]:
    """A ``distributed.LocalCluster`` of ``workers`` single-threaded processes and its client
    (close both). For trying the Dask path on one machine."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise MlbomError("the Dask integration needs the dask extra: pip install 'mlbom[dask]'") from exc
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                           dashboard_address=None)
    return cluster, Client(cluster)  # type: ignore[no-untyped-call]
