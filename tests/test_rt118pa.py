"""Red team 118pa (after fix117cfg):

* 118pa-1: ``hydra: ${sp}`` with ``sp: {searchpath: [pkg://…]}`` — Hydra resolves the interpolation when it reads
  the search path and imports the package; the ``hydra`` value was read only when written as a mapping.
* 118pa-2: a config whose only key is ``model:``/``data:``/``optimizer:``/``config:`` naming a config file outside
  the folder was no evident jsonargparse config; LightningCLI loads it and imports its ``class_path``. A
  config-suffixed path under a top-level LightningCLI key counts in any config now.
Nothing here is loaded."""

from __future__ import annotations

import pytest

from mlbom.scanner import scan_bytes


@pytest.mark.parametrize("text", [
    "defaults:\n  - model: base\n  - _self_\nhydra: ${sp}\nsp:\n  searchpath: [pkg://antigravity]\n",
    "hydra: ${a.b}\na:\n  b:\n    searchpath: [file:///elsewhere]\n",
])
def test_118pa1_interpolated_hydra_settings_are_not_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious" and any("hydra.searchpath" in f.message for f in r.findings), r.findings


@pytest.mark.parametrize("key", ["model", "data", "optimizer", "config"])
def test_118pa2_a_lightning_key_naming_an_outside_config_is_not_safe(key: str) -> None:
    r = scan_bytes(f"{key}: ../shared/x.yaml\n".encode(), "config.yaml")
    assert r.verdict == "suspicious" and any("jsonargparse" in f.message for f in r.findings), r.findings


@pytest.mark.parametrize("text", [
    "model: /models/llama\ntensor_parallel_size: 2\n",  # vLLM: a weights folder, no config suffix
    "hydra:\n  run:\n    dir: outputs\n",
    "data: train.csv\nmodel: resnet50\n",
])
def test_plain_configs_stay_safe(text: str) -> None:
    assert scan_bytes(text.encode(), "config.yaml").verdict == "safe"
