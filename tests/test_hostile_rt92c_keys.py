"""Red team 92c, encrypted private keys (``sign --key``): the key file chose its own decryption cost.

92c-1: a PKCS#8 ``ENCRYPTED PRIVATE KEY`` asking for 2^40 PBKDF2 iterations made cryptography's
Rust code panic; ``pyo3_runtime.PanicException`` is a ``BaseException``, so it escaped every
handler: a Rust backtrace, a Python traceback and exit 1.

92c-2: 2^31-1 PBKDF2 iterations (~10 min) or scrypt p=1000 (43 s) from files under 440 bytes.

The ``EncryptedPrivateKeyInfo`` parameters are now read before anything is decrypted
(``keys.check_key_encryption_cost``) and a cost over ``limits.MAX_KEY_PBKDF2_ITERATIONS`` /
``MAX_KEY_SCRYPT_COST`` (or a scheme whose cost cannot be read) is one line, exit 2, with no
derivation run. The CLI's last handler also turns a PyO3 panic into one line, exit 2.

The inputs are written here.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from mlbom import cli, keys, signing
from mlbom.cli import main
from mlbom.limits import MAX_KEY_PBKDF2_ITERATIONS, MAX_KEY_SCRYPT_COST

BOM = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}


# ---- a small DER writer ------------------------------------------------------------------

def _len(n: int) -> bytes:
    if n < 128:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _len(len(value)) + value


def _seq(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _int(i: int) -> bytes:
    return _tlv(0x02, i.to_bytes((i.bit_length() + 8) // 8 or 1, "big", signed=True))


def _oct(b: bytes) -> bytes:
    return _tlv(0x04, b)


def _oid(dotted: str) -> bytes:
    parts = [int(x) for x in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for x in parts[2:]:
        enc = [x & 0x7F]
        x >>= 7
        while x:
            enc.append(0x80 | (x & 0x7F))
            x >>= 7
        out += bytes(reversed(enc))
    return _tlv(0x06, out)


def _pem(der: bytes) -> bytes:
    b = base64.b64encode(der).decode()
    lines = "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
    return f"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{lines}\n-----END ENCRYPTED PRIVATE KEY-----\n".encode()


_AES = _seq(_oid("2.16.840.1.101.3.4.1.42"), _oct(b"\0" * 16))


def _pbes2(kdf: bytes) -> bytes:
    return _pem(_seq(_seq(_oid("1.2.840.113549.1.5.13"), _seq(kdf, _AES)), _oct(b"\0" * 160)))


def _pbkdf2_key(iterations: int) -> bytes:
    return _pbes2(_seq(_oid("1.2.840.113549.1.5.12"),
                       _seq(_oct(b"\0" * 16), _int(iterations), _seq(_oid("1.2.840.113549.2.9"), b"\x05\x00"))))


def _scrypt_key(n: int, r: int, p: int) -> bytes:
    return _pbes2(_seq(_oid("1.3.6.1.4.1.11591.4.11"), _seq(_oct(b"\0" * 16), _int(n), _int(r), _int(p))))


def _pkcs12_key(iterations: int) -> bytes:  # pbeWithSHAAnd3-KeyTripleDES-CBC
    return _pem(_seq(_seq(_oid("1.2.840.113549.1.12.1.3"), _seq(_oct(b"\0" * 8), _int(iterations))),
                     _oct(b"\0" * 160)))


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the keys handed to cryptography to decrypt (the costly step)."""
    calls: list[int] = []
    real = keys.serialization.load_pem_private_key

    def counting(data: bytes, password: bytes | None = None, **kw: Any) -> Any:
        calls.append(1)
        return real(data, password=password, **kw)

    monkeypatch.setattr(keys.serialization, "load_pem_private_key", counting)
    return calls


def _sign(tmp_path: Path, key: bytes, capsys: Any, monkeypatch: pytest.MonkeyPatch,
          password: str = "x") -> tuple[int, str]:
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(BOM))
    path = tmp_path / "k.key"
    path.write_bytes(key)
    monkeypatch.setenv("MLBOM_KEY_PASSWORD", password)
    rc = main(["sign", str(bom), "--key", str(path), "-o", str(tmp_path / "out.json")])
    _out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err, err
    return rc, str(err)


