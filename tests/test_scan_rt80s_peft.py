"""Red team 80s-2: a PEFT adapter folder whose ``adapter_config.json`` names its base model by a
local path outside the folder (``/tmp/...`` or ``../../...``). transformers'
``Auto*.from_pretrained(adapter)`` (peft installed, no ``config.json`` in the folder:
``models/auto/auto_factory.py``) and peft's ``AutoPeftModel*.from_pretrained`` (``auto.py``) load
that model, which no scan of the folder judged; peft imports ``auto_mapping.parent_library``
(``auto.py``) and, for Megatron LoRA, ``megatron_core`` (``tuners/lora/tp_layer.py``)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from mlbom.scanner import scan, scan_file

LORA = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 8, "lora_alpha": 16, "target_modules": ["c_attn"]}


def _adapter(folder: Path, **fields: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    hdr = b'{"__metadata__":{"format":"pt"}}'
    hdr += b" " * (-len(hdr) % 8)
    (folder / "adapter_model.safetensors").write_bytes(struct.pack("<Q", len(hdr)) + hdr)
    p = folder / "adapter_config.json"
    p.write_text(json.dumps({**LORA, **fields}, indent=1))
    return p


def _ids(path: Path) -> set[str]:
    return {f.id for f in scan_file(path).findings}


@pytest.mark.parametrize("base", ["/tmp/elsewhere-80s-2/base-model", "../../../../tmp/elsewhere-80s-2/base-model",
                                  "~/models/base", "./base", "C:\\models\\base", "models\\base", "org/name/sub",
                                  "org/.git", "."])
def test_base_model_local_path_is_suspicious(tmp_path: Path, base: str) -> None:
    cfg = _adapter(tmp_path / "adapter", base_model_name_or_path=base)
    r = scan_file(cfg)
    assert r.verdict == "suspicious" and "peft.path-outside" in {f.id for f in r.findings}, (base, r.findings)
    assert repr(base)[:50] in next(f.message for f in r.findings if f.id == "peft.path-outside")
    assert "peft.base-model" not in r.facts
    verdicts = {Path(s.path).name: s.verdict for s in scan(tmp_path / "adapter")}
    assert verdicts == {"adapter_config.json": "suspicious", "adapter_model.safetensors": "safe"}


@pytest.mark.parametrize("base", ["gpt2", "meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-0.5B-Instruct", "base"])
def test_base_model_hub_id_is_provenance(tmp_path: Path, base: str) -> None:
    # "base" where adapter/base/ exists: a valid Hub id, resolved against the working directory
    # (never the adapter's folder); inside the scanned tree it is judged by this scan anyway
    cfg = _adapter(tmp_path / "adapter", base_model_name_or_path=base, revision="main")
    (tmp_path / "adapter" / "base").mkdir()
    (tmp_path / "adapter" / "base" / "config.json").write_text('{"model_type": "gpt2"}')
    r = scan_file(cfg)
    assert r.verdict == "safe" and not r.findings, r.findings
    assert r.facts["peft.base-model"] == base and r.facts["peft.base-model-revision"] == "main"
    assert {s.verdict for s in scan(tmp_path / "adapter")} == {"safe"}


def test_non_string_values_load_nothing(tmp_path: Path) -> None:
    # the loaders fail on them (os.path / import_module of a non-string): no finding, no internal error;
    # the same fields as strings are read
    for i, value in enumerate([None, 7, ["/tmp/x"], {"p": "/tmp/x"}, True, ""]):
        r = scan_file(_adapter(tmp_path / str(i), base_model_name_or_path=value, auto_mapping=value,
                               megatron_core=value, megatron_config=value,
                               # a dict of tokenizer_kwargs is read: a path in it is config.path-outside (90s-2)
                               tokenizer_kwargs={"p": "x"} if isinstance(value, dict) else value))
        assert r.verdict == "safe" and not r.findings, (value, r.findings)
    r = scan_file(_adapter(tmp_path / "s", base_model_name_or_path="/tmp/x", megatron_config={"x": 1},
                           auto_mapping={"base_model_class": 7, "parent_library": "evil"}, megatron_core="evil"))
    assert r.verdict == "suspicious" and {f.id for f in r.findings} == {"peft.path-outside", "code.remote"}


def test_other_model_and_file_fields(tmp_path: Path) -> None:
    cases: list[tuple[dict[str, object], bool]] = [
        ({"tokenizer_name_or_path": "/home/u/tok"}, True),
        ({"tokenizer_name_or_path": "t5-base"}, False),
        ({"shadow_model": "mirror"}, False),
        ({"shadow_model": "../shadow"}, True),
        ({"prompt_tuning_init_state_dict_path": "/tmp/init.bin"}, True),
        ({"prompt_tuning_init_state_dict_path": "../init.safetensors"}, True),
        ({"prompt_tuning_init_state_dict_path": "init.safetensors"}, False),
    ]
    for i, (fields, outside) in enumerate(cases):
        ids = _ids(_adapter(tmp_path / str(i), base_model_name_or_path="gpt2", **fields))
        assert ("peft.path-outside" in ids) is outside, (fields, ids)


def test_auto_mapping_parent_library(tmp_path: Path) -> None:
    # peft auto.py: importlib.import_module(parent_library) then getattr(module, base_model_class);
    # a module of transformers/diffusers/peft (what save_pretrained writes: the base class's
    # __module__) is the installed library's own class
    for i, (lib, flagged) in enumerate([
            ("transformers", False), ("transformers.models.gpt2.modeling_gpt2", False), ("diffusers", False),
            ("peft", False), ("transformers_modules.org.modeling_x", True), ("os", True), ("evil", True),
            ("transformersx", True), ("__main__", True)]):
        r = scan_file(_adapter(tmp_path / str(i), base_model_name_or_path="gpt2", task_type=None,
                               auto_mapping={"base_model_class": "GPT2Model", "parent_library": lib}))
        assert ("code.remote" in {f.id for f in r.findings}) is flagged, (lib, r.findings)
        assert r.verdict == ("suspicious" if flagged else "safe"), lib


def test_megatron_core_module(tmp_path: Path) -> None:
    # tuners/lora/tp_layer.py: with megatron_config set, importlib.import_module(megatron_core)
    assert "code.remote" in _ids(_adapter(tmp_path / "a", megatron_config={"x": 1}, megatron_core="evil.core"))
    assert not _ids(_adapter(tmp_path / "b", megatron_config={"x": 1}, megatron_core="megatron.core"))
    assert not _ids(_adapter(tmp_path / "c", megatron_config=None, megatron_core="evil.core"))


def test_tokenizer_kwargs_trust_remote_code(tmp_path: Path) -> None:
    assert "code.remote" in _ids(_adapter(tmp_path / "a", tokenizer_kwargs={"trust_remote_code": True}))
    assert not _ids(_adapter(tmp_path / "b", tokenizer_kwargs={"trust_remote_code": False}))


def test_adapter_config_fields_elsewhere_are_not_read(tmp_path: Path) -> None:
    # only a top-level object carrying peft_type or base_model_name_or_path is an adapter config
    p = tmp_path / "config.json"
    p.write_text(json.dumps({"model_type": "gpt2", "_name_or_path": "/home/u/gpt2",
                             "nested": {"base_model_name_or_path": "/tmp/x"}}))
    assert scan_file(p).verdict == "safe"
    bad = tmp_path / "adapter_config.json"
    bad.write_text('{"base_model_name_or_path": "/tmp/x", ')
    r = scan_file(bad)
    assert r.verdict != "suspicious" and "peft.path-outside" not in {f.id for f in r.findings}
    bad.write_text(json.dumps({"base_model_name_or_path": "/tmp/x"}))  # no peft_type: still the loaders' field
    assert "peft.path-outside" in _ids(bad)
