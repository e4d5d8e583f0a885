"""Red team 10c, the trust chain: the SHA-256 a BOM records for a scanned file is computed in
this run from exactly the bytes the scanner judged, at every size (B1/B1d/B2/B3), and the card
and config are read from the bytes recorded (L1).

The race is simulated as the red team ran it: the file is rewritten in place through a shared
mapping whose page is already dirty, which moves no size, mtime or ctime, between the hash pass
and the scan. Files above :data:`mlbom.scanner.MAX_SNAPSHOT_BYTES` are the ones read twice;
the line is lowered to 64 KiB so that the files stay small."""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

from mlbom import scanner
from mlbom.cli import main
from mlbom.hashing import VerifiedReader, stat_key

EVIL = b"cos\nsystem\n(S'true'\ntR."  # never loaded: bytes for the scanner
LINE = 64 << 10
PAD = 3 << 20  # past the line, and more than one verified chunk


def _benign_and_evil() -> tuple[bytes, bytes]:
    benign = pickle.dumps({"weights": [1, 2, 3, 4], "bias": 0}, protocol=0)
    assert len(benign) > len(EVIL)
    return benign + b"\0" * PAD, EVIL.ljust(len(benign), b" ") + b"\0" * PAD


@contextmanager
def _dirty_mapping(f: Path) -> Iterator[mmap.mmap]:
    """A shared mapping of ``f`` whose pages are already dirty: writing them again moves no
    time stamp (the kernel updates them on the first write fault after a writeback only)."""
    with f.open("r+b") as fh:
        os.fsync(fh.fileno())  # blocks allocated now: a journal commit later does not write the pages back
        mm = mmap.mmap(fh.fileno(), 0)
        try:
            mm[:64] = mm[:64]  # dirty the page now, before anything stats or hashes the file
            yield mm
        finally:
            mm.close()


def _rewrite_before_the_scan(monkeypatch: pytest.MonkeyPatch, mm: mmap.mmap, data: bytes, f: Path) -> list[bool]:
    """Rewrite the mapping with ``data`` when the scan starts reading, once the hash pass of
    the scanned descriptor (if the scan takes one) has read the whole file. Returns a list
    that holds True if the rewrite left the file's stat unchanged (what the test needs)."""
    real = scanner.scan_stream
    silent: list[bool] = []

    def racing(fh: IO[bytes], *a: Any, **kw: Any) -> str:
        if not silent:
            raw = getattr(fh, "raw", None)
            if isinstance(raw, VerifiedReader):
                raw.hashed.result()  # the digest is taken: now the bytes change under the scan
            before = stat_key(os.stat(f))
            n = next(i for i in range(len(data), 0, -1) if mm[i - 1] != data[i - 1])  # the bytes that differ:
            mm[:n] = data[:n]  # all in the first page, the one already dirty
            silent.append(stat_key(os.stat(f)) == before)
        return real(fh, *a, **kw)

    monkeypatch.setattr(scanner, "scan_stream", racing)
    return silent


def _judged_and_recorded(sha: str | None, verdict: str, findings: list[str], benign: bytes, evil: bytes) -> None:
    """The property: a digest recorded is of the bytes that got the verdict."""
    if sha is None:
        assert verdict == "error" and scanner.CHANGED_DURING_SCAN in findings
    elif sha == hashlib.sha256(benign).hexdigest():
        pytest.fail(f"the BOM records the benign bytes' digest for a file judged {verdict} from other bytes"
                    if verdict == "unsafe" else "the benign digest with a verdict on the rewritten bytes")
    else:
        assert sha == hashlib.sha256(evil).hexdigest() and verdict == "unsafe"


def test_scan_file_large_rewritten_in_place_after_the_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanner, "MAX_SNAPSHOT_BYTES", LINE)
    benign, evil = _benign_and_evil()
    f = tmp_path / "model.pkl"
    f.write_bytes(benign)
    with _dirty_mapping(f) as mm:
        silent = _rewrite_before_the_scan(monkeypatch, mm, evil, f)
        sc = scan_file_hashed(f)
    if not silent[0]:
        pytest.skip("this file system moves the time stamps on a write through a dirty mapping")
    assert sc.verdict == "error" and sc.sha256 is None
    assert any(x.id == scanner.CHANGED_DURING_SCAN for x in sc.findings)


