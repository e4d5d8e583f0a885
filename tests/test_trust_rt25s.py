"""Red team 25s: the trust chain after fix24s.

- 25s-1: an XML ``<score>`` too large for a double (``xs:decimal`` has no upper bound) crashed
  every reader with ``internal error: OverflowError``; it is now refused when read, as its JSON
  twin is, and every reader turns an unplaceable number into "unreadable", never an exception.
- 25s-2: a symbolic link named like a listed module's package (``helper -> elsewhere/``) was not
  seen by the stand-in check under ``--listed-only``/``--exclude``; importlib follows it.
- 25s-3: ``[signature] every-key = true`` alone enabled no rule; it now implies ``required``.
  A rating whose score lies off its method's scale is unreadable.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlbom.cli import main
from tests.helpers import cli_within_contract, es256_key_files
from tests.test_trust_rt24s import _signed_project as signed_24s_project

NUMPY = "pkg:pypi/numpy@1.26.4"
SERIAL = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
HUGE = "9" * 350


def _json_bom(rating: dict[str, object]) -> dict[str, object]:
    return {
        "bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": SERIAL, "version": 1,
        "components": [{"type": "library", "bom-ref": NUMPY, "name": "numpy", "version": "1.26.4", "purl": NUMPY}],
        "vulnerabilities": [{"id": "CVE-2099-0001", "ratings": [rating], "affects": [{"ref": NUMPY}]}],
    }


def _xml_bom(score: str, method: str = "CVSSv31") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="{SERIAL}" version="1">
  <components>
    <component type="library" bom-ref="{NUMPY}"><name>numpy</name><version>1.26.4</version><purl>{NUMPY}</purl></component>
  </components>
  <vulnerabilities>
    <vulnerability>
      <id>CVE-2099-0001</id>
      <ratings><rating><score>{score}</score><method>{method}</method></rating></ratings>
      <affects><target><ref>{NUMPY}</ref></target></affects>
    </vulnerability>
  </vulnerabilities>
</bom>
"""


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(args)
    out, err = capsys.readouterr()
    return rc, out, err


def _commands(bom: Path, tmp_path: Path) -> dict[str, list[str]]:
    policy = tmp_path / "policy.toml"
    policy.write_text('[vulnerabilities]\nfail-on = "high"\n')
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(_json_bom({"score": 1.5, "method": "CVSSv31"})))
    return {"validate": ["validate", str(bom)], "check": ["check", str(bom), "--policy", str(policy)],
            "report": ["report", str(bom), "--format", "text"], "diff": ["diff", str(plain), str(bom)],
            "query": ["query", str(bom), "--vuln", "CVE-2099-0001"],
            "index": ["index", "add", "--db", str(tmp_path / f"{bom.name}.db"), str(bom)]}


# ---- 25s-1 -----------------------------------------------------------------------------

@pytest.mark.parametrize("score", [HUGE, "-" + HUGE, "1" + "0" * 350 + ".5"])
def test_a_score_no_double_holds_is_refused_by_every_command(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             score: str) -> None:
    xml = tmp_path / "huge.xml"
    xml.write_text(_xml_bom(score))
    js = tmp_path / "huge.json"
    js.write_text(json.dumps(_json_bom({"score": 0, "method": "CVSSv31"})).replace('"score": 0', f'"score": {score}'))
    for bom in (xml, js):
        for name, args in _commands(bom, tmp_path).items():
            _, err = cli_within_contract(args, capsys, want={2})
            assert "infinity" in err, (bom.name, name, err)
    _, err = cli_within_contract(["check", str(xml), "--policy", str(tmp_path / "policy.toml")], capsys, want={2})
    assert "not a number JSON can hold" in err


