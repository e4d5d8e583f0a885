"""Red team 19a: partials called later. A partial held as an instance attribute library code calls
(``dict(ns)`` calls ``ns.keys()``) is judged again when a later ``__setstate__`` changes it (19a-1);
``partial(P)`` made by ``partial.__new__`` COPIES the inner partial P (CPython's partial_new, when P
has no ``__dict__``): its function, bound arguments and a copy of its keywords dict, so later changes
to P do not reach it (19a-2, 19a-3), while ``__setstate__((P, ...))`` holds P live; a partial
changed again and again is judged within one budget, the same plain state again costs nothing, and
past the budget a change is judged as a call (19a-4). A tiny ``dict(ns)`` pickle is not said to
hold more container items than mlbom keeps (19a note).

The real loader's behaviour is proven with stdlib gadgets only (``builtins.open`` of a scratch file,
``pickle.loads`` in a throw-away subprocess); mlbom's verdicts use dateutil's ``tzfile``, which mlbom
never imports (static names only)."""

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
    NEWOBJ,
    NEWOBJ_EX,
    NONE,
    POP,
    SETITEM,
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
from tests.helpers import pickle_load_opens


def _tzfile() -> bytes:
    return glob("dateutil.tz._tzfile", "tzfile")


def _open() -> bytes:
    return glob("builtins", "open")


def _int() -> bytes:
    return glob("builtins", "int")


def _partial() -> bytes:
    return glob("functools", "partial")


def _pstate(func: bytes, args: bytes = EMPTY_TUPLE, kw: bytes = EMPTY_DICT, d: bytes = NONE) -> bytes:
    """partial.__setstate__'s (func, args, kwds, dict)."""
    return MARK + func + args + kw + d + TUPLE


def _set(memo: int, func: bytes, args: bytes = EMPTY_TUPLE, kw: bytes = EMPTY_DICT, d: bytes = NONE) -> bytes:
    """memo[memo].__setstate__((func, args, kw, d)) by BUILD, the stack left as it was."""
    return get(memo) + _pstate(func, args, kw, d) + BUILD + POP


def _namespace_keys(value: bytes, host: str = "builtins.dict") -> bytes:
    """ns = Namespace(); ns.__dict__['keys'] = value; then host(ns): dict()/OrderedDict() look
    ``keys`` up on the instance and call it."""
    mod, name = host.rsplit(".", 1)
    ns = glob("argparse", "Namespace") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + s("keys") + value + SETITEM + BUILD
    return call(glob(mod, name), ns)


def _made(how: str, inner: bytes) -> bytes:
    """partial(inner) made by partial.__new__ in each way a pickle can reach it."""
    if how == "reduce":
        return call(_partial(), inner)
    if how == "newobj":
        return _partial() + MARK + inner + TUPLE + NEWOBJ
    if how == "newobj_ex":
        return _partial() + MARK + inner + TUPLE + EMPTY_DICT + NEWOBJ_EX
    if how == "copyreg_newobj":
        return call(glob("copyreg", "__newobj__"), _partial(), inner)
    if how == "copyreg_newobj_ex":
        return call(glob("copyreg", "__newobj_ex__"), _partial(), MARK + inner + TUPLE, EMPTY_DICT)
    assert how == "reconstructor"
    return call(glob("copyreg", "_reconstructor"), _partial(), _partial(), inner)


_MADE = ["reduce", "newobj", "newobj_ex", "copyreg_newobj", "copyreg_newobj_ex", "reconstructor"]


