"""``generate --env``: red team 22d (entry scripts of an environment; the cfg beside an executable
outside ``bin/``; a named native wrapper; the project dropped for ``--env``; nvcc from an
inventoried tree).

- 22d-1: ``bin/activate*`` not equal to a known template after the venv's own values are put
  back as placeholders is ``python.activate-unverified`` (high inside the scanned project); other
  unrecorded files of ``bin/`` are one ``python.unrecorded-executable`` (medium since 24d-3).
- 22d-2: ``--env ENV/py/python`` reads ``ENV/py/pyvenv.cfg`` as getpath does.
- 22d-3: the interpreter file named by ``--env`` gets the copy check whatever its name.
- 22d-4: ``generate PROJECT --env X``: PROJECT is the project for X too.
- nvcc is not run from inside the project or an inventoried environment.

Proofs on the real loader run the real interpreter in a throw-away subprocess (tests only).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.collectors._interpreter import locate
from tests.helpers import generate_findings
from tests.test_verify_record_rt20d import _evil_stdlib

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")

MINOR = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def _venv(root: Path, *args: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", *args, str(root)], check=True, timeout=120)
    return root




def _sev(found: list[str], severity: str, finding_id: str) -> list[str]:
    return [f for f in found if f.startswith(f"{severity} {finding_id}")]


# --- 22d-2: pyvenv.cfg beside an executable outside bin/ ------------------------------------------

def _cfg_beside_exe(tmp_path: Path, marker: Path, *, beside: bool) -> Path:
    env = tmp_path / "proj" / "env"
    (env / "lib" / MINOR / "site-packages").mkdir(parents=True)
    (env / "py").mkdir()
    base_bin = _evil_stdlib(env / "base", marker)
    (env / "py" / "python").symlink_to(os.path.realpath(sys.executable))
    cfg = env / "py" / "pyvenv.cfg" if beside else env / "pyvenv.cfg"
    cfg.write_text(f"home = {base_bin}\ninclude-system-site-packages = false\n")
    return env


def test_22d2_cfg_beside_an_executable_outside_bin_is_read(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"
    env = _cfg_beside_exe(tmp_path, marker, beside=True)
    subprocess.run([str(env / "py" / "python"), "-c", "pass"], capture_output=True, timeout=120, check=False)
    assert marker.exists()  # the proof: getpath read ENV/py/pyvenv.cfg and took the folder's stdlib
    marker.unlink()
    interp = locate(env / "py" / "python")
    assert interp.root == env and not marker.exists()
    assert [n for n in interp.notes if n.id == "python.stdlib-in-environment" and n.severity == "high"], interp.notes
    found = generate_findings(["--env", str(env / "py" / "python")], tmp_path, capsys)
    assert _sev(found, "high", "python.stdlib-in-environment"), found
    assert not marker.exists()


def test_22d2_pth_beside_an_executable_outside_bin(tmp_path: Path) -> None:
    env = _cfg_beside_exe(tmp_path, tmp_path / "ran", beside=True)
    (env / "py" / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\n")
    (env / "py" / "python._pth").write_text(".\n")
    notes = locate(env / "py" / "python").notes
    assert [n for n in notes if n.id == "python.stdlib-in-environment" and "python._pth" in n.message], notes


# --- 22d-3: the named interpreter file is checked whatever its name ----------------------------------

def test_22d3_named_native_file_gets_the_copy_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = _venv(tmp_path / "env")
    wrapper = env / "bin" / f"{MINOR}-dbg"
    shutil.copyfile("/bin/true" if os.path.exists("/bin/true") else "/usr/bin/true", wrapper)
    wrapper.chmod(0o755)
    assert not _sev(generate_findings(["--env", str(env)], tmp_path, capsys), "high", "python.interpreter-unverified")
    found = generate_findings(["--env", str(wrapper)], tmp_path, capsys)
    hits = _sev(found, "high", "python.interpreter-unverified")
    assert hits and f"{MINOR}-dbg" in hits[0], found
    # the genuine interpreter named under its own name stays clean
    assert not _sev(generate_findings(["--env", str(env / "bin" / "python")], tmp_path, capsys), "high", "python.interpreter")


# --- 22d-4: the PROJECT argument is the project for --env too ---------------------------------------

def test_22d4_explicit_env_keeps_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"
    project = tmp_path / "proj"
    env = _venv(project / "env")
    base_bin = _evil_stdlib(project / "pybase", marker)
    (base_bin / "python3").symlink_to(os.path.realpath(sys.executable))
    cfg = env / "pyvenv.cfg"
    cfg.write_text("\n".join(f"home = {base_bin}" if ln.startswith("home") else ln
                             for ln in cfg.read_text().splitlines()) + "\n")
    subprocess.run([str(env / "bin" / "python"), "-c", "pass"], capture_output=True, timeout=120, check=False)
    assert marker.exists()  # the proof: the checkout's stdlib runs at every start
    marker.unlink()
    for named in (env, env / "bin" / "python"):
        found = generate_findings([str(project), "--env", str(named)], tmp_path, capsys)
        assert _sev(found, "high", "python.stdlib-in-environment"), (named, found)
    assert not marker.exists()


def test_22d4_explicit_interpreter_with_stdlib_in_project(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "proj"
    prefix = project / "py"
    _evil_stdlib(prefix, tmp_path / "ran")
    exe = prefix / "bin" / MINOR
    shutil.copyfile(os.path.realpath(sys.executable), exe)
    exe.chmod(0o755)
    found = generate_findings([str(project), "--env", str(exe)], tmp_path, capsys)
    assert _sev(found, "high", "python.stdlib-in-environment"), found


# --- 22d-1: activate scripts and other unrecorded files of bin/ ------------------------------------

def _activate_notes(root: Path, project: Path | None = None) -> list[tuple[str, str, str]]:
    return [(n.id, n.severity, n.message) for n in locate(root, project).notes if n.id == "python.activate-unverified"]


@pytest.mark.parametrize("args", [(), ("--copies",), ("--prompt", "my env")])
def test_22d1_stock_venv_activate_scripts_are_known(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = _venv(tmp_path / "env", *args)
    assert sorted(n for n in os.listdir(env / "bin") if n.lower().startswith("activate"))  # there are some
    assert _activate_notes(env) == []


def test_22d1_virtualenv_activate_scripts_are_known(tmp_path: Path) -> None:
    pytest.importorskip("virtualenv")
    env = tmp_path / "ve"
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-pip", "--no-setuptools", "--no-wheel", str(env)],
                   check=True, timeout=300, capture_output=True)
    assert len([n for n in os.listdir(env / "bin") if n.lower().startswith("activate")]) >= 4
    assert _activate_notes(env) == []


@pytest.mark.parametrize("script", ["activate", "activate.fish", "Activate.ps1", "activate.csh"])
def test_22d1_edited_activate_script_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 script: str) -> None:
    project = tmp_path / "proj"
    env = _venv(project / ".venv")
    marker = tmp_path / "ran"
    with (env / "bin" / script).open("a") as fh:
        fh.write(f"\necho ran > {marker}\n")
    if script == "activate":  # the proof: entering the environment runs the line
        subprocess.run(["bash", "-c", f". {env}/bin/activate && python -c pass"], cwd=project, timeout=120,
                       check=False, capture_output=True)
        assert marker.exists()
        marker.unlink()
    notes = _activate_notes(env)
    assert [(i, s) for i, s, _ in notes] == [("python.activate-unverified", "medium")] and script in notes[0][2]
    found = generate_findings([str(project)], tmp_path, capsys)  # discovered in the scanned checkout: high
    assert _sev(found, "high", "python.activate-unverified"), found
    found = generate_findings([str(project), "--env", str(env / "bin" / "python")], tmp_path, capsys)
    assert _sev(found, "high", "python.activate-unverified"), found
    assert not marker.exists()


def test_22d1_activate_naming_another_folder_is_reported(tmp_path: Path) -> None:
    env = _venv(tmp_path / "env")
    other = _venv(tmp_path / "other")
    (env / "bin" / "activate").write_bytes((other / "bin" / "activate").read_bytes())  # PATH → other/bin
    notes = _activate_notes(env)
    assert len(notes) == 1 and "bin/activate" in notes[0][2]


def test_22d1_unrecorded_bin_files_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = _venv(tmp_path / "env")
    assert not [f for f in generate_findings(["--env", str(env)], tmp_path, capsys) if "unrecorded-executable" in f]
    (env / "bin" / "tool").write_text("#!/bin/sh\necho hi\n")
    found = generate_findings(["--env", str(env)], tmp_path, capsys)
    hits = _sev(found, "medium", "python.unrecorded-executable")  # medium since 24d-3 (outside a project)
    assert len(hits) == 1 and "bin/tool" in hits[0] and "python" not in hits[0].split(":", 1)[1].split(";")[0], found


# --- nvcc is never run from an inventoried tree -------------------------------------------------------

def _toolkit(folder: Path, marker: Path) -> Path:
    (folder / "bin").mkdir(parents=True)
    (folder / "version.json").write_text(json.dumps({"cuda": {"version": "13.0.96"}}))
    nvcc = folder / "bin" / "nvcc"
    nvcc.write_text(f"#!/bin/sh\necho ran > {marker}\necho 'Cuda compilation tools, release 13.0, V13.0.88'\n")
    nvcc.chmod(0o755)
    return folder


def test_22d_nvcc_not_run_inside_project_or_environment(tmp_path: Path) -> None:
    from mlbom.collectors import Context, run
    from mlbom.collectors.gpu import GpuCollector, RecordedNvml

    rec = Path(__file__).parent / "fixtures" / "gpu" / "h100-transcribed.json"
    marker = tmp_path / "ran"
    project = tmp_path / "proj"
    env = _venv(tmp_path / "env")
    for tk, ctx in ((_toolkit(project / "cuda", marker), Context(base=project, project=project)),
                    (_toolkit(env / "cuda", marker), Context(base=tmp_path, inventoried=(env / "bin" / "python",)))):
        out = run(GpuCollector(RecordedNvml(rec), toolkit_roots=[tk], run_nvcc=True), ctx)
        assert not marker.exists(), "nvcc from an inventoried tree was run"
        assert [f.severity for f in out.findings if f.id == "cuda.nvcc-not-run"] == ["medium"]
    outside = _toolkit(tmp_path / "host-cuda", marker)  # outside both: run as asked
    out = run(GpuCollector(RecordedNvml(rec), toolkit_roots=[outside], run_nvcc=True),
              Context(base=project, project=project, inventoried=(env,)))
    assert marker.exists() and not [f for f in out.findings if f.id == "cuda.nvcc-not-run"]


def test_22d1_every_table_template_has_values_for_its_placeholders(tmp_path: Path) -> None:
    from mlbom.collectors import _interpreter as interpreter

    env = _venv(tmp_path / "env")
    values = interpreter._activate_values(env, env / "pyvenv.cfg")
    templates = interpreter._table_templates()
    assert len(templates) >= 30
    # virtualenv's .bat activators (Windows: __BATCH_ASSIGN__, CRLF made at write time) are not modelled
    missing = [t[:80] for n, t in templates if interpreter._template_pattern(n, t, values) is None]
    assert len(missing) <= 2 and all("__BATCH_ASSIGN__" in t for _, t in templates if t[:80] in missing), missing
