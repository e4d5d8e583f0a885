"""Red team 15a: tensor/location claims torch refuses (15a-2, 15a-5), defaultdict factories called at
load (15a-1), tzfile(path) I/O (15a-3), the legacy ('module', ...) id (15a-4)."""

from __future__ import annotations

import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.formats.pickle_ops import EMPTY_DICT, MARK, SETITEM, STOP, TUPLE, call, glob, proto


def _u(text: str) -> bytes:
    return b"X" + struct.pack("<I", len(text)) + text.encode()


def _int(n: int) -> bytes:
    return b"J" + struct.pack("<i", n)


def _tensor(size: tuple[int, ...], stride: tuple[int, ...], offset: int = 0, location: str = "cpu") -> bytes:
    pid = MARK + _u("storage") + glob("torch", "FloatStorage") + _u("0") + _u(location) + _int(4) + TUPLE + b"Q"
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
        torch.load(sys.argv[1], weights_only=wo, map_location=None)
        print("loads")
    except Exception:
        print("refused")
'''


def _torch_refuses(path: Path) -> bool:
    out = subprocess.run([sys.executable, "-c", _LOAD, str(path)], capture_output=True, text=True, timeout=120,
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
def test_15a_5_a_location_no_deserializer_accepts_is_error(tmp_path: Path, location: str) -> None:
    from mlbom.scanner import scan_file

    r = scan_file(_checkpoint(tmp_path / "c.pt", _tensor((4,), (1,), location=location)))
    assert r.verdict == "error", r.findings
    assert "torch.weights-only" not in r.facts
    assert "pytorch.tensor-invalid" in {f.id for f in r.findings}


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
