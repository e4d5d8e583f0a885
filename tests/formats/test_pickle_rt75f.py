"""Red team 75f: pandas and numpy state that pandas' or numpy's compiled code follows unchecked.

- 75f-1/3: a SparseArray's values against its sparse index. pandas' binary ops
  (``sparse_add_float64`` & co., bounds checks off) read one value per point the index claims;
  ``check_integrity`` checks order and overlap, never the values' count, and rejects only zero
  block lengths (a 1-value array whose BlockIndex claims 10,000,000 points, or has a block of
  length -20,000,000: SIGSEGV on ``df.a + df.b``).
- 75f-4: a BUILD on a pandas Index (pandas writes none; Index has no ``__setstate__``) replaced the
  codes, levels or cache ``_new_Index`` was given and mlbom checked (SIGSEGV on ``repr``).
- 75f-5: a numpy structured dtype whose field lies outside the item (``a['b']`` read at
  ``data + 10**9``; 56 in a 16-byte item returned heap pointers).

Not fixed here, by design: 75f-2 (adjacent blocks overflowing ``BlockUnion``) is a pandas bug that
data pandas itself writes reaches (two sparse columns whose blocks interleave), not state no pandas
writes. Hand-built pickles need neither numpy nor pandas; real objects run in the scikit-learn tier.
"""

from __future__ import annotations

import pickle
import struct

import pytest

from mlbom.scanner import scan_bytes
from tests.formats.pickle_ops import dump_as


def _u(s: str) -> bytes:
    return b"X" + struct.pack("<I", len(s.encode())) + s.encode()


def _i(v: int) -> bytes:
    return b"J" + struct.pack("<i", v) if -(1 << 31) <= v < 1 << 31 else b"\x8a\x08" + struct.pack("<q", v)


