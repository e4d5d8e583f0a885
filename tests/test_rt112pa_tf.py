"""Red team 112pa-1/-2/-5: TensorFlow files were ``safe``. A SavedModel's ``saved_model.pb``
starts as an ONNX ModelProto would (``08 01 12``: schema version 1, then a MetaGraphDef that an
ONNX reading took for the producer name), its text form ``saved_model.pbtxt`` was plain text, a
frozen GraphDef or a ``keras_metadata.pb`` passed as a sentencepiece tokenizer (top-level fields
1-5, a first field-1 message holding a string), and an ONNX model naming ``keras_metadata.pb`` as
its external data made the file "raw tensor bytes". TensorFlow opens these files by name and runs
their graph's init op (a WriteFile here) or revives Keras layers (a Lambda's bytecode) at load;
mlbom does not read TF protobufs: they are ``error`` (not judged), whatever their content."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from mlbom.scanner import scan, scan_bytes


def _vi(n: int) -> bytes:
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([b])
        out += bytes([b | 0x80])


def _ld(num: int, payload: bytes) -> bytes:  # length-delimited field
    return _vi(num << 3 | 2) + _vi(len(payload)) + payload


def _vf(num: int, v: int) -> bytes:  # varint field
    return _vi(num << 3) + _vi(v)


def _node(name: bytes, op: bytes, *inputs: bytes) -> bytes:  # NodeDef: name 1, op 2, input 3
    return _ld(1, name) + _ld(2, op) + b"".join(_ld(3, i) for i in inputs)


GRAPH = _ld(1, _node(b"fname", b"Const")) + _ld(1, _node(b"data", b"Const")) \
    + _ld(1, _node(b"w", b"WriteFile", b"fname", b"data"))  # GraphDef: node 1
META = _ld(1, _ld(4, b"serve")) + _ld(2, GRAPH) + _ld(4, _ld(1, b"saved_model_main_op") + _ld(2, _ld(1, _ld(1, b"w"))))
SAVED_MODEL = _vf(1, 1) + _ld(2, META)  # SavedModel: saved_model_schema_version 1, meta_graphs 2
PBTXT = b'saved_model_schema_version: 1\nmeta_graphs {\n  graph_def {\n    node { name: "w" op: "WriteFile" }\n  }\n}\n'
LAMBDA = {"class_name": "Lambda", "config": {"name": "l", "function": ["4wEAAAA=", None, None], "function_type": "lambda"}}


def _saved_object(node_id: int, path: bytes, ident: bytes, meta: dict[str, object]) -> bytes:
    # tf-keras SavedObject: node_id 2, node_path 3, identifier 4, metadata 5 (JSON), version 6
    return _vf(2, node_id) + _ld(3, path) + _ld(4, ident) + _ld(5, json.dumps(meta).encode()) + _ld(6, _vf(1, 2))


KERAS_METADATA = _ld(1, _saved_object(0, b"root", b"_tf_keras_layer", LAMBDA))


@pytest.mark.parametrize(("name", "data"), [
    ("saved_model.pb", SAVED_MODEL),
    ("model.bin", SAVED_MODEL),  # the ONNX reading needs a graph and names that are names, whatever the file is called
    ("saved_model.pbtxt", PBTXT),
    ("graph.pbtxt", PBTXT),
    ("frozen_graph.pb", GRAPH),
    ("keras_metadata.pb", KERAS_METADATA),
    ("keras_metadata.pb", _ld(1, _ld(1, b"a") + _saved_object(0, b"root", b"_tf_keras_layer", LAMBDA))),
])
def test_tensorflow_files_are_not_judged_safe(name: str, data: bytes) -> None:
    r = scan_bytes(data, name)
    assert r.verdict == "error", (r.format, [(f.id, f.message[:120]) for f in r.findings])


def test_a_sentencepiece_model_is_still_recognised() -> None:
    piece = _ld(1, b"<unk>") + b"\x15" + struct.pack("<f", 0.0) + b"\x18\x02"
    model = _ld(1, piece) + _ld(1, _ld(1, "\u2581the".encode()) + b"\x15" + struct.pack("<f", -1.5)) + _ld(2, b"\x08\x01")
    r = scan_bytes(model, "tokenizer.model")
    assert (r.format, r.verdict) == ("sentencepiece", "safe"), r.findings
    # a piece with any other field (a NodeDef's op, a SavedObject's metadata) is no SentencePiece
    assert scan_bytes(model + _ld(1, _ld(1, b"w") + _ld(2, b"WriteFile")), "tokenizer.model").verdict == "error"


def _onnx_claiming(location: str, length: int) -> bytes:
    """An ONNX ModelProto whose one uint8 initializer is external data at ``location``."""
    tensor = (_vf(1, length) + _vf(2, 2) + _ld(8, b"w") + _ld(13, _ld(1, b"location") + _ld(2, location.encode()))
              + _ld(13, _ld(1, b"offset") + _ld(2, b"0")) + _ld(13, _ld(1, b"length") + _ld(2, str(length).encode()))
              + _vf(14, 1))
    return _vf(1, 8) + _ld(8, _ld(1, b"") + _vf(2, 17)) + _ld(7, _ld(2, b"g") + _ld(5, tensor))


def test_an_onnx_claim_does_not_make_a_tensorflow_file_raw_bytes(tmp_path: Path) -> None:
    (tmp_path / "keras_metadata.pb").write_bytes(KERAS_METADATA)
    (tmp_path / "model.onnx").write_bytes(_onnx_claiming("keras_metadata.pb", len(KERAS_METADATA)))
    (tmp_path / "weights.data").write_bytes(b"\x00\xff" * 8)
    (tmp_path / "other.onnx").write_bytes(_onnx_claiming("weights.data", 16))
    got = {Path(s.path).name: (s.format, s.verdict) for s in scan(tmp_path)}
    assert got["keras_metadata.pb"][1] == "error", got
    assert got["model.onnx"] == ("onnx", "safe")
    assert got["weights.data"] == ("onnx-external-data", "safe"), got  # raw tensor bytes of a plain name stay so
