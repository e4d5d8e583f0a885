"""ML-aware analysis: loader advisories name the shipped artifacts their code would load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.properties import Prop
from mlbom.vulns.audit import audit_components
from mlbom.vulns.db import open_database
from mlbom.vulns.ml_rules import bundled_rules
from tests.conftest import assert_valid
from tests.vulns.conftest import FIXTURES, PYPA_SUBSET, write_site_packages

ML_DB = FIXTURES / "osv" / "ml"


def _lib(name: str, version: str) -> dict[str, object]:
    return {"type": "library", "bom-ref": f"pkg:pypi/{name}@{version}", "name": name, "version": version,
            "purl": f"pkg:pypi/{name}@{version}"}


def _file(path: str, fmt: str, verdict: str, *, facts: tuple[str, ...] = (), findings: tuple[str, ...] = ()) -> dict[str, object]:
    props = [{"name": Prop.FILE_FORMAT.value, "value": fmt}, {"name": Prop.SAFETY_VERDICT.value, "value": verdict},
             {"name": Prop.FILE_PATH.value, "value": path}]
    props += [{"name": Prop.FILE_FACT.value, "value": f} for f in facts]
    props += [{"name": Prop.FINDING.value, "value": f} for f in findings]
    return {"type": "file", "bom-ref": f"file:{path}", "name": path.rsplit("/", 1)[-1], "properties": props}


def _by_id(components: list[dict[str, object]]) -> dict[str, object]:
    result = audit_components(components, [open_database(ML_DB, use_cache=False)])
    return {v.id: v for v in result.vulnerabilities}


def test_rules_file_is_versioned_and_cites_every_advisory() -> None:
    rules = bundled_rules()
    assert rules.version and len(rules.rules) >= 10
    for r in rules.rules:
        assert r.source.startswith("https://") and r.advisories and r.packages
        assert r.formats or r.path_suffixes


def test_rule_advisories_that_the_pypa_snapshot_has_exist_there(corpus: Path) -> None:
    db = corpus / "osv" / "pypa-advisory-database" / "vulns"
    assert (db / "onnx" / "PYSEC-2023-38.yaml").is_file()
    text = (db / "onnx" / "PYSEC-2023-38.yaml").read_text("utf-8")
    assert "CVE-2022-25882" in text and "fixed: 1.13.0" in text
    # The others are newer than the 2024 snapshot or GHSA-only: the rules name their aliases too.
    ids = {a for r in bundled_rules().rules for a in r.advisories}
    assert {"CVE-2025-32434", "GHSA-53Q9-R3PM-6PQ6", "CVE-2024-34359", "GHSA-56XG-WFCC-G829"} <= ids
    # Every rule advisory the snapshot does hold is a record for one of the rule's packages.
    database = open_database(corpus / "osv" / "pypa-advisory-database")
    for rule in bundled_rules().rules:
        for pkg in rule.packages:
            for rec in database.records_for(pkg):
                if ({rec.id.upper()} | {a.upper() for a in rec.aliases}) & rule.advisories:
                    assert {a.name for a in rec.affected} & rule.packages


def test_torch_bypass_names_the_pickle_checkpoints_and_raises_the_rating() -> None:
    vulns = _by_id([_lib("torch", "2.5.1"),
                    _file("model/pytorch_model.bin", "pytorch-zip", "unsafe",
                          findings=("critical pickle.dangerous-callable: posix.system",)),
                    _file("model/model.safetensors", "safetensors", "safe")])
    v = vulns["GHSA-53q9-r3pm-6pq6"]
    assert [r.id for r in v.references] == ["CVE-2025-32434"]
    assert [a.ref for a in v.affects] == ["file:model/pytorch_model.bin", "pkg:pypi/torch@2.5.1"]
    assert v.analysis is not None and v.analysis.state == "in_triage"
    assert "model/pytorch_model.bin" in (v.analysis.detail or "") and "would load" in (v.analysis.detail or "")
    mlbom_ratings = [r for r in v.ratings if r.source and r.source.name == "mlbom"]
    assert [r.severity for r in mlbom_ratings] == ["critical"]
    linked = [p.value for p in v.properties if p.name == Prop.VULN_LINKED_FINDING.value]
    assert linked == ["file:model/pytorch_model.bin: critical pickle.dangerous-callable: posix.system"]
    cvss = [r for r in v.ratings if r.method == "CVSSv4"]
    assert cvss and cvss[0].score == 9.3 and cvss[0].severity == "critical"
    assert v.recommendation and "2.6.0" in v.recommendation and v.cwes == (502,)


def test_safetensors_only_release_says_no_artifact_exercises_the_path() -> None:
    vulns = _by_id([_lib("torch", "2.5.1"), _file("model/model.safetensors", "safetensors", "safe")])
    v = vulns["GHSA-53q9-r3pm-6pq6"]
    assert v.analysis is not None
    assert v.analysis.state == "in_triage"  # never not_affected on mlbom's own
    assert (v.analysis.detail or "").startswith("No shipped artifact exercises the vulnerable path")
    assert [a.ref for a in v.affects] == ["pkg:pypi/torch@2.5.1"]
    assert not [r for r in v.ratings if r.source and r.source.name == "mlbom"]


def test_safe_pickle_checkpoint_is_named_without_raising() -> None:
    vulns = _by_id([_lib("torch", "2.5.1"), _file("m/pytorch_model.bin", "pytorch-legacy", "safe")])
    v = vulns["GHSA-53q9-r3pm-6pq6"]
    assert "file:m/pytorch_model.bin" in [a.ref for a in v.affects]
    assert not [r for r in v.ratings if r.source and r.source.name == "mlbom"]


def test_onnx_external_data_and_gguf_chat_template() -> None:
    vulns = _by_id([_lib("onnx", "1.12.0"), _lib("llama-cpp-python", "0.2.50"),
                    _file("m/model.onnx", "onnx", "safe", facts=("onnx.external-data=weights.bin",)),
                    _file("m/plain.onnx", "onnx", "safe"),
                    _file("g/model.gguf", "gguf", "safe", facts=("chat-template.sha256=" + "0" * 64,))])
    onnx = vulns["PYSEC-2023-38"]
    assert [a.ref for a in onnx.affects] == ["file:m/model.onnx", "pkg:pypi/onnx@1.12.0"]  # not plain.onnx
    llama = vulns["GHSA-56xg-wfcc-g829"]
    assert "file:g/model.gguf" in [a.ref for a in llama.affects]
    assert all(v.analysis is None or v.analysis.state != "not_affected" for v in vulns.values())


def test_fixed_versions_do_not_match_at_all() -> None:
    assert _by_id([_lib("torch", "2.6.0"), _file("m/pytorch_model.bin", "pytorch-zip", "unsafe")]) == {}


def test_generate_on_a_release_with_a_malicious_checkpoint(tmp_path: Path) -> None:
    """End to end through the real scanner: the pickle checkpoint is named and linked."""
    site = write_site_packages(tmp_path / "venv", {"torch": "2.5.1", "onnx": "1.12.0"})
    model = tmp_path / "model"
    model.mkdir()
    shutil.copy(FIXTURES / "pickles" / "pytorch_magic_bypass.pt", model / "pytorch_model.pt")
    db = tmp_path / "db"
    shutil.copytree(ML_DB, db)
    out = tmp_path / "bom.json"
    assert main(["generate", "--env", str(site), "--model", str(model), "--vuln-db", str(db), "--vuln-db",
                 str(PYPA_SUBSET), "--reproducible", "-o", str(out)]) == 0
    doc = assert_valid(out.read_bytes())
    vulns = {v["id"]: v for v in doc["vulnerabilities"]}  # type: ignore[union-attr]
    torch = vulns["GHSA-53q9-r3pm-6pq6"]
    file_refs = [a["ref"] for a in torch["affects"] if not a["ref"].startswith("pkg:pypi/")]
    assert len(file_refs) == 1
    assert any(r.get("source", {}).get("name") == "mlbom" and r["severity"] == "critical" for r in torch["ratings"])
    assert any(p["name"] == Prop.VULN_LINKED_FINDING.value for p in torch["properties"])
    onnx = vulns["PYSEC-2023-38"]
    assert onnx["analysis"]["detail"].startswith("No shipped artifact exercises the vulnerable path")
    assert onnx["analysis"]["state"] == "in_triage"


@pytest.mark.parametrize("field", ["advisories", "formats"])
def test_malformed_rules_file_is_an_error(field: str) -> None:
    from mlbom.errors import MlbomError
    from mlbom.vulns.ml_rules import parse_rules

    with pytest.raises(MlbomError):
        parse_rules(b'{"format": "mlbom-ml-vuln-rules", "rules": [{"id": "x", "loader": "l", "what": "w", "source": "s", "'
                    + field.encode() + b'": "not a list"}]}')
