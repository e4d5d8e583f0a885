"""Red team 7a: allowlisted constructors that do unbounded work on their arguments
(``Fraction("1e1000000000")``, ``int(Decimal("1E+1000000000"))``) are ``pickle.bomb``
(suspicious); what a pickler writes for a Fraction or a Decimal stays ``safe``."""

from __future__ import annotations

import decimal
import fractions
import pickle
from pathlib import Path

import pytest

from tests.formats.pickle_ops import MARK, POP, REDUCE, STOP, TUPLE1, glob, i1, proto, s, walk


def _call(func: bytes, *args: bytes) -> bytes:
    return func + MARK + b"".join(args) + b"t" + REDUCE


DEC = glob("decimal", "Decimal")
FRAC = glob("fractions", "Fraction")


@pytest.mark.parametrize("data", [
    _call(FRAC, s("1e1000000000")),
    _call(FRAC, s("1E-99999")),
    _call(FRAC, s("1_0e1_000_000")),
    _call(FRAC, s("0." + "1" * 5000)),
    _call(FRAC, _call(DEC, s("1E+1000000000"))),
    _call(glob("builtins", "int"), _call(DEC, s("1E+1000000000"))),
    _call(glob("builtins", "int"), _call(DEC, MARK + i1(0) + MARK + i1(1) + b"t" + b"J\x00\xca\x9a\x3b" + b"t")),
    _call(FRAC, i1(1), _call(DEC, s("1E+1000000000"))),
], ids=["exp", "neg-exp", "underscores", "fraction-digits", "frac-decimal", "int-decimal", "decimal-tuple", "denom"])
def test_exact_integer_bombs_are_suspicious(data: bytes) -> None:
    rep = walk(proto(4) + data + STOP)
    assert rep.verdict == "suspicious", rep.findings
    assert any(f.id == "pickle.bomb" for f in rep.findings), rep.findings


@pytest.mark.parametrize("obj", [
    fractions.Fraction(3, 7), fractions.Fraction(-10**40, 3), decimal.Decimal("1.5E+300"), decimal.Decimal("NaN"),
    [decimal.Decimal("1E+100000")],  # a Decimal alone is cheap (its exponent is stored, not expanded)
])
@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_what_picklers_write_stays_safe(obj: object, protocol: int) -> None:
    assert walk(pickle.dumps(obj, protocol=protocol)).verdict == "safe"


def test_small_exponents_stay_safe() -> None:
    assert walk(proto(4) + _call(FRAC, s("1.25e10")) + STOP).verdict == "safe"
    assert walk(proto(4) + _call(glob("builtins", "int"), _call(DEC, s("12E+3"))) + STOP).verdict == "safe"
    assert walk(proto(4) + FRAC + s("3/7") + TUPLE1 + REDUCE + STOP).verdict == "safe"


# -- zoneinfo: getattr(ZoneInfo, "_unpickle") is the one getattr call accepted ---------------

GETATTR = glob("builtins", "getattr")
ZI = glob("zoneinfo", "ZoneInfo")


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_zoneinfo_pickles_from_the_public_api_are_safe(protocol: int) -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    import datetime

    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    obj = {"a": datetime.datetime(2024, 1, 1, tzinfo=berlin), "b": berlin, "c": zoneinfo.ZoneInfo("UTC"),
           "d": zoneinfo.ZoneInfo.no_cache("Asia/Tokyo")}
    rep = walk(pickle.dumps(obj, protocol=protocol))
    assert rep.verdict == "safe", rep.findings
    assert "zoneinfo.ZoneInfo._unpickle" in rep.globals


