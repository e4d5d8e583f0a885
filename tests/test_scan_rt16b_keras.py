"""Red team 16b-1/16b-2: Keras 3 resolves ``f"{module}.{class_name}"`` through ``api_export``
(keras 3.15.1 ``serialization_lib._retrieve_class_or_fn``), so a class path may be split between
the two fields: ``{"module": "keras", "class_name": "layers.TorchModuleWrapper"}`` is
``keras.layers.TorchModuleWrapper`` (its from_config torch.loads the pickle in the config; the proof
ran it under ``safe_mode=False``), and ``{"module": "keras", "class_name":
"applications.resnet50.ResNet50"}`` as a Lambda's ``output_shape`` builds ResNet50 and downloads
its weights under the default safe_mode. Every rule is judged on the name Keras resolves. Also the
lead: keras_hub tokenizers and Keras lookup layers open a string ``vocabulary``/``merges``/``proto``
as a file. Archives are built here (no keras needed) from the config keras 3.15.1 wrote
(``fixtures/keras/benign/rt15c-sequential-config.json``)."""

from __future__ import annotations

import copy
import json

import pytest

from mlbom.formats.keras import parse_keras_config
from mlbom.scanner import scan_bytes, scan_file
from tests.conftest import FIXTURES
from tests.helpers import keras_archive

REAL = json.loads((FIXTURES / "keras" / "benign" / "rt15c-sequential-config.json").read_bytes())


def _ids(r: object) -> set[str]:
    return {f.id for f in r.findings}  # type: ignore[attr-defined]


_archive = keras_archive


def _with_layer(module: str, class_name: str, config: dict[str, object], **extra: object) -> dict[str, object]:
    cfg = copy.deepcopy(REAL)
    layer = cfg["config"]["layers"][0]
    layer.update({"module": module, "class_name": class_name, "config": config, **extra})
    layer.pop("registered_name", None) if "registered_name" not in extra else None
    return cfg


def test_16b1_dotted_torch_module_wrapper_is_unsafe() -> None:
    # the red team's layer: base64 torch.save pickle in config["module"] (content irrelevant here)
    cfg = _with_layer("keras", "layers.TorchModuleWrapper", {"name": "d", "trainable": True, "module": "gASVAAAA"})
    r = scan_bytes(_archive(cfg), "model.keras")
    assert r.verdict == "unsafe" and "keras.code-layer" in _ids(r), r.findings


def test_16b2_dotted_lambda_and_application_class_are_unsafe() -> None:
    fn = {"module": "keras.activations", "class_name": "function", "config": "linear", "registered_name": "linear"}
    shape = {"module": "keras", "class_name": "applications.resnet50.ResNet50", "config": {}}
    cfg = _with_layer("keras", "layers.Lambda", {"name": "lam", "trainable": True, "function": fn,
                                                 "output_shape": shape})
    r = scan_bytes(_archive(cfg), "model.keras")
    assert r.verdict == "unsafe", r.findings
    assert {"keras.code-layer", "keras.non-modeling-api"} <= _ids(r), r.findings


@pytest.mark.parametrize("module,name", [
    ("keras", "layers.Lambda"), ("keras", "layers.TFSMLayer"), ("keras.layers", "core.Lambda"),
    ("tf_keras", "layers.Lambda"), ("tensorflow.keras", "layers.TorchModuleWrapper"),
    ("mypkg", "x.TorchModuleWrapper"),
])
def test_code_layers_are_matched_on_the_final_name(module: str, name: str) -> None:
    r = scan_bytes(_archive(_with_layer(module, name, {"name": "d", "trainable": True})), "model.keras")
    assert r.verdict == "unsafe" and "keras.code-layer" in _ids(r), (module, name, r.findings)


def test_code_layer_spelled_by_registered_name_is_unsafe() -> None:
    # get_registered_object(registered_name) is looked up before the module
    cfg = _with_layer("keras.layers", "Dense", {"name": "d", "trainable": True},
                      registered_name="keras_hub>TorchModuleWrapper")
    r = scan_bytes(_archive(cfg), "model.keras")
    assert r.verdict == "unsafe" and "keras.code-layer" in _ids(r), r.findings


