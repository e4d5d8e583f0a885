"""Red team 123pa (the config rules of 122pa):

* 123pa-1: a ``# @package`` header is placed as Hydra 1.3 places it (hydra/core/default_element.py
  ``InputDefault._get_final_package``: what follows the last ``_global_``; ``_group_``/``_name_`` below
  ``version_base`` 1.2): ``_global_.hydra.job.env_set`` is an env_set.
* 123pa-2: a defaults entry whose package lands at ``hydra.job.env_set`` (``envs@hydra.job.env_set: prod``, the
  ``_global_`` forms, a group ``hydra/job/env_set``) places a config there that is not read: ``suspicious``.
* 123pa-4: torch.distributed's variables (Hydra's documented ``RANK: ${hydra:job.num}``) are data.
* 123pa-5: a top-level remote ``ckpt_path`` in a config with Hydra evidence (lightning-hydra-template's
  ``train.py``: ``trainer.fit(ckpt_path=cfg.get("ckpt_path"))``) is judged as LightningCLI's.
* 123pa-3: a checkpoint path's ``${a.b}`` interpolations of literal nodes of the same document are resolved as
  OmegaConf resolves them (jsonargparse's omegaconf mode, Hydra, NeMo), then judged; any other stays as written.
* 123pa-6: the class strings are merged into the target list with a set (a list's membership test: quadratic).
Nothing here is loaded."""

from __future__ import annotations

import pytest

from mlbom.scanner import scan_bytes


def _ids(r: object) -> list[str]:
    return [f.id for f in r.findings]  # type: ignore[attr-defined]


# --- 123pa-1: # @package headers --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "# @package _global_.hydra.job.env_set\nLD_PRELOAD: /nonexistent/x.so\n",
    "# @package _global_.hydra.job.env_set\nLD_PRELOAD: evil.so\n",
    "# @package x._global_.hydra.job.env_set\nPYTHONPATH: evil\n",
    "#@package _global_.hydra.job.env_set\nBASH_ENV: x\n",
    "# a comment\n# @package _global_.hydra.job.env_set\nLD_PRELOAD: evil.so\n",
    "# @package _group_.env_set\nLD_PRELOAD: evil.so\n",  # (hydra/job/x.yaml, version_base < 1.2)
    "# @package hydra.job._name_\nLD_PRELOAD: evil.so\n",  # (hydra/job/env_set.yaml, version_base < 1.2)
])
def test_123pa1_package_header_global_is_env_set(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "unsafe" and "config.env-set" in _ids(r), r.findings


@pytest.mark.parametrize("text", [  # (read before 123pa too: a top-level env_set/job key of any file; a guard)
    "# @package _global_.hydra.job\nenv_set:\n  LD_PRELOAD: evil.so\n",
    "# @package _global_.hydra\njob:\n  env_set:\n    LD_PRELOAD: evil.so\n",
])
def test_123pa1_hydra_job_and_hydra_packages_stay_read(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "unsafe" and "config.env-set" in _ids(r), r.findings


@pytest.mark.parametrize("text", [
    "# @package _global_\nmodel:\n  lr: 0.1\n",
    "# @package _global_.model\nlr: 0.1\nLD_PRELOAD: x\n",
    "# @package _global_.hydra.job.env_set\nOMP_NUM_THREADS: '1'\n",
])
def test_123pa1_other_packages_stay_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "safe", r.findings


# --- 123pa-2: defaults entries placed at hydra.job.env_set ------------------------------------------------------

@pytest.mark.parametrize("entry", [
    "envs@hydra.job.env_set: prod",
    "/envs@hydra.job.env_set: prod",
    "envs@_global_.hydra.job.env_set: prod",
    "override envs@hydra.job.env_set: prod",
    "optional envs@hydra.job.env_set: prod",
    "envs@job.env_set: prod",  # (relative: a group file of hydra)
    "envs@_group_.env_set: prod",
    "envs@old:hydra.job.env_set: prod",
    "hydra/job/env_set: prod",
    "envs@hydra.job.env_set: [a, b]",
])
def test_123pa2_defaults_package_at_env_set_is_suspicious(entry: str) -> None:
    text = f"defaults:\n  - {entry}\n  - _self_\nmodel:\n  lr: 0.001\n"
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious" and "config.env-set" in _ids(r), r.findings


def test_123pa2_string_entry_at_env_set_is_suspicious() -> None:
    r = scan_bytes(b"defaults:\n  - hydra/job/env_set/prod\n  - _self_\n", "config.yaml")
    assert r.verdict == "suspicious" and "config.env-set" in _ids(r), r.findings


@pytest.mark.parametrize("entry", [
    "db@backup: mysql", "envs: prod", "override hydra/launcher: joblib", "hydra/job_logging: none",
    "db@_global_.db: mysql",
])
def test_123pa2_other_packages_stay_safe(entry: str) -> None:
    text = f"defaults:\n  - {entry}\n  - _self_\nmodel:\n  lr: 0.001\n"
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "safe", r.findings


# --- 123pa-4: torch.distributed variables are data --------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "hydra:\n  job:\n    env_set:\n      RANK: ${hydra:job.num}\n",  # (Hydra's docs: configure_hydra/job.md)
    "hydra:\n  job:\n    env_set:\n      RANK: ${hydra:job.num}\n      LOCAL_RANK: ${hydra:job.num}\n"
    "      WORLD_SIZE: '4'\n      LOCAL_WORLD_SIZE: '4'\n      NODE_RANK: '0'\n      GROUP_RANK: '0'\n"
    "      MASTER_ADDR: localhost\n      MASTER_PORT: '29500'\n      CUBLAS_WORKSPACE_CONFIG: ':4096:8'\n"
    "      PYTORCH_CUDA_ALLOC_CONF: expandable_segments:True\n",
])
def test_123pa4_distributed_env_set_stays_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "safe", r.findings


