"""The advisories mlbom lists for a venv of old releases equal an independent evaluation of the
OSV rules, written here straight from the spec (https://ossf.github.io/osv-schema/#evaluation)
in a different form: a version is affected by a range when some ``introduced`` at or below it
is not followed (at or below it) by a ``fixed``, nor by a ``last_affected`` strictly below it,
and it lies below some ``limit`` if there are limits — no sorting walk, no shared code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest
import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from mlbom.cli import main
from tests.conftest import assert_valid
from tests.vulns.conftest import OLD_RELEASES, PYPA_SUBSET

SCHEMA = Path(__file__).resolve().parents[2] / "mlbom" / "data" / "osv-schema.json"


def _v(s: str) -> Version | None:
    try:
        return Version(s)
    except InvalidVersion:
        return None


def _range_affects(events: list[dict[str, str]], v: Version) -> bool:
    limits = [e["limit"] for e in events if "limit" in e]
    if limits and not any(lim == "*" or (_v(lim) is not None and v < _v(lim)) for lim in limits):  # type: ignore[operator]
        return False
    intro = [Version("0") if e["introduced"] == "0" else _v(e["introduced"]) for e in events if "introduced" in e]
    fixed = [_v(e["fixed"]) for e in events if "fixed" in e]
    last = [_v(e["last_affected"]) for e in events if "last_affected" in e]
    for i in intro:
        if i is None or i > v:
            continue
        closed = any(f is not None and i < f <= v for f in fixed) or any(la is not None and i <= la < v for la in last)
        if not closed:
            return True
    return False


def expected_ids(db_root: Path, dists: dict[str, str]) -> dict[str, set[str]]:
    """package -> ids of the valid, non-withdrawn records that affect its version."""
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text("utf-8")))
    want = {canonicalize_name(n): Version(v) for n, v in dists.items()}
    out: dict[str, set[str]] = {n: set() for n in want}
    for path in sorted(db_root.rglob("*.yaml")):
        rec = yaml.load(path.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        rec = json.loads(json.dumps(rec, default=lambda d: d.isoformat().replace("+00:00", "Z")))
        if not validator.is_valid(rec) or rec.get("withdrawn"):
            continue
        for aff in rec.get("affected", []):
            pkg = aff.get("package", {})
            name = canonicalize_name(pkg.get("name", ""))
            if pkg.get("ecosystem") != "PyPI" or name not in want:
                continue
            v = want[name]
            listed = any(_v(x) == v for x in aff.get("versions", []))
            ranged = any(r["type"] == "ECOSYSTEM" and _range_affects(r["events"], v) for r in aff.get("ranges", []))
            if listed or ranged:
                out[name].add(rec["id"])
    return out


def _generate(db: Path, site: Path, out: Path, *extra: str) -> dict[str, object]:
    rc = main(["generate", "--env", str(site), "--vuln-db", str(db), "--name", "old", "--version", "1",
               "--reproducible", "-o", str(out), *extra])
    assert rc == 0
    return assert_valid(out.read_bytes())


def _check(doc: dict[str, object], expected: dict[str, set[str]]) -> None:
    vulns = doc["vulnerabilities"]
    assert isinstance(vulns, list)
    got: dict[str, set[str]] = {}
    for v in vulns:
        ids = {v["id"]} | {r["id"] for r in v.get("references", [])}
        for a in v["affects"]:
            name = a["ref"].split("/", 1)[1].split("@", 1)[0]
            got.setdefault(name, set()).update(ids)
            assert a["versions"][0]["version"] == {canonicalize_name(k): x for k, x in OLD_RELEASES.items()}[name]
    for name, ids in expected.items():
        assert ids <= got.get(name, set()), f"{name}: missing {ids - got.get(name, set())}"
    # nothing extra: every vulnerability's own id is a record the independent evaluation expects
    all_expected = set().union(*expected.values())
    assert {v["id"] for v in vulns} <= all_expected


def test_old_venv_matches_independent_evaluation_on_bundled_subset(old_site_packages: Path, tmp_path: Path) -> None:
    expected = expected_ids(PYPA_SUBSET / "vulns", OLD_RELEASES)
    assert sum(len(x) for x in expected.values()) >= 15  # the fixture is not trivially empty
    doc = _generate(PYPA_SUBSET, old_site_packages, tmp_path / "bom.json")
    _check(doc, expected)
    # alias merging: no two vulnerabilities share an id or alias
    seen: set[str] = set()
    for v in doc["vulnerabilities"]:  # type: ignore[union-attr]
        ids = {v["id"]} | {r["id"] for r in v.get("references", [])}
        assert not ids & seen
        seen |= ids


@pytest.mark.slow
def test_old_venv_matches_independent_evaluation_on_whole_pypa_database(corpus: Path, old_site_packages: Path,
                                                                        tmp_path: Path) -> None:
    db = corpus / "osv" / "pypa-advisory-database"
    expected = expected_ids(db / "vulns", OLD_RELEASES)
    doc = _generate(db, old_site_packages, tmp_path / "bom.json")
    _check(doc, expected)


@pytest.mark.parametrize(("spec", "fmt"), [("1.6", "xml"), ("1.7", "json"), ("1.7", "xml")])
def test_vulnerabilities_validate_in_every_spec_and_format(old_site_packages: Path, tmp_path: Path, spec: str,
                                                           fmt: str) -> None:
    out = tmp_path / f"bom.{fmt}"
    rc = main(["generate", "--env", str(old_site_packages), "--vuln-db", str(PYPA_SUBSET), "--spec-version", spec,
               "--format", fmt, "--reproducible", "-o", str(out)])
    assert rc == 0
    assert_valid(out.read_bytes())
    from mlbom.reader import load

    loaded = load(out)
    vulns = loaded.doc.get("vulnerabilities")
    assert isinstance(vulns, list) and len(vulns) >= 15


def test_output_is_deterministic(old_site_packages: Path, tmp_path: Path) -> None:
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    _generate(PYPA_SUBSET, old_site_packages, a)
    _generate(PYPA_SUBSET, old_site_packages, b)
    assert a.read_bytes() == b.read_bytes()
