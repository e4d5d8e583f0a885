from __future__ import annotations

import hashlib
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


REV = "0123456789abcdef0123456789abcdef01234567"


def _etag(data: bytes, *, lfs: bool) -> str:
    """The blob name huggingface_hub gives a file: the SHA-256 of an LFS file, the git blob SHA-1 of any other."""
    if lfs:
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _hf_cache(tmp_path: Path, src: Path, kind: str = "models", repo_id: str = "acme--tiny") -> Path:
    """A real huggingface_hub cache layout of ``src``'s files: ``blobs/<etag>``, ``refs/main``,
    and ``snapshots/<rev>/<file>`` as relative links to ``../../blobs/<etag>``."""
    repo = tmp_path / "hub" / f"{kind}--{repo_id}"
    snap = repo / "snapshots" / REV
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REV)
    snap.mkdir(parents=True)
    for f in sorted(src.iterdir()):
        data = f.read_bytes()
        blob = repo / "blobs" / _etag(data, lfs=not f.name.endswith((".md", ".json")))
        blob.write_bytes(data)
        os.symlink(os.path.relpath(blob, snap), snap / f.name)
    return snap


def _props(c: object) -> dict[str, str]:
    return {p.name: p.value for p in c.properties}  # type: ignore[attr-defined]


def test_hf_cache_snapshot_gives_purl_and_follows_blob_links(tmp_path: Path) -> None:
    snap = _hf_cache(tmp_path, _model(tmp_path))
    bom = _gen(models=snap)
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert m.purl == f"pkg:huggingface/acme/tiny@{REV}" and m.group == "acme" and m.version == REV
    assert _props(m)["mlbom:identity:source"] == "hf-cache-layout"
    assert any(e.fact == "identity" and e.field == "hf-cache-layout" for e in m.evidence)
    assert len([c for c in bom.components if c.type == "file"]) == 3
    assert not [f for f in bom.findings if f.id == "model.identity-unverified"]


def _unverified(bom: mlbom.Bom) -> tuple[object, str]:
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert m.purl is None and m.group is None and m.version is None  # nothing from the folder name
    assert not m.bom_ref.startswith("pkg:") and "acme" not in " ".join(r.url for r in m.external_references)
    assert _props(m)["mlbom:identity:source"] == "folder-name"
    (f,) = [f for f in bom.findings if f.id == "model.identity-unverified"]
    assert f.severity == "low"
    return m, f.message


def test_folder_only_named_like_a_snapshot_gets_no_identity(tmp_path: Path) -> None:
    """Red team 10c S1: a folder named models--ORG--NAME/snapshots/<hex> holding plain files."""
    snap = tmp_path / "models--meta-llama--Llama-2-7b-hf" / "snapshots" / REV
    snap.parent.mkdir(parents=True)
    shutil.copytree(_model(tmp_path), snap)
    _, why = _unverified(_gen(models=snap))
    assert "meta-llama/Llama-2-7b-hf" in why and "not a link into blobs/" in why


def test_snapshot_with_blobs_named_wrongly_gets_no_identity(tmp_path: Path) -> None:
    """The cache structure is there, but the blob names are not the digests of their content."""
    src = _model(tmp_path)
    repo = tmp_path / "hub" / "models--acme--tiny"
    snap = repo / "snapshots" / REV
    (repo / "blobs").mkdir(parents=True)
    snap.mkdir(parents=True)
    for f in src.iterdir():
        blob = repo / "blobs" / f"blob-{f.name}"
        shutil.copy(f, blob)
        os.symlink(os.path.relpath(blob, snap), snap / f.name)
    _, why = _unverified(_gen(models=snap))
    assert "is not an etag" in why


def test_snapshot_with_a_swapped_blob_or_an_added_copy_gets_no_identity(tmp_path: Path) -> None:
    """A genuine layout edited afterwards: a git blob rewritten in place, or a plain file added."""
    snap = _hf_cache(tmp_path, _model(tmp_path))
    config = (snap / "config.json").resolve()
    config.write_text('{"model_type": "gpt2"}')
    _, why = _unverified(_gen(models=snap))
    assert "config.json: content git blob SHA-1" in why
    (tmp_path / "b").mkdir()
    snap2 = _hf_cache(tmp_path / "b", _model(tmp_path / "b"))
    shutil.copy(FIXTURES / "pickles" / "new_pytorch_model.bin", snap2 / "extra.bin")
    _, why = _unverified(_gen(models=snap2))
    assert "extra.bin: a copy" in why


def test_snapshot_linking_outside_blobs_gets_no_identity(tmp_path: Path) -> None:
    """Links to blobs named rightly, but kept outside the repository's blobs/ folder."""
    snap = _hf_cache(tmp_path, _model(tmp_path))
    repo = snap.parent.parent
    (repo / "blobs").rename(repo / "elsewhere")
    (repo / "blobs").mkdir()
    for f in snap.iterdir():
        target = repo / "elsewhere" / Path(os.readlink(f)).name
        f.unlink()
        os.symlink(os.path.relpath(target, snap), f)
    _, why = _unverified(_gen(models=snap))
    assert "links outside the repository's blobs/ folder" in why


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
