"""``generate --env [--verify-record]``: red team 19d.

- 19d-1: a zip / egg file on the path (a ``.pth`` path line) is a code container zipimport reads.
- 19d-2: ``.pth`` lines split as ``site`` splits them (``\\n``, ``\\r``, ``\\r\\n`` only).
- 19d-3: unrecorded top-level code in a site folder (``psutil.py`` a recorded package imports).
- 19d-4: ``bin/pyvenv.cfg`` does not move the prefix (``site.venv``: always ``dirname(exe_dir)``).
- 19d-5: the environment's own interpreter is not run when that would run code it controls.
- 19d-6: a namespace package's portion in another path entry.
- 19d-7: a pyvenv.cfg without ``include-system-site-packages`` means system site on.
- 19d-8: a ``.pth`` longer than mlbom reads is a finding, not silence.

Proofs on the real loader build a real ``python -m venv`` and run its own interpreter in a
throw-away subprocess (tests only; mlbom never does).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mlbom.collectors._interpreter import locate
from tests.test_verify_record_rt18d import _evil, _findings, _ids, _install, _real_venv, _runs, _venv

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")


# --- 19d-1: zip / egg on the path ----------------------------------------------------------------

@pytest.mark.parametrize("kind", ["zip", "egg"])
def test_19d1_sitecustomize_in_a_zip_on_the_path_is_high_proven_on_the_real_loader(
        kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    marker = tmp_path / "marker"
    archive = root / "extra.zip" if kind == "zip" else site / "helper-1.0-py3.11.egg"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("sitecustomize.py", _evil(marker))
        if kind == "egg":
            zf.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 1.1\nName: helper\nVersion: 1.0\n")
    line = str(archive) if kind == "zip" else "./" + archive.name
    (site / ("zz-paths.pth" if kind == "zip" else "easy-install.pth")).write_text(line + "\n")
    assert _runs(root, "pass", marker)
    found = _findings(root, tmp_path, capsys)
    high = _ids(found, "high python.unrecorded-code")
    assert any("sitecustomize.py" in f and archive.name in f for f in high), found


def test_19d1_zip_shadowing_a_recorded_module_is_high(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    with zipfile.ZipFile(root / "first.zip", "w") as zf:
        zf.writestr("victim.py", "X = 2\n")
    # a site folder earlier on the path than victim's own: a .pth in it names the zip
    (site / "aa.pth").write_text(str(root / "first.zip") + "\n")
    found = _ids(_findings(root, tmp_path, capsys), "high python.unrecorded-code")
    assert any("first.zip" in f for f in found), found


# --- 19d-2: .pth lines as site splits them --------------------------------------------------------

@pytest.mark.parametrize("sep", ["\x1c", "\u2028", "\x0b", "\x85"])
def test_19d2_pth_path_line_is_split_as_site_splits_it(sep: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    extra = root / f"ex{sep}tra"
    extra.mkdir()
    (extra / "sitecustomize.py").write_text("import os\n")
    (site / "zz-paths.pth").write_bytes((str(extra) + "\n").encode("utf-8"))
    found = _ids(_findings(root, tmp_path, capsys), "high python.unrecorded-code")
    assert any("sitecustomize.py" in f for f in found), found


def test_19d2_pth_lines_proven_on_the_real_loader(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    marker = tmp_path / "marker"
    extra = root / "ex\u2028tra"
    extra.mkdir()
    (extra / "sitecustomize.py").write_bytes(_evil(marker))
    (site / "zz-paths.pth").write_bytes(("# c\r" + str(extra) + "\r\n").encode("utf-8"))
    assert _runs(root, "pass", marker)
    found = _ids(_findings(root, tmp_path, capsys), "high python.unrecorded-code")
    assert any("sitecustomize.py" in f for f in found), found


# --- 19d-3: unrecorded top-level code -----------------------------------------------------------

@pytest.mark.parametrize("where", ["psutil.py", "psutil/__init__.py", "psutil.abi3.so", "psutil.pyc"])
def test_19d3_unrecorded_top_level_module_is_high(where: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _venv(root)
    _install(site, {"victim/__init__.py": b"try:\n    import psutil\nexcept ImportError:\n    pass\n"})
    assert not _findings(root, tmp_path, capsys)
    (site / where).parent.mkdir(parents=True, exist_ok=True)
    (site / where).write_bytes(b"import os\n")
    found = _ids(_findings(root, tmp_path, capsys), "python.unrecorded-code")
    assert len(found) == 1 and found[0].startswith("high") and where in found[0], found


def test_19d3_proven_on_the_real_loader(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"try:\n    import psutil\nexcept ImportError:\n    pass\n"})
    marker = tmp_path / "marker"
    (site / "psutil.py").write_bytes(_evil(marker))
    assert _runs(root, "import victim", marker)
    found = _ids(_findings(root, tmp_path, capsys), "high python.unrecorded-code")
    assert len(found) == 1 and "psutil.py" in found[0], found


def test_19d3_data_and_metadata_beside_the_packages_are_not_code(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    (site / "README.txt").write_text("This directory exists so that 3rd party packages can be installed here.\n")
    (site / "__pycache__").mkdir()
    (site / "data").mkdir()
    (site / "data" / "table.csv").write_text("a,b\n")
    (site / "foo-1.0.egg-link").write_text("/src\n.\n")
    assert not _findings(root, tmp_path, capsys)


# --- 19d-4 / 19d-7: the prefix and the settings as site.venv finds them ---------------------------

def test_19d4_pyvenv_cfg_in_bin_does_not_move_the_prefix_proven_on_the_real_loader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    shutil.copy(root / "pyvenv.cfg", root / "bin" / "pyvenv.cfg")
    marker = tmp_path / "marker"
    (site / "zz-evil.pth").write_text(f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\n")
    assert _runs(root, "pass", marker)
    found = _findings(root, tmp_path, capsys)
    assert len(_ids(found, "high python.pth-code")) == 1, found
    assert any(p == site or p.resolve() == site.resolve() for p in locate(root).sites)


def test_19d4_venv_with_only_bin_pyvenv_cfg_is_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    (root / "pyvenv.cfg").rename(root / "bin" / "pyvenv.cfg")
    assert any(p.resolve() == site.resolve() for p in locate(root).sites)
    assert not _findings(root, tmp_path, capsys)


def test_19d7_pyvenv_cfg_without_the_key_is_not_isolated_proven_on_the_real_loader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    assert not _findings(root, tmp_path, capsys)  # control: the key says false
    cfg = root / "pyvenv.cfg"
    cfg.write_text("".join(ln for ln in cfg.read_text().splitlines(keepends=True)
                           if not ln.startswith("include-system-site-packages")))
    probe = tmp_path / "probe.txt"
    subprocess.run([str(root / "bin" / "python"), "-c",
                    f"import sys, pathlib; pathlib.Path({str(probe)!r}).write_text(repr(sys.flags.no_user_site) + "
                    "repr(sys.path))"], check=True, timeout=120)
    assert "site-packages" in probe.read_text()
    found = _findings(root, tmp_path, capsys)
    got = _ids(found, "python.environment-not-isolated")
    assert len(got) == 1 and got[0].startswith("medium") and "user site" in got[0], found
    interp = locate(root)
    assert len(interp.sites) > 1  # the base interpreter's site folder(s) too


def test_19d7_static_layout_without_the_key_inventories_the_base(tmp_path: Path) -> None:
    base = tmp_path / "base"
    (base / "bin").mkdir(parents=True)
    (base / "lib" / "python3.11").mkdir(parents=True)
    (base / "lib" / "python3.11" / "os.py").write_text("")
    base_site = base / "lib" / "python3.11" / "site-packages"
    _install(base_site, {"six.py": b"X = 1\n"}, name="six")
    root = tmp_path / "env"
    site = root / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (root / "pyvenv.cfg").write_text(f"home = {base / 'bin'}\nversion = 3.11.7\n")
    interp = locate(root)
    assert [p.resolve() for p in interp.sites] == [site.resolve(), base_site.resolve()]
    assert [n.id for n in interp.notes] == ["python.environment-not-isolated"]
    (root / "pyvenv.cfg").write_text(f"home = {base / 'bin'}\ninclude-system-site-packages = False \nversion = 3.11.7\n")
    assert [p.resolve() for p in locate(root).sites] == [site.resolve()]


# --- 19d-5: never run the environment ------------------------------------------------------------

@pytest.mark.parametrize("outside", [False, True])
def test_19d5_a_script_bin_python_is_not_run(outside: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(site, {"victim/__init__.py": b"X = 1\n"})
    marker = tmp_path / "marker"
    exe = root / "bin" / "python"
    real = os.path.realpath(exe)
    exe.unlink()
    script = tmp_path / "python-wrapper" if outside else exe
    script.write_text(f"#!/bin/sh\necho ran > {marker}\nexec {real} \"$@\"\n")
    script.chmod(0o755)
    if outside:
        exe.symlink_to(script)
    interp = locate(root)
    assert not marker.exists()
    assert "never run" in interp.how and interp.root == root
    assert any(p.resolve() == site.resolve() for p in interp.sites)
    found = _findings(root, tmp_path, capsys)
    assert not marker.exists()
    # red team 20d-5: a script interpreter runs at every start, under that name: high
    assert len(_ids(found, "high python.interpreter-not-native: bin/python ")) == 1, found
    assert not _ids(found, "python.interpreter-not-run"), found


def test_19d5_b_home_inside_the_environment_is_not_run_and_is_high(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    _real_venv(root)
    cfg = root / "pyvenv.cfg"
    stdlib = Path(os.__file__).parent
    fake = root / "base" / "lib" / stdlib.name
    fake.mkdir(parents=True)
    (root / "base" / "bin").mkdir()
    for entry in stdlib.iterdir():
        if entry.name != "encodings":
            (fake / entry.name).symlink_to(entry)
    shutil.copytree(stdlib / "encodings", fake / "encodings", ignore=shutil.ignore_patterns("__pycache__"))
    marker = tmp_path / "marker"
    with (fake / "encodings" / "__init__.py").open("a") as fh:
        fh.write(f"\nimport _io; _io.open({str(marker)!r}, 'w').write('ran')\n")
    cfg.write_text("".join(f"home = {root / 'base' / 'bin'}\n" if ln.startswith("home") else ln
                           for ln in cfg.read_text().splitlines(keepends=True)))
    assert _runs(root, "pass", marker)  # the proof: every start of this env runs it
    marker.unlink()
    interp = locate(root)
    assert not marker.exists() and "never run" in interp.how
    found = _findings(root, tmp_path, capsys)
    assert not marker.exists()
    got = _ids(found, "python.stdlib-in-environment")
    assert len(got) == 1 and got[0].startswith("high"), found


def test_19d5_genuine_venv_is_read_statically(tmp_path: Path) -> None:
    """Red team 20d: a folder's interpreter is never run, a genuine one neither; its facts come
    from the layout, and its pyc tag and magic are mlbom's own (same minor version)."""
    root = tmp_path / "env"
    _real_venv(root)
    interp = locate(root)
    assert "never run" in interp.how and interp.cache_tags == {sys.implementation.cache_tag} and not interp.notes


