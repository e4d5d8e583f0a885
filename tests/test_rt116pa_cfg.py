"""Red team 116pa, findings 2, 3, 5 and 7: files and modules a config makes its framework read,
import or run though no scan of the folder judged them.

* 2: detectron2/fvcore ``_BASE_`` (``CfgNode.load_yaml_with_base``: joined to the config's folder unless
  absolute or a URL, ``~`` expanded; ``merge_from_file`` allows unsafe YAML by default).
* 3: mmengine ``_base_`` (a string or a list; ``Config._get_cfg_path``; a ``.py`` base is executed).
* 5: mmengine ``custom_imports`` reached through YAML aliases, merge keys, ``{{ _base_.x }}`` and
  ``{{ fileBasename… }}`` (text mmengine rewrites before parsing).
* 7: diffusers ``model_index.json`` components whose library ``get_class_obj_and_candidates`` imports
  by name.

A base config the same folder scan walks is judged where it lies (no finding); one outside it is
``code.remote`` (suspicious) naming the loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.scanner import FileScan, scan, scan_bytes


def _by_name(root: Path) -> dict[str, FileScan]:
    return {Path(sc.path).name: sc for sc in scan(root)}


def _remote(sc: FileScan, *words: str) -> bool:
    return any(f.id == "code.remote" and all(w in f.message for w in words) for f in sc.findings)


# ---- 116pa-2: detectron2 / fvcore _BASE_ ---------------------------------------------------------

PAYLOAD = 'MODEL:\n  WEIGHTS: !!python/object/apply:os.system ["true"]\n'


@pytest.mark.parametrize("base", [".git/base.yaml", "../d2_shared/Base-RCNN.yaml", "https://example.invalid/b.yaml",
                                  "http://example.invalid/b.yaml", "/etc/mlbom/base.yaml", "~/base.yaml",
                                  "C:/base.yaml", "sub/.git/base.yaml", "..\\base.yaml"])
def test_fvcore_base_outside_the_scan_is_suspicious(base: str) -> None:
    r = scan_bytes(f'_BASE_: "{base}"\nMODEL:\n  MASK_ON: true\n'.encode(), "config.yaml")
    assert r.verdict == "suspicious", r.findings
    assert _remote(r, "_BASE_", "merge_from_file"), r.findings


def test_fvcore_base_in_a_skipped_folder(tmp_path: Path) -> None:
    d = tmp_path / "d2_git"
    (d / ".git").mkdir(parents=True)
    (d / ".git" / "base.yaml").write_text(PAYLOAD)
    (d / "config.yaml").write_text("_BASE_: .git/base.yaml\n")
    sc = _by_name(d)["config.yaml"]
    assert sc.verdict == "suspicious" and _remote(sc, ".git/base.yaml", "skips"), sc.findings


def _detectron2_tree(root: Path) -> Path:
    configs = root / "configs"
    (configs / "COCO-Detection").mkdir(parents=True)
    (configs / "Base-RCNN-FPN.yaml").write_text('MODEL:\n  META_ARCHITECTURE: "GeneralizedRCNN"\n'
                                                '  BACKBONE:\n    NAME: "build_resnet_fpn_backbone"\n')
    (configs / "COCO-Detection" / "faster_rcnn_R_50_FPN_1x.yaml").write_text(
        '_BASE_: "../Base-RCNN-FPN.yaml"\nMODEL:\n  WEIGHTS: "detectron2://ImageNetPretrained/MSRA/R-50.pkl"\n'
        '  MASK_ON: False\n  RESNETS:\n    DEPTH: 50\n')
    (configs / "COCO-Detection" / "retina.yaml").write_text('_BASE_: "../Base-RCNN-FPN.yaml"\n')
    return configs


def test_detectron2_checkout_configs_folder_is_safe(tmp_path: Path) -> None:
    """A checkout's configs/ scanned whole: the base one folder up is a file of the same scan (FP guard)."""
    got = _by_name(_detectron2_tree(tmp_path))
    assert {n: sc.verdict for n, sc in got.items()} == {"Base-RCNN-FPN.yaml": "safe", "faster_rcnn_R_50_FPN_1x.yaml":
                                                         "safe", "retina.yaml": "safe"}


