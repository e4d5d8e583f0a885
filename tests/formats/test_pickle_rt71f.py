"""Red team 71f: native state of two allowlisted classes every real pickle holds.

- 71f-1: a DataFrame's ``BlockManager(blocks, axes)`` verifies only that its blocks' placements
  hold as many items as its columns; the first column access builds the block lookup arrays in
  Cython (bounds checks off), writing at every placement index: ``slice(10**8, 10**8 + 2)`` was a
  heap write at an offset the file chose (SIGSEGV under pickle.load, read_pickle and joblib.load).
- 71f-2: numpy's MT19937 ``pos`` and Philox ``buffer_pos`` are taken unchecked by the state
  setters; the next draw reads the key or buffer at them (SIGSEGV, or heap contents as numbers).

Hand-built pickles here need neither numpy nor pandas; real frames and generators run in the
scikit-learn tier (which installs pandas)."""

from __future__ import annotations

import pickle
import struct
from collections.abc import Callable

import pytest

from mlbom.scanner import scan_bytes
from tests.formats.pickle_ops import dump_as


def _u(s: str) -> bytes:
    return b"X" + struct.pack("<I", len(s.encode())) + s.encode()


def _i(v: int) -> bytes:
    return b"J" + struct.pack("<i", v) if -(1 << 31) <= v < 1 << 31 else b"\x8a\x08" + struct.pack("<q", v)


def _frame(start: int, op: bytes = b"R", axis: bytes = b"]" + b"(" + _u("a") + _u("b") + b"e") -> bytes:
    """A BlockManager of one block placed at slice(start, start + 2), its columns ``axis``."""
    block = b"cpandas._libs.internals\n_unpickle_block\n(" + b"N" + \
        b"cbuiltins\nslice\n" + _i(start) + _i(start + 2) + _i(1) + b"\x87R" + _i(2) + b"tR"
    axes = b"](" + axis + b")e"  # [columns, an empty tuple for the rows]
    return b"\x80\x02cpandas.core.internals.managers\nBlockManager\n" + block + b"\x85" + axes + b"\x86" + op + b"."


def _verdict(data: bytes) -> tuple[str, list[str]]:
    r = scan_bytes(data, "m.pkl")
    return r.verdict, [f.message for f in r.findings]


def test_block_placements_inside_the_columns_are_safe() -> None:
    verdict, msgs = _verdict(_frame(0))
    assert verdict == "safe", msgs


@pytest.mark.parametrize("start", [100_000_000, 1_000, 1])
def test_block_placements_past_the_columns_are_unsafe(start: int) -> None:
    verdict, msgs = _verdict(_frame(start))
    assert verdict == "unsafe", msgs
    assert any("BlockManager" in m and f"items {start}..{start + 1} of 2" in m for m in msgs), msgs


def test_newobj_skips_the_verification_so_the_columns_axis_decides() -> None:
    # NEWOBJ runs __cinit__ only (no _verify_integrity): the columns' own length must bound them
    verdict, msgs = _verdict(_frame(0, op=b"\x81"))
    assert verdict == "safe", msgs
    verdict, msgs = _verdict(_frame(1, op=b"\x81"))
    assert verdict == "unsafe", msgs
    # columns mlbom cannot size: it cannot bound the placements
    verdict, msgs = _verdict(_frame(0, op=b"\x81", axis=b"N"))
    assert verdict == "suspicious", msgs


def _bit_generator(pos: int, philox: bool = False) -> bytes:
    cls = b"cnumpy.random._philox\nPhilox\n" if philox else b"cnumpy.random._mt19937\nMT19937\n"
    state = (b"}(" + _u("bit_generator") + _u("Philox") + _u("buffer_pos") + _i(pos) + b"u") if philox else \
        (b"}(" + _u("bit_generator") + _u("MT19937") + _u("state") + b"}(" + _u("pos") + _i(pos) + b"uu")
    return b"\x80\x02cnumpy.random._pickle\n__bit_generator_ctor\n" + cls + b"\x85R" + state + b"N\x86b."


@pytest.mark.parametrize(("pos", "philox", "verdict"), [
    (624, False, "safe"), (0, False, "safe"), (625, False, "unsafe"), (-1, False, "unsafe"),
    (10 ** 8, False, "unsafe"), (4, True, "safe"), (-6, True, "unsafe"), (5, True, "unsafe"),
])
def test_bit_generator_positions(pos: int, philox: bool, verdict: str) -> None:
    got, msgs = _verdict(_bit_generator(pos, philox))
    assert got == verdict, msgs


# -- real objects (scikit-learn tier: pandas and numpy installed) ---------------------------------


