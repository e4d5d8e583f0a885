from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlbom
from mlbom.cyclonedx.build import dumps, to_dict
from mlbom.inventory import normalize
from mlbom.model import Bom, Component, ExternalReference, Finding, Hash, License, Property, Relation
from tests.conftest import FIXTURES, assert_valid


def test_reproducible_runs_are_byte_identical(venv: Path) -> None:
    a = dumps(mlbom.generate(env=venv, locks=FIXTURES / "pylock.spec-example.toml", reproducible=True))
    b = dumps(mlbom.generate(env=venv, locks=FIXTURES / "pylock.spec-example.toml", reproducible=True))
    assert a == b
    doc = assert_valid(a)
    assert "timestamp" not in doc["metadata"]  # type: ignore[operator]
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", str(doc["serialNumber"]))
    xa = dumps(mlbom.generate(env=venv, reproducible=True, spec_version="1.7"), "xml")
    xb = dumps(mlbom.generate(env=venv, reproducible=True, spec_version="1.7"), "xml")
    assert xa == xb
    assert_valid(xa)


def test_source_date_epoch_sets_timestamp_and_serial_follows_content(venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    doc = assert_valid(dumps(mlbom.generate(env=venv)))
    assert doc["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"  # type: ignore[index]
    other = assert_valid(dumps(mlbom.generate(env=venv, name="other")))
    assert other["serialNumber"] != doc["serialNumber"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(mlbom.UsageError, match="SOURCE_DATE_EPOCH"):
        mlbom.generate(env=venv)


def test_non_reproducible_runs_get_random_serial_and_timestamp(venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    a = assert_valid(dumps(mlbom.generate(env=venv)))
    b = assert_valid(dumps(mlbom.generate(env=venv)))
    assert a["serialNumber"] != b["serialNumber"] and "timestamp" in a["metadata"]  # type: ignore[operator]


# ---- property test: any inventory serializes to a valid document, JSON and XML, 1.6 and 1.7

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)
_hex = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
_lic = st.one_of(
    st.builds(License, kind=st.just("id"), value=st.sampled_from(["MIT", "Apache-2.0", "BSD-3-Clause"])),
    st.builds(License, kind=st.just("name"), value=_text, text=st.none() | _text),
    st.builds(License, kind=st.just("expression"), value=st.sampled_from(["MIT OR Apache-2.0", "LicenseRef-X"])),
)


@st.composite
def inventories(draw: st.DrawFn) -> Bom:
    n = draw(st.integers(0, 8))
    comps = []
    for i in range(n):
        comps.append(Component(
            bom_ref=f"ref-{i}-{draw(_text)}",
            type=draw(st.sampled_from(["library", "file", "data", "application", "platform"])),
            name=draw(_text), version=draw(st.none() | _text), description=draw(st.none() | _text),
            licenses=tuple(draw(st.lists(_lic, max_size=2))),
            hashes=tuple(Hash(alg="SHA-256", content=h) for h in draw(st.lists(_hex, max_size=2))),
            external_references=tuple(ExternalReference(type="website", url=u) for u in draw(
                st.lists(st.sampled_from(["https://example.org/x", "file.txt", "https://h/p?q=1#f"]), max_size=2))),
            properties=tuple(Property(name="mlbom:x", value=v) for v in draw(st.lists(_text, max_size=2))),
        ))
    refs = [c.bom_ref for c in comps]
    rels = [Relation(ref=r, depends_on=tuple(draw(st.lists(st.sampled_from(refs), max_size=3)))) for r in refs] if refs else []
    findings = [Finding(id="x.y", severity="high", message=draw(_text), subject=draw(st.none() | st.sampled_from(refs)))
                for _ in range(draw(st.integers(0, 2)))] if refs else []
    root = Component(bom_ref="release:r", type="application", name=draw(_text))
    c2, r2, f2 = normalize(comps, rels, findings, root)
    return Bom(spec_version=draw(st.sampled_from(["1.6", "1.7"])), reproducible=True, root=root,
               components=tuple(c2), relations=tuple(r2), findings=tuple(f2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inventories())
def test_serialization_never_yields_an_invalid_document(bom: Bom) -> None:
    assert_valid(dumps(bom, "json"))
    assert_valid(dumps(bom, "xml"))


def test_json_and_xml_carry_the_same_serial(venv: Path) -> None:
    bom = mlbom.generate(env=venv, reproducible=True)
    serial = json.loads(dumps(bom))["serialNumber"]
    assert f'serialNumber="{serial}"'.encode() in dumps(bom, "xml")
    assert to_dict(bom)["serialNumber"] == serial
