"""Red team 8c T2: PEP 440 local version labels (``2.0.0+cu118``, the version of every CUDA wheel
of torch from download.pytorch.org) are ignored when matched against a public version, as PEP 440
says: ``last_affected: 2.0.0`` and ``versions: ["2.0.0"]`` name ``2.0.0+cu118``; a ``fixed: 2.0.0``
does not (a local build of the fixed release is the fixed release), nor does ``fixed`` below it.
Every case is checked against ``packaging``'s own specifier matching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from mlbom.vulns.db import open_database
from mlbom.vulns.match import Target, match_target
from tests.helpers import cli_within_contract
from tests.vulns.conftest import record, write_db

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "audit-local-version"


def _affected(tmp_path: Path, version: str, **kw: object) -> bool:
    folder = write_db(tmp_path / "db", [record("PYSEC-2099-1", "pkg", **kw)])  # type: ignore[arg-type]
    return bool(match_target(open_database(folder, use_cache=False), Target("ref", "pkg", version))[0])


@pytest.mark.parametrize(("events", "spec", "version", "expected"), [
    ([{"introduced": "0"}, {"last_affected": "2.0.0"}], "<=2.0.0", "2.0.0+cu118", True),
    ([{"introduced": "0"}, {"last_affected": "2.0.0"}], "<=2.0.0", "2.0.0", True),
    ([{"introduced": "0"}, {"last_affected": "2.0.0"}], "<=2.0.0", "2.0.1+cu118", False),
    ([{"introduced": "0"}, {"last_affected": "2.0.0"}], "<=2.0.0", "1.9+cpu", True),
    ([{"introduced": "0"}, {"fixed": "2.0.1"}], "<2.0.1", "2.0.0+cu118", True),
    ([{"introduced": "0"}, {"fixed": "2.0.0"}], "<2.0.0", "2.0.0+cu118", False),  # the fixed release, built locally
    ([{"introduced": "2.0.0"}, {"fixed": "2.1"}], ">=2.0.0,<2.1", "2.0.0+cu118", True),
    ([{"introduced": "2.0.1"}, {"fixed": "2.1"}], ">=2.0.1,<2.1", "2.0.0+cu118", False),
    # a range closed and reopened: last_affected 1.0 then introduced 1.5
    ([{"introduced": "0"}, {"last_affected": "1.0"}, {"introduced": "1.5"}], "<=1.0 || >=1.5", "1.0+x", True),
    ([{"introduced": "0"}, {"last_affected": "1.0"}, {"introduced": "1.5"}], "<=1.0 || >=1.5", "1.2+x", False),
    ([{"introduced": "0"}, {"limit": "2.0.0"}], "<2.0.0", "2.0.0+cu118", False),
])
def test_local_versions_match_as_pep_440_does(tmp_path: Path, events: list[dict[str, str]], spec: str,
                                             version: str, expected: bool) -> None:
    pep440 = any(SpecifierSet(s).contains(version, prereleases=True) for s in spec.split(" || "))
    assert pep440 is expected
    assert _affected(tmp_path, version, events=events) is expected


def test_a_local_version_is_named_by_its_public_version_in_versions_list(tmp_path: Path) -> None:
    assert _affected(tmp_path, "1.26.0+local1", versions=["1.26.0"])
    assert _affected(tmp_path, "1.26.0+local1", versions=["1.26.0+local1"])
    assert not _affected(tmp_path, "1.26.0+local1", versions=["1.26.0+local2"])  # a listed local label is exact
    assert not _affected(tmp_path, "1.26.0", versions=["1.26.0+local1"])
    assert not _affected(tmp_path, "1.26.1+local1", versions=["1.26.0"])


def test_the_red_team_release_gate_fails_on_local_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``prove.sh T2``: a BOM of torch 2.0.0+cu118 and numpy 1.26.0+local1 only; the database has a
    ``last_affected: 2.0.0`` record (torch) and a ``versions: ["1.26.0"]`` record (numpy). Both
    passed ``--fail-on high`` with "0 known vulnerabilities"."""
    out = tmp_path / "a.json"
    _, err = cli_within_contract(["-q", "audit", str(HOSTILE / "local-only.json"), "--vuln-db", str(HOSTILE / "osv"),
                                  "--no-cache", "--fail-on", "high", "-o", str(out)], capsys, want={1})
    assert "GHSA-rt8c-0001-0001" in err and "PYSEC-2098-7" in err
    doc = json.loads(out.read_text())
    hit = {a["ref"] for v in doc["vulnerabilities"] for a in v["affects"]}
    assert hit == {"pkg:pypi/torch@2.0.0%2Bcu118", "pkg:pypi/numpy@1.26.0%2Blocal1"}
