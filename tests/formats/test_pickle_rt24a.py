"""Red team 24a: a value the loader hands to a str-taking sink is judged by what the loader sees,
and an ``nn.Module`` called at load is judged with the hooks its call runs.

24a-2: pandas' ``maybe_get_tz`` tests ``isinstance(tz, str)``, so ``numpy.str_('dateutil/<path>')``
(pickled as ``numpy.core.multiarray.scalar(dtype('<U..'), <UCS4 bytes>)``) opens ``<path>`` like a
plain str; mlbom read only Python ``str`` values and skipped the scalar (``safe``). Now numpy
str/bytes scalars and str-subclass instances are read as their text (:func:`_loader_text`), and a
time-zone or dtype argument mlbom cannot read as text (nor as a tzinfo or dtype object) is
``suspicious``. 24a-1: ``Module._call_impl`` calls every ``_forward_pre_hooks`` value as
``hook(module, args)`` (and ``_forward_hooks`` after ``forward``); a module called at load (a
defaultdict factory pandas' ``Categorical.__setstate__`` calls) now has those values judged as
calls. Hand-written opcodes (CI has no numpy/pandas/torch) and, where installed, the real pickler."""

from __future__ import annotations

import functools
import pickle
import struct

import pytest

from tests.formats.pickle_ops import (
    BUILD,
    EMPTY_TUPLE,
    MARK,
    NEWOBJ,
    NONE,
    POP,
    SETITEM,
    SETITEMS,
    STOP,
    TUPLE,
    bb,
    call,
    categorical_with_state,
    defaultdict_of,
    get,
    glob,
    i1,
    ids,
    proto,
    put,
    s,
    walk,
)

SECRET = "dateutil//tmp/rt24a_secret"


def _u_dtype(n: int, order: str = "<") -> bytes:
    """numpy.dtype('U<n>', False, True) + BUILD (3, order, None, None, None, 4n, 4, 8), as numpy pickles it."""
    return call(glob("numpy", "dtype"), s(f"U{n}"), b"\x89", b"\x88") + MARK + i1(3) + s(order) + NONE + NONE \
        + NONE + b"J" + struct.pack("<i", 4 * n) + i1(4) + i1(8) + TUPLE + BUILD


def _np_str(text: str, order: str = "<", pad: int = 0) -> bytes:
    """numpy.str_(text): numpy.core.multiarray.scalar(dtype, <UCS4 bytes>)."""
    n = len(text) + pad
    raw = text.ljust(n, "\0").encode("utf-32-be" if order == ">" else "utf-32-le")
    return call(glob("numpy.core.multiarray", "scalar"), _u_dtype(n, order), bb(raw))


def _tz_dtype(tz: bytes) -> bytes:
    return proto(4) + call(glob("pandas", "DatetimeTZDtype"), s("ns"), tz) + STOP


@pytest.mark.parametrize("order,pad", [("<", 0), (">", 0), ("<", 3)])
def test_24a_2_numpy_str_time_zone_is_read_as_its_text(order: str, pad: int) -> None:
    rep = walk(_tz_dtype(_np_str(SECRET, order, pad)))
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings
    assert any("rt24a_secret" in f.message for f in rep.findings), rep.findings


def test_24a_2_numpy_str_iana_zone_stays_safe() -> None:
    rep = walk(_tz_dtype(_np_str("Europe/Paris")))
    assert rep.verdict == "safe", rep.findings


def test_24a_2_str_subclass_by_reconstructor_is_read() -> None:
    tz = call(glob("copyreg", "_reconstructor"), glob("numpy", "str_"), glob("builtins", "str"), s(SECRET))
    rep = walk(_tz_dtype(tz))
    assert rep.verdict == "unsafe", rep.findings


def test_24a_2_dtype_string_as_numpy_str_is_read() -> None:
    # DatetimeTZDtype(unit) parses a 'datetime64[ns, <tz>]' string (isinstance(unit, str))
    data = proto(4) + call(glob("pandas", "DatetimeTZDtype"), _np_str(f"datetime64[ns, {SECRET}]")) + STOP
    rep = walk(data)
    assert rep.verdict == "unsafe", rep.findings


@pytest.mark.parametrize("tz", [
    call(glob("builtins", "str"), call(glob("pathlib", "PurePosixPath"), s("x"))),  # str computed at load
    call(glob("numpy.core.multiarray", "scalar"), call(glob("numpy", "dtype"), s("U4"), b"\x89", b"\x88"),
         call(glob("builtins", "bytes"), b"]")),  # scalar bytes mlbom does not know
    call(glob("collections", "OrderedDict")),  # an object that is neither a tzinfo nor text
])
def test_24a_2_time_zone_mlbom_cannot_read_is_never_skipped(tz: bytes) -> None:
    rep = walk(_tz_dtype(tz))
    assert rep.verdict in ("suspicious", "unsafe", "error"), rep.findings


def test_24a_2_tzinfo_object_stays_safe() -> None:
    tz = call(glob("datetime", "timezone"), call(glob("datetime", "timedelta"), i1(0), i1(0), i1(0)))
    rep = walk(_tz_dtype(tz))
    assert rep.verdict == "safe", rep.findings


