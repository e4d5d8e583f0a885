"""Every attack of issue 13, through the CLI: each forgery fails closed with exit 1 (a malformed
key file or bad arguments: exit 2), one line on stderr, never an internal error."""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

import mlbom
from mlbom import jsf, signing
from mlbom.cli import main
from mlbom.verification import MAX_SIGNERS

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"
ROOT = Path(__file__).resolve().parent.parent
DS = "http://www.w3.org/2000/09/xmldsig#"
DS11 = "http://www.w3.org/2009/xmldsig11#"


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err, err
    return rc, out, err


def failed(capsys: pytest.CaptureFixture[str], *args: str | Path, code: int = 1) -> str:
    rc, out, err = run(capsys, *args)
    assert rc == code, (rc, out, err)
    assert len(err.strip().splitlines()) == 1, err
    return err


def pem(key: signing.PrivateKey | signing.PublicKey) -> bytes:
    pub = key.public_key() if hasattr(key, "private_bytes") else key
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    d = tmp_path_factory.mktemp("attacks")
    trusted = signing.generate_key("es256")
    attacker = signing.generate_key("es256")
    (d / "trusted.pub").write_bytes(pem(trusted))
    (d / "attacker.pub").write_bytes(pem(attacker))
    bom = mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True))
    xml = mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True), "xml")
    return {"dir": d, "trusted": trusted, "attacker": attacker, "bom": bom, "xml": xml,
            "signed": signing.sign(bom, trusted), "signed_xml": signing.sign(xml, trusted)}


def write(world: dict[str, object], name: str, data: bytes | str) -> Path:
    p = Path(str(world["dir"])) / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


def key(world: dict[str, object]) -> list[str]:
    return ["--key", str(Path(str(world["dir"])) / "trusted.pub")]


