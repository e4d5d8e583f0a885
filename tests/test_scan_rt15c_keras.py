"""Red team 15c-2: a Keras-exported function outside Keras' numeric namespaces, named by
``class_name: "function"`` (``keras.applications.resnet50.decode_predictions`` as a cell's
activation). Keras 3.15.1 ``load_model`` (safe_mode=True) resolves it through ``api_export``
(it is not in NON_MODELING_APIS) and calls it while rebuilding the graph: it opens
``$KERAS_HOME/models/imagenet_class_index.json`` and downloads it. The archive is built here
(no keras needed). ``fixtures/keras/benign/rt15c-sequential-config.json`` is the config.json
keras 3.15.1 (torch backend) wrote for ``Sequential([Input((4,)), Dense(3, activation="relu",
kernel_regularizer="l2", kernel_constraint="max_norm"), LayerNormalization()])`` compiled with
Adam(ExponentialDecay), loss "mse", metrics ["mae", AUC()]."""

from __future__ import annotations

import copy
import json

import pytest

from mlbom.formats.keras import keras_namespace, parse_keras_config
from mlbom.scanner import scan_bytes
from tests.conftest import FIXTURES
from tests.helpers import keras_archive

REAL = json.loads((FIXTURES / "keras" / "benign" / "rt15c-sequential-config.json").read_bytes())


def _ids(r: object) -> set[str]:
    return {f.id for f in r.findings}  # type: ignore[attr-defined]


_archive = keras_archive


def _with_activation(act: object) -> dict[str, object]:
    cfg = copy.deepcopy(REAL)
    cfg["config"]["layers"][0]["config"]["activation"] = act
    return cfg


def test_real_config_with_builtin_functions_stays_safe() -> None:
    r = scan_bytes(_archive(REAL), "model.keras")
    assert r.verdict == "safe", r.findings
    for mod in ("builtins", "keras.activations", "keras.src.activations", "tf_keras.activations", "keras.ops"):
        act = {"module": mod, "class_name": "function", "config": "relu", "registered_name": "relu"}
        r = scan_bytes(_archive(_with_activation(act)), "model.keras")
        assert r.verdict == "safe", (mod, r.findings)


@pytest.mark.parametrize("mod,name", [
    ("keras.applications.resnet50", "decode_predictions"),   # the red team's file
    ("keras.src.applications.resnet50", "decode_predictions"),  # keras 2 importlib spelling
    ("keras.applications", "ResNet50"),                       # weights="imagenet": downloads + loads HDF5
    ("keras.datasets.mnist", "load_data"),
    ("keras.utils", "plot_model"),
    ("keras.config", "set_dtype_policy"),
    ("keras.distribution", "initialize"),
    ("keras.utils", "set_random_seed"),
    ("tensorflow.keras.datasets.imdb", "get_word_index"),
])
def test_io_function_outside_numeric_namespaces_is_unsafe(mod: str, name: str) -> None:
    act = {"module": mod, "class_name": "function", "config": name, "registered_name": name}
    r = scan_bytes(_archive(_with_activation(act)), "model.keras")
    assert r.verdict == "unsafe" and "keras.non-modeling-api" in _ids(r), r.findings
    # the class path returns an exported function as is (serialization_lib: FunctionType → cls)
    as_class = {"module": mod, "class_name": name, "config": {}, "registered_name": None}
    r = scan_bytes(_archive(_with_activation(as_class)), "model.keras")
    assert r.verdict == "unsafe" and "keras.non-modeling-api" in _ids(r), r.findings


@pytest.mark.parametrize("mod,name", [
    ("keras.utils", "to_categorical"), ("keras", "Input"), ("keras.models", "clone_model"),
    ("keras.applications.resnet50", "preprocess_input"), ("keras.legacy", "something_new"),
])
def test_other_function_outside_numeric_namespaces_is_never_safe(mod: str, name: str) -> None:
    act = {"module": mod, "class_name": "function", "config": name, "registered_name": name}
    r = scan_bytes(_archive(_with_activation(act)), "model.keras")
    assert r.verdict == "suspicious" and "keras.unvetted-api" in _ids(r), r.findings


def test_classes_in_modeling_namespaces_stay_safe() -> None:
    for mod, cls in (("keras", "Functional"), ("keras.src.models.functional", "Functional"),
                     ("keras.src.backend.torch.optimizers.torch_adam", "Adam"), ("keras.optimizers.schedules",
                     "ExponentialDecay"), ("keras.engine.functional", "Functional"), ("keras.utils", "FeatureSpace"),
                     ("keras_hub.src.models.bert.bert_backbone", "BertBackbone")):
        doc = {"module": mod, "class_name": cls, "config": {"name": "m"}, "registered_name": None}
        f = parse_keras_config(json.dumps(doc).encode())
        assert not f.findings, (mod, cls, f.findings)
    doc = {"module": "keras.callbacks", "class_name": "ModelCheckpoint", "config": {"name": "m"}}
    assert "keras.non-modeling-api" in {i for i, _, _ in parse_keras_config(json.dumps(doc).encode()).findings}


def test_keras_namespace() -> None:
    assert keras_namespace("keras.src.applications.resnet50") == "applications"
    assert keras_namespace("tf_keras.src.engine.functional") == "engine"
    assert keras_namespace("tensorflow.python.keras.layers") == "layers"
    assert keras_namespace("keras.api._tf_keras.keras.datasets") == "datasets"
    assert keras_namespace("keras") == ""
    assert keras_namespace("keras_hub.src.models") == "models"  # (18b note: was None, judged nothing)
    assert keras_namespace("keras_cv.api.visualization") == "visualization"
    assert keras_namespace("mypkg.keras") is None
