"""Red team 85c: the input contract through the CLI (exit 0/1/2, a bad input is ONE line on stderr
and never "internal error"; nothing good is lost; a check that cannot be completed fails).

85c-1: ``verify --artifacts DIR`` followed a file manifest whose ``mlbom:manifest:root`` was
``../../outside``: it hashed a file outside DIR and reported it verified (exit 0). A manifest's
root and every path joined to it now follow the rule file components follow
(:mod:`mlbom.relpath`): one that leaves DIR is a refused entry, never read, and verify exits 1.

85c-2: an index (SQLite) whose TEXT columns hold BLOBs (or REALs, or an INTEGER column text) got
past the damaged-index guard: ``query`` and ``index releases`` ended in "internal error"
(``AttributeError``, ``TypeError``) and ``query --format csv`` printed ``b'1.0'``. Every value the
index is read for now passes one typed row reader (``mlbom.index._rows``): a wrong type is the
one-line "damaged" error, exit 2.

The inputs are written here.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from mlbom import signing
from mlbom.cli import main
from mlbom.properties import Prop
from tests.helpers import quiet_output


@pytest.fixture
def key(tmp_path: Path) -> tuple[signing.PrivateKey, Path]:
    k = signing.generate_key("es256")
    pub = tmp_path / "k.pub"
    pub.write_bytes(k.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo))
    return k, pub


def _release(tmp_path: Path, data: Path, root: str, key: tuple[signing.PrivateKey, Path], capsys: Any) -> Path:
    """A signed BOM in ``tmp_path/rel`` whose one data component names the manifest of ``data``
    (written beside the BOM) with ``root`` as its ``mlbom:manifest:root``."""
    rel = tmp_path / "rel"
    rel.mkdir(exist_ok=True)
    manifest = rel / "m.manifest"
    assert main(["manifest", "build", str(data), "-o", str(manifest), "--no-cache"]) == 0
    quiet_output(capsys)
    sha = hashlib.sha256(manifest.read_bytes()).hexdigest()
    props = [{"name": Prop.MANIFEST_PATH.value, "value": manifest.name},
             {"name": Prop.MANIFEST_SHA256.value, "value": sha},
             {"name": Prop.MANIFEST_ROOT.value, "value": root}]
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "metadata": {"component": {"type": "application", "bom-ref": "root", "name": "root", "version": "1"}},
           "components": [{"type": "data", "bom-ref": "ds", "name": "ds", "properties": props}],
           "dependencies": [{"ref": "root", "dependsOn": ["ds"]}, {"ref": "ds", "dependsOn": []}]}
    signed = rel / "bom.signed.json"
    signed.write_bytes(signing.sign(json.dumps(bom).encode(), key[0]))
    return signed


def _verify(signed: Path, pub: Path, folder: Path, capsys: Any) -> tuple[int, str, str]:
    rc = main(["verify", str(signed), "--key", str(pub), "--artifacts", str(folder)])
    out, err = quiet_output(capsys)
    return rc, out, err


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret\n")
    return outside


@pytest.mark.parametrize("root", ["../outside", "../../outside", "data/../../outside", "/ABS", "\\outside",
                                  "data\\..\\..\\outside", "da\0ta", "C:/outside"])
def test_85c_1_manifest_root_leaving_dir_fails(tmp_path: Path, key: tuple[signing.PrivateKey, Path], capsys: Any,
                                               root: str) -> None:
    outside = _outside(tmp_path)
    root = root.replace("/ABS", str(outside))
    signed = _release(tmp_path, outside, root, key, capsys)
    art = tmp_path / "rel" / "art"
    art.mkdir()
    rc, out, err = _verify(signed, key[1], art, capsys)
    assert rc == 1, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "leaves the artifact folder" in err, err
    assert "0 verified" in err and "1 refused" in err, err


def test_85c_1_honest_manifest_inside_dir_verifies(tmp_path: Path, key: tuple[signing.PrivateKey, Path],
                                                   capsys: Any) -> None:
    art = tmp_path / "art"
    (art / "data" / "sub").mkdir(parents=True)
    (art / "data" / "a.txt").write_text("a\n")
    (art / "data" / "sub" / "b.bin").write_bytes(b"\0b")
    for root in ("data", "./data/", "data/."):
        signed = _release(tmp_path, art / "data", root, key, capsys)
        rc, out, err = _verify(signed, key[1], art, capsys)
        assert rc == 0, (root, out, err)
        assert "2 listed, 2 verified" in out and "0 refused" in out, out


def test_85c_1_manifest_root_through_a_link_leaving_dir_fails(tmp_path: Path, key: tuple[signing.PrivateKey, Path],
                                                              capsys: Any) -> None:
    """The lexical rule passes ``data``; the folder it names is a link to outside DIR: refused, not read."""
    outside = _outside(tmp_path)
    art = tmp_path / "art"
    art.mkdir()
    os.symlink(outside, art / "data")
    signed = _release(tmp_path, outside, "data", key, capsys)
    rc, out, err = _verify(signed, key[1], art, capsys)
    assert rc == 1, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "0 verified" in err and "symbolic link" in err, err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_85c_1_manifest_entry_that_is_no_regular_file_fails(tmp_path: Path, key: tuple[signing.PrivateKey, Path],
                                                            capsys: Any) -> None:
    """A manifest entry that is a FIFO in DIR is refused, never opened (a read would block)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "pipe").write_text("x\n")
    signed = _release(tmp_path, src, "data", key, capsys)
    art = tmp_path / "art"
    (art / "data").mkdir(parents=True)
    os.mkfifo(art / "data" / "pipe")
    rc, out, err = _verify(signed, key[1], art, capsys)
    assert rc == 1, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "0 verified" in err and "data/pipe" in err, err


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"
INDEX_COMMANDS = (["query"], ["query", "--format", "json"], ["query", "--format", "csv"], ["query", "--licenses"],
                  ["query", "--vuln", "CVE-2099-0001"], ["index", "releases"], ["index", "releases", "--format", "csv"])


