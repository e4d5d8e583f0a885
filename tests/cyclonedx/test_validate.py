from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import mlbom
from mlbom.cyclonedx.validate import validate_bytes
from mlbom.errors import InputError
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def good() -> dict[str, object]:
    bom = mlbom.generate(locks=FIXTURES / "pylock.spec-example.toml", reproducible=True)
    return json.loads(mlbom.dumps(bom))  # type: ignore[no-any-return]


def _check(doc: dict[str, object]) -> tuple[str, ...]:
    return validate_bytes(json.dumps(doc).encode()).problems


def test_good_document_is_valid(good: dict[str, object]) -> None:
    assert _check(good) == ()


@pytest.mark.parametrize(("mutate", "expect"), [
    (lambda d: d.__setitem__("serialNumber", "urn:uuid:NOT-A-UUID"), "does not match"),
    (lambda d: d["components"][0].__setitem__("type", "model"), "/components/0/type"),
    (lambda d: d["components"][0].setdefault("externalReferences", []).append({"type": "website", "url": "ht tp://x y"}),
     "externalReferences"),
    (lambda d: d["dependencies"].append({"ref": "nowhere"}), "'nowhere' names no component"),
    (lambda d: d["components"][1].__setitem__("bom-ref", d["components"][0]["bom-ref"]), "is not unique"),
    (lambda d: d["components"][0].__setitem__("unknownField", 1), "unknownField"),
])
def test_schema_and_referential_problems_are_found(good: dict[str, object], mutate: object, expect: str) -> None:
    doc = copy.deepcopy(good)
    mutate(doc)  # type: ignore[operator]
    problems = _check(doc)
    assert problems and any(expect in p for p in problems), problems


def test_not_a_bom_and_unknown_version_are_input_errors(good: dict[str, object]) -> None:
    with pytest.raises(InputError, match="not a CycloneDX BOM"):
        validate_bytes(b'{"hello": 1}')
    doc = dict(good, specVersion="9.9")
    with pytest.raises(InputError, match=r"unsupported specVersion '9\.9'"):
        validate_bytes(json.dumps(doc).encode())
    with pytest.raises(InputError, match="neither JSON nor XML"):
        validate_bytes(b"hello")
    with pytest.raises(InputError, match="nested too deeply"):
        validate_bytes(b"[" * 100_000 + b"]" * 100_000)


def test_hostile_xml_is_refused_cleanly(tmp_path: Path) -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">&lol2;</bom>')
    with pytest.raises(InputError, match="DTD"):
        validate_bytes(laughs)
    secret = tmp_path / "secret"
    secret.write_text("TOPSECRET")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
           '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><metadata><timestamp>&e;</timestamp>'
           '</metadata></bom>').encode()
    with pytest.raises(InputError, match="DTD") as info:
        validate_bytes(xxe)
    assert "TOPSECRET" not in str(info.value)


def test_official_examples_validate(corpus: Path) -> None:
    base = corpus / "cyclonedx" / "examples" / "specification"
    files = sorted(base.rglob("valid-*.json")) + sorted(base.rglob("valid-*.xml"))
    assert files
    for f in files:
        report = validate_bytes(f.read_bytes(), name=str(f))
        assert report.ok, (f, report.problems[:3])


@pytest.mark.parametrize("mutate", [
    lambda d: d.__setitem__("serialNumber", "urn:uuid:NOT-A-UUID"),
    lambda d: d["components"][0].__setitem__("type", "model"),
    lambda d: d["components"][0].setdefault("externalReferences", []).append({"type": "website", "url": "ht tp://x y"}),
    lambda d: d["components"][0].__setitem__("unknownField", 1),
    lambda d: d["components"][0].__setitem__("hashes", [{"alg": "SHA-256", "content": "xyz"}]),
    lambda d: d["metadata"].__setitem__("timestamp", "yesterday"),
])
def test_rejects_what_the_reference_validator_rejects(good: dict[str, object], mutate: object) -> None:
    """The same bad documents, judged by cyclonedx-python-lib's strict (jsonschema) validator
    and by mlbom's (jsonschema-rs), against the same official schema: both reject."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    doc = copy.deepcopy(good)
    mutate(doc)  # type: ignore[operator]
    text = json.dumps(doc)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is not None
    assert validate_bytes(text.encode()).problems
    # and both accept the unmodified document
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(good)) is None
