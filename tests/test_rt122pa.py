"""Red team 122pa (configs a framework loads and evaluates):

* 122pa-2: Hydra ``hydra.job.env_set`` (hydra-core 1.3 ``hydra/core/utils.py`` ``run_job``: the task runs inside
  ``env_override(hydra_cfg.hydra.job.env_set)``, ``os.environ.update``) was not read: a variable that loads code
  (``LD_PRELOAD``, ``PYTHONPATH``, ``GIT_CONFIG_*``, ``BASH_ENV`` …) is ``unsafe``, any other outside a data-only
  set ``suspicious``, an env_set that is no literal mapping ``suspicious`` (``config.env-set``).
* 122pa-3: checkpoints a trainer loads: LightningCLI ``ckpt_path`` (top level or under fit/validate/test/predict, in
  an evident LightningCLI config) that is an http URL (lightning/fabric/utilities/cloud_io.py ``_load``:
  ``load_state_dict_from_url(weights_only=False)``) is ``code.remote``, a local path leaving the folder
  ``config.path-outside``; mmengine ``load_from``/``resume_from``/``init_cfg.checkpoint`` and NeMo
  ``init_from_nemo_model``/``init_from_ptl_ckpt``/``exp_manager.resume_from_checkpoint`` leaving the folder too
  (mmengine's URLs: no finding, every OpenMMLab config has them).
* 122pa-4: in an evident jsonargparse/LightningCLI config a dotted plain string for a class-typed argument
  (``optimizer``, ``lr_scheduler``, ``model``, ``data``, ``trainer.callbacks``/``logger``/``plugins``) is imported
  as a ``class_path`` is (jsonargparse ``subclass_spec_as_namespace``): judged as one.
* 122pa-1: mmengine imports ``<scope>.registry`` for a ``_scope_`` (any mapping), the top-level ``default_scope``,
  the scope of ``runner_type`` and of a dotted ``type`` (mmengine 0.10 registry/registry.py
  ``switch_scope_and_registry`` / ``get``): a scope outside OpenMMLab's (config/utils.py ``MODULE2PACKAGE``,
  mmengine, mmcv) is judged as a ``custom_imports`` entry (``suspicious``, its import effect named).
* 122pa-5: diffusers ``modular_model_index.json`` 3-item components ``[library, Class, spec]``: the library and
  ``spec.type_hint[0]`` (0.36 ``ModularPipeline`` → ``simple_get_class_obj``: ``importlib.import_module``) are
  judged as a 2-item component's library (116pa-7).
Nothing here is loaded."""

from __future__ import annotations

import json

import pytest

from mlbom.scanner import scan_bytes


def _ids(r: object) -> list[str]:
    return [f.id for f in r.findings]  # type: ignore[attr-defined]


# --- 122pa-2: Hydra hydra.job.env_set ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    'defaults:\n  - _self_\nmodel:\n  name: resnet50\nhydra:\n  job:\n    env_set:\n      GIT_CONFIG_COUNT: "1"\n'
    '      GIT_CONFIG_KEY_0: core.fsmonitor\n      GIT_CONFIG_VALUE_0: "echo x >&2; false"\n',
    "hydra:\n  job:\n    env_set:\n      LD_PRELOAD: /tmp/x.so\n",
    "hydra:\n  job:\n    env_set: {PYTHONPATH: /srv/evil, OMP_NUM_THREADS: '1'}\n",
    "hydra:\n  job:\n    env_set:\n      bash_env: /tmp/x\n",  # (Windows: names ignore case)
    "# @package hydra.job\nenv_set:\n  BASH_ENV: /tmp/x\n",
    "# @package hydra\njob:\n  env_set:\n    PATH: /tmp/bin\n",
    "# @package hydra.job.env_set\nLD_AUDIT: /tmp/x.so\n",
    "b: &b {PYTHONSTARTUP: /tmp/x.py}\nhydra:\n  job:\n    env_set:\n      <<: *b\n",
    "hydra:\n  job:\n    env_set:\n      NCCL_NET_PLUGIN: evil\n",
])
def test_122pa2_env_set_code_variables_are_unsafe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "unsafe" and "config.env-set" in _ids(r), r.findings


