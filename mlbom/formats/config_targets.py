"""Code a YAML/JSON config names for a framework to import and call when the config is loaded.

One walker, one deny list, one verdict vocabulary for every config convention that does this:

* **Hydra** ``_target_``. ``hydra.utils.instantiate`` (and ``hydra.utils.call``) takes a config —
  a mapping loaded by OmegaConf from YAML, or a plain dict from JSON — and, for every mapping that
  holds the key ``_target_`` (at any depth: it recurses into the values unless ``_recursive_:
  false``, and a target called with the rest may instantiate that rest itself), resolves the
  target with ``hydra._internal.utils._locate``: the first dotted part is imported as a module,
  each later part is an attribute (``getattr``) or, failing that, a submodule imported. The
  result is called with the mapping's other keys as keyword arguments and ``_args_`` as
  positional ones (``_partial_: true`` wraps it in ``functools.partial`` instead — the module is
  imported all the same; ``_convert_`` only changes how arguments are passed). Before that,
  ``OmegaConf.resolve`` replaces ``${…}`` interpolations, so a target spelled with one is
  computed at load time: node interpolations (``${a.b}``, ``${..x}``) are resolved here against the
  same document as OmegaConf resolves them (:class:`_Resolver`, bounded), any other is judged
  computed.
* **NeMo** ``target``. ``restore_from`` reads ``model_config.yaml`` out of a ``.nemo`` tar and
  ``Serialization.from_config_dict`` imports the class its ``target`` names
  (``import_class_by_path``) and calls it with the config (or instantiates a ``_target_``); the
  model's own ``from_config_dict`` calls do the same for its sub-configs. Each of them first runs
  ``maybe_update_config_version``, which turns a Hydra-0.x ``cls`` (in every sub-mapping) into
  ``_target_`` and shifts ``params`` into the parent: in NeMo's config a ``cls`` is a
  ``_target_`` (:data:`NEMO_LEGACY_KEYS`). PyTorch Lightning
  projects built on Hydra (the lightning-hydra template) instantiate the model, data module,
  trainer, callbacks and optimiser from their configs the same way.
* **jsonargparse / LightningCLI** ``class_path``. A subclass-typed argument given as a mapping
  ``{class_path: a.b.C, init_args: {…}}`` (at any depth: ``init_args`` nest) is resolved with
  ``jsonargparse._util.import_object``: ``__import__`` of the dotted path's module (or its parent,
  then ``getattr``), which runs that module's top-level code, then the class is checked against
  the expected type and called with ``init_args``. A path without a dot is looked up among the
  subclasses already imported. A ``Callable``-typed argument takes a plain dotted string the same
  way (``import_object``), so in a config that is evidently jsonargparse's (a ``class_path`` or
  ``init_args`` key) a plain string naming a deny-listed callable is judged as a target too.
* **fiddle** serialisation (``fiddle._src.experimental.serialization.load_json``; NeMo 2's
  ``io.json``): every ``{"type": "pyref", "module": M, "name": N}`` object is resolved by
  ``import_symbol`` — ``importlib.import_module(M)`` then ``getattr`` along ``N`` — whatever the
  ``PyrefPolicy`` then thinks of the value (the default allows every import); the buildable's
  ``__fn_or_cls__`` is such a pyref, and ``fdl.build`` calls it with the config's arguments.
* **OmegaConf interpolations** ``${resolver:args}`` in any value OmegaConf resolves (every value
  of a config Hydra instantiates): the resolver registered under that name runs with arguments
  from the file. OmegaConf's own — ``oc.select``, ``oc.deprecated``, ``oc.dict.keys``/``values``
  — and Hydra's (``now``, ``hydra``, ``python_version``) only read the config; ``oc.env`` (and
  OmegaConf 2.0's ``env``) reads an environment variable into it (``info``: nothing leaves the
  process unless a target the file names sends it, and that target is judged);
  ``oc.decode``/``oc.create`` turn their argument into config nodes, so a ``_target_`` (or
  ``class_path``) spelled inside one is a target, and one decoding a value computed at load time
  (a nested interpolation) is ``suspicious``. Any other name is an application's own resolver run
  with arguments from the file: one named like ``eval``/``exec`` (lightning-hydra-template and
  others register ``eval`` as Python's ``eval``) is ``unsafe``, any other ``suspicious``.

This module finds them in YAML text from PyYAML's event stream (never constructed): keys and
values as the parser decodes them (escapes, quoting, anchors and aliases of a scalar key or
value), every document; in a parsed JSON document from its nodes. It judges them all: a target
on mlbom's deny list (:func:`mlbom.formats.pickle.danger`, the list the pickle judge uses) or
walking a dunder attribute is ``unsafe`` (``code.dangerous-target``); every other target is
``suspicious`` (``code.remote``): the loader imports code this scan never judged and calls it
with arguments from the file. No namespace is exempt — not even NeMo's own:
``nemo.collections.common.tokenizers.AutoTokenizer`` with ``trust_remote_code: true`` and a Hub
name runs that repository's code; a LightningCLI config's ``class_path: torch.optim.Adam`` is
``suspicious`` like a Hydra ``_target_: torch.optim.Adam``.

Bounded: YAML parsing stops where :class:`mlbom.formats.yaml_tags.EventBudget` does (its
``MAX_EVENTS`` events or ``MAX_SECONDS``); an interpolation is read in the first
:data:`MAX_VALUE` characters of a value; past a bound the rest is not checked and says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import yaml

from mlbom.formats import pickle as pickle_fmt
from mlbom.formats.yaml_tags import EventBudget
from mlbom.model import Severity, Verdict

KEY = "_target_"
CLASS_PATH = "class_path"  # jsonargparse / LightningCLI
INIT_ARGS = ("init_args", "dict_kwargs")  # jsonargparse's other subclass-spec keys: the config is its
NEMO_CONFIG = "model_config.yaml"  # the name NeMo's restore_from reads; a ``target`` in it is a class path
NEMO_KEYS = ("target",)
# NeMo's Hydra-0.x keys: ``maybe_update_config_version`` (every ``from_config_dict``, every sub-config) turns
# ``cls`` into ``_target_`` (and shifts ``params`` into the parent, which brings no key of its own)
NEMO_LEGACY_KEYS = ("cls",)
MARKERS = (KEY, CLASS_PATH)  # keys that name a callable wherever they are
MAX_SHOWN = 5
MAX_VALUE = 1 << 20  # characters of one value read for interpolations
MAX_CALLS = 1000  # resolver calls read in one value
MAX_ARGS = 2000  # characters of one call's arguments kept (oc.decode/oc.create longer: not read)
MAX_DEREF = 16  # node interpolations followed to resolve one target (deeper, or a cycle: not resolved)
MAX_LOOKUPS = 10_000  # node lookups to resolve the interpolated targets of one document

HYDRA, JSONARGPARSE, FIDDLE = "Hydra/NeMo", "jsonargparse", "fiddle"
LOADERS = {
    HYDRA: "hydra.utils.instantiate (NeMo restore_from, Hydra/Lightning configs)",
    JSONARGPARSE: "jsonargparse/LightningCLI (import_object)",
    FIDDLE: "fiddle serialization.load_json (NeMo 2 io.json)",
}
# resolvers that only read the config (OmegaConf's and Hydra's own)
READ_ONLY_RESOLVERS = frozenset({"oc.select", "oc.deprecated", "oc.dict.keys", "oc.dict.values", "now", "hydra",
                                 "python_version"})
ENV_RESOLVERS = frozenset({"oc.env", "env"})
NODE_RESOLVERS = frozenset({"oc.decode", "oc.create"})  # their argument becomes config nodes
# an application's resolver named like these runs Python or a shell on its argument
CODE_RESOLVERS = frozenset({"eval", "exec", "compile", "python", "py", "pyeval", "expr", "expression", "lambda",
                            "import", "system", "shell", "sh", "bash", "cmd", "popen", "subprocess", "run_code"})

_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_RESOLVER_NAME = re.compile(r"[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*)*")
# a target key inside an oc.decode/oc.create argument, and its value (quoted or bare)
_INNER_TARGET = re.compile(r"""(?:_target_|class_path)['"]?\s*:\s*(?:'([^']*)'|"([^"]*)"|([^\s,}\]'"]+))?""")
_VALUE_ESCAPES = frozenset("\\()[]{}:=, \t")  # OmegaConf's value-mode escapes (``\\,`` …)


@dataclass
class Targets:
    """``paths``: the literal targets (each once, in order); ``kinds``: the conventions they came
    from; ``computed``: targets that are no literal path (an interpolation, a value that is not a
    string), described; ``resolvers``: application resolvers the interpolations call (a name, or
    a description of a computed one); ``env``: environment variables ``oc.env`` reads;
    ``bounded``: the walk stopped at a bound (the rest not checked)."""

    paths: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)
    resolvers: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    bounded: str | None = None
    _callables: list[str] = field(default_factory=list)  # deny-listed plain strings, for jsonargparse
    # targets spelled with ``${…}``: (value, convention, the path of the mapping holding it (None: not
    # known), document number, a NeMo ``target``), resolved against their document by :meth:`settle`
    _pending: list[tuple[str, str, tuple[str, ...] | None, int, bool]] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set, repr=False, compare=False)  # (list, item): each item once, in O(1)

    def _once(self, which: str, item: str) -> None:
        if (which, item) not in self._seen:
            self._seen.add((which, item))
            getattr(self, which).append(item)

    def kind(self, kind: str) -> None:
        if kind not in self.kinds:
            self.kinds.append(kind)

    def add(self, value: object, kind: str = HYDRA) -> None:
        self.kind(kind)
        if isinstance(value, str) and "${" not in value:
            self._once("paths", value)
        else:
            self.odd(repr(value)[:200] if isinstance(value, str) else f"a {type(value).__name__} value")
        if isinstance(value, str):
            self.value(value)

    def target(self, value: str, kind: str, where: tuple[str, ...] | None, doc: int = 0, *,
               dotted: bool = False) -> None:
        """A target value as the file spells it, in the mapping at path ``where`` of document
        ``doc``: a literal one is added; one holding ``${`` is resolved later (:meth:`settle`).
        ``dotted``: a NeMo ``target`` — a value without a dot is no class path."""
        if "${" in value:
            self.kind(kind)
            self.value(value)
            self._pending.append((value, kind, where, doc, dotted))
        elif not dotted or "." in value:
            self.add(value, kind)
        else:
            self.value(value)

    def settle(self, roots: Callable[[int], object]) -> None:
        """Resolve the targets spelled with node interpolations (``${a.b}``, ``${..x}``) as
        OmegaConf does before the loader reads them, against the document ``roots(n)`` (a parsed
        JSON value or a composed YAML node; None: not available): the resolved path is judged
        like a literal one; a target that does not resolve to a literal string within the bounds
        (a resolver call, a key OmegaConf spells otherwise, a merge key, a cycle) is computed."""
        if not self._pending:
            return
        docs: dict[int, _Resolver | None] = {}
        for value, kind, where, doc, dotted in self._pending:
            if doc not in docs:
                root = roots(doc)
                docs[doc] = None if root is None else _Resolver(root)
            res = docs[doc]
            got = res.value(value, where, 0) if res is not None else None
            self.kind(kind)
            if isinstance(got, str):
                if not dotted or "." in got:
                    self._once("paths", got)
            elif got is _COLLECTION:
                self.odd(f"{value[:200]!r} (a collection)")
            else:
                self.odd(repr(value)[:200])
        self._pending.clear()

    def odd(self, what: str) -> None:
        self._once("computed", what)

    def value(self, text: str) -> None:
        """A string value OmegaConf may resolve: its interpolations; a deny-listed dotted path
        (a ``Callable`` argument of jsonargparse imports it)."""
        if "${" in text:
            if len(text) > MAX_VALUE:
                self.bounded = f"a value of {len(text)} characters with ${{…}}: its first {MAX_VALUE} read"
            calls = resolver_calls(text[:MAX_VALUE])
            if len(calls) > MAX_CALLS:
                self.bounded = f"a value with over {MAX_CALLS} resolver calls: the first {MAX_CALLS} read"
            for name, args in calls[:MAX_CALLS]:
                self._resolver(name, args)
        elif len(text) < 400 and _DOTTED.fullmatch(text.strip()) and _why_dangerous(text) is not None:
            self._once("_callables", text.strip())

    def _resolver(self, name: str | None, args: str) -> None:
        if name is None:
            self._once("resolvers", "a resolver whose name is computed")
        elif name in ENV_RESOLVERS:
            self._once("env", args.split(",", 1)[0].strip()[:100])
        elif name in NODE_RESOLVERS:
            if len(args) > MAX_ARGS:
                self.odd(f"${{{name}:…}} of over {MAX_ARGS} characters (not read)")
            elif "${" in args:
                self.odd(f"${{{name}:…}} of a value computed at load time ({args[:100]!r})")
            for m in _INNER_TARGET.finditer(args):
                inner = m.group(1) if m.group(1) is not None else m.group(2) if m.group(2) is not None else m.group(3)
                if inner:
                    self.add(inner.strip(), JSONARGPARSE if m.group(0).startswith(CLASS_PATH) else HYDRA)
                else:
                    self.odd(f"a target inside ${{{name}:…}} ({args[:100]!r})")
        elif name not in READ_ONLY_RESOLVERS:
            self._once("resolvers", name)

    def finish(self) -> Targets:
        """The deny-listed plain strings count as targets in a jsonargparse config."""
        if JSONARGPARSE in self.kinds:
            for c in self._callables:
                self._once("paths", c)
        self._callables.clear()
        return self

    def __bool__(self) -> bool:
        return bool(self.paths or self.computed or self.resolvers or self.env or self.bounded)


_NO = object()  # no such node
_COLLECTION = object()  # an interpolation resolving to a mapping or list
_INDEX = re.compile(r"[0-9]+")
_KEY_PART = r"[^\s.\[\]${}:'\"\\]"
# a node interpolation's key as OmegaConf's grammar spells it: leading dots (relative), then keys
# joined by "." or in brackets; no resolver (":"), no nested interpolation, no quotes, no escapes
_NODE_KEY = re.compile(rf"\s*(\.*)({_KEY_PART}*(?:\.{_KEY_PART}+|\[{_KEY_PART}+\])*)\s*")
_KEY_TOKENS = re.compile(rf"\.({_KEY_PART}+)|\[({_KEY_PART}+)\]")


def _key_tokens(rest: str) -> list[str]:
    """OmegaConf's ``split_key`` of a key without its leading dots: ``a.b[c]`` → a, b, c."""
    head = re.match(rf"{_KEY_PART}*", rest)
    first = head.group(0) if head else ""
    tokens = [first] if first else []
    return tokens + [a or b for a, b in _KEY_TOKENS.findall(rest[len(first):])]


class _Resolver:
    """OmegaConf's node interpolations over one document — a parsed JSON value (dict/list/str)
    or a composed YAML node graph (PyYAML ``Node``s, aliases shared, never constructed) — within
    :data:`MAX_DEREF` and :data:`MAX_LOOKUPS`. ``${a.b}`` is looked up from the root, ``${.x}``
    in the mapping holding the value, each further dot one level up; an intermediate node that is
    itself a whole interpolation is followed. Anything else is not resolved (None)."""

    def __init__(self, root: object) -> None:
        self.root = root
        self.lookups = 0
        self._maps: dict[int, dict[str, object]] = {}

    def _child(self, node: object, key: str) -> object:
        self.lookups += 1
        if isinstance(node, yaml.MappingNode):
            index = self._maps.get(id(node))
            if index is None:
                index = {}
                for k, v in node.value:  # the last of duplicate keys (OmegaConf refuses them)
                    if isinstance(k, yaml.ScalarNode):
                        index[k.value] = v
                self._maps[id(node)] = index
            return index.get(key, _NO)  # (a key only a merge "<<" brings: not found, not resolved)
        if isinstance(node, dict):
            return node.get(key, _NO)
        items = node.value if isinstance(node, yaml.SequenceNode) else node if isinstance(node, list) else None
        if items is not None and _INDEX.fullmatch(key) and int(key) < len(items):
            return items[int(key)]
        return _NO

    @staticmethod
    def _text(node: object) -> object:
        """A scalar node's string; :data:`_COLLECTION`; None for any other value (a JSON number)."""
        if isinstance(node, yaml.ScalarNode):
            return node.value
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode, dict, list)):
            return _COLLECTION
        return node if isinstance(node, str) else None

    def _select(self, key: str, where: tuple[str, ...] | None, depth: int) -> tuple[object, tuple[str, ...]] | None:
        m = _NODE_KEY.fullmatch(key)
        if m is None or depth > MAX_DEREF:
            return None
        dots, tokens = m.group(1), _key_tokens(m.group(2))
        if dots:
            if where is None or len(dots) - 1 > len(where):
                return None
            path = where[:len(where) - (len(dots) - 1)]
        else:
            path = ()
        node: object = self.root
        for step in path:  # a real place of the document
            node = self._child(node, step)
            if node is _NO:
                return None
        for i, tok in enumerate(tokens):
            if self.lookups > MAX_LOOKUPS:
                return None
            node = self._child(node, tok)
            path = (*path, tok)
            if node is _NO:
                return None
            text = self._text(node)
            if i < len(tokens) - 1 and isinstance(text, str):  # a node that is itself an interpolation
                ref = _whole_ref(text)
                sel = self._select(ref, path[:-1], depth + 1) if ref is not None else None
                if sel is None:
                    return None
                node, path = sel
        return node, path

    def value(self, text: str, where: tuple[str, ...] | None, depth: int) -> object:
        """The value OmegaConf resolves ``text`` (in the mapping at ``where``) to: a string,
        :data:`_COLLECTION`, or None (not resolved here)."""
        if "${" not in text:
            return text
        if "\\" in text or depth > MAX_DEREF or self.lookups > MAX_LOOKUPS:
            return None
        parts = _node_parts(text)
        if parts is None:
            return None
        out: list[str] = []
        for literal, ref in parts:
            if ref is None:
                out.append(literal)
                continue
            sel = self._select(ref, where, depth + 1)
            if sel is None:
                return None
            got = self._text(sel[0])
            if got is _COLLECTION and len(parts) == 1:
                return _COLLECTION
            if not isinstance(got, str):
                return None
            got = self.value(got, sel[1][:-1], depth + 1)
            if not isinstance(got, str):
                return got if len(parts) == 1 else None
            out.append(got)
        return "".join(out)


