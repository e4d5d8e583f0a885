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


@pytest.mark.parametrize("func", [np.median, np.nanmedian, np.max])
def test_a_numpy_reduction_stored_as_a_hyperparameter_is_safe(func: object) -> None:
    """51b-9: FeatureAgglomeration(pooling_func=np.median), SimpleImputer(strategy=np.nanmedian)."""
    from sklearn.cluster import FeatureAgglomeration

    model = FeatureAgglomeration(n_clusters=2, pooling_func=func).fit(X)
    r = scan_bytes(_joblib(model), "model.joblib")
    assert r.verdict == "safe", [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"]


def test_a_reduction_called_at_load_is_not_safe() -> None:
    """Reference-only: calling one at load (a REDUCE of it) is still judged."""
    data = b"\x80\x02cnumpy\nmedian\nq\x00]q\x01K\x01a\x85q\x02Rq\x03."
    assert scan_bytes(data, "x.pkl").verdict != "safe"


def test_a_tzinfo_subclass_at_protocol_0_is_safe() -> None:
    """51b-12: copyreg._reconstructor(tz, datetime.tzinfo, None), what protocol 0/1 writes for a tzinfo
    subclass (dateutil's tzlocal through pandas.to_pickle(protocol=0))."""
    import datetime

    r = scan_bytes(pickle.dumps(datetime.timezone.utc, protocol=0) + b"", "tz.pkl")
    assert r.verdict == "safe"
    data = b"ccopy_reg\n_reconstructor\np0\n(cdatetime\ntzinfo\np1\ng1\nNtp2\nRp3\n."
    r = scan_bytes(data, "tz.pkl")
    assert r.verdict == "safe", [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"]


def test_a_stringdtype_array_through_joblib_is_safe() -> None:
    """51b-3: numpy 2's StringDType is pickled as _convert_to_stringdtype_kwargs(...); joblib writes such an
    array whole as a nested pickle (hasobject). It was ``error`` ("a dtype mlbom cannot size"), then the
    plain pickle.load reading's PROTO 5 after PROTO 4 was a differential, though both protocols resolve
    names alike."""
    if not hasattr(np, "dtypes") or not hasattr(np.dtypes, "StringDType"):
        pytest.skip("numpy without StringDType")
    a = np.array(["a", "bb", None], dtype=np.dtypes.StringDType(na_object=None))
    for obj in (a, {"x": a}):
        r = scan_bytes(_joblib(obj), "s.joblib")
        assert r.verdict == "safe", [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"]


@pytest.mark.parametrize(("first", "then", "noted"), [(4, 5, False), (2, 3, True), (3, 4, True), (0, 2, False)])
def test_a_mid_stream_proto_is_noted_only_where_names_resolve_otherwise(first: int, then: int, noted: bool) -> None:
    data = bytes([0x80, first]) + b"N0" + bytes([0x80, then]) + b"N."
    ids = {f.id for f in scan_bytes(data, "x.pkl").findings}
    assert ("pickle.differential" in ids) is noted, ids


def test_an_n_dimensional_coo_array_is_safe_and_its_coordinates_checked() -> None:
    """51b-8: scipy >= 1.15 makes n-D COO arrays; their shape was "not one or two ints". Each coordinate
    array is still checked against its dimension."""
    sparse = pytest.importorskip("scipy.sparse")
    try:
        a = sparse.coo_array((np.array([1.0, 2.0]), (np.array([0, 1]), np.array([1, 2]), np.array([2, 0]))),
                             shape=(2, 3, 4))
    except (TypeError, ValueError):
        pytest.skip("this scipy makes no n-D COO arrays")
    r = scan_bytes(pickle.dumps(a), "a.pkl")
    assert r.verdict == "safe", [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"]
    a.coords = (a.coords[0], a.coords[1], np.array([2, 9]))  # past the last dimension (4)
    assert scan_bytes(pickle.dumps(a), "a.pkl").verdict != "safe"


def test_a_frozen_estimator_is_safe() -> None:
    frozen_mod = pytest.importorskip("sklearn.frozen")
    frozen = frozen_mod.FrozenEstimator(LogisticRegression().fit(X, Y))
    calibrated = CalibratedClassifierCV(frozen).fit(X, Y)
    for obj in (frozen, calibrated):
        for data in (_joblib(obj), pickle.dumps(obj, protocol=2)):
            r = scan_bytes(data, "frozen.joblib")
            assert r.verdict == "safe", [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"]


def test_a_frozen_estimator_holding_a_denied_callable_is_unsafe() -> None:
    frozen_mod = pytest.importorskip("sklearn.frozen")
    frozen = frozen_mod.FrozenEstimator(LogisticRegression().fit(X, Y))
    frozen.estimator = os.system  # type: ignore[assignment]
    assert scan_bytes(pickle.dumps(frozen), "frozen.pkl").verdict == "unsafe"
