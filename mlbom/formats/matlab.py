"""MATLAB MAT-files of level 5 (MATLAB 5 to 7.2; ``scipy.io.savemat``'s default): a bounded,
structural reading of the container, never its values.

Layout (MathWorks, "MAT-File Format", and scipy.io.matlab's ``_mio5`` reader, which decides the
version by bytes 124-127 alone): a 128-byte header — descriptive text, the subsystem data offset,
the version ``0x0100`` and the endian indicator ``IM`` (little-endian) or ``MI`` (big-endian) — then
data elements to the end of the file. An element is an 8-byte tag (type, byte count) and its data
padded to 8 bytes, or a *small* element (count in the type word's upper half, data in the tag's
last four bytes). A variable is an ``miMATRIX`` (14) element, or an ``miCOMPRESSED`` (15) one whose
zlib stream inflates to an ``miMATRIX``; a matrix holds sub-elements — array flags, dimensions,
name, then data or, for cells, structs and objects, more matrices.

No reader of the format runs code from it: ``scipy.io.loadmat`` builds arrays, dicts and opaque
wrappers. MATLAB itself calls the ``loadobj`` method (or constructor) of the class an object
(class 3) or a classdef object (opaque, class 17) names — code on MATLAB's path, not in the file,
as a pickle's class — so a file holding objects is ``suspicious`` (``matlab.object``), naming the
classes; everything else in a well-formed file is data. Anything this reading cannot walk to the
end — a tag past its parent, a compressed variable that does not inflate to one matrix, a bomb —
is :class:`~mlbom.formats.weights.FormatError` (``error``: not judged).

Bounded: nesting (:data:`MAX_DEPTH`), elements (:data:`MAX_ELEMENTS`), inflated bytes (the
scanner's limits: output cap and ratio); data is skipped, never kept.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import IO

from mlbom.formats.compression import DEFAULT_LIMITS, BombError, Limits
from mlbom.formats.weights import Facts, FormatError

MAGIC_TEXT = b"MATLAB 5.0 MAT-file"
MAX_DEPTH = 64  # matrices inside cells/structs/objects (MATLAB nests far less)
MAX_ELEMENTS = 1_000_000  # tags read in one file
MAX_CLASSES = 20  # object class names kept for the finding
MAX_CLASS_CHARS = 4096  # a class name longer than this is skipped, not kept
MI_INT8, MI_UINT8, MI_INT32, MI_UINT32, MI_MATRIX, MI_COMPRESSED = 1, 2, 5, 6, 14, 15
_KNOWN_TYPES = frozenset({1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 14, 15, 16, 17, 18})
MX_OBJECT, MX_OPAQUE = 3, 17
_CHUNK = 1 << 20


def looks_like_v5(head: bytes) -> bool:
    """A level-5 MAT-file header: MATLAB's text, version 0x0100 in the file's byte order."""
    if len(head) < 128 or not head.startswith(MAGIC_TEXT):
        return False
    order = head[126:128]
    if order == b"IM":
        return head[124:126] == b"\x00\x01"
    if order == b"MI":
        return head[124:126] == b"\x01\x00"
    return False


class _Reader:
    """Sequential reads (``read(n)``: a file's or an inflating stream's), with a position."""

    def __init__(self, read: Callable[[int], bytes], pos: int = 0) -> None:
        self._read = read
        self.pos = pos

    def take(self, n: int, what: str) -> bytes:
        data = self._read(n)
        if len(data) != n:
            raise FormatError(f"truncated: {what} needs {n} bytes, {len(data)} left")
        self.pos += n
        return data

    def skip(self, n: int, what: str) -> None:
        while n > 0:
            n -= len(self.take(min(n, _CHUNK), what))


class _Inflater:
    """``read(n)`` of the zlib stream of ``csize`` bytes at ``fh``'s position, its output bounded by
    the scanner's limits (``budget``: bytes left to inflate in this file, shared)."""

    def __init__(self, fh: IO[bytes], csize: int, limits: Limits, budget: list[int]) -> None:
        self.fh, self.left_in, self.csize, self.limits, self.budget = fh, csize, csize, limits, budget
        self.z = zlib.decompressobj()
        self.buf = bytearray()
        self.out = 0

    def __call__(self, n: int) -> bytes:
        while len(self.buf) < n and not self.z.eof:
            chunk = self.z.unconsumed_tail
            if not chunk:
                if self.left_in <= 0:
                    break
                chunk = self.fh.read(min(_CHUNK, self.left_in))
                if not chunk:
                    break
                self.left_in -= len(chunk)
            try:
                more = self.z.decompress(chunk, _CHUNK)
            except zlib.error as exc:
                raise FormatError(f"a compressed variable does not inflate ({exc})") from exc
            self.out += len(more)
            self.budget[0] -= len(more)
            if self.budget[0] < 0:
                raise BombError(f"compressed variables inflate past the limit of {self.limits.max_output} bytes")
            if self.out > self.limits.ratio_floor and self.out > self.limits.max_ratio * max(self.csize, 1):
                raise BombError(f"a compressed variable of {self.csize} bytes inflates past {self.limits.max_ratio}:1")
            self.buf += more
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def finish(self, what: str) -> None:
        """The stream must end here, its checksum verified: scipy.io.loadmat refuses a compressed
        variable with bytes after its matrix ("did not fully consume compressed contents")."""
        if self(1):
            raise FormatError(f"{what}: bytes after the matrix in its compressed stream (scipy.io.loadmat refuses it)")
        if not self.z.eof:
            raise FormatError(f"{what}: its compressed stream is cut short (no end, no checksum)")


