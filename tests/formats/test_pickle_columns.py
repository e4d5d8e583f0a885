"""Vocabulary columns and numpy scalars read from hand-built pickles (no scikit-learn or numpy
needed): the checks of red teams 68f-5 and 69f-1 on the bytes a pickler writes, and the order
scan behind OneHotEncoder's numeric categories."""

from __future__ import annotations

import struct

import pytest

from mlbom.formats import native_state
from mlbom.scanner import scan_bytes


def _u(s: str) -> bytes:
    return b"X" + struct.pack("<I", len(s.encode())) + s.encode()


def _int64(v: int, order: str = "<") -> bytes:
    """numpy._core.multiarray.scalar(numpy.dtype('i8', False, True) + state, <8 bytes>), protocol 3."""
    dtype = b"cnumpy\ndtype\n" + _u("i8") + b"\x89\x88\x87R(K\x03" + _u(order) + \
        b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    return b"cnumpy._core.multiarray\nscalar\n" + dtype + b"C\x08" + struct.pack(order + "q", v) + b"\x86R"


def _vectorizer(entries: bytes) -> bytes:
    return b"\x80\x03csklearn.feature_extraction.text\nCountVectorizer\n)\x81}(" + _u("vocabulary_") + \
        b"}(" + entries + b"uub."


def _verdict(data: bytes) -> tuple[str, list[str]]:
    r = scan_bytes(data, "m.pkl")
    return r.verdict, [f.message for f in r.findings]


def test_columns_inside_the_vocabulary_are_safe() -> None:
    verdict, msgs = _verdict(_vectorizer(_u("a") + b"K\x00" + _u("b") + _int64(1)))
    assert verdict == "safe", msgs


@pytest.mark.parametrize("entries", [
    _u("a") + b"K\x00" + _u("b") + b"K\x05",  # a Python int past the two keys
    _u("a") + b"K\x00" + _u("b") + _int64(2),  # a numpy int64 (a pruned vocabulary's) at the length
    _u("a") + _int64(-1) + _u("b") + b"K\x01",  # negative
    _u("a") + b"K\x00" + _u("b") + _int64(1 << 32, ">"),  # big-endian bytes read as numpy reads them
])
def test_columns_past_the_vocabulary_are_unsafe(entries: bytes) -> None:
    verdict, msgs = _verdict(_vectorizer(entries))
    assert verdict == "unsafe", msgs
    assert any("outside its 2 entries" in m for m in msgs), msgs


def test_equal_keys_merge_as_python_merges_them() -> None:
    # 1, 1.0 and True are one key: three entries set, one kept, so column 1 is past it
    entries = b"K\x01K\x00G" + struct.pack(">d", 1.0) + b"K\x00\x88K\x01"
    verdict, msgs = _verdict(_vectorizer(entries))
    assert verdict == "unsafe", msgs
    # a memoised key object set again is one entry, even a NaN (never equal to itself)
    nan = b"G" + struct.pack(">d", float("nan"))
    verdict, msgs = _verdict(_vectorizer(nan + b"q\x00K\x00" + b"h\x00K\x01" + _u("a") + b"K\x02"))
    assert verdict == "unsafe", msgs
    # two NaN objects are two keys: columns 0..2 of three entries
    verdict, msgs = _verdict(_vectorizer(nan + b"K\x00" + nan + b"K\x01" + _u("a") + b"K\x02"))
    assert verdict == "safe", msgs


def test_a_column_mlbom_cannot_read_is_suspicious() -> None:
    verdict, msgs = _verdict(_vectorizer(_u("a") + b"G" + struct.pack(">d", 0.0)))
    assert verdict == "suspicious", msgs


@pytest.mark.parametrize(("code", "values", "ordered"), [
    ("q", [1, 2, 2, 7], True), ("q", [3, 1], False), ("d", [0.5, 1.5, float("nan"), float("nan")], True),
    ("d", [float("nan"), 1.0], False), ("e", [-1.0, -0.0, 0.0, 2.0], True), ("B", [0, 255, 3], False),
    ("?", [False, True], True), ("d", [], True),
])
def test_order_scan_reads_numpy_sort_order(code: str, values: list[float], ordered: bool) -> None:
    for little in (True, False):
        raw = b"".join(struct.pack(("<" if little else ">") + code, v) for v in values)
        scan = native_state.OrderScan(code, struct.calcsize(code), little)
        for i in range(0, len(raw), 3):  # any chunking
            scan.feed(raw[i:i + 3])
        scan.finish()
        assert (scan.ordered, scan.count, scan.problem) == (ordered, len(values), None)
