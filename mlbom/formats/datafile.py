"""Data file formats, detected from the first bytes (never from the extension alone)."""

from __future__ import annotations

import json
import tarfile

from mlbom.formats.compression import compressed
from mlbom.formats.pickle_start import may_unpickle

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"PAR1", 0, "parquet"),
    (b"ARROW1", 0, "arrow"),
    (b"\xff\xff\xff\xff", 0, "arrow-stream"),
    (b"ustar", 257, "tar"),
    (b"PK\x03\x04", 0, "zip"),
    (b"\x28\xb5\x2f\xfd", 0, "zstd"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"\xff\xd8\xff", 0, "jpeg"),
    (b"GIF8", 0, "gif"),
    (b"fLaC", 0, "flac"),
    (b"ID3", 0, "mp3"),
    (b"OggS", 0, "ogg"),
    (b"\x93NUMPY", 0, "numpy"),
    (b"\x89HDF\r\n\x1a\n", 0, "hdf5"),
    (b"SQLite format 3\x00", 0, "sqlite"),
)


# The magic numbers that can match a head starting with a given byte, in the order of _MAGIC
# (the first match wins): detect runs once per file of a dataset, and comparing all of them
# cost more than hashing a small file.
_BY_FIRST: tuple[tuple[tuple[bytes, int, str], ...], ...] = tuple(
    tuple(m for m in _MAGIC if m[1] > 0 or m[0][0] == b) for b in range(256))
_NO_HEAD = tuple(m for m in _MAGIC if m[1] > 0)


# Compressed streams are what the scanner's own :func:`mlbom.formats.compression.compressed`
# decompresses (joblib's whole list, LZMA-alone and lz4 included, and the "ZF" container): one
# rule for a model file and a dataset file (red team 15d-2). Named as the dataset reports them.
_CODEC_FORMAT = {"bz2": "bzip2"}

# Formats the dataset collector scans whatever their first bytes (containers, arrays): a pickle
# polyglot among them is the scanner's to find
_READ_ANYWAY = frozenset({"tar", "zip", "gzip", "bzip2", "xz", "lzma", "lz4", "joblib-zfile", "zlib", "zstd", "numpy",
                          "hdf5"})


def is_tar(head: bytes) -> bool:
    """Whether ``tarfile`` accepts the first header block — what ``torch.load`` tries on every
    non-zip file (``legacy_load``) and what ``tarfile.open`` reads: ``TarInfo.frombuf`` itself
    decides (a non-zero block whose checksum field, read as ``tarfile`` reads number fields,
    equals the unsigned *or* the signed sum of the block), so v7 headers without ``ustar`` magic
    count too."""
    if len(head) < tarfile.BLOCKSIZE:
        return False
    try:
        tarfile.TarInfo.frombuf(head[:tarfile.BLOCKSIZE], "utf-8", "surrogateescape")
    except (tarfile.TarError, ValueError, UnicodeError, OverflowError):
        return False
    return True


HEAD = 4096
"""The bytes :func:`detect` is given: a file's first 4 KiB (all of a smaller file)."""


def detect(head: bytes, size: int | None = None) -> str:
    """Format of a data file from its first 4 KiB (:data:`HEAD`). Content a loader could unpickle
    is "pickle" (:func:`mlbom.formats.pickle_start.may_unpickle`, the scanner's own judgement)
    before any media or columnar signature: ``pickle.load`` reads from offset 0 whatever a
    signature says (a GIF's ``G`` is BINFLOAT). ``head`` is all of the file where ``size`` (the
    file's, when known) says so, or, without ``size``, where it is shorter than :data:`HEAD`;
    otherwise its end is not the file's: a pickle walk that reaches it may read on (red team 111pa-5)."""
    whole = len(head) >= size if size is not None else len(head) < HEAD
    fmt: str | None = None
    for magic, offset, name in _BY_FIRST[head[0]] if head else _NO_HEAD:
        if head[offset:offset + len(magic)] == magic:
            fmt = name
            break
    if fmt is None and is_tar(head):
        fmt = "tar"  # a v7 header (no ``ustar`` magic) that tarfile and torch.load read all the same
    if fmt is None and (codec := compressed(head)) is not None:
        fmt = _CODEC_FORMAT.get(codec, codec)
    if fmt in _READ_ANYWAY:
        return fmt
    if may_unpickle(head, whole=whole):
        return "pickle"
    if fmt is not None:
        return fmt
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"WEBP", b"AVI "):
        return {b"WAVE": "wav", b"WEBP": "webp", b"AVI ": "avi"}[head[8:12]]
    if head[4:8] == b"ftyp":
        return "mp4"
    if b"\x00" in head:
        return "binary"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return "binary"
        text = head[:exc.start].decode("utf-8")  # a multi-byte character cut at the 4 KiB boundary
    stripped = text.lstrip()
    first = stripped.split("\n", 1)[0]
    if first.startswith("{"):
        try:
            json.loads(first)  # at most 4 KiB; nesting past the recursion limit is not JSON Lines
            return "jsonl" if "\n" in stripped.rstrip() else "json"
        except (ValueError, RecursionError):
            return "json"
    if stripped.startswith("["):
        return "json"
    lines = [ln for ln in text.splitlines()[:5] if ln]
    for sep, name in ((",", "csv"), ("\t", "tsv")):
        if len(lines) >= 2 and all(ln.count(sep) == lines[0].count(sep) > 0 for ln in lines[:-1]):
            return name
    return "text"
