"""Bounded decompression: every compressor a model loader reads (gzip with any number of
members, bz2 and xz with any number of streams, LZMA-alone, zlib, joblib's "ZF" container, lz4
when the ``lz4`` package is installed) as one forward-only stream whose output is capped by a
ratio and an absolute size, so a bomb stops early and never holds more than a chunk in memory.

Semantics follow the readers that loaders use: ``gzip.GzipFile`` (members back to back, zero padding
between them tolerated, anything else after a member is an error), ``bz2.BZ2File`` and
``lzma.LZMAFile`` (streams back to back, trailing bytes that are not a stream ignored; LZMAFile in
FORMAT_AUTO detects every next stream anew, so ``.xz`` and LZMA-alone streams may alternate),
joblib's ``BinaryZlibFile`` (zlib streams back to back: a reader that reads on runs a pickle split
over several, so they are read on and judged together) and joblib's ``read_zfile`` ("ZF", a hex
length, then one zlib stream, as ``zlib.decompress`` reads it).
Errors are :class:`~mlbom.formats.weights.FormatError` (corrupt data) or :class:`BombError`.
"""

from __future__ import annotations

import bz2
import io
import lzma
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, NamedTuple, Protocol

from mlbom.formats.weights import FormatError
from mlbom.limits import MAX_STREAMS, MIN_STREAM_BYTES

CHUNK = 1 << 16  # compressed bytes read per step; output is requested in CHUNK_OUT pieces
FEED_FIRST = 1 << 6  # bytes fed to a stream's decoder first; doubled per step up to CHUNK (small streams
# leave small ``unused_data`` copies behind: red team 18c-3)
CHUNK_OUT = 1 << 20
REPLAY_OUT = 1 << 12  # output per step when a stream that failed is re-read up to its error
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass(frozen=True)
class Limits:
    """Work budgets of one file's scan, in one place (documented in docs/scanning.md).

    ``max_output``: decompressed bytes per file, all streams together. ``max_ratio``: output
    per input byte beyond which a stream is a bomb, once it has produced ``ratio_floor`` bytes
    (small highly compressible files such as a zeroed array are normal). ``max_depth``:
    containers inside containers. ``max_members``: entries of one archive. ``max_work``: bytes
    all members of all archives of one file may claim together (3,000 directory entries
    pointing at one large member add up here). ``max_entries``: archive entries scanned per file,
    at every nesting level together (shared or nested archives cannot multiply the work).
    ``max_member_spool``: a compressed member that
    must be re-read (a zip member holding npy, safetensors, a nested archive) is inflated to a
    temporary file of at most this many bytes. ``max_streams``: compressed streams (members,
    frames) read from one compressed file or member (:data:`mlbom.limits.MAX_STREAMS`)."""

    max_output: int = 8 << 30
    max_ratio: int = 500
    ratio_floor: int = 64 << 20
    max_depth: int = 4
    max_members: int = 100_000
    max_work: int = 64 << 30
    max_entries: int = 1_000_000
    max_member_spool: int = 2 << 30
    max_streams: int = MAX_STREAMS


DEFAULT_LIMITS = Limits()


class StreamBroken(FormatError):
    """A compressed stream's own bytes are corrupt or end before the stream does: the loaders'
    readers raise at the same place (not one of mlbom's limits, which stop where a loader reads on)."""


class BombError(FormatError):
    """Decompressed output passed the ratio or the absolute cap."""


