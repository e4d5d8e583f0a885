"""Python logging's INI configuration, as ``logging.config.fileConfig`` reads it (red team 23b-1).

``fileConfig`` takes any file name, so the content decides: a text read as fileConfig reads it
(universal newlines, :func:`as_opened`; red team 24b-2) in which the standard library's
``configparser`` finds a section fileConfig reads (``[loggers]``, ``[handlers]``, ``[formatters]``,
``[logger_*]``, ``[handler_*]``, ``[formatter_*]``) is judged (configparser with no
interpolation: values are expanded here, as ``BasicInterpolation`` does, within bounds) and judged
by what CPython's ``logging/config.py`` does with it:

- ``_install_handlers``: ``klass = eval(section["class"], vars(logging))`` (``_resolve`` of the dotted
  name where that raises ``NameError``/``AttributeError``), ``args = eval(section["args"], vars(logging))``,
  ``kwargs = eval(section["kwargs"], vars(logging))``, then ``klass(*args, **kwargs)``;
- ``_create_formatters``: ``_resolve(class)`` called with the format strings and, on Python >= 3.12,
  ``defaults=eval(section["defaults"], vars(logging))`` (read raw: no interpolation; red team 33e-3).

The model is CPython 3.10-3.13's ``logging/config.py`` (the ``eval`` sites are the same in 3.10 and
3.11; 3.12 and 3.13 add the formatter ``defaults`` one). ``defaults`` is judged whatever Python mlbom
runs on, since the file may be loaded by a newer one.

A ``class`` that is a plain dotted name of a standard-library handler or formatter class is the
application's logging; another plain dotted name is code this scan did not judge (``suspicious``,
deny-listed ``unsafe``: the rule for Hydra targets); anything else is an expression ``eval`` runs
(``unsafe``). ``args``/``kwargs`` may hold only Python literals (numbers, strings, tuples, lists,
dicts, ``+``/``-``/``*`` of numbers) and the data names of :func:`allowed_names` — any call,
subscript, lambda, comprehension, dunder or other name is code ``eval`` runs (``unsafe``). A file
handler's path (``args[0]``/``filename``: a ``str`` literal, or ``bytes`` as ``os.fsdecode`` reads
them; anything computed is ``unsafe``, 24b-1) gets the dictConfig path rule
(:func:`mlbom.formats.config_targets.log_file_finding`). Nothing is imported or evaluated.
"""

from __future__ import annotations

import ast
import configparser
import io
import re
from functools import lru_cache

from mlbom.model import Judged

MAX_VALUE = 1 << 16  # characters of one value judged, expanded or not (longer: not parsed, not judged, suspicious)
MAX_SECTIONS = 10_000  # sections judged (more: not judged, suspicious)
MAX_DEPTH = 10  # configparser's MAX_INTERPOLATION_DEPTH
MAX_NODES = 100_000  # AST nodes of one value walked
MAX_STEPS = 100_000  # ``%(name)s`` references expanded per file (more: not judged, suspicious)
_PLACEHOLDER = "mlbomAppDefault"  # a ``%(name)s`` the file does not define: the application's ``defaults``
# a line whose ``str.strip()`` starts a fileConfig section header (configparser matches the header on the
# stripped line: ``[^\S\n]`` is every character ``str.isspace`` holds but the line end, red team 24b-2)
_HEADER = re.compile(r"^[^\S\n]*\[(?:loggers|handlers|formatters|logger_|handler_|formatter_)", re.M)
_FILECONFIG_SECTIONS = frozenset({"loggers", "handlers", "formatters"})
_REF = re.compile(r"%\(([^)]+)\)s")
_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_NETWORK_HANDLERS = frozenset({"SocketHandler", "DatagramHandler", "SysLogHandler", "HTTPHandler", "SMTPHandler"})
_FINDER = "logging.config.fileConfig"


