"""``generate --env --verify-record``: red team 18d-2, -3, -4 and -6.

- 18d-2: code the import system finds *before* a recorded file (import precedence), where the
  walk of RECORD folders never looked: a package folder beside a recorded module, an extension
  module beside a ``.py``, a linked package folder, a ``_virtualenv/`` package beside virtualenv's
  ``_virtualenv.py``.
- 18d-3: ``sitecustomize`` found on a folder a ``.pth`` path line adds.
- 18d-4: ``.pth`` files in a site folder that holds no distribution (and a bare venv).
- 18d-6: a distribution with no RECORD (egg-info; dist-info without RECORD) is never verified.

Most tests build a plain folder layout (``pyvenv.cfg`` plus ``lib/python3.11/site-packages``,
which ``locate`` reads statically); the proofs on the real loader build a real ``python -m venv``
and run its own interpreter in a throw-away subprocess.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import verify_record_findings

TAG = sys.implementation.cache_tag


def _b64(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _install(site: Path, files: dict[str, bytes], *, name: str = "victim", record: bool = True,
             egg: bool = False) -> Path:
    """Install distribution ``name`` 1.0 into ``site``: its files, and a RECORD hashing each with
    sha256 (or, ``egg``, an egg-info with ``installed-files.txt`` and ``top_level.txt``)."""
    site.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode()
    if egg:
        info = site / f"{name}-1.0-py3.11.egg-info"
        info.mkdir()
        (info / "PKG-INFO").write_bytes(meta)
        (info / "installed-files.txt").write_text("".join(f"../{r}\n" for r in files) + "PKG-INFO\n")
        (info / "top_level.txt").write_text(name + "\n")
        return info
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_bytes(meta)
    if record:
        rows = [f"{r},{_b64(d)},{len(d)}" for r, d in files.items()]
        rows += [f"{info.name}/METADATA,{_b64(meta)},{len(meta)}", f"{info.name}/RECORD,,"]
        (info / "RECORD").write_text("\n".join(rows) + "\n")
    return info


def _venv(root: Path) -> Path:
    """A static venv layout (no interpreter): ``locate`` reads its site folder by layout."""
    site = root / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (root / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n")
    return site


def _findings(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    return verify_record_findings(root, tmp_path, capsys)


def _ids(findings: list[str], part: str) -> list[str]:
    return [f for f in findings if part in f]


def _real_venv(root: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    return next((root / "lib").glob("python3*/site-packages"))


def _runs(root: Path, code: str, marker: Path) -> bool:
    """Whether the environment's own interpreter, running ``code``, writes ``marker``."""
    if marker.exists():
        marker.unlink()
    subprocess.run([str(root / "bin" / "python"), "-c", code], capture_output=True, timeout=120, cwd=str(root))
    return marker.exists()


def _evil(marker: Path) -> bytes:
    return f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\nX = 1\n".encode()


# --- 18d-2: import precedence -------------------------------------------------------------------

def test_18d2_a_package_folder_beside_a_recorded_module_is_high_proven_on_the_real_loader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim.py": b"X = 1\n"})
    assert not _findings(root, tmp_path, capsys)  # control: the recorded module alone is silent
    marker = tmp_path / "marker"
    (site / "victim").mkdir()
    (site / "victim" / "__init__.py").write_bytes(_evil(marker))
    assert _runs(root, "import victim", marker)  # FileFinder takes the package before victim.py
    found = _ids(_findings(root, tmp_path, capsys), "python.unrecorded-code")
    assert len(found) == 1 and found[0].startswith("high"), found
    assert "`import victim` loads" in found[0] and "victim/__init__.py" in found[0] and "victim.py" in found[0]


