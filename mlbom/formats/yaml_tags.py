"""The tags of a YAML text as PyYAML resolves them, from the parser's event stream only.

``yaml.unsafe_load`` (and ``FullLoader`` for some of them) builds objects and calls functions
for tags under ``tag:yaml.org,2002:python/``. The tag a constructor sees is resolved by the
parser: a ``%TAG`` directive may bind any handle (even the primary ``!``) to any prefix, a
verbatim tag ``!<…>`` names it in full, and ``%xx`` escapes in a tag are decoded
(``Scanner.scan_uri_escapes``; libyaml does the same). So the text is parsed — never
composed or constructed — and each node's resolved tag is checked.

Both parsers are read (:func:`read_both`): libyaml's first; PyYAML's pure-Python one only where
libyaml stops at an error (a differential fuzz found no text libyaml reads to its end on which the
pure-Python reading holds anything libyaml's does not: ``tools/yaml_backend_diff.py``), and then
for its first :data:`mlbom.limits.MAX_PURE_YAML_CHARS` characters.

Bounded: at most :data:`MAX_BYTES` of text and :data:`MAX_EVENTS` events; past a bound the result
says so (``bounded``). Every bound counts work, never time: the same text gets the same verdict on
any machine (red team 50f-2: a 10 s clock bound made a 1 MB config ``safe`` or ``suspicious`` by the
machine's load). A text that does not parse yields
the tags seen before the error (a multi-document ``load_all`` constructs earlier documents).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import yaml

from mlbom.limits import MAX_PURE_YAML_CHARS, MAX_PURE_YAML_KEYS, MAX_PURE_YAML_TOKENS, MAX_YAML_EXPANDED_CHARS, PURE_YAML_MARGIN

MAX_BYTES = 64 << 20
MAX_EVENTS = 1_000_000  # (some 7 s of PyYAML's C parser and the walk on a loaded 2-core machine)
MAX_ALIAS_CHARS = MAX_YAML_EXPANDED_CHARS  # scalar characters a walk judges again through aliases
MAX_REALIASED = 200_000  # pending targets a walk looks at again where aliases copy their collection
MAX_NESTED_TEXT = 256 << 10  # characters of resolver arguments parsed as YAML on one budget (1 MiB before: a
# 2 KB config of repeated nested resolver arguments cost 0.9 s, and a folder of 20 such files 29 s: red team 51p-1)
NESTED_PARSE_COST = 512  # characters each nested parse counts besides its own (its fixed cost)
PYTHON_PREFIX = "tag:yaml.org,2002:python/"
MAX_TAGS = 20


# HyperPyYAML (SpeechBrain's hyperparams.yaml: hyperpyyaml.load_hyperpyyaml, red team 119pa-1): the local tags
# whose suffix is a dotted path ``pydoc.locate`` imports — ``!new:`` instantiates it, ``!name:`` returns it (or a
# partial), ``!apply:`` calls it while the file loads, ``!module:`` imports it (multi-constructors on ruamel's
# Loader), ``!applyref:`` calls it in ``resolve_references`` before that — and ``!include:``, which loads another
# HyperPyYAML file joined to the file's folder. ``!ref``/``!copy`` (a reference to another node: a ``.attr`` is
# ``getattr``), ``!tuple`` and ``!PLACEHOLDER`` are data; any other local tag has no constructor (ruamel's Loader
# refuses the file).
HYPER_CALLS = ("!new:", "!name:", "!apply:", "!applyref:", "!module:")
HYPER_INCLUDE = "!include:"
HYPER_DATA = frozenset({"!ref", "!copy", "!tuple", "!PLACEHOLDER"})
# a HyperPyYAML tag as a text may spell it (a handle's prefix, a verbatim tag, ``%xx`` escapes, a ``%TAG``
# directive): in a text no PyYAML parser reads to its end, ruamel (HyperPyYAML's parser, YAML 1.2: ``&x:`` is an
# anchor there, an error for PyYAML and libyaml) may read on to such a tag. Fail closed: a ``%TAG`` directive
# anywhere (red team 120y-1: after a bare ``\r`` line break, which ruamel reads as one and ``^`` under re.M never
# follows, ``%TAG !x! !a`` + ``!x!pply:os.system`` splits ``apply`` between the prefix and the suffix), and any
# local tag whose text holds a ``:`` (a handle's prefix may supply any part of the call tag's word)
HYPER_SPELLED = re.compile(r"!(?:[\w-]*!)?(?:<!)?(?:new|name|apply|applyref|module|include):|%TAG"
                           r"|![\w!<-]*%[0-9A-Fa-f]{2}|(?:^|(?<=[\s\[\]{},:?-]))!(?!!)[^\s\[\]{},]+:",
                           re.I | re.M)
MAX_HYPER = 10_000  # HyperPyYAML names kept from one text (more: bounded, never a silent cap)
_HYPER_REF = re.compile(r"<([^>]*)>")  # hyperpyyaml recursive_resolve's reference_finder
MAX_REF_HOPS = 200  # !ref chains and aliases followed for one reference (hyperpyyaml recurses: Python's stack)
MAX_REF_PARTS = 64  # [...] parts of one reference's path


@dataclass
class TagScan:
    """``python``: resolved Python tags (first :data:`MAX_TAGS`, in order); ``parsed``: the whole
    text parsed without an error; ``bounded``: parsing stopped at a bound (not judged in full).
    HyperPyYAML (:data:`HYPER_CALLS`): ``hyper`` the (tag prefix, dotted path as ``pydoc.locate``
    reads it) of each call tag, ``includes`` the paths ``!include:`` names, ``local`` other local
    tags (no constructor), ``ref_attrs`` the (node, attribute) ``!ref``/``!copy`` fetch with ``getattr``,
    ``hyper_data`` whether a data tag (``!ref`` …) was met; ``tuples``: Python tags inside a
    ``(…)`` scalar (HyperPyYAML's ``!tuple`` parses it again with ``yaml.Loader``)."""

    python: list[str] = field(default_factory=list)
    parsed: bool = False
    bounded: str | None = None
    hyper: list[tuple[str, str]] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    ref_attrs: list[tuple[str, str]] = field(default_factory=list)
    hyper_data: bool = False
    tuples: list[str] = field(default_factory=list)
    read_any: bool = False  # a reading read the whole text (``parsed``: every reading did)
    # a ``!ref``/``!copy`` that builds a string (``(<a>)``: not one whole ``<x>``), and a scalar holding a ``!``:
    # together, the string built may be a ``(…)`` that HyperPyYAML's ``!tuple`` parses for Python tags
    ref_builds: bool = False
    bang: bool = False
    # red team 120y-2: a ``!ref``/``!copy`` that is not one whole ``<x>`` (parse_arithmetic evaluates what it
    # builds), and a scalar holding a quote with a backslash, a ``%`` or a ``!`` (a Python string literal that
    # evaluates to a ``!``): together, the built string may be any ``(…)``
    ref_mixed: bool = False
    literal: bool = False
    # the top-level keys whose value is a call tag: (key, dotted path); a ``!ref <key.attr>`` is then
    # ``getattr`` on what the path gives (a module of ``!module:``, the object of ``!name:``): ``path.attr``
    keyed: list[tuple[str, str]] = field(default_factory=list)
    # red team 120y-4: what each node at a hyperpyyaml path (``mods[b]``: deref's ``[…]`` walk of mappings) is, as
    # :meth:`resolve` follows it: ("call", dotted path) a call tag, ("ref", "x") a ``!ref <x>``/``!copy <x>``,
    # ("alias", path) an alias of the node anchored at that path; one per path (a mapping keeps its last key)
    nodes: dict[str, tuple[str, str]] = field(default_factory=dict)
    # a quoted Python string literal in a ``!ref``/``!copy`` expression (hyperpyyaml's parse_arithmetic evaluates it,
    # escapes decoded: red team 120y-2): the literals (decoded), and whether one was met at all
    ref_literals: list[str] = field(default_factory=list)
    ref_quoted: bool = False
    _seen: set[tuple[str, object]] = field(default_factory=set, repr=False, compare=False)  # (list, item): O(1)
    # the reading's place: one frame per open collection — [is a mapping, a key expected next, the last key
    # (mapping) or next index (sequence), the collection's own path, the collection is a mapping's key]
    _stack: list[list[object]] = field(default_factory=list, repr=False, compare=False)
    _anchors: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _resolved: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)
    unresolved: str | None = None  # a reference :meth:`resolve` stopped following at a bound (why)

    def merge(self, one: TagScan) -> None:
        """Another reading's tags, added to these (each once)."""
        for which, cap in (("python", MAX_TAGS), ("hyper", MAX_HYPER), ("includes", MAX_HYPER),
                           ("ref_attrs", MAX_HYPER), ("local", MAX_TAGS), ("tuples", MAX_TAGS), ("keyed", MAX_HYPER)):
            for item in getattr(one, which):
                self._add(which, item, cap)
        for path, what in one.nodes.items():
            if path in self.nodes or len(self.nodes) < MAX_HYPER:
                self.nodes[path] = what
            else:
                self.bounded = self.bounded or f"over {MAX_HYPER} HyperPyYAML tags (the rest not judged)"
        for lit in one.ref_literals:
            self._add("ref_literals", lit, MAX_TAGS)
        self.ref_quoted = self.ref_quoted or one.ref_quoted
        self.hyper_data = self.hyper_data or one.hyper_data
        self.ref_builds = self.ref_builds or one.ref_builds
        self.bang = self.bang or one.bang
        self.ref_mixed = self.ref_mixed or one.ref_mixed
        self.literal = self.literal or one.literal
        self.bounded = self.bounded or one.bounded

    def hyperpyyaml(self) -> bool:
        """Whether the text uses HyperPyYAML's tags (a call, an include or a data tag)."""
        return bool(self.hyper or self.includes or self.hyper_data)

    def note(self, event: yaml.Event, budget: EventBudget) -> None:
        """One event of a reading: its resolved tag (Python; HyperPyYAML's), and a ``(…)`` scalar
        holding a ``!`` read again as HyperPyYAML's ``_make_tuple`` reads it (``yaml.load("[" +
        s[1:-1] + "]", Loader=yaml.Loader)``: PyYAML's pure-Python parser, Python tags built)."""
        tag = getattr(event, "tag", None)
        call = None
        if isinstance(tag, str):
            if is_python_tag(tag):
                self._add("python", tag, MAX_TAGS)
            elif tag.startswith("!"):
                call = self._hyper_tag(tag, event)
        self._place(event, call)
        value = getattr(event, "value", None)
        if isinstance(event, yaml.ScalarEvent) and isinstance(value, str) and "!" in value:
            self.bang = True
            if value.startswith("(") and value.endswith(")"):
                self._tuple(value, budget)
        if isinstance(event, yaml.ScalarEvent) and isinstance(value, str) and ("'" in value or '"' in value) \
                and ("\\" in value or "%" in value or "!" in value):
            # a Python string literal a reference may carry into an expression: parse_arithmetic evaluates it —
            # escapes decoded (\x21, \041, \N{…}), '%c' % 33 formatted — into any text (red team 120y-2)
            self.literal = True
        if tag in ("!ref", "!copy") and isinstance(value, str) and ("'" in value or '"' in value):
            self._ref_literal(value, budget)

    def _add(self, which: str, item: object, cap: int) -> None:
        """``item`` added to the list ``which`` once; past ``cap`` (:data:`MAX_HYPER`: never a silent
        cap) the scan is bounded."""
        if (which, item) in self._seen:
            return
        into = getattr(self, which)
        if len(into) < cap:
            self._seen.add((which, item))
            into.append(item)
        elif cap == MAX_HYPER:
            self.bounded = self.bounded or f"over {MAX_HYPER} HyperPyYAML tags (the rest not judged)"

    def _place(self, event: yaml.Event, call: str | None) -> None:
        """Follow the reading's place (red team 120y-4): each node's hyperpyyaml path (``a``, ``a[b]``: keys of
        mappings; an item of a sequence has none); a node carrying a call tag, a whole ``!ref <x>`` or an alias is kept by its path
        (:attr:`nodes`; a top-level one also in :attr:`keyed`), an anchor by the path it sits at."""
        if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentStartEvent)):
            self._stack = []
            return
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            if self._stack and self._stack.pop()[4]:
                return  # (a complex key read: its value comes next)
            self._advance()
            return
        if not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent,
                                  yaml.SequenceStartEvent)):
            return
        path: str | None = ""
        if self._stack:
            top = self._stack[-1]
            if top[0] and top[1]:  # a key of a mapping
                top[2] = event.value if isinstance(event, yaml.ScalarEvent) else None
                top[1] = False
                if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):  # a complex key
                    self._stack.append([isinstance(event, yaml.MappingStartEvent), True, 0, None, True])
                return
            base, at = top[3], top[2]
            # (deref walks mappings only: ``part not in branch`` of a list is a membership test, ``mods[0]`` fails)
            path = None if base is None or at is None or not top[0] else (f"{at}" if base == "" else f"{base}[{at}]")
        anchor = getattr(event, "anchor", None)
        if not path and isinstance(anchor, str) and not isinstance(event, yaml.AliasEvent):
            path = f"&{anchor}"  # (an anchored node no path reaches — a sequence's item —: an alias may give it one)
        if path:
            what: tuple[str, str] | None = None
            if call is not None:
                what = ("call", call)
                if "[" not in path:
                    self._add("keyed", (path, call), MAX_HYPER)
            elif isinstance(event, yaml.AliasEvent) and event.anchor in self._anchors:
                what = ("alias", self._anchors[event.anchor])
            elif isinstance(event, yaml.ScalarEvent) and event.tag in ("!ref", "!copy") \
                    and isinstance(event.value, str) and _HYPER_REF.fullmatch(event.value.strip()):
                what = ("ref", event.value.strip()[1:-1])
            if what is not None:
                if path in self.nodes or len(self.nodes) < MAX_HYPER:
                    self.nodes[path] = what
                else:
                    self.bounded = self.bounded or f"over {MAX_HYPER} HyperPyYAML tags (the rest not judged)"
            if isinstance(anchor, str) and not isinstance(event, yaml.AliasEvent) and len(self._anchors) < MAX_HYPER:
                self._anchors[anchor] = path
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self._stack.append([isinstance(event, yaml.MappingStartEvent), True, 0, path, False])
        else:
            self._advance()

    def _advance(self) -> None:
        """A node of the innermost collection read: a mapping expects a key next, a sequence its next index."""
        if not self._stack:
            return
        top = self._stack[-1]
        if top[0]:
            top[1] = True
        elif isinstance(top[2], int):
            top[2] += 1

    def resolve(self, ref: str, hops: int = 0) -> str | None:
        """The dotted path a hyperpyyaml reference ``ref`` (``a``, ``mods[b]``, ``a.attr``: deref) reaches when it
        is a call tag's object — following ``!ref`` chains, aliases and a prefix of the path that is one — with
        the attribute it fetches appended; None when it reaches none. Each reference is resolved once (a cycle
        reaches none); past :data:`MAX_REF_HOPS` hops or :data:`MAX_REF_PARTS` ``[…]`` parts it reaches none and
        :attr:`unresolved` says so (fail closed: the scanner reports the references as not checked)."""
        if ref in self._resolved:
            return self._resolved[ref]
        if hops > MAX_REF_HOPS:
            self.unresolved = self.unresolved or f"a HyperPyYAML reference chain of over {MAX_REF_HOPS} hops"
            return None
        self._resolved[ref] = None  # (in progress: a cycle reaches none)
        whole, attr = ref, None
        if "." in ref:
            ref, attr = ref.split(".", 1)
        parts = [p.strip("]") for p in ref.strip().split("[")]
        if len(parts) > MAX_REF_PARTS:
            self.unresolved = self.unresolved or f"a HyperPyYAML reference of over {MAX_REF_PARTS} [...] parts"
            return None
        heads = [parts[0]]
        for p in parts[1:]:
            heads.append(f"{heads[-1]}[{p}]")
        name: str | None = None
        for n in range(len(parts), 0, -1):  # the longest prefix of the walk that names a kept node
            what = self.nodes.get(heads[n - 1])
            if what is None:
                continue
            rest = parts[n:]
            kind, value = what
            if kind == "call":
                # (getattr through a module's attributes or an object's items: judged as the path it reaches)
                name = ".".join([value, *rest]) if rest else value
            elif kind == "alias":
                name = self.resolve(value + "".join(f"[{p}]" for p in rest), hops + 1)
            else:
                sub = value if not rest else None
                if rest and "." not in value:
                    sub = value + "".join(f"[{p}]" for p in rest)
                name = self.resolve(sub, hops + 1) if sub is not None else None
            break
        out = None if name is None else (f"{name}.{attr}" if attr else name)
        self._resolved[whole] = out
        return out

    def _hyper_tag(self, tag: str, event: yaml.Event) -> str | None:
        """Note a local tag; the dotted path of a call tag (None for any other)."""
        for prefix in HYPER_CALLS:
            if tag.startswith(prefix):
                # pydoc.locate drops empty parts (``os..system`` is ``os.system``)
                name = ".".join(p for p in tag[len(prefix):].split(".") if p)
                self._add("hyper", (prefix, name), MAX_HYPER)
                return name
        if tag.startswith(HYPER_INCLUDE):
            self._add("includes", tag[len(HYPER_INCLUDE):], MAX_HYPER)
        elif tag in HYPER_DATA:
            self.hyper_data = True
            value = getattr(event, "value", None)
            if tag in ("!ref", "!copy") and isinstance(value, str):
                if "<" in value and not _HYPER_REF.fullmatch(value):
                    # (recursive_resolve: each <x> replaced by str() of its value, and parse_arithmetic evaluates
                    # the text built: a value holding a Python string literal may become any text, red team 120y-2)
                    self.ref_mixed = True
                    if value[:1] in "(<" and value[-1:] in ")>":  # (it may start with "(" and end with ")")
                        self.ref_builds = True
                for ref in _HYPER_REF.findall(value):
                    if "." in ref:  # hyperpyyaml deref: ``<a.attr>`` is getattr(a, "attr") at load
                        root, attr = ref.split(".", 1)
                        self._add("ref_attrs", (root.strip(), attr), MAX_HYPER)
        else:
            self._add("local", tag, MAX_TAGS)
        return None

    def _ref_literal(self, value: str, budget: EventBudget) -> None:
        """A ``!ref``/``!copy`` expression holding a quote (red team 120y-2): hyperpyyaml's ``parse_arithmetic``
        (``_ast_eval``) evaluates Python string literals — escapes decoded — and ``+``/``*``/``%`` on them, so
        the text it builds is not the text written; a ``(…)`` result is a ``!tuple`` parsed again with
        ``yaml.Loader``. The literals are decoded here (``ast.literal_eval``: data only) and their
        concatenation read as the tuple path reads it; the expression itself stays unchecked (:attr:`ref_quoted`)."""
        import ast
        import io
        import tokenize

        self.ref_quoted = True
        self.ref_builds = True
        if (spent := budget.spend_text(len(value))) is not None:
            self.bounded = self.bounded or spent
            return
        decoded: list[str] = []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(_HYPER_REF.sub(" ", value)).readline):
                if tok.type == tokenize.STRING:
                    try:
                        lit = ast.literal_eval(tok.string)
                    except (SyntaxError, ValueError, MemoryError, RecursionError):  # (an f-string: not a constant)
                        continue
                    decoded.append(lit if isinstance(lit, str) else "")
        except (tokenize.TokenError, SyntaxError, ValueError, MemoryError, RecursionError):
            pass
        joined = "".join(decoded).strip()
        for lit in decoded:
            if "!" in lit:
                self.bang = True
                self._add("ref_literals", lit[:200], MAX_TAGS)
        if joined.startswith("(") and joined.endswith(")") and "!" in joined:
            self._tuple(joined, budget)

    def _tuple(self, value: str, budget: EventBudget) -> None:
        inner = "[" + value[1:-1] + "]"
        if (spent := budget.spend_text(len(inner))) is not None:
            self.bounded = self.bounded or spent
            return
        how = Outcome()
        for event in events(inner, yaml.BaseLoader, budget, how, MAX_PURE_YAML_CHARS):
            tag = getattr(event, "tag", None)
            if isinstance(tag, str) and is_python_tag(tag):
                self._add("tuples", tag, MAX_TAGS)
        if how.bounded is not None:
            self.bounded = self.bounded or how.bounded


