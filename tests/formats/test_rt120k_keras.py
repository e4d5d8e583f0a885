"""Red team 120k: the Keras config judge, second round.

- -1: keras_hub ``WhisperTokenizer`` opens ``special_tokens``/``language_tokens`` as a file when the
  value is a string (``_load_dict``), on load, safe_mode or not: every config key a Keras/keras_hub
  constructor opens as a path is now listed with its source (``FILE_KEY_SOURCES``);
- -4: a legacy ``.h5`` layer whose ``class_name`` is a plain name that is none of Keras' own classes is
  resolved among the registered/custom objects (and called with the config when it has no
  ``from_config``): a custom object, as the same document in a ``.keras`` is;
- -2: Keras 3 looks a class's ``registered_name``, and a function's name, up in the registry before the
  module, with or without a ``>``: judged unless it names the Keras object the module holds;
- -3: a registry key is any ``package>name`` Keras accepts (``my-org>fn``, ``My Lib>fn``), not only
  identifier characters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.formats import keras as keras_mod
from mlbom.formats.keras import judge_config
from mlbom.scanner import scan_file
from tests.conftest import FIXTURES
from tests.helpers import keras_archive
from tests.helpers import keras_dense as _dense
from tests.helpers import keras_judged as _judge
from tests.helpers import keras_model as _model

KERAS = FIXTURES / "keras"


def _scan_archive(tmp_path: Path, cfg: object) -> str:
    p = tmp_path / "m.keras"
    p.write_bytes(keras_archive(cfg))
    return scan_file(p).verdict


# ---- 120k-1: every config key a constructor opens as a file -------------------------------------

def _whisper(**config: object) -> dict[str, object]:
    return {"module": "keras_hub.models", "class_name": "WhisperTokenizer",
            "registered_name": "keras_hub>WhisperTokenizer",
            "config": {"name": "whisper_tokenizer", "trainable": True, "dtype": "int32",
                       "vocabulary": None, "merges": None, **config}}


@pytest.mark.parametrize("key", ["special_tokens", "language_tokens"])
def test_1_whisper_token_dict_path_is_a_file_read(key: str, tmp_path: Path) -> None:
    cfg = {"special_tokens": {"<|endoftext|>": 50257}, key: "/etc/hostname"}
    verdict, ids = _judge(_whisper(**cfg))
    assert verdict == "unsafe" and "keras.file-read" in ids, ids
    assert _scan_archive(tmp_path, _whisper(**cfg)) == "unsafe"


@pytest.mark.parametrize("key", ["vocabulary", "merges", "proto", "special_tokens", "language_tokens"])
def test_1_every_file_key_is_judged_under_any_spelling(key: str) -> None:
    obj = {"module": "my_lib.tok", "class_name": "MyWhisper", "registered_name": "my_lib>MyWhisper",
           "config": {"name": "t", key: "//host/share/x.json"}}
    verdict, ids = _judge(obj)
    assert verdict == "unsafe" and "keras.file-read" in ids, ids


def test_1_every_file_key_has_its_source_listed() -> None:
    assert set(keras_mod.FILE_KEYS) == set(keras_mod.FILE_KEY_SOURCES)
    assert {"special_tokens", "language_tokens"} <= set(keras_mod.FILE_KEYS)
    assert all(keras_mod.FILE_KEY_SOURCES[k] for k in keras_mod.FILE_KEYS)


def test_1_fp_whisper_as_saved_is_safe() -> None:
    """keras_hub's get_config writes both as dicts (WordPiece writes special_tokens as a list)."""
    doc = _whisper(special_tokens={"<|startoftranscript|>": 50258, "<|endoftext|>": 50257},
                   language_tokens={"<|en|>": 50259})
    assert _judge(doc)[0] == "safe"
    wp = {"module": "keras_hub.tokenizers", "class_name": "WordPieceTokenizer",
          "registered_name": "keras_hub>WordPieceTokenizer",
          "config": {"name": "t", "vocabulary": None, "special_tokens": ["[CLS]", "[SEP]"]}}
    assert _judge(wp)[0] == "safe"


