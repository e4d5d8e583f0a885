"""Red team 80c, the slow paths 80c-6…80c-9, through the CLI (exit 0/1/2, a bad input is ONE line
on stderr and never "internal error"; no input under 1 MB does super-linear work).

80c-6: an OSV zip of highly compressed members of ``[{},{},…]`` was schema-checked record by
record with no bound (34 s for 14 KB). 80c-7: ``audit --vex`` compared every statement with every
vulnerability (73 s). 80c-8: ``ReadBom.files_of`` scanned every component per dataset/model
(``report`` killed at 120 s, ``convert --to spdx3`` 84 s). 80c-9: ``convert --to spdx3`` tested
``affects`` targets by list membership (the SPDX bindings' ``__eq__``, 59 s). Inputs are written
here; work is asserted by counting calls, never by wall clock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from tests.helpers import quiet_output


def _one_line(capsys: Any) -> str:
    """The one stderr line of a refused input (a ``mlbom: hint:`` line may follow it)."""
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip() and not ln.startswith("mlbom: hint:")]
    assert len(err) == 1, err
    assert "internal error" not in err[0] and "Traceback" not in err[0], err
    return err[0]


def _write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc, separators=(",", ":")))
    return path


def _bom(components: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components, **extra}


# --- 80c-8: a model's or dataset's files come from one index ----------------------------------

def _count_type_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts reads of ``ReadComponent.type``: the old ``files_of`` read it for every component,
    once per dataset and model."""
    from mlbom import readmodel

    real = readmodel.ReadComponent.type
    calls = [0]

    def counting(self: readmodel.ReadComponent) -> str:
        calls[0] += 1
        return real.fget(self)  # type: ignore[attr-defined,no-any-return]

    monkeypatch.setattr(readmodel.ReadComponent, "type", property(counting))
    return calls


@pytest.mark.parametrize("command", [["report", "--format", "html"], ["report", "--format", "text"],
                                     ["report", "--format", "markdown"], ["convert", "--to", "spdx3"]])