class _Walk:
    def __init__(self, order: str) -> None:
        self.order = order
        self.elements = 0
        self.variables = 0
        self.objects = 0
        self.classes: list[str] = []

    def tag(self, r: _Reader, limit: int, what: str) -> tuple[int, int, int, bytes | None]:
        """(type, byte count, bytes its data takes with padding, the data of a small element) of
        the element at ``r``, which must fit in ``limit`` bytes (its tag included)."""
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise FormatError(f"over {MAX_ELEMENTS} data elements")
        if limit < 8:
            raise FormatError(f"{what}: a tag needs 8 bytes, {limit} left in its container")
        raw = r.take(8, what)
        word, count = struct.unpack(self.order + "II", raw)
        if word >> 16:  # a small data element: type and count in the first word, data in the second
            mdtype, n = word & 0xFFFF, word >> 16
            if n > 4:
                raise FormatError(f"{what}: a small data element of {n} bytes (at most 4)")
            if mdtype not in _KNOWN_TYPES or mdtype in (MI_MATRIX, MI_COMPRESSED):
                raise FormatError(f"{what}: a small data element of type {mdtype}")
            return mdtype, n, 0, raw[4:4 + n]
        if word not in _KNOWN_TYPES:
            raise FormatError(f"{what}: unknown data type {word}")
        padded = count if word in (MI_MATRIX, MI_COMPRESSED) else (count + 7) & ~7
        if padded > limit - 8:
            raise FormatError(f"{what}: an element of {count} bytes, {limit - 8} left in its container")
        return word, count, padded, None

    def matrix(self, r: _Reader, size: int, depth: int, what: str) -> None:
        """The sub-elements of one ``miMATRIX`` of ``size`` bytes (its tag read), walked to its end:
        array flags first; a class name fourth in an object; matrices inside walked in turn."""
        if depth > MAX_DEPTH:
            raise FormatError(f"matrices nest over {MAX_DEPTH} deep")
        left, index, mclass = size, 0, 0
        while left > 0:
            mdtype, count, padded, small = self.tag(r, left, what)
            left -= 8 + padded
            if index == 0:
                if mdtype != MI_UINT32 or count != 8 or small is not None:
                    raise FormatError(f"{what}: its first sub-element is not the 8-byte array flags")
                mclass = struct.unpack(self.order + "II", r.take(8, "array flags"))[0] & 0xFF
                if not 1 <= mclass <= 17:
                    raise FormatError(f"{what}: unknown array class {mclass}")
            elif index in (1, 2) and (small is not None or count <= MAX_CLASS_CHARS):
                data = small if small is not None else r.take(count, what)
                # an opaque (classdef) object has no dimensions: its name comes second
                self._header_part("name" if index == 2 or mclass == MX_OPAQUE else "dims", mdtype, data, what)
                if small is None:
                    r.skip(padded - count, "padding")
            elif small is not None:
                if index == 3 and mclass == MX_OBJECT and mdtype == MI_INT8:
                    self._class(small)
            elif mdtype == MI_MATRIX:
                self.matrix(r, count, depth + 1, what)
            elif index == 3 and mclass == MX_OBJECT and mdtype == MI_INT8 and count <= MAX_CLASS_CHARS:
                self._class(r.take(count, "class name"))
                r.skip(padded - count, "padding")
            else:
                r.skip(padded, "element data")
            index += 1
        if size and index == 0:
            raise FormatError(f"{what}: no array flags")
        if mclass in (MX_OBJECT, MX_OPAQUE):
            self.objects += 1

    def _header_part(self, part: str, mdtype: int, data: bytes, what: str) -> None:
        """A matrix's dimensions (int32, or uint32 below 2**31, as scipy reads them) and name (ASCII)
        — what scipy.io.loadmat checks before it reads the data."""
        if part == "dims":
            if mdtype not in (MI_INT32, MI_UINT32) or len(data) % 4:
                raise FormatError(f"{what}: its dimensions are not 32-bit integers (type {mdtype})")
            if mdtype == MI_UINT32 and any(v >= 1 << 31 for v in struct.unpack(f"{self.order}{len(data) // 4}I", data)):
                raise FormatError(f"{what}: dimensions stored as miUINT32 over 2**31 (scipy.io.loadmat refuses them)")
        elif not data.isascii():
            raise FormatError(f"{what}: a name that is not ASCII (scipy.io.loadmat refuses it)")

    def _class(self, raw: bytes) -> None:
        name = raw.decode("ascii", "replace")
        if name not in self.classes and len(self.classes) < MAX_CLASSES:
            self.classes.append(name)


