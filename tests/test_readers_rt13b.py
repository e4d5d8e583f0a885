"""Red team 13b: every reader reads a BOM the same way, or none reads it.

- 13b-1: an XML element the schema allows once given twice (``<component>`` twice in
  ``<metadata>``, two ``<name>``) or a wrapper inside the same wrapper (``<components><components>``)
  was read as a list or a typeless object, and every reader skipped it: now refused (exit 2).
- 13b-2: a JSON container of the wrong type (``components`` an object, an array inside the array,
  ``metadata.component`` an array, ``services``/``dependencies``/``hashes``/``licenses`` of the
  wrong type, a component that is not an object) was skipped by every reader: now refused once,
  in :func:`mlbom.reader.loads`, by a small shape table (:func:`mlbom.cyclonedx.document.shape_problems`).

Each BOM is built here from mlbom's own output (or the minimal documents of test_readers_rt12b).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from mlbom.reader import loads

# an os.system pickle, written as bytes (never loaded here)
EVIL = b"cposix\nsystem\n(S'true'\ntR."


@pytest.fixture(scope="module")
def boms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("rt13b")
    proj = root / "p"
    (proj / "models" / "m").mkdir(parents=True)
    (proj / "models" / "m" / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (proj / "models" / "m" / "evil.pkl").write_bytes(EVIL)
    out = {}
    for fmt in ("json", "xml"):
        out[fmt] = root / f"bom.{fmt}"
        assert main(["generate", str(proj), "--reproducible", "--format", fmt, "-o", str(out[fmt])]) in (0, 1)
    return out


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(args)
    return rc, capsys.readouterr().err


def _all_refuse(bad: Path, old: Path, capsys: pytest.CaptureFixture[str], needle: str) -> None:
    for args in (["check", str(bad)], ["query", str(bad), "--property", "mlbom:safety:verdict=unsafe"],
                 ["report", str(bad), "--format", "text", "-o", str(bad.with_suffix(".txt"))],
                 ["diff", str(old), str(bad), "--fail-on", "new-unsafe,new-finding"]):
        rc, err = _run(args, capsys)
        assert rc == 2, (args, err)
        assert needle in err and "Traceback" not in err, (args, err)


# ---- 13b-1 --------------------------------------------------------------------------------------

def _xml_variants(x: str) -> dict[str, str]:
    m = re.search(r'<components>(<component type="file".*?)</components><dependencies>', x, re.S)
    assert m is not None
    comps = m.group(1)
    no_top = x.replace(f"<components>{comps}</components>", "")
    end = "</component></metadata>"
    assert no_top.count(end) == 1
    control = no_top.replace(end, f"<components>{comps}</components>{end}")
    return {
        "control": control,
        "twice": control.replace(end, '</component><component type="application"><name>p</name></component></metadata>'),
        "nested": x.replace(f"<components>{comps}</components>", f"<components><components>{comps}</components></components>"),
        "two_names": x.replace("<name>evil.pkl</name>", "<name>evil.pkl</name><name>x</name>", 1),
    }


def test_xml_repeated_singular_or_nested_wrapper_is_refused(boms: dict[str, Path], tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    x = boms["xml"].read_text(encoding="utf-8")
    v = _xml_variants(x)
    assert "<name>evil.pkl</name><name>x</name>" in v["two_names"]
    paths = {k: tmp_path / f"{k}.xml" for k in v}
    for k, text in v.items():
        paths[k].write_text(text, encoding="utf-8")
    # control: the release's nested components are schema-valid and the gate fails on the pickle
    assert _run(["check", str(paths["control"])], capsys)[0] == 1
    _all_refuse(paths["twice"], boms["xml"], capsys, "/metadata/component: not an object")
    _all_refuse(paths["nested"], boms["xml"], capsys, "<components> inside <components>")
    _all_refuse(paths["two_names"], boms["xml"], capsys, "/name: not a string")


# ---- 13b-2 --------------------------------------------------------------------------------------

def _json_variants(base: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    d = copy.deepcopy(base)
    d["components"] = {str(i): c for i, c in enumerate(base["components"])}
    out["components_object"] = d
    d = copy.deepcopy(base)
    d["components"] = [base["components"]]
    out["array_in_array"] = d
    d = copy.deepcopy(base)
    d["metadata"]["component"]["components"] = d.pop("components")
    out["control"] = d
    d = copy.deepcopy(out["control"])
    d["metadata"]["component"] = [d["metadata"]["component"]]
    out["release_as_array"] = d
    d = copy.deepcopy(base)
    d["metadata"]["component"]["components"] = {"0": d["metadata"]["component"].get("components", [])}
    out["nested_object"] = d
    d = copy.deepcopy(base)
    d["services"] = {"name": "s", "properties": [{"name": "mlbom:safety:verdict", "value": "unsafe"}]}
    out["services_object"] = d
    d = copy.deepcopy(base)
    d["dependencies"] = {"ref": "x"}
    out["dependencies_object"] = d
    d = copy.deepcopy(base)
    d["components"][0]["hashes"] = {"alg": "SHA-256", "content": "00"}
    out["hashes_object"] = d
    d = copy.deepcopy(base)
    d["components"][0]["licenses"] = "MIT"
    out["licenses_string"] = d
    d = copy.deepcopy(base)
    d["components"].append("model:m#evil.pkl")
    out["component_string"] = d
    d = copy.deepcopy(base)
    d["metadata"] = [d["metadata"]]
    out["metadata_array"] = d
    return out


def test_json_container_of_the_wrong_type_is_refused(boms: dict[str, Path], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    base = json.loads(boms["json"].read_text(encoding="utf-8"))
    old = copy.deepcopy(base)
    old["components"] = [c for c in old["components"] if not str(c.get("bom-ref", "")).endswith("evil.pkl")]
    old_p = tmp_path / "old.json"
    old_p.write_text(json.dumps(old), encoding="utf-8")
    v = _json_variants(base)
    paths = {}
    for k, d in v.items():
        paths[k] = tmp_path / f"{k}.json"
        paths[k].write_text(json.dumps(d), encoding="utf-8")
    assert _run(["check", str(paths["control"])], capsys)[0] == 1
    assert _run(["diff", str(old_p), str(paths["control"]), "--fail-on", "new-unsafe"], capsys)[0] == 1
    needles = {"components_object": "/components: not an array", "array_in_array": "/components/0: a component that is not",
               "release_as_array": "/metadata/component: not an object",
               "nested_object": "/metadata/component/components: not an array",
               "services_object": "/services: not an array", "dependencies_object": "/dependencies: not an array",
               "hashes_object": "/hashes: not an array", "licenses_string": "/licenses: not an array",
               "component_string": "a component that is not an object", "metadata_array": "/metadata: not an object"}
    for k, needle in needles.items():
        _all_refuse(paths[k], old_p, capsys, needle)


def test_the_shapes_mlbom_writes_and_the_schema_allows_are_read(boms: dict[str, Path]) -> None:
    for p in boms.values():
        b = loads(p.read_bytes(), str(p))
        assert any(str(c.get("name")) == "evil.pkl" for c in b.components())
    # an XML BOM whose license, hash and dependency forms are all present reads as before
    xml = boms["xml"].read_bytes()
    assert loads(xml, "x.xml").doc["components"]


# ---- 13b-3 --------------------------------------------------------------------------------------

POLICY_13B3 = """[models]
verdicts = ["safe", "suspicious"]

