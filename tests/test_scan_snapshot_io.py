"""The snapshot a file is hashed and scanned from (one buffer filled in place and hashed as it fills;
a chunk hashed in a thread while the next is read from 32 MiB), the zero-copy reader the scan reads it
through, and a folder's files scanned side by side: the same digests, verdicts and order as one at a
time (docs/benchmarks.md, the scan + hash floor)."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from pathlib import Path

import pytest

from mlbom import scanner
from tests.helpers import evil_pickle


@pytest.mark.parametrize("size", [0, 1, 4095, 1 << 20, scanner._OVERLAP_MIN + 12345])
def test_snapshot_is_the_file_and_its_digest(tmp_path: Path, size: int) -> None:
    data = os.urandom(min(size, 1 << 16)) * (size // (1 << 16) + 1)
    data = data[:size]
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    fd = os.open(p, os.O_RDONLY)
    try:
        view, digest = scanner._snapshot(fd, size)
        assert bytes(view) == data and digest == hashlib.sha256(data).hexdigest()
        view2, _ = scanner._snapshot(fd, max(size - 1, 0))  # the file is longer than fstat said: one byte more
        assert len(view2) == min(size, max(size - 1, 0) + 1)
    finally:
        os.close(fd)


def test_the_view_reader_reads_like_bytesio() -> None:
    data = bytes(range(256)) * 300
    a = io.BufferedReader(scanner._ViewReader(memoryview(data)), 4096)
    b = io.BytesIO(data)
    for op in [("read", 10), ("seek", 5000), ("read", 70000), ("read", 10), ("seek", 0), ("read", -1),
               ("seek", -3, io.SEEK_END), ("read", 100), ("seek", 7), ("tell",), ("read", 0)]:
        got_a = getattr(a, op[0])(*op[1:])
        got_b = getattr(b, op[0])(*op[1:])
        assert got_a == got_b, op
    with pytest.raises(OSError):
        scanner._ViewReader(memoryview(data)).seek(-1)


def test_a_folder_scanned_side_by_side_is_scanned_as_one_at_a_time(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(9):
        (tmp_path / f"f{i}.pkl").write_bytes(pickle.dumps({"w": list(range(i * 100))}, protocol=4))
    evil_pickle(tmp_path / "evil.pkl")
    (tmp_path / "notes.txt").write_text("hello")
    together = [(s.path, s.verdict, s.sha256, [f.id for f in s.findings]) for s in scanner.scan(tmp_path)]
    monkeypatch.setattr(scanner, "MAX_SCAN_THREADS", 1)
    alone = [(s.path, s.verdict, s.sha256, [f.id for f in s.findings]) for s in scanner.scan(tmp_path)]
    assert together == alone
    assert {v for _, v, _, _ in together} == {"safe", "unsafe"}


def test_verified_chunks_stay_small_and_their_states_bounded() -> None:
    from mlbom.hashing import CHUNK, MAX_STATES, chunk_for

    assert chunk_for(0) == chunk_for(500 << 20) == CHUNK == 1 << 16
    for size in (1 << 30, 5 << 30, 100 << 30, 1 << 40):
        c = chunk_for(size)
        assert c & (c - 1) == 0 and size / c <= MAX_STATES and (c == CHUNK or size / (c // 2) > MAX_STATES)


def test_a_large_checkpoints_scan_rehashes_its_headers_not_its_tensors(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A file over the snapshot size is hashed by one pass and read through verified chunks: every
    chunk the scan touches is hashed again to check it. A torch checkpoint's zip has a local header
    before every storage, spread through the file; with 1 MiB chunks its scan hashed the file about
    twice (0.44x openssl on a 500 MB checkpoint). The bytes checked again are a small share now."""
    from mlbom import hashing

    monkeypatch.setattr(scanner, "MAX_SNAPSHOT_BYTES", 1 << 20)  # (a 24 MB file takes the verified path)
    p = tmp_path / "model.pt"
    block = os.urandom(1 << 20)
    import zipfile

    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({f"w{i}": i for i in range(24)}, protocol=2))
        zf.writestr("archive/version", "3\n")
        for i in range(24):
            zf.writestr(f"archive/data/{i}", block)
    checked = [0]
    verify = hashing.ChunkedHash.verify

    def counting(self: hashing.ChunkedHash, i: int, data: bytes) -> bool | None:
        checked[0] += len(data)
        return verify(self, i, data)

    monkeypatch.setattr(hashing.ChunkedHash, "verify", counting)
    sc = scanner.scan([p])[0]
    assert sc.verdict == "safe" and sc.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
    assert checked[0] and checked[0] < p.stat().st_size // 4, (checked[0], p.stat().st_size)
