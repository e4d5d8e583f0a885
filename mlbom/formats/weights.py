"""Header parsers for weight formats that carry no code: safetensors, NumPy ``.npy``, and Git
LFS pointer files (GGUF lives in :mod:`mlbom.formats.gguf`, ONNX in :mod:`mlbom.formats.onnx`).

Specs: safetensors https://github.com/huggingface/safetensors (8-byte little-endian header
length, JSON header, data); GGUF https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
(v1–v3); NPY https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html; ONNX
https://github.com/onnx/onnx/blob/main/onnx/onnx.proto; Git LFS pointers
https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md.

Every parser reads a bounded prefix of the file and checks each declared length against the
file size before trusting it. Each raises :class:`FormatError` with a precise message.
"""

from __future__ import annotations

import ast
import itertools
import json
import math
import re
import struct
from dataclasses import dataclass, field
from typing import IO

MAX_SAFETENSORS_HEADER = 100 << 20
MAX_NPY_HEADER = 1 << 16


class FormatError(ValueError):
    """The file claims a format and breaks it (truncated, lengths past the end, bad JSON)."""


@dataclass
class Facts:
    """What a header says: free-form facts (``mlbom:`` properties) and findings."""

    facts: dict[str, str] = field(default_factory=dict)
    findings: list[tuple[str, str, str]] = field(default_factory=list)  # (id, severity, message)
    pickle_offset: int | None = None  # npy object arrays: where the embedded pickle starts


def read_exact(fh: IO[bytes], n: int, what: str) -> bytes:
    """Exactly ``n`` bytes from ``fh`` or :class:`FormatError` naming ``what`` was cut short."""
    data = fh.read(n)
    if len(data) != n:
        raise FormatError(f"truncated: {what} needs {n} bytes, {len(data)} left")
    return data


_read_exact = read_exact


# ---- safetensors -----------------------------------------------------------------------

_ST_DTYPES = {"BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "I16", "U16",
              "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64", "C64"}


def parse_safetensors(fh: IO[bytes], size: int) -> Facts:
    """Header of a safetensors file: tensor count, dtypes, parameter count, ``__metadata__``;
    the header length and every tensor's data offsets are checked against the file size."""
    if size < 8:
        raise FormatError(f"truncated: {size} bytes, the 8-byte header length is missing")
    (n,) = struct.unpack("<Q", _read_exact(fh, 8, "header length"))
    if n > size - 8:
        raise FormatError(f"header length {n} exceeds the file ({size - 8} bytes after the length field)")
    if n > MAX_SAFETENSORS_HEADER:
        raise FormatError(f"header length {n} exceeds the {MAX_SAFETENSORS_HEADER >> 20} MiB limit")
    try:
        header = json.loads(_read_exact(fh, n, "header"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormatError(f"header is not valid JSON: {exc}") from exc
    if not isinstance(header, dict):
        raise FormatError("header is not a JSON object")
    data_len = size - 8 - n
    facts = Facts()
    meta = header.pop("__metadata__", None)
    params = 0
    dtypes: set[str] = set()
    spans: list[tuple[int, int, str]] = []
    for name, info in header.items():
        if not isinstance(info, dict):
            raise FormatError(f"tensor {name!r}: entry is not an object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in _ST_DTYPES:
            raise FormatError(f"tensor {name!r}: unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise FormatError(f"tensor {name!r}: bad shape {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= data_len):
            raise FormatError(f"tensor {name!r}: data_offsets {offsets!r} outside the {data_len}-byte data section")
        dtypes.add(dtype)
        params += math.prod(shape)
        spans.append((offsets[0], offsets[1], name))
    spans.sort()
    for (_a0, a1, an), (b0, _b1, bn) in itertools.pairwise(spans):
        if b0 < a1:
            facts.findings.append(("safetensors.overlap", "medium", f"tensors {an!r} and {bn!r} share bytes"))
    facts.facts["tensors"] = str(len(spans))
    facts.facts["parameters"] = str(params)
    facts.facts["dtypes"] = ",".join(sorted(dtypes))
    if isinstance(meta, dict):
        for k, v in sorted(meta.items())[:32]:
            facts.facts[f"metadata.{k}"] = str(v)[:200]
    return facts


# ---- NumPy -----------------------------------------------------------------------------

def parse_npy(fh: IO[bytes], size: int) -> Facts:
    """NPY header: dtype, shape; an object dtype means a pickle follows the header."""
    magic = _read_exact(fh, 6, "magic")
    if magic != b"\x93NUMPY":
        raise FormatError("not NPY (bad magic)")
    major, _minor = _read_exact(fh, 2, "version")
    if major == 1:
        (hlen,) = struct.unpack("<H", _read_exact(fh, 2, "header length"))
    elif major in (2, 3):
        (hlen,) = struct.unpack("<I", _read_exact(fh, 4, "header length"))
    else:
        raise FormatError(f"unknown NPY version {major}")
    if hlen > MAX_NPY_HEADER:
        raise FormatError(f"header of {hlen} bytes exceeds the limit")
    raw = _read_exact(fh, hlen, "header").decode("latin-1")
    try:
        header = ast.literal_eval(raw)  # literals only: no names, no calls
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise FormatError(f"header is not a Python literal: {exc}") from exc
    if not isinstance(header, dict) or "descr" not in header or "shape" not in header:
        raise FormatError("header lacks descr/shape")
    facts = Facts()
    descr = str(header["descr"])
    facts.facts["dtype"] = descr[:100]
    facts.facts["shape"] = str(header["shape"])[:100]
    if "O" in descr:
        facts.pickle_offset = fh.tell()
        facts.findings.append(("numpy.object-array", "medium", "object array: loading it unpickles Python objects"))
    return facts


# ---- Git LFS ---------------------------------------------------------------------------

_LFS = re.compile(rb"^version https://git-lfs\.github\.com/spec/v1\n(?:.*\n)*?oid sha256:([0-9a-f]{64})\n(?:.*\n)*?size (\d+)",
                  re.MULTILINE)


def parse_lfs_pointer(head: bytes) -> Facts | None:
    """A Git LFS pointer file: the real content is not present."""
    m = _LFS.match(head)
    if not m:
        return None
    facts = Facts()
    facts.facts["lfs.oid"] = m.group(1).decode()
    facts.facts["lfs.size"] = m.group(2).decode()
    facts.findings.append(("file.lfs-pointer", "medium",
                           f"Git LFS pointer: the {int(m.group(2))}-byte content (sha256 {m.group(1).decode()}) is not present"))
    return facts
