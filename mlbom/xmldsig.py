"""Enveloped XML-DSig for XML BOMs (the form the CycloneDX CLI verifies), through signxml.

Spec: XML Signature Syntax and Processing 1.1 (https://www.w3.org/TR/xmldsig-core1/). XML BOMs are
signed with ECDSA (P-256/384/521) or RSA: XML-DSig as signxml implements it has no Ed25519.
Verification (:func:`verify_xml`) accepts one shape only — one ``ds:Signature`` in the whole
document, the root's own child, one Reference covering the whole document, enveloped and C14N
transforms, one ``KeyValue`` with one key — verifies it with signxml pinned to that location,
checks that the key signxml used is the key the trust policy trusts, and hands back signxml's
``signed_xml``. DTDs and entities are refused before signxml sees the document.
"""

from __future__ import annotations

import base64
import binascii
import re

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

import mlbom.jsf as jsf
from mlbom.cyclonedx.document import XmlShape, xml_spec, xml_tree_shape, xml_walk
from mlbom.errors import InputError, NotSignedError, UsageError, VerificationError
from mlbom.jsf import PrivateKey, PublicKey
from mlbom.limits import MAX_NAMESPACES, xml_c14n_allowance
from mlbom.trust import TrustPolicy

DS = "http://www.w3.org/2000/09/xmldsig#"
DS11 = "http://www.w3.org/2009/xmldsig11#"


def _curve(uri: str) -> ec.EllipticCurve | None:
    return {"urn:oid:1.2.840.10045.3.1.7": ec.SECP256R1(), "urn:oid:1.3.132.0.34": ec.SECP384R1(),
            "urn:oid:1.3.132.0.35": ec.SECP521R1()}.get(uri)


def crowded_namespaces(shape: XmlShape) -> str | None:
    """Why a tree's namespaces are too many to canonicalize (None: they are not): more than
    :data:`MAX_NAMESPACES` distinct prefixes in scope at one element (red team 50s-1), found by
    :func:`mlbom.cyclonedx.document.xml_walk` in one linear walk (red team 112v-1: reading
    ``nsmap`` at every element cost elements × depth)."""
    if shape.crowded is None:
        return None
    where, count = shape.crowded
    return (f"over {MAX_NAMESPACES} XML namespaces in scope at <{where}> ({count}): refused (canonicalizing them "
            "costs elements × namespaces²)")


def c14n_too_costly(shape: XmlShape, size: int) -> str | None:
    """Why a document of ``size`` bytes would cost too much to canonicalize (None: it would not):
    more C14N steps than :func:`mlbom.limits.xml_c14n_allowance` gives (red team 112v-1)."""
    allowance = xml_c14n_allowance(size)
    if shape.c14n_steps <= allowance:
        return None
    return (f"canonicalizing this XML would cost {shape.c14n_steps:,} steps, over the {allowance:,} allowed for "
            f"{size:,} bytes (elements × depth × namespace declarations in scope; docs/signing.md)")


def _parse(data: bytes, name: str) -> tuple[etree._Element, XmlShape]:
    """The lxml tree of an XML BOM, by the document layer's rules (no DTD, no entities, no
    network, nesting bounded, a CycloneDX ``<bom>`` of a supported version), and its shape."""
    root, shape = xml_tree_shape(data, name)
    xml_spec(str(root.tag), name)
    return root, shape


