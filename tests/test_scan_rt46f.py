"""Red team 46f: real files from scikit-learn, joblib and scipy that mlbom did not call safe.

46f-1: the metric functions the built-in scorers name (``GridSearchCV(scoring="f1")``) were not
on the allowlist. 46f-2: ``make_column_selector`` and numpy's abstract scalar types
(``dtype_include=np.number``). 46f-3: ``joblib.dump`` of a ``numpy.memmap`` stores the class in
the array wrapper's state (``subclass``), which joblib only compares: the denied global is
judged on its use. 46f-5: an object of a class mlbom does not know holding a function it does
not know (scipy's ``interp1d._call``) was ``unsafe``; both are unlisted: ``suspicious``.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import pytest

from mlbom.scanner import scan_bytes, scan_file

np = pytest.importorskip("numpy")


def _msgs(r: Any) -> list[str]:
    return [f"{f.id}: {f.message}" for f in r.findings]


@pytest.mark.sklearn
def test_46f_1_every_builtin_scorer_is_safe(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    pytest.importorskip("sklearn")
    from sklearn.metrics import get_scorer, get_scorer_names

    for name in get_scorer_names():
        path = tmp_path / f"{name}.joblib"
        joblib.dump(get_scorer(name), path)
        r = scan_file(path)
        assert r.verdict == "safe", (name, _msgs(r))


@pytest.mark.sklearn
def test_46f_2_column_selectors_are_safe(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("sklearn")
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["x", "y", "x", "y"]})
    pipe = make_pipeline(make_column_transformer((StandardScaler(), make_column_selector(dtype_include=np.number)),
                                                 (OneHotEncoder(), make_column_selector(dtype_include=object))),
                         LogisticRegression()).fit(df, [0, 1, 0, 1])
    path = tmp_path / "pipe.joblib"
    joblib.dump(pipe, path)
    r = scan_file(path)
    assert r.verdict == "safe", _msgs(r)


def test_46f_3_a_joblib_memmap_dump_is_safe(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    mm = np.memmap(tmp_path / "data.bin", dtype=np.float32, mode="w+", shape=(4, 3))
    mm[:] = 1.5
    for name, obj, compress in (("bare", mm, 0), ("dict", {"w": mm, "v": mm[:2]}, 3)):
        path = tmp_path / f"{name}.joblib"
        joblib.dump(obj, path, compress=compress)
        r = scan_file(path)
        assert r.verdict == "safe", (name, _msgs(r))


def test_46f_3_memmap_anywhere_else_is_still_unsafe() -> None:
    # stored in a plain dict (not a joblib wrapper's state): nothing consumes the landing
    data = pickle.dumps({"subclass": np.memmap}, protocol=4)
    assert scan_bytes(data, "m.pkl").verdict == "unsafe"
    # called: np.memmap("/etc/passwd") opens a file by name
    call = b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x05numpy\x8c\x06memmap\x93\x8c\x0b/etc/passwd\x85R."
    r = scan_bytes(call, "m.pkl")
    assert r.verdict == "unsafe", _msgs(r)


def test_46f_5_an_unknown_class_holding_an_unknown_function_is_suspicious() -> None:
    scipy = pytest.importorskip("scipy.interpolate")
    f = scipy.interp1d([0.0, 1.0, 2.0], [0.0, 1.0, 4.0])
    r = scan_bytes(pickle.dumps(f, protocol=4), "interp.pkl")
    assert r.verdict == "suspicious", _msgs(r)
    buf = io.BytesIO()
    pickle.dump(f, buf, protocol=2)
    assert scan_bytes(buf.getvalue(), "interp2.pkl").verdict == "suspicious"
