"""Signing and verification of BOMs: embedded JSF signatures in JSON BOMs, DSSE envelopes with
an in-toto Statement v1 (predicateType ``https://cyclonedx.org/bom``), and verification of the
artifacts a BOM lists.

``verify`` fails closed: any signer that does not verify against a trusted key raises
:class:`~mlbom.errors.VerificationError` (exit 1) with a precise reason; a signature object
that is not JSF raises :class:`~mlbom.jsf.SignatureFormatError` (exit 2). An empty set of
trusted keys is an error unless embedded keys are explicitly allowed.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from mlbom import jsf
from mlbom.errors import InputError, MlbomError, UsageError, VerificationError
from mlbom.jsf import PrivateKey, PublicKey

Algorithm = Literal["ed25519", "es256", "es384", "rs256", "ps256"]
MAX_SIGNED_BOM = 1 << 30
MAX_DEPTH = 256
DSSE_PAYLOAD_TYPE = "application/vnd.in-toto+json"
PASSWORD_ENV = "MLBOM_KEY_PASSWORD"


# ---- keys ------------------------------------------------------------------------------

def generate_key(algorithm: Algorithm = "ed25519") -> PrivateKey:
    """A new private key: Ed25519 (default), ECDSA P-256/P-384, or RSA 3072."""
    if algorithm == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "es256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "es384":
        return ec.generate_private_key(ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def write_keypair(key: PrivateKey, prefix: Path, *, password: bytes | None = None) -> tuple[Path, Path, Path]:
    """Write ``PREFIX.key`` (PKCS#8 PEM, encrypted when a password is given, mode 0600),
    ``PREFIX.pub`` (SubjectPublicKeyInfo PEM) and ``PREFIX.jwk`` (public JWK)."""
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption())
    priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    pub = key.public_key()
    paths = (prefix.with_name(prefix.name + ".key"), prefix.with_name(prefix.name + ".pub"),
             prefix.with_name(prefix.name + ".jwk"))
    fd = os.open(paths[0], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(priv)
    paths[1].write_bytes(pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    paths[2].write_text(json.dumps(jsf.jwk_of(pub), indent=2) + "\n")
    return paths


def load_private_key(path: Path, *, password: bytes | None = None) -> PrivateKey:
    """A PEM private key. The password comes from the caller (the CLI reads
    ``MLBOM_KEY_PASSWORD`` or prompts); never from a command-line argument."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read key: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError as exc:
        raise InputError(path, f"the key is encrypted: set {PASSWORD_ENV} or use --password-prompt") from exc
    except ValueError as exc:
        raise InputError(path, f"not a usable PEM private key: {exc}") from exc
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey,
                            ed448.Ed448PrivateKey)):
        raise InputError(path, f"unsupported key type {type(key).__name__}")
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < 3072:
        raise InputError(path, f"RSA key of {key.key_size} bits: mlbom signs with RSA 3072 or larger")
    return key


