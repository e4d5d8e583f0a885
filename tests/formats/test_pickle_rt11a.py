"""Red team 11a. 11a-1: a raw-memory protocol name (``__array_interface__``) COMPUTED at load time
by allowlisted code from text that is not the name: ``str()`` / ``numpy.str_()`` of a pathlib path
(pathlib normalises: ``"__array_interface__/"`` -> ``"__array_interface__"``), pandas'
``dtype="str"`` cast of every element, numpy's StringDType(coerce) cast, recarray's field names
split from a str. 11a-2 (weights-only claims for checkpoints torch refuses) is in
tests/formats/test_torch_weights_only.py."""

from __future__ import annotations

import io
import pickle
import struct
import subprocess
import sys

import pytest

from mlbom.formats.pickle import read_pickle
from tests.formats.pickle_ops import (
    BUILD,
    EMPTY_DICT,
    EMPTY_LIST,
    MARK,
    NEWOBJ,
    NONE,
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
    walk,
)

NAME = "__array_interface__"


def _verdict(data: bytes) -> tuple[str, set[str]]:
    rep = walk(data)
    return rep.verdict, {f.id for f in rep.findings if f.effect}


def _path(cls: str, *parts: str) -> bytes:
    return call(glob("pathlib", cls), *(s(p) for p in parts))


def _object_array(*elements: bytes, dtype: bytes | None = None) -> bytes:
    """What numpy writes for an object array: _reconstruct + BUILD (1, shape, dtype, False, list)."""
    dt = dtype if dtype is not None else call(glob("numpy", "dtype"), s("O8"), b"\x89", b"\x88") + MARK + i1(3) \
        + s("|") + NONE + NONE + NONE + b"J" + struct.pack("<i", -1) + b"J" + struct.pack("<i", -1) + i1(63) \
        + TUPLE + BUILD
    return call(glob("numpy.core.multiarray", "_reconstruct"), glob("numpy", "ndarray"), i1(0) + TUPLE1,
                bb(b"b")) + MARK + i1(1) + i1(len(elements)) + TUPLE1 + dt + b"\x89" + EMPTY_LIST + MARK \
        + b"".join(elements) + b"e" + TUPLE + BUILD


# -- pathlib's text is normalised ---------------------------------------------------------

@pytest.mark.parametrize(("cls", "text"), [
    ("PurePosixPath", "__array_interface__/"), ("PurePosixPath", "./__array_interface__"),
    ("PurePosixPath", "__array_interface__//."), ("PureWindowsPath", "__array_interface__/."),
    ("PureWindowsPath", ".\\__cuda_array_interface__\\"), ("Path", "__array_struct__/"),
    ("PurePath", "a/../__array_interface__")])
@pytest.mark.parametrize("how", ["str", "numpy.str_", "reconstructor", "newobj", "path-only"])
def test_a_path_whose_text_normalises_to_a_protocol_name_is_unsafe(cls: str, text: str, how: str) -> None:
    path = _path(cls, text)
    body = {"str": call(glob("builtins", "str"), path),
            "numpy.str_": call(glob("numpy", "str_"), path),
            # str.__new__(numpy.str_, path): a str subclass made from str(path)
            "reconstructor": call(glob("copyreg", "_reconstructor"), glob("numpy", "str_"), glob("builtins", "str"),
                                  path),
            "newobj": call(glob("copyreg", "__newobj__"), glob("numpy", "str_"), path),
            "path-only": path}[how]
    assert _verdict(proto(4) + EMPTY_DICT + body + NONE + SETITEM + STOP) == ("unsafe", {"pickle.protocol-attribute"})


def test_a_path_of_paths_and_plain_paths_are_safe() -> None:
    inner = _path("PurePosixPath", "models", "v1")
    data = proto(4) + EMPTY_LIST + MARK + call(glob("pathlib", "PurePosixPath"), inner, s("weights.bin")) \
        + call(glob("builtins", "str"), _path("PosixPath", "/data/__init__.py")) \
        + pickle.dumps(__import__("pathlib").PurePosixPath("/a/b/c"), protocol=4)[2:-1] + b"e" + STOP
    assert walk(data).verdict == "safe"


