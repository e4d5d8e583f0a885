"""Verification: parse, then verify, then trust (the shape of sigstore-python's ``Bundle.from_json``,
``verify_dsse``/``verify_artifact`` and ``VerificationPolicy``).

1. :func:`parse` decides what the input *is* by parsing it — never by sniffing bytes: a JSON
   BOM carrying a JSF ``signature``, an XML BOM carrying an enveloped XML-DSig signature, or a
   DSSE envelope. Anything that is two of these at once (an envelope with extra members, a BOM
   with envelope members) is refused.
2. One function per kind — :func:`verify_jsf`, :func:`verify_xmldsig`, :func:`verify_dsse` —
   checks the cryptography and, in the same step, that every signer satisfies the
   :class:`~mlbom.trust.TrustPolicy`: trust is decided on the key the cryptography used.
3. The verified document — and only it: signxml's ``signed_xml`` for XML, the predicate or the
   ``--bom`` file for DSSE — must be a valid BOM (schema and referential checks); then, when
   asked, the folder is checked against it (:mod:`mlbom.artifacts`).

Every failure is a :class:`~mlbom.errors.VerificationError` (exit 1): a forged, tampered,
malformed or untrusted signature, an unsigned or invalid BOM. Input that is neither JSON nor XML,
or not a BOM or envelope at all, is an :class:`~mlbom.errors.InputError` (exit 2); arguments that
do not fit together are a :class:`~mlbom.errors.UsageError` (exit 2).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import orjson
from lxml import etree

from mlbom import dsse, jsf
from mlbom.artifacts import ArtifactReport, check_folder, require
from mlbom.cyclonedx.document import CDX_NS, UTF8_MARK, safe_xml_parser, sniff
from mlbom.errors import InputError, NotSignedError, UsageError, VerificationError
from mlbom.trust import TrustPolicy

ENVELOPE_MEMBERS = frozenset({"payload", "payloadType", "signatures"})
_SIGNER_MEMBERS = frozenset({"algorithm", "keyId", "publicKey", "value"})
MAX_SIGNERS = 8
"""Most JSF signers accepted. The document is canonicalized once for all of them, but each one
is a signature check (an RSA-16384 one takes milliseconds): a release needs a few signers, not
hundreds."""


@dataclass(frozen=True)
class JsonBom:
    """A JSON BOM, parsed strictly (duplicate names, out-of-range numbers refused)."""

    doc: dict[str, object]
    data: bytes


@dataclass(frozen=True)
class XmlBom:
    data: bytes


@dataclass(frozen=True)
class DsseInput:
    envelope: dsse.Envelope


Parsed = JsonBom | XmlBom | DsseInput


@dataclass(frozen=True)
class SignerResult:
    """One signer that verified: where it sits, its algorithm, the key's id and how it was trusted."""

    index: int
    algorithm: str
    key_id: str
    reason: str
    ok: bool = True
    trusted: bool = True


@dataclass
class VerificationResult:
    """A verification that succeeded: what was verified, by whom, and the verified document."""

    kind: Literal["jsf", "xmldsig", "dsse"]
    signers: list[SignerResult]
    doc: dict[str, object]
    policy: str
    artifacts: ArtifactReport | None = None
    subjects: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.signers) and (self.artifacts is None or self.artifacts.ok)


# ---- 1. parse --------------------------------------------------------------------------

