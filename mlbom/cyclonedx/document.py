"""The one document layer every reader of BOM bytes goes through: the reader
(:mod:`mlbom.reader`), ``validate`` (:mod:`mlbom.cyclonedx.validate`), signing
(:mod:`mlbom.signing`), verification (:mod:`mlbom.verification`) and XML-DSig
(:mod:`mlbom.xmldsig`).

- **Size**: one limit, :data:`mlbom.limits.MAX_BOM_BYTES` (``MLBOM_MAX_BOM_BYTES`` raises or
  lowers it), checked before a byte is parsed (:func:`max_bytes`, :func:`read_bytes`).
- **Sniffing** (:func:`sniff`): the first byte that is not blank says JSON (``{``/``[``) or XML
  (``<``). A UTF-8 byte-order mark is handled one way everywhere: *tolerated* (skipped) when
  a BOM is read or validated (RFC 8259 §8.1 lets a parser ignore it; producers on Windows
  write it), *refused* where the bytes themselves are signed or verified (a signed document
  must be the text every reader sees: :func:`mlbom.xmldsig.check_encoding`, and JSF's strict
  I-JSON parse in :func:`mlbom.jsf.parse_json`).
- **JSON** (:func:`parse_json`): strict syntax and UTF-8, duplicate member names refused (one
  linear pass: a set per object only when its member count shows a repeat), NaN/Infinity
  refused, nesting bounded by :data:`mlbom.limits.MAX_DEPTH`. Numbers are read as orjson reads
  them (an integer beyond the 64-bit range as the nearest double, one beyond the double range
  refused), so that whatever is read can be written and digested again; the signing rules
  (±(2**53 - 1), RFC 8785 spellings) apply where bytes are signed (:func:`mlbom.jsf.parse_json`).
- **XML**: no DTD, no entities, no network, nesting bounded — through defusedxml for the
  JSON-shaped read model (:func:`parse_xml`) and through lxml with the same rules where an
  lxml tree is needed, for the XML Schema and for XML-DSig (:func:`xml_tree`,
  :func:`safe_xml_parser`).
- **Spec versions**: :data:`SUPPORTED` is the one list of the CycloneDX versions mlbom reads.
- **Referential checks** (:func:`referential_problems`), on the JSON shape for JSON and XML
  alike: bom-refs unique; every dependency, composition, model-card dataset ref resolves.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from xml.etree.ElementTree import Element

import orjson
from lxml import etree

from mlbom.cyclonedx.schematypes import type_leaves
from mlbom.errors import InputError
from mlbom.formats.safe_read import check_depth
from mlbom.jsonlevels import container_levels
from mlbom.limits import MAX_BOM_BYTES, MAX_DEPTH, MAX_NAMESPACES, MAX_XML_ATTRIBUTES, bounded_int

SUPPORTED = ("1.4", "1.5", "1.6", "1.7")
"""The CycloneDX spec versions mlbom reads, validates and verifies (the only such list)."""

UTF8_MARK = b"\xef\xbb\xbf"
CDX_NS = "http://cyclonedx.org/schema/bom/"
DSIG_NS = "{http://www.w3.org/2000/09/xmldsig#}"
TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} levels; mlbom reads at most {MAX_DEPTH})"


def _too_many_attributes(tag: object, count: int) -> str:
    local = str(tag).rpartition("}")[2][:100]
    return (f"element <{local}> has {count} attributes (mlbom reads at most {MAX_XML_ATTRIBUTES} on one element: "
            "reading and canonicalizing them costs the square of their number; a CycloneDX element has a handful)")

Format = Literal["json", "xml"]


# ---- size and bytes ---------------------------------------------------------------------

def max_bytes() -> int:
    """The largest BOM read: :data:`mlbom.limits.MAX_BOM_BYTES` unless ``MLBOM_MAX_BOM_BYTES`` says
    (a whole number of bytes; any other value is not read)."""
    n = bounded_int(os.environ.get("MLBOM_MAX_BOM_BYTES", "").strip())
    return MAX_BOM_BYTES if n is None else max(1, n)


def too_large(name: str | Path, limit: int, size: int | None = None) -> InputError:
    what = f"BOM is {size / (1 << 20):.0f} MiB, larger" if size is not None else "BOM is larger"
    return InputError(name, f"{what} than the {limit >> 20} MiB mlbom reads (set MLBOM_MAX_BOM_BYTES to raise the limit)")


def check_size(data: bytes, name: str | Path, limit: int | None = None) -> None:
    """Refuse bytes over the limit (for BOMs handed over as bytes rather than read here)."""
    limit = max_bytes() if limit is None else limit
    if len(data) > limit:
        raise too_large(name, limit)


def read_bytes(path: str | Path, *, limit: int | None = None) -> bytes:
    """The bytes of a BOM file (``-`` for stdin), refusing one larger than ``limit`` before reading it."""
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
            if st.st_size > limit:
                raise too_large(p, limit, st.st_size)
            with open(p, "rb") as fh:
                data = fh.read(limit + 1)
        except IsADirectoryError as exc:
            raise InputError(p, "is a folder, not a BOM file") from exc
        except OSError as exc:
            raise InputError(p, f"cannot read: {exc.strerror or exc}") from exc
    check_size(data, name, limit)
    return data


# ---- sniffing ---------------------------------------------------------------------------

def strip_mark(data: bytes) -> bytes:
    """``data`` without a leading UTF-8 byte-order mark."""
    return data[3:] if data.startswith(UTF8_MARK) else data


def sniff(data: bytes) -> Format | None:
    """``json`` or ``xml`` by the first byte that is not blank (a UTF-8 byte-order mark skipped)."""
    head = strip_mark(data.lstrip(b" \t\r\n")).lstrip(b" \t\r\n")[:1]
    if head == b"<":
        return "xml"
    if head in (b"{", b"["):
        return "json"
    return None


# ---- JSON -------------------------------------------------------------------------------

class _DuplicateMember(ValueError):
    pass


def _unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # only then a set: linear overall
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateMember(k)
            seen.add(k)
    return obj


def _no_constant(text: str) -> object:
    raise ValueError(f"{text} is not JSON")


_INT64_MIN, _UINT64_MAX = -(1 << 63), (1 << 64) - 1


def _number_int(text: str) -> int | float:
    """An integer as every BOM writer can write it back: within the 64-bit range; beyond it the
    nearest double (what orjson reads, and what mlbom read before this layer)."""
    n = int(text)
    if len(text) < 19 or _INT64_MIN <= n <= _UINT64_MAX:
        return n
    return _number_float(text)


def _number_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:40]} is infinity when parsed as double")
    return value


# A "\ud800"-style escape, or a surrogate encoded as UTF-8: Python's parser lets both through,
# orjson (strict UTF-8, as every writer needs) does not; only then is orjson asked.
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def parse_json(data: bytes, name: str | Path) -> object:
    """A JSON document, strictly: see the module's rules. Raises :class:`InputError`."""
    data = strip_mark(data)
    try:
        doc = json.loads(data, object_pairs_hook=_unique, parse_constant=_no_constant, parse_int=_number_int,
                         parse_float=_number_float)
    except _DuplicateMember as exc:
        raise InputError(name, f"duplicate JSON member name {str(exc)[:80]!r}: refused (the same name twice "
                               "in one object is read differently by different tools)") from exc
    except RecursionError as exc:
        raise InputError(name, TOO_DEEP) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise _json_error(data, name, exc) from exc
    if _SURROGATE.search(data):
        try:
            orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise _json_error(data, name, exc) from exc
    check_depth(doc, name)
    return doc


