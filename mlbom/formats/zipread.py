"""A zip reader that reads archives the way model loaders do, and lists every place where two
loaders could read the same bytes differently.

The reference semantics are CPython's ``zipfile`` (used by ``numpy.load`` for ``.npz``, Keras
and ``zipfile.is_zipfile``) and the miniz-based reader behind ``torch.load`` (central directory
names, archive prefix taken from the first entry):

- the end-of-central-directory record is searched backwards: ``zipfile`` over the last
  64 KiB + 22 bytes, miniz in 4 KiB steps up to ~68 KiB (:func:`miniz_end_record`); data may
  precede the archive (``zipfile`` shifts every offset by that prefix; torch
  requires ``PK\\x03\\x04`` at offset 0);
- names come from the central directory (cp437, or UTF-8 when flag bit 11 is set); ``zipfile``
  refuses a member whose local header names it differently, miniz never looks;
- ``zipfile`` refuses "version needed" above 6.3 and methods other than 0, 8, 12, 14; miniz
  reads only 0 and 8;
- ``zipfile`` (hence ``np.load``, Keras) checks a member's CRC-32 against the central
  directory when a read reaches the member's end and raises ``BadZipFile`` then — after the
  bytes were consumed (an object array's pickle has already run); torch's reader never checks
  it (torch 2.13 loads a checkpoint whose ``data.pkl`` and storage CRCs are wrong, stored or
  deflated). :func:`crc32_of` lets the scanner compare.

What is parsed is returned with :class:`Differential` notes; the scanner decides the verdicts.
Nothing here raises anything but :class:`~mlbom.formats.weights.FormatError`.
"""

from __future__ import annotations

import itertools
import lzma
import stat
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from mlbom.formats.compression import DEFAULT_LIMITS, Decompressing, Limits
from mlbom.formats.weights import FormatError, Window

EOCD = b"PK\x05\x06"
EOCD64_LOCATOR = b"PK\x06\x07"
EOCD64 = b"PK\x06\x06"
CENTRAL = b"PK\x01\x02"
LOCAL = b"PK\x03\x04"
MAX_COMMENT = 0xFFFF
SUPPORTED_METHODS = {0: "stored", 8: "deflate", 12: "bzip2", 14: "lzma"}
MAX_VERSION = 63  # zipfile.MAX_EXTRACT_VERSION
# General-purpose flag bits that make a loader refuse the member: bit 0 (encrypted: zipfile asks
# for a password, miniz "unsupported encryption"); bits 5 (compressed patched data) and 6 (strong
# encryption): zipfile.ZipFile.open raises NotImplementedError (3.11 zipfile.py, _MASK_COMPRESSED_PATCH
# and _MASK_STRONG_ENCRYPTION), miniz's mz_zip_reader_extract_* "unsupported feature"/"unsupported
# encryption"; bit 13 (masked local header / encrypted central directory): miniz refuses the whole
# archive when it reads the central directory (torch.load: "failed reading zip archive: unsupported
# encryption"; red team 86s-1).
_BOTH_REFUSE = "zipfile (np.load, Keras) raises NotImplementedError on opening it and torch's reader (miniz) refuses it"
_FEATURE_FLAGS = ((0x20, f"flag bit 5 (compressed patched data): {_BOTH_REFUSE}"),
                  (0x40, f"flag bit 6 (strong encryption): {_BOTH_REFUSE}"),
                  (0x2000, "flag bit 13 (encrypted central directory): torch's reader (miniz) refuses the whole "
                           "archive"))
UNREADABLE_FLAGS = 0x1 | 0x20 | 0x40 | 0x2000
EMPTY_STREAM_BYTES = 32  # an empty member's compressed stream is shorter: deflate 2 (or 5), bzip2 14, zipfile's LZMA 19


