"""Red team 93s: a joblib NumpyArrayWrapper's attributes are what Python's unpickler builds
(``__init__`` when the class is called, then every BUILD merged into ``__dict__``), and an
object array's nested pickle leaves joblib's file handle at the end of the frame that holds its
STOP (pickle._Unframer reads a whole frame at once)."""

from __future__ import annotations

import importlib.util
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.scanner import scan_file


def _s(x: bytes) -> bytes:
    return b"X" + struct.pack("<I", len(x)) + x  # BINUNICODE


_DT_F8 = b"cnumpy\ndtype\n" + _s(b"f8") + b"\x89\x88\x87R"
_DT_O = b"cnumpy\ndtype\n" + _s(b"O") + b"\x89\x88\x87R"
_WRAPPER = b"cjoblib.numpy_pickle\nNumpyArrayWrapper\n"


def _state(dtype: bytes, align: bool) -> bytes:
    st = b"}(" + _s(b"subclass") + b"cnumpy\nndarray\n" + _s(b"shape") + b"K\x01\x85" + _s(b"order") + _s(b"C")
    st += _s(b"dtype") + dtype + _s(b"allow_mmap") + b"\x89"
    if align:
        st += _s(b"numpy_array_alignment_bytes") + b"K\x10"
    return st + b"u"


def _hidden(marker: Path) -> bytes:
    return b"0cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."


def _desync(hidden: bytes) -> bytes:
    """8 array bytes as the old mlbom read them (no pad byte) whose first byte joblib reads as a
    pad length of 240: mlbom then read a BINBYTES that swallowed what joblib runs."""
    region = bytes([0xF0]) + b"\x00" * 7
    filler = 1 + 0xF0 + 8 - len(region) - 5
    return region + b"B" + struct.pack("<I", filler + len(hidden)) + b"\xff" * filler + hidden + b"0."


def _built_twice(marker: Path) -> bytes:
    """93s-1a: one wrapper (NEWOBJ, memoised) BUILT twice; the second state omits the alignment
    joblib's __dict__ keeps from the first."""
    p = b"\x80\x03" + _WRAPPER + b")\x81q\x00" + _state(_DT_F8, True) + b"b"
    p += b"\x00" + b"\x00" * 8 + b"0h\x00" + _state(_DT_F8, False) + b"b"
    return p + _desync(_hidden(marker))


def _called(marker: Path) -> bytes:
    """93s-1b: the wrapper made by calling the class (REDUCE): __init__ sets the alignment (16)."""
    p = b"\x80\x03" + _WRAPPER + b"(cnumpy\nndarray\nK\x01\x85" + _s(b"C") + _DT_F8 + b"tR"
    p += _state(_DT_F8, False) + b"b"
    return p + _desync(_hidden(marker))


def _slot_pair(marker: Path) -> bytes:
    """A ``(dict, slotstate)`` BUILD state: load_build sets the slot dict's items with setattr."""
    slots = b"}(" + _s(b"numpy_array_alignment_bytes") + b"K\x10u"
    p = b"\x80\x03" + _WRAPPER + b")\x81" + _state(_DT_F8, False) + slots + b"\x86b"
    return p + _desync(_hidden(marker))


def _long_frame(marker: Path, tail_len: int = 40) -> bytes:
    """93s-2: an object array's nested pickle (numpy's protocol-5 pickle of np.array([7],
    dtype=object)) whose FRAME runs ``tail_len`` bytes past its STOP."""
    p = b"\x80\x05" + _WRAPPER + b")\x81" + _state(_DT_O, True) + b"b"
    body = b"\x8c\x16numpy._core.multiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray" \
           b"\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x01\x85\x94h\x03\x8c\x05dtype\x94\x93\x94" \
           b"\x8c\x02O8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?t\x94b" \
           b"\x89]\x94K\x07at\x94b."
    hidden = _hidden(marker)
    tail = b"B" + struct.pack("<I", tail_len - 5 + len(hidden)) + b"\xff" * (tail_len - 5) if tail_len else b""
    frame = body + tail
    return p + b"\x80\x05\x95" + struct.pack("<Q", len(frame)) + frame + hidden + b"0."