def _json_error(data: bytes, name: str | Path, exc: Exception) -> InputError:
    """The message for bytes that are not JSON: orjson's (it names the place) where it has one."""
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError as oexc:
        exc = oexc
    except RecursionError:
        return InputError(name, TOO_DEEP)
    text = str(exc)
    if "recursion" in text.lower() or "depth" in text.lower():
        return InputError(name, TOO_DEEP)
    return InputError(name, f"not valid JSON: {text}")


def check_cyclonedx(doc: object, name: str | Path) -> tuple[dict[str, object], str]:
    """The document and its spec version, if it is a CycloneDX BOM of a version mlbom reads."""
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise InputError(name, "not a CycloneDX BOM (no \"bomFormat\": \"CycloneDX\")")
    spec = doc.get("specVersion")
    if not isinstance(spec, str) or spec not in SUPPORTED:
        raise InputError(name, f"unsupported CycloneDX specVersion {spec!r} (mlbom reads {', '.join(SUPPORTED)})")
    return doc, spec


# ---- XML --------------------------------------------------------------------------------

def safe_xml_parser() -> etree.XMLParser:
    """An lxml parser that expands no entities, loads no DTD and reaches no network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           dtd_validation=False)


def xml_tree(data: bytes, name: str | Path) -> etree._Element:
    """An lxml tree of XML bytes, by the same rules as :func:`parse_xml`: no DTD, nesting
    bounded. Whether it is a CycloneDX BOM is :func:`xml_spec`'s question."""
    return xml_tree_shape(data, name)[0]


