"""Red team 29s: ``verify --artifacts`` with ``--listed-only``/``--exclude``.

- 29s-1: ``python FILE`` runs any regular file (``ci-tools/train``) and puts its folder first on
  ``sys.path``: the folder of every listed file is a shadowing folder.
- 29s-2: a listed extension module of another interpreter is skipped by this one, which imports
  the next candidate: it never stops the check.
- 29s-3: pyc copies under names importlib never builds, and N copies of one pyc, cost one compile.
- 29s-4: an unlisted ``.pth`` in a site folder for listed code runs at interpreter startup.
- 29s-5: a venv made by ``python -m venv`` inside DIR verifies (paths through its ``lib64`` link).

Each attack is first proved with the real interpreter in a throw-away subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlbom.artifacts import check_folder
from tests.test_artifacts_rt26s import _doc, _project
from tests.test_artifacts_rt28s import _both, _runs

PAYLOAD = "import os; open(os.path.join(os.path.dirname(__file__), 'PWNED'), 'w').close()\n"


# ---- 29s-1: any listed file can be a script --------------------------------------------------

def test_an_unlisted_module_beside_a_listed_extensionless_script_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/helper.py": "X = 1\n",
                               "model/ci-tools/train": "#!/usr/bin/env python3\nimport json\nprint(json.dumps(1))\n",
                               "model/ci-tools/json.py": PAYLOAD})
    assert _runs(root, "model/ci-tools/train")
    listed = ["model/helper.py", "model/ci-tools/train"]
    for refused in _both(root, listed, "model/ci-tools/json.py"):
        assert [r.partition(":")[0] for r in refused] == ["model/ci-tools/json.py"], refused
        assert "Python may put model/ci-tools first on sys.path" in refused[0]


def test_a_listed_data_file_folder_holding_only_data_passes(tmp_path: Path) -> None:
    root = _project(tmp_path, {"data/x-1/table.csv": "a,b\n", "data/x-1/notes.txt": "n\n", "data/x-1/my-notes.py": "1\n"})
    assert _both(root, ["data/x-1/table.csv"], "data/x-1/notes.txt") == [[], []]


# ---- 29s-2: a foreign extension module --------------------------------------------------------

FOREIGN = "helper.cpython-312-x86_64-linux-gnu.so" if sys.version_info[:2] != (3, 12) else "helper.cpython-311-x86_64-linux-gnu.so"


def test_an_unlisted_source_after_a_listed_foreign_extension_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "import helper\n", f"model/{FOREIGN}": b"\x7fELF not for this python",
                               "model/helper.py": PAYLOAD})
    assert _runs(root / "model", "run.py")  # this interpreter skips the foreign .so and imports helper.py
    for refused in _both(root, ["model/run.py", f"model/{FOREIGN}"], "model/helper.py"):
        assert [r.partition(":")[0] for r in refused] == ["model/helper.py"], refused


def test_an_unlisted_package_init_after_a_listed_foreign_init_extension_fails(tmp_path: Path) -> None:
    init = FOREIGN.replace("helper", "__init__")
    root = _project(tmp_path, {"model/run.py": "import pkg\n", f"model/pkg/{init}": b"\x7fELF",
                               "model/pkg/__init__.py": PAYLOAD})
    assert _runs(root / "model", "run.py")
    for refused in _both(root, ["model/run.py", f"model/pkg/{init}"], "model/pkg/__init__.py"):
        assert "model/pkg/__init__.py" in [r.partition(":")[0] for r in refused], refused


def test_an_unlisted_root_init_after_a_listed_foreign_root_extension_fails(tmp_path: Path) -> None:
    init = FOREIGN.replace("helper", "__init__")
    root = _project(tmp_path, {"run.py": "X = 1\n", init: b"\x7fELF", "__init__.py": PAYLOAD})
    for refused in _both(root, ["run.py", init], "__init__.py"):
        assert [r.partition(":")[0] for r in refused] == ["__init__.py"], refused


def test_a_listed_source_after_a_listed_foreign_extension_passes(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "import helper\n", f"model/{FOREIGN}": b"\x7fELF",
                               "model/helper.py": "X = 1\n", "model/notes.txt": "n\n"})
    listed = ["model/run.py", f"model/{FOREIGN}", "model/helper.py"]
    assert _both(root, listed, "model/notes.txt") == [[], []]


# ---- 29s-3: pyc copies cost one compile --------------------------------------------------------

def _pyc(root: Path, source: str, optimize: int) -> Path:
    import importlib.util
    import py_compile

    return Path(py_compile.compile(str(root / source), cfile=importlib.util.cache_from_source(
        str(root / source), optimization=optimize or ""), doraise=True, optimize=optimize))


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from mlbom.formats import bytecode

    calls = [0]
    real = compile

    def counted(*args: Any, **kw: Any) -> Any:
        calls[0] += 1
        return real(*args, **kw)

    monkeypatch.setattr(bytecode, "compile", counted, raising=False)
    return calls


def test_n_copies_of_a_pyc_cost_one_compile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, {"helper.py": '"""doc"""\n' + "".join(f"def f{i}(): return {i}\n" for i in range(200))})
    honest = _pyc(root, "helper.py", 2)
    for n in range(3, 13):  # reachable under python -OOO…: each compiles like -OO
        (honest.parent / honest.name.replace(".opt-2.", f".opt-{n}.")).write_bytes(honest.read_bytes())
    for n in range(20):  # this Python's magic under a tag no interpreter writing it looks for
        (honest.parent / f"helper.t{n}.pyc").write_bytes(honest.read_bytes())
    (honest.parent / honest.name.replace(".opt-2.", ".opt-02.")).write_bytes(b"not bytecode at all, never looked for")
    calls = _counting(monkeypatch)
    assert _both(root, ["helper.py"], "**/__pycache__") == [[], []]
    assert calls[0] == 2, calls  # once per verify (two above), not once per copy


def test_a_forged_copy_under_a_reachable_name_still_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"helper.py": "X = 1\n", "other.py": "X = 2\n"})
    honest = _pyc(root, "helper.py", 2)
    other = _pyc(root, "other.py", 2)
    (honest.parent / honest.name.replace(".opt-2.", ".opt-3.")).write_bytes(
        honest.read_bytes()[:16] + other.read_bytes()[16:])
    for refused in _both(root, ["helper.py", "other.py"], "**/__pycache__"):
        assert [r.partition(":")[0] for r in refused] == [f"__pycache__/{honest.name.replace('.opt-2.', '.opt-3.')}"]


def test_more_pycs_than_the_cap_fail_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom import artifacts

    monkeypatch.setattr(artifacts, "MAX_PYCS", 3)
    root = _project(tmp_path, {"helper.py": "X = 1\n"})
    honest = _pyc(root, "helper.py", 2)
    for n in range(3, 6):
        (honest.parent / honest.name.replace(".opt-2.", f".opt-{n}.")).write_bytes(honest.read_bytes())
    for refused in _both(root, ["helper.py"], "**/__pycache__"):
        assert refused == ["__pycache__: more than 3 bytecode files for the listed helper.py: the check of the "
                           "bytecode Python would run for it could not be completed"], refused


def test_importlib_writes_opt_levels_without_leading_zeros() -> None:
    import importlib.util

    from mlbom.formats import bytecode

    assert importlib.util.cache_from_source("/a/m.py", optimization=3).endswith(".opt-3.pyc")
    tag = sys.implementation.cache_tag
    assert bytecode.split_name(f"m.{tag}.opt-3.pyc", None) == ("m", 2)
    assert bytecode.split_name(f"m.{tag}.opt-01.pyc", None) is None


# ---- 29s-4: .pth files in a site folder -------------------------------------------------------

def _venv(root: Path, *extra: str) -> Path:
    """A real venv made by this Python inside ``root`` (``--copies``, ``lib64`` link removed)."""
    venv = root / "model" / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--copies", *extra, str(venv)], check=True,
                   capture_output=True, timeout=120)
    if (venv / "lib64").is_symlink():
        (venv / "lib64").unlink()
    return venv


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _site(venv: Path) -> Path:
    return next((venv / "lib").glob("python*")) / "site-packages"


def test_an_unlisted_pth_in_a_listed_venv_site_folder_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    venv = _venv(root)
    (_site(venv) / "helper.py").write_text("X = 1\n")
    listed = _files(root)
    pth = _site(venv) / "zz-evil.pth"
    pth.write_text("import os; open(os.path.join(" + repr(str(root)) + ", 'PWNED'), 'w').close()\n")
    interp = venv / "bin" / "python"
    if interp.exists():  # the real interpreter runs the import line at startup
        subprocess.run([str(interp), "-c", "pass"], capture_output=True, timeout=60, check=False)
        assert (root / "PWNED").exists()
        (root / "PWNED").unlink()
    rel = pth.relative_to(root).as_posix()
    for refused in _both(root, listed, rel):
        assert [r.partition(":")[0] for r in refused] == [rel], refused
        assert "site.py runs the import lines" in refused[0]


def test_an_unlisted_pth_in_an_empty_site_folder_of_a_listed_venv_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    venv = _venv(root)
    listed = _files(root)  # the interpreter and pyvenv.cfg: no listed file in site-packages
    pth = _site(venv) / "a.pth"
    pth.write_text("import os\n")
    rel = pth.relative_to(root).as_posix()
    for refused in _both(root, listed, rel):
        assert [r.partition(":")[0] for r in refused] == [rel], refused


def test_an_unlisted_pth_in_a_listed_site_packages_folder_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"vendor/site-packages/helper.py": "X = 1\n", "vendor/site-packages/x.pth": "import os\n"})
    for refused in _both(root, ["vendor/site-packages/helper.py"], "vendor/site-packages/x.pth"):
        assert [r.partition(":")[0] for r in refused] == ["vendor/site-packages/x.pth"], refused


def test_a_listed_pth_and_a_pth_beside_a_script_pass(tmp_path: Path) -> None:
    root = _project(tmp_path, {"lib/site-packages/helper.py": "X = 1\n", "lib/site-packages/ok.pth": "./sub\n",
                               "model/run.py": "print(1)\n", "model/extra.pth": "import os\n", "model/n.txt": "n"})
    listed = ["lib/site-packages/helper.py", "lib/site-packages/ok.pth", "model/run.py"]
    assert _both(root, listed, "model/extra.pth") == [[], []]


# ---- 29s-5: a venv made by python -m venv inside DIR -------------------------------------------

def _generated(root: Path) -> dict[str, object]:
    """The BOM ``mlbom generate`` writes for ``root`` (it lists paths through in-folder links)."""
    import json

    out = root.parent / "bom.json"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    subprocess.run([sys.executable, "-m", "mlbom", "generate", str(root), "--reproducible", "-o", str(out)],
                   env=env, capture_output=True, timeout=300, check=False)
    doc: dict[str, object] = json.loads(out.read_text())
    return doc


def _symlink_venv(root: Path) -> Path:
    venv = root / "model" / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True,
                   timeout=120)
    (_site(venv) / "helper.py").write_text("X = 1\n")
    return venv


def test_an_untouched_venv_made_inside_the_folder_verifies(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "print(1)\n"})
    venv = _symlink_venv(root)
    doc = _generated(root)
    for kw in ({}, {"listed_only": True}):
        report = check_folder(doc, root, **kw)  # type: ignore[arg-type]
        assert report.ok, report.problems()
    if (venv / "lib64").is_symlink():
        assert any("lib64/" in r for r in check_folder(doc, root).verified)


def test_a_venv_link_retargeted_out_of_the_folder_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "print(1)\n"})
    venv = _symlink_venv(root)
    if not (venv / "lib64").is_symlink():
        pytest.skip("this platform's venv has no lib64 link")
    doc = _generated(root)
    outside = tmp_path / "elsewhere"
    (outside / _site(venv).relative_to(venv / "lib")).mkdir(parents=True)
    (outside / _site(venv).relative_to(venv / "lib") / "helper.py").write_text("X = 1\n")
    (venv / "lib64").unlink()
    (venv / "lib64").symlink_to(outside)
    for kw in ({}, {"listed_only": True}):
        refused = check_folder(doc, root, **kw).refused  # type: ignore[arg-type]
        assert any(r.startswith("model/venv/lib64") for r in refused), refused


def test_a_folder_link_where_python_looks_to_an_unlisted_package_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "import json\n", "model/x-y/__init__.py": PAYLOAD})
    (root / "model" / "json").symlink_to("x-y")
    assert _runs(root / "model", "run.py")
    for refused in _both(root, ["model/run.py"], "model/x-y"):
        assert "model/x-y/__init__.py" in [r.partition(":")[0] for r in refused], refused


def test_a_file_link_named_like_a_module_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "import json\n", "model/helper.py": PAYLOAD})
    (root / "model" / "json.py").symlink_to("helper.py")
    for kw in ({}, {"listed_only": True}):
        refused = check_folder(_doc(root, ["model/run.py", "model/helper.py"]), root, **kw)  # type: ignore[arg-type]
        assert "model/json.py" in [r.partition(":")[0] for r in [*refused.refused, *refused.unlisted]], refused


def test_an_interpreter_link_out_of_the_folder_without_a_listed_venv_fails(tmp_path: Path) -> None:
    root = _project(tmp_path, {"model/run.py": "print(1)\n"})
    (root / "model" / "bin").mkdir()
    (root / "model" / "bin" / "python").symlink_to(sys.executable)
    refused = check_folder(_doc(root, ["model/run.py"]), root).refused
    assert refused == ["model/bin/python: symbolic link (not followed)"], refused


def test_a_venv_interpreter_link_redirected_from_the_signed_home_fails(tmp_path: Path) -> None:
    """The interpreter link of a listed venv passes only when it ends (through links within bin/) at
    the base interpreter in the folder the listed pyvenv.cfg names as ``home``: redirected to any other
    interpreter (a copy the attacker controls), verify fails — the pyvenv.cfg is signed, the link is not."""
    root = _project(tmp_path, {"model/run.py": "print(1)\n"})
    venv = _symlink_venv(root)
    doc = _generated(root)
    assert check_folder(doc, root).ok
    links = sorted(p.name for p in (venv / "bin").iterdir() if p.is_symlink() and not p.readlink().is_absolute())
    outer = [p for p in (venv / "bin").iterdir() if p.is_symlink() and p.readlink().is_absolute()]
    assert outer, "venv links its interpreter to the base one"
    other = tmp_path / "evil-bin" / outer[0].name
    other.parent.mkdir()
    shutil.copy(os.path.realpath(outer[0]), other)
    outer[0].unlink()
    outer[0].symlink_to(other)
    # (the full check: --listed-only checks what the BOM lists, and generate lists no link out of DIR)
    refused = check_folder(doc, root).refused
    assert any(r.startswith(f"model/venv/bin/{outer[0].name}") for r in refused), refused
    for name in links:  # python -> python3.11 ends there too
        assert any(r.startswith(f"model/venv/bin/{name}") for r in refused), refused
