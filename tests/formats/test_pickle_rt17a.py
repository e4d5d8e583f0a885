"""Red team 17a: defaultdict factories whose call mlbom judged too early or read wrongly: a
partial's arguments bound after the defaultdict is made (17a-1), ``copyreg._reconstructor(
defaultdict, defaultdict, F)`` (17a-2), partials made by copyreg's helpers (17a-3), a memoised
state changed and applied again (17a-4), a partial of a partial (17a-5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.formats.pickle_ops import (
    BUILD,
    EMPTY_DICT,
    EMPTY_TUPLE,
    MARK,
    NEWOBJ,
    NONE,
    STOP,
    TUPLE,
    adam_with_group,
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

POP = b"0"
SETITEM = b"s"
TUPLE2 = b"\x86"


def _tzfile() -> bytes:
    return glob("dateutil.tz._tzfile", "tzfile")


def _partial() -> bytes:
    return glob("functools", "partial")


def _pstate(func: bytes, *args: bytes) -> bytes:
    """partial.__setstate__'s (func, args, None, None)."""
    return MARK + func + MARK + b"".join(args) + TUPLE + NONE + NONE + TUPLE


def _set_partial(func: bytes, *args: bytes) -> bytes:
    """partial(func) then BUILD (func, args, None, None): what pickle writes for a partial."""
    return call(_partial(), func) + _pstate(func, *args) + BUILD


# -- 17a-3: a partial made by copyreg.__newobj__ / __newobj_ex__ / _reconstructor ------------------

def _newobj(func: bytes, *args: bytes) -> bytes:
    return call(glob("copyreg", "__newobj__"), _partial(), func, *args)


def _newobj_ex(func: bytes, *args: bytes) -> bytes:
    return call(glob("copyreg", "__newobj_ex__"), _partial(), MARK + func + b"".join(args) + TUPLE, EMPTY_DICT)


def _reconstructed(func: bytes) -> bytes:
    return call(glob("copyreg", "_reconstructor"), _partial(), _partial(), func)


@pytest.mark.parametrize("host", [adam_with_group, categorical_with_state])
@pytest.mark.parametrize("made", ["newobj", "newobj_ex"])
def test_17a_3_a_partial_made_by_copyreg_is_read_with_its_own_function(host: object, made: str) -> None:
    factory = (_newobj if made == "newobj" else _newobj_ex)(_tzfile(), s("/tmp/x"))
    rep = walk(proto(2) + host(defaultdict_of(factory)) + STOP)  # type: ignore[operator]
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_17a_3_the_partials_function_is_its_first_argument_not_the_class() -> None:
    # _reconstructor(partial, partial, type): partial.__new__(partial, type) -> type() at load
    rep = walk(proto(2) + defaultdict_of(call(glob("copyreg", "__newobj__"), _partial(), glob("builtins", "type"),
                                   s("X"), EMPTY_TUPLE, EMPTY_DICT)) + STOP)
    assert rep.verdict == "unsafe", rep.findings
    # a harmless function stays harmless (not read as "functools.partial(list)")
    for factory in (_newobj(glob("builtins", "list")), _newobj_ex(glob("builtins", "list")),
                    _reconstructed(glob("builtins", "list"))):
        rep = walk(proto(2) + defaultdict_of(factory) + STOP)
        assert rep.verdict != "unsafe", rep.findings


# -- 17a-4: a memoised state changed and applied again -------------------------------------------

def _reapplied(first: bytes, key: str, value: bytes) -> bytes:
    """d = defaultdict(); BUILD (None, S={first}); S[key] = value (S from the memo); BUILD (None, S)."""
    d = glob("collections", "defaultdict") + EMPTY_TUPLE + NEWOBJ
    d += NONE + EMPTY_DICT + put(1) + s("default_factory") + first + SETITEM + TUPLE2 + BUILD
    d += get(1) + s(key) + value + SETITEM + POP
    return d + NONE + get(1) + TUPLE2 + BUILD


def _fresh(key: str, value: bytes) -> bytes:
    d = glob("collections", "defaultdict") + EMPTY_TUPLE + NEWOBJ
    return d + NONE + EMPTY_DICT + s(key) + value + SETITEM + TUPLE2 + BUILD


@pytest.mark.parametrize("host", [adam_with_group, categorical_with_state])
def test_17a_4_a_state_changed_and_applied_again_is_read_again(host: object) -> None:
    f = _set_partial(_tzfile(), s("/tmp/x"))
    rep = walk(proto(2) + host(_reapplied(glob("builtins", "int"), "default_factory", f)) + STOP)  # type: ignore[operator]
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


