"""Red team 23a: no limit of the pickle evaluator answers "not dangerous" when it stops, and a
partial's keywords given as a dict subclass are read as CPython's ``partial_setstate`` reads them.

23a-1/23a-2: :meth:`_Walker.gadget` unwrapped at most 8 partials and then called the rest harmless;
a live chain (``partial.__setstate__`` stores its function unflattened) of 9 hid ``tzfile(PATH)``,
directly (an instance attribute) or through the fail-closed re-judge past the budget. Every judge
of "what calling this partial calls" now reads the whole chain (``_partial_chain``: 64 levels,
deeper is the worst case). 23a-3: ``partial_setstate`` accepts any ``PyDict_Check`` keywords and
stores ``PyDict_Copy`` of a subclass (an OrderedDict's items at that moment); keywords mlbom cannot
read, handed to a helper that calls its arguments, are unsafe when anything in them is dangerous.

The real loader's behaviour is proven with stdlib gadgets (``builtins.open`` of a scratch file,
``pickle.loads`` in a throw-away subprocess); mlbom's verdicts use dateutil's ``tzfile`` and numpy's
``__generator_ctor``, which mlbom never imports (static names only)."""

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

TZ = glob("dateutil.tz._tzfile", "tzfile")


def _partial() -> bytes:
    return glob("functools", "partial")


def _live_chain(inner: bytes, depth: int, first: int = 10) -> bytes:
    """P_1 = partial(inner, PATH); P_k = partial(int) + BUILD (P_{k-1}, (), None, None) (stored
    unflattened): memo first .. first+depth-1, the last one is P_depth."""
    p = call(_partial(), inner, s("/tmp/x")) + put(first) + POP
    for k in range(1, depth):
        p += call(_partial(), glob("builtins", "int")) + MARK + get(first + k - 1) + EMPTY_TUPLE + NONE + NONE \
            + TUPLE + BUILD + put(first + k) + POP
    return p


def _namespace_keys(depth: int, inner: bytes = TZ) -> bytes:
    """23a-1: argparse.Namespace with the instance attribute 'keys' = P_depth; dict(ns) calls it."""
    p = proto(4) + _live_chain(inner, depth)
    p += glob("argparse", "Namespace") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + s("keys") + get(10 + depth - 1) \
        + SETITEM + BUILD + put(200) + POP
    return p + call(glob("builtins", "dict"), get(200)) + STOP


@pytest.mark.parametrize("depth", [1, 8, 9, 10, 40, 70])
def test_23a_1_a_deep_live_chain_is_judged_to_its_end(depth: int) -> None:
    rep = walk(_namespace_keys(depth))
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_23a_1_a_deep_chain_of_harmless_functions_is_not_unsafe() -> None:
    rep = walk(_namespace_keys(20, glob("builtins", "int")))
    assert rep.verdict != "unsafe", rep.findings


def test_23a_1_a_chain_mlbom_stops_following_is_the_worst_case() -> None:
    # 70 levels of harmless partials: past the 64 mlbom follows, the rest is the worst case
    rep = walk(_namespace_keys(70, glob("builtins", "int")))
    assert rep.verdict == "unsafe" and any("64 or more deep" in f.message for f in rep.findings), rep.findings


