"""Signing BOMs: embedded JSF signatures in JSON BOMs, enveloped XML-DSig in XML BOMs, and DSSE
envelopes with an in-toto Statement v1 (predicateType ``https://cyclonedx.org/bom``).

Verification lives in :mod:`mlbom.verification` (parse, then verify, then trust) and keys in
:mod:`mlbom.keys`; :func:`verify` here is the library's convenience entry point over both.
Numbers beyond ±(2**53 - 1) are refused when signing, as when verifying (RFC 8785 cannot represent
them losslessly); so are number tokens not written in their RFC 8785 form (``7.0``, ``1e0``, ``-0``:
the signature would cover another spelling than readers parse — mlbom refuses rather than
rewrites them, so the signed file is byte for byte the BOM that was given); duplicate member
names too.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import mlbom.jsf as jsf
from mlbom import jsonout
from mlbom.cyclonedx.document import check_size
from mlbom.errors import InputError, MlbomError, UsageError, VerificationError
from mlbom.jsf import PrivateKey, PublicKey
from mlbom.keys import Algorithm, generate_key, load_private_key, load_public_keys, write_keypair
from mlbom.trust import TrustPolicy
from mlbom.verification import SignerResult, VerificationResult

DSSE_PAYLOAD_TYPE = "application/vnd.in-toto+json"
PASSWORD_ENV = "MLBOM_KEY_PASSWORD"


def _load_json_bom(data: bytes, name: str) -> dict[str, object]:
    """A JSON BOM to sign, parsed as strictly as verification will parse it."""
    from mlbom.verification import DsseInput, JsonBom, parse

    check_size(data, name)
    try:
        parsed = parse(data, name)
    except VerificationError as exc:  # strict-JSON problems: refused at signing too
        raise InputError(name, f"cannot be signed: {exc}") from exc
    if isinstance(parsed, DsseInput):
        raise InputError(name, "a DSSE envelope, not a BOM")
    if not isinstance(parsed, JsonBom):
        raise UsageError("this operation takes a JSON BOM (XML BOMs are signed and verified with XML-DSig)")
    return parsed.doc


def _dump(doc: dict[str, object]) -> bytes:
    return jsonout.dump_document(doc)


# ---- JSF signing -----------------------------------------------------------------------

def _refuse_nested(doc: dict[str, object], name: str) -> None:
    """verify refuses a BOM with a signature on an inner object (red team 92c-7): never sign one."""
    nested = jsf.nested_signature_path(doc)
    if nested is not None:
        raise InputError(name, f"cannot be signed: it holds a signature on an inner object, at {nested[:200]}; "
                               "mlbom signs and verifies the BOM's own signature only (remove the inner one)")


def sign(bom: bytes, key: PrivateKey, *, mode: Literal["new", "add", "replace"] = "new", embed_key: bool = True,
         name: str = "<bom>") -> bytes:
    """Sign a JSON BOM with an embedded JSF signature (``signature.signers``). mlbom always
    writes the ``signers`` form, so that ``add`` appends a signer without invalidating the
    earlier ones. A BOM that is already signed needs ``add`` or ``replace``: never a silent
    overwrite. Ed25519 signatures are deterministic: the same BOM and key give the same bytes."""
    from mlbom.verification import JsonBom, XmlBom, parse

    check_size(bom, name)
    try:
        parsed = parse(bom, name)
    except VerificationError as exc:
        raise InputError(name, f"cannot be signed: {exc}") from exc
    if isinstance(parsed, XmlBom):
        from mlbom.xmldsig import sign_xml

        return sign_xml(bom, key, mode=mode, name=name)
    if not isinstance(parsed, JsonBom):
        raise InputError(name, "a DSSE envelope, not a BOM")
    doc = parsed.doc
    _refuse_nested(doc, name)
    existing = doc.get("signature")
    signers: list[object] = []
    if existing is not None:
        if mode == "new":
            raise UsageError("the BOM is already signed: say {add} (another signer) or {replace}",
                             related=("add", "replace"))
        if mode == "add":
            if not isinstance(existing, dict) or set(existing) != {"signers"} or \
                    not isinstance(existing.get("signers"), list):
                raise UsageError("needs an existing 'signers' signature; this one is a single signer or a "
                                 "chain, and adding would invalidate it (re-sign with {replace})",
                                 option="add", related=("replace",))
            signers = list(existing["signers"])
            jwk, kid = jsf.jwk_of(key.public_key()), jsf.key_id(key.public_key())
            if any(isinstance(s, dict) and (s.get("publicKey") == jwk or s.get("keyId") == kid) for s in signers):
                raise UsageError("this key already signs the BOM: a second signature by it is not another signer "
                                 "(verify refuses it)", option="add")
    alg = jsf.algorithm_for(key)
    signer: dict[str, object] = {"algorithm": alg}
    if embed_key:
        signer["publicKey"] = jsf.jwk_of(key.public_key())
    else:
        signer["keyId"] = jsf.key_id(key.public_key())
    doc["signature"] = {"signers": [*signers, signer]}
    ref = jsf.SignerRef("signature", "signers", len(signers))
    data = jsf.signed_bytes(doc, ref)
    signer["value"] = jsf.b64url(jsf.sign_raw(alg, key, data))
    out = _dump(doc)
    try:  # orjson writes some doubles differently from RFC 8785 (1e-6 vs 0.000001): never emit what would fail
        jsf.parse_json(out)
    except jsf.SignatureFormatError as exc:
        raise InputError(name, f"cannot be signed losslessly: {exc}") from exc
    return out


def verify(bom: bytes, keys: Sequence[PublicKey] = (), *, allow_embedded_key: bool = False,
           key_ids: Sequence[str] = (), artifacts: Path | None = None, exclude: Sequence[str] = (),
           listed_only: bool = False, bom_file: bytes | None = None, name: str = "<bom>") -> VerificationResult:
    """Verify a signed BOM (JSF or XML-DSig) or a DSSE envelope under trusted ``keys``/``key_ids``
    or, explicitly and never together with them, the embedded key. Returns the result when
    everything verifies; raises :class:`VerificationError` otherwise (see
    :func:`mlbom.verification.verify_bytes`)."""
    policy = TrustPolicy.unsafe_embedded_key() if allow_embedded_key and not (keys or key_ids) else \
        TrustPolicy(tuple(keys), frozenset(key_ids), allow_embedded_key)
    return verify_policy(bom, policy, artifacts=artifacts, exclude=exclude, listed_only=listed_only,
                         bom_file=bom_file, name=name)


def require_every_named_key(result: VerificationResult, key_groups: Sequence[tuple[str, Sequence[PublicKey]]],
                            key_ids: Sequence[str] = ()) -> None:
    """Every key the user names must have signed: each ``--key`` file (one party: a key, or a
    keyring of that party's keys, any one of which suffices) and each ``--key-id`` must be the key
    of a signature that verified. JSF ``signers`` entries can be removed from a multi-signed BOM
    and what is left still verifies; without this, ``--key A --key B`` only meant "each signer
    is A or B", so a BOM stripped to A's signature passed a check meant as "A and B signed"
    (red team 15b, the stripped co-signer). Raises :class:`VerificationError` (exit 1)."""
    signed = {s.key_id for s in result.signers}
    for name, keys in key_groups:
        if not signed & {jsf.key_id(k) for k in keys}:
            raise VerificationError(f"no valid signature by the key in {name}: every key named must have signed")
    for kid in key_ids:
        if kid.strip().lower() not in signed:
            raise VerificationError(f"no valid signature by key id {kid[:16]}: every key named must have signed")


def verify_policy(bom: bytes, policy: TrustPolicy, *, artifacts: Path | None = None, exclude: Sequence[str] = (),
                  listed_only: bool = False, bom_file: bytes | None = None, name: str = "<bom>",
                  bom_name: str = "<bom>") -> VerificationResult:
    """:func:`verify` with a ready :class:`~mlbom.trust.TrustPolicy`."""
    from mlbom.verification import verify_bytes

    return verify_bytes(bom, policy, name=name, bom_data=bom_file, bom_name=bom_name, artifacts=artifacts,
                        exclude=exclude, listed_only=listed_only)


# ---- DSSE / in-toto --------------------------------------------------------------------

def attest(bom: bytes, key: PrivateKey, *, bom_name: str = "bom.json", subject_artifacts: bool = False,
           notes: list[str] | None = None) -> bytes:
    """A DSSE envelope whose payload is an in-toto Statement v1: subject the BOM (and, with
    ``subject_artifacts``, every file the BOM lists with its SHA-256, named by its
    ``mlbom:file:path``), predicate the BOM.

    A JSF-signed BOM is attested (sign, then attest, is a real workflow); ``verify`` of the
    envelope checks that root signature too, under the same trusted keys (red team 122v-1). When
    it does not verify by this key alone, one line is added to ``notes``: the verifier will need
    every JSF signer's key as well, and a forged signer makes the attestation fail."""
    import mlbom.dsse as dsse
    from mlbom.artifacts import expected_files
    from mlbom.verification import JsonBom, verify_jsf

    doc = _load_json_bom(bom, bom_name)
    _refuse_nested(doc, bom_name)
    if notes is not None and "signature" in doc:
        try:
            verify_jsf(JsonBom(doc, bom), TrustPolicy.from_keys([key.public_key()]))
        except VerificationError as exc:
            notes.append(f"note: {bom_name} carries a JSF signature that does not verify by this key alone "
                         f"({str(exc)[:200]}); verify of this attestation checks it too, so it will need every "
                         "JSF signer's key as well (a forged signer makes it fail)")
    extra: list[tuple[str, str]] = []
    if subject_artifacts:
        files, _bad = expected_files(doc)
        extra = sorted((rel, digest) for rel, digests in files.items() for alg, digest in digests if alg == "sha256")
    return dsse.sign_statement(bom, doc, key, bom_name=bom_name, extra_subjects=extra)


def password_from_env() -> bytes | None:
    value = os.environ.get(PASSWORD_ENV)
    return value.encode() if value else None


__all__ = ["Algorithm", "MlbomError", "PrivateKey", "PublicKey", "SignerResult", "VerificationResult", "attest",
           "generate_key", "load_private_key", "load_public_keys", "sign", "verify", "verify_policy", "write_keypair"]
