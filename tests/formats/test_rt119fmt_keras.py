"""Red team 119fmt: the Keras config judge. Keras 3 reaches its registry of custom objects
(``package>name`` keys; keras_hub registers every exported function under ``keras_hub>name``)
by more routes than the judge modelled:

- -4: a class's ``registered_name`` is looked up before its module, and a registered FUNCTION is
  returned as is (then used as an initializer/activation/loss);
- -1: a string that is a registry key, anywhere Keras deserializes it (a Dense
  ``kernel_initializer``, ``compile_config``'s loss/optimizer/metrics), resolves to the object;
- -3: a function under module ``builtins`` whose name is none of Keras' built-ins resolves to any
  registry entry whose key ends ``>name`` (the "Keras <= 3.6" workaround);
- -2: an ``.h5`` is read by keras' legacy loader whatever its ``model_config`` says: a top-level
  ``module`` key no longer switches the rules;
- -5: the walk built a display path per node before visiting it (N x depth memory): paths are
  now built only for findings, and bounded.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from mlbom.formats.keras import parse_keras_config
from mlbom.scanner import scan_file
from tests.conftest import FIXTURES
from tests.helpers import keras_archive

KERAS = FIXTURES / "keras"


def _verdict(effects: dict[str, str]) -> str:
    vals = set(effects.values())
    return next((v for v in ("unsafe", "error", "suspicious") if v in vals), "safe")


def _judge(doc: object) -> tuple[str, set[str]]:
    f = parse_keras_config(json.dumps(doc).encode())
    return _verdict(dict(f.effects)), {i for i, _, _ in f.findings}


def _dense(**config: object) -> dict[str, object]:
    return {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
            "config": {"name": "d", "units": 2, **config}}


def _model(*layers: dict[str, object], compile_config: object = None) -> dict[str, object]:
    doc: dict[str, object] = {"module": "keras", "class_name": "Sequential", "registered_name": None,
                              "config": {"name": "s", "layers": [
                                  {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                                   "config": {"batch_shape": [None, 4], "name": "in"}}, *layers]}}
    if compile_config is not None:
        doc["compile_config"] = compile_config
    return doc


def _scan_archive(tmp_path: Path, cfg: object) -> str:
    p = tmp_path / "m.keras"
    p.write_bytes(keras_archive(cfg))
    return scan_file(p).verdict


# ---- 119fmt-4: registered_name is what Keras resolves ------------------------------------------

@pytest.mark.parametrize(("module", "name"), [
    ("keras_hub.models", "upload_preset"),
    ("keras.layers", "upload_preset"),
    ("keras_hub.layers", "compute_word_piece_vocabulary"),
    ("keras_hub.src.models.gemma.gemma_backbone", "upload_preset"),
])
def test_4_registered_function_key_under_a_modeling_module_is_unsafe(module: str, name: str) -> None:
    init = {"module": module, "class_name": name, "registered_name": f"keras_hub>{name}", "config": {}}
    verdict, ids = _judge(_model(_dense(kernel_initializer=init)))
    assert verdict == "unsafe" and "keras.non-modeling-api" in ids, ids


def test_4_unknown_lowercase_registry_key_is_suspicious() -> None:
    act = {"module": "keras_hub.models", "class_name": "imagenet_id_to_name",
           "registered_name": "keras_hub>imagenet_id_to_name", "config": {}}
    verdict, ids = _judge(_model(_dense(activation=act)))
    assert verdict == "suspicious" and "keras.registered-function" in ids, ids


def test_4_hub_io_prefixes_match_the_registry_rule() -> None:
    """``_hub_api`` lacked ``upload``/``compute_``: the same name without a registered_name."""
    init = {"module": "keras_hub.models", "class_name": "upload_preset", "registered_name": None, "config": {}}
    verdict, ids = _judge(_model(_dense(kernel_initializer=init)))
    assert verdict == "unsafe" and "keras.non-modeling-api" in ids, ids


def test_4_real_registered_classes_stay_safe() -> None:
    """keras_hub's own classes (``keras_hub>GemmaBackbone``, ``keras_nlp>GPT2Tokenizer``) as
    ``save_to_preset`` writes them."""
    for module, cls, reg in (("keras_hub.src.models.gemma.gemma_backbone", "GemmaBackbone", "keras_hub>GemmaBackbone"),
                             ("keras_nlp.src.models.gpt2.gpt2_tokenizer", "GPT2Tokenizer", "keras_nlp>GPT2Tokenizer"),
                             ("keras_cv.src.models.backbones.resnet_v1.resnet_v1_backbone", "ResNetBackbone",
                              "keras_cv>ResNetBackbone")):
        doc = {"module": module, "class_name": cls, "registered_name": reg, "config": {"name": "x"}}
        assert _judge(doc) == ("safe", set()), (cls, _judge(doc))


# ---- FP guards: real Keras 3.15.1 saves ----------------------------------------------------------

@pytest.mark.parametrize("name", ["rt119fmt-seq.keras", "rt119fmt-seq.h5", "rt119fmt-misc.keras",
                                  "functional.keras", "sequential.keras", "functional-legacy.h5",
                                  "sequential-legacy.h5"])
def test_real_saves_stay_safe(name: str) -> None:
    r = scan_file(KERAS / "benign" / name)
    assert r.verdict == "safe", [(f.id, f.message[:160]) for f in r.findings]


def test_real_save_config_has_the_builtins_loss() -> None:
    """The fixture holds the spelling the builtins rule must keep safe."""
    with zipfile.ZipFile(KERAS / "benign" / "rt119fmt-seq.keras") as z:
        text = z.read("config.json").decode()
    assert '"module": "builtins", "class_name": "function", "config": "mean_squared_error"' in text
    assert parse_keras_config(text.encode()).findings == []


