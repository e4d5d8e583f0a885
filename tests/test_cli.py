from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.cli import main
from tests.conftest import FIXTURES, assert_valid

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"


def test_generate_example_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bom.json"
    assert main(["generate", str(EXAMPLE), "--reproducible", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"wrote {out}" in err and "components" in err
    doc = assert_valid(out.read_bytes())
    assert doc["metadata"]["component"]["name"] == "tiny-release"  # type: ignore[index]
    (model,) = [c for c in doc["components"] if c["type"] == "machine-learning-model"]  # type: ignore[union-attr]
    assert model["modelCard"]["modelParameters"]["task"] == "text-classification"
    assert {"name": "mlbom:model:parameters", "value": "10"} in model["properties"]
    out2 = tmp_path / "bom2.json"
    assert main(["generate", str(EXAMPLE), "--reproducible", "-o", str(out2)]) == 0
    assert out.read_bytes() == out2.read_bytes()
    assert main(["validate", str(out)]) == 0


def test_xml_and_17_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--lock", str(FIXTURES / "pylock.spec-example.toml"), "--format", "xml",
                 "--spec-version", "1.7", "--reproducible"]) == 0
    assert_valid(capsys.readouterr().out.encode())


def test_fixed_serial_number(capsys: pytest.CaptureFixture[str]) -> None:
    serial = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
    assert main(["generate", "--lock", str(FIXTURES / "pylock.spec-example.toml"), "--serial-number", serial]) == 0
    assert json.loads(capsys.readouterr().out)["serialNumber"] == serial
    assert main(["generate", "--lock", str(FIXTURES / "pylock.spec-example.toml"), "--serial-number", "x"]) == 2


def test_bad_input_gives_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--env", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlbom: error: ") and "no such file or directory" in err and "Traceback" not in err
    bad = tmp_path / "uv.lock"
    bad.write_text("version = 1\n[[package]\n")
    assert main(["generate", "--lock", str(bad)]) == 2
    assert "line 2" in capsys.readouterr().err
    assert main(["generate"]) == 2
    assert main(["generate", "--bogus"]) == 2


def test_validate_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": "nope"}))
    assert main(["validate", str(bad)]) == 1
    assert "INVALID" in capsys.readouterr().out
    assert main(["validate", str(tmp_path / "missing.json")]) == 2
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    assert main(["validate", str(junk)]) == 2


def test_python_dash_m_and_help() -> None:
    proc = subprocess.run([sys.executable, "-m", "mlbom", "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "generate" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "mlbom", "generate", "--env", "/nonexistent"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
