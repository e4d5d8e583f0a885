"""Zip CRC-32: what the loaders do with a member whose CRC is wrong, and the scan agreeing.

The reproducers are real files (numpy and torch wrote them; make_crc.py then made one CRC
wrong). The loaders' behaviour is asserted on these same benign, numeric files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest

from mlbom.scanner import scan_bytes, scan_file
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile" / "scanner"
NPZ = ["npz-stored-bad-crc.npz", "npz-deflated-bad-crc.npz"]


@pytest.mark.parametrize("name", [*NPZ, "torch-data-pkl-bad-crc.pt", "torch-storage-bad-crc.pt"])
def test_zipfile_refuses_the_member(name: str) -> None:
    with zipfile.ZipFile(HOSTILE / name) as zf:
        assert zf.testzip() is not None  # zipfile: "Bad CRC-32" for that member


@pytest.mark.parametrize("name", NPZ)
def test_numpy_refuses_and_the_scan_says_loaders_disagree(name: str) -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        np.load(HOSTILE / name)["x"]  # numeric array, allow_pickle=False: nothing runs
    r = scan_file(HOSTILE / name)
    assert r.verdict == "suspicious" and any(f.id == "zip.crc-mismatch" for f in r.findings)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["torch-data-pkl-bad-crc.pt", "torch-storage-bad-crc.pt"])
def test_torch_never_checks_the_crc(name: str) -> None:
    torch = pytest.importorskip("torch")
    assert set(torch.load(HOSTILE / name, weights_only=True)) == {"w"}


def test_scan_flags_a_pickle_record_torch_reads_and_zipfile_refuses() -> None:
    r = scan_file(HOSTILE / "torch-data-pkl-bad-crc.pt")
    assert r.verdict == "suspicious" and any(f.id == "zip.crc-mismatch" for f in r.findings)
    # raw storage bytes: torch reads them unchecked and nothing else loads them: not a finding
    assert scan_file(HOSTILE / "torch-storage-bad-crc.pt").verdict == "safe"


def test_intact_archives_have_no_crc_finding() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.json", '{"a": 1}')
        zf.writestr("b.txt", "hello\n")
    r = scan_bytes(buf.getvalue(), "x.zip")
    assert r.verdict == "safe" and not any(f.id == "zip.crc-mismatch" for f in r.findings)


def _torch_zip_with_crc(data_pkl: bytes, crc: Callable[[bytes], bytes]) -> bytes:
    """A torch-layout zip whose ``data.pkl`` CRC-32 (4 little-endian bytes) is replaced by ``crc(old)``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("arch/data.pkl", data_pkl)
        zf.writestr("arch/version", "3\n")
    raw = buf.getvalue()
    old = zipfile.ZipFile(io.BytesIO(raw)).getinfo("arch/data.pkl").CRC.to_bytes(4, "little")
    return raw.replace(old, crc(old))


def test_bad_crc_does_not_hide_a_malicious_member() -> None:
    raw = _torch_zip_with_crc(b"cposix\nsystem\n(S'true'\ntR.", lambda old: bytes(b ^ 0xFF for b in old))
    r = scan_bytes(raw, "m.pt")
    assert r.verdict == "unsafe" and any(f.id == "zip.crc-mismatch" for f in r.findings)


def test_torch_no_crc_mode_is_not_a_mismatch() -> None:
    """``torch.serialization.set_crc32_options(False)`` writes CRC 0 for every record."""
    with zipfile.ZipFile(HOSTILE / "torch-crc-not-computed.pt") as zf:
        assert {i.CRC for i in zf.infolist()} == {0}
    r = scan_file(HOSTILE / "torch-crc-not-computed.pt")
    assert r.verdict == "safe" and any(f.id == "zip.crc-not-computed" for f in r.findings)


def test_zero_crc_on_one_record_only_is_a_mismatch() -> None:
    r = scan_bytes(_torch_zip_with_crc(b"\x80\x02}q\x00.", lambda old: b"\0\0\0\0"), "m.pt")
    assert r.verdict == "suspicious" and any(f.id == "zip.crc-mismatch" for f in r.findings)