# ---- 120k-4: a plain custom class_name in a legacy (.h5) config ----------------------------------

def _legacy_seq(*layers: dict[str, object]) -> dict[str, object]:
    return {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "in"}},
        *layers]}}


def test_4_legacy_h5_plain_custom_class_is_suspicious() -> None:
    """Made with h5py (tests/fixtures/keras/make_rt120k.py): was SAFE with no finding."""
    r = scan_file(KERAS / "malicious" / "rt120k-4-plain-class.h5")
    assert r.verdict == "suspicious", r.findings
    assert any(f.id == "keras.custom-object" and "my_custom_fn" in f.message for f in r.findings)


@pytest.mark.parametrize("name", ["my_custom_fn", "MyCustomLayer", "deserialize", "Input", "concatenate",
                                  "keras_export", "serialization_lib", "my.module.Layer"])
def test_4_legacy_name_outside_keras_classes_is_a_custom_object(name: str) -> None:
    doc = _legacy_seq({"class_name": name, "config": {"name": "x", "units": 2}})
    verdict, ids = _judge(doc, loader="legacy")
    assert verdict == "suspicious" and "keras.custom-object" in ids, ids


def test_4_legacy_nested_object_outside_keras_classes_is_a_custom_object() -> None:
    init = {"class_name": "my_initializer", "config": {"path": "/tmp/x"}}
    doc = _legacy_seq({"class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_initializer": init}})
    assert _judge(doc, loader="legacy") == ("suspicious", {"keras.custom-object"})


def test_4_same_document_in_both_loaders_is_judged_alike() -> None:
    doc = _legacy_seq({"class_name": "MyLayer", "config": {"name": "x"}})
    assert _judge(doc, loader="legacy")[0] == _judge(doc, loader="keras3")[0] == "suspicious"
    assert _judge(doc, loader=None)[0] == "suspicious"  # a loose tf.keras JSON


@pytest.mark.parametrize("name", ["Dense", "Conv2D", "LSTM", "Bidirectional", "Functional", "Model", "Sequential",
                                  "GlorotUniform", "VarianceScaling", "L1L2", "MaxNorm", "Adam", "AdamW",
                                  "ExponentialDecay", "MeanMetricWrapper", "AUC", "CategoricalCrossentropy",
                                  "Policy", "DTypePolicy", "TFOpLambda", "DenseFeatures", "TextVectorization"])
def test_4_fp_keras_and_tf_keras_classes_stay_safe(name: str) -> None:
    cfg: dict[str, object] = {"name": "x"}
    if name == "TFOpLambda":
        cfg["function"] = "math.add"
    doc = _legacy_seq({"class_name": name, "config": cfg})
    assert _judge(doc, loader="legacy") == ("safe", set())


def test_4_builtin_class_list_is_generated_from_keras() -> None:
    assert {"Dense", "InputLayer", "Functional", "Sequential", "GlorotUniform", "Adam"} \
        <= keras_mod.LEGACY_BUILTIN_CLASSES
    # keras.src.layers.__dict__'s functions are called with the config: never trusted as classes
    assert not {"deserialize", "serialize", "Input", "add", "concatenate", "keras_export"} \
        & keras_mod.LEGACY_BUILTIN_CLASSES


@pytest.mark.parametrize("name", ["rt120k-legacy-zoo.h5", "rt119fmt-seq.h5", "functional-legacy.h5",
                                  "sequential-legacy.h5"])
def test_4_fp_real_legacy_saves_stay_safe(name: str) -> None:
    r = scan_file(KERAS / "benign" / name)
    assert r.verdict == "safe", r.findings


# ---- 120k-2: a plain registered_name / function name is looked up in the registry first -----------

