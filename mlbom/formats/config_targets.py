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
  ``init_args`` key) a plain string naming a deny-listed callable is judged as a target too — and in
  any config when the deny list denies it by more than a model package's whole-package entry
  (:func:`_bare_danger`; red team 18b-1: no key is needed). A string given for a non-``str`` type is
  parsed again with the loader (``load_value``), so a config inside a string value is judged as the
  file's (:meth:`Targets._nested`, red team 18b-3). Jsonnet (``parser_mode="jsonnet"``) is judged by
  the language: :func:`_jsonnet` (red team 18b-2). A class-typed argument takes a plain dotted string as its
  ``class_path`` (``subclass_spec_as_namespace``, red team 122pa-4): in an evident LightningCLI config any dotted
  string of ``optimizer``/``lr_scheduler``/``model``/``data`` or ``trainer.callbacks``/``logger``/``plugins``
  (top level or under a subcommand) is a target, read by :mod:`mlbom.formats.config_includes`.
* **fiddle** serialisation (``fiddle._src.experimental.serialization.load_json``; NeMo 2's
  ``io.json``): every ``{"type": "pyref", "module": M, "name": N}`` object is resolved by
  ``import_symbol`` — ``importlib.import_module(M)`` then ``getattr`` along ``N`` — whatever the
  ``PyrefPolicy`` then thinks of the value (the default allows every import); the buildable's
  ``__fn_or_cls__`` is such a pyref, and ``fdl.build`` calls it with the config's arguments.
* **mmengine** ``type`` (red team 112pa-4): ``Registry.build`` → ``build_from_cfg`` takes a mapping's
  ``type``, looks it up with ``Registry.get``, which — when no registry (or scope) holds the key — falls
  back to ``get_object_from_string``: the dotted path's module imported, ``getattr`` along the rest; the
  object is called with the mapping's other keys (Hydra's ``_target_`` semantics under the key ``type``;
  ``Config.fromfile`` reads ``.py``/``.json``/``.yaml``). ``type`` is everyone's key (JSON schemas'
  ``"object"``, tokenizer.json's ``"BPE"``, MMDetection's own ``"ResNet"``/``"mmdet.ResNet"``), so
  only a dotted ``type`` the deny list denies (the full list ``_target_`` is judged by, model packages'
  loaders such as ``keras.models.load_model`` included) is a target: ``unsafe``; any other ``type`` is
  nothing (at most what a ``_target_`` of it would be, ``suspicious``: a registry name is no path).
* **OmegaConf interpolations** ``${resolver:args}`` in any value OmegaConf resolves (every value
  of a config Hydra instantiates): the resolver registered under that name runs with arguments
  from the file. OmegaConf's own — ``oc.select``, ``oc.deprecated``, ``oc.dict.keys``/``values``
  — and Hydra's (``now``, ``hydra``, ``python_version``) only read the config; ``oc.env`` (and
  OmegaConf 2.0's ``env``) reads an environment variable into it (``info``: nothing leaves the
  process unless a target the file names sends it, and that target is judged);
  ``oc.decode``/``oc.create`` turn their argument into config nodes, and one decoding a value
  computed at load time (a nested interpolation) is ``suspicious``. Any resolver may return a node
  built from its arguments (``oc.select`` returns its default as it is; the grammar builds a
  ``{…}``/``[…]`` argument; ``oc.create`` parses a quoted string with OmegaConf's YAML loader), so
  those arguments are parsed with PyYAML like a file (:meth:`Targets._arguments`) and their targets
  are this file's. Any other name is an application's own resolver run
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

Config targets also travel as a pickle's data (a Lightning checkpoint's ``hyper_parameters``:
:func:`pickle_targets`).

Bounded: YAML parsing stops where :class:`mlbom.formats.yaml_tags.EventBudget` does (its
``MAX_EVENTS`` events and ``MAX_ALIAS_CHARS`` characters judged again through aliases, shared with
the resolver arguments parsed inside the text: work, never time); an interpolation is read in the
first :data:`MAX_VALUE` characters of a value; at most :data:`MAX_PENDING` interpolated targets are
kept to resolve, each with a linked place; past a bound the rest is not checked and says so.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import yaml

from mlbom.formats import pickle_values, stdlib_names
from mlbom.formats.config_includes import leaving_config_path
from mlbom.formats.safe_read import check_toml_keys
from mlbom.formats.yaml_tags import EventBudget, Outcome, TagScan, composed, events, read_both
from mlbom.limits import INT_STR_DIGITS, bounded_int
from mlbom.model import Judged, Severity, Verdict, first_of

if TYPE_CHECKING:  # the pickle judge (its allowlist tables) is imported where a config is judged
    from mlbom.formats import pickle as pickle_fmt

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

KEY = "_target_"
CLASS_PATH = "class_path"  # jsonargparse / LightningCLI
INIT_ARGS = ("init_args", "dict_kwargs")  # jsonargparse's other subclass-spec keys: the config is its
NEMO_CONFIG = "model_config.yaml"  # the name NeMo's restore_from reads; a ``target`` in it is a class path
NEMO_KEYS = ("target",)
# NeMo's Hydra-0.x keys: ``maybe_update_config_version`` (every ``from_config_dict``, every sub-config) turns
# ``cls`` into ``_target_`` (and shifts ``params`` into the parent, which brings no key of its own)
NEMO_LEGACY_KEYS = ("cls",)
# Lightning's keys in a checkpoint's hyper-parameters (and hparams.yaml): ``_instantiator`` names the
# function ``load_from_checkpoint`` imports and hands the hyper-parameters to (LightningCLI's: jsonargparse,
# which imports every nested ``class_path``), ``_class_path`` the class it instantiates
LIGHTNING_KEYS = ("_instantiator", "_class_path")
MARKERS = (KEY, CLASS_PATH, *LIGHTNING_KEYS)  # keys that name a callable wherever they are
MAX_SHOWN = 5
MAX_VALUE = 1 << 20  # characters of one value read for interpolations
MAX_CALLS = 1000  # resolver calls read in one value
MAX_ARGS = 2000  # characters of one call's arguments kept (oc.decode/oc.create longer: not read)
MAX_DEREF = 16  # node interpolations followed to resolve one target (deeper, or a cycle: not resolved)
MAX_LOOKUPS = 10_000  # node lookups to resolve the interpolated targets of one document
# characters of text node interpolations resolve to (red team 106p-2: ``${z}`` 3,000 times over a 100,000-
# character ``z``, a 112 KB config, built a 300 M-character string, 10-15 s and 1.5 GB; the lookups alone
# allowed ~9 GB): one resolved value (longer: not resolved, computed) ...
MAX_RESOLVED = 64 << 10
# ... and all the values one text resolves, its documents and the texts inside it together, each level of a
# chain counting what it builds (past it: not resolved, and the text is not checked to the end)
MAX_RESOLVED_TEXT = 1 << 20
MAX_PENDING = 10_000  # targets spelled with ${…} kept to resolve per text (more: not resolved, suspicious)
MAX_PARSED = 10_000  # resolver arguments remembered per text (parsed once each)
MAX_SHOWN_TAGS = 20  # Python tags kept from a text's readings (yaml_tags.MAX_TAGS)
MAX_NEST = 4  # resolver arguments parsed as YAML inside resolver arguments parsed as YAML …

HYDRA, JSONARGPARSE, FIDDLE, DICTCONFIG = "Hydra/NeMo", "jsonargparse", "fiddle", "logging dictConfig"
MMENGINE = "mmengine"
HYPERPYYAML = "HyperPyYAML"  # SpeechBrain's hyperparams.yaml tags (yaml_tags.HYPER_CALLS), red team 119pa-1
PYANNOTE = "pyannote.audio"  # a pipeline's config.yaml, a checkpoint's architecture (red team 119pa-6)
TYPE_KEY = "type"  # mmengine's registry key (OpenMMLab: MMDetection, MMPose, MMPretrain …), red team 112pa-4
# mmengine's ``custom_imports = dict(imports=[…])``: ``Config.fromfile`` → ``import_modules_from_strings``
CUSTOM_IMPORTS = "custom_imports"
INCLUDE_KEYS = frozenset({CUSTOM_IMPORTS, "_base_", "_BASE_"})  # = config_includes.KEYS
# keys whose values config_includes reads from the document as composed (117pa-6/-7): Hydra's search path
# and defaults list, jsonargparse's includes; and values that may name a config jsonargparse loads
COMPOSE_KEYS = frozenset({"searchpath", "defaults", "__include__", "pipeline", "preprocessors",  # (pyannote: 119pa-6)
                          "env_set",  # (Hydra's hydra.job.env_set: 122pa-2)
                          *("ckpt_path", "load_from", "resume_from", "init_cfg", "init_from_nemo_model",
                            "init_from_ptl_ckpt", "resume_from_checkpoint")})  # (checkpoints: 122pa-3)
CONFIG_EXTS = (".yaml", ".yml", ".json", ".jsonnet")  # = config_includes.CONFIG_EXTS
LIGHTNING_CLI_KEYS = frozenset({"model", "data", "trainer", "optimizer", "lr_scheduler", "config", "fit", "validate",
                            "test", "predict"})
_VALUE = ""  # a pending key-less value (no target's convention): resolved to judge what it names
LOADERS = {
    HYDRA: "hydra.utils.instantiate (NeMo restore_from, Hydra/Lightning configs)",
    JSONARGPARSE: "jsonargparse/LightningCLI (import_object)",
    FIDDLE: "fiddle serialization.load_json (NeMo 2 io.json)",
    DICTCONFIG: "logging.config.dictConfig (a handler's, formatter's or filter's class or () factory, a QueueHandler's queue or listener)",
    MMENGINE: "mmengine Registry.build (a type no registry holds: get_object_from_string imports the dotted path)",
    HYPERPYYAML: ("hyperpyyaml load_hyperpyyaml (SpeechBrain from_hparams/foreign_class: !new:/!name:/!apply:/"
                  "!applyref:/!module: pydoc.locate the dotted path, importing its module)"),
    PYANNOTE: ("pyannote.audio (Pipeline.from_pretrained: get_class_by_name of pipeline.name and "
               "preprocessors.*.name; Model.from_pretrained: import_module of the checkpoint's architecture)"),
}
# resolvers that only read the config (OmegaConf's and Hydra's own)
READ_ONLY_RESOLVERS = frozenset({"oc.select", "oc.deprecated", "oc.dict.keys", "oc.dict.values", "now", "hydra",
                                 "python_version"})
ENV_RESOLVERS = frozenset({"oc.env", "env"})
NODE_RESOLVERS = frozenset({"oc.decode", "oc.create"})  # their argument becomes config nodes
# an application's resolver named like these runs Python or a shell on its argument
CODE_RESOLVERS = frozenset({"eval", "exec", "compile", "python", "py", "pyeval", "expr", "expression", "lambda",
                            "import", "system", "shell", "sh", "bash", "cmd", "popen", "subprocess", "run_code"})

# a Hydra defaults group or option that may leave the search-path root (``//abs``, ``..``, a backslash, a
# skipped folder, a URL, interpolations that may spell ``..``)
_DEFAULTS_LEAVING = re.compile(r"(?:.*\s)?//|.*(?:\.\.|\\|\.git|://|\}\$\{|\}\.|\.\$\{)")
_LEAVING = re.compile(r"/|~|.:|.*(?:\\|://|(?:^|/)\.\.(?:/|$)|(?:^|/)\.git(?:/|$))")  # a path that may leave its folder
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_RESOLVER_NAME = re.compile(r"[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*)*")
_VALUE_ESCAPES = frozenset("\\()[]{}:=, \t")  # OmegaConf's value-mode escapes (``\\,`` …)