def loaders() -> list[type[yaml.BaseLoader]]:
    """Both parsers a loader may use: PyYAML's own (``unsafe_load``, ``UnsafeLoader``,
    ``FullLoader``) and libyaml's (``CUnsafeLoader``, ``CFullLoader``). They differ on input
    (libyaml refuses ``%YAML 1.0``/``1.3``, which PyYAML reads on with a warning), so the tags
    of each reading are taken."""
    c = getattr(yaml, "CBaseLoader", None)
    return [yaml.BaseLoader, c] if isinstance(c, type) else [yaml.BaseLoader]


def is_python_tag(tag: str) -> bool:
    """A tag PyYAML's Python constructors answer to (the multi-constructor prefixes all start
    here); any case of the prefix is counted, to be safe."""
    return tag.lower().startswith(PYTHON_PREFIX)


def python_tags(text: str) -> TagScan:
    """The Python tags of every node of ``text`` as PyYAML's parsers resolve them: both readings
    (:func:`read_both`), their tags together; ``parsed`` only when a reading walked read the whole
    text and none stopped at a bound."""
    out = TagScan()
    if len(text) > MAX_BYTES:
        return TagScan(bounded=f"over {MAX_BYTES} characters")

    def read(loader: type[yaml.BaseLoader], limit: int | None) -> bool | None:
        one = tags_with(text, loader, limit=limit)
        out.merge(one)
        return None if one.bounded is not None else one.parsed

    results = read_both(read, text)
    out.parsed = all(r is True for r in results)
    out.read_any = any(r is True for r in results)
    return out


