"""Issue 106: pickles under 1 MB made of one repeated opcode pattern (nested tuples, lists
appended to a list, BUILDs of one object, SETITEMs with None keys ...) took 1-3 s. The config
post-pass (:func:`mlbom.formats.config_targets.pickle_targets`) rebuilt a plain copy of the whole
value even when nothing in it could be a target; the walk now proves that case
(``PickleReport.no_targets``) and the scanner skips the pass. The work is asserted as counted
calls, never as time."""

from __future__ import annotations

import argparse
import collections
import io
import pickle
import random

import pytest

from mlbom.formats import config_targets, pickle_values
from mlbom.formats import pickle as pickle_fmt
from mlbom.formats.pickle import Limits, read_pickle
from mlbom.scanner import scan_bytes
from tests.helpers import counting_calls


def _rep(unit: bytes, n: int, head: bytes = b"\x80\x04", tail: bytes = b".") -> bytes:
    return head + unit * n + tail


# (unit, head, tail): the shapes of the issue, n repetitions each
SHAPES = {
    "tuple1": (b"\x85", b"\x80\x04N", b"."),
    "list-append": (b"]a", b"\x80\x04]", b"."),
    "list-memo": (b"]\x94", b"\x80\x04(", b"l."),
    "mark-list-append": (b"(la", b"\x80\x04]", b"."),
    "setitem-none": (b"NNs", b"\x80\x04}", b"."),
    "bytes-append": (b"C\x00a", b"\x80\x04]", b"."),
    "build": (b"}b", b"\x80\x04\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R", b"."),
    "reduce": (b"h\x00)R0", b"\x80\x04\x8c\x0bcollections\x8c\x0bOrderedDict\x93\x94", b"."),
}


