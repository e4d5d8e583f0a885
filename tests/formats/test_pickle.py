"""The symbolic unpickler: adversarial pickles built from raw opcodes, one per bypass class.

Each test states the loader's behaviour it models (``Lib/pickle.py`` ``_Unpickler``)."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile

import pytest

from mlbom.formats.pickle import Limits, danger, policy, read_pickle, resolve_global
from tests.formats.pickle_ops import (
    APPEND,
    BUILD,
    DUP,
    EMPTY_DICT,
    EMPTY_LIST,
    EMPTY_TUPLE,
    MARK,
    MEMOIZE,
    NEWOBJ,
    NEWOBJ_EX,
    NONE,
    OBJ,
    POP,
    REDUCE,
    SETITEM,
    SETITEMS,
    STACK_GLOBAL,
    STOP,
    TUPLE,
    TUPLE1,
    TUPLE2,
    bb,
    bs,
    call,
    get,
    glob,
    i1,
    ids,
    inst,
    legacy_torch_blob,
    load_from_bytes,
    proto,
    put,
    s,
    sglobal,
    system,
    walk,
)

# ---------------------------------------------------------------------------------------
# name resolution: find_class, not strings


def test_protocol4_dotted_path_from_an_allowlisted_package_reaches_os_system() -> None:
    rep = walk(proto(4) + call(sglobal("sklearn", "os.system"), s("id")) + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep)
    assert "sklearn.os.system" in rep.globals


def test_torch_nn_functional_attribute_path_to_os_system_is_not_allowlisted() -> None:
    rep = walk(proto(4) + call(sglobal("torch.nn.functional", "torch.serialization.os.system"), s("id")) + STOP)
    assert rep.verdict == "unsafe"
    # an allowlisted path reached through an arbitrary attribute is not the allowlisted object
    rep = walk(proto(4) + call(sglobal("torch.nn.functional", "torch._utils._rebuild_tensor_v2"), MARK + TUPLE)
               + STOP)
    assert rep.verdict == "suspicious" and "pickle.unlisted-callable" in ids(rep)


def test_allowlisted_class_then_dunder_path_is_unsafe() -> None:
    rep = walk(proto(4) + call(sglobal("pathlib", "Path.write_text.__builtins__.get"), s("eval")) + STOP)
    assert rep.verdict == "unsafe"
    rep = walk(proto(4) + call(sglobal("collections", "OrderedDict.__init__.__globals__"), s("x")) + STOP)
    assert rep.verdict == "unsafe"


def test_dotted_name_below_protocol_4_cannot_resolve() -> None:
    # find_class uses getattr(module, "a.b") below protocol 4: the load raises
    rep = walk(proto(3) + glob("torch", "nn.modules.linear.Linear") + EMPTY_TUPLE + NEWOBJ + STOP)
    assert rep.verdict == "suspicious" and "pickle.unresolvable" in ids(rep)
    rep = walk(proto(4) + glob("torch", "nn.modules.linear.Linear") + EMPTY_TUPLE + NEWOBJ + STOP)
    assert rep.verdict == "safe"


def test_compat_pickle_renames_apply_below_protocol_3() -> None:
    rep = walk(proto(2) + glob("__builtin__", "set") + MARK + EMPTY_LIST + TUPLE + REDUCE + STOP)
    assert rep.verdict == "safe" and rep.globals == ["builtins.set"]
    rep = walk(proto(2) + glob("copy_reg", "_reconstructor") + MARK + glob("collections", "OrderedDict")
               + glob("__builtin__", "dict") + NONE + TUPLE + REDUCE + STOP)
    assert rep.verdict == "safe"
    # from protocol 3 on the py2 name is not renamed (the import fails), and still never safe
    rep = walk(proto(3) + call(glob("__builtin__", "eval"), s("1")) + STOP)
    assert rep.verdict == "unsafe"
    # no PROTO at all: protocol 0 rules
    rep = walk(glob("__builtin__", "eval") + MARK + bs("1") + TUPLE + REDUCE + STOP)
    assert rep.verdict == "unsafe" and rep.protocol is None


def test_capitalised_unknown_class_is_not_safe() -> None:
    rep = walk(proto(2) + glob("mypkg.models", "Evil") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + BUILD + STOP)
    assert rep.verdict == "suspicious" and "pickle.unlisted-callable" in ids(rep)


@pytest.mark.parametrize(("module", "name"), [
    ("sklearn.utils._testing", "assert_run_python_script_without_output"),
    ("transformers.dynamic_module_utils", "get_class_from_dynamic_module"),
    ("pip", "main"),  # CVE-2025-1716
    ("pip._internal", "main"),
    ("asyncio.unix_events", "_UnixSubprocessTransport"),  # CVE-2025-10157: subclass of an unsafe global
    ("asyncio.base_subprocess", "BaseSubprocessTransport"),
    ("multiprocessing.util", "spawnv_passfds"),
    ("_posixsubprocess", "fork_exec"),
    ("torch.serialization", "load"),
    ("torch", "load"),
    ("numpy", "load"),
    ("numpy.testing._private.utils", "runstring"),
    ("runpy", "run_path"),
    ("importlib", "import_module"),
    ("code", "InteractiveInterpreter"),
    ("builtins", "getattr"),
    ("ctypes", "CDLL"),
    ("shutil", "rmtree"),
    ("http.client", "HTTPConnection"),
    ("urllib.request", "urlopen"),
    ("pty", "spawn"),
    ("sys", "modules"),
    ("pickle", "loads"),
    ("marshal", "loads"),
    ("io", "open"),
])
def test_known_gadgets_are_unsafe(module: str, name: str) -> None:
    rep = walk(proto(2) + call(glob(module, name), s("x")) + STOP)
    assert rep.verdict == "unsafe", rep.findings


def test_allowlist_and_denylist_are_disjoint_and_reasoned() -> None:
    pol = policy()
    for path, (_module, reason) in pol.allow.items():
        assert reason.strip(), path
        # exact entries carved out of a denied module: numpy's bit-generator constructors, and
        # TorchScript's identity helpers inside the denied torch.jit (which loads more data), and
        # scikit-learn < 0.24's Bunch (a dict) inside the denied sklearn.datasets (red team 122fp-2)
        assert danger(path, pol) is None or path.startswith(("numpy.random._pickle", "torch.jit._pickle.")) \
            or path in ("sklearn.datasets.base.Bunch", "sklearn.datasets._base.Bunch"), path
    for positions in pol.calls_args.values():
        assert positions and all(p >= 0 for p in positions)


def test_resolve_global_requires_the_module_to_lead_to_the_entry() -> None:
    assert resolve_global("torch._utils", "_rebuild_tensor_v2", 2).status == "allow"
    assert resolve_global("torch", "_utils._rebuild_tensor_v2", 4).status == "allow"
    assert resolve_global("torch", "_utils._rebuild_tensor_v2", 3).status == "unresolvable"
    assert resolve_global("torch.nn", "_utils._rebuild_tensor_v2", 4).status == "unlisted"
    assert resolve_global("torch._utils", "_rebuild_tensor_v2.__globals__", 4).status == "deny"
    assert resolve_global("", "x", 4).status == "unresolvable"


# ---------------------------------------------------------------------------------------
# values: what is called, not only what is imported


def test_callable_produced_by_an_allowed_call_is_judged() -> None:
    # OrderedDict() is allowlisted; calling its result runs whatever it is
    rep = walk(proto(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + MARK + s("x") + TUPLE
               + REDUCE + STOP)
    assert rep.verdict == "suspicious" and "pickle.dynamic-callable" in ids(rep)


def test_callable_handed_to_rebuild_from_type_v2_is_judged() -> None:
    # torch._tensor._rebuild_from_type_v2(func, new_type, args, state) calls func(*args)
    bad = call(glob("collections", "OrderedDict"))  # a call result used as func
    rep = walk(proto(2) + call(glob("torch._tensor", "_rebuild_from_type_v2"), bad, glob("torch", "Tensor"),
                               EMPTY_TUPLE, NONE) + STOP)
    assert rep.verdict == "suspicious" and "pickle.dynamic-callable" in ids(rep)
    rep = walk(proto(2) + call(glob("torch._tensor", "_rebuild_from_type_v2"), glob("os", "system"),
                               glob("torch", "Tensor"), MARK + s("id") + TUPLE, NONE) + STOP)
    assert rep.verdict == "unsafe"
    ok = walk(proto(2) + call(glob("torch._tensor", "_rebuild_from_type_v2"),
                              glob("torch._utils", "_rebuild_tensor_v2"), glob("torch.nn.parameter", "Parameter"),
                              EMPTY_TUPLE, EMPTY_DICT) + STOP)
    assert ok.verdict == "safe"


def test_reconstructor_with_an_unlisted_class_is_suspicious() -> None:
    rep = walk(proto(2) + call(glob("copyreg", "_reconstructor"), glob("evil", "Thing"), glob("builtins", "object"),
                               NONE) + STOP)
    assert rep.verdict == "suspicious"


def test_memoised_call_result_called_later() -> None:
    rep = walk(proto(2) + glob("builtins", "dict") + EMPTY_TUPLE + REDUCE + put(0) + POP + get(0) + EMPTY_TUPLE
               + REDUCE + STOP)
    assert rep.verdict == "suspicious"


def test_build_on_a_class_object_and_on_an_unknown_value() -> None:
    rep = walk(proto(2) + glob("collections", "OrderedDict") + EMPTY_DICT + BUILD + STOP)
    assert rep.verdict == "suspicious"
    rep = walk(proto(2) + b"P1\n" + EMPTY_DICT + BUILD + STOP)  # persistent object
    assert rep.verdict == "suspicious"


def test_inst_obj_newobj_ex_are_calls() -> None:
    assert walk(MARK + s("id") + inst("os", "system") + STOP).verdict == "unsafe"
    assert walk(proto(1) + MARK + glob("subprocess", "Popen") + s("id") + OBJ + STOP).verdict == "unsafe"
    rep = walk(proto(4) + sglobal("evil", "C") + EMPTY_TUPLE + EMPTY_DICT + NEWOBJ_EX + STOP)
    assert rep.verdict == "suspicious"
    # OBJ whose class is produced at load time
    rep = walk(proto(1) + MARK + call(glob("builtins", "dict")) + OBJ + STOP)
    assert rep.verdict == "suspicious"


def test_stack_global_built_from_memo_and_from_a_call() -> None:
    rep = walk(proto(4) + s("os") + put(1) + POP + s("system") + put(2) + POP + get(1) + get(2)
               + b"\x93" + MARK + s("id") + TUPLE + REDUCE + STOP)
    assert rep.verdict == "unsafe" and "os.system" in rep.globals
    # a module name computed at load time (str() of something) is hidden from static reading
    rep = walk(proto(4) + call(glob("builtins", "str"), s("os")) + s("system") + b"\x93" + STOP)
    assert rep.verdict == "unsafe"


def test_ext_codes_are_unresolvable() -> None:
    rep = walk(proto(2) + b"\x82\x01" + MARK + s("id") + TUPLE + REDUCE + STOP)
    assert rep.verdict == "suspicious" and "pickle.unresolvable" in ids(rep)
    for op in (b"\x83\x01\x00", b"\x84\x01\x00\x00\x00"):
        assert walk(proto(2) + op + STOP).verdict == "suspicious"
    assert walk(proto(2) + b"\x82\x00" + STOP).verdict == "error"  # code 0: the loader raises


# ---------------------------------------------------------------------------------------
# nested pickles


def test_load_from_bytes_nested_pickle_is_walked() -> None:
    evil = legacy_torch_blob(proto(2) + system() + STOP)
    rep = walk(load_from_bytes(evil))
    assert rep.verdict == "unsafe" and any("pickle #4" in f.message for f in rep.findings)
    benign = legacy_torch_blob(pickle.dumps({"a": 1}, protocol=2))
    assert walk(load_from_bytes(benign)).verdict == "safe"
    # the storage keys pickle (the 5th) is unpickled by the same loader
    tail = legacy_torch_blob(pickle.dumps({"a": 1}, protocol=2))[:-len(pickle.dumps([], protocol=2))]
    rep = walk(load_from_bytes(tail + proto(2) + system() + STOP))
    assert rep.verdict == "unsafe"


def test_load_from_bytes_protocol2_bytes_via_codecs_encode() -> None:
    blob = legacy_torch_blob(proto(2) + system() + STOP)
    arg = call(glob("_codecs", "encode"), s(blob.decode("latin-1")), s("latin1"))
    rep = walk(proto(2) + call(glob("torch.storage", "_load_from_bytes"), arg) + STOP)
    assert rep.verdict == "unsafe"


def test_load_from_bytes_unwalkable_argument_is_unsafe() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", proto(2) + system() + STOP)
    assert walk(load_from_bytes(buf.getvalue())).verdict == "unsafe"  # a zip: not walked here
    rep = walk(proto(2) + call(glob("torch.storage", "_load_from_bytes"), call(glob("builtins", "bytes"))) + STOP)
    assert rep.verdict == "unsafe"


def test_nesting_depth_is_bounded() -> None:
    data = proto(2) + system() + STOP
    for _ in range(10):
        data = load_from_bytes(legacy_torch_blob(data))
    rep = walk(data)
    assert rep.verdict == "unsafe" and rep.complete


def test_large_skipped_nested_blob_is_walked_by_seeking() -> None:
    main = proto(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + bb(b"\0" * (2 << 20)) + POP \
        + POP + system() + STOP
    blob = legacy_torch_blob(main)
    assert len(blob) > (1 << 20)
    assert walk(load_from_bytes(blob)).verdict == "unsafe"


# ---------------------------------------------------------------------------------------
# joblib inline arrays (joblib files only)


def _joblib_wrapper(shape: tuple[int, ...], code: str, payload: bytes, align: bool = True) -> bytes:
    keys = [(f"k{i}", i1(i % 256)) for i in range(70)]  # more than 64 keys before the dtype
    state = EMPTY_DICT + MARK + b"".join(s(k) + v for k, v in keys)
    state += s("shape") + MARK + b"".join(i1(d) for d in shape) + TUPLE
    state += s("dtype") + call(glob("numpy", "dtype"), s(code), b"\x89", b"\x88") + MARK + i1(3) + s("<") + NONE \
        + NONE + NONE + b"J\xff\xff\xff\xff" + b"J\xff\xff\xff\xff" + i1(0) + TUPLE + BUILD
    if align:
        state += s("numpy_array_alignment_bytes") + i1(16)
    state += SETITEMS
    return glob("joblib.numpy_pickle", "NumpyArrayWrapper") + EMPTY_TUPLE + NEWOBJ + state + BUILD + payload


def test_joblib_array_bytes_are_stepped_over_only_in_joblib_mode() -> None:
    # joblib.load reads the padding length byte "N" (78), 78 padding bytes and 24 array bytes;
    # pickle.load of the same file reads them all as opcodes: NONE, POP, os.system(...), ...
    body = NONE + POP + system() + POP
    rem = 78 - len(body)
    odd = MARK + NONE + b"1" if rem % 2 else b""  # MARK, NONE, POP_MARK: 3 bytes that do nothing
    array = b"N" + body + odd + b"N0" * ((rem - len(odd)) // 2) + b"N0" * 12
    assert len(array) == 1 + 78 + 24
    data = proto(4) + EMPTY_DICT + s("a") + _joblib_wrapper((3,), "f8", array) + b"s" + STOP
    rep = walk(data, joblib=True)
    assert rep.complete and rep.joblib_arrays == 1
    assert rep.verdict == "unsafe" and any("pickle.load (not joblib.load)" in f.message for f in rep.findings)
    plain = walk(data)
    assert plain.verdict == "unsafe" and plain.joblib_arrays == 0


def test_joblib_array_after_many_keys_keeps_sync() -> None:
    array = b"\0" + b"\1" * 8
    data = proto(4) + EMPTY_LIST + _joblib_wrapper((1,), "i8", array) + APPEND + system() + STOP
    rep = walk(data, joblib=True)
    assert rep.complete and rep.error is None and rep.verdict == "unsafe"


def test_joblib_array_of_unknown_dtype_is_an_error() -> None:
    data = proto(4) + _joblib_wrapper((1,), "V", b"\0" + b"x" * 8) + STOP
    assert walk(data, joblib=True).verdict == "error"


# ---------------------------------------------------------------------------------------
# parse differentials and loader failures


def test_trailing_second_pickle_is_a_differential() -> None:
    data = pickle.dumps({"a": 1}, protocol=4) + proto(2) + system() + STOP
    rep = walk(data, check_trailing=True)
    assert rep.verdict == "suspicious" and "pickle.differential" in ids(rep)
    assert walk(data).verdict == "safe"  # without the flag the caller walks what follows


def test_opcode_above_declared_protocol_and_proto_mid_stream() -> None:
    rep = walk(proto(2) + s("x") + STOP)  # SHORT_BINUNICODE is protocol 4
    assert rep.verdict == "suspicious" and "pickle.differential" in ids(rep)
    rep = walk(proto(2) + NONE + POP + proto(4) + NONE + STOP)
    assert rep.verdict == "suspicious" and "pickle.differential" in ids(rep)
    assert walk(proto(9) + NONE + STOP).verdict == "error"


def test_mark_left_open_at_stop() -> None:
    rep = walk(proto(2) + MARK + NONE + STOP)
    assert rep.verdict == "suspicious" and "pickle.differential" in ids(rep)


def test_missing_memo_is_an_error_but_earlier_calls_still_count() -> None:
    assert walk(proto(2) + get(7) + STOP).verdict == "error"
    rep = walk(proto(2) + system() + POP + get(7) + STOP)
    assert rep.verdict == "unsafe" and "pickle.unreadable" in ids(rep)


def test_frame_crossing_is_a_differential() -> None:
    body = NONE + POP + s("abcdef") + STOP
    frame = b"\x95" + struct.pack("<Q", 5)  # the frame ends inside the SHORT_BINUNICODE argument
    rep = walk(proto(4) + frame + body)
    assert rep.verdict == "suspicious" and "pickle.differential" in ids(rep)
    ok = pickle.dumps(["x" * 70_000, "y"], protocol=4)
    assert walk(ok).verdict == "safe"


def test_pop_without_items_pops_the_mark() -> None:
    assert walk(proto(2) + NONE + MARK + POP + STOP).verdict == "safe"
    assert walk(proto(2) + POP + STOP).verdict == "error"


@pytest.mark.parametrize("data", [
    b"", b"\x80", b"\x80\x02", proto(2) + b"X\xff\xff\xff\x7f", proto(2) + b"\xff", proto(2) + b"T\xff\xff\xff\xff",
    proto(2) + b"S'unterminated\n.", proto(2) + b"Inot-int\n.", proto(2) + TUPLE2 + STOP, proto(2) + DUP + STOP,
    proto(2) + b"(K\x01d.", proto(2) + b"}(K\x01u.", proto(5) + b"\x97" + STOP,
    proto(2) + NONE + APPEND + STOP, proto(2) + EMPTY_TUPLE + NONE + APPEND + STOP,
    proto(2) + b"X\x02\x00\x00\x00\xff\xfe.", b"cmod\n\xff\xfe\n.", b"L9x9L\n.", b"I010\x01\n.",
])
def test_malformed_streams_are_errors_never_exceptions(data: bytes) -> None:
    rep = walk(data)
    assert rep.verdict == "error" and rep.error


# ---------------------------------------------------------------------------------------
# bounds


@pytest.mark.parametrize("protocol", range(0, 6))
def test_two_mib_string_and_bytes_are_not_materialised_and_safe(protocol: int) -> None:
    big = 1 << (9_000_000 if protocol >= 2 else 10_000)  # text protocols write ints in decimal
    data = pickle.dumps({"s": "a" * (2 << 20), "b": b"\1" * (2 << 20), "n": big}, protocol=protocol)
    rep = walk(data)
    assert rep.verdict == "safe" and rep.complete and rep.end == len(data), rep.findings


def test_large_argument_past_the_end_is_truncation() -> None:
    data = proto(4) + b"\x8e" + struct.pack("<Q", 50 << 30) + b"xx"
    rep = walk(data)
    assert rep.verdict == "error" and "pickle.truncated" in ids(rep)


def test_invalid_utf8_in_a_skipped_string_is_an_error() -> None:
    data = proto(4) + b"X" + struct.pack("<I", (2 << 20)) + b"a" * ((2 << 20) - 1) + b"\xff" + STOP
    assert walk(data).verdict == "error"


def test_work_bounds_end_the_walk_with_an_error() -> None:
    many = proto(2) + EMPTY_LIST + MARK + NONE * 5000 + b"e" + STOP
    assert walk(many, limits=Limits(stack=1000)).verdict == "error"
    assert walk(many, limits=Limits(opcodes=100)).verdict == "error"
    memo = proto(4) + NONE + MEMOIZE * 3000 + STOP
    assert walk(memo, limits=Limits(memo=100)).verdict == "error"
    assert walk(memo).verdict == "safe"


def test_non_seekable_stream() -> None:
    class Forward(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.b = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buf: bytearray) -> int:  # type: ignore[override]
            chunk = self.b.read(len(buf))
            buf[:len(chunk)] = chunk
            return len(chunk)

    data = pickle.dumps(["a" * (2 << 20), b"b" * (3 << 20)], protocol=5) + b"junk"
    rep = read_pickle(io.BufferedReader(Forward(data)), None)
    assert rep.verdict == "safe" and rep.end == len(data) - 4
    evil = legacy_torch_blob(pickle.dumps(b"\0" * (2 << 20), protocol=2) + proto(2) + system() + STOP)
    rep = read_pickle(io.BufferedReader(Forward(load_from_bytes(evil))), None)
    assert rep.verdict == "unsafe"


def test_tuple_ops_and_setitems_keep_values() -> None:
    # STACK_GLOBAL operands recovered through tuples, dicts and memo are still strings
    rep = walk(proto(4) + s("os") + s("system") + TUPLE2 + POP + s("posix") + s("system") + b"\x93" + TUPLE1
               + STOP)
    assert rep.verdict == "unsafe"


def test_large_protocol2_bytes_via_codecs_encode_are_walked_without_materialising() -> None:
    # protocol 2 writes bytes as _codecs.encode(<latin-1 text as UTF-8>, "latin1"); a > 1 MiB
    # blob is streamed back to latin-1 from the file to walk the nested pickle
    main = proto(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + bb(b"\xff" * (2 << 20)) + POP \
        + POP + system() + STOP
    blob = legacy_torch_blob(main)
    arg = call(glob("_codecs", "encode"), s(blob.decode("latin-1")), s("latin1"))
    rep = walk(proto(4) + call(glob("torch.storage", "_load_from_bytes"), arg) + STOP)
    assert rep.verdict == "unsafe" and any("pickle #4" in f.message and "os" in f.message for f in rep.findings)
    benign = legacy_torch_blob(pickle.dumps({"a": b"\xff" * (2 << 20)}, protocol=2))
    arg = call(glob("_codecs", "encode"), s(benign.decode("latin-1")), s("latin1"))
    assert walk(proto(4) + call(glob("torch.storage", "_load_from_bytes"), arg) + STOP).verdict == "safe"


def test_load_from_bytes_of_a_legacy_tar_blob_is_unsafe() -> None:
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        payload = proto(2) + system() + STOP
        info = tarfile.TarInfo("pickle")
        info.size = len(payload)
        tf.addfile(info, io.BytesIO(payload))
    rep = walk(load_from_bytes(buf.getvalue()))
    assert rep.verdict == "unsafe" and any("tar" in f.message for f in rep.findings)


def test_joblib_wrapper_made_by_copyreg_reconstructor_is_still_stepped() -> None:
    # joblib tests isinstance(stack[-1], NumpyArrayWrapper): an instance made through
    # copyreg._reconstructor counts too. Its 9 array bytes look like "N." (a fake STOP) to a
    # walker that does not step them; joblib.load skips them and runs what follows.
    wrapper = _joblib_wrapper((1,), "i8", b"\0" + b"N." + b"\0" * 6)
    cls_call = glob("joblib.numpy_pickle", "NumpyArrayWrapper") + EMPTY_TUPLE + NEWOBJ
    made = call(glob("copyreg", "_reconstructor"), glob("joblib.numpy_pickle", "NumpyArrayWrapper"),
                glob("builtins", "object"), NONE)
    assert wrapper.startswith(cls_call)
    data = proto(4) + EMPTY_LIST + made + wrapper[len(cls_call):] + APPEND + system() + STOP
    rep = walk(data, joblib=True)
    assert rep.joblib_arrays == 1 and rep.verdict == "unsafe", rep.findings


def test_joblib_file_wrappers_make_the_sibling_part_of_the_load() -> None:
    # joblib < 0.10: NDArrayWrapper.read runs numpy.load(sibling, allow_pickle=True), which
    # unpickles a sibling that is a pickle: a single-file scan cannot call the file safe
    def wrapper(name: str) -> bytes:
        return (proto(2) + glob("joblib.numpy_pickle_compat", "NDArrayWrapper") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT
                + bs("filename") + bs(name) + b"s" + BUILD + STOP)

    ok = walk(wrapper("model.pkl_01.npy"), joblib=True)
    assert ok.verdict == "suspicious" and "pickle.sibling-file" in ids(ok)
    for bad in ("/etc/passwd", "../../x.npy", "..", "C:evil.npy"):
        assert walk(wrapper(bad), joblib=True).verdict == "unsafe", bad


def test_loader_that_would_go_on_is_followed() -> None:
    # SETITEM on a list and APPEND on a bytearray succeed in pickle.load: the walk goes on
    rep = walk(proto(2) + EMPTY_LIST + i1(1) + APPEND + i1(0) + i1(5) + b"s" + POP + system() + STOP)
    assert rep.verdict == "unsafe"
    rep = walk(proto(5) + b"\x96" + struct.pack("<Q", 2) + b"ab" + i1(99) + APPEND + POP + system() + STOP)
    assert rep.verdict == "unsafe"


def test_long_attribute_paths_are_judged() -> None:
    chain = ".".join(["nn.functional.torch"] * 400) + ".serialization.os.system"
    rep = walk(proto(4) + call(glob("torch", chain), s("id")) + STOP)
    assert rep.verdict == "unsafe"


def test_allocation_bomb_is_suspicious() -> None:
    rep = walk(proto(2) + call(glob("builtins", "bytearray"), b"\x8a\x05" + (1 << 36).to_bytes(5, "little")) + STOP)
    assert rep.verdict == "suspicious" and "pickle.bomb" in ids(rep)


def test_joblib_shape_overflow_is_followed_as_joblib_counts() -> None:
    # numpy.multiply.reduce(shape, dtype=int64) wraps: (2**32, 2**32) is 0 elements for joblib
    wrapper = _joblib_wrapper((1,), "i8", b"")
    big = b"\x8a\x05" + (1 << 32).to_bytes(5, "little")
    wrapper = wrapper.replace(s("shape") + MARK + i1(1) + TUPLE, s("shape") + MARK + big + big + TUPLE)
    data = proto(4) + EMPTY_LIST + wrapper + b"\0" + APPEND + system() + STOP
    rep = walk(data, joblib=True)
    assert rep.complete and rep.verdict == "unsafe" and "pickle.differential" in ids(rep)


def test_calling_a_new_only_class_runs_its_init() -> None:
    # torch.nn.Linear(10**6, 10**6) would allocate terabytes: a pickler never calls the class
    big = b"J" + struct.pack("<i", 10**6)
    rep = walk(proto(2) + call(glob("torch.nn.modules.linear", "Linear"), big, big) + STOP)
    assert rep.verdict == "suspicious" and "pickle.init-call" in ids(rep)
    assert walk(proto(2) + glob("torch.nn.modules.linear", "Linear") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + BUILD
                + STOP).verdict == "safe"
    rep = walk(proto(2) + call(glob("torch", "FloatStorage"), b"\x8a\x05" + (1 << 36).to_bytes(5, "little")) + STOP)
    assert "pickle.bomb" in ids(rep)


def test_type_and_ufunc_reconstruct_are_modelled() -> None:
    none_type = pickle.dumps(type(None), protocol=4)
    assert walk(none_type).verdict == "safe"
    rep = walk(proto(4) + call(sglobal("builtins", "type"), s("X"), MARK + glob("builtins", "object") + TUPLE,
                               EMPTY_DICT) + STOP)
    assert rep.verdict == "unsafe"
    # old numpy pickled ufuncs as _ufunc_reconstruct(module, name): an import in disguise
    ok = walk(proto(2) + call(glob("numpy.core", "_ufunc_reconstruct"), bs("numpy"), bs("log1p")) + STOP)
    assert ok.verdict == "safe" and "numpy.log1p" in ok.globals
    bad = walk(proto(2) + call(call(glob("numpy.core", "_ufunc_reconstruct"), bs("os"), bs("system")), bs("id"))
               + STOP)
    assert bad.verdict == "unsafe" and "os.system" in bad.globals


def test_nested_blob_reached_many_times_is_walked_once() -> None:
    blob = legacy_torch_blob(proto(2) + (NONE + POP) * 50_000 + NONE + STOP)
    text = s(blob.decode("latin-1"))
    head = proto(4) + glob("torch.storage", "_load_from_bytes") + put(0) + POP + glob("_codecs", "encode") + put(1) \
        + POP + MARK + text + s("latin1") + TUPLE + put(2) + POP
    again = get(0) + MARK + get(1) + get(2) + REDUCE + TUPLE + REDUCE + POP
    # walked 2,000 times the nested 100,000 opcodes would exceed the bound: walked once, they fit
    rep = walk(head + again * 2000 + NONE + STOP, limits=Limits(opcodes=400_000))
    assert rep.verdict == "safe" and rep.complete


def test_protocol_2_opcodes_without_proto_are_a_differential() -> None:
    rep = walk(glob("collections", "OrderedDict") + EMPTY_TUPLE + NEWOBJ + STOP)
    assert rep.verdict == "suspicious" and "pickle.differential" in ids(rep)
    assert walk(pickle.dumps({"a": [1, 2.5, "x"]}, protocol=1)).verdict == "safe"


def test_new_only_class_handed_to_a_helper_that_calls_it() -> None:
    big = b"J" + struct.pack("<i", 10**6)
    rep = walk(proto(2) + call(glob("torch._tensor", "_rebuild_from_type_v2"), glob("torch.nn.modules.linear", "Linear"),
                               glob("torch", "Tensor"), MARK + big + big + TUPLE, NONE) + STOP)
    assert rep.verdict == "suspicious" and "pickle.init-call" in ids(rep)
    rep = walk(proto(2) + call(glob("copyreg", "_reconstructor"), glob("torch.nn.modules.linear", "Linear"),
                               glob("torch.nn.modules.linear", "Linear"), NONE) + STOP)
    assert "pickle.init-call" in ids(rep)
    ok = walk(proto(1) + call(glob("copy_reg", "_reconstructor"), glob("torch.nn.modules.linear", "Linear"),
                              glob("builtins", "object"), NONE) + EMPTY_DICT + BUILD + STOP)
    assert ok.verdict == "safe"


@pytest.mark.parametrize(("module", "name"), [
    ("transformers", "AutoModel.from_pretrained"), ("sklearn.datasets", "fetch_openml"), ("joblib", "Parallel"),
    ("huggingface_hub", "hf_hub_download"), ("mylib", "Loader.load_dataset"),
])
def test_loader_methods_reached_through_any_class_are_unsafe(module: str, name: str) -> None:
    assert walk(proto(4) + call(sglobal(module, name), s("x")) + STOP).verdict == "unsafe"


# ---------------------------------------------------------------------------------------
# helpers that call an argument: the inner call is modelled, each called position restricted
# (red team of issue 12: the checks of a direct call were skipped for an indirect one)

RFT = glob("torch._tensor", "_rebuild_from_type_v2")


def test_rebuild_from_type_calling_load_from_bytes_walks_the_nested_pickle() -> None:
    inner = legacy_torch_blob(proto(2) + system("id") + STOP)
    rep = walk(proto(3) + call(RFT, glob("torch.storage", "_load_from_bytes"), glob("builtins", "dict"),
                               MARK + bb(inner) + TUPLE, EMPTY_DICT) + STOP)
    assert rep.verdict == "unsafe"
    msgs = " ".join(f.message for f in rep.findings)
    assert "call behaviour of its own" in msgs and "pickle #4" in msgs and "system" in msgs


def test_randomstate_ctor_calling_load_from_bytes_is_unsafe() -> None:
    inner = proto(2) + system("id") + STOP
    rep = walk(proto(3) + call(glob("numpy.random._pickle", "__randomstate_ctor"), bb(inner),
                               glob("torch.storage", "_load_from_bytes")) + STOP)
    assert rep.verdict == "unsafe" and any("posix.system" in g or "os.system" in g for g in rep.globals)
    ok = walk(pickle.dumps(__import__("numpy").random.RandomState(0), protocol=2)) if _has_numpy() else None
    if ok is not None:
        assert ok.verdict == "safe", [f.message for f in ok.findings]


def _has_numpy() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


def test_type3_and_bytes_bomb_behind_rebuild_from_type_are_unsafe() -> None:
    ns = MARK + glob("argparse", "Namespace") + TUPLE
    rep = walk(proto(3) + call(RFT, glob("builtins", "type"), glob("builtins", "type"),
                               MARK + s("Z") + ns + EMPTY_DICT + TUPLE, EMPTY_DICT) + STOP)
    assert rep.verdict == "unsafe" and "type(name, bases, namespace)" in " ".join(f.message for f in rep.findings)
    bomb = walk(proto(2) + call(RFT, glob("builtins", "bytearray"), glob("builtins", "bytearray"),
                                MARK + b"J" + struct.pack("<i", 2_000_000_000) + TUPLE, EMPTY_DICT) + STOP)
    assert bomb.verdict == "unsafe" and "pickle.bomb" in ids(bomb)


def test_unexpected_data_only_callable_in_a_called_position_is_suspicious() -> None:
    rep = walk(proto(4) + call(RFT, glob("collections", "OrderedDict"), glob("torch", "Tensor"), EMPTY_TUPLE,
                               EMPTY_DICT) + STOP)
    assert rep.verdict == "suspicious"
    rep = walk(proto(4) + call(glob("numpy.random._pickle", "__generator_ctor"), s("PCG64"),
                               glob("collections", "OrderedDict")) + STOP)
    assert rep.verdict == "suspicious"
    ok = walk(proto(4) + call(glob("numpy.random._pickle", "__generator_ctor"), s("PCG64"),
                              glob("numpy.random._pickle", "__bit_generator_ctor")) + STOP)
    assert ok.verdict == "safe"
    ok = walk(proto(4) + call(glob("numpy.random._pickle", "__bit_generator_ctor"),
                              glob("numpy.random._pcg64", "PCG64")) + STOP)
    assert ok.verdict == "safe"


def test_special_callable_in_any_called_position_is_unsafe() -> None:
    # copyreg._reconstructor(cls, base, state) runs base.__new__(cls, state); base.__init__(obj, state)
    rep = walk(proto(4) + call(glob("copyreg", "_reconstructor"), glob("builtins", "bytearray"),
                               glob("builtins", "bytearray"), b"J" + struct.pack("<i", 2_000_000_000)) + STOP)
    assert rep.verdict == "unsafe"
    # copyreg.__newobj__(cls, *args): cls.__new__(cls, *args): type.__new__ creates a class
    rep = walk(proto(4) + call(glob("copyreg", "__newobj__"), glob("builtins", "type"), s("Z"), EMPTY_TUPLE,
                               EMPTY_DICT) + STOP)
    assert rep.verdict == "unsafe"
    rep = walk(proto(4) + call(glob("collections", "defaultdict"), glob("torch.storage", "_load_from_bytes")) + STOP)
    assert rep.verdict == "unsafe"


# ---------------------------------------------------------------------------------------
# in-place mutation of what is later unpickled (red team A5)


def _bytearray8(data: bytes) -> bytes:
    return b"\x96" + struct.pack("<Q", len(data)) + data


def test_bytearray_changed_in_place_before_load_from_bytes_is_unsafe() -> None:
    benign = legacy_torch_blob(pickle.dumps({"ok": 1}, protocol=2))
    evil = legacy_torch_blob(proto(2) + system("id") + STOP)
    sl = call(glob("builtins", "slice"), i1(0), b"M" + struct.pack("<H", len(benign)))
    rep = walk(proto(5) + glob("torch.storage", "_load_from_bytes") + _bytearray8(benign) + sl + bb(evil) + SETITEM
               + TUPLE1 + REDUCE + STOP)
    assert rep.verdict == "unsafe"
    assert "bytearray" in " ".join(f.message for f in rep.findings)
    # the same bytearray walked first, then changed and unpickled again
    rep = walk(proto(5) + _bytearray8(benign) + MEMOIZE + glob("torch.storage", "_load_from_bytes") + get(0)
               + TUPLE1 + REDUCE + POP + get(0) + i1(0) + i1(1) + SETITEM + POP
               + glob("torch.storage", "_load_from_bytes") + get(0) + TUPLE1 + REDUCE + STOP)
    assert rep.verdict == "unsafe"
    # any bytearray handed to a nested loader: torch writes bytes there, and a bytearray can be
    # rewritten through an alias (a numpy view of its buffer, a ufunc's out) after mlbom read it
    aliased = walk(proto(5) + glob("torch.storage", "_load_from_bytes") + _bytearray8(benign) + TUPLE1 + REDUCE + STOP)
    assert aliased.verdict == "unsafe", [f.message for f in aliased.findings]


def test_append_to_bytearray_is_suspicious_and_to_bytes_raises() -> None:
    rep = walk(proto(5) + _bytearray8(b"ab") + i1(1) + APPEND + STOP)
    assert rep.verdict == "suspicious"
    rep = walk(proto(5) + bb(b"ab") + i1(1) + APPEND + STOP)
    assert rep.verdict == "error"


def test_list_item_replaced_before_the_list_is_used_as_arguments() -> None:
    # joblib's Python unpickler calls func(*args) with any iterable: a list's item replaced by
    # SETITEM is what the call sees
    benign = legacy_torch_blob(pickle.dumps({"ok": 1}, protocol=2))
    evil = legacy_torch_blob(proto(2) + system("id") + STOP)
    rep = walk(proto(3) + glob("torch.storage", "_load_from_bytes") + EMPTY_LIST + bb(benign) + APPEND
               + i1(0) + bb(evil) + SETITEM + REDUCE + STOP)
    assert rep.verdict == "unsafe" and any("system" in g for g in rep.globals)
    rep = walk(proto(3) + glob("torch.storage", "_load_from_bytes") + EMPTY_LIST + bb(benign) + APPEND
               + call(glob("builtins", "slice"), i1(0), i1(1)) + MARK + bb(evil) + TUPLE + SETITEM + REDUCE + STOP)
    assert rep.verdict == "unsafe"


def test_stack_global_operand_that_cannot_be_an_exact_str_makes_the_loader_raise() -> None:
    # _Unpickler.load_stack_global: type(name) is not str or type(module) is not str -> raises
    od = call(glob("collections", "OrderedDict"))
    rep = walk(proto(4) + od + s("system") + STACK_GLOBAL + STOP)
    assert rep.verdict == "error" and "pickle.dangerous-callable" not in ids(rep)
    rep = walk(proto(4) + call(glob("builtins", "str"), s("os")) + s("system") + STACK_GLOBAL + STOP)
    assert rep.verdict == "unsafe"
    rep = walk(proto(4) + call(glob("copyreg", "__newobj__"), glob("builtins", "str"), s("os")) + s("system")
               + STACK_GLOBAL + STOP)
    assert rep.verdict == "unsafe"
    rep = walk(proto(4) + s("os") + b"\x8c\x01x" + b"Q" + STACK_GLOBAL + STOP)  # BINPERSID: any object
    assert rep.verdict == "unsafe"


def test_defaultdict_of_a_harmless_factory_is_safe_and_range_bombs_are_flagged() -> None:
    ok = walk(proto(2) + call(glob("collections", "defaultdict"), glob("collections", "defaultdict")) + STOP)
    assert ok.verdict == "safe"
    big = b"J" + struct.pack("<i", 2_000_000_000)
    rep = walk(proto(2) + call(glob("builtins", "list"), call(glob("builtins", "range"), big)) + STOP)
    assert rep.verdict == "suspicious" and "pickle.bomb" in ids(rep)
    ok = walk(proto(2) + call(glob("builtins", "list"), call(glob("builtins", "range"), i1(5))) + STOP)
    assert ok.verdict == "safe"


# ---------------------------------------------------------------------------------------
# red team 3: stops the loaders read past, nested re-walks, repeated BUILDs

def test_a_stop_says_whether_the_loaders_raise_there() -> None:
    bad_opcode = walk(proto(2) + NONE + b"\xff" + STOP)
    assert bad_opcode.error and bad_opcode.stop_proven
    limited = read_pickle(io.BytesIO(b"N0" * 50 + b"N."), None, limits=Limits(opcodes=20))
    assert limited.error and not limited.stop_proven and limited.verdict == "error"
    done = walk(proto(2) + NONE + STOP)
    assert done.complete and not done.stop_proven


def _nested_bytes_pickle(inner_texts: list[bytes]) -> bytes:
    """``torch.storage._load_from_bytes(_codecs.encode(TEXT, 'latin1'))`` for each text."""
    out = bytearray(proto(2) + glob("torch.storage", "_load_from_bytes") + b"q\x01" + POP
                    + glob("_codecs", "encode") + b"q\x02" + POP)
    for i, text in enumerate(inner_texts):
        enc = b"-" * i + b"latin1"
        out += (b"h\x01h\x02X" + struct.pack("<I", len(text)) + text + b"X" + struct.pack("<I", len(enc)) + enc
                + b"\x86R\x85R0")
    return bytes(out + NONE + STOP)


def test_nested_pickles_are_deduplicated_by_content_and_share_one_budget() -> None:
    inner = b"N0" * 500 + b"N."
    same = _nested_bytes_pickle([inner] * 40)  # 40 copies of the same bytes, spelled differently
    rep = read_pickle(io.BytesIO(same), len(same), limits=Limits(nested_opcodes=3000))
    assert rep.complete and rep.verdict == "safe", rep.findings
    differ = _nested_bytes_pickle([b"N0" * (500 + i) + b"N." for i in range(40)])
    rep = read_pickle(io.BytesIO(differ), len(differ), limits=Limits(nested_opcodes=3000))
    assert rep.complete and rep.verdict == "suspicious"
    assert any(f.id == "pickle.limit" and f.effect == "suspicious" for f in rep.findings)


def test_a_repeated_build_still_sees_a_state_changed_in_between() -> None:
    # the same memoised state BUILT again after a SETITEM put __setstate__ into it: judged again
    # (importing _load_from_bytes is fine; calling it on a dict is what makes the file unsafe)
    ns = proto(2) + glob("argparse", "Namespace") + EMPTY_TUPLE + NEWOBJ
    state = EMPTY_DICT + b"q\x01"
    data = (ns + state + BUILD + b"h\x01" + BUILD + b"h\x01" + bs("__setstate__") + glob("torch.storage", "_load_from_bytes") + SETITEM
            + POP + b"h\x01" + BUILD + STOP)
    assert walk(data).verdict == "unsafe"


def test_torch_legacy_module_records_are_the_class_they_carry() -> None:
    # _legacy_load's persistent_load(('module', cls, source_file, source)) returns cls: the class
    # is an ordinary global in the record and is judged as one
    def full_model(module: str, name: str) -> bytes:
        record = MARK + bs("module") + glob(module, name) + bs("model.py") + bs("class M: ...") + b"t"
        return proto(2) + record + b"Q" + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + BUILD + STOP

    assert walk(full_model("torch.nn.modules.linear", "Linear")).verdict == "safe"
    assert walk(full_model("mypkg.model", "Net")).verdict == "suspicious"
    assert walk(full_model("os", "system")).verdict == "unsafe"
    # any other persistent id is an object mlbom cannot name: calling it stays suspicious
    other = proto(2) + bs("storage") + b"Q" + EMPTY_TUPLE + NEWOBJ + STOP
    assert walk(other).verdict == "suspicious"
