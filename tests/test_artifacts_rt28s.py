"""Red team 28s: ``verify --artifacts --listed-only``/``--exclude`` and unlisted modules where
Python looks first.

27s-2 checked "names written in ``import`` statements of listed ``.py`` files" in "folders
holding a listed ``.py``". Both axes were too small:

- 28s-1 (new class): ``json`` imports ``re`` lazily, so an unlisted ``model/re.py`` beside a
  listed ``run.py`` that only imports ``json`` runs — the names a script's folder can shadow are
  every module any library imports after startup, not the names in the listed text.
- 28s-2: a listed source over 8 MiB had its imports silently dropped.
- 28s-3: a listed sourceless ``run.pyc`` script's folder was never checked.
- 28s-4: ``cd DIR && python -m model.run`` puts DIR (the current folder) first on ``sys.path``.

The rule now: in every folder Python may put first on ``sys.path`` for the listed code, any
unlisted importable top-level module fails. Each attack is first proved with the real
interpreter in a throw-away subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom import artifacts
from mlbom.artifacts import check_folder
from tests.test_artifacts_rt26s import _doc, _project, _sourceless

# no pathlib: it imports ``re``, which the payload of 28s-1 itself replaces
PAYLOAD = "import os; open(os.path.join(os.path.dirname(__file__), 'PWNED'), 'w').close()\n"
TAIL = "which could shadow any module the listed code imports, directly or through the libraries it uses"


def _refusals(root: Path, listed: list[str], **kw: object) -> list[str]:
    return check_folder(_doc(root, listed), root, **kw).refused  # type: ignore[arg-type]


def _runs(cwd: Path, *argv: str) -> bool:
    """Whether the real interpreter, run as ``python -B argv`` in ``cwd``, runs the payload."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONSAFEPATH")}
    subprocess.run([sys.executable, "-B", *argv], cwd=cwd, env=env, capture_output=True, timeout=60, check=False)
    found = list(cwd.parent.rglob("PWNED"))
    for f in found:
        f.unlink()
    return bool(found)


def _both(root: Path, listed: list[str], attacker: str) -> list[list[str]]:
    return [_refusals(root, listed, listed_only=True), _refusals(root, listed, exclude=[attacker])]


# ---- 28s-1: what a library imports, not what the listed text names ----------------------------

def test_an_unlisted_module_a_library_imports_lazily_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "import json\nprint(json.loads('{\"ok\": 1}'))\n",
                               "model/re.py": PAYLOAD})
    assert _runs(root / "model", "run.py")  # json.decoder imports re: model/re.py runs
    for refused in _both(root, ["model/run.py"], "**/re.py"):
        assert refused == [f"model/re.py: Python would import this module as re, {TAIL} (Python may put model "
                           "first on sys.path)"], refused


def test_an_unlisted_package_never_named_by_the_listed_code_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"run.py": "print(1)\n", "bisect/__init__.py": PAYLOAD})
    for refused in _both(root, ["run.py"], "bisect/**"):
        assert [r.partition(":")[0] for r in refused] == ["bisect/__init__.py"], refused


# ---- 28s-2: a listed source too big to parse --------------------------------------------------

def test_an_unlisted_module_beside_a_listed_source_over_8_mib_fails(tmp_path: Path) -> None:
    big = "import json\nprint(json.dumps(1))\n" + "#" * 9_000_000 + "\n"
    root = _project(tmp_path, {"run.py": big, "json.py": PAYLOAD})
    assert _runs(root, "run.py")
    for refused in _both(root, ["run.py"], "json.py"):
        assert [r.partition(":")[0] for r in refused] == ["json.py"], refused


# ---- 28s-3: a listed sourceless script --------------------------------------------------------

@pytest.mark.parametrize("script", ["run.pyc", "run.pyw"])
def test_an_unlisted_module_beside_a_listed_pyc_or_pyw_script_fails(tmp_path: Path, script: str) -> None:
    root = _project(tmp_path, {"model/json.py": PAYLOAD})
    code = "import json\nprint(json.dumps(1))\n"
    if script.endswith(".pyc"):
        _sourceless(root / "model" / script, code)
    else:
        (root / "model" / script).write_text(code)
    assert _runs(root / "model", script)
    for refused in _both(root, [f"model/{script}"], "model/json.py"):
        assert [r.partition(":")[0] for r in refused] == ["model/json.py"], refused


def test_a_listed_script_whose_name_is_no_identifier_still_makes_its_folder_checked(tmp_path: Path) -> None:
    root = _project(tmp_path, {"tools/fine-tune.py": "import json\nprint(json.dumps(1))\n", "tools/json.py": PAYLOAD})
    assert _runs(root / "tools", "fine-tune.py")
    for refused in _both(root, ["tools/fine-tune.py"], "tools/json.py"):
        assert [r.partition(":")[0] for r in refused] == ["tools/json.py"], refused


# ---- 28s-4: python -m / -c from DIR or any folder above a listed module -------------------------

def test_an_unlisted_module_in_the_checked_folder_fails_for_python_dash_m(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/__init__.py": "", "model/run.py": "import json\nprint(json.dumps(1))\n",
                               "json.py": PAYLOAD})
    assert _runs(root, "-m", "model.run")
    for refused in _both(root, ["model/__init__.py", "model/run.py"], "json.py"):
        assert refused == [f"json.py: Python would import this module as json, {TAIL} (Python may put the checked "
                           "folder first on sys.path)"], refused


