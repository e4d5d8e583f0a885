"""Red team 38t: scikit-learn native state, round 2.

38t-1: a KDTree/BallTree ``leaf_size`` of 0 (``__setstate__`` stores it unchecked): breadth-first
queries and kernel density size a heap by ``n_samples // leaf_size``, a C division (SIGFPE).
38t-2: a Tree built with ``n_classes == [0]``: its value stride is 0 and GradientBoosting's
``predict_stages`` reads one value per node from an empty buffer.
38t-3: a numpy array BUILT a second time after a KDTree took a view of it: the tree keeps the
first buffer, mlbom judged the last state.
38t-5 (false positive): GradientBoosting with a linear model as ``init`` was ``suspicious``.
The files are built from real fitted models."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import pytest

from mlbom.scanner import scan_file
from tests.helpers import dump_model

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.sklearn  # the optional scikit-learn tier (.ci/run)

from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor  # noqa: E402
from sklearn.neighbors import BallTree, KDTree, KernelDensity  # noqa: E402
from sklearn.tree._tree import Tree  # noqa: E402

HOWS = ["p2", "p4", "p5", "joblib", "joblib-z"]


class _Reduced:
    """Pickles as the given reduce tuple (an edited state for a native object)."""

    def __init__(self, rv: tuple[Any, ...]) -> None:
        self.rv = rv

    def __reduce__(self) -> tuple[Any, ...]:
        return self.rv


def _msgs(r: Any) -> list[str]:
    return [f.message for f in r.findings]


# -- 38t-1: leaf_size -----------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
@pytest.mark.parametrize("cls", [KDTree, BallTree])
@pytest.mark.parametrize("leaf_size", [0, -1, 2.0])
def test_leaf_size_below_one_is_unsafe(tmp_path: Path, how: str, cls: Any, leaf_size: object) -> None:
    tree = cls(np.random.RandomState(0).rand(100, 3), leaf_size=5)
    func, args, state = tree.__reduce__()
    state = list(state)
    state[4] = leaf_size
    r = scan_file(dump_model(_Reduced((func, args, tuple(state))), tmp_path / "t.pkl", how))
    assert r.verdict == "unsafe", _msgs(r)
    assert any("leaf_size" in m for m in _msgs(r))


# -- 38t-2: Tree n_classes / n_outputs ------------------------------------------------------------

def _gb_with_stage_tree(n_classes: Any, n_outputs: int) -> GradientBoostingRegressor:
    X = np.random.RandomState(0).rand(100, 3)
    m = GradientBoostingRegressor(n_estimators=3, max_depth=2, random_state=0).fit(X, X[:, 0])
    real = m.estimators_[1, 0].tree_
    st = real.__getstate__()
    st["values"] = np.zeros((st["node_count"], n_outputs, int(max(n_classes, default=0))), dtype=np.float64)
    bad = Tree(real.n_features, np.asarray(n_classes, dtype=np.intp), n_outputs)
    bad.__setstate__(st)
    m.estimators_[1, 0].tree_ = bad
    return m


@pytest.mark.parametrize("how", HOWS)
def test_tree_with_zero_classes_is_unsafe(tmp_path: Path, how: str) -> None:
    m = _gb_with_stage_tree([0], 1)
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", _msgs(r)
    assert any("n_classes" in msg for msg in _msgs(r))


@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
def test_tree_with_one_class_per_output_is_safe(tmp_path: Path, how: str) -> None:
    m = _gb_with_stage_tree([1], 1)  # what a regressor's Tree really has
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "safe", _msgs(r)


# -- 38t-3: an array BUILT again after a KDTree took a view of it ---------------------------------

def _piece(p: pickle.Pickler, buf: io.BytesIO, obj: object) -> bytes:
    start = buf.tell()
    p.dump(obj)
    data = buf.getvalue()[start:]
    assert data[:2] == b"\x80\x03" and data[-1:] == b"."
    return data[2:-1]


def _rebuilt_kdtree(second: bool) -> bytes:
    tree = KDTree(np.random.RandomState(0).rand(200, 3), leaf_size=20)
    func, args, state = tree.__reduce__()
    good = state[1]
    bad = np.full(1 << 12, 1 << 40, dtype=np.int64)
    idx = _Reduced(bad.__reduce__())
    state = list(state)
    state[1] = idx
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=3)
    out = b"\x80\x03" + _piece(p, buf, func) + _piece(p, buf, args) + b"R" + _piece(p, buf, tuple(state)) + b"b"
    if second:
        memo = p.memo.copy()[id(idx)][0]
        out += b"j" + memo.to_bytes(4, "little") + _piece(p, buf, good.__reduce__()[2]) + b"b0"
    return out + b"."


def test_array_built_again_after_a_tree_took_it_is_not_safe(tmp_path: Path) -> None:
    path = tmp_path / "t.pkl"
    path.write_bytes(_rebuilt_kdtree(second=True))
    loaded = pickle.loads(path.read_bytes())
    assert int(np.asarray(loaded.get_arrays()[1]).max()) < 200  # the ndarray now holds the sound permutation
    r = scan_file(path)
    assert r.verdict in ("suspicious", "unsafe"), _msgs(r)
    assert any("already has its data" in m for m in _msgs(r))
    path.write_bytes(_rebuilt_kdtree(second=False))  # control: the bad indices alone
    assert scan_file(path).verdict == "unsafe"


# -- 38t-4/38t-5: false positives -----------------------------------------------------------------

@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("algo", ["kd_tree", "ball_tree"])
def test_real_kernel_density_is_safe(tmp_path: Path, how: str, algo: str) -> None:
    m = KernelDensity(algorithm=algo).fit(np.random.RandomState(0).rand(60, 3))
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "safe", _msgs(r)


def _gb_linear_init(kind: str) -> Any:
    from sklearn.linear_model import LinearRegression, LogisticRegression
    rng = np.random.RandomState(0)
    X = rng.rand(150, 4)
    if kind == "regressor":
        return GradientBoostingRegressor(n_estimators=3, init=LinearRegression(), random_state=0).fit(X, X[:, 0])
    y = (X[:, 0] * (3 if kind == "3-class" else 2)).astype(int)
    return GradientBoostingClassifier(n_estimators=3, init=LogisticRegression(), random_state=0).fit(X, y)


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", ["regressor", "binary", "3-class"])
def test_gradient_boosting_with_linear_init_is_safe(tmp_path: Path, how: str, kind: str) -> None:
    r = scan_file(dump_model(_gb_linear_init(kind), tmp_path / "m.pkl", how))
    assert r.verdict == "safe", _msgs(r)


@pytest.mark.parametrize("how", ["p4", "joblib"])
def test_gradient_boosting_wider_than_its_linear_init_is_unsafe(tmp_path: Path, how: str) -> None:
    m = _gb_linear_init("3-class")
    m.init_.coef_ = m.init_.coef_[:2].copy()  # two probability columns for three trees a stage
    m.init_.intercept_ = m.init_.intercept_[:2].copy()
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", _msgs(r)
