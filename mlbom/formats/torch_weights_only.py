"""Would ``torch.load(weights_only=True)`` accept this checkpoint? (the default since torch 2.6)

torch's restricted unpickler (``torch/_weights_only_unpickler.py``) accepts a fixed set of
opcodes and pushes only the globals of ``_get_allowed_globals()`` (plus what a user registers
with ``torch.serialization.add_safe_globals``, which a file cannot rely on). It applies
``_compat_pickle``'s renames to every ``GLOBAL`` whatever the protocol, and refuses modules of
``_blocklisted_modules`` outright.

The allowlist is read from torch's source TEXT, never by importing torch:

* with a torch directory (the installed package, found without importing it), the literal
  entries of ``_get_allowed_globals``, the functions of ``_tensor_rebuild_functions``, the
  quantization schemes, the supported opcodes and the blocked modules come from the source;
  the families that torch computes at run time (dtypes, tensor and storage classes) come from
  the versioned table, since no source text lists them;
* without one, everything comes from ``mlbom/data/torch-weights-only.json`` (generated from
  torch's source and recorded with its version and the source file's SHA-256).

The check is static and walks the same events the pickle walker records (first use of each
opcode, every raw GLOBAL, in stream order), then the run-time checks torch's ``Unpickler.load``
makes, which the walker records as it goes: the exact type of each ``BUILD`` target (Tensor,
Parameter, OrderedDict or an allowlisted type), ``SETITEM(S)`` target (dict, OrderedDict,
Counter), ``APPEND(S)`` target (list), that ``REDUCE``/``NEWOBJ`` call a global, and that a
persistent id is a tuple whose first item is ``'storage'`` (or an int). One torch certainly
fails makes the claim ``false``; one whose outcome mlbom cannot tell (a target whose exact type
the walk does not know) leaves it unknown, never ``true`` (red team 8a).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from mlbom.formats.pickle import PickleReport, compat_name

SOURCE_FILE = "_weights_only_unpickler.py"


@dataclass(frozen=True)
class WeightsOnlyTable:
    torch_version: str
    source: str  # where the allowlist was read from
    globals: frozenset[str]
    opcodes: frozenset[str]
    blocked_modules: frozenset[str]
    # the allowlisted globals that work as a persistent id's storage type: path -> (element size in
    # the zip layout, in the legacy layout; None: that layout raises). Any other allowlisted global
    # has no dtype there: torch.load raises on it in either mode (red team 119pk-3)
    storage_types: dict[str, tuple[int | None, int | None]] = field(default_factory=dict, compare=False,
                                                                     hash=False)


def _data() -> dict[str, object]:
    text = resources.files("mlbom").joinpath("data/torch-weights-only.json").read_text("utf-8")
    data: dict[str, object] = json.loads(text)
    return data


def _strs(value: object) -> frozenset[str]:
    return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()


def _storage_types(value: object) -> dict[str, tuple[int | None, int | None]]:
    out: dict[str, tuple[int | None, int | None]] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, list) and len(v) == 2 and all(x is None or type(x) is int for x in v):
                out[str(k)] = (v[0], v[1])
    return out


def table_from_data() -> WeightsOnlyTable:
    d = _data()
    allowed = _strs(d.get("source_globals")) | _strs(d.get("computed_globals"))
    return WeightsOnlyTable(str(d.get("torch_version")), f"mlbom/data/torch-weights-only.json ({d.get('source')})",
                            allowed, _strs(d.get("opcodes")), _strs(d.get("blocked_modules")),
                            _storage_types(d.get("storage_types")))


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


@dataclass(frozen=True)
class SourceFacts:
    globals: frozenset[str]
    opcodes: frozenset[str]
    blocked_modules: frozenset[str]


def parse_source(text: str) -> SourceFacts:
    """What torch's ``_weights_only_unpickler.py`` says literally (see the module doc)."""
    tree = ast.parse(text)
    found: set[str] = set()
    opcodes: set[str] = set()
    blocked: set[str] = set()
    funcs = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    rebuild = funcs.get("_tensor_rebuild_functions")
    if rebuild is not None:
        for node in ast.walk(rebuild):
            if isinstance(node, ast.Attribute):
                name = _dotted(node)
                if name and name.startswith("torch._utils._rebuild"):
                    found.add(name)
    allowed = funcs.get("_get_allowed_globals")
    if allowed is not None:
        for node in ast.walk(allowed):
            if isinstance(node, ast.Dict):
                found.update(k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str))
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                    and isinstance(node.slice.value, str):
                found.add(node.slice.value)
            elif isinstance(node, ast.For) and isinstance(node.iter, ast.List):
                for elt in node.iter.elts:  # for qt in [torch.per_tensor_affine, ...]: rc[str(qt)] = qt
                    name = _dotted(elt)
                    if name and name.startswith("torch.") and name.count(".") == 1:
                        found.add(name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Subscript) \
                and isinstance(node.left.value, ast.Name) and node.left.value.id == "key":
            for comp in node.comparators:
                elts = comp.elts if isinstance(comp, ast.List | ast.Tuple) else [comp]
                for e in elts:
                    if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name) and e.value.id.isupper():
                        opcodes.add(e.value.id)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_blocklisted_modules"
                                                for t in node.targets) and isinstance(node.value, ast.List):
            blocked.update(e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return SourceFacts(frozenset(found), frozenset(opcodes), frozenset(blocked))


def find_torch_dir() -> Path | None:
    """The installed torch package directory, located without importing torch."""
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        if (Path(loc) / SOURCE_FILE).is_file():
            return Path(loc)
    return None


def table_from_torch(torch_dir: Path) -> WeightsOnlyTable:
    """Read the allowlist from an installed torch's source text (plus the computed families)."""
    path = torch_dir / SOURCE_FILE
    text = path.read_text("utf-8")
    facts = parse_source(text)
    version_text = (torch_dir / "version.py").read_text("utf-8") if (torch_dir / "version.py").is_file() else ""
    m = re.search(r"""__version__\s*=\s*['"]([^'"]+)['"]""", version_text)
    version = m.group(1) if m else "unknown"
    computed = _strs(_data().get("computed_globals"))
    return WeightsOnlyTable(version, f"{path} (torch {version}; dtypes and storage/tensor classes from mlbom's table)",
                            facts.globals | computed, facts.opcodes, facts.blocked_modules,
                            _storage_types(_data().get("storage_types")))


def load_table(torch_dir: Path | None = None) -> WeightsOnlyTable:
    """torch's allowlist: from ``torch_dir`` (or the installed torch) when there is one, else the table.
    Read once per directory and process: parsing torch's source takes 0.2-0.3 s, and a scan asks
    for every checkpoint (a folder of small ones paid it per file; found by fuzzing, round 2)."""
    return _load_table(torch_dir or find_torch_dir())


@lru_cache(maxsize=8)
def _load_table(d: Path | None) -> WeightsOnlyTable:
    if d is not None and (d / SOURCE_FILE).is_file():
        try:
            return table_from_torch(d)
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            pass
    return table_from_data()


LAYOUTS = {"zip": 5, "legacy": 6}  # the items of a ('storage', ...) persistent id each persistent_load unpacks


def storage_ids_check(report: PickleReport, layout: str,
                      table: WeightsOnlyTable | None = None) -> tuple[str | None, str | None]:
    """(why torch.load raises on a ('storage', ...) persistent id, in either mode; why mlbom cannot
    tell whether it does), for the checkpoint layout its pickle is read in (red team 119pk-3).

    torch 2.13's ``persistent_load`` (torch/serialization.py): the zip layout (``_load``) unpacks
    ``storage_type, key, location, numel = saved_id[1:]`` and reads ``torch.uint8 if storage_type
    is torch.UntypedStorage else storage_type.dtype``; the legacy one (``_legacy_load``) unpacks
    ``storage_type, root_key, location, numel, view_metadata`` and reads ``storage_type.dtype``
    (``UntypedStorage`` has none: a legacy ``torch.save`` of a uint16 or float8 tensor never
    loads). Both unpicklers resolve an allowlisted global to the same object, so a storage type
    that is an allowlisted global without a dtype, or a plain value, fails in either mode; a
    global off the allowlist is refused by weights_only at its GLOBAL (its reading without
    weights_only is not judged here); a value whose type the walk cannot tell is unknown."""
    t = table or load_table()
    want = LAYOUTS[layout]
    unknown: str | None = None
    for n, kind, what in report.storage_ids:
        if n != want:
            return (f"a ('storage', ...) persistent id of {n} items: torch's {layout} loader unpacks {want} "
                    "(ValueError)"), None
        if kind == "global":
            sizes = t.storage_types.get(what)
            if sizes is not None and sizes[0 if layout == "zip" else 1] is not None:
                continue
            if sizes is not None or what in t.globals:
                return f"a persistent id whose storage type is {what}, which has no dtype there (AttributeError)", None
        elif kind == "type":
            return f"a persistent id whose storage type is a {what} value, which has no dtype (AttributeError)", None
        elif kind == "unknown":
            unknown = unknown or f"a persistent id whose storage type is {what}, whose dtype mlbom cannot tell"
    if not report.storage_ids_complete:
        unknown = unknown or "more shapes of persistent ids than mlbom records"
    return None, unknown


def weights_only_check(report: PickleReport, table: WeightsOnlyTable | None = None,
                       layout: str | None = None) -> tuple[bool, str | None]:
    """(accepted, the first global or opcode torch's weights_only unpickler refuses).
    Raises ValueError where the walk cannot decide it: it stopped at one of mlbom's own
    bounds (not where the loader raises), or it kept only the first ``MAX_EVENTS`` GLOBALs
    (a refused one may come after them): the claim is then unknown, never ``true``.
    ``layout`` ("zip" or "legacy"): the checkpoint layout whose ``persistent_load`` reads the
    pickle's storage ids (:func:`storage_ids_check`); None: they are not checked."""
    t = table or load_table()
    if report.error is not None and not report.stop_proven:
        raise ValueError(f"the walk stopped before the end ({report.error})")
    if not report.events_complete:
        raise ValueError("more GLOBALs than mlbom records for this check")
    if report.error is not None or not report.complete:
        return False, f"the pickle does not load ({report.error or 'no STOP'})"
    for kind, what in report.events:
        if kind == "op":
            if what not in t.opcodes:
                return False, f"opcode {what}"
            continue
        mod, _, attr = what.partition("\n")
        mod, attr = compat_name(mod, attr)
        if mod in t.blocked_modules:
            return False, f"{mod}.{attr} (module {mod} is blocked)"
        if f"{mod}.{attr}" not in t.globals:
            return False, f"{mod}.{attr}"
    if report.wo_refused is not None:
        return False, report.wo_refused
    storage_unknown = None
    if layout is not None:
        refused, storage_unknown = storage_ids_check(report, layout, t)
        if refused is not None:
            return False, refused
    if report.wo_unknown is not None:
        raise ValueError(f"torch's run-time type check cannot be decided: {report.wo_unknown}")
    if storage_unknown is not None:
        raise ValueError(f"torch's persistent_load cannot be decided: {storage_unknown}")
    return True, None


def source_sha256(torch_dir: Path) -> str:
    return hashlib.sha256((torch_dir / SOURCE_FILE).read_bytes()).hexdigest()
