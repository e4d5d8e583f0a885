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
import json
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from mlbom.errors import InputError

MAX_METADATA_BYTES = 8 << 20
MAX_RECORD_BYTES = 64 << 20
MAX_SMALL_JSON = 1 << 20


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


def read_bounded(path: Path, limit: int) -> bytes:
    """Read at most ``limit`` bytes; a longer file is an :class:`InputError`."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise InputError(path, f"larger than the {limit >> 20} MiB mlbom reads from such a file")
    return data


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
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not row[0]:
            continue
        alg = hexd = None
        if len(row) > 1 and row[1]:
            decoded = record_digest_to_hex(row[1])
            if decoded is None:
                raise InputError(path, f"malformed hash field {row[1]!r}", at=f"line {lineno}")
            alg, hexd = decoded
        size = int(row[2]) if len(row) > 2 and row[2].isdigit() else None
        rows.append(RecordRow(row[0], alg, hexd, size, lineno))
    return rows


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
    try:
        doc: object = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not valid JSON: {exc}") from exc
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
