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

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
joblib = pytest.importorskip("joblib")

from sklearn.tree import DecisionTreeRegressor  # noqa: E402

HOWS = ["p2", "p4", "p5", "joblib", "joblib-z"]


def _fitted(depth: int = 6, n_features: int = 4) -> DecisionTreeRegressor:
    rng = np.random.RandomState(0)
    X = rng.rand(200, n_features)
    return DecisionTreeRegressor(max_depth=depth, random_state=0).fit(X, X[:, 0] * 3 + X[:, -1])


def _dump(m: object, path: Path, how: str) -> Path:
    if how.startswith("p"):
        with path.open("wb") as f:
            pickle.dump(m, f, protocol=int(how[1:]))
    else:
        joblib.dump(m, path, compress=3 if how == "joblib-z" else 0)
    return path


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


def test_depth_of_a_dag_is_the_deepest_path() -> None:
    rec = np.zeros(6, dtype=[("l", "<i8"), ("r", "<i8"), ("f", "<i8"), ("pad", "V40")])
    rec["l"] = [1, 3, 3, 4, -1, -1]  # node 3 under 1 (depth 2) and under 2 (depth 2); 4 at depth 3
    rec["r"] = [2, 5, 5, 5, -1, -1]
    scan = native_state.NodeScan()
    scan.feed(rec.tobytes())
    scan.finish()
    assert scan.problem is None and scan.depth == 3 and scan.depths is None
    assert native_state.tree_problem(scan, 6, 1, 3) is None
    assert native_state.tree_problem(scan, 6, 1, 2) is not None
    assert native_state.tree_problem(scan, 6, 1, 3.0) is not None


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
