"""Red team 10c S1 and L1 (datasets): a Hugging Face cache snapshot's identity comes from its
layout, not its folder name; a dataset's card and Croissant file are read from the bytes the
BOM records."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import mlbom
from mlbom.collectors import datasets as ds_mod
from mlbom.model import Component
from tests.collectors.test_models import REV, _hf_cache, _model
from tests.conftest import assert_valid

CARD_A = "---\nlicense: mit\npretty_name: Card A\n---\n# A\n"
CARD_B = "---\nlicense: apache-2.0\npretty_name: Card B\n---\n# B\n"


def _gen(tmp_path: Path, *, manifest: bool = False, **kw: object) -> mlbom.Bom:
    options = {"max_file_components": 0, "manifest_dir": tmp_path, "no_cache": True} if manifest else None
    bom = mlbom.generate(reproducible=True, options=options, **kw)  # type: ignore[arg-type]
    assert_valid(mlbom.dumps(bom))
    return bom


def _props(c: Component) -> dict[str, str]:
    return {p.name: p.value for p in c.properties}


def _dataset(tmp_path: Path) -> Path:
    d = tmp_path / "src-data"
    d.mkdir()
    (d / "README.md").write_text(CARD_A)
    (d / "train.csv").write_text("a,b\n1,2\n")
    return d


def _data(bom: mlbom.Bom) -> Component:
    (d,) = [c for c in bom.components if c.type == "data"]
    return d


# ---- S1: identity from the cache layout ----------------------------------------------------------

@pytest.mark.parametrize("manifest", [False, True])
def test_dataset_snapshot_with_a_real_cache_layout_gets_its_identity(tmp_path: Path, manifest: bool) -> None:
    snap = _hf_cache(tmp_path, _dataset(tmp_path), kind="datasets")
    d = _data(_gen(tmp_path, manifest=manifest, datasets=snap))
    assert (d.group, d.version) == ("acme", REV)
    assert _props(d)["mlbom:identity:source"] == "hf-cache-layout"


@pytest.mark.parametrize("manifest", [False, True])
def test_dataset_folder_only_named_like_a_snapshot_gets_no_identity(tmp_path: Path, manifest: bool) -> None:
    snap = tmp_path / "datasets--acme--tiny" / "snapshots" / REV
    snap.parent.mkdir(parents=True)
    shutil.copytree(_dataset(tmp_path), snap)
    bom = _gen(tmp_path, manifest=manifest, datasets=snap)
    d = _data(bom)
    assert d.group is None and d.version is None and d.purl is None
    assert _props(d)["mlbom:identity:source"] == "folder-name"
    (f,) = [f for f in bom.findings if f.id == "dataset.identity-unverified"]
    assert "acme/tiny" in f.message and f.severity == "low"


def test_model_snapshot_in_manifest_mode_checks_every_file(tmp_path: Path) -> None:
    snap = _hf_cache(tmp_path, _model(tmp_path))
    (m,) = [c for c in _gen(tmp_path, manifest=True, models=snap).components if c.type == "machine-learning-model"]
    assert m.purl == f"pkg:huggingface/acme/tiny@{REV}"
    (tmp_path / "b").mkdir()
    snap = _hf_cache(tmp_path / "b", _model(tmp_path / "b"))
    blob = (snap / "pytorch_model.bin").resolve()
    blob.write_bytes(blob.read_bytes() + b"\0")  # an LFS blob edited in place: its name is not its SHA-256
    bom = _gen(tmp_path, manifest=True, models=snap)
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert m.purl is None and any(f.id == "model.identity-unverified" for f in bom.findings)


def test_a_folder_inside_a_snapshot_gets_no_identity(tmp_path: Path) -> None:
    snap = _hf_cache(tmp_path, _model(tmp_path))
    inner = snap / "unet"
    inner.mkdir()
    shutil.copy(snap / "pytorch_model.bin", inner / "w.bin")
    bom = _gen(tmp_path, models=inner)
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert m.purl is None and any("inside a snapshot" in f.message for f in bom.findings)


# ---- L1: the dataset card and Croissant file are read from the bytes recorded -------------------

def _swap_hashing(monkeypatch: pytest.MonkeyPatch, target: Path, text: str, *, after: bool) -> None:
    """Rewrite ``target`` just before (or just after) the dataset's files are hashed."""
    real: Callable[..., object] = ds_mod.sha256_files

    def swapped(paths):  # type: ignore[no-untyped-def]
        if not after:
            target.write_text(text)
        out = list(real(paths))  # type: ignore[call-overload]
        if after:
            target.write_text(text)
        return out

    monkeypatch.setattr(ds_mod, "sha256_files", swapped)


def test_dataset_card_is_read_from_the_bytes_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The card changes between being read and being hashed: what the BOM says must be what it hashes."""
    d = _dataset(tmp_path)
    _swap_hashing(monkeypatch, d / "README.md", CARD_B, after=False)
    bom = _gen(tmp_path, datasets=d)
    data = _data(bom)
    (card,) = [c for c in bom.components if c.type == "file" and c.name == "README.md"]
    assert card.hashes[0].content == hashlib.sha256(CARD_B.encode()).hexdigest()
    assert data.name == "Card B" and [lc.value for lc in data.licenses] == ["Apache-2.0"]


def test_dataset_card_changed_after_hashing_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _dataset(tmp_path)
    _swap_hashing(monkeypatch, d / "README.md", CARD_B, after=True)
    bom = _gen(tmp_path, datasets=d)
    data = _data(bom)
    assert not data.licenses and data.name == "src-data"
    (f,) = [f for f in bom.findings if f.id == "file.changed-during-scan"]
    assert "README.md" in f.message


def test_croissant_is_read_from_the_bytes_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _dataset(tmp_path)
    doc = {"@context": {"@vocab": "https://schema.org/", "cr": "http://mlcommons.org/croissant/"},
           "@type": "sc:Dataset", "name": "croissant-a", "license": "cc0-1.0"}
    (d / "croissant.json").write_text(json.dumps(doc))
    _swap_hashing(monkeypatch, d / "croissant.json", json.dumps(doc | {"name": "croissant-b"}), after=False)
    data = _data(_gen(tmp_path, datasets=d))
    assert data.name == "croissant-b"


def test_dataset_card_changed_in_manifest_mode_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Manifest mode: the card is read from the digest the manifest records for it."""
    from mlbom.manifest import build

    d = _dataset(tmp_path)
    real = build.hash_runs

    def swapped(*a, **kw):  # type: ignore[no-untyped-def]
        yield from real(*a, **kw)
        (d / "README.md").write_text(CARD_B)

    monkeypatch.setattr(build, "hash_runs", swapped)
    bom = _gen(tmp_path, manifest=True, datasets=d)
    data = _data(bom)
    assert not data.licenses
    assert any(f.id == "file.changed-during-scan" and "README.md" in f.message for f in bom.findings)
