"""Environments: red team 24d (activate-template values that inject code; unrecorded bin/ files
that shadow host commands; environments under any folder name).

- 24d-1/24d-2: a value put into an activate template (the pyvenv.cfg prompt, the folder name)
  must sit there as its creator quotes it at that position AND be inert there; a raw ``$(cmd)``
  in a shell template or a Python expression in ``activate_this.py`` is
  ``python.activate-unverified``. Real venvs whose prompt and folder hold spaces, parentheses,
  quotes and ``$`` stay clean.
- 24d-3: ``python.unrecorded-executable`` is medium (high in the scanned project).
- 24d-4: discovery by content: any folder of the project holding a ``pyvenv.cfg``.

Proofs on the real shells/loaders run in throw-away subprocesses (tests only); mlbom never writes
the markers.
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

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")

WEIRD = "we ird (x) 'q' \"d\" $HOME `b`"


def _venv(root: Path, *args: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", *args, str(root)], check=True, timeout=120)
    return root


def _notes(root: Path, project: Path | None = None, finding: str = "python.activate-unverified") -> list[tuple[str, str]]:
    return [(n.severity, n.message) for n in locate(root, project).notes if n.id == finding]


def _stdlib_template(name: str) -> str:
    return Path(os.path.dirname(os.__file__), "venv", "scripts", "common", name).read_text("utf-8")


def _source(script: Path, cwd: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    subprocess.run([bash, "-c", f'. "{script}"'], cwd=cwd, capture_output=True, timeout=60, check=False)


def _raw_activate(env: Path, prompt: str) -> None:
    """bin/activate as CPython before gh-124651 wrote it: every value substituted raw."""
    text = _stdlib_template("activate")
    for key, value in (("__VENV_DIR__", str(env)), ("__VENV_NAME__", env.name), ("__VENV_PROMPT__", prompt),
                       ("__VENV_BIN_NAME__", "bin"), ("__VENV_PYTHON__", str(env / "bin" / "python"))):
        text = text.replace(key, value)
    (env / "bin" / "activate").write_text(text)


# --- 24d-1: shell code through a substituted value -------------------------------------------------

def test_24d1_raw_prompt_command_substitution_is_reported(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    env = _venv(project / ".venv")
    prompt = "$(touch rt24d1-MARKER)"
    with (env / "pyvenv.cfg").open("a") as fh:
        fh.write(f"prompt = '{prompt}'\n")
    _raw_activate(env, f"({prompt}) ")
    found = _notes(env, project)
    assert [s for s, m in found if s == "high" and "bin/activate:" in m], found
    assert not (project / "rt24d1-MARKER").exists()  # mlbom never runs it
    _source(env / "bin" / "activate", project)
    assert (project / "rt24d1-MARKER").exists()  # the proof: sourcing it runs the prompt


def test_24d1_raw_folder_name_is_reported_and_quoted_one_is_not(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    env = _venv(project / "env$(touch rt24d1b-MARKER)")
    quoted = "VIRTUAL_ENV='" in (env / "bin" / "activate").read_text()
    # a creator with gh-124651 (shlex.quote) made it inert; one before it (3.11.7) wrote it raw
    # inside double quotes, and sourcing that really runs the folder name: reported either way right
    assert bool(_notes(env, project)) is not quoted
    _source(env / "bin" / "activate", project)
    assert (project / "rt24d1b-MARKER").exists() is not quoted
    if not quoted:
        (project / "rt24d1b-MARKER").unlink()
    _raw_activate(env, f"({env.name}) ")
    found = _notes(env, project)
    assert [s for s, m in found if s == "high" and "bin/activate:" in m], found
    _source(env / "bin" / "activate", project)
    assert (project / "rt24d1b-MARKER").exists()


def test_24d1_double_quoted_position_needs_an_inert_value(tmp_path: Path) -> None:
    from mlbom.collectors import _interpreter as interpreter

    # CPython 3.12's template writes the values raw inside double quotes: inert only without " \ $ `
    assert interpreter._inert_forms("a (b) 'c'", "sh", "d") == {"a (b) 'c'"}
    for bad in ("$(x)", "`x`", 'a"; x; "', "a\\", "a\nb"):
        assert interpreter._inert_forms(bad, "sh", "d") == set(), bad
    assert interpreter._inert_forms("$(x)", "sh", "u") == {"'$(x)'"}
    assert interpreter._inert_forms("a'b", "ps1", "u") == {"'a''b'"}
    assert interpreter._inert_forms("a\u2019; calc; \u2019", "ps1", "u") == {"'a\u2019\u2019; calc; \u2019\u2019'"}
    assert interpreter._inert_forms("%x%", "bat", "d") == {"%%x%%"} and interpreter._inert_forms('a"&x', "bat", "d") == set()
    assert interpreter._inert_forms("a!b", "csh", "d") == set()
    assert interpreter._inert_forms("a\\'b", "fish", "s") == set()
    assert interpreter._inert_forms("x'#; y", "nu", "u") == {"r##'x'#; y'##"}


def _quoting_creator() -> str | None:
    """A Python whose venv quotes the values it substitutes (gh-124651: 3.13, and backports)."""
    for exe in (sys.executable, shutil.which("python3.11"), "/usr/bin/python3.11", shutil.which("python3.12"),
                shutil.which("python3.13"), shutil.which("python3")):
        if not exe or not os.path.exists(exe):
            continue
        res = subprocess.run([exe, "-c", "import venv, inspect; print('gh-124651' in inspect.getsource(venv))"],
                             capture_output=True, text=True, timeout=60, check=False)
        if res.stdout.strip() == "True":
            return exe
    return None


@pytest.mark.parametrize("args", [("--prompt", "we ird (x) 'q' \"d\""), ()])
def test_24d1_real_venv_with_metacharacters_is_clean(tmp_path: Path, args: tuple[str, ...]) -> None:
    exe = _quoting_creator()
    if exe is None:
        pytest.skip("no Python whose venv quotes its values (gh-124651)")
    env = tmp_path / "p (1) 'a' \"b\" ;x"
    subprocess.run([exe, "-m", "venv", "--without-pip", *args, str(env)], check=True, timeout=120)
    assert _notes(env, tmp_path) == []
    _source(env / "bin" / "activate", tmp_path)  # and it really is inert: bash sources it without error
    assert sorted(os.listdir(tmp_path)) == [env.name]


@pytest.mark.parametrize("args", [("--prompt", WEIRD), ()])
def test_24d1_real_venv_prompt_with_expansions_is_reported(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Red team 26b-3: a quoted prompt holding ``$``/a backtick is inert where it is substituted, but
    CPython's template puts it into PS1 unescaped and bash expands PS1 again at every prompt."""
    exe = _quoting_creator()
    if exe is None:
        pytest.skip("no Python whose venv quotes its values (gh-124651)")
    env = tmp_path / "p (1) 'a' \"b\" $x"
    subprocess.run([exe, "-m", "venv", "--without-pip", *args, str(env)], check=True, timeout=120)
    found = _notes(env, tmp_path)
    assert [m for _, m in found if "bin/activate:" in m and "PS1" in m], found


