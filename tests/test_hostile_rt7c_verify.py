"""Red team 7c's verifier, manifest, cache and audit findings (F1, F4, F6, F7, F11), replayed.

F1: ``verify --artifacts`` hashed the manifest beside the BOM by name and then opened it again
to parse it, so a rename in between made an altered artifact verify. F4: ``audit`` wrote
``10.0`` where RFC 8785 writes ``10`` and ``sign`` then refused mlbom's own output. F6: a hash
cache row with a 64-character non-hex digest crashed the manifest writer or was written as is.
F7: a manifest header's ``root`` of ``/`` made ``generate`` hash host files. F11: one signature
copied N times verified as N signers.
"""

from __future__ import annotations

import builtins
import json
import os
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from mlbom import jsonout, signing
from mlbom.cli import main
from mlbom.manifest import format as manifest_format
from mlbom.manifest.build import build_manifest
from mlbom.manifest.cache import FolderRecord, HashCache
from tests.helpers import cli_within_contract, es256_key_files

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"


def _keys(folder: Path, name: str = "k") -> tuple[signing.PrivateKey, Path, Path]:
    key, priv, pub = es256_key_files(folder, name)
    return key, priv, pub  # type: ignore[return-value]


@pytest.fixture
def release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A release folder (``rel/``: ``data/f.txt``, its manifest ``m.jsonl``, a signed BOM that
    references it) whose ``data/f.txt`` was then altered; ``evil.jsonl`` lists the altered file.
    Returns (release folder, public key)."""
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    rel = tmp_path / "rel"
    (rel / "data").mkdir(parents=True)
    (rel / "data" / "f.txt").write_text("good\n")
    key, _, pub = _keys(tmp_path)
    monkeypatch.chdir(rel)
    assert main(["-q", "manifest", "build", "data", "-o", "m.jsonl", "--no-cache"]) == 0
    assert main(["-q", "generate", "--dataset-manifest", "m.jsonl", "-o", "bom.json", "--no-cache"]) == 0
    (rel / "bom.signed.json").write_bytes(signing.sign((rel / "bom.json").read_bytes(), key))
    assert main(["-q", "verify", "--key", str(pub), "bom.signed.json", "--artifacts", ".", "--listed-only"]) == 0
    (rel / "data" / "f.txt").write_text("evil\n")
    assert main(["-q", "manifest", "build", "data", "-o", str(tmp_path / "evil.jsonl"), "--no-cache"]) == 0
    assert len((tmp_path / "evil.jsonl").read_bytes()) == len((rel / "m.jsonl").read_bytes())
    return rel, pub


def _verify(rel: Path, pub: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(["-q", "verify", "--key", str(pub), str(rel / "bom.signed.json"), "--artifacts", str(rel), "--listed-only"])
    out, err = capsys.readouterr()
    assert "internal error" not in err
    return rc, out + err


def test_f1_manifest_swapped_after_it_was_opened_does_not_verify(release: tuple[Path, Path],
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The red team's race made deterministic: right after the first open of ``m.jsonl`` (by
    any route), the name is renamed over by the manifest that lists the altered file. The
    bytes parsed must be the bytes hashed, so the altered file is still caught."""
    rel, pub = release
    evil = rel.parent / "evil.jsonl"
    assert _verify(rel, pub, capsys)[0] == 1  # no race: the altered file is caught
    real_os_open, real_open = os.open, builtins.open
    swapped: list[str] = []

    def swap(path: object) -> None:
        if not swapped and str(path).endswith("m.jsonl"):
            swapped.append(str(path))
            shutil.copyfile(evil, rel / "m.new")
            os.replace(rel / "m.new", rel / "m.jsonl")

    def os_open(path: object, *a: object, **k: object) -> int:
        fd = real_os_open(path, *a, **k)  # type: ignore[arg-type]
        swap(path)
        return fd

    def open_(path: object, *a: object, **k: object) -> object:
        f = real_open(path, *a, **k)  # type: ignore[call-overload]
        swap(path)
        return f

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", open_)
    rc, out = _verify(rel, pub, capsys)
    monkeypatch.undo()
    assert swapped, "the manifest was never opened"
    assert rc == 1, out
    assert "artifact modified: data/f.txt" in out


