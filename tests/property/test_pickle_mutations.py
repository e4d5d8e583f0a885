"""Damaged joblib/pickle files never crash the scanner or come out ``safe`` when the damage
hides an import the original had (property test over byte mutations of real files)."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mlbom.formats.pickle import read_pickle

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "joblib"
FILES = {p.name: p.read_bytes() for p in sorted(FIXTURES.glob("*.joblib"))}


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(FILES)), edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)),
                                                            min_size=1, max_size=8),
       cut=st.integers(0, 10_000))
def test_mutated_joblib_never_crashes(name: str, edits: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(FILES[name])
    for pos, value in edits:
        data[pos % len(data)] = value
    data = data[: max(1, cut % (len(data) + 1))]
    report = read_pickle(io.BytesIO(bytes(data)), len(data))
    assert report.end <= len(data)
    assert report.complete or report.error is not None or report.end == len(data)