def _joblib_runs(data: bytes, marker: Path, tmp_path: Path) -> bool:
    p = tmp_path / "confirm.joblib"
    p.write_bytes(data)
    subprocess.run([sys.executable, "-c", "import joblib, sys; joblib.load(sys.argv[1])", str(p)],
                   capture_output=True, timeout=120, check=False)
    return marker.exists()


@pytest.mark.parametrize("make", [_built_twice, _called], ids=["built-twice", "called"])
def test_93s_1_wrapper_attributes_as_joblib_merges_them(tmp_path: Path, make: object) -> None:
    """mlbom kept only the last BUILD state: no pad byte where joblib reads one (from an earlier
    BUILD, or __init__'s default), so the bytes joblib runs as os.system were a bytes literal."""
    assert callable(make)
    p = tmp_path / "model.joblib"
    p.write_bytes(make(tmp_path / "pwned"))
    r = scan_file(p)
    assert r.verdict == "unsafe"
    assert any(f.id == "pickle.dangerous-callable" and "system" in f.message for f in r.findings)
    assert any(f.id == "pickle.differential" and "NumpyArrayWrapper" in f.message for f in r.findings)


def test_93s_1_slot_state_is_merged(tmp_path: Path) -> None:
    p = tmp_path / "model.joblib"
    p.write_bytes(_slot_pair(tmp_path / "pwned"))
    r = scan_file(p)
    assert r.verdict == "unsafe"
    assert any(f.id == "pickle.dangerous-callable" and "system" in f.message for f in r.findings)


def test_93s_1_wrapper_init_arity(tmp_path: Path) -> None:
    """__init__ with three arguments raises: mlbom cannot tell the attributes (error, not safe)."""
    p = tmp_path / "model.joblib"
    data = b"\x80\x03" + _WRAPPER + b"(cnumpy\nndarray\nK\x01\x85" + _s(b"C") + b"tR" + b"Nb" + b"\x00" * 9 + b"."
    p.write_bytes(data)
    assert scan_file(p).verdict == "error"


def test_93s_1_honest_wrapper_is_safe(tmp_path: Path) -> None:
    p = tmp_path / "model.joblib"
    p.write_bytes(b"\x80\x03" + _WRAPPER + b")\x81" + _state(_DT_F8, True) + b"b" + b"\x07" + b"\xff" * 7
                  + b"\x00" * 8 + b".")
    r = scan_file(p)
    assert r.verdict == "safe", r.findings


def test_93s_2_nested_frame_past_its_stop(tmp_path: Path) -> None:
    """mlbom resumed the outer stream right after the nested STOP; joblib resumes at the frame's end."""
    p = tmp_path / "model.joblib"
    p.write_bytes(_long_frame(tmp_path / "pwned"))
    r = scan_file(p)
    assert r.verdict == "unsafe"
    assert any(f.id == "pickle.dangerous-callable" and "system" in f.message for f in r.findings)
    assert any(f.id == "pickle.differential" and "end of its frame" in f.message for f in r.findings)


def test_93s_2_nested_frame_ending_at_stop_is_safe(tmp_path: Path) -> None:
    """An honest nested pickle (its frame ends at its STOP) stays safe."""
    p = tmp_path / "model.joblib"
    data = _long_frame(tmp_path / "pwned", tail_len=0)
    p.write_bytes(data[: data.rindex(b"0cos")] + b".")
    r = scan_file(p)
    assert r.verdict == "safe", r.findings


@pytest.mark.skipif(importlib.util.find_spec("joblib") is None or importlib.util.find_spec("numpy") is None,
                    reason="joblib and numpy confirm the streams")
@pytest.mark.parametrize("make", [_built_twice, _called, _slot_pair, _long_frame],
                         ids=["built-twice", "called", "slot-pair", "long-frame"])
def test_93s_joblib_runs_the_hidden_call(tmp_path: Path, make: object) -> None:
    assert callable(make)
    marker = tmp_path / "pwned"
    assert _joblib_runs(make(marker), marker, tmp_path)
