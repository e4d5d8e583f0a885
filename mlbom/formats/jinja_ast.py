"""The Jinja2 side of :mod:`mlbom.formats.chat_template`: templates parsed by Jinja2's own
parser and judged on their syntax tree, never rendered (imported only when a template is
judged: Jinja2 costs start-up time).

A chat template travels inside a model (GGUF ``tokenizer.chat_template*`` keys,
``tokenizer_config.json``, ``chat_template.jinja``) and is rendered by transformers
(``ImmutableSandboxedEnvironment(trim_blocks, lstrip_blocks, extensions=[loopcontrols,
AssistantTracker])`` with the ``tojson`` filter and the ``raise_exception``/``strftime_now``
globals), by llama-cpp-python (the same jinja2 sandbox) and by llama.cpp's minja. A template
that reaches Python internals (``__class__``, ``__globals__``…) escapes a renderer without a
sandbox (CVE-2024-34359) and probes the sandbox of the others.

The template is parsed with Jinja2's own parser (so escapes such as ``'\\x5f'`` are already
decoded by its lexer). Constant string expressions are then folded (``~``, ``+``, ``%``,
``|join``, ``|format``, ``|replace``, ``|reverse``, case filters, slicing, str methods,
``{% set %}`` and ``{% for %}`` over constants) so a name built in pieces is judged whole.
What is flagged, with the verdict it implies:

- unsafe: dunder or ``_``-private attribute/item access (also through ``|attr``,
  attribute paths Jinja2 hands to make_attrgetter — ``attribute=``, the attribute argument of
  groupby/sum/sort…, selectattr, also through ``map('<filter>', …)`` —, ``str.format`` fields),
  ``mro``/``format_map``/frame
  and code attributes, Python modules and builtins (``os``, ``eval``, ``__import__``…),
  ``{% import %}``/``{% include %}``/``{% extends %}``/``{% from %}`` (a loader reads files);
- suspicious: filters, tests, globals and methods that the chat-template renderers do not
  provide; the sandbox gadgets ``self``, ``cycler``, ``joiner``, ``lipsum``, ``config``,
  ``request``; attribute or item names computed at render time; an attribute-path position
  (make_attrgetter, ``|attr``, the ``str.format`` receiver) holding anything but a folded
  constant or a loop variable over context data (red team 34j); an item key that folds to no
  constant and is neither a number nor context data (fail closed, red team 83s); ``.sort(key=…)``;
  a call of a template-bound
  non-macro name or of an unlisted method on one (``set f = grp[0]; f()``, ``grp.grouper()``);
  a name that NFKC-normalises to another (``ａ`` is ``a`` once compiled: judged as that name, 119sb-1);
- error: a template that Jinja2 cannot parse, or that exceeds the size/node budget.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import math
import re
import string
import types
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.ext import Extension, loopcontrols
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mlbom.limits import MAX_TEMPLATES_CHARS, MAX_TEMPLATES_COUNT
from mlbom.model import Judged, Severity, Verdict

MAX_TEMPLATE_CHARS = 64 << 10  # the largest real ones are ~17 KiB; Jinja2 parses ~30 KiB/s at worst
MAX_NODES = 200_000
MAX_DEPTH = 100  # syntax-tree levels judged (real chat templates: at most 29); the judge recurses per level
MAX_FOLD_VALUES = 64  # possible values kept per expression
MAX_FOLD_CHARS = 1 << 16  # a folded string longer than this is "unknown"
MAX_FINDINGS = 50
_ORDER = ("unsafe", "error", "suspicious", "safe")
MAX_TEMPLATES_TOTAL = MAX_TEMPLATES_CHARS  # characters of distinct templates judged per file
MAX_FOLD_WORK = 20_000_000  # characters produced by folding, per template
_BINDING_PASSES = 8  # passes of the binding collection before still-growing names are opaque
# nodes visited by the judge's fixpoints (every memoised predicate call and set lookup; ~600,000 a
# second): the 116 real templates need at most ~9,000; past it the sets are taken at their strict
# side and the template is reported (template.fixpoint-budget), never judged clean (117sb-1)
MAX_FIXPOINT_WORK = 250_000
# nodes the binding passes visit through the memoised predicates (each pass asks again of every
# binding): past it, the passes stop as after the last one — a name still changing is opaque, the
# closure of `computed`/`opaque` below makes every chain sound (red team 119sb-3: 95-deep `+`
# chains under 140 sets, 29 KB, took 1.7 s of judging)
MAX_BINDING_VISITS = 200_000

# Jinja2 3.1's builtin filters and tests plus what transformers and llama.cpp's minja add.
ALLOWED_FILTERS = frozenset({
    "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
    "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join",
    "last", "length", "list", "lower", "map", "max", "min", "pprint", "random", "reject", "rejectattr",
    "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags",
    "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount",
    "wordwrap", "xmlattr",
    "from_json",  # llama-cpp-python's and vLLM's environments
})
ALLOWED_TESTS = frozenset({
    "!=", "<", "<=", "==", ">", ">=", "boolean", "callable", "defined", "divisibleby", "eq", "equalto",
    "escaped", "even", "false", "filter", "float", "ge", "greaterthan", "gt", "in", "integer", "iterable",
    "le", "lessthan", "lower", "lt", "mapping", "ne", "none", "number", "odd", "sameas", "sequence",
    "string", "test", "true", "undefined", "upper",
})
# Globals a renderer provides: Jinja2's defaults minus the gadgets below, plus transformers'.
ALLOWED_GLOBALS = frozenset({"range", "dict", "namespace", "raise_exception", "strftime_now"})
# Defaults of a Jinja2 environment (or of Flask's) that no chat template needs and that the
# published sandbox-escape payloads start from.
GADGET_GLOBALS = frozenset({"self", "cycler", "joiner", "lipsum", "config", "request", "url_for", "g",
                            "session", "get_flashed_messages"})
# Names that only make sense as Python modules or builtins.
PYTHON_NAMES = frozenset({
    "os", "sys", "subprocess", "builtins", "__builtins__", "importlib", "posix", "nt", "shutil", "socket",
    "pty", "io", "open", "eval", "exec", "compile", "getattr", "setattr", "delattr", "globals", "locals",
    "vars", "__import__", "breakpoint", "input", "object", "type", "super", "classmethod", "staticmethod",
    "memoryview", "pickle", "marshal", "ctypes", "codecs",
})
# Context variables whose values come from the model itself (tokenizer config / GGUF metadata):
# a name built from them is chosen by whoever made the model file.
MODEL_SUPPLIED = frozenset({"bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token",
                            "additional_special_tokens", "special_tokens_map"})
# Context variables the application passes when it renders (transformers' apply_chat_template and
# the chat template kwargs real templates read): the only names the judge takes for the user's
# own data. Every other name the template does not bind may come from the model file itself —
# transformers passes every ``*_token`` of tokenizer_config.json and every key of its
# ``extra_special_tokens`` as a variable (red team 35j-1) — so it is not context data.
# Only the names transformers' ``apply_chat_template`` binds itself: any other variable (a chat
# template kwarg such as ``date_string``, ``enable_thinking``, ``system_message``) may as well be a
# key of the model's own ``extra_special_tokens``, which transformers 5 passes under the same name
# (red team 98sb-3), so it is never taken for the application's data.
CALLER_SUPPLIED = frozenset({"messages", "tools", "documents", "add_generation_prompt"})
# Attributes that reach interpreter internals without a leading underscore.
DANGEROUS_ATTRS = frozenset({
    "mro", "format_map", "func_globals", "func_code", "f_globals", "f_locals", "f_builtins", "f_back", "f_code",
    "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "tb_frame", "tb_next", "co_code",
    "im_func", "im_self", "im_class", "environment", "globals", "module", "exported_vars", "eval_ctx",
})
# Methods of str, list, dict and loop objects that templates call (the sandbox allows these).
ALLOWED_METHODS = frozenset({
    # str
    "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format", "index",
    "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
    "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition",
    "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip",
    "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper", "zfill",
    # list / dict
    "append", "extend", "insert", "pop", "remove", "reverse", "sort", "copy", "clear", "get", "items", "keys",
    "values", "update", "setdefault", "popitem",
    # jinja loop / cycler-like helpers
    "cycle", "changed",
})

_DATA_LIKE = frozenset({"environment", "globals", "module", "exported_vars", "eval_ctx"})
_DUNDER = re.compile(r"__\w+__")
# a strftime format of directives, digits, letters, spaces and - / : , only: its output names nothing
# internal (a letter or '_' of the format's own would pass into the text as it is)
_DATE_DIRECTIVES = re.compile(r"(?:%[aAbBdHIjmMpSUwWyYZ]|[ \-/:,])+")
# names Jinja2's filters and markupsafe call on their operand (a namespace attribute stored under one
# is called without a call in the template: red team 107sb-1)
_PROTOCOL_NAMES = frozenset({"__html__", "__html_format__", "items", "keys", "values", "join", "get", "format",
                             "format_map", "splitlines", "split", "replace"})
_MAX_FORMAT_FIELDS = 4096  # fields of one format string examined (more: judged as reading attributes)


class _RunCache:
    """What one judge run keeps of the format strings it meets: each parsed once however many nodes
    fold it (red team 118sb-1/-2: 60 nodes folding one 4,000-field string 64 ways each parsed it
    7,680 times, 23 s). Per run, not per process: a 64-entry LRU was defeated by 65 strings in
    rotation (119sb-2: 7.5 s). A parse is charged to the run's fold budget (its characters plus
    ``_FIELD_COST`` per field), so the strings parsed — and what is kept of them — are bounded by
    the budget, whatever their number."""

    def __init__(self) -> None:
        self.accesses: dict[str, tuple[tuple[bool, str], ...]] = {}
        self.shapes: dict[str, tuple[int, int, int, bool] | None] = {}
        self.spent = 0  # fold budget spent on parses, taken by the judge (:meth:`_Judge.values`)
        self.parses = 0


_RUN_CACHE: contextvars.ContextVar[_RunCache | None] = contextvars.ContextVar("mlbom_template_run", default=None)


_FIELD_COST = 16  # fold budget per replacement field parsed (~0.5 µs each: ~1 s for the whole budget)


def _parse_cost(fmt: str, fields: int) -> int:
    return len(fmt) + _FIELD_COST * fields


def format_accesses(fmt: str) -> tuple[tuple[bool, str], ...]:
    """:func:`_format_accesses`, once per string in a judge run (:class:`_RunCache`)."""
    run = _RUN_CACHE.get()
    if run is None:
        return tuple(_format_accesses(fmt))
    got = run.accesses.get(fmt)
    if got is None:
        got = run.accesses[fmt] = tuple(_format_accesses(fmt))
        run.parses += 1
        run.spent += _parse_cost(fmt, len(got))
    return got


def _format_accesses(fmt: str) -> list[tuple[bool, str]]:
    """Every attribute (``True``) and item (``False``) name that ``fmt.format(...)`` reads, in every
    replacement field and nested format spec, found with Python's own field parser
    (``string.Formatter.parse``, ``_string.formatter_field_name_split``): ``{0.gi_frame.f_globals[t]}``
    reads ``gi_frame``, ``f_globals`` and ``t`` (red team 96sb-4: a regex looked for a leading ``_``
    only). A string malformed past some field still had its earlier fields read: they are kept.
    More than ``_MAX_FORMAT_FIELDS`` fields is reported as one attribute named ``…``."""
    import importlib

    field_split = importlib.import_module("_string").formatter_field_name_split  # str.format's own parser (no stub)

    out: list[tuple[bool, str]] = []
    pending = [fmt]
    fields = 0
    while pending:
        text = pending.pop()
        try:
            for _literal, field, spec, _conv in string.Formatter().parse(text):
                if field is None:
                    continue
                fields += 1
                if fields > _MAX_FORMAT_FIELDS:
                    return [*out, (True, "…")]
                _first, rest = field_split(field)
                out.extend((bool(is_attr), str(name)) for is_attr, name in rest)
                if spec and "{" in spec:
                    pending.append(spec)
        except ValueError:  # str.format raises here too, after reading the fields before it
            continue
    return out


TemplateFinding = Judged  # one judgement about a template (the format readers' type, mlbom.model)


class _Generation(Extension):
    """transformers' ``{% generation %}…{% endgeneration %}`` tag (AssistantTracker)."""

    tags = {"generation"}  # noqa: RUF012 - Jinja2's Extension API

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.Scope(body, lineno=lineno)


def _environment() -> ImmutableSandboxedEnvironment:
    # Used only to PARSE: Environment.parse lexes and builds the tree; nothing is compiled or run.
    return ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                         extensions=[loopcontrols, _Generation])


_ENV = _environment()


def check_template(source: str, *, where: str = "chat template") -> list[TemplateFinding]:
    """Findings for one Jinja2 chat template (an empty list: nothing dangerous found)."""
    if len(source) > MAX_TEMPLATE_CHARS:
        return [TemplateFinding("template.too-large", "high",
                                f"{where}: {len(source)} characters exceed the {MAX_TEMPLATE_CHARS} limit; not judged",
                                "error")]
    try:
        with warnings.catch_warnings():  # Jinja2 decodes '\<' in string literals with a DeprecationWarning
            warnings.simplefilter("ignore", DeprecationWarning)
            tree = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        return [TemplateFinding("template.unparseable", "high",
                                f"{where}: Jinja2 cannot parse it (line {exc.lineno}: {str(exc.message)[:160]})", "error")]
    except (RecursionError, MemoryError):
        return [TemplateFinding("template.unparseable", "high", f"{where}: nested too deeply to parse", "error")]
    except Exception as exc:  # the lexer raises a few non-TemplateSyntaxError errors on odd input
        return [TemplateFinding("template.unparseable", "high",
                                f"{where}: Jinja2 cannot parse it ({type(exc).__name__}: {str(exc)[:160]})", "error")]
    token = _RUN_CACHE.set(_RunCache())
    try:
        return _Judge(tree, where).run()
    except RecursionError:  # MAX_DEPTH keeps the judge well inside the limit; a deep caller stack may not
        return [TemplateFinding("template.too-deep", "high", f"{where}: nested too deeply to judge", "error")]
    finally:
        _RUN_CACHE.reset(token)


def check_templates(pairs: Iterable[tuple[str, str]], *, where: str = "") -> list[TemplateFinding]:
    """Judge several templates of one file (``(name, template)`` pairs): identical texts once,
    at most :data:`MAX_TEMPLATES_TOTAL` characters and :data:`MAX_TEMPLATES_COUNT` templates in
    all (the rest is an ``error`` finding)."""
    out: list[TemplateFinding] = []
    seen: set[str] = set()
    budget = MAX_TEMPLATES_TOTAL
    judged = unjudged = 0
    prefix = f"{where}: " if where else ""
    for name, template in pairs:
        if template in seen:
            continue
        seen.add(template)
        budget -= len(template)
        if budget < 0 or judged >= MAX_TEMPLATES_COUNT:
            unjudged += 1
            if unjudged <= 5:  # the messages are capped, the effect (error) is not
                out.append(TemplateFinding("template.too-many", "high", f"{prefix}{name}: chat templates exceed "
                                           f"{MAX_TEMPLATES_TOTAL} characters or {MAX_TEMPLATES_COUNT} distinct "
                                           "templates in total; not judged", "error"))
            continue
        judged += 1
        out.extend(check_template(template, where=f"{prefix}{name}"))
    return out


# ---- the judge -----------------------------------------------------------------------------

_Values = list[Any]  # possible constant values of an expression


class _Unknown(Exception):
    pass


class _TooLarge(_Unknown):
    """A fold refused BEFORE it was built: its result would exceed :data:`MAX_FOLD_CHARS` (red team
    117sb-2/3: ``'{0:{1}}'.format('a', N)`` and a join with a 64 KiB separator built hundreds of
    megabytes, then refused them). Charged to the fold budget (:meth:`_Judge.values`)."""


class _BudgetSpent(_Unknown):
    """The fold budget ran out in the middle of a fold (:meth:`_Judge._charge_operands`)."""


def _prices(sets: list[_Values]) -> dict[int, int]:
    """:func:`_walk_cost` of every operand value, once per value (by ``id``: the values are alive as
    long as ``sets``)."""
    return {id(v): _walk_cost(v) for vs in sets for v in vs}


def _walk_cost(value: Any) -> int:
    """What a filter or method fold spends on an operand in Python before the result exists:
    :data:`_ITEM_COST` per element of a list, tuple or dict at any depth (sizing, checking and
    Jinja2's filters walk them element by element), 1 for anything else — a string's characters
    are handled by C code and paid for in the result (:meth:`_Judge.values`)."""
    total = 0
    stack = [value]
    while stack and total <= MAX_FOLD_VALUE_COST:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            total += _ITEM_COST * (len(v) + 1)
            stack.extend(v)
        elif isinstance(v, dict):
            total += _ITEM_COST * (2 * len(v) + 1)
            stack.extend(v.keys())
            stack.extend(v.values())
        else:
            total += 1
    return total


def _size_ok(n: int) -> None:
    """Refuse (:class:`_TooLarge`) a fold whose result may hold more than :data:`MAX_FOLD_CHARS` characters."""
    if n > MAX_FOLD_CHARS:
        raise _TooLarge


def _str_bound(value: Any, repr_factor: int = 1) -> int:
    """An upper bound of ``len(str(value))`` (times ``repr_factor`` for a string shown by ``!r``/``!a``
    or escaped), cheap: a number or None at most 400 characters (``'%d' % 1e308``), a container by
    its :func:`_cost` (each element's quotes and separators are within its share)."""
    if isinstance(value, str):
        return len(value) * repr_factor + 2
    if value is None or isinstance(value, (bool, int, float)):
        return 400
    return (_cost(value) + 16) * max(repr_factor, 4)


def _is_private(name: object) -> bool:
    return isinstance(name, str) and name.startswith("_")


def _product(*sets: _Values) -> Iterator[tuple[Any, ...]]:
    """The cartesian product, refused (unknown) when it would exceed the value bound."""
    n = 1
    for values in sets:
        n *= len(values)
        if n > MAX_FOLD_VALUES:
            raise _Unknown
    return itertools.product(*sets)


def _cost(value: Any) -> int:
    """What holding ``value`` costs the judge: its characters plus :data:`_ITEM_COST` per element
    of a list, tuple or dict at any depth (telling values apart, deduplicating and measuring are
    Python-level work per element). Past :data:`MAX_FOLD_VALUE_COST` the value is unknown: folding
    ``('ab ' * 21000).split(' ')`` in a loop of 64 kept 64 lists of 21,000 strings and compared
    them pairwise, a 319-character template took 5 s (red team 102sb)."""
    total = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v)
        elif isinstance(v, (list, tuple)):
            total += _ITEM_COST * (len(v) + 1)
            if total <= MAX_FOLD_VALUE_COST:
                stack.extend(v)
        elif isinstance(v, dict):
            total += _ITEM_COST * (2 * len(v) + 1)
            if total <= MAX_FOLD_VALUE_COST:
                stack.extend(v.keys())
                stack.extend(v.values())
        else:
            total += 1
        if total > MAX_FOLD_VALUE_COST:
            raise _TooLarge
    return total


_ITEM_COST = 64
_APPLY_COST = 256  # fold budget charged per application of a fold (one combination of operand values)
MAX_FOLD_VALUE_COST = 1 << 18  # per folded value: 4,096 elements, or 256 KiB of characters