def _node_parts(text: str) -> list[tuple[str, str | None]] | None:
    """``text`` as literal pieces and node interpolations (``(literal, None)``, ``("", key)``);
    None when it holds anything else (a resolver call, a nested interpolation, an unclosed one)."""
    parts: list[tuple[str, str | None]] = []
    i = 0
    while (j := text.find("${", i)) >= 0:
        if j > i:
            parts.append((text[i:j], None))
        k = text.find("}", j)
        if k < 0:
            return None
        inner = text[j + 2:k]
        if "{" in inner or "$" in inner or ":" in inner:
            return None
        parts.append(("", inner))
        i = k + 1
    if i < len(text):
        parts.append((text[i:], None))
    return parts


def _whole_ref(text: str) -> str | None:
    """The key of a value that is one node interpolation and nothing else (``${a.b}``)."""
    parts = _node_parts(text) if "\\" not in text else None
    return parts[0][1] if parts is not None and len(parts) == 1 else None


class _Open:
    """An open construct of an interpolation: ``kind`` "i" its head (up to ":" or "}"), "v" a
    resolver's arguments (closed by "}"), "{" / "[" a collection in them, a quote a string;
    ``start``: where its text begins; ``name``: a resolver's name (None: computed)."""

    __slots__ = ("computed", "kind", "name", "start")

    def __init__(self, kind: str, start: int) -> None:
        self.kind, self.start = kind, start
        self.name: str | None = None
        self.computed = False


