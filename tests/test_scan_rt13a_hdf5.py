"""Red team 13a: the HDF5 library reads what the walk did not (duplicate header messages, a
vlen string's character size, fill values, same-file virtual datasets), and one heap object
judged once per row. Fixtures: ``tests/fixtures/hdf5/rt13a`` (written by
``python tools/make_hdf5_fixtures.py --rt13a``; the payload is ``os.system("true")``)."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlbom.formats import hdf5
from mlbom.scanner import scan_file

FIX = Path(__file__).resolve().parent / "fixtures" / "hdf5" / "rt13a"

EXPECTED = {
    "shared-rows.h5": ("safe", set()),  # 13a-3: harmless, judged once
    "duplicate-datatype.h5": ("unsafe", {"pickle.dangerous-callable", "hdf5.duplicate-message"}),  # 13a-2
    "vlen-string-base-2.h5": ("unsafe", {"pickle.dangerous-callable"}),  # 13a-1
    "vlen-fill-value.h5": ("unsafe", {"pickle.dangerous-callable"}),  # 13a-4
    "virtual-same-file.h5": ("unsafe", {"pickle.dangerous-callable"}),  # 13a-5
    "duplicate-layout.h5": ("unsafe", {"pickle.dangerous-callable", "hdf5.duplicate-message"}),  # 13a-2
}
HOSTILE = sorted(n for n, (v, _) in EXPECTED.items() if v == "unsafe")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_verdicts(name: str) -> None:
    verdict, ids = EXPECTED[name]
    r = scan_file(FIX / name)
    assert r.verdict == verdict, r.findings
    assert ids <= {f.id for f in r.findings}, r.findings


def _walk(name: str) -> tuple[hdf5.TreeReport, list[tuple[str, bytes]]]:
    data = (FIX / name).read_bytes()
    judged: list[tuple[str, bytes]] = []
    rep = hdf5.walk_tree(io.BytesIO(data), len(data), lambda w, d: judged.append((w, d)))
    return rep, judged


def test_every_fixture_has_an_expected_verdict() -> None:
    assert sorted(p.name for p in FIX.glob("*.h5")) == sorted(EXPECTED)


def test_rows_sharing_one_heap_object_are_judged_once() -> None:
    # 13a-3: 65,536 rows, every one the same (collection, index, length): one pickle walk
    start = time.monotonic()
    rep, judged = _walk("shared-rows.h5")
    assert len(judged) == 1 and judged[0][1] == b"N0" * 2000 + b"N."
    assert rep.pickled_values == 65536 and not rep.unreadable
    assert time.monotonic() - start < 10


def test_a_second_message_of_a_type_the_library_reads_once_is_reported() -> None:
    rep, judged = _walk("duplicate-datatype.h5")
    assert [w for w, d in rep.duplicate_messages] == ["/s/values"] and "Datatype" in rep.duplicate_messages[0][1]
    assert any("/s/values row 0" in w for w, _ in judged)  # the rows read with the first (vlen) datatype
    rep, judged = _walk("duplicate-layout.h5")
    assert "Data Layout" in rep.duplicate_messages[0][1] and any("/s/values row 0" in w for w, _ in judged)


def _heap_file(obj: bytes) -> hdf5._File:
    """A file that is one global heap collection at 0 holding ``obj`` as object 1."""
    body = (1).to_bytes(2, "little") + b"\0" * 6 + len(obj).to_bytes(8, "little") + obj + b"\0" * (-len(obj) % 8)
    data = b"GCOL\x01\0\0\0" + (16 + len(body)).to_bytes(8, "little") + body
    return hdf5._File(io.BytesIO(data), len(data))


def _vlen_string_type(char: int) -> bytes:
    base = bytes([0x10, 0, 0, 0]) + char.to_bytes(4, "little") + (0).to_bytes(2, "little") + (8 * char).to_bytes(
        2, "little")
    return bytes([0x19, 0x01, 0, 0]) + (16).to_bytes(4, "little") + base


def test_a_vlen_string_length_counts_characters_of_its_base_size() -> None:
    # 13a-1: the length field counts base-type elements: 2-byte characters read 2 x length bytes
    text = b'{"class_name": "Lambda"}'
    f = _heap_file(text)
    element = (len(text) // 2).to_bytes(4, "little") + (0).to_bytes(8, "little") + (1).to_bytes(4, "little")
    assert hdf5._decode(f, _vlen_string_type(2), 1, element, []) == text  # the Keras root attributes
    ds = bytes([1, 0, 0, 0, 0, 0, 0, 0])  # scalar
    dt = _vlen_string_type(2)
    body = bytes([1, 0]) + (2).to_bytes(2, "little") + len(dt).to_bytes(2, "little") + len(ds).to_bytes(2, "little")
    body += b"a\x00" + b"\0" * 6 + dt + b"\0" * (-len(dt) % 8) + ds + element
    walk = hdf5._TreeWalk(f, hdf5.TreeReport(), None)
    assert walk.attribute(body)[2] == [text]
    with pytest.raises(hdf5.FormatError):
        hdf5._decode(f, _vlen_string_type(0), 1, element, [])


def test_the_fill_value_of_an_object_vlarray_is_judged_as_a_row() -> None:
    # 13a-4: no storage allocated; every row reads as the (vlen, global heap) fill value
    _rep, judged = _walk("vlen-fill-value.h5")
    assert [w for w, _ in judged if "fill value" in w] == ["/s/values fill value (PyTables' ObjectAtom unpickles it)"]
    assert hdf5._fill_value(bytes([3, 0x20]) + (2).to_bytes(4, "little") + b"ab", 5) == b"ab"
    assert hdf5._fill_value(bytes([3, 0x10]), 5) is None  # undefined
    assert hdf5._fill_value(bytes([2, 1, 2, 0]), 5) is None
    assert hdf5._fill_value(bytes([1, 1, 2, 1]) + (1).to_bytes(4, "little") + b"z", 5) == b"z"
    assert hdf5._fill_value((1).to_bytes(4, "little") + b"z", 4) == b"z"
    with pytest.raises(hdf5.FormatError):
        hdf5._fill_value(bytes([9, 0]), 5)
    with pytest.raises(hdf5.FormatError):
        hdf5._fill_value(bytes([3, 0x20]) + (9).to_bytes(4, "little") + b"ab", 5)  # truncated


def test_a_virtual_object_vlarray_reads_its_same_file_source_as_object_rows() -> None:
    # 13a-5: /s/values maps /s/_raw (a plain vlen dataset, no PyTables attributes) of this file
    rep, judged = _walk("virtual-same-file.h5")
    assert any(w.startswith("/s/values (virtual source /s/_raw) row 0") for w, _ in judged), judged
    assert not rep.unreadable


def test_a_virtual_source_that_cannot_be_followed_is_unreadable() -> None:
    data = (FIX / "virtual-same-file.h5").read_bytes()
    renamed = data.replace(b"/s/_raw\x00", b"/s/_xyz\x00")  # the mapping's source name, not the link
    assert renamed != data
    rep = hdf5.walk_tree(io.BytesIO(renamed), len(renamed))
    assert any("virtual dataset source '/s/_xyz'" in why for _, why in rep.unreadable), rep.unreadable
    assert scan_file_bytes(renamed).verdict == "error"


def scan_file_bytes(data: bytes):  # type: ignore[no-untyped-def]
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.h5"
        p.write_bytes(data)
        return scan_file(p)


def _walker(size: int) -> tuple[hdf5._TreeWalk, list[bytes]]:
    judged: list[bytes] = []
    walk = hdf5._TreeWalk(hdf5._File(io.BytesIO(b"\0" * size), size), hdf5.TreeReport(),
                          lambda w, d: judged.append(d))
    return walk, judged


def test_the_same_bytes_are_judged_once_and_distinct_bytes_are_bounded() -> None:
    walk, judged = _walker(1000)
    for _ in range(3):
        walk.pickle("a", b"N.")
    assert judged == [b"N."] and walk.out.pickled_values == 3
    # prefixes of one large heap object, each distinct: bounded in bytes (floor + 2 x file size)
    big = b"N" * (8 << 20)
    for n in range(1, 10):
        walk.pickle(f"row {n}", big[:n << 19] + b".")
    assert sum(len(d) for d in judged) <= hdf5.MAX_JUDGED_FLOOR + 2 * 1000
    assert walk.out.unreadable and "not judged" in walk.out.unreadable[0][1]
    walk, judged = _walker(1 << 20)  # room for the bytes: the count bound is what stops it
    for n in range(hdf5.MAX_JUDGED_PICKLES + 5):
        walk.pickle("x", n.to_bytes(4, "little"))
    assert len(judged) == hdf5.MAX_JUDGED_PICKLES and walk.out.unreadable


LOADER = r"""
import os, posix, sys, warnings
warnings.simplefilter("ignore")
import tables
calls = []
os.system = posix.system = lambda c: calls.append(c) or 0
with tables.open_file(sys.argv[1]) as f:
    for n in f.walk_nodes():
        for a in n._v_attrs._f_list("all"):
            try:
                getattr(n._v_attrs, a)
            except Exception:
                pass
        if isinstance(n, tables.VLArray):
            try:
                n.read()
            except Exception:
                pass
print("RAN" if calls else "CLEAN")
"""


@pytest.mark.parametrize("name", HOSTILE)
def test_pytables_runs_what_mlbom_calls_unsafe(name: str) -> None:
    pytest.importorskip("tables")
    out = subprocess.run([sys.executable, "-c", LOADER, str(FIX / name)], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip().endswith("RAN"), out.stdout + out.stderr


def test_header_messages_read_are_bounded_per_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # many object headers may share one continuation block or dense attribute heap: the messages
    # read over the whole file are bounded, past that the walk stops with the reason
    monkeypatch.setattr(hdf5, "MAX_TOTAL_MESSAGES", 5)
    data = (FIX / "virtual-same-file.h5").read_bytes()
    rep = hdf5.walk_tree(io.BytesIO(data), len(data))
    assert any("header messages" in why for _, why in rep.unreadable), rep.unreadable