@pytest.mark.parametrize("module,name", [
    ("keras", "applications.resnet50.ResNet50"), ("keras.applications", "resnet50.ResNet50"),
    ("keras", "utils.get_file"), ("keras", "saving.load_model"), ("keras", "datasets.mnist.load_data"),
    ("keras.src", "applications.vgg16.VGG16"), ("keras", "config.enable_unsafe_deserialization"),
])
def test_io_names_split_across_fields_are_unsafe(module: str, name: str) -> None:
    as_fn = {"module": module, "class_name": "function", "config": name}
    for obj in (as_fn, {"module": module, "class_name": name, "config": {}}):
        cfg = copy.deepcopy(REAL)
        cfg["config"]["layers"][0]["config"]["activation"] = obj
        r = scan_bytes(_archive(cfg), "model.keras")
        assert r.verdict == "unsafe" and "keras.non-modeling-api" in _ids(r), (obj, r.findings)


def test_dotted_modeling_name_is_suspicious_not_safe() -> None:
    # Keras itself never writes a dotted class_name; even a harmless target is flagged
    cfg = _with_layer("keras", "layers.Dense", {"name": "d", "trainable": True, "units": 3})
    r = scan_bytes(_archive(cfg), "model.keras")
    assert r.verdict == "suspicious" and "keras.dotted-name" in _ids(r), r.findings
    # module "builtins": Keras looks up keras.<activations|optimizers|…>.{name}
    cfg = copy.deepcopy(REAL)
    cfg["config"]["layers"][0]["config"]["activation"] = {"module": "builtins", "class_name": "function",
                                                          "config": "schedules.ExponentialDecay"}
    r = scan_bytes(_archive(cfg), "model.keras")
    assert r.verdict == "suspicious" and "keras.dotted-name" in _ids(r), r.findings


@pytest.mark.parametrize("module,name,config", [
    ("keras", "layers.StringLookup", {"vocabulary": "/etc/passwd"}),
    ("keras.layers", "TextVectorization", {"vocabulary": "../../secrets.txt"}),
    ("keras_hub.src.tokenizers.byte_pair_tokenizer", "BytePairTokenizer",
     {"vocabulary": "/home/u/vocab.json", "merges": "../merges.txt"}),
    ("keras_nlp.src.tokenizers.word_piece_tokenizer", "WordPieceTokenizer", {"vocabulary": "vocab.txt"}),
    ("keras_hub.src.tokenizers.sentence_piece_tokenizer", "SentencePieceTokenizer", {"proto": "/tmp/x.model"}),
])
def test_config_values_opened_as_files_are_unsafe(module: str, name: str, config: dict[str, object]) -> None:
    r = scan_bytes(_archive(_with_layer(module, name, {"name": "t", "trainable": True, **config})), "model.keras")
    assert r.verdict == "unsafe" and "keras.file-read" in _ids(r), (name, r.findings)


def test_in_archive_vocabularies_and_real_configs_stay_safe() -> None:
    # what Keras writes: the vocabulary as a list (lookup layers) or none (keras_hub: assets)
    cfg = _with_layer("keras.layers", "StringLookup", {"name": "s", "trainable": True, "vocabulary": ["a", "b"]})
    assert scan_bytes(_archive(cfg), "model.keras").verdict == "safe"
    assert scan_bytes(_archive(REAL), "model.keras").verdict == "safe"
    for name in ("functional.keras", "sequential.keras", "functional-legacy.h5", "sequential-legacy.h5"):
        r = scan_file(FIXTURES / "keras" / "benign" / name)
        assert r.verdict == "safe", (name, r.findings)


# --- red team 18b note: keras_hub / keras_cv / keras_nlp namespaces --------------------------------

_DTYPE = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "bfloat16"}, "registered_name": None}


def _hub(module: str, cls: str, config: dict[str, object] | None = None, registered: str | None = None,
         ) -> dict[str, object]:
    return {"module": module, "class_name": cls, "config": {"name": cls.lower(), "trainable": True, "dtype": _DTYPE,
                                                            **(config or {})},
            "registered_name": registered if registered is not None else f"keras_hub>{cls}"}


def _hub_ids(doc: object) -> tuple[set[str], str]:
    f = parse_keras_config(json.dumps(doc).encode())
    effects = set(f.effects.values())
    return {i for i, _, _ in f.findings}, "unsafe" if "unsafe" in effects else \
        "suspicious" if "suspicious" in effects else "safe"