def resolver_calls(text: str, limit: int = MAX_CALLS) -> list[tuple[str | None, str]]:
    """The resolver calls ``${name:args}`` of an OmegaConf value, nested ones included, as
    ``(name, argument text)`` — ``name`` None when it is itself computed (``${${x}:…}``). Read as
    OmegaConf's grammar lexes it: at the top level ``\\${`` (an odd run of backslashes) is an
    escaped, literal ``${``; inside a resolver's arguments (bare, quoted, in ``[…]``/``{…}``)
    every ``${`` counts — there an escape only survives until ``oc.decode`` parses the string
    again. ``${a.b}`` (a node) is no call. An argument list the text ends inside counts to the
    end (an unclosed one fails to parse: counted all the same). Linear in the text: at most
    ``limit + 1`` calls (more: stops there), each with its first :data:`MAX_ARGS` + 1 characters
    of arguments."""
    out: list[tuple[str | None, str]] = []
    stack: list[_Open] = []
    i, n = 0, len(text)
    while i < n and len(out) <= limit:
        c = text[i]
        top = stack[-1].kind if stack else None
        if top is None:
            if c == "\\":
                j = i
                while j < n and text[j] == "\\":
                    j += 1
                i = j + 2 if (j - i) % 2 and text.startswith("${", j) else j
                continue
        elif top in ("'", '"'):
            if c == "\\" and i + 1 < n and text[i + 1] in (top, "\\"):
                i += 2
                continue
            if c == top:
                stack.pop()
                i += 1
                continue
        elif top != "i" and c == "\\" and i + 1 < n and text[i + 1] in _VALUE_ESCAPES:
            i += 2
            continue
        if text.startswith("${", i):
            if top == "i":
                stack[-1].computed = True  # a name (or node key) computed by a nested interpolation
            stack.append(_Open("i", i + 2))
            i += 2
            continue
        if top == "i":
            if c == ":":
                head = stack[-1]
                name = text[head.start:i].strip()
                args = _Open("v", i + 1)
                args.name = None if head.computed or not _RESOLVER_NAME.fullmatch(name) else name
                stack[-1] = args
            elif c == "}":
                stack.pop()
        elif top in ("v", "{", "["):
            if c in ("'", '"', "{", "["):
                stack.append(_Open(c, i))
            elif (c == "]" and top == "[") or (c == "}" and top == "{"):
                stack.pop()
            elif c == "}" and top == "v":
                args = stack.pop()
                out.append((args.name, text[args.start:min(i, args.start + MAX_ARGS + 1)]))
        i += 1
    out.extend((o.name, text[o.start:o.start + MAX_ARGS + 1]) for o in stack if o.kind == "v")
    return out[:limit + 1]