@dataclass
class Targets:
    """``paths``: the literal targets (each once, in order); ``kinds``: the conventions they came
    from; ``computed``: targets that are no literal path (an interpolation, a value that is not a
    string), described; ``resolvers``: application resolvers the interpolations call (a name, or
    a description of a computed one); ``env``: environment variables ``oc.env`` reads;
    ``bounded``: the walk stopped at a bound (the rest not checked). ``budget``: the YAML event
    budget every parse for this text spends (resolver arguments parsed as YAML included);
    ``depth``: how deep inside resolver arguments this text is."""

    paths: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)
    resolvers: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    bounded: str | None = None
    budget: EventBudget = field(default_factory=EventBudget, repr=False, compare=False)
    depth: int = 0
    unparsed: bool = False  # the YAML text did not parse to its end (by one of the parsers, at least)
    read_by_none: bool = False  # no YAML parser read the text to its end
    unread: str | None = None  # why a text that names code keys was read in full by no parser mlbom has
    collections: bool = False  # a YAML reading met a mapping or sequence (the text is no single scalar)
    _callables: list[str] = field(default_factory=list)  # deny-listed plain strings (jsonargparse, get_method)
    # Python logging ``dictConfig`` handlers/formatters of the standard library: (severity, message) (20b-4)
    # (and, 21b-6, the verdict a file handler writing outside the run folder brings: ``unsafe``; else None)
    logging: list[tuple[Severity, str, Verdict | None]] = field(default_factory=list)
    # modules a dictConfig ``ext://NAME`` value imports (its top-level code runs) outside ``()``/``class``,
    # neither deny-listed nor the standard streams / stdlib logging's data (red team 26b-2)
    imports: list[str] = field(default_factory=list)
    # modules a top-level mmengine ``custom_imports: {imports: …}`` names: ``Config.fromfile`` imports
    # them (``import_custom_modules`` defaults to True), so their top-level code runs on load
    modules: list[str] = field(default_factory=list)
    # mmengine scopes (red team 122pa-1): ``_scope_`` of any mapping, a top-level ``default_scope``, the scope of a
    # top-level ``runner_type`` — and, in an evident mmengine config (``mm_evidence``: a top-level key of
    # :data:`MM_EVIDENCE`), of a dotted ``type`` (``_type_scopes`` until then): mmengine imports ``<scope>.registry``
    scopes: list[str] = field(default_factory=list)
    _type_scopes: list[str] = field(default_factory=list)
    mm_evidence: bool = False
    # a reading met a key of :data:`INCLUDE_KEYS` (at any depth, as the parser decodes it): the document is
    # then composed and read as the loader builds it (:mod:`mlbom.formats.config_includes`, 116pa-2/-3/-5)
    include_keys: bool = False
    defaults: bool = False  # a reading met a ``defaults`` key (Hydra's defaults list: 117pa-6)
    # the top-level base configs a reading met as plain scalars (``_BASE_``, ``_base_`` or its items):
    # (key, value); and whether the text is shaped so that the walk's places may not be the document's
    # (an alias, a ``<<`` merge key, a key that is a collection): then config_includes composes it
    bases: list[tuple[str, str]] = field(default_factory=list)
    shaped: bool = False
    # deny-listed stdlib logging classes under a ``class`` key: (value, its place, document), settled by
    # :meth:`_settle_logging` (a dictConfig's: logging; anywhere else: a callable)
    _log_pending: list[tuple[str, _Place | object, int]] = field(default_factory=list)
    # targets spelled with ``${…}``: (value, convention, the place of the mapping holding it (a linked
    # path, spelled out only when resolved; _UNKNOWN: not known), document number, a NeMo ``target``),
    # resolved against their document by :meth:`settle`
    _pending: list[tuple[str, str, _Place | object, int, bool]] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set, repr=False, compare=False)  # (list, item): each item once, in O(1)
    # resolver arguments already read as YAML (text -> its targets): a text repeats its values, and
    # both top-level readings walk them; each argument is parsed once per text
    _parsed: dict[str, Targets] = field(default_factory=dict, repr=False, compare=False)
    _parsed_values: set[str] = field(default_factory=set, repr=False, compare=False)  # values whose calls were read
    # string values read as a config inside a config (text -> its targets: :meth:`_nested`)
    _strings: dict[str, Targets] = field(default_factory=dict, repr=False, compare=False)
    # the Python tags of a top-level YAML text's nodes, from the same readings (:func:`_walk`)
    tags: TagScan = field(default_factory=TagScan, repr=False, compare=False)

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

    def target(self, value: str, kind: str, where: _Place | object, doc: int = 0, *, dotted: bool = False) -> None:
        """A target value as the file spells it, in the mapping at place ``where`` (a linked path)
        of document ``doc``: a literal one is added; one holding ``${`` is resolved later
        (:meth:`settle`), at most :data:`MAX_PENDING` of them (more: not resolved, computed).
        ``dotted``: a NeMo ``target`` — a value without a dot is no class path."""
        if "${" in value:
            self.kind(kind)
            self.value(value)
            self.pend((value, kind, where, doc, dotted))
        elif not dotted or "." in value:
            self.add(value, kind)
        else:
            self.value(value)

    def mm_type(self, value: str) -> None:
        """A ``type`` value (mmengine's registry key, red team 112pa-4): a target when the deny list
        denies it as a dotted path (:func:`type_denied`); anything else under ``type`` is no target."""
        if type_denied(value) is not None:
            self.kind(MMENGINE)
            self._once("paths", value.strip())
        if (scope := mm_scope_of(value)) is not None:  # (judged in an evident mmengine config: finish)
            self._once("_type_scopes", scope)

    def mm_scope(self, value: str, place: _Place | object) -> None:
        """A string at ``place``: an mmengine scope (red team 122pa-1) when it is the value of a ``_scope_`` key
        (any mapping), the top-level ``default_scope``, or the scope part of the top-level ``runner_type``
        (``Registry.get``; its dotted path is judged as a ``type``'s)."""
        if not isinstance(place, tuple):
            return
        v = value.strip()
        if place[1] == "_scope_" or place == (None, "default_scope"):
            # (a module name only: null, '~' or a name no import finds runs nothing)
            if _MODULE_NAME.fullmatch(v) and v not in MM_SCOPES and v not in ("null", "Null", "NULL"):
                self._once("scopes", v[:200])
        elif place == (None, "runner_type"):
            self.mm_type(v)
            if (scope := mm_scope_of(v)) is not None:
                self._once("scopes", scope)

    def top_key(self, key: str | None) -> None:
        """A top-level key: evidence of an mmengine config (:data:`MM_EVIDENCE`)."""
        if key in MM_EVIDENCE:
            self.mm_evidence = True

    def pend(self, item: tuple[str, str, _Place | object, int, bool]) -> None:
        if len(self._pending) < MAX_PENDING:
            self._pending.append(item)
        else:
            self.bounded = f"over {MAX_PENDING} targets spelled with ${{…}}: the rest not resolved"
            self.odd("targets spelled with ${…} past the bound (not resolved)")

    def settle(self, roots: Callable[[int], object]) -> None:
        """Resolve the targets spelled with node interpolations (``${a.b}``, ``${..x}``) as
        OmegaConf does before the loader reads them, against the document ``roots(n)`` (a parsed
        JSON value or a composed YAML node; None: not available): the resolved path is judged
        like a literal one; a target that does not resolve to a literal string within the bounds
        (a resolver call, a key OmegaConf spells otherwise, a merge key, a cycle) is computed.
        A place is spelled out only while lookups remain (past them nothing resolves)."""
        self._settle_logging(roots)
        if not self._pending:
            return
        docs: dict[int, _Resolver | None] = {}
        for value, kind, place, doc, dotted in self._pending:
            if doc not in docs:
                root = roots(doc)
                docs[doc] = None if root is None else _Resolver(root, self.budget)
            res = docs[doc]
            got = None
            if res is not None and res.lookups <= MAX_LOOKUPS:  # (only a relative one needs its place)
                got = res.value(value, _spell(place) if _RELATIVE.search(value) else None, 0)
                if res.over is not None:  # (a key-less value too: what it resolves to was not judged)
                    self.bounded = self.bounded or res.over
            if got is None and res is not None and res.lookups > MAX_LOOKUPS:
                # past the lookups nothing resolves: a key-less ``${a}.${b}`` was then never judged
                # (``safe``), a target only computed — the text is not checked to the end
                self.bounded = self.bounded or f"over {MAX_LOOKUPS} node lookups: the rest not resolved"
            if kind == _VALUE:  # a key-less value: judged as the literal it resolves to would be (20b-3)
                if isinstance(got, str) and _DOTTED.fullmatch(got.strip()) and _why_dangerous(got) is not None:
                    self._once("_callables", got.strip())
                continue
            self.kind(kind)
            if isinstance(got, str):
                if not dotted or "." in got:
                    self._once("paths", got)
            elif got is _COLLECTION:
                self.odd(f"{value[:200]!r} (a collection)")
            else:
                self.odd(repr(value)[:200])
        self._pending.clear()

    def _settle_logging(self, roots: Callable[[int], object]) -> None:
        """Standard-library logging classes (:func:`_logging_classes`) under a ``class`` key (20b-4):
        ``logging.config.dictConfig`` imports a handler's or formatter's ``class`` and calls it with
        the mapping's other keys — the application's own logging, not a target — so in a dictConfig
        section (a mapping holding ``version``, or Hydra's ``job_logging``/``hydra_logging``, which
        Hydra merges onto its ``version: 1`` default) ``handlers.<name>.class``/``formatters.<name>.class``
        is judged as logging (:func:`_logging_finding`); anywhere else, or where the document is not
        known, it is a deny-listed callable as before. In a dictConfig section (``filters`` too), a
        class that is not the standard library's is a target (red team 23b-4, Hydra's rule); a ``()``
        factory that is not a stdlib logging class is one wherever it is (:meth:`value`)."""
        docs: dict[int, _Resolver | None] = {}
        for value, place, doc in self._log_pending:
            path = _spell(place)
            if doc not in docs:
                root = roots(doc)
                docs[doc] = None if root is None else _Resolver(root, self.budget)
            res = docs[doc]
            handler = section = None
            if res is not None and path is not None and len(path) >= 3 and path[-3] in ("handlers", "formatters",
                                                                                         "filters"):
                section = res.node(path[:-3])
                handler = res.node(path[:-1])
            if section is None or handler is None or not (
                    res is not None and (res.child(section, "version") is not _NO
                                         or (len(path or ()) >= 4 and (path or ())[-4] in ("job_logging",
                                                                                          "hydra_logging")))):
                if _why_dangerous(value) is not None:
                    self._once("_callables", value)
                continue
            if path is not None and path[-1] in _QUEUE_SLOTS:
                if path[-3] != "handlers":  # no call slot there: a plain string
                    if _why_dangerous(value) is not None:
                        self._once("_callables", value)
                elif value not in _QUEUE_FACTORIES:  # a handler's call slot (27b-2), as ``()``
                    self.kind(DICTCONFIG)
                    self._once("paths", value)
                continue
            if value not in _logging_classes():  # code outside the standard library's logging (23b-4)
                self.kind(DICTCONFIG)
                self._once("paths", value)
                continue
            found = _logging_findings(value, handler, res, section)
            if path is not None and path[-3] == "formatters" and path[-1] == "class":
                # ``configure_formatter`` calls it ``c(fmt, dfmt, style[, validate])`` (26b-1): by its role
                role, key = formatter_role(value, "logging dictConfig")
                found = [role] if role is not None else []
                if key is not None:
                    found.append(_log_path_finding(value, f"the formatter's {key!r} (its positional filename)",
                                                   _log_converted(res.child(handler, key), res, section), res))
            elif path is not None and path[-3] == "formatters" and not is_formatter_class(value):
                found.insert(0, ("high", f"logging dictConfig formatter factory {value} is no logging.Formatter: "
                                 "dictConfig builds it with the formatter's keys as its arguments, a role this "
                                 "scan does not judge as logging", "suspicious"))
            for got in found:
                if got not in self.logging:
                    self.logging.append(got)
        self._log_pending.clear()
        for res in docs.values():  # a log path resolved past a character bound (106p-2): not resolved
            if res is not None and res.over is not None:
                self.bounded = self.bounded or res.over

    def odd(self, what: str) -> None:
        self._once("computed", what)

    def value(self, text: str, place: _Place | object = None, doc: int = 0) -> None:
        """A string value OmegaConf may resolve: its interpolations; a deny-listed dotted path
        (a ``Callable`` argument of jsonargparse imports it, Hydra's ``get_method`` resolves it) —
        unless it is a standard-library logging class under a ``class`` key (``place``: the value's
        own place, linked, in document ``doc``), judged once the document is known
        (:meth:`_settle_logging`); a config inside it (jsonargparse parses a string given for a
        non-``str`` type again: :meth:`_nested`)."""
        if "${" in text:
            self._calls(text)
        elif (key := place[1] if isinstance(place, tuple) else None) in ("()", "class") and _DOTTED.fullmatch(
                name := text.strip().removeprefix("ext://").strip()):
            # a dictConfig factory (``()``: anywhere; ``class``: settled once the document is known), red team 23b-4
            if key == "()" and name not in _logging_classes():
                self.kind(DICTCONFIG)
                self._once("paths", name)
            elif len(self._log_pending) < MAX_PENDING:
                self._log_pending.append((name, place, doc))
            else:
                self.bounded = f"over {MAX_PENDING} ``class`` values: the rest not judged"
        elif key in _QUEUE_SLOTS and _DOTTED.fullmatch(text.strip()):
            # a QueueHandler's queue factory or listener: imported and called (27b-2), settled like ``class``
            if len(self._log_pending) < MAX_PENDING:
                self._log_pending.append((text.strip(), place, doc))
            else:
                self.bounded = f"over {MAX_PENDING} ``class`` values: the rest not judged"
        elif (m := _LOG_CONVERTED.match(text)) is not None:  # (red team 21b-1)
            self._log_reference(m.group(1), m.group(2), place)
        elif _DOTTED.fullmatch(text.strip()) and _why_dangerous(text) is not None \
                and not _no_such_stdlib_name(text.strip()):  # (any length: both linear, 19b-4)
            self._once("_callables", text.strip())
        self._nested(text)

    def _log_reference(self, prefix: str, rest: str, place: _Place | object) -> None:
        """A value ``logging.config.dictConfig`` converts (``BaseConfigurator.convert``, red team 21b-1):
        ``ext://NAME`` imports NAME (``resolve``) and puts the object there — a ``()`` factory or a
        ``class`` is then called with the mapping's other keys, a ``filters`` entry on every record —
        so NAME is judged as a bare dotted path would be (deny-listed: ``unsafe``), but for the
        standard streams (no callable: ``stream: ext://sys.stdout`` is everyday logging). ``cfg://PATH``
        puts another node of the logging config there: the node is judged where it stands (any
        denied path in it already is); under ``()``/``class`` the callable it names is not known here:
        computed (``suspicious``)."""
        key = place[1] if isinstance(place, tuple) else None
        if prefix == "ext":
            name = rest.strip()
            if name in _STREAMS:
                return
            if not _DOTTED.fullmatch(name) and key in ("()", "class"):
                self.odd(f"{('ext://' + rest)[:200]!r} (a dictConfig factory that is no dotted path)")
            elif _DOTTED.fullmatch(name) and _why_dangerous(name) is not None:
                self._once("_callables", name)
            elif not _stdlib_logging_data(name):  # any other import runs the module's code (26b-2)
                self._once("imports", name[:200])
        elif key in ("()", "class"):
            self.odd(f"{('cfg://' + rest)[:200]!r} (a dictConfig factory taken from another node of the config)")
        elif (isinstance(place, tuple) and isinstance(place[0], tuple)
              and place[0][1] in ("handlers", "formatters", "filters")):  # a whole entry from elsewhere (23b-4)
            self.odd(f"{('cfg://' + rest)[:200]!r} (a dictConfig {place[0][1][:-1]} taken from another node of "
                     "the config: its class and arguments are not judged where they stand)")

    def _readings(self, text: str) -> None:
        """What an interpolated value can resolve to (red team 20b-3, :func:`readings`): a reading that
        is a deny-listed dotted path is judged as the literal would be (a jsonargparse ``Callable``
        imports it; Hydra's ``_locate`` a target resolved to it); one with a part not known statically
        that may complete a denied path (:func:`_partial_danger`) is computed (``suspicious``)."""
        got, whole = readings(text[:MAX_VALUE])
        if not whole:
            self.odd(f"{text[:100]!r}: over {MAX_READINGS} readings or {MAX_READING_DEPTH} levels (not all read)")
        for r in got:
            s = r.strip()
            if _U not in s:
                if _DOTTED.fullmatch(s) and _why_dangerous(s) is not None:
                    self._once("_callables", s)
            elif (why := _partial_danger(s)) is not None:
                self.odd(f"{text[:100]!r}, which can resolve to {s.replace(_U, '…')[:100]!r} ({why})")

    def _calls(self, text: str) -> None:
        if text in self._parsed_values:  # its calls were read already (their effects are idempotent)
            return
        if len(self._parsed_values) < MAX_PARSED:
            self._parsed_values.add(text)
        if len(text) > MAX_VALUE:
            self.bounded = f"a value of {len(text)} characters with ${{…}}: its first {MAX_VALUE} read"
        calls = resolver_calls(text[:MAX_VALUE])
        if len(calls) > MAX_CALLS:
            self.bounded = f"a value with over {MAX_CALLS} resolver calls: the first {MAX_CALLS} read"
        for name, args in calls[:MAX_CALLS]:
            self._resolver(name, args)
        self._readings(text)

    def _nested(self, text: str) -> None:
        """A config inside a string value (red team 18b-3): jsonargparse hands a string given for a
        subclass, ``Callable``, dict or list type to ``parse_value_or_config`` → ``load_value``,
        which parses it again with the parser's loader — YAML (``yaml_load``), JSON, or TOML
        (``json.loads`` of a ``[…]``/``{…}`` string, else ``toml_load``) — and then resolves a
        ``class_path`` in what it got. So a string that could hold a mapping or list
        (:data:`_NESTED_SHAPE`) naming code (:func:`may_name_targets`) is read like a file, with
        both YAML parsers and ``tomllib``, its targets judged as this text's, on this text's budget,
        at most :data:`MAX_NEST` strings deep (deeper: computed)."""
        if (len(text) < 4 or _NESTED_SHAPE.search(text) is None or _DOTTED.fullmatch(text.strip())
                or not may_name_targets(text)):
            return
        if self.depth >= MAX_NEST:
            self.odd(f"a config inside a string nested over {MAX_NEST} deep (not read): {text[:100]!r}")
            return
        inner = self._strings.get(text)
        if inner is None:
            spent = self.budget.spend_text(len(text))
            if spent is not None:
                self.bounded = self.bounded or spent
                return
            inner = yaml_targets(text, budget=self.budget, depth=self.depth + 1, both=True)
            toml = _toml(text)
            if toml is not None:
                inner.merge(json_targets(toml, budget=self.budget, depth=self.depth + 1))
            inner.finish()
            if len(self._strings) < MAX_PARSED:
                self._strings[text] = inner
        self.merge(inner)

    def _resolver(self, name: str | None, args: str) -> None:
        if name is None:
            self._once("resolvers", "a resolver whose name is computed")
        elif name in ENV_RESOLVERS:  # (its default is returned as a string: no node)
            self._once("env", args.split(",", 1)[0].strip()[:100])
        else:
            if name in NODE_RESOLVERS and "${" in args:
                self.odd(f"${{{name}:…}} of a value computed at load time ({args[:100]!r})")
            if name not in NODE_RESOLVERS and name not in READ_ONLY_RESOLVERS:
                self._once("resolvers", name)
            self._arguments(name, args)

    def _arguments(self, name: str, args: str) -> None:
        """The arguments of a resolver call as nodes it may return: a dict or list argument
        (OmegaConf's grammar builds it; ``oc.select`` returns its default as it is) and, for a
        resolver that parses a string (``oc.create``: OmegaConf's YAML loader; ``oc.decode``: the
        grammar; an application's: anything), a quoted string's text — each read with PyYAML's
        parser like a file (:func:`yaml_targets`: escapes, comments, explicit keys, aliases), its
        targets judged as this file's. An argument that does not parse, or one over
        :data:`MAX_ARGS` characters, is a computed target."""
        parses_text = name not in READ_ONLY_RESOLVERS
        if len(args) > MAX_ARGS:
            if parses_text or "{" in args or "[" in args:
                self.odd(f"${{{name}:…}} of over {MAX_ARGS} characters (not read)")
            return
        for quoted, text in _split_args(args):
            if quoted and not parses_text:
                continue
            if not quoted and "{" not in text and "[" not in text:
                continue
            if self.depth >= MAX_NEST:
                self.odd(f"${{{name}:…}} nested over {MAX_NEST} deep (not read)")
                continue
            inner = self._parsed.get(text)
            if inner is None:
                spent = self.budget.spend_text(len(text))
                if spent is not None:
                    self.bounded = self.bounded or spent
                    return
                inner = yaml_targets(text, budget=self.budget, depth=self.depth + 1)
                if len(self._parsed) < MAX_PARSED:
                    self._parsed[text] = inner
            self.merge(inner)
            if inner.unparsed and (not quoted or name in NODE_RESOLVERS or "{" in text or "[" in text
                                   or ":" in text):
                self.odd(f"an argument of ${{{name}:…}} that does not parse as YAML ({text[:100]!r})")

    def merge(self, inner: Targets) -> None:
        """The targets of a text parsed inside this one (a resolver's argument), as this text's."""
        for k in inner.kinds:
            self.kind(k)
        self.mm_evidence = self.mm_evidence or inner.mm_evidence
        for which in ("paths", "computed", "resolvers", "env", "_callables", "imports", "modules", "scopes",
                      "_type_scopes"):
            for item in getattr(inner, which):
                self._once(which, item)
        self.logging.extend(x for x in inner.logging if x not in self.logging)
        self.bounded = self.bounded or inner.bounded

    def finish(self) -> Targets:
        """The deny-listed plain strings count as targets in a config that names any target (a
        jsonargparse ``Callable`` argument imports one; a Hydra target may hand one to
        ``get_method``/``_locate``) — and in any config when they name what :func:`_bare_danger`
        denies (red team 18b-1: a ``Callable`` or class-typed argument of jsonargparse resolves a
        plain dotted string with ``import_object``, no code key needed)."""
        if self.kinds:
            for c in self._callables:
                self._once("paths", c)
            self._callables.clear()
        elif bare := [c for c in self._callables if _bare_danger(c) is not None]:
            self.kind(JSONARGPARSE)
            for c in bare:
                self._once("paths", c)
            self._callables = [c for c in self._callables if c not in bare]
        if self.mm_evidence and self._type_scopes:
            for scope in self._type_scopes:
                self._once("scopes", scope)
            self._type_scopes.clear()
        if self.scopes:
            self.kind(MMENGINE)
        return self

    def __bool__(self) -> bool:
        return bool(self.paths or self.computed or self.resolvers or self.env or self.bounded or self.unread
                    or self.logging or self.imports or self.modules or self.scopes)

    def base(self, value: str, place: _Place | object) -> None:
        """A string at ``place``: a base config when it is the top-level ``_BASE_``/``_base_`` or an item
        of a top-level ``_base_`` list (:mod:`mlbom.formats.config_includes`)."""
        if isinstance(place, tuple) and place[0] == (None, "_base_") and place[1].isdigit():
            place = place[0]
        if place in ((None, "_base_"), (None, "_BASE_")) and value.strip():
            if len(self.bases) >= MAX_PENDING:  # (more: the document composed and read whole, never a silent cap)
                self.shaped = True
                return
            item = (str(place[1]), value)
            if ("bases", repr(item)) not in self._seen:
                self._seen.add(("bases", repr(item)))
                self.bases.append(item)

    def custom_import(self, value: str, place: _Place | object) -> None:
        """A string at ``place``: a module mmengine imports when it is an item (or the value) of a
        top-level ``custom_imports``' ``imports`` (:data:`CUSTOM_IMPORTS`)."""
        if isinstance(place, tuple) and place[1].isdigit() and isinstance(place[0], tuple) \
                and place[0][1] == "imports":
            place = place[0]  # an item of the list under ``imports`` (a list of strings: no deeper)
        if place == ((None, CUSTOM_IMPORTS), "imports") and value.strip():
            self.kind(MMENGINE)
            self._once("modules", value.strip()[:200])


# mmengine's own scopes (config/utils.py MODULE2PACKAGE, with mmengine and mmcv): the OpenMMLab packages whose
# ``<scope>.registry`` a config's scope imports by design (red team 122pa-1)
MM_SCOPES = frozenset({"mmcls", "mmdet", "mmdet3d", "mmseg", "mmaction", "mmtrack", "mmpose", "mmedit", "mmocr",
                       "mmgen", "mmfewshot", "mmrazor", "mmflow", "mmhuman3d", "mmrotate", "mmselfsup", "mmyolo",
                       "mmpretrain", "mmagic", "mmengine", "mmcv",
                       # mmengine's own dependencies, imported before any config is built (runner, registry):
                       # ``type: torch.optim.SGD`` imports nothing new (tests/test_rt112pa_configs.py)
                       "torch", "numpy"})
# top-level keys of an mmengine/mmcv config (Runner.from_cfg's, mmcv 1.x's): a dotted ``type`` there has a scope
MM_EVIDENCE = frozenset({"model", "default_scope", "_base_", "custom_imports", "runner_type", "train_cfg",
                         "optim_wrapper", "train_dataloader", "val_dataloader", "test_dataloader", "work_dir",
                         "load_from", "env_cfg", "default_hooks", "train_pipeline", "test_pipeline", "optimizer",
                         "param_scheduler", "visualizer", "log_processor"})


_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def mm_scope_of(value: object) -> str | None:
    """The scope part of a dotted registry key (mmengine ``Registry.split_scope_key``: the text before the first
    dot) when it is no OpenMMLab scope (:data:`MM_SCOPES`), or None."""
    if not isinstance(value, str) or len(value) > MAX_VALUE or not _DOTTED.fullmatch(v := value.strip()):
        return None
    scope = v.split(".", 1)[0]
    return None if scope in MM_SCOPES else scope[:200]


_Place = tuple["_Place", str] | None  # a linked path: (the parent's place, the last key); None: the root
_UNKNOWN = object()  # a place under a key that is no scalar
# a string logging.config.dictConfig converts (``BaseConfigurator.CONVERT_PATTERN`` with its two
# ``value_converters``: the prefix is exactly ``ext`` or ``cfg``, the suffix the rest of the line)
_LOG_CONVERTED = re.compile(r"(ext|cfg)://([^\n]*)\n?\Z")
_STREAMS = frozenset({"sys.stdout", "sys.stderr", "sys.stdin", "sys.__stdout__", "sys.__stderr__", "sys.__stdin__"})
_LOGGING_MODULES = ("logging", "logging.handlers", "logging.config")


