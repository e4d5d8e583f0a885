"""Text numbers (INT, LONG, FLOAT) are accepted exactly where a real unpickler accepts them.

The oracle is CPython itself: each line is loaded, inside ``pickle.loads`` and the pure-Python
``pickle._Unpickler``, as a one-number pickle with no globals (nothing but a number is built).
"""

from __future__ import annotations

import io
import pickle

import pytest

from mlbom.formats.pickle import read_pickle

LINES = [
    b"0", b"1", b"00", b"01", b"-1", b"+7", b" 12", b"12 ", b"\t3\r", b"010", b"0777", b"08", b"0x10", b"0X1f", b"0x",
    b"0o17", b"0b101", b"1_000", b"1__0", b"_1", b"12\x00zz", b"1_0\x00zz", b"", b" ", b"abc", b"9" * 19, b"9" * 25,
    b"-" + b"9" * 19, b"0" + b"7" * 30, b"0x" + b"f" * 5000, b"1" * 4300, b"1" * 4301, b"0" * 70 + b"1", b"12L",
    b"L", b"0xffL", b"1.5", b"1e5", b"1e", b"1e999", b"-1e999", b"1e-999", b"inf", b"-Infinity", b"nan", b"NaN",
    b".5", b"5.", b".", b"1_0.5", b"0x1p3", b" 1.0", b"1.0 ", b"1.0\x00x", b"0" * 70 + b"1", b"1" * 400 + b".5e-3",
]


def _real(data: bytes) -> tuple[bool, bool]:
    """(C accepts, pure-Python accepts): does loading get past the number to the STOP?"""
    out = []
    for load in (pickle.loads, lambda d: pickle._Unpickler(io.BytesIO(d)).load()):  # type: ignore[attr-defined]
        try:
            load(data)
            out.append(True)
        except Exception:  # any exception is "the loader raises"
            out.append(False)
    return out[0], out[1]


@pytest.mark.parametrize("op", [b"I", b"L", b"F"])
@pytest.mark.parametrize("line", LINES)
def test_text_number_as_the_unpicklers_read_it(op: bytes, line: bytes) -> None:
    data = op + line + b"\n."
    c_ok, py_ok = _real(data)
    rep = read_pickle(io.BytesIO(data), len(data))
    if c_ok or py_ok:
        assert rep.complete, (data[:60], rep.error)
        differential = any(f.id == "pickle.differential" for f in rep.findings)
        assert differential == (c_ok != py_ok) or (op in b"IL" and len(line) > 4300)
    elif op in b"IL" and line.isdigit() and len(line) > 4300:
        # refused only under Python's default int digit limit, which a process may raise
        assert rep.complete and rep.verdict == "suspicious"
    else:
        assert not rep.complete and rep.error is not None


def test_long_line_past_the_kept_length_reads_on() -> None:
    data = b"I0x" + b"f" * (3 << 20) + b"\n."
    rep = read_pickle(io.BytesIO(data), len(data))
    assert rep.complete
    assert rep.verdict == "suspicious"


MEMO_LINES = [b"1", b"01", b"0" * 40 + b"1", b" 1", b"1 ", b"1_0", b"1\x00x", b"-1", b"+1", b"0x1", b"x", b"", b"1" * 30]


@pytest.mark.parametrize("line", MEMO_LINES)
def test_memo_index_as_the_unpicklers_read_it(line: bytes) -> None:
    # PUT the list, GET it back, STOP: a line either unpickler reads never stops the walk
    data = b"(lp" + line + b"\ng" + line + b"\n."
    c_ok, py_ok = _real(data)
    rep = read_pickle(io.BytesIO(data), len(data))
    assert rep.complete == (c_ok or py_ok), (line, rep.error)
