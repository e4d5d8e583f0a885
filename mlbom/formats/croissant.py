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
from collections import ChainMap
from collections.abc import Mapping
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


def _unwrap(v: object) -> object:
    """``{"@set": X}`` is X (JSON-LD: ``@set`` is the array itself), and ``{"@list": X}`` its
    members for what is read here (red team 120p-3: ``"distribution": {"@set": [...]}`` and
    ``"sha256": {"@set": [...]}`` were not read)."""
    for _ in range(8):  # (a @set inside a @set is not JSON-LD; a few levels are unwrapped anyway)
        if isinstance(v, dict) and len(v.keys() - {"@index"}) == 1 and ("@set" in v or "@list" in v):
            v = v.get("@set", v.get("@list"))
        else:
            break
    return v


def _many(v: object) -> list[object]:
    """A property's values: one value or an array of them (JSON-LD; ``@set``/``@list`` objects
    unwrapped, :func:`_unwrap`), value objects unwrapped."""
    v = _unwrap(v)
    if v is None:
        return []
    return [_value(_unwrap(x)) for x in v] if isinstance(v, list) else [_value(v)]


def _s(v: object) -> str | None:
    """The first text value of ``v`` (one value or an array)."""
    return next((x for x in _many(v) if isinstance(x, str) and x), None)


def _strs(v: object) -> list[str]:
    return [x for x in _many(v) if isinstance(x, str)]


_KNOWN_REMOTE_CONTEXTS = frozenset({
    "https://schema.org", "https://schema.org/", "http://schema.org", "http://schema.org/",
    "https://schema.org/docs/jsonldcontext.json", "http://schema.org/docs/jsonldcontext.json",
    "http://mlcommons.org/croissant", "http://mlcommons.org/croissant/", "https://mlcommons.org/croissant/",
    "http://mlcommons.org/croissant/1.0", "http://mlcommons.org/croissant/1.1",
})
"""Remote contexts mlbom never fetches but knows: schema.org's and the Croissant namespace; read
as the standard context. Any other remote context is a ``croissant.context`` finding."""


def merge_context(base: dict[str, object], ctx: object, problems: list[tuple[str, str, str]]) -> dict[str, object]:
    """``base`` with the ``@context`` value ``ctx`` applied as JSON-LD applies it: an object's
    terms over the ones before, an array in order, ``null`` back to nothing, a known remote
    context (:data:`_KNOWN_REMOTE_CONTEXTS`) as the standard one; another remote context is
    never fetched (no network): a ``croissant.context`` finding, its terms unknown."""
    out = dict(base)
    for item in ctx if isinstance(ctx, list) else [ctx]:
        if item is None:
            out = {}
        elif isinstance(item, dict):
            out.update(item)
        elif isinstance(item, str) and item.rstrip("#") in _KNOWN_REMOTE_CONTEXTS:
            out = {**_STANDARD_CONTEXT, **out}
        else:
            problems.append(("croissant.context", "medium",
                             f"@context {str(item)[:120]!r} is a remote context mlbom does not fetch (no network): "
                             "the terms it defines are not known, so what they name is not read"))
    return out


def _chain_context(base: ChainMap[str, object], ctx: object,
                   problems: list[tuple[str, str, str]]) -> ChainMap[str, object]:
    """:func:`merge_context` as a chained lookup over ``base`` (nothing copied: red team 121p-6)."""
    out = base
    for item in ctx if isinstance(ctx, list) else [ctx]:
        if item is None:
            out = ChainMap({})
        elif isinstance(item, dict):
            out = out.new_child(item)
        elif isinstance(item, str) and item.rstrip("#") in _KNOWN_REMOTE_CONTEXTS:
            out = ChainMap(*out.maps, _STANDARD_CONTEXT)  # (the standard terms under the ones in force)
        else:
            merge_context({}, item, problems)  # (the finding, said once per context, as before)
    return out


_KEYWORDS = ("@id", "@type")
_MAX_TERM_CHAIN = 16
_CHECKED = frozenset({"sha256", "md5", "contentUrl", "includes", "excludes"})
"""Properties whose every value must be text: one that is not is a ``croissant.unmodelled`` finding."""
"""Steps of a term chain expanded (``"h": "s2", "s2": "sc:sha256"``): past this, or a cycle, a
``croissant.unmodelled`` finding."""


