"""Files and modules a framework config pulls in when it is loaded, read from the document as the
loader builds it (red team 116pa-2, -3, -5).

* **detectron2 / fvcore** ``_BASE_``: ``CfgNode.load_yaml_with_base`` reads the top-level ``_BASE_``
  string, expands a leading ``~``, keeps an absolute path or an ``http(s)://`` URL as it is and joins
  anything else to the config's folder (``..`` and ``.git/`` kept), then loads that file the same way —
  with ``yaml.unsafe_load`` when ``allow_unsafe`` (detectron2's ``merge_from_file`` default: True).
* **mmengine** ``_base_``: ``Config._file2dict`` reads the top-level ``_base_`` (a string or a list of
  them) of a ``.py``/``.json``/``.yaml`` config; ``Config._get_cfg_path`` joins each to the config's folder
  (``pkg::path``: a config of an installed package) and loads it — a ``.py`` base is executed
  (``eval(compile(...))``), a YAML one read with PyYAML's full ``Loader``.
* **mmengine** ``custom_imports``: ``Config.fromfile`` imports every module the merged document's top-level
  ``custom_imports['imports']`` names. PyYAML resolves aliases and ``<<`` merge keys before mmengine sees
  the mapping, and mmengine rewrites the raw text first: ``{{ _base_.x }}`` becomes a placeholder string
  that takes the base config's value ``x`` after parsing (``_pre_substitute_base_vars`` /
  ``_substitute_base_vars``).
* **Hydra** ``hydra.searchpath`` (red team 117pa-6): ``ConfigLoaderImpl._process_config_searchpath`` reads the
  primary config's ``hydra.searchpath`` (a list of strings, ``OmegaConf.select``: interpolations resolved),
  appends each entry to the config search path (``file://PATH`` or a plain path: a folder joined to the
  working directory; ``pkg://MODULE``: ``importlib.resources.files`` imports that package; any other scheme:
  a config-source plugin) and composes the ``defaults`` list from every source.
* **Hydra** ``hydra.job.env_set`` (red team 122pa-2): ``hydra/core/utils.py`` ``run_job`` runs the task inside
  ``env_override(hydra_cfg.hydra.job.env_set)`` (``os.environ.update``: schema ``JobConf.env_set: Dict[str, str]``),
  so every variable it names is set while the task runs. Read as ``hydra.searchpath`` is (interpolations:
  described, merge keys followed), at ``hydra.job.env_set`` and — a group file of ``hydra/job`` (package
  ``hydra.job``, the group's default) or of ``hydra`` — at a top-level ``env_set`` or ``job.env_set`` (and the
  whole document under ``# @package hydra.job.env_set``). ``env_copy`` copies variables of the launching
  environment into ``env_set`` (``config_loader_impl.py``): it chooses no value, and is not read.
* **Hydra** ``defaults``: each entry (``path``, ``group: option``, ``group: [options]``, with ``optional``/
  ``override`` keywords and ``@package``) names ``group/option`` relative to a search-path root;
  ``FileConfigSource`` joins it with ``os.path.join`` and ``realpath`` — so ``//abs`` (one ``/`` is the root's
  own "absolute") and a ``..`` part (refused only from Hydra 1.4) leave the root.
* **jsonargparse / LightningCLI** (117pa-7): ``parse_value_or_config`` reads a string given for a class-,
  subclass- or dataclass-typed argument (LightningCLI's ``model``, ``data``, ``optimizer``,
  ``lr_scheduler``, any such parameter of an ``init_args``), and ``_ActionConfigLoad`` one given for a class
  group (``trainer``), as the path of a config to load when that file exists (relative to the config
  that names it); ``ActionConfigFile`` does the same for a ``config`` key; ``__include__`` (a path or a
  list, at any level; newer releases, with ``config_include_enabled``) loads the configs it names. Read
  in a config that is evidently jsonargparse's (a ``class_path``/``init_args``/``dict_kwargs`` key, a
  top-level LightningCLI key): ``__include__`` values, the string values of those top-level keys, and any
  string value that names a config file (``.yaml``/``.yml``/``.json``/``.jsonnet``) under a key not named
  as a data path (``…_file``, ``…_path``, ``…_dir``: a ``str``/``Path`` argument, never loaded) — an
  absolute ``.json`` there is taken as a data file (``/data/coco/labels.json``).

:func:`from_yaml` and :func:`from_doc` read a YAML text (composed, never constructed; aliases shared,
merge keys followed — every candidate value of a key counts, not only the one PyYAML keeps: fail
closed) or a parsed JSON document, and return :class:`Includes`. Deciding what leaves the scan is the
caller's (:func:`mlbom.formats.paths.leave_reason`, the folder walk)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml

from mlbom.formats.yaml_tags import composed, known_to_differ, loaders
from mlbom.limits import MAX_PURE_YAML_CHARS

FVCORE_BASE = "_BASE_"  # detectron2 / fvcore
MM_BASE = "_base_"  # mmengine
CUSTOM_IMPORTS = "custom_imports"
KEYS = (FVCORE_BASE, MM_BASE, CUSTOM_IMPORTS)  # = config_targets.INCLUDE_KEYS (the walk that gates a read)
# mmengine ``Config._pre_substitute_base_vars``: ``{{ _base_.a.b }}`` anywhere in the raw text
BASE_VAR = re.compile(r"\{\{\s*_base_\.([\w.]+)\s*\}\}")
_MARK = "mlbomBaseVar."  # the placeholder this module puts where mmengine puts its random one
MAX_ITEMS = 10_000  # entries of one mapping (merges followed) and items of one list read
MAX_MERGE_DEPTH = 32  # merge keys followed inside merged mappings (deeper: an entry of its own, not read)
_TOO_DEEP = object()


@dataclass
class Includes:
    """``bases``: (key, value) of each base config the document names (a value that is no string: its
    description, with ``odd`` set); ``modules``: the modules ``custom_imports`` names; ``odd``: why a
    value of these keys is not read (a shape the loader fills in at load time: a base variable, a
    mapping where a name belongs)."""

    bases: list[tuple[str, str]] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    odd: list[str] = field(default_factory=list)
    # Hydra: the entries of a top-level ``hydra.searchpath`` (descriptions of those that are no string)
    searchpath: list[str] = field(default_factory=list)
    # Hydra: the config paths a top-level ``defaults`` list names (``group/option`` as Hydra joins them)
    defaults: list[str] = field(default_factory=list)
    # jsonargparse: (key, value) of each string it may load as a config (``__include__``: key "__include__")
    config_paths: list[tuple[str, str]] = field(default_factory=list)
    # pyannote.audio (red team 119pa-6): the dotted class paths a pipeline's ``pipeline.name`` and
    # ``preprocessors.*.name`` give ``get_class_by_name`` (imported, then called with ``params``)
    classes: list[str] = field(default_factory=list)
    # Hydra (red team 122pa-2): the environment variables ``hydra.job.env_set`` names (``<…>``: an env_set or
    # ``job`` node that is no literal mapping, described)
    env_set: list[str] = field(default_factory=list)
    # checkpoints a trainer loads (red team 122pa-3): (key path, value, loader) — LightningCLI's ``ckpt_path``
    # (loader ``lightning``, ``lightning+weights_only=false`` with ``weights_only: false`` beside it), mmengine's
    # ``load_from``/``resume_from``/``init_cfg.checkpoint`` (``mmengine``), NeMo's (``nemo``)
    checkpoints: list[tuple[str, str, str]] = field(default_factory=list)
    # jsonargparse/LightningCLI (red team 122pa-4): dotted strings given for a class-typed argument, which
    # jsonargparse imports as it imports a ``class_path`` (``subclass_spec_as_namespace``)
    class_strings: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.bases or self.modules or self.odd or self.searchpath or self.defaults or self.config_paths
                    or self.classes or self.env_set or self.checkpoints or self.class_strings)


def _key(node: object) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return node if isinstance(node, str) else None


def _is_merge(node: object) -> bool:
    # PyYAML's resolver takes a plain ``<<`` (and a ``!!merge`` tag) as a merge key; a quoted one is
    # counted too (fail closed: the composer here resolves no tags)
    return isinstance(node, yaml.ScalarNode) and (node.value == "<<" or node.tag.endswith(":merge"))


def _entries(node: object, depth: int = 0, seen: set[int] | None = None) -> Iterator[tuple[object, object]]:
    """The (key node, value node) entries of a mapping with its merge keys followed (every merged
    entry, explicit ones too: each candidate of a key), at most :data:`MAX_ITEMS` per mapping and
    each merged mapping once (``seen``: a mapping merged again through an alias adds no candidate,
    so a merge-key bomb costs no more than the document's size)."""
    if isinstance(node, dict):
        yield from list(node.items())[:MAX_ITEMS]
        return
    seen = set() if seen is None else seen
    if not isinstance(node, yaml.MappingNode) or id(node) in seen:
        return
    if depth > MAX_MERGE_DEPTH:  # (PyYAML follows them, recursively: not read here, so not safe)
        yield _TOO_DEEP, None
        return
    seen.add(id(node))
    for k, v in node.value[:MAX_ITEMS]:
        if _is_merge(k):
            for sub in (v.value[:MAX_ITEMS] if isinstance(v, yaml.SequenceNode) else [v]):
                yield from _entries(sub, depth + 1, seen)
        else:
            yield k, v


def _scalar(node: object) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return node if isinstance(node, str) else None


def _items(node: object) -> list[object] | None:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value[:MAX_ITEMS])
    return list(node[:MAX_ITEMS]) if isinstance(node, list) else None