def test_80c_8_files_of_does_not_scan_every_component_per_dataset(command: list[str], tmp_path: Path, capsys: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """1,500 datasets and 1,500 files, no dependencies (the red team's BOM had 10,000 + 10,000 and
    was killed at 120 s): before, every dataset scanned all 3,000 components (4.5 M reads of
    ``type``); now a binary search in an index built once. Each dataset's own file (``dN#part``)
    is still found: its size is summed in the report and in SPDX."""
    n = 1500
    comps = ([{"type": "data", "name": f"d{i}", "bom-ref": f"d{i}"} for i in range(n)]
             + [{"type": "file", "name": f"f{i}", "bom-ref": f"d{i}#part",
                 "properties": [{"name": "mlbom:file:size", "value": str(1000 + i)}]} for i in range(n)])
    bom = _write(tmp_path / "dsf.json", _bom(comps))
    calls = _count_type_reads(monkeypatch)
    out = tmp_path / "out"
    rc = main([command[0], str(bom), *command[1:], "-o", str(out)])
    quiet_output(capsys)[1]
    assert rc == 0
    assert calls[0] < 60 * n, calls[0]
    text = out.read_text()
    if command[0] == "convert":
        sizes = [e.get("dataset_datasetSize") for e in json.loads(text)["@graph"] if e.get("type") == "dataset_DatasetPackage"]
        assert sorted(s for s in sizes if s is not None) == sorted(1000 + i for i in range(n))
    else:
        from mlbom.limits import MAX_REPORT_SECTIONS

        # full sections for the first MAX_REPORT_SECTIONS datasets, the rest one row each (red team 122v-3)
        last = 1000 + MAX_REPORT_SECTIONS - 1
        assert "1000 bytes in 1 files" in text and f"{last} bytes in 1 files" in text
        assert f"{last + 1} bytes in 1 files" not in text and f"the first {MAX_REPORT_SECTIONS} of {n} datasets" in text


def test_80c_8_files_of_agrees_with_the_prefix_scan() -> None:
    """The index gives what the scan gave, in document order: refs extending ``ref#`` (nested
    ``#`` too, unless a longer dataset ref owns them: red team 123v-3), not ``ref`` itself, not
    ``ref$``/``ref#``'s neighbours, files only."""
    from mlbom.reader import loads
    from mlbom.readmodel import read

    refs = ["a#", "a#x0", "a#x#y", "a##", "a$", "a#\u00e9", "ab#c", "b#a#c", "a#\U0001f600", "a#!", "a\"#"]
    comps = [{"type": "data", "name": "a", "bom-ref": "a"}, {"type": "data", "name": "ax", "bom-ref": "a#x"},
             {"type": "data", "name": "e", "bom-ref": "a\""}]
    comps += [{"type": "file", "name": f"f{i}", "bom-ref": r} for i, r in enumerate(refs)]
    comps += [{"type": "library", "name": "lib", "bom-ref": "a#lib"}, {"type": "file", "name": "noref"}]
    v = read(loads(json.dumps(_bom(comps)).encode(), "x.json"))
    for c in v.components:
        if c.type != "data":
            continue
        # the nearest owner only: a file extending a longer dataset ref is that one's (red team 123v-3)
        nearer = [d.ref for d in v.components if d.type == "data" and len(d.ref) > len(c.ref)]
        want = [x for x in v.components if x.type == "file" and x.ref.startswith(c.ref + "#")
                and not any(x.ref.startswith(r + "#") for r in nearer)]
        assert v.files_of(c) == want, c.ref
    assert [f.ref for f in v.files_of(v.by_ref["a"])] == ["a#", "a#x0", "a##", "a#\u00e9", "a#\U0001f600", "a#!"]
    assert [f.ref for f in v.files_of(v.by_ref["a#x"])] == ["a#x#y"]


# --- 80c-9: SPDX VEX targets are told apart by identity -----------------------------------------

def test_80c_9_spdx_affects_targets_are_not_compared_pairwise(tmp_path: Path, capsys: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """600 libraries, 2 vulnerabilities each affecting all of them (and each twice, and once
    through a ``urn:cdx:…#ref``): before, each target was tested against the list of the ones
    before it with the bindings' ``__eq__`` (360,000 calls; 10,000 libraries took 59 s)."""
    from spdx_python_model import v3_0_1 as s

    n = 600
    comps = [{"type": "library", "name": f"a{i}", "bom-ref": f"a{i}"} for i in range(n)]
    affects = [{"ref": f"a{i}"} for i in range(n)] + [{"ref": f"a{i}"} for i in range(0, n, 7)]
    affects.append({"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#a5"})
    vulns = [{"id": f"CVE-2020-{1000 + j}", "affects": affects,
              "analysis": {"state": "not_affected", "justification": "code_not_reachable"}} for j in range(2)]
    bom = _write(tmp_path / "aff.json", _bom(comps, vulnerabilities=vulns))
    real = s.SHACLObject.__eq__
    calls = [0]

    def counting(self: Any, other: Any) -> Any:
        calls[0] += 1
        return real(self, other)

    monkeypatch.setattr(s.SHACLObject, "__eq__", counting)
    out = tmp_path / "aff.spdx.json"
    assert main(["convert", str(bom), "--to", "spdx3", "-o", str(out)]) == 0
    quiet_output(capsys)[1]
    assert calls[0] < 10 * n, calls[0]
    graph = json.loads(out.read_text())["@graph"]
    assoc = [e for e in graph if e.get("relationshipType") == "hasAssociatedVulnerability"]
    assert len(assoc) == 2 * n  # one per (library, vulnerability): repeats not doubled
    vex = [e for e in graph if e.get("type") == "security_VexNotAffectedVulnAssessmentRelationship"]
    assert len(vex) == 2 and all(len(e["to"]) == n for e in vex)


def test_80c_8_class_expired_policy_exceptions_are_not_compared_pairwise(tmp_path: Path, capsys: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The same class in the policy gate: 1,000 live and 1,000 expired exceptions were told apart
    by ``e not in expired``, comparing frozen dataclasses field by field (1.5 M ``__eq__``; a 1 MB
    policy of 20,000 ran for minutes). Every expired one is still reported, every live one unused."""
    from mlbom.policy.config import Exception_

    n = 2000
    pol = tmp_path / "pol.toml"
    pol.write_text("".join(f'[[exceptions]]\nid = "models.format"\ncomponent = "c{i}"\nreason = "r"\n'
                           f'expires = "{"2000-01-01" if i % 2 else "2999-01-01"}"\n\n' for i in range(n)))
    bom = _write(tmp_path / "bom.json", _bom([{"type": "library", "name": "requests", "version": "2.0.0",
                                              "purl": "pkg:pypi/requests@2.0.0", "bom-ref": "r"}]))
    calls = [0]
    real = Exception_.__eq__

    def counting(self: Any, other: Any) -> Any:
        calls[0] += 1
        return real(self, other)

    monkeypatch.setattr(Exception_, "__eq__", counting)
    out = tmp_path / "check.json"
    assert main(["check", str(bom), "--policy", str(pol), "--format", "json", "-o", str(out)]) == 0
    quiet_output(capsys)[1]
    assert calls[0] < n, calls[0]
    result = json.loads(out.read_text())
    assert sum(v["rule"] == "exceptions.expired" for v in result["violations"]) == n // 2
    assert len(result["unused_exceptions"]) == n // 2


def test_80c_8_class_inspected_datasets_are_not_compared_pairwise(tmp_path: Path, capsys: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The same class in the completeness score: a model card naming 1,000 datasets, half of them
    not inspected, tested each against the list of uninspected ones (500,000 comparisons)."""
    from mlbom import readmodel

    n = 1000
    comps: list[dict[str, Any]] = [{"type": "data", "name": f"d{i}", "bom-ref": f"d{i}", "properties": [
        {"name": "mlbom:dataset:inspected", "value": "true" if i % 2 else "false"}]} for i in range(n)]
    comps.append({"type": "machine-learning-model", "name": "m", "bom-ref": "m",
                  "modelCard": {"modelParameters": {"datasets": [{"ref": f"d{i}"} for i in range(n)]}}})
    bom = _write(tmp_path / "bom.json", _bom(comps))
    calls = [0]

    def counting(self: Any, other: Any) -> bool:
        calls[0] += 1
        return self is other

    monkeypatch.setattr(readmodel.ReadComponent, "__eq__", counting)
    out = tmp_path / "r.md"
    assert main(["report", str(bom), "--format", "markdown", "-o", str(out)]) == 0
    quiet_output(capsys)[1]
    assert calls[0] < n, calls[0]
    text = out.read_text()
    # the evidence cell is clipped, failures first, and says so (red team 123v-4: MAX_REPORT_CELL_CHARS a cell)
    assert "d0: not inspected" in text and "d2: not inspected" in text and "characters in all)" in text


# --- 80c-7: VEX statements look up the vulnerabilities they name ---------------------------------

def test_80c_7_vex_statements_do_not_visit_every_vulnerability() -> None:
    """400 vulnerabilities, 2,000 statements naming other ids, a few naming one by alias, by
    product: before, every statement rebuilt the id set of every vulnerability (each one's
    aliases walked 2,000 times; the red team's 20,000 x 4,000 took 73 s)."""
    import datetime as dt

    from mlbom.model import VulnAffect, VulnAnalysis, Vulnerability, VulnReference, VulnSource
    from mlbom.vulns.vex import Statement, apply

    walks = [0]

    class Counted(tuple):  # type: ignore[type-arg]
        def __iter__(self) -> Any:
            walks[0] += 1
            return super().__iter__()

    n, s = 400, 2000
    src = VulnSource(name="x")
    vulns = [Vulnerability.model_construct(bom_ref=f"v{i}", id=f"PYSEC-{i}", references=Counted(
        [VulnReference(id=f"CVE-2020-{i}", source=src)]), affects=(VulnAffect(ref=f"r{i % 3}"),), properties=())
        for i in range(n)]
    fixed = VulnAnalysis(state="resolved", detail="")
    sts = [Statement(f"vex.json#{j}", frozenset({f"Y-{j}"}), (), fixed, None) for j in range(s)]
    sts.append(Statement("vex.json#alias", frozenset({"CVE-2020-7"}), (), fixed, None))
    sts.append(Statement("vex.json#product", frozenset({"PYSEC-8", "PYSEC-9"}), ("pkg:pypi/b",), fixed, None))
    purls = {"r0": "pkg:pypi/a@1.0", "r1": "pkg:pypi/b@1.0", "r2": "pkg:pypi/c@1.0"}
    out, report = apply(vulns, sts, purls, dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    assert walks[0] < 4 * n, walks[0]
    assert [v.id for v in out if v.analysis is not None] == ["PYSEC-7"]  # PYSEC-8 affects c, PYSEC-9 a: not b
    # the product one too; so many are one line (red team 91c-3: MAX_VEX_REPORT_LINES)
    assert report == [f"{s + 1} statements match no vulnerability of this BOM; not applied "
                      "(first: vex.json#0 (Y-0), vex.json#1 (Y-1), vex.json#2 (Y-2); "
                      f"and {s - 2} more)"], report


def test_80c_7_vex_through_the_cli(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``audit --vex`` with 600 advisories and 3,000 statements: each statement that names one
    of them (by id or by alias, by product) is applied, each that does not is reported once."""
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    n, s = 600, 3000
    recs = [{"id": f"PYSEC-{i}", "modified": "2020-01-01T00:00:00Z", "aliases": [f"CVE-2020-{i}"],
             "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"}, "versions": ["2.0.0"]}]} for i in range(n)]
    db = _write(tmp_path / "db.json", recs)
    st: list[dict[str, Any]] = [{"vulnerability": f"Y-{i}", "status": "fixed"} for i in range(s)]
    st += [{"vulnerability": {"name": "CVE-2020-5"}, "status": "not_affected", "justification": "component_not_present"},
           {"vulnerability": "PYSEC-6", "status": "fixed", "products": [{"@id": "pkg:pypi/requests@2.0.0"}]}]
    vex = _write(tmp_path / "vex.json", {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a",
                                         "timestamp": "2024-01-01T00:00:00Z", "version": 1, "statements": st})
    bom = _write(tmp_path / "bom.json", _bom([{"type": "library", "name": "requests", "version": "2.0.0",
                                              "purl": "pkg:pypi/requests@2.0.0", "bom-ref": "r"}]))
    out = tmp_path / "audit.json"
    rc = main(["audit", str(bom), "--vuln-db", str(db), "--vex", str(vex), "-o", str(out)])
    err = quiet_output(capsys)[1]
    assert rc in (0, 1)
    assert "matches no vulnerability" not in err  # one line for all (red team 91c-3)
    assert f"VEX: {s} statements match no vulnerability of this BOM; not applied" in err, err
    states = {v["id"]: (v.get("analysis") or {}).get("state") for v in json.loads(out.read_text())["vulnerabilities"]}
    assert len(states) == n
    assert states["PYSEC-5"] == "not_affected" and states["PYSEC-6"] == "resolved"
    assert sum(x is not None for x in states.values()) == 2


# --- 80c-6: an OSV database costs work in proportion to the bytes given ----------------------------

_GOOD = {"id": "GHSA-aaaa-bbbb-cccc", "modified": "2020-01-01T00:00:00Z",
         "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"}, "versions": ["2.0.0"]}]}


def _requests_bom(tmp_path: Path) -> Path:
    return _write(tmp_path / "bom.json", _bom([{"type": "library", "name": "requests", "version": "2.0.0",
                                               "purl": "pkg:pypi/requests@2.0.0", "bom-ref": "r"}]))


def _count_record_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts schema checks (the yes/no one and the one that spells out reasons)."""
    from mlbom.vulns import osv

    calls = [0]
    for fn in ("schema_problems", "is_valid"):
        real = getattr(osv, fn, None)
        if real is None:
            continue

        def counting(*args: Any, _real: Any = real, **kw: Any) -> Any:
            calls[0] += 1
            return _real(*args, **kw)

        monkeypatch.setattr(osv, fn, counting)
    return calls


def _audit(tmp_path: Path, db: Path, capsys: Any, *extra: str) -> tuple[int, str, dict[str, Any]]:
    out = tmp_path / "audit.json"
    rc = main(["audit", str(_requests_bom(tmp_path)), "--vuln-db", str(db), "--no-cache", "-o", str(out), *extra])
    err = quiet_output(capsys)[1]
    return rc, err, json.loads(out.read_text()) if out.exists() else {}


def _findings(doc: dict[str, Any]) -> list[str]:
    return [str(p["value"]) for p in doc.get("metadata", {}).get("properties", []) if p.get("name") == "mlbom:finding"]


def _bomb_zip(tmp_path: Path) -> Path:
    """The red team's OSV zip: a good record, then 8 members of 600 KB of ``[{},{},…]`` deflated
    to ~700 bytes each."""
    import zipfile

    body = ("[" + ",".join(["{}"] * 199_990) + "]").encode()
    db = tmp_path / "osv-bomb.zip"
    with zipfile.ZipFile(db, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("GHSA-aaaa-bbbb-cccc.json", json.dumps(_GOOD))
        for i in range(8):
            z.writestr(f"PYSEC-{i}.json", body)
    return db


def test_80c_6_a_zip_of_compressed_empty_records_stops_at_the_budget(tmp_path: Path, capsys: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The red team's zip (members of 600 KB of ``[{},{},…]`` deflated to ~700 bytes), 8 of them,
    after a good record: before, 1.6 M records were schema-checked one by one (34 s for 20).
    Now the records one zip of 6 KB may hold run out in the first bomb member: the good record
    is used, a high ``vuln.db-incomplete`` finding and the summary say the database was not read
    to its end, and ``--fail-on`` cannot pass."""
    db = _bomb_zip(tmp_path)
    assert db.stat().st_size < 20_000
    calls = _count_record_checks(monkeypatch)
    rc, err, doc = _audit(tmp_path, db, capsys)
    assert rc == 0
    assert calls[0] < 1000, calls[0]
    assert [v["id"] for v in doc["vulnerabilities"]] == ["GHSA-aaaa-bbbb-cccc"]
    assert any(f.startswith("high") and "vuln.db-incomplete" in f for f in _findings(doc)), _findings(doc)
    assert "records" in err and "the audit is incomplete" in err, err
    rc, err, _ = _audit(tmp_path, db, capsys, "--fail-on", "critical")
    assert rc == 1 and "not read to the end" in err, err


def test_80c_6_expanded_bytes_are_bounded_by_the_zip(tmp_path: Path, capsys: Any) -> None:
    """Members of one record each, a 900 KB ``details`` of one letter (few nodes, few records;
    under the 1 MiB from which a member's own ratio is judged): the members may expand to 20x
    the zip plus 8 MiB in all, then the rest is not read."""
    import zipfile

    db = tmp_path / "text-bomb.zip"
    with zipfile.ZipFile(db, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("A-good.json", json.dumps(_GOOD))
        for i in range(14):
            z.writestr(f"PYSEC-{i:02}.json", json.dumps({**_GOOD, "id": f"PYSEC-{i:02}", "details": "a" * 900_000}))
    rc, err, doc = _audit(tmp_path, db, capsys)
    assert rc == 0
    ids = [v["id"] for v in doc["vulnerabilities"]]
    assert "GHSA-aaaa-bbbb-cccc" in ids and len(ids) == 1 + 9, ids  # 8 MiB + 20x ~15 KB: 9 of 14
    assert "expand to more than 20x" in err, err
    assert any("vuln.db-incomplete" in f for f in _findings(doc))


def test_80c_6_parsed_values_are_bounded_by_the_zip(tmp_path: Path, capsys: Any) -> None:
    """One record per member holding 150,000 numbers (each member ~1 KB zipped): the values parsed
    are bounded (400,000 plus two per byte of the zip), then the rest is not read."""
    import zipfile

    db = tmp_path / "node-bomb.zip"
    with zipfile.ZipFile(db, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("A-good.json", json.dumps(_GOOD))
        for i in range(30):
            z.writestr(f"PYSEC-{i}.json", json.dumps({**_GOOD, "id": f"PYSEC-{i}", "x": [0] * 150_000}))
    rc, err, doc = _audit(tmp_path, db, capsys)
    assert rc == 0
    assert "GHSA-aaaa-bbbb-cccc" in [v["id"] for v in doc["vulnerabilities"]]
    assert "values plus 2 per byte" in err, err


def test_80c_6_invalid_records_under_the_budget_cost_a_yes_or_no_each(tmp_path: Path, capsys: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """5,000 ``{}`` beside a good record in one plain file (under the budget): every record is
    counted INVALID and the good one used, but only the 50 reported are explained (before: 5,000
    explanations, the costly part of 80c-6's 2 s for one 600 KB file)."""
    from mlbom.vulns import osv

    db = _write(tmp_path / "db.json", [_GOOD, *([{}] * 5000)])
    explained = [0]
    real = osv.schema_problems

    def counting(*args: Any, **kw: Any) -> Any:
        explained[0] += 1
        return real(*args, **kw)

    monkeypatch.setattr(osv, "schema_problems", counting)
    rc, err, doc = _audit(tmp_path, db, capsys)
    assert rc == 0
    assert explained[0] <= 60, explained[0]
    assert "5000 INVALID" in err and "db.json[1]: not valid OSV" in err, err
    assert [v["id"] for v in doc["vulnerabilities"]] == ["GHSA-aaaa-bbbb-cccc"]
    assert not any("vuln.db-incomplete" in f for f in _findings(doc))


def test_generate_vuln_db_writes_the_release_level_vulnerability_findings(tmp_path: Path, capsys: Any) -> None:
    """Found while fixing 80c-6: ``generate --vuln-db`` printed "findings: 1 high" but the BOM it
    wrote lacked ``vuln.db-incomplete``: ``Bom.model_copy`` carried the cached findings index of
    the BOM it was copied from (``functools.cached_property`` lives in the instance ``__dict__``)."""
    db = _bomb_zip(tmp_path)
    req = tmp_path / "requirements.txt"
    req.write_text("requests==2.0.0\n")
    out = tmp_path / "bom.json"
    rc = main(["generate", "--requirements", str(req), "--vuln-db", str(db), "--no-cache", "-o", str(out)])
    quiet_output(capsys)[1]
    assert rc == 0
    doc = json.loads(out.read_text())
    release = [str(p["value"]) for p in doc["metadata"]["component"].get("properties", [])
               if p.get("name") == "mlbom:finding"]  # (a BOM's release-level findings: its root component's)
    assert any(f.startswith("high vuln.db-incomplete") for f in release), release
    assert [v["id"] for v in doc.get("vulnerabilities", [])] == ["GHSA-aaaa-bbbb-cccc"]


def test_a_bom_copy_answers_with_its_own_findings() -> None:
    from mlbom.model import Bom, Component, Finding

    bom = Bom(root=Component(bom_ref="root", type="application", name="release"),
              findings=(Finding(id="a.x", severity="low", message="m"),))
    assert [f.id for f in bom.findings_for(None)] == ["a.x"]  # the index is built (and cached) here
    more = bom.model_copy(update={"findings": (*bom.findings, Finding(id="b.y", severity="high", message="n"))})
    assert [f.id for f in more.findings_for(None)] == ["a.x", "b.y"]