class _Frame:
    """One open collection of the event stream: a mapping alternates key and value; ``step``:
    the key (a mapping; None: not a scalar) or index (a sequence) of the item being read."""

    __slots__ = ("index", "is_map", "key_kind", "step", "want_key")

    def __init__(self, is_map: bool) -> None:
        self.is_map = is_map
        self.want_key = True
        self.key_kind = ""  # the pending key's convention: "" another key
        self.step: str | None = None
        self.index = -1


def _where(stack: list[_Frame]) -> tuple[str, ...] | None:
    """The path of the innermost open collection (None under a key that is no scalar)."""
    steps = [f.step for f in stack[:-1]]
    return None if None in steps else tuple(s for s in steps if s is not None)


def yaml_targets(text: str, *, class_keys: tuple[str, ...] = (), legacy_keys: tuple[str, ...] = (),
                 hydra_key: bool = True) -> Targets:
    """The targets of a YAML text (every document), from PyYAML's own parser — the one OmegaConf's
    loader (a ``yaml.SafeLoader``) uses — never composed or constructed: ``_target_`` and
    ``class_path`` values, the interpolations of every value. A scalar key or value given through
    an alias counts as its anchored scalar. Text that does not parse yields the targets before the
    error (nothing after it is loaded). ``class_keys``: keys whose dotted string values are class
    paths too, at any depth (NeMo's ``target``; a value without a dot is no module path:
    ``import_class_by_path`` raises on it). ``legacy_keys``: keys judged like ``_target_`` (NeMo's
    ``cls``). ``hydra_key=False``: only those (the keys and values were judged on the parsed JSON
    document). A target spelled with node interpolations is resolved against its document,
    composed (never constructed) only when there is one."""
    out = Targets()
    anchors: dict[str, str] = {}
    stack: list[_Frame] = []
    budget = EventBudget()
    doc = -1
    try:
        for event in yaml.parse(text, Loader=yaml.BaseLoader):
            if (bound := budget.spend()) is not None:
                out.bounded = bound
                out.settle(lambda n: None)
                return out.finish()
            if isinstance(event, yaml.DocumentStartEvent):
                doc += 1
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                if stack:
                    stack.pop()
                continue
            if not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent,
                                      yaml.SequenceStartEvent)):
                continue
            scalar: str | None = None
            if isinstance(event, yaml.ScalarEvent):
                scalar = event.value
                if event.anchor is not None:
                    anchors[event.anchor] = scalar
            elif isinstance(event, yaml.AliasEvent):
                scalar = anchors.get(event.anchor) if event.anchor is not None else None
            top = stack[-1] if stack else None
            if top is not None and not top.is_map:
                top.index += 1
                top.step = str(top.index)
            if top is not None and top.is_map and top.want_key:
                top.key_kind = ""
                top.step = scalar
                if hydra_key and scalar in MARKERS:
                    top.key_kind = HYDRA if scalar == KEY else JSONARGPARSE
                elif hydra_key and scalar in INIT_ARGS:
                    out.kind(JSONARGPARSE)
                elif scalar is not None and scalar in legacy_keys:
                    top.key_kind = HYDRA
                elif scalar is not None and scalar in class_keys:
                    top.key_kind = "class"
                top.want_key = False
            else:
                kind = top.key_kind if top is not None and top.is_map else ""
                if kind:
                    if scalar is not None:
                        where = _where(stack) if "${" in scalar else ()  # (spelled out only when needed)
                        out.target(scalar, HYDRA if kind == "class" else kind, where, max(doc, 0),
                                   dotted=kind == "class")
                    elif kind != "class":
                        out.kind(kind)
                        out.odd("a collection")
                elif scalar is not None:  # (NeMo's JSON model_config.yaml: OmegaConf resolves it too)
                    out.value(scalar)
                if top is not None and top.is_map:
                    top.key_kind = ""
                    top.want_key = True
            if isinstance(event, yaml.MappingStartEvent):
                stack.append(_Frame(True))
            elif isinstance(event, yaml.SequenceStartEvent):
                stack.append(_Frame(False))
    except (yaml.YAMLError, ValueError, RecursionError, MemoryError):
        pass
    out.settle(_composer(text))
    return out.finish()


