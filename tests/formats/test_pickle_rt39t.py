"""Red team 39t: native state outside the tree models.

39t-1: a KNeighborsClassifier / RadiusNeighborsClassifier whose ``_y`` labels leave
``classes_``: the brute-force class-mode ``predict`` adds into ``class_scores[i][_y[j]]`` with
bounds checks off. 39t-2: a scipy sparse matrix whose ``indptr`` runs past its stored entries
(unpickling restores the ``__dict__`` unchecked; scipy's and scikit-learn's native code trust it).
39t-3: a GradientBoosting ``init_`` that is a GLM predicts ``X @ coef_``, not ``X @ coef_.T``, so
a 2-D ``coef_`` is no width; and ``estimators_.shape[1]`` must be ``n_trees_per_iteration_``.
Files are built from real fitted models."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlbom.scanner import scan_file
from tests.helpers import dump_model

np = pytest.importorskip("numpy")
sp = pytest.importorskip("scipy.sparse")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.sklearn  # the optional scikit-learn tier (.ci/run)

from sklearn.ensemble import GradientBoostingRegressor  # noqa: E402
from sklearn.neighbors import (  # noqa: E402
    KNeighborsClassifier,
    KNeighborsRegressor,
    NearestNeighbors,
    RadiusNeighborsClassifier,
)

HOWS = ["p2", "p4", "p5", "joblib", "joblib-z"]


def _msgs(r: Any) -> list[str]:
    return [f.message for f in r.findings]


def _data() -> tuple[Any, Any]:
    rng = np.random.RandomState(0)
    X = rng.rand(60, 3)
    return X, (X[:, 0] > .5).astype(int)


# -- real objects stay safe -----------------------------------------------------------------------

SPARSE: dict[str, Callable[[Any], Any]] = {
    "csr_matrix": sp.csr_matrix, "csr_array": sp.csr_array, "csc_matrix": sp.csc_matrix,
    "csc_array": sp.csc_array, "coo_matrix": sp.coo_matrix, "coo_array": sp.coo_array,
    "bsr_matrix": lambda a: sp.bsr_matrix(a, blocksize=(2, 2)), "dia_matrix": sp.dia_matrix,
    "lil_matrix": sp.lil_matrix, "dok_matrix": sp.dok_matrix, "empty_csr": lambda a: sp.csr_matrix(a.shape)}


def _dense() -> Any:
    a = np.zeros((6, 4))
    a[0, 1], a[2, 3], a[5, 0], a[3, 3] = 1.0, 2.0, 3.0, 4.0
    return a


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", sorted(SPARSE))
def test_real_sparse_matrices_are_safe(tmp_path: Path, how: str, kind: str) -> None:
    m = SPARSE[kind](_dense())
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "safe", (kind, how, _msgs(r))


def test_real_int64_indices_are_safe(tmp_path: Path) -> None:
    m = sp.csr_matrix(_dense())
    m.indptr = m.indptr.astype(np.int64)
    m.indices = m.indices.astype(np.int64)
    for how in ("p4", "joblib"):
        assert scan_file(dump_model(m, tmp_path / f"m-{how}.pkl", how)).verdict == "safe"


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", ["knn", "radius", "knn-sparse", "nn-sparse", "knr-sparse"])
def test_real_neighbors_models_are_safe(tmp_path: Path, how: str, kind: str) -> None:
    X, y = _data()
    if kind == "knn":
        m: Any = KNeighborsClassifier(algorithm="brute", metric="manhattan").fit(X, y)
    elif kind == "radius":
        m = RadiusNeighborsClassifier(radius=.5).fit(X, y)
    elif kind == "knn-sparse":
        m = KNeighborsClassifier(algorithm="brute").fit(sp.csr_matrix(X), y)
    elif kind == "nn-sparse":
        m = NearestNeighbors(algorithm="brute", metric="manhattan").fit(sp.csr_matrix(X))
    else:
        m = KNeighborsRegressor(algorithm="brute").fit(sp.csr_matrix(X), X[:, 0])
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "safe", (kind, how, _msgs(r))


# -- 39t-1: labels past classes_ ------------------------------------------------------------------

@pytest.mark.parametrize("how", ["p2", "p4", "joblib", "joblib-z"])
@pytest.mark.parametrize("edit", ["huge", "equal-to-classes", "negative", "short"])
@pytest.mark.parametrize("cls", ["knn", "radius"])
def test_labels_past_classes_are_unsafe(tmp_path: Path, how: str, edit: str, cls: str) -> None:
    X, y = _data()
    m = KNeighborsClassifier(algorithm="brute", metric="manhattan").fit(X, y) if cls == "knn" else \
        RadiusNeighborsClassifier(radius=.5).fit(X, y)
    if edit == "short":
        m._y = m._y[:-5].copy()
    else:
        m._y = np.full_like(m._y, {"huge": 2**40, "equal-to-classes": len(m.classes_), "negative": -1}[edit])
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", (edit, _msgs(r))
    assert any("_y" in msg for msg in _msgs(r))


def test_labels_past_classes_crash_the_real_predict(tmp_path: Path) -> None:
    X, y = _data()
    m = KNeighborsClassifier(algorithm="brute", metric="manhattan").fit(X, y)
    m._y = np.full_like(m._y, 2**40)
    path = dump_model(m, tmp_path / "m.pkl", "p4")
    code = "import pickle,sys,numpy as np; m=pickle.load(open(sys.argv[1],'rb')); m.predict(np.random.rand(20,3))"
    got = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert got.returncode != 0 and "Traceback" not in got.stderr, got.stderr[-500:]


# -- 39t-2: sparse index structure ----------------------------------------------------------------

def _csr() -> Any:
    return sp.csr_matrix(_dense())


def _indptr_past_end(m: Any) -> None:
    m.indptr = m.indptr.copy()
    m.indptr[-1] = 2**30


def _indptr_descending(m: Any) -> None:
    m.indptr = m.indptr.copy()
    m.indptr[2], m.indptr[3] = m.indptr[3], m.indptr[2] - 1
    m.indptr[1] = -1


def _indptr_short(m: Any) -> None:
    m.indptr = m.indptr[:-2].copy()


def _index_past_columns(m: Any) -> None:
    m.indices = m.indices.copy()
    m.indices[0] = 10**6


def _coo_row_past_shape(m: Any) -> None:
    m.coords = (m.coords[0].copy() + 100, m.coords[1])


def _coo_short(m: Any) -> None:
    m.coords = (m.coords[0][:-1].copy(), m.coords[1][:-1].copy())


def _lil_data_longer(m: Any) -> None:
    m.data[0] = list(range(1000))


def _lil_column_outside(m: Any) -> None:
    m.rows[3] = [0, 10**6]


def _lil_rows_short(m: Any) -> None:
    rows = np.empty(3, dtype=object)
    rows[:] = [list(r) for r in m.rows[:3]]
    m.rows = rows


def _dia_more_diagonals(m: Any) -> None:
    m.data = np.vstack([m.data, m.data])


def _dia_offset_wraps(m: Any) -> None:
    m.offsets = m.offsets.astype(np.int64)
    m.offsets[0] = 1 << 32


def _dia_offset_outside(m: Any) -> None:
    m.offsets = m.offsets.copy()
    m.offsets[-1] = 100


# 39t-2 (structure) and 40t-1/40t-2 (what tocsr() of a LIL or DIA copies)
SPARSE_EDITS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], None]]] = {
    "indptr-past-end": (sp.csr_matrix, _indptr_past_end), "indptr-negative": (sp.csr_matrix, _indptr_descending),
    "indptr-short": (sp.csr_matrix, _indptr_short), "index-past-columns": (sp.csc_matrix, _index_past_columns),
    "coo-row-past-shape": (sp.coo_matrix, _coo_row_past_shape), "coo-short": (sp.coo_array, _coo_short),
    "lil-data-longer": (sp.lil_matrix, _lil_data_longer), "lil-column-outside": (sp.lil_array, _lil_column_outside),
    "lil-rows-short": (sp.lil_matrix, _lil_rows_short), "dia-more-diagonals": (sp.dia_matrix, _dia_more_diagonals),
    "dia-offset-wraps": (sp.dia_matrix, _dia_offset_wraps), "dia-offset-outside": (sp.dia_array, _dia_offset_outside)}


@pytest.mark.parametrize("how", ["p2", "p4", "p5", "joblib", "joblib-z"])
@pytest.mark.parametrize("edit", sorted(SPARSE_EDITS))
def test_sparse_indices_past_their_arrays_are_unsafe(tmp_path: Path, how: str, edit: str) -> None:
    make, change = SPARSE_EDITS[edit]
    m = make(_dense())
    change(m)
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", (edit, how, _msgs(r))


@pytest.mark.parametrize("how", ["p4", "joblib"])
def test_neighbors_fitted_on_a_bad_sparse_matrix_is_unsafe(tmp_path: Path, how: str) -> None:
    X, _ = _data()
    m = NearestNeighbors(algorithm="brute", metric="manhattan").fit(sp.csr_matrix(X))
    _indptr_past_end(m._fit_X)
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", _msgs(r)


def test_sparse_indices_of_another_dtype_are_suspicious(tmp_path: Path) -> None:
    m = _csr()
    m.indices = m.indices.astype(np.int16)
    r = scan_file(dump_model(m, tmp_path / "m.pkl", "p4"))
    assert r.verdict == "suspicious", _msgs(r)


# -- 39t-3: GradientBoosting init widths ----------------------------------------------------------

@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
@pytest.mark.parametrize("init", ["poisson", "sgd", "ridge", "huber", "quantile"])
def test_real_gradient_boosting_with_other_linear_inits_is_safe(tmp_path: Path, how: str, init: str) -> None:
    from sklearn import linear_model as lm
    est = {"poisson": lm.PoissonRegressor(), "sgd": lm.SGDRegressor(random_state=0), "ridge": lm.Ridge(),
           "huber": lm.HuberRegressor(), "quantile": lm.QuantileRegressor(alpha=0.0)}[init]
    X, _ = _data()
    m = GradientBoostingRegressor(n_estimators=3, init=est, random_state=0).fit(X, X[:, 0] + 1)
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "safe", (init, how, _msgs(r))


@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
def test_glm_init_with_a_2d_coef_is_not_safe(tmp_path: Path, how: str) -> None:
    from sklearn.linear_model import PoissonRegressor
    X, _ = _data()
    m = GradientBoostingRegressor(n_estimators=3, init=PoissonRegressor(), random_state=0).fit(X, X[:, 0] + 1)
    m.init_.coef_ = m.init_.coef_.reshape(-1, 1).copy()  # predicts X @ coef_: one column, not 3
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict in ("suspicious", "unsafe"), _msgs(r)


@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
def test_stages_wider_than_trees_per_iteration_are_unsafe(tmp_path: Path, how: str) -> None:
    X, _ = _data()
    m = GradientBoostingRegressor(n_estimators=3, init="zero", random_state=0).fit(X, X[:, 0])
    m.estimators_ = np.concatenate([m.estimators_, m.estimators_], axis=1)  # 2 trees a stage, 1 per iteration
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", _msgs(r)


# -- red team 42t ---------------------------------------------------------------------------------

def test_binary_tree_state_must_be_the_tuple_sklearn_writes(tmp_path: Path) -> None:
    """42t-1: ``__setstate__`` reads a list too; a list changed after the BUILD leaves the tree
    with arrays mlbom no longer sees. Only the tuple scikit-learn writes is judged as such."""
    from sklearn.neighbors import KDTree

    class _ListState:
        def __init__(self, tree: Any) -> None:
            self.rv = tree.__reduce__()

        def __reduce__(self) -> tuple[Any, ...]:
            return (self.rv[0], self.rv[1], list(self.rv[2]))

    tree = KDTree(np.random.RandomState(0).rand(50, 3), leaf_size=5)
    for how in ("p2", "p4", "joblib"):
        r = scan_file(dump_model(_ListState(tree), tmp_path / f"t-{how}.pkl", how))
        assert r.verdict == "suspicious", (how, _msgs(r))
        assert any("not the 13-item tuple" in m for m in _msgs(r))


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", ["coo", "csr"])
def test_real_one_dimensional_sparse_arrays_are_safe(tmp_path: Path, how: str, kind: str) -> None:
    """42t-2 (a false positive): scipy >= 1.13 makes 1-D COO and CSR arrays."""
    v = np.array([0, 1.0, 0, 2.0, 0])
    m = sp.coo_array(v) if kind == "coo" else sp.csr_array(v)
    if len(m.shape) != 1:
        pytest.skip("this scipy makes no 1-D sparse arrays")
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "safe", (kind, how, _msgs(r))
    if kind == "coo":
        m.coords = (m.coords[0].copy() + 10,)
        assert scan_file(dump_model(m, tmp_path / "bad.pkl", how)).verdict == "unsafe"


@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
@pytest.mark.parametrize("kind", ["regressor", "binary"])
def test_gradient_boosting_with_a_tree_init_is_safe(tmp_path: Path, how: str, kind: str) -> None:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
    X, y = _data()
    m: Any = GradientBoostingRegressor(n_estimators=3, init=DecisionTreeRegressor(max_depth=2)).fit(X, X[:, 0]) \
        if kind == "regressor" else \
        GradientBoostingClassifier(n_estimators=3, init=DecisionTreeClassifier(max_depth=2)).fit(X, y)
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "safe", (kind, how, _msgs(r))


# -- red team 43t: GradientBoosting init widths, again --------------------------------------------

@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
def test_regressor_with_more_than_one_tree_a_stage_is_unsafe(tmp_path: Path, how: str) -> None:
    """43t-1: a tree init's n_outputs_ says nothing of its Tree's width; scikit-learn's regressor
    boosts one tree a stage, whatever n_trees_per_iteration_ says."""
    from sklearn.tree import DecisionTreeRegressor
    X, _ = _data()
    m = GradientBoostingRegressor(n_estimators=3, init=DecisionTreeRegressor(max_depth=2)).fit(X, X[:, 0])
    m.estimators_ = np.concatenate([m.estimators_] * 4, axis=1)
    m.n_trees_per_iteration_ = 4
    m.init_.n_outputs_ = 4
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", _msgs(r)


@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
def test_linear_init_with_a_2d_intercept_is_not_safe(tmp_path: Path, how: str) -> None:
    """43t-2: X @ coef_ + a (1, 1) intercept_ is one row of n columns: predict_stages writes a
    row per sample past it."""
    from sklearn.linear_model import LinearRegression
    X, _ = _data()
    m = GradientBoostingRegressor(n_estimators=3, init=LinearRegression()).fit(X, X[:, 0])
    m.init_.intercept_ = np.array([[float(m.init_.intercept_)]])
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict in ("suspicious", "unsafe"), _msgs(r)
    assert any("intercept_" in msg for msg in _msgs(r))
