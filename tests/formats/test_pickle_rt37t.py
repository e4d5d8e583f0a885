"""Red team 37t: scikit-learn native model state that the loaded model's C code trusts.

37t-1: GradientBoosting's ``predict_stages`` (bounds checks off) adds stage tree ``k`` into column
``k`` of the init predictions for every ``k < estimators_.shape[1]``: an ``estimators_`` wider than
those predictions writes past them. 37t-2: ``BaseEstimator.__setstate__`` copies its state dict at
BUILD, so a SETITEM on that dict afterwards never reaches the estimator (mlbom judged the dict as
it ended up). 37t-3: scikit-learn 1.9 checks X's width against ``n_features_in_`` only (a legacy
``n_features_`` is read by nothing). 37t-4: ``predict_stages`` types a stage's ``tree_`` as a
Cython ``Tree``, which lets None through and dereferences it. 37t-5: ``ndarray.__setstate__``
copies an object array's item list at BUILD, so changing the list afterwards hides the stage tree
the array really holds.

The files are real fitted models, edited as the red team's proofs (/work/redteam-37t) edit them;
the streams that change a state after its BUILD are written by a pure-Python pickler."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlbom.scanner import scan_file
from tests.helpers import dump_model

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.sklearn  # the optional scikit-learn tier (.ci/run)
pytest.importorskip("joblib")

from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor  # noqa: E402
from sklearn.tree import DecisionTreeRegressor  # noqa: E402
from sklearn.tree._tree import Tree  # noqa: E402

FEATURE = 50_000_000  # a split reading X[i, FEATURE]: far past a row of a few float32s
HOWS = ["p2", "p4", "joblib", "joblib-z"]


def _msgs(r: Any) -> list[str]:
    return [f"{f.id}: {f.message}" for f in r.findings]


def _gb_regressor(n_estimators: int = 2, **kw: Any) -> GradientBoostingRegressor:
    X = np.random.RandomState(0).rand(50, 3).astype(np.float32)
    return GradientBoostingRegressor(n_estimators=n_estimators, max_depth=2, random_state=0, **kw).fit(
        X, X[:, 0] * 3 + 1)


def _gb_classifier(n_classes: int, **kw: Any) -> GradientBoostingClassifier:
    rng = np.random.RandomState(0)
    X = rng.rand(90, 3)
    y = (X[:, 0] * n_classes).astype(int)
    return GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=0, **kw).fit(X, y)


def _far_tree(n_features: int = 2, rows: int = 40) -> DecisionTreeRegressor:
    """A fitted regressor whose Tree splits on feature FEATURE, consistent on its own (the Tree's
    n_features is FEATURE + 1)."""
    X = np.random.RandomState(0).rand(rows, n_features).astype(np.float32)
    est = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, X[:, 0])
    _, args, st = est.tree_.__reduce__()
    nodes = st["nodes"].copy()
    nodes["feature"][nodes["left_child"] != -1] = FEATURE
    bad = Tree(FEATURE + 1, args[1], args[2])
    bad.__setstate__(dict(st, nodes=nodes))
    est.tree_ = bad
    return est


# -- real GradientBoosting models stay safe ----------------------------------------------------------

REAL_GB = {
    "regressor": lambda: _gb_regressor(3),
    "regressor-zero": lambda: _gb_regressor(3, init="zero"),
    "binary": lambda: _gb_classifier(2),
    "binary-zero": lambda: _gb_classifier(2, init="zero"),
    "3-class": lambda: _gb_classifier(3),
    "3-class-zero": lambda: _gb_classifier(3, init="zero"),
}


@pytest.mark.parametrize("how", ["p2", "p4", "p5", "joblib", "joblib-z"])
@pytest.mark.parametrize("kind", sorted(REAL_GB))
def test_real_gradient_boosting_is_safe(tmp_path: Path, kind: str, how: str) -> None:
    m = REAL_GB[kind]()
    if kind.startswith("3-class"):
        assert m.estimators_.shape[1] == 3
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "safe", (kind, how, _msgs(r))


# -- 37t-1: estimators_ wider than the init predictions ----------------------------------------------

def _widen(m: Any, k: int) -> Any:
    """``estimators_`` with ``k`` trees a stage: stage 0's first tree (unedited) over and over."""
    tree = m.estimators_[0, 0]
    est = np.empty((m.estimators_.shape[0], k), dtype=object)
    est[:, :] = tree
    m.estimators_ = est
    return m


