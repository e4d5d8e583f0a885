"""Red team 114pa, on the readers added for 112pa (gin's are in tests/formats/test_gin.py):

- 114pa-2: mmengine's Registry.build imports any dotted ``type``; OpenMMLab's own helpers run a
  program (``call_command``), install a package, execute a Python config (``Config.fromfile``) or load
  a pickle or checkpoint (``fileio.load``, ``load_checkpoint``): now on the deny list.
- 114pa-3: ultralytics looks a YOLO row's module up with ``globals()[m]`` (yolov5: ``eval(m)``), and
  those namespaces hold functions (``check_requirements`` runs pip) and classes that load another
  checkpoint (``DetectMultiBackend``): a module must be a layer class.
- 114pa-4: ``onnx.load`` of a JSON/text model needs no ``irVersion`` nor ``graph``, and reads
  external data of ``functions`` too.
- 114pa-5: a 960 KB YOLO-shaped YAML of one name repeated took 4.5 s: each string judged once, and a
  text over 256 KiB is not composed again."""

from __future__ import annotations

import json

import pytest

from mlbom.formats import config_targets, yolo_cfg
from mlbom.scanner import scan_bytes
from tests.helpers import counting_calls


@pytest.mark.parametrize(("type_", "extra"), [
    ("mmengine.utils.call_command", {"cmd": ["true"]}),
    ("mmengine.utils.package_utils.call_command", {"cmd": ["true"]}),
    ("mmengine.utils.install_package", {"package": "evilpkg"}),
    ("mmengine.fileio.load", {"file": "data/annotations.pkl"}),
    ("mmengine.config.Config.fromfile", {"filename": "configs/base.py"}),
    ("mmengine.runner.load_checkpoint", {"filename": "other.pth"}),
    ("mmcv.runner.load_checkpoint", {"filename": "other.pth"}),
])
def test_openmmlab_helpers_under_type_are_unsafe(type_: str, extra: dict[str, object]) -> None:
    doc = {"model": {"type": type_, **extra}}
    r = scan_bytes(json.dumps(doc).encode(), "config.json")
    assert r.verdict == "unsafe", [(f.id, f.message[:120]) for f in r.findings]


def _yolo(module: str, args: str = "[]") -> bytes:
    return (f"nc: 80\nbackbone:\n  - [-1, 1, Conv, [64, 6, 2, 2]]\n  - [-1, 1, {module}, {args}]\n"
            "head:\n  - [[17, 20, 23], 1, Detect, [nc]]\n").encode()


@pytest.mark.parametrize(("module", "args"), [
    ("check_requirements", "[evilpkg]"),
    ("attempt_load_one_weight", "[weights/best.pt]"),
    ("torch_safe_load", "[weights/best.pt]"),
    ("DetectMultiBackend", "[weights/best.pt]"),
    ("AutoBackend", "[weights/best.pt]"),
])
def test_yolo_rows_calling_functions_or_loaders_are_not_safe(module: str, args: str) -> None:
    r = scan_bytes(_yolo(module, args), "model.yaml")
    assert r.verdict in ("suspicious", "unsafe"), [(f.id, f.message[:120]) for f in r.findings]


@pytest.mark.parametrize("module", ["C2f", "SPPF", "nn.Upsample", "torch.nn.Upsample", "Concat"])
def test_yolo_layer_classes_stay_clean(module: str) -> None:
    assert scan_bytes(_yolo(module, "[None, 2, 'nearest']"), "model.yaml").verdict == "safe"


def test_each_yolo_string_is_judged_once(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = {"backbone": [[-1, 1, "Conv", ["a"] * 5000]], "head": [[-1, 1, "Detect", ["nc"]]]}
    with counting_calls(monkeypatch, config_targets, "denied") as calls:
        assert yolo_cfg.judge_doc(doc) == []
    assert calls[0] < 20


def test_a_large_yolo_shaped_text_is_not_composed_again() -> None:
    text = "backbone:\n  - [-1, 1, Conv, [" + "a, " * (yolo_cfg.MAX_TEXT // 3) + "]]\nhead: []\n"
    out = yolo_cfg.judge_text(text)
    assert [j.effect for j in out] == ["suspicious"] and "not read" in out[0].message


@pytest.mark.parametrize(("name", "doc"), [
    ("model.onnxjson", {"graph": {"initializer": [{"name": "w", "dataLocation": "EXTERNAL",
                                                   "externalData": [{"key": "location", "value": "../../etc/passwd"}]}]}}),
    ("model.json", {"functions": [{"node": [{"attribute": [{"t": {"dataLocation": "EXTERNAL", "externalData": [
        {"key": "location", "value": "/etc/passwd"}]}}]}]}]}),
])
def test_onnx_json_without_ir_version_is_judged(name: str, doc: dict[str, object]) -> None:
    r = scan_bytes(json.dumps(doc).encode(), name)
    assert r.verdict == "unsafe", [(f.id, f.message[:120]) for f in r.findings]


def test_onnx_textproto_with_external_data_and_no_ir_version_is_not_judged_safe() -> None:
    text = b'graph { initializer { name: "w" data_location: EXTERNAL external_data { key: "location" value: "../x" } } }\n'
    assert scan_bytes(text, "model.textproto").verdict == "error"
