"""Red team 9a: raw-memory protocol names (``__array_interface__`` ...) reached through objects
that answer attribute lookups from their DATA (pandas index labels, a Bunch's items, nn.Module
boxes, ParameterDict keys, a class changed by ``__class__``), the names made at load time
(decoded bytes, numpy ``U`` buffers, ``numpy.add``, rot13), torch's weights_only BUILD on an
OrderedDict, and ``functools.partial`` (HistGradientBoosting's categorical preprocessing).
The red team's files are ``rt9a-*`` rows of ``hostile/pickle`` and ``hostile/scanner``."""

from __future__ import annotations

import io
import pickle
import struct
from pathlib import Path

import pytest

from mlbom.formats.pickle import MAX_LINE, MAX_READ_ARG, read_pickle
from tests.formats.pickle_ops import (
    BUILD,
    EMPTY_DICT,
    EMPTY_LIST,
    EMPTY_TUPLE,
    MARK,
    NEWOBJ,
    NONE,
    REDUCE,
    SETITEM,
    SETITEMS,
    STOP,
    TUPLE,
    TUPLE1,
    TUPLE2,
    bb,
    call,
    glob,
    i1,
    proto,
    s,
    system,
    walk,
)

NAME = "__array_interface__"
IFACE = EMPTY_DICT + s("data") + MARK + i1(16) + b"\x88" + TUPLE + SETITEM  # {"data": (16, True)}
BUNCH = glob("sklearn.utils._bunch", "Bunch")


def _proto_ids(data: bytes, **kw: object) -> tuple[str, set[str]]:
    rep = walk(data, **kw)
    return rep.verdict, {f.id for f in rep.findings if f.effect}


def _u_array(buf: bytes, dtype: str) -> bytes:
    """What numpy writes for a U array: _reconstruct(ndarray, (0,), b'b') + BUILD of
    (1, shape, dtype(<dtype>), False, raw bytes); the dtype's state holds its item size (4 bytes
    a character) and alignment, as numpy's does."""
    dt = call(glob("numpy", "dtype"), s(dtype), b"\x89", b"\x88") + MARK + i1(3) + s("<") + NONE + NONE + NONE \
        + b"J" + struct.pack("<i", 4 * int(dtype[1:])) + b"J" + struct.pack("<i", 4) + i1(8) + TUPLE + BUILD
    return call(glob("numpy.core.multiarray", "_reconstruct"), glob("numpy", "ndarray"), i1(0) + TUPLE1,
                bb(b"b")) + MARK + i1(1) + i1(1) + TUPLE1 + dt + b"\x89" + bb(buf) + TUPLE + BUILD


# -- the names as data -----------------------------------------------------------------

@pytest.mark.parametrize("name", ["__array_interface__", "__array_struct__", "__cuda_array_interface__"])
@pytest.mark.parametrize("where", ["dict-key", "list-item", "tuple-item", "protocol-2"])
def test_a_protocol_name_anywhere_as_a_str_is_unsafe(name: str, where: str) -> None:
    body = {"dict-key": EMPTY_DICT + s(name) + NONE + SETITEM,
            "list-item": EMPTY_LIST + s(name) + b"a",
            "tuple-item": s("x") + s(name) + TUPLE2,
            "protocol-2": b"U" + bytes([len(name)]) + name.encode()}[where]
    assert _proto_ids(proto(4 if where != "protocol-2" else 2) + body + STOP) == (
        "unsafe", {"pickle.protocol-attribute"})


def test_other_dunders_and_longer_strings_are_data() -> None:
    data = proto(4) + EMPTY_LIST + MARK + s("__array__") + s("the __array_interface__ protocol") \
        + s(NAME.upper()) + b"e" + STOP
    assert walk(data).verdict == "safe"


@pytest.mark.parametrize("dtype,enc", [("U19", "utf-32-le"), ("U19", "utf-32-be")])
def test_a_numpy_u_buffer_spelling_the_name_is_unsafe(dtype: str, enc: str) -> None:
    # np.array(["__array_interface__"]) (either byte order): its element is an np.str_, which a
    # pandas Index built from it hands to getattr like a str
    data = proto(4) + _u_array(NAME.encode(enc), dtype) + STOP
    assert _proto_ids(data) == ("unsafe", {"pickle.protocol-attribute"})