def _one_or_many(node: object) -> list[object] | None:
    """A value the loaders take as one item or a list of them: its items (one for a scalar), or None
    for anything else (a mapping)."""
    return [node] if _scalar(node) is not None else _items(node)


def _too_long(node: object) -> bool:
    """A mapping or list this module reads only the first :data:`MAX_ITEMS` of (never a silent cap)."""
    items = node.value if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) else node
    return isinstance(items, (list, dict)) and len(items) > MAX_ITEMS


def _is_mapping(node: object) -> bool:
    return isinstance(node, (dict, yaml.MappingNode))


def _shown(node: object) -> str:
    s = _scalar(node)
    if s is not None and s.startswith(_MARK):
        return f"the base config's value {s[len(_MARK):]!r} ({{{{ _base_.{s[len(_MARK):]} }}}})"
    return repr(s[:200]) if s is not None else "a collection"


def _read(root: object, out: Includes, package: str = "", header: bool = False) -> None:
    """The includes of one document's root (a composed YAML node or a JSON value; ``header``: its text has a
    Hydra ``# @package`` line)."""
    if not _is_mapping(root):
        if package:
            _hydra(root, out, package)
        return
    _hydra(root, out, package)
    _jsonargparse(root, out)
    _top_checkpoint(root, out, header)
    _pyannote(root, out)
    _mmengine_checkpoints(root, out)
    _nemo_checkpoints(root, out)
    if _too_long(root):
        out.odd.append(f"a document of over {MAX_ITEMS} keys (the rest not read)")
    for k, v in _entries(root):
        if k is _TOO_DEEP:
            out.odd.append(f"merge keys (<<) nested over {MAX_MERGE_DEPTH} deep, not followed")
            continue
        key = _key(k)
        if key in (FVCORE_BASE, MM_BASE):
            s = _scalar(v)
            values = [v] if s is not None else (_items(v) if key == MM_BASE else None)
            if values is None:
                out.odd.append(f"{key} is {_shown(v)}, not a file name")
                continue
            if _too_long(v):
                out.odd.append(f"{key} lists over {MAX_ITEMS} configs (the rest not read)")
            for item in values:
                name = _scalar(item)
                if name is None or name.startswith(_MARK):
                    out.odd.append(f"{key} names {_shown(item)}, not a file name")
                elif name.strip():
                    out.bases.append((key, name))
        elif key == CUSTOM_IMPORTS:
            if not _is_mapping(v):
                s = _scalar(v)
                if s is not None and s.startswith(_MARK):
                    out.odd.append(f"custom_imports is {_shown(v)}")
                continue
            for k2, v2 in _entries(v):
                key2 = _key(k2)
                if k2 is _TOO_DEEP:
                    out.odd.append(f"custom_imports: merge keys (<<) nested over {MAX_MERGE_DEPTH} deep, not followed")
                elif key2 is None:
                    out.odd.append("custom_imports has a key that is no string")
                elif key2 == "imports":
                    items = _one_or_many(v2)
                    if items is None:
                        out.odd.append(f"custom_imports.imports is {_shown(v2)}")
                        continue
                    if _too_long(v2):
                        out.odd.append(f"custom_imports.imports lists over {MAX_ITEMS} modules (the rest not read)")
                    for item in items:
                        m = _scalar(item)
                        if m is None or m.startswith(_MARK):
                            out.odd.append(f"custom_imports.imports holds {_shown(item)}")
                        elif m.strip():
                            out.modules.append(m.strip()[:200])


