"""Red team 19c: an lz4 frame's content checksum that straddles the reader's 64 KiB input block
was fed to the checking decoder twice (its first bytes with the piece, then all four again), so
the wrong value was checked: a bad checksum passed (``safe``; ``lz4.frame`` raises
``ERROR_contentChecksum_invalid``) and a good one was flagged; a frame cut inside its checksum
read as complete (``lz4.frame`` raises ``EOFError``)."""

from __future__ import annotations

import contextlib
import pickle
from pathlib import Path

import pytest

from mlbom.scanner import scan_file

lz4frame = pytest.importorskip("lz4.frame")


def _frame(data: bytes) -> bytes:
    return bytes(lz4frame.compress(data, content_checksum=True, store_size=False))


def _placed(frame: bytes, before: int) -> bytes:
    """A skippable frame as padding, so exactly ``before`` checksum bytes lie before offset 65,536."""
    start = 65536 - (len(frame) - 4 + before)
    return b"\x50\x2a\x4d\x18" + (start - 8).to_bytes(4, "little") + b"\x00" * (start - 8) + frame


@pytest.mark.parametrize("before", [0, 1, 2, 3, 4])
def test_a_content_checksum_is_checked_once_wherever_it_falls(tmp_path: Path, before: int) -> None:
    good = _frame(pickle.dumps({"weights": [1, 2, 3]}, protocol=4))
    bad = good[:-1] + bytes([good[-1] ^ 0xFF])
    for frame, right in ((good, True), (bad, False)):
        path = tmp_path / f"m{before}{right}.pkl.lz4"
        path.write_bytes(_placed(frame, before))
        with contextlib.nullcontext() if right else pytest.raises(RuntimeError):
            lz4frame.decompress(frame)  # the loader's reading of the frame itself
        ids = {f.id for f in scan_file(path).findings}
        assert ("lz4.checksum-mismatch" in ids) is (not right), (before, right, ids)


def test_a_frame_cut_inside_its_checksum_is_not_complete(tmp_path: Path) -> None:
    good = _frame(pickle.dumps({"weights": [1, 2, 3]}, protocol=4))
    path = tmp_path / "cut.pkl.lz4"
    path.write_bytes(_placed(good, 3)[:-1])  # three of the four checksum bytes, at the block's end
    report = scan_file(path)
    assert report.verdict != "safe" and "lz4.checksum-mismatch" in {f.id for f in report.findings}