@pytest.fixture
def index_db(tmp_path: Path, capsys: Any) -> Path:
    """An honest index of the tiny release, with one vulnerability so ``--vuln`` reads a row."""
    bom = tmp_path / "tiny.json"
    assert main(["generate", str(EXAMPLE), "--reproducible", "--no-gpu", "-o", str(bom)]) == 0
    doc = json.loads(bom.read_text())
    ref = doc["components"][0]["bom-ref"]
    doc["vulnerabilities"] = [{"id": "CVE-2099-0001", "affects": [{"ref": ref}]}]
    bom.write_text(json.dumps(doc))
    db = tmp_path / "idx.db"
    assert main(["index", "add", str(bom), "--db", f"sqlite:///{db}"]) == 0
    quiet_output(capsys)
    return db


def _run(db: Path, args: list[str], capsys: Any) -> tuple[int, str, str]:
    full = [*args[:2], "--db", f"sqlite:///{db}", *args[2:]] if args[0] == "index" else \
        [args[0], "--db", f"sqlite:///{db}", *args[1:]]
    rc = main(full)
    out, err = quiet_output(capsys)
    return rc, out, err


def test_85c_2_honest_index_answers_every_question(index_db: Path, capsys: Any) -> None:
    for args in INDEX_COMMANDS:
        rc, out, err = _run(index_db, args, capsys)
        assert rc in (0, 1), (args, err)
        assert "damaged" not in err and out.strip(), (args, out, err)


@pytest.mark.parametrize(("schema", "damage"), [
    ("", "update mlbom_components set version = x'312e30'"),  # b'1.0' stored as a BLOB
    ("", "update mlbom_releases set name = x'6e'"),
    ("", "update mlbom_releases set bom_version = 'one'"),  # text in an INTEGER column
    ("", "update mlbom_vulnerabilities set severity = x'68'"),
    ("", "update mlbom_components set licenses = x'4d4954'"),
    # another tool's schema (no TEXT affinity): a REAL or an INTEGER where text is expected
    ("mlbom_components|version TEXT|version NUMERIC", "update mlbom_components set version = 1.5"),
    ("mlbom_releases|timestamp TEXT|timestamp NUMERIC", "update mlbom_releases set timestamp = 7"),
])
def test_85c_2_wrong_typed_value_is_the_damaged_index_error(index_db: Path, capsys: Any, schema: str,
                                                             damage: str) -> None:
    conn = sqlite3.connect(index_db)
    if schema:
        table, old, new = schema.split("|")
        conn.execute("pragma writable_schema=ON")
        conn.execute("update sqlite_master set sql = replace(sql, ?, ?) where name = ?", (old, new, table))
        conn.commit()
        conn.close()
        conn = sqlite3.connect(index_db)
    conn.execute(damage)
    conn.commit()
    conn.close()
    failed = 0
    for args in INDEX_COMMANDS:
        rc, out, err = _run(index_db, args, capsys)
        assert "b'" not in out, (args, out)  # never a bytes repr passed off as data
        if rc == 2:
            assert len(err.strip().splitlines()) == 1, (args, err)
            assert "damaged, or written by another tool" in err, (args, err)
            failed += 1
        else:  # a question that does not read the damaged column answers as usual
            assert rc in (0, 1) and "damaged" not in err, (args, err)
    assert failed >= 1, damage
