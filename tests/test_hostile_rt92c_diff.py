"""Red team 92c, ``diff`` and ``report --previous`` (exit 0/1/2; never "internal error"; nothing good is lost).

92c-8: a ``modelCard`` leaf changed from ``1`` to ``true`` read as "no differences" (exit 0, a
``--fail-on model-card-change`` gate not tripped): Python's ``==`` (``1 == True``) was asked of the
whole component, the whole card and the release before the field walk, whose leaf rule
(``_same_leaf``: JSON type and text) says they differ. Every shortcut now uses that rule
(``mlbom.diff._same_json``); ``1`` and ``1.0`` differ as their JSON text does.

92c-6: two 157 KB BOMs, each with one vulnerability of 3,000 reference ids and 3,000 affects (rated
low, then critical): ``diff`` took 28.7 s and 940 MB, ``report --previous`` 26.8 s: the comparison
keyed every (id, component) pair of an entry (ids x affects) and, per new place, walked and sorted
all the entry's ids. Ids are now grouped into flaws once (union-find over each entry's ids, both
BOMs) and every map is keyed by (flaw, component): work linear in ids + affects, counted here as
calls of ``finding_rank`` (the old code made one per pair), not seconds. One diff lists at most
``MAX_VULNERABILITY_CHANGES`` new-vulnerability changes; the rest are one change per severity, so a
``--fail-on new-vulnerability`` gate still trips.

The inputs are written here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import mlbom.diff
from mlbom.cli import main
from tests.helpers import quiet_output

VULN_CAP = 10_000  # mlbom.diff.MAX_VULNERABILITY_CHANGES, written out so that this file runs on the old code

_LEAF = "modelCard.considerations.environmentalConsiderations.energyConsumptions[0].activityEnergyCost.value"


def _model(val: object, where: str) -> dict[str, object]:
    card = {"considerations": {"environmentalConsiderations": {"energyConsumptions": [
        {"activity": "training", "energyProviders": [], "activityEnergyCost": {"value": val, "unit": "kWh"}}]}}}
    c: dict[str, object] = {"type": "machine-learning-model", "bom-ref": "m", "name": "m", "version": "1", "modelCard": card}
    if where == "release":
        return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "metadata": {"component": c}}
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [c]}


def _pair(tmp_path: Path, old: object, new: object, where: str = "component") -> tuple[str, str]:
    a, b = tmp_path / "old.json", tmp_path / "new.json"
    a.write_text(json.dumps(_model(old, where)))
    b.write_text(json.dumps(_model(new, where)))
    return str(a), str(b)


@pytest.mark.parametrize("where", ["component", "release"])
@pytest.mark.parametrize(("old", "new", "shown"), [(1, True, "1 -> true"), (0, False, "0 -> false"),
                                                   (True, 1, "true -> 1"), (1, 1.0, "1 -> 1.0"), (1, 2, "1 -> 2")])
def test_a_leaf_of_another_json_type_is_a_change(tmp_path: Path, capsys: Any, where: str, old: object, new: object,
                                                  shown: str) -> None:
    a, b = _pair(tmp_path, old, new, where)
    assert main(["diff", a, b, "--fail-on", "model-card-change"]) == 1
    out, err = quiet_output(capsys)
    assert f"model-card-change  {'(release)' if where == 'release' else 'machine-learning-model:/m'}  {_LEAF}: {shown}" in out
    assert len(err.strip().splitlines()) == 1 and "1 change(s) match --fail-on model-card-change" in err
    assert main(["diff", a, b, "--format", "json"]) == 0
    changes = json.loads(quiet_output(capsys)[0])["changes"]
    assert [(c["kind"], c["detail"]) for c in changes] == [("model-card-change", _LEAF)]


@pytest.mark.parametrize("val", [1, True, 1.5, "1", None])
def test_the_same_leaf_is_no_change(tmp_path: Path, capsys: Any, val: object) -> None:
    a, b = _pair(tmp_path, val, val)
    assert main(["diff", a, b, "--fail-on", "any"]) == 0
    assert quiet_output(capsys) == ("no differences\n", "")


def test_member_order_is_no_change(tmp_path: Path, capsys: Any) -> None:
    a, b = _pair(tmp_path, 1, 1)
    doc = json.loads(Path(b).read_text())
    comp = doc["components"][0]
    doc["components"][0] = dict(reversed(list(comp.items())))
    Path(b).write_text(json.dumps(doc))
    assert main(["diff", a, b, "--fail-on", "any"]) == 0
    assert quiet_output(capsys) == ("no differences\n", "")


def test_report_previous_lists_the_change(tmp_path: Path, capsys: Any) -> None:
    a, b = _pair(tmp_path, 1, True)
    out = tmp_path / "rep.txt"
    assert main(["report", b, "--previous", a, "--format", "text", "-o", str(out)]) == 0
    quiet_output(capsys)
    assert _LEAF in out.read_text()


def _vuln_bom(entries: list[tuple[str, list[str], str, list[str], str]]) -> dict[str, object]:
    """One BOM whose vulnerabilities are ``(id, reference ids, severity, affected refs, state)``."""
    vulns = []
    for vid, refs, sev, affects, state in entries:
        v: dict[str, object] = {"id": vid, "references": [{"id": r, "source": {"name": "x"}} for r in refs],
                                "ratings": [{"severity": sev}], "affects": [{"ref": a} for a in affects]}
        if state:
            v["analysis"] = {"state": state}
        vulns.append(v)
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "vulnerabilities": vulns}


def _vuln_pair(tmp_path: Path, old: list[Any], new: list[Any]) -> tuple[str, str]:
    a, b = tmp_path / "old.json", tmp_path / "new.json"
    a.write_text(json.dumps(_vuln_bom(old), separators=(",", ":")))
    b.write_text(json.dumps(_vuln_bom(new), separators=(",", ":")))
    return str(a), str(b)


def _counted(monkeypatch: Any) -> list[int]:
    """Calls of ``finding_rank`` made by :mod:`mlbom.diff` (the old code ranked every (id, component) pair)."""
    calls = [0]
    rank = mlbom.diff.finding_rank

    def counted(severity: str) -> int:
        calls[0] += 1
        return rank(severity)

    monkeypatch.setattr(mlbom.diff, "finding_rank", counted)
    return calls


@pytest.mark.parametrize("command", ["diff", "report"])
def test_many_ids_times_many_affects_is_linear_work(tmp_path: Path, capsys: Any, monkeypatch: Any, command: str) -> None:
    # 92c-6 scaled down: 600 ids x 600 affects (the old code: 360,000 pairs, each ranked)
    n = 600
    ids, refs = [f"G{i}" for i in range(n)], [f"r{i}" for i in range(n)]
    a, b = _vuln_pair(tmp_path, [("CVE-2024-0001", ids, "low", refs, "")], [("CVE-2024-0001", ids, "critical", refs, "")])
    calls = _counted(monkeypatch)
    if command == "diff":
        assert main(["diff", a, b, "--format", "json", "--fail-on", "new-vulnerability:critical"]) == 1
        out, err = quiet_output(capsys)
        assert len(err.strip().splitlines()) == 1 and f"{n} change(s) match" in err
        changes = json.loads(out)["changes"]
        # nothing lost: every affected component is a change, rated worse than before
        assert sorted(c["detail"] for c in changes) == sorted(f"critical vulnerability in {r}" for r in refs)
        assert {(c["kind"], c["identity"], c["old"], c["severity"]) for c in changes} == {
            ("new-vulnerability", "CVE-2024-0001", "open, rated low", "critical")}
    else:
        rep = tmp_path / "rep.txt"
        assert main(["report", b, "--previous", a, "--format", "text", "-o", str(rep)]) == 0
        quiet_output(capsys)
        assert rep.read_text().count("critical vulnerability in r") == n
    assert calls[0] <= 5 * n, calls[0]


def test_aliases_still_match_through_other_entries(tmp_path: Path, capsys: Any) -> None:
    # renamed (GHSA -> PYSEC, linked by a reference): not new; reopened after a VEX `resolved`: new,
    # shown with the closed state; a known flaw on another component: new
    old = [("GHSA-1", [], "high", ["p"], ""), ("CVE-2", ["GHSA-2"], "high", ["p"], "resolved")]
    new = [("PYSEC-1", ["GHSA-1"], "high", ["p", "q"], ""), ("GHSA-2", [], "high", ["p"], "")]
    a, b = _vuln_pair(tmp_path, old, new)
    assert main(["diff", a, b, "--format", "json"]) == 0
    changes = json.loads(quiet_output(capsys)[0])["changes"]
    assert [(c["identity"], c["detail"], c["old"]) for c in changes] == [
        ("GHSA-2", "high vulnerability in p", "resolved"), ("PYSEC-1", "high vulnerability in q", None)]


def test_past_the_cap_the_rest_is_counted_and_the_gate_trips(tmp_path: Path, capsys: Any) -> None:
    refs = [f"r{i:05d}" for i in range(VULN_CAP + 50)]
    a, b = _vuln_pair(tmp_path, [], [("CVE-2024-0001", [], "critical", refs, ""), ("CVE-2024-0002", [], "low", ["x"], "")])
    assert main(["diff", a, b, "--format", "json", "--fail-on", "new-vulnerability:critical"]) == 1
    out, err = quiet_output(capsys)
    assert len(err.strip().splitlines()) == 1 and f"{VULN_CAP + 1} change(s) match" in err
    changes = json.loads(out)["changes"]
    assert len(changes) == VULN_CAP + 2
    assert [(c["detail"], c["severity"]) for c in changes[-2:]] == [
        (f"50 more critical new vulnerability change(s) not listed (a diff lists at most {VULN_CAP:,})", "critical"),
        (f"1 more low new vulnerability change(s) not listed (a diff lists at most {VULN_CAP:,})", "low")]
