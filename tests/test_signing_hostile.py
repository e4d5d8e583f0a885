"""The signing reproducers in ``tests/fixtures/hostile/signing`` (written by ``make.py`` there),
replayed through the CLI: every forged or malformed signed input exits 1, every hostile key file
exits 2, each with one line on stderr and never an internal error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mlbom.cli import main
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile" / "signing"
INPUTS = sorted(p.name for p in HOSTILE.iterdir() if p.suffix in (".json", ".xml") and p.name != "signed.json")
KEY_FILES = sorted(p.name for p in HOSTILE.iterdir() if p.suffix in (".jwks", ".pem"))


def _run(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str]:
    capsys.readouterr()
    start = time.perf_counter()
    rc = main(args)
    assert time.perf_counter() - start < 30
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    return rc, err


def test_the_untouched_original_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["verify", str(HOSTILE / "signed.json"), "--key", str(HOSTILE / "trusted.pub")]) == 0


@pytest.mark.parametrize("name", INPUTS)
def test_forged_input_fails_closed(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = _run(capsys, ["verify", str(HOSTILE / name), "--key", str(HOSTILE / "trusted.pub")])
    assert rc == 1, err
    assert "verification FAILED" in err


@pytest.mark.parametrize("name", [n for n in INPUTS if n != "jsf-extra-untrusted-signer.json"])
def test_forged_input_fails_even_trusting_the_embedded_key(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    # (an extra signer verifies under "trust whatever key is embedded": that is what the unsafe policy means)
    rc, err = _run(capsys, ["verify", str(HOSTILE / name), "--allow-embedded-key"])
    # a well-formed DSSE envelope carries no key: a usage error (2); everything else a failed check (1)
    assert rc == (2 if name in ("dsse-der-r-2pow300.json", "dsse-wrong-type.json") else 1), err


@pytest.mark.parametrize("name", KEY_FILES)
def test_hostile_key_file_is_an_error(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = _run(capsys, ["verify", str(HOSTILE / "signed.json"), "--key", str(HOSTILE / name)])
    assert rc == 2 and "mlbom: error:" in err


def test_repeated_pem_headers_are_linear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "headers.pem"
    big.write_bytes(b"-----BEGIN PUBLIC KEY-----\n" * 38_000)
    rc, err = _run(capsys, ["verify", str(HOSTILE / "signed.json"), "--key", str(big)])
    assert rc == 2 and "inside an open" in err


@pytest.mark.parametrize("text", ["YWJ=", "YWI", "YW I=", "YWI=\n", "YW-=", "YWI==", " YWI="])
def test_dsse_base64_has_one_spelling(text: str) -> None:
    """A DSSE payload or signature whose base64 decodes to the same bytes under another spelling
    (unused low bits set in the last character, missing padding, whitespace, the URL alphabet) is
    refused: an envelope that can change without breaking its signature is not the one signed."""
    from mlbom.dsse import b64_strict
    from mlbom.errors import VerificationError

    assert b64_strict("YWI=", "payload") == b"ab"
    with pytest.raises(VerificationError):
        b64_strict(text, "payload")
