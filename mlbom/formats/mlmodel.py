"""MLflow's ``MLmodel`` (a YAML file at the root of a model folder) and the environment files
it names — what ``mlflow.pyfunc.load_model``/``mlflow.<flavor>.load_model`` and ``mlflow models
serve``/``spark_udf(env_manager=...)`` do with them (mlflow 3.17):

- ``Model.load`` reads the file with ``yaml.safe_load``; here :func:`mlbom.formats.safe_read.load_yaml`
  (safe constructors, bounded), so nothing is constructed that mlflow would not construct.
- ``flavors.python_function.loader_module`` is imported (``importlib.import_module(...)._load_pyfunc``)
  after the flavor's ``code`` folder is put first on ``sys.path``: a module outside the ``mlflow.``
  namespace is code this scan did not judge — ``suspicious`` (``code.remote``), deny-listed ``unsafe``
  (``code.dangerous-target``) (red team 26e-2).
- Every flavor value mlflow joins to the model folder (``code``, ``data``, ``model_data``,
  ``pickled_model``, ``model_path``, ``python_model``, ``saved_model_dir``, ``artifacts`` … — any
  string at any depth of a flavor: the keys differ per flavor, so none is trusted by name) that is
  absolute, climbs out with ``..`` or, in a folder scan, reaches outside it through a link or into
  a folder the walker skips is ``suspicious`` (``mlmodel.path-outside``): ``os.path.join`` keeps an
  absolute part and the loader reads code or weights no scan of this folder judged (26e-2, 26e-5).
- ``skops_trusted_types`` (the sklearn flavor, ``serialization_format: skops``) is handed to
  ``skops.io.load(trusted=...)`` with no user opt-in: each entry outside skops' default trusted
  set is trust the file grants itself — ``suspicious`` (``mlmodel.self-trust``), deny-listed
  ``unsafe``. The ``.skops`` file is still judged without that list (26e-4).
- Some flavor loaders import a module by a name read from the model (29e-2): ``mlflow.pytorch``
  imports the text of ``<model_data>/pickle_module_info.txt`` (``flavors.pytorch.model_data``, or
  ``python_function.data`` on the pyfunc path) and hands it to ``torch.load`` as ``pickle_module``
  (weights_only off); ``mlflow.tensorflow`` imports ``flavors.tensorflow.keras_module`` and, on the
  pyfunc path, the text of ``<data>/keras_module.txt``. The names mlflow writes pass
  (:data:`_PICKLE_MODULES`, :data:`_KERAS_MODULES`); a deny-listed one is ``unsafe``
  (``code.dangerous-target``); any other ``suspicious`` (``code.remote``); the file there but not
  read ``error``.
- The environment files (``python_env.yaml``: ``build_dependencies``/``dependencies``;
  ``conda.yaml``: ``pip:`` lists; ``requirements.txt``; and a ``-r`` file they include) are
  pip-installed by ``mlflow models serve/predict/build-docker`` and ``spark_udf(env_manager=
  "virtualenv"|"uv"|"conda")`` with the model folder as working directory: a URL, VCS, local-path or
  editable requirement, or an index option (``--index-url``, ``--extra-index-url``,
  ``--find-links``, …) builds code from outside the scan — ``suspicious``
  (``mlmodel.install-from-source``) (26e-3). Plain names are no finding. This applies only to the
  files of a folder holding an ``MLmodel`` (MLflow installs them); a ``requirements.txt`` elsewhere
  is a project's, judged by the requirements collector.

Parsing only: nothing is imported, installed or called.
"""

from __future__ import annotations

import codecs
import posixpath
import re
from collections.abc import Callable

from mlbom.errors import InputError
from mlbom.formats.pickle import danger
from mlbom.formats.safe_read import load_yaml
from mlbom.model import Judged, first_of

NAME = "MLmodel"
ENV_FILES = ("python_env.yaml", "conda.yaml", "requirements.txt")  # mlflow's default names beside MLmodel
MAX_STRINGS = 10_000  # flavor strings checked as paths (more: suspicious, not checked)
MAX_INCLUDES = 16  # -r / -c files followed, in all
MAX_SHOWN = 10
# pip options that fetch from somewhere other than the default index, or build a local tree
_INDEX_OPTIONS = ("index_url", "extra_index_urls", "find_links", "no_index", "trusted_hosts",
                  "editables", "requirements", "constraints")
