"""Red team 12b: every reader of a BOM reads it the same way.

- 12b-1: ``diff`` ranked a value that is no verdict (``""`` beside ``unsafe``) like ``safe``;
  it now ranks verdicts by the one reading the gate uses (:func:`mlbom.model.verdict_rank`).
- 12b-2: ``diff``, ``query`` and the index never read ``metadata.component`` or ``services``;
  they now read the objects the gate judges (:func:`mlbom.readmodel.subjects`).
- 12b-3: an XML BOM repeating a wrapper element (``<properties/>`` twice) hid every property;
  a property entry that is not an object with a string name and value was skipped.
- 12b-7: ``index add`` accepted a BOM whose bom-refs are not unique.

Each BOM is built here, as the red team's proofs built them from mlbom's own output.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from mlbom.diff import diff, gate
from mlbom.model import EMPTY_VERDICT, verdict_rank
from mlbom.reader import loads

CRITICAL = "critical: pickle.dangerous-callable: posix.system (evil.pkl)"


def file_comp(name: str, verdicts: list[str], *, findings: tuple[str, ...] = ()) -> dict[str, Any]:
    props = [{"name": "mlbom:file:path", "value": f"model/{name}"}, {"name": "mlbom:file:format", "value": "pickle"}]
    props += [{"name": "mlbom:safety:verdict", "value": v} for v in verdicts]
    props += [{"name": "mlbom:finding", "value": f} for f in findings]
    return {"type": "file", "bom-ref": f"model:m#{name}", "name": name, "properties": props}


def doc(components: list[dict[str, Any]], *, root: dict[str, Any] | None = None,
        services: list[dict[str, Any]] | None = None, serial: str = "3e671687-395b-41f5-a30f-a58921a6b11b") -> dict[str, Any]:
    d: dict[str, Any] = {
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "serialNumber": f"urn:uuid:{serial}",
        "metadata": {"tools": {"components": [{"type": "application", "name": "mlbom"}]},
                     "component": root or {"type": "application", "bom-ref": "release:proj", "name": "proj"}},
        "components": components}
    if services is not None:
        d["services"] = services
    return d


def write(tmp: Path, name: str, d: dict[str, Any]) -> Path:
    p = tmp / name
    p.write_text(json.dumps(d), encoding="utf-8")
    return p


def run_diff(tmp: Path, old: dict[str, Any], new: dict[str, Any], capsys: pytest.CaptureFixture[str],
             fail_on: str = "new-unsafe") -> tuple[int, list[dict[str, Any]]]:
    a, b = write(tmp, "old.json", old), write(tmp, "new.json", new)
    capsys.readouterr()
    rc = main(["diff", str(a), str(b), "--format", "json", "--fail-on", fail_on])
    return rc, json.loads(capsys.readouterr().out)["changes"]


# ---- 12b-1 --------------------------------------------------------------------------------------

def test_verdict_rank_is_the_gates_reading() -> None:
    assert verdict_rank("") == verdict_rank("safe") < verdict_rank("suspicious") < verdict_rank("error") \
        < verdict_rank("unsafe") < verdict_rank(EMPTY_VERDICT) == verdict_rank("UNSAFE") == verdict_rank("bogus")


@pytest.mark.parametrize("odd", ["", "UNSAFE", "none"])
def test_a_non_verdict_beside_unsafe_is_an_escalation_in_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              odd: str) -> None:
    old = doc([file_comp("w.npy", ["safe"])])
    new = doc([file_comp("w.npy", ["unsafe", odd]), file_comp("evil.pkl", ["unsafe", odd], findings=(CRITICAL,))])
    rc, changes = run_diff(tmp_path, old, new, capsys)
    esc = {c["identity"]: c for c in changes if c["kind"] == "safety-escalation"}
    assert set(esc) == {"file:model:m#w.npy", "file:model:m#evil.pkl"}
    assert all(c["new"] == (odd or EMPTY_VERDICT) for c in esc.values())
    assert rc == 1  # new-unsafe: a value ranked worse than unsafe trips it too
    # control: without the odd value, the same escalations to unsafe
    new_plain = doc([file_comp("w.npy", ["unsafe"]), file_comp("evil.pkl", ["unsafe"], findings=(CRITICAL,))])
    rc, changes = run_diff(tmp_path, old, new_plain, capsys)
    assert rc == 1 and sum(c["kind"] == "safety-escalation" for c in changes) == 2


def test_an_added_component_with_any_verdict_but_safe_is_reported() -> None:
    new = doc([file_comp("a.pkl", [""]), file_comp("b.pkl", ["safe"]), file_comp("c.pkl", [])])
    changes = diff(doc([]), new)
    assert [(c.identity, c.new) for c in changes if c.kind == "safety-escalation"] == [("file:model:m#a.pkl", EMPTY_VERDICT)]
    assert gate(changes, ["new-unsafe"])


# ---- 12b-2 --------------------------------------------------------------------------------------

def _with_root_and_service(base: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(base)
    new["metadata"]["component"]["properties"] = [{"name": "mlbom:safety:verdict", "value": "unsafe"}]
    new["services"] = [{"bom-ref": "svc:infer", "name": "infer", "services": [{
        "bom-ref": "svc:inner", "name": "inner", "properties": [
            {"name": "mlbom:safety:verdict", "value": "unsafe"}, {"name": "mlbom:finding", "value": CRITICAL}]}]}]
    return new


def test_diff_reads_the_release_and_services(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = doc([file_comp("w.npy", ["safe"])])
    new = _with_root_and_service(old)
    rc, changes = run_diff(tmp_path, old, new, capsys, "new-unsafe,new-finding")
    got = {(c["kind"], c["identity"], c["new"]) for c in changes}
    assert ("safety-escalation", "(release)", "unsafe") in got
    assert ("added", "service:infer", None) in got and ("added", "service:inner", None) in got
    assert ("safety-escalation", "service:inner", "unsafe") in got
    assert ("new-finding", "service:inner", CRITICAL) in got
    assert rc == 1
    # a service present in both, whose verdict got worse
    rc, changes = run_diff(tmp_path, new, _unsafe_service_worse(new), capsys, "new-finding")
    assert ("safety-escalation", "service:infer", EMPTY_VERDICT) in {(c["kind"], c["identity"], c["new"]) for c in changes}


def _unsafe_service_worse(d: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(d)
    out["services"][0]["properties"] = [{"name": "mlbom:safety:verdict", "value": ""}]
    return out


def test_query_and_index_read_the_release_and_services(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sqlalchemy")
    bom = write(tmp_path, "new.json", _with_root_and_service(doc([file_comp("w.npy", ["safe"])])))
    capsys.readouterr()
    assert main(["query", str(bom), "--property", "mlbom:safety:verdict=unsafe", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["type"], r["name"]) for r in rows] == [("application", "proj"), ("service", "inner")]
    assert main(["query", str(bom), "--type", "service", "--format", "json"]) == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == ["infer", "inner"]
    db = f"sqlite:///{tmp_path / 'ix.db'}"
    assert main(["index", "add", str(bom), "--db", db]) == 0
    capsys.readouterr()
    assert main(["query", "--db", db, "--property", "mlbom:safety:verdict=unsafe", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["type"], r["name"], r["verdict"]) for r in rows] == [("application", "proj", "unsafe"),
                                                                    ("service", "inner", "unsafe")]


# ---- 12b-7 --------------------------------------------------------------------------------------

def test_index_add_refuses_duplicate_bom_refs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sqlalchemy")
    evil, benign = file_comp("evil.pkl", ["unsafe"], findings=(CRITICAL,)), file_comp("ok.json", ["safe"])
    benign["bom-ref"] = evil["bom-ref"]
    bad = write(tmp_path, "dup.json", doc([evil, benign]))
    good = write(tmp_path, "good.json", doc([file_comp("w.npy", ["safe"])], serial="9e671687-395b-41f5-a30f-a58921a6b11c"))
    db = f"sqlite:///{tmp_path / 'ix.db'}"
    capsys.readouterr()
    assert main(["index", "add", str(bad), str(good), "--db", db]) == 2  # every file tried; exit 2 for the refused one
    out, err = capsys.readouterr()
    assert "is not unique" in err and "Traceback" not in err
    assert "dup.json" not in out and out.count("added") == 1
    from mlbom import index as ix

    with pytest.raises(Exception, match="is not unique"):
        ix.prepare(loads(bad.read_bytes(), str(bad)))


# ---- 12b-3 --------------------------------------------------------------------------------------

def _xml(extra_props: str = "", *, compositions: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1" serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a6b11b">
  <metadata>
    <tools><components><component type="application"><name>mlbom</name></component></components></tools>
    <component type="application" bom-ref="release:proj"><name>proj</name></component>
  </metadata>
  <components>
    <component type="file" bom-ref="model:m#evil.pkl"><name>evil.pkl</name>{extra_props}<properties>
      <property name="mlbom:file:path">model/evil.pkl</property>
      <property name="mlbom:safety:verdict">unsafe</property>
      <property name="mlbom:finding">{CRITICAL}</property>
    </properties></component>
  </components>{compositions}
</bom>""".encode()


