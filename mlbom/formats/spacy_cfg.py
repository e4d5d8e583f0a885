"""A spaCy ``config.cfg`` (red team 119pa-4, 120d-3, 120d-4), read as spaCy reads it, for what makes
``spacy.load`` load code or another pipeline from outside the folder:

- ``[components.NAME] source = "..."`` (spacy ``language.py`` ``Language.from_config``): a component
  with a ``source`` is ``util.load_model(source)`` — an installed package of that name is imported
  (``importlib.import_module(name).load()``), a path (absolute, or relative to the working folder,
  not to this one) is a whole other pipeline loaded with its own config and component files. A
  pipeline ``nlp.to_disk`` writes never keeps ``source`` (the sourced component's own config is
  written in its place), so one here was put there.
- ``@callbacks = "spacy.copy_from_base_model.v1"`` anywhere in ``[nlp]`` (``before_creation``,
  ``after_creation``, ``after_pipeline_creation``, and the ``tokenizer``/``vectors`` functions
  ``Language.__init__`` calls, red team 121d-2): runs at every ``spacy.load`` and calls
  ``util.load_model`` on its ``tokenizer`` and ``vocab`` (spacy ``training/callbacks.py``).
- a component named with a path that leaves the folder (``../x``, absolute): ``Language.from_disk``
  reads each component from ``path / name`` (spacy ``util.from_disk``), its thinc model included.

How spaCy reads the text (confection 1.3, which spaCy 3.8 requires: ``_parser.py``
``parse_config``/``serialize_config``, ``util.py`` ``try_load_json``/``try_dump_json``): a default
``configparser.ConfigParser`` — ``=`` *and* ``:`` delimit an option (red team 120d-3), ``#``/``;``
comment lines, case-sensitive section names, option names as written (``optionxform = str``) —
with confection's ``ExtendedInterpolation`` (``${section.key}`` and ``${section:key}``, ``$$``, a
``${section}`` a reference to the whole section, a reference inside a longer value replaced by its
JSON-unwrapped text); then each value JSON when it parses (``True``/``False``/``None`` as Python's),
else the string. ``spacy.load`` reads the file *without* interpolation
(``util.load_config(..., interpolate=False)``) and interpolates later by writing the config out
and reading it back (``Config.interpolate``: ``from_str(to_str())``), which is not quite reading
the text with interpolation: a JSON-escaped ``\\u0024{...}`` becomes a live reference on the way
back, a ``$$`` stays ``$$``. Every value is taken as each of the three readings gives it (the raw
reading, the direct interpolated one, spaCy's round trip) and judged in each (red team 120d-4: a
name spelled with a JSON escape or put together by interpolation is judged as resolved, never by
its literal spelling); where confection would refuse the text (a duplicate option, a value without
a delimiter, a reference to nothing) the reading here goes on leniently — spaCy loads nothing from
such a file, so whatever is judged is no less than what it loads.

Registered names (``@architectures``, ``@layers``, ``@callbacks``, ``factory``) are looked up in
registries that installed packages fill through their entry points (catalogue): they name code
that is installed, not code this file carries or fetches, and are not judged here (the
environment's inventory is where that code is).

Never executes anything; bounded: interpolation and the round trip charge every character they
produce to a budget of :data:`MAX_WORK` (each piece at least :data:`_STEP`; confection's own
reading of a reference that fans out grows exponentially); past it the config is reported as not
resolved.
"""

from __future__ import annotations

import configparser
import io
import json
import posixpath
import re
from collections.abc import Iterator, Mapping
from typing import Any

MAX_WORK = 4_000_000  # characters interpolation and the round trip may produce, per file
_STEP = 32  # what each piece costs at least (a fan-out of one-character pieces is bounded by count too)
_COPY_FROM_BASE = "spacy.copy_from_base_model"
_VARIABLE_RE = re.compile(r"\$\{[\w\.:]+\}")  # confection's VARIABLE_RE
_SECTION_PREFIX = "__SECTION__:"
_PYTHON_LITERALS: dict[str, object] = {"True": True, "False": False, "None": None}


class _Unbounded(Exception):
    """The reading went past :data:`MAX_WORK`."""


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_WORK

    def charge(self, n: int) -> None:
        self.left -= max(n, _STEP)
        if self.left < 0:
            raise _Unbounded


