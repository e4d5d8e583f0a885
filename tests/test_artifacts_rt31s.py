"""Red team 31s: ``verify --artifacts`` — how site.py reads a ``.pth``, a listed Python install's start-up.

- 31s-1: a listed ``.pth`` is split into lines as ``site.addpackage`` does (universal newlines:
  ``\\n``, ``\\r``, ``\\r\\n``), never ``str.splitlines``; a break only some versions split at fails.
- 31s-2: an unlisted ``pyvenv.cfg`` beside a listed interpreter or one folder up fails.
- 31s-3: a listed ``.pth`` ``import`` line other than the known tool-written forms fails under
  ``--listed-only``/``--exclude``.
- 31s-4: a ``.pth`` path line naming an unlisted FILE (zipimport imports from it) fails.
- 31s-5: an unlisted stdlib landmark getpath finds before the listed one fails.

Each attack is first proved with the real interpreter in a throw-away subprocess.
"""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from mlbom.artifacts import check_folder
from tests.test_artifacts_rt26s import _doc, _project
from tests.test_artifacts_rt29s import _files, _site, _venv
from tests.test_artifacts_rt30s import _install, _marker_runs

PAYLOAD = "import os; open(os.path.join(os.path.dirname(__file__), 'PWNED'), 'w').close()\nWHO = 'payload'\n"
VER = f"python{sys.version_info[0]}.{sys.version_info[1]}"

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="POSIX layout")


def _kws(rel: str) -> list[dict[str, object]]:
    return [{"listed_only": True}, {"exclude": [rel]}]


def _refused(root: Path, listed: list[str], **kw: object) -> list[str]:
    report = check_folder(_doc(root, listed), root, **kw)  # type: ignore[arg-type]
    assert not report.ok, kw
    return [*report.refused, *report.unlisted]


def _py_venv(root: Path, pth: str) -> tuple[Path, Path]:
    venv = _venv(root)
    site = _site(venv)
    (site / "helper.py").write_text("WHO = 'listed helper'\n")
    (site / "plugins.pth").write_bytes(pth.encode())
    return venv, site


# ---- 31s-1 ------------------------------------------------------------------------------------

