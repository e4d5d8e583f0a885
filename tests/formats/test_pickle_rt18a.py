"""Red team 18a: calls that allowlisted helpers make of an argument. A partial handed to a helper
that calls its argument (``__generator_ctor(PATH, partial(tzfile))``, ``_rebuild_from_type_v2(
partial(tzfile), Tensor, (PATH,), None)``: 18a-1), and keyword arguments that name the called
argument (``partial(__generator_ctor, bit_generator_name=PATH, bit_generator_ctor=tzfile)`` as a
defaultdict factory: 18a-2) are judged as the call the loader makes. A factory partial of a
harmless callable (``defaultdict(partial(int))``) is judged by what it calls (red team note)."""

from __future__ import annotations

import collections
import functools
import importlib
import inspect
import pickle
from pathlib import Path

import pytest

from mlbom.formats.pickle import helper_parameters, policy
from tests.formats.pickle_ops import (
    BUILD,
    EMPTY_DICT,
    EMPTY_TUPLE,
    MARK,
    NEWOBJ_EX,
    NONE,
    POP,
    SETITEMS,
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


def _tzfile() -> bytes:
    return glob("dateutil.tz._tzfile", "tzfile")


def _partial() -> bytes:
    return glob("functools", "partial")


def _gen(which: str = "__generator_ctor") -> bytes:
    return glob("numpy.random._pickle", which)


def _rft() -> bytes:
    return glob("torch._tensor", "_rebuild_from_type_v2")


def _pstate(func: bytes, args: bytes = EMPTY_TUPLE, kw: bytes = NONE) -> bytes:
    """partial.__setstate__'s (func, args, kwds, None)."""
    return MARK + func + args + kw + NONE + TUPLE


def _kw(**items: bytes) -> bytes:
    return EMPTY_DICT + MARK + b"".join(s(k) + v for k, v in items.items()) + SETITEMS


def _partial_of(func: bytes, *args: bytes) -> bytes:
    return call(_partial(), func, *args)


# -- 18a-1: a partial handed to a helper that calls its argument ----------------------------------

def _wrapped(how: str, func: bytes) -> bytes:
    """A callable that calls ``func`` with the arguments it is given, made in the ways the
    factory model unwraps: a partial, a partial of a partial, copyreg's helpers."""
    if how == "partial":
        return _partial_of(func)
    if how == "nested":
        return _partial_of(_partial_of(func))
    if how == "state":
        return _partial_of(glob("builtins", "int")) + _pstate(func) + BUILD
    if how == "newobj":
        return call(glob("copyreg", "__newobj__"), _partial(), func)
    if how == "newobj_ex":
        return call(glob("copyreg", "__newobj_ex__"), _partial(), MARK + func + TUPLE, EMPTY_DICT)
    return call(glob("copyreg", "_reconstructor"), _partial(), _partial(), func)


WRAPS = ["partial", "nested", "state", "newobj", "newobj_ex", "reconstructor"]


@pytest.mark.parametrize("how", WRAPS)
@pytest.mark.parametrize("which", ["__generator_ctor", "__randomstate_ctor"])
def test_18a_1_a_generator_ctor_calls_its_partial(which: str, how: str) -> None:
    rep = walk(proto(2) + call(_gen(which), s("/tmp/x"), _wrapped(how, _tzfile())) + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


@pytest.mark.parametrize("how", WRAPS)
def test_18a_1_rebuild_from_type_calls_its_partial(how: str) -> None:
    rep = walk(proto(2) + call(_rft(), _wrapped(how, _tzfile()), glob("torch", "Tensor"),
                               MARK + s("/tmp/x") + TUPLE, NONE) + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_18a_1_bound_arguments_of_the_partial_come_first() -> None:
    # partial(tzfile, PATH) called with no argument of its own: tzfile(PATH)
    rep = walk(proto(2) + call(_rft(), _partial_of(_tzfile(), s("/tmp/x")), glob("torch", "Tensor"),
                               EMPTY_TUPLE, NONE) + STOP)
    assert rep.verdict == "unsafe", rep.findings
    # a nested pickle handed on through a partial is walked: _load_from_bytes(bytes of os.system)
    inner = proto(2) + call(glob("os", "system"), s("id")) + STOP
    rep = walk(proto(3) + call(_rft(), _partial_of(glob("torch.storage", "_load_from_bytes")),
                               glob("torch", "Tensor"), MARK + b"C" + bytes([len(inner)]) + inner + TUPLE, NONE)
               + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_18a_1_a_list_of_arguments_filled_later_is_not_trusted() -> None:
    # a factory partial(_rebuild_from_type_v2, partial(tzfile), Tensor, L, None) whose list L
    # (func(*args) takes any iterable) gets PATH after the defaultdict is made: tzfile(PATH)
    # when the factory runs. torch writes a tuple there; a list's items are not trusted
    f = _partial_of(_rft(), _partial_of(_tzfile()), glob("torch", "Tensor"), b"]" + put(3), NONE)
    p = defaultdict_of(f) + put(1) + POP + get(3) + s("/tmp/x") + b"a" + POP
    rep = walk(proto(2) + p + categorical_with_state(get(1)) + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_18a_1_a_partial_that_is_not_called_stays_suspicious() -> None:
    # __bit_generator_ctor(x) calls x only when it is a class; a partial is no class (ValueError)
    rep = walk(proto(2) + call(_gen("__bit_generator_ctor"), _partial_of(_tzfile())) + STOP)
    assert rep.verdict != "safe", rep.findings


# -- 18a-2: keyword arguments reach the modelled call ---------------------------------------------

def _kw_factory(mode: str) -> bytes:
    """F = partial(__generator_ctor) whose keywords name the call; d = defaultdict(F) (memo 1)."""
    kw = {"bit_generator_name": s("/tmp/x"), "bit_generator_ctor": _tzfile()}
    p = _partial_of(_gen()) + put(0)
    if mode == "positional":
        p += _pstate(_gen(), MARK + s("/tmp/x") + _tzfile() + TUPLE) + BUILD
    elif mode == "direct":
        p += _pstate(_gen(), EMPTY_TUPLE, _kw(**kw)) + BUILD
    else:  # the keywords dict filled after the defaultdict is made: partial keeps it by reference
        p += _pstate(_gen(), EMPTY_TUPLE, EMPTY_DICT + put(2)) + BUILD
    p += defaultdict_of(get(0)) + put(1) + POP + POP
    if mode == "late":
        p += get(2) + MARK + b"".join(s(k) + v for k, v in kw.items()) + SETITEMS + POP
    return p


@pytest.mark.parametrize("host", [adam_with_group, categorical_with_state])
@pytest.mark.parametrize("mode", ["positional", "direct", "late"])
def test_18a_2_keywords_of_a_factory_partial_reach_the_helper(mode: str, host: object) -> None:
    rep = walk(proto(2) + _kw_factory(mode) + host(get(1)) + STOP)  # type: ignore[operator]
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_18a_2_rebuild_from_type_by_keywords() -> None:
    kw = _kw(func=_tzfile(), new_type=glob("torch", "Tensor"), args=MARK + s("/tmp/x") + TUPLE, state=NONE)
    f = _partial_of(_rft()) + _pstate(_rft(), EMPTY_TUPLE, kw) + BUILD
    rep = walk(proto(2) + categorical_with_state(defaultdict_of(f)) + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_18a_2_keywords_given_by_newobj_ex_reach_the_call() -> None:
    # partial.__new__(partial, tzfile, fileobj=PATH): F() is tzfile(fileobj=PATH)
    f = _partial() + MARK + _tzfile() + TUPLE + _kw(fileobj=s("/tmp/x")) + NEWOBJ_EX
    rep = walk(proto(4) + categorical_with_state(defaultdict_of(f)) + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_18a_2_keywords_of_the_callee_partial_reach_it() -> None:
    # __generator_ctor(PATH, partial(<something>, keywords)): the ctor partial's keywords too
    ctor = _partial_of(glob("builtins", "int")) + _pstate(_tzfile(), EMPTY_TUPLE, _kw(fileobj=s("/tmp/x"))) + BUILD
    rep = walk(proto(2) + call(_gen(), s("MT19937"), ctor) + STOP)
    assert rep.verdict == "unsafe", rep.findings


@pytest.mark.parametrize("name", ["no_such_parameter", "bit_generator_name"])
def test_18a_2_a_keyword_that_cannot_be_placed_fails_closed(name: str) -> None:
    # an unknown name, or one given positionally too (the function raises TypeError today; a
    # version with another signature may not): a callable there is judged as called
    f = _partial_of(_gen()) + _pstate(_gen(), MARK + s("PCG64") + TUPLE, _kw(**{name: _tzfile()})) + BUILD
    rep = walk(proto(2) + categorical_with_state(defaultdict_of(f)) + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_18a_2_harmless_keywords_of_a_generator_ctor_are_safe() -> None:
    kw = _kw(bit_generator_name=s("PCG64"), bit_generator_ctor=_gen("__bit_generator_ctor"))
    f = _partial_of(_gen()) + _pstate(_gen(), EMPTY_TUPLE, kw) + BUILD
    rep = walk(proto(4) + defaultdict_of(f) + STOP)
    # a stored partial of a helper that calls its arguments stays suspicious (the program may call
    # it again after the load); the call made at load is judged harmless
    assert rep.verdict == "suspicious" and "pickle.dangerous-callable" not in ids(rep), rep.findings


# -- note: a factory partial of a harmless callable ------------------------------------------------

def test_a_factory_partial_of_int_is_safe() -> None:
    # what pickle writes for defaultdict(partial(int)): the loader runs int() on a missing key
    data = pickle.dumps(collections.defaultdict(functools.partial(int), {"a": 1}), protocol=2)
    rep = walk(data)
    assert rep.verdict == "safe", rep.findings
    rep = walk(proto(2) + defaultdict_of(_partial_of(glob("builtins", "list"))) + STOP)
    assert rep.verdict == "safe", rep.findings
    nested = _partial_of(_partial_of(glob("builtins", "dict")) + _pstate(glob("builtins", "dict")) + BUILD)
    rep = walk(proto(2) + defaultdict_of(nested) + STOP)
    assert rep.verdict == "safe", rep.findings


def test_a_factory_partial_of_a_dynamic_callable_stays_suspicious() -> None:
    made = call(call(glob("builtins", "getattr"), glob("builtins", "int"), s("from_bytes")), EMPTY_TUPLE)
    rep = walk(proto(2) + defaultdict_of(_partial_of(made)) + STOP)
    assert rep.verdict != "safe", rep.findings


# -- the real loaders do what is modelled (the modules are not in CI's venv) ----------------------

def _loaders_needed(*mods: str) -> None:
    for m in mods:
        pytest.importorskip(m)


@pytest.mark.parametrize("which", ["__generator_ctor", "__randomstate_ctor"])
def test_18a_1_real_loader_generator_ctor_calls_the_partial(tmp_path: Path, which: str) -> None:
    _loaders_needed("numpy", "dateutil")
    target = tmp_path / "secret"
    target.write_text("not a tz file")
    data = proto(2) + call(_gen(which), s(str(target)), _partial_of(_tzfile())) + STOP
    assert pickle_load_opens(data, target)
    assert walk(data).verdict == "unsafe"


def test_18a_1_real_loader_rebuild_from_type_calls_the_partial(tmp_path: Path) -> None:
    _loaders_needed("torch", "dateutil")
    target = tmp_path / "secret"
    target.write_text("not a tz file")
    data = proto(2) + call(_rft(), _partial_of(_tzfile()), glob("torch", "Tensor"),
                           MARK + s(str(target)) + TUPLE, NONE) + STOP
    assert pickle_load_opens(data, target)
    assert walk(data).verdict == "unsafe"


@pytest.mark.parametrize("mode", ["direct", "late"])
def test_18a_2_real_loader_keywords_reach_the_ctor(tmp_path: Path, mode: str) -> None:
    _loaders_needed("numpy", "pandas", "dateutil")
    target = tmp_path / "secret"
    target.write_text("not a tz file")
    data = proto(2) + _kw_factory(mode).replace(s("/tmp/x"), s(str(target))) + categorical_with_state(get(1)) + STOP
    assert pickle_load_opens(data, target)
    assert walk(data).verdict == "unsafe"


# -- the keyword table is the installed libraries' signatures --------------------------------------

_POSITIONAL_ONLY = {"collections.defaultdict", "numpy.core.multiarray._reconstruct",
                    "numpy._core.multiarray._reconstruct"}


def test_every_helper_that_calls_an_argument_declares_its_parameters() -> None:
    for path in policy().calls_args:
        names = helper_parameters(path)
        assert (names is None) == (path in _POSITIONAL_ONLY), path


@pytest.mark.parametrize("path", sorted(set(policy().calls_args) - _POSITIONAL_ONLY))
def test_the_parameter_names_are_the_real_signatures(path: str) -> None:
    module, _, name = path.rpartition(".")
    try:
        func = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        pytest.skip(f"{module} is not installed here (or moved in this version)")
    sig = inspect.signature(func)
    real = tuple(p.name for p in sig.parameters.values() if p.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY))
    assert helper_parameters(path) == real


def test_a_partial_handed_to_a_helper_inside_a_factory_is_judged_with_its_last_state() -> None:
    # defaultdict(partial(_rebuild_from_type_v2, F2, Tensor, (PATH,), None)) with F2 = partial(int)
    # given the function tzfile by a BUILD after the defaultdict is made: the factory's call
    # (at load, after that BUILD) runs tzfile(PATH)
    f2 = _partial_of(glob("builtins", "int")) + put(4)
    f = _partial_of(_rft(), f2, glob("torch", "Tensor"), MARK + s("/tmp/x") + TUPLE, NONE)
    p = defaultdict_of(f) + put(1) + POP + get(4) + _pstate(_tzfile()) + BUILD + POP
    rep = walk(proto(2) + p + categorical_with_state(get(1)) + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings
