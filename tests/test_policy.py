"""``mlbom check`` and ``generate --policy``: the release gate on real BOMs of the example release."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from mlbom.cli import main
from mlbom.policy import licexpr
from tests.conftest import FIXTURES

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"
SARIF_SCHEMA = FIXTURES / "sarif" / "sarif-schema-2.1.0.json"

ONLY_SAFETENSORS = """\
[models]
formats = ["safetensors"]
verdicts = ["safe"]
"""


def unsafe_pickle(path: Path) -> None:
    """A pickle whose loading would run ``os.system`` (written by the real pickle module; never loaded)."""
    import os
    import pickle

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("echo pwned",))

    path.write_bytes(pickle.dumps(Evil()))


def release(tmp: Path, *, pickle: bool) -> Path:
    root = tmp / ("with-pickle" if pickle else "safetensors-only")
    shutil.copytree(EXAMPLE, root)
    (root / "mlbom.toml").unlink()  # no GPU inventory: the gate is about the release's files
    if pickle:
        unsafe_pickle(root / "model" / "pytorch_model.bin")
    return root


@pytest.fixture(scope="module")
def boms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("releases")
    out = {}
    for kind in ("pickle", "safetensors"):
        root = release(tmp, pickle=kind == "pickle")
        bom = tmp / f"{kind}.cdx.json"
        assert main(["generate", str(root), "--reproducible", "-o", str(bom)]) == 0
        out[kind] = bom
    return out


def write(tmp: Path, text: str, name: str = "mlbom-policy.toml") -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


def sarif_errors(doc: object) -> list[str]:
    import jsonschema_rs

    validator = jsonschema_rs.validator_for(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    return [str(e) for e in validator.iter_errors(doc)]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(args)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


# --- done when ---------------------------------------------------------------------------------

def test_pickle_release_fails_with_the_file_named(boms: dict[str, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, ONLY_SAFETENSORS)
    rc, out, _ = run(["check", str(boms["pickle"]), "--policy", str(policy)], capsys)
    assert rc == 1
    lines = out.splitlines()
    assert any(ln.startswith("FAIL  models.format  model/pytorch_model.bin: weight format pickle is not allowed")
               for ln in lines), out
    assert any(ln.startswith("FAIL  models.verdict  model/pytorch_model.bin: scan verdict unsafe")
               and "pickle.dangerous-callable" in ln and "system" in ln for ln in lines), out
    assert "to fix: convert it to safetensors" in out
    assert "FAILED" in lines[-1]

    sarif_path = tmp_path / "gate.sarif"
    rc, _, err = run(["check", str(boms["pickle"]), "--policy", str(policy), "--format", "sarif",
                      "-o", str(sarif_path), "--base", "releases/tiny"], capsys)
    assert rc == 1 and "FAILED" in err
    doc = json.loads(sarif_path.read_text())
    assert sarif_errors(doc) == []
    run0 = doc["runs"][0]
    rules = {r["id"]: r for r in run0["tool"]["driver"]["rules"]}
    assert rules["models.format"]["help"]["text"]
    (fmt,) = [r for r in run0["results"] if r["ruleId"] == "models.format"]
    assert fmt["level"] == "error"
    assert fmt["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "releases/tiny/model/pytorch_model.bin"
    assert run0["tool"]["driver"]["rules"][fmt["ruleIndex"]]["id"] == "models.format"


def test_safetensors_only_release_passes(boms: dict[str, Path], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, ONLY_SAFETENSORS + '\n[findings]\nfail-on = "high"\n')
    rc, out, _ = run(["check", str(boms["safetensors"]), "--policy", str(policy)], capsys)
    assert rc == 0, out
    assert "FAIL" not in out and "passed" in out.splitlines()[-1]
    rc, out, _ = run(["check", str(boms["safetensors"]), "--policy", str(policy), "--format", "sarif"], capsys)
    assert rc == 0 and sarif_errors(json.loads(out)) == [] and json.loads(out)["runs"][0]["results"] == []


def test_default_policy(boms: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no project policy here
    rc, out, _ = run(["check", str(boms["safetensors"])], capsys)
    assert rc == 0 and "against default policy: passed" in out
    assert "WARN  vulnerabilities.severity" in out and "no vulnerability data" in out  # a warning, not a failure
    rc, out, _ = run(["check", str(boms["pickle"])], capsys)
    assert rc == 1
    assert "FAIL  models.verdict  model/pytorch_model.bin" in out
    assert "FAIL  findings.severity  model/pytorch_model.bin: critical pickle." in out


def test_expired_exception_does_not_suppress(boms: dict[str, Path], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    waiver = """
[[exceptions]]
id = "models.format"
component = "model/pytorch_model.bin"
reason = "accepted until the conversion lands"
expires = "{date}"

