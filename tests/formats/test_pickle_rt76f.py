"""Red team 76f: native state no pickle scanner checked, read by compiled code with bounds checks off.

- 76f-1: a numpy sub-array dtype ``(float64, (N,))`` whose pickled item size is 8: a field view
  spans ``8 * N`` bytes of an 8-byte item (SIGSEGV on ``repr``; heap pointers returned as data).
- 76f-2: a Series' or DataFrame's block holding fewer rows than its index (3 values under a
  ``RangeIndex(10**8)``): ``SingleBlockManager.__setstate__`` (every Series pandas writes), NEWOBJ's
  ``__cinit__``, the 0.14.1 state and ``verify_integrity=False`` never compare them, and
  ``repr``/``take``/``sort_index`` read the values at the index's positions (SIGSEGV).
- 76f-3: HDBSCAN's ``_single_linkage_tree_`` merging a node of 10**9 (or -3): ``dbscan_clustering``'s
  union-find reads and writes ``data[x]`` there (SIGSEGV).
- 76f-4: FeatureHasher/HashingVectorizer ``n_features = 0``: ``abs(h) % n_features`` in C (SIGFPE).
- 76f-5: a neighbours estimator's ``n_samples_fit_`` smaller than its fitted samples: its graphs
  name columns past their width, which ``toarray`` writes (SIGSEGV).

Hand-built pickles need neither numpy nor pandas; real objects run in the scikit-learn tier.
"""

from __future__ import annotations

import io
import pickle
import struct

import pytest

from mlbom.scanner import scan_bytes
from tests.formats.pickle_ops import dump_as


def _u(s: str) -> bytes:
    return b"X" + struct.pack("<I", len(s.encode())) + s.encode()


def _i(v: int) -> bytes:
    return b"J" + struct.pack("<i", v) if -(1 << 31) <= v < 1 << 31 else b"\x8a\x08" + struct.pack("<q", v)


def _f8() -> bytes:
    return b"cnumpy\ndtype\n" + _u("f8") + b"\x89\x88\x87R(K\x03" + _u("<") + \
        b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"


def _verdict(data: bytes) -> tuple[str, list[str]]:
    r = scan_bytes(data, "m.pkl")
    return r.verdict, [f.message for f in r.findings]


def _subarray_array(count: int, elsize: int) -> bytes:
    """An array of 2 items of dtype ``V{elsize}`` whose state is a sub-array of ``count`` float64."""
    dt = b"cnumpy\ndtype\n" + _u(f"V{elsize}") + b"\x89\x88\x87R(K\x03" + _u("|") + _f8() + _i(count) + \
        b"\x85\x86NN" + _i(elsize) + b"K\x08K\x00tb"
    body = b"\x00" * (2 * elsize)
    return b"\x80\x03cnumpy._core.multiarray\n_reconstruct\n(cnumpy\nndarray\nK\x00\x85C\x01btR" + \
        b"(K\x01K\x02\x85" + dt + b"\x89C" + bytes([len(body)]) + body + b"tb."


@pytest.mark.parametrize(("count", "elsize", "verdict"), [
    (4, 32, "safe"), (1, 8, "safe"),
    (1_000_000_000, 8, "unsafe"), (64, 8, "unsafe"), (5, 32, "unsafe"),  # 76f-1
    (-1, 8, "unsafe"), (2, -8, "unsafe"),  # 77f-3: a layout mlbom could not compute silenced the rule
])
def test_a_sub_array_must_fit_its_item(count: int, elsize: int, verdict: str) -> None:
    got, msgs = _verdict(_subarray_array(count, elsize))
    assert got == verdict, msgs
    if verdict == "unsafe" and elsize > 0:
        assert any("sub-array" in m for m in msgs), msgs


def _values(rows: int) -> bytes:
    """numpy._core.numeric._frombuffer(<1 x rows float64>, dtype('f8'), (1, rows), 'C')."""
    raw = b"\x00" * (8 * rows)
    return b"cnumpy._core.numeric\n_frombuffer\n(B" + struct.pack("<I", len(raw)) + raw + _f8() + \
        _i(1) + _i(rows) + b"\x86" + _u("C") + b"tR"


def _range_index(n: int) -> bytes:
    return b"cpandas.core.indexes.base\n_new_Index\ncpandas\nRangeIndex\n}(" + _u("start") + _i(0) + _u("stop") + \
        _i(n) + _u("step") + _i(1) + b"u\x86R"


def _manager(rows: int, index: int, how: bytes) -> bytes:
    """BlockManager((_unpickle_block(values, slice(0, 1), 2),), [['a'], RangeIndex(index)], ...)."""
    block = b"cpandas._libs.internals\n_unpickle_block\n(" + _values(rows) + b"cbuiltins\nslice\n" + _i(0) + _i(1) + \
        _i(1) + b"\x87R" + _i(2) + b"tR"
    axes = b"](](" + _u("a") + b"e" + _range_index(index) + b"e"
    head = b"\x80\x03cpandas.core.internals.managers\nBlockManager\n"
    if how == b"cinit":
        return head + b"(" + block + b"\x85" + axes + b"t\x81."
    verify = b"\x88" if how == b"verified" else b"\x89"
    return head + b"(" + block + b"\x85" + axes + verify + b"tR."


