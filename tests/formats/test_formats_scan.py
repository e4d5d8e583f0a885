"""The scanner's verdicts for Keras, HDF5, ONNX, GGUF and chat-template files (end to end)."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from mlbom.scanner import scan_file

FIX = Path(__file__).resolve().parent.parent / "fixtures"
KERAS = FIX / "keras"
ONNX = FIX / "onnx"
TEMPLATES = FIX / "chat_templates"


@pytest.mark.parametrize("path", sorted(p for p in (KERAS / "benign").iterdir() if p.is_file()), ids=lambda p: p.name)
def test_benign_keras_and_hdf5_files_are_safe(path: Path) -> None:
    r = scan_file(path)
    assert r.verdict == "safe", [(f.id, f.message) for f in r.findings]


@pytest.mark.parametrize(("name", "verdict"), [
    ("lambda.keras", "unsafe"), ("lambda-legacy.h5", "unsafe"), ("nested-lambda.keras", "unsafe"),
    ("module-os-system.keras", "unsafe"), ("get-file.keras", "unsafe"), ("h5py-os-system.h5", "unsafe"),
    ("custom-layer.keras", "suspicious"),
])
def test_malicious_keras_files(name: str, verdict: str) -> None:
    r = scan_file(KERAS / "malicious" / name)
    assert r.verdict == verdict, [(f.id, f.message) for f in r.findings]


def test_keras_archive_without_weights_is_still_judged(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(KERAS / "malicious" / "lambda.keras") as z:
        config = z.read("config.json")
    p = tmp_path / "m.keras"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("config.json", config)
    assert scan_file(p).verdict == "unsafe"


def test_onnx_files(tmp_path: Path) -> None:
    assert scan_file(ONNX / "benign" / "external" / "model.onnx").verdict == "safe"
    assert scan_file(ONNX / "benign" / "ifgraph.onnx").verdict == "safe"  # a custom op is a low finding
    assert scan_file(ONNX / "malicious" / "loop-escape.onnx").verdict == "unsafe"
    # A symlink in the model folder that leads out of it.
    model = tmp_path / "model"
    model.mkdir()
    (tmp_path / "secret").mkdir()
    (model / "data").symlink_to(tmp_path / "secret")
    shutil.copy(ONNX / "benign" / "external" / "model.onnx", model / "model.onnx")
    raw = (model / "model.onnx").read_bytes().replace(b"weights.bin", b"data/xxxx.b")
    (model / "model.onnx").write_bytes(raw)
    r = scan_file(model / "model.onnx")
    assert r.verdict == "unsafe" and any("symlink" in f.message for f in r.findings)


def _gguf(template: str, key: str = "tokenizer.chat_template") -> bytes:
    def s(t: str) -> bytes:
        return struct.pack("<Q", len(t.encode())) + t.encode()
    kv = s("general.architecture") + struct.pack("<I", 8) + s("llama") + s(key) + struct.pack("<I", 8) + s(template)
    return b"GGUF" + struct.pack("<IQQ", 3, 0, 2) + kv


def test_gguf_templates(tmp_path: Path) -> None:
    real = (TEMPLATES / "llamacpp-Qwen-Qwen3-0.6B.jinja").read_text()
    (tmp_path / "ok.gguf").write_bytes(_gguf(real))
    assert scan_file(tmp_path / "ok.gguf").verdict == "safe"
    (tmp_path / "bad.gguf").write_bytes(_gguf("{{ cycler.__init__.__globals__.os.popen('id').read() }}",
                                              "tokenizer.chat_template.tool_use"))
    assert scan_file(tmp_path / "bad.gguf").verdict == "unsafe"
    (tmp_path / "broken.gguf").write_bytes(_gguf("{% if %}"))
    assert scan_file(tmp_path / "broken.gguf").verdict == "error"


def test_tokenizer_config_and_jinja_files(tmp_path: Path) -> None:
    real = (TEMPLATES / "llamacpp-meta-llama-Llama-3.1-8B-Instruct.jinja").read_text()
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"chat_template": [
        {"name": "default", "template": real}, {"name": "tool_use", "template": real}]}))
    assert scan_file(tmp_path / "tokenizer_config.json").verdict == "safe"
    (tmp_path / "t2.json").write_text(json.dumps({"chat_template": [
        {"name": "default", "template": real}, {"name": "rag", "template": "{{ ''|attr('__cla' ~ 'ss__') }}"}]}))
    assert scan_file(tmp_path / "t2.json").verdict == "unsafe"
    (tmp_path / "chat_template.jinja").write_text(real)
    r = scan_file(tmp_path / "chat_template.jinja")
    assert r.verdict == "safe" and r.format == "chat-template"
    (tmp_path / "evil.jinja").write_text("{% include '/etc/passwd' %}")
    assert scan_file(tmp_path / "evil.jinja").verdict == "unsafe"


def test_truncated_hdf5_is_error_not_safe(tmp_path: Path) -> None:
    data = (KERAS / "benign" / "functional-legacy.h5").read_bytes()
    (tmp_path / "t.h5").write_bytes(data[:1000])
    assert scan_file(tmp_path / "t.h5").verdict == "error"
