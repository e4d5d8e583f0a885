"""Red team 91sa: torch zip records and the root folder, the way torch 2.13 reads them.

- 91sa-1: records torch.serialization._load checks that mlbom skipped: ``.storage_alignment``
  (``int()`` of the record), the size of each storage record ``data/<key>`` (numel x element
  size, "record size does not match expected size") and ``.data/serialization_id`` (decoded as
  strict UTF-8 by pybind after unpickling). Each refusal is ``pytorch.invalid`` (``error``).
- 91sa-2: ``PyTorchStreamReader::init`` takes the root from central-directory entry 0 (a folder
  entry included) and ``getAllRecords`` (run by every torch.load) refuses any entry whose name
  does not start with ``<root>/`` (case-sensitive).
- lead: a deflated storage record is read by torch (miniz inflates it): not ``error`` for that alone;
  but torch.load(mmap=True) slices its stored bytes raw (red team 94s-1): ``suspicious``
  (``pytorch.compressed-storage``), never ``safe``.

Files are built by hand (zipfile, a fixed pickle): no torch, no numpy in the default tier; the
``torch`` tier confirms that torch refuses / loads the same bytes.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from mlbom.scanner import scan_bytes

# torch.save({"w": torch.zeros(3)})'s data.pkl (protocol 2): one FloatStorage '0' of numel 3
_PKL = (b"\x80\x02}q\x00X\x01\x00\x00\x00wq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x02((X\x07\x00\x00\x00storageq"
        b"\x03ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06K\x03tq\x07QK\x00K\x03"
        b"\x85q\x08K\x01\x85q\t\x89ccollections\nOrderedDict\nq\n)Rq\x0btq\x0cRq\rs.")

_RECORDS: dict[str, bytes] = {
    "data.pkl": _PKL, ".format_version": b"1", ".storage_alignment": b"64", "byteorder": b"little",
    "data/0": b"\0" * 12, "version": b"3\n", ".data/serialization_id": b"1572819951185464302603366073823862414054",
}


def torch_zip(repl: dict[str, bytes | None] | None = None, *, root: str = "archive",
              first: list[str] | None = None, extra: list[tuple[str, bytes]] | None = None,
              deflate: tuple[str, ...] = ()) -> bytes:
    """torch.save's layout rebuilt by hand: ``repl`` replaces (None: drops) records, ``first``
    names entries written before the records, ``extra`` entries written after them."""
    recs: dict[str, bytes | None] = {**_RECORDS, **(repl or {})}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for n in first or []:
            z.writestr(n, b"")
        for rel, data in recs.items():
            if data is not None:
                z.writestr(f"{root}/{rel}", data,
                           compress_type=zipfile.ZIP_DEFLATED if rel in deflate else zipfile.ZIP_STORED)
        for n, data in extra or []:
            z.writestr(n, data)
    return out.getvalue()


def _torch_refuses(data: bytes) -> bool:
    torch = pytest.importorskip("torch")
    for wo in (True, False):
        try:
            torch.load(io.BytesIO(data), weights_only=wo)
        except Exception:  # any refusal
            continue
        return False
    return True


def _invalid(data: bytes, *words: str) -> None:
    scan = scan_bytes(data, "m.pt")
    assert scan.verdict == "error", [(f.id, f.message) for f in scan.findings]
    msgs = [f.message for f in scan.findings if f.id == "pytorch.invalid"]
    assert any(all(w in m for w in words) for m in msgs), msgs
    assert "torch.weights-only" not in scan.facts


def _safe(data: bytes) -> None:
    scan = scan_bytes(data, "m.pt")
    assert scan.verdict == "safe", [(f.id, f.message) for f in scan.findings]


def test_control_is_safe() -> None:
    _safe(torch_zip())


# ---- 91sa-1 -----------------------------------------------------------------------------

_BAD_ALIGN = [b"abc", b"", b"6 4", b"0x40", b"64\x00", b"\xd9\xa6\xd9\xa4"]  # (the last: Arabic-Indic 64, not ASCII)
_GOOD_ALIGN = [b" 64\n", b"6_4", b"9" * 23, b"-1", b"+0"]


@pytest.mark.parametrize("text", _BAD_ALIGN)
def test_storage_alignment_int_refuses_is_error(text: bytes) -> None:
    _invalid(torch_zip({".storage_alignment": text}), ".storage_alignment")


def test_storage_alignment_any_case_any_copy() -> None:
    _invalid(torch_zip(extra=[("archive/.STORAGE_ALIGNMENT", b"x")]), ".storage_alignment")


@pytest.mark.parametrize("text", _GOOD_ALIGN)
def test_storage_alignment_int_accepts_stays_safe(text: bytes) -> None:
    _safe(torch_zip({".storage_alignment": text}))


@pytest.mark.parametrize("size", [0, 4, 11, 13, 16])
def test_storage_record_size_mismatch_is_error(size: int) -> None:
    _invalid(torch_zip({"data/0": b"\0" * size}), "data/'0'", "12")


def test_storage_record_size_any_copy() -> None:
    _invalid(torch_zip(extra=[("archive/DATA/0", b"\0" * 4)]), "data/'0'")


def test_storage_size_not_computable_keeps_verdict() -> None:
    # an unknown storage class name: mlbom does not guess its element size (the pickle is judged as before)
    pkl = _PKL.replace(b"ctorch\nFloatStorage\n", b"ctorch\nFooStorage\n")
    scan = scan_bytes(torch_zip({"data.pkl": pkl, "data/0": b"\0" * 5}), "m.pt")
    assert not any(f.id == "pytorch.invalid" and "data/" in f.message for f in scan.findings)


@pytest.mark.parametrize("cls", [b"DoubleStorage", b"HalfStorage", b"ByteStorage", b"ComplexDoubleStorage"])
def test_storage_element_sizes(cls: bytes) -> None:
    size = {b"DoubleStorage": 8, b"HalfStorage": 2, b"ByteStorage": 1, b"ComplexDoubleStorage": 16}[cls]
    pkl = _PKL.replace(b"ctorch\nFloatStorage\n", b"ctorch\n" + cls + b"\n")
    _safe(torch_zip({"data.pkl": pkl, "data/0": b"\0" * 3 * size}))
    _invalid(torch_zip({"data.pkl": pkl, "data/0": b"\0" * 12 if size != 4 else b""}), "data/'0'")


@pytest.mark.parametrize("text", [b"\xff\xfe", b"\xed\xa0\x80", b"abc\x80"])
def test_serialization_id_not_utf8_is_error(text: bytes) -> None:
    _invalid(torch_zip({".data/serialization_id": text}), "serialization_id")


@pytest.mark.parametrize("text", [b"", "\u00e9\u4e2d".encode(), b"abc\x00"])
def test_serialization_id_utf8_stays_safe(text: bytes) -> None:
    _safe(torch_zip({".data/serialization_id": text}))


@pytest.mark.torch
@pytest.mark.parametrize("repl", [*({".storage_alignment": t} for t in _BAD_ALIGN),
                                  {"data/0": b"\0" * 4}, {"data/0": b"\0" * 16},
                                  {".data/serialization_id": b"\xff\xfe"}])
def test_torch_refuses_what_mlbom_calls_invalid(repl: dict[str, bytes | None]) -> None:
    assert _torch_refuses(torch_zip(repl))


@pytest.mark.torch
@pytest.mark.parametrize("repl", [{}, *({".storage_alignment": t} for t in _GOOD_ALIGN),
                                  {".data/serialization_id": "\u00e9".encode()}])
def test_torch_loads_what_mlbom_calls_safe(repl: dict[str, bytes | None]) -> None:
    assert not _torch_refuses(torch_zip(repl))


# ---- 91sa-2 -----------------------------------------------------------------------------

_BAD_LAYOUT: list[dict[str, object]] = [
    {"first": ["x/"]},                          # entry 0 a folder entry: torch's root is x
    {"first": ["archive"]},                     # entry 0 a file with no folder
    {"extra": [("README", b"hi")]},             # a top-level file after the records
    {"extra": [("other/", b"")]},               # a folder entry outside the root
    {"extra": [("Archive/x", b"hi")]},          # the root in another case (strncmp is case-sensitive)
    {"extra": [("archivex/y", b"hi")]},         # the root's name as a prefix only
]


@pytest.mark.parametrize("layout", _BAD_LAYOUT)
def test_entry_outside_torch_root_is_error(layout: dict[str, object]) -> None:
    _invalid(torch_zip(**layout), "torch's root")  # type: ignore[arg-type]


@pytest.mark.parametrize("root", ["archive", "model", "my model.v2", "x"])
def test_any_root_name_stays_safe(root: str) -> None:
    _safe(torch_zip(root=root))


def test_root_folder_entry_first_stays_safe() -> None:
    _safe(torch_zip(first=["archive/"], extra=[("archive/data/", b"")]))


@pytest.mark.torch
@pytest.mark.parametrize("layout", _BAD_LAYOUT)
def test_torch_refuses_entry_outside_root(layout: dict[str, object]) -> None:
    assert _torch_refuses(torch_zip(**layout))  # type: ignore[arg-type]


@pytest.mark.torch
@pytest.mark.parametrize("layout", [{"root": "model"}, {"first": ["archive/"], "extra": [("archive/data/", b"")]}])
def test_torch_loads_root_layouts_mlbom_calls_safe(layout: dict[str, object]) -> None:
    assert not _torch_refuses(torch_zip(**layout))  # type: ignore[arg-type]


@pytest.mark.torch
@pytest.mark.parametrize("legacy", [False, True])
def test_torch_save_any_archive_name_stays_safe(legacy: bool, tmp_path: object) -> None:
    import pathlib
    torch = pytest.importorskip("torch")
    path = pathlib.Path(str(tmp_path)) / "my.model-v1.pt"
    torch.save({"w": torch.arange(6.0), "n": torch.zeros(2, dtype=torch.int64)}, path)
    data = path.read_bytes()
    if legacy:  # the legacy (non-zip) format is not a zip at all: scanned by its own reader
        buf = io.BytesIO()
        torch.save({"w": torch.arange(6.0)}, buf, _use_new_zipfile_serialization=False)
        data = buf.getvalue()
    _safe(data)


# ---- lead: a deflated storage record -------------------------------------------------------

def _set_usize(data: bytes, member: str, usize: int) -> bytes:
    """The member's uncompressed size rewritten in its local header and its central-directory entry."""
    import struct
    buf = bytearray(data)
    name = member.encode()
    i = 0
    while i >= 0:
        if buf[i:i + 4] == b"PK\x03\x04" and buf[i + 30:i + 30 + len(name)] == name:
            struct.pack_into("<I", buf, i + 22, usize)
        if buf[i:i + 4] == b"PK\x01\x02" and buf[i + 46:i + 46 + len(name)] == name:
            struct.pack_into("<I", buf, i + 24, usize)
        i = buf.find(b"PK", i + 1)
    return bytes(buf)


