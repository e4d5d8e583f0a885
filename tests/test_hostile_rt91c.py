"""Red team 91c: vulnerability matching and VEX in time linear in the input (exit 0/1/2, one line per
problem and never "internal error"; nothing good is lost; the work counted, not timed).

91c-1: an OSV range ``introduced: 0`` then 45,000 × ``last_affected: "1"`` against 1,000 components
``foo@1+lN`` took 22 s: ``_in_range`` stepped back over every ``last_affected`` equal to the version,
one comparison each, for each distinct version string. Each run of equal versions now knows its last
event that is not ``last_affected`` (``_EcoRange.acting``), so a check is one binary search and at most
two run skips; the matching budget charges a range the steps of that search.

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


def _quiet(capsys: Any) -> tuple[str, str]:
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err, err
    return str(out), str(err)


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
    _, err = _quiet(capsys)
    assert rc == 0 and f"{comps} PyPI component(s) checked;" in err and "not checked" not in err, err
    # nothing lost: 1+lN is 1 in its public part, and last_affected: 1 names it (PEP 440, red team 8c T2)
    assert _affects(out) == {"PYSEC-0000-1": {f"c{i}" for i in range(comps)}}
    # before: each distinct version compared with every last_affected, 100 × 5,000 = 500,000
    assert work.n < 40_000, work.n


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
