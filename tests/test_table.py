"""The one text-table renderer (issue 14 item 5): no silent truncation, hashes whole."""

from __future__ import annotations

from mlbom import index, query
from mlbom import table as text_table

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def test_a_long_cell_ends_in_an_ellipsis_and_a_hash_is_whole() -> None:
    long = "x" * 100
    head, first, second = text_table.render(("name", "sha256"), [[long, SHA], ["short", "sha256:" + SHA]], limit=60)
    assert first.startswith("x" * 59 + "…") and SHA in first
    assert ("sha256:" + SHA) in second
    assert len(first.split("  ")[0]) == 60 and head.startswith("name")


def test_short_cells_are_untouched_and_aligned() -> None:
    lines = text_table.render(("a", "bb"), [["1", "2"], ["333", "4"]])
    assert lines == ["a    bb", "1    2 ", "333  4 "]


def test_the_report_keeps_every_cell_whole() -> None:
    long = "y" * 70
    out = text_table.render(("k", "v"), [[long, "v"]], limit=None, cap=40, rule=True, rstrip=True)
    assert long in out[2] and out[1].startswith("-" * 40)


def test_query_and_index_tables_never_cut_silently() -> None:
    row = {c: "" for c in query.COLUMNS}
    row.update(type="library", name="n" * 80, version="1", licenses="MIT", verdict="", findings="")
    text = query.render([row], "table")
    assert "n" * 59 + "…" in text and "n" * 61 not in text
    text = index.render([{"release": "r", "sha256": SHA}], "table", ("release", "sha256"))
    assert SHA in text
