"""ONNX TensorProto / SequenceProto files (``onnx.save_tensor``; the ``test_data_set_*/input_N.pb``
files beside ONNX models) were ``error`` (no magic) or, for a sequence, misread as an lzma stream
(red team 45f-2). A ``.pb`` that parses strictly as one is ``onnx-tensor``: data, its only
reference an external-data location, judged as a model's are. Anything else named ``.pb`` is
judged as before (``error`` for unknown binary content)."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes, scan_file


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _key(num: int, wt: int) -> bytes:
    return _varint(num << 3 | wt)


def _len(num: int, data: bytes) -> bytes:
    return _key(num, 2) + _varint(len(data)) + data


def _tensor(dims: list[int], data_type: int, raw: bytes | None = None, name: str = "x",
            extra: bytes = b"") -> bytes:
    out = b"".join(_key(1, 0) + _varint(d) for d in dims) + _key(2, 0) + _varint(data_type)
    if raw is not None:
        out += _len(9, raw)
    return out + _len(8, name.encode()) + extra


def _external(location: str) -> bytes:
    entry = _len(1, b"location") + _len(2, location.encode())
    return _len(13, entry) + _key(14, 0) + _varint(1)


def test_a_float_tensor_is_safe() -> None:
    data = _tensor([2, 3], 1, struct.pack("<6f", *range(6)))
    r = scan_bytes(data, "input_0.pb")
    assert (r.format, r.verdict) == ("onnx-tensor", "safe"), r.findings


def test_typed_values_and_strings_are_counted() -> None:
    floats = _tensor([3], 1, extra=_len(4, struct.pack("<3f", 1, 2, 3)))
    strings = _tensor([2], 8, extra=_len(6, b"a") + _len(6, b"bc"))
    ints = _tensor([2], 7, extra=_len(7, _varint(5) + _varint(7)))
    for data in (floats, strings, ints):
        r = scan_bytes(data, "t.pb")
        assert (r.format, r.verdict) == ("onnx-tensor", "safe"), r.findings


def test_a_sequence_of_tensors_is_safe() -> None:
    t = _tensor([2], 1, struct.pack("<2f", 1, 2))
    seq = _len(1, b"s") + _key(2, 0) + _varint(1) + _len(3, t) + _len(3, t)
    r = scan_bytes(seq, "output_0.pb")
    assert (r.format, r.verdict) == ("onnx-tensor", "safe"), r.findings


@pytest.mark.parametrize("location", ["/etc/passwd", "../../secret.bin", "C:/x.bin"])
def test_an_external_location_leaving_the_folder_is_unsafe(tmp_path: Path, location: str) -> None:
    path = tmp_path / "input_0.pb"
    path.write_bytes(_tensor([4], 1, extra=_external(location)))
    r = scan_file(path)
    assert (r.format, r.verdict) == ("onnx-tensor", "unsafe"), r.findings


def test_an_external_location_beside_it_is_safe(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(bytes(16))
    path = tmp_path / "input_0.pb"
    path.write_bytes(_tensor([4], 1, extra=_external("w.bin")))
    r = scan_file(path)
    assert r.format == "onnx-tensor" and r.verdict == "safe", r.findings


@pytest.mark.parametrize("data", [
    _tensor([2, 3], 1, bytes(23)),  # 23 raw bytes for 6 floats
    _tensor([2], 99, bytes(8)),  # no such data type
    _tensor([2], 1, bytes(8)) + _key(15, 0) + _varint(1),  # a field TensorProto lacks
    _tensor([3], 1, extra=_len(4, struct.pack("<2f", 1, 2))),  # 2 values for 3 elements
    bytes(range(256)) * 4,  # no protobuf at all
    b"\x0a\x04ab\xffd\x10\x05",  # a protobuf, not a tensor (dims without their values)
])
def test_other_pb_content_is_not_claimed(data: bytes) -> None:
    r = scan_bytes(data, "saved_model.pb")
    assert r.format != "onnx-tensor" and r.verdict != "safe", (r.format, r.findings)


def test_big_dims_do_not_overflow() -> None:
    data = _tensor([2**40, 2**40, 2**40], 1, bytes(8))
    r = scan_bytes(data, "x.pb")
    assert r.format != "onnx-tensor" and r.verdict != "safe"
    assert math.prod([2**40] * 3) > 2**62


def test_real_onnx_writers(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    np = pytest.importorskip("numpy")
    from onnx import helper, numpy_helper

    arrays = {"f32": np.arange(6, dtype=np.float32).reshape(2, 3), "i64": np.arange(4, dtype=np.int64),
              "f16": np.ones((3, 1), dtype=np.float16), "bool": np.array([True, False]),
              "str": np.array(["a", "bc"], dtype=object), "empty": np.zeros((0, 3), dtype=np.float32),
              "scalar": np.array(2.5, dtype=np.float64)}
    for name, arr in arrays.items():
        path = tmp_path / f"{name}.pb"
        onnx.save_tensor(numpy_helper.from_array(arr, name), str(path))
        r = scan_file(path)
        assert (r.format, r.verdict) == ("onnx-tensor", "safe"), (name, r.findings)
    seq = helper.make_sequence("s", onnx.SequenceProto.TENSOR,
                               [numpy_helper.from_array(a) for a in (arrays["f32"], arrays["f32"])])
    path = tmp_path / "seq.pb"
    path.write_bytes(seq.SerializeToString())
    r = scan_file(path)
    assert (r.format, r.verdict) == ("onnx-tensor", "safe"), r.findings