@dataclass
class ZipEntry:
    name: str
    method: int
    flags: int
    csize: int
    usize: int
    header_offset: int  # absolute offset of the local header in the file
    version_needed: int
    create_system: int
    external_attr: int
    local_name: str | None = None
    data_offset: int | None = None  # absolute offset of the member data
    crc: int = 0  # CRC-32 of the uncompressed bytes, from the central directory

    @property
    def zipfile_name(self) -> str:
        """The name ``zipfile`` (np.load, Keras) gives the entry: ``ZipInfo`` cuts it at its
        first NUL (``_sanitize_filename``); torch's reader (miniz) matches the whole name."""
        return self.name.split("\x00", 1)[0]

    @property
    def raw_name(self) -> bytes:
        """The name's bytes as the central directory holds them (what miniz and torch compare):
        the decoding :func:`_cp437_or_utf8` made, undone (both are one-to-one)."""
        return self.name.encode("utf-8" if self.flags & 0x800 else "cp437")

    @property
    def is_dir(self) -> bool:
        """Named as a folder in either reader's view (which says nothing of whether it holds bytes:
        ``zipfile.ZipFile.open`` reads a folder entry's data by its name like any member's)."""
        return self.name.endswith("/") or self.zipfile_name.endswith("/")

    @property
    def holds_data(self) -> bool:
        """Whether a reader gets bytes from the entry: zipfile hands out at most ``usize`` bytes
        of any member; a stored one's ``csize`` is its data too. A compressed empty member still
        has a few bytes of stream (deflate's ``03 00``: Java's and Bazel's folder entries, red team
        56b-2), which count only past :data:`EMPTY_STREAM_BYTES`."""
        if self.usize > 0 or (self.method == 0 and self.csize > 0):
            return True
        return self.csize > EMPTY_STREAM_BYTES

    @property
    def encrypted(self) -> bool:
        """The member cannot be read as its bytes stand: any flag bit that makes a loader refuse it
        (:data:`UNREADABLE_FLAGS`) — encryption (bit 0) or a feature no loader implements."""
        return bool(self.flags & UNREADABLE_FLAGS)

    @property
    def unsupported_feature(self) -> str | None:
        """The first flag bit beyond plain encryption that makes a loader refuse the member, named;
        None when there is none (at most bit 0)."""
        return next((why for bit, why in _FEATURE_FLAGS if self.flags & bit), None)

    @property
    def is_symlink(self) -> bool:
        return self.create_system == 3 and stat.S_ISLNK(self.external_attr >> 16)


@dataclass(frozen=True)
class Differential:
    """A place where two loaders could read the archive differently (or refuse it)."""

    id: str
    message: str


@dataclass
class ZipArchive:
    entries: list[ZipEntry]
    start: int  # where the archive starts (bytes before it: a prefix)
    end: int  # end of the end record and its comment
    notes: list[Differential] = field(default_factory=list)
    miniz: ZipArchive | None = None  # the other directory torch's reader takes, where it differs


def zipfile_end_record(fh: IO[bytes], size: int) -> int | None:
    """Offset of the end-of-central-directory record as ``zipfile._EndRecData`` finds it: the
    last 22 bytes first (signature and a zero comment length), then the LAST occurrence of its
    signature in the final 64 KiB + 22 — None when that occurrence has fewer than 22 bytes after
    it (zipfile does not look further back)."""
    if size < 22:
        return None
    fh.seek(size - 22)
    tail = fh.read(22)
    if tail[:4] == EOCD and tail[-2:] == b"\x00\x00":
        return size - 22
    start = max(0, size - MAX_COMMENT - 22)
    fh.seek(start)
    data = fh.read(size - start)
    i = data.rfind(EOCD)
    if i >= 0 and len(data) - i >= 22:
        return start + i
    return None


_MINIZ_BUF = 4096


