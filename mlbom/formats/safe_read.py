"""The bounded, typed reading layer every parser of untrusted input goes through (issue 19).

- :func:`read_bounded`: at most N bytes of a file, or an :class:`InputError`.
- :func:`decode_utf8`: bytes to text, an error naming the byte offset.
- :func:`load_json`, :func:`load_toml`, :func:`load_yaml`: a document as plain Python values
  (``object`` until the caller checks it), with the nesting bound :data:`mlbom.limits.MAX_DEPTH`
  checked, duplicate keys noted, YAML aliases bounded (:data:`mlbom.limits.MAX_YAML_NODES`), and
  every failure of the underlying parser — syntax, recursion, integer-size and date errors —
  turned into an :class:`InputError` with the file and, where the parser says, the line.
- :func:`check_depth` for trees parsed elsewhere (orjson BOMs, XML element trees).

Text that cannot be written (rule, documented in docs/fuzzing.md): a lone UTF-16 surrogate
(``"\\ud800"`` in JSON or YAML) is valid input to Python's parsers but not UTF-8, so no BOM
holding it could be written. The loaders replace each one with U+FFFD and list the place in
:attr:`Loaded.replaced`, which the caller turns into a finding naming the file and field; the
BOM writer scrubs the same way as a last line of defence, so writing never fails on text.
Keys that are not text (YAML ``0: neg``, ``true:``, ``2020-01-01:``, ``0.9:`` in a flow
mapping) become text (:func:`key_text`: ``"0"``, ``"true"``, ``"2020-01-01"``, ``"0.9"``) in
the same pass, in place and in order, since JSON (and so a BOM) has text keys only; this is
not noted (``0:`` and ``"0":`` mean the same to every reader of a card; given both, the
last one wins, as with any duplicate key). TOML and JSON keys are always text.

Nothing here evaluates what it reads: YAML goes through PyYAML's safe constructors only.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from mlbom.errors import InputError
from mlbom.jsonlevels import depth_exceeds
from mlbom.limits import MAX_DEPTH, MAX_TOML_KEY_PARTS, MAX_YAML_BYTES, MAX_YAML_EXPANDED_CHARS, MAX_YAML_NODES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

_SURROGATE = re.compile("[\ud800-\udfff]")
# In JSON text a surrogate can only come from an escape (raw ones are not UTF-8 and fail decoding).
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class Loaded:
    """A parsed document and what reading it changed or noticed."""

    value: object
    replaced: tuple[str, ...] = ()
    """Places (``a.b[2]``) where text that is not valid Unicode was replaced with U+FFFD."""
    duplicate_keys: tuple[str, ...] = ()
    """Places of object keys given more than once (the last one wins, as in every JSON parser)."""

    def notes(self, path: Path | str) -> list[str]:
        """One human sentence per thing noticed, naming the file and the field."""
        out = [f"{path}: {where}: text that is not valid Unicode (a lone surrogate) was replaced with U+FFFD"
               for where in self.replaced]
        out += [f"{path}: {where}: key given more than once; the last value is used" for where in self.duplicate_keys]
        return out


def read_bounded(path: Path, limit: int, *, head: bool = False) -> bytes:
    """Read at most ``limit`` bytes of a regular file; a longer file, a folder, a FIFO or device
    (reading one could block for ever: ``-r /dev/stdin`` in a requirements file) or an
    unreadable file is an :class:`InputError`. With ``head``, a longer file is no error: its
    first ``limit + 1`` bytes are returned (the caller sees it was longer)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError as exc:
        raise InputError(path, "is a folder, not a file") from exc
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(path, "is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise InputError(path, "not a regular file (a FIFO, socket or device is not read)")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from exc
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit and not head:
        size = f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"
        raise InputError(path, f"larger than the {size} mlbom reads from such a file")
    return data


def decode_utf8(data: bytes, path: Path | str, *, at: str | None = None) -> str:
    """UTF-8 bytes (a leading byte-order mark dropped) to text; anything else is an
    :class:`InputError` naming the byte offset."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 at byte {exc.start}", at=at) from exc


def json_encoding(data: bytes) -> str:
    """The encoding ``json.loads(bytes)`` reads ``data`` in (:func:`json.detect_encoding`: UTF-8,
    UTF-16 or UTF-32, by a byte-order mark or by the pattern of NULs in the first four bytes),
    ``utf-8-sig`` for UTF-8 with a byte-order mark."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    return json.detect_encoding(data)


def decode_json_text(data: bytes, path: Path | str) -> str:
    """JSON bytes to text as ``json.loads(bytes)`` reads them: UTF-8, UTF-16 or UTF-32, with or
    without a byte-order mark (dropped) (red team 87c-7: a Croissant file saved as UTF-16 by
    Windows tools). Bytes that are not valid in the encoding detected are an :class:`InputError`
    naming the encoding and the byte offset."""
    enc = json_encoding(data)
    if enc == "utf-8":
        return decode_utf8(data, path)
    try:
        return data.decode(enc).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not {enc.upper().removesuffix('-SIG')} at byte {exc.start}") from exc


def sniff_json_text(head: bytes) -> str:
    """The first bytes of a JSON file as text, in the encoding :func:`json_encoding` detects,
    for recognising a format by what it says; bytes that do not decode (a cut character) are
    dropped. Never for reading the document: :func:`decode_json_text` is."""
    return head.decode(json_encoding(head), errors="ignore").removeprefix("\ufeff")


def scrub_text(text: str) -> str:
    """``text`` with every lone surrogate replaced with U+FFFD (unchanged when there is none)."""
    return _SURROGATE.sub(REPLACEMENT, text) if _SURROGATE.search(text) else text


def key_text(key: object) -> str:
    """A mapping key as text, as JSON and a BOM need it: YAML's spelling for ``true``, ``false``
    and ``null``, ISO 8601 for a date, ``str()`` for a number; lone surrogates replaced."""
    if isinstance(key, bool) or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    if isinstance(key, (date, datetime)):
        return key.isoformat()
    return scrub_text(key if isinstance(key, str) else str(key))


def _where(parent: str, key: object) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    text = scrub_text(str(key))
    return f"{parent}.{text}" if parent else text


def check_depth(value: object, path: Path | str, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise :class:`InputError` when lists/dicts in ``value`` nest deeper than ``max_depth``.
    Iterative, one level at a time; visits each container once (:mod:`mlbom.jsonlevels`)."""
    if depth_exceeds(value, max_depth):
        raise InputError(path, f"nested too deeply (more than {max_depth} levels; mlbom reads at most {max_depth})")


def _scrub_item(node: Any, key: object, item: object, depth: int, where: str,
                stack: list[tuple[object, int, str]], replaced: list[str]) -> None:
    """One list item or dict value of :func:`sanitize`: a string is scrubbed in place, a
    container is queued."""
    if isinstance(item, str):
        fixed = scrub_text(item)
        if fixed is not item:
            node[key] = fixed
            replaced.append(_where(where, key))
    elif isinstance(item, (dict, list)):
        stack.append((item, depth + 1, _where(where, key)))


def sanitize(value: object, path: Path | str, *, max_depth: int = MAX_DEPTH,
             max_nodes: int | None = None) -> tuple[object, tuple[str, ...]]:
    """Check the nesting (and node count) of a parsed document and replace lone surrogates in
    its strings and keys, in place where possible. Returns the value and the replaced places.
    Iterative; linear in the number of nodes."""
    replaced: list[str] = []
    if isinstance(value, str):
        fixed = scrub_text(value)
        return fixed, (("(document)",) if fixed is not value else ())
    count = 0
    seen: set[int] = set()  # YAML aliases share objects: each is checked (and fixed) once
    stack: list[tuple[object, int, str]] = [(value, 1, "")]
    while stack:
        node, depth, where = stack.pop()
        if not isinstance(node, (dict, list)) or id(node) in seen:
            continue
        seen.add(id(node))
        if depth > max_depth:
            raise InputError(path, f"nested too deeply (more than {max_depth} levels; mlbom reads at most {max_depth})")
        count += len(node)
        if max_nodes is not None and count > max_nodes:
            raise InputError(path, f"more than {max_nodes} values (aliases expanded); refused")
        if isinstance(node, dict):
            bad_keys = [k for k in node if not isinstance(k, str) or _SURROGATE.search(k)]
            if bad_keys:  # rebuilt in order: every key text (see key_text), surrogates replaced
                replaced += [_where(where, k) for k in bad_keys if isinstance(k, str)]
                items = [(key_text(k), v) for k, v in node.items()]
                node.clear()
                node.update(items)
        for key, item in enumerate(node) if isinstance(node, list) else node.items():
            _scrub_item(node, key, item, depth, where, stack, replaced)
    return value, tuple(sorted(replaced))


# --- JSON -------------------------------------------------------------------------------


def load_json(data: bytes, path: Path | str, *, max_depth: int = MAX_DEPTH, any_utf: bool = False) -> Loaded:
    """A JSON document (UTF-8; with ``any_utf``, UTF-8/16/32 as ``json.loads(bytes)`` reads it,
    :func:`decode_json_text`) as Python values. Syntax errors name the line and column;
    nesting beyond ``max_depth``, numbers Python will not convert and invalid text are
    :class:`InputError`; lone surrogates are replaced (see the module docstring)."""
    text = decode_json_text(data, path) if any_utf else decode_utf8(data, path)
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        out = dict(items)
        if len(out) != len(items):
            seen: set[str] = set()
            for k, _ in items:
                if k in seen:
                    duplicates.append(scrub_text(k))
                seen.add(k)
        return out

    try:
        value = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON (JSON syntax error: {exc.msg})", at=f"line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise InputError(path, f"nested too deeply (more than {max_depth} levels; mlbom reads at most {max_depth})") from exc
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InputError(path, f"not valid JSON: {exc}") from exc
    if _ESCAPED_SURROGATE.search(text) is None:  # no \udXXX escape: nothing to replace, only depth
        check_depth(value, path, max_depth=max_depth)
        return Loaded(value, (), tuple(duplicates))
    value, replaced = sanitize(value, path, max_depth=max_depth)
    return Loaded(value, replaced, tuple(duplicates))


def load_json_object(data: bytes, path: Path | str, *, what: str = "JSON object") -> tuple[dict[str, object], Loaded]:
    """:func:`load_json` for a document whose top level must be an object."""
    loaded = load_json(data, path)
    if not isinstance(loaded.value, dict):
        raise InputError(path, f"not a {what} (top level is {type(loaded.value).__name__})")
    return loaded.value, loaded


# --- TOML -------------------------------------------------------------------------------


_TOML_SEG = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_TOML_DOT = r"[ \t]*\.[ \t]*"


def _toml_key_run(max_parts: int) -> re.Pattern[str]:
    # a key starts a line, or follows "[" / "[[" (a header), "{" or "," (an inline table)
    return re.compile(rf"(?:^|[\[{{,])[ \t]*{_TOML_SEG}(?:{_TOML_DOT}{_TOML_SEG}){{{max_parts},}}", re.M)


_TOML_KEY_RUNS: dict[int, re.Pattern[str]] = {}


def check_toml_keys(text: str, path: Path | str, *, max_parts: int = MAX_TOML_KEY_PARTS) -> None:
    """Refuse a dotted key or table header of more than ``max_parts`` parts, in one scan of the
    text, before ``tomllib`` (quadratic in the parts of one key; red team 83c-4) parses it. The scan
    looks only where a key can start, so a dotted word inside a string is a key to it only after a
    ``,``/``[``/``{`` in that string, and then only with more parts than any real key has."""
    pattern = _TOML_KEY_RUNS.get(max_parts)
    if pattern is None:
        pattern = _TOML_KEY_RUNS[max_parts] = _toml_key_run(max_parts)
    m = pattern.search(text)
    if m is not None:
        line = text.count("\n", 0, m.start()) + 1
        raise InputError(path, f"a TOML key or table header of more than {max_parts} dotted parts "
                               f"(mlbom reads at most {max_parts})", at=f"line {line}")


def load_toml(data: bytes, path: Path | str, *, max_depth: int = MAX_DEPTH) -> tuple[dict[str, object], Loaded]:
    """A TOML document (UTF-8). TOML has no lone surrogates (tomllib refuses them) and no
    duplicate keys (a syntax error), so only nesting needs checking after the parse; keys of
    more than :data:`~mlbom.limits.MAX_TOML_KEY_PARTS` parts are refused before it."""
    text = decode_utf8(data, path)
    check_toml_keys(text, path)
    try:
        doc: dict[str, object] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"not valid TOML (TOML syntax error: {exc})") from exc
    except RecursionError as exc:
        raise InputError(path, f"nested too deeply (more than {max_depth} levels; mlbom reads at most {max_depth})") from exc
    except ValueError as exc:  # an integer of more than 4,300 digits, a date out of range
        raise InputError(path, f"TOML value cannot be read: {exc}") from exc
    check_depth(doc, path, max_depth=max_depth)
    return doc, Loaded(doc)


# --- YAML -------------------------------------------------------------------------------


if getattr(yaml, "__with_libyaml__", False):
    # libyaml scans in C (PyYAML's Python scanner is quadratic in flow nesting) and refuses
    # nesting beyond 1,000 itself; MAX_DEPTH is then checked on the composed node graph.
    _Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = yaml.CSafeLoader
else:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader


def _yaml_bounds(text: str, path: Path | str, max_depth: int, max_nodes: int) -> None:
    """Nodes, characters and depth of the document with every alias expanded, counted over the
    event stream (libyaml, before any node is built), so a billion-laughs document — of nodes
    or of long strings — or a deep one is refused in time linear in its text. A recursive alias
    is refused too."""
    max_chars = MAX_YAML_EXPANDED_CHARS
    stack: list[list[int]] = []  # per open collection: [expanded nodes, deepest child, characters]
    anchors_open: list[str | None] = []
    anchors: dict[str, tuple[int, int, int]] = {}
    total = [0, 0]

    def add(size: int, depth: int, chars: int, line: int) -> None:
        if stack:
            top = stack[-1]
            top[0] += size
            top[1] = max(top[1], depth)
            top[2] += chars
            running, text = top[0], top[2]
        else:
            total[0] += size
            total[1] += chars
            running, text = total
        if running > max_nodes:
            raise InputError(path, f"more than {max_nodes} values once aliases are expanded (an alias bomb?)",
                             at=f"line {line}")
        if text > max_chars:
            raise InputError(path, f"more than {max_chars} characters once aliases are expanded (an alias bomb?)",
                             at=f"line {line}")
        if len(stack) + depth > max_depth:
            raise InputError(path, f"nested too deeply (more than {max_depth} levels; mlbom reads at most {max_depth})",
                             at=f"line {line}")

    for ev in yaml.parse(text, Loader=_Loader):
        line = ev.start_mark.line + 1 if ev.start_mark is not None else 0
        if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if len(stack) >= max_depth:
                raise InputError(path, f"nested too deeply (more than {max_depth} levels; mlbom reads at most {max_depth})",
                                 at=f"line {line}")
            stack.append([1, 0, 0])
            anchors_open.append(ev.anchor)
        elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            size, deepest, chars = stack.pop()
            anchor = anchors_open.pop()
            if anchor is not None:
                anchors[anchor] = (size, deepest + 1, chars)
            add(size, deepest + 1, chars, line)
        elif isinstance(ev, yaml.ScalarEvent):
            chars = len(ev.value)
            if ev.anchor is not None:
                anchors[ev.anchor] = (1, 0, chars)
            add(1, 0, chars, line)
        elif isinstance(ev, yaml.AliasEvent):
            if ev.anchor in anchors_open:
                raise InputError(path, "recursive alias (a node that contains itself)", at=f"line {line}")
            size, depth, chars = anchors.get(ev.anchor or "", (1, 0, 0))
            add(size, depth, chars, line)


_YAML_MERGE = "tag:yaml.org,2002:merge"


def _yaml_duplicate_keys(loader: Any, root: yaml.Node) -> list[str]:
    """Places (``line N: key``) of mapping keys given twice in one mapping of the node graph, in
    one pass over its nodes (each once, aliases included): PyYAML keeps the last value without a
    word, and so do huggingface_hub and every ``yaml.safe_load`` reader (red team 87c-6). Scalar
    keys are compared as PyYAML builds them (``1`` and ``0x1`` are one key, as in the dict it
    builds); ``<<`` merge keys are not repeats (explicit keys override merged ones by design)."""
    out: list[str] = []
    visited: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[object] = set()
            for k, v in node.value:
                stack.append(k)
                stack.append(v)
                if not isinstance(k, yaml.ScalarNode) or k.tag == _YAML_MERGE:
                    continue
                key = loader.construct_object(k)
                if key in keys:
                    out.append(f"line {k.start_mark.line + 1}: {scrub_text(key_text(key))}")
                keys.add(key)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return out


def load_yaml(data: bytes | str, path: Path | str, *, max_depth: int = MAX_DEPTH,
              max_nodes: int = MAX_YAML_NODES, max_bytes: int = MAX_YAML_BYTES) -> Loaded:
    """One YAML document through PyYAML's safe constructors, bounded: at most ``max_bytes``,
    ``max_depth`` levels and ``max_nodes`` nodes with aliases expanded. A key given twice in one
    mapping is kept as PyYAML keeps it (the last value) and noted in ``duplicate_keys`` (red team
    87c-6). Syntax errors name the line; values the safe constructors cannot build (a date out of range, an unhashable key)
    are :class:`InputError` too; lone surrogates are replaced."""
    text = decode_utf8(data, path) if isinstance(data, bytes) else data
    if len(text) > max_bytes:
        raise InputError(path, f"YAML document larger than the {max_bytes >> 20} MiB mlbom reads")
    loader = None
    try:
        _yaml_bounds(text, path, max_depth, max_nodes)
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return Loaded(None)
        duplicates = _yaml_duplicate_keys(loader, node)
        value = loader.construct_document(node)
    except InputError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"line {mark.line + 1}" if mark is not None else None
        raise InputError(path, f"YAML syntax error: {exc.problem or exc.context or 'malformed'}", at=at) from exc
    except yaml.YAMLError as exc:
        raise InputError(path, f"YAML syntax error: {exc}") from exc
    except RecursionError as exc:
        raise InputError(path, f"nested too deeply (more than {max_depth} levels; mlbom reads at most {max_depth})") from exc
    except (ValueError, TypeError, OverflowError) as exc:  # int('9'*5000), date(2020, 13, 1), {[]: 1}
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(path, f"YAML value cannot be read: {first}") from exc
    finally:
        if loader is not None:
            loader.dispose()
    value, replaced = sanitize(value, path, max_depth=max_depth, max_nodes=max_nodes)
    return Loaded(value, replaced, tuple(duplicates))
