"""``generate --env``: red team 20d (mlbom ran code the scanned folder controls).

A venv folder's interpreter is never run; where it takes its standard library is decided
statically, as CPython's getpath (Modules/getpath.py, 3.11) decides it:

- 20d-1: getpath reads ``ENV/pyvenv.cfg`` first, ``bin/pyvenv.cfg`` only when that is missing.
- 20d-2: getpath takes the first ``home`` line (``site.venv`` the last).
- 20d-3: a relative ``home`` is resolved against the working directory of whoever starts it.
- 20d-4: getpath's landmark search walks up from ``home`` lexically (``dirname``), not resolved.
- 20d-5: every ``bin/python*`` is looked at: a script is high; a copy is compared with the base.
- 20d-6: the base's intact ``.pth`` (system site on) is vouched by its RECORD, not "mismatched";
  a distribution in the venv and in the base is one low finding.

Proofs on the real loader build a real ``python -m venv`` and run its own interpreter in a
throw-away subprocess (tests only; mlbom never does).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.collectors._interpreter import locate
from tests.test_verify_record_rt18d import _findings, _ids, _install, _real_venv, _runs

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")

STATIC = "static (pyvenv.cfg and folder layout; a folder's interpreter is never run)"


def _evil_stdlib(prefix: Path, marker: Path) -> Path:
    """A stdlib at ``prefix/lib/pythonX.Y`` whose ``encodings`` (imported at every start, even
    under ``-I -S``) writes ``marker``; the rest links to the real stdlib. Returns ``prefix/bin``."""
    stdlib = Path(os.__file__).parent
    lib = prefix / "lib" / stdlib.name
    lib.mkdir(parents=True, exist_ok=True)
    (prefix / "bin").mkdir(parents=True, exist_ok=True)
    for entry in stdlib.iterdir():
        if entry.name not in ("encodings", "site-packages") and not (lib / entry.name).exists():
            (lib / entry.name).symlink_to(entry)
    shutil.copytree(stdlib / "encodings", lib / "encodings", ignore=shutil.ignore_patterns("__pycache__"))
    with (lib / "encodings" / "__init__.py").open("a") as fh:
        fh.write(f"\nimport _io; _io.open({str(marker)!r}, 'w').write('ran')\n")
    return prefix / "bin"


def _set_home(cfg: Path, *homes: str, keep: bool = False) -> str:
    """Write ``cfg`` with its ``home`` line replaced by ``homes`` (``keep``: the old one last)."""
    text = cfg.read_text()
    old = next(ln for ln in text.splitlines() if ln.startswith("home"))
    lines = [ln for ln in text.splitlines() if not ln.startswith("home")]
    cfg.write_text("\n".join([f"home = {h}" for h in homes] + ([old] if keep else []) + lines) + "\n")
    return text


def _not_run(root: Path, marker: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """mlbom's findings for ``root``, asserting that neither locating nor the BOM ran it."""
    assert _runs(root, "pass", marker)  # the proof: every start of this environment runs it
    marker.unlink()
    interp = locate(root)
    assert interp.how == STATIC and not marker.exists()
    found = _findings(root, tmp_path, capsys)
    assert not marker.exists(), "mlbom ran code the environment controls"
    return found


# --- 20d-1 / 20d-2: the cfg and the home line getpath reads --------------------------------------

def test_20d1_getpath_reads_env_pyvenv_cfg_before_bin_proven_on_the_real_loader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    marker = tmp_path / "marker"
    good = _set_home(root / "pyvenv.cfg", str(_evil_stdlib(root / "base", marker)))
    (root / "bin" / "pyvenv.cfg").write_text(good)  # what site.venv reads: the real base
    found = _not_run(root, marker, tmp_path, capsys)
    high = _ids(found, "high python.stdlib-in-environment")
    assert len(high) == 1 and "base/lib" in high[0], found
    assert len(_ids(found, "medium python.stdlib-unverified")) == 1, found


def test_20d2_getpath_takes_the_first_home_line_proven_on_the_real_loader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    marker = tmp_path / "marker"
    _set_home(root / "pyvenv.cfg", str(_evil_stdlib(root / "base", marker)), keep=True)
    found = _not_run(root, marker, tmp_path, capsys)
    assert len(_ids(found, "high python.stdlib-in-environment")) == 1, found
    unverified = _ids(found, "medium python.stdlib-unverified")
    assert len(unverified) == 1 and "2 times" in unverified[0], found


def test_20d2_home_lines_that_agree_are_no_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    _real_venv(root)
    shutil.copy(root / "pyvenv.cfg", root / "bin" / "pyvenv.cfg")
    assert not _findings(root, tmp_path, capsys)