def test_detectron2_model_folder_alone_names_its_base(tmp_path: Path) -> None:
    """One folder of the model zoo scanned alone: its base is outside the scan — suspicious, said clearly."""
    got = _by_name(_detectron2_tree(tmp_path) / "COCO-Detection")
    for sc in got.values():
        assert sc.verdict == "suspicious" and _remote(sc, "_BASE_", "../Base-RCNN-FPN.yaml", "merge_from_file")


def test_detectron2_base_climbing_back_through_a_link_is_not_judged(tmp_path: Path) -> None:
    configs = _detectron2_tree(tmp_path / "repo")
    (tmp_path / "elsewhere" / "x").mkdir(parents=True)
    (tmp_path / "elsewhere" / "Base.yaml").write_text(PAYLOAD)
    (configs / "link").symlink_to(tmp_path / "elsewhere" / "x", target_is_directory=True)
    (configs / "Base.yaml").write_text("MODEL: {}\n")
    (configs / "c.yaml").write_text("_BASE_: link/../Base.yaml\n")  # the kernel reads elsewhere/Base.yaml
    assert _by_name(configs)["c.yaml"].verdict == "suspicious"


def test_fvcore_base_inside_is_judged_where_it_lies(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(PAYLOAD)
    (tmp_path / "config.yaml").write_text("_BASE_: base.yaml\n")
    got = _by_name(tmp_path)
    assert got["config.yaml"].verdict == "safe" and got["base.yaml"].verdict != "safe"


def test_a_base_scanned_alone_is_not_judged() -> None:
    r = scan_bytes(b"_BASE_: base.yaml\n", "config.yaml")
    assert r.verdict == "suspicious" and _remote(r, "base.yaml")


# ---- 116pa-3: mmengine _base_ --------------------------------------------------------------------

@pytest.mark.parametrize(("name", "text"), [
    ("config.yaml", "_base_: ['.git/base.py']\nmodel: {type: ResNet}\n"),
    ("config.yaml", "_base_: /tmp/mm_shared_base.py\n"),
    ("config.yaml", "_base_:\n  - ./local.py\n  - ~/x.py\n"),
    ("config.yaml", "_base_: 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'\n"),
    ("config.json", json.dumps({"_base_": ["../mm_shared/base.py"], "model": {"type": "ResNet"}})),
    ("config.json", json.dumps({"_base_": "https://example.invalid/b.py"})),
    ("config.json", '{"\\u005fbase_": "/abs/b.py"}'),  # an escaped key
    ("config.yaml", '"\\x5fbase_": /abs/b.py\n'),
    ("config.yaml", "x: &b /abs/b.py\n_base_: *b\n"),  # an alias
    ("config.yaml", "<<: {_base_: /abs/b.py}\n"),  # a merge key
])
def test_mmengine_base_outside_the_scan_is_suspicious(name: str, text: str) -> None:
    r = scan_bytes(text.encode(), name)
    assert r.verdict == "suspicious", r.findings
    assert _remote(r, "_base_"), r.findings


def test_mmengine_python_base_outside_says_executed() -> None:
    r = scan_bytes(b"_base_: ['.git/base.py']\n", "config.yaml")
    assert _remote(r, ".git/base.py", "executed")


def test_mmengine_folder(tmp_path: Path) -> None:
    (tmp_path / "_base_").mkdir()
    (tmp_path / "_base_" / "runtime.yaml").write_text("log_level: INFO\n")
    (tmp_path / "cfg.yaml").write_text("_base_: ['_base_/runtime.yaml']\nmodel: {type: ResNet}\n")
    (tmp_path / "cfg.json").write_text(json.dumps({"_base_": "_base_/runtime.yaml"}))
    got = _by_name(tmp_path)
    assert got["cfg.yaml"].verdict == "safe" and got["cfg.json"].verdict == "safe"
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "base.py").write_text("import os\nos.system('true')\n")
    (tmp_path / "evil.yaml").write_text("_base_: ['.git/base.py']\n")
    assert _by_name(tmp_path)["evil.yaml"].verdict == "suspicious"


def test_configs_without_bases_stay_safe() -> None:
    for name, text in [("c.yaml", "model:\n  _base_name: x\nbase: ../x.yaml\n"),
                       ("c.json", json.dumps({"model": {"_base_": "../deep.py"}})),  # not top-level: not read
                       ("c.yaml", "MODEL:\n  _BASE_: /abs.yaml\n")]:
        assert scan_bytes(text.encode(), name).verdict == "safe", (name, text)


