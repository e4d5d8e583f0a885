"""Reading BOMs back: CycloneDX 1.4–1.7, JSON or XML, from mlbom or any other tool, into one
read model — the BOM as its JSON form (a dict tree), with ``modelCard``, ``data``, ``signature``,
properties and every other field kept.

BOMs are never round-tripped through cyclonedx-python-lib's model: it drops the ML blocks and
signatures. XML is parsed with defusedxml (no DTDs, no entities, no external references) and
mapped onto the JSON shape by the rules the CycloneDX XML schema follows (list wrappers,
attributes as keys, ``hash``/``property``/``license`` special forms), so a diff or query of the
same BOM in JSON and in XML gives the same answer. Elements from other XML namespaces
(extensions) are skipped; an XML-DSig ``<Signature>`` is noted as the BOM's signature.

Problems that make a BOM unreliable but still readable — duplicate bom-refs, dependencies or
compositions that name nothing — are collected in :attr:`LoadedBom.problems` rather than
raised: the caller decides (``index add`` stores them with the release, ``diff`` and ``query``
print them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from mlbom.cyclonedx import document
from mlbom.limits import MAX_BOM_BYTES

SUPPORTED = document.SUPPORTED
DEFAULT_MAX_BYTES = MAX_BOM_BYTES
"""Largest BOM read by default (256 MiB); ``MLBOM_MAX_BOM_BYTES`` raises or lowers it. Parsing
takes several times the file's size in memory, so the bound is what keeps memory bounded.
Nesting is bounded by :data:`mlbom.limits.MAX_DEPTH` (200) in JSON and XML alike."""
max_bytes = document.max_bytes
read_bytes = document.read_bytes

MAX_BOM_VERSION = (1 << 63) - 1
"""Largest BOM ``version`` read (2^63-1). CycloneDX's ``version`` is an integer from 1 with no
upper bound in either schema, but the index keys a release by serial number and version in a
64-bit signed integer (SQLite ``INTEGER``, PostgreSQL ``bigint``), and every writer of JSON holds
integers only to 64 bits: a BOM whose version is beyond it, below 1, or not a whole number is
refused by :func:`loads` (red team 75c-1), never read as another version."""

_EXACT_DOUBLE = 1 << 53


@dataclass(frozen=True)
class LoadedBom:
    """One BOM as read: its JSON-shaped document and what was learned while reading it."""

    source: str
    format: Literal["json", "xml"]
    spec_version: str
    doc: dict[str, object]
    sha256: str
    signature: str | None = None
    """``"jsf"`` (JSON Signature Format), ``"xmldsig"`` or ``None``; *present*, not verified."""
    problems: tuple[str, ...] = field(default=())

    @property
    def serial_number(self) -> str | None:
        v = self.doc.get("serialNumber")
        return v if isinstance(v, str) else None

    @property
    def version(self) -> int:
        """The BOM's ``version`` (1 when absent, the schema's default); :func:`loads` refuses
        one that is not a whole number from 1 to :data:`MAX_BOM_VERSION`."""
        got = bom_version(self.doc.get("version", 1))
        return 1 if got is None else got

    @property
    def metadata(self) -> dict[str, object]:
        m = self.doc.get("metadata")
        return m if isinstance(m, dict) else {}

    @property
    def timestamp(self) -> str | None:
        v = self.metadata.get("timestamp")
        return v if isinstance(v, str) else None

    @property
    def root(self) -> dict[str, object]:
        c = self.metadata.get("component")
        return c if isinstance(c, dict) else {}

    @property
    def content_digest(self) -> str:
        """SHA-256 of the document's content, independent of encoding: the same BOM as JSON or
        XML, signed or not, gives the same digest (``$schema``, the signature and empty arrays
        are left out, keys sorted)."""
        import orjson

        body = {k: v for k, v in self.doc.items() if k not in ("$schema", "signature")}
        return hashlib.sha256(orjson.dumps(_prune(body), option=orjson.OPT_SORT_KEYS)).hexdigest()

    def require_unique_refs(self) -> None:
        """Raise :class:`~mlbom.errors.InputError` (exit 2) when two objects share a bom-ref.
        CycloneDX requires bom-refs unique within a BOM; every reader that keys by bom-ref (the
        policy gate, the read model behind diff, query, index and reports) would keep one of
        them and never judge the other (red team 10c P2), so such a BOM is not read at all.
        ``validate`` reports it among the referential problems instead."""
        dup = next((p for p in self.problems if document.NOT_UNIQUE in p), None)
        if dup is not None:
            from mlbom.errors import InputError

            more = sum(document.NOT_UNIQUE in p for p in self.problems) - 1
            raise InputError(self.source, f"{dup}{f' (and {more} more)' if more else ''}: CycloneDX requires "
                             "bom-refs (and one dependency entry per ref) unique within a BOM, and a reader keyed "
                             "by bom-ref would judge one of them and drop the other; not read",
                             hint="mlbom validate lists every problem")

    def components(self) -> list[dict[str, object]]:
        """Every component of the release, nested ones included (pedigree ancestors are not
        part of the release and are not listed)."""
        return list(document.walk_components(self.doc.get("components")))


def bom_version(value: object) -> int | None:
    """A BOM ``version`` value as the integer it is, or None when it is not a whole number from 1
    to :data:`MAX_BOM_VERSION`. JSON Schema counts ``2.0`` as an integer, so a double with no
    fraction is read as one while it is exact (up to 2^53); a numeral beyond 2^64 (JSON or XML)
    arrives here as a double and is refused as beyond the bound."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer() or not 1 <= value <= _EXACT_DOUBLE:
            return None
        value = int(value)
    return value if isinstance(value, int) and 1 <= value <= MAX_BOM_VERSION else None


