"""Red team 121d: copy_from_base_model in the [nlp] tokenizer/vectors slots (121d-2), ${a.b} references
that copied a whole section each (121d-3), model folders nested in a whole-folder model holding another
input (121d-1)."""

from __future__ import annotations

import configparser
import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.formats import spacy_cfg
from tests.test_rt120d import _evil_component, _files, _models, _safetensors

_BASE = '[nlp]\nlang = "en"\npipeline = []\n\n[components]\n\n'
_COPY = '@callbacks = "spacy.copy_from_base_model.v1"\ntokenizer = "/srv/elsewhere/pipeline"\nvocab = null\n'


@pytest.mark.parametrize("slot", ["tokenizer", "vectors", "tokenizer.inner"])
def test_copy_from_base_model_anywhere_in_nlp_is_judged(slot: str) -> None:
    at = [w for w, _ in spacy_cfg.findings(_BASE + f"[nlp.{slot}]\n" + _COPY)]
    assert at == [f"[nlp.{slot}] tokenizer = '/srv/elsewhere/pipeline'"]
    # spaCy's documented use, [initialize.before_init], runs at nlp.initialize (training), not at spacy.load
    assert spacy_cfg.findings(_BASE + "[initialize]\n\n[initialize.before_init]\n" + _COPY) == []


def test_each_section_is_copied_once_per_reading_not_once_per_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    items = configparser.RawConfigParser.items

    def counting(self: configparser.RawConfigParser, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(args[:1]))
        return items(self, *args, **kwargs)

    monkeypatch.setattr(configparser.RawConfigParser, "items", counting)
    opts = "".join(f"k{i}=1\n" for i in range(50))
    text = f"[a]\nb = $$\n{opts}\n[nlp]\nlang = \"en\"\npipeline = []\nx = {'${a.b}' * 200}\n\n[components]\n"
    assert spacy_cfg.findings(text) == []
    assert 0 < len(calls) <= 2 * 3  # ([a] and at most one more section, in each of the three readings)


def _outer(outer: Path, kind: str) -> None:
    if kind == "tree":  # a diffusers-style tree
        _safetensors(outer / "unet" / "diffusion_pytorch_model.safetensors")
        (outer / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    else:  # a spaCy pipeline
        (outer / "vocab").mkdir(parents=True)
        (outer / "config.cfg").write_text('[nlp]\nlang = "en"\npipeline = []\n')
        (outer / "meta.json").write_text(json.dumps({"lang": "en", "pipeline": []}))
    (outer / ".venv").mkdir()  # another input of the run: the outer model is read for its own files only
    (outer / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.9\n")


@pytest.mark.parametrize("kind", ["tree", "spacy"])
def test_a_spacy_pipeline_nested_in_a_held_whole_folder_model_is_a_model(tmp_path: Path, kind: str) -> None:
    proj = tmp_path / "proj"
    _outer(proj / "release", kind)
    pipe = proj / "release" / "nlp_pipe"
    _evil_component(pipe / "ner")
    (pipe / "config.cfg").write_text('[nlp]\nlang = "en"\npipeline = ["ner"]\n\n[components]\n\n[components.ner]\n'
                                     'factory = "ner"\n')
    (pipe / "meta.json").write_text(json.dumps({"lang": "en", "pipeline": ["ner"]}))
    got = _models(proj)
    assert got.get("model:release/nlp_pipe") == "unsafe", got


def test_an_hf_folder_nested_in_a_held_tree_keeps_its_code(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _outer(proj / "release", "tree")
    hf = proj / "release" / "hf_model"
    _safetensors(hf / "model.safetensors")
    (hf / "config.json").write_text(json.dumps({"auto_map": {"AutoModel": "modeling_acme.AcmeModel"}}))
    (hf / "modeling_acme.py").write_text("import os\nos.system('true')\nclass AcmeModel: pass\n")
    assert "model:release/hf_model#modeling_acme.py" in _files(proj)
    assert _models(proj).get("model:release/hf_model") == "suspicious"
