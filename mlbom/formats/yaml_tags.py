"""The tags of a YAML text as PyYAML resolves them, from the parser's event stream only.

``yaml.unsafe_load`` (and ``FullLoader`` for some of them) builds objects and calls functions
for tags under ``tag:yaml.org,2002:python/``. The tag a constructor sees is resolved by the
parser: a ``%TAG`` directive may bind any handle (even the primary ``!``) to any prefix, a
verbatim tag ``!<…>`` names it in full, and ``%xx`` escapes in a tag are decoded
(``Scanner.scan_uri_escapes``; libyaml does the same). So the text is parsed — never
composed or constructed — and each node's resolved tag is checked.

Bounded: at most :data:`MAX_BYTES` of text, :data:`MAX_EVENTS` events and :data:`MAX_SECONDS`
of parsing; past a bound the result says so (``bounded``). A text that does not parse yields
the tags seen before the error (a multi-document ``load_all`` constructs earlier documents).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import yaml

MAX_BYTES = 64 << 20
MAX_EVENTS = 5_000_000
MAX_SECONDS = 10.0
MAX_NESTED_TEXT = 1 << 20  # characters of resolver arguments parsed as YAML on one budget
PYTHON_PREFIX = "tag:yaml.org,2002:python/"
MAX_TAGS = 20


@dataclass
class TagScan:
    """``python``: resolved Python tags (first :data:`MAX_TAGS`, in order); ``parsed``: the whole
    text parsed without an error; ``bounded``: parsing stopped at a bound (not judged in full)."""

    python: list[str] = field(default_factory=list)
    parsed: bool = False
    bounded: str | None = None


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
    (:func:`loaders`), their tags together; ``parsed`` only when both read the whole text."""
    out = TagScan(parsed=True)
    if len(text) > MAX_BYTES:
        return TagScan(bounded=f"over {MAX_BYTES} characters")
    for loader in loaders():
        one = tags_with(text, loader)
        for tag in one.python:
            if tag not in out.python and len(out.python) < MAX_TAGS:
                out.python.append(tag)
        out.parsed = out.parsed and one.parsed
        if one.bounded is not None:
            out.bounded = one.bounded
            return out
    return out


class EventBudget:
    """The bound on one walk over PyYAML's event stream: :data:`MAX_EVENTS` events and
    :data:`MAX_SECONDS` of parsing (the clock is read every 1,024 events)."""

    def __init__(self) -> None:
        self.events = 0
        self.start = time.monotonic()
        self.text = 0  # characters of nested texts (resolver arguments) parsed on this budget

    def spend_text(self, n: int) -> str | None:
        """Count ``n`` characters of a nested text about to be parsed; the bound passed (as a
        reason) — :data:`MAX_NESTED_TEXT` — or ``None`` while within it. Each nested parse has a
        fixed cost beside its events, so their total size is bounded too (fuzzing found a 2 KB
        config whose arguments made a thousand parses)."""
        self.text += n
        return f"over {MAX_NESTED_TEXT} characters of resolver arguments parsed" if self.text > MAX_NESTED_TEXT else None

    def spend(self) -> str | None:
        """Count one event; the bound passed (as a reason), or ``None`` while within it."""
        self.events += 1
        if self.events > MAX_EVENTS:
            return f"over {MAX_EVENTS} YAML events"
        if self.events % 1024 == 0 and time.monotonic() - self.start > MAX_SECONDS:
            return f"over {MAX_SECONDS:.0f} s of parsing"
        return None


def tags_with(text: str, loader: type[yaml.BaseLoader]) -> TagScan:
    """The Python tags of ``text`` as one parser (``loader``'s) resolves them, bounded."""
    out = TagScan()
    budget = EventBudget()
    try:
        for event in yaml.parse(text, Loader=loader):
            tag = getattr(event, "tag", None)
            if isinstance(tag, str) and is_python_tag(tag) and len(out.python) < MAX_TAGS:
                out.python.append(tag)
            if (bound := budget.spend()) is not None:
                out.bounded = bound
                return out
    except (yaml.YAMLError, ValueError, RecursionError, MemoryError):
        return out
    out.parsed = True
    return out
