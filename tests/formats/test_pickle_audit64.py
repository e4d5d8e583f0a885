"""Audit 64 (allowlisted native classes created without their constructor), A64-1: scikit-learn's
``MahalanobisDistance64/32`` made by its own pickle helper ``newObj(cls)`` (or NEWOBJ, copyreg)
and never given a state keeps the NULL ``buffer`` memoryview ``__cinit__`` leaves; the first
``pairwise()`` on 1-feature data writes through it (SIGSEGV). scikit-learn always writes the
state (``DistanceMetric.__reduce__``): one made and never BUILT is ``unsafe``."""

from __future__ import annotations

import pickle

import pytest

from mlbom.scanner import scan_bytes

_MODULE = b"sklearn.metrics._dist_metrics"


@pytest.mark.parametrize("bits", [b"64", b"32"])
def test_a_mahalanobis_metric_never_given_a_state_is_unsafe(bits: bytes) -> None:
    cls = b"c" + _MODULE + b"\nMahalanobisDistance" + bits + b"\n"
    for data in (b"\x80\x02c" + _MODULE + b"\nnewObj\n" + cls + b"\x85R.",  # scikit-learn's own helper
                 b"\x80\x02" + cls + b")\x81.",  # NEWOBJ
                 b"\x80\x02ccopyreg\n__newobj__\n" + cls + b"\x85R.",
                 b"\x80\x02}(X\x01\x00\x00\x00m" + cls + b")\x81u."):  # inside a dict
        r = scan_bytes(data, "metric.pkl")
        assert r.verdict == "unsafe", [f.message for f in r.findings]


def test_mahalanobis_metrics_scikit_learn_writes_stay_safe() -> None:
    pytest.importorskip("sklearn")
    np = pytest.importorskip("numpy")
    from sklearn.metrics import DistanceMetric

    for dtype in (np.float64, np.float32):
        metric = DistanceMetric.get_metric("mahalanobis", dtype=dtype, VI=np.eye(3))
        for protocol in (2, 5):
            r = scan_bytes(pickle.dumps(metric, protocol=protocol), "metric.pkl")
            assert r.verdict == "safe", [f.message for f in r.findings]


@pytest.mark.parametrize("shape", [(2000, 0), (400, 1), (3, 2)])
def test_a_mahalanobis_matrix_with_fewer_columns_than_rows_is_unsafe(shape: tuple[int, int]) -> None:
    # red team 66f-1: __setstate__ takes mat.shape[0] as the feature count and rdist reads mat[i, j] for
    # every i, j below it unchecked: a (n, 1) matrix is read far past its end
    pytest.importorskip("sklearn")
    np = pytest.importorskip("numpy")
    from sklearn.metrics._dist_metrics import MahalanobisDistance32, MahalanobisDistance64, newObj

    for cls in (MahalanobisDistance64, MahalanobisDistance32):
        class Forged:
            def __reduce__(self, cls: type = cls) -> object:  # what DistanceMetric.__reduce__ writes, this matrix
                return (newObj, (cls,), (2.0, np.zeros(1), np.zeros(shape)))

        for protocol in (2, 5):
            r = scan_bytes(pickle.dumps({"metric": Forged()}, protocol=protocol), "metric.pkl")
            assert r.verdict == "unsafe", [f.message for f in r.findings]
