"""Data file formats, detected from the first bytes (never from the extension alone)."""

from __future__ import annotations

import io
import json
import pickletools
import re
import zlib

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"PAR1", 0, "parquet"),
    (b"ARROW1", 0, "arrow"),
    (b"\xff\xff\xff\xff", 0, "arrow-stream"),
    (b"ustar", 257, "tar"),
    (b"PK\x03\x04", 0, "zip"),
    (b"\x1f\x8b\x08", 0, "gzip"),  # method 8, the only one gzip.py reads
    (b"BZh", 0, "bzip2"),
    (b"\xfd7zXZ\x00", 0, "xz"),
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


# How pickles begin: PROTO 2-5 (what pickle.dump and torch.save write), or the first opcodes of a
# protocol 0/1 pickle of a dict, list, tuple or object (``(dp0``, ``(lp1``, ``}q``, ``]q``,
# ``ccopy_reg``, ``c__builtin__``, ``(i__main__``). Only a hint for which data files the scanner
# reads (a pickle in a dataset runs code on load like one in a model); the scanner decides.
_PICKLE_HEADS = (b"(dp", b"(lp", b"(tp", b"(i", b"(c", b"}q", b"]q", b"}(", b"](", b"ccopy_reg\n", b"c__builtin__\n",
                 b"cbuiltins\n", b"c__main__\n", b"cnumpy", b"ctorch", b"csklearn", b"cpandas", b"ccollections\n")


# GLOBAL or INST first (``cos\nsystem\n``, ``(imodule\nName\n``): a module and a name, a line each
_GLOBAL_HEAD = re.compile(rb"\(?[ci][A-Za-z_][\w.]{0,200}\n[A-Za-z_][\w.]{0,200}\n")


def _inflates(head: bytes) -> bool:
    """The head is the start of a valid zlib stream (random bytes pass the 2-byte header check
    once in ~8,000 files; they rarely inflate further)."""
    try:
        zlib.decompressobj().decompress(head, 64)
    except zlib.error:
        return False
    return True


def _looks_pickled(head: bytes) -> bool:
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return True
    return head.startswith(_PICKLE_HEADS) or _GLOBAL_HEAD.match(head) is not None or _reads_as_opcodes(head)


_HEAD_CUT = 4096  # the heads passed here are the first 4 KiB: a longer file is cut there


def _reads_as_opcodes(head: bytes) -> bool:
    """The head reads as pickle opcodes (``pickletools.genops``, which reads arguments and checks
    no stack): to a STOP, or, for a head cut at 4 KiB, at least three opcodes up to its end. A
    pickle may begin with any opcode (``N0``, ``I1\n0``, ``)0`` before the usual start: red team
    9c D1); text, CSV and JSON fail at their first bytes."""
    n = 0
    try:
        for _op, _arg, _pos in pickletools.genops(io.BytesIO(head)):
            n += 1
    except ValueError as exc:
        return len(head) >= _HEAD_CUT and n >= 3 and "unknown" not in str(exc)
    return n > 0


def detect(head: bytes) -> str:
    """Format of a data file from its first 4 KiB."""
    for magic, offset, name in _BY_FIRST[head[0]] if head else _NO_HEAD:
        if head[offset:offset + len(magic)] == magic:
            return name
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"WEBP", b"AVI "):
        return {b"WAVE": "wav", b"WEBP": "webp", b"AVI ": "avi"}[head[8:12]]
    if head[4:8] == b"ftyp":
        return "mp4"
    if _looks_pickled(head):
        return "pickle"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0 and _inflates(head):
        return "zlib"  # a zlib stream (joblib's default compressor): header check bits, and it inflates
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
