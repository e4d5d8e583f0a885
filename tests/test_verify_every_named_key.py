"""``verify --require-every-key --key A --key B`` requires that A and B both signed (red team
15b, the stripped co-signer): JSF ``signers`` entries can be removed from a two-signer BOM and what
is left still verifies. Without the flag the keys are a trust set (CONTRACT.md): a BOM signed by A
verifies under ``--key A --key B``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom import jsf
from mlbom.cli import main
from tests.helpers import es256_key_files


def _keys(folder: Path, name: str) -> tuple[Path, Path, str]:
    key, priv, pub = es256_key_files(folder, name)
    return priv, pub, jsf.key_id(key.public_key())  # type: ignore[attr-defined]


def test_a_stripped_co_signer_fails_when_both_keys_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []}))
    k1, p1, id1 = _keys(tmp_path, "k1")
    k2, p2, id2 = _keys(tmp_path, "k2")
    s1, s2 = tmp_path / "s1.json", tmp_path / "s2.json"
    assert main(["-q", "sign", "--key", str(k1), str(bom), "-o", str(s1)]) == 0
    assert main(["-q", "sign", "--add", "--key", str(k2), str(s1), "-o", str(s2)]) == 0
    assert main(["-q", "verify", "--key", str(p1), "--key", str(p2), str(s2)]) == 0
    doc = json.loads(s2.read_text())
    doc["signature"]["signers"] = doc["signature"]["signers"][:1]  # B's signature removed
    stripped = tmp_path / "stripped.json"
    stripped.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["-q", "verify", "--key", str(p1), "--key", str(p2), str(stripped)]) == 0  # a trust set
    assert main(["-q", "verify", "--require-every-key", "--key", str(p1), "--key", str(p2), str(stripped)]) == 1
    assert "every key named must have signed" in capsys.readouterr().err
    assert main(["-q", "verify", "--key", str(p1), str(stripped)]) == 0  # A alone is what was asked
    assert main(["-q", "verify", "--key", str(p2), str(stripped)]) == 1  # an untrusted signer, as before
    # --key-id: each one named must be a signer's key
    assert main(["-q", "verify", "--require-every-key", "--key-id", id1, "--key-id", id2, str(s2)]) == 0
    assert main(["-q", "verify", "--require-every-key", "--key-id", id1, "--key-id", id2, str(stripped)]) == 1
    # a keyring of one party (two keys in one JWK set / PEM file): one of its keys suffices
    ring = tmp_path / "ring.pem"
    ring.write_bytes(p1.read_bytes() + p2.read_bytes())
    assert main(["-q", "verify", "--require-every-key", "--key", str(ring), str(stripped)]) == 0
    assert main(["-q", "verify", "--require-every-key", str(stripped)]) == 2  # nothing to require