def test_a_path_from_text_mlbom_does_not_hold_or_a_build_on_it_is_suspicious() -> None:
    untracked = call(glob("pathlib", "PurePosixPath"), call(glob("builtins", "getattr"), s("x"), s("y")))
    assert _verdict(proto(4) + call(glob("pathlib", "PurePosixPath"), call(glob("numpy", "str_"), s("a"))) + STOP) \
        == ("suspicious", {"pickle.protocol-attribute"})
    # its slots (_drv + _root + "/".join(_parts)) are joined into its text: no pickler writes a state
    state = NONE + EMPTY_DICT + MARK + s("_drv") + s("__array_") + s("_root") + s("interface__") + SETITEMS + TUPLE2
    rep = walk(proto(4) + glob("pathlib", "PurePosixPath") + MARK + TUPLE + NEWOBJ + state + BUILD + STOP)
    assert rep.verdict in ("suspicious", "unsafe") and "pickle.protocol-attribute" in {f.id for f in rep.findings}
    assert walk(proto(4) + untracked + STOP).verdict != "safe"


# -- str(x) of anything else computes x.__str__ ----------------------------------------

@pytest.mark.parametrize("how", ["str", "numpy.str_", "reconstructor"])
def test_str_of_an_object_whose_str_mlbom_does_not_compute_is_suspicious(how: str) -> None:
    arr = _object_array(s("x"))  # str() of an array: its element's str for a 0-d one
    body = {"str": call(glob("builtins", "str"), arr),
            "numpy.str_": call(glob("numpy", "str_"), call(glob("decimal", "Decimal"), s("1"))),
            "reconstructor": call(glob("copyreg", "_reconstructor"), glob("numpy", "str_"), glob("builtins", "str"),
                                  arr)}[how]
    assert _verdict(proto(4) + body + STOP) == ("suspicious", {"pickle.protocol-attribute"})


def test_str_of_text_numbers_and_containers_is_safe() -> None:
    data = proto(4) + EMPTY_LIST + MARK + call(glob("builtins", "str"), s("abc")) \
        + call(glob("builtins", "str"), i1(5)) + call(glob("numpy", "str_"), EMPTY_LIST + s(NAME[1:]) + b"a") \
        + call(glob("builtins", "str"), bb(b"x")) + b"e" + STOP
    assert walk(data).verdict == "safe"


# -- implicit casts: pandas dtype=, numpy StringDType ----------------------------------

def _new_index(data: bytes, dtype: bytes | None) -> bytes:
    d = EMPTY_DICT + MARK + s("data") + data + (s("dtype") + dtype if dtype is not None else b"") \
        + s("name") + NONE + SETITEMS
    return call(glob("pandas.core.indexes.base", "_new_Index"), glob("pandas", "Index"), d)


def test_pandas_dtype_str_cast_of_paths_is_unsafe_and_of_other_objects_suspicious() -> None:
    paths = _object_array(_path("PurePosixPath", "__array_interface__/"))
    assert _verdict(proto(4) + _new_index(paths, s("str")) + STOP) == ("unsafe", {"pickle.protocol-attribute"})
    objs = _object_array(call(glob("decimal", "Decimal"), s("1")))
    for dtype in (s("str"), glob("builtins", "str"), s("string")):
        assert _verdict(proto(4) + _new_index(objs, dtype) + STOP) == ("suspicious", {"pickle.protocol-attribute"})
    # pandas.Index(data, dtype) called directly (Index.__new__ is the constructor), and Series(data, index, dtype)
    assert _verdict(proto(4) + call(glob("pandas", "Index"), objs, s("str")) + STOP)[0] == "suspicious"
    assert _verdict(proto(4) + call(glob("pandas", "Series"), objs, NONE, s("str")) + STOP)[0] == "suspicious"


def test_pandas_indexes_as_pandas_writes_them_stay_safe() -> None:
    strs = _object_array(s("a"), s("b"))
    assert walk(proto(4) + _new_index(strs, None) + STOP).verdict == "safe"
    assert walk(proto(4) + _new_index(strs, s("str")) + STOP).verdict == "safe"
    objs = _object_array(call(glob("decimal", "Decimal"), s("1")))
    assert walk(proto(4) + _new_index(objs, None) + STOP).verdict == "safe"  # dtype inferred: no cast


def _string_dtype(*elements: bytes) -> bytes:
    dt = call(glob("numpy._core._internal", "_convert_to_stringdtype_kwargs"), i1(1))
    return _object_array(*elements, dtype=dt)


def test_numpy_stringdtype_coerce_cast_of_objects() -> None:
    assert walk(proto(4) + _string_dtype(s("x"), s("y")) + STOP).verdict == "safe"
    assert _verdict(proto(4) + _string_dtype(_path("PurePosixPath", "__array_interface__/")) + STOP) \
        == ("unsafe", {"pickle.protocol-attribute"})
    assert _verdict(proto(4) + _string_dtype(call(glob("decimal", "Decimal"), s("1"))) + STOP) \
        == ("suspicious", {"pickle.protocol-attribute"})


