"""Red team 9c V1, D2, X1 and H1 (/work/redteam-9c, 2026-12-01).

V1: ``diff`` compared vulnerabilities by id over *every* entry of the old BOM, closed ones included,
and ignored which component is affected: a CVE that the old BOM stated ``not_affected`` (VEX) and
the new one ``exploitable`` was "no differences", and ``--fail-on any`` passed.
D2: three components with one identity (three models named ``model``, no purl, no version): the
third overwrote the second in ``diff``'s index, so the second's ``unsafe`` verdict and critical
finding were never compared.
X1: ``check --format junit`` wrote a component name's U+0001 raw: the report was not well-formed
XML, and a CI test reporter drops every failure of such a file.
H1: the HTML report wrote U+202E (RIGHT-TO-LEFT OVERRIDE), U+2028 and CR raw, where the text and
Markdown reports escape them."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from mlbom.diff import diff
from tests.helpers import cli_within_contract

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
DIFF = HOSTILE / "diff"
ESC = HOSTILE / "report-escaping"


def _load(p: Path) -> dict[str, object]:
    return json.loads(p.read_text())  # type: ignore[no-any-return]


def test_rt9c_v1_a_vulnerability_reopened_after_vex_is_new(capsys: pytest.CaptureFixture[str]) -> None:
    old, new = str(DIFF / "rt9c-v1-old.json"), str(DIFF / "rt9c-v1-new.json")
    for rule in ("new-vulnerability:high", "any"):
        out, _ = cli_within_contract(["diff", old, new, "--fail-on", rule], capsys, want={1})
        assert "CVE-2025-32434" in out and "not_affected -> exploitable" in out, out
    out, _ = cli_within_contract(["diff", old, new, "--format", "json"], capsys, want={0})
    (c,) = json.loads(out)["changes"]
    assert (c["kind"], c["identity"], c["old"], c["new"], c["severity"]) == (
        "new-vulnerability", "CVE-2025-32434", "not_affected", "exploitable", "critical")
    # closing it again (open -> not_affected) is not new
    cli_within_contract(["diff", new, old, "--fail-on", "any"], capsys, want={0})


def _vuln_doc(affects: list[tuple[str, str]], state: str, vid: str = "CVE-2025-1", alias: str | None = None) -> dict[str, object]:
    comps = [{"type": "library", "name": name, "version": "1.0", "purl": f"pkg:pypi/{name}@1.0",
              "bom-ref": f"pkg:pypi/{name}@1.0"} for name in ("torch", "numpy")]
    v: dict[str, object] = {"id": vid, "ratings": [{"severity": "high"}], "analysis": {"state": state},
                            "affects": [{"ref": f"pkg:pypi/{name}@1.0"} for name, _ in affects]}
    if alias:
        v["references"] = [{"id": alias, "source": {"name": "x"}}]
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": comps, "vulnerabilities": [v]}


def test_rt9c_v1_per_affected_component() -> None:
    # the same CVE, open on torch before, now open on numpy too: numpy's is new, torch's is not
    changes = diff(_vuln_doc([("torch", "")], "exploitable"), _vuln_doc([("torch", ""), ("numpy", "")], "exploitable"))
    assert [(c.kind, c.detail) for c in changes] == [("new-vulnerability", "high vulnerability in numpy@1.0")]
    # renamed to an alias, still open on the same component: not new
    assert diff(_vuln_doc([("torch", "")], "in_triage", "GHSA-x", "CVE-2025-1"),
                _vuln_doc([("torch", "")], "in_triage", "CVE-2025-1")) == []
    # resolved before, open again: new, with the old state
    (c,) = diff(_vuln_doc([("torch", "")], "resolved"), _vuln_doc([("torch", "")], "in_triage"))
    assert (c.old, c.new) == ("resolved", "in_triage")


def test_rt9c_d2_a_duplicate_identity_hides_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    old, new = str(DIFF / "rt9c-d2-old.json"), str(DIFF / "rt9c-d2-new.json")
    out, _ = cli_within_contract(["diff", old, new, "--fail-on", "new-unsafe"], capsys, want={1})
    assert "safe -> unsafe" in out and "[m:b]" in out, out
    out, _ = cli_within_contract(["diff", old, new, "--format", "json"], capsys, want={0})
    kinds = {(c["kind"], c["identity"]) for c in json.loads(out)["changes"]}
    assert kinds == {("safety-escalation", "machine-learning-model:/model [m:b]"),
                     ("new-finding", "machine-learning-model:/model [m:b]")}


def test_rt9c_d2_no_component_is_overwritten() -> None:
    def doc(verdicts: list[str | None]) -> dict[str, object]:
        comps = []
        for v in verdicts:  # no version, no bom-ref: only the order tells them apart
            c: dict[str, object] = {"type": "machine-learning-model", "name": "model"}
            if v:
                c["properties"] = [{"name": "mlbom:safety:verdict", "value": v}]
            comps.append(c)
        return {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": comps}

    changes = diff(doc(["safe", "safe", "safe"]), doc(["safe", "unsafe", "safe"]))
    assert [(c.kind, c.identity, c.new) for c in changes] == [
        ("safety-escalation", "machine-learning-model:/model #2", "unsafe")]
    changes = diff(doc(["safe"]), doc(["safe", "safe", "unsafe"]))  # the extra ones are added, with their verdict
    assert ("safety-escalation", "machine-learning-model:/model #3", "unsafe") in [(c.kind, c.identity, c.new) for c in changes]


def _forbidden_in_xml(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if (ord(c) < 0x20 and c not in "\t\n\r") or c in "\ufffe\uffff"
            or 0xD800 <= ord(c) <= 0xDFFF]


def test_rt9c_x1_junit_is_well_formed_xml(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = cli_within_contract(["check", str(ESC / "rt9c-x1-junit-ctl.json"), "--policy", str(ESC / "pol-unknown-fail.toml"),
                                  "--format", "junit"], capsys, want={1})
    assert _forbidden_in_xml(out) == []
    root = ET.fromstring(out.encode("utf-8", "surrogatepass"))
    text = "\n".join((el.text or "") + " ".join(el.attrib.values()) for el in root.iter())
    assert "zz\\x01ctl" in text, text
    assert int(root.get("failures") or 0) >= 1
    lxml = pytest.importorskip("lxml.etree")
    lxml.fromstring(out.encode("utf-8", "surrogatepass"))  # a strict XML 1.0 parser accepts it too


def test_rt9c_x1_every_forbidden_character_is_escaped() -> None:
    from mlbom.policy.output import junit
    from mlbom.policy.rules import Result, Violation

    hostile = "a\x00b\x0bc\x1fd\ufffee\uffff\ud800f\u202eg\rh"
    v = Violation("licenses.unknown", hostile, hostile, hostile)
    w = Violation("licenses.unknown", hostile, hostile, hostile, level="warning")
    out = junit(Result(bom=hostile, policy=hostile, rules=("licenses.unknown",), violations=(v, w)))
    assert _forbidden_in_xml(out) == [] and "\u202e" not in out
    ET.fromstring(out.encode("utf-8"))
    assert "a\\x00b\\x0bc\\x1fd\\ufffee\\uffff\\ud800f\\u202eg\\x0dh" in out


def test_rt9c_h1_html_report_escapes_bidi_separators_and_cr(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = cli_within_contract(["report", str(ESC / "rt9c-h1-nasty.json"), "--format", "html"], capsys, want={0})
    raw = [f"U+{ord(c):04X}" for c in out if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    assert raw == [], sorted(set(raw))
    assert "ESC\\x9b2J\\u202eRLO\\u2028LS\\x85NEL\\x0d&lt;!--CR\\u200bZW" in out