def test_122pa2_env_set_in_json_is_read() -> None:
    doc = {"hydra": {"job": {"env_set": {"LD_PRELOAD": "/tmp/x.so"}}}}
    r = scan_bytes(json.dumps(doc).encode(), "config.json")
    assert r.verdict == "unsafe" and "config.env-set" in _ids(r), r.findings


@pytest.mark.parametrize("text", [
    "hydra:\n  job:\n    env_set:\n      HF_ENDPOINT: https://mirror.invalid\n",
    "hydra:\n  job:\n    env_set: ${envs}\nenvs: {A: b}\n",
    "hydra:\n  job: ${j}\nj:\n  env_set: {A: b}\n",
    "hydra:\n  job:\n    env_set: [A, B]\n",
])
def test_122pa2_env_set_other_or_computed_is_suspicious(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious" and "config.env-set" in _ids(r), r.findings


# the .hydra/hydra.yaml Hydra 1.3 writes for every run (env_set empty), and data-only variables
_HYDRA_YAML = """hydra:
  run:
    dir: outputs/${now:%Y-%m-%d}/${now:%H-%M-%S}
  job:
    name: train
    chdir: null
    override_dirname: ''
    id: ???
    num: ???
    config_name: config
    env_set: {}
    env_copy: []
    config:
      override_dirname:
        kv_sep: '='
        item_sep: ','
        exclude_keys: []
  runtime:
    version: 1.3.2
    cwd: /home/user/project
"""


@pytest.mark.parametrize("text", [
    _HYDRA_YAML,
    "hydra:\n  job:\n    env_set:\n      OMP_NUM_THREADS: '1'\n      CUDA_VISIBLE_DEVICES: '0'\n"
    "      TOKENIZERS_PARALLELISM: 'false'\n      PYTHONUNBUFFERED: '1'\n    env_copy: [HOME, PATH]\n",
    "hydra:\n  job:\n    env_set: null\n",
])
def test_122pa2_default_and_data_env_set_stay_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "safe" and "config.env-set" not in _ids(r), r.findings


# --- 122pa-3: checkpoint paths --------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "text", "finding"), [
    ("config.yaml", "seed_everything: 42\ntrainer: {max_epochs: 3}\nmodel: {learning_rate: 0.01}\n"
     "ckpt_path: https://example.invalid/last.ckpt\n", "code.remote"),
    ("resume.yaml", "trainer: {max_epochs: 3}\nckpt_path: /srv/shared/runs/last.ckpt\nweights_only: false\n",
     "config.path-outside"),
    ("top.json", json.dumps({"fit": {"ckpt_path": "../../other/last.ckpt", "weights_only": False,
                                     "trainer": {"max_epochs": 1}}}), "config.path-outside"),
    ("c.yaml", "trainer: {max_epochs: 3}\nfit:\n  ckpt_path: ~/runs/last.ckpt\n", "config.path-outside"),
    ("mm.yaml", "default_scope: mmdet\nmodel: {type: FasterRCNN}\nload_from: ../../other/epoch_12.pth\n"
     "resume: true\n", "config.path-outside"),
    ("mm.yaml", "resume_from: /srv/work_dirs/latest.pth\nmodel: {type: FasterRCNN}\n", "config.path-outside"),
    ("mm.yaml", "model:\n  type: ImageClassifier\n  backbone:\n    type: ResNet\n    init_cfg:\n"
     "      - {type: Pretrained, checkpoint: /srv/x.pth, prefix: backbone}\n", "config.path-outside"),
    ("nemo.yaml", "init_from_nemo_model: /srv/models/x.nemo\nmodel: {sample_rate: 16000}\n", "config.path-outside"),
    ("nemo.yaml", "init_from_nemo_model:\n  enc:\n    path: ../x.nemo\n", "config.path-outside"),
    ("nemo.yaml", "exp_manager:\n  resume_from_checkpoint: /srv/x.ckpt\n", "config.path-outside"),
])
def test_122pa3_checkpoints_from_the_network_or_outside_are_suspicious(name: str, text: str, finding: str) -> None:
    r = scan_bytes(text.encode(), name)
    assert r.verdict == "suspicious" and finding in _ids(r), r.findings


