"""Red team 20a: a partial chain mixing certain copies and "cannot tell" levels. ``partial.__new__``
copies an inner partial only when it has no ``__dict__``; where mlbom cannot tell whether a level
has one, both readings (copied, followed live) are kept, through any number of further partials
made from it, and every reading the uncertainty allows is judged (20a-1: the second flatten kept
only the copied reading and called it certain). The keywords dict a level keeps by reference is
held wherever the chain is called later, so items set in it afterwards are judged.

The real loader's behaviour is proven with stdlib gadgets only (``builtins.open`` of a scratch
file, ``pickle.loads`` in a throw-away subprocess); mlbom's verdicts use numpy's
``__generator_ctor`` and dateutil's ``tzfile``, which mlbom never imports (static names only)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.formats.pickle_ops import (
    BUILD,
    EMPTY_DICT,
    EMPTY_TUPLE,
    MARK,
    POP,
    SETITEMS,
    STOP,
    TUPLE,
    call,
    categorical_with_state,
    defaultdict_of,
    get,
    glob,
    ids,
    proto,
    put,
    s,
    walk,
)


def _partial() -> bytes:
    return glob("functools", "partial")


def _uncertain_r(func: bytes) -> bytes:
    """R = partial(int); R.__setstate__((func, (), K, OrderedDict())): R's __dict__ is an object
    mlbom cannot read (so whether partial(R) copies R cannot be told); R memo 0, K memo 4."""
    p = call(_partial(), glob("builtins", "int")) + put(0) + POP
    return p + get(0) + MARK + func + EMPTY_TUPLE + EMPTY_DICT + put(4) + call(glob("collections", "OrderedDict")) \
        + TUPLE + BUILD + POP


def _chain(func: bytes, levels: int) -> bytes:
    """R (see _uncertain_r), then ``levels`` partials each made from the last: P1 = partial(R),
    P2 = partial(P1) ...; the last one memo 1."""
    p = _uncertain_r(func)
    last = get(0)
    for n in range(levels):
        p += call(_partial(), last) + put(10 + n) + POP
        last = get(10 + n)
    return p + last + put(1) + POP


def _fill_k(*items: tuple[str, bytes]) -> bytes:
    return get(4) + MARK + b"".join(s(k) + v for k, v in items) + SETITEMS + POP


def _attack(levels: int, path: str = "/tmp/x") -> bytes:
    """20a-1: K <- {bit_generator_name: PATH, bit_generator_ctor: tzfile} after the chain was made;
    defaultdict(last) in pandas Categorical's BUILD: the loader calls last() = R() =
    __generator_ctor(PATH, tzfile) = tzfile(PATH)."""
    p = _chain(glob("numpy.random._pickle", "__generator_ctor"), levels)
    p += _fill_k(("bit_generator_name", s(path)), ("bit_generator_ctor", glob("dateutil.tz._tzfile", "tzfile")))
    return proto(4) + p + categorical_with_state(defaultdict_of(get(1))) + STOP


@pytest.mark.parametrize("levels", [1, 2, 3, 5])
def test_20a_1_a_chain_with_an_uncertain_level_keeps_the_live_reading(levels: int) -> None:
    rep = walk(_attack(levels))
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


@pytest.mark.parametrize("levels", [1, 2, 3])
def test_20a_1_keywords_filled_after_the_factory_call_are_judged_again(levels: int) -> None:
    # the defaultdict was judged with R's keywords dict K empty: items set in K afterwards are
    # what the loader's later call passes, so the call is judged again with them
    p = proto(4) + _chain(glob("numpy.random._pickle", "__generator_ctor"), levels)
    p += categorical_with_state(defaultdict_of(get(1))) + POP
    harmless = walk(p + get(1) + STOP)
    assert harmless.verdict != "unsafe", harmless.findings
    late = p + _fill_k(("bit_generator_name", s("/tmp/x")),
                       ("bit_generator_ctor", glob("dateutil.tz._tzfile", "tzfile"))) + get(1) + STOP
    rep = walk(late)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def _loader_calls_opens(data: bytes, target: Path) -> bool:
    """Whether ``pickle.loads(data)()`` (in a throw-away subprocess) opens ``target``."""
    code = ("import pickle, sys\nopened = []\n"
            "sys.addaudithook(lambda ev, a: opened.append(str(a[0])) if ev == 'open' and a else None)\n"
            "try:\n    pickle.loads(bytes.fromhex(sys.argv[1]))()\nexcept Exception:\n    pass\n"
            "print(sys.argv[2] in opened)\n")
    out = subprocess.run([sys.executable, "-c", code, data.hex(), str(target)], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    return out == ["True"]


@pytest.mark.parametrize("levels", [1, 2, 3])
def test_20a_1_the_real_loader_follows_r_live_through_every_copy(tmp_path: Path, levels: int) -> None:
    target = tmp_path / "secret"
    target.write_text("x")
    data = proto(4) + _chain(glob("builtins", "open"), levels) + _fill_k(("file", s(str(target)))) + get(1) + STOP
    assert _loader_calls_opens(data, target)


def test_20a_1_real_partials_of_partials_stay_as_they_were() -> None:
    # partial(partial(partial(int, 1))) with no __dict__ anywhere: certain copies, judged once
    import functools
    import pickle

    rep = walk(pickle.dumps(functools.partial(functools.partial(functools.partial(int, "1")))))
    assert rep.verdict in ("safe", "suspicious"), rep.findings
    assert "pickle.dangerous-callable" not in ids(rep)


def _uncertain_levels(func: bytes, levels: int) -> bytes:
    """P0 = partial(func, '/tmp/x'); then P_i = partial(P_i-1), each given a BUILD dict state
    (attributes mlbom cannot place on a partial: whether the next one copies it cannot be told),
    so every level adds a reading; defaultdict(P_last) in pandas Categorical's BUILD."""
    p = call(_partial(), func, s("/tmp/x")) + put(0) + POP
    for n in range(1, levels + 1):
        p += call(_partial(), get(n - 1)) + EMPTY_DICT + BUILD + put(n) + POP
    return proto(4) + p + categorical_with_state(defaultdict_of(get(levels))) + STOP


@pytest.mark.parametrize("levels", [3, 20, 60])
def test_20a_1_many_uncertain_levels_are_judged_within_bounds(levels: int) -> None:
    rep = walk(_uncertain_levels(glob("dateutil.tz._tzfile", "tzfile"), levels))
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings
    harmless = walk(_uncertain_levels(glob("builtins", "int"), levels))
    assert harmless.verdict != "unsafe", harmless.findings
