"""Red team 34t: scikit-learn native model state that the C code trusts on use.

34t-1: ``Tree.decision_path`` allocates ``n_samples * (1 + max_depth)`` indices and writes one
per node on each sample's path with bounds checks off: a ``max_depth`` below the nodes' true
depth is a heap overflow write. The attack files are built with scikit-learn itself."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats import native_state
from mlbom.scanner import scan_file
from tests.helpers import dump_model

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.sklearn  # the optional scikit-learn tier (.ci/run)
joblib = pytest.importorskip("joblib")

from sklearn.tree import DecisionTreeRegressor  # noqa: E402

HOWS = ["p2", "p4", "p5", "joblib", "joblib-z"]


def _fitted(depth: int = 6, n_features: int = 4) -> DecisionTreeRegressor:
    rng = np.random.RandomState(0)
    X = rng.rand(200, n_features)
    return DecisionTreeRegressor(max_depth=depth, random_state=0).fit(X, X[:, 0] * 3 + X[:, -1])


_dump = dump_model


def _with_max_depth(value: object) -> DecisionTreeRegressor:
    m = _fitted()
    st = m.tree_.__getstate__()
    st["max_depth"] = value
    m.tree_.__setstate__(st)
    return m


# -- 34t-1: max_depth below the true depth ------------------------------------------------------

@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("value", [0, -1, 5])
def test_max_depth_below_true_depth_is_unsafe(tmp_path: Path, how: str, value: int) -> None:
    r = scan_file(_dump(_with_max_depth(value), tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", (value, how, [f.message for f in r.findings])
    assert any(f.id == "pickle.memory" and "true depth 6" in f.message for f in r.findings)


@pytest.mark.parametrize("how", HOWS)
def test_real_max_depth_and_larger_are_safe(tmp_path: Path, how: str) -> None:
    assert _fitted().tree_.max_depth == 6
    for value in (6, 40):
        r = scan_file(_dump(_with_max_depth(value), tmp_path / f"m{value}.pkl", how))
        assert r.verdict == "safe", (value, how, [f.message for f in r.findings])


def test_depth_is_the_deepest_path() -> None:
    rec = np.zeros(7, dtype=[("l", "<i8"), ("r", "<i8"), ("f", "<i8"), ("pad", "V40")])
    rec["l"] = [1, 3, 5, -1, -1, -1, -1]  # 0 -> (1, 2); 1 -> (3, 4); 2 -> (5, 6): depth 2
    rec["r"] = [2, 4, 6, -1, -1, -1, -1]
    scan = native_state.NodeScan()
    scan.feed(rec.tobytes())
    scan.finish()
    assert scan.problem is None and scan.depth == 2 and scan.parents is None
    assert native_state.tree_problem(scan, 7, 1, 2) is None
    assert native_state.tree_problem(scan, 7, 1, 1) is not None
    assert native_state.tree_problem(scan, 7, 1, 2.0) is not None
    # red team 36t-5: a node two splits name (a graph, not a tree) is what no scikit-learn writes
    rec["l"] = [1, 3, 3, -1, -1, -1, -1]
    scan = native_state.NodeScan()
    scan.feed(rec.tobytes())
    assert scan.problem is not None and "graph, not a tree" in scan.problem


def test_depth_past_the_limit_is_suspicious(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native_state, "DEPTH_NODES_LIMIT", 8)
    r = scan_file(_dump(_fitted(), tmp_path / "m.pkl", "p4"))
    assert r.verdict == "suspicious", [f.message for f in r.findings]
    assert any("true depth" in f.message for f in r.findings)


def test_real_loader_overflows_on_decision_path(tmp_path: Path) -> None:
    """Proof: the real loader loads the tree; predict works; decision_path writes past its buffer."""
    p = _dump(_with_max_depth(0), tmp_path / "m.pkl", "p4")
    code = ("import pickle, sys, numpy as np; m = pickle.load(open(sys.argv[1], 'rb')); "
            "X = np.random.RandomState(1).rand(2000, 4); m.predict(X); print('predicted', flush=True); "
            "[m.decision_path(X) for _ in range(20)]")
    res = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, timeout=120, check=False)
    assert b"predicted" in res.stdout
    assert res.returncode != 0, res.stderr[-500:]


# -- 34t-2: the Tree judged with its owner's n_features_in_ -------------------------------------

def _edit_features(est: object, feature: int) -> None:
    t = est.tree_  # type: ignore[attr-defined]
    st = t.__getstate__()
    nodes = st["nodes"].copy()
    nodes["feature"][nodes["left_child"] != -1] = feature
    st["nodes"] = nodes
    t.__setstate__(st)


class _BigTree(pickle.Pickler):
    """Pickles each Tree with constructor n_features 10**9, as the red team's reducer did: the
    Tree's own bound passes, the owner's n_features_in_ (what predict checks X against) does not."""

    def reducer_override(self, o: object) -> object:
        from sklearn.tree._tree import Tree
        if type(o) is Tree:
            cls, args, st = o.__reduce__()
            return cls, (10**9, *tuple(args[1:])), st
        return NotImplemented


def _dump_big(m: object, path: Path, how: str) -> Path:
    if how.startswith("p"):
        with path.open("wb") as f:
            _BigTree(f, protocol=int(how[1:])).dump(m)
        return path
    import joblib.numpy_pickle as jnp

    class P(jnp.NumpyPickler):
        reducer_override = _BigTree.reducer_override
    old = jnp.NumpyPickler
    jnp.NumpyPickler = P  # type: ignore[misc]
    try:
        joblib.dump(m, path, compress=3 if how == "joblib-z" else 0)
    finally:
        jnp.NumpyPickler = old  # type: ignore[misc]
    return path


@pytest.mark.parametrize("how", HOWS)
def test_tree_feature_past_owner_width_is_unsafe(tmp_path: Path, how: str) -> None:
    m = _fitted(depth=4)
    _edit_features(m, 10**9 - 1)
    r = scan_file(_dump_big(m, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", (how, [f.message for f in r.findings])
    assert any("n_features_in_ 4" in f.message for f in r.findings)


@pytest.mark.parametrize("how", HOWS)
def test_gradient_boosting_stage_past_ensemble_width_is_unsafe(tmp_path: Path, how: str) -> None:
    """predict_stages reads X[i, feature] for every stage's Tree after checking X against the
    ensemble's n_features_in_ only: the stages' own n_features_in_ do not protect it."""
    from sklearn.ensemble import GradientBoostingRegressor
    X = np.random.RandomState(0).rand(60, 3)
    gb = GradientBoostingRegressor(n_estimators=3, max_depth=2, random_state=0).fit(X, X[:, 0])
    for stage in gb.estimators_.ravel():
        _edit_features(stage, 50)
        stage.n_features_in_ = 51
    r = scan_file(_dump_big(gb, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", (how, [f.message for f in r.findings])
    assert any("GradientBoosting" in f.message and "n_features_in_ 3" in f.message for f in r.findings)


@pytest.mark.parametrize("how", ["p4", "joblib"])
def test_owner_without_n_features_in_is_suspicious(tmp_path: Path, how: str) -> None:
    m = _fitted(depth=3)
    del m.n_features_in_
    r = scan_file(_dump(m, tmp_path / "m.pkl", how))
    assert r.verdict == "suspicious", (how, [f.message for f in r.findings])
    assert any("n_features_in_" in f.message for f in r.findings)


def test_real_loader_reads_past_owner_width(tmp_path: Path) -> None:
    m = _fitted(depth=4)
    _edit_features(m, 10**9 - 1)
    p = _dump_big(m, tmp_path / "m.pkl", "p4")
    code = ("import pickle, sys, numpy as np; m = pickle.load(open(sys.argv[1], 'rb')); print('loaded', flush=True); "
            "m.predict(np.random.RandomState(1).rand(50, 4))")
    res = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, timeout=120, check=False)
    assert b"loaded" in res.stdout
    assert res.returncode != 0, res.stderr[-500:]


def test_pipeline_tree_after_width_change_is_safe(tmp_path: Path) -> None:
    """The tree's owner is the estimator, not the pipeline: a transformer widening X is fine."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures
    X = np.random.RandomState(0).rand(80, 2)
    pipe = make_pipeline(PolynomialFeatures(3), DecisionTreeRegressor(max_depth=5, random_state=0))
    pipe.fit(X, X[:, 0] * X[:, 1] ** 2)
    assert pipe[-1].tree_.feature.max() >= 2
    for how in HOWS:
        r = scan_file(_dump(pipe, tmp_path / f"m-{how}.pkl", how))
        assert r.verdict == "safe", (how, [f.message for f in r.findings])
