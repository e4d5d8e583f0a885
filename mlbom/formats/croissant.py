"""Croissant dataset manifests (JSON-LD), read directly as JSON.

Spec: https://docs.mlcommons.org/croissant/docs/croissant-spec.html (0.8, 1.0, 1.1). mlcroissant
is not used: it resolves the JSON-LD graph with rdflib and may fetch remote contexts, which is
slow and not offline by design; the properties mlbom needs sit at fixed places of the compacted
document that every published Croissant file uses, so they are read from there and the context
is checked instead of expanded.

Two things of JSON-LD are kept, since mlcroissant (rdflib's expansion) reads them and a checksum
dropped is a check skipped (red team 119ps-3): a property's value may be one node or an array
(``"distribution": {FileObject}`` is the array of one; :func:`_many`, for every property read),
and a key is the property its IRI names, however it is spelled — the standard compact name
(``sha256``), a compact IRI under a prefix of the document's ``@context`` (``sc:sha256``), a term
the context defines, or the full IRI (:class:`_Keys`). A value object ``{"@value": "…"}`` is its
value. Two spellings of one property in one node give both values (JSON-LD merges them); two
different checksums so are a ``croissant.property-conflict`` finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from mlbom.errors import InputError
from mlbom.formats.safe_read import load_json, read_bounded
from mlbom.limits import MAX_CROISSANT_BYTES

__all__ = ["CROISSANT_NS", "MAX_CROISSANT_BYTES", "VERSIONS", "Croissant", "FileObject", "FileSet", "parse_croissant"]
CROISSANT_NS = "http://mlcommons.org/croissant/"
VERSIONS = {"0.8": "0.8", "1.0": "1.0", "1.1": "1.1"}
_SCHEMA = ("https://schema.org/", "http://schema.org/")
_DCT = "http://purl.org/dc/terms/"
_STANDARD_CONTEXT: dict[str, object] = {  # mlcroissant's make_context, the terms read here
    "@vocab": "https://schema.org/", "sc": "https://schema.org/", "cr": CROISSANT_NS, "dct": _DCT,
    "citeAs": "cr:citeAs", "conformsTo": "dct:conformsTo", "dataType": "cr:dataType", "field": "cr:field",
    "includes": "cr:includes", "md5": "cr:md5", "recordSet": "cr:recordSet",
}
# the properties read, by the IRI they expand to -> the name used here (the standard compact one)
_PROPERTIES: dict[str, str] = {
    **{f"{sc}{name}": name for sc in _SCHEMA for name in (
        "distribution", "sha256", "contentUrl", "encodingFormat", "name", "description", "license", "version",
        "url", "citation", "containedIn", "excludes")},
    **{f"{sc}md5": "md5" for sc in _SCHEMA},  # (0.8's context)
    **{f"{CROISSANT_NS}{name}": name for name in (
        "md5", "recordSet", "field", "includes", "excludes", "citeAs", "dataType")},
    f"{_DCT}conformsTo": "conformsTo",
}
_STANDARD_NAMES = frozenset(_PROPERTIES.values())


@dataclass
class FileObject:
    id: str
    name: str | None
    content_url: str | None
    encoding: str | None
    sha256: str | None
    md5: str | None
    contained_in: list[str]


@dataclass
class FileSet:
    id: str
    includes: list[str]
    excludes: list[str]
    encoding: str | None
    contained_in: list[str]


@dataclass
class Croissant:
    name: str | None
    description: str | None
    license: list[str]
    cite_as: str | None
    version: str | None
    url: str | None
    conforms_to: str | None
    spec_version: str | None
    file_objects: list[FileObject] = field(default_factory=list)
    file_sets: list[FileSet] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    provenance: dict[str, str] = field(default_factory=dict)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (id, severity, message)


def _value(v: object) -> object:
    """A JSON-LD value object ``{"@value": X}`` is X."""
    return v["@value"] if isinstance(v, dict) and "@value" in v else v


def _many(v: object) -> list[object]:
    """A property's values: one value or an array of them (JSON-LD), value objects unwrapped."""
    if v is None:
        return []
    return [_value(x) for x in v] if isinstance(v, list) else [_value(v)]


def _s(v: object) -> str | None:
    """The first text value of ``v`` (one value or an array)."""
    return next((x for x in _many(v) if isinstance(x, str) and x), None)


def _strs(v: object) -> list[str]:
    return [x for x in _many(v) if isinstance(x, str)]


