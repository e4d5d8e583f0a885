"""Red team 95sa: numpy dtype states as numpy's ``arraydescr_setstate`` reads them.

95sa-1: for a state of version < 3 numpy recomputes the flags with ``_descr_find_object``, which
ignores a sub-array (``dtype('U2')`` with an ``O`` sub-array and flags 0 holds no objects: joblib
read 8 raw bytes where mlbom read a nested pickle, and ran the ``os.system`` mlbom took for bytes)
and takes any field whose own flags are non-zero for an object field (a fresh ``U`` field's
NEEDS_INIT makes an object dtype). Such states (no numpy since 2009 writes them) are not modelled:
never ``safe``. 95sa-2: a ``datetime64``/``timedelta64`` state without the metadata slot crashes
numpy (SIGSEGV) in every loader: ``unsafe``; other metadata forms numpy refuses: ``suspicious``.
"""

from __future__ import annotations

import importlib.util
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.scanner import scan_file


def _s(x: str) -> bytes:
    b = x.encode()
    return b"X" + struct.pack("<I", len(b)) + b  # BINUNICODE


def _dtype(code: str, state: bytes | None = None) -> bytes:
    d = b"cnumpy\ndtype\n" + _s(code) + b"\x89\x88\x87R"  # numpy.dtype(code, False, True)
    return d + (state + b"b" if state is not None else b"")


def _v2_subarray_object() -> bytes:
    # (version 2, '|', (dtype('O'), (1,)), None, None, elsize 8, align 1, flags 0)
    return b"(K\x02" + _s("|") + b"(" + _dtype("O") + b"K\x01\x85t" + b"NN" + b"K\x08K\x01K\x00t"


def _joblib_95sa_1(marker: Path) -> bytes:
    head = (b"\x80\x03cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}(" + _s("subclass") + b"cnumpy\nndarray\n"
            + _s("shape") + b"K\x01\x85" + _s("order") + _s("C") + _s("dtype") + _dtype("U2", _v2_subarray_object())
            + _s("allow_mmap") + b"\x89" + _s("numpy_array_alignment_bytes") + b"K\x10ub")
    payload = b"cos\nsystem\n(" + _s(f"touch {marker}") + b"tR"
    pad = 0x4E  # joblib reads b'N' as the padding length
    lit = b"\xff" * ((1 + pad) - 7) + b"\x00" * 8 + payload
    return head + b"N.B" + struct.pack("<I", len(lit)) + lit + b"."


def test_rt95sa_1_old_state_with_object_subarray_is_not_safe(tmp_path: Path) -> None:
    p = tmp_path / "model.joblib"
    p.write_bytes(_joblib_95sa_1(tmp_path / "pwned"))
    r = scan_file(p)
    assert r.verdict in ("error", "suspicious", "unsafe"), r
    assert any(f.id in ("pickle.memory", "pickle.unreadable") for f in r.findings), r.findings


@pytest.mark.skipif(importlib.util.find_spec("joblib") is None or importlib.util.find_spec("numpy") is None,
                    reason="joblib and numpy confirm the premise")
def test_rt95sa_1_premise_joblib_runs_it(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    p = tmp_path / "confirm.joblib"
    p.write_bytes(_joblib_95sa_1(marker))
    subprocess.run([sys.executable, "-c", "import joblib, sys; joblib.load(sys.argv[1])", str(p)],
                   capture_output=True, timeout=120, check=False)
    assert marker.exists()


@pytest.mark.parametrize("state", [
    _v2_subarray_object(),
    b"(K\x02" + _s("|") + b"N(" + _s("a") + b"t}" + _s("a") + b"(" + _dtype("U1") + b"K\x00t" + b"sK\x04K\x01K\x00t",
    b"(K\x01" + _s("|") + b"N(" + _s("a") + b"t}" + _s("a") + b"(" + _dtype("f8") + b"K\x00t" + b"sK\x08K\x01K\x00t",
], ids=["v2-object-subarray", "v2-fresh-unicode-field", "v1-fields"])
def test_rt95sa_1_old_states_with_parts_are_not_modelled(tmp_path: Path, state: bytes) -> None:
    p = tmp_path / "model.pkl"
    p.write_bytes(b"\x80\x02" + _dtype("V8" if b"U1" in state or b"f8" in state else "U2", state) + b".")
    r = scan_file(p)
    assert r.verdict != "safe", r
    assert any(f.id == "pickle.memory" for f in r.findings), r.findings


@pytest.mark.parametrize(("state", "verdict"), [
    (b"(K\x03" + _s("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t", "unsafe"),  # 8 items: SIGSEGV
    (b"(K\x02" + _s("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t", "unsafe"),
    (b"(K\x04" + _s("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00Nt", "suspicious"),  # metadata None
    (b"(K\x04" + _s("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00N" + _s("x") + b"\x86t", "suspicious"),
    (b"(K\x04" + _s("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00N(C\x02nsK\x01K\x01K\x01t\x86t", "safe"),
    (b"(K\x04" + _s("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00}(C\x02nsK\x07t\x86t", "safe"),
], ids=["v3-8-items", "v2-8-items", "metadata-none", "metadata-str", "numpy-form", "dict-and-2-tuple"])
def test_rt95sa_2_datetime_metadata(tmp_path: Path, state: bytes, verdict: str) -> None:
    p = tmp_path / "model.pkl"
    p.write_bytes(b"\x80\x03}" + _s("when") + _dtype("M8[ns]", state) + b"s.")
    r = scan_file(p)
    assert r.verdict == verdict, r.findings


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="numpy confirms the premise")
def test_rt95sa_2_premise_numpy_crashes(tmp_path: Path) -> None:
    p = tmp_path / "model.pkl"
    p.write_bytes(b"\x80\x02}" + _s("when") + _dtype("M8[ns]", b"(K\x03" + _s("|") + b"NNNJ\xff\xff\xff\xff"
                                                                 b"J\xff\xff\xff\xffK\x00t") + b"s.")
    r = subprocess.run([sys.executable, "-c", "import pickle, sys; pickle.load(open(sys.argv[1], 'rb'))", str(p)],
                       capture_output=True, timeout=120, check=False)
    assert r.returncode < 0  # killed by a signal
