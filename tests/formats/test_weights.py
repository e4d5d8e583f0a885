"""formats.weights on its own: safetensors and npy headers of real files, and the contract that
every header the real loaders refuse is a FormatError (never another exception)."""

from __future__ import annotations

import io
import json
import struct

import pytest

from mlbom.formats.weights import FormatError, literal, parse_npy, parse_safetensors
from tests.conftest import FIXTURES

BENIGN = FIXTURES / "scan" / "benign"


def _st(header: object, data: bytes = b"") -> bytes:
    h = json.dumps(header).encode() if not isinstance(header, bytes) else header
    return struct.pack("<Q", len(h)) + h + data


def test_real_safetensors_and_npy() -> None:
    raw = (BENIGN / "model.safetensors").read_bytes()
    facts = parse_safetensors(io.BytesIO(raw), len(raw))
    assert isinstance(facts.facts, dict)
    raw = (BENIGN / "np_float.npy").read_bytes()
    assert parse_npy(io.BytesIO(raw), len(raw)).pickle_offset is None
    raw = (BENIGN / "np_object.npy").read_bytes()
    assert parse_npy(io.BytesIO(raw), len(raw)).pickle_offset is not None


def test_valid_minimal_safetensors() -> None:
    raw = _st({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8)
    parse_safetensors(io.BytesIO(raw), len(raw))


@pytest.mark.parametrize("raw", [
    b"",
    b"\x01\0\0",
    struct.pack("<Q", 1 << 40) + b"{}",  # header longer than the file
    _st(b"[1, 2]"),  # not an object
    _st(b"{\"a\": 1, \"a\": 2}"),  # a key twice
    _st({"w": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),  # unknown dtype
    _st({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4),  # negative shape
    _st({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4),  # span ≠ shape × size
    _st({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8),  # a hole at 0
    _st({"__metadata__": {"k": 1}}),  # metadata not string → string
    _st(b"{" + b"[" * 200 + b"]" * 200 + b"}"),  # nesting beyond serde_json's limit
    _st(b"{\"w\": \xff}"),  # not UTF-8
    # red team 43f-2: what serde_json (the safetensors library's reader) refuses and Python's json reads
    _st(b'{"a\\ud800": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', b"\0" * 4),  # lone surrogate
    _st(b'{"__metadata__": {"k": "\\udc00"}}'),  # a lone surrogate in a value
    _st(b'{"__metadata__": {"k": "v"}, "x": ["\\ud800"]}'),  # one in an array
    _st(b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": NaN}}', b"\0" * 4),
    _st(b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": -Infinity}}', b"\0" * 4),
    _st(b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1e400}}', b"\0" * 4),
])
def test_refused_safetensors_headers(raw: bytes) -> None:
    with pytest.raises(FormatError):
        parse_safetensors(io.BytesIO(raw), len(raw))


@pytest.mark.parametrize("raw", [b"", b"\x93NUMPY", b"\x93NUMPY\x01\x00\xff\xff" + b"{" * 10,
                                 b"\x93NUMPY\x09\x00\x10\x00{'descr': '<f4'}\n",
                                 b"\x93NUMPY\x01\x00\x10\x00" + b"__import__('os')",
                                 b"NOTNUMPY" + b"\0" * 32])
def test_refused_npy_headers(raw: bytes) -> None:
    with pytest.raises(FormatError):
        parse_npy(io.BytesIO(raw), len(raw))


def test_literal_is_not_eval() -> None:
    assert literal("{'descr': '<f4', 'shape': (2, 3)}") == {"descr": "<f4", "shape": (2, 3)}
    with pytest.raises(FormatError):
        literal("__import__('os').system('true')")
    with pytest.raises(FormatError):
        literal("(" * 500 + ")" * 500)
