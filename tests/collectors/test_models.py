from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import mlbom
from mlbom.errors import InputError
from tests.conftest import FIXTURES, assert_valid

CARD = """---
license: other
license_name: llama2
license_link: https://ai.meta.com/llama/license/
base_model:
- meta-llama/Llama-2-7b-hf
base_model_relation: finetune
datasets:
- squad
pipeline_tag: text-generation
model-index:
- name: tiny
  results:
  - task: {type: text-generation}
    dataset: {name: squad, type: squad, split: validation}
    metrics:
    - {type: f1, value: 88.5}
co2_eq_emissions: {emissions: 12.5, source: ML CO2 calculator}
---
# Tiny

## Intended uses
Answering questions.

## Limitations
English only.

## Bias, Risks, and Limitations
May repeat biases of the training data.
"""


def _model(tmp_path: Path) -> Path:
    d = tmp_path / "tiny-model"
    d.mkdir()
    (d / "README.md").write_text(CARD)
    (d / "config.json").write_text('{"model_type": "llama", "architectures": ["LlamaForCausalLM"]}')
    shutil.copy(FIXTURES / "pickles" / "new_pytorch_model.bin", d / "pytorch_model.bin")
    return d


def _gen(**kw: object) -> mlbom.Bom:
    bom = mlbom.generate(reproducible=True, **kw)  # type: ignore[arg-type]
    assert_valid(mlbom.dumps(bom))
    assert_valid(mlbom.dumps(bom, "xml"))
    assert_valid(mlbom.dumps(bom.model_copy(update={"spec_version": "1.7"}), "xml"))
    return bom


def test_model_card_is_faithful(tmp_path: Path) -> None:
    bom = _gen(models=_model(tmp_path))
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    mc = m.model_card
    assert mc is not None
    assert mc["modelParameters"] == {"task": "text-generation", "architectureFamily": "llama",
                                     "modelArchitecture": "LlamaForCausalLM",
                                     "datasets": [{"ref": "dataset:named:squad"}]}
    assert mc["quantitativeAnalysis"] == {"performanceMetrics": [
        {"type": "f1", "value": "88.5", "slice": "squad / validation"}]}
    cons = mc["considerations"]
    assert isinstance(cons, dict)
    assert cons["useCases"] == ["Answering questions."] and cons["technicalLimitations"] == ["English only."]
    assert cons["ethicalConsiderations"] == [{"name": "May repeat biases of the training data."}]
    assert (m.licenses[0].kind, m.licenses[0].value, m.licenses[0].url) == ("name", "llama2", "https://ai.meta.com/llama/license/")
    (base,) = m.ancestors
    assert base.purl == "pkg:huggingface/meta-llama/Llama-2-7b-hf"
    assert ("mlbom:model:base-model-relation", "finetune") in [(p.name, p.value) for p in base.properties]
    files = {c.name: c for c in bom.components if c.type == "file"}
    assert set(files) == {"README.md", "config.json", "pytorch_model.bin"}
    props = {(p.name, p.value) for p in files["pytorch_model.bin"].properties}
    assert ("mlbom:file:format", "pytorch-zip") in props and ("mlbom:safety:verdict", "safe") in props
    assert files["pytorch_model.bin"].hashes[0].alg == "SHA-256"
    edges = {r.ref: r.depends_on for r in bom.relations}
    assert set(edges[m.bom_ref]) == {f.bom_ref for f in files.values()}


def test_hf_cache_snapshot_gives_purl_and_follows_blob_links(tmp_path: Path) -> None:
    repo = tmp_path / "hub" / "models--acme--tiny"
    rev = "0123456789abcdef0123456789abcdef01234567"
    snap = repo / "snapshots" / rev
    (repo / "blobs").mkdir(parents=True)
    snap.mkdir(parents=True)
    src = _model(tmp_path)
    for f in src.iterdir():
        blob = repo / "blobs" / f"blob-{f.name}"
        shutil.copy(f, blob)
        os.symlink(os.path.relpath(blob, snap), snap / f.name)
    bom = _gen(models=snap)
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert m.purl == f"pkg:huggingface/acme/tiny@{rev}" and m.group == "acme" and m.version == rev
    assert len([c for c in bom.components if c.type == "file"]) == 3


def test_bad_inputs_are_findings_and_rest_is_inventoried(tmp_path: Path) -> None:
    d = _model(tmp_path)
    (d / "README.md").write_text("---\nlicense: [unclosed\n---\n# x\n")
    (d / "empty.bin").write_bytes(b"")
    (d / "truncated.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    os.symlink("/etc/passwd", d / "escape")
    os.symlink("loop", d / "loop")
    (d / "sub").mkdir()
    os.symlink("..", d / "sub" / "up")
    bom = _gen(models=d)
    ids = {f.id for f in bom.findings}
    assert {"model.card-malformed", "files.symlink-escape", "files.symlink-loop", "format.invalid"} <= ids
    names = {c.name for c in bom.components if c.type == "file"}
    assert {"pytorch_model.bin", "config.json", "README.md", "empty.bin", "truncated.safetensors"} <= names
    assert not any("passwd" in n for n in names)


def test_single_weight_file_and_missing_path(tmp_path: Path) -> None:
    bom = _gen(models=FIXTURES / "pickles" / "pytorch_model.bin")
    (m,) = bom.components
    assert m.type == "machine-learning-model" and m.hashes
    with pytest.raises(InputError):
        mlbom.generate(models=tmp_path / "absent")


def test_model_card_corpus_gives_valid_boms(corpus: Path, tmp_path: Path) -> None:
    cards = sorted((corpus / "model-cards").glob("*.md"))
    assert cards
    for i, card in enumerate(cards):
        d = tmp_path / f"m{i}"
        d.mkdir()
        shutil.copy(card, d / "README.md")
        stem = card.name.split(".README")[0]
        for extra in (corpus / "model-cards").glob(stem + ".*.json"):
            shutil.copy(extra, d / extra.name[len(stem) + 1:])
        _gen(models=d)


def test_two_models_sharing_a_base_model_stay_valid(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "README.md").write_text(CARD)
    bom = _gen(models=[a, b])
    models = [c for c in bom.components if c.type == "machine-learning-model"]
    assert len(models) == 2 and all(m.ancestors for m in models)
    assert models[0].name == "tiny"  # from model-index[0].name