def _stdlib_logging_data(name: str) -> bool:
    """Whether ``ext://NAME`` (outside ``()``/``class``: a value, not called) names an attribute of the
    standard library's ``logging``/``logging.handlers``/``logging.config`` as ``BaseConfigurator.resolve``
    finds it (``__import__`` of the module, then ``getattr`` along the rest) — importing the stdlib
    logging the loader already runs, nothing else (26b-2). Resolved here in the stdlib modules, never
    in inventoried code; any other module (the stdlib's ``antigravity``/``this`` too) is an import with
    effects this scan did not judge."""
    import importlib

    if not _DOTTED.fullmatch(name) or "__" in name:
        return False
    for mod in sorted(_LOGGING_MODULES, key=len, reverse=True):
        if name.startswith(mod + "."):
            obj: object = importlib.import_module(mod)
            for part in name[len(mod) + 1:].split("."):
                if not hasattr(obj, part):
                    return False
                obj = getattr(obj, part)
            return True
    return False


@lru_cache(maxsize=1)
def _logging_classes() -> frozenset[str]:
    """The handler and formatter classes the standard library's ``logging`` and ``logging.handlers``
    define (their dotted names), as ``logging.config.dictConfig`` resolves a ``class`` key: the
    application's own logging (the standard library, not an inventoried package)."""
    import logging
    import logging.handlers

    out: set[str] = set()
    for mod in (logging, logging.handlers):
        for name, v in vars(mod).items():
            if (isinstance(v, type) and issubclass(v, (logging.Handler, logging.Formatter))
                    and v.__module__ == mod.__name__ and not name.startswith("_")):
                out.add(f"{mod.__name__}.{name}")
    return frozenset(out)


# Red team 27b-2: Python >= 3.12's ``configure_handler`` resolves a handler's ``queue`` string and
# calls it (``q = resolve(qspec)()``; 3.12.1 imports it only) and resolves a ``listener`` string,
# called ``listener(q, *handlers, respect_handler_level=…)`` (``_configure_queue_handler``) — both
# when the class is a QueueHandler, judged in any dictConfig handler whatever its class (an alias
# or subclass may name it; a file is judged for every Python that may load it). ``handlers`` there
# names other handlers (looked up, not resolved). The standard library's queues and listener are
# the everyday values; any other callable is code the config runs, as under ``()``.
_QUEUE_SLOTS = frozenset({"queue", "listener"})
_QUEUE_FACTORIES = frozenset({
    "queue.Queue", "queue.LifoQueue", "queue.PriorityQueue", "queue.SimpleQueue",
    "multiprocessing.Queue", "multiprocessing.JoinableQueue", "multiprocessing.SimpleQueue",
    "multiprocessing.queues.Queue", "multiprocessing.queues.JoinableQueue", "multiprocessing.queues.SimpleQueue",
    "logging.handlers.QueueListener"})


_NETWORK_HANDLERS = frozenset({"SocketHandler", "DatagramHandler", "SysLogHandler", "HTTPHandler", "SMTPHandler"})


@lru_cache(maxsize=1)
def file_handler_classes() -> frozenset[str]:
    """The standard library's handler classes that open a file (subclasses of ``logging.FileHandler``,
    whose first parameter is ``filename``: ``FileHandler``, ``BaseRotatingHandler`` and its rotating
    subclasses, ``WatchedFileHandler``; red team 24b-5), derived, not listed: the one list both logging
    loaders' readers use."""
    import logging
    import logging.handlers

    out: set[str] = set()
    for name in _logging_classes():
        mod, _, attr = name.rpartition(".")
        got = getattr(logging.handlers if mod == "logging.handlers" else logging, attr, None)
        if isinstance(got, type) and issubclass(got, logging.FileHandler):
            out.add(name)
    return frozenset(out)


def _stdlib_logging_class(name: str) -> type | None:
    """The standard library's class a dotted name of :func:`_logging_classes` names (resolved in the
    stdlib's ``logging``/``logging.handlers``, never in inventoried code), or None."""
    import logging
    import logging.handlers

    if name not in _logging_classes():
        return None
    mod, _, attr = name.rpartition(".")
    got = getattr(logging.handlers if mod == "logging.handlers" else logging, attr, None)
    return got if isinstance(got, type) else None


def is_formatter_class(name: str) -> bool:
    """Whether a standard-library logging class (:func:`_logging_classes`) is a ``logging.Formatter``."""
    import logging

    got = _stdlib_logging_class(name)
    return got is not None and issubclass(got, logging.Formatter)


@lru_cache(maxsize=64)
def positional_parameter(name: str, position: int) -> str | None:
    """The parameter of a standard-library logging class's constructor that the ``position``-th positional
    argument binds (``inspect.signature`` of the stdlib class: ``FileHandler(filename, mode, encoding,
    …)``), or None (none there, or ``*args``): how a loader that calls the class positionally maps its
    values (red team 26b-1: a formatter slot calls ``c(format, datefmt, style)``)."""
    import inspect

    got = _stdlib_logging_class(name)
    if got is None:
        return None
    try:
        params = list(inspect.signature(got).parameters.values())
    except (TypeError, ValueError):
        return None
    if position >= len(params) or params[position].kind not in (inspect.Parameter.POSITIONAL_ONLY,
                                                                inspect.Parameter.POSITIONAL_OR_KEYWORD):
        return None
    return params[position].name


# the values a formatter slot hands its class positionally: ``fileConfig``'s ``_create_formatters``
# ``c(fs, dfs, stl)``; ``DictConfigurator.configure_formatter`` ``c(fmt, dfmt, style[, validate])`` (3.11)
FORMATTER_ARGS = ("format", "datefmt", "style", "validate")


def formatter_role(name: str, loader: str) -> tuple[_Finding | None, str | None]:
    """A standard-library logging class named as a FORMATTER's ``class`` (red team 26b-1: judged by the
    role the loader calls it in): (a finding where it is no ``logging.Formatter`` — ``suspicious``, the
    loader calls it with the format strings as its positional arguments — else None; the formatter key
    whose value the class takes as its ``filename`` where it is a file handler, else None)."""
    if is_formatter_class(name):
        return None, None
    bound = [(k, p) for i, k in enumerate(FORMATTER_ARGS) if (p := positional_parameter(name, i)) is not None]
    shown = ", ".join(f"{k} as {p}" for k, p in bound)
    finding: _Finding = ("high", f"{loader} formatter class {name} is no logging.Formatter: the loader calls it "
                         f"with the formatter's values as its positional arguments ({shown}), a role this scan "
                         "does not judge as logging", "suspicious")
    key = next((k for k, p in bound if p == "filename"), None) if name in file_handler_classes() else None
    return finding, key


_Finding = tuple[Severity, str, "Verdict | None"]


@dataclass(frozen=True)
class _Ext:
    """A value dictConfig's ``ext://`` converter makes: the object an import names (not known statically)."""

    name: str


_CFG_WORD = re.compile(r"\s*(\w+)\s*")  # BaseConfigurator.WORD_PATTERN, DOT_PATTERN, INDEX_PATTERN
_CFG_DOT = re.compile(r"\.\s*(\w+)\s*")
_CFG_INDEX = re.compile(r"\[\s*(\w+)\s*\]\s*")


# cfg:// conversions nested in one another followed (deeper: not followed, fail closed: dictConfig itself,
# at Python's default recursion limit, stops near 200 with RecursionError; an application may raise the limit)
MAX_CFG_DEPTH = 100
_CYCLE = object()  # a cfg:// reference that leads back to itself: dictConfig recurses until RecursionError
_GAVE_UP = object()  # a cfg:// chain past mlbom's bounds: not resolved (fail closed: unsafe for a path)


def _log_converted(node: object, res: _Resolver, section: object, depth: int = 0) -> object:
    """A dictConfig value as ``ConvertingDict.__getitem__`` hands it over (red team 23b-2/23b-7):
    ``cfg://NAME.key[idx]…`` is the node it names in the logging ``section`` (the dict given to
    dictConfig), itself converted again (``BaseConfigurator.cfg_convert``), a chain of any length
    (24b-3): each converted node memoised on the resolver, one met again while it is being converted
    is a cycle (:data:`_CYCLE`: dictConfig recurses until ``RecursionError``, the handler is not
    built), past :data:`MAX_CFG_DEPTH` nested conversions :data:`_GAVE_UP` (the whole work is one
    conversion per node of the config); None: names no node (dictConfig raises). ``ext://NAME`` is an :class:`_Ext`
    (the object an import gives); anything else the node itself."""
    text = res._text(node)
    m = _LOG_CONVERTED.match(text) if isinstance(text, str) else None
    if m is None:
        return node
    if m.group(1) == "ext":
        return _Ext(m.group(2).strip())
    key = (id(node), id(section))  # (a node an alias shares between two logging sections converts in each)
    if key in res.cfg_memo:
        got = res.cfg_memo[key]
        return _CYCLE if got is _CYCLE_MARK else got
    if depth > MAX_CFG_DEPTH:
        return _GAVE_UP
    res.cfg_memo[key] = _CYCLE_MARK
    res.cfg_keep.append((node, section))  # (the memo is keyed by id: both live as long as the resolver)
    got = _cfg_convert(m.group(2), res, section, depth)
    res.cfg_memo[key] = got
    return got


_CYCLE_MARK = object()  # (in the memo while a node is being converted)


def _cfg_convert(rest: str, res: _Resolver, section: object, depth: int) -> object:
    """``cfg_convert`` of the text after ``cfg://`` (:func:`_log_converted`)."""
    w = _CFG_WORD.match(rest)
    if w is None:
        return None
    got = _log_converted(res.child(section, w.group(1)), res, section, depth + 1)
    rest = rest[w.end():]
    while rest and got is not None and got is not _NO and not isinstance(got, _Ext) and got not in (_CYCLE,
                                                                                                   _GAVE_UP):
        step = _CFG_DOT.match(rest) or _CFG_INDEX.match(rest)
        if step is None:
            return None
        got = _log_converted(res.child(got, step.group(1)), res, section, depth + 1)
        rest = rest[step.end():]
    if got is _CYCLE or got is _GAVE_UP:
        return got
    return None if rest or got is _NO else got


