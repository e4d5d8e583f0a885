"""Red team 89c (/work/redteam-89c), through the CLI.

89c-1: an index whose stored BOM document is a zlib bomb (a 1 MB blob inflating to 1 GiB): every
read of a stored document used ``zlib.decompress`` without a bound — 2 GB of memory, an internal
error (MemoryError) under a memory limit, or a 1 GiB file written by ``index get``. Stored documents
now inflate at most to the largest BOM mlbom reads (``MLBOM_MAX_BOM_BYTES``); past it, the
damaged-index line, exit 2.

89c-2: two file manifests of one signed BOM naming the same file (root ``a`` + entry ``x``, root
``.`` + entry ``a/x``) with different digests: the later silently replaced the earlier, and
``verify --artifacts`` said "1 verified", exit 0. A file two manifests list differently is now
refused ("listed twice with different digests"), as two file components are.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from mlbom import signing
from mlbom.cli import main
from mlbom.properties import Prop
from tests.helpers import quiet_output

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"


def _index(tmp_path: Path, capsys: Any) -> tuple[Path, str]:
    bom, db = tmp_path / "bom.json", tmp_path / "i.db"
    assert main(["generate", str(EXAMPLE), "--reproducible", "-o", str(bom)]) == 0
    assert main(["index", "add", str(bom), "--db", str(db)]) == 0
    quiet_output(capsys)
    return db, str(json.loads(bom.read_text())["serialNumber"])


def _bomb(db: Path, inflated: int, *, older_layout: bool = False) -> None:
    c = sqlite3.connect(db)
    c.execute("UPDATE mlbom_releases SET document=?", (zlib.compress(b" " * inflated, 9),))
    if older_layout:
        c.execute("UPDATE mlbom_meta SET value='3' WHERE key='vulnerabilities_indexed'")
    c.commit()
    c.close()


def test_89c_1_stored_document_bomb_is_the_damaged_index_line(tmp_path: Path, capsys: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    db, serial = _index(tmp_path, capsys)
    monkeypatch.setenv("MLBOM_MAX_BOM_BYTES", str(1 << 20))  # 1 MiB: the bomb below is 4 MiB
    _bomb(db, 4 << 20)
    out_file = tmp_path / "got.json"
    rc = main(["index", "get", serial, "--db", str(db), "-o", str(out_file)])
    _out, err = quiet_output(capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "inflates past" in err, err
    assert not out_file.exists() or out_file.stat().st_size < (1 << 20)


def test_89c_1_backfill_of_an_older_index_skips_the_bomb(tmp_path: Path, capsys: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    db, _ = _index(tmp_path, capsys)
    monkeypatch.setenv("MLBOM_MAX_BOM_BYTES", str(1 << 20))
    _bomb(db, 4 << 20, older_layout=True)
    bom = tmp_path / "bom.json"
    rc = main(["index", "add", str(bom), "--db", str(db)])
    quiet_output(capsys)
    assert rc in (0, 1, 2)


def test_89c_1_an_honest_document_still_comes_back(tmp_path: Path, capsys: Any) -> None:
    db, serial = _index(tmp_path, capsys)
    out_file = tmp_path / "got.json"
    assert main(["index", "get", serial, "--db", str(db), "-o", str(out_file)]) == 0
    quiet_output(capsys)
    assert json.loads(out_file.read_text())["serialNumber"] == serial


def _signed_two_manifests(tmp_path: Path, same: bool) -> tuple[Path, Path, Path]:
    rel, art, other = tmp_path / "rel", tmp_path / "rel" / "art", tmp_path / "other"
    (art / "a").mkdir(parents=True)
    other.mkdir()
    (art / "a" / "x").write_text("REAL\n")
    (other / "x").write_text("REAL\n" if same else "WHAT THE FIRST MANIFEST VOUCHES FOR\n")
    assert main(["manifest", "build", str(other), "-o", str(rel / "mA.manifest"), "--no-cache"]) == 0
    assert main(["manifest", "build", str(art), "-o", str(rel / "mB.manifest"), "--no-cache"]) == 0

    def comp(ref: str, name: str, root: str) -> dict[str, object]:
        sha = hashlib.sha256((rel / name).read_bytes()).hexdigest()
        return {"type": "data", "bom-ref": ref, "name": ref, "properties": [
            {"name": Prop.MANIFEST_PATH.value, "value": name}, {"name": Prop.MANIFEST_SHA256.value, "value": sha},
            {"name": Prop.MANIFEST_ROOT.value, "value": root}]}

    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "metadata": {"component": {"type": "application", "bom-ref": "root", "name": "root", "version": "1"}},
           "components": [comp("dsA", "mA.manifest", "a"), comp("dsB", "mB.manifest", ".")],
           "dependencies": [{"ref": "root", "dependsOn": ["dsA", "dsB"]}, {"ref": "dsA", "dependsOn": []},
                            {"ref": "dsB", "dependsOn": []}]}
    k = signing.generate_key("es256")
    pub = tmp_path / "k.pub"
    pub.write_bytes(k.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo))
    signed = rel / "bom.signed.json"
    signed.write_bytes(signing.sign(json.dumps(bom).encode(), k))
    return signed, pub, art


def test_89c_2_a_file_two_manifests_list_differently_is_refused(tmp_path: Path, capsys: Any) -> None:
    signed, pub, art = _signed_two_manifests(tmp_path, same=False)
    quiet_output(capsys)
    rc = main(["verify", str(signed), "--key", str(pub), "--artifacts", str(art)])
    out, err = quiet_output(capsys)
    assert rc == 1, (out, err)
    assert "listed twice with different digests" in out + err


def test_89c_2_two_manifests_agreeing_on_a_file_verify(tmp_path: Path, capsys: Any) -> None:
    signed, pub, art = _signed_two_manifests(tmp_path, same=True)
    quiet_output(capsys)
    rc = main(["verify", str(signed), "--key", str(pub), "--artifacts", str(art)])
    out, err = quiet_output(capsys)
    assert rc == 0, (out, err)
