"""Red team 48p: hostile input through the CLI.

48p-1: a manifest line naming a file with a lone *high* surrogate (``"a\\ud800"``: JSON allows the
escape, no file name holds it) ended ``manifest diff``/``merge`` in "internal error"
(UnicodeEncodeError). 48p-2: PEM trusted keys with a 3,000-bit RSA public exponent made each
failed check a full-size exponentiation (7–10 s for a verify); they are refused as the JWK and
XML-DSig readers refuse them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from mlbom.errors import InputError
from mlbom.keys import load_public_keys


def test_48p_1_a_lone_high_surrogate_name_is_an_input_error(tmp_path: Path, capsys: Any) -> None:
    root = tmp_path / "d"
    root.mkdir()
    (root / "a").write_text("x")
    m1 = tmp_path / "m1.jsonl"
    assert main(["manifest", str(root), "-o", str(m1)]) == 0
    lines = m1.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["name"] = "a\ud800"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(lines[0] + "\n" + json.dumps(entry) + "\n")
    capsys.readouterr()
    assert main(["manifest", "diff", str(m1), str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "lone surrogate" in err[0], err


def test_48p_2_rsa_keys_with_a_huge_exponent_are_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    n = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_numbers().n
    e = (1 << 2040) + 1  # odd, below n
    pem = rsa.RSAPublicNumbers(e, n).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    path = tmp_path / "k.pem"
    path.write_bytes(pem)
    with pytest.raises(InputError, match="public exponent"):
        load_public_keys(path)