def as_opened(text: str) -> str:
    """``text`` as ``open()`` hands it to configparser in fileConfig (``cp.read(fname)``: text mode,
    universal newlines): ``\\r\\n`` and a lone ``\\r`` end a line as ``\\n`` does (red team 24b-2).
    (The other characters ``str.splitlines`` splits on — ``\\f``, ``\\v``, ``\\x1c``…``\\x1e``,
    ``\\x85``, U+2028/9 — end no line there: configparser strips them from a line's ends.)"""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def looks_like(text: str) -> bool:
    """Whether a text may be a fileConfig file (any name: fileConfig takes any): a line that, read as
    fileConfig reads the file (:func:`as_opened`) and stripped as configparser strips it, starts a
    fileConfig section header. The sections configparser itself finds decide (:func:`judge`)."""
    return _HEADER.search(as_opened(text)) is not None


def ini_start(head: bytes) -> bool:
    """Whether bytes start (after blanks: any ``str.isspace`` character) with a configparser section
    header line (``[DEFAULT]``), the line ending as universal newlines end it."""
    text = as_opened(head.decode("utf-8", "replace")).lstrip()
    first = text.split("\n", 1)[0].strip()
    return "\n" in text and re.fullmatch(r"\[[^\]\n]{1,200}\]", first) is not None


def looks_like_head(data: bytes) -> bool:
    """Whether the first bytes of a file start with a section header line (:func:`ini_start`) and
    hold a fileConfig section header (:func:`looks_like`): a text starting ``[`` that is no UBJSON."""
    return ini_start(data) and looks_like(data.decode("utf-8", "replace"))


@lru_cache(maxsize=1)
def allowed_names() -> frozenset[str]:
    """The names ``args``/``kwargs`` may use from ``vars(logging)``: the standard streams
    (``sys.stdout``, ``sys.stderr``), logging's upper-case data constants (the levels ``DEBUG`` …
    ``CRITICAL``, ``BASIC_FORMAT``), ``logging.handlers``' (``handlers.SYSLOG_UDP_PORT``) and the
    ``SysLogHandler`` facility/priority numbers (``handlers.SysLogHandler.LOG_USER``) — data, no
    callable (the logging cookbook's fileConfig examples use these)."""
    import logging
    import logging.handlers

    out = {"sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__"}
    out |= {n for n, v in vars(logging).items() if n.isupper() and isinstance(v, (int, str))}
    out |= {f"handlers.{n}" for n, v in vars(logging.handlers).items() if n.isupper() and isinstance(v, (int, str))}
    out |= {f"handlers.SysLogHandler.{n}" for n, v in vars(logging.handlers.SysLogHandler).items()
            if n.isupper() and isinstance(v, int)}
    return frozenset(out)


class _Work:
    """The expansion steps left for one file (:data:`MAX_STEPS`) and the options expanded (memo)."""

    def __init__(self) -> None:
        self.steps = MAX_STEPS
        self.memo: dict[tuple[str, str], str | None] = {}


def _expand(cp: configparser.RawConfigParser, section: str, value: str, work: _Work,
            depth: int = 0) -> str | None:
    """``value`` as ``BasicInterpolation`` expands it in ``section`` (``%%``, ``%(name)s`` from the
    section or ``[DEFAULT]``), a name the file does not define as :data:`_PLACEHOLDER` (fileConfig's
    caller may pass it in ``defaults``); None where configparser raises (fileConfig then stops) or
    the result passes :data:`MAX_VALUE`."""
    if "%" not in value:
        return value
    if depth > MAX_DEPTH:
        return None
    out: list[str] = []
    size = 0
    i = 0
    while i < len(value):
        p = value.find("%", i)
        if p < 0:
            out.append(value[i:])
            break
        out.append(value[i:p])
        if value.startswith("%%", p):
            out.append("%")
            i = p + 2
            continue
        m = _REF.match(value, p)
        if m is None:
            return None
        name = cp.optionxform(m.group(1))
        work.steps -= 1
        if work.steps < 0:
            return None
        if cp.has_option(section, name):
            if (section, name) not in work.memo:  # (each option once: a fan-out of empty values is cheap)
                work.memo[(section, name)] = _expand(cp, section, cp.get(section, name, raw=True), work, depth + 1)
            got = work.memo[(section, name)]
            if got is None:
                return None
            sub = got
        else:
            sub = _PLACEHOLDER
        out.append(sub)
        size += len(sub) + p - i
        if size > MAX_VALUE:
            return None
        i = m.end()
    return "".join(out)


