"""Property: byte-level mutations of each container family's seed files, scanned in ONE batch,
each get a verdict — no internal error, no abort, exit 0/1/2 (issue #12 "Bad input")."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.mutations import check_batch, write_corpus

BENIGN = FIXTURES / "scan" / "benign"
HOSTILE = FIXTURES / "hostile" / "scanner"
FAMILIES: dict[str, list[Path]] = {
    "safetensors": [BENIGN / "model.safetensors"],
    "torch-zip": [BENIGN / "torch_state_dict.pt", BENIGN / "torch_training.pt", BENIGN / "torchscript.pt"],
    "torch-legacy": [BENIGN / "torch_legacy.pt", HOSTILE / "torch-legacy-tar-evil.pt"],
    "joblib-compressed": [BENIGN / f"sk_forest_{c}.joblib" for c in ("zlib", "gzip", "bz2", "xz", "lzma", "lz4")]
    + [HOSTILE / "joblib-0.8-zfile.pkl"],
    "pickle": [BENIGN / "sk_forest.joblib", BENIGN / "pandas_frame.pkl"],
    "npy": [BENIGN / "np_float.npy", BENIGN / "np_structured.npy", BENIGN / "np_object.npy"],
    "npz-zip": [BENIGN / "np_archive.npz", BENIGN / "np_archive_compressed.npz", HOSTILE / "zip-name-mismatch.pt"],
    "gzip-tar": [BENIGN / "config.json.gz", HOSTILE / "model-archive.tar.gz"],
}


def _mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        i = rng.randrange(len(b)) if b else 0
        if op == 0 and b:  # flip bits
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1 and b:  # set a byte to an edge value
            b[i] = rng.choice((0, 1, 0x7F, 0x80, 0xFF))
        elif op == 2:  # truncate
            del b[rng.randrange(len(b) + 1):]
        elif op == 3:  # insert random bytes
            b[i:i] = rng.randbytes(rng.randint(1, 16))
        elif op == 4 and len(b) > 8:  # duplicate a chunk
            j = rng.randrange(len(b) - 4)
            b[i:i] = b[j:j + rng.randint(1, 64)]
        elif op == 5 and len(b) >= 4:  # overwrite a 32-bit field with an edge value
            b[i:i + 4] = rng.choice((b"\xff\xff\xff\xff", b"\0\0\0\0", b"\x00\x00\x00\x80", b"\x01\0\0\0"))
    return bytes(b)


def test_mutations_of_every_family_get_a_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A quick sample for the default suite (60 mutations per family)."""
    check_batch(tmp_path, write_corpus(tmp_path, FAMILIES, 60, seed=1234, mutate=_mutate), capsys)


@pytest.mark.slow
def test_1000_mutations_per_family_in_one_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_batch(tmp_path, write_corpus(tmp_path, FAMILIES, 1000, seed=1234, mutate=_mutate), capsys)