def test_deflated_storage_is_two_readings() -> None:
    """torch.load inflates it, torch.load(mmap=True) does not (red team 94s-1: safe before)."""
    scan = scan_bytes(torch_zip({"data/0": bytes(range(12))}, deflate=("data/0",)), "m.pt")
    assert scan.verdict == "suspicious", [(f.id, f.message) for f in scan.findings]
    assert any(f.id == "pytorch.compressed-storage" and "mmap=True" in f.message for f in scan.findings)


def test_deflated_text_record_stays_safe() -> None:
    """Text records are read through get_record (inflated) in either mode: one reading."""
    _safe(torch_zip(deflate=("version", "byteorder")))


def test_deflated_storage_size_is_still_checked() -> None:
    _invalid(torch_zip({"data/0": b"\0" * 16}, deflate=("data/0",)), "data/'0'")


def test_deflated_storage_inflating_to_another_size_is_not_safe() -> None:
    data = _set_usize(torch_zip(deflate=("data/0",)), "archive/data/0", 13)
    assert scan_bytes(data, "m.pt").verdict == "error"


def test_deflated_storage_with_npy_magic_is_judged() -> None:
    npy = b"\x93NUMPY\x01\x00" + b"\x06\x00" + b"{}\n\0\0\0"  # 12 bytes, starts like an array np.load reads
    scan = scan_bytes(torch_zip({"data/0": npy}, deflate=("data/0",)), "m.pt")
    assert scan.verdict != "safe"


@pytest.mark.torch
def test_torch_loads_deflated_storage() -> None:
    assert not _torch_refuses(torch_zip({"data/0": bytes(range(12))}, deflate=("data/0",)))


@pytest.mark.torch
def test_torch_mmap_reads_a_deflated_storage_raw(tmp_path: object) -> None:
    """The differential 94s-1 found: the same file, two tensors."""
    torch = pytest.importorskip("torch")
    import pathlib
    import struct
    data = torch_zip({"data/0": struct.pack("<3f", 0.0, 0.0, 0.0)}, deflate=("data/0",))
    path = pathlib.Path(str(tmp_path)) / "m.pt"
    path.write_bytes(data)
    plain = torch.load(path, weights_only=True)["w"]
    mapped = torch.load(path, weights_only=True, mmap=True)["w"]
    assert plain.tolist() == [0.0, 0.0, 0.0]
    assert mapped.tolist() != plain.tolist()


@pytest.mark.torch
def test_torch_refuses_deflated_storage_of_another_size() -> None:
    assert _torch_refuses(_set_usize(torch_zip(deflate=("data/0",)), "archive/data/0", 13))
