"""Red team 91sb: loader kwargs objects at any depth, Hub-kernel attn_implementation, npy descrs
read as numpy's ``descr_to_dtype`` builds them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlbom.scanner import scan_file

VENV80S = Path("/work/venv80s/bin/python")


def _scan(tmp_path: Path, name: str, doc: object):  # type: ignore[no-untyped-def]
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return scan_file(p)


def _ids(r) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.id for f in r.findings}


# ---- 91sb-1: kwargs objects at any depth --------------------------------------------------------

_VISION = {"image_size": 224, "layers": 12, "width": 768, "patch_size": 16}


@pytest.mark.parametrize("wrap", [lambda t: {"model_cfg": {"embed_dim": 512, "text_cfg": t, "vision_cfg": _VISION}},
                                  lambda t: {"embed_dim": 512, "text_cfg": t, "vision_cfg": _VISION}])
@pytest.mark.parametrize(("kw", "expect"), [
    ({"trust_remote_code": True}, "code.remote"),
    ({"use_kernels": True}, "code.remote"),
    ({"attn_implementation": "kernels-community/flash-attn"}, "code.remote"),
    ({"vocab_file": "/tmp/rt91sb/vocab.txt"}, "config.path-outside"),
    ({"tokenizer_file": "../../x/tokenizer.json"}, "config.path-outside"),
    ({"cache_dir": "/tmp/rt91sb-cache"}, "config.path-outside"),
    ({"gguf_file": "x.gguf"}, "config.path-outside"),
])
def test_rt91sb_1_open_clip_tokenizer_kwargs(tmp_path: Path, wrap, kw: dict[str, object],  # type: ignore[no-untyped-def]
                                             expect: str) -> None:
    doc = wrap({"hf_tokenizer_name": "attacker/tok", "tokenizer_kwargs": kw})
    r = _scan(tmp_path, "open_clip_config.json", doc)
    assert r.verdict == "suspicious" and expect in _ids(r), r.findings
    assert any("text_cfg.tokenizer_kwargs." in f.message for f in r.findings if f.id == expect)


def test_rt91sb_1_any_kwargs_object_at_any_depth(tmp_path: Path) -> None:
    r = _scan(tmp_path, "x.json", {"a": [{"b": {"processor_kwargs": {"trust_remote_code": 1}}}],
                                   "c": {"init_args": {"offload_folder": "/tmp/o"}}})
    assert r.verdict == "suspicious" and {"code.remote", "config.path-outside"} <= _ids(r), r.findings
    assert any("a[0].b.processor_kwargs.trust_remote_code" in f.message for f in r.findings)


def test_rt91sb_1_honest_nested_kwargs_stay_safe(tmp_path: Path) -> None:
    doc = {"model_cfg": {"embed_dim": 512, "vision_cfg": _VISION,
                         "text_cfg": {"hf_tokenizer_name": "openai/clip-vit-base-patch32",
                                      "tokenizer_kwargs": {"clean": "canonicalize", "use_fast": True,
                                                           "trust_remote_code": False}}},
           "preprocess_cfg": {"mean": [0.5, 0.5, 0.5]}}
    r = _scan(tmp_path, "open_clip_config.json", doc)
    assert r.verdict == "safe", r.findings
    r = _scan(tmp_path, "tokenizer_config.json", {"sp_model_kwargs": {}, "model_max_length": 512,
                                                  "backbone_kwargs": {"out_indices": [1, 2, 3]}})
    assert r.verdict == "safe", r.findings


# ---- open lead: config.json attn_implementation naming a Hub kernel ----------------------------

KERNELS = ["kernels-community/flash-attn", "kernels-community/flash-mla@v1", "org/repo:fn",
           "org/repo@main:fn", "paged|kernels-community/vllm-flash-attn3"]
BUILTINS = ["eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention", "paged|eager",
            "paged|sdpa", "paged|flash_attention_2", "a/b/c"]


@pytest.mark.parametrize("value", KERNELS)
@pytest.mark.parametrize("name", ["config.json", "gliner_config.json"])
def test_rt91sb_lead_config_attn_kernel(tmp_path: Path, value: str, name: str) -> None:
    r = _scan(tmp_path, name, {"model_type": "llama", "hidden_size": 64, "attn_implementation": value})
    assert r.verdict == "suspicious" and "code.remote" in _ids(r), r.findings
    assert any("attn_implementation" in f.message for f in r.findings)


def test_rt91sb_lead_sub_config_and_dict_forms(tmp_path: Path) -> None:
    r = _scan(tmp_path, "config.json", {"model_type": "llava", "text_config": {
        "attn_implementation": "kernels-community/flash-attn"}})
    assert r.verdict == "suspicious" and "code.remote" in _ids(r)
    r = _scan(tmp_path, "config.json", {"model_type": "llava", "attn_implementation": {
        "": "sdpa", "text_config": "kernels-community/flash-attn"}})
    assert r.verdict == "suspicious" and "code.remote" in _ids(r)


@pytest.mark.parametrize("value", BUILTINS)
def test_rt91sb_lead_builtin_attn_stays_safe(tmp_path: Path, value: str) -> None:
    r = _scan(tmp_path, "config.json", {"model_type": "llama", "attn_implementation": value,
                                        "model_kwargs": {"attn_implementation": value}})
    assert r.verdict == "safe", r.findings


@pytest.mark.skipif(not VENV80S.exists(), reason="transformers venv absent")
def test_rt91sb_lead_matches_transformers_is_kernel() -> None:
    code = ("import json,sys\nfrom transformers.integrations.hub_kernels import is_kernel\n"
            "v=json.loads(sys.argv[1])\n"
            "print(json.dumps([is_kernel(x.removeprefix('paged|')) or ('|' in x and is_kernel(x.split('|')[1]))"
            " for x in v]))")
    values = KERNELS + BUILTINS
    out = subprocess.run([str(VENV80S), "-c", code, json.dumps(values)], capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == [True] * len(KERNELS) + [False] * len(BUILTINS)
