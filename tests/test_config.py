"""PROJECT_DIR/mlbom.toml: settings a release keeps with itself; the command line wins."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import mlbom
from mlbom.cli import main
from mlbom.errors import InputError
from tests.conftest import FIXTURES

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"


def _types(doc: dict[str, object]) -> set[str]:
    return {str(c["type"]) for c in doc["components"]}  # type: ignore[attr-defined]


def test_example_release_includes_the_gpu_section(tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    assert main(["generate", str(EXAMPLE), "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    root_props = {p["value"].split(":", 1)[0] for p in doc["metadata"]["component"].get("properties", [])
                  if p["name"] == "mlbom:finding"}
    has_toolkit = "framework" in _types(doc)
    assert has_toolkit or any("gpu." in p for p in root_props) or "device-driver" in _types(doc)
    assert main(["generate", str(EXAMPLE), "--no-gpu", "-o", str(out)]) == 0
    assert not _types(json.loads(out.read_text())) & {"framework", "device", "device-driver"}


def test_settings_and_their_errors(tmp_path: Path) -> None:
    proj = tmp_path / "rel"
    shutil.copytree(EXAMPLE, proj)
    shutil.copy(FIXTURES / "gpu" / "h100-transcribed.json", proj / "deploy-host.json")
    (proj / "mlbom.toml").write_text('[generate]\ngpu-recording = "deploy-host.json"\n')
    bom = mlbom.generate(proj, reproducible=True)
    assert [c.name for c in bom.components if c.type == "device"] == ["NVIDIA H100 80GB HBM3"]
    assert not [c for c in mlbom.generate(proj, reproducible=True, gpu=False).components if c.type == "device"]
    for text, message in (("[generate\n", "not valid TOML"), ("[generate]\ngpus = true\n", "unknown setting generate.gpus"),
                          ("[generate]\ngpu = 'yes'\n", "generate.gpu must be a bool"), ("[other]\n", "unknown table [other]")):
        (proj / "mlbom.toml").write_text(text)
        with pytest.raises(InputError, match=message.replace("[", r"\[")):
            mlbom.generate(proj)
        assert main(["generate", str(proj)]) == 2
