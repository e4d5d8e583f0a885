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
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from xml.etree.ElementTree import Element

from mlbom.errors import InputError
from mlbom.formats.safe_read import check_depth
from mlbom.limits import MAX_BOM_BYTES, MAX_DEPTH

SUPPORTED = ("1.4", "1.5", "1.6", "1.7")
DEFAULT_MAX_BYTES = MAX_BOM_BYTES
"""Largest BOM read by default (256 MiB); ``MLBOM_MAX_BOM_BYTES`` raises or lowers it. Parsing
takes several times the file's size in memory, so the bound is what keeps memory bounded.
Nesting is bounded by :data:`mlbom.limits.MAX_DEPTH` (200) in JSON and XML alike."""

_CDX_NS = "http://cyclonedx.org/schema/bom/"
_DSIG_NS = "{http://www.w3.org/2000/09/xmldsig#}"

# XML elements whose children make up a JSON array.
_LIST_WRAPPERS = frozenset({
    "components", "services", "hashes", "licenses", "properties", "externalReferences", "dependencies",
    "compositions", "assemblies", "authors", "ancestors", "descendants", "variants", "commits", "patches",
    "resolves", "users", "useCases", "technicalLimitations", "performanceTradeoffs", "ethicalConsiderations",
    "performanceMetrics", "inputs", "outputs", "fairnessAssessments", "datasets", "collection",
    "energyConsumptions", "activities", "vulnerabilities", "ratings", "affects", "references", "advisories",
    "cwes", "tags", "occurrences", "frames", "annotations", "subjects", "endpoints", "lifecycles", "methods",
    "tools", "citations", "formulation", "workflows", "tasks", "steps", "commands", "parameters",
    "environmentVars", "workspaces", "volumes",
})
# Child elements that are always an array in JSON even when they appear once.
_ALWAYS_LIST = frozenset({"data", "contact", "sensitiveData", "omniborId", "swhid", "energyProviders"})
_ATTR_NAMES = {"content-type": "contentType"}


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
        v = self.doc.get("version", 1)
        return v if isinstance(v, int) else 1

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

    def components(self) -> list[dict[str, object]]:
        """Every component of the release, nested ones included (pedigree ancestors are not
        part of the release and are not listed)."""
        return list(iter_components(self.doc.get("components")))


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


def iter_components(items: object) -> Iterator[dict[str, object]]:
    stack = list(reversed(items)) if isinstance(items, list) else []
    while stack:
        c = stack.pop()
        if isinstance(c, dict):
            yield c
            nested = c.get("components")
            if isinstance(nested, list):
                stack.extend(reversed(nested))


def max_bytes() -> int:
    raw = os.environ.get("MLBOM_MAX_BOM_BYTES")
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            pass
    return DEFAULT_MAX_BYTES


def load(path: str | Path, *, limit: int | None = None) -> LoadedBom:
    """Read a CycloneDX BOM (JSON or XML, spec 1.4–1.7) from ``path`` (``-`` for stdin)."""
    return loads(read_bytes(path, limit=limit), str(path))


