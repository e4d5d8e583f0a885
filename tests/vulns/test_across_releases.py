"""Across releases: the index stores vulnerabilities, query --vuln answers which releases a flaw
affects (through which component and with which analysis), diff gates on new ones, report lists them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.cli import main
from tests.vulns.conftest import PYPA_SUBSET, write_site_packages


def _release(tmp_path: Path, name: str, version: str, dists: dict[str, str], *extra: str) -> Path:
    site = write_site_packages(tmp_path / f"{name}-{version}", dists)
    out = tmp_path / f"{name}-{version}.json"
    assert main(["generate", "--env", str(site), "--vuln-db", str(PYPA_SUBSET), "--name", name, "--version", version,
                 "--reproducible", "-o", str(out), *extra]) == 0
    return out


@pytest.fixture()
def releases(tmp_path: Path) -> tuple[Path, Path]:
    vex = tmp_path / "vex.json"
    vex.write_text(json.dumps({"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
        {"vulnerability": {"name": "CVE-2020-28493"}, "products": [{"@id": "pkg:pypi/jinja2"}],
         "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
         "impact_statement": "urlize is never called"}]}), "utf-8")
    one = _release(tmp_path, "app", "1.0", {"requests": "2.31.0", "jinja2": "2.11.2"})
    two = _release(tmp_path, "app", "2.0", {"requests": "2.25.1", "jinja2": "2.11.2"}, "--vex", str(vex))
    return one, two


def test_index_answers_which_releases_a_cve_affects(tmp_path: Path, releases: tuple[Path, Path],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'index.db'}"
    assert main(["index", "add", *map(str, releases), "--db", db]) == 0
    capsys.readouterr()
    assert main(["query", "--db", db, "--vuln", "cve-2020-28493", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["release_version"], r["vulnerability"], r["component"], r["version"], r["state"]) for r in rows] == [
        ("1.0", "PYSEC-2021-66", "jinja2", "2.11.2", "in_triage"),
        ("2.0", "PYSEC-2021-66", "jinja2", "2.11.2", "not_affected")]
    assert "urlize is never called" in rows[1]["detail"]
    assert main(["query", "--db", db, "--vuln", "GHSA-j8r2-6x86-q33q"]) == 0  # requests, by its GHSA alias
    out = capsys.readouterr().out
    assert "2.0" in out and "requests" in out and "1.0  " not in out
    assert main(["query", "--db", db, "--vuln", "CVE-1999-0001"]) == 0
    assert "nothing found" in capsys.readouterr().out
    assert main(["query", "--db", db, "--vuln", "% OR 1"]) == 2  # one id, never a pattern


def test_query_vuln_in_one_bom(releases: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", str(releases[1]), "--vuln", "PYSEC-2023-74", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["component"] == "requests" and row["version"] == "2.25.1"


def test_diff_fails_on_new_vulnerability(releases: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    one, two = releases
    assert main(["diff", str(one), str(two), "--fail-on", "new-vulnerability", "--format", "json"]) == 1
    changes = json.loads(capsys.readouterr().out)["changes"]
    new = [c for c in changes if c["kind"] == "new-vulnerability"]
    assert [c["identity"] for c in new] == ["PYSEC-2023-74"]  # jinja2's is old (and now not_affected)
    # going back: requests' flaw is gone, but jinja2's, not_affected in two, is open (in_triage) again in one
    assert main(["diff", str(two), str(one), "--fail-on", "new-vulnerability", "--format", "json"]) == 1
    back = [c for c in json.loads(capsys.readouterr().out)["changes"] if c["kind"] == "new-vulnerability"]
    assert [(c["identity"], c["old"], c["new"]) for c in back] == [("PYSEC-2021-66", "not_affected", "in_triage")]
    # PYSEC-2023-74 has a CVSS rating in no record: unknown meets every threshold
    assert main(["diff", str(one), str(two), "--fail-on", "new-vulnerability:critical"]) == 1
    assert main(["diff", str(one), str(two), "--fail-on", "new-vulnerability:bogus"]) == 2


def test_report_lists_vulnerabilities(releases: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(releases[1])]) == 0
    out = capsys.readouterr().out
    assert "## Known vulnerabilities" in out
    assert "PYSEC-2023-74" in out and "not_affected" in out


def test_index_made_before_vulnerabilities_is_backfilled(tmp_path: Path, releases: tuple[Path, Path],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import sqlalchemy as sa

    db = f"sqlite:///{tmp_path / 'old.db'}"
    assert main(["index", "add", str(releases[1]), "--db", db]) == 0
    engine = sa.create_engine(db)
    with engine.begin() as conn:  # as an index written by an mlbom without the vulnerabilities table
        conn.execute(sa.text("DROP TABLE mlbom_vulnerabilities"))
        conn.execute(sa.text("DELETE FROM mlbom_meta WHERE key = 'vulnerabilities_indexed'"))
    engine.dispose()
    capsys.readouterr()
    assert main(["index", "add", str(releases[0]), "--db", db]) == 0
    capsys.readouterr()
    assert main(["query", "--db", db, "--vuln", "PYSEC-2023-74", "--format", "json"]) == 0
    assert [r["release_version"] for r in json.loads(capsys.readouterr().out)] == ["2.0"]


def test_vulnerability_query_on_every_backend(index_url: str, releases: tuple[Path, Path],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "add", *map(str, releases), "--db", index_url]) == 0
    capsys.readouterr()
    assert main(["query", "--db", index_url, "--vuln", "GHSA-g3rq-g295-4j3m", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("release,release_version,serial_number,bom_version,vulnerability")
    assert len(lines) == 3 and all("PYSEC-2021-66" in x for x in lines[1:])