def _composer(text: str) -> Callable[[int], object]:
    """Document ``n`` of a YAML text as PyYAML's composer builds its node graph (aliases shared,
    nothing constructed), composed on first use; None where it does not compose."""
    docs: list[object] = []
    failed = False

    def root(n: int) -> object:
        nonlocal failed
        if not docs and not failed:
            try:
                for i, node in enumerate(yaml.compose_all(text, Loader=yaml.BaseLoader)):
                    docs.append(node)
                    if i >= n:
                        break
            except (yaml.YAMLError, ValueError, RecursionError, MemoryError):
                failed = True
        return docs[n] if n < len(docs) else None

    return root


def json_targets(doc: object) -> Targets:
    """The targets of a parsed JSON document: its mappings holding a key of :data:`MARKERS` or
    :data:`INIT_ARGS` (Hydra, jsonargparse) or a fiddle ``"type": "pyref"``, at any depth, and
    the interpolations of every string in it (OmegaConf reads JSON too: YAML is a superset, and
    ``instantiate`` resolves a plain dict). The document is in memory already: a walk of it is
    bounded by it."""
    out = Targets()
    # each item with its place as a linked list (parent's place, key): a path is spelled out only
    # for a target that needs it, so a deep document costs no more than a flat one
    stack: list[tuple[object, _Place]] = [(doc, None)]
    while stack:
        item, place = stack.pop()
        if isinstance(item, dict):
            if KEY in item:
                _json_target(out, item[KEY], HYDRA, place)
            if CLASS_PATH in item:
                _json_target(out, item[CLASS_PATH], JSONARGPARSE, place)
            if any(k in item for k in (CLASS_PATH, *INIT_ARGS)):
                out.kind(JSONARGPARSE)
            if item.get("type") == "pyref":
                module, name = item.get("module"), item.get("name")
                if isinstance(module, str) and isinstance(name, str):
                    out.add(f"{module}.{name}" if name else module, FIDDLE)
                else:
                    out.kind(FIDDLE)
                    out.odd(f"a pyref of module {module!r:.100}, name {name!r:.100}")
            stack.extend((v, (place, str(k))) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, (place, str(i))) for i, v in enumerate(item))
        elif isinstance(item, str):
            out.value(item)
    out.settle(lambda n: doc if n == 0 else None)
    return out.finish()


