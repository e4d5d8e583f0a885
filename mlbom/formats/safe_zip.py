"""Reading a zip archive through the standard library's ``zipfile``, every failure typed (issue 19).

``zipfile`` raises a dozen exception types on a hostile archive, from the constructor and from
reading a member: ``BadZipFile``, ``NotImplementedError`` ("zip file version 25.5", compression
method 99), ``UnicodeDecodeError`` (a name flagged UTF-8 that is not), ``zlib.error`` and
``lzma.LZMAError`` (corrupt member data), ``OSError`` (bz2's "Invalid data stream"),
``RuntimeError`` (an encrypted member), ``EOFError``, ``ValueError``, ``struct.error``. Here
each becomes an :class:`InputError` naming the archive and, for a member, the member:

- :func:`open_archive`: the archive's central directory, or an error for the whole archive.
- :func:`read_member`: at most ``limit + 1`` bytes of one member (the caller sees that the
  member is larger than ``limit`` without inflating the rest), or :class:`MemberError` — one
  bad member never stops the others.
- :func:`is_dir`: ``ZipInfo.is_dir`` without its ``IndexError`` on an empty name.

For scanning model files (where what *loaders* accept matters, not what ``zipfile`` accepts)
mlbom reads the central directory itself: :mod:`mlbom.formats.zipread`.
"""

from __future__ import annotations

import lzma
import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from mlbom.errors import InputError

_ARCHIVE_ERRORS = (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, UnicodeDecodeError, ValueError,
                   struct.error, IndexError)
_MEMBER_ERRORS = (*_ARCHIVE_ERRORS, zlib.error, lzma.LZMAError, RuntimeError)


class MemberError(InputError):
    """One member of an archive cannot be read; ``detail`` says why (the archive may still be read)."""


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    kinds: dict[type[BaseException], str] = {zlib.error: "corrupt deflate data", lzma.LZMAError: "corrupt LZMA data"}
    kind = kinds.get(type(exc), type(exc).__name__)
    return f"{kind}: {text}" if text else kind


def open_archive(path: Path, fileobj: BinaryIO | None = None) -> zipfile.ZipFile:
    """The archive at ``path`` (read from ``fileobj``, an open file of it, when given) opened
    for reading; anything ``zipfile`` refuses is an :class:`InputError` ("not a readable zip: ...")."""
    try:
        return zipfile.ZipFile(fileobj if fileobj is not None else path)
    except _ARCHIVE_ERRORS as exc:
        raise InputError(path, f"not a readable zip: {_reason(exc)}") from exc


def is_dir(info: zipfile.ZipInfo) -> bool:
    """Whether the entry names a folder (``ZipInfo.is_dir`` fails on an empty name)."""
    return info.filename.endswith("/")


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, path: Path) -> bytes:
    """At most ``limit + 1`` bytes of the member ``info``: a result longer than ``limit`` means
    the member is larger, whatever its header says. Raises :class:`MemberError`."""
    try:
        with zf.open(info) as fh:
            return fh.read(limit + 1)
    except _MEMBER_ERRORS as exc:
        raise MemberError(path, f"unreadable member: {_reason(exc)}", at=repr(info.filename)[1:-1]) from exc
