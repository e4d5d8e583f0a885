"""Red team 89s: files mlbom scanned ``safe`` that the real loaders read differently or refuse.

- 89s-1: torch 2.13's ``PyTorchStreamReader::init`` reads ``<root>/.data/version`` when the archive
  has one (names compared ignoring ASCII case) and falls back to ``<root>/version`` only when it
  has none; mlbom checked only ``version``.
- 89s-2: numpy reads an NPY header with ``ast.literal_eval`` (Python's grammar), and strips Python 2
  ``L`` suffixes (``_filter_header``) only for versions 1.0 and 2.0; mlbom's own literal reader
  accepted more (``ur''``, ``uu''``, ``04``, U+00A0 / ``\\x0b`` / ``\\x1c`` as white space, ``4L`` in v3).
"""

from __future__ import annotations

import io
import struct

import pytest

from mlbom.scanner import scan_bytes
from tests.formats.test_rt86s import torch_refuses, torch_zip_with


def _torch_zip(version: bytes | None, extra: dict[str, bytes]) -> bytes:
    """A torch.save zip with ``archive/version`` replaced (None: removed) and ``extra`` records added."""
    return torch_zip_with({"version": version, **extra})


def _torch_loads(data: bytes) -> bool:
    return not torch_refuses(data)


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


def _npy(header: str, ver: tuple[int, int]) -> bytes:
    h = header.encode("utf-8" if ver[0] == 3 else "latin-1")
    pre = 10 if ver[0] == 1 else 12
    h += b" " * (63 - (pre + len(h)) % 64) + b"\n"
    hl = struct.pack("<H", len(h)) if ver[0] == 1 else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes(ver) + hl + h + b"\0" * 16


def _np_loads(data: bytes) -> bool | None:
    """Whether np.load reads ``data`` (both allow_pickle settings agree); None without numpy (the
    default test tier has none: mlbom's verdict is still checked, against the recorded answer)."""
    try:
        import numpy as np
    except ImportError:
        return None
    ok = []
    for allow in (False, True):
        try:
            np.load(io.BytesIO(data), allow_pickle=allow)
            ok.append(True)
        except Exception:  # any refusal
            ok.append(False)
    assert ok[0] == ok[1]
    return ok[0]


_REFUSED = [
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (4L,), }", (3, 0)),
    ("{'descr': ur'<f4', 'fortran_order': False, 'shape': (4,), }", (1, 0)),
    ("{'descr': uu'<f4', 'fortran_order': False, 'shape': (4,), }", (1, 0)),
    ("{'descr': bb'<f4', 'fortran_order': False, 'shape': (4,), }", (2, 0)),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (04,), }", (1, 0)),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (04L,), }", (1, 0)),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (0_4,), }", (1, 0)),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (4l,), }", (1, 0)),
    ("{'descr':\u00a0'<f4', 'fortran_order': False, 'shape': (4,), }", (3, 0)),
    ("{'descr':\x0b'<f4', 'fortran_order': False, 'shape': (4,), }", (1, 0)),
    ("{'descr':\x1c'<f4', 'fortran_order': False, 'shape': (4,), }", (1, 0)),
    ("{'descr':\u2003'<f4', 'fortran_order': False, 'shape': (4,), }", (3, 0)),
]


@pytest.mark.parametrize(("header", "ver"), _REFUSED)
def test_npy_header_numpy_refuses_is_error(header: str, ver: tuple[int, int]) -> None:
    data = _npy(header, ver)
    assert _np_loads(data) in (False, None)
    scan = scan_bytes(data, "a.npy")
    assert scan.verdict == "error"
    msgs = [f.message for f in scan.findings if f.id == "format.invalid"]
    assert msgs and "not a Python literal" in msgs[0]


_LOADS = [
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (4L,), }", (1, 0)),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (4L,), }", (2, 0)),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (4 L,), }", (1, 0)),
    ("{'descr': u'<f4', 'fortran_order': False, 'shape': (4,), }", (1, 0)),
    ("{'descr': R'<f4', 'fortran_order': False, 'shape': (4,), }", (3, 0)),
    ("{'descr': '<' 'f4', 'fortran_order': False, 'shape': (0x4,), }", (1, 0)),
    ("{'descr': '|u1', 'fortran_order': False, 'shape': (1_6,), } # comment", (1, 0)),
    ("{'descr': '''<f4''',\n 'fortran_order': False, 'shape': (4,), }", (3, 0)),
    ("{'descr': '<f4',\x0c'fortran_order': False,\t'shape': (00, 4), }", (1, 0)),
]


@pytest.mark.parametrize(("header", "ver"), _LOADS)
def test_npy_header_numpy_reads_stays_safe(header: str, ver: tuple[int, int]) -> None:
    data = _npy(header, ver)
    assert _np_loads(data) in (True, None)
    scan = scan_bytes(data, "a.npy")
    assert scan.verdict == "safe", scan.findings


def test_npy_with_more_dimensions_than_numpy_supports_is_error() -> None:
    """numpy 2.x sets ``array.shape = shape`` and refuses more than 64 dimensions; 64 loads."""
    import struct

    from mlbom.scanner import scan_bytes

    def npy(ndim: int) -> bytes:
        h = ("{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1," * ndim + ")}").encode()
        h += b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + b"\0" * 4

    assert scan_bytes(npy(64), "x.npy").verdict == "safe"
    r = scan_bytes(npy(65), "x.npy")
    assert r.verdict == "error" and any("dimensions" in f.message for f in r.findings), r.findings
