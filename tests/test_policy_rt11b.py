"""Red team 11b, gate findings 11b-4/5/6: `mlbom check` passed a BOM holding an `error`/`unsafe`
component while `mlbom report` of the same BOM said FAIL (or, for 11b-6, both passed).

The class: the gate must judge every object of the BOM that states a verdict (findings, a
licence…), wherever it sits (components, nested components, `metadata.component`, services) and
whatever its bom-ref (absent or empty), reading ALL its verdict properties; and the report's
verdict count must judge the same set. Each BOM is built here, the way the red team's proofs
built them from mlbom's own output (a producer may omit bom-ref: it is optional in CycloneDX).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from mlbom.model import EMPTY_VERDICT, stated_verdict
from mlbom.policy import DEFAULT, render, rules
from mlbom.policy.facts import from_loaded
from mlbom.properties import Prop
from mlbom.reader import loads
from mlbom.readmodel import read
from mlbom.score import score_release
from mlbom.signature_state import SignatureState

UNSIGNED = SignatureState("", False, False, "the BOM is not signed")


def file_comp(name: str, verdicts: list[str], *, ref: str | None = None, fmt: str | None = "pickle",
              findings: tuple[str, ...] = ()) -> dict[str, Any]:
    props = [{"name": "mlbom:file:path", "value": f"model/{name}"}]
    if fmt is not None:
        props.append({"name": "mlbom:file:format", "value": fmt})
    props += [{"name": "mlbom:safety:verdict", "value": v} for v in verdicts]
    props += [{"name": "mlbom:finding", "value": f} for f in findings]
    c: dict[str, Any] = {"type": "file", "name": name, "properties": props}
    if ref is not None:
        c["bom-ref"] = ref
    return c


def bom(tmp: Path, components: list[dict[str, Any]], *, root: dict[str, Any] | None = None,
        services: list[dict[str, Any]] | None = None, name: str = "bom.cdx.json") -> Path:
    doc: dict[str, Any] = {
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a6b11b",
        "metadata": {"tools": {"components": [{"type": "application", "name": "mlbom"}]},
                     "component": root or {"type": "application", "bom-ref": "release:proj", "name": "proj"}},
        "components": components, "vulnerabilities": []}
    if services is not None:
        doc["services"] = services
    p = tmp / name
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


def gate(path: Path, capsys: pytest.CaptureFixture[str], policy: Path | None = None) -> tuple[int, list[dict[str, Any]]]:
    """`mlbom check` (the default policy unless one is given): exit code and violations."""
    args = ["check", str(path), "--format", "json"] + (["--policy", str(policy)] if policy else [])
    rc = main(args)
    out = capsys.readouterr().out
    return rc, [v for v in json.loads(out)["violations"] if v["level"] == "error"]


def report_weights(path: Path) -> dict[str, str]:
    """The report's release check on weight files (the "every weight file scanned and safe" row)."""
    v = read(loads(path.read_bytes(), str(path)))
    (check,) = [c for c in score_release(v, UNSIGNED).checks if c.id == "weights-scanned-safe"]
    return {"status": check.status, "evidence": check.evidence}


def judged(violations: list[dict[str, Any]], rule: str = "models.verdict") -> list[str]:
    return sorted(v["component"] for v in violations if v["rule"] == rule)


SAFE = ["safe"]
ERROR_FINDING = ("high file.format-mismatch: content is in no format mlbom recognises (unknown)",)


# --- 11b-4: ref-less components collided on "" ------------------------------------------------