class _Keys:
    """What a node's keys mean under the document's ``@context`` (the standard one when the
    document's is not an object): each key expanded to its IRI — a term the context defines
    (``{"@id": …}`` or a string), a compact IRI ``prefix:suffix`` under a prefix it defines, an
    absolute IRI, else ``@vocab`` + key — and named by :data:`_PROPERTIES`; a bare standard name
    (``sha256``) is always that property, as every published file compacts it."""

    def __init__(self, ctx: object) -> None:
        self.ctx: dict[str, object] = ctx if isinstance(ctx, dict) else dict(_STANDARD_CONTEXT)
        self._memo: dict[str, str | None] = {}

    def _iri(self, text: str) -> str | None:
        prefix, sep, suffix = text.partition(":")
        if sep and not suffix.startswith("//"):
            base = self.ctx.get(prefix)
            if isinstance(base, str):
                return base + suffix
        if sep:
            return text  # an absolute IRI
        vocab = self.ctx.get("@vocab")
        return vocab + text if isinstance(vocab, str) else None

    def name(self, key: str) -> str | None:
        if key in self._memo:
            return self._memo[key]
        term = self.ctx.get(key, key) if key in self.ctx else key
        if isinstance(term, dict):
            term = term.get("@id", key)
        iri = self._iri(term) if isinstance(term, str) else None  # a term mapped to null names nothing
        found = _PROPERTIES.get(iri or "")
        if found is None and key in _STANDARD_NAMES:
            found = key
        self._memo[key] = found
        return found

    def node(self, node: dict[str, object]) -> dict[str, list[object]]:
        """``node``'s properties read here, by name, each a list of its values (from every key
        that names it, in document order); ``@id`` and ``@type`` as they are."""
        out: dict[str, list[object]] = {}
        for key, val in node.items():
            if key in ("@id", "@type"):
                out[key] = _many(val)
            elif (name := self.name(key)) is not None:
                out.setdefault(name, []).extend(_many(val))
        return out


def _refs(v: object) -> list[str]:
    """``containedIn``: ``{"@id": X}``, ``"X"``, a list of either, or ``{"fileObject": {"@id": X}}``."""
    out: list[str] = []
    for item in v if isinstance(v, list) else [v]:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            if isinstance(item.get("@id"), str):
                out.append(item["@id"])
            for key in ("fileObject", "fileSet"):
                inner = item.get(key)
                if isinstance(inner, dict) and isinstance(inner.get("@id"), str):
                    out.append(inner["@id"])
    return out


def _types(v: object) -> set[str]:
    return {t.split(":")[-1].split("/")[-1] for t in _strs(v)}


