"""Red team 92c, the vulnerability paths: work bounded by what the inputs hold (exit 0/1/2, never
"internal error", nothing good lost).

92c-3: one valid OSV record naming N PyPI packages was filed, and written to the index cache, once
whole per package it names: N x N entries (324 KB, 5,000 packages: ``internal error: MemoryError``
after 52 s at 3.9 GB). The index now keeps each record once; a package holds a reference to it and
its own ``affected`` entries (``mlbom.vulns.db.Entries``), in memory and in the cache file.

92c-4: each component walked every ``affected`` entry of every record naming it, and the matching
budget charged only the entry naming it (14,000 components x one record of 14,000 entries: 14.5 s).
A component now visits its own entries only, and every entry visited is charged.

92c-5: ``audit --vex``: each statement covering only part of a vulnerability sorted and joined all
the other packages into a report line that was then only counted (11,000 statements x 5,000
affects: 16.6 s, 942 MB). A line is now spelled only when printed; the rest are counted.

The inputs are written here.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from mlbom.vulns import audit as vaudit
from mlbom.vulns import db as vdb
from mlbom.vulns import match as vmatch
from tests.helpers import quiet_output

_quiet = quiet_output


@pytest.fixture(autouse=True)
def _cache(isolated_cache: Path) -> Path:
    return isolated_cache


def _wide_record(folder: Path, n: int) -> Path:
    """One record of ``n`` PyPI packages ``p0``…: ``p0`` is affected at version 1, the others at 1 too."""
    folder.mkdir()
    aff = [{"package": {"ecosystem": "PyPI", "name": f"p{i}"}, "versions": ["1"]} for i in range(n)]
    rec = {"id": "PYSEC-0000-1", "modified": "2024-01-01T00:00:00Z", "summary": "wide", "affected": aff}
    (folder / "PYSEC-0000-1.json").write_text(json.dumps(rec, separators=(",", ":")))
    return folder / "PYSEC-0000-1.json"


def _bom(path: Path, comps: list[tuple[str, str]]) -> Path:
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "bom-ref": f"r-{n}", "name": n, "version": v, "purl": f"pkg:pypi/{n}@{v}"}
        for n, v in comps]}, separators=(",", ":")))
    return path


def _affected_refs(out: Path) -> dict[str, list[str]]:
    doc = json.loads(out.read_text())
    return {v["id"]: sorted(a["ref"] for a in v.get("affects", [])) for v in doc.get("vulnerabilities", [])}


# ---------------------------------------------------------------------------------------------
# 92c-3


def test_92c3_a_record_of_many_packages_is_cached_once_not_once_per_package(tmp_path: Path, _cache: Path,
                                                                           capsys: Any) -> None:
    n = 600
    record = _wide_record(tmp_path / "db", n)
    bom = _bom(tmp_path / "bom.json", [("p0", "1"), ("p7", "2")])
    for run in ("built", "from the cache"):
        out = tmp_path / f"out-{run}.json"
        rc = main(["audit", str(bom), "--vuln-db", str(tmp_path / "db"), "--fail-on", "low", "-o", str(out)])
        _, err = _quiet(capsys)
        assert rc == 1, (run, err)  # found, the gate trips, in both runs: nothing good lost
        assert _affected_refs(out) == {"PYSEC-0000-1": ["r-p0"]}, run
    (index,) = (_cache / "osv").glob("index-*.bin")
    # linear in the record: it is stored once (it was n times whole: 600 x 37 KB = 22 MB)
    assert index.stat().st_size < 3 * record.stat().st_size, index.stat().st_size


def test_92c3_each_package_holds_the_one_record_and_its_own_entries(tmp_path: Path) -> None:
    _wide_record(tmp_path / "db", 300)
    for db in (vdb.open_database(tmp_path / "db"), vdb.open_database(tmp_path / "db")):
        got = [db.entries_for(f"p{i}") for i in (0, 5, 299)]
        assert [[(r.id, tuple(a.name for a in own)) for r, own in e] for e in got] == \
            [[("PYSEC-0000-1", (name,))] for name in ("p0", "p5", "p299")]
        assert got[0][0][0] is got[1][0][0] is got[2][0][0]  # one record object, shared
        assert len(got[0][0][0].affected) == 300  # the record itself is whole (its other entries kept)
    assert db.from_cache


# ---------------------------------------------------------------------------------------------
# 92c-4


class _Counting(tuple):  # type: ignore[type-arg]
    """A record's ``affected`` that counts the entries walked."""

    walked = 0

    def __iter__(self) -> Any:
        for x in super().__iter__():
            _Counting.walked += 1
            yield x


