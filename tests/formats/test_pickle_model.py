"""The walker's instance/attribute model (issue 12): every object a pickle builds has an
identity and attributes, and the loader's own lookups on it (BUILD's ``__setstate__``,
APPEND's ``append``/``extend``, ADDITEMS' ``add``, joblib's ``wrapper.read``) are calls of
whatever those attributes hold.

Run as a script (``PYTHONPATH=$PWD /work/venv/bin/python tests/formats/test_pickle_model.py``)
it regenerates the ``model-*`` reproducers in ``tests/fixtures/hostile/pickle/`` and first
CHECKS each claim by loading the file with the real ``pickle.load`` in a throw-away
subprocess in a temporary folder (the payload writes a marker file there, or the class
mutation is observed). Only this generator ever loads them; the product never does.
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from mlbom.formats.pickle import Limits, read_pickle
from tests.formats.pickle_ops import (
    APPEND,
    APPENDS,
    BUILD,
    EMPTY_DICT,
    EMPTY_LIST,
    EMPTY_TUPLE,
    MARK,
    NEWOBJ,
    NONE,
    POP,
    REDUCE,
    SETITEM,
    STOP,
    TUPLE1,
    TUPLE2,
    TUPLE3,
    bb,
    bs,
    get,
    glob,
    i1,
    proto,
    put,
    s,
    walk,
)

HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "hostile" / "pickle"
ADDITEMS, EMPTY_SET = b"\x90", b"\x8f"
LOAD_FROM_BYTES = glob("torch.storage", "_load_from_bytes")
NAMESPACE = glob("argparse", "Namespace") + EMPTY_TUPLE + REDUCE  # an allowlisted, attribute-holding class


def torch_legacy_payload(marker: str) -> bytes:
    """What ``torch.storage._load_from_bytes`` loads: torch's legacy format (magic number,
    protocol version, sys info, then the object pickle), whose object pickle writes ``marker``."""
    head = (pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2)
            + pickle.dumps({"protocol_version": 1001, "little_endian": True,
                            "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2))
    code = f"open({marker!r}, 'w').write('ran')"
    obj = proto(4) + glob("builtins", "exec") + s(code) + TUPLE1 + REDUCE + STOP
    return head + obj + pickle.dumps([], protocol=2)


def dict_alias_setstate() -> bytes:
    """BUILD's slotstate ``setattr(inst, "__dict__", D)`` makes D the object's attribute dict;
    a SETITEM on D (fetched from the memo) after that BUILD adds ``__setstate__``; the second
    BUILD calls it with a nested pickle."""
    return (proto(4) + NAMESPACE
            + NONE + EMPTY_DICT + s("__dict__") + EMPTY_DICT + put(1) + SETITEM + TUPLE2 + BUILD
            + get(1) + s("__setstate__") + LOAD_FROM_BYTES + SETITEM + POP
            + bb(torch_legacy_payload("PWNED")) + BUILD + STOP)


def computed_key_append() -> bytes:
    """A state key computed at load time (``builtins.str("append")``) is an ordinary attribute
    name to BUILD (``type(k) is str``); APPEND on the object calls it."""
    key = glob("builtins", "str") + s("append") + TUPLE1 + REDUCE
    return (proto(4) + NAMESPACE + EMPTY_DICT + key + LOAD_FROM_BYTES + SETITEM + BUILD
            + bb(torch_legacy_payload("PWNED")) + APPEND + STOP)


def class_setattr() -> bytes:
    """BUILD on a class (not an instance) with a slotstate: ``setattr(argparse.Namespace, ...)``
    changes the class for the whole process."""
    return (proto(4) + glob("argparse", "Namespace") + NONE + EMPTY_DICT + s("mlbom_marker") + s("patched")
            + SETITEM + TUPLE2 + BUILD + STOP)


def setitem_attribute_not_called() -> bytes:
    """An instance attribute ``__setitem__`` is never what SETITEM calls (``obj[k] = v`` looks
    the method up on the type): the load raises before any payload runs. What is left is an
    object holding a gadget as an attribute (suspicious, not unsafe)."""
    return (proto(4) + NAMESPACE + EMPTY_DICT + s("__setitem__") + LOAD_FROM_BYTES + SETITEM + BUILD
            + s("k") + bb(torch_legacy_payload("PWNED")) + SETITEM + STOP)


def module_getattr_append() -> bytes:
    """nn.Module.__getattr__ hands out ``self._modules[name]`` for a name the module lacks:
    APPEND on an Identity module calls the ``_modules`` entry ``append``."""
    state = EMPTY_DICT + s("_modules") + EMPTY_DICT + s("append") + LOAD_FROM_BYTES + SETITEM + SETITEM
    return (proto(4) + glob("torch.nn.modules.linear", "Identity") + EMPTY_TUPLE + NEWOBJ + state + BUILD
            + bb(torch_legacy_payload("PWNED")) + APPEND + STOP)


def bunch_item_append() -> bytes:
    """sklearn's Bunch is a dict whose ``__getattr__`` returns ``self[name]``: an item set by
    SETITEM is the ``append`` that APPEND calls."""
    return (proto(4) + glob("sklearn.utils._bunch", "Bunch") + EMPTY_TUPLE + NEWOBJ
            + s("append") + LOAD_FROM_BYTES + SETITEM + bb(torch_legacy_payload("PWNED")) + APPEND + STOP)


def reconstructor_bunch_items() -> bytes:
    """``copyreg._reconstructor(Bunch, dict, m)`` runs ``dict.__init__(obj, m)``: m's items
    are the Bunch's items, and its ``__getattr__`` hands ``m['append']`` to APPEND."""
    m = EMPTY_DICT + s("append") + LOAD_FROM_BYTES + SETITEM
    obj = (glob("copyreg", "_reconstructor") + MARK + glob("sklearn.utils._bunch", "Bunch") + glob("builtins", "dict")
           + m + b"t" + REDUCE)
    return proto(4) + obj + bb(torch_legacy_payload("PWNED")) + APPEND + STOP


