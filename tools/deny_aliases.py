"""Maintainer tool: other modules' names for the callables mlbom's pickle deny list denies, taken
from the installed libraries (never imported by mlbom itself), written to
``mlbom/data/pickle-deny-aliases.json``.

    python tools/deny_aliases.py                      # report what would change
    python tools/deny_aliases.py --write              # write the file (every package of this venv)
    python tools/deny_aliases.py --packages torch sympy   # only these top-level packages
    /other/venv/bin/python tools/deny_aliases.py --write --merge   # add another venv's aliases
    python tools/deny_aliases.py --review             # list candidate sinks for a human (writes nothing)

Why (red team 26e-6): ``find_class`` resolves ``pycparser.check_output`` to whatever object that
module attribute holds, and ``pycparser/__init__.py`` does ``from subprocess import check_output``:
the deny list matches names, so the re-export was ``unlisted`` (``suspicious``), not ``unsafe``.
Here every module of every top-level package installed in this venv (red team 27a-5: an unknown
package is where the table is most needed; ``--packages`` narrows it) is imported (each package in a child process with a time
limit, so an import that hangs or exits costs only that package), and every module attribute
that *is* (identity) a callable whose own path — ``__module__`` + ``__qualname__``, checked to
resolve back to the same object — the deny list denies, while the attribute's path is not denied
already, is recorded as ``alias path -> own path``. The judge maps an alias to its own path before
the deny decision (:func:`mlbom.formats.pickle.danger`; config targets use the same function).

Modules whose import fails are skipped; test, example and ``__main__`` modules are not imported
(their import runs test set-up or programs). What a package imports lazily at attribute access
is not seen: the table is a floor, and the judge also treats an unlisted callable named like a
process/exec function as denied (:func:`mlbom.formats.pickle.process_final`).

``--review`` (red team 27a-3) lists, without denying anything, the functions of the scanned
packages whose code (nested functions included) names ``eval``/``exec``/``compile``/``__import__``/
``subprocess``/``ctypes``/``os.system`` (``co_names``) and that the deny list does not deny yet: an
alias table only finds new names for known sinks, this finds candidate new sinks for a human to
judge and add to ``mlbom/data/pickle-allowlist.json``.

The file records the Python version and each package's version, module count and completeness:
no date and no paths, so the same venv writes the same file.
"""

from __future__ import annotations

import argparse
import dataclasses
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
SELF = frozenset({"mlbom", "tests", "tools", "fuzz", "benchmarks"})  # this checkout, never scanned
SKIP_PARTS = frozenset({"tests", "test", "testing", "_testing", "conftest", "__main__", "examples", "benchmarks",
                        "setup", "_pytest", "pytest_plugin", "conftest_", "__pyinstaller"})
MAX_MODULES = 4000  # per package
TIME_LIMIT = 300  # seconds per package
_MARK = "@@alias "
_REVIEW = "@@review "
# what a function's code names when it may run code, a program or native code given as data
SINK_NAMES = frozenset({"eval", "exec", "compile", "__import__", "subprocess", "ctypes", "system", "popen",
                        "CDLL", "dlopen", "import_module"})


def installed_packages() -> list[str]:
    """Every importable top-level package or module that an installed distribution provides."""
    return sorted(k for k in importlib.metadata.packages_distributions()
                  if k.isidentifier() and not k.startswith("_") and k not in SELF)


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


def _code_names(code: Any, depth: int = 0) -> set[str]:
    names = set(code.co_names)
    if depth < 8:
        for const in code.co_consts:
            if hasattr(const, "co_names"):
                names |= _code_names(const, depth + 1)
    return names


def _sinks(code: Any) -> list[str]:
    names = _code_names(code)
    found = sorted(n for n in names & SINK_NAMES if n not in ("system", "popen") or "os" in names)
    return found


def _child(package: str, review: bool = False) -> None:
    """Import ``package`` and its modules; print each alias (or, with ``review``, each candidate
    sink) as it is found (the parent keeps what was printed before a time-out)."""
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
            if review:
                _review(name, attr, obj, bare, seen)
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


def _review(module: str, attr: str, obj: Any, bare: Any, seen: set[str]) -> None:
    from mlbom.formats import pickle as pickle_fmt

    members = [(attr, obj)]
    if isinstance(obj, type) and obj.__module__ == module:
        members += [(f"{attr}.{k}", v) for k, v in sorted(vars(obj).items()) if callable(v)]
    for path, fn in members:
        fn = getattr(fn, "__func__", fn)
        code = getattr(fn, "__code__", None)
        if code is None or getattr(fn, "__module__", None) != module:
            continue
        full = f"{module}.{path}"
        if full in seen or pickle_fmt.danger(full, bare) is not None:
            continue
        sinks = _sinks(code)
        if sinks:
            seen.add(full)
            print(f"{_REVIEW}{full} {','.join(sinks)}", flush=True)


def _version(package: str) -> str:
    dists = importlib.metadata.packages_distributions().get(package) or [package]
    try:
        return importlib.metadata.version(dists[0])
    except importlib.metadata.PackageNotFoundError:
        return "?"


def collect(packages: list[str], limit: int, review: bool = False
            ) -> tuple[dict[str, str], dict[str, dict[str, object]]]:
    aliases: dict[str, str] = {}
    prov: dict[str, dict[str, object]] = {}
    for package in packages:
        if importlib.util.find_spec(package) is None:
            continue
        start = time.monotonic()
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
        try:
            argv = [sys.executable, __file__, "--child", package] + (["--review"] if review else [])
            done = subprocess.run(argv, capture_output=True, text=True,
                                  timeout=limit, env=env, check=False, stdin=subprocess.DEVNULL)
            out, complete = done.stdout, True
        except subprocess.TimeoutExpired as exc:
            raw = exc.stdout or b""
            out, complete = raw.decode() if isinstance(raw, bytes) else raw, False
        modules = "?"
        for line in out.splitlines():
            if line.startswith(_REVIEW):
                path, sinks = line[len(_REVIEW):].split(" ", 1)
                aliases[path] = sinks
                continue
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
    ap.add_argument("--packages", nargs="+", help="top-level packages to scan (default: every installed one)")
    ap.add_argument("--review", action="store_true", help="list candidate sinks for a human; write nothing")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--merge", action="store_true", help="keep the aliases and provenance already in the file")
    ap.add_argument("--time-limit", type=int, default=TIME_LIMIT)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.review)
        return 0
    aliases, prov = collect(args.packages or installed_packages(), args.time_limit, args.review)
    if args.review:
        for path, sinks in sorted(aliases.items()):
            print(f"{path}\t{sinks}")
        print(f"{len(aliases)} candidate sinks not denied", file=sys.stderr)
        return 0
    old = json.loads(OUT.read_text("utf-8")) if OUT.exists() else {}
    venv = {"python": sys.version.split()[0], "packages": prov}
    if args.merge:
        aliases = {**old.get("aliases", {}), **aliases}
        # the same venv scanned again (its packages a subset of this scan's) is replaced, others kept
        venvs = [{k: x for k, x in v.items() if k not in ("prefix", "date")}
                 for v in old.get("provenance", {}).get("venvs", [])
                 if not set(v.get("packages", {})) <= set(prov)] + [venv]
    else:
        venvs = [venv]
    data = {
        "about": "Other modules' names for callables the pickle deny list denies (alias path -> the callable's own "
                 "path): the judge denies an alias as its callable. Generated by tools/deny_aliases.py from the "
                 "installed packages; do not edit by hand.",
        "provenance": {"tool": "tools/deny_aliases.py", "venvs": venvs},
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