# pyannote.audio's Pipeline.from_pretrained (core/pipeline.py): the top-level keys whose ``name`` it imports, and
# the module ``get_class_by_name`` takes a name without a dot from
PYANNOTE_KEYS = {"pipeline": "pyannote.pipeline.blocks", "preprocessors": "pyannote.audio"}
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_IDENT = re.compile(r"[A-Za-z_]\w*")


def _pyannote(root: object, out: Includes) -> None:
    """The classes a pyannote.audio pipeline config names (red team 119pa-6): ``Pipeline.from_pretrained``
    runs ``get_class_by_name(config["pipeline"]["name"])`` and, for each ``preprocessors`` entry that is a
    mapping, ``get_class_by_name(entry["name"])`` (``importlib.import_module`` of the dotted path's module,
    ``getattr`` of its last part), then calls the class with ``params``. Only those exact shapes: a dotted
    ``name`` there, or a bare one (a class of pyannote's default module) beside ``params``; any other
    ``name`` key is data."""
    for k, v in _entries(root):
        key = _key(k)
        if key not in PYANNOTE_KEYS or not _is_mapping(v):
            continue
        entries = [v] if key == "pipeline" else [e for _k2, e in _entries(v) if _is_mapping(e)]
        for entry in entries:
            # every candidate of ``name`` (red team 120y-3: PyYAML puts merged pairs before the explicit ones, so
            # an explicit ``name`` beside ``<<: {name: "-"}`` is the one pyannote imports; a dict of the
            # candidates kept the last, the merged one)
            pairs = [(_key(k2), v2) for k2, v2 in _entries(entry)]
            has_params = any(k2 == "params" for k2, _v2 in pairs)
            for k2, v2 in pairs:
                name = _scalar(v2) if k2 == "name" else None
                if name is None:
                    continue
                name = name.strip()
                if _DOTTED.fullmatch(name):
                    out.classes.append(name[:200])
                elif has_params and _IDENT.fullmatch(name):
                    out.classes.append(f"{PYANNOTE_KEYS[key]}.{name[:200]}")


# LightningCLI's top-level keys (and its subcommands'): a string given for one is a config path
LIGHTNING_KEYS = frozenset({"model", "data", "trainer", "optimizer", "lr_scheduler", "config"})
LIGHTNING_SUBCOMMANDS = frozenset({"fit", "validate", "test", "predict"})
# a config is evidently jsonargparse's/LightningCLI's with one of these keys at its top (they make any
# string of a LightningCLI key a config path), or with both ``model`` and ``data`` (then only a string
# naming a config file counts: vLLM's ``model: /models/llama`` is a weights folder) ...
LIGHTNING_STRONG = frozenset({"trainer", "seed_everything", "fit"})
JSONARGPARSE_KEYS = frozenset({"class_path", "init_args", "dict_kwargs", "__include__"})  # ... or anywhere
# LightningCLI's own keys of its ``fit``/``validate``/… namespace (``ckpt_path`` of the subcommand, ``optimizer`` /
# ``lr_scheduler`` of add_configure_optimizers_method_to_model) and ``model: null``: a split config passed as
# ``--config data.yaml`` holds them beside ``data`` — evidence that a ``.json`` under ``data:`` is the datamodule's
# config (red team 120y-6), not of the stronger kind (any string of a LightningCLI key)
LIGHTNING_OWN = frozenset({"ckpt_path", "optimizer", "lr_scheduler"})


def _null_model(root: object) -> bool:
    """Whether the top-level ``model`` of ``root`` is null (``model: null``, ``model: ~``, ``model:``)."""
    for k, v in _entries(root):
        if _key(k) == "model":
            if v is None:
                return True
            if isinstance(v, yaml.ScalarNode) and (v.tag == "tag:yaml.org,2002:null" or (
                    not v.style and v.value in ("", "~", "null", "Null", "NULL"))):  # (plain: None, libyaml "")
                return True
    return False
