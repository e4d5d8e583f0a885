"""Red team 35s: a listed setuptools editable finder's targets and its relative PATH_PLACEHOLDER.

35s-1: a ``MAPPING``/``NAMESPACES`` target with a ``..`` after a link: the finder's pathlib keeps ``..``
and the OS follows the link first, so the lexical form mlbom judged is not what is imported; any
``.``/``..`` component fails in every mode (setuptools writes resolved paths).
35s-2: with a non-empty ``NAMESPACES``, install() appends the RELATIVE ``<name>.__path_hook__`` to
sys.path; FileFinder's path hook takes an existing folder of that name in the working folder before
the finder's hook: such an entry in DIR or a listed file's folder fails in every mode.
Each attack is proved with the venv's real interpreter (real setuptools ``build_editable``).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_artifacts_rt26s import _project
from tests.test_artifacts_rt29s import _files
from tests.test_artifacts_rt30s import _marker_runs
from tests.test_artifacts_rt32s import MODES, PAYLOAD, _editable, _problems, _rewrite

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="POSIX layout")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONSAFEPATH",
                                                             "PYTHONHOME")}


def _imported(interp: Path, code: str, cwd: Path) -> str:
    got = subprocess.run([str(interp), "-B", "-c", code], cwd=cwd, env=_env(), capture_output=True, text=True,
                         timeout=60, check=False)
    return got.stdout.strip()


def test_a_finder_target_with_dotdot_after_a_link_fails_every_mode(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    venv, _s, finder = _editable(root, root / "model" / "src", tmp_path)
    real = str(root / "model" / "src" / "mypkg")
    (root / "model" / "data-files" / "lnk").mkdir(parents=True)  # an empty folder: nothing the BOM lists
    dotted = str(root / "model" / "data-files" / "lnk" / ".." / ".." / "src" / "mypkg")
    _rewrite(finder, repr(real), repr(dotted))
    listed = _files(root)
    interp = venv / "bin" / "python"
    code = "import helper, mypkg; print(mypkg.__file__)"
    if interp.exists():  # before: the listed package
        assert _imported(interp, code, tmp_path) == os.path.join(dotted, "__init__.py")
    rel = finder.relative_to(root).as_posix()
    for kw in MODES:  # closed even before the swap
        got = _problems(root, listed, **kw)
        assert any(f"{rel}: MAPPING['mypkg']" in p and "'..' component" in p for p in got), (kw, got)
    # attacker: the empty folder becomes a link out of DIR; lnk/../.. is then <outside>
    outside = tmp_path / "outside"
    (outside / "deep" / "x").mkdir(parents=True)
    (outside / "src" / "mypkg").mkdir(parents=True)
    (outside / "src" / "mypkg" / "__init__.py").write_text(PAYLOAD)
    (root / "model" / "data-files" / "lnk").rmdir()
    (root / "model" / "data-files" / "lnk").symlink_to(outside / "deep" / "x")
    if interp.exists():
        assert _marker_runs(interp, "import helper, mypkg", outside / "src")
    for kw in [*MODES, {"listed_only": True, "exclude": ["model/data-files/lnk"]}]:
        got = _problems(root, listed, **kw)
        assert any(f"{rel}: MAPPING['mypkg']" in p and "'..' component" in p for p in got), (kw, got)


@pytest.mark.parametrize("dotted", ["/./", "/x/../"])
def test_a_namespace_target_with_dot_components_fails(tmp_path: Path, dotted: str) -> None:
    root = _project(tmp_path, {})
    _v, _s, finder = _editable(root, root / "model" / "src", tmp_path)
    (root / "model" / "src" / "nsp").mkdir()
    (root / "model" / "src" / "nsp" / "core.py").write_text("X = 1\n")
    target = str(root / "model" / "src") + dotted + "nsp"
    _namespaces(finder, {"nsp": [target]})
    listed = _files(root)
    for kw in MODES:
        got = _problems(root, listed, **kw)
        assert any("NAMESPACES['nsp']" in p and "'..' component" in p for p in got), (kw, got)


def _namespaces(finder: Path, value: dict[str, list[str]]) -> None:
    ns = re.search(r"^NAMESPACES: dict\[str, list\[str\]\] = \{\}$", finder.read_text(), re.M)
    assert ns is not None
    _rewrite(finder, ns.group(0), f"NAMESPACES: dict[str, list[str]] = {value!r}")


def _namespace_install(tmp_path: Path) -> tuple[Path, Path, Path, str]:
    """A real editable install whose finder also serves the namespace package ``nsp`` (listed
    ``model/src/nsp/core.py``), imported by the listed helper. Returns (root, venv, site, placeholder)."""
    root = _project(tmp_path, {})
    venv, site, finder = _editable(root, root / "model" / "src", tmp_path)
    (root / "model" / "src" / "nsp").mkdir()
    (root / "model" / "src" / "nsp" / "core.py").write_text("X = 1\n")
    _namespaces(finder, {"nsp": [str(root / "model" / "src" / "nsp")]})
    (site / "helper.py").write_text("import mypkg, nsp.core\nWHO = 'listed helper'\n")
    name = re.search(r"^PATH_PLACEHOLDER = ('[^']+') \+ \"\.__path_hook__\"$", finder.read_text(), re.M)
    assert name is not None
    return root, venv, site, ast.literal_eval(name.group(1)) + ".__path_hook__"


def test_a_real_namespace_editable_install_verifies(tmp_path: Path) -> None:
    root, venv, _s, _p = _namespace_install(tmp_path)
    listed = _files(root)
    interp = venv / "bin" / "python"
    if interp.exists():
        got = _imported(interp, "import helper, nsp.core; print(nsp.core.__file__)", root)
        assert got == str(root / "model" / "src" / "nsp" / "core.py")
    for kw in MODES:
        assert _problems(root, listed, **kw) == [], kw


@pytest.mark.parametrize("where", ["", "site"])
def test_a_path_placeholder_entry_in_a_working_folder_fails_every_mode(tmp_path: Path, where: str) -> None:
    root, venv, site, hook = _namespace_install(tmp_path)
    listed = _files(root)
    cwd = site if where else root
    evil = cwd / hook / "nsp"
    evil.mkdir(parents=True)
    (evil / "core.py").write_text(PAYLOAD)
    interp = venv / "bin" / "python"
    if interp.exists():  # FileFinder takes the relative placeholder from the working folder: nsp.core is the payload
        assert _marker_runs(interp, "import helper", cwd / hook)
    entry = (cwd / hook).relative_to(root).as_posix()
    for kw in [*MODES, {"listed_only": True, "exclude": [hook, f"{entry}/*", f"{entry}/**"]}]:
        got = _problems(root, listed, **kw)
        assert any(p.startswith(f"artifact refused: {entry}: the listed editable finder") for p in got), (kw, got)


def test_a_path_placeholder_file_fails(tmp_path: Path) -> None:
    root, _v, _s, hook = _namespace_install(tmp_path)
    listed = _files(root)
    (root / hook).write_bytes(b"PK\x05\x06" + b"\0" * 18)  # zipimporter, the first path hook, reads a file
    for kw in MODES:
        assert any(f"{hook}: the listed editable finder" in p for p in _problems(root, listed, **kw)), kw
