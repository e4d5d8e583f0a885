"""Red team 26s: ``verify --artifacts`` and what Python imports around a listed module.

- 26s-1: importing a listed ``model/helper.py`` as ``model.helper`` first runs package
  ``model``: an unlisted ``model/__init__.pyc`` (legacy sourceless, hidden by
  ``--exclude '**/*.pyc'``), ``model/__init__.py``, or a ``model.py`` beside a namespace folder
  ``model/`` (FileFinder prefers a module to a namespace portion) ran, and verify passed.
- 26s-2: only a listed ``.py`` was protected: an unlisted ``helper.py`` or ``helper/__init__.py``
  beside a listed sourceless ``helper.pyc``, or ``tool.cpython-311-….so`` beside a listed
  ``tool.abi3.so``, is what Python imports.
- 26s-3 (new class: an error read as "nothing there"): a stand-in package folder Python can
  search but mlbom cannot list (mode 0311) was skipped; FileFinder only stats
  ``helper/__init__.py`` and imports it.

Every case is checked with ``--listed-only`` or an ``--exclude`` that hides the stand-in: the
guarantee holds whatever those flags say. The first tests prove, with the real interpreter in a
throw-away subprocess, that Python runs the stand-in.
"""

from __future__ import annotations

import hashlib
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from mlbom import artifacts
from mlbom.artifacts import check_folder
from tests.helpers import cli_within_contract
from tests.test_trust_rt24s import _signed_project as signed_24s_project

PAYLOAD = "import pathlib; pathlib.Path(__file__).with_name('PWNED').touch(); X = 666\n"


def _doc(root: Path, rels: list[str]) -> dict[str, object]:
    comps = []
    for rel in rels:
        data = (root / rel).read_bytes()
        comps.append({"type": "file", "name": rel, "bom-ref": rel,
                      "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()}],
                      "properties": [{"name": "mlbom:file:path", "value": rel},
                                     {"name": "mlbom:file:size", "value": str(len(data))}]})
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": comps}


def _project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    root = tmp_path / "proj"
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    root.mkdir(exist_ok=True)
    return root


def _sourceless(path: Path, source: str) -> None:
    """A legacy sourceless ``path`` (``mod.pyc`` beside where ``mod.py`` would be)."""
    with tempfile.TemporaryDirectory() as scratch:
        src = Path(scratch) / "src.py"
        src.write_text(source)
        py_compile.compile(str(src), cfile=str(path), doraise=True)


def _refusals(root: Path, listed: list[str], **kw: object) -> list[str]:
    report = check_folder(_doc(root, listed), root, **kw)  # type: ignore[arg-type]
    return report.refused


def _python_runs(cwd: Path, statement: str) -> bool:
    """Whether the real interpreter runs the payload for ``statement`` (in a throw-away folder)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    subprocess.run([sys.executable, "-B", "-c", statement], cwd=cwd, env=env, capture_output=True, timeout=60,
                   check=False)
    found = list(cwd.rglob("PWNED"))
    for f in found:
        f.unlink()
    return bool(found)


# ---- 26s-1: the packages above a listed module ------------------------------------------

def test_an_excluded_legacy_init_pyc_of_the_parent_package_fails(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The red team's (a), end to end through ``verify``: exit 1, not 0."""
    proj, signed, pub = signed_24s_project(tmp_path, capsys)
    _sourceless(proj / "model" / "__init__.pyc", PAYLOAD)
    assert _python_runs(proj, "import model.helper")
    base = ["verify", str(signed), "--key", str(pub), "--artifacts", str(proj)]
    for extra in (["--exclude", "**/*.pyc"], ["--listed-only"]):
        _, err = cli_within_contract(base + extra, capsys, want={1})
        assert "model/__init__.pyc: Python would import this package as model, imported before the listed " \
               "model/helper.py" in err, (extra, err)


@pytest.mark.parametrize("init", ["__init__.py", "__init__.pyc", "__init__.abi3.so",
                                  "__init__.cpython-313-darwin.so", "__init__.pyd"])
def test_an_unlisted_init_of_any_loader_suffix_above_a_listed_module_fails(tmp_path: Path, init: str) -> None:
    root = _project(tmp_path, {"model/helper.py": "X = 1\n", f"model/{init}": b"\0"})
    got = _refusals(root, ["model/helper.py"], listed_only=True)
    assert got == [f"model/{init}: Python would import this package as model, imported before the listed "
                   "model/helper.py"], got