WIDE = {
    "regressor-k2": lambda: _widen(_gb_regressor(1), 2),
    "regressor-k1000": lambda: _widen(_gb_regressor(1), 1000),
    "regressor-zero-k2": lambda: _widen(_gb_regressor(1, init="zero"), 2),
    "binary-k2": lambda: _widen(_gb_classifier(2), 2),
    "3-class-k4": lambda: _widen(_gb_classifier(3), 4),
    "3-class-zero-k4": lambda: _widen(_gb_classifier(3, init="zero"), 4),
}


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", sorted(WIDE))
def test_gb_stages_wider_than_init_predictions_are_unsafe(tmp_path: Path, kind: str, how: str) -> None:
    r = scan_file(dump_model(WIDE[kind](), tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", (kind, how, _msgs(r))
    assert any(f.id == "pickle.memory" and "predict_stages writes" in f.message for f in r.findings), _msgs(r)


# -- 37t-2: the owner's state dict changed after its BUILD -------------------------------------------

def _build_then(obj: Any, state: Any, protocol: int, after: Any) -> bytes:
    """``obj`` reduced without its state, then ``state`` (memoized) BUILT into it, then
    ``after(pickler)`` writes more opcodes against the memo; the object is the result."""
    f = io.BytesIO()
    p = pickle._Pickler(f, protocol)  # type: ignore[attr-defined]
    p.write(pickle.PROTO + bytes([protocol]))
    if protocol >= 4:
        p.framer.start_framing()
    rv = obj.__reduce_ex__(protocol)
    p.save_reduce(rv[0], rv[1], obj=obj)
    p.save(state)
    p.write(pickle.BUILD)
    after(p)
    p.write(pickle.STOP)
    if protocol >= 4:
        p.framer.end_framing()
    return f.getvalue()


def _dict_changed_after_build(protocol: int, change: bool) -> tuple[bytes, Any]:
    est = _far_tree()
    state = dict(est.__getstate__())
    state["n_features_in_"] = 2  # what the estimator gets at BUILD: the Tree reads feature FEATURE

    def after(p: Any) -> None:
        if change:  # the dict now says FEATURE + 1; the estimator keeps 2
            p.save(state)
            p.save("n_features_in_")
            p.save(FEATURE + 1)
            p.write(pickle.SETITEM + pickle.POP)

    return _build_then(est, state, protocol, after), state


@pytest.mark.parametrize("change", [True, False], ids=["setitem-after-build", "control"])
@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_state_dict_changed_after_build_is_unsafe(tmp_path: Path, protocol: int, change: bool) -> None:
    data, _ = _dict_changed_after_build(protocol, change)
    assert pickle.loads(data).n_features_in_ == 2  # what the loader's estimator holds
    path = tmp_path / "m.pkl"
    path.write_bytes(data)
    r = scan_file(path)
    assert r.verdict == "unsafe", (protocol, change, _msgs(r))
    assert any(f.id == "pickle.memory" and "n_features_in_ 2" in f.message for f in r.findings), _msgs(r)


@pytest.mark.parametrize("protocol", [2, 4])
def test_tree_swapped_in_state_dict_after_build_is_unsafe(tmp_path: Path, protocol: int) -> None:
    """The dict's ``tree_`` replaced by a sound Tree after BUILD: the estimator keeps the bad one."""
    est = _far_tree()
    good = DecisionTreeRegressor(max_depth=2, random_state=0).fit(
        np.random.RandomState(0).rand(40, 2), np.arange(40.0)).tree_
    state = dict(est.__getstate__())
    state["n_features_in_"] = 2

    def after(p: Any) -> None:
        p.save(state)
        p.save("tree_")
        p.save(good)
        p.write(pickle.SETITEM + pickle.POP)

    data = _build_then(est, state, protocol, after)
    assert pickle.loads(data).tree_.n_features == FEATURE + 1
    path = tmp_path / "m.pkl"
    path.write_bytes(data)
    r = scan_file(path)
    assert r.verdict == "unsafe", (protocol, _msgs(r))


# -- 37t-3: n_features_ without n_features_in_ ---------------------------------------------------------

@pytest.mark.parametrize("how", HOWS)
def test_n_features_without_n_features_in_is_suspicious(tmp_path: Path, how: str) -> None:
    est = _far_tree()
    del est.n_features_in_  # predict then checks nothing about X's width
    est.n_features_ = FEATURE + 1  # nothing in scikit-learn 1.9 reads it
    est.feature_names_in_ = np.array(["a", "b"], dtype=object)
    r = scan_file(dump_model(est, tmp_path / "m.pkl", how))
    assert r.verdict == "suspicious", (how, _msgs(r))
    assert any(f.id == "pickle.memory" and "no n_features_in_" in f.message for f in r.findings), _msgs(r)


@pytest.mark.parametrize("how", ["p2", "p4"])
def test_n_features_beside_too_small_n_features_in_is_unsafe(tmp_path: Path, how: str) -> None:
    """A generous ``n_features_`` does not excuse a Tree past ``n_features_in_``."""
    est = _far_tree()
    est.n_features_ = FEATURE + 1
    r = scan_file(dump_model(est, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", (how, _msgs(r))


# -- 37t-4: a stage estimator whose tree_ is None ---------------------------------------------------

@pytest.mark.parametrize("how", HOWS)
def test_gb_stage_tree_none_is_unsafe(tmp_path: Path, how: str) -> None:
    gb = _gb_regressor(2)
    gb.estimators_[1, 0].tree_ = None  # stage 0 stays real: _raw_predict_init validates X with it
    r = scan_file(dump_model(gb, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", (how, _msgs(r))
    assert any(f.id == "pickle.memory" and "tree_ is None" in f.message for f in r.findings), _msgs(r)


@pytest.mark.parametrize("how", ["p2", "p4"])
def test_tree_of_another_kind_is_suspicious(tmp_path: Path, how: str) -> None:
    gb = _gb_regressor(2)
    gb.estimators_[1, 0].tree_ = "not a tree"
    r = scan_file(dump_model(gb, tmp_path / "m.pkl", how))
    assert r.verdict == "suspicious", (how, _msgs(r))
    assert any(f.id == "pickle.memory" and "not a Tree mlbom checked" in f.message for f in r.findings), _msgs(r)


# -- 37t-5: an object array's item list changed after the array's BUILD -------------------------------

def _array_list_changed(protocol: int, change: bool) -> bytes:
    gb = _gb_regressor(2)
    good = gb.estimators_[1, 0]
    bad = _far_tree(3, 50)
    bad.n_features_in_ = FEATURE + 1  # consistent on its own; GB never asks it
    gb.estimators_[1, 0] = bad
    arr = gb.estimators_

    class P(pickle._Pickler):  # type: ignore[name-defined,misc]
        def save(self, obj: Any, save_persistent_id: bool = True) -> None:
            if obj is arr and id(obj) not in self.memo:
                rv = obj.__reduce_ex__(self.proto)
                self.save_reduce(rv[0], rv[1], obj=obj)  # _reconstruct(ndarray, (0,), b'b')
                items = list(rv[2][4])  # [stage 0, bad]
                self.items = items
                self.save((*rv[2][:4], items))  # (1, shape, dtype, False, items): items memoized
                self.write(pickle.BUILD)  # the array now holds stage 0 and bad
                if change:
                    self.save(items)
                    self.save(1)
                    self.save(good)
                    self.write(pickle.SETITEM + pickle.POP)  # the list says good; the array keeps bad
                return
            super().save(obj, save_persistent_id)

    f = io.BytesIO()
    P(f, protocol).dump(gb)
    return f.getvalue()


@pytest.mark.parametrize("change", [True, False], ids=["setitem-after-build", "control"])
@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_object_array_list_changed_after_build_is_unsafe(tmp_path: Path, protocol: int, change: bool) -> None:
    data = _array_list_changed(protocol, change)
    assert pickle.loads(data).estimators_[1, 0].tree_.n_features == FEATURE + 1
    path = tmp_path / "m.pkl"
    path.write_bytes(data)
    r = scan_file(path)
    assert r.verdict == "unsafe", (protocol, change, _msgs(r))
    assert any(f.id == "pickle.memory" and "n_features_in_ 3" in f.message for f in r.findings), _msgs(r)


# -- the proof: the real loader crashes -----------------------------------------------------------

def test_state_dict_changed_after_build_crashes_the_real_predict(tmp_path: Path) -> None:
    """The file 37t-2 builds (reported unsafe above) loads, and predict on X of the width the
    model states reads far past each row."""
    data, _ = _dict_changed_after_build(4, True)
    path = tmp_path / "m.pkl"
    path.write_bytes(data)
    code = ("import pickle,sys,numpy as np; m=pickle.load(open(sys.argv[1],'rb')); "
            "m.predict(np.random.RandomState(1).rand(8, m.n_features_in_).astype(np.float32))")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, timeout=120)
    assert proc.returncode != 0 and b"Traceback" not in proc.stderr, (proc.returncode, proc.stderr[-500:])
