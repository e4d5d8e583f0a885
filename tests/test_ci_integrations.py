"""The CI integrations, run here as their CI systems would run them: the GitHub Action's steps
(``action.yml``), the GitLab CI template's script and the pre-commit hooks (``pre-commit
try-repo`` and a real ``git commit`` on a temporary repository).

mlbom is not installed from the network: a ``mlbom`` shim on PATH runs this checkout with the
test interpreter (the Action's ``install: none``, the template's ``MLBOM_INSTALL=none``, the
pre-commit ``*-system`` hooks). The ``language: python`` hooks need pre-commit to pip-install this
repository and its dependencies into a fresh virtualenv, so their test is marked ``network``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from tests.conftest import assert_valid
from tests.test_policy import ONLY_SAFETENSORS, sarif_errors, unsafe_pickle

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tiny-release"
BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="needs bash")


@pytest.fixture
def shim_env(tmp_path: Path) -> dict[str, str]:
    """The environment a CI job would have after installing mlbom: ``mlbom`` on PATH."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "mlbom"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mlbom "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI_", "PRE_COMMIT"))}
    env["PATH"] = f"{bindir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    return env


def workspace(tmp: Path, *, pickle: bool = False) -> Path:
    ws = tmp / "workspace"
    shutil.copytree(EXAMPLE, ws / "examples" / "tiny-release")
    if pickle:
        unsafe_pickle(ws / "examples" / "tiny-release" / "model" / "pytorch_model.bin")
    return ws


# --- GitHub Action -----------------------------------------------------------------------------

_EXPR = re.compile(r"\$\{\{\s*([a-z_]+)\.([A-Za-z0-9_.-]+)\s*\}\}")