@pytest.mark.parametrize("args", [("--prompt", "my (env) 'x'"), ()])
def test_24d1_any_creator_spaces_parentheses_single_quotes_are_clean(tmp_path: Path, args: tuple[str, ...]) -> None:
    # the creators before gh-124651 write raw values inside double quotes: inert without " \ $ `
    env = _venv(tmp_path / "p (1) 'a'", *args)
    assert _notes(env, tmp_path) == []


def test_24d1_real_virtualenv_with_metacharacters_is_clean(tmp_path: Path) -> None:
    pytest.importorskip("virtualenv")
    env = tmp_path / "v (1) 'a' $x"
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-pip", "--no-setuptools", "--no-wheel",
                    "--prompt", WEIRD, str(env)], check=True, timeout=300, capture_output=True)
    assert _notes(env, tmp_path) == []


# --- 24d-2: Python code through a substituted value -------------------------------------------------

def _activate_this(env: Path, prompt_source: str) -> Path:
    doc = json.loads(Path(__file__).parents[1].joinpath("mlbom/data/activate-templates.json").read_text("utf-8"))
    text = next(t["text"] for t in doc["templates"]
                if t["name"] == "activate_this.py" and "virtualenv" in t["sources"][0])
    minor = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    lib = os.path.relpath(env / "lib" / minor / "site-packages", env / "bin")
    text = (text.replace("__BIN_NAME__", "'bin'").replace("__VIRTUAL_PROMPT__", prompt_source)
            .replace("__DECODE_PATH__", "''").replace("__LIB_FOLDERS__", repr(lib)))
    (env / "bin" / "activate_this.py").write_text(text)
    return env / "bin" / "activate_this.py"


