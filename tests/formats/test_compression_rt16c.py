"""Red team 16c-2/-3/-4/-7: what a loader's decompressing reader hands out before an error.

``gzip.GzipFile``, ``bz2.BZ2File``, ``lzma.LZMAFile``, ``lz4.frame`` and zipfile's ``ZipExtFile``
decompress lazily: ``pickle.load`` over them runs a pickle that ends before corrupt data, a bomb
or bytes past a zip member's declared size, and the error comes after. mlbom judges the bytes
decompressed before the error and reports the error too (the worst of both is the verdict).
16c-4: an empty LZMA-alone first stream is a stream ``LZMAFile`` reads past into the next one."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickle
import random
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from mlbom.formats.compression import Decompressing, Limits, compressed, detect
from mlbom.formats.weights import FormatError
from mlbom.scanner import scan_file


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({self.marker!r},'w').write('ran')",))


def _evil(tmp_path: Path) -> tuple[bytes, Path]:
    marker = tmp_path / "MARKER"
    return pickle.dumps(_Evil(str(marker)), protocol=2), marker


def _runs(code: str, marker: Path) -> bool:
    """The real reader in a throw-away subprocess: whether the pickle's code ran."""
    subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, check=False)
    return marker.exists()


def _ids(r: object) -> list[str]:
    return [f.id for f in r.findings]  # type: ignore[attr-defined]


def _corrupt_later(kind: str, first: bytes) -> bytes:
    """A complete first member/stream, then one that is corrupt after its start (16c-2)."""
    rnd = random.Random(7)
    if kind == "gzip":
        return gzip.compress(first, mtime=0) + b"\x1f\x8b\x09\x00" + b"\x00" * 6 + b"junk" * 4  # method 9
    if kind == "bz2":
        b2 = bz2.compress(rnd.randbytes(250_000), 1)  # several blocks: the first decodes, a later one is corrupt
        return bz2.compress(first) + b2[:-3000] + bytes(x ^ 0x55 for x in b2[-3000:])
    b2 = lzma.compress(rnd.randbytes(4000))
    return lzma.compress(first) + b2[:80] + bytes(x ^ 0x55 for x in b2[80:])


_READER = {"gzip": "gzip.GzipFile", "bz2": "bz2.BZ2File", "xz": "lzma.LZMAFile"}


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz"])
def test_a_pickle_before_a_corrupt_member_is_judged(kind: str, tmp_path: Path) -> None:
    pk, marker = _evil(tmp_path)
    path = tmp_path / f"model.pkl.{kind}"
    path.write_bytes(_corrupt_later(kind, pk))
    r = scan_file(path)
    assert r.verdict == "unsafe", (r.format, [(f.id, f.message) for f in r.findings])
    assert "pickle.dangerous-callable" in _ids(r) and "format.invalid" in _ids(r)
    msg = next(f.message for f in r.findings if f.id == "format.invalid")
    assert "judged" in msg
    code = f"import bz2, gzip, lzma, pickle; pickle.load({_READER[kind]}({str(path)!r}, 'rb'))"
    assert _runs(code, marker), "the real reader must run the code before the error"


def test_a_pickle_before_a_bomb_member_is_judged(tmp_path: Path) -> None:
    pk, marker = _evil(tmp_path)
    path = tmp_path / "model.pkl.gz"
    path.write_bytes(gzip.compress(pk, mtime=0) + gzip.compress(b"\x00" * (4 << 20), 9, mtime=0))
    r = scan_file(path, limits=Limits(ratio_floor=1 << 20, max_ratio=50))
    assert r.verdict == "unsafe", [(f.id, f.message) for f in r.findings]
    assert "compressed.bomb" in _ids(r) and "pickle.dangerous-callable" in _ids(r)
    assert _runs(f"import gzip, pickle; pickle.load(gzip.GzipFile({str(path)!r}))", marker)


