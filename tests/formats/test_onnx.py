"""ONNX: every tensor's external-data location, custom domains, hostile protobuf."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest

from mlbom.formats.onnx import escape_reason, parse_onnx
from mlbom.formats.weights import FormatError


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


def fld(num: int, value: int | bytes | str) -> bytes:
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    raw = value.encode() if isinstance(value, str) else value
    return varint(num << 3 | 2) + varint(len(raw)) + raw


def tensor(name: str, location: str | bytes | None = None, *, external: bool = True) -> bytes:
    body = fld(1, 4) + fld(2, 1) + fld(8, name)
    if location is not None:
        body += fld(13, fld(1, "location") + fld(2, location)) + fld(13, fld(1, "offset") + fld(2, "0"))
    if external:
        body += fld(14, 1)
    else:
        body += fld(9, b"\x00" * 16)
    return body


def node(op: str, *attrs: bytes, domain: str | bytes = "") -> bytes:
    return fld(4, op) + fld(3, op.lower()) + (fld(7, domain) if domain else b"") + b"".join(fld(5, a) for a in attrs)


def graph(*parts: bytes) -> bytes:
    return fld(2, "g") + b"".join(parts)


def model(g: bytes, *extra: bytes, opsets: tuple[tuple[str | bytes, int], ...] = (("", 17),)) -> bytes:
    out = fld(1, 8) + fld(2, "pytorch") + fld(3, "2.5")
    for dom, ver in opsets:
        out += fld(8, (fld(1, dom) if dom else b"") + fld(2, ver))
    return out + fld(7, g) + b"".join(extra)


def parse(data: bytes, folder: Path | None = None):  # type: ignore[no-untyped-def]
    return parse_onnx(io.BytesIO(data), len(data), folder)


BAD = "../../../../etc/passwd"


def test_clean_model_with_external_data_inside() -> None:
    f = parse(model(graph(fld(5, tensor("w", "weights.bin")), fld(5, tensor("b", external=False)),
                          fld(1, node("Relu")))))
    assert f.findings == [] and f.facts["onnx.external-data"] == "weights.bin"
    assert f.facts["onnx.ir-version"] == "8" and f.facts["onnx.opsets"] == "ai.onnx:17"
    assert f.facts["onnx.tensors"] == "2" and f.facts["onnx.nodes"] == "1"


def escapes(f) -> bool:  # type: ignore[no-untyped-def]
    return f.effects.get("onnx.external-data-escape") == "unsafe"


def test_top_level_initializer() -> None:
    assert escapes(parse(model(graph(fld(5, tensor("w", BAD))))))


def test_constant_node_value_attribute() -> None:
    attr = fld(1, "value") + fld(20, 4) + fld(5, tensor("c", "/etc/shadow"))
    assert escapes(parse(model(graph(fld(1, node("Constant", attr))))))


@pytest.mark.parametrize("where", ["initializer", "constant"])
def test_onnxruntime_memory_marker_is_unsafe(where: str) -> None:
    """Red team 43f-1: onnxruntime's in-memory marker as an external-data location makes older
    onnxruntime copy process memory at `offset` into the tensor."""
    t = tensor("w", "*/_ORT_MEM_ADDR_/*")
    g = graph(fld(5, t)) if where == "initializer" else \
        graph(fld(1, node("Constant", fld(1, "value") + fld(20, 4) + fld(5, t))))
    f = parse(model(g))
    assert escapes(f)
    assert escape_reason("*/_ORT_MEM_ADDR_/*", None) is not None


def test_tensors_attribute_list() -> None:
    attr = fld(1, "vals") + fld(10, tensor("ok", "a.bin")) + fld(10, tensor("bad", "C:\\Windows\\x"))
    assert escapes(parse(model(graph(fld(1, node("Foo", attr))))))


def test_sparse_initializer() -> None:
    sparse = fld(1, tensor("values", BAD)) + fld(2, tensor("idx", external=False)) + fld(3, 4)
    assert escapes(parse(model(graph(fld(15, sparse)))))


def test_sparse_tensor_attribute() -> None:
    attr = fld(1, "sparse_value") + fld(22, fld(1, tensor("v", BAD)))
    assert escapes(parse(model(graph(fld(1, node("Constant", attr))))))


@pytest.mark.parametrize("field_no", [6, 11])  # If/Loop/Scan body: g, graphs
def test_subgraph_in_attribute(field_no: int) -> None:
    inner = graph(fld(5, tensor("deep", BAD)))
    attr = fld(1, "then_branch") + fld(field_no, inner)
    assert escapes(parse(model(graph(fld(1, node("If", attr))))))


def test_nested_subgraphs() -> None:
    g = graph(fld(5, tensor("deep", BAD)))
    for _ in range(10):
        g = graph(fld(1, node("Loop", fld(1, "body") + fld(6, g))))
    assert escapes(parse(model(g)))


def test_function_proto() -> None:
    fn = fld(1, "MyFn") + fld(10, "custom.local") + fld(7, node("Constant", fld(1, "value") + fld(5, tensor("f", BAD))))
    f = parse(model(graph(fld(1, node("MyFn", domain="custom.local"))), fld(25, fn)))
    assert escapes(f)
    assert not any(fid == "onnx.custom-operator" for fid, _s, _m in f.findings)  # defined in the model


def test_training_info_graph() -> None:
    ti = fld(1, graph(fld(5, tensor("t", BAD))))
    assert escapes(parse(model(graph(), fld(20, ti))))


def test_nul_in_location() -> None:
    assert escapes(parse(model(graph(fld(5, tensor("w", b"w.bin\x00../../x"))))))


def test_custom_domain_is_recorded_low() -> None:
    f = parse(model(graph(fld(1, node("Inverse", domain="ai.onnx.contrib")), fld(1, node("Attention", domain="com.microsoft"))),
                    opsets=(("", 17), ("ai.onnx.contrib", 1))))
    assert f.facts["onnx.custom-domains"] == "ai.onnx.contrib"
    low = [(fid, sev) for fid, sev, _m in f.findings]
    assert low == [("onnx.custom-operator", "low")] and "onnx.custom-operator" not in f.effects


def test_non_utf8_opset_domain_does_not_crash() -> None:  # issue 19
    f = parse(model(graph(fld(1, node("X", domain=b"\xff\xfe"))), opsets=((b"\xff\xfe\x80", 1),)))
    assert "\ufffd" in f.facts["onnx.opsets"]


def test_external_without_location_is_error() -> None:
    f = parse(model(graph(fld(5, tensor("w", None)))))
    assert f.effects["onnx.external-data-missing"] == "error"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_leaving_the_folder(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "secret.bin").write_bytes(b"x")
    (tmp_path / "model" / "link").symlink_to(tmp_path)
    data = model(graph(fld(5, tensor("w", "link/secret.bin"))))
    assert escapes(parse(data, tmp_path / "model"))
    assert not escapes(parse(data))  # without the folder only the text is judged


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_with_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    """Red team 97sc-2: the location is the bytes onnxruntime opens; decoded with "replace" it named
    a path that did not exist, so the link b"\\xffw" to outside the folder was not followed."""
    (tmp_path / "model").mkdir()
    (tmp_path / "secret.bin").write_bytes(b"x")
    os.symlink(os.fsencode(tmp_path), os.path.join(os.fsencode(tmp_path / "model"), b"\xffw"))
    data = model(graph(fld(5, tensor("w", b"\xffw/secret.bin"))))
    assert escapes(parse(data, tmp_path / "model"))
    (tmp_path / "model" / "inside").mkdir()
    os.symlink(b"inside", os.path.join(os.fsencode(tmp_path / "model"), b"\xfei"))
    (tmp_path / "model" / "inside" / "w.bin").write_bytes(b"\x00" * 16)
    assert not escapes(parse(model(graph(fld(5, tensor("w", b"\xfei/w.bin")))), tmp_path / "model"))


@pytest.mark.parametrize(("loc", "bad"), [
    ("weights.bin", False), ("sub/dir/w.bin", False), ("a/../b.bin", False), ("./w", False),
    ("../w", True), ("a/../../w", True), ("/abs", True), ("\\\\server\\share", True), ("C:w", True),
    ("", True), ("a\\..\\..\\w", True),
])
def test_escape_reason(loc: str, bad: bool) -> None:
    assert (escape_reason(loc, None) is not None) is bad


@pytest.mark.parametrize("data", [
    b"\x08",  # truncated varint
    b"\x08\x08\x3a\xff\xff\xff\xff\x0f",  # graph length past the end
    b"\x08\x08\x0b",  # group wire type
    b"\x08" + b"\xff" * 11,  # varint too long
    b"\x12\x01x",  # no ir_version
    b"\x08\x08\x00\x01",  # field number 0
])
def test_malformed_protobuf_raises_format_error(data: bytes) -> None:
    with pytest.raises(FormatError):
        parse(data)


def test_depth_is_bounded() -> None:
    g = graph()
    for _ in range(200):
        g = graph(fld(1, node("If", fld(1, "b") + fld(6, g))))
    with pytest.raises(FormatError, match="deeper"):
        parse(model(g))


def test_large_raw_data_is_skipped_not_loaded(tmp_path: Path) -> None:
    big = fld(1, 4) + fld(8, "big") + fld(9, b"\x00" * (8 << 20))
    data = model(graph(fld(5, big), fld(5, tensor("w", BAD))))
    path = tmp_path / "m.onnx"
    path.write_bytes(data)
    with path.open("rb") as fh:
        assert escapes(parse_onnx(fh, len(data)))


ONNX = Path(__file__).resolve().parent.parent / "fixtures" / "onnx"


def parse_file(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        return parse_onnx(fh, path.stat().st_size, path.parent)


@pytest.mark.parametrize("rel", ["benign/ifgraph.onnx", "benign/external/model.onnx"])
def test_real_onnx_files(rel: str) -> None:
    f = parse_file(ONNX / rel)
    assert f.effects == {} and f.facts["onnx.producer"] == "mlbom-fixtures"
    assert f.facts["onnx.tensors"] == "3" and f.facts["onnx.custom-domains"] == "ai.onnx.contrib"
    assert [fid for fid, _s, _m in f.findings] == ["onnx.custom-operator"]


def test_real_external_data_file() -> None:
    assert parse_file(ONNX / "benign" / "external" / "model.onnx").facts["onnx.external-data"] == "weights.bin"


def test_real_loop_body_escape() -> None:
    f = parse_file(ONNX / "malicious" / "loop-escape.onnx")
    assert escapes(f) and "Loop" in f.findings[0][2]


def test_mutations_of_real_files_never_crash() -> None:
    import random

    rng = random.Random(7)
    for path in sorted(ONNX.rglob("*.onnx")):
        data = path.read_bytes()
        for _ in range(300):
            buf = bytearray(data)
            for _ in range(rng.randint(1, 6)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            with contextlib.suppress(FormatError):
                parse(bytes(buf))
