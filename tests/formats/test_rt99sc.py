"""Red team 99sc: config keys that name another model a default loader loads from outside the
folder. 99sc-1: sentence-transformers passes ``sentence_bert_config.json`` to its Transformer
module, which loads the tokenizer/processor from ``tokenizer_name_or_path`` (the legacy CLIPModel's
``processor_name`` becomes it). 99sc-2: transformers' ``ProcessorMixin.get_processor_dict`` calls
``<audio_tokenizer_class>.from_pretrained(audio_tokenizer_name_or_path)`` from
``processor_config.json``'s ``audio_tokenizer`` (or ``audio_tokenizer_config.json``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.scanner import scan_file


def _scan(tmp_path: Path, name: str, doc: object):  # type: ignore[no-untyped-def]
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return scan_file(p)


@pytest.mark.parametrize(("name", "doc"), [
    ("sentence_bert_config.json", {"max_seq_length": 128, "tokenizer_name_or_path": "/tmp/elsewhere/tok"}),
    ("sentence_bert_config.json", {"tokenizer_name_or_path": "../other"}),
    ("config.json", {"processor_name": "/opt/clip"}),
    ("processor_config.json", {"processor_class": "BrosProcessor",
                               "audio_tokenizer": {"audio_tokenizer_class": "AutoModel",
                                                   "audio_tokenizer_name_or_path": "/tmp/outside/model"}}),
    ("audio_tokenizer_config.json", {"audio_tokenizer_class": "AutoModel", "audio_tokenizer_name_or_path": "~/m"}),
])
def test_rt99sc_local_paths_are_outside(tmp_path: Path, name: str, doc: object) -> None:
    r = _scan(tmp_path, name, doc)
    assert r.verdict == "suspicious" and any(f.id == "config.path-outside" for f in r.findings), r.findings


@pytest.mark.parametrize(("name", "doc"), [
    ("sentence_bert_config.json", {"max_seq_length": 128, "tokenizer_name_or_path": "sentence-transformers/all-MiniLM"}),
    ("processor_config.json", {"audio_tokenizer": {"audio_tokenizer_class": "AutoModel",
                                                   "audio_tokenizer_name_or_path": "org/codec"}}),
    ("sentence_bert_config.json", {"max_seq_length": 128, "do_lower_case": False}),
])
def test_rt99sc_hub_ids_are_provenance(tmp_path: Path, name: str, doc: object) -> None:
    r = _scan(tmp_path, name, doc)
    assert r.verdict == "safe", r.findings
