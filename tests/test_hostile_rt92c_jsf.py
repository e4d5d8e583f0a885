"""Red team 92c-7: a JSON BOM validly signed at its root whose component carried its own JSF
``signature`` (garbage value, off-curve key): ``verify`` said "verified", exit 0, and ``check`` with
``[signature] required`` passed, never mentioning the inner signature.

JSF allows a signature on any object and CycloneDX places one on components, services,
compositions, annotations, standards and declarations. mlbom verifies the root's signature only,
so a BOM holding a signature on any other object now fails (exit 1, one line naming its path), as
XML-DSig refuses a second ``ds:Signature``; ``sign`` and ``sign --dsse`` refuse such a BOM (what
verify would refuse is never written), and a DSSE predicate follows the same rule.

The inputs are written here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives import serialization

from mlbom import dsse, jsf, signing
from mlbom.cli import main

GARBAGE = {"algorithm": "ES256", "value": "AAAA", "publicKey": {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}}


def _base() -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": [{"type": "library", "bom-ref": "a", "name": "a", "version": "1"}]}


def _with_inner(where: str) -> tuple[dict[str, Any], str]:
    """A BOM with a JSF signature on the object ``where`` names, and the path verify must report."""
    bom = _base()
    sig = dict(GARBAGE)
    if where == "component":
        bom["components"][0]["signature"] = sig
        return bom, "components[0].signature"
    if where == "nested-component":
        bom["components"][0]["components"] = [{"type": "library", "bom-ref": "b", "name": "b", "signature": sig}]
        return bom, "components[0].components[0].signature"
    if where == "metadata-component":
        bom["metadata"] = {"component": {"type": "application", "bom-ref": "r", "name": "r", "signature": sig}}
        return bom, "metadata.component.signature"
    if where == "service":
        bom["services"] = [{"bom-ref": "s", "name": "s", "signature": sig}]
        return bom, "services[0].signature"
    if where == "composition":
        bom["compositions"] = [{"aggregate": "complete", "assemblies": ["a"], "signature": sig}]
        return bom, "compositions[0].signature"
    if where == "annotation":
        bom["annotations"] = [{"subjects": ["a"], "annotator": {"organization": {"name": "o"}},
                               "timestamp": "2024-01-01T00:00:00Z", "text": "t", "signature": sig}]
        return bom, "annotations[0].signature"
    if where == "signatory":
        bom["declarations"] = {"affirmation": {"statement": "s", "signatories": [
            {"name": "n", "role": "r", "signature": sig}]}}
        return bom, "declarations.affirmation.signatories[0].signature"
    raise AssertionError(where)


PLACES = ["component", "nested-component", "metadata-component", "service", "composition", "annotation",
          "signatory"]


@pytest.fixture
def key(tmp_path: Path) -> tuple[signing.PrivateKey, Path, Path]:
    k = signing.generate_key("es256")
    pub = tmp_path / "k.pub"
    pub.write_bytes(k.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo))
    priv = tmp_path / "k.key"
    priv.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return k, pub, priv


def _root_signed(doc: dict[str, Any], k: signing.PrivateKey) -> bytes:
    """``doc`` signed at its root, as the red team did it (mlbom's own ``sign`` now refuses it)."""
    sig = {"algorithm": "ES256", "publicKey": jsf.jwk_of(k.public_key())}
    doc = dict(doc, signature={"signers": [sig]})
    data = jsf.signed_bytes(doc, jsf.SignerRef("signature", "signers", 0))
    sig["value"] = jsf.b64url(jsf.sign_raw("ES256", k, data))
    return orjson.dumps(doc)


def _err(capsys: Any) -> str:
    _out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err, err
    return str(err)


@pytest.mark.parametrize("where", PLACES)
def test_inner_signature_fails_verify_and_check(tmp_path: Path, where: str, key: Any, capsys: Any) -> None:
    k, pub, _priv = key
    doc, path = _with_inner(where)
    signed = tmp_path / "signed.json"
    signed.write_bytes(_root_signed(doc, k))
    assert main(["verify", str(signed), "--key", str(pub)]) == 1
    err = _err(capsys)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "verification FAILED" in lines[0] and f"at {path}:" in lines[0], err
    policy = tmp_path / "policy.toml"
    policy.write_text("[signature]\nrequired = true\n")
    assert main(["check", str(signed), "--key", str(pub), "--policy", str(policy)]) == 1
    out, err = capsys.readouterr()
    assert "internal error" not in err + out and path in out + err


@pytest.mark.parametrize("where", ["component", "signatory"])
def test_sign_and_attest_refuse_a_bom_with_an_inner_signature(tmp_path: Path, where: str, key: Any,
                                                              capsys: Any) -> None:
    _k, _pub, priv = key
    doc, path = _with_inner(where)
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(doc))
    for extra in ([], ["--dsse"]):
        out = tmp_path / "out.json"
        assert main(["sign", str(bom), "--key", str(priv), "-o", str(out), *extra]) == 2
        err = _err(capsys)
        assert len(err.strip().splitlines()) == 1 and path in err, err
        assert not out.exists()