def test_a_name_in_a_streamed_bytes_argument_is_found_across_the_chunk_seam() -> None:
    pad = b"\0" * ((1 << 20) - 7)  # the pattern straddles the first 1 MiB read
    buf = pad + NAME.encode("utf-32-le") + b"\0" * (MAX_READ_ARG + 100 - len(pad))
    data = proto(4) + b"\x8e" + struct.pack("<Q", len(buf)) + buf + STOP
    assert _proto_ids(data) == ("unsafe", {"pickle.protocol-attribute"})


def test_a_wide_name_in_a_streamed_str_is_found() -> None:
    text = ("a" * (MAX_READ_ARG + 10) + NAME.encode("utf-16-le").decode("latin-1")).encode()
    data = proto(4) + b"X" + struct.pack("<I", len(text)) + text + STOP
    assert _proto_ids(data) == ("unsafe", {"pickle.protocol-attribute"})


def test_a_long_protocol_0_line_is_decoded_as_it_streams() -> None:
    # UNICODE with the UTF-32 form written as \u0000 escapes, past the kept line length
    escaped = "".join(f"{c}\\u0000\\u0000\\u0000" for c in NAME).encode()
    data = b"V" + b"a" * (MAX_LINE + 5) + escaped + b"\n" + STOP
    assert _proto_ids(data) == ("unsafe", {"pickle.protocol-attribute"})
    plain = b"V" + b"a" * (MAX_LINE + 5) + b"\\u0041" * 10 + b"\n" + STOP
    assert walk(plain).verdict == "safe"


# -- the names made at load time ------------------------------------------------------------

def test_str_of_bytes_is_decoded_and_judged() -> None:
    utf16 = proto(4) + call(glob("builtins", "str"), bb(NAME.encode("utf-16")), s("utf-16")) + STOP
    assert _proto_ids(utf16) == ("unsafe", {"pickle.protocol-attribute"})
    hello = proto(4) + call(glob("builtins", "str"), bb(b"hello"), s("ascii")) + STOP
    assert walk(hello).verdict == "safe"


@pytest.mark.parametrize("args", [
    bb(b"_\xff" + NAME[1:].encode()) + s("ascii") + s("ignore"),  # errors='ignore' drops bytes
    bb(NAME.encode("utf-7")[:5]) + s("utf-7"),  # a codec mlbom does not decode
    call(glob("builtins", "bytes"), s("x"), s("punycode")) + s("utf-8"),  # bytes mlbom did not compute
])
def test_a_decode_mlbom_does_not_compute_is_suspicious(args: bytes) -> None:
    data = proto(4) + call(glob("builtins", "str"), args) + STOP
    assert walk(data).verdict == "suspicious"


def test_bytes_from_a_list_of_ints_are_computed() -> None:
    ints = EMPTY_LIST + MARK + b"".join(i1(b) for b in NAME.encode("utf-32-le")) + b"e"
    data = proto(4) + _u_array(b"", "U19").replace(bb(b""), call(glob("builtins", "bytes"), ints)) + STOP
    assert _proto_ids(data) == ("unsafe", {"pickle.protocol-attribute"})


def test_rot13_and_other_codecs_of_codecs_encode() -> None:
    rot = proto(4) + call(glob("_codecs", "encode"), s("__neenl_vagresnpr__"), s("rot13")) + STOP
    assert _proto_ids(rot) == ("unsafe", {"pickle.protocol-attribute"})
    other = proto(4) + call(glob("_codecs", "encode"), s("abc"), s("punycode")) + STOP
    assert walk(other).verdict == "suspicious"
    latin1 = proto(4) + call(glob("_codecs", "encode"), s("abc\xe9"), s("latin1")) + STOP
    assert walk(latin1).verdict == "safe"


def test_numpy_add_of_strings_is_suspicious() -> None:
    # np.add("__array_", "interface__") == "__array_interface__" (numpy >= 2 string loops)
    data = proto(4) + call(glob("numpy", "add"), s("__array_"), s("interface__")) + STOP
    assert walk(data).verdict == "suspicious"
    assert walk(proto(4) + call(glob("numpy", "add"), i1(1), i1(2)) + STOP).verdict == "safe"


def test_numpy_matrix_of_an_object_it_did_not_build_is_suspicious() -> None:
    ns = glob("types", "SimpleNamespace") + EMPTY_TUPLE + REDUCE
    assert walk(proto(4) + call(glob("numpy", "matrix"), ns) + STOP).verdict == "suspicious"
    nums = EMPTY_LIST + MARK + i1(1) + i1(2) + b"e"
    assert walk(proto(4) + call(glob("numpy", "matrix"), nums) + STOP).verdict == "safe"


