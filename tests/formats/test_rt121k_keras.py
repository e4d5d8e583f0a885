"""Red team 121k: the Keras config judge, third round.

- -1: in an ``.h5``, a ``module`` key beside a plain custom ``class_name`` sent the object to the module
  rules, where the legacy custom-object rule (120k-4) never ran: Keras hands a module-keyed object to
  its Keras 3 deserializer (registered name defaults to the class name, custom objects first), and the
  legacy one never reads ``module``: the plain name is judged whatever keys the object carries;
- -5: keras_hub ``PositionEmbedding`` passes ``"initializer"`` to ``keras.initializers.get`` (custom
  objects first, called in ``build``): the keys judged as string objects come from a grep of
  ``*.get(`` in keras/keras_hub (``STRING_OBJECT_KEYS``); keras_hub's other activation keys are judged
  under the legacy rules, whose loader swaps a config string for a same-named custom function;
- -3: beside a ``keras_hub.*`` module, a plain (or missing, so defaulted) registered name is looked up
  among the custom objects first: judged unless keras_hub exports that class (``HUB_EXPORTS``, generated
  by tools/keras_names.py from keras_hub 0.32);
- -4 (FP): a lookup layer's ``vocabulary`` list (and the other data lists: ``DATA_LIST_KEYS``) is taken
  as is by the constructor, never deserialized: its tokens (``(x>0)``, ``i>=n``) are no registry keys;
- -2: a plain string under a compile_config / ``.h5`` training_config's loss, metrics, weighted_metrics or
  optimizer that is none of Keras' loss/metric/optimizer names or aliases (``COMPILE_NAMES``) is found
  only among the custom objects (built at load, called at fit/evaluate): suspicious, I/O names unsafe.
"""

from __future__ import annotations

import pytest

from mlbom.formats import keras_names
from tests.helpers import keras_judged as _judge
from tests.helpers import keras_model as _model


def _legacy_seq(*layers: dict[str, object]) -> dict[str, object]:
    return {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "in"}},
        *layers]}}


# ---- 121k-1: a module key does not undo the legacy rule -------------------------------------------

@pytest.mark.parametrize("module", ["keras.layers", "keras.initializers", "keras", "keras.src.layers.core.dense"])
def test_1_module_beside_plain_custom_class_in_h5_is_judged(module: str) -> None:
    init = {"module": module, "class_name": "my_init", "config": {}}
    doc = _legacy_seq({"module": "keras.layers", "class_name": "Dense",
                       "config": {"name": "d", "units": 2, "kernel_initializer": init}})
    assert _judge(doc, loader="legacy")[0] == "suspicious"
    layer = _legacy_seq({"module": module, "class_name": "MyLayer", "config": {"name": "x"}})
    assert _judge(layer, loader="legacy")[0] == "suspicious"


@pytest.mark.parametrize("registered", [None, "MyLayer"])
def test_1_module_and_registered_name_beside_plain_custom_class_in_h5_is_judged(registered: object) -> None:
    doc = _legacy_seq({"module": "keras.layers", "class_name": "MyLayer", "registered_name": registered,
                       "config": {"name": "x"}})
    assert _judge(doc, loader="legacy")[0] == "suspicious"


def test_1_module_beside_io_name_in_h5_is_unsafe() -> None:
    init = {"module": "keras.initializers", "class_name": "upload_preset", "config": {}}
    doc = _legacy_seq({"module": "keras.layers", "class_name": "Dense",
                       "config": {"name": "d", "units": 2, "kernel_initializer": init}})
    assert _judge(doc, loader="legacy")[0] == "unsafe"


