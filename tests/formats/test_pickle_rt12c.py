"""Red team 12c: objects, state and callables as the loader really handles them.

12c-1: an allowlisted helper that creates an object of ANY class it is given (sklearn's newObj,
numpy.ma's _mareconstruct, pandas' _new_Index, ...) hid the object's class, so no class-tied check
ran. 12c-2: library code calls duck-typed container methods on state VALUES (torch's optimizers:
``self.state.values()``, ``self.defaults.setdefault(...)``). 12c-3: pandas constructors that take a
time zone open the file a 'dateutil/<path>' zone names: gadgets. 12c-4: a memoised state dict
filled after its first BUILD and BUILT again. Each red-team file is built here (the builders of
/work/redteam-12c, opcode for opcode); the real loaders' behaviour is proved in a subprocess."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.formats.pickle_ops import walk


def g(mod: str, name: str) -> bytes:
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"


def s(x: str) -> bytes:
    b = x.encode()
    return b"X" + struct.pack("<I", len(b)) + b


ISO = g("sklearn.isotonic", "IsotonicRegression")
UFR = g("numpy.core", "_ufunc_reconstruct")
TZDTYPE = g("pandas", "DatetimeTZDtype")


def iso_state(build_f: bytes, x: str, y: str) -> bytes:
    return (s("_sklearn_version") + s("1.9.1") + s("X_thresholds_") + s(x) + s("y_thresholds_") + s(y)
            + s("_build_f") + build_f)


MAKERS = {
    "kd_newObj": g("sklearn.neighbors._kd_tree", "newObj") + ISO + b"\x85R",
    "ball_newObj": g("sklearn.neighbors._ball_tree", "newObj") + ISO + b"\x85R",
    "dist_newObj": g("sklearn.metrics._dist_metrics", "newObj") + ISO + b"\x85R",
    "mareconstruct": g("numpy.ma.core", "_mareconstruct") + b"(" + ISO + g("numpy", "ndarray") + b"K\x00\x85"
    + s("b") + b"tR",
    "new_Index": g("pandas.core.indexes.base", "_new_Index") + ISO + b"}\x86R",
}


def helper_made(maker: str, secret: str) -> bytes:  # 12c-1
    return b"\x80\x03" + MAKERS[maker] + b"}(" + iso_state(TZDTYPE, "ns", "dateutil/" + secret) + b"ub."


# -- 12c-1 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("maker", sorted(MAKERS))
def test_an_object_made_by_a_helper_is_judged_by_the_class_it_was_given(maker: str) -> None:
    rep = walk(helper_made(maker, "/etc/hostname"))
    assert rep.verdict == "unsafe", rep.findings
    ids = {f.id for f in rep.findings}
    assert "pickle.dangerous-callable" in ids
    # and the class is outside the family the helper serves
    assert any("creates an object of the class it is given" in f.message for f in rep.findings)


def test_a_helper_made_object_with_a_benign_method_key_is_suspicious() -> None:
    data = b"\x80\x03" + MAKERS["kd_newObj"] + b"}(" + s("_sklearn_version") + s("1.9.1") \
        + s("predict") + b"K\x01" + b"ub."
    assert walk(data).verdict == "suspicious"


def test_an_object_of_an_unknown_class_with_a_callable_attribute_is_suspicious() -> None:
    # the class argument is a value made at load time: the object's class cannot be named
    data = b"\x80\x03" + g("copyreg", "__newobj__") + g("builtins", "getattr") + b"\x85R" \
        + b"}(" + s("anything") + g("builtins", "len") + b"ub."
    assert walk(data).verdict in ("suspicious", "unsafe")


# -- 12c-2 ------------------------------------------------------------------------------------


def ducktyped_io(secret: str) -> bytes:
    gad = g("functools", "partial") + b"(" + TZDTYPE + s("ns") + s("dateutil/" + secret) + b"tR"
    ns = g("types", "SimpleNamespace") + b")\x81}" + s("values") + gad + b"sb"
    return (b"\x80\x03" + g("torch.optim.adagrad", "Adagrad") + b")\x81}(" + s("defaults") + b"}"
            + s("param_groups") + b"]" + s("state") + ns + b"ub.")


def ducktyped_exec() -> bytes:
    ns = g("types", "SimpleNamespace") + b")\x81}" + s("setdefault") + UFR + b"sb"
    return (b"\x80\x03" + g("torch.optim.adam", "Adam") + b")\x81}(" + s("defaults") + ns
            + s("param_groups") + b"]" + s("state") + b"}ub.")


@pytest.mark.parametrize("data", [ducktyped_io("/etc/hostname"), ducktyped_exec()], ids=["io", "exec"])
def test_a_callable_under_a_container_method_name_on_a_state_value_is_unsafe(data: bytes) -> None:
    rep = walk(data)
    assert rep.verdict == "unsafe", rep.findings
    assert any(f.id == "pickle.dangerous-callable" and "dict/list/set/str" in f.message for f in rep.findings)


def test_an_optimizer_slot_that_is_no_dict_is_suspicious() -> None:
    ns = g("types", "SimpleNamespace") + b")\x81}" + s("x") + b"K\x01" + b"sb"
    data = (b"\x80\x03" + g("torch.optim.adam", "Adam") + b")\x81}(" + s("defaults") + ns
            + s("param_groups") + b"]" + s("state") + b"}ub.")
    rep = walk(data)
    assert rep.verdict == "suspicious"
    assert any("uses it as a dict" in f.message for f in rep.findings)


def test_a_benign_optimizer_state_and_namespace_stay_safe() -> None:
    data = (b"\x80\x03" + g("torch.optim.adam", "Adam") + b")\x81}(" + s("defaults") + b"}"
            + s("param_groups") + b"]}" + s("lr") + b"K\x01" + b"sa" + s("state") + b"}ub.")
    assert walk(data).verdict == "safe"
    ns = b"\x80\x03" + g("types", "SimpleNamespace") + b")\x81}" + s("values") + b"K\x01" + b"sb."
    assert walk(ns).verdict == "safe"  # data under a container method's name calls nothing


# -- 12c-3 ------------------------------------------------------------------------------------


def test_a_pandas_tz_constructor_hiding_a_method_is_unsafe() -> None:
    data = b"\x80\x03" + ISO + b")\x81}(" + iso_state(TZDTYPE, "ns", "dateutil//etc/hostname") + b"ub."
    assert walk(data).verdict == "unsafe"


def est(val: bytes) -> bytes:
    return (b"\x80\x03" + g("sklearn.linear_model._base", "LinearRegression") + b")\x81}(" + s("_sklearn_version")
            + s("1.9.1") + s("score_func_") + val + b"ub.")


def test_a_partial_of_a_pandas_tz_constructor_is_judged_on_its_bound_zone() -> None:
    bound = g("functools", "partial") + b"(" + TZDTYPE + s("ns") + s("dateutil//etc/hostname") + b"tR"
    assert walk(est(bound)).verdict == "unsafe"
    unbound = g("functools", "partial") + b"(" + TZDTYPE + b"tR"
    assert walk(est(unbound)).verdict == "suspicious"
    stored = TZDTYPE
    assert walk(est(stored)).verdict == "suspicious"


# -- 12c-4 ------------------------------------------------------------------------------------


def memo(items: bytes) -> bytes:
    p = b"\x80\x03" + ISO + b")\x81" + b"q\x01"      # the object (NEWOBJ, as a pickler writes it)
    p += b"}q\x02" + b"b"                             # BUILD with an empty dict, memo 2
    p += b"h\x02(" + items + b"u0"                    # SETITEMS into memo 2, POP
    p += b"h\x02b."                                   # BUILD again with memo 2
    return p


@pytest.mark.parametrize("items", [
    iso_state(UFR, "rt12c_evil", "__name__"), iso_state(UFR, "this", "__name__"),
    iso_state(TZDTYPE, "ns", "dateutil//etc/hostname")], ids=["exec", "this", "io"])
def test_items_added_to_an_applied_state_are_judged(items: bytes) -> None:
    rep = walk(memo(items))
    assert rep.verdict == "unsafe", rep.findings


def test_a_dunder_added_to_an_applied_state_is_flagged() -> None:
    rep = walk(memo(s("__array_interface__") + b"}"))
    assert rep.verdict == "unsafe"


# -- what the real loader does (a throw-away subprocess) ----------------------------------------


def _load(data: bytes, tmp_path: Path, extra: str = "") -> subprocess.CompletedProcess[str]:
    f = tmp_path / "m.pkl"
    f.write_bytes(data)
    code = ("import sys, pickle\n"
            "def hook(ev, args):\n"
            "    if ev == 'open' and isinstance(args[0], str) and args[0].endswith('rt12c_secret'):\n"
            "        print('OPENED', flush=True)\n"
            f"sys.addaudithook(hook)\n{extra}\n"
            f"try:\n    pickle.load(open({str(f)!r}, 'rb'))\nexcept Exception as e:\n    print('raised', e)\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_proof_the_loader_imports_through_a_refilled_state(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    out = _load(memo(iso_state(UFR, "this", "__name__")), tmp_path)
    assert "The Zen of Python" in out.stdout  # pickle.load imported the module 'this'
    assert walk(memo(iso_state(UFR, "this", "__name__"))).verdict == "unsafe"


@pytest.mark.parametrize("maker", ["kd_newObj", "new_Index"])
def test_proof_a_helper_made_object_opens_the_file(tmp_path: Path, maker: str) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("pandas")
    secret = tmp_path / "rt12c_secret"
    secret.write_text("not a tz file")
    out = _load(helper_made(maker, str(secret)), tmp_path)
    assert "OPENED" in out.stdout, out


def test_proof_a_ducktyped_state_value_is_called(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("pandas")
    secret = tmp_path / "rt12c_secret"
    secret.write_text("not a tz file")
    out = _load(ducktyped_io(str(secret)), tmp_path)
    assert "OPENED" in out.stdout, out
