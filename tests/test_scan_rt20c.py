"""Red team 20c: real model folders that mlbom's commands judged apart.

20c-1: a Hugging Face hub cache snapshot (every file a relative link ``../../blobs/<etag>``) was
refused by ``scan`` and ``manifest build`` (``files.symlink-escape``) and read by ``generate``:
the walker now decides the cache rule itself, from the layout. 20c-4: the repository folder's
bookkeeping (``.no_exist/`` markers of files the repository does NOT have, ``refs/``, the
``blobs/`` store) was inventoried as model files. 20c-2: text starting with ``{``/``[`` that is
not JSON (a WordPiece ``vocab.txt``, a README, an INI file) got ``json.invalid``. 20c-3: scanning a
small JSON file imported the pickle allowlist.

The cache layout is huggingface_hub's (``file_download.py``): ``<hub>/models--ORG--NAME/`` with
``blobs/<etag>`` (SHA-256 of an LFS file, git blob SHA-1 of any other), ``refs/main`` (the
commit), ``snapshots/<commit>/<path>`` relative links to ``../../blobs/<etag>`` and
``.no_exist/<commit>/<path>`` empty markers (``_CACHED_NO_EXIST``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom import scanner

VOCAB = "[PAD]\n[unused0]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nof\n"


@pytest.mark.parametrize(("name", "text"), [
    ("vocab.txt", VOCAB),  # bert-base-uncased and every WordPiece vocab start "[PAD]"
    ("README.md", "[![CI](https://x.invalid/b.svg)](https://x.invalid)\n# model\n"),
    ("setup.cfg", "[metadata]\nname = m\n"),
    ("train.jsonl", '{"text": "a"}\n{"text": "b"}\n\n'),
    ("rows.ndjson", '["a", 1]\n["b", 2]\n'),
    ("0b1d1a6c3f5e9d2a4c7b8e0f1a2b3c4d5e6f7a8b", '{"chat": "not json"\n'),  # a blob: no name claims JSON
])
def test_20c2_text_that_only_starts_like_json_gets_no_finding(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    [sc] = scanner.scan(tmp_path / name)
    assert sc.verdict == "safe" and sc.findings == [], sc


@pytest.mark.parametrize(("name", "text", "what"), [
    ("config.json", '{"a": 1,}', "not valid JSON ("),
    ("CONFIG.JSON", "[1, 2", "not valid JSON ("),
    ("train.jsonl", '{"text": "a"}\n{"text": \n', "not valid JSON Lines (line 2:"),
])
def test_20c2_a_name_that_claims_json_keeps_json_invalid(tmp_path: Path, name: str, text: str, what: str) -> None:
    (tmp_path / name).write_text(text)
    [sc] = scanner.scan(tmp_path / name)
    assert sc.verdict == "safe"
    assert [f.id for f in sc.findings] == ["json.invalid"] and what in sc.findings[0].message


def test_20c2_a_text_file_starting_like_json_is_still_judged_as_text(tmp_path: Path) -> None:
    """Falling through to text keeps the text judgements: a YAML Python tag after a ``[``."""
    (tmp_path / "notes.txt").write_text("[x]\na: !!python/object/apply:os.system ['id']\n")
    [sc] = scanner.scan(tmp_path / "notes.txt")
    assert sc.verdict != "safe"