def _glorot(registered: object) -> dict[str, object]:
    return {"module": "keras.initializers", "class_name": "GlorotUniform", "registered_name": registered,
            "config": {}}


def test_2_plain_registered_name_beside_a_keras_class_is_judged(tmp_path: Path) -> None:
    doc = _model(_dense(kernel_initializer=_glorot("my_custom_loss")))
    verdict, ids = _judge(doc)
    assert verdict == "suspicious" and "keras.registered-mismatch" in ids, ids
    assert _scan_archive(tmp_path, doc) == "suspicious"


def test_2_plain_registered_name_on_a_layer_is_judged() -> None:
    layer = {"module": "keras.layers", "class_name": "Dense", "registered_name": "my_custom_loss",
             "config": {"name": "d", "units": 2}}
    assert _judge(_model(layer))[0] == "suspicious"


def test_2_plain_registered_io_name_is_unsafe() -> None:
    verdict, ids = _judge(_model(_dense(kernel_initializer=_glorot("upload_preset"))))
    assert verdict == "unsafe" and "keras.non-modeling-api" in ids, ids


@pytest.mark.parametrize("module", ["keras.activations", "keras.losses", "keras.src.activations.activations",
                                    "keras.initializers", "keras.ops"])
def test_2_function_name_none_of_the_module_exports_is_judged(module: str) -> None:
    act = {"module": module, "class_name": "function", "config": "my_custom_fn", "registered_name": "my_custom_fn"}
    verdict, ids = _judge(_model(_dense(activation=act)))
    assert verdict == "suspicious" and "keras.registered-function" in ids, ids
    act["config"] = act["registered_name"] = "download_weights"
    assert _judge(_model(_dense(activation=act)))[0] == "unsafe"


def test_2_class_name_equal_to_registered_name_outside_keras_classes_is_judged() -> None:
    init = {"module": "keras.initializers", "class_name": "my_custom_init", "registered_name": "my_custom_init",
            "config": {}}
    assert _judge(_model(_dense(kernel_initializer=init)))[0] == "suspicious"
    # no registered_name key: Keras 3 defaults it to class_name and looks that up first
    del init["registered_name"]
    assert _judge(_model(_dense(kernel_initializer=init)))[0] == "suspicious"


@pytest.mark.parametrize(("module", "name"), [
    ("keras.activations", "relu"), ("keras.activations", "gelu"), ("keras.losses", "mean_squared_error"),
    ("keras.metrics", "mae"), ("keras.losses", "mse"), ("keras.ops", "add"), ("keras.src.ops.numpy", "matmul"),
])
def test_2_fp_exported_functions_stay_safe(module: str, name: str) -> None:
    act = {"module": module, "class_name": "function", "config": name, "registered_name": name}
    assert _judge(_model(_dense(activation=act))) == ("safe", set())


def test_2_fp_keras_classes_as_saved_stay_safe() -> None:
    # Keras 3 writes registered_name None for its own classes; the class's own name is harmless too
    for reg in (None, "GlorotUniform"):
        assert _judge(_model(_dense(kernel_initializer=_glorot(reg)))) == ("safe", set())
    op = {"module": "keras.src.ops.numpy", "class_name": "Add", "config": {"name": "add"}}
    assert _judge(_model(op)) == ("safe", set())
    hub = {"module": "keras_hub.src.models.bert.bert_backbone", "class_name": "BertBackbone",
           "registered_name": "keras_hub>BertBackbone", "config": {"name": "b"}}
    assert _judge(hub) == ("safe", set())


def test_2_function_export_lists_are_generated_from_keras() -> None:
    assert {"relu", "gelu", "softmax"} <= keras_mod.KERAS_EXPORTS["activations"]
    assert set(keras_mod.KERAS_EXPORTS) <= keras_mod.KERAS_FUNCTION_NAMESPACES


