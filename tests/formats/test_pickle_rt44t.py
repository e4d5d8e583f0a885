"""Red team 44t: native objects whose buffers were never filled.

44t-1: a Tree state with zero node records (``node_count`` 0, ``values`` of 0 rows) passes
``Tree.__setstate__``'s shape checks; ``apply``/``predict`` still read ``nodes[0]`` of the empty
buffer (a hang or SIGSEGV), in a DecisionTree, a forest or GradientBoosting's native
``predict_stages``. 44t-2: a Tree (or KDTree/BallTree) made by its reduce call and never given
a state: ``Tree.__cinit__`` leaves ``nodes`` NULL, ``BinaryTree.__cinit__`` one uninitialised
node record (``kernel_density``: SIGFPE); it was judged only through an estimator holding it."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import pytest

from mlbom.scanner import scan_file
from tests.helpers import dump_model, fit_once

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.sklearn  # the optional scikit-learn tier (.ci/run)

from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor  # noqa: E402
from sklearn.neighbors import BallTree, KDTree  # noqa: E402
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402
from sklearn.tree._tree import Tree  # noqa: E402


def _msgs(r: Any) -> list[str]:
    return [f.message for f in r.findings]


def _data() -> tuple[Any, Any]:
    rng = np.random.RandomState(0)
    X = rng.rand(60, 3)
    return X, X[:, 0] * 2 + rng.rand(60) * 0.1


@fit_once
def _fitted(kind: str) -> Any:
    X, y = _data()
    if kind == "dtr":
        return DecisionTreeRegressor(max_depth=3).fit(X, y)
    if kind == "rf":
        return RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(X, y)
    if kind == "gbr":
        return GradientBoostingRegressor(n_estimators=3, max_depth=2, random_state=0).fit(X, y)
    return DecisionTreeClassifier(max_depth=3).fit(X, (y > 1).astype(int))


def _empty_tree_reduce(tree: Any) -> Any:
    cls, args, state = tree.__reduce__()
    state = dict(state, nodes=state["nodes"][:0], values=state["values"][:0], node_count=0, max_depth=0)
    return cls, args, state


class _Edit(pickle.Pickler):
    """Pickles every Tree through ``how``'s reduce value."""

    def __init__(self, f: io.BytesIO, how: Any) -> None:
        super().__init__(f, protocol=4)
        self.how = how

    def reducer_override(self, obj: Any) -> Any:
        return self.how(obj) if isinstance(obj, Tree) else NotImplemented


def _dump(obj: Any, path: Path, how: Any) -> Path:
    buf = io.BytesIO()
    _Edit(buf, how).dump(obj)
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.parametrize("kind", ["dtr", "rf", "gbr"])
def test_44t_1_a_tree_with_no_node_records_is_unsafe(tmp_path: Path, kind: str) -> None:
    r = scan_file(_dump(_fitted(kind), tmp_path / f"{kind}.pkl", _empty_tree_reduce))
    assert r.verdict == "unsafe", _msgs(r)
    assert any("no node records" in m for m in _msgs(r)), _msgs(r)


def test_44t_1_a_one_node_tree_stays_safe(tmp_path: Path) -> None:
    X, _ = _data()
    m = DecisionTreeRegressor().fit(X, np.ones(60))  # a constant target: one leaf, the root
    assert m.tree_.node_count == 1
    for how in ("p4", "joblib"):
        r = scan_file(dump_model(m, tmp_path / f"leaf-{how}.pkl", how))
        assert r.verdict == "safe", (how, _msgs(r))


def _no_state(tree: Any) -> Any:
    cls, args, _state = tree.__reduce__()
    return cls, args


@pytest.mark.parametrize("wrap", ["bare", "dict", "list"])
def test_44t_2_a_tree_never_given_a_state_is_unsafe(tmp_path: Path, wrap: str) -> None:
    tree = _fitted("dtc").tree_
    obj: object = {"bare": tree, "dict": {"trees": [tree], "n_features": 3}, "list": [1, tree]}[wrap]
    r = scan_file(_dump(obj, tmp_path / f"{wrap}.pkl", _no_state))
    assert r.verdict == "unsafe", _msgs(r)
    assert any("never given a state" in m for m in _msgs(r)), _msgs(r)


class _NoStateBinaryTree(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, KDTree | BallTree):
            func, args, *_ = obj.__reduce__()
            return func, args
        return NotImplemented


@pytest.mark.parametrize("cls", [KDTree, BallTree])
def test_44t_2_a_binary_tree_never_given_a_state_is_unsafe(tmp_path: Path, cls: Any) -> None:
    X, _ = _data()
    buf = io.BytesIO()
    _NoStateBinaryTree(buf, protocol=4).dump({"index": cls(X)})
    path = tmp_path / "bt.pkl"
    path.write_bytes(buf.getvalue())
    r = scan_file(path)
    assert r.verdict == "unsafe", _msgs(r)


@pytest.mark.parametrize("how", ["p2", "p5", "joblib"])
def test_44t_real_trees_and_binary_trees_stay_safe(tmp_path: Path, how: str) -> None:
    X, _ = _data()
    obj = {"tree": _fitted("dtc").tree_, "kd": KDTree(X), "ball": BallTree(X), "model": _fitted("rf")}
    r = scan_file(dump_model(obj, tmp_path / f"real-{how}.pkl", how))
    assert r.verdict == "safe", (how, _msgs(r))


@pytest.mark.parametrize("compress", [0, 3, "lz4"])
def test_45t_1_joblib_binary_trees_are_safe(tmp_path: Path, compress: object) -> None:
    """45t-1: the pickle.load reading of a joblib file stops in the first array's bytes, after
    ``newObj(KDTree)`` and before its BUILD: a reading that raises returns no object, so the
    unbuilt judgement is only for a stream that reached STOP."""
    joblib = pytest.importorskip("joblib")
    if compress == "lz4":
        pytest.importorskip("lz4")
    from sklearn.neighbors import KernelDensity

    X, _ = _data()
    for name, obj in (("kd", KDTree(X)), ("kde", KernelDensity(algorithm="ball_tree").fit(X)),
                      ("dict", {"index": BallTree(X), "ids": [1, 2]})):
        path = tmp_path / f"{name}.joblib"
        joblib.dump(obj, path, compress=compress)
        r = scan_file(path)
        assert r.verdict == "safe", (name, compress, _msgs(r))
