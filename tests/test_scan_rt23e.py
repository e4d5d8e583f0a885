"""Red team 23e: (23e-2) an end record torch's reader (miniz) finds where zipfile does not — miniz
searches back in 4 KiB steps up to 69 584 bytes from the end, zipfile 65 557 — so a pt2 record
holding a torch.save zip with trailing bytes was "not a zip" and skipped as declared raw, and a
top-level one was ``error`` "zipfile and torch refuse it"; (23e-3) a TorchScript ``code/`` record
was skipped by name although ``np.load`` reads any member that starts with the NPY magic (object
arrays unpickled); (23e-1) the pt2 rule "judge a raw record as ``torch.load(BytesIO)`` reads it"
made a ``torch.save`` tensor whose storage bytes look like a pickle ``unsafe``: torch never
unpickles ``data/N`` of a torch.save / TorchScript archive."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mlbom.formats.zipread import find_end_record, miniz_end_record, zipfile_end_record
from mlbom.scanner import scan_bytes
from tests.test_scan_rt21e import _CALL, _EVIL, _pt2, _zip

# trailing bytes that put the end record beyond zipfile's window (65 557 from the end) and in
# miniz's last buffer (which starts 4 096 + 16 * 4 093 = 69 584 bytes from the end)
_FAR = 69584 - len(_EVIL)


def _verdict(data: bytes, name: str = "m.pt2") -> tuple[str, list[str]]:
    res = scan_bytes(data, name)
    return res.verdict, sorted({f.id for f in res.findings})


def _npy_object(payload: bytes) -> bytes:
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + payload


def _torchscript(extra: list[tuple[str, bytes]], compress: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle.dumps({}, protocol=2))
        z.writestr("archive/constants.pkl", pickle.dumps((), protocol=2))
        z.writestr("archive/version", b"3\n")
        for name, data in extra:
            z.writestr(name, data, zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
    return buf.getvalue()


# ---- 23e-2: the end-record window ---------------------------------------------------------------

def test_23e2_pt2_record_whose_end_record_only_miniz_finds_is_judged() -> None:
    record = _EVIL + b"\0" * _FAR
    assert zipfile_end_record(io.BytesIO(record), len(record)) is None
    assert miniz_end_record(io.BytesIO(record), len(record)) == len(_EVIL) - 22
    verdict, ids = _verdict(_zip(_pt2("m", [("weight_0", record)], {"w": ("weight_0", False)})))
    assert verdict == "unsafe", ids
    assert "zip.end-record-differential" in ids


@pytest.mark.parametrize("payload", [b"PK\x03\x04" * 4, b"PK\x03\x04" + b"\0" * 80000],
                         ids=["short", "end-record-beyond-both"])
def test_23e2_pt2_record_that_starts_as_a_zip_is_never_skipped(payload: bytes) -> None:
    """torch's ``_is_zipfile`` looks at the first four bytes only: such a record is a zip to
    torch.load; one mlbom cannot open is ``error``, never skipped as raw."""
    verdict, ids = _verdict(_zip(_pt2("m", [("weight_0", payload)], {"w": ("weight_0", False)})))
    assert verdict == "error" and "zip.invalid" in ids, ids


def test_23e2b_top_level_archive_only_torch_finds_is_read_as_torch_reads_it() -> None:
    verdict, ids = _verdict(_EVIL + b"\0" * _FAR, "m.pt")
    assert verdict == "unsafe", ids
    assert "zip.end-record-differential" in ids and "zip.invalid" not in ids


def test_end_record_only_zipfile_finds_is_a_differential() -> None:
    """miniz steps back 4 093 bytes at a time and its step wraps negative (a failed read) when
    fewer than 4 093 bytes remain: it never reaches an end record near the start of a file whose
    tail zipfile searches whole; numpy reads that archive, torch refuses it."""
    data = _zip([("a.npy", b"x")]) + b"\0" * 4100
    assert zipfile_end_record(io.BytesIO(data), len(data)) is not None
    assert miniz_end_record(io.BytesIO(data), len(data)) is None
    assert find_end_record(io.BytesIO(data), len(data)) == zipfile_end_record(io.BytesIO(data), len(data))
    verdict, ids = _verdict(data, "m.npz")
    assert "zip.end-record-differential" in ids and verdict != "safe", ids


def test_signature_in_the_last_bytes_zipfile_gives_up_miniz_looks_further() -> None:
    data = _EVIL + b"PK\x05\x06" + b"\0" * 10  # a signature with fewer than 22 bytes after it
    assert zipfile_end_record(io.BytesIO(data), len(data)) is None
    assert miniz_end_record(io.BytesIO(data), len(data)) == len(_EVIL) - 22
    verdict, ids = _verdict(data, "m.pt")
    assert verdict == "unsafe" and "zip.end-record-differential" in ids, ids


_LOADS = r"""
import io, sys, torch
b = io.BytesIO(); torch.save(torch.arange(3), b); z = b.getvalue()
for pad in map(int, sys.argv[1:]):
    try:
        torch.load(io.BytesIO(z + b"\0" * pad), weights_only=True); print(pad, 1)
    except Exception:
        print(pad, 0)