@pytest.mark.parametrize("how", [b"cinit", b"unverified", b"verified"])
def test_a_block_as_long_as_the_index_is_safe(how: bytes) -> None:
    verdict, msgs = _verdict(_manager(3, 3, how))
    assert verdict == "safe", msgs


@pytest.mark.parametrize("how", [b"cinit", b"unverified"])
def test_a_block_shorter_than_its_index_is_unsafe(how: bytes) -> None:
    verdict, msgs = _verdict(_manager(3, 100_000_000, how))
    assert verdict == "unsafe", msgs
    assert any("a block holds 3 rows under an index of 100000000" in m for m in msgs), msgs
    # BlockManager(..., verify_integrity=True) compares the shapes itself, at the call; mlbom still
    # compares them at the end of the stream (a later BUILD may change a block: red team 79f), so a
    # file pandas refuses to load is reported too — no pandas writes it
    assert _verdict(_manager(3, 100_000_000, b"verified"))[0] == "unsafe"


# -- real objects (scikit-learn tier: pandas, numpy and scikit-learn installed) -------------------


@pytest.mark.sklearn
@pytest.mark.parametrize("how", ["4", "joblib", "pandas-gzip"])
def test_real_series_frames_and_estimators_stay_safe_and_tampered_ones_do_not(how: str) -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("joblib")
    from sklearn.cluster import HDBSCAN
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.neighbors import KNeighborsTransformer, NearestNeighbors

    rng = np.random.default_rng(0)
    x = rng.random((40, 3))
    real: list[object] = [
        pd.Series([1.0, 2.0, 3.0]), pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]}),
        pd.Series([1.0, 2.0], index=pd.interval_range(0, 2)), pd.Series([1, 2, 3], index=pd.Index(pd.array([1, None, 3]))),
        pd.DataFrame({"v": [1, 2]}, index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)])),
        FeatureHasher(n_features=8), HashingVectorizer(n_features=32),
        NearestNeighbors(algorithm="brute").fit(x), NearestNeighbors(algorithm="kd_tree").fit(x),
        KNeighborsTransformer().fit(x), HDBSCAN(copy=True).fit(x),
    ]
    for obj in real:
        r = scan_bytes(dump_as(obj, how), "m.pkl")
        assert r.verdict == "safe", (type(obj).__name__, [f.message for f in r.findings])

    tampered: list[object] = [FeatureHasher(n_features=8), HashingVectorizer(n_features=32),
                              NearestNeighbors(algorithm="brute").fit(x), KNeighborsTransformer().fit(x),
                              HDBSCAN(copy=True).fit(x)]
    tampered[0].n_features = 0  # type: ignore[attr-defined]
    tampered[1].n_features = 0  # type: ignore[attr-defined]
    tampered[2].n_samples_fit_ = 2  # type: ignore[attr-defined]
    tampered[3].n_samples_fit_ = 2  # type: ignore[attr-defined]
    tampered[4]._single_linkage_tree_["right_node"][5] = 10 ** 9  # type: ignore[attr-defined]
    for obj in tampered:
        r = scan_bytes(dump_as(obj, how), "m.pkl")
        assert r.verdict == "unsafe", (type(obj).__name__, [f.message for f in r.findings])
    if how == "4":
        # what pandas writes for a Series (SingleBlockManager.__setstate__), its RangeIndex
        # stretched (76f-2); pandas 3 writes a DataFrame's manager as BlockManager(blocks, axes),
        # whose _verify_integrity compares the rows itself (the load raises: safe)
        for obj in (pd.Series([1.0, 2.0, 3.0]),):
            data = pickle.dumps(obj, protocol=4)
            assert data.count(b"\x8c\x04stop\x94K\x03") == 1
            data = data.replace(b"\x8c\x04stop\x94K\x03", b"\x8c\x04stop\x94J" + struct.pack("<i", 10 ** 8))
            r = scan_bytes(data, "m.pkl")
            assert r.verdict == "unsafe", [f.message for f in r.findings]
            assert any("3 rows under an index of 100000000" in f.message for f in r.findings)


# -- red team 78f: around the 76f rules -------------------------------------------------------------


class _NewObj:
    """Pickles as ``cls.__new__(cls)`` + BUILD ``state`` (NEWOBJ, as pandas writes its managers)."""

    def __init__(self, cls: type, state: object) -> None:
        self._cls, self._state = cls, state

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # pickle's NEWOBJ check reads obj.__class__
        return self._cls

    def __reduce_ex__(self, proto: object) -> tuple[object, ...]:
        import copyreg

        return (copyreg.__newobj__, (self._cls,), self._state)


