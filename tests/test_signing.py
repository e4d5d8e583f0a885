from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlbom
from mlbom import jsf, signing
from mlbom.cli import main
from mlbom.errors import UsageError, VerificationError
from tests.conftest import FIXTURES

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"


def _verify_vector(doc: object, keys_dir: Path, name: str) -> int:
    keyspec = name.split("@")[0]
    keys = [k.split("#") for k in keyspec.split(",")]
    if isinstance(doc, list):
        prop = "signature"
    else:
        assert isinstance(doc, dict)
        prop = next(k for k, v in doc.items() if isinstance(v, dict) and {"algorithm", "signers", "chain"} & set(v))
    n = 0
    for (ref, signer), (kname, _alg) in zip(jsf.signers_of(doc, prop), keys, strict=True):  # type: ignore[arg-type]
        data = jsf.signed_bytes(doc, ref, allow_excludes=True)  # type: ignore[arg-type]
        value = jsf.b64url_decode(str(signer["value"]))
        alg = str(signer["algorithm"])
        if alg.startswith("HS"):
            secret = bytes.fromhex((keys_dir / f"{kname}bitkey.hex").read_text().strip())
            assert jsf.verify_hmac(alg, secret, data, value)
        else:
            key = (jsf.key_from_jwk(signer["publicKey"]) if "publicKey" in signer
                   else load_pem_public_key((keys_dir / f"{kname}publickey.pem").read_bytes()))
            assert jsf.verify_raw(alg, key, data, value), (name, ref)  # type: ignore[arg-type]
        n += 1
    return n


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "jsf").glob("*#*.json")))
def test_official_jsf_vectors_fixture(name: str) -> None:
    assert _verify_vector(json.loads((FIXTURES / "jsf" / name).read_text()), FIXTURES / "jsf", name[:-5]) >= 1


def test_all_official_jsf_vectors(corpus: Path) -> None:
    base = corpus / "jsf" / "openkeystore"
    files = sorted((base / "json-signatures").glob("*.json"))
    assert len(files) == 67
    assert sum(_verify_vector(json.loads(f.read_text()), base / "keys", f.name[:-5]) for f in files) == 89


def test_ed25519_signature_reproduces_the_official_vector_byte_for_byte() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    jwk = json.loads((FIXTURES / "jsf" / "ed25519privatekey.jwk").read_text())
    key = Ed25519PrivateKey.from_private_bytes(jsf.b64url_decode(jwk["d"]))
    vector = json.loads((FIXTURES / "jsf" / "ed25519#ed25519@jwk.json").read_text())
    ((ref, signer),) = jsf.signers_of(vector)
    assert jsf.b64url(jsf.sign_raw("Ed25519", key, jsf.signed_bytes(vector, ref))) == signer["value"]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, signing.PrivateKey]:
    bom = mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True))
    key = signing.generate_key("ed25519")
    return bom, signing.sign(bom, key), key


def test_sign_verify_and_reproducible(signed: tuple[bytes, bytes, signing.PrivateKey]) -> None:
    bom, out, key = signed
    assert mlbom.validate(out).ok
    result = mlbom.verify(out, [key.public_key()])
    assert result.ok and result.signers[0].reason == "valid signature, trusted key"
    assert signing.sign(bom, key) == out  # Ed25519 is deterministic: byte-identical re-signing


@pytest.mark.parametrize("algorithm", ["es256", "es384", "rs256"])
def test_other_algorithms(signed: tuple[bytes, bytes, signing.PrivateKey], algorithm: str) -> None:
    key = signing.generate_key(algorithm)  # type: ignore[arg-type]
    out = signing.sign(signed[0], key)
    assert mlbom.validate(out).ok and mlbom.verify(out, [key.public_key()]).ok