[[exceptions]]
id = "pickle.dangerous-callable"
component = "model/*.bin"
reason = "accepted until the conversion lands"
expires = "{date}"
"""
    policy = write(tmp_path, ONLY_SAFETENSORS.replace('verdicts = ["safe"]', 'verdicts = ["safe", "unsafe"]')
                   + '[findings]\nfail-on = "high"\n' + waiver.format(date="2020-01-31"))
    rc, out, _ = run(["check", str(boms["pickle"]), "--policy", str(policy), "--format", "json"], capsys)
    doc = json.loads(out)
    assert rc == 1 and not doc["passed"] and doc["waived"] == []
    assert {v["rule"] for v in doc["violations"] if v["level"] == "error"} == {"models.format", "findings.severity"}
    expired = [v for v in doc["violations"] if v["rule"] == "exceptions.expired"]
    assert len(expired) == 2 and all("expired on 2020-01-31" in v["fact"] for v in expired)
    assert expired[0]["component"].endswith("mlbom-policy.toml:7")  # the line of its [[exceptions]]

    policy = write(tmp_path, policy.read_text().replace("2020-01-31", "2999-12-31"))
    rc, out, _ = run(["check", str(boms["pickle"]), "--policy", str(policy), "--format", "json"], capsys)
    doc = json.loads(out)
    assert rc == 0 and doc["passed"], doc["violations"]
    assert {(w["rule"], w["exception"]["reason"]) for w in doc["waived"]} == {
        ("models.format", "accepted until the conversion lands"),
        ("findings.severity", "accepted until the conversion lands")}
    rc, out, _ = run(["check", str(boms["pickle"]), "--policy", str(policy)], capsys)
    assert "WAIVED  models.format  model/pytorch_model.bin" in out and "until 2999-12-31" in out
    rc, out, _ = run(["check", str(boms["pickle"]), "--policy", str(policy), "--format", "sarif"], capsys)
    suppressed = [r for r in json.loads(out)["runs"][0]["results"] if r.get("suppressions")]
    assert len(suppressed) == 2 and sarif_errors(json.loads(out)) == []


def test_generate_with_policy_writes_the_bom_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = release(tmp_path, pickle=True)
    policy = write(tmp_path, ONLY_SAFETENSORS)
    out = tmp_path / "bom.json"
    rc, _, err = run(["generate", str(root), "--reproducible", "-o", str(out), "--policy", str(policy)], capsys)
    assert rc == 1 and out.is_file()
    assert "FAIL  models.format  model/pytorch_model.bin" in err
    write(root, ONLY_SAFETENSORS.replace("safetensors", "safetensors\", \"pickle").replace('["safe"]', '["safe", "unsafe"]'))
    rc, _, err = run(["generate", str(root), "--reproducible", "-o", str(out), "--check"], capsys)
    assert rc == 0 and "FAIL" not in err and "mlbom-policy.toml: passed" in err  # the project's policy, not the default
    rc, _, err = run(["generate", str(root), "-o", str(out), "--policy", str(tmp_path / "absent.toml")], capsys)
    assert rc == 2 and "absent.toml: cannot read the policy" in err


def test_policy_table_in_mlbom_toml(boms: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, '[generate]\ngpu = false\n\n[policy.models]\nformats = ["safetensors"]\n', "mlbom.toml")
    rc, out, _ = run(["check", str(boms["pickle"]), "--project", str(tmp_path)], capsys)
    assert rc == 1 and "models.format" in out and "mlbom.toml: FAILED" in out
    write(tmp_path, '[generate]\ngpu = false\n\n[policy.models]\nformats = ["safetensors"]\nformat = 1\n', "mlbom.toml")
    rc, _, err = run(["check", str(boms["pickle"]), "--project", str(tmp_path)], capsys)
    assert rc == 2
    assert err.strip().endswith("mlbom.toml:6: policy.models.format: unknown key (did you mean 'formats'?)")
    from mlbom.config import project_settings

    assert project_settings(tmp_path).gpu is False  # [generate] still reads with a [policy] beside it


# --- bad input -------------------------------------------------------------------------------------

BAD = [
    ("[licenses]\nallow = [\"MIT\"]\nalow = [\"MIT\"]\n", "3: licenses.alow: unknown key (did you mean 'allow'?)"),
    ("[model]\nformats = [\"safetensors\"]\n", "1: unknown table [model] (did you mean 'models'?)"),
    ("[models]\nrequire-card = \"yes\"\n", "2: models.require-card: must be true or false, not a string"),
    ("[models]\nformats = \"safetensors\"\n", "2: models.formats: must be a list of strings, not a string"),
    ("[vulnerabilities]\nmax-cvss = 11\n", "2: vulnerabilities.max-cvss: 11 is not a CVSS score (0.0 to 10.0)"),
    ("[licenses]\ndeny = [\"GPL-3.0-only\", \"MIT OR\"]\n", "2: licenses.deny: 'MIT OR' is not a valid SPDX licence id or expression"),
    ("[licenses]\nallow = [\"Not A Licence\"]\n", "is not a valid SPDX licence id or expression"),
    ("[findings]\nfail-on = \"severe\"\n", "2: findings.fail-on: 'severe' is not a severity (one of: critical, high, medium, low, info)"),
    ("[models]\nverdicts = [\"clean\"]\n", "2: models.verdicts: 'clean' is not a scan verdict"),
    ("[packages]\ndeny = [\"torch <<2\"]\n", "2: packages.deny: 'torch <<2' is not 'NAME [PEP 440 SPECIFIER]'"),
    ("[[exceptions]]\nid = \"models.format\"\nexpires = 2027-02-30\n", "not valid TOML"),
    ("[[exceptions]]\nid = \"models.format\"\nexpires = \"2027-02-30\"\nreason = \"x\"\n",
     "3: exceptions[1].expires: '2027-02-30' is not a valid date"),
    ("[[exceptions]]\nid = \"models.format\"\nexpires = \"next year\"\nreason = \"x\"\n",
     "3: exceptions[1].expires: 'next year' is not a date (YYYY-MM-DD)"),
    ("[findings]\nfail-on = \"high\"\n\n[[exceptions]]\nid = \"a\"\nreason = \"r\"\n\n[[exceptions]]\nid = \"models.format\"\n"
     "component = \"x.bin\"\n", "8: exceptions[2]: missing 'reason' (every exception says why it is acceptable)"),
    ("[[exceptions]]\nid = \"x\"\nreason = \"r\"\nowner = \"me\"\n", "4: exceptions[1].owner: unknown key"),
    ("[[exceptions]]\nid = \"x\"\nreason = \"  \"\n", "3: exceptions[1].reason: must not be empty"),
    ("[models]\n\"require_card\" = true\n", "2: models.require_card: unknown key (did you mean 'require-card'?)"),
    ("[signature]\nrequired = 1\n", "2: signature.required: must be true or false, not an integer"),
    ("licenses = 3\n", "1: licenses must be a table, not an integer"),
    ("[findings\nfail-on = 'high'\n", "mlbom-policy.toml:1: not valid TOML"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[b[1][:40] for b in BAD])
def test_invalid_policy_exit_2_with_one_line(text: str, expected: str, boms: dict[str, Path], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, text)
    rc, out, err = run(["check", str(boms["safetensors"]), "--policy", str(policy)], capsys)
    assert rc == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"mlbom: error: {policy}:"), err
    assert expected in lines[0], err


def test_unreadable_bom_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    for bom in (tmp_path / "bad.json", tmp_path / "absent.json"):
        rc, out, err = run(["check", str(bom)], capsys)
        assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and str(bom) in err


FOREIGN_JSON = {
    "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
    "metadata": {"tools": [{"vendor": "acme", "name": "other-sbom-tool", "version": "1"}],
                 "component": {"type": "application", "name": "app", "bom-ref": "app"}},
    "components": [
        {"type": "library", "name": "requests", "version": "2.32.3", "purl": "pkg:pypi/requests@2.32.3", "bom-ref": "r"},
        {"type": "library", "name": "dual", "version": "1.0", "purl": "pkg:pypi/dual@1.0", "bom-ref": "d",
         "licenses": [{"expression": "MIT OR GPL-3.0"}]},
        {"type": "library", "name": "both", "version": "1.0", "purl": "pkg:pypi/both@1.0", "bom-ref": "b",
         "licenses": [{"expression": "MIT AND GPL-3.0"}]},
        {"type": "machine-learning-model", "name": "classifier", "bom-ref": "m",
         "licenses": [{"license": {"name": "Acme Model Licence"}}]},
        {"type": "file", "name": "weights.bin", "bom-ref": "f"},
    ],
}


def test_foreign_bom_cannot_evaluate_rather_than_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "other.cdx.json"
    bom.write_text(json.dumps(FOREIGN_JSON))
    policy = write(tmp_path, '[licenses]\nallow = ["MIT"]\n\n[models]\nverdicts = ["safe"]\n\n[findings]\nfail-on = "high"\n')
    rc, out, _ = run(["check", str(bom), "--policy", str(policy), "--format", "json"], capsys)
    doc = json.loads(out)
    assert rc == 1
    got = {(v["rule"], v["component"], v["kind"], v["fact"]) for v in doc["violations"]}
    assert ("licenses.unknown", "pkg:pypi/requests@2.32.3", "cannot-evaluate", "cannot evaluate: no licence data") in got
    assert ("licenses.unknown", "classifier", "cannot-evaluate",
            "licence 'Acme Model Licence' is not an SPDX id or expression") in got
    assert ("models.verdict", "classifier", "cannot-evaluate", "cannot evaluate: no scan verdict for this model or its files") in got
    assert ("findings.severity", str(bom), "cannot-evaluate",
            "cannot evaluate: no mlbom finding data (the BOM is not from mlbom)") in got
    # expressions are evaluated: MIT OR GPL-3.0 passes an allowlist with MIT, MIT AND GPL-3.0 does not
    assert not any(v["component"] == "pkg:pypi/dual@1.0" for v in doc["violations"])
    (both,) = [v for v in doc["violations"] if v["component"] == "pkg:pypi/both@1.0"]
    assert both["rule"] == "licenses.allow" and "GPL-3.0-only not in [MIT]" in both["fact"]
    assert not any("weights.bin" in v["component"] for v in doc["violations"])  # files carry no licence
    # explicitly set to warn: reported, not failing
    warn = write(tmp_path, '[licenses]\nallow = ["MIT"]\nunknown = "warn"\n\n[models]\nverdicts = ["safe"]\nmissing-data = "warn"\n')
    rc, out, _ = run(["check", str(bom), "--policy", str(warn)], capsys)
    assert rc == 1 and "FAIL  licenses.allow  pkg:pypi/both@1.0" in out
    assert "WARN  licenses.unknown  pkg:pypi/requests@2.32.3: cannot evaluate: no licence data" in out
    assert "WARN  models.verdict  classifier: cannot evaluate" in out


def test_xml_bom_from_another_producer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "other.cdx.xml"
    bom.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">
  <components>
    <component type="library" bom-ref="x"><name>dual</name><version>1.0</version>
      <licenses><expression>Apache-2.0 OR GPL-2.0-only</expression></licenses><purl>pkg:pypi/dual@1.0</purl></component>
    <component type="library" bom-ref="y"><name>gpl</name><version>2.0</version>
      <licenses><license><id>GPL-2.0-only</id></license></licenses><purl>pkg:pypi/gpl@2.0</purl></component>
  </components>
</bom>""")
    policy = write(tmp_path, '[licenses]\ndeny = ["GPL-2.0-only"]\n')
    rc, out, _ = run(["check", str(bom), "--policy", str(policy)], capsys)
    assert rc == 1
    assert "FAIL  licenses.deny  pkg:pypi/gpl@2.0: licence GPL-2.0-only requires denied GPL-2.0-only" in out
    assert "dual" not in out


