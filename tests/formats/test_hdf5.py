"""The pure-Python HDF5 root-attribute reader on real files, and on broken ones."""

from __future__ import annotations

import contextlib
import io
import random
from pathlib import Path

import pytest

from mlbom.formats.hdf5 import SIGNATURE, parse_hdf5, read_root_attributes, text_attribute
from mlbom.formats.weights import FormatError

KERAS = Path(__file__).resolve().parent.parent / "fixtures" / "keras"
H5 = sorted(KERAS.glob("*/*.h5"))


def parse(data: bytes):  # type: ignore[no-untyped-def]
    return parse_hdf5(io.BytesIO(data), len(data))


@pytest.mark.parametrize("name", ["functional-legacy.h5", "sequential-legacy.h5", "h5py-superblock0.h5",
                                  "h5py-superblock3.h5"])
def test_model_config_read_as_attribute(name: str) -> None:
    data = (KERAS / "benign" / name).read_bytes()
    attrs = read_root_attributes(io.BytesIO(data), len(data))
    config = text_attribute(attrs, "model_config")
    assert config is not None and config.startswith('{"class_name"')
    f = parse(data)
    assert f.findings == [] and f.facts["keras.model-config"] == "true"


def test_superblock_versions() -> None:
    assert parse((KERAS / "benign" / "h5py-superblock0.h5").read_bytes()).facts["hdf5.superblock"] == "0"
    assert parse((KERAS / "benign" / "h5py-superblock3.h5").read_bytes()).facts["hdf5.superblock"] == "3"


def test_legacy_h5_facts() -> None:
    f = parse((KERAS / "benign" / "functional-legacy.h5").read_bytes())
    assert f.facts["keras.keras-version"] == "3.15.1" and f.facts["keras.backend"] == "torch"


@pytest.mark.parametrize("name", ["functional.weights.h5", "h5py-no-config.h5"])
def test_weights_only_files_have_no_config(name: str) -> None:
    f = parse((KERAS / "benign" / name).read_bytes())
    assert f.findings == [] and "keras.model-config" not in f.facts


@pytest.mark.parametrize(("name", "fid"), [("lambda-legacy.h5", "keras.lambda"),
                                           ("h5py-os-system.h5", "keras.dangerous-module")])
def test_malicious_configs(name: str, fid: str) -> None:
    assert parse((KERAS / "malicious" / name).read_bytes()).effects[fid] == "unsafe"


def test_lambda_spelled_without_the_byte_pattern() -> None:
    # The old byte search looked for '"class_name": "Lambda"'; JSON escapes defeat it, parsing does not.
    data = bytearray((KERAS / "malicious" / "lambda-legacy.h5").read_bytes())
    assert b'"class_name": "Lambda"' in data
    f = parse(bytes(data))
    assert f.effects["keras.code-layer"] == "unsafe"


def test_superblock_at_512_with_user_block() -> None:
    data = (KERAS / "benign" / "h5py-superblock0.h5").read_bytes()
    # A user block shifts the file; the base address in the superblock says where offsets start.
    shifted = bytearray(b"\x00" * 512 + data)
    base_at = 512 + 8 + 16  # v0: base address after 8 signature + 16 bytes of fields
    shifted[base_at:base_at + 8] = (512).to_bytes(8, "little")
    f = parse(bytes(shifted))
    assert f.facts["keras.model-config"] == "true"


@pytest.mark.parametrize("data", [
    b"", b"\x89HDF\r\n\x1a", SIGNATURE + b"\x09", SIGNATURE + b"\x00" * 4 + b"\x03\x08",
    SIGNATURE + b"\x02\x08\x08\x00" + b"\xff" * 32,
    SIGNATURE + b"\x02\x08\x08\x00" + b"\x00" * 24 + (1 << 40).to_bytes(8, "little"),
])
def test_malformed_headers(data: bytes) -> None:
    with pytest.raises(FormatError):
        parse(data)


@pytest.mark.parametrize("path", H5, ids=[p.name for p in H5])
def test_every_truncation_is_a_format_error_or_a_result(path: Path) -> None:
    data = path.read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 300)):
        with contextlib.suppress(FormatError):
            parse(data[:cut])


@pytest.mark.parametrize("path", H5, ids=[p.name for p in H5])
def test_random_mutations_never_crash(path: Path) -> None:
    rng = random.Random(path.name)
    data = path.read_bytes()
    for _ in range(150):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(min(len(buf), 4096))  # the headers live at the start
            buf[i] = rng.randrange(256)
        with contextlib.suppress(FormatError):
            parse(bytes(buf))


def test_continuation_loop_is_detected() -> None:
    data = bytearray((KERAS / "benign" / "h5py-superblock0.h5").read_bytes())
    # Point a v1 continuation message at its own block: find the root header (address in the superblock).
    root = int.from_bytes(data[8 + 16 + 8 * 4 + 8: 8 + 16 + 8 * 4 + 16], "little")
    assert data[root] == 1  # v1 object header
    block = root + 16
    data[block:block + 8] = (0x10).to_bytes(2, "little") + (16).to_bytes(2, "little") + b"\x00" * 4
    data[block + 8:block + 24] = block.to_bytes(8, "little") + (24).to_bytes(8, "little")
    with pytest.raises(FormatError, match=r"loops|outside|truncated"):
        read_root_attributes(io.BytesIO(bytes(data)), len(data))


def test_user_block_before_the_superblock() -> None:
    from mlbom.formats.hdf5 import signature_offset

    data = (KERAS / "malicious" / "h5py-os-system.h5").read_bytes()
    # h5py's userblock_size=512 layout: 512 bytes of anything, then the file with addresses relative to it.
    shifted = b'{"note": "a JSON user block"}'.ljust(512) + data
    assert signature_offset(io.BytesIO(shifted), len(shifted)) == 512
    assert signature_offset(io.BytesIO(b"x" * 600), 600) is None
    f = parse(shifted)
    assert f.effects["keras.dangerous-module"] == "unsafe"