_DRIVE = re.compile(r"^[A-Za-z]:")
# a URL scheme (two characters at least: not a drive; not conda's ``channel::package``)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:(?!:)")
# pip's auto_decode: a coding declaration in the first two lines names the codec it decodes with
_PIP_CODING = re.compile(r"coding[:=]\s*([-\w.]+)", re.ASCII)


Judgement = Judged  # the one judged-finding type of the format readers (mlbom.model)


Inside = Callable[[str], bool]  # whether a folder-relative path stays in what this scan walks
Reader = Callable[[str], "str | None"]  # a folder-relative file's text; None: not there; InputError: unread


def _shown(items: list[str]) -> str:
    return first_of(items, MAX_SHOWN)


def _rooted(value: str) -> bool:
    """Absolute (POSIX root, a drive, a UNC/backslash root, ``~``), or holding a NUL."""
    return value.startswith(("/", "\\", "~")) or _DRIVE.match(value) is not None or "\x00" in value


def lexically_outside(value: str) -> bool:
    """Absolute (POSIX root, a drive, a UNC/backslash root, ``~``) or a ``..`` component."""
    return _rooted(value) or ".." in re.split(r"[/\\]", value)


def _strings(node: object, where: str, out: list[tuple[str, str]], depth: int = 0) -> None:
    if len(out) > MAX_STRINGS or depth > 64:
        out.append(("", where))
        return
    if isinstance(node, str):
        out.append((node, where))
    elif isinstance(node, dict):
        for k, v in node.items():
            _strings(v, f"{where}.{k}", out, depth + 1)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _strings(v, f"{where}[{i}]", out, depth + 1)


def judge(text: str, where: str, *, inside: Inside | None = None, read: Reader | None = None) -> list[Judgement]:
    """Judge an ``MLmodel`` text (and, with ``read``, the environment files beside it)."""
    try:
        doc = load_yaml(text, where).value
    except InputError as exc:
        return [Judgement("mlmodel.invalid", "high", f"{where}: not read as mlflow reads it ({exc}); "
                          "its flavors are not judged", "error")]
    if not isinstance(doc, dict):
        return []  # Model.load fails on it: nothing is loaded
    out: list[Judgement] = []
    flavors = doc.get("flavors")
    if not isinstance(flavors, dict):
        flavors = {}
    pyfunc = flavors.get("python_function")
    if isinstance(pyfunc, dict):
        out += _loader_module(pyfunc.get("loader_module"), where)
    outside: list[str] = []
    strings: list[tuple[str, str]] = []
    for name, conf in flavors.items():
        _strings(conf, f"flavors.{name}", strings)
    for value, at in strings:
        if value == "":
            if at and len(strings) > MAX_STRINGS:
                outside.append(f"{at}: more than {MAX_STRINGS} values; not checked")
            continue
        # every flavor string is a path: mlflow's flavor loaders os.path.join it to the model folder
        # whatever precedes a colon (``xy:/../x`` climbs through a folder ``xy:``; 27e-2)
        if lexically_outside(value) or (inside is not None and not inside(value)):
            outside.append(f"{at}: {value[:200]!r}")
    if outside:
        out.append(Judgement("mlmodel.path-outside", "high", f"{where}: {_shown(outside)}: mlflow joins these to "
                             "the model folder unchecked (an absolute part replaces it) and imports or loads what "
                             "they name — code or weights outside what a scan of this folder judged", "suspicious"))
    sk = flavors.get("sklearn")
    if isinstance(sk, dict) and "skops_trusted_types" in sk:
        out += _self_trust(sk["skops_trusted_types"], where)
    tf = flavors.get("tensorflow")
    if isinstance(tf, dict) and "keras_module" in tf:  # mlflow.tensorflow.load_model imports it
        out += _imported(tf["keras_module"], _KERAS_MODULES, where, "flavors.tensorflow.keras_module",
                         "mlflow.tensorflow.load_model imports it (and its .models) to load the Keras model")
    xgb = flavors.get("xgboost")
    if isinstance(xgb, dict) and "model_class" in xgb:  # mlflow.xgboost: _get_class_from_string(it)() (33e-4)
        out += _imported(xgb["model_class"], _XGB_CLASSES, where, "flavors.xgboost.model_class",
                         "mlflow.xgboost.load_model imports its module and calls the attribute with no arguments")
    out += _transformers_remote(flavors, where)
    out += _remote_uris(strings, where)
    if read is not None:
        out += _named_files(flavors, pyfunc if isinstance(pyfunc, dict) else {}, where, read, inside)
        out += _env(pyfunc if isinstance(pyfunc, dict) else {}, where, read, inside)
    return out