def test_dsse_predicate_with_an_inner_signature_fails(tmp_path: Path, key: Any, capsys: Any) -> None:
    k, pub, _priv = key
    doc, path = _with_inner("service")
    raw = json.dumps(doc).encode()
    env = tmp_path / "b.dsse"
    env.write_bytes(dsse.sign_statement(raw, doc, k, bom_name="bom.json", extra_subjects=[]))
    assert main(["verify", str(env), "--key", str(pub)]) == 1
    err = _err(capsys)
    assert len(err.strip().splitlines()) == 1 and path in err, err


def test_boms_mlbom_signs_still_verify(tmp_path: Path, key: Any, capsys: Any) -> None:
    """Nothing good is lost: a BOM signed by mlbom (one signer, then a second with --add, then
    DSSE over the JSF-signed BOM) verifies, including member names and values that merely
    contain the word signature."""
    _k, pub, priv = key
    doc = _base()
    doc["components"][0]["description"] = "signature"
    doc["components"][0]["properties"] = [{"name": "signature", "value": "signature"}]
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(doc))
    signed = tmp_path / "s.json"
    assert main(["sign", str(bom), "--key", str(priv), "-o", str(signed)]) == 0
    assert main(["verify", str(signed), "--key", str(pub)]) == 0
    k2 = signing.generate_key("es256")
    priv2 = tmp_path / "k2.key"
    priv2.write_bytes(k2.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    pub2 = tmp_path / "k2.pub"
    pub2.write_bytes(k2.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    two = tmp_path / "s2.json"
    assert main(["sign", str(signed), "--key", str(priv2), "--add", "-o", str(two)]) == 0
    assert main(["verify", str(two), "--key", str(pub), "--key", str(pub2)]) == 0
    env = tmp_path / "s.dsse"
    assert main(["sign", "--dsse", "--key", str(priv), str(signed), "-o", str(env)]) == 0
    assert main(["verify", str(env), "--key", str(pub)]) == 0
    _err(capsys)


def test_walk_is_linear_and_finds_the_last_value() -> None:
    """One visit per value: 100,000 components, the inner signature on the last one."""
    doc: dict[str, object] = {"bomFormat": "CycloneDX", "components": [
        {"type": "library", "name": f"c{i}", "version": "1"} for i in range(100_000)]}
    assert jsf.nested_signature_path(doc) is None
    comps = doc["components"]
    assert isinstance(comps, list)
    comps[-1]["signature"] = GARBAGE
    assert jsf.nested_signature_path(doc) == "components[99999].signature"
    doc["signature"] = GARBAGE  # the root's own is not "nested"
    assert jsf.nested_signature_path({"signature": GARBAGE}) is None
    assert jsf.nested_signature_path({"a": [{"weird key": {"signature": 1}}]}) == 'a[0]["weird key"].signature'