def test_refless_components_are_each_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """11b-4: without bom-refs (optional in CycloneDX) every component was `""` in the gate's
    `seen` set, so only the first — a safe file — was judged; the report said FAIL."""
    comps = [file_comp("w.npy", SAFE, fmt="numpy"), file_comp("blob.bin", ["error"], findings=ERROR_FINDING),
             file_comp("evil.pkl", ["unsafe"])]
    rc, vs = gate(bom(tmp_path, comps), capsys)
    assert rc == 1
    assert judged(vs) == ["model/blob.bin", "model/evil.pkl"]
    rep = report_weights(bom(tmp_path, comps))
    assert rep["status"] == "fail" and "1 of 3" in rep["evidence"], rep
    # an empty bom-ref is no identity either (one empty, the others absent: each judged by the
    # rules) … though `check` refuses it first: the schema wants a non-empty ref (24s-3)
    comps[0]["bom-ref"] = ""
    data = bom(tmp_path, comps).read_bytes()
    result = rules.check(from_loaded(loads(data, "b.json"), data), DEFAULT)
    vs = [v for v in json.loads(render(result, "json"))["violations"] if v["level"] == "error"]
    assert result.exit_code == 1 and judged(vs) == ["model/blob.bin", "model/evil.pkl"]
    assert main(["check", str(bom(tmp_path, comps))]) == 2
    assert "not a valid CycloneDX" in capsys.readouterr().err
    # … and several empty ones are duplicated refs: the BOM is not read (red team 10c P2), exit 2
    for c in comps:
        c["bom-ref"] = ""
    assert main(["check", str(bom(tmp_path, comps))]) == 2
    assert "not unique" in capsys.readouterr().err


def test_refless_formats_and_model_files_are_each_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same collision in `models.format` (its `seen` set) and in a model's owned files."""
    comps = [file_comp("a.safetensors", SAFE, fmt="safetensors"), file_comp("b.pkl", SAFE),
             file_comp("c.pkl", SAFE)]
    policy = tmp_path / "p.toml"
    policy.write_text('[models]\nformats = ["safetensors"]\nverdicts = ["safe"]\n', encoding="utf-8")
    rc, vs = gate(bom(tmp_path, comps), capsys, policy)
    assert rc == 1 and judged(vs, "models.format") == ["model/b.pkl", "model/c.pkl"]
    # a ref-less model whose (ref-less) file is unsafe: the file is judged, as a loose one
    model = {"type": "machine-learning-model", "name": "m",
             "properties": [{"name": "mlbom:file:format", "value": "pickle"}]}
    rc, vs = gate(bom(tmp_path, [model, file_comp("x.pkl", SAFE), file_comp("y.pkl", ["unsafe"])]), capsys, policy)
    assert rc == 1 and "model/y.pkl" in judged(vs)


# --- 11b-5: an empty first verdict hid the later ones -----------------------------------------

def test_an_empty_first_verdict_hides_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """11b-5: the gate selected components by the truth of their FIRST verdict value, and `""`
    is false, so `("", "unsafe")` was never judged; the report said FAIL."""
    assert stated_verdict(["", "unsafe"]) == EMPTY_VERDICT  # no verdict ranks worst, and is never "none stated"
    assert stated_verdict([""]) == EMPTY_VERDICT and stated_verdict([]) == ""
    comps = [file_comp("w.npy", SAFE, fmt="numpy"), file_comp("blob.bin", ["", "error"], findings=ERROR_FINDING),
             file_comp("evil.pkl", ["", "unsafe"], ref="f-evil")]
    path = bom(tmp_path, comps)
    rc, vs = gate(path, capsys)
    assert rc == 1 and judged(vs) == ["model/blob.bin", "model/evil.pkl"]
    evil = next(v for v in vs if v["component"] == "model/evil.pkl")
    assert "'unsafe'" in evil["fact"], evil  # the message names what it states
    assert report_weights(path)["status"] == "fail"
    # an empty value alone, or before `safe`, is never allowed (the report agrees)
    path = bom(tmp_path, [file_comp("a.pkl", ["", "safe"]), file_comp("b.pkl", [""], fmt=None)])
    rc, vs = gate(path, capsys)
    assert rc == 1 and judged(vs) == ["model/a.pkl", "model/b.pkl"]
    assert report_weights(path)["status"] == "fail"