def simplenamespace_mapping_setstate() -> bytes:
    """``types.SimpleNamespace(mapping)`` (Python >= 3.13) sets an attribute per item: the
    mapping's ``__setstate__`` is what BUILD then calls."""
    ns = glob("types", "SimpleNamespace") + EMPTY_DICT + s("__setstate__") + LOAD_FROM_BYTES + SETITEM + TUPLE1 + REDUCE
    return proto(4) + ns + bb(torch_legacy_payload("PWNED")) + BUILD + STOP


# name -> (builder, verdict, mode, what it shows, sandbox check: "marker" | "no-marker" |
# "class-patched", interpreter: "venv" (this one, with torch) | "py313" (pyenv's 3.13 with a
# stand-in torch.storage._load_from_bytes that reads torch's legacy pickle sequence))
REPRODUCERS = {
    "model-dict-alias-setstate.pkl": (
        dict_alias_setstate, "unsafe", "plain", "issue 12 model: setattr(inst, '__dict__', D) aliases D; a later "
        "SETITEM on the memo'd D adds __setstate__, the second BUILD calls _load_from_bytes", "marker"),
    "model-computed-key-append.pkl": (
        computed_key_append, "unsafe", "plain", "issue 12 model: a state key computed at load time "
        "(builtins.str('append')) becomes the attribute APPEND calls (the name rule never saw it)", "marker"),
    "model-class-setattr.pkl": (
        class_setattr, "unsafe", "plain", "issue 12 model: BUILD's slotstate on a class object is setattr on "
        "argparse.Namespace itself: a process-wide mutation", "class-patched"),
    "model-setitem-attr-not-called.pkl": (
        setitem_attribute_not_called, "suspicious", "plain", "issue 12 model: an instance attribute __setitem__ "
        "is not what SETITEM calls (type lookup); the gadget stays stored as an attribute", "no-marker"),
    "model-module-getattr-append.pkl": (
        module_getattr_append, "unsafe", "plain", "issue 12 model: nn.Module.__getattr__ returns _modules['append'] "
        "for APPEND on an Identity module", "marker"),
    "model-bunch-item-append.pkl": (
        bunch_item_append, "unsafe", "plain", "issue 12 model: sklearn Bunch.__getattr__ returns the item 'append' "
        "set by SETITEM; APPEND calls it", "marker"),
    "model-reconstructor-bunch-items.pkl": (
        reconstructor_bunch_items, "unsafe", "plain", "issue 12 model: copyreg._reconstructor(Bunch, dict, m) gives "
        "the Bunch m's items; its __getattr__ hands m['append'] to APPEND", "marker"),
    "model-simplenamespace-mapping-setstate.pkl": (
        simplenamespace_mapping_setstate, "unsafe", "plain", "issue 12 model: SimpleNamespace(mapping) (Python "
        "3.13+) sets __setstate__, BUILD calls it", "marker", "py313"),
}

