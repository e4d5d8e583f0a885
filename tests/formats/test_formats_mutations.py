"""Property: byte-level mutations of the GGUF, ONNX, HDF5, Keras and chat-template seed files,
scanned in ONE batch, each get a verdict — no internal error, no abort, exit 0/1/2."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.mutations import check_batch, write_corpus

FIX = Path(__file__).resolve().parent.parent / "fixtures"
FAMILIES: dict[str, list[Path]] = {
    "gguf": sorted((FIX / "gguf").glob("*.gguf")),
    "onnx": sorted((FIX / "onnx").rglob("*.onnx")),
    "hdf5": sorted((FIX / "keras").glob("*/*.h5")),
    "keras": sorted((FIX / "keras").glob("*/*.keras")),
    "chat-template": [FIX / "chat_templates" / "llamacpp-Qwen-Qwen3-0.6B.jinja",
                      FIX / "chat_templates" / "llamacpp-meta-llama-Llama-3.1-8B-Instruct.jinja"],
}


def _mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.choice((1, 2, 4, 8, 32))):
        i = rng.randrange(len(buf)) if buf else 0
        op = rng.randrange(5)
        if op == 0 and buf:
            buf[i] = rng.randrange(256)
        elif op == 1:
            buf[i:i] = bytes(rng.randrange(256) for _ in range(rng.choice((1, 4, 16))))
        elif op == 2:
            del buf[i:i + rng.choice((1, 8, 64))]
        elif op == 3 and buf:
            w = rng.choice((2, 4, 8))
            buf[i:i + w] = rng.choice((0, 0xFFFFFFFF, (1 << 64) - 1, 1 << 40)).to_bytes(8, "little")[:w]
        else:
            buf = buf[:rng.randrange(len(buf) + 1)]
    return bytes(buf)


def test_mutations_of_every_format_family_get_a_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_batch(tmp_path, write_corpus(tmp_path, FAMILIES, 40, seed=12, mutate=_mutate), capsys)


@pytest.mark.slow
def test_1000_mutations_per_format_family_in_one_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_batch(tmp_path, write_corpus(tmp_path, FAMILIES, 1000, seed=12, mutate=_mutate), capsys)
