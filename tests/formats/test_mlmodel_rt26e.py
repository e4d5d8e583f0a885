"""Red team 26e-2..5: an MLflow ``MLmodel`` names a loader module, code and artifact paths, a
skops trust list and environment files; mlbom reads it as mlflow does (no mlflow needed)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.formats import mlmodel
from mlbom.scanner import FileScan, scan

PYFUNC_OUTSIDE = """\
flavors:
  python_function:
    code: ../shared_code
    loader_module: rt26e_loader
    python_version: 3.11.7
"""


def _scan_dir(d: Path) -> dict[str, FileScan]:
    return {Path(r.path).name: r for r in scan([d])}


def _ids(r: FileScan) -> set[str]:
    return {f.id for f in r.findings}


def _write(d: Path, files: dict[str, str | bytes]) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for k, v in files.items():
        (d / k).write_bytes(v.encode() if isinstance(v, str) else v)
    return d


def test_code_outside_and_foreign_loader_module(tmp_path: Path) -> None:  # 26e-2
    r = _scan_dir(_write(tmp_path / "model", {"MLmodel": PYFUNC_OUTSIDE}))["MLmodel"]
    assert r.verdict == "suspicious" and {"code.remote", "mlmodel.path-outside"} <= _ids(r)


def test_mlflow_loader_module_in_folder_is_clean(tmp_path: Path) -> None:
    text = ("flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
            "    python_version: 3.11.7\n    env:\n      virtualenv: python_env.yaml\n"
            "  sklearn:\n    pickled_model: model.pkl\n    sklearn_version: 1.5.0\n")
    files = {"MLmodel": text, "python_env.yaml": "python: 3.11.7\nbuild_dependencies: [pip==24.0]\n"
             "dependencies: [-r requirements.txt]\n", "requirements.txt": "mlflow==3.1\nscikit-learn==1.5.0\n"}
    r = _scan_dir(_write(tmp_path / "m", files))["MLmodel"]
    assert r.verdict == "safe", r.findings


def test_denied_loader_module_is_unsafe() -> None:
    j = mlmodel.judge("flavors:\n  python_function:\n    loader_module: os\n", "MLmodel")
    assert any(x.effect == "unsafe" for x in j)


@pytest.mark.parametrize("key", ["pickled_model", "model_path", "data", "model_data", "python_model"])
@pytest.mark.parametrize("value", ["../elsewhere/weights.pkl", "/abs/weights.pkl", "C:\\\\w.pkl", "a/../../x.pkl"])
def test_artifact_path_outside(key: str, value: str) -> None:  # 26e-5
    flavor = "sklearn" if key == "pickled_model" else "python_function"
    j = mlmodel.judge(f"flavors:\n  {flavor}:\n    {key}: '{value}'\n", "MLmodel")
    assert [x.id for x in j] == ["mlmodel.path-outside"] and j[0].effect == "suspicious"


def test_nested_artifacts_outside() -> None:
    text = "flavors:\n  python_function:\n    artifacts:\n      w:\n        path: artifacts/../../../w.pkl\n"
    assert [x.id for x in mlmodel.judge(text, "MLmodel")] == ["mlmodel.path-outside"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_artifact_through_link_outside(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "w.pkl").write_bytes(b"\x80\x04N.")
    d = _write(tmp_path / "m", {"MLmodel": "flavors:\n  sklearn:\n    pickled_model: link/w.pkl\n"})
    os.symlink(tmp_path / "elsewhere", d / "link")
    r = _scan_dir(d)["MLmodel"]
    assert "mlmodel.path-outside" in _ids(r)


def test_uri_values_are_paths_too() -> None:
    # mlflow's flavor loaders join every value to the folder (27e-2): a `..` after a scheme-like
    # prefix climbs out; a remote URI without one is a path inside the folder (mlflow fetches none)
    text = "flavors:\n  python_function:\n    artifacts:\n      w:\n        uri: s3://bucket/../../x\n"
    assert [j.id for j in mlmodel.judge(text, "MLmodel")] == ["mlmodel.path-outside"]
    text = "flavors:\n  python_function:\n    artifacts:\n      w:\n        uri: s3://bucket/x\n"
    assert mlmodel.judge(text, "MLmodel") == []


def _env_model(tmp_path: Path, files: dict[str, str | bytes]) -> FileScan:
    text = ("flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    env:\n"
            "      conda: conda.yaml\n      virtualenv: python_env.yaml\n")
    return _scan_dir(_write(tmp_path / "m", {"MLmodel": text, **files}))["MLmodel"]


@pytest.mark.parametrize("req", ["--extra-index-url https://attacker.example/simple", "../evil_src",
                                 "git+https://example.com/evil.git", "-e .", "--find-links /tmp/wheels",
                                 "https://example.com/x-1.0.tar.gz", "-r /etc/reqs.txt"])
def test_env_requirements_from_source(tmp_path: Path, req: str) -> None:  # 26e-3
    r = _env_model(tmp_path, {"python_env.yaml": "python: 3.11\ndependencies: [-r requirements.txt]\n",
                              "requirements.txt": f"numpy==2.0\n{req}\n"})
    assert r.verdict == "suspicious" and "mlmodel.install-from-source" in _ids(r)


def test_conda_pip_list(tmp_path: Path) -> None:
    conda = "name: e\nchannels: [conda-forge]\ndependencies:\n- python=3.11\n- pip\n- pip:\n  - git+https://x/y.git\n"
    r = _env_model(tmp_path, {"conda.yaml": conda})
    assert "mlmodel.install-from-source" in _ids(r)


def test_conda_plain_packages_are_clean(tmp_path: Path) -> None:
    conda = "name: e\nchannels: [conda-forge]\ndependencies:\n- python=3.11\n- pip\n- pip:\n  - mlflow==3.1\n"
    assert _env_model(tmp_path, {"conda.yaml": conda}).verdict == "safe"


def test_requirements_txt_without_mlmodel_is_not_judged_here(tmp_path: Path) -> None:
    r = _scan_dir(_write(tmp_path / "p", {"requirements.txt": "git+https://x/y.git\n"}))["requirements.txt"]
    assert "mlmodel.install-from-source" not in _ids(r)


def _skops_zip(module: str, name: str) -> bytes:
    arg = {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode", "__id__": 3,
           "content": [{"__class__": "list", "__module__": "builtins", "__loader__": "JsonNode",
                        "content": json.dumps(["true"]), "is_json": True, "__id__": 2}]}
    schema = {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
              "content": arg, "__id__": 1, "protocol": 2, "_skops_version": "0.16.0"}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("schema.json", json.dumps(schema))
    return buf.getvalue()


def _self_trusting(tmp_path: Path, module: str, name: str) -> Path:
    text = ("flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.skops\n"
            "  sklearn:\n    pickled_model: model.skops\n    serialization_format: skops\n"
            f"    skops_trusted_types: [{module}.{name}]\n")
    return _write(tmp_path / "model", {"MLmodel": text, "model.skops": _skops_zip(module, name)})


def test_self_granted_trust_is_suspicious(tmp_path: Path) -> None:  # 26e-4
    got = _scan_dir(_self_trusting(tmp_path, "mypkg.util", "run"))
    assert got["MLmodel"].verdict == "suspicious" and "mlmodel.self-trust" in _ids(got["MLmodel"])
    assert got["model.skops"].verdict == "suspicious"  # the list never lowers the skops verdict


def test_self_granted_denied_callable_fails_default_check(tmp_path: Path) -> None:  # 26e-4, D
    d = _self_trusting(tmp_path, "subprocess", "check_output")
    got = _scan_dir(d)
    assert got["MLmodel"].verdict == "unsafe" and got["model.skops"].verdict == "unsafe"
    bom = tmp_path / "bom.json"
    assert main(["generate", "--model", str(d), "--no-gpu", "-o", str(bom)]) in (0, 1)
    assert main(["check", str(bom)]) == 1


def test_default_trusted_entry_grants_nothing() -> None:
    text = "flavors:\n  sklearn:\n    skops_trusted_types: [builtins.list, numpy.ndarray]\n"
    assert mlmodel.judge(text, "MLmodel") == []
    # what mlflow.sklearn.save_model(serialization_format="skops") writes when none are given
    assert mlmodel.judge("flavors:\n  sklearn:\n    code: null\n    skops_trusted_types: null\n", "MLmodel") == []


def test_python_tags_are_not_constructed() -> None:
    j = mlmodel.judge("flavors: !!python/object/apply:os.system [echo]\n", "MLmodel")
    assert [x.id for x in j] == ["mlmodel.invalid"]
