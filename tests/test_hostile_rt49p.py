"""Red team 49p: hostile input through the CLI.

49p-1: a requirements include naming a symbolic link loop ended in "internal error"
(``Path.resolve`` raises RuntimeError on a loop). 49p-2: ``keygen -o ''``/``.``/``/`` ended in
"internal error". 49p-3: ``mlbom.toml``'s ``manifest-dir`` was never used (the CLI's default came
first), and a path setting holding a NUL dropped every dataset at exit 0. 49p-4: ``diff --fail-on
""`` turned the gate off without a word. 49p-5: a file read as a constraint (``-c``) and then
required (``-r``) was recorded as constraints only, without a finding.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="POSIX")


def _one_line(capsys: Any) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error" not in err[0], err
    return err[0]


@pytest.mark.parametrize("include", ["-r loop", "-c loop/x.txt"])
def test_49p_1_an_include_through_a_link_loop_is_not_read(tmp_path: Path, monkeypatch: Any, include: str) -> None:
    monkeypatch.chdir(tmp_path)
    os.symlink("loop", "loop")
    Path("requirements.txt").write_text(f"{include}\nrequests==2.0\n")
    assert main(["generate", "--requirements", "requirements.txt", "--no-gpu", "-o", "out.json"]) == 0
    doc = json.loads(Path("out.json").read_text())
    assert [c["name"] for c in doc["components"] if c["type"] == "library"] == ["requests"]
    assert "symbolic link loop" in Path("out.json").read_text()


@pytest.mark.parametrize("prefix", ["", ".", "./", "/", ".."])
def test_49p_2_keygen_needs_a_file_name_prefix(prefix: str, capsys: Any) -> None:
    assert main(["keygen", "-o", prefix]) == 2
    assert "needs a file name prefix" in _one_line(capsys)


def _model_project(root: Path, setting: str) -> Path:
    (root / "models" / "m").mkdir(parents=True)
    (root / "models" / "m" / "config.json").write_text('{"model_type": "bert"}')
    (root / "models" / "m" / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    (root / "mlbom.toml").write_text(f"[generate]\n{setting}\n")
    return root


def test_49p_3_manifest_dir_from_mlbom_toml_is_used(tmp_path: Path) -> None:
    proj = _model_project(tmp_path / "cfg", 'max-file-components = 0\nmanifest-dir = "mf"')
    (proj / "mf").mkdir()
    out = tmp_path / "outdir" / "bom.json"
    out.parent.mkdir()
    assert main(["generate", str(proj), "--no-gpu", "-o", str(out)]) == 0
    assert list((proj / "mf").glob("*.manifest.jsonl")), list(tmp_path.rglob("*.jsonl"))
    assert not list(out.parent.glob("*.manifest.jsonl"))


@pytest.mark.parametrize("setting", ['cache-dir = "a\\u0000b"', 'manifest-dir = ""'])
def test_49p_3_an_unusable_path_setting_is_an_input_error(tmp_path: Path, capsys: Any, setting: str) -> None:
    proj = _model_project(tmp_path / "cfg", setting)
    capsys.readouterr()
    assert main(["generate", str(proj), "--no-gpu", "-o", str(tmp_path / "bom.json")]) == 2
    assert "not a usable path" in _one_line(capsys)


@pytest.mark.parametrize("kinds", ["", ",", " ", ",,"])
def test_49p_4_a_fail_on_naming_nothing_is_refused(tmp_path: Path, capsys: Any, kinds: str) -> None:
    bom = tmp_path / "b.json"
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []}))
    capsys.readouterr()
    assert main(["diff", str(bom), str(bom), "--fail-on", kinds]) == 2
    assert "names no kind" in _one_line(capsys)


def test_49p_5_a_constraint_file_also_required_is_a_finding(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    Path("common.txt").write_text("torch==2.0\n")
    Path("requirements.txt").write_text("-c common.txt\n-r common.txt\nrequests==2.0\n")
    assert main(["generate", "--requirements", "requirements.txt", "--no-gpu", "-o", "out.json"]) == 0
    assert "requirements.constraint-also-required" in Path("out.json").read_text()