def miniz_end_record(fh: IO[bytes], size: int) -> int | None:
    """Offset of the end record as torch's reader finds it (miniz 3.0.2
    ``mz_zip_reader_locate_header_sig``): backwards in 4 KiB buffers from ``size - 4096``, each
    overlapping the next by 3 bytes, the last signature of a buffer with at least 22 bytes after it
    (no comment-length check); the "gone back too far" bound (65 535 + 22 bytes from the end) is
    tested only after a buffer is searched, so the search reaches up to 69 584 bytes from the end.
    The step back (``cur - (sizeof(buf) - 3)``, computed unsigned) wraps to a negative offset
    whose read fails when fewer than 4 093 bytes remain before the buffer (unless exactly 4 093):
    miniz then gives up without reading the start of the file. None where torch refuses it."""
    if size < 22:
        return None
    cur = max(size - _MINIZ_BUF, 0)
    while True:
        n = min(_MINIZ_BUF, size - cur)
        fh.seek(cur)
        buf = fh.read(n)
        if len(buf) != n:
            return None
        i = buf.rfind(EOCD, 0, max(0, min(n, size - 22 - cur + 4)))
        if i >= 0:
            return cur + i
        if cur == 0 or size - cur >= MAX_COMMENT + 22:
            return None
        cur -= _MINIZ_BUF - 3
        if cur < 0:
            return None  # the read at a wrapped (negative) offset fails


def find_end_record(fh: IO[bytes], size: int) -> int | None:
    """The end record a zip loader finds: ``zipfile``'s (:func:`zipfile_end_record`), else torch's
    miniz's (:func:`miniz_end_record`). When one reader finds one, the other finds the same or
    none (both take the last signature they reach with 22 bytes after it), so this never hides a
    second archive; :func:`read_archive` notes the reader that does not find it
    (``zip.end-record-differential``)."""
    found = zipfile_end_record(fh, size)
    return found if found is not None else miniz_end_record(fh, size)


def _end_record_note(fh: IO[bytes], size: int, eocd: int) -> Differential | None:
    z, m = zipfile_end_record(fh, size), miniz_end_record(fh, size)
    if z == m or eocd not in (z, m):
        return None
    if z is None:
        return Differential("zip.end-record-differential", f"the end record at {eocd} is {size - eocd} bytes from the "
                            "end of the file: torch's reader (miniz) finds it and loads the archive, zipfile (numpy, "
                            "Keras, is_zipfile) finds none and refuses it")
    return Differential("zip.end-record-differential", f"zipfile (numpy, Keras) finds the end record at {eocd}; torch's "
                        "reader (miniz) does not reach it and refuses the archive")


def _cp437_or_utf8(raw: bytes, flags: int) -> str:
    if flags & 0x800:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"zip: a member name flagged UTF-8 is not UTF-8 ({exc.reason})") from exc
    return raw.decode("cp437")