def test_licence_expressions() -> None:
    def verdict(expr: str, allow: tuple[str, ...] = (), deny: tuple[str, ...] = ()) -> str:
        return licexpr.evaluate(licexpr.choices(expr), licexpr.keys_of(allow), licexpr.keys_of(deny)).verdict

    assert verdict("MIT OR GPL-3.0", allow=("MIT",)) == "ok"
    assert verdict("MIT AND GPL-3.0", allow=("MIT",)) == "not-allowed"
    assert verdict("mit", allow=("MIT",)) == "ok"  # ids are case-insensitive
    assert verdict("GPL-3.0", allow=("GPL-3.0-only",)) == "ok"  # deprecated id normalized
    assert verdict("(MIT OR Apache-2.0) AND BSD-3-Clause", allow=("Apache-2.0", "BSD-3-Clause")) == "ok"
    assert verdict("MIT OR GPL-3.0-only", deny=("GPL-3.0-only",)) == "ok"
    assert verdict("MIT AND GPL-3.0-only", deny=("GPL-3.0-only",)) == "denied"
    assert verdict("GPL-2.0-only WITH Classpath-exception-2.0", allow=("GPL-2.0-only",)) == "ok"
    assert verdict("GPL-2.0-only WITH Classpath-exception-2.0", deny=("GPL-2.0-only",)) == "denied"
    assert verdict("LicenseRef-acme", allow=("LicenseRef-acme",)) == "ok"
    with pytest.raises(licexpr.Unparsable):
        licexpr.choices("MIT OR")
    ids = ["MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Zlib", "MPL-2.0", "EPL-2.0", "Unlicense",
           "0BSD", "PSF-2.0", "CC0-1.0", "BSL-1.0", "AFL-3.0"]
    many = " AND ".join(f"({ids[i]} OR {ids[i + 7]})" for i in range(7)) + " AND (MIT OR ISC) AND (Zlib OR MIT)"
    with pytest.raises(licexpr.Unparsable, match="ways to read"):
        licexpr.choices(many)