class _Interpolation(configparser.ExtendedInterpolation):
    """confection's ``_CustomInterpolation`` (its ``before_get``/``interpolate``/
    ``_coerce_for_string_context``), with every piece charged to a budget."""

    def __init__(self, budget: _Budget) -> None:
        self.budget = budget
        self._sections: dict[str, dict[str, str]] = {}  # (one parser per instance: its raw sections, built once)

    def _section(self, parser: Any, sect: str) -> dict[str, str]:
        """The raw mapping of ``sect``, built once per parse (red team 121d-3: building it for every
        reference was references x options of work the budget did not see)."""
        m = self._sections.get(sect)
        if m is None:
            m = self._sections[sect] = dict(parser.items(sect, raw=True))
            self.budget.charge(sum(len(k) + len(v or "") for k, v in m.items()))
        return m

    def before_get(self, parser: Any, section: str, option: str, value: str,
                   defaults: Any) -> str:
        pieces: list[str] = []
        self._interp(parser, option, pieces, value, section, defaults, 1)
        if len(pieces) == 1:
            return pieces[0]
        return "".join(_coerce_for_string_context(p) for p in pieces)

    def _interp(self, parser: Any, option: str, accum: list[str], rest: str, section: str,
                mapping: Mapping[str, str], depth: int) -> None:
        rawval = parser.get(section, option, raw=True, fallback=rest)
        if depth > configparser.MAX_INTERPOLATION_DEPTH:
            raise configparser.InterpolationDepthError(option, section, rawval)
        while rest:
            p = rest.find("$")
            self.budget.charge(len(rest) if p < 0 else p + 1)  # (each piece appended, once)
            if p < 0:
                accum.append(rest)
                return
            if p > 0:
                accum.append(rest[:p])
                rest = rest[p:]
            c = rest[1:2]
            if c == "$":
                accum.append("$")
                rest = rest[2:]
            elif c == "{":
                m = self._KEYCRE.match(rest)  # type: ignore[attr-defined]
                if m is None:
                    raise configparser.InterpolationSyntaxError(option, section, "bad reference")
                orig_var = m.group(1)
                path = orig_var.replace(":", ".").rsplit(".", 1)
                rest = rest[m.end():]
                sect, opt = section, option
                try:
                    if len(path) == 1:
                        opt = parser.optionxform(path[0])
                        is_section_ref = opt not in mapping
                        if not is_section_ref:
                            is_section_ref = mapping[opt].strip() == rawval.strip()
                        if not is_section_ref:
                            v = mapping[opt]
                        else:
                            v = _section_name(parser[parser.optionxform(path[0])].name)
                    else:
                        sect, opt = path[0], parser.optionxform(path[1])
                        fallback = "__FALLBACK__"
                        v = parser.get(sect, opt, raw=True, fallback=fallback)
                        if v == fallback:
                            v = _section_name(parser[f"{sect}.{opt}"].name)
                except (KeyError, configparser.NoSectionError, configparser.NoOptionError):
                    raise configparser.InterpolationMissingOptionError(option, section, rawval, orig_var) from None
                if v is None:  # (an option without a value: confection refuses the file)
                    raise configparser.InterpolationMissingOptionError(option, section, rawval, orig_var)
                if "$" in v:
                    self._interp(parser, opt, accum, v, sect, self._section(parser, sect), depth + 1)
                else:
                    self.budget.charge(len(v))
                    accum.append(v)
            else:
                raise configparser.InterpolationSyntaxError(option, section, "'$' must be followed by '$' or '{'")


def _section_name(name: str) -> str:
    return f'"{_SECTION_PREFIX}{name}"'


def _coerce_for_string_context(v: str) -> str:
    if _SECTION_PREFIX in v:
        return v
    try:
        parsed = json.loads(v)
    except json.JSONDecodeError:
        return v
    except (ValueError, RecursionError):  # (confection raises: the load fails; any reading will do)
        return v
    if isinstance(parsed, str):
        return parsed
    return json.dumps(parsed).replace('"', '\\"')


def _try_load_json(value: str) -> object:
    try:
        return json.loads(value)
    except Exception:  # (confection's own: any failure leaves the string)
        return _PYTHON_LITERALS.get(value, value)


def _interpret_value(value: str | None) -> object:
    if value is None:
        return None
    result = _try_load_json(value)
    if isinstance(result, str) and _VARIABLE_RE.search(value):
        return value
    return result


def _parser(budget: _Budget | None) -> configparser.ConfigParser:
    """confection's ``_get_configparser``: a default ``ConfigParser`` (delimiters ``=`` and ``:``,
    comment prefixes ``#`` and ``;``), option names as written; lenient where confection refuses
    the text (``strict``, ``allow_no_value``: see the module's note)."""
    cp = configparser.ConfigParser(interpolation=_Interpolation(budget) if budget is not None else None,
                                   strict=False, allow_no_value=True)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    return cp