def _loader_module(mod: object, where: str) -> list[Judgement]:
    if mod is None:
        return []
    if not isinstance(mod, str) or not mod:
        return [Judgement("mlmodel.invalid", "high", f"{where}: flavors.python_function.loader_module is not a "
                          "module name; not judged", "error")]
    why = danger(mod) or danger(f"{mod}._load_pyfunc")
    if why is not None:
        return [Judgement("code.dangerous-target", "critical", f"{where}: flavors.python_function.loader_module "
                          f"{mod[:200]!r} ({why}): mlflow.pyfunc.load_model imports it and calls its _load_pyfunc",
                          "unsafe")]
    if mod.startswith("mlflow.") and ".." not in mod:
        return []
    return [Judgement("code.remote", "high", f"{where}: flavors.python_function.loader_module {mod[:200]!r} is "
                      "no module of mlflow: mlflow.pyfunc.load_model imports it (after putting the flavor's code "
                      "folder first on sys.path) and calls its _load_pyfunc — code this scan did not judge",
                      "suspicious")]


# module names mlflow itself writes where a flavor imports a module by name (29e-2):
# pickle_module_info.txt holds ``pickle_module.__name__`` of mlflow.pytorch.save_model (default
# mlflow.pytorch.pickle_module, a cloudpickle re-export; users pass pickle, cloudpickle or dill);
# keras_module.txt / keras_module hold ``tensorflow.keras`` (older mlflow: ``keras``, tf_keras)
_PICKLE_MODULES = frozenset({"mlflow.pytorch.pickle_module", "pickle", "cloudpickle", "dill"})
_KERAS_MODULES = frozenset({"tensorflow.keras", "keras", "tf_keras"})
# (flavor and its key naming the folder its load_model reads the file in, or None; loader_module of
#  the pyfunc path that reads it in python_function.data; the file; names mlflow writes; what is done)
_NAME_FILES: tuple[tuple[str | None, str, str, frozenset[str], str], ...] = (
    ("pytorch.model_data", "mlflow.pytorch", "pickle_module_info.txt", _PICKLE_MODULES,
     "mlflow.pytorch's _load_model imports it and passes it to torch.load as pickle_module (which turns "
     "weights_only off)"),
    (None, "mlflow.tensorflow", "keras_module.txt", _KERAS_MODULES,
     "mlflow.tensorflow's _load_pyfunc imports it (and its .models) to load the Keras model"),
)


# model_class values mlflow.xgboost.save_model writes (_get_fully_qualified_class_name of the model)
_XGB_CLASSES = frozenset({"xgboost.core.Booster", *(f"xgboost.sklearn.{c}" for c in (
    "XGBModel", "XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier", "XGBRFRegressor"))})
# a value naming content outside the model folder (a remote store, another run or registered model)
_REMOTE_URI = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|(?:runs|models|dbfs|uc):/)")


