"""Maintainer tool: the callable attribute names of every class the pickle allowlist names,
taken from the installed libraries (never imported by mlbom itself), written to
``mlbom/data/pickle-methods.json``.

    python tools/pickle_methods.py            # report what would change
    python tools/pickle_methods.py --write    # write mlbom/data/pickle-methods.json

Why: allowlisted library code calls ``self.<name>()`` while an object is loaded (scikit-learn's
version warning formats the object, IsotonicRegression.__setstate__ calls ``self._build_f``,
torch's Optimizer.__setstate__ calls ``self.profile_hook_step``, ``datetime.__hash__`` calls
``tzinfo.utcoffset``) and after it. Python looks such a name up on the instance ``__dict__``
before the class unless the class attribute is a data descriptor (a property, a slot), so a
BUILD/``__setstate__`` state key naming a method, function, staticmethod, classmethod, builtin
method or any other callable the class (or a class in its MRO) holds replaces what that code
calls. The scanner flags such keys; it needs the names statically, so they are recorded here.

Layout (kept small): ``classes`` maps each allowlisted class (``module:qualname``) to the keys
of the classes in its MRO (``object`` left out); ``names`` maps each MRO class key to the
callable names it defines itself (``vars(cls)``) that an instance attribute can shadow
(non-dunder: the implicit dunder lookups go to the type, and the scanner flags dunder keys
anyway). A subclass that turns an inherited method into a data descriptor still has the name
listed under its base: an over-approximation (flagged), never a miss. Allowlist entries that
are not classes (functions, constants) or that the installed libraries do not have are left
out; the scanner treats a callable stored into an object of an unrecorded class as it does any
other stored callable.
"""

from __future__ import annotations

import argparse
import importlib
import json
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ALLOWLIST = ROOT / "mlbom" / "data" / "pickle-allowlist.json"
OUT = ROOT / "mlbom" / "data" / "pickle-methods.json"


def _resolve(key: str) -> Any:
    module, _, qualname = key.partition(":")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj: Any = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
    except Exception:  # a name the installed libraries lack is left out
        return None
    return obj


def _key(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _shadowable(cls: type, name: str) -> bool:
    """``name`` as defined in ``vars(cls)`` is callable and an instance attribute hides it."""
    if name.startswith("__") and name.endswith("__"):
        return False
    raw = vars(cls)[name]
    kind = type(raw)
    if hasattr(kind, "__set__") or hasattr(kind, "__delete__"):
        return False  # a data descriptor (property, member, getset): it wins over the instance dict
    if isinstance(raw, staticmethod | classmethod):
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return callable(raw) or callable(getattr(cls, name))
    except Exception:  # a descriptor whose __get__ raises: flag the name (fail closed)
        return True


def generate() -> dict[str, Any]:
    data = json.loads(ALLOWLIST.read_text("utf-8"))
    classes: dict[str, list[str]] = {}
    names: dict[str, list[str]] = {}
    for group in data["allow"]:
        for key in group["entries"]:
            obj = _resolve(key)
            if not isinstance(obj, type):
                continue
            mro = [c for c in obj.__mro__ if c is not object]
            classes[key] = [_key(c) for c in mro]
            for c in mro:
                k = _key(c)
                if k not in names:
                    names[k] = sorted(n for n in vars(c) if _shadowable(c, n))
    return {
        "about": "callable attribute names of the pickle allowlist's classes (an instance attribute of such a "
                 "name hides the class's): classes -> MRO class keys, names -> each one's own names. Generated "
                 "by tools/pickle_methods.py from the installed libraries; see its docstring.",
        "classes": dict(sorted(classes.items())),
        "names": dict(sorted(names.items())),
    }


def _dump(data: dict[str, Any]) -> str:
    """One line per class: small, and a regenerated file diffs by class."""
    lines = ["{", f' "about": {json.dumps(data["about"])},']
    for part in ("classes", "names"):
        rows = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in data[part].items()]
        lines.append(f' "{part}": {{\n' + ",\n".join(rows) + "\n }" + ("," if part == "classes" else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    new = generate()
    text = _dump(new)
    old = OUT.read_text("utf-8") if OUT.exists() else ""
    print(f"{len(new['classes'])} classes, {len(new['names'])} MRO classes, "
          f"{sum(len(v) for v in new['names'].values())} names; {'unchanged' if old == text else 'changed'}")
    if args.write and old != text:
        OUT.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

