"""Header parsers for weight formats that carry no code: safetensors, GGUF, NumPy ``.npy``,
ONNX (protobuf, read field by field), and Git LFS pointer files.

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
import hashlib
import itertools
import json
import math
import re
import struct
from dataclasses import dataclass, field
from typing import IO

MAX_SAFETENSORS_HEADER = 100 << 20
MAX_GGUF_STRING = 16 << 20
MAX_GGUF_ARRAY = 1 << 24
MAX_GGUF_KV = 1 << 16
MAX_NPY_HEADER = 1 << 16
MAX_ONNX_SCAN = 256 << 20


class FormatError(ValueError):
    """The file claims a format and breaks it (truncated, lengths past the end, bad JSON)."""


@dataclass
class Facts:
    """What a header says: free-form facts (``mlbom:`` properties) and findings."""

    facts: dict[str, str] = field(default_factory=dict)
    findings: list[tuple[str, str, str]] = field(default_factory=list)  # (id, severity, message)
    pickle_offset: int | None = None  # npy object arrays: where the embedded pickle starts


def _read_exact(fh: IO[bytes], n: int, what: str) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise FormatError(f"truncated: {what} needs {n} bytes, {len(data)} left")
    return data


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


# ---- GGUF ------------------------------------------------------------------------------

_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_GGUF_FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
                    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
                    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 24: "IQ1_S", 25: "IQ4_NL", 32: "BF16"}
# Constructs that let a Jinja chat template reach Python internals or the host (template injection).
_TEMPLATE_RISKS = re.compile(r"__\w+__|\bimport\b|\bos\.|subprocess|\beval\b|\bexec\b|popen|getattr|\bcycler\b"
                             r"|\bjoiner\b|\bnamespace\.__|\blipsum\b|\brequest\b|\bconfig\.")


def check_chat_template(template: str) -> list[tuple[str, str, str]]:
    """Findings for a chat template: dunder access, imports and known SSTI gadgets."""
    hits = sorted({m.group(0) for m in _TEMPLATE_RISKS.finditer(template)})
    if hits:
        return [("template.injection", "high",
                 f"chat template uses constructs that reach Python internals: {', '.join(hits[:8])}")]
    return []


def parse_gguf(fh: IO[bytes], size: int) -> Facts:
    """GGUF header and metadata: architecture, name, quantization, chat template (hashed and
    checked for template injection), tensor count."""
    magic = _read_exact(fh, 4, "magic")
    if magic != b"GGUF":
        raise FormatError("not GGUF (bad magic)")
    (version,) = struct.unpack("<I", _read_exact(fh, 4, "version"))
    if version not in (1, 2, 3):
        raise FormatError(f"unknown GGUF version {version}")
    cfmt = "<I" if version == 1 else "<Q"
    csize = 4 if version == 1 else 8
    (n_tensors,) = struct.unpack(cfmt, _read_exact(fh, csize, "tensor count"))
    (n_kv,) = struct.unpack(cfmt, _read_exact(fh, csize, "metadata count"))
    if n_kv > MAX_GGUF_KV:
        raise FormatError(f"{n_kv} metadata entries exceed the limit of {MAX_GGUF_KV}")

    def string() -> str:
        (length,) = struct.unpack(cfmt, _read_exact(fh, csize, "string length"))
        if length > MAX_GGUF_STRING or length > size:
            raise FormatError(f"string of {length} bytes exceeds the file or the limit")
        return _read_exact(fh, length, "string").decode("utf-8", "replace")

    def value(vtype: int, depth: int = 0) -> object:
        if vtype in _GGUF_SCALARS:
            fmt = _GGUF_SCALARS[vtype]
            return struct.unpack(fmt, _read_exact(fh, struct.calcsize(fmt), "value"))[0]
        if vtype == 8:
            return string()
        if vtype == 9 and depth < 2:
            (etype,) = struct.unpack("<I", _read_exact(fh, 4, "array type"))
            (count,) = struct.unpack(cfmt, _read_exact(fh, csize, "array length"))
            if count > MAX_GGUF_ARRAY:
                raise FormatError(f"array of {count} entries exceeds the limit")
            if etype in _GGUF_SCALARS:  # skip numeric arrays (token scores) without decoding
                width = struct.calcsize(_GGUF_SCALARS[etype])
                fh.seek(width * count, 1)
                return f"[{count} values]"
            items = [value(etype, depth + 1) for _ in range(count)]
            return f"[{len(items)} entries]"
        raise FormatError(f"unknown metadata value type {vtype}")

    facts = Facts()
    facts.facts["gguf.version"] = str(version)
    facts.facts["tensors"] = str(n_tensors)
    for _ in range(n_kv):
        key = string()
        (vtype,) = struct.unpack("<I", _read_exact(fh, 4, "value type"))
        val = value(vtype)
        if key in ("general.architecture", "general.name", "general.basename", "general.size_label",
                   "general.license", "general.quantization_version", "general.base_model.0.name",
                   "general.base_model.0.repo_url"):
            facts.facts[key] = str(val)[:200]
        elif key == "general.file_type" and isinstance(val, int):
            facts.facts["quantization"] = _GGUF_FILE_TYPES.get(val, f"type {val}")
        elif key == "tokenizer.chat_template" and isinstance(val, str):
            facts.facts["chat-template.sha256"] = hashlib.sha256(val.encode()).hexdigest()
            facts.findings += check_chat_template(val)
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


# ---- ONNX ------------------------------------------------------------------------------

def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf):
            raise FormatError("truncated protobuf varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise FormatError("protobuf varint too long")


def _fields(buf: bytes) -> list[tuple[int, int, bytes | int]]:
    """Top-level fields of one protobuf message: (number, wire type, value)."""
    out: list[tuple[int, int, bytes | int]] = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
            out.append((num, wt, v))
        elif wt == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise FormatError(f"protobuf field {num} claims {n} bytes past the end")
            out.append((num, wt, buf[i:i + n]))
            i += n
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        else:
            raise FormatError(f"protobuf wire type {wt} not supported")
        if i > len(buf):
            raise FormatError("truncated protobuf")
    return out


def looks_like_onnx(head: bytes) -> bool:
    """ModelProto starts with ir_version (field 1, varint) in practice."""
    return len(head) > 4 and head[0] == 0x08 and head[1] < 0x20 and b"\x12" in head[2:4] + head[2:16]


def parse_onnx(fh: IO[bytes], size: int) -> Facts:
    """ModelProto: IR version, producer, opsets, and every external-data location (a path that
    leaves the model folder is a finding: CVE-2024-5187)."""
    if size > MAX_ONNX_SCAN:
        raise FormatError(f"ONNX file of {size} bytes exceeds the {MAX_ONNX_SCAN >> 20} MiB header scan limit")
    buf = fh.read(size)
    facts = Facts()
    opsets: list[str] = []
    locations: list[str] = []
    for num, _wt, val in _fields(buf):
        if num == 1 and isinstance(val, int):
            facts.facts["onnx.ir-version"] = str(val)
        elif num == 2 and isinstance(val, bytes):
            facts.facts["onnx.producer"] = val.decode("utf-8", "replace")[:100]
        elif num == 3 and isinstance(val, bytes):
            facts.facts["onnx.producer-version"] = val.decode("utf-8", "replace")[:100]
        elif num == 8 and isinstance(val, bytes):
            sub = {n: v for n, _w, v in _fields(val)}
            dom = sub.get(1, b"")
            opsets.append(f"{dom.decode() if isinstance(dom, bytes) and dom else 'ai.onnx'}:{sub.get(2, '?')}")
        elif num == 7 and isinstance(val, bytes):
            for gnum, _gw, gval in _fields(val):
                if gnum == 5 and isinstance(gval, bytes):  # initializer TensorProto
                    for tnum, _tw, tval in _fields(gval):
                        if tnum == 13 and isinstance(tval, bytes):  # external_data entry
                            kv = {n: v for n, _w, v in _fields(tval)}
                            if kv.get(1) == b"location" and isinstance(kv.get(2), bytes):
                                locations.append(kv[2].decode("utf-8", "replace"))  # type: ignore[union-attr]
    if opsets:
        facts.facts["onnx.opsets"] = ",".join(sorted(set(opsets)))
    if locations:
        facts.facts["onnx.external-data"] = ",".join(sorted(set(locations))[:20])
        for loc in sorted(set(locations)):
            if loc.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", loc) or ".." in re.split(r"[/\\]", loc):
                facts.findings.append(("onnx.external-data-escape", "critical",
                                       f"external data location {loc!r} leaves the model folder (CVE-2024-5187)"))
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
