"""Red team 88s: files mlbom scanned ``safe`` that the real loaders read differently or refuse.

- 88s-1 (ONNX): a field tag as C++ protobuf (onnxruntime) reads it — at most 5 bytes, kept to
  its low 32 bits (``ReadTag``/``ReadTagFallback``, parse_context.h) — while upb (``onnx.load``)
  refuses a tag above 2^32. A tag above 2^32 or over-long is read as C++ reads it and is
  ``onnx.parse-differential`` (``suspicious``); one longer than 5 bytes is ``error``. int32/enum
  fields (``data_location``) are read truncated to 32 bits, as C++ reads them.
- 88s-2 (safetensors): ``-0`` in ``shape``/``data_offsets`` is a float to serde_json: ``error``.
- 88s-3 (safetensors): a header nested 128 levels (serde_json reads at most 127): ``error``.
- 88s-4 (safetensors): dtypes ``F6_E2M3``/``F6_E3M2`` (the python binding refuses them): ``error``.
- 88s-9 (NPY): a negative dimension (non-object dtype) or a ``b''`` key or descr: ``np.load``
  refuses them (numpy 2.4 measured): ``error``; an object array's pickle is scanned whatever the shape.
"""

from __future__ import annotations

import json
import struct

import pytest

from mlbom.scanner import scan_bytes
from tests.formats.test_onnx import varint


def fld(num: int, value: int | bytes | str, *, tag: bytes | None = None) -> bytes:
    if isinstance(value, int):
        return (tag or varint(num << 3)) + varint(value)
    raw = value.encode() if isinstance(value, str) else value
    return (tag or varint(num << 3 | 2)) + varint(len(raw)) + raw


def tensor(location: str, data_location: int = 1) -> bytes:
    return (fld(1, 4) + fld(2, 2) + fld(8, "w") + fld(13, fld(1, "location") + fld(2, location))
            + fld(13, fld(1, "length") + fld(2, "4")) + fld(14, data_location))


def model(graph_field: bytes) -> bytes:
    return fld(1, 8) + fld(2, "pytorch") + fld(8, fld(2, 13)) + graph_field


def graph(location: str = "w.bin", data_location: int = 1) -> bytes:
    return fld(2, "g") + fld(5, tensor(location, data_location)) + fld(1, fld(1, "w") + fld(2, "y") + fld(4, "Identity"))


def ids(data: bytes, name: str = "m.onnx") -> tuple[str, set[str]]:
    scan = scan_bytes(data, name)
    return scan.verdict, {f.id for f in scan.findings}


def test_onnx_benign_is_safe() -> None:
    assert ids(model(fld(7, graph()))) == ("safe", set())


def test_onnx_graph_behind_tag_above_2_32_is_suspicious() -> None:
    """88s-1: field 7 (graph) sent as tag (7 << 3 | 2) + 2^32: onnxruntime loads the graph."""
    verdict, found = ids(model(fld(7, graph(), tag=varint((7 << 3 | 2) + (1 << 32)))))
    assert verdict == "suspicious"
    assert "onnx.parse-differential" in found


def test_onnx_graph_behind_tag_above_2_32_is_walked() -> None:
    """The hidden graph is read as onnxruntime reads it: its escaping location is seen."""
    verdict, found = ids(model(fld(7, graph("../../../etc/passwd"), tag=varint((7 << 3 | 2) + (1 << 32)))))
    assert verdict == "unsafe"
    assert {"onnx.parse-differential", "onnx.external-data-escape"} <= found


@pytest.mark.parametrize("where", ["external_data", "data_location", "node_domain"])
def test_onnx_inner_tag_above_2_32_is_suspicious(where: str) -> None:
    big = 1 << 32
    t = tensor("w.bin")
    if where == "external_data":
        t = t.replace(fld(13, fld(1, "location") + fld(2, "w.bin")),
                      fld(13, fld(1, "location") + fld(2, "w.bin"), tag=varint((13 << 3 | 2) + big)))
    elif where == "data_location":
        t = t.replace(fld(14, 1), fld(14, 1, tag=varint((14 << 3) + big)))
    g = fld(2, "g") + fld(5, t) + fld(1, fld(4, "Identity") + (fld(7, "x", tag=varint((7 << 3 | 2) + big))
                                                               if where == "node_domain" else b""))
    verdict, found = ids(model(fld(7, g)))
    assert verdict == "suspicious"
    assert "onnx.parse-differential" in found


def test_onnx_overlong_tag_is_suspicious() -> None:
    overlong = bytes([(7 << 3 | 2) | 0x80, 0x80, 0x00])  # field 7 in 3 bytes
    verdict, found = ids(model(fld(7, graph(), tag=overlong)))
    assert verdict == "suspicious"
    assert "onnx.parse-differential" in found