@pytest.mark.parametrize(("name", "text"), [
    # LightningCLI --print_config writes ckpt_path: null; the special values name no file
    ("config.yaml", "seed_everything: 42\ntrainer:\n  max_epochs: 3\nmodel:\n  learning_rate: 0.01\n"
     "ckpt_path: null\nweights_only: null\n"),
    ("config.yaml", "trainer: {max_epochs: 3}\nckpt_path: last\n"),
    ("config.yaml", "trainer: {max_epochs: 3}\nckpt_path: ~\nload_from: ~\ninit_from_nemo_model: ~\n"),
    ("config.yaml", "trainer: {max_epochs: 3}\nckpt_path: checkpoints/epoch=3.ckpt\n"),
    # no LightningCLI config: a ckpt_path key of another tool is not Lightning's
    ("other.yaml", "ckpt_path: https://example.invalid/last.ckpt\nbatch_size: 4\n"),
    # an OpenMMLab config as MMDetection writes it (URLs, torchvision://, open-mmlab://)
    ("faster_rcnn.yaml", "default_scope: mmdet\nmodel:\n  type: FasterRCNN\n  backbone:\n    type: ResNet\n"
     "    depth: 50\n    init_cfg: {type: Pretrained, checkpoint: 'torchvision://resnet50'}\n"
     "load_from: https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pth\n"
     "resume: false\n"),
    ("mm.yaml", "model:\n  type: ResNet\n  init_cfg: {type: Kaiming, layer: Conv2d}\nload_from: null\n"),
])
def test_122pa3_default_checkpoints_stay_safe(name: str, text: str) -> None:
    r = scan_bytes(text.encode(), name)
    assert r.verdict == "safe", r.findings


# --- 122pa-4: plain-string class paths in a LightningCLI config -------------------------------------------------

@pytest.mark.parametrize(("text", "name"), [
    ("trainer:\n  max_epochs: 3\n  callbacks:\n    - this.EarlyStopping\nmodel:\n  learning_rate: 0.01\n",
     "this.EarlyStopping"),
    ("trainer: {max_epochs: 3}\noptimizer: this.Adam\n", "this.Adam"),
    ("seed_everything: 1\nlr_scheduler: 'acme.sched.Evil'\n", "acme.sched.Evil"),
    ("data: {class_path: lightning.pytorch.demos.boring_classes.BoringDataModule}\nmodel: mypkg.Net\n",
     "mypkg.Net"),
    ("trainer:\n  logger: acme.loggers.Evil\n", "acme.loggers.Evil"),
    ("trainer:\n  plugins: [acme.plugins.Evil]\n", "acme.plugins.Evil"),
    ("fit:\n  trainer: {max_epochs: 1}\n  optimizer: this.Adam\n", "this.Adam"),
])
def test_122pa4_plain_string_class_paths_are_judged(text: str, name: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious" and "code.remote" in _ids(r), r.findings
    assert any(repr(name) in f.message for f in r.findings), r.findings


def test_122pa4_plain_string_class_path_in_json() -> None:
    doc = {"trainer": {"max_epochs": 1, "callbacks": ["this.EarlyStopping"]}}
    r = scan_bytes(json.dumps(doc).encode(), "config.json")
    assert r.verdict == "suspicious" and "this.EarlyStopping" in r.findings[0].message, r.findings


# LightningCLI --print_config (nulls, registry names), bare class names jsonargparse resolves among the known
# subclasses (Adam), a config file name, and a config that is no LightningCLI one (no trainer/seed_everything)
@pytest.mark.parametrize("text", [
    "seed_everything: 0\ntrainer:\n  accelerator: auto\n  strategy: auto\n  devices: auto\n  logger: null\n"
    "  callbacks: null\n  plugins: null\n  precision: null\nmodel:\n  learning_rate: 0.01\ndata:\n"
    "  batch_size: 32\noptimizer: null\nlr_scheduler: null\nckpt_path: null\n",
    "trainer: {max_epochs: 3, logger: true}\noptimizer: Adam\nlr_scheduler: ReduceLROnPlateau\n",
    "trainer: {max_epochs: 3}\nmodel: model.yaml\n",
    "model: bert.base\noptimizer: adamw.torch\n",
])
def test_122pa4_default_lightning_configs_stay_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "safe", r.findings


# --- 122pa-1: mmengine scopes -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "text"), [
    ("model_scope.json", json.dumps({"model": {"type": "ResNet", "_scope_": "this", "depth": 50}})),
    ("default_scope.yaml", "default_scope: this\nmodel: {type: ResNet, depth: 50}\n"),
    ("default_scope_antigravity.yaml", "default_scope: antigravity\nmodel: {type: ResNet}\n"),
    ("type_scope_prefix.yaml", "model: {type: this.ResNet}\n"),
    ("deep.yaml", "train_dataloader:\n  dataset:\n    pipeline:\n      - {type: LoadImage, _scope_: acme_evil}\n"),
    ("runner.yaml", "runner_type: this.Runner\nmodel: {type: ResNet}\n"),
    ("types.json", json.dumps({"model": {"type": "ImageClassifier", "backbone": {"type": "acme.Backbone"}}})),
])
def test_122pa1_mmengine_scopes_are_imports(name: str, text: str) -> None:
    r = scan_bytes(text.encode(), name)
    assert r.verdict == "suspicious" and "code.remote" in _ids(r), r.findings
    assert any("mmengine scope" in f.message for f in r.findings), r.findings


