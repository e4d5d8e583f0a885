"""Fuzz targets for the format readers of the formats engineer.

* ``gguf-header``: raw bytes as a GGUF file (``mlbom.formats.gguf.parse_gguf``);
* ``gguf-struct``: structure-aware — the input is a program assembled into a well-formed GGUF
  header (keys from a dictionary incl. every ``tokenizer.chat_template*`` spelling, typed
  values, nested arrays), so mutations reach the metadata and template paths;
* ``onnx-protobuf``: raw bytes as an ONNX ModelProto (``mlbom.formats.onnx.parse_onnx``);
* ``onnx-tensor``: raw bytes as a TensorProto / SequenceProto file (``parse_tensor_file``);
* ``hdf5``: raw bytes as an HDF5 file (``mlbom.formats.hdf5.parse_hdf5``: root attributes and the tree walk);
* ``keras-config``: raw bytes as a Keras ``config.json`` (``mlbom.formats.keras.parse_keras_config``);
* ``chat-template``: the input decoded as UTF-8 (replacement characters) and judged by
  ``mlbom.formats.chat_template.check_template``, which never raises.

Each reader may raise only :class:`~mlbom.formats.weights.FormatError`.
"""

from __future__ import annotations

import io
import struct

from fuzz.harness import Target
from mlbom.formats.chat_template import check_template
from mlbom.formats.gguf import parse_gguf
from mlbom.formats.hdf5 import parse_hdf5
from mlbom.formats.keras import parse_keras_config
from mlbom.formats.onnx import parse_onnx, parse_tensor_file
from mlbom.formats.weights import FormatError

_KEYS = [b"general.architecture", b"general.name", b"general.file_type", b"tokenizer.chat_template",
         b"tokenizer.chat_template.tool_use", b"tokenizer.chat_template.rag", b"tokenizer.ggml.tokens", b"x" * 70,
         b"\xff\xfe", b""]
_TEMPLATES = [b"{{ x }}", b"{{ ''.__class__ }}", b"{% if %}", b"{{ x|attr('__cla' ~ 'ss__') }}",
              b"{% for m in messages %}{{ m['content'] }}{% endfor %}", b"{{ (((((x))))) }}", b"\xff{{"]


def run_gguf(data: bytes) -> None:
    parse_gguf(io.BytesIO(data), len(data))


def assemble_gguf(program: bytes) -> bytes:
    """A GGUF v3 header with one metadata entry per 3 input bytes (deterministic)."""
    kvs = bytearray()
    n = 0
    for i in range(0, len(program) - 2, 3):
        k, t, v = program[i], program[i + 1], program[i + 2]
        key = _KEYS[k % len(_KEYS)]
        kvs += struct.pack("<Q", len(key)) + key
        vtype = t % 14
        kvs += struct.pack("<I", vtype)
        if vtype == 8:
            s = _TEMPLATES[v % len(_TEMPLATES)] if k % 3 else bytes([v]) * (v % 17)
            kvs += struct.pack("<Q", len(s)) + s
        elif vtype == 9:
            etype = v % 13
            count = (v >> 4) % 4
            kvs += struct.pack("<IQ", etype, count)
            if etype == 8:
                kvs += b"".join(struct.pack("<Q", 1) + b"a" for _ in range(count))
            elif etype == 9:
                kvs += b"".join(struct.pack("<IQ", 4, 1) + b"\x00" * 4 for _ in range(count))
            else:
                kvs += b"\x00" * (8 * count)
        else:
            kvs += bytes([v]) * 8
        n += 1
    return b"GGUF" + struct.pack("<IQQ", 3, program[0] if program else 0, n) + bytes(kvs)


def run_gguf_struct(data: bytes) -> None:
    run_gguf(assemble_gguf(data))


def run_onnx(data: bytes) -> None:
    parse_onnx(io.BytesIO(data), len(data))


def run_onnx_tensor(data: bytes) -> None:
    parse_tensor_file(io.BytesIO(data), len(data))  # None (not a tensor) or facts: never an exception


def run_hdf5(data: bytes) -> None:
    parse_hdf5(io.BytesIO(data), len(data))


def run_keras(data: bytes) -> None:
    parse_keras_config(data)


def run_template(data: bytes) -> None:
    findings = check_template(data.decode("utf-8", "replace"))
    for f in findings:
        if f.effect not in (None, "unsafe", "suspicious", "error"):
            raise AssertionError(f"bad effect {f.effect!r}")


_ALLOWED = (FormatError,)

TARGETS: list[Target] = [
    Target("gguf-header", run_gguf, ("tests/fixtures/hostile/formats/*.gguf",), _ALLOWED, 1 << 20,
           "GGUF header and metadata on raw bytes"),
    Target("gguf-struct", run_gguf_struct, ("tests/fixtures/hostile/formats/*.gguf",), _ALLOWED, 4096,
           "structure-aware: bytes assembled into well-formed GGUF metadata"),
    Target("onnx-protobuf", run_onnx, ("tests/fixtures/onnx/**/*.onnx", "tests/fixtures/hostile/formats/*.onnx"),
           _ALLOWED, 1 << 20, "ONNX ModelProto walker"),
    Target("onnx-tensor", run_onnx_tensor, ("fuzz/seeds/onnx-tensor/*.pb",), (), 1 << 20,
           "ONNX TensorProto / SequenceProto .pb files, strictly parsed (None when not one)"),
    Target("hdf5", run_hdf5, ("tests/fixtures/keras/**/*.h5", "tests/fixtures/hostile/formats/*.h5",
                              "tests/fixtures/hdf5/*.h5"), _ALLOWED,
           1 << 20, "HDF5 root attributes (Keras model_config) and the whole-tree walk (PyTables pickles, "
           "external storage)"),
    Target("keras-config", run_keras, ("tests/fixtures/hostile/formats/*.json",), _ALLOWED, 1 << 20,
           "Keras config.json judge"),
    Target("chat-template", run_template, ("tests/fixtures/chat_templates/*.jinja",
                                           "tests/fixtures/hostile/formats/*.jinja"), (), 1 << 16,
           "Jinja2 chat template judged on its syntax tree"),
]