@pytest.mark.parametrize("extra", ["<properties/>", "<properties></properties>",
                                   '<properties><property name="x">y</property></properties>'])
def test_xml_repeated_wrapper_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str) -> None:
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_bytes(_xml())
    bad.write_bytes(_xml(extra))
    assert main(["check", str(good)]) == 1  # control: the unsafe file fails the gate
    capsys.readouterr()
    for args in (["check", str(bad)], ["query", str(bad)], ["report", str(bad)], ["diff", str(good), str(bad)]):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert "<properties> given twice" in err and "Traceback" not in err


@pytest.mark.parametrize("wrapper", ["hashes", "licenses", "components", "externalReferences"])
def test_xml_any_repeated_wrapper_is_refused(wrapper: str) -> None:
    data = _xml(f"<{wrapper}/>").replace(b"<properties>", f"<{wrapper}/><properties>".encode(), 1)
    with pytest.raises(Exception, match=f"<{wrapper}> given twice"):
        loads(data, "bad.xml")


def test_xml_wrappers_the_schema_lets_repeat_are_concatenated() -> None:
    comp = """
  <compositions><composition><aggregate>complete</aggregate>
    <assemblies><assembly ref="model:m#evil.pkl"/></assemblies>
    <assemblies><assembly ref="release:proj"/></assemblies>
  </composition></compositions>"""
    b = loads(_xml(compositions=comp), "ok.xml")
    assert b.doc["compositions"] == [{"aggregate": "complete", "assemblies": ["model:m#evil.pkl", "release:proj"]}]


