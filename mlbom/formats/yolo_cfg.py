"""YOLOv5-style model-definition configs: strings ``parse_model`` hands to ``eval`` (red team 112pa-6).

ultralytics/yolov5 ``models/yolo.py`` ``parse_model(d, ch)`` (and the early ultralytics 8.0 ``tasks.py``, and
the many forks of it) builds a model from a mapping read with ``yaml.safe_load`` (``Model(cfg="x.yaml")``,
``train.py --cfg``, ``Model(cfg or ckpt["model"].yaml)`` when fine-tuning):

* ``act = d.get("activation")``; ``if act: Conv.default_act = eval(act)`` (ultralytics 8 too);
* for each row ``(f, n, m, args)`` of ``d["backbone"] + d["head"]``: ``m = eval(m) if isinstance(m, str)
  else m``, then ``for j, a in enumerate(args): args[j] = eval(a) if isinstance(a, str) else a`` (a
  ``NameError`` suppressed: ``'nearest'`` stays a string), and the module is called: ``m(*args)``.

So every string in those places is Python that runs when the model is built. Real configs hold plain
names there (``Conv``, ``C3``, ``SPPF``, ``nn.Upsample``, ``Concat``, ``Detect``, ``nc``, ``anchors``,
``None``, ``'nearest'``), numbers and, for ``activation``, a ``torch.nn`` activation called with numbers
(``nn.LeakyReLU(0.1)``, yolov5's ``hub/yolov5s-LeakyReLU.yaml``). Anything else is evaluated code
(``config.eval-string``): ``suspicious``; naming a callable the deny list denies (``os.system``,
``builtins.eval``, ``__import__``) or walking a dunder is ``unsafe`` — and so is a module name (called
with the row's arguments) or an activation the deny list denies, however plain.

The document is the one ``yaml.safe_load`` builds (the first; PyYAML's pure-Python composer under
mlbom's bounds, :func:`~mlbom.formats.yaml_tags.composed`; merge keys and aliases as its constructor
reads them), or a parsed JSON document; only a mapping holding both ``backbone`` and ``head`` is read.
A string is judged as yolov5 reads it too (``open(cfg, encoding="ascii", errors="ignore")``: non-ASCII
characters dropped). Each node once (aliases share them): linear in the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

import yaml

from mlbom.formats.yaml_tags import composed
from mlbom.model import Judged

ROW_KEYS = ("backbone", "head")
MAX_SHOWN = 5
MAX_MERGED = 1_000_000  # key-value pairs merge keys copy in one document (more: not read to the end)
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_TERM = rf"[-+]?\s*(?:{_NAME}|{_NUM})"
# a name, a number, or arithmetic of them: nothing is called (no parenthesis, no subscript, no string)
_INERT = re.compile(rf"\s*{_TERM}(?:\s*[-+*/%]\s*{_TERM})*\s*", re.ASCII)
_LITERAL = rf"(?:[-+]?{_NUM}|True|False|None)"
# a torch.nn activation called with literals: ``nn.LeakyReLU(0.1)``, ``nn.SiLU()``, ``nn.ReLU(inplace=True)``
_NN_CALL = re.compile(rf"\s*(?:torch\.)?nn\.[A-Za-z_][A-Za-z0-9_]*\(\s*(?:(?:[A-Za-z_]\w*\s*=\s*)?{_LITERAL}"
                      rf"(?:\s*,\s*(?:[A-Za-z_]\w*\s*=\s*)?{_LITERAL})*\s*,?\s*)?\)\s*", re.ASCII)
_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*", re.ASCII)


class _NotStr:
    """A scalar ``yaml.safe_load`` makes no ``str`` (a number, a bool, null): never evaluated."""

    __slots__ = ()


_NOT_STR = _NotStr()


# a YOLO model definition is a few KB (yolov5s.yaml 1.4 KB, rtdetr-l 1.8 KB): a text past this holding both
# row keys is not composed a second time (the config-target walk composes it once; 114pa-5: 960 KB, 4.5 s)
MAX_TEXT = 256 << 10


def may_be(text: str) -> bool:
    """Whether a text may hold a YOLO model definition: both row keys spelled — plainly, or through a
    YAML double-quoted escape that yields a letter (``\\x62``, ``\\u0062``, ``\\U00000062``) or an
    escaped line break (``"back\\`` + a new line + ``bone"``): a pre-filter, linear, no parse."""
    if all(k in text for k in ROW_KEYS):
        return True
    if "\\" not in text:
        return False
    decoded = _ESCAPE.sub(_unescape, text)
    return all(k in decoded for k in ROW_KEYS)


# a row key spelled as a key (red team 122fp-5): the word, an optional closing quote, then its ':' after
# any spaces, line breaks or comments (``? backbone  # c`` + a new line + ``: [...]`` is a key too); tags and
# anchors come before it. An alias (``*name``) may name a key or a merged mapping anchored elsewhere.
_KEYS = tuple(re.compile(k + r"[\"']?(?:\s|#[^\n\r]*)*:") for k in ROW_KEYS)
_ALIAS = re.compile(r"\*[\w-]")  # PyYAML's and libyaml's anchor names: alphanumerics, '_' and '-' ("***" is none)


def rows_spelled(text: str) -> bool:
    """Whether a text too long to compose (:data:`MAX_TEXT`) may hold a YOLO model definition: both
    row keys spelled as YAML or JSON keys, or an alias anywhere (:func:`may_be` must hold too). Prose
    that only uses the words ("a lack of backbone for a head teacher") holds no mapping parse_model
    reads."""
    if not may_be(text):
        return False
    decoded = _ESCAPE.sub(_unescape, text) if "\\" in text else text
    return all(k.search(decoded) for k in _KEYS) or _ALIAS.search(decoded) is not None


_ESCAPE = re.compile(r"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|(?:\r\n|[\r\n\x85\u2028\u2029])[ \t]*)")


def _unescape(m: re.Match[str]) -> str:
    got = m.group(0)
    if got[1] in "xuU":
        code = int(got[2:], 16)
        return chr(code) if code <= 0x10FFFF else ""
    return ""


def judge_text(text: str) -> list[Judged]:
    """The evaluated strings of the first YAML document of ``text`` (:func:`judge_doc`), composed by
    libyaml where it reads the text (linear, in C), else by PyYAML's own parser (``yaml.safe_load``'s,
    which reads some texts libyaml refuses), under its bounds."""
    if len(text) > MAX_TEXT:
        if not rows_spelled(text):
            return []  # no key a YAML or JSON mapping spells: no row parse_model reads (red team 122fp-5)
        return [Judged("config.eval-string", "high", f"YOLO-like model config (backbone and head rows) of more than "
                       f"{MAX_TEXT // 1024} KiB: not read (real ones are a few KB; parse_model evaluates the strings "
                       "of its rows)", "suspicious")]
    c_loader = getattr(yaml, "CSafeLoader", None)
    first = next(composed(text, c_loader), None) if isinstance(c_loader, type) else None
    for node in [first] if first is not None else composed(text, cast("type[yaml.BaseLoader]", yaml.SafeLoader)):
        plain = _Plain()
        out = judge_doc(plain.of(node))
        if plain.bounded:
            out.append(Judged("config.eval-string", "high", "YOLO-like model config whose merge keys copy over "
                              f"{MAX_MERGED} key-value pairs: not read to the end (parse_model evaluates the strings "
                              "of its rows)", "suspicious"))
        return out
    return []


@dataclass
class _Found:
    unsafe: list[str]
    suspicious: list[str]
    judged: set[tuple[str, str]] = field(default_factory=set)


def judge_doc(doc: object) -> list[Judged]:
    """The strings ``parse_model`` evaluates in a loaded config (a ``dict`` holding ``backbone`` and
    ``head``; anything else: none), judged (module docstring)."""
    if not isinstance(doc, dict) or not all(k in doc for k in ROW_KEYS):
        return []
    found = _Found([], [])
    act = doc.get("activation")
    if isinstance(act, str):
        _judge(act, "activation", "the 'activation' value (Conv.default_act = eval(act))", found)
    seen: set[int] = set()
    for key in ROW_KEYS:
        rows = doc.get(key)
        if not isinstance(rows, list):
            continue
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != 4 or id(row) in seen:
                continue
            seen.add(id(row))
            module, args = row[2], row[3]
            if isinstance(module, str):
                _judge(module, "module", f"{key} row {i}'s module (m = eval(m), then m(*args))", found)
            if isinstance(args, (list, dict)) and id(args) not in seen:
                seen.add(id(args))
                for a in args:  # (a mapping: enumerate gives its keys)
                    if isinstance(a, str):
                        _judge(a, "argument", f"{key} row {i}'s argument (args[j] = eval(a))", found)
    out: list[Judged] = []
    tail = ("ultralytics/yolov5 models/yolo.py parse_model (and ultralytics 8.0 and forks) evaluates it when the "
            "model is built from this config (Model(cfg=...), train.py --cfg, fine-tuning from a checkpoint's yaml)")
    if found.unsafe:
        out.append(Judged("config.eval-string", "critical", "YOLO model config holds Python that is evaluated and "
                          f"names a dangerous callable or a dunder: {_shown(found.unsafe)}; {tail}", "unsafe"))
    if found.suspicious:
        out.append(Judged("config.eval-string", "high", "YOLO model config holds Python expressions beyond plain "
                          f"names and numbers: {_shown(found.suspicious)}; {tail}", "suspicious"))
    return out


def _shown(items: list[str]) -> str:
    more = f" and {len(items) - MAX_SHOWN} more" if len(items) > MAX_SHOWN else ""
    return ", ".join(items[:MAX_SHOWN]) + more


# a row's module as the loaders look it up and call it (yolov5: eval(m); ultralytics: globals()[m],
# or getattr(torch.nn, m[3:]) for "nn.X"): the modules are classes (Conv, C2f, SPPF, Detect,
# nn.Upsample); a lowercase name is one of the functions those modules import (ultralytics' nn/tasks.py:
# check_requirements runs pip, attempt_load_one_weight / torch_safe_load torch.load another file:
# red team 114pa-3), called with the row's arguments
_MODULE_CLASS = re.compile(r"\s*(?:(?:torch\s*\.\s*)?nn\s*\.\s*)?[A-Z][A-Za-z0-9_]*\s*", re.ASCII)


# classes of those namespaces that load another checkpoint (torch.load) from a row's arguments:
# yolov5's DetectMultiBackend (models/common.py → attempt_load), ultralytics' AutoBackend
_LOADING_CLASSES = frozenset({"DetectMultiBackend", "AutoBackend"})


def _judge(s: str, role: str, where: str, found: _Found) -> None:
    key = (s, role)
    if key in found.judged:  # the same string judged once (114pa-5: one name 480,001 times: 4.5 s)
        return
    found.judged.add(key)
    _judge_once(s, role, where, found)


def _judge_once(s: str, role: str, where: str, found: _Found) -> None:
    from mlbom.formats.config_targets import denied

    ascii_s = s.encode("ascii", "ignore").decode("ascii")  # yolov5: open(cfg, encoding="ascii", errors="ignore")
    plain = ascii_s == s and (_INERT.fullmatch(s) is not None
                              or (role == "activation" and _NN_CALL.fullmatch(s) is not None))
    if role == "module" and plain and (_MODULE_CLASS.fullmatch(s) is None or s.strip() in _LOADING_CLASSES):
        plain = False  # a function the loader's module namespace holds, or a class that loads a model file
    dunder = "__" in ascii_s
    bad = [why for n in dict.fromkeys(re.sub(r"\s+", "", m) for m in _NAMES.findall(ascii_s))
           if (why := denied(n)) is not None]
    shown = f"{s[:120]!r} ({where}"
    if plain and not dunder and (role == "argument" or not bad):
        return  # a plain name or number (an argument's name is looked up, not called)
    if bad or dunder:
        found.unsafe.append(f"{shown}: {bad[0] if bad else 'walks a dunder attribute'})")
    else:
        found.suspicious.append(f"{shown})")


class _Plain:
    """A composed YAML node as ``yaml.safe_load`` constructs it, as far as :func:`judge_doc` reads it
    (:data:`DEPTH` levels: the document, a row list, a row, its arguments, an argument): mappings (merge
    keys flattened as SafeConstructor does: merged keys first, a later key wins), sequences, ``str``
    scalars (any other scalar, and a collection deeper down, is :data:`_NOT_STR`). Each node converted
    once per level (an alias is the same object; a recursive one too): linear, and never deeper than
    :data:`DEPTH`."""

    DEPTH = 4

    def __init__(self) -> None:
        self.memo: dict[tuple[int, int], object] = {}
        self.work = 0  # merged key-value pairs copied (past MAX_MERGED: ``bounded``)
        self.bounded = False

    def of(self, node: object, depth: int = 0) -> object:
        if isinstance(node, yaml.ScalarNode):
            return node.value if node.tag == _STR else _NOT_STR
        if depth > self.DEPTH or not isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            return _NOT_STR
        if (id(node), depth) in self.memo:
            return self.memo[id(node), depth]
        if isinstance(node, yaml.SequenceNode):
            seq: list[object] = []
            self.memo[id(node), depth] = seq
            seq.extend(self.of(n, depth + 1) for n in node.value)
            return seq
        d: dict[object, object] = {}
        self.memo[id(node), depth] = d
        for k, v in self._pairs(node, set()):
            key = k.value if isinstance(k, yaml.ScalarNode) and k.tag == _STR else None
            if key is not None:
                d[key] = self.of(v, depth + 1)
        return d

    def _pairs(self, node: yaml.MappingNode, walked: set[int]) -> list[tuple[yaml.Node, yaml.Node]]:
        """The key-value pairs of a mapping with its merge keys flattened (merged first)."""
        if id(node) in walked:
            return []
        walked.add(id(node))
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        own: list[tuple[yaml.Node, yaml.Node]] = []
        for k, v in node.value:
            if k.tag == _MERGE and self.work > MAX_MERGED:
                self.bounded = True
            elif k.tag == _MERGE:
                sources = v.value if isinstance(v, yaml.SequenceNode) else [v]
                for src in reversed(sources) if isinstance(v, yaml.SequenceNode) else sources:
                    if isinstance(src, yaml.MappingNode):
                        got = self._pairs(src, walked)
                        self.work += len(got)
                        merged.extend(got)
            else:
                own.append((k, v))
        return merged + own