def test_onnx_tag_longer_than_5_bytes_is_error() -> None:
    six = bytes([(7 << 3 | 2) | 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
    verdict, _found = ids(model(fld(7, graph(), tag=six)))
    assert verdict == "error"


def test_onnx_data_location_wider_than_32_bits() -> None:
    """data_location = 2^32 + 1 is EXTERNAL (1) for C++ protobuf: its location is judged."""
    verdict, found = ids(model(fld(7, graph("../../../etc/passwd", data_location=(1 << 32) + 1))))
    assert verdict == "unsafe"
    assert {"onnx.parse-differential", "onnx.external-data-escape"} <= found


def st(header: bytes | dict[str, object], data: bytes = b"") -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def st_verdict(data: bytes) -> tuple[str, str]:
    scan = scan_bytes(data, "m.safetensors")
    return scan.verdict, " ".join(f.message for f in scan.findings)


def test_safetensors_benign_is_safe() -> None:
    for dtype, n in (("U8", 1), ("F32", 4), ("F8_E4M3", 1), ("F4", 1), ("BF16", 2)):
        body = {"__metadata__": {"format": "pt"}, "x": {"dtype": dtype, "shape": [2], "data_offsets": [0, n * 2]}}
        if dtype == "F4":
            body["x"] = {"dtype": "F4", "shape": [2], "data_offsets": [0, 1]}
            assert st_verdict(st(body, b"\0"))[0] == "safe"
            continue
        assert st_verdict(st(body, b"\0" * n * 2))[0] == "safe"


@pytest.mark.parametrize("header", [
    b'{"x":{"dtype":"U8","shape":[-0],"data_offsets":[0,0]}}',
    b'{"x":{"dtype":"U8","shape":[0],"data_offsets":[-0,0]}}',
    b'{"x":{"dtype":"U8","shape":[0],"data_offsets":[0,-0]}}',
])
def test_safetensors_negative_zero_is_error(header: bytes) -> None:
    verdict, msg = st_verdict(st(header))
    assert verdict == "error"
    assert "non-negative integers" in msg


def test_safetensors_negative_zero_elsewhere_is_fine() -> None:
    """serde_json reads -0 as -0.0: harmless where no integer is required (an ignored field)."""
    assert st_verdict(st(b'{"x":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"extra":-0}}'))[0] == "safe"


def _nested(levels: int) -> bytes:
    """A header of ``levels`` nesting levels: the object, the tensor entry, then arrays in an extra field."""
    inner = "1"
    for _ in range(levels - 2):
        inner = f"[{inner}]"
    return f'{{"x":{{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":{inner}}}}}'.encode()


def test_safetensors_depth_127_is_safe() -> None:
    assert st_verdict(st(_nested(127), b"\0"))[0] == "safe"


@pytest.mark.parametrize("levels", [128, 129])
def test_safetensors_depth_128_is_error(levels: int) -> None:
    verdict, msg = st_verdict(st(_nested(levels), b"\0"))
    assert verdict == "error"
    assert "serde_json" in msg


@pytest.mark.parametrize("dtype", ["F6_E2M3", "F6_E3M2"])
def test_safetensors_f6_dtypes_are_error(dtype: str) -> None:
    verdict, msg = st_verdict(st({"x": {"dtype": dtype, "shape": [4], "data_offsets": [0, 3]}}, b"\0" * 3))
    assert verdict == "error"
    assert "unknown dtype" in msg


def npy(header: str, data: bytes = b"") -> bytes:
    h = header.encode("latin-1")
    pad = 64 - (10 + len(h) + 1) % 64
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h) + pad + 1) + h + b" " * pad + b"\n" + data


def npy_verdict(data: bytes) -> tuple[str, str]:
    scan = scan_bytes(data, "a.npy")
    return scan.verdict, " ".join(f.message for f in scan.findings)


def test_npy_benign_is_safe() -> None:
    assert npy_verdict(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", b"\0" * 24))[0] == "safe"
    assert npy_verdict(npy("{'descr': u'<f4', 'fortran_order': False, 'shape': (0,), }"))[0] == "safe"


@pytest.mark.parametrize("shape", ["(-2, -3)", "(-1,)", "(0, -1)", "(-6,)"])
def test_npy_negative_dimension_is_error(shape: str) -> None:
    verdict, msg = npy_verdict(npy(f"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}", b"\0" * 24))
    assert verdict == "error"
    assert "negative dimension" in msg


@pytest.mark.parametrize("header", [
    "{b'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
    "{'descr': '<f4', b'fortran_order': False, 'shape': (2,), }",
    "{'descr': b'<f4', 'fortran_order': False, 'shape': (2,), }",
])
def test_npy_bytes_literals_are_error(header: str) -> None:
    verdict, msg = npy_verdict(npy(header, b"\0" * 8))
    assert verdict == "error"
    assert "numpy refuses" in msg


def test_npy_object_array_with_negative_shape_still_scans_its_pickle() -> None:
    """np.load unpickles an object array whatever its shape: the pickle is judged."""
    evil = b"cos\nsystem\n(S'id'\ntR."
    scan = scan_bytes(npy("{'descr': '|O', 'fortran_order': False, 'shape': (-2,), }", evil), "a.npy")
    assert scan.verdict == "unsafe"