INCLUDE = "__include__"
CONFIG_EXTS = (".yaml", ".yml", ".json", ".jsonnet")
# keys that name a data path (a ``str``/``Path`` argument, never loaded as a config)
_DATA_KEY_ENDS = ("file", "files", "path", "paths", "dir", "dirs", "root", "folder", "filename", "url")
# keys that name a file given as data whatever its suffix (a class-typed argument is rarely so named: a
# suffix-less path under one is no config jsonargparse loads — 118pa-3)
_FILE_KEY_ENDS = ("ckpt", "checkpoint", "weights", "name", "pretrained", "output", "cache", "log", "logs")
MAX_NODES = 200_000  # nodes of one document walked for jsonargparse config paths (more: not read, odd)
HYDRA_KEYWORDS = frozenset({"optional", "override"})
# Hydra's ``# @package`` header (hydra/plugins/config_source.py ``ConfigSource._get_header_dict``: a comment line before the
# first node); only a package that lands at ``hydra.job.env_set`` changes what this module reads (a ``hydra.job``
# or ``hydra`` one: its top-level ``env_set``/``job`` keys, read in any file). Every such line of the text is read
# (Hydra: the header's last; a line past the header: read too, failing closed)
_PACKAGE = re.compile(r"^[ \t]*#[ \t]*@package[ \t]+(\S+)[ \t]*$", re.M)


def final_package(package: str) -> str:
    """A package as Hydra 1.3 places it (123pa-1): hydra/core/default_element.py ``InputDefault._get_final_package``
    keeps what follows the last ``_global_`` (``_global_.hydra.job.env_set`` → ``hydra.job.env_set``)."""
    i = package.rfind("_global_")
    return package if i == -1 else package[i + len("_global_") + 1:]


def lands_at_env_set(package: str, relative: bool = False) -> bool:
    """Whether a ``# @package`` header (absolute) or a defaults entry's ``@package`` (``relative``: to the package
    of the config that lists it, unknown here — a group file of ``hydra``/``hydra/job`` lists ``x@job.env_set``
    and ``x@env_set``; one with ``_global_`` is absolute) places a config at ``hydra.job.env_set`` (123pa-1/-2).
    With ``version_base`` below 1.2 (Hydra 1.3 when ``@hydra.main`` names none) ``_group_`` becomes a group (dots)
    and ``_name_`` a config name: a package holding one lands there when its other parts allow it (fail closed)."""
    final = final_package(package.strip())
    pattern = re.escape(final).replace("_group_", ".+").replace("_name_", "[^.]+")
    targets = ("hydra.job.env_set", "job.env_set", "env_set") if relative and "_global_" not in package \
        else ("hydra.job.env_set",)
    return any(re.fullmatch(pattern, t) is not None for t in targets)


def _env_set(node: object, where: str, out: Includes) -> None:
    """The variable names of a Hydra ``env_set`` node (122pa-2): a mapping's keys (merge keys followed), or a
    description of a node that is no literal mapping (an interpolation, a list); null sets nothing."""
    if _is_mapping(node):
        if _too_long(node):
            out.env_set.append(f"<{where} lists over {MAX_ITEMS} variables (the rest not read)>")
        for k, _v in _entries(node):
            name = _key(k)
            out.env_set.append(name[:200] if k is not _TOO_DEEP and name is not None
                               else f"<a key of {where} that is no string>")
        return
    s = _scalar(node)
    if node is None or (isinstance(node, yaml.ScalarNode) and not node.style
                        and s in ("", "~", "null", "Null", "NULL")):
        return
    out.env_set.append(f"<{where} is {_shown(node)}, no literal mapping>")


def _hydra_job(node: object, where: str, out: Includes) -> None:
    """A Hydra ``job`` node: its ``env_set`` (122pa-2); a ``job`` node computed at load is described."""
    if _is_mapping(node):
        for k, v in _entries(node):
            if _key(k) == "env_set":
                _env_set(v, f"{where}.env_set", out)
    elif (s := _scalar(node)) is not None and "${" in s:
        out.env_set.append(f"<{where} is {_shown(node)}, no literal mapping>")


def _hydra(root: object, out: Includes, package: str = "") -> None:
    """A top-level ``hydra.searchpath`` and ``defaults`` list, and ``hydra.job.env_set`` (Hydra: see the module;
    ``package``: the document's ``# @package`` header when it is ``hydra.job.env_set``)."""
    if package == "hydra.job.env_set":
        _env_set(root, "hydra.job.env_set", out)
    for k, v in _entries(root):
        key = _key(k)
        if key == "env_set":  # (a group file of hydra/job: package hydra.job)
            _env_set(v, "env_set", out)
        elif key == "job":  # (a group file of hydra: package hydra)
            _hydra_job(v, "job", out)
        if key == "hydra" and _is_mapping(v):
            for k2, v2 in _entries(v):
                if _key(k2) == "job":
                    _hydra_job(v2, "hydra.job", out)
                if _key(k2) != "searchpath":
                    continue
                items = _one_or_many(v2)
                if items is None:
                    out.searchpath.append(f"<{_shown(v2)}>")
                    continue
                if _too_long(v2):
                    out.odd.append(f"hydra.searchpath lists over {MAX_ITEMS} entries (the rest not read)")
                for item in items:
                    e = _scalar(item)
                    out.searchpath.append(e if e is not None else "<a collection>")
        elif key == "hydra" and (hs := _scalar(v)) is not None and "${" in hs:
            # Hydra resolves the interpolation when it reads hydra.searchpath (red team 118pa-1:
            # hydra: ${sp} with sp.searchpath [pkg://…] imported the package): not judged, computed
            out.searchpath.append(hs.strip()[:200])
        elif key == "defaults":
            items = _items(v)
            if items is None:
                continue
            if _too_long(v):
                out.odd.append(f"defaults lists over {MAX_ITEMS} entries (the rest not read)")
            for item in items:
                _hydra_default(item, out)


