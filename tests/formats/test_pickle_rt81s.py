"""Red team 81s-1 (proof: /work/redteam-81s/81s-1): a scipy.optimize result (listed by fp80) whose
``repr()`` runs code. ``_RichResult.__repr__`` sorts the items with
``order_keys.index(key.lower())``, ``order_keys = getattr(self, '_order_keys', ...)``; the items are
attributes (``__getattr__`` hands them out), so ``_order_keys`` may be a second result whose item
``index`` is ``torch.storage._load_from_bytes`` — called with the first key, a bytes pickle. Now:
the items of such a dict subclass answer the container-method names its class lacks (the duck rule
of a state's attributes), a stored gadget is judged as a state's, and a result's keys and
``_order_keys`` must be what scipy writes (str names, a list of them)."""

from __future__ import annotations

import pickle

import pytest

from tests.formats.pickle_ops import EMPTY_DICT, EMPTY_LIST, MARK, NEWOBJ, SETITEMS, STOP, glob, proto, s, walk
from tests.formats.test_pickle_fp80 import _OPT, _ROOT, _bad, _result

PAYLOAD = b"(\x8c\x16touch /tmp/pwned-81s-1ios\nsystem\n."


def _inner(cls: tuple[str, str], key: str, value: bytes) -> bytes:
    """A result object (NEWOBJ + SETITEMS) left on the stack: ``{key: value}``."""
    return glob(*cls) + b")" + NEWOBJ + MARK + s(key) + value + SETITEMS


def _bytes(b: bytes) -> bytes:
    return b"C" + bytes([len(b)]) + b


@pytest.mark.parametrize("cls", [_OPT, _ROOT])
def test_81s1_an_order_keys_result_with_a_loader_as_index_is_unsafe(cls: tuple[str, str]) -> None:
    items = (_bytes(PAYLOAD) + b"G?\xf0\x00\x00\x00\x00\x00\x00" + s("_order_keys")
             + _inner(_OPT, "index", glob("torch.storage", "_load_from_bytes")) + s("x") + b"K\x01")
    rep = walk(_result(cls, items))
    assert rep.verdict == "unsafe", _bad(rep)


@pytest.mark.parametrize("name", ["index", "count", "get", "lower"])
def test_81s1_a_container_method_name_the_class_lacks_holding_a_gadget_is_unsafe(name: str) -> None:
    rep = walk(proto(4) + _inner(_OPT, name, glob("torch.storage", "_load_from_bytes")) + STOP)
    if name == "get":  # dict.get is the class's own (found first, never the item): a stored gadget only
        assert rep.verdict != "safe", _bad(rep)
    else:
        assert rep.verdict == "unsafe", _bad(rep)


def test_81s1_a_bunch_item_holding_a_gadget_is_not_safe() -> None:
    rep = walk(proto(4) + _inner(("sklearn.utils._bunch", "Bunch"), "index",
                                  glob("torch.storage", "_load_from_bytes")) + STOP)
    assert rep.verdict == "unsafe", _bad(rep)


@pytest.mark.parametrize("value", [EMPTY_DICT, glob("numpy", "add"), s("message")])
def test_81s1_order_keys_that_is_no_list_of_names_is_suspicious(value: bytes) -> None:
    rep = walk(_result(_OPT, s("_order_keys") + value + s("x") + b"K\x01"))
    assert rep.verdict != "safe", _bad(rep)


def test_81s1_a_non_str_key_is_suspicious() -> None:
    rep = walk(_result(_OPT, _bytes(b"abc") + b"K\x01" + s("x") + b"K\x01"))
    assert rep.verdict != "safe", _bad(rep)


def test_81s1_order_keys_as_scipy_writes_it_stays_safe() -> None:
    names = EMPTY_LIST + MARK + s("x") + s("fun") + b"e"
    rep = walk(_result(_ROOT, s("_order_keys") + names + s("root") + b"K\x01" + s("x") + b"K\x01"))
    assert rep.verdict == "safe", _bad(rep)


def test_81s1_the_red_team_object_is_unsafe_in_every_writer() -> None:
    so = pytest.importorskip("scipy.optimize")
    torch_storage = pytest.importorskip("torch.storage")
    keys = so.OptimizeResult()
    keys["index"] = torch_storage._load_from_bytes
    res = so.OptimizeResult()
    res[PAYLOAD] = 1.0
    res["_order_keys"] = keys
    res["x"] = 1.0
    for protocol in (2, 4, 5):
        rep = walk(pickle.dumps(res, protocol=protocol))
        assert rep.verdict == "unsafe", (protocol, _bad(rep))


def test_81s1_real_results_stay_safe() -> None:
    so = pytest.importorskip("scipy.optimize")
    import numpy as np

    for res in (so.minimize(lambda v: float((v ** 2).sum()), np.array([1.0, 2.0])),
                so.root_scalar(lambda v: v - 1, bracket=[0, 3]), so.linprog([1, 1], A_ub=[[-1, -1]], b_ub=[-1])):
        for protocol in (2, 4, 5):
            rep = walk(pickle.dumps(res, protocol=protocol))
            assert rep.verdict == "safe", (protocol, _bad(rep))
