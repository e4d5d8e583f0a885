"""Files and modules a framework config pulls in when it is loaded, read from the document as the
loader builds it (red team 116pa-2, -3, -5).

* **detectron2 / fvcore** ``_BASE_``: ``CfgNode.load_yaml_with_base`` reads the top-level ``_BASE_``
  string, expands a leading ``~``, keeps an absolute path or an ``http(s)://`` URL as it is and joins
  anything else to the config's folder (``..`` and ``.git/`` kept), then loads that file the same way —
  with ``yaml.unsafe_load`` when ``allow_unsafe`` (detectron2's ``merge_from_file`` default: True).
* **mmengine** ``_base_``: ``Config._file2dict`` reads the top-level ``_base_`` (a string or a list of
  them) of a ``.py``/``.json``/``.yaml`` config; ``Config._get_cfg_path`` joins each to the config's folder
  (``pkg::path``: a config of an installed package) and loads it — a ``.py`` base is executed
  (``eval(compile(...))``), a YAML one read with PyYAML's full ``Loader``.
* **mmengine** ``custom_imports``: ``Config.fromfile`` imports every module the merged document's top-level
  ``custom_imports['imports']`` names. PyYAML resolves aliases and ``<<`` merge keys before mmengine sees
  the mapping, and mmengine rewrites the raw text first: ``{{ _base_.x }}`` becomes a placeholder string
  that takes the base config's value ``x`` after parsing (``_pre_substitute_base_vars`` /
  ``_substitute_base_vars``).

:func:`from_yaml` and :func:`from_doc` read a YAML text (composed, never constructed; aliases shared,
merge keys followed — every candidate value of a key counts, not only the one PyYAML keeps: fail
closed) or a parsed JSON document, and return :class:`Includes`. Deciding what leaves the scan is the
caller's (:func:`mlbom.formats.paths.leave_reason`, the folder walk)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml

from mlbom.formats.yaml_tags import composed, known_to_differ, loaders
from mlbom.limits import MAX_PURE_YAML_CHARS

FVCORE_BASE = "_BASE_"  # detectron2 / fvcore
MM_BASE = "_base_"  # mmengine
CUSTOM_IMPORTS = "custom_imports"
KEYS = (FVCORE_BASE, MM_BASE, CUSTOM_IMPORTS)  # = config_targets.INCLUDE_KEYS (the walk that gates a read)
# mmengine ``Config._pre_substitute_base_vars``: ``{{ _base_.a.b }}`` anywhere in the raw text
BASE_VAR = re.compile(r"\{\{\s*_base_\.([\w.]+)\s*\}\}")
_MARK = "mlbomBaseVar."  # the placeholder this module puts where mmengine puts its random one
MAX_ITEMS = 10_000  # entries of one mapping (merges followed) and items of one list read
MAX_MERGE_DEPTH = 32  # merge keys followed inside merged mappings (deeper: an entry of its own, not read)
_TOO_DEEP = object()


@dataclass
class Includes:
    """``bases``: (key, value) of each base config the document names (a value that is no string: its
    description, with ``odd`` set); ``modules``: the modules ``custom_imports`` names; ``odd``: why a
    value of these keys is not read (a shape the loader fills in at load time: a base variable, a
    mapping where a name belongs)."""

    bases: list[tuple[str, str]] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    odd: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.bases or self.modules or self.odd)


def _key(node: object) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return node if isinstance(node, str) else None


def _is_merge(node: object) -> bool:
    # PyYAML's resolver takes a plain ``<<`` (and a ``!!merge`` tag) as a merge key; a quoted one is
    # counted too (fail closed: the composer here resolves no tags)
    return isinstance(node, yaml.ScalarNode) and (node.value == "<<" or node.tag.endswith(":merge"))


def _entries(node: object, depth: int = 0, seen: set[int] | None = None) -> Iterator[tuple[object, object]]:
    """The (key node, value node) entries of a mapping with its merge keys followed (every merged
    entry, explicit ones too: each candidate of a key), at most :data:`MAX_ITEMS` per mapping and
    each merged mapping once (``seen``: a mapping merged again through an alias adds no candidate,
    so a merge-key bomb costs no more than the document's size)."""
    if isinstance(node, dict):
        yield from list(node.items())[:MAX_ITEMS]
        return
    seen = set() if seen is None else seen
    if not isinstance(node, yaml.MappingNode) or id(node) in seen:
        return
    if depth > MAX_MERGE_DEPTH:  # (PyYAML follows them, recursively: not read here, so not safe)
        yield _TOO_DEEP, None
        return
    seen.add(id(node))
    for k, v in node.value[:MAX_ITEMS]:
        if _is_merge(k):
            for sub in (v.value[:MAX_ITEMS] if isinstance(v, yaml.SequenceNode) else [v]):
                yield from _entries(sub, depth + 1, seen)
        else:
            yield k, v


def _scalar(node: object) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return node if isinstance(node, str) else None


def _items(node: object) -> list[object] | None:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value[:MAX_ITEMS])
    return list(node[:MAX_ITEMS]) if isinstance(node, list) else None