def _judge_class(raw: str, evaluated: bool) -> tuple[str | None, Judged | None]:
    """A ``class`` value: (its dotted name as the loader resolves it, or None; a finding or None).
    ``evaluated``: a handler's (``eval`` in ``vars(logging)`` first), else a formatter's (``_resolve``)."""
    import builtins
    import logging
    import logging.config  # (fileConfig's caller has both: vars(logging) holds ``config`` and ``handlers``)
    import logging.handlers

    from mlbom.formats import config_targets as ct

    text = raw.strip()
    if len(text) > MAX_VALUE:  # (not parsed: 106p-9)
        return None, Judged("config.logging", "high", f"{_FINDER} class {text[:200]!r} of {len(text)} characters "
                               f"(over {MAX_VALUE}): not judged", "suspicious")
    name = _class_name(text, evaluated)
    if name is None or "__" in name:
        return None, Judged("code.dangerous-target", "critical", f"{_FINDER} evaluates the class {text[:200]!r} "
                               "as a Python expression (no plain dotted name): code that runs when the config is "
                               "applied", "unsafe")
    if evaluated:
        first, _, rest = name.partition(".")
        got = vars(logging).get(first)
        if got is not None:
            base = got.__name__ if isinstance(got, type(logging)) else f"logging.{first}"
            name = f"{base}.{rest}" if rest else base
        elif hasattr(builtins, first):
            name = f"builtins.{name}"
        if name != text and name not in ct.stdlib_logging_classes() and _NAME.fullmatch(text):
            # ``eval`` raising NameError/AttributeError: ``_resolve`` imports the text as written
            raw_why = ct.denied(text)
            if raw_why is not None and ct.denied(name) is None:
                name = text
    if name in ct.stdlib_logging_classes():
        return name, None
    why = ct.denied(name)
    if why is not None:
        return name, Judged("code.dangerous-target", "critical", f"{_FINDER} class {text[:200]!r} names a "
                               f"dangerous callable ({name[:200]}: {why}); it imports and calls it with arguments "
                               "from this file", "unsafe")
    return name, Judged("code.remote", "high", f"{_FINDER} class {text[:200]!r} names code this scan did not "
                           "judge; it imports it and calls it with arguments from this file", "suspicious")


def _class_name(text: str, evaluated: bool) -> str | None:
    """A ``class`` value as the loader reads it: a handler's is ``eval``'d, so it is parsed as Python
    parses it (identifiers NFKC-normalised: ``eｖal`` is ``eval``, red team 24b-6) and must be a plain
    ``Name``/``Attribute`` chain; a formatter's goes to ``_resolve`` (``__import__``/``getattr`` of the
    text as written). None: no plain dotted name."""
    if not evaluated:
        return text if _NAME.fullmatch(text) else None
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return _dotted(tree.body)


def _expression(text: str, key: str) -> tuple[ast.expr | None, Judged | None]:
    """An ``args``/``kwargs``/``defaults`` text: (its expression when it holds only literals and
    allowed names, a finding otherwise). Bounded before anything is parsed (red team 106p-9: a
    900 KB ``args`` was parsed and walked whole, 1.2 M nodes, 2.7 s, before :data:`MAX_NODES` was
    looked at): a text of over :data:`MAX_VALUE` characters is not parsed, and the walk stops at
    :data:`MAX_NODES` nodes (one walk: an attribute chain's parts are known from their chain,
    which a breadth-first walk meets first) — either way not judged, ``suspicious``."""

    text = text.strip()
    if len(text) > MAX_VALUE:
        return None, Judged("config.logging", "high", f"{_FINDER} evaluates {key} = {text[:200]!r}, a value of "
                               f"{len(text)} characters (over {MAX_VALUE}): not judged", "suspicious")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None, Judged("config.logging", "high", f"{_FINDER} evaluates {key} = {text[:200]!r}, which "
                               "does not parse as a Python expression here: not judged", "suspicious")
    allowed = allowed_names()
    inner: set[int] = set()  # parts of a dotted chain (ast.walk is breadth-first: a chain before its parts)
    count = 0
    for node in ast.walk(tree):
        count += 1
        if count > MAX_NODES:
            return None, Judged("config.logging", "high", f"{_FINDER} {key} of over {MAX_NODES} parts: not "
                                   "judged", "suspicious")
        if isinstance(node, ast.Attribute):
            inner.add(id(node.value))
        bad: str | None = None
        if isinstance(node, (ast.Expression, ast.Constant, ast.Tuple, ast.List, ast.Dict, ast.Set, ast.Load,
                             ast.UAdd, ast.USub, ast.Add, ast.Sub, ast.Mult)):
            continue
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            continue
        if isinstance(node, (ast.Name, ast.Attribute)):
            dotted = _dotted(node)
            if dotted is not None and (dotted in allowed or dotted == _PLACEHOLDER):
                continue
            if id(node) in inner:
                continue  # judged as part of its whole attribute chain
            bad = f"the name {(dotted or ast.unparse(node))[:100]!r}"
        else:
            bad = f"a {type(node).__name__}"
        return None, Judged("code.dangerous-target", "critical", f"{_FINDER} evaluates {key} = "
                               f"{text[:200]!r} as Python (eval in logging's namespace) and it holds {bad} "
                               "(no literal): code that runs when the config is applied", "unsafe")
    return tree.body, None


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


