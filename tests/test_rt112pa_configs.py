"""Red team 112pa: config code targets the scanner did not model.

* 112pa-6: a YOLOv5 model definition whose ``activation``, module names and layer arguments ``parse_model``
  ``eval()``s: a string that is no plain name, number or ``torch.nn`` activation call is ``config.eval-string``
  (``suspicious``; ``unsafe`` where it names a deny-listed callable or a dunder); real configs stay ``safe``.
* 112pa-3: ONNX in onnx's text serialisations: a JSON ``ModelProto``'s external-data locations are judged
  as a binary model's; a text-proto model that spells external data is ``error`` (not judged), not ``safe``.
* 112pa-4: mmengine's registry key ``type``. ``Registry.build`` → ``build_from_cfg`` → ``Registry.get(type)``
  falls back to ``get_object_from_string`` (import the dotted path's module, ``getattr`` along the rest) for
  a name no registry holds, and calls the object with the mapping's other keys — Hydra's ``_target_``
  under another key. A dotted ``type`` the deny list denies is ``unsafe`` (JSON, YAML, a pickle's data);
  every other ``type`` (JSON schemas, tokenizer.json's ``BPE``, ``mmdet.ResNet``) stays as it was.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from mlbom.formats import config_targets as ct
from mlbom.formats import onnx_text, yolo_cfg
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


# -- 112pa-6 ---------------------------------------------------------------------------------------------
# YOLOv5 models/yolo.py parse_model: ``Conv.default_act = eval(activation)``; per row ``m = eval(m)`` and
# ``args[j] = eval(a)`` for every string (NameError suppressed)

FIXTURES = Path(__file__).parent / "fixtures" / "yolo"

YOLO_HEAD = """nc: 80
depth_multiple: 0.33
width_multiple: 0.50
anchors:
  - [10,13, 16,30, 33,23]
