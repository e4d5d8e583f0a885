"""Red team 117pa, findings 6, 7 and 8: configs that make their framework read other configs or import
modules that no scan of the folder judges.

* 6: Hydra ``hydra.searchpath`` (``ConfigLoaderImpl._process_config_searchpath``: ``file://`` folders,
  ``pkg://`` packages imported) and ``defaults`` entries that leave the search-path root (``//abs``, ``..``).
* 7: jsonargparse / LightningCLI: a string given for a class-typed argument that names an existing
  file is loaded as its config (``parse_value_or_config``); ``__include__`` (``config_include_enabled``).
* 8: gin ``import`` statements (gin's parser runs ``__import__``), judged by the rule mmengine's
  ``custom_imports`` shares (``config_targets.import_risk``).

The false-positive guards are written from what we know of the public repositories they imitate
(lightning-hydra-template's ``configs/``, LightningCLI's documented ``config.yaml``, T5X's and
Dopamine's ``.gin`` files); they are not copies of those files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.formats import config_targets as ct
from mlbom.scanner import FileScan, scan, scan_bytes


def _by_name(root: Path) -> dict[str, FileScan]:
    return {Path(sc.path).name: sc for sc in scan(root)}


def _remote(sc: FileScan, *words: str) -> bool:
    return any(f.id == "code.remote" and all(w in f.message for w in words) for f in sc.findings)


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


EVIL = '_target_: os.system\n_args_: ["true"]\n'


# ---- 117pa-6: Hydra search path and defaults -----------------------------------------------------

@pytest.mark.parametrize("entry", ["file:///srv/shared/configs", "/srv/shared/configs", "file://../shared",
                                   "../shared", "pkg://antigravity", "pkg://my_plugin.conf", "structured://",
                                   "s3://bucket/conf", "file://${oc.env:HOME}/conf", "file://.git/conf",
                                   "file://~/conf", "file://", "..\\shared"])
def test_hydra_searchpath_outside_is_suspicious(entry: str) -> None:
    text = f"defaults:\n  - _self_\n  - model: evil\nhydra:\n  searchpath:\n    - '{entry}'\n"
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious", (entry, r.findings)
    assert _remote(r, "hydra.searchpath", "_process_config_searchpath"), r.findings


def test_hydra_searchpath_through_alias_merge_and_flow_style() -> None:
    for text in ("sp: &sp ['pkg://antigravity']\nhydra:\n  searchpath: *sp\n",
                 "base: &b {searchpath: ['file:///srv/x']}\nhydra:\n  <<: *b\n",
                 "{hydra: {searchpath: [file:///srv/x]}}\n",
                 '{"hydra": {"searchpath": ["pkg://antigravity"]}}'):
        name = "config.json" if text.startswith('{"') else "config.yaml"
        r = scan_bytes(text.encode(), name)
        assert r.verdict == "suspicious" and _remote(r, "hydra.searchpath"), (text, r.findings)


def test_hydra_searchpath_repro_folder(tmp_path: Path) -> None:
    shared = _write(tmp_path / "shared", {"model/evil.yaml": EVIL})
    d = _write(tmp_path / "proj", {"config.yaml": "defaults:\n  - _self_\n  - model: evil\nhydra:\n  searchpath:\n"
                                                  f"    - file://{shared}\n"})
    assert _by_name(d)["config.yaml"].verdict == "suspicious"


def test_hydra_relative_searchpath_inside_is_safe() -> None:
    r = scan_bytes(b"defaults:\n  - _self_\nhydra:\n  searchpath:\n    - file://conf/extra\n    - conf/more\n",
                   "config.yaml")
    assert r.verdict == "safe", r.findings


@pytest.mark.parametrize("entry", ["- //srv/shared/model/evil", "- ../shared/evil", "- model: ../../shared/evil",
                                   "- ../model: evil", "- model: [a, ../../x]", "- override /model: ../../x",
                                   "- .git/evil", "- x: ${a}${b}"])
def test_hydra_defaults_entry_outside_is_suspicious(entry: str) -> None:
    r = scan_bytes(f"defaults:\n  - _self_\n  {entry}\n".encode(), "config.yaml")
    assert r.verdict == "suspicious", (entry, r.findings)
    assert _remote(r, "Hydra defaults entry", "FileConfigSource"), r.findings


def test_lightning_hydra_template_tree_stays_safe(tmp_path: Path) -> None:
    """lightning-hydra-template's configs/ (train.yaml's defaults list of groups, an experiment's
    ``override /group``, hydra/default.yaml's ``override hydra_logging``, paths with interpolations)."""
    d = _write(tmp_path / "configs", {
        "train.yaml": "# @package _global_\ndefaults:\n  - _self_\n  - data: mnist\n  - model: mnist\n"
                      "  - callbacks: default\n  - logger: null\n  - trainer: default\n  - paths: default\n"
                      "  - extras: default\n  - hydra: default\n  - experiment: null\n  - hparams_search: null\n"
                      "  - optional local: default\n  - debug: null\ntask_name: \"train\"\ntags: [\"dev\"]\n"
                      "train: True\ntest: True\nckpt_path: null\nseed: null\n",
        "experiment/example.yaml": "# @package _global_\ndefaults:\n  - override /data: mnist\n"
                                   "  - override /model: mnist\n  - override /trainer: default\n"
                                   "tags: [\"mnist\"]\nseed: 12345\ntrainer:\n  max_epochs: 10\n"
                                   "data:\n  batch_size: 64\n",
        "hydra/default.yaml": "defaults:\n  - override hydra_logging: colorlog\n  - override job_logging: colorlog\n"
                              "run:\n  dir: ${paths.log_dir}/${task_name}/runs/${now:%Y-%m-%d}_${now:%H-%M-%S}\n",
        "paths/default.yaml": "root_dir: ${oc.env:PROJECT_ROOT}\ndata_dir: ${paths.root_dir}/data/\n"
                              "log_dir: ${paths.root_dir}/logs/\noutput_dir: ${hydra:runtime.output_dir}\n",
        "trainer/default.yaml": "default_root_dir: ${paths.output_dir}\nmin_epochs: 1\nmax_epochs: 10\n"
                                "accelerator: cpu\ndevices: 1\n",
        "trainer/gpu.yaml": "defaults:\n  - default\naccelerator: gpu\n",
        "data/mnist.yaml": "batch_size: 128\ndata_dir: ${paths.data_dir}\nnum_workers: 0\n",
        "callbacks/default.yaml": "defaults:\n  - model_checkpoint\n  - early_stopping\n  - _self_\n",
        "debug/default.yaml": "# @package _global_\ndefaults:\n  - override /hydra: default\n"
                              "  - /logger@logger.csv: csv\n",
    })
    bad = {n: sc.findings for n, sc in _by_name(d).items() if sc.verdict != "safe"}
    assert not bad, bad