def vuln_bom(tmp: Path, state: str | None, severity: str = "critical", score: float = 9.8) -> Path:
    vuln: dict[str, object] = {"id": "CVE-2099-0001", "ratings": [{"severity": severity, "score": score, "method": "CVSSv31"}],
                               "affects": [{"ref": "pkg:pypi/numpy@2.2.3"}]}
    if state:
        vuln["analysis"] = {"state": state, "detail": "not reachable"}
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "metadata": {"tools": {"components": [{"type": "application", "name": "mlbom"}]}},
           "components": [{"type": "library", "name": "numpy", "version": "2.2.3", "purl": "pkg:pypi/numpy@2.2.3",
                           "bom-ref": "pkg:pypi/numpy@2.2.3"}],
           "vulnerabilities": [vuln]}
    p = tmp / f"vex-{state}-{severity}.json"
    p.write_text(json.dumps(doc))
    return p


def test_vulnerabilities_respect_vex(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, '[vulnerabilities]\nfail-on = "critical"\n')
    rc, out, _ = run(["check", str(vuln_bom(tmp_path, None)), "--policy", str(policy)], capsys)
    assert rc == 1 and "FAIL  vulnerabilities.severity  pkg:pypi/numpy@2.2.3: CVE-2099-0001 is critical" in out
    for state in ("not_affected", "resolved", "false_positive"):
        rc, out, _ = run(["check", str(vuln_bom(tmp_path, state)), "--policy", str(policy)], capsys)
        assert rc == 0, out
    rc, out, _ = run(["check", str(vuln_bom(tmp_path, "exploitable")), "--policy", str(policy)], capsys)
    assert rc == 1 and "VEX state exploitable" in out
    cvss = write(tmp_path, '[vulnerabilities]\nmax-cvss = 7.0\n')
    rc, out, _ = run(["check", str(vuln_bom(tmp_path, "in_triage", "high", 7.5)), "--policy", str(cvss)], capsys)
    assert rc == 1 and "CVSS 7.5 > max-cvss 7.0" in out
    rc, out, _ = run(["check", str(vuln_bom(tmp_path, None, "medium", 5.0)), "--policy", str(cvss)], capsys)
    assert rc == 0
    waived = write(tmp_path, '[vulnerabilities]\nfail-on = "high"\n\n[[exceptions]]\nid = "CVE-2099-0001"\n'
                   'component = "numpy"\nreason = "only the CLI uses it"\n')
    rc, out, _ = run(["check", str(vuln_bom(tmp_path, None)), "--policy", str(waived)], capsys)
    assert rc == 0 and "WAIVED  vulnerabilities.severity  pkg:pypi/numpy@2.2.3" in out
    rc, out, _ = run(["check", str(vuln_bom(tmp_path, None)), "--policy", str(write(tmp_path, '[findings]\nfail-on = "low"\n'))],
                     capsys)
    assert rc == 0  # an mlbom BOM without findings has no finding at or above low


