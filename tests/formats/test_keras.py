"""Keras configs: the whole tree is judged as Keras' deserializer reads it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from mlbom.formats.keras import judge_config, parse_keras_config
from mlbom.formats.weights import FormatError

KERAS = Path(__file__).resolve().parent.parent / "fixtures" / "keras"


def effects(doc: object) -> dict[str, str]:
    return dict(judge_config(doc, "cfg").effects)


@pytest.mark.parametrize("name", ["functional.keras", "sequential.keras"])
def test_real_keras_archives_are_clean(name: str) -> None:
    with zipfile.ZipFile(KERAS / "benign" / name) as z:
        f = parse_keras_config(z.read("config.json"))
    assert f.findings == [] and int(f.facts["keras.layers"]) >= 3


@pytest.mark.parametrize(("name", "fid", "effect"), [
    ("lambda.keras", "keras.lambda", "unsafe"),
    ("nested-lambda.keras", "keras.lambda", "unsafe"),
    ("module-os-system.keras", "keras.dangerous-module", "unsafe"),
    ("get-file.keras", "keras.non-modeling-api", "unsafe"),
    ("custom-layer.keras", "keras.custom-object", "suspicious"),
])
def test_malicious_archives(name: str, fid: str, effect: str) -> None:
    with zipfile.ZipFile(KERAS / "malicious" / name) as z:
        f = parse_keras_config(z.read("config.json"))
    assert f.effects.get(fid) == effect, f.findings


def layer(cls: str, config: dict[str, object], module: str | None = "keras.layers") -> dict[str, object]:
    return {"module": module, "class_name": cls, "config": {"name": "x", **config}, "registered_name": None}


@pytest.mark.parametrize(("doc", "fid", "effect"), [
    # keras 2 (tf.keras) Lambda: marshalled code as a list, function_type "lambda"
    ({"class_name": "Lambda", "config": {"name": "l", "function": ["4wEAAA==", None, None], "function_type": "lambda"}},
     "keras.lambda", "unsafe"),
    ({"a": [{"b": {"class_name": "__lambda__", "config": {"value": "x"}}}]}, "keras.lambda", "unsafe"),
    (layer("TFSMLayer", {"filepath": "/tmp/saved"}, "keras.layers"), "keras.code-layer", "unsafe"),
    (layer("TorchModuleWrapper", {"module": "gASV"}), "keras.code-layer", "unsafe"),
    (layer("StringLookup", {"vocabulary": "/etc/passwd"}), "keras.file-read", "unsafe"),
    ({"module": "builtins", "class_name": "function", "config": "eval", "registered_name": "function"},
     "keras.dangerous-function", "unsafe"),
    ({"module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization",
      "registered_name": None}, "keras.non-modeling-api", "unsafe"),
    ({"module": "subprocess", "class_name": "Popen", "config": {}, "registered_name": None},
     "keras.dangerous-module", "unsafe"),
    ({"module": "my_project.layers", "class_name": "Fancy", "config": {}, "registered_name": "Fancy"},
     "keras.custom-object", "suspicious"),
    ({"class_name": "TFOpLambda", "config": {"name": "t", "function": "io.write_file"}}, "keras.tf-op-io", "unsafe"),
    ({"class_name": "TFOpLambda", "config": {"name": "t", "function": "py_function"}}, "keras.tf-op-io", "unsafe"),
    ({"class_name": "SlicingOpLambda", "config": {"name": "t", "function": "os.system"}}, "keras.tf-op", "suspicious"),
    ({"class_name": "TFOpLambda", "config": {"name": "t", "function": "x; import os"}}, "keras.tf-op", "suspicious"),
])
def test_config_constructs(doc: object, fid: str, effect: str) -> None:
    assert effects(doc).get(fid) == effect


@pytest.mark.parametrize("doc", [
    layer("Dense", {"units": 3, "activation": "relu"}),
    {"module": "builtins", "class_name": "function", "config": "relu", "registered_name": "function"},
    {"class_name": "TFOpLambda", "config": {"name": "t", "function": "math.add"}},
    {"class_name": "SlicingOpLambda", "config": {"name": "t", "function": "__operators__.getitem"}},
    {"module": "keras_hub.src.models", "class_name": "GemmaBackbone", "config": {}, "registered_name": "keras_hub>GemmaBackbone"},
    layer("StringLookup", {"vocabulary": ["a", "b"]}),
])
def test_benign_constructs(doc: object) -> None:
    assert effects(doc) == {}


def test_deep_and_malformed_configs() -> None:
    deep: object = {}
    for _ in range(1000):
        deep = {"a": deep}
    with pytest.raises(FormatError, match="deeper"):
        judge_config(deep, "cfg")
    with pytest.raises(FormatError, match="JSON"):
        parse_keras_config(b"{not json")
    with pytest.raises(FormatError):
        parse_keras_config(b"\xff\xfe")
    with pytest.raises(FormatError):
        parse_keras_config(b"[" * 100_000)


def test_lambda_found_anywhere_in_training_config() -> None:
    doc = json.loads('{"loss": {"module": null, "class_name": "__lambda__", "config": {"value": ["x"]}}}')
    assert effects(doc)["keras.lambda"] == "unsafe"


def test_tf_op_reaching_keras_file_apis() -> None:
    doc = {"class_name": "TFOpLambda", "config": {"name": "t", "function": "keras.utils.get_file"}}
    assert effects(doc)["keras.tf-op-io"] == "unsafe"


def test_keras3_class_without_module_is_custom() -> None:
    doc = {"module": "keras", "class_name": "Sequential", "config": {"layers": [
        {"module": None, "class_name": "Scale", "config": {"name": "s"}, "registered_name": None},
        {"class_name": "__keras_tensor__", "config": {"shape": [1]}}]}}
    f = judge_config(doc, "cfg")
    assert f.effects == {"keras.custom-object": "suspicious"} and f.facts["keras.custom-objects"] == "Scale"
    # Keras 2 configs never name modules: a bare class name there is judged by name only.
    assert effects({"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {}}]}}) == {}
