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