@pytest.mark.sklearn
@pytest.mark.parametrize("how", ["2", "5", "joblib", "pandas-gzip"])
def test_real_frames_and_generators_stay_safe_and_tampered_ones_do_not(how: str) -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("joblib")

    rng = np.random.RandomState(0)
    mixed = pd.DataFrame({"a": rng.rand(9), "b": rng.randint(0, 5, 9), "c": rng.rand(9), "d": ["x"] * 9})
    real = [mixed, pd.DataFrame(rng.rand(5, 40)), pd.Series(rng.rand(4)), np.random.RandomState(1),
            np.random.Generator(np.random.Philox(2)), np.random.default_rng(3)]
    for obj in real:
        r = scan_bytes(dump_as(obj, how), "m.pkl")
        assert r.verdict == "safe", (type(obj).__name__, [f.message for f in r.findings])
    far = mixed.copy()
    far._mgr.blocks[0]._mgr_locs = type(far._mgr.blocks[0]._mgr_locs)(np.array([0, 10 ** 8]))  # a float block
    rs = np.random.RandomState(1)
    state = list(rs.get_state())
    state[2] = 10 ** 8
    rs.set_state(tuple(state))
    ph = np.random.Philox(2)
    st = ph.state
    st["buffer_pos"] = -6
    ph.state = st
    for obj in (far, rs, np.random.Generator(ph)):
        r = scan_bytes(dump_as(obj, how), "m.pkl")
        assert r.verdict == "unsafe", (type(obj).__name__, [f.message for f in r.findings])


# -- red team 72f: the same states reached by the other routes pandas and numpy read -------------


def _arr(n: int) -> bytes:
    """numpy._core.numeric._frombuffer(<n int64 zeros>, dtype('i8'), (n,), 'C'), protocol 3."""
    dtype = b"cnumpy\ndtype\n" + _u("i8") + b"\x89\x88\x87R(K\x03" + _u("<") + \
        b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    return b"cnumpy._core.numeric\n_frombuffer\n(B" + struct.pack("<I", 8 * n) + b"\0" * 8 * n + dtype + \
        _i(n) + b"\x85" + _u("C") + b"tR"


@pytest.mark.parametrize("wrap", [b"]", b")"])  # a list, or a 3-tuple: item 0 is the state (72f-1)
def test_a_bit_generator_state_in_any_sequence_is_read(wrap: bytes) -> None:
    state = b"}(" + _u("bit_generator") + _u("MT19937") + _u("state") + b"}(" + _u("pos") + _i(10 ** 8) + b"uu"
    seq = b"](" + state + b"Ne" if wrap == b"]" else b"(" + state + b"NNt"
    data = b"\x80\x02cnumpy.random._pickle\n__bit_generator_ctor\ncnumpy.random._mt19937\nMT19937\n\x85R" + seq + b"b."
    verdict, msgs = _verdict(data)
    assert verdict == "unsafe", msgs


@pytest.mark.parametrize("ctor,state", [
    (b"__randomstate_ctor\n" + _u("MT19937") + b"\x85",
     b"}(" + _u("bit_generator") + _u("MT19937") + _u("state") + b"}(" + _u("pos") + _i(700) + b"uu"),
    (b"__randomstate_ctor\n)", b"](" + _u("MT19937") + b"N" + _i(-1) + b"e"),  # set_state's legacy list
    (b"__generator_ctor\n" + _u("Philox") + b"\x85", b"}(" + _u("bit_generator") + _u("Philox") +
     _u("buffer_pos") + _i(-6) + b"u"),
])
def test_states_given_to_what_numpys_helpers_made_are_read(ctor: bytes, state: bytes) -> None:
    data = b"\x80\x02cnumpy.random._pickle\n" + ctor + b"R" + state + b"b."
    verdict, msgs = _verdict(data)
    assert verdict == "unsafe", msgs  # 72f-2: the helper's result was never judged


def test_a_block_state_replaces_its_placement() -> None:
    block = b"cpandas._libs.internals\n_unpickle_block\n(N" + b"cbuiltins\nslice\n" + _i(0) + _i(2) + _i(1) + \
        b"\x87R" + _i(2) + b"tR" + b"(" + b"cbuiltins\nslice\n" + _i(10 ** 8) + _i(10 ** 8 + 2) + _i(1) + \
        b"\x87RN" + _i(2) + b"tb"  # Block.__setstate__((slice(10**8, ...), values, 2)) (72f-3)
    axes = b"](](" + _u("a") + _u("b") + b"e)e"
    data = b"\x80\x02cpandas.core.internals.managers\nBlockManager\n" + block + b"\x85" + axes + b"\x86R."
    verdict, msgs = _verdict(data)
    assert verdict == "unsafe", msgs