# --- 123pa-5: a top-level remote ckpt_path in any config (lightning-hydra-template's train.py) -------------------

_TEMPLATE = ("# @package _global_\ndefaults:\n  - _self_\n  - data: mnist\n  - model: mnist\n  - trainer: default\n"
             "  - paths: default\n  - hydra: default\ntask_name: train\ntags: [dev]\ntrain: True\ntest: True\n"
             "seed: null\n")


@pytest.mark.parametrize("text,finding", [
    (_TEMPLATE + "ckpt_path: https://example.com/x.ckpt\n", "code.remote"),
    (_TEMPLATE + "ckpt_path: 'HTTP://example.com/x.ckpt'\n", "code.remote"),
    ("# @package _global_\nckpt_path: https://example.com/x.ckpt\n", "code.remote"),
    ("hydra:\n  run:\n    dir: out\nckpt_path: https://example.com/x.ckpt\n", "code.remote"),
    (_TEMPLATE + "ckpt_path: s3://bucket/x.ckpt\n", "config.path-outside"),
])
def test_123pa5_top_level_remote_ckpt_path_is_suspicious(text: str, finding: str) -> None:
    r = scan_bytes(text.encode(), "train.yaml")
    assert r.verdict == "suspicious" and finding in _ids(r), r.findings


@pytest.mark.parametrize("text", [
    _TEMPLATE + "ckpt_path: null\n",
    _TEMPLATE + "ckpt_path: ${paths.output_dir}/checkpoints/last.ckpt\n",
    _TEMPLATE + "ckpt_path: /data/checkpoints/last.ckpt\n",
    _TEMPLATE + "ckpt_path: last.ckpt\n",
    "defaults:\n  - _self_\nmodel:\n  ckpt_path: https://example.com/x.ckpt\n",  # (not the top level)
    "ckpt_path: https://example.com/x.ckpt\nbatch_size: 4\n",  # (no Hydra evidence: 122pa-3's decision)
])
def test_123pa5_local_ckpt_paths_stay_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "train.yaml")
    assert r.verdict == "safe", r.findings


# --- 123pa-3: a ckpt_path given by an interpolation of the same document -----------------------------------------

_CLI = "# lightning.pytorch==2.6.0\nseed_everything: 0\ntrainer: {accelerator: auto, max_epochs: 1}\n"


@pytest.mark.parametrize("text,finding", [
    (_CLI + "model:\n  lr: 0.001\n  backbone_weights: https://example.com/x.ckpt\nckpt_path: ${model.backbone_weights}\n",
     "code.remote"),
    (_CLI + "model:\n  w: ${base}\nbase: https://example.com/x.ckpt\nckpt_path: ${model.w}\n", "code.remote"),
    (_CLI + "model:\n  urls: [https://example.com/x.ckpt]\nfit:\n  ckpt_path: ${model.urls.0}\n", "code.remote"),
    (_CLI + "root: /etc/evil\nckpt_path: ${root}/last.ckpt\n", "config.path-outside"),
    (_CLI + "up: ..\nckpt_path: ${up}/${up}/x.ckpt\n", "config.path-outside"),
    ("defaults:\n  - _self_\nhost: https://example.com\nckpt_path: ${host}/x.ckpt\n", "code.remote"),
    ("name: x\ninit_from_nemo_model: ${w}\nw: /etc/x.nemo\n", "config.path-outside"),
])
def test_123pa3_interpolated_ckpt_path_is_resolved(text: str, finding: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious" and finding in _ids(r), r.findings


@pytest.mark.parametrize("text", [
    _CLI + "paths:\n  ckpt_dir: checkpoints\nckpt_path: ${paths.ckpt_dir}/last.ckpt\nmodel:\n  lr: 0.1\n",
    _CLI + "ckpt_path: ${paths.ckpt_dir}/last.ckpt\nmodel:\n  lr: 0.1\n",  # (another file's node: as written)
    _CLI + "ckpt_path: ${oc.env:CKPT}\nmodel:\n  lr: 0.1\n",
    _CLI + "a: ${a}\nckpt_path: ${a}\nmodel:\n  lr: 0.1\n",
    _CLI + "best: best\nckpt_path: ${best}\nmodel:\n  lr: 0.1\n",
])
def test_123pa3_local_interpolated_ckpt_paths_stay_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "safe", r.findings


# --- 123pa-6: plain-string class paths are merged into the target list in linear time ---------------------------

def test_123pa6_many_class_strings_are_all_judged() -> None:
    """(The merge is linear — a set, not a list's membership test: 30,000 class strings 4.3 s -> 0.5 s,
    measured by hand; no wall-clock assertion here, per the project's rule on timed tests.)"""
    lines = ["seed_everything: 0", "trainer:"]
    for key in ("callbacks", "logger", "plugins"):  # (30,000 class strings: a list's membership test was quadratic)
        lines.append(f"  {key}:")
        lines.extend(f"  - m{key[0]}{i}.C" for i in range(10_000))
    data = ("\n".join(lines) + "\n").encode()
    r = scan_bytes(data, "config.yaml")
    assert r.verdict == "suspicious" and "code.remote" in _ids(r), r.findings
