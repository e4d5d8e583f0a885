"""Keys: generating them, writing them safely, and reading them back bounded.

Every key file is read through :func:`read_regular_file`: a regular file only (a FIFO must not
hang, ``/dev/zero`` must not exhaust memory), at most :data:`MAX_KEY_FILE` bytes. PEM is cut
into blocks by a line scanner (no regular expression: a file of repeated headers is linear
work), JWK and JWK sets are parsed with the strict JSON reader and every member is type-checked
before a key is built.

Trusted keys are public keys. X.509 certificates are refused: mlbom does not check certificate
chains, validity periods or revocation, and a certificate whose chain nobody checked is just a
public key with a misleading name (extract it: ``openssl x509 -pubkey -noout -in cert.pem``).

Key generation defaults to ECDSA P-256 (ES256): cyclonedx-core-java, the parser behind
Dependency-Track, refuses a JSF ``publicKey`` with ``crv: Ed25519``, and XML-DSig needs ECDSA or
RSA. Ed25519 stays available on request.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from mlbom import jsf
from mlbom.errors import InputError, UsageError
from mlbom.jsf import PrivateKey, PublicKey
from mlbom.limits import MAX_KEY_PBKDF2_ITERATIONS, MAX_KEY_SCRYPT_COST

Algorithm = Literal["ed25519", "es256", "es384", "rs256", "ps256"]
DEFAULT_ALGORITHM: Algorithm = "es256"
MAX_KEY_FILE = 1 << 20
"""Largest key file read (1 MiB): a key set of a few hundred keys fits."""
MAX_KEYS = 256
"""Most keys one key file may hold."""
MIN_RSA_SIGNING_BITS = 3072
"""RSA keys mlbom signs with (verification accepts :data:`mlbom.jsf.MIN_RSA_BITS`, 2048)."""
_JWK_MEMBERS = {"kty", "crv", "x", "y", "n", "e", "kid", "use", "alg", "key_ops"}
_PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def read_regular_file(path: Path, limit: int, *, what: str = "file") -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes.

    The type is checked with ``stat`` before opening, the file is opened non-blocking (a FIFO
    swapped in between cannot hang the open) and checked again with ``fstat``; at most
    ``limit + 1`` bytes are ever read. Symbolic links to regular files are followed."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(path, f"cannot read {what}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise InputError(path, f"{what} is not a regular file")
    if st.st_size > limit:
        raise InputError(path, f"{what} is larger than {limit} bytes")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(path, f"cannot read {what}: {exc.strerror or exc}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(path, f"{what} is not a regular file")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise InputError(path, f"cannot read {what}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if total > limit:
        raise InputError(path, f"{what} is larger than {limit} bytes")
    return b"".join(chunks)


# ---- generating and writing ------------------------------------------------------------

def generate_key(algorithm: Algorithm = DEFAULT_ALGORITHM) -> PrivateKey:
    """A new private key: ECDSA P-256 (default), P-384, Ed25519, or RSA 3072 (``rs256``/``ps256``)."""
    if algorithm == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "es256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "es384":
        return ec.generate_private_key(ec.SECP384R1())
    if algorithm in ("rs256", "ps256"):
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise UsageError("unknown key algorithm (ed25519, es256, es384, rs256, ps256)", option="algorithm", value=algorithm)


def key_paths(prefix: Path) -> tuple[Path, Path, Path]:
    """``PREFIX.key``, ``PREFIX.pub`` and ``PREFIX.jwk``; a prefix with no file name (``""``,
    ``.``, ``..``, ``/``) is a :class:`UsageError` (red team 49p-2)."""
    if prefix.name in ("", ".", "..") or str(prefix).endswith(("/", os.sep)):
        raise UsageError("needs a file name prefix (keys/mlbom writes keys/mlbom.key, .pub and .jwk)",
                         option="prefix", value=str(prefix))
    return (prefix.with_name(prefix.name + ".key"), prefix.with_name(prefix.name + ".pub"),
            prefix.with_name(prefix.name + ".jwk"))


def _create(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` exclusively: never through a symbolic link (dangling or not), never over
    an existing file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_CLOEXEC", 0), mode)
    except FileExistsError as exc:
        raise UsageError(f"{path} exists (or is a symbolic link): refusing to overwrite a key") from exc
    except OSError as exc:
        raise InputError(path, f"cannot create: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def write_keypair(key: PrivateKey, prefix: Path, *, password: bytes | None = None) -> tuple[Path, Path, Path]:
    """Write ``PREFIX.key`` (PKCS#8 PEM, encrypted when a password is given, mode 0600),
    ``PREFIX.pub`` (SubjectPublicKeyInfo PEM) and ``PREFIX.jwk`` (public JWK). Nothing is
    written when any of the three exists (a dangling symbolic link counts as existing)."""
    paths = key_paths(prefix)
    for p in paths:
        if os.path.lexists(p):
            raise UsageError(f"{p} exists (or is a symbolic link): refusing to overwrite a key")
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption())
    pub = key.public_key()
    import json

    _create(paths[0], key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc), 0o600)
    _create(paths[1], pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
            0o644)
    _create(paths[2], (json.dumps(jsf.jwk_of(pub), indent=2) + "\n").encode(), 0o644)
    return paths


# ---- the cost of decrypting a key, read before decrypting it (red team 92c-1/2) ---------

_OID_PBES2 = bytes.fromhex("2a864886f70d01050d")          # 1.2.840.113549.1.5.13
_OID_PBKDF2 = bytes.fromhex("2a864886f70d01050c")         # 1.2.840.113549.1.5.12
_OID_SCRYPT = bytes.fromhex("2b06010401da47040b")         # 1.3.6.1.4.1.11591.4.11
_OID_PBES1 = bytes.fromhex("2a864886f70d0105")            # 1.2.840.113549.1.5.{1,3,4,6,10,11}
_OID_PKCS12_PBE = bytes.fromhex("2a864886f70d010c01")     # 1.2.840.113549.1.12.1.{1..6}
_PBES1_SCHEMES = {1, 3, 4, 6, 10, 11}
_BEGIN = b"-----BEGIN "
_ENCRYPTED_LABEL = b"ENCRYPTED PRIVATE KEY-----"


class _Der:
    """A bounded reader of the few DER fields of an ``EncryptedPrivateKeyInfo`` (definite
    lengths only; every read checks it stays inside its parent)."""

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self.data, self.pos, self.end = data, start, len(data) if end is None else end

    def more(self) -> bool:
        return self.pos < self.end

    def read(self, tag: int) -> tuple[int, int]:
        """The (start, end) of the next element's contents, which must have tag ``tag``."""
        d, p = self.data, self.pos
        if p + 2 > self.end or d[p] != tag:
            raise ValueError(f"expected DER tag 0x{tag:02x}")
        n = d[p + 1]
        p += 2
        if n & 0x80:
            k = n & 0x7F
            if k == 0 or k > 4 or p + k > self.end:
                raise ValueError("bad DER length")
            n = int.from_bytes(d[p:p + k], "big")
            p += k
        if p + n > self.end:
            raise ValueError("DER element overruns its container")
        self.pos = p + n
        return p, p + n

    def seq(self) -> _Der:
        start, end = self.read(0x30)
        return _Der(self.data, start, end)

    def oid(self) -> bytes:
        start, end = self.read(0x06)
        return self.data[start:end]

    def skip(self, tag: int) -> None:
        self.read(tag)

    def uint(self) -> int:
        """A non-negative INTEGER; one longer than 8 bytes reads as ``2**64`` (over any bound)."""
        start, end = self.read(0x02)
        if end == start or self.data[start] & 0x80:
            raise ValueError("negative or empty INTEGER")
        return 1 << 64 if end - start > 9 else int.from_bytes(self.data[start:end], "big")


def _encryption_cost(der: bytes) -> str | None:
    """Why the ``EncryptedPrivateKeyInfo`` ``der`` costs more to decrypt than mlbom allows, or
    ``None``. A scheme whose cost mlbom cannot read is refused (``ValueError``) rather than run."""
    info = _Der(der).seq()
    alg = info.seq()
    oid = alg.oid()
    if oid == _OID_PBES2:
        params = alg.seq()
        kdf = params.seq()
        kdf_oid = kdf.oid()
        kp = kdf.seq()
        kp.skip(0x04)  # salt (the ``otherSource`` choice is not supported by OpenSSL either)
        if kdf_oid == _OID_PBKDF2:
            iterations = kp.uint()
            if iterations > MAX_KEY_PBKDF2_ITERATIONS:
                return f"{iterations} PBKDF2 iterations (at most {MAX_KEY_PBKDF2_ITERATIONS})"
            return None
        if kdf_oid == _OID_SCRYPT:
            n, r, p = kp.uint(), kp.uint(), kp.uint()
            if n * r * p > MAX_KEY_SCRYPT_COST:
                return f"scrypt N={n}, r={r}, p={p} (N x r x p at most {MAX_KEY_SCRYPT_COST})"
            return None
        raise ValueError("unsupported key derivation function")
    if (len(oid) == len(_OID_PBES1) + 1 and oid.startswith(_OID_PBES1) and oid[-1] in _PBES1_SCHEMES) or (
            len(oid) == len(_OID_PKCS12_PBE) + 1 and oid.startswith(_OID_PKCS12_PBE)):
        params = alg.seq()
        params.skip(0x04)
        iterations = params.uint()
        if iterations > MAX_KEY_PBKDF2_ITERATIONS:
            return f"{iterations} PBE iterations (at most {MAX_KEY_PBKDF2_ITERATIONS})"
        return None
    raise ValueError("unsupported encryption scheme")


def check_key_encryption_cost(path: Path, data: bytes) -> None:
    """Refuse (:class:`InputError`) a PEM file holding an ``ENCRYPTED PRIVATE KEY`` whose
    key derivation costs more than :data:`mlbom.limits.MAX_KEY_PBKDF2_ITERATIONS` /
    :data:`mlbom.limits.MAX_KEY_SCRYPT_COST`, or whose parameters cannot be read: the key file
    chooses that cost and OpenSSL honours it (red team 92c-2: 2^31-1 iterations, ~10 min; 92c-1:
    2^40 made cryptography panic). Every such block is checked wherever it starts (a PEM reader
    finds a BEGIN line anywhere), in one pass over the file."""
    pos = data.find(_BEGIN)
    while pos >= 0:
        label_at = pos + len(_BEGIN)
        if data.startswith(_ENCRYPTED_LABEL, label_at):
            body_at = label_at + len(_ENCRYPTED_LABEL)
            end = data.find(b"-----END ", body_at)
            stop = len(data) if end < 0 else end
            try:
                der = base64.b64decode(b"".join(data[body_at:stop].split()), validate=True)
                why = _encryption_cost(der)
            except (ValueError, binascii.Error) as exc:
                raise InputError(path, f"not a usable encrypted private key: cannot read its encryption "
                                       f"parameters ({exc})") from exc
            if why is not None:
                raise InputError(path, f"the key's encryption costs too much to decrypt: {why}; re-encrypt it "
                                       "(openssl pkcs8 -topk8 -v2 aes-256-cbc)")
            if end < 0:
                return
            pos = data.find(_BEGIN, end)
        else:
            pos = data.find(_BEGIN, label_at)


# ---- reading ---------------------------------------------------------------------------

def load_private_key(path: Path, *, password: bytes | None = None, password_hint: str = "") -> PrivateKey:
    """A PEM (PKCS#8 or traditional) private key; RSA keys of 3072 bits or more."""
    data = read_regular_file(path, MAX_KEY_FILE, what="key file")
    check_key_encryption_cost(path, data)
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError as exc:
        raise InputError(path, f"the key is encrypted{': ' + password_hint if password_hint else ''}") from exc
    except (ValueError, binascii.Error) as exc:
        raise InputError(path, f"not a usable PEM private key: {str(exc).splitlines()[0] if str(exc) else exc}") from exc
    except Exception as exc:  # cryptography's UnsupportedAlgorithm and friends on hostile PEM
        raise InputError(path, f"not a usable PEM private key ({type(exc).__name__})") from exc
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey,
                            ed448.Ed448PrivateKey)):
        raise InputError(path, f"unsupported key type {type(key).__name__}")
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name not in ("secp256r1", "secp384r1", "secp521r1"):
        raise InputError(path, f"unsupported EC curve {key.curve.name} (P-256, P-384, P-521)")
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < MIN_RSA_SIGNING_BITS:
        raise InputError(path, f"RSA key of {key.key_size} bits: mlbom signs with RSA {MIN_RSA_SIGNING_BITS} or larger")
    return key


def pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """The ``(label, DER)`` blocks of a PEM file, found by a line scanner: text outside blocks
    is ignored (RFC 7468 explanatory text); a BEGIN inside a block, an END that does not match,
    a block left open or a body that is not base64 is an error (``ValueError``)."""
    blocks: list[tuple[str, bytes]] = []
    label: str | None = None
    body: list[bytes] = []
    for raw in data.splitlines():
        line = raw.strip()
        if line.startswith(b"-----BEGIN ") and line.endswith(b"-----") and len(line) > 16:
            if label is not None:
                raise ValueError(f"BEGIN {line[11:-5].decode('ascii', 'replace')!r} inside an open {label!r} block")
            label = line[11:-5].decode("ascii", "replace")
            body = []
        elif line.startswith(b"-----END ") and line.endswith(b"-----"):
            end = line[9:-5].decode("ascii", "replace")
            if label is None or end != label:
                raise ValueError(f"END {end!r} without a matching BEGIN")
            try:
                der = base64.b64decode(b"".join(body), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"{label!r} block is not base64") from exc
            blocks.append((label, der))
            if len(blocks) > MAX_KEYS:
                raise ValueError(f"more than {MAX_KEYS} PEM blocks")
            label = None
        elif label is not None:
            if b":" in line:  # RFC 1421 headers (Proc-Type, DEK-Info): an encrypted legacy block
                raise ValueError(f"{label!r} block has headers (encrypted or legacy PEM)")
            body.append(line)
    if label is not None:
        raise ValueError(f"{label!r} block has no END line")
    return blocks