def _identity(value: Any) -> Any:
    """A hashable stand-in for ``value``, equal to another's exactly when the values are ``==``
    (lists and tuples kept apart, as ``==`` keeps them): values are told apart by hashing, not by
    comparing each with each. Only for values :func:`_cost` accepted (bounded size; nesting
    depth bounded by it too: each level costs an element)."""
    if isinstance(value, (list, tuple)):
        return ("list" if isinstance(value, list) else "tuple", tuple(_identity(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((_identity(k), _identity(v)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        return ("object", id(value))  # compared by identity, as == compares most objects
    return value


def _bounded(values: Iterable[Any]) -> _Values:
    out: _Values = []
    seen: set[Any] = set()
    for v in values:
        if isinstance(v, str) and len(v) > MAX_FOLD_CHARS:
            raise _TooLarge
        _cost(v)
        key = _identity(v)
        if key not in seen:
            seen.add(key)
            out.append(v)
        if len(out) > MAX_FOLD_VALUES:
            raise _Unknown
    return out


_SIMPLE_PERCENT = re.compile(r"%(?:\([^)]{0,40}\))?[-#0 +]?[sdircaxXoeEfFgG%]")


def _percent(fmt: str, args: Any) -> str:
    # Only simple conversions: a width or precision could ask for gigabytes.
    if _SIMPLE_PERCENT.sub("", fmt).count("%"):
        raise _Unknown
    # and the result's size bounded before it is built: '%(a)s' * 10000 % {'a': 'x' * 65536} (117sb-3)
    values = list(args.values()) if isinstance(args, dict) else list(args) if isinstance(args, tuple) else [args]
    # %r/%a show a character in up to 10 (\U000e0000); Markup's % escapes it in up to 6 (&#34;)
    factor = 10 if re.search(r"%(?:\([^)]*\))?[-#0 +]?[ra]", fmt) else 6
    widest = max((_str_bound(v, factor) for v in values), default=0)
    _size_ok(len(fmt) + fmt.count("%") * widest)
    try:
        return str(fmt % args)
    except (TypeError, ValueError, KeyError, OverflowError):
        raise _Unknown from None


def _call_str_method(obj: Any, meth: str, args: list[Any]) -> Any:
    if not isinstance(obj, str):
        raise _Unknown
    if meth == "join" and len(args) == 1 and isinstance(args[0], (list, tuple)):
        _join_size(obj, args[0])
        return obj.join(str(a) for a in args[0])
    if meth == "replace" and len(args) in (2, 3) and all(isinstance(a, str) for a in args[:2]):
        if len(args[1]) > 1 and len(args[0]) < len(args[1]) and len(obj) * len(args[1]) > MAX_FOLD_CHARS:
            raise _Unknown
        if len(args) == 3 and not isinstance(args[2], int):
            raise _Unknown  # str.replace takes no text as its count (int("²") crashed the scan: red team 75c)
        return obj.replace(*args)
    if meth in ("upper", "lower", "title", "capitalize", "swapcase", "casefold", "strip", "lstrip", "rstrip") and len(args) <= 1:
        fn = getattr(str, meth)
        return fn(obj, *args) if args and isinstance(args[0], str) else fn(obj)
    if meth == "format":
        if "{" in obj and format_accesses(obj):
            raise _Unknown  # fields read attributes or items: the value is not the string (100sb-2)
        try:
            _format_size(obj, args)
            return obj.format(*args)
        except (IndexError, KeyError, ValueError, AttributeError, TypeError):
            raise _Unknown from None
    if meth in ("removeprefix", "removesuffix") and len(args) == 1 and isinstance(args[0], str):
        return getattr(obj, meth)(args[0])
    if meth in ("split", "rsplit", "partition", "rpartition", "splitlines") and len(args) <= 2 \
            and all(isinstance(a, (str, int)) or a is None for a in args):
        # the pieces counted before they are made: each costs _ITEM_COST (117sb, own probe: b.split('b'))
        sep = args[0] if args and isinstance(args[0], str) and meth in ("split", "rsplit") else None
        pieces = obj.count(sep) + 1 if sep else len(obj) + 1
        if meth not in ("partition", "rpartition"):
            _size_ok(_ITEM_COST * pieces // 4)
        try:
            return list(getattr(obj, meth)(*args))
        except (TypeError, ValueError):
            raise _Unknown from None
    raise _Unknown


def _raise_unknown() -> str:
    raise _Unknown


def _join_size(sep: Any, items: Any) -> None:
    """Refuse a join whose result may exceed :data:`MAX_FOLD_CHARS`, before building it (117sb-3:
    ``('b' * 65536).join([''] * 4000)`` built 262 M characters)."""
    if not isinstance(items, (list, tuple, str)):
        raise _Unknown
    n = len(items)
    _size_ok(_str_bound(sep, 6) * max(n - 1, 0))
    # a string's items are its characters, each _str_bound 8: counted, not walked in Python (119sb-4)
    items_bound = 8 * n if isinstance(items, str) else sum(_str_bound(i, 6) for i in items)
    _size_ok(_str_bound(sep, 6) * max(n - 1, 0) + items_bound)


def _format_size(fmt: str, args: list[Any]) -> None:
    """Refuse a ``str.format`` fold whose result may exceed :data:`MAX_FOLD_CHARS`, before building
    it: a spec with a nested field (``'{0:{1}}'.format('a', N)``: the width is an ARGUMENT, 117sb-2)
    or a width/precision of 4 digits or more is never folded; else every field counts its widest
    argument (shown with ``!r``/``!a`` at most 10 characters per character) plus its spec's numbers."""
    shape = _format_shape(fmt)
    if shape is None:
        raise _TooLarge
    if shape == _MALFORMED:
        raise _Unknown  # (str.format raises on it too)
    literal, fields, digits, shown = shape
    widest = max((_str_bound(a, 10 if shown else 6) for a in args), default=0)
    _size_ok(literal + fields * widest + digits)


_MALFORMED = (-1, -1, -1, False)  # _format_shape of a string str.format cannot parse


def _format_shape(fmt: str) -> tuple[int, int, int, bool] | None:
    """:func:`_format_shape_of`, once per string in a judge run (:class:`_RunCache`)."""
    run = _RUN_CACHE.get()
    if run is None:
        return _format_shape_of(fmt)
    if fmt in run.shapes:
        return run.shapes[fmt]
    got = run.shapes[fmt] = _format_shape_of(fmt)
    run.parses += 1
    run.spent += _parse_cost(fmt, _MAX_FORMAT_FIELDS if got is None or got == _MALFORMED else got[1])
    return got


def _format_shape_of(fmt: str) -> tuple[int, int, int, bool] | None:
    """What :func:`_format_size` needs of a format string (118sb-1/-2): the characters of
    its literal text, its replacement fields, the sum of the numbers in their specs, and whether one
    shows its argument with ``!r``/``!a``; None when it is never folded (more than
    ``_MAX_FORMAT_FIELDS`` fields, a nested field in a spec, a width or precision of 4 digits or more)."""
    try:
        parsed = list(itertools.islice(string.Formatter().parse(fmt), _MAX_FORMAT_FIELDS + 1))
    except ValueError:
        return _MALFORMED
    if len(parsed) > _MAX_FORMAT_FIELDS:
        return None
    literal = fields = digits = 0
    for text, name, spec, _conv in parsed:
        literal += len(text)
        if name is None:
            continue
        if spec and ("{" in spec or re.search(r"\d{4,}", spec)):
            return None
        fields += 1
        digits += sum(int(d) for d in re.findall(r"\d+", spec or ""))
    return literal, fields, digits, any(conv in ("r", "a") for _t, _n, _s, conv in parsed)


# Filters folded over constants by calling Jinja2's own filter (``Environment.call_filter``), so a
# folded value is the value the renderer computes: a re-implementation differed (red team 95sb-1:
# ``trim('x')`` stripped blanks only, ``sort``/``unique`` compared case-sensitively, ``title``
# split words as ``str.title`` does, ``e`` did not escape; each turned a harmless-looking constant
# into ``_``). Only pure filters of str/list values: none reads an attribute path or the context.
_FOLDED_FILTERS = frozenset({"string", "safe", "e", "escape", "forceescape", "d", "default", "lower", "upper",
                             "title", "capitalize", "trim", "reverse", "list", "first", "last", "join", "replace",
                             "sort", "unique"})
_MAX_PLAIN_DEPTH = 4


def _plain(value: object, depth: int = 0) -> bool:
    """A constant the template itself could have written (str — Markup included —, number, bool,
    None, or a short nesting of lists/tuples of them): safe to hand to a real filter."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, (list, tuple)) and depth < _MAX_PLAIN_DEPTH:
        return all(_plain(v, depth + 1) for v in value)
    return False


def _filter_value(name: str, value: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if name == "format" and isinstance(value, str):
        return _percent(value, tuple(args) if args else kwargs)  # bounded widths: not jinja2's own
    if name not in _FOLDED_FILTERS or "attribute" in kwargs or not _plain(value) \
            or not all(_plain(v) for v in (*args, *kwargs.values())):
        raise _Unknown
    if name == "replace":
        if not isinstance(value, str) or len(args) not in (2, 3) or kwargs:
            raise _Unknown
        _call_str_method(value, "replace", args)  # its size and count checks
    if name in ("list", "sort", "unique") and isinstance(value, str):
        # a list of its characters, each an element: counted before it is made (117sb, own probe:
        # 2,500 × ('b' * 65536)|sort took 14 s, each sorted and then refused)
        _size_ok(_ITEM_COST * (len(value) + 1) // 4)
    if name == "join":  # (['']*4000)|join('b'*65536): sized before it is built (117sb-3)
        _join_size(args[0] if args else kwargs.get("d", ""), value)
    try:
        out = _ENV.call_filter(name, value, args, kwargs)
    except Exception:  # whatever a filter raises on these values, the renderer raises too
        raise _Unknown from None
    if isinstance(out, Iterator):  # unique, reverse of a list: generators
        out = list(itertools.islice(out, MAX_FOLD_CHARS + 1))
    if not _plain(out):  # Undefined (first of nothing), anything else
        raise _Unknown
    return out


# Operations whose result is a number or a truth value whatever their operands (not ``and``/``or``:
# like Python's, Jinja2's return one of their OPERANDS — ``none or 'x'`` is 'x', red team 83s-1).
_NUMERIC_NODES = (nodes.Compare, nodes.Test, nodes.Not, nodes.Sub, nodes.Div, nodes.FloorDiv,
                  nodes.Pow, nodes.Neg, nodes.Pos)
# loop attributes that hold numbers or truth values (loop.previtem/nextitem/cycle() hold values)
_NUMERIC_LOOP_ATTRS = frozenset({"index", "index0", "revindex", "revindex0", "length", "first", "last", "depth",
                                 "depth0"})
_NUMERIC_FILTERS = frozenset({"length", "count", "int", "float", "abs", "round", "wordcount", "filesizeformat"})
# Filters whose n-th positional argument is an attribute path (make_attrgetter).
# Jinja2's filters whose ``attribute`` parameter goes to make_attrgetter/make_multi_attrgetter (a
# path: split on ``,`` (multi) and ``.``, each part read with getattr/getitem), by its position among
# the arguments after the value (from the real signatures; tests/formats/test_rt33e.py walks
# jinja2.filters.FILTERS and TESTS with inspect and fails on one not classified here). The filters
# that take ``*args`` apply another filter/test by name (_NAMED_CALLABLE) and are followed there.
_ATTRIBUTE_ARG = {"groupby": 0, "sum": 0, "unique": 1, "min": 1, "max": 1, "join": 1, "sort": 2}
_NAMED_CALLABLE = frozenset({"map", "select", "reject", "selectattr", "rejectattr"})
_MAX_MAP_DEPTH = 8  # map('map', 'map', …) nesting followed
# Filters that keep (a selection of) the context data they are given.
# (not default/batch/slice: their arguments put the template's own values in)
# filters that return a generator object (jinja2.filters: select_or_reject, do_unique, do_map,
# do_items, do_batch, do_slice yield): iterated it gives data, used as a value it is Python's
_GENERATOR_FILTERS = frozenset({"select", "reject", "selectattr", "rejectattr", "unique", "map", "items", "batch",
                                "slice"})
_CONTEXT_FILTERS = frozenset({"selectattr", "rejectattr", "select", "reject", "reverse", "list", "sort", "unique",
                              "dictsort", "first", "last", "items"})
# Methods of context data whose result is (a piece of) that data, given constant or data arguments:
# nothing of the template's own goes in (not replace/join/format/center/partition…: they insert
# their arguments; not get with a default: the default is the template's own value).
_DATA_METHODS = frozenset({"split", "rsplit", "splitlines", "strip", "lstrip", "rstrip", "lower", "upper", "title",
                           "capitalize", "casefold", "swapcase", "removeprefix", "removesuffix", "items", "values",
                           "keys", "copy", "get"})
# Filters that keep the characters of the context data they are given (arguments: constants or data).
_DATA_STRING_FILTERS = frozenset({"lower", "upper", "trim", "title", "capitalize"})
# methods and attributes of the builtin types context data and constants may be (a bound method's
# repr names it: <built-in method as_integer_ratio of int object at 0x…>)
_BUILTIN_METHODS = frozenset(n for t in (str, bytes, int, float, bool, complex, list, tuple, dict, set, frozenset)
                             for n in dir(t) if not n.startswith("_"))
# str/list methods whose value is an int or a bool (113sb-2)
_INT_METHODS = frozenset({"count", "find", "rfind", "index", "rindex", "startswith", "endswith"}
                         | {n for n in dir(str) if n.startswith("is")})
# Methods that put their arguments into the receiver (its elements then come from them too).
_MUTATING_METHODS = frozenset({"append", "extend", "insert", "update", "setdefault"})
# Methods that change a list or dict in place (red team 111sb-2: after ``L.append(x)``, ``L[-1]`` is x,
# not the literal's last constant). Once the template calls one — on any receiver: an alias, an
# element, a namespace attribute may be the same object — no list, tuple or dict a name holds is folded.
_CONTAINER_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear",
                                 "update", "setdefault", "popitem"})
# filters whose value is a string, a number or a truth value: no Python object of Jinja2's (116sb-1)
_GEN_SAFE_FILTERS = frozenset({"length", "count", "join", "string", "lower", "upper", "trim", "title", "capitalize",
                               "tojson", "int", "float", "abs", "round", "wordcount", "e", "escape", "forceescape",
                               "safe", "format", "replace", "indent", "center", "truncate", "wordwrap", "urlencode",
                               "urlize", "striptags", "xmlattr", "filesizeformat", "pprint"})
# what a generator object has besides dunders (gi_frame, gi_yieldfrom, send…)
_GENERATOR_ATTRS = frozenset(n for t in (types.GeneratorType, types.AsyncGeneratorType, types.CoroutineType)
                             for n in dir(t) if not n.startswith("_"))  # (an async environment's filters)
_STRING_OPS = (nodes.Concat, nodes.Add, nodes.Mod, nodes.Mul, nodes.Filter, nodes.Call, nodes.CondExpr, nodes.Slice)


@dataclass
class _MacroUses:
    """Per name: how many macros define it, whether a ``{% call %}`` block calls it, whether it is
    read as a value (not as the callee of a call), and the calls of it by name in tree order."""

    defined: dict[str, int] = field(default_factory=dict)
    call_blocks: set[str] = field(default_factory=set)
    as_value: set[str] = field(default_factory=set)
    calls: dict[str, list[nodes.Call]] = field(default_factory=dict)


# Names whose value (when the template does not bind them) is a Python object of Jinja2's, the
# renderer's or Flask's, not data: its attributes lead to functions and their __globals__ (113sb-1).
_PYTHON_OBJECT_NAMES = ALLOWED_GLOBALS | GADGET_GLOBALS | {"loop", "caller", "varargs", "kwargs", "super", "<unknown>"}
# a receiver of unknown kind (the body of a filter block): no name a template can bind
_UNKNOWN = nodes.Name("<unknown>", "load")


@dataclass(frozen=True)
class _UnpackedFrom:
    """A marker: a tuple target's binding unpacks the elements of ``node``."""

    node: nodes.Node


class _Judge:
    def __init__(self, tree: nodes.Template, where: str) -> None:
        self.tree = tree
        self.where = where
        self.findings: list[TemplateFinding] = []
        self.seen: set[tuple[str, str]] = set()
        self.env: dict[str, _Values] = {}  # name (or "ns.attr") -> possible constant values
        self.computed: set[str] = set()  # names assigned a string built at render time
        self.tainted: set[str] = set(MODEL_SUPPLIED)  # names derived from model-supplied values
        self.macros: set[str] = set()
        self.defined: set[str] = set()  # names the template binds (set, for, macro, with, import)
        # names (or "ns.attr") with at least one binding whose value the judge cannot know —
        # macro/caller parameters, tuple targets, sets of unfoldable values — or that depends on one
        self.opaque: set[str] = set()
        self.context_loop: set[str] = set()  # names bound only over/to context data (messages, tools…)
        # "ns.attr" of names bound only to namespace(k=…) calls: context data by their bindings
        self.tracked: set[str] = set()
        self.mutates = False  # the template calls x.append/extend/insert/update/setdefault
        self.containers_mutated = True  # the template calls a _CONTAINER_MUTATORS method (set in _collect_bindings)
        self.numeric: set[str] = set()  # names (or "ns.attr") bound only to numbers/truth values
        self.attr_keys: dict[str, set[str]] = {}  # attribute name -> every "ns.attr" written with it
        self.mapping_attrs: set[str] = set()
        # folded values by id() of the node, each entry holding its node: an id is unique only
        # while its object lives, and the judge folds temporaries (a set block's Concat): a freed
        # one's id went to the next block's, which read the earlier block's value (102sb-5)
        self.cache: dict[int, tuple[nodes.Node, _Values | None]] = {}
        self.work = MAX_FOLD_WORK
        self._uses: _MacroUses | None = None
        self._reads: set[tuple[int, str]] | None = None  # while a fixpoint runs: the names a predicate looked up
        self._nodes: list[nodes.Node] | None = None  # every node below the root, in find_all's order
        self.fixpoint_work = MAX_FIXPOINT_WORK
        self.visits = 0  # memoised predicate calls, any question (MAX_BINDING_VISITS)
        self.literal_names: set[str] = set()  # names that may hold a mapping the template wrote
        self.literal_deep: set[str] = set()  # names that may hold one inside (a list of them…)
        self.key_names: set[str] = set()  # names that may hold a key of one (its own strings)
        self.key_cut: set[str] = set()  # names that may hold a piece of such a key, or one joined
        self.one_key: set[str] = set()  # names that may hold one such key, whole (a string)
        # answers of the key predicates per (predicate, node) while the sets they read stand still
        # (one fixpoint question, or the sinks after the fixpoints): a 190-deep filter chain was
        # walked again at every level, cubic in its depth (103sb-3)
        self._memo: dict[tuple[str, int], bool] | None = None
        # the same once every set is final (the checks after the fixpoints): each node answered once
        self._final_memo: dict[tuple[str, int], bool] | None = None
        self._alt_names: set[str] | None = None  # names whose every value is a harmless constant or data
        self._plain_names: set[str] | None = None  # names whose every value is data, a constant or a literal of them
        self._plain_formats: set[int] | None = None  # X.format attributes called with plain arguments only
        self._bindings: dict[str, list[nodes.Node | _UnpackedFrom | None]] = {}  # name -> what binds it
        self._iters: set[int] | None = None  # ids of the for loops' iterables
        self._path_memo: dict[str, bool] = {}  # name -> bound only to plain paths into the renderer's data
        # names (or "ns.attr") that may be a Python object of Jinja2's — a generator a filter
        # returns, loop, a macro… — and that may hold one inside (116sb-1); attributes of such
        # "ns.attr" (an alias of an unfollowed namespace may have written them)
        self.gen_is: set[str] = set()
        self.gen_holds: set[str] = set()
        self.gen_attrs: set[str] = set()
        self.walked: set[str] = set()  # names that may hold what a data-chosen walk reached (116sb lead)
        self._stringy_memo: dict[int, tuple[nodes.Node, bool]] = {}  # _stringy per node (a pure function; 119sb-3)
        self.aliased: set[str] = set()  # variable names some spelling of which NFKC-normalises to them (119sb-1)

    def add(self, fid: str, sev: Severity, msg: str, effect: Verdict | None, lineno: int) -> None:
        key = (fid, msg)
        if key in self.seen:
            return
        if len(self.findings) >= MAX_FINDINGS and (effect is None or any(
                f.id == fid and _ORDER.index(f.effect or "safe") <= _ORDER.index(effect) for f in self.findings)):
            return  # the cap is on messages, never on effects: a worse effect past it is still kept (rt9b F)
        self.seen.add(key)
        self.findings.append(TemplateFinding(fid, sev, f"{self.where}: line {lineno}: {msg}", effect))

    # -- constant folding ------------------------------------------------------------------

    def values(self, node: nodes.Node | None) -> _Values | None:
        if node is None:
            return None
        if isinstance(node, nodes.Const):  # constants are always known, whatever the budget
            return [node.value]
        key = id(node)
        if key in self.cache:
            return self.cache[key][1]
        self.cache[key] = (node, None)  # cycles (a set that refers to itself) fold to unknown
        if self.work <= 0:
            literal = _literal_value(node)
            if literal is not None:  # string constants joined in place: bounded by the template's text (118sb-3)
                self.cache[key] = (node, [literal])
                return [literal]
            self._fold_budget_spent(node)
            return None
        try:
            result: _Values | None = _bounded(self._fold(node))
        except _BudgetSpent:
            self._fold_budget_spent(node)
            result = None
        except _TooLarge:
            # refused for its size: charged as if built to the cap, so refusals cannot repeat for free (117sb-2)
            self.work -= MAX_FOLD_CHARS
            result = None
        except (_Unknown, RecursionError, MemoryError, ArithmeticError, TypeError, ValueError):
            # a fold Python refuses ('a'.upper('b')) is one the renderer refuses too: unknown (101sb-4)
            result = None
        if result is not None:
            self.work -= sum(_cost(v) for v in result)
        self._charge_parses()
        self.cache[key] = (node, result)
        return result

    def _fold_budget_spent(self, node: nodes.Node) -> None:
        self.add("template.fold-budget", "high", f"constant folding exceeded {MAX_FOLD_WORK} characters; "
                 "the rest of the template was judged without folding", "suspicious", node.lineno)

    def _charge_parses(self) -> None:
        """Take what the run's format-string parses cost from the fold budget (119sb-2)."""
        run = _RUN_CACHE.get()
        if run is not None and run.spent:
            self.work -= run.spent
            run.spent = 0

    def _need(self, node: nodes.Node | None) -> _Values:
        v = self.values(node)
        if v is None:
            raise _Unknown
        return v

    def _fold(self, node: nodes.Node) -> Iterable[Any]:
        if isinstance(node, nodes.Const):
            return [node.value]
        if isinstance(node, nodes.TemplateData):
            return [node.data]
        if isinstance(node, nodes.Name):
            if node.name in self.env and node.name not in self.unbound:
                return self._unchanged(self.env[node.name])
            raise _Unknown
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            k = f"{node.node.name}.{node.attr}"
            # only an attribute namespace(k=…) gives a value from the start: one set only by
            # `set ns.k` may be Undefined where it is read (a set that does not run; 101sb-2)
            # (and not where the name is the renderer's variable: read outside the with/for/macro
            # body that binds it, or before its set)
            if k in self.env and k in self.ns_initialised and node.node.name not in self.unbound:
                return self._unchanged(self.env[k])
            raise _Unknown
        if isinstance(node, (nodes.List, nodes.Tuple)):
            parts = [self._need(item) for item in node.items]
            return [list(c) if isinstance(node, nodes.List) else tuple(c) for c in self._combos(*parts)]
        if isinstance(node, nodes.Concat):
            parts = [self._need(n) for n in node.nodes]
            joined: list[str] = []
            for c in self._combos(*parts):
                _size_ok(sum(_str_bound(p) for p in c))  # x ~ x ~ … ~ x: sized before it is built (117sb-3)
                joined.append("".join(str(p) for p in c))
            return joined
        if isinstance(node, nodes.CondExpr):
            if node.expr2 is None:  # Jinja2 gives Undefined ('' when joined, |default's argument…): not folded (100sb-1)
                raise _Unknown
            return self._need(node.expr1) + self._need(node.expr2)
        if isinstance(node, (nodes.And, nodes.Or)):  # the left operand or the right one (83s-1)
            out = []
            for a in self._need(node.left):
                if bool(a) == isinstance(node, nodes.Or):
                    out.append(a)
                else:
                    out.extend(self._need(node.right))
            return out
        if isinstance(node, (nodes.Add, nodes.Mul, nodes.Mod)):
            out = []
            for a, b in self._combos(self._need(node.left), self._need(node.right)):
                out.append(self._binop(node, a, b))
            return out
        if isinstance(node, nodes.Getitem):
            out = []
            if isinstance(node.arg, nodes.Slice):
                starts = self._need(node.arg.start) if node.arg.start else [None]
                stops = self._need(node.arg.stop) if node.arg.stop else [None]
                steps = self._need(node.arg.step) if node.arg.step else [None]
                for obj, a, b, c in self._combos(self._need(node.node), starts, stops, steps):
                    if not isinstance(obj, (str, list, tuple)) or c == 0:
                        raise _Unknown
                    try:
                        out.append(obj[slice(a, b, c)])
                    except TypeError:
                        raise _Unknown from None
                return out
            objs = self._need(node.node)
            idxs = self.values(node.arg)
            if idxs is None:
                # an index known only at render time: not just any element — one out of range is
                # Undefined, which |default replaces and ~ joins as '' ('x'[n]|default('_'): 102sb-4)
                raise _Unknown
            for obj, idx in self._combos(objs, idxs):
                try:
                    out.append(obj[idx] if isinstance(obj, (str, list, tuple)) and isinstance(idx, int) else _raise_unknown())
                except IndexError:
                    raise _Unknown from None
            return out
        if isinstance(node, nodes.Filter) and node.node is not None:
            args_sets = [self._need(a) for a in node.args]
            kw_nodes: list[tuple[str, _Values]] = [(str(kw.key), self._need(kw.value)) for kw in node.kwargs]
            out = []
            n_args = len(args_sets)
            sets = [self._need(node.node), *args_sets, *(v for _k, v in kw_nodes)]
            prices = _prices(sets)
            for combo in self._combos(*sets):
                self._charge_operands(prices, combo)
                kwargs = {k: v for (k, _vs), v in zip(kw_nodes, combo[1 + n_args:], strict=True)}
                out.append(_filter_value(node.name, combo[0], list(combo[1:1 + n_args]), kwargs))
            return out
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and not node.kwargs \
                and node.dyn_args is None and node.dyn_kwargs is None:
            sets = [self._need(node.node.node), *(self._need(a) for a in node.args)]
            prices = _prices(sets)
            out = []
            for c in self._combos(*sets):
                self._charge_operands(prices, c)
                out.append(_call_str_method(c[0], node.node.attr, list(c[1:])))
            return out
        raise _Unknown

    def _combos(self, *sets: _Values) -> Iterator[tuple[Any, ...]]:
        """:func:`_product`, each combination charged :data:`_APPLY_COST` to the fold budget as it is
        made: every application of a fold (a filter, a method, ``+``, a slice…) costs some
        microseconds of Python whatever the size of its values (red team 120s-1: 64 values through
        chains of ``|e`` — each application charged a few units — took 5–10 s on 50 KB). Past the
        budget: unknown, reported (``template.fold-budget``)."""
        for c in _product(*sets):
            self.work -= _APPLY_COST
            if self.work <= 0:
                raise _BudgetSpent
            yield c

    def _charge_operands(self, prices: dict[int, int], combo: tuple[Any, ...]) -> None:
        """Charge one filter or method application its operands' cost (:func:`_walk_cost`) BEFORE it runs:
        sizing, checking and applying walk them element by element in Python, once per combination
        (red team 119sb-4: ``L|join(X)``, a 4,000-element list and 64 separators, walked 4,000
        elements three times per separator, charged only for the result). Past the budget: unknown."""
        self.work -= sum(prices[id(v)] for v in combo)
        if self.work <= 0:
            raise _BudgetSpent

    def _unchanged(self, vals: _Values) -> _Values:
        """A name's folded values, unless one is a list/tuple/dict and the template changes
        containers in place (:data:`_CONTAINER_MUTATORS`): then unknown (111sb-2)."""
        if self.containers_mutated and any(isinstance(v, (list, tuple, dict)) for v in vals):
            raise _Unknown
        return vals

    @staticmethod
    def _binop(node: nodes.Node, a: Any, b: Any) -> Any:
        if isinstance(node, nodes.Add):
            if isinstance(a, str) and isinstance(b, str):
                return a + b
            if isinstance(a, list) and isinstance(b, list):
                return a + b
            if isinstance(a, tuple) and isinstance(b, tuple):
                return a + b
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a) < 1 << 64 and abs(b) < 1 << 64:
                return a + b
            raise _Unknown
        if isinstance(node, nodes.Mul):
            if isinstance(a, int) and isinstance(b, (str, list, tuple)):
                a, b = b, a
            if isinstance(a, (str, list, tuple)) and isinstance(b, int) and len(a) * max(b, 0) <= MAX_FOLD_CHARS:
                return a * b
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a) < 1 << 32 and abs(b) < 1 << 32:
                return a * b
            raise _Unknown
        if isinstance(a, str):  # Mod: printf-style formatting
            return _percent(a, b)
        raise _Unknown

    # -- name binding (constant propagation) --------------------------------------------------

    def _bind(self, target: nodes.Node, value_node: nodes.Node | None, *, element: bool = False) -> None:
        vals = self.values(value_node) if value_node is not None else None
        if vals is not None and element:
            elems: _Values = []
            for v in vals:
                if isinstance(v, (str, list, tuple)):
                    elems.extend(v)
                else:
                    vals = None
                    break
            vals = None if vals is None else _safe_bounded(elems)
        if isinstance(target, nodes.Name) and _namespace_call(value_node):
            assert isinstance(value_node, nodes.Call)
            for kw in value_node.kwargs:  # namespace(k=v): ns.k starts as v
                self._bind(nodes.NSRef(target.name, kw.key), kw.value)
        if isinstance(target, nodes.Name):
            names = [target.name]
        elif isinstance(target, nodes.NSRef):
            names = [f"{target.name}.{target.attr}"]
            if not self.ns_followed:  # an alias may write it unseen (96sb-3): never a known constant
                vals = None
                self.computed.add(names[0])
        elif isinstance(target, nodes.Tuple):
            self._bind_unpacked(target, value_node, vals)
            return
        else:
            return
        is_namespace = _namespace_call(value_node)  # its attributes are bound as "ns.attr"
        for name in names:
            self.defined.add(name.split(".")[0])
            if not is_namespace and (vals is None or (value_node is not None and self._depends_opaque(value_node))):
                self.opaque.add(name)
            if vals is not None:
                merged = _safe_bounded(self.env.get(name, []) + vals)
                if merged is None:
                    self.computed.add(name)
                    self.env.pop(name, None)
                else:
                    self.env[name] = merged
                if value_node is not None and self._is_computed(value_node):
                    self.computed.add(name)
            elif value_node is not None:
                if self._is_computed(value_node):
                    self.computed.add(name)
                if any(n.name in self.tainted for n in _names(value_node)):
                    self.tainted.add(name)

    def _bind_unpacked(self, target: nodes.Tuple, value_node: nodes.Node | None, vals: _Values | None) -> None:
        """``{% for a, b in … %}`` / ``{% set a, b = … %}``: each name takes the values at its
        position of what is unpacked when that folds (red team 83s-4); otherwise it is opaque and
        — unless what is unpacked is context data (``for k, v in tool.items()``) or numbers —
        computed: a value of unknown kind used as a name is judged a computed name (fail closed)."""
        width = len(target.items)
        columns: list[_Values] | None = None
        if vals is not None and all(isinstance(v, (list, tuple, str)) and len(v) == width for v in vals):
            columns = [_safe_bounded(v[i] for v in vals) or [] for i in range(width)]
            if any(not c for c in columns):
                columns = None
        unknown_kind = columns is None and not (value_node is not None and self._context_source(value_node))
        for i, item in enumerate(target.items):
            if isinstance(item, nodes.Tuple):
                self._bind_unpacked(item, None, columns[i] if columns is not None else None)
                continue
            if not isinstance(item, nodes.Name):
                continue
            self.defined.add(item.name)
            if columns is not None:
                merged = _safe_bounded(self.env.get(item.name, []) + columns[i])
                if merged is not None:
                    self.env[item.name] = merged
                    continue
                self.env.pop(item.name, None)
            self.opaque.add(item.name)  # an unknown tuple target is never taken for a constant (34j-2)
            if unknown_kind or columns is not None or (value_node is not None and self._is_computed(value_node)):
                self.computed.add(item.name)
            if value_node is not None and any(n.name in self.tainted for n in _names(value_node)):
                self.tainted.add(item.name)

    def _context_source(self, node: nodes.Node) -> bool:
        """What is unpacked is context data: the data itself, or its ``.items()``/``|items``/``|dictsort``."""
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) \
                and node.node.attr in ("items", "values", "keys") and not node.args and not node.kwargs:
            return self._context_data(node.node.node)
        if isinstance(node, nodes.Filter) and node.node is not None and node.name in ("items", "dictsort") \
                and not node.args and not node.kwargs:
            return self._context_data(node.node)
        return self._context_data(node)

    # -- keys of mappings the template wrote (red team 102sb-1) ------------------------------------
    # A dict literal whose keys are harmless names and whose values are context data counts as
    # context data ({"type": t} passed to a macro). Its keys, though, are the template's own
    # strings: iterated, listed or stringified and then cut and joined, they spell any name
    # ((d|first|list|last) + … made '__class__' from 'a_' and 'class'). Three least sets, each by a
    # worklist: names that may be such a mapping, names that may hold one inside (a list of them,
    # a mapping of them), and names that may hold a piece of a key cut or joined. Only the last
    # makes a key, path or format string a computed name: a whole key is a name the Dict rule
    # judged, and real templates iterate their own maps ({"type": t}|items).

    def _literal_mapping(self, node: nodes.Node) -> bool:
        return self._memoized("_literal_mapping", node)

    def _literal_mapping_of(self, node: nodes.Node) -> bool:
        """``node``'s value may be a mapping the template wrote (a dict literal, ``dict(…)``)."""
        if isinstance(node, nodes.Dict):
            return True
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == "dict":
            return True
        if isinstance(node, nodes.Name):
            return self._has(self.literal_names, node.name)
        if isinstance(node, nodes.CondExpr):
            return self._literal_mapping(node.expr1) or (node.expr2 is not None and self._literal_mapping(node.expr2))
        if isinstance(node, nodes.Filter) and node.node is not None:
            if node.name in ("default", "d"):
                return self._literal_mapping(node.node) or any(self._literal_mapping(a) for a in node.args)
            return self._holds_literal(node.node)  # |first, |last, |sort… of a list of them: one of them
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) \
                    and self._has(self.literal_names, f"{node.node.name}.{node.attr}"):
                return True
            return self._holds_literal(node.node)
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
            # d.copy() is d; d.get(k) / pop / setdefault a value of it, or the default (103sb-2)
            obj, meth = node.node.node, node.node.attr
            return (meth == "copy" and self._literal_mapping(obj)) or self._holds_literal(obj) \
                or any(self._literal_mapping(a) for a in [*node.args, *(kw.value for kw in node.kwargs)])
        return False

    def _holds_literal(self, node: nodes.Node) -> bool:
        return self._memoized("_holds_literal", node)

    def _holds_literal_of(self, node: nodes.Node) -> bool:
        """``node``'s value may hold a mapping the template wrote inside it (an element, a value)."""
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return any(self._literal_mapping(i) or self._holds_literal(i) for i in node.items)
        if isinstance(node, nodes.Dict):
            return any(self._literal_mapping(p.value) or self._holds_literal(p.value) for p in node.items)
        if isinstance(node, nodes.Name):
            return self._has(self.literal_deep, node.name)
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) \
                and self._has(self.literal_deep, f"{node.node.name}.{node.attr}"):
            return True
        if isinstance(node, (nodes.Getattr, nodes.Getitem, nodes.Filter)) and node.node is not None:
            return self._holds_literal(node.node)
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
            return self._holds_literal(node.node.node)  # .values(), .items(), .copy() of a holder (103sb-2)
        if isinstance(node, nodes.CondExpr):
            return self._holds_literal(node.expr1) or (node.expr2 is not None and self._holds_literal(node.expr2))
        if isinstance(node, nodes.Add):
            return self._holds_literal(node.left) or self._holds_literal(node.right)
        return False

    def _key_data(self, node: nodes.Node) -> bool:
        return self._memoized("_key_data", node)

    def _key_data_of(self, node: nodes.Node) -> bool:
        """``node`` may be (or hold) a key of a mapping the template wrote, whole or in pieces."""
        if isinstance(node, nodes.Name):
            return self._has(self.key_names, node.name) or self._has(self.key_cut, node.name)
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and (
                self._has(self.key_names, k := f"{node.node.name}.{node.attr}") or self._has(self.key_cut, k)):
            return True
        if isinstance(node, nodes.Filter) and node.node is not None and node.name not in ("default", "d", "attr") \
                and self._literal_mapping(node.node):
            return True  # |first, |list, |items, |join, |string… of the mapping: its keys
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr in ("keys", "items") \
                and self._literal_mapping(node.node.node):
            return True
        return any(self._key_data(c) for c in node.iter_child_nodes())

    def _key_cut(self, node: nodes.Node) -> bool:
        return self._memoized("_key_cut", node)

    def _key_cut_of(self, node: nodes.Node) -> bool:
        """``node``'s value may hold a piece of such a key, or one joined to other text: a name
        in :attr:`key_cut`, or an index, slice, filter, method, join or format applied to key
        data, or the mapping's own text (``d ~ ''``), anywhere inside ``node``."""
        if any(self._key_cut(c) for c in node.iter_child_nodes()):
            return True  # each child through the memo: every node judged once (104sb-3)
        if isinstance(node, nodes.Name) and node.ctx == "load" and self._has(self.key_cut, node.name):
            return True
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) \
                and self._has(self.key_cut, f"{node.node.name}.{node.attr}"):
            return True
        if isinstance(node, nodes.Getitem) and not (isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str)) \
                and self._key_data(node.node):
            return True  # k[1], keys[0][1], k[1:]
        if isinstance(node, nodes.Filter) and node.node is not None and node.name not in ("default", "d") \
                and self._key_data(node.node) and not self._literal_mapping(node.node):
            return True  # (d|first)|list, k|replace(…), keys|join
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and self._key_data(node.node.node) \
                and not (node.node.attr in ("keys", "items", "values") and self._literal_mapping(node.node.node)):
            return True  # k.upper(), k.split('_')
        return isinstance(node, (nodes.Add, nodes.Concat, nodes.Mod, nodes.Mul)) and any(
            self._key_data(c) or self._literal_mapping(c) for c in node.iter_child_nodes())  # k + k, d ~ ''

    def _memoized(self, which: str, node: nodes.Node) -> bool:
        """``which`` (one of the memoised predicates) of ``node``, answered once per node while
        the sets it reads stand still: within one fixpoint question (:attr:`_memo`), or after the
        fixpoints (:attr:`_final_memo`); a question asked outside both gets a memo of its own."""
        self.visits += 1
        if self._reads is not None:
            self.fixpoint_work -= 1  # a node visited in a fixpoint question, answered or looked up (117sb-1)
        memo = self._memo if self._memo is not None else self._final_memo
        own = memo is None
        if memo is None:
            memo = self._memo = {}
        try:
            key = (which, id(node))
            if key not in memo:
                memo[key] = getattr(self, f"{which}_of")(node)
            return memo[key]
        finally:
            if own:
                self._memo = None

    def _collect_literal_mappings(self, sources: dict[str, list[nodes.Node | _UnpackedFrom | None]]) -> None:
        """:attr:`literal_names`, :attr:`literal_deep`, :attr:`key_names`, :attr:`key_cut` from the
        bindings ``sources`` and the template's loops (a loop over a mapping binds its keys)."""
        iters = self._iter_ids()
        plain: list[tuple[str, nodes.Node]] = []
        for name, values in sorted(sources.items()):
            for v in values:
                node = v.node if isinstance(v, _UnpackedFrom) else v
                if node is not None and id(node) not in iters:
                    plain.append((name, node))
        loops = [(n.name, f.iter) for f in self._all(nodes.For) if not f.recursive for n in _names(f.target)]
        # the two mapping sets grow together: each one's predicates read the other
        self._grow([(self.literal_deep, n, v, self._holds_literal) for n, v in plain + loops]
                   + [(self.literal_names, n, v, self._literal_mapping) for n, v in plain]
                   + [(self.literal_names, n, v, self._holds_literal) for n, v in loops])
        self._grow([(self.key_names, n, v, self._key_data) for n, v in plain]
                   + [(self.key_names, n, v, lambda x: self._literal_mapping(x) or self._key_data(x)) for n, v in loops])
        # a loop over ONE key (d|first, or a name bound to one) binds its characters: pieces (111sb-3)
        self.one_key = set()
        self._grow([(self.one_key, n, v, self._one_key) for n, v in plain])
        self._grow([(self.key_cut, n, v, self._key_cut) for n, v in plain + loops]
                   + [(self.key_cut, n, v, self._one_key) for n, v in loops])

    def _one_key(self, node: nodes.Node) -> bool:
        """``node`` may be one key (a string) of a mapping the template wrote, taken whole
        (``d|first``, ``d|last``…): its items are characters. (A piece of one, or a selection
        from ``d|list``, is :meth:`_key_cut` already.)"""
        if isinstance(node, nodes.Filter) and node.node is not None and node.name in ("first", "last", "random", "min",
                                                                                       "max"):
            return self._literal_mapping(node.node)
        if isinstance(node, nodes.Filter) and node.node is not None and node.name in ("default", "d"):
            return self._one_key(node.node) or any(self._one_key(a) for a in node.args)
        if isinstance(node, nodes.Name):
            return self._has(self.one_key, node.name)
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            return self._has(self.one_key, f"{node.node.name}.{node.attr}")
        if isinstance(node, nodes.CondExpr):
            return self._one_key(node.expr1) or (node.expr2 is not None and self._one_key(node.expr2))
        if isinstance(node, (nodes.And, nodes.Or)):
            return self._one_key(node.left) or self._one_key(node.right)
        return False

    def _grow(self, sites: list[tuple[set[str], str, nodes.Node, Callable[[nodes.Node], bool]]],
              add: Callable[[set[str], str], list[tuple[int, str]]] | None = None) -> None:
        """The judge's one least-fixpoint worklist: grow each site's set to the least sets closed
        under ``sites`` (``(set, name, value, predicate)``: the name is in once the predicate holds
        of the value). A site is asked again only when a lookup it made (:meth:`_has`) has changed
        its answer, so a chain of n bindings costs O(n) questions, not rounds over every binding
        (64 rounds of the mappings fixpoint, each asking every binding: 63 chained sets took
        1.6 s). ``add`` puts a name into its set and returns the lookups whose answer changed
        (default: that name in that set). Past :data:`MAX_FIXPOINT_WORK` every site's name is in
        (fail closed)."""
        def put(target: set[str], name: str) -> list[tuple[int, str]]:
            if name in target:
                return []
            target.add(name)
            return [(id(target), name)]

        add = add or put
        readers: dict[tuple[int, str], list[int]] = {}
        # asked again cheapest first (by what its last question cost): a wide binding reading every
        # link of a chain waits until the chain has settled, instead of being asked once per link
        # (117sb-1: a list of 1,000 names, asked once per step of a 1,000-link chain, took 29 s)
        cost = [0] * len(sites)
        work = [(0, i) for i in range(len(sites))]
        queued = set(range(len(sites)))
        while work:
            _c, i = heapq.heappop(work)
            queued.discard(i)
            target, name, value, holds = sites[i]
            if name in target:
                continue
            if self.fixpoint_work < 0:
                self._fixpoint_spent(value)
                for t, n, _, _ in sites:
                    add(t, n)
                return
            ok, reads, cost[i] = self._reading(holds, value)
            for read in reads:
                readers.setdefault(read, []).append(i)
            if ok:
                for key in add(target, name):
                    for j in readers.pop(key, ()):
                        if j not in queued and sites[j][1] not in sites[j][0]:
                            heapq.heappush(work, (cost[j], j))
                            queued.add(j)

    def _binding_sites(self) -> Iterator[tuple[str, nodes.Node | None]]:
        """Every (name, value) a template binds: ``set``/``for``/``with`` targets (the value only for
        a plain ``set name = value`` or ``with name = value``), macro and caller parameters, set
        blocks, imports. Macro names themselves are not included."""
        for node in self._all((nodes.Assign, nodes.AssignBlock, nodes.For, nodes.With, nodes.Macro,
                                        nodes.CallBlock, nodes.Import, nodes.FromImport)):
            if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
                yield node.target.name, node.node
            elif isinstance(node, (nodes.Assign, nodes.AssignBlock, nodes.For)):
                yield from ((n.name, None) for n in _names(node.target))
            elif isinstance(node, nodes.With):
                for t, v in zip(node.targets, node.values, strict=False):
                    yield from ((n.name, v if isinstance(t, nodes.Name) else None) for n in _names(t))
            elif isinstance(node, (nodes.Macro, nodes.CallBlock)):
                yield from ((a.name, None) for a in node.args)
            elif isinstance(node, (nodes.Import, nodes.FromImport)):
                yield from ((n, None) for n in _imported_names(node))

    def _namespaces_followed(self) -> bool:
        """Whether every namespace the template writes is followed by name: each name bound to a
        ``namespace(k=…)`` call is bound only to such calls, never used but as ``name.attr`` (not
        aliased, passed to a macro, put in a list), and every ``set x.attr`` names one of them. Else
        a ``set b.i = …`` may change ``a.i`` unseen (red team 96sb-3: ``set b = a``, or a macro
        parameter), so no namespace attribute is folded to a constant."""
        if "namespace" in self.defined:
            return False

        every: dict[str, bool] = {}
        some: set[str] = set()
        for name, value in self._binding_sites():
            every[name] = every.get(name, True) and _namespace_call(value, plain=True)
            if _namespace_call(value, plain=True):
                some.add(name)
        followed = {n for n in some if every[n]}
        if some - followed:
            return False
        for parent in self._all(nodes.Node):
            for child in parent.iter_child_nodes():
                if isinstance(child, nodes.Name) and child.ctx == "load" and child.name in followed \
                        and not (isinstance(parent, nodes.Getattr) and parent.node is child):
                    return False
        return all(ref.name in followed for ref in self._all(nodes.NSRef))

    def _collect_bindings(self) -> None:
        self.containers_mutated = any(isinstance(c.node, nodes.Getattr) and c.node.attr in _CONTAINER_MUTATORS
                                      for c in self._all(nodes.Call))
        # names a template binds other than as a macro: calling one is calling a value (96sb-2)
        self.rebound = {name for name, _ in self._binding_sites()}
        self.ns_followed = self._namespaces_followed()
        # "ns.k" given by `set ns = namespace(k=…)`; and whether every namespace(…) call is such a
        # `set` (a namespace made in a for/with/list or from a mapping starts with values no
        # `set ns.k` shows: 101sb-1)
        self.ns_initialised: set[str] = set()
        self.ns_calls_accounted = True
        assigned_calls: set[int] = set()
        given: dict[str, set[str]] = {}  # per name: the attributes EVERY namespace(…) bound to it gives
        pairs: list[tuple[nodes.Node, nodes.Node]] = []  # (target, value) of every set and with
        for a in self._all((nodes.Assign, nodes.With)):
            if isinstance(a, nodes.Assign):
                pairs.append((a.target, a.node))
            else:
                pairs.extend(zip(a.targets, a.values, strict=False))
        for target, v in pairs:
            if isinstance(target, nodes.Name) and isinstance(v, nodes.Call) and _namespace_call(v, plain=True):
                assigned_calls.add(id(v))
                keys = {f"{target.name}.{kw.key}" for kw in v.kwargs}
                # another `set ns = namespace()` — or `with ns = namespace()` (111sb-1) — leaves ns.k
                # Undefined where it is in force (106sb-3)
                given[target.name] = given[target.name] & keys if target.name in given else keys
        for keys in given.values():
            self.ns_initialised.update(keys)
        for c in self._all(nodes.Call):
            if _namespace_call(c) and id(c) not in assigned_calls:
                self.ns_calls_accounted = False
        # a template name read where its binding may not be in force is the renderer's variable
        # there (the model's token text, any extra_special_tokens key): never a constant, a number
        # or context data (red team 97sb-2, 99sb-3)
        # a name also spelt with an NFKC alias (ａ for a) is one Python variable that Jinja2's code
        # also assigns resolve('<spelling>') at the top of a scope, in an order of its own: a read
        # of it may be the renderer's variable of either spelling, or a global (119sb-1)
        self.unbound = (self._unbound_reads() & self.rebound) | self.aliased
        # chains of sets (set a = 'x'; set b = a ~ 'y'; a loop shifting values through namespace
        # attributes): passes until nothing changes, at most _BINDING_PASSES; a name whose values
        # still grew in the last pass is opaque (its values are not all known: red team 106sb-2)
        last = self._binding_state()
        # the numeric names, provisionally (a later `set loop = …` may make loop.index0 no number):
        # arithmetic on numbers builds no string. What this lets through the passes, the closure of
        # `computed` below asks again once the numeric names are final
        self._collect_numeric()
        for round_ in range(_BINDING_PASSES):
            self.cache.clear()
            for node in self._all((nodes.Assign, nodes.For, nodes.Macro, nodes.With, nodes.AssignBlock,
                                            nodes.CallBlock, nodes.Import, nodes.FromImport)):
                if isinstance(node, nodes.Assign):
                    self._bind(node.target, node.node)
                elif isinstance(node, nodes.AssignBlock):
                    self._bind_block(node)
                elif isinstance(node, nodes.For):
                    # a recursive loop's target is also bound to what each loop(…) call passes:
                    # values of the template's own (red team 96sb-1): never folded, never context data
                    self._bind(node.target, None if node.recursive else node.iter, element=not node.recursive)
                elif isinstance(node, nodes.Macro):
                    self.defined.add(node.name)
                    self.macros.add(node.name)
                    self.defined.update(a.name for a in node.args)
                    self.opaque.update(a.name for a in node.args)  # the call sites choose them (34j-1)
                    for arg, default in zip(node.args[len(node.args) - len(node.defaults):], node.defaults, strict=True):
                        self._bind(arg, default)
                elif isinstance(node, nodes.CallBlock):
                    self.defined.update(a.name for a in node.args)
                    self.opaque.update(a.name for a in node.args)
                elif isinstance(node, nodes.With):
                    for target, value in zip(node.targets, node.values, strict=False):
                        self._bind(target, value)
                elif isinstance(node, (nodes.Import, nodes.FromImport)):
                    imported = _imported_names(node)
                    self.defined.update(imported)
                    self.opaque.update(imported)
            state = self._binding_state()
            if state == last:
                break
            if round_ == _BINDING_PASSES - 1 or self.visits > MAX_BINDING_VISITS:
                self.opaque.update(k for k, n in state[0].items() if last[0].get(k) != n)
                break
            last = state
        self.cache.clear()
        self._collect_numeric()  # final: the closure of `computed` below reads it
        self.cache.clear()
        self._close_bindings()
        self._collect_context_loops()

    def _binding_state(self) -> tuple[dict[str, int], int, int, int, int]:
        """What a pass of the binding collection can change (each part only grows, or a name's
        values are dropped for good): equal after two passes, nothing more would change."""
        return ({k: len(v) for k, v in self.env.items()}, len(self.computed), len(self.opaque), len(self.tainted),
                len(self.defined))

    def _close_bindings(self) -> None:
        """The folding passes above stop after :data:`_BINDING_PASSES`; ``computed`` and
        ``opaque`` must hold of every name one of whose bindings reads such a name, however long
        the chain (red team 106sb-2: a namespace attribute shifted through four others across loop
        iterations reached an item key as a "constant"). One least fixpoint over every binding."""
        sites: list[tuple[set[str], str, nodes.Node, Callable[[nodes.Node], bool]]] = []

        def site(name: str, value: nodes.Node | None) -> None:
            if value is not None:
                sites.append((self.computed, name, value, self._is_computed))
                sites.append((self.opaque, name, value, self._depends_opaque_safe))

        for node in self._all((nodes.Assign, nodes.AssignBlock, nodes.For, nodes.With)):
            if isinstance(node, nodes.Assign):
                if isinstance(node.target, nodes.NSRef):
                    site(f"{node.target.name}.{node.target.attr}", node.node)
                else:
                    for n in _names(node.target):
                        site(n.name, node.node)
                    if isinstance(node.target, nodes.Name) and _namespace_call(node.node):
                        assert isinstance(node.node, nodes.Call)
                        for kw in node.node.kwargs:
                            site(f"{node.target.name}.{kw.key}", kw.value)
            elif isinstance(node, nodes.AssignBlock):
                parts = _block_parts(node)
                # one piece of text is that text (107sb-3: a plain system-prompt block is no built string);
                # a body with statements reads what they read
                body = parts[0] if _one_text(parts) else nodes.Concat(
                    parts or [n for st in node.body for n in st.iter_child_nodes()])
                name = (f"{node.target.name}.{node.target.attr}" if isinstance(node.target, nodes.NSRef)
                        else node.target.name if isinstance(node.target, nodes.Name) else None)
                if name is not None:  # (computed already unless the body is one piece of text: _bind_block)
                    site(name, body)
            elif isinstance(node, nodes.For) and not node.recursive:
                for n in _names(node.target):
                    site(n.name, node.iter)
            elif isinstance(node, nodes.With):
                for t, v in zip(node.targets, node.values, strict=False):
                    for n in _names(t):
                        site(n.name, v)
                    if isinstance(t, nodes.Name) and _namespace_call(v):  # with ns = namespace(k=…) (111sb-1)
                        assert isinstance(v, nodes.Call)
                        for kw in v.kwargs:
                            site(f"{t.name}.{kw.key}", kw.value)
        self._grow(sites)

    def _depends_opaque_safe(self, node: nodes.Node) -> bool:
        try:
            return self._depends_opaque(node)
        except RecursionError:
            return True

    def _collect_numeric(self) -> None:
        """Names bound, at every binding, to a number or a truth value (``set i = loop.index0 - 1``,
        ``namespace(n=0)``, ``for i in range(…)``): item keys that cannot name an attribute."""
        sources: dict[str, list[nodes.Node | None]] = {}
        for node in self._all((nodes.Assign, nodes.AssignBlock, nodes.With, nodes.Macro, nodes.CallBlock,
                                        nodes.Import, nodes.FromImport, nodes.For)):
            bound: list[tuple[str, nodes.Node | None]] = []
            if isinstance(node, nodes.Assign):
                if isinstance(node.target, nodes.Name):
                    bound.append((node.target.name, node.node))
                    if isinstance(node.node, nodes.Call) and _namespace_call(node.node):
                        bound.extend((f"{node.target.name}.{kw.key}", kw.value) for kw in node.node.kwargs)
                elif isinstance(node.target, nodes.NSRef):
                    bound.append((f"{node.target.name}.{node.target.attr}", node.node))
                else:
                    bound.extend((n.name, None) for n in _names(node.target))
            elif isinstance(node, nodes.For):
                is_range = isinstance(node.iter, nodes.Call) and isinstance(node.iter.node, nodes.Name) \
                    and node.iter.node.name == "range" and "range" not in self.defined \
                    and not node.recursive  # loop(…) rebinds a recursive loop's target (99sb-1)
                if isinstance(node.target, nodes.Name) and is_range:
                    bound.append((node.target.name, nodes.Const(0)))
                else:
                    bound.extend((n.name, None) for n in _names(node.target))
            elif isinstance(node, nodes.With):
                for t, v in zip(node.targets, node.values, strict=False):
                    bound.extend((n.name, v if isinstance(t, nodes.Name) else None) for n in _names(t))
                    if isinstance(t, nodes.Name) and isinstance(v, nodes.Call) and _namespace_call(v):
                        # with ns = namespace(k=…) gives ns.k as set does (111sb-1: it was left out, so
                        # one `set ns = namespace(k=0)` made ns.k "always a number")
                        bound.extend((f"{t.name}.{kw.key}", kw.value) for kw in v.kwargs)
            elif isinstance(node, nodes.AssignBlock):
                bound.extend((n.name, None) for n in _names(node.target))
                if isinstance(node.target, nodes.NSRef):
                    bound.append((f"{node.target.name}.{node.target.attr}", None))
            elif isinstance(node, (nodes.Macro, nodes.CallBlock)):
                bound.extend((a.name, None) for a in node.args)
            elif isinstance(node, (nodes.Import, nodes.FromImport)):
                bound.extend((n, None) for n in _imported_names(node))
            for name, value in bound:
                sources.setdefault(name, []).append(value)
        self.attr_keys = {}
        for k in sources:
            if "." in k:
                self.attr_keys.setdefault(k.split(".", 1)[1], set()).add(k)
        self.numeric = {n for n, vs in sources.items() if all(v is not None for v in vs)}
        # the greatest fixpoint (set i = i + 1)
        self._shrink_to_fixpoint(self.numeric, lambda n: all(v is not None and self._numeric(v) for v in sources[n]))

    def _numeric_filter(self, node: nodes.Node) -> bool:
        """A filter whose value is a number whatever it is given: ``length``, ``count``, ``round``…;
        ``int``/``float`` only when their ``default`` (returned unchanged when the value does not
        convert) is a number too (red team 97sb-3: ``'x'|int('__init__')`` is ``'__init__'``)."""
        if not isinstance(node, nodes.Filter) or node.name not in _NUMERIC_FILTERS:
            return False
        if node.name not in ("int", "float"):
            return True
        return node.dyn_args is None and node.dyn_kwargs is None \
            and all(self._numeric(a) for a in [*node.args, *(kw.value for kw in node.kwargs)])

    def _numeric(self, node: nodes.Node) -> bool:
        """``node``'s value is a number, a truth value or none, whatever is rendered: once per node
        while the sets it reads stand still (119sb-3: :meth:`_derived_of` asked it at every level
        of a 95-deep ``+`` chain, each time walking the chain below: quadratic, uncounted)."""
        return self._memoized("_numeric", node)  # each visit counted in a fixpoint (117sb-1)

    def _numeric_of(self, node: nodes.Node) -> bool:
        if isinstance(node, nodes.Const):
            return not isinstance(node.value, (str, bytes, list, tuple, dict))
        if isinstance(node, _NUMERIC_NODES) or self._numeric_filter(node):
            return True
        if isinstance(node, (nodes.And, nodes.Or, nodes.Add, nodes.Mul, nodes.Mod)):
            return self._numeric(node.left) and self._numeric(node.right)
        if isinstance(node, nodes.CondExpr):
            return self._numeric(node.expr1) and (node.expr2 is None or self._numeric(node.expr2))
        if isinstance(node, nodes.Filter) and node.name in ("min", "max") and isinstance(node.node, (nodes.List, nodes.Tuple)) \
                and node.node.items and not node.args and all(kw.key == "case_sensitive" for kw in node.kwargs) \
                and node.dyn_args is None and node.dyn_kwargs is None:
            return all(self._numeric(i) for i in node.node.items)  # [tools|length, 2]|min: one of them (111sb-5)
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr in _INT_METHODS \
                and node.dyn_args is None and node.dyn_kwargs is None:
            # m.content.count('x') % 2 (113sb-2): str/list count/find/index… give an int, startswith/is…
            # a bool, on a string or on the renderer's data (JSON: a dict's item of that name is no
            # callable); never on a mapping the template wrote ({'count': f}.count() calls f)
            recv = node.node.node
            return _surely_str(recv) or self._context_data(recv)
        if isinstance(node, nodes.Name):
            return self._has(self.numeric, node.name) and node.name not in self.unbound
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            if node.node.name == "loop" and "loop" not in self.defined:
                return node.attr in _NUMERIC_LOOP_ATTRS
            if self.ns_followed:
                key = f"{node.node.name}.{node.attr}"
                return self._has(self.numeric, key) and key in self.ns_initialised and node.node.name not in self.unbound
            # an alias may write a namespace attribute under another name (99sb-2): a number only
            # when every namespace is made by `set x = namespace(k=…)` (101sb-1), every namespace's
            # attribute of that name starts as one, and every write of it is one
            keys = self.attr_keys.get(node.attr, set())
            return self.ns_calls_accounted and bool(keys) and all(self._has(self.numeric, k) for k in keys) \
                and any(k in self.ns_initialised for k in keys)
        return False

    def _collect_context_loops(self) -> None:
        """Names bound, at every binding, directly to context data: loop variables over it (``for m
        in messages``, ``for tc in m.tool_calls``) and sets of it (``set loop_messages =
        messages[1:]``) — the only render-time values real templates pass as attribute paths. A
        name bound anywhere else (set block, macro/caller parameter, tuple target, with…) is not one."""
        sources: dict[str, list[nodes.Node | _UnpackedFrom | None]] = {}  # what each binding reads (None: not data)
        for node in self._all((nodes.Assign, nodes.AssignBlock, nodes.With, nodes.Macro, nodes.CallBlock,
                                        nodes.Import, nodes.FromImport, nodes.For)):
            bound: list[tuple[str, nodes.Node | _UnpackedFrom | None]] = []
            if isinstance(node, nodes.For) and node.recursive:  # loop(…) rebinds it (96sb-1)
                bound.extend((n.name, None) for n in _names(node.target))
            elif isinstance(node, (nodes.For, nodes.Assign)):
                src: nodes.Node = node.iter if isinstance(node, nodes.For) else node.node
                if isinstance(node.target, nodes.Name):
                    bound.append((node.target.name, src))
                elif isinstance(node, nodes.For) and isinstance(node.target, nodes.Tuple) \
                        and all(isinstance(t, nodes.Name) for t in node.target.items):
                    # for k, v in tool.items(): each name holds (part of) an element of context data
                    bound.extend((n.name, _UnpackedFrom(src)) for n in _names(node.target))
                else:
                    bound.extend((n.name, None) for n in _names(node.target))
            elif isinstance(node, nodes.AssignBlock):
                bound.extend((n.name, None) for n in _names(node.target))
            elif isinstance(node, nodes.With):
                # with x = v binds as set x = v does, inside its body (111sb-1: a with-namespace's
                # k=… values were missing from the tables the acceptance rules read)
                for t, v in zip(node.targets, node.values, strict=False):
                    bound.extend((n.name, v if isinstance(t, nodes.Name) else None) for n in _names(t))
            elif isinstance(node, nodes.Macro):
                bound.extend(self._macro_arguments(node))
            elif isinstance(node, nodes.CallBlock):
                bound.extend((a.name, None) for a in node.args)
            elif isinstance(node, (nodes.Import, nodes.FromImport)):
                bound.extend((n, None) for n in _imported_names(node))
            for name, value in bound:
                sources.setdefault(name, []).append(value)
        self._collect_namespace_and_mutations(sources)
        self._collect_literal_mappings(sources)
        self._bindings = sources
        self._collect_generators()
        # the greatest fixpoint: ``set messages = messages[1:]`` reads the context's messages first
        self.context_loop = {n for n, vs in sources.items() if all(v is not None for v in vs)}
        # a loop variable read outside its loop is another variable
        self.context_loop -= {n for n in self.context_loop
                              if "." not in n and n in self.unbound and n in self.defined and n not in CALLER_SUPPLIED}
        # a macro's name holds the macro wherever another binding of it (a set that may not run) is not
        # in force (113sb-1: m[message.content] walks to the Macro's __globals__)
        self.context_loop -= self.macros
        # "~name": every binding is data or a plain word (_data_or_word); one fixpoint with the data names
        self.context_loop |= {"~" + n for n in self.context_loop}
        self._shrink_to_fixpoint(self.context_loop, lambda n: all(
            v is not None and (self._context_source(v.node) if isinstance(v, _UnpackedFrom) else
                               self._data_or_word(v) if n.startswith("~") else self._context_data(v))
            for v in sources[n.removeprefix("~")]))

    def _has(self, names: set[str], name: str) -> bool:
        """``name in names``, noted while a fixpoint (:meth:`_shrink_to_fixpoint`, :meth:`_grow`)
        asks which names a predicate reads."""
        if self._reads is not None:
            self._reads.add((id(names), name))
            self.fixpoint_work -= 1
        return name in names

    def _reading(self, predicate: Callable[[Any], bool], arg: Any) -> tuple[bool, set[tuple[int, str]], int]:
        """``predicate(arg)``, the ``(set, name)`` lookups it made through :meth:`_has`, and what it
        cost: the nodes it visited (every :meth:`_memoized` and :meth:`_has` call, each charged to
        :attr:`fixpoint_work`: the budget counts the real work, not the questions — 117sb-1: a
        question costing a 14-deep walk per lookup was charged as one lookup)."""
        self._reads = set()
        self._memo = {}
        before = self.fixpoint_work
        try:
            ok = predicate(arg)
        finally:
            reads, self._reads = self._reads, None
            self._memo = None
        self.fixpoint_work -= 1
        return ok, reads, before - self.fixpoint_work

    def _fixpoint_spent(self, node: object) -> None:
        """The fixpoint budget ran out: the sets are taken at their strict side, and the template
        is not clean (what the judge did not finish is not judged safe)."""
        self.add("template.fixpoint-budget", "high", f"the judge's fixpoints exceeded {MAX_FIXPOINT_WORK} steps; "
                 "the rest was judged at the strict side, not followed to the end", "suspicious",
                 getattr(node, "lineno", 1) or 1)

    def _shrink_to_fixpoint(self, current: set[str], holds: Callable[[str], bool]) -> None:
        """Shrink ``current`` in place to the greatest subset whose every name ``holds`` (a predicate
        that reads ``current`` only through :meth:`_has`, and only ever turns false as it shrinks).
        A first-in first-out worklist: a name is asked again only when a name its predicate read
        has left, and once however many left meanwhile, so a chain of n bindings costs O(n)
        predicate calls, not the O(n²) of recomputing every name per round (1,600 chained
        namespaces took 9 s). Past :data:`MAX_FIXPOINT_WORK` the set is emptied: no name is
        then taken for a number or for context data (the strict side)."""
        readers: dict[tuple[int, str], set[str]] = {}
        cost: dict[str, int] = {}
        work = [(0, n) for n in sorted(current)]  # asked again cheapest first, as in _grow (117sb-1)
        queued = set(current)
        while work:
            _c, name = heapq.heappop(work)
            queued.discard(name)
            if name not in current:
                continue
            if self.fixpoint_work < 0:
                self._fixpoint_spent(None)
                current.clear()
                return
            ok, reads, cost[name] = self._reading(holds, name)
            for read in reads:
                readers.setdefault(read, set()).add(name)
            if not ok:
                current.discard(name)
                for reader in sorted(readers.pop((id(current), name), ())):
                    if reader in current and reader not in queued:
                        heapq.heappush(work, (cost.get(reader, 0), reader))
                        queued.add(reader)

    def _add_mappings(self, names: Iterable[str]) -> list[tuple[int, str]]:
        """Put ``names`` into :attr:`mappings` (an ``ns.attr`` also its attribute into
        :attr:`mapping_attrs`); the lookups whose answer changed."""
        changed: list[tuple[int, str]] = []
        for name in names:
            if name not in self.mappings:
                self.mappings.add(name)
                changed.append((id(self.mappings), name))
            if "." in name and (attr := name.split(".", 1)[1]) not in self.mapping_attrs:
                self.mapping_attrs.add(attr)
                changed.append((id(self.mapping_attrs), attr))
        return changed

    def _unbound_reads(self) -> set[str]:
        """Names read where no binding is in force, in Jinja2's scoping: a ``for``/``with``/macro/call
        block binds its names inside its body only, a ``set`` from the next statement of its own
        scope on (``if`` bodies share their scope; a loop body's ``set`` does not leak out), a
        macro body sees only its own names. Such a read is of the variable the renderer passes —
        the application's, or one the model file supplies (``bos_token``, ``extra_special_tokens``):
        never the template's own loop over context data (red team 97sb-2: ``{% for bos_token in
        messages %}{% endfor %}`` then ``namespace[bos_token]`` read the GGUF's token text)."""
        out: set[str] = set()
        self._scope_body(list(self.tree.body), set(), out)
        return out

    def _scope_statement(self, st: nodes.Node, bound: set[str], out: set[str]) -> None:
        def read(expr: nodes.Node | None, names: set[str]) -> None:
            if expr is not None:
                out.update(n.name for n in _names(expr) if n.ctx == "load" and n.name not in names)

        if isinstance(st, nodes.For):
            read(st.iter, bound)
            inner = bound | {n.name for n in _names(st.target)} | {"loop"}
            read(st.test, inner)
            self._scope_body(list(st.body), inner, out)
            self._scope_body(list(st.else_), set(bound), out)
        elif isinstance(st, nodes.If):
            # an if shares its scope, but a branch may not run: after it, a name is bound only when
            # every branch (an else included) binds it (red team 99sb-3: a set under {% if false %})
            read(st.test, bound)
            branches: list[set[str]] = []
            for test, body in [(None, st.body), *((e.test, e.body) for e in st.elif_), (None, st.else_)]:
                inner = set(bound)
                read(test, inner)
                self._scope_body(list(body), inner, out)
                branches.append(inner)
            if st.else_:
                bound.update(set.intersection(*branches))
        elif isinstance(st, nodes.Macro):
            for d in st.defaults:
                read(d, bound)
            self._scope_body(list(st.body), {a.name for a in st.args} | {"varargs", "kwargs", "caller", st.name}, out)
            bound.add(st.name)
        elif isinstance(st, nodes.CallBlock):
            read(st.call, bound)
            for d in st.defaults:
                read(d, bound)
            self._scope_body(list(st.body), bound | {a.name for a in st.args} | {"varargs", "kwargs", "caller"}, out)
        elif isinstance(st, nodes.With):
            for v in st.values:
                read(v, bound)
            self._scope_body(list(st.body), bound | {n.name for t in st.targets for n in _names(t)}, out)
        elif isinstance(st, nodes.Assign):
            read(st.node, bound)
            if isinstance(st.target, nodes.NSRef):
                read(nodes.Name(st.target.name, "load"), bound)
            else:
                bound.update(n.name for n in _names(st.target))
        elif isinstance(st, nodes.AssignBlock):
            read(st.filter, bound)
            self._scope_body(list(st.body), set(bound), out)
            if isinstance(st.target, nodes.NSRef):
                read(nodes.Name(st.target.name, "load"), bound)
            else:
                bound.update(n.name for n in _names(st.target))
        elif isinstance(st, (nodes.Import, nodes.FromImport)):
            read(st.template, bound)
            bound.update(_imported_names(st))
        elif isinstance(st, nodes.Block):
            # a block renders from the template's context, not the enclosing loop's scope, unless
            # it is ``scoped`` (red team 98sb-1): an unscoped block sees nothing bound around it
            self._scope_body(list(st.body), set(bound) if st.scoped else set(), out)
        elif isinstance(st, (nodes.Scope, nodes.FilterBlock, nodes.ScopedEvalContextModifier)):
            if isinstance(st, nodes.FilterBlock):
                read(st.filter, bound)
            self._scope_body(list(st.body), set(bound), out)
        elif isinstance(st, nodes.Expr | nodes.Output | nodes.ExprStmt):
            read(st, bound)
        else:  # any other statement: its expressions read in this scope, its statements too
            for child in st.iter_child_nodes():
                if isinstance(child, nodes.Stmt):
                    self._scope_statement(child, bound, out)
                else:
                    read(child, bound)

    def _scope_body(self, body: list[nodes.Node], bound: set[str], out: set[str]) -> None:
        """A body's statements in order, in ``bound`` (the caller's set when the scope is shared)."""
        for st in body:
            self._scope_statement(st, bound, out)

    def _collect_namespace_and_mutations(self, sources: dict[str, list[nodes.Node | _UnpackedFrom | None]]) -> None:
        """Adds to ``sources`` what namespace attributes are given (``namespace(seen=[])``, ``set
        ns.seen = ns.seen + [x]``), for names bound only to ``namespace(k=…)`` calls and never used
        but as ``name.attr`` (an alias could assign them unseen). A template that calls a method
        putting values into an object (``x.append(v)``: through an alias, into any list or dict,
        the application's too; no real template does) has no context data at all (fail closed)."""
        self.mutates = any(isinstance(c.node, nodes.Getattr) and c.node.attr in _MUTATING_METHODS
                           for c in self._all(nodes.Call))
        ns_names = {name for name, values in sources.items() if "." not in name and all(
            isinstance(v, nodes.Node) and _namespace_call(v, plain=True) for v in values)}
        if "namespace" in self.defined:
            ns_names = set()
        for parent in self._all(nodes.Node):  # a bare use: passed, aliased, wrapped…
            for child in parent.iter_child_nodes():
                if isinstance(child, nodes.Name) and child.ctx == "load" and child.name in ns_names \
                        and not (isinstance(parent, nodes.Getattr) and parent.node is child):
                    ns_names.discard(child.name)
        nsrefs: list[tuple[nodes.NSRef, nodes.Node | None]] = []  # set ns.a = v / set ns.a %}…{% endset
        for node in self._all((nodes.Assign, nodes.AssignBlock)):
            assert isinstance(node, (nodes.Assign, nodes.AssignBlock))
            if isinstance(node.target, nodes.NSRef):
                nsrefs.append((node.target, node.node if isinstance(node, nodes.Assign) else None))
        if any(t.name not in ns_names for t, _ in nsrefs):  # assigned through a name not followed
            ns_names = set()
        for name in ns_names:
            for call in sources[name]:
                assert isinstance(call, nodes.Call)
                for kw in call.kwargs:
                    sources.setdefault(f"{name}.{kw.key}", []).append(kw.value)
        for target, value in nsrefs:
            sources.setdefault(f"{target.name}.{target.attr}", []).append(value)
        self.tracked = {k for k in sources if "." in k and k.split(".", 1)[0] in ns_names}

    def _all(self, kind: type[nodes.Node] | tuple[type[nodes.Node], ...]) -> Iterator[Any]:
        """``self.tree.find_all(kind)`` from the node list :meth:`run` made once (the judge asks
        some forty times; each walk of a 60 KB template's 16,000 nodes cost 50 ms)."""
        if self._nodes is None:
            self._nodes = list(self.tree.find_all(nodes.Node))
        return (n for n in self._nodes if isinstance(n, kind))

    def _macro_uses(self) -> _MacroUses:
        """How the template uses names that may be macros, gathered in one walk of the tree and
        kept: :meth:`_macro_arguments` asked it per macro, twice, in several whole-tree walks
        (500 macros of a 31 KB template took 49 s)."""
        if self._uses is None:
            uses = _MacroUses()
            for m in self._all(nodes.Macro):
                uses.defined[m.name] = uses.defined.get(m.name, 0) + 1
            for c in self._all(nodes.CallBlock):
                if isinstance(c.call.node, nodes.Name):
                    uses.call_blocks.add(c.call.node.name)
            for parent in self._all(nodes.Node):
                for child in parent.iter_child_nodes():
                    if isinstance(child, nodes.Name) and child.ctx == "load":
                        if isinstance(parent, nodes.Call) and parent.node is child:
                            uses.calls.setdefault(child.name, []).append(parent)
                        else:
                            uses.as_value.add(child.name)  # the macro as a value: called unseen (98sb-2)
            self._uses = uses
        return self._uses

    def _macro_arguments(self, macro: nodes.Macro) -> list[tuple[str, nodes.Node | None]]:
        """What each parameter of ``macro`` is given: its default and the argument of every call
        by name (``render(tool.parameters)``); None where a call passes it in a way not followed
        (``*args``/``**kwargs``) or the macro is called twice by the same name. A ``{% call m(a) %}``
        block passes ``a`` as ``m(a)`` does (its Call node is one of the calls: red team 111sb-4)."""
        params = [a.name for a in macro.args]
        out: list[tuple[str, nodes.Node | None]] = []
        for arg, default in zip(macro.args[len(macro.args) - len(macro.defaults):], macro.defaults, strict=True):
            out.append((arg.name, default))
        uses = self._macro_uses()
        if uses.defined.get(macro.name, 0) > 1 or macro.name in uses.as_value:
            return [(p, None) for p in params]  # called twice by name, or unseen (98sb-2)
        calls = 0
        for call in uses.calls.get(macro.name, []):
            calls += 1
            if call.dyn_args is not None or call.dyn_kwargs is not None:
                return [(p, None) for p in params]
            out.extend(zip(params, call.args, strict=False))
            out.extend((kw.key, kw.value) for kw in call.kwargs if kw.key in params)
        return out if calls else [(p, None) for p in params]  # called some other way

    def _context_data(self, node: nodes.Node) -> bool:
        return self._memoized("_context_data", node)

    def _context_data_of(self, node: nodes.Node) -> bool:
        """An expression reading the data the renderer passes (not one the template builds)."""
        if self.mutates:
            return isinstance(node, nodes.Const) and not isinstance(node.value, str)
        if self._gen_holds(node):
            # a container holding a generator (or another Python object of Jinja2's), an item,
            # attribute, |first, .get(…) or + of one: not the data (116sb-1). A generator itself
            # is data to iterate (for … in, |first, |list directly on it), never a receiver
            # (:meth:`_plain_of`)
            return False
        if isinstance(node, nodes.Name):
            if node.name in self.defined:
                return self._has(self.context_loop, node.name)
            return node.name in CALLER_SUPPLIED
        if isinstance(node, nodes.Getattr):
            if isinstance(node.node, nodes.Name) and f"{node.node.name}.{node.attr}" in self.tracked \
                    and node.node.name not in self.unbound:
                return self._has(self.context_loop, f"{node.node.name}.{node.attr}")  # ns.seen: namespace(seen=[])
            return not _is_private(node.attr) and (self._context_data(node.node) or self._word_attr(node.node, node.attr))
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) \
                and node.node.attr in _DATA_METHODS and node.dyn_args is None and node.dyn_kwargs is None:
            # m.content.split('.')[0], name.strip(), d.get(k): a piece of the data
            args = [*node.args, *(kw.value for kw in node.kwargs)]
            if node.node.attr == "get" and len(args) > 1:
                return False
            return all(isinstance(a, nodes.Const) or self._context_data(a) for a in args) \
                and self._context_data(node.node.node)
        if isinstance(node, nodes.Filter) and node.node is not None and node.name in _DATA_STRING_FILTERS:
            return node.dyn_args is None and node.dyn_kwargs is None and self._text_is_data(node.node) and all(
                isinstance(a, nodes.Const) or self._context_data(a) for a in [*node.args, *(k.value for k in node.kwargs)]) \
                and self._context_data(node.node)
        if isinstance(node, nodes.Add):  # ns.seen + [name]: data joined to data
            return self._context_data(node.left) and self._context_data(node.right)
        if isinstance(node, nodes.CondExpr):  # tool.function if tool.function is defined else tool
            return self._context_data(node.expr1) and (node.expr2 is None or self._context_data(node.expr2))
        if isinstance(node, (nodes.And, nodes.Or)):  # p.required or []: one operand or the other (108sb-2)
            return self._context_data(node.left) and self._context_data(node.right)
        if isinstance(node, nodes.Filter) and node.name in ("default", "d") and node.node is not None \
                and not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None and len(node.args) <= 2:
            # p.required|default([]): the data, or the default (data itself: an empty list, none…)
            return self._context_data(node.node) and (not node.args or self._context_data(node.args[0]))
        if isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Const) and self._word_attr(node.node, node.arg.value):
                return True  # spec['items'] of spec = … else 'Any'
            return (isinstance(node.arg, (nodes.Slice, nodes.Const)) or self._numeric(node.arg)
                    or self._context_data(node.arg)) and self._context_data(node.node)
        if isinstance(node, nodes.Filter) and node.node is not None and node.name == "from_json":
            # tc.function.arguments|from_json: json.loads of the data's text is data (dicts, lists,
            # strings, numbers; 116sb-3); of a string the template wrote, its own keys: not
            return not node.args and not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None \
                and self._context_data(node.node)
        if isinstance(node, nodes.Filter) and node.node is not None:
            return node.name in _CONTEXT_FILTERS and self._context_data(node.node)
        if isinstance(node, nodes.Dict):  # {"type": t}: a macro argument wrapping context data
            # iterating it (for k in {…}, |first, |list) yields its keys, the template's own
            # strings: only keys that name nothing internal (red team 97sb-4: 'gi_frame')
            return all(isinstance(p.key, nodes.Const) and _harmless_name(p.key.value) and self._context_data(p.value)
                       for p in node.items)
        if isinstance(node, (nodes.List, nodes.Tuple)):  # set tools = []: no value of the template's own
            return all(self._context_data(item) for item in node.items)
        return isinstance(node, nodes.Const) and not isinstance(node.value, str)  # none, true, 0

    def _data_or_word(self, node: nodes.Node) -> bool:
        """``node``'s value is context data or a plain word (:func:`_plain_word`): a fallback the
        data may be replaced by (``spec.additionalProperties if … else 'Any'``, ``x or 'Any'``,
        ``x|default('Any')``; red team 111sb-4). Not data itself — the word's pieces joined could
        spell a name —, only a receiver whose non-``str`` attribute is data (:meth:`_word_attr`).
        Names: ``"~name"`` in :attr:`context_loop`, the same greatest fixpoint."""
        if _plain_word(node) or self._context_data(node):
            return True
        if isinstance(node, nodes.Name):
            return node.name in self.defined and node.name not in self.unbound \
                and self._has(self.context_loop, "~" + node.name)
        if isinstance(node, nodes.CondExpr):
            return self._data_or_word(node.expr1) and (node.expr2 is None or self._data_or_word(node.expr2))
        if isinstance(node, (nodes.And, nodes.Or)):
            return self._data_or_word(node.left) and self._data_or_word(node.right)
        if isinstance(node, nodes.Filter) and node.name in ("default", "d") and node.node is not None \
                and not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None and len(node.args) <= 2:
            return self._data_or_word(node.node) and (not node.args or self._data_or_word(node.args[0]))
        return False

    def _word_attr(self, obj: nodes.Node, attr: object) -> bool:
        """``obj.attr`` / ``obj['attr']`` is data when ``obj`` is data or a plain word: of a word
        (a str) a name that is no ``str`` attribute is Undefined."""
        return isinstance(attr, str) and not _is_private(attr) and attr not in _STR_ATTRS and self._data_or_word(obj)

    def _text_is_data(self, node: nodes.Node) -> bool:
        """A string filter (``|lower``) of ``node`` gives text that is the application's: only
        when ``node`` is a plain path into what the renderer passes (``m['role']``,
        ``tool.function.name``), through names bound only to such paths (loop variables, sets) —
        never the text of a container the template wrote (``[{'a_': 0}]|lower`` holds its keys;
        104sb-1) nor of a method (``(1).as_integer_ratio|lower`` is ``<built-in method
        as_integer_ratio …>``, however it is reached: a name, a loop, a namespace, an item;
        104sb-2, 105sb-1)."""
        while isinstance(node, nodes.Filter) and node.name in _DATA_STRING_FILTERS and node.node is not None:
            node = node.node
        return self._data_path(node, frozenset())

    def _data_path(self, node: nodes.Node, seen: frozenset[str]) -> bool:
        if isinstance(node, nodes.Name):
            if node.name not in self.defined:
                return node.name in CALLER_SUPPLIED
            if node.name in seen or node.name in self.unbound or len(seen) > 32:
                return False  # a cycle, or too long a chain: not shown to be data (fail closed)
            if node.name not in self._path_memo:  # each name once (two sets of each of 32 names: 2**32 paths)
                values = self._bindings.get(node.name)
                self._path_memo[node.name] = bool(values) and all(
                    v is not None and self._data_path(v.node if isinstance(v, _UnpackedFrom) else v, seen | {node.name})
                    for v in values or ())
            return self._path_memo[node.name]
        if isinstance(node, nodes.Getattr):
            return not _is_private(node.attr) and node.attr not in _BUILTIN_METHODS and self._data_path(node.node, seen)
        if isinstance(node, nodes.Getitem):
            arg = node.arg
            ok = isinstance(arg, nodes.Slice) or (isinstance(arg, nodes.Const) and (
                isinstance(arg.value, int) or (isinstance(arg.value, str) and not _is_private(arg.value)
                                               and arg.value not in _BUILTIN_METHODS))) or self._numeric(arg)
            return ok and self._data_path(node.node, seen)
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr in (
                "values", "items", "keys") and not node.args and not node.kwargs and node.dyn_args is None \
                and node.dyn_kwargs is None:
            return self._data_path(node.node.node, seen)  # for p in properties.values(): pieces of the data (110sb-1)
        if isinstance(node, nodes.Filter) and node.node is not None and node.name in ("items", "dictsort", "list") \
                and not node.args and not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None:
            return self._data_path(node.node, seen)
        return False

    def _depends_opaque(self, node: nodes.Node) -> bool:
        """``node`` reads a name the judge cannot know the value of (see :attr:`opaque`)."""
        return self._memoized("_depends_opaque", node)  # once per node (107sb-2)

    def _depends_opaque_of(self, node: nodes.Node) -> bool:
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            key = f"{node.node.name}.{node.attr}"
            if self._has(self.opaque, key) or key in self.env:
                return key in self.opaque
        if isinstance(node, nodes.Name):
            return self._has(self.opaque, node.name) or node.name in self.unbound or node.name in ("varargs", "kwargs", "caller",
                                                                                             "loop")
        return any(self._depends_opaque(child) for child in node.iter_child_nodes())

    # -- the checks -------------------------------------------------------------------------------

    def run(self) -> list[TemplateFinding]:
        found: list[nodes.Node] = []
        stack: list[tuple[nodes.Node, int]] = [(child, 2) for child in reversed(list(self.tree.iter_child_nodes()))]
        while stack:  # not find_all: it recurses once per level, and 3,000 chained filters are 3,000 levels
            node, depth = stack.pop()
            found.append(node)
            if len(found) > MAX_NODES:
                return [TemplateFinding("template.too-large", "high",
                                        f"{self.where}: more than {MAX_NODES} syntax nodes; not judged", "error")]
            if depth > MAX_DEPTH:
                return [TemplateFinding("template.too-deep", "high", f"{self.where}: line {node.lineno}: syntax "
                                        f"nested more than {MAX_DEPTH} levels deep; not judged", "error")]
            stack.extend((child, depth + 1) for child in reversed(list(node.iter_child_nodes())))
        # every analysis below reads names from these nodes: normalised here, once (119sb-1)
        for node in found:
            changed = _normalise_identifiers(node)
            if changed and not isinstance(node, nodes.Keyword):
                self.aliased.update(_python_name(raw) for raw in changed)
            for raw in changed:
                self.add("template.odd-name", "high", f"the name {raw!r} is the Python identifier "
                         f"{_python_name(raw)!r} once compiled (NFKC): judged as that name", "suspicious",
                         node.lineno)
        self._nodes = found
        self._collect_bindings()
        self._collect_namespace_attributes()
        self._collect_mappings()
        # x.update({'upper': v}) / setdefault put a template value under a method's name into a dict
        # the template did not build (the application's message, a module's globals): then any
        # allowed-method call may call it (red team 99sb-5)
        self._final_memo = {}  # the sets the predicates read are final from here on
        self.dict_mutated = any(isinstance(c.node, nodes.Getattr) and (
            c.node.attr in ("update", "setdefault")
            # l.append({'upper': v}) puts a template-built mapping into a list no binding shows (101sb-3)
            or (c.node.attr in ("append", "insert", "extend") and any(self._holds_mapping(a) for a in c.args)))
            for c in self._all(nodes.Call))
        for node in self._all(nodes.Node):
            self._check(node)
        _Bombs(self).run()  # the renderer's resources (122sb)
        return self.findings

    def _collect_mappings(self) -> None:
        """Names (and ``ns.attr``) that may hold a mapping the template builds — a dict literal, a
        ``dict(…)`` call, a macro's ``kwargs`` — directly, inside a list, or through any binding,
        macro argument or loop over one: Jinja2 reads ``x.upper`` as ``x['upper']`` when the
        attribute is missing, so ``x.upper(…)`` calls what the template stored (red team 98sb-2).
        A macro parameter given in a way not followed may hold one."""
        sites: list[tuple[str, nodes.Node | None]] = []
        for node in self._all((nodes.Assign, nodes.With, nodes.For, nodes.Macro)):
            if isinstance(node, nodes.Assign):
                if isinstance(node.target, nodes.NSRef):
                    sites.append((f"{node.target.name}.{node.target.attr}", node.node))
                else:
                    sites.extend((n.name, node.node) for n in _names(node.target))
                v = node.node
                if isinstance(node.target, nodes.Name) and isinstance(v, nodes.Call) and _namespace_call(v):
                    sites.extend((f"{node.target.name}.{kw.key}", kw.value) for kw in v.kwargs)
            elif isinstance(node, nodes.With):
                for t, v in zip(node.targets, node.values, strict=False):
                    sites.extend((n.name, v if isinstance(t, nodes.Name) else None) for n in _names(t))
                    if isinstance(t, nodes.Name) and isinstance(v, nodes.Call) and _namespace_call(v):
                        sites.extend((f"{t.name}.{kw.key}", kw.value) for kw in v.kwargs)  # (111sb-1)
            elif isinstance(node, nodes.For):
                # a recursive loop's target is also what loop(…) passes: unknown (99sb-4)
                sites.extend((n.name, None if node.recursive else node.iter) for n in _names(node.target))
            elif isinstance(node, nodes.Macro):
                sites.extend(self._macro_arguments(node))
        for block in self._all(nodes.CallBlock):  # {% call(d) m() %}: caller(…) fills d
            sites.extend((a.name, None) for a in block.args)
        self.mappings: set[str] = set()
        self.mapping_attrs = set()
        self._add_mappings(name for name, v in sites if v is None)
        # a name is in once any value bound to it may hold a mapping; an ``ns.attr`` brings its
        # attribute into mapping_attrs too
        self._grow([(self.mappings, name, v, self._holds_mapping) for name, v in sites if v is not None],
                   add=lambda _, name: self._add_mappings([name]))

    def _inert(self, node: nodes.Node) -> bool:
        """A value that cannot be a callable: a constant (or a list/dict of them), a number, a string
        built by the template, the application's data (JSON) — but not a method read off it
        (``content.replace`` is a bound method: a callable)."""
        if isinstance(node, nodes.Getattr) and (node.attr in ALLOWED_METHODS or node.attr in _DATA_METHODS):
            return False
        if isinstance(node, nodes.Const) or self._numeric(node) or _surely_str(node) or self._context_data(node):
            return True
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return all(self._inert(i) for i in node.items)
        if isinstance(node, nodes.Dict):
            return all(self._inert(p.value) for p in node.items)
        return False

    def _holds_mapping(self, node: nodes.Node) -> bool:
        """``node``'s value may be, or contain, a mapping the template built (see above)."""
        if _surely_str(node) or self._numeric(node):
            return False
        return self._memoized("_subtree_mapping", node)

    def _subtree_mapping_of(self, n: nodes.Node) -> bool:
        """Some node of ``n``'s subtree makes or reads a mapping the template built: each node asked
        once (memoised), so nested ``.append(…)`` calls cost linear time, not a walk of every
        argument's subtree per call (red team 106sb-5: 58 nested appends, 3.5 s)."""
        if self._mapping_node(n):
            return True
        return any(self._memoized("_subtree_mapping", child) for child in n.iter_child_nodes())

    def _mapping_node(self, n: nodes.Node) -> bool:
        """One node that makes or reads a mapping the template built (see :meth:`_holds_mapping`)."""
        # a mapping whose every value is a constant or the application's data holds no callable
        if isinstance(n, nodes.Dict) and not all(self._inert(p.value) for p in n.items):
            return True
        if isinstance(n, nodes.Call) and isinstance(n.node, nodes.Name) and n.node.name == "dict" \
                and "dict" not in self.defined and not (n.dyn_args is None and n.dyn_kwargs is None and all(
                    self._inert(a) for a in [*n.args, *(kw.value for kw in n.kwargs)])):
            return True
        if isinstance(n, nodes.Name) and n.ctx == "load" and (n.name in ("kwargs", "varargs")
                                                              or self._has(self.mappings, n.name)):
            return True  # a macro's extra arguments hold whatever a call passes (100sb-4)
        if isinstance(n, nodes.Getattr) and isinstance(n.node, nodes.Name) and n.node.name == "loop" \
                and "loop" not in self.defined and n.attr in ("previtem", "nextitem", "cycle"):
            return True  # another element of the loop's iterable, or a value cycle() is given (100sb-3)
        # an alias may have written it (any namespace's attribute of that name)
        return isinstance(n, nodes.Getattr) and isinstance(n.node, nodes.Name) and (
            self._has(self.mappings, f"{n.node.name}.{n.attr}")
            or (not self.ns_followed and self._has(self.mapping_attrs, n.attr)))

    def _collect_namespace_attributes(self) -> None:
        """Attribute names a namespace may hold (``set ns.a = v``, ``namespace(a=v)``, the constant
        keys of a ``namespace({...})`` mapping): a Jinja2 ``Namespace`` returns what is stored under
        any name, so ``ns.get(…)`` calls the stored value, whatever method the name recalls (red
        team 95sb-2: ``set ns.get = g[0]`` then ``ns.get(…)`` called a render-time value unflagged).
        A namespace built from a mapping whose keys are not constants may hold any name."""
        self.ns_attrs: set[str] = set()
        for node in self._all(nodes.NSRef):
            self.ns_attrs.add(node.attr)
        for call in self._all(nodes.Call):
            if not _namespace_call(call) or "namespace" in self.defined:
                continue
            self.ns_attrs.update(str(kw.key) for kw in call.kwargs)
            for arg in call.args:
                if isinstance(arg, nodes.Dict) and all(isinstance(p.key, nodes.Const) and isinstance(p.key.value, str)
                                                       for p in arg.items):
                    self.ns_attrs.update(str(p.key.value) for p in arg.items if isinstance(p.key, nodes.Const))
                else:
                    self.add("template.odd-call", "high", "builds a namespace() from a mapping read at render time "
                             "(its attribute names, and what calling them runs, are not in the template)",
                             "suspicious", call.lineno)

    def _names_of(self, node: nodes.Node | None) -> _Values | None:
        v = self.values(node)
        return None if v is None else [x for x in v if isinstance(x, str)]

    def _judge_name(self, name: str, how: str, lineno: int) -> None:
        parts = re.split(r"[.,]", name) if how in ("attribute=", "map attribute") else [name]
        item = how == "item"  # x['k'] reads a dict key first; only a failed lookup falls back to getattr
        for part in parts:
            if "__" in part:
                self.add("template.dunder-access", "critical",
                         f"{how} {part!r} reaches Python internals (sandbox escape)", "unsafe", lineno)
            elif part.startswith("_"):
                self.add("template.private-access", "high" if item else "critical",
                         f"{how} {part!r} reads a private attribute", "suspicious" if item else "unsafe", lineno)
            elif part in DANGEROUS_ATTRS and not (item and part in _DATA_LIKE):
                self.add("template.internals-access", "high" if item else "critical",
                         f"{how} {part!r} reaches interpreter internals", "suspicious" if item else "unsafe", lineno)

    def _may_be_built_str(self, node: nodes.Node) -> bool:
        """``node`` may be a string of the template's own (a constant, a folded or built one): not
        the renderer's data, not a value of unknown kind (a macro parameter: JSON schema templates
        read ``param["format"]``)."""
        if self._context_data(node) or self._context_path(node):
            return False
        if isinstance(node, nodes.Name):  # every binding of the name builds a string (set s = '{0.' ~ u ~ …)
            bound = self._bindings.get(node.name)
            if bound and all(isinstance(v, nodes.Node) and _surely_str(v) for v in bound):
                return True
        return _surely_str(node) or any(isinstance(v, str) for v in self._names_of(node) or ())

    def _judge_namespace_attribute(self, attr: str, line: int) -> None:
        """``{% set ns.ATTR = v %}`` stores v under any name (``Namespace.__getattribute__`` returns it
        for every name), and Jinja2's filters and markupsafe call some names on their operand without
        a call in the template: ``__html__`` (``|safe``, ``|e``, escaping), ``__html_format__``
        (``Markup.format``), ``items()`` (``|dictsort``, ``|xmlattr``), ``join()`` (``|join(d)``,
        ``|wordwrap(wrapstring=…)``). Red team 107sb-1: ``set ns.__html_format__ = s.format`` ran a
        str.format the template built. Internal names are judged as attributes; the protocol names
        are never a namespace's (no real template stores one)."""
        self._judge_name(attr, "namespace attribute", line)
        if attr in _PROTOCOL_NAMES:
            self.add("template.namespace-protocol", "high", f"namespace attribute {attr!r} is a method Jinja2's filters "
                     "call on their operand: a value stored under it is called without a call in the template",
                     "suspicious", line)

    def _judge_path(self, key_node: nodes.Node, how: str, lineno: int, receiver: nodes.Node | None = None) -> None:
        """An attribute-path position (make_attrgetter: ``attribute=``, groupby/sum/sort…'s path,
        selectattr, ``map('attr', …)``, ``|attr``): safe only as a constant the name judge accepts
        or a loop variable over context data; anything else is a name chosen at render time
        (red team 34j-1/2: macro and caller parameters, varargs/kwargs, tuple targets, call results)."""
        names = self._names_of(key_node)
        if names is not None:
            for n in names:
                self._judge_name(n, how, lineno)
                if re.split(r"[.,]", n)[-1] in ("format", "format_map"):  # as |attr('format') (107sb-1)
                    self.add("template.format-method", "high", f"{how} {n[:60]!r} fetches a str.format method, called "
                             "later on a string mlbom does not see", "suspicious", lineno)
            if not self._depends_opaque(key_node) and not self._is_computed(key_node):
                return
        elif self._context_path(key_node) and not self._key_cut(key_node) and not self._key_data(key_node) \
                and (receiver is None or self._plain_receiver(receiver)):
            # not a key of a template-written mapping, even whole: a path splits it on dots (103sb-1);
            # applied to the data or a literal of the template's only: on [namespace] a message's
            # '__init__.__globals__.os' walks to os (113sb-1)
            return
        self.add("template.computed-name", "high",
                 f"{how} path is not a constant ({type(key_node).__name__}); its value is chosen at render time",
                 "suspicious", lineno)

    def _context_path(self, node: nodes.Node) -> bool:
        """A loop variable over context data, or an attribute/constant item of one."""
        if isinstance(node, nodes.Name):
            return node.name in self.context_loop
        if isinstance(node, (nodes.Getattr, nodes.Getitem)) and self._gen_is(node.node):
            return False  # an attribute of a generator (its gi_frame): no piece of the data (116sb-1)
        if isinstance(node, nodes.Getattr):
            return not _is_private(node.attr) and self._context_path(node.node)
        if isinstance(node, nodes.Getitem):
            return isinstance(node.arg, nodes.Const) and self._context_path(node.node)
        return False

    def _elements_of(self, node: nodes.Node) -> list[str]:
        """The string elements ``node`` may take when it indexes a constant sequence by an index
        known only at render time (``['a', '__class__'][loop.index]``): not its only values (an
        index out of range is Undefined), but each is one it may take."""
        if not isinstance(node, nodes.Getitem) or isinstance(node.arg, nodes.Slice):
            return []
        objs = self.values(node.node)
        if objs is None or not all(isinstance(o, (str, list, tuple)) for o in objs):
            return []
        return [e for o in objs for e in o if isinstance(e, str)][:MAX_FOLD_VALUES]

    def _judge_key(self, key_node: nodes.Node, how: str, lineno: int, receiver: nodes.Node | None = None) -> None:
        """An item key (``x[k]``: a dict key, else getattr): judged by name when it folds to
        constants; otherwise safe only as a number/truth value or context data. Anything else —
        a value built at render time, one of unknown kind (a tuple target, a macro parameter, an
        ``or`` of such) — is a computed name (fail closed: red team 83s-1/83s-4)."""
        names = self._names_of(key_node)
        if names is None:
            for n in self._elements_of(key_node):  # judged, though not a complete answer (102sb-4)
                self._judge_name(n, how, lineno)
        if names is not None:
            for n in names:
                self._judge_name(n, how, lineno)
            # no value at all (for k in ns.k, ns.k = [] but filled unseen: .append, an alias): not judged
            if names and not self._depends_opaque(key_node) and not self._is_computed(key_node):
                return
        if self._numeric(key_node):
            return
        # the application's data, or a piece of it: nothing of the template's — unless a key of a
        # mapping the template wrote went into it (102sb-1) — and only on the data itself or a
        # literal the template wrote: on namespace, a macro, loop… the data chooses a walk to a
        # function's __globals__ (113sb-1)
        if receiver is not None and not self._plain_receiver(receiver):
            self.add("template.computed-name", "high",
                     f"{how} name is read at render time ({type(key_node).__name__}) and applied to a "
                     f"{type(receiver).__name__} that is not the renderer's data nor a literal of the template's "
                     "(the data may choose a walk to Python internals)", "suspicious", lineno)
            return
        if (self._context_path(key_node) or self._context_data(key_node)) and not self._key_cut(key_node):
            return
        if self._alternatives_ok(key_node):
            return  # each value it may take is a harmless constant or the renderer's data (106sb-6)
        self.add("template.computed-name", "high",
                 f"{how} name is computed at render time ({type(key_node).__name__}); cannot be judged", "suspicious",
                 lineno)

    def _plain_receiver(self, node: nodes.Node) -> bool:
        """``node``'s value is surely the renderer's data or a container the template wrote of
        constants and data (nothing changed in place): a name chosen by the data (a message's
        text, a tool name) applied to it as an item key, attribute path or format argument reaches
        only attributes of builtin types. Anything else — ``namespace``, a macro, ``loop``,
        ``caller``, ``strftime_now``, ``raise_exception``, ``range``/``dict``, ``self``,
        ``varargs``/``kwargs``, a namespace object, a call result, a set block, a value of unknown
        kind — may lead to a Python function and its ``__globals__`` (red team 113sb-1: a plain
        Environment's getitem falls back to getattr: ``namespace['__init__']['__globals__']['os']``
        with the keys sent as chat messages). Names by the greatest fixpoint over their bindings."""
        if self._plain_names is None:
            bindings = self._bindings
            self._plain_names = {n for n in bindings if n not in self.tainted}

            def holds(name: str) -> bool:
                for v in bindings[name]:
                    if v is None:
                        return False
                    if not self._plain_of(v.node if isinstance(v, _UnpackedFrom) else v):
                        return False  # a loop variable: an element of the iterable (plain in plain)
                return True

            self._shrink_to_fixpoint(self._plain_names, holds)
        try:
            return self._plain_of(node)
        except RecursionError:
            return False

    def _plain_of(self, node: nodes.Node) -> bool:
        # a Jinja2/renderer object, a macro (whatever else binds its name: a set that may not
        # run), a caller= parameter of a macro a {% call %} calls (113sb-3)
        if isinstance(node, nodes.Name) and (node.name in _PYTHON_OBJECT_NAMES or node.name in PYTHON_NAMES
                                             or node.name in self.macros):
            return False
        if self._gen_is(node) or self._gen_holds(node):
            # a generator object (its gi_frame reaches a module's globals: 115sb-1), or what may
            # hold one however it got there (116sb-1), not its items
            return False
        if self._context_data(node) or self._context_path(node):
            return True
        if self.mutates:  # L.append(namespace): no literal is known by its text (111sb-2)
            return False
        if isinstance(node, nodes.Const):
            return True
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return all(self._plain_of(i) for i in node.items)
        if isinstance(node, nodes.Dict):
            return all(isinstance(p.key, nodes.Const) and self._plain_of(p.value) for p in node.items)
        if isinstance(node, nodes.Name):
            if node.name not in self.defined:  # another value the renderer passes (tool_namespace_descriptions)
                return True
            # read where it may be unbound: the renderer's value of that name too, data as above
            # (83s: a macro reading a later set)
            return self._plain_names is not None and self._has(self._plain_names, node.name)
        if isinstance(node, nodes.Getattr):
            if isinstance(node.node, nodes.Name) and f"{node.node.name}.{node.attr}" in self._bindings:
                return node.node.name not in self.unbound and self._plain_names is not None \
                    and self._has(self._plain_names, f"{node.node.name}.{node.attr}")
            return not _is_private(node.attr) and node.attr not in _BUILTIN_METHODS and self._plain_of(node.node)
        if isinstance(node, nodes.Getitem):
            return self._plain_of(node.node)
        if isinstance(node, nodes.CondExpr):
            return self._plain_of(node.expr1) and (node.expr2 is None or self._plain_of(node.expr2))
        if isinstance(node, (nodes.And, nodes.Or)):
            return self._plain_of(node.left) and self._plain_of(node.right)
        if isinstance(node, nodes.Filter) and node.node is not None and node.dyn_args is None \
                and node.dyn_kwargs is None and node.name in _CONTEXT_FILTERS | {"default", "d"}:
            return self._plain_of(node.node) and all(self._plain_of(a) for a in [*node.args, *(k.value for k in node.kwargs)])
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr in (
                "items", "values", "keys", "get") and node.dyn_args is None and node.dyn_kwargs is None and not node.kwargs:
            return self._plain_of(node.node.node) and all(self._plain_of(a) for a in node.args)
        return False

    def _iter_ids(self) -> set[int]:
        if self._iters is None:
            self._iters = {id(f.iter) for f in self._all(nodes.For)}
        return self._iters

    # -- values that may be a Python object of Jinja2's (red team 115sb-1, 116sb-1) -----------------
    # ``|select``, ``|reject``, ``|map``… return a generator object: iterated it gives the data's
    # items, but the object itself is Python's (``gi_frame.f_globals`` are jinja2.filters' module
    # globals; a plain Environment's getitem falls back to getattr). Two predicates follow such a
    # value through every flow — a container literal, an item or attribute of one, ``|first``/
    # ``|last``/``|list`` of what holds one, ``|default``'s argument, ``.get``/``.values()``, ``+``,
    # a conditional, ``or``/``and``, set/with/for/macro arguments, namespace attributes —:
    # :meth:`_gen_is` (the value may BE such an object) and :meth:`_gen_holds` (it may hold one
    # anywhere inside). Names by one least fixpoint over their bindings (:meth:`_collect_generators`);
    # a binding the judge does not follow (a caller parameter, a set block, a tuple target, a
    # recursive loop) may be anything. ``loop``, ``caller``, ``varargs``/``kwargs``, a macro,
    # ``namespace``, ``cycler``… are such objects too. Context data holds none (:meth:`_context_data_of`);
    # a receiver is neither (:meth:`_plain_of`).

    def _collect_generators(self) -> None:
        """:attr:`gen_is`, :attr:`gen_holds` (and :attr:`gen_attrs`), :attr:`walked`: least sets by
        one worklist each (:meth:`_grow`): a chain of names costs O(n) questions (116sb-2: the
        recursive walk of every binding took 5.4 s for 12 names set three times each)."""
        iters = self._iter_ids()

        def add(target: set[str], name: str) -> list[tuple[int, str]]:
            changed: list[tuple[int, str]] = []
            if name not in target:
                target.add(name)
                changed.append((id(target), name))
            if target is not self.walked and "." in name and (attr := name.split(".", 1)[1]) not in self.gen_attrs:
                self.gen_attrs.add(attr)
                changed.append((id(self.gen_attrs), attr))
            return changed

        sites: list[tuple[set[str], str, nodes.Node, Callable[[nodes.Node], bool]]] = []
        walks: list[tuple[set[str], str, nodes.Node, Callable[[nodes.Node], bool]]] = []
        blocks = {n.name for b in self._all(nodes.AssignBlock) for n in _names(b.target)}
        blocks |= {f"{b.target.name}.{b.target.attr}" for b in self._all(nodes.AssignBlock)
                   if isinstance(b.target, nodes.NSRef)}
        for name, values in sorted(self._bindings.items()):
            for v in values:
                if v is None:  # a value not followed: any (a set block's: a string, rendered)
                    add(self.gen_is, name)
                    add(self.gen_holds, name)
                    if name not in blocks:
                        add(self.walked, name)
                    continue
                node = v.node if isinstance(v, _UnpackedFrom) else v
                walks.append((self.walked, name, node, self._data_walk))
                if isinstance(v, _UnpackedFrom) or id(v) in iters:  # an element (or a piece of one)
                    sites.append((self.gen_is, name, node, self._gen_holds))
                    sites.append((self.gen_holds, name, node, self._gen_holds))
                else:
                    sites.append((self.gen_is, name, node, self._gen_is))
                    sites.append((self.gen_holds, name, node, self._gen_holds))
        self._grow(sites, add=add)
        self._grow(walks)

    def _gen_is(self, node: nodes.Node) -> bool:
        return self._memoized("_gen_is", node)

    def _gen_holds(self, node: nodes.Node) -> bool:
        return self._memoized("_gen_holds", node)

    def _genish(self, node: nodes.Node) -> bool:
        return self._gen_is(node) or self._gen_holds(node)

    def _gen_is_of(self, node: nodes.Node) -> bool:
        """``node``'s value may be a generator (or another Python object of Jinja2's) itself."""
        return self._gen_of(node, True)

    def _gen_holds_of(self, node: nodes.Node) -> bool:
        """``node``'s value may hold one inside (an item, a value, an element's element…)."""
        return self._gen_of(node, False)

    def _gen_of(self, node: nodes.Node, itself: bool) -> bool:
        pred = self._gen_is if itself else self._gen_holds
        if isinstance(node, (nodes.Const, nodes.TemplateData, nodes.Concat, nodes.Compare, nodes.Test, nodes.Not)):
            return False  # a constant, a string, a truth value
        if isinstance(node, nodes.Name):
            name = node.name
            if name in self.macros or name in _PYTHON_OBJECT_NAMES or name in PYTHON_NAMES:
                return True  # (whatever else binds it: inside a for, loop is Jinja2's LoopContext)
            if name in self._bindings:
                return self._has(self.gen_is if itself else self.gen_holds, name)
            return name in self.defined  # bound some way not followed; else the renderer's value
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name == "loop" \
                and "loop" not in self.defined and node.attr in _NUMERIC_LOOP_ATTRS:
            return False  # loop.index, loop.first…: numbers and truth values
        if isinstance(node, nodes.Getattr):
            if isinstance(node.node, nodes.Name):
                key = f"{node.node.name}.{node.attr}"
                if key in self._bindings and self._has(self.gen_is if itself else self.gen_holds, key):
                    return True
            if not self.ns_followed and self._has(self.gen_attrs, node.attr):
                return True  # written through an alias of some namespace
            return self._gen_part(node.node, node.attr)
        if isinstance(node, nodes.Getitem):
            return self._gen_part(node.node, node.arg.value if isinstance(node.arg, nodes.Const) else None)
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return not itself and any(self._genish(i) for i in node.items)
        if isinstance(node, nodes.Dict):
            return not itself and any(self._genish(p.key) or self._genish(p.value) for p in node.items)
        if isinstance(node, nodes.CondExpr):
            return pred(node.expr1) or (node.expr2 is not None and pred(node.expr2))
        if isinstance(node, (nodes.And, nodes.Or)):
            return pred(node.left) or pred(node.right)
        if isinstance(node, nodes.Filter):
            if node.node is None or node.dyn_args is not None or node.dyn_kwargs is not None:
                return True  # a filter block's body, *args: not followed
            args = [*node.args, *(kw.value for kw in node.kwargs)]
            if any(self._genish(a) for a in args):
                return True  # |default(gen), |batch(n, gen), |map('d', gen)…
            if node.name in _GEN_SAFE_FILTERS:
                return False  # a string, a number
            if node.name in _GENERATOR_FILTERS:
                if itself:
                    return True
                # map('select'), map(name chosen at render time): its elements are generators
                return self._gen_holds(node.node) or (node.name == "map" and bool(node.args) and not (
                    isinstance(node.args[0], nodes.Const) and node.args[0].value not in _GENERATOR_FILTERS))
            if node.name in ("first", "last", "random", "min", "max"):
                return self._gen_holds(node.node)  # an element of it
            if node.name in ("list", "sort", "reverse", "dictsort", "groupby"):
                return not itself and self._gen_holds(node.node)  # a new list of its elements
            if node.name in ("default", "d"):
                return pred(node.node)
            return self._genish(node.node)  # |attr, |sum… : anything of it
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name not in self.defined \
                and node.node.name in ("range", "strftime_now", "raise_exception", "dict", "namespace"):
            # numbers, a string; a dict or namespace of the arguments
            return node.node.name in ("dict", "namespace") and (
                node.dyn_args is not None or node.dyn_kwargs is not None
                or any(self._genish(c) for c in [*node.args, *(kw.value for kw in node.kwargs)]))
        # a call (of a method of such a value, of a macro, loop.cycle(…)), +, *, a slice…: any
        # piece of its operands
        return any(self._genish(c) for c in node.iter_child_nodes())

    def _gen_part(self, obj: nodes.Node, name: object) -> bool:
        """An attribute or item ``name`` (None: chosen at render time) of ``obj`` may be such an
        object (or hold one): anything of what may hold one, or of ``loop``, a macro…; of a value
        that may only be a generator (not hold one), only what a generator has (``gi_frame``…):
        a plain name it lacks is Undefined there (``json_spec.type`` of ``json_spec|items``)."""
        if self._gen_holds(obj):
            return True
        return self._gen_is(obj) and not (name is not None and not (isinstance(name, str) and (
            _is_private(name) or name in _GENERATOR_ATTRS)))

    def _data_walk(self, node: nodes.Node) -> bool:
        return self._memoized("_data_walk", node)

    def _data_walk_of(self, node: nodes.Node) -> bool:
        """``node``'s value may be what a walk chosen at render time reached: an item whose key is
        neither a constant nor a number (a plain Environment's getitem falls back to getattr), an
        ``|attr``/``attribute=`` path not constant, or a name bound to one (the lead of 115sb-1
        and 116sb-1: ``x[k1][k2].remove(…)`` with the keys sent as messages)."""
        if isinstance(node, nodes.Name):
            return node.name in self._bindings and self._has(self.walked, node.name)
        if isinstance(node, nodes.Getitem):
            arg = node.arg
            if not (isinstance(arg, (nodes.Const, nodes.Slice)) or self._numeric(arg) or (
                    self._names_of(arg) is not None and not self._depends_opaque(arg) and not self._is_computed(arg))):
                return True  # (a key the judge folds to constants is judged by name)
            return self._data_walk(node.node)
        if isinstance(node, nodes.Getattr):
            if isinstance(node.node, nodes.Name) and f"{node.node.name}.{node.attr}" in self._bindings \
                    and self._has(self.walked, f"{node.node.name}.{node.attr}"):
                return True
            return self._data_walk(node.node)
        if isinstance(node, nodes.Filter):
            paths = [*node.args] if node.name == "attr" else [kw.value for kw in node.kwargs if kw.key == "attribute"]
            if node.name in _ATTRIBUTE_ARG and len(node.args) > _ATTRIBUTE_ARG[node.name]:
                paths.append(node.args[_ATTRIBUTE_ARG[node.name]])
            if node.name in ("map", "selectattr", "rejectattr") and node.args:
                paths.extend(node.args[:2])
            if any(not isinstance(a, nodes.Const) for a in paths):
                return True
        if isinstance(node, (nodes.Const, nodes.TemplateData, nodes.Concat, nodes.Compare, nodes.Test, nodes.Not)):
            return False  # a constant, a string, a truth value
        if isinstance(node, nodes.CondExpr):
            return self._data_walk(node.expr1) or (node.expr2 is not None and self._data_walk(node.expr2))
        # a literal holding one, |first of it, .get(k, it), a call's result…: any piece of it
        return any(self._data_walk(c) for c in node.iter_child_nodes())

    def _alternatives_ok(self, node: nodes.Node) -> bool:
        """Every value an item key may take at render time is, by itself, a constant that names
        nothing internal (:func:`_harmless_name`) or the renderer's data — nothing is built from
        pieces: Gemma's ``{% if role == 'assistant' %}{% set role = 'model' %}{% else %}{% set role
        = message['role'] %}``, ``'model' if … else message.role``, ``message.role|default('user')``,
        a namespace attribute remembering the previous role (red team 106sb-6). Names by the
        greatest fixpoint over their bindings (:attr:`_bindings`), asked once the other sets are final."""
        if self._alt_names is None:
            iters = self._iter_ids()
            bindings = self._bindings
            # (opaque names are not excluded: a binding to data is opaque; the bindings decide)
            self._alt_names = {n for n in bindings if n not in self.unbound and n not in self.tainted
                               and n not in self.computed and n not in self.key_cut}

            def holds(name: str) -> bool:
                for v in bindings[name]:
                    if v is None or isinstance(v, _UnpackedFrom):
                        return False
                    if id(v) in iters:  # a loop variable: an element of the iterable
                        if not (self._context_data(v) or (isinstance(v, (nodes.List, nodes.Tuple))
                                                          and _harmless_consts(v.items))):
                            return False
                    elif not self._alternative(v):
                        return False
                return True

            self._shrink_to_fixpoint(self._alt_names, holds)
        try:
            return self._alternative(node)
        except RecursionError:
            return False

    def _alternative(self, node: nodes.Node) -> bool:
        if self._reads is not None:
            self.fixpoint_work -= 1  # not memoised: each visit counted (117sb-1)
        if isinstance(node, nodes.Const):
            return _harmless_name(node.value)
        if self._numeric(node):
            return True
        if isinstance(node, nodes.Name):
            return self._alt_names is not None and self._has(self._alt_names, node.name)
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) \
                and f"{node.node.name}.{node.attr}" in self._bindings:  # a followed namespace attribute
            return self._alt_names is not None and node.node.name not in self.unbound \
                and self._has(self._alt_names, f"{node.node.name}.{node.attr}")
        if (self._context_path(node) or self._context_data(node)) and not self._key_cut(node):
            return True
        if isinstance(node, nodes.CondExpr):
            return self._alternative(node.expr1) and (node.expr2 is None or self._alternative(node.expr2))
        if isinstance(node, (nodes.And, nodes.Or)):
            return self._alternative(node.left) and self._alternative(node.right)
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == "strftime_now" \
                and "strftime_now" not in self.defined and len(node.args) == 1 and not node.kwargs \
                and node.dyn_args is None and node.dyn_kwargs is None and isinstance(node.args[0], nodes.Const) \
                and isinstance(node.args[0].value, str) and _DATE_DIRECTIVES.fullmatch(node.args[0].value):
            return True  # the renderer's date text (Hunyuan's weekday_map[strftime_now('%A')]: 107sb-4)
        if isinstance(node, nodes.Filter) and node.name in ("default", "d") and node.node is not None \
                and not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None and len(node.args) <= 2:
            return self._alternative(node.node) and (not node.args or self._alternative(node.args[0]))
        if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Slice) and self._numeric(node.arg):
            # ['user', 'assistant'][loop.index0 % 2], or a name bound only to such a list: one of its
            # constants (out of range: Undefined) (110sb-2). By the folded values, not the bindings:
            # a loop variable over ['x_'] is bound to that list but holds 'x_', whose items are its
            # characters (111sb-3); a list changed in place does not fold (111sb-2)
            objs = self.values(node.node)
            return objs is not None and not self._depends_opaque(node.node) and all(
                isinstance(o, (list, tuple)) and all(_harmless_name(e) for e in o) for o in objs)
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr == "cycle" \
                and isinstance(node.node.node, nodes.Name) and node.node.node.name == "loop" and "loop" not in self.defined \
                and not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None:
            return _harmless_consts(node.args)  # loop.cycle('user', 'assistant')
        return False

    def _is_computed(self, node: nodes.Node) -> bool:
        """A string built at render time (concatenation, string filters, macro output) or one
        derived from a model-supplied value — anywhere inside ``node`` except under operations
        whose result is a number or a truth value — as opposed to a constant or a loop variable.
        Literal pieces joined in place (``'reasoning' ~ '_content'``) fold exactly: not built."""
        try:
            return not _literal_only(node) and self._derived(node)
        except RecursionError:
            return True

    def _derived(self, node: nodes.Node) -> bool:
        return self._memoized("_derived", node)  # once per node (107sb-2: nested |attr sinks)

    def _derived_of(self, node: nodes.Node) -> bool:
        if isinstance(node, _NUMERIC_NODES) or self._numeric_filter(node):
            return False
        if isinstance(node, (nodes.Add, nodes.Mul, nodes.Mod)) and self._numeric(node):
            return False  # arithmetic on numbers (loop.index0 % 2): a number, no string built
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == "range":
            return False
        if isinstance(node, nodes.Name):
            return self._has(self.computed, node.name) or node.name in self.tainted
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            key = f"{node.node.name}.{node.attr}"
            if self._has(self.computed, key) or key in self.tainted:
                return True
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name in self.macros | {"caller"}:
            return True
        if isinstance(node, _STRING_OPS) and _stringy(node, self._stringy_memo):
            return True
        return any(self._derived(child) for child in node.iter_child_nodes())

    def _bind_block(self, node: nodes.AssignBlock) -> None:
        """``{% set x %}…{% endset %}``: x is the rendered body."""
        parts = _block_parts(node)
        folded = self.values(nodes.Concat(parts)) if parts and node.filter is None else None
        if any(isinstance(v, str) and _DUNDER.search(v) for v in folded or ()) or any(
                _DUNDER.search(d.data) for d in node.find_all(nodes.TemplateData)):  # red team 34j-1
            self.add("template.dunder-string", "high", "a {% set %} block body names a Python dunder attribute",
                     "suspicious", node.lineno)
        if isinstance(node.target, nodes.Name):
            self.defined.add(node.target.name)
            # every binding of x adds its values (a block under an if that is false, in a loop or a
            # macro body does not replace the others: red team 106sb-1); a body that is more than
            # one piece of text is a string built at render time, whatever it folds to
            merged = _safe_bounded(self.env.get(node.target.name, []) + folded) if folded is not None else None
            if merged is not None:
                self.env[node.target.name] = merged
            else:
                self.env.pop(node.target.name, None)
            if merged is None or not _one_text(parts):
                self.computed.add(node.target.name)
                self.opaque.add(node.target.name)
        elif isinstance(node.target, nodes.NSRef):
            self.computed.add(f"{node.target.name}.{node.target.attr}")
            self.opaque.add(f"{node.target.name}.{node.target.attr}")

    def _check(self, node: nodes.Node) -> None:
        line = node.lineno
        if isinstance(node, (nodes.Import, nodes.FromImport, nodes.Include, nodes.Extends)):
            what = type(node).__name__.lower().replace("fromimport", "from-import")
            self.add("template.loads-template", "critical",
                     f"{{% {what} %}} makes the renderer load another template through its loader (file access)",
                     "unsafe", line)
        elif isinstance(node, nodes.Getattr):
            self._judge_name(node.attr, "attribute", line)
            if node.attr == "format":  # called here or stored and called later (CVE-2024-56326)
                self._judge_format(node.node, line, node)
            if isinstance(node.node, nodes.Name) and node.node.name in PYTHON_NAMES and node.node.name not in self.defined:
                self.add("template.python-name", "critical",
                         f"{node.node.name}.{node.attr} names a Python module or builtin", "unsafe", line)
        elif isinstance(node, nodes.Getitem):
            if not isinstance(node.arg, nodes.Slice):
                self._judge_key(node.arg, "item", line, node.node)
                # s['format']: no str item of that name, so the sandbox's getitem falls back to
                # getattr: str.format, as s.format (108sb-1); a mapping of the renderer's data has
                # such keys (a JSON schema's "format") and no str.format
                if {"format", "format_map"} & set(self._names_of(node.arg) or ()) and self._may_be_built_str(node.node):
                    self.add("template.format-method", "high", "an item 'format' of a value the template built "
                             "fetches a str.format method (getitem falls back to getattr)", "suspicious", line)
                    self._judge_format(node.node, line)
        elif isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in self.defined:
            if node.name in PYTHON_NAMES:
                self.add("template.python-name", "critical",
                         f"{node.name!r} names a Python module or builtin", "unsafe", line)
            elif node.name in GADGET_GLOBALS:
                self.add("template.gadget-global", "high",
                         f"{node.name!r} is a Jinja2/Flask global used by sandbox-escape payloads; no chat-template "
                         "renderer provides it for a reason", "suspicious", line)
        elif isinstance(node, (nodes.Filter, nodes.Test)):
            self._check_filter(node)
        elif isinstance(node, nodes.FilterBlock):
            self._check_filter(node.filter)
        elif isinstance(node, nodes.Call):
            self._check_call(node)
        elif isinstance(node, nodes.Const) and isinstance(node.value, str) and _DUNDER.search(node.value):
            self.add("template.dunder-string", "high",
                     f"string constant {node.value[:60]!r} names a Python dunder attribute", "suspicious", line)
        elif isinstance(node, nodes.Keyword) and "__" in node.key:
            self.add("template.dunder-string", "high", f"keyword argument {node.key!r} names a Python dunder attribute",
                     "suspicious", line)
        elif isinstance(node, nodes.NSRef):
            self._judge_namespace_attribute(node.attr, line)
        if isinstance(node, nodes.Call) and _namespace_call(node):
            # namespace(join=…) / namespace({'join': …}) store under those names too (108sb-1)
            for kw in node.kwargs:
                self._judge_namespace_attribute(kw.key, line)
            for arg in node.args:
                if isinstance(arg, nodes.Dict):
                    for pair in arg.items:
                        if isinstance(pair.key, nodes.Const) and isinstance(pair.key.value, str):
                            self._judge_namespace_attribute(pair.key.value, line)
        elif isinstance(node, (nodes.ContextReference, nodes.DerivedContextReference, nodes.InternalName,
                               nodes.ImportedName, nodes.EnvironmentAttribute, nodes.ExtensionAttribute)):
            self.add("template.internal-node", "critical",
                     f"{type(node).__name__} node reaches the renderer's internals", "unsafe", line)
        # whatever the node kind (a |join or |format Filter, a Call, a Getitem…): a folded value
        # naming a dunder is judged even where the node's own check ran above (red team 33e-1)
        if isinstance(node, (nodes.Concat, nodes.Add, nodes.Mod, nodes.Mul, nodes.Filter, nodes.Call, nodes.Getitem,
                             nodes.CondExpr, nodes.Slice)) \
                and any(isinstance(v, str) and _DUNDER.search(v) for v in self.values(node) or ()):
            self.add("template.dunder-string", "high", "an expression builds a string naming a Python dunder "
                     "attribute", "suspicious", line)

    def _check_filter(self, node: nodes.Filter | nodes.Test) -> None:
        line = node.lineno
        is_test = isinstance(node, nodes.Test)
        allowed = ALLOWED_TESTS if is_test else ALLOWED_FILTERS
        if node.name not in allowed:
            self.add("template.unknown-test" if is_test else "template.unknown-filter", "high",
                     f"{'test' if is_test else 'filter'} {node.name!r} is not provided by the chat-template renderers",
                     "suspicious", line)
        if is_test:
            return
        if node.name == "attr" and node.args:
            self._judge_attr_filter(node.args[0], line, node.node, "attr filter")
        for kw in node.kwargs:
            if kw.key == "attribute":
                self._judge_path(kw.value, "attribute=", line, node.node or _UNKNOWN)
        self._judge_applied(node.name, node.args, line, 0, node.node or _UNKNOWN)
        if node.name in _NAMED_CALLABLE and node.args and isinstance(node, nodes.Filter):
            self._check_named_callable(node, line)
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.add("template.dynamic-arguments", "high",
                     f"filter {node.name!r} receives *args/**kwargs built at render time", "suspicious", line)

    def _judge_attr_filter(self, name: nodes.Node, line: int, receiver: nodes.Node | None, how: str) -> None:
        """``|attr(name)`` — directly, or applied by ``map('attr', name)`` to each element (the same
        getattr: red team 117sb note, ``[m.name]|map('attr', m.content)`` was clean while the direct
        ``|attr(m.content)`` was flagged)."""
        if "format" in (self._names_of(name) or ()):  # |attr('format'): CVE-2025-27516
            self.add("template.format-method", "high", f"the {how} fetches a str.format method", "suspicious", line)
            if receiver is not None and how == "attr filter":
                self._judge_format(receiver, line)
        if self._names_of(name) is None:
            self.add("template.computed-name", "high", f"{how} with a name chosen at render time", "suspicious", line)
        self._judge_path(name, how, line, receiver or _UNKNOWN)

    def _judge_format(self, fmt_node: nodes.Node, line: int, access: nodes.Node | None = None) -> None:
        """``str.format`` reads attributes and items named in its fields ({0.__class__})."""
        fmts = self._names_of(fmt_node)
        if fmts is None or self._depends_opaque(fmt_node) or self._is_computed(fmt_node):
            # the format string is an attribute path too: safe only as a constant or context data (34j-1)
            if fmts is None and self._context_path(fmt_node) and not self._is_computed(fmt_node) \
                    and not self._key_cut(fmt_node) and not self._key_data(fmt_node) \
                    and access is not None and id(access) in self._plain_format_calls():
                return  # the data's text formats the data: fields read builtin attributes (113sb-1)
            self.add("template.computed-format", "high", "str.format on a string built or chosen at render time "
                     "(format fields can read attributes)", "suspicious", line)
        for fmt in fmts or ():
            for is_attr, name in format_accesses(fmt):
                # an item too: the sandbox's formatter reads {0[k]} with env.getitem, which falls
                # back to getattr(obj, k) when obj[k] fails (jinja2/sandbox.py get_field; 102sb-2)
                if name.startswith("_") or name in DANGEROUS_ATTRS or name == "…":
                    how = "attribute" if is_attr else "item (read as an attribute when it is no item)"
                    self.add("template.format-attribute", "critical",
                             f"str.format field of {fmt[:60]!r} reads {how} {name[:40]!r} (Python internals)",
                             "unsafe", line)

    def _plain_format_calls(self) -> set[int]:
        """Ids of the ``X.format`` attributes called at once with arguments that are all the
        renderer's data or literals of it (:meth:`_plain_receiver`): a format string of the data's
        text read through them reaches builtin attributes only."""
        if self._plain_formats is None:
            self._plain_formats = {
                id(c.node) for c in self._all(nodes.Call)
                if isinstance(c.node, nodes.Getattr) and c.node.attr == "format" and c.dyn_args is None
                and c.dyn_kwargs is None and all(self._plain_receiver(a) and self._never_undefined(a)
                                                 for a in [*c.args, *(k.value for k in c.kwargs)])}
        return self._plain_formats

    def _never_undefined(self, node: nodes.Node) -> bool:
        """``node``'s value is never a Jinja2 ``Undefined`` (nor holds one): a constant, ``messages``,
        a loop variable over a path into the renderer's data (an element of a JSON list), a literal of
        such. ``m.role`` / ``m.name`` is Undefined when the message lacks it, and Python's
        str.format reads ``{1.__class__.__init__.__globals__[sys]}`` of an Undefined (a plain
        Environment's formatter is Python's: red team 116sb, own attack)."""
        if isinstance(node, nodes.Const):
            return True
        if isinstance(node, nodes.Name):
            if node.name not in self.defined:
                return node.name == "messages"
            iters = self._iter_ids()
            values = self._bindings.get(node.name)
            return node.name not in self.unbound and bool(values) and all(
                v is not None and not isinstance(v, _UnpackedFrom) and id(v) in iters and self._data_path(v, frozenset())
                for v in values or ())
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return all(self._never_undefined(i) for i in node.items)
        if isinstance(node, nodes.Dict):
            return all(self._never_undefined(p.value) for p in node.items)
        return False

    def _check_named_callable(self, node: nodes.Filter, line: int) -> None:
        # map('filter', …) / select('test', …) / selectattr('attribute', 'test', …)
        first = node.args[0]
        if node.name in ("selectattr", "rejectattr"):
            named = node.args[1] if len(node.args) > 1 else None
            allowed, kind = ALLOWED_TESTS, "test"
        elif node.name == "map":
            named, allowed, kind = first, ALLOWED_FILTERS, "filter"
        else:
            named, allowed, kind = first, ALLOWED_TESTS, "test"
        if named is None:
            return
        # a macro parameter's default is not its only value: the call sites choose (102sb-3)
        names = None if self._depends_opaque(named) or self._is_computed(named) else self._names_of(named)
        if names is None:
            self.add("template.computed-name", "high",
                     f"{node.name}() applies a {kind} whose name is computed at render time", "suspicious", line)
            return
        for n in names:
            if n not in allowed:
                self.add(f"template.unknown-{kind}", "high",
                         f"{node.name}() applies {kind} {n!r}, which the renderers do not provide", "suspicious", line)

    def _judge_applied(self, name: str, args: list[nodes.Expr], line: int, depth: int,
                       receiver: nodes.Node | None = None) -> None:
        """The arguments of filter ``name`` applied to ``args`` — directly or, for ``depth`` > 0,
        by ``map('<name>', *args)`` (jinja2's prepare_map: ``call_filter(name, item, args, kwargs)``)
        — that reach make_attrgetter (red team 33e-1). Keyword ``attribute=`` is judged by the
        caller for every filter (map passes its keywords on to the filter it applies)."""
        pos = _ATTRIBUTE_ARG.get(name)
        if pos is not None and len(args) > pos:
            self._judge_path(args[pos], "attribute=", line, receiver)
        if name in ("selectattr", "rejectattr") and args:
            self._judge_path(args[0], "map attribute", line, receiver)
        if depth and name == "attr" and args:
            # each element's getattr, as strict as the direct |attr (117sb note); the receiver is an
            # element of ``receiver``, not ``receiver`` itself
            self._judge_attr_filter(args[0], line, _UNKNOWN, "map('attr') filter")
        if name != "map" or not args:
            return
        names = None if self._depends_opaque(args[0]) or self._is_computed(args[0]) else self._names_of(args[0])
        if names is None:
            if depth:
                self.add("template.computed-name", "high", "map() applies a filter whose name is computed at "
                         "render time", "suspicious", line)
            return
        if depth >= _MAX_MAP_DEPTH:
            self.add("template.computed-name", "high", f"map() nested over {_MAX_MAP_DEPTH} deep; not followed",
                     "suspicious", line)
            return
        for n in names:
            if depth and n not in ALLOWED_FILTERS:
                self.add("template.unknown-filter", "high", f"map() applies filter {n!r}, which the renderers "
                         "do not provide", "suspicious", line)
            self._judge_applied(n, args[1:], line, depth + 1, receiver)

    def _check_call(self, node: nodes.Call) -> None:
        line = node.lineno
        fn = node.node
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.add("template.dynamic-arguments", "high", "a call receives *args/**kwargs built at render time",
                     "suspicious", line)
        if any(kw.key == "caller" for kw in node.kwargs):
            # Jinja2 hands a caller= keyword to a macro that uses caller() as its caller, so
            # caller(…) calls that value (red team 97sb-1); real templates use {% call %} blocks
            self.add("template.odd-call", "high", "passes caller= to a call: a macro calls it as caller(…), and a "
                     "value read at render time may be any Python callable", "suspicious", line)
        if isinstance(fn, nodes.Name):
            name = fn.name
            if name in self.defined and (name not in self.macros or name in self.rebound):
                # set f = grp[0]; f(…): the same callee as grp[0](…) (red team 34j-1); a macro's name
                # bound again by set/for/with/a parameter may hold any value when called (96sb-2)
                self.add("template.odd-call", "high", f"calls {name}(), a template-bound name that holds no macro "
                         "(a value read at render time may be any Python callable)", "suspicious", line)
                return
            if name in self.defined or name in ALLOWED_GLOBALS or name in ("caller", "loop", "super", "varargs"):
                return
            if name in PYTHON_NAMES or name in GADGET_GLOBALS:
                return  # the Name check reports it
            self.add("template.unknown-global", "high",
                     f"calls {name}(), which the chat-template renderers do not provide", "suspicious", line)
        elif isinstance(fn, nodes.Getattr):
            meth = fn.attr
            for kw in node.kwargs:  # list.sort(key=f) calls f: a value read at render time (83s-1)
                if kw.key == "key" and not (isinstance(kw.value, nodes.Const) and kw.value.value is None):
                    self.add("template.odd-call", "high", f"passes a render-time value as .{meth}(key=…), which "
                             "calls it (a value read at render time may be any Python callable)", "suspicious", line)
            if _is_private(meth) or meth in DANGEROUS_ATTRS:
                return  # the Getattr check reports it
            if meth in ALLOWED_METHODS and (self._holds_mapping(fn.node) or (self.dict_mutated and not _surely_str(fn.node)
                                                                             and not self._numeric(fn.node))):
                # {'upper': v}.upper(…): Jinja2's attribute lookup falls back to the item, so the
                # call calls the stored value (red team 98sb-2); a str/list method runs only on a
                # receiver that holds no value of the template's choosing
                self.add("template.odd-call", "high", f"calls .{meth}() on a {type(fn.node).__name__} that may hold "
                         f"a value of the template's choosing under the key {meth!r} (Jinja2 reads the item when the "
                         "attribute is missing): any Python callable", "suspicious", line)
                return
            if meth in ALLOWED_METHODS and self._data_walk(fn.node):
                # x[m.content][…].remove(…): the keys may walk from x to any Python object (a
                # plain Environment's getitem falls back to getattr), whose method this calls
                self.add("template.odd-call", "high", f"calls .{meth}() on a value reached by a name chosen at render "
                         "time (an item key or attribute path that is no constant: the data may choose a walk to "
                         "any Python object)", "suspicious", line)
                return
            if meth in self.ns_attrs:
                self.add("template.odd-call", "high", f"calls .{meth}(), a name the template stores a value under in a "
                         "namespace (a namespace returns the stored value, which may be any Python callable)",
                         "suspicious", line)
                return
            if meth not in ALLOWED_METHODS and isinstance(fn.node, nodes.Name) and fn.node.name in self.defined:
                # grp.grouper(…): an attribute of a bound value, read at render time (red team 34j-1)
                self.add("template.odd-call", "high", f"calls {fn.node.name}.{meth}(), an attribute of a "
                         "template-bound value (a value read at render time may be any Python callable)",
                         "suspicious", line)
            elif meth not in ALLOWED_METHODS:
                self.add("template.unknown-method", "high",
                         f"calls method .{meth}(), which is not a str/list/dict method the renderers allow",
                         "suspicious", line)
        elif isinstance(fn, (nodes.Getitem, nodes.Call)):
            # x[k](…) / f(…)(…): the callee is a value read at render time — a group key, a map()/
            # attribute-path result or an item may be any Python callable (red team 33e-1)
            self.add("template.odd-call", "high", f"calls the value of a {type(fn).__name__} expression "
                     "(an item or a call result read at render time may be any Python callable)", "suspicious", line)
        else:
            self.add("template.odd-call", "high", f"calls a {type(fn).__name__} expression", "suspicious", line)