def _transformers_remote(flavors: dict[object, object], where: str) -> list[Judgement]:
    """mlflow.transformers with ``source_model_revision`` (save_pretrained=False) loads the model and
    its components from the Hugging Face Hub: ``source_model_name`` and ``<component>_name`` (33e-2).
    When ``pipeline_model_type`` is no transformers class mlflow itself calls
    ``AutoConfig.from_pretrained(repo, revision, trust_remote_code=True)`` (the repo's code runs)."""
    out: list[Judgement] = []
    tf = flavors.get("transformers")
    if isinstance(tf, dict) and "source_model_revision" in tf:
        comps = tf.get("components")
        repos = [f"source_model_name={str(tf.get('source_model_name'))[:200]!r}"]
        for c in comps if isinstance(comps, list) else []:
            if f"{c}_name" in tf:
                repos.append(f"{str(c)[:50]}_name={str(tf[f'{c}_name'])[:200]!r}")
        out.append(Judgement("code.remote", "high", f"{where}: flavors.transformers names Hugging Face Hub repos "
                             f"({_shown(repos)}, source_model_revision set): mlflow.transformers.load_model "
                             "downloads weights and code from outside this folder; when pipeline_model_type "
                             f"({str(tf.get('pipeline_model_type'))[:100]!r}) is no transformers class it calls "
                             "AutoConfig.from_pretrained(repo, trust_remote_code=True) itself, which runs the "
                             "repo's Python code", "suspicious"))
    base = tf.get("local_base_model_path") if isinstance(tf, dict) else None
    if isinstance(tf, dict) and base and not (isinstance(base, str) and lexically_outside(base)):  # absolute: path-outside
        # mlflow.transformers (load step 1, a truthy value) passes it to _load_model as is, never joined to
        # the model folder: transformers reads a name that is no directory of the working folder as a Hub
        # repo id (red team 34j-3)
        out.append(Judgement("code.remote", "high", f"{where}: flavors.transformers.local_base_model_path "
                             f"{str(base)[:200]!r} is not joined to the model folder: mlflow.transformers.load_model "
                             "loads the base model from a Hugging Face Hub repo of that name (or a folder of the "
                             "loader's working directory) — weights and code from outside this folder; when "
                             f"pipeline_model_type ({str(tf.get('pipeline_model_type'))[:100]!r}) is no "
                             "transformers class it calls AutoConfig.from_pretrained(it, trust_remote_code=True), "
                             "which runs the repo's Python code", "suspicious"))
    if isinstance(flavors.get("sentence_transformers"), dict):
        out.append(Judgement("code.remote", "info", f"{where}: mlflow.sentence_transformers.load_model always "
                             "passes trust_remote_code=True: a config.json auto_map in the model folder runs the "
                             "Python files it names (judged as code in a folder scan)", None))
    return out


def _remote_uris(strings: list[tuple[str, str]], where: str) -> list[Judgement]:
    """A flavor value that is a remote URI (``s3://``, ``hf://``, ``runs:/``, ``models:/``…): content
    not in this folder wherever a loader reads it (an ``artifacts.*.uri`` provenance note excepted:
    mlflow writes it and reads ``artifacts.*.path``)."""
    found = [f"{at}: {value[:200]!r}" for value, at in strings
             if value and _REMOTE_URI.match(value) and not re.search(r"\.artifacts\.[^.]+\.uri$", at)]
    if not found:
        return []
    return [Judgement("mlmodel.remote-uri", "high", f"{where}: {_shown(found)}: a remote URI — what a loader "
                      "reads there is not in this folder and was not judged", "suspicious")]


def _imported(mod: object, allowed: frozenset[str], where: str, what: str, does: str) -> list[Judgement]:
    """A module name a flavor loader passes to ``importlib.import_module``: the names mlflow
    writes pass; a deny-listed one ``unsafe``; any other ``suspicious`` (as ``loader_module``)."""
    if mod in allowed:
        return []
    if not isinstance(mod, str) or not mod:
        return [Judgement("mlmodel.invalid", "high", f"{where}: {what} is not a module name ({repr(mod)[:80]}); "
                          "not judged", "error")]
    why = danger(mod)
    if why is not None:
        return [Judgement("code.dangerous-target", "critical", f"{where}: {what} names {mod[:200]!r} ({why}): "
                          f"{does}", "unsafe")]
    return [Judgement("code.remote", "high", f"{where}: {what} names {mod[:200]!r}, no module mlflow writes "
                      f"there: {does} — an import this scan did not judge", "suspicious")]