def _legacy(mapping: Callable[[bytes], bytes], axis: bytes, start: int = 0, count: int = 2) -> bytes:
    """NEWOBJ BlockManager, then BUILD (None, None, None, mapping({"0.14.1": {axes, blocks}}))."""
    locs = b"cbuiltins\nslice\n" + _i(start) + _i(start + count) + _i(1) + b"\x87R"
    inner = b"}(" + _u("axes") + b"](" + axis + b")e" + _u("blocks") + b"](}(" + _u("values") + b"N" + \
        _u("mgr_locs") + locs + b"ueu"
    return b"\x80\x02cpandas.core.internals.managers\nBlockManager\n)\x81(NNN" + mapping(inner) + b"tb."


def test_legacy_frame_states_mlbom_cannot_bound_are_not_safe() -> None:
    plain = b"](" + _u("a") + _u("b") + b"e"
    as_dict = lambda inner: b"}(" + _u("0.14.1") + inner + b"u"  # noqa: E731
    as_ordered = lambda inner: b"ccollections\nOrderedDict\n)R(" + _u("0.14.1") + inner + b"ub"  # noqa: E731
    assert _verdict(_legacy(as_dict, plain))[0] == "safe"
    assert _verdict(_legacy(as_dict, plain, start=5))[0] == "unsafe"
    # an OrderedDict is a mapping too (72f-4); a list of lists is a MultiIndex as long as its items (72f-5)
    assert _verdict(_legacy(as_ordered, plain, start=5))[0] != "safe"
    lists = b"](" + b"](K\x00e" * 8 + b"e"
    assert _verdict(_legacy(as_dict, lists, count=8))[0] != "safe"


def test_an_index_is_as_long_as_its_dict_was_when_made() -> None:
    # NEWOBJ skips the verification: the columns' length (3, as _new_Index saw its dict) bounds
    # the placement 5..6; a later SETITEM of a 10-item array into the same dict changes nothing (72f-6)
    index = b"cpandas.core.indexes.base\n_new_Index\ncpandas\nIndex\n}q\x00(" + _u("data") + _arr(3) + b"u\x86R"
    block = b"cpandas._libs.internals\n_unpickle_block\n(N" + b"cbuiltins\nslice\n" + _i(5) + _i(7) + _i(1) + \
        b"\x87R" + _i(2) + b"tR"
    frame = b"cpandas.core.internals.managers\nBlockManager\n" + block + b"\x85](" + index + b")e\x86\x81"
    later = b"h\x00" + _u("data") + _arr(10) + b"s0"
    verdict, msgs = _verdict(b"\x80\x03" + frame + later + b".")
    assert verdict == "unsafe", msgs
    assert any("items 5..6 of 3" in m for m in msgs), msgs


def test_an_ndarray_backed_two_tuple_state_without_data_is_unsafe() -> None:
    # pandas 3 takes (data, dtype): (None, dtype) leaves _ndarray None, and repr reads through it
    dtype = b"cpandas\nCategoricalDtype\n)\x81}(" + _u("categories") + b"N" + _u("ordered") + b"\x89ub"
    data = b"\x80\x02cpandas._libs.arrays\n__pyx_unpickle_NDArrayBacked\ncpandas\nCategorical\n" + \
        _i(82904607) + b"N\x87R" + b"N" + dtype + b"\x86b."
    verdict, msgs = _verdict(data)
    assert verdict == "unsafe", msgs


@pytest.mark.sklearn
def test_categorical_codes_past_their_categories_are_unsafe() -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("joblib")
    real = [pd.Categorical(["a", "b", "a", None]), pd.Categorical(np.arange(300) % 257),
            pd.Categorical(pd.date_range("2020", periods=4)), pd.DataFrame({"c": pd.Categorical(["u", "v"] * 5)})]
    for obj in real:
        for data in (pickle.dumps(obj, protocol=4), pickle.dumps(obj, protocol=2)):
            r = scan_bytes(data, "m.pkl")
            assert r.verdict == "safe", (obj, [f.message for f in r.findings])
    bad = pd.Categorical(np.arange(200) * 7)
    bad._ndarray[0] = 30000  # int16 codes: a read 240 KB past the categories (72f-7)
    for data, name in ((pickle.dumps(bad, protocol=4), "m.pkl"), (pickle.dumps({"c": bad}, protocol=2), "m.pkl"),
                       (dump_as(bad, "joblib"), "m.joblib")):
        r = scan_bytes(data, name)
        assert r.verdict == "unsafe", [f.message for f in r.findings]
        assert any("its codes" in f.message for f in r.findings)