@pytest.mark.parametrize("props", [
    [{"name": "mlbom:safety:verdict", "value": ["unsafe"]}],
    [{"name": "mlbom:safety:verdict", "value": 1}],
    [{"name": 5, "value": "unsafe"}],
    [{"name": "", "value": "unsafe"}],
    [["mlbom:safety:verdict", "unsafe"]],
    [[{"name": "mlbom:safety:verdict", "value": "unsafe"}]],
    {"mlbom:safety:verdict": "unsafe"},
])
def test_a_property_no_reader_can_read_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  props: object) -> None:
    evil = file_comp("evil.pkl", ["unsafe"], findings=(CRITICAL,))
    evil["properties"] = [*evil["properties"], *props] if isinstance(props, list) else props
    where = [doc([evil]), doc([], services=[{"name": "s", "properties": props}]),
             doc([], root={"type": "application", "name": "proj", "properties": props})]
    for i, d in enumerate(where):
        bad = write(tmp_path, f"bad{i}.json", d)
        capsys.readouterr()
        for args in (["check", str(bad)], ["query", str(bad)]):
            assert main(args) == 2, (args, i)
            err = capsys.readouterr().err
            assert "/properties" in err and "not read" in err and "Traceback" not in err
    # a property without a value is valid CycloneDX, read as ""
    ok = file_comp("w.npy", ["safe"])
    ok["properties"].append({"name": "x:flag"})
    assert loads(json.dumps(doc([ok])).encode(), "ok.json").components()[0]["properties"][-1] == {"name": "x:flag"}


