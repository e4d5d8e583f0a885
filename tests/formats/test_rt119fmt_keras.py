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

from mlbom.formats import keras as keras_mod
from mlbom.formats.keras import judge_config, parse_keras_config
from mlbom.scanner import scan_file
from tests.conftest import FIXTURES
from tests.helpers import counting_calls, keras_archive
from tests.helpers import keras_dense as _dense
from tests.helpers import keras_model as _model
from tests.helpers import keras_verdict as _verdict

KERAS = FIXTURES / "keras"


def _judge(doc: object) -> tuple[str, set[str]]:
    f = parse_keras_config(json.dumps(doc).encode())
    return _verdict(dict(f.effects)), {i for i, _, _ in f.findings}


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


# ---- 119fmt-1: registry-key strings wherever Keras deserializes them -----------------------------

def test_1_string_initializer_in_a_keras3_archive_is_unsafe(tmp_path: Path) -> None:
    cfg = _model(_dense(kernel_initializer="keras_hub>upload_preset"))
    verdict, ids = _judge(cfg)
    assert verdict == "unsafe" and "keras.non-modeling-api" in ids, ids
    assert _scan_archive(tmp_path, cfg) == "unsafe"


@pytest.mark.parametrize(("compile_config", "want"), [
    ({"optimizer": "keras_hub>upload_preset", "loss": "mse"}, "unsafe"),
    ({"optimizer": "adam", "loss": "my_pkg>my_loss"}, "suspicious"),
    ({"optimizer": "adam", "loss": "mse", "metrics": ["mae", "keras_hub>compute_word_piece_vocabulary"]}, "unsafe"),
    ({"optimizer": "adam", "loss": {"out": "my_pkg>my_loss"}}, "suspicious"),
    ({"optimizer": "adam", "loss": "mse", "metrics": [["acc", "my_pkg>my_metric"]]}, "suspicious"),
])
def test_1_compile_config_strings_are_judged(compile_config: dict[str, object], want: str) -> None:
    verdict, ids = _judge(_model(_dense(), compile_config=compile_config))
    assert verdict == want, ids


def test_1_plain_strings_and_keras_classes_stay_safe() -> None:
    cfg = _model(_dense(kernel_initializer="glorot_uniform", activation="relu", dtype="float32"),
                 compile_config={"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                                 "metrics": ["accuracy", "mae"], "loss_weights": None})
    assert _judge(cfg) == ("safe", set())
    # a CamelCase class of Keras' packages, as Keras 3's legacy writer spells it, is a modeling class
    assert _judge(_model(_dense(kernel_initializer="keras>GlorotUniform"))) == ("safe", set())


def test_1_a_function_objects_own_registry_name_keeps_its_rule() -> None:
    """keras_hub's ``gelu_approximate``, as pre-3.7 Keras wrote it, stays safe: the object's own
    fields are judged by the function rule, not again as plain strings."""
    act = {"module": "keras_hub.src.utils.keras_utils", "class_name": "function", "config": "gelu_approximate",
           "registered_name": "keras_hub>gelu_approximate"}
    doc = {"module": "keras_hub.src.layers.modeling.transformer_encoder", "class_name": "TransformerEncoder",
           "registered_name": "keras_hub>TransformerEncoder",
           "config": {"intermediate_dim": 8, "num_heads": 2, "activation": act}}
    assert _judge(doc) == ("safe", set())


def test_1_registered_name_in_a_plain_dict_is_a_value() -> None:
    """A dict without ``config`` is no object: Keras deserializes each of its values, the
    ``registered_name`` string included."""
    doc = _model(_dense(), compile_config={"loss": {"class_name": "x", "registered_name": "keras_hub>upload_preset"}})
    assert _judge(doc)[0] == "unsafe"


# ---- 119fmt-3: builtins + a bare name is a registry suffix match ---------------------------------

@pytest.mark.parametrize(("name", "want"), [
    ("upload_preset", "unsafe"),
    ("compute_sentence_piece_proto", "unsafe"),
    ("my_custom_activation", "suspicious"),
    ("relu", "safe"), ("gelu", "safe"), ("swish", "safe"), ("mean_squared_error", "safe"),
    ("binary_crossentropy", "safe"), ("sparse_categorical_accuracy", "safe"), ("glorot_uniform", "safe"),
])
def test_3_builtins_names_outside_keras_resolve_through_the_registry(name: str, want: str) -> None:
    fn = {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
    verdict, ids = _judge(_model(_dense(activation=fn), compile_config={"optimizer": "adam", "loss": fn}))
    assert verdict == want, (name, ids)


def test_3_registry_key_as_a_function_name_with_an_io_final_is_unsafe() -> None:
    fn = {"module": "builtins", "class_name": "function", "config": "keras_hub>upload_preset",
          "registered_name": "function"}
    assert _judge(_model(_dense(activation=fn)))[0] == "unsafe"


# ---- 119fmt-2: the loader, not the document, picks the rule set ----------------------------------

def test_2_legacy_h5_with_module_keys_is_judged_by_the_legacy_rules() -> None:
    """Made with h5py (tests/fixtures/keras/make_rt119fmt.py): was SAFE, the document's ``module``
    key had switched off the legacy value rule."""
    r = scan_file(KERAS / "malicious" / "rt119fmt-2-module-key.h5")
    assert r.verdict == "unsafe", [(f.id, f.message[:160]) for f in r.findings]
    assert "keras.non-modeling-api" in {f.id for f in r.findings}


def test_2_loader_fixes_the_rule_set() -> None:
    doc = {"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Dense", "config": {"name": "d", "kernel_initializer": "keras_hub>compute_word_piece_vocabulary"}}]}}
    for loader in ("legacy", "keras3", None):
        assert _verdict(dict(judge_config(doc, "x", loader=loader).effects)) == "unsafe", loader
    # a .keras archive is read by Keras 3's deserializer even when its config.json names no module:
    # a module-less class there resolves only among registered custom objects
    bare = {"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Scale", "config": {}}]}}
    # loose JSON: either loader; since red team 120k-4 the legacy rules judge a plain class that is none
    # of Keras' own too (the legacy loader resolves it among the registered/custom objects)
    assert _verdict(dict(judge_config(bare, "x").effects)) == "suspicious"
    assert _verdict(dict(judge_config(bare, "x", loader="legacy").effects)) == "suspicious"
    assert _verdict(dict(judge_config(bare, "x", loader="keras3").effects)) == "suspicious"
    with pytest.raises(ValueError):
        judge_config(bare, "x", loader="keras4")


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