@pytest.mark.parametrize("codec", ["gzip", "bz2", "xz"])
def test_corruption_inside_the_stream_of_the_pickle(codec: str, tmp_path: Path) -> None:
    """One stream: the pickle, then text, then corrupt bytes near its end — within the same
    decoder call as the pickle; the bytes before the error are recovered (read again in small
    steps), as the loader's small reads hand them out."""
    pk, marker = _evil(tmp_path)
    rnd = random.Random(3)
    pad = "".join(rnd.choice(["alpha ", "beta ", "gamma ", "delta\n"]) for _ in range(40000)).encode()
    # bz2 checks a whole block before it hands any of it out: 100 kB blocks, the last one corrupt
    comp = {"gzip": lambda b: gzip.compress(b, mtime=0), "bz2": lambda b: bz2.compress(b, 1),
            "xz": lzma.compress}[codec](pk + pad)
    cut = len(comp) - (40 if codec != "bz2" else 200)
    raw = comp[:cut - 300] + bytes(x ^ 0xA5 for x in comp[cut - 300:cut]) + comp[cut:]
    path = tmp_path / f"model.pkl.{codec}"
    path.write_bytes(raw)
    r = scan_file(path)
    assert r.verdict == "unsafe", [(f.id, f.message) for f in r.findings]
    code = f"import bz2, gzip, lzma, pickle; pickle.load({_READER[codec]}({str(path)!r}, 'rb'))"
    assert _runs(code, marker)


def test_the_output_before_an_error_is_read_then_the_error() -> None:
    data = b"payload " * 1000
    raw = gzip.compress(data, mtime=0) + b"\x1f\x8b\x09\x00" + b"\x00" * 12
    d = Decompressing(io.BytesIO(raw), "gzip")
    assert d.read(1 << 20) == data
    with pytest.raises(FormatError, match="compression method 9"):
        d.read(1)


def test_a_declared_size_cuts_the_output_as_zipfile_does() -> None:
    data = b"x" * 5000
    d = Decompressing(io.BytesIO(zlib.compress(data)[2:-4]), "deflate", expected=3000)
    assert d.read(1 << 20) == data[:3000]
    with pytest.raises(FormatError, match="past its declared size"):
        d.read(1)


def test_lz4_needs_all_four_magic_bytes_for_a_next_frame(tmp_path: Path) -> None:
    lz4_frame = pytest.importorskip("lz4.frame")
    pk, marker = _evil(tmp_path)
    path = tmp_path / "model.pkl.lz4"
    path.write_bytes(lz4_frame.compress(pk) + b"\x04\x22\x4d\x00" + b"\x00" * 64)
    r = scan_file(path)
    assert r.verdict == "unsafe" and r.format == "pickle+lz4", (r.format, _ids(r))
    # the bytes after the frame read as an LZMA-alone header (18c-2: another codec's start is
    # compressed.trailing-stream); either way they are no lz4 frame
    assert {"compressed.trailing-data", "compressed.trailing-stream"} & set(_ids(r))
    assert _runs(f"import lz4.frame, pickle; pickle.load(lz4.frame.open({str(path)!r}))", marker)


_EMPTY_ALONE = bytes([0x5D]) + (0x20).to_bytes(4, "little") + (0).to_bytes(8, "little") + b"\x00" * 5


def test_an_empty_lzma_alone_first_stream_is_read_past(tmp_path: Path) -> None:
    pk, marker = _evil(tmp_path)
    raw = _EMPTY_ALONE + lzma.compress(pk)
    assert detect(raw[:512]) == "lzma" and compressed(raw[:1024]) == "lzma"
    path = tmp_path / "model.pkl.xz"
    path.write_bytes(raw)
    r = scan_file(path)
    assert r.verdict == "unsafe" and r.format == "pickle+lzma", (r.format, _ids(r))
    assert _runs(f"import lzma, pickle; pickle.load(lzma.open({str(path)!r}))", marker)


