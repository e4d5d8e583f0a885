"""formats.datafile.detect on real heads and on edge cases (cut UTF-8, NUL bytes, empty)."""

from __future__ import annotations

from mlbom.formats.datafile import detect
from tests.conftest import FIXTURES

BENIGN = FIXTURES / "scan" / "benign"


def test_real_files() -> None:
    assert detect((BENIGN / "config.json.gz").read_bytes()[:4096]) == "gzip"
    assert detect((BENIGN / "np_float.npy").read_bytes()[:4096]) == "numpy"


def test_media_containers() -> None:
    assert detect(b"RIFF\0\0\0\0WAVEfmt ") == "wav"
    assert detect(b"\0\0\0\x18ftypmp42") == "mp4"


def test_binary_and_text_edges() -> None:
    assert detect(b"abc\x00def") == "binary"
    assert detect(b"\xff\xfe\xfd garbage that is not utf-8 at all") == "binary"
    cut = ("é" * 2048).encode("utf-8")[:4095]  # a two-byte character cut at the end
    assert detect(cut) != "binary"
    assert isinstance(detect(b""), str)