[findings]
fail-on = "high"
""" + "".join(f"""
[[exceptions]]
id = "{rule}"
component = "{comp}"
reason = "legacy, reviewed"
""" for comp in ("models/m/ckpt[1].bin", "models/n/*.bin") for rule in ("models.verdict", "findings.severity"))


def test_an_exception_is_a_literal_path_or_a_glob_that_never_crosses_a_slash(tmp_path: Path,
                                                                              capsys: pytest.CaptureFixture[str]) -> None:
    proj = tmp_path / "p"
    for d in ("models/m", "models/n/sub/dir"):
        (proj / d).mkdir(parents=True)
    for m in ("m", "n"):
        (proj / "models" / m / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (proj / "models/m/ckpt[1].bin").write_bytes(bytes(range(256)))  # legacy: error, waived by its exact path
    (proj / "models/n/old.bin").write_bytes(bytes(range(256)))      # legacy: error, waived by models/n/*.bin
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_13B3, encoding="utf-8")
    bom = tmp_path / "bom.json"

    def check() -> tuple[int, dict[str, Any]]:
        assert main(["-q", "generate", str(proj), "--no-gpu", "-o", str(bom), "--no-cache"]) in (0, 1)
        capsys.readouterr()
        rc = main(["check", str(bom), "--policy", str(policy), "--format", "json"])
        return rc, json.loads(capsys.readouterr().out)

    rc, out = check()
    assert rc == 0 and {w["component"] for w in out["waived"]} == {"models/m/ckpt[1].bin", "models/n/old.bin"}
    # the attacker's pickles: one the bracket expression [1] would match, one below models/n
    (proj / "models/m/ckpt1.bin").write_bytes(EVIL)
    (proj / "models/n/sub/dir/evil.bin").write_bytes(EVIL)
    rc, out = check()
    assert rc == 1
    failing = {(v["rule"], v["component"]) for v in out["violations"] if v["level"] == "error"}
    for path in ("models/m/ckpt1.bin", "models/n/sub/dir/evil.bin"):
        assert ("models.verdict", path) in failing and ("findings.severity", path) in failing
    assert {w["component"] for w in out["waived"]} == {"models/m/ckpt[1].bin", "models/n/old.bin"}
    # "**" is the explicit any-depth form
    policy.write_text(POLICY_13B3.replace("models/n/*.bin", "models/n/**/*.bin"), encoding="utf-8")
    rc, out = check()
    failing = {(v["rule"], v["component"]) for v in out["violations"] if v["level"] == "error"}
    assert ("models.verdict", "models/n/sub/dir/evil.bin") not in failing
    assert ("models.verdict", "models/m/ckpt1.bin") in failing and rc == 1


# ---- 13b-4 / 13b-5: minimal documents ------------------------------------------------------------

CRITICAL = "critical pickle.dangerous-callable: posix.system (evil.pkl)"


def _comp(name: str, verdicts: list[str], findings: tuple[str, ...] = ()) -> dict[str, Any]:
    props = [{"name": "mlbom:file:path", "value": f"model/{name}"}, {"name": "mlbom:file:format", "value": "json"}]
    props += [{"name": "mlbom:safety:verdict", "value": v} for v in verdicts]
    props += [{"name": "mlbom:finding", "value": f} for f in findings]
    return {"type": "file", "bom-ref": f"model:m#{name}", "name": name, "properties": props}


def _doc(components: list[dict[str, Any]], serial: str = "3e671687-395b-41f5-a30f-a58921a6b11b") -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "serialNumber": f"urn:uuid:{serial}",
            "metadata": {"tools": {"components": [{"type": "application", "name": "mlbom"}]},
                         "component": {"type": "application", "bom-ref": "release:proj", "name": "proj"}},
            "components": components}


def _csv_rows(args: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert main([*args, "--format", "csv"]) == 0, args
    return capsys.readouterr().out.splitlines()[1:]


@pytest.mark.parametrize("odd", ["CRITICAL code.remote: runs remote code", "critical code remote: runs remote code",
                                 "critical code.remote", "bogus code.remote: x"])
def test_every_reader_reads_a_finding_the_same_way(tmp_path: Path, capsys: pytest.CaptureFixture[str], odd: str) -> None:
    old = _doc([_comp("config.json", ["safe"])])
    new = _doc([_comp("config.json", ["safe"], (odd,))], serial="3e671687-395b-41f5-a30f-a58921a6b11c")
    op, np_ = tmp_path / "old.json", tmp_path / "new.json"
    op.write_text(json.dumps(old), encoding="utf-8")
    np_.write_text(json.dumps(new), encoding="utf-8")
    # the gate: a value that does not parse is the worst severity, whatever fail-on
    capsys.readouterr()
    assert main(["check", str(np_), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert any(v["rule"] == "findings.severity" and v["level"] == "error" and "does not parse" in json.dumps(v)
               for v in out["violations"]), out["violations"]
    # diff: a new finding that does not parse meets every threshold
    capsys.readouterr()
    assert main(["diff", str(op), str(np_), "--fail-on", "new-unsafe,new-finding:critical"]) == 1
    # query and the index: ranked worst, so any --severity finds it
    assert len(_csv_rows(["query", str(np_), "--severity", "critical"], capsys)) == 1
    db = f"sqlite:///{tmp_path / 'i.db'}"
    capsys.readouterr()
    assert main(["index", "add", str(np_), "--db", db]) == 0
    assert len(_csv_rows(["query", "--db", db, "--severity", "critical"], capsys)) == 1
    # the report lists it first, as the worst
    rp = tmp_path / "r.md"
    assert main(["report", str(np_), "--format", "markdown", "-o", str(rp)]) in (0, 1)
    assert "code" in rp.read_text(encoding="utf-8")


def test_a_finding_that_parses_keeps_its_severity_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = _doc([_comp("config.json", ["safe"], ("low code.remote: x",))])
    np_ = tmp_path / "new.json"
    np_.write_text(json.dumps(new), encoding="utf-8")
    assert _csv_rows(["query", str(np_), "--severity", "high"], capsys) == []
    assert len(_csv_rows(["query", str(np_), "--severity", "low"], capsys)) == 1


# ---- 13b-5 --------------------------------------------------------------------------------------

def test_the_index_finds_every_stated_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = _doc([_comp("evil.pkl", ["unsafe", "unsafe (reviewed)"], (CRITICAL,)), _comp("w.npy", ["safe"])])
    bom = tmp_path / "two.json"
    bom.write_text(json.dumps(d), encoding="utf-8")
    direct = _csv_rows(["query", str(bom), "--property", "mlbom:safety:verdict=unsafe"], capsys)
    assert len(direct) == 1
    db = f"sqlite:///{tmp_path / 'i.db'}"
    capsys.readouterr()
    assert main(["index", "add", str(bom), "--db", db]) == 0
    assert len(_csv_rows(["query", "--db", db, "--property", "mlbom:safety:verdict=unsafe"], capsys)) == 1
    assert len(_csv_rows(["query", "--db", db, "--property", "mlbom:safety:verdict=unsafe (reviewed)"], capsys)) == 1
    assert _csv_rows(["query", "--db", db, "--property", "mlbom:safety:verdict=suspicious"], capsys) == []
    # the report ranks it by the gate's reading: worse than unsafe is high
    rp = tmp_path / "r.txt"
    assert main(["report", str(bom), "--format", "text", "-o", str(rp)]) in (0, 1)
    lines = [ln for ln in rp.read_text(encoding="utf-8").splitlines() if "scan verdict: unsafe (reviewed)" in ln]
    # an unsafe verdict ranks first ("unsafe", before critical: red team 123v-2), never medium
    assert lines and all(("unsafe" in ln or "high" in ln) and "medium" not in ln for ln in lines), lines