_SANDBOX = """
import argparse, pickle, sys
try:
    pickle.load(open(sys.argv[1], 'rb'))
except Exception as exc:
    print('raised', type(exc).__name__)
print('patched' if getattr(argparse.Namespace, 'mlbom_marker', None) == 'patched' else 'intact')
"""


_STUB = """import io, pickle
def _load_from_bytes(b):  # torch.load's legacy reading: magic, protocol, sys info, then the object
    f = io.BytesIO(b)
    return [pickle.load(f) for _ in range(4)][-1]
"""
PY313 = Path("/root/.pyenv/versions/3.13.0/bin/python3.13")


def _sandbox_check(data: bytes, check: str, interpreter: str = "venv") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "repro.pkl"
        f.write_bytes(data)
        cmd = [sys.executable, "-I", "-c", _SANDBOX, str(f)]
        if interpreter == "py313":
            stub = Path(tmp) / "stub" / "torch"
            stub.mkdir(parents=True)
            (stub / "__init__.py").write_text("")
            (stub / "storage.py").write_text(_STUB)
            cmd = [str(PY313), "-c", f"import sys; sys.path.insert(0, {str(stub.parent)!r}); " + _SANDBOX,
                   str(f)]
        out = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=120, check=False).stdout
        ran = (Path(tmp) / "PWNED").exists()
    if check == "marker":
        assert ran, f"the payload did not run: {out}"
    elif check == "no-marker":
        assert not ran, "the payload ran"
    else:
        assert "patched" in out.split(), out


def test_reproducer_files_match_their_builders() -> None:
    for name, (build, *_rest) in REPRODUCERS.items():
        assert (HOSTILE / name).read_bytes() == build(), name


def test_reproducer_verdicts() -> None:
    for name, (build, verdict, *_rest) in REPRODUCERS.items():
        assert walk(build()).verdict == verdict, (name, walk(build()).findings)


# -- routes as unit tests -----------------------------------------------------------------

def _ids(data: bytes) -> list[str]:
    return [f.message for f in walk(data).findings]


def test_build_calls_an_instance_setstate_set_by_an_earlier_build() -> None:
    data = (proto(4) + NAMESPACE + EMPTY_DICT + s("__setstate__") + LOAD_FROM_BYTES + SETITEM + BUILD
            + bb(torch_legacy_payload("x")) + BUILD + STOP)
    rep = walk(data)
    assert rep.verdict == "unsafe"
    assert any("BUILD calls __setstate__" in f.message for f in rep.findings)


def test_a_benign_first_build_then_second_build_merges_state() -> None:
    # two plain dict states: no __setstate__ anywhere, both merged (no call, no finding)
    data = (proto(4) + NAMESPACE + EMPTY_DICT + s("a") + s("b") + SETITEM + BUILD
            + EMPTY_DICT + s("c") + s("d") + SETITEM + BUILD + STOP)
    assert walk(data).verdict == "safe"


