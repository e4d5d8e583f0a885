"""Environments: red team 27b-1 (proofs: /work/redteam-27b/27b-1-venv-dirname-ps1).

A template that puts its prompt into ``PS1`` unescaped (26b-3's mark) may take the prompt from a
value other than the prompt placeholders: uv's ``activate`` with an empty ``{{ VIRTUAL_PROMPT }}``
sets ``VIRTUAL_ENV_PROMPT=$(basename "$VIRTUAL_ENV")`` (CPython 3.8's: ``basename``, and the
parent's name for a folder named ``__``), so the environment FOLDER's name reaches ``PS1``, which
bash (``promptvars``) expands again at every prompt. For such a template no substituted value may
hold ``$``, a backtick or ``\\``, nor may the folder's name (as given or resolved: a ``.venv`` link
reaches the real folder).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.collectors import _interpreter
from tests.helpers import activate_unverified, bash_sources_activate

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")

TABLE = Path(__file__).parents[2] / "mlbom" / "data" / "activate-templates.json"


def _uv_activate() -> str:
    doc = json.loads(TABLE.read_text("utf-8"))
    (text,) = [t["text"] for t in doc["templates"] if t["name"] == "activate" and "{{ VIRTUAL_PROMPT }}" in t["text"]]
    assert 'VIRTUAL_ENV_PROMPT=$(basename "$VIRTUAL_ENV")' in text
    return text


def _uv_env(env: Path, env_dir: str) -> Path:
    """A venv whose bin/activate is uv's template filled as ``uv venv`` fills it with no prompt."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    for f in (env / "bin").iterdir():
        if f.name.startswith(("activate", "Activate")):
            f.unlink()
    text = (_uv_activate().replace("{{ VIRTUAL_ENV_DIR }}", env_dir).replace("{{ VIRTUAL_PROMPT }}", "")
            .replace("{{ BIN_NAME }}", "bin").replace("{{ PATH_SEP }}", ":").replace("{{ RELOCATABLE }}", "false"))
    (env / "bin" / "activate").write_text(text)
    return env


def _bash_runs_prompt(project: Path, home: Path) -> bool:
    bash_sources_activate(project, home)
    return (project / "rt27b1-MARKER").exists()


@pytest.mark.parametrize("via_link", [True, False])
def test_27b1_folder_name_reaching_ps1_is_reported(tmp_path: Path, via_link: bool) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    real = _uv_env(project / "$(touch rt27b1-MARKER)", str(project / "$(touch rt27b1-MARKER)"))
    if via_link:
        (project / ".venv").symlink_to(real.name)
    found = activate_unverified(project / ".venv" if via_link else real, project)
    assert [m for s, m in found if s == "high" and "bin/activate:" in m and "folder name" in m and "PS1" in m], found
    if via_link and not _bash_runs_prompt(project, tmp_path):
        pytest.skip("this bash did not expand the prompt (promptvars off or no interactive prompt)")


def test_27b1_link_path_in_script_still_reported(tmp_path: Path) -> None:
    """The script names the ``.venv`` link (whose basename is harmless) but the real folder's name holds
    ``$(…)``: a script sourced through the real path (or a relocatable one) takes that name."""
    project = tmp_path / "proj"
    project.mkdir()
    real = _uv_env(project / "$(touch rt27b1-MARKER)", str(project / ".venv"))
    (project / ".venv").symlink_to(real.name)
    found = activate_unverified(project / ".venv", project)
    assert [m for s, m in found if s == "high" and "folder name" in m], found


def test_27b1_plain_folder_name_is_clean(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    real = _uv_env(project / "my env (x)", str(project / "my env (x)"))
    (project / ".venv").symlink_to(real.name)
    assert activate_unverified(project / ".venv", project) == []
    assert activate_unverified(real, project) == []


def test_27b1_every_value_of_a_marked_template_is_filtered() -> None:
    """Any placeholder of a marked template rejects a value holding $, ` or \\ (which values flow into
    PS1 is not tracked); the unmarked (escaping) rule is off with ``reexpansion=False``."""
    text = _uv_activate()
    values = {k: {"x"} for k in _interpreter._PLACEHOLDER.findall(text)}
    values["{{ VIRTUAL_ENV_DIR }}"] = {"/p/a`id`b/env"}
    values["{{ VIRTUAL_PROMPT }}"] = {""}
    assert _interpreter._template_pattern("activate", text, values) is None
    assert _interpreter._template_pattern("activate", text, values, reexpansion=False) is not None
    values["{{ VIRTUAL_ENV_DIR }}"] = {"/p/$x/env"}  # a parent's name only: still rejected (documented, rare)
    assert _interpreter._template_pattern("activate", text, values) is None


def test_27b1_folder_names_include_cpython38_parent_for_double_underscore() -> None:
    names = _interpreter._folder_names({"__VENV_DIR__": {"/a/$(id)/__", "/b/env"}})
    assert names == {"__", "$(id)", "env"}
