"""Red team 15a: tensor/location claims torch refuses (15a-2, 15a-5), defaultdict factories called at
load (15a-1), tzfile(path) I/O (15a-3), the legacy ('module', ...) id (15a-4)."""

from __future__ import annotations

import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.formats.pickle_ops import (
    BUILD,
    EMPTY_DICT,
    EMPTY_TUPLE,
    MARK,
    NEWOBJ,
    NONE,
    SETITEM,
    STOP,
    TUPLE,
    adam_with_group,
    call,
    categorical_with_state,
    defaultdict_of,
    glob,
    ids,
    proto,
    s,
    walk,
)
from tests.helpers import pickle_load_opens


def _u(text: str) -> bytes:
    return b"X" + struct.pack("<I", len(text)) + text.encode()


def _int(n: int) -> bytes:
    return b"J" + struct.pack("<i", n)


def _tensor(size: tuple[int, ...], stride: tuple[int, ...], offset: int = 0, location: str | bytes = "cpu") -> bytes:
    loc = _u(location) if isinstance(location, str) else b"C" + bytes([len(location)]) + location  # bytes: SHORT_BINBYTES
    pid = MARK + _u("storage") + glob("torch", "FloatStorage") + _u("0") + loc + _int(4) + TUPLE + b"Q"
    tup = lambda xs: MARK + b"".join(_int(x) for x in xs) + TUPLE  # noqa: E731
    return call(glob("torch._utils", "_rebuild_tensor_v2"), pid, _int(offset), tup(size), tup(stride), b"\x89",
                call(glob("collections", "OrderedDict")))