# -- red team 73f: MultiIndex codes, masked arrays' masks, a CategoricalDtype changed after BUILD -


class _Reduce:
    """Pickles as REDUCE(func, args) [+ BUILD state]."""

    def __init__(self, func: object, args: tuple[object, ...], state: object = None) -> None:
        self.f, self.a, self.s = func, args, state

    def __reduce__(self) -> tuple[object, ...]:
        return (self.f, self.a) if self.s is None else (self.f, self.a, self.s)


def _newobj(cls: type, state: object) -> _Reduce:
    """Pickles as NEWOBJ(cls) + BUILD state, as the pickler writes a plain object (the pickler
    checks that the object's ``__class__`` is the class it names)."""
    import copyreg

    class Posing(_Reduce):
        __class__ = property(lambda self: cls)  # type: ignore[assignment]

    return Posing(copyreg.__newobj__, (cls,), state)  # type: ignore[attr-defined]


@pytest.mark.sklearn
def test_multiindex_codes_masks_and_categories_as_built_are_checked() -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    mi = pd.MultiIndex(levels=[np.arange(40000) * 3], codes=[np.arange(5, dtype=np.int32)])
    real = [mi, pd.MultiIndex.from_arrays([[1, None, 3], ["x", "y", None]]), pd.array([1, None], dtype="Int64"),
            pd.array([True, None], dtype="boolean")]
    for obj in real:
        r = scan_bytes(pickle.dumps(obj, protocol=4), "m.pkl")
        assert r.verdict == "safe", (obj, [f.message for f in r.findings])
    bad_codes = np.arange(5, dtype=np.int32)
    bad_codes[0] = 2_000_000_000  # take_1d with bounds checks off (73f-1)
    bad_mi = pd.MultiIndex(levels=[np.arange(40000) * 3], codes=[bad_codes], verify_integrity=False)
    short = pd.array(np.zeros(1000, dtype=np.int8), dtype="Int8")
    short._mask = np.zeros(1, dtype=bool)  # unique/value_counts read _mask past its end (73f-2)
    for obj in (bad_mi, pd.Series([0, 1, 2, 3, 4], index=bad_mi), short, pd.DataFrame({"a": short})):
        r = scan_bytes(pickle.dumps(obj, protocol=4), "m.pkl")
        assert r.verdict == "unsafe", (type(obj).__name__, [f.message for f in r.findings])
    # 73f-3: CategoricalDtype.__setstate__ pops its categories at BUILD; a later SETITEM of 40,000
    # categories into the same dict does not reach the dtype, which keeps 3
    codes = np.arange(6, dtype=np.int32) % 3
    codes[0] = 30000
    dstate = {"categories": pd.Index(np.arange(3) * 7), "ordered": False}
    cat = _newobj(pd.Categorical, (codes, _newobj(pd.CategoricalDtype, dstate), {}))
    data = pickle.dumps((cat, dstate, "categories", pd.Index(np.zeros(40000, dtype=np.int64))), protocol=2)
    body = data[:-1]
    body = body[:-2] if body[-2:-1] == b"q" else body[:-5] if body[-5:-4] == b"r" else body
    assert body[2:3] == b"(" and body[-1:] == b"t"
    r = scan_bytes(body[:2] + body[3:-1] + b"s0.", "m.pkl")  # ... SETITEM, POP: the Categorical
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert any("index 3 categories" in f.message for f in r.findings), [f.message for f in r.findings]


@pytest.mark.sklearn
def test_multiindex_legacy_labels_and_ragged_codes_are_checked() -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    # 74f-2: codes arrays of different lengths (each inside its level): is_lexsorted reads level 1's
    # codes over level 0's length
    ragged = pd.MultiIndex(levels=[np.arange(4), [0]], codes=[np.zeros(1000, dtype=np.int8), np.zeros(1, np.int8)],
                           verify_integrity=False)
    r = scan_bytes(pickle.dumps(ragged, protocol=4), "m.pkl")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert any("different lengths" in f.message for f in r.findings)
    # 74f-1: _new_Index renames a legacy 'labels' key to 'codes'
    bad = np.arange(5, dtype=np.int32)
    bad[0] = 2_000_000_000
    mi = pd.MultiIndex(levels=[np.arange(40000) * 3], codes=[bad], verify_integrity=False)
    data = pickle.dumps(mi, protocol=2)  # no frames: the key can grow by a byte
    key = b"X\x05\x00\x00\x00codes"
    assert data.count(key) == 1
    r = scan_bytes(data.replace(key, b"X\x06\x00\x00\x00labels"), "m.pkl")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert any("index a level of 40000" in f.message for f in r.findings)
