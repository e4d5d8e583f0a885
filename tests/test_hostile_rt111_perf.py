"""Issue 19's last slow paths (fix111perf): inputs under 1 MB whose cost was linear in a count with
too high a price per item, or quadratic in a third-party helper. Work is counted, never timed."""

from __future__ import annotations

import pytest

from mlbom.formats import hf_card
from tests.helpers import counting_calls

# ---- model card: huggingface_hub de-duplicates tags in quadratic time --------------------------

def test_card_tags_are_never_deduplicated_by_huggingface_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    """A card of 50,000 distinct tags took 8 s in ``ModelCardData``'s ``_to_unique_list`` (each tag
    tested against the list kept so far); mlbom de-duplicates them itself."""
    from huggingface_hub import repocard_data

    longest = [0]
    real = repocard_data._to_unique_list

    def recording(tags: object) -> object:
        if isinstance(tags, list):
            longest[0] = max(longest[0], len(tags))
        return real(tags)  # type: ignore[arg-type]

    monkeypatch.setattr(repocard_data, "_to_unique_list", recording)
    tags = "".join(f"- tag-{i}\n" for i in range(3000)) + "- tag-7\n- tag-1\n"
    data, _, problems = hf_card.read_front_matter(f"---\nlicense: mit\ntags:\n{tags}---\n# Model\n")
    assert problems == []
    assert data["tags"] == [f"tag-{i}" for i in range(3000)]
    assert longest[0] <= 1


def test_unique_tags_is_huggingface_hubs_de_duplication() -> None:
    from huggingface_hub.repocard_data import _to_unique_list

    for tags in (None, "one", ["a", "b", "a"], [1, 1.0, True, "1", [1], [1.0], {"a": [1]}, {"a": [1.0]}, {"b"}, None],
                 {"k": 1, "j": 2}, [float("nan"), float("nan")], []):
        assert hf_card.unique_tags(tags) == _to_unique_list(tags), tags  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hf_card.unique_tags(5)


def test_card_tags_compared_a_bounded_number_of_times(monkeypatch: pytest.MonkeyPatch) -> None:
    with counting_calls(monkeypatch, hf_card, "_frozen") as frozen:
        hf_card.read_front_matter("---\ntags:\n" + "".join(f"- t{i}\n" for i in range(2000)) + "---\n")
    assert frozen[0] == 2000