def _prune(value: object) -> object:
    """A copy of ``value`` without empty arrays/objects as object values. Iterative: a BOM's
    nesting is bounded when it is read, but no walk here relies on the call stack."""
    if not isinstance(value, (dict, list)):
        return value
    root: dict[str, object] | list[object] = {} if isinstance(value, dict) else []
    stack: list[tuple[object, dict[str, object] | list[object]]] = [(value, root)]
    while stack:
        src, dst = stack.pop()
        items = src.items() if isinstance(src, dict) else enumerate(src) if isinstance(src, list) else ()
        for k, v in items:
            if isinstance(src, dict) and (v == [] or v == {}):
                continue
            copy: object = v
            if isinstance(v, (dict, list)):
                copy = {} if isinstance(v, dict) else []
                stack.append((v, copy))  # type: ignore[arg-type]
            if isinstance(dst, dict):
                dst[str(k)] = copy
            else:
                dst.append(copy)
    return root


def load(path: str | Path, *, limit: int | None = None) -> LoadedBom:
    """Read a CycloneDX BOM (JSON or XML, spec 1.4–1.7) from ``path`` (``-`` for stdin)."""
    return loads(read_bytes(path, limit=limit), str(path))


def loads(data: bytes, name: str = "<bom>") -> LoadedBom:
    """Read a CycloneDX BOM from bytes; the format is told by the first non-blank byte (a
    UTF-8 byte-order mark is skipped: :mod:`mlbom.cyclonedx.document`)."""
    fmt, doc, spec, sig = document.parse(data, name)
    # never skipped by one reader and read by another: a malformed properties array (red team
    # 12b-3) or a container of the wrong JSON type (red team 13b-1/2)
    bad = next(document.property_problems(doc), None) or next(document.shape_problems(doc), None)
    if bad is not None:
        from mlbom.errors import InputError

        raise InputError(name, f"{bad}: every reader would skip it (and a verdict or finding in it); not read",
                         hint="mlbom validate lists every problem")
    if "version" in doc and bom_version(doc["version"]) is None:
        from mlbom.errors import InputError

        v = doc["version"]
        shown = repr(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and len(repr(v)) <= 40 \
            else f"{str(v)[:40]!r}"
        raise InputError(name, f"/version: {shown} is not a BOM version mlbom can read: CycloneDX's version is a "
                               f"whole number from 1, and mlbom keeps it in a 64-bit integer (at most "
                               f"{MAX_BOM_VERSION}); not read")
    digest = hashlib.sha256(data).hexdigest()
    return LoadedBom(name, fmt, spec, doc, digest, sig, tuple(document.referential_problems(doc)))
