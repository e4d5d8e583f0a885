"""Red team 18e-4/-5/-6: benign HDF5 files the real writers produce that mlbom could not read.

* 18e-4: an attribute over 64 KiB in dense storage (h5py ``libver="latest"``) is a *huge*
  fractal-heap object, found through the heap's own v2 B-tree (type 1 records);
* 18e-5: a dataset's (or attribute's) datatype is a committed (named) datatype: a shared
  datatype message naming the named datatype's object header;
* 18e-6: a user block of zeros (h5py ``userblock_size``), or holding a MATLAB v7.3 MAT-file
  header, in front of the HDF5 file.

Fixtures: ``tests/fixtures/hdf5/rt18e`` (written by ``python tools/make_hdf5_fixtures.py
--rt18e``, all benign); the hostile variants are built here with h5py (skipped without it)."""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats import hdf5
from mlbom.scanner import scan_file

FIX = Path(__file__).resolve().parent / "fixtures" / "hdf5" / "rt18e"


class Payload:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("true",))


def _ids(r: object) -> set[str]:
    return {f.id for f in r.findings}  # type: ignore[attr-defined]


# ---- 18e-4: huge fractal heap objects ----------------------------------------------------------

def test_huge_dense_attribute_is_read() -> None:
    r = scan_file(FIX / "huge-attribute.h5")
    assert r.verdict == "safe", r.findings
    assert r.format == "hdf5"


def test_huge_dense_attribute_holding_a_pickle_is_judged(tmp_path: Path) -> None:
    # PyTables unpickles a scalar string attribute ending in '.': one over 64 KiB is a huge object
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    p = tmp_path / "huge-pickle.h5"
    with h5py.File(p, "w", libver="latest") as f:
        f["w"] = np.arange(4.0)
        f["w"].attrs["payload"] = np.bytes_(pickle.dumps((Payload(), "x" * 70_000), protocol=0))
    r = scan_file(p)
    assert r.verdict == "unsafe", r.findings
    assert "pickle.dangerous-callable" in _ids(r) and "hdf5.unreadable" not in _ids(r), r.findings


def test_huge_root_model_config_is_judged(tmp_path: Path) -> None:
    # the root-attribute reader (Keras' model_config) follows huge objects too
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    config = ('{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": '
              '{"name": "l", "function": ["4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMEAAAAfABTACkBTqkAKQHaAXhyAQAAAHIBAAAA", '
              'null, null], "function_type": "lambda"}}]}, "pad": "' + "p" * 70_000 + '"}')
    p = tmp_path / "huge-config.h5"
    with h5py.File(p, "w", libver="latest") as f:
        f.attrs["model_config"] = np.bytes_(config.encode())  # fixed-length: in the attribute message
    r = scan_file(p)
    assert r.verdict == "unsafe", r.findings
    assert any(f.id.startswith("keras.") for f in r.findings), r.findings
    assert not any(f.id.startswith("hdf5.") and f.severity != "info" for f in r.findings), r.findings


def _huge_record(data: bytes) -> int:
    """Offset of the first record of the huge-object B-tree's leaf (type 1)."""
    at = data.find(b"BTLF\x00\x01")
    assert at > 0
    return at + 6


@pytest.mark.parametrize("what", ["length", "duplicate", "key"])
def test_broken_huge_object_records_are_error(tmp_path: Path, what: str) -> None:
    data = bytearray((FIX / "huge-attribute.h5").read_bytes())
    rec = _huge_record(bytes(data))
    if what == "length":  # over the limit (and the file)
        data[rec + 8:rec + 16] = struct.pack("<Q", 1 << 40)
    elif what == "key":  # the ID's key names no record
        data[rec + 16:rec + 24] = struct.pack("<Q", 99)
    else:  # two records of one key: which one the library finds depends on its search
        at = data.find(b"BTHD\x00\x01")
        nrec_at = at + 4 + 1 + 1 + 4 + 2 + 2 + 2 + 8
        data[nrec_at:nrec_at + 2] = struct.pack("<H", 2)
        data[rec + 24:rec + 48] = data[rec:rec + 24]
        leaf = data.find(b"BTLF\x00\x01")
        assert leaf == rec - 6
    p = tmp_path / "broken.h5"
    p.write_bytes(bytes(data))
    r = scan_file(p)
    assert r.verdict == "error", r.findings
    assert "hdf5.unreadable" in _ids(r), r.findings


def test_huge_objects_are_charged_to_the_heap_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hdf5, "HEAP_TAKEN_FLOOR", 1000)
    monkeypatch.setattr(hdf5, "HEAP_TAKEN_FACTOR", 0)
    r = scan_file(FIX / "huge-attribute.h5")
    assert r.verdict == "error", r.findings
    assert any(f.id == "hdf5.unreadable" and "huge fractal heap objects read over" in f.message
               for f in r.findings), r.findings


# ---- 18e-5: committed (named) datatypes ---------------------------------------------------------

def test_committed_datatype_of_a_dataset_and_an_attribute_is_followed() -> None:
    r = scan_file(FIX / "committed-type.h5")
    assert r.verdict == "safe", r.findings