# ---- render bombs (red team 122sb) ----------------------------------------------------------
# A template may ask the renderer for unbounded work with a few bytes of constants: Jinja2's sandbox
# bounds only range() (MAX_RANGE); `*`, `**`, str widths and filter widths run as plain Python, and
# Jinja2 folds constant expressions while it COMPILES the template (llama-cpp-python compiles every
# GGUF template at model load). Judged from constants only: a multiplier or width the renderer's
# data chooses ('  ' * depth) is what real templates do, never a finding.

RENDER_BOMB_SIZE = 1 << 20  # a constant repeat count or width above this (real templates: indent=4, center on words)
RENDER_BOMB_DIGITS = 4096  # a constant ** whose result has more digits: CPU while Jinja2 compiles it
RENDER_BOMB_STEPS = 10_000_000  # loop bodies run by nested for loops over constant-size iterables
_RANGE_MAX = 100_000  # jinja2.sandbox.MAX_RANGE: a longer range() raises, no loop runs
_BOMB_DEPTH = 200  # expressions and bindings followed per question
_WIDTH_METHODS = {"ljust": "width", "rjust": "width", "center": "width", "zfill": "width", "expandtabs": "tabsize"}
_WIDTH_FILTERS = {"center": "width", "indent": "width"}
_SIZE_FILTERS = frozenset({"int", "abs", "string", "list", "safe", "e", "escape", "forceescape", "trim", "lower",
                           "upper", "title", "capitalize", "reverse", "sort", "unique"})
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _digits(value: int) -> float:
    """Decimal digits of ``value`` (0 for 0), without converting it to text."""
    return math.log10(abs(value)) + 1 if value else 0.0


