"""Red team 15c-1: object rows that name one global heap index, each with a different length,
in a collection that holds many copies of that index. Every (copy, length) used to be sliced and
SHA-256-hashed, outside every budget (K copies × the sum of the rows' lengths from a file under
1 MB). The bytes handed out from global heaps are now charged per copy, before the slicing, to a
budget of a floor plus a multiple of the file's size; when it runs out the verdict is `error`."""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from mlbom.formats import hdf5
from mlbom.scanner import scan_file

EVIL = b"cos\nsystem\n(S'echo owned'\ntR."


def _build(out: Path, copies: list[bytes], lengths: list[int]) -> Path:
    """An object VLArray (PyTables' ObjectAtom) whose row i is ``lengths[i]`` bytes of global heap
    object 1, in a collection (appended at the file's end) holding ``copies`` all with index 1
    (as the red team's 15c-1 build.py)."""
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    rows = len(lengths)
    with h5py.File(out, "w") as f:
        ds = f.create_dataset("v", shape=(rows,), chunks=(rows,), dtype=h5py.vlen_dtype(np.uint8),
                              compression="gzip")
        ds[0] = np.frombuffer(b"N.", np.uint8)
        ds.attrs["PSEUDOATOM"] = np.bytes_(b"object")
        ds.attrs["CLASS"] = np.bytes_(b"VLARRAY")
    body = b"".join(struct.pack("<HH4xQ", 1, 1, len(c)) + c + b"\0" * (-len(c) % 8) for c in copies)
    tail = body + struct.pack("<HH4xQ", 0, 0, 16)
    gaddr = os.path.getsize(out)
    for _ in range(10):  # the elements name the collection, at the file's end once written
        elems = b"".join(struct.pack("<IQI", n, gaddr, 1) for n in lengths)
        with h5py.File(out, "r+") as f:
            f["v"].id.write_direct_chunk((0,), zlib.compress(elems, 9), 0)
        if os.path.getsize(out) == gaddr:
            break
        gaddr = os.path.getsize(out)
    else:
        raise AssertionError("address did not settle")
    with open(out, "ab") as fh:
        fh.write(b"GCOL" + bytes([1, 0, 0, 0]) + struct.pack("<Q", 16 + len(tail)) + tail)
    return out


class _CountingHashlib:
    def __init__(self) -> None:
        self.hashed = 0

    def sha256(self, data: Any = b"") -> Any:
        self.hashed += len(data)
        return hashlib.sha256(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(hashlib, name)


def test_prefix_rows_times_heap_copies_are_bounded_by_the_file_size(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    size, k, rows = 4096, 16, 2048
    path = _build(tmp_path / "copies.h5", [b"\0" * size] * k, [size - i for i in range(rows)])
    counter = _CountingHashlib()
    monkeypatch.setattr(hdf5, "hashlib", counter)
    r = scan_file(path)
    # the attack asks for k x sum(lengths) = ~100 MB; hashed (and sliced) is at most the budget
    limit = hdf5.HEAP_TAKEN_FLOOR + hdf5.HEAP_TAKEN_FACTOR * path.stat().st_size
    assert k * sum(size - i for i in range(rows)) > 10 * limit
    assert counter.hashed <= limit + 2 * size * k + (1 << 20), (counter.hashed, limit)
    assert r.verdict == "error", r.findings
    assert any(f.id == "hdf5.unreadable" and "global heap objects read over" in f.message for f in r.findings)


def test_a_malicious_copy_among_prefix_rows_is_still_unsafe(tmp_path: Path) -> None:
    pytest.importorskip("h5py")
    # the last copy (the one the library keeps) holds the payload; rows ask every length of it
    copies = [b"N." + b"\0" * (len(EVIL) - 2)] * 7 + [EVIL]
    path = _build(tmp_path / "evil.h5", copies, [len(EVIL) - i for i in range(len(EVIL) - 1)])
    r = scan_file(path)
    assert r.verdict == "unsafe", r.findings
    assert any(f.id == "pickle.dangerous-callable" for f in r.findings), r.findings


def test_the_budget_runs_out_after_a_malicious_row_and_still_reports_it(tmp_path: Path) -> None:
    pytest.importorskip("h5py")
    size = 4096
    evil = EVIL + b"\0" * (size - len(EVIL))
    path = _build(tmp_path / "evil-dos.h5", [evil] * 16, [size - i for i in range(2048)])
    r = scan_file(path)
    assert r.verdict == "unsafe", r.findings
    ids = {f.id for f in r.findings}
    assert {"pickle.dangerous-callable", "hdf5.unreadable"} <= ids, r.findings