# ---- 120k-3: any registry key Keras accepts ------------------------------------------------------

@pytest.mark.parametrize(("key", "verdict"), [("my-org>upload_preset", "unsafe"), ("My Lib>probe_fn", "suspicious"),
                                              ("my-org>probe-fn", "suspicious"), ("pkg 2.0>fn", "suspicious")])
def test_3_registry_key_of_any_characters_is_judged(key: str, verdict: str, tmp_path: Path) -> None:
    doc = _model(_dense(kernel_initializer=key), compile_config={"loss": key, "metrics": [key]})
    got, ids = _judge(doc)
    assert got == verdict, ids
    assert _scan_archive(tmp_path, doc) == verdict


@pytest.mark.parametrize("value", ["ab,bc->ac", "...ab,bc->...ac", "<s>", "</s>", "<|endoftext|>", "<start_of_turn>",
                                   "x > 0", "a => b", "line one>\nline two", ">", "a>", ">b"])
def test_3_fp_strings_that_are_no_registry_key(value: str) -> None:
    layer = {"module": "keras.layers", "class_name": "EinsumDense", "registered_name": None,
             "config": {"name": "e", "equation": value, "output_shape": [4]}}
    tok = {"module": "keras_hub.tokenizers", "class_name": "BytePairTokenizer",
           "registered_name": "keras_hub>BytePairTokenizer",
           "config": {"name": "t", "unsplittable_tokens": [value], "end_token": value}}
    assert _judge(_model(layer)) == ("safe", set())
    assert _judge(tok) == ("safe", set())


# ---- 120k-2/-4: a plain string activation/initializer/regularizer/constraint ----------------------

@pytest.mark.parametrize("loader", ["legacy", "keras3"])
@pytest.mark.parametrize(("key", "value"), [("activation", "my_custom_fn"), ("kernel_initializer", "my_init"),
                                            ("recurrent_activation", "my_custom_fn"),
                                            ("bias_regularizer", "my_reg"), ("kernel_constraint", "my_constraint")])
def test_plain_string_object_outside_keras_names_is_judged(loader: str, key: str, value: str) -> None:
    layer = {"class_name": "Dense", "config": {"name": "d", "units": 2, key: value}}
    doc = _legacy_seq(layer) if loader == "legacy" else _model({"module": "keras.layers", **layer})
    verdict, ids = _judge(doc, loader=loader)
    assert verdict == "suspicious" and "keras.registered-function" in ids, ids


def test_plain_string_io_name_is_unsafe() -> None:
    doc = _legacy_seq({"class_name": "Dense", "config": {"name": "d", "activation": "download_weights"}})
    assert _judge(doc, loader="legacy")[0] == "unsafe"


def test_repro_4_activation_string_is_judged() -> None:
    doc = _legacy_seq({"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "my_custom_fn"}})
    f = judge_config(doc, "model_config", loader="legacy")
    assert any("activation" in m and "my_custom_fn" in m for _, _, m in f.findings), f.findings


@pytest.mark.parametrize(("key", "value"), [
    ("activation", "relu"), ("activation", "linear"), ("activation", "softmax"), ("recurrent_activation", "sigmoid"),
    ("kernel_initializer", "glorot_uniform"), ("kernel_initializer", "GlorotUniform"), ("bias_initializer", "zeros"),
    ("embeddings_initializer", "uniform"), ("recurrent_initializer", "orthogonal"), ("kernel_regularizer", "l2"),
    ("kernel_constraint", "max_norm"), ("intermediate_activation", "quick_gelu"),
    ("hidden_activation", "gelu_approximate"),
])
def test_fp_keras_string_objects_stay_safe(key: str, value: str) -> None:
    doc = _legacy_seq({"class_name": "Dense", "config": {"name": "d", key: value}})
    assert _judge(doc, loader="legacy") == ("safe", set())
    assert _judge(_model(_dense(**{key: value}))) == ("safe", set())