def _at_env_set(key: str, config: bool = False) -> bool:
    """Whether a defaults entry ``group@package`` (``group@pkg1:pkg2``: Hydra's ``ConfigRepository._split_group``)
    places its config at ``hydra.job.env_set`` (:func:`lands_at_env_set`, 123pa-2); with no ``@package``, the
    default package: the group's path (``hydra/job/env_set: x``; ``config``: a string entry ``hydra/job/env_set/x``,
    whose group is its folder — hydra/core/default_element.py ``get_default_package``/``_relative_group_path``)."""
    group, at, package = key.partition("@")
    if at:
        return any(lands_at_env_set(p, relative=True) for p in package.strip().split(":"))
    words = group.split()
    path = (words[-1] if words else "").lstrip("/")
    if config:
        path = path.rpartition("/")[0]
    return bool(path) and lands_at_env_set(path.replace("/", "."), relative=True)


def env_set_header(text: str) -> bool:
    """Whether a ``# @package`` line of the text places the document at ``hydra.job.env_set`` (123pa-1)."""
    return "@package" in text and any(lands_at_env_set(m.group(1)) for m in _PACKAGE.finditer(text))


def _hydra_default(item: object, out: Includes) -> None:
    s = _scalar(item)
    if s is not None:
        out.defaults.append(s.split("@", 1)[0].strip())
        if _at_env_set(s, config=True):
            out.env_set.append(f"<the config the defaults entry {s.strip()[:200]!r} places at hydra.job.env_set "
                               "(not read)>")
        return
    if not _is_mapping(item):
        return
    for k, v in _entries(item):
        key = _key(k)
        if key is None:
            continue
        group = key.split("@", 1)[0].split()
        group_path = group[-1] if group else ""
        values = [v] if _scalar(v) is not None else (_items(v) or [])
        out.defaults.append(group_path)
        for value in values:
            option = _scalar(value)
            if option is not None and option.strip() not in ("", "???", "null"):
                out.defaults.append(f"{group_path}/{option.strip()}" if group_path else option.strip())
        if _at_env_set(key) and not (len(values) == 1 and _scalar(values[0]) in ("null", "~", "")):
            # Hydra composes the chosen config there (hydra/_internal/defaults_list.py, GroupDefault's package):
            # run_job sets its keys as environment variables
            shown = ", ".join(repr(o[:100]) for value in values[:5] if (o := _scalar(value)) is not None)
            out.env_set.append(f"<the {group_path[:200]!r} config {shown or 'chosen'} that the defaults entry "
                               f"'{key[:200]}' places at hydra.job.env_set (not read)>")


def _data_key(key: str) -> bool:
    return key.lower().rstrip("_").endswith(_DATA_KEY_ENDS)


def leaving_config_path(key: str, v: str) -> bool:
    """Whether ``v`` given for ``key`` deep in a jsonargparse config is a file outside the folder that
    jsonargparse may load as a config, whatever its suffix (red team 118pa-3: ``parse_value_or_config``
    loads any existing file given for a class-typed argument, ``../shared/enc_cfg`` included, and a
    file outside the folder cannot be confirmed to be data): a path (a ``/``, no line break, no URL:
    URLs are not read by default) that climbs out with ``..``, is absolute or starts at ``~``, under a
    key that names no data file (a config-suffixed value: the suffix rule of :func:`_jsonargparse`)."""
    if "/" not in v or "\n" in v or "://" in v or v.lower().endswith(CONFIG_EXTS) or _data_key(key) \
            or key.lower().rstrip("_").endswith(_FILE_KEY_ENDS):
        return False
    p = v.replace("\\", "/")
    return p.startswith(("/", "~")) or ".." in p.split("/")