def _checkpoint(path: Path, value: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", proto(2) + EMPTY_DICT + _u("w") + value + SETITEM + STOP)
        z.writestr("archive/data/0", b"\0" * 16)
        z.writestr("archive/version", b"3\n")
    return path


# (offset, size, stride) -> torch.load refuses it in either mode (checked with real torch below)
_TENSORS = [
    ((0, (4,), (1,)), False),
    ((0, (-1,), (1,)), True),      # numel: integer multiplication overflow
    ((0, (-1, -1), (1, 1)), True),
    ((0, (1, -3), (0, 0)), True),
    ((0, (-1, 0), (1, 1)), False),  # an empty view skips the checks
    ((3, (4,), (-1,)), True),      # Storage size calculation overflowed
    ((0, (2, 2), (1, -1)), True),
    ((0, (1,), (-100,)), False),   # a negative stride of a dimension of 1 is never used
    ((2, (2, 1), (1, -7)), False),
    ((0, (0,), (-1,)), False),
    ((-1, (1,), (1,)), True),      # invalid storage offset -1
    ((-1, (0,), (1,)), True),
    ((-1, (), ()), True),
]


@pytest.mark.parametrize(("case", "refused"), _TENSORS)
def test_15a_2_negative_sizes_strides_offsets(tmp_path: Path, case: tuple[int, tuple[int, ...], tuple[int, ...]],
                                              refused: bool) -> None:
    from mlbom.scanner import scan_file

    offset, size, stride = case
    r = scan_file(_checkpoint(tmp_path / "c.pt", _tensor(size, stride, offset)))
    if refused:
        assert r.verdict == "error", r.findings
        assert "torch.weights-only" not in r.facts
        assert "pytorch.tensor-invalid" in {f.id for f in r.findings}
    else:
        assert r.verdict == "safe", r.findings
        assert r.facts.get("torch.weights-only") == "true", r.findings


_LOAD = r'''
import sys, torch
for wo in (True, False):
    try:
        torch.load(sys.argv[1], weights_only=wo, map_location=(sys.argv[2] if len(sys.argv) > 2 else None))
        print("loads")
    except Exception:
        print("refused")
'''


def _torch_refuses(path: Path, map_location: str | None = None) -> bool:
    args = [sys.executable, "-c", _LOAD, str(path), *([map_location] if map_location else [])]
    out = subprocess.run(args, capture_output=True, text=True, timeout=120,
                         check=True).stdout.split()
    assert out in (["loads", "loads"], ["refused", "refused"]), out
    return out[0] == "refused"


def test_15a_2_the_tensor_table_is_what_torch_does(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    for n, ((offset, size, stride), refused) in enumerate(_TENSORS):
        path = _checkpoint(tmp_path / f"c{n}.pt", _tensor(size, stride, offset))
        assert _torch_refuses(path) == refused, (offset, size, stride)


# -- 15a-5: a storage location no deserializer torch registers accepts ------------------------

_LOCATIONS = [("cpu", None), ("meta", None), ("cuda:0", "cuda"), ("cuda", "cuda"), ("mps", "mps"),
              ("xpu:3", "xpu")]
_REFUSED_LOCATIONS = ["bogus", "cpu:1", "meta:0", "privateuseone:0", "cudafoo", "CPU", ""]


@pytest.mark.parametrize(("location", "device"), _LOCATIONS)
def test_15a_5_locations_torch_restores_keep_the_claim(tmp_path: Path, location: str, device: str | None) -> None:
    from mlbom.scanner import scan_file

    r = scan_file(_checkpoint(tmp_path / "c.pt", _tensor((4,), (1,), location=location)))
    assert r.verdict == "safe", r.findings
    assert r.facts.get("torch.weights-only") == "true", r.findings
    assert r.facts.get("torch.storage-devices") == device


@pytest.mark.parametrize("location", _REFUSED_LOCATIONS)
def test_15a_5_a_location_stock_torch_does_not_restore_is_a_recorded_device(tmp_path: Path, location: str) -> None:
    """torch.load without a map_location refuses it; with ``map_location="cpu"`` (what users
    write for a checkpoint from another machine, or an extension's device such as ``npu:0``) the
    saved location is never looked at and it loads: not an error, the claim kept, the location
    recorded like ``cuda``."""
    from mlbom.scanner import scan_file

    r = scan_file(_checkpoint(tmp_path / "c.pt", _tensor((4,), (1,), location=location)))
    assert r.verdict == "safe", r.findings
    assert r.facts.get("torch.weights-only") == "true", r.findings
    assert r.facts.get("torch.storage-devices") == (location or "''")


def test_15a_5_a_location_of_bytes_that_are_no_ascii_is_error(tmp_path: Path) -> None:
    from mlbom.scanner import scan_file

    value = _tensor((4,), (1,), location=b"\xff\xfe")
    r = scan_file(_checkpoint(tmp_path / "c.pt", value))
    assert r.verdict == "error" and "torch.weights-only" not in r.facts, r.findings


def test_15a_5_only_the_first_id_of_a_key_is_restored(tmp_path: Path) -> None:
    from mlbom.scanner import scan_file

    value = MARK + _tensor((4,), (1,)) + _tensor((4,), (1,), location="bogus") + TUPLE  # torch reuses key '0'
    r = scan_file(_checkpoint(tmp_path / "c.pt", value))
    assert r.verdict == "safe", r.findings


def test_15a_5_the_location_table_is_what_torch_does(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    for n, location in enumerate(["cpu", "meta", *_REFUSED_LOCATIONS]):
        path = _checkpoint(tmp_path / f"c{n}.pt", _tensor((4,), (1,), location=location))
        assert _torch_refuses(path) == (location not in ("cpu", "meta")), location
        assert _torch_refuses(path, "cpu") is False, location  # a map_location never reads it


# -- 15a-1: a defaultdict's factory is called during the load; 15a-3: tzfile(path) reads a file ----

def _partial(func: bytes, *args: bytes) -> bytes:
    """functools.partial as pickle writes it: partial(func) then BUILD (func, args, {}, None)."""
    return call(glob("functools", "partial"), func) + MARK + func + MARK + b"".join(args) + TUPLE + EMPTY_DICT \
        + NONE + TUPLE + BUILD


def _tzfile() -> bytes:
    return glob("dateutil.tz._tzfile", "tzfile")


@pytest.mark.parametrize("host", [adam_with_group, categorical_with_state])
def test_15a_1_a_defaultdict_factory_is_judged_as_called_at_load(host: object) -> None:
    rep = walk(proto(2) + host(defaultdict_of(_partial(_tzfile(), s("/tmp/x")))) + STOP)  # type: ignore[operator]
    assert rep.verdict == "unsafe", rep.findings
    assert "pickle.dangerous-callable" in ids(rep)


@pytest.mark.parametrize("new", [True, False])
def test_15a_1_a_factory_set_by_setattr_is_judged_as_called_at_load(new: bool) -> None:
    # BUILD (None, {'default_factory': f}) on a defaultdict: setattr(d, 'default_factory', f)
    dd = (glob("collections", "defaultdict") + EMPTY_TUPLE + NEWOBJ) if new else defaultdict_of(glob("builtins", "list"))
    dd += MARK + NONE + MARK + s("default_factory") + _partial(_tzfile(), s("/tmp/x")) + b"d" + TUPLE + BUILD
    rep = walk(proto(2) + adam_with_group(dd) + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings


def test_15a_1_a_factory_called_is_judged_by_the_call_rules() -> None:
    # a partial of a class-creating call: type('X', (), {}) runs when the factory is called
    rep = walk(proto(2) + defaultdict_of(_partial(glob("builtins", "type"), s("X"), EMPTY_TUPLE, EMPTY_DICT)) + STOP)
    assert rep.verdict == "unsafe", rep.findings
    # a partial of an allocation: bytearray(2e9) when called
    big = b"J" + struct.pack("<i", 2_000_000_000)
    rep = walk(proto(2) + defaultdict_of(_partial(glob("builtins", "bytearray"), big)) + STOP)
    assert rep.verdict != "safe" and "pickle.bomb" in ids(rep), rep.findings


@pytest.mark.parametrize("factory", [
    glob("builtins", "list"), glob("builtins", "int"), glob("builtins", "dict"), glob("builtins", "set"),
    glob("collections", "defaultdict"), glob("collections", "OrderedDict"), glob("collections", "Counter"),
])
def test_15a_1_harmless_factories_stay_safe(factory: bytes) -> None:
    rep = walk(proto(2) + defaultdict_of(factory) + STOP)
    assert rep.verdict == "safe", rep.findings


def test_15a_1_a_partial_factory_of_a_harmless_call_is_not_unsafe() -> None:
    # the loader calls partial(defaultdict, list)(), i.e. defaultdict(list): judged as that call,
    # nothing else runs (red team 18a note: a partial factory is judged by what it calls)
    rep = walk(proto(2) + defaultdict_of(_partial(glob("collections", "defaultdict"), glob("builtins", "list"))) + STOP)
    assert rep.verdict == "safe", rep.findings


def test_15a_3_tzfile_called_with_a_path_is_unsafe() -> None:
    rep = walk(proto(2) + call(_tzfile(), s("/etc/hostname")) + STOP)
    assert rep.verdict == "unsafe" and "pickle.dangerous-callable" in ids(rep), rep.findings
    # copyreg._reconstructor(cls, tzfile, path): tzfile.__init__(obj, path)
    rep = walk(proto(2) + call(glob("copyreg", "_reconstructor"), _tzfile(), _tzfile(), s("/etc/hostname")) + STOP)
    assert rep.verdict == "unsafe", rep.findings
    # created with __new__ (what dateutil's _unpickle does) stays data
    rep = walk(proto(2) + _tzfile() + EMPTY_TUPLE + NEWOBJ + STOP)
    assert rep.verdict == "safe", rep.findings




@pytest.mark.parametrize("kind", ["categorical", "tzfile"])
def test_15a_1_3_the_real_loader_opens_the_file(tmp_path: Path, kind: str) -> None:
    pytest.importorskip("dateutil")
    target = tmp_path / "secret"
    target.write_text("not a tz file")
    if kind == "categorical":
        pytest.importorskip("pandas")
        data = proto(2) + categorical_with_state(defaultdict_of(_partial(_tzfile(), s(str(target))))) + STOP
    else:
        data = proto(2) + call(_tzfile(), s(str(target))) + STOP
    assert pickle_load_opens(data, target)
    assert walk(data).verdict == "unsafe"


# -- 15a-4: the legacy ('module', container, source_file, source) id can write <name>.patch ------

def _module_record(container: bytes, source: bytes | None = None) -> bytes:
    return proto(2) + MARK + _u("module") + container + _u("model.py") + (source or _u("class X: pass")) \
        + TUPLE + b"Q" + STOP


def _container_ids(data: bytes) -> list[str]:
    return [f.message for f in walk(data).findings if "_check_container_source" in f.message]


def test_15a_4_a_container_that_may_have_dump_patches_is_unsafe() -> None:
    made = call(glob("builtins", "type"), _u("ReLU"), EMPTY_TUPLE, EMPTY_DICT)  # a class made at load
    rep = walk(_module_record(made))
    assert rep.verdict == "unsafe" and _container_ids(_module_record(made)), rep.findings
    # a value mlbom cannot tell (another persistent object)
    other = MARK + _u("x") + TUPLE + b"Q"
    assert _container_ids(_module_record(other))


def test_15a_4_an_allowlisted_class_or_an_empty_source_writes_nothing() -> None:
    assert not _container_ids(_module_record(glob("torch.nn.modules.linear", "Linear")))
    made = call(glob("builtins", "type"), _u("ReLU"), EMPTY_TUPLE, EMPTY_DICT)
    assert not _container_ids(_module_record(made, source=_u("")))  # torch skips the check