class _Bombs:
    """Finds ``template.render-bomb`` in one judged template (:meth:`_Judge.run`). Integers are
    folded here, not by the judge's string folding (which refuses ``**`` and anything large): a
    result of more than :data:`RENDER_BOMB_DIGITS` digits is never computed, only sized
    (digits ≈ exponent × log10(base)), and stands as ``_HUGE``."""

    _HUGE: int = 10 ** (RENDER_BOMB_DIGITS + 1)

    def __init__(self, judge: _Judge) -> None:
        self.judge = judge
        self.sources: dict[str, list[nodes.Node]] = {}  # name or "ns.attr" -> constant-foldable bindings
        self.memo: dict[tuple[str, int], tuple[nodes.Node, Any]] = {}
        self.names_memo: dict[tuple[str, str], Any] = {}
        self.busy: set[tuple[str, str]] = set()
        self.depth = 0
        for n in judge._all((nodes.Assign, nodes.With)):
            pairs = [(n.target, n.node)] if isinstance(n, nodes.Assign) else list(zip(n.targets, n.values, strict=False))
            for target, value in pairs:
                if isinstance(target, nodes.Name):
                    self.sources.setdefault(target.name, []).append(value)
                    if _namespace_call(value):
                        assert isinstance(value, nodes.Call)
                        for kw in value.kwargs:
                            self.sources.setdefault(f"{target.name}.{kw.key}", []).append(kw.value)
                elif isinstance(target, nodes.NSRef):
                    self.sources.setdefault(f"{target.name}.{target.attr}", []).append(value)
        for m in judge._all(nodes.Macro):
            for arg, default in zip(m.args[len(m.args) - len(m.defaults):], m.defaults, strict=True):
                self.sources.setdefault(arg.name, []).append(default)
        # the for loops each for loop runs inside (innermost first; a macro's body starts afresh)
        self.parents: dict[int, list[nodes.For]] = {}
        stack: list[tuple[nodes.Node, tuple[nodes.For, ...]]] = [(judge.tree, ())]
        while stack:
            n, fors = stack.pop()
            if isinstance(n, nodes.Macro):
                fors = ()
            if isinstance(n, nodes.Assign) and fors:
                self.parents[id(n)] = list(fors)
            if isinstance(n, nodes.For):
                self.parents[id(n)] = list(fors)
                stack.extend((c, (n, *fors)) for c in n.body)
                stack.extend((c, fors) for c in [n.target, n.iter, *([n.test] if n.test else []), *n.else_])
            else:
                stack.extend((c, fors) for c in n.iter_child_nodes())

    def add(self, msg: str, line: int) -> None:
        self.judge.add("template.render-bomb", "high", msg, "suspicious", line)

    # -- integers and sizes, from constants only ----------------------------------------------

    def _cached(self, which: str, node: nodes.Node, fn: Callable[[nodes.Node], Any]) -> Any:
        key = (which, id(node))
        if key in self.memo:
            return self.memo[key][1]
        self.memo[key] = (node, None)  # cycles: unknown
        if self.depth > _BOMB_DEPTH:
            return None
        self.depth += 1
        try:
            got = fn(node)
        finally:
            self.depth -= 1
        self.memo[key] = (node, got)
        return got

    def _bound_name(self, which: str, key: str, fn: Callable[[nodes.Node], Any]) -> Any:
        """The largest of what ``fn`` gives for the bindings of a name (may: any one of them)."""
        memo_key = (which, key)
        if memo_key in self.names_memo:
            return self.names_memo[memo_key]
        if memo_key in self.busy:
            return None
        self.busy.add(memo_key)
        try:
            got = [g for g in (fn(v) for v in self.sources.get(key, ())) if g is not None]
        finally:
            self.busy.discard(memo_key)
        best = max(got, key=abs) if got else None
        self.names_memo[memo_key] = best
        return best

    def num(self, node: nodes.Node | None) -> int | None:
        """An integer ``node`` may hold, folded from the template's constants (the largest where
        several are possible), ``_HUGE`` past :data:`RENDER_BOMB_DIGITS` digits; None: not a known integer."""
        if node is None:
            return None
        return self._cached("num", node, self._num_of)  # type: ignore[no-any-return]

    def _clip(self, value: int) -> int:
        return value if abs(value) < self._HUGE else (self._HUGE if value > 0 else -self._HUGE)

    def _num_of(self, node: nodes.Node) -> int | None:
        if isinstance(node, nodes.Const):
            return node.value if isinstance(node.value, int) and not isinstance(node.value, bool) else None
        if isinstance(node, (nodes.Neg, nodes.Pos)):
            v = self.num(node.node)
            return None if v is None else (-v if isinstance(node, nodes.Neg) else v)
        if isinstance(node, nodes.Pow):
            return self._pow(node)
        if isinstance(node, (nodes.Add, nodes.Sub, nodes.Mul, nodes.FloorDiv, nodes.Mod)):
            a, b = self.num(node.left), self.num(node.right)
            if a is None or b is None:
                return None
            if isinstance(node, nodes.Add):
                return self._clip(a + b)
            if isinstance(node, nodes.Sub):
                return self._clip(a - b)
            if isinstance(node, nodes.Mul):
                return self._clip(a * b)
            if b == 0 or abs(a) >= self._HUGE or abs(b) >= self._HUGE:
                return None
            return a // b if isinstance(node, nodes.FloorDiv) else a % b
        if isinstance(node, nodes.CondExpr):
            got = [v for v in (self.num(node.expr1), self.num(node.expr2)) if v is not None]
            return max(got, key=abs) if got else None
        if isinstance(node, nodes.Filter) and node.name in ("int", "abs") and node.node is not None:
            v = self.num(node.node)
            return None if v is None else (abs(v) if node.name == "abs" else v)
        key = self._name_key(node)
        if key is not None:
            return self._bound_name("num", key, self.num)  # type: ignore[no-any-return]
        return None

    def _pow(self, node: nodes.Pow) -> int | None:
        base, exp = self.num(node.left), self.num(node.right)
        if base is None or exp is None or exp < 0:
            return None
        if abs(base) <= 1:
            return base if exp else 1
        digits = exp * math.log10(abs(base)) if exp < self._HUGE and abs(base) < self._HUGE else math.inf
        if digits > RENDER_BOMB_DIGITS:
            return self._HUGE if base > 0 or exp % 2 == 0 else -self._HUGE
        value: int = base ** exp  # at most RENDER_BOMB_DIGITS digits: cheap
        return self._clip(value)

    def _name_key(self, node: nodes.Node) -> str | None:
        if isinstance(node, nodes.Name) and node.ctx == "load":
            return node.name
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            return f"{node.node.name}.{node.attr}"
        return None

    def size(self, node: nodes.Node | None) -> int | None:
        """What a repeat (``*``) or a width computed from ``node`` may reach: a known integer, the
        length of a constant string/list, a product where one factor is known (at least that,
        when the other is one or more); None: nothing known."""
        if node is None:
            return None
        return self._cached("size", node, self._size_of)  # type: ignore[no-any-return]

    def _size_of(self, node: nodes.Node) -> int | None:
        v = self.num(node)
        if v is not None:
            return v
        if isinstance(node, nodes.Const):
            return len(node.value) if isinstance(node.value, (str, list, tuple)) else None
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return len(node.items)
        if isinstance(node, nodes.Mul):
            a, b = self.size(node.left), self.size(node.right)
            if a is None or b is None:
                return a if b is None else b
            return self._clip(a * b)
        if isinstance(node, (nodes.Add, nodes.Concat)):
            parts = [node.left, node.right] if isinstance(node, nodes.Add) else node.nodes
            got = [s for s in (self.size(p) for p in parts) if s is not None]
            return self._clip(sum(got)) if got else None
        if isinstance(node, nodes.CondExpr):
            got = [s for s in (self.size(node.expr1), self.size(node.expr2)) if s is not None]
            return max(got) if got else None
        if isinstance(node, nodes.Filter) and node.node is not None and node.name in _SIZE_FILTERS:
            return self.size(node.node)
        if isinstance(node, nodes.Filter) and node.node is not None and node.name in ("d", "default"):
            got = [s for s in (self.size(node.node), *(self.size(a) for a in node.args[:1])) if s is not None]
            return max(got) if got else None
        key = self._name_key(node)
        if key is not None:
            got = self._bound_name("size", key, self.size)
            if got is not None:
                return got  # type: ignore[no-any-return]
        folded = self.judge.values(node) if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Filter, nodes.Call,
                                                              nodes.Getitem)) else None
        lengths = [len(v) for v in folded or () if isinstance(v, (str, list, tuple))]
        return max(lengths) if lengths else None

    def iterations(self, node: nodes.Node) -> int | None:
        """How many times a ``for`` over ``node`` runs its body, when its size is constant."""
        return self._cached("iter", node, self._iterations_of)  # type: ignore[no-any-return]

    def _iterations_of(self, node: nodes.Node) -> int | None:
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == "range" \
                and "range" not in self.judge.defined and not node.kwargs and node.dyn_args is None \
                and node.dyn_kwargs is None and 1 <= len(node.args) <= 3:
            args = [self.num(a) for a in node.args]
            if any(a is None or abs(a) >= self._HUGE for a in args) or (len(args) == 3 and args[2] == 0):
                return None
            try:
                n = len(range(*(int(a) for a in args if a is not None)))
            except OverflowError:
                return None
            return n if n <= _RANGE_MAX else None  # the sandbox refuses a longer one
        if isinstance(node, nodes.Filter) and node.node is not None:
            if node.name == "slice" and node.args:
                return self.num(node.args[0])  # slice(n) yields n lists whatever it slices
            if node.name == "batch" and node.args:
                inner, per = self.iterations(node.node), self.num(node.args[0])
                if inner is None or per is None or per < 1:
                    return inner
                return -(-inner // per)
            if node.name in ("list", "reverse", "sort", "unique", "string"):
                return self.iterations(node.node)
        key = self._name_key(node)
        if key is not None:
            got = self._bound_name("iter", key, self.iterations)
            if got is not None:
                return got  # type: ignore[no-any-return]
        size = self.size(node) if isinstance(node, (nodes.Const, nodes.List, nodes.Tuple)) else None
        return size

    # -- the rules --------------------------------------------------------------------------

    def run(self) -> None:
        judge = self.judge
        operand_of_mul = {id(c) for m in judge._all(nodes.Mul) for c in (m.left, m.right) if isinstance(c, nodes.Mul)}
        for node in judge._all((nodes.Pow, nodes.Mul, nodes.Mod, nodes.Call, nodes.Filter, nodes.For)):
            line = node.lineno
            if isinstance(node, nodes.Pow):
                self._check_pow(node)
            elif isinstance(node, nodes.Mul) and id(node) not in operand_of_mul:
                self._check_mul(node)
            elif isinstance(node, nodes.Mod):
                self._check_percent(node.left, [node.right], line)
            elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
                self._check_method(node, node.node.attr)
            elif isinstance(node, nodes.Filter) and node.node is not None:
                self._check_filter(node)
            elif isinstance(node, nodes.For):
                self._check_for(node)
                if node.recursive:
                    self._check_recursive_loop(node)
        for m in judge._all(nodes.Macro):
            self._check_macro(m)
        for a in judge._all(nodes.Assign):
            if self.parents.get(id(a)) is not None:
                self._check_growth(a)

    def _check_pow(self, node: nodes.Pow) -> None:
        base, exp = self.num(node.left), self.num(node.right)
        if base is None or exp is None or abs(base) <= 1 or exp <= 0:
            return
        digits = exp * math.log10(abs(base)) if exp < self._HUGE and abs(base) < self._HUGE else math.inf
        if digits > RENDER_BOMB_DIGITS:
            shown = f"about {digits:.3g}" if digits != math.inf else "more than 10**4096"
            self.add(f"a constant ** computes an integer of {shown} digits (CPU; Jinja2 folds it while it "
                     "compiles the template)", node.lineno)

    def _check_mul(self, node: nodes.Mul) -> None:
        judge = self.judge

        def number(n: nodes.Node) -> bool:
            return self.num(n) is not None or judge._numeric(n)

        if number(node.left) and number(node.right):
            return  # arithmetic: no string or list is repeated
        n = self.size(node)
        if n is not None and n > RENDER_BOMB_SIZE:
            self.add(f"'*' repeats a string or list to {self._shown(n)} items (the renderer allocates them; "
                     "Jinja2 folds a constant one while it compiles the template)", node.lineno)

    def _shown(self, n: int) -> str:
        return "more than 10**4096" if abs(n) >= self._HUGE else f"about {float(n):.3g}"

    def _width(self, what: str, n: int | None, line: int) -> None:
        if n is not None and n > RENDER_BOMB_SIZE:
            self.add(f"{what} of {self._shown(n)} characters (the renderer builds the padded text)", line)

    def _arg(self, node: nodes.Call | nodes.Filter, pos: int, key: str) -> nodes.Node | None:
        for kw in node.kwargs:
            if kw.key == key:
                return kw.value
        return node.args[pos] if len(node.args) > pos else None

    def _check_method(self, node: nodes.Call, meth: str) -> None:
        assert isinstance(node.node, nodes.Getattr)
        line = node.lineno
        if meth in _WIDTH_METHODS:
            self._width(f"str.{meth} asks for a width", self.size(self._arg(node, 0, _WIDTH_METHODS[meth])), line)
        elif meth == "format":
            self._check_format(node.node.node, [*node.args, *(kw.value for kw in node.kwargs)], line)

    def _check_filter(self, node: nodes.Filter) -> None:
        line = node.lineno
        if node.name in _WIDTH_FILTERS:
            self._width(f"|{node.name} asks for a width", self.size(self._arg(node, 0, _WIDTH_FILTERS[node.name])), line)
        elif node.name == "tojson":
            # Jinja2's tojson(indent) and transformers' tojson(ensure_ascii, indent, …): indent repeated per line
            for arg in (*node.args[:2], *(kw.value for kw in node.kwargs if kw.key == "indent")):
                self._width("|tojson asks for an indent", self.size(arg), line)
        elif node.name == "format" and node.node is not None:
            self._check_percent(node.node, [*node.args, *(kw.value for kw in node.kwargs)], line)
        elif node.name in ("slice", "batch") and node.args:
            n = self.num(node.args[0])
            if n is not None and n > RENDER_BOMB_SIZE:
                self.add(f"|{node.name}({self._shown(n)}) makes that many slices or batch items (a loop the "
                         "sandbox's range limit does not bound)", line)

    def _formats(self, node: nodes.Node) -> list[str]:
        return [v for v in self.judge.values(node) or () if isinstance(v, str)]

    def _arg_sizes(self, args: list[nodes.Node]) -> list[int]:
        items: list[nodes.Node] = []
        for a in args:
            items.extend(a.items if isinstance(a, (nodes.Tuple, nodes.List)) else [a])
        return [s for s in (self.num(i) for i in items) if s is not None]

    def _check_percent(self, fmt_node: nodes.Node, args: list[nodes.Node], line: int) -> None:
        for fmt in self._formats(fmt_node):
            if "%" not in fmt:
                continue
            widths = [int(g) for m in _PERCENT_SPEC.finditer(fmt) for g in m.groups() if g and g != "*"]
            if any(g == "*" for m in _PERCENT_SPEC.finditer(fmt) for g in m.groups()):
                widths.extend(self._arg_sizes(args))  # '%*d' % (n, 1): the width is an argument
            self._width("a %-format asks for a width", max(widths, default=None), line)

    def _check_format(self, fmt_node: nodes.Node, args: list[nodes.Node], line: int) -> None:
        for fmt in self._formats(fmt_node):
            try:
                parsed = list(itertools.islice(string.Formatter().parse(fmt), _MAX_FORMAT_FIELDS + 1))
            except ValueError:
                continue
            widths = [int(d) for _t, name, spec, _c in parsed if name is not None and spec
                      for d in re.findall(r"\d+", spec)]
            if any(spec and "{" in spec for _t, name, spec, _c in parsed if name is not None):
                widths.extend(self._arg_sizes(args))  # '{:{}}'.format(1, n): the width is an argument
            self._width("a str.format spec asks for a width", max(widths, default=None), line)

    def _check_for(self, node: nodes.For) -> None:
        steps = 1
        outer = 1
        chain: list[nodes.For] = [node]
        for parent in self._enclosing_fors(node):
            chain.append(parent)
        for i, f in enumerate(chain):
            n = self.iterations(f.iter)
            if n is not None and n > 0:
                steps = min(steps * n, self._HUGE)
                if i > 0:
                    outer = min(outer * n, self._HUGE)
        if steps > RENDER_BOMB_STEPS >= outer:
            self.add(f"for loops (nested) over constant-size iterables run their body {self._shown(steps)} times",
                     node.lineno)

    def _enclosing_fors(self, node: nodes.For) -> list[nodes.For]:
        return self.parents.get(id(node), [])

    # recursion and growth: shapes no real template has (the 117 fixtures recurse over data only)

    @staticmethod
    def _own_body(body: list[nodes.Node], stop: type[nodes.Node] | tuple[type[nodes.Node], ...]) -> Iterator[nodes.Node]:
        """The nodes of ``body``, not entering a nested ``stop`` node (a macro, a for loop: their
        own ``loop``/names)."""
        stack = list(body)
        while stack:
            n = stack.pop()
            yield n
            if not isinstance(n, stop):
                stack.extend(n.iter_child_nodes())

    @staticmethod
    def _counting(node: nodes.Node, params: set[str]) -> bool:
        """An argument that only counts: constants and the macro's own parameters in arithmetic
        (``n - 1``), nothing that walks into data (``x.items``, ``x[0]``, a loop variable)."""
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, nodes.Name):
                if n.name not in params:
                    return False
            elif not isinstance(n, (nodes.Const, nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv,
                                    nodes.Mod, nodes.Pow, nodes.Neg, nodes.Pos)):
                return False
            stack.extend(n.iter_child_nodes())
        return True

    def _check_macro(self, m: nodes.Macro) -> None:
        params = {a.name for a in m.args}
        calls = [c for c in self._own_body(m.body, nodes.Macro) if isinstance(c, nodes.Call)
                 and isinstance(c.node, nodes.Name) and c.node.name == m.name]
        counting = [c for c in calls if all(self._counting(a, params) for a in [*c.args, *(k.value for k in c.kwargs)])
                    and c.dyn_args is None and c.dyn_kwargs is None]
        if len(counting) >= 2:
            self.add(f"macro {m.name!r} calls itself {len(counting)} times with arguments that only count "
                     "(no data walked): calls grow as a power of the depth", m.lineno)

    def _check_recursive_loop(self, node: nodes.For) -> None:
        bound = {n.name for n in _names(node.target)}
        own = list(self._own_body(node.body, (nodes.For, nodes.Macro)))
        bound.update(n.name for n in own if isinstance(n, nodes.Name) and n.ctx in ("store", "param"))
        again = [c for c in own if isinstance(c, nodes.Call) and isinstance(c.node, nodes.Name)
                 and c.node.name == "loop" and "loop" not in self.judge.defined and c.args
                 and not any(n.name in bound for n in _names(c.args[0]))]
        widest = max((self.iterations(c.args[0]) or 0 for c in again), default=0)
        if len(again) >= 2 or widest >= 2:
            self.add("a recursive for loop re-enters itself with the template's own values (not the items it "
                     "walks): bodies grow as a power of the depth", node.lineno)

    def _check_growth(self, a: nodes.Assign) -> None:
        """``set ns.a = ns.a ~ ns.a`` (``+``, ``* 2``) in a loop: the value doubles every iteration.
        Only a namespace attribute: a plain name set in a loop body starts again from the outer
        value at every iteration (Jinja2's scoping)."""
        t = a.target
        if not isinstance(t, nodes.NSRef):
            return

        def same(n: nodes.Node) -> bool:
            return isinstance(n, nodes.Getattr) and isinstance(n.node, nodes.Name) \
                and n.node.name == t.name and n.attr == t.attr
        refs = 0
        factor = 1
        stack: list[nodes.Node] = [a.node]
        while stack:
            n = stack.pop()
            if same(n):
                refs += 1
            elif isinstance(n, (nodes.Add, nodes.Concat, nodes.Mul)):
                if isinstance(n, nodes.Mul):
                    k = max(self.num(n.left) or 0, self.num(n.right) or 0)
                    factor = max(factor, k)
                stack.extend(n.nodes if isinstance(n, nodes.Concat) else (n.left, n.right))
        if not (refs >= 2 or (refs and factor >= 2)) or self.judge._numeric(a.node):
            return  # a number doubled grows by one bit a step: harmless
        steps = 1
        for f in self.parents.get(id(a), []):
            count = self.iterations(f.iter)
            if count is None:
                steps = self._HUGE
                break
            steps *= count
        if steps > 20:  # doubled at most 20 times (2**20) over constant loops: bounded
            self.add("a value set in a loop from itself twice (x ~ x, x + x, x * 2) doubles at every iteration",
                     a.lineno)