def scan_file_hashed(f: Path) -> scanner.FileScan:
    return scanner.scan_file(f, with_hash=True)


def _race_through_generate(monkeypatch: pytest.MonkeyPatch, f: Path, out: Path, args: list[str], manifest: bool,
                           benign: bytes, evil: bytes) -> str:
    """``generate`` with ``f`` rewritten through a dirty shared mapping between its hash and its
    scan (after a first run that fills the hash cache, in manifest mode): the BOM records the
    digest of the bytes judged, never the benign digest. Returns the BOM text."""
    with _dirty_mapping(f) as mm:
        if manifest:
            main(args)  # a first run: the benign digest goes into the hash cache
        silent = _rewrite_before_the_scan(monkeypatch, mm, evil, f)
        main(args)
        text = out.read_text()
    if not silent[0]:
        pytest.skip("this file system moves the time stamps on a write through a dirty mapping")
    doc = json.loads(text)
    comp = next(c for c in doc["components"] if c.get("type") == "file" and c["name"] == f.name)
    props = {p["name"]: p["value"] for p in comp["properties"]}
    sha = comp["hashes"][0]["content"] if comp.get("hashes") else None
    ids = [scanner.CHANGED_DURING_SCAN] if scanner.CHANGED_DURING_SCAN in text else []
    _judged_and_recorded(sha, props["mlbom:safety:verdict"], ids, benign, evil)
    assert hashlib.sha256(benign).hexdigest() not in text  # not in the manifest either
    return text


@pytest.mark.parametrize("manifest", [False, True], ids=["inline", "manifest"])
def test_model_file_rewritten_in_place_between_hash_and_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              manifest: bool) -> None:
    """B1: a model file over the snapshot line was hashed through another open (inline) or its
    digest came from the hash cache (manifest), and the scan judged other bytes."""
    monkeypatch.setattr(scanner, "MAX_SNAPSHOT_BYTES", LINE)
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    benign, evil = _benign_and_evil()
    m = tmp_path / "m"
    m.mkdir()
    f = m / "model.pkl"
    f.write_bytes(benign)
    out = tmp_path / "bom.json"
    args = ["-q", "generate", "--no-gpu", "--model", str(m), "-o", str(out)] + (
        ["--max-file-components", "0"] if manifest else [])
    text = _race_through_generate(monkeypatch, f, out, args, manifest, benign, evil)
    if manifest:
        assert scanner.CHANGED_DURING_SCAN in text


@pytest.mark.parametrize("manifest", [False, True], ids=["inline", "manifest"])
def test_dataset_file_rewritten_in_place_between_hash_and_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                manifest: bool) -> None:
    """B2/B3: a dataset's pickle hashed by the hash pass (or from the cache), then scanned."""
    monkeypatch.setattr(scanner, "MAX_SNAPSHOT_BYTES", LINE)
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    benign, evil = _benign_and_evil()
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "train.csv").write_text("a,b\n1,2\n")
    f = ds / "batch.pkl"
    f.write_bytes(benign)
    out = tmp_path / "bom.json"
    args = ["-q", "generate", "--no-gpu", "--dataset", str(ds), "-o", str(out)] + (
        ["--max-file-components", "0"] if manifest else [])
    _race_through_generate(monkeypatch, f, out, args, manifest, benign, evil)


