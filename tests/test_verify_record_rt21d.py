"""``generate --env``: red team 21d (mlbom still ran an interpreter; a free-text cfg field chose
the pyc tag; an absolute ``home`` in the checkout; a native wrapper only medium; a sparse
"interpreter" hashed for hours).

- 21d-1: ``--env ENV/bin/python`` is that venv, read as the folder is (nothing run).
- 21d-2: ``--env`` naming a link to a ``#!`` script is refused (nothing run).
- 21d-3: the pycs of every version the layout, the interpreter names and ``pyvenv.cfg`` name are
  compared; sources that disagree are ``python.version-unverified`` (medium).
- 21d-4: a standard library found from ``home`` inside the scanned project is high.
- 21d-5: a native interpreter inside the folder that is not the base's bytes is high.
- 21d-6: sizes are compared before hashing; a huge file is not hashed.

Proofs on the real loader build a real ``python -m venv`` and run its own interpreter in a
throw-away subprocess (tests only; mlbom never does).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.collectors._interpreter import locate
from mlbom.errors import InputError
from tests.helpers import all_properties
from tests.test_verify_pyc import _compile, _env, _findings, _forge, _with
from tests.test_verify_record_rt20d import STATIC, _evil_stdlib, _set_home

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")

EVIL = b"import pathlib; pathlib.Path('/nonexistent-rt21d').exists()\nVALUE = 2\n"


def _venv(root: Path, *args: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", *args, str(root)], check=True, timeout=120)
    return root


def _project_findings(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    out = tmp_path / "proj-bom.json"
    assert main(["generate", str(project), "--no-gpu", "--no-cache", "-o", str(out)]) in (0, 1)
    capsys.readouterr()
    return [str(p["value"]) for p in all_properties(json.loads(out.read_bytes())) if p.get("name") == "mlbom:finding"]


# --- 21d-1 / 21d-2: nothing named by --env is run ------------------------------------------------

def test_21d1_env_named_interpreter_is_its_venv_read_statically(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = _venv(tmp_path / "env")
    marker = tmp_path / "ran"
    home = _evil_stdlib(root / "base", marker)
    _set_home(root / "pyvenv.cfg", str(home))
    subprocess.run([str(root / "bin" / "python"), "-c", "pass"], capture_output=True, timeout=120, check=False)
    assert marker.exists()  # the proof: every start of this environment runs the folder's stdlib
    marker.unlink()
    for exe in ("python", "python3", f"python3.{sys.version_info.minor}"):
        interp = locate(root / "bin" / exe)
        assert interp.how.startswith(STATIC) and interp.root == root and not marker.exists()
        assert any(n.id == "python.stdlib-in-environment" and n.severity == "high" for n in interp.notes)
    found = _findings(root / "bin" / "python", tmp_path, capsys)
    assert not marker.exists(), "mlbom ran the environment's interpreter"
    assert [f for f in found if f.startswith("high python.stdlib-in-environment")], found


def test_21d2_env_link_to_a_script_is_refused_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    tools = tmp_path / "tools"
    tools.mkdir()
    script = tools / "py"
    script.write_text(f"#!/bin/sh\necho ran > {marker}\nexec {sys.executable} \"$@\"\n")
    script.chmod(0o755)
    (tmp_path / ".venv").symlink_to("tools/py")
    with pytest.raises(InputError, match="#! script"):
        locate(tmp_path / ".venv")
    out = tmp_path / "bom.json"
    assert main(["generate", "--no-gpu", "--no-cache", "--env", str(tmp_path / ".venv"), "-o", str(out)]) == 2
    assert not marker.exists(), "mlbom ran a script given as --env"


def test_21d1_a_native_interpreter_outside_any_venv_is_placed_statically(tmp_path: Path) -> None:
    """The base interpreter (no pyvenv.cfg near it): its prefix by getpath's landmark search, its
    site folders by layout; mlbom's own interpreter gives its own cache tag and magic."""
    real = Path(os.path.realpath(sys.executable))
    interp = locate(real)
    assert "never run" in interp.how and not interp.notes
    assert os.path.realpath(interp.root) == os.path.realpath(sys.base_prefix)
    assert interp.cache_tags == {sys.implementation.cache_tag}
    # a link to it elsewhere (no cfg beside it) is placed from the resolved file, as getpath does
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3").symlink_to(real)
    assert os.path.realpath(locate(tmp_path / "bin" / "python3").root) == os.path.realpath(sys.base_prefix)


# --- 21d-3: the pyc tag is not the cfg's to choose -------------------------------------------------