def _parse(text: str, budget: _Budget, *, interpolate: bool) -> dict[str, Any] | None:
    """confection's ``parse_config``: the nested dict of the config (None: no configparser text)."""
    cp = _parser(budget if interpolate else None)
    try:
        cp.read_string(text)
    except (configparser.Error, ValueError, RecursionError):
        return None
    result: dict[str, Any] = {}
    sections = cp.sections()
    for section in sections:  # the skeleton of nested dicts
        node = result
        ok = True
        for part in section.split(".")[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                ok = False
                break
            node = nxt
        if ok:
            node.setdefault(section.split(".")[-1], {})
    for section in sorted(sections, key=lambda s: len(s.split("."))):
        node = result
        for part in section.split("."):
            nxt = node.get(part) if isinstance(node, dict) else None
            if not isinstance(nxt, dict):
                break
            node = nxt
        else:
            for key in cp[section]:
                try:
                    value = cp.get(section, key)
                except (configparser.Error, ValueError, RecursionError):
                    value = cp.get(section, key, raw=True)  # (confection refuses the text)
                node[key] = _interpret_value(value)
    _replace_section_refs(result, result, budget)
    return result


def _replace_section_refs(root: dict[str, Any], node: dict[str, Any], budget: _Budget) -> None:
    """confection's ``_replace_section_refs``: ``"__SECTION__:a.b"`` becomes the dict ``a.b``."""
    stack = [node]
    while stack:
        here = stack.pop()
        for key, value in list(here.items()):
            budget.charge(1)
            if isinstance(value, dict):
                stack.append(value)
            elif isinstance(value, list):
                here[key] = [_get_section_ref(root, v) for v in value]
            else:
                here[key] = _get_section_ref(root, value)


def _get_section_ref(root: dict[str, Any], value: object) -> object:
    if isinstance(value, str) and value.startswith(f'"{_SECTION_PREFIX}'):
        value = _try_load_json(value)
    if isinstance(value, str) and value.startswith(_SECTION_PREFIX) and value != _SECTION_PREFIX:
        result: object = root
        for item in value.replace(_SECTION_PREFIX, "", 1).split("."):
            if not isinstance(result, dict) or item not in result:
                return value  # (confection raises: the load fails)
            result = result[item]
        return result
    return value


def _try_dump_json(value: object) -> str:
    if isinstance(value, str) and _VARIABLE_RE.search(value):
        return value
    try:
        dumped = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        dumped = json.dumps(str(value))  # (confection raises: the load fails)
    return re.sub(r"\$(?!\{)", "$$", dumped)


def _serialize(data: dict[str, Any], budget: _Budget) -> str:
    """confection's ``serialize_config`` (``Config.to_str``): the text ``Config.interpolate`` reads back."""
    flat = configparser.ConfigParser(interpolation=None)
    flat.optionxform = str  # type: ignore[assignment,method-assign]
    queue: list[tuple[tuple[str, ...], dict[str, Any]]] = [((), data)]
    for path, node in queue:
        budget.charge(len(node))
        name = ".".join(path)
        has_leaves = any(not isinstance(v, dict) for v in node.values())
        if path and not flat.has_section(name) and (has_leaves or path[-1] != "*"):
            try:
                flat.add_section(name)
            except (configparser.Error, ValueError):
                continue
        for key, value in node.items():
            if isinstance(value, dict):
                queue.append(((*path, key), value))
            elif path:
                dumped = _try_dump_json(value)
                budget.charge(len(dumped))
                flat.set(name, str(key), dumped)
    out = io.StringIO()
    flat.write(out)
    return out.getvalue().strip()


def _readings(text: str, budget: _Budget) -> Iterator[tuple[dict[str, Any], bool]]:
    """The config as spaCy's readers give it, and whether the reading is the raw one: raw
    (``load_config``), the text read with interpolation (``Config().from_str``), and spaCy's
    round trip (``Config.interpolate``)."""
    raw = _parse(text, budget, interpolate=False)
    if raw is None:
        return
    yield raw, True
    direct = _parse(text, budget, interpolate=True)
    if direct is not None:
        yield direct, False
    back = _parse(_serialize(raw, budget), budget, interpolate=True)
    if back is not None:
        yield back, False


def _loads_model(v: object) -> bool:
    """Whether ``util.load_model(v)`` would load something (a package or a path): a string other
    than ``blank:LANG`` (a blank pipeline of spaCy's own language class)."""
    return isinstance(v, str) and bool(v.strip()) and not v.startswith("blank:")


def _leaves(name: str) -> bool:
    """Whether ``Path(folder) / name`` lies outside ``folder`` (absolute, a drive, ``..`` climbing out)."""
    n = name.replace("\\", "/")
    if n.startswith("/") or (len(n) > 1 and n[1] == ":"):
        return True
    norm = posixpath.normpath(n)
    return norm == ".." or norm.startswith("../")


def _judge(tree: dict[str, Any], out: dict[str, str], *, raw: bool) -> None:
    """Adds what ``tree`` makes spaCy load to ``out``. In the ``raw`` reading a value that still
    holds a ``${…}`` reference is left to the interpolated readings (which judge what it resolves to)."""

    def _unresolved(v: object) -> bool:
        return raw and isinstance(v, str) and bool(_VARIABLE_RE.search(v))

    components = tree.get("components")
    if isinstance(components, dict):
        for name, comp in components.items():
            if not isinstance(comp, dict) or "source" not in comp:
                continue
            v = comp["source"]
            if _loads_model(v) and not _unresolved(v):
                out.setdefault(f"[components.{name}] source = {v!r}",
                               "spacy.load runs util.load_model on it: an installed package of that name is imported "
                               "and its load() run, a path (absolute, or relative to the working folder) is another "
                               "whole pipeline loaded, its config and component files with it")
    nlp = tree.get("nlp")
    names = [*(components if isinstance(components, dict) else {})]
    for key in ("pipeline", "disabled"):
        v = nlp.get(key) if isinstance(nlp, dict) else None
        names += v if isinstance(v, list) else []
    for name in names:
        if isinstance(name, str) and _leaves(name):
            out.setdefault(f"component {name!r}",
                           "Language.from_disk reads each component from the pipeline folder joined with its name: "
                           "this one's files (a thinc model, its cfg) are read from outside the pipeline folder")
    if not isinstance(nlp, dict):
        return
    # every promise under [nlp] (red team 121d-2): Language.from_config resolves the whole [nlp]
    # block and calls its tokenizer and vectors functions (Language.__init__) and its three creation
    # callbacks; confection ties no slot to a registry, so a @callbacks promise works in any of them
    stack: list[tuple[str, dict[str, Any]]] = [("nlp", nlp)]
    while stack:
        where, cb = stack.pop()
        for key, sub in cb.items():
            if isinstance(sub, dict):
                stack.append((f"{where}.{key}", sub))
        name = cb.get("@callbacks")
        if not isinstance(name, str) or not name.startswith(_COPY_FROM_BASE):
            continue
        for arg in ("tokenizer", "vocab"):
            v = cb.get(arg)
            if isinstance(v, dict):
                out.setdefault(f"[{where}] {arg} = {v!r}",
                               f"{name} runs at every spacy.load and calls util.load_model on what this block "
                               "resolves to (a registered function's return value): a package imported, a pipeline "
                               "loaded")
            elif _loads_model(v) and not _unresolved(v):
                out.setdefault(f"[{where}] {arg} = {v!r}",
                               f"{name} runs at every spacy.load and calls util.load_model on it: "
                               "an installed package is imported, a path is another pipeline loaded")


def findings(text: str) -> list[tuple[str, str]]:
    """``(where in the config, what spaCy does)`` for each value that makes ``spacy.load`` load a
    pipeline or import a package this scan does not judge, in any of spaCy's readings."""
    if "[" not in text:  # (a configparser section header is a line that starts with it: no section, no load)
        return []
    out: dict[str, str] = {}
    budget = _Budget()
    try:
        for tree, raw in _readings(text, budget):
            _judge(tree, out, raw=raw)
    except (_Unbounded, RecursionError):
        out["(references)"] = (f"resolving its ${{…}} references takes more than {MAX_WORK:,} characters (mlbom's "
                               "bound): what a component's source or a creation callback resolves to is not known to "
                               "this scan, and spaCy may load a package or another pipeline from it")
    return list(out.items())


def component_names(text: str) -> set[str] | None:
    """The component names spaCy's readings of the config give (``[nlp] pipeline`` and
    ``disabled``, every ``[components]`` entry): the sub-folders ``Language.from_disk`` reads a
    component from. None when the references cannot be resolved within :data:`MAX_WORK`."""
    names: set[str] = set()
    if "[" not in text:
        return names
    try:
        for tree, _raw in _readings(text, _Budget()):
            nlp = tree.get("nlp")
            if isinstance(nlp, dict):
                for key in ("pipeline", "disabled"):
                    v = nlp.get(key)
                    names.update(n for n in (v if isinstance(v, list) else []) if isinstance(n, str))
            components = tree.get("components")
            if isinstance(components, dict):
                names.update(k for k in components if isinstance(k, str))
    except (_Unbounded, RecursionError):
        return None
    return names
