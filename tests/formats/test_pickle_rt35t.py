"""Red team 34t-3 (fix35t): HistGradientBoosting's ``TreePredictor`` node records.

``_predictor.pyx`` (bounds checks off) walks ``nodes`` from record 0 following ``left``/``right``,
reads ``X[row, feature_idx]`` and, for a categorical split, row ``bitset_idx`` of the predictor's
bitsets. A pickle whose records point outside the arrays loads cleanly and reads out of bounds
on the first ``predict()``. The files are built with scikit-learn itself (real fitted models,
nodes edited in place)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlbom.formats import native_state
from mlbom.scanner import scan_file
from tests.helpers import dump_model, fit_once

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.sklearn  # the optional scikit-learn tier (.ci/run)
joblib = pytest.importorskip("joblib")

from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor  # noqa: E402

HOWS = ["p2", "p3", "p4", "p5", "joblib", "joblib-z"]


_dump = dump_model


@fit_once
def _regressor(**kw: Any) -> HistGradientBoostingRegressor:
    rng = np.random.RandomState(0)
    X = rng.rand(300, 4)
    return HistGradientBoostingRegressor(max_iter=5, random_state=0, **kw).fit(X, X[:, 0] * 3 + rng.rand(300))


@fit_once
def _categorical() -> HistGradientBoostingClassifier:
    rng = np.random.RandomState(0)
    X = np.c_[rng.randint(0, 6, 400), rng.rand(400), rng.randint(0, 3, 400)].astype(float)
    y = (X[:, 0] % 3 + (X[:, 1] > .5)).astype(int)  # three classes
    return HistGradientBoostingClassifier(max_iter=5, random_state=0, categorical_features=[0, 2]).fit(X, y)


def _splits(m: Any) -> list[Any]:
    return [p.nodes for preds in m._predictors for p in preds]


def test_predictor_layout_matches_sklearn() -> None:
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE as D
    assert D.itemsize == native_state.PREDICTOR_ITEMSIZE
    assert [(n, D.fields[n][0].str, D.fields[n][1]) for n in D.names] == list(native_state.PREDICTOR_FIELDS)


# -- benign: real models stay safe ----------------------------------------------------------------

@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", ["regressor", "early-stopping", "categorical-multiclass"])
def test_real_hgb_is_safe(tmp_path: Path, how: str, kind: str) -> None:
    m = _categorical() if kind == "categorical-multiclass" else \
        _regressor(early_stopping=True, validation_fraction=.2, n_iter_no_change=2) if kind == "early-stopping" \
        else _regressor()
    if kind == "categorical-multiclass":
        assert any(n["is_categorical"].any() for n in _splits(m))
    r = scan_file(_dump(m, tmp_path / "m.pkl", how))
    assert r.verdict == "safe", (kind, how, [f.message for f in r.findings])


# -- 34t-3: node indices no scikit-learn writes -----------------------------------------------------

def _children_past_end(m: Any) -> None:
    for n in _splits(m):
        inner = n["is_leaf"] == 0
        n["left"][inner] = 10**9
        n["right"][inner] = 10**9


def _child_backwards(m: Any) -> None:
    n = _splits(m)[0]
    i = int(np.flatnonzero(n["is_leaf"] == 0)[-1])
    n["right"][i] = 0  # a cycle back to the root: predict never returns


def _feature_past_width(m: Any) -> None:
    for n in _splits(m):
        n["feature_idx"][n["is_leaf"] == 0] = m.n_features_in_  # X is checked against n_features_in_


def _bitset_past_end(m: Any) -> None:
    for n in _splits(m):
        n["bitset_idx"][n["is_categorical"] == 1] = 10**6


def _no_nodes(m: Any) -> None:
    p = m._predictors[0][0]
    p.nodes = p.nodes[:0]


EDITS = {"children-past-end": _children_past_end, "child-backwards": _child_backwards,
         "feature-past-width": _feature_past_width, "bitset-past-end": _bitset_past_end, "no-nodes": _no_nodes}


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_bad_predictor_nodes_are_unsafe(tmp_path: Path, how: str, edit: str) -> None:
    m = _categorical() if edit == "bitset-past-end" else _regressor()
    EDITS[edit](m)
    r = scan_file(_dump(m, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", (edit, how, [f.message for f in r.findings])
    assert any(f.id == "pickle.memory" for f in r.findings)


def test_unreadable_nodes_are_suspicious(tmp_path: Path) -> None:
    m = _regressor()
    p = m._predictors[0][0]
    p.nodes = np.asfortranarray(np.stack([p.nodes, p.nodes], axis=1))  # not the 1-D record array
    r = scan_file(_dump(m, tmp_path / "m.pkl", "p4"))
    assert r.verdict == "suspicious", [f.message for f in r.findings]


def test_children_past_end_crash_the_real_predict(tmp_path: Path) -> None:
    """The proof: the real loader and predict() on the file reported unsafe."""
    m = _regressor()
    _children_past_end(m)
    path = _dump(m, tmp_path / "m.pkl", "p4")
    code = "import pickle,sys,numpy as np; m=pickle.load(open(sys.argv[1],'rb')); m.predict(np.random.rand(50,4))"
    rc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, timeout=120).returncode
    assert rc != 0
