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

import io
import pickle
import struct

import pytest

from mlbom.scanner import scan_bytes


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
    joblib = pytest.importorskip("joblib")

    def dumps(obj: object) -> bytes:
        out = io.BytesIO()
        if how == "joblib":
            joblib.dump(obj, out, compress=3)
        elif how == "pandas-gzip":
            pd.to_pickle(obj, out, compression="gzip")
        else:
            return pickle.dumps(obj, protocol=int(how))
        return out.getvalue()

    rng = np.random.RandomState(0)
    mixed = pd.DataFrame({"a": rng.rand(9), "b": rng.randint(0, 5, 9), "c": rng.rand(9), "d": ["x"] * 9})
    real = [mixed, pd.DataFrame(rng.rand(5, 40)), pd.Series(rng.rand(4)), np.random.RandomState(1),
            np.random.Generator(np.random.Philox(2)), np.random.default_rng(3)]
    for obj in real:
        r = scan_bytes(dumps(obj), "m.pkl")
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
        r = scan_bytes(dumps(obj), "m.pkl")
        assert r.verdict == "unsafe", (type(obj).__name__, [f.message for f in r.findings])