def test_21d3_cfg_version_lie_does_not_switch_the_pyc_check_off(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "venv"
    src = _env(root)
    pyc = _compile(src)
    _forge(pyc, EVIL, str(src))
    assert _with(_findings(root, tmp_path, capsys), "high python.pyc-mismatch")  # control: honest cfg
    cfg = root / "pyvenv.cfg"
    ver = f"{sys.version_info[0]}.{sys.version_info[1]}"
    cfg.write_text(cfg.read_text().replace(f"version = {ver}.0", "version = 3.10.0"))
    found = _findings(root, tmp_path, capsys)
    assert _with(found, "high python.pyc-mismatch"), found
    lie = _with(found, "medium python.version-unverified")
    assert len(lie) == 1 and "3.10.0" in lie[0] and f"python{ver}" in lie[0], found


def test_21d3_cfg_naming_mlbom_version_on_another_layout_keeps_the_other_tag(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A venv of another minor version whose cfg names mlbom's: that version's pycs (another
    magic) are still looked at (unverified), not dropped for the cfg's tag."""
    root = tmp_path / "venv"
    src = _env(root)
    ver = f"{sys.version_info[0]}.{sys.version_info[1]}"
    other = f"{sys.version_info[0]}.{sys.version_info[1] + 1}"
    old = root / "lib" / f"python{ver}"
    new = root / "lib" / f"python{other}"
    old.rename(new)
    src = new / "site-packages" / "victim" / "__init__.py"
    pyc = _compile(src)
    data = pyc.read_bytes()
    theirs = pyc.with_name(pyc.name.replace(sys.implementation.cache_tag, f"cpython-{other.replace('.', '')}"))
    theirs.write_bytes(b"\x00\x00" + data[2:4] + data[4:])
    pyc.unlink()
    found = _findings(root, tmp_path, capsys)
    assert _with(found, "medium python.pyc-unverified"), found
    assert _with(found, "medium python.version-unverified"), found


def test_21d3_stock_venv_has_one_tag_and_no_version_note(tmp_path: Path) -> None:
    root = _venv(tmp_path / "env")
    interp = locate(root)
    assert interp.cache_tags == {sys.implementation.cache_tag} and not interp.notes


# --- 21d-4: a stdlib inside the scanned project is no base -----------------------------------------

def test_21d4_absolute_home_naming_a_stdlib_in_the_project_is_high(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "w"
    root = _venv(project / ".venv")
    marker = tmp_path / "ran"
    home = _evil_stdlib(project / "pybase", marker)
    _set_home(root / "pyvenv.cfg", str(home))
    subprocess.run([str(root / "bin" / "python"), "-c", "pass"], capture_output=True, timeout=120, check=False)
    assert marker.exists()
    marker.unlink()
    found = _project_findings(project, tmp_path, capsys)
    assert not marker.exists()
    high = _with(found, "high python.stdlib-in-environment")
    assert len(high) == 1 and "inside the scanned project" in high[0] and "PROJECT/pybase/lib" in high[0], found
    # --env FOLDER alone: an absolute home outside the folder is the base (documented limit)
    assert not [n for n in locate(root).notes if n.id == "python.stdlib-in-environment"]


def test_21d4b_a_copy_vouched_by_a_home_in_the_project_is_high(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "w"
    root = _venv(project / ".venv", "--copies")
    pybase = project / "pybase" / "bin"
    pybase.mkdir(parents=True)
    for exe in sorted((root / "bin").glob("python*")):
        shutil.copy2(exe, pybase / exe.name)
    stdlib = Path(os.__file__).parent
    (project / "pybase" / "lib").mkdir()
    (project / "pybase" / "lib" / stdlib.name).symlink_to(stdlib)
    _set_home(root / "pyvenv.cfg", str(pybase))
    found = _project_findings(project, tmp_path, capsys)
    assert _with(found, "high python.stdlib-in-environment"), found
    assert _with(found, "high python.interpreter-unverified"), found


# --- 21d-5 / 21d-6: the interpreters of the folder --------------------------------------------------

def test_21d5_native_file_not_the_base_is_high_and_21d6_sparse_is_bounded(tmp_path: Path) -> None:
    root = _venv(tmp_path / "env")
    exe = root / "bin" / f"python3.{sys.version_info.minor}"
    exe.unlink()
    exe.write_bytes(b"\x7fELF" + b"\0" * 4096)  # a native file that is not the base's
    notes = [(n.id, n.severity) for n in locate(root).notes]
    assert ("python.interpreter-unverified", "high") in notes, notes
    with exe.open("r+b") as fh:
        fh.truncate(1 << 40)  # 1 TiB, sparse: hashing it would take hours
    start = time.monotonic()
    got = [n for n in locate(root).notes if n.id == "python.interpreter-unverified"]
    assert time.monotonic() - start < 30
    assert got and all(n.severity == "medium" and "too large to verify" in n.message for n in got), got


def test_21d5_home_without_interpreters_stays_medium(tmp_path: Path) -> None:
    root = _venv(tmp_path / "env", "--copies")
    empty = tmp_path / "nobase" / "bin"
    empty.mkdir(parents=True)
    _set_home(root / "pyvenv.cfg", str(empty))
    got = {(n.id, n.severity) for n in locate(root).notes if n.id.startswith("python.interpreter")}
    assert got == {("python.interpreter-unverified", "medium")}, got