def _namespace_call(node: nodes.Node | None, *, plain: bool = False) -> bool:
    """A call of the ``namespace`` global (``plain``: with keyword arguments only, the one form
    whose attributes the judge can follow)."""
    if not (isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == "namespace"):
        return False
    return not plain or (not node.args and node.dyn_args is None and node.dyn_kwargs is None)


def _block_parts(node: nodes.AssignBlock) -> list[nodes.Node]:
    """The output pieces of a ``{% set x %}…{% endset %}`` body; none when it holds a statement."""
    parts: list[nodes.Node] = []
    for stmt in node.body:
        if not isinstance(stmt, nodes.Output):
            return []
        parts.extend(stmt.nodes)
    return parts


def _one_text(parts: list[nodes.Node]) -> bool:
    """A set block's body (:func:`_block_parts`) is one piece of plain text."""
    return len(parts) == 1 and isinstance(parts[0], nodes.TemplateData)


def _harmless_consts(items: list[nodes.Expr]) -> bool:
    """Every item is a constant that names nothing internal (:func:`_harmless_name`)."""
    return all(isinstance(i, nodes.Const) and _harmless_name(i.value) for i in items)


def _literal_only(node: nodes.Node) -> bool:
    """String constants joined in place (``'a' ~ 'b'``, ``'a' + 'b'``): no name, filter or call."""
    if isinstance(node, nodes.Const):
        return isinstance(node.value, str)
    if isinstance(node, nodes.Concat):
        return all(_literal_only(n) for n in node.nodes)
    if isinstance(node, nodes.Add):
        return _literal_only(node.left) and _literal_only(node.right)
    return False


