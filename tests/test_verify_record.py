"""``generate --env --verify-record``: what it checks in an environment (red team 15b-1, 15b-2).

Each test builds a small fake environment in ``tmp_path`` (``pyvenv.cfg`` and one
site-packages folder with a distribution ``victim`` whose RECORD is written here), tampers
with it the way the red team did, and reads the findings of the BOM.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from mlbom.cli import main
from tests.helpers import all_properties

GOOD = b"VALUE = 1\n"
EVIL = b"open('/tmp/pwned', 'w').write('x')\nVALUE = 1\n"


def _b64(alg: str, data: bytes) -> str:
    return f"{alg}=" + base64.urlsafe_b64encode(hashlib.new(alg, data).digest()).rstrip(b"=").decode()


def _env(root: Path, *, alg: str = "sha256", extra_rows: str = "") -> Path:
    """A venv at ``root`` with ``victim`` 1.0 installed and its RECORD hashed with ``alg``."""
    site = root / "lib" / "python3.11" / "site-packages"
    (site / "victim").mkdir(parents=True)
    (root / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    (site / "victim" / "__init__.py").write_bytes(GOOD)
    info = site / "victim-1.0.dist-info"
    info.mkdir()
    meta = b"Metadata-Version: 2.1\nName: victim\nVersion: 1.0\n"
    (info / "METADATA").write_bytes(meta)
    rows = [f"victim/__init__.py,{_b64(alg, GOOD)},{len(GOOD)}",
            f"victim-1.0.dist-info/METADATA,{_b64(alg, meta)},{len(meta)}",
            "victim-1.0.dist-info/RECORD,,"]
    (info / "RECORD").write_text("\n".join(rows) + "\n" + extra_rows)
    return site


def _findings(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    out = tmp_path / "bom.json"
    assert main(["generate", "--no-gpu", "--env", str(root), "--verify-record", "-o", str(out)]) in (0, 1)
    capsys.readouterr()
    doc = json.loads(out.read_bytes())
    return [str(p["value"]) for p in all_properties(doc) if p.get("name") == "mlbom:finding"]


def _ids(findings: list[str], prefix: str) -> list[str]:
    return [f for f in findings if prefix in f]


# --- 15b-1: every row is checked with its own algorithm ------------------------------------------

@pytest.mark.parametrize("alg", ["sha256", "sha384", "sha512", "sha3_256", "sha3_512", "blake2b", "blake2s"])
def test_15b1_a_module_changed_after_install_is_found_whatever_the_record_algorithm(
        alg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = _env(tmp_path / "env", alg=alg)
    assert not _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.record-")  # intact: silent
    (site / "victim" / "__init__.py").write_bytes(EVIL)
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.record-mismatch")
    assert len(found) == 1 and "victim/__init__.py" in found[0] and alg in found[0], found


@pytest.mark.parametrize("alg", ["md5", "sha1", "sha224"])
def test_15b1_a_weak_record_hash_is_reported_and_still_checked(alg: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    site = _env(tmp_path / "env", alg=alg)
    found = _findings(tmp_path / "env", tmp_path, capsys)
    assert len(_ids(found, "python.record-weak-hash")) == 1 and not _ids(found, "python.record-mismatch")
    (site / "victim" / "__init__.py").write_bytes(EVIL)
    assert _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.record-mismatch")


@pytest.mark.parametrize("field", ["shake_128=AAAA", "whirlpool=AAAA", ""])
def test_15b1_a_row_with_an_unknown_algorithm_or_no_hash_is_unverified_not_skipped(
        field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = _env(tmp_path / "env", extra_rows=f"victim/extra.py,{field},3\n")
    (site / "victim" / "extra.py").write_text("x=1")
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.record-unverified")
    assert len(found) == 1 and "victim/extra.py" in found[0], found
