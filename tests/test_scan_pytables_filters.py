"""Old PyTables files (format 1.x, PyTables' own test data) pickle their ``FILTERS`` attribute as
``copy_reg._reconstructor(tables.Leaf.Filters, object, None)`` + BUILD of a dict of four settings;
PyTables rewrites the module to ``tables.filters`` before it unpickles one. Both names are now
allowlisted (a plain class: no ``__setstate__``/``__reduce__``/``__new__``/``__getattr__``), so the
files are ``safe`` (they were ``suspicious``: ``pickle.unlisted-callable``). A FILTERS pickle that
does anything else is still judged as any pickle is."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes, scan_file

DIR = Path(__file__).resolve().parent / "fixtures" / "hdf5" / "pytables-1x"
FILES = sorted(DIR.glob("*.h5"))

OLD_FILTERS = (b"ccopy_reg\n_reconstructor\np1\n(ctables.Leaf\nFilters\np2\nc__builtin__\nobject\np3\nNtRp4\n"
               b"(dp5\nS'shuffle'\np6\nI0\nsS'complevel'\np7\nI0\nsS'fletcher32'\np8\nI0\nsS'complib'\np9\n"
               b"S'zlib'\np10\nsb.")


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_pytables_1x_files_are_safe(path: Path) -> None:
    r = scan_file(path)
    assert r.verdict == "safe", [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"]


@pytest.mark.parametrize("module", [b"tables.Leaf", b"tables.filters"])
def test_the_filters_pickle_is_data(module: bytes) -> None:
    data = OLD_FILTERS.replace(b"tables.Leaf", module)
    r = scan_bytes(data, "filters.pkl")
    assert r.verdict == "safe", [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"]


def test_a_filters_object_with_a_callable_state_is_not() -> None:
    """The class is allowlisted, not whatever its state holds."""
    data = OLD_FILTERS.replace(b"S'zlib'\np10\n", b"cos\nsystem\np10\n")
    assert scan_bytes(data, "filters.pkl").verdict == "unsafe"
