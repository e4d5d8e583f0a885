"""GGUF metadata: every key read, bounded; every tokenizer.chat_template* key judged."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from mlbom.formats.gguf import parse_gguf
from mlbom.formats.weights import FormatError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def s(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(raw)) + raw


def kv_str(key: str, value: str | bytes) -> bytes:
    return s(key) + struct.pack("<I", 8) + s(value)


def kv_u32(key: str, value: int) -> bytes:
    return s(key) + struct.pack("<I", 4) + struct.pack("<I", value)


def kv_str_array(key: str, values: list[str]) -> bytes:
    return s(key) + struct.pack("<IIQ", 9, 8, len(values)) + b"".join(s(v) for v in values)


def gguf(*kvs: bytes, n_tensors: int = 0, version: int = 3) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, n_tensors, len(kvs)) + b"".join(kvs)


def parse(data: bytes):  # type: ignore[no-untyped-def]
    return parse_gguf(io.BytesIO(data), len(data))


LLAMA31 = (FIXTURES / "chat_templates" / "llamacpp-meta-llama-Llama-3.1-8B-Instruct.jinja").read_text()


def test_real_templates_clean_and_hashed() -> None:
    f = parse(gguf(kv_str("general.architecture", "llama"), kv_u32("general.file_type", 15),
                   kv_str_array("tokenizer.ggml.tokens", ["a", "b", "<|eot_id|>"]),
                   kv_str("tokenizer.chat_template", LLAMA31),
                   kv_str("tokenizer.chat_template.tool_use", LLAMA31)))
    assert f.facts["general.architecture"] == "llama" and f.facts["quantization"] == "Q4_K_M"
    assert f.findings == []
    assert f.facts["chat-templates"] == "default,tool_use"
    assert len(f.facts["chat-template.sha256"]) == 64 and "chat-template.tool_use.sha256" in f.facts


@pytest.mark.parametrize("key", ["tokenizer.chat_template", "tokenizer.chat_template.tool_use",
                                 "tokenizer.chat_template.rag"])
def test_every_template_key_is_judged(key: str) -> None:
    f = parse(gguf(kv_str(key, "{{ ''['\\x5f\\x5fclass\\x5f\\x5f'] }}")))
    assert any(fid == "template.dunder-access" and sev == "critical" for fid, sev, _m in f.findings)
    assert f.effects.get("template.dunder-access") == "unsafe"


def test_unparseable_template_is_error() -> None:
    f = parse(gguf(kv_str("tokenizer.chat_template.x", "{% if %}")))
    assert f.effects["template.unparseable"] == "error"


def test_template_that_is_not_a_string() -> None:
    f = parse(gguf(kv_str_array("tokenizer.chat_template", ["{{ x }}"])))
    assert f.effects["gguf.template-not-string"] == "suspicious"


def test_duplicate_key_is_a_differential() -> None:
    f = parse(gguf(kv_str("tokenizer.chat_template", "{{ x }}"),
                   kv_str("tokenizer.chat_template", "{{ x.__class__ }}")))
    assert f.effects["gguf.duplicate-key"] == "suspicious" and f.effects["template.dunder-access"] == "unsafe"


def test_template_under_a_key_with_a_nul_is_judged_as_llama_cpp_reads_it() -> None:
    """Red team 42f-1: llama.cpp keys are C strings (gguf_find_key's strcmp, the loader's map of
    gguf_get_key), so ``tokenizer.chat_template\\0x`` is its chat template; gguf-py reads the
    whole key. The template is judged, the NUL is a finding, and a second key equal up to the NUL
    is a duplicate (llama.cpp takes the first)."""
    hidden = s(b"tokenizer.chat_template\x00x") + struct.pack("<I", 8) + s("{{ cycler.__init__.__globals__ }}")
    f = parse(gguf(hidden))
    assert f.effects["gguf.key-nul"] == "suspicious" and f.effects["template.dunder-access"] == "unsafe"
    f = parse(gguf(hidden, kv_str("tokenizer.chat_template", "{{ messages }}")))
    assert f.effects["gguf.duplicate-key"] == "suspicious" and f.effects["template.dunder-access"] == "unsafe"
    with pytest.raises(FormatError, match="alignment"):  # llama.cpp's alignment key, not a u32: it refuses
        parse(gguf(s(b"general.alignment\x00") + struct.pack("<I", 8) + s("x")))


def test_non_utf8_template_does_not_crash() -> None:
    f = parse(gguf(kv_str("tokenizer.chat_template", b"{{ x }}\xff\xfe")))
    assert f.findings == []


@pytest.mark.parametrize(("data", "message"), [
    (b"GGUF" + struct.pack("<I", 9), "version"),
    (gguf()[:-4], "truncated"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1 << 40), "metadata entries"),
    (b"GGUF" + struct.pack("<IQQ", 3, 1 << 40, 0), "tensors"),
    (gguf(s("k") + struct.pack("<I", 8) + struct.pack("<Q", 1 << 62)), "exceeds"),
    (gguf(s("k") + struct.pack("<IIQ", 9, 4, 1 << 23)), "truncated"),
    (gguf(s("k") + struct.pack("<IIQ", 9, 8, 1 << 30)), "limit"),
    (gguf(s("k") + struct.pack("<I", 99)), "unknown metadata value type"),
    (gguf(s("k") + struct.pack("<IIQ", 9, 9, 1) + struct.pack("<IQ", 9, 1) + struct.pack("<IQ", 9, 1)
          + struct.pack("<IQ", 9, 1)), "nested"),
    (gguf(s("k") + struct.pack("<IIQ", 9, 77, 1)), "element type"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 70000) + b"k" * 70000, "limit"),
])
def test_malformed_headers_raise_format_error(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse(data)


def test_v1_is_refused_like_llama_cpp() -> None:
    kv = struct.pack("<I", 20) + b"general.architecture" + struct.pack("<I", 8) + struct.pack("<I", 5) + b"llama"
    data = b"GGUF" + struct.pack("<III", 1, 0, 1) + kv
    with pytest.raises(FormatError, match="version 1"):
        parse(data)


def test_template_budget_per_file() -> None:
    big = "{{ x }}" + " " * 60000
    f = parse(gguf(*(kv_str(f"tokenizer.chat_template.t{i}", big + str(i)) for i in range(6))))
    assert f.effects["gguf.templates-too-large"] == "error"
    same = parse(gguf(*(kv_str(f"tokenizer.chat_template.t{i}", LLAMA31) for i in range(50))))
    assert same.findings == [] and same.facts["chat-templates"].count(",") == 49


GGUF_DIR = FIXTURES / "gguf"


def test_real_gguf_written_by_gguf_py() -> None:
    data = (GGUF_DIR / "tiny-llama.gguf").read_bytes()
    f = parse(data)
    assert f.findings == [] and f.facts["tensors"] == "3" and f.facts["chat-templates"] == "default,tool_use"
    assert parse((GGUF_DIR / "tiny-evil-tool-use.gguf").read_bytes()).effects["template.dunder-access"] == "unsafe"


def test_real_gguf_tensor_data_past_the_end() -> None:
    data = (GGUF_DIR / "tiny-llama.gguf").read_bytes()
    with pytest.raises(FormatError, match="past the end"):
        parse(data[:-100])


def tensor_info(name: bytes, dims: tuple[int, ...], ttype: int, offset: int) -> bytes:
    return s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<q", d) for d in dims) + struct.pack("<IQ", ttype, offset)


@pytest.mark.parametrize(("infos", "message"), [
    ([tensor_info(b"a", (4,), 0, 0), tensor_info(b"a", (4,), 0, 32)], "duplicate tensor name"),
    ([tensor_info(b"a", (1, 1, 1, 1, 1), 0, 0)], "dimensions"),
    ([tensor_info(b"a", (-1,), 0, 0)], "negative"),
    ([tensor_info(b"a", (1 << 40, 1 << 40), 0, 0)], "2\\^63"),
    ([tensor_info(b"a", (4,), 0, 3)], "aligned"),
    ([tensor_info(b"a", (256,), 23, 64), tensor_info(b"b", (256,), 23, 0)], "expected 0"),
    ([tensor_info(b"a", (4,), 0, 0), tensor_info(b"b", (4,), 0, 64)], "expected 32"),
    ([tensor_info(b"a", (33,), 8, 0)], "blocks"),
    ([tensor_info(b"x" * 64, (4,), 0, 0)], "limit"),
])
def test_tensor_infos_checked_like_llama_cpp(infos: list[bytes], message: str) -> None:
    data = b"GGUF" + struct.pack("<IQQ", 3, len(infos), 0) + b"".join(infos) + b"\x00" * 4096
    with pytest.raises(FormatError, match=message):
        parse(data)


def test_alignment_key() -> None:
    kv = s("general.alignment") + struct.pack("<II", 4, 24)
    with pytest.raises(FormatError, match="power of 2"):
        parse(gguf(kv))
    kv = s("general.alignment") + struct.pack("<I", 8) + s("x")
    with pytest.raises(FormatError, match="u32"):
        parse(gguf(kv))
