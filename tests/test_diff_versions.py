"""Red team 16a-1 (and 16a-7): whether diff compared hashes depended on the version *text*. A
version spelled differently but meaning the same (``2.0.0`` → ``2.0``, ``"2.0.0 "``, an XML
writer's pretty-printed ``<version>``), or a version added to a file component (mlbom writes files
without one), turned a swapped artifact into a ``version-change`` only, and ``--fail-on
hash-drift`` exited 0. The release itself (``metadata.component``) had its hashes never compared."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.diff import diff, gate, parse_fail_on, same_version

A, B = "aa" * 32, "bb" * 32


def _base() -> dict[str, object]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
            "metadata": {"component": {"type": "application", "bom-ref": "release:m", "name": "m"}},
            "components": [
                {"type": "file", "bom-ref": "model:m#model.pkl", "name": "model.pkl",
                 "hashes": [{"alg": "SHA-256", "content": A}],
                 "properties": [{"name": "mlbom:file:path", "value": "model.pkl"}]},
                {"type": "library", "bom-ref": "pkg:pypi/torch@2.0.0", "name": "torch", "version": "2.0.0",
                 "purl": "pkg:pypi/torch@2.0.0", "hashes": [{"alg": "SHA-256", "content": A}]}]}


def _torch(doc: dict[str, object]) -> dict[str, object]:
    return doc["components"][1]  # type: ignore[index,no-any-return]


def _file(doc: dict[str, object]) -> dict[str, object]:
    return doc["components"][0]  # type: ignore[index,no-any-return]


def _control(n: dict[str, object]) -> None:
    _torch(n)["hashes"] = [{"alg": "SHA-256", "content": B}]


def _pep440(n: dict[str, object]) -> None:
    _torch(n).update(version="2.0", purl="pkg:pypi/torch@2.0", hashes=[{"alg": "SHA-256", "content": B}])


def _space(n: dict[str, object]) -> None:
    _torch(n).update(version="2.0.0 ", hashes=[{"alg": "SHA-256", "content": B}])


def _file_gains_version(n: dict[str, object]) -> None:
    _file(n).update(version="1", hashes=[{"alg": "SHA-256", "content": B}])


def _package_loses_version(n: dict[str, object]) -> None:
    del _torch(n)["version"]
    _torch(n).update(purl="pkg:pypi/torch", hashes=[{"alg": "SHA-256", "content": B}])


@pytest.mark.parametrize("edit", [_control, _pep440, _space, _file_gains_version, _package_loses_version])
def test_a_swapped_artifact_is_drift_whatever_the_version_text_says(edit: object, tmp_path: Path) -> None:
    old = _base()
    new = copy.deepcopy(old)
    edit(new)  # type: ignore[operator]
    changes = diff(old, new)
    assert "hash-drift" in [c.kind for c in changes]
    assert gate(changes, parse_fail_on("hash-drift,new-unsafe"))
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--fail-on", "hash-drift,new-unsafe"]) == 1


def test_a_respelled_version_is_no_version_change() -> None:
    old = _base()
    new = copy.deepcopy(old)
    _torch(new).update(version=" 2.0 ", purl="pkg:pypi/torch@2.0")
    assert diff(old, new) == []
    assert same_version("2.0.0", "2.0") and same_version("v2.0.0", " 2.0\n") and same_version("1.0rc1", "1.0-rc.1")
    assert not same_version("2.0.0", "2.0.1") and not same_version("main", "Main")
    assert same_version("not a version ", "not a version") and not same_version("a", "b")


def test_a_real_upgrade_is_a_version_change_without_drift() -> None:
    old = _base()
    new = copy.deepcopy(old)
    _torch(new).update(version="2.1.0", purl="pkg:pypi/torch@2.1.0", hashes=[{"alg": "SHA-256", "content": B}])
    assert [c.kind for c in diff(old, new)] == ["version-change"]


def _xml(version: str, digest: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" version="1">
  <components>
    <component type="library" bom-ref="pkg:pypi/torch@2.0.0">
      <name>torch</name>
      {version}
      <hashes><hash alg="SHA-256">{digest}</hash></hashes>
      <purl>pkg:pypi/torch@2.0.0</purl>
    </component>
  </components>
</bom>
"""


@pytest.mark.parametrize("version", ["<version>2.0.0</version>", "<version>\n        2.0.0\n      </version>"],
                         ids=["control", "pretty-printed"])
def test_xml_pretty_printed_version_still_compares_hashes(version: str, tmp_path: Path) -> None:
    (tmp_path / "old.xml").write_text(_xml("<version>2.0.0</version>", A))
    (tmp_path / "new.xml").write_text(_xml(version, B))
    assert main(["diff", str(tmp_path / "old.xml"), str(tmp_path / "new.xml"), "--fail-on", "hash-drift,new-unsafe"]) == 1


def _release(doc: dict[str, object]) -> dict[str, object]:
    return doc["metadata"]["component"]  # type: ignore[index,no-any-return]


def test_the_release_hashes_are_compared(tmp_path: Path) -> None:
    """Red team 16a-7: ``metadata.component`` at the same version with another SHA-256."""
    old = _base()
    _release(old).update(type="machine-learning-model", version="1.0", purl="pkg:huggingface/acme/m@1.0",
                         hashes=[{"alg": "SHA-256", "content": A}])
    new = copy.deepcopy(old)
    _release(new)["hashes"] = [{"alg": "SHA-256", "content": B}]
    changes = diff(old, new)
    assert [(c.kind, c.identity) for c in changes] == [("hash-drift", "(release)")]
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--fail-on", "any"]) == 1
    # the report's "changes since the previous release" is diff's
    from mlbom.reader import load
    from mlbom.report import build, render
    assert "hash-drift" in render(build(load(tmp_path / "new.json"), previous=load(tmp_path / "old.json")), "markdown")
    # control: the same object as a component gives hash-drift too
    c0 = copy.deepcopy(old)
    c0["components"].append(dict(copy.deepcopy(_release(old)), **{"bom-ref": "x"}))  # type: ignore[attr-defined]
    c1 = copy.deepcopy(c0)
    c1["components"][-1]["hashes"] = [{"alg": "SHA-256", "content": B}]  # type: ignore[index]
    assert [c.kind for c in diff(c0, c1)] == ["hash-drift"]


