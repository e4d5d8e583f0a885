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
