"""formats.compression on its own: codec sniffing, streaming decompression of real joblib
files, and the bomb/truncation contract (FormatError / BombError, never another exception)."""

from __future__ import annotations

import gzip
import io
import zlib

import pytest

from mlbom.formats.compression import BombError, Decompressing, Limits, detect, zlib_confirmed
from mlbom.formats.weights import FormatError
from tests.conftest import FIXTURES

BENIGN = FIXTURES / "scan" / "benign"


def _drain(d: Decompressing) -> bytes:
    """Everything ``d`` yields (``read`` hands out at most one chunk per call, like a stream)."""
    parts = []
    while chunk := d.read(1 << 16):
        parts.append(chunk)
    return b"".join(parts)


@pytest.mark.parametrize(("name", "codec"), [("sk_forest_gzip.joblib", "gzip"), ("sk_forest_bz2.joblib", "bz2"),
                                             ("sk_forest_xz.joblib", "xz"), ("sk_forest_lzma.joblib", "lzma"),
                                             ("sk_forest_zlib.joblib", "zlib"), ("sk_forest.joblib", None)])
def test_detects_real_joblib_codecs(name: str, codec: str | None) -> None:
    assert detect((BENIGN / name).read_bytes()[:64]) == codec


def test_streams_a_real_gzip_file_to_a_pickle() -> None:
    raw = (BENIGN / "sk_forest_gzip.joblib").read_bytes()
    d = Decompressing(io.BytesIO(raw), "gzip")
    out = _drain(d)
    assert out == gzip.decompress(raw) and out[:1] == b"\x80"


def test_zlib_confirmed_needs_a_valid_header() -> None:
    assert zlib_confirmed(zlib.compress(b"x" * 100))
    assert not zlib_confirmed(b"x\x00not zlib")


def test_truncated_stream_is_a_format_error() -> None:
    raw = gzip.compress(b"hello" * 1000)[:-20]
    with pytest.raises(FormatError):
        _drain(Decompressing(io.BytesIO(raw), "gzip"))


def test_garbage_after_magic_is_a_format_error() -> None:
    with pytest.raises(FormatError):
        _drain(Decompressing(io.BytesIO(b"\x1f\x8b\x08\x00" + b"\xff" * 64), "gzip"))


def test_output_beyond_the_budget_is_a_bomb() -> None:
    raw = gzip.compress(b"\0" * (4 << 20))
    with pytest.raises(BombError):
        _drain(Decompressing(io.BytesIO(raw), "gzip", Limits(max_output=1 << 20)))


def test_unknown_codec_is_a_format_error() -> None:
    with pytest.raises(FormatError):
        _drain(Decompressing(io.BytesIO(b"abc"), "zstd-unknown"))