def test_packages_rules(boms: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, '[packages]\ndeny = ["NumPy <3", "torch <2.6", "Attrs"]\n')
    rc, out, _ = run(["check", str(boms["safetensors"]), "--policy", str(policy)], capsys)
    assert rc == 1
    assert "FAIL  packages.deny  pkg:pypi/numpy@2.2.3: numpy 2.2.3 matches denied 'NumPy <3'" in out
    assert "FAIL  packages.deny  pkg:pypi/attrs@25.1.0: package attrs is denied ('Attrs')" in out
    assert "torch" not in out.split("rules checked")[0]
    policy = write(tmp_path, '[packages]\nrequire-hashes = true\nforbid-extra-index-url = true\n')
    rc, out, _ = run(["check", str(boms["safetensors"]), "--policy", str(policy), "--format", "sarif"], capsys)
    (res,) = json.loads(out)["runs"][0]["results"]
    assert rc == 1 and res["ruleId"] == "packages.hashes" and "pkg:pypi/tqdm" in res["message"]["text"]
    assert res["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "requirements.txt"}, "region": {"startLine": 8}}


def test_extra_index_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "requirements.txt").write_text("--extra-index-url https://internal.example/simple\nrequests==2.32.3\n")
    bom = tmp_path / "bom.json"
    assert main(["generate", "-r", str(tmp_path / "requirements.txt"), "-o", str(bom)]) == 0
    policy = write(tmp_path, '[packages]\nforbid-extra-index-url = true\n')
    rc, out, _ = run(["check", str(bom), "--policy", str(policy)], capsys)
    assert rc == 1 and "FAIL  packages.extra-index-url" in out and "internal.example" in out


