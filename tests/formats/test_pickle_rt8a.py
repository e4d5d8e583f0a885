"""Red team 8a: protocol attributes set on an instance (numpy reads ``__array_interface__``
from the instance and takes a raw address from it) and load-time bombs through keyword
arguments (NEWOBJ_EX, ``copyreg.__newobj_ex__``)."""

from __future__ import annotations

import argparse
import fractions
import pickle
import types
from pathlib import Path

import pytest

from tests.formats.pickle_ops import (
    BUILD,
    EMPTY_DICT,
    EMPTY_TUPLE,
    MARK,
    NEWOBJ,
    NEWOBJ_EX,
    NONE,
    REDUCE,
    SETITEM,
    STOP,
    TUPLE1,
    TUPLE3,
    call,
    get,
    glob,
    i1,
    proto,
    put,
    s,
    walk,
)

NS = glob("types", "SimpleNamespace") + EMPTY_TUPLE + REDUCE
IFACE = EMPTY_DICT + s("data") + MARK + i1(16) + b"\x88" + b"t" + SETITEM  # {"data": (16, True)}


def _effects(data: bytes) -> set[str]:
    return {f.id for f in walk(data).findings if f.effect}


@pytest.mark.parametrize(("name", "verdict"), [
    ("__array_interface__", "unsafe"), ("__array_struct__", "unsafe"), ("__cuda_array_interface__", "unsafe"),
    ("__array__", "suspicious"), ("__dlpack__", "suspicious"), ("__torch_function__", "suspicious"),
    ("__anything__", "suspicious"),
])
def test_a_protocol_name_set_by_build_is_judged(name: str, verdict: str) -> None:
    rep = walk(proto(4) + NS + EMPTY_DICT + s(name) + IFACE + SETITEM + BUILD + STOP)
    assert rep.verdict == verdict, rep.findings
    assert {f.id for f in rep.findings if f.effect} == {"pickle.protocol-attribute"}


def test_the_matrix_memory_read_is_unsafe() -> None:
    # numpy.matrix(ns): np.array(ns) copies 16 bytes from address 16 (SIGSEGV; any chosen address)
    data = proto(4) + glob("numpy", "matrix") + NS + EMPTY_DICT + s("__array_interface__") + IFACE + SETITEM \
        + BUILD + TUPLE1 + NEWOBJ + STOP
    assert walk(data).verdict == "unsafe"


def test_a_dict_set_as_dunder_dict_is_live() -> None:
    # BUILD (None, {"__dict__": d}) makes d the attribute dict: a SETITEM on d after the BUILD adds one
    data = (proto(4) + NS + NONE + EMPTY_DICT + s("__dict__") + EMPTY_DICT + put(1) + SETITEM + b"\x86" + BUILD
            + get(1) + s("__array_interface__") + IFACE + SETITEM + STOP)
    assert walk(data).verdict == "unsafe"


def test_a_bunch_item_is_an_attribute() -> None:
    # sklearn's Bunch.__getattr__ returns self[name]: numpy's getattr finds the item
    bunch = glob("sklearn.utils._bunch", "Bunch") + EMPTY_TUPLE + NEWOBJ
    assert walk(proto(4) + bunch + s("__array_interface__") + IFACE + SETITEM + STOP).verdict == "unsafe"
    assert walk(proto(4) + bunch + s("data") + IFACE + SETITEM + STOP).verdict == "safe"


def test_a_state_mlbom_did_not_track_may_name_a_protocol() -> None:
    # a dict built at load time (dict(...) of a value mlbom does not follow) as a BUILD state
    state = call(glob("builtins", "dict"), glob("builtins", "zip") + EMPTY_TUPLE + REDUCE)
    assert "pickle.protocol-attribute" in _effects(proto(4) + NS + state + BUILD + STOP)


@pytest.mark.parametrize("obj", [types.SimpleNamespace(a=1, b=[2]), argparse.Namespace(x=1, y="z")])
@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_namespaces_picklers_write_stay_safe(obj: object, protocol: int) -> None:
    assert walk(pickle.dumps(obj, protocol=protocol)).verdict == "safe"


# -- keyword arguments: judged like positional ones ----------------------------------------

FRAC = glob("fractions", "Fraction")





@pytest.mark.parametrize("data", [
    FRAC + EMPTY_TUPLE + EMPTY_DICT + s("numerator") + s("1e100000000") + SETITEM + NEWOBJ_EX,
    FRAC + EMPTY_TUPLE + EMPTY_DICT + s("denominator") + s("1e100000000") + SETITEM + NEWOBJ_EX,
    glob("builtins", "bytes") + EMPTY_TUPLE + EMPTY_DICT + s("source") + b"\x8a\x05" + (40_000_000_000).to_bytes(5, "little")
    + SETITEM + NEWOBJ_EX,
    glob("copyreg", "__newobj_ex__") + FRAC + EMPTY_TUPLE + EMPTY_DICT + s("numerator") + s("1e100000000") + SETITEM
    + TUPLE3 + REDUCE,
    call(glob("copyreg", "__newobj__"), FRAC, s("1e100000000")),
    call(glob("copyreg", "_reconstructor"), FRAC, FRAC, s("1e100000000")),
    FRAC + EMPTY_TUPLE + glob("builtins", "dict") + EMPTY_TUPLE + REDUCE + NEWOBJ_EX,
], ids=["newobj-ex-numerator", "newobj-ex-denominator", "bytes-source", "copyreg-newobj-ex", "copyreg-newobj",
        "copyreg-reconstructor", "untracked-kwargs"])