def read_archive(fh: IO[bytes], size: int, eocd: int, limits: Limits = DEFAULT_LIMITS) -> ZipArchive:
    """The central directory (and every member's local header) of the archive whose end
    record is at ``eocd``, read as ``zipfile`` reads it. When torch's miniz reader would take
    another directory from the same end record (:func:`_miniz_directory`), that reading is
    parsed too and returned as ``ZipArchive.miniz`` with a ``zip.directory-mismatch`` note."""
    fh.seek(eocd)
    rec = fh.read(22)
    if len(rec) < 22:
        raise FormatError("zip: end record truncated")
    _sig, disk, disk_cd, n_disk, n_total, cd_size, cd_offset, comment_len = struct.unpack("<4s4H2LH", rec)
    notes: list[Differential] = []
    end_note = _end_record_note(fh, size, eocd)
    if end_note is not None:
        notes.append(end_note)
    if disk != 0 or disk_cd != 0:
        # zipfile never looks at these fields; miniz (torch) accepts 0/0 and 1/1 only
        notes.append(Differential("zip.multi-disk", f"the end record names disk {disk} (directory on disk {disk_cd}): "
                                  "zipfile ignores it and reads the archive, other readers refuse it"))
    end = eocd + 22 + comment_len
    zip64 = False
    loc = b""
    if eocd >= 20:
        fh.seek(eocd - 20)
        loc = fh.read(20)
    if loc[:4] == EOCD64_LOCATOR:
        _s, loc_disk, _rec64_off, n_disks = struct.unpack("<4sLQL", loc)
        if loc_disk != 0 or n_disks > 1:
            raise FormatError("zip: the zip64 locator spans several disks (zipfile: BadZipFile)")
        # zipfile takes the zip64 record from 76 bytes before the end record, whatever the
        # locator says; without its signature there it reads the 32-bit record alone
        rec64 = b""
        if eocd >= 20 + 56:
            fh.seek(eocd - 20 - 56)
            rec64 = fh.read(56)
        if len(rec64) == 56 and rec64[:4] == EOCD64:
            _s64, _sz, _vm, _vn, _d1, _d2, _n1, n_total, cd_size, cd_offset = struct.unpack("<4sQ2H2L4Q", rec64)
            zip64 = True
        else:
            notes.append(Differential("zip.zip64-record-missing", "a zip64 locator with no zip64 end record before it: "
                                      "zipfile reads the 32-bit end record, other readers refuse the archive"))
    # zipfile: concat = location of the end record - size - offset of the central directory
    cd_start = eocd - (76 if zip64 else 0) - cd_size
    concat = cd_start - cd_offset
    if cd_start < 0 or concat < 0:
        raise FormatError(f"zip: the central directory ({cd_size} bytes at {cd_offset}) does not fit before the end record")
    if end < size:
        notes.append(Differential("zip.trailing-data", f"{size - end} bytes after the end of the archive "
                                  "(ignored by zip readers, seen by anything that reads the file from its end)"))
    elif end > size:
        notes.append(Differential("zip.comment-truncated", "the archive comment runs past the end of the file"))
    if n_total != n_disk:
        notes.append(Differential("zip.count-mismatch", f"end record counts {n_disk} and {n_total} entries"))
    entries = _read_directory(fh, size, cd_start, cd_size, n_total, concat, limits, notes)
    first = min((e.header_offset for e in entries), default=cd_start)
    if concat or first > concat:
        notes.append(Differential("zip.prefix-data", f"{max(concat, first)} bytes precede the archive: zipfile "
                                  "(is_zipfile, numpy, Keras) reads past them, torch.load does not read it as a zip"))
    arc = ZipArchive(entries, min(first, concat), end, notes)
    # without a zip64 locator miniz takes the 32-bit fields, as zipfile does (a prefix, the one
    # other way they part, is reported above)
    other = _miniz_directory(fh, size, rec, loc) if loc[:4] == EOCD64_LOCATOR else None
    if other is not None and other != (cd_start, cd_size, n_total):
        m_start, m_size, m_total = other
        notes.append(Differential("zip.directory-mismatch", f"torch's reader (miniz) follows the zip64 locator to a "
                                  f"central directory of {m_size} bytes at {m_start} ({m_total} entries); zipfile reads "
                                  f"the one of {cd_size} bytes at {cd_start} ({n_total} entries): two archives in one "
                                  "file, both scanned"))
        m_notes: list[Differential] = []
        try:
            m_entries = _read_directory(fh, size, m_start, m_size, m_total, 0, limits, m_notes)
        except FormatError as exc:
            fh.seek(m_start)
            if m_total and fh.read(4) != CENTRAL:  # miniz checks each entry's signature: torch.load refuses it
                notes.append(Differential("zip.directory-mismatch", f"torch's reader finds no central directory entry "
                                          f"at {m_start} and refuses the file (torch.load fails)"))
            else:
                notes.append(Differential("zip.directory-mismatch", f"torch's directory is unreadable to mlbom ({exc})"))
        else:
            arc.miniz = ZipArchive(m_entries, 0, end, m_notes)
    return arc


