"""The positive checksum marker (issue 14 item 4, `mlbom:checksum:verified` in the issue): a data
file whose bytes match the checksum its Croissant manifest declares says so, on the example
release's real dataset; a tampered copy says `mismatch` (docs/properties.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import mlbom
from mlbom.properties import Prop

DATA = Path(__file__).resolve().parents[2] / "examples" / "tiny-release" / "data"


def _states(bom: mlbom.Bom) -> dict[str, str]:
    return {c.name: p.value for c in bom.components for p in c.properties if p.name == Prop.DATASET_CHECKSUM.value}


def test_a_matching_croissant_checksum_is_marked_verified() -> None:
    assert _states(mlbom.generate(datasets=DATA, reproducible=True)) == {"reviews.csv": "verified"}


def test_a_changed_file_is_marked_mismatch(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    with (copy / "reviews.csv").open("a") as fh:
        fh.write("tampered,0\n")
    bom = mlbom.generate(datasets=copy, reproducible=True)
    assert _states(bom) == {"reviews.csv": "mismatch"}
    assert "dataset.checksum-mismatch" in {f.id for f in bom.findings}
