"""``scan`` hashes the file it scans: one open, the digest read from that descriptor, and the
descriptor's ``fstat`` before and after compared (red team 7c's note on ``scan_file``: the hash
and the scan opened the path twice, so a file renamed over it in between paired one file's
verdict with another file's digest)."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import IO, Any

import pytest

from mlbom import scanner
from mlbom.scanner import scan_file, scan_walked

EVIL = b"cos\nsystem\n(S'true'\ntR."  # never loaded: the scanner reads it as bytes


def _swap_during_scan(monkeypatch: pytest.MonkeyPatch, target: Path, replacement: Path) -> None:
    """While the scanner reads ``target``, rename ``replacement`` over it (what a racing
    writer does between two opens by name)."""
    real = scanner.scan_stream

    def racing(fh: IO[bytes], size: int, name: str, *args: Any, **kw: Any) -> str:
        os.replace(replacement, target)
        return real(fh, size, name, *args, **kw)

    monkeypatch.setattr(scanner, "scan_stream", racing)


@pytest.mark.parametrize("size", [100, 3 << 20], ids=["small", "large-threaded"])
def test_digest_is_of_the_scanned_file_when_another_is_renamed_over_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    evil = tmp_path / "model.pkl"
    evil.write_bytes(EVIL + b"\0" * size)
    benign = tmp_path / "benign.pkl"
    benign.write_bytes(pickle.dumps({"w": [1.0] * 8}, protocol=2) + b"\0" * size)
    _swap_during_scan(monkeypatch, evil, benign)
    sc = scan_file(evil)
    assert sc.sha256 == hashlib.sha256(EVIL + b"\0" * size).hexdigest()  # the scanned bytes' digest
    assert sc.verdict == "unsafe"


def test_a_file_written_during_the_scan_is_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "w.pkl"
    f.write_bytes(pickle.dumps({"w": 1}, protocol=2))
    real = scanner.scan_stream

    def growing(fh: IO[bytes], size: int, name: str, *args: Any, **kw: Any) -> str:
        out = real(fh, size, name, *args, **kw)
        with f.open("ab") as w:
            w.write(b"more")
        return out

    monkeypatch.setattr(scanner, "scan_stream", growing)
    sc = scan_file(f)
    assert sc.verdict == "error"
    assert any(x.id == scanner.CHANGED_DURING_SCAN for x in sc.findings)


def test_folder_scan_hashes_each_file_through_its_scan(tmp_path: Path) -> None:
    files = []
    for i in range(3):
        p = tmp_path / f"f{i}.json"
        p.write_text(json.dumps({"a": i}))
        files.append(p)
    out = scan_walked(tmp_path, files, [p.name for p in files], with_hash=True)
    assert [s.sha256 for s in out] == [hashlib.sha256(p.read_bytes()).hexdigest() for p in files]
    assert [s.verdict for s in out] == ["safe"] * 3
    assert not any(scan_walked(tmp_path, files, [p.name for p in files], with_hash=False)[i].sha256 for i in range(3))


def test_unchanged_file_has_no_change_finding(tmp_path: Path) -> None:
    f = tmp_path / "m.safetensors"
    header = b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
    f.write_bytes(len(header).to_bytes(8, "little") + header + b"\0\0\0\0")
    sc = scan_file(f)
    assert sc.verdict == "safe" and sc.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
    assert not any(x.id == scanner.CHANGED_DURING_SCAN for x in sc.findings)


# --- generate: the scanned descriptor must be the hashed file (red team 8c T1) ---------------

def _swap_folders_around_each_scan(monkeypatch: pytest.MonkeyPatch, shown: Path, other: Path) -> None:
    """While each file is scanned, ``shown`` (the folder being inventoried) is exchanged with
    ``other`` and exchanged back afterwards: no file's inode or ctime changes, so ``stat`` of the
    path before hashing and after scanning agree, but the scan reads the other folder's file."""
    real = scanner._scan_one  # what scan_file and scan_walked both scan each file with
    spare = shown.with_name(shown.name + ".spare")

    def racing(path: Path, **kw: Any) -> scanner.FileScan:
        os.rename(shown, spare)
        os.rename(other, shown)
        try:
            return real(path, **kw)
        finally:
            os.rename(shown, other)
            os.rename(spare, shown)

    monkeypatch.setattr(scanner, "_scan_one", racing)


@pytest.mark.parametrize("manifest", [False, True], ids=["inline", "manifest"])
def test_generate_refuses_a_verdict_read_from_another_file_than_the_hashed_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manifest: bool) -> None:
    from mlbom.cli import main

    m = tmp_path / "m"
    m.mkdir()
    (m / "model.pkl").write_bytes(EVIL)  # what is hashed (and what a loader would later load)
    benign = tmp_path / "benign"
    benign.mkdir()
    (benign / "model.pkl").write_bytes(pickle.dumps({"w": 1}, protocol=2))  # what the racer shows the scan
    _swap_folders_around_each_scan(monkeypatch, m, benign)
    out = tmp_path / "bom.json"
    args = ["-q", "generate", "--no-gpu", "--model", str(m), "-o", str(out), "--no-cache"]
    main([*args, "--max-file-components", "0"] if manifest else args)
    text = out.read_text()
    doc = json.loads(text)
    assert scanner.CHANGED_DURING_SCAN in text
    verdicts = {p["value"] for c in doc["components"] for p in c.get("properties", [])
                if p["name"] == "mlbom:safety:verdict"}
    assert "safe" not in verdicts and "error" in verdicts
    # every digest is taken by the scan from the bytes it judged; the file it read is not the
    # one stat-ed before (the path's content was another file's): no digest is recorded at all
    assert hashlib.sha256(EVIL).hexdigest() not in text
    assert hashlib.sha256((benign / "model.pkl").read_bytes()).hexdigest() not in text