def test_datasets_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = release(tmp_path, pickle=False)
    policy = write(tmp_path, '[datasets]\nrequire-license = true\nrequire-checksums = true\n')
    bom = tmp_path / "bom.json"
    assert main(["generate", str(root), "-o", str(bom)]) == 0
    rc, out, _ = run(["check", str(bom), "--policy", str(policy)], capsys)
    assert rc == 0, out  # reviews.csv is verified against the Croissant sha256
    (root / "data" / "extra.csv").write_text("a,b\n1,2\n")
    (root / "data" / "reviews.csv").write_text("tampered\n")
    assert main(["generate", str(root), "-o", str(bom)]) == 0
    rc, out, _ = run(["check", str(bom), "--policy", str(policy)], capsys)
    assert rc == 1
    assert "FAIL  datasets.checksums  data/extra.csv: no checksum is declared for it" in out
    assert "FAIL  datasets.checksums  data/reviews.csv: its declared checksum does not match" in out


def test_model_rules(boms: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, '[models]\nrequire-card = true\nrequire-license = true\nrequire-base-model-revision = true\n')
    rc, out, _ = run(["check", str(boms["safetensors"]), "--policy", str(policy)], capsys)
    assert rc == 1
    assert ("FAIL  models.base-model-revision  tiny-release-classifier: base model pkg:huggingface/acme/tiny-encoder "
            "is not pinned to a revision") in out
    assert "models.card  " not in out and "models.license  " not in out


def test_signature_required(boms: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, "[signature]\nrequired = true\n")
    assert main(["keygen", "-o", str(tmp_path / "k")]) == 0
    assert main(["keygen", "-o", str(tmp_path / "other")]) == 0
    signed = tmp_path / "signed.json"
    assert main(["sign", str(boms["safetensors"]), "--key", str(tmp_path / "k.key"), "-o", str(signed)]) == 0
    capsys.readouterr()
    rc, out, _ = run(["check", str(signed), "--policy", str(policy), "--key", str(tmp_path / "k.pub")], capsys)
    assert rc == 0, out
    rc, out, _ = run(["check", str(signed), "--policy", str(policy)], capsys)
    assert rc == 1 and "cannot evaluate: no trusted key given (--key)" in out
    rc, out, _ = run(["check", str(signed), "--policy", str(policy), "--key", str(tmp_path / "other.pub")], capsys)
    assert rc == 1 and "FAIL  signature.required" in out and "does not verify" in out
    rc, out, _ = run(["check", str(boms["safetensors"]), "--policy", str(policy), "--key", str(tmp_path / "k.pub")], capsys)
    assert rc == 1 and "does not verify" in out  # unsigned
    tampered = tmp_path / "tampered.json"
    tampered.write_text(signed.read_text().replace("tiny-release-classifier", "tiny-release-classifieR"))
    rc, out, _ = run(["check", str(tampered), "--policy", str(policy), "--key", str(tmp_path / "k.pub")], capsys)
    assert rc == 1 and "does not verify" in out
    rc, _, err = run(["check", str(signed), "--policy", str(policy), "--key", str(tmp_path / "nokey.pub")], capsys)
    assert rc == 2 and len(err.strip().splitlines()) <= 2


def test_junit_and_markdown(boms: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, ONLY_SAFETENSORS + '[licenses]\nallow = ["MIT", "Apache-2.0", "CC0-1.0"]\nunknown = "warn"\n')
    junit = tmp_path / "junit.xml"
    rc, _, _ = run(["check", str(boms["pickle"]), "--policy", str(policy), "--format", "junit", "-o", str(junit)], capsys)
    assert rc == 1
    root = ET.parse(junit).getroot()
    cases = {c.get("name", "").split(":")[0]: c for c in root.iter("testcase")}
    assert set(cases) == {"licenses.allow", "licenses.unknown", "models.format", "models.verdict"}
    assert root.get("failures") == "2"
    failure = cases["models.format"].find("failure")
    assert failure is not None and "model/pytorch_model.bin" in (failure.text or "")
    assert cases["licenses.allow"].find("failure") is None
    assert "warning" in (cases["licenses.unknown"].findtext("system-out") or "")
    rc, out, _ = run(["check", str(boms["pickle"]), "--policy", str(policy), "--format", "markdown"], capsys)
    assert out.startswith("### mlbom check: ❌ failed")
    assert "| ❌ | `models.format` | `model/pytorch_model.bin` | weight format pickle is not allowed" in out