@pytest.mark.parametrize("kind", ["fixed", "vlen"])
def test_attribute_of_a_committed_string_type_holding_a_pickle_is_judged(tmp_path: Path, kind: str) -> None:
    # PyTables unpickles a scalar string attribute ending in '.', whatever its type is committed
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    data = pickle.dumps(Payload(), protocol=0)
    p = tmp_path / "committed-pickle.h5"
    with h5py.File(p, "w") as f:
        f["T"] = np.dtype(f"S{len(data)}") if kind == "fixed" else h5py.string_dtype("ascii")
        f["w"] = np.arange(4.0)
        f["w"].attrs.create("payload", np.array(data, dtype=f["T"].dtype), dtype=f["T"])
        assert f["w"].attrs.get_id("payload").get_type().committed()
    r = scan_file(p)
    assert r.verdict == "unsafe", r.findings
    assert "pickle.dangerous-callable" in _ids(r) and "hdf5.unreadable" not in _ids(r), r.findings


def _shared_dtype_message(data: bytes) -> tuple[int, int]:
    """(offset of the dataset's shared datatype message body, address of the named type's header)."""
    at = data.find(b"\x03\x00\x10\x00\x03\x00\x00\x00\x02\x02")  # v1 message header: type 3, 16 bytes, flags 3
    assert at > 0
    body = at + 8
    return body, struct.unpack_from("<Q", data, body + 2)[0]


@pytest.mark.parametrize("what", ["self", "nowhere", "sohm", "version"])
def test_unfollowable_shared_datatypes_are_error(tmp_path: Path, what: str) -> None:
    data = bytearray((FIX / "committed-type.h5").read_bytes())
    body, named = _shared_dtype_message(bytes(data))
    if what == "self":  # the named type's own datatype message made shared, naming that same header: a loop
        own = data.find(b"\x03\x00", named + 16)  # its first message (v1 header: type 3 first)
        assert own == named + 16, own
        data[own + 4] = 3  # flags: constant, shared
        data[own + 8:own + 8 + 10] = b"\x02\x02" + struct.pack("<Q", named)
    elif what == "nowhere":  # a header with no datatype message (the root group's)
        data[body + 2:body + 10] = struct.pack("<Q", 96)
    elif what == "sohm":  # version 3, sharing type 1: the shared object header message heap
        data[body:body + 2] = b"\x03\x01"
    else:
        data[body] = 9
    p = tmp_path / "broken.h5"
    p.write_bytes(bytes(data))
    r = scan_file(p)
    assert r.verdict == "error", r.findings
    assert any(f.id == "hdf5.unreadable" and "/pts" in f.message for f in r.findings), r.findings


def test_root_model_config_of_a_committed_string_type_is_judged(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    config = b'{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "l"}}]}}'
    p = tmp_path / "committed-config.h5"
    with h5py.File(p, "w") as f:
        f["T"] = h5py.string_dtype()
        f.attrs.create("model_config", np.array(config.decode(), dtype=f["T"].dtype), dtype=f["T"])
    r = scan_file(p)
    assert r.verdict == "unsafe", r.findings
    assert any(f.id.startswith("keras.") for f in r.findings), r.findings
    assert not any(f.id.startswith("hdf5.") and f.severity != "info" for f in r.findings), r.findings


def test_version_1_attribute_flags_byte_is_reserved(tmp_path: Path) -> None:
    # H5O__attr_decode ignores the byte before version 2: a non-zero one shares nothing
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    data = pickle.dumps(Payload(), protocol=0)
    p = tmp_path / "v1-flags.h5"
    with h5py.File(p, "w") as f:
        f["w"] = np.arange(4.0)
        f["w"].attrs["payload"] = np.bytes_(data)
    raw = bytearray(p.read_bytes())
    name = raw.find(b"payload\x00")
    at = name - 8  # version 1: version, reserved, three sizes, then the name
    assert raw[at] == 1 and raw[at + 1] == 0, raw[at:at + 8]
    raw[at + 1] = 3
    p.write_bytes(bytes(raw))
    code = "import h5py, sys; print(h5py.File(sys.argv[1])['w'].attrs['payload'][:5])"
    out = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "b'cposi'", out  # the library reads it as a plain string
    r = scan_file(p)
    assert r.verdict == "unsafe", r.findings
    assert "pickle.dangerous-callable" in _ids(r) and "hdf5.unreadable" not in _ids(r), r.findings


# ---- 18e-6: a user block holding nothing another loader reads -----------------------------------

KERAS = Path(__file__).resolve().parent / "fixtures" / "keras"


@pytest.mark.parametrize("name", ["userblock-zero.h5", "userblock-matlab.mat"])
def test_inert_user_block_is_judged_as_hdf5(name: str) -> None:
    r = scan_file(FIX / name)
    assert r.verdict == "safe" and r.format == "hdf5", r.findings
    assert _ids(r) == {"hdf5.user-block-inert"}, r.findings
    assert r.facts["hdf5.user-block"] == "512"


def _matlab(data: bytes) -> bytes:
    text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Tue Dec  1 12:00:00 2026 HDF5 schema 1.00 ."
    return text.ljust(116, b" ") + bytes(8) + b"\x00\x02IM" + data[128:]


def test_hdf5_behind_an_inert_user_block_is_still_judged() -> None:
    # a Keras model_config calling os.system behind 512 zeros, and behind a MATLAB header
    data = (KERAS / "malicious" / "h5py-os-system.h5").read_bytes()
    for front in (bytes(512), _matlab(bytes(512))):
        shifted = bytearray(front + data)
        base_at = 512 + 8 + 16  # v0: the base address after the signature and 16 bytes of fields
        if shifted[512 + 8] == 0:
            shifted[base_at:base_at + 8] = (512).to_bytes(8, "little")
        r = _scan_bytes(bytes(shifted), "m.h5")
        assert r.verdict == "unsafe" and r.format == "hdf5", r.findings
        assert "keras.dangerous-module" in _ids(r), r.findings


def _scan_bytes(data: bytes, name: str) -> object:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data)
        return scan_file(p)