def test_setstate_from_a_call_result_is_judged_as_a_dynamic_callable() -> None:
    made = glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
    data = (proto(4) + NAMESPACE + EMPTY_DICT + s("__setstate__") + made + SETITEM + BUILD
            + EMPTY_DICT + BUILD + STOP)
    rep = walk(data)
    assert rep.verdict == "suspicious"
    assert any("produced at load time" in m for m in _ids(data))


def test_setstate_set_to_an_allowlisted_data_callable_is_a_call_of_it() -> None:
    # inst.__setstate__ = collections.OrderedDict: BUILD calls OrderedDict(state) — data
    data = (proto(4) + NAMESPACE + EMPTY_DICT + s("__setstate__") + glob("collections", "OrderedDict")
            + SETITEM + BUILD + EMPTY_DICT + BUILD + STOP)
    rep = walk(data)
    # the call itself is data; setting a dunder as an instance attribute is what no pickler
    # writes (red team 8a: protocol names libraries look up on the instance)
    assert rep.verdict == "suspicious", rep.findings
    assert any(f.id == "pickle.instance-call" for f in rep.findings)
    assert {f.id for f in rep.findings if f.effect} == {"pickle.protocol-attribute"}


def test_appends_calls_an_instance_extend_with_the_list() -> None:
    data = (proto(4) + NAMESPACE + EMPTY_DICT + s("extend") + LOAD_FROM_BYTES + SETITEM + BUILD
            + MARK + bb(torch_legacy_payload("x")) + APPENDS + STOP)
    rep = walk(data)
    # extend([payload]) hands _load_from_bytes a list: not walkable bytes, judged unsafe
    assert rep.verdict == "unsafe"


def test_additems_calls_an_instance_add() -> None:
    data = (proto(4) + NAMESPACE + EMPTY_DICT + s("add") + LOAD_FROM_BYTES + SETITEM + BUILD
            + MARK + bb(torch_legacy_payload("x")) + ADDITEMS + STOP)
    assert walk(data).verdict == "unsafe"


def test_appends_on_an_allowlisted_instance_without_attributes_is_data() -> None:
    data = proto(4) + NAMESPACE + MARK + s("a") + APPENDS + STOP
    assert walk(data).verdict == "safe"


def test_a_value_under_an_untracked_key_may_be_any_attribute() -> None:
    # a key that is a persistent object may be any str: its value may be __setstate__
    key = s("k") + b"Q"  # BINPERSID
    made = glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
    data = (proto(4) + NAMESPACE + EMPTY_DICT + key + made + SETITEM + BUILD + EMPTY_DICT + BUILD + STOP)
    rep = walk(data)
    assert rep.verdict == "suspicious", rep.findings
    assert any("produced at load time" in f.message for f in rep.findings)
    # the same value there, but no lookup after the BUILD: nothing is called, yet the key may
    # name a protocol attribute such as __array_interface__ (red team 8a)
    rep = walk(proto(4) + NAMESPACE + EMPTY_DICT + key + made + SETITEM + BUILD + STOP)
    assert rep.verdict == "suspicious"
    assert {f.id for f in rep.findings if f.effect} == {"pickle.protocol-attribute"}


def test_a_str_subclass_key_names_an_attribute() -> None:
    # numpy.str_("append") is a str subclass: inst.__dict__ lookups by "append" find it
    key = glob("numpy", "str_") + s("append") + TUPLE1 + REDUCE
    data = (proto(4) + NAMESPACE + EMPTY_DICT + key + LOAD_FROM_BYTES + SETITEM + BUILD
            + bb(torch_legacy_payload("x")) + APPEND + STOP)
    assert walk(data).verdict == "unsafe"


