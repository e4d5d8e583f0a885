"""Red team 122v.

122v-1: ``verify ENVELOPE --key K [--bom F]`` said "verified (dsse)" for a predicate whose ROOT JSF
``signature`` nobody checked (a forged signer naming another party's key X, with a value X never
made). The predicate's root signature is now verified as ``verify`` does a JSON BOM's, under the
same keys: every signer by a key in K, else verification FAILED (exit 1, one line). ``sign --dsse``
still attests a JSF-signed BOM, with one line on stderr when its own key does not verify it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from mlbom import dsse, jsf, signing
from mlbom.cli import main


def _keypair(tmp_path: Path, name: str) -> tuple[signing.PrivateKey, Path, Path]:
    k = signing.generate_key("es256")
    pub = tmp_path / f"{name}.pub"
    pub.write_bytes(k.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo))
    priv = tmp_path / f"{name}.key"
    priv.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return k, pub, priv


def _base() -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": [{"type": "library", "bom-ref": "a", "name": "a", "version": "1"}]}


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


def _attest(tmp_path: Path, bom_bytes: bytes, k: signing.PrivateKey) -> tuple[Path, Path]:
    """The BOM file and a DSSE envelope over it by ``k`` (built directly: no CLI note involved)."""
    bom = tmp_path / "bom.json"
    bom.write_bytes(bom_bytes)
    env = tmp_path / "bom.intoto.json"
    env.write_bytes(dsse.sign_statement(bom_bytes, json.loads(bom_bytes), k, bom_name="bom.json", extra_subjects=[]))
    return bom, env


def _verify_both(env: Path, bom: Path, pub: Path) -> list[int]:
    return [main(["verify", str(env), "--key", str(pub)]),
            main(["verify", str(env), "--key", str(pub), "--bom", str(bom)])]


def test_a_forged_root_signer_in_the_predicate_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The red team's case: a signer naming X's key with a value X never made."""
    k, pub, _ = _keypair(tmp_path, "ci")
    x, _, _ = _keypair(tmp_path, "sec")
    doc = _base()
    doc["signature"] = {"signers": [{"algorithm": "ES256", "publicKey": jsf.jwk_of(x.public_key()),
                                     "value": base64.urlsafe_b64encode(b"\x01" * 64).rstrip(b"=").decode()}]}
    bom, env = _attest(tmp_path, json.dumps(doc).encode(), k)
    for rc in _verify_both(env, bom, pub):
        assert rc == 1
    err = _err(capsys)
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all("FAILED" in line and "JSF signature" in line for line in lines), err


def test_a_forged_root_signer_by_a_key_in_k_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The forged value names K itself: the signature is checked, not only its key."""
    k, pub, _ = _keypair(tmp_path, "ci")
    doc = _base()
    doc["signature"] = {"signers": [{"algorithm": "ES256", "publicKey": jsf.jwk_of(k.public_key()),
                                     "value": base64.urlsafe_b64encode(b"\x01" * 64).rstrip(b"=").decode()}]}
    bom, env = _attest(tmp_path, json.dumps(doc).encode(), k)
    assert _verify_both(env, bom, pub) == [1, 1]
    assert "does not match" in _err(capsys)


def test_a_root_signer_valid_by_an_untrusted_key_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    k, pub, _ = _keypair(tmp_path, "ci")
    _x, xpub, xpriv = _keypair(tmp_path, "other")
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(_base()))
    signed = tmp_path / "signed.json"
    assert main(["sign", str(plain), "--key", str(xpriv), "-o", str(signed)]) == 0
    assert main(["verify", str(signed), "--key", str(xpub)]) == 0  # genuinely signed by X
    bom, env = _attest(tmp_path, signed.read_bytes(), k)
    _err(capsys)
    assert _verify_both(env, bom, pub) == [1, 1]
    err = _err(capsys)
    assert len(err.strip().splitlines()) == 2 and "not a trusted key" in err, err
    # trusting X as well, every signature on the input is by a key in K: verified
    assert main(["verify", str(env), "--key", str(pub), "--key", str(xpub)]) == 0


def test_a_root_signer_valid_by_a_key_in_k_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Sign, then attest with the same key (the workflow the rule keeps)."""
    _k, pub, priv = _keypair(tmp_path, "ci")
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(_base()))
    signed = tmp_path / "signed.json"
    assert main(["sign", str(plain), "--key", str(priv), "-o", str(signed)]) == 0
    env = tmp_path / "signed.intoto.json"
    assert main(["sign", "--dsse", str(signed), "--key", str(priv), "-o", str(env)]) == 0
    assert "note:" not in _err(capsys)  # its own key verifies the BOM: nothing to say
    assert _verify_both(env, signed, pub) == [0, 0]
    out = capsys.readouterr().out
    assert "JSF ES256 in the predicate" in out and "verified (dsse)" in out


def test_sign_dsse_says_when_its_key_does_not_verify_the_bom(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """``sign --dsse`` keeps attesting a BOM signed by another key, with one line on stderr."""
    _k, pub, priv = _keypair(tmp_path, "ci")
    _x, xpub, xpriv = _keypair(tmp_path, "other")
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(_base()))
    signed = tmp_path / "signed.json"
    assert main(["sign", str(plain), "--key", str(xpriv), "-o", str(signed)]) == 0
    _err(capsys)
    env = tmp_path / "e.json"
    assert main(["sign", "--dsse", str(signed), "--key", str(priv), "-o", str(env)]) == 0
    notes = [line for line in _err(capsys).splitlines() if not line.startswith("wrote ")]
    assert len(notes) == 1 and notes[0].startswith("note:") and "JSF signature" in notes[0], notes
    assert main(["verify", str(env), "--key", str(pub)]) == 1
    assert main(["verify", str(env), "--key", str(pub), "--key", str(xpub)]) == 0
