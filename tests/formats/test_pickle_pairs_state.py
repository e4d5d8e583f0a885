"""Red team 55f-4: ``nn.Module.__setstate__`` runs ``self.__dict__.update(state)``, and
``dict.update`` unpacks each item of a list state as ``k, v = item``: a 2-item tuple, but also a
2-character str (``'ab'`` sets ``a``), 2 bytes, a 2-key dict or a 2-element object array. A state
of pairs with one such item hid every attribute the other pairs set (a ``forward`` set to
``numpy.poly1d`` scanned ``safe``; ``model(x)`` then calls it). Each item is unpacked as Python
does; one mlbom cannot read leaves the attributes unknown; an item that is certainly no pair
makes ``update`` raise (nothing is set, the load fails). Real pickles of pandas objects, whose
tuple states hold indexes, arrays and dtypes, stay ``safe``."""

from __future__ import annotations

import pickle

import pytest

from mlbom.scanner import scan_bytes


def _u(text: str) -> bytes:
    raw = text.encode()
    return b"X" + len(raw).to_bytes(4, "little") + raw


_FORWARD = _u("forward") + b"cnumpy\npoly1d\n\x86"  # ('forward', numpy.poly1d)


def _linear(*items: bytes, container: bytes = b"l") -> bytes:
    state = b"(" + b"".join(items) + container
    return b"\x80\x02ctorch.nn.modules.linear\nLinear\n)\x81" + state + b"b."


@pytest.mark.parametrize(("what", "extra"), [
    ("a 2-character str", _u("ab")),
    ("2 bytes", b"C\x02ab"),
    ("a 2-key dict", b"}(" + _u("x") + b"K\x01" + _u("y") + b"K\x02u"),
])
def test_a_pair_python_unpacks_does_not_hide_the_others(what: str, extra: bytes) -> None:
    assert scan_bytes(_linear(_FORWARD), "m.pkl").verdict == "unsafe"
    for container in (b"l", b"t"):
        r = scan_bytes(_linear(_FORWARD, extra, container=container), "m.pkl")
        assert r.verdict == "unsafe", (what, [f.message for f in r.findings])
        assert any("'forward'" in f.message for f in r.findings)


def test_an_object_array_of_two_is_read_as_its_pair() -> None:
    np = pytest.importorskip("numpy")
    array = pickle.dumps(np.array(["forward", np.poly1d], dtype=object), protocol=2)[2:-1]  # no memo used outside
    r = scan_bytes(_linear(array), "m.pkl")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    r = scan_bytes(_linear(array, _u("ab")), "m.pkl")
    assert r.verdict == "unsafe", [f.message for f in r.findings]


def test_an_item_mlbom_cannot_unpack_leaves_the_attributes_unknown() -> None:
    # an object of a class whose iteration mlbom does not model (a pandas Series of two)
    series = b"cpandas.core.series\nSeries\n)\x81}b"
    r = scan_bytes(_linear(_FORWARD.replace(b"cnumpy\npoly1d\n", b"K\x01"), series), "m.pkl")
    assert r.verdict in ("suspicious", "unsafe"), [f.message for f in r.findings]


def test_an_item_that_is_certainly_no_pair_sets_nothing() -> None:
    # dict.update raises on an int item: the load fails, nothing is set (the walk still sees the global)
    r = scan_bytes(_linear(_u("training") + b"\x88\x86", b"K\x05"), "m.pkl")
    assert r.verdict == "safe", [f.message for f in r.findings]


@pytest.mark.parametrize("proto", [2, 5])
def test_real_pandas_objects_stay_safe(proto: int) -> None:
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    objects = [pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), pd.Series(pd.array(["p", "q"], dtype="string")),
               pd.Series(["a", "b"], index=pd.CategoricalIndex(["x", "y"])),
               pd.DataFrame(np.ones((2, 2)), columns=pd.MultiIndex.from_tuples([(1, 2), (3, 4)])),
               pd.Series([1, 2], index=pd.Index(["forward", "x"], dtype=object)),
               pd.DataFrame({"t": pd.date_range("2024", periods=2, tz="UTC")})]
    for obj in objects:
        r = scan_bytes(pickle.dumps(obj, protocol=proto), "frame.pkl")
        assert r.verdict == "safe", (obj, [f.message for f in r.findings])


@pytest.mark.parametrize("opcodes", [b"\x8f(" + b"cnumpy\npoly1d\n" + _u("forward") + b"\x90",
                                     b"(" + b"cnumpy\npoly1d\n" + _u("forward") + b"\x91"])
def test_a_set_of_two_is_unpacked_in_an_order_no_scan_knows(opcodes: bytes) -> None:
    # red team 57f-2: a set iterates in hash order (str hashes are salted per process), not in the
    # pickle's: {numpy.poly1d, 'forward'} set forward in 8 of 8 processes
    r = scan_bytes(_linear(opcodes).replace(b"\x80\x02", b"\x80\x04", 1), "m.pkl")
    assert r.verdict in ("suspicious", "unsafe"), [f.message for f in r.findings]


def test_an_array_of_two_strs_names_an_attribute_mlbom_does_not_read() -> None:
    np = pytest.importorskip("numpy")
    array = pickle.dumps(np.array(["__array_interface__", "x"]), protocol=2)[2:-1]
    assert scan_bytes(_linear(array), "m.pkl").verdict in ("suspicious", "unsafe")
    numbers = pickle.dumps(np.array([1.0, 2.0]), protocol=2)[2:-1]
    assert scan_bytes(_linear(numbers), "m.pkl").verdict == "safe"


def test_a_dict_with_keys_mlbom_does_not_keep_is_no_pair_it_can_read() -> None:
    # red team 58f-3: {'forward': 0, numpy.poly1d: 0} unpacks to its two keys, forward = numpy.poly1d;
    # the class key (its value a number) was kept nowhere, so the dict looked like one key
    item = b"}(" + _u("forward") + b"K\x00cnumpy\npoly1d\nK\x00u"
    r = scan_bytes(_linear(item), "m.pkl")
    assert r.verdict in ("suspicious", "unsafe"), [f.message for f in r.findings]
    assert any("cannot read" in f.message or "did not track" in f.message or "unknown" in f.message
               for f in r.findings), [f.message for f in r.findings]


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_numpy_random_states_stay_safe(protocol: int) -> None:
    # a numpy 2 bit generator pickles its state as (state dict, SeedSequence); its own
    # __setstate__ unpacks the tuple, no dict.update: a RandomState inside a fitted
    # GradientBoosting model (its _rng) was suspicious after 55f-4 (CI of stop 38)
    np = pytest.importorskip("numpy")
    for value in (np.random.RandomState(0), np.random.default_rng(0), np.random.PCG64DXSM(1),
                  np.random.Philox(2), np.random.SFC64(3), np.random.MT19937(4)):
        r = scan_bytes(pickle.dumps(value, protocol=protocol), "rng.pkl")
        assert r.verdict == "safe", (type(value).__name__, [f.message for f in r.findings])
