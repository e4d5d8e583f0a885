"""A BOM records that it was audited, against which database, whatever was found
(``mlbom:vuln:audit`` on ``metadata`` and a ``vulnerabilities`` list, empty when clean); the
score and the policy gate tell a clean audit from no audit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.reader import load
from mlbom.readmodel import read
from mlbom.score import score_release
from mlbom.signature_state import SignatureState
from tests.conftest import assert_valid
from tests.vulns.conftest import PYPA_SUBSET

UNSIGNED = SignatureState("", False, False, "the BOM is not signed")
CLEAN_REQ = "certifi==2024.8.30\n"  # no advisory in the subset affects it
VULN_REQ = "jinja2==2.11.2\n"
EPOCH = "1700000000"
AT = "2023-11-14T22:13:20Z"


def _generate(tmp: Path, req_text: str, *, spec: str = "1.6", fmt: str = "json", name: str = "bom",
              extra: tuple[str, ...] = ()) -> Path:
    req = tmp / "requirements.txt"
    req.write_text(req_text, "utf-8")
    out = tmp / f"{name}.{fmt}"
    assert main(["generate", "--requirements", str(req), "--vuln-db", str(PYPA_SUBSET), "--spec-version", spec,
                 "--format", fmt, "--reproducible", "-o", str(out), *extra]) == 0
    return out


def _audit_props(doc: dict[str, object], name: str = "mlbom:vuln:audit") -> list[str]:
    meta = doc.get("metadata")
    assert isinstance(meta, dict)
    return [p["value"] for p in meta.get("properties", []) if p["name"] == name]


def _release_check(path: Path) -> tuple[str, str]:
    check = next(c for c in score_release(read(load(path)), UNSIGNED).checks if c.id == "vulnerabilities-evaluated")
    return check.status, check.evidence


def _policy(tmp: Path, bom: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    policy = tmp / "mlbom-policy.toml"
    policy.write_text('[vulnerabilities]\nfail-on = "high"\n', "utf-8")
    capsys.readouterr()
    rc = main(["check", str(bom), "--policy", str(policy)])
    return rc, capsys.readouterr().out


@pytest.mark.parametrize(("spec", "fmt"), [("1.6", "json"), ("1.6", "xml"), ("1.7", "json"), ("1.7", "xml")])
def test_clean_generate_records_the_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str], spec: str, fmt: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    out = _generate(tmp_path, CLEAN_REQ, spec=spec, fmt=fmt)
    data = out.read_bytes()
    assert_valid(data)
    if fmt == "xml":
        assert b"<vulnerabilities></vulnerabilities>" in data and b'name="mlbom:vuln:audit"' in data
    doc = load(out).doc
    assert doc["vulnerabilities"] == []  # audited, nothing found (XML reads back as an empty list)
    (record,) = _audit_props(doc)
    name, digest, records, at = record.split("; ")
    assert name == "pypa-subset" and records.endswith(" PyPI records") and int(records.split()[0]) > 0
    assert digest.startswith("sha256:") and len(digest) == len("sha256:") + 64
    assert at == f"at {AT}"
    status, detail = _release_check(out)
    assert status == "pass" and "0 stated" in detail and "pypa-subset" in detail
    rc, text = _policy(tmp_path, out, capsys)
    assert rc == 0 and "no vulnerability data" not in text, text
    # Deterministic: the same inputs give the same bytes.
    again = _generate(tmp_path, CLEAN_REQ, spec=spec, fmt=fmt, name="again")
    assert again.read_bytes() == data


def test_no_audit_is_still_no_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(CLEAN_REQ, "utf-8")
    out = tmp_path / "bom.json"
    assert main(["generate", "--requirements", str(req), "--reproducible", "-o", str(out)]) == 0
    doc = assert_valid(out.read_bytes())
    assert "vulnerabilities" not in doc and _audit_props(doc) == []
    assert _release_check(out)[0] == "fail"
    rc, text = _policy(tmp_path, out, capsys)
    assert rc == 1 and "cannot evaluate: no vulnerability data" in text, text  # as before: missing data fails a set gate


def test_findings_are_unchanged_and_recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _generate(tmp_path, VULN_REQ)
    doc = assert_valid(out.read_bytes())
    assert {v["id"] for v in doc["vulnerabilities"]} >= {"PYSEC-2021-66"}  # type: ignore[union-attr]
    (record,) = _audit_props(doc)
    assert record.startswith("pypa-subset; sha256:") and "; at " not in record  # reproducible, no epoch: no time
    assert _release_check(out)[0] == "pass"
    rc, text = _policy(tmp_path, out, capsys)
    assert rc == 1 and "FAIL  vulnerabilities.severity" in text


def test_audit_of_a_clean_foreign_bom_records_database_and_vex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    src = tmp_path / "foreign.json"
    src.write_text(json.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {"timestamp": "2025-01-02T03:04:05Z", "component": {"type": "application", "name": "app"},
                     "properties": [{"name": "other:tool", "value": "kept"}]},
        "components": [{"type": "library", "bom-ref": "c", "name": "certifi", "version": "2024.8.30",
                        "purl": "pkg:pypi/certifi@2024.8.30"}]}), "utf-8")
    vex = tmp_path / "triage.json"
    vex.write_text(json.dumps({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1",
                               "author": "me", "timestamp": "2025-01-01T00:00:00Z", "version": 1, "statements": [
                                   {"vulnerability": {"name": "PYSEC-2099-1"}, "products": [{"@id": "pkg:pypi/certifi"}],
                                    "status": "not_affected", "justification": "component_not_present"}]}), "utf-8")
    out = tmp_path / "out.json"
    assert main(["audit", str(src), "--vuln-db", str(PYPA_SUBSET), "--vex", str(vex), "-o", str(out)]) == 0
    doc = assert_valid(out.read_bytes())
    assert doc["vulnerabilities"] == []
    (record,) = _audit_props(doc)
    assert record.endswith("; at 2025-01-02T03:04:05Z")  # the BOM's own timestamp: never the wall clock
    (vex_record,) = _audit_props(doc, "mlbom:vuln:audit-vex")
    assert vex_record == f"triage.json; sha256:{hashlib.sha256(vex.read_bytes()).hexdigest()}; 1 statements"
    assert _audit_props(doc, "other:tool") == ["kept"]
    assert _release_check(out)[0] == "pass"
    # A re-audit replaces the record: one per database, never piled up.
    again = tmp_path / "again.json"
    assert main(["audit", str(out), "--vuln-db", str(PYPA_SUBSET), "-o", str(again)]) == 0
    doc2 = assert_valid(again.read_bytes())
    assert _audit_props(doc2) == [record] and _audit_props(doc2, "mlbom:vuln:audit-vex") == []