# ---- 116pa-5: custom_imports through aliases, merge keys and mmengine's substitutions -------------

M = "antigravity"


@pytest.mark.parametrize(("name", "text"), [
    ("a.yaml", f"extra: &m {{imports: [{M}]}}\ncustom_imports: *m\n"),
    ("b.yaml", f"mods: &l [{M}]\ncustom_imports: {{imports: *l}}\n"),
    ("c.yaml", f"custom_imports:\n  <<: {{imports: [{M}]}}\n"),
    ("d.yaml", f"<<: {{custom_imports: {{imports: [{M}]}}}}\nmodel: {{type: ResNet}}\n"),
    ("d2.yaml", f"<<: [{{x: 1}}, {{custom_imports: {{imports: {M}}}}}]\n"),
])
def test_custom_imports_through_aliases_and_merge_keys(name: str, text: str) -> None:
    r = scan_bytes(text.encode(), name)
    assert r.verdict == "suspicious" and _remote(r, "custom_imports", M), r.findings


@pytest.mark.parametrize(("name", "text"), [
    ("e.yaml", "_base_: ['e_base.yaml']\ncustom_imports: {{ _base_.ci }}\n"),
    ("f.yaml", "_base_: ['e_base.yaml']\ncustom_imports: {imports: {{ _base_.mods }}}\n"),
    ("g.json", '{"_base_": ["e_base.yaml"], "custom_imports": {{ _base_.ci }}}\n'),
    ("h.yaml", "_base_: e_base.yaml\ncustom_imports:\n  imports:\n    - {{_base_.m}}\n"),
])
def test_custom_imports_from_a_base_variable(name: str, text: str, tmp_path: Path) -> None:
    (tmp_path / "e_base.yaml").write_text(f"ci: {{imports: [{M}]}}\nmods: [{M}]\nm: {M}\n")
    (tmp_path / name).write_text(text)
    sc = _by_name(tmp_path)[name]
    assert sc.verdict == "suspicious" and _remote(sc, "custom_imports", "_base_."), sc.findings


def test_custom_imports_in_the_file_name(tmp_path: Path) -> None:
    name = f"custom_imports: {{imports: [{M}]}} .yaml"
    (tmp_path / name).write_text("{{ fileBasenameNoExtension }}\n")
    sc = _by_name(tmp_path)[name]
    assert sc.verdict == "suspicious" and _remote(sc, "as mmengine reads it", M), sc.findings
    r = scan_bytes(b"{{fileBasename}}", f"custom_imports: {{imports: [{M}]}}")
    assert r.verdict == "suspicious"


def test_file_dirname_is_not_known() -> None:
    r = scan_bytes(b"{{ fileDirname }}\n", "cfg.yaml")
    assert r.verdict == "suspicious" and _remote(r, "fileDirname")


@pytest.mark.parametrize(("name", "text"), [
    ("cfg.yaml", "work_dir: ./work_dirs/{{ fileBasenameNoExtension }}\nmodel: {type: ResNet}\n"),
    ("cfg.json", json.dumps({"work_dir": "./work_dirs/{{ fileBasenameNoExtension }}", "ext": "{{ fileExtname }}"})),
    ("values.yaml", "image: {{ .Values.image }}\nname: \"{{ name }}\"\n"),  # other templating: not mmengine's
    ("cfg.yaml", "_base_: base.yaml\nlr: {{ _base_.lr }}\n"),  # a base variable outside custom_imports
    ("cfg.yaml", "custom_imports: {allow_failed_imports: true}\nx: &a [1]\ny: *a\n"),
])
def test_substitutions_without_code_stay(name: str, text: str, tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("lr: 0.1\n")
    (tmp_path / name).write_text(text)
    assert _by_name(tmp_path)[name].verdict == "safe", _by_name(tmp_path)[name].findings


# ---- 116pa-7: diffusers component libraries imported by name -------------------------------------

SD15 = {"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.6.0",
        "feature_extractor": ["transformers", "CLIPImageProcessor"],
        "safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"],
        "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"]}