def test_1_fp_module_keyed_keras_classes_in_h5_stay_safe() -> None:
    init = {"module": "keras.initializers", "class_name": "GlorotUniform", "registered_name": None,
            "config": {"seed": None}}
    doc = _legacy_seq({"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                       "config": {"name": "d", "units": 2, "kernel_initializer": init}},
                      {"module": "keras.layers", "class_name": "Dropout", "config": {"name": "o", "rate": 0.1}})
    assert _judge(doc, loader="legacy") == ("safe", set())
    hub = _legacy_seq({"module": "keras_hub.layers", "class_name": "PositionEmbedding",
                       "registered_name": "keras_hub>PositionEmbedding", "config": {"name": "p"}})
    assert _judge(hub, loader="legacy") == ("safe", set())


# ---- 121k-5: PositionEmbedding's "initializer" and keras_hub's activation keys --------------------

def _pe(**config: object) -> dict[str, object]:
    return {"module": "keras_hub.layers", "class_name": "PositionEmbedding",
            "registered_name": "keras_hub>PositionEmbedding", "config": {"name": "p", "sequence_length": 8, **config}}


@pytest.mark.parametrize("loader", ["keras3", "legacy"])
@pytest.mark.parametrize(("value", "verdict"), [("my_init", "suspicious"), ("upload_preset", "unsafe")])
def test_5_position_embedding_initializer_string_is_judged(loader: str, value: str, verdict: str) -> None:
    assert _judge(_model(_pe(initializer=value)), loader=loader)[0] == verdict


@pytest.mark.parametrize("key", ["initializer", "regularizer", "constraint"])
def test_5_bare_object_keys_are_judged(key: str) -> None:
    assert _judge(_model(_pe(**{key: "my_fn"})))[0] == "suspicious"


@pytest.mark.parametrize("key", ["intermediate_activation", "classifier_activation", "hidden_activation",
                                 "activation_fn"])
def test_5_hub_activation_keys_are_judged_under_legacy_rules(key: str) -> None:
    layer = {"module": "keras_hub.layers", "class_name": "TransformerEncoder",
             "registered_name": "keras_hub>TransformerEncoder", "config": {"name": "t", key: "my_fn"}}
    assert _judge(_model(layer), loader="legacy")[0] == "suspicious"


@pytest.mark.parametrize("loader", ["keras3", "legacy"])
def test_5_fp_keras_and_hub_names_stay_safe(loader: str) -> None:
    init = {"module": "keras.initializers", "class_name": "RandomNormal", "registered_name": None,
            "config": {"mean": 0.0, "stddev": 0.02, "seed": None}}
    layer = {"module": "keras_hub.layers", "class_name": "MaskedLMHead",
             "registered_name": "keras_hub>MaskedLMHead",
             "config": {"name": "h", "intermediate_activation": "gelu", "activation": "softmax",
                        "hidden_activation": "quick_gelu", "activation_fn": "silu", "kernel_initializer": "he_normal"}}
    assert _judge(_model(_pe(initializer=init), _pe(initializer="glorot_uniform"), layer), loader=loader) \
        == ("safe", set())


# ---- 121k-3: no registered_name beside a keras_hub module --------------------------------------------

@pytest.mark.parametrize("loader", ["keras3", "legacy"])
@pytest.mark.parametrize("module", ["keras_hub.models", "keras_hub.layers", "keras_nlp.layers", "keras_cv.layers"])
@pytest.mark.parametrize("cls", ["MyLayer", "my_fn"])
def test_3_hub_module_without_registered_name_is_judged(loader: str, module: str, cls: str) -> None:
    doc = _model({"module": module, "class_name": cls, "config": {"name": "x"}})
    assert _judge(doc, loader=loader)[0] == "suspicious"


def test_3_hub_module_plain_registered_name_is_judged() -> None:
    doc = _model({"module": "keras_hub.layers", "class_name": "MyLayer", "registered_name": "MyLayer",
                  "config": {"name": "x"}})
    assert _judge(doc)[0] == "suspicious"


@pytest.mark.parametrize("cls", ["PositionEmbedding", "TransformerEncoder", "GemmaBackbone", "BertTokenizer"])
def test_3_fp_hub_classes_stay_safe(cls: str) -> None:
    module = "keras_hub.models" if cls[:1] in "GB" else "keras_hub.layers"
    for reg in ({}, {"registered_name": f"keras_hub>{cls}"}):
        doc = _model({"module": module, "class_name": cls, **reg, "config": {"name": "x"}})
        assert _judge(doc) == ("safe", set()), reg


def test_3_hub_export_list_is_generated_from_keras_hub() -> None:
    assert {"PositionEmbedding", "TransformerEncoder", "GemmaBackbone", "BertTokenizer"} <= keras_names.HUB_EXPORTS
    assert all(n[:1].isupper() for n in keras_names.HUB_EXPORTS)


# ---- 121k-4 (FP): vocabulary tokens are data ----------------------------------------------------------

TOKENS = ["if", "(x>0)", "i>=n", "return", "a>b"]


@pytest.mark.parametrize("loader", ["keras3", "legacy"])
@pytest.mark.parametrize("key", ["vocabulary", "special_tokens", "unsplittable_tokens", "reserved_tokens"])
def test_4_fp_token_lists_are_not_registry_keys(loader: str, key: str) -> None:
    layer = {"module": "keras.layers", "class_name": "StringLookup", "registered_name": None,
             "config": {"name": "lookup", "max_tokens": None, "num_oov_indices": 1, "mask_token": None,
                        "oov_token": "[UNK]", "output_mode": "int", key: TOKENS, "idf_weights": None}}
    assert _judge(_model(layer), loader=loader) == ("safe", set())


def test_4_compile_lists_are_still_judged() -> None:
    doc = _model(compile_config={"optimizer": "adam", "loss": "mse", "metrics": ["my>metric"]})
    assert _judge(doc)[0] == "suspicious"
    layer = {"module": "keras.layers", "class_name": "StringLookup", "registered_name": None,
             "config": {"name": "lookup", "vocabulary": TOKENS, "other": ["a>b"]}}
    assert _judge(_model(layer))[0] == "suspicious"  # only the data keys are exempt


# ---- 121k-2: plain strings in compile_config / training_config --------------------------------------

@pytest.mark.parametrize(("cfg", "verdict"), [
    ({"optimizer": "adam", "loss": "upload_preset", "metrics": ["accuracy"]}, "unsafe"),
    ({"optimizer": "adam", "loss": "mse", "metrics": ["my_metric"]}, "suspicious"),
    ({"optimizer": "my_optimizer", "loss": "mse"}, "suspicious"),
    ({"optimizer": "adam", "loss": {"d": "my_loss", "e": "mse"}}, "suspicious"),
    ({"optimizer": "adam", "loss": "mse", "weighted_metrics": [["mae", "my_metric"]]}, "suspicious"),
])
def test_2_compile_config_plain_strings_are_judged(cfg: dict[str, object], verdict: str) -> None:
    assert _judge(_model(compile_config=cfg))[0] == verdict


@pytest.mark.parametrize(("loss", "verdict"), [("upload_preset", "unsafe"), ("my_loss", "suspicious")])
def test_2_legacy_training_config_plain_strings_are_judged(loss: str, verdict: str) -> None:
    tc = {"loss": loss, "metrics": ["accuracy"], "weighted_metrics": None, "loss_weights": None,
          "optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.001}}}
    assert _judge(tc, loader="legacy")[0] == verdict


@pytest.mark.parametrize("loader", ["keras3", "legacy"])
def test_2_fp_keras_compile_names_stay_safe(loader: str) -> None:
    names = ["accuracy", "acc", "ACC", "crossentropy", "ce", "mae", "MSE", "auc", "AUC", "r2_score", "f1_score",
             "precision", "recall", "root_mean_squared_error", "sparse_categorical_accuracy", "kld", "bce",
             "huber", "logcosh", "categorical_crossentropy", "mean_io_u", "top_k_categorical_accuracy"]
    for opt in ("adam", "adamw", "sgd", "rmsprop", "nadam", "lion", "Adam", "SGD", "ftrl"):
        cfg = {"optimizer": opt, "loss": {"a": "mse", "b": "binary_crossentropy"}, "metrics": names,
               "loss_weights": None, "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1,
               "jit_compile": "auto"}
        assert _judge(_model(compile_config=cfg), loader=loader) == ("safe", set()), opt
    tc = {"loss": "categorical_crossentropy", "metrics": [["accuracy"]], "weighted_metrics": None,
          "loss_weights": None, "optimizer_config": {"class_name": "Adam", "config": {"name": "Adam"}}}
    assert _judge(tc, loader="legacy") == ("safe", set())
