"""Maintainer tool: other modules' names for the callables mlbom's pickle deny list denies, taken
from the installed libraries (never imported by mlbom itself), written to
``mlbom/data/pickle-deny-aliases.json``.

    python tools/deny_aliases.py                      # report what would change
    python tools/deny_aliases.py --write              # write the file (this venv's packages)
    /other/venv/bin/python tools/deny_aliases.py --write --merge   # add another venv's aliases

Why (red team 26e-6): ``find_class`` resolves ``pycparser.check_output`` to whatever object that
module attribute holds, and ``pycparser/__init__.py`` does ``from subprocess import check_output``:
the deny list matches names, so the re-export was ``unlisted`` (``suspicious``), not ``unsafe``.
Here every module of the listed packages is imported (each package in a child process with a time
limit, so an import that hangs or exits costs only that package), and every module attribute
that *is* (identity) a callable whose own path — ``__module__`` + ``__qualname__``, checked to
resolve back to the same object — the deny list denies, while the attribute's path is not denied
already, is recorded as ``alias path -> own path``. The judge maps an alias to its own path before
the deny decision (:func:`mlbom.formats.pickle.danger`; config targets use the same function).

Modules whose import fails are skipped; test, example and ``__main__`` modules are not imported
(their import runs test set-up or programs). What a package imports lazily at attribute access
is not seen: the table is a floor, and the judge also treats an unlisted callable named like a
process/exec function as denied (:func:`mlbom.formats.pickle.process_final`).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib
import importlib.metadata
import importlib.util
import json
import os
import pkgutil
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "mlbom" / "data" / "pickle-deny-aliases.json"
PACKAGES = ("numpy", "pandas", "torch", "sklearn", "scipy", "joblib", "pycparser", "sympy", "setuptools", "pip",
            "virtualenv", "python_discovery", "transformers", "huggingface_hub", "keras", "dateutil", "h5py",
            "tables", "onnx", "skops", "mlflow", "safetensors", "yaml", "jinja2", "lz4", "cffi", "pyarrow")
DISTRIBUTIONS = {"sklearn": "scikit-learn", "yaml": "PyYAML", "dateutil": "python-dateutil", "tables": "tables",
                 "python_discovery": "python-discovery"}
SKIP_PARTS = frozenset({"tests", "test", "testing", "_testing", "conftest", "__main__", "examples", "benchmarks",
                        "setup", "_pytest", "pytest_plugin", "conftest_", "__pyinstaller"})
MAX_MODULES = 4000  # per package
TIME_LIMIT = 300  # seconds per package
_MARK = "@@alias "


def _skip(name: str) -> bool:
    return any(p in SKIP_PARTS or p.startswith("test_") for p in name.split("."))


def _own_path(obj: Any) -> str | None:
    """``obj``'s own dotted path, when it resolves back to ``obj``."""
    try:
        module, qual = obj.__module__, obj.__qualname__
    except Exception:
        return None
    if not isinstance(module, str) or not isinstance(qual, str) or "<" in qual:
        return None
    try:
        found: Any = importlib.import_module(module)
        for part in qual.split("."):
            found = getattr(found, part)
    except Exception:
        return None
    return f"{module}.{qual}" if found is obj else None


