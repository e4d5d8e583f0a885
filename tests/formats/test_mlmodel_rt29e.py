"""Red team 29e-2: mlflow flavor loaders that import a module by a name read from the model:
``mlflow.pytorch`` imports the text of ``<model_data>/pickle_module_info.txt`` and passes it to
``torch.load`` as ``pickle_module``; ``mlflow.tensorflow`` imports ``flavors.tensorflow.keras_module``
and, on the pyfunc path, the text of ``<data>/keras_module.txt``. The folders are built here."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.scanner import FileScan, scan

PYTORCH = """flavors:
  python_function:
    loader_module: mlflow.pytorch
    data: data
  pytorch:
    model_data: data
    pytorch_version: 2.3.0
"""
PYFUNC_ONLY = """flavors:
  python_function:
    loader_module: mlflow.pytorch
    data: weights
"""
TF_PYFUNC = """flavors:
  python_function:
    loader_module: mlflow.tensorflow
    data: data
  tensorflow:
    data: data/model
    model_type: keras
"""


def _scan(d: Path, files: dict[str, str]) -> FileScan:
    for k, v in files.items():
        (d / k).parent.mkdir(parents=True, exist_ok=True)
        (d / k).write_text(v)
    return {Path(r.path).name: r for r in scan([d])}["MLmodel"]


def _ids(r: FileScan) -> set[str]:
    return {f.id for f in r.findings}


@pytest.mark.parametrize("mod", ["mlflow.pytorch.pickle_module", "pickle", "cloudpickle", "dill"])
def test_pickle_modules_mlflow_writes_pass(tmp_path: Path, mod: str) -> None:
    r = _scan(tmp_path, {"MLmodel": PYTORCH, "data/pickle_module_info.txt": mod})
    assert not _ids(r) & {"code.remote", "code.dangerous-target"}, r.findings


def test_other_pickle_module_is_suspicious(tmp_path: Path) -> None:
    r = _scan(tmp_path, {"MLmodel": PYTORCH, "data/pickle_module_info.txt": "this"})
    assert r.verdict == "suspicious" and "code.remote" in _ids(r)
    assert any("pickle_module_info.txt" in f.message for f in r.findings)


@pytest.mark.parametrize("mod", ["os", "subprocess", "runpy"])
def test_denied_pickle_module_is_unsafe(tmp_path: Path, mod: str) -> None:
    r = _scan(tmp_path, {"MLmodel": PYTORCH, "data/pickle_module_info.txt": mod})
    assert r.verdict == "unsafe" and "code.dangerous-target" in _ids(r)


def test_pyfunc_data_folder_is_read_too(tmp_path: Path) -> None:
    r = _scan(tmp_path, {"MLmodel": PYFUNC_ONLY, "weights/pickle_module_info.txt": "os"})
    assert r.verdict == "unsafe"


def test_not_utf8_pickle_module_info_is_error(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data/pickle_module_info.txt").write_bytes(b"\xff\xfe\x00o")
    r = _scan(tmp_path, {"MLmodel": PYTORCH})
    assert "mlmodel.invalid" in _ids(r) and r.verdict != "safe"


def test_keras_module_file_and_field(tmp_path: Path) -> None:
    ok = _scan(tmp_path / "a", {"MLmodel": TF_PYFUNC, "data/keras_module.txt": "tensorflow.keras"})
    assert not _ids(ok) & {"code.remote", "code.dangerous-target"}
    bad = _scan(tmp_path / "b", {"MLmodel": TF_PYFUNC, "data/keras_module.txt": "this"})
    assert bad.verdict == "suspicious" and "code.remote" in _ids(bad)
    field = _scan(tmp_path / "c", {"MLmodel": TF_PYFUNC + "    keras_module: subprocess\n"})
    assert field.verdict == "unsafe" and "code.dangerous-target" in _ids(field)