def test_an_xml_integer_past_64_bits_reads_as_its_json_twin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Beyond 64 bits orjson reads the nearest double; the XML typing does the same, and the
    score (1e25, off CVSS's scale) is unreadable in both formats, never a crash."""
    from mlbom.cyclonedx.document import parse

    big = "1" + "0" * 25
    xml = tmp_path / "big.xml"
    xml.write_text(_xml_bom(big))
    js = tmp_path / "big.json"
    js.write_text(json.dumps(_json_bom({"score": 0, "method": "CVSSv31"})).replace('"score": 0', f'"score": {big}'))
    scores = [parse(p.read_bytes(), str(p))[1]["vulnerabilities"][0]["ratings"][0]["score"]  # type: ignore[index]
              for p in (xml, js)]
    assert scores == [1e25, 1e25]
    for bom in (xml, js):
        for name, args in _commands(bom, tmp_path).items():
            out, _ = cli_within_contract(args, capsys, want={0, 1})
            if name == "check":
                assert "cannot read" in out, (bom.name, out)
            if name == "report":
                assert "unreadable" in out, (bom.name, out)


def test_readers_never_raise_on_a_number_past_a_double() -> None:
    """The library path (no schema typing in between): an int that ``float()`` cannot convert is
    an unreadable rating, and an energy value of that size is no value."""
    from mlbom.reader import LoadedBom
    from mlbom.readmodel import UNREADABLE, ReadComponent, rating_parts, read, score_value, unreadable_ratings

    huge = 10 ** 400
    v = {"id": "CVE-1", "ratings": [{"score": huge, "method": "CVSSv31"}, {"score": huge}]}
    assert score_value(huge) is None and score_value(float("inf")) is None and score_value(True) is None
    assert rating_parts(v) == ((), ())
    assert len(unreadable_ratings(v)) == 2
    model = {"type": "machine-learning-model", "name": "m", "bom-ref": "m", "modelCard": {"considerations": {
        "environmentalConsideration": {"energyConsumptions": [
            {"activity": "training", "activityEnergyCost": {"value": huge, "unit": "kWh"}},
            {"activity": "inference", "activityEnergyCost": {"value": 2, "unit": "kWh"}}]}}}}
    assert [e.value for e in ReadComponent(model).model_card.energy] == [2.0]
    doc: dict[str, object] = {"bomFormat": "CycloneDX", "specVersion": "1.6", "vulnerabilities": [v],
                              "components": [model]}
    (vuln,) = read(LoadedBom("<t>", "json", "1.6", doc, "0" * 64)).vulnerabilities
    assert vuln.score is None and vuln.severity == UNREADABLE


# ---- 25s-3 (score scale) ---------------------------------------------------------------

@pytest.mark.parametrize(("rating", "unreadable"), [
    ({"score": 50, "method": "CVSSv31"}, True),
    ({"score": -1, "method": "CVSSv4"}, True),
    ({"score": 10.5}, True),  # no method: read on the CVSS scale, and off it
    ({"score": 12, "method": "OWASP"}, True),
    ({"score": 42, "method": "other"}, False),  # other names no scale (red team 18d)
    ({"score": 10, "method": "CVSSv2"}, False),
    ({"score": 0}, False),
    ({"score": 9, "method": "OWASP"}, False),
])
def test_a_score_off_its_methods_scale_is_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     rating: dict[str, object], unreadable: bool) -> None:
    from mlbom.readmodel import UNREADABLE, vulnerabilities

    doc = _json_bom(rating)
    (view,) = vulnerabilities(doc)
    assert (view.severity == UNREADABLE) is unreadable, view
    bom = tmp_path / "v.json"
    bom.write_text(json.dumps(doc))
    policy = tmp_path / "p.toml"
    policy.write_text('[vulnerabilities]\nfail-on = "critical"\nmissing-data = "warn"\n')
    rc, out, _ = _run(["check", str(bom), "--policy", str(policy)], capsys)
    out = " ".join(out.split())
    if unreadable:
        assert rc == 1 and "cannot read" in out and "outside" in out, out
    else:
        assert "cannot read" not in out and rc == (1 if rating["score"] == 10 else 0), out


# ---- 25s-2 -----------------------------------------------------------------------------

