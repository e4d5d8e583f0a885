"""Installed-distribution metadata, read as bytes: METADATA/PKG-INFO headers, RECORD rows,
PEP 610 ``direct_url.json``.

Specs: https://packaging.python.org/en/latest/specifications/core-metadata/ (Metadata 2.4),
https://packaging.python.org/en/latest/specifications/recording-installed-packages/ (RECORD),
https://packaging.python.org/en/latest/specifications/direct-url-data-structure/ (PEP 610).

Every read is bounded; nothing here imports or runs the distribution.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from mlbom.errors import InputError
from mlbom.formats.safe_read import load_json
from mlbom.limits import MAX_RECORD_SIZE_DIGITS, bounded_int

__all__ = ["CoreMetadata", "DirectUrl", "RecordRow", "parse_direct_url", "parse_dist_dirname", "parse_metadata",
           "parse_record"]
# Parsers of bytes only: reading files (read_bounded) and the size limits live in the leaf modules
# mlbom.formats.safe_read and mlbom.limits.


@dataclass(frozen=True)
class CoreMetadata:
    """The headers of a METADATA/PKG-INFO file that mlbom uses, in file order.

    ``fields`` maps each header name (lower case) to every value it had; ``lines`` maps each
    value of a multi-use field to its line number in the file, for precise messages.
    """

    fields: dict[str, list[str]]
    lines: dict[tuple[str, str], int] = field(default_factory=dict)

    def first(self, name: str) -> str | None:
        values = self.fields.get(name.lower())
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name.lower(), []))


def parse_metadata(data: bytes, path: Path) -> CoreMetadata:
    """Parse the header block of a core-metadata file. Bytes that are not UTF-8 are kept
    (surrogate-escaped) rather than rejected, as pip does; a file with no header is an error."""
    head, _, _ = data.replace(b"\r\n", b"\n").partition(b"\n\n")
    if not head.strip():
        raise InputError(path, "no metadata headers (empty file)")
    msg = BytesHeaderParser(policy=compat32).parsebytes(head)
    fields: dict[str, list[str]] = {}
    for key, value in msg.items():
        text = str(value)
        if "\ufffd" in text or any(0xDC80 <= ord(c) <= 0xDCFF for c in text):
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        fields.setdefault(key.lower(), []).append(text.strip())
    if not fields or (msg.defects and not fields.get("name")):
        raise InputError(path, "not a core-metadata file (no parseable headers)")
    lines: dict[tuple[str, str], int] = {}
    for lineno, raw in enumerate(head.split(b"\n"), start=1):
        if raw[:1] in (b" ", b"\t") or b":" not in raw:
            continue
        key, _, value = raw.decode("utf-8", "replace").partition(":")
        lines.setdefault((key.strip().lower(), value.strip()), lineno)
    return CoreMetadata(fields=fields, lines=lines)


@dataclass(frozen=True)
class RecordRow:
    path: str
    alg: str | None
    digest_hex: str | None
    size: int | None
    line: int


def parse_record(data: bytes, path: Path) -> list[RecordRow]:
    """Parse a RECORD file (CSV: path, ``alg=urlsafe-b64``, size). Non-UTF-8 is an error:
    the spec requires UTF-8 and a mis-decoded path would be checked against the wrong file."""
    from mlbom.hashing import record_digest_to_hex

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 at byte {exc.start}", at="RECORD") from exc
    rows: list[RecordRow] = []
    # newline="": the csv module then sees \r, \n and \r\n as the row ends they are (a bare CR
    # in an unquoted field is otherwise a csv.Error).
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(path, f"not a CSV row: {exc}", at=f"RECORD line {reader.line_num}") from exc
        lineno = reader.line_num
        if not row or not row[0]:
            continue
        alg = hexd = None
        if len(row) > 1 and row[1]:
            decoded = record_digest_to_hex(row[1]) if _RECORD_HASH.fullmatch(row[1]) else None
            if decoded is not None and decoded[0] in _DIGEST_HEX and len(decoded[1]) != _DIGEST_HEX[decoded[0]]:
                decoded = None  # a digest of the wrong length can match no file: malformed, not a mismatch
            if decoded is None:
                raise InputError(path, f"malformed hash field {row[1][:100]!r}", at=f"line {lineno}")
            alg, hexd = decoded
        rows.append(RecordRow(row[0], alg, hexd, _size(row[2]) if len(row) > 2 else None, lineno))
    return rows


# ``alg=urlsafe-base64`` without padding (PEP 376/627); base64 decoding alone would skip stray
# characters and turn ``sha256=!!!`` into an empty digest.
_RECORD_HASH = re.compile(r"[A-Za-z0-9_]+=[A-Za-z0-9_-]+={0,2}")
_DIGEST_HEX = {"sha256": 64, "sha384": 96, "sha512": 128, "sha224": 56, "sha1": 40, "md5": 32,
               "sha3_224": 56, "sha3_256": 64, "sha3_384": 96, "sha3_512": 128, "blake2b": 128, "blake2s": 64}

RECORD_STRONG_ALGS = frozenset({"sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s"})
"""RECORD hash algorithms a file is verified with and trusted by: the fixed-length members of
``hashlib.algorithms_guaranteed`` (which the recording-installed-packages spec allows) that are
"sha256 or better" (the binary distribution format spec)."""

RECORD_WEAK_ALGS = frozenset({"md5", "sha1", "sha224", "sha3_224"})
"""Guaranteed algorithms below that bar (md5 and sha1 are refused by the wheel spec): a file is
still checked with one (a mismatch is a mismatch), but a match proves nothing."""


def _size(field: str) -> int | None:
    """A RECORD size: ASCII digits only (``str.isdigit`` also accepts ``²`` and other digits
    ``int`` refuses), at most 20 of them; anything else is no size."""
    return bounded_int(field, max_digits=MAX_RECORD_SIZE_DIGITS)


@dataclass(frozen=True)
class DirectUrl:
    """PEP 610 ``direct_url.json``."""

    url: str
    kind: str  # "vcs", "archive", "dir"
    vcs: str | None = None
    commit_id: str | None = None
    requested_revision: str | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    editable: bool = False
    subdirectory: str | None = None


def parse_direct_url(data: bytes, path: Path) -> DirectUrl:
    """Parse ``direct_url.json``; anything that breaks PEP 610 is an :class:`InputError`."""
    loaded = load_json(data, path)
    if loaded.duplicate_keys:  # which one pip saw is not knowable: an ambiguous origin is refused
        raise InputError(path, f"key given more than once at {loaded.duplicate_keys[0]}")
    doc = loaded.value
    if not isinstance(doc, dict) or not isinstance(doc.get("url"), str):
        raise InputError(path, "PEP 610 requires an object with a string 'url'")
    url: str = doc["url"]
    sub = doc.get("subdirectory")
    subdirectory = sub if isinstance(sub, str) else None
    vcs_info, archive_info, dir_info = doc.get("vcs_info"), doc.get("archive_info"), doc.get("dir_info")
    if isinstance(vcs_info, dict):
        vcs, commit = vcs_info.get("vcs"), vcs_info.get("commit_id")
        if not isinstance(vcs, str) or not isinstance(commit, str):
            raise InputError(path, "vcs_info needs string 'vcs' and 'commit_id'")
        rev = vcs_info.get("requested_revision")
        return DirectUrl(url, "vcs", vcs=vcs, commit_id=commit,
                         requested_revision=rev if isinstance(rev, str) else None,
                         subdirectory=subdirectory)
    if isinstance(archive_info, dict):
        hashes: dict[str, str] = {}
        raw = archive_info.get("hashes")
        if isinstance(raw, dict):
            hashes = {str(k).lower(): str(v).lower() for k, v in raw.items() if isinstance(v, str)}
        legacy = archive_info.get("hash")
        if isinstance(legacy, str) and "=" in legacy:
            alg, _, hexd = legacy.partition("=")
            hashes.setdefault(alg.lower(), hexd.lower())
        return DirectUrl(url, "archive", hashes=hashes, subdirectory=subdirectory)
    if isinstance(dir_info, dict):
        return DirectUrl(url, "dir", editable=dir_info.get("editable") is True,
                         subdirectory=subdirectory)
    raise InputError(path, "PEP 610 requires one of vcs_info, archive_info, dir_info")


def parse_dist_dirname(name: str) -> tuple[str, str | None]:
    """``foo_bar-1.0.dist-info`` → ``("foo_bar", "1.0")``; the version may be absent
    (``foo.egg-info``)."""
    stem = name.rsplit(".", 1)[0]
    n, sep, v = stem.partition("-")
    return n, (v.split("-")[0] if sep and v else None)
