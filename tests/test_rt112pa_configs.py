"""Red team 112pa: config code targets the scanner did not model.

* 112pa-4: mmengine's registry key ``type``. ``Registry.build`` → ``build_from_cfg`` → ``Registry.get(type)``
  falls back to ``get_object_from_string`` (import the dotted path's module, ``getattr`` along the rest) for
  a name no registry holds, and calls the object with the mapping's other keys — Hydra's ``_target_``
  under another key. A dotted ``type`` the deny list denies is ``unsafe`` (JSON, YAML, a pickle's data);
  every other ``type`` (JSON schemas, tokenizer.json's ``BPE``, ``mmdet.ResNet``) stays as it was.
"""

from __future__ import annotations

import json
import pickle

import pytest

from mlbom.formats import config_targets as ct
from mlbom.scanner import scan_bytes


def _ids(r: object) -> list[str]:
    return [f.id for f in r.findings]  # type: ignore[attr-defined]


# -- 112pa-4 ---------------------------------------------------------------------------------------------

MM_DENIED = ["keras.models.load_model", "tensorflow.saved_model.load", "numpy.lib.format.read_array",
             "mmengine.utils.import_modules_from_strings", "os.system", "torch.load"]


@pytest.mark.parametrize("path", MM_DENIED)
def test_mmengine_type_json_denied_is_unsafe(path: str) -> None:
    doc = {"model": {"type": path, "filepath": "/srv/shared/other_model.keras", "safe_mode": False}}
    r = scan_bytes(json.dumps(doc).encode(), "mmengine_config.json")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert "code.dangerous-target" in _ids(r)
    assert any("mmengine" in f.message for f in r.findings)


@pytest.mark.parametrize("path", MM_DENIED)
def test_mmengine_type_yaml_denied_is_unsafe(path: str) -> None:
    text = f"model:\n  type: {path}\n  filepath: /srv/shared/other_model.keras\n  safe_mode: false\n"
    r = scan_bytes(text.encode(), "mmengine_config.yaml")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert "code.dangerous-target" in _ids(r)


def test_mmengine_type_through_yaml_alias_and_quotes() -> None:
    for text in ("a: &t keras.models.load_model\nmodel:\n  type: *t\n",
                 "model: {\"type\": 'tensorflow.saved_model.load', export_dir: /x}\n",
                 "model:\n  \"type\": keras.models.load_model\n"):
        r = scan_bytes(text.encode(), "cfg.yaml")
        assert r.verdict == "unsafe", (text, [f.message for f in r.findings])


def test_mmengine_type_in_pickled_checkpoint_meta() -> None:
    ckpt = {"meta": {"cfg": {"model": {"type": "keras.models.load_model", "filepath": "x"}}}, "state_dict": {}}
    r = scan_bytes(pickle.dumps(ckpt, protocol=2), "epoch_12.pkl")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert "code.dangerous-target" in _ids(r)


def test_hydra_target_control_unchanged() -> None:
    doc = {"model": {"_target_": "keras.models.load_model", "filepath": "x"}}
    r = scan_bytes(json.dumps(doc).encode(), "hydra_config.json")
    assert r.verdict == "unsafe"


# FP guards: ``type`` is everyone's key
MMDET_CONFIG = """\
_base_ = ['../_base_/models/faster-rcnn_r50_fpn.py', '../_base_/datasets/coco_detection.py']
default_scope: mmdet
custom_imports:
  imports: ['mmdet.models', 'projects.example_project.dummy']
  allow_failed_imports: false
model:
  type: FasterRCNN
  data_preprocessor:
    type: DetDataPreprocessor
    mean: [123.675, 116.28, 103.53]
  backbone:
    type: mmdet.ResNet
    depth: 50
    norm_cfg: {type: BN, requires_grad: true}
    init_cfg: {type: Pretrained, checkpoint: torchvision://resnet50}
  neck: {type: mmpretrain.FPN, in_channels: [256, 512, 1024, 2048], out_channels: 256}
optim_wrapper:
  type: OptimWrapper
  optimizer: {type: torch.optim.SGD, lr: 0.02, momentum: 0.9}
"""

SAFE_DOCS = [
    ("schema.json", {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                     "properties": {"name": {"type": "string"}, "n": {"type": ["integer", "null"]}}}),
    ("tokenizer.json", {"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
                        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}]},
                        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False}}),
    ("config.json", {"model_type": "bert", "architectures": ["BertModel"], "hidden_size": 768,
                     "torch_dtype": "float32", "rope_scaling": {"type": "linear", "factor": 2.0}}),
    ("modules.json", [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}]),
    ("mm.json", {"model": {"type": "mmdet.ResNet", "depth": 50}, "dtype": {"type": "torch.float32"}}),
]


@pytest.mark.parametrize(("name", "doc"), SAFE_DOCS, ids=[n for n, _ in SAFE_DOCS])
def test_ordinary_type_values_stay_safe(name: str, doc: object) -> None:
    r = scan_bytes(json.dumps(doc).encode(), name)
    assert r.verdict == "safe", [f.message for f in r.findings]


def test_real_mmdet_style_yaml_stays_safe() -> None:
    r = scan_bytes(MMDET_CONFIG.encode(), "faster-rcnn.yaml")
    assert r.verdict == "safe", [f.message for f in r.findings]


def test_type_denied_rule() -> None:
    assert ct.type_denied("keras.models.load_model") is not None
    assert ct.type_denied("  os.system ") is not None
    for v in ("object", "Linear", "BPE", "mmdet.ResNet", "torch.nn.Linear", "torch.optim.SGD", "", "a.", None, 3):
        assert ct.type_denied(v) is None, v
