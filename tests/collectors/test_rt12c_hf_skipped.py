"""Red team 12c-5: a folder the walk skips (``.git/``) inside a Hugging Face snapshot. A genuine
huggingface_hub snapshot is a link farm and never holds one, so its files are content the layout
check never saw: the identity is unverified and the inventory is not complete."""

from __future__ import annotations

import json
from pathlib import Path

import mlbom
from tests.collectors.test_models import _gen, _hf_cache, _model, _props


def test_a_skipped_git_folder_in_a_snapshot_breaks_the_identity_and_the_complete_claim(tmp_path: Path) -> None:
    snap = _hf_cache(tmp_path, _model(tmp_path))
    (snap / ".git").mkdir()
    (snap / ".git" / "model.pkl").write_bytes(b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R.")
    bom = _gen(models=snap)
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert m.purl is None
    assert _props(m)["mlbom:identity:source"] == "folder-name"
    assert [f for f in bom.findings if f.id == "model.identity-unverified"]
    doc = json.loads(mlbom.dumps(bom))
    assert any(c.get("aggregate") != "complete" for c in doc.get("compositions", []))


def test_a_snapshot_without_a_skipped_folder_keeps_its_identity(tmp_path: Path) -> None:
    snap = _hf_cache(tmp_path, _model(tmp_path))
    bom = _gen(models=snap)
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert _props(m)["mlbom:identity:source"] == "hf-cache-layout"
    doc = json.loads(mlbom.dumps(bom))
    assert all(c.get("aggregate") == "complete" for c in doc.get("compositions", []))
