"""Red team 90s: model-folder configs that make loaders read other models, files or templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.scanner import scan_file

EVIL = ("{{ ''.__class__.__mro__[1].__subclasses__() | length }} "
        "{% for m in messages %}{{ m['content'] }}{% endfor %}")
HONEST = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "chat_templates"


def _scan(tmp_path: Path, name: str, doc: object):  # type: ignore[no-untyped-def]
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return scan_file(p)


def _ids(r) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.id for f in r.findings}


# ---- 90s-1: a chat template at any depth ------------------------------------------------------

@pytest.mark.parametrize("key", ["tokenizer_args", "processor_kwargs", "tokenizer_kwargs"])
def test_nested_chat_template_is_judged(tmp_path: Path, key: str) -> None:
    r = _scan(tmp_path, "sentence_bert_config.json",
              {"max_seq_length": 16, "do_lower_case": False, key: {"chat_template": EVIL}})
    assert r.verdict == "unsafe" and "template.dunder-access" in _ids(r), r.findings
    assert any(f"{key}.chat_template" in f.message for f in r.findings)


def test_nested_chat_template_deep_and_in_lists(tmp_path: Path) -> None:
    r = _scan(tmp_path, "x.json", {"a": [{"b": {"chat_template": [{"name": "default", "template": EVIL}]}}]})
    assert r.verdict == "unsafe" and "template.dunder-access" in _ids(r), r.findings
    bad = _scan(tmp_path, "y.json", {"tokenizer_args": {"chat_template": 5}})
    assert bad.verdict == "error" and "template.unjudged" in _ids(bad)


def test_nested_real_templates_stay_safe(tmp_path: Path) -> None:
    for f in sorted(FIXTURES.glob("*.jinja"))[:12]:
        r = _scan(tmp_path, "sentence_bert_config.json",
                  {"max_seq_length": 16, "tokenizer_args": {"chat_template": f.read_text()}})
        assert r.verdict == "safe", (f.name, r.findings)
    r = _scan(tmp_path, "sentence_bert_config.json", {"processor_kwargs": {"chat_template": HONEST}})
    assert r.verdict == "safe" and r.facts.get("chat-template.present") == "true"


# ---- 90s-2: sentence-transformers' from_pretrained kwargs -------------------------------------

def test_rt90s_2_vocab_file_and_disk_offload(tmp_path: Path) -> None:
    r = _scan(tmp_path, "sentence_bert_config.json",
              {"max_seq_length": 16, "do_lower_case": False,
               "model_args": {"device_map": {"": "disk"}, "offload_folder": "/tmp/pwned-90s-2"},
               "tokenizer_args": {"vocab_file": "/tmp/rt90s-outside-2/vocab.txt", "use_fast": False}})
    assert r.verdict == "suspicious" and "config.path-outside" in _ids(r), r.findings
    msg = next(f.message for f in r.findings if f.id == "config.path-outside")
    assert "tokenizer_args.vocab_file" in msg and "model_args.offload_folder" in msg and "device_map" in msg


@pytest.mark.parametrize(("kw", "expect"), [
    ({"tokenizer_file": "../other/tokenizer.json"}, "config.path-outside"),
    ({"merges_file": "~/merges.txt"}, "config.path-outside"),
    ({"vocab_file": "C:\\\\x\\\\vocab.txt"}, "config.path-outside"),
    ({"gguf_file": "model.gguf"}, "config.path-outside"),
    ({"cache_dir": "cache"}, "config.path-outside"),
    ({"device_map": "disk"}, "config.path-outside"),
    ({"trust_remote_code": True}, "code.remote"),
    ({"use_kernels": True}, "code.remote"),
    ({"attn_implementation": "kernels-community/flash-attn"}, "code.remote"),
])
@pytest.mark.parametrize("obj", ["model_args", "tokenizer_args", "config_args", "model_kwargs",
                                 "processor_kwargs", "config_kwargs", "tokenizer_kwargs"])
def test_rt90s_2_each_kwarg(tmp_path: Path, kw: dict[str, object], expect: str, obj: str) -> None:
    r = _scan(tmp_path, "sentence_bert_config.json", {"max_seq_length": 16, obj: kw})
    assert r.verdict == "suspicious" and expect in _ids(r), (obj, kw, r.findings)


def test_rt90s_2_honest_kwargs_stay_safe(tmp_path: Path) -> None:
    r = _scan(tmp_path, "sentence_bert_config.json",
              {"max_seq_length": 512, "do_lower_case": False,
               "model_args": {"torch_dtype": "float16", "attn_implementation": "sdpa", "trust_remote_code": False,
                              "device_map": "auto"},
               "tokenizer_args": {"model_max_length": 512, "padding_side": "left", "use_fast": True},
               "config_args": {"revision": "main", "cache_dir": None}})
    assert r.verdict == "safe" and r.findings == [], r.findings


# ---- 90s-3..5: fields that name another model the loader then loads ---------------------------

def _open_clip(hf: str, tok: str, timm: str) -> dict[str, object]:
    return {"model_cfg": {"embed_dim": 8,
                          "vision_cfg": {"timm_model_name": timm, "timm_pool": "avg", "timm_proj": "linear",
                                         "image_size": 32},
                          "text_cfg": {"hf_model_name": hf, "hf_tokenizer_name": tok, "hf_proj_type": "linear",
                                       "hf_pooler_type": "mean_pooler", "context_length": 16}},
            "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}}


def test_rt90s_3_open_clip_local_paths(tmp_path: Path) -> None:
    r = _scan(tmp_path, "open_clip_config.json", _open_clip("/tmp/rt90s-outside-3/bert", "/tmp/rt90s-outside-3/bert",
                                                            "local-dir:/tmp/rt90s-outside-3/timm"))
    assert r.verdict == "suspicious" and "config.path-outside" in _ids(r), r.findings
    msg = next(f.message for f in r.findings if f.id == "config.path-outside")
    assert "text_cfg.hf_model_name" in msg and "vision_cfg.timm_model_name" in msg and "open_clip" in msg


@pytest.mark.parametrize("fields", [("../bert", "roberta-base", "convnext_base"),
                                    ("roberta-base", "~/tok", "convnext_base"),
                                    ("roberta-base", "roberta-base", "local-dir:timm"),
                                    ("roberta-base", "roberta-base", "LOCAL-DIR:../x"),
                                    ("a/b/c", "roberta-base", "convnext_base")])
def test_rt90s_3_open_clip_each_field(tmp_path: Path, fields: tuple[str, str, str]) -> None:
    r = _scan(tmp_path, "open_clip_config.json", _open_clip(*fields))
    assert r.verdict == "suspicious" and "config.path-outside" in _ids(r), (fields, r.findings)
    top = _scan(tmp_path, "ViT-x.json", _open_clip(*fields)["model_cfg"])  # the model_cfg read directly
    assert top.verdict == "suspicious" and "config.path-outside" in _ids(top), (fields, top.findings)


def test_rt90s_3_open_clip_hub_ids_are_provenance(tmp_path: Path) -> None:
    r = _scan(tmp_path, "open_clip_config.json",
              _open_clip("xlm-roberta-large", "xlm-roberta-large", "hf-hub:timm/vit_base_patch16_clip_224.openai"))
    assert r.verdict == "safe" and r.findings == [], r.findings
    assert "text_cfg.hf_model_name=xlm-roberta-large" in r.facts["config.named-models"]
    assert "timm_model_name=hf-hub:timm/vit_base_patch16_clip_224.openai" in r.facts["config.named-models"]
    plain = _scan(tmp_path, "open_clip_config.json", {"model_cfg": {"embed_dim": 512, "vision_cfg": {
        "image_size": 224, "layers": 12, "width": 768, "patch_size": 16}, "text_cfg": {
        "context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12}}})
    assert plain.verdict == "safe" and plain.findings == [] and "config.named-models" not in plain.facts


def _modular(path: object, key: str = "pretrained_model_name_or_path") -> dict[str, object]:
    return {"_class_name": "StableDiffusionXLModularPipeline", "_blocks_class_name": "StableDiffusionXLAutoBlocks",
            "_diffusers_version": "0.42.1",
            "scheduler": [None, None, {key: path, "subfolder": "scheduler",
                                       "type_hint": ["diffusers", "EulerDiscreteScheduler"],
                                       "revision": None, "variant": None}]}


@pytest.mark.parametrize(("path", "key"), [("/tmp/rt90s-outside-4", "pretrained_model_name_or_path"),
                                           ("../other", "pretrained_model_name_or_path"),
                                           (["org/ok", "C:\\\\models\\\\x"], "pretrained_model_name_or_path"),
                                           ("/tmp/x", "repo")])
def test_rt90s_4_modular_component_local_path(tmp_path: Path, path: object, key: str) -> None:
    r = _scan(tmp_path, "modular_model_index.json", _modular(path, key))
    assert r.verdict == "suspicious" and "config.path-outside" in _ids(r), r.findings
    assert "scheduler[2]." in next(f.message for f in r.findings if f.id == "config.path-outside")


def test_rt90s_4_modular_hub_ids_are_provenance(tmp_path: Path) -> None:
    r = _scan(tmp_path, "modular_model_index.json", _modular("stabilityai/stable-diffusion-xl-base-1.0"))
    assert r.verdict == "safe" and r.findings == [], r.findings
    assert r.facts["config.named-models"] == ("scheduler[2].pretrained_model_name_or_path="
                                              "stabilityai/stable-diffusion-xl-base-1.0")
    index = _scan(tmp_path, "model_index.json", {"_class_name": "StableDiffusionPipeline",
                                                 "unet": ["diffusers", "UNet2DConditionModel"]})
    assert index.verdict == "safe" and index.findings == []


def _gliner(**kw: object) -> dict[str, object]:
    doc: dict[str, object] = {"model_name": "microsoft/deberta-v3-small", "span_mode": "markerV0", "max_width": 12,
                              "hidden_size": 512, "dropout": 0.4, "max_len": 384, "encoder_config": None}
    doc.update(kw)
    return doc


@pytest.mark.parametrize("kw", [{"model_name": "/tmp/rt90s-outside-5/enc"},
                                {"model_name": "../enc"},
                                {"labels_encoder": "/tmp/enc"},
                                {"labels_decoder": "~/dec"}])
def test_rt90s_5_gliner_local_encoder(tmp_path: Path, kw: dict[str, object]) -> None:
    r = _scan(tmp_path, "gliner_config.json", _gliner(**kw))
    assert r.verdict == "suspicious" and "config.path-outside" in _ids(r), r.findings
    msg = next(f.message for f in r.findings if f.id == "config.path-outside")
    assert "trust_remote_code=True" in msg and next(iter(kw)) in msg


def test_rt90s_5_gliner_hub_encoder_is_said_not_flagged(tmp_path: Path) -> None:
    r = _scan(tmp_path, "gliner_config.json", _gliner(labels_encoder="BAAI/bge-small-en-v1.5"))
    assert r.verdict == "safe", r.findings
    assert r.facts["config.named-models"] == "model_name=microsoft/deberta-v3-small,labels_encoder=BAAI/bge-small-en-v1.5"
    info = [f for f in r.findings if f.id == "gliner.remote-code"]
    assert len(info) == 1 and info[0].severity == "info" and "trust_remote_code=True" in info[0].message


def test_nested_chat_template_spelled_with_escapes(tmp_path: Path) -> None:
    p = tmp_path / "sentence_bert_config.json"
    p.write_text('{"tokenizer_args": {"\\u0063hat_template": ' + json.dumps(EVIL) + "}}")
    r = scan_file(p)
    assert r.verdict == "unsafe" and "template.dunder-access" in _ids(r), r.findings