HOSTILE = FIXTURES / "hostile" / "policy"


@pytest.mark.parametrize("path", sorted(HOSTILE.glob("*.json")), ids=lambda p: p.name)
def test_hostile_boms_replay(path: Path) -> None:
    """Fuzz reproducers: every rule and renderer on a malformed BOM returns or raises MlbomError."""
    from fuzz.targets.policy import _check
    from mlbom.errors import MlbomError

    with contextlib.suppress(MlbomError):
        _check(path.read_bytes())


def test_documented_policies_are_what_the_code_does() -> None:
    """docs/policy.md's examples parse, and its default-policy block is the built-in default."""
    import re
    from dataclasses import replace

    from mlbom.policy import DEFAULT
    from mlbom.policy.config import loads

    text = (Path(__file__).resolve().parent.parent / "docs" / "policy.md").read_text(encoding="utf-8")
    default_block, full_block = re.findall(r"```toml\n(.*?)```", text, re.S)[:2]
    assert replace(loads(default_block.encode(), "d"), source=DEFAULT.source) == DEFAULT
    full = loads(full_block.encode(), "full.toml")
    assert full.license_allow == ("MIT", "Apache-2.0", "BSD-3-Clause") and full.signature_required
    assert [d.text for d in full.package_deny] == ["pickle5", "torch <2.6"]
    assert full.exceptions[0].reason == "accepted until the conversion lands" and full.exceptions[0].line == 38


def test_expired_exception_is_located_at_the_policy_line(boms: dict[str, Path], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, ONLY_SAFETENSORS + '\n[[exceptions]]\nid = "models.format"\nreason = "r"\nexpires = "2001-01-01"\n')
    rc, out, _ = run(["check", str(boms["pickle"]), "--policy", "mlbom-policy.toml", "--format", "sarif",
                      "--base", "release"], capsys)
    results = json.loads(out)["runs"][0]["results"]
    (expired,) = [r for r in results if r["ruleId"] == "exceptions.expired"]
    assert rc == 1 and expired["level"] == "warning"
    assert expired["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "mlbom-policy.toml"},
                                                           "region": {"startLine": 5}}
    assert sarif_errors(json.loads(out)) == []


def test_two_verdicts_the_worst_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Red team 10c P1: a file stating `safe` before `unsafe` failed no gate (the first verdict was
    read) while the report said UNSAFE. The gate, the index and the ML rules read the worst."""
    from mlbom.model import stated_verdict

    assert stated_verdict(["safe", "unsafe"]) == "unsafe"
    assert stated_verdict(["suspicious", "safe"]) == "suspicious"
    assert stated_verdict(["safe", "bogus"]) == "bogus"  # not a verdict: never an allowed one
    assert stated_verdict([]) == ""
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
           "metadata": {"tools": {"components": [{"type": "application", "name": "mlbom"}]}},
           "components": [{"type": "file", "bom-ref": "f1", "name": "model.pkl",
                           "properties": [{"name": "mlbom:file:path", "value": "model.pkl"},
                                          {"name": "mlbom:file:format", "value": "pickle"},
                                          {"name": "mlbom:safety:verdict", "value": "safe"},
                                          {"name": "mlbom:safety:verdict", "value": "unsafe"}]}]}
    bom = tmp_path / "bom.cdx.json"
    bom.write_text(json.dumps(doc))
    policy = write(tmp_path, '[models]\nverdicts = ["safe"]\n')
    rc, out, _ = run(["check", str(bom), "--policy", str(policy), "--format", "json"], capsys)
    got = json.loads(out)
    assert rc == 1, out
    assert any(v["rule"] == "models.verdict" and "unsafe" in v["fact"] for v in got["violations"])


def test_a_stated_verdict_is_judged_without_a_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Red team 10c P3: a file stating `unsafe` but no `mlbom:file:format` was never judged."""
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b7a",
           "metadata": {"tools": {"components": [{"type": "application", "name": "mlbom"}]}},
           "components": [{"type": "file", "bom-ref": "f1", "name": "model.pkl",
                           "properties": [{"name": "mlbom:file:path", "value": "model.pkl"},
                                          {"name": "mlbom:safety:verdict", "value": "unsafe"}]}]}
    bom = tmp_path / "bom.cdx.json"
    bom.write_text(json.dumps(doc))
    policy = write(tmp_path, '[models]\nverdicts = ["safe"]\n')
    rc, out, _ = run(["check", str(bom), "--policy", str(policy), "--format", "json"], capsys)
    assert rc == 1, out
    assert [v["rule"] for v in json.loads(out)["violations"]] == ["models.verdict"]


