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


@pytest.mark.parametrize("head", [b"\x78\x9c\xff\xff", b"ZF", b"PK\x03\x04", b"\x80\x05\xff",
                                  b"\xfe\x00" * 256 + b"\x89HDF\r\n\x1a\n"])
def test_onnx_claim_keeps_content_a_loader_takes_by_its_first_bytes(tmp_path: Path, head: bytes) -> None:
    # whatever mlbom's own reading made of it, a file a loader dispatches on by its magic (an
    # HDF5 superblock at 512 included: h5py.is_hdf5, which tf.keras' load_model asks) is never
    # "raw tensor bytes" on an ONNX model's word
    data = head + b"\x00\xfe" * 40
    (tmp_path / "weights.data").write_bytes(data)
    _claiming_model(tmp_path, "weights.data", len(data))
    r = {Path(x.path).name: x for x in scan(tmp_path)}["weights.data"]
    assert r.verdict != "safe" and r.format != "onnx-external-data", r.findings


LAMBDA = {"class_name": "Sequential", "config": {"layers": [
    {"class_name": "Lambda", "config": {"name": "l", "function": ["4wEAAAAAAAAA", None, None]}}]}}
DENSE = {"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "d", "units": 1}}]}}


def _h5_with_duplicate_heap_object(path: Path, first: bytes, last: bytes, free_between: bool = False) -> None:
    """An h5py-written file whose ``model_config`` (a variable-length string) has its global heap
    object stored twice: ``first`` then ``last`` (same length), optionally a free-space object
    between them."""
    import struct

    h5py = pytest.importorskip("h5py")
    assert len(first) == len(last)
    with h5py.File(path, "w") as h:
        h.attrs["model_config"] = first.decode()
    data = bytearray(path.read_bytes())
    at = data.find(first)
    hdr = at - 16
    idx, ref, _r, size = struct.unpack("<HHLQ", data[hdr:hdr + 16])
    assert size == len(first)
    g = data.rfind(b"GCOL", 0, hdr)
    csize = struct.unpack("<Q", data[g + 8:g + 16])[0]
    end = hdr + 16 + ((size + 7) & ~7)
    extra = (struct.pack("<HHLQ", 0, 0, 0, 24) + bytes(8)) if free_between else b""
    dup = extra + struct.pack("<HHLQ", idx, ref, 0, size) + last + bytes((-size) % 8)
    rest = bytes(data[end:g + csize])  # what followed: the free-space object
    assert rest[:2] == b"\x00\x00" and len(rest) >= len(dup) + 16, "the collection has no room for a copy"
    room = len(rest) - len(dup)
    data[end:g + csize] = dup + struct.pack("<HHLQ", 0, 0, 0, room) + bytes(room - 16)
    path.write_bytes(bytes(data))


def _pair() -> tuple[bytes, bytes]:
    import json

    evil, good = json.dumps(LAMBDA).encode(), json.dumps(DENSE).encode()
    width = max(len(evil), len(good))
    return good.ljust(width), evil.ljust(width)


def test_hdf5_global_heap_duplicate_last_copy_is_the_librarys(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    good, evil = _pair()
    p = tmp_path / "m.h5"
    _h5_with_duplicate_heap_object(p, good, evil)
    with h5py.File(p, "r") as h:  # ground truth: libhdf5 returns the last copy
        assert "Lambda" in h.attrs["model_config"]
    r = scan_file(p)
    assert r.verdict == "unsafe" and {"hdf5.global-heap-duplicate", "keras.code-layer"} <= _ids(p), r.findings


@pytest.mark.parametrize("free_between", [False, True])
def test_hdf5_global_heap_duplicate_every_copy_is_judged(tmp_path: Path, free_between: bool) -> None:
    # the Lambda first, the benign config last (and past a free-space object): a reader that
    # stops early or takes the first copy would run the Lambda; mlbom judges both copies
    good, evil = _pair()
    p = tmp_path / "m.h5"
    _h5_with_duplicate_heap_object(p, evil, good, free_between)
    r = scan_file(p)
    assert r.verdict == "unsafe" and "hdf5.global-heap-duplicate" in _ids(p), r.findings


def test_hdf5_global_heap_duplicate_of_benign_copies_is_suspicious(tmp_path: Path) -> None:
    good, _ = _pair()
    p = tmp_path / "m.h5"
    _h5_with_duplicate_heap_object(p, good, good)
    r = scan_file(p)
    assert r.verdict == "suspicious" and "hdf5.global-heap-duplicate" in _ids(p), r.findings


def _dense_h5(path: Path, others: int, config: object) -> None:
    # libver="latest" + more attributes than max_compact (8): h5py moves them all to dense
    # storage (a fractal heap and a v2 B-tree name index), the only place the library reads them
    h5py = pytest.importorskip("h5py")
    import json

    import numpy as np

    with h5py.File(path, "w", libver="latest") as h:
        for i in range(others):
            h.attrs[f"attr_{i:05d}"] = "x"
        h.attrs["model_config"] = config if isinstance(config, np.bytes_) else json.dumps(config)
    assert b"FRHP" in path.read_bytes()
    with h5py.File(path, "r") as h:
        assert "model_config" in h.attrs


@pytest.mark.parametrize(("config", "verdict"), [(LAMBDA, "unsafe"), (DENSE, "safe")])
def test_hdf5_dense_attributes_are_read_as_the_library_reads_them(tmp_path: Path, config: object,
                                                                 verdict: str) -> None:
    p = tmp_path / "m.h5"
    _dense_h5(p, 20, config)
    r = scan_file(p)
    assert r.verdict == verdict and r.facts.get("keras.model-config") == "true", r.findings


def test_hdf5_dense_attributes_a_fixed_length_config_in_the_heap(tmp_path: Path) -> None:
    import json

    pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")

    p = tmp_path / "m.h5"
    _dense_h5(p, 20, np.bytes_(json.dumps(LAMBDA).ljust(3000)))
    assert scan_file(p).verdict == "unsafe"


@pytest.mark.parametrize(("config", "verdict"), [(LAMBDA, "unsafe"), (DENSE, "safe")])
def test_hdf5_dense_attributes_behind_a_deep_name_index_are_read(tmp_path: Path, config: object, verdict: str) -> None:
    # 60 attributes: the name index is a v2 B-tree of depth 1 (an internal node over leaves);
    # its node sizes are computed as H5B2__hdr_init computes them (red team 10b: was not read)
    p = tmp_path / "m.h5"
    _dense_h5(p, 60, config)
    r = scan_file(p)
    assert r.verdict == verdict and r.facts.get("keras.model-config") == "true", r.findings


@pytest.mark.parametrize(("config", "verdict"), [(LAMBDA, "unsafe"), (DENSE, "safe")])
def test_hdf5_dense_huge_attribute_is_read(tmp_path: Path, config: object, verdict: str) -> None:
    import json

    pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")

    p = tmp_path / "m.h5"
    # an attribute over the heap's managed-object size: a "huge" object, found through the
    # heap's own v2 B-tree (red team 18e-4: was not read)
    _dense_h5(p, 20, np.bytes_(json.dumps(config).ljust(70000)))
    r = scan_file(p)
    assert r.verdict == verdict and r.facts.get("keras.model-config") == "true", r.findings


def test_hdf5_dense_storage_mlbom_cannot_read_is_an_error_never_safe(tmp_path: Path) -> None:
    import json

    pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")

    p = tmp_path / "m.h5"
    _dense_h5(p, 20, np.bytes_(json.dumps(DENSE).ljust(70000)))
    data = bytearray(p.read_bytes())
    leaf = data.find(b"BTLF\x00\x01")  # the huge object's record: its key made one no ID names
    assert leaf > 0
    data[leaf + 6 + 16:leaf + 6 + 24] = (99).to_bytes(8, "little")
    p.write_bytes(bytes(data))
    r = scan_file(p)
    assert r.verdict == "error" and "hdf5.dense-attributes" in _ids(p), r.findings


def _legacy_tar(path: Path, record: bytes, numel: int, data: bytes, views: bytes, marker_cmd: str = "true") -> None:
    """A torch legacy tar (``sys_info``, ``storages``, ``tensors``, ``pickle``), as
    ``torch.serialization.legacy_load`` reads it: ``storages`` is a count pickle, one record
    pickle, its 8-byte element count, ``data``, then ``views``."""
    import io
    import pickle
    import struct
    import tarfile

    storages = pickle.dumps(1, protocol=2) + record + struct.pack("<q", numel) + data + views
    sysinfo = pickle.dumps({"protocol_version": 1001, "little_endian": True,
                            "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    with tarfile.open(path, "w:", format=tarfile.PAX_FORMAT) as t:
        for name, blob in (("sys_info", sysinfo), ("storages", storages), ("tensors", pickle.dumps(0, protocol=2)),
                           ("pickle", pickle.dumps({"w": 1}, protocol=2))):
            ti = tarfile.TarInfo(name)
            ti.size = len(blob)
            t.addfile(ti, io.BytesIO(blob))


def _su(s: str) -> bytes:
    return b"\x8c" + bytes([len(s)]) + s.encode()


EVIL_VIEWS = b"cposix\nsystem\n(S'true'\ntR."
EMPTY_VIEWS = b"\x80\x02]q\x00."
N = 32


@pytest.mark.parametrize("record", [
    # a string literal pushed and popped before STACK_GLOBAL (the red team's file)
    b"\x80\x04" + _su("key0") + _su("cpu") + _su("torch") + _su("ByteStorage") + _su("LongStorage") + b"0\x93\x87.",
    # the storage type named through the memo, after another name was memoised last
    b"\x80\x04" + _su("ByteStorage") + b"\x940" + _su("LongStorage") + b"\x940" + _su("key0") + _su("cpu")
    + _su("torch") + b"h\x00\x93\x87.",
    # a MARK-built tuple; the LongStorage global pushed, then dropped by POP
    b"\x80\x02(" + b"X\x04\x00\x00\x00key0" + b"X\x03\x00\x00\x00cpu" + b"ctorch\nLongStorage\n0"
    + b"ctorch\nByteStorage\nt.",
])
def test_legacy_tar_storage_width_comes_from_the_records_value(tmp_path: Path, record: bytes) -> None:
    # torch sizes the storage by storage_type._dtype (1-byte elements here): its storage_views
    # pickle starts N bytes after the count, inside what an 8-byte reading would skip as data
    p = tmp_path / "m.pt"
    _legacy_tar(p, record, N, bytes(N), EVIL_VIEWS + bytes(7 * N - len(EVIL_VIEWS)) + EMPTY_VIEWS)
    r = scan_file(p)
    assert r.verdict == "unsafe" and "pickle.dangerous-callable" in _ids(p), r.findings


@pytest.mark.parametrize("third", [b"ctorch\nTensor\n", b"X\x04\x00\x00\x00Long", b"cmymod\nLongStorage\n"])
def test_legacy_tar_record_without_a_storage_class_is_not_followed(tmp_path: Path, third: bytes) -> None:
    record = b"\x80\x02X\x04\x00\x00\x00key0X\x03\x00\x00\x00cpu" + third + b"\x87."
    p = tmp_path / "m.pt"
    _legacy_tar(p, record, N, bytes(8 * N), EMPTY_VIEWS)
    r = scan_file(p)
    assert r.verdict in ("error", "unsafe", "suspicious") and r.verdict != "safe", r.findings
    assert "pytorch.legacy-tar-unreadable" in _ids(p), r.findings


def test_legacy_tar_record_in_a_frame_resumes_at_the_frames_end(tmp_path: Path) -> None:
    # pickle (C and Python) reads a protocol-4 frame whole: the next read starts at the frame's
    # end, not after STOP; bytes between (a zero count and a benign pickle) are never read by torch
    import struct

    body = _su("key0") + _su("cpu") + b"ctorch\nByteStorage\n\x87." + struct.pack("<q", 0) + EMPTY_VIEWS
    record = b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body
    p = tmp_path / "m.pt"
    _legacy_tar(p, record, N, bytes(N), EVIL_VIEWS)
    r = scan_file(p)
    assert r.verdict == "unsafe" and "pickle.dangerous-callable" in _ids(p), r.findings


def test_onnx_claim_keeps_text_too_large_to_be_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # text over MAX_TEXT is not read (file.unknown), yet yaml.unsafe_load reads it: an ONNX model
    # claiming it as raw bytes cannot make it safe
    import mlbom.scanner as scanner

    monkeypatch.setattr(scanner, "MAX_TEXT", 64)
    data = b"# " + b"pad " * 40 + b"\n!!python/object/apply:os.system ['true']\n"
    (tmp_path / "weights.data").write_bytes(data)
    _claiming_model(tmp_path, "weights.data", len(data))
    r = {Path(x.path).name: x for x in scan(tmp_path)}["weights.data"]
    assert r.verdict == "error" and r.format != "onnx-external-data", r.findings
