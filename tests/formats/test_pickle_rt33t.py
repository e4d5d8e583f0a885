"""Red team 33p-4: scikit-learn ``Tree`` node indices no scikit-learn writes.

``Tree.__setstate__`` checks the node array's dtype, shape and contiguity, not the child and
feature indices that ``predict`` follows without a bound check: a model that loads cleanly
reads out of bounds on first use. mlbom checks the records (:mod:`mlbom.formats.native_state`)
whether the bytes are kept, read back by offset, or streamed past (joblib, compressed joblib).
The attack files are built with scikit-learn itself, as the red team's proof does."""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlbom.formats import native_state
from mlbom.scanner import scan_file
from tests.helpers import dump_model

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.sklearn  # the optional scikit-learn tier (.ci/run)
joblib = pytest.importorskip("joblib")

from sklearn.ensemble import (  # noqa: E402
    GradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402


def _tree_model(edit: str) -> object:
    X = np.random.RandomState(0).rand(40, 3)
    m = DecisionTreeRegressor(max_depth=2).fit(X, X[:, 0])
    st = m.tree_.__getstate__()
    nodes = st["nodes"].copy()
    if edit == "child":  # the red team's proof: a child far past the 3..7 nodes
        nodes["left_child"][0] = nodes["right_child"][0] = 10**9
        nodes["threshold"][0] = 2.0
    elif edit == "negative":
        nodes["right_child"][0] = -5
    elif edit == "cycle":  # predict would loop forever
        nodes["left_child"][1] = 0
    elif edit == "feature":  # X[i, feature] read past the row
        nodes["feature"][0] = 7
    elif edit == "leaf":  # a leaf whose right child is set
        leaf = int(np.flatnonzero(nodes["left_child"] == -1)[0])
        nodes["right_child"][leaf] = 1
    st["nodes"] = nodes
    m.tree_.__setstate__(st)
    return m


_dump = dump_model


HOWS = ["p2", "p4", "p5", "joblib", "joblib-z"]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("edit", ["child", "negative", "cycle", "feature", "leaf"])
def test_bad_tree_indices_are_unsafe(tmp_path: Path, edit: str, how: str) -> None:
    r = scan_file(_dump(_tree_model(edit), tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", (edit, how, [f.message for f in r.findings])
    assert any(f.id == "pickle.memory" and "Tree state" in f.message for f in r.findings)


def test_node_count_past_records_is_unsafe(tmp_path: Path) -> None:
    X = np.random.RandomState(0).rand(40, 3)
    m = DecisionTreeRegressor(max_depth=2).fit(X, X[:, 0])
    data = pickle.dumps(m, protocol=4)
    n = m.tree_.node_count
    # the state dict's node_count (BININT1 n) is followed by the nodes key: make it n + 50
    old = b"node_count\x94K" + bytes([n])
    assert data.count(old) == 1
    p = tmp_path / "m.pkl"
    p.write_bytes(data.replace(old, b"node_count\x94K" + bytes([n + 50])))
    r = scan_file(p)
    assert r.verdict == "unsafe", [f.message for f in r.findings]


@pytest.mark.parametrize("how", HOWS)
def test_real_trees_stay_safe(tmp_path: Path, how: str) -> None:
    X = np.random.RandomState(1).rand(200, 4)
    y = (X[:, 0] > 0.5).astype(int)
    models = [DecisionTreeRegressor().fit(X, X[:, 1]), DecisionTreeClassifier().fit(X, y),
              RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y),
              GradientBoostingClassifier(n_estimators=5).fit(X, y),
              HistGradientBoostingRegressor(max_iter=5).fit(X, X[:, 1])]
    for i, m in enumerate(models):
        r = scan_file(_dump(m, tmp_path / f"m{i}.pkl", how))
        assert r.verdict == "safe", (type(m).__name__, how, [f.message for f in r.findings])


def test_large_forest_safe_and_fast(tmp_path: Path) -> None:
    """100 trees of depth 20: node arrays beyond what mlbom keeps are read back by offset."""
    X = np.random.RandomState(2).rand(3000, 8)
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    m = RandomForestClassifier(n_estimators=100, max_depth=20, random_state=0, n_jobs=1).fit(X, y)
    for how in ("p4", "joblib"):
        p = _dump(m, tmp_path / f"rf.{how}", how)
        t = time.monotonic()
        r = scan_file(p)
        assert r.verdict == "safe", [f.message for f in r.findings]
        assert time.monotonic() - t < 30


def test_streamed_node_bytes_are_read_back(tmp_path: Path) -> None:
    """A node array over the 1 MiB kept-bytes bound is read back by offset (plain pickle)."""
    X = np.random.RandomState(3).rand(40000, 4)
    m = DecisionTreeRegressor(random_state=0).fit(X, X[:, 0] * X[:, 1])
    assert m.tree_.node_count * native_state.NODE_ITEMSIZE > 1 << 20
    r = scan_file(_dump(m, tmp_path / "big.pkl", "p4"))
    assert r.verdict == "safe", [f.message for f in r.findings]
    st = m.tree_.__getstate__()
    st["nodes"] = st["nodes"].copy()
    st["nodes"]["left_child"][-1] = 0  # the last node: a leaf made internal, pointing back
    st["nodes"]["right_child"][-1] = 0
    m.tree_.__setstate__(st)
    r = scan_file(_dump(m, tmp_path / "bad.pkl", "p4"))
    assert r.verdict == "unsafe", [f.message for f in r.findings]


def test_other_node_layout_cannot_be_checked(tmp_path: Path) -> None:
    """A node dtype scikit-learn accepts by casting (big-endian) is not read: suspicious."""
    X = np.random.RandomState(0).rand(40, 3)
    m = DecisionTreeRegressor(max_depth=2).fit(X, X[:, 0])
    st = m.tree_.__getstate__()
    st["nodes"] = st["nodes"].astype(st["nodes"].dtype.newbyteorder(">"))
    state = (type(m.tree_), (3, np.array([1], dtype=np.intp), 1), st)

    class Holder:
        def __reduce__(self) -> tuple[object, ...]:
            return state

    p = tmp_path / "be.pkl"
    p.write_bytes(pickle.dumps(Holder(), protocol=4))
    r = scan_file(p)
    assert r.verdict == "suspicious", [f.message for f in r.findings]


def test_scan_any_chunking() -> None:
    rec = np.zeros(5, dtype=[("l", "<i8"), ("r", "<i8"), ("f", "<i8"), ("pad", "V40")])
    rec["l"] = [1, 3, -1, -1, -1]
    rec["r"] = [2, 4, -1, -1, -1]
    rec["f"] = [0, 2, -2, -2, -2]
    raw = rec.tobytes()
    for step in (1, 7, 64, 100, len(raw)):
        scan = native_state.NodeScan()
        for i in range(0, len(raw), step):
            scan.feed(raw[i:i + step])
        scan.finish()
        assert scan.count == 5 and native_state.tree_problem(scan, 5, 3, 2) is None and scan.depth == 2
        assert native_state.tree_problem(scan, 5, 2, 2) is not None
        assert native_state.tree_problem(scan, 6, 3, 2) is not None
    scan = native_state.NodeScan()
    scan.feed(raw[:-1])
    scan.finish()
    assert scan.problem is not None


def test_real_loader_reads_out_of_bounds(tmp_path: Path) -> None:
    """Proof: the real loader loads the red team's tree; the first predict() crashes."""
    p = _dump(_tree_model("child"), tmp_path / "m.pkl", "p4")
    code = ("import pickle, numpy as np; m = pickle.load(open(sys.argv[1], 'rb')); print('loaded', flush=True); "
            "m.predict(np.zeros((1, 3)))")
    res = subprocess.run([sys.executable, "-c", "import sys; " + code, str(p)], capture_output=True, timeout=120,
                         check=False)
    assert b"loaded" in res.stdout
    assert res.returncode != 0


def _old_layout_tree(tmp_path: Path, bad: bool) -> Path:
    """A Tree state with scikit-learn 0.x–1.2's 56-byte node layout (no ``missing_go_to_left``),
    as those versions pickle it."""
    X = np.random.RandomState(0).rand(40, 3)
    m = DecisionTreeRegressor(max_depth=3).fit(X, X[:, 0])
    cls, args, st = m.tree_.__reduce__()
    nodes = st["nodes"]
    names = list(nodes.dtype.names[:7])
    old = np.dtype({"names": names, "formats": [nodes.dtype.fields[n][0] for n in names],
                    "offsets": [nodes.dtype.fields[n][1] for n in names], "itemsize": 56})
    rec = np.zeros(len(nodes), old)
    for n in names:
        rec[n] = nodes[n]
    if bad:
        rec["left_child"][0] = 10**9
    state = (cls, args, dict(st, nodes=rec))

    class Holder:
        def __reduce__(self) -> tuple[object, ...]:
            return state

    p = tmp_path / ("bad.pkl" if bad else "old.pkl")
    p.write_bytes(pickle.dumps(Holder(), protocol=4))
    return p


def test_pre_1_3_node_layout_is_checked(tmp_path: Path) -> None:
    """Files written before ``missing_go_to_left`` (scikit-learn < 1.3) are read, not `suspicious`."""
    r = scan_file(_old_layout_tree(tmp_path, bad=False))
    assert r.verdict == "safe", [f.message for f in r.findings]
    r = scan_file(_old_layout_tree(tmp_path, bad=True))
    assert r.verdict == "unsafe", [f.message for f in r.findings]