_XML_DECL = re.compile(rb"<\?xml(?P<attrs>[^?<>]{0,200})\?>")
_DECL_ATTR = re.compile(rb"""\s+(version|encoding|standalone)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def check_encoding(data: bytes) -> None:
    """A signed XML BOM is UTF-8 — no byte-order mark, no declared encoding other than UTF-8,
    XML 1.0 — or :class:`VerificationError`. XML parsers disagree on the rest: with a UTF-8
    byte-order mark and ``encoding='ISO-8859-1'`` libxml2 (signxml) reads UTF-8 while expat reads
    Latin-1, so the text that was verified would not be the text another reader sees; UTF-16
    verifies in libxml2 but many readers cannot read it at all; XML 1.1 changes line ends and
    control characters."""
    if data[:2] in (b"\xfe\xff", b"\xff\xfe"):
        raise VerificationError("the XML is UTF-16 (or UTF-32): a signed XML BOM must be plain UTF-8 (many readers, "
                                "mlbom's included, cannot read what was verified)")
    if data[:3] == b"\xef\xbb\xbf":
        raise VerificationError("the XML starts with a byte-order mark: a signed XML BOM must be plain UTF-8 "
                                "(parsers disagree on a byte-order mark against the declared encoding)")
    if b"\0" in data:
        raise VerificationError("the XML is not UTF-8 (NUL bytes: UTF-16 or UTF-32?): a signed XML BOM must be UTF-8")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerificationError(f"the XML is not valid UTF-8 (byte {exc.start}): a signed XML BOM must be UTF-8") from exc
    if data.startswith(b"<?xml"):
        m = _XML_DECL.match(data)
        if m is None:
            raise VerificationError("malformed XML declaration")
        attrs = m.group("attrs")
        seen: dict[bytes, bytes] = {}
        pos = 0
        for a in _DECL_ATTR.finditer(attrs):
            if a.start() != pos:
                break
            seen[a.group(1)] = a.group(2) if a.group(2) is not None else a.group(3)
            pos = a.end()
        if attrs[pos:].strip():
            raise VerificationError("malformed XML declaration")
        if seen.get(b"version", b"1.0") != b"1.0":
            raise VerificationError("XML version other than 1.0 is refused for a signed XML BOM")
        enc = seen.get(b"encoding")
        if enc is not None and enc.lower() != b"utf-8":
            raise VerificationError(f"declared encoding {enc[:40].decode('ascii', 'replace')!r}: a signed XML BOM "
                                    "must be UTF-8 (parsers disagree on other encodings)")


def _comments_or_pis(root: etree._Element) -> bool:
    """Any comment or processing instruction anywhere: inside the BOM, before or after the root."""
    if any(True for _ in root.itersiblings(preceding=True)) or any(True for _ in root.itersiblings()):
        return True
    return any(True for _ in root.iter(etree.Comment, etree.ProcessingInstruction))


def sign_xml(data: bytes, key: PrivateKey, *, mode: str = "new", name: str = "<bom>") -> bytes:
    from signxml.algorithms import SignatureConstructionMethod, SignatureMethod
    from signxml.signer import XMLSigner

    if isinstance(key, ec.EllipticCurvePrivateKey):
        method = {256: SignatureMethod.ECDSA_SHA256, 384: SignatureMethod.ECDSA_SHA384,
                  521: SignatureMethod.ECDSA_SHA512}[key.curve.key_size]
    elif isinstance(key, rsa.RSAPrivateKey):
        method = SignatureMethod.RSA_SHA256
    else:
        raise UsageError("XML-DSig needs an ECDSA or RSA key (no Ed25519 in XML-DSig as signxml implements it)",
                         related=("algorithm",), hint="make one with mlbom keygen {algorithm} es256")
    root, shape = _parse(data, name)
    if (crowded := crowded_namespaces(shape)) is not None:
        raise InputError(name, crowded)
    if (costly := c14n_too_costly(shape, len(data))) is not None:
        raise InputError(name, f"{costly}: refused")
    # Comments and processing instructions are not BOM content, and a verifier refuses them (a comment
    # inside a signed text node hides part of it from readers that stop at the comment): dropped here.
    for node in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        parent = node.getparent()
        if parent is not None:
            _remove_keeping_tail(node, parent)
    existing = root.findall(f"{{{DS}}}Signature")
    if len(list(root.iter(f"{{{DS}}}Signature"))) != len(existing):
        raise InputError(name, "a ds:Signature inside the BOM (not the root's own): such a BOM could never verify")
    if existing:
        if mode != "replace":
            raise UsageError("the XML BOM is already signed: {replace} to re-sign (XML-DSig here has one signer)",
                             related=("replace",))
        for el in existing:
            root.remove(el)
    signer = XMLSigner(method=SignatureConstructionMethod.enveloped, signature_algorithm=method, digest_algorithm="sha256")
    signed = signer.sign(root, key=key)
    # The bound is checked again on the tree verify will read: the signature adds its own
    # namespaces (ds:, ds11: for an EC key) under the root, so a BOM at the limit would be signed
    # and then refused by every verify (red team 78c-7: 31 in scope, 33 at <ECKeyValue>).
    signed_shape = xml_walk(signed, name)
    if (crowded := crowded_namespaces(signed_shape)) is not None:
        raise InputError(name, f"{crowded}; the BOM is within the limit, but not once the signature's own namespaces "
                               "are added, and verify would refuse the signed BOM")
    out = bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8")) + b"\n"
    if (costly := c14n_too_costly(signed_shape, len(out))) is not None:  # a BOM just under the budget
        raise InputError(name, f"{costly}: refused once the signature is added (verify could not complete it)")
    return out


def _remove_keeping_tail(node: etree._Element, parent: etree._Element) -> None:
    tail = node.tail or ""
    if tail:
        prev = node.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(node)


_ALLOWED_METHODS = ("ECDSA_SHA256", "ECDSA_SHA384", "ECDSA_SHA512", "RSA_SHA256", "RSA_SHA384", "RSA_SHA512")
_TRANSFORMS = frozenset({
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments", "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments", "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments"})
MAX_B64_TEXT = 8192


_XML_BLANKS = str.maketrans("", "", " \t\r\n")


def canonical_b64(text: str) -> bytes | None:
    """The bytes ``text`` spells in standard base64 when it is the one canonical spelling of them
    — the alphabet, ``=`` padding where it must be, zero pad bits — with only XML whitespace
    (space, tab, CR, LF) between characters, as XML-DSig writes line breaks; ``None`` otherwise.
    Python's ``b64decode`` without ``validate`` drops any other character and signxml decodes
    ``SignatureValue`` that way, so ``%%%!!!`` in it still verified (red team 112v-2a): one
    signature, many files."""
    compact = text.translate(_XML_BLANKS)
    if not compact or not compact.isascii():
        return None
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == compact else None


def _b64(el: etree._Element | None, what: str, *, where: str = "KeyValue") -> bytes:
    """Canonical standard base64 of an element's text (:func:`canonical_b64`), no child elements."""
    text = (el.text or "") if el is not None else ""
    if el is None or len(el) or not text.strip() or len(text) > MAX_B64_TEXT:
        raise VerificationError(f"{where}: {what} missing or malformed")
    raw = canonical_b64(text)
    if raw is None:
        raise VerificationError(f"{where}: {what} is not base64 in its one canonical spelling (the alphabet, "
                                "canonical padding, XML whitespace only): refused")
    return raw


def _only_children(el: etree._Element, where: str) -> list[etree._Element]:
    """The element children of ``el``; comments and processing instructions are refused (they
    are where decoys hide)."""
    kids = list(el)
    if any(not isinstance(k.tag, str) for k in kids):
        raise VerificationError(f"{where}: comments or processing instructions are not accepted here")
    if (el.text or "").strip() or any((k.tail or "").strip() for k in kids):
        raise VerificationError(f"{where}: text between the elements is not accepted")
    return kids


def key_value(sig: etree._Element) -> PublicKey:
    """The one public key in the signature's ``KeyInfo``: exactly one ``KeyValue`` holding
    exactly one ``ECKeyValue`` (P-256/384/521, uncompressed point) or ``RSAKeyValue`` (2048 to
    16384 bits). Anything else — several key values, mixed RSA/EC, X509Data, DER key values,
    retrieval methods — is refused: the key that is checked must be the key that is trusted."""
    infos = [k for k in _only_children(sig, "Signature") if k.tag == f"{{{DS}}}KeyInfo"]
    if len(infos) != 1:
        raise VerificationError("the signature must have exactly one KeyInfo")
    items = _only_children(infos[0], "KeyInfo")
    if len(items) != 1 or items[0].tag != f"{{{DS}}}KeyValue":
        raise VerificationError("KeyInfo must hold exactly one KeyValue and nothing else (no X509Data, "
                                "DEREncodedKeyValue or second key)")
    values = _only_children(items[0], "KeyValue")
    if len(values) != 1:
        raise VerificationError("KeyValue must hold exactly one key")
    kv = values[0]
    try:
        if kv.tag == f"{{{DS11}}}ECKeyValue":
            parts = _only_children(kv, "ECKeyValue")
            if [p.tag for p in parts] != [f"{{{DS11}}}NamedCurve", f"{{{DS11}}}PublicKey"]:
                raise VerificationError("ECKeyValue must be NamedCurve then PublicKey")
            curve = _curve(parts[0].get("URI", ""))
            if curve is None:
                raise VerificationError("ECKeyValue: unsupported curve (P-256, P-384, P-521)")
            point = _b64(parts[1], "PublicKey")
            size = (curve.key_size + 7) // 8
            if len(point) != 1 + 2 * size or point[0] != 4:
                raise VerificationError("ECKeyValue: PublicKey is not an uncompressed point of the curve")
            return ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
        if kv.tag == f"{{{DS}}}RSAKeyValue":
            parts = _only_children(kv, "RSAKeyValue")
            if [p.tag for p in parts] != [f"{{{DS}}}Modulus", f"{{{DS}}}Exponent"]:
                raise VerificationError("RSAKeyValue must be Modulus then Exponent")
            n = int.from_bytes(_b64(parts[0], "Modulus"), "big")
            e = int.from_bytes(_b64(parts[1], "Exponent"), "big")
            if not jsf.MIN_RSA_BITS <= n.bit_length() <= jsf.MAX_RSA_BITS:
                raise VerificationError(f"RSAKeyValue: {n.bit_length()}-bit modulus (2048 to 16384 bits accepted)")
            if e < 3 or e % 2 == 0 or e.bit_length() > 64 or n % 2 == 0:
                raise VerificationError("RSAKeyValue: unusable modulus or exponent")
            return rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:  # cryptography: a point not on the curve, an invalid RSA key
        raise VerificationError(f"KeyValue: not a valid public key ({exc})") from exc
    raise VerificationError("KeyValue: only ECKeyValue or RSAKeyValue are accepted")


def verify_xml(data: bytes, policy: TrustPolicy, *, name: str) -> tuple[PublicKey, bytes]:
    """Verify the XML-DSig signature of an XML BOM under ``policy``; return the signing key and
    the signed document (signxml's ``signed_xml``, the signature removed) — the only bytes a
    caller may treat as verified. Raises :class:`VerificationError` for anything else: no
    signature or more than one ``ds:Signature`` anywhere, a signature that is not the root's own
    child, a reference other than the whole document, an unexpected algorithm or transform,
    a key that is not exactly one well-formed ``KeyValue``, a signature that does not verify, a
    key the policy does not trust."""
    from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
    from signxml.algorithms import SignatureMethod
    from signxml.exceptions import SignXMLException
    from signxml.verifier import SignatureConfiguration, XMLVerifier

    check_encoding(data)
    root, shape = _parse(data, name)
    if (crowded := crowded_namespaces(shape)) is not None:
        raise VerificationError(crowded)
    if (costly := c14n_too_costly(shape, len(data))) is not None:
        # not a failed signature but a verification that cannot be completed: exit 2, as for
        # any input mlbom refuses to read (red team 112v-1)
        raise InputError(name, f"{costly}: the signature cannot be verified")
    if _comments_or_pis(root):
        raise VerificationError("a comment or processing instruction in the signed XML: refused (comments are not "
                                "signed, and one inside a text node hides part of the signed text from readers)")
    sigs = list(root.iter(f"{{{DS}}}Signature"))
    if not sigs:
        raise NotSignedError("the BOM is not signed (no XML-DSig signature)")
    if len(sigs) != 1:
        raise VerificationError(f"{len(sigs)} ds:Signature elements in the document: exactly one, the root's own, "
                                "is accepted (signature wrapping)")
    sig = sigs[0]
    if sig.getparent() is not root:
        raise VerificationError("the ds:Signature is not a child of the BOM's root element")
    if next(sig.itersiblings(), None) is not None:
        # where sign (signxml, .NET SignedXml) puts it, and the one place the CycloneDX XSD admits
        # it (the trailing xs:any of <bom>): elsewhere verify said "valid" of a file validate and
        # check refuse, since signxml's signed_xml has the signature removed (red team 112v-2b)
        raise VerificationError("the ds:Signature is not the last element of the BOM's root: the CycloneDX schema "
                                "admits it only after the BOM's own content (mlbom validate would refuse the file)")
    kids = _only_children(sig, "Signature")
    if [k.tag for k in kids] != [f"{{{DS}}}SignedInfo", f"{{{DS}}}SignatureValue", f"{{{DS}}}KeyInfo"]:
        raise VerificationError("the ds:Signature must hold exactly SignedInfo, SignatureValue and KeyInfo, in that "
                                "order (no ds:Object or other element: its content would be unsigned)")
    _b64(kids[1], "its value", where="SignatureValue")
    refs = kids[0].findall(f"{{{DS}}}Reference")
    if len(refs) != 1 or refs[0].get("URI") != "":
        raise VerificationError("the signature must have one Reference with URI \"\" (the whole document)")
    for digest in refs[0].findall(f"{{{DS}}}DigestValue"):
        _b64(digest, "its value", where="DigestValue")
    for t in refs[0].iter(f"{{{DS}}}Transform"):
        if t.get("Algorithm") not in _TRANSFORMS:
            raise VerificationError(f"transform {str(t.get('Algorithm'))[:80]!r} is not accepted")
    key = key_value(sig)
    if not policy.trusts(key):
        raise VerificationError("the signing key is not a trusted key")
    config = SignatureConfiguration(
        require_x509=False, location="./", expect_references=1,
        signature_methods=frozenset(m for m in SignatureMethod if m.name in _ALLOWED_METHODS))
    try:
        result = XMLVerifier().verify(data, expect_config=config)
    except (SignXMLException, CryptoInvalidSignature) as exc:
        raise VerificationError("signature does not match the signed content: the BOM was modified after signing "
                                f"({str(exc)[:200]})") from exc
    except Exception as exc:  # signxml on hostile input: whatever it raises, the check failed (fail closed)
        raise VerificationError(f"malformed XML signature ({type(exc).__name__}: {str(exc)[:200]})") from exc
    if isinstance(result, list) or result.signed_xml is None:
        raise VerificationError("the signature does not cover one XML document")
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    used = load_pem_public_key(result.signature_key)
    if not isinstance(used, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)) or not jsf.same_key(used, key):
        raise VerificationError("signxml verified with a key other than the KeyValue that was checked")
    if etree.QName(result.signed_xml).localname != "bom" or result.signed_xml.find(f".//{{{DS}}}Signature") is not None:
        raise VerificationError("the signed content is not the BOM without its signature")
    return key, bytes(etree.tostring(result.signed_xml, xml_declaration=True, encoding="UTF-8"))