@pytest.mark.parametrize(("key", "value"), [
    ("__class__", glob("collections", "OrderedDict")),
    ("__dict__", EMPTY_DICT + s("__array_interface__") + glob("builtins", "int") + SETITEM),
])
def test_17a_4_class_and_dict_of_a_state_applied_again_are_checked(key: str, value: bytes) -> None:
    control = walk(proto(2) + _fresh(key, value) + STOP)
    assert control.verdict != "safe", control.findings
    rep = walk(proto(2) + _reapplied(glob("builtins", "int"), key, value) + STOP)
    assert rep.verdict == control.verdict, (rep.findings, control.findings)
    assert ids(control) <= ids(rep)


def test_17a_4_an_unchanged_state_applied_again_stays_safe() -> None:
    d = glob("collections", "defaultdict") + EMPTY_TUPLE + NEWOBJ
    d += NONE + EMPTY_DICT + put(1) + s("default_factory") + glob("builtins", "int") + SETITEM + TUPLE2 + BUILD
    d += NONE + get(1) + TUPLE2 + BUILD
    rep = walk(proto(4) + d + STOP)
    assert rep.verdict == "safe", rep.findings


# -- 17a-1: the partial's arguments bound after the defaultdict is made ---------------------------

def _late(host: object) -> bytes:
    p = call(_partial(), _tzfile()) + put(0)          # F = partial(tzfile): no argument yet
    p += defaultdict_of(get(0)) + put(1) + POP                  # d = defaultdict(F)
    p += get(0) + _pstate(_tzfile(), s("/tmp/x")) + BUILD + POP  # F.__setstate__((tzfile, (PATH,), ...))
    return proto(2) + p + host(get(1)) + STOP  # type: ignore[operator]


@pytest.mark.parametrize("host", [adam_with_group, categorical_with_state])
def test_17a_1_a_factory_is_judged_with_the_partials_last_state(host: object) -> None:
    rep = walk(_late(host))
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_17a_1_an_inner_partial_changed_later_is_judged_too() -> None:
    # the outer partial holds the inner one by its __setstate__ (live); partial(inner) made by
    # partial.__new__ would copy it (red team 19a-2: tests/formats/test_pickle_rt19a.py)
    inner = call(_partial(), _tzfile()) + put(0)
    p = defaultdict_of(call(_partial(), inner) + _pstate(get(0)) + BUILD) + put(1) + POP
    p += get(0) + _pstate(_tzfile(), s("/tmp/x")) + BUILD + POP
    rep = walk(proto(2) + p + categorical_with_state(get(1)) + STOP)
    assert rep.verdict == "unsafe", rep.findings


# -- 17a-2: every way a defaultdict gets its factory ---------------------------------------------

def _reconstructor_dd(factory: bytes) -> bytes:
    dd = glob("collections", "defaultdict")
    return call(glob("copyreg", "_reconstructor"), dd, dd, factory)


@pytest.mark.parametrize("host", [adam_with_group, categorical_with_state])
def test_17a_2_reconstructor_gives_the_defaultdict_its_factory(host: object) -> None:
    rep = walk(proto(2) + host(_reconstructor_dd(_set_partial(_tzfile(), s("/tmp/x")))) + STOP)  # type: ignore[operator]
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_17a_2_reconstructor_with_a_harmless_factory_and_newobj_without_one() -> None:
    rep = walk(proto(2) + _reconstructor_dd(glob("builtins", "list")) + STOP)
    assert rep.verdict != "unsafe", rep.findings
    # defaultdict.__new__ (dict's) ignores its arguments: no factory is set, nothing is called
    dd = glob("collections", "defaultdict") + MARK + glob("builtins", "list") + TUPLE + NEWOBJ
    rep = walk(proto(4) + dd + STOP)
    assert rep.verdict == "safe", rep.findings


# -- 17a-5: a partial of a partial -----------------------------------------------------------------

@pytest.mark.parametrize("host", [adam_with_group, categorical_with_state])
def test_17a_5_a_partial_of_a_partial_is_unwrapped(host: object) -> None:
    inner = _set_partial(_tzfile(), s("/tmp/x")) + put(5)
    outer = call(_partial(), inner) + _pstate(get(5)) + BUILD  # __setstate__ does not flatten
    rep = walk(proto(2) + host(defaultdict_of(outer)) + STOP)  # type: ignore[operator]
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_17a_5_arguments_of_nested_partials_are_joined() -> None:
    # partial(partial(tzfile), PATH)() is tzfile(PATH); partial(partial(list))() is list()
    inner = call(_partial(), _tzfile()) + put(5)
    outer = call(_partial(), inner) + _pstate(get(5), s("/tmp/x")) + BUILD
    assert walk(proto(2) + defaultdict_of(outer) + STOP).verdict == "unsafe"
    inner = call(_partial(), glob("builtins", "list")) + put(5)
    outer = call(_partial(), inner) + _pstate(get(5)) + BUILD
    assert walk(proto(2) + defaultdict_of(outer) + STOP).verdict != "unsafe"


