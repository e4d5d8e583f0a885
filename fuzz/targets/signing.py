"""Fuzz targets for signature handling: strict JSON (JSF input), JSF/XML-DSig/DSSE verification
under a fixed trusted key, DSSE envelope and statement parsing, and key-file loading.

Contract: only mlbom's own errors (``MlbomError``: ``VerificationError`` for a failed check,
``InputError``/``UsageError`` for input that is not a BOM, envelope or key); and no input may
*verify* — the fuzzer holds no private key, so a pass is a forgery and is reported as a crash.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from functools import cache
from pathlib import Path

import signxml.verifier  # noqa: F401  (imported up front: the first input must not pay for imports)

from fuzz.harness import ROOT, Target
from mlbom import dsse, jsf
from mlbom.errors import MlbomError
from mlbom.keys import load_private_key, load_public_keys
from mlbom.trust import TrustPolicy
from mlbom.verification import DsseInput, parse, verify_bytes

HOSTILE = "tests/fixtures/hostile/signing/"
_KEY = ROOT / HOSTILE / "trusted.pub"


class Forgery(Exception):
    """An input the fuzzer made verified: never allowed."""


@cache
def _policy() -> TrustPolicy:
    return TrustPolicy.from_keys(load_public_keys(_KEY))


@cache
def _original() -> bytes:
    return (ROOT / HOSTILE / "signed.json").read_bytes()


def _verify(data: bytes) -> None:
    verify_bytes(data, _policy(), name="<fuzz>")
    if data != _original():
        import json

        try:  # only a whitespace-level change of the legitimately signed BOM may verify
            if json.loads(data) == json.loads(_original()):
                return
        except ValueError:
            pass
        raise Forgery("an input the fuzzer made verified under the trusted key")


def _jsf_parse(data: bytes) -> None:
    with contextlib.suppress(jsf.SignatureFormatError):
        jsf.parse_json(data)
    parse(data, "<fuzz>")


def _dsse_parse(data: bytes) -> None:
    parsed = parse(data, "<fuzz>")
    if isinstance(parsed, DsseInput):
        dsse.parse_statement(parsed.envelope.payload)
        dsse.verify_envelope(parsed.envelope, _policy())


def _keys(data: bytes) -> None:
    fd, name = tempfile.mkstemp(prefix="mlbom-fuzz-key-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        with contextlib.suppress(MlbomError):
            load_public_keys(Path(name))
        load_private_key(Path(name))
    finally:
        os.unlink(name)


TARGETS = [
    Target("signing.jsf_parse", _jsf_parse, seeds=(HOSTILE + "*.json", "tests/fixtures/jsf/*.json",
                                                   "../shared/corpus/jsf/openkeystore/json-signatures/*.json"),
           allowed=(MlbomError,), description="strict JSON (I-JSON, |n| <= 2**53 - 1 in RFC 8785 form, duplicates) and input kind"),
    Target("signing.jsf_verify", _verify, seeds=(HOSTILE + "*.json",), allowed=(MlbomError,),
           description="JSF verification under a fixed trusted key: errors only, never a pass"),
    Target("signing.xmldsig_verify", _verify, seeds=(HOSTILE + "*.xml",), allowed=(MlbomError,),
           description="XML-DSig verification under a fixed trusted key: errors only, never a pass"),
    Target("signing.dsse_parse", _dsse_parse, seeds=(HOSTILE + "dsse-*.json",), allowed=(MlbomError,),
           description="DSSE envelope, in-toto statement and signature checks"),
    Target("signing.keys", _keys, seeds=(HOSTILE + "*.pem", HOSTILE + "*.jwks", HOSTILE + "trusted.*",
                                         "tests/fixtures/jsf/*.pem", "tests/fixtures/jsf/*.jwk"),
           allowed=(MlbomError,), max_len=1 << 16, description="PEM/JWK/JWKS public and private key loading"),
]