def test_add_and_replace_signers(signed: tuple[bytes, bytes, signing.PrivateKey]) -> None:
    _, out, key = signed
    with pytest.raises(UsageError, match="already signed"):
        signing.sign(out, key)
    other = signing.generate_key("es256")
    both = signing.sign(out, other, mode="add")
    result = mlbom.verify(both, [key.public_key(), other.public_key()])
    assert [s.algorithm for s in result.signers] == ["Ed25519", "ES256"]
    with pytest.raises(VerificationError, match=r"signer 2 .*not a trusted key"):
        mlbom.verify(both, [key.public_key()])
    replaced = signing.sign(both, other, mode="replace")
    assert len(json.loads(replaced)["signature"]["signers"]) == 1


def test_wrong_key_untrusted_and_moved_signature(signed: tuple[bytes, bytes, signing.PrivateKey]) -> None:
    _bom, out, key = signed
    stranger = signing.generate_key("ed25519")
    with pytest.raises(VerificationError, match="not a trusted key"):
        mlbom.verify(out, [stranger.public_key()])
    assert mlbom.verify(out, allow_embedded_key=True).ok
    with pytest.raises(UsageError, match="no trusted key"):
        mlbom.verify(out)
    # the same signature moved onto another BOM
    other = json.loads(mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True, name="other")))
    other["signature"] = json.loads(out)["signature"]
    with pytest.raises(VerificationError, match="modified after signing"):
        mlbom.verify(json.dumps(other).encode(), [key.public_key()])


def test_algorithm_confusion_is_refused(signed: tuple[bytes, bytes, signing.PrivateKey]) -> None:
    _, out, key = signed
    for alg in ("HS256", "none", "ES256", "RS256"):
        doc = json.loads(out)
        doc["signature"]["signers"][0]["algorithm"] = alg
        with pytest.raises(VerificationError):
            mlbom.verify(json.dumps(doc).encode(), [key.public_key()])
    doc = json.loads(out)
    doc["signature"]["signers"][0]["publicKey"] = {"kty": "EC", "crv": "P-999", "x": "AA", "y": "AA"}
    with pytest.raises(VerificationError, match="unsupported EC curve"):
        mlbom.verify(json.dumps(doc).encode(), [key.public_key()])
    doc["signature"]["signers"][0]["publicKey"] = {"kty": "RSA", "n": jsf.b64url(b"\xc3" * 64), "e": "AQAB"}
    with pytest.raises(VerificationError, match="below the 2048-bit minimum"):
        mlbom.verify(json.dumps(doc).encode(), [key.public_key()])


def test_duplicate_keys_and_malformed_signature(signed: tuple[bytes, bytes, signing.PrivateKey]) -> None:
    _, out, key = signed
    dup = out.replace(b'"bomFormat": "CycloneDX",', b'"bomFormat": "CycloneDX", "bomFormat": "CycloneDX",', 1)
    with pytest.raises(VerificationError, match="duplicate JSON member name 'bomFormat'"):
        mlbom.verify(dup, [key.public_key()])
    doc = json.loads(out)
    doc["signature"] = {"signers": "nope"}
    with pytest.raises(VerificationError):
        mlbom.verify(json.dumps(doc).encode(), [key.public_key()])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_single_byte_change_fails(signed: tuple[bytes, bytes, signing.PrivateKey], data: st.DataObject) -> None:
    _, out, key = signed
    pos = data.draw(st.integers(0, len(out) - 2))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != out[pos]))
    mutated = out[:pos] + bytes([new]) + out[pos + 1:]
    try:
        mlbom.verify(mutated, [key.public_key()])
    except (VerificationError, mlbom.MlbomError):
        return
    # Only a change that leaves the parsed JSON identical (whitespace between tokens) may pass.
    assert json.loads(mutated) == json.loads(out)


def test_dsse_attestation(signed: tuple[bytes, bytes, signing.PrivateKey]) -> None:
    bom, _, key = signed
    env = signing.attest(bom, key, bom_name="bom.json", subject_artifacts=True)
    doc = json.loads(env)
    assert doc["payloadType"] == "application/vnd.in-toto+json"
    import base64

    statement = json.loads(base64.b64decode(doc["payload"]))
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://cyclonedx.org/bom"
    assert len(statement["subject"]) > 1
    assert mlbom.verify(env, [key.public_key()]).ok
    doc["payload"] = base64.b64encode(base64.b64decode(doc["payload"]).replace(b"tiny", b"tinz")).decode()
    with pytest.raises(VerificationError):
        mlbom.verify(json.dumps(doc).encode(), [key.public_key()])