_COMPUTED = ("the path is computed (no plain string literal): mlbom cannot know where it writes")


def _path_of(node: ast.expr) -> str | None:
    """A file handler's path expression as the handler takes it: a ``str`` literal, or a ``bytes``
    one decoded as ``os.fsdecode`` decodes it (UTF-8, ``surrogateescape``; red team 24b-1); the bare
    name of the application's ``defaults`` (:data:`_PLACEHOLDER`) is a start not known statically.
    None: computed (a concatenation, repetition, set, name …)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
        return node.value.decode("utf-8", "surrogateescape")
    if isinstance(node, ast.Name) and node.id == _PLACEHOLDER:
        return _PLACEHOLDER
    return None


def _filenames(args: ast.expr | None, kwargs: ast.expr | None) -> list[str | None]:
    """The paths a file handler may open, ``klass(*args, **kwargs)`` (its first parameter is
    ``filename``): ``args[0]`` and ``kwargs['filename']`` (each :func:`_path_of`; None: computed). Only
    a tuple/list display ``args`` and a dict display ``kwargs`` with literal keys are read: any other
    form (``('/x' + 'y',)``, ``(p,)*1``, a set, ``**`` unpacking) is computed (red team 24b-1)."""
    out: list[str | None] = []
    if args is not None:
        if not isinstance(args, (ast.Tuple, ast.List)):
            return [None]
        if args.elts:
            out.append(_path_of(args.elts[0]))
    if kwargs is not None:
        if not isinstance(kwargs, ast.Dict):
            return [None]
        node: ast.expr | None = None
        for k, v in zip(kwargs.keys, kwargs.values, strict=True):
            if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                return [None]  # ``**`` unpacking or a key mlbom does not compare
            if k.value == "filename":
                node = v  # (the last of duplicate keys)
        if node is not None:
            out.append(_path_of(node))
    return out


def judge(text: str) -> list[Judged]:
    """The findings of a fileConfig text (:func:`looks_like`): one ``config.logging`` note that it is
    one, and what its handler and formatter sections make fileConfig import, evaluate and open."""
    from mlbom.formats import config_targets as ct

    out: list[Judged] = [Judged("config.logging", "info", f"a Python logging configuration in the INI form "
                                      f"{_FINDER} reads (it evaluates handler class/args/kwargs and formatter defaults)", None)]
    cp = configparser.ConfigParser(interpolation=None)  # (fileConfig's: the same parse; values expanded below)
    try:
        cp.read_file(io.StringIO(as_opened(text)))  # one line per universal-newline line, as open() gives it
    except (configparser.Error, ValueError, RecursionError, MemoryError) as exc:
        out.append(Judged("config.logging", "high", f"{_FINDER} form that configparser does not read "
                             f"({type(exc).__name__}: {str(exc)[:200]}): not judged", "suspicious"))
        return out
    sections = cp.sections()
    if not any(s in _FILECONFIG_SECTIONS or s.startswith(("logger_", "handler_", "formatter_")) for s in sections):
        return []  # configparser finds no section fileConfig reads (a header inside a value, a comment)
    if len(sections) > MAX_SECTIONS:
        out.append(Judged("config.logging", "high", f"{_FINDER} form with over {MAX_SECTIONS} sections: not "
                             "judged", "suspicious"))
        return out
    work = _Work()
    for section in sections:
        handler = section.startswith("handler_")
        if not handler and not section.startswith("formatter_"):
            continue
        values: dict[str, str] = {}
        for key in ("class", "args", "kwargs") if handler else ("class",):
            if not cp.has_option(section, key):
                continue
            got = _expand(cp, section, cp.get(section, key, raw=True), work)
            if got is None:
                out.append(Judged("config.logging", "high", f"[{section[:100]}] {key}: an interpolation "
                                     "configparser refuses or one past mlbom's bounds: not judged", "suspicious"))
                continue
            values[key] = got
        where = f"[{section[:100]}]"
        cls_name: str | None = None
        if "class" in values:
            cls_name, finding = _judge_class(values["class"], handler)
            if finding is not None:
                out.append(dataclass_where(finding, where))
        if not handler:
            if cp.has_option(section, "defaults"):
                # Python >= 3.12 _create_formatters: eval(cp.get(sect, "defaults", raw=True), vars(logging))
                # (33e-3); judged whatever Python mlbom runs on, read raw as fileConfig reads it
                _, finding = _expression(cp.get(section, "defaults", raw=True), "defaults")
                if finding is not None:
                    out.append(dataclass_where(finding, where))
            if cls_name is not None and cls_name in ct.stdlib_logging_classes():
                out.extend(_formatter_role(cp, section, cls_name, where))
            continue
        exprs: dict[str, ast.expr | None] = {}
        for key in ("args", "kwargs"):
            if key in values:
                exprs[key], finding = _expression(values[key], key)
                if finding is not None:
                    out.append(dataclass_where(finding, where))
        last = (cls_name or "").rsplit(".", 1)[-1]
        if cls_name in ct.file_handler_classes():
            if ("args" in values and exprs.get("args") is None) or ("kwargs" in values and exprs.get("kwargs") is None):
                continue  # judged above
            paths = _filenames(exprs.get("args"), exprs.get("kwargs"))
            for path in paths:
                if path is None:
                    out.append(Judged("config.logging", "high", f"{where} {_FINDER} handler {cls_name} appends "
                                         f"log records to a file: {_COMPUTED}", "unsafe"))
                    continue
                sev, msg, effect = ct.log_file_finding(cls_name, path.replace(_PLACEHOLDER, "${oc.env:X}"))
                out.append(Judged("config.logging", sev, f"{where} {msg}", effect))
            if not paths:
                out.append(Judged("config.logging", "info", f"{where} {_FINDER} handler {cls_name} is given no "
                                     "file name (the handler raises TypeError: fileConfig stops)", None))
        elif cls_name in ct.stdlib_logging_classes() and last in _NETWORK_HANDLERS:
            out.append(Judged("config.logging", "medium", f"{where} {_FINDER} handler {cls_name} sends log "
                                 f"records over the network: args={values.get('args', '')[:100]!r}", None))
    return out


def _formatter_role(cp: configparser.RawConfigParser, section: str, cls_name: str, where: str) -> list[Judged]:
    """A standard-library class in a formatter section, by the role ``_create_formatters`` calls it in
    (red team 26b-1): ``c(fs, dfs, stl)`` with ``format``/``datefmt`` (None where absent) and ``style``
    (``'%'``), each read ``raw=True`` (no interpolation). No ``logging.Formatter``: ``suspicious``; a file
    handler opens the value bound to its ``filename`` (the path rule of the handler sections)."""
    from mlbom.formats import config_targets as ct

    role, key = ct.formatter_role(cls_name, _FINDER)
    if role is None:
        return []
    out = [Judged("config.logging", role[0], f"{where} {role[1]}", role[2])]
    if key is not None:
        path = cp.get(section, key, raw=True, fallback="%" if key == "style" else None)
        if path is not None:  # (None: the handler raises TypeError, nothing opened)
            sev, msg, effect = ct.log_file_finding(cls_name, path)
            out.append(Judged("config.logging", sev, f"{where} the formatter's {key!r} is its positional "
                                 f"filename: {msg}", effect))
    return out


def dataclass_where(j: Judged, where: str) -> Judged:
    """``j`` with the section it came from in front of its message."""
    return Judged(j.id, j.severity, f"{where} {j.message}", j.effect)
