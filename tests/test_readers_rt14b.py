"""Red team 14b: BOM shapes the policy gate read partly — a dependency entry given twice (the
last replaced the first), a pedigree of the wrong shape (the base model vanished), a
vulnerability rated only by its CVSS score (never held to ``fail-on``). Each BOM is built here;
the control must fail the gate and the attack must fail it too, or be refused (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.cli import main

_META = {"tools": {"components": [{"type": "application", "name": "mlbom"}]}}


def _check(tmp_path: Path, name: str, body: str, policy: str) -> int:
    (tmp_path / "policy.toml").write_text(policy)
    (tmp_path / name).write_text(body)
    return main(["-q", "check", str(tmp_path / name), "--policy", str(tmp_path / "policy.toml")])


def _bom(**parts: object) -> str:
    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "metadata": _META, **parts})


def test_a_second_dependency_entry_for_one_ref_is_refused(tmp_path: Path) -> None:
    comps = [{"type": "data", "bom-ref": "dataset:data", "name": "data"},
             {"type": "file", "bom-ref": "dataset:data#bad.csv", "name": "bad.csv",
              "properties": [{"name": "mlbom:dataset:checksum", "value": "mismatch"}]},
             {"type": "file", "bom-ref": "dataset:data#good.csv", "name": "good.csv",
              "properties": [{"name": "mlbom:dataset:checksum", "value": "verified"}]}]
    deps = [{"ref": "dataset:data", "dependsOn": ["dataset:data#bad.csv", "dataset:data#good.csv"]}]
    policy = "[datasets]\nrequire-checksums = true\n"
    assert _check(tmp_path, "control.json", _bom(components=comps, dependencies=deps), policy) == 1
    attack = [*deps, {"ref": "dataset:data", "dependsOn": ["dataset:data#good.csv"]}]
    assert _check(tmp_path, "attack.json", _bom(components=comps, dependencies=attack), policy) == 2


_XML = """<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
 <metadata><tools><components><component type="application"><name>mlbom</name></component></components></tools></metadata>
 <components><component type="machine-learning-model" bom-ref="model:m"><name>m</name>
  <pedigree><ancestors><component type="machine-learning-model"><name>base</name>
   <purl>pkg:huggingface/org/base</purl></component></ancestors></pedigree>{extra}
 </component></components>
</bom>"""


def test_a_pedigree_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    policy = "[models]\nrequire-base-model-revision = true\n"
    assert _check(tmp_path, "control.xml", _XML.format(extra=""), policy) == 1
    assert _check(tmp_path, "attack.xml", _XML.format(extra="<pedigree><notes>x</notes></pedigree>"), policy) == 2
    model = {"type": "machine-learning-model", "bom-ref": "model:m", "name": "m",
             "pedigree": {"ancestors": {"type": "machine-learning-model", "name": "base",
                                        "purl": "pkg:huggingface/org/base"}}}
    assert _check(tmp_path, "attack.json", _bom(components=[model]), policy) == 2


@pytest.mark.parametrize("severity", ["critical", "unknown", None])
def test_a_cvss_score_rates_a_vulnerability_for_fail_on(tmp_path: Path, severity: str | None) -> None:
    rating: dict[str, object] = {"score": 9.8, "method": "CVSSv31",
                                 "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
    if severity is not None:
        rating["severity"] = severity
    torch = {"type": "library", "bom-ref": "pkg:pypi/torch@2.0.0", "name": "torch", "version": "2.0.0",
             "purl": "pkg:pypi/torch@2.0.0"}
    vuln = {"id": "CVE-2025-32434", "ratings": [rating], "affects": [{"ref": "pkg:pypi/torch@2.0.0"}]}
    body = _bom(components=[torch], vulnerabilities=[vuln])
    assert _check(tmp_path, "v.json", body, '[vulnerabilities]\nfail-on = "critical"\n') == 1
    assert _check(tmp_path, "v.json", body, '[vulnerabilities]\nfail-on = "high"\n') == 1
