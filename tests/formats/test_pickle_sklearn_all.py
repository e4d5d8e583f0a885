"""scikit-learn estimators beyond the hand-checked ones: the entries ``tools/sklearn_allowlist.py``
added still pass its checks on the installed scikit-learn (no own ``__new__``, ``__reduce__``,
``__setstate__`` or attribute hooks), and estimators built with the public API, fitted and written
with ``joblib.dump`` scan ``safe`` (96 of the 168 default-constructible estimators of
scikit-learn 1.9 were ``suspicious`` before, and ``MultiLabelBinarizer``'s file ``unsafe``: its
object array read by ``pickle.load`` met the unlisted class's instance)."""

from __future__ import annotations

import importlib
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = "tools/sklearn_allowlist.py"


def _tool() -> Any:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        return importlib.import_module("sklearn_allowlist")
    finally:
        sys.path.pop(0)


def test_tool_entries_still_pass_its_checks() -> None:
    pytest.importorskip("sklearn")
    tool = _tool()
    doc = json.loads((ROOT / "mlbom" / "data" / "pickle-allowlist.json").read_text("utf-8"))
    checked = [k for g in doc["allow"] for k, why in g["entries"].items() if TOOL in why]
    assert len(checked) >= 100
    failed = {}
    for key in checked:
        module, name = key.split(":")
        try:
            obj: Any = importlib.import_module(module)
            for part in name.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError):
            continue  # another scikit-learn version: the entry names a path this one lacks
        why = tool._data_only(obj) if isinstance(obj, type) else tool._reference_only(obj, (module, name), set())
        if why is not None:
            failed[key] = why
    assert failed == {}


def test_tool_added_functions_are_reference_only() -> None:
    # a function the tool adds is one every pickle stored and none called: its group is new_only,
    # so a pickle that calls it on load is suspicious (tests/formats/test_pickle_rt9a_benign.py)
    doc = json.loads((ROOT / "mlbom" / "data" / "pickle-allowlist.json").read_text("utf-8"))
    for group in doc["allow"]:
        if any("never calls" in why and TOOL in why for why in group["entries"].values()):
            assert group.get("new_only") is True, group["why"]


def test_tool_refuses_classes_with_their_own_hooks() -> None:
    pytest.importorskip("sklearn")
    tool = _tool()
    from sklearn.base import BaseEstimator

    class OwnReduce(BaseEstimator):
        def __reduce__(self) -> Any:
            return (print, ("x",))

    class OwnSetstate(BaseEstimator):
        def __setstate__(self, state: Any) -> None:
            pass

    OwnReduce.__module__ = OwnSetstate.__module__ = "sklearn.fake"
    assert tool._data_only(OwnReduce) == "own __reduce__"
    assert tool._data_only(OwnSetstate) == "own __setstate__"
    assert tool._data_only(len) == "not a class"


def _estimators() -> dict[str, Any]:
    from sklearn.cluster import AgglomerativeClustering, Birch, BisectingKMeans, FeatureAgglomeration, MeanShift
    from sklearn.covariance import LedoitWolf, MinCovDet
    from sklearn.decomposition import FactorAnalysis, IncrementalPCA, KernelPCA, LatentDirichletAllocation
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis
    from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
    from sklearn.impute import KNNImputer
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.linear_model import (
        ARDRegression,
        BayesianRidge,
        GammaRegressor,
        HuberRegressor,
        LassoLars,
        PassiveAggressiveClassifier,
        RANSACRegressor,
        TweedieRegressor,
    )
    from sklearn.manifold import Isomap
    from sklearn.mixture import BayesianGaussianMixture
    from sklearn.naive_bayes import CategoricalNB
    from sklearn.neighbors import NearestCentroid
    from sklearn.preprocessing import Binarizer, MultiLabelBinarizer
    from sklearn.svm import NuSVC, OneClassSVM

    return {c.__name__: c for c in (
        AgglomerativeClustering, Birch, BisectingKMeans, FeatureAgglomeration, MeanShift, LedoitWolf, MinCovDet,
        FactorAnalysis, IncrementalPCA, KernelPCA, LatentDirichletAllocation, LinearDiscriminantAnalysis,
        QuadraticDiscriminantAnalysis, GaussianProcessClassifier, GaussianProcessRegressor, KNNImputer, KernelRidge,
        ARDRegression, BayesianRidge, GammaRegressor, HuberRegressor, LassoLars, PassiveAggressiveClassifier,
        RANSACRegressor, TweedieRegressor, Isomap, BayesianGaussianMixture, CategoricalNB, NearestCentroid,
        Binarizer, NuSVC, OneClassSVM)} | {"MultiLabelBinarizer": MultiLabelBinarizer}


def test_public_api_estimators_scan_safe(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    joblib = pytest.importorskip("joblib")
    import numpy as np

    from mlbom.scanner import scan_file

    x = np.random.RandomState(0).rand(40, 4)
    y = (x[:, 0] > 0.5).astype(int)
    verdicts = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, cls in _estimators().items():
            est = cls()
            if name == "MultiLabelBinarizer":
                est.fit([["a", "b"], ["c"]])  # classes_ is an object array: joblib pickles it inline
            elif name == "CategoricalNB":
                est.fit((x * 3).astype(int), y)
            elif name in ("GammaRegressor", "TweedieRegressor"):
                est.fit(x, x[:, 1] + 0.5)  # a positive target
            else:
                try:
                    est.fit(x, y)
                except (TypeError, ValueError):
                    est.fit(x)
            path = tmp_path / f"{name}.joblib"
            joblib.dump(est, path, compress=3 if name.startswith("B") else 0)
            verdicts[name] = scan_file(path).verdict
    assert {n: v for n, v in verdicts.items() if v != "safe"} == {}


@pytest.mark.slow
def test_every_estimator_the_tool_fits_scans_safe(tmp_path: Path) -> None:
    """All of ``tools/sklearn_allowlist.py``'s fits (default-constructible estimators on binary,
    multiclass, multilabel, continuous and multi-output targets, meta-estimators with simple
    sub-estimators, other inputs, non-default losses/kernels/score functions: 1,674 on
    scikit-learn 1.9.1, minutes) written with ``joblib.dump`` scan ``safe``, except the two known
    cases: FrozenEstimator (its ``__getattr__`` hands out the wrapped estimator's attributes) and
    HistGradientBoosting with categorical features (``functools.partial``)."""
    pytest.importorskip("sklearn")
    joblib = pytest.importorskip("joblib")
    from mlbom.scanner import scan_file

    tool = _tool()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = tool._fitted()
    assert len(fitted) > 1000
    bad = {}
    for i, (label, est) in enumerate(fitted):
        path = tmp_path / f"{i}.joblib"
        joblib.dump(est, path)
        r = scan_file(path)
        path.unlink()
        if r.verdict == "safe" or label.startswith("FrozenEstimator"):
            continue
        if "categorical_features" in label and all("functools" in f.message for f in r.findings):
            continue
        bad[label] = [f.message for f in r.findings]
    assert bad == {}