def test_every_package_up_to_the_root_is_checked(tmp_path: Path) -> None:
    root = _project(tmp_path, {"a/b/c/mod.py": "X = 1\n", "a/__init__.py": PAYLOAD, "a/b/__init__.py": "",
                               "a/b/c/__init__.py": ""})
    assert _python_runs(root, "import a.b.c.mod")
    got = _refusals(root, ["a/b/c/mod.py", "a/b/__init__.py", "a/b/c/__init__.py"], exclude=["a/__init__.py"])
    assert got == ["a/__init__.py: Python would import this package as a, imported before the listed "
                   "a/b/__init__.py"], got
    assert _refusals(root, ["a/b/c/mod.py", "a/__init__.py", "a/b/__init__.py", "a/b/c/__init__.py"]) == []


@pytest.mark.parametrize("module", ["model.py", "model.pyc", "model.abi3.so"])
def test_a_module_beside_a_namespace_folder_fails(tmp_path: Path, module: str) -> None:
    """FileFinder remembers ``model/`` (no ``__init__``) only as a namespace portion and keeps looking."""
    root = _project(tmp_path, {"model/helper.py": "X = 1\n"})
    if module == "model.py":
        (root / module).write_text(PAYLOAD + f"__path__ = [{str(root / 'model')!r}]\n")
        assert _python_runs(root, "import model.helper")
    elif module == "model.pyc":
        _sourceless(root / module, PAYLOAD)
        assert _python_runs(root, "import model")
    else:
        (root / module).write_bytes(b"\0")
    for kw in ({"listed_only": True}, {"exclude": [module]}):
        got = _refusals(root, ["model/helper.py"], **kw)
        assert got and got[0].startswith(f"{module}: Python would import this ") \
            and "as model, imported before the listed model/helper.py" in got[0], (kw, got)


def test_what_python_never_loads_raises_no_alarm(tmp_path: Path) -> None:
    """A namespace folder alone, and files FileFinder tries only after a listed one, pass."""
    root = _project(tmp_path, {"model/helper.py": "X = 1\n", "ns/sub/mod.py": "", "model/__init__.py": "",
                               "pkg.data/mod.py": ""})
    assert _refusals(root, ["model/helper.py", "model/__init__.py", "ns/sub/mod.py", "pkg.data/mod.py"],
                     listed_only=True) == []
    (root / "model.py").write_text(PAYLOAD)  # after the listed package model/__init__.py
    _sourceless(root / "model" / "helper.pyc", PAYLOAD)  # after the listed source helper.py
    assert not _python_runs(root, "import model.helper")
    # ns/sub/mod.py stays listed: unlisted, it is a module of a namespace portion in the checked folder (28s)
    assert _refusals(root, ["model/helper.py", "model/__init__.py", "ns/sub/mod.py"], listed_only=True) == []


def test_a_listed_init_is_still_preceded_by_extension_inits(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/helper.py": "", "model/__init__.py": "", "model/__init__.abi3.so": b"\0"})
    got = _refusals(root, ["model/helper.py", "model/__init__.py"], listed_only=True)
    assert len(got) == 1 and got[0].startswith("model/__init__.abi3.so: Python would import this package as model, "
                                               "imported before the listed model/"), got


# ---- 26s-2: a listed module that is not .py ---------------------------------------------

@pytest.mark.parametrize(("listed", "stand_in", "kind"), [
    ("helper.pyc", "helper.py", "module"),
    ("helper.pyc", "helper/__init__.py", "package"),
    ("helper.pyc", "helper.cpython-311-x86_64-linux-gnu.so", "extension module"),
    ("tool.abi3.so", "tool.cpython-311-x86_64-linux-gnu.so", "extension module"),
    ("tool.abi3.so", "tool.so", "extension module"),  # PyPy has no abi3: extension order is not universal
    ("tool.abi3.so", "tool/__init__.pyc", "package"),
])
def test_what_python_imports_instead_of_a_listed_non_py_module_fails(tmp_path: Path, listed: str, stand_in: str,
                                                                     kind: str) -> None:
    root = _project(tmp_path, {f"model/{stand_in}": PAYLOAD})
    if listed.endswith(".pyc"):
        _sourceless(root / "model" / listed, "X = 1\n")
        if not stand_in.endswith(".so"):
            assert _python_runs(root / "model", "import helper")
    else:
        (root / "model" / listed).write_bytes(b"\x7fELF")
    stem = listed.partition(".")[0]
    for kw in ({"listed_only": True}, {"exclude": [f"model/{stand_in.partition('/')[0]}"]}):
        got = _refusals(root, [f"model/{listed}"], **kw)
        assert got == [f"model/{stand_in}: Python would import this {kind} as module {stem} instead of the listed "
                       f"model/{listed}"], (kw, got)


def test_a_listed_sourceless_pyc_ignores_pycache(tmp_path: Path) -> None:
    """A sourceless ``helper.pyc`` is loaded itself: ``__pycache__`` plays no part (no false alarm)."""
    root = _project(tmp_path, {"model/__pycache__/helper.cpython-311.pyc": b"junk"})
    _sourceless(root / "model" / "helper.pyc", "X = 1\n")
    assert _refusals(root, ["model/helper.pyc"], listed_only=True) == []


# ---- 26s-3: an error is never "nothing there" -------------------------------------------

def test_an_unlistable_stand_in_package_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, {"model/helper.py": "X = 1\n", "model/helper/__init__.py": PAYLOAD})
    real = os.scandir

    def scandir(path: str) -> object:
        if os.fspath(path).endswith("model/helper"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(artifacts.os, "scandir", scandir)
    got = _refusals(root, ["model/helper.py"], exclude=["model/helper"])
    assert "model/helper: cannot list folder (Permission denied), where Python looks for a package for module " \
           "helper instead of the listed model/helper.py: the check could not be completed" in got, got
    # FileFinder stats the __init__ names and does not list: the file is found all the same
    assert "model/helper/__init__.py: Python would import this package as module helper instead of the listed " \
           "model/helper.py" in got, got


@pytest.mark.parametrize("victim", ["model/helper.pyc", "model/helper", "model/__pycache__"])
def test_a_stat_error_where_python_looks_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, victim: str) -> None:
    root = _project(tmp_path, {"model/helper.py": "X = 1\n", "model/helper.pyc": b"", "model/helper/x": "",
                               "model/__pycache__/helper.cpython-311.pyc": b""})
    real = os.lstat

    def lstat(path: str) -> os.stat_result:
        if os.fspath(path).endswith(victim):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(artifacts.os, "lstat", lstat)
    got = _refusals(root, ["model/helper.py"], listed_only=True)
    assert any(g.startswith(f"{victim}: cannot stat (Permission denied)") and "could not be completed" in g
               for g in got), got


