"""Red team 15d-1: the stream sequences that the loaders' readers decode.

``lzma.LZMAFile`` (joblib's ``lzma`` and ``xz`` compressors, pandas' ``xz``) is opened in
FORMAT_AUTO and ``_compression.DecompressReader`` starts each next stream with a fresh AUTO
decoder, so an LZMA-alone stream may follow an ``.xz`` one and the other way round; ``BZ2File``
reads bz2 streams back to back and ``gzip.GzipFile`` gzip members. Whatever such a reader decodes
after the first stream is judged with it, wherever the stream boundary falls in mlbom's reads."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats.compression import Decompressing
from mlbom.formats.weights import FormatError
from mlbom.scanner import scan_file


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({self.marker!r},'w').write('ran')",))


_PAIRS = {"alone-xz": (lzma.FORMAT_ALONE, lzma.FORMAT_XZ), "xz-alone": (lzma.FORMAT_XZ, lzma.FORMAT_ALONE),
          "alone-alone": (lzma.FORMAT_ALONE, lzma.FORMAT_ALONE), "xz-xz": (lzma.FORMAT_XZ, lzma.FORMAT_XZ)}


def _two_streams(data: bytes, mode: str, split: int = 2) -> bytes:
    if mode == "bz2":
        return bz2.compress(data[:split]) + bz2.compress(data[split:])
    if mode == "gzip":
        return gzip.compress(data[:split], mtime=0) + gzip.compress(data[split:], mtime=0)
    f1, f2 = _PAIRS[mode]
    return lzma.compress(data[:split], format=f1) + lzma.compress(data[split:], format=f2)


_OPEN = {"bz2": "bz2.BZ2File", "gzip": "gzip.GzipFile"}


def _loader_runs(path: Path, mode: str, marker: Path) -> bool:
    """The stdlib reader the loaders use (LZMAFile in FORMAT_AUTO, BZ2File, GzipFile), run on the
    file with pickle.load in a throw-away subprocess: whether the code ran."""
    opener = _OPEN.get(mode, "lzma.LZMAFile")
    code = f"import bz2, gzip, lzma, pickle; pickle.load({opener}({str(path)!r}, 'rb'))"
    subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, check=False)
    return marker.exists()


@pytest.mark.parametrize("mode", ["alone-xz", "xz-alone", "alone-alone", "xz-xz", "bz2", "gzip"])
def test_a_pickle_split_over_two_streams_is_judged_whole(tmp_path: Path, mode: str) -> None:
    marker = tmp_path / "MARKER"
    path = tmp_path / "model.joblib"
    path.write_bytes(_two_streams(pickle.dumps(_Evil(str(marker)), protocol=2), mode))
    r = scan_file(path)
    assert r.verdict == "unsafe", (mode, r.format, [(f.id, f.message) for f in r.findings])
    assert any(f.id == "pickle.dangerous-callable" for f in r.findings)
    assert _loader_runs(path, mode, marker), "the real reader must run the code (else the test proves nothing)"


@pytest.mark.parametrize("mode", ["alone-xz", "xz-alone", "bz2", "gzip"])
def test_a_benign_pickle_split_over_two_streams_is_safe(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "model.joblib"
    path.write_bytes(_two_streams(pickle.dumps({"weights": [1.0, 2.0], "name": "m"}, protocol=4), mode, split=7))
    r = scan_file(path)
    assert r.verdict == "safe", (mode, [(f.id, f.message) for f in r.findings])


@pytest.mark.parametrize("mode", ["alone-xz", "xz-alone"])
def test_joblib_and_pandas_read_the_switched_stream(tmp_path: Path, mode: str) -> None:
    pytest.importorskip("joblib")
    pytest.importorskip("pandas")
    marker = tmp_path / "MARKER"
    path = tmp_path / "model.pkl.xz"
    path.write_bytes(_two_streams(pickle.dumps(_Evil(str(marker)), protocol=2), mode))
    assert scan_file(path).verdict == "unsafe"
    for code in (f"import joblib; joblib.load({str(path)!r})", f"import pandas; pandas.read_pickle({str(path)!r})"):
        subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, check=False)
        assert marker.exists(), code
        marker.unlink()


class _Trickle(io.RawIOBase):
    """A source that hands out at most ``step`` bytes per read, so a stream boundary falls at a
    read boundary and the next stream's first bytes arrive one by one."""

    def __init__(self, data: bytes, step: int) -> None:
        self._b = io.BytesIO(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        return self._b.read(self._step if n < 0 else min(n, self._step))


@pytest.mark.parametrize("mode", ["alone-xz", "xz-alone", "xz-xz", "alone-alone", "bz2", "gzip"])
@pytest.mark.parametrize("step", [1, 2, 3, 7])
def test_the_next_stream_is_found_across_read_boundaries(mode: str, step: int) -> None:
    data = b"first part|" + b"second part" * 5
    raw = _two_streams(data, mode, split=11)
    codec = {"bz2": "bz2", "gzip": "gzip"}.get(mode) or ("xz" if mode.startswith("xz") else "lzma")
    d = Decompressing(_Trickle(raw, step), codec)  # type: ignore[arg-type]
    out = b""
    while chunk := d.read(1 << 16):
        out += chunk
    assert out == data and d.members == 2 and d.trailing == 0


@pytest.mark.parametrize("tail", [b"not a stream at all, just text\n", b"\xff" * 40])
def test_bytes_no_reader_decodes_stay_trailing(tail: bytes) -> None:
    data = b"payload" * 10
    for codec, raw in (("xz", lzma.compress(data, format=lzma.FORMAT_XZ)),
                       ("lzma", lzma.compress(data, format=lzma.FORMAT_ALONE)), ("bz2", bz2.compress(data))):
        d = Decompressing(io.BytesIO(raw + tail), codec)
        assert d.read(1 << 16) == data and d.at_end()
        with lzma.LZMAFile(io.BytesIO(raw + tail)) if codec != "bz2" else bz2.BZ2File(io.BytesIO(raw + tail)) as f:
            assert f.read() == data  # the real reader ignores these bytes too


def test_zero_padding_after_an_lzma_stream_is_a_truncated_stream_as_for_lzmafile() -> None:
    """16 zero bytes pass an AUTO decoder's first call (an LZMA-alone header of size 0), so
    LZMAFile reads on and raises EOFError at the end: mlbom says the same (corrupt, not trailing)."""
    raw = lzma.compress(b"payload" * 10, format=lzma.FORMAT_XZ) + b"\x00" * 16
    with pytest.raises(EOFError), lzma.LZMAFile(io.BytesIO(raw)) as f:
        f.read()
    d = Decompressing(io.BytesIO(raw), "xz")
    assert d.read(70) == b"payload" * 10
    with pytest.raises(FormatError, match="truncated"):
        d.at_end()