def _named_files(flavors: dict[object, object], pyfunc: dict[object, object], where: str, read: Reader,
                 inside: Inside | None) -> list[Judgement]:
    """The data files whose text a flavor loader imports by name (:data:`_NAME_FILES`), in the
    folder the flavor's ``model_data`` names or, for its pyfunc loader, ``python_function.data``."""
    out: list[Judgement] = []
    for key, loader, fname, allowed, does in _NAME_FILES:
        dirs: list[object] = []
        conf = flavors.get(key.split(".")[0]) if key else None
        if key and isinstance(conf, dict):
            dirs.append(conf.get(key.split(".")[1]))
        if pyfunc.get("loader_module") == loader:  # pyfunc: python_function.data, else the model folder
            dirs.append(pyfunc.get("data", ""))
        for d in dict.fromkeys(x for x in dirs if isinstance(x, str)):
            if lexically_outside(d) or (inside is not None and not inside(d)):
                continue  # mlmodel.path-outside already
            rel = f"{d.rstrip('/')}/{fname}" if d.strip("/.") else fname
            bad: list[str] = []
            text = _read(read, rel, bad)
            if bad:
                out.append(Judgement("mlmodel.invalid", "high", f"{where}: {bad[0]}: {does}; not judged", "error"))
            elif text is not None:  # read whole, not stripped: mlflow imports f.read()
                out += _imported(text, allowed, where, rel, does)
    return out


def _self_trust(entries: object, where: str) -> list[Judgement]:
    from mlbom.formats import skops

    if entries is None:  # mlflow writes ``skops_trusted_types: null`` when none were given
        return []
    items = entries if isinstance(entries, list) else [entries]
    out: list[Judgement] = []
    granted: list[str] = []
    for e in items[:MAX_STRINGS]:
        if not isinstance(e, str):
            granted.append(repr(e)[:80])
            continue
        why = danger(e)
        if why is not None:
            out.append(Judgement("code.dangerous-target", "critical", f"{where}: flavors.sklearn.skops_trusted_types "
                                 f"names {e[:200]!r} ({why}): mlflow passes the list to skops.io.load(trusted=...), "
                                 "which then imports and calls it", "unsafe"))
        elif not skops.default_trusted_anywhere(e):
            granted.append(e[:200])
    if granted:
        out.append(Judgement("mlmodel.self-trust", "high", f"{where}: flavors.sklearn.skops_trusted_types grants "
                             f"trust skops does not give by default: {_shown(granted)}; mlflow.sklearn.load_model "
                             "passes the model's own list to skops.io.load(trusted=...) with no opt-in of yours",
                             "suspicious"))
    return out


# ---- environment files -----------------------------------------------------------------


def _env(pyfunc: dict[object, object], where: str, read: Reader, inside: Inside | None) -> list[Judgement]:
    names: list[str] = list(ENV_FILES)
    env = pyfunc.get("env")
    if isinstance(env, str):
        names.append(env)
    elif isinstance(env, dict):
        names += [v for v in env.values() if isinstance(v, str)]
    lines: list[tuple[str, str]] = []  # (requirement line, where)
    bad: list[str] = []
    for name in dict.fromkeys(names):
        if lexically_outside(name) or (inside is not None and not inside(name)):
            bad.append(f"{name[:200]!r}: an environment file outside the model folder")
            continue
        text = _read(read, name, bad)
        if text is None:
            continue
        if name.endswith((".yaml", ".yml")):
            lines += _yaml_requirements(text.removeprefix("\ufeff"), name, bad)
        else:
            lines += [(line, name) for line in _pip_lines(text, name, bad)]
    found = _requirements(lines, read, inside, bad)
    if not found and not bad:
        return []
    shown = _shown(list(dict.fromkeys(bad)) + found)  # (a file both listed and included is read twice)
    return [Judgement("mlmodel.install-from-source", "high", f"{where}: {shown}: mlflow models "
                      "serve/predict and spark_udf(env_manager=...) pip-install the model's environment; these "
                      "build or fetch code from outside what this scan judged", "suspicious")]