# --- 19d-6: namespace portions -------------------------------------------------------------------

def test_19d6_namespace_portion_earlier_on_the_path_is_high_proven_on_the_real_loader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _real_venv(root)
    _install(root / "vendor", {"ns/sub/__init__.py": b"X = 1\n"})
    (site / "vendor.pth").write_text(str(root / "vendor") + "\n")
    assert not _findings(root, tmp_path, capsys)
    marker = tmp_path / "marker"
    (site / "ns" / "sub").mkdir(parents=True)
    (site / "ns" / "sub" / "__init__.py").write_bytes(_evil(marker))
    assert _runs(root, "import ns.sub", marker)
    found = _ids(_findings(root, tmp_path, capsys), "high python.unrecorded-code")
    assert len(found) == 1 and "ns/sub/__init__.py" in found[0], found


def test_19d6_namespace_portion_in_a_pth_folder_is_high(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _venv(root)
    _install(site, {"ns/sub/__init__.py": b"X = 1\n"})
    (root / "extra" / "ns" / "other").mkdir(parents=True)
    (root / "extra" / "ns" / "other" / "__init__.py").write_text("import os\n")
    (site / "zz.pth").write_text(str(root / "extra") + "\n")
    found = _ids(_findings(root, tmp_path, capsys), "high python.unrecorded-code")
    assert len(found) == 1 and "namespace package" in found[0] and "extra/ns/other/__init__.py" in found[0], found


# --- 19d-8: a .pth longer than mlbom reads ------------------------------------------------------

def test_19d8_pth_past_line_10000_is_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _venv(root)
    (root / "extra").mkdir()
    (root / "extra" / "sitecustomize.py").write_text("import os\n")
    (site / "zz-paths.pth").write_text("#\n" * 10_000 + str(root / "extra") + "\n")
    found = _ids(_findings(root, tmp_path, capsys), "high python.unrecorded-code")
    assert any("sitecustomize.py" in f for f in found), found


def test_19d8_pth_over_the_byte_bound_is_medium(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "env"
    site = _venv(root)
    (site / "zz-paths.pth").write_text("#" * (1 << 20) + "\n/somewhere\n")
    found = _ids(_findings(root, tmp_path, capsys), "python.record-unverified")
    assert len(found) == 1 and found[0].startswith("medium") and "zz-paths.pth" in found[0], found


def test_19d7_recorded_module_in_the_base_site_is_no_shadow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With system site on, a base distribution's recorded top-level module (outside the
    environment, so not hashed) is what `import` loads: not reported as shadowing."""
    base = tmp_path / "base"
    (base / "bin").mkdir(parents=True)
    (base / "lib" / "python3.11").mkdir(parents=True)
    (base / "lib" / "python3.11" / "os.py").write_text("")
    _install(base / "lib" / "python3.11" / "site-packages", {"six.py": b"X = 1\n"}, name="six")
    root = tmp_path / "env"
    (root / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (root / "pyvenv.cfg").write_text(f"home = {base / 'bin'}\nversion = 3.11.7\n")
    found = _findings(root, tmp_path, capsys)
    assert _ids(found, "medium python.environment-not-isolated") and not _ids(found, "python.unrecorded-code"), found
