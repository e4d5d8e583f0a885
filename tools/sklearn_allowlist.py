"""Maintainer tool: which scikit-learn classes the pickle allowlist should name, checked on the
installed scikit-learn (never imported by mlbom itself).

    python tools/sklearn_allowlist.py            # report
    python tools/sklearn_allowlist.py --write    # add the passing classes to mlbom/data/pickle-allowlist.json

Every estimator ``sklearn.utils.all_estimators()`` lists is built with its defaults, fitted on a
tiny data set and pickled (protocol 5, as ``joblib.dump`` writes). The globals each pickle names are
recorded by an ``Unpickler.find_class`` hook while this tool reads back the pickle it has just
written itself. A class is proposed only when loading it cannot run code of its own beyond what
the allowlist's scikit-learn group already assumes (NEWOBJ: ``object.__new__``; BUILD:
``BaseEstimator.__setstate__``, which pops ``_sklearn_version`` and updates ``__dict__``, or no
``__setstate__`` at all, so the default BUILD sets attributes):

- it is a class defined in a ``sklearn.`` module;
- ``__new__`` is ``object.__new__`` (or scikit-learn's ``@deprecated`` wrapper around it, which
  only warns); ``__reduce__``/``__reduce_ex__`` are ``object``'s (so a pickler
  writes it with NEWOBJ and a state, never as a call);
- ``__setstate__`` is absent or ``BaseEstimator.__setstate__``; ``__setattr__`` and
  ``__getattr__``/``__getattribute__`` are ``object``'s (BUILD sets attributes without running code).

Functions and Cython types a pickle names are reported, never added: each needs its own reason.
"""

from __future__ import annotations

import argparse
import io
import json
import pickle
import warnings
from pathlib import Path
from typing import Any

ALLOWLIST = Path(__file__).resolve().parents[1] / "mlbom" / "data" / "pickle-allowlist.json"
GROUP = "scikit-learn estimator or helper class"


class _Recorder(pickle.Unpickler):
    def __init__(self, data: bytes, seen: set[tuple[str, str]]) -> None:
        super().__init__(io.BytesIO(data))
        self.seen = seen

    def find_class(self, module: str, name: str) -> Any:
        self.seen.add((module, name))
        return super().find_class(module, name)


def _fitted() -> list[Any]:
    import numpy as np
    from sklearn.utils import all_estimators

    rng = np.random.RandomState(0)
    x = rng.rand(40, 4)
    y = (x[:, 0] > 0.5).astype(int)
    out = []
    for _name, cls in all_estimators():
        try:
            est = cls()
        except Exception:  # needs arguments (a meta-estimator): not built here
            continue
        for target in (y, x[:, 1], None):
            try:
                est.fit(x, target) if target is not None else est.fit(x)
                out.append(est)
                break
            except Exception:
                continue
    return out


def _plain_new(new: Any) -> bool:
    """``object.__new__``, or scikit-learn's ``@deprecated`` class wrapper around it (it warns,
    then returns ``object.__new__(cls)``)."""
    if new is object.__new__:
        return True
    code = getattr(new, "__code__", None)
    if getattr(new, "__module__", "") != "sklearn.utils.deprecation" or code is None or new.__closure__ is None:
        return False
    cells = dict(zip(code.co_freevars, new.__closure__, strict=True))
    return "new" in cells and cells["new"].cell_contents is object.__new__


def _data_only(obj: Any) -> str | None:
    """None when ``obj`` is a class whose load runs no code of its own; else why not."""
    from sklearn.base import BaseEstimator

    if not isinstance(obj, type):
        return "not a class"
    if not obj.__module__.startswith("sklearn."):
        return "outside sklearn"
    if not _plain_new(obj.__new__):
        return "own __new__"
    if obj.__reduce__ is not object.__reduce__ or obj.__reduce_ex__ is not object.__reduce_ex__:
        return "own __reduce__"
    setstate = getattr(obj, "__setstate__", None)
    if setstate is not None and setstate is not BaseEstimator.__setstate__:
        return "own __setstate__"
    if obj.__setattr__ is not object.__setattr__ or obj.__getattribute__ is not object.__getattribute__:
        return "own attribute access"
    if "__getattr__" in dir(obj):
        return "own __getattr__"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    import importlib

    import sklearn

    warnings.filterwarnings("ignore")
    seen: set[tuple[str, str]] = set()
    for est in _fitted():
        try:
            _Recorder(pickle.dumps(est, protocol=5), seen).load()
        except Exception:
            continue
    doc = json.loads(ALLOWLIST.read_text("utf-8"))
    listed = {k for g in doc["allow"] for k in g["entries"]}
    group = next(g for g in doc["allow"] if g["why"].startswith(GROUP))
    new: dict[str, str] = {}
    for module, name in sorted(seen):
        key = f"{module}:{name}"
        if key in listed or not module.startswith("sklearn"):
            if key not in listed:
                print(f"not sklearn, not listed: {key}")
            continue
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        why = _data_only(obj)
        if why is None:
            new[key] = f"checked on scikit-learn {sklearn.__version__} by tools/sklearn_allowlist.py"
        else:
            print(f"left out ({why}): {key}")
    for key in new:
        print(f"add: {key}")
    if args.write and new:
        group["entries"].update(new)
        ALLOWLIST.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
