"""Hydra ``_target_`` references: code a YAML/JSON config names for a loader to import and call.

``hydra.utils.instantiate`` (and ``hydra.utils.call``) takes a config — a mapping loaded by
OmegaConf from YAML, or a plain dict from JSON — and, for every mapping that holds the key
``_target_`` (at any depth: it recurses into the values unless ``_recursive_: false``, and a
target called with the rest may instantiate that rest itself), resolves the target with
``hydra._internal.utils._locate``: the first dotted part is imported as a module, each later
part is an attribute (``getattr``) or, failing that, a submodule imported. The result is called
with the mapping's other keys as keyword arguments and ``_args_`` as positional ones
(``_partial_: true`` wraps it in ``functools.partial`` instead — the module is imported all the
same; ``_convert_`` only changes how arguments are passed). Before that, ``OmegaConf.resolve``
replaces ``${…}`` interpolations, so a target spelled with one is computed at load time.
NeMo's ``restore_from`` reads ``model_config.yaml`` out of a ``.nemo`` tar and
``Serialization.from_config_dict`` imports the class its ``target`` names
(``import_class_by_path``) and calls it with the config (or instantiates a ``_target_``); the
model's own ``from_config_dict`` calls do the same for its sub-configs; PyTorch
Lightning projects built on Hydra (the lightning-hydra template) instantiate the model, data
module, trainer, callbacks and optimiser from their configs the same way.

This module finds the targets in YAML text from PyYAML's event stream (never constructed): keys
as the parser decodes them (escapes, quoting, anchors and aliases of a scalar key or value); a
parsed JSON document's ``_target_`` values are collected by the scanner's walk of it. It judges
them all: a target on mlbom's deny list
(:func:`mlbom.formats.pickle.danger`, the list the pickle judge uses) or walking a dunder
attribute is ``unsafe``; every other target is ``suspicious`` (``code.remote``): the loader
imports code this scan never judged and calls it with arguments from the file. No namespace is
exempt — not even NeMo's own: ``nemo.collections.common.tokenizers.AutoTokenizer`` with
``trust_remote_code: true`` and a Hub name runs that repository's code.

Bounded: YAML parsing stops where :class:`mlbom.formats.yaml_tags.EventBudget` does (its
``MAX_EVENTS`` events or ``MAX_SECONDS``); past a bound the rest is not checked and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from mlbom.formats import pickle as pickle_fmt
from mlbom.formats.yaml_tags import EventBudget
from mlbom.model import Severity, Verdict

KEY = "_target_"
NEMO_CONFIG = "model_config.yaml"  # the name NeMo's restore_from reads; a ``target`` in it is a class path
NEMO_KEYS = ("target",)
MAX_SHOWN = 5


@dataclass
class Targets:
    """``paths``: the literal targets (each once, in order); ``computed``: targets that are no
    literal path (an interpolation, a value that is not a string), described; ``bounded``: the
    walk stopped at a bound (the rest not checked)."""

    paths: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)
    bounded: str | None = None

    def add(self, value: object) -> None:
        if isinstance(value, str) and "${" not in value:
            if value not in self.paths:
                self.paths.append(value)
        else:
            self.odd(repr(value)[:200] if isinstance(value, str) else f"a {type(value).__name__} value")

    def odd(self, what: str) -> None:
        if what not in self.computed:
            self.computed.append(what)

    def __bool__(self) -> bool:
        return bool(self.paths or self.computed or self.bounded)


class _Frame:
    """One open collection of the event stream: a mapping alternates key and value."""

    __slots__ = ("is_map", "key_kind", "want_key")

    def __init__(self, is_map: bool) -> None:
        self.is_map = is_map
        self.want_key = True
        self.key_kind = 0  # the pending key: 0 another key, 1 ``_target_``, 2 a class key


def yaml_targets(text: str, *, class_keys: tuple[str, ...] = (), hydra_key: bool = True) -> Targets:
    """The ``_target_`` values of a YAML text (every document), from PyYAML's own parser — the one
    OmegaConf's loader (a ``yaml.SafeLoader``) uses — never composed or constructed. A scalar key
    or value given through an alias counts as its anchored scalar. Text that does not parse
    yields the targets before the error (nothing after it is loaded). ``class_keys``: keys whose
    dotted string values are class paths too, at any depth (NeMo's ``target``; a value without a
    dot is no module path: ``import_class_by_path`` raises on it). ``hydra_key=False``: only
    those (the ``_target_`` keys were collected elsewhere)."""
    out = Targets()
    anchors: dict[str, str] = {}
    stack: list[_Frame] = []
    budget = EventBudget()
    try:
        for event in yaml.parse(text, Loader=yaml.BaseLoader):
            if (bound := budget.spend()) is not None:
                out.bounded = bound
                return out
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
            if top is not None and top.is_map:
                if top.want_key:
                    top.key_kind = (1 if hydra_key and scalar == KEY
                                    else 2 if scalar is not None and scalar in class_keys else 0)
                    top.want_key = False
                else:
                    if top.key_kind == 1:
                        if scalar is not None:
                            out.add(scalar)
                        else:
                            out.odd("a collection")
                    elif top.key_kind == 2 and scalar is not None and "." in scalar:
                        out.add(scalar)
                    top.key_kind = 0
                    top.want_key = True
            if isinstance(event, yaml.MappingStartEvent):
                stack.append(_Frame(True))
            elif isinstance(event, yaml.SequenceStartEvent):
                stack.append(_Frame(False))
    except (yaml.YAMLError, ValueError, RecursionError, MemoryError):
        return out
    return out


@dataclass(frozen=True)
class Judged:
    """A finding about the targets: id, severity, message (without the place), effect."""

    id: str
    severity: Severity
    message: str
    effect: Verdict


def _shown(items: list[str]) -> str:
    more = f" and {len(items) - MAX_SHOWN} more" if len(items) > MAX_SHOWN else ""
    return ", ".join(items[:MAX_SHOWN]) + more


def _why_dangerous(path: str) -> str | None:
    """The deny-list reason for a target (``_locate`` resolves it like a pickle global: module
    first, then attributes), a dunder step, or None."""
    p = path.strip()
    why = pickle_fmt.danger(p) or ("." not in p and pickle_fmt.danger(f"builtins.{p}")) or None
    if why is None and any(len(s) > 4 and s.startswith("__") and s.endswith("__") for s in p.split(".")):
        why = "walks a dunder attribute (reaches interpreter internals)"
    return why


LOADER = "hydra.utils.instantiate (NeMo restore_from, Hydra/Lightning configs)"


def judge(targets: Targets) -> list[Judged]:
    """``unsafe`` for deny-listed targets, ``suspicious`` for every other one, for computed ones
    and for a walk that stopped at a bound."""
    out: list[Judged] = []
    denied = [(p, why) for p in targets.paths if (why := _why_dangerous(p)) is not None]
    if denied:
        shown = _shown([f"{p[:200]!r} ({why})" for p, why in denied])
        out.append(Judged("code.dangerous-target", "critical", f"Hydra/NeMo target names a dangerous callable: {shown}; "
                          f"{LOADER} imports and calls it with arguments from this file", "unsafe"))
    other = [p for p in targets.paths if _why_dangerous(p) is None]
    if other:
        out.append(Judged("code.remote", "high", f"Hydra/NeMo target names code this scan did not judge: "
                          f"{_shown([repr(p[:200]) for p in other])}; {LOADER} imports it and calls it with "
                          "arguments from this file", "suspicious"))
    if targets.computed:
        out.append(Judged("code.remote", "high", f"Hydra/NeMo target that is no literal dotted path: "
                          f"{_shown(targets.computed)} (OmegaConf resolves ${{…}} interpolations at load time); "
                          f"{LOADER} imports and calls what it names", "suspicious"))
    if targets.bounded is not None:
        out.append(Judged("code.remote", "high", f"Hydra/NeMo target keys not checked to the end ({targets.bounded}): "
                          f"{LOADER} may import and call code this scan did not see", "suspicious"))
    return out