SDXL = {"_class_name": "StableDiffusionXLPipeline", "_diffusers_version": "0.19.0.dev0", "force_zeros_for_empty_prompt":
        True, "add_watermarker": None, "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"], "text_encoder_2": ["transformers",
                                                                              "CLIPTextModelWithProjection"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"],
        "image_encoder": [None, None], "feature_extractor": [None, None]}
FLUX = {"_class_name": "FluxPipeline", "_diffusers_version": "0.30.0.dev0",
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
        "text_encoder_2": ["transformers", "T5EncoderModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
        "tokenizer_2": ["transformers", "T5TokenizerFast"], "transformer": ["diffusers", "FluxTransformer2DModel"],
        "vae": ["diffusers", "AutoencoderKL"]}
KANDINSKY = {"_class_name": "KandinskyPipeline", "_diffusers_version": "0.18.0.dev0",
             "movq": ["diffusers", "VQModel"], "scheduler": ["diffusers", "DDIMScheduler"],
             "text_encoder": ["kandinsky", "MultilingualCLIP"], "tokenizer": ["transformers", "XLMRobertaTokenizerFast"],
             "unet": ["diffusers", "UNet2DConditionModel"]}


@pytest.mark.parametrize("doc", [SD15, SDXL, FLUX, KANDINSKY], ids=["sd15", "sdxl", "flux", "kandinsky"])
def test_real_model_indexes_stay_safe(doc: dict[str, object], tmp_path: Path) -> None:
    (tmp_path / "model_index.json").write_text(json.dumps(doc))
    assert _by_name(tmp_path)["model_index.json"].verdict == "safe"
    assert scan_bytes(json.dumps(doc).encode(), "model_index.json").verdict == "safe"


@pytest.mark.parametrize("library", ["antigravity", "evil_pkg", "os", "onnxruntime", "projects.hooks"])
def test_a_component_library_imported_by_name_is_code_remote(library: str, tmp_path: Path) -> None:
    doc = dict(SD15, unet=[library, "UNet2DConditionModel"])
    (tmp_path / "model_index.json").write_text(json.dumps(doc))
    sc = _by_name(tmp_path)["model_index.json"]
    assert sc.verdict == "suspicious" and _remote(sc, "unet", library, "import_module"), sc.findings


def test_a_component_file_is_judged_where_it_lies(tmp_path: Path) -> None:
    """``<folder>/<component>/<library>.py`` is a custom component (judged as the folder's file), not an import."""
    (tmp_path / "unet").mkdir()
    (tmp_path / "unet" / "my_unet.py").write_text("class MyUNet: pass\n")
    (tmp_path / "model_index.json").write_text(json.dumps(dict(SD15, unet=["my_unet", "MyUNet"])))
    sc = _by_name(tmp_path)["model_index.json"]
    assert not _remote(sc, "import_module"), sc.findings


# ---- bounds ---------------------------------------------------------------------------------------

def test_merge_keys_nested_past_the_bound_are_not_safe() -> None:
    chain = "a0: &a0 {custom_imports: {imports: [m]}}\n" + "".join(f"a{i}: &a{i}\n  <<: *a{i - 1}\n"
                                                                   for i in range(1, 60))
    r = scan_bytes((chain + "<<: *a59\n").encode(), "cfg.yaml")
    assert r.verdict == "suspicious" and _remote(r, "merge keys"), r.findings


def test_a_merge_key_bomb_is_read_once_per_mapping() -> None:
    text = "a0: &a0 {x: 1}\n" + "".join(f"a{i}: &a{i}\n  <<: [" + ", ".join(f"*a{j}" for j in range(max(0, i - 20), i))
                                        + "]\n" for i in range(1, 400)) + "custom_imports:\n  <<: *a399\n  imports: m\n"
    r = scan_bytes(text.encode(), "cfg.yaml")
    assert r.verdict == "suspicious" and _remote(r, "custom_imports"), r.findings


def test_many_bases_are_never_a_silent_cap() -> None:
    text = "_base_:\n" + "".join(f"  - b{i}.yaml\n" for i in range(10_050))
    r = scan_bytes(text.encode(), "cfg.yaml")
    assert r.verdict == "suspicious" and _remote(r, "over 10000 configs"), [f.message[:200] for f in r.findings]
