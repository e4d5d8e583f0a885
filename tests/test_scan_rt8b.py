"""Red team 8b: formats read the way their loaders read them — joblib's old "ZF" container by any
hex spelling ``int(x, 16)`` takes, ONNX external data that cannot vouch for content a loader takes
by its first bytes, HDF5 attributes from dense storage and global heap collections as libhdf5
builds them, torch's legacy tar records sized by the value the unpickler returns (the attack
files are ``rt8b-*`` rows of ``hostile/scanner/EXPECTED.tsv``)."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from mlbom.scanner import scan, scan_file

EVIL = b"cposix\nsystem\n(S'true'\ntR."


def _ids(path: Path) -> set[str]:
    return {f.id for f in scan_file(path).findings}


@pytest.mark.parametrize("field", ["%019x", "0X%017x", "  %017x", "+%018x", "0_%017x", "0x%x".ljust(19)])
def test_joblib_zfile_length_spelled_any_way_int_reads(tmp_path: Path, field: str) -> None:
    # joblib's _detect_compressor takes every file starting "ZF"; read_zfile parses bytes 2-21
    # with int(x, 16): no "0x", "0X", spaces, a sign and "_" separators are all accepted
    p = tmp_path / "m.pkl"
    length = (field % len(EVIL)).encode() if "%" in field else field.encode()
    assert len(length) == 19 and int(length, 16) == len(EVIL)
    p.write_bytes(b"ZF" + length + zlib.compress(EVIL))
    r = scan_file(p)
    assert r.verdict == "unsafe" and "pickle.dangerous-callable" in _ids(p), r.findings


def test_joblib_zfile_length_int_refuses_is_an_error_never_unknown(tmp_path: Path) -> None:
    p = tmp_path / "m.pkl"
    p.write_bytes(b"ZF" + b"zz".ljust(19) + zlib.compress(EVIL))
    r = scan_file(p)
    assert r.verdict == "error" and "format.invalid" in _ids(p) and "file.unknown" not in _ids(p)


def _claiming_model(folder: Path, data_name: str, size: int) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    t = TensorProto()
    t.name = "w"
    t.data_type = TensorProto.UINT8
    t.dims.append(size)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", data_name), ("offset", "0"), ("length", str(size))):
        e = t.external_data.add()
        e.key, e.value = key, value
    g = helper.make_graph([helper.make_node("Identity", ["w"], ["y"])], "g", [],
                          [helper.make_tensor_value_info("y", TensorProto.UINT8, [size])], [t])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    (folder / "model.onnx").write_bytes(m.SerializeToString())
    assert onnx.load(str(folder / "model.onnx")).graph.initializer[0].raw_data[:2] == (folder / data_name).read_bytes()[:2]


def test_onnx_claim_cannot_make_a_zfile_raw_tensor_bytes(tmp_path: Path) -> None:
    # red team 8b X: joblib.load("weights.data") runs the pickle inside the ZF container
    data = (Path(__file__).parent / "fixtures" / "hostile" / "scanner" / "rt8b-zfile-hex-without-0x.pkl").read_bytes()
    (tmp_path / "weights.data").write_bytes(data)
    _claiming_model(tmp_path, "weights.data", len(data))
    results = {Path(r.path).name: r for r in scan(tmp_path)}
    assert results["weights.data"].verdict == "unsafe", results["weights.data"].findings


@pytest.mark.parametrize("head", [b"\x78\x9c\xff\xff", b"ZF", b"PK\x01\x02", b"\x80\x05\xff"])
def test_onnx_claim_keeps_content_a_loader_takes_by_its_first_bytes(tmp_path: Path, head: bytes) -> None:
    # whatever mlbom's own reading made of it, a file a loader dispatches on by its magic is
    # never "raw tensor bytes" on an ONNX model's word
    data = head + b"\x00\xfe" * 40
    (tmp_path / "weights.data").write_bytes(data)
    _claiming_model(tmp_path, "weights.data", len(data))
    r = {Path(x.path).name: x for x in scan(tmp_path)}["weights.data"]
    assert r.verdict != "safe" and r.format != "onnx-external-data", r.findings