@pytest.mark.parametrize("front", [
    "one-byte", "matlab-v5", "matlab-newline", "matlab-then-byte", "pickle"])
def test_user_block_with_other_content_keeps_the_polyglot_rule(front: str) -> None:
    data = (FIX / "userblock-zero.h5").read_bytes()
    block = bytearray(_matlab(data[:512]) if front.startswith("matlab") else data[:512])
    if front == "one-byte":
        block[300] = 1
    elif front == "matlab-v5":  # version 0x0100: scipy.io.loadmat reads a MAT v5 file from here
        block[124:128] = b"\x00\x01IM"
    elif front == "matlab-newline":
        block[60] = 0x0A
    elif front == "matlab-then-byte":
        block[200] = 0x20
    else:
        payload = pickle.dumps(Payload(), protocol=2)
        block[:len(payload)] = payload
    r = _scan_bytes(bytes(block) + data[512:], "m.h5")
    assert "hdf5.user-block" in _ids(r) and "hdf5.user-block-inert" not in _ids(r), r.findings
    assert r.verdict == ("unsafe" if front == "pickle" else "error"), r.findings


def test_inert_user_block_file_ending_in_a_zip_is_a_polyglot() -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    r = _scan_bytes((FIX / "userblock-zero.h5").read_bytes() + buf.getvalue(), "m.h5")
    assert r.verdict == "suspicious" and "zip.polyglot" in _ids(r), r.findings


def test_zero_user_block_written_by_h5py(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    for size in (512, 4096):
        p = tmp_path / f"ub{size}.h5"
        with h5py.File(p, "w", userblock_size=size, libver="latest") as f:
            f["w"] = np.arange(4.0)
            f["w"].attrs["payload"] = np.bytes_(pickle.dumps(Payload(), protocol=0))
        r = scan_file(p)
        assert r.verdict == "unsafe" and r.format == "hdf5", r.findings
        assert r.facts["hdf5.user-block"] == str(size)
        assert "file.unknown" not in _ids(r), r.findings


def test_scipy_loadmat_refuses_both_inert_user_blocks() -> None:
    # what another MAT reader makes of the block: scipy reads the header's version (2: v7.3, "use
    # an HDF reader") and refuses, and refuses a block whose first bytes are all zero
    pytest.importorskip("scipy")
    code = ("import sys, scipy.io\n"
            "try:\n    scipy.io.loadmat(sys.argv[1])\nexcept Exception as exc:\n    print(type(exc).__name__)\n"
            "else:\n    print('READ')")
    for name, refusal in (("userblock-matlab.mat", "NotImplementedError"), ("userblock-zero.h5", "MatReadError")):
        out = subprocess.run([sys.executable, "-c", code, str(FIX / name)], capture_output=True, text=True, timeout=120)
        assert out.stdout.strip() == refusal, out


def test_huge_object_addressed_by_its_id() -> None:
    # a heap whose IDs hold an address and a length (H5HF__huge_init: "huge_ids_direct", IDs of
    # at least 1 + offset + length bytes, no filters): read from the ID, bounded the same way
    import io

    data = b"\0" * 64 + b"the object" + b"\0" * 6
    f = hdf5._File(io.BytesIO(data), len(data))
    heap = hdf5._FractalHeap.__new__(hdf5._FractalHeap)
    heap.f, heap.id_len, heap.huge_direct, heap.huge_id_size, heap.huge = f, 17, True, 8, None
    assert heap.object(b"\x10" + struct.pack("<QQ", 64, 10)) == b"the object"
    for bad in (struct.pack("<QQ", 70, 20), struct.pack("<QQ", 1 << 63, 1), struct.pack("<QQ", 64, 1 << 30),
                struct.pack("<Q", 64)):
        with pytest.raises(hdf5.FormatError):
            heap.object(b"\x10" + bad)
    with pytest.raises(hdf5.FormatError):
        heap.object(b"\x50" + struct.pack("<QQ", 64, 10))  # ID version 1