def test_recarray_field_names_split_from_a_str() -> None:
    rec = call(glob("numpy.rec", "recarray"), i1(1) + TUPLE1, NONE, NONE, i1(0), NONE, s("O,O"),
               s("a, __cuda_array_interface__"))
    assert _verdict(proto(4) + rec + STOP) == ("unsafe", {"pickle.protocol-attribute"})


# -- the red team's files, built with the real pickler, and what the real loader does ----------

_BUILD = r'''
import io, pathlib, pickle, sys
import numpy as np, pandas as pd
from pandas.core.indexes.base import _new_Index

class RawPath:
    def __init__(self, cls, text): self.cls, self.text = cls, text
    def __reduce__(self): return (self.cls, (self.text,))

class Name:
    def __init__(self, how): self.how = how
    def __hash__(self): return id(self)
    def __reduce__(self): return self.how

IFACE = {"data": (0x1000, False), "shape": (0,), "typestr": "|u1", "version": 3}
P = pathlib.PurePosixPath

class IndexPickler(pickle.Pickler):
    target = None
    def reducer_override(self, obj):
        if obj is self.target:
            return (_new_Index, (pd.Index, {"data": np.array([RawPath(P, "__array_interface__/")], dtype=object),
                                            "dtype": "str", "name": None}))
        return NotImplemented

files = {}
for k, how in {"str-posix-trailing-slash": (str, (RawPath(P, "__array_interface__/"),)),
               "str-posix-dot-prefix": (str, (RawPath(P, "./__array_interface__"),)),
               "str-windows-slash": (str, (RawPath(pathlib.PureWindowsPath, "__array_interface__/."),)),
               "numpy-str_-path": (np.str_, (RawPath(P, "__array_interface__/"),))}.items():
    idx = pd.Index(np.array([Name(how)], dtype=object), dtype=object)
    files[k] = pickle.dumps(pd.Series([IFACE], index=idx, dtype=object), protocol=4)
ser = pd.Series([IFACE], index=pd.Index(["placeholder"], dtype=object), dtype=object)
buf = io.BytesIO(); p = IndexPickler(buf, protocol=4); p.target = ser.index; p.dump(ser)
files["index-dtype-str-of-paths"] = buf.getvalue()
labels = {k: [str(x) for x in pickle.loads(v).index] for k, v in files.items()}
sys.stdout.buffer.write(pickle.dumps((files, labels)))
'''


def test_red_team_11a_1_files_are_unsafe_and_the_loader_makes_the_name() -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("numpy")
    out = subprocess.run([sys.executable, "-c", _BUILD], capture_output=True, check=True, timeout=300).stdout
    files, labels = pickle.loads(out)  # our own subprocess's output
    assert len(files) == 5
    for name, data in files.items():
        assert labels[name] == [NAME], name  # the real loader computes the name ...
        rep = read_pickle(io.BytesIO(data), len(data))
        assert rep.verdict == "unsafe", name  # ... which mlbom judges like the name itself
        assert "pickle.protocol-attribute" in {f.id for f in rep.findings}


# -- 11a-2: checkpoints torch.load refuses in either mode get no weights-only claim ---------

def _u(text: str) -> bytes:
    """BINUNICODE: torch writes protocol 2, whose weights_only unpickler has no SHORT_BINUNICODE."""
    return b"X" + struct.pack("<I", len(text)) + text.encode()


def _od() -> bytes:
    return call(glob("collections", "OrderedDict"))


def _tensor(storage: str, numel: int, size: tuple[int, ...], stride: tuple[int, ...], offset: int = 0,
            requires_grad: bool = False) -> bytes:
    pid = MARK + _u("storage") + glob("torch", storage) + _u("0") + _u("cpu") + i1(numel) + TUPLE + b"Q"
    tup = lambda xs: MARK + b"".join(i1(x) for x in xs) + TUPLE  # noqa: E731
    return call(glob("torch._utils", "_rebuild_tensor_v2"), pid, i1(offset), tup(size), tup(stride),
                b"\x88" if requires_grad else b"\x89", _od())


def _param(tensor: bytes, requires_grad: bool = False, build: bool | None = None) -> bytes:
    p = call(glob("torch._utils", "_rebuild_parameter"), tensor, b"\x88" if requires_grad else b"\x89", _od())
    if build is not None:
        p += MARK + (b"\x88" if build else b"\x89") + NONE + NONE + TUPLE + BUILD
    return p


def _checkpoint(tmp: object, value: bytes, nbytes: int = 32) -> object:
    import zipfile

    path = tmp / "ckpt.pt"  # type: ignore[operator]
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", proto(2) + EMPTY_DICT + _u("w") + value + SETITEM + STOP)
        z.writestr("archive/data/0", b"\0" * nbytes)
        z.writestr("archive/version", b"3\n")
    return path