_Place = tuple["_Place", str] | None


def _json_target(out: Targets, value: object, kind: str, place: _Place) -> None:
    if isinstance(value, str):
        steps: list[str] = []
        if "${" in value:
            while place is not None:
                place, step = place
                steps.append(step)
        out.target(value, kind, tuple(reversed(steps)))
    else:
        out.add(value, kind)


@dataclass(frozen=True)
class Judged:
    """A finding about the targets: id, severity, message (without the place), effect."""

    id: str
    severity: Severity
    message: str
    effect: Verdict | None


def _shown(items: list[str]) -> str:
    more = f" and {len(items) - MAX_SHOWN} more" if len(items) > MAX_SHOWN else ""
    return ", ".join(items[:MAX_SHOWN]) + more


def _why_dangerous(path: str) -> str | None:
    """The deny-list reason for a target (``_locate``, ``import_object`` and ``import_symbol``
    resolve it like a pickle global: module first, then attributes), a dunder step, or None."""
    p = path.strip()
    why = pickle_fmt.danger(p) or ("." not in p and pickle_fmt.danger(f"builtins.{p}")) or None
    if why is None and any(len(s) > 4 and s.startswith("__") and s.endswith("__") for s in p.split(".")):
        why = "walks a dunder attribute (reaches interpreter internals)"
    return why


