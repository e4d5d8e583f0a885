"""Red team 91c: vulnerability matching and VEX in time linear in the input (exit 0/1/2, one line per
problem and never "internal error"; nothing good is lost; the work counted, not timed).

91c-1: an OSV range ``introduced: 0`` then 45,000 × ``last_affected: "1"`` against 1,000 components
``foo@1+lN`` took 22 s: ``_in_range`` stepped back over every ``last_affected`` equal to the version,
one comparison each, for each distinct version string. Each run of equal versions now knows its last
event that is not ``last_affected`` (``_EcoRange.acting``), so a check is one binary search and at most
two run skips; the matching budget charges a range the steps of that search.

91c-2: two ``affected`` entries of 25,000 ``fixed`` each, against 1,000 affected components, took 35 s
and 280 MB: every component merged and sorted every fixed version again, though only the nearest was
used. Each entry now gives its first fixed version above the component by one binary search, the
lowest of them is kept (``Match.fixed``), and the budget charges an entry that search.

91c-3: ``audit --vex`` with 5,000 OpenVEX statements naming one advisory of 1,000 affects took 24 s and
printed 5,000 lines: each statement parsed the purl of every affect again. Each vulnerability's product
keys are now built once, when a statement first names it; more than ``MAX_VEX_REPORT_LINES`` statements
of one kind not applied are one stderr line (their count and the first three).

The inputs are written here.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from mlbom.cli import main
from tests.helpers import quiet_output


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _osv(folder: Path, rid: str, affected: list[dict[str, object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rec = {"schema_version": "1.6.0", "id": rid, "modified": "2024-01-01T00:00:00Z", "affected": affected}
    (folder / f"{rid}.json").write_text(json.dumps(rec, separators=(",", ":")))
    return folder


def _bom(path: Path, versions: list[str], name: str = "foo") -> Path:
    comps = [{"type": "library", "bom-ref": f"c{i}", "name": name, "version": v,
              "purl": f"pkg:pypi/{name}@{v.replace('+', '%2B')}"} for i, v in enumerate(versions)]
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                                "serialNumber": "urn:uuid:3c5653d6-43fc-5049-9cab-f4f005b9da03", "components": comps}))
    return path


class _Compares:
    """Counts comparisons of ``packaging`` versions (the matcher's unit of work)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.n = 0
        lt, eq = Version.__lt__, Version.__eq__

        def count_lt(a: Version, b: object) -> bool:
            self.n += 1
            return lt(a, b)  # type: ignore[arg-type]

        def count_eq(a: Version, b: object) -> bool:
            self.n += 1
            return eq(a, b)

        monkeypatch.setattr(Version, "__lt__", count_lt)
        monkeypatch.setattr(Version, "__eq__", count_eq)


def _per_component(tmp_path: Path, db: Path, versions: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> float:
    """Version comparisons each further component costs an audit (the audit of ``versions(200)`` less
    that of ``versions(100)``, over 100): preparing the records once is not counted."""
    counts = []
    for n in (100, 200):
        bom = _bom(tmp_path / f"bom{n}.json", versions(n))
        with monkeypatch.context() as m:
            work = _Compares(m)
            assert main(["audit", str(bom), "--vuln-db", str(db), "-o", str(tmp_path / "o.json"), "--no-cache"]) == 0
        _, err = quiet_output(capsys)
        assert f"{n} PyPI component(s) checked;" in err and "not checked" not in err, err
        counts.append(work.n)
    return (counts[1] - counts[0]) / 100


def _affects(out: Path) -> dict[str, set[str]]:
    doc = json.loads(out.read_text())
    return {v["id"]: {a["ref"] for a in v.get("affects", [])} for v in doc.get("vulnerabilities", [])}


# -- 91c-1 --------------------------------------------------------------------------------------------------


def test_91c1_repeated_last_affected_is_one_search_per_version(tmp_path: Path, capsys: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    events, comps = 5_000, 100
    db = _osv(tmp_path / "db", "PYSEC-0000-1", [{"package": {"ecosystem": "PyPI", "name": "foo"}, "ranges": [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}] + [{"last_affected": "1"}] * events}]}])
    bom = _bom(tmp_path / "bom.json", [f"1+l{i}" for i in range(comps)])
    out = tmp_path / "out.json"
    work = _Compares(monkeypatch)
    rc = main(["audit", str(bom), "--vuln-db", str(db), "-o", str(out), "--no-cache"])
    _, err = quiet_output(capsys)
    assert rc == 0 and f"{comps} PyPI component(s) checked;" in err and "not checked" not in err, err
    # nothing lost: 1+lN is 1 in its public part, and last_affected: 1 names it (PEP 440, red team 8c T2)
    assert _affects(out) == {"PYSEC-0000-1": {f"c{i}" for i in range(comps)}}
    # before: each distinct version compared with every last_affected, 100 × 5,000 = 500,000
    assert work.n < 40_000, work.n
    # and each further component: one binary search (13 steps) and a run skip, before 5,000 comparisons
    assert _per_component(tmp_path, db, lambda n: [f"1+l{i}" for i in range(n)], capsys, monkeypatch) < 100


