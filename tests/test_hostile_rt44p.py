"""Red team 44p: hostile input through the CLI that hung or grew without bound.

44p-1: a policy exception glob (``*a*a*a*a*a*a*b``) compiled to a backtracking regex ran for
minutes against one 100-character bom-ref; now an automaton, linear in the name, under a step
budget. 44p-2/3: a FIFO as the policy, as the vulnerability database or inside its folder
blocked for ever. 44p-4: ``query --why`` of 11,000 components down one chain built 60 million
refs; now bounded, the rest counted. 44p-6: every exception was tried on every object and every
violation; now literal components are looked up.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import Any

import pytest

from mlbom import query
from mlbom.cli import main
from mlbom.policy import rules
from mlbom.policy.globs import Glob as _Glob
from mlbom.policy.rules import GlobBudget as _Budget

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs need a POSIX system")


def _regex(pattern: str) -> re.Pattern[str]:
    """The glob's meaning as the regex mlbom used before (correct, but backtracking)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            while i < len(pattern) and pattern[i] == "*":
                i += 1
            slash = pattern.startswith("/", i)
            out.append("(?:.*/)?" if slash else ".*")
            i += slash
        else:
            ch = pattern[i]
            out.append("[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch))
            i += 1
    return re.compile("".join(out), re.S)


def test_44p_1_the_glob_automaton_means_what_the_regex_meant() -> None:
    rnd = random.Random(44)
    for _ in range(20_000):
        pattern = "".join(rnd.choice("ab/*?") for _ in range(rnd.randint(1, 7)))
        if "*" not in pattern and "?" not in pattern:
            continue
        name = "".join(rnd.choice("ab/*") for _ in range(rnd.randint(0, 8)))
        want = name == pattern or _regex(pattern).fullmatch(name) is not None
        assert _Glob(pattern).match(name, _Budget()) is want, (pattern, name)


def test_44p_1_a_backtracking_glob_takes_one_step_a_character() -> None:
    budget = _Budget()
    glob = _Glob("*a*a*a*a*a*a*a*a*a*a*b")
    assert not glob.match("ab" * 2500 + "c", budget)  # passes the literal pieces' check, then fails
    # one step a character and one more per run of '*' the glob holds (11 here: red team 51p-2)
    assert rules.MAX_GLOB_STEPS - budget.left == 5002 * 12


def _bom(path: Path, comps: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": comps}))
    return path


def test_44p_1_past_the_step_budget_the_policy_cannot_be_evaluated(tmp_path: Path, monkeypatch: Any,
                                                                  capsys: Any) -> None:
    monkeypatch.setattr(rules, "MAX_GLOB_STEPS", 1000)
    bom = _bom(tmp_path / "bom.json", [{"type": "library", "bom-ref": f"{'a' * 100}b{i}", "name": "x"}
                                       for i in range(50)])
    policy = tmp_path / "policy.toml"
    policy.write_text('[licenses]\nunknown = "fail"\n[[exceptions]]\nid = "licenses.unknown"\ncomponent = "*a*b"\n'
                      'reason = "r"\n')
    assert main(["check", str(bom), "--policy", str(policy)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "globs need more than 1,000 steps" in err[0], err


def test_44p_6_literal_exceptions_are_looked_up(tmp_path: Path, monkeypatch: Any) -> None:
    calls = [0]
    covers = rules._Index.covers

    def counted(self: Any, e: Any, v: Any) -> bool:
        calls[0] += 1
        return covers(self, e, v)

    monkeypatch.setattr(rules._Index, "covers", counted)
    n = 2000
    bom = _bom(tmp_path / "bom.json", [{"type": "library", "bom-ref": f"c{i}", "name": f"p{i}"} for i in range(n)])
    policy = tmp_path / "policy.toml"
    exceptions = "".join(f'[[exceptions]]\nid = "licenses.unknown"\ncomponent = "c{i}"\nreason = "r"\n'
                         for i in range(0, n, 2))
    policy.write_text('[licenses]\nunknown = "fail"\n' + exceptions)
    out = tmp_path / "out.json"
    assert main(["check", str(bom), "--policy", str(policy), "--format", "json", "-o", str(out)]) == 1
    result = json.loads(out.read_text())
    assert len(result["waived"]) == n // 2 and len(result["violations"]) == n // 2
    assert calls[0] == 0  # every exception names its component exactly: no exception is tried in turn


def test_44p_2_a_fifo_policy_is_refused(tmp_path: Path, capsys: Any) -> None:
    bom = _bom(tmp_path / "bom.json", [{"type": "library", "bom-ref": "r", "name": "x"}])
    fifo = tmp_path / "policy.toml"
    os.mkfifo(fifo)
    assert main(["check", str(bom), "--policy", str(fifo)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a regular file" in err[0], err


def test_44p_3_fifos_in_and_as_the_vulnerability_database(tmp_path: Path, capsys: Any) -> None:
    bom = _bom(tmp_path / "bom.json", [{"type": "library", "bom-ref": "r", "name": "requests", "version": "2.31.0",
                                        "purl": "pkg:pypi/requests@2.31.0"}])
    db = tmp_path / "db"
    db.mkdir()
    os.mkfifo(db / "PYSEC-0.json")
    assert main(["audit", str(bom), "--vuln-db", str(db), "-o", str(tmp_path / "out.json")]) == 0
    assert "PYSEC-0.json: not a regular file" in capsys.readouterr().err  # counted and said, not read
    os.mkfifo(tmp_path / "db.fifo")
    assert main(["audit", str(bom), "--vuln-db", str(tmp_path / "db.fifo")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a regular file" in err[0], err


def test_44p_4_why_is_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(query, "MAX_WHY_REFS", 1000)
    n = 300
    comps = [{"type": "library", "bom-ref": f"r{i}", "name": "x"} for i in range(n)]
    deps = [{"ref": "root", "dependsOn": ["r0"]}] + [{"ref": f"r{i}", "dependsOn": [f"r{i + 1}"]} for i in range(n - 1)]
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "metadata": {"component": {"type": "application", "bom-ref": "root", "name": "rel"}},
           "components": comps, "dependencies": deps}
    answer = query.why(doc, "x")
    assert sum(len(c) for c in answer.chains) <= 1000 and answer.chains
    assert len(answer.chains) + answer.more == n
    assert answer.chains[0] == ["root", "r0"]
