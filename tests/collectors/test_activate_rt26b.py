"""Environments: red team 26b-3 (proofs: /work/redteam-26b/26b-3-ps1-promptvars).

A prompt value quoted inert where the template substitutes it (CPython 3.13's ``shlex.quote``) still
runs when the template puts it into ``PS1`` unescaped: bash expands ``PS1`` again at every prompt
(``promptvars``, on by default; zsh under ``PROMPT_SUBST``). Such a template takes no prompt holding
``$``, a backtick or ``\\``; virtualenv's template, which escapes the prompt, keeps accepting it. And a
script matches only the templates of its own language (by name): a Python or batch template's quoting
never vouches for a file bash sources.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.collectors import _interpreter
from tests.helpers import activate_unverified, bash_sources_activate

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")

TABLE = Path(__file__).parents[2] / "mlbom" / "data" / "activate-templates.json"


def _templates(name: str) -> list[tuple[str, str]]:
    doc = json.loads(TABLE.read_text("utf-8"))
    return [(t["sources"][0], t["text"]) for t in doc["templates"] if t["name"] == name]


def _venv(root: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    return root


def _cpython313_activate(env: Path, prompt: str) -> None:
    """bin/activate exactly as CPython >= 3.13's venv writes it (every value ``shlex.quote``d)."""
    text = next(t for src, t in _templates("activate") if "VIRTUAL_ENV_PROMPT=__VENV_PROMPT__" in t)
    for key, value in (("__VENV_DIR__", str(env)), ("__VENV_NAME__", env.name), ("__VENV_PROMPT__", f"({prompt}) "),
                       ("__VENV_BIN_NAME__", "bin")):
        text = text.replace(key, value if key == "__VENV_BIN_NAME__" else shlex.quote(value))
    (env / "bin" / "activate").write_text(text)


def _set_prompt(env: Path, prompt: str) -> None:
    with (env / "pyvenv.cfg").open("a") as fh:
        fh.write(f"prompt = '{prompt}'\n")


def test_26b3_prompt_expanded_again_in_ps1_is_reported(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    env = _venv(project / ".venv")
    mark = project / "rt26b3-MARKER"
    prompt = f"$(touch {mark})"
    _set_prompt(env, prompt)
    _cpython313_activate(env, prompt)
    found = activate_unverified(env, project)
    assert [m for s, m in found if s == "high" and "bin/activate:" in m and "PS1" in m], found
    # the proof: an interactive bash that sources it runs the prompt's $(…) at the next prompt
    bash_sources_activate(project, tmp_path)
    if not mark.exists():
        pytest.skip("this bash did not expand the prompt (promptvars off or no interactive prompt)")


@pytest.mark.parametrize("prompt", ["my (env) 'x'", "plain"])
def test_26b3_prompt_without_expansions_is_clean(tmp_path: Path, prompt: str) -> None:
    project = tmp_path / "proj"
    env = _venv(project / ".venv")
    _set_prompt(env, prompt)
    _cpython313_activate(env, prompt)
    assert activate_unverified(env, project) == []


def test_26b3_rule_derived_from_the_template_text() -> None:
    """Every POSIX activate template that assigns PS1 without an escape covering \\, $ and ` is marked;
    virtualenv's (``_virtualenv_escape_prompt``) is not; other languages show the prompt as data."""
    marked = {src: _interpreter._prompt_reexpanded(t, "sh") for src, t in _templates("activate")}
    marked |= {src: _interpreter._prompt_reexpanded(t, "sh") for src, t in _templates("activate.sh")}
    assert any(marked.values())
    escaping = [src for src, t in _templates("activate.sh") if "_virtualenv_escape_prompt" in t]
    assert escaping and not any(marked[s] for s in escaping)
    assert all(marked[s] for s, t in _templates("activate") if "PS1=" in t and "_escape_prompt" not in t)
    assert not any(_interpreter._prompt_reexpanded(t, "fish") for _, t in _templates("activate.fish"))


def test_26b3_escaping_template_accepts_expansion_characters() -> None:
    """virtualenv's bash template escapes the prompt for both passes: its values stay verified."""
    (src, text), *_ = [(s, t) for s, t in _templates("activate.sh") if "_virtualenv_escape_prompt" in t]
    values = {k: {"x"} for k in _interpreter._PLACEHOLDER.findall(text)}
    values["__VIRTUAL_PROMPT__"] = {"$(id)"}
    filled = text
    for key in values:
        filled = filled.replace(key, shlex.quote(next(iter(values[key]))) if key == "__VIRTUAL_PROMPT__" else "x")
    pattern = _interpreter._template_pattern("activate.sh", text, values)
    assert pattern is not None and pattern.fullmatch(filled), src


def test_26b3_script_matches_only_templates_of_its_language(tmp_path: Path) -> None:
    """A ``bin/activate`` holding virtualenv's ``activate_this.py`` (values filled as virtualenv does)
    was vouched for by the Python template; bash sources it: only sh templates may match it."""
    project = tmp_path / "proj"
    env = _venv(project / ".venv")
    (_, text), *_ = [(s, t) for s, t in _templates("activate_this.py") if "virtualenv" in s]
    minor = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    lib = os.path.relpath(env / "lib" / minor / "site-packages", env / "bin")
    text = (text.replace("__BIN_NAME__", "'bin'").replace("__VIRTUAL_PROMPT__", "''")
            .replace("__DECODE_PATH__", "''").replace("__LIB_FOLDERS__", repr(lib)))
    (env / "bin" / "activate_this.py").write_text(text)
    assert activate_unverified(env, project) == []  # under its own name it is the template
    (env / "bin" / "activate").write_text(text)
    found = activate_unverified(env, project)
    assert [m for s, m in found if "bin/activate:" in m], found