def test_91c1_the_budget_charges_a_range_its_search(tmp_path: Path) -> None:
    """A range costs each check the steps of a binary search over its events (before: 1 whatever its
    length), so a database of many long ranges reaches ``MAX_MATCH_CHECKS`` as its work grows."""
    from mlbom.vulns.db import open_database
    from mlbom.vulns.match import MatchBudget, Target, match_all

    db = open_database(_osv(tmp_path / "db", "PYSEC-0000-1", [{"package": {"ecosystem": "PyPI", "name": "foo"}, "ranges": [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}] + [{"last_affected": "1"}] * 5_000}]}]), use_cache=False)
    budget = MatchBudget(left=10_000)
    matches, _ = match_all(db, [Target(f"c{i}", "foo", f"1+l{i}") for i in range(100)], budget)
    assert len(matches) == 100 and not budget.unchecked
    assert 10_000 - budget.left == 100 * (1 + 13)  # an entry without fixed versions 1, 5,001 events 13 steps
    small = MatchBudget(left=1_000)
    match_all(db, [Target(f"c{i}", "foo", f"1+l{i}") for i in range(100)], small)
    assert len(small.unchecked) == 100 - 1_000 // 14


def _spec_in_range(v: Version, public: Version | None, events: list[tuple[str, str]]) -> bool:
    """The OSV evaluation, written out as the spec gives it: sort, walk every event."""
    limits = [e for k, e in events if k == "limit"]
    if limits and "*" not in limits and not any(v < Version(x) for x in limits):
        return False
    rank = sorted(((0, Version("0")) if (k, e) == ("introduced", "0") else (1, Version(e)), i, k)
                  for i, (k, e) in enumerate(events) if k != "limit")
    state = False
    for (tier, bound), _, kind in rank:
        cmp = v if public is None or bound.local is not None else public
        if kind == "introduced" and (tier == 0 or bound <= v):
            state = True
        elif (kind == "fixed" and bound <= v) or (kind == "last_affected" and bound < cmp):
            state = False
    return state


def test_91c1_osv_semantics_unchanged_on_random_ranges() -> None:
    from mlbom.vulns import match
    from mlbom.vulns.osv import Event, Range

    pool = ["0", "1", "1.0", "1+a", "1+b", "1.0+a", "2", "2+a", "0.5", "1.5", "3"]
    rnd = random.Random(91)
    for _ in range(3_000):
        events = [(rnd.choice(["introduced", "fixed", "last_affected", "limit"]), rnd.choice(pool))
                  for _ in range(rnd.randint(0, 9))]
        prepared = match._prepare_range(Range("ECOSYSTEM", None, tuple(Event(k, e) for k, e in events)))  # type: ignore[arg-type]
        for text in [*pool, "0.1", "1.2", "4", "1+c", "2+b"]:
            v = Version(text)
            public = Version(v.public) if v.local else None
            assert match._in_range(v, prepared, public) == _spec_in_range(v, public, events), (events, text)


# -- 91c-2 --------------------------------------------------------------------------------------------------