def _log_items(node: object, res: _Resolver) -> list[tuple[str, object]]:
    """The (key, value node) pairs of a mapping node (a composed YAML mapping or a JSON dict)."""
    if isinstance(node, yaml.MappingNode):
        return [(k.value, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]
    if isinstance(node, dict):
        return [(k, v) for k, v in node.items() if isinstance(k, str)]
    return []


# attributes of the standard library's file handlers naming the file they open (``FileHandler._open``, the
# rotating handlers' ``shouldRollover``/``doRollover``) — set through a ``.`` mapping after construction (23b-6)
_OPENED_ATTRS = frozenset({"baseFilename"})
MAX_LOG_ATTRS = 100  # items of one '.' mapping judged (more: suspicious)


_COMPUTED_PATH = object()
_YAML_STR = "tag:yaml.org,2002:str"
_YAML_BINARY = "tag:yaml.org,2002:binary"


def _path_text(value: object, res: _Resolver) -> object:
    """A file handler's path as ``yaml.safe_load``/``json`` hand it over: a string; a ``!!binary``
    scalar's bytes decoded as ``os.fsdecode`` decodes the path ``FileHandler`` opens (red team 24b-4);
    None where the key is absent; :data:`_COMPUTED_PATH` for anything else (another tag, a number, a
    collection: not a path mlbom reads)."""
    if value is _NO:
        return None
    if isinstance(value, yaml.ScalarNode) and value.tag == _YAML_BINARY:
        try:
            raw = base64.decodebytes(value.value.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return _COMPUTED_PATH  # (safe_load refuses it: nothing is built)
        return raw.decode("utf-8", "surrogateescape")
    if isinstance(value, yaml.ScalarNode) and value.tag != _YAML_STR:
        return _COMPUTED_PATH
    got = res._text(value)
    return got if isinstance(got, str) else _COMPUTED_PATH


def _log_path_finding(cls: str, what: str, value: object, res: _Resolver) -> _Finding:
    """The finding for the path a file handler opens (``value``: converted by :func:`_log_converted`)."""
    if isinstance(value, _Ext):
        return ("high", f"logging dictConfig handler {cls} appends log records to {what} = 'ext://{value.name[:200]}': "
                "a path named by a Python object dictConfig imports (no benign config names its log file so), "
                "not known statically", "unsafe")
    if value is _CYCLE:
        return ("medium", f"logging dictConfig handler {cls} takes {what} from a cfg:// reference that leads back "
                "to itself: dictConfig recurses until RecursionError and does not build the handler", None)
    if value is _GAVE_UP:
        return ("high", f"logging dictConfig handler {cls} appends log records to {what}, a cfg:// chain over "
                f"{MAX_CFG_DEPTH} references deep that mlbom does not follow: where it writes is not known", "unsafe")
    if value is None:
        return ("medium", f"logging dictConfig handler {cls} appends log records to {what}, a cfg:// reference "
                "naming no node of the config (dictConfig raises: the handler is not built)", None)
    name = _path_text(value, res)
    if name is _COMPUTED_PATH:
        return ("high", f"logging dictConfig handler {cls} appends log records to {what}, a value that is no "
                "string (a collection, a number or a YAML-tagged scalar): the path is computed, mlbom cannot "
                "know where it writes", "unsafe")
    shown = repr(name[:200]) if isinstance(name, str) else "(none)"
    if isinstance(name, str):
        why = _log_path_outside(name, res)
        if why == _UNKNOWN_ROOT:
            return ("medium", f"logging dictConfig handler {cls} appends log records to {shown}, whose start is "
                    f"not known statically ({why}): where it writes depends on the environment it runs in", None)
        if why == _TOO_MUCH:
            return ("high", f"logging dictConfig handler {cls} appends log records to {shown}: {why}; not judged",
                    "suspicious")
        if why is not None and (_ELSEWHERE in why or _NOT_LOG in why):
            return ("medium", f"logging dictConfig handler {cls} appends log records to {shown}: {why}; what is "
                    "there is not known to this scan", "suspicious")
        if why is not None:
            return ("high", f"logging dictConfig handler {cls} appends log records (their text shaped by the "
                    f"config's formatter) to a file outside the run folder or onto code or configuration: {shown} "
                    f"({why}); logging.config.dictConfig opens it when the config is applied", "unsafe")
    return ("info", f"logging dictConfig handler {cls} writes its log file {shown}", None)


def stdlib_logging_classes() -> frozenset[str]:
    """The standard library's logging handler and formatter classes (:func:`_logging_classes`)."""
    return _logging_classes()


def denied(path: str) -> str | None:
    """The deny-list reason for a dotted callable a loader imports and calls (as a Hydra target), or None."""
    return _why_dangerous(path)


# standard-library modules whose import alone does something (117pa-8): their top-level code is a program
IMPORT_EFFECTS: dict[str, str] = {
    "antigravity": "opens a web browser when imported (webbrowser.open)",
    "this": "prints when imported",
    "__hello__": "prints when imported",
    "__phello__": "prints when imported",
    "idlelib.idle": "starts IDLE when imported",
    "turtledemo": "a demo program of the standard library",
    "test.autotest": "runs CPython's test suite when imported",
    "test.regrtest": "CPython's test runner",
}


def import_risk(module: str) -> str | None:
    """Why importing ``module`` by name (a gin ``import``, an mmengine ``custom_imports`` entry) does
    something by itself — a standard-library module whose import runs a program (:data:`IMPORT_EFFECTS`,
    the module or a package above it), a package's ``__main__`` module (its command line runs on
    import; the bare ``__main__`` is the running program, imported already) — or None: an import that
    runs only that module's own top-level code. The deny list is no rule here: it names callables, and
    an import calls none of them (``import os`` runs nothing; a reference that calls ``os.system`` is
    judged as a reference)."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        if (hit := IMPORT_EFFECTS.get(".".join(parts[:i]))) is not None:
            return hit
    if "__main__" in parts and module != "__main__":
        return "is a package's __main__ module: importing it runs that package's command line"
    return None


def log_file_finding(cls: str, path: str) -> tuple[Severity, str, Verdict | None]:
    """The dictConfig file-handler path rule (:func:`_log_path_finding`) for a literal path another
    logging loader opens (``fileConfig``: :mod:`mlbom.formats.logging_config`); ``${…}`` in it is
    read as a part not known statically."""
    sev, msg, effect = _log_path_finding(cls, "its file", path, _Resolver({}))
    return sev, msg.replace("logging dictConfig", "logging.config.fileConfig").replace(
        "logging.config.dictConfig opens", "logging.config.fileConfig opens"), effect


def _logging_findings(cls: str, handler: object, res: _Resolver, section: object) -> list[_Finding]:
    """What a dictConfig's standard-library handler does beyond the process (20b-4): a file handler
    appends every record, shaped by the config's own formatter (literal text allowed), to its
    ``filename`` — a file write at load whose path and content the config chooses (red team 21b-6),
    judged by :func:`_log_path_outside` after dictConfig's converters (``cfg://``, ``ext://``:
    :func:`_log_converted`, 23b-2/23b-7): ``info`` for a plausible log file in the project or
    Hydra's run folder, ``medium`` where the path STARTS with a part not known statically (an
    environment variable, a node or resolver mlbom does not resolve: ``${paths.log_dir}/x.log``,
    ``${oc.env:PROJECT_ROOT}/x.log`` — common in templates), the rule of :func:`_where_it_lands`
    for where it lands (24b-7: a system or home tree, ``~``, ``..``, packages ``unsafe``; a log name
    under ``/var/log``/``/tmp`` ``info``; another absolute folder ``suspicious``), ``unsafe`` for a
    hidden folder or a code or configuration file (23b-3), a path an ``ext://`` import names or one
    that is no string (24b-4). A ``.`` mapping sets
    attributes on the built handler (``configure_custom``/``configure_handler``, 23b-6):
    ``baseFilename`` is the path the handler opens (judged the same), any other value that is no
    plain literal is ``suspicious``. A network handler sends every record to the
    ``host``/``address``/``mailhost`` the config names (``medium``); any other (a stream, a
    formatter) nothing to report."""
    out: list[_Finding] = []
    last = cls.rsplit(".", 1)[-1]
    if cls in file_handler_classes():
        out.append(_log_path_finding(cls, "'filename'", _log_converted(res.child(handler, "filename"), res, section),
                                     res))
    elif last in _NETWORK_HANDLERS:
        dest = [f"{k}={v[:100]!r}" for k in ("host", "port", "address", "mailhost", "url", "toaddrs")
                if isinstance(v := res._text(res.child(handler, k)), str)]
        out.append(("medium", f"logging dictConfig handler {cls} sends log records over the network"
                    f"{': ' + ', '.join(dest) if dest else ''}", None))
    if any(k == "<<" for k, _ in _log_items(handler, res)):
        out.append(("high", f"logging dictConfig handler {cls} takes keys from a YAML merge key ('<<'), which "
                    "mlbom does not resolve here: its arguments are not judged", "suspicious"))
    props = _log_converted(res.child(handler, "."), res, section)
    items = _log_items(props, res)
    if len(items) > MAX_LOG_ATTRS:
        out.append(("high", f"logging dictConfig handler {cls} sets over {MAX_LOG_ATTRS} attributes through '.': "
                    "not judged", "suspicious"))
    for key, node in items[:MAX_LOG_ATTRS]:
        value = _log_converted(node, res, section)
        if key in _OPENED_ATTRS:
            out.append(_log_path_finding(cls, f"its '.' attribute {key!r}", value, res))
        elif value is None or isinstance(value, _Ext) or not isinstance(res._text(value), str):
            out.append(("high", f"logging dictConfig handler {cls} gets its attribute {key[:100]!r} set after "
                        "construction (the '.' mapping) to a value that is no plain literal (a cfg:// or ext:// "
                        "reference or a collection): what the handler then does is not known statically",
                        "suspicious"))
    if props is not _NO and not _log_items(props, res) and res._text(props) is not _COLLECTION:
        out.append(("high", f"logging dictConfig handler {cls} has a '.' entry that is no mapping mlbom reads "
                    "(dictConfig sets its items as attributes on the handler)", "suspicious"))
    return out


# Hydra's run-time nodes a log path may name (``hydra.runtime.output_dir`` is the run or sweep directory,
# ``runtime.cwd`` the directory the app started in: the project, 23b-3): the config's own ``hydra.run.dir``/
# ``hydra.sweep.dir``/``hydra.sweep.subdir``/``hydra.job.name`` where it sets them (judged as paths too), else Hydra's
_HYDRA_RUNTIME = re.compile(r"\$\{\s*hydra\s*[.:]\s*(runtime\.output_dir|runtime\.cwd|run\.dir|sweep\.dir|"
                            r"sweep\.subdir|job\.name|job\.id|job\.num|job\.override_dirname)\s*\}")
_HYDRA_SET = {"runtime.output_dir": (("run", "dir"), ("sweep", "dir"), ("sweep", "subdir")),
              "run.dir": (("run", "dir"),), "sweep.dir": (("sweep", "dir"),), "sweep.subdir": (("sweep", "subdir"),),
              "job.name": (("job", "name"),)}
_NOW = re.compile(r"\$\{\s*now\s*:([^{}$\\'\"]*)\}")  # strftime: its codes give no "/", its other text stays
# an interpolation of an environment variable naming an absolute folder outside any run folder
_HOME_ENV = re.compile(r"\s*\$\{\s*(?:oc\.)?env\s*:\s*[\x27\x22]?(?:HOME|USERPROFILE|APPDATA|LOCALAPPDATA|"
                       r"TMPDIR|TEMP|TMP|XDG_[A-Z_]+)\b")
_UNKNOWN_ROOT = ("a start not known statically (an environment variable, a node or a resolver's result "
                 "mlbom does not resolve)")
MAX_LOG_WORK = 10_000  # log-path readings (Hydra nodes, interpolations) judged per document (23b-5)
_TOO_MUCH = f"over {MAX_LOG_WORK} steps to read the paths of the config's log files (not all read)"
# the final names a log file must not have (23b-3): code or configuration a tool runs or reads when the
# project is used (Python, .pth, shell start-up files, setup.cfg/tox.ini/pyproject.toml, YAML/JSON configs,
# .env, git's ``config``, make), matched case-insensitively; a name ending "rc" with no dot but a leading
# one (``.bashrc``, ``.npmrc``, ``bashrc``) is a start-up file too. Red team 80s-1: also the model files
# whose loaders run code (the pickle formats: a log line of pickle opcodes is a model that runs them),
# native libraries and wheels, notebooks, templates a loader renders, lock and requirement files (pip
# reads options such as ``--extra-index-url`` from them) and MLflow's ``MLmodel``
_CODE_SUFFIXES = (".py", ".pyw", ".pth", ".pyc", ".sh", ".bash", ".zsh", ".profile", ".cfg", ".ini", ".toml",
                  ".yaml", ".yml", ".json", ".conf", ".env", ".ps1", ".bat", ".cmd",
                  ".pkl", ".pickle", ".bin", ".pt", ".pt2", ".ckpt", ".joblib", ".jbl", ".sav", ".dill", ".npy",
                  ".npz", ".mar", ".so", ".dll", ".dylib", ".pyd", ".whl", ".egg", ".ipynb", ".jinja", ".jinja2",
                  ".j2", ".lock", ".in")
_CODE_NAMES = frozenset({"config", "makefile", "gnumakefile", "dockerfile", "envrc", "mlmodel", "pipfile",
                         "cmakelists.txt", "justfile"})
_REQUIREMENT_NAME = re.compile(r"(?i).*(?:requirements|constraints).*\.txt")  # pip -r/-c files (80s-1)
# a folder of pip -r/-c files (``requirements/base.txt``: 81s-2) and installed-package metadata
# (``x.dist-info/entry_points.txt``: importlib.metadata reads it, entry points run)
_CODE_FOLDER = re.compile(r"(?i)(?:requirements|constraints).*|.*\.(?:dist|egg)-info")
# a plausible log file of the project (81s-2): ``*.log`` (rotated: ``.log.1``), or a text/out/err
# file in a folder named for logs (``logs/run.txt``); any other ``.txt`` may be a file a tool reads
# (``deps.txt`` given to ``pip -r``, a tokenizer's ``vocab.txt``)
_PROJECT_LOG = re.compile(r"(?i).+\.log(?:\.\d+)?")
_LOGGISH = re.compile(r"(?i).+\.(?:txt|out|err)(?:\.\d+)?")
# a relative log file of the project whose final name is not a plausible log file's (:data:`_LOG_NAME`):
# the file may be anything a tool of the project reads (weights, data, a script with no suffix): 80s-1
_NOT_LOG = "not a log file's name"


def _project_file(way: str) -> str | None:
    """Why a relative log path (one reading, the run folder spelled ``run``) writes onto code or
    configuration of the project the process runs in (23b-3), or None: a hidden segment (``.git``,
    ``.ssh``, ``.venv``, ``.bashrc``) or a final name of :data:`_CODE_SUFFIXES`/:data:`_CODE_NAMES`/
    :data:`_REQUIREMENT_NAME`; or (:data:`_NOT_LOG`, ``suspicious``) a final name that is not a plausible
    log file's (:data:`_LOG_NAME`): the project's weights, data or a script with no suffix (80s-1)."""
    parts = [p.strip() for p in re.split(r"[/\\]", way.strip())]
    hidden = [p for p in parts if p.startswith(".") and p not in (".", "..")]
    if hidden:
        return f"it reads {way[:200]!r}: into or onto a hidden file or folder ({hidden[0][:50]!r})"
    final = parts[-1].lower().rstrip(" .") if parts else ""  # (Windows drops trailing dots and spaces)
    bare = final.lstrip(".")
    # (Windows drops a folder's trailing dots and spaces too: ``x.egg-info./entry_points.txt``, 82s)
    folders = [p.rstrip(" .") for p in parts[:-1] if p not in ("", ".", "..")]
    if (final.endswith(_CODE_SUFFIXES) or bare in _CODE_NAMES or _REQUIREMENT_NAME.fullmatch(final)
            or any(_CODE_FOLDER.fullmatch(p) for p in folders)
            or (len(bare) > 2 and bare.endswith("rc") and "." not in bare and _U not in bare)):
        return f"it reads {way[:200]!r}: a file name of code or configuration a tool runs or reads"
    relative = not (way.strip().startswith(("/", "\\")) or re.match(r"\s*[A-Za-z]:", way))
    if relative and final and _U not in final and (re.search(r"~\d", final) or not (
            _PROJECT_LOG.fullmatch(final) or (_LOGGISH.fullmatch(final) and any("log" in p.lower() for p in folders)))):
        # (a ``~N`` name is a Windows 8.3 alias of a longer name: REQUIR~1.TXT is requirements.txt)
        return f"it reads {way[:200]!r}: a file of the project with {_NOT_LOG} (what reads it is not known)"
    return None


def _hydra_folder(found: str, res: _Resolver) -> str:
    """What a Hydra run-time node stands for in a log path: ``runtime.cwd`` is the project (``.``); a
    node the config sets to a literal (``${now:…}`` read as its format) is that text, so that the
    whole path is judged (``hydra.run.dir: .git`` with ``job.name: config``); else ``run``."""
    if found == "runtime.cwd":
        return "."
    subs = _HYDRA_SET.get(found, ())
    node = res.node(("hydra", *subs[0])) if subs else None
    got = res._text(node) if node is not None else None
    if isinstance(got, str):
        got = _NOW.sub(lambda m: re.sub(r"%.", "0", m.group(1)), got)
        if "${" not in got and "\\" not in got and got.strip():
            return got.strip()
    return "run"


def _log_path_outside(name: str, res: _Resolver, depth: int = 0) -> str | None:
    """Why a log file path may lie outside the run folder (absolute, ``~``, a drive, ``..``, or a part
    not known statically) or write onto the project's code or configuration (:func:`_project_file`:
    a relative path resolves against the working directory — the project the user runs in — and so
    does ``${hydra:runtime.cwd}``, 23b-3), or None. Hydra's run-time nodes are the run folder (those
    the document sets are judged as paths too, each once: memoised on the resolver, the whole work
    bounded by :data:`MAX_LOG_WORK`, 23b-5); ``${now:…}`` is its format with the codes taken out;
    other node interpolations are resolved in the document; the rest is read with :func:`readings`
    (an environment variable or a resolver's result: not known)."""
    res.log_work += 1
    if res.log_work > MAX_LOG_WORK:
        return _TOO_MUCH
    if depth > 4:
        return "nested too deep to resolve"
    text = _NOW.sub(lambda m: re.sub(r"%.", "0", m.group(1)), name)
    for found in dict.fromkeys(m.group(1) for m in _HYDRA_RUNTIME.finditer(text)):
        for sub in _HYDRA_SET.get(found, ()):
            if sub not in res.log_memo:
                node = res.node(("hydra", *sub))
                got = res._text(node) if node is not None else None
                res.log_memo[sub] = (None if node is None else _log_path_outside(got, res, depth + 1)
                                     if isinstance(got, str) else "not a literal")
            why = res.log_memo[sub]
            if why == _TOO_MUCH:
                return why
            if why is not None:
                return f"hydra.{'.'.join(sub)} set in the config: {why}"
    text = _HYDRA_RUNTIME.sub(lambda m: _hydra_folder(m.group(1), res), text)
    if _HOME_ENV.match(text):
        return "it starts at a folder the environment names that is never the run folder (the user's home, temp)"
    got = res.value(text, None, 0) if "${" in text else text
    if isinstance(got, str):
        ways = [got]
    else:
        ways, whole = readings(text)
        if not whole:
            return "more readings than mlbom follows"
    for way in ways:
        if way.strip().startswith(_U):
            return _UNKNOWN_ROOT
    lands = [_where_it_lands(way.strip().replace(_U, "x"), folder=depth > 0) for way in ways]
    for why in lands:
        if why is not None and _ELSEWHERE not in why:
            return why
    if depth == 0:
        onto = [why for way in ways if (why := _project_file(way)) is not None]
        if onto:  # code or configuration first, then a name that is not a log file's
            return next((why for why in onto if _NOT_LOG not in why), onto[0])
    return next((why for why in lands if why is not None), None)


# where a log file's absolute path lands (24b-7): folders whose files a system or a user's programs run
# or read as configuration (and any installed Python packages) are ``unsafe``; logging's usual homes are
# fine; any other absolute folder is outside the project (``suspicious``: mlbom cannot know what is there)
_SYSTEM_TREES = frozenset({"etc", "bin", "sbin", "usr", "boot", "dev", "proc", "sys", "root", "home", "users",
                           "windows", "program files", "program files (x86)", "programdata"})
_SYSTEM_SUBTREES = frozenset({("var", "lib"), ("var", "spool")})
_LOG_TREES = (("var", "log"), ("tmp",), ("var", "tmp"))
_PACKAGE_FOLDERS = frozenset({"site-packages", "dist-packages"})
_LOG_NAME = re.compile(r"(?i).*(?:log|\.txt|\.out|\.err)(?:\.\d+)?")
_ELSEWHERE = "it writes outside the project at "


def _where_it_lands(way: str, *, folder: bool = False) -> str | None:
    """Why a log path (one reading) lands where a log file must not (:func:`_log_path_outside`), or
    None: ``..`` climbing out, ``~``/``$HOME``, a system or home tree (:data:`_SYSTEM_TREES`:
    ``/etc``, ``/usr``, ``/lib*``, ``/home`` …; ``/var/lib``, ``/var/spool``) or an installed package
    folder anywhere; under ``/var/log``, ``/tmp``, ``/var/tmp`` a plausible log name (or a folder, for
    Hydra's run folder) is fine; any other absolute folder (``/opt/app/logs``, ``/srv``, another
    drive) is :data:`_ELSEWHERE`."""
    parts = [p.strip() for p in re.split(r"[/\\]", way)]
    if ".." in parts:
        return f"it reads {way[:200]!r}: climbing out with '..'"
    low = [p.lower() for p in parts if p not in ("", ".")]
    if any(p in _PACKAGE_FOLDERS for p in low):
        return f"it reads {way[:200]!r}: into installed Python packages (code that runs on import)"
    first = low[0] if low else ""
    if first.startswith("~") or first in ("$home", "${home}"):
        return f"it reads {way[:200]!r}: in a user's home"
    drive = re.match(r"[A-Za-z]:", way) is not None
    if not (way.startswith(("/", "\\")) or drive):
        return None  # relative: the project (judged by :func:`_project_file`)
    rest = low[1:] if drive else low
    if not rest:
        return f"it reads {way[:200]!r}: a file system root"
    if (rest[0] in _SYSTEM_TREES or rest[0].startswith("lib") or tuple(rest[:2]) in _SYSTEM_SUBTREES):
        return (f"it reads {way[:200]!r}: under a system or home folder whose files programs run or read as "
                "configuration")
    if (not drive and any(tuple(rest[:len(t)]) == t and len(rest) > len(t) for t in _LOG_TREES)
            and (folder or _LOG_NAME.fullmatch(rest[-1]))):
        return None
    return f"{_ELSEWHERE}{way[:200]!r}"


def _spell(place: _Place | object) -> tuple[str, ...] | None:
    """A linked place as a path (None: not known)."""
    steps: list[str] = []
    while place is not None:
        if place is _UNKNOWN or not isinstance(place, tuple):
            return None
        place, step = place
        steps.append(step)
    return tuple(reversed(steps))


def _split_args(args: str) -> list[tuple[bool, str]]:
    """A resolver call's arguments as OmegaConf's grammar splits them (top-level commas; ``\\,``
    escaped): ``(True, text)`` for an argument that is one quoted string — its value as the
    grammar unquotes it — or ``(False, text)`` for any other, with each nested ``${…}`` in it
    (outside quotes) written as a YAML double-quoted string of itself (a value computed at load
    time, never a literal target)."""
    return [_argument(r, t) for r, t in _split_raw(args)]


def _split_raw(args: str) -> list[tuple[str, str]]:
    """A resolver call's arguments split at the grammar's top-level commas (:func:`_split_args`):
    each as written, and with its nested interpolations quoted for YAML."""
    out: list[tuple[str, str]] = []
    raw: list[str] = []  # the argument as written
    text: list[str] = []  # the same, nested interpolations quoted for YAML
    i, n = 0, len(args)
    depth = 0  # open { / [ of the grammar
    while i <= n:
        c = args[i] if i < n else ","
        if i == n or (c == "," and depth == 0):
            out.append(("".join(raw), "".join(text)))
            raw, text = [], []
            i += 1
            continue
        if c == "\\" and i + 1 < n and args[i + 1] in _VALUE_ESCAPES:
            j = i + 2
        elif c in ("'", '"'):
            j = i + 1
            while j < n and args[j] != c:
                j += 2 if args[j] == "\\" else 1
            j = min(j + 1, n)
        elif args.startswith("${", i):
            j, level = i + 2, 1
            while j < n and level:
                if args.startswith("${", j):
                    level += 1
                    j += 1
                elif args[j] == "}":
                    level -= 1
                j += 1
            raw.append(args[i:j])
            text.append(json.dumps(args[i:j]))
            i = j
            continue
        else:
            if c in "{[":
                depth += 1
            elif c in "}]" and depth > 0:
                depth -= 1
            j = i + 1
        raw.append(args[i:j])
        text.append(args[i:j])
        i = j
    return out


def _argument(raw: str, text: str) -> tuple[bool, str]:
    t = raw.strip()
    if len(t) >= 2 and t[0] in ("'", '"') and t[-1] == t[0]:
        body = t[1:-1]
        j = 0
        while j < len(body):  # the quote ends there: no unescaped matching quote inside
            if body[j] == "\\":
                j += 2
                continue
            if body[j] == t[0]:
                return False, text
            j += 1
        return True, _unquote(body, t[0])
    return False, text


def _unquote(body: str, quote: str) -> str:
    """A quoted string's value as OmegaConf's grammar reads it (``QUOTED_ESC``): a run of
    backslashes before the matching quote, before ``${`` or at the end is halved (an odd one
    escapes the quote); every other backslash is kept as it is."""
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        if body[i] != "\\":
            out.append(body[i])
            i += 1
            continue
        j = i
        while j < n and body[j] == "\\":
            j += 1
        run = j - i
        if j == n or body[j] == quote or body.startswith("${", j):
            out.append("\\" * (run // 2))
            if run % 2 and j < n:
                out.append(body[j])
                j += 1
        else:
            out.append("\\" * run)
        i = j
    return "".join(out)


_U = "\x00"  # a part of a reading that is not known statically (an environment variable, a node, a resolver's result)
_UNKNOWN_WORD = "mlbomUnknown"  # what an unknown part is judged as inside a dotted word
MAX_READINGS = 64  # strings one interpolated value is read as (more: the rest not read, computed)
MAX_READING_DEPTH = 8  # interpolations nested in resolver defaults followed


def _interpolation_end(text: str, i: int) -> int | None:
    """The end of the interpolation ``${…}`` starting at ``i`` (nested braces and interpolations,
    quoted strings with their escapes), or None: it does not close (OmegaConf refuses the value)."""
    depth, j, n = 0, i, len(text)
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c in ("'", '"') and depth > 0:
            k = j + 1
            while k < n and text[k] != c:
                k += 2 if text[k] == "\\" else 1
            if k >= n:
                return None
            j = k + 1
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return None


def _arg_readings(raw: str, depth: int) -> tuple[list[str], bool]:
    """The strings one resolver argument can be (quoted: unquoted as the grammar does; bare: its
    value-mode escapes undone and its ends stripped), interpolations in it read (:func:`readings`)."""
    t = raw.strip()
    if len(t) >= 2 and t[0] in ("'", '"') and t[-1] == t[0]:
        t = _unquote(t[1:-1], t[0])
    else:
        t = re.sub(r"\\(.)", lambda m: m.group(1) if m.group(1) in _VALUE_ESCAPES else m.group(0), t)
    return readings(t, depth + 1) if "${" in t else ([t], True)


def _call_readings(inner: str, depth: int) -> tuple[list[str], bool]:
    """The strings one interpolation's body (between ``${`` and ``}``) can resolve to: ``oc.select``/
    ``oc.env``/``env`` their default argument (returned as it is: the key or variable missing) or the
    unknown node or variable; ``oc.decode`` its argument decoded — parsed again as an OmegaConf
    element (:func:`_decoded`) — or unknown; a node interpolation, ``oc.deprecated`` and any other resolver: unknown."""
    colon = -1
    level = 0
    for k, c in enumerate(inner):
        if c == "{":
            level += 1
        elif c == "}":
            level -= 1
        elif c == ":" and level == 0:
            colon = k
            break
    name = inner[:colon].strip() if colon >= 0 else ""
    if colon < 0 or not _RESOLVER_NAME.fullmatch(name):
        return [_U], True
    args = [r for r, _t in _split_raw(inner[colon + 1:])]
    out, whole = [_U], True
    picked = args[1:2] if name in ("oc.select", "oc.env", "env") else args[:1] if name == "oc.decode" else []
    for raw in picked:
        got, ok = _arg_readings(raw, depth)
        if name == "oc.decode":  # (it parses its string again as an OmegaConf element — ``singleElement``
            got, ok = _decoded(got, ok, depth)  # in value mode: quotes removed a second time, red team 21b-5)
        out.extend(got)
        whole = whole and ok
    return out, whole


def _decoded(got: list[str], ok: bool, depth: int) -> tuple[list[str], bool]:
    """The readings of ``oc.decode``'s argument (each a string OmegaConf's grammar parses again:
    ``omegaconf.resolvers.oc.decode`` — a quoted string unquoted, a bare one's value-mode escapes
    undone and ends stripped, interpolations in it read): each reading read as an argument again
    (one not fully known stays as it is), at most :data:`MAX_READINGS`."""
    out: list[str] = []
    for g in got:
        if len(out) >= MAX_READINGS:
            return out, False
        if _U in g or depth >= MAX_READING_DEPTH:
            out.append(g)
            continue
        again, more = _arg_readings(g, depth + 1)
        out.extend(again)
        ok = ok and more
    return out[:MAX_READINGS], ok and len(out) <= MAX_READINGS


def readings(text: str, depth: int = 0) -> tuple[list[str], bool]:
    """The strings an OmegaConf value can resolve to, read statically (red team 20b-3): its literal
    parts, and for each top-level interpolation each string it can resolve to
    (:func:`_call_readings`), every combination of them; a part not known statically is
    :data:`_U`. At most :data:`MAX_READINGS` strings (``False``: more there, not read) and
    :data:`MAX_READING_DEPTH` interpolations deep in resolver defaults."""
    if depth > MAX_READING_DEPTH:
        return [_U], False
    pieces: list[list[str]] = []
    whole = True
    i = 0
    while (j := text.find("${", i)) >= 0:
        if j > i:
            pieces.append([text[i:j]])
        end = _interpolation_end(text, j)
        if end is None:
            pieces.append([_U])
            i = len(text)
            break
        got, ok = _call_readings(text[j + 2:end - 1], depth)
        pieces.append(got)
        whole = whole and ok
        i = end
    if i < len(text):
        pieces.append([text[i:]])
    out = [""]
    for options in pieces:
        out = [a + b for a in out for b in dict.fromkeys(options)]
        if len(out) > MAX_READINGS:
            out, whole = out[:MAX_READINGS], False
    return list(dict.fromkeys(out)), whole


# final names that run a program or change files in the modules the deny list denies whole (``os.*``,
# ``subprocess.*``, ``shutil.*``): a dotted value ending in one after a part not known statically is a
# module the file does not spell calling it. The process/exec names are the pickle judge's
# (:func:`mlbom.formats.pickle.process_final`, one definition); these are the others.
_DENIED_FINALS = frozenset({"run", "call", "remove", "unlink", "rmdir", "removedirs", "rmtree", "kill", "killpg",
                            "fork", "forkpty", "startfile", "compile", "__import__"})


def _partial_danger(reading: str) -> str | None:
    """Why a reading with a part not known statically (:data:`_U`) may be a deny-listed dotted path:
    judged with the unknown part as a word, it is denied (``os.${…}``: any attribute of ``os``); or
    it starts with the unknown part and ends in a name the deny list denies in some module
    (``${…}.system``). None otherwise (``${oc.env:HOME}/data``, ``${paths.root}``: no dotted path
    next to a denied name)."""
    word = reading.strip().replace(_U, _UNKNOWN_WORD)
    if not _DOTTED.fullmatch(word):
        return None
    why = _bare_danger(word)
    if why is not None:
        return why
    if reading.strip().startswith(_U):
        tail = word.split(".", 1)[1]
        last = tail.rsplit(".", 1)[-1]
        from mlbom.formats import pickle as pickle_fmt

        if last in _DENIED_FINALS or pickle_fmt.process_final(last) or any(k.endswith("." + tail) for k in pickle_fmt.policy().deny):
            return f"a module not spelled in the file with {tail!r}, which the deny list denies in some modules"
    return None


_NO = object()  # no such node
_COLLECTION = object()  # an interpolation resolving to a mapping or list
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
    itself a whole interpolation is followed. Anything else is not resolved (None) — and so is a
    value resolving to over :data:`MAX_RESOLVED` characters, or one built past
    :data:`MAX_RESOLVED_TEXT` characters resolved on ``budget`` (the text's: its documents and the
    texts inside it share it), never cut short (``over`` then says why: red team 106p-2)."""

    def __init__(self, root: object, budget: EventBudget | None = None) -> None:
        self.root = root
        self.budget = budget if budget is not None else EventBudget()
        self.over: str | None = None  # the character bound a value passed (not resolved)
        self.lookups = 0
        self._maps: dict[int, dict[str, object]] = {}
        self.log_work = 0  # log paths judged (:func:`_log_path_outside`, at most MAX_LOG_WORK)
        self.log_memo: dict[tuple[str, ...], str | None] = {}  # Hydra run-time nodes judged as log paths
        self.cfg_memo: dict[tuple[int, int], object] = {}  # dictConfig cfg:// values converted (:func:`_log_converted`)
        self.cfg_keep: list[object] = []

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
        # OmegaConf's is_int/int(): leading zeros count for nothing, but more than CPython's 4,300
        # digits is not an int to it either (a 5,000-digit index crashed the scan)
        position = bounded_int(key, max_digits=INT_STR_DIGITS) if items is not None else None
        if items is not None and position is not None and position < len(items):
            return items[position]
        return _NO

    def child(self, node: object, key: str) -> object:
        """The node under ``key`` (:data:`_NO`: none)."""
        return self._child(node, key)

    def node(self, path: tuple[str, ...]) -> object | None:
        """The node at a path of keys from the root (None: none there)."""
        node: object = self.root
        for step in path:
            node = self._child(node, step)
            if node is _NO:
                return None
        return node

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
        size = 0
        for literal, ref in parts:
            got: object = literal
            if ref is not None:
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
            assert isinstance(got, str)
            # counted before it is joined (each level of a chain counts what it builds): past a bound
            # the value is not resolved — never cut short into a string that reads as harmless
            size += len(got)
            self.budget.resolved += len(got)
            if size > MAX_RESOLVED:
                self.over = self.over or (f"an interpolated value resolving to over {MAX_RESOLVED} characters: "
                                          "not resolved")
                return None
            if self.budget.resolved > MAX_RESOLVED_TEXT:
                self.over = self.over or (f"over {MAX_RESOLVED_TEXT} characters of interpolated values resolved "
                                          "in one text: the rest not resolved")
                return None
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
    the key (a mapping; None: not a scalar) or index (a sequence) of the item being read;
    ``place``: this collection's own path, linked (:data:`_UNKNOWN` under a key that is no
    scalar); ``anchor``/``start``: its anchor, and how many pending targets there were when it
    opened (those added before it closes are inside it)."""

    __slots__ = ("anchor", "index", "is_map", "key_kind", "place", "start", "step", "want_key")

    def __init__(self, is_map: bool, place: _Place | object, anchor: str | None, start: int) -> None:
        self.is_map = is_map
        self.want_key = True
        self.key_kind = ""  # the pending key's convention: "" another key
        self.step: str | None = None
        self.index = -1
        self.place = place
        self.anchor = anchor
        self.start = start


_RELATIVE = re.compile(r"\$\{\s*\.")


# keys whose dotted string value LightningCLI imports as a class (config_includes: 122pa-4)
_LIGHTNING_CLASS_PLACES = frozenset({"optimizer", "lr_scheduler", "model", "data", "callbacks", "logger", "plugins"})


def _lightning_class_place(place: _Place | object) -> bool:
    """Whether a value at ``place`` sits under a key of :data:`_LIGHTNING_CLASS_PLACES` (or is an item of a list
    there): config_includes then reads the composed document (122pa-4)."""
    if isinstance(place, tuple) and place[1].isdigit():
        place = place[0]
    return isinstance(place, tuple) and place[1] in _LIGHTNING_CLASS_PLACES


def _below(top: _Frame | None) -> _Place | object:
    """The place of the item ``top`` is reading (the root: None)."""
    if top is None:
        return None
    if top.place is _UNKNOWN or top.step is None:
        return _UNKNOWN
    return (top.place, top.step)


def _realias(out: Targets, span: tuple[_Place | object, int, int], base: _Place | object, doc: int) -> None:
    """An alias of an anchored collection at ``base``: OmegaConf copies the collection there
    (composition), so a relative interpolation in it resolves from there (12d-6): each pending
    target of the anchored collection that holds one is resolved again at the alias's place."""
    anchor_place, start, end = span
    origin = _spell(anchor_place)
    for value, kind, place, _doc, dotted in out._pending[start:end]:
        if len(out._pending) >= MAX_PENDING:
            out.pend((value, kind, _UNKNOWN, doc, dotted))  # (refused: says "past the bound" once)
            return
        if not _RELATIVE.search(value):
            continue
        path = _spell(place)
        new: _Place | object = _UNKNOWN
        if origin is not None and path is not None and path[:len(origin)] == origin and base is not _UNKNOWN:
            new = base
            for step in path[len(origin):]:
                new = (new, step)
        out.pend((value, kind, new, doc, dotted))


def yaml_targets(text: str, *, class_keys: tuple[str, ...] = (), legacy_keys: tuple[str, ...] = (),
                 hydra_key: bool = True, budget: EventBudget | None = None, depth: int = 0,
                 both: bool = False) -> Targets:
    """The targets of a YAML text (every document), from PyYAML's own parser — the one OmegaConf's
    loader (a ``yaml.SafeLoader``) uses — never composed or constructed: ``_target_`` and
    ``class_path`` values, the interpolations of every value. A scalar key or value given through
    an alias counts as its anchored scalar. Text that does not parse yields the targets before the
    error (nothing after it is loaded by that parser; ``unparsed`` says so, ``read_by_none`` when no
    parser read it to its end). ``class_keys``: keys whose dotted
    string values are class paths too, at any depth (NeMo's ``target``; a value without a dot is no
    module path: ``import_class_by_path`` raises on it). ``legacy_keys``: keys judged like
    ``_target_`` (NeMo's ``cls``). ``hydra_key=False``: only those (the keys and values were judged
    on the parsed JSON document). A target spelled with node interpolations is resolved against its
    document, composed (never constructed) only when there is one — and, inside an anchored
    collection, again at every alias of it. ``budget``: the event budget to spend (shared with the
    text this one is an argument of); ``depth``: how deep inside resolver arguments this text is
    (there a target's interpolation is not resolved: computed); ``both``: a nested text read by both
    parsers all the same (a string value jsonargparse parses again with libyaml: :meth:`Targets._nested`)."""
    out = Targets(budget=budget or EventBudget(), depth=depth)
    # the top-level text is read by both PyYAML parsers (OmegaConf's SafeLoader: pure Python;
    # jsonargparse's DefaultLoader: libyaml's CSafeLoader), which refuse different input (16b-5: a
    # TAB after ``key:``): each reading walked (:func:`~mlbom.formats.yaml_tags.read_both`: the
    # pure-Python one where libyaml's stops at an error), its targets together; a resolver's
    # argument is parsed by OmegaConf (pure Python) only
    first = True

    def read(loader: type[yaml.BaseLoader], limit: int | None) -> bool | None:
        nonlocal first
        if not first and budget is None:
            out.budget = EventBudget()  # each reading its own bound
        first = False
        how = _walk(text, loader, out, class_keys=class_keys, legacy_keys=legacy_keys, hydra_key=hydra_key,
                    limit=limit)
        whole = None if how.bounded is not None else how.whole
        if whole is not None:
            out.settle(_composer(text, loader, how.documents, limit) if depth == 0 else lambda n: None)
        return whole

    readings = read_both(read, text) if depth == 0 or both else [read(yaml.BaseLoader, None)]
    if readings[-1] is None:  # stopped at a bound (``bounded`` says which)
        out.settle(lambda n: None)
        out.tags.bounded = out.bounded
        return out.finish()
    out.unparsed = not all(readings)
    out.read_by_none = not any(readings)
    out.tags.parsed = out.tags.read_any = any(readings)
    return out.finish()


def _walk(text: str, loader: type[yaml.BaseLoader], out: Targets, *, class_keys: tuple[str, ...],
          legacy_keys: tuple[str, ...], hydra_key: bool, limit: int | None = None) -> Outcome:
    """One parser's reading of a YAML text into ``out`` (:func:`yaml_targets`), and how it ended:
    ``whole`` when it read the whole text, ``bounded`` (why) when it stopped at a bound (``limit``:
    :func:`~mlbom.formats.yaml_tags.events`), neither at an error; ``documents`` read to their end.
    The Python tags of the nodes of a top-level text are
    collected on the way (``out.tags``: one parse per parser for both judgements)."""
    how = Outcome()
    tags = out.tags if out.depth == 0 else None
    anchors: dict[str, str] = {}
    spans: dict[str, tuple[_Place | object, int, int]] = {}  # anchored collections: place, pending targets
    stack: list[_Frame] = []
    doc = -1
    try:
        for event in events(text, loader, out.budget, how, limit):
            if tags is not None:  # (Python tags, HyperPyYAML's: yaml_tags.TagScan.note)
                tags.note(event, out.budget)
            if isinstance(event, yaml.DocumentStartEvent):
                doc += 1
                anchors.clear()
                spans.clear()
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                if stack:
                    done = stack.pop()
                    if done.anchor is not None:
                        spans[done.anchor] = (done.place, done.start, len(out._pending))
                continue
            if not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent,
                                      yaml.SequenceStartEvent)):
                continue
            scalar: str | None = None
            anchor = event.anchor
            if isinstance(event, yaml.ScalarEvent):
                scalar = event.value
                if anchor is not None:
                    anchors[anchor] = scalar
                    spans.pop(anchor, None)
            elif isinstance(event, yaml.AliasEvent):
                scalar = anchors.get(anchor) if anchor is not None else None
                if scalar is not None and (spent := out.budget.spend_alias(len(scalar))) is not None:
                    how.bounded = spent
                    break
            elif anchor is not None:  # an anchored collection: a later alias copies it
                anchors.pop(anchor, None)
                spans.pop(anchor, None)
            top = stack[-1] if stack else None
            if top is not None and not top.is_map:
                top.index += 1
                top.step = str(top.index)
            if top is not None and top.is_map and top.want_key:
                top.key_kind = ""
                top.step = scalar
                if top.place is None:
                    out.top_key(scalar)
                if scalar in INCLUDE_KEYS:
                    out.include_keys = True
                elif scalar in COMPOSE_KEYS:  # (read from the composed document: config_includes)
                    if scalar == "defaults":  # (composed when an entry may leave the folder: below)
                        out.defaults = True
                    else:
                        out.include_keys = out.shaped = True
                elif out.defaults and scalar is not None and (_DEFAULTS_LEAVING.match(scalar) or "env_set" in scalar):
                    # a Hydra defaults group that may leave the folder, or land at hydra.job.env_set (123pa-2)
                    out.include_keys = out.shaped = True
                if scalar is None or scalar == "<<" or isinstance(event, yaml.AliasEvent):
                    out.shaped = True
                if hydra_key and scalar in MARKERS:
                    top.key_kind = HYDRA if scalar == KEY else JSONARGPARSE
                elif hydra_key and scalar in INIT_ARGS:
                    out.kind(JSONARGPARSE)
                elif hydra_key and scalar == TYPE_KEY:
                    top.key_kind = MMENGINE
                elif scalar is not None and scalar in legacy_keys:
                    top.key_kind = HYDRA
                elif scalar is not None and scalar in class_keys:
                    top.key_kind = "class"
                top.want_key = False
            else:
                kind = top.key_kind if top is not None and top.is_map else ""
                if kind == MMENGINE:  # a plain value, and an mmengine target when denied (112pa-4)
                    kind = ""
                    if scalar is not None:
                        out.mm_type(scalar)
                if kind and top is not None:
                    if scalar is not None:
                        out.target(scalar, HYDRA if kind == "class" else kind, top.place, max(doc, 0),
                                   dotted=kind == "class")
                    elif kind != "class":
                        out.kind(kind)
                        out.odd("a collection")
                elif scalar is not None and top is not None:  # (a scalar document is no config: OmegaConf refuses it)
                    out.value(scalar, _below(top), max(doc, 0))
                    # (asked until both are set: an alias earlier sets `shaped` alone, and a leaving config
                    # path after it must still ask for the composed reading — 119 review)
                    if not (out.shaped and out.include_keys) and _DOTTED.fullmatch(scalar.strip()) \
                            and _lightning_class_place(_below(top)):
                        out.include_keys = out.shaped = True  # a class path jsonargparse may import (122pa-4)
                    if not (out.shaped and out.include_keys) and ((_LEAVING.match(scalar.strip()) and (
                            scalar.rstrip().lower().endswith(CONFIG_EXTS)
                            or (top.is_map and top.step in LIGHTNING_CLI_KEYS)
                            or leaving_config_path(top.step or "" if top.is_map else "", scalar.strip())))
                            or (out.defaults and (_DEFAULTS_LEAVING.match(scalar) or "env_set" in scalar))):
                        # a config jsonargparse may load, a Hydra defaults entry that may leave the folder
                        out.include_keys = out.shaped = True  # (read from the composed document: config_includes)
                    out.custom_import(scalar, _below(top))
                    out.mm_scope(scalar, _below(top))
                    out.base(scalar, _below(top))
                    if "${" in scalar and out.depth == 0 and _node_parts(scalar) is not None:
                        out.pend((scalar, _VALUE, top.place, max(doc, 0), False))
                if (isinstance(event, yaml.AliasEvent) and anchor in spans and top is not None
                        and scalar is None):
                    merge = top.is_map and top.step == "<<"  # a merge key: its keys land in this mapping
                    span = spans[anchor]
                    if (spent := out.budget.spend_realias(span[2] - span[1])) is not None:
                        how.bounded = spent
                        break
                    _realias(out, span, top.place if merge else _below(top), max(doc, 0))
                if top is not None and top.is_map:
                    top.key_kind = ""
                    top.want_key = True
            if isinstance(event, yaml.AliasEvent):
                out.shaped = True  # (config_includes: the document as built may differ from the walk's places)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                out.collections = True
                stack.append(_Frame(isinstance(event, yaml.MappingStartEvent), _below(top), anchor,
                                    len(out._pending)))
    except (yaml.YAMLError, ValueError, RecursionError, MemoryError):  # (raised by ``events``: none expected)
        how.whole = False
        how.bounded = None
        return how
    if how.bounded is not None:
        out.bounded = how.bounded
    return how


def _composer(text: str, loader: type[yaml.BaseLoader], documents: int, limit: int | None) -> Callable[[int], object]:
    """Document ``n`` of a YAML text as PyYAML's composer builds its node graph (aliases shared,
    nothing constructed), composed on first use under the bounds of the reading it follows (its
    ``limit``, the pure-Python scanner's work counted); None where it does not compose — always for
    a document at or past ``documents``, those the reading read to their end (the one it stopped at
    with an error never composes, and composing up to that error doubled the cost of a broken text:
    a 40 KB logging.json of broken nested JSON took 2.6 s)."""
    docs: list[object] = []
    more = composed(text, loader, limit)

    def root(n: int) -> object:
        if n >= documents:
            return None
        while len(docs) <= n and (node := next(more, None)) is not None:
            docs.append(node)
        return docs[n] if n < len(docs) else None

    return root


def text_targets(text: str, *, class_keys: tuple[str, ...] = (), legacy_keys: tuple[str, ...] = (),
                 hydra_key: bool = True, name: str = "") -> Targets:
    """The targets of a config text in any syntax a config loader reads it in: YAML (both parsers:
    :func:`yaml_targets`) and TOML (jsonargparse's ``parser_mode="toml"``, ``tomllib``; 16b-3), their
    targets together (JSON is YAML). A text that names a code key (:func:`code_keys`) and that no
    parser mlbom has reads to its end — Jsonnet (jsonargparse's ``parser_mode="jsonnet"``: it computes
    strings, 16b-4), HOCON, broken YAML — cannot be judged: ``unread`` says so, and the literal targets
    visible in it (a quoted string after a code key, a quoted deny-listed dotted path anywhere) are
    judged as targets. Jsonnet is judged by the language, not by a key's spelling (18b-2: it
    computes field names, decodes escapes in single quotes, imports other files): :func:`_jsonnet`
    — a text named ``.jsonnet``/``.libsonnet`` that holds more than data YAML reads the same, or any
    text no parser reads as a mapping that is lexically Jsonnet with Jsonnet's features — is
    ``unread`` whether or not a code key is spelled (``name``: the file's name).
    ``hydra_key=False``: the YAML reading only (a JSON document judged already)."""
    out = yaml_targets(text, class_keys=class_keys, legacy_keys=legacy_keys, hydra_key=hydra_key)
    if out.bounded is not None or not hydra_key:
        return out
    toml = _toml(text)
    if toml is not None:
        out.merge(json_targets(toml, budget=out.budget))
    elif (jsonnet := _jsonnet(text, name, out)) is not None:
        out.unread = (f"it is Jsonnet ({jsonnet}), which mlbom does not evaluate: jsonargparse's "
                      "parser_mode=\"jsonnet\" computes the keys and values its config takes (a class_path, a "
                      "Callable's dotted path) and imports other files")
        out.kind(JSONARGPARSE)
        _literals(text, out, class_keys + legacy_keys)
    elif (keys := code_keys(text, class_keys + legacy_keys)) and (
            out.read_by_none or not (out.kinds or out.paths or out.computed or out.resolvers)):
        # no parser read the text to its end, or the readings that did found none of the code keys
        # it spells as keys: Jsonnet with no ': ' is one plain YAML scalar (red team 17b-1)
        how = ("no parser mlbom has (YAML, JSON, TOML) reads it to its end" if out.read_by_none else
               "the YAML reading of it holds none of them as keys (a scalar, not a mapping)")
        out.unread = (f"it names code keys ({_shown(keys)}) but {how}: Jsonnet and other config languages "
                      "compute the values these keys take")
        for k in keys:
            out.kind(HYDRA if k in (KEY, *class_keys, *legacy_keys) else FIDDLE if k == "pyref" else JSONARGPARSE)
        _literals(text, out, class_keys + legacy_keys)
    return out.finish()


JSONNET_NAMES = (".jsonnet", ".libsonnet")
MAX_JSONNET = 4 << 20  # characters of a text lexed as Jsonnet (more: judged by its features alone)
# Jsonnet's own constructs, any one of which no YAML/JSON/TOML reading shares: a local binding, the
# standard library, an import, a computed field name, hidden/inheriting fields, a single-quoted string
# with an escape (Jsonnet decodes it, YAML does not), a function, self/$/super, a text block
_JSONNET_FEATURES = (  # (a substring it needs, the feature): the regex runs only where the substring is
    ("local", re.compile(r"(?m:^[ \t]*local[ \t]+[A-Za-z_]\w*[ \t]*(?:\([^)\n]*\))?[ \t]*=)")),
    ("std", re.compile(r"\bstd[ \t]*\.[ \t]*[A-Za-z_]\w*[ \t]*\(")),
    ("import", re.compile(r"\bimport(?:str|bin)?[ \t]*(?:[\x27\x22@]|\|\|\|)")),
    ("]", re.compile(r"[{,][ \t\r\n]*\[[^\]\n]{1,400}\][ \t]*\+?:{1,3}")),
    ("::", re.compile(r"[\w\x27\x22\]][ \t]*:::?[ \t\r\n]")),
    ("+:", re.compile(r"[\w\x27\x22\]][ \t]*\+:{1,3}[ \t\r\n]")),
    # (a single-quoted string with an escape; read loosely — from a quote to its line's first backslash, then
    # any later quote on the line — so that no start is ever rescanned: red team 21b-7)
    ("\\", re.compile(r"'[^'\\\n]*\\[^\n]*'")),
    ("function", re.compile(r"\bfunction[ \t]*\(")),
    ("self", re.compile(r"\bself[ \t]*\.")),
    ("super", re.compile(r"\bsuper[ \t]*\.")),
    ("$", re.compile(r"\$[ \t]*\.")),
    ("|||", re.compile(r"\|\|\|")),
)


def _jsonnet_feature(text: str) -> str | None:
    """The first of Jsonnet's own constructs found in a text (:data:`_JSONNET_FEATURES`), or None."""
    for needle, feature in _JSONNET_FEATURES:
        if needle in text and (m := feature.search(text)) is not None:
            return m.group(0)
    return None
# Jsonnet's lexis (the language reference; core/lexer.cpp of the C++ implementation the ``jsonnet``
# binding of jsonargparse runs): whitespace is space, tab, CR and LF; comments ``//``/``#`` to the line's
# end and ``/* */``; quoted strings in either quote (spanning lines, ``\`` taking the next character);
# verbatim strings ``@'…'``/``@"…"`` (a doubled quote is one); numbers; ASCII identifiers; the symbols
# ``{}[],.();``; ``$`` (a token of its own, a value like an identifier: red team 21b-2); runs of
# operator characters, which stop before ``//``, ``/*`` and ``|||`` (a comment or
# a text block starts there); text blocks (:func:`_text_block`). Any other character (a backtick, ``?``,
# a non-ASCII letter outside a string or comment) and an unterminated string, comment or text block is
# a lexical error: Jsonnet refuses the text before it evaluates anything (red team 20b-2)
# one match per token, the whitespace before it included (a token's text is its group's); ``bad``: a
# character no token starts with (an unterminated string too), ``end``: whitespace to the end. Some
# alternative matches at every position, so a scan never searches past a position (red team 21b-4/21b-7)
_JSONNET_TOKEN = re.compile(r"""
    [ \t\r\n]*
    (?:
    (?P<comment>//[^\n]*|\#[^\n]*|/\*(?:.*?\*/|.*))
  | (?P<block>\|\|\|)
  | (?P<verbatim>@'(?:[^']|'')*'|@"(?:[^"]|"")*")
  | (?P<string>"[^"\\]*(?:\\.[^"\\]*)*"|'[^'\\]*(?:\\.[^'\\]*)*')
  | (?P<number>[0-9](?:_?[0-9])*(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*|\$)
  | (?P<symbol>[{}\[\](),.;])
  | (?P<op>(?:(?!//|/\*|\|\|\|)[!:~+\-&|^=<>*/%])+)
  | (?P<bad>.)
  | (?P<end>\Z)
    )
""", re.X | re.S)


def _text_block(text: str, i: int) -> int | None:
    """The end of a text block whose ``|||`` ends at ``i``, as Jsonnet's lexer reads it, or None (a
    lexical error): an optional ``-`` (chomp), spaces/tabs/CRs, a LF; blank (``\\n``) lines; the first
    line's leading spaces/tabs are the block's indent (none: an error); every following line that
    starts with exactly that indent is text (a ``|||`` in it too; a CR is text); the first line
    that does not ends the block and must be ``|||`` after spaces/tabs. Linear."""
    n = len(text)
    j = i + 1 if text.startswith("-", i) else i
    while j < n and text[j] in " \t\r":
        j += 1
    if j >= n or text[j] != "\n":
        return None
    while j < n and text[j] == "\n":
        j += 1
    k = j
    while k < n and text[k] in " \t":
        k += 1
    indent = text[j:k]
    if not indent:
        return None
    while True:
        e = text.find("\n", j + len(indent))
        if e < 0:
            return None
        j = e + 1
        while j < n and text[j] == "\n":
            j += 1
        if not text.startswith(indent, j):
            break
    while j < n and text[j] in " \t":
        j += 1
    return j + 3 if text.startswith("|||", j) else None


def _jsonnet_lex(text: str) -> tuple[list[tuple[str, str, int]] | None, str]:
    """The tokens of a text as Jsonnet lexes it — (kind, text, end), whitespace left out — or None
    and the lexical error that makes Jsonnet refuse it (a leading BOM is skipped: read more, not less)."""
    out: list[tuple[str, str, int]] = []
    append = out.append
    pos, n = (1 if text.startswith("\ufeff") else 0), len(text)
    while pos < n:  # (one match per token, contiguous: some alternative matches at every position, so no
        for m in _JSONNET_TOKEN.finditer(text, pos):  # failed scan is repeated from a later one — 21b-4/21b-7)
            kind = m.lastgroup or ""
            if kind == "end":
                return out, ""
            if kind == "bad":  # a character no token starts with (an unterminated string too)
                at = m.start(kind)
                return None, f"{text[at]!r} at character {at}"
            if kind == "block":
                at = m.start(kind)
                end = _text_block(text, m.end())
                if end is None:
                    return None, f"a malformed text block at character {at}"
                append(("block", text[at:end], end))
                pos = end
                break  # (the block's text is no token: lexing goes on after it)
            tok = m.group(kind)
            if kind == "comment" and tok.startswith("/*") and (len(tok) < 4 or not tok.endswith("*/")):
                return None, f"an unterminated comment at character {m.start(kind)}"
            append((kind, tok, m.end()))
        else:
            break
    return out, ""


# characters no Jsonnet token holds (outside strings, comments and text blocks): a lexical error
_NO_TOKEN = re.compile(r"[^\x20-\x7e\t\r\n]|[`?\\\"]")


def _refused_unlexed(text: str) -> bool:
    """Whether Jsonnet surely refuses a text for a lexical error, found at regex speed: with its
    double-quoted strings, plain single-quoted strings and comments dropped (:data:`_NOT_CODE`,
    leftmost first as the lexer reads them), what is left holds a character no token has (a
    backtick, ``?``, a backslash, a non-ASCII letter, an unterminated ``"``) — decided only where
    nothing else can hide text (no ``'``, ``@`` or ``|||`` left: a single-quoted string with an
    escape or across lines, a verbatim string, a text block); otherwise the lexer decides."""
    code = _NOT_CODE.sub(_unterminated, text[1:] if text.startswith("\ufeff") else text)
    return "'" not in code and "@" not in code and "|||" not in code and _NO_TOKEN.search(code) is not None


def _jsonnet_tokens(text: str) -> list[tuple[str, str, int]] | None:
    """The tokens of a text as Jsonnet lexes it (:func:`_jsonnet_lex`), or None: a lexical error."""
    return _jsonnet_lex(text)[0]


_DATA_IDS = frozenset({"true", "false", "null"})


def _indexes(tok: str, prev: str, top: str) -> bool:
    """Whether a ``[`` computes (red team 20b-5): after a value (a string, a number, an identifier,
    ``]``, ``}``, ``)``) it indexes or slices it; after ``{`` or an object's ``,`` it opens a computed
    field name. Only an array literal's ``[`` (at the start, after ``[``, ``:`` or an array's ``,``)
    is data."""
    return tok == "[" and not (prev in ("", "[", ":") or (prev == "," and top != "{"))


def _jsonnet_computes(text: str) -> str | None:
    """What a Jsonnet text holds beyond data YAML reads the same way (JSON-like objects and arrays
    with plain field names, double-quoted strings, single-quoted strings without escapes, numbers,
    true/false/null, ``#`` comments), or None when it holds nothing else."""
    tokens = _jsonnet_tokens(text)
    if tokens is None:
        return "text Jsonnet reads otherwise (no Jsonnet lexis)"
    open_: list[str] = []
    prev = ""
    for i, (kind, tok, end) in enumerate(tokens):
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == "comment" and tok[0] == "#" and (end - len(tok) == 0 or text[end - len(tok) - 1] in " \t\r\n"):
            continue
        if kind == "symbol" and tok in "{}[]," and not _indexes(tok, prev, open_[-1] if open_ else ""):
            if tok in "{[":
                open_.append(tok)
            elif tok in "}]" and open_:
                open_.pop()
            prev = tok
            continue
        prev = tok
        if kind == "number":
            continue
        if kind == "string" and not (tok[0] == "'" and "\\" in tok):
            continue
        if kind == "id" and (tok in _DATA_IDS or (nxt == ":" and text[tokens[i + 1][2]:][:1] in (" ", "\t", "\r",
                                                                                               "\n", ""))):
            continue
        if kind == "op" and (tok == ":" or (tok == "-" and i + 1 < len(tokens) and tokens[i + 1][0] == "number")):
            continue
        return f"{tok[:40]!r}"
    return None


# what may precede a Jsonnet config's first token: whitespace (a BOM too), comments
_JSONNET_LEAD = re.compile(r"(?:[\ufeff \t\r\n]|(?://|#)[^\n]*|/\*(?:.*?\*/|.*))*", re.S)
_JSONNET_OPENING = re.compile(r"[{\[(]|(?:local|importstr|importbin|import)\b")


def _jsonnet_start(text: str) -> bool:
    """Whether a text starts like a Jsonnet object config (after whitespace and comments): an
    object, an array, a parenthesised expression, a ``local`` or an import. Linear. (Only a hint
    for texts over :data:`MAX_JSONNET`: any expression is a Jsonnet program, :func:`_jsonnet_program`.)"""
    lead = _JSONNET_LEAD.match(text)
    return _JSONNET_OPENING.match(text, lead.end() if lead is not None else 0) is not None


def jsonnet_like(text: str, name: str = "") -> bool:
    """Whether a text may be Jsonnet for :func:`_jsonnet` to judge: its name, a Jsonnet feature in it,
    or the grammar (:func:`_jsonnet_program`: red team 19b-3/20b-1 — an operator, ``if``, ``assert``,
    a ``std`` call, indexing compute a value too, whatever the program starts with)."""
    return (name.lower().endswith(JSONNET_NAMES) or _jsonnet_feature(text) is not None
            or _jsonnet_program(text) is not None)


# the no-feature gate of :func:`_jsonnet` (red team 19b-3), at regex-engine speed: a text's double-quoted
# strings (Jsonnet's may span lines) and single-quoted strings without a backslash become a placeholder
# word, comments a space; what is left holds every token :func:`_code_feature`/:func:`_escaped_code` could
# flag — an operator character (``-`` only where no number follows), ``::``, a call, ``;``, a field access
# (a ``.`` outside a number), a computed field name's ``]:``, an index or slice (a ``[`` after a value:
# 20b-5), a verbatim string (``@``), a text block (``|||``), an escaped single-quoted string (``'``,
# ``\\``) — or a keyword (:data:`_KEYWORDS`); a text with none of them is data
_NOT_CODE = re.compile(r"""\"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|'[^'\\\n]*'|//[^\n]*|\#[^\n]*|/\*(?:.*?\*/|.*)""",
                       re.S)
_CODE_CHARS = re.compile(r"[+*/%<>=!&|^~$();?@'\\]|::|\][ \t\r\n]*\+?:|[\w\]})][ \t\r\n]*\[")
_CODE_DOT_DASH = re.compile(r"-(?![\d.])|\.(?<!\d\.)|\.(?!\d)")
_CODE_WORD = re.compile(r"[A-Za-z_]\w*")


def _blank(m: re.Match[str]) -> str:
    return " " if m.group(0)[0] in "/#" else "s"


def _unterminated(m: re.Match[str]) -> str:
    """:func:`_blank`, but an unterminated double-quoted string or block comment (:data:`_NOT_CODE`
    consumes the rest of the text with it, red team 21b-4) leaves a ``"``: a lexical error."""
    got = m.group(0)
    if got[0] == '"' and (len(got) < 2 or not got.endswith('"') or _escaped_end(got)):
        return '"'
    if got.startswith("/*") and (len(got) < 4 or not got.endswith("*/")):
        return '"'
    return _blank(m)


def _escaped_end(got: str) -> bool:
    """Whether the last character of a matched string is escaped (an odd run of backslashes before it)."""
    k = len(got) - 1
    while k > 0 and got[k - 1] == "\\":
        k -= 1
    return (len(got) - 1 - k) % 2 == 1


def _code_hint(text: str) -> str | None:
    """A character or keyword outside strings and comments that may make a Jsonnet text compute
    something (:data:`_NOT_CODE`), or None: the text is data whatever Jsonnet makes of it. Linear."""
    code = _NOT_CODE.sub(_blank, text)
    if (m := _CODE_CHARS.search(code) or _CODE_DOT_DASH.search(code)) is not None:
        return m.group(0)
    words = set(_CODE_WORD.findall(code)) & _KEYWORDS
    return min(words) if words else None


def _jsonnet(text: str, name: str, out: Targets) -> str | None:
    """Why a text (none of whose YAML readings found a code key) is Jsonnet that mlbom cannot judge,
    or None. Named ``.jsonnet``/``.libsonnet``: jsonargparse's ``jsonnet_load`` evaluates it (and only
    when that fails reads it as YAML), so anything beyond data YAML reads the same
    (:func:`_jsonnet_computes`) is computed. Any other name (``parser_mode="jsonnet"`` reads any
    ``--config``): the grammar decides (:func:`_jsonnet_program`)."""
    if name.lower().endswith(JSONNET_NAMES):
        if len(text) > MAX_JSONNET:
            return f"a Jsonnet file of over {MAX_JSONNET} characters (not lexed)"
        what = _jsonnet_computes(text)
        return None if what is None else f"a Jsonnet file holding {what}"
    return _jsonnet_program(text)


# identifiers that start no expression (they continue one)
_NOT_START = frozenset({"then", "else", "in", "for", "tailstrict"})


def _expression_start(kind: str, tok: str) -> bool:
    """Whether a token may begin a Jsonnet expression: a literal, an identifier or keyword that
    starts one (``local``, ``if``, ``assert``, ``error``, ``function``, ``import…``, ``self``,
    ``super``, ``std`` …), ``{``, ``[``, ``(``, ``$`` or a unary operator."""
    if kind in ("string", "verbatim", "block", "number"):
        return True
    if kind == "id":
        return tok not in _NOT_START
    if kind == "symbol":
        return tok in "{[("
    return kind == "op" and set(tok) <= set("-+!~$")


# identifiers that are values (else a keyword that is none: it neither ends nor starts a value)
_VALUE_WORDS = frozenset({"true", "false", "null", "self", "super", "std", "$"})


def _juxtaposed(code: list[tuple[str, str, int]]) -> bool:
    """Whether two values stand side by side: Jsonnet's grammar has no juxtaposition but object
    extension (``e {...}``), an index (``e[...]``) and a call (``e(...)``) — and a function's body
    after its parameters' ``)`` — so a table of numbers (``1367.000  184.404 +68.75``, red team 56b-3)
    or prose of words is no Jsonnet program (it refuses it: a parse error)."""
    def value(kind: str, tok: str) -> bool:
        return kind in ("number", "string", "verbatim", "block") or (
            kind == "id" and (tok in _VALUE_WORDS or tok not in _JSONNET_WORDS))

    return any((value(a[0], a[1]) or (a[0] == "symbol" and a[1] in ("]", "}"))) and value(b[0], b[1])
               for a, b in itertools.pairwise(code))


def _program_shape(code: list[tuple[str, str, int]]) -> bool:
    """Whether a lexed text shows a construct only a Jsonnet program has — ``local NAME``,
    ``function(``, ``std.``, ``import 'file'``, a text block, a verbatim string, a computed field
    name ``[…]:`` — so that a juxtaposition mlbom's lexer sees (a newer Jsonnet's syntax it splits,
    red team 58f-1: the digit separator ``1_000``) does not make it data."""
    for i, (kind, tok, _end) in enumerate(code):
        nxt = code[i + 1] if i + 1 < len(code) else ("", "", 0)
        if kind in ("verbatim", "block") or (kind == "symbol" and tok == "]" and nxt[0] == "op" and nxt[1][:1] == ":"):
            return True
        if kind == "id" and ((tok == "local" and nxt[0] == "id") or (tok == "function" and nxt[1] == "(")
                             or (tok == "std" and nxt[1] == ".")
                             or (tok in ("import", "importstr", "importbin") and nxt[0] in ("string", "verbatim"))):
            return True
    return False


def _stray_colon(code: list[tuple[str, str, int]]) -> bool:
    """Whether a ``:`` stands outside every bracket where no ``assert`` takes a message, or an ``=``
    where no ``local`` binds: Jsonnet's grammar has a ``:`` only in an object's fields, a slice and
    ``assert e : msg``, an ``=`` only in a ``local`` binding, a named argument and a parameter's
    default, so a block YAML mapping (``key: value``) or a TOML/INI line (``key = value``) is no
    Jsonnet program (it refuses it: a parse error)."""
    depth, asserting, binding = 0, False, False
    for kind, tok, _end in code:
        if kind == "symbol":
            if tok in "{[(":
                depth += 1
            elif tok in "}])":
                depth -= 1
            elif tok == ";" and depth == 0:
                asserting = binding = False
        elif depth == 0 and kind == "id" and tok in ("assert", "local"):
            asserting = asserting or tok == "assert"
            binding = binding or tok == "local"
        elif depth == 0 and kind == "op" and ((":" in tok and not asserting) or (tok == "=" and not binding)):
            return True
    return False


def _bad_index(code: list[tuple[str, str, int]]) -> bool:
    """Whether an index or slice (a ``[`` after a value) holds a ``,`` outside inner brackets: Jsonnet's
    grammar has none there (``"unexpected: "," while parsing slice"``), so a JSON-lines file of arrays
    (``[1, 2]\n[3, 4]``, one index of the other to Jsonnet) is refused, not evaluated."""
    stack: list[tuple[str, bool]] = []  # (bracket, an index's — for a "(": a function's parameter list)
    prev = ("", "")
    for kind, tok, _end in code:
        if kind == "symbol" and tok in "{[(":
            ends_value = (prev[0] in ("string", "verbatim", "block", "number") or prev[1] in ("]", "}", ")", "$")
                          or (prev[0] == "id" and prev[1] not in _BEFORE_EXPRESSION))
            stack.append((tok, (tok == "[" and ends_value) or (tok == "(" and prev[1] == "function")))
        elif kind == "symbol" and tok in "}])" and stack:
            opened = stack.pop()
            if tok == ")" and opened[1]:  # (the body of ``function(…)`` follows: an expression, red team 21b-3)
                prev = ("params", "")
                continue
        elif kind == "symbol" and tok == "," and stack and stack[-1][1]:
            return True
        prev = (kind, tok)
    return False


# every operator Jsonnet's parser takes (binary, unary, a field's, a binding's ``=``): any other operator token is
# a parse error ("Not a binary operator", "Not a unary operator", "Expected one of :, ::, …")
_JSONNET_OPS = frozenset({"*", "/", "%", "+", "-", "<<", ">>", "<", "<=", ">", ">=", "==", "!=", "&", "^", "|", "&&",
                          "||", "!", "~", ":", "::", ":::", "+:", "+::", "+:::", "="})


def _unknown_operator(code: list[tuple[str, str, int]]) -> bool:
    """Whether an operator token is none Jsonnet's parser takes (red team 119pa-7b: SpeechBrain's
    ``label_encoder.txt``, ``'spk0' => 0`` / ``================``): Jsonnet refuses the text. Its lexer takes
    a run of operator characters and winds back a trailing ``+ - ~ !`` (each then a one-character
    operator of its own): the run less those is what must be an operator."""
    for kind, tok, _end in code:
        if kind == "op":
            head = tok
            while len(head) > 1 and head[-1] in "+-~!":
                head = head[:-1]
            if head not in _JSONNET_OPS:
                return True
    return False


# keywords an expression follows (a "[" after one opens an array, no index)
_BEFORE_EXPRESSION = frozenset({"if", "then", "else", "in", "for", "local", "assert", "error", "import", "importstr",
                                "importbin", "function", "tailstrict"})


@lru_cache(maxsize=8)
def _jsonnet_program(text: str) -> str | None:
    """Why a text is a Jsonnet program that computes (judged by the grammar, red team 19b-3/20b-1/20b-2),
    or None: Jsonnet refuses it (a lexical error; no expression: a stray ``:``, unbalanced brackets, a
    first token that starts no expression; an unknown variable, :func:`_free_variable` — then
    ``jsonnet_load`` falls back to YAML, which mlbom reads) or it is data (no token that evaluates
    something, :func:`_code_feature`). Whatever it starts with: ``if``, ``assert``, ``error``, a ``std``
    call, a string, a parenthesis are programs as much as an object is. A text with neither a
    Jsonnet feature (:data:`_JSONNET_FEATURES`) nor a computing character (:func:`_code_hint`) is data
    without lexing; one over :data:`MAX_JSONNET` characters is not lexed: with a feature, or starting
    like an object config, it fails closed."""
    found = _jsonnet_feature(text)
    hint = found if found is not None else _code_hint(text)
    if hint is None:
        return None
    if len(text) > MAX_JSONNET:
        if found is not None or _jsonnet_start(text):
            return f"{hint.strip()[:40]!r}; over {MAX_JSONNET} characters, not lexed"
        return None
    if _refused_unlexed(text):
        return None
    tokens, _error = _jsonnet_lex(text)
    if tokens is None:  # a lexical error (the lexer is Jsonnet's own): Jsonnet refuses the text
        return None
    code = [t for t in tokens if t[0] != "comment"]
    if (not code or not _expression_start(code[0][0], code[0][1]) or not _balanced(code) or _stray_colon(code)
            or _bad_index(code) or _unknown_operator(code) or (_juxtaposed(code) and not _program_shape(code))
            or any(t[1] == "." and (i == 0 or code[i - 1][0] == "op" or code[i - 1][1] in "{[(,;")
                   for i, t in enumerate(code))):  # (a field access after no value: a parse error)
        return None
    what = _escaped_code(code) or _code_feature(code)
    if what is not None and _free_variable(code) is not None:
        return None
    return what


_KEYWORDS = frozenset({"local", "import", "importstr", "importbin", "function", "self", "super", "if", "for",
                       "assert", "error", "std", "$"})


def _code_feature(code: list[tuple[str, str, int]]) -> str | None:
    """The first token of a lexed Jsonnet text that evaluates something (a keyword, an operator
    other than a field's ``:`` or a number's sign, a call, a field access, a computed field name, an
    index or a slice, a string Jsonnet decodes otherwise than YAML), or None: a text of data only,
    which Jsonnet either reads as YAML does or refuses (then ``jsonnet_load`` falls back to YAML)."""
    open_: list[str] = []
    prev = ""
    for i, (kind, tok, _end) in enumerate(code):
        nxt = code[i + 1] if i + 1 < len(code) else ("", "", 0)
        found = ((kind == "id" and tok in _KEYWORDS and nxt[1] != ":") or kind in ("verbatim", "block")
                 or (kind == "string" and tok[0] == "'" and "\\" in tok)
                 or (kind == "op" and tok != ":" and not (tok == "-" and nxt[0] == "number"))
                 or (kind == "symbol" and tok in "().;")
                 or _indexes(tok, prev, open_[-1] if open_ else ""))
        if found:
            return f"{tok[:40]!r}"
        if kind == "symbol" and tok in "{[":
            open_.append(tok)
        elif kind == "symbol" and tok in "}]" and open_:
            open_.pop()
        prev = tok
    return None


# Jsonnet's keywords (the language reference) and the one predefined variable: never a free variable
_JSONNET_WORDS = frozenset({"assert", "else", "error", "false", "for", "function", "if", "import", "importstr",
                            "importbin", "in", "local", "null", "tailstrict", "then", "self", "super", "true", "std",
                            "$"})


def _free_variable(code: list[tuple[str, str, int]]) -> str | None:
    """An identifier of a lexed Jsonnet text that is surely a variable no binding declares, or None.
    Jsonnet checks variables statically, so such a text is refused before anything is evaluated (and
    ``jsonnet_load`` reads it as YAML instead). Scope is ignored and every place that may bind a name
    counts as binding it — ``for NAME in``, ``local NAME =``/``local NAME(``, before ``=``, and any name
    between ``(``/``,`` and ``,``/``)``/``=`` (a parameter; a call's argument is counted too); a word
    after ``for`` or ``local`` that binds nothing in the grammar binds nothing here (prose: "used for
    classification" would otherwise bind every word that ever follows "for") — and a name is an expression
    only where it is no field name (before ``:``, ``::``, ``:::``, ``+:``…), no field access (after
    ``.``) and no method field (before ``(`` where a field name stands): any doubt makes the text
    Jsonnet (fail closed)."""
    bound: set[str] = set()
    for i, (kind, tok, _end) in enumerate(code):
        if kind != "id":
            continue
        prev = code[i - 1][1] if i else ""
        nxt = code[i + 1][1] if i + 1 < len(code) else ""
        if ((prev == "for" and nxt == "in") or (prev == "local" and nxt in ("=", "(")) or nxt == "="
                or (prev in ("(", ",") and nxt in (",", ")", "="))):
            bound.add(tok)
    for i, (kind, tok, _end) in enumerate(code):
        if kind != "id" or tok in _JSONNET_WORDS or tok in bound:
            continue
        prev = code[i - 1][1] if i else ""
        after = code[i + 1] if i + 1 < len(code) else ("", "", 0)
        if (prev == "." or (after[1] == "(" and prev in ("{", ",", ""))
                or (after[0] == "op" and after[1].lstrip("+").startswith(":"))):
            continue
        return tok
    return None


def _escaped_code(code: list[tuple[str, str, int]]) -> str | None:
    """A single-quoted string with an escape that Jsonnet decodes (as JSON escapes) into text naming
    code (:func:`may_name_targets`) — YAML keeps the backslash, so its reading of a mapping holds
    another key than Jsonnet's (``{'class\\u005fpath': …}``) — described, or None. Read from the
    lexed string tokens (no regex over the text: red team 21b-7)."""
    for kind, tok, _end in code:
        if kind != "string" or tok[0] != "'" or "\\" not in tok:
            continue
        try:
            decoded = json.loads('"' + tok[1:-1].replace("\\'", "'").replace('"', '\\"') + '"')
        except ValueError:
            continue
        if isinstance(decoded, str) and may_name_targets(decoded):
            return f"{tok[:60]!r}, which Jsonnet decodes to {decoded[:60]!r}"
    return None


def _balanced(tokens: list[tuple[str, str, int]]) -> bool:
    pairs = {"}": "{", "]": "[", ")": "("}
    stack: list[str] = []
    for kind, tok, _end in tokens:
        if kind != "symbol":
            continue
        if tok in "{[(":
            stack.append(tok)
        elif tok in pairs and (not stack or stack.pop() != pairs[tok]):
            return False
    return not stack


def _toml(text: str) -> dict[str, object] | None:
    """The TOML document of a text (``tomllib``, as jsonargparse reads it), or None."""
    try:
        check_toml_keys(text, "<toml>")  # tomllib is quadratic in the parts of one key (83c-4)
        doc: dict[str, object] = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError, MemoryError):  # InputError is a ValueError
        return None
    return doc