def load_public_keys(path: Path) -> list[PublicKey]:
    """Trusted keys from a PEM file (one or more public keys or certificates), a JWK, or a JWK
    set (``{"keys": [...]}``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read key file: {exc.strerror}") from exc
    keys: list[PublicKey] = []
    if data.lstrip().startswith(b"{"):
        try:
            doc = json.loads(data)
        except ValueError as exc:
            raise InputError(path, f"not a JWK: {exc}") from exc
        for jwk in doc.get("keys", [doc]) if isinstance(doc, dict) else []:
            keys.append(jsf.key_from_jwk({k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y", "n", "e")}))
        return keys
    from cryptography import x509

    for m in re.finditer(rb"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", data, re.DOTALL):
        pem, kind = m.group(0), m.group(1)
        key: object
        try:
            if b"CERTIFICATE" in kind:
                key = x509.load_pem_x509_certificate(pem).public_key()
            else:
                key = serialization.load_pem_public_key(pem)
        except ValueError as exc:
            raise InputError(path, f"not a PEM public key or certificate: {exc}") from exc
        if not isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey,
                                ed448.Ed448PublicKey)):
            raise InputError(path, f"unsupported public key type {type(key).__name__}")
        keys.append(key)
    if not keys:
        raise InputError(path, "no public key found (PEM public key, certificate or JWK expected)")
    return keys


# ---- JSON BOM loading, bounded -----------------------------------------------------------

def _load_json_bom(data: bytes, name: str) -> dict[str, object]:
    if len(data) > MAX_SIGNED_BOM:
        raise InputError(name, f"larger than {MAX_SIGNED_BOM >> 20} MiB")
    if data.lstrip()[:1] == b"<":
        raise UsageError("this operation takes a JSON BOM (XML BOMs are signed and verified with XML-DSig)")
    try:
        doc = orjson.loads(data)  # orjson refuses nesting deeper than 1024
    except orjson.JSONDecodeError as exc:
        raise InputError(name, f"not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise InputError(name, "not a CycloneDX JSON BOM")
    _check_duplicate_keys(data, name)
    return doc


def _check_duplicate_keys(data: bytes, name: str) -> None:
    """RFC 8785 (and I-JSON) forbid duplicate member names: two parsers could see two
    different documents. Refuse them."""
    def hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            keys = [k for k, _ in pairs]
            dup = next(k for k in keys if keys.count(k) > 1)
            raise InputError(name, f"duplicate JSON member name {dup!r}: refused (RFC 8785 / I-JSON)")
        return obj

    try:
        json.loads(data, object_pairs_hook=hook)
    except RecursionError as exc:
        raise InputError(name, "JSON nested too deeply") from exc


def _dump(doc: dict[str, object]) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


# ---- JSF signing -----------------------------------------------------------------------

def sign(bom: bytes, key: PrivateKey, *, mode: Literal["new", "add", "replace"] = "new", embed_key: bool = True,
         name: str = "<bom>") -> bytes:
    """Sign a JSON BOM with an embedded JSF signature (``signature.signers``). mlbom always
    writes the ``signers`` form, so that ``add`` appends a signer without invalidating the
    earlier ones. A BOM that is already signed needs ``add`` or ``replace``: never a silent
    overwrite. Ed25519 signatures are deterministic: the same BOM and key give the same bytes."""
    if bom.lstrip()[:1] == b"<":
        from mlbom.xmldsig import sign_xml

        return sign_xml(bom, key, mode=mode, name=name)
    doc = _load_json_bom(bom, name)
    existing = doc.get("signature")
    signers: list[object] = []
    if existing is not None:
        if mode == "new":
            raise UsageError("the BOM is already signed: say --add (another signer) or --replace")
        if mode == "add":
            if not isinstance(existing, dict) or not isinstance(existing.get("signers"), list):
                raise UsageError("--add needs an existing 'signers' signature; this one is a single signer or a "
                                 "chain, and adding would invalidate it (re-sign with --replace)")
            signers = list(existing["signers"])
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
    return _dump(doc)


@dataclass
class SignerResult:
    index: int
    algorithm: str
    ok: bool
    trusted: bool
    reason: str
    key_id: str | None = None


@dataclass
class VerificationResult:
    """The outcome for every signer (and, with artifacts, every listed file)."""

    signers: list[SignerResult] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.signers) and all(s.ok and s.trusted for s in self.signers) and not (
            self.modified or self.missing or self.unlisted)


def verify(bom: bytes, keys: Sequence[PublicKey] = (), *, allow_embedded_key: bool = False,
           artifacts: Path | None = None, name: str = "<bom>") -> VerificationResult:
    """Verify every JSF signer of a JSON BOM (or a DSSE envelope) against trusted ``keys``.
    Raises :class:`VerificationError` when anything fails (the result is attached as
    ``exc.result``); returns the result when everything verifies."""
    if not keys and not allow_embedded_key:
        raise UsageError("no trusted key given: pass --key (or --allow-embedded-key to trust the key in the BOM)")
    head = bom.lstrip()[:200]
    if head[:1] == b"<":
        from mlbom.xmldsig import verify_xml

        ok, trusted, reason = verify_xml(bom, keys, allow_embedded_key=allow_embedded_key, name=name)
        result = VerificationResult(signers=[SignerResult(0, "XML-DSig", ok, trusted, reason)])
        if artifacts is not None:
            raise UsageError("--artifacts needs the JSON form of the BOM")
        if not result.ok:
            err = VerificationError(describe(result))
            err.result = result  # type: ignore[attr-defined]
            raise err
        return result
    if b'"payloadType"' in head or b'"payload"' in head:
        result, doc = _verify_dsse(bom, keys, name)
    else:
        doc = _load_json_bom(bom, name)
        result = VerificationResult()
        for ref, signer in jsf.signers_of(doc):
            result.signers.append(_verify_signer(doc, ref, signer, keys, allow_embedded_key))
    if artifacts is not None:
        _check_artifacts(doc, artifacts, result)
    if not result.ok:
        err = VerificationError(describe(result))
        err.result = result  # type: ignore[attr-defined]
        raise err
    return result


def _verify_signer(doc: dict[str, object], ref: jsf.SignerRef, signer: dict[str, object],
                   keys: Sequence[PublicKey], allow_embedded: bool) -> SignerResult:
    alg = signer.get("algorithm")
    if not isinstance(alg, str):
        raise jsf.SignatureFormatError(f"signer {ref.index + 1}: no algorithm")
    if alg not in jsf.ASYMMETRIC:
        return SignerResult(ref.index, alg, False, False, f"algorithm {alg!r} is not accepted (asymmetric JSF only)")
    value = signer.get("value")
    if not isinstance(value, str):
        raise jsf.SignatureFormatError(f"signer {ref.index + 1}: no value")
    sig = jsf.b64url_decode(value)
    data = jsf.signed_bytes(doc, ref)
    embedded = jsf.key_from_jwk(signer["publicKey"]) if "publicKey" in signer else None
    candidates: list[tuple[PublicKey, bool]] = []
    if embedded is not None:
        trusted = any(jsf.same_key(embedded, k) for k in keys)
        candidates.append((embedded, trusted))
    else:
        candidates += [(k, True) for k in keys]
    if not candidates:
        return SignerResult(ref.index, alg, False, False, "no public key: none embedded and no --key given")
    for key, trusted in candidates:
        try:
            good = jsf.verify_raw(alg, key, data, sig)
        except jsf.SignatureFormatError as exc:
            return SignerResult(ref.index, alg, False, False, str(exc))
        if good:
            if trusted:
                return SignerResult(ref.index, alg, True, True, "valid signature, trusted key", jsf.key_id(key))
            if allow_embedded:
                return SignerResult(ref.index, alg, True, True, "valid signature, embedded key allowed", jsf.key_id(key))
            return SignerResult(ref.index, alg, True, False, "valid signature, untrusted key (embedded key not among "
                                "the trusted keys; --allow-embedded-key to accept it)", jsf.key_id(key))
    if embedded is not None and keys and not candidates[0][1]:
        return SignerResult(ref.index, alg, False, False,
                            "signature does not verify, and the embedded key is not a trusted key")
    return SignerResult(ref.index, alg, False, False,
                        "signature does not match the signed content: the BOM was modified after signing")


def describe(result: VerificationResult) -> str:
    lines = [f"signer {s.index + 1} ({s.algorithm}): {s.reason}" for s in result.signers]
    if not result.signers:
        lines.append("no signer")
    lines += [f"artifact modified: {p}" for p in result.modified]
    lines += [f"artifact missing: {p}" for p in result.missing]
    lines += [f"artifact not in the BOM: {p}" for p in result.unlisted]
    return "; ".join(lines)


# ---- artifacts -------------------------------------------------------------------------

def _check_artifacts(doc: dict[str, object], root: Path, result: VerificationResult) -> None:
    """Re-hash every file component with ``mlbom:file:path`` under ``root``; report modified,
    missing and unlisted files (in the folders that hold listed files)."""
    from mlbom.hashing import sha256_files
    from mlbom.properties import Prop

    expected: dict[str, str] = {}
    folders: set[Path] = set()
    for c in _components(doc):
        if not isinstance(c, dict):
            continue
        props = {p.get("name"): p.get("value") for p in c.get("properties") or [] if isinstance(p, dict)}
        rel = props.get(Prop.FILE_PATH.value)
        sha = next((h.get("content") for h in c.get("hashes") or [] if isinstance(h, dict) and h.get("alg") == "SHA-256"),
                   None)
        if isinstance(rel, str) and isinstance(sha, str):
            expected[rel] = sha
            if Prop.FILE_FORMAT.value in props:  # a model or dataset file: its folder is inventoried whole
                folders.add(Path(rel).parent)
    rels = sorted(expected)
    digests = sha256_files(str(root / r) for r in rels)
    for rel, dg in zip(rels, digests, strict=True):
        if dg.sha256 is None:
            result.missing.append(rel)
        elif dg.sha256 != expected[rel]:
            result.modified.append(rel)
    for folder in sorted(folders):
        base = root / folder
        if not base.is_dir():
            continue
        for entry in sorted(base.iterdir()):
            rel = (folder / entry.name).as_posix()
            if entry.is_file() and rel not in expected and not rel.startswith("./"):
                result.unlisted.append(rel)


# ---- DSSE / in-toto --------------------------------------------------------------------

def _components(doc: dict[str, object]) -> list[object]:
    comps = doc.get("components")
    return list(comps) if isinstance(comps, list) else []


def _pae(payload_type: str, body: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def attest(bom: bytes, key: PrivateKey, *, bom_name: str = "bom.json", subject_artifacts: bool = False) -> bytes:
    """A DSSE envelope whose payload is an in-toto Statement v1: subject the BOM (and, with
    ``subject_artifacts``, every file the BOM lists with its SHA-256), predicate the BOM."""
    import hashlib

    doc = _load_json_bom(bom, bom_name)
    subjects: list[dict[str, object]] = [{"name": bom_name, "digest": {"sha256": hashlib.sha256(bom).hexdigest()}}]
    if subject_artifacts:
        for c in _components(doc):
            if isinstance(c, dict) and c.get("type") == "file":
                sha = next((h.get("content") for h in c.get("hashes") or [] if isinstance(h, dict)
                            and h.get("alg") == "SHA-256"), None)
                if isinstance(sha, str):
                    subjects.append({"name": str(c.get("name")), "digest": {"sha256": sha}})
    statement = {"_type": "https://in-toto.io/Statement/v1", "subject": subjects,
                 "predicateType": "https://cyclonedx.org/bom", "predicate": doc}
    body = orjson.dumps(statement, option=orjson.OPT_SORT_KEYS)
    alg = jsf.algorithm_for(key)
    raw = jsf.sign_raw(alg, key, _pae(DSSE_PAYLOAD_TYPE, body))
    if isinstance(key, ec.EllipticCurvePrivateKey):  # DSSE/sigstore convention: ECDSA as DER
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        half = len(raw) // 2
        raw = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
    envelope = {"payloadType": DSSE_PAYLOAD_TYPE, "payload": base64.b64encode(body).decode(),
                "signatures": [{"keyid": jsf.key_id(key.public_key()), "sig": base64.b64encode(raw).decode()}]}
    return orjson.dumps(envelope, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def _verify_dsse(data: bytes, keys: Sequence[PublicKey], name: str
                 ) -> tuple[VerificationResult, dict[str, object]]:
    try:
        env = orjson.loads(data)
        body = base64.b64decode(env["payload"], validate=True)
        sigs = env["signatures"]
        ptype = env["payloadType"]
        statement = orjson.loads(body)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise jsf.SignatureFormatError(f"{name}: not a DSSE envelope with an in-toto statement: {exc}") from exc
    if ptype != DSSE_PAYLOAD_TYPE or not isinstance(sigs, list) or not sigs:
        raise jsf.SignatureFormatError(f"{name}: payloadType must be {DSSE_PAYLOAD_TYPE} with signatures")
    if not keys:
        raise UsageError("a DSSE envelope carries no key: pass --key")
    result = VerificationResult()
    pae = _pae(ptype, body)
    for i, s in enumerate(sigs):
        raw = base64.b64decode(str(s.get("sig", "")) if isinstance(s, dict) else "")
        ok = False
        for key in keys:
            alg = jsf.algorithm_for(key)
            sig = raw
            if isinstance(key, ec.EllipticCurvePublicKey):
                from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

                try:
                    r, s_ = decode_dss_signature(raw)
                except ValueError:
                    continue
                half = (key.curve.key_size + 7) // 8
                sig = r.to_bytes(half, "big") + s_.to_bytes(half, "big")
            if jsf.verify_raw(alg, key, pae, sig):
                ok = True
                result.signers.append(SignerResult(i, alg, True, True, "valid DSSE signature, trusted key", jsf.key_id(key)))
                break
        if not ok:
            result.signers.append(SignerResult(i, "DSSE", False, False,
                                               "DSSE signature does not verify with any trusted key"))
    predicate = statement.get("predicate") if isinstance(statement, dict) else None
    if not isinstance(predicate, dict) or statement.get("predicateType") != "https://cyclonedx.org/bom":
        raise jsf.SignatureFormatError(f"{name}: the statement's predicate is not a CycloneDX BOM")
    return result, predicate


def password_from_env() -> bytes | None:
    value = os.environ.get(PASSWORD_ENV)
    return value.encode() if value else None


__all__ = ["MlbomError", "SignerResult", "VerificationResult", "attest", "generate_key", "load_private_key",
           "load_public_keys", "sign", "verify", "write_keypair"]