def test_91c2_only_the_nearest_fixed_version_is_found(tmp_path: Path, capsys: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two entries (differing only in ``versions``) of 3,000 ``fixed`` each, against 100 components:
    each component pays one binary search per entry, never a merge and sort of 6,000 versions."""
    fixed, comps = 3_000, 100
    entry = {"package": {"ecosystem": "PyPI", "name": "foo"}, "ranges": [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}] + [{"fixed": f"1.{i}"} for i in range(fixed)]}]}
    db = _osv(tmp_path / "db", "PYSEC-0000-2", [{**entry, "versions": ["a"]}, {**entry, "versions": ["b"]}])
    bom = _bom(tmp_path / "bom.json", [f"0.5+l{i}" for i in range(comps)])
    out = tmp_path / "out.json"
    work = _Compares(monkeypatch)
    rc = main(["audit", str(bom), "--vuln-db", str(db), "-o", str(out), "--no-cache"])
    _, err = quiet_output(capsys)
    assert rc == 0 and f"{comps} PyPI component(s) checked;" in err and "not checked" not in err, err
    assert _affects(out) == {"PYSEC-0000-2": {f"c{i}" for i in range(comps)}}
    (vuln,) = json.loads(out.read_text())["vulnerabilities"]
    recs = vuln["recommendation"]
    assert all(f"Upgrade foo from 0.5+l{i} to 1.0 or later (the nearest fixed version)." in recs for i in range(comps))
    # before: the 6,000 fixed versions merged and sorted again per component (380,000 in all)
    assert work.n < 200_000, work.n
    # each further component: one range search and one fixed search per entry; before some 3,000
    assert _per_component(tmp_path, db, lambda n: [f"0.5+l{i}" for i in range(n)], capsys, monkeypatch) < 200


def test_91c2_the_nearest_fixed_version_across_entries(tmp_path: Path) -> None:
    """Nothing lost: the lowest fixed version above the installed one over every entry naming the
    package, whichever entry matched; the budget charges an entry one search over its fixed versions."""
    from mlbom.vulns.db import open_database
    from mlbom.vulns.match import MatchBudget, Target, match_all

    def rng(*events: dict[str, str]) -> dict[str, object]:
        return {"package": {"ecosystem": "PyPI", "name": "foo"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, *events]}]}

    db = open_database(_osv(tmp_path / "db", "PYSEC-0000-2", [
        rng({"fixed": "3.0"}, {"fixed": "1.0"}, {"introduced": "2.0"}), rng({"fixed": "2.5"}, {"introduced": "2.2"}),
        {"package": {"ecosystem": "PyPI", "name": "foo"}, "versions": ["9.9"]}]), use_cache=False)
    budget = MatchBudget(left=1_000)
    got = {m.target.version: m.fixed for m in match_all(db, [Target(f"r{v}", "foo", v) for v in
                                                          ("0.5", "2.1", "2.3", "2.7", "9.9")], budget)[0]}
    assert got == {"0.5": "1.0", "2.1": "2.5", "2.3": "2.5", "2.7": "3.0", "9.9": None}
    # per version: 2 fixed (1 step) + 4 events (2), 1 fixed (1) + 3 events (2), a listing alone (1)
    assert 1_000 - budget.left == 5 * ((1 + 2) + (1 + 2) + 1)


# -- 91c-3 --------------------------------------------------------------------------------------------------


def _openvex(path: Path, statements: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "t",
                                "timestamp": "2024-01-01T00:00:00Z", "version": 1, "statements": statements}))
    return path


def test_91c3_vex_statements_do_not_parse_every_affect_again(tmp_path: Path, capsys: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom.vulns import vex

    comps, statements = 100, 500
    db = _osv(tmp_path / "db", "PYSEC-0000-3", [{"package": {"ecosystem": "PyPI", "name": "foo"},
                                                 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}])
    bom = _bom(tmp_path / "bom.json", [f"1.0+l{i}" for i in range(comps)])
    doc = _openvex(tmp_path / "vex.json", [
        *({"vulnerability": {"name": "PYSEC-0000-3"}, "products": [{"@id": f"pkg:pypi/bar{i}"}],
           "status": "not_affected", "justification": "component_not_present"} for i in range(statements)),
        {"vulnerability": {"name": "PYSEC-0000-3"}, "products": [{"@id": "pkg:pypi/foo"}],
         "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}])
    parses = 0
    real = vex.purl_type

    def counted(purl: str) -> str | None:
        nonlocal parses
        parses += 1
        return real(purl)

    monkeypatch.setattr(vex, "purl_type", counted)
    out = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--vuln-db", str(db), "--vex", str(doc), "-o", str(out), "--no-cache"])
    _, err = quiet_output(capsys)
    assert rc == 0, err
    assert parses <= comps, parses  # before: every statement parsed every affect's purl, 501 × 100
    vex_lines = [line for line in err.splitlines() if "VEX:" in line]
    assert vex_lines == [f"mlbom: VEX: {statements} statements match no vulnerability of this BOM; not applied "
                         "(first: vex.json#0 (PYSEC-0000-3), vex.json#1 (PYSEC-0000-3), vex.json#2 (PYSEC-0000-3); "
                         f"and {statements - 3} more)"], vex_lines
    # nothing lost: the last statement covers foo and is applied to the advisory of every component
    (vuln,) = json.loads(out.read_text())["vulnerabilities"]
    assert vuln["analysis"]["state"] == "not_affected" and vuln["analysis"]["justification"] == "code_not_reachable"
    assert {a["ref"] for a in vuln["affects"]} == {f"c{i}" for i in range(comps)}


def test_91c3_a_few_statements_not_applied_are_a_line_each() -> None:
    """Ordinary files keep one line per statement up to MAX_VEX_REPORT_LINES; the rule is per kind."""
    import datetime as dt

    from mlbom.model import VulnAnalysis, Vulnerability
    from mlbom.vulns import vex

    now = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    few = [vex.Statement(f"v#{i}", frozenset({"X-1"}), (), VulnAnalysis(state="resolved")) for i in range(5)]
    expired = [vex.Statement(f"e#{i}", frozenset({"X-1"}), (), VulnAnalysis(state="resolved"),
                             dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)) for i in range(6)]
    _, report = vex.apply([Vulnerability(bom_ref="y", id="Y-1")], [*few, *expired], {}, now)
    assert report[:5] == [f"v#{i}: matches no vulnerability of this BOM (X-1); not applied" for i in range(5)]
    assert report[5:] == ["6 statements are expired; not applied (first: e#0, e#1, e#2; and 3 more)"]