"""


def _yolo(backbone_row: str, *, extra: str = "", head_row: str = "[-1, 1, Detect, [nc, anchors]]") -> bytes:
    return (YOLO_HEAD + extra + "backbone:\n  [[-1, 1, Conv, [64, 6, 2, 2]],\n   " + backbone_row
            + ",\n  ]\nhead:\n  [" + head_row + "]\n").encode()


UNSAFE_YOLO = {
    "redteam-arg": _yolo("""[-1, 1, Conv, ["__import__('os').system('true') or 128", 3, 2]]"""),
    "module-os-system": _yolo("""[-1, 1, os.system, ["'touch /tmp/x'"]]"""),
    "module-eval": _yolo("""[-1, 1, eval, ["1"]]"""),
    "arg-eval-call": _yolo("""[-1, 1, Conv, ["eval('1+1')", 3, 2]]"""),
    "arg-open": _yolo("""[-1, 1, Conv, ["open('/etc/passwd').read() and 64", 3, 2]]"""),
    "arg-dunder": _yolo("""[-1, 1, Conv, ["().__class__.__base__", 3, 2]]"""),
    "activation": _yolo("[-1, 1, Conv, [128, 3, 2]]", extra="activation: __import__('os').system('id')\n"),
    "activation-denied-name": _yolo("[-1, 1, Conv, [128, 3, 2]]", extra="activation: os.system\n"),
    "head-row": _yolo("[-1, 1, Conv, [128, 3, 2]]", head_row="""[-1, 1, Detect, ["exec('import os')", anchors]]"""),
    "args-mapping-key": _yolo("""[-1, 1, Conv, {"__import__('os').system('id')": 1}]"""),
    "non-ascii-dropped": _yolo("""[-1, 1, Conv, ["ev\u00e9al('1') or 64", 3, 2]]"""),
    "merge-key": (b"base: &b\n  backbone: [[-1, 1, Conv, [\"__import__('os').system('id') or 3\", 3, 2]]]\n"
                  b"<<: *b\nnc: 80\nhead: [[-1, 1, Detect, [nc]]]\n"),
    "escaped-keys": (b'nc: 1\n"\\x62ackbone": [[-1, 1, Conv, ["__import__(\'os\').system(\'id\') or 3"]]]\n'
                     b'? "he\\\n   ad"\n: [[-1, 1, Detect, [nc]]]\n'),
    "alias-row": (b"r: &r [-1, 1, Conv, [\"__import__('os').system('id') or 3\"]]\nnc: 1\n"
                  b"backbone: [*r]\nhead: [[-1, 1, Detect, [nc]]]\n"),
}


@pytest.mark.parametrize("name", list(UNSAFE_YOLO))
def test_yolo_eval_strings_are_unsafe(name: str) -> None:
    r = scan_bytes(UNSAFE_YOLO[name], "yolov5s-custom.yaml")
    assert r.verdict == "unsafe", (name, [f.message for f in r.findings])
    assert "config.eval-string" in _ids(r)


def test_yolo_json_form_is_judged() -> None:
    doc = {"nc": 80, "backbone": [[-1, 1, "Conv", ["__import__('os').system('id') or 64", 3, 2]]],
           "head": [[-1, 1, "Detect", ["nc"]]]}
    r = scan_bytes(json.dumps(doc).encode(), "yolo.json")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert "config.eval-string" in _ids(r)


@pytest.mark.parametrize("arg", ["Conv(3)", "[x for x in range(3)]", "'a' + 'b'", "x if y else z", "lambda: 1"])
def test_yolo_other_expressions_are_suspicious(arg: str) -> None:
    r = scan_bytes(_yolo(f"[-1, 1, Conv, [{json.dumps(arg)}, 3, 2]]"), "m.yaml")
    assert r.verdict == "suspicious", [f.message for f in r.findings]
    assert _ids(r) == ["config.eval-string"]


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.yaml")), ids=lambda p: p.name)
def test_real_yolo_configs_stay_safe(path: Path) -> None:
    r = scan_bytes(path.read_bytes(), path.name)
    assert r.verdict == "safe", [f.message for f in r.findings]
    assert yolo_cfg.judge_text(path.read_text("utf-8")) == []


@pytest.mark.parametrize("extra", ["activation: torch.nn.ReLU6()\n", "activation: nn.SiLU()\n",
                                   "activation: nn.ReLU(inplace=True)\n", "activation: nn.LeakyReLU(0.1)\n"])
def test_real_activations_stay_safe(extra: str) -> None:
    r = scan_bytes(_yolo("[-1, 1, Conv, [128, 3, 2]]", extra=extra), "m.yaml")
    assert r.verdict == "safe", [f.message for f in r.findings]


def test_plain_names_numbers_and_arithmetic_stay_safe() -> None:
    row = """[-1, 1, nn.Upsample, [None, 2, 'nearest', nc, anchors, "nc * 2", "-1", "1e-3", math.pi]]"""
    r = scan_bytes(_yolo(row), "m.yaml")
    assert r.verdict == "safe", [f.message for f in r.findings]


def test_other_backbone_head_configs_are_not_yolo() -> None:
    # an mmdet-style config: backbone/head are mappings, no rows
    text = "backbone:\n  type: ResNet\n  depth: 50\nhead:\n  type: RPNHead\n  in_channels: 256\n"
    assert scan_bytes(text.encode(), "cfg.yaml").verdict == "safe"
    # rows of another length are not parse_model's (it unpacks four)
    text = "backbone: [[a, b, c, 'eval(1)', e]]\nhead: []\n"
    assert scan_bytes(text.encode(), "cfg.yaml").verdict == "safe"


# -- 112pa-3 ---------------------------------------------------------------------------------------------
# onnx.load picks the serializer by extension (.json/.onnxjson, .txtpb/.textproto/.prototxt/.pbtxt,
# .onnxtxt/.onnxtext), then loads every tensor's external data

ESCAPE = "../../../../../../etc/passwd"


def _onnx_json(loc: str, *, camel: bool = True) -> bytes:
    ext, key = ("externalData", "irVersion") if camel else ("external_data", "ir_version")
    return json.dumps({key: "8", "opsetImport": [{"version": "17"}], "graph": {"name": "g", "initializer": [
        {"dims": ["16"], "dataType": 2, "name": "w", "dataLocation": "EXTERNAL",
         ext: [{"key": "location", "value": loc}, {"key": "length", "value": "16"}]}]}}).encode()


def _onnx_textproto(loc: str) -> bytes:
    return ('ir_version: 8\nopset_import { version: 17 }\ngraph { name: "g" initializer { dims: 16 data_type: 2 '
            f'name: "w" data_location: EXTERNAL external_data {{ key: "location" value: "{loc}" }} '
            'external_data { key: "length" value: "16" } } }\n').encode()


@pytest.mark.parametrize("name", ["model.onnxjson", "model.json"])
@pytest.mark.parametrize("loc", [ESCAPE, "/etc/passwd", "*/_ORT_MEM_ADDR_/*"])
@pytest.mark.parametrize("camel", [True, False])
def test_onnx_json_escaping_location_is_unsafe(name: str, loc: str, camel: bool) -> None:
    r = scan_bytes(_onnx_json(loc, camel=camel), name)
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert "onnx.external-data-escape" in _ids(r)


def test_onnx_json_inside_location_is_safe() -> None:
    r = scan_bytes(_onnx_json("weights.bin"), "model.onnxjson")
    assert r.verdict == "safe", [f.message for f in r.findings]
    assert "onnx.text-form" in _ids(r)


@pytest.mark.parametrize("name", ["model.textproto", "model.pbtxt", "model.txtpb", "model.prototxt"])
def test_onnx_textproto_with_external_data_is_not_judged(name: str) -> None:
    r = scan_bytes(_onnx_textproto(ESCAPE), name)
    assert r.verdict == "error", [f.message for f in r.findings]
    assert "onnx.text-form-unread" in _ids(r)


def test_onnx_textproto_without_external_data_and_other_prototxt_stay_safe() -> None:
    plain = b'ir_version: 8\nopset_import { version: 17 }\ngraph { name: "g" node { op_type: "Relu" } }\n'
    assert scan_bytes(plain, "model.textproto").verdict == "safe"
    caffe = b'name: "LeNet"\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n}\n'
    assert scan_bytes(caffe, "deploy.prototxt").verdict == "safe"


def test_onnx_text_names_are_one_table_row() -> None:
    from mlbom import scanner

    assert scanner._ONNX_TEXT_NAMES == onnx_text.TEXT_SUFFIXES
    assert "onnx-text" in scanner._name_kinds("sub/dir/MODEL.PBTXT")
