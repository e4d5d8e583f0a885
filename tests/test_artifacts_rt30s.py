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


def test_an_untouched_venv_with_its_lib64_link_verifies(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "print(1)\n"})
    venv = _symlink_venv(root)
    doc = _generated(root)
    for kw in ({}, {"listed_only": True}):
        report = check_folder(doc, root, **kw)  # type: ignore[arg-type]
        assert report.ok, report.problems()
    if (venv / "lib64").is_symlink():
        assert any("lib64/" in r for r in check_folder(doc, root).verified)


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