def test_a_finding_exception_waives_a_verdict_only_for_every_finding(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Red team 10c X1: an exception written for one finding of a file (`pickle.unlisted-callable`)
    waived the verdict violation of a file made `unsafe` by another (`pickle.dangerous-callable`)."""
    def bom_with(findings: list[str]) -> Path:
        props = [{"name": "mlbom:file:path", "value": "model.pkl"}, {"name": "mlbom:file:format", "value": "pickle"},
                 {"name": "mlbom:safety:verdict", "value": "unsafe"}]
        props += [{"name": "mlbom:finding", "value": f} for f in findings]
        doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
               "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b7b",
               "metadata": {"tools": {"components": [{"type": "application", "name": "mlbom"}]}},
               "components": [{"type": "file", "bom-ref": "f1", "name": "model.pkl", "properties": props}]}
        bom = tmp_path / "bom.cdx.json"
        bom.write_text(json.dumps(doc))
        return bom

    one = '[models]\nverdicts = ["safe", "suspicious"]\n\n[[exceptions]]\nid = "pickle.unlisted-callable"\nreason = "reviewed"\n'
    both = one + '\n[[exceptions]]\nid = "pickle.dangerous-callable"\nreason = "test fixture"\n'
    bom = bom_with(["critical pickle.dangerous-callable: calls posix.system",
                    "medium pickle.unlisted-callable: calls foo.Bar", "info pickle.note: protocol 4"])
    rc, out, _ = run(["check", str(bom), "--policy", str(write(tmp_path, one)), "--format", "json"], capsys)
    assert rc == 1 and [v["rule"] for v in json.loads(out)["violations"]] == ["models.verdict"], out
    rc, out, _ = run(["check", str(bom), "--policy", str(write(tmp_path, both)), "--format", "json"], capsys)
    assert rc == 0, out  # every finding that is not info is covered
    bom = bom_with(["medium pickle.unlisted-callable: calls foo.Bar"])
    rc, out, _ = run(["check", str(bom), "--policy", str(write(tmp_path, one)), "--format", "json"], capsys)
    assert rc == 0, out


def test_an_expired_exception_counts_what_it_would_waive_by_the_live_rule(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """fix11d: an expired exception's report counted every violation carrying its finding id,
    although a live one waives a verdict only with exceptions for every finding id (red team 10c
    X1): the count follows the same rule (``_waivers``), as if it were still live."""
    props = [{"name": "mlbom:file:path", "value": "model.pkl"}, {"name": "mlbom:file:format", "value": "pickle"},
             {"name": "mlbom:safety:verdict", "value": "unsafe"},
             {"name": "mlbom:finding", "value": "critical pickle.dangerous-callable: calls posix.system"},
             {"name": "mlbom:finding", "value": "medium pickle.unlisted-callable: calls foo.Bar"}]
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b7b",
           "metadata": {"tools": {"components": [{"type": "application", "name": "mlbom"}]}},
           "components": [{"type": "file", "bom-ref": "f1", "name": "model.pkl", "properties": props}]}
    bom = tmp_path / "bom.cdx.json"
    bom.write_text(json.dumps(doc))
    one = ('[models]\nverdicts = ["safe", "suspicious"]\n\n[[exceptions]]\nid = "pickle.unlisted-callable"\n'
           'reason = "reviewed"\nexpires = "2020-01-31"\n')

    def expired(policy: str) -> list[str]:
        rc, out, _ = run(["check", str(bom), "--policy", str(write(tmp_path, policy)), "--format", "json"], capsys)
        assert rc == 1, out
        return [v["fact"] for v in json.loads(out)["violations"] if v["rule"] == "exceptions.expired"]

    (fact,) = expired(one)  # alone it never waived the unsafe verdict another finding caused
    assert "it no longer waives anything (it matches no violation)" in fact, fact
    both = one + '\n[[exceptions]]\nid = "pickle.dangerous-callable"\nreason = "fixture"\nexpires = "2020-01-31"\n'
    facts = expired(both)  # together they did
    assert len(facts) == 2 and all("the 1 violation(s) it matches" in f for f in facts), facts
