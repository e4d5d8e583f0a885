"""False-positive hunt 80: real objects that were not ``safe``, now listed, and a hostile variant of
each new entry that still is not. scipy.optimize results (``OptimizeResult``, ``RootResults``: a
dict subclass whose ``__getattr__`` hands its items out, also for ``__setstate__``); the full
objects of torch's ``ASGD``, ``Rprop``, ``Adafactor``, ``ChainedScheduler``, ``MultiplicativeLR``;
a whole ``CyclicLR`` (its scale policy, a staticmethod, is stored as ``_scale_fn_ref``).
Real objects are built only in the tests that ask for scipy or torch (torch: its own tier)."""

from __future__ import annotations

import io
import pickle

import pytest

from mlbom.scanner import scan_bytes
from tests.formats.pickle_ops import (
    APPEND,
    BUILD,
    EMPTY_DICT,
    EMPTY_LIST,
    EMPTY_TUPLE,
    MARK,
    NEWOBJ,
    SETITEMS,
    STOP,
    call,
    glob,
    proto,
    s,
    system,
    walk,
)


def _bad(rep: object) -> list[tuple[str, str]]:
    return [(f.id, f.message[:200]) for f in rep.findings if f.severity != "info"]  # type: ignore[attr-defined]


# --- scipy.optimize results -------------------------------------------------------------------

def _result(cls: tuple[str, str], items: bytes, tail: bytes = b"") -> bytes:
    """cls.__new__ (NEWOBJ) + SETITEMS of ``items`` (+ ``tail``), as pickle writes a dict subclass."""
    return proto(4) + glob(*cls) + EMPTY_TUPLE + NEWOBJ + MARK + items + SETITEMS + tail + STOP


_OPT = ("scipy.optimize._optimize", "OptimizeResult")
_ROOT = ("scipy.optimize._zeros_py", "RootResults")


@pytest.mark.parametrize("cls", [_OPT, _ROOT])
def test_a_result_of_data_items_is_safe(cls: tuple[str, str]) -> None:
    rep = walk(_result(cls, s("success") + b"\x88" + s("message") + s("ok") + s("nit") + b"K\x03"))
    assert rep.verdict == "safe", _bad(rep)


@pytest.mark.parametrize("cls", [_OPT, _ROOT])
def test_a_result_item_named_setstate_is_not_safe(cls: tuple[str, str]) -> None:
    # BUILD looks __setstate__ up on the instance: __getattr__ hands out self["__setstate__"]
    tail = EMPTY_DICT + BUILD
    rep = walk(_result(cls, s("__setstate__") + glob("collections", "OrderedDict"), tail))
    assert rep.verdict != "safe", _bad(rep)


@pytest.mark.parametrize("cls", [_OPT, _ROOT])
def test_a_result_item_naming_a_pointer_protocol_is_unsafe(cls: tuple[str, str]) -> None:
    # np.asarray(result) reads __array_interface__ through __getattr__: the result's item
    rep = walk(_result(cls, s("__array_interface__") + EMPTY_DICT))
    assert rep.verdict == "unsafe", _bad(rep)


@pytest.mark.parametrize("cls", [_OPT, _ROOT])
def test_a_result_called_with_arguments_is_not_safe(cls: tuple[str, str]) -> None:
    # listed new_only: RootResults.__init__ (or dict's) run with pickle data is not what picklers write
    rep = walk(proto(4) + call(glob(*cls), s("x"), s("y"), s("z"), s("w"), s("v")) + STOP)
    assert rep.verdict != "safe", _bad(rep)


@pytest.mark.parametrize("cls", [_OPT, _ROOT])
def test_a_result_state_naming_a_method_is_not_safe(cls: tuple[str, str]) -> None:
    # a BUILD state key in the instance __dict__ hides dict's method of that name
    tail = MARK + s("keys") + glob("numpy", "add") + b"d" + BUILD
    rep = walk(_result(cls, s("x") + b"K\x01", tail))
    assert rep.verdict != "safe", _bad(rep)


def test_a_result_holding_a_denied_callable_is_unsafe() -> None:
    rep = walk(_result(_OPT, s("x") + system()))
    assert rep.verdict == "unsafe", _bad(rep)


