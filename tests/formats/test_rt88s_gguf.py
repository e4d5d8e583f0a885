"""Red team 88s-5..8 (/work/redteam-88s): GGUF tensor table and header read as llama.cpp's
``gguf_init_from_reader`` (ggml/src/gguf.cpp) reads them. Inputs are built here."""

from __future__ import annotations

import struct

import pytest

from mlbom.scanner import scan_bytes


def _s(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(raw)) + raw


def _kv_str(key: str | bytes, value: str) -> bytes:
    return _s(key) + struct.pack("<I", 8) + _s(value)


ARCH = _kv_str("general.architecture", "llama")


def _gguf(kvs: list[bytes], tensors: list[tuple[bytes, list[int], int, int]], data: bytes = b"",
          version: int = 3) -> bytes:
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs)) + b"".join(kvs)
    for name, dims, ttype, offset in tensors:
        out += _s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<q", d) for d in dims)
        out += struct.pack("<IQ", ttype, offset)
    return out + b"\0" * (-len(out) % 32) + data


def _scan(data: bytes) -> tuple[str, list[str]]:
    r = scan_bytes(data, "m.gguf")
    return r.verdict, [f"{f.id}: {f.message}" for f in r.findings]


# 88s-5: every ggml type is sized (llama.cpp's type_traits); unknown and removed types refused
@pytest.mark.parametrize(("tensors", "data", "message"), [
    ([(b"w", [32], 9999, 0)], b"\0" * 64, "type 9999 is not a ggml type"),
    ([(b"w", [32], 42, 0)], b"\0" * 64, "type 42 is not a ggml type"),
    ([(b"w", [32], 4, 0)], b"\0" * 64, "type 4 was removed"),
    ([(b"w", [32], 31, 0)], b"\0" * 64, "type 31 was removed"),
    ([(b"a", [32], 20, 0), (b"b", [8], 0, 0)], bytes(range(64)), "offset 0, expected 32"),  # IQ4_NL: 18 bytes
    ([(b"a", [256], 23, 0), (b"b", [8], 0, 64)], b"\0" * 256, "offset 64, expected 160"),  # IQ4_XS: 136 bytes
    ([(b"a", [64], 39, 0)], b"\0" * 16, "past the end"),  # MXFP4: 2 blocks of 17 bytes
], ids=["type-9999", "type-42", "removed-4", "removed-31", "iq4nl-overlap", "iq4xs-gap", "mxfp4-past-end"])
def test_88s_5_every_tensor_type_is_sized(tensors: list[tuple[bytes, list[int], int, int]], data: bytes,
                                          message: str) -> None:
    verdict, msgs = _scan(_gguf([ARCH], tensors, data))
    assert verdict == "error" and any(m.startswith("format.invalid") and message in m for m in msgs), msgs


@pytest.mark.parametrize(("ttype", "elements", "nbytes"), [
    (20, 32, 18), (16, 256, 66), (29, 256, 56), (34, 256, 54), (35, 256, 66), (39, 32, 17), (40, 64, 36),
    (41, 128, 18), (30, 1, 2),
], ids=["IQ4_NL", "IQ2_XXS", "IQ1_M", "TQ1_0", "TQ2_0", "MXFP4", "NVFP4", "Q1_0", "BF16"])
def test_88s_5_known_types_laid_out_back_to_back_are_safe(ttype: int, elements: int, nbytes: int) -> None:
    padded = nbytes + (-nbytes % 32)
    data = _gguf([ARCH], [(b"a", [elements], ttype, 0), (b"b", [8], 0, padded)], b"\0" * (padded + 32))
    assert _scan(data) == ("safe", [])


def test_88s_5_q8_1_is_sized_differently_by_the_readers() -> None:
    verdict, msgs = _scan(_gguf([ARCH], [(b"a", [32], 9, 0)], b"\0" * 64))
    assert verdict == "suspicious" and any(m.startswith("gguf.tensor-size-differential") for m in msgs), msgs


# 88s-6: the ROW (ne[0]) must be a whole number of blocks, not the element count
def test_88s_6_row_not_a_whole_number_of_blocks() -> None:
    verdict, msgs = _scan(_gguf([ARCH], [(b"w", [16, 2], 2, 0)], b"\0" * 64))
    assert verdict == "error" and any("rows of 16 elements" in m for m in msgs), msgs
    assert _scan(_gguf([ARCH], [(b"w", [32, 2], 2, 0)], b"\0" * 64)) == ("safe", [])


# 88s-7: tensor names are C strings to llama.cpp
def test_88s_7_tensor_name_with_a_nul_is_a_differential() -> None:
    verdict, msgs = _scan(_gguf([ARCH], [(b"token_embd.weight\0decoy", [8], 0, 0)], b"\0" * 32))
    assert verdict == "suspicious" and any(m.startswith("gguf.tensor-name-nul") for m in msgs), msgs


def test_88s_7_names_equal_up_to_the_nul_are_duplicates() -> None:
    verdict, msgs = _scan(_gguf([ARCH], [(b"w", [8], 0, 0), (b"w\0x", [8], 0, 32)], b"\1" * 32 + b"\2" * 32))
    assert verdict == "error" and any("duplicate tensor name b'w'" in m for m in msgs), msgs


def test_88s_7_name_of_64_bytes_refused() -> None:
    verdict, msgs = _scan(_gguf([ARCH], [(b"x" * 64, [8], 0, 0)], b"\0" * 32))
    assert verdict == "error", msgs
    assert _scan(_gguf([ARCH], [(b"x" * 63, [8], 0, 0)], b"\0" * 32)) == ("safe", [])


# 88s-8: version 1 and an empty metadata key are refused by llama.cpp
def test_88s_8_version_1_is_error() -> None:
    def s4(text: str) -> bytes:
        return struct.pack("<I", len(text)) + text.encode()
    data = b"GGUF" + struct.pack("<III", 1, 0, 1) + s4("general.architecture") + struct.pack("<I", 8) + s4("llama")
    verdict, msgs = _scan(data)
    assert verdict == "error" and any("version 1" in m for m in msgs), msgs


def test_88s_8_empty_metadata_key_is_error() -> None:
    verdict, msgs = _scan(_gguf([ARCH, _kv_str("", "x")], [(b"w", [8], 0, 0)], b"\0" * 32))
    assert verdict == "error" and any("metadata key 1 is empty" in m for m in msgs), msgs
    assert _scan(_gguf([ARCH], [(b"w", [8], 0, 0)], b"\0" * 32)) == ("safe", [])