def test_24d2_activate_this_prompt_expression_is_reported(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    env = _venv(project / ".venv")
    prompt = 'str(__import__("os").system("touch rt24d2-MARKER"))'
    with (env / "pyvenv.cfg").open("a") as fh:
        fh.write(f"prompt = '{prompt}'\n")
    script = _activate_this(env, prompt)
    found = _notes(env, project)
    assert [s for s, m in found if s == "high" and "activate_this.py" in m], found
    assert not (project / "rt24d2-MARKER").exists()
    subprocess.run([sys.executable, "-c", f"import runpy; runpy.run_path({str(script)!r})"], cwd=project,
                   capture_output=True, timeout=60, check=False)
    assert (project / "rt24d2-MARKER").exists()  # the proof: runpy.run_path runs the prompt
    _activate_this(env, ascii(prompt))  # as virtualenv writes it: a string literal
    assert _notes(env, project) == []


# --- 24d-3: unrecorded bin/ files shadow host commands after activation --------------------------------



def test_24d3_unrecorded_bin_file_is_high_in_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "proj"
    env = _venv(project / ".venv")
    assert not [f for f in generate_findings([str(project)], tmp_path, capsys) if "unrecorded-executable" in f]
    git = env / "bin" / "git"
    git.write_text('#!/bin/sh\ntouch "$PWD/rt24d3-MARKER"\n')
    git.chmod(0o755)
    found = generate_findings([str(project)], tmp_path, capsys)
    assert [f for f in found if f.startswith("high python.unrecorded-executable") and "bin/git" in f], found
    assert [f for f in generate_findings(["--env", str(env)], tmp_path, capsys)
            if f.startswith("medium python.unrecorded-executable") and "bin/git" in f]
    assert not (project / "rt24d3-MARKER").exists()
    bash = shutil.which("bash")
    if bash is not None:  # the proof: after activation `git` is the checkout's file
        subprocess.run([bash, "-c", ". .venv/bin/activate && git --version"], cwd=project, capture_output=True,
                       timeout=60, check=False)
        assert (project / "rt24d3-MARKER").exists()


def _table_text(name: str) -> str:
    doc = json.loads(Path(__file__).parents[1].joinpath("mlbom/data/activate-templates.json").read_text("utf-8"))
    return str(next(t["text"] for t in doc["templates"] if t["name"] == name))


def test_24d3_creator_files_are_not_unrecorded_and_edited_ones_are(tmp_path: Path) -> None:
    from mlbom.collectors._interpreter import unrecorded_executables

    env = _venv(tmp_path / "env")
    (env / "bin" / "pydoc.bat").write_bytes(_table_text("pydoc.bat").encode())  # uv writes it into every venv
    assert list(unrecorded_executables(env, [], lambda p: p.as_posix(), tmp_path)) == []
    (env / "bin" / "pydoc.bat").write_bytes(_table_text("pydoc.bat").encode() + b"calc.exe\r\n")
    found = list(unrecorded_executables(env, [], lambda p: p.as_posix(), tmp_path))
    assert len(found) == 1 and found[0].severity == "high" and "bin/pydoc.bat" in found[0].message


def test_24d3_stock_environments_have_no_unrecorded_files(tmp_path: Path) -> None:
    from mlbom.collectors._interpreter import unrecorded_executables

    envs = [_venv(tmp_path / "venv"), _venv(tmp_path / "copies", "--copies")]
    uv = shutil.which("uv")
    if uv is not None:
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(tmp_path / "uv")], check=True, timeout=300,
                       capture_output=True)
        envs.append(tmp_path / "uv")
    try:
        import virtualenv  # noqa: F401
    except ImportError:
        pass
    else:
        subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-pip", "--no-setuptools", "--no-wheel",
                        str(tmp_path / "ve")], check=True, timeout=300, capture_output=True)
        envs.append(tmp_path / "ve")
    for env in envs:
        assert list(unrecorded_executables(env, [], lambda p: p.as_posix(), tmp_path)) == [], env
        assert _notes(env, tmp_path) == [], env