def _check_public(path: Path, key: object) -> PublicKey:
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return key
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in ("secp256r1", "secp384r1", "secp521r1"):
            raise InputError(path, f"unsupported EC curve {key.curve.name} (P-256, P-384, P-521)")
        return key
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < jsf.MIN_RSA_BITS:
            raise InputError(path, f"RSA key of {key.key_size} bits is below the {jsf.MIN_RSA_BITS}-bit minimum")
        e = key.public_numbers().e
        # the rules of the embedded-key readers (JWK, XML-DSig): a 3,000-bit exponent made every
        # failed check a full-size exponentiation, 256 such keys 7 s (red team 48p-2)
        if key.key_size > jsf.MAX_RSA_BITS or e < 3 or e % 2 == 0 or e.bit_length() > 64:
            raise InputError(path, f"RSA key with an unusable size ({key.key_size} bits) or public exponent "
                                   f"({e.bit_length()} bits, {'even' if e % 2 == 0 else 'odd'}): not used")
        return key
    raise InputError(path, f"unsupported public key type {type(key).__name__}")


def load_public_keys(path: Path) -> list[PublicKey]:
    """Trusted keys from a PEM file (one or more ``PUBLIC KEY``/``RSA PUBLIC KEY`` blocks), a
    JWK, or a JWK set (``{"keys": [...]}``). Certificates and private keys are refused."""
    data = read_regular_file(path, MAX_KEY_FILE, what="key file")
    start = data.lstrip()[:1]
    if start in (b"{", b"["):
        return _load_jwks(path, data)
    try:
        blocks = pem_blocks(data)
    except ValueError as exc:
        raise InputError(path, f"not a PEM file: {exc}") from exc
    keys: list[PublicKey] = []
    for label, der in blocks:
        if label in ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"):
            raise InputError(path, "X.509 certificates are not accepted as trusted keys: mlbom does not check "
                             "certificate chains, validity or revocation; pass the public key "
                             "(openssl x509 -pubkey -noout -in CERT)")
        if "PRIVATE KEY" in label:
            raise InputError(path, "a private key: pass the public key (PREFIX.pub) as a trusted key")
        if label not in ("PUBLIC KEY", "RSA PUBLIC KEY"):
            raise InputError(path, f"unexpected PEM block {label!r} (PUBLIC KEY expected)")
        try:
            if label == "PUBLIC KEY":
                key: object = serialization.load_der_public_key(der)
            else:
                key = serialization.load_pem_public_key(
                    b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(der) + b"-----END RSA PUBLIC KEY-----\n")
        except Exception as exc:  # ValueError, UnsupportedAlgorithm: hostile DER
            raise InputError(path, f"not a usable public key ({type(exc).__name__})") from exc
        keys.append(_check_public(path, key))
    if not keys:
        raise InputError(path, "no public key found (PEM public key, JWK or JWK set expected)")
    return keys


