"""Whether an image file is an image to its end: the structural walk that lets content be called
"name-free" (red team 26c-1). A signature (``BM``, ``GIF89a``) proves nothing — Python reads
``BM = 1`` as a first line — so an image is whole only when every structure of its format is
read from the signature to its end marker, with nothing after it:

- PNG: the signature, then chunks (length, type, data, CRC-32 checked), ``IHDR`` first, up to
  ``IEND``;
- JPEG: ``SOI``, then marker segments (length inside the file), entropy-coded data after
  ``SOS`` (``FF 00`` stuffing, ``RSTn``), up to ``EOI``;
- GIF: header, logical screen descriptor (and its colour table), then extension and image
  blocks (sub-blocks to their zero terminator) up to the ``;`` trailer;
- BMP: ``bfSize`` equal to the file size, ``bfReserved`` zero, a known DIB header size, pixel
  data offset inside the file;
- WebP: a RIFF container whose size is the file's, chunks to its end.

:func:`whole_image` reads at most the file (bounded by the caller's size limit) in chunks.
"""

from __future__ import annotations

import struct
import zlib
from typing import IO

__all__ = ["MAX_IMAGE", "whole_image"]

MAX_IMAGE = 256 << 20  # larger images are not walked (not shown whole)
_CHUNK = 1 << 20
_BMP_HEADERS = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


class _Short(Exception):
    pass


class _Reader:
    def __init__(self, fh: IO[bytes], size: int) -> None:
        self.fh, self.size = fh, size
        fh.seek(0)
        self.pos = 0

    def read(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise _Short
        data = self.fh.read(n)
        if len(data) != n:
            raise _Short
        self.pos += n
        return data

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.size:
            raise _Short
        self.pos += n
        self.fh.seek(self.pos)


def whole_image(fh: IO[bytes], size: int) -> str | None:
    """``None`` when the file is an image of a known kind read whole to its end marker with
    nothing after it; else why not (a short sentence)."""
    if size > MAX_IMAGE:
        return f"larger than {MAX_IMAGE} bytes: not walked"
    r = _Reader(fh, size)
    try:
        head = r.read(min(size, 12))
        r.pos = 0
        fh.seek(0)
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            why = _png(r)
        elif head.startswith(b"\xff\xd8"):
            why = _jpeg(r)
        elif head[:6] in (b"GIF87a", b"GIF89a"):
            why = _gif(r)
        elif head.startswith(b"BM"):
            why = _bmp(r)
        elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            why = _webp(r)
        else:
            return "no image signature"
    except _Short:
        return "a structure runs past the end of the file"
    if why is None and r.pos != size:
        return f"{size - r.pos} bytes after the image's end"
    return why


def _png(r: _Reader) -> str | None:
    r.skip(8)
    first = True
    while True:
        length, ctype = struct.unpack(">I4s", r.read(8))
        if length > 0x7FFFFFFF:
            return "a PNG chunk length over 2^31-1"
        if first and ctype != b"IHDR":
            return "the first PNG chunk is not IHDR"
        first = False
        crc = zlib.crc32(ctype)
        left = length
        while left:
            part = r.read(min(left, _CHUNK))
            crc = zlib.crc32(part, crc)
            left -= len(part)
        if struct.unpack(">I", r.read(4))[0] != crc:
            return f"PNG chunk {ctype!r}: CRC mismatch"
        if ctype == b"IEND":
            return None


def _jpeg(r: _Reader) -> str | None:
    r.skip(2)  # SOI
    while True:
        if r.read(1) != b"\xff":
            return "a JPEG marker expected"
        marker = r.read(1)[0]
        while marker == 0xFF:  # fill bytes
            marker = r.read(1)[0]
        if marker == 0xD9:  # EOI
            return None
        if marker in (0x01, *range(0xD0, 0xD8)):  # TEM, RSTn: no length
            continue
        if marker == 0x00 or marker == 0xD8:
            return f"JPEG marker FF{marker:02X} out of place"
        (length,) = struct.unpack(">H", r.read(2))
        if length < 2:
            return "a JPEG segment length under 2"
        r.skip(length - 2)
        if marker == 0xDA and not _entropy(r):  # SOS: entropy-coded data up to the next real marker
            return "JPEG entropy-coded data runs to the end of the file"


def _entropy(r: _Reader) -> bool:
    """Skip entropy-coded data; leave ``r`` at the ``FF`` of the next real marker."""
    while r.pos < r.size:
        start = r.pos
        data = r.fh.read(min(_CHUNK, r.size - r.pos))
        if not data:
            return False
        i = 0
        while True:
            i = data.find(b"\xff", i)
            if i < 0 or i + 1 >= len(data):
                break
            nxt = data[i + 1]
            if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
                i += 1 if nxt == 0xFF else 2
                continue
            r.pos = start + i
            r.fh.seek(r.pos)
            return True
        # an FF at the chunk's end: look at it again with the next read
        r.pos = start + (len(data) - 1 if data.endswith(b"\xff") and len(data) > 1 else len(data))
        r.fh.seek(r.pos)
        if r.pos == start:
            return False
    return False


def _gif(r: _Reader) -> str | None:
    r.skip(6)
    _w, _h, packed, _bg, _aspect = struct.unpack("<HHBBB", r.read(7))
    if packed & 0x80:
        r.skip(3 << ((packed & 7) + 1))
    while True:
        intro = r.read(1)
        if intro == b";":
            return None
        if intro == b"!":
            r.skip(1)  # label
        elif intro == b",":
            desc = r.read(9)
            if desc[8] & 0x80:
                r.skip(3 << ((desc[8] & 7) + 1))
            r.skip(1)  # LZW minimum code size
        else:
            return f"GIF block introducer {intro!r} is not '!', ',' or ';'"
        while (n := r.read(1)[0]) != 0:
            r.skip(n)


def _bmp(r: _Reader) -> str | None:
    _magic, file_size, reserved, offset, dib = struct.unpack("<2sIIII", r.read(18))
    if file_size != r.size:
        return f"BMP size field {file_size} is not the file's size {r.size}"
    if reserved != 0:
        return "BMP reserved fields are not zero"
    if dib not in _BMP_HEADERS:
        return f"BMP header size {dib} is no known DIB header"
    if not 14 + dib <= offset <= r.size:
        return f"BMP pixel data offset {offset} outside the file"
    r.skip(r.size - r.pos)  # the pixel data run to the end of the file
    return None


def _webp(r: _Reader) -> str | None:
    _riff, riff_size, _webp = struct.unpack("<4sI4s", r.read(12))
    if riff_size + 8 != r.size:
        return f"RIFF size {riff_size} is not the file's size less 8"
    while r.pos < r.size:
        _fourcc, n = struct.unpack("<4sI", r.read(8))
        r.skip(n + (n & 1))
    return None