class _Keys:
    """What a node's keys mean under the ``@context`` in force (the standard one when the
    document's is not an object): each key expanded to its IRI — a term the context defines
    (``{"@id": …}`` or a string), a compact IRI ``prefix:suffix`` under a prefix it defines, an
    absolute IRI, else ``@vocab`` + key — and named by :data:`_PROPERTIES`; a bare standard name
    (``sha256``) is always that property, as every published file compacts it. A term the
    context maps to ``@id`` or ``@type`` is that keyword (a keyword alias, red team 120p-3); a
    type value is expanded the same way (a type term ``"FO": "cr:FileObject"``); a node's own
    ``@context`` applies to it and below it (:meth:`inner`)."""

    def __init__(self, ctx: Mapping[str, object], problems: list[tuple[str, str, str]],
                 parent: _Keys | None = None, added: object = None) -> None:
        # an embedded context is a chained lookup over its parent's (red team 121p-6: 200
        # contexts each copying 50,000 terms and aliases took seconds): its own terms are
        # scanned and stored, the parent's shared; "" masks a parent alias the context redefines
        self.ctx: ChainMap[str, object] = ctx if isinstance(ctx, ChainMap) else ChainMap(dict(ctx))
        self.problems = problems
        self._memo: dict[str, str | None] = {}
        self._chain_said = False
        own: dict[str, str] = {}
        self.aliases: ChainMap[str, str] = (ChainMap(own) if parent is None or added is None
                                            else parent.aliases.new_child(own))
        scan = ctx if parent is None or added is None else {
            t: ctx[t] for c in (added if isinstance(added, list) else [added]) if isinstance(c, dict) for t in c if t in ctx}
        for term, d in scan.items():
            target = d.get("@id") if isinstance(d, dict) else d
            own[term] = str(target) if target in _KEYWORDS else ""
            if isinstance(d, dict) and "@context" in d:
                problems.append(("croissant.unmodelled", "high",
                                 f"@context term {term[:60]!r} carries a scoped @context, which mlbom does not read: "
                                 "what the nodes under it say is not known"))

    def inner(self, node: dict[str, object]) -> _Keys:
        """The keys in force inside ``node``: its own ``@context`` (an embedded one) over these."""
        if "@context" not in node:
            return self
        added = node["@context"]
        return _Keys(_chain_context(self.ctx, added, self.problems), self.problems, self,
                     None if (isinstance(added, list) and None in added) or added is None else added)

    def _iri(self, text: str, depth: int = 0, seen: frozenset[str] = frozenset()) -> str | None:
        """``text`` expanded as JSON-LD expands a term definition's value (vocab = true), to a
        fixpoint (red team 121p-1): a term of the context is its own definition expanded again
        (``"h": "s2", "s2": "sc:sha256"``), a compact IRI's prefix its definition expanded again
        (``"y": "sc:"`` + ``y:sha256``); a cycle or a chain past :data:`_MAX_TERM_CHAIN` steps
        expands to nothing and is a ``croissant.unmodelled`` finding (a bound, said)."""
        if text in seen or depth > _MAX_TERM_CHAIN:
            self._chain_problem(text)
            return None
        if text.startswith("@"):
            return None
        if text in self.ctx and depth > 0:  # a term (the key itself is looked up by the caller)
            return self._definition(text, depth, seen | {text})
        prefix, sep, suffix = text.partition(":")
        if sep and not suffix.startswith("//") and prefix in self.ctx:
            base = self._definition(prefix, depth, seen | {prefix})
            if base is not None:
                return base + suffix
        if sep:
            return text  # an absolute IRI
        vocab = self.ctx.get("@vocab")
        return vocab + text if isinstance(vocab, str) else None

    def _definition(self, term: str, depth: int, seen: frozenset[str]) -> str | None:
        """The IRI ``term``'s definition expands to (None: null, a keyword, or not text)."""
        d = self.ctx.get(term)
        if isinstance(d, dict):
            d = d.get("@id")
        if not isinstance(d, str):
            return None
        if d == term and ":" not in d:  # ``"x": "x"``: the term itself under @vocab
            vocab = self.ctx.get("@vocab")
            return vocab + d if isinstance(vocab, str) else None
        return self._iri(d, depth + 1, seen)

    def _chain_problem(self, text: str) -> None:
        if self._chain_said:
            return
        self._chain_said = True
        self.problems.append(("croissant.unmodelled", "high",
                              f"@context term {text[:60]!r} is defined through a cycle or a chain of more than "
                              f"{_MAX_TERM_CHAIN} terms, which mlbom does not expand: what it names is not read"))

    def node_id(self, ident: str) -> str:
        """A node's ``@id`` expanded as JSON-LD merges nodes by it (red team 121p-4): a compact
        IRI under a prefix of the context is the prefix's IRI + suffix (``ex:train`` is
        ``http://example.org/train``); anything else as written (no ``@vocab``: an ``@id`` is
        document-relative)."""
        prefix, sep, suffix = ident.partition(":")
        if sep and not suffix.startswith("//") and prefix in self.ctx:
            base = self._definition(prefix, 0, frozenset({prefix}))
            if base is not None:
                return base + suffix
        return ident

    def literal(self, key: str) -> bool:
        """Whether ``key``'s values are JSON literals (a term of ``"@type": "@json"``, as
        Croissant's ``data`` is): no nodes in them."""
        d = self.ctx.get(key)
        return isinstance(d, dict) and d.get("@type") == "@json"

    def keyword(self, key: str) -> str | None:
        """``@id``/``@type`` for those keys and their aliases, else None."""
        return key if key in _KEYWORDS else (self.aliases.get(key) or None)

    def name(self, key: str) -> str | None:
        if key in self._memo:
            return self._memo[key]
        if key in self.ctx:  # a term: its definition expanded (None: mapped to null, names nothing)
            d = self.ctx[key]
            iri = self._definition(key, 0, frozenset({key})) if not isinstance(d, dict) or "@id" in d else self._iri(key)
        else:
            iri = self._iri(key)
        found = _PROPERTIES.get(iri or "")
        if found is None and key in _STANDARD_NAMES:
            found = key
        self._memo[key] = found
        return found

    def map_values(self, key: str, val: object) -> object:
        """``val`` as its values when ``key``'s term is a ``@language`` or ``@index`` container
        (red team 121p-2: ``{"en": "<hash>"}`` is the value ``<hash>``, as JSON-LD expands it)."""
        d = self.ctx.get(key)
        container = d.get("@container") if isinstance(d, dict) else None
        kinds = set(container) if isinstance(container, list) else {container}
        if kinds & {"@language", "@index"} and isinstance(val, dict) and not any(k.startswith("@") for k in val):
            out: list[object] = []
            for v in val.values():
                out.extend(v if isinstance(v, list) else [v])
            return out
        return val

    def unmodelled_value(self, key: str, name: str) -> None:
        """A checksum, URL or pattern whose value is no text (a map, a node, a number): said, never
        dropped (red team 121p-2)."""
        self.problems.append(("croissant.unmodelled", "high",
                              f"{key[:60]!r} ({name}) has a value that is not text, which mlbom does not read: "
                              "the check it declares is not made"))

    def types(self, values: list[object]) -> set[str]:
        """The last segment of each type, expanded (a term the context defines, a compact IRI)."""
        out: set[str] = set()
        for t in values:
            if not isinstance(t, str):
                continue
            iri = (self._definition(t, 0, frozenset({t})) if t in self.ctx else self._iri(t)) or t
            out.add(iri.split(":")[-1].split("/")[-1].split("#")[-1])
        return out

    def node(self, node: dict[str, object], inner: _Keys | None = None) -> dict[str, list[object]]:
        """``node``'s properties read here, by name, each a list of its values (from every key
        that names it, in document order); ``@id`` and ``@type`` (or their aliases) as they
        are. The node's own ``@context`` applies (:meth:`inner`; ``inner``: those keys, made)."""
        keys = inner if inner is not None else self.inner(node)
        out: dict[str, list[object]] = {}
        for key, val in node.items():
            if key == "@context":
                continue
            if (kw := keys.keyword(key)) is not None:
                out.setdefault(kw, []).extend(_many(val))
            elif (name := keys.name(key)) is not None:
                values = _many(keys.map_values(key, val))
                if name in _CHECKED and any(not isinstance(v, str) for v in values):
                    keys.unmodelled_value(key, name)
                out.setdefault(name, []).extend(values)
        if "@type" in out:
            out["@kinds"] = list(keys.types(out["@type"]))
        return out


