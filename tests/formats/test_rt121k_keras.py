"""Red team 121k: the Keras config judge, third round.

- -1: in an ``.h5``, a ``module`` key beside a plain custom ``class_name`` sent the object to the module
  rules, where the legacy custom-object rule (120k-4) never ran: Keras hands a module-keyed object to
  its Keras 3 deserializer (registered name defaults to the class name, custom objects first), and the
  legacy one never reads ``module``: the plain name is judged whatever keys the object carries.
"""

from __future__ import annotations

import pytest

from mlbom.formats.keras import judge_config


def _verdict(effects: dict[str, str]) -> str:
    vals = set(effects.values())
    return next((v for v in ("unsafe", "error", "suspicious") if v in vals), "safe")


def _judge(doc: object, loader: str | None = "keras3") -> tuple[str, set[str]]:
    f = judge_config(doc, "config.json", loader=loader)
    return _verdict(dict(f.effects)), {i for i, _, _ in f.findings}


def _legacy_seq(*layers: dict[str, object]) -> dict[str, object]:
    return {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "in"}},
        *layers]}}


def _model(*layers: dict[str, object], compile_config: object = None) -> dict[str, object]:
    doc: dict[str, object] = {"module": "keras", "class_name": "Sequential", "registered_name": None,
                              "config": {"name": "s", "layers": [
                                  {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                                   "config": {"batch_shape": [None, 4], "name": "in"}}, *layers]}}
    if compile_config is not None:
        doc["compile_config"] = compile_config
    return doc


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