def test_17a_5_partials_nested_past_the_bound_fail_closed() -> None:
    pre = _set_partial(_tzfile(), s("/tmp/x")) + put(10) + POP
    for n in range(1, 13):  # 12 partials around it
        pre += call(_partial(), get(9 + n)) + _pstate(get(9 + n)) + BUILD + put(10 + n) + POP
    rep = walk(proto(2) + pre + defaultdict_of(get(22)) + STOP)
    assert rep.verdict == "unsafe", rep.findings


# -- the real loader: each of these opens the file -------------------------------------------------



@pytest.mark.parametrize("kind", ["17a-1", "17a-2", "17a-3", "17a-4", "17a-5"])
def test_17a_the_real_loader_opens_the_file(tmp_path: Path, kind: str) -> None:
    pytest.importorskip("dateutil")
    pytest.importorskip("pandas")
    target = tmp_path / "secret"
    target.write_text("not a tz file")
    path = s(str(target))
    if kind == "17a-1":
        p = call(_partial(), _tzfile()) + put(0) + defaultdict_of(get(0)) + put(1) + POP
        p += get(0) + _pstate(_tzfile(), path) + BUILD + POP
        data = proto(2) + p + categorical_with_state(get(1)) + STOP
    elif kind == "17a-2":
        data = proto(2) + categorical_with_state(_reconstructor_dd(_set_partial(_tzfile(), path))) + STOP
    elif kind == "17a-3":
        data = proto(2) + categorical_with_state(defaultdict_of(_newobj(_tzfile(), path))) + STOP
    elif kind == "17a-4":
        data = proto(2) + categorical_with_state(_reapplied(glob("builtins", "int"), "default_factory",
                                                  _set_partial(_tzfile(), path))) + STOP
    else:
        inner = _set_partial(_tzfile(), path) + put(5)
        data = proto(2) + categorical_with_state(defaultdict_of(call(_partial(), inner) + _pstate(get(5)) + BUILD)) + STOP
    assert pickle_load_opens(data, target)
    assert walk(data).verdict == "unsafe"


def test_17a_4_states_applied_again_and_again_are_bounded() -> None:
    # a 2000-entry state changed and applied again 200 times: checked again within one budget,
    # past it the object's attributes are unknown (suspicious), never a hang
    d = glob("collections", "defaultdict") + EMPTY_TUPLE + NEWOBJ + NONE + EMPTY_DICT + put(1) + MARK
    d += b"".join(s(f"k{i}") + b"K\x01" for i in range(2000)) + b"u" + TUPLE2 + BUILD
    d += (get(1) + s("z") + b"K\x02" + SETITEM + POP + NONE + get(1) + TUPLE2 + BUILD) * 200
    rep = walk(proto(4) + d + STOP)
    assert rep.verdict == "suspicious" and "pickle.protocol-attribute" in ids(rep), rep.findings


def test_17a_1_a_factory_partial_changed_again_and_again_is_bounded() -> None:
    # 5000 different states (a bound argument each): judged again within one budget, past it
    # each change is judged as a call (a harmless one: suspicious), never a hang
    p = call(_partial(), glob("builtins", "list")) + put(0) + defaultdict_of(get(0)) + POP
    p += b"".join(get(0) + _pstate(glob("builtins", "list"), MARK + b"J" + n.to_bytes(4, "little") + TUPLE) + BUILD
                  + POP for n in range(5000))
    rep = walk(proto(2) + p + STOP)
    assert rep.verdict == "suspicious" and any("budget" in f.message for f in rep.findings), rep.findings
    # the same state again and again costs nothing (red team 19a-4)
    p = call(_partial(), glob("builtins", "list")) + put(0) + defaultdict_of(get(0)) + POP
    p += (get(0) + _pstate(glob("builtins", "list")) + BUILD + POP) * 5000
    rep = walk(proto(2) + p + STOP)
    assert rep.verdict == "safe", rep.findings


def _late_keywords(path: bytes) -> bytes:
    """partial(tzfile) with state (tzfile, (), D, None), D = {} memoised; defaultdict(F); then
    D['fileobj'] = PATH: CPython keeps an exact dict as the partial's keywords, so F() is
    tzfile(fileobj=PATH)."""
    p = call(_partial(), _tzfile()) + put(0) + MARK + _tzfile() + EMPTY_TUPLE + EMPTY_DICT + put(2) + NONE + TUPLE
    p += BUILD + POP + defaultdict_of(get(0)) + put(1) + POP
    p += get(2) + s("fileobj") + path + SETITEM + POP
    return proto(2) + p + categorical_with_state(get(1)) + STOP


def test_17a_1_keywords_added_later_are_judged_at_the_end() -> None:
    rep = walk(_late_keywords(s("/tmp/x")))
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_17a_1_keywords_added_later_the_real_loader_opens_the_file(tmp_path: Path) -> None:
    pytest.importorskip("dateutil")
    pytest.importorskip("pandas")
    target = tmp_path / "secret"
    target.write_text("not a tz file")
    data = _late_keywords(s(str(target)))
    assert pickle_load_opens(data, target)
