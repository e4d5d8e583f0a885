"""Red team 89s: files mlbom scanned ``safe`` that the real loaders read differently or refuse.

- 89s-1: torch 2.13's ``PyTorchStreamReader::init`` reads ``<root>/.data/version`` when the archive
  has one (names compared ignoring ASCII case) and falls back to ``<root>/version`` only when it
  has none; mlbom checked only ``version``.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from mlbom.scanner import scan_bytes


def _torch_zip(version: bytes | None, extra: dict[str, bytes]) -> bytes:
    """A torch.save zip with ``archive/version`` replaced (None: removed) and ``extra`` records added."""
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buf)
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "archive/version":
                if version is None:
                    continue
                data = version
            z.writestr(info.filename, data)
        for name, data in extra.items():
            z.writestr(f"archive/{name}", data)
    return out.getvalue()


def _torch_loads(data: bytes) -> bool:
    torch = pytest.importorskip("torch")
    try:
        torch.load(io.BytesIO(data), weights_only=True)
    except Exception:  # any refusal
        return False
    return True


@pytest.mark.torch
@pytest.mark.parametrize(("version", "extra"), [
    (b"3\n", {".data/version": b"99\n"}),
    (b"3\n", {".data/version": b"abc"}),
    (b"3\n", {".DATA/VERSION": b"99\n"}),
    (b"3\n", {".data/version": b"0"}),
    (None, {".Data/Version": b"abc"}),
])
def test_torch_data_version_is_the_record_torch_reads(version: bytes | None, extra: dict[str, bytes]) -> None:
    data = _torch_zip(version, extra)
    assert not _torch_loads(data)
    scan = scan_bytes(data, "m.pt")
    assert scan.verdict == "error"
    msgs = [f.message for f in scan.findings if f.id == "pytorch.invalid"]
    assert msgs and "version" in msgs[0]
    assert "torch.weights-only" not in scan.facts


@pytest.mark.torch
@pytest.mark.parametrize(("version", "extra"), [
    (b"abc", {".data/version": b"3\n"}),
    (None, {".data/version": b"3\n"}),
    (b"99", {".DATA/version": b"3"}),
    (b"3\n", {".data/version": b"3\n"}),
])
def test_torch_version_is_not_read_beside_data_version(version: bytes | None, extra: dict[str, bytes]) -> None:
    data = _torch_zip(version, extra)
    assert _torch_loads(data)
    scan = scan_bytes(data, "m.pt")
    assert "pytorch.invalid" not in {f.id for f in scan.findings}
    assert scan.verdict == "safe"


@pytest.mark.torch
def test_torch_without_data_version_still_needs_version() -> None:
    data = _torch_zip(None, {})
    assert not _torch_loads(data)
    scan = scan_bytes(data, "m.pt")
    assert scan.verdict == "error"
    assert "pytorch.invalid" in {f.id for f in scan.findings}