# ---- 12b-4 --------------------------------------------------------------------------------------

EVIL_PICKLE = b"cposix\nsystem\n(S'true'\ntR."  # protocol 0: os.system("true") when loaded; never loaded here
POLICY_12B4 = """
[models]
verdicts = ["safe", "suspicious"]
[findings]
fail-on = "high"
[[exceptions]]
id = "models.verdict"
component = "model/legacy.bin"
reason = "reviewed: vendor blob"
[[exceptions]]
id = "findings.severity"
component = "model/legacy.bin"
reason = "reviewed: vendor blob"
"""


def _check_json(bom: Path, policy: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    rc = main(["check", str(bom), "--policy", str(policy), "--format", "json"])
    return rc, json.loads(capsys.readouterr().out)


def test_an_exception_for_a_file_path_never_waives_a_file_named_like_it(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    proj = tmp_path / "proj"
    (proj / "model").mkdir(parents=True)
    (proj / "model" / "legacy.bin").write_bytes(bytes(range(256)) * 16)  # unknown bytes: error, the reviewed file
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_12B4)
    bom = tmp_path / "bom.json"
    assert main(["-q", "generate", str(proj), "--no-gpu", "-o", str(bom), "--no-cache"]) == 0
    rc, out = _check_json(bom, policy, capsys)
    assert rc == 0 and out["waived"]  # control: the exception waives the file it names
    # the attacker adds models/extra/model/legacy.bin: its name (relative to its model folder) is model/legacy.bin
    (proj / "models" / "extra" / "model").mkdir(parents=True)
    (proj / "models" / "extra" / "model" / "legacy.bin").write_bytes(EVIL_PICKLE)
    assert main(["-q", "generate", str(proj), "--no-gpu", "-o", str(bom), "--no-cache"]) == 0
    d = json.loads(bom.read_text())
    evil = [c for c in d["components"] if c.get("name") == "model/legacy.bin"]
    assert evil and {"name": "mlbom:file:path", "value": "models/extra/model/legacy.bin"} in evil[0]["properties"]
    rc, out = _check_json(bom, policy, capsys)
    assert rc == 1
    failing = {(v["rule"], v["component"]) for v in out["violations"] if v["level"] == "error"}
    assert ("models.verdict", "models/extra/model/legacy.bin") in failing
    assert ("findings.severity", "models/extra/model/legacy.bin") in failing
    assert {w["component"] for w in out["waived"]} <= {"model/legacy.bin"}


def test_a_name_matches_an_object_that_is_not_a_file_unless_the_text_names_one(tmp_path: Path,
                                                                               capsys: pytest.CaptureFixture[str]) -> None:
    def lib(name: str) -> dict[str, Any]:
        return {"type": "library", "bom-ref": f"pkg:{name}", "name": name, "properties": [
            {"name": "mlbom:safety:verdict", "value": "unsafe"}]}

    policy = tmp_path / "p.toml"
    policy.write_text('[models]\nverdicts = ["safe"]\n[[exceptions]]\nid = "models.verdict"\ncomponent = "x/tool"\n'
                      'reason = "r"\n')
    # a name alone: waived (a package or model is named by its name)
    rc, out = _check_json(write(tmp_path, "a.json", doc([lib("x/tool")])), policy, capsys)
    assert rc == 0 and len(out["waived"]) == 1
    # the same text is also a file's path: the exception names that file, never the namesake
    f = file_comp("tool", ["safe"])
    f["properties"][0]["value"] = "x/tool"
    rc, out = _check_json(write(tmp_path, "b.json", doc([lib("x/tool"), f])), policy, capsys)
    assert rc == 1 and not out["waived"]