# ---- 117pa-7: jsonargparse / LightningCLI config paths ----------------------------------------------

@pytest.mark.parametrize("text", [
    "seed_everything: 1\ntrainer:\n  max_epochs: 1\nmodel: /srv/shared/lc_model.yaml\n",
    "trainer:\n  max_epochs: 1\ndata: ~/lc_data\n",
    "model:\n  class_path: a.B\n  init_args:\n    encoder: /srv/enc.yaml\n",
    "model:\n  __include__: /srv/x.yaml\n",
    "__include__: [a.yaml, https://example.invalid/x.yaml]\n",
    "fit:\n  model: /srv/model_cfg\n",
    "config: /srv/other.yaml\ntrainer: {max_epochs: 1}\n",
    "trainer:\n  max_epochs: 1\nmodel: .git/x.yaml\n",
])
def test_jsonargparse_config_path_outside_is_suspicious(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious", (text, r.findings)
    assert any(f.id == "code.remote" and ("parse_value_or_config" in f.message or "resolve_config_includes"
                                          in f.message) for f in r.findings), r.findings


def test_jsonargparse_climbing_path_settled_by_the_run(tmp_path: Path) -> None:
    _write(tmp_path, {"shared/lc_model.yaml": "class_path: antigravity.Fly\ninit_args: {}\n",
                      "proj/config.yaml": "seed_everything: 1\ntrainer:\n  max_epochs: 1\n"
                                          "model: ../shared/lc_model.yaml\n",
                      "inc/config.yaml": "model:\n  __include__: ../shared/lc_model.yaml\ntrainer:\n  max_epochs: 1\n"})
    for sub in ("proj", "inc"):  # the folder alone: the climbing config is judged by no one
        sc = _by_name(tmp_path / sub)["config.yaml"]
        assert sc.verdict == "suspicious" and _remote(sc, "../shared/lc_model.yaml", "jsonargparse"), sc.findings
    whole = {str(Path(sc.path).relative_to(tmp_path)): sc for sc in scan(tmp_path)}
    assert whole["proj/config.yaml"].verdict == "safe", whole["proj/config.yaml"].findings  # judged where it lies
    assert whole["shared/lc_model.yaml"].verdict == "unsafe"


def test_lightning_cli_configs_stay_safe() -> None:
    """LightningCLI's documented config shape (fixed model class: no class_path) with data paths."""
    for text in ("# lightning.pytorch==2.1.0\nseed_everything: 42\ntrainer:\n  accelerator: auto\n  max_epochs: 10\n"
                 "  default_root_dir: lightning_logs\nmodel:\n  learning_rate: 0.001\n  vocab_file: ../assets/vocab.json\n"
                 "  label_map: /data/imagenet/labels.json\ndata:\n  data_dir: /data/imagenet\n"
                 "  train_file: ../data/train.json\n  annotation_file: /data/coco/instances_train2017.json\n"
                 "  batch_size: 32\nckpt_path: null\n",
                 "model: resnet50\ndata: imagenet\ntokenizer: tokenizer.json\nconfig: configs/model.yaml\n",
                 "train: ../datasets/coco128/images/train2017\nval: ../datasets/coco128/images/val2017\n"
                 "test: test-dev2017.txt\nnames:\n  0: person\n"):
        r = scan_bytes(text.encode(), "config.yaml")
        assert r.verdict == "safe", (text, r.findings)


def test_config_paths_in_plain_configs_are_not_read() -> None:
    """A ``..`` config path in a config that is not evidently jsonargparse's (no class_path, no
    LightningCLI key at the top) is no finding: nothing says a loader reads it as a config. (A config
    file named under a top-level LightningCLI key is read in any config: red team 118pa-2,
    tests/test_rt118pa.py.)"""
    for text in (b"tokenizer:\n  vocab: ../shared/vocab.json\nname: x\n", b"model: /models/llama-7b\nport: 8000\n"):
        r = scan_bytes(text, "config.yaml")
        assert r.verdict == "safe", r.findings


# ---- 117pa-8: gin imports ---------------------------------------------------------------------------

def test_gin_import_with_side_effects(tmp_path: Path) -> None:
    for text in ("import antigravity\nfoo.bar = 1\n", "import this as unused\n", "from __phello__ import spam\n",
                 "import idlelib.idle\n", "import unittest.__main__\n", "from pip import __main__\n"):
        r = scan_bytes(text.encode(), "config.gin")
        assert r.verdict == "suspicious" and _remote(r, "gin imports", "__import__"), (text, r.findings)
    # an import of a denied module calls nothing (115pa: imports stay imports); a reference is what calls
    assert scan_bytes(b"import os\nimport subprocess\n", "config.gin").verdict == "safe"


def test_gin_import_in_an_included_file_of_any_name(tmp_path: Path) -> None:
    d = _write(tmp_path / "g", {"config.gin": "include 'base.txt'\nfoo.bar = 1\n", "base.txt": "import antigravity\n"})
    assert _by_name(d)["base.txt"].verdict == "suspicious"
    r = scan_bytes(b"import \\\n    this\n", "base.j2")
    assert r.verdict == "suspicious", r.findings


def test_gin_import_of_a_local_module(tmp_path: Path) -> None:
    d = _write(tmp_path / "g", {"config.gin": "import my_layers\nmy_layers.Dense.units = 4\n",
                                "my_layers.py": "X = 1\n"})
    sc = _by_name(d)["config.gin"]
    assert sc.verdict == "suspicious" and _remote(sc, "my_layers", "own folder"), sc.findings


def test_real_gin_configs_stay_safe_with_their_imports_listed() -> None:
    """T5X's run configs and Dopamine's agent configs import their frameworks' modules."""
    t5x = (b"import __main__ as train_script\nimport seqio\nfrom t5x import adafactor\nfrom t5x import models\n"
           b"from t5x import partitioning\nfrom t5x import utils\nimport t5.data.mixtures\n\n"
           b"MIXTURE_OR_TASK_NAME = 'c4_v220_span_corruption'\nTRAIN_STEPS = 100000\n"
           b"train_script.train:\n  model = %MODEL\n  total_steps = %TRAIN_STEPS\n"
           b"partitioning.PjitPartitioner.num_partitions = 1\n")
    dopamine = (b"import dopamine.discrete_domains.atari_lib\nimport dopamine.discrete_domains.run_experiment\n"
                b"import dopamine.agents.dqn.dqn_agent\nimport dopamine.replay_memory.circular_replay_buffer\n"
                b"import gin.tf.external_configurables\n\nDQNAgent.gamma = 0.99\nDQNAgent.update_horizon = 1\n"
                b"DQNAgent.optimizer = @tf.train.RMSPropOptimizer()\ntf.train.RMSPropOptimizer.learning_rate = 0.00025\n"
                b"atari_lib.create_atari_environment.game_name = 'Pong'\n")
    trax = b"import trax.layers\nimport trax.models\nimport trax.optimizers\nimport trax.supervised.trainer_lib\n"
    for text in (t5x, dopamine, trax):
        r = scan_bytes(text, "config.gin")
        assert r.verdict == "safe", r.findings
        assert any(f.id == "config.gin-import" and f.severity == "info" for f in r.findings), r.findings
    # a README's Python snippet is no gin import with a side effect
    r = scan_bytes(b"# Model\n\n```python\nimport os\nimport torch\nfrom transformers import AutoModel\n```\n",
                   "README.md")
    assert r.verdict == "safe", r.findings


def test_mmengine_custom_imports_share_the_rule() -> None:
    r = scan_bytes(b"custom_imports:\n  imports: [antigravity, mmdet.models]\n", "config.yaml")
    assert r.verdict == "suspicious" and _remote(r, "antigravity", "opens a web browser"), r.findings
    assert ct.import_risk("antigravity.x") == ct.import_risk("antigravity") is not None
    assert ct.import_risk("__main__") is None and ct.import_risk("t5x.models") is None
    assert ct.import_risk("pip.__main__") is not None and ct.import_risk("os") is None
