"""Red team 97sc-1: Keras 3 looks a function's name up among the registered custom objects
(``package>name``) before its module, and a class's ``registered_name`` before its module and
class name: ``{"module": "keras.activations", "class_name": "function", "config":
"keras_hub>upload_preset"}`` loaded keras_hub's preset uploader as a Dense activation while mlbom
judged an activation. A registry key as a function name, or a registered name that is not the
class named beside it, is another object than the one named: never ``safe``."""

from __future__ import annotations

import copy
import json

import pytest

from mlbom.scanner import scan_bytes
from tests.conftest import FIXTURES
from tests.helpers import keras_archive

REAL = json.loads((FIXTURES / "keras" / "benign" / "rt15c-sequential-config.json").read_bytes())


def _with_activation(act: object) -> dict[str, object]:
    cfg = copy.deepcopy(REAL)
    cfg["config"]["layers"][0]["config"]["activation"] = act
    return cfg


@pytest.mark.parametrize("mod", ["keras.activations", "builtins", "keras.src.activations", None])
@pytest.mark.parametrize("name", ["keras_hub>upload_preset", "Custom>relu", "keras>relu"])
def test_rt97sc_1_registry_key_as_function_name(mod: str | None, name: str) -> None:
    act = {"module": mod, "class_name": "function", "config": name, "registered_name": "relu"}
    r = scan_bytes(keras_archive(_with_activation(act)), "model.keras")
    assert r.verdict in ("suspicious", "unsafe"), r.findings


def test_rt97sc_1_registered_class_name_not_the_class() -> None:
    cfg = copy.deepcopy(REAL)
    layer = cfg["config"]["layers"][0]
    layer["registered_name"] = "keras_hub>SomeOtherLayer"
    r = scan_bytes(keras_archive(cfg), "model.keras")
    assert r.verdict == "suspicious" and any(f.id == "keras.registered-mismatch" for f in r.findings), r.findings


def test_rt97sc_1_registered_name_of_the_class_itself_stays_safe() -> None:
    cfg = copy.deepcopy(REAL)
    layer = cfg["config"]["layers"][0]
    layer["registered_name"] = f"keras>{layer['class_name']}"
    r = scan_bytes(keras_archive(cfg), "model.keras")
    assert r.verdict == "safe", r.findings
