"""The second red team's findings on ``verify`` (F1–F9 and two design weaknesses), each as the
smallest check of the rule that now refuses it. The signed reproducer files are in
``tests/fixtures/hostile/signing`` (``make.py``'s ``redteam2``) and replayed by
``tests/test_signing_hostile.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rfc8785
from lxml import etree

from mlbom import jsf, signing
from mlbom.cli import main
from mlbom.errors import InputError, VerificationError
from mlbom.trust import TrustPolicy
from mlbom.verification import verify_bytes
from tests.signing_world import signing_world

DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return signing_world(tmp_path_factory.mktemp("redteam2"))


def _policy(world: dict[str, object]) -> TrustPolicy:
    p = world["policy"]
    assert isinstance(p, TrustPolicy)
    return p


# ---- F1: number tokens must be their own RFC 8785 form -------------------------------------

@pytest.mark.parametrize("token", ["7.0", "1e0", "1E0", "7e0", "70e-1", "1.000000000000000000001",
                                   "0.99999999999999999999", "-0", "-0.0", "0.50", "5e-1", "1e+21", "1e-07",
                                   "1.5E-7", "0.0000001"])
def test_non_canonical_number_tokens_are_refused(token: str) -> None:
    with pytest.raises(jsf.SignatureFormatError):
        jsf.parse_json(f'{{"a": {token}}}'.encode())


@pytest.mark.parametrize("token", ["7", "-7", "0", "0.5", "-0.5", "1e-7", "1.5e-7", "0.000001", "123.456",
                                   "9007199254740991", "-9007199254740991"])
def test_canonical_number_tokens_are_accepted(token: str) -> None:
    doc = jsf.parse_json(f'{{"a": {token}}}'.encode())
    assert jsf.canonicalize(doc) == f'{{"a":{token}}}'.encode()


def test_non_canonical_numbers_are_refused_at_signing_too(world: dict[str, object]) -> None:
    bom = bytes(world["bom"])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="canonical RFC 8785 form"):
        signing.sign(bom.replace(b'"version": 1,', b'"version": 1.0,', 1), world["key"])  # type: ignore[arg-type]


def test_signed_floats_round_trip(world: dict[str, object]) -> None:
    # orjson writes 0.000003 as 3e-6; the signed file must carry RFC 8785's spelling
    doc = json.loads(bytes(world["bom"]))  # type: ignore[arg-type]
    doc["x-floats"] = [0.000003, 1.5e-7, 123.456, -0.25]
    out = signing.sign(rfc8785.dumps(doc), world["key"])  # type: ignore[arg-type]
    assert b"0.000003" in out and b"3e-6" not in out
    assert jsf.parse_json(out)["x-floats"] == doc["x-floats"]  # type: ignore[index]
    from mlbom.verification import JsonBom, parse, verify_jsf

    parsed = parse(out)
    assert isinstance(parsed, JsonBom) and verify_jsf(parsed, _policy(world))  # (x-floats is not schema-valid)


def test_index_stores_the_verified_document(world: dict[str, object], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    d = Path(str(world["dir"]))
    forged = tmp_path / "forged.json"
    forged.write_bytes(bytes(world["signed"]).replace(b'"version": 1,', b'"version": 1.0,', 1))  # type: ignore[arg-type]
    db = f"sqlite:///{tmp_path / 'i.db'}"
    assert main(["index", "add", "--db", db, "--key", str(d / "k.pub"), str(forged)]) in (0, 1)
    capsys.readouterr()
    from mlbom.index import prepare_file
    from mlbom.keys import load_public_keys

    keys = load_public_keys(d / "k.pub")
    prep = prepare_file(str(forged), keys)
    assert not isinstance(prep, str) and prep.record["signature_verified"] is False
    good = tmp_path / "good.json"
    good.write_bytes(bytes(world["signed"]))  # type: ignore[arg-type]
    prep = prepare_file(str(good), keys)
    assert not isinstance(prep, str) and prep.record["signature_verified"] is True


# ---- F2–F5: XML comments, PIs, ds:Object, encodings ----------------------------------------

def test_comments_and_pis_anywhere_are_refused(world: dict[str, object]) -> None:
    signed = bytes(world["signed_xml"])  # type: ignore[arg-type]
    variants = [
        signed.replace(b"<name>tiny-release</name>", b"<name>tiny<!---->-release</name>", 1),
        signed.replace(b"<name>tiny-release</name>", b"<name>tiny<?x y?>-release</name>", 1),
        signed.replace(b"?>\n<bom", b"?>\n<!-- before -->\n<bom", 1),
        signed + b"<?after?>",
        signed.replace(b"<ds:SignedInfo>", b"<ds:SignedInfo><!-- x -->", 1),
    ]
    for v in variants:
        assert v != signed
        with pytest.raises(VerificationError, match="comment or processing instruction"):
            verify_bytes(v, _policy(world))


def test_signing_drops_comments_and_pis(world: dict[str, object]) -> None:
    xml = bytes(world["xml"])  # type: ignore[arg-type]
    commented = xml.replace(b"<name>tiny-release</name>", b"<name>tiny<!-- c -->-release</name><?pi x?>", 1)
    out = signing.sign(commented, world["key"])  # type: ignore[arg-type]
    assert b"<!--" not in out and b"<?pi" not in out and b"<name>tiny-release</name>" in out
    assert verify_bytes(out, _policy(world)).kind == "xmldsig"


def test_signature_children_are_exactly_signedinfo_value_keyinfo(world: dict[str, object]) -> None:
    root = etree.fromstring(bytes(world["signed_xml"]))  # type: ignore[arg-type]
    sig = root.find(f"{{{DS}}}Signature")
    assert sig is not None
    etree.SubElement(sig, f"{{{DS}}}Object").text = "unsigned"
    with pytest.raises(VerificationError, match="exactly SignedInfo, SignatureValue and KeyInfo"):
        verify_bytes(etree.tostring(root), _policy(world))
    root = etree.fromstring(bytes(world["signed_xml"]))  # type: ignore[arg-type]
    sig = root.find(f"{{{DS}}}Signature")
    assert sig is not None
    sig.append(sig[0])  # SignedInfo moved last
    with pytest.raises(VerificationError, match="in that order"):
        verify_bytes(etree.tostring(root), _policy(world))


@pytest.mark.parametrize("prefix, decl", [
    (b"\xef\xbb\xbf", b"encoding='UTF-8'"), (b"", b"encoding='ISO-8859-1'"), (b"", b"encoding='us-ascii'"),
    (b"", b"encoding='windows-1252'")])
def test_only_plain_utf8_xml_is_accepted(world: dict[str, object], prefix: bytes, decl: bytes) -> None:
    signed = bytes(world["signed_xml"])  # type: ignore[arg-type]
    with pytest.raises(VerificationError, match=r"byte-order mark|declared encoding"):
        verify_bytes(prefix + signed.replace(b"encoding='UTF-8'", decl, 1), _policy(world))
    # lower-case and absent declarations are plain UTF-8
    verify_bytes(signed.replace(b"encoding='UTF-8'", b'encoding="utf-8"', 1), _policy(world))
    verify_bytes(signed.split(b"?>", 1)[1].lstrip(), _policy(world))


def test_xml_1_1_and_utf16_are_refused(world: dict[str, object]) -> None:
    signed = bytes(world["signed_xml"])  # type: ignore[arg-type]
    with pytest.raises(VerificationError, match=r"version other than 1\.0"):
        verify_bytes(signed.replace(b"version='1.0'", b"version='1.1'", 1), _policy(world))
    text = signed.decode().replace("encoding='UTF-8'", "encoding='UTF-16'", 1)
    with pytest.raises(VerificationError, match="UTF-8"):
        verify_bytes(text.encode("utf-16-le"), _policy(world))


# ---- F6: a signed invalid BOM is a failed check, not a crash -------------------------------

def test_reader_asserts_are_input_errors() -> None:
    from mlbom.reader import loads

    xml = b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components><component type="data" data="x">' \
          b"<name>d</name><data><type>dataset</type></data></component></components></bom>"
    with pytest.raises(InputError, match="both as an attribute and as an element"):
        loads(xml, "x.xml")
    with pytest.raises(InputError):
        loads(b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6"/>', "x.xml")


# ---- F7: many signers cost one canonicalization --------------------------------------------

def test_signed_bytes_once_equals_per_signer(world: dict[str, object]) -> None:
    other = signing.generate_key("es256")
    doc = json.loads(signing.sign(bytes(world["signed"]), other, mode="add"))  # type: ignore[arg-type]
    doc["x-astral"] = "\U0001f600"
    once = jsf.SignedBytes(doc)
    for ref, _ in jsf.signers_of(doc):
        assert once.of(ref) == jsf.signed_bytes(doc, ref) == rfc8785.dumps(  # type: ignore[arg-type]
            {**doc, "signature": {"signers": [{k: v for k, v in doc["signature"]["signers"][ref.index].items()
                                               if k != "value"}]}})
    chain = {"a": 1, "signature": {"chain": [{"algorithm": "ES256", "value": "AA"}, {"algorithm": "ES256", "value": "BB"}]}}
    for ref, _ in jsf.signers_of(chain):
        assert jsf.SignedBytes(chain).of(ref) == jsf.signed_bytes(chain, ref)


def test_untrusted_signers_cost_no_canonicalization(world: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    doc = json.loads(bytes(world["signed"]))  # type: ignore[arg-type]
    attacker = signing.generate_key("es256")
    doc["signature"]["signers"] = [{"algorithm": "ES256", "publicKey": jsf.jwk_of(attacker.public_key()),
                                    "value": doc["signature"]["signers"][0]["value"]}] * 8
    calls: list[int] = []
    real = jsf.canonicalize
    monkeypatch.setattr(jsf, "canonicalize", lambda v: calls.append(1) or real(v))
    with pytest.raises(VerificationError, match=r"signer 1 .*not a trusted key"):
        verify_bytes(json.dumps(doc).encode(), _policy(world))
    assert not calls


def test_astral_text_in_values_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = {"components": [{"name": f"c{i}", "description": "\U0001f600" * 3} for i in range(2_000)]}
    keys = {"\U0001f600": 1, "\ue000": 2}
    expected, expected_keys = rfc8785.dumps(doc), rfc8785.dumps(keys)  # type: ignore[arg-type]
    assert jsf.canonicalize(keys) == expected_keys  # names outside the BMP: the exact (slow) path
    monkeypatch.setattr(rfc8785, "dumps", lambda v: pytest.fail("slow path taken"))
    assert jsf.canonicalize(doc) == expected  # only values outside the BMP: orjson's output is JCS


def test_signed_bytes_once_matches_the_official_multi_signer_vectors() -> None:
    vectors = Path(__file__).resolve().parent / "fixtures" / "jsf"
    checked = 0
    for path in sorted(vectors.glob("*.json")):
        doc = jsf.parse_json(path.read_bytes())
        if not isinstance(doc, dict) or not isinstance(doc.get("signature"), dict):
            continue
        for ref, _ in jsf.signers_of(doc):
            try:
                expected = jsf.signed_bytes(doc, ref)
            except jsf.SignatureFormatError:  # excludes: never on a BOM
                continue
            assert jsf.SignedBytes(doc).of(ref) == expected, path.name
            checked += 1
    assert checked >= 2


def test_key_id_only_signer_against_many_trusted_keys(world: dict[str, object]) -> None:
    # every candidate key is tried against one digest of the document (hashed once, not per key)
    key = world["key"]
    signed = signing.sign(bytes(world["bom"]), key, embed_key=False)  # type: ignore[arg-type]
    others = [signing.generate_key("es256").public_key() for _ in range(5)]
    rsa_key = signing.generate_key("rs256").public_key()
    policy = TrustPolicy.from_keys([*others, rsa_key, key.public_key()])  # type: ignore[union-attr]
    assert verify_bytes(signed, policy).signers[0].reason == "valid signature, trusted key"
    with pytest.raises(VerificationError, match="does not verify with any trusted key"):
        verify_bytes(signed, TrustPolicy.from_keys(others))
    rs = signing.generate_key("rs256")
    signed_rs = signing.sign(bytes(world["bom"]), rs, embed_key=False)  # type: ignore[arg-type]
    assert verify_bytes(signed_rs, TrustPolicy.from_keys([rsa_key, rs.public_key()])).kind == "jsf"