# --- generate --dataset-manifest: no link inside the folder is followed (red team 8c T5) ------

def test_dataset_manifest_sample_does_not_follow_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom.cli import main
    from mlbom.hashing import sha256_stable_beneath

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("host secret\n")
    ds = tmp_path / "rel" / "ds"
    ds.mkdir(parents=True)
    (ds / "a.txt").write_text("a\n")
    (ds / "secret").symlink_to(outside / "secret")
    (ds / "etc").symlink_to(outside)
    assert sha256_stable_beneath(str(ds), "secret").error == "symbolic link (not followed)"
    assert sha256_stable_beneath(str(ds), "etc/secret").error == "symbolic link (not followed)"
    assert sha256_stable_beneath(str(ds), "a.txt").sha256 == hashlib.sha256(b"a\n").hexdigest()
    secret_sha = hashlib.sha256(b"host secret\n").hexdigest()
    lines = [{"mlbom-manifest": 1, "root": "ds"},
             {"path": "a.txt", "size": 2, "digest": hashlib.sha256(b"a\n").hexdigest()},
             {"path": "etc/secret", "size": 12, "digest": secret_sha},
             {"path": "secret", "size": 12, "digest": "0" * 64}]
    from mlbom.manifest import format as manifest_format

    man = tmp_path / "rel" / "m.jsonl"
    with manifest_format.writing(man, manifest_format.Header("ds"), None) as w:
        for e in lines[1:]:
            w.add_file(str(e["path"]), int(e["size"]), str(e["digest"]), None)
    w.close()
    monkeypatch.chdir(tmp_path / "rel")
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    main(["-q", "generate", "--no-gpu", "--dataset-manifest", "m.jsonl", "-o", "bom.json", "--no-cache"])
    text = (tmp_path / "rel" / "bom.json").read_text()
    assert "1/3 matched" in text  # only a.txt: neither link is read
    assert text.count("symbolic link (not followed)") == 2
    assert "0" * 64 in text and secret_sha in text  # the manifest's own claims, not the host file's digest


# --- one copy of the bytes: hashed and scanned together (red team 9c M1, C1) -----------------

def test_a_digest_from_elsewhere_that_the_scanned_bytes_do_not_have_is_an_error(tmp_path: Path) -> None:
    """C1: a hash-cache digest (or one taken by an earlier read) of bytes the file no longer
    holds, with an unchanged stat: the scan's own copy disagrees, so no verdict is given."""
    from mlbom.hashing import stat_key

    f = tmp_path / "model.pkl"
    f.write_bytes(pickle.dumps({"w": 1}, protocol=2))
    key = stat_key(os.stat(f))
    sc = scan_file(f, sha256=hashlib.sha256(EVIL).hexdigest(), expect_key=key)
    assert sc.verdict == "error" and any(x.id == scanner.CHANGED_DURING_SCAN for x in sc.findings)
    ok = scan_file(f, sha256=hashlib.sha256(f.read_bytes()).hexdigest(), expect_key=key)
    assert ok.verdict == "safe" and not any(x.id == scanner.CHANGED_DURING_SCAN for x in ok.findings)


def test_bytes_rewritten_through_a_shared_mapping_cannot_split_digest_and_verdict(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """M1: another process flips the bytes through a dirty shared mapping (no size, mtime or
    ctime change) between any two reads. The scan reads the file once: what it judged is what
    it hashed, so the malicious bytes are either judged (unsafe) or not the digest recorded."""
    import mmap

    benign = pickle.dumps({"weights": [1, 2, 3, 4], "bias": 0}, protocol=0)
    assert len(benign) > len(EVIL)
    evil = EVIL.ljust(len(benign), b" ")  # the same size: the mapping is rewritten in place
    f = tmp_path / "model.pkl"
    f.write_bytes(evil)
    with f.open("r+b") as fh:
        mm = mmap.mmap(fh.fileno(), 0)
        real_scan = scanner.scan_stream

        def flip_to_benign(*a: Any, **kw: Any) -> Any:
            mm[:] = benign
            return real_scan(*a, **kw)

        monkeypatch.setattr(scanner, "scan_stream", flip_to_benign)
        sc = scan_file(f)
        mm[:] = evil
        mm.close()
    if sc.sha256 == hashlib.sha256(evil).hexdigest():
        assert sc.verdict != "safe"
    assert sc.verdict == "unsafe" and sc.sha256 == hashlib.sha256(evil).hexdigest()


def test_a_file_too_large_to_copy_is_held_to_a_given_digest_without_a_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over MAX_SNAPSHOT_BYTES the scan hashes its own descriptor; a digest given without the
    identity of the descriptor it came from must match it (a dataset manifest without a cache)."""
    monkeypatch.setattr(scanner, "MAX_SNAPSHOT_BYTES", 16)
    f = tmp_path / "model.pkl"
    f.write_bytes(pickle.dumps({"w": list(range(20))}, protocol=2))
    right = hashlib.sha256(f.read_bytes()).hexdigest()
    ok = scan_file(f, sha256=right)
    assert ok.verdict == "safe" and ok.sha256 == right
    bad = scan_file(f, sha256=hashlib.sha256(EVIL).hexdigest())
    assert bad.verdict == "error" and any(x.id == scanner.CHANGED_DURING_SCAN for x in bad.findings)
    assert scan_file(f).sha256 == right  # hashed from the descriptor, in a thread
