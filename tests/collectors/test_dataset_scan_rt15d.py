"""Red team 15d-2: a dataset's files compressed with any codec the scanner decompresses
(LZMA-alone, lz4 frames, joblib's "ZF" container, as well as gzip/bz2/xz/zlib) are scanned and
judged, whatever their name; a name is looked past its compression suffixes (``train.pkl.xz``)."""

from __future__ import annotations

import json
import lzma
import pickle
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.formats import datafile


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({self.marker!r},'a').write('ran')",))


def _zf(data: bytes) -> bytes:
    return b"ZF" + hex(len(data)).encode().ljust(19) + zlib.compress(data)  # joblib < 0.10 write_zfile


def _lz4(data: bytes) -> bytes:
    lz4_frame = pytest.importorskip("lz4.frame")
    return bytes(lz4_frame.compress(data))


_FILES = {"train.pkl.xz": lambda p: lzma.compress(p, format=lzma.FORMAT_ALONE),  # pandas.read_pickle
          "labels.lzma": lambda p: lzma.compress(p, format=lzma.FORMAT_ALONE),  # joblib.load
          "cache.bin": _zf,  # joblib.load
          "features.bin": _lz4}  # joblib.load


@pytest.mark.parametrize("name", sorted(_FILES))
def test_compressed_pickles_in_a_dataset_are_judged(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / name).write_bytes(_FILES[name](pickle.dumps(_Evil(str(tmp_path / "MARKER")), protocol=2)))
    (ds / "data.csv").write_text("a,b\n1,2\n3,4\n")
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "bom.json"
    main(["-q", "generate", "--no-gpu", "--dataset", str(ds), "-o", str(out)])
    files = {c["name"]: {p["name"]: p["value"] for p in c.get("properties", [])}
             for c in json.loads(out.read_text())["components"] if c.get("type") == "file"}
    assert files[name].get("mlbom:safety:verdict") == "unsafe", files[name]
    assert files["data.csv"].get("mlbom:safety:verdict") is None
    capsys.readouterr()
    assert main(["check", str(out)]) == 1  # the default policy fails
    assert f"ds/{name}" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["labels.lzma", "cache.bin", "features.bin"])
def test_the_real_loader_runs_them(name: str, tmp_path: Path) -> None:
    """The proof that these files are loadable: joblib.load (in a throw-away subprocess) runs them."""
    pytest.importorskip("joblib")
    marker = tmp_path / "MARKER"
    path = tmp_path / name
    path.write_bytes(_FILES[name](pickle.dumps(_Evil(str(marker)), protocol=2)))
    subprocess.run([sys.executable, "-c", f"import joblib; joblib.load({str(path)!r})"], capture_output=True,
                   timeout=120, check=False)
    assert marker.exists()


@pytest.mark.parametrize(("head", "fmt"), [(lzma.compress(b"x" * 100, format=lzma.FORMAT_ALONE), "lzma"),
                                           (_zf(b"x" * 100), "joblib-zfile"),
                                           (b"\x04\x22\x4d\x18\x60\x40\x82" + b"\x00" * 8, "lz4"),
                                           (lzma.compress(b"x" * 100), "xz"), (zlib.compress(b"x" * 100), "zlib"),
                                           (b"BZh91AY&SY" + b"\x00" * 20, "bzip2")])
def test_datafile_detects_what_the_scanner_decompresses(head: bytes, fmt: str) -> None:
    assert datafile.detect(head) == fmt


@pytest.mark.parametrize(("name", "picked"), [("train.pkl.xz", True), ("m.joblib.lz4", True), ("w.pt.gz.bz2", True),
                                              ("data.csv.gz", True), ("notes.xz", True), ("x.pkl.csv", False),
                                              ("notes.txt", False), ("shards.tar", True), ("x.zst", True)])
def test_a_name_is_read_past_its_compression_suffixes(name: str, picked: bool) -> None:
    """A name of weights past its compression suffixes is scanned; so is any file named as
    compressed, whatever its first bytes say (pandas decompresses by the name: red team 16c-6)."""
    from mlbom.collectors import datasets
    assert datasets._scanned("binary", name) is picked


_EMPTY_ALONE = bytes([0x5D]) + (0x20).to_bytes(4, "little") + (0).to_bytes(8, "little") + b"\x00" * 5


def test_an_empty_first_lzma_stream_does_not_hide_a_shard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Red team 16c-6: an empty LZMA-alone stream, then an ``.xz`` pickle: ``LZMAFile`` (pandas'
    ``xz``) reads past the empty stream; the shard is judged and the policy fails."""
    ds = tmp_path / "ds"
    ds.mkdir()
    marker = tmp_path / "MARKER"
    shard = ds / "shard-000.xz"
    shard.write_bytes(_EMPTY_ALONE + lzma.compress(pickle.dumps(_Evil(str(marker)), protocol=2)))
    assert datafile.detect(shard.read_bytes()[:4096]) == "lzma"
    (ds / "README.md").write_text("---\nlicense: mit\n---\n# toy\n")
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "bom.json"
    main(["-q", "generate", "--no-gpu", "--dataset", str(ds), "-o", str(out)])
    files = {c["name"]: {p["name"]: p["value"] for p in c.get("properties", [])}
             for c in json.loads(out.read_text())["components"] if c.get("type") == "file"}
    assert files["shard-000.xz"].get("mlbom:safety:verdict") == "unsafe", files["shard-000.xz"]
    capsys.readouterr()
    assert main(["check", str(out)]) == 1
    code = f"import lzma, pickle; pickle.load(lzma.open({str(shard)!r}))"
    subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, check=False)
    assert marker.exists()


def test_a_file_named_compressed_is_scanned_whatever_its_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "blob.xz").write_bytes(b"\x00\x01\x02\x03" * 100)  # no codec mlbom knows: judged, never skipped
    (ds / "data.csv").write_text("a,b\n1,2\n3,4\n")
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "bom.json"
    main(["-q", "generate", "--no-gpu", "--dataset", str(ds), "-o", str(out)])
    files = {c["name"]: {p["name"]: p["value"] for p in c.get("properties", [])}
             for c in json.loads(out.read_text())["components"] if c.get("type") == "file"}
    assert files["blob.xz"].get("mlbom:safety:verdict") is not None, files["blob.xz"]
    assert files["data.csv"].get("mlbom:safety:verdict") is None