def test_every_stated_format_is_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same first-value selection on `mlbom:file:format`: a `json` written before `pickle`
    made a pickle a config file, never judged by `models.format`."""
    policy = tmp_path / "p.toml"
    policy.write_text('[models]\nformats = ["safetensors"]\n', encoding="utf-8")
    comp = file_comp("w.pkl", SAFE, fmt="json")
    comp["properties"].append({"name": "mlbom:file:format", "value": "pickle"})
    rc, vs = gate(bom(tmp_path, [comp]), capsys, policy)
    assert rc == 1 and judged(vs, "models.format") == ["model/w.pkl"]


# --- 11b-6: objects outside `components` ------------------------------------------------------

@pytest.mark.parametrize("where", ["root", "root-nested", "nested", "service"])
def test_a_verdict_is_judged_wherever_it_sits(where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """11b-6: a BOM whose subject (`metadata.component`) is the scanned file stating `error`
    passed the gate and the report. Every object that can state a verdict is judged: the root,
    its nested components, nested components, services."""
    bad = file_comp("blob.bin", ["error"], ref="bad", findings=ERROR_FINDING)
    comps = [file_comp("w.npy", SAFE, fmt="numpy", ref="ok")]
    root = None
    services = None
    if where == "root":
        root = bad
    elif where == "root-nested":
        root = {"type": "application", "name": "proj", "bom-ref": "release:proj", "components": [bad]}
    elif where == "nested":
        comps[0]["components"] = [bad]
    else:
        services = [{"name": "api", "bom-ref": "svc", "services": [
            {"name": "blob.bin", "bom-ref": "bad", "properties": bad["properties"]}]}]
    path = bom(tmp_path, comps, root=root, services=services)
    rc, vs = gate(path, capsys)
    assert rc == 1 and judged(vs) == ["model/blob.bin"], vs
    rep = report_weights(path)
    assert rep["status"] == "fail" and "model/blob.bin: error" in rep["evidence"], rep


def test_findings_and_licences_of_the_root_are_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The root and services state findings and licences too: the gate reads them."""
    root = {"type": "library", "name": "lib", "bom-ref": "r", "licenses": [{"license": {"id": "GPL-3.0-only"}}]}
    policy = tmp_path / "p.toml"
    policy.write_text('[licenses]\ndeny = ["GPL-3.0-only"]\n\n[findings]\nfail-on = "high"\n', encoding="utf-8")
    services = [{"name": "api", "properties": [{"name": "mlbom:finding", "value": "critical pickle.x: bad"}]}]
    rc, vs = gate(bom(tmp_path, [], root=root, services=services), capsys, policy)
    assert rc == 1
    assert {v["rule"] for v in vs} == {"licenses.deny", "findings.severity"}, vs


def test_report_and_gate_judge_the_same_set(tmp_path: Path) -> None:
    """One read: the report's verdict count and the gate take their objects from
    `mlbom.readmodel.subjects`, so an object one judges the other judges."""
    from mlbom.policy import facts as policy_facts

    root = file_comp("r.pkl", ["unsafe"])
    comps = [file_comp("a.pkl", SAFE), {"type": "library", "name": "x", "components": [file_comp("b.pkl", ["", "safe"])]}]
    services = [{"name": "s", "properties": [{"name": "mlbom:safety:verdict", "value": "error"}]}]
    path = bom(tmp_path, comps, root=root, services=services)
    data = path.read_bytes()
    f = policy_facts.from_loaded(loads(data, str(path)), data)
    gate_set = sorted(i.name for i in f.every if i.states(Prop.SAFETY_VERDICT))
    v = read(loads(data, str(path)))
    report_set = sorted(c.name for c in v.stating_verdict())
    assert gate_set == report_set == ["a.pkl", "b.pkl", "r.pkl", "s"]
    assert len({i.index for i in f.every}) == len(f.every)  # every object its own identity


def test_a_model_stating_worse_than_its_files_is_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A model judged through its files was never judged itself: `unsafe` stated on the model
    over files stating `safe` passed. It is judged when none of its files fails (when one does,
    the model's verdict is theirs and is not reported twice)."""
    model = {"type": "machine-learning-model", "name": "m", "bom-ref": "m",
             "properties": [{"name": "mlbom:safety:verdict", "value": "unsafe"}]}
    comps = [model, file_comp("w.safetensors", SAFE, ref="m#w", fmt="safetensors")]
    path = bom(tmp_path, comps)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["dependencies"] = [{"ref": "m", "dependsOn": ["m#w"]}]
    path.write_text(json.dumps(doc), encoding="utf-8")
    rc, vs = gate(path, capsys)
    assert rc == 1 and judged(vs) == ["m"], vs
    assert report_weights(path)["status"] == "fail"
    # the model's verdict explained by a failing file: one violation, on the file
    comps[1] = file_comp("w.pkl", ["unsafe"], ref="m#w")
    path.write_text(json.dumps({**doc, "components": comps}), encoding="utf-8")
    rc, vs = gate(path, capsys)
    assert rc == 1 and judged(vs) == ["model/w.pkl"], vs
