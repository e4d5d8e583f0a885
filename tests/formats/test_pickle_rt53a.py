"""Red team 51b-9/51b-11, fixed in 53a: real numpy and scipy values that were ``suspicious`` only
because they were unlisted.

Now allowlisted: ``numpy.poly1d``;
the scipy.stats result types (namedtuples and ``_make_tuple_bunch`` classes: ``linregress``, ``describe``,
``pearsonr``, ``spearmanr``, ``ks_2samp``, ``mode``, ...); scipy's piecewise polynomials (``PPoly``,
``BPoly``, ``CubicSpline``, ``PchipInterpolator``, ``Akima1DInterpolator``), whose ``_asarray`` slot holds
scipy's allowlisted numpy ``asarray``.

Left out, and pinned here as not ``safe``: ``torch.Generator`` (its ``__setstate__`` reads
``PyTuple_GET_ITEM(state, 0..2)`` unchecked: any state that is not a 3-tuple crashes the loader),
``np.ma.masked`` (a BUILD on it rewrites the process-wide singleton), ``mvoid`` (its own ``__new__`` runs
with NEWOBJ's arguments: ``np.void(mask)`` allocates any size), ``finfo``/``iinfo``, ``gaussian_kde``,
``RegularGridInterpolator`` and ``Rotation`` (their compiled code reads past arrays a crafted state
sizes). ``OptimizeResult`` (a dict whose ``__getattr__`` hands items out) was left out here too; fp80 lists
it with its items judged as attributes (tests/formats/test_pickle_fp80.py has its hostile variants).
Each group also has a hand-edited variant adding a denied or unlisted callable to the same state."""

from __future__ import annotations

import io
import os
import pickle
import pickletools

import pytest

from mlbom.scanner import scan_bytes

np = pytest.importorskip("numpy")
joblib = pytest.importorskip("joblib")


def _joblib(obj: object) -> bytes:
    buf = io.BytesIO()
    joblib.dump(obj, buf)
    return buf.getvalue()


