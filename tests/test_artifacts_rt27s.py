"""Red team 27s: ``verify --artifacts`` and what Python imports around a listed module.

- 27s-4 (new class: metadata no digest covers picks which listed file runs): a *listed* stale
  ``__pycache__`` pyc was trusted because it is listed; ``touch -d @<header mtime> helper.py``
  (no byte changed) makes importlib run it instead of the listed, verified source.
- 27s-1: ``import`` normalises identifiers to NFKC (PEP 3131) and FileFinder then matches file
  names exactly: beside a listed NFD ``modèle/`` or ligature ``ﬁlter.py``, an unlisted NFC
  ``modèle/`` or ``filter.py`` is what ``import`` loads.
- 27s-3: the checked folder's own ``__init__`` runs first when DIR is imported by its folder name.
- 27s-2: an unlisted ``json.py`` beside a listed script that imports ``json`` replaces the module
  (the script's folder is ``sys.path[0]``); since 28s any unlisted module there fails
  (tests/test_artifacts_rt28s.py).

Each attack is first proved with the real interpreter in a throw-away subprocess.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import py_compile
import struct
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from mlbom.artifacts import check_folder
from tests.test_artifacts_rt26s import _doc, _project, _python_runs, _sourceless

PAYLOAD = "import pathlib; pathlib.Path(__file__).with_name('PWNED').touch(); X = 666\n"
TAG = sys.implementation.cache_tag


def _refusals(root: Path, listed: list[str], **kw: object) -> list[str]:
    return check_folder(_doc(root, listed), root, **kw).refused  # type: ignore[arg-type]


# ---- 27s-4: a listed pyc is related to its listed source, with the mtime the attacker's -----

def _stale_pyc_project(tmp_path: Path) -> tuple[Path, list[str]]:
    """helper.py v1 (payload) compiled to a timestamp pyc, then v2 of the same size written later."""
    root = _project(tmp_path, {"model/helper.py": PAYLOAD.replace("X = 666", "X = 111")})
    src = root / "model" / "helper.py"
    os.utime(src, (1_700_000_000, 1_700_000_000))
    pyc = root / "model" / "__pycache__" / f"helper.{TAG}.pyc"
    py_compile.compile(str(src), cfile=str(pyc), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    src.write_text("import pathlib; X = 0\n".ljust(len(PAYLOAD.replace("X = 666", "X = 111")) - 1) + "\n")
    os.utime(src, (1_700_000_500, 1_700_000_500))
    return root, ["model/helper.py", f"model/__pycache__/helper.{TAG}.pyc"]


def test_touching_the_source_revives_a_listed_stale_pyc(tmp_path: Path) -> None:
    root, _ = _stale_pyc_project(tmp_path)
    assert not _python_runs(root / "model", "import helper")  # stale: Python recompiles v2
    os.utime(root / "model" / "helper.py", (1_700_000_000, 1_700_000_000))  # metadata only
    assert _python_runs(root / "model", "import helper")  # the old bytecode runs


def test_a_listed_stale_pyc_of_the_sources_size_fails_whatever_the_mtime(tmp_path: Path) -> None:
    root, listed = _stale_pyc_project(tmp_path)
    for _ in range(2):  # before and after the touch: the mtime is the attacker's choice
        report = check_folder(_doc(root, listed), root)
        assert not report.ok
        assert any(r.startswith(f"model/__pycache__/helper.{TAG}.pyc: Python would run this instead of the "
                                "listed model/helper.py") and "must be proved that source's compile" in r
                   for r in report.refused), report.refused
        os.utime(root / "model" / "helper.py", (1_700_000_000, 1_700_000_000))


def test_a_listed_pyc_of_another_size_or_the_faithful_compile_passes(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/helper.py": "X = 1\n"})
    src = root / "model" / "helper.py"
    pyc = root / "model" / "__pycache__" / f"helper.{TAG}.pyc"
    py_compile.compile(str(src), cfile=str(pyc), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    listed = ["model/helper.py", f"model/__pycache__/helper.{TAG}.pyc"]
    assert check_folder(_doc(root, listed), root).ok  # the source's own compile
    src.write_text("X = 22\n")  # another size: importlib recompiles whatever the mtime
    os.utime(src, (1_600_000_000, 1_600_000_000))
    assert check_folder(_doc(root, listed), root).ok


@pytest.mark.parametrize("flags", [0b01, 0b11])
def test_a_listed_hash_pyc_not_the_sources_compile_fails(tmp_path: Path, flags: int) -> None:
    root = _project(tmp_path, {"model/helper.py": "X = 1\n"})
    src = root / "model" / "helper.py"
    pyc = root / "model" / "__pycache__" / f"helper.{TAG}.pyc"
    pyc.parent.mkdir()
    pyc.write_bytes(importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little")
                    + importlib.util.source_hash(src.read_bytes())
                    + marshal.dumps(compile(PAYLOAD, str(src), "exec", dont_inherit=True)))
    assert _python_runs(root / "model", "import helper")
    refused = _refusals(root, ["model/helper.py", f"model/__pycache__/helper.{TAG}.pyc"])
    assert any("its bytecode differs from the source's compile" in r for r in refused), refused
    # a checked-hash pyc of other source is ignored by importlib: harmless
    src.write_text("X = 2\n")
    assert (flags == 0b11) == (not _refusals(root, ["model/helper.py", f"model/__pycache__/helper.{TAG}.pyc"]))


def test_a_listed_pyc_of_another_python_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/helper.py": "X = 1\n"})
    src = root / "model" / "helper.py"
    pyc = root / "model" / "__pycache__" / "helper.cpython-399.pyc"
    pyc.parent.mkdir()
    st = src.stat()
    pyc.write_bytes(b"\x00\x00\r\n" + b"\0" * 4 + struct.pack("<II", int(st.st_mtime), st.st_size) + b"\xe3")
    refused = _refusals(root, ["model/helper.py", "model/__pycache__/helper.cpython-399.pyc"])
    assert any("bytecode for another Python" in r for r in refused), refused


# ---- 27s-1: the NFKC spelling the import statement looks for ---------------------------------

NFD_PKG = unicodedata.normalize("NFD", "modèle")
NFC_PKG = unicodedata.normalize("NFC", "modèle")
LIGATURE = "\ufb01lter"  # "ﬁlter": NFKC "filter"


def test_nfkc_stand_ins_are_what_import_loads_and_fail(tmp_path: Path) -> None:
    root = _project(tmp_path, {f"model/{NFD_PKG}/helper.py": "X = 1\n", f"model/{LIGATURE}.py": "X = 1\n"})
    listed = [f"model/{NFD_PKG}/helper.py", f"model/{LIGATURE}.py"]
    assert check_folder(_doc(root, listed), root).ok
    (root / "model" / NFC_PKG).mkdir()
    (root / "model" / NFC_PKG / "helper.py").write_text(PAYLOAD)
    (root / "model" / "filter.py").write_text(PAYLOAD)
    assert _python_runs(root / "model", f"import {NFD_PKG}.helper")  # the listed name as written
    assert _python_runs(root / "model", f"import {LIGATURE}")
    for kw in ({"listed_only": True}, {"exclude": [f"model/{NFC_PKG}", "model/filter.py"]}):
        refused = _refusals(root, listed, **kw)
        assert f"model/{NFC_PKG}/helper.py: Python would import this module as module helper instead of the listed " \
               f"model/{NFD_PKG}/helper.py (the import statement spells names in NFKC, PEP 3131)" in refused, refused
        assert f"model/filter.py: Python would import this module as module filter instead of the listed " \
               f"model/{LIGATURE}.py (the import statement spells names in NFKC, PEP 3131)" in refused, refused


def test_an_nfkc_package_init_stands_in_for_a_listed_nfd_package(tmp_path: Path) -> None:
    root = _project(tmp_path, {f"model/{NFD_PKG}/__init__.py": "", f"model/{NFD_PKG}/helper.py": "X = 1\n",
                               f"model/{NFC_PKG}/__init__.py": PAYLOAD})
    assert _python_runs(root / "model", f"import {NFD_PKG}.helper")
    refused = _refusals(root, [f"model/{NFD_PKG}/__init__.py", f"model/{NFD_PKG}/helper.py"], listed_only=True)
    assert any(r.startswith(f"model/{NFC_PKG}/__init__.py: Python would import this package as {NFC_PKG}, ")
               for r in refused), refused


def test_a_non_nfkc_spelling_beside_a_listed_nfkc_name_is_never_imported_and_passes(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/filter.py": "X = 1\n", f"model/{LIGATURE}.py": PAYLOAD})
    assert not _python_runs(root / "model", "import filter")
    assert not _python_runs(root / "model", f"import {LIGATURE}")
    assert _refusals(root, ["model/filter.py"], listed_only=True) == []


# ---- 27s-3: the checked folder's own __init__ -------------------------------------------------

@pytest.mark.parametrize("init", ["__init__.py", "__init__.pyc"])
def test_an_unlisted_init_of_the_checked_folder_fails(tmp_path: Path, init: str) -> None:
    root = _project(tmp_path, {"model/helper.py": "X = 1\n"})
    if init.endswith(".pyc"):
        _sourceless(root / init, PAYLOAD)
    else:
        (root / init).write_text(PAYLOAD)
    assert _python_runs(tmp_path, f"import {root.name}.model.helper")
    for kw in ({"listed_only": True}, {"exclude": [init]}):
        refused = _refusals(root, ["model/helper.py"], **kw)
        assert refused == [f"{init}: Python would import this package as the checked folder's own package, imported "
                           "before every listed module when the folder is imported by its name"], refused


def test_a_listed_init_of_the_checked_folder_passes_and_one_ranked_before_it_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"__init__.py": "", "model/helper.py": "X = 1\n"})
    assert _refusals(root, ["__init__.py", "model/helper.py"], listed_only=True) == []
    (root / "__init__.abi3.so").write_bytes(b"\x7fELF")
    refused = _refusals(root, ["__init__.py", "model/helper.py"], listed_only=True)
    assert [r.partition(":")[0] for r in refused] == ["__init__.abi3.so"], refused


# ---- 27s-2: an unlisted module beside a listed script shadows what it imports ------------------

def _script_runs(folder: Path, script: str) -> bool:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    subprocess.run([sys.executable, "-B", script], cwd=folder, env=env, capture_output=True, timeout=60, check=False)
    found = list(folder.rglob("PWNED"))
    for f in found:
        f.unlink()
    return bool(found)


def test_an_unlisted_module_beside_a_listed_script_shadowing_its_import_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "import json\nprint(json.dumps(1))\n", "model/json.py": PAYLOAD})
    assert _script_runs(root / "model", "run.py")
    for kw in ({"listed_only": True}, {"exclude": ["**/json.py"]}):
        refused = _refusals(root, ["model/run.py"], **kw)
        assert refused == ["model/json.py: Python would import this module as json, which could shadow any module "
                           "the listed code imports, directly or through the libraries it uses (Python may put model "
                           "first on sys.path)"], refused


def test_any_unlisted_module_in_a_listed_code_folder_fails_whatever_is_imported(tmp_path: Path) -> None:
    """Since 28s the names the listed sources import are not read at all (28s-1 subsumes 27s-2):
    every unlisted module or package in a folder holding listed code fails, imported or not."""
    root = _project(tmp_path, {"model/run.py": "import lib.util\n", "lib/util.py": "from yaml.x import y\nimport os.path\n",
                               "lib/bad.py": "def (:\n", "model/yaml/__init__.py": PAYLOAD,
                               "lib/os.py": PAYLOAD, "model/rel.py": "from . import json\n", "lib/json.py": PAYLOAD})
    refused = _refusals(root, ["model/run.py", "lib/util.py", "lib/bad.py", "model/rel.py"], listed_only=True)
    assert sorted(r.partition(":")[0] for r in refused) == ["lib/json.py", "lib/os.py", "model/yaml/__init__.py"], refused


def test_many_imports_in_many_folders_stay_cheap(tmp_path: Path) -> None:
    """The cost is bounded by the folders' entries (imports are no longer read)."""
    files: dict[str, str | bytes] = {"run.py": "".join(f"import m{i}\n" for i in range(20000))}
    files.update({f"d{i}/x.py": "" for i in range(200)})
    files["d7/m123.py"] = PAYLOAD
    root = _project(tmp_path, files)
    listed = ["run.py", *(f"d{i}/x.py" for i in range(200))]
    start = time.monotonic()
    refused = _refusals(root, listed, listed_only=True)
    assert time.monotonic() - start < 20
    assert [r.partition(":")[0] for r in refused] == ["d7/m123.py"], refused
