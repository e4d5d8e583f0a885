"""Croissant and Hugging Face card parsers (mlbom/formats/croissant.py, hf_card.py) on the real
example files, a real Hub card and bad inputs; collector-level behaviour is in tests/collectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.errors import InputError
from mlbom.formats.croissant import parse_croissant
from mlbom.formats.hf_card import markdown_sections, parse_card, split_front_matter

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tiny-release"
HUB_CARD = ROOT / "tests" / "fixtures" / "model-cards" / "legal_t5_small_multitask_sv_fr.README.md"


def test_the_example_croissant() -> None:
    path = EXAMPLE / "data" / "croissant.json"
    c = parse_croissant(path)
    doc = json.loads(path.read_text("utf-8"))
    assert (c.name, c.license, c.version, c.spec_version) == ("tiny-reviews", ["CC0-1.0"], "1.0.0", "1.0")
    ((fo, raw),) = zip(c.file_objects, doc["distribution"], strict=True)
    assert (fo.id, fo.content_url, fo.sha256) == (raw["@id"], raw["contentUrl"], raw["sha256"])
    assert c.fields == ["reviews/review: Text", "reviews/label: Integer"] and c.problems == []


def test_croissant_bad_inputs(tmp_path: Path) -> None:
    for text, message in (("not json", "not valid JSON"), ("[1, 2]", "not a JSON-LD object")):
        (tmp_path / "c.json").write_text(text)
        with pytest.raises(InputError, match=message):
            parse_croissant(tmp_path / "c.json")
    (tmp_path / "c.json").write_text(json.dumps({
        "@type": "sc:Dataset", "name": "x", "conformsTo": "http://mlcommons.org/croissant/9.9",
        "distribution": [{"@type": "cr:FileObject", "@id": "a", "containedIn": {"@id": "b"}},
                         {"@type": "cr:FileObject", "@id": "b", "containedIn": {"@id": "a"}}]}))
    ids = {pid for pid, _, _ in parse_croissant(tmp_path / "c.json").problems}
    assert {"croissant.version", "croissant.content-url-missing"} <= ids


def test_a_real_hub_card_and_the_example_card() -> None:
    card = parse_card(HUB_CARD.read_text("utf-8"))
    assert card.has_front_matter and card.problems == []
    assert card.data["language"] and card.data["tags"]
    example = parse_card((EXAMPLE / "model" / "README.md").read_text("utf-8"))
    assert example.data["license"] == "apache-2.0" and example.data["base_model"]
    assert example.sections["useCases"] and example.sections["technicalLimitations"]


def test_the_generated_cards_heading_and_hub_fields() -> None:
    card = parse_card("---\nlicense: mit\nlanguage: [en, fr]\ntags: [a]\nlibrary_name: transformers\n---\n"
                      "## Intended uses & limitations\nUse it.\n")
    assert card.data == {"language": ["en", "fr"], "library_name": "transformers", "license": "mit", "tags": ["a"]}
    assert card.sections["useCases"] == ["Use it."]


def test_front_matter_edges() -> None:
    assert split_front_matter("---\na: 1\n---\nbody") == ("a: 1\n", "body", True)
    assert split_front_matter("---\na: 1\n") == (None, "---\na: 1\n", True)  # never closed: no front matter
    assert split_front_matter("\n\n# title") == (None, "\n\n# title", False)
    assert parse_card("---\n- a\n---\n# x").problems == ["front matter cannot be read: it is a list, not a mapping"]
    assert parse_card("plain text").problems == ["no YAML front matter: licence, task and datasets are not declared"]
    assert markdown_sections("# A\none\n## B\ntwo\n") == [("A", "one"), ("B", "two\n")]