def test_a_searchable_unlistable_package_folder_fails_for_real(tmp_path: Path) -> None:
    """Mode 0311 (search, no read), checked as an ordinary user: root drops its override (setpriv)."""
    root = _project(tmp_path, {"model/helper.py": "X = 1\n", "model/helper/__init__.py": PAYLOAD})
    doc = tmp_path / "doc.json"
    import json

    doc.write_text(json.dumps(_doc(root, ["model/helper.py"])))
    prog = ("import json, sys; from pathlib import Path; from mlbom.artifacts import check_folder; "
            "r = check_folder(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]), listed_only=True); "
            "print(json.dumps(r.refused))")
    cmd = [sys.executable, "-c", prog, str(doc), str(root)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot drop the permission override")
        cmd = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *cmd]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    os.chmod(root / "model" / "helper", 0o311)
    try:
        probe = subprocess.run([*cmd[:-4], "ls", str(root / "model" / "helper")] if os.geteuid() == 0
                               else ["ls", str(root / "model" / "helper")], capture_output=True, check=False)
        if probe.returncode == 0:
            pytest.skip("the folder stays listable here (the permission override could not be dropped)")
        assert _python_runs(root / "model", "import helper")  # searchable is enough for Python
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    finally:
        os.chmod(root / "model" / "helper", 0o755)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert any(g.startswith("model/helper: cannot list folder (Permission denied)") for g in got), got
    assert any(g.startswith("model/helper/__init__.py: Python would import this package") for g in got), got


def test_a_stand_in_differing_only_in_case_fails(tmp_path: Path) -> None:
    """Under ``PYTHONCASEOK`` on a case-insensitive file system FileFinder matches ``HELPER.abi3.so``."""
    root = _project(tmp_path, {"Model/helper.py": "X = 1\n", "Model/HELPER.abi3.so": b"\0", "model.py": ""})
    got = _refusals(root, ["Model/helper.py"], listed_only=True)
    assert got == ["Model/HELPER.abi3.so: Python would import this extension module as module helper instead of the "
                   "listed Model/helper.py",
                   "model.py: Python would import this module as Model, imported before the listed Model/helper.py"], got


def test_a_windows_pyw_source_stands_in_for_a_listed_sourceless_pyc(tmp_path: Path) -> None:
    """On Windows ``.pyw`` is a source suffix too (after ``.py``, before ``.pyc``)."""
    root = _project(tmp_path, {"model/helper.pyw": PAYLOAD, "model/__init__.pyw": ""})
    _sourceless(root / "model" / "helper.pyc", "X = 1\n")
    got = _refusals(root, ["model/helper.pyc"], listed_only=True)
    assert got == ["model/helper.pyw: Python would import this module as module helper instead of the listed "
                   "model/helper.pyc",
                   "model/__init__.pyw: Python would import this package as model, imported before the listed "
                   "model/helper.pyc"], got