def test_the_release_upgrade_and_model_card() -> None:
    old = _base()
    _release(old).update(version="1.0", hashes=[{"alg": "SHA-256", "content": A}], modelCard={"modelParameters": {"task": "a"}})
    new = copy.deepcopy(old)
    _release(new).update(version="1.1", hashes=[{"alg": "SHA-256", "content": B}])
    assert diff(old, new) == []  # a new release: its version and bytes change, and neither is a change
    _release(new)["modelCard"] = {"modelParameters": {"task": "b"}}
    assert [(c.kind, c.detail) for c in diff(old, new)] == [("model-card-change", "modelCard.modelParameters.task")]


def test_17b2_a_purl_naming_one_version_on_both_sides_compares_hashes_whatever_the_version_field_says() -> None:
    """Red team 17b-2: the purl kept ``@2.0.0`` while ``version`` became ``2.0.0+cpu`` (or free
    text) and the SHA-256 was swapped: only a version-change was reported. The purl's version is a
    second statement of the version; a pair it names as one version is no upgrade."""
    from mlbom.diff import diff

    def bom(version: str, digest: str, purl: str = "pkg:pypi/torch@2.0.0") -> dict[str, object]:
        return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
            {"type": "library", "name": "torch", "version": version, "purl": purl, "bom-ref": "t",
             "hashes": [{"alg": "SHA-256", "content": digest}]}]}

    for new_version in ("2.0.0+cpu", "2.0.0 (cpu build)"):
        kinds = {c.kind for c in diff(bom("2.0.0", "aa" * 32), bom(new_version, "bb" * 32))}
        assert "hash-drift" in kinds, kinds
    # a real upgrade, by both statements: no drift
    kinds = {c.kind for c in diff(bom("2.0.0", "aa" * 32), bom("2.1.0", "bb" * 32, "pkg:pypi/torch@2.1.0"))}
    assert "hash-drift" not in kinds and "version-change" in kinds


def test_17b3_a_flaw_matched_through_aliases_is_new_when_it_is_now_rated_worse() -> None:
    """Red team 17b-3: the new BOM's critical CVE names the old BOM's open low GHSA among its
    references, so it matched as "the same flaw" and ``new-vulnerability:high`` passed."""
    from mlbom.diff import diff, gate, parse_fail_on

    def bom(vulns: list[dict[str, object]]) -> dict[str, object]:
        return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                "components": [{"type": "library", "name": "torch", "version": "2.0.0",
                                "purl": "pkg:pypi/torch@2.0.0", "bom-ref": "t"}],
                "vulnerabilities": vulns}

    low = {"id": "GHSA-low1-aaaa-bbbb", "ratings": [{"severity": "low"}], "affects": [{"ref": "t"}]}
    crit = {"id": "CVE-2099-9999", "ratings": [{"severity": "critical", "score": 9.8}], "affects": [{"ref": "t"}],
            "references": [{"id": "GHSA-low1-aaaa-bbbb", "source": {"name": "GitHub"}}]}
    changes = diff(bom([low]), bom([low, crit]))
    hits = gate(changes, parse_fail_on("new-vulnerability:high"))
    assert [c.identity for c in hits] == ["CVE-2099-9999"], changes
    # the same flaw renamed at the same rating is still not new
    same = dict(crit, ratings=[{"severity": "low"}])
    assert not [c for c in diff(bom([low]), bom([same])) if c.kind == "new-vulnerability"]


def test_18d5_one_id_stated_twice_on_one_component_is_judged_by_its_worst_entry() -> None:
    """Red team 18d-5: the new BOM states one CVE on torch twice (a low GHSA rating first, a
    critical NVD rating after). Diff kept the first entry per (id, component), so the change read
    "low" and ``new-vulnerability:high`` passed while ``check`` and ``report`` saw critical."""
    from mlbom.diff import diff, gate, parse_fail_on

    def bom(vulns: list[dict[str, object]]) -> dict[str, object]:
        return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                "components": [{"type": "library", "name": "torch", "version": "2.0.0",
                                "purl": "pkg:pypi/torch@2.0.0", "bom-ref": "t"}],
                "vulnerabilities": vulns}

    low = {"id": "CVE-2099-0002", "ratings": [{"severity": "low"}], "affects": [{"ref": "t"}]}
    crit = {"id": "CVE-2099-0002", "ratings": [{"method": "CVSSv31", "score": 9.8}], "affects": [{"ref": "t"}]}
    rule = parse_fail_on("new-vulnerability:high")
    for order in ([low, crit], [crit, low]):
        hits = gate(diff(bom([]), bom(order)), rule)
        assert [(c.identity, c.severity) for c in hits] == [("CVE-2099-0002", "critical")], order
    # open before at critical: neither entry is new; open before at low: the critical one is
    assert not [c for c in diff(bom([crit]), bom([low, crit])) if c.kind == "new-vulnerability"]
    assert [c.severity for c in diff(bom([low]), bom([low, crit])) if c.kind == "new-vulnerability"] == ["critical"]
