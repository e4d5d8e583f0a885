"""Croissant dataset manifests (JSON-LD), read directly as JSON.

Spec: https://docs.mlcommons.org/croissant/docs/croissant-spec.html (0.8, 1.0, 1.1). mlcroissant
is not used: it resolves the JSON-LD graph with rdflib and may fetch remote contexts, which is
slow and not offline by design; the properties mlbom needs sit at fixed places of the compacted
document that every published Croissant file uses, so they are read from there and the context
is checked instead of expanded.
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


def _s(v: object) -> str | None:
    return v if isinstance(v, str) and v else None


def _strs(v: object) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list):
        return [x for x in v if isinstance(x, str)]
    return []


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
    conforms = _s(doc.get("conformsTo")) or _s(doc.get("dct:conformsTo"))
    spec = None
    if conforms:
        spec = conforms.rstrip("/").rsplit("/", 1)[-1]
        if spec not in VERSIONS:
            problems.append(("croissant.version", "medium", f"conformsTo {conforms!r}: unknown Croissant version"))
            spec = None
    lic = doc.get("license")
    licenses = _strs(lic) or ([str(x.get("name") or x.get("url")) for x in lic if isinstance(x, dict)]
                              if isinstance(lic, list) else [])
    c = Croissant(
        name=_s(doc.get("name")), description=_s(doc.get("description")), license=licenses,
        cite_as=_s(doc.get("citeAs")) or _s(doc.get("citation")), version=_s(doc.get("version")),
        url=_s(doc.get("url")), conforms_to=conforms, spec_version=spec, problems=problems)
    for i, item in enumerate(doc.get("distribution") or [] if isinstance(doc.get("distribution"), list) else []):
        if not isinstance(item, dict):
            continue
        kinds = _types(item.get("@type"))
        ident = _s(item.get("@id")) or _s(item.get("name")) or f"distribution[{i}]"
        if "FileObject" in kinds:
            fo = FileObject(ident, _s(item.get("name")), _s(item.get("contentUrl")), _s(item.get("encodingFormat")),
                            (_s(item.get("sha256")) or "").lower() or None, (_s(item.get("md5")) or "").lower() or None,
                            _refs(item.get("containedIn")))
            if not fo.content_url:
                problems.append(("croissant.content-url-missing", "medium",
                                 f"FileObject {ident!r} has no contentUrl (mandatory)"))
            c.file_objects.append(fo)
        elif "FileSet" in kinds:
            c.file_sets.append(FileSet(ident, _strs(item.get("includes")), _strs(item.get("excludes")),
                                       _s(item.get("encodingFormat")), _refs(item.get("containedIn"))))
    for rs in doc.get("recordSet") or [] if isinstance(doc.get("recordSet"), list) else []:
        if not isinstance(rs, dict):
            continue
        rs_name = _s(rs.get("name")) or _s(rs.get("@id")) or "recordSet"
        for fld in rs.get("field") or [] if isinstance(rs.get("field"), list) else []:
            if isinstance(fld, dict) and len(c.fields) < 500:
                dtype = ",".join(t.split(":")[-1] for t in _strs(fld.get("dataType")))
                c.fields.append(f"{rs_name}/{_s(fld.get('name')) or _s(fld.get('@id')) or '?'}: {dtype or '?'}")
    for key, val in doc.items():
        if key.startswith("rai:") or key in ("prov:wasDerivedFrom", "prov:wasGeneratedBy", "isBasedOn", "creator",
                                              "publisher", "datePublished"):
            text = val if isinstance(val, str) else json.dumps(val, ensure_ascii=False)
            c.provenance[key] = text[:500]
    problems.extend(_containment_cycles(c))
    return c


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