def _miniz_directory(fh: IO[bytes], size: int, rec: bytes, loc: bytes) -> tuple[int, int, int] | None:
    """(absolute start, size, entry count) of the central directory miniz (``torch.load``'s
    reader) takes from this end record: with a zip64 locator before it, miniz reads the zip64
    record at the offset the locator gives (an absolute file offset; ``zipfile`` instead looks
    76 bytes before the end record) and, when that record has its signature, takes the count,
    size and offset from it; otherwise the 32-bit fields. None where miniz refuses the archive."""
    _sig, _d, _dcd, _nd, n_total, cd_size, cd_offset, _cl = struct.unpack("<4s4H2LH", rec)
    if loc[:4] == EOCD64_LOCATOR:
        _s, _ld, rec64_off, _nd2 = struct.unpack("<4sLQL", loc)
        if rec64_off > size - 56:
            return None  # miniz: MZ_ZIP_NOT_AN_ARCHIVE
        fh.seek(rec64_off)
        rec64 = fh.read(56)
        if len(rec64) == 56 and rec64[:4] == EOCD64:
            _s64, _sz, _vm, _vn, _d1, _d2, _n1, n_total, cd_size, cd_offset = struct.unpack("<4sQ2H2L4Q", rec64)
    if cd_offset + cd_size > size:
        return None
    return cd_offset, cd_size, n_total


def _read_directory(fh: IO[bytes], size: int, cd_start: int, cd_size: int, n_total: int, concat: int,
                    limits: Limits, notes: list[Differential]) -> list[ZipEntry]:
    if n_total > limits.max_members:
        raise FormatError(f"zip: {n_total} entries exceed the limit of {limits.max_members}")
    fh.seek(cd_start)
    cd = fh.read(cd_size)
    if len(cd) != cd_size:
        raise FormatError("zip: central directory truncated")
    entries: list[ZipEntry] = []
    i = 0
    while i < len(cd):
        if len(entries) >= limits.max_members:
            raise FormatError(f"zip: more than {limits.max_members} entries")
        if cd[i:i + 4] != CENTRAL or i + 46 > len(cd):
            raise FormatError(f"zip: bad central directory entry at offset {cd_start + i} (zipfile: BadZipFile)")
        (_s, made_by, version, flags, method, _t, _d, crc, csize, usize, nlen, xlen, clen, _dn, _ia, ext,
         hoff) = struct.unpack("<4s4H2H3L5HLL", cd[i:i + 46])
        raw_name = cd[i + 46:i + 46 + nlen]
        extra = cd[i + 46 + nlen:i + 46 + nlen + xlen]
        i += 46 + nlen + xlen + clen
        if i > len(cd):
            raise FormatError("zip: central directory entry runs past the directory")
        usize, csize, hoff = _zip64_extra(extra, usize, csize, hoff)
        name = _cp437_or_utf8(raw_name, flags)
        entries.append(ZipEntry(name, method, flags, csize, usize, hoff + concat, version, made_by >> 8, ext, crc=crc))
    if len(entries) != n_total:
        notes.append(Differential("zip.count-mismatch",
                                  f"end record says {n_total} entries, the central directory holds {len(entries)}"))
    _read_local_headers(fh, size, entries, cd_start, notes)
    return entries


def _zip64_extra(extra: bytes, usize: int, csize: int, hoff: int) -> tuple[int, int, int]:
    j = 0
    while j + 4 <= len(extra):
        tag, ln = struct.unpack("<HH", extra[j:j + 4])
        body = extra[j + 4:j + 4 + ln]
        if tag == 1:
            k = 0
            vals = []
            while k + 8 <= len(body):
                vals.append(struct.unpack("<Q", body[k:k + 8])[0])
                k += 8
            it = iter(vals)
            try:
                if usize == 0xFFFFFFFF:
                    usize = next(it)
                if csize == 0xFFFFFFFF:
                    csize = next(it)
                if hoff == 0xFFFFFFFF:
                    hoff = next(it)
            except StopIteration as exc:
                raise FormatError("zip: zip64 extra field too short") from exc
        j += 4 + ln
    return usize, csize, hoff