def test_legitimate_inputs_verify(world: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    for name, data in (("ok.json", world["signed"]), ("ok.xml", world["signed_xml"])):
        rc, out, err = run(capsys, "verify", write(world, name, data), *key(world))  # type: ignore[arg-type]
        assert rc == 0, err
        assert "verified" in out and "trusted key" in out


# ---- the six forgeries -------------------------------------------------------------------

def test_forgery_1_jsf_excludes_injection(world: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(world["signed"])  # type: ignore[arg-type]
    doc["vulnerabilities"] = [{"id": "CVE-2099-0001", "description": "injected"}]
    doc["externalReferences"] = [{"type": "website", "url": "https://evil.example"}]
    doc["signature"]["excludes"] = ["vulnerabilities", "externalReferences"]
    err = failed(capsys, "verify", write(world, "excl.json", json.dumps(doc)), *key(world))
    assert "excludes" in err
    # excludes inside the signer itself (JSF single-signer form) too
    single = json.loads(world["signed"])  # type: ignore[arg-type]
    signer = single["signature"]["signers"][0]
    single["signature"] = {**signer, "excludes": ["services"]}
    single["services"] = [{"name": "injected"}]
    failed(capsys, "verify", write(world, "excl2.json", json.dumps(single)), *key(world))


def _attacker_signed_xml(world: dict[str, object]) -> etree._Element:
    edited = bytes(world["xml"]).replace(b"tiny-reviews", b"evil-reviews")  # type: ignore[arg-type]
    signed = signing.sign(edited, world["attacker"])  # type: ignore[arg-type]
    return etree.fromstring(signed)


def _trusted_key_value(world: dict[str, object]) -> etree._Element:
    root = etree.fromstring(bytes(world["signed_xml"]))  # type: ignore[arg-type]
    kv = root.find(f"{{{DS}}}Signature/{{{DS}}}KeyInfo/{{{DS}}}KeyValue")
    assert kv is not None
    return copy.deepcopy(kv)


def test_forgery_2_keyinfo_decoy(world: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    # a) the trusted key's KeyValue pasted first into KeyInfo
    root = _attacker_signed_xml(world)
    info = root.find(f"{{{DS}}}Signature/{{{DS}}}KeyInfo")
    assert info is not None
    info.insert(0, _trusted_key_value(world))
    failed(capsys, "verify", write(world, "decoy1.xml", etree.tostring(root)), *key(world))
    # b) the trusted ECKeyValue first inside the attacker's KeyValue
    root = _attacker_signed_xml(world)
    kv = root.find(f"{{{DS}}}Signature/{{{DS}}}KeyInfo/{{{DS}}}KeyValue")
    assert kv is not None
    kv.insert(0, _trusted_key_value(world)[0])
    failed(capsys, "verify", write(world, "decoy2.xml", etree.tostring(root)), *key(world))
    # c) mixed: an RSA KeyValue and the EC one
    root = _attacker_signed_xml(world)
    kv = root.find(f"{{{DS}}}Signature/{{{DS}}}KeyInfo/{{{DS}}}KeyValue")
    assert kv is not None
    rsa_kv = etree.SubElement(kv, f"{{{DS}}}RSAKeyValue")
    n = rsa.generate_private_key(65537, 2048).public_key().public_numbers().n
    etree.SubElement(rsa_kv, f"{{{DS}}}Modulus").text = base64.b64encode(n.to_bytes(256, "big"))
    etree.SubElement(rsa_kv, f"{{{DS}}}Exponent").text = "AQAB"
    failed(capsys, "verify", write(world, "decoy3.xml", etree.tostring(root)), *key(world))
    # d) the attacker's own document, trusted key not even mentioned: untrusted
    err = failed(capsys, "verify", write(world, "decoy4.xml", etree.tostring(_attacker_signed_xml(world))), *key(world))
    assert "not a trusted key" in err


def test_forgery_3_signature_wrapping(world: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    from signxml.algorithms import SignatureConstructionMethod, SignatureMethod
    from signxml.signer import XMLSigner

    legit = etree.fromstring(bytes(world["signed_xml"]))  # type: ignore[arg-type]
    legit_sig = legit.find(f"{{{DS}}}Signature")
    evil = etree.fromstring(bytes(world["xml"]).replace(b"tiny-reviews", b"evil-reviews"))  # type: ignore[arg-type]
    evil.append(copy.deepcopy(legit_sig))
    signed = XMLSigner(method=SignatureConstructionMethod.enveloped, signature_algorithm=SignatureMethod.ECDSA_SHA256,
                       digest_algorithm="sha256").sign(evil, key=world["attacker"])
    sigs = signed.findall(f"{{{DS}}}Signature")
    attacker_sig = sigs[-1]
    signed.remove(attacker_sig)
    meta = next(el for el in signed if etree.QName(el).localname == "metadata")
    meta.insert(0, attacker_sig)
    failed(capsys, "verify", write(world, "wrap.xml", etree.tostring(signed)), *key(world))
    # the legitimate signature moved into metadata alone: not the root's own
    moved = etree.fromstring(bytes(world["signed_xml"]))  # type: ignore[arg-type]
    s = moved.find(f"{{{DS}}}Signature")
    assert s is not None
    moved.remove(s)
    next(el for el in moved if etree.QName(el).localname == "metadata").append(s)
    failed(capsys, "verify", write(world, "wrap2.xml", etree.tostring(moved)), *key(world))


def test_forgery_4_dsse_bom_polyglot(world: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    env = json.loads(signing.attest(bytes(world["bom"]), world["trusted"]))  # type: ignore[arg-type]
    bom = json.loads(world["bom"])  # type: ignore[arg-type]
    bom["components"].append({"type": "library", "name": "injected", "version": "6.6.6"})
    err = failed(capsys, "verify", write(world, "poly.json", json.dumps({**bom, **env})), *key(world))
    assert "ambiguous" in err
    # the envelope keys first, in the first 200 bytes
    failed(capsys, "verify", write(world, "poly2.json", json.dumps({**env, **bom})), *key(world))
    # an envelope with one extra member
    failed(capsys, "verify", write(world, "env-extra.json", json.dumps({**env, "note": "x"})), *key(world))
    # a signed BOM with an envelope member added
    doc = json.loads(world["signed"])  # type: ignore[arg-type]
    doc["payloadType"] = "application/vnd.in-toto+json"
    failed(capsys, "verify", write(world, "bom-env.json", json.dumps(doc)), *key(world))


def test_forgery_5_extra_untrusted_signer(world: dict[str, object], capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    both = signing.sign(bytes(world["signed"]), world["attacker"], mode="add")  # type: ignore[arg-type]
    p = write(world, "two.json", both)
    err = failed(capsys, "verify", p, *key(world))
    assert "signer 2" in err
    db = f"sqlite:///{tmp_path / 'ix.db'}"
    assert main(["index", "add", str(p), "--db", db, *key(world)]) == 0
    from mlbom import index as ix

    prep = ix.prepare_file(str(p), signing.load_public_keys(Path(str(world["dir"])) / "trusted.pub"))
    assert not isinstance(prep, str)
    ok = ix.prepare_file(str(write(world, "one.json", world["signed"])),  # type: ignore[arg-type]
                         signing.load_public_keys(Path(str(world["dir"])) / "trusted.pub"))
    assert not isinstance(ok, str)
    assert prep.record["signature_verified"] is False and ok.record["signature_verified"] is True


def test_forgery_6_embedded_key_with_trusted_key(world: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    forged = signing.sign(bytes(world["bom"]).replace(b"tiny-reviews", b"evil-reviews"), world["attacker"])  # type: ignore[arg-type]
    p = write(world, "emb.json", forged)
    err = failed(capsys, "verify", p, *key(world), "--allow-embedded-key", code=2)
    assert "cannot be combined" in err
    failed(capsys, "verify", p, *key(world))
    rc, out, _ = run(capsys, "verify", p, "--allow-embedded-key")
    assert rc == 0 and "UNSAFE" in out
    failed(capsys, "verify", p, code=2)  # an empty trust set is an error, not a pass


# ---- the "Also" items --------------------------------------------------------------------

def test_index_stores_what_verify_says(world: dict[str, object], tmp_path: Path) -> None:
    from mlbom import index as ix

    keys = signing.load_public_keys(Path(str(world["dir"])) / "trusted.pub")
    doc = json.loads(world["signed"])  # type: ignore[arg-type]
    doc["vulnerabilities"] = [{"id": "CVE-2099-0001"}]
    doc["signature"]["excludes"] = ["vulnerabilities"]
    for data, expected in ((json.dumps(doc).encode(), False), (world["signed"], True),
                           (signing.sign(bytes(world["bom"]), world["attacker"]), False)):  # type: ignore[arg-type]
        p = tmp_path / "b.json"
        p.write_bytes(data)  # type: ignore[arg-type]
        prep = ix.prepare_file(str(p), keys)
        assert not isinstance(prep, str), prep
        assert prep.record["signature_verified"] is expected


def test_big_integers_refused_at_signing_and_verification(world: dict[str, object],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    big = bytes(world["bom"]).replace(b'"version": 1,', b'"version": 123456789012345678901234567890,', 1)
    assert big != world["bom"]
    with pytest.raises(mlbom.InputError, match="exactly representable"):
        signing.sign(big, world["trusted"])  # type: ignore[arg-type]
    # a signature made over the double, then the integer put back: refused, not silently changed
    doc = json.loads(world["signed"])  # type: ignore[arg-type]
    text = json.dumps(doc).replace('"version": 1,', '"version": 123456789012345678901234567890,', 1)
    err = failed(capsys, "verify", write(world, "big.json", text), *key(world))
    assert "exactly representable" in err
    # the bound is rfc8785's own (2**53 - 1): what parses can always be canonicalized
    for bad in ('{"a": 9007199254740993}', '{"a": 9007199254740992}', '{"a": -9007199254740992}', '{"a": -1e300}',
                '{"a": 1e400}', '{"a": NaN}'):
        with pytest.raises(jsf.SignatureFormatError):
            jsf.parse_json(bad.encode())
    ok = jsf.parse_json(b'{"a": 9007199254740991, "b": 0.5, "c": -9007199254740991}')
    assert ok == {"a": 2 ** 53 - 1, "b": 0.5, "c": -(2 ** 53) + 1}
    assert jsf.canonicalize(ok) == b'{"a":9007199254740991,"b":0.5,"c":-9007199254740991}'
    edge = bytes(world["bom"]).replace(b'"version": 1,', b'"version": 9007199254740992,', 1)
    with pytest.raises(mlbom.InputError, match="exactly representable"):
        signing.sign(edge, world["trusted"])  # type: ignore[arg-type]


def test_duplicate_key_detection_is_linear() -> None:
    members = ",".join(f'"k{i}": {i}' for i in range(60_000))
    start = time.perf_counter()
    with pytest.raises(jsf.SignatureFormatError, match="duplicate"):
        jsf.parse_json(("{" + members + ', "k0": 1}').encode())
    assert time.perf_counter() - start < 20  # quadratic detection took minutes at this size


def test_xml_rsa_1024_and_malformed_key_values(world: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    from signxml.algorithms import SignatureConstructionMethod, SignatureMethod
    from signxml.signer import XMLSigner

    small = rsa.generate_private_key(65537, 1024)
    (Path(str(world["dir"])) / "small.pub").write_bytes(pem(small))
    root = etree.fromstring(bytes(world["xml"]))  # type: ignore[arg-type]
    signed = XMLSigner(method=SignatureConstructionMethod.enveloped, signature_algorithm=SignatureMethod.RSA_SHA256,
                       digest_algorithm="sha256").sign(root, key=small)
    p = write(world, "rsa1024.xml", etree.tostring(signed))
    failed(capsys, "verify", p, "--allow-embedded-key")
    failed(capsys, "verify", p, "--key", Path(str(world["dir"])) / "small.pub", code=2)  # refused as a trusted key

    def mutate(name: str, fn: object) -> None:
        r = etree.fromstring(bytes(world["signed_xml"]))  # type: ignore[arg-type]
        fn(r)  # type: ignore[operator]
        failed(capsys, "verify", write(world, name, etree.tostring(r)), *key(world))
        failed(capsys, "verify", write(world, name, etree.tostring(r)), "--allow-embedded-key")

    def point(r: etree._Element, text: str) -> None:
        el = r.find(f".//{{{DS11}}}PublicKey")
        assert el is not None
        el.text = text

    mutate("badpoint.xml", lambda r: point(r, base64.b64encode(b"\x04" + b"\x01" * 64).decode()))
    mutate("badb64.xml", lambda r: point(r, "!!!not base64!!!"))
    mutate("compressed.xml", lambda r: point(r, base64.b64encode(b"\x02" + b"\x01" * 32).decode()))

    def rsa_n1(r: etree._Element) -> None:
        kv = r.find(f".//{{{DS}}}KeyValue")
        assert kv is not None
        for c in list(kv):
            kv.remove(c)
        rk = etree.SubElement(kv, f"{{{DS}}}RSAKeyValue")
        etree.SubElement(rk, f"{{{DS}}}Modulus").text = "AQ=="
        etree.SubElement(rk, f"{{{DS}}}Exponent").text = "AQAB"
    mutate("rsa-n1.xml", rsa_n1)

    def flip(r: etree._Element) -> None:
        sv = r.find(f".//{{{DS}}}SignatureValue")
        assert sv is not None and sv.text
        raw = bytearray(base64.b64decode(sv.text))
        raw[5] ^= 1
        sv.text = base64.b64encode(bytes(raw)).decode()
    mutate("flipped.xml", flip)

    def garbage_sig(r: etree._Element) -> None:
        sv = r.find(f".//{{{DS}}}SignatureValue")
        assert sv is not None
        sv.text = "@@@"
    mutate("garbage-sig.xml", garbage_sig)


def test_signed_but_invalid_bom_fails(world: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(world["bom"])  # type: ignore[arg-type]
    doc["dependencies"] = [{"ref": "nothing-at-all"}]
    signed = signing.sign(json.dumps(doc).encode(), world["trusted"])  # type: ignore[arg-type]
    err = failed(capsys, "verify", write(world, "invalid.json", signed), *key(world))
    assert "not valid" in err
    doc = json.loads(world["bom"])  # type: ignore[arg-type]
    doc["components"][0]["type"] = "not-a-type"
    signed = signing.sign(json.dumps(doc).encode(), world["trusted"])  # type: ignore[arg-type]
    failed(capsys, "verify", write(world, "invalid2.json", signed), *key(world))


def test_keyid_only_signature_with_mixed_trust_store(world: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    ed = signing.generate_key("ed25519")
    r = signing.generate_key("rs256")
    store = {"keys": [jsf.jwk_of(ed.public_key()), jsf.jwk_of(r.public_key()),
                      jsf.jwk_of(world["trusted"].public_key())]}  # type: ignore[union-attr]
    jwks = write(world, "mixed.jwks", json.dumps(store))
    signed = signing.sign(bytes(world["bom"]), world["trusted"], embed_key=False)  # type: ignore[arg-type]
    rc, _out, err = run(capsys, "verify", write(world, "kid.json", signed), "--key", jwks)
    assert rc == 0, err
    kid = jsf.key_id(world["trusted"].public_key())  # type: ignore[union-attr]
    # a key id alone cannot verify a signature that embeds no key
    failed(capsys, "verify", write(world, "kid.json", signed), "--key-id", kid)
    rc, _, err = run(capsys, "verify", write(world, "ok.json", world["signed"]), "--key-id", kid)  # type: ignore[arg-type]
    assert rc == 0, err
    failed(capsys, "verify", write(world, "ok.json", world["signed"]), "--key-id", "ab" * 32)  # type: ignore[arg-type]


def test_base64url_must_be_canonical(world: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(world["signed"])  # type: ignore[arg-type]
    value = doc["signature"]["signers"][0]["value"]
    raw = jsf.b64url_decode(value)
    assert len(raw) == 64  # ES256: 86 chars, the last carries 4 padding bits
    last = value[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = alphabet[alphabet.index(last) ^ 1]
    for bad in (value[:-1] + twin, value + "==", value[:10] + "+" + value[11:], value[:10] + " " + value[10:]):
        d = copy.deepcopy(doc)
        d["signature"]["signers"][0]["value"] = bad
        failed(capsys, "verify", write(world, "b64.json", json.dumps(d)), *key(world))
    with pytest.raises(jsf.SignatureFormatError):
        jsf.b64url_decode("QR")  # 'R' has non-zero padding bits: 'QQ' is the canonical spelling of b"A"
    assert jsf.b64url_decode("QQ") == b"A"


def test_dsse_checks(world: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    bom = bytes(world["bom"])  # type: ignore[arg-type]
    env_bytes = signing.attest(bom, world["trusted"], bom_name="bom.json")  # type: ignore[arg-type]
    envp = write(world, "env.json", env_bytes)
    bomp = write(world, "bom.json", bom)
    rc, out, err = run(capsys, "verify", envp, *key(world), "--bom", bomp)
    assert rc == 0 and "attested subject" in out, err
    rc, _, err = run(capsys, "verify", envp, *key(world))
    assert rc == 0, err
    other = write(world, "other.json", bom.replace(b"tiny-reviews", b"tiny-reviewz"))
    assert "not a subject" in failed(capsys, "verify", envp, *key(world), "--bom", other)
    failed(capsys, "verify", envp, "--key", Path(str(world["dir"])) / "attacker.pub")
    failed(capsys, "verify", envp, "--allow-embedded-key", code=2)
    failed(capsys, "verify", write(world, "ok.json", world["signed"]), *key(world), "--bom", bomp, code=2)  # type: ignore[arg-type]
    env = json.loads(env_bytes)
    statement = json.loads(base64.b64decode(env["payload"]))

    def resign(st: dict[str, object], ptype: str = "application/vnd.in-toto+json") -> bytes:
        body = json.dumps(st).encode()
        der = world["trusted"].sign(b"DSSEv1 %d %s %d %s" % (len(ptype), ptype.encode(), len(body), body),  # type: ignore[union-attr]
                                    ec.ECDSA(__import__("cryptography.hazmat.primitives.hashes",
                                                        fromlist=["SHA256"]).SHA256()))
        return json.dumps({"payloadType": ptype, "payload": base64.b64encode(body).decode(),
                           "signatures": [{"sig": base64.b64encode(der).decode()}]}).encode()

    assert run(capsys, "verify", write(world, "re.json", resign(statement)), *key(world))[0] == 0
    for change in ({"_type": "https://in-toto.io/Statement/v0.1"}, {"_type": "x"},
                   {"predicateType": "https://spdx.dev/Document"}, {"subject": []},
                   {"subject": [{"name": "x", "digest": {"sha256": "zz"}}]}, {"predicate": [1]}, {"extra": 1}):
        failed(capsys, "verify", write(world, "re.json", resign({**statement, **change})), *key(world))
    failed(capsys, "verify", write(world, "re.json", resign(statement, "application/json")), *key(world))
    # strict base64 and safe DER
    for sig in ("!!!!", base64.b64encode(b"\x30\x02\x02\x00").decode()[:-1],
                base64.urlsafe_b64encode(b"\xfb\xff" * 40).decode(),
                base64.b64encode(b"\x30\x46\x02\x26\x01" + b"\x00" * 37 + b"\x02\x01\x01").decode()):
        bad = dict(env, signatures=[{"keyid": "x", "sig": sig}])
        failed(capsys, "verify", write(world, "badsig.json", json.dumps(bad)), *key(world))
    r300 = (2 ** 300).to_bytes(38, "big")
    der = b"\x30" + bytes([4 + len(r300) + 3]) + b"\x02" + bytes([len(r300)]) + r300 + b"\x02\x01\x01"
    bad = dict(env, signatures=[{"sig": base64.b64encode(der).decode()}])
    failed(capsys, "verify", write(world, "r300.json", json.dumps(bad)), *key(world))
    bad = dict(env, payload=env["payload"] + "\n")
    failed(capsys, "verify", write(world, "payload.json", json.dumps(bad)), *key(world))
    # every signature must verify: a good one plus a stranger's is not enough
    two = dict(env, signatures=[env["signatures"][0], {"sig": env["signatures"][0]["sig"][:-4] + "AAA="}])
    failed(capsys, "verify", write(world, "two.json", json.dumps(two)), *key(world))


def test_securesystemslib_verifies_es256_and_rsa_dsse(world: dict[str, object]) -> None:
    dsse = pytest.importorskip("securesystemslib.dsse")
    from securesystemslib.signer import SSlibKey

    for k, scheme in ((world["trusted"], "ecdsa-sha2-nistp256"), (signing.generate_key("rs256"), "rsa-pkcs1v15-sha256")):
        env = dsse.Envelope.from_dict(json.loads(signing.attest(bytes(world["bom"]), k)))  # type: ignore[arg-type]
        keyid = next(iter(env.signatures))
        trusted = SSlibKey.from_crypto(k.public_key(), keyid=keyid, scheme=scheme)  # type: ignore[union-attr]
        assert keyid in env.verify([trusted], 1)


def test_keygen_refuses_dangling_symlink_and_writes_0600(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "elsewhere" / "stolen.key"
    target.parent.mkdir()
    (tmp_path / "k.key").symlink_to(target)
    failed(capsys, "keygen", "-o", tmp_path / "k", code=2)
    assert not target.exists() and not (tmp_path / "k.pub").exists()
    assert run(capsys, "keygen", "-o", tmp_path / "fresh")[0] == 0
    assert (tmp_path / "fresh.key").stat().st_mode & 0o777 == 0o600
    assert b"BEGIN PRIVATE KEY" in (tmp_path / "fresh.key").read_bytes()
    jwk = json.loads((tmp_path / "fresh.jwk").read_text())
    assert jwk["kty"] == "EC" and jwk["crv"] == "P-256"  # ES256 is the default
    for alg in ("ed25519", "es256", "rs256"):
        assert run(capsys, "keygen", "--algorithm", alg, "-o", tmp_path / alg)[0] == 0


def _cli(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "mlbom", *args], capture_output=True, text=True, timeout=timeout,
                          env=env, check=False)


def test_key_files_are_bounded(world: dict[str, object], tmp_path: Path) -> None:
    signed = write(world, "ok.json", world["signed"])  # type: ignore[arg-type]
    fifo = tmp_path / "fifo.pub"
    os.mkfifo(fifo)
    for bad in (str(fifo), "/dev/zero", str(tmp_path)):
        p = _cli(["verify", str(signed), "--key", bad])
        assert p.returncode == 2 and "not a regular file" in p.stderr, p.stderr
    p = _cli(["sign", str(signed), "--key", str(fifo)])
    assert p.returncode == 2 and "not a regular file" in p.stderr
    p = _cli(["verify", str(fifo), "--key", str(Path(str(world["dir"])) / "trusted.pub")])
    assert p.returncode == 2 and "not a regular file" in p.stderr
    headers = tmp_path / "headers.pem"
    headers.write_bytes(b"-----BEGIN PUBLIC KEY-----\n" * 38_000)  # just under the 1 MiB cap
    start = time.perf_counter()
    with pytest.raises(mlbom.InputError, match="inside an open"):
        signing.load_public_keys(headers)
    headers.write_bytes(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" * 20_000)
    with pytest.raises(mlbom.InputError):
        signing.load_public_keys(headers)
    assert time.perf_counter() - start < 5  # the regex took over a minute on 2 MB
    big = tmp_path / "big.pem"
    big.write_bytes(b"x" * (2 << 20))
    with pytest.raises(mlbom.InputError, match="larger than"):
        signing.load_public_keys(big)


@pytest.mark.parametrize(("text", "message"), [
    ('{"keys": [5]}', "JSON object"), ('{"keys": "x"}', "non-empty list"), ('{"keys": [{"kty": 5}]}', "string"),
    ('{"kty": "EC", "crv": "P-256", "x": ["a"], "y": "b"}', "string"), ('{"keys": []}', "non-empty list"),
    ('{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"}', "private"), ('[1]', "JSON object"),
    ('{"kty": "oct", "k": "AA"}', "private"), ('{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}', "invalid"),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "certificates are not accepted"),
    ("-----BEGIN PUBLIC KEY-----\nAAAA\n", "no END"), ("-----BEGIN PUBLIC KEY-----\n%%%%\n-----END PUBLIC KEY-----\n",
                                                          "not base64"),
    ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a usable public key"), ("", "no public key"),
])
def test_bad_key_files(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "k"
    p.write_text(text)
    with pytest.raises(mlbom.InputError, match=message):
        signing.load_public_keys(p)


def test_red_team_depth_and_signer_count_are_bounded(world: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    # found while red-teaming: a document nested past orjson's 255 levels crashed `sign` when written back
    doc = json.loads(world["bom"])  # type: ignore[arg-type]
    node: dict[str, object] = {"type": "library", "name": "x"}
    cur = node
    for i in range(150):
        nxt: dict[str, object] = {"type": "library", "name": f"x{i}"}
        cur["components"] = [nxt]
        cur = nxt
    doc["components"].append(node)
    deep = json.dumps(doc).encode()
    with pytest.raises(mlbom.InputError, match="nested deeper than 200"):
        signing.sign(deep, world["trusted"])  # type: ignore[arg-type]
    signed = json.loads(world["signed"])  # type: ignore[arg-type]
    signed["components"].append(node)
    assert "nested deeper" in failed(capsys, "verify", write(world, "deep.json", json.dumps(signed)), *key(world))
    # thousands of signers would canonicalize the BOM thousands of times: refused up front
    many = json.loads(world["signed"])  # type: ignore[arg-type]
    many["signature"]["signers"] = many["signature"]["signers"] * 1000
    start = time.perf_counter()
    assert f"more than the {MAX_SIGNERS}" in failed(capsys, "verify", write(world, "many.json", json.dumps(many)), *key(world))
    assert time.perf_counter() - start < 10
