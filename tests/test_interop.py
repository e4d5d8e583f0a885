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
