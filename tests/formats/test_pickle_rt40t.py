"""Red team 40t: sparse formats scipy converts natively, and big protocol-2 arrays.

40t-1: a LIL matrix whose ``data`` lists are longer than its ``rows`` lists: ``tocsr()`` (run by
every scikit-learn ``check_array`` of it) sizes its output by ``rows`` and copies ``data`` into it
with bounds checks off. 40t-2: a DIA matrix with more stored diagonals than offsets, or an offset
outside the shape (an int64 offset wraps to 0 in the int32 cast): ``dia_tocsr`` writes past its
arrays. 40t-3 (false positive): arrays over 1 MiB in a protocol-2 pickle (``_codecs.encode`` of
UTF-8 text) were not read back, so real big models were ``suspicious``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlbom.scanner import scan_file
from tests.formats.test_pickle_rt39t import _lil_data_longer
from tests.helpers import dump_model

np = pytest.importorskip("numpy")
sp = pytest.importorskip("scipy.sparse")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.sklearn  # the optional scikit-learn tier (.ci/run)

from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors  # noqa: E402


def _msgs(r: Any) -> list[str]:
    return [f.message for f in r.findings]


def _dense() -> Any:
    a = np.zeros((6, 4))
    a[0, 1], a[2, 3], a[5, 0], a[3, 3], a[3, 0] = 1.0, 2.0, 3.0, 4.0, 5.0
    return a


@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
def test_neighbors_fitted_then_given_a_bad_lil_is_unsafe(tmp_path: Path, how: str) -> None:
    X = sp.csr_matrix(np.random.RandomState(0).rand(30, 3))
    m = NearestNeighbors(algorithm="brute").fit(X)
    m._fit_X = m._fit_X.tolil()
    _lil_data_longer(m._fit_X)
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", _msgs(r)


@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
def test_real_lil_and_dia_from_scipy_are_safe(tmp_path: Path, how: str) -> None:
    for name, m in (("lil", sp.lil_matrix(np.eye(5))), ("dia", sp.diags([1.0, 2.0, 3.0], [-1, 0, 2], shape=(5, 6))),
                    ("dia-array", sp.dia_array(np.triu(np.ones((4, 4)))))):
        r = scan_file(dump_model(m, tmp_path / f"{name}.pkl", how))
        assert r.verdict == "safe", (name, how, _msgs(r))


def test_big_protocol_2_arrays_are_read_back(tmp_path: Path) -> None:
    rng = np.random.RandomState(0)
    X = rng.rand(140_000, 2)  # _y: 140,000 int64 labels, 1.1 MB: over the 1 MiB kept in memory
    knn = KNeighborsClassifier(algorithm="brute").fit(X, (X[:, 0] > .5).astype(int))
    csr = sp.random(20_000, 500, density=0.02, format="csr", random_state=0)  # 200,000 indices
    for name, m in (("knn", knn), ("csr", csr)):
        r = scan_file(dump_model(m, tmp_path / f"{name}.pkl", "p2"))
        assert r.verdict == "safe", (name, _msgs(r))
    knn._y = np.full_like(knn._y, 7)  # still read back: the labels are judged
    r = scan_file(dump_model(knn, tmp_path / "bad.pkl", "p2"))
    assert r.verdict == "unsafe", _msgs(r)


# -- red team 41t-1: data of the wrong number of dimensions ----------------------------------------

@pytest.mark.parametrize("how", ["p2", "p4", "joblib"])
@pytest.mark.parametrize("kind", ["csr", "csc", "coo"])
def test_sparse_data_with_no_values_for_its_entries_is_unsafe(tmp_path: Path, how: str, kind: str) -> None:
    """``data`` of shape ``(nnz, 0)``: no bytes, but nnz rows; scipy's check_format refuses it,
    unpickling never calls it, and ``m @ v`` / ``toarray()`` read values from the empty buffer."""
    m = {"csr": sp.csr_matrix, "csc": sp.csc_array, "coo": sp.coo_matrix}[kind](_dense())
    m.data = np.zeros((len(m.data), 0))
    r = scan_file(dump_model(m, tmp_path / "m.pkl", how))
    assert r.verdict == "unsafe", (kind, how, _msgs(r))
    assert any("dimensions" in msg for msg in _msgs(r))


def test_sparsified_linear_model_is_safe(tmp_path: Path) -> None:
    from sklearn.linear_model import SGDClassifier
    rng = np.random.RandomState(0)
    X = rng.rand(60, 20)
    m = SGDClassifier(random_state=0).fit(X, (X[:, 0] > .5).astype(int)).sparsify()
    for how in ("p2", "p5", "joblib"):
        r = scan_file(dump_model(m, tmp_path / f"m-{how}.pkl", how))
        assert r.verdict == "safe", (how, _msgs(r))
    m.coef_.data = np.zeros((len(m.coef_.data), 0))
    r = scan_file(dump_model(m, tmp_path / "bad.pkl", "p4"))
    assert r.verdict == "unsafe", _msgs(r)
