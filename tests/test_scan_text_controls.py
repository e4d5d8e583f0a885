"""A file read as another format whose whole content also decodes as text was a ``text.polyglot``
even where no text reader takes it: PyYAML's reader refuses C0 control characters (it takes tab,
LF and CR) and strict JSON refuses them anywhere, so a tiny real ONNX model (protobuf tags and
lengths that happen to be UTF-8) was ``suspicious``. The differential stays for a text name and
for text without them; PyYAML's streamed prefix before the first one is still read for tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes, scan_file


def _ids(data: bytes, name: str) -> tuple[str, set[str]]:
    r = scan_bytes(data, name)
    return r.verdict, {f.id for f in r.findings}


def test_an_image_with_a_control_character_is_no_text_polyglot() -> None:
    verdict, ids = _ids(b"GIF89a hello\x08world\n", "picture.gif")
    assert verdict == "safe" and "text.polyglot" not in ids, ids


def test_text_without_control_characters_stays_a_polyglot() -> None:
    verdict, ids = _ids(b"GIF89a hello\tworld\r\n", "picture.gif")
    assert verdict == "suspicious" and "text.polyglot" in ids


def test_a_text_name_stays_a_polyglot_whatever_the_characters() -> None:
    verdict, ids = _ids(b"GIF89a hello\x08world\n", "hparams.yaml")
    assert verdict == "suspicious" and "text.polyglot" in ids


def test_yaml_tags_before_the_first_control_character_are_found() -> None:
    data = b"GIF89a: 1\nx: !!python/object/apply:os.system ['true']\n...\n" + b"#" * 9000 + b"\x01"
    verdict, ids = _ids(data, "picture.gif")
    assert verdict == "suspicious" and "yaml.python-tag" in ids, ids


def test_a_tiny_real_onnx_model_is_safe(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    model = helper.make_model(graph, producer_name="pytorch", opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    data = path.read_bytes()
    assert data.decode("utf-8")  # all of it is UTF-8 text
    r = scan_file(path)
    assert (r.format, r.verdict) == ("onnx", "safe"), [(f.id, f.message) for f in r.findings]
