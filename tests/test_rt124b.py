"""Red team 124b: a dangerous config one include away from a weightless folder's config was judged nowhere.

124b-1: ``release/detector/config.yaml`` (``defaults: [model: net]``) composes ``model/net.yaml`` holding
``_target_: os.system``; a LightningCLI ``config.yaml`` names ``model: model.yaml`` holding
``class_path: subprocess.Popen``. Neither folder is a model (no weight, its generic config alone is
clean), and the file a config loader composes was in no component, no finding, "inventory complete".
Now every YAML file no model holds is judged (the sweep's pre-filter and cache) and an ``unsafe`` one is
a high ``project.config-code`` finding.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.inventory import Inputs, generate
from mlbom.scanner import scan_bytes


def _config_code(proj: Path) -> list[tuple[str, str, str | None]]:
    bom = generate(Inputs(project_dir=proj), reproducible=True)
    return [(f.id, f.severity, f.source) for f in bom.findings if f.id == "project.config-code"]


def test_a_hydra_group_file_composed_by_a_weightless_config(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "release" / "detector" / "model").mkdir(parents=True)
    (proj / "requirements.txt").write_text("hydra-core==1.3.2\n")
    (proj / "release" / "detector" / "config.yaml").write_text("defaults:\n  - model: net\n  - _self_\n")
    (proj / "release" / "detector" / "model" / "net.yaml").write_text('_target_: os.system\ncommand: "true"\n')
    assert ("project.config-code", "high", "release/detector/model/net.yaml") in _config_code(proj)


def test_a_jsonargparse_file_beside_a_weightless_config(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "run").mkdir(parents=True)
    (proj / "requirements.txt").write_text("lightning==2.4.0\n")
    (proj / "run" / "config.yaml").write_text("seed_everything: 0\nmodel: model.yaml\n")
    (proj / "run" / "model.yaml").write_text("class_path: subprocess.Popen\ninit_args:\n  args: ['true']\n")
    assert ("project.config-code", "high", "run/model.yaml") in _config_code(proj)


def test_ordinary_yaml_gives_no_finding(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / ".github" / "workflows").mkdir(parents=True)
    (proj / "conf" / "model").mkdir(parents=True)
    (proj / "requirements.txt").write_text("hydra-core==1.3.2\n")
    (proj / ".github" / "workflows" / "ci.yml").write_text(
        "on: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.sha }}\n")
    (proj / "mkdocs.yml").write_text("site_name: x\nnav:\n  - Home: index.md\n")
    (proj / "conf" / "config.yaml").write_text("defaults:\n  - model: net\n")
    (proj / "conf" / "model" / "net.yaml").write_text("_target_: src.models.Net\nhidden: 128\n")
    assert [f for f in _config_code(proj) if f[1] == "high"] == []


# 124b-3: a remote ckpt_path through an interpolation spelled as OmegaConf's grammar allows, not only ${a.b}
_CLI = "seed_everything: 0\ntrainer:\n  max_epochs: 1\nmodel:\n  lr: 0.1\n"


@pytest.mark.parametrize("ref", ["${ host }", "${.host}", "${cfg[w]}", "${cfg['w']}", "${${k}}", "${oc.select:host}",
                                 "${oc.select:nope,https://example.com/x.ckpt}", "${mine:host}"])
def test_a_remote_checkpoint_through_any_interpolation_spelling(ref: str) -> None:
    text = (_CLI + "host: https://example.com/x.ckpt\nk: host\ncfg:\n  w: https://example.com/x.ckpt\n"
            f"ckpt_path: {ref}\n")
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious", r.findings


@pytest.mark.parametrize("ref", ["${paths.ckpt_dir}/last.ckpt", "${oc.env:CKPT}", "${ best }", "${.best}"])
def test_local_interpolated_checkpoints_stay_clean(ref: str) -> None:
    r = scan_bytes((_CLI + f"best: best.ckpt\nckpt_path: {ref}\n").encode(), "config.yaml")
    assert r.verdict == "safe", r.findings