@pytest.mark.parametrize("key", [
    pytest.param(_pbkdf2_key(2 ** 40), id="92c-1-pbkdf2-2^40"),
    pytest.param(_pbkdf2_key(2 ** 31 - 1), id="92c-2-pbkdf2-2^31"),
    pytest.param(_pbkdf2_key(20_000_000), id="92c-2-pbkdf2-20M"),
    pytest.param(_pbkdf2_key(MAX_KEY_PBKDF2_ITERATIONS + 1), id="pbkdf2-bound+1"),
    pytest.param(_pbkdf2_key(2 ** 200), id="pbkdf2-huge-integer"),
    pytest.param(_scrypt_key(16384, 8, 1000), id="92c-2-scrypt-p1000"),
    pytest.param(_scrypt_key(1 << 30, 1, 1), id="scrypt-huge-n"),
    pytest.param(_pkcs12_key(2 ** 31 - 1), id="pkcs12-pbe-2^31"),
])
def test_costly_key_is_one_line_before_any_derivation(tmp_path: Path, key: bytes, capsys: Any,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       derivations: list[int]) -> None:
    rc, err = _sign(tmp_path, key, capsys, monkeypatch)
    assert rc == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "costs too much to decrypt" in err
    assert derivations == []  # refused before cryptography saw the key
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("der", [
    pytest.param(_seq(_seq(_oid("1.2.3.4"), b"\x05\x00"), _oct(b"\0" * 16)), id="unknown-scheme"),
    pytest.param(_seq(_seq(_oid("1.2.840.113549.1.5.13"),
                           _seq(_seq(_oid("1.2.3.4"), _seq(_oct(b"\0"))), _AES)), _oct(b"\0")), id="unknown-kdf"),
    pytest.param(b"\x30\x84\xff\xff\xff\xff", id="overrun"),
    pytest.param(_seq(_seq(_oid("1.2.840.113549.1.5.13"), _seq(_seq(_oid("1.2.840.113549.1.5.12"),
                 _seq(_oct(b"\0"), _tlv(0x02, b"\xff"))), _AES)), _oct(b"\0")), id="negative-count"),
])
def test_unreadable_encryption_parameters_are_refused(tmp_path: Path, der: bytes, capsys: Any,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      derivations: list[int]) -> None:
    rc, err = _sign(tmp_path, _pem(der), capsys, monkeypatch)
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "cannot read its encryption parameters" in err
    assert derivations == []


def test_keygen_encrypted_key_still_signs(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch,
                                          derivations: list[int]) -> None:
    """Nothing good is lost: a key ``mlbom keygen`` encrypts (cryptography's 2,048 iterations),
    and the same key re-encrypted at the bound and with OpenSSL's scrypt defaults, still sign."""
    k = signing.generate_key("es256")
    pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.BestAvailableEncryption(b"pw"))
    rc, err = _sign(tmp_path, pem, capsys, monkeypatch, password="pw")
    assert rc == 0, err
    assert derivations == [1]
    pub = tmp_path / "k.pub"
    pub.write_bytes(k.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo))
    assert main(["verify", str(tmp_path / "out.json"), "--key", str(pub)]) == 0
    capsys.readouterr()
    openssl = shutil.which("openssl")
    if openssl is None:
        return
    plain = tmp_path / "plain.key"
    plain.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    for extra in (["-v2", "aes-256-cbc", "-iter", str(MAX_KEY_PBKDF2_ITERATIONS)], ["-scrypt"]):
        enc = subprocess.run([openssl, "pkcs8", "-topk8", "-in", str(plain), "-passout", "pass:pw", *extra],
                             capture_output=True, check=True).stdout
        (tmp_path / "out.json").unlink()
        rc, err = _sign(tmp_path, enc, capsys, monkeypatch, password="pw")
        assert rc == 0, (extra, err)


def test_scrypt_bound_admits_openssl_defaults() -> None:
    assert MAX_KEY_SCRYPT_COST >= 16384 * 8 * 1
    assert MAX_KEY_PBKDF2_ITERATIONS >= 600_000


def test_native_panic_is_one_line_exit_2(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PyO3 panic (a ``BaseException``) reaching the CLI is one line, exit 2; KeyboardInterrupt
    and SystemExit are not swallowed by that handler."""
    panic: type[BaseException] = type("PanicException", (BaseException,), {"__module__": "pyo3_runtime"})

    def boom(*_a: Any, **_k: Any) -> Any:
        raise panic("called `Result::unwrap()` on an `Err` value: TryFromIntError(PosOverflow)")

    monkeypatch.setattr(signing, "load_private_key", boom)
    key = tmp_path / "k.key"
    key.write_bytes(b"x")
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(BOM))
    rc = main(["sign", str(bom), "--key", str(key), "-o", str(tmp_path / "o.json")])
    _out, err = capsys.readouterr()
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "native library failed" in err, err
    assert cli._is_native_panic(panic("x"))
    assert not cli._is_native_panic(KeyboardInterrupt())
    assert not cli._is_native_panic(SystemExit(3))

    def stop(*_a: Any, **_k: Any) -> Any:
        raise SystemExit(7)

    monkeypatch.setattr(signing, "load_private_key", stop)
    with pytest.raises(SystemExit):
        main(["sign", str(bom), "--key", str(key), "-o", str(tmp_path / "o.json")])