def test_every_folder_between_the_checked_folder_and_a_listed_module_is_checked(tmp_path: Path) -> None:
    root = _project(tmp_path, {"src/pkg/sub/mod.py": "import json\nprint(json.dumps(1))\n", "src/json.py": PAYLOAD,
                               "src/pkg/json.pyc": b"", "notes.py": ""})
    _sourceless(root / "src" / "pkg" / "json.pyc", PAYLOAD)
    assert _runs(root / "src", "-m", "pkg.sub.mod")  # namespace packages: no __init__ needed
    assert _runs(root / "src" / "pkg", "-m", "sub.mod")
    refused = _refusals(root, ["src/pkg/sub/mod.py"], listed_only=True)
    assert [r.partition(":")[0] for r in refused] == ["notes.py", "src/json.py", "src/pkg/json.pyc"], refused


# ---- what is not importable: no false failures -------------------------------------------------

def test_data_plain_folders_and_names_import_cannot_spell_pass(tmp_path: Path) -> None:
    """Data files, a plain folder holding only data, ``my-notes.py`` (no identifier:
    ``import my-notes`` is a syntax error), ``x.tar.py`` (FileFinder's module name has no dot),
    a non-NFKC ``ﬁlter.py`` (``import ﬁlter`` looks for ``filter``) and a ``.pth`` file (read
    only in site folders) are nothing ``import`` loads from a script's folder."""
    root = _project(tmp_path, {"model/run.py": "import json\nprint(json.dumps(1))\n", "model/weights.bin": b"\0" * 8,
                               "model/config.json": "{}", "model/README": "", "model/json/data.csv": "a,b\n",
                               "model/my-notes.py": PAYLOAD, "model/x.tar.py": PAYLOAD,
                               "model/\ufb01lter.py": PAYLOAD, "model/evil.pth": "import os\n",
                               "model/__pycache__/other.cpython-311.pyc": b"", "data/sub/json.csv": "", "data/x-y/json.py": PAYLOAD})
    assert not _runs(root / "model", "run.py")
    for kw in ({"listed_only": True}, {"exclude": ["model/**", "data/**"]}):
        assert _refusals(root, ["model/run.py"], **kw) == []  # type: ignore[arg-type]


def test_a_module_in_a_plain_folder_where_python_looks_first_fails(tmp_path: Path) -> None:
    """A folder without ``__init__`` is a namespace portion: PathFinder skips it for a name some
    later sys.path entry holds as a module or regular package, but it joins a namespace package
    of its name (``google`` of protobuf is one), first in its ``__path__``, and it is the package
    when no entry holds one (an optional import): so any module under it is importable."""
    pytest.importorskip("google.protobuf")
    root = _project(tmp_path, {"run.py": "import google.protobuf\n", "google/protobuf/__init__.py": PAYLOAD,
                               "data/a/b/evil.py": PAYLOAD, "data/a/b/x.csv": ""})
    assert _runs(root, "run.py")
    for refused in [_refusals(root, ["run.py"], listed_only=True),
                    _refusals(root, ["run.py"], exclude=["google/**", "data/**"])]:
        assert [r.partition(":")[0] for r in refused] == ["data/a/b/evil.py", "google/protobuf/__init__.py"], refused
        assert refused[1].endswith("as google.protobuf, a module of the namespace package google: a folder without "
                                   "__init__ first on sys.path joins every namespace package of its name (Python may "
                                   "put the checked folder first on sys.path)"), refused


def test_a_folder_of_listed_data_only_is_checked_too(tmp_path: Path) -> None:
    """A BOM listing only data files: ``python FILE`` runs any regular file as a script and puts
    its folder first on sys.path (red team 29s-1), so the folder of every listed file is checked."""
    root = _project(tmp_path, {"weights.bin": b"\0", "json.py": PAYLOAD, "sub/model.safetensors": b"\0"})
    refused = _refusals(root, ["weights.bin", "sub/model.safetensors"], listed_only=True)
    assert [r.partition(":")[0] for r in refused] == ["json.py"], refused


def test_a_listed_module_file_is_not_a_failure_nor_one_ranked_after_it(tmp_path: Path) -> None:
    root = _project(tmp_path, {"run.py": "import helper\n", "helper.py": "X = 1\n"})
    _sourceless(root / "helper.pyc", "X = 2\n")  # a legacy pyc ranks after helper.py: never loaded
    assert _refusals(root, ["run.py", "helper.py"], listed_only=True) == []


def test_a_folder_too_large_to_list_where_python_looks_first_fails(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is never read as "nothing there" when it could not be completed (26s-3)."""
    root = _project(tmp_path, {"src/pkg/mod.py": "", **{f"src/d{i}.bin": "" for i in range(5)}})
    monkeypatch.setattr(artifacts, "MAX_FILES", 4)
    refused = _refusals(root, ["src/pkg/mod.py"], listed_only=True)
    assert "src: more than 4 entries, where Python may look for any module: the check could not be " \
           "completed" in refused, refused
