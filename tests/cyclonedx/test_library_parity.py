"""mlbom writes CycloneDX itself (cyclonedx-python-lib's outputter is quadratic). This proves
that, for everything both can express, the JSON mlbom writes equals the library's output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cyclonedx.model import AttachedText, ExternalReferenceType, HashAlgorithm, HashType, Property, XsUri
from cyclonedx.model import ExternalReference as LExtRef
from cyclonedx.model.bom import Bom as LBom
from cyclonedx.model.component import Component as LComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.model.license import DisjunctiveLicense, LicenseAcknowledgement, LicenseExpression
from cyclonedx.output.json import JsonV1Dot6, JsonV1Dot7
from packageurl import PackageURL

import mlbom
from mlbom.cyclonedx.build import component_dict
from mlbom.model import Bom, Component
from tests.conftest import FIXTURES


def _library_component(bom: Bom, c: Component) -> LComponent:
    lics = []
    for lc in c.licenses:
        ack = LicenseAcknowledgement(lc.acknowledgement) if lc.acknowledgement else None
        if lc.kind == "expression":
            lics.append(LicenseExpression(lc.value, acknowledgement=ack))
        elif lc.kind == "id":
            lics.append(DisjunctiveLicense(id=lc.value, acknowledgement=ack))
        else:
            text = AttachedText(content=lc.text, content_type="text/plain") if lc.text else None
            lics.append(DisjunctiveLicense(name=lc.value, acknowledgement=ack, text=text))
    d = component_dict(bom, c)
    return LComponent(
        type=ComponentType(c.type), name=c.name, version=c.version, bom_ref=c.bom_ref,
        description=c.description, purl=PackageURL.from_string(c.purl) if c.purl else None,
        hashes=[HashType(alg=HashAlgorithm(h.alg), content=h.content) for h in c.hashes],
        licenses=lics,
        external_references=[LExtRef(type=ExternalReferenceType(r["type"]), url=XsUri(r["url"]), comment=r.get("comment"),
                                     hashes=[HashType(alg=HashAlgorithm(h["alg"]), content=h["content"]) for h in r.get("hashes", [])])
                             for r in d.get("externalReferences", [])],  # type: ignore[union-attr]
        properties=[Property(name=p["name"], value=p["value"]) for p in d.get("properties", [])],  # type: ignore[union-attr]
    )


def _norm(obj: object) -> object:
    """Order-insensitive view: the library sorts sets its own way."""
    if isinstance(obj, dict):
        return {k: _norm(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return sorted((_norm(x) for x in obj), key=lambda x: json.dumps(x, sort_keys=True))
    return obj


@pytest.mark.parametrize("spec", ["1.6", "1.7"])
def test_components_equal_library_output(venv: Path, spec: str) -> None:
    bom = mlbom.generate(env=venv, locks=FIXTURES / "uv-comfy-cli" / "uv.lock", reproducible=True, spec_version=spec)
    ours = [component_dict(bom, c) for c in bom.components if c.type == "library"][:60]
    lib = LBom(components=[_library_component(bom, c) for c in bom.components if c.type == "library"][:60])
    outputter = (JsonV1Dot6 if spec == "1.6" else JsonV1Dot7)(lib)
    theirs = json.loads(outputter.output_as_string())["components"]
    assert len(ours) == len(theirs) >= 50
    by_ref = {c["bom-ref"]: c for c in theirs}
    for c in ours:
        assert _norm(c) == _norm(by_ref[c["bom-ref"]]), c["bom-ref"]