def parse_croissant(path: Path, data: bytes | None = None) -> Croissant:
    """Read a Croissant file (``data``: its bytes, already read). Not JSON, or not a JSON
    object, is an :class:`InputError`; a wrong ``@context``, an unknown version, a wrong
    ``@type`` or an incomplete FileObject is a problem recorded for the BOM."""
    # JSON-LD as JSON readers take it: UTF-8, UTF-16 or UTF-32 (red team 87c-7)
    loaded = load_json(read_bounded(path, MAX_CROISSANT_BYTES) if data is None else data, path, any_utf=True)
    doc = loaded.value
    if not isinstance(doc, dict):
        raise InputError(path, "not a JSON-LD object")
    ctx = doc.get("@context")
    problems: list[tuple[str, str, str]] = [
        ("input.text-replaced" if "Unicode" in note else "input.duplicate-key", "low", note)
        for note in loaded.notes(path.name)]
    cr_ns = ctx.get("cr") if isinstance(ctx, dict) else None
    if cr_ns != CROISSANT_NS:
        problems.append(("croissant.context", "medium",
                         f"@context maps 'cr' to {cr_ns!r}, not {CROISSANT_NS!r}: the terms may not mean what they say"))
    if "Dataset" not in _types(doc.get("@type")):
        problems.append(("croissant.type", "medium", f"@type is {doc.get('@type')!r}, not schema.org Dataset"))
    keys = _Keys(ctx)
    top = keys.node(doc)
    conforms = _s(top.get("conformsTo"))
    spec = None
    if conforms:
        spec = conforms.rstrip("/").rsplit("/", 1)[-1]
        if spec not in VERSIONS:
            problems.append(("croissant.version", "medium", f"conformsTo {conforms!r}: unknown Croissant version"))
            spec = None
    licenses = _strs(top.get("license")) + [str(x.get("name") or x.get("url")) for x in top.get("license", [])
                                             if isinstance(x, dict) and (x.get("name") or x.get("url"))]
    c = Croissant(
        name=_s(top.get("name")), description=_s(top.get("description")), license=licenses,
        cite_as=_s(top.get("citeAs")) or _s(top.get("citation")), version=_s(top.get("version")),
        url=_s(top.get("url")), conforms_to=conforms, spec_version=spec, problems=problems)
    for i, raw in enumerate(top.get("distribution", [])):
        if not isinstance(raw, dict):
            continue
        item = keys.node(raw)
        kinds = _types(item.get("@type"))
        ident = _s(item.get("@id")) or _s(item.get("name")) or f"distribution[{i}]"
        if "FileObject" in kinds:
            fo = FileObject(ident, _s(item.get("name")), _s(item.get("contentUrl")), _s(item.get("encodingFormat")),
                            _checksum(item, "sha256", ident, problems), _checksum(item, "md5", ident, problems),
                            [r for v in item.get("containedIn", []) for r in _refs(v)])
            if not fo.content_url:
                problems.append(("croissant.content-url-missing", "medium",
                                 f"FileObject {ident!r} has no contentUrl (mandatory)"))
            c.file_objects.append(fo)
        elif "FileSet" in kinds:
            c.file_sets.append(FileSet(ident, _strs(item.get("includes")), _strs(item.get("excludes")),
                                       _s(item.get("encodingFormat")),
                                       [r for v in item.get("containedIn", []) for r in _refs(v)]))
    for raw_rs in top.get("recordSet", []):
        if not isinstance(raw_rs, dict):
            continue
        rs = keys.node(raw_rs)
        rs_name = _s(rs.get("name")) or _s(rs.get("@id")) or "recordSet"
        for raw_fld in rs.get("field", []):
            if isinstance(raw_fld, dict) and len(c.fields) < 500:
                fld = keys.node(raw_fld)
                dtype = ",".join(t.split(":")[-1] for t in _strs(fld.get("dataType")))
                c.fields.append(f"{rs_name}/{_s(fld.get('name')) or _s(fld.get('@id')) or '?'}: {dtype or '?'}")
    for key, val in doc.items():
        if key.startswith("rai:") or key in ("prov:wasDerivedFrom", "prov:wasGeneratedBy", "isBasedOn", "creator",
                                              "publisher", "datePublished"):
            text = val if isinstance(val, str) else json.dumps(val, ensure_ascii=False)
            c.provenance[key] = text[:500]
    problems.extend(_containment_cycles(c))
    return c


def _checksum(item: dict[str, list[object]], alg: str, ident: str, problems: list[tuple[str, str, str]]) -> str | None:
    """The ``alg`` checksum a FileObject declares (lower case), from every key naming it; two
    different ones are a ``croissant.property-conflict`` finding (the first is the one checked)."""
    values = list(dict.fromkeys(v.lower() for v in _strs(item.get(alg)) if v))
    if len(values) > 1:
        problems.append(("croissant.property-conflict", "medium",
                         f"FileObject {ident!r} declares {len(values)} different {alg} values "
                         f"({', '.join(v[:16] + '...' for v in values[:3])}): which one a reader takes is not defined"))
    return values[0] if values else None


def _containment_cycles(c: Croissant) -> list[tuple[str, str, str]]:
    """Each ``containedIn`` cycle once. Every node follows its first reference to a known
    FileObject/FileSet, so the graph is functional: one walk with three colours visits each
    node once (the walk it replaces restarted from every node, about O(n^3))."""
    ids = {fo.id for fo in c.file_objects} | {fs.id for fs in c.file_sets}
    graph = {fo.id: fo.contained_in for fo in c.file_objects} | {fs.id: fs.contained_in for fs in c.file_sets}
    nxt: dict[str, str | None] = {node: next((r for r in refs if r in ids), None) for node, refs in graph.items()}
    state: dict[str, int] = {}  # absent: unvisited, 1: on the current walk, 2: done
    problems: list[tuple[str, str, str]] = []
    for node in sorted(graph):
        walk: list[str] = []
        index: dict[str, int] = {}
        cur: str | None = node
        while cur is not None and state.get(cur) is None:
            state[cur] = 1
            index[cur] = len(walk)
            walk.append(cur)
            cur = nxt.get(cur)
        if cur is not None and state.get(cur) == 1:
            cycle = walk[index[cur]:]
            problems.append(("croissant.containedin-cycle", "medium", f"containedIn cycle: {' -> '.join([*cycle, cur])}"))
        for n in walk:
            state[n] = 2
    return problems