def _loader_opens(data: bytes, target: Path, after: str = "") -> bool:
    """Whether the real pickle.loads of ``data`` (then ``after`` run on its result ``r``) opens ``target``."""
    code = ("import pickle, sys\nopened = []\n"
            "sys.addaudithook(lambda ev, a: opened.append(str(a[0])) if ev == 'open' and a else None)\n"
            "try:\n    r = pickle.loads(bytes.fromhex(sys.argv[1]))\n" + (f"    {after}\n" if after else "")
            + "except Exception:\n    pass\nprint(sys.argv[2] in opened)\n")
    out = subprocess.run([sys.executable, "-c", code, data.hex(), str(target)], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    return out == ["True"]


# -- 19a-1: a partial held as a duck-called attribute, changed afterwards --------------------------

def _late_duck(gadget: bytes, path: str, host: str = "builtins.dict") -> bytes:
    p = call(_partial(), _int()) + put(0) + POP                      # P = partial(int)
    ns = glob("argparse", "Namespace") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + s("keys") + get(0) + SETITEM + BUILD
    p += ns + put(1) + POP                                            # ns.keys = P
    p += _set(0, gadget, MARK + s(path) + TUPLE)                      # P <- gadget(PATH)
    mod, name = host.rsplit(".", 1)
    return proto(2) + p + call(glob(mod, name), get(1)) + STOP


@pytest.mark.parametrize("host", ["builtins.dict", "collections.OrderedDict"])
def test_19a_1_a_duck_called_partial_changed_later_is_judged_again(host: str) -> None:
    rep = walk(_late_duck(_tzfile(), "/tmp/x", host))
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_19a_1_a_shadowing_partial_changed_later_is_judged_again() -> None:
    # OrderedDict.move_to_end is a method of the class: an instance attribute hides it
    p = call(_partial(), _int()) + put(0) + POP
    od = glob("collections", "OrderedDict") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + s("move_to_end") + get(0)
    p += od + SETITEM + BUILD + POP
    p += _set(0, _tzfile(), MARK + s("/tmp/x") + TUPLE)
    rep = walk(proto(2) + p + NONE + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_19a_1_a_duck_called_partial_left_harmless_stays_below_unsafe() -> None:
    p = call(_partial(), _int()) + put(0) + POP
    p += _set(0, _int(), MARK + s("7") + TUPLE)
    ns = glob("argparse", "Namespace") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + s("keys") + get(0) + SETITEM + BUILD
    rep = walk(proto(2) + p + call(glob("builtins", "dict"), ns) + STOP)
    assert rep.verdict == "suspicious", rep.findings


@pytest.mark.parametrize("host", ["builtins.dict", "collections.OrderedDict"])
def test_19a_1_the_real_loader_calls_the_changed_partial(tmp_path: Path, host: str) -> None:
    target = tmp_path / "secret"
    target.write_text("x")
    assert _loader_opens(_late_duck(_open(), str(target), host), target)


# -- 19a-2: partial(P) copies P ----------------------------------------------------------------

def _copied_then_switched(how: str, gadget: bytes, path: str, switch: bool = True) -> tuple[bytes, bytes]:
    """P = partial(int); P <- gadget(PATH); Q = partial(P) (a copy); P <- int(): (the stream
    up to Q memoised as 1, and Q)."""
    p = call(_partial(), _int()) + put(0) + POP
    p += _set(0, gadget, MARK + s(path) + TUPLE)
    p += _made(how, get(0)) + put(1) + POP
    if switch:
        p += _set(0, _int())
    return proto(2) + p, get(1)


@pytest.mark.parametrize("how", _MADE)
def test_19a_2_a_copied_partial_keeps_what_it_copied(how: str) -> None:
    pre, q = _copied_then_switched(how, _tzfile(), "/tmp/x")
    rep = walk(pre + categorical_with_state(defaultdict_of(q)) + STOP)  # a factory called at load
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings
    rep = walk(pre + _namespace_keys(q) + STOP)  # a duck-called attribute
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_19a_2_a_later_change_of_the_inner_partial_does_not_reach_the_copy() -> None:
    # P = partial(int); Q = partial(P) (a copy of int()); P <- tzfile(PATH): Q() is int()
    p = call(_partial(), _int()) + put(0) + POP
    p += call(_partial(), get(0)) + put(1) + POP
    p += _set(0, _tzfile(), MARK + s("/tmp/x") + TUPLE)
    rep = walk(proto(2) + p + categorical_with_state(defaultdict_of(get(1))) + STOP)
    assert rep.verdict != "unsafe", rep.findings


@pytest.mark.parametrize("d", [EMPTY_DICT, EMPTY_DICT + s("a") + NONE + SETITEM])
def test_19a_2_an_inner_partial_with_a_dict_is_held_live(d: bytes) -> None:
    # a __dict__ (any object but None, unchecked) stops the copy: Q calls P, whatever P is then
    p = call(_partial(), _int()) + put(0) + POP
    p += _set(0, _int(), d=d)
    p += call(_partial(), get(0)) + put(1) + POP
    p += _set(0, _tzfile(), MARK + s("/tmp/x") + TUPLE, d=d)
    rep = walk(proto(2) + p + categorical_with_state(defaultdict_of(get(1))) + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_19a_2_setstate_holds_the_inner_partial_live() -> None:
    p = call(_partial(), _int()) + put(0) + POP
    p += call(_partial(), _int()) + _pstate(get(0)) + BUILD + put(1) + POP  # Q.__setstate__((P, ...))
    p += _set(0, _tzfile(), MARK + s("/tmp/x") + TUPLE)
    rep = walk(proto(2) + p + categorical_with_state(defaultdict_of(get(1))) + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_19a_2_an_inner_partial_mlbom_cannot_tell_has_a_dict_is_judged_as_copied_too() -> None:
    # the dict is a call's result (None or not: mlbom cannot tell): the copy is judged too
    d = call(glob("collections", "OrderedDict"))
    p = call(_partial(), _int()) + put(0) + POP
    p += _set(0, _tzfile(), MARK + s("/tmp/x") + TUPLE, d=d)
    p += call(_partial(), get(0)) + put(1) + POP
    rep = walk(proto(2) + p + categorical_with_state(defaultdict_of(get(1))) + STOP)
    assert rep.verdict == "unsafe", rep.findings


@pytest.mark.parametrize("how", _MADE)
def test_19a_2_the_real_loader_calls_what_was_copied(tmp_path: Path, how: str) -> None:
    target = tmp_path / "secret"
    target.write_text("x")
    pre, q = _copied_then_switched(how, _open(), str(target))
    assert _loader_opens(pre + _namespace_keys(q) + STOP, target)
    # and the converse: a change after the copy does not reach it
    p = call(_partial(), _int()) + put(0) + POP + _made(how, get(0)) + put(1) + POP
    p += _set(0, _open(), MARK + s(str(target)) + TUPLE)
    assert not _loader_opens(proto(2) + p + get(1) + STOP, target, after="r()")
    p = call(_partial(), _int()) + put(0) + POP + _set(0, _int(), d=EMPTY_DICT) + _made(how, get(0)) + put(1) + POP
    p += _set(0, _open(), MARK + s(str(target)) + TUPLE, d=EMPTY_DICT)
    assert _loader_opens(proto(2) + p + get(1) + STOP, target, after="r()")  # with a __dict__: live


def test_19a_2_the_real_loader_opens_the_file_through_a_copied_factory(tmp_path: Path) -> None:
    pytest.importorskip("dateutil")
    pytest.importorskip("pandas")
    target = tmp_path / "secret"
    target.write_text("not a tz file")
    pre, q = _copied_then_switched("reduce", _tzfile(), str(target))
    data = pre + categorical_with_state(defaultdict_of(q)) + STOP
    assert pickle_load_opens(data, target)
    assert walk(data).verdict == "unsafe"


# -- 19a-3: the copied keywords dict -------------------------------------------------------------

def _copied_keywords(path: str, ctor: bytes, overwrite: bool = True) -> tuple[bytes, bytes]:
    """P = partial(f) with state (f, (), K, None), K = {name: PATH, ctor: ctor}; Q = partial(P)
    (a copy of K's items); K's items overwritten with harmless ones: (stream, Q)."""
    gen = glob("numpy.random._pickle", "__generator_ctor")
    p = call(_partial(), gen) + put(0) + POP
    p += get(0) + MARK + gen + EMPTY_TUPLE + EMPTY_DICT + put(2) + NONE + TUPLE + BUILD + POP
    p += get(2) + MARK + s("bit_generator_name") + s(path) + s("bit_generator_ctor") + ctor + SETITEMS + POP
    p += call(_partial(), get(0)) + put(1) + POP
    if overwrite:
        p += get(2) + MARK + s("bit_generator_name") + s("MT19937") + s("bit_generator_ctor")
        p += glob("numpy.random._pickle", "__bit_generator_ctor") + SETITEMS + POP
    return proto(2) + p, get(1)


def test_19a_3_the_copied_keywords_are_judged_not_the_dicts_last_items() -> None:
    pre, q = _copied_keywords("/tmp/x", _tzfile())
    rep = walk(pre + categorical_with_state(defaultdict_of(q)) + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_19a_3_the_real_loader_copies_the_keywords(tmp_path: Path) -> None:
    # stdlib stand-in: P = partial(open) with K = {file: PATH}; Q = partial(P); K[file] = other
    target = tmp_path / "secret"
    target.write_text("x")
    p = call(_partial(), _open()) + put(0) + POP
    p += get(0) + MARK + _open() + EMPTY_TUPLE + EMPTY_DICT + put(2) + NONE + TUPLE + BUILD + POP
    p += get(2) + s("file") + s(str(target)) + SETITEM + POP
    p += call(_partial(), get(0)) + put(1) + POP
    p += get(2) + s("file") + s(str(tmp_path / "other")) + SETITEM + POP
    assert _loader_opens(proto(2) + p + get(1) + STOP, target, after="r()")


# -- 19a-4: the re-judge budget ------------------------------------------------------------------

def _budget(harmless: int, distinct: bool) -> bytes:
    """64 factories Q_k = partial with state (P, (), {}, None) (live), ``harmless`` changes of P,
    then P <- tzfile(PATH); a Categorical host reads a missing key of the last factory."""
    p = call(_partial(), _int()) + put(0) + POP
    for _k in range(64):
        q = call(_partial(), _int()) + _pstate(get(0)) + BUILD
        p += defaultdict_of(q) + put(1) + POP
    for n in range(harmless):
        p += _set(0, _int(), MARK + b"J" + n.to_bytes(4, "little") + TUPLE if distinct else EMPTY_TUPLE)
    p += _set(0, _tzfile(), MARK + s("/tmp/x") + TUPLE)
    return proto(2) + p + categorical_with_state(get(1)) + STOP


def test_19a_4_harmless_repetition_costs_nothing() -> None:
    rep = walk(_budget(70, False))
    assert rep.verdict == "unsafe", rep.findings
    assert not any("budget" in f.message for f in rep.findings), rep.findings


def test_19a_4_past_the_budget_a_change_is_judged_as_a_call() -> None:
    rep = walk(_budget(200, True))
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


# -- a tiny dict(ns) pickle and the config reading -----------------------------------------------

def test_19a_a_tiny_dict_of_a_namespace_is_not_said_to_exceed_bounds() -> None:
    from mlbom.scanner import scan_bytes

    r = scan_bytes(_late_duck(_tzfile(), "/tmp/x"), "ns.pkl")
    msgs = [x.message for x in r.findings]
    assert not any("more container items than mlbom keeps" in m for m in msgs), msgs