@pytest.mark.sklearn
def test_blocks_must_match_their_manager_in_every_dimension() -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    from pandas.core.internals.managers import SingleBlockManager
    from sklearn.neighbors import NearestNeighbors

    def series(values: object, n: int, k: int) -> bytes:
        idx = pd.RangeIndex(n)
        state = ([idx], [values], [idx], {"0.14.1": {"axes": [idx], "blocks": [{"values": values,
                                                                                  "mgr_locs": slice(0, k, 1)}]}})
        return pickle.dumps(_NewObj(pd.Series, {"_mgr": _NewObj(SingleBlockManager, state), "_typ": "series",
                                                 "_metadata": ["_name"], "attrs": {}, "_name": None}), protocol=4)

    assert scan_bytes(series(np.arange(3.0), 3, 3), "m.pkl").verdict == "safe"
    assert scan_bytes(series(pd.array(np.arange(3), dtype="Int64"), 3, 3), "m.pkl").verdict == "safe"
    # 78f-1: an extension array longer than the index (groupby's cumulative kernels loop over it)
    r = scan_bytes(series(pd.array(np.arange(64), dtype="Int64"), 3, 3), "m.pkl")
    assert r.verdict == "unsafe" and any("64 rows under an index of 3" in f.message for f in r.findings), r.findings
    # 78f-2: a 2-D numpy block in a Series, its last dimension the index's length
    r = scan_bytes(series(np.zeros((2, 4000)), 4000, 4000), "m.pkl")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    # 78f-3: a neighbours estimator whose n_features_in_ is wider than what it was fitted on
    nn = NearestNeighbors(algorithm="brute").fit(np.zeros((5, 2)))
    nn.n_features_in_ = 1000
    r = scan_bytes(pickle.dumps(nn, protocol=5), "m.pkl")
    assert r.verdict == "unsafe" and any("n_features_in_ is 1000 for 2" in f.message for f in r.findings)


# -- red team 79f: the same state changed after the manager was judged -------------------------------


class _Rebuild:
    """A marker :class:`_RawPickler` writes as ``<target> <state> BUILD``: a second BUILD on an
    object already pickled (pandas never writes one)."""

    def __init__(self, target: object, state: object) -> None:
        self.target, self.state = target, state


class _RawPickler(pickle._Pickler):  # type: ignore[name-defined,misc]
    def save(self, obj: object, save_persistent_id: bool = True) -> None:
        if isinstance(obj, _Rebuild):
            self.save(obj.target)
            self.save(obj.state)
            self.write(pickle.BUILD)
            return
        super().save(obj, save_persistent_id)


def _raw_dumps(obj: object) -> bytes:
    out = io.BytesIO()
    _RawPickler(out, protocol=4).dump(obj)
    return out.getvalue()


@pytest.mark.sklearn
def test_what_the_blocks_hold_is_judged_at_the_end_of_the_stream() -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    from pandas.core.internals.managers import SingleBlockManager

    # 79f-1: a masked array BUILT again after the Series' manager (64 values under 3 labels)
    s = pd.Series(pd.array([0, 1, 2], dtype="Int64"))
    state = dict(s.__getstate__())
    state["_zz"] = _Rebuild(s._mgr.blocks[0].values, {"_data": np.arange(64), "_mask": np.zeros(64, dtype=bool)})
    r = scan_bytes(_raw_dumps(_NewObj(pd.Series, state)), "m.pkl")
    assert r.verdict == "unsafe" and any("64 rows under an index of 3" in f.message for f in r.findings), r.findings
    # 79f-3: a block BUILT again after BlockManager(blocks, axes) verified it
    df = pd.DataFrame({"a": np.arange(100.0)})
    dstate = dict(df.__getstate__())
    dstate["_zz"] = _Rebuild(df._mgr.blocks[0], (slice(0, 1, 1), np.array([[1.5, 2.5, 3.5]]), 2))
    r = scan_bytes(_raw_dumps(_NewObj(pd.DataFrame, dstate)), "m.pkl")
    assert r.verdict == "unsafe" and any("3 rows under an index of 100" in f.message for f in r.findings)
    # 79f-4: a SingleBlockManager given two axes (its Series' index is the first)
    big, small = pd.RangeIndex(1000), pd.RangeIndex(3)
    values = np.array([["a", "b", "c"]], dtype=object)
    legacy = ([big, small], [values], [big], {"0.14.1": {"axes": [big, small], "blocks": [
        {"values": values, "mgr_locs": slice(0, 1, 1)}]}})
    r = scan_bytes(pickle.dumps(_NewObj(pd.Series, {"_mgr": _NewObj(SingleBlockManager, legacy), "_typ": "series",
                                                     "_metadata": ["_name"], "attrs": {}, "_name": None}),
                                protocol=4), "m.pkl")
    assert r.verdict == "unsafe" and any("given 2 axes" in f.message for f in r.findings), r.findings
    # what pandas writes stays safe
    for obj in (s, df, pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64"), "b": [1.0, 2, 3]})):
        assert scan_bytes(pickle.dumps(obj, protocol=4), "m.pkl").verdict == "safe"
