"""A stop is "proven" only where BOTH unpicklers raise (red team 5a, issue 12).

The scanner reads a proven stop as "these bytes are no pickle" and judges them as text or as
another format, so every wrong "the loader raises" was a ``safe`` verdict on a file that runs
code. The oracle here is CPython itself: the C ``pickle.Unpickler`` (``pickle.load``,
``torch.load``, pandas) and the pure-Python ``pickle._Unpickler`` (joblib) load each stream with
a ``find_class`` that only reports whether it reached a marker global (nothing is imported or
called). Bounded, seeded versions of the red team's differential searchers; the full runs are
``/work/redteam-5a/diff_numbers.py`` and ``diff_stop.py``/``diff_stop2.py``.
"""

from __future__ import annotations

import io
import pickle
import random
from pathlib import Path

import pytest

from mlbom.formats.pickle import read_pickle
from mlbom.scanner import scan_file
from tests.conftest import FIXTURES

SCAN = FIXTURES / "hostile" / "pickle-scan"
MARKER = b"crt5\nHIT\n."
_SAFE_GLOBALS = {("argparse", "Namespace"), ("collections", "OrderedDict"), ("builtins", "bytearray"),
                 ("builtins", "list"), ("builtins", "dict"), ("builtins", "set"), ("builtins", "frozenset"),
                 ("copyreg", "_reconstructor"), ("builtins", "object"), ("collections", "deque")}


class _Hit(Exception):
    pass


def _reaches(data: bytes, base: type) -> bool:
    """Whether this unpickler gets as far as ``find_class('rt5', 'HIT')``."""

    class U(base):  # type: ignore[valid-type,misc]
        def find_class(self, module: str, name: str) -> object:
            if (module, name) == ("rt5", "HIT"):
                raise _Hit
            if (module, name) in _SAFE_GLOBALS:
                return super().find_class(module, name)
            raise pickle.UnpicklingError("other global")

    try:
        U(io.BytesIO(data)).load()
    except _Hit:
        return True
    except BaseException:  # any other outcome: the marker was not reached
        return False
    return False


def _real(data: bytes) -> tuple[bool, bool]:
    return _reaches(data, pickle.Unpickler), _reaches(data, pickle._Unpickler)  # type: ignore[attr-defined]


def _sound(data: bytes) -> None:
    """If a real unpickler reaches the marker, mlbom saw it or did not claim a proven stop."""
    c, py = _real(data)
    rep = read_pickle(io.BytesIO(data), len(data))
    if c or py:
        assert "rt5.HIT" in rep.globals or not rep.stop_proven, (data, c, py, rep.error)


# -- every row of the red team's report, through the scanner -------------------------------------

def _rows() -> list[tuple[str, str]]:
    lines = (SCAN / "EXPECTED.tsv").read_text().splitlines()[1:]
    return [(r.split("\t")[0], r.split("\t")[1]) for r in lines if r.strip()]


@pytest.mark.parametrize(("name", "verdict"), _rows())
def test_red_team_5a_file_through_the_scanner(name: str, verdict: str) -> None:
    r = scan_file(SCAN / name)
    assert r.verdict == verdict, r.findings
    assert any("posix" in f.message and "system" in f.message and f.severity == "critical" for f in r.findings), \
        r.findings


def test_every_scanner_reproducer_is_listed() -> None:
    assert {n for n, _ in _rows()} == {p.name for p in SCAN.iterdir() if p.name != "EXPECTED.tsv"}


# -- BUILD, SETITEMS, APPENDS, ADDITEMS on plain values -----------------------------------------

VALUES = [b"}", b"]", b")", b"N", b"K\x05", b"K\x00", b"I01\n", b"\x88", b"\x89", b"Va\n", b"C\x01a", b"\x8f",
          b"(\x91", b"G" + bytes(8), b"\x96\x00" + bytes(7), b"U\x00"]
STATES = [b"N", b"}", b"]", b")", b"\x89", b"K\x00", b"K\x01", b"U\x00", b"Va\n", b"(N}t", b"(NNt", b"(N}K\x01t",
          b"(}}t", b"(\x89}t", b"(K\x00Nt", b"(N\x89t", b"G" + bytes(8), b"(N(dt"]


@pytest.mark.parametrize("value", VALUES)
def test_build_on_a_plain_value_is_judged_as_both_unpicklers_do(value: bytes) -> None:
    for state in STATES:
        _sound(value + state + b"b" + MARKER)


@pytest.mark.parametrize("value", VALUES)
def test_empty_container_opcodes_on_a_plain_value(value: bytes) -> None:
    for op in (b"(u", b"(e", b"(\x90", b"(K\x01u", b"(K\x01e", b"(K\x01\x90", b"(K\x01K\x02u"):
        _sound(value + op + MARKER)


def test_a_stop_both_unpicklers_raise_at_is_still_proven() -> None:
    # BUILD with a non-empty dict state on a dict: neither has __dict__ to set: not a pickle
    for data in (b"}}Va\nK\x01sb" + MARKER, b"K\x05(K\x01e" + MARKER, b"N(Va\nK\x01u" + MARKER):
        assert _real(data) == (False, False)
        rep = read_pickle(io.BytesIO(data), len(data))
        assert rep.stop_proven and "rt5.HIT" not in rep.globals, rep.error