def _literal_value(node: nodes.Node) -> str | None:
    """The value of string constants joined in place (:func:`_literal_only`), or None for any other
    node: folded whatever the fold budget (no bigger than the template's own text), iteratively
    (``'a' + 'b' + …`` nests one ``Add`` per term)."""
    parts: list[str] = []
    stack: list[nodes.Node] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, nodes.Const) and isinstance(n.value, str):
            parts.append(n.value)
        elif isinstance(n, nodes.Concat):
            stack.extend(reversed(n.nodes))
        elif isinstance(n, nodes.Add):
            stack.extend((n.right, n.left))
        else:
            return None
    return "".join(parts)


_STR_ATTRS = frozenset(dir(str))
_PLAIN_WORD = re.compile(r"[A-Za-z0-9 \-]{0,64}")


def _plain_word(node: nodes.Node) -> bool:
    """A string constant of letters, digits, blanks and ``-`` in which no internal or dangerous name
    (nor ``format``) appears, in any case: a fallback the renderer's data may be replaced by
    (``… else 'Any'``). Its attributes are Undefined or str methods (judged as for data); none of
    its pieces, cased or cut, names anything internal, and it has no format fields."""
    if not (isinstance(node, nodes.Const) and isinstance(node.value, str) and _PLAIN_WORD.fullmatch(node.value)):
        return False
    low = node.value.lower()
    return not any(d in low for d in (*DANGEROUS_ATTRS, "format"))