@pytest.mark.parametrize("shadow", [f"victim.{TAG}-x86_64-linux-gnu.so", "victim.abi3.so", "victim.so"])
def test_18d2_a_extension_module_beside_a_recorded_source_is_high(
        shadow: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = _venv(tmp_path / "env")
    _install(site, {"victim.py": b"X = 1\n"})
    (site / shadow).write_bytes(b"\x7fELF")
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.unrecorded-code")
    assert len(found) == 1 and found[0].startswith("high") and shadow in found[0], found


def test_18d2_a_recorded_package_folder_and_recorded_extension_are_not_reported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Benign: a package (``__init__.py`` recorded), a top-level extension module with its
    ``.py`` stub both recorded, a namespace folder: each winner is a recorded file."""
    site = _venv(tmp_path / "env")
    _install(site, {"victim/__init__.py": b"X = 1\n", f"_speed.{TAG}-x86_64-linux-gnu.so": b"\x7fELF",
                    "_speed.py": b"# fallback\n", "nspkg/part/__init__.py": b""})
    assert not _findings(tmp_path / "env", tmp_path, capsys)


def test_18d2_a_shadow_in_an_earlier_site_folder_is_high(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``victim`` lives in a folder a ``.pth`` path line adds; a ``victim.py`` in site-packages
    (searched first) shadows it."""
    root = tmp_path / "env"
    site = _venv(root)
    (site / "vendor.pth").write_text("../../../vendor\n")
    _install(root / "vendor", {"victim/__init__.py": b"X = 1\n"})
    assert not _findings(root, tmp_path, capsys)
    (site / "victim.py").write_bytes(b"import os\n")
    found = _ids(_findings(root, tmp_path, capsys), "python.unrecorded-code")
    assert len(found) == 1 and "site-packages/victim.py" in found[0], found


def test_18d2_b_unchecked_pyc_of_a_top_level_module_is_high(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The bytecode importlib loads for a recorded top-level ``victim.py`` sits in
    site-packages' own ``__pycache__``, outside every RECORD folder."""
    import py_compile

    site = _venv(tmp_path / "env")
    _install(site, {"victim.py": b"X = 1\n"})
    py_compile.compile(str(site / "victim.py"), cfile=str(site / "__pycache__" / f"victim.{TAG}.pyc"), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    assert not _findings(tmp_path / "env", tmp_path, capsys)  # control: a checked pyc (18d-1 is elsewhere)
    py_compile.compile(str(site / "victim.py"), cfile=str(site / "__pycache__" / f"victim.{TAG}.pyc"), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.pyc-unchecked")
    assert len(found) == 1 and found[0].startswith("high") and f"__pycache__/victim.{TAG}.pyc" in found[0], found


def test_18d2_c_linked_package_folder_is_walked_through_the_link(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _venv(root)
    _install(site, {"victim/__init__.py": b"from victim.impl import X\n", "victim/impl.py": b"X = 1\n"})
    copy = root / "share" / "victim"
    copy.parent.mkdir()
    os.rename(site / "victim", copy)
    os.symlink(copy, site / "victim")
    found = _findings(root, tmp_path, capsys)
    assert [f[:25] for f in found] == ["low python.linked-folder:"], found  # the link is said, nothing else
    (copy / "impl").mkdir()
    (copy / "impl" / "__init__.py").write_bytes(b"import os\n")
    found = _ids(_findings(root, tmp_path, capsys), "python.unrecorded-code")
    assert len(found) == 1 and found[0].startswith("high") and "victim/impl/__init__.py" in found[0], found


def test_18d2_c_linked_folder_leading_outside_is_medium(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "__init__.py").write_bytes(b"import os\n")
    os.symlink(elsewhere, site / "victim" / "impl")
    found = _ids(_findings(root, tmp_path, capsys), "python.linked-folder")
    assert len(found) == 1 and found[0].startswith("medium") and "not walked" in found[0], found


def test_18d2_d_virtualenv_hook_shadowed_by_a_package_is_high(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    (site / "_virtualenv.pth").write_text("import _virtualenv\n")
    (site / "_virtualenv.py").write_text('"""Patches that are applied at runtime to the virtual environment."""\n')
    found = _ids(_findings(root, tmp_path, capsys), "python.pth-code")
    assert len(found) == 1 and found[0].startswith("medium"), found  # control: virtualenv's hook
    marker = tmp_path / "marker"
    (site / "_virtualenv").mkdir()
    (site / "_virtualenv" / "__init__.py").write_bytes(_evil(marker))
    assert _runs(root, "pass", marker)
    found = _ids(_findings(root, tmp_path, capsys), "python.pth-code")
    assert len(found) == 1 and found[0].startswith("high") and "_virtualenv/__init__.py" in found[0], found


def test_18d2_d_virtualenv_hook_with_its_compiled_cache_stays_medium(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Benign: the hook as virtualenv leaves it once it has run (a timestamp pyc in __pycache__)."""
    import py_compile

    site = _venv(tmp_path / "env")
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    (site / "_virtualenv.pth").write_text("import _virtualenv\n")
    (site / "_virtualenv.py").write_text("# virtualenv's patches\n")
    py_compile.compile(str(site / "_virtualenv.py"), cfile=str(site / "__pycache__" / f"_virtualenv.{TAG}.pyc"),
                       doraise=True)
    found = _findings(tmp_path / "env", tmp_path, capsys)
    assert len(found) == 1 and found[0].startswith("medium python.pth-code"), found


# --- 18d-3: sitecustomize anywhere on the path --------------------------------------------------

def test_18d3_sitecustomize_in_a_folder_a_pth_path_line_adds_is_high_proven_on_the_real_loader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    (root / "extra").mkdir()
    (site / "zz-paths.pth").write_text(str(root / "extra") + "\n")
    assert not _findings(root, tmp_path, capsys)  # control: a path line alone is not code
    marker = tmp_path / "marker"
    (root / "extra" / "sitecustomize.py").write_bytes(_evil(marker))
    assert _runs(root, "pass", marker)
    found = _ids(_findings(root, tmp_path, capsys), "python.unrecorded-code")
    assert len(found) == 1 and found[0].startswith("high") and "extra/sitecustomize.py" in found[0], found


def test_18d3_usercustomize_in_an_editable_source_folder_is_high(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The editable install's ``.pth`` matches RECORD; the folder it adds is nobody's."""
    root = tmp_path / "env"
    site = _venv(root)
    src = root / "src"
    (src / "victim").mkdir(parents=True)
    (src / "victim" / "__init__.py").write_bytes(b"X = 1\n")
    _install(site, {"__editable__.victim-1.0.pth": (str(src) + "\n").encode()})
    assert not _findings(root, tmp_path, capsys)  # benign: an editable install is silent
    (src / "usercustomize").mkdir()
    (src / "usercustomize" / "__init__.py").write_bytes(b"import os\n")
    found = _ids(_findings(root, tmp_path, capsys), "python.unrecorded-code")
    assert len(found) == 1 and found[0].startswith("high") and "src/usercustomize/__init__.py" in found[0], found


def test_18d3_sitecustomize_in_a_pth_folder_outside_the_environment_is_high(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Outside the environment is low only for the base interpreter's stdlib folders; a folder a
    ``.pth`` path line leads to is the environment's doing wherever it is."""
    root = tmp_path / "env"
    site = _venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "sitecustomize.py").write_text("import os\n")
    (site / "zz-paths.pth").write_text(str(tmp_path / "elsewhere") + "\n")
    found = _ids(_findings(root, tmp_path, capsys), "python.unrecorded-code")
    assert len(found) == 1 and found[0].startswith("high") and "sitecustomize.py" in found[0], found


# --- 18d-4: every site folder the interpreter processes -----------------------------------------

def test_18d4_pth_in_a_site_folder_without_distributions_is_high(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _venv(root)
    (site / "vendor.pth").write_text("../../../vendor\n")
    _install(root / "vendor", {"victim/__init__.py": b"X = 1\n"})
    (site / "zz-evil.pth").write_text("import os\n")
    found = _ids(_findings(root, tmp_path, capsys), "python.pth-code")
    assert len(found) == 1 and found[0].startswith("high") and "zz-evil.pth" in found[0], found


def test_18d4_bare_venv_is_scanned_proven_on_the_real_loader(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    assert not _findings(root, tmp_path, capsys)
    marker = tmp_path / "marker"
    (site / "zz-evil.pth").write_text(f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\n")
    (site / "sitecustomize.py").write_text("import os\n")
    assert _runs(root, "pass", marker)
    found = _findings(root, tmp_path, capsys)
    assert len(_ids(found, "high python.pth-code")) == 1 and len(_ids(found, "high python.unrecorded-code")) == 1, found


# --- 18d-6: nothing verifies a distribution with no RECORD --------------------------------------

def test_18d6_egg_info_is_medium_and_its_folders_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = _venv(tmp_path / "env")
    _install(site, {"victim/__init__.py": b"from victim.impl import X\n", "victim/impl.py": b"X = 1\n"}, egg=True)
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.record-absent")
    assert len(found) == 1 and found[0].startswith("medium"), found
    assert "egg-info" in found[0] and "nothing in its files is verified" in found[0] and "2 importable files" in found[0]


def test_18d6_egg_info_unchecked_pyc_is_high(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import py_compile

    site = _venv(tmp_path / "env")
    _install(site, {"victim/__init__.py": b"X = 1\n"}, egg=True)
    py_compile.compile(str(site / "victim" / "__init__.py"), doraise=True,
                       cfile=str(site / "victim" / "__pycache__" / f"__init__.{TAG}.pyc"),
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.pyc-unchecked")
    assert len(found) == 1 and found[0].startswith("high"), found


def test_18d6_dist_info_without_record_is_medium(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No top_level.txt either: the folder is found by the project's name."""
    site = _venv(tmp_path / "env")
    _install(site, {"victim/__init__.py": b"X = 1\n"}, record=False)
    found = _ids(_findings(tmp_path / "env", tmp_path, capsys), "python.record-absent")
    assert len(found) == 1 and found[0].startswith("medium") and "1 importable file in" in found[0], found


def test_pip_installed_wheel_in_a_real_venv_is_silent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Benign: pip installs a wheel (a top-level module, a package, bytecode it compiles and
    lists without a hash) into a real venv: nothing to report."""
    import zipfile

    wheel = tmp_path / "victim-1.0-py3-none-any.whl"
    files = {"victim_mod.py": b"X = 1\n", "victim/__init__.py": b"from victim.impl import X\n",
             "victim/impl.py": b"X = 1\n",
             "victim-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: victim\nVersion: 1.0\n",
             "victim-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
             "victim-1.0.dist-info/top_level.txt": b"victim\nvictim_mod\n"}
    rows = [f"{r},{_b64(d)},{len(d)}" for r, d in files.items()] + ["victim-1.0.dist-info/RECORD,,"]
    with zipfile.ZipFile(wheel, "w") as z:
        for r, d in files.items():
            z.writestr(r, d)
        z.writestr("victim-1.0.dist-info/RECORD", "\n".join(rows) + "\n")
    root = tmp_path / "env"
    _real_venv(root)
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(root / "bin" / "python"), "install", "-q",
                           "--no-index", "--no-deps", str(wheel)], capture_output=True, timeout=300)
    if proc.returncode != 0:
        pytest.skip(f"pip cannot install here: {proc.stderr[-300:]!r}")
    assert not _findings(root, tmp_path, capsys)
