"""Maintainer tool: which scikit-learn classes the pickle allowlist should name, checked on the
installed scikit-learn (never imported by mlbom itself).

    python tools/sklearn_allowlist.py            # report
    python tools/sklearn_allowlist.py --write    # add what passes to mlbom/data/pickle-allowlist.json
    python tools/sklearn_allowlist.py --scan     # also joblib.dump every fitted estimator and count verdicts

Every estimator ``sklearn.utils.all_estimators()`` lists is built and fitted on tiny data sets
(``_fitted``): default-constructible ones on every target kind they accept (binary, multiclass,
multilabel, continuous, multi-output, none); meta-estimators with simple default sub-estimators
(``_subs``: Stacking*/Voting* pairs, MultiOutput*, chains, one-vs-one/rest, output codes, RFE(CV),
SelectFromModel, SequentialFeatureSelector, SelfTraining, threshold classifiers, grid, random and
halving searches over plain lists, IterativeImputer, ColumnTransformer, FeatureUnion, Pipeline);
estimators that need other inputs on those inputs (``_INPUTS``/``_PARAMS``: 1-D X, dicts, text,
label lists, images, a kernel matrix, missing values, a positive target, ``n_components``); and
the non-default parameters of ``_variants`` that change what is pickled (losses, Gaussian-process
kernels, univariate score functions, distance metrics, solvers ...). Each is pickled (protocol 5,
as ``joblib.dump`` writes) and read back by the pure-Python unpickler with a ``find_class`` hook
that records the globals it names and which of them the pickle calls (REDUCE/NEWOBJ).

A class is proposed only when loading it cannot run code of its own beyond what the allowlist's
scikit-learn group already assumes (NEWOBJ: ``object.__new__``; BUILD: ``BaseEstimator.__setstate__``,
which pops ``_sklearn_version`` and updates ``__dict__``, or no ``__setstate__`` at all):

- it is a class defined in a ``sklearn.`` module;
- ``__new__`` is ``object.__new__`` (or scikit-learn's ``@deprecated`` wrapper around it, which
  only warns); ``__reduce__``/``__reduce_ex__`` are ``object``'s (so a pickler
  writes it with NEWOBJ and a state, never as a call);
- ``__setstate__`` is absent or ``BaseEstimator.__setstate__``; ``__setattr__`` and
  ``__getattr__``/``__getattribute__`` are ``object``'s (BUILD sets attributes without running code).

A scikit-learn Python function is proposed only as a stored reference: every pickle names it and
none calls it (a score function, a metric, ``check_array`` inside a ``functools.partial``). It goes
to the reference-only function group (``new_only``: a pickle that calls it on load stays
``suspicious``). Cython helpers, builtins and classes with hooks of their own are reported, never
added: each needs its own reason, written by hand.

After ``--write``, regenerate the classes' method names (``python tools/pickle_methods.py
--write``): a state key that hides one of them is flagged by the scanner.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import json
import pickle
import types
import warnings
from pathlib import Path
from typing import Any, ClassVar

ALLOWLIST = Path(__file__).resolve().parents[1] / "mlbom" / "data" / "pickle-allowlist.json"
GROUP = "scikit-learn estimator or helper class"
FN_GROUP = "function stored as a scikit-learn estimator attribute"


class _Recorder(pickle._Unpickler):  # the pure-Python unpickler: its opcodes can be watched
    """Loads a pickle this tool has just written itself, recording each global it names and
    which of them the pickle calls (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ)."""

    dispatch: ClassVar[dict[int, Any]] = dict(pickle._Unpickler.dispatch)  # type: ignore[attr-defined]

    def __init__(self, data: bytes, seen: set[tuple[str, str]], called: set[tuple[str, str]]) -> None:
        super().__init__(io.BytesIO(data))
        self.seen = seen
        self.called = called
        self.names: dict[int, tuple[str, str]] = {}

    def find_class(self, module: str, name: str) -> Any:
        self.seen.add((module, name))
        obj = super().find_class(module, name)
        self.names[id(obj)] = (module, name)
        return obj

    def _mark(self, obj: Any) -> None:
        if id(obj) in self.names:
            self.called.add(self.names[id(obj)])

    def load_reduce(self) -> None:
        self._mark(self.stack[-2])
        pickle._Unpickler.load_reduce(self)  # type: ignore[attr-defined]

    def load_newobj(self) -> None:
        self._mark(self.stack[-2])
        pickle._Unpickler.load_newobj(self)  # type: ignore[attr-defined]

    def load_newobj_ex(self) -> None:
        self._mark(self.stack[-3])
        pickle._Unpickler.load_newobj_ex(self)  # type: ignore[attr-defined]

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex


def _data() -> dict[str, Any]:
    """The tiny data sets the estimators are fitted on (one per kind of input an estimator takes)."""
    import numpy as np

    rng = np.random.RandomState(0)
    x = rng.rand(60, 4)
    binary = (x[:, 0] > 0.5).astype(int)
    multiclass = (x[:, 0] * 3).astype(int)
    multilabel = np.column_stack([binary, (x[:, 1] > 0.5).astype(int)])
    cont = x[:, 1] + x[:, 2]
    x_cat = x.copy()
    x_cat[:, 0] = (x[:, 0] * 3).astype(int)  # an integer-coded categorical column
    words = ["red apple", "green pear", "red pear", "blue plum", "green apple", "red plum"]
    return {
        "x": x, "binary": binary, "multiclass": multiclass, "multilabel": multilabel, "cont": cont,
        "multioutput": np.column_stack([cont, x[:, 3]]), "positive": cont + 0.5, "x_cat": x_cat,
        "x_int": (x * 3).astype(int), "x_1d": x[:, 0], "x_col": x[:, :1], "x_str": np.array([["a", "b"], ["b", "c"], ["a", "c"]] * 20,
                                                                         dtype=object),
        "text": words * 10, "dicts": [{"colour": w.split()[0], "n": i % 3} for i, w in enumerate(words * 10)],
        "labels": [["a", "b"], ["c"], ["a"]], "semi": np.where(np.arange(60) % 3 == 0, -1, binary),
        "images": rng.rand(3, 8, 8), "kernel": x @ x.T, "x_nan": np.where(rng.rand(60, 4) < 0.1, np.nan, x),
    }


def _subs(cls: type) -> list[tuple[str, Any]]:
    """Simple default sub-estimators for a meta-estimator (labelled), as the public API takes them."""
    from sklearn.base import ClassifierMixin, RegressorMixin
    from sklearn.decomposition import PCA
    from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression, Ridge
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, LinearSVC
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    name = cls.__name__
    clf = [LogisticRegression(), DecisionTreeClassifier(max_depth=2), LinearSVC(), SVC(probability=True)]
    reg = [Ridge(), DecisionTreeRegressor(max_depth=2), Lasso(alpha=0.01), LinearRegression()]
    if name in ("ColumnTransformer",):
        return [("columns", {"transformers": [("scale", StandardScaler(), [0, 1]), ("pca", PCA(1), [2, 3])]}),
                ("columns-passthrough", {"transformers": [("scale", StandardScaler(), [0]), ("rest", "passthrough",
                                                                                          [1, 2, 3])]})]
    if name == "FeatureUnion":
        return [("union", {"transformer_list": [("scale", StandardScaler()), ("pca", PCA(1))]})]
    if name == "Pipeline":
        return [(f"pipe-{type(e).__name__}", {"steps": [("scale", StandardScaler()), ("est", e)]})
                for e in [*clf[:2], *reg[:2]]]
    if name == "SparseCoder":
        import numpy as np

        return [("dictionary", {"dictionary": np.eye(4)})]
    is_reg = issubclass(cls, RegressorMixin) or name in ("RegressorChain", "MultiOutputRegressor")
    is_clf = issubclass(cls, ClassifierMixin) or name in ("ClassifierChain", "MultiOutputClassifier")
    subs = reg if is_reg else clf if is_clf else [*clf[:2], *reg]
    if name in ("StackingClassifier", "StackingRegressor", "VotingClassifier", "VotingRegressor"):
        return [("pair", {"estimators": [("a", subs[0]), ("b", subs[1])]})]
    out: list[tuple[str, Any]] = [(type(e).__name__, {"estimator": e}) for e in subs]
    if name in ("GridSearchCV", "HalvingGridSearchCV"):
        tree = subs[1] if is_reg or is_clf else clf[1]
        return [("grid", {"estimator": tree, "param_grid": {"max_depth": [1, 2]}})]
    if name in ("RandomizedSearchCV", "HalvingRandomSearchCV"):
        tree = subs[1] if is_reg or is_clf else clf[1]
        return [("lists", {"estimator": tree, "param_distributions": {"max_depth": [1, 2, 3]}}),
                ("lists-clf", {"estimator": clf[0], "param_distributions": {"C": [0.1, 1.0]}})]
    if name == "SelfTrainingClassifier":
        return [("svc", {"estimator": SVC(probability=True)}), ("tree", {"estimator": clf[1]})]
    if name == "FrozenEstimator":
        import numpy as np

        return [("frozen", {"estimator": LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])})]
    return out


def _variants() -> list[tuple[str, Any]]:
    """Non-default parameters that change what a fitted estimator pickles (other loss objects,
    kernels, score functions, distance metrics ...): (estimator class name, keyword arguments)."""
    from sklearn.feature_selection import (
        chi2,
        f_classif,
        f_regression,
        mutual_info_classif,
        mutual_info_regression,
        r_regression,
    )
    from sklearn.gaussian_process import kernels as k
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler

    gp_kernels = [k.RBF() + k.WhiteKernel(), k.ConstantKernel() * k.Matern() + k.WhiteKernel(),
                  k.RationalQuadratic(), k.ExpSineSquared(), k.DotProduct() + k.WhiteKernel(),
                  k.Exponentiation(k.RBF(), 2), k.PairwiseKernel(metric="linear"),
                  k.Matern(nu=0.5) * k.ConstantKernel(2.0), k.RBF(length_scale=[1.0, 1.0, 1.0, 1.0])]
    out: list[tuple[str, Any]] = []
    out += [("GradientBoostingClassifier", {"loss": "exponential"})]
    out += [("GradientBoostingRegressor", {"loss": loss}) for loss in ("huber", "quantile", "absolute_error")]
    out += [("HistGradientBoostingClassifier", {"categorical_features": [0]}),
            ("HistGradientBoostingRegressor", {"categorical_features": [0]})]
    out += [("HistGradientBoostingRegressor", {"loss": loss})
            for loss in ("poisson", "gamma", "quantile", "absolute_error")]
    out += [(name, {"kernel": kernel}) for kernel in gp_kernels
            for name in ("GaussianProcessClassifier", "GaussianProcessRegressor")]
    # a periodic kernel is fitted on one column (on four the optimiser leaves it not positive definite)
    out += [("GaussianProcessRegressor", {"kernel": k.ExpSineSquared() + k.WhiteKernel(), "_inputs": ("x_col:cont",)}),
            ("GaussianProcessClassifier", {"kernel": k.ExpSineSquared(), "_inputs": ("x_col:binary",)})]
    for name in ("SelectKBest", "SelectPercentile", "SelectFpr", "SelectFdr", "SelectFwe", "GenericUnivariateSelect"):
        out += [(name, {"score_func": f}) for f in (chi2, f_classif, f_regression, mutual_info_classif,
                                                      mutual_info_regression, r_regression)]
    out += [("SGDClassifier", {"loss": loss}) for loss in ("hinge", "log_loss", "modified_huber", "squared_hinge",
                                                             "perceptron", "squared_error", "huber",
                                                             "epsilon_insensitive", "squared_epsilon_insensitive")]
    out += [("SGDRegressor", {"loss": loss}) for loss in ("huber", "epsilon_insensitive",
                                                            "squared_epsilon_insensitive")]
    for name in ("KNeighborsClassifier", "KNeighborsRegressor", "NearestNeighbors", "RadiusNeighborsClassifier",
                 "RadiusNeighborsRegressor", "LocalOutlierFactor"):
        out += [(name, {"algorithm": a, "metric": m}) for a in ("ball_tree", "kd_tree", "brute")
                for m in ("manhattan", "chebyshev", "minkowski")]
        out += [(name, {"p": 3}), (name, {"metric": "cosine", "algorithm": "brute"})]
    out += [("MLPClassifier", {"solver": s}) for s in ("sgd", "lbfgs")]
    out += [("MLPRegressor", {"solver": s}) for s in ("sgd", "lbfgs")]
    out += [("KBinsDiscretizer", {"strategy": s, "encode": e}) for s in ("uniform", "kmeans", "quantile")
            for e in ("onehot", "ordinal")]
    out += [("SplineTransformer", {"extrapolation": e}) for e in ("periodic", "linear", "constant")]
    out += [("OneHotEncoder", {"handle_unknown": "infrequent_if_exist", "min_frequency": 2}),
            ("OneHotEncoder", {"drop": "first", "sparse_output": False})]
    out += [("TfidfVectorizer", {"stop_words": "english", "ngram_range": (1, 2)}),
            ("CountVectorizer", {"analyzer": "char_wb"}), ("HashingVectorizer", {"analyzer": "char"})]
    out += [("LogisticRegression", {"solver": s}) for s in ("liblinear", "saga", "newton-cg")]
    out += [("SVC", {"kernel": kk, "probability": True}) for kk in ("linear", "poly", "sigmoid")]
    out += [("TweedieRegressor", {"power": p}) for p in (1.5, 2.0)]
    out += [("KernelDensity", {"kernel": kk}) for kk in ("tophat", "epanechnikov")]
    out += [("DummyClassifier", {"strategy": st}) for st in ("stratified", "uniform", "most_frequent")]
    out += [("TransformedTargetRegressor", {"regressor": Ridge(), "transformer": StandardScaler()}),
            ("RANSACRegressor", {"estimator": Ridge()}), ("NearestNeighbors", {"metric": "haversine"})]
    return out


_INPUTS: dict[str, tuple[str, ...]] = {  # estimators that take other inputs than (x, y)
    "IsotonicRegression": ("x_1d:cont",),
    "DictVectorizer": ("dicts",), "FeatureHasher": ("dicts",),
    "CountVectorizer": ("text",), "TfidfVectorizer": ("text",), "HashingVectorizer": ("text",),
    "LabelEncoder": ("=multiclass",), "LabelBinarizer": ("=multiclass", "=binary", "=multilabel"),
    "MultiLabelBinarizer": ("=labels",), "PatchExtractor": ("images",), "KernelCenterer": ("kernel",),
    "CategoricalNB": ("x_int:binary", "x_int:multiclass"),
    "SimpleImputer": ("x_nan", "x_str"), "OneHotEncoder": ("x_str", "x_int"), "OrdinalEncoder": ("x_str", "x_nan"),
    "IterativeImputer": ("x_nan",), "KNNImputer": ("x_nan",), "MissingIndicator": ("x_nan",),
    "SelfTrainingClassifier": ("x:semi",), "LabelPropagation": ("x:semi",), "LabelSpreading": ("x:semi",),
    "PoissonRegressor": ("x:positive",), "GammaRegressor": ("x:positive",), "TweedieRegressor": ("x:positive",),
    "HistGradientBoostingRegressor": ("x:cont", "x:positive", "x_cat:cont"),
    "HistGradientBoostingClassifier": ("x:binary", "x:multiclass", "x_cat:binary", "x_cat:multiclass"),
    "CCA": ("x:multioutput",), "PLSCanonical": ("x:multioutput",), "PLSRegression": ("x:multioutput", "x:cont"),
    "PLSSVD": ("x:multioutput",),
    "GaussianRandomProjection": ("x",), "SparseRandomProjection": ("x",),
}
_PARAMS: dict[str, dict[str, Any]] = {  # constructor arguments an estimator needs on a tiny data set
    "CCA": {"n_components": 1}, "PLSCanonical": {"n_components": 1}, "PLSRegression": {"n_components": 1},
    "PLSSVD": {"n_components": 1}, "GaussianRandomProjection": {"n_components": 2},
    "SparseRandomProjection": {"n_components": 2}, "SelectKBest": {"k": 2},
}
_TARGETS = ("x:binary", "x:multiclass", "x:multilabel", "x:cont", "x:multioutput", "x")


def _fit(est: Any, inputs: tuple[str, ...], data: dict[str, Any]) -> list[tuple[str, Any]]:
    """``est`` fitted on each input it accepts (a fresh clone per input): (input label, fitted)."""
    from sklearn.base import clone

    out = []
    for spec in inputs:
        x_name, _, y_name = spec.partition(":")
        try:
            e = clone(est)
        except Exception:  # not clonable (FrozenEstimator ...): fit the one given
            e = est
        try:
            if x_name.startswith("="):  # fit(y) alone (label encoders)
                e.fit(data[x_name[1:]])
            elif y_name:
                e.fit(data[x_name], data[y_name])
            else:
                e.fit(data[x_name])
        except Exception:
            continue
        out.append((spec, e))
    return out


def _fitted() -> list[tuple[str, Any]]:
    """(label, fitted estimator) for every estimator scikit-learn lists: default-constructible ones
    on every target kind they accept (binary, multiclass, multilabel, continuous, multioutput,
    none), meta-estimators built with simple default sub-estimators, estimators needing other
    inputs (1-D X, dicts, text, ...) on those inputs, and the non-default parameters of
    ``_variants`` that change what is pickled."""
    from sklearn.experimental import enable_halving_search_cv, enable_iterative_imputer  # noqa: F401
    from sklearn.utils import all_estimators

    data = _data()
    classes = dict(all_estimators())
    out: list[tuple[str, Any]] = []
    for name, cls in sorted(classes.items()):
        inputs = _INPUTS.get(name, _TARGETS)
        builds: list[tuple[str, Any]] = []
        with contextlib.suppress(Exception):  # else it needs arguments: a meta-estimator
            builds.append(("default", cls(**_PARAMS.get(name, {}))))
        if not builds or "estimator" in inspect.signature(cls).parameters:  # also with each simple sub-estimator
            for label, kw in _subs(cls):
                try:
                    builds.append((label, cls(**kw)))
                except Exception:
                    continue
        for label, est in builds:
            out += [(f"{name}({label}) on {spec}", e) for spec, e in _fit(est, inputs, data)]
    for name, kw in _variants():
        inputs = kw.pop("_inputs", _INPUTS.get(name, _TARGETS))
        try:
            est = classes[name](**{**_PARAMS.get(name, {}), **kw})
        except Exception:
            continue
        out += [(f"{name}({kw}) on {spec}", e) for spec, e in _fit(est, inputs, data)]
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


def _reference_only(obj: Any, key: tuple[str, str], called: set[tuple[str, str]]) -> str | None:
    """None when ``obj`` is a scikit-learn Python function that the pickles only store (a
    hyperparameter such as ``SelectKBest(score_func=...)``, or a function chosen in fit): never
    called on load. Such an entry is reference-only (its group is ``new_only``: calling it on load
    stays ``suspicious``)."""
    if not isinstance(obj, types.FunctionType):
        return "not a Python function (a Cython helper or builtin: needs its own reason)"
    if not obj.__module__.startswith("sklearn."):
        return "outside sklearn"
    if key in called:
        return "called on load (not a stored reference)"
    if "<locals>" in obj.__qualname__ or f"{key[0]}:{key[1]}" != f"{obj.__module__}:{obj.__qualname__}":
        return "not named where it is defined"
    return None


def _scan_counts(fitted: list[tuple[str, Any]]) -> dict[str, list[int]]:
    """``joblib.dump`` each fitted estimator and scan it with mlbom: [safe, total] per kind."""
    import tempfile

    import joblib

    from mlbom.scanner import scan_file

    counts: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, est) in enumerate(fitted):
            path = Path(tmp) / f"{i}.joblib"
            try:
                joblib.dump(est, path)
            except Exception:
                continue
            verdict = scan_file(path).verdict
            kind = ("meta" if "(default)" not in label and "({" not in label
                    else "variant" if "({" in label else "default")
            target = label.rsplit(" on ", 1)[-1]
            for key in (kind, f"{kind} on {target}", "all"):
                c = counts.setdefault(key, [0, 0])
                c[0] += verdict == "safe"
                c[1] += 1
            if verdict != "safe":
                print(f"scan {verdict}: {label}")
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--scan", action="store_true", help="also scan each fitted estimator's joblib file with mlbom")
    args = parser.parse_args()
    import importlib

    import sklearn

    warnings.filterwarnings("ignore")
    seen: set[tuple[str, str]] = set()
    called: set[tuple[str, str]] = set()
    fitted = _fitted()
    print(f"fitted {len(fitted)} estimators ({len({label.split('(')[0] for label, _ in fitted})} classes)")
    for _label, est in fitted:
        try:
            _Recorder(pickle.dumps(est, protocol=5), seen, called).load()
        except Exception:
            continue
    doc = json.loads(ALLOWLIST.read_text("utf-8"))
    listed = {k for g in doc["allow"] for k in g["entries"]}
    group = next(g for g in doc["allow"] if g["why"].startswith(GROUP))
    fn_group = next(g for g in doc["allow"] if g["why"].startswith(FN_GROUP))
    new: dict[str, str] = {}
    new_fn: dict[str, str] = {}
    version = f"checked on scikit-learn {sklearn.__version__} by tools/sklearn_allowlist.py"
    for module, name in sorted(seen):
        key = f"{module}:{name}"
        if key in listed or not module.startswith("sklearn"):
            if key not in listed:
                print(f"not sklearn, not listed: {key}")
            continue
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        if isinstance(obj, type):
            why = _data_only(obj)
            if why is None:
                new[key] = version
            else:
                print(f"left out ({why}): {key}")
        elif (why := _reference_only(obj, (module, name), called)) is None:
            new_fn[key] = f"a function the pickle stores and never calls; {version}"
        else:
            print(f"left out ({why}): {key}")
    for key in [*new, *new_fn]:
        print(f"add: {key}")
    if args.write and (new or new_fn):
        group["entries"].update(new)
        fn_group["entries"].update(new_fn)
        ALLOWLIST.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", "utf-8")
    if args.scan:
        for kind, (safe, total) in sorted(_scan_counts(fitted).items()):
            print(f"scan: {kind}: {safe} of {total} safe")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
