"""scikit-learn's KDTree and BallTree native state (red team 34t-4).

``BinaryTree.__setstate__`` (``_binary_tree.pxi``) stores ``data``, ``idx_array``, ``node_data``,
``node_bounds``, ``sample_weight`` and the DistanceMetric as typed memoryviews, checking dtype and
contiguity only; every query then follows their indices with bounds checks off. mlbom checks
them (:func:`mlbom.formats.native_state.binary_tree_problem`, ``_Walker.metric_problem``): real
trees and the estimators holding them stay safe; states no scikit-learn writes are unsafe; states
it cannot read are suspicious. The edited files are real fitted trees whose state tuple is
edited, pickled as scikit-learn pickles them: ``(newObj, (cls,), state)``."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlbom.scanner import scan_file
from tests.helpers import dump_model

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.sklearn  # the optional scikit-learn tier (.ci/run)
pytest.importorskip("joblib")

from sklearn.metrics import DistanceMetric  # noqa: E402
from sklearn.metrics._dist_metrics import DistanceMetric64  # noqa: E402
from sklearn.neighbors import (  # noqa: E402
    BallTree,
    KDTree,
    KernelDensity,
    KNeighborsClassifier,
    KNeighborsRegressor,
    NearestNeighbors,
)

HOWS = ["p2", "p4", "p5", "joblib", "joblib-z"]
N, D = 60, 3  # data rows and features: with leaf_size 5, trees of 15 nodes


def _msgs(r: Any) -> list[str]:
    return [f"{f.id}: {f.message}" for f in r.findings]


def _X(d: int = D) -> Any:
    return np.random.RandomState(0).rand(N, d)


def _y() -> Any:
    return np.arange(N) % 3


def _lat_lon() -> Any:
    rng = np.random.RandomState(0)
    return np.c_[rng.uniform(-1.5, 1.5, N), rng.uniform(-3, 3, N)]


class _Reduced:
    """Pickles as a KDTree/BallTree/DistanceMetric whose state is ``state``: what scikit-learn's
    own ``__reduce__`` writes, ``(newObj, (cls,), state)``, for states its ``__setstate__`` may
    refuse (a big-endian node array) or a class nothing builds (the metric base class)."""

    def __init__(self, like: Any, state: Any, cls: type | None = None) -> None:
        func, args = like.__reduce__()[:2]
        self.rv = (func, (cls,) if cls is not None else args, state)

    def __reduce__(self) -> tuple[Any, ...]:
        return self.rv


# -- real trees, and estimators holding them, stay safe ---------------------------------------------

METRICS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    # name: (the tree algorithms that accept it, its parameters)
    "euclidean": (("kd_tree", "ball_tree"), {"metric": "euclidean"}),
    "manhattan": (("kd_tree", "ball_tree"), {"metric": "manhattan"}),
    "chebyshev": (("kd_tree", "ball_tree"), {"metric": "chebyshev"}),
    "minkowski-p3": (("kd_tree", "ball_tree"), {"metric": "minkowski", "p": 3}),
    "minkowski-w": (("kd_tree", "ball_tree"), {"metric": "minkowski", "p": 2, "w": np.arange(1.0, D + 1)}),
    "seuclidean": (("ball_tree",), {"metric": "seuclidean", "V": np.arange(1.0, D + 1)}),
    "mahalanobis": (("ball_tree",), {"metric": "mahalanobis", "VI": np.eye(D) * 2}),
    "haversine": (("ball_tree",), {"metric": "haversine"}),
}
TREE_METRICS = [(algo, m) for m, (algos, _) in METRICS.items() for algo in algos]


def _data_for(metric: str) -> Any:
    return _lat_lon() if metric == "haversine" else _X()


def _tree(algo: str, metric: str = "euclidean", **kw: Any) -> Any:
    cls = KDTree if algo == "kd_tree" else BallTree
    return cls(_data_for(metric), leaf_size=5, **METRICS[metric][1], **kw)


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize(("algo", "metric"), TREE_METRICS)
def test_real_tree_is_safe(tmp_path: Path, algo: str, metric: str, how: str) -> None:
    t = _tree(algo, metric)
    assert t.__getstate__()[6] > 1  # a tree with splits, not one leaf
    r = scan_file(dump_model(t, tmp_path / "t.pkl", how))
    assert r.verdict == "safe", (algo, metric, how, _msgs(r))


def _params(metric: str, kde: bool = False) -> dict[str, Any]:
    """The estimator's parameters for ``metric`` (KernelDensity takes Minkowski's p in metric_params)."""
    params = dict(METRICS[metric][1])
    name = params.pop("metric")
    if name == "minkowski" and not kde:
        return {"metric": name, "p": params.pop("p"), "metric_params": params or None}
    return {"metric": name, "metric_params": params or None}


def _estimator(kind: str, algo: str, metric: str) -> Any:
    X = _data_for(metric)
    if kind.startswith("kernel-density"):
        weight = np.arange(1.0, N + 1) if kind == "kernel-density-weighted" else None
        return KernelDensity(algorithm=algo, leaf_size=5, **_params(metric, kde=True)).fit(X, sample_weight=weight)
    make = {"knn-classifier": KNeighborsClassifier, "knn-regressor": KNeighborsRegressor,
            "nearest-neighbors": NearestNeighbors}[kind]
    return make(algorithm=algo, leaf_size=5, **_params(metric)).fit(X, _y())


def _held(est: Any) -> Any:
    return est.tree_ if isinstance(est, KernelDensity) else est._tree


ESTIMATORS = ["knn-classifier", "knn-regressor", "nearest-neighbors", "kernel-density", "kernel-density-weighted"]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("algo", ["kd_tree", "ball_tree"])
@pytest.mark.parametrize("kind", ESTIMATORS)
def test_real_estimator_holding_a_tree_is_safe(tmp_path: Path, kind: str, algo: str, how: str) -> None:
    est = _estimator(kind, algo, "euclidean")
    assert isinstance(_held(est), KDTree if algo == "kd_tree" else BallTree)
    r = scan_file(dump_model(est, tmp_path / "m.pkl", how))
    assert r.verdict == "safe", (kind, algo, how, _msgs(r))


@pytest.mark.parametrize("how", ["p2", "p4", "joblib-z"])
@pytest.mark.parametrize(("algo", "metric"), [(a, m) for a, m in TREE_METRICS if m != "euclidean"])
@pytest.mark.parametrize("kind", ["knn-classifier", "nearest-neighbors", "kernel-density"])
def test_real_estimator_with_metric_is_safe(tmp_path: Path, kind: str, algo: str, metric: str, how: str) -> None:
    if algo == "kd_tree" and metric == "minkowski-w":
        pytest.skip("the estimators refuse kd_tree with Minkowski weights (a bare KDTree takes them)")
    est = _estimator(kind, algo, metric)
    r = scan_file(dump_model(est, tmp_path / "m.pkl", how))
    assert r.verdict == "safe", (kind, algo, metric, how, _msgs(r))


# -- state no scikit-learn writes: unsafe -------------------------------------------------------------

def _nodes(st: list[Any]) -> Any:
    st[2] = st[2].copy()
    return st[2]


def _idx_past_end(st: list[Any]) -> None:
    st[1] = st[1].copy()
    st[1][3] = len(st[0])


def _idx_negative(st: list[Any]) -> None:
    st[1] = st[1].copy()
    st[1][0] = -1


def _idx_short(st: list[Any]) -> None:
    st[1] = st[1][:-1].copy()


def _children_past_end(st: list[Any]) -> None:
    nd = _nodes(st)
    assert nd["is_leaf"][-1] == 1
    nd["is_leaf"][-1] = 0  # its children 2i+1, 2i+2 are past the last node


def _children_overlap(st: list[Any]) -> None:
    nd = _nodes(st)
    nd["idx_start"][2] -= 1  # node 2 starts inside node 1's points


def _root_not_covering(st: list[Any]) -> None:
    nd = _nodes(st)
    nd["idx_end"][0] = len(st[0]) + 5


def _n_nodes(st: list[Any]) -> None:
    st[6] += 1


def _bounds_shape(st: list[Any]) -> None:
    st[3] = np.ascontiguousarray(st[3][:, :-1])  # the bounds of one node fewer


def _weight_short(st: list[Any]) -> None:
    st[12] = np.ones(len(st[0]) - 1)


def _seuclidean_short(st: list[Any]) -> None:
    st[11] = DistanceMetric.get_metric("seuclidean", V=np.ones(D - 1))


def _minkowski_w_short(st: list[Any]) -> None:
    st[11] = DistanceMetric.get_metric("minkowski", p=3, w=np.ones(D - 1))


def _mahalanobis_small(st: list[Any]) -> None:
    st[11] = DistanceMetric.get_metric("mahalanobis", VI=np.eye(D - 1))


def _haversine_3(st: list[Any]) -> None:
    st[11] = DistanceMetric.get_metric("haversine")  # the data has 3 features


# edit: (what it does, the base tree's metric)
UNSAFE: dict[str, tuple[Callable[[list[Any]], None], str]] = {
    "idx-past-end": (_idx_past_end, "euclidean"),
    "idx-negative": (_idx_negative, "euclidean"),
    "idx-short": (_idx_short, "euclidean"),
    "children-past-end": (_children_past_end, "euclidean"),
    "children-overlap": (_children_overlap, "euclidean"),
    "root-not-covering": (_root_not_covering, "euclidean"),
    "n-nodes": (_n_nodes, "euclidean"),
    "bounds-shape": (_bounds_shape, "euclidean"),
    "weight-short": (_weight_short, "euclidean"),
    "seuclidean-short": (_seuclidean_short, "seuclidean"),
    "minkowski-w-short": (_minkowski_w_short, "minkowski-w"),
    "mahalanobis-small": (_mahalanobis_small, "mahalanobis"),
    "haversine-3": (_haversine_3, "euclidean"),
}
METRIC_EDITS = {"seuclidean-short", "minkowski-w-short", "mahalanobis-small", "haversine-3"}
WHY = {"idx-past-end": "outside the", "idx-negative": "outside the", "idx-short": "not one per data row",
       "children-past-end": "past the last", "children-overlap": "do not split", "root-not-covering": "the root covers",
       "n-nodes": "n_nodes", "bounds-shape": "node_bounds has shape", "weight-short": "sample_weight has shape",
       "seuclidean-short": "variances", "minkowski-w-short": "weights", "mahalanobis-small": "matrix is",
       "haversine-3": "two coordinates"}


def _edited(algo: str, edit: str) -> Any:
    fn, metric = UNSAFE[edit]
    if edit in METRIC_EDITS:
        algo = "ball_tree" if edit != "minkowski-w-short" else algo
    t = _tree(algo, metric, **({"sample_weight": np.ones(N)} if edit == "weight-short" else {}))
    st = list(t.__getstate__())
    fn(st)
    return _Reduced(t, tuple(st))


def _assert_unsafe(path: Path, edit: str) -> None:
    r = scan_file(path)
    assert r.verdict == "unsafe", (edit, _msgs(r))
    assert any(f.id == "pickle.memory" and WHY[edit] in f.message for f in r.findings), (edit, _msgs(r))


@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
@pytest.mark.parametrize("algo", ["kd_tree", "ball_tree"])
@pytest.mark.parametrize("edit", sorted(UNSAFE))
def test_edited_tree_is_unsafe(tmp_path: Path, edit: str, algo: str, how: str) -> None:
    if edit in METRIC_EDITS and edit != "minkowski-w-short" and algo == "kd_tree":
        pytest.skip("KDTree takes only the plain and Minkowski metrics")
    _assert_unsafe(dump_model(_edited(algo, edit), tmp_path / "t.pkl", how), edit)


@pytest.mark.parametrize("how", ["p5", "joblib-z"])
@pytest.mark.parametrize("kind", ["knn-classifier", "kernel-density"])
@pytest.mark.parametrize("edit", sorted(UNSAFE))
def test_edited_tree_inside_an_estimator_is_unsafe(tmp_path: Path, edit: str, kind: str, how: str) -> None:
    est = _estimator(kind, "ball_tree", "euclidean")
    tree = _edited("ball_tree", edit)
    if kind == "kernel-density":
        est.tree_ = tree
    else:
        est._tree = tree
    _assert_unsafe(dump_model(est, tmp_path / "m.pkl", how), edit)


def test_edits_are_states_the_real_setstate_accepts() -> None:
    """Every edit above loads with the real ``pickle.load`` (nothing stops it before a query)."""
    for edit in UNSAFE:
        for algo in ("kd_tree", "ball_tree"):
            got = pickle.loads(pickle.dumps(_edited(algo, edit), protocol=4))
            assert isinstance(got, (KDTree, BallTree)), edit


# -- state mlbom cannot read: suspicious --------------------------------------------------------------

@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
@pytest.mark.parametrize("algo", ["kd_tree", "ball_tree"])
def test_big_endian_node_data_is_suspicious(tmp_path: Path, algo: str, how: str) -> None:
    t = _tree(algo)
    st = list(t.__getstate__())
    st[2] = st[2].astype(st[2].dtype.newbyteorder(">"))
    r = scan_file(dump_model(_Reduced(t, tuple(st)), tmp_path / "t.pkl", how))
    assert r.verdict == "suspicious", (algo, how, _msgs(r))
    assert any(f.id == "pickle.memory" and "node_data" in f.message for f in r.findings), _msgs(r)


@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
@pytest.mark.parametrize("algo", ["kd_tree", "ball_tree"])
def test_node_data_of_another_layout_is_suspicious(tmp_path: Path, algo: str, how: str) -> None:
    t = _tree(algo)
    st = list(t.__getstate__())
    nd = st[2]
    st[2] = np.ascontiguousarray(np.c_[nd["idx_start"], nd["idx_end"], nd["is_leaf"], nd["is_leaf"]])  # int64 (n, 4)
    r = scan_file(dump_model(_Reduced(t, tuple(st)), tmp_path / "t.pkl", how))
    assert r.verdict == "suspicious", (algo, how, _msgs(r))


@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
def test_unmodelled_metric_class_is_suspicious(tmp_path: Path, how: str) -> None:
    """The allowlisted DistanceMetric64 base class: no scikit-learn tree holds it, mlbom does not
    model what its distances read."""
    t = _tree("ball_tree")
    st = list(t.__getstate__())
    euclid = st[11]
    st[11] = _Reduced(euclid, (2.0, np.zeros(1), np.zeros((1, 1))), DistanceMetric64)
    r = scan_file(dump_model(_Reduced(t, tuple(st)), tmp_path / "t.pkl", how))
    assert r.verdict == "suspicious", (how, _msgs(r))
    assert any(f.id == "pickle.memory" and "DistanceMetric64" in f.message for f in r.findings), _msgs(r)


# -- the proof: the real loader reads past its data ----------------------------------------------

def test_idx_array_past_end_crashes_the_real_query(tmp_path: Path) -> None:
    """Red team 34t-4's proof: idx_array entries set huge, loaded with the real pickle.load, then
    ``query`` reads data rows far past the array."""
    t = KDTree(_X(), leaf_size=5)
    st = list(t.__getstate__())
    st[1] = np.full_like(st[1], 10**12)
    t.__setstate__(tuple(st))
    path = dump_model(t, tmp_path / "t.pkl", "p4")
    r = scan_file(path)
    assert r.verdict == "unsafe", _msgs(r)
    code = ("import pickle,sys,numpy as np; t=pickle.load(open(sys.argv[1],'rb')); "
            f"print(t.query(np.random.RandomState(1).rand(20, {D}), k=3))")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, timeout=120)
    assert proc.returncode != 0 and b"Traceback" not in proc.stderr, (proc.returncode, proc.stderr[-500:])