def _read_local_headers(fh: IO[bytes], size: int, entries: list[ZipEntry], cd_start: int,
                        notes: list[Differential]) -> None:
    seen_names: dict[str, int] = {}
    zipfile_names: dict[str, int] = {}
    by_offset: dict[int, int] = {}
    for e in entries:
        seen_names[e.name] = seen_names.get(e.name, 0) + 1
        if e.zipfile_name != e.name:
            zipfile_names[e.zipfile_name] = zipfile_names.get(e.zipfile_name, 0) + 1
            notes.append(Differential("zip.name-nul", f"member {e.name!r} holds a NUL: zipfile (np.load, Keras) cuts "
                                      f"its name there and reads it as {e.zipfile_name!r}, torch's reader uses the "
                                      "whole name"))
        if e.is_dir and e.holds_data:
            notes.append(Differential("zip.directory-data", f"folder entry {e.name!r} holds {max(e.csize, e.usize)} "
                                      "bytes: zipfile and np.load read them by its name, extractors make a folder "
                                      "and drop them (judged as a member)"))
        by_offset[e.header_offset] = by_offset.get(e.header_offset, 0) + 1
        if e.header_offset + 30 > size:
            raise FormatError(f"zip: member {e.name!r}: local header at {e.header_offset} is past the end of the file")
        fh.seek(e.header_offset)
        lh = fh.read(30)
        if lh[:4] != LOCAL:
            raise FormatError(f"zip: member {e.name!r}: no local header at {e.header_offset} (zipfile: BadZipFile)")
        _s, _v, _lflags, _m, _t, _d, _c, _cs, _us, nlen, xlen = struct.unpack("<4s5H3L2H", lh)
        raw = fh.read(nlen)
        try:  # zipfile decodes the local name with the central directory's flags
            e.local_name = _cp437_or_utf8(raw, e.flags)
        except FormatError:
            e.local_name = raw.decode("latin-1")
        e.data_offset = e.header_offset + 30 + nlen + xlen
        if e.data_offset + e.csize > size:
            raise FormatError(f"zip: member {e.name!r}: {e.csize} bytes of data run past the end of the file")
        if e.local_name != e.name:
            notes.append(Differential("zip.name-mismatch", f"member {e.name!r} is named {e.local_name!r} in its local "
                                      "header: zipfile refuses it, torch's reader uses the directory name"))
    for name, n in sorted(zipfile_names.items()):
        if name in seen_names:
            n += seen_names[name]
        if n > 1 and seen_names.get(name, 0) < 2:
            notes.append(Differential("zip.duplicate-name", f"{n} members are named {name!r} once zipfile cuts "
                                      "their names at a NUL: readers disagree on which one a name means"))
    for name, n in sorted(seen_names.items()):
        if n > 1:
            notes.append(Differential("zip.duplicate-name", f"{n} members are named {name!r}: readers disagree on which "
                                      "one a name means"))
    shared = sum(n for n in by_offset.values() if n > 1)
    if shared:
        notes.append(Differential("zip.shared-data", f"{shared} directory entries point at {sum(1 for n in by_offset.values() if n > 1)} "
                                  "shared local headers (overlapping members, a zip-bomb technique)"))
    spans = sorted({(e.header_offset, (e.data_offset or 0) + e.csize, e.flags) for e in entries})
    overlap = False
    gap = 0
    for (a0, a1, af), (b0, _b1, _bf) in itertools.pairwise(spans):
        if b0 < a1 and a0 != b0:
            overlap = True
        elif b0 > a1:
            gap += b0 - a1 if not (af & 0x8 and b0 - a1 <= 24) else 0
    if spans:
        a0, a1, af = spans[-1]
        if cd_start < a1 and cd_start >= a0:
            overlap = True
        elif cd_start > a1 and not (af & 0x8 and cd_start - a1 <= 24):
            gap += cd_start - a1
    if overlap:
        notes.append(Differential("zip.overlapping-members", "member data overlap each other or the central directory "
                                  "(zipfile refuses overlapped entries; other readers do not)"))
    if gap:
        notes.append(Differential("zip.hidden-data", f"{gap} bytes between members belong to no directory entry "
                                  "(a reader that walks local headers sees content the directory hides)"))


