"""Matching as the OSV specification evaluates PyPI ranges; what cannot be evaluated is a finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.vulns.db import open_database
from mlbom.vulns.match import Target, match_target, parse_pypi_purl, targets_from_components
from tests.vulns.conftest import record, write_db


def _affected(tmp_path: Path, version: str, **kw: object) -> tuple[bool, list[str]]:
    folder = write_db(tmp_path / "db", [record("PYSEC-2099-1", "pkg", **kw)])  # type: ignore[arg-type]
    matches, findings = match_target(open_database(folder, use_cache=False), Target("ref", "pkg", version))
    return bool(matches), [f.id for f in findings]


@pytest.mark.parametrize(("events", "version", "expected"), [
    ([{"introduced": "0"}, {"fixed": "1.2"}], "1.1.9", True),
    ([{"introduced": "0"}, {"fixed": "1.2"}], "1.2", False),
    ([{"introduced": "0"}, {"fixed": "1.2"}], "1.2rc1", True),   # pre-releases sort before the release
    ([{"introduced": "0"}, {"fixed": "1.2"}], "1.2.post1", False),
    ([{"introduced": "1.0"}, {"fixed": "1.2"}], "0.9", False),
    ([{"introduced": "1.0"}, {"last_affected": "1.2"}], "1.2", True),
    ([{"introduced": "1.0"}, {"last_affected": "1.2"}], "1.2.1", False),
    ([{"introduced": "0"}], "99", True),
    # events in any order, several introduced/fixed pairs in one range
    ([{"fixed": "2.1"}, {"introduced": "2.0"}, {"fixed": "1.5"}, {"introduced": "0"}], "1.7", False),
    ([{"fixed": "2.1"}, {"introduced": "2.0"}, {"fixed": "1.5"}, {"introduced": "0"}], "2.0.5", True),
    ([{"fixed": "2.1"}, {"introduced": "2.0"}, {"fixed": "1.5"}, {"introduced": "0"}], "1.4", True),
    # limit: only versions below some limit are considered
    ([{"introduced": "0"}, {"limit": "1.5"}], "1.6", False),
    ([{"introduced": "0"}, {"limit": "1.5"}], "1.4", True),
    ([{"introduced": "0"}, {"limit": "*"}], "9", True),
    # PEP 440 normalisation on the component's side
    ([{"introduced": "0"}, {"fixed": "2.0.0"}], "2.0.0-beta", True),      # = 2.0.0b0
    ([{"introduced": "0"}, {"fixed": "1.0.0"}], "1.0.0.dev0+xyz", True),  # a dev release before 1.0.0
    ([{"introduced": "0"}, {"fixed": "1.0"}], "1.0+cpu", False),          # local versions sort after their base
])
def test_ecosystem_ranges(tmp_path: Path, events: list[dict[str, str]], version: str, expected: bool) -> None:
    assert _affected(tmp_path, version, events=events)[0] is expected


def test_explicit_versions_list(tmp_path: Path) -> None:
    assert _affected(tmp_path, "1.0", versions=["1.0", "1.1"])[0]
    assert _affected(tmp_path, "1.0.0", versions=["1.0"])[0]  # PEP 440 equality: 1.0 == 1.0.0
    assert not _affected(tmp_path, "1.2", versions=["1.0", "1.1"])[0]


def test_several_ranges_any_one_suffices(tmp_path: Path) -> None:
    rec = record("PYSEC-2099-1", "pkg")
    rec["affected"] = [{"package": {"ecosystem": "PyPI", "name": "pkg"}, "ranges": [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]},
        {"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.3"}]}]}]
    db = open_database(write_db(tmp_path / "db", [rec]), use_cache=False)
    assert [bool(match_target(db, Target("r", "pkg", v))[0]) for v in ("0.5", "1.5", "2.1", "2.3")] == \
        [True, False, True, False]
    (m,) = match_target(db, Target("r", "pkg", "2.1"))[0]
    assert m.fixed == "2.3"


def test_invalid_version_in_the_environment_is_a_finding(tmp_path: Path) -> None:
    hit, findings = _affected(tmp_path, "not.a.version!", events=[{"introduced": "0"}])
    assert not hit and findings == ["vuln.version-invalid"]
    hit, findings = _affected(tmp_path, "weird-1", versions=["weird-1"])
    assert hit and findings == ["vuln.version-invalid"]  # an exact listing still matches


def test_invalid_version_in_a_range_is_a_finding(tmp_path: Path) -> None:
    hit, findings = _affected(tmp_path, "1.0", events=[{"introduced": "0"}, {"fixed": "1.x-final"}])
    assert not hit and findings == ["vuln.range-unevaluated"]


def test_unknown_and_semver_range_types_are_findings_not_matches(tmp_path: Path) -> None:
    hit, findings = _affected(tmp_path, "1.0", events=[{"introduced": "0"}, {"fixed": "2.0.0"}], rtype="SEMVER")
    assert not hit and findings == ["vuln.range-unevaluated"]


def test_git_ranges_are_ignored_for_released_versions(tmp_path: Path) -> None:
    hit, findings = _affected(tmp_path, "1.0", events=[{"introduced": "0"}, {"fixed": "a" * 40}], rtype="GIT")
    assert not hit and not findings


def _vcs_db(tmp_path: Path) -> Path:
    rec = record("PYSEC-2099-7", "pkg")
    rec["affected"] = [{"package": {"ecosystem": "PyPI", "name": "pkg"}, "ranges": [
        {"type": "GIT", "repo": "https://github.com/o/pkg", "events": [{"introduced": "1" * 40}, {"fixed": "2" * 40}]},
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0"}]}]}]
    return write_db(tmp_path / "db", [rec])


def test_vcs_install_matched_by_git_range_commit(tmp_path: Path) -> None:
    db = open_database(_vcs_db(tmp_path), use_cache=False)
    (t,) = targets_from_components([{"bom-ref": "r", "purl": "pkg:pypi/pkg@1.0?vcs_url=git%2Bhttps://github.com/o/pkg.git%40"
                                     + "1" * 40}])
    assert t.vcs_commit == "1" * 40
    matches, findings = match_target(db, t)
    assert [m.how for m in matches] == ["git"] and not findings


def test_vcs_install_at_the_fix_commit_is_not_matched(tmp_path: Path) -> None:
    db = open_database(_vcs_db(tmp_path), use_cache=False)
    matches, findings = match_target(db, Target("r", "pkg", "1.0", "https://github.com/o/pkg", "2" * 40))
    assert not matches and not findings


def test_vcs_install_with_an_unlisted_commit_is_reported(tmp_path: Path) -> None:
    db = open_database(_vcs_db(tmp_path), use_cache=False)
    matches, findings = match_target(db, Target("r", "pkg", "1.0", "https://github.com/o/pkg", "3" * 40))
    assert not matches
    (f,) = findings
    assert f.id == "vuln.vcs-not-matched" and "not matched: VCS install" in f.message


def test_purls() -> None:
    assert parse_pypi_purl("pkg:pypi/jinja2@2.11.2") == ("jinja2", "2.11.2", {})
    assert parse_pypi_purl("pkg:npm/left-pad@1") is None
    assert parse_pypi_purl("pkg:pypi/") is None
    comps: list[dict[str, object]] = [{"bom-ref": "a", "purl": "pkg:pypi/Foo_Bar@1.0"}, {"bom-ref": "b", "purl": "pkg:pypi/x"},
                                      {"bom-ref": "c", "purl": 5}, {"bom-ref": "d", "purl": "pkg:pypi/y", "version": "2"}]
    assert [(t.ref, t.name, t.version) for t in targets_from_components(comps)] == \
        [("a", "foo-bar", "1.0"), ("b", "x", None), ("d", "y", "2")]
