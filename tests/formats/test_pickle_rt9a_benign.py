"""Red team 9a (3): false positives on real files written by public APIs. Each file is written
here by scikit-learn / pandas / numpy / joblib (skipped where the library is missing: CI has
none of them) and scanned: multiclass gradient boosting, non-default losses and kernels,
meta-estimators, estimators fitted on other inputs, score functions, dateutil time zones, the
remaining pandas offsets and numpy.polynomial series are ``safe``; scipy.stats distributions
(their ``__setstate__`` exec()s source text from the pickle) are ``unsafe`` with that reason;
hostile uses of the new entries (``tzfile(path)``, a reference-only function called on load)
are not ``safe``."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.formats.pickle_ops import STOP, call, glob, i1, proto, s, walk


def _scan(path: Path) -> Any:
    from mlbom.scanner import scan_file

    return scan_file(path)


def _partial_only(r: Any) -> bool:
    """Safe, or not safe only because of ``functools.partial`` (HistGradientBoosting's categorical
    encoder stores ``partial(check_array, ...)``; partial is modelled in pickle.py, not here)."""
    return r.verdict == "safe" or all("functools" in f.message and "partial" in f.message for f in r.findings)


def test_sklearn_public_api_files_scan_safe(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    joblib = pytest.importorskip("joblib")
    import numpy as np
    from sklearn import (
        cross_decomposition,
        ensemble,
        feature_extraction,
        feature_selection,
        isotonic,
        linear_model,
        multiclass,
        multioutput,
        random_projection,
        semi_supervised,
        svm,
        tree,
    )
    from sklearn.datasets import load_iris
    from sklearn.experimental import enable_halving_search_cv, enable_iterative_imputer  # noqa: F401
    from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
    from sklearn.gaussian_process import kernels as k
    from sklearn.impute import IterativeImputer
    from sklearn.model_selection import HalvingGridSearchCV

    xi, yi = load_iris(return_X_y=True)  # 3 classes: the multinomial losses
    rng = np.random.RandomState(0)
    x = rng.rand(40, 4)
    y = (x[:, 0] > 0.5).astype(int)
    y3 = rng.randint(0, 3, 40)
    yr = x @ [1.0, 2.0, 3.0, 4.0]
    semi = np.where(np.arange(40) % 3, y, -1)
    xcat = np.c_[rng.randint(0, 3, 40), x[:, 1:]]
    cases: dict[str, tuple[Any, Any, Any]] = {
        "iris_hgb": (ensemble.HistGradientBoostingClassifier(max_iter=3), xi, yi),
        "iris_gbc": (ensemble.GradientBoostingClassifier(n_estimators=3), xi, yi),
        "gbc_exp": (ensemble.GradientBoostingClassifier(n_estimators=3, loss="exponential"), x, y),
        "gpc_rbf_white": (GaussianProcessClassifier(k.RBF() + k.WhiteKernel()), x, y),
        "gpr_matern": (GaussianProcessRegressor(k.ConstantKernel() * k.Matern(nu=2.5) + k.WhiteKernel()), x, yr),
        "gpr_dot_rq": (GaussianProcessRegressor(k.DotProduct() + k.RationalQuadratic() + k.WhiteKernel()), x, yr),
        "gpr_sine": (GaussianProcessRegressor(k.ExpSineSquared() + k.WhiteKernel()), x[:, :1], yr),
        "stacking": (ensemble.StackingRegressor([("a", linear_model.Ridge()),
                                                 ("b", tree.DecisionTreeRegressor())]), x, yr),
        "multioutput": (multioutput.MultiOutputRegressor(linear_model.Ridge()), x, np.c_[yr, yr]),
        "chain": (multioutput.ClassifierChain(linear_model.LogisticRegression()), x, np.c_[y, y]),
        "ovo": (multiclass.OneVsOneClassifier(svm.LinearSVC()), x, y3),
        "rfecv": (feature_selection.RFECV(linear_model.LogisticRegression(), cv=2), x, y),
        "sfm": (feature_selection.SelectFromModel(linear_model.Lasso()), x, yr),
        "seq_fs": (feature_selection.SequentialFeatureSelector(linear_model.LogisticRegression(),
                                                               n_features_to_select=2, cv=2), x, y),
        "self_training": (semi_supervised.SelfTrainingClassifier(svm.SVC(probability=True)), x, semi),
        "halving": (HalvingGridSearchCV(tree.DecisionTreeClassifier(), {"max_depth": [1, 2]}, cv=2), x, y),
        "iterative_imputer": (IterativeImputer(max_iter=2), x, None),
        "isotonic": (isotonic.IsotonicRegression(), x[:, 0], yr),
        "cca": (cross_decomposition.CCA(n_components=1), x, yr),
        "dictvec": (feature_extraction.DictVectorizer(), [{"a": 1, "b": 2}, {"c": "x"}], None),
        "grp": (random_projection.GaussianRandomProjection(n_components=2), x, None),
        "srp": (random_projection.SparseRandomProjection(n_components=2), x, None),
        "mutinfo": (feature_selection.SelectKBest(feature_selection.mutual_info_classif, k=2), x, y),
        "chi2": (feature_selection.SelectKBest(feature_selection.chi2, k=2), x, y),
        "f_regression": (feature_selection.SelectPercentile(feature_selection.f_regression), x, yr),
        "tweedie": (linear_model.TweedieRegressor(power=1.5), x, yr + 1),
        "multitask": (linear_model.MultiTaskLasso(), x, np.c_[yr, yr]),
    }
    partial_cases = {
        "hgb_cat": (ensemble.HistGradientBoostingClassifier(max_iter=3, categorical_features=[0]), xcat, y3),
        "hgb_cat_binary": (ensemble.HistGradientBoostingClassifier(max_iter=3, categorical_features=[0]), xcat, y),
    }
    verdicts = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (est, xa, ya) in {**cases, **partial_cases}.items():
            est.fit(xa) if ya is None else est.fit(xa, ya)
            joblib.dump(est, tmp_path / f"{name}.joblib")
            r = _scan(tmp_path / f"{name}.joblib")
            verdicts[name] = r
    assert {n: r.findings for n, r in verdicts.items() if n in cases and r.verdict != "safe"} == {}
    assert {n: r.findings for n, r in verdicts.items() if n in partial_cases and not _partial_only(r)} == {}


def test_scipy_distributions_are_unsafe_with_the_reason(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("scipy")
    joblib = pytest.importorskip("joblib")
    import numpy as np
    from scipy import stats
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import RandomizedSearchCV
    from sklearn.tree import DecisionTreeClassifier

    x = np.random.RandomState(0).rand(40, 4)
    y = (x[:, 0] > 0.5).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        searches = {
            "loguniform": RandomizedSearchCV(LogisticRegression(), {"C": stats.loguniform(1e-3, 1e3)}, n_iter=2, cv=2),
            "randint": RandomizedSearchCV(DecisionTreeClassifier(), {"max_depth": stats.randint(1, 5)}, n_iter=2,
                                          cv=2),
        }
        for name, search in searches.items():
            joblib.dump(search.fit(x, y), tmp_path / f"{name}.joblib")
            r = _scan(tmp_path / f"{name}.joblib")
            assert r.verdict == "unsafe", r.findings
            assert any("scipy.stats distribution" in f.message and "exec()" in f.message for f in r.findings), \
                r.findings
        # the same search with plain lists is safe
        plain = RandomizedSearchCV(LogisticRegression(), {"C": [0.1, 1.0, 10.0]}, n_iter=2, cv=2).fit(x, y)
    joblib.dump(plain, tmp_path / "plain.joblib")
    assert _scan(tmp_path / "plain.joblib").verdict == "safe"


def test_pandas_dateutil_offsets_and_polynomials_are_safe(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    tz = pytest.importorskip("dateutil.tz")
    import numpy as np

    if tz.gettz("America/New_York") is None:
        pytest.skip("no time-zone database")
    o = pd.offsets
    pd.Series(pd.date_range("2024-01-01", periods=3, tz="dateutil/Europe/Berlin")).to_pickle(tmp_path / "berlin.pkl")
    pd.to_pickle({"ts": pd.Timestamp("2024-01-01", tz=tz.gettz("America/New_York"))}, tmp_path / "gettz.pkl")
    pd.Series(pd.date_range("2024-01-01", periods=3, tz=tz.tzutc())).to_pickle(tmp_path / "utc.pkl")
    pd.Series(pd.date_range("2024-01-01", periods=3, tz=tz.tzoffset("X", 3600))).to_pickle(tmp_path / "offset.pkl")
    pd.to_pickle({"local": tz.tzlocal()}, tmp_path / "local.pkl")
    pd.to_pickle({"bq": o.BQuarterEnd(startingMonth=2), "bqb": o.BQuarterBegin(), "bye": o.BYearEnd(),
                  "byb": o.BYearBegin(month=3), "bh": o.BusinessHour(), "bh2": o.BusinessHour(start="10:00", end="18:30"),
                  **({"hy": o.HalfYearEnd(), "bhy": o.BHalfYearBegin()} if hasattr(o, "HalfYearEnd") else {})},
                 tmp_path / "offsets.pkl")
    polys = [np.polynomial.Polynomial([1, 2]), np.polynomial.Chebyshev([1, 2, 3]), np.polynomial.Legendre([1]),
             np.polynomial.Laguerre([0, 1]), np.polynomial.Hermite([2]), np.polynomial.HermiteE([1, 1])]
    np.save(tmp_path / "poly.npy", np.array(polys, dtype=object), allow_pickle=True)
    for f in ("berlin.pkl", "gettz.pkl", "utc.pkl", "offset.pkl", "local.pkl", "offsets.pkl"):
        r = _scan(tmp_path / f)
        assert r.verdict == "safe", (f, r.findings)
    r = _scan(tmp_path / "poly.npy")  # an object array: the info finding says so, the verdict is safe
    assert r.verdict == "safe", r.findings


def test_tzfile_called_with_a_path_is_not_safe() -> None:
    # tzfile(path) opens and reads any file by name (unsafe since red team 15a-3, as the pandas
    # 'dateutil/<path>' route to the same read); dateutil >= 3 writes _unpickle(tzfile, ...)
    rep = walk(proto(4) + call(glob("dateutil.tz._tzfile", "tzfile"), s("/etc/shadow")) + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in {f.id for f in rep.findings}, rep.findings
    # _unpickle creates the class it is given: an unlisted one is judged
    unp = call(glob("dateutil.tz._tzfile", "_unpickle"), glob("mymod", "Evil"), s("k"), s("f"), i1(0))
    assert walk(proto(4) + unp + STOP).verdict == "suspicious"


def test_a_reference_only_function_called_on_load_is_not_safe() -> None:
    # score functions and check_array are allowlisted as stored references, never as calls
    for mod, name in (("sklearn.feature_selection._mutual_info", "mutual_info_classif"),
                      ("sklearn.utils.validation", "check_array"), ("numpy", "mean")):
        rep = walk(proto(4) + call(glob(mod, name), i1(1)) + STOP)
        assert rep.verdict == "suspicious", (name, rep.findings)
        # stored (not called) it is fine
        assert walk(proto(4) + glob(mod, name) + STOP).verdict == "safe"


def test_a_scipy_distribution_with_foreign_source_is_unsafe() -> None:
    # rv_generic.__setstate__ exec()s _parse_arg_template: the module is denied whatever the text
    rep = walk(proto(4) + glob("scipy.stats._continuous_distns", "norm_gen") + STOP)
    assert rep.verdict == "unsafe" and any("exec()" in f.message for f in rep.findings), rep.findings