def parse(data: bytes, name: str = "<input>") -> Parsed:
    """What ``data`` is, decided by parsing it as JSON and, failing that, as XML. A UTF-8
    byte-order mark before JSON is refused (:mod:`mlbom.cyclonedx.document`: read, it is
    skipped; signed, the bytes must be the text every reader sees); before XML,
    :func:`mlbom.xmldsig.check_encoding` refuses it."""
    if data.startswith(UTF8_MARK) and sniff(data) == "json":
        raise VerificationError(f"{name}: the JSON starts with a UTF-8 byte-order mark: a signed BOM must be plain "
                                "UTF-8 (RFC 8259 forbids the mark; readers disagree on it)")
    try:
        orjson.loads(data)
        is_json = True
        json_error = ""
    except orjson.JSONDecodeError as exc:
        is_json = False
        json_error = str(exc)
    if is_json:
        try:
            doc = jsf.parse_json(data, syntax_checked=True)
        except jsf.SignatureFormatError as exc:
            raise VerificationError(f"{name}: {exc}") from exc
        if not isinstance(doc, dict):
            raise InputError(name, "a JSON document that is neither a BOM nor a DSSE envelope")
        envelope_members = ENVELOPE_MEMBERS & set(doc)
        if envelope_members:
            if "bomFormat" in doc or set(doc) != ENVELOPE_MEMBERS:
                raise VerificationError(
                    f"{name}: ambiguous input: DSSE envelope members ({', '.join(sorted(envelope_members))}) "
                    f"together with {', '.join(sorted(set(doc) - ENVELOPE_MEMBERS)[:5]) or 'missing members'}: "
                    "refused (an envelope has exactly payload, payloadType and signatures; a BOM has none of them)")
            return DsseInput(dsse.parse_envelope(doc))
        if doc.get("bomFormat") != "CycloneDX":
            raise InputError(name, "not a CycloneDX BOM (no \"bomFormat\": \"CycloneDX\") or DSSE envelope")
        return JsonBom(doc, data)
    try:
        root = etree.fromstring(data, safe_xml_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        # both parsers failed; the message names the one the author most likely meant
        first = data.lstrip()[:1]
        if first in (b"{", b"["):
            raise InputError(name, f"not valid JSON: {json_error}") from exc
        if first == b"<":
            raise InputError(name, f"not well-formed XML: {str(exc)[:200]}") from exc
        raise InputError(name, f"neither JSON ({json_error}) nor well-formed XML ({str(exc)[:200]})") from exc
    if root is None or etree.QName(root).localname != "bom" or \
            not str(etree.QName(root).namespace or "").startswith(CDX_NS):
        raise InputError(name, "XML that is not a CycloneDX BOM")
    return XmlBom(data)


# ---- 2. verify (and trust) -------------------------------------------------------------

def _check_shape(sig: object) -> None:
    """The JSF signature forms mlbom reads: one signer, ``signers`` or ``chain``, each signer with
    algorithm, value and publicKey and/or keyId — nothing else (no ``excludes``, ``extensions``,
    ``certificatePath``)."""
    if not isinstance(sig, dict):
        raise VerificationError("the signature is not a JSON object")
    if "signers" in sig or "chain" in sig:
        if len(sig) != 1:
            raise VerificationError(f"the signature has members besides signers/chain ({', '.join(sorted(sig))[:120]}): "
                                    "refused ('excludes' and 'extensions' are never accepted)")
        items = next(iter(sig.values()))
        if not isinstance(items, list) or not items:
            raise VerificationError("signers/chain must be a non-empty list")
        if len(items) > MAX_SIGNERS:
            raise VerificationError(f"{len(items)} signers: more than the {MAX_SIGNERS} mlbom checks")
    else:
        items = [sig]
    for i, s in enumerate(items):
        if not isinstance(s, dict):
            raise VerificationError(f"signer {i + 1} is not a JSON object")
        extra = set(s) - _SIGNER_MEMBERS
        if extra:
            raise VerificationError(f"signer {i + 1}: members {', '.join(sorted(extra))[:120]} are not accepted "
                                    "(excludes, extensions and certificatePath are refused)")


@dataclass(frozen=True)
class _Checked:
    """A signer whose form and trust were checked: what is left is the cryptography."""

    ref: jsf.SignerRef
    algorithm: str
    signature: bytes
    keys: list[jsf.PublicKey]
    embedded: bool


def _check_signer(ref: jsf.SignerRef, signer: dict[str, object], policy: TrustPolicy) -> _Checked:
    """Form and trust of one signer — no canonicalization, no cryptography: an untrusted or
    malformed signer is refused before any expensive work is done."""
    alg = signer.get("algorithm")
    if not isinstance(alg, str) or alg not in jsf.ASYMMETRIC:
        raise jsf.SignatureFormatError(f"algorithm {str(alg)[:40]!r} is not accepted (asymmetric JSF algorithms only)")
    sig = jsf.b64url_decode(signer.get("value"))
    key_id = signer.get("keyId")
    if key_id is not None and not isinstance(key_id, str):
        raise jsf.SignatureFormatError("keyId must be a string")
    if "publicKey" in signer:
        key = jsf.key_from_jwk(signer["publicKey"])
        if not policy.trusts(key):
            raise jsf.SignatureFormatError("the embedded public key is not a trusted key")
        jsf.check_algorithm(alg, key)
        return _Checked(ref, alg, sig, [key], True)
    if policy.embedded_key:
        raise jsf.SignatureFormatError("no embedded public key (trusting the embedded key needs one)")
    candidates = policy.candidates(alg, key_id)
    if not candidates:
        raise jsf.SignatureFormatError(f"no trusted key can verify {alg}")
    return _Checked(ref, alg, sig, candidates, False)


def _verify_checked(c: _Checked, data: bytes, policy: TrustPolicy) -> SignerResult:
    if c.embedded:
        if not jsf.verify_raw(c.algorithm, c.keys[0], data, c.signature):
            raise jsf.SignatureFormatError("signature does not match the signed content: the BOM was modified "
                                           "after signing")
        how = "embedded key allowed (UNSAFE: integrity only)" if policy.embedded_key else "trusted key"
        return SignerResult(c.ref.index, c.algorithm, jsf.key_id(c.keys[0]), f"valid signature, {how}")
    digest = jsf.prehash(c.algorithm, data) if len(c.keys) > 1 else None  # many candidates: hash once
    for key in c.keys:
        if jsf.verify_raw(c.algorithm, key, data, c.signature, digest=digest):
            return SignerResult(c.ref.index, c.algorithm, jsf.key_id(key), "valid signature, trusted key")
    raise jsf.SignatureFormatError("signature does not verify with any trusted key (or the BOM was modified after "
                                   "signing)")


def _fail(ref: jsf.SignerRef, signer: dict[str, object], exc: Exception) -> VerificationError:
    alg = signer.get("algorithm")
    return VerificationError(f"signer {ref.index + 1} ({str(alg)[:20] if isinstance(alg, str) else '?'}): {exc}")


def refuse_nested_signatures(doc: dict[str, object]) -> None:
    """A BOM holding a JSF ``signature`` on any object but its root (a component's, a service's,
    a composition's, ...) fails: mlbom verifies the root's signature only, and a verified BOM
    must not carry a signature nobody checked (red team 92c-7; XML-DSig refuses a second
    ``ds:Signature`` the same way). The same rule holds for a DSSE predicate."""
    path = jsf.nested_signature_path(doc)
    if path is not None:
        raise VerificationError(f"the BOM holds a signature that is not checked, at {path[:200]}: only the BOM's "
                                "own signature is verified, so a signature on any other object is refused")


def verify_jsf(bom: JsonBom, policy: TrustPolicy) -> list[SignerResult]:
    """Every JSF signer of ``bom`` (single, ``signers`` or ``chain``) must verify with a key
    ``policy`` trusts; raise :class:`VerificationError` at the first one that does not.

    Cheap checks first: the shape, then every signer's form and trust (no cryptography), then
    the document is canonicalized ONCE (:class:`~mlbom.jsf.SignedBytes`) and each signature
    checked — so a pile of untrusted signers costs nothing and N trusted ones cost one
    canonicalization and N signature checks."""
    if "signature" not in bom.doc:
        raise NotSignedError("the BOM is not signed (no JSF signature)")
    refuse_nested_signatures(bom.doc)
    _check_shape(bom.doc["signature"])
    try:
        refs = jsf.signers_of(bom.doc)
    except jsf.SignatureFormatError as exc:
        raise VerificationError(str(exc)) from exc
    checked: list[_Checked] = []
    for ref, signer in refs:
        try:
            checked.append(_check_signer(ref, signer, policy))
        except jsf.SignatureFormatError as exc:
            raise _fail(ref, signer, exc) from exc
    try:
        signed = jsf.SignedBytes(bom.doc)
    except jsf.SignatureFormatError as exc:
        raise VerificationError(str(exc)) from exc
    results: list[SignerResult] = []
    for c, (ref, signer) in zip(checked, refs, strict=True):
        try:
            results.append(_verify_checked(c, signed.of(ref), policy))
        except jsf.SignatureFormatError as exc:
            raise _fail(ref, signer, exc) from exc
        first = next(r for r in results if r.key_id == results[-1].key_id)
        if first is not results[-1]:  # the signature member is not signed: a copy would count as a co-signer
            raise VerificationError(f"signer {len(results)} is by the same key ({first.key_id[:16]}) as signer "
                                    f"{results.index(first) + 1}: one signer counted twice (a copied or "
                                    "duplicated signer)")
    return results


def verify_xmldsig(bom: XmlBom, policy: TrustPolicy, *, name: str = "<bom>") -> tuple[SignerResult, bytes]:
    """The root's one enveloped XML-DSig signature, by a trusted key; returns the signer and the
    signed document (signxml's ``signed_xml``)."""
    from mlbom import xmldsig

    key, signed = xmldsig.verify_xml(bom.data, policy, name=name)
    how = "embedded key allowed (UNSAFE: integrity only)" if policy.embedded_key else "trusted key"
    return SignerResult(0, "XML-DSig", jsf.key_id(key), f"valid XML-DSig signature, {how}"), signed


def verify_dsse(env: DsseInput, policy: TrustPolicy, *, bom_data: bytes | None = None, bom_name: str = "<bom>"
                ) -> tuple[list[SignerResult], dict[str, object], list[tuple[str, str]]]:
    """Every DSSE signature by a trusted key, a well-formed in-toto Statement v1 about a
    CycloneDX BOM; with ``bom_data`` (``--bom FILE``) the file's SHA-256 must be a subject and its
    content the predicate. Returns the signers, the verified BOM and the subjects."""
    signed_by = dsse.verify_envelope(env.envelope, policy)
    subjects, predicate = dsse.parse_statement(env.envelope.payload)
    refuse_nested_signatures(predicate)
    # The predicate's own (root) JSF signature is checked as ``verify`` checks a JSON BOM's, under
    # the same policy: a verified result carries no signature nobody checked (red team 122v-1).
    inner: list[SignerResult] = []
    if "signature" in predicate:
        try:
            inner = verify_jsf(JsonBom(predicate, b""), policy)
        except VerificationError as exc:
            raise VerificationError(f"the attested BOM's own JSF signature: {exc}") from exc
    doc = predicate
    if bom_data is not None:
        digest = hashlib.sha256(bom_data).hexdigest()
        if digest not in {d for _, d in subjects}:
            raise VerificationError(f"{bom_name}: its SHA-256 {digest} is not a subject of the attestation")
        parsed = parse(bom_data, bom_name)
        if not isinstance(parsed, JsonBom):
            raise VerificationError(f"{bom_name}: not a JSON BOM (the attested predicate is one)")
        if parsed.doc != predicate:
            raise VerificationError(f"{bom_name}: its content differs from the attested predicate")
        doc = parsed.doc
    signers = [SignerResult(i, "DSSE", k, "valid DSSE signature, trusted key") for i, k in enumerate(signed_by)]
    signers += [SignerResult(len(signers) + s.index, f"JSF {s.algorithm} in the predicate", s.key_id, s.reason)
                for s in inner]
    return signers, doc, subjects


def _require_valid_json(doc: dict[str, object], name: str) -> None:
    from mlbom.cyclonedx.validate import validate_json_doc

    try:
        report = validate_json_doc(doc, name)
    except InputError as exc:
        raise VerificationError(f"the signed document is not a usable BOM: {exc}") from exc
    if not report.ok:
        raise VerificationError(f"the signed BOM is not valid ({len(report.problems)} problem(s)): "
                                f"{report.problems[0][:300]}")


# ---- the whole pipeline ----------------------------------------------------------------

def verify_bytes(data: bytes, policy: TrustPolicy, *, name: str = "<bom>", bom_data: bytes | None = None,
                 bom_name: str = "<bom>", artifacts: Path | None = None, exclude: Sequence[str] = (),
                 listed_only: bool = False) -> VerificationResult:
    """Parse ``data``, verify its signatures under ``policy``, validate the verified BOM and,
    with ``artifacts``, check that folder against it. Returns the result when everything holds;
    raises :class:`VerificationError` (exit 1) otherwise."""
    parsed = parse(data, name)
    if bom_data is not None and not isinstance(parsed, DsseInput):
        raise UsageError("checks a BOM file against a DSSE envelope; this input is a signed BOM", option="bom")
    subjects: list[tuple[str, str]] = []
    if isinstance(parsed, JsonBom):
        signers = verify_jsf(parsed, policy)
        doc = parsed.doc
        kind: Literal["jsf", "xmldsig", "dsse"] = "jsf"
        _require_valid_json(doc, name)
    elif isinstance(parsed, XmlBom):
        signer, signed = verify_xmldsig(parsed, policy, name=name)
        signers = [signer]
        kind = "xmldsig"
        from mlbom.cyclonedx.validate import validate_bytes
        from mlbom.reader import loads

        try:
            report = validate_bytes(signed, name=name)
            if not report.ok:  # checked before reading: the reader expects a valid BOM
                raise VerificationError(f"the signed BOM is not valid ({len(report.problems)} problem(s)): "
                                        f"{report.problems[0][:300]}")
            loaded = loads(signed, name)
        except InputError as exc:
            raise VerificationError(f"the signed document is not a usable BOM: {exc}") from exc
        doc = loaded.doc
    else:
        signers, doc, subjects = verify_dsse(parsed, policy, bom_data=bom_data, bom_name=bom_name)
        kind = "dsse"
        _require_valid_json(doc, bom_name if bom_data is not None else name)
    result = VerificationResult(kind, signers, doc, policy.describe(), subjects=subjects)
    if artifacts is not None:
        from mlbom.manifest.compare import bom_folder

        result.artifacts = check_folder(doc, artifacts, exclude=exclude, listed_only=listed_only,
                                        manifest_dir=bom_folder(bom_name if bom_data is not None else name))
        require(result.artifacts)
    return result


__all__ = ["DsseInput", "JsonBom", "NotSignedError", "Parsed", "SignerResult", "VerificationResult", "XmlBom",
           "parse", "refuse_nested_signatures", "verify_bytes", "verify_dsse", "verify_jsf", "verify_xmldsig"]