def _child(package: str) -> None:
    """Import ``package`` and its modules; print each alias as it is found (the parent keeps what
    was printed before a time-out)."""
    sys.path.insert(0, str(ROOT))
    from mlbom.formats import pickle as pickle_fmt

    pol = pickle_fmt.policy()
    bare = dataclasses.replace(pol, aliases={})
    warnings.simplefilter("ignore")
    try:
        root = importlib.import_module(package)
    except BaseException as exc:
        print(f"{_MARK}!error {type(exc).__name__}", flush=True)
        return
    names = [package]
    if hasattr(root, "__path__"):
        for info in pkgutil.walk_packages(root.__path__, package + ".", onerror=lambda _n: None):
            if not _skip(info.name):
                names.append(info.name)
            if len(names) >= MAX_MODULES:
                break
    seen: set[str] = set()
    done = 0
    for name in names:
        try:
            importlib.import_module(name)
        except BaseException:
            continue
        done += 1
    for name, mod in sorted(sys.modules.items()):
        if mod is None or not (name == package or name.startswith(package + ".")):
            continue
        try:
            attrs = dict(vars(mod))
        except TypeError:
            continue
        for attr, obj in sorted(attrs.items()):
            if not callable(obj) or isinstance(obj, type(sys)):
                continue
            if isinstance(obj, type) and issubclass(obj, BaseException):
                continue  # an exception class: building one runs nothing (the deny list denies its module whole)
            alias = f"{name}.{attr}"
            if alias in seen or pickle_fmt.danger(alias, bare) is not None:
                continue
            own = _own_path(obj)
            if own is None or own == alias or pickle_fmt.danger(own, bare) is None:
                continue
            seen.add(alias)
            print(f"{_MARK}{alias} {own}", flush=True)
    print(f"{_MARK}!modules {done} {len(names)}", flush=True)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(DISTRIBUTIONS.get(package, package))
    except importlib.metadata.PackageNotFoundError:
        return "?"


def collect(packages: list[str], limit: int) -> tuple[dict[str, str], dict[str, dict[str, object]]]:
    aliases: dict[str, str] = {}
    prov: dict[str, dict[str, object]] = {}
    for package in packages:
        if importlib.util.find_spec(package) is None:
            continue
        start = time.monotonic()
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
        try:
            done = subprocess.run([sys.executable, __file__, "--child", package], capture_output=True, text=True,
                                  timeout=limit, env=env, check=False, stdin=subprocess.DEVNULL)
            out, complete = done.stdout, True
        except subprocess.TimeoutExpired as exc:
            raw = exc.stdout or b""
            out, complete = raw.decode() if isinstance(raw, bytes) else raw, False
        modules = "?"
        for line in out.splitlines():
            if not line.startswith(_MARK):
                continue
            body = line[len(_MARK):]
            if body.startswith("!modules "):
                modules = body.split()[1]
            elif body.startswith("!error"):
                complete = False
            else:
                alias, own = body.split(" ", 1)
                aliases[alias] = own
        prov[package] = {"version": _version(package), "modules": modules, "complete": complete}
        print(f"{package}: {modules} modules, {sum(a.startswith(package + '.') for a in aliases)} aliases, "
              f"{time.monotonic() - start:.0f} s{'' if complete else ' (partial)'}", file=sys.stderr)
    return aliases, prov


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("packages", nargs="*", default=list(PACKAGES))
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--merge", action="store_true", help="keep the aliases and provenance already in the file")
    ap.add_argument("--time-limit", type=int, default=TIME_LIMIT)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child)
        return 0
    aliases, prov = collect(args.packages, args.time_limit)
    old = json.loads(OUT.read_text("utf-8")) if OUT.exists() else {}
    venv = {"python": sys.version.split()[0], "prefix": sys.prefix, "packages": prov}
    if args.merge:
        aliases = {**old.get("aliases", {}), **aliases}
        venvs = [v for v in old.get("provenance", {}).get("venvs", []) if v.get("prefix") != sys.prefix] + [venv]
    else:
        venvs = [venv]
    data = {
        "about": "Other modules' names for callables the pickle deny list denies (alias path -> the callable's own "
                 "path): the judge denies an alias as its callable. Generated by tools/deny_aliases.py from the "
                 "installed packages; do not edit by hand.",
        "provenance": {"tool": "tools/deny_aliases.py", "date": datetime.date.today().isoformat(), "venvs": venvs},
        "aliases": dict(sorted(aliases.items())),
    }
    sys.path.insert(0, str(ROOT))
    from mlbom.formats import pickle as pickle_fmt

    for alias in sorted(set(aliases) & set(pickle_fmt.policy().allow)):  # the allowlist wins in the judge
        print(f"warning: {alias} is allowlisted but is {aliases[alias]}", file=sys.stderr)
    added = sorted(set(aliases) - set(old.get("aliases", {})))
    print(f"{len(aliases)} aliases ({len(added)} new)", file=sys.stderr)
    for a in added[:50]:
        print(f"  + {a} -> {aliases[a]}", file=sys.stderr)
    if args.write:
        OUT.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
