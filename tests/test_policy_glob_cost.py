"""Red team 51p-2: an exception glob of ``"*?"`` × 5,000 against two 2,000-character bom-refs took 9.8 s
(over 60 s with 20): the step budget counted characters, while each character walked every ``*``
state. A run of ``*``/``?`` is now one ``*`` and its ``?`` count (the same language), a step costs one
plus the glob's ``*`` runs, and a glob with more than 64 runs of ``*`` is a policy error."""

from __future__ import annotations

import fnmatch
import time
from pathlib import Path

import pytest

from mlbom.policy.globs import Glob as _Glob
from mlbom.policy.rules import GlobBudget as _Budget


@pytest.mark.parametrize(("glob", "name", "expected"), [
    ("*?", "", False), ("*?", "a", True), ("?*?", "a", False), ("?*?", "ab", True), ("*?*?*", "ab", True),
    ("*?*", "a/b", False), ("a*?b", "axb", True), ("a*?b", "ab", False), ("**?", "a/b", True),
])
def test_collapsed_runs_mean_the_same(glob: str, name: str, expected: bool) -> None:
    b = _Budget()
    assert _Glob(glob).match(name, b) is expected
    if "/" not in name and "**" not in glob:
        assert fnmatch.fnmatchcase(name, glob) is expected


def test_the_hostile_glob_is_fast() -> None:
    g = _Glob("*?" * 5000)
    b = _Budget()
    start = time.process_time()
    for _ in range(20):
        assert g.match("x" * 2000, b) is False  # (5,000 characters needed)
    assert time.process_time() - start < 2.0


def test_a_step_costs_the_globs_star_runs() -> None:
    b = _Budget()
    before = b.left
    _Glob("a*b*c").match("aXbYc", b)
    assert before - b.left == 6 * 3


def test_more_than_64_star_runs_is_a_policy_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom.cli import main

    policy = tmp_path / "p.toml"
    policy.write_text('[[exceptions]]\nid = "findings.severity"\nreason = "r"\ncomponent = "' + "*a" * 65 + '"\n')
    bom = tmp_path / "b.json"
    bom.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}')
    assert main(["check", str(bom), "--policy", str(policy)]) == 2
    err = capsys.readouterr().err
    assert "65 wildcard runs" in err and len(err.strip().splitlines()) == 1, err