def _jsonargparse(root: object, out: Includes) -> None:
    """The strings jsonargparse may load as configs (see the module), in a config that is evidently its."""
    top: set[str] = set()
    for k, _v in _entries(root):
        key = _key(k)
        if key is not None:
            top.add(key)
    strong = bool(top & LIGHTNING_STRONG)
    evident = strong or {"model", "data"} <= top
    # LightningCLI's own keys beside ``data`` (red team 120y-6): a ``.json`` under ``data:`` is then the
    # datamodule's config, as under ``trainer:`` evidence
    lightning_own = strong or bool(top & LIGHTNING_OWN) or _null_model(root)
    # (key, value, how it counts: "key" a config by its key alone, "suffix" by its name, "top" by its name
    # under a top-level LightningCLI key — in any config: red team 118pa-2, a config whose only key was
    # model: ../shared/x.yaml was no evident jsonargparse config, and LightningCLI loads it)
    found: list[tuple[str, str, str]] = []
    # (node, key it sits under, top-level: its key is a LightningCLI key of the root or a subcommand)
    stack: list[tuple[object, str, bool]] = [(root, "", False)]
    seen: set[int] = set()
    nodes = 0
    while stack:
        node, under, lightning = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            out.odd.append(f"a document of over {MAX_NODES} nodes: the config paths jsonargparse may load not "
                           "all read")
            break
        if _is_mapping(node):
            if id(node) in seen:
                continue
            seen.add(id(node))
            for k, v in _entries(node):
                key = _key(k)
                if k is _TOO_DEEP or key is None:
                    continue
                if key in JSONARGPARSE_KEYS:
                    evident = strong = True
                if key == INCLUDE:
                    for item in _one_or_many(v) or []:
                        if (p := _scalar(item)) is not None and p.strip():
                            found.append((INCLUDE, p.strip(), "key"))
                    continue
                stack.append((v, key, key in LIGHTNING_KEYS and (node is root or under in LIGHTNING_SUBCOMMANDS)))
        elif isinstance(node, (list, yaml.SequenceNode)):
            if id(node) in seen:
                continue
            seen.add(id(node))
            for item in _items(node) or []:
                stack.append((item, under, False))
        else:
            s = _scalar(node)
            if s is None or not s.strip() or not under:
                continue
            v = s.strip()
            low = v.lower()
            top_key = lightning and under in LIGHTNING_KEYS
            if low.endswith(CONFIG_EXTS) and not _data_key(under) and top_key:
                # under a top-level LightningCLI key any config suffix counts, an absolute .json too (119pa-5:
                # parse_value_or_config loads it as YAML whatever the suffix) — but a .json under ``data:`` is
                # a dataset file in a config that is not evidently jsonargparse's (119pa-7a): "data-json"
                found.append((under, v, "data-json" if under == "data" and low.endswith(".json") else "top"))
            elif low.endswith(CONFIG_EXTS) and not _data_key(under) \
                    and not (v.startswith("/") and low.endswith(".json")):  # (/data/labels.json: data)
                found.append((under, v, "suffix"))
            elif top_key:
                found.append((under, v, "key"))
            elif leaving_config_path(under, v):
                found.append((under, v, "suffix"))
    out.config_paths.extend((k, v) for k, v, how in found
                            if k == INCLUDE or how == "top" or (how == "data-json" and lightning_own)
                            or (how != "data-json" and evident and (strong or how == "suffix")))
    if evident:
        _lightning_checkpoints(root, out)
    if strong:
        _lightning_class_strings(root, out)


# LightningCLI's class-typed arguments (lightning/pytorch/cli.py: add_optimizer_args / add_lr_scheduler_args,
# subclass-mode model/data) and Trainer's (trainer.py: callbacks list[Callback] | Callback, logger Logger |
# Iterable[Logger] | bool, plugins PLUGIN_INPUT | list[PLUGIN_INPUT]); Trainer's ``strategy`` / ``accelerator`` /
# ``precision`` are ``str`` first (a registry name), not read
LIGHTNING_CLASS_KEYS = frozenset({"optimizer", "lr_scheduler", "model", "data"})
TRAINER_CLASS_KEYS = frozenset({"callbacks", "logger", "plugins"})


def _class_string(node: object, out: Includes) -> None:
    s = _scalar(node)
    if s is None or not _DOTTED.fullmatch(v := s.strip()) or v.lower().endswith(CONFIG_EXTS):
        return  # (a config file name is a config path: _jsonargparse)
    out.class_strings.append(v[:200])


def _lightning_class_strings(root: object, out: Includes) -> None:
    """Dotted strings for LightningCLI's class-typed arguments (122pa-4): jsonargparse 4.x ``_typehints.py``
    ``adapt_typehints`` (subclass types) → ``subclass_spec_as_namespace`` takes a string as ``class_path``
    and ``import_object`` imports it (its module's top-level code runs) before any type check."""
    scopes: list[object] = [root]
    scopes.extend(v for k, v in _entries(root) if _key(k) in LIGHTNING_SUBCOMMANDS and _is_mapping(v))
    for node in scopes:
        for k, v in _entries(node):
            key = _key(k)
            if key in LIGHTNING_CLASS_KEYS:
                _class_string(v, out)
            elif key == "trainer" and _is_mapping(v):
                for k2, v2 in _entries(v):
                    if _key(k2) in TRAINER_CLASS_KEYS:
                        for item in _one_or_many(v2) or []:
                            _class_string(item, out)


def _path_value(node: object) -> str | None:
    """A checkpoint path as the loader gets it (122pa-3): a string, stripped and bounded, or None for YAML's null
    (``~``, ``null``, an empty plain scalar, a ``!!null`` tag) and an empty string."""
    s = _scalar(node)
    if s is None or (isinstance(node, yaml.ScalarNode) and (node.tag.endswith(":null") or (
            not node.style and s in ("", "~", "null", "Null", "NULL")))):
        return None
    return s.strip()[:300] or None


# an OmegaConf interpolation of a node path as its grammar reads it (123pa-3, 124b-3): spaces inside the braces,
# leading dots (relative to the node holding the key: one dot its own level, each more one up), ``a.b``,
# ``a[b]``/``a['b']`` and ``a.0`` parts; innermost first, so ``${${k}}`` resolves its inner part, then itself
_NODE_INTERP = re.compile(r"\$\{\s*(\.*)([A-Za-z_][\w-]*(?:\.[\w-]+|\[\s*['\"]?[\w-]+['\"]?\s*\])*)\s*\}")
# ``${oc.select:key}`` / ``${oc.select:key,default}``: the node, else the default
_SELECT_INTERP = re.compile(r"\$\{\s*oc\.select\s*:\s*(\.*)([A-Za-z_][\w.\[\]'\"-]*)\s*(?:,([^${}]*))?\}")
_BRACKET = re.compile(r"\[\s*['\"]?([\w-]+)['\"]?\s*\]")
# an interpolation left after every resolvable one was replaced whose value only the run knows (an environment
# variable, a resolver the application registers): judged as written, as before
_RUNTIME_INTERP = re.compile(r"\$\{\s*(?:oc\.env|oc\.decode|env)\s*:[^${}]*\}")
MAX_INTERP_DEPTH = 32  # interpolations followed through one another (OmegaConf follows any number; past it: unresolved)
UNRESOLVED = "<an interpolation mlbom does not resolve>://"
"""What :func:`_resolved` gives for a checkpoint path holding an interpolation that is neither a node of the document
nor a value only the run knows (a custom resolver, a node of another file composed in): never taken for a local path
(124b-3: ``${ host }``, ``${model[w]}``, ``${${k}}`` were judged as written, a local path, while OmegaConf resolves
them to the remote URL)."""


