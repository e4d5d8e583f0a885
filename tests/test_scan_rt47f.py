"""Red team 47f: today's scanner changes, attacked.

47f-1: a ``.pb`` that parses as a TensorProto whose name is a whole bz2 stream ("BZh9…"):
joblib.load decompresses and unpickles it; the tensor branch came before codec detection, so the
file was ``safe``. 47f-2: ``getattr(numpy.ndarray, "tofile")`` called with an array and a path
(what protocol 2 writes for a method) writes any file: judged as the dotted global it was only
``suspicious``; an attribute getattr fetched and the pickle then calls is ``unsafe`` unless
allowlisted. 47f-3: tens of thousands of distinct external-data locations were resolved one by
one (and found with a quadratic search): 80 s for an 806 KB file; now bounded.
"""

from __future__ import annotations

import bz2
import pickle
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes, scan_file
from tests.test_scan_onnx_tensors import _varint


def test_47f_1_a_tensor_that_is_a_bz2_stream_is_judged_as_what_it_inflates_to() -> None:
    payload = b"cos\nsystem\n(S'true'\ntR."
    stream = bz2.compress(payload, 9)
    assert stream[:2] == b"BZ" and len(stream) <= 92
    data = stream + b"\x00" * (92 - len(stream)) + b"\x08\x00" + b"\x10\x01"  # name (field 8, 90 bytes), dims, FLOAT
    r = scan_bytes(data, "input_0.pb")
    assert r.format != "onnx-tensor" and r.verdict == "unsafe", (r.format, [f.message for f in r.findings])


def test_47f_2_calling_a_method_getattr_fetched_is_unsafe() -> None:
    np = pytest.importorskip("numpy")

    class Write:
        def __reduce__(self) -> object:
            return (np.ndarray.tofile, (np.frombuffer(b"bytes\n", dtype=np.uint8), "/tmp/never-written"))

    data = pickle.dumps(Write(), protocol=2)
    assert b"getattr" in data
    r = scan_bytes(data, "model.pkl")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert any("getattr fetched" in f.message for f in r.findings)


def test_47f_2_a_stored_method_reference_stays_suspicious() -> None:
    scipy = pytest.importorskip("scipy.interpolate")
    r = scan_bytes(pickle.dumps(scipy.interp1d([0.0, 1.0], [0.0, 1.0]), protocol=2), "i.pkl")
    assert r.verdict == "suspicious", [f.message for f in r.findings]


def test_47f_3_many_external_locations_are_bounded(tmp_path: Path) -> None:
    entries = b"".join(
        b"\x6a" + _varint(len(e)) + e  # external_data (field 13)
        for e in (b"\x0a\x08location\x12" + _varint(len(loc)) + loc
                  for loc in (f"{i:x}".encode() for i in range(20_000))))
    data = b"\x08\x04" + b"\x10\x01" + entries + b"\x70\x01"  # dims [4], FLOAT, ..., data_location EXTERNAL
    path = tmp_path / "input_0.pb"
    path.write_bytes(data)
    r = scan_file(path)
    assert r.format == "onnx-tensor" and r.verdict == "suspicious", [f.message for f in r.findings]
    assert any(f.id == "onnx.external-data-too-many" for f in r.findings)