# ---- 119fmt-5: paths built only for findings -----------------------------------------------------

def _deep_wide(n: int, depth: int = 250, leaf: object = None) -> dict[str, object]:
    node: object = [{} for _ in range(n)] if leaf is None else [{} for _ in range(n - 1)] + [leaf]
    for _ in range(depth):
        node = {"k" * 40: node}
    return {"module": "keras", "class_name": "Sequential", "config": node}


def test_5_no_display_path_is_built_for_a_clean_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Was: a 10 KB label per node before visiting it (311 KB config: 1 GB). Count the paths
    formatted: none for a document without findings, whatever its size."""
    doc = _deep_wide(5_000)
    with counting_calls(monkeypatch, keras_mod._Path, "__str__") as calls:
        f = judge_config(doc, "cfg")
    assert f.findings == [] and calls[0] == 0


def test_5_walk_keeps_one_iterator_per_level(monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk holds its levels, not every pending child: count the pending path objects alive
    at the deepest leaf (was: one label per sibling, N of them)."""
    n, depth = 3_000, 100
    doc = _deep_wide(n, depth=depth)
    made = [0]
    real_init = keras_mod._Path.__init__

    def counted(self: keras_mod._Path, parent: keras_mod._Path | None, part: str) -> None:
        made[0] += 1
        real_init(self, parent, part)

    monkeypatch.setattr(keras_mod._Path, "__init__", counted)
    walk = keras_mod._walk(doc)
    seen = 0
    for _path, node in walk:
        seen += 1
        if node == {} and seen < depth + 5:
            # the first leaf: every path made so far lies on the way down to it
            assert made[0] <= depth + 5, made[0]
    assert seen == n + depth + 2 and made[0] == n + depth + 2


def test_5_finding_paths_are_bounded_and_name_the_node() -> None:
    lam = {"class_name": "__lambda__", "config": {"value": ["x"]}}
    f = judge_config(_deep_wide(10, depth=250, leaf=lam), "cfg")
    msgs = [m for i, _, m in f.findings if i == "keras.lambda"]
    assert msgs and all(len(m) < 1_500 for m in msgs), [len(m) for m in msgs]
    assert "$…" in msgs[0] and "[9]" in msgs[0]
    shallow = judge_config({"class_name": "Sequential", "config": {"name": "s", "layers": [lam]}}, "cfg")
    assert any("$[s].layers[0]" in m for _, _, m in shallow.findings), shallow.findings


def test_5_registry_strings_past_the_finding_cap_build_no_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """119fmt-1's rule runs for every string: past the finding cap, a key whose finding already
    has its effect builds no message, and the custom-object names kept are bounded."""
    n = 20_000
    doc = _model(_dense(), compile_config={"metrics": [f"p>f{i:06d}" for i in range(n)]})
    with counting_calls(monkeypatch, keras_mod.KerasJudge, "add") as calls:
        f = judge_config(doc, "cfg")
    assert f.effects == {"keras.registered-function": "suspicious"}
    assert calls[0] <= keras_mod.MAX_FINDINGS + 1, calls[0]
    assert len(f.facts["keras.custom-objects"]) <= 500
    judge = keras_mod.KerasJudge("cfg")
    judge.judge(doc)
    assert len(judge.custom) == keras_mod.MAX_CUSTOM