# -- the class the object ends with ----------------------------------------------------------

def test_a_counters_items_are_judged_again_when_it_becomes_a_bunch() -> None:
    # __array__ is no raw-pointer name (no data rule applies): only the class change makes it an
    # attribute that np.asarray calls
    counter = glob("collections", "Counter") + EMPTY_TUPLE + REDUCE + s("__array__") + i1(1) + SETITEM
    data = proto(4) + counter + NONE + EMPTY_DICT + s("__class__") + BUNCH + SETITEM + TUPLE2 + BUILD + STOP
    assert walk(data).verdict == "suspicious"
    stays = proto(4) + counter + STOP
    assert walk(stays).verdict == "safe"


def test_a_module_box_set_before_the_class_change_is_judged() -> None:
    ns = glob("argparse", "Namespace") + EMPTY_TUPLE + REDUCE
    box = EMPTY_DICT + s("_parameters") + EMPTY_DICT + s("__array__") + NONE + SETITEM + SETITEM
    slots = EMPTY_DICT + s("__class__") + glob("torch.nn.modules.activation", "ReLU") + SETITEM
    assert walk(proto(4) + ns + box + slots + TUPLE2 + BUILD + STOP).verdict == "suspicious"


@pytest.mark.parametrize("cls", ["ParameterDict", "ModuleDict"])
def test_parameterdict_and_moduledict_keys_are_attributes(cls: str) -> None:
    obj = glob("torch.nn.modules.container", cls) + EMPTY_TUPLE + NEWOBJ
    data = proto(4) + obj + MARK + s("__array__") + NONE + s("weight") + NONE + SETITEMS + STOP
    assert walk(data).verdict == "suspicious"
    assert walk(proto(4) + obj + MARK + s("weight") + NONE + SETITEMS + STOP).verdict == "safe"


def test_reconstructor_bunch_from_pairs_tracks_the_items() -> None:
    pairs = EMPTY_LIST + MARK + s("__array__") + NONE + TUPLE2 + b"e"
    data = proto(4) + call(glob("copyreg", "_reconstructor"), BUNCH, glob("builtins", "dict"), pairs) + STOP
    assert walk(data).verdict == "suspicious"  # the items are known: an unknown-item finding would be too
    assert "__array__" in " ".join(f.message for f in walk(data).findings)


# -- functools.partial -------------------------------------------------------------------------

PARTIAL = glob("functools", "partial")
CHECK = glob("sklearn.utils.validation", "check_array")


def _partial(func: bytes, state: bytes) -> bytes:
    return proto(4) + PARTIAL + func + TUPLE1 + REDUCE + state + BUILD + STOP


def test_a_partial_of_an_allowlisted_function_with_data_is_safe() -> None:
    kw = EMPTY_DICT + s("ensure_all_finite") + b"\x89" + SETITEM
    assert walk(_partial(CHECK, MARK + CHECK + EMPTY_TUPLE + kw + NONE + TUPLE)).verdict == "safe"


def test_a_partial_of_a_denied_function_is_unsafe() -> None:
    assert walk(_partial(glob("os", "system"), MARK + glob("os", "system") + s("id") + TUPLE1 + NONE + NONE
                         + TUPLE)).verdict == "unsafe"
    # the state's function replaces the constructor's
    assert walk(_partial(CHECK, MARK + glob("posix", "system") + EMPTY_TUPLE + NONE + NONE + TUPLE)).verdict \
        == "unsafe"


def test_a_partial_of_a_value_made_at_load_time_is_suspicious() -> None:
    made = call(glob("builtins", "dict"))
    assert walk(_partial(CHECK, MARK + made + EMPTY_TUPLE + NONE + NONE + TUPLE)).verdict == "suspicious"


def test_a_partials_dict_is_its_attributes() -> None:
    ns = EMPTY_DICT + s(NAME) + IFACE + SETITEM
    assert walk(_partial(CHECK, MARK + CHECK + EMPTY_TUPLE + NONE + ns + TUPLE)).verdict == "unsafe"
    other = EMPTY_DICT + s("__array__") + NONE + SETITEM
    assert walk(_partial(CHECK, MARK + CHECK + EMPTY_TUPLE + NONE + other + TUPLE)).verdict == "suspicious"