def read_both(read: Callable[[type[yaml.BaseLoader], int | None], bool | None], text: str) -> list[bool | None]:
    """A text read by each parser a loader may use (:func:`loaders`): ``read(loader, limit)`` walks
    one reading — True when it read the text to its end, False when it stopped at an error, None at a
    bound — and the results come back in order. libyaml's reading comes first; PyYAML's pure-Python
    one (OmegaConf's ``SafeLoader``, ``yaml.unsafe_load``) is read only when libyaml's stopped at an
    error — or when the text holds a BOM after its first character (:func:`known_to_differ`) — with
    ``limit`` :data:`~mlbom.limits.MAX_PURE_YAML_CHARS` (:func:`events`): on every other text libyaml
    reads to its end the pure-Python parser either yields the same events (but the ``implicit`` flags
    of a node tagged ``!``, which neither walk reads) or stops at an error in a document no
    pure-Python loader then loads (a differential fuzz of both: ``tools/yaml_backend_diff.py``;
    docs/scanning.md), so its reading adds nothing there — and it is some 30 times slower (1 MB of
    config: 3 s). Without libyaml the pure-Python parser is the only one, read without ``limit``."""
    c = loaders()
    if len(c) == 1:
        return [read(c[0], None)]
    first = read(c[1], None)
    if first is None or (first and not known_to_differ(text)):
        return [first]
    return [first, read(c[0], MAX_PURE_YAML_CHARS)]