def _yaml_requirements(text: str, name: str, bad: list[str]) -> list[tuple[str, str]]:
    try:
        doc = load_yaml(text, name).value
    except InputError as exc:
        bad.append(f"{name}: not read ({str(exc)[:120]}); its requirements are not judged")
        return []
    out: list[tuple[str, str]] = []
    if not isinstance(doc, dict):
        return out
    conda = "conda" in name.lower() or "channels" in doc  # a conda spec: its bare strings are conda packages
    if conda:
        bad += _conda_sources(doc, name)
    for key in ("build_dependencies", "dependencies"):  # python_env.yaml's pip lines; conda.yaml's pip: lists
        deps = doc.get(key)
        for d in deps if isinstance(deps, list) else []:
            if isinstance(d, str) and not (conda and key == "dependencies"):
                out.append((d, f"{name}: {key}"))
            elif isinstance(d, dict) and isinstance(d.get("pip"), list):
                out += [(str(p), f"{name}: {key}: pip") for p in d["pip"]]
    return out


# conda channels whose packages their maintainers publish (Anaconda's defaults, conda-forge, and the
# framework vendors' own): any other name is an anaconda.org account anyone may register, and a URL
# or path any server or folder (red team 82s-2). ``conda env create`` installs from them and runs a
# package's post-link scripts; ``conda activate`` its activate.d scripts
_CONDA_CHANNELS = frozenset({"defaults", "nodefaults", "conda-forge", "main", "r", "msys2", "free", "anaconda",
                             "pkgs/main", "pkgs/r", "pkgs/msys2", "pkgs/free", "pytorch", "nvidia", "bioconda"})
_CONDA_ARCHIVE = re.compile(r"(?i).*\.(?:conda|tar\.bz2)(?:#.*)?")


def _conda_sources(doc: dict[object, object], name: str) -> list[str]:
    """What a conda environment file installs from outside the usual channels: a channel (or a
    ``channel::package`` spec) not in :data:`_CONDA_CHANNELS`, a URL, a path or a package archive
    as a dependency (82s-2)."""
    found: list[str] = []
    variables = doc.get("variables")
    if variables:  # conda env create stores them, conda activate exports them (83s-3)
        shown = ", ".join(repr(str(k)[:60]) for k in (variables if isinstance(variables, dict) else [variables]))[:300]
        found.append(f"{name}: variables {shown} (conda activate exports them into every process the environment "
                     "starts: PYTHONWARNINGS, BROWSER, PYTHONPATH, LD_PRELOAD … run code)")
    channels = doc.get("channels")
    for c in channels if isinstance(channels, list) else [channels] if channels is not None else []:
        if not (isinstance(c, str) and c.strip().lower().rstrip("/") in _CONDA_CHANNELS):
            found.append(f"{name}: channel {str(c)[:200]!r} (conda installs from it and runs its packages' scripts)")
    deps = doc.get("dependencies")
    for d in deps if isinstance(deps, list) else []:
        if not isinstance(d, str):
            continue
        spec = d.strip()
        chan = spec.split("::", 1)[0].strip().lower().rstrip("/") if "::" in spec else None
        if (chan is not None and chan not in _CONDA_CHANNELS) or _SCHEME.match(spec) or lexically_outside(spec) \
                or spec.startswith(".") or "/" in spec.split("::")[-1] or _CONDA_ARCHIVE.fullmatch(spec):
            found.append(f"{name}: dependency {spec[:200]!r} (a channel, URL, path or package archive outside the "
                         "usual channels)")
    return found


