"""Red team 51b-6: pandas' custom business offsets (``freq="C"``, ``CustomBusinessDay(holidays=…)``,
``CustomBusinessHour``, ``CustomBusinessMonthEnd``/``Begin``) were ``suspicious`` (unlisted). They
pickle as ``(cls, (n, normalize, weekmask, holidays, None, …))``; ``__init__`` rebuilds the numpy
business-day calendar from the weekmask and holidays. Given any calendar but None, ``__init__`` calls
``calendar.holidays()``: that stays ``suspicious``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes, scan_file

pd = pytest.importorskip("pandas")
from pandas.tseries import offsets  # noqa: E402

OBJECTS = {
    "index_freq_c": lambda: pd.Series(range(5), index=pd.bdate_range("2024-01-01", periods=5, freq="C")),
    "cday_holidays": lambda: offsets.CustomBusinessDay(holidays=["2024-01-01", "2024-12-25"], weekmask="Mon Wed Fri"),
    "cbh": lambda: offsets.CustomBusinessHour(start="10:00", end="16:00"),
    "cbme": lambda: offsets.CustomBusinessMonthEnd(),
    "cbmb": lambda: offsets.CustomBusinessMonthBegin(n=2, holidays=["2024-02-01"]),
}


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_custom_business_offsets_are_safe(name: str, tmp_path: Path) -> None:
    obj = OBJECTS[name]()
    for proto in (0, 2, 4, 5):
        path = tmp_path / f"{name}-{proto}.pkl"
        pd.to_pickle(obj, path, protocol=proto)
        r = scan_file(path)
        assert r.verdict == "safe", (proto, [f.message for f in r.findings if f.severity != "info"])


def _offset(calendar: bytes, opcode: bytes = b"R") -> bytes:
    cls = b"cpandas._libs.tslibs.offsets\nCustomBusinessDay\n"
    args = b"(K\x01\x89X\x03\x00\x00\x00Mon)" + calendar + b"cdatetime\ntimedelta\n)Rt"
    return b"\x80\x02" + cls + args + opcode + b"."


def test_a_calendar_other_than_none_is_suspicious() -> None:
    assert scan_bytes(_offset(b"N"), "o.pkl").verdict == "safe"
    r = scan_bytes(_offset(b"cpandas._libs.tslibs.offsets\nDay\n)R"), "o.pkl")
    assert r.verdict == "suspicious" and any("calendar.holidays()" in f.message for f in r.findings)


def test_a_calendar_keyword_is_suspicious() -> None:
    cls = b"cpandas._libs.tslibs.offsets\nCustomBusinessDay\n"
    kwargs = b"}X\x08\x00\x00\x00calendarcpandas._libs.tslibs.offsets\nDay\n)Rs"
    r = scan_bytes(b"\x80\x04" + cls + b")" + kwargs + b"\x92.", "o.pkl")
    assert r.verdict == "suspicious" and any("calendar.holidays()" in f.message for f in r.findings)


def _with(holidays: bytes, weekmask: bytes = b"X\x03\x00\x00\x00Mon") -> bytes:
    cls = b"cpandas._libs.tslibs.offsets\nCustomBusinessDay\n"
    args = b"(K\x01\x89" + weekmask + holidays + b"Ncdatetime\ntimedelta\n)Rt"
    return b"\x80\x02" + cls + args + b"R."


def test_holidays_of_objects_with_attributes_of_their_own_are_suspicious() -> None:
    # each holiday's tzinfo is read and its replace() called: a Bunch hands its items out as attributes
    bunch = b"csklearn.utils._bunch\nBunch\n)\x81}X\x06\x00\x00\x00tzinfoK\x01sb"
    r = scan_bytes(_with(b"(" + bunch + b"t"), "o.pkl")
    assert r.verdict == "suspicious" and any("replace()" in f.message for f in r.findings)
    # an object-dtype numpy scalar is the object itself
    obj_scalar = b"cnumpy.core.multiarray\nscalar\ncnumpy\ndtype\nX\x02\x00\x00\x00O8\x89\x88\x87R" + bunch + b"\x86R"
    assert scan_bytes(_with(b"(" + obj_scalar + b"t"), "o.pkl").verdict == "suspicious"
    assert scan_bytes(_with(b"(X\n\x00\x00\x002024-01-01t"), "o.pkl").verdict == "safe"


def test_a_weekmask_that_is_not_plain_is_suspicious() -> None:
    r = scan_bytes(_with(b")", weekmask=b"csklearn.utils._bunch\nBunch\n)\x81"), "o.pkl")
    assert r.verdict == "suspicious" and any("weekmask" in f.message for f in r.findings)