_MAX_EMBEDDED_CONTEXTS = 200
"""Embedded ``@context`` objects applied per document (each a chained lookup over the context in force): past
this a node's own context is not applied, a ``croissant.unmodelled`` finding (a bound, said)."""


class _NodeIndex:
    """Every node of the document (red team 120p-3): by ``@id`` (JSON-LD merges the nodes of one
    ``@id``, and mlcroissant replaces a ``{"@id": X}`` reference by the node X, wherever it is
    defined), and which of them the reading used, so that a FileObject-looking node left unread
    is said (:meth:`unread`), never passed silently."""

    def __init__(self, doc: dict[str, object], keys: _Keys, problems: list[tuple[str, str, str]]) -> None:
        self.nodes: list[tuple[dict[str, object], dict[str, list[object]]]] = []
        self.by_id: dict[str, list[int]] = {}
        self.used: set[int] = set()
        self.used_ids: set[str] = set()
        self.missing: list[str] = []  # distribution entries naming a node the document does not define
        self.odd: list[str] = []  # distribution entries that are no node
        self.root = id(doc)
        self.of: dict[int, dict[str, list[object]]] = {}  # each node's properties, read once
        contexts = 0
        reverse = False
        stack: list[tuple[object, _Keys]] = [(doc, keys)]
        while stack:
            value, k = stack.pop()
            if isinstance(value, list):
                stack.extend((v, k) for v in reversed(value))
                continue
            if not isinstance(value, dict) or "@value" in value:
                continue
            if "@context" in value and value is not doc:
                contexts += 1
                if contexts > _MAX_EMBEDDED_CONTEXTS:
                    problems.append(("croissant.unmodelled", "high",
                                     f"more than {_MAX_EMBEDDED_CONTEXTS} embedded @context objects: the nodes past "
                                     "that are read without their own context"))
                    value = {key: v for key, v in value.items() if key != "@context"}
            inner = k.inner(value) if value is not doc else k
            if "@reverse" in value and not reverse:
                reverse = True
                problems.append(("croissant.unmodelled", "high",
                                 "the document uses @reverse, which mlbom does not read: the nodes it relates are "
                                 "not checked"))
            props = k.node(value, inner)
            ident = _s(props.get("@id"))
            if ident is not None:  # by the expanded @id, as JSON-LD merges nodes (red team 121p-4)
                eid = inner.node_id(ident)  # (the node's own context applies to its @id)
                props["@eid"] = [eid]
                self.by_id.setdefault(eid, []).append(len(self.nodes))
            self.nodes.append((value, props))
            self.of[id(value)] = props
            stack.extend((v, inner) for key, v in reversed(list(value.items()))
                         if key != "@context" and not inner.literal(key))

    def props(self, raw: dict[str, object], keys: _Keys) -> dict[str, list[object]]:
        """``raw``'s properties as the walk read them (each node's context applied once)."""
        found = self.of.get(id(raw))
        return found if found is not None else keys.node(raw)

    def resolve(self, raw: object, keys: _Keys, fallback: str) -> tuple[dict[str, list[object]] | None, str]:
        """A distribution entry's properties, merged with every node of the same ``@id`` in the
        document, and its name; None (and a finding) for an entry that names a node the
        document does not define, or is no node at all."""
        props: dict[str, list[object]]
        if isinstance(raw, str):
            props = {"@id": [raw]}
        elif isinstance(raw, dict):
            props = self.props(raw, keys)
            self.used.add(id(raw))
        else:
            self.odd.append(f"distribution entry {fallback} is {type(raw).__name__}, not a node")
            return None, fallback
        ident = _s(props.get("@id"))
        eid = _s(props.get("@eid")) or (keys.node_id(ident) if ident is not None else None)
        if ident is not None and eid is not None and eid in self.by_id:
            if eid in self.used_ids:  # the same node again: JSON-LD holds it once (and linear)
                return None, ident
            self.used_ids.add(eid)
            merged: dict[str, list[object]] = {}
            for n in self.by_id[eid]:  # (a dict entry is one of them: the walk indexed it)
                self.used.add(id(self.nodes[n][0]))
                for key, vals in self.nodes[n][1].items():
                    if key not in ("@id", "@eid"):
                        merged.setdefault(key, []).extend(vals)
            merged["@id"] = [ident]
            props = merged
        name = ident or _s(props.get("name")) or fallback
        if not props.keys() - {"@id", "@eid"}:
            self.missing.append(name)
            return None, name
        if "@kinds" in props:
            props["@kinds"] = list(dict.fromkeys(props["@kinds"]))
        return props, name

    def unread(self, problems: list[tuple[str, str, str]]) -> None:
        """Findings for the distribution entries not resolved and the FileObject-looking nodes
        (a FileObject or FileSet type, or a contentUrl or checksum) the reading did not use:
        mlbom cannot say what they describe is checked (fail closed, red team 120p-3)."""
        for name in self.missing[:20]:
            problems.append(("croissant.unmodelled", "high",
                             f"distribution entry {name[:80]!r} references a node the document does not define: "
                             "the file it stands for is not checked"))
        if len(self.missing) > 20:
            problems.append(("croissant.unmodelled", "high",
                             f"{len(self.missing) - 20} more distribution entries reference nodes the document does "
                             "not define"))
        problems += [("croissant.unmodelled", "high", f"{odd}: not read") for odd in self.odd[:20]]
        left: list[str] = []
        for node, props in self.nodes:
            if id(node) in self.used or id(node) == self.root or _s(props.get("@eid")) in self.used_ids:
                continue
            kinds = set(props.get("@kinds", []))
            if kinds & {"FileObject", "FileSet"} or any(k in props for k in ("contentUrl", "sha256", "md5", "includes")):
                if kinds & {"Dataset"}:
                    continue
                left.append(_s(props.get("@id")) or _s(props.get("name")) or "(unnamed)")
        if left:
            shown = ", ".join(repr(n[:60]) for n in left[:3]) + (f" and {len(left) - 3} more" if len(left) > 3 else "")
            problems.append(("croissant.unmodelled", "high",
                             f"{len(left)} FileObject-like node(s) ({shown}) are not read as a distribution entry in "
                             "a form mlbom reads: the files they describe are not checked"))