def _signed_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, list[str]]:
    """24s's signed project (model/helper.py listed) and the verify command line over it."""
    proj, signed, pub = signed_24s_project(tmp_path, capsys)
    base = ["verify", str(signed), "--key", str(pub), "--artifacts", str(proj)]
    cli_within_contract([*base, "--listed-only"], capsys, want={0})
    return proj, base


@pytest.mark.parametrize(("name", "target_is_dir"), [
    ("helper", True),  # a package folder holding __init__.py: what `import helper` runs
    ("helper", False),
    ("helper.pyc", False),
    ("helper.abi3.so", False),
])
def test_a_symlinked_stand_in_fails_whatever_the_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       name: str, target_is_dir: bool) -> None:
    proj, base = _signed_project(tmp_path, capsys)
    evil = tmp_path / "elsewhere"
    if target_is_dir:
        evil.mkdir()
        (evil / "__init__.py").write_text("X = 666\n")
    else:
        evil.write_text("X = 666\n")
    os.symlink(evil, proj / "model" / name)
    if name == "helper" and not target_is_dir:
        # red team 29s-5: a link to a regular file is no package (FileFinder needs a folder) and
        # `helper` has no module suffix: nothing imports it; the plain walk still refuses the link
        for extra in (["--listed-only"], ["--exclude", f"model/{name}"]):
            cli_within_contract(base + extra, capsys, want={0})
        _, err = cli_within_contract(base, capsys, want={1})
        assert "model/helper: symbolic link (not followed)" in err, err
        return
    for extra in (["--listed-only"], ["--exclude", f"model/{name}"], ["--exclude", "model/helper*"], []):
        _, err = cli_within_contract(base + extra, capsys, want={1})
        assert f"model/{name}: symbolic link where Python looks for module helper" in err, (extra, err)


def test_a_real_folder_without_init_still_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A namespace folder does not shadow ``helper.py`` in FileFinder: no false alarm."""
    proj, base = _signed_project(tmp_path, capsys)
    (proj / "model" / "helper").mkdir()
    cli_within_contract([*base, "--listed-only"], capsys, want={0})


def test_a_stand_in_check_that_hits_its_bound_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom import artifacts

    proj, base = _signed_project(tmp_path, capsys)
    (proj / "model" / "__pycache__").mkdir()
    for i in range(3):
        (proj / "model" / "__pycache__" / f"x{i}").write_text("")
    monkeypatch.setattr(artifacts, "MAX_FILES", 3)  # model/ holds 4 entries, __pycache__ 3
    _, err = cli_within_contract([*base, "--listed-only"], capsys, want={1})
    assert "model: more than 3 entries" in err and "could not be completed" in err
    monkeypatch.setattr(artifacts, "MAX_FILES", 2)
    _, err = cli_within_contract([*base, "--listed-only"], capsys, want={1})
    assert "model/__pycache__: more than 2 entries" in err


# ---- 25s-3 (every-key) -----------------------------------------------------------------

def test_every_key_alone_requires_a_signature(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom.policy import PolicyError, load_policy

    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(_json_bom({"score": 1.5, "method": "CVSSv31"})))
    _, _, a_pub = es256_key_files(tmp_path, "A")
    _, _, b_pub = es256_key_files(tmp_path, "B")
    policy = tmp_path / "ek.toml"
    policy.write_text("[signature]\nevery-key = true\n")
    assert load_policy(policy).signature_required
    out, _ = cli_within_contract(["check", str(bom), "--policy", str(policy), "--key", str(a_pub), "--key", str(b_pub)],
                                 capsys, want={1})
    out = " ".join(out.split())
    assert "signature.required" in out and "not signed" in out, out
    policy.write_text("[signature]\nrequired = false\nevery-key = true\n")
    with pytest.raises(PolicyError, match="contradicts"):
        load_policy(policy)
    _, err = cli_within_contract(["check", str(bom), "--policy", str(policy), "--key", str(a_pub)], capsys, want={2})
    assert "ek.toml:2" in err