def test_hgb_with_categorical_features_is_safe(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    pytest.importorskip("sklearn")
    joblib = pytest.importorskip("joblib")
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.RandomState(0)
    X = np.c_[rng.randint(0, 3, 60), rng.randn(60)]
    y = rng.randint(0, 2, 60)
    path = tmp_path / "hgb_cat.joblib"
    joblib.dump(HistGradientBoostingClassifier(categorical_features=[0], max_iter=3).fit(X, y), path)
    data = path.read_bytes()
    assert b"functools" in data and b"check_array" in data
    rep = read_pickle(io.BytesIO(data), len(data), joblib=True)
    assert rep.verdict == "safe", rep.findings


def test_real_pandas_objects_with_ordinary_labels_stay_safe() -> None:
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    for obj in (pd.Series([1, 2], index=["a", "__array__x"]), pd.DataFrame({"x": ["s", "t"]}),
                np.array(["hello", "array_interface"]), pd.Index(["_array_", "x"])):
        data = pickle.dumps(obj, protocol=4)
        assert read_pickle(io.BytesIO(data), len(data)).verdict == "safe", obj
    bad = pickle.dumps(pd.Series([1], index=[NAME]), protocol=4)
    assert read_pickle(io.BytesIO(bad), len(bad)).verdict == "unsafe"


def test_system_still_unsafe_next_to_the_new_rules() -> None:
    assert walk(proto(4) + system() + STOP).verdict == "unsafe"


# -- torch's weights_only BUILD ---------------------------------------------------------------

ODICT = glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE


@pytest.mark.parametrize(("state", "refused", "unknown"), [
    (NONE, True, False),  # inst.__dict__.update(None): TypeError
    (NONE + EMPTY_DICT + TUPLE2, True, False),  # update((None, {})): element #0 is no pair
    (EMPTY_DICT + s("a") + i1(1) + SETITEM, False, False),  # a dict: accepted
    (EMPTY_LIST + MARK + s("ab") + b"e", False, True),  # a pair spelled by a 2-char str: content-dependent
])
def test_weights_only_build_on_an_ordereddict(state: bytes, refused: bool, unknown: bool) -> None:
    rep = walk(proto(2) + ODICT + state + BUILD + STOP)
    assert (rep.wo_refused is not None, rep.wo_unknown is not None) == (refused, unknown), rep


def test_weights_only_build_on_a_parameter_is_claimed_only_for_its_plain_state() -> None:
    param = glob("torch._utils", "_rebuild_parameter") + MARK + NONE + b"\x88" + NONE + TUPLE + REDUCE
    assert walk(proto(2) + param + NONE + BUILD + STOP).wo_unknown is not None  # len(None): TypeError
    plain = walk(proto(2) + param + MARK + b"\x88" + NONE + NONE + TUPLE + BUILD + STOP)
    assert plain.wo_unknown is None and plain.wo_refused is None


@pytest.mark.parametrize("func", [("numpy", "log"), ("numpy", "mean"), ("sklearn.utils.validation", "check_array"),
                                  ("scipy._lib.array_api_compat.numpy._aliases", "asarray")])
def test_a_coercing_reference_called_on_an_object_is_suspicious(func: tuple[str, str]) -> None:
    ns = glob("types", "SimpleNamespace") + EMPTY_TUPLE + REDUCE
    assert walk(proto(4) + call(glob(*func), ns) + STOP).verdict == "suspicious"


def test_a_joblib_text_array_is_searched_numeric_ones_are_stepped_over(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    joblib = pytest.importorskip("joblib")
    # joblib writes the array bytes after the wrapper, outside the opcodes: an Index built from
    # this U array has the name as a label
    for obj, verdict in (({"labels": np.array([NAME, "b"])}, "unsafe"),
                         ({"labels": np.array(["hello", "b"]), "x": np.zeros(100)}, "safe")):
        path = tmp_path / "a.joblib"
        joblib.dump(obj, path)
        data = path.read_bytes()
        assert read_pickle(io.BytesIO(data), len(data), joblib=True).verdict == verdict


def test_a_name_in_a_nested_pickle_is_found() -> None:
    from tests.formats.pickle_ops import legacy_torch_blob, load_from_bytes

    inner = legacy_torch_blob(pickle.dumps({NAME: 1}, protocol=2))
    assert walk(load_from_bytes(inner)).verdict == "unsafe"