def _key_spelling(keys: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(re.escape(k) for k in (*MARKERS, *INIT_ARGS, *keys))
    return re.compile(rf"""(?<![\w.])["']?({words})["']?[ \t]*[:=]""")


def code_keys(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The code keys (:data:`MARKERS`, :data:`INIT_ARGS`, ``extra``) a text spells in a key's place
    (followed by ``:`` or ``=``), and ``pyref`` (fiddle) anywhere, each once, in order."""
    found: list[str] = []
    for m in _key_spelling(extra).finditer(text):
        if m.group(1) not in found:
            found.append(m.group(1))
    if "pyref" in text:
        found.append("pyref")
    return found


_LITERAL = re.compile(r"""(["'])((?:(?!\1)[^\\\n]){1,400})\1""")


def _literals(text: str, out: Targets, extra: tuple[str, ...]) -> None:
    """The literal targets visible in a text no parser reads: a quoted string right after a code
    key is a target of that key's convention; a quoted deny-listed dotted path anywhere is one too
    (a ``Callable`` argument imports it)."""
    keyed = re.compile(_key_spelling(extra).pattern + r"""[ \t]*(["'])((?:(?!\2)[^\\\n]){1,400})\2""")
    for m in keyed.finditer(text):
        key, value = m.group(1), m.group(3)
        if key in INIT_ARGS:
            continue
        if "." in value or key not in NEMO_KEYS:  # (a NeMo ``target`` without a dot is no class path)
            out.add(value, HYDRA if key in (KEY, *extra) else JSONARGPARSE)
    for m in _LITERAL.finditer(text):
        value = m.group(2).strip()
        if _DOTTED.fullmatch(value) and _why_dangerous(value) is not None and not _no_such_stdlib_name(value):
            out.add(value, JSONARGPARSE)


def _no_such_stdlib_name(path: str) -> bool:
    """Whether a quoted dotted path found in a text no parser reads names nothing: a top-level
    stdlib module that a module-wide deny entry (``platform.*``) covers, and a first attribute its
    source does not bind (:func:`~mlbom.formats.stdlib_names.binds`), so ``import_object``/``_locate``
    raise before anything is called (red team 56b-1: ``'platform.keybindingsRegistry'`` in a 6.5 MB
    JavaScript bundle was ``unsafe``). An entry naming the attribute itself (``platform.popen``:
    Pythons before 3.8 have it) still counts."""
    from mlbom.formats import pickle as pickle_fmt

    parts = path.split(".")
    pol = pickle_fmt.policy()
    if len(parts) < 2 or f"{parts[0]}.*" not in pol.deny or path in pol.aliases or parts[-1] in pol.deny_names:
        return False
    if any(".".join(parts[:j]) in pol.deny for j in range(2, len(parts) + 1)):
        return False
    return stdlib_names.binds(parts[0], parts[1]) is False


def json_targets(doc: object, *, budget: EventBudget | None = None, depth: int = 0) -> Targets:
    """The targets of a parsed JSON document: its mappings holding a key of :data:`MARKERS` or
    :data:`INIT_ARGS` (Hydra, jsonargparse, Lightning) or a fiddle ``"type": "pyref"``, at any
    depth, and the interpolations of every string in it (OmegaConf reads JSON too: YAML is a
    superset, and ``instantiate`` resolves a plain dict). The document is in memory already: a walk
    of it is bounded by it (each container once: a pickle's data may share one, or hold itself).
    ``budget``/``depth``: a document parsed out of a string value of another text (its budget, its
    depth: :meth:`Targets._nested`)."""
    out = Targets(budget=budget or EventBudget(), depth=depth)
    # each item with its place as a linked list (parent's place, key): a path is spelled out only
    # for a target that needs it (:meth:`Targets.settle`), so a deep document costs no more than a flat one
    stack: list[tuple[object, _Place]] = [(doc, None)]
    walked: set[int] = set()
    while stack:
        item, place = stack.pop()
        if isinstance(item, (dict, list)):
            if id(item) in walked:
                continue
            walked.add(id(item))
        if isinstance(item, dict):
            for key in MARKERS:
                if key in item:
                    _json_target(out, item[key], HYDRA if key == KEY else JSONARGPARSE, place)
            if any(k in item for k in INIT_ARGS):
                out.kind(JSONARGPARSE)
            if isinstance(mm := item.get(TYPE_KEY), str):  # mmengine's registry key (112pa-4)
                out.mm_type(mm)
            if place is None:
                for k in item:
                    out.top_key(k if isinstance(k, str) else None)
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
            out.value(item, place)
            out.custom_import(item, place)
            out.mm_scope(item, place)
            if "${" in item and depth == 0 and _node_parts(item) is not None:
                out.pend((item, _VALUE, place[0] if place is not None else None, 0, False))
    out.settle(lambda n: doc if n == 0 else None)
    return out.finish()


def _json_target(out: Targets, value: object, kind: str, place: _Place) -> None:
    if isinstance(value, str):
        out.target(value, kind, place)
    else:
        out.add(value, kind)


class _Unknown:
    """A value of a pickle's data that is no plain data (a call's result, an object): never a
    literal target (judged computed where a target key holds it)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "a value built at load time"


_UNKNOWN_VALUE = _Unknown()


def _dict_sources(v: object) -> list[pickle_values.Dct] | None:
    """The dicts whose str-keyed items a pickle value holds as a mapping: a dict itself, or an
    object holding items or attributes — an OrderedDict or AttributeDict filled by SETITEMS, a
    Namespace/DictConfig-like object whose BUILD state became its attributes (Lightning copies
    hyper-parameters from any mapping: red team 14a-1); None for anything else."""

    if isinstance(v, pickle_values.Dct):
        return [v]
    if isinstance(v, pickle_values.Call) and (v.mapping is not None or v.dicts):
        return ([v.mapping] if v.mapping is not None else []) + list(v.dicts or ())
    return None


def pickle_targets(value: object, plain_out: list[object] | None = None) -> Targets | None:
    """Config targets carried as a pickle's data (12d-4): a Lightning checkpoint's
    ``hyper_parameters`` (and ``hparams``, ``datamodule_hyper_parameters``, a NeMo/Hydra model's
    ``cfg``) are a config that ``load_from_checkpoint`` hands to LightningCLI's ``_instantiator``
    (jsonargparse: every nested ``class_path`` imported and called) or to the model's Hydra
    ``instantiate``. The plain data the pickle walk rebuilt (``value``: its dicts with str keys,
    lists, tuples, sets, strings, numbers, and objects holding items or attributes read as dicts
    (:func:`_dict_sources`); any other value unknown) is judged anywhere in it like a parsed JSON
    config (:func:`json_targets`). None when it holds no target key, no ``${`` and no
    container mlbom could not keep (then there is nothing to judge). Linear in the data the walk
    kept (each container once)."""

    from mlbom.formats import pickle as pickle_fmt

    plain: dict[int, object] = {}
    found = False
    lost = False
    # build bottom-up without recursion: (value, its plain container to fill, or None: the root)
    root: list[object] = [None]
    todo: list[tuple[object, dict[str, object] | list[object], str | int]] = [(value, root, 0)]
    while todo:
        v, into, key = todo.pop()
        got: object
        if isinstance(v, (str, int, float)) and not isinstance(v, bool):
            got = v
            found = found or (isinstance(v, str) and pickle_values.INTERPOLATION in v)
        elif isinstance(v, bool):
            got = v
        elif isinstance(v, pickle_values.Call) and (text := pickle_fmt.loader_text(v)) is not None:
            # a str made at load time (str(b'${eval:…}', 'ascii'), numpy.str_): the text when mlbom
            # can tell it, else not checked (111pa-4)
            if isinstance(text, str):
                got = text
                found = found or pickle_values.INTERPOLATION in text
            else:
                lost = True
                got = _UNKNOWN_VALUE
        elif (sources := _dict_sources(v)) is not None:
            if id(v) in plain:
                got = plain[id(v)]
            elif isinstance(v, pickle_values.Dct) and v.items is None:
                lost = True
                got = _UNKNOWN_VALUE
            else:
                d: dict[str, object] = {}
                plain[id(v)] = got = d
                for src in sources:
                    if src.items is None:
                        lost = True
                        continue
                    for i, x in enumerate(src.loose or ()):
                        # a key built at load time (str(b"_target_", "ascii"), numpy.str_) may be a target
                        # key: Hydra's "_target_" in x finds it (red team 109pa-1). A text value under one
                        # may be a target's: not checked to the end; any other value is walked like the
                        # rest (a config nested under it is judged; a vocabulary's numbers are nothing)
                        if isinstance(x, (str, pickle_values.Text)) or (
                                isinstance(x, pickle_values.Call) and pickle_fmt.loader_text(x) is not None):
                            lost = True  # (a str made at load time too: 111pa-4)
                        else:
                            built = f"\x00built key {i}"  # (no target key is spelled so)
                            d[built] = None
                            todo.append((x, d, built))
                    for k, item in src.items.items():
                        if isinstance(k, str):
                            found = found or k in pickle_values.TARGET_KEYS
                            d[k] = None
                            todo.append((item, d, k))
        elif isinstance(v, pickle_values.Seq):
            if id(v) in plain:
                got = plain[id(v)]
            elif v.items is None:
                lost = True
                got = _UNKNOWN_VALUE
            else:
                seq: list[object] = [None] * len(v.items)
                plain[id(v)] = got = seq
                todo.extend((item, seq, i) for i, item in enumerate(v.items))
        else:
            got = None if isinstance(v, pickle_values.Opaque) and v.what == "None" else _UNKNOWN_VALUE
        if isinstance(into, list):
            into[int(key)] = got
        else:
            into[str(key)] = got
    if plain_out is not None:
        plain_out.append(root[0])  # the plain data, for the other config readers (a YOLO model's yaml: 115pa-5)
    arch = _pyannote_architecture(root[0])
    if not found and not lost and arch is None:
        return None
    out = json_targets(root[0])
    if arch is not None:
        out.kind(PYANNOTE)
        if isinstance(arch, str):
            out._once("paths", arch)
        else:
            out.odd(arch[0])
    if lost:
        out.bounded = "the pickle holds containers whose items mlbom did not keep (past its bounds, or filled at " \
            "load time from a value mlbom cannot read, or keyed by strings built at load time): the rest of its data " \
            "not checked"
    return out


def _pyannote_architecture(root: object) -> str | tuple[str] | None:
    """The class a pyannote.audio checkpoint names (red team 119pa-6): ``Model.from_pretrained``
    (core/model.py) loads the checkpoint, runs ``import_module(ckpt["pyannote.audio"]["architecture"]["module"])``
    and ``getattr`` of its ``class``, then ``Klass.load_from_checkpoint``: the dotted path ``module.class``
    (the module alone when the class is no string); a ``(description,)`` when the module is no plain string
    (computed); None when the data has no such shape."""
    meta = root.get("pyannote.audio") if isinstance(root, dict) else None
    arch = meta.get("architecture") if isinstance(meta, dict) else None
    if not isinstance(arch, dict) or "module" not in arch:
        return None
    module, cls = arch.get("module"), arch.get("class")
    if not isinstance(module, str):
        return (f"a pyannote.audio architecture module that is {module!r:.100}",)
    return f"{module.strip()}.{cls.strip()}" if isinstance(cls, str) and cls.strip() else module.strip()


# a finding about the targets (its message without the place): the format readers' type, mlbom.model


def _with_risks(modules: list[str]) -> str:
    """Modules a config imports, each with what importing it does where that is known
    (:func:`import_risk`), as a finding's message lists them."""
    return _shown([repr(m) + (f" ({r})" if (r := import_risk(m)) else "") for m in modules])


def _shown(items: list[str]) -> str:
    return first_of(items, MAX_SHOWN)


def _why_dangerous(path: str, pol: pickle_fmt.Policy | None = None) -> str | None:
    """The deny-list reason for a target (``_locate``, ``import_object`` and ``import_symbol``
    resolve it like a pickle global: module first, then attributes), a dunder step, or None.
    ``pol``: the deny list to judge by (default: the pickle judge's)."""
    from mlbom.formats import pickle as pickle_fmt

    p = path.strip()
    # the pre-check is exact for the pickle judge's list, and ``pol`` is that list or a part of it
    if "." in p and "__" not in p and not _may_be_denied(p.split(".")):
        return None
    why = pickle_fmt.danger(p, pol) or ("." not in p and pickle_fmt.danger(f"builtins.{p}", pol)) or None
    if why is None and _dunder_step(p.split(".")):
        why = "walks a dunder attribute (reaches interpreter internals)"
    return why


_PROGRAMS = frozenset({"__main__", "__mp_main__"})  # the running program (multiprocessing's name for it in a child)
_FILE_SUFFIXES = frozenset({"py", "pyc", "pyw", "pyi"})


def _dunder_step(parts: list[str]) -> bool:
    """Whether a dotted path walks a dunder attribute: a part after the first, an attribute fetched by
    ``getattr`` (``x.__class__``, ``m.__builtins__``, ``f.__globals__``), or any walk from the running
    program (``__main__``, ``__mp_main__``): its globals are whatever the script imported under whatever
    name (``__main__.sp.check_output`` is ``subprocess.check_output`` after ``import subprocess as sp``,
    red team 51f-1), so no deny list sees what they reach — but the file names ``__main__.py``.
    Any other dunder first part is the module ``_locate``/``import_object`` imports, a module name like
    any other (``__init__.py`` listed in a config, torchgen's ``autogen: __lshift__.Scalar_out``: ``unsafe``
    before), judged by the deny list as any module is."""
    if parts[0] in _PROGRAMS and len(parts) > 1 and not (len(parts) == 2 and parts[1] in _FILE_SUFFIXES):
        return True
    return any(pickle_values.is_dunder(s) for s in parts[1:])


# whole packages the pickle deny list holds for the nested loads their objects make when unpickled: their
# dotted names are how model configs name their own parts (a Keras config's ``"module": "keras.layers"``),
# so a plain string naming one is no target by that whole-package entry alone
_MODEL_PACKAGES = frozenset({"keras", "tensorflow", "h5py", "huggingface_hub"})


@lru_cache(maxsize=1)
def _bare_policy() -> pickle_fmt.Policy:
    """The pickle judge's deny list without the whole-package entries of :data:`_MODEL_PACKAGES`."""
    from mlbom.formats import pickle as pickle_fmt

    pol = pickle_fmt.policy()
    whole = {f"{m}.*" for m in _MODEL_PACKAGES}
    return dataclasses.replace(pol, deny={k: v for k, v in pol.deny.items() if k not in whole})


def _bare_danger(path: str) -> str | None:
    """The deny-list reason for a plain dotted string found in a config with no code key (18b-1):
    jsonargparse's ``Callable``/class-typed arguments ``import_object`` it. :func:`_why_dangerous`
    by the deny list less the whole-package entries of :data:`_MODEL_PACKAGES` — so a name there is
    exempt only when that entry is the only reason: every other entry still matches where the pickle
    judge matches it in an attribute path (``h5py._hl.files.os.system`` reaches ``os.system`` by
    ``getattr``: an ``anywhere`` module, red team 19b-1), and so do a denied final name and a dunder step."""
    return _why_dangerous(path, _bare_policy())


_DOTTED_AT = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


_ROOTS: list[tuple[str, ...]] = []


def _deny_roots() -> tuple[str, ...]:
    """The first parts of the deny list's entries (and the modules it matches anywhere in a path)."""
    from mlbom.formats import pickle as pickle_fmt

    if not _ROOTS:
        pol = pickle_fmt.policy()
        _ROOTS.append(tuple(sorted({k.split(".", 1)[0] for k in pol.deny} | set(pol.anywhere) | {"builtins"}
                                   | {k.split(".", 1)[0] for k in pol.aliases})))
    return _ROOTS[0]


_DENY_PARTS: list[tuple[frozenset[str], frozenset[str], frozenset[str]]] = []


def _may_be_denied(parts: list[str]) -> bool:
    """Whether the deny list may deny a dotted path of these parts (two or more), by what
    :func:`mlbom.formats.pickle.danger` needs: its last part a denied final name or the last part of
    an exact entry, or a part (or two parts running) that a wildcard entry (``os.*``,
    ``torch.hub.*``) starts with. False: ``danger`` says None (40,000 dotted values of a 1 MB config
    checked at a tenth of its cost)."""
    from mlbom.formats import pickle as pickle_fmt

    if not _DENY_PARTS:
        pol = pickle_fmt.policy()
        wild = [k[:-2].split(".") for k in pol.deny if k.endswith(".*")]
        _DENY_PARTS.append((frozenset(k.rsplit(".", 1)[-1] for k in pol.deny if not k.endswith(".*"))
                            | frozenset(pol.deny_names) | frozenset(k.rsplit(".", 1)[-1] for k in pol.aliases),
                            frozenset(w[0] for w in wild if len(w) == 1),
                            frozenset(f"{w[0]}.{w[1]}" for w in wild if len(w) > 1)))
    last, one, two = _DENY_PARTS[0]
    return (parts[-1] in last or not one.isdisjoint(parts)
            or any(f"{a}.{b}" in two for a, b in itertools.pairwise(parts)))


_AFTER_DOT = re.compile(r"\.(\w{1,64})")  # a literal first character: scanned at C speed


def names_denied(text: str, judged: Callable[[str], str | None] = _bare_danger) -> bool:
    """Whether a text holds a dotted word that the deny list denies as a plain string
    (:func:`_bare_danger`). Linear: the words next to a dot are collected at C speed (the word
    before a dot as the word after it in the reversed text); only where one is a deny-list root, a
    denied final name or a dunder is the whole dotted word around it judged, each distinct word once.
    The word is taken from at most 400 characters before the needle: a longer one is judged from
    there on, a suffix holding the needle — which the deny list denies wherever the whole word is
    denied for that needle (the needle's entry starts the suffix, or is an ``anywhere`` module, a final
    name or a dunder in it), so the bound only ever says True more often (this is a pre-filter: the
    whole value is judged by :meth:`Targets.value`, at any length)."""
    from mlbom.formats import pickle as pickle_fmt

    if "." not in text:
        return False
    names = pickle_fmt.policy().deny_names
    roots = {w[::-1] for w in set(_AFTER_DOT.findall(text[::-1]))} & set(_deny_roots())
    if not roots and "__" not in text and not any(w in names for w in set(_AFTER_DOT.findall(text))):
        return False
    needles = [f"{r}." for r in sorted(roots)] + [f".{n}" for n in sorted(names)] + ["__"]
    seen: set[str] = set()
    for needle in needles:
        at = text.find(needle)
        while at >= 0:
            start = at
            while start > 0 and text[start - 1] in _WORD_CHARS and at - start < 400:
                start -= 1
            while start < at and not (text[start].isalpha() or text[start] == "_"):
                start += 1
            w = _DOTTED_AT.match(text, start)
            if w is not None and w.group(0) not in seen:
                seen.add(w.group(0))
                if judged(w.group(0)) is not None:
                    return True
            at = text.find(needle, max(at + 1, w.end() if w is not None else 0))
    return False


# the code keys a text or string must spell (plainly) to name a target by key
_CODE_WORDS = (*MARKERS, *INIT_ARGS, "pyref", CUSTOM_IMPORTS)
# a string a loader may parse into a mapping or list: YAML (``key:``, flow ``{``/``[``, ``- ``, ``? ``)
# or TOML (``key =``, ``[table]``). A block sequence's ``-`` starts a line after any of YAML's line
# breaks (PyYAML's reader and libyaml: ``\r``, ``\n``, NEL, U+2028, U+2029) or the stream's start,
# where a BOM is skipped (red team 19b-2: ``"\r- os.system"`` is a list for jsonargparse); a BOM or
# break anywhere is allowed for (a wider shape only parses more strings)
_NESTED_SHAPE = re.compile(r"[:={\[?]|(?:^|[\r\n\x85\u2028\u2029])[\ufeff \t]*-")


def may_name_targets(text: str) -> bool:
    """Whether a text may name a config target when a loader reads it (a file, or a string value
    jsonargparse parses again): a code key of :data:`_CODE_WORDS` spelled, an escape that may spell
    one (a backslash with a double quote: YAML's and TOML's escaping strings), an interpolation, or a
    dotted word the deny list denies (a plain dotted string a ``Callable`` argument imports: 18b-1,
    :func:`names_denied`), a dictConfig ``cfg://`` reference (21b-1: a factory taken from another node) or
    ``ext://`` import (26b-2), or a
    dictConfig factory or class (:func:`dictconfig_shape`).
    Any text it says False for holds none of them; linear."""
    return (("\\" in text and '"' in text) or "${" in text or any(k in text for k in _CODE_WORDS)
            or "cfg://" in text or "ext://" in text or dictconfig_shape(text) or names_denied(text)
            or names_denied_type(text))


def dictconfig_shape(text: str) -> bool:
    """Whether a text may hold a logging dictConfig factory (a ``()`` key) or ``class`` of a handler,
    formatter or filter (red team 23b-4: judged like a Hydra target, :meth:`Targets.value`); linear."""
    return "()" in text or ("class" in text and any(k in text for k in ("handlers", "formatters", "filters")))


def string_names_code(value: str) -> bool:
    """Whether a string value of a parsed document (JSON, TOML) may name code by itself: a dotted
    path the deny list denies (:func:`_bare_danger`) or a config inside it (:meth:`Targets._nested`);
    a document with no such string and no code key needs no target walk."""
    if _LOG_CONVERTED.match(value) is not None:  # a dictConfig ``ext://`` import or ``cfg://`` reference (26b-2)
        return True
    if _DOTTED.fullmatch(value.strip()):  # any length (red team 19b-4: Hydra's ``_locate`` walks any number of steps)
        return _bare_danger(value) is not None
    return len(value) >= 4 and _NESTED_SHAPE.search(value) is not None and may_name_targets(value)


def type_denied(value: object) -> str | None:
    """Why a mapping's ``type`` value is a dangerous mmengine target (red team 112pa-4), or None:
    a dotted path the deny list denies (:func:`_why_dangerous`, the full list a ``_target_`` is
    judged by). ``get_object_from_string`` imports any dotted path ``Registry.get`` finds in no
    registry and ``build_from_cfg`` calls it with the mapping's other keys; a name without a dot is
    a registry's (``ResNet``, ``BPE``, ``object``), and a non-denied dotted one (``mmdet.ResNet``, a
    scope and a registry name) is not judged."""
    if not isinstance(value, str) or len(value) > MAX_VALUE or not _DOTTED.fullmatch(v := value.strip()):
        return None
    return _why_dangerous(v)


def names_denied_type(text: str) -> bool:
    """Whether a text may give a ``type`` key a dotted value the full deny list denies
    (:func:`type_denied`; :func:`names_denied` judges by the list less the model packages): a
    pre-filter, linear."""
    return TYPE_KEY in text and names_denied(text, _why_dangerous)


def _runs_code(resolver: str) -> bool:
    from mlbom.formats import pickle as pickle_fmt

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
    if targets.imports:
        out.append(Judged("code.remote", "high", "logging dictConfig value 'ext://NAME' imports a module this scan "
                          f"did not judge: {_shown([repr(m) for m in targets.imports])} (BaseConfigurator.convert "
                          "resolves every value it reads: the module's top-level code runs when the config is "
                          "applied)", "suspicious"))
    if targets.modules:
        out.append(Judged("code.remote", "high", "mmengine custom_imports names modules this scan did not judge: "
                          f"{_with_risks(targets.modules)}"
                          " (Config.fromfile imports them with "
                          "import_custom_modules=True, its default: their top-level code runs when the config "
                          "is loaded)", "suspicious"))
    if targets.scopes:
        out.append(Judged("code.remote", "high", "mmengine scope names modules this scan did not judge: "
                          f"{_with_risks(targets.scopes)}"
                          " (a _scope_, default_scope, runner_type or dotted type: mmengine's Registry imports "
                          "'<scope>.registry' — registry/registry.py switch_scope_and_registry / get — so the "
                          "package's top-level code runs when the config is built)", "suspicious"))
    out.extend(Judged("config.logging", sev, msg, effect) for sev, msg, effect in targets.logging)
    if targets.env:
        out.append(Judged("config.env-read", "info", "OmegaConf interpolation reads environment variables into "
                          f"the config: {_shown([repr(v) for v in targets.env])} (oc.env)", None))
    if targets.unread is not None:
        out.append(Judged("config.unparsed-targets", "high", f"config targets that cannot be judged: {targets.unread}; "
                          f"{loader} imports and calls what they name", "suspicious"))
    if targets.bounded is not None:
        out.append(Judged("code.remote", "high", f"config targets not checked to the end ({targets.bounded}): "
                          f"{loader} may import and call code this scan did not see", "suspicious"))
    return out