def test_a_state_over_the_cell_budget_leaves_attributes_unknown() -> None:
    data = (proto(4) + NAMESPACE + EMPTY_DICT + MARK + b"".join(s(f"k{i}") + s("v") for i in range(20))
            + b"u" + BUILD + EMPTY_DICT + BUILD + STOP)
    rep = read_pickle(io.BytesIO(data), len(data), limits=Limits(cells=10))
    assert rep.verdict == "suspicious", rep.findings
    assert any("cannot tell" in f.message for f in rep.findings)


def test_slotstate_class_reassignment_to_a_dynamic_value() -> None:
    made = glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
    data = (proto(4) + NAMESPACE + NONE + EMPTY_DICT + s("__class__") + made + SETITEM + TUPLE2 + BUILD
            + MARK + s("x") + APPENDS + STOP)
    rep = walk(data)
    assert rep.verdict == "suspicious"
    assert any("class was set to" in m for m in _ids(data))


def test_torch_state_setter_applies_setattr_then_build_calls_it() -> None:
    # _rebuild_parameter_with_state(data, requires_grad, hooks, state): _set_obj_state setattr's
    # the state dict on the Parameter; a BUILD on the result then calls that __setstate__
    state = EMPTY_DICT + s("__setstate__") + LOAD_FROM_BYTES + SETITEM
    data = (proto(4) + glob("torch._utils", "_rebuild_parameter_with_state")
            + MARK + NONE + b"\x89" + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + state + b"t"
            + REDUCE + bb(torch_legacy_payload("x")) + BUILD + STOP)
    assert walk(data).verdict == "unsafe"


def test_a_real_nn_module_is_still_safe() -> None:
    # NEWOBJ + dict state as torch's pickler writes modules: nothing called beyond the class
    data = (proto(4) + glob("torch.nn.modules.linear", "Identity") + EMPTY_TUPLE + NEWOBJ
            + EMPTY_DICT + s("training") + b"\x88" + SETITEM + BUILD + STOP)
    assert walk(data).verdict == "safe"


def test_build_on_a_class_with_state_is_unsafe_and_empty_is_suspicious() -> None:
    assert walk(class_setattr()).verdict == "unsafe"
    assert walk(proto(4) + glob("argparse", "Namespace") + EMPTY_DICT + BUILD + STOP).verdict == "suspicious"


def test_joblib_wrapper_read_replaced_by_state() -> None:
    wrapper = glob("joblib.numpy_pickle", "NumpyArrayWrapper") + EMPTY_TUPLE + NEWOBJ
    data = (proto(4) + wrapper + EMPTY_DICT + s("read") + glob("collections", "OrderedDict") + SETITEM
            + BUILD + STOP)
    rep = walk(data, joblib=True)
    assert rep.verdict == "suspicious"
    assert any("joblib calls read" in f.message for f in rep.findings)


def test_an_object_returned_as_itself_keeps_its_attributes() -> None:
    # _rebuild_device_tensor_from_cpu_tensor returns data.to(...), the same object when nothing
    # changes: a __setstate__ stored through the result is the original's
    made = glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
    x = glob("argparse", "Namespace") + EMPTY_TUPLE + NEWOBJ + put(1)
    y = (glob("torch._utils", "_rebuild_device_tensor_from_cpu_tensor") + MARK + get(1) + NONE + s("cpu")
         + b"\x89" + b"t" + REDUCE)
    data = (proto(4) + x + POP + y + EMPTY_DICT + s("__setstate__") + made + SETITEM + BUILD + POP
            + get(1) + EMPTY_DICT + BUILD + STOP)
    rep = walk(data)
    assert rep.verdict == "suspicious", rep.findings
    assert any("BUILD calls __setstate__" in f.message for f in rep.findings)


def test_an_object_from_a_nested_pickle_has_unknown_attributes() -> None:
    benign = torch_legacy_payload("x").split(proto(4))[0] + pickle.dumps(1, protocol=2) + pickle.dumps([], protocol=2)
    data = proto(4) + LOAD_FROM_BYTES + bb(benign) + TUPLE1 + REDUCE + EMPTY_DICT + BUILD + STOP
    rep = walk(data)
    assert rep.verdict == "suspicious", rep.findings
    assert any("nested pickle" in f.message for f in rep.findings)


