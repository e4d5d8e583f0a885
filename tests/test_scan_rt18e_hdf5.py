"""Red team 18e-4/-5/-6: benign HDF5 files the real writers produce that mlbom could not read.

* 18e-4: an attribute over 64 KiB in dense storage (h5py ``libver="latest"``) is a *huge*
  fractal-heap object, found through the heap's own v2 B-tree (type 1 records);
* 18e-5: a dataset's (or attribute's) datatype is a committed (named) datatype: a shared
  datatype message naming the named datatype's object header;
* 18e-6: a user block of zeros (h5py ``userblock_size``), or holding a MATLAB v7.3 MAT-file
  header, in front of the HDF5 file.

Fixtures: ``tests/fixtures/hdf5/rt18e`` (written by ``python tools/make_hdf5_fixtures.py
--rt18e``, all benign); the hostile variants are built here with h5py (skipped without it)."""

from __future__ import annotations

import os
import pickle
import struct
from pathlib import Path

import pytest

from mlbom.formats import hdf5
from mlbom.scanner import scan_file

FIX = Path(__file__).resolve().parent / "fixtures" / "hdf5" / "rt18e"


class Payload:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("true",))


def _ids(r: object) -> set[str]:
    return {f.id for f in r.findings}  # type: ignore[attr-defined]


# ---- 18e-4: huge fractal heap objects ----------------------------------------------------------

def test_huge_dense_attribute_is_read() -> None:
    r = scan_file(FIX / "huge-attribute.h5")
    assert r.verdict == "safe", r.findings
    assert r.format == "hdf5"


def test_huge_dense_attribute_holding_a_pickle_is_judged(tmp_path: Path) -> None:
    # PyTables unpickles a scalar string attribute ending in '.': one over 64 KiB is a huge object
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    p = tmp_path / "huge-pickle.h5"
    with h5py.File(p, "w", libver="latest") as f:
        f["w"] = np.arange(4.0)
        f["w"].attrs["payload"] = np.bytes_(pickle.dumps((Payload(), "x" * 70_000), protocol=0))
    r = scan_file(p)
    assert r.verdict == "unsafe", r.findings
    assert "pickle.dangerous-callable" in _ids(r) and "hdf5.unreadable" not in _ids(r), r.findings


def test_huge_root_model_config_is_judged(tmp_path: Path) -> None:
    # the root-attribute reader (Keras' model_config) follows huge objects too
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    config = ('{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": '
              '{"name": "l", "function": ["4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMEAAAAfABTACkBTqkAKQHaAXhyAQAAAHIBAAAA", '
              'null, null], "function_type": "lambda"}}]}, "pad": "' + "p" * 70_000 + '"}')
    p = tmp_path / "huge-config.h5"
    with h5py.File(p, "w", libver="latest") as f:
        f.attrs["model_config"] = np.bytes_(config.encode())  # fixed-length: in the attribute message
    r = scan_file(p)
    assert r.verdict == "unsafe", r.findings
    assert any(f.id.startswith("keras.") for f in r.findings), r.findings
    assert not any(f.id.startswith("hdf5.") and f.severity != "info" for f in r.findings), r.findings


def _huge_record(data: bytes) -> int:
    """Offset of the first record of the huge-object B-tree's leaf (type 1)."""
    at = data.find(b"BTLF\x00\x01")
    assert at > 0
    return at + 6


@pytest.mark.parametrize("what", ["length", "duplicate", "key"])
def test_broken_huge_object_records_are_error(tmp_path: Path, what: str) -> None:
    data = bytearray((FIX / "huge-attribute.h5").read_bytes())
    rec = _huge_record(bytes(data))
    if what == "length":  # over the limit (and the file)
        data[rec + 8:rec + 16] = struct.pack("<Q", 1 << 40)
    elif what == "key":  # the ID's key names no record
        data[rec + 16:rec + 24] = struct.pack("<Q", 99)
    else:  # two records of one key: which one the library finds depends on its search
        at = data.find(b"BTHD\x00\x01")
        nrec_at = at + 4 + 1 + 1 + 4 + 2 + 2 + 2 + 8
        data[nrec_at:nrec_at + 2] = struct.pack("<H", 2)
        data[rec + 24:rec + 48] = data[rec:rec + 24]
        leaf = data.find(b"BTLF\x00\x01")
        assert leaf == rec - 6
    p = tmp_path / "broken.h5"
    p.write_bytes(bytes(data))
    r = scan_file(p)
    assert r.verdict == "error", r.findings
    assert "hdf5.unreadable" in _ids(r), r.findings


def test_huge_objects_are_charged_to_the_heap_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hdf5, "HEAP_TAKEN_FLOOR", 1000)
    monkeypatch.setattr(hdf5, "HEAP_TAKEN_FACTOR", 0)
    r = scan_file(FIX / "huge-attribute.h5")
    assert r.verdict == "error", r.findings
    assert any(f.id == "hdf5.unreadable" and "huge fractal heap objects read over" in f.message
               for f in r.findings), r.findings