def test_a_pth_line_break_only_splitlines_sees_fails_every_mode(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    sp = root / "model" / "venv" / "lib" / VER / "site-packages"
    venv, site = _py_venv(root, "plug\x0c#/../" + os.path.relpath(root / "model" / ".plugins", sp) + "\n")
    listed = _files(root)
    (root / "model" / ".plugins").mkdir()
    (root / "model" / ".plugins" / "sitecustomize.py").write_text(PAYLOAD)
    if (venv / "bin" / "python").exists():  # site reads ONE path line; abspath cancels "plug\x0c#" with ".."
        assert _marker_runs(venv / "bin" / "python", "import helper", root)
    pth = (site / "plugins.pth").relative_to(root).as_posix()
    for kw in ({}, *_kws("model/.plugins/sitecustomize.py")):
        assert any(r.startswith(f"{pth}:") for r in _refused(root, listed, **kw)), kw


def test_a_pth_with_cr_line_ends_is_read_as_site_reads_it(tmp_path: Path) -> None:
    root = _project(tmp_path, {"vendor/site-packages/helper.py": "X = 1\n", "src/keep.txt": "",
                               "vendor/site-packages/a.pth": "# c\r../../src\r\n./absent\r"})
    listed = ["vendor/site-packages/helper.py", "vendor/site-packages/a.pth", "src/keep.txt"]
    assert check_folder(_doc(root, listed), root, listed_only=True).ok
    (root / "src" / "json.py").write_text(PAYLOAD)  # src is a path line after a lone \r
    assert [r.partition(":")[0] for r in _refused(root, listed, listed_only=True)] == ["src/json.py"]


# ---- 31s-2 ------------------------------------------------------------------------------------

def _other_stdlib(tmp_path: Path, root: Path, interp: Path) -> Path:
    other = tmp_path / "other"
    shutil.copytree(interp.parent.parent / "lib", other / "lib")
    init = other / "lib" / VER / "encodings" / "__init__.py"
    marker = root / "model" / "PWNED"
    init.write_text(f"import os as _o\n_o.close(_o.open({str(marker)!r}, _o.O_WRONLY | _o.O_CREAT, 0o644))\n"
                    + init.read_text())
    return other


@pytest.mark.parametrize("where", ["pyvenv.cfg", "bin/pyvenv.cfg"])
def test_an_unlisted_pyvenv_cfg_of_a_listed_install_fails(tmp_path: Path, where: str) -> None:
    root = _project(tmp_path, {})
    interp, listed = _install(root)
    assert check_folder(_doc(root, listed), root, listed_only=True).ok
    other = _other_stdlib(tmp_path, root, interp)
    cfg = interp.parent.parent / where
    cfg.write_text(f"home = {other / 'bin'}\n")
    assert _marker_runs(interp, "pass", root)
    rel = cfg.relative_to(root).as_posix()
    for kw in _kws(rel):
        assert [r.partition(":")[0] for r in _refused(root, listed, **kw)] == [rel], kw


# ---- 31s-3 ------------------------------------------------------------------------------------

def test_a_pth_import_line_extending_sys_path_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    line = ("import sys, os; sys.path.append(os.path.join(sys._getframe(1).f_locals['sitedir'], "
            f"{os.path.relpath(root / 'model' / '.plugins', root / 'model' / 'venv' / 'lib' / VER / 'site-packages')!r}))\n")
    venv, site = _py_venv(root, line)
    listed = _files(root)
    (root / "model" / ".plugins").mkdir()
    (root / "model" / ".plugins" / "sitecustomize.py").write_text(PAYLOAD)
    if (venv / "bin" / "python").exists():
        assert _marker_runs(venv / "bin" / "python", "import helper", root)
    pth = (site / "plugins.pth").relative_to(root).as_posix()
    for kw in _kws("model/.plugins/sitecustomize.py"):
        assert any(r.startswith(f"{pth}: the import line") for r in _refused(root, listed, **kw)), kw


def test_the_tool_written_pth_import_lines_pass(tmp_path: Path) -> None:
    lines = ("import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; "
             "enabled and __import__('_distutils_hack').add_shim(); \n"
             "import __editable___mypkg_1_0_finder; __editable___mypkg_1_0_finder.install()\n"
             "import _virtualenv\n")
    files = {"vendor/site-packages/helper.py": "X = 1\n", "vendor/site-packages/a.pth": lines}
    try:  # the editable line's finder must be listed and in setuptools' shape (32s-2: tests/test_artifacts_rt32s.py)
        from setuptools.command.editable_wheel import _finder_template
    except ImportError:
        files["vendor/site-packages/a.pth"] = "".join(x for x in lines.splitlines(True) if "editable" not in x)
    else:
        files["vendor/site-packages/__editable___mypkg_1_0_finder.py"] = _finder_template(
            "__editable__.mypkg-1.0.finder", {}, {})
    root = _project(tmp_path, files)
    listed = sorted(files)
    for kw in ({}, {"listed_only": True}, {"exclude": ["x"]}):
        report = check_folder(_doc(root, listed), root, **kw)  # type: ignore[arg-type]
        assert report.ok, report.problems()


# ---- 31s-4 ------------------------------------------------------------------------------------

def test_a_pth_path_line_naming_an_unlisted_zip_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    venv, site = _py_venv(root, "./plugins-1.0-py3.egg\n")
    listed = _files(root)
    assert check_folder(_doc(root, listed), root, listed_only=True).ok  # absent: nothing imported
    with zipfile.ZipFile(site / "plugins-1.0-py3.egg", "w") as z:
        z.writestr("sitecustomize.py", f"open({str(root / 'model' / 'PWNED')!r}, 'w').close()\n")
    if (venv / "bin" / "python").exists():
        assert _marker_runs(venv / "bin" / "python", "import helper", root)
    egg = (site / "plugins-1.0-py3.egg").relative_to(root).as_posix()
    for kw in _kws(egg):
        assert any(r.startswith(f"{egg}:") for r in _refused(root, listed, **kw)), kw
    assert check_folder(_doc(root, _files(root)), root, listed_only=True).ok  # a listed egg is vouched


# ---- 31s-5 ------------------------------------------------------------------------------------

def test_an_unlisted_stdlib_landmark_beside_the_binary_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    interp, listed = _install(root)
    assert check_folder(_doc(root, listed), root, listed_only=True).ok
    other = _other_stdlib(tmp_path, root, interp)
    shutil.copytree(other / "lib", interp.parent / "lib")
    assert _marker_runs(interp, "pass", root)  # search_up starts at the binary's own folder
    rel = f"model/py/bin/lib/{VER}/os.py"
    for kw in ({"listed_only": True}, {"exclude": ["model/py/bin/lib/**"]}):
        assert rel in [r.partition(":")[0] for r in _refused(root, listed, **kw)], kw


def test_an_untouched_venv_still_verifies(tmp_path: Path) -> None:
    from tests.test_artifacts_rt29s import _generated, _symlink_venv

    root = _project(tmp_path, {"model/run.py": "print(1)\n"})
    _symlink_venv(root)
    doc = _generated(root)
    for kw in ({}, {"listed_only": True}):
        report = check_folder(doc, root, **kw)  # type: ignore[arg-type]
        assert report.ok, report.problems()


def test_another_import_line_fails_in_every_mode(tmp_path: Path) -> None:
    """Red team 32s-1: plain verify walks every file under DIR, but an import line may add a folder
    OUTSIDE it (``import sys; sys.path.insert(0, '/elsewhere')``), whose sitecustomize then runs at every
    start: any import line but the tool-written forms fails plain verify too."""
    root = _project(tmp_path, {"vendor/site-packages/helper.py": "X = 1\n", "vendor/site-packages/a.pth": "import os\n"})
    listed = ["vendor/site-packages/helper.py", "vendor/site-packages/a.pth"]
    assert [r.partition(":")[0] for r in check_folder(_doc(root, listed), root).refused] == ["vendor/site-packages/a.pth"]
    outside = tmp_path / "elsewhere"
    (root / "vendor" / "site-packages" / "a.pth").write_text(f"import sys; sys.path.insert(0, {str(outside)!r})\n")
    refused = check_folder(_doc(root, listed), root).refused
    assert [r.partition(":")[0] for r in refused] == ["vendor/site-packages/a.pth"], refused
    for kw in _kws("x"):
        assert [r.partition(":")[0] for r in _refused(root, listed, **kw)] == ["vendor/site-packages/a.pth"], kw