def test_cli_keygen_sign_verify_artifacts(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    monkeypatch.setenv("MLBOM_KEY_PASSWORD", "s3cret")
    release = tmp_path / "release"
    shutil.copytree(EXAMPLE, release)
    assert main(["keygen", "-o", str(tmp_path / "k")]) == 0
    assert b"ENCRYPTED" in (tmp_path / "k.key").read_bytes()
    assert main(["keygen", "-o", str(tmp_path / "k")]) == 2  # never overwrite a key
    assert main(["generate", str(release), "--reproducible", "-o", str(tmp_path / "bom.json")]) == 0
    assert main(["sign", str(tmp_path / "bom.json"), "--key", str(tmp_path / "k.key"), "-o", str(tmp_path / "s.json")]) == 0
    args = ["verify", str(tmp_path / "s.json"), "--key", str(tmp_path / "k.pub"), "--artifacts", str(release)]
    capsys.readouterr()
    assert main(args) == 1  # the release root holds README.md and mlbom.toml, which the BOM does not list
    assert "2 unlisted" in capsys.readouterr().err
    assert main([*args, "--exclude", "README.md", "--exclude", "mlbom.toml"]) == 0
    assert "7 listed, 7 verified, 0 unlisted, 0 missing, 0 mismatched" in capsys.readouterr().out
    assert main([*args, "--listed-only"]) == 0
    assert "--listed-only: files the BOM does not list were NOT looked for" in capsys.readouterr().out
    (release / "model" / "model.safetensors").write_bytes(b"swapped")
    capsys.readouterr()
    assert main([*args, "--listed-only"]) == 1
    assert "artifact modified: model/model.safetensors" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "s.json"), "--key", str(tmp_path / "k.jwk")]) == 0
    (tmp_path / "bad.json").write_text('{"bomFormat": "CycloneDX", "signature": 5}')
    assert main(["verify", str(tmp_path / "bad.json"), "--key", str(tmp_path / "k.pub")]) == 1
    (tmp_path / "bad.txt").write_text('neither JSON nor XML')
    assert main(["verify", str(tmp_path / "bad.txt"), "--key", str(tmp_path / "k.pub")]) == 2
    monkeypatch.delenv("MLBOM_KEY_PASSWORD")
    assert main(["sign", str(tmp_path / "bom.json"), "--key", str(tmp_path / "k.key")]) == 2


def test_xml_dsig(tmp_path: Path) -> None:
    bom = mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True), "xml")
    key = signing.generate_key("es256")
    signed_xml = signing.sign(bom, key)
    assert b"<ds:Signature" in signed_xml and mlbom.validate(signed_xml).ok
    assert mlbom.verify(signed_xml, [key.public_key()]).ok
    with pytest.raises(VerificationError, match="not a trusted key"):
        mlbom.verify(signed_xml, [signing.generate_key("es256").public_key()])
    with pytest.raises(VerificationError, match="modified after signing"):
        mlbom.verify(signed_xml.replace(b"tiny-reviews", b"tiny-reviewz"), [key.public_key()])
    with pytest.raises(UsageError, match="already signed"):
        signing.sign(signed_xml, key)
    with pytest.raises(UsageError, match="ECDSA or RSA"):
        signing.sign(bom, signing.generate_key("ed25519"))


def test_huge_nesting_is_bounded(signed: tuple[bytes, bytes, signing.PrivateKey]) -> None:
    _, _, key = signed
    deep = b'{"bomFormat": "CycloneDX", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(mlbom.InputError, match="not valid JSON"):
        mlbom.verify(deep, [key.public_key()])