def known_to_differ(text: str) -> bool:
    """Whether ``text`` holds what the two parsers read differently though both read it to its end:
    a BOM after the first character (libyaml skips one at the start of any line as if it were not
    there; PyYAML's scanner only at the very start, elsewhere it is content: ``"\ufeff  2"`` against
    ``"2"``, a ``"\ufeff- 1"`` scalar against a sequence) — the one such difference the differential
    fuzz found (docs/scanning.md)."""
    return "\ufeff" in text[1:]


@dataclass
class Outcome:
    """How one reading of :func:`events` ended: ``whole`` read to its end, else ``bounded`` (why)
    when it stopped at a bound, or neither when it stopped at an error."""

    whole: bool = False
    bounded: str | None = None
    documents: int = 0  # documents read to their end (``DocumentEndEvent``) before it ended


def events(text: str, loader: type[yaml.BaseLoader], budget: EventBudget, out: Outcome,
           limit: int | None = None) -> Iterator[yaml.Event]:
    """The events of ``text`` as ``loader``'s parser yields them, within ``budget``; how it ended in
    ``out``. ``limit``: only that many characters are handed to the parser (PyYAML's pure-Python
    scanner reads a single 1 MB token in a second): an error it stops at more than
    :data:`~mlbom.limits.PURE_YAML_MARGIN` characters before the cut is the text's own (the scanner
    decides a token by at most 1,024 characters ahead of it: a simple key), anything else — the cut
    read to its end, an error near it — is a bound."""
    cut = text if limit is None or len(text) <= limit else text[:limit]
    why = (f"libyaml refuses the text and PyYAML's pure-Python parser (OmegaConf's, yaml.unsafe_load's) reads on "
           f"past the first {limit} characters, which mlbom reads with it (the rest not checked)")
    try:
        for event in yaml.parse(cut, Loader=_counted(loader, budget)):
            if (bound := budget.spend()) is not None:
                out.bounded = bound
                return
            if isinstance(event, yaml.DocumentEndEvent):
                out.documents += 1
            yield event
    except _PureWorkSpent as spent:
        out.bounded = str(spent)
        return
    except (yaml.YAMLError, ValueError, RecursionError, MemoryError) as exc:
        if limit is not None and cut is not text:
            mark = getattr(exc, "problem_mark", None)
            at = getattr(mark, "index", None)
            if not isinstance(at, int) or at > limit - PURE_YAML_MARGIN:
                out.bounded = why
        return
    if cut is not text:
        out.bounded = why
        return
    out.whole = True


