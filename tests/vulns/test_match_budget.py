"""Red team 50p-1: ``audit`` time was components × ``affected`` entries naming their package, unbounded
(one record holding 2,000 copies of one entry against 2,000 components of that package: 35 s; 2,000
one-entry records: 28 s). Now a record's repeated entries count once, components of the same package,
version and source are matched once, and past ``MAX_MATCH_CHECKS`` the rest are not matched: a high
``vuln.audit-incomplete`` finding says which, the summary says so, and ``--fail-on`` cannot pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.vulns import match
from mlbom.vulns.db import open_database
from mlbom.vulns.match import MatchBudget, Target, match_all
from tests.vulns.conftest import record, write_db

ENTRY = {"package": {"ecosystem": "PyPI", "name": "x"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.5"}, {"fixed": "1.7"}]}]}


def _bom(path: Path, versions: list[str]) -> Path:
    comps = [{"type": "library", "bom-ref": f"c{i}", "name": "x", "version": v, "purl": f"pkg:pypi/x@{v}"}
             for i, v in enumerate(versions)]
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": comps}))
    return path


def test_repeated_entries_of_a_record_count_once(tmp_path: Path) -> None:
    rec = record("PYSEC-2099-1", "x")
    rec["affected"] = [ENTRY] * 2000
    db = open_database(write_db(tmp_path / "db", [rec]), use_cache=False)
    (r,) = db.records_for("x")
    assert len(r.affected) == 1


def test_components_of_one_version_are_matched_once_each_ref_reported(tmp_path: Path) -> None:
    db = open_database(write_db(tmp_path / "db", [record(f"PYSEC-2099-{i}", "x", events=[
        {"introduced": "0"}, {"fixed": "2.0"}]) for i in range(50)]), use_cache=False)
    targets = [Target(f"c{i}", "x", "1.6") for i in range(3000)]
    budget = MatchBudget(left=1000)  # one version costs 100: matched once, reused for 3,000 refs
    matches, _ = match_all(db, targets, budget)
    assert not budget.unchecked
    assert len(matches) == 50 * 3000 and {m.target.ref for m in matches} == {t.ref for t in targets}


def test_past_the_budget_components_are_unchecked_not_unaffected(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(match, "MAX_MATCH_CHECKS", 400)
    db = write_db(tmp_path / "db", [record(f"PYSEC-2099-{i}", "x", events=[{"introduced": "1.5"}, {"fixed": "1.7"}])
                                    for i in range(100)])
    bom = _bom(tmp_path / "b.json", [f"1.{i}" for i in range(10)])  # 200 checks each: two fit
    out = tmp_path / "out.json"
    assert main(["audit", str(bom), "--vuln-db", str(db), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "2 PyPI component(s) checked (8 not checked: the audit is incomplete)" in err, err
    doc = json.loads(out.read_text())
    props = [p["value"] for p in doc["metadata"].get("properties", []) if p["name"] == "mlbom:finding"]
    assert any("vuln.audit-incomplete" in v for v in props), props
    capsys.readouterr()
    assert main(["audit", str(bom), "--vuln-db", str(db), "-o", str(out), "--fail-on", "critical"]) == 1
    assert "not checked (the audit is incomplete)" in capsys.readouterr().err


def test_the_hostile_pair_is_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """2,000 one-entry records × 2,000 components of their package: 28 s before; now the budget ends it."""
    db = write_db(tmp_path / "db", [record(f"PYSEC-2099-{i}", "x", events=[{"introduced": "100"}, {"fixed": "101"}])
                                    for i in range(2000)])
    bom = _bom(tmp_path / "b.json", [f"1.{i}" for i in range(2000)])
    assert main(["audit", str(bom), "--vuln-db", str(db), "-o", str(tmp_path / "o.json"), "--no-cache"]) == 0
    assert "not checked: the audit is incomplete" in capsys.readouterr().err


def test_a_git_range_costs_its_events_for_a_vcs_install(tmp_path: Path) -> None:
    """Red team 51f-3: one GIT range of 15,000 commits against 3,000 VCS installs took 18 s and called the
    audit complete; a VCS install now pays for every event of the GIT ranges it walks."""
    commits = [f"{i:040x}" for i in range(3000)]
    rec = record("PYSEC-2099-1", "x")
    rec["affected"] = [{"package": {"ecosystem": "PyPI", "name": "x"}, "ranges": [
        {"type": "GIT", "repo": "https://github.com/a/x", "events": [{"introduced": c} for c in commits]}]}]
    db = open_database(write_db(tmp_path / "db", [rec]), use_cache=False)
    targets = [Target(f"c{i}", "x", "1.0", "https://github.com/a/x", f"{i + 5000:040x}") for i in range(400)]
    budget = MatchBudget(left=100_000)
    match_all(db, targets, budget)
    assert 0 < len(budget.unchecked) < 400  # 3,002 each: 33 fit
    plain = MatchBudget(left=100_000)
    match_all(db, [Target(f"p{i}", "x", f"1.{i}") for i in range(400)], plain)
    assert not plain.unchecked  # (a version install skips GIT ranges: 2 each)