def test_20d2_a_cr_inside_a_line_splits_the_readers_and_is_reported(tmp_path: Path) -> None:
    """getpath's C reader ends lines at ``\\n`` only (its home is ``/x\\rhome = ...``), site.venv
    reads a text file (``\\r`` ends a line, the last home wins): two readings, medium."""
    root = tmp_path / "env"
    (root / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (root / "pyvenv.cfg").write_bytes(f"home = {tmp_path}/x\rhome = /usr/bin\ninclude-system-site-packages = false\n".encode())
    notes = [(n.id, n.severity) for n in locate(root).notes]
    assert notes == [("python.stdlib-unverified", "medium")], notes


def test_20d2_a_cr_inside_the_home_line_proven_on_the_real_loader(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """getpath's reader ends a line at ``\\n`` only: ``home = ENV/base/bin\\rhome = BASE`` is one
    value, whose lexical search (``dirname``) reaches ``ENV/base``; site.venv sees two lines."""
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    marker = tmp_path / "marker"
    evil = _evil_stdlib(root / "base", marker)
    cfg = root / "pyvenv.cfg"
    cfg.write_bytes(b"".join((f"home = {evil}\rhome = {ln[len('home = '):]}" if ln.startswith("home") else ln).encode()
                             for ln in cfg.read_text().splitlines(keepends=True)))
    found = _not_run(root, marker, tmp_path, capsys)
    assert len(_ids(found, "high python.stdlib-in-environment")) == 1, found
    assert len(_ids(found, "medium python.stdlib-unverified")) == 1, found

# --- 20d-3: a relative home ----------------------------------------------------------------------

@pytest.mark.parametrize("inside", [False, True])
def test_20d3_relative_home_is_never_run_and_reported(inside: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    marker = tmp_path / "marker"
    _evil_stdlib(root / "base" if inside else tmp_path / "stdlib", marker)
    _set_home(root / "pyvenv.cfg", "env/base/bin" if inside else "stdlib/bin")
    monkeypatch.chdir(tmp_path)  # the checkout: home resolves against the cwd of whoever starts it
    subprocess.run([str(root / "bin" / "python"), "-c", "pass"], capture_output=True, timeout=120, check=False)
    assert marker.exists()  # the proof, from the checkout
    marker.unlink()
    assert locate(Path("env")).how == STATIC and not marker.exists()
    found = _findings(Path("env"), tmp_path, capsys)
    assert not marker.exists()
    if inside:
        assert len(_ids(found, "high python.stdlib-in-environment")) == 1, found
    else:
        got = _ids(found, "medium python.stdlib-unverified")
        assert len(got) == 1 and "relative" in got[0] and not _ids(found, "high"), found


# --- 20d-4: the lexical landmark search ----------------------------------------------------------

def test_20d4_home_through_a_dangling_link_finds_the_env_stdlib_proven_on_the_real_loader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    marker = tmp_path / "marker"
    _evil_stdlib(root, marker)  # the env's own lib/python3.X gets a stdlib beside site-packages
    (root / "lnk").symlink_to(tmp_path / "nonexistent")
    _set_home(root / "pyvenv.cfg", str(root / "lnk" / "bin"))
    found = _not_run(root, marker, tmp_path, capsys)
    high = _ids(found, "high python.stdlib-in-environment")
    assert len(high) == 1 and "own prefix" in high[0], found


def test_20d4_home_through_a_link_to_the_real_base_is_no_finding(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    _real_venv(root)
    base = Path(os.path.realpath(sys.base_prefix))
    (root / "lnk").symlink_to(base)
    _set_home(root / "pyvenv.cfg", str(root / "lnk" / "bin"))
    assert not _findings(root, tmp_path, capsys)



def test_a_pth_file_beside_the_interpreter_is_high_proven_on_the_real_loader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``bin/python._pth`` replaces the whole path, the stdlib too (getpath, also on POSIX):
    refusing to run it was not enough once nothing is run; it is reported."""
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    marker = tmp_path / "marker"
    _evil_stdlib(root / "base", marker)
    (root / "bin" / "python._pth").write_text(str(root / "base" / "lib" / Path(os.__file__).parent.name) + "\n")
    found = _not_run(root, marker, tmp_path, capsys)
    high = _ids(found, "high python.stdlib-in-environment")
    assert len(high) == 1 and "python._pth" in high[0], found

# --- 20d-5: the environment's interpreters -------------------------------------------------------

@pytest.mark.parametrize("names", [["python"], ["python3", "python3.X"]])
def test_20d5_a_script_interpreter_under_any_name_is_high(names: list[str], tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    _real_venv(root)
    marker = tmp_path / "marker"
    real = os.path.realpath(root / "bin" / "python")
    names = [n.replace("X", str(sys.version_info.minor)) for n in names]
    for name in names:
        exe = root / "bin" / name
        exe.unlink()
        exe.write_text(f"#!/bin/sh\necho ran > {marker}\nexec {real} \"$@\"\n")
        exe.chmod(0o755)
        subprocess.run([str(exe), "-c", "pass"], capture_output=True, timeout=120, check=False)
        assert marker.exists()
        marker.unlink()
    found = _findings(root, tmp_path, capsys)
    assert not marker.exists()
    high = _ids(found, "high python.interpreter-not-native")
    assert {h.split(":")[1].split()[0] for h in high} >= {f"bin/{n}" for n in names}, found


def test_20d5_copies_venv_is_compared_with_the_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--copies", str(root)], check=True, timeout=120)
    exe = root / "bin" / f"python3.{sys.version_info.minor}"
    assert not exe.is_symlink()
    assert not _findings(root, tmp_path, capsys)  # stock --copies: the copy is the base's bytes
    with exe.open("ab") as fh:
        fh.write(b"\0")
    # red team 21d-5: native code inside the folder that is not the base's is high
    got = _ids(_findings(root, tmp_path, capsys), "high python.interpreter-unverified")
    assert len(got) == 1 and exe.name in got[0], got


# --- stock venvs and the static facts ------------------------------------------------------------

@pytest.mark.parametrize("copies", [False, True])
def test_stock_venv_is_read_statically_with_no_findings(copies: bool, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", *(["--copies"] if copies else []), str(root)],
                   check=True, timeout=120)
    interp = locate(root)
    assert interp.how == STATIC and not interp.notes
    assert interp.cache_tags == {sys.implementation.cache_tag} and interp.magic == importlib.util.MAGIC_NUMBER
    assert interp.markers["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert not _findings(root, tmp_path, capsys)


def test_another_minor_version_has_no_pyc_magic(tmp_path: Path) -> None:
    root = tmp_path / "env"
    (root / "lib" / "python3.99" / "site-packages").mkdir(parents=True)
    (root / "pyvenv.cfg").write_text("home = /nowhere/bin\ninclude-system-site-packages = false\n")
    interp = locate(root)
    assert interp.markers["python_version"] == "3.99" and interp.magic is None and interp.cache_tags == {"cpython-399"}


# --- 20d-6: a system-site venv's base --------------------------------------------------------------

def _base_with_pth(tmp_path: Path) -> tuple[Path, Path]:
    """A base installation (``lib/python3.11/os.py``) with setuptools' ``distutils-precedence.pth``
    recorded by its RECORD, and a venv on it with system site on that has setuptools too."""
    base = tmp_path / "base"
    (base / "bin").mkdir(parents=True)
    (base / "lib" / "python3.11" / "os.py").parent.mkdir(parents=True)
    (base / "lib" / "python3.11" / "os.py").write_text("")
    files = {"distutils-precedence.pth": b"import os; os.environ.get('X')\n", "setuptools/__init__.py": b"X = 1\n"}
    _install(base / "lib" / "python3.11" / "site-packages", files, name="setuptools")
    root = tmp_path / "env"
    _install(root / "lib" / "python3.11" / "site-packages", files, name="setuptools")
    (root / "pyvenv.cfg").write_text(f"home = {base / 'bin'}\ninclude-system-site-packages = true\nversion = 3.11.7\n")
    return base, root


def test_20d6_intact_base_pth_is_low_and_the_duplicate_is_one_low(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    base, root = _base_with_pth(tmp_path)
    found = _findings(root, tmp_path, capsys)
    assert not _ids(found, "high"), found
    assert len(_ids(found, "low python.pth-code: distutils-precedence.pth")) == 2, found  # the env's and the base's
    dups = _ids(found, "python.duplicate-distribution")
    assert len(dups) == 1 and dups[0].startswith("low") and "environment's copy wins" in dups[0], found
    pth = base / "lib" / "python3.11" / "site-packages" / "distutils-precedence.pth"
    pth.write_bytes(b"import os; os.system('id')\n")
    found = _findings(root, tmp_path, capsys)
    assert any("distutils-precedence.pth does not match RECORD" in f for f in _ids(found, "high python.record-mismatch"))
    assert len(_ids(found, "high python.pth-code")) == 1, found


def test_20d6_two_copies_inside_stay_medium(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = root / "lib" / "python3.11" / "site-packages"
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    _install(root / "extra", {"victim/__init__.py": b"X = 1\n"})
    (site / "extra.pth").write_text(str(root / "extra") + "\n")
    (root / "pyvenv.cfg").write_text("home = /nowhere/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n")
    dups = _ids(_findings(root, tmp_path, capsys), "python.duplicate-distribution")
    assert len(dups) == 1 and dups[0].startswith("medium"), dups