def _loader_opens(data: bytes, target: Path, then: str = "") -> bool:
    code = ("import pickle, sys\nopened = []\n"
            "sys.addaudithook(lambda ev, a: opened.append(str(a[0])) if ev == 'open' and a else None)\n"
            f"try:\n    x = pickle.loads(bytes.fromhex(sys.argv[1]))\n    {then or 'pass'}\nexcept Exception:\n"
            "    pass\nprint(sys.argv[2] in opened)\n")
    out = subprocess.run([sys.executable, "-c", code, data.hex(), str(target)], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    return out == ["True"]


def test_23a_1_the_real_loader_calls_through_a_live_chain(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_text("x")
    data = _namespace_keys(12, glob("builtins", "open")).replace(s("/tmp/x"), s(str(target)))
    assert _loader_opens(data, target)


def _budget_spent(changes: int, depth: int) -> bytes:
    """23a-2: P held by 64 defaultdict factories; ``changes`` harmless, all different states
    spend the re-judge budget; then P <- (L_depth, ()), L a live chain down to tzfile(PATH)."""
    p = proto(4) + call(_partial(), glob("builtins", "int")) + put(0) + POP
    for _ in range(64):
        p += defaultdict_of(call(_partial(), glob("builtins", "int")) + MARK + get(0) + EMPTY_TUPLE + EMPTY_DICT
                            + NONE + TUPLE + BUILD) + put(1) + POP
    for k in range(changes):
        p += get(0) + MARK + glob("builtins", "int") + MARK + b"J" + k.to_bytes(4, "little") + TUPLE \
            + EMPTY_DICT + NONE + TUPLE + BUILD + POP
    p += _live_chain(TZ, depth)
    p += get(0) + MARK + get(10 + depth - 1) + EMPTY_TUPLE + EMPTY_DICT + NONE + TUPLE + BUILD + POP
    return p + categorical_with_state(get(1)) + STOP


@pytest.mark.parametrize("depth", [8, 9, 12])
def test_23a_2_a_change_past_the_budget_is_judged_to_the_chain_end(depth: int) -> None:
    rep = walk(_budget_spent(80, depth))
    assert rep.verdict == "unsafe", rep.findings
    assert any("past mlbom's budget" in f.message and f.severity == "critical" for f in rep.findings), rep.findings


def _kw_subclass(kind: str, fill_after: bool = False) -> bytes:
    """23a-3: K = <dict subclass>() + SETITEMS {bit_generator_name: PATH, bit_generator_ctor: tzfile};
    P = partial(int); P.__setstate__((__generator_ctor, (), K, None)); defaultdict(P) in pandas
    Categorical's BUILD calls P() = __generator_ctor(PATH, tzfile) = tzfile(PATH)."""
    kinds = {"dict": EMPTY_DICT, "odict": call(glob("collections", "OrderedDict")),
             "counter": call(glob("collections", "Counter")),
             "defaultdict": defaultdict_of(glob("builtins", "list"))}
    fill = get(1) + MARK + s("bit_generator_name") + s("/tmp/x") + s("bit_generator_ctor") + TZ + SETITEMS + POP
    p = proto(4) + call(_partial(), glob("builtins", "int")) + put(0) + POP + kinds[kind] + put(1) + POP
    p += b"" if fill_after else fill
    p += get(0) + MARK + glob("numpy.random._pickle", "__generator_ctor") + EMPTY_TUPLE + get(1) + NONE + TUPLE \
        + BUILD + POP
    p += fill if fill_after else b""
    return p + categorical_with_state(defaultdict_of(get(0))) + STOP


@pytest.mark.parametrize("kind", ["dict", "odict", "counter", "defaultdict"])
def test_23a_3_keywords_in_a_dict_subclass_are_read_as_its_items(kind: str) -> None:
    rep = walk(_kw_subclass(kind))
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_23a_3_items_set_after_the_copy_do_not_reach_the_partial() -> None:
    # partial_setstate copied the OrderedDict (empty then): its later items are not the call's
    rep = walk(_kw_subclass("odict", fill_after=True))
    assert "pickle.dangerous-callable" not in ids(rep), rep.findings


def test_23a_3_the_real_loader_copies_an_ordereddict_at_setstate(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_text("x")
    made = proto(4) + call(_partial(), glob("builtins", "int")) + put(0) + POP + call(glob("collections", "OrderedDict"))
    made += put(1) + POP
    fill = get(1) + MARK + s("file") + s(str(target)) + SETITEMS + POP
    state = get(0) + MARK + glob("builtins", "open") + EMPTY_TUPLE + get(1) + NONE + TUPLE + BUILD + POP
    assert _loader_opens(made + fill + state + get(0) + STOP, target, "x()")
    assert not _loader_opens(made + state + fill + get(0) + STOP, target, "x()")


def test_23a_3_unread_keywords_holding_a_gadget_for_a_helper_that_calls_arguments() -> None:
    # keywords as an allowlisted dict subclass mlbom does not model (sklearn's Bunch): not read
    # as the call's keywords, but the helper calls what they hold: a gadget reachable there is unsafe
    p = proto(4) + call(_partial(), glob("builtins", "int")) + put(0) + POP
    p += call(glob("sklearn.utils._bunch", "Bunch")) + put(1) + MARK + s("bit_generator_name") + s("/tmp/x") \
        + s("bit_generator_ctor") + TZ + SETITEMS + POP
    p += get(0) + MARK + glob("numpy.random._pickle", "__generator_ctor") + EMPTY_TUPLE + get(1) + NONE + TUPLE \
        + BUILD + POP
    rep = walk(p + categorical_with_state(defaultdict_of(get(0))) + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings
    harmless = p.replace(TZ, glob("builtins", "int"))
    rep = walk(harmless + categorical_with_state(defaultdict_of(get(0))) + STOP)
    assert rep.verdict != "unsafe", rep.findings


def _module_with_forward(func: bytes, path: str) -> bytes:
    """torch.nn.Identity.__new__ + BUILD {'forward': partial(func, path)} (Module.__setstate__ is
    ``self.__dict__.update(state)``), memo 5."""
    return glob("torch.nn.modules.linear", "Identity") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + s("forward") \
        + call(_partial(), func, s(path)) + SETITEM + BUILD + put(5)


def test_23a_c_an_nn_module_whose_instance_forward_is_a_gadget_is_unsafe() -> None:
    # calling an nn.Module (as a defaultdict factory here) runs Module._call_impl: self.forward,
    # an instance attribute hiding the class's method (a function is no data descriptor)
    p = proto(4) + _module_with_forward(TZ, "/tmp/x") + POP
    rep = walk(p + categorical_with_state(defaultdict_of(get(5))) + STOP)
    assert rep.verdict == "unsafe" and any("'forward'" in f.message and f.severity == "critical"
                                           for f in rep.findings), rep.findings


def test_23a_c_the_real_module_call_runs_the_instance_forward(tmp_path: Path) -> None:
    # a real nn.Module pickled by torch's own pickler with an instance forward: calling the loaded
    # module runs it (the loader is the proof), and mlbom judges those real bytes unsafe
    pytest.importorskip("torch")
    target = tmp_path / "secret"
    target.write_text("x")
    code = ("import functools, pickle, sys, torch\nm = torch.nn.Identity()\n"
            "m.forward = functools.partial(open, sys.argv[1])\nprint(pickle.dumps(m, protocol=4).hex())\n")
    data = bytes.fromhex(subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True,
                                        timeout=120, check=True).stdout.strip())
    assert _loader_opens(data, target, "x()")
    rep = walk(data)
    assert rep.verdict == "unsafe" and any("'forward'" in f.message for f in rep.findings), rep.findings


def test_23a_keywords_past_the_256_placed_are_judged() -> None:
    # __generator_ctor(**{300 keywords}) with bit_generator_ctor=tzfile last: past the 256 keywords
    # mlbom places, the rest is judged as the worst case, never dropped
    items = b"".join(s(f"k{n}") + s("v") for n in range(300))
    p = proto(4) + call(_partial(), glob("builtins", "int")) + put(0) + POP + EMPTY_DICT + put(1) + MARK + items \
        + s("bit_generator_name") + s("/tmp/x") + s("bit_generator_ctor") + TZ + SETITEMS + POP
    p += get(0) + MARK + glob("numpy.random._pickle", "__generator_ctor") + EMPTY_TUPLE + get(1) + NONE + TUPLE \
        + BUILD + POP
    rep = walk(p + categorical_with_state(defaultdict_of(get(0))) + STOP)
    assert rep.verdict == "unsafe", rep.findings