def _harmless_name(key: object) -> bool:
    """A constant that, used as an attribute name, reaches nothing internal."""
    if not isinstance(key, str):
        return not isinstance(key, (bytes, list, tuple, dict))
    return not key.startswith("_") and key not in DANGEROUS_ATTRS and not _DUNDER.search(key)


def _python_name(name: str) -> str:
    """``name`` as the Python identifier it becomes: Python's parser NFKC-normalises every
    identifier (PEP 3131), so ``l_0_ａ`` is ``l_0_a``."""
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


def _normalise_identifiers(node: nodes.Node) -> list[str]:
    """Rewrite, in place, every name of ``node`` that Jinja2's compiler emits as a Python
    IDENTIFIER to the name Python makes of it, and return the names that changed (red team
    119sb-1): Jinja2's lexer takes any Unicode identifier as a name, its compiler makes a local
    name the identifier ``l_<depth>_<name>`` and a keyword argument ``key=value``, and Python
    NFKC-normalises identifiers, so ``a`` and fullwidth ``ａ`` are ONE variable in the renderer:
    ``{% set a = 'role' %}{% set ａ = '…' %}`` rebinds ``a``, ``namespace(ｊｏｉｎ=f)`` sets
    ``join``. Names emitted as STRINGS stay as written (``x.ａttr`` is
    ``getattr(x, 'ａttr')``; ``ns.ａ = …`` stores ``'ａ'``; filter and test names are looked up
    in the environment's dicts). Called on every node by :meth:`_Judge.run` before any analysis,
    so each later path reads the normalised names."""
    changed: list[str] = []

    def norm(name: str) -> str:
        new = _python_name(name)
        if new != name:
            changed.append(name)
        return new

    if isinstance(node, (nodes.Name, nodes.NSRef, nodes.Macro, nodes.Block)):
        node.name = norm(node.name)  # a local variable; a macro's; a block's function block_<name>
    elif isinstance(node, nodes.Keyword):  # key=value (kept as a string only beside a Python keyword)
        node.key = norm(node.key)
    elif isinstance(node, nodes.Import):
        node.target = norm(node.target)
    elif isinstance(node, nodes.FromImport):
        node.names = [norm(n) if isinstance(n, str) else (n[0], norm(n[1])) for n in node.names]
    return changed