def _dataset_node(doc: dict[str, object], keys: _Keys) -> dict[str, object]:
    """The Dataset node: the document, or the Dataset node of its ``@graph``."""
    graph = doc.get("@graph")
    if "Dataset" in set(keys.node(doc).get("@kinds", [])) or not isinstance(graph, (list, dict)):
        return doc
    inner = keys.inner(doc)
    for node in graph if isinstance(graph, list) else [graph]:
        if isinstance(node, dict) and "Dataset" in set(inner.node(node).get("@kinds", [])):
            return node
    return doc


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
    problems: list[tuple[str, str, str]] = [
        ("input.text-replaced" if "Unicode" in note else "input.duplicate-key", "low", note)
        for note in loaded.notes(path.name)]
    raw_ctx = doc.get("@context")
    literal = merge_context({}, [c for c in (raw_ctx if isinstance(raw_ctx, list) else [raw_ctx]) if isinstance(c, dict)], [])
    cr_ns = literal.get("cr") if isinstance(raw_ctx, (dict, list)) else None
    if cr_ns != CROISSANT_NS:
        problems.append(("croissant.context", "medium",
                         f"@context maps 'cr' to {cr_ns!r}, not {CROISSANT_NS!r}: the terms may not mean what they say"))
    ctx = merge_context({}, raw_ctx, problems)
    keys = _Keys(ctx if any(isinstance(c, dict) for c in (raw_ctx if isinstance(raw_ctx, list) else [raw_ctx]))
                 else dict(_STANDARD_CONTEXT), problems)
    index = _NodeIndex(doc, keys, problems)
    top_raw = _dataset_node(doc, keys)
    if top_raw is not doc:
        keys = keys.inner(doc)
        index.used.add(id(top_raw))
    top = keys.node(top_raw)
    if "Dataset" not in set(top.get("@kinds", [])):
        problems.append(("croissant.type", "medium", f"@type is {str(top_raw.get('@type'))[:120]!r}, not schema.org Dataset"))
    inner = keys.inner(top_raw)
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
        item, ident = index.resolve(raw, inner, f"distribution[{i}]")
        if item is None:
            continue
        kinds = set(item.get("@kinds", []))
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
        else:
            problems.append(("croissant.unmodelled", "high",
                             f"distribution entry {ident[:80]!r} is neither a FileObject nor a FileSet mlbom can read "
                             f"(@type {sorted(str(k) for k in kinds)[:3]!r}): the file it describes is not checked"))
    index.unread(problems)
    doc = top_raw
    keys = inner
    for raw_rs in top.get("recordSet", []):
        if not isinstance(raw_rs, dict):
            continue
        rs = index.props(raw_rs, keys)
        rs_name = _s(rs.get("name")) or _s(rs.get("@id")) or "recordSet"
        for raw_fld in rs.get("field", []):
            if isinstance(raw_fld, dict) and len(c.fields) < 500:
                fld = index.props(raw_fld, keys)
                dtype = ",".join(t.split(":")[-1] for t in _strs(fld.get("dataType")))
                c.fields.append(f"{rs_name}/{_s(fld.get('name')) or _s(fld.get('@id')) or '?'}: {dtype or '?'}")
    for key, val in doc.items():
        if key.startswith("rai:") or key in ("prov:wasDerivedFrom", "prov:wasGeneratedBy", "isBasedOn", "creator",
                                              "publisher", "datePublished"):
            text = val if isinstance(val, str) else json.dumps(val, ensure_ascii=False)
            c.provenance[key] = text[:500]
    problems.extend(_containment_cycles(c))
    c.problems = list(dict.fromkeys(problems))  # (a context applied twice says its finding once)
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
