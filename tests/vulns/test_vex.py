"""VEX in (CycloneDX and OpenVEX) and out: triage decisions carry from release to release."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.errors import InputError
from mlbom.vulns import vex
from tests.conftest import assert_valid
from tests.vulns.conftest import PYPA_SUBSET, write_site_packages


def _bom(tmp_path: Path, dists: dict[str, str], name: str = "bom.json") -> Path:
    site = write_site_packages(tmp_path / name.replace(".", "-"), dists)
    out = tmp_path / name
    assert main(["generate", "--env", str(site), "--name", "rel", "--version", "1", "--reproducible", "-o", str(out)]) == 0
    return out


def _audit(tmp_path: Path, bom: Path, *args: str, out_name: str = "audited.json") -> tuple[int, dict[str, object]]:
    out = tmp_path / out_name
    rc = main(["audit", str(bom), "--vuln-db", str(PYPA_SUBSET), "-o", str(out), *args])
    return rc, assert_valid(out.read_bytes()) if out.exists() else {}


def _vulns(doc: dict[str, object]) -> dict[str, dict[str, object]]:
    return {v["id"]: v for v in doc.get("vulnerabilities", [])}  # type: ignore[union-attr]


def test_cyclonedx_vex_out_then_in_carries_to_the_next_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rel1 = _bom(tmp_path, {"requests": "2.25.1", "jinja2": "2.11.2"}, "rel1.json")
    vex_out = tmp_path / "triage.cdx.json"
    rc, _ = _audit(tmp_path, rel1, "--vex-out", str(vex_out))
    assert rc == 0
    vex_doc = assert_valid(vex_out.read_bytes())
    vulns = vex_doc["vulnerabilities"]
    assert isinstance(vulns, list) and all(v["analysis"]["state"] == "in_triage" for v in vulns)
    # The team triages one of them and records it in the VEX file.
    for v in vulns:
        if v["id"] == "PYSEC-2021-66":
            v["analysis"] = {"state": "not_affected", "justification": "code_not_reachable", "detail": "no urlize()"}
    vex_out.write_text(json.dumps(vex_doc), "utf-8")
    # The next release has a newer requests but the same jinja2 problem.
    rel2 = _bom(tmp_path, {"requests": "2.26.0", "jinja2": "2.11.2"}, "rel2.json")
    rc, doc = _audit(tmp_path, rel2, "--vex", str(vex_out), out_name="rel2-audited.json")
    assert rc == 0
    v = _vulns(doc)["PYSEC-2021-66"]
    assert v["analysis"]["state"] == "not_affected" and v["analysis"]["justification"] == "code_not_reachable"
    # The statement about requests 2.25.1's advisory still matches requests (by purl without version),
    # but it was in_triage: applying it changes nothing and is not reported as unmatched.
    err = capsys.readouterr().err
    assert "PYSEC-2021-66" not in err.split("VEX:")[-1] if "VEX:" in err else True


def test_openvex_statements(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = _bom(tmp_path, {"urllib3": "1.26.4", "idna": "2.10"})
    openvex = {
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "team",
        "timestamp": "2026-01-01T00:00:00Z", "version": 1,
        "statements": [
            {"vulnerability": {"name": "CVE-2021-33503"}, "products": [{"@id": "pkg:pypi/urllib3@1.26.4"}],
             "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
            {"vulnerability": {"name": "CVE-2024-3651"}, "products": [{"@id": "pkg:pypi/idna"}], "status": "fixed"},
            {"vulnerability": {"name": "CVE-2023-43804"}, "status": "not_affected",
             "justification": "component_not_present", "expires": "2020-01-01"},
            {"vulnerability": {"name": "CVE-1999-0001"}, "status": "not_affected", "justification": "component_not_present"},
            {"vulnerability": {"name": "CVE-2023-45803"}, "products": [{"@id": "pkg:pypi/unknown-component@1"}],
             "status": "not_affected", "justification": "component_not_present"},
        ]}
    path = tmp_path / "team.openvex.json"
    path.write_text(json.dumps(openvex), "utf-8")
    rc, doc = _audit(tmp_path, bom, "--vex", str(path), "--fail-on", "critical")
    vulns = _vulns(doc)
    assert vulns["PYSEC-2021-108"]["analysis"]["state"] == "not_affected"
    assert vulns["PYSEC-2021-108"]["analysis"]["justification"] == "code_not_reachable"
    assert vulns["PYSEC-2024-60"]["analysis"]["state"] == "resolved"
    assert "analysis" not in vulns["PYSEC-2023-192"]  # expired: not applied
    err = capsys.readouterr().err
    assert "#2: expired on 2020-01-01" in err
    assert "#3: matches no vulnerability" in err and "#4: matches no vulnerability" in err
    assert rc == 0  # the open ones are rated medium at most
    rc, _ = _audit(tmp_path, bom, "--vex", str(path), "--fail-on", "medium")
    assert rc == 1
    assert "at or above --fail-on medium: PYSEC-2023-192" in capsys.readouterr().err


def test_vex_covering_only_part_of_a_vulnerability_is_not_applied(tmp_path: Path) -> None:
    from mlbom.model import VulnAffect, VulnAnalysis, Vulnerability

    v = Vulnerability(bom_ref="vuln:X", id="PYSEC-1", affects=(VulnAffect(ref="a"), VulnAffect(ref="b")))
    st = vex.Statement("f#0", frozenset({"PYSEC-1"}), ("pkg:pypi/a",), VulnAnalysis(state="not_affected"))
    import datetime as dt

    out, report = vex.apply([v], [st], {"a": "pkg:pypi/a@1", "b": "pkg:pypi/b@1"}, dt.datetime.now(dt.timezone.utc))
    assert out[0].analysis is None and "covers only part" in report[0]


@pytest.mark.parametrize(("content", "message"), [
    (b"{}", "not a CycloneDX BOM"),
    (b"not json", "not a CycloneDX BOM"),
    (json.dumps({"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"status": "maybe"}]}).encode(),
     "needs a vulnerability and a status"),
    (json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "vulnerabilities": [
        {"id": "X", "analysis": {"state": "not_affected"}, "properties": [{"name": "mlbom:vex:expires", "value": "soon"}]}]}
    ).encode(), "not an RFC 3339 date"),
])
def test_bad_vex_files_are_input_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "v.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        vex.load(path)


def test_bad_vex_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = _bom(tmp_path, {"idna": "2.10"})
    path = tmp_path / "v.json"
    path.write_text("[]", "utf-8")
    assert main(["audit", str(bom), "--vuln-db", str(PYPA_SUBSET), "--vex", str(path)]) == 2
    assert "mlbom: error:" in capsys.readouterr().err


def test_own_vex_out_fed_back_keeps_the_ml_analysis(tmp_path: Path) -> None:
    """An in_triage statement decides nothing: the ML rule's detail survives a round trip."""
    import shutil

    from tests.vulns.test_ml_rules import ML_DB

    site = write_site_packages(tmp_path / "venv", {"torch": "2.5.1"})
    bom = tmp_path / "bom.json"
    assert main(["generate", "--env", str(site), "--reproducible", "-o", str(bom)]) == 0
    db = tmp_path / "db"
    shutil.copytree(ML_DB, db)
    vex_out = tmp_path / "vex.json"
    out1, out2 = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["audit", str(bom), "--vuln-db", str(db), "--vex-out", str(vex_out), "-o", str(out1)]) == 0
    assert main(["audit", str(bom), "--vuln-db", str(db), "--vex", str(vex_out), "-o", str(out2)]) == 0
    a, b = _vulns(json.loads(out1.read_bytes())), _vulns(json.loads(out2.read_bytes()))
    assert a["GHSA-53q9-r3pm-6pq6"]["analysis"] == b["GHSA-53q9-r3pm-6pq6"]["analysis"]
    assert b["GHSA-53q9-r3pm-6pq6"]["analysis"]["detail"].startswith("No shipped artifact")