def crc32_of(data: IO[bytes], n: int) -> int:
    """CRC-32 of the first ``n`` bytes of ``data`` (from its start), read in chunks."""
    data.seek(0)
    crc = 0
    left = n
    while left > 0:
        chunk = data.read(min(left, 1 << 20))
        if not chunk:
            break
        crc = zlib.crc32(chunk, crc)
        left -= len(chunk)
    return crc


def _lzma_member(fh: IO[bytes], e: ZipEntry) -> Callable[[], lzma.LZMADecompressor]:
    """zip method 14: a 4-byte header (version, properties size), LZMA1 properties, raw data:
    what makes the decoder of the raw data (read from ``fh``'s position on)."""
    hdr = fh.read(4)
    if len(hdr) < 4:
        raise FormatError(f"zip: member {e.name!r}: LZMA header truncated")
    (psize,) = struct.unpack("<H", hdr[2:4])
    props = fh.read(psize)
    if psize < 5 or len(props) < 5:
        raise FormatError(f"zip: member {e.name!r}: LZMA properties truncated")
    d = props[0]
    if d >= 9 * 5 * 5:
        raise FormatError(f"zip: member {e.name!r}: invalid LZMA properties")
    lc, d = d % 9, d // 9
    lp, pb = d % 5, d // 5
    (dict_size,) = struct.unpack("<L", props[1:5])
    filt = {"id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": lc, "lp": lp, "pb": pb}
    try:
        lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[filt])
    except (lzma.LZMAError, ValueError) as exc:
        raise FormatError(f"zip: member {e.name!r}: LZMA properties rejected: {exc}") from exc
    return lambda: lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[filt])


def open_member(fh: IO[bytes], e: ZipEntry, limits: Limits = DEFAULT_LIMITS,
                budget: list[int] | None = None) -> IO[bytes]:
    """The member's bytes: a window on the file for stored members (also when flagged
    encrypted: torch reads them as they are), a bounded decompressing stream otherwise.
    Raises FormatError for methods no loader reads and for encrypted compressed members."""
    if e.data_offset is None:
        raise FormatError(f"zip: member {e.name!r}: local header not read")
    if e.encrypted and e.method != 0:
        why = e.unsupported_feature or "encrypted"
        raise FormatError(f"zip: member {e.name!r} cannot be scanned ({why})")
    if e.method == 0:  # with an encryption flag too: torch's reader ignores the flag and reads the bytes
        if e.csize != e.usize:
            raise FormatError(f"zip: stored member {e.name!r} declares {e.usize} bytes but holds {e.csize}")
        return Window(fh, e.data_offset, e.csize)  # type: ignore[return-value]
    if e.method not in SUPPORTED_METHODS:
        raise FormatError(f"zip: member {e.name!r} uses compression method {e.method}, which zipfile and torch cannot read")
    fh.seek(e.data_offset)
    raw = Window(fh, e.data_offset, e.csize)
    codec = {8: "deflate", 12: "bz2"}.get(e.method)
    if codec is not None:
        return Decompressing(raw, codec, limits, compressed_size=e.csize, expected=e.usize, budget=budget)  # type: ignore[arg-type,return-value]
    fresh = _lzma_member(raw, e)  # type: ignore[arg-type]
    stream = Decompressing(raw, "deflate", limits, compressed_size=e.csize, expected=e.usize, budget=budget)  # type: ignore[arg-type]
    stream.use_decoder(fresh)
    stream.codec = "lzma"
    return stream  # type: ignore[return-value]