def _imported_names(node: nodes.Import | nodes.FromImport) -> list[str]:
    """The names an ``{% import … as x %}`` or ``{% from … import a, b as c %}`` binds."""
    if isinstance(node, nodes.Import):
        return [node.target]
    return [n if isinstance(n, str) else n[1] for n in node.names]


def _names(node: nodes.Node) -> Iterator[nodes.Name]:
    """The names in ``node`` (itself included), in document order, walked with a stack: Jinja2's
    ``find_all`` nests one generator per level, so each name of a 95-deep ``+`` chain passed up
    through every level above it (quadratic; 119sb-3)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, nodes.Name):
            yield n
        stack.extend(reversed(list(n.iter_child_nodes())))


def _safe_bounded(values: Iterable[Any]) -> _Values | None:
    try:
        return _bounded(values)
    except _Unknown:
        return None


_STR_FILTERS = frozenset({"join", "format", "replace", "lower", "upper", "string", "title", "capitalize", "trim",
                          "striptags", "escape", "e", "forceescape", "safe", "center", "indent", "wordwrap",
                          "truncate", "urlencode", "tojson", "filesizeformat", "urlize"})
_STR_METHODS = frozenset({"join", "format", "replace", "upper", "lower", "strip", "lstrip", "rstrip", "title",
                          "capitalize", "casefold", "swapcase", "center", "ljust", "rjust", "zfill", "expandtabs",
                          "removeprefix", "removesuffix"})


def _surely_str(node: nodes.Node) -> bool:
    """An expression whose value is certainly a string, whatever it reads (``~``, a string constant,
    ``%`` on one, a string filter, a str method of a string): never a mapping. Unlike
    :func:`_stringy` (which may build a string), ``|first``/``|last``/``|reverse`` and a
    conditional without both branches strings are not (red team 100sb-5)."""
    if isinstance(node, nodes.Concat) or (isinstance(node, nodes.Const) and isinstance(node.value, str)):
        return True
    if isinstance(node, nodes.Mod):
        return _surely_str(node.left)
    if isinstance(node, nodes.Add):
        return _surely_str(node.left) and _surely_str(node.right)
    if isinstance(node, nodes.Mul):
        return _surely_str(node.left) or _surely_str(node.right)
    if isinstance(node, nodes.Filter):
        return node.name in _STR_FILTERS
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        return node.node.attr in _STR_METHODS and _surely_str(node.node.node)
    if isinstance(node, nodes.CondExpr):
        return node.expr2 is not None and _surely_str(node.expr1) and _surely_str(node.expr2)
    return False


# Filters whose value is one of their operands, an element or a selection of it, or a number:
# they build no text. Every other filter — every one Jinja2, transformers or minja has, and any
# unknown name — builds a string (red team 111sb-1: ``|center``, ``|striptags``, ``|indent``,
# ``|truncate``… were missing from a list of builders, and a name made with them was not computed).
_SELECTING_FILTERS = frozenset({"default", "d", "list", "sort", "unique", "select", "reject", "selectattr",
                                "rejectattr", "dictsort", "items", "groupby", "batch", "slice", "attr", "min", "max",
                                "random", "sum", "length", "count", "int", "float", "abs", "round", "wordcount"})
# Methods (of str, list, dict, loop) whose value is a piece of the receiver's contents, an argument,
# a number, a truth value or none: they build no text. Every other method — ljust, rjust, center,
# zfill, expandtabs, swapcase, casefold, removeprefix, split, partition, encode, any unknown name —
# builds a string (111sb-1).
_SELECTING_METHODS = frozenset({"get", "items", "keys", "values", "copy", "pop", "popitem", "setdefault", "count",
                                "find", "rfind", "index", "rindex", "startswith", "endswith", "cycle", "changed",
                                "append", "extend", "insert", "remove", "reverse", "sort", "clear", "update"}
                               | {n for n in dir(str) if n.startswith("is")})


def _stringy(node: nodes.Node, memo: dict[int, tuple[nodes.Node, bool]] | None = None) -> bool:
    """An expression that builds a string (so a name computed from pieces) rather than reading data:
    any filter or method but the few that select (:data:`_SELECTING_FILTERS`, :data:`_SELECTING_METHODS`).
    A pure function of the node: with ``memo`` (id -> (node, answer), the node kept alive with its
    id) each ``+``/``*`` level is answered once however often a chain is asked at every level (119sb-3)."""
    if isinstance(node, (nodes.Concat, nodes.Mod)):
        return True
    if isinstance(node, (nodes.Add, nodes.Mul)):
        if memo is not None and id(node) in memo:
            return memo[id(node)][1]
        got = any((isinstance(n, nodes.Const) and isinstance(n.value, str)) or _stringy(n, memo)
                  for n in (node.left, node.right))
        if memo is not None:
            memo[id(node)] = (node, got)
        return got
    if isinstance(node, nodes.Filter):
        if node.name == "map":  # map(attribute=…) selects; map('center', …) applies a string filter
            return bool(node.args) or any(kw.key != "attribute" for kw in node.kwargs)
        return node.name not in _SELECTING_FILTERS
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        return node.node.attr not in _SELECTING_METHODS
    if isinstance(node, nodes.CondExpr):
        return _stringy(node.expr1, memo) or (node.expr2 is not None and _stringy(node.expr2, memo))
    return False