def test_f1_manifest_rewritten_in_place_between_hash_and_parse_fails(release: tuple[Path, Path],
                                                                    capsys: pytest.CaptureFixture[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing into the same file (same inode) after its digest was checked: what was parsed no
    longer has the BOM's digest, and the read ends in a failure."""
    rel, pub = release
    evil = (rel.parent / "evil.jsonl").read_bytes()
    real = manifest_format._digest_fd

    def then_rewrite(path: Path, fd: int) -> str:
        got = real(path, fd)
        with builtins.open(path, "r+b") as f:
            f.write(evil)
        return got

    monkeypatch.setattr(manifest_format, "_digest_fd", then_rewrite)
    rc, out = _verify(rel, pub, capsys)
    assert rc == 1, out
    assert "changed while it was read" in out


def test_f1_a_manifest_that_is_a_symbolic_link_is_refused(release: tuple[Path, Path],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    rel, pub = release
    (rel.parent / "good.jsonl").write_bytes((rel / "m.jsonl").read_bytes())
    (rel / "data" / "f.txt").write_text("good\n")
    assert _verify(rel, pub, capsys)[0] == 0
    (rel / "m.jsonl").unlink()
    (rel / "m.jsonl").symlink_to(rel.parent / "good.jsonl")
    rc, out = _verify(rel, pub, capsys)
    assert rc == 1 and "symbolic link" in out, out


@pytest.mark.slow
def test_f1_racing_renames_never_verify(release: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """The red team's race (``inputs/racer.py``), in a thread: the manifest flips by rename
    between the signed one and one listing the altered file while verification runs."""
    rel, pub = release
    good, evil = rel.parent / "good.jsonl", rel.parent / "evil.jsonl"
    shutil.copyfile(rel / "m.jsonl", good)
    stop = threading.Event()

    def race() -> None:
        while not stop.is_set():
            for src in (good, evil):
                shutil.copyfile(src, rel / "m.tmp")
                os.replace(rel / "m.tmp", rel / "m.jsonl")

    t = threading.Thread(target=race)
    t.start()
    try:
        codes = [_verify(rel, pub, capsys)[0] for _ in range(60)]
    finally:
        stop.set()
        t.join()
    assert 0 not in codes


def test_f4_audit_output_is_signed_and_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """generate → audit → sign (JSF and DSSE) → verify with a CVSS 3.1 base score of 10.0."""
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", "metadata": {"timestamp": "2024-01-01T00:00:00Z"},
        "components": [{"type": "library", "bom-ref": "pkg:pypi/torch@2.1.0", "name": "torch", "version": "2.1.0",
                        "purl": "pkg:pypi/torch@2.1.0"}]}))
    _, priv, pub = _keys(tmp_path)
    audited = tmp_path / "audited.json"
    assert main(["-q", "audit", str(bom), "--vuln-db", str(HOSTILE.parent / "osv" / "rt7c-cvss-10"), "-o", str(audited)]) == 0
    assert '"score": 10,' in audited.read_text()
    assert main(["-q", "sign", "--key", str(priv), str(audited), "-o", str(tmp_path / "s.json")]) == 0
    assert main(["-q", "sign", "--dsse", "--key", str(priv), str(audited), "-o", str(tmp_path / "s.dsse")]) == 0
    assert main(["-q", "verify", "--key", str(pub), str(tmp_path / "s.json")]) == 0
    assert main(["-q", "verify", "--key", str(pub), str(tmp_path / "s.dsse"), "--bom", str(audited)]) == 0
    capsys.readouterr()


def test_f4_the_document_writer_spells_numbers_as_rfc_8785() -> None:
    doc = {"a": 10.0, "b": 3e-06, "c": [1.5, 7.0, {"d": -0.0}], "e": 2, "f": 1e21}
    assert json.loads(jsonout.dump_document(doc)) == json.loads('{"a":10,"b":0.000003,"c":[1.5,7,{"d":0}],"e":2,"f":1e+21}')
    text = jsonout.dump_document(doc).decode()
    assert '"a": 10,' in text and '"b": 0.000003' in text and "7.0" not in text and "e-06" not in text


@pytest.mark.parametrize("value", ["é" * 64, b"A" * 64, '"' + "a" * 63, "A" * 64, 12345, "g" * 64])
def test_f6_hostile_per_file_cache_rows_are_misses(tmp_path: Path, value: object) -> None:
    """SQLite columns are untyped: a digest that is not 64 lower-case hex characters of type
    text is a miss (rehashed), never a crash or a line written with it."""
    root = tmp_path / "data"
    root.mkdir()
    (root / "a.txt").write_text("hello\n")
    (root / "b.txt").write_text("world\n")
    cache = HashCache(tmp_path / "cache")
    first = build_manifest(root, tmp_path / "m0.jsonl", cache=cache, workers=1)
    cache.close()
    con = sqlite3.connect(tmp_path / "cache" / "hashes.sqlite3")
    con.execute("DELETE FROM folders")  # the per-file way (schema 1 rows, and folders that differ from their record)
    assert con.execute("UPDATE files SET sha256 = ?", (value,)).rowcount == 2
    con.commit()
    con.close()
    cache = HashCache(tmp_path / "cache")
    again = build_manifest(root, tmp_path / "m1.jsonl", cache=cache, workers=1)
    cache.close()
    assert cache.hits == 0
    assert again.sha256 == first.sha256


@pytest.mark.parametrize("fmt", [b"\xff", "par\"quet", "é", "x" * 40, "A B"])
def test_f6_hostile_format_names_in_cache_are_misses(tmp_path: Path, fmt: object) -> None:
    cache = HashCache(tmp_path / "cache")
    cache.store_folder(1, 2, FolderRecord(b"a", bytes(40), bytes(32), "parquet"))
    cache.store((1, 3, 4, 5, 6), "a" * 64, "parquet")
    cache.flush()
    assert cache.folder(1, 2) is not None and cache.lookup([(1, 3, 4, 5, 6)])[0] == ("a" * 64, "parquet")
    cache.close()
    con = sqlite3.connect(tmp_path / "cache" / "hashes.sqlite3")
    con.execute("UPDATE folders SET fmts = ?", (fmt,))
    con.execute("UPDATE files SET fmt = ?", (fmt,))
    con.commit()
    con.close()
    cache = HashCache(tmp_path / "cache")
    assert cache.folder(1, 2) is None
    assert cache.lookup([(1, 3, 4, 5, 6)]) == [None]
    cache.close()


@pytest.mark.parametrize("name", ["m-root-slash", "m-root-empty", "m-root-surrogate"])
def test_f7_a_manifest_root_that_is_not_a_folder_name_is_refused(name: str, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _, err = cli_within_contract(["generate", "--dataset-manifest", str(HOSTILE / "manifest-root" / f"{name}.jsonl"),
                                  "-o", str(tmp_path / "bom.json"), "--no-cache"], capsys, want={2})
    assert "header root" in err and "pydantic" not in err
    assert not (tmp_path / "bom.json").exists()


@pytest.mark.parametrize("root", ["..", ".", "a/b", "/etc", "a\\b", "x\x1by", "c:"])
def test_f7_header_roots_are_plain_folder_names(root: str, tmp_path: Path) -> None:
    m = tmp_path / "m.jsonl"
    m.write_text(json.dumps({"mlbom-manifest": 1, "root": root, "algorithm": "sha256"}) + "\n")
    with pytest.raises(manifest_format.InputError, match="header root"):
        manifest_format.ManifestReader(m)


def test_f7_a_root_that_is_a_symbolic_link_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """``data`` beside the manifest is a link to another folder: the sample is not re-hashed
    there (the dataset folder is "not reachable")."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.txt").write_text("s\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret.txt").write_text("x\n")
    monkeypatch.chdir(tmp_path)
    assert main(["-q", "manifest", "build", "data", "-o", "m.jsonl", "--no-cache"]) == 0
    shutil.rmtree(tmp_path / "data")
    (tmp_path / "data").symlink_to(tmp_path / "elsewhere")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["-q", "generate", "--dataset-manifest", str(tmp_path / "m.jsonl"), "-o", "bom.json", "--no-cache"]) == 0
    text = (work / "bom.json").read_text()
    assert "not reachable" in text and "dataset.manifest-mismatch" not in text
    capsys.readouterr()


def test_f11_a_copied_dsse_signature_is_not_a_second_signer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []}))
    _, priv, pub = _keys(tmp_path)
    env = tmp_path / "b.dsse"
    assert main(["-q", "sign", "--dsse", "--key", str(priv), str(bom), "-o", str(env)]) == 0
    assert main(["-q", "verify", "--key", str(pub), str(env)]) == 0
    doc = json.loads(env.read_text())
    doc["signatures"] = doc["signatures"] * 3
    env.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["-q", "verify", "--key", str(pub), str(env)]) == 1
    assert "same key" in capsys.readouterr().err


def test_f11_jsf_co_signer_replaced_by_a_copy_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []}))
    _, k1, p1 = _keys(tmp_path, "k1")
    _, k2, p2 = _keys(tmp_path, "k2")
    assert main(["-q", "sign", "--key", str(k1), str(bom), "-o", str(tmp_path / "s1.json")]) == 0
    assert main(["-q", "sign", "--add", "--key", str(k2), str(tmp_path / "s1.json"), "-o", str(tmp_path / "s2.json")]) == 0
    assert main(["-q", "verify", "--key", str(p1), "--key", str(p2), str(tmp_path / "s2.json")]) == 0
    doc = json.loads((tmp_path / "s2.json").read_text())
    doc["signature"]["signers"] = [doc["signature"]["signers"][0]] * 2
    (tmp_path / "s3.json").write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["-q", "verify", "--key", str(p1), "--key", str(p2), str(tmp_path / "s3.json")]) == 1
    assert "same key" in capsys.readouterr().err
    # and mlbom does not write such a BOM: the same key cannot be added twice
    assert main(["-q", "sign", "--add", "--key", str(k1), str(tmp_path / "s1.json"), "-o", str(tmp_path / "s4.json")]) == 2
    assert "already signs" in capsys.readouterr().err
