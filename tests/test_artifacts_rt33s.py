"""Red team 33s: ``verify --artifacts`` — the files CPython's getpath reads at start-up for an interpreter the BOM lists.

Every path the listed code may be started through (a listed ``bin/python*``, a listed alias of one, every
``bin/python*`` beside a listed ``pyvenv.cfg``) is judged in every mode, excluded or not:

- 33s-1/33s-5: an unlisted ``._pth`` beside it, or ``pyvenv.cfg`` in its folder or the one above, fails (venv or not).
- 33s-2/33s-3: getpath's landmark searches — ``lib/pythonXY.zip`` first, exec_prefix's ``lib-dynload`` apart from the
  prefix's ``os.py`` — are walked at EVERY level up to DIR, in ``lib`` and ``lib64``.
- 33s-4: a venv's interpreter link is judged under ``--listed-only``/``--exclude`` too.
- 33s-6: a listed ``._pth`` is read as getpath reads it: a folder outside DIR fails, one inside is an import folder.

Each attack is first proved with the real interpreter in a throw-away subprocess.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from mlbom.artifacts import check_folder
from tests.test_artifacts_rt26s import _doc, _project
from tests.test_artifacts_rt29s import _files, _generated, _site, _symlink_venv, _venv
from tests.test_artifacts_rt30s import _install, _marker_runs

VER = f"python{sys.version_info[0]}.{sys.version_info[1]}"
ZIP = f"python{sys.version_info[0]}{sys.version_info[1]}.zip"
STDLIB = sysconfig.get_paths()["stdlib"]
DYNLOAD = os.path.join(sysconfig.get_paths()["platstdlib"], "lib-dynload")

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="POSIX layout")


def _payload(marker: Path) -> str:
    return f"import os as _o\n_o.close(_o.open({str(marker)!r}, _o.O_WRONLY | _o.O_CREAT, 0o644))\n"


def _fails(root: Path, doc: dict[str, object], rel: str, kws: list[dict[str, object]] | None = None) -> None:
    for kw in kws or [{"listed_only": True}, {"exclude": [rel, f"{rel}/**"]}]:
        report = check_folder(doc, root, **kw)  # type: ignore[arg-type]
        assert any(r.partition(":")[0] == rel for r in report.refused), (kw, report.problems())


# ---- 33s-1: an unlisted ._pth beside a venv's interpreter -----------------------------------

@pytest.mark.parametrize("copies", [True, False])
def test_an_unlisted_pth_file_beside_a_venv_interpreter_fails(tmp_path: Path, copies: bool) -> None:
    root = _project(tmp_path, {})
    venv = _venv(root) if copies else _symlink_venv(root)
    (_site(venv) / "helper.py").write_text("X = 1\n")
    doc = _generated(root) if not copies else _doc(root, _files(root))
    assert check_folder(doc, root, listed_only=True).ok
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "sitecustomize.py").write_text(_payload(root / "model" / "PWNED"))
    pth = venv / "bin" / "python._pth"
    pth.write_text(f"{outside}\n{STDLIB}\n{DYNLOAD}\nimport site\n")
    assert _marker_runs(venv / "bin" / "python", "pass", root)  # getpath reads <argv[0]>._pth, venv or not
    _fails(root, doc, pth.relative_to(root).as_posix())


# ---- 33s-2: the zip landmark, at every level ------------------------------------------------

def _zip(path: Path, marker: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    init = Path(STDLIB, "encodings", "__init__.py").read_text()
    with zipfile.ZipFile(path, "w") as z:
        for f in Path(STDLIB, "encodings").glob("*.py"):
            if f.name != "__init__.py":
                z.writestr(f"encodings/{f.name}", f.read_text())
        z.writestr("encodings/__init__.py", _payload(marker) + f"import sys as _s\n_s.path += [{STDLIB!r}, {DYNLOAD!r}]\n"
                   + init)


@pytest.mark.parametrize("level", ["model/py/bin", "model", ""])
@pytest.mark.parametrize("lib", ["lib", "lib64"])
def test_an_unlisted_stdlib_zip_at_any_level_above_the_binary_fails(tmp_path: Path, level: str, lib: str) -> None:
    root = _project(tmp_path, {})
    interp, listed = _install(root)
    assert check_folder(_doc(root, listed), root, listed_only=True).ok
    rel = f"{level}/{lib}/{ZIP}" if level else f"{lib}/{ZIP}"
    _zip(root / rel, root / "model" / "PWNED")
    if lib == "lib" and level == "model":  # search_up(executable_dir, 'lib/pythonXY.zip') comes before os.py's
        assert _marker_runs(interp, "pass", root)
    _fails(root, _doc(root, listed), rel)


# ---- 33s-3: exec_prefix's lib-dynload searched apart from the prefix ------------------------

@pytest.mark.parametrize("level", ["model", ""])
def test_a_lib_dynload_above_an_install_without_its_own_fails(tmp_path: Path, level: str) -> None:
    root = _project(tmp_path, {})
    interp, listed = _install(root)  # a static build: no lib-dynload of its own
    assert check_folder(_doc(root, listed), root, listed_only=True).ok
    dyn = root / level / "lib" / VER / "lib-dynload"
    dyn.mkdir(parents=True)
    (dyn / "sitecustomize.py").write_text(_payload(root / "model" / "PWNED"))
    if level == "model":
        assert _marker_runs(interp, "pass", root)  # lib/pythonX.Y is no identifier: no namespace walk finds it
    _fails(root, _doc(root, listed), dyn.relative_to(root).as_posix())


def test_the_install_s_own_lib_dynload_passes_and_another_above_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    interp, listed = _install(root)
    (interp.parent.parent / "lib" / VER / "lib-dynload").mkdir()
    assert check_folder(_doc(root, listed), root, listed_only=True).ok
    (root / "model" / "lib64" / VER / "lib-dynload").mkdir(parents=True)
    _fails(root, _doc(root, listed), f"model/lib64/{VER}/lib-dynload")


# ---- 33s-4: the venv interpreter link in every mode -----------------------------------------

def test_a_venv_interpreter_link_retargeted_fails_in_every_mode(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "import helper\n"})
    venv = _symlink_venv(root)
    doc = _generated(root)
    exe = venv / "bin" / VER
    if not exe.is_symlink():
        pytest.skip("venv made no interpreter link")
    for kw in ({}, {"listed_only": True}):
        assert check_folder(doc, root, **kw).ok  # type: ignore[arg-type]
    evil = tmp_path / "evil" / VER
    evil.parent.mkdir()
    real = os.path.realpath(exe)
    evil.write_text(f"#!/bin/sh\n: > {root / 'model' / 'PWNED'}\nexec -a \"$0\" {real} \"$@\"\n")
    evil.chmod(0o755)
    exe.unlink()
    exe.symlink_to(evil)
    assert _marker_runs(venv / "bin" / "python", "pass", root)
    rel = exe.relative_to(root).as_posix()
    _fails(root, doc, rel, [{"listed_only": True}, {"exclude": ["model/venv/bin/python*"]}])
    exe.unlink()
    exe.write_bytes(b"#!/bin/sh\n")  # an unlisted regular file there fails too
    _fails(root, doc, rel, [{"listed_only": True}, {"exclude": ["model/venv/bin/python*"]}])


# ---- 33s-5: files beside an in-DIR link to the interpreter ----------------------------------

@pytest.mark.parametrize("planted", ["model/pyvenv.cfg", "model/python._pth", "pyvenv.cfg"])
def test_files_beside_a_listed_alias_of_the_interpreter_fail(tmp_path: Path, planted: str) -> None:
    root = _project(tmp_path, {})
    interp, listed = _install(root)
    (root / "model" / "python").symlink_to(f"py/bin/{VER}")
    listed = sorted([*listed, "model/python"])
    assert check_folder(_doc(root, listed), root, listed_only=True).ok
    other = tmp_path / "other"
    shutil.copytree(interp.parent.parent / "lib", other / "lib")
    (other / "lib" / VER / "encodings" / "__init__.py").write_text(
        _payload(root / "model" / "PWNED") + Path(STDLIB, "encodings", "__init__.py").read_text())
    if planted.endswith("._pth"):
        (root / planted).write_text(f"{other / 'lib' / VER}\n{STDLIB}\n{DYNLOAD}\n")
    else:
        (root / planted).write_text(f"home = {other / 'bin'}\n")
    if planted != "pyvenv.cfg":  # getpath reads them beside the UNRESOLVED argv[0]
        assert _marker_runs(root / "model" / "python", "pass", root)
    _fails(root, _doc(root, listed), planted)


# ---- 33s-6: a listed ._pth is read ----------------------------------------------------------

def test_a_listed_pth_file_naming_a_folder_outside_fails_plain_verify(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    interp, listed = _install(root)
    outside = tmp_path / "shared-plugins"
    outside.mkdir()
    (outside / "sitecustomize.py").write_text(_payload(root / "model" / "PWNED"))
    pth = interp.parent / f"{VER}._pth"
    pth.write_text(f"../lib/{VER}\n{STDLIB}\n{DYNLOAD}\n{outside}  # plugins\nimport site\n")
    listed = sorted([*listed, pth.relative_to(root).as_posix()])
    assert _marker_runs(interp, "pass", root)
    rel = pth.relative_to(root).as_posix()
    for kw in ({}, {"listed_only": True}, {"exclude": ["**"]}):
        report = check_folder(_doc(root, listed), root, **kw)  # type: ignore[arg-type]
        assert [r.partition(":")[0] for r in report.refused] == [rel], (kw, report.problems())


def test_a_listed_pth_file_folder_inside_is_an_import_folder(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    interp, listed = _install(root)
    pth = interp.parent / f"{VER}._pth"
    pth.write_bytes(b"../lib/" + VER.encode() + b"\r\n# comment\n../../.plugins#x\nimport os\nimport site\n")
    listed = sorted([*listed, pth.relative_to(root).as_posix()])
    for kw in ({}, {"listed_only": True}):
        assert check_folder(_doc(root, listed), root, **kw).ok  # type: ignore[arg-type]
    (root / "model" / ".plugins").mkdir()
    (root / "model" / ".plugins" / "sitecustomize.py").write_text(_payload(root / "model" / "PWNED"))
    assert _marker_runs(interp, "pass", root)
    _fails(root, _doc(root, listed), "model/.plugins/sitecustomize.py")


# ---- no false failure -----------------------------------------------------------------------

@pytest.mark.parametrize("extra", [(), ("--copies",), ("--system-site-packages",)])
def test_untouched_venvs_still_verify(tmp_path: Path, extra: tuple[str, ...]) -> None:
    import subprocess

    root = _project(tmp_path, {"model/run.py": "print(1)\n"})
    venv = root / "model" / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", *extra, str(venv)], check=True,
                   capture_output=True, timeout=120)
    (_site(venv) / "helper.py").write_text("X = 1\n")
    doc = _generated(root)
    for kw in ({}, {"listed_only": True}):
        report = check_folder(doc, root, **kw)  # type: ignore[arg-type]
        assert report.ok, report.problems()
