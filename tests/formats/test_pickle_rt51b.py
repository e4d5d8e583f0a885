"""Red team 51b: false positives on files scikit-learn writes in everyday use.

51b-1: a search with ``cv=RepeatedStratifiedKFold(...)``/``RepeatedKFold(...)`` was ``unsafe`` (its ``cv``
attribute holds the ``StratifiedKFold`` class, and the holder was not allowlisted), and eleven more
splitters were ``suspicious`` (unlisted): every concrete splitter of ``sklearn.model_selection._split``
is a plain ``__dict__`` object (no state hooks, checked on scikit-learn 1.9) and is now allowlisted.
51b-5: ``CalibratedClassifierCV(method="temperature")``'s ``_TemperatureScaling`` likewise. An
allowlisted splitter whose state holds a denied callable is still ``unsafe``."""

from __future__ import annotations

import io
import os
import pickle

import pytest

from mlbom.scanner import scan_bytes

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
joblib = pytest.importorskip("joblib")

from sklearn import model_selection as ms  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

X = np.random.RandomState(0).rand(24, 3)
Y = np.arange(24) % 2
GROUPS = (np.arange(24) // 2) % 4  # (each group holds both classes)

SPLITTERS = [ms.KFold(3), ms.StratifiedKFold(3), ms.RepeatedKFold(n_splits=2, n_repeats=2, random_state=0),
             ms.RepeatedStratifiedKFold(n_splits=2, n_repeats=2, random_state=0), ms.TimeSeriesSplit(3),
             ms.GroupKFold(2), ms.StratifiedGroupKFold(2), ms.ShuffleSplit(2, random_state=0),
             ms.StratifiedShuffleSplit(2, random_state=0), ms.GroupShuffleSplit(2, random_state=0),
             ms.LeaveOneGroupOut(), ms.LeavePGroupsOut(2), ms.PredefinedSplit(np.arange(24) % 3),
             ms.LeaveOneOut(), ms.LeavePOut(2)]


def _joblib(obj: object) -> bytes:
    buf = io.BytesIO()
    joblib.dump(obj, buf)
    return buf.getvalue()


@pytest.mark.parametrize("cv", SPLITTERS, ids=lambda c: type(c).__name__)
def test_a_search_with_any_splitter_is_safe(cv: object) -> None:
    search = ms.GridSearchCV(LogisticRegression(), {"C": [0.5, 1.0]}, cv=cv)
    if isinstance(cv, (ms.LeaveOneOut, ms.LeavePOut)):
        obj: object = cv  # (too many folds to fit here: the splitter itself)
    else:
        search.fit(X, Y, groups=GROUPS)
        obj = search
    for data in (_joblib(obj), pickle.dumps(obj)):
        r = scan_bytes(data, "search.joblib")
        assert r.verdict == "safe", [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"]


def test_temperature_calibration_is_safe() -> None:
    model = CalibratedClassifierCV(LogisticRegression(), method="temperature", cv=2).fit(X, Y)
    r = scan_bytes(_joblib(model), "model.joblib")
    assert r.verdict == "safe", [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"]


def test_a_splitter_holding_a_denied_callable_is_unsafe() -> None:
    cv = ms.RepeatedKFold(n_splits=2, n_repeats=2)
    cv.cv = os.system
    assert scan_bytes(pickle.dumps(cv), "cv.pkl").verdict == "unsafe"