def _requirements(lines: list[tuple[str, str]], read: Reader, inside: Inside | None, bad: list[str]) -> list[str]:
    from mlbom.formats.reqfile import parse_requirements_text

    found: list[str] = []
    seen: set[str] = set()
    queue = list(lines)
    follows = 0
    while queue:
        batch, queue = queue, []
        by_source: dict[str, list[str]] = {}
        for line, src in batch:
            by_source.setdefault(src, []).append(line)
        for src, src_lines in by_source.items():
            rf = parse_requirements_text("\n".join(src_lines), src)
            for opt in rf.options:
                for key in _INDEX_OPTIONS:
                    vals = opt.options.get(key)
                    if not vals:
                        continue
                    if key in ("requirements", "constraints"):
                        for written in vals if isinstance(vals, list) else [vals]:
                            written = str(written)
                            # pip joins a -r/-c path to the including file's folder (req_file.py:
                            # os.path.join(os.path.dirname(filename), path)), red team 81s-3; the
                            # environment files' lines (and the requirements file mlflow writes from
                            # them into the model folder) resolve against the model folder
                            inc = _included(posixpath.dirname(src) if src in seen else "", written)
                            if "${" in written:  # pip expands ${NAME} from the environment (82s-1)
                                bad.append(f"{src}: -r/-c {written[:200]!r} names an environment variable: pip "
                                           "expands it, so the file it reads depends on the machine")
                            elif lexically_outside(inc) or (inside is not None and not inside(inc)) \
                                    or _SCHEME.match(written):  # file:/proc/self/cwd/x is a URL to pip (82s-1)
                                shown = repr(written[:200]) + (f" (pip reads {inc[:200]!r})" if inc != written else "")
                                bad.append(f"{src}: -r/-c {shown} outside the model folder")
                            elif inc not in seen and follows < MAX_INCLUDES:
                                seen.add(inc)
                                follows += 1
                                text = _read(read, inc, bad)
                                if text is None:
                                    bad.append(f"{src}: -r/-c {written[:200]!r} names no file of the model folder "
                                               "(what pip would read is not judged)")
                                queue += [(x, inc) for x in _pip_lines(text, inc, bad)]
                        continue
                    found.append(f"{src}: --{key.replace('_', '-')} {str(vals)[:200]}")
            for req in rf.requirements:
                if req.is_editable or req.link is not None:
                    found.append(f"{src}: {str(req.line)[:200]!r}")
            for inv in rf.invalid_lines:
                found.append(f"{src}: a line pip may read otherwise: {str(inv.line)[:200]!r}")
    return list(dict.fromkeys(found))


def _pip_lines(text: str | None, name: str, bad: list[str]) -> list[str]:
    """The lines of a requirements file as pip reads them (its byte-order mark dropped), a coding
    declaration pip would decode by noted in ``bad`` (:func:`pip_coding`)."""
    if text is None:
        return []
    if (why := pip_coding(text)) is not None:
        bad.append(f"{name[:200]}: {why}")
    return text.removeprefix("\ufeff").splitlines()


def _included(folder: str, written: str) -> str:
    """The path (relative to the model folder) pip reads for ``-r``/``-c written`` in a file of
    ``folder``: joined to it (``envs/../x``, with its ``..``: outside); an absolute,
    ``~``, drive or URL value as written (judged as it is)."""
    if not folder or _rooted(written) or "://" in written:
        return written
    # not normalised: the OS resolves ``..`` after following a linked folder, so ``envs/../x`` is
    # not ``x`` when ``envs`` is a link; a ``..`` left in the joined path is judged outside (fail closed)
    return posixpath.join(folder, written)


def pip_coding(text: str) -> str | None:
    """Why pip would decode a requirements file otherwise than mlbom read it (UTF-8), or None:
    pip's ``auto_decode`` obeys a byte-order mark (``text`` starts with U+FEFF when the file
    did), else a ``coding:`` declaration in a comment among its first two lines split on ``\\n``
    only (82s-1: a ``utf-7`` comment line held ``+AAo-``, a newline to pip, and an
    ``--index-url`` after it; 83s-2: a first line ending ``\\r\\r`` is one line to pip)."""
    if text.startswith("\ufeff"):
        return None  # a byte-order mark comes first: pip decodes by it
    for line in text.split("\n")[:2]:  # pip splits on b"\n" only (83s-2: "\r\r" is no line end to it)
        m = _PIP_CODING.search(line) if line.startswith("#") else None
        if m is None:
            continue
        try:
            codec = codecs.lookup(m.group(1)).name
        except LookupError:
            return f"declares the coding {m.group(1)[:40]!r}, which pip cannot decode with (it stops)"
        if codec not in ("utf-8", "ascii"):
            return (f"declares the coding {m.group(1)[:40]!r}: pip decodes it so, and what it then reads is not "
                    "what mlbom read as UTF-8")
        return None
    return None


def _read(read: Reader, name: str, bad: list[str]) -> str | None:
    try:
        return read(name)
    except InputError as exc:  # there, but not read: what pip installs from it is not judged
        bad.append(f"{name[:200]!r}: not read ({str(exc)[:160]}); what it installs is not judged")
        return None
