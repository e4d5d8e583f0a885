"""Red team 27s: ``verify --artifacts`` and what Python imports around a listed module.

- 27s-4 (new class: metadata no digest covers picks which listed file runs): a *listed* stale
  ``__pycache__`` pyc was trusted because it is listed; ``touch -d @<header mtime> helper.py``
  (no byte changed) makes importlib run it instead of the listed, verified source.
- 27s-1: ``import`` normalises identifiers to NFKC (PEP 3131) and FileFinder then matches file
  names exactly: beside a listed NFD ``modèle/`` or ligature ``ﬁlter.py``, an unlisted NFC
  ``modèle/`` or ``filter.py`` is what ``import`` loads.
- 27s-3: the checked folder's own ``__init__`` runs first when DIR is imported by its folder name.
- 27s-2: an unlisted ``json.py`` beside a listed script that imports ``json`` replaces the module
  (the script's folder is ``sys.path[0]``).

Each attack is first proved with the real interpreter in a throw-away subprocess.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import py_compile
import struct
import sys
import unicodedata
from pathlib import Path

import pytest

from mlbom.artifacts import check_folder
from tests.test_artifacts_rt26s import _doc, _project, _python_runs

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
    root, listed = _stale_pyc_project(tmp_path)
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
