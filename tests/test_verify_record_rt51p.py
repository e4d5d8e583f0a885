"""Red team 51p-3: ``--verify-record`` sorted a site-packages listing and tested every name in it for
every module it looked up: 3,000 single-module distributions took 28 s (7 s without the flag). The
extension candidates of a listing are now indexed once by stem; the choice is the same."""

from __future__ import annotations

import time
from pathlib import Path

from mlbom.collectors._verify_record import _first_candidate


def test_extension_candidates_first_then_source(tmp_path: Path) -> None:
    names = ["m.abi3.so", "m.cpython-311-x86_64-linux-gnu.so", "m.py", "mx.so", "n.py", "n.pyc", "o.pyd", "p.txt"]
    for n in names:
        (tmp_path / n).write_bytes(b"")
    entries = frozenset(names)
    folder = str(tmp_path)
    assert _first_candidate(folder, "m", entries) == [str(tmp_path / "m.abi3.so"),
                                                      str(tmp_path / "m.cpython-311-x86_64-linux-gnu.so")]
    assert _first_candidate(folder, "n", entries) == [str(tmp_path / "n.py")]
    assert _first_candidate(folder, "o", entries) == [str(tmp_path / "o.pyd")]
    assert _first_candidate(folder, "p", entries) == []


def test_many_lookups_in_one_large_listing_are_linear(tmp_path: Path) -> None:
    entries = frozenset([f"p{i}.py" for i in range(20_000)] + [f"p{i}.dist-info" for i in range(20_000)])
    start = time.process_time()
    for i in range(3000):
        _first_candidate(str(tmp_path), f"q{i}", entries)  # (none exists: no file checks)
    assert time.process_time() - start < 2.0  # (each lookup sorted and scanned 40,000 names before)