"""


def test_miniz_end_record_matches_torchs_reader() -> None:
    """The window measured on torch itself: the same archive padded with zeros, loaded or not."""
    torch = pytest.importorskip("torch")
    b = io.BytesIO()
    torch.save(torch.arange(3), b)
    z = b.getvalue()
    pads = [0, 2000, 4100, 30000, 61500, 64000, 65500, 68000, 68250, 69000, 69500, 69750, 75000]
    out = subprocess.run([sys.executable, "-c", _LOADS, *map(str, pads)], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    loads = dict(line.split() for line in out.stdout.splitlines())
    assert len(loads) == len(pads), out.stderr[-2000:]
    for pad in pads:
        data = z + b"\0" * pad
        assert (miniz_end_record(io.BytesIO(data), len(data)) is not None) == (loads[str(pad)] == "1"), pad


# ---- 23e-1: torch.save storage is raw bytes -----------------------------------------------------

@pytest.mark.parametrize("payload", [_CALL, pickle.dumps(print, protocol=2)[:-1] + b")R.", _EVIL])
def test_23e1_torch_save_storage_is_raw_whatever_it_holds(payload: bytes) -> None:
    data = _zip([("archive/data.pkl", pickle.dumps({}, protocol=2)), ("archive/data/0", payload),
                 ("archive/version", b"3\n")])
    assert _verdict(data, "m.pt") == ("safe", [])


def test_23e1_real_torch_save_of_pickle_bytes_is_safe(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    evil = b"cbuiltins\nexec\n(S'print(1)'\ntR."
    f = tmp_path / "blob.pt"
    torch.save({"blob": torch.frombuffer(bytearray(evil), dtype=torch.uint8)}, f)
    res = scan_bytes(f.read_bytes(), "blob.pt")
    assert res.verdict == "safe", sorted({x.id for x in res.findings})
    gen = torch.Generator().manual_seed(23)
    for i in range(200):
        dtype = torch.uint8 if i % 2 else torch.float32
        t = (torch.randint(0, 256, (64,), generator=gen, dtype=torch.uint8) if dtype == torch.uint8
             else torch.randn(64, generator=gen))
        b = io.BytesIO()
        torch.save({"t": t}, b)
        assert scan_bytes(b.getvalue(), "t.pt").verdict == "safe", i


def test_23e1_pt2_named_archive_keeps_judging_storage() -> None:
    """An ``archive_format`` member anywhere: torch.export.load may read the archive as pt2 under
    a root mlbom decodes otherwise (21e-3); its records stay judged as pt2 reads them."""
    data = _zip([("archive/data.pkl", pickle.dumps({}, protocol=2)), ("archive/data/0", _CALL),
                 ("other/archive_format", b"pt2")])
    verdict, ids = _verdict(data, "m.pt")
    assert verdict == "unsafe", ids


# ---- 23e-3: the NPY rule before any role ----------------------------------------------------------

@pytest.mark.parametrize("compress", [False, True], ids=["stored", "deflated"])
def test_23e3_torchscript_code_record_that_is_an_npy_is_judged(compress: bool) -> None:
    data = _torchscript([("archive/code/evil.npy", _npy_object(_CALL))], compress)
    verdict, ids = _verdict(data, "m.pt")
    assert verdict == "unsafe", ids


@pytest.mark.parametrize("compress", [False, True], ids=["stored", "deflated"])
def test_torchscript_code_stays_reported_as_code(compress: bool) -> None:
    data = _torchscript([("archive/code/__torch__.py", b"class M:\n    pass\n"),
                         ("archive/code/__torch__.py.debug_pkl", pickle.dumps((1, "x"), protocol=2))], compress)
    verdict, ids = _verdict(data, "m.pt")
    # (torch.load refuses a TorchScript archive under weights_only: red team 119pk-4)
    assert ids == ["torch.weights-only-refused", "torchscript.code"] and verdict == "suspicious"


def test_23e3_pt2_raw_record_that_is_an_npy_is_judged() -> None:
    data = _zip(_pt2("m", [("weight_0", _npy_object(_CALL))], {"w": ("weight_0", False)}))
    verdict, ids = _verdict(data)
    assert verdict == "unsafe", ids


def test_npyfile_reads_any_member_with_the_magic() -> None:
    """The premise (numpy's ``NpzFile.__getitem__``): any member, whatever its name, whose first
    six bytes are the NPY magic is read as an array."""
    np = pytest.importorskip("numpy")
    buf = io.BytesIO()
    np.save(buf, np.arange(3))
    data = _torchscript([("archive/code/x.npy", buf.getvalue())], compress=True)
    with np.load(io.BytesIO(data)) as z:
        assert list(z["archive/code/x"]) == [0, 1, 2]
