"""Red team 25a: pandas' dtype strings and text mlbom computes at load.

25a-1: pandas reads ``'datetime64[unit, tz]'`` with ``DatetimeTZDtype._match.match`` (start-anchored,
greedy, ``.`` stops at a newline, no length limit): ``'datetime64[ns, dateutil/<path>]x'`` or a string
over 4096 chars opens ``<path>``; mlbom used ``fullmatch`` and a length cap (``safe``). 25a-2: a str
mlbom computed (``_codecs.encode(s, 'rot13')``) was thrown away, and positional tz/dtype arguments other
than two listed were skipped (``safe``). 25a-3: punycode/idna of a long text is a CPU bomb
(``pickle.bomb``). Hand-written opcodes (CI has no pandas/numpy) and, where installed, the real pickler."""

from __future__ import annotations

import codecs
import functools
import pickle
import random
import re

import pytest

from mlbom.formats.pickle import _dt64_tz
from tests.formats.pickle_ops import STOP, call, glob, ids, proto, s, walk

SECRET = "dateutil//tmp/rt25a_secret"
PANDAS_MATCH = re.compile(r"(datetime64|M8)\[(?P<unit>.+), (?P<tz>.+)\]")  # pandas' DatetimeTZDtype._match


def _rot13(text: str) -> bytes:
    """_codecs.encode(rot13(text), 'rot13'): the loader gets ``text`` back."""
    return call(glob("_codecs", "encode"), s(codecs.encode(text, "rot13")), s("rot13"))


def _unsafe(data: bytes) -> None:
    rep = walk(proto(4) + data + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings
    assert any("rt25a_secret" in f.message for f in rep.findings), rep.findings


@pytest.mark.parametrize("tail", ["x", "]", "\nmore", "x" * 5000, " " * 70000])
@pytest.mark.parametrize("func", [("pandas", "DatetimeTZDtype"), ("pandas", "Series")])
def test_25a_1_dtype_string_with_a_tail_is_read_as_pandas_reads_it(tail: str, func: tuple[str, str]) -> None:
    text = f"datetime64[ns, {SECRET}]{tail}"
    if func[1] == "Series":  # Series([], None, dtype): positional dtype
        _unsafe(call(glob(*func), b"]", b"N", s(text)))
    else:
        _unsafe(call(glob(*func), s(text)))


def test_25a_1_tz_grammar_equals_pandas_regex() -> None:
    rng = random.Random(25)
    for _ in range(20000):
        head = rng.choice(["datetime64[", "M8[", "x", ""])
        v = head + "".join(rng.choice("a, ]\n[") for _ in range(rng.randint(0, 14)))
        m = PANDAS_MATCH.match(v)
        assert _dt64_tz(v) == (m.group("tz") if m else None), v
    assert _dt64_tz("datetime64[ns, " * 20000) is None  # linear: no regex backtracking


def test_25a_1_benign_dtype_strings_stay_safe() -> None:
    for text in ("datetime64[ns, Europe/Berlin]", "datetime64[ns, UTC]", "M8[ns]", "int64", "category"):
        rep = walk(proto(4) + call(glob("pandas", "Series"), b"]", b"N", s(text)) + STOP)
        assert rep.verdict == "safe", (text, rep.findings)


@pytest.mark.parametrize("data", [
    call(glob("pandas", "Series"), b"]", b"N", _rot13(f"datetime64[ns, {SECRET}]")),
    call(glob("pandas", "DatetimeIndex"), b"]", b"N", _rot13(SECRET)),  # DatetimeIndex's 3rd parameter is tz
    call(glob("pandas", "DatetimeTZDtype"), s("ns"), _rot13(SECRET)),
    call(glob("pandas", "DataFrame"), b"]", b"N", b"N", _rot13(f"M8[ns, {SECRET}]")),
])
def test_25a_2_text_computed_at_load_is_judged_like_a_literal(data: bytes) -> None:
    _unsafe(data)


def test_25a_2_unread_text_at_any_pandas_argument_is_not_skipped() -> None:
    # a str computed at load that mlbom does not compute (str(obj)) at a positional dtype
    text = call(glob("builtins", "str"), call(glob("pathlib", "PurePosixPath"), s("x")))
    rep = walk(proto(4) + call(glob("pandas", "Series"), b"]", b"N", text) + STOP)
    assert rep.verdict in ("suspicious", "unsafe"), rep.findings


def test_25a_2_rot13_of_a_benign_text_stays_safe() -> None:
    rep = walk(proto(4) + call(glob("pandas", "DatetimeTZDtype"), s("ns"), _rot13("Europe/Paris")) + STOP)
    assert rep.verdict == "safe", rep.findings


@pytest.mark.parametrize("codec", ["punycode", "idna", "PunyCode"])
def test_25a_3_superlinear_codec_over_the_bound_is_a_bomb(codec: str) -> None:
    text = "".join(chr(0x4E00 + i) for i in range(3000))
    rep = walk(proto(4) + call(glob("_codecs", "encode"), s(text), s(codec)) + STOP)
    assert rep.verdict == "suspicious" and "pickle.bomb" in ids(rep), rep.findings


def test_25a_real_pickler() -> None:
    pd = pytest.importorskip("pandas")

    class Host:
        def __init__(self, r: tuple[object, ...]) -> None:
            self.r = r

        def __reduce__(self) -> tuple[object, ...]:
            return self.r

    trail = f"datetime64[ns, {SECRET}]" + "x" * 5000
    for r in [(pd.DatetimeTZDtype, (trail,)), (pd.Series, ([], None, trail)),
              (functools.partial(pd.Series, dtype=trail), ([],))]:
        rep = walk(pickle.dumps(Host(r), protocol=4))
        assert rep.verdict == "unsafe", rep.findings
    benign = pd.DataFrame({"t": pd.date_range("2020", periods=3, tz="Europe/Berlin"),
                           "c": pd.Categorical(["a", "b", "a"]), "p": pd.period_range("2020", periods=3)})
    assert walk(pickle.dumps(benign, protocol=4)).verdict == "safe"
