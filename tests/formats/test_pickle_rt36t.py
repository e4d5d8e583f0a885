"""Red team 36t: scikit-learn estimators owning Trees, judged on what the loader ends up with.

34t-2's check (every Tree an estimator holds reads a feature below the estimator's
``n_features_in_``, the width its predict checks X against) ran once, at the estimator's own
BUILD. A stream may fill a Tree (36t-1), append a HistGradientBoosting predictor (36t-2) or set
``n_features_in_`` again (36t-6) after that BUILD: ``pickle.load`` accepts every such order, and
what predict uses is the end state. 36t-5: split records whose two children are one node (a
graph, not a tree) pass the "children after the parent" rule, and scikit-learn's recursive
walks over them (partial dependence) run exponentially long.

The files are real fitted models written by a pure-Python pickler that defers chosen objects'
state (or a list's items) to the end of the stream, as a hand-written stream may."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import pytest

from mlbom.formats import native_state
from mlbom.scanner import scan_file
from tests.helpers import fit_once

np = pytest.importorskip("numpy")
sklearn = pytest.importorskip("sklearn")
pytestmark = pytest.mark.sklearn  # the optional scikit-learn tier (.ci/run)

from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor  # noqa: E402
from sklearn.tree import DecisionTreeRegressor  # noqa: E402

PROTOCOLS = [2, 3, 4, 5]


class _Deferring(pickle._Pickler):  # type: ignore[name-defined,misc]
    """Writes each object of ``later`` where it first appears without its state (a list: empty)
    and BUILDs it (APPENDS its items) just before STOP; then applies ``extra`` (object, state)
    BUILDs. ``pickle.load`` reads the result as the same object graph."""

    def __init__(self, f: io.BytesIO, protocol: int, later: list[object],
                 extra: list[tuple[object, object]]) -> None:
        super().__init__(f, protocol)
        self.later = {id(o) for o in later}
        self.pending: list[tuple[object, object]] = []
        self.extra = extra
        self.keep: list[object] = []
        self.pending_built = True  # False: the deferred objects never get their state

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if isinstance(obj, pickle.PickleBuffer):
            # pickle.py's save_picklebuffer memoizes the bytes it copies without looking in the
            # memo first: two empty buffers (b"" is one object) trip its assertion
            with obj.raw() as m:
                data: bytes | bytearray = bytes(m) if m.readonly else bytearray(m)
            self.keep.append(data)
            super().save(data, save_persistent_id)
            return
        if id(obj) in self.later and id(obj) not in self.memo:
            if isinstance(obj, list):
                self.write(pickle.EMPTY_LIST)
                self.memoize(obj)
                self.pending.append((obj, list(obj)))
                return
            rv = obj.__reduce_ex__(self.proto)
            self.save_reduce(rv[0], rv[1], obj=obj)
            self.pending.append((obj, rv[2]))
            return
        super().save(obj, save_persistent_id)

    def dump(self, obj: Any) -> None:
        self.write(pickle.PROTO + bytes([self.proto]))
        if self.proto >= 4:
            self.framer.start_framing()
        self.save(obj)
        for target, state in (self.pending if self.pending_built else []) + self.extra:
            self.save(target)
            if isinstance(target, list):
                self.write(pickle.MARK)
                for item in state:  # type: ignore[attr-defined]
                    self.save(item)
                self.write(pickle.APPENDS)
            else:
                self.save(state)
                self.write(pickle.BUILD)
            self.write(pickle.POP)
        self.write(pickle.STOP)
        self.framer.end_framing()


def _dump(model: object, path: Path, protocol: int, later: list[object] = [],  # noqa: B006
          extra: list[tuple[object, object]] = []) -> Path:  # noqa: B006
    buf = io.BytesIO()
    _Deferring(buf, protocol, later, extra).dump(model)
    path.write_bytes(buf.getvalue())
    return path


@fit_once
def _tree(n_features: int = 4) -> DecisionTreeRegressor:
    rng = np.random.RandomState(0)
    X = rng.rand(200, n_features)
    return DecisionTreeRegressor(max_depth=5, random_state=0).fit(X, X[:, 0] * 3 + X[:, -1])


@fit_once
def _hgb() -> HistGradientBoostingRegressor:
    rng = np.random.RandomState(0)
    X = rng.rand(300, 4)
    return HistGradientBoostingRegressor(max_iter=4, random_state=0).fit(X, X[:, 0] * 3 + X[:, 3])


def _loads_same(path: Path, model: Any) -> None:
    """The deferred stream is what the model pickles to, in another order: pickle.load agrees."""
    got = pickle.loads(path.read_bytes())
    X = np.random.RandomState(1).rand(5, model.n_features_in_)
    assert np.allclose(got.predict(X), model.predict(X))


# -- the deferring pickler keeps real models real -----------------------------------------------

@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_deferred_real_models_stay_safe(tmp_path: Path, protocol: int) -> None:
    tree = _tree()
    forest = RandomForestRegressor(n_estimators=3, max_depth=4, random_state=0).fit(
        np.random.RandomState(0).rand(100, 4), np.arange(100.0))
    hgb = _hgb()
    cases: list[tuple[str, Any, list[object]]] = [
        ("tree", tree, [tree.tree_]), ("forest", forest, [e.tree_ for e in forest.estimators_]),
        ("forest-list", forest, [forest.estimators_]), ("hgb", hgb, [hgb._predictors]),
        ("hgb-predictor", hgb, [hgb._predictors[0][0]])]
    for name, model, later in cases:
        path = _dump(model, tmp_path / f"{name}.pkl", protocol, later)
        _loads_same(path, model)
        r = scan_file(path)
        assert r.verdict == "safe", (name, protocol, [f.message for f in r.findings])


# -- 36t-1: a Tree filled after its owner's BUILD ----------------------------------------------

@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_tree_filled_after_owner_is_judged(tmp_path: Path, protocol: int) -> None:
    m = _tree()
    assert m.tree_.feature.max() == 3
    m.n_features_in_ = 2  # predict checks X's width against 2; the Tree reads feature 3
    r = scan_file(_dump(m, tmp_path / "m.pkl", protocol, [m.tree_]))
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert any(f.id == "pickle.memory" and "n_features_in_ 2" in f.message for f in r.findings)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_forest_trees_filled_after_owner_are_judged(tmp_path: Path, protocol: int) -> None:
    rng = np.random.RandomState(0)
    X = rng.rand(100, 4)
    forest = RandomForestRegressor(n_estimators=3, max_depth=4, random_state=0).fit(X, X[:, 3])
    forest.n_features_in_ = 1
    for est in forest.estimators_:
        est.n_features_in_ = 4  # each tree's own width is sound; the forest checks X against 1
    path = _dump(forest, tmp_path / "m.pkl", protocol, [forest.estimators_])
    r = scan_file(path)
    assert r.verdict == "unsafe", [f.message for f in r.findings]


def test_tree_never_filled_is_not_safe(tmp_path: Path) -> None:
    """A Tree with no state: its nodes pointer is NULL and predict dereferences it (``unsafe``
    since red team 44t-2: a Tree made and never BUILT is judged wherever it is)."""
    m = _tree()
    buf = io.BytesIO()
    p = _Deferring(buf, 4, [m.tree_], [])
    p.pending_built = False
    p.dump(m)
    path = tmp_path / "m.pkl"
    path.write_bytes(buf.getvalue())
    assert pickle.loads(path.read_bytes()).tree_.node_count == 0
    r = scan_file(path)
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert any("never given a state" in f.message for f in r.findings)


# -- 36t-2: a HistGradientBoosting predictor appended after the owner's BUILD --------------------

@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("defer", ["outer-list", "inner-list", "predictor"])
def test_predictor_appended_after_owner_is_judged(tmp_path: Path, protocol: int, defer: str) -> None:
    m = _hgb()
    bad = m._predictors[-1][0]
    bad.nodes["feature_idx"][bad.nodes["is_leaf"] == 0] = m.n_features_in_
    later: list[object] = {"outer-list": [m._predictors], "inner-list": [m._predictors[-1]],
                           "predictor": [bad]}[defer]
    r = scan_file(_dump(m, tmp_path / "m.pkl", protocol, later))
    assert r.verdict == "unsafe", (defer, [f.message for f in r.findings])


# -- 36t-6: n_features_in_ set again by a second state update ----------------------------------

@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("kind", ["tree", "hgb"])
def test_width_set_again_is_judged(tmp_path: Path, protocol: int, kind: str) -> None:
    m: Any = _tree() if kind == "tree" else _hgb()
    path = _dump(m, tmp_path / "m.pkl", protocol, [], [(m, {"n_features_in_": 1, "_sklearn_version": sklearn.__version__})])
    assert pickle.loads(path.read_bytes()).n_features_in_ == 1
    r = scan_file(path)
    assert r.verdict == "unsafe", [f.message for f in r.findings]


@pytest.mark.parametrize("protocol", [2, 4])
def test_width_set_again_to_a_non_int_is_suspicious(tmp_path: Path, protocol: int) -> None:
    m = _tree()
    r = scan_file(_dump(m, tmp_path / "m.pkl", protocol, [], [(m, {"n_features_in_": "4", "_sklearn_version": sklearn.__version__})]))
    assert r.verdict == "suspicious", [f.message for f in r.findings]


@pytest.mark.parametrize("protocol", [2, 4])
def test_width_set_again_to_the_same_is_safe(tmp_path: Path, protocol: int) -> None:
    m = _tree()
    r = scan_file(_dump(m, tmp_path / "m.pkl", protocol, [], [(m, {"n_features_in_": 4, "_sklearn_version": sklearn.__version__})]))
    assert r.verdict == "safe", [f.message for f in r.findings]


# -- 36t-5: a node two splits name -------------------------------------------------------------

def _shared_child_tree(m: DecisionTreeRegressor) -> None:
    st = m.tree_.__getstate__()
    nodes = st["nodes"]
    inner = np.flatnonzero(nodes["left_child"] != -1)
    i = int(inner[0])
    nodes["right_child"][i] = nodes["left_child"][i]  # both sides of the root: one node
    m.tree_.__setstate__(st)


def _shared_child_predictor(m: HistGradientBoostingRegressor) -> None:
    n = m._predictors[0][0].nodes
    i = int(np.flatnonzero(n["is_leaf"] == 0)[0])
    n["right"][i] = n["left"][i]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("kind", ["tree", "hgb"])
def test_node_with_two_parents_is_unsafe(tmp_path: Path, protocol: int, kind: str) -> None:
    m: Any = _tree() if kind == "tree" else _hgb()
    (_shared_child_tree if kind == "tree" else _shared_child_predictor)(m)
    r = scan_file(_dump(m, tmp_path / "m.pkl", protocol))
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert any("graph, not a tree" in f.message for f in r.findings)


def test_scan_rejects_a_diamond_and_keeps_a_tree() -> None:
    rec = np.zeros(5, dtype=[("l", "<i8"), ("r", "<i8"), ("f", "<i8"), ("pad", "V40")])
    rec["l"] = [1, 3, 3, -1, -1]  # node 3 is under 1 and under 2
    rec["r"] = [2, 4, 4, -1, -1]
    scan = native_state.NodeScan()
    scan.feed(rec.tobytes())
    assert scan.problem is not None and "graph, not a tree" in scan.problem
    pred = np.zeros(3, dtype=[("pad", "V29"), ("left", "<u4"), ("right", "<u4"), ("rest", "V19")])
    pred["left"] = [1, 0, 0]
    pred["right"] = [2, 0, 0]
    raw = bytearray(pred.tobytes())
    for i in (1, 2):
        raw[i * native_state.PREDICTOR_ITEMSIZE + 49] = 1  # is_leaf
    ps = native_state.PredictorScan()
    ps.feed(bytes(raw))
    ps.finish()
    assert ps.problem is None and native_state.predictor_problem(ps, {}) is None
    pred["right"][0] = 1
    raw = bytearray(pred.tobytes())
    for i in (1, 2):
        raw[i * native_state.PREDICTOR_ITEMSIZE + 49] = 1
    ps = native_state.PredictorScan()
    ps.feed(bytes(raw))
    assert ps.problem is not None and "graph, not a tree" in ps.problem


# -- 36t-3/36t-4: HistGradientBoosting's categorical path -----------------------------------------

@fit_once
def _categorical(frame: bool = False) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier
    rng = np.random.RandomState(0)
    X = np.c_[rng.randint(0, 6, 400), rng.rand(400), rng.randint(0, 3, 400)].astype(float)
    y = (X[:, 0] % 3 + (X[:, 1] > .5)).astype(int)
    if frame:
        pd = pytest.importorskip("pandas")
        df = pd.DataFrame({"a": pd.Categorical(X[:, 0].astype(int)), "b": X[:, 1],
                           "c": pd.Categorical(X[:, 2].astype(int))})
        return HistGradientBoostingClassifier(max_iter=4, random_state=0).fit(df, y)
    return HistGradientBoostingClassifier(max_iter=4, random_state=0, categorical_features=[0, 2]).fit(X, y)


def _cat_splits(m: Any) -> list[Any]:
    return [p.nodes for preds in m._predictors for p in preds]


HOWS = ["p2", "p4", "p5", "joblib", "joblib-z"]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("frame", [False, True])
def test_real_categorical_hgb_is_safe(tmp_path: Path, how: str, frame: bool) -> None:
    from tests.helpers import dump_model
    m = _categorical(frame)
    assert m._preprocessor is not None
    assert any(n["is_categorical"].any() for n in _cat_splits(m))
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "safe", (how, frame, [f.message for f in r.findings])


def _narrow_preprocessor(m: Any) -> None:
    """The numerical part dropped: the ColumnTransformer hands the predictors 2 columns, and they
    read feature 2 (sklearn checks X against the ColumnTransformer's input width, 3)."""
    ct = m._preprocessor
    name, _, cols = ct.transformers_[1]
    ct.transformers_[1] = (name, "drop", cols)


def _short_categorical_flags(m: Any) -> None:
    m._bin_mapper.is_categorical_ = m._bin_mapper.is_categorical_[:1].copy()  # f_idx_map of 1 entry


def _no_categorical_flags(m: Any) -> None:
    m._bin_mapper.is_categorical_ = np.zeros_like(m._bin_mapper.is_categorical_)  # known bitsets: 0 rows


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("edit", ["narrow-preprocessor", "short-flags", "no-flags"])
def test_categorical_maps_past_their_arrays_are_unsafe(tmp_path: Path, how: str, edit: str) -> None:
    from tests.helpers import dump_model
    m = _categorical()
    assert max(int(n["feature_idx"][(n["is_leaf"] == 0) & (n["is_categorical"] == 1)].max(initial=-1))
               for n in _cat_splits(m)) >= 1
    {"narrow-preprocessor": _narrow_preprocessor, "short-flags": _short_categorical_flags,
     "no-flags": _no_categorical_flags}[edit](m)
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", (edit, how, [f.message for f in r.findings])


@pytest.mark.parametrize("how", ["p4", "joblib"])
def test_unmodelled_preprocessor_is_suspicious(tmp_path: Path, how: str) -> None:
    from sklearn.preprocessing import StandardScaler

    from tests.helpers import dump_model
    m = _categorical()
    name, _, cols = m._preprocessor.transformers_[1]
    m._preprocessor.transformers_[1] = (name, StandardScaler(), cols)
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "suspicious", [f.message for f in r.findings]