def test_verified_reader_serves_the_hashed_bytes(tmp_path: Path) -> None:
    """Without a race, a verified read is the file: every offset, across chunk ends, to the end."""
    from mlbom.hashing import CHUNK, ChunkedHash

    data = bytes(range(256)) * ((2 * CHUNK + 12345) // 256)
    f = tmp_path / "x"
    f.write_bytes(data)
    fd = os.open(f, os.O_RDONLY)
    try:
        h = ChunkedHash(fd)
        r = VerifiedReader(h, len(data))
        r.seek(CHUNK - 10)
        assert r.read(20) == data[CHUNK - 10:CHUNK + 10]
        r.seek(-5, os.SEEK_END)
        assert r.read(100) == data[-5:]
        r.seek(0)
        assert r.readall() == data
        assert h.result().sha256 == hashlib.sha256(data).hexdigest() and not r.changed
    finally:
        os.close(fd)


def test_config_and_card_swapped_after_their_scan_are_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """L1: config.json and README.md were read by name again after the hash: a file swapped in
    between lent its content (licence, transformers version) to a BOM recording the other's digest."""
    from mlbom.collectors import _files as models  # read_recorded, shared by the model and dataset collectors

    m = tmp_path / "m"
    m.mkdir()
    (m / "config.json").write_text(json.dumps({"model_type": "bert", "transformers_version": "4.40.0"}))
    (m / "README.md").write_text("---\nlicense: mit\n---\n# m\n")
    real = models.read_bounded

    def swapping(path: Path, limit: int) -> bytes:
        if path.name == "config.json":
            path.write_text(json.dumps({"model_type": "bert", "transformers_version": "9.9.9"}))
        if path.name == "README.md":
            path.write_text("---\nlicense: apache-2.0\n---\n# m\n")
        return real(path, limit)

    monkeypatch.setattr(models, "read_bounded", swapping)
    out = tmp_path / "bom.json"
    main(["-q", "generate", "--no-gpu", "--model", str(m), "-o", str(out), "--no-cache"])
    text = out.read_text()
    assert "9.9.9" not in text and "apache-2.0" not in text.lower()
    assert text.count(scanner.CHANGED_DURING_SCAN) >= 2


# --- P2: two components under one bom-ref ------------------------------------------------------

def test_a_duplicated_bom_ref_is_not_read_by_the_gate_or_the_readers(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The gate kept one of two components sharing a bom-ref (the benign one) and never judged
    the other; diff, query and the read model keyed by bom-ref the same way."""
    m = tmp_path / "m"
    m.mkdir()
    (m / "model.pkl").write_bytes(EVIL)
    (m / "ok.json").write_text("{}")
    bom = tmp_path / "bom.json"
    assert main(["-q", "generate", "--no-gpu", "--model", str(m), "-o", str(bom), "--no-cache"]) == 0
    doc = json.loads(bom.read_text())
    files = [c for c in doc["components"] if c.get("type") == "file"]
    evil = next(c for c in files if c["name"] == "model.pkl")
    benign = next(c for c in files if c["name"] == "ok.json")
    # the unsafe file first, the benign one under the same bom-ref after it (a dict keeps the last)
    benign["bom-ref"] = evil["bom-ref"]
    doc["components"] = [c for c in doc["components"] if c is not benign]
    doc["components"].insert(doc["components"].index(evil) + 1, benign)
    doc["dependencies"] = [{**d, "dependsOn": [x for x in d.get("dependsOn", []) if x in
                                              {c["bom-ref"] for c in doc["components"]}]}
                           for d in doc.get("dependencies", [])]
    bad = tmp_path / "dup.json"
    bad.write_text(json.dumps(doc))
    capsys.readouterr()
    for args in (["check", str(bad)], ["query", str(bad)], ["diff", str(bom), str(bad)]):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert "is not unique" in err and "Traceback" not in err
    assert main(["validate", str(bad)]) == 1  # validate reports it among the problems


# --- DM: generate --dataset-manifest lists files it never scanned -----------------------------

def test_dataset_manifest_does_not_claim_its_files_were_inspected(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom.manifest import format as manifest_format

    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "batch.pkl").write_bytes(EVIL)  # a pickle: it would load as code
    man = tmp_path / "m.jsonl"
    with manifest_format.writing(man, manifest_format.Header("ds"), None) as w:
        w.add_file("batch.pkl", len(EVIL), hashlib.sha256(EVIL).hexdigest(), None)
    w.close()
    monkeypatch.chdir(tmp_path)
    main(["-q", "generate", "--no-gpu", "--dataset-manifest", "m.jsonl", "-o", "bom.json", "--no-cache"])
    doc = json.loads((tmp_path / "bom.json").read_text())
    data = next(c for c in doc["components"] if c.get("type") == "data")
    props = {p["name"]: p["value"] for p in data["properties"]}
    assert props["mlbom:dataset:inspected"] != "true"
    assert any("dataset.not-scanned" in p["value"] for p in data["properties"] if p["name"] == "mlbom:finding")
    assert all(c.get("aggregate") != "complete" for c in doc.get("compositions", []))