def main() -> None:
    HOSTILE.mkdir(parents=True, exist_ok=True)
    rows = [line for line in (HOSTILE / "EXPECTED.tsv").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r.split("\t")[0] not in REPRODUCERS]
    for name, (build, verdict, mode, what, check, *interp) in REPRODUCERS.items():
        data = build()
        _sandbox_check(data, check, *interp)
        (HOSTILE / name).write_bytes(data)
        rows.append("\t".join((name, verdict, mode, what)))
        print(f"{name}: checked ({check}), {verdict}")
    (HOSTILE / "EXPECTED.tsv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()


# -- red team 7a (1): allowlisted state setters that store attributes from a tuple state ------

NDARRAY = (glob("numpy._core.multiarray", "_reconstruct") + glob("numpy", "ndarray") + i1(0) + TUPLE1 + bs("b")
           + TUPLE3 + REDUCE)


def _pyx(cls: tuple[str, str], helper: tuple[str, str], state: bytes = NONE) -> bytes:
    return glob(*helper) + glob(*cls) + i1(1) + state + TUPLE3 + REDUCE


@pytest.mark.parametrize("cls", [("pandas.arrays", "DatetimeArray"), ("pandas.arrays", "TimedeltaArray"),
                                 ("pandas.arrays", "PeriodArray"), ("pandas.arrays", "Categorical")])
@pytest.mark.parametrize("shape", ["3-tuple", "1-tuple", "list", "helper-arg"])
def test_tuple_state_dicts_become_attributes(cls: tuple[str, str], shape: str) -> None:
    # NDArrayBacked.__setstate__: setattr for each item of state[2] (of state[0] for a 1-tuple);
    # Cython's __pyx_unpickle_*__set_state: __dict__.update(state[n]) from the helper's argument
    attrs = EMPTY_DICT + s("__setstate__") + LOAD_FROM_BYTES + SETITEM
    helper = ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked")
    if shape == "helper-arg":
        obj = _pyx(cls, helper, MARK + NONE + NDARRAY + attrs + b"t")
    else:
        state = {"3-tuple": NDARRAY + NONE + attrs + TUPLE3, "1-tuple": attrs + TUPLE1,
                 "list": EMPTY_LIST + NDARRAY + APPEND + attrs + APPEND}[shape]
        obj = _pyx(cls, helper) + state + BUILD
    rep = walk(proto(4) + obj + bb(torch_legacy_payload("x")) + BUILD + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_tuple_state_with_an_untracked_mapping_is_not_safe() -> None:
    # an OrderedDict built by a call whose items mlbom cannot tell: BUILD's lookup of __setstate__
    # on the object finds attributes it cannot tell -> suspicious, never safe
    odict = glob("collections", "OrderedDict") + MARK + glob("builtins", "zip") + EMPTY_TUPLE + REDUCE + b"t" + REDUCE
    obj = _pyx(("pandas.arrays", "DatetimeArray"), ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"))
    rep = walk(proto(4) + obj + NDARRAY + NONE + odict + TUPLE3 + BUILD + bs("x") + BUILD + STOP)
    assert rep.verdict != "safe", rep.findings


def test_ndarray_tuple_state_and_plain_tuple_attrs_stay_safe() -> None:
    # what pandas writes: (ndarray, dtype, {"_freq": None}) sets a data attribute only
    obj = _pyx(("pandas.arrays", "DatetimeArray"), ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"))
    attrs = EMPTY_DICT + s("_freq") + NONE + SETITEM
    rep = walk(proto(4) + obj + NDARRAY + NONE + attrs + TUPLE3 + BUILD + STOP)
    assert rep.verdict == "safe", rep.findings
