"""The bundled CycloneDX schemas, and the JSON type each XML leaf has by them.

An XML BOM is read by converting it to the JSON shape (:func:`mlbom.cyclonedx.document.
xml_document`), and XML text is untyped: ``<score>9.8</score>`` converts to ``"9.8"``. Every
reader of the JSON shape reads numbers and booleans as JSON numbers and booleans, so an untyped
leaf was a second reading of the same BOM: a CVSS score the JSON BOM fails was dropped by every
reader of the XML one (red team 24s-3). :func:`type_leaves` gives every leaf the type the
CycloneDX JSON schema of the BOM's own spec version gives that member (``integer``, ``number``,
``boolean``), walking the document and the schema together (``$ref``, ``oneOf``/``anyOf``/
``allOf``, ``properties``, ``additionalProperties``, ``items``), so the typing is the schema's,
not a hand list. A value that does not read as its type (XML Schema's lexical forms:
``xs:integer``, ``xs:decimal``/``xs:double`` without NaN or infinities, ``xs:boolean``) is an
:class:`~mlbom.errors.InputError`: never a string passed on for readers to skip.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path

from mlbom.errors import InputError

_SchemaNode = dict[str, object]


def schema_dir() -> Path:
    """The bundled official schemas: ``mlbom/schemas`` in a wheel, ``schemas/`` in a checkout."""
    here = Path(__file__).resolve().parent.parent
    for cand in (here / "schemas", here.parent / "schemas"):
        if (cand / "bom-1.6.SNAPSHOT.schema.json").is_file():
            return cand
    raise InputError(here, "the bundled CycloneDX schemas are missing from this installation")


@cache
def json_schema(spec: str) -> _SchemaNode:
    """The bundled CycloneDX JSON schema of spec version ``spec`` (parsed once)."""
    loaded = json.loads((schema_dir() / f"bom-{spec}.SNAPSHOT.schema.json").read_text("utf-8"))
    if not isinstance(loaded, dict):
        raise InputError(schema_dir(), f"the bundled CycloneDX {spec} JSON schema is not an object")
    return loaded


_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_MAX_DIGITS = 400
"""Longer numerals are refused rather than converted (no JSON BOM carries one; bounds the work)."""


class _Types:
    """Schema nodes of one spec version, expanded to the alternatives a value may match."""

    def __init__(self, spec: str) -> None:
        self.root = json_schema(spec)
        self.memo: dict[int, tuple[_SchemaNode, ...]] = {}

    def resolve(self, ref: str) -> _SchemaNode | None:
        if not ref.startswith("#/"):
            return None  # the side schemas (spdx, jsf): string enums and the signature, not typed here
        node: object = self.root
        for part in ref[2:].split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else None

    def expand(self, node: object) -> tuple[_SchemaNode, ...]:
        """``node`` and every schema it stands for through ``$ref``/``oneOf``/``anyOf``/``allOf``."""
        if not isinstance(node, dict):
            return ()
        got = self.memo.get(id(node))
        if got is not None:
            return got
        self.memo[id(node)] = ()  # a reference cycle expands to nothing more
        out: list[_SchemaNode] = [node]
        seen = {id(node)}
        todo: list[object] = [node]
        while todo:
            n = todo.pop()
            if not isinstance(n, dict):
                continue
            nxt: list[object] = []
            ref = n.get("$ref")
            if isinstance(ref, str):
                nxt.append(self.resolve(ref))
            for key in ("oneOf", "anyOf", "allOf"):
                alts = n.get(key)
                if isinstance(alts, list):
                    nxt += alts
            for m in nxt:
                if isinstance(m, dict) and id(m) not in seen:
                    seen.add(id(m))
                    out.append(m)
                    todo.append(m)
        result = tuple(out)
        self.memo[id(node)] = result
        return result

    def member(self, nodes: tuple[_SchemaNode, ...], key: str) -> tuple[_SchemaNode, ...]:
        out: list[_SchemaNode] = []
        for n in nodes:
            props = n.get("properties")
            if isinstance(props, dict) and key in props:
                out += self.expand(props[key])
            elif isinstance(n.get("additionalProperties"), dict):
                out += self.expand(n["additionalProperties"])
        return tuple(out)

    def items(self, nodes: tuple[_SchemaNode, ...]) -> tuple[_SchemaNode, ...]:
        out: list[_SchemaNode] = []
        for n in nodes:
            out += self.expand(n.get("items"))
        return tuple(out)


def _leaf_types(nodes: tuple[_SchemaNode, ...]) -> set[str]:
    types: set[str] = set()
    for n in nodes:
        t = n.get("type")
        if isinstance(t, str):
            types.add(t)
        elif isinstance(t, list):
            types.update(x for x in t if isinstance(x, str))
    return types


def _convert(text: str, types: set[str], where: str) -> object:
    """``text`` as the one scalar type ``types`` allows, or ``text`` where a string is allowed
    or no scalar type is named (objects and arrays are other checks' business)."""
    if "string" in types or not types & {"integer", "number", "boolean"}:
        return text
    v = text.strip()  # XML Schema collapses whitespace in these types
    if len(v) > _MAX_DIGITS:
        raise InputError("<bom>", f"{where}: a value of {len(v)} characters where the schema wants a number")
    if ("integer" in types and _INTEGER.fullmatch(v)) or ("number" in types and _NUMBER.fullmatch(v)):
        return _json_number(v, where)
    if "boolean" in types and v in _BOOLEANS:
        return _BOOLEANS[v]
    want = " or ".join(sorted(types & {"integer", "number", "boolean"}))
    raise InputError("<bom>", f"{where}: {text[:60]!r} is not {'an' if want.startswith('i') else 'a'} {want}, "
                              "which the CycloneDX schema makes it (readers would read no value at all)")


_INT64_MIN, _UINT64_MAX = -(1 << 63), (1 << 64) - 1


def _json_number(v: str, where: str) -> int | float:
    """A numeral as the JSON reader (orjson) holds the same numeral: an integer within the 64-bit
    range, else the nearest double. ``xs:decimal``/``xs:integer`` have no upper bound, so a numeral
    no double can hold is refused as JSON refuses it ("number is infinity"): one answer for both
    formats, and no reader meets an integer that ``float()`` cannot convert (red team 25s-1)."""
    if _INTEGER.fullmatch(v):
        n = int(v)
        if _INT64_MIN <= n <= _UINT64_MAX:
            return n
    value = float(v)  # from the text: overflow gives inf, never OverflowError
    if not math.isfinite(value):
        raise InputError("<bom>", f"{where}: {v[:40]!r}... is not a number JSON can hold "
                                  "(infinity when read as a double)")
    return value


class _States:
    """Schema positions interned as small integers, with memoised member/item steps and leaf
    types: the walk costs a dictionary lookup per document node, whatever the schema's size."""

    def __init__(self, spec: str) -> None:
        self.types = _Types(spec)
        self.nodes: list[tuple[_SchemaNode, ...]] = []
        self.index: dict[tuple[int, ...], int] = {}
        self.steps: dict[tuple[int, str | None], int] = {}
        self.leaf: dict[int, set[str]] = {}
        self.root = self.intern(self.types.expand(self.types.root))

    def intern(self, nodes: tuple[_SchemaNode, ...]) -> int:
        key = tuple(id(n) for n in nodes)
        got = self.index.get(key)
        if got is None:
            got = self.index[key] = len(self.nodes)
            self.nodes.append(nodes)
        return got

    def step(self, state: int, key: str | None) -> int:
        """The position of member ``key`` (None: an array item) of the value at ``state``."""
        got = self.steps.get((state, key))
        if got is None:
            nodes = self.nodes[state]
            got = self.intern(self.types.items(nodes) if key is None else self.types.member(nodes, key))
            self.steps[(state, key)] = got
        return got

    def leaf_types(self, state: int) -> set[str]:
        got = self.leaf.get(state)
        if got is None:
            got = self.leaf[state] = _leaf_types(self.nodes[state])
        return got


def type_leaves(doc: dict[str, object], spec: str) -> None:
    """Give every string leaf of the JSON-shaped ``doc`` (converted from XML) the scalar type the
    CycloneDX ``spec`` JSON schema gives its member, in place. Raises :class:`InputError` (no file
    name: the caller adds it) naming the member and the value that does not convert. Iterative."""
    states = _States(spec)
    stack: list[tuple[object, int, str]] = [(doc, states.root, "")]
    while stack:
        node, state, here = stack.pop()
        if not states.nodes[state]:
            continue  # no schema here (an extension's content): nothing is typed
        if isinstance(node, dict):
            for k, v in node.items():
                sub = states.step(state, str(k))
                if isinstance(v, str):
                    types = states.leaf_types(sub)
                    if types:
                        node[k] = _convert(v, types, f"{here}/{k}")
                elif isinstance(v, (dict, list)):
                    stack.append((v, sub, f"{here}/{k}"))
        elif isinstance(node, list):
            sub = states.step(state, None)
            types = states.leaf_types(sub)
            for i, v in enumerate(node):
                if isinstance(v, str):
                    if types:
                        node[i] = _convert(v, types, f"{here}/{i}")
                elif isinstance(v, (dict, list)):
                    stack.append((v, sub, f"{here}/{i}"))


__all__ = ["json_schema", "schema_dir", "type_leaves"]