def test_24a_2_real_pickler_numpy_str_zone() -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")

    class Host:
        def __reduce__(self) -> tuple[object, ...]:
            return (pd.DatetimeTZDtype, ("ns", np.str_(SECRET)))

    rep = walk(pickle.dumps(Host(), protocol=2))
    assert rep.verdict == "unsafe", rep.findings
    benign = pd.DataFrame({"t": pd.date_range("2020", periods=3, tz="Europe/Paris")})
    assert walk(pickle.dumps(benign, protocol=4)).verdict == "safe"
    assert walk(pickle.dumps(np.str_("x"), protocol=2)).verdict == "safe"


# 24a-1 -------------------------------------------------------------------------------------------

TZFILE = glob("dateutil.tz._tzfile", "tzfile")


def _relu(hooks: bytes | None, name: str = "_forward_pre_hooks", plain_dict: bool = False) -> bytes:
    """ReLU.__new__ + BUILD {'training': True, name: OrderedDict({1: hook, ...})}."""
    state = b"}" + MARK + s("training") + b"\x88"
    if hooks is not None:
        holder = b"}" if plain_dict else call(glob("collections", "OrderedDict"))
        state += s(name) + holder + MARK + hooks + SETITEMS
    return glob("torch.nn.modules.activation", "ReLU") + EMPTY_TUPLE + NEWOBJ + state + SETITEMS + BUILD


def _called_module(module: bytes) -> bytes:
    """pandas Categorical.__setstate__ calls the defaultdict's factory (the module) at load."""
    return proto(2) + categorical_with_state(defaultdict_of(module)) + STOP


@pytest.mark.parametrize("name", ["_forward_pre_hooks", "_forward_hooks"])
@pytest.mark.parametrize("plain_dict", [False, True])
def test_24a_1_hook_of_a_module_called_at_load_is_a_call(name: str, plain_dict: bool) -> None:
    rep = walk(_called_module(_relu(i1(1) + TZFILE, name, plain_dict)))
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_24a_1_partial_hook_gets_the_module_and_args() -> None:
    hook = call(glob("functools", "partial"), glob("builtins", "int"))
    rep = walk(_called_module(_relu(i1(1) + hook)))
    assert rep.verdict != "unsafe", rep.findings  # int(module, args): no gadget
    rep = walk(_called_module(_relu(i1(1) + call(glob("functools", "partial"), TZFILE, s("/etc/passwd")))))
    assert rep.verdict == "unsafe", rep.findings


def test_24a_1_module_without_hooks_is_not_unsafe() -> None:
    assert walk(_called_module(_relu(None))).verdict == "suspicious"
    assert walk(_called_module(_relu(b""))).verdict == "suspicious"


def test_24a_1_backward_hooks_are_not_called_at_load() -> None:
    rep = walk(_called_module(_relu(i1(1) + glob("builtins", "int"), "_backward_hooks")))
    assert rep.verdict != "unsafe", rep.findings


def test_24a_1_real_pickler_forward_pre_hook() -> None:
    torch = pytest.importorskip("torch")
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    import collections

    for hook in (functools.partial(pd.Timestamp, tz=np.str_(SECRET)),):
        m = torch.nn.ReLU()
        m.register_forward_pre_hook(hook)
        body = pickle.dumps(collections.defaultdict(m), protocol=2)
        data = b"\x80\x02" + b"cpandas\nCategorical\n" + b")\x81" + body[2:-1] + b"b."
        rep = walk(data)
        assert rep.verdict == "unsafe", rep.findings


def test_24a_2_fraction_of_numpy_str_is_parsed_text() -> None:
    # Fraction tests isinstance(numerator, str): a numpy.str_ decimal is parsed like a str (a bomb)
    data = proto(4) + call(glob("fractions", "Fraction"), _np_str("1e1000000000")) + STOP
    rep = walk(data)
    assert rep.verdict != "safe" and "pickle.bomb" in ids(rep), rep.findings
    assert walk(proto(4) + call(glob("fractions", "Fraction"), _np_str("3/4")) + STOP).verdict == "safe"


def _late_hooks(via_setitem: bool) -> bytes:
    """The module is the factory of a defaultdict made BEFORE its hooks exist: a later BUILD of
    the module (or a later SETITEM into its memoised hook OrderedDict) adds a hook; the factory is
    called only when Categorical's BUILD runs, after both."""
    relu = glob("torch.nn.modules.activation", "ReLU") + EMPTY_TUPLE + NEWOBJ + put(1)
    dd = defaultdict_of(get(1)) + put(2) + POP
    if via_setitem:
        state = b"}" + MARK + s("training") + b"\x88" + s("_forward_pre_hooks") \
            + call(glob("collections", "OrderedDict")) + put(3) + SETITEMS
        body = relu + state + BUILD + POP + dd + get(3) + i1(1) + TZFILE + SETITEM + POP
    else:
        state = b"}" + MARK + s("training") + b"\x88" + s("_forward_pre_hooks") \
            + call(glob("collections", "OrderedDict")) + MARK + i1(1) + TZFILE + SETITEMS + SETITEMS
        body = relu + POP + dd + get(1) + state + BUILD + POP
    return proto(4) + body + categorical_with_state(get(2)) + STOP


@pytest.mark.parametrize("via_setitem", [False, True])
def test_24a_1_hooks_added_after_the_call_was_judged(via_setitem: bool) -> None:
    rep = walk(_late_hooks(via_setitem))
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings
