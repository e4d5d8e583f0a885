"""formats.zipread on its own: a real npz and torch archive read as zipfile reads them, and
corrupt archives refused with FormatError (never another exception)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from mlbom.formats.weights import FormatError
from mlbom.formats.zipread import find_end_record, open_member, read_archive
from tests.conftest import FIXTURES

BENIGN = FIXTURES / "scan" / "benign"


def _read(raw: bytes) -> list[tuple[str, bytes]]:
    fh = io.BytesIO(raw)
    eocd = find_end_record(fh, len(raw))
    if eocd is None:
        raise FormatError("no end record")
    archive = read_archive(fh, len(raw), eocd)
    out = []
    for e in archive.entries:
        member = open_member(fh, e)
        parts = []
        while chunk := member.read(1 << 16):
            parts.append(chunk)
        out.append((e.name, b"".join(parts)))
    return out


@pytest.mark.parametrize("name", ["np_archive.npz", "np_archive_compressed.npz", "pytorch_model.bin"])
def test_real_archives_match_zipfile(name: str) -> None:
    path: Path = BENIGN / name
    with zipfile.ZipFile(path) as zf:
        want = [(i.filename, zf.read(i)) for i in zf.infolist()]
    assert _read(path.read_bytes()) == want


def test_no_end_record() -> None:
    assert find_end_record(io.BytesIO(b"short"), 5) is None
    assert find_end_record(io.BytesIO(b"\0" * 100), 100) is None


def _zip(method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        zf.writestr("a.txt", b"hello " * 100)
    return buf.getvalue()


def test_corrupt_archives_are_format_errors() -> None:
    good = _zip()
    eocd = good.rindex(b"PK\x05\x06")
    cases = [
        good[:eocd + 10],  # end record truncated
        good[:eocd + 16] + b"\xff\xff\xff\x7f" + good[eocd + 20:],  # directory offset past the file
        good[:30] + good[eocd - 46 - 5:],  # member data cut away
    ]
    for raw in cases:
        with pytest.raises(FormatError):
            _read(raw)


def test_corrupt_deflate_data_is_a_format_error() -> None:
    raw = bytearray(_zip())
    raw[40:60] = b"\xff" * 20  # inside the deflate stream of the only member
    with pytest.raises(FormatError):
        _read(bytes(raw))