def test_18b_real_keras_hub_preset_configs_stay_safe() -> None:
    """The shapes keras_hub 0.32's ``save_to_preset`` writes (``serialize_keras_object``: config.json,
    tokenizer.json, preprocessor.json; metadata.json), for keras_hub, keras_nlp and keras_cv modules."""
    backbone = _hub("keras_hub.src.models.gemma.gemma_backbone", "GemmaBackbone",
                    {"vocabulary_size": 256000, "num_layers": 18, "hidden_dim": 2048, "query_head_dim_normalize": True})
    tokenizer = _hub("keras_hub.src.models.gemma.gemma_tokenizer", "GemmaTokenizer",
                     {"config_file": "tokenizer.json", "proto": None, "sequence_length": None, "add_bos": False,
                      "add_eos": False})
    preprocessor = _hub("keras_hub.src.models.gemma.gemma_causal_lm_preprocessor", "GemmaCausalLMPreprocessor",
                        {"tokenizer": tokenizer, "sequence_length": 1024, "add_start_token": True})
    bpe = _hub("keras_nlp.src.models.gpt2.gpt2_tokenizer", "GPT2Tokenizer",
               {"config_file": "tokenizer.json", "sequence_length": None, "add_prefix_space": False,
                "unsplittable_tokens": ["<|endoftext|>"]}, registered="keras_nlp>GPT2Tokenizer")
    cv = _hub("keras_cv.src.models.backbones.resnet_v1.resnet_v1_backbone", "ResNetBackbone",
              {"stackwise_filters": [64, 128], "include_rescaling": True}, registered="keras_cv>ResNetBackbone")
    act = _hub("keras_hub.src.layers.modeling.transformer_encoder", "TransformerEncoder",
               {"intermediate_dim": 8, "num_heads": 2,
                "activation": {"module": "keras_hub.src.utils.keras_utils", "class_name": "function",
                               "config": "gelu_approximate", "registered_name": "keras_hub>gelu_approximate"}})
    for doc in (backbone, tokenizer, preprocessor, bpe, cv, act):
        ids, verdict = _hub_ids(doc)
        assert verdict == "safe", (doc["class_name"], ids)
    metadata = {"keras_version": "3.8.0", "keras_hub_version": "0.32.0", "parameter_count": 2506172416,
                "date_saved": "2025-01-01@00:00:00", "tasks": ["CausalLM"]}
    assert scan_bytes(json.dumps(metadata).encode(), "metadata.json").verdict == "safe"
    assert scan_bytes(json.dumps(backbone).encode(), "config.json").verdict == "safe"


def test_18b_keras_hub_io_and_unknown_namespaces_are_judged() -> None:
    """keras_namespace() returned None under keras_hub/keras_cv/keras_nlp, so importing any of their
    submodules was ``safe``. Now the I/O namespaces are unsafe, the others outside modeling suspicious."""
    for module, cls, kind in (("keras_hub.src.utils.preset_utils", "load_serialized_object", "function"),
                              ("keras_hub.src.utils.transformers.preset_loader", "TransformersPresetLoader", "class"),
                              ("keras_hub.utils", "decode_imagenet_predictions", "function"),
                              ("keras_cv.src.datasets.pascal_voc.load", "load", "function"),
                              ("keras_cv.visualization", "plot_image_gallery", "function"),
                              ("keras_nlp.src.utils.preset_utils", "PresetLoader", "class"),
                              ("keras_hub.src.vllm.plugin", "register", "function"),
                              ("keras_cv.src.custom_ops", "load_library", "function")):
        doc: dict[str, object] = {"module": module, "class_name": "function" if kind == "function" else cls,
                                  "config": cls if kind == "function" else {"name": "x"},
                                  "registered_name": None}
        ids, verdict = _hub_ids(doc)
        assert verdict == "unsafe" and "keras.non-modeling-api" in ids, (module, cls, ids)
    for module, cls in (("keras_hub.src.somewhere_new", "Thing"), ("keras_hub", "GemmaBackbone"),
                        ("keras_hub.src.models.gemma.gemma_backbone", "function")):
        doc = {"module": module, "class_name": cls, "config": {"name": "x"} if cls != "function" else "helper",
               "registered_name": None}
        ids, verdict = _hub_ids(doc)
        assert verdict == "suspicious" and "keras.unvetted-api" in ids, (module, cls, ids)
    # a tokenizer config with a string vocabulary/merges/proto reads a file: unsafe, as before
    doc = _hub("keras_hub.src.models.gemma.gemma_tokenizer", "GemmaTokenizer", {"proto": "/etc/passwd"})
    assert _hub_ids(doc)[1] == "unsafe"
