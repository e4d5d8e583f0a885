"""The multi-machine path: shards as tasks on a Dask ``distributed`` LocalCluster, merged into
the manifest one process writes (marker ``dask``; needs the ``dask`` extra)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlbom.manifest.build import build_manifest
from mlbom.manifest.distributed import build_on_dask, local_client

pytestmark = pytest.mark.dask


def test_four_shards_on_a_local_cluster_merge_byte_identically(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    root = tmp_path / "ds"
    for i in range(200):
        (root / f"d{i % 7}").mkdir(parents=True, exist_ok=True)
        (root / f"d{i % 7}" / f"f{i}.bin").write_bytes(os.urandom(64 + i))
    build_manifest(root, tmp_path / "one.jsonl", workers=1)
    (tmp_path / "parts").mkdir()
    cluster, client = local_client(2)
    try:
        written = build_on_dask(client, root, tmp_path / "dask.jsonl", shards=4, parts_dir=tmp_path / "parts")  # type: ignore[arg-type]
    finally:
        client.close()  # type: ignore[attr-defined]
        cluster.close()  # type: ignore[attr-defined]
    assert written.files == 200
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == [f"part-{i}-of-4.jsonl" for i in range(1, 5)]
