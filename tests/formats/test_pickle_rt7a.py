"""Red team 7a: allowlisted constructors that do unbounded work on their arguments
(``Fraction("1e1000000000")``, ``int(Decimal("1E+1000000000"))``) are ``pickle.bomb``
(suspicious); what a pickler writes for a Fraction or a Decimal stays ``safe``."""

from __future__ import annotations

import decimal
import fractions
import pickle

import pytest

from tests.formats.pickle_ops import MARK, REDUCE, STOP, TUPLE1, glob, i1, proto, s, walk


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
