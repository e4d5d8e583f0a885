"""ONNX ModelProto read field by field (spec https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).

Errors raise :class:`~mlbom.formats.weights.FormatError`.
"""

from __future__ import annotations

import re
from typing import IO

from mlbom.formats.weights import Facts, FormatError

MAX_ONNX_SCAN = 256 << 20


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