def test_92c4_a_component_walks_and_is_charged_for_its_own_entries_only(tmp_path: Path) -> None:
    n = 800
    _wide_record(tmp_path / "db", n)
    db = vdb.open_database(tmp_path / "db", use_cache=False)
    for name in db.names():
        for rec in db.records_for(name):
            object.__setattr__(rec, "affected", _Counting(rec.affected))
    targets = [vmatch.Target(f"r{i}", f"p{i}", "1" if i == 0 else "2") for i in range(n)]
    budget = vmatch.MatchBudget()
    _Counting.walked = 0
    matches, findings = vmatch.match_all(db, targets, budget)
    assert [(m.record.id, m.target.ref) for m in matches] == [("PYSEC-0000-1", "r0")] and not findings
    assert not budget.unchecked
    # n components, each its one entry (it was n x n = 640,000 entries walked)
    assert _Counting.walked <= 2 * n, _Counting.walked
    assert vmatch.MAX_MATCH_CHECKS - budget.left >= n  # every entry visited was charged


def test_92c4_cli_many_components_of_one_wide_record(tmp_path: Path, capsys: Any) -> None:
    n = 2000
    _wide_record(tmp_path / "db", n)
    bom = _bom(tmp_path / "bom.json", [(f"p{i}", "1" if i == 3 else "2") for i in range(n)])
    out = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--no-cache", "--vuln-db", str(tmp_path / "db"), "--fail-on", "low", "-o", str(out)])
    _, err = _quiet(capsys)
    assert rc == 1, err
    assert _affected_refs(out) == {"PYSEC-0000-1": ["r-p3"]}


# ---------------------------------------------------------------------------------------------
# 92c-5


def _shared_alias(tmp_path: Path, n: int, statements: list[str]) -> tuple[Path, Path, Path]:
    """``n`` one-package records sharing one alias (one vulnerability of ``n`` affects once merged), a
    BOM of the ``n`` packages, and an OpenVEX file of one ``fixed`` statement per product listed."""
    recs = [{"id": f"GHSA-aaaa-bbbb-{i:04d}", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2024-0001"],
             "affected": [{"package": {"ecosystem": "PyPI", "name": f"p{i}"}, "versions": ["2"]}]} for i in range(n)]
    db = tmp_path / "db.json"
    db.write_text(json.dumps(recs, separators=(",", ":")))
    bom = _bom(tmp_path / "bom.json", [(f"p{i}", "2") for i in range(n)])
    st = [{"vulnerability": "CVE-2024-0001", "status": "fixed", "products": [p]} for p in statements]
    vex = tmp_path / "vex.json"
    vex.write_text(json.dumps({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a",
                               "timestamp": "2024-01-01T00:00:00Z", "version": 1, "statements": st}))
    return db, bom, vex


def _audit_vex(tmp_path: Path, db: Path, bom: Path, vex: Path, capsys: Any) -> tuple[int, list[str], Path]:
    out = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--no-cache", "--vuln-db", str(db), "--vex", str(vex), "-o", str(out)])
    _, err = _quiet(capsys)
    return rc, err.splitlines(), out


def test_92c5_partial_statements_are_counted_not_spelled(tmp_path: Path, capsys: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    n, m = 1000, 2000
    db, bom, vex = _shared_alias(tmp_path, n, [f"pkg:pypi/p{j % n}" for j in range(m)])
    peak: list[int] = []
    real = vaudit.apply_vex

    def measured(*args: Any, **kwargs: Any) -> Any:
        tracemalloc.start()
        try:
            return real(*args, **kwargs)
        finally:
            peak.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()

    monkeypatch.setattr(vaudit, "apply_vex", measured)
    rc, lines, out = _audit_vex(tmp_path, db, bom, vex, capsys)
    assert rc == 0
    partial = [x for x in lines if "cover only part" in x]
    assert partial == [f"mlbom: VEX: {m} statements cover only part of a vulnerability; not applied (first: "
                       f"vex.json#0 (GHSA-aaaa-bbbb-0000), vex.json#1 (GHSA-aaaa-bbbb-0000), vex.json#2 "
                       f"(GHSA-aaaa-bbbb-0000); and {m - 3} more)"], lines
    doc = json.loads(out.read_text())
    (v,) = doc["vulnerabilities"]
    assert len(v["affects"]) == n and "analysis" not in v  # found, and no partial statement applied
    # no line of the 999 other packages per statement (it was 2,000 x ~7 KB kept: 14 MB and more)
    assert peak and peak[0] < 4 << 20, peak


def test_92c5_few_partial_statements_still_name_what_they_miss(tmp_path: Path, capsys: Any) -> None:
    db, bom, vex = _shared_alias(tmp_path, 4, ["pkg:pypi/p1", "pkg:pypi/p2"])
    rc, lines, _ = _audit_vex(tmp_path, db, bom, vex, capsys)
    assert rc == 0
    assert [x for x in lines if "covers only part" in x] == [
        "mlbom: VEX: vex.json#0: covers only part of GHSA-aaaa-bbbb-0000 (not pkg:pypi/p0, pkg:pypi/p2, pkg:pypi/p3); "
        "not applied",
        "mlbom: VEX: vex.json#1: covers only part of GHSA-aaaa-bbbb-0000 (not pkg:pypi/p0, pkg:pypi/p1, pkg:pypi/p3); "
        "not applied"], lines