def test_real_scipy_optimize_results_are_safe() -> None:
    so = pytest.importorskip("scipy.optimize")
    import numpy as np

    results = {
        "minimize": so.minimize(lambda v: float((v ** 2).sum()), np.array([1.0, 2.0])),
        "least_squares": so.least_squares(lambda v: v - 1, np.zeros(2)),
        "linprog": so.linprog([1, 1], A_ub=[[-1, -1]], b_ub=[-1]),
        "root_scalar": so.root_scalar(lambda v: v - 1, bracket=[0, 3]),
        "differential_evolution": so.differential_evolution(lambda v: float((v ** 2).sum()), [(-1, 1)], maxiter=2,
                                                            seed=0),
    }
    for name, res in results.items():
        for p in (2, 3, 4, 5):
            r = scan_bytes(pickle.dumps({"result": res, "name": name}, protocol=p), f"{name}.pkl")
            assert r.verdict == "safe", (name, p, [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"])


# --- torch optimizers and schedulers -----------------------------------------------------------

def _optimizer(module: str, name: str, group: bytes = b"", extra: bytes = b"") -> bytes:
    """cls.__new__ + BUILD {'defaults': {}, 'state': {}, 'param_groups': [group], ...extra}."""
    groups = EMPTY_LIST + (group + APPEND if group else b"")
    return proto(4) + glob(module, name) + EMPTY_TUPLE + NEWOBJ + MARK + s("defaults") + EMPTY_DICT + s("state") \
        + EMPTY_DICT + s("param_groups") + groups + extra + b"d" + BUILD + STOP


_OPTIMIZERS = [("torch.optim.asgd", "ASGD"), ("torch.optim.rprop", "Rprop"), ("torch.optim", "Adafactor")]


@pytest.mark.parametrize("cls", _OPTIMIZERS, ids=lambda c: c[1])
def test_a_bare_new_optimizer_state_is_safe(cls: tuple[str, str]) -> None:
    rep = walk(_optimizer(*cls, group=MARK + s("params") + EMPTY_LIST + s("lr") + b"G?\xb9\x99\x99\x99\x99\x99\x9a" + b"d"))
    assert rep.verdict == "safe", _bad(rep)


@pytest.mark.parametrize("cls", _OPTIMIZERS, ids=lambda c: c[1])
def test_an_optimizer_state_hiding_profile_hook_step_is_not_safe(cls: tuple[str, str]) -> None:
    # Optimizer.__setstate__ calls self._patch_step_function(), which reads self.profile_hook_step
    rep = walk(_optimizer(*cls, extra=s("profile_hook_step") + glob("collections", "OrderedDict")))
    assert rep.verdict != "safe", _bad(rep)


@pytest.mark.parametrize("cls", _OPTIMIZERS, ids=lambda c: c[1])
def test_an_optimizer_group_that_is_no_dict_is_not_safe(cls: tuple[str, str]) -> None:
    # the subclasses' __setstate__ run group.setdefault(...) on each of self.param_groups
    rep = walk(_optimizer(*cls, group=s("not a dict")))
    assert rep.verdict != "safe", _bad(rep)


@pytest.mark.parametrize("cls", [*_OPTIMIZERS, ("torch.optim.lr_scheduler", "ChainedScheduler"),
                                 ("torch.optim.lr_scheduler", "MultiplicativeLR")], ids=lambda c: c[1])
def test_an_optimizer_or_scheduler_called_with_arguments_is_not_safe(cls: tuple[str, str]) -> None:
    rep = walk(proto(4) + call(glob(*cls), EMPTY_LIST) + STOP)
    assert rep.verdict != "safe", _bad(rep)


def test_a_multiplicative_lr_holding_a_denied_lambda_is_unsafe() -> None:
    body = glob("torch.optim.lr_scheduler", "MultiplicativeLR") + EMPTY_TUPLE + NEWOBJ + MARK + s("lr_lambdas") \
        + EMPTY_LIST + glob("os", "system") + APPEND + s("last_epoch") + b"K\x00" + b"d" + BUILD
    rep = walk(proto(4) + body + STOP)
    assert rep.verdict == "unsafe", _bad(rep)


def test_a_cyclic_lr_scale_function_is_only_the_listed_staticmethods() -> None:
    def sched(fn: bytes) -> bytes:
        return proto(4) + glob("torch.optim.lr_scheduler", "CyclicLR") + EMPTY_TUPLE + NEWOBJ + MARK \
            + s("_scale_fn_ref") + fn + s("mode") + s("triangular") + b"d" + BUILD + STOP
    assert walk(sched(glob("torch.optim.lr_scheduler", "CyclicLR._triangular_scale_fn"))).verdict == "safe"
    # another attribute of the class (a method that reads self) is not listed
    assert walk(sched(glob("torch.optim.lr_scheduler", "CyclicLR.step"))).verdict != "safe"
    # the listed staticmethod in a partial with a denied callable as its argument
    partial = call(glob("functools", "partial"), glob("torch.optim.lr_scheduler", "CyclicLR._exp_range_scale_fn"),
                   glob("os", "system"))
    assert walk(sched(partial)).verdict != "safe"


def _torch_saved(obj: object) -> bytes:
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


@pytest.mark.torch
def test_real_torch_optimizers_and_schedulers_are_safe() -> None:
    torch = pytest.importorskip("torch")
    nn, sched = torch.nn, torch.optim.lr_scheduler
    objs: dict[str, object] = {}
    for name, make in [("asgd", torch.optim.ASGD), ("rprop", torch.optim.Rprop), ("adafactor", torch.optim.Adafactor)]:
        m = nn.Linear(3, 2)
        opt = make(m.parameters())
        m(torch.randn(4, 3)).sum().backward()
        opt.step()
        objs[name] = opt
        objs[f"{name}_ckpt"] = {"epoch": 1, "model": m.state_dict(), "optimizer": opt.state_dict()}
    for mode in ("triangular", "triangular2", "exp_range"):
        opt = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1, momentum=0.9)
        s_ = sched.CyclicLR(opt, 0.01, 0.1, mode=mode)
        opt.step()
        s_.step()
        objs[f"cyclic_{mode}"] = s_
    opt = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    objs["chained"] = sched.ChainedScheduler([sched.LinearLR(opt), sched.ExponentialLR(opt, 0.9)])
    for name, obj in objs.items():
        r = scan_bytes(_torch_saved(obj), f"{name}.pt")
        assert r.verdict == "safe", (name, [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"])