def test_pandas_tz_frame_from_the_public_api_is_safe(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    p = tmp_path / "df.pkl"
    pd.DataFrame({"t": pd.date_range("2024", periods=3, tz="Europe/Berlin"),
                  "u": pd.date_range("2024", periods=3, tz="America/New_York")}).to_pickle(p)
    data = p.read_bytes()
    assert walk(data).verdict == "safe", walk(data).findings


def test_getattr_of_another_attribute_is_judged_as_its_dotted_global() -> None:
    """Since red team 46f-5: ``getattr(cls, name)`` is the attribute protocol 4 writes as the
    dotted global ``module.cls.name``, judged the same: unlisted is ``suspicious``, denied
    ``unsafe``."""
    rep = walk(proto(4) + _call(GETATTR, ZI, s("_new_instance")) + STOP)
    assert rep.verdict == "suspicious", rep.findings
    assert any("getattr(zoneinfo.ZoneInfo, '_new_instance')" in f.message for f in rep.findings), rep.findings
    rep = walk(proto(4) + _call(GETATTR, glob("posix", "getcwd"), s("__class__")) + STOP)  # a dunder: denied
    assert rep.verdict == "unsafe", rep.findings
    rep = walk(proto(4) + _call(GETATTR, glob("builtins", "object"), s("system")) + STOP)
    assert rep.verdict != "safe", rep.findings
    os_system = walk(proto(4) + _call(GETATTR, glob("posixpath", "os"), s("system")) + STOP)
    assert os_system.verdict == "unsafe", os_system.findings


@pytest.mark.parametrize("body", [
    _call(GETATTR, glob("posix", "system"), s("__call__")),
    _call(GETATTR, ZI, s("_unpickle")) + POP + GETATTR + POP,  # a second getattr never called
    GETATTR + b"\x94" + POP + _call(glob("builtins", "list"), MARK + b"h\x00" + b"l"),  # memoised, used as data
    GETATTR + b"\x94" + ZI + s("_unpickle") + b"\x86" + REDUCE + POP
    + b"h\x00" + s("x") + s("y") + b"\x86" + REDUCE,  # memoised, then called with other arguments
    GETATTR + b"2" + ZI + s("_unpickle") + b"\x86" + REDUCE + POP,  # DUP: one copy left on the stack
    GETATTR,  # on the stack at STOP
], ids=["other-class", "uncalled", "memo-in-list", "memo-other-args", "dup", "left"])
def test_any_other_getattr_is_unsafe(body: bytes) -> None:
    rep = walk(proto(4) + body + STOP)
    assert rep.verdict == "unsafe", rep.findings
    assert any(f.id == "pickle.dangerous-callable" and "getattr" in f.message for f in rep.findings), rep.findings


# -- scikit-learn estimators from the public API (red team 7a false positives) --------------

_SK = ["gmm", "selectk", "varth", "kbins", "quantile", "power", "target_enc", "ttr", "lof", "voting", "func"]


def _estimator(name: str) -> object:
    """The red team's fitted estimators (``mk_benign.py``), on its data."""
    import numpy as np
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import VotingRegressor
    from sklearn.feature_selection import SelectKBest, VarianceThreshold
    from sklearn.linear_model import Ridge
    from sklearn.mixture import GaussianMixture
    from sklearn.neighbors import LocalOutlierFactor
    from sklearn.preprocessing import (
        FunctionTransformer,
        KBinsDiscretizer,
        PowerTransformer,
        QuantileTransformer,
        TargetEncoder,
    )

    x = np.random.RandomState(0).rand(60, 4)
    y = (x[:, 0] > 0.5).astype(int)
    make = {
        "gmm": lambda: GaussianMixture(2).fit(x),
        "selectk": lambda: SelectKBest(k=2).fit(x, y),
        "varth": lambda: VarianceThreshold().fit(x),
        "kbins": lambda: KBinsDiscretizer(n_bins=3).fit(x),  # joblib: pickle.load reads its array bytes as opcodes
        "quantile": lambda: QuantileTransformer(n_quantiles=10).fit(x),
        "power": lambda: PowerTransformer().fit(x),
        "target_enc": lambda: TargetEncoder().fit(np.array([["a"], ["b"]] * 30), y),
        "ttr": lambda: TransformedTargetRegressor(regressor=Ridge()).fit(x, y),
        "lof": lambda: LocalOutlierFactor(novelty=True).fit(x),
        "voting": lambda: VotingRegressor([("r", Ridge()), ("d", Ridge(alpha=2))]).fit(x, y),
        "func": lambda: FunctionTransformer().fit(x),
    }
    return make[name]()


@pytest.mark.parametrize("name", _SK)
def test_sklearn_estimators_from_the_public_api_are_safe(name: str, tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    joblib = pytest.importorskip("joblib")
    import warnings

    from mlbom.scanner import scan_file

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _estimator(name)
    joblib.dump(model, tmp_path / "m.joblib")
    (tmp_path / "m.pkl").write_bytes(pickle.dumps(model, protocol=5))
    for f in ("m.joblib", "m.pkl"):
        r = scan_file(tmp_path / f)
        assert r.verdict == "safe", (f, r.findings)


# -- numpy / pandas / torch values from the public API (red team 7a false positives) --------

def _np_values() -> dict[str, object]:
    import numpy as np

    return {
        "stringdtype": np.array(["a", "bc"], dtype=np.dtypes.StringDType()),
        "stringdtype-na": np.array(["a", None], dtype=np.dtypes.StringDType(na_object=None)),
        "recarray": np.rec.array([(1, 2.0), (3, 4.0)], names="a,b"),
        "chararray": np.char.array(["ab", "c"]),
    }


@pytest.mark.parametrize("name", ["stringdtype", "stringdtype-na", "recarray", "chararray"])
@pytest.mark.parametrize("protocol", [2, 5])
def test_numpy_values_from_the_public_api_are_safe(name: str, protocol: int) -> None:
    pytest.importorskip("numpy")
    rep = walk(pickle.dumps(_np_values()[name], protocol=protocol))
    assert rep.verdict == "safe", rep.findings


def test_numpy_stringdtype_npy_is_safe(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    from mlbom.scanner import scan_file

    np.save(tmp_path / "s.npy", np.array(["a", "bc"], dtype=np.dtypes.StringDType()), allow_pickle=True)
    r = scan_file(tmp_path / "s.npy")
    assert r.verdict == "safe", r.findings


def test_pandas_offsets_and_indexes_from_the_public_api_are_safe(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    from mlbom.scanner import scan_file

    offsets = pd.offsets
    values = {"off": offsets.MonthEnd(2), "bd": offsets.BDay(), "mb": offsets.MonthBegin(), "bme": offsets.BMonthEnd(),
              "bmb": offsets.BMonthBegin(), "qe": offsets.QuarterEnd(startingMonth=2), "qb": offsets.QuarterBegin(),
              "ye": offsets.YearEnd(month=6), "yb": offsets.YearBegin(), "w": offsets.Week(weekday=2),
              "h": offsets.Hour(3), "m": offsets.Minute(), "s": offsets.Second(), "ms": offsets.Milli(),
              "us": offsets.Micro(), "ns": offsets.Nano(), "d": offsets.Day(2)}
    pd.to_pickle(values, tmp_path / "off.pkl")
    pd.Series([1, 2, 3], index=pd.IntervalIndex.from_breaks([0, 1, 2, 3])).to_pickle(tmp_path / "iidx.pkl")
    pd.Series([1, 2, 3], index=pd.timedelta_range("1 day", periods=3)).to_pickle(tmp_path / "tdidx.pkl")
    for f in ("off.pkl", "iidx.pkl", "tdidx.pkl"):
        r = scan_file(tmp_path / f)
        assert r.verdict == "safe", (f, r.findings)


@pytest.mark.torch
def test_torch_float8_e8m0fnu_checkpoint_is_safe(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if not hasattr(torch, "float8_e8m0fnu"):
        pytest.skip("torch without float8_e8m0fnu")
    from mlbom.scanner import scan_file

    torch.save({"a": torch.zeros(2, dtype=torch.float8_e8m0fnu)}, tmp_path / "e8m0.pt")
    r = scan_file(tmp_path / "e8m0.pt")
    assert r.verdict == "safe", r.findings