class _PureWorkSpent(Exception):
    """The pure-Python scanner passed a bound of its budget (the message says which)."""


class _Counted:
    """A pure-Python PyYAML loader that counts its scanner's work on an :class:`EventBudget`: each
    token fetched, and the saved simple keys it walks at each (one per open flow level: fuzzing found
    64 KB of broken JSON nested ~200 deep taking 2.7 s, characters × depth). The parse is PyYAML's own,
    unchanged; past :data:`~mlbom.limits.MAX_PURE_YAML_TOKENS` or :data:`~mlbom.limits.MAX_PURE_YAML_KEYS`
    it stops (:class:`_PureWorkSpent`) and the reading is bounded."""

    budget: EventBudget | None = None
    possible_simple_keys: dict[int, object]

    def fetch_more_tokens(self) -> None:
        if self.budget is not None:
            self.budget.spend_pure(len(self.possible_simple_keys))
        super().fetch_more_tokens()  # type: ignore[misc]


def _counted(loader: type[yaml.BaseLoader], budget: EventBudget) -> type[yaml.BaseLoader]:
    """``loader`` counting its scanner's work on ``budget`` (:class:`_Counted`) when its scanner is
    PyYAML's pure-Python one; libyaml's (a C extension, about 30 times faster and linear) as it is."""
    if not issubclass(loader, yaml.scanner.Scanner):
        return loader
    return type(f"Counted{loader.__name__}", (_Counted, loader), {"budget": budget})


