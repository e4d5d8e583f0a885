"""The site folders of a venv are found whatever the base interpreter's site.py says.

Found on a real host (an Ubuntu Python 3.12 venv made by uv, the GPU machine lent to this
project, 2026-11-30): queried with ``-I -S``, Debian's patched ``site.getsitepackages`` named
``dist-packages`` folders of the venv that do not exist, so 423 installed distributions were
dropped and the BOM said "inventory complete". The same happens with this machine's Debian
``/usr/bin/python3``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.collectors import environment
from mlbom.collectors._interpreter import Interpreter, locate

DEBIAN_PYTHON = Path("/usr/bin/python3")


def _venv(base: Path, where: Path) -> Path:
    proc = subprocess.run([str(base), "-m", "venv", "--without-pip", str(where)], capture_output=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"{base} cannot make a venv: {proc.stderr.decode(errors='replace')[-200:]}")
    site = next(where.glob("lib*/python*/site-packages"))
    dist = site / "demo-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n", encoding="utf-8")
    return where


@pytest.mark.parametrize("base", [Path(sys.executable), DEBIAN_PYTHON], ids=["this-python", "debian-python"])
def test_a_venv_lists_its_own_site_packages(base: Path, tmp_path: Path) -> None:
    if not base.is_file():
        pytest.skip(f"{base} is not here")
    venv = _venv(base.resolve() if base == DEBIAN_PYTHON else Path(sys.base_prefix) / "bin" / "python3", tmp_path / "v")
    interp = locate(venv)
    assert "never run" in interp.how  # red team 20d: read by layout, as site.venv finds it
    assert any(s.is_dir() for s in interp.sites), interp.sites
    out = tmp_path / "bom.json"
    proc = subprocess.run([sys.executable, "-m", "mlbom", "generate", "--env", str(venv), "-o", str(out)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    names = [c["name"] for c in json.loads(out.read_text("utf-8"))["components"]]
    assert "demo" in names


def test_no_existing_site_folder_makes_the_inventory_incomplete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An interpreter that names only folders that do not exist: its packages cannot be listed,
    and the BOM must not say the inventory is complete."""
    root = tmp_path / "env"
    root.mkdir()
    (root / "pyvenv.cfg").write_text("home = /nowhere\n", encoding="utf-8")
    ghost = Interpreter(root=root, path=[], markers={}, how="queried python (-I -S)",
                        sites=(root / "lib" / "python3.12" / "dist-packages",))
    monkeypatch.setattr(environment, "locate", lambda target, project=None: ghost)
    import mlbom

    bom = mlbom.generate(env=root)
    assert bom.unreadable, "an environment whose packages could not be listed must be recorded"
    assert "dist-packages" in bom.unreadable[0].reason


def test_debian_python_is_what_the_first_test_exercises() -> None:
    """Keep the reason for the second parametrisation honest: on this machine's Debian Python,
    site.getsitepackages names dist-packages folders."""
    if not DEBIAN_PYTHON.is_file() or shutil.which("dpkg") is None:
        pytest.skip("no Debian Python here")
    out = subprocess.run([str(DEBIAN_PYTHON), "-I", "-S", "-c", "import site; print(site.getsitepackages())"],
                         capture_output=True, text=True, check=False).stdout
    assert "dist-packages" in out