def _lookup(root: object, dotted: str) -> object:
    node = root
    for part in _BRACKET.sub(lambda m: "." + m.group(1), dotted).split("."):
        if not part:
            continue
        items = None if _is_mapping(node) else _items(node)
        if items is not None and part.isdigit():
            node = items[int(part)] if int(part) < len(items) else None
            continue
        node = next((v for k, v in _entries(node) if _key(k) == part), None) if _is_mapping(node) else None
        if node is None:
            return None
    return node


def _resolved(root: object, value: str, depth: int = 0, chain: tuple[object, ...] = ()) -> str:
    """A checkpoint path as OmegaConf resolves it within the document (123pa-3: Hydra, NeMo, and jsonargparse's
    ``parser_mode="omegaconf"`` — ``OmegaConf.to_object(OmegaConf.load(…))`` — resolve ``${model.weights}``):
    each interpolation of a node that is a literal string is replaced by it (itself resolved, 8 deep), in
    OmegaConf's spellings (:data:`_NODE_INTERP`, ``oc.select``; ``chain``: the nodes from the root down to the
    one holding the key, for relative paths). One whose value only the run knows (``oc.env``) leaves the text as
    written (judged as it stands); any other left over is :data:`UNRESOLVED` (fail closed, 124b-3)."""
    if "${" not in value:
        return value
    if depth > MAX_INTERP_DEPTH:
        return UNRESOLVED
    levels = chain or (root,)

    def node_of(dots: str, path: str) -> object:
        if not dots:
            return _lookup(root, path)
        up = len(dots) - 1  # one dot: the holding node's own level
        base = levels[-1 - up] if up < len(levels) else None
        return None if base is None else _lookup(base, path)

    cycle = False

    def deeper(target: str) -> str:
        nonlocal cycle
        if target == value:  # (a node whose value is this very text: a cycle OmegaConf refuses)
            cycle = True
            return target
        got = _resolved(root, target, depth + 1, chain)
        if got == target and "${" in target:  # (a cycle, or nodes of other files: OmegaConf fails or composes)
            cycle = True
        return got

    def sub(m: re.Match[str]) -> str:
        target = _path_value(node_of(m.group(1), m.group(2)))
        return m.group(0) if target is None else deeper(target)

    def select(m: re.Match[str]) -> str:
        target = _path_value(node_of(m.group(1), m.group(2)))
        if target is None:
            return m.group(3).strip().strip("'\"") if m.group(3) is not None else m.group(0)
        return deeper(target)

    out = value
    for _ in range(8):  # innermost first: each pass replaces the interpolations holding no other
        new = _NODE_INTERP.sub(sub, _SELECT_INTERP.sub(select, out))
        if new == out:
            break
        out = new
    if "${" not in out:
        return out[:300]
    if cycle or not _NODE_INTERP.sub("", _RUNTIME_INTERP.sub("", out)).count("${"):
        # only values the run knows (oc.env), nodes of other files a Hydra composition adds
        # (${paths.output_dir}), or a cycle OmegaConf refuses: as written, as before
        return value
    return UNRESOLVED  # (a custom resolver, an interpolation built of others mlbom could not resolve)


def _as_resolved(key: str, root: object, value: str, chain: tuple[object, ...] = ()) -> tuple[str, str]:
    """A checkpoint's key (naming the interpolation when one was resolved) and its :func:`_resolved` path."""
    p = _resolved(root, value, chain=chain)
    return (key if p == value else f"{key} ({value[:100]!r} resolved)"), p


def _false(node: object) -> bool:
    s = _scalar(node)
    return node is False or (isinstance(node, yaml.ScalarNode) and s is not None and not node.style
                             and s in ("false", "False", "FALSE"))  # (PyYAML's bool; YAML 1.1 no/off: not a bool here)


def _lightning_checkpoints(root: object, out: Includes) -> None:
    """``ckpt_path`` of an evident LightningCLI config, top level or under a subcommand (122pa-3):
    ``LightningCLI._run_subcommand`` passes it (and ``weights_only``) to ``Trainer.fit``/``validate``/… →
    ``_checkpoint_connector`` → ``strategy.load_checkpoint`` → lightning/fabric/utilities/cloud_io.py ``_load``:
    a path starting ``http`` is ``torch.hub.load_state_dict_from_url(weights_only=False)`` unless the config sets
    ``weights_only``; any other goes through fsspec (``s3://``, ``gs://`` …) to ``torch.load``."""
    scopes: list[tuple[str, object]] = [("", root)]
    for k, v in _entries(root):
        if (key := _key(k)) in LIGHTNING_SUBCOMMANDS and _is_mapping(v):
            scopes.append((f"{key}.", v))
    for prefix, node in scopes:
        pairs = [(_key(k), v) for k, v in _entries(node)]
        unsafe_load = any(k == "weights_only" and _false(v) for k, v in pairs)
        for k, v in pairs:
            if k == "ckpt_path" and (p := _path_value(v)) is not None:
                out.checkpoints.append((*_as_resolved(f"{prefix}ckpt_path", root, p, (root, node) if prefix else ()),
                                        "lightning+weights_only=false" if unsafe_load else "lightning"))


