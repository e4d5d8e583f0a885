"""Red team 118pa (after fix117cfg):

* 118pa-1: ``hydra: ${sp}`` with ``sp: {searchpath: [pkg://…]}`` — Hydra resolves the interpolation when it reads
  the search path and imports the package; the ``hydra`` value was read only when written as a mapping.
* 118pa-2: a config whose only key is ``model:``/``data:``/``optimizer:``/``config:`` naming a config file outside
  the folder was no evident jsonargparse config; LightningCLI loads it and imports its ``class_path``. A
  config-suffixed path under a top-level LightningCLI key counts in any config now.
* 118pa-3: jsonargparse's ``parse_value_or_config`` loads ANY existing file given for a class-typed argument,
  whatever its name (``model: {encoder: ../shared/enc_cfg}``); only config-suffixed nested paths counted. In a
  config jsonargparse evidently reads, a nested path leaving the folder counts whatever its suffix, unless its key
  names a data file (``*_path``, ``*_dir``, ``checkpoint``, ``weights``…).
Nothing here is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.scanner import scan, scan_bytes


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


@pytest.mark.parametrize("value", ["../shared/enc_cfg", "/srv/shared/enc_cfg", "~/enc_cfg", "../shared/enc.txt"])
def test_118pa3_a_nested_outside_path_of_any_suffix_is_not_safe(value: str) -> None:
    text = f"trainer: {{max_epochs: 1}}\nmodel:\n  encoder: {value}\n"
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious" and any("jsonargparse" in f.message for f in r.findings), r.findings


def test_118pa3_settled_by_a_scan_that_judged_the_file(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "proj").mkdir()
    (tmp_path / "shared" / "enc_cfg").write_text("class_path: os.system\ninit_args: {command: 'true'}\n")
    (tmp_path / "proj" / "config.yaml").write_text("trainer: {max_epochs: 1}\nmodel:\n  encoder: ../shared/enc_cfg\n")
    alone = scan(tmp_path / "proj")
    assert [s.verdict for s in alone] == ["suspicious"], alone
    whole = {Path(s.path).name: s.verdict for s in scan(tmp_path)}
    assert whole == {"config.yaml": "safe", "enc_cfg": "unsafe"}  # judged where it lies


@pytest.mark.parametrize("text", [
    "trainer: {max_epochs: 1}\nmodel:\n  checkpoint: ../ckpt/last.ckpt\n  weights: /models/w.bin\n"
    "  model_name: ../models/bert\n  data_dir: ../data\n  label_map: /data/labels.json\n",
    "trainer: {max_epochs: 1}\nmodel:\n  learning_rate: 0.1\n  note: see ../README for details\n",
    "model:\n  encoder: ../shared/enc_cfg\n",  # no evident jsonargparse config
])
def test_118pa3_data_paths_stay_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "safe", r.findings


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\nmodel: ../shared/x.yaml\n",
    "a: &x 1\nb: *x\ntrainer: {max_epochs: 1}\nmodel:\n  encoder: ../shared/enc_cfg\n",
])
def test_an_alias_before_a_leaving_config_path_hides_nothing(text: str) -> None:
    """An alias marks the text "shaped" (the walk's places may not be the document's) before any key asked
    for the composed reading; a leaving config path after it must still ask for it (it was safe)."""
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious" and any("jsonargparse" in f.message for f in r.findings), r.findings


def test_118pa3_a_list_of_outside_paths_is_not_safe() -> None:
    r = scan_bytes(b"trainer: {max_epochs: 1}\nmodel:\n  encoders: [./enc, ../shared/enc_cfg]\n", "config.yaml")
    assert r.verdict == "suspicious" and any("jsonargparse" in f.message for f in r.findings), r.findings