class EventBudget:
    """The bound on one walk over PyYAML's event stream: :data:`MAX_EVENTS` events,
    :data:`MAX_ALIAS_CHARS` characters of scalars judged again through aliases and
    :data:`MAX_REALIASED` pending targets looked at again through aliases of their collection."""

    def __init__(self) -> None:
        self.events = 0
        self.alias_chars = 0
        self.realiased = 0
        self.text = 0  # characters of nested texts (resolver arguments) parsed on this budget
        self.pure_tokens = 0  # tokens PyYAML's pure-Python scanner fetched on this budget
        self.pure_keys = 0  # saved simple keys it walked, summed over those tokens
        # characters node interpolations resolved to on this budget (config_targets.MAX_RESOLVED_TEXT)
        self.resolved = 0

    def spend_text(self, n: int) -> str | None:
        """Count ``n`` characters of a nested text about to be parsed; the bound passed (as a
        reason) — :data:`MAX_NESTED_TEXT` — or ``None`` while within it. Each nested parse has a
        fixed cost beside its events, so their total size is bounded too (fuzzing found a 2 KB
        config whose arguments made a thousand parses; fix18y: 30,000 short strings naming code, each
        parsed as a config, took 4 s): each parse counts :data:`NESTED_PARSE_COST` characters more,
        so at most about 2,000 are made."""
        self.text += n + NESTED_PARSE_COST  # (30,000 short strings naming code: 4 s before it counted)
        return (f"over {MAX_NESTED_TEXT} characters of resolver arguments and strings parsed as configs (each "
                f"parse counting {NESTED_PARSE_COST} more)" if self.text > MAX_NESTED_TEXT else None)

    def spend_pure(self, keys: int) -> None:
        """Count one token PyYAML's pure-Python scanner fetches with ``keys`` simple keys saved;
        raises :class:`_PureWorkSpent` past :data:`~mlbom.limits.MAX_PURE_YAML_TOKENS` tokens or
        :data:`~mlbom.limits.MAX_PURE_YAML_KEYS` keys walked."""
        self.pure_tokens += 1
        self.pure_keys += keys
        if self.pure_tokens > MAX_PURE_YAML_TOKENS:
            raise _PureWorkSpent(f"PyYAML's pure-Python parser (OmegaConf's, yaml.unsafe_load's) reads on past "
                                 f"{MAX_PURE_YAML_TOKENS} tokens, which mlbom reads with it (the rest not checked)")
        if self.pure_keys > MAX_PURE_YAML_KEYS:
            raise _PureWorkSpent(f"PyYAML's pure-Python parser (OmegaConf's, yaml.unsafe_load's) walks over "
                                 f"{MAX_PURE_YAML_KEYS} saved simple keys (deep flow nesting: its time grows with "
                                 f"characters times depth), which mlbom reads with it (the rest not checked)")

    def spend(self) -> str | None:
        """Count one event; the bound passed (as a reason), or ``None`` while within it."""
        self.events += 1
        if self.events > MAX_EVENTS:
            return f"over {MAX_EVENTS} YAML events"
        return None

    def spend_realias(self, n: int) -> str | None:
        """Count ``n`` pending targets of an anchored collection looked at again where an alias copies
        it (red team 51f-2: 1,000 aliases of a mapping of 9,000 relative interpolations took 26 s, and
        100,000 ran past 300 s); the bound passed (as a reason), or ``None`` while within it."""
        self.realiased += n
        if self.realiased > MAX_REALIASED:
            return f"over {MAX_REALIASED} targets copied again through aliases of their collection"
        return None

    def spend_alias(self, n: int) -> str | None:
        """Count a scalar of ``n`` characters judged again where an alias repeats it (red team 50f-1:
        1,000 aliases of a 200,000-character scalar were 200 M characters of judging, 41 s); the bound
        passed (as a reason), or ``None`` while within it."""
        self.alias_chars += n
        if self.alias_chars > MAX_ALIAS_CHARS:
            return f"over {MAX_ALIAS_CHARS} characters of scalars repeated through aliases"
        return None


def composed(text: str, loader: type[yaml.BaseLoader], limit: int | None = None) -> Iterator[object]:
    """The documents of ``text`` as ``loader``'s composer builds their node graphs (aliases shared,
    nothing constructed), one at a time, under the bounds of a reading (:func:`events`: the first
    ``limit`` characters, a fresh :class:`EventBudget` counting the pure-Python scanner's work);
    it ends at the first error or bound."""
    cut = text if limit is None or len(text) <= limit else text[:limit]
    try:
        yield from yaml.compose_all(cut, Loader=_counted(loader, EventBudget()))
    except (_PureWorkSpent, yaml.YAMLError, ValueError, RecursionError, MemoryError):
        return


def tags_with(text: str, loader: type[yaml.BaseLoader], *, limit: int | None = None) -> TagScan:
    """The Python tags of ``text`` as one parser (``loader``'s) resolves them, bounded
    (``limit``: :func:`events`)."""
    out = TagScan()
    how = Outcome()
    budget = EventBudget()
    for event in events(text, loader, budget, how, limit):
        out.note(event, budget)
    out.parsed, out.bounded = how.whole, how.bounded or out.bounded
    return out
