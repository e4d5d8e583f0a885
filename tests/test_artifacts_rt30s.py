"""Red team 30s: ``verify --artifacts`` — folder links, ``.pth`` path lines, a Python install in DIR.

- 30s-2: a link to a folder is never a listed candidate by its target: ``model/helper -> tools``
  makes ``import helper`` run the listed ``tools/__init__.py``; it fails plain and ``--listed-only``.
  A venv's ``lib64 -> lib`` (the BOM lists paths through it) still verifies.
- a venv's interpreter link must end at an interpreter (python*/pypy*) in ``home``, not any program.

Each attack is first proved with the real interpreter in a throw-away subprocess.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from mlbom.artifacts import check_folder
from tests.test_artifacts_rt26s import _doc, _project
from tests.test_artifacts_rt29s import _generated, _runs, _symlink_venv

PAYLOAD = "import os; open(os.path.join(os.path.dirname(__file__), 'PWNED'), 'w').close()\nWHO = 'payload'\n"

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="POSIX links")


def _all_kw(root: Path, listed: list[str], link: str) -> list[list[str]]:
    doc = _doc(root, listed)
    out = []
    for kw in ({}, {"listed_only": True}, {"exclude": [link]}):
        report = check_folder(doc, root, **kw)  # type: ignore[arg-type]
        assert not report.ok, (kw, report.problems())
        out.append(report.problems())
    return out


# ---- 30s-2: a folder link is judged under its own name ----------------------------------------

def test_a_folder_link_renaming_a_listed_package_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "import helper\nprint(helper.WHO)\n",
                               "model/helper.py": "WHO = 'listed helper'\n", "model/tools/__init__.py": PAYLOAD})
    listed = ["model/run.py", "model/helper.py", "model/tools/__init__.py"]
    assert check_folder(_doc(root, listed), root).ok
    (root / "model" / "helper").symlink_to("tools")
    assert _runs(root / "model", "run.py")  # a package ranks before helper.py: tools/__init__ runs as helper
    for problems in _all_kw(root, listed, "model/helper"):
        assert any(p.startswith("artifact refused: model/helper:") for p in problems), problems


def test_a_folder_link_named_like_a_stdlib_module_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run2.py": "import json\n", "model/tools/__init__.py": PAYLOAD})
    listed = ["model/run2.py", "model/tools/__init__.py"]
    assert check_folder(_doc(root, listed), root).ok
    (root / "model" / "json").symlink_to("tools")
    assert _runs(root / "model", "run2.py")
    for problems in _all_kw(root, listed, "model/json"):
        assert any(p.startswith("artifact refused: model/json:") for p in problems), problems


def test_a_folder_link_to_a_data_folder_fails_plain_verify(tmp_path: Path) -> None:
    """Not where Python looks, but unlisted all the same: a link is never vouched for by its target."""
    root = _project(tmp_path, {"model/data/a.txt": "a", "model/run.py": "print(1)\n"})
    (root / "model" / "data-v2").symlink_to("data")
    report = check_folder(_doc(root, ["model/data/a.txt", "model/run.py"]), root)
    assert report.refused == ["model/data-v2: symbolic link (not followed)"], report.problems()


# ---- a venv interpreter link must end at an interpreter ----------------------------------------

def test_a_venv_interpreter_link_to_another_program_in_home_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "print(1)\n"})
    venv = _symlink_venv(root)
    doc = _generated(root)
    assert check_folder(doc, root).ok
    outer = sorted(p for p in (venv / "bin").iterdir() if p.is_symlink() and p.readlink().is_absolute())
    assert outer
    home = Path(os.path.realpath(outer[0])).parent
    others = sorted(p for p in home.iterdir() if p.is_file() and not p.name.lower().startswith(("python", "pypy")))
    if not others:
        pytest.skip("the base interpreter's folder holds no other program")
    outer[0].unlink()
    outer[0].symlink_to(others[0])
    refused = check_folder(doc, root).refused
    assert any(r.startswith(f"model/venv/bin/{outer[0].name}") for r in refused), refused


# ---- 30s-1: the folders a listed .pth adds are import folders ----------------------------------

def _marker_runs(interp: Path, code: str, where: Path) -> bool:
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONSAFEPATH",
                                                            "PYTHONHOME")}
    subprocess.run([str(interp), "-B", "-c", code], cwd=where.parent, env=env, capture_output=True, timeout=60,
                   check=False)
    found = list(where.rglob("PWNED"))
    for f in found:
        f.unlink()
    return bool(found)


def test_a_sitecustomize_in_a_folder_a_listed_pth_adds_fails(tmp_path: Path) -> None:
    from tests.test_artifacts_rt29s import _files, _site, _venv

    root = _project(tmp_path, {})
    venv = _venv(root)
    site = _site(venv)
    (site / "helper.py").write_text("WHO = 'listed helper'\n")
    (site / "plugins.pth").write_text(os.path.relpath(root / "model" / ".plugins", site) + "\n")
    listed = _files(root)
    assert check_folder(_doc(root, listed), root, listed_only=True).ok
    (root / "model" / ".plugins").mkdir()
    (root / "model" / ".plugins" / "sitecustomize.py").write_text(PAYLOAD)
    if (venv / "bin" / "python").exists():  # site imports sitecustomize from the folder the .pth added
        assert _marker_runs(venv / "bin" / "python", "import helper", root)
    for kw in ({"listed_only": True}, {"exclude": ["model/.plugins/sitecustomize.py"]}, {}):
        report = check_folder(_doc(root, listed), root, **kw)  # type: ignore[arg-type]
        assert not report.ok
        assert [r.partition(":")[0] for r in [*report.refused, *report.unlisted]] == \
            ["model/.plugins/sitecustomize.py"], (kw, report.problems())


def test_a_listed_pth_naming_a_folder_outside_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"vendor/site-packages/helper.py": "X = 1\n",
                               "vendor/site-packages/out.pth": str(tmp_path / "elsewhere") + "\n"})
    listed = ["vendor/site-packages/helper.py", "vendor/site-packages/out.pth"]
    for kw in ({}, {"listed_only": True}):
        refused = check_folder(_doc(root, listed), root, **kw).refused  # type: ignore[arg-type]
        assert [r.partition(":")[0] for r in refused] == ["vendor/site-packages/out.pth"], refused
        assert "a listed .pth adds a folder the BOM does not cover" in refused[0]


def test_a_listed_pth_naming_a_listed_or_absent_folder_passes(tmp_path: Path) -> None:
    root = _project(tmp_path, {"vendor/site-packages/helper.py": "X = 1\n", "src/pkg/__init__.py": "",
                               "vendor/site-packages/a.pth": "# comment\n../../src\n./not-there\nimport _virtualenv\n"})
    listed = ["vendor/site-packages/helper.py", "vendor/site-packages/a.pth", "src/pkg/__init__.py"]
    for kw in ({}, {"listed_only": True}):
        report = check_folder(_doc(root, listed), root, **kw)  # type: ignore[arg-type]
        assert report.ok, report.problems()
    (root / "src" / "json.py").write_text(PAYLOAD)  # src is on sys.path now: an unlisted module there fails
    refused = check_folder(_doc(root, listed), root, listed_only=True).refused
    assert [r.partition(":")[0] for r in refused] == ["src/json.py"], refused


# ---- 30s-3: a listed Python install in DIR ----------------------------------------------------

def _install(root: Path) -> tuple[Path, list[str]]:
    import shutil
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    ver = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    py = root / "model" / "py"
    (py / "bin").mkdir(parents=True)
    (py / "lib" / ver / "encodings").mkdir(parents=True)
    shutil.copy(os.path.realpath(getattr(sys, "_base_executable", sys.executable)), py / "bin" / ver)
    shutil.copy(stdlib / "os.py", py / "lib" / ver / "os.py")
    for f in (stdlib / "encodings").glob("*.py"):
        shutil.copy(f, py / "lib" / ver / "encodings" / f.name)
    (root / "model" / "run.py").write_text("print('listed run.py')\n")
    listed = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return py / "bin" / ver, listed


def test_an_unlisted_stdlib_zip_of_a_listed_install_fails(tmp_path: Path) -> None:
    import zipfile

    root = _project(tmp_path, {})
    interp, listed = _install(root)
    assert check_folder(_doc(root, listed), root, listed_only=True).ok
    enc = interp.parent.parent / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "encodings"
    zpath = interp.parent.parent / "lib" / f"python{sys.version_info[0]}{sys.version_info[1]}.zip"
    marker = root / "model" / "PWNED"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in sorted(enc.glob("*.py")):
            body = f.read_text()
            if f.name == "__init__.py":
                body = f"import os as _o\n_o.close(_o.open({str(marker)!r}, _o.O_WRONLY | _o.O_CREAT, 0o644))\n" + body
            z.writestr(f"encodings/{f.name}", body)
    assert _marker_runs(interp, "pass", root)  # before site, before any listed code
    rel = zpath.relative_to(root).as_posix()
    for kw in ({"listed_only": True}, {"exclude": [rel]}):
        refused = check_folder(_doc(root, listed), root, **kw).refused  # type: ignore[arg-type]
        assert [r.partition(":")[0] for r in refused] == [rel], refused


def test_an_unlisted_module_in_the_stdlib_folder_of_a_listed_install_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    interp, listed = _install(root)
    lib = interp.parent.parent / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    (lib / "lib-dynload").mkdir()
    (lib / "lib-dynload" / "sitecustomize.py").write_text(PAYLOAD)
    refused = check_folder(_doc(root, listed), root, listed_only=True).refused
    assert [r.partition(":")[0] for r in refused] == [(lib / "lib-dynload" / "sitecustomize.py").relative_to(root).as_posix()], refused