def test_loaders_that_differ_are_a_differential() -> None:
    for data, who in ((b"}\x89b" + MARKER, (False, True)), (b"K\x05(e" + MARKER, (True, False)),
                      (b"](NNtb" + MARKER, (False, True))):
        assert _real(data) == who
        rep = read_pickle(io.BytesIO(data), len(data))
        assert "rt5.HIT" in rep.globals
        assert any(f.id == "pickle.differential" for f in rep.findings), rep.findings


# -- bounded differential searches (seeded) ---------------------------------------------------------

ATOMS = [b"}", b"]", b")", b"N", b"(", b"0", b"1", b"2", b"b", b"u", b"e", b"a", b"s", b"t", b"l", b"d",
         b"\x85", b"\x86", b"\x87", b"\x88", b"\x89", b"\x8f", b"\x90", b"\x91", b"\x94", b"K\x05", b"K\x00", b"I5\n",
         b"I00\n", b"I01\n", b"I\x00x\n", b"U\x01a", b"C\x01a", b"X\x01\x00\x00\x00a", b"\x8c\x01a", b"S'a'\n",
         b"Va\n", b"q\x00", b"h\x00", b"h\x01", b"p0\n", b"g0\n", b"L5\n", b"F1.0\n", b"F0.0\n", b"G" + bytes(8),
         b"B\x00\x00\x00\x00", b"\x96\x00" + bytes(7), b"(t", b"(l", b"(d", b"\x8e" + bytes(8), b"\x80\x02",
         b"\x80\x04", b"\x95" + bytes(8), b"cargparse\nNamespace\n", b"ccollections\nOrderedDict\n",
         b"cbuiltins\nbytearray\n", b"cbuiltins\nlist\n", b"cbuiltins\nset\n", b"ccollections\ndeque\n",
         b"cbuiltins\nobject\n", b"ccopyreg\n_reconstructor\n", b"R", b"\x81", b"o", b"iargparse\nNamespace\n"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_prefixes_before_a_marker_global(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(150):
        prefix = b"".join(rnd.choice(ATOMS) for _ in range(rnd.randint(1, 6)))
        _sound(prefix + MARKER)


NUMBER_CHARS = b" \t\v\f\r+-0123456789abcdefxXoObBL_.eEinfINFaN\x00"


@pytest.mark.parametrize("op", [b"I", b"L", b"F", b"p", b"g"])
def test_random_number_lines_as_the_unpicklers_read_them(op: bytes) -> None:
    """A line either unpickler reads never stops the walk; a line both refuse is a proven stop."""
    rnd = random.Random(12)
    lines = [b"\x00", b"\x00x", b"\x00\x00", b" \x00", b"-\x00", b"0x\x00"]
    lines += [bytes(rnd.choice(NUMBER_CHARS) for _ in range(rnd.randint(1, 8))) for _ in range(250)]
    for line in lines:
        body = op + line + b"\n"
        data = (b"N" + body + b"0" if op == b"p" else b"Np0\n0" + body + b"0" if op == b"g" else body) + MARKER
        c, py = _real(data)
        rep = read_pickle(io.BytesIO(data), len(data))
        assert ("rt5.HIT" in rep.globals) == (c or py) or (not rep.stop_proven and not (c or py)), (data, c, py,
                                                                                                    rep.error)


def test_protocol2_str_read_as_utf8_by_torch_is_walked_both_ways() -> None:
    data = (Path(FIXTURES / "hostile" / "pickle" / "rt5a-binstring-utf8.pkl")).read_bytes()
    rep = read_pickle(io.BytesIO(data), len(data))
    assert rep.verdict == "unsafe"
    assert any(f.id == "pickle.differential" and "UTF-8" in f.message for f in rep.findings)


def test_a_stop_after_a_read_across_a_frame_end_is_not_proven() -> None:
    # FRAME of 3 bytes; BINFLOAT's argument crosses its end. pickle.py raises; the C unpickler on
    # a stream without peek() (torch.load's BytesIO) drops the frame's unread byte and takes the
    # 8 bytes after it, eating the DICT opcode mlbom stops at: it reaches the marker
    for data in (b"\x95\x03" + bytes(7) + b")G" + bytes(8) + b"d" + MARKER,
                 b"\x8e" + bytes(8) + b"(tcbuiltins\nlist\n\x95\x03" + bytes(7) + b"G" + bytes(8) + b"ee\x8e"
                 + bytes(8) + MARKER):
        assert _real(data)[0]
        rep = read_pickle(io.BytesIO(data), len(data))
        assert "rt5.HIT" in rep.globals or not rep.stop_proven, rep.error
        assert any(f.id == "pickle.differential" for f in rep.findings)


@pytest.mark.parametrize("cls", [b"pandas.core.frame\nDataFrame", b"pandas.core.series\nSeries"])
def test_setitem_on_a_pandas_object_with_a_callable_key_is_a_call(cls: bytes) -> None:
    # DataFrame/Series.__setitem__ calls a callable key with the object (com.apply_if_callable)
    data = b"\x80\x02c" + cls + b"\n)\x81cbuiltins\nset\nK\x01s."
    rep = read_pickle(io.BytesIO(data), len(data))
    assert rep.verdict == "suspicious", rep.findings
    assert any(f.id == "pickle.dynamic-callable" and "callable key" in f.message for f in rep.findings)
    plain = b"\x80\x02c" + cls + b"\n)\x81X\x01\x00\x00\x00aK\x01s."
    assert read_pickle(io.BytesIO(plain), len(plain)).verdict == "safe"