def _bad(r: object) -> list[tuple[str, str]]:
    return [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"]  # type: ignore[attr-defined]


def _assert_safe(obj: object, name: str, protocols: tuple[int, ...] = (2, 5), with_joblib: bool = True) -> None:
    for proto in protocols:
        r = scan_bytes(pickle.dumps(obj, protocol=proto), f"{name}.pkl")
        assert r.verdict == "safe", (proto, _bad(r))
    if with_joblib:
        r = scan_bytes(_joblib(obj), f"{name}.joblib")
        assert r.verdict == "safe", ("joblib", _bad(r))


def _rewrite(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` with one protocol-2 GLOBAL replaced (a hand edit of a real pickle)."""
    assert data.count(old) == 1, old
    return data.replace(old, new)


# ---- numpy (51b-9) ---------------------------------------------------------------------------

def _mvoid() -> object:
    a = np.ma.masked_array(np.zeros(2, dtype=[("a", "i4"), ("b", "f4")]), mask=[(1, 0), (0, 1)])
    return a[0]


def test_poly1d_is_safe() -> None:
    _assert_safe(np.poly1d([1, 2, 3]), "poly1d")
    _assert_safe([1.0, np.poly1d([1.5, -2.0])], "poly1d")


def test_a_poly1d_holding_a_denied_callable_is_unsafe() -> None:
    p = np.poly1d([1, 2, 3])
    p.__dict__["_variable"] = os.system
    assert scan_bytes(pickle.dumps(p, protocol=2), "p.pkl").verdict == "unsafe"


def test_a_poly1d_called_with_pickle_data_is_not_safe() -> None:
    assert scan_bytes(b"\x80\x02cnumpy\npoly1d\n]K\x01a\x85R.", "p.pkl").verdict != "safe"


def test_an_mvoid_is_still_not_safe() -> None:
    """Left out: mvoid has a __new__ of its own, which NEWOBJ runs with the pickle's arguments
    (new_only gates REDUCE, not NEWOBJ): NEWOBJ(mvoid, (1, n)) makes np.void(n), n bytes at load.
    Listing it needs the walker to judge NEWOBJ's arguments as a call of mvoid.__new__."""
    assert scan_bytes(pickle.dumps(_mvoid(), protocol=2), "m.pkl").verdict != "safe"
    assert scan_bytes(b"\x80\x03cnumpy.ma.core\nmvoid\nK\x01J\x00\x00\x00@\x86\x81.", "m.pkl").verdict != "safe"


def test_a_masked_constant_is_still_not_safe() -> None:
    """np.ma.masked is left out: a BUILD after MaskedConstant() runs MaskedArray.__setstate__ on the
    process-wide singleton (its data and mask are replaced before fill_value raises)."""
    state = np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]).__reduce__()[2]
    data = b"\x80\x02cnumpy.ma.core\nMaskedConstant\n)R" + pickle.dumps(state, protocol=2)[2:-1] + b"b."
    assert scan_bytes(data, "m.pkl").verdict != "safe"
    assert scan_bytes(pickle.dumps([1.0, np.ma.masked], protocol=2), "m.pkl").verdict != "safe"


def test_finfo_and_iinfo_are_still_not_safe() -> None:
    """finfo's pickle does not load (NEWOBJ without the dtype its __new__ needs) and NEWOBJ with
    arguments runs that __new__ (dtype coercion, a class-wide cache); iinfo's min/max fill a
    class-wide cache keyed by the state's ``key`` from its ``bits``: both left out."""
    for obj in (np.finfo(np.float32), np.iinfo(np.int8)):
        assert scan_bytes(pickle.dumps(obj, protocol=2), "i.pkl").verdict != "safe"


# ---- scipy (51b-11) --------------------------------------------------------------------------

def _stats_results() -> dict[str, object]:
    st = pytest.importorskip("scipy.stats")
    x = np.linspace(0.0, 1.0, 10)
    y = np.random.RandomState(0).randn(20)
    return {"linregress": st.linregress(x, 2 * x + 1), "describe": st.describe(y),
            "pearsonr": st.pearsonr(x, x ** 2), "spearmanr": st.spearmanr(x, x ** 2),
            "kendalltau": st.kendalltau(x, x ** 2), "ks_2samp": st.ks_2samp(x, x ** 2),
            "mode": st.mode([1, 2, 2]), "confidence_interval": st.pearsonr(x, x ** 2).confidence_interval(),
            "skewtest": st.skewtest(y), "kruskal": st.kruskal(x, x ** 2), "sigmaclip": st.sigmaclip(y)}


# _make_tuple_bunch results with extra fields pickle at protocols 2-3 as
# functools.partial(getattr(cls, "__new__"), cls, ...) (object.__reduce_ex__ with __getnewargs_ex__
# keywords): a getattr of a dunder, which the walker keeps unsafe (a walker change, not an entry)
_BUNCH_KW = {"linregress", "pearsonr", "spearmanr", "kendalltau", "ks_2samp"}


@pytest.mark.parametrize("name", ["linregress", "describe", "pearsonr", "spearmanr", "kendalltau", "ks_2samp",
                                  "mode", "confidence_interval", "skewtest", "kruskal", "sigmaclip"])
def test_scipy_stats_results_are_safe(name: str) -> None:
    obj = _stats_results()[name]
    _assert_safe(obj, name, protocols=(4, 5) if name in _BUNCH_KW else (2, 5))
    _assert_safe({"result": obj}, name, protocols=(5,), with_joblib=False)


@pytest.mark.parametrize("name", sorted(_BUNCH_KW))
def test_a_keyword_bunch_at_protocol_2_is_still_unsafe(name: str) -> None:
    """Pinned so that a walker change modelling partial(cls.__new__, cls, ...) updates this test."""
    obj = _stats_results()[name]
    assert scan_bytes(pickle.dumps(obj, protocol=2), "r.pkl").verdict == "unsafe"


def test_a_stats_result_holding_a_denied_callable_is_unsafe() -> None:
    res = _stats_results()["linregress"]
    res.intercept_stderr = os.system
    assert scan_bytes(pickle.dumps(res, protocol=5), "r.pkl").verdict == "unsafe"


def test_a_stats_result_state_hiding_a_method_is_not_safe() -> None:
    res = _stats_results()["pearsonr"]
    res.__dict__["confidence_interval"] = np.poly1d  # an allowlisted class, under a method's name
    assert scan_bytes(pickle.dumps(res, protocol=5), "r.pkl").verdict != "safe"


def _splines() -> dict[str, object]:
    interp = pytest.importorskip("scipy.interpolate")
    x = np.linspace(0.0, 1.0, 10)
    return {"CubicSpline": interp.CubicSpline(x, x ** 2), "Pchip": interp.PchipInterpolator(x, x ** 2),
            "Akima": interp.Akima1DInterpolator(x, x ** 2),
            "PPoly": interp.PPoly(np.ones((2, 3)), [0.0, 1.0, 2.0, 3.0]),
            "BPoly": interp.BPoly(np.ones((2, 3)), [0.0, 1.0, 2.0, 3.0]),
            "CubicSpline_2d": interp.CubicSpline(x, np.stack([x, x ** 2], axis=1))}


@pytest.mark.parametrize("name", ["CubicSpline", "Pchip", "Akima", "PPoly", "BPoly", "CubicSpline_2d"])
def test_scipy_piecewise_polynomials_are_safe(name: str) -> None:
    _assert_safe(_splines()[name], name)


@pytest.mark.parametrize("swap", [b"cposix\nsystem\n", b"cscipy.interpolate._rgi\nRegularGridInterpolator\n"])
def test_a_spline_whose_asarray_is_swapped_is_not_safe(swap: bytes) -> None:
    """The _asarray slot, scipy's numpy asarray in a real pickle, replaced by a denied function
    (``unsafe``) or an unlisted class (not ``safe``)."""
    data = pickle.dumps(_splines()["CubicSpline"], protocol=2)
    old = b"cscipy._lib.array_api_compat.numpy._aliases\nasarray\n"
    verdict = scan_bytes(_rewrite(data, old, swap), "s.pkl").verdict
    assert verdict == "unsafe" if b"posix" in swap else verdict != "safe"


def test_a_spline_called_with_pickle_data_is_not_safe() -> None:
    pytest.importorskip("scipy.interpolate")
    data = b"\x80\x02cscipy.interpolate._cubic\nCubicSpline\n]K\x01a]K\x02a\x86R."
    assert scan_bytes(data, "s.pkl").verdict != "safe"


@pytest.mark.parametrize("name", ["kde", "rgi", "rotation"])
def test_scipy_objects_left_out_are_still_not_safe(name: str) -> None:
    """gaussian_kde (gaussian_kernel_estimate reads values_[i] for every dataset point, unchecked
    against the weights), RegularGridInterpolator (evaluate_linear_2d indexes _values by grid
    positions, unchecked), Rotation (the Cython backend reads 4 quaternion components of any
    array __setstate__ is given)."""
    st = pytest.importorskip("scipy.stats")
    interp = pytest.importorskip("scipy.interpolate")
    transform = pytest.importorskip("scipy.spatial.transform")
    x = np.linspace(0.0, 1.0, 10)
    obj = {"kde": lambda: st.gaussian_kde(np.random.RandomState(0).randn(20)),
           "rgi": lambda: interp.RegularGridInterpolator((x,), x ** 2),
           "rotation": lambda: transform.Rotation.from_euler("xyz", [1.0, 2.0, 3.0])}[name]()
    assert scan_bytes(pickle.dumps(obj, protocol=5), "o.pkl").verdict != "safe"


# ---- torch (51b-10) --------------------------------------------------------------------------

def test_a_torch_generator_is_still_not_safe() -> None:
    """torch._C.Generator's __setstate__ (THPGenerator_pickleSetState) reads PyTuple_GET_ITEM(state,
    0..2) without checking that the state is a 3-tuple: a BUILD with any other state crashes the
    loading process. Listing it needs a walker check of the state's shape; left out."""
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save(torch.Generator().manual_seed(3), buf)
    assert scan_bytes(buf.getvalue(), "g.pt").verdict != "safe"
    crafted = b"\x80\x02ctorch._C\nGenerator\nctorch\ndevice\nX\x03\x00\x00\x00cpu\x85R\x85RK\x07b."
    pickletools.dis(crafted, out=io.StringIO())  # well-formed
    assert scan_bytes(crafted, "g.pkl").verdict != "safe"
