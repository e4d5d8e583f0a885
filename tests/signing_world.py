"""The signed material shared by the signing property and red-team tests: one ES256 key (its
public key written as ``k.pub`` in ``d``), the example release's BOM in JSON and XML, each
signed, and a DSSE attestation of the JSON."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization

import mlbom
from mlbom import signing
from mlbom.trust import TrustPolicy

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"


def signing_world(d: Path) -> dict[str, object]:
    key = signing.generate_key("es256")
    (d / "k.pub").write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo))
    bom = mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True))
    xml = mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True), "xml")
    return {"dir": d, "key": key, "bom": bom, "xml": xml, "signed": signing.sign(bom, key),
            "signed_xml": signing.sign(xml, key), "dsse": signing.attest(bom, key),
            "policy": TrustPolicy.from_keys([key.public_key()])}