def _load_jwks(path: Path, data: bytes) -> list[PublicKey]:
    try:
        doc = jsf.parse_json(data)
    except jsf.SignatureFormatError as exc:
        raise InputError(path, f"not a JWK: {exc}") from exc
    if not isinstance(doc, dict):
        raise InputError(path, "not a JWK (a JSON object expected)")
    if "keys" in doc:
        items = doc["keys"]
        if not isinstance(items, list) or not items:
            raise InputError(path, "JWK set: 'keys' must be a non-empty list")
        if len(items) > MAX_KEYS:
            raise InputError(path, f"JWK set: more than {MAX_KEYS} keys")
    else:
        items = [doc]
    keys: list[PublicKey] = []
    for i, jwk in enumerate(items):
        where = f"keys[{i}]" if "keys" in doc else None
        if not isinstance(jwk, dict):
            raise InputError(path, "a JWK must be a JSON object", at=where)
        private = _PRIVATE_JWK_MEMBERS & set(jwk)
        if private:
            raise InputError(path, f"a private JWK ({', '.join(sorted(private))}): pass the public key", at=where)
        for name, value in jwk.items():
            if name == "key_ops":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise InputError(path, "'key_ops' must be a list of strings", at=where)
            elif name in _JWK_MEMBERS and not isinstance(value, str):
                raise InputError(path, f"JWK member {name!r} must be a string", at=where)
        if "x5c" in jwk or "x5u" in jwk:
            raise InputError(path, "JWK certificates (x5c/x5u) are not accepted: mlbom does not check chains",
                             at=where)
        try:
            key = jsf.key_from_jwk({k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y", "n", "e")})
        except jsf.SignatureFormatError as exc:
            raise InputError(path, str(exc), at=where) from exc
        keys.append(_check_public(path, key))
    return keys


__all__ = ["DEFAULT_ALGORITHM", "MAX_KEY_FILE", "Algorithm", "check_key_encryption_cost", "generate_key", "key_paths", "load_private_key",
           "load_public_keys", "pem_blocks", "read_regular_file", "write_keypair"]
