"""Signatures made by mlbom, verified by implementations mlbom did not write: libxmlsec1's
``xmlsec1`` for XML-DSig, securesystemslib for DSSE. (JSF: ``tests/test_signing.py`` verifies
all official vectors and reproduces an official Ed25519 signature byte for byte.) Each test skips
cleanly when its verifier is not installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

import mlbom
from mlbom import signing

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"


def _pem(key: signing.PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 (Debian package xmlsec1) not installed")
def test_xmlsec1_verifies_mlbom_xml_dsig(tmp_path: Path) -> None:
    key = signing.generate_key("es256")
    signed = signing.sign(mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True), "xml"), key)
    (tmp_path / "k.pub").write_bytes(_pem(key))
    (tmp_path / "s.xml").write_bytes(signed)
    ok = subprocess.run(["xmlsec1", "--verify", "--pubkey-pem", str(tmp_path / "k.pub"), str(tmp_path / "s.xml")],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    (tmp_path / "t.xml").write_bytes(signed.replace(b"tiny-reviews", b"tiny-reviewz"))
    bad = subprocess.run(["xmlsec1", "--verify", "--pubkey-pem", str(tmp_path / "k.pub"), str(tmp_path / "t.xml")],
                         capture_output=True, text=True, check=False)
    assert bad.returncode != 0


def test_securesystemslib_verifies_mlbom_dsse() -> None:
    dsse = pytest.importorskip("securesystemslib.dsse")
    from securesystemslib.signer import SSlibKey

    key = signing.generate_key("ed25519")
    env = dsse.Envelope.from_dict(json.loads(signing.attest(mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True)), key)))
    keyid = next(iter(env.signatures))
    trusted = SSlibKey.from_crypto(key.public_key(), keyid=keyid)
    assert keyid in env.verify([trusted], 1)
    env.payload = env.payload.replace(b"tiny-reviews", b"tiny-reviewz")
    with pytest.raises(Exception, match="threshold"):
        env.verify([trusted], 1)


# ---- the consumer matrix of docs/interop.md ---------------------------------------------

VARIANTS = ["unsigned-json", "unsigned-xml", "jsf-es256", "jsf-ed25519", "jsf-rs256", "xmldsig-es256", "xmldsig-rs256"]


def _variant(name: str) -> bytes:
    fmt = "xml" if name.endswith("xml") or name.startswith("xmldsig") else "json"
    bom = mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True), fmt)
    if name.startswith("unsigned"):
        return bom
    return signing.sign(bom, signing.generate_key(name.split("-")[1]))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", VARIANTS)
def test_cyclonedx_python_lib_validates_and_reads(name: str) -> None:
    pytest.importorskip("cyclonedx.validation.json")
    import warnings
    from xml.etree import ElementTree

    from cyclonedx.model.bom import Bom
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from cyclonedx.validation.xml import XmlValidator

    data = _variant(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if data.lstrip()[:1] == b"<":
            assert XmlValidator(SchemaVersion.V1_6).validate_str(data.decode()) is None
            bom = Bom.from_xml(ElementTree.fromstring(data))  # type: ignore[attr-defined]
        else:
            assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(data.decode()) is None
            bom = Bom.from_json(json.loads(data))  # type: ignore[attr-defined]
    # 14 top-level components on every host; a CUDA toolkit's dist-infos (issue 14) are nested
    # under its framework component, read back there
    assert len(bom.components) == 14
    nested = [p for c in bom.components for p in c.components]
    assert all(p.bom_ref.value.startswith("cuda-toolkit@") for p in nested)


@pytest.mark.parametrize("alg", ["es256", "rs256", "ed25519"])
def test_securesystemslib_verifies_each_key_type(alg: str) -> None:
    dsse = pytest.importorskip("securesystemslib.dsse")
    from securesystemslib.signer import SSlibKey

    key = signing.generate_key(alg)  # type: ignore[arg-type]
    # securesystemslib's default RSA scheme is RSA-PSS; mlbom signs RSA as PKCS#1 v1.5
    scheme = {"es256": "ecdsa-sha2-nistp256", "rs256": "rsa-pkcs1v15-sha256", "ed25519": "ed25519"}[alg]
    env = dsse.Envelope.from_dict(json.loads(signing.attest(mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True)), key)))
    keyid = next(iter(env.signatures))
    assert keyid in env.verify([SSlibKey.from_crypto(key.public_key(), keyid=keyid, scheme=scheme)], 1)


@pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 (Debian package xmlsec1) not installed")
@pytest.mark.parametrize("name", ["xml-keyinfo-decoy.xml", "xml-signature-wrapping.xml", "xml-flipped-signaturevalue.xml"])
def test_xmlsec1_also_rejects_the_xml_forgeries(name: str) -> None:
    hostile = Path(__file__).resolve().parent / "fixtures" / "hostile" / "signing"
    p = subprocess.run(["xmlsec1", "--verify", "--pubkey-pem", str(hostile / "trusted.pub"), str(hostile / name)],
                       capture_output=True, text=True, check=False)
    assert p.returncode != 0


@pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 (Debian package xmlsec1) not installed")
def test_xmlsec1_verifies_rsa_xml_dsig(tmp_path: Path) -> None:
    key = signing.generate_key("rs256")
    (tmp_path / "k.pub").write_bytes(_pem(key))
    (tmp_path / "s.xml").write_bytes(signing.sign(mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True), "xml"), key))
    ok = subprocess.run(["xmlsec1", "--verify", "--pubkey-pem", str(tmp_path / "k.pub"), str(tmp_path / "s.xml")],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
