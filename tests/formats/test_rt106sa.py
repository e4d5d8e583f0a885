"""Red team 106sa. -1: a legacy Keras document (every ``.h5`` model_config, a tf.keras 2 JSON) whose
layer ``class_name`` is a registry key (``keras_hub>compute_word_piece_vocabulary``) was never
judged: Keras' legacy deserializer looks the key up among the registered custom objects and, for a
function, calls it with the config as keyword arguments (a file write, an upload); a config string
that is such a key is replaced by the registered function. -2: four 64 KiB chat templates in one
257 KB GGUF cost 3.7 s of Jinja2 parsing; 64 KiB of templates are judged per file now."""

from __future__ import annotations

import pytest

from mlbom.formats import jinja_ast
from mlbom.formats.keras import judge_config
from mlbom.scanner import scan_file
from tests.conftest import FIXTURES
from tests.formats.test_gguf import gguf, kv_str, parse
from tests.helpers import counting_calls

H5 = FIXTURES / "keras" / "malicious" / "registered-function-class-name.h5"


def _legacy(layer: dict[str, object]) -> dict[str, object]:
    return {"class_name": "Sequential", "config": {"name": "s", "layers": [layer]}}


def test_a_registered_function_as_a_legacy_h5_layer_is_unsafe() -> None:
    """Written with h5py as Keras' legacy saver writes it (red team 106sa's h5_registered_class_name.py)."""
    r = scan_file(H5)
    assert r.verdict == "unsafe", [(f.id, f.message[:160]) for f in r.findings]
    assert "keras.non-modeling-api" in {f.id for f in r.findings}


@pytest.mark.parametrize(("doc", "effect"), [
    (_legacy({"class_name": "keras_hub>compute_word_piece_vocabulary", "config": {"data": ["/etc/hostname"]}}), "unsafe"),
    (_legacy({"class_name": "keras_hub>upload_preset", "config": {"uri": "hf://x/y", "preset": "."}}), "unsafe"),
    (_legacy({"class_name": "keras_hub>imagenet_id_to_name", "config": {"id": 1}}), "suspicious"),
    (_legacy({"class_name": "Custom>MyLayer", "config": {"name": "m"}}), "suspicious"),
    (_legacy({"class_name": "Dense", "config": {"name": "d", "activation": "keras_hub>upload_preset"}}), "unsafe"),
    (_legacy({"class_name": "Dense", "config": {"name": "d", "activation": "Custom>swish2"}}), "suspicious"),
    # Keras 3 defaults registered_name to class_name and looks it up first
    ({"module": "keras.layers", "class_name": "keras_hub>imagenet_id_to_name", "config": {"id": 1}}, "suspicious"),
])
def test_registry_keys_are_judged_in_every_document(doc: dict[str, object], effect: str) -> None:
    assert effect in judge_config(doc, "x").effects.values()


@pytest.mark.parametrize("doc", [
    _legacy({"class_name": "keras_hub>GemmaBackbone", "config": {"name": "b"}}),  # Keras 3's legacy .h5 spelling
    _legacy({"class_name": "Dense", "config": {"name": "d", "activation": "relu", "units": 3}}),
])
def test_keras_classes_under_registry_keys_stay_clean(doc: dict[str, object]) -> None:
    assert judge_config(doc, "x").effects == {}


def test_chat_templates_have_a_64_kib_budget_per_file(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "{{ [" + ",".join(["m[0]"] * 12_000) + "] }}"  # ~60 KB each
    keys = ["tokenizer.chat_template", "tokenizer.chat_template.a", "tokenizer.chat_template.b",
            "tokenizer.chat_template.c"]
    data = gguf(*(kv_str(k, body.replace("[", f"[{i},", 1)) for i, k in enumerate(keys)))
    with counting_calls(monkeypatch, jinja_ast, "check_template") as calls:
        f = parse(data)
    assert calls[0] <= 1  # one template parsed, the rest over the budget
    assert any(fid == "gguf.templates-too-large" for fid, _s, _m in f.findings)