def run_action(ws: Path, env: dict[str, str], tmp: Path, **given: str) -> tuple[int, dict[str, str], str, str]:
    """Run action.yml's steps as the Actions runner does: ``${{ inputs.X }}`` substituted,
    ``bash --noprofile --norc -eo pipefail``, GITHUB_OUTPUT/GITHUB_STEP_SUMMARY files. Returns
    (exit code of the first failing step or 0, the action's outputs, step summary, log)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, f"not inputs of the action: {unknown}"
    inputs.update(given)

    def expand(text: str, steps: dict[str, dict[str, str]]) -> str:
        def sub(m: re.Match[str]) -> str:
            scope, name = m.group(1), m.group(2)
            if scope == "inputs":
                return inputs[name]
            if scope == "github" and name == "action_path":
                return str(ROOT)
            if scope == "steps":
                step_id, _, out = name.partition(".outputs.")
                return steps.get(step_id, {}).get(out, "")
            raise AssertionError(f"expression the test runner does not know: {m.group(0)}")
        return _EXPR.sub(sub, text)

    summary = tmp / "step_summary.md"
    summary.write_text("")
    step_outputs: dict[str, dict[str, str]] = {}
    log = ""
    rc = 0
    for i, step in enumerate(action["runs"]["steps"]):
        assert step["shell"] == "bash" and "uses" not in step and "if" not in step
        assert "${{" not in step["run"], "inputs reach the script through env:, never interpolated into it"
        out_file = tmp / f"output_{i}"
        out_file.write_text("")
        script = tmp / f"step_{i}.sh"
        script.write_text(step["run"])
        step_env = {**env, "GITHUB_OUTPUT": str(out_file), "GITHUB_STEP_SUMMARY": str(summary),
                    "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_WORKSPACE": str(ws)}
        step_env.update({k: expand(str(v), step_outputs) for k, v in (step.get("env") or {}).items()})
        proc = subprocess.run([BASH or "bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=ws,
                              env=step_env, capture_output=True, text=True, timeout=300)
        log += proc.stdout + proc.stderr
        step_outputs[step.get("id", f"step{i}")] = dict(
            line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line)
        if proc.returncode != 0:
            rc = proc.returncode
            break
    outputs = {k: expand(str(v["value"]), step_outputs) for k, v in action["outputs"].items()}
    return rc, outputs, summary.read_text(), log


def test_action_runs_green_against_the_example_release(tmp_path: Path, shim_env: dict[str, str]) -> None:
    ws = workspace(tmp_path)
    rc, outputs, summary, log = run_action(ws, shim_env, tmp_path, path="examples/tiny-release", install="none",
                                           format="junit")
    assert rc == 0, log
    assert outputs["result"] == "passed"
    assert outputs["bom"] == "mlbom-out/bom.cdx.json" and outputs["sarif"] == "mlbom-out/mlbom.sarif"
    assert_valid((ws / outputs["bom"]).read_bytes())
    sarif = json.loads((ws / outputs["sarif"]).read_text())
    assert sarif_errors(sarif) == [] and [r for r in sarif["runs"][0]["results"] if r["level"] == "error"] == []
    assert ET.parse(ws / outputs["report"]).getroot().tag == "testsuites"
    assert summary.startswith("### mlbom check: ✅ passed")
    assert "mlbom check:" in log and "passed" in log


def test_action_fails_on_a_pickle_and_locates_it(tmp_path: Path, shim_env: dict[str, str]) -> None:
    ws = workspace(tmp_path, pickle=True)
    (ws / "policy.toml").write_text(ONLY_SAFETENSORS)
    rc, outputs, summary, log = run_action(ws, shim_env, tmp_path, path="examples/tiny-release", install="none",
                                           policy="policy.toml")
    assert rc == 1, log
    assert outputs["result"] == "failed"
    sarif = json.loads((ws / outputs["sarif"]).read_text())
    assert sarif_errors(sarif) == []
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"] if r["ruleId"] == "models.format"}
    assert uris == {"examples/tiny-release/model/pytorch_model.bin"}  # relative to the repository: shown on the file
    assert "❌ failed" in summary and "FAIL  models.format  model/pytorch_model.bin" in log
    rc, outputs, _, log = run_action(ws, shim_env, tmp_path, path="examples/tiny-release", install="none",
                                     policy="policy.toml", **{"fail-on": "never"})
    assert rc == 0 and outputs["result"] == "failed", log
    rc, _, _, log = run_action(ws, shim_env, tmp_path, path="examples/tiny-release", install="none", policy="absent.toml")
    assert rc == 2 and "cannot read the policy" in log


# --- GitLab CI ---------------------------------------------------------------------------------

def run_gitlab(ws: Path, env: dict[str, str], **variables: str) -> tuple[int, dict[str, object], str]:
    doc = yaml.safe_load((ROOT / "ci" / "gitlab" / "mlbom.gitlab-ci.yml").read_text(encoding="utf-8"))
    job = doc["mlbom"]
    job_env = {**env, **{k: str(v) for k, v in doc["variables"].items()}, **variables}
    # the runner runs the script lines in one shell and stops at the first that fails
    script = "set -eo pipefail\n" + "\n".join(job["script"]) + "\n"
    proc = subprocess.run([BASH or "bash", "--noprofile", "--norc", "-c", script], cwd=ws, env=job_env,
                          capture_output=True, text=True, timeout=300)
    return proc.returncode, job, proc.stdout + proc.stderr


def _artifact(ws: Path, path: str, env: dict[str, str]) -> Path:
    return ws / re.sub(r"\$(\w+)", lambda m: env[m.group(1)], path)


def test_gitlab_template_against_the_example_release(tmp_path: Path, shim_env: dict[str, str]) -> None:
    ws = workspace(tmp_path)
    rc, job, log = run_gitlab(ws, shim_env, MLBOM_INSTALL="none", MLBOM_PATH="examples/tiny-release")
    assert rc == 0, log
    variables = {"MLBOM_OUT": "mlbom-out"}
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    junit = _artifact(ws, artifacts["reports"]["junit"], variables)
    assert ET.parse(junit).getroot().get("failures") == "0"
    (folder,) = artifacts["paths"]
    assert_valid((_artifact(ws, folder, variables) / "bom.cdx.json").read_bytes())


def test_gitlab_template_fails_with_a_junit_failure(tmp_path: Path, shim_env: dict[str, str]) -> None:
    ws = workspace(tmp_path, pickle=True)
    (ws / "policy.toml").write_text(ONLY_SAFETENSORS)
    rc, _, log = run_gitlab(ws, shim_env, MLBOM_INSTALL="none", MLBOM_PATH="examples/tiny-release",
                            MLBOM_POLICY="policy.toml")
    assert rc == 1, log
    root = ET.parse(ws / "mlbom-out" / "mlbom-junit.xml").getroot()
    failures = [f.text or "" for f in root.iter("failure")]
    assert any("model/pytorch_model.bin" in f for f in failures)
    assert sarif_errors(json.loads((ws / "mlbom-out" / "mlbom.sarif").read_text())) == []


# --- pre-commit --------------------------------------------------------------------------------

def _pre_commit_available() -> bool:
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        return False
    return shutil.which("git") is not None


needs_pre_commit = pytest.mark.skipif(not _pre_commit_available(), reason="needs pre-commit and git")


def git_repo(tmp: Path, env: dict[str, str]) -> Path:
    repo = tmp / "project"
    repo.mkdir()
    for cmd in (["init", "-q"], ["config", "user.email", "dev@example.com"], ["config", "user.name", "dev"],
                ["config", "commit.gpgsign", "false"]):
        subprocess.run(["git", *cmd], cwd=repo, env=env, check=True)
    (repo / "README.md").write_text("a project\n")
    subprocess.run(["git", "add", "README.md"], cwd=repo, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "init"], cwd=repo, env=env, check=True)
    return repo


@pytest.fixture
def pc_env(tmp_path: Path, shim_env: dict[str, str]) -> dict[str, str]:
    env = dict(shim_env)
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path / "home")})
    (tmp_path / "home").mkdir()
    return env


def pre_commit(args: list[str], repo: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=timeout)


@needs_pre_commit
def test_pre_commit_try_repo_blocks_an_unsafe_pickle(tmp_path: Path, pc_env: dict[str, str]) -> None:
    repo = git_repo(tmp_path, pc_env)
    (repo / "model").mkdir()
    unsafe_pickle(repo / "model" / "evil.pkl")
    (repo / "model" / "notes.txt").write_text("not a model file\n")
    subprocess.run(["git", "add", "model"], cwd=repo, env=pc_env, check=True)
    proc = pre_commit(["try-repo", str(ROOT), "mlbom-scan-system"], repo, pc_env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "UNSAFE" in out and "model/evil.pkl" in out and "notes.txt" not in out.split("Failed")[-1]


@needs_pre_commit
def test_pre_commit_hook_blocks_a_commit(tmp_path: Path, pc_env: dict[str, str]) -> None:
    """The hooks of .pre-commit-hooks.yaml installed as a git hook: the commit is refused."""
    repo = git_repo(tmp_path, pc_env)
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    chosen = [h for h in hooks if h["id"] in ("mlbom-scan-system", "mlbom-check-system")]
    assert {h["id"] for h in hooks} >= {"mlbom-scan", "mlbom-check", "mlbom-scan-system", "mlbom-check-system"}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": chosen}]}))
    subprocess.run(["git", "add", ".pre-commit-config.yaml"], cwd=repo, env=pc_env, check=True)
    assert pre_commit(["install"], repo, pc_env).returncode == 0
    # a clean project commits
    shutil.copytree(EXAMPLE / "model", repo / "model")
    subprocess.run(["git", "add", "-A"], cwd=repo, env=pc_env, check=True)
    ok = subprocess.run(["git", "commit", "-q", "-m", "model"], cwd=repo, env=pc_env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # an unsafe pickle does not
    unsafe_pickle(repo / "model" / "pytorch_model.bin")
    subprocess.run(["git", "add", "-A"], cwd=repo, env=pc_env, check=True)
    blocked = subprocess.run(["git", "commit", "-q", "-m", "weights"], cwd=repo, env=pc_env, capture_output=True, text=True)
    out = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, out
    assert "UNSAFE" in out and "model/pytorch_model.bin" in out
    assert "FAIL  models.verdict  model/pytorch_model.bin" in out  # mlbom-check: the default policy
    log = subprocess.run(["git", "log", "--oneline"], cwd=repo, env=pc_env, capture_output=True, text=True).stdout
    assert "weights" not in log


@pytest.mark.network
@pytest.mark.slow
@needs_pre_commit
def test_pre_commit_python_hook_builds_its_own_venv(tmp_path: Path, pc_env: dict[str, str]) -> None:
    """``language: python``: pre-commit pip-installs this repository (and its dependencies, from
    the package index) into a virtualenv of its own."""
    repo = git_repo(tmp_path, pc_env)
    unsafe_pickle(repo / "evil.pkl")
    subprocess.run(["git", "add", "evil.pkl"], cwd=repo, env=pc_env, check=True)
    env = {k: v for k, v in pc_env.items() if k != "PYTHONPATH"}
    ours = str(Path(sys.executable).parent)  # neither the shim nor the test venv: the hook's own mlbom runs
    env["PATH"] = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != ours)
    proc = pre_commit(["try-repo", str(ROOT), "mlbom-scan"], repo, env, timeout=1200)
    out = proc.stdout + proc.stderr
    if proc.returncode != 1 and ("Could not find a version" in out or "Network is unreachable" in out):
        pytest.skip("no package index reachable")
    assert proc.returncode == 1 and "UNSAFE" in out and "evil.pkl" in out, out