def _runs_code(resolver: str) -> bool:
    last = resolver.rsplit(".", 1)[-1].lower()
    return last in CODE_RESOLVERS or pickle_fmt.danger(f"builtins.{last}") is not None


def judge(targets: Targets) -> list[Judged]:
    """``unsafe`` for deny-listed targets and code-running resolvers, ``suspicious`` for every
    other target, for computed ones, for other application resolvers and for a walk that
    stopped at a bound; ``info`` for environment variables read into the config."""
    out: list[Judged] = []
    kinds = targets.kinds or [HYDRA]
    what = "/".join(kinds) + " target"
    loader = "; ".join(LOADERS[k] for k in kinds)
    denied = [(p, why) for p in targets.paths if (why := _why_dangerous(p)) is not None]
    if denied:
        shown = _shown([f"{p[:200]!r} ({why})" for p, why in denied])
        out.append(Judged("code.dangerous-target", "critical", f"{what} names a dangerous callable: {shown}; "
                          f"{loader} imports and calls it with arguments from this file", "unsafe"))
    other = [p for p in targets.paths if _why_dangerous(p) is None]
    if other:
        out.append(Judged("code.remote", "high", f"{what} names code this scan did not judge: "
                          f"{_shown([repr(p[:200]) for p in other])}; {loader} imports it and calls it with "
                          "arguments from this file", "suspicious"))
    if targets.computed:
        out.append(Judged("code.remote", "high", f"{what} that is no literal dotted path: "
                          f"{_shown(targets.computed)} (OmegaConf resolves ${{…}} interpolations at load time); "
                          f"{loader} imports and calls what it names", "suspicious"))
    running = [r for r in targets.resolvers if _runs_code(r)]
    if running:
        out.append(Judged("code.dangerous-target", "critical", "OmegaConf interpolation calls a resolver named "
                          f"like Python's eval/exec or a shell: {_shown([repr(r[:100]) for r in running])}; "
                          "the application's resolver runs with arguments from this file when the config is "
                          "resolved (lightning-hydra-template and others register eval as Python's eval)", "unsafe"))
    custom = [r for r in targets.resolvers if not _runs_code(r)]
    if custom:
        out.append(Judged("code.remote", "high", "OmegaConf interpolation calls an application's resolver: "
                          f"{_shown([repr(r[:100]) for r in custom])}; whatever code the loading application "
                          "registered under that name runs with arguments from this file", "suspicious"))
    if targets.env:
        out.append(Judged("config.env-read", "info", "OmegaConf interpolation reads environment variables into "
                          f"the config: {_shown([repr(v) for v in targets.env])} (oc.env)", None))
    if targets.bounded is not None:
        out.append(Judged("code.remote", "high", f"config targets not checked to the end ({targets.bounded}): "
                          f"{loader} may import and call code this scan did not see", "suspicious"))
    return out
