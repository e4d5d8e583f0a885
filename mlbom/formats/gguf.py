"""GGUF header and metadata (spec https://github.com/ggml-org/ggml/blob/master/docs/gguf.md, v1–v3).

Every declared length is checked against the file size before it is trusted; errors raise
:class:`~mlbom.formats.weights.FormatError`.
"""

from __future__ import annotations

import hashlib
import re
import struct
from typing import IO

from mlbom.formats.weights import Facts, FormatError
from mlbom.formats.weights import read_exact as _read_exact

MAX_GGUF_STRING = 16 << 20
MAX_GGUF_ARRAY = 1 << 24
MAX_GGUF_KV = 1 << 16


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
