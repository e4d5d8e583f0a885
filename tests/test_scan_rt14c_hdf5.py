"""Red team 14c: object rows in External Data Files storage naming the HDF5 file itself (14c-2),
and a continuation block shared by many object headers (14c-1). Fixture:
``tests/fixtures/hdf5/rt14c`` (written by ``python tools/make_hdf5_fixtures.py --rt14c``; the
payload is ``os.system("true")``)."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from mlbom.formats import hdf5
from mlbom.scanner import scan_file

FIX = Path(__file__).resolve().parent / "fixtures" / "hdf5" / "rt14c"
SELF = FIX / "external-self.h5"


def test_object_rows_in_external_storage_naming_the_file_itself_are_judged() -> None:
    # 14c-2: the rows' references point into this file's global heap: every heap object is judged
    r = scan_file(SELF)
    assert r.verdict == "unsafe", r.findings
    ids = {f.id for f in r.findings}
    assert {"pickle.dangerous-callable", "hdf5.unreadable", "hdf5.external-storage"} <= ids, r.findings


def test_object_rows_in_external_storage_are_never_only_suspicious(monkeypatch: pytest.MonkeyPatch) -> None:
    # rows mlbom cannot read are error at least, even where no heap object holds a pickle
    def none(f: object, addr: int) -> dict[int, list[bytes]]:
        raise hdf5.FormatError("no collection")

    monkeypatch.setattr(hdf5, "_collection", none)
    r = scan_file(SELF)
    assert r.verdict == "error", r.findings
    assert any(f.id == "hdf5.unreadable" and "external storage" in f.message for f in r.findings), r.findings


LOADER = r"""
import os, posix, sys, warnings
warnings.simplefilter("ignore")
import tables
calls = []
os.system = posix.system = lambda c: calls.append(c) or 0
with tables.open_file(sys.argv[1]) as f:
    try:
        f.get_node("/s/values").read()
    except Exception as exc:
        print("ERR", exc)
print("RAN" if calls else "CLEAN")
"""


def test_pytables_runs_the_row_read_from_the_file_itself() -> None:
    pytest.importorskip("tables")
    out = subprocess.run([sys.executable, "-c", LOADER, SELF.name], capture_output=True, text=True,
                         timeout=120, cwd=FIX)  # the external name resolves in the working directory
    assert out.stdout.strip().endswith("RAN"), out.stdout + out.stderr


# ---- 14c-1: object headers sharing one continuation block ---------------------------------

UNDEF = b"\xff" * 8


def _v1msg(mtype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 8)
    return struct.pack("<HHB3x", mtype, len(body), 0) + body


def _v1hdr(msgs: list[bytes]) -> bytes:
    chunk = b"".join(msgs)
    return struct.pack("<BBHII", 1, 0, len(msgs), 1, len(chunk)) + b"\0" * 4 + chunk


def _attr(i: int) -> bytes:
    def pad(b: bytes) -> bytes:
        return b + b"\0" * (-len(b) % 8)
    name, dt, ds = b"a%d\0" % (i % 7), bytes([0x13, 0, 0, 0]) + struct.pack("<I", 1), bytes([1, 0, 0, 0]) + b"\0" * 4
    return struct.pack("<BBHHH", 1, 0, len(name), len(dt), len(ds)) + pad(name) + pad(dt) + pad(ds) + b"x"


def _shared_block_file(n_obj: int, n_msgs: int, staggered: bool) -> bytes:
    """A superblock v2 file (as red team 14c-1 built it): a root group linking ``n_obj`` object
    headers that each hold one continuation message into one block of ``n_msgs`` messages —
    at the same address (attribute messages), or ``staggered``: 8 bytes further for each object
    (8-byte NIL messages, so every start parses)."""
    block = b"".join(_v1msg(0, b"") if staggered else _v1msg(0x0C, _attr(i)) for i in range(n_msgs))

    def link(i: int, addr: int) -> bytes:
        name = b"o%d" % i
        return bytes([1, 0, len(name)]) + name + struct.pack("<Q", addr)

    obj_size = len(_v1hdr([_v1msg(0x10, UNDEF * 2)]))
    root_at = 48
    obj_at = root_at + len(_v1hdr([_v1msg(6, link(i, 0)) for i in range(n_obj)]))
    block_at = obj_at + n_obj * obj_size
    root = _v1hdr([_v1msg(6, link(i, obj_at + i * obj_size)) for i in range(n_obj)])
    step = 8 if staggered else 0
    objs = b"".join(_v1hdr([_v1msg(0x10, struct.pack("<QQ", block_at + step * i, len(block) - step * i))])
                    for i in range(n_obj))
    eof = block_at + len(block)
    sb = b"\x89HDF\r\n\x1a\n" + bytes([2, 8, 8, 0]) + struct.pack("<Q", 0) + UNDEF + struct.pack("<QQ", eof, root_at)
    return sb + b"\0" * 4 + root + objs + block


def _parsed(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[int, hdf5.TreeReport]:
    """(header messages parsed, the walk's report)."""
    files: list[hdf5._File] = []
    orig = hdf5._File.__init__

    def init(self: hdf5._File, fh: IO[bytes], size: int) -> None:
        orig(self, fh, size)
        files.append(self)

    monkeypatch.setattr(hdf5._File, "__init__", init)
    rep = hdf5.walk_tree(io.BytesIO(data), len(data))
    return sum(f.messages_parsed for f in files), rep


def test_a_continuation_block_shared_by_many_headers_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _shared_block_file(100, 3000, staggered=False)
    parsed, rep = _parsed(data, monkeypatch)
    assert parsed <= 3000 + 2 * 100 + 100, parsed  # the block once, each header's own message
    assert any("also belongs to the object header" in why for _, why in rep.unreadable), rep.unreadable


def test_header_messages_are_bounded_by_the_file_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # blocks that overlap at different starts are not shared blocks: the file-size bound holds them
    data = _shared_block_file(200, 5000, staggered=True)
    parsed, rep = _parsed(data, monkeypatch)
    assert parsed <= hdf5.MESSAGES_FLOOR + len(data) // 4 + hdf5.MAX_MESSAGES + 200, (parsed, len(data))
    assert any("header messages" in why for _, why in rep.unreadable), rep.unreadable