def test_an_empty_stream_then_a_benign_pickle_is_safe(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl.xz"
    path.write_bytes(_EMPTY_ALONE + lzma.compress(pickle.dumps({"w": [1.0, 2.0]}, protocol=4)))
    r = scan_file(path)
    assert r.verdict == "safe", [(f.id, f.message) for f in r.findings]
    with lzma.open(path) as f:
        assert f.read() == pickle.dumps({"w": [1.0, 2.0]}, protocol=4)


def test_zeros_are_not_an_lzma_stream() -> None:
    assert detect(b"\x00" * 512) is None


def test_a_long_run_of_streams_stops() -> None:
    raw = _EMPTY_ALONE * 5000 + lzma.compress(b"late")
    d = Decompressing(io.BytesIO(raw), "lzma", Limits(max_streams=4096))
    with pytest.raises(FormatError, match="more than 4096 compressed streams"):
        d.read(1 << 20)


def _npy_object_header() -> bytes:
    h = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    h += b" " * (64 - (10 + len(h) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h


def test_an_npz_member_corrupt_after_its_pickle(tmp_path: Path) -> None:
    """16c-7: ``np.load`` reads the member through ``ZipExtFile``, which inflates lazily and
    checks the CRC/size at its end, after the object array's pickle has run."""
    pk, marker = _evil(tmp_path)
    rnd = random.Random(1)
    pad = "".join(rnd.choice(["alpha ", "beta ", "gamma ", "delta\n", "eps "]) for _ in range(60000)).encode()
    path = tmp_path / "model.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.npy", _npy_object_header() + pk + pad)
    raw = bytearray(path.read_bytes())
    n, x = struct.unpack("<HH", raw[26:30])
    start, csize = 30 + n + x, struct.unpack("<I", raw[18:22])[0]
    for i in range(start + csize - 400, start + csize - 40, 7):
        raw[i] ^= 0xA5
    path.write_bytes(bytes(raw))
    r = scan_file(path)
    assert r.verdict == "unsafe", [(f.id, f.message) for f in r.findings]
    assert "zip.member-unreadable" in _ids(r) and "pickle.dangerous-callable" in _ids(r)
    pytest.importorskip("numpy")
    assert _runs(f"import numpy; numpy.load({str(path)!r}, allow_pickle=True)['a']", marker)


def test_a_zip_lzma_member_corrupt_after_its_pickle(tmp_path: Path) -> None:
    pk, marker = _evil(tmp_path)
    # zipfile feeds an LZMA member's decoder as many compressed bytes as were asked for (the
    # unpickler peeks 128 KiB): the corrupt end must lie past what its first reads take
    pad = random.Random(2).randbytes(300_000).hex().encode()
    path = tmp_path / "model.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_LZMA) as z:
        z.writestr("model.pkl", pk + pad)
    raw = bytearray(path.read_bytes())
    n, x = struct.unpack("<HH", raw[26:30])
    start, csize = 30 + n + x, struct.unpack("<I", raw[18:22])[0]
    for i in range(start + csize - 60, start + csize - 10):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))
    r = scan_file(path)
    assert r.verdict == "unsafe", [(f.id, f.message) for f in r.findings]
    code = f"import zipfile, pickle; pickle.load(zipfile.ZipFile({str(path)!r}).open('model.pkl'))"
    assert _runs(code, marker)


def test_a_tar_header_with_a_short_name_is_no_lzma_stream() -> None:
    """``d/`` then NULs reads as an empty LZMA-alone stream, the zero-filled fields as more, and
    the mode field is refused: ``LZMAFile`` decodes nothing from it; a tar is not taken for lzma."""
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo("d")
        info.type = tarfile.DIRTYPE
        t.addfile(info)
    head = buf.getvalue()[:512]
    assert head.startswith(b"d/\x00") and detect(head) is None
    with pytest.raises(lzma.LZMAError), lzma.LZMAFile(io.BytesIO(buf.getvalue())) as f:
        f.read()