def read_bytes(path: str | Path, *, limit: int | None = None) -> bytes:
    """The bytes of a BOM file, refusing one larger than ``limit`` before reading it."""
    limit = max_bytes() if limit is None else limit
    name = str(path)
    if name == "-":
        import sys

        data = sys.stdin.buffer.read(limit + 1)
    else:
        p = Path(path)
        try:
            st = p.stat()
            if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
                raise InputError(p, "not a regular file (a FIFO, socket or device is not read; use - for stdin)")
            size = st.st_size
            if size > limit:
                raise InputError(p, f"BOM is {size / (1 << 20):.0f} MiB, larger than the {limit >> 20} MiB mlbom reads "
                                    "(set MLBOM_MAX_BOM_BYTES to raise the limit)")
            with open(p, "rb") as fh:
                data = fh.read(limit + 1)
        except IsADirectoryError as exc:
            raise InputError(p, "is a folder, not a BOM file") from exc
        except OSError as exc:
            raise InputError(p, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise InputError(name, f"BOM is larger than the {limit >> 20} MiB mlbom reads (set MLBOM_MAX_BOM_BYTES to raise the limit)")
    return data


def loads(data: bytes, name: str = "<bom>") -> LoadedBom:
    """Read a CycloneDX BOM from bytes; the format is told by the first non-blank byte."""
    if not data.strip():
        raise InputError(name, "empty file, not a BOM")
    digest = hashlib.sha256(data).hexdigest()
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        doc, spec, sig = _from_xml(data, name)
        fmt: Literal["json", "xml"] = "xml"
    elif head in (b"{", b"["):
        doc, spec = _from_json(data[3:] if data.startswith(b"\xef\xbb\xbf") else data, name)  # a UTF-8 BOM mark
        sig = "jsf" if isinstance(doc.get("signature"), dict) else None
        fmt = "json"
    else:
        raise InputError(name, "not a CycloneDX BOM (neither JSON nor XML)")
    from mlbom.cyclonedx.validate import referential_problems

    problems = tuple(referential_problems(doc))
    return LoadedBom(name, fmt, spec, doc, digest, sig, problems)


def _from_json(data: bytes, name: str) -> tuple[dict[str, object], str]:
    import orjson

    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "recursion" in str(exc).lower() or "depth" in str(exc).lower():
            raise InputError(name, f"nested too deeply (more than {MAX_DEPTH} levels; mlbom reads at most {MAX_DEPTH})") from exc
        raise InputError(name, f"not valid JSON: {exc}") from exc
    check_depth(doc, name)
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise InputError(name, "not a CycloneDX BOM (no \"bomFormat\": \"CycloneDX\")")
    spec = doc.get("specVersion")
    if spec not in SUPPORTED:
        raise InputError(name, f"unsupported CycloneDX specVersion {spec!r} (mlbom reads {', '.join(SUPPORTED)})")
    if not isinstance(spec, str):
        raise InputError(name, "specVersion is not a string")
    return doc, spec


def _from_xml(data: bytes, name: str) -> tuple[dict[str, object], str, str | None]:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(name, f"XML refused: {type(exc).__name__} (a BOM needs no DTD or entities; they are how XML "
                               "bombs and external-entity attacks work)") from exc
    except ParseError as exc:
        raise InputError(name, f"not well-formed XML: {exc}") from exc
    except (LookupError, ValueError) as exc:  # an XML declaration naming an unknown encoding
        raise InputError(name, f"not well-formed XML: {str(exc)[:200]}") from exc
    except RecursionError as exc:
        raise InputError(name, "XML nested too deeply") from exc
    _check_xml_depth(root, name)
    ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if local != "bom" or not ns.startswith(_CDX_NS):
        raise InputError(name, "not a CycloneDX BOM (root element is not a CycloneDX <bom>)")
    spec = ns[len(_CDX_NS):]
    if spec not in SUPPORTED:
        raise InputError(name, f"unsupported CycloneDX XML namespace version {spec!r} (mlbom reads {', '.join(SUPPORTED)})")
    prefix = "{" + ns + "}"
    doc: dict[str, object] = {"bomFormat": "CycloneDX", "specVersion": spec}
    if root.get("serialNumber") is not None:
        doc["serialNumber"] = root.get("serialNumber")
    try:
        doc["version"] = int(root.get("version", "1"))
    except ValueError:
        doc["version"] = root.get("version")
    signature = None
    try:
        body = _Converter(prefix).element(root)  # recursion bounded by _check_xml_depth
    except InputError as exc:  # the converter does not know the file's name
        raise InputError(name, exc.detail) from exc
    if not isinstance(body, dict):
        raise InputError(name, "the <bom> element has no content mlbom can read")
    for k, v in body.items():
        if k not in ("serialNumber", "version"):
            doc[k] = v
    if any(child.tag == _DSIG_NS + "Signature" for child in root):
        signature = "xmldsig"
    return doc, spec, signature


def _check_xml_depth(root: Element, name: str) -> None:
    """Refuse an element tree deeper than :data:`MAX_DEPTH` before it is converted."""
    stack = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(name, f"nested too deeply (more than {MAX_DEPTH} levels; mlbom reads at most {MAX_DEPTH})")
        stack.extend((c, depth + 1) for c in el)


class _Converter:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def local(self, el: Element) -> str | None:
        tag = el.tag
        return tag[len(self.prefix):] if isinstance(tag, str) and tag.startswith(self.prefix) else None

    def element(self, el: Element) -> object:
        parent = self.local(el)
        obj: dict[str, object] = {_ATTR_NAMES.get(k, k): v for k, v in el.attrib.items() if not k.startswith("{")}
        children = [c for c in el if self.local(c) is not None]
        if not children:
            text = el.text or ""
            if not obj:
                return text
            if text.strip():
                obj["content"] = text
            return obj
        for child in children:
            key = self.local(child)
            if key is None:
                raise InputError("<bom>", "XML element without a CycloneDX name")
            value = self.wrapped(key, child, parent) if key in _LIST_WRAPPERS else self.element(child)
            if key in _ALWAYS_LIST:
                existing = obj.setdefault(key, [])
                if not isinstance(existing, list):  # an attribute of the same name came first (data="x" + <data>)
                    raise InputError("<bom>", f"<{key}> both as an attribute and as an element")
                existing.append(value)
            elif key in obj:
                prev = obj[key]
                obj[key] = [*prev, value] if isinstance(prev, list) and key not in _LIST_WRAPPERS else [prev, value]
            else:
                obj[key] = value
        return obj

    def wrapped(self, key: str, el: Element, parent: str | None) -> object:
        items = [c for c in el if self.local(c) is not None]
        if key == "tools" and any(self.local(c) in ("components", "services") for c in items):
            return self.element(el)  # CycloneDX 1.5+: {"components": [...], "services": [...]}
        if not items and el.attrib:  # not a wrapper here (e.g. an <identity> with fields)
            return self.element(el)
        out: list[object] = []
        for c in items:
            tag = self.local(c)
            if tag == "hash":
                out.append({"alg": c.get("alg"), "content": (c.text or "").strip()})
            elif tag == "property":
                out.append({"name": c.get("name"), "value": c.text or ""})
            elif key == "licenses" and tag == "license":
                out.append({"license": self.element(c)})
            elif key == "licenses" and tag == "expression":
                expr: dict[str, object] = {"expression": (c.text or "").strip()}
                expr.update({k: v for k, v in c.attrib.items() if not k.startswith("{")})
                out.append(expr)
            elif key == "datasets" and tag == "ref":
                out.append({"ref": (c.text or "").strip()})
            elif key == "dependencies" and tag == "dependency" and parent != "composition":
                entry: dict[str, object] = {"ref": c.get("ref")}
                deps = [d.get("ref") for d in c if self.local(d) == "dependency"]
                if deps:
                    entry["dependsOn"] = deps
                provides = [d.get("ref") for d in c if self.local(d) == "provides"]
                if provides:
                    entry["provides"] = provides
                out.append(entry)
            elif tag in ("assembly", "dependency", "vulnerability") and parent == "composition":
                out.append(c.get("ref"))
            else:
                out.append(self.wrapped(tag, c, key) if tag in _LIST_WRAPPERS and tag != key else self.element(c))
        return out