@pytest.mark.parametrize(("value", "why"), [
    (_param(_tensor("LongStorage", 4, (4,), (1,)), build=True), "integer Parameter"),
    (_param(_tensor("LongStorage", 4, (4,), (1,)), requires_grad=True), "integer tensor"),
    (_tensor("IntStorage", 4, (4,), (1,), requires_grad=True), "integer tensor"),
    (_tensor("LongStorage", 4, (100,), (1,)), "reaches element 99 of a storage of 4"),
    (_tensor("FloatStorage", 4, (2, 2), (2, 2)), "reaches element 4"),
    (_tensor("FloatStorage", 4, (1,), (1,), offset=4), "reaches element 4"),
])
def test_a_checkpoint_torch_refuses_in_either_mode_is_error_with_no_claim(tmp_path: object, value: bytes,
                                                                          why: str) -> None:
    from mlbom.scanner import scan_file

    r = scan_file(_checkpoint(tmp_path, value))
    assert r.verdict == "error", r.findings
    assert "torch.weights-only" not in r.facts
    found = [f for f in r.findings if f.id == "pytorch.tensor-invalid"]
    assert found and why in found[0].message, r.findings


@pytest.mark.parametrize(("value", "nbytes"), [
    (_param(_tensor("FloatStorage", 4, (4,), (1,)), build=True), 16),
    (_param(_tensor("FloatStorage", 4, (4,), (1,)), requires_grad=True), 16),
    (_param(_tensor("LongStorage", 4, (4,), (1,)), build=False), 32),
    (_tensor("LongStorage", 4, (2,), (1,), offset=2), 32),  # a view of the storage's tail
    (_tensor("LongStorage", 4, (2, 2), (2, 1)), 32),
    (_tensor("LongStorage", 4, (0,), (1,), offset=9), 32),  # an empty view needs no element
    (_tensor("BFloat16Storage", 4, (4,), (1,), requires_grad=True), 8),
])
def test_checkpoints_torch_loads_keep_their_claim(tmp_path: object, value: bytes, nbytes: int) -> None:
    """(Each storage record holds numel x element size bytes, as torch requires: red team 91sa-1.)"""
    from mlbom.scanner import scan_file

    r = scan_file(_checkpoint(tmp_path, value, nbytes))
    assert r.verdict == "safe", r.findings
    assert r.facts.get("torch.weights-only") == "true", r.findings


_TORCH_BUILD = r'''
import collections, sys, torch
from torch._utils import _rebuild_parameter, _rebuild_tensor_v2
class P:
    def __init__(self, t, state): self.t, self.state = t, state
    def __reduce__(self): return (_rebuild_parameter, (self.t, False, collections.OrderedDict()), self.state)
class T:
    def __init__(self, s): self.s = s
    def __reduce__(self): return (_rebuild_tensor_v2, (self.s, 0, (1000,), (1,), False, collections.OrderedDict()))
out = sys.argv[1]
torch.save({"w": P(torch.arange(4), (True, None, None))}, out + "/param-int-requires-grad.pt")
torch.save({"w": T(torch.arange(4).untyped_storage() if False else torch.arange(4).storage())},
           out + "/tensor-past-storage.pt")
for name in ("param-int-requires-grad.pt", "tensor-past-storage.pt"):
    for wo in (True, False):
        try:
            torch.load(out + "/" + name, weights_only=wo)
            print(name, wo, "loads")
        except RuntimeError:
            print(name, wo, "refused")
'''


def test_red_team_11a_2_files_torch_refuses_are_error(tmp_path: object) -> None:
    pytest.importorskip("torch")
    from mlbom.scanner import scan_file

    out = subprocess.run([sys.executable, "-c", _TORCH_BUILD, str(tmp_path)], capture_output=True, text=True,
                         check=True, timeout=300).stdout
    assert out.count("refused") == 4, out  # torch.load raises in both modes
    for name in ("param-int-requires-grad.pt", "tensor-past-storage.pt"):
        r = scan_file(tmp_path / name)  # type: ignore[operator]
        assert r.verdict == "error" and "torch.weights-only" not in r.facts, (name, r.findings)


@pytest.mark.parametrize("func", ["_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter"])
@pytest.mark.parametrize("args", [b"", i1(1), NONE + NONE + NONE + NONE + b"\x88" + NONE + NONE])
def test_rebuild_calls_of_any_shape_never_break_the_walk(func: str, args: bytes) -> None:
    rep = walk(proto(2) + call(glob("torch._utils", func), args) + STOP)
    assert rep.error is None and rep.verdict == "safe"
