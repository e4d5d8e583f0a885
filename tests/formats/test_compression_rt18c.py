"""Red team 18c: compression and containers.

18c-2: skippable frames (magic 0x184D2A50-5F) are shared by lz4 and zstd (RFC 8878 §3.1.2); a
zstd frame after them makes the file zstd, and bytes after the last stream that start another
codec (or a zip, a pickle) are a reading another loader makes, never an effect-less note.
18c-1: a chain of empty LZMA-alone streams made of zero bytes, then a real stream, is what
``LZMAFile`` (FORMAT_AUTO: ``lzma.open``, pandas' ``.xz``) reads through.
18c-3: tens of thousands of tiny streams cost linear work, and a file's streams are bounded.
18c-4: the bound counts streams, not empty ones: a payload behind 4,100 empty gzip members is read."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from mlbom.formats import compression
from mlbom.formats.compression import Decompressing, Limits, detect
from mlbom.formats.datafile import detect as data_detect
from mlbom.formats.weights import FormatError
from mlbom.scanner import scan_file


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({self.marker!r},'w').write('ran')",))


def _evil(tmp_path: Path, protocol: int = 4) -> tuple[bytes, Path]:
    marker = tmp_path / "MARKER"
    return pickle.dumps(_Evil(str(marker)), protocol=protocol), marker


def _runs(code: str, marker: Path, env: dict[str, str] | None = None) -> bool:
    subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, check=False, env=env)
    return marker.exists()


def _ids(r: object) -> list[str]:
    return [f.id for f in r.findings]  # type: ignore[attr-defined]


def _zstd_frame(payload: bytes) -> bytes:
    """A zstd frame (RFC 8878) holding ``payload`` in one raw block: single segment, a 1-byte
    content size, no checksum — built by hand, so no zstd package is needed to write it."""
    assert len(payload) < 256
    block = ((len(payload) << 3) | 1).to_bytes(3, "little")  # last block, raw
    return compression.ZSTD_MAGIC + bytes([0x20, len(payload)]) + block + payload


def _skippable(n: int, nibble: int = 0) -> bytes:
    return bytes([0x50 | nibble]) + b"\x2a\x4d\x18" + n.to_bytes(4, "little") + b"\x00" * n


# ---- 18c-2 ---------------------------------------------------------------------------------

def test_a_zstd_frame_after_a_skippable_frame_is_zstd(tmp_path: Path) -> None:
    pk, marker = _evil(tmp_path)
    raw = _skippable(8) + _zstd_frame(pk)
    assert detect(raw[:512]) == "zstd" and data_detect(raw[:4096]) == "zstd"
    path = tmp_path / "model.pkl.zst"
    path.write_bytes(raw)
    r = scan_file(path)
    assert r.verdict == "error" and "archive.unsupported" in _ids(r), (r.format, _ids(r))
    # the real reader (pandas' '.zst') reads it: only where zstandard is installed
    code = f"import pickle, zstandard; pickle.load(zstandard.open({str(path)!r}, 'rb'))"
    if subprocess.run([sys.executable, "-c", "import zstandard"], capture_output=True, check=False).returncode == 0:
        assert _runs(code, marker)


def test_a_zstd_frame_after_skippable_frames_past_the_head_is_not_safe(tmp_path: Path) -> None:
    """The skippable frame runs past the head: the lz4 reading steps over it and meets a zstd
    frame — a reading another loader makes (suspicious), and nothing decoded (error)."""
    pytest.importorskip("lz4.frame")
    pk, _ = _evil(tmp_path)
    path = tmp_path / "model.pkl.zst"
    path.write_bytes(_skippable(4096, 3) + _zstd_frame(pk))
    r = scan_file(path)
    assert r.verdict == "error", (r.format, _ids(r))
    assert {"compressed.trailing-stream", "lz4.skippable-only"} <= set(_ids(r))


def test_lz4_frames_then_a_zstd_frame_are_not_safe(tmp_path: Path) -> None:
    lz4_frame = pytest.importorskip("lz4.frame")
    pk, _ = _evil(tmp_path)
    path = tmp_path / "model.pkl.lz4"
    path.write_bytes(lz4_frame.compress(pickle.dumps({"w": 1}, protocol=4)) + _zstd_frame(pk))
    r = scan_file(path)
    # the zstd frame is judged as zstd at offset 0 is: mlbom cannot read it (error)
    assert r.verdict == "error", (r.format, _ids(r))
    assert {"compressed.trailing-stream", "archive.unsupported"} <= set(_ids(r))


def test_nothing_but_skippable_frames_is_not_safe(tmp_path: Path) -> None:
    pytest.importorskip("lz4.frame")
    path = tmp_path / "model.pkl.lz4"
    path.write_bytes(_skippable(16) + _skippable(700, 1))
    r = scan_file(path)
    assert r.verdict == "error" and "lz4.skippable-only" in _ids(r), (r.format, _ids(r))


@pytest.mark.parametrize("codec", ["bz2", "xz", "zlib"])
@pytest.mark.parametrize("tail", ["gzip", "zstd", "zip", "pickle"])
def test_bytes_after_the_last_stream_that_start_another_format_are_suspicious(
        codec: str, tail: str, tmp_path: Path) -> None:
    pk, _ = _evil(tmp_path)
    benign = pickle.dumps({"w": [1.0, 2.0]}, protocol=4)
    first = {"bz2": bz2.compress, "xz": lzma.compress, "zlib": zlib.compress}[codec](benign)
    second = {"gzip": gzip.compress(pk, mtime=0), "zstd": _zstd_frame(pk),
              "zip": b"PK\x03\x04" + b"\x00" * 60, "pickle": pk}[tail]
    path = tmp_path / f"model.pkl.{codec}"
    path.write_bytes(first + second)
    r = scan_file(path)
    ids = _ids(r)
    assert r.verdict in ("suspicious", "unsafe", "error"), (r.format, ids)
    assert "compressed.trailing-stream" in ids or "compressed.multi-stream" in ids, ids
    assert "compressed.trailing-data" not in ids


def test_zero_padding_after_a_stream_is_still_a_low_note(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl.bz2"
    path.write_bytes(bz2.compress(pickle.dumps({"w": 1}, protocol=4)) + b"\x00" * 100)
    r = scan_file(path)
    assert r.verdict == "safe" and "compressed.trailing-data" in _ids(r), _ids(r)


def test_a_zst_dataset_shard_behind_a_skippable_frame_fails_the_gate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom.cli import main

    pk, _ = _evil(tmp_path)
    ds = tmp_path / "ds"
    (ds / "data").mkdir(parents=True)
    (ds / "README.md").write_text("---\nlicense: mit\n---\n# ds\n")
    (ds / "data" / "train-000.zst").write_bytes(_skippable(8) + _zstd_frame(pk))
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "bom.json"
    main(["-q", "generate", "--no-gpu", "--dataset", str(ds), "-o", str(out)])
    doc = json.loads(out.read_text())
    verdicts = {c["name"]: {p["name"]: p["value"] for p in c.get("properties", [])}.get("mlbom:safety:verdict")
                for c in doc["components"] if c.get("type") == "file"}
    assert verdicts.get("data/train-000.zst") == "error", verdicts
    capsys.readouterr()
    assert main(["check", str(out)]) != 0


# ---- 18c-1 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 40, 300])
def test_zero_byte_empty_lzma_streams_then_an_xz_pickle(n: int, tmp_path: Path) -> None:
    pk, marker = _evil(tmp_path, protocol=2)
    path = tmp_path / "model.pkl.xz"
    path.write_bytes(b"\x00" * 18 * n + lzma.compress(pk))
    r = scan_file(path)
    assert r.verdict == "unsafe" and r.format == "pickle+lzma", (r.format, _ids(r))
    assert _runs(f"import lzma, pickle; pickle.load(lzma.open({str(path)!r}))", marker)


def test_zero_byte_empty_lzma_streams_then_an_lzma_alone_pickle(tmp_path: Path) -> None:
    pk, _ = _evil(tmp_path, protocol=2)
    path = tmp_path / "model.pkl.lzma"
    path.write_bytes(b"\x00" * 18 * 50 + lzma.compress(pk, format=lzma.FORMAT_ALONE))
    r = scan_file(path)
    assert r.verdict == "unsafe", (r.format, _ids(r))


@pytest.mark.parametrize("tail", [b"", b"\x01\x02raw weights" * 10, b"\x00" * 7])
def test_zeros_that_no_reader_decodes_to_anything_are_not_lzma(tail: bytes, tmp_path: Path) -> None:
    raw = b"\x00" * 18 * 100 + tail
    assert not compression.lzma_chain_in_file(io.BytesIO(raw))
    path = tmp_path / "weights.bin"
    path.write_bytes(raw)
    assert "lzma" not in scan_file(path).format


# ---- 18c-3 ---------------------------------------------------------------------------------

class _Counting:
    """A decoder that counts the bytes fed to it."""

    fed = 0

    def __init__(self, inner: compression._Decoder) -> None:
        self._d = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._d, name)

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        _Counting.fed += len(data)
        return self._d.decompress(data, max_length)


@pytest.mark.parametrize("codec", ["lzma", "xz", "bz2", "gzip"])
def test_many_tiny_streams_cost_work_linear_in_the_file(codec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    one = {"lzma": lambda b: lzma.compress(b, format=lzma.FORMAT_ALONE), "xz": lzma.compress,
           "bz2": bz2.compress, "gzip": lambda b: gzip.compress(b, mtime=0)}[codec](b"a")
    raw = one * (200_000 // len(one))
    for name in ("_new_decoder", "_next_stream_decoder"):
        real = getattr(compression, name)
        monkeypatch.setattr(compression, name, lambda c, _r=real: _Counting(_r(c)))
    _Counting.fed = 0
    d = Decompressing(io.BytesIO(raw), codec)
    assert d.read(1 << 22) == b"a" * (len(raw) // len(one))
    # before 18c-3 every stream's decoder was handed a 64 KiB block: ~ streams x 64 KiB
    assert _Counting.fed < 8 * len(raw), (_Counting.fed, len(raw))


class _CountingBuf(Decompressing):
    """Counts how often the output buffer is rebuilt."""

    rebuilt = 0

    def __setattr__(self, name: str, value: object) -> None:
        if name == "buf":
            _CountingBuf.rebuilt += 1
        super().__setattr__(name, value)


def test_many_small_outputs_are_joined_once_per_fill() -> None:
    """30-byte streams: one ``read`` of 1 MiB gathers 35,000 pieces. The buffer was rebuilt
    (copied whole) per piece — quadratic, 2.6 s of the 6.4 s scan; now once per fill."""
    one = lzma.compress(b"a" * 30, format=lzma.FORMAT_ALONE)
    raw = one * (900_000 // len(one))
    _CountingBuf.rebuilt = 0
    d = _CountingBuf(io.BytesIO(raw), "lzma")
    t = time.process_time()
    got = 0
    while chunk := d.read(1 << 20):
        got += len(chunk)
    assert got == 30 * (900_000 // len(one))
    assert _CountingBuf.rebuilt < 10, _CountingBuf.rebuilt
    assert time.process_time() - t < 10  # ~0.5 s here; a loose bound for a loaded machine


def test_streams_past_the_bound_stop_the_reading_after_judging_what_came_before(tmp_path: Path) -> None:
    d = Decompressing(io.BytesIO(gzip.compress(b"x", mtime=0) * 50), "gzip", Limits(max_streams=10))
    assert d.read(5) + d.read(100) == b"x" * 10  # the streams before the bound are handed out first
    with pytest.raises(FormatError, match="more than 10 compressed streams"):
        d.read(1)


# ---- 18c-4 ---------------------------------------------------------------------------------

def test_a_payload_behind_a_long_run_of_empty_gzip_members_is_read(tmp_path: Path) -> None:
    pk, marker = _evil(tmp_path)
    path = tmp_path / "model.pkl.gz"
    path.write_bytes(gzip.compress(b"", mtime=0) * 4100 + gzip.compress(pk, mtime=0))
    r = scan_file(path)
    assert r.verdict == "unsafe", (r.format, _ids(r))
    assert _runs(f"import gzip, pickle; pickle.load(gzip.open({str(path)!r}))", marker,
                 env={**os.environ, "PYTHONPATH": ""})


@pytest.mark.parametrize("tail", ["gzip", "pickle"])
def test_another_codec_after_the_last_stream_is_judged_too(tail: str, tmp_path: Path) -> None:
    """The bytes after the last bz2 stream are a gzip member (or a pickle): gzip.open / pickle.load
    of the same file under another name reads them: judged, the worst reading wins."""
    pk, _ = _evil(tmp_path)
    second = gzip.compress(pk, mtime=0) if tail == "gzip" else pk
    path = tmp_path / "model.pkl.bz2"
    path.write_bytes(bz2.compress(pickle.dumps({"w": 1}, protocol=4)) + second)
    r = scan_file(path)
    assert r.verdict == "unsafe" and "compressed.trailing-stream" in _ids(r), (r.format, _ids(r))


def test_a_zero_run_is_counted_not_decoded() -> None:
    """A zeroed raw file of any length is not lzma (quickly: the run is counted in bulk); a run
    longer than the stream bound before a stream fails closed (read as lzma, which stops)."""
    assert not compression.lzma_chain_in_file(io.BytesIO(b"\x00" * (3 << 20)))
    tail = lzma.compress(b"payload")
    assert compression.lzma_chain_in_file(io.BytesIO(b"\x00" * (18 * 20 + 5) + tail), Limits(max_streams=10))
    assert not compression.lzma_chain_in_file(io.BytesIO(b"\x00" * (18 * 20 + 5) + tail))  # 5 zeros + xz: refused
    assert compression.lzma_chain_in_file(io.BytesIO(b"\x00" * (18 * 20) + tail))


def test_many_real_members_read_on_past_the_bound() -> None:
    """BGZF-like: members of real size (over MIN_STREAM_BYTES each) are read past the count."""
    blocks = [os.urandom(3000) for _ in range(30)]
    raw = b"".join(gzip.compress(b, mtime=0) for b in blocks)
    d = Decompressing(io.BytesIO(raw), "gzip", Limits(max_streams=10))
    assert d.read(1 << 20) == b"".join(blocks)
