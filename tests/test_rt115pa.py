"""Red team 115pa, on the 114pa fixes:

- 115pa-1: gin tries a binding before the import/include keywords, so ``import = @os.system()``
  (used later as ``%import``) is a binding whose reference mlbom skipped with the "import" line.
- 115pa-1b: a ``.j2``/``.jinja`` name stopped every rule that holds whatever a text's name (gin
  includes ``base.j2``; OmegaConf, jsonargparse and PyYAML read any name they are given).
- 115pa-4: more OpenMMLab helpers: ``Config.fromstring`` (``file_format='.py'`` runs the text),
  checkpoint loaders beside the denied ones, the ``init_detector``/``init_model`` APIs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.scanner import scan, scan_bytes

DYN = "from __gin__ import dynamic_registration\nimport os\n"


@pytest.mark.parametrize("text", [
    DYN + "import = @os.system()\ntrain.cb = %import\n",
    DYN + "include = @os.system()\n",
    DYN + "from = @os.system()\n",
    DYN + "import/train.cb = @os.system()\n",  # a scope named import
    DYN + "import.cb = @os.system()\n",
    DYN + "import:\n  cb = @os.system()\n",  # a block binding
])
def test_gin_bindings_named_like_keywords_are_read(text: str) -> None:
    assert scan_bytes(text.encode(), "config.gin").verdict == "unsafe"


def test_gin_imports_stay_imports() -> None:
    r = scan_bytes((DYN + "import os.path as p\ninclude 'base.gin'\ntrain.x = 1\n").encode(), "config.gin")
    assert r.verdict == "safe", r.findings


@pytest.mark.parametrize(("text", "verdict"), [
    (DYN + "train.cb = @os.system()\n", "unsafe"),  # gin's include 'base.j2'
    ("model:\n  _target_: os.system\n", "unsafe"),  # OmegaConf.load('config.j2')
    ("model:\n  class_path: os.system\n", "unsafe"),  # jsonargparse --config config.j2
])
def test_template_names_keep_the_name_free_rules(text: str, verdict: str) -> None:
    for name in ("base.j2", "base.jinja"):
        assert scan_bytes(text.encode(), name).verdict == verdict


@pytest.mark.parametrize("type_", [
    "mmengine.Config.fromstring", "mmengine.config.Config.fromstring", "mmcv.Config.fromstring",
    "mmengine.runner.CheckpointLoader.load_checkpoint", "mmengine.runner.checkpoint.load_from_local",
    "mmcv.runner._load_checkpoint", "mmdet.apis.init_detector", "mmseg.apis.init_model", "mmengine.runner.Runner.from_cfg",
])
def test_more_openmmlab_helpers_are_denied(type_: str) -> None:
    doc = {"model": {"type": type_, "cfg_str": "import os", "file_format": ".py"}}
    assert scan_bytes(json.dumps(doc).encode(), "config.json").verdict == "unsafe"


@pytest.mark.parametrize(("text", "verdict"), [
    ('layer { name: "p" type: "Python" python_param { module: "rpn.proposal_layer" layer: "ProposalLayer" } }\n',
     "suspicious"),
    ('layers { type: PYTHON python_param { module: "os" layer: "system" } }\n', "unsafe"),
    ('layer { name: "conv1" type: "Convolution" convolution_param { num_output: 96 } }\n', "safe"),
])
def test_caffe_python_layers_are_code_the_net_imports(text: str, verdict: str) -> None:
    """115pa-3: caffe.Net's GetPythonLayer imports python_param.module and calls its layer class."""
    assert scan_bytes(text.encode(), "deploy.prototxt").verdict == verdict


SD = {"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.30.0",
      "unet": ["diffusers", "UNet2DConditionModel"], "text_encoder": ["transformers", "CLIPTextModel"],
      "safety_checker": [None, None], "requires_safety_checker": True}


@pytest.mark.parametrize("doc", [
    {**SD, "_class_name": ["../shared_code/pipeline", "MyPipeline"]},
    {**SD, "_class_name": ["/tmp/pipeline", "MyPipeline"]},
    {**SD, "unet": ["../.git/unet_code", "MyUNet"]},
])
def test_diffusers_code_outside_the_scan_is_code_remote(doc: dict[str, object]) -> None:
    """115pa-2: DiffusionPipeline.from_pretrained of a local folder imports <folder>/<_class_name[0]>.py and
    <folder>/<component>/<library>.py (os.path.join keeps .. and absolute parts), no trust_remote_code check."""
    r = scan_bytes(json.dumps(doc).encode(), "model_index.json")
    assert r.verdict == "suspicious" and "code.remote" in {f.id for f in r.findings}, r.findings


def test_a_real_model_index_stays_safe() -> None:
    assert scan_bytes(json.dumps(SD).encode(), "model_index.json").verdict == "safe"


def test_diffusers_code_in_a_skipped_folder_is_code_remote(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "pipeline.py").write_text("import os\nos.system('true')\n")
    (tmp_path / "model_index.json").write_text(json.dumps({**SD, "_class_name": [".git/pipeline", "MyPipeline"]}))
    got = {Path(s.path).name: s.verdict for s in scan(tmp_path)}
    assert got["model_index.json"] == "suspicious", got


def _ckpt(activation: str) -> bytes:
    import pickle

    import yaml

    cfg = yaml.safe_load((Path(__file__).parent / "fixtures" / "yolo" / "yolov5s.yaml").read_text())
    cfg["activation"] = activation
    return pickle.dumps({"epoch": 3, "model": {"yaml": cfg, "names": ["a", "b"]}}, protocol=2)


@pytest.mark.parametrize(("activation", "verdict"), [
    ("nn.SiLU()", "safe"),
    ("__import__('os').system('true')", "unsafe"),
])
def test_a_yolo_definition_inside_a_checkpoint_is_judged(activation: str, verdict: str) -> None:
    """115pa-5: yolov5's train.py --weights builds Model(ckpt['model'].yaml); parse_model evaluates its strings."""
    r = scan_bytes(_ckpt(activation), "best.pkl")
    assert r.verdict == verdict, [(f.id, f.message[:120]) for f in r.findings]