def test_target_keys_are_the_ones_pickle_targets_looks_for() -> None:
    assert frozenset((*config_targets.MARKERS, *config_targets.INIT_ARGS, "type")) == pickle_values.TARGET_KEYS


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_no_config_pass_where_nothing_can_be_a_target(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    unit, head, tail = SHAPES[name]
    with counting_calls(monkeypatch, config_targets, "pickle_targets") as calls, \
            counting_calls(monkeypatch, config_targets, "_dict_sources") as nodes:
        res = scan_bytes(_rep(unit, 5000, head, tail), "x.pkl")
    assert res.verdict in ("safe", "suspicious"), res.findings
    assert (calls[0], nodes[0]) == (0, 0)


@pytest.mark.parametrize(("value", "finding"), [
    ({"state_dict": {}, "hyper_parameters": {"net": {"_target_": "os.system"}}}, "code.dangerous-target"),
    ({"hyper_parameters": {"class_path": "torch.nn.Linear", "init_args": {}}}, "code.remote"),
    ({"hyper_parameters": {"a": "${oc.env:HOME}"}}, "config.env-read"),
    (argparse.Namespace(model={"_target_": "builtins.eval"}), "code.dangerous-target"),
    (collections.OrderedDict(cfg=[({"_target_": "subprocess.Popen"},)]), "code.dangerous-target"),
])
def test_config_pass_runs_where_a_target_may_be(monkeypatch: pytest.MonkeyPatch, value: object,
                                                finding: str) -> None:
    for proto in (0, 2, 4):
        data = pickle.dumps(value, protocol=proto)
        with counting_calls(monkeypatch, config_targets, "pickle_targets") as calls:
            res = scan_bytes(data, "x.pkl")
        assert calls[0] == 1
        assert finding in {f.id for f in res.findings}, (proto, res.findings)


def test_unkept_items_keep_the_config_pass() -> None:
    # past the cell budget a container's items are not kept: what it held is not known
    data = pickle.dumps([[i] for i in range(50)], protocol=4)
    assert read_pickle(io.BytesIO(data), len(data)).no_targets
    assert not read_pickle(io.BytesIO(data), len(data), limits=Limits(cells=20)).no_targets
    d = pickle.dumps({f"k{i}": i for i in range(50)}, protocol=2)
    assert not read_pickle(io.BytesIO(d), len(d), limits=Limits(cells=20)).no_targets


_KEYS = ["_target_", "class_path", "init_args", "dict_kwargs", "_instantiator", "_class_path", "type", "cls", "a", "lr"]
_STRS = ["os.system", "${a}", "x${y", "$", "${", "plain", "module.Class"]


def _value(rnd: random.Random, depth: int) -> object:
    k = rnd.randrange(9 if depth < 4 else 4)
    if k == 0:
        return rnd.choice(_STRS)
    if k == 1:
        return rnd.choice([None, True, 3, 2.5, b"x"])
    if k == 2:
        return rnd.choice(_KEYS)
    if k == 3:
        return rnd.randrange(1000)
    if k in (4, 5):
        return {rnd.choice([*_KEYS, 1, None]): _value(rnd, depth + 1) for _ in range(rnd.randrange(4))}
    if k == 6:
        return [_value(rnd, depth + 1) for _ in range(rnd.randrange(4))]
    if k == 7:
        return tuple(_value(rnd, depth + 1) for _ in range(rnd.randrange(3)))
    return collections.OrderedDict((rnd.choice(_KEYS), _value(rnd, depth + 1)) for _ in range(rnd.randrange(3)))


def test_no_targets_is_proven_never_guessed() -> None:
    """Wherever the walk says its data holds no target, the full post-pass finds none."""
    rnd = random.Random(106)
    skipped = judged = 0
    for i in range(600):
        data = pickle.dumps(_value(rnd, 0), protocol=i % 6)
        for limits in (None, Limits(cells=6)):
            rep = read_pickle(io.BytesIO(data), len(data), limits=limits)
            if rep.value is None:
                continue
            if rep.no_targets:
                skipped += 1
                assert config_targets.pickle_targets(rep.value) is None, data
            else:
                judged += 1
    assert skipped > 100 and judged > 100


@pytest.mark.parametrize("name", ["build", "reduce", "setitem-none", "list-append"])
def test_work_per_opcode_is_constant(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """The class of an object is asked a bounded number of times per opcode, however long the
    stream."""
    unit, head, tail = SHAPES[name]

    def work(n: int) -> tuple[int, int]:
        data = _rep(unit, n, head, tail)
        with counting_calls(monkeypatch, pickle_fmt, "instance_class") as calls:
            rep = read_pickle(io.BytesIO(data), len(data))
        assert rep.complete
        return calls[0], rep.opcodes

    small, ops = work(2000)
    large, ops_large = work(8000)
    assert small <= 3 * ops and large <= 3 * ops_large
    assert large <= 4 * small + 16


def test_build_makes_no_call_arguments_it_does_not_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    """BUILD looks ``__setstate__`` up first: the call's argument tuple is made only when an
    instance attribute may supply it (one tuple per BUILD before, 900 KB of BUILDs made 450,000)."""
    unit, head, tail = SHAPES["build"]
    data = _rep(unit, 5000, head, tail)
    with counting_calls(monkeypatch, pickle_values.Seq, "__init__") as made:
        rep = read_pickle(io.BytesIO(data), len(data))
    assert rep.complete and rep.opcodes > 10_000
    assert made[0] <= 2  # the empty argument tuple of the OrderedDict() call


def _rebuilds(n: int) -> bytes:
    """One OrderedDict built ``n`` times over with a fresh empty state each time (no pickler writes it)."""
    return _rep(b"}b", n, b"\x80\x04\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R")


def test_objects_built_again_and_again_are_not_judged_past_the_bound() -> None:
    # a pickler saves each object's state once, right after it: BUILD after BUILD on one object
    # is no pickler's output, and each is judged in full (a 900 KB file of them took 1.2 s)
    small = scan_bytes(_rebuilds(50), "x.pkl")
    assert small.verdict == "safe" and not any(f.id == "pickle.limit" for f in small.findings)
    limits = Limits(rebuilds=100)
    rep = read_pickle(io.BytesIO(_rebuilds(102)), None, limits=limits)  # the first BUILD and 101 more
    assert rep.error and "BUILDs on objects already built" in rep.error
    assert any(f.id == "pickle.limit" and f.effect == "error" for f in rep.findings)
    assert read_pickle(io.BytesIO(_rebuilds(101)), None, limits=limits).error is None
    big = scan_bytes(_rebuilds(Limits().rebuilds + 2), "x.pkl")
    assert big.verdict == "error" and any(f.id == "pickle.limit" for f in big.findings)


def test_two_objects_built_in_turn_count_as_rebuilds() -> None:
    # alternating between two objects defeats "the same BUILD again" but not the bound
    head = (b"\x80\x04\x8c\x0bcollections\x8c\x0bOrderedDict\x93\x94)R\x94h\x00)R\x94")
    data = head + b"00" + b"h\x01}b0h\x02}b0" * 60 + b"N."  # memo objects 1 and 2 built in turn
    rep = read_pickle(io.BytesIO(data), None, limits=Limits(rebuilds=100))
    assert rep.error and "already built" in rep.error