def _top_checkpoint(root: object, out: Includes, header: bool) -> None:
    """A top-level ``ckpt_path`` that names a remote checkpoint (``scheme://``) in a Hydra config (123pa-5: a
    ``# @package`` header — ``header`` —, a top-level ``defaults`` list or ``hydra`` key): the
    lightning-hydra-template's ``src/train.py`` (copied by many projects) runs ``trainer.fit(…,
    ckpt_path=cfg.get("ckpt_path"))`` on its Hydra config, and Lightning's ``_load`` unpickles an http one with
    ``weights_only=False``. A local path (``${paths.output_dir}/last.ckpt``, ``/data/ckpts/x.ckpt``) is the
    project's own, no finding outside an evident LightningCLI config (:func:`_lightning_checkpoints`); so is a
    URL in a config with no Hydra evidence (122pa-3: whose script reads it is unknown)."""
    pairs = [(_key(k), v) for k, v in _entries(root)]
    if not (header or any(k == "hydra" or (k == "defaults" and _items(v) is not None) for k, v in pairs)):
        return
    for k, v in _entries(root):
        if _key(k) == "ckpt_path" and (p := _path_value(v)) is not None:
            key, p = _as_resolved("ckpt_path", root, p)
            if "://" in p and not any(c[0] == key and c[1] == p for c in out.checkpoints):
                out.checkpoints.append((key, p, "lightning-script"))


def _mmengine_checkpoints(root: object, out: Includes) -> None:
    """mmengine's checkpoints (122pa-3): a top-level ``load_from`` (``Runner.from_cfg`` → ``load_or_resume`` →
    runner/checkpoint.py ``CheckpointLoader``: ``torch.load`` of a local file, ``load_url`` of an http one) or
    mmcv 1.x ``resume_from``, and ``init_cfg`` (a mapping or a list of them, any depth) with ``type: Pretrained``:
    its ``checkpoint`` (``PretrainedInit`` → ``load_checkpoint``)."""
    for k, v in _entries(root):
        if (key := _key(k)) in ("load_from", "resume_from") and (p := _path_value(v)) is not None:
            out.checkpoints.append((key, p, "mmengine"))
    stack: list[tuple[object, str]] = [(root, "")]
    seen: set[int] = set()
    nodes = 0
    while stack and nodes < MAX_NODES:
        node, under = stack.pop()
        nodes += 1
        if id(node) in seen:
            continue
        seen.add(id(node))
        if _is_mapping(node):
            pairs = [(_key(k), v) for k, v in _entries(node)]
            if under == "init_cfg" and any(k == "type" and _scalar(v) == "Pretrained" for k, v in pairs):
                for k2, v2 in pairs:
                    if k2 == "checkpoint" and (p := _path_value(v2)) is not None:
                        out.checkpoints.append(("init_cfg.checkpoint", p, "mmengine"))
            stack.extend((v, k or "") for k, v in pairs if isinstance(v, (dict, list, yaml.MappingNode,
                                                                        yaml.SequenceNode)))
        else:
            stack.extend((item, under) for item in _items(node) or [])


# NeMo training configs (122pa-3, from the red team's lead): ``ModelPT.maybe_init_from_pretrained_checkpoint`` reads
# the top-level ``init_from_nemo_model`` (a path, or a mapping of names to ``{path: …}``; ``restore_from``) and
# ``init_from_ptl_ckpt`` (``torch.load``); exp_manager's ``resume_from_checkpoint`` (Lightning's ckpt_path)
_NEMO_CKPT_KEYS = ("init_from_nemo_model", "init_from_ptl_ckpt")


def _nemo_checkpoints(root: object, out: Includes) -> None:
    for k, v in _entries(root):
        key = _key(k)
        if key in _NEMO_CKPT_KEYS:
            if (p := _path_value(v)) is not None:
                out.checkpoints.append((*_as_resolved(key, root, p), "nemo"))
            elif _is_mapping(v):
                for k2, v2 in _entries(v):
                    for k3, v3 in _entries(v2):
                        if _key(k3) == "path" and (p := _path_value(v3)) is not None:
                            out.checkpoints.append((f"{key}.{_key(k2)}.path", p, "nemo"))
        elif key == "exp_manager" and _is_mapping(v):
            for k2, v2 in _entries(v):
                if _key(k2) == "resume_from_checkpoint" and (p := _path_value(v2)) is not None:
                    out.checkpoints.append((*_as_resolved("exp_manager.resume_from_checkpoint", root, p), "nemo"))


def from_doc(doc: object) -> Includes:
    """The includes of a parsed JSON document."""
    out = Includes()
    _read(doc, out)
    return out


def from_yaml(text: str) -> Includes:
    """The includes of every document of a YAML text as PyYAML composes it — libyaml's reading, and
    the pure-Python one where libyaml's read no document or the two are known to differ (bounded as
    :func:`~mlbom.formats.yaml_tags.composed` is) — after mmengine's ``{{ _base_.x }}`` substitution."""
    out = Includes()
    package = "hydra.job.env_set" if env_set_header(text) else ""
    header = "@package" in text and _PACKAGE.search(text) is not None
    if "{{" in text:
        text = BASE_VAR.sub(lambda m: f'"{_MARK}{m.group(1)}"', text)
    parsers = loaders()
    read_any = False
    for i, loader in enumerate(reversed(parsers)):  # libyaml's first
        if i and read_any and not known_to_differ(text):
            break
        for root in composed(text, loader, None if i == 0 else MAX_PURE_YAML_CHARS):
            read_any = True
            _read(root, out, package, header)
    for name in ("bases", "modules", "odd", "searchpath", "defaults", "config_paths", "classes", "env_set",
                 "checkpoints", "class_strings"):
        setattr(out, name, list(dict.fromkeys(getattr(out, name))))
    return out