def _too_long(node: object) -> bool:
    """A mapping or list this module reads only the first :data:`MAX_ITEMS` of (never a silent cap)."""
    items = node.value if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) else node
    return isinstance(items, (list, dict)) and len(items) > MAX_ITEMS


def _is_mapping(node: object) -> bool:
    return isinstance(node, (dict, yaml.MappingNode))


def _shown(node: object) -> str:
    s = _scalar(node)
    if s is not None and s.startswith(_MARK):
        return f"the base config's value {s[len(_MARK):]!r} ({{{{ _base_.{s[len(_MARK):]} }}}})"
    return repr(s[:200]) if s is not None else "a collection"


def _read(root: object, out: Includes) -> None:
    """The includes of one document's root (a composed YAML node or a JSON value)."""
    if not _is_mapping(root):
        return
    if _too_long(root):
        out.odd.append(f"a document of over {MAX_ITEMS} keys (the rest not read)")
    for k, v in _entries(root):
        if k is _TOO_DEEP:
            out.odd.append(f"merge keys (<<) nested over {MAX_MERGE_DEPTH} deep, not followed")
            continue
        key = _key(k)
        if key in (FVCORE_BASE, MM_BASE):
            s = _scalar(v)
            values = [v] if s is not None else (_items(v) if key == MM_BASE else None)
            if values is None:
                out.odd.append(f"{key} is {_shown(v)}, not a file name")
                continue
            if _too_long(v):
                out.odd.append(f"{key} lists over {MAX_ITEMS} configs (the rest not read)")
            for item in values:
                name = _scalar(item)
                if name is None or name.startswith(_MARK):
                    out.odd.append(f"{key} names {_shown(item)}, not a file name")
                elif name.strip():
                    out.bases.append((key, name))
        elif key == CUSTOM_IMPORTS:
            if not _is_mapping(v):
                s = _scalar(v)
                if s is not None and s.startswith(_MARK):
                    out.odd.append(f"custom_imports is {_shown(v)}")
                continue
            for k2, v2 in _entries(v):
                key2 = _key(k2)
                if k2 is _TOO_DEEP:
                    out.odd.append(f"custom_imports: merge keys (<<) nested over {MAX_MERGE_DEPTH} deep, not followed")
                elif key2 is None:
                    out.odd.append("custom_imports has a key that is no string")
                elif key2 == "imports":
                    s = _scalar(v2)
                    items = [v2] if s is not None else _items(v2)
                    if items is None:
                        out.odd.append(f"custom_imports.imports is {_shown(v2)}")
                        continue
                    if _too_long(v2):
                        out.odd.append(f"custom_imports.imports lists over {MAX_ITEMS} modules (the rest not read)")
                    for item in items:
                        m = _scalar(item)
                        if m is None or m.startswith(_MARK):
                            out.odd.append(f"custom_imports.imports holds {_shown(item)}")
                        elif m.strip():
                            out.modules.append(m.strip()[:200])


def from_doc(doc: object) -> Includes:
    """The includes of a parsed JSON document."""
    out = Includes()
    _read(doc, out)
    return out


def from_yaml(text: str) -> Includes:
    """The includes of every document of a YAML text as PyYAML composes it — libyaml's reading, and
    the pure-Python one where libyaml's read no document or the two are known to differ (bounded as
    :func:`~mlbom.formats.yaml_tags.composed` is) — after mmengine's ``{{ _base_.x }}`` substitution."""
    out = Includes()
    if "{{" in text:
        text = BASE_VAR.sub(lambda m: f'"{_MARK}{m.group(1)}"', text)
    parsers = loaders()
    read_any = False
    for i, loader in enumerate(reversed(parsers)):  # libyaml's first
        if i and read_any and not known_to_differ(text):
            break
        for root in composed(text, loader, None if i == 0 else MAX_PURE_YAML_CHARS):
            read_any = True
            _read(root, out)
    out.bases = list(dict.fromkeys(out.bases))
    out.modules = list(dict.fromkeys(out.modules))
    out.odd = list(dict.fromkeys(out.odd))
    return out
