"""A PEFT adapter's base model is a pedigree ancestor of the adapter (docs/design.md).

``AutoPeftModel*.from_pretrained(adapter)`` and transformers load the model that
``adapter_config.json`` names in ``base_model_name_or_path`` under the adapter: the release
cannot run without it. The scan read it (fact ``peft.base-model``) but the BOM said nothing of
it unless the card named it too, and many adapter cards do not.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from tests.helpers import all_properties, quiet_output


def _adapter(folder: Path, config: dict[str, object], card: str | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 8, **config}))
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    (folder / "adapter_model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bytes(8))
    if card is not None:
        (folder / "README.md").write_text(card)
    return folder


def _model(tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], list[str]]:
    out = tmp_path / "bom.json"
    assert main(["generate", "--no-gpu", "--model", str(folder), "-o", str(out)]) == 0
    quiet_output(capsys)
    assert main(["validate", str(out)]) == 0
    capsys.readouterr()
    doc = json.loads(out.read_text())
    (model,) = [c for c in doc["components"] if c["type"] == "machine-learning-model"]
    findings = [str(p["value"]) for p in all_properties(doc) if p.get("name") == "mlbom:finding"]
    return model, findings


def _ancestors(model: dict[str, Any]) -> list[dict[str, Any]]:
    return list(model.get("pedigree", {}).get("ancestors", []))


def test_an_adapter_without_a_card_names_its_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _adapter(tmp_path / "lora", {"base_model_name_or_path": "meta-llama/Llama-3.1-8B", "revision": "abc123"})
    model, _ = _model(tmp_path, folder, capsys)
    (base,) = _ancestors(model)
    assert (base["group"], base["name"], base["version"]) == ("meta-llama", "Llama-3.1-8B", "abc123")
    assert base["purl"] == "pkg:huggingface/meta-llama/Llama-3.1-8B@abc123"
    assert {"name": "mlbom:model:base-model-relation", "value": "adapter"} in base["properties"]
    evidence = [p["value"] for p in model["properties"] if p["name"] == "mlbom:evidence"]
    assert any(e.startswith("pedigree from ") and e.endswith("adapter_config.json#base_model_name_or_path")
               for e in evidence), evidence


def test_no_revision_no_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, _ = _model(tmp_path, _adapter(tmp_path / "lora", {"base_model_name_or_path": "gpt2"}), capsys)
    (base,) = _ancestors(model)
    assert base["name"] == "gpt2" and "version" not in base and "group" not in base


def test_a_base_the_card_names_is_one_ancestor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = "---\nbase_model: Meta-Llama/llama-3.1-8b\n---\n# lora\n"
    folder = _adapter(tmp_path / "lora", {"base_model_name_or_path": "meta-llama/Llama-3.1-8B"}, card)
    model, _ = _model(tmp_path, folder, capsys)
    assert [a["name"] for a in _ancestors(model)] == ["llama-3.1-8b"]  # the card's, once


def test_a_base_the_card_does_not_name_is_added(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = "---\nbase_model: acme/other\n---\n# lora\n"
    folder = _adapter(tmp_path / "lora", {"base_model_name_or_path": "meta-llama/Llama-3.1-8B"}, card)
    model, _ = _model(tmp_path, folder, capsys)
    assert sorted(a["name"] for a in _ancestors(model)) == ["Llama-3.1-8B", "other"]


def test_a_local_base_is_a_finding_not_an_ancestor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, findings = _model(tmp_path, _adapter(tmp_path / "lora", {"base_model_name_or_path": "/models/llama"}),
                             capsys)
    assert _ancestors(model) == []
    assert any("peft.path-outside" in f for f in findings), findings


def test_two_adapters_of_one_base_give_one_ancestor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _adapter(tmp_path / "multi" / "a", {"base_model_name_or_path": "org/base"}).parent
    _adapter(folder / "b", {"base_model_name_or_path": "org/base"})
    _adapter(folder / "c", {"base_model_name_or_path": "org/other", "revision": "v2"})
    model, _ = _model(tmp_path, folder, capsys)
    assert sorted((a["name"], a.get("version")) for a in _ancestors(model)) == [("base", None), ("other", "v2")]
