"""Red team 27e-2: mlflow's flavor loaders ``os.path.join`` every flavor value to the model
folder, whatever precedes a colon: ``xy:/../../elsewhere/w.pkl`` climbs out through a folder
``xy:`` shipped in the model. Every flavor string is checked as a path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlbom.formats import mlmodel
from mlbom.scanner import scan


def _ids(text: str) -> list[str]:
    return [j.id for j in mlmodel.judge(text, "MLmodel")]


@pytest.mark.parametrize("value", ["xy:/../../elsewhere/weights.pkl", "s3://b/../../x.pkl", "runs:/../x",
                                   "a:b/..", "z:\\..\\x", "file:///etc/passwd/../x"])
def test_scheme_like_prefix_does_not_exempt_a_path(value: str) -> None:
    text = f"flavors:\n  sklearn:\n    pickled_model: '{value}'\n"
    assert "mlmodel.path-outside" in _ids(text)  # (a remote-looking one is also mlmodel.remote-uri: 33e-2)


@pytest.mark.parametrize("value", ["model.pkl", "xy:/w.pkl"])  # s3://, runs:/ …: mlmodel.remote-uri (33e-2)
def test_values_inside_the_folder_pass(value: str) -> None:
    assert _ids(f"flavors:\n  sklearn:\n    pickled_model: '{value}'\n") == []


@pytest.mark.skipif(os.name != "posix", reason="a folder named 'xy:' needs POSIX names")
def test_folder_with_colon_climbs_out(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "weights.pkl").write_bytes(b"\x80\x04N.")
    d = tmp_path / "model"
    (d / "xy:").mkdir(parents=True)
    (d / "xy:" / "README.txt").write_text("x")
    (d / "MLmodel").write_text("flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"
                               "    model_path: xy:/../../elsewhere/weights.pkl\n  sklearn:\n"
                               "    pickled_model: xy:/../../elsewhere/weights.pkl\n")
    got = {r.path.rsplit("/", 1)[-1]: r for r in scan([str(d)])}
    r = got["MLmodel"]
    assert r.verdict == "suspicious" and "mlmodel.path-outside" in {f.id for f in r.findings}