class _Decoder(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    @property
    def needs_input(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


class _ZlibDecoder:
    """``zlib.decompressobj`` behind the bz2/lzma decoder interface (``needs_input``)."""

    def __init__(self, wbits: int) -> None:
        self._d = zlib.decompressobj(wbits)

    @property
    def eof(self) -> bool:
        return self._d.eof

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data

    @property
    def needs_input(self) -> bool:
        return not self._d.unconsumed_tail

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        tail = self._d.unconsumed_tail
        return self._d.decompress(tail + data if tail else data, max(max_length, 0))


_XXH_P1, _XXH_P2, _XXH_P3, _XXH_P4, _XXH_P5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
_M32 = 0xFFFFFFFF


def _xxh32_short(data: bytes) -> int:
    """XXH32 (seed 0) of fewer than 16 bytes: what an lz4 frame's header checksum is taken over."""
    def rotl(x: int, r: int) -> int:
        return ((x << r) | (x >> (32 - r))) & _M32

    h = (_XXH_P5 + len(data)) & _M32
    i = 0
    while i + 4 <= len(data):
        h = rotl((h + int.from_bytes(data[i:i + 4], "little") * _XXH_P3) & _M32, 17) * _XXH_P4 & _M32
        i += 4
    for b in data[i:]:
        h = rotl((h + b * _XXH_P5) & _M32, 11) * _XXH_P1 & _M32
    h ^= h >> 15
    h = h * _XXH_P2 & _M32
    h ^= h >> 13
    h = h * _XXH_P3 & _M32
    return h ^ (h >> 16)


def lz4_skippable(head: bytes) -> bool:
    """A skippable frame (magic 0x184D2A50-5F): ``LZ4FrameDecompressor`` steps over it — and so
    does ``zstandard`` (RFC 8878 §3.1.2 gives zstd the same skippable frames, red team 18c-2)."""
    return len(head) >= 4 and 0x50 <= head[0] <= 0x5F and head[1:4] == b"\x2a\x4d\x18"


def after_skippable(head: bytes) -> bytes:
    """What follows the skippable frames that start ``head`` (as far as ``head`` reaches: b""
    when they run past it). Skippable frames are shared by lz4 and zstd: what follows them
    decides which codec the file is."""
    pos = 0
    for _ in range(MAX_STREAMS):
        if not lz4_skippable(head[pos:]) or len(head) - pos < 8:
            break
        pos += 8 + int.from_bytes(head[pos + 4:pos + 8], "little")
    return head[pos:]


def foreign_start(data: bytes) -> str | None:
    """The format another reader takes ``data`` (bytes left after a compressed file's last
    stream, its first 64 or more) for: another codec's magic (a zstd frame or a skippable frame,
    gzip, bz2, xz, lz4, LZMA-alone, a confirmed zlib header), a zip, a 7z/rar archive or a pickle
    with a protocol. Such bytes are a second reading a loader makes (pandas picks the codec by
    the file's name, joblib by its first bytes of each file), never a note (red team 18c-2)."""
    if data.startswith(ZSTD_MAGIC):
        return "zstd"
    if lz4_skippable(data):
        return "a skippable frame (zstd or lz4)"
    for magic, kind in ((b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"7z\xbc\xaf\x27\x1c", "7z"),
                        (b"Rar!\x1a\x07", "rar")):
        if data.startswith(magic):
            return kind
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        return "pickle"
    return compressed(data)


class _Lz4Decoder:
    """One lz4 frame as ``lz4.frame`` reads it. A frame with a content checksum is decoded twice:
    as it is (which verifies the checksum, at the frame's end, after earlier blocks were handed
    out: a pickle in them has run by then) and with the checksum flag cleared (so the data is
    there to judge when the checksum is wrong); a mismatch is a note."""

    def __init__(self) -> None:
        try:
            import lz4.frame  # type: ignore[import-not-found,import-untyped,unused-ignore]
        except ImportError as exc:
            raise FormatError("lz4-compressed: the 'lz4' package is not installed, so the content cannot be "
                              "read (pip install lz4)") from exc
        self._new = lz4.frame.LZ4FrameDecompressor
        self._d = self._new()
        self._check: object | None = None  # the decoder that verifies the checksum, while it has not failed
        self._head = b""
        self._started = False
        self.checksum_bytes = 0  # bytes after the frame that the unchecked decoder leaves unread
        self.notes: list[str] = []
        self.skippable = False  # a skippable frame: nothing decoded from it


    @property
    def eof(self) -> bool:
        return self._started and bool(self._d.eof)

    @property
    def unused_data(self) -> bytes:
        """What follows the frame — its 4 checksum bytes first where the header was rewritten
        (``checksum_bytes``; :meth:`finish` takes them)."""
        return bytes(self._d.unused_data or b"")

    @property
    def needs_input(self) -> bool:
        return not self._started or bool(self._d.needs_input)

    def _header(self, data: bytes) -> bytes | None:
        """The frame's first bytes, its header rewritten without the content-checksum flag (the
        header checksum recomputed); None while the header is incomplete."""
        self._head += data
        h = self._head
        if h[:4] != b"\x04\x22\x4d\x18"[:len(h[:4])] or (len(h) >= 5 and not h[4] & 0x04):
            self._started = True
            self.skippable = bool(h) and 0x50 <= h[0] <= 0x5F and h[1:4] == b"\x2a\x4d\x18"[:len(h[1:4])]
            return h  # no checksum to take out (a skippable frame, or what the decoder judges)
        if len(h) < 6:
            return None
        n = 2 + (8 if h[4] & 0x08 else 0) + (4 if h[4] & 0x01 else 0)  # FLG, BD, content size, dictionary id
        if len(h) < 4 + n + 1:
            return None
        self._started = True
        self._check = self._new()
        desc = bytes([h[4] & ~0x04]) + h[5:4 + n]
        self.checksum_bytes = 4
        return h[:4] + desc + bytes([_xxh32_short(desc) >> 8 & 0xFF]) + h[4 + n + 1:]

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        raw = data
        if not self._started:
            got = self._header(data)
            if got is None:
                return b""
            raw, data, self._head = self._head, got, b""
        self._verify(raw)
        return bytes(self._d.decompress(data, max_length))

    def finish(self, checksum: bytes) -> None:
        """The frame's checksum bytes (read after the unchecked decoder's end) to the checking one
        — only those it has not been fed yet: every piece given to :meth:`decompress` went to it
        whole, so the first ``len(unused_data)`` of them (the rest of the last piece) it has seen
        already. Feeding them twice checked the wrong value whenever the checksum straddled two
        pieces (red team 19c-1, 19c-2)."""
        self._verify(checksum[len(self.unused_data):])
        if self._check is not None:
            self.notes.append("the lz4 frame ends before its content checksum: lz4.frame raises at its end")
            self._check = None

    def _verify(self, raw: bytes) -> None:
        if self._check is None or not raw:
            return
        try:
            self._check.decompress(raw)  # type: ignore[attr-defined]
        except RuntimeError as exc:
            if "hecksum" not in str(exc):
                raise
            self.notes.append("the lz4 frame's content checksum does not match its data: lz4.frame raises only at "
                              "the frame's end, after it has handed out the blocks before it")
            self._check = None
        else:
            if getattr(self._check, "eof", False):
                self._check = None


class _GzipDecoder:
    """One gzip member as ``gzip._GzipReader`` reads it (the reader behind ``gzip.open`` and
    pandas' inferred compression): the header parsed by hand — method 8 only, reserved flag
    bits ignored, the FHCRC header CRC read and discarded unchecked — then raw deflate, then
    the CRC-32/size trailer. ``gzip.py`` checks the trailer only after it has handed the data
    out (a pickle in it has run by then), so a mismatch there, or in the header CRC that zlib's
    own gzip mode refuses, is a note in ``notes``, not a reason to leave the content unread."""

    def __init__(self) -> None:
        self._head = b""
        self._d: zlib._Decompress | None = None
        self._trailer = b""
        self._eof = False
        self._unused = b""
        self._crc = 0
        self._size = 0
        self.notes: list[str] = []

    @property
    def eof(self) -> bool:
        return self._eof

    @property
    def unused_data(self) -> bytes:
        return self._unused

    @property
    def needs_input(self) -> bool:
        return self._d is None or self._d.eof or not self._d.unconsumed_tail

    def _header(self) -> int | None:
        """Length of the member header in ``self._head``; None while it is incomplete."""
        h = self._head
        if len(h) < 10:
            return None
        if h[:2] != b"\x1f\x8b":
            raise zlib.error("not a gzip member (gzip.py: BadGzipFile)")
        if h[2] != 8:
            raise zlib.error(f"unknown compression method {h[2]} (gzip.py: BadGzipFile)")
        flag = h[3]
        i = 10
        if flag & 4:  # FEXTRA
            if len(h) < i + 2:
                return None
            i += 2 + int.from_bytes(h[i:i + 2], "little")
        for bit in (8, 16):  # FNAME, FCOMMENT: zero-terminated
            if flag & bit:
                j = h.find(b"\x00", i)
                if j < 0:
                    return None
                i = j + 1
        if flag & 2:  # FHCRC: gzip.py discards it; zlib's gzip mode checks it
            if len(h) < i + 2:
                return None
            if int.from_bytes(h[i:i + 2], "little") != zlib.crc32(h[:i]) & 0xFFFF:
                self.notes.append("the header CRC (FHCRC) does not match the header: gzip.py never checks it "
                                  "and reads the member, zlib-based readers refuse it")
            i += 2
        return i if len(h) >= i else None

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if self._d is None:
            self._head += data
            n = self._header()
            if n is None:
                return b""
            data, self._head = self._head[n:], b""
            self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        out = b""
        if not self._d.eof:
            tail = self._d.unconsumed_tail
            out = self._d.decompress(tail + data if tail else data, max(max_length, 0))
            self._crc = zlib.crc32(out, self._crc)
            self._size += len(out)
            if not self._d.eof:
                return out
            data = self._d.unused_data
        self._trailer += data
        if len(self._trailer) >= 8:
            crc = int.from_bytes(self._trailer[:4], "little")
            isize = int.from_bytes(self._trailer[4:8], "little")
            if crc != self._crc or isize != self._size & 0xFFFFFFFF:
                self.notes.append(f"the trailer's CRC-32/size ({crc:08x}/{isize}) do not match the data "
                                  f"({self._crc:08x}/{self._size & 0xFFFFFFFF}): gzip.py raises only after it has "
                                  "handed the data out (pandas.read_pickle returns), zlib-based readers refuse it")
            self._unused = self._trailer[8:]
            self._eof = True
        return out


def detect(head: bytes) -> str | None:
    """The compressor whose magic starts ``head`` (joblib's list plus the ZF container); zlib's
    two-byte header is weak, so callers confirm it with :func:`zlib_confirmed`."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4] in b"123456789" and len(head) > 3:
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x5d\x00"):  # joblib's LZMA-alone prefix (properties byte 0x5d, dictionary size low byte 0)
        return "lzma"
    if _lzma_alone(head):  # any other LZMA-alone header lzma.open / LZMAFile (pandas' "xz") decodes
        return "lzma"
    if head.startswith(b"\x04\x22\x4d\x18"):
        return "lz4"
    if lz4_skippable(head):  # lz4.frame and zstandard both step over skippable frames: what follows decides
        return "zstd" if after_skippable(head).startswith(ZSTD_MAGIC) else "lz4"
    if head.startswith(b"ZF"):  # joblib's _detect_compressor: any file starting "ZF" is its old container
        return "joblib-zfile"
    if len(head) >= 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and (head[0] << 8 | head[1]) % 31 == 0:
        return "zlib"
    return None


def _alone_header(head: bytes) -> bool:
    """An LZMA-alone header liblzma's ``lzma_alone_decoder`` takes: a properties byte below
    9*5*5 with lc + lp <= 4, any dictionary size, an 8-byte size, the range coder's 0 byte."""
    return len(head) >= 14 and head[0] < 9 * 5 * 5 and head[0] % 9 + head[0] // 9 % 5 <= 4 and head[13] == 0


def _lzma_alone(head: bytes) -> bool:
    """Whether ``head`` starts an LZMA-alone stream as liblzma's ``lzma_alone_decoder`` (behind
    ``lzma.open``/``LZMAFile``, FORMAT_ALONE or AUTO) reads it (:func:`_alone_header`),
    confirmed by decoding the whole head (with a small dictionary: the first output never
    reaches further back) to some output without an error — random bytes that pass the header
    checks fail within a few hundred bytes (none of 20,000 512-byte heads).
    A stream that ends without output (declared size 0) is a stream all the same: ``LZMAFile``
    (FORMAT_AUTO) starts a fresh decoder on what follows (red team 16c-4: an empty stream, then an
    ``.xz`` pickle). The chain is followed through the head as that reader follows it: an ``.xz``
    stream or an LZMA-alone one with output confirms it; bytes no decoder takes (a tar header's
    short name reads as an empty stream, then its zero-filled fields as more, then its mode field
    is refused) end it with nothing decoded; a head that ends among empty streams counts unless
    they are all zero bytes (a zeroed raw file: the reader decodes nothing from the head)."""
    pos, nonzero = 0, False
    while len(head) - pos >= 18:
        chunk = head[pos:]
        if pos and chunk.startswith(b"\xfd7zXZ\x00"):
            return True
        if not _alone_header(chunk):
            return False
        trial = chunk[:1] + (1 << 20).to_bytes(4, "little") + chunk[5:]
        dec = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
        try:
            # at most what LZMAFile asks for at once (its reads are io.DEFAULT_BUFFER_SIZE): a stream whose
            # first 8 KiB of output come before bytes the decoder refuses hands them out to the loader
            # (red team 60f: a very compressible pickle, then a cut stream, all within the head)
            out = dec.decompress(trial, io.DEFAULT_BUFFER_SIZE)
        except lzma.LZMAError:
            return False
        if out:
            return True
        if not dec.eof:
            return False  # no output yet from a stream that goes on: nothing confirms it
        used = len(trial) - len(dec.unused_data)
        nonzero = nonzero or any(chunk[:used])
        pos += used
    return pos > 0 and nonzero


_ZERO_STREAM = b"\x00" * 18  # an empty LZMA-alone stream: properties 0, dictionary 0, size 0, range coder 00 x 5


def lzma_chain_in_file(raw: IO[bytes], limits: Limits = DEFAULT_LIMITS) -> bool:
    """Whether a file that starts with empty LZMA-alone streams made of zero bytes (which
    :func:`detect` leaves alone: a zeroed raw file starts so too) reaches a stream with content,
    read as ``LZMAFile`` (FORMAT_AUTO, behind ``lzma.open`` and pandas' ``xz`` and ``.tar``)
    reads it: each stream with a fresh picky decoder, past the head and through the whole file
    (red team 18c-1: 40 zero streams, then an ``.xz`` pickle). A chain that ends at the file's end
    or at bytes the decoder refuses decodes to nothing: not a compressed file. Past
    ``limits.max_streams`` streams it is taken for one (the reading then stops with ``error``)."""
    raw.seek(0)
    buf, pos = raw.read(1 << 12), 0
    if not buf.startswith(_ZERO_STREAM):
        return False
    # the leading run of zero bytes is a run of 18-byte empty streams: counted, not decoded
    zeros = len(buf) - len(buf.lstrip(b"\x00"))
    buf = buf[zeros:]
    while not buf:
        more = raw.read(1 << 20)
        if not more:
            return False  # zeros to the end: every reader decodes nothing from them
        buf = more.lstrip(b"\x00")
        zeros += len(more) - len(buf)
    streams = zeros // 18
    if streams > limits.max_streams:
        return True  # more than the reading takes: read as lzma, it stops with error
    buf, pos = b"\x00" * (zeros % 18) + buf, 0
    for _ in range(limits.max_streams - streams):
        if len(buf) - pos < 256:
            buf, pos = buf[pos:] + raw.read(1 << 12), 0
        if len(buf) - pos < 18:
            return False
        if buf.startswith(b"\xfd7zXZ\x00", pos):
            return True
        piece = buf[pos:pos + 256]
        dec = lzma.LZMADecompressor(format=lzma.FORMAT_AUTO)
        try:
            if dec.decompress(piece, 1):
                return True
        except lzma.LZMAError:
            return False
        if not dec.eof:
            return False  # no output yet from a stream that goes on: nothing confirms it (as _lzma_alone)
        pos += len(piece) - len(dec.unused_data)
    return True


# the names loaders give each codec's files (pandas infers .gz/.bz2/.xz; joblib writes .z, .gz, .bz2,
# .xz, .lzma, .lz4): a suffix of these is looked past to the name of what was compressed
SUFFIXES: dict[str, tuple[str, ...]] = {"gzip": (".gz", ".gzip"), "bz2": (".bz2",), "xz": (".xz",), "lzma": (".lzma",),
                                        "zlib": (".z", ".zlib"), "lz4": (".lz4",)}
# the suffixes a loader decompresses a file by (joblib, pandas' extension_to_compression), zstd too
NAMED_COMPRESSION = frozenset({s for names in SUFFIXES.values() for s in names} | {".zst", ".zstd"})
# and the archives pandas' read_pickle opens by the name (.zip, .tar and its compressed forms)
NAMED_DECOMPRESSION = NAMED_COMPRESSION | {".zip", ".tar", ".tgz", ".tbz", ".tbz2", ".txz"}


def name_stems(name: str, peel: frozenset[str]) -> Iterator[str]:
    """``name`` lowercased, then with each last suffix of ``peel`` taken off in turn
    (``m.pkl.tar.gz`` → ``m.pkl.tar`` → ``m.pkl`` for :data:`NAMED_DECOMPRESSION`)."""
    low = name.lower()
    yield low
    while (dot := low.rfind(".")) > 0 and low[dot:] in peel:
        low = low[:dot]
        yield low


def compressed(head: bytes) -> str | None:
    """The codec the scanner decompresses a file starting with ``head`` (its first KiB or more)
    as: :func:`detect`, a zlib header confirmed by :func:`zlib_confirmed`. The one rule for a
    model file and a dataset's file alike."""
    codec = detect(head)
    if codec == "zlib" and not zlib_confirmed(head):
        return None
    return codec


def zlib_confirmed(head: bytes) -> bool:
    """Whether ``head`` (the first KiB or more) really starts a zlib stream."""
    try:
        zlib.decompressobj().decompress(head, 1 << 12)
        return True
    except zlib.error:
        return False


def _new_decoder(codec: str) -> _Decoder:
    if codec in ("zlib", "joblib-zfile"):
        return _ZlibDecoder(zlib.MAX_WBITS)
    if codec == "deflate":  # raw deflate (zip method 8)
        return _ZlibDecoder(-zlib.MAX_WBITS)
    if codec == "gzip":
        return _GzipDecoder()
    if codec == "bz2":
        return bz2.BZ2Decompressor()
    if codec == "xz":
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    if codec == "lzma":
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    if codec == "lz4":
        return _Lz4Decoder()
    raise FormatError(f"{codec}-compressed: mlbom has no {codec} decompressor")


def _next_stream_decoder(codec: str) -> _Decoder:
    """The decoder a loader's reader starts after a stream of ``codec`` ends. ``lzma.LZMAFile``
    (joblib's ``lzma`` and ``xz`` compressors, pandas' ``xz``, ``lzma.open``) is opened in
    FORMAT_AUTO, and ``_compression.DecompressReader`` makes each next decoder with the same
    arguments: every stream is detected anew (``.xz`` by its 0xFD byte, LZMA-alone otherwise),
    so an LZMA-alone stream may follow an ``.xz`` one and the other way round."""
    if codec in ("xz", "lzma"):
        return lzma.LZMADecompressor(format=lzma.FORMAT_AUTO)
    return _new_decoder(codec)


# codecs read by _compression.DecompressReader (BZ2File, LZMAFile): after a stream ends, a fresh
# decoder is fed the bytes left over (or the next block); if that first call raises, the rest is
# ignored as trailing data, otherwise it is a stream and is read on (a later error is raised)
_READER_STREAMS = ("bz2", "xz", "lzma")
_MULTI = {"gzip": b"\x1f\x8b", "lz4": b"\x04\x22\x4d\x18"}


class _Mark(NamedTuple):
    """Where the stream being decoded starts: in ``raw``, in the input budget, in the output,
    and how its decoder is made (to read it again up to an error, :meth:`Decompressing._replay`)."""

    pos: int
    left_in: int | None
    produced: int
    fresh: Callable[[], _Decoder]


class Decompressing:
    """A forward-only decompressed view of ``raw`` (read, readline, peek, tell, forward seek).

    ``compressed_size`` bounds what is read from ``raw`` (a zip member); ``expected`` is the
    declared decompressed size, when the container states one (checked at the end).

    An error (corrupt data, a bomb, more output than declared) is raised only once everything
    decompressed before it has been read, as the loaders' readers (``GzipFile``, ``BZ2File``,
    ``LZMAFile``, ``lz4.frame``, zipfile's ``ZipExtFile``) hand it out: ``pickle.load`` over them
    runs a pickle that ends before the error (red team 16c-2/-3/-7). The output of a decoder call
    that fails is recovered by reading that stream again in small steps (:meth:`_replay`)."""

    def __init__(self, raw: IO[bytes], codec: str, limits: Limits = DEFAULT_LIMITS, *,
                 compressed_size: int | None = None, expected: int | None = None, budget: list[int] | None = None) -> None:
        self.raw = raw
        try:
            self._rawpos: int | None = raw.tell()  # kept here: a tell() per stream is a system call
        except (OSError, AttributeError, ValueError):
            self._rawpos = None
        self.codec = codec
        self.limits = limits
        self.left_in = compressed_size
        self.expected = expected
        self.budget = budget if budget is not None else [limits.max_output]
        self.consumed = 0  # compressed bytes read
        self.pos = 0  # decompressed bytes handed out
        self.produced = 0
        self.buf = b""
        self.off = 0
        self.eof = False
        self.trailing = 0  # bytes after the last stream that the loader ignores
        self.trailing_kind: str | None = None  # what another reader takes those bytes for (foreign_start)
        self.trailing_at: int | None = None  # where they start in ``raw``
        self.decoded_frames = 0  # lz4: frames that are not skippable frames
        self.garbage = 0  # bytes after the last gzip member that gzip.py raises on, once it reaches them
        self.members = 1
        self.pending_head = b""
        self.single = codec in ("joblib-zfile", "deflate")  # one stream, as their readers read it
        if codec == "joblib-zfile":
            self._zfile_header()
            self.codec = "zlib"
        self.notes: list[str] = []  # differentials of the members read (gzip CRCs)
        self._inbuf = b""  # the last block read from ``raw`` and how much of it was fed
        self._inoff = 0
        self._feed = CHUNK  # bytes fed per decoder call: FEED_FIRST for a next stream, doubled per call
        self._from_inbuf = False  # the last piece fed came from the block (so it can be given back there)
        self._early = b""  # output of a next stream's first bytes, decoded while testing them
        self.dec = self._decoder()
        self.pending = b""
        self.error: FormatError | None = None  # what stopped the stream: raised once the output before it is read
        self._deferred: FormatError | None = None
        self._mark = self._here(self._decoder)

    def _here(self, fresh: Callable[[], _Decoder]) -> _Mark | None:
        """The mark of a stream that starts with the bytes not yet fed to a decoder."""
        pos = self._rawpos
        if pos is None:
            return None
        unfed = len(self.pending_head) + len(self.pending) + len(self._inbuf) - self._inoff
        return _Mark(pos - unfed, None if self.left_in is None else self.left_in + unfed, self.produced, fresh)

    def _started(self, fresh: Callable[[], _Decoder]) -> None:
        """A next stream starts (``self.pending`` holds its first bytes). Every stream counts
        against ``limits.max_streams``, those that decode to nothing too (red team 18c-3/-4)."""
        if self.members > self.limits.max_streams and self.members > self.consumed // MIN_STREAM_BYTES:
            raise FormatError(f"{self.codec}: more than {self.limits.max_streams} compressed streams in one file, "
                              f"{self.consumed // self.members} bytes each on average (the per-file bound); the "
                              f"{self.produced} bytes before were judged, the rest not read (the loader reads on)")
        self._feed = FEED_FIRST
        self._mark = self._here(fresh)

    @property
    def skippable_only(self) -> bool:
        """lz4: every frame read was a skippable frame — nothing was decoded, so there is no
        content to vouch for (the file may be zstd behind them, or carry data no lz4 reader shows)."""
        return (self.codec == "lz4" and not self.decoded_frames
                and not (isinstance(self.dec, _Lz4Decoder) and not self.dec.skippable))

    def use_decoder(self, fresh: Callable[[], _Decoder]) -> None:
        """Decode with ``fresh()`` instead (a zip member's raw LZMA, its properties already read)."""
        self.dec = fresh()
        self._mark = self._here(fresh)

    def _decoder(self) -> _Decoder:
        dec = _new_decoder(self.codec)
        if isinstance(dec, (_GzipDecoder, _Lz4Decoder)):
            dec.notes = self.notes
        return dec

    def _zfile_header(self) -> None:
        """joblib < 0.10 ``read_zfile``: b"ZF", a 19-character field holding ``hex(len(data))``
        (left-justified), then zlib data — from byte 21, or 22 when byte 21 is a space (the
        field was 20 characters wide when Python 2 wrote it)."""
        head = self._raw_read(22)
        self.consumed += len(head)
        if len(head) < 22 or not head.startswith(b"ZF"):
            raise FormatError("joblib ZF container: header truncated")
        try:  # exactly joblib's parse: int() of the raw bytes, base 16 ("0x", signs, "_", spaces all accepted)
            declared = int(head[2:21], 16)
        except ValueError as exc:
            raise FormatError("joblib ZF container: the length field is not what int(x, 16) reads") from exc
        if declared < 0:
            raise FormatError("joblib ZF container: negative length field")
        self.expected = declared
        self.pending_head = head[22:] if head[21:22] == b" " else head[21:]

    def _raw_read(self, n: int) -> bytes:
        if self.left_in is not None:
            n = min(n, self.left_in)
        data = self.raw.read(n) if n > 0 else b""
        if self.left_in is not None:
            self.left_in -= len(data)
        if self._rawpos is not None:
            self._rawpos += len(data)
        return data

    def _input(self) -> bytes:
        """The next piece of input for the decoder: ``self._feed`` bytes of the block read last
        (a next stream is fed small pieces first, so its ``unused_data`` is a small copy)."""
        self._from_inbuf = False
        if self.pending_head:
            data, self.pending_head = self.pending_head, b""
            return data
        if self.pending:
            data, self.pending = self.pending, b""
            return data
        if self._inoff >= len(self._inbuf):
            self._inbuf, self._inoff = self._raw_read(CHUNK), 0
            self.consumed += len(self._inbuf)
        if self._inoff == 0 and self._feed >= len(self._inbuf):
            data = self._inbuf
        else:
            data = self._inbuf[self._inoff:self._inoff + self._feed]
        self._inoff += len(data)
        self._feed = min(self._feed * 2, CHUNK)
        self._from_inbuf = True
        return data

    def _unread(self, rest: bytes) -> None:
        """Give back ``rest``, the bytes a decoder left after its stream's end (a suffix of the
        last piece fed): the input position moves back over them, no copy where they came from
        the block read last."""
        if not rest:
            return
        if self._from_inbuf and self._inoff >= len(rest) and self._inbuf.endswith(rest, 0, self._inoff):
            self._inoff -= len(rest)
        else:
            self.pending = rest + self.pending

    def _peek_in(self, n: int) -> bytes:
        """The next ``n`` bytes of input (fewer at its end), not consumed: afterwards they are
        all in the block (``self._inbuf`` from ``self._inoff``), so a caller may step over them."""
        if self.pending_head or self.pending:
            self._inbuf = self.pending_head + self.pending + self._inbuf[self._inoff:]
            self._inoff, self.pending_head, self.pending = 0, b"", b""
        while len(self._inbuf) - self._inoff < n:
            more = self._raw_read(max(CHUNK, n))
            if not more:
                break
            self.consumed += len(more)
            self._inbuf, self._inoff = self._inbuf[self._inoff:] + more, 0
        self._from_inbuf = False
        return self._inbuf[self._inoff:self._inoff + n]

    def _trail(self) -> None:
        """The input left is trailing data: counted, and what another reader takes it for noted
        (:func:`foreign_start`)."""
        head = self._peek_in(64)
        if head and self.trailing_kind is None:
            self.trailing_kind = foreign_start(head)
            if self._rawpos is not None:
                self.trailing_at = self._rawpos - (len(self._inbuf) - self._inoff)
        self.trailing += self._drain()

    def _next_member(self) -> bool:
        """After a stream ends: start the next one as the loader's reader would, or stop."""
        self._unread(self.dec.unused_data)
        magic = _MULTI.get(self.codec)
        if isinstance(self.dec, _Lz4Decoder) and not self.dec.skippable:
            self.decoded_frames += 1
        if self.single:  # joblib's "ZF" container: zlib.decompress reads one stream, ignores the rest
            self._trail()
            return False
        if magic is None:  # zlib (joblib's BinaryZlibFile), BZ2File, LZMAFile (FORMAT_AUTO): read on
            if not self._peek_in(1):
                return False
            got = self._starts_stream()
            if got is None:
                self._trail()  # BZ2File/LZMAFile ignore trailing bytes that do not decode as a stream
                return False
            codec = self.codec
            self.members += 1
            self._started(lambda: _next_stream_decoder(codec))
            # the decoder that took the first bytes reads on (one decoder per stream, as the reader's)
            self.dec, self._early, fed = got
            self._inoff += fed
            self._from_inbuf = True
            return True
        if self.codec == "gzip":
            while True:  # zero padding between members: gzip.py steps over it
                head = self._peek_in(64)
                if not head:
                    return False
                zeros = len(head) - len(head.lstrip(b"\x00"))
                self._inoff += zeros
                if zeros < len(head):
                    break
            if not self._peek_in(2).startswith(magic):
                # gzip.GzipFile raises BadGzipFile only when a read reaches these bytes, after it
                # has handed out every member before them: the content is judged, the rest noted
                self.garbage = self._drain()
                return False
        else:
            if isinstance(self.dec, _Lz4Decoder) and self.dec.checksum_bytes:
                checksum = self._peek_in(self.dec.checksum_bytes)
                self._inoff += len(checksum)
                self.dec.finish(checksum)
            head = self._peek_in(4)
            if not head:
                return False
            if not head.startswith(magic) and not (self.codec == "lz4" and lz4_skippable(head)):
                # not a frame (all four magic bytes, as lz4.frame compares them, red team 16c-3):
                # lz4.frame hands out the frames before and raises only when it reaches these
                self._trail()
                return False
        self.dec = self._decoder()
        self.members += 1
        self._started(self._decoder)
        return True

    def _starts_stream(self) -> tuple[_Decoder, bytes, int] | None:
        """Whether the input starts another stream: the decoder the loader starts next
        (:func:`_next_stream_decoder`) takes its first bytes without an error
        (``_compression.DecompressReader``'s test for BZ2File and LZMAFile). The first 64 bytes
        or more are tried, at least the header of any stream: shorter left-over bytes are read on
        by the loader, so they are joined to what follows here, never called trailing early.
        The bytes are fed in growing pieces until the first output byte, the stream's end or
        CHUNK bytes: what one call on a whole block decides, without a block's copy per stream.
        Returns that decoder, its output so far and the bytes fed to it (still in the block), or
        None."""
        head = self._peek_in(64)
        if self.codec == "zlib" and (len(head) < 2 or (head[0] << 8 | head[1]) % 31 or head[0] & 0x0F != 8):
            return None
        dec, fed, step, out = _next_stream_decoder(self.codec), 0, 64, b""
        try:
            while fed < CHUNK:
                piece = self._peek_in(fed + step)[fed:]
                if not piece:
                    break
                fed += len(piece)
                step = min(step * 4, CHUNK)
                out = dec.decompress(piece, 1)
                if out or dec.eof or not dec.needs_input:
                    break
        except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError):
            return None
        return dec, out, fed

    def _drain(self) -> int:
        n = len(self.pending_head) + len(self.pending) + len(self._inbuf) - self._inoff
        self._inbuf, self._inoff, self.pending_head, self.pending = b"", 0, b"", b""
        while True:
            chunk = self._raw_read(CHUNK)
            if not chunk:
                return n
            n += len(chunk)

    def _step(self) -> bytes:
        """Decompress the next piece of output (b"" only at the end)."""
        idle = 0  # steps in a row that fed nothing and gave nothing
        while True:
            if self._deferred is not None:
                exc, self._deferred = self._deferred, None
                raise exc
            if self._early:  # a next stream's first output, decoded while testing its first bytes
                out, self._early = self._early, b""
                return self._give(out)
            if self.dec.eof:
                if not self._next_member():
                    return b""
                continue  # the next stream may have ended already (an empty one, tested whole)
            asked = self.dec.needs_input
            data = self._input() if asked else b""
            try:
                out = self.dec.decompress(data, CHUNK_OUT)
            except (zlib.error, OSError, EOFError, ValueError, RuntimeError, lzma.LZMAError) as exc:
                err = StreamBroken(f"{self.codec}: corrupt compressed data after {self.produced} output bytes: {exc}")
                out = self._replay()
                if not out:
                    raise err from exc
                self._deferred = err
            except MemoryError as exc:
                raise FormatError(f"{self.codec}: decompressor ran out of memory") from exc
            if out:
                return self._give(out)
            if self.dec.eof:
                continue
            if asked and not data and self.dec.needs_input:
                if self.expected is not None and self.produced == self.expected:
                    return b""  # a stream without an end marker (zip LZMA without EOS) ends at its declared size
                raise StreamBroken(f"{self.codec}: compressed data ends before the stream does (truncated)")
            # nothing was fed (python-lz4's frame decompressor, drained to max_length, may give
            # b"" once more before it asks for input: red team 37t-6) or input was taken into the
            # decompressor's buffer: go on, but a decompressor that neither asks nor gives is stuck
            idle = 0 if asked else idle + 1
            if idle > 4:
                raise FormatError(f"{self.codec}: the decompressor gives no output and asks for no input "
                                  f"after {self.produced} output bytes")

    def _give(self, out: bytes) -> bytes:
        """Output handed out: cut at the declared size (zipfile's ``ZipExtFile`` reads no more
        than that, then checks the CRC), counted against the caps; an error found here is raised
        at the next step, after this output."""
        if self.expected is not None and self.produced + len(out) > self.expected:
            out = out[:max(self.expected - self.produced, 0)]
            err = FormatError(f"{self.codec}: inflates past its declared size of {self.expected} bytes")
            if not out:
                raise err
            self._deferred = self._deferred or err
        try:
            self._account(len(out))
        except BombError as exc:  # the loader reads on: what came before the cap is judged
            self._deferred = self._deferred or exc
        return out

    def _replay(self) -> bytes:
        """The output the failing decoder call would have handed out before its error, as a
        reader asking for small pieces gets it: the stream is decoded again from its start (a
        seekable ``raw``), :data:`REPLAY_OUT` bytes a step near the point of failure, and what
        follows the output already handed out is returned (b"" when nothing can be recovered)."""
        mark = self._mark
        if mark is None:
            return b""
        skip = self.produced - mark.produced
        got = bytearray()
        try:
            self.raw.seek(mark.pos)
            self._rawpos = mark.pos
            self.left_in = mark.left_in
            dec = mark.fresh()
            seen = 0
            while len(got) < CHUNK_OUT:
                data = self._raw_read(CHUNK) if dec.needs_input else b""
                if not data and dec.needs_input:
                    break
                out = dec.decompress(data, max(skip - seen, REPLAY_OUT) if seen < skip else REPLAY_OUT)
                if not out and not data and not dec.eof:
                    break  # no progress
                if seen + len(out) > skip:
                    got += out[max(skip - seen, 0):]
                seen += len(out)
                if dec.eof:
                    break
        except (zlib.error, OSError, EOFError, ValueError, RuntimeError, lzma.LZMAError, MemoryError, FormatError):
            pass
        return bytes(got)

    def _account(self, n: int) -> None:
        self.produced += n
        self.budget[0] -= n
        lim = self.limits
        if self.budget[0] < 0 or self.produced > lim.max_output:
            raise BombError(f"{self.codec}: decompresses to more than {lim.max_output} bytes (the per-file cap); stopped")
        if self.produced > lim.ratio_floor and self.produced > lim.max_ratio * max(self.consumed, 1):
            raise BombError(f"{self.codec}: decompression bomb: {self.consumed} bytes inflate to more than "
                            f"{self.produced} (ratio over {self.produced // max(self.consumed, 1)}:1, "
                            f"limit {lim.max_ratio}:1); stopped")

    def _fill(self, n: int) -> None:
        """At least ``n`` bytes buffered, or all there are; the stream's error is raised once
        nothing before it is left to read."""
        have = len(self.buf) - self.off
        parts: list[bytes] = []
        while have < n and not self.eof:
            try:
                out = self._step()
            except FormatError as exc:
                self.error, self.eof = exc, True
                break
            if not out:
                self.eof = True
                if self.expected is not None and self.produced != self.expected:
                    self.error = FormatError(f"{self.codec}: inflates to {self.produced} bytes, the container declares "
                                             f"{self.expected}")
                break
            parts.append(out)
            have += len(out)
        if parts:  # one join per fill, never one per piece (30-byte streams: red team 18c-3)
            self.buf = b"".join([self.buf[self.off:], *parts])
            self.off = 0
        if self.error is not None and self.off >= len(self.buf):
            raise self.error

    def peek(self, n: int) -> bytes:
        self._fill(n)
        return self.buf[self.off:self.off + n]

    def read(self, n: int | None = -1) -> bytes:
        n = CHUNK_OUT if n is None or n < 0 else n
        self._fill(n)
        out = self.buf[self.off:self.off + n]
        self.off += len(out)
        self.pos += len(out)
        return out

    def readline(self, limit: int = -1) -> bytes:
        limit = CHUNK_OUT if limit is None or limit < 0 else limit
        self._fill(limit)
        i = self.buf.find(b"\n", self.off, self.off + limit)
        return self.read(i + 1 - self.off if i >= 0 else min(limit, len(self.buf) - self.off))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        target = offset if whence == 0 else self.pos + offset
        if whence not in (0, 1):
            raise OSError("a compressed stream cannot seek from its end")
        if target < self.pos:
            raise OSError("cannot seek backwards in a compressed stream")
        while self.pos < target:
            if not self.read(min(target - self.pos, CHUNK_OUT)):
                break
        return self.pos

    def at_end(self) -> bool:
        """Whether all output has been read (drives the stream to its end if needed)."""
        return not self.peek(1)

    def close(self) -> None:
        self.buf = b""

    def __enter__(self) -> Decompressing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
