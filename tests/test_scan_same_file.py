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