def test_bombs_through_keyword_arguments_are_suspicious(data: bytes) -> None:
    rep = walk(proto(4) + data + STOP)
    assert rep.verdict == "suspicious", rep.findings
    assert "pickle.bomb" in {f.id for f in rep.findings}


def test_small_keyword_arguments_stay_safe() -> None:
    data = FRAC + EMPTY_TUPLE + EMPTY_DICT + s("numerator") + s("3/7") + SETITEM + NEWOBJ_EX
    assert walk(proto(4) + data + STOP).verdict == "safe"
    assert walk(pickle.dumps(fractions.Fraction(3, 7), protocol=5)).verdict == "safe"


# -- mlbom:torch:weights-only on real torch zips (red team 8a) -------------------------------

@pytest.mark.parametrize(("name", "claim"), [
    ("rt8a-wo-build-list-none.pt", "false"), ("rt8a-wo-setitem-list.pt", "false"), ("rt8a-wo-missing-storage.pt", None),
])
def test_weights_only_claims_on_red_team_zips(name: str, claim: str | None) -> None:
    from mlbom.scanner import scan_file
    from tests.conftest import FIXTURES

    r = scan_file(FIXTURES / "hostile" / "scanner" / name)
    assert r.facts.get("torch.weights-only") == claim, r.findings


# -- false positives: real files from pandas' public API (red team 8a (3)) --------------------

def test_pandas_nat_dateoffset_and_more_offsets_are_safe(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    from mlbom.scanner import scan_file

    o = pd.offsets
    pd.Series([pd.Timestamp("2024-01-01"), pd.NaT, 1], dtype=object).to_pickle(tmp_path / "nat.pkl")
    pd.to_pickle({"nat": pd.NaT, "td": pd.Timedelta("1D"), "ts": pd.Timestamp("2024-01-01")}, tmp_path / "scalars.pkl")
    pd.Series([1, 2], index=pd.date_range("2024", periods=2, freq=pd.DateOffset(months=1))).to_pickle(
        tmp_path / "freq.pkl")
    pd.to_pickle({"do": pd.DateOffset(months=1, weekday=2), "do2": pd.DateOffset(hours=3), "easter": o.Easter(),
                  "wom": o.WeekOfMonth(week=1, weekday=2), "lwom": o.LastWeekOfMonth(weekday=3),
                  "sme": o.SemiMonthEnd(), "smb": o.SemiMonthBegin(day_of_month=5),
                  "fy": o.FY5253(weekday=1, startingMonth=3), "fyq": o.FY5253Quarter(variation="last")},
                 tmp_path / "offsets.pkl")
    for f in ("nat.pkl", "scalars.pkl", "freq.pkl", "offsets.pkl"):
        r = scan_file(tmp_path / f)
        assert r.verdict == "safe", (f, r.findings)


def test_custom_business_offsets_with_plain_holidays_are_safe(tmp_path: Path) -> None:
    # CustomBusinessDay(...)'s __init__ runs _get_calendar: calendar.holidays() and, per holiday,
    # dt.replace(tzinfo=None) -- methods looked up on argument objects the file supplies. pandas
    # writes calendar None and numpy datetime64 holidays, whose methods are numpy's (red team 51b-6);
    # holidays of other objects stay suspicious (tests/formats/test_pickle_custom_business.py)
    pd = pytest.importorskip("pandas")
    from mlbom.scanner import scan_file

    pd.to_pickle({"cbd": pd.offsets.CustomBusinessDay(holidays=["2024-01-01"])}, tmp_path / "cbd.pkl")
    assert scan_file(tmp_path / "cbd.pkl").verdict == "safe"


def test_an_offsets_n_is_an_int_of_a_decimal() -> None:
    # BaseOffset._validate_n runs int(n): int(Decimal("1E+100000000")) is 10**10**8
    dec = call(glob("decimal", "Decimal"), s("1E+100000000"))
    for cls in (glob("pandas._libs.tslibs.offsets", "Easter"), glob("pandas", "DateOffset")):
        rep = walk(proto(4) + call(cls, dec) + STOP)
        assert rep.verdict == "suspicious" and "pickle.bomb" in {f.id for f in rep.findings}, rep.findings
    assert walk(proto(4) + call(glob("pandas._libs.tslibs.offsets", "Easter"), i1(2)) + STOP).verdict == "safe"


def test_a_fitted_spline_transformer_is_safe(tmp_path: Path) -> None:
    # scipy's BSpline keeps array_api_compat's numpy asarray as its _asarray attribute
    np = pytest.importorskip("numpy")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    joblib = pytest.importorskip("joblib")
    from mlbom.scanner import scan_file

    model = preprocessing.SplineTransformer(n_knots=4, degree=2).fit(np.linspace(0, 1, 20).reshape(-1, 1))
    joblib.dump(model, tmp_path / "spline.joblib")
    r = scan_file(tmp_path / "spline.joblib")
    assert r.verdict == "safe", r.findings
