"""Red team 121d: copy_from_base_model in the [nlp] tokenizer/vectors slots (121d-2), ${a.b} references
that copied a whole section each (121d-3), model folders nested in a whole-folder model holding another
input (121d-1)."""

from __future__ import annotations

import configparser
from typing import Any

import pytest

from mlbom.formats import spacy_cfg

_BASE = '[nlp]\nlang = "en"\npipeline = []\n\n[components]\n\n'
_COPY = '@callbacks = "spacy.copy_from_base_model.v1"\ntokenizer = "/srv/elsewhere/pipeline"\nvocab = null\n'


@pytest.mark.parametrize("slot", ["tokenizer", "vectors", "tokenizer.inner"])
def test_copy_from_base_model_anywhere_in_nlp_is_judged(slot: str) -> None:
    at = [w for w, _ in spacy_cfg.findings(_BASE + f"[nlp.{slot}]\n" + _COPY)]
    assert at == [f"[nlp.{slot}] tokenizer = '/srv/elsewhere/pipeline'"]
    # spaCy's documented use, [initialize.before_init], runs at nlp.initialize (training), not at spacy.load
    assert spacy_cfg.findings(_BASE + "[initialize]\n\n[initialize.before_init]\n" + _COPY) == []


def test_each_section_is_copied_once_per_reading_not_once_per_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    items = configparser.RawConfigParser.items

    def counting(self: configparser.RawConfigParser, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(args[:1]))
        return items(self, *args, **kwargs)

    monkeypatch.setattr(configparser.RawConfigParser, "items", counting)
    opts = "".join(f"k{i}=1\n" for i in range(50))
    text = f"[a]\nb = $$\n{opts}\n[nlp]\nlang = \"en\"\npipeline = []\nx = {'${a.b}' * 200}\n\n[components]\n"
    assert spacy_cfg.findings(text) == []
    assert 0 < len(calls) <= 2 * 3  # ([a] and at most one more section, in each of the three readings)