# --- 24d-4: environments are discovered by content, not by folder name ------------------------------------

def _edited_activate(env: Path) -> None:
    with (env / "bin" / "activate").open("a") as fh:
        fh.write('touch "$PWD/rt24d4-MARKER"\n')


@pytest.mark.parametrize("where", ["tools", ".venv-ci", ".tox/py311", "packages/a/.venv", ".nox/tests-3-11"])
def test_24d4_environment_under_any_name_is_inventoried(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        where: str) -> None:
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    (project / "src" / "app.py").write_text("print('hi')\n")
    env = _venv(project / where)
    _edited_activate(env)
    found = generate_findings([str(project)], tmp_path, capsys)
    assert [f for f in found if f.startswith("high python.activate-unverified") and "bin/activate" in f], found
    assert not (project / "rt24d4-MARKER").exists()


def test_24d4_fixed_names_still_work_and_links_out_are_not_followed(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    outside = _venv(tmp_path / "outside")
    _edited_activate(outside)
    (project / "linked").symlink_to(outside)  # a link out of the project is never followed
    (project / "deep").mkdir()
    (project / "deep" / "link").symlink_to(outside)
    env = _venv(project / ".venv")
    found = generate_findings([str(project)], tmp_path, capsys)
    assert not [f for f in found if "activate-unverified" in f], found
    _edited_activate(env)
    found = generate_findings([str(project)], tmp_path, capsys)
    assert len([f for f in found if f.startswith("high python.activate-unverified")]) == 1, found


def test_24d4_discovery_walk_is_bounded_and_skips_git(tmp_path: Path) -> None:
    from mlbom.collectors import _marked_folders, discover
    from mlbom.collectors.environment import EnvironmentCollector

    project = tmp_path / "proj"
    deep = project.joinpath(*["d"] * 12)
    deep.mkdir(parents=True)
    (deep / "pyvenv.cfg").write_text("home = /usr/bin\n")  # deeper than the bound: not looked for
    (project / ".git" / "x").mkdir(parents=True)
    (project / ".git" / "x" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (project / "a" / "env").mkdir(parents=True)
    (project / "a" / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (project / "a" / "env" / "nested").mkdir()
    (project / "a" / "env" / "nested" / "pyvenv.cfg").write_text("home = /usr/bin\n")  # below a found one
    assert _marked_folders(project, ("pyvenv.cfg",), "environment", []) == [project / "a" / "env"]
    jobs = discover(project, {"environment": EnvironmentCollector})
    assert jobs == [("environment", project / "a" / "env")]


def test_24d4_conda_prefix_is_reported_not_inventoried(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "proj"
    (project / "envs" / "ml" / "conda-meta").mkdir(parents=True)
    (project / "envs" / "ml" / "conda-meta" / "history").write_text("==> 2024-01-01 00:00:00 <==\n")
    (project / "requirements.txt").write_text("numpy==1.26.4\n")
    found = generate_findings([str(project)], tmp_path, capsys)
    assert [f for f in found if f.startswith("medium python.environment-not-inventoried") and "envs/ml" in f], found


# --- fuzzing (2 Dec): the cost of the templates' patterns grows with the prompt ----------------------

def test_a_prompt_past_the_bound_is_not_matched_and_says_why(tmp_path: Path) -> None:
    """A real venv made with a prompt of MAX_ACTIVATE_PROMPT_CHARS characters is clean; one character
    more and its scripts are unverified, naming the bound (compiling the templates' patterns with an
    8 KB prompt took 2.9 s: a longer prompt is not matched, fail closed), in bounded time."""
    import time

    from mlbom.limits import MAX_ACTIVATE_PROMPT_CHARS

    ok = _venv(tmp_path / "ok", "--prompt", "p" * MAX_ACTIVATE_PROMPT_CHARS)
    assert _notes(ok, tmp_path) == []
    prompt = "p" * 8192
    env = _venv(tmp_path / "long", "--prompt", prompt)
    assert prompt in (env / "bin" / "activate").read_text("utf-8")
    start = time.process_time()
    found = _notes(env, tmp_path)
    assert time.process_time() - start < 5.0
    assert any("bin/activate:" in m and f"over the {MAX_ACTIVATE_PROMPT_CHARS}" in m for _, m in found), found