# MMDetection/MMPretrain configs (their own scopes), a sentence-transformers modules.json (dotted types that are
# no mmengine config's) and a dotted type in a config that is no mmengine one
@pytest.mark.parametrize(("name", "text"), [
    ("faster_rcnn.yaml", "default_scope: mmdet\nmodel:\n  type: FasterRCNN\n  data_preprocessor:\n"
     "    type: DetDataPreprocessor\n  backbone:\n    type: mmpretrain.ConvNeXt\n    _scope_: mmpretrain\n"
     "optim_wrapper: {type: OptimWrapper, optimizer: {type: SGD, lr: 0.02}}\nrunner_type: Runner\n"),
    ("cfg.json", json.dumps({"default_scope": "mmengine", "model": {"type": "mmdet.RetinaNet"}})),
    ("modules.json", json.dumps([{"idx": 0, "name": "0", "path": "",
                                  "type": "sentence_transformers.models.Transformer"}])),
    ("other.yaml", "precision:\n  type: torch.float16\n"),
    ("nulls.yaml", "default_scope: null\nmodel: {type: ResNet, _scope_: ~}\n"),
    ("sgd.yaml", "model: {type: ResNet}\noptim_wrapper:\n  optimizer: {type: torch.optim.SGD, lr: 0.02}\n"),
])
def test_122pa1_openmmlab_scopes_stay_safe(name: str, text: str) -> None:
    r = scan_bytes(text.encode(), name)
    assert r.verdict == "safe", r.findings


# --- 122pa-5: diffusers modular_model_index.json type_hint ------------------------------------------------------

def _modular(unet: list[object]) -> bytes:
    return json.dumps({"_class_name": "StableDiffusionXLModularPipeline", "_diffusers_version": "0.36.0",
                       "_blocks_class_name": "StableDiffusionXLAutoBlocks", "unet": unet}).encode()


_SPEC = {"pretrained_model_name_or_path": None, "subfolder": "unet", "revision": None, "variant": None}


@pytest.mark.parametrize("unet", [
    ["this", "UNet2DConditionModel", {**_SPEC, "type_hint": ["this", "UNet2DConditionModel"]}],
    ["diffusers", "UNet2DConditionModel", {**_SPEC, "type_hint": ["antigravity", "UNet2DConditionModel"]}],
    ["acme_evil", "UNet2DConditionModel", {**_SPEC}],
])
def test_122pa5_modular_component_libraries_are_judged(unet: list[object]) -> None:
    r = scan_bytes(_modular(unet), "modular_model_index.json")
    assert r.verdict == "suspicious" and "code.remote" in _ids(r), r.findings


# a modular_model_index.json as diffusers saves it (diffusers/transformers components, unloaded ones null)
@pytest.mark.parametrize("unet", [
    ["diffusers", "UNet2DConditionModel", {**_SPEC, "pretrained_model_name_or_path":
                                           "stabilityai/stable-diffusion-xl-base-1.0",
                                           "type_hint": ["diffusers", "UNet2DConditionModel"]}],
    [None, None, {**_SPEC, "type_hint": ["diffusers", "UNet2DConditionModel"]}],
    ["transformers", "CLIPTextModel", {**_SPEC, "type_hint": ["transformers", "CLIPTextModel"]}],
])
def test_122pa5_default_modular_index_stays_safe(unet: list[object]) -> None:
    r = scan_bytes(_modular(unet), "modular_model_index.json")
    assert r.verdict == "safe", r.findings
