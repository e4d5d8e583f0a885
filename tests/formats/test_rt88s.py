"""Red team 88s: files mlbom scanned ``safe`` that the real loaders read differently or refuse.

- 88s-1 (ONNX): a field tag as C++ protobuf (onnxruntime) reads it — at most 5 bytes, kept to
  its low 32 bits (``ReadTag``/``ReadTagFallback``, parse_context.h) — while upb (``onnx.load``)
  refuses a tag above 2^32. A tag above 2^32 or over-long is read as C++ reads it and is
  ``onnx.parse-differential`` (``suspicious``); one longer than 5 bytes is ``error``. int32/enum
  fields (``data_location``) are read truncated to 32 bits, as C++ reads them.
"""

from __future__ import annotations

import pytest

from mlbom.scanner import scan_bytes


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


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