def _dtype(code: str) -> bytes:
    return b"cnumpy\ndtype\n" + _u(code) + b"\x89\x88\x87R(K\x03" + _u("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"


def _arr(values: list[int] | list[float], code: str) -> bytes:
    """numpy._core.numeric._frombuffer(<values>, dtype(code), (n,), 'C') (protocol 3)."""
    fmt = {"i4": "<i", "f8": "<d", "i8": "<q"}[code]
    raw = b"".join(struct.pack(fmt, v) for v in values)
    return b"cnumpy._core.numeric\n_frombuffer\n(B" + struct.pack("<I", len(raw)) + raw + _dtype(code) + \
        _i(len(values)) + b"\x85" + _u("C") + b"tR"


def _int_index(length: int, indices: list[int], op: bytes = b"R") -> bytes:
    if op == b"\x81":
        return b"cpandas._libs.sparse\nIntIndex\n)\x81"
    return b"cpandas._libs.sparse\nIntIndex\n(" + _i(length) + _arr(indices, "i4") + b"t" + op


def _block_index(length: int, starts: list[int], lengths: list[int]) -> bytes:
    return b"cpandas._libs.sparse\nBlockIndex\n(" + _i(length) + _arr(starts, "i4") + _arr(lengths, "i4") + b"tR"


def _sparse(index: bytes, n_values: int) -> bytes:
    """NEWOBJ SparseArray, BUILD {_sparse_index, _sparse_values, _dtype} (what pandas writes)."""
    state = b"}(" + _u("_sparse_index") + index + _u("_sparse_values") + _arr([1.5] * n_values, "f8") + \
        _u("_dtype") + b"Nu"
    return b"\x80\x03cpandas.core.arrays.sparse.array\nSparseArray\n)\x81" + state + b"b."


def _verdict(data: bytes) -> tuple[str, list[str]]:
    r = scan_bytes(data, "m.pkl")
    return r.verdict, [f.message for f in r.findings]


def test_sparse_values_as_many_as_the_index_claims_are_safe() -> None:
    assert _verdict(_sparse(_int_index(10, [1, 4, 7]), 3))[0] == "safe"
    assert _verdict(_sparse(_block_index(10, [1, 6], [2, 3]), 5))[0] == "safe"


@pytest.mark.parametrize(("index", "n", "why"), [
    (_int_index(10_000_000, [1, 4, 7]), 1, "claims 3 points for 1 values"),
    (_block_index(10_000_001, [0], [10_000_000]), 1, "claims 10000000 points for 1 values"),  # 75f-1
    (_block_index(20_000_005, [3, 4], [-20_000_000, 20_000_001]), 1, "block of length -20000000"),  # 75f-3
    (_block_index(10, [-3, 4], [2, 1]), 3, "block at -3"),
    (_int_index(0, [], op=b"\x81"), 0, "without its constructor"),
])
def test_sparse_values_the_index_does_not_match_are_unsafe(index: bytes, n: int, why: str) -> None:
    verdict, msgs = _verdict(_sparse(index, n))
    assert verdict == "unsafe", msgs
    assert any("SparseArray" in m and why in m for m in msgs), msgs


def test_a_legacy_sparse_state_is_read_too() -> None:
    # pandas < 0.24: (ndarray state (shape, dtype, fortran, data), (fill value, index))
    nd = b"(" + _i(1) + b"\x85" + _dtype("f8") + b"\x89C\x08" + struct.pack("<d", 1.0) + b"t"
    state = nd + b"G" + struct.pack(">d", 0.0) + _block_index(10_000_001, [0], [10_000_000]) + b"\x86\x86"
    data = b"\x80\x03cpandas.core.arrays.sparse.array\nSparseArray\n)\x81" + state + b"b."
    verdict, msgs = _verdict(data)
    assert verdict == "unsafe", msgs


def _new_index(cls: bytes, state: bytes | None) -> bytes:
    d = b"}(" + _u("data") + _arr([1, 2, 3], "i8") + b"u"
    call = b"cpandas.core.indexes.base\n_new_Index\ncpandas\n" + cls + b"\n" + d + b"\x86R"
    return b"\x80\x03" + call + (state + b"b" if state is not None else b"") + b"."


def test_an_index_as_pandas_writes_it_is_safe() -> None:
    assert _verdict(_new_index(b"Index", None))[0] == "safe"
    assert _verdict(_new_index(b"Index", b"}"))[0] == "safe"  # an empty dict changes nothing
    assert _verdict(_new_index(b"Index", b"N"))[0] == "safe"


@pytest.mark.parametrize("state", [
    b"}(" + _u("_codes") + b"Nu",  # 75f-4a
    b"}(" + _u("_cache") + b"}(" + _u("levels") + b"Nuu",  # 75f-4c
    b"N}(" + _u("_data") + b"Nu\x86",  # (dict, slot state): the slot state is set too
])
@pytest.mark.parametrize("cls", [b"MultiIndex", b"Index", b"RangeIndex"])
def test_a_build_on_an_index_is_unsafe(cls: bytes, state: bytes) -> None:
    verdict, msgs = _verdict(_new_index(cls, state))
    assert verdict == "unsafe", msgs
    assert any("BUILD sets the state of a pandas" in m for m in msgs), msgs


def _struct(offset_b: int, elsize: int = 16) -> bytes:
    """An array of dtype([('a', '<f8'), ('b', '<f8')]) with field b at ``offset_b`` (protocol 3)."""
    f8 = _dtype("f8")
    fields = b"}(" + _u("a") + f8 + _i(0) + b"\x86" + _u("b") + f8 + _i(offset_b) + b"\x86u"
    dt = b"cnumpy\ndtype\n" + _u(f"V{elsize}") + b"\x89\x88\x87R(K\x03" + _u("|") + b"N(" + _u("a") + _u("b") + \
        b"t" + fields + _i(elsize) + b"K\x01K\x10tb"
    body = b"\x00" * (2 * elsize)
    return b"\x80\x03cnumpy._core.multiarray\n_reconstruct\n(cnumpy\nndarray\nK\x00\x85C\x01btR" + \
        b"(K\x01K\x02\x85" + dt + b"\x89C" + bytes([len(body)]) + body + b"tb."


@pytest.mark.parametrize(("offset", "verdict"), [
    (8, "safe"), (0, "safe"),  # a union of two fields is fine
    (56, "unsafe"), (1_000_000_000, "unsafe"), (-8, "unsafe"), (9, "unsafe"),  # 75f-5
])
def test_structured_fields_must_lie_inside_the_item(offset: int, verdict: str) -> None:
    got, msgs = _verdict(_struct(offset))
    assert got == verdict, msgs
    if verdict == "unsafe":
        assert any("outside the item of 16 bytes" in m for m in msgs), msgs


# -- real objects (scikit-learn tier: pandas and numpy installed) ---------------------------------


class _Reduce:
    """Pickles as exactly (callable, args, state): a REDUCE then a BUILD."""

    def __init__(self, f: object, args: tuple[object, ...], state: object) -> None:
        self.f, self.args, self.state = f, args, state

    def __reduce__(self) -> tuple[object, ...]:
        return (self.f, self.args, self.state)


@pytest.mark.sklearn
@pytest.mark.parametrize("how", ["2", "5", "joblib", "pandas-gzip"])
def test_real_sparse_indexes_and_dtypes_stay_safe_and_tampered_ones_do_not(how: str) -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("joblib")
    from pandas._libs.sparse import BlockIndex
    from pandas.core.indexes.base import _new_Index

    rng = np.random.default_rng(0)
    dense = np.zeros(1000)
    dense[rng.integers(0, 1000, 50)] = rng.random(50)
    mi = pd.MultiIndex.from_product([["a", "b"], [1, 2, 3]], names=["x", "y"])
    _ = mi.levels  # a cached attribute: pandas' __reduce__ leaves the cache out
    real = [
        pd.DataFrame({"a": pd.arrays.SparseArray(dense, kind="block"),
                      "b": pd.arrays.SparseArray(dense[::-1].copy(), kind="integer")}),
        pd.Series(pd.arrays.SparseArray([1, 0, 0, 2, 0, 3], fill_value=0)),
        pd.arrays.SparseArray(np.zeros(10), fill_value=0.0),
        pd.DataFrame({"v": range(6)}, index=mi), pd.Index([1, 2, 3], name="n"), pd.RangeIndex(0, 10, 2),
        np.zeros(3, dtype=[("a", "<f8"), ("b", "<i4"), ("c", "S3")]),
        np.zeros(3, dtype=np.dtype([("a", "u1"), ("b", "<f8")], align=True)),
        np.zeros(2, dtype=np.dtype({"names": ["a", "b"], "formats": ["<f4", "<f4"], "offsets": [0, 8], "itemsize": 16})),
        np.zeros(2, dtype=[("a", "<f8", (3,)), ("b", [("x", "<i2"), ("y", "<f4", (2, 2))])]),
    ]
    if how != "joblib":
        # a bare MultiIndex in joblib is the documented false positive of docs/scanning.md (the
        # pickle.load reading of its array bytes imports a name an outer memo string gives)
        real.append(mi)
    for obj in real:
        r = scan_bytes(dump_as(obj, how), "m.pkl")
        assert r.verdict == "safe", (type(obj).__name__, [f.message for f in r.findings])

    def sparse(length: int, starts: list[int], lengths: list[int], values: list[float]) -> object:
        s = pd.arrays.SparseArray(np.array([0.0, 1.0]), fill_value=0.0, kind="block")
        s._sparse_index = BlockIndex(length, np.array(starts, dtype=np.int32), np.array(lengths, dtype=np.int32))
        s._sparse_values = np.array(values)
        return s

    short = [pd.Index(np.arange(3)), pd.Index(np.array([1.5]))]
    small = {"levels": [pd.Index(np.arange(3)), pd.Index(np.array([1.5, 2.5, 3.5]))],
             "codes": [np.arange(3), np.arange(3)], "sortorder": None, "names": [None, None]}
    tampered = [
        pd.DataFrame({"a": sparse(10_001, [0], [10_000], [7.0])}),  # 75f-1
        pd.DataFrame({"a": sparse(45, [3, 4], [-20, 21], [1.0])}),  # 75f-3
        _Reduce(_new_Index, (pd.MultiIndex, small), {"_levels": short}),  # 75f-4b
    ]
    if how in ("2", "5"):  # a struct whose field b was moved past the item (75f-5)
        data = pickle.dumps(np.zeros(4, dtype=[("a", "<f8"), ("b", "<f8")]), protocol=int(how))
        assert data.count(b"K\x08") == 1
        r = scan_bytes(data.replace(b"K\x08", b"K\x38"), "m.pkl")
        assert r.verdict == "unsafe", [f.message for f in r.findings]
    for obj in tampered:
        r = scan_bytes(dump_as(obj, how), "m.pkl")
        assert r.verdict == "unsafe", (type(obj).__name__, [f.message for f in r.findings])


# -- red team 77f: around the 75f rules -------------------------------------------------------------


def test_block_ends_past_int32_are_not_safe() -> None:
    # check_integrity adds start + length in int32: an end past 2**31 - 1 wraps negative and
    # passes, and BlockUnion then counts overlapping points twice (77f-1: SIGSEGV on a + b)
    verdict, msgs = _verdict(_sparse(_block_index(5, [0, 2 ** 31 - 2], [1, 2]), 3))
    assert verdict == "suspicious", msgs
    assert any("may end past 2**31 - 1" in m for m in msgs), msgs


def test_sparse_values_of_a_zero_size_dtype_are_not_safe() -> None:
    # a Sparse[bool] op views the values as bytes: a 0-byte dtype gives none to read (77f-2)
    v0 = b"cnumpy\ndtype\n" + _u("V0") + b"\x89\x88\x87R(K\x03" + _u("|") + b"NNNK\x00K\x01K\x00tb"
    values = b"cnumpy._core.numeric\n_frombuffer\n(B\x00\x00\x00\x00" + v0 + _i(3) + b"\x85" + _u("C") + b"tR"
    state = b"}(" + _u("_sparse_index") + _int_index(10, [1, 4, 7]) + _u("_sparse_values") + values + \
        _u("_dtype") + b"Nu"
    data = b"\x80\x03cpandas.core.arrays.sparse.array\nSparseArray\n)\x81" + state + b"b."
    verdict, msgs = _verdict(data)
    assert verdict == "suspicious", msgs
    assert any("values' dtype" in m for m in msgs), msgs
