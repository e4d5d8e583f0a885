"""MATLAB MAT-files of level 5 (MATLAB 5 to 7.2; ``scipy.io.savemat``'s default) and level 4
(:func:`parse_mat4`): a bounded, structural reading of the container, never its values.

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

Each class's body is checked as scipy reads it (red team 52f-1: a cell holding a compressed object
or a raw blob, data short of its dimensions, were ``safe``). Bounded: nesting (:data:`MAX_DEPTH`),
dimensions (:data:`MAX_DIMS`), elements (:data:`MAX_ELEMENTS`), inflated bytes (the
scanner's limits: output cap and ratio); data is skipped, never kept.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import IO

from mlbom.formats import inflation
from mlbom.formats.compression import DEFAULT_LIMITS, Decompressing, Limits
from mlbom.formats.weights import Facts, FormatError

MAGIC_TEXT = b"MATLAB 5.0 MAT-file"
MAX_DEPTH = 64  # matrices inside cells/structs/objects (MATLAB nests far less)
MAX_ELEMENTS = 1_000_000  # tags read in one file
# parse-budget steps (mlbom.formats.inflation) a tag read out of a compressed variable costs: a tag
# is a read of the inflating stream and an unpack with its checks, ~1.3-1.6 µs (red team 111pa-8:
# 1 M tags out of 33 KB took 1.6 s, and each MAT-file of a zip as much again)
STEPS_PER_TAG = 3
MAX_CLASSES = 20  # object class names kept for the finding
MAX_CLASS_CHARS = 4096  # a class name longer than this is skipped, not kept
MI_INT8, MI_INT32, MI_UINT32, MI_MATRIX, MI_COMPRESSED, MI_UTF8 = 1, 5, 6, 14, 15, 16
_KNOWN_TYPES = frozenset({1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 14, 15, 16, 17, 18})
MX_CELL, MX_STRUCT, MX_OBJECT, MX_CHAR, MX_SPARSE, MX_FUNCTION, MX_OPAQUE = 1, 2, 3, 4, 5, 16, 17
COMPLEX_FLAG = 0x800  # array flags: an imaginary part follows the real one
MAX_DIMS = 64  # dimensions of one matrix (a dims element of 1,024 values was 171 M checks: red team 52f-2)
_ELEMENT_BYTES = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4}
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
        while 0 < len(data) < n:  # a short read: read on (an inflating stream raises its error there)
            more = self._read(n - len(data))
            if not more:
                break
            data += more
        if len(data) != n:
            raise FormatError(f"truncated: {what} needs {n} bytes, {len(data)} left")
        self.pos += n
        return data

    def skip(self, n: int, what: str) -> None:
        while n > 0:
            n -= len(self.take(min(n, _CHUNK), what))


class _Walk:
    def __init__(self, order: str) -> None:
        self.order = order
        self.elements = 0
        self.variables = 0
        self.objects = 0
        self.classes: list[str] = []
        # inside a compressed variable: the element count past which the file's parse budget is
        # spent, and why (inflation.steps_allowed's words)
        self.budget: tuple[int, int, str] | None = None  # (that count, the elements it allows, why)

    def tag(self, r: _Reader, limit: int, what: str) -> tuple[int, int, int, bytes | None]:
        """(type, byte count, bytes its data takes with padding, the data of a small element) of
        the element at ``r``, which must fit in ``limit`` bytes (its tag included)."""
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise FormatError(f"over {MAX_ELEMENTS} data elements")
        if self.budget is not None and self.elements > self.budget[0]:
            raise FormatError(f"more than {self.budget[1]} data elements in compressed variables, each counting "
                              f"{STEPS_PER_TAG} steps{self.budget[2]}")
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
        """The sub-elements of one ``miMATRIX`` of ``size`` bytes (its tag read), walked to its end and
        checked as scipy.io.loadmat reads them by class (:meth:`_body`): array flags, dimensions and
        name; then a cell's, struct's or object's matrices (one per element and field), a numeric or
        char array's data (as many values as its dimensions say, an imaginary part when complex), a
        sparse matrix's three or four arrays."""
        if depth > MAX_DEPTH:
            raise FormatError(f"matrices nest over {MAX_DEPTH} deep")
        if size == 0:
            return  # an empty matrix (MATLAB writes one for an empty cell entry)
        left, index, mclass, flags = size, 0, 0, 0
        dims: tuple[int, ...] = ()
        rest: list[tuple[int, int, bytes | None]] = []  # (type, count, small data or a kept short value)
        while left > 0:
            mdtype, count, padded, small = self.tag(r, left, what)
            left -= 8 + padded
            if index == 0:
                if mdtype != MI_UINT32 or count != 8 or small is not None:
                    raise FormatError(f"{what}: its first sub-element is not the 8-byte array flags")
                flags = struct.unpack(self.order + "II", r.take(8, "array flags"))[0]
                mclass = flags & 0xFF
                if not 1 <= mclass <= 17:
                    raise FormatError(f"{what}: unknown array class {mclass}")
            elif index == 1 and mclass != MX_OPAQUE:  # an opaque (classdef) object has no dimensions
                if small is None and count > 4 * MAX_DIMS:
                    raise FormatError(f"{what}: over {MAX_DIMS} dimensions")
                data = small if small is not None else r.take(count, what)
                if small is None:
                    r.skip(padded - count, "padding")
                dims = self._dims(mdtype, data, what)
            elif index == 2 or (index == 1 and mclass == MX_OPAQUE):
                if mdtype not in (MI_INT8, MI_UTF8) or (small is None and count > MAX_CLASS_CHARS):
                    raise FormatError(f"{what}: its name is not an int8 string (type {mdtype}; scipy.io.loadmat "
                                      "refuses it)")
                data = small if small is not None else r.take(count, what)
                if small is None:
                    r.skip(padded - count, "padding")
                if not data.isascii():
                    raise FormatError(f"{what}: a name that is not ASCII (scipy.io.loadmat refuses it)")
            elif mdtype == MI_MATRIX:
                self.matrix(r, count, depth + 1, what)
                rest.append((mdtype, count, None))
            elif small is not None:
                rest.append((mdtype, count, small))
            elif (mdtype == MI_INT8 and count <= MAX_CLASS_CHARS) or (mdtype == MI_INT32 and count == 4):
                # a class name, field names or the field-name length: kept
                rest.append((mdtype, count, r.take(count, what)))
                r.skip(padded - count, "padding")
            else:
                r.skip(padded, "element data")
                rest.append((mdtype, count, None))
            index += 1
        if index < (2 if mclass == MX_OPAQUE else 3):
            raise FormatError(f"{what}: its array flags, dimensions and name are not all there")
        self._body(mclass, flags, dims, rest, what)
        if mclass == MX_OBJECT and rest and rest[0][2] is not None:
            self._class(rest[0][2])
        if mclass in (MX_OBJECT, MX_OPAQUE):
            self.objects += 1

    def _dims(self, mdtype: int, data: bytes, what: str) -> tuple[int, ...]:
        """A matrix's dimensions: 32-bit integers (uint32 below 2**31, as scipy reads them), at least two."""
        if mdtype not in (MI_INT32, MI_UINT32) or len(data) % 4 or len(data) < 8:
            raise FormatError(f"{what}: its dimensions are not two or more 32-bit integers (type {mdtype})")
        values = struct.unpack(f"{self.order}{len(data) // 4}{'i' if mdtype == MI_INT32 else 'I'}", data)
        if min(values) < 0 or max(values) >= 1 << 31:
            raise FormatError(f"{what}: a dimension below 0 or over 2**31 (scipy.io.loadmat refuses it)")
        return values

    def _body(self, mclass: int, flags: int, dims: tuple[int, ...], rest: list[tuple[int, int, bytes | None]],
              what: str) -> None:
        """What follows a matrix's name, by its class, as scipy.io.loadmat reads it (anything else it
        refuses: "could not read bytes", "Expecting matrix here", "cannot reshape")."""
        if mclass in (MX_FUNCTION, MX_OPAQUE):
            return  # read by scipy as opaque wrappers of what follows
        n = math.prod(dims)
        if mclass == MX_CELL:
            entries = rest
        elif mclass in (MX_STRUCT, MX_OBJECT):
            head = rest[1:] if mclass == MX_OBJECT else rest
            if mclass == MX_OBJECT and (not rest or rest[0][0] != MI_INT8):
                raise FormatError(f"{what}: an object without its class name")
            if len(head) < 2 or head[0][0] != MI_INT32 or head[0][2] is None or len(head[0][2]) != 4 \
                    or head[1][0] != MI_INT8:
                raise FormatError(f"{what}: a struct without its field-name length and names")
            width = struct.unpack(self.order + "i", head[0][2])[0]
            if width <= 0 or head[1][1] % width:
                raise FormatError(f"{what}: field names of {head[1][1]} bytes are not a multiple of {width}")
            n *= head[1][1] // width
            entries = head[2:]
        elif mclass == MX_SPARSE:
            if len(rest) not in (3, 4) or any(t == MI_MATRIX for t, _, _ in rest):
                raise FormatError(f"{what}: a sparse matrix without its row indices, column pointers and values")
            return
        else:  # char (4), numeric (6-15)
            parts = 2 if flags & COMPLEX_FLAG and mclass != MX_CHAR else 1
            if len(rest) != parts or any(t == MI_MATRIX for t, _, _ in rest):
                raise FormatError(f"{what}: {len(rest)} data elements where its class needs {parts}")
            for t, count, _ in rest:
                size = _ELEMENT_BYTES.get(t)
                if size is None:
                    raise FormatError(f"{what}: array data of type {t}")
                # (a char array's text: scipy pads or cuts it to its dimensions)
                if mclass != MX_CHAR and (count % size or count // size != n):
                    raise FormatError(f"{what}: {count // size} values for dimensions {dims} (scipy.io.loadmat "
                                      "cannot reshape them)")
            return
        if len(entries) != n or any(t != MI_MATRIX for t, _, _ in entries):
            raise FormatError(f"{what}: {len(entries)} entries where its dimensions and fields need {n} matrices "
                              "(scipy.io.loadmat refuses it)")

    def _class(self, raw: bytes) -> None:
        name = raw.decode("ascii", "replace")
        if name not in self.classes and len(self.classes) < MAX_CLASSES:
            self.classes.append(name)


# Level 4 (MATLAB 4; scipy.io.savemat(format="4")): the file is a run of records, each a 20-byte
# header of five int32 in the file's byte order — mopt (M*1000 + O*100 + P*10 + T), mrows, ncols,
# imagf, namlen — then the name and the data (mrows * ncols values of P's size, twice for complex
# full and text matrices). scipy's _mio4 picks the byte order once from the first mopt.
V4_TYPE_BYTES = {0: 8, 1: 4, 2: 4, 3: 2, 4: 2, 5: 1}  # P: double, single, int32, int16, uint16, uint8
MX4_FULL, MX4_TEXT, MX4_SPARSE = 0, 1, 2
V4_HEADER = 20


def _v4_order(head: bytes) -> str:
    """scipy's ``MatFile4Reader.guess_byte_order``: the first mopt read little-endian; 0 or within
    0..5000 means little-endian, anything else was byte-swapped (big-endian)."""
    mopt = int.from_bytes(head[:4], "little", signed=True)
    return "<" if 0 <= mopt <= 5000 else ">"


def looks_like_v4(head: bytes) -> bool:
    """A level-4 MAT-file start as scipy.io.loadmat decides it (any zero among the first four bytes,
    where level 5 has its header text) with a first record header scipy accepts."""
    if len(head) < V4_HEADER or 0 not in head[:4] or looks_like_v5(head):
        return False
    if not any(head[:V4_HEADER]):  # scipy: "Mat file appears to be corrupt (first 20 bytes == 0)"
        return False
    return _v4_problem(struct.unpack(_v4_order(head) + "5i", head[:V4_HEADER])) is None


def _v4_problem(header: tuple[int, ...]) -> str | None:
    """Why scipy.io.loadmat refuses a level-4 record header, or None."""
    mopt, mrows, ncols, _imagf, namlen = header
    if not 0 <= mopt <= 5000:
        return f"mopt {mopt} is outside 0..5000"
    order, rest = divmod(mopt, 1000)
    zero, rest = divmod(rest, 100)
    ptype, mclass = divmod(rest, 10)
    if order > 4 or zero != 0 or ptype not in V4_TYPE_BYTES or mclass not in (MX4_FULL, MX4_TEXT, MX4_SPARSE):
        return f"mopt {mopt} names no byte order, data type and matrix class scipy reads"
    if mrows < 0 or ncols < 0 or namlen < 0:
        return "a negative row count, column count or name length"
    if mclass == MX4_SPARSE and (mrows < 1 or ncols not in (3, 4)):
        return f"a sparse matrix stored as {mrows} x {ncols}, not (nonzeros + 1) x 3 or 4"
    return None


def parse_mat4(fh: IO[bytes], size: int) -> Facts:
    """A level-4 MAT-file's records tiling the file exactly (:data:`V4_HEADER`); FormatError where
    scipy.io.loadmat would refuse one or the records do not end at the file's end. Level 4 holds
    numeric, text and sparse matrices only: no objects, nothing a reader runs."""
    fh.seek(0)
    head = fh.read(V4_HEADER)
    if not looks_like_v4(head):
        raise FormatError("not a level-4 MAT-file start (scipy.io.loadmat refuses it: the first 20 bytes are all "
                          "zero or its first record header is not one it reads)")
    order = _v4_order(head)
    pos, records = 0, 0
    while pos < size:
        what = f"variable {records + 1}"
        if records >= MAX_ELEMENTS:
            raise FormatError(f"more than {MAX_ELEMENTS:,} variables")
        fh.seek(pos)
        raw = fh.read(V4_HEADER)
        if len(raw) < V4_HEADER:
            raise FormatError(f"{what}: the file ends inside a record header ({len(raw)} bytes)")
        header = struct.unpack(order + "5i", raw)
        problem = _v4_problem(header)
        if problem is not None:
            raise FormatError(f"{what}: {problem} (scipy.io.loadmat refuses it)")
        mopt, mrows, ncols, imagf, namlen = header
        mclass = mopt % 10
        parts = 2 if imagf == 1 and mclass != MX4_SPARSE else 1
        data = mrows * ncols * V4_TYPE_BYTES[(mopt % 100) // 10] * parts
        end = pos + V4_HEADER + namlen + data
        if end > size:
            raise FormatError(f"{what}: its name and data ({namlen + data:,} bytes) run past the end of the file")
        pos, records = end, records + 1
    if records == 0:
        raise FormatError("an empty MAT-file (scipy.io.loadmat refuses it)")
    return Facts()


def _compressed_variable(fh: IO[bytes], walk: _Walk, count: int, limits: Limits, budget: list[int],
                         what: str) -> None:
    """The ``miCOMPRESSED`` element of ``count`` bytes at ``fh``'s position: one matrix, its tags
    charged to the file's parse budget (:data:`STEPS_PER_TAG` each, however the walk ends)."""
    allowed, why = inflation.steps_allowed(STEPS_PER_TAG * MAX_ELEMENTS)
    start = walk.elements
    walk.budget = (start + allowed // STEPS_PER_TAG, allowed // STEPS_PER_TAG, why) if why else None
    try:
        stream = Decompressing(fh, "zlib", limits, compressed_size=count, budget=budget)
        inner = _Reader(stream.read)
        itype, icount, _, ismall = walk.tag(inner, 1 << 62, what)
        if itype != MI_MATRIX or ismall is not None:
            raise FormatError(f"{what}: a compressed variable inflates to data type {itype}, not a matrix "
                              "(scipy.io.loadmat refuses it)")
        walk.matrix(inner, icount, 0, what)
        if not stream.at_end():  # scipy: "did not fully consume compressed contents"
            raise FormatError(f"{what}: bytes after the matrix in its compressed stream (scipy.io.loadmat "
                              "refuses it)")
    finally:
        walk.budget = None
        inflation.charge(STEPS_PER_TAG * (walk.elements - start))


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
            # the scanner's bounded inflater: the file's output budget, the ratio and absolute caps;
            # its tags are walked within the file's parse budget (mlbom.formats.inflation, 111pa-8)
            with inflation.inflated_from(count):
                _compressed_variable(fh, walk, count, limits, budget, what)
            top.pos += count
            fh.seek(top.pos)
        else:
            raise FormatError(f"{what}: a top-level element of data type {mdtype}, not a matrix")
        walk.variables += 1
    out = Facts()
    if walk.objects:
        shown = ", ".join(repr(c) for c in walk.classes[:5]) or "classdef objects, named in the subsystem data"
        out.findings.append(("matlab.object", "high",
                             f"MAT-file holding {walk.objects} MATLAB object(s) ({shown}): MATLAB's load calls each "
                             "class's loadobj method or constructor, code on MATLAB's path and not in the file "
                             "(scipy.io.loadmat reads them as data)"))
    return out