def parse_mat(fh: IO[bytes], size: int, limits: Limits = DEFAULT_LIMITS) -> Facts:
    """A level-5 MAT-file walked to its end (:mod:`mlbom.formats.matlab`); :class:`FormatError`
    (or :class:`~mlbom.formats.compression.BombError`) where it cannot be."""
    fh.seek(0)
    header = fh.read(128)
    if not looks_like_v5(header):
        raise FormatError("not a level-5 MAT-file header")
    walk = _Walk("<" if header[126:128] == b"IM" else ">")
    budget = [limits.max_output]
    top = _Reader(fh.read, 128)
    while top.pos < size:
        what = f"variable {walk.variables + 1}"
        mdtype, count, _padded, small = walk.tag(top, size - top.pos, what)
        if small is not None:
            raise FormatError(f"{what}: a small data element where a variable must be")
        if mdtype == MI_MATRIX:
            walk.matrix(top, count, 0, what)
        elif mdtype == MI_COMPRESSED:
            stream = _Inflater(fh, count, limits, budget)
            inner = _Reader(stream)
            itype, icount, _, ismall = walk.tag(inner, 1 << 62, what)
            if itype != MI_MATRIX or ismall is not None:
                raise FormatError(f"{what}: a compressed variable inflates to data type {itype}, not a matrix "
                                  "(scipy.io.loadmat refuses it)")
            walk.matrix(inner, icount, 0, what)
            stream.finish(what)
            top.pos += count
            fh.seek(top.pos)
        else:
            raise FormatError(f"{what}: a top-level element of data type {mdtype}, not a matrix")
        walk.variables += 1
    out = Facts()
    out.facts["mlbom:matlab.variables"] = str(walk.variables)
    if walk.objects:
        shown = ", ".join(repr(c) for c in walk.classes[:5]) or "classdef objects, named in the subsystem data"
        out.findings.append(("matlab.object", "high",
                             f"MAT-file holding {walk.objects} MATLAB object(s) ({shown}): MATLAB's load calls each "
                             "class's loadobj method or constructor, code on MATLAB's path and not in the file "
                             "(scipy.io.loadmat reads them as data)"))
    return out
