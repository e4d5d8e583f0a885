"""Enveloped XML-DSig for XML BOMs (the form the CycloneDX CLI verifies), through signxml.

XML-DSig has no Ed25519 in signxml: XML BOMs are signed with ECDSA (P-256/P-384) or RSA. The
signature covers the whole document (Reference URI ""); verification checks that, checks the
signing key given in ``KeyValue`` against the trusted keys, and refuses DTDs and entities
before signxml sees the document.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from mlbom import jsf
from mlbom.errors import InputError, UsageError
from mlbom.jsf import PrivateKey, PublicKey

DS = "http://www.w3.org/2000/09/xmldsig#"
DS11 = "http://www.w3.org/2009/xmldsig11#"
def _curve(uri: str) -> ec.EllipticCurve | None:
    return {"urn:oid:1.2.840.10045.3.1.7": ec.SECP256R1(), "urn:oid:1.3.132.0.34": ec.SECP384R1(),
            "urn:oid:1.3.132.0.35": ec.SECP521R1()}.get(uri)


def _parse(data: bytes, name: str) -> etree._Element:
    from mlbom.cyclonedx.validate import safe_xml_parser

    try:
        root = etree.fromstring(data, safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        raise InputError(name, f"not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.internalDTD is not None:
        raise InputError(name, "XML with a DTD is refused")
    if etree.QName(root).localname != "bom":
        raise InputError(name, "not a CycloneDX XML BOM")
    return root


def sign_xml(data: bytes, key: PrivateKey, *, mode: str = "new", name: str = "<bom>") -> bytes:
    from signxml.algorithms import SignatureConstructionMethod, SignatureMethod
    from signxml.signer import XMLSigner

    if isinstance(key, ec.EllipticCurvePrivateKey):
        method = {256: SignatureMethod.ECDSA_SHA256, 384: SignatureMethod.ECDSA_SHA384,
                  521: SignatureMethod.ECDSA_SHA512}[key.curve.key_size]
    elif isinstance(key, rsa.RSAPrivateKey):
        method = SignatureMethod.RSA_SHA256
    else:
        raise UsageError("XML-DSig needs an ECDSA or RSA key (no Ed25519 in XML-DSig as signxml implements it): "
                         "mlbom keygen --algorithm es256")
    root = _parse(data, name)
    existing = root.findall(f"{{{DS}}}Signature")
    if existing:
        if mode != "replace":
            raise UsageError("the XML BOM is already signed: --replace to re-sign (XML-DSig here has one signer)")
        for el in existing:
            root.remove(el)
    signer = XMLSigner(method=SignatureConstructionMethod.enveloped, signature_algorithm=method, digest_algorithm="sha256")
    signed = signer.sign(root, key=key)
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8")) + b"\n"


def _key_value(sig: etree._Element) -> PublicKey | None:
    ec_el = sig.find(f".//{{{DS11}}}ECKeyValue")
    if ec_el is not None:
        curve_el = ec_el.find(f"{{{DS11}}}NamedCurve")
        point_el = ec_el.find(f"{{{DS11}}}PublicKey")
        curve = _curve(curve_el.get("URI", "") if curve_el is not None else "")
        if curve is None or point_el is None or not point_el.text:
            return None
        return ec.EllipticCurvePublicKey.from_encoded_point(curve, base64.b64decode(point_el.text))
    rsa_el = sig.find(f".//{{{DS}}}RSAKeyValue")
    if rsa_el is not None:
        mod, exp = rsa_el.find(f"{{{DS}}}Modulus"), rsa_el.find(f"{{{DS}}}Exponent")
        if mod is None or exp is None or not mod.text or not exp.text:
            return None
        return rsa.RSAPublicNumbers(int.from_bytes(base64.b64decode(exp.text), "big"),
                                    int.from_bytes(base64.b64decode(mod.text), "big")).public_key()
    return None


def verify_xml(data: bytes, keys: Sequence[PublicKey], *, allow_embedded_key: bool, name: str) -> tuple[bool, bool, str]:
    """(valid, trusted, reason) for the XML-DSig signature of an XML BOM."""
    from signxml.exceptions import InvalidInput, InvalidSignature
    from signxml.verifier import XMLVerifier

    root = _parse(data, name)
    sigs = root.findall(f"{{{DS}}}Signature")
    if len(sigs) != 1:
        return False, False, "no XML-DSig signature" if not sigs else "more than one XML-DSig signature"
    refs = sigs[0].findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    if len(refs) != 1 or refs[0].get("URI") != "":
        return False, False, "the signature does not cover the whole document (Reference URI must be \"\")"
    key = _key_value(sigs[0])
    if key is None:
        return False, False, "no usable KeyValue in the signature"
    try:
        XMLVerifier().verify(data, require_x509=False)
    except InvalidSignature as exc:
        return False, False, f"signature does not match the signed content: the BOM was modified after signing ({exc})"
    except InvalidInput as exc:
        return False, False, f"malformed XML signature: {exc}"
    trusted = any(jsf.same_key(key, k) for k in keys)
    if trusted:
        return True, True, "valid XML-DSig signature, trusted key"
    if allow_embedded_key:
        return True, True, "valid XML-DSig signature, embedded key allowed"
    return True, False, "valid XML-DSig signature, untrusted key"
