"""Red team 95c, the vulnerability audit: wrong answers, not crashes (exit 0/1/2, one stderr line
for a bad input and never "internal error", nothing good lost).

95c-1: of two OSV records with one id, "the most recently modified is kept" compared ``modified``
as text (``…00:00:00.5Z`` lost to ``…00:00:00Z``), and a ``modified`` of ``"garbage 2020-…"``
passed the schema's unanchored pattern and beat every date. ``modified`` (and ``published``,
``withdrawn``) must now be an RFC 3339 timestamp, compared as a time; two records modified at
the same instant are merged (a version either one calls affected is reported).

95c-2: ``audit`` weighed only the top-level ``components``, never ``metadata.component`` nor the
components nested in it, which ``query`` and ``check`` read as part of the release.

95c-3: ``audit`` deleted another producer's vulnerability on another component (CVSS 9.8,
analysis ``exploitable``) because a new OSV record listed its id as an alias.

95c-4: one ``affected`` entry in an ecosystem the bundled schema snapshot does not list made the
whole record invalid (its PyPI entry lost), and an invalid record never failed ``--fail-on``.

The inputs are written here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from tests.helpers import quiet_output

_quiet = quiet_output


@pytest.fixture(autouse=True)
def _cache(isolated_cache: Path) -> Path:
    return isolated_cache


def _write(path: Path, obj: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    return path


def _affected(fixed: str | None, name: str = "foo") -> list[dict[str, object]]:
    events: list[dict[str, str]] = [{"introduced": "0"}] + ([{"fixed": fixed}] if fixed else [])
    return [{"package": {"ecosystem": "PyPI", "name": name}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}]


def _bom(path: Path, comps: list[tuple[str, str]], **extra: object) -> Path:
    return _write(path, {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, **extra, "components": [
        {"type": "library", "bom-ref": n, "name": n, "version": v, "purl": f"pkg:pypi/{n}@{v}"} for n, v in comps]})


def _vulns(out: Path) -> dict[str, list[str]]:
    doc = json.loads(out.read_text())
    return {v["id"]: sorted(a["ref"] for a in v.get("affects", [])) for v in doc.get("vulnerabilities", [])}


# ---------------------------------------------------------------------------------------------
# 95c-1


@pytest.mark.parametrize("order", ["ab", "ba"])
def test_95c1_modified_is_compared_as_a_time_not_as_text(tmp_path: Path, order: str, capsys: Any) -> None:
    # the newer record (half a second later, fractional seconds as PYSEC writes them) says 1.5 is affected
    older = {"id": "OSV-1", "modified": "2024-01-01T00:00:00Z", "affected": _affected("1.0")}
    newer = {"id": "OSV-1", "modified": "2024-01-01T00:00:00.5Z", "affected": _affected("2.0")}
    first, second = (older, newer) if order == "ab" else (newer, older)
    _write(tmp_path / "db" / "a.json", first)
    _write(tmp_path / "db" / "b.json", second)
    bom = _bom(tmp_path / "bom.json", [("foo", "1.5")])
    out = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--vuln-db", str(tmp_path / "db"), "--no-cache", "--fail-on", "any", "-o", str(out)])
    _, err = _quiet(capsys)
    assert rc == 1, err
    assert _vulns(out) == {"OSV-1": ["foo"]}
    assert "the most recently modified is kept" in err


def test_95c1_an_offset_is_read_as_a_time(tmp_path: Path, capsys: Any) -> None:
    # 02:00+03:00 is 23:00Z the day before: older than 2024-01-01T00:00:00Z, though larger as text
    _write(tmp_path / "db" / "a.json", {"id": "OSV-1", "modified": "2024-01-01T02:00:00+03:00", "affected": _affected("1.0")})
    _write(tmp_path / "db" / "b.json", {"id": "OSV-1", "modified": "2024-01-01T00:00:00Z", "affected": _affected("2.0")})
    bom = _bom(tmp_path / "bom.json", [("foo", "1.5")])
    out = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--vuln-db", str(tmp_path / "db"), "--no-cache", "--fail-on", "any", "-o", str(out)])
    _quiet(capsys)
    assert rc == 1
    assert _vulns(out) == {"OSV-1": ["foo"]}


@pytest.mark.parametrize("bad", ["garbage 2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z trailing",
                                 "2020-13-01T00:00:00Z", "2020-02-30T00:00:00Z"])
def test_95c1_a_modified_that_is_not_a_timestamp_never_wins(tmp_path: Path, bad: str, capsys: Any) -> None:
    _write(tmp_path / "db" / "a.json", {"id": "OSV-1", "modified": "2025-06-01T00:00:00Z", "affected": _affected("2.0")})
    _write(tmp_path / "db" / "b.json", {"id": "OSV-1", "modified": bad, "affected": _affected("1.0")})
    bom = _bom(tmp_path / "bom.json", [("foo", "1.5")])
    out = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--vuln-db", str(tmp_path / "db"), "--no-cache", "--fail-on", "any", "-o", str(out)])
    _, err = _quiet(capsys)
    assert rc == 1, err
    assert _vulns(out) == {"OSV-1": ["foo"]}
    assert "b.json: not valid OSV: modified" in err


def test_95c1_records_modified_at_one_instant_are_merged(tmp_path: Path, capsys: Any) -> None:
    # the same instant spelled two ways: neither can be said to be newer, so neither is dropped
    _write(tmp_path / "db" / "a.json", {"id": "OSV-1", "modified": "2024-01-01T00:00:00Z", "affected": _affected("1.0")})
    _write(tmp_path / "db" / "b.json", {"id": "OSV-1", "modified": "2024-01-01T01:00:00.000+01:00",
                                        "affected": _affected("2.0", "bar")})
    bom = _bom(tmp_path / "bom.json", [("foo", "0.5"), ("bar", "1.5")])
    out = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--vuln-db", str(tmp_path / "db"), "--no-cache", "--fail-on", "any", "-o", str(out)])
    _, err = _quiet(capsys)
    assert rc == 1, err
    assert _vulns(out) == {"OSV-1": ["bar", "foo"]}  # foo 0.5 from a.json, bar 1.5 from b.json
    assert "merged" in err


# ---------------------------------------------------------------------------------------------
# 95c-2


def _release_bom(path: Path) -> Path:
    """A pkg:pypi release (metadata.component, as cyclonedx-py writes a project) holding foo 1.5,
    and a top-level bar 1.0."""
    return _write(path, {
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"component": {"type": "application", "name": "app", "version": "1.0", "purl": "pkg:pypi/app@1.0",
                                   "bom-ref": "app", "components": [
                                       {"type": "library", "name": "foo", "version": "1.5", "purl": "pkg:pypi/foo@1.5",
                                        "bom-ref": "foo-in-meta", "components": [
                                            {"type": "library", "name": "baz", "version": "3", "purl": "pkg:pypi/baz@3",
                                             "bom-ref": "baz-deep"}]}]}},
        "components": [{"type": "library", "name": "bar", "version": "1.0", "purl": "pkg:pypi/bar@1.0", "bom-ref": "bar"}]})


def test_95c2_audit_weighs_the_release_itself_and_what_it_nests(tmp_path: Path, capsys: Any) -> None:
    _write(tmp_path / "db" / "osv-3.json", {"id": "OSV-3", "modified": "2024-01-01T00:00:00Z",
                                            "affected": _affected(None, "foo") + _affected(None, "app")
                                            + _affected(None, "baz") + _affected("0.5", "bar")})
    bom = _release_bom(tmp_path / "bom.json")
    out = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--vuln-db", str(tmp_path / "db"), "--no-cache", "--fail-on", "any", "-o", str(out)])
    _, err = _quiet(capsys)
    assert rc == 1, err
    assert _vulns(out) == {"OSV-3": ["app", "baz-deep", "foo-in-meta"]}  # bar 1.0 is fixed (0.5): not affected
    assert "4 PyPI component(s) checked" in err
    # the same set `check` judges: foo under metadata.component is denied there too
    policy = _write(tmp_path / "p.toml", None)
    policy.write_text('[packages]\ndeny = ["foo"]\n')
    assert main(["check", str(bom), "--policy", str(policy)]) == 1
    _quiet(capsys)


def test_95c2_a_finding_on_a_nested_release_component_lands_on_it(tmp_path: Path, capsys: Any) -> None:
    # a version that is not PEP 440 is a finding on its component, wherever the component sits
    doc = json.loads(_release_bom(tmp_path / "bom.json").read_text())
    doc["metadata"]["component"]["components"][0]["version"] = "not a version!"
    doc["metadata"]["component"]["components"][0]["purl"] = "pkg:pypi/foo@not-a-version"
    bom = _write(tmp_path / "bom.json", doc)
    _write(tmp_path / "db" / "r.json", {"id": "OSV-4", "modified": "2024-01-01T00:00:00Z", "affected": [
        {"package": {"ecosystem": "PyPI", "name": "foo"}, "ranges": [{"type": "ECOSYSTEM", "events": [
            {"introduced": "1.0"}, {"fixed": "2.0"}]}]}]})
    out = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--vuln-db", str(tmp_path / "db"), "--no-cache", "-o", str(out)])
    _quiet(capsys)
    assert rc == 0
    nested = json.loads(out.read_text())["metadata"]["component"]["components"][0]
    assert any("vuln.version-invalid" in str(p.get("value")) for p in nested.get("properties", [])), nested


# ---------------------------------------------------------------------------------------------
# 95c-3


def _pysec(folder: Path, fixed: str | None = None) -> None:
    _write(folder / "pysec.json", {
        "id": "PYSEC-2024-9", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2024-1"],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}],
        "affected": _affected(fixed)})


def test_95c3_another_producers_entry_on_another_component_is_kept(tmp_path: Path, capsys: Any) -> None:
    _pysec(tmp_path / "db")
    theirs = {"bom-ref": "v-libx", "id": "CVE-2024-1", "source": {"name": "NVD"},
              "ratings": [{"severity": "critical", "method": "CVSSv31", "score": 9.8}],
              "analysis": {"state": "exploitable", "detail": "confirmed by the scanner"}, "affects": [{"ref": "libx"}]}
    # another producer's entry on foo itself, under the alias, is kept too: it is not mlbom's to refresh
    theirs_foo = {"bom-ref": "v-foo", "id": "CVE-2024-1", "source": {"name": "NVD"},
                  "ratings": [{"severity": "high", "method": "CVSSv31", "score": 8.0}], "affects": [{"ref": "foo"}]}
    pre = _write(tmp_path / "pre.json", {
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"type": "library", "name": "foo", "version": "1.5", "purl": "pkg:pypi/foo@1.5", "bom-ref": "foo"},
                       {"type": "library", "name": "libx", "version": "1.0", "purl": "pkg:generic/libx@1.0",
                        "bom-ref": "libx"}],
        "vulnerabilities": [theirs, theirs_foo]})
    policy = tmp_path / "policy.toml"
    policy.write_text("[vulnerabilities]\nmax-cvss = 9.0\n")
    assert main(["check", str(pre), "--policy", str(policy)]) == 1
    _quiet(capsys)
    post = tmp_path / "post.json"
    assert main(["audit", str(pre), "--vuln-db", str(tmp_path / "db"), "--no-cache", "-o", str(post)]) == 0
    _quiet(capsys)
    vulns = json.loads(post.read_text())["vulnerabilities"]
    assert theirs in vulns and theirs_foo in vulns  # whole: ratings and analysis
    assert [v["id"] for v in vulns if v not in (theirs, theirs_foo)] == ["PYSEC-2024-9"]
    assert main(["check", str(post), "--policy", str(policy)]) == 1  # the same answer after the audit
    out, err = _quiet(capsys)
    assert "CVE-2024-1 has CVSS 9.8" in out + err


def test_95c3_a_re_audit_still_replaces_mlboms_own_earlier_entry(tmp_path: Path, capsys: Any) -> None:
    _pysec(tmp_path / "db")
    bom = _bom(tmp_path / "bom.json", [("foo", "1.5"), ("bar", "1.0")])
    once, twice = tmp_path / "once.json", tmp_path / "twice.json"
    assert main(["audit", str(bom), "--vuln-db", str(tmp_path / "db"), "--no-cache", "-o", str(once)]) == 0
    assert main(["audit", str(once), "--vuln-db", str(tmp_path / "db"), "--no-cache", "-o", str(twice)]) == 0
    _quiet(capsys)
    assert [v["id"] for v in json.loads(twice.read_text())["vulnerabilities"]] == ["PYSEC-2024-9"]
    # mlbom's own entry about a component this audit does not find affected is not its to drop
    doc = json.loads(once.read_text())
    doc["vulnerabilities"][0]["affects"] = [{"ref": "bar"}]
    _write(once, doc)
    assert main(["audit", str(once), "--vuln-db", str(tmp_path / "db"), "--no-cache", "-o", str(twice)]) == 0
    _quiet(capsys)
    assert sorted(str(v["affects"]) for v in json.loads(twice.read_text())["vulnerabilities"]) == [
        "[{'ref': 'bar'}]", "[{'ref': 'foo', 'versions': [{'version': '1.5', 'status': 'affected'}]}]"]


# ---------------------------------------------------------------------------------------------
# 95c-4


def test_95c4_an_ecosystem_the_schema_snapshot_lacks_does_not_drop_the_pypi_entry(tmp_path: Path,
                                                                                   capsys: Any) -> None:
    _write(tmp_path / "db" / "ghsa.json", {
        "id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z", "database_specific": {"severity": "CRITICAL"},
        "affected": [*_affected(None), {"package": {"ecosystem": "Conda", "name": "foo"}, "versions": ["1.5"]},
                     {"package": {"ecosystem": "SomeFutureEcosystem:2", "name": "foo"}}]})
    bom = _bom(tmp_path / "bom.json", [("foo", "1.5")])
    out = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--vuln-db", str(tmp_path / "db"), "--no-cache", "--fail-on", "critical",
               "-o", str(out)])
    _, err = _quiet(capsys)
    assert rc == 1, err
    assert _vulns(out) == {"GHSA-aaaa-bbbb-cccc": ["foo"]}
    assert "INVALID" not in err and "not valid OSV" not in err


def test_95c4_an_ecosystem_must_still_be_a_non_empty_string(tmp_path: Path, capsys: Any) -> None:
    from mlbom.vulns import osv

    rec = {"id": "OSV-9", "modified": "2024-01-01T00:00:00Z", "affected": _affected(None)}
    assert osv.is_valid(rec)
    for bad in ("", 7, None):
        rec["affected"] = [*_affected(None), {"package": {"ecosystem": bad, "name": "foo"}}]
        assert not osv.is_valid(rec), bad
    # the rest of the schema still applies: an unknown top-level field is not OSV
    assert not osv.is_valid({"id": "OSV-9", "modified": "2024-01-01T00:00:00Z", "nonsense": 1})


def test_95c4_an_invalid_record_never_passes_a_gate(tmp_path: Path, capsys: Any) -> None:
    # one good record for bar (not in the BOM) and one record that is not OSV (affected is no list)
    _write(tmp_path / "db" / "good.json", {"id": "OSV-1", "modified": "2024-01-01T00:00:00Z",
                                           "affected": _affected(None, "bar")})
    _write(tmp_path / "db" / "bad.json", {"id": "OSV-2", "modified": "2024-01-01T00:00:00Z", "affected": "foo"})
    bom = _bom(tmp_path / "bom.json", [("foo", "1.5")])
    out = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--vuln-db", str(tmp_path / "db"), "--no-cache", "--fail-on", "critical",
               "-o", str(out)])
    _, err = _quiet(capsys)
    assert rc == 1, err
    gate = [line for line in err.splitlines() if "--fail-on critical" in line]
    assert len(gate) == 1 and "1 record(s)" in gate[0] and "not valid OSV" in gate[0], err
    assert "1 invalid database record(s) not used: the audit is incomplete" in err  # the summary
    finding = [p["value"] for p in json.loads(out.read_text())["metadata"].get("properties", [])
               if "vuln.db-invalid-records" in p["value"]]
    assert len(finding) == 1 and finding[0].startswith("high "), finding
    # without a gate the audit is an enrichment: the BOM is written, exit 0
    assert main(["audit", str(bom), "--vuln-db", str(tmp_path / "db"), "--no-cache", "-o", str(out)]) == 0
    _quiet(capsys)
