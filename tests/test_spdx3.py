"""mlbom convert --to spdx3: the example release's BOM as SPDX 3.0.1 JSON-LD, read back with the
official spdx-python-model deserializer, and the facts that must survive the trip."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import spdx_python_model
from spdx_python_model import v3_0_1 as spdx

import mlbom
from mlbom.cli import main
from mlbom.reader import loads
from mlbom.spdx3 import to_spdx3

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"
FOREIGN = Path(__file__).resolve().parent / "fixtures" / "report" / "cyclonedx-example.model-card-with-dataset.json"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    d = json.loads(mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True, gpu=False)))
    assert isinstance(d, dict)
    return d


def _read_back(data: bytes) -> Any:
    model, objset = spdx_python_model.load_data(json.loads(data))
    assert model is spdx
    return objset


def _rels(objset: Any, kind: str) -> list[tuple[str, list[str]]]:
    return [(r.from_.name, sorted(t.name or t._id for t in r.to)) for r in objset.foreach_type(spdx.Relationship)
            if r.relationshipType == getattr(spdx.RelationshipType, kind)]


def test_example_round_trips_through_spdx_python_model(doc: dict[str, Any], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bom.json").write_text(json.dumps(doc))
    assert main(["convert", str(tmp_path / "bom.json"), "--to", "spdx3", "-o", str(tmp_path / "bom.spdx.json")]) == 0
    data = (tmp_path / "bom.spdx.json").read_bytes()
    objset = _read_back(data)

    # one AI package for the model (from its card), plus one for the base model
    ai = {p.name: p for p in objset.foreach_type(spdx.ai_AIPackage)}
    model = ai["tiny-release-classifier"]
    assert list(model.ai_domain) == ["text-classification"]
    assert set(model.ai_typeOfModel) == {"tiny-classifier", "TinyClassifier"}
    assert [(m.key, m.value) for m in model.ai_metric] == [("accuracy (acme/tiny-reviews / test)", "0.91")]
    assert model.ai_limitation == "Ten parameters; it has learnt nothing useful."
    assert model.ai_informationAboutApplication.startswith("Demonstrating ML-BOMs")
    assert model.ai_autonomyType is None  # the card does not state it
    base = ai["acme/tiny-encoder"]
    assert base.software_packageUrl == "pkg:huggingface/acme/tiny-encoder"
    assert ("acme/tiny-encoder", ["tiny-release-classifier"]) in _rels(objset, "ancestorOf")

    # one dataset package for the data
    (ds,) = list(objset.foreach_type(spdx.dataset_DatasetPackage))
    assert ds.name == "tiny-reviews" and ds.dataset_datasetSize == 1691
    assert set(ds.dataset_datasetType) == {spdx.dataset_DatasetType.text, spdx.dataset_DatasetType.numeric}
    assert ("tiny-release-classifier", ["tiny-reviews"]) in _rels(objset, "trainedOn")
    assert ("tiny-release-classifier", ["tiny-reviews"]) in _rels(objset, "testedOn")

    # one software package per library, with purl and version
    libs = {p.name: p for p in objset.foreach_type(spdx.software_Package)
            if type(p) is spdx.software_Package and p.software_primaryPurpose == spdx.software_SoftwarePurpose.library}
    expected = {c["name"]: c for c in doc["components"] if c["type"] == "library"}
    assert set(libs) == set(expected)
    for name, c in expected.items():
        assert libs[name].software_packageUrl == c["purl"]
        assert libs[name].software_packageVersion == c.get("version")
        assert sorted(h.hashValue for h in libs[name].verifiedUsing) == sorted(h["content"] for h in c.get("hashes", []))

    # files with their hashes; the model and the dataset contain theirs
    files = {f.name: f for f in objset.foreach_type(spdx.software_File)}
    weights = files["model/model.safetensors"]
    assert [(h.algorithm, h.hashValue) for h in weights.verifiedUsing] == [
        (spdx.HashAlgorithm.sha256, "d5d2d05c557f00f3e46110024285ddaec7429bcf1e477a2cced46af2a26a9fa6")]
    assert spdx.software_SoftwarePurpose.model in weights.software_additionalPurpose
    contains = dict(_rels(objset, "contains"))
    assert contains["tiny-release-classifier"] == ["model/README.md", "model/config.json", "model/model.safetensors"]
    assert contains["tiny-reviews"] == ["data/croissant.json", "data/reviews.csv"]
    assert {"tiny-release-classifier", "tiny-reviews"} <= set(contains["tiny-release"])

    # licences as SimpleLicensing expressions
    declared = {frm: to for frm, to in _rels(objset, "hasDeclaredLicense")}
    exprs = {e._id: e.simplelicensing_licenseExpression for e in objset.foreach_type(spdx.simplelicensing_LicenseExpression)}
    assert [exprs[i] for i in declared["tiny-release-classifier"]] == ["Apache-2.0"]
    assert [exprs[i] for i in declared["tiny-reviews"]] == ["CC0-1.0"]

    # a CreationInfo naming mlbom; the document and its root
    (sdoc,) = list(objset.foreach_type(spdx.SpdxDocument))
    ci = sdoc.creationInfo
    assert ci.specVersion == "3.0.1" and [t.name for t in ci.createdUsing] == [f"mlbom {mlbom.__version__}"]
    assert [a.name for a in ci.createdBy] == ["mlbom"]
    assert [r.name for r in sdoc.rootElement] == ["tiny-release"]

    # deterministic: the same BOM converts to the same bytes
    assert to_spdx3(loads(json.dumps(doc).encode(), name="again.json")) == data


def test_vulnerabilities_become_vex(doc: dict[str, Any]) -> None:
    d = copy.deepcopy(doc)
    d["vulnerabilities"] = [
        {"bom-ref": "v1", "id": "CVE-2024-0001", "description": "bad numpy", "ratings": [{"severity": "high"}],
         "analysis": {"state": "not_affected", "justification": "code_not_reachable", "detail": "not called"},
         "affects": [{"ref": "pkg:pypi/numpy@2.2.3"}]},
        {"bom-ref": "v2", "id": "PYSEC-2024-2", "analysis": {"state": "exploitable"}, "recommendation": "upgrade tqdm",
         "affects": [{"ref": "pkg:pypi/tqdm"}]},
        {"bom-ref": "v3", "id": "GHSA-xxxx-yyyy-zzzz", "affects": [{"ref": "pkg:pypi/tqdm"}]},
        {"bom-ref": "v4", "id": "CVE-2024-0004", "analysis": {"state": "resolved"}, "affects": [{"ref": "pkg:pypi/attrs@25.1.0"}]},
    ]
    objset = _read_back(to_spdx3(loads(json.dumps(d).encode(), name="vulns.json")))
    vulns = {v.name: v for v in objset.foreach_type(spdx.security_Vulnerability)}
    assert set(vulns) == {"CVE-2024-0001", "PYSEC-2024-2", "GHSA-xxxx-yyyy-zzzz", "CVE-2024-0004"}
    assert vulns["CVE-2024-0001"].externalIdentifier[0].externalIdentifierType == spdx.ExternalIdentifierType.cve
    (na,) = list(objset.foreach_type(spdx.security_VexNotAffectedVulnAssessmentRelationship))
    assert na.security_justificationType == spdx.security_VexJustificationType.vulnerableCodeNotInExecutePath
    assert [t.name for t in na.to] == ["numpy"] and na.from_.name == "CVE-2024-0001"
    (aff,) = list(objset.foreach_type(spdx.security_VexAffectedVulnAssessmentRelationship))
    assert aff.security_actionStatement == "upgrade tqdm"
    (ui,) = list(objset.foreach_type(spdx.security_VexUnderInvestigationVulnAssessmentRelationship))
    assert ui.from_.name == "GHSA-xxxx-yyyy-zzzz"
    (fx,) = list(objset.foreach_type(spdx.security_VexFixedVulnAssessmentRelationship))
    assert [t.name for t in fx.to] == ["attrs"]
    assert len(_rels(objset, "hasAssociatedVulnerability")) == 4


def test_foreign_bom_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(FOREIGN), "--to", "spdx3", "-o", str(tmp_path / "f.json")]) == 0
    objset = _read_back((tmp_path / "f.json").read_bytes())
    (model,) = list(objset.foreach_type(spdx.ai_AIPackage))
    assert model.name == "support-ticket-classifier"
    assert {d.name for d in objset.foreach_type(spdx.dataset_DatasetPackage)} == {
        "support-ticket-training-data", "support-ticket-evaluation-data"}
    assert len(_rels(objset, "trainedOn")[0][1]) == 2
    capsys.readouterr()
    (tmp_path / "junk.json").write_text("[]")
    assert main(["convert", str(tmp_path / "junk.json"), "--to", "spdx3"]) == 2
    assert main(["convert", str(FOREIGN), "--to", "spdx2"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_hostile_strings_survive_as_data(doc: dict[str, Any]) -> None:
    d = copy.deepcopy(doc)
    for c in d["components"]:
        if c["type"] == "library" and c["name"] == "numpy":
            c["name"] = 'numpy"}, {"@id": "evil'
            c["licenses"] = [{"license": {"name": "My Licence (see LICENSE) \u2028 <b>"}}]
    objset = _read_back(to_spdx3(loads(json.dumps(d).encode(), name="hostile.json")))
    names = {p.name for p in objset.foreach_type(spdx.software_Package)}
    assert 'numpy"}, {"@id": "evil' in names
    exprs = {e.simplelicensing_licenseExpression for e in objset.foreach_type(spdx.simplelicensing_LicenseExpression)}
    mine = [e for e in exprs if e.startswith("LicenseRef-My-Licence-see-LICENSE-b-")]  # a valid LicenseRef
    assert len(mine) == 1 and len(mine[0]) == len("LicenseRef-My-Licence-see-LICENSE-b-") + 16  # + a digest of the text
    comments = {e.comment for e in objset.foreach_type(spdx.simplelicensing_LicenseExpression) if e.comment}
    assert comments == {"not an SPDX expression in the source BOM: My Licence (see LICENSE) \u2028 <b>"}


def _graph_ids(data: bytes) -> list[str]:
    return [str(o["spdxId"]) for o in json.loads(data)["@graph"] if "spdxId" in o]


def test_rt94c_1_components_without_bom_ref_keep_their_own_ids() -> None:
    """Two libraries with no bom-ref and the same name and version (a pypi and an npm package) and
    one CVE listed twice (once per affected component, as Grype and Trivy write it): every node
    keeps its own id, both packages are read back, the CVE is one node associated with both."""
    lib = {"type": "library", "name": "requests", "version": "2.31.0"}
    d = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {**lib, "bom-ref": "a", "purl": "pkg:pypi/requests@2.31.0", "licenses": [{"license": {"id": "Apache-2.0"}}]},
        {**lib, "bom-ref": "b", "purl": "pkg:npm/requests@2.31.0", "licenses": [{"license": {"id": "GPL-3.0-only"}}]},
        {**lib, "purl": "pkg:cargo/requests@2.31.0"}, {**lib, "purl": "pkg:gem/requests@2.31.0"}],
        "vulnerabilities": [{"id": "CVE-2024-0001", "description": "first", "affects": [{"ref": "a"}]},
                            {"id": "CVE-2024-0001", "description": "second", "affects": [{"ref": "b"}],
                             "analysis": {"state": "not_affected", "justification": "code_not_present"}}]}
    data = to_spdx3(loads(json.dumps(d).encode(), name="dup.json"))
    ids = _graph_ids(data)
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    objset = _read_back(data)
    purls = sorted(p.software_packageUrl for p in objset.foreach_type(spdx.software_Package))
    assert purls == ["pkg:cargo/requests@2.31.0", "pkg:gem/requests@2.31.0", "pkg:npm/requests@2.31.0", "pkg:pypi/requests@2.31.0"]
    vulns = list(objset.foreach_type(spdx.security_Vulnerability))
    assert [v.name for v in vulns] == ["CVE-2024-0001"]
    assoc = sorted(r.from_.software_packageUrl for r in objset.foreach_type(spdx.Relationship)
                   if r.relationshipType == spdx.RelationshipType.hasAssociatedVulnerability)
    assert assoc == ["pkg:npm/requests@2.31.0", "pkg:pypi/requests@2.31.0"]
    not_affected = [sorted(t.software_packageUrl for t in r.to) for r in objset.foreach_type(spdx.Relationship)
                    if r.relationshipType == spdx.RelationshipType.doesNotAffect]
    assert not_affected == [["pkg:npm/requests@2.31.0"]]  # the second entry's analysis, for its own component


def test_rt94c_2_distinct_licence_names_never_share_a_licenseref() -> None:
    names = ["Proprietary: no redistribution", "Proprietary; no-redistribution", "\u5546\u7528\u7981\u6b62",
             "\u81ea\u7531\u306b\u518d\u914d\u5e03\u53ef", "Plain-Name-1.0"]
    d = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "name": f"p{i}", "version": "1", "bom-ref": f"p{i}", "licenses": [{"license": {"name": n}}]}
        for i, n in enumerate(names)]}
    data = to_spdx3(loads(json.dumps(d).encode(), name="lic.json"))
    objset = _read_back(data)
    declared = {r.from_.name: r.to[0] for r in objset.foreach_type(spdx.Relationship)
                if r.relationshipType == spdx.RelationshipType.hasDeclaredLicense}
    exprs = {name: lic.simplelicensing_licenseExpression for name, lic in declared.items()}
    assert len(set(exprs.values())) == len(names), exprs
    for i, n in enumerate(names):  # each package's licence carries its own text
        assert declared[f"p{i}"].comment == f"not an SPDX expression in the source BOM: {n}"
    assert exprs["p4"] == "LicenseRef-Plain-Name-1.0"  # a name that is already a LicenseRef stem is kept as it is
    assert all(re.fullmatch(r"LicenseRef-[A-Za-z0-9.\-]+", e) for e in exprs.values()), exprs