@dataclass(frozen=True)
class XmlShape:
    """What one linear walk of an lxml tree (:func:`xml_walk`) learns about its namespaces.

    ``crowded``: the first element (document order) with more than
    :data:`mlbom.limits.MAX_NAMESPACES` distinct namespace prefixes in scope, as
    ``(local name, how many)``, or ``None``. ``c14n_steps``: the sum over elements of
    depth × (1 + namespace declarations in scope, a redeclaration counted again) — what
    libxml2's inclusive C14N pays (:data:`mlbom.limits.XML_C14N_STEPS_PER_BYTE`)."""

    crowded: tuple[str, int] | None
    c14n_steps: int


def xml_tree_shape(data: bytes, name: str | Path) -> tuple[etree._Element, XmlShape]:
    """:func:`xml_tree` and the tree's :class:`XmlShape`, from the one walk that bounds its depth."""
    try:
        root = etree.fromstring(data, safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        if "Excessive depth" in str(exc):  # libxml2's own limit (256) is above MAX_DEPTH: same answer
            raise InputError(name, TOO_DEEP) from exc
        raise InputError(name, f"not well-formed XML: {exc}") from exc
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise InputError(name, f"not well-formed XML: {str(exc)[:200]}") from exc
    if root is None:
        raise InputError(name, "not well-formed XML: no root element")
    if root.getroottree().docinfo.internalDTD is not None:
        raise InputError(name, "XML with a DTD (entity declarations) is refused: a BOM needs none, and "
                               "entities are how XML bombs and external-entity attacks work")
    return root, xml_walk(root, name)


def xml_walk(root: etree._Element, name: str | Path) -> XmlShape:
    """One pass over an lxml tree, linear in its elements and namespace declarations (red team
    112v-1): its depth bounded by :data:`MAX_DEPTH` (:class:`InputError` past it), and its
    :class:`XmlShape`. lxml's ``nsmap`` walks every ancestor, so reading it at every element
    costs elements × depth; here each declaration is seen once (``start-ns``) and its scope kept
    on a stack."""
    depth = 0
    declared = 0  # declarations in scope, repeats included
    distinct = 0  # distinct prefixes in scope
    prefixes: dict[str, int] = {}
    pending: list[str] = []
    scopes: list[tuple[int, list[str]]] = []  # (depth, prefixes declared there): only elements that declare
    steps = 0
    crowded: tuple[str, int] | None = None
    for event, obj in etree.iterwalk(root, events=("start-ns", "start", "end")):
        if event == "start":
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(name, TOO_DEEP)
            if (n := len(obj.attrib)) > MAX_XML_ATTRIBUTES:  # (O(1) in lxml; items() is quadratic: 116v-2)
                raise InputError(name, _too_many_attributes(obj.tag, n))
            if pending:
                scopes.append((depth, pending))
                for prefix in pending:
                    n = prefixes.get(prefix, 0)
                    distinct += n == 0
                    prefixes[prefix] = n + 1
                declared += len(pending)
                pending = []
                if crowded is None and distinct > MAX_NAMESPACES:
                    crowded = (etree.QName(obj).localname, distinct)
            steps += depth * (1 + declared)
        elif event == "end":
            if scopes and scopes[-1][0] == depth:
                frame = scopes.pop()[1]
                declared -= len(frame)
                for prefix in frame:
                    n = prefixes[prefix] - 1
                    distinct -= n == 0
                    prefixes[prefix] = n
            depth -= 1
        else:
            pending.append(obj[0])
    return XmlShape(crowded, steps)


def xml_spec(tag: str, name: str | Path) -> str:
    """The spec version a root element's ``{namespace}bom`` tag names, or :class:`InputError`."""
    ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if local != "bom" or not ns.startswith(CDX_NS):
        raise InputError(name, "not a CycloneDX BOM (root element is not a CycloneDX <bom>)")
    spec = ns[len(CDX_NS):]
    if spec not in SUPPORTED:
        raise InputError(name, f"unsupported CycloneDX XML namespace version {spec!r} (mlbom reads {', '.join(SUPPORTED)})")
    return spec


def _check_xml_depth(root: Element, name: str | Path) -> None:
    """Refuse an ElementTree tree deeper than :data:`MAX_DEPTH`, or with an element of more than
    :data:`MAX_XML_ATTRIBUTES` attributes, before it is converted (lxml trees: :func:`xml_walk`). One
    level at a time, each element seen once: linear."""
    level = [root]
    depth = 1
    while level:
        if depth > MAX_DEPTH:
            raise InputError(name, TOO_DEEP)
        for el in level:
            if len(el.attrib) > MAX_XML_ATTRIBUTES:  # (116v-2: the converter's cost; the same rule as lxml trees')
                raise InputError(name, _too_many_attributes(el.tag, len(el.attrib)))
        level = [child for el in level for child in el]
        depth += 1


def parse_xml(data: bytes, name: str | Path) -> tuple[dict[str, object], str, bool]:
    """An XML BOM as its JSON-shaped document: ``(doc, spec version, has an XML-DSig <Signature>)``."""
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
    _check_xml_depth(root, name)  # an ElementTree tree (no namespace declarations to follow)
    doc, spec = xml_document(root, name)
    return doc, spec, any(child.tag == DSIG_NS + "Signature" for child in root)


def xml_document(root: Element | etree._Element, name: str | Path) -> tuple[dict[str, object], str]:
    """The JSON shape of a CycloneDX XML ``<bom>`` tree (ElementTree or lxml), by the rules the
    CycloneDX XML schema follows (list wrappers, attributes as keys, ``hash``/``property``/
    ``license`` special forms). Elements of other namespaces (extensions, the signature) are skipped."""
    spec = xml_spec(str(root.tag), name)
    prefix = "{" + CDX_NS + spec + "}"
    doc: dict[str, object] = {"bomFormat": "CycloneDX", "specVersion": spec}
    if root.get("serialNumber") is not None:
        doc["serialNumber"] = root.get("serialNumber")
    doc["version"] = root.get("version", "1")  # an integer by the schema: type_leaves converts it
    try:
        body = _Converter(prefix).element(root)  # recursion bounded by _check_xml_depth
    except InputError as exc:  # the converter does not know the file's name
        raise InputError(name, exc.detail) from exc
    if not isinstance(body, dict):
        raise InputError(name, "the <bom> element has no content mlbom can read")
    for k, v in body.items():
        if k not in ("serialNumber", "version"):
            doc[k] = v
    try:
        # one reading for both formats: every leaf the JSON type the schema gives it (red team 24s-3)
        type_leaves(doc, spec)
    except InputError as exc:
        raise InputError(name, exc.detail) from exc
    return doc, spec


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
# The list wrappers the CycloneDX XSDs (1.4-1.7) let appear more than once in one parent: the
# parent's type is an unbounded sequence (composition, releaseNotes, workspace) or the element is
# unbounded itself (environmentalConsiderations' energyConsumptions). Their items are concatenated;
# any other wrapper given twice is refused (red team 12b-3).
_REPEATABLE_WRAPPERS = frozenset({
    ("composition", "assemblies"), ("composition", "dependencies"), ("composition", "vulnerabilities"),
    ("releaseNotes", "tags"), ("releaseNotes", "resolves"), ("releaseNotes", "properties"),
    ("workspace", "properties"), ("environmentalConsiderations", "energyConsumptions"),
})
# Child elements that are always an array in JSON even when they appear once.
_ALWAYS_LIST = frozenset({"data", "contact", "sensitiveData", "omniborId", "swhid", "energyProviders"})
_ATTR_NAMES = {"content-type": "contentType"}
# The item elements of the list wrappers that hold what readers judge: anything else inside one
# (``<components><components>``) was read as an object without a type and its items were never
# walked (red team 13b-1); refused.
_WRAPPER_ITEMS = {
    "components": frozenset({"component"}), "services": frozenset({"service"}),
    "hashes": frozenset({"hash"}), "licenses": frozenset({"license", "expression"}),
    "properties": frozenset({"property"}),
}


class _Converter:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def local(self, el: Element | etree._Element) -> str | None:
        tag = el.tag
        return tag[len(self.prefix):] if isinstance(tag, str) and tag.startswith(self.prefix) else None

    def element(self, el: Element | etree._Element) -> object:
        prefix = self.prefix
        cut = len(prefix)
        attrib = el.attrib
        obj: dict[str, object] = {_ATTR_NAMES.get(str(k), str(k)): v for k, v in attrib.items()
                                  if not str(k).startswith("{")} if attrib else {}
        # one reading of each child's name (red team 112v-1: a 1 MB BOM of 240,000 elements is read here)
        children = [(tag[cut:], c) for c in el if isinstance(tag := c.tag, str) and tag.startswith(prefix)] if len(el) else ()
        if not children:
            text = el.text or ""
            if not obj:
                return text
            if text.strip():
                obj["content"] = text
            return obj
        parent = self.local(el)
        grown: set[str] = set()  # keys whose list this element built: extended in place (red team 51f-4:
        # copying it for every repeated sibling made 180,000 <a/> in one <metadata> take 33 s)
        for key, child in children:
            value = self.wrapped(key, child, parent) if key in _LIST_WRAPPERS else self.element(child)
            if key in _ALWAYS_LIST:
                existing = obj.setdefault(key, [])
                if not isinstance(existing, list):  # an attribute of the same name came first (data="x" + <data>)
                    raise InputError("<bom>", f"<{key}> both as an attribute and as an element")
                existing.append(value)
            elif key in obj and key in _LIST_WRAPPERS:
                # a list wrapper given twice: the XML counterpart of a JSON member given twice. Read
                # as a list of lists, every reader skipped its items (red team 12b-3: a second,
                # empty <properties/> hid a component's verdict and findings)
                prev = obj[key]
                if (parent, key) not in _REPEATABLE_WRAPPERS or not isinstance(prev, list) or not isinstance(value, list):
                    raise InputError("<bom>", f"<{key}> given twice in one <{parent}>: the CycloneDX schema allows it "
                                              "once, and readers disagree on which one counts; refused")
                if key not in grown:
                    obj[key] = prev = list(prev)
                    grown.add(key)
                prev.extend(value)
            elif key in obj:
                prev = obj[key]
                if key in grown and isinstance(prev, list):
                    prev.append(value)
                else:
                    obj[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
                    grown.add(key)
            else:
                obj[key] = value
        return obj

    def wrapped(self, key: str, el: Element | etree._Element, parent: str | None) -> object:
        items = [c for c in el if self.local(c) is not None]
        if key == "tools" and any(self.local(c) in ("components", "services") for c in items):
            return self.element(el)  # CycloneDX 1.5+: {"components": [...], "services": [...]}
        if not items and el.attrib:  # not a wrapper here (e.g. an <identity> with fields)
            return self.element(el)
        out: list[object] = []
        for c in items:
            tag = self.local(c)
            allowed = _WRAPPER_ITEMS.get(key)
            if allowed is not None and tag not in allowed:
                raise InputError("<bom>", f"<{tag}> inside <{key}>: the CycloneDX schema allows only "
                                          f"<{'>/<'.join(sorted(allowed))}> there, and every reader would skip it; refused")
            if tag == "hash":
                out.append({"alg": c.get("alg"), "content": (c.text or "").strip()})
            elif tag == "property":
                out.append({"name": c.get("name"), "value": c.text or ""})
            elif key == "licenses" and tag == "license":
                out.append({"license": self.element(c)})
            elif key == "licenses" and tag == "expression":
                expr: dict[str, object] = {"expression": (c.text or "").strip()}
                expr.update({str(k): v for k, v in c.attrib.items() if not str(k).startswith("{")})
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
                out.append(self.wrapped(str(tag), c, key) if tag in _LIST_WRAPPERS and tag != key else self.element(c))
        return out


# ---- one document, either format ---------------------------------------------------------

def parse(data: bytes, name: str | Path) -> tuple[Format, dict[str, object], str, str | None]:
    """A CycloneDX BOM of a supported version from bytes: ``(format, JSON-shaped document, spec
    version, signature kind present or None)``. Raises :class:`InputError`."""
    if not data.strip():
        raise InputError(name, "empty file, not a BOM")
    fmt = sniff(data)
    if fmt == "xml":
        doc, spec, signed = parse_xml(data, name)
        return "xml", doc, spec, "xmldsig" if signed else None
    if fmt == "json":
        doc, spec = check_cyclonedx(parse_json(data, name), name)
        return "json", doc, spec, "jsf" if isinstance(doc.get("signature"), dict) else None
    raise InputError(name, "not a CycloneDX BOM (neither JSON nor XML)")


# ---- shapes every reader relies on -------------------------------------------------------

def property_problems(doc: object) -> Iterator[str]:
    """Every CycloneDX ``properties`` value that readers could not read as written: not an
    array, or an entry that is not an object with a non-empty string ``name`` and a string
    ``value`` (or none). Such an entry was skipped by every reader, so a verdict or finding in it
    was read by no one (red team 12b-3); :func:`mlbom.reader.loads` refuses the BOM instead.
    Iterative, over the whole document (every ``properties`` member in CycloneDX is a property
    array: components, services, metadata, model cards, data contents, formulation...)."""
    if not any(next(_property_entries(node["properties"], ""), None) is not None
               for level in container_levels([doc]) for node in level
               if isinstance(node, dict) and "properties" in node):
        return  # the usual answer, from one level walk; paths are spelled only for a problem (red team 112v-3)
    stack: list[tuple[object, str]] = [(doc, "")]
    while stack:
        node, here = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "properties":
                    yield from _property_entries(v, f"{here}/properties")
                if isinstance(v, (dict, list)):
                    stack.append((v, f"{here}/{k}"))
        elif isinstance(node, list):
            stack.extend((v, f"{here}/{i}") for i, v in enumerate(node) if isinstance(v, (dict, list)))


# The shape every reader of a BOM relies on: for each kind of object, the members a reader of
# mlbom reads and the JSON type each must have (``"str"``, ``"obj"`` of a kind, ``"arr"`` of a
# kind's objects, ``"strs"``: an array of strings). A member of the wrong type was skipped by every
# reader (``components`` as an object, an array inside the array, ``metadata.component`` as an
# array, a repeated XML element read as a list: red team 13b-1/2).
_Shape = tuple[str, str]
_SHAPES: dict[str, dict[str, _Shape]] = {
    "bom": {"metadata": ("obj", "metadata"), "components": ("arr", "component"),
            "services": ("arr", "service"), "dependencies": ("arr", "dependency"),
            "vulnerabilities": ("arr", "vulnerability")},
    "metadata": {"component": ("obj", "component")},
    "component": {"type": ("str", ""), "name": ("str", ""), "version": ("str", ""), "group": ("str", ""),
                  "purl": ("str", ""), "bom-ref": ("str", ""), "components": ("arr", "component"),
                  "hashes": ("arr", "hash"), "licenses": ("arr", "license"), "pedigree": ("obj", "pedigree")},
    # the policy's base-model rules read ancestors (red team 14b-2)
    "pedigree": {"ancestors": ("arr", "component"), "descendants": ("arr", "component"),
                 "variants": ("arr", "component")},
    "service": {"name": ("str", ""), "version": ("str", ""), "group": ("str", ""), "bom-ref": ("str", ""),
                "services": ("arr", "service"), "licenses": ("arr", "license")},
    "dependency": {"ref": ("str", ""), "dependsOn": ("strs", ""), "provides": ("strs", "")},
    "vulnerability": {"id": ("str", ""), "bom-ref": ("str", ""), "ratings": ("arr", ""),
                      "affects": ("arr", "affect")},
    "affect": {"ref": ("str", "")},
    "hash": {"alg": ("str", ""), "content": ("str", "")},
    "license": {"license": ("obj", "licence"), "expression": ("str", "")},
    "licence": {"id": ("str", ""), "name": ("str", "")},
}
_TYPE_WORDS = {"str": "a string", "obj": "an object", "arr": "an array of objects", "strs": "an array of strings"}


def shape_problems(doc: object) -> Iterator[str]:
    """Every member a reader of the BOM relies on that does not have the JSON type CycloneDX
    gives it (see ``_SHAPES``): ``components``/``services`` (nested ones included), ``metadata``,
    ``metadata.component``, ``dependencies``, ``vulnerabilities``, ``hashes``, ``licenses`` and a
    component's or service's identity fields. Every reader skipped such a member and everything in
    it (red team 13b-1/2), so :func:`mlbom.reader.loads` refuses the BOM instead — once, for every
    reader. The cheap subset of schema validation that readers rely on; iterative."""
    stack: list[tuple[object, str, str]] = [(doc, "bom", "")]
    while stack:
        node, kind, here = stack.pop()
        table = _SHAPES.get(kind, {})
        if not isinstance(node, dict):
            yield f"{here or '/'}: {'a ' + kind if kind else 'an entry'} that is not an object"
            continue
        for key, (want, item) in table.items():
            if key not in node:
                continue
            v, at = node[key], f"{here}/{key}"
            ok = (isinstance(v, str) if want == "str" else isinstance(v, dict) if want == "obj"
                  else isinstance(v, list) and all(isinstance(x, str) for x in v) if want == "strs"
                  else isinstance(v, list))
            if not ok:
                yield f"{at}: not {_TYPE_WORDS[want]}"
            elif want == "obj" and item:
                stack.append((v, item, at))
            elif want == "arr" and isinstance(v, list):
                stack.extend((x, item, f"{at}/{i}") for i, x in reversed(list(enumerate(v))))


def _property_entries(value: object, here: str) -> Iterator[str]:
    if not isinstance(value, list):
        yield f"{here}: not an array of properties"
        return
    for i, p in enumerate(value):
        if not isinstance(p, dict):
            yield f"{here}/{i}: a property that is not an object"
        elif not isinstance(p.get("name"), str) or not p["name"]:
            yield f"{here}/{i}: a property without a string name"
        elif "value" in p and not isinstance(p["value"], str):
            yield f"{here}/{i}: property {str(p['name'])[:80]!r} has a value that is not a string"


# ---- the component walk -----------------------------------------------------------------

def walk_components(items: object) -> Iterator[dict[str, object]]:
    """Every component object of a ``components`` array, nested ones included (``Component.
    components``), in document order (pre-order); pedigree ancestors are not part of the release
    and are not walked. Iterative: no walk relies on the call stack. The one walk over the
    release's components (:func:`mlbom.readmodel.walk` is this function)."""
    return walk_nested(items, "components")


def walk_nested(items: object, key: str) -> Iterator[dict[str, object]]:
    """Every object of an array, and of the arrays under ``key`` nested in them (``components``,
    ``services``), in document order (pre-order); iterative."""
    stack = list(reversed(items)) if isinstance(items, list) else []
    while stack:
        c = stack.pop()
        if isinstance(c, dict):
            yield c
            nested = c.get(key)
            if isinstance(nested, list):
                stack.extend(reversed(nested))


# ---- referential checks -----------------------------------------------------------------

def _listed(items: object, base: str) -> list[tuple[dict[str, object], str]]:
    return [(c, f"{base}/{i}") for i, c in enumerate(items) if isinstance(c, dict)] if isinstance(items, list) else []


def _walk_components(items: object, where: str) -> Iterator[tuple[str, dict[str, object]]]:
    """Components in document order (pre-order: a component, its nested components, then its
    pedigree ancestors). Iterative, with an explicit stack."""
    stack = list(reversed(_listed(items, where)))
    while stack:
        c, here = stack.pop()
        yield here, c
        ped = c.get("pedigree")
        if isinstance(ped, dict):
            stack.extend(reversed(_listed(ped.get("ancestors"), f"{here}/pedigree/ancestors")))
        stack.extend(reversed(_listed(c.get("components"), f"{here}/components")))


def _walk_services(items: object, where: str) -> Iterator[tuple[str, dict[str, object]]]:
    stack = list(reversed(_listed(items, where)))
    while stack:
        svc, here = stack.pop()
        yield here, svc
        stack.extend(reversed(_listed(svc.get("services"), f"{here}/services")))


NOT_UNIQUE = "is not unique"
"""What a referential problem about a duplicated bom-ref says (:meth:`mlbom.reader.LoadedBom.require_unique_refs`)."""


def referential_problems(doc: dict[str, object]) -> Iterator[str]:
    """bom-refs unique; every dependency, composition and model-card dataset ref resolves. On
    the JSON shape, so that a BOM gives the same answer in JSON and in XML."""
    refs: dict[str, str] = {}
    meta = doc.get("metadata")
    roots: list[tuple[str, dict[str, object]]] = []
    if isinstance(meta, dict) and isinstance(meta.get("component"), dict):
        roots.append(("/metadata/component", meta["component"]))
        roots += list(_walk_components(meta["component"].get("components"), "/metadata/component/components"))
    everything = roots + list(_walk_components(doc.get("components"), "/components"))
    everything += list(_walk_services(doc.get("services"), "/services"))
    for where, c in everything:
        for key, obj in (("", c), ("/modelCard", c.get("modelCard"))):
            if isinstance(obj, dict) and isinstance(obj.get("bom-ref"), str):
                ref = obj["bom-ref"]
                if ref in refs:
                    yield f"{where}{key}: bom-ref {ref!r} {NOT_UNIQUE} (also at {refs[ref]})"
                else:
                    refs[ref] = where + key
        data = c.get("data")
        for j, block in enumerate(data if isinstance(data, list) else []):
            if isinstance(block, dict) and isinstance(block.get("bom-ref"), str):
                if block["bom-ref"] in refs:
                    yield f"{where}/data/{j}: bom-ref {block['bom-ref']!r} {NOT_UNIQUE} (also at {refs[block['bom-ref']]})"
                refs.setdefault(block["bom-ref"], f"{where}/data/{j}")
    vulns = doc.get("vulnerabilities")
    for i, v in enumerate(vulns if isinstance(vulns, list) else []):
        # bom-refs are unique across the whole BOM, vulnerabilities included (red team 47p-3)
        if isinstance(v, dict) and isinstance(v.get("bom-ref"), str):
            ref = v["bom-ref"]
            if ref in refs:
                yield f"/vulnerabilities/{i}: bom-ref {ref!r} {NOT_UNIQUE} (also at {refs[ref]})"
            else:
                refs[ref] = f"/vulnerabilities/{i}"
    deps = doc.get("dependencies")
    dep_at: dict[str, int] = {}
    for i, d in enumerate(deps if isinstance(deps, list) else []):
        if not isinstance(d, dict):
            continue
        ref = d.get("ref")
        if not isinstance(ref, str) or ref not in refs:
            yield f"/dependencies/{i}/ref: {ref!r} names no component"
        if isinstance(ref, str):
            if ref in dep_at:
                # a reader keyed by ref keeps one entry's dependsOn and never sees the other's (red team 14b-1)
                yield f"/dependencies/{i}/ref: dependency entry for {ref!r} {NOT_UNIQUE} (also at /dependencies/{dep_at[ref]})"
            else:
                dep_at[ref] = i
        depends = d.get("dependsOn")
        for j, t in enumerate(depends if isinstance(depends, list) else []):
            if not isinstance(t, str) or t not in refs:
                yield f"/dependencies/{i}/dependsOn/{j}: {t!r} names no component"
    comps = doc.get("compositions")
    for i, c in enumerate(comps if isinstance(comps, list) else []):
        if isinstance(c, dict):
            assemblies = c.get("assemblies")
            for j, t in enumerate(assemblies if isinstance(assemblies, list) else []):
                if isinstance(t, str) and t not in refs:
                    yield f"/compositions/{i}/assemblies/{j}: {t!r} names no component"
    for where, c in everything:
        mc = c.get("modelCard")
        params = mc.get("modelParameters") if isinstance(mc, dict) else None
        datasets = params.get("datasets") if isinstance(params, dict) else None
        for j, ds in enumerate(datasets if isinstance(datasets, list) else []):
            if isinstance(ds, dict) and isinstance(ds.get("ref"), str) and ds["ref"] not in refs:
                yield f"{where}/modelCard/modelParameters/datasets/{j}/ref: {ds['ref']!r} names no component"
