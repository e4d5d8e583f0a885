"""Databases on disk: layouts, bounds, counts, the cached index."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from mlbom.errors import InputError
from mlbom.vulns import db as vdb
from mlbom.vulns.db import open_database
from tests.vulns.conftest import PYPA_SUBSET, record, write_db


def test_pypa_layout_from_the_bundled_subset() -> None:
    db = open_database(PYPA_SUBSET)
    assert db.stats.invalid == 0
    assert db.stats.pypi_records == db.stats.files == 42
    assert db.stats.ignored_files == 1  # LICENSE
    assert [r.id for r in db.records_for("Jinja2")] == [r.id for r in db.records_for("jinja2")]
    assert "PYSEC-2023-38" in {r.id for r in db.records_for("onnx")}


@pytest.mark.slow
def test_whole_pypa_database_is_valid(corpus: Path) -> None:
    """Every record is valid: the 7 whose GIT events abbreviate or suffix a commit hash (the
    schema's "full-length commit hashes" rule, which mlbom does not enforce: it never matches GIT
    ranges) are used, so a gate against this snapshot is not made incomplete by them."""
    db = open_database(corpus / "osv" / "pypa-advisory-database")
    s = db.stats
    assert s.files == 2661
    assert s.invalid == 0, s.problems
    assert s.withdrawn == 10
    assert s.pypi_records == 2661 - 10


def test_git_ranges_with_abbreviated_commits_are_valid(tmp_path: Path) -> None:
    git = {"type": "GIT", "repo": "https://example.org/a.git", "events": [{"introduced": "0"}, {"fixed": "abc1234.patch"}]}
    eco = {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2"}]}
    raw = {"id": "PYSEC-2099-9", "modified": "2024-01-01T00:00:00Z",
           "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}, "ranges": [git, eco]}]}
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "r.json").write_text(json.dumps(raw))
    db = open_database(tmp_path / "db")
    assert db.stats.invalid == 0 and [r.id for r in db.records_for("a")] == ["PYSEC-2099-9"]
    no_repo = {**raw, "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}, "ranges": [{**git, "repo": None}]}]}
    del no_repo["affected"][0]["ranges"][0]["repo"]
    (tmp_path / "db" / "r.json").write_text(json.dumps(no_repo))
    assert open_database(tmp_path / "db").stats.invalid == 1  # a GIT range still needs its repo


def test_counts_for_bad_withdrawn_duplicate_and_foreign_records(tmp_path: Path) -> None:
    folder = write_db(tmp_path / "db", [
        record("PYSEC-2099-1", "a", events=[{"introduced": "0"}]),
        record("PYSEC-2099-1", "a", events=[{"introduced": "0"}, {"fixed": "2"}],
               extra={"modified": "2025-01-01T00:00:00Z"}),
        record("PYSEC-2099-2", "a", events=[{"introduced": "0"}], extra={"withdrawn": "2024-02-01T00:00:00Z"}),
        record("GHSA-aaaa-bbbb-cccc", "left-pad", events=[{"introduced": "0"}], ecosystem="npm"),
    ])
    (folder / "broken.yaml").write_text("id: [", "utf-8")
    (folder / "invalid.json").write_text(json.dumps({"id": "PYSEC-2099-9"}), "utf-8")
    (folder / "README.md").write_text("not a record", "utf-8")
    db = open_database(folder)
    s = db.stats
    assert (s.files, s.invalid, s.duplicates, s.withdrawn, s.other_ecosystem, s.ignored_files, s.pypi_records) == \
        (6, 2, 1, 1, 1, 1, 1)
    (rec,) = db.records_for("a")
    assert rec.modified == "2025-01-01T00:00:00Z"  # the most recently modified of the duplicates is kept


def test_empty_database_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    db = open_database(tmp_path / "empty")
    assert db.stats.pypi_records == 0 and db.names() == []


def test_missing_or_unknown_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        open_database(tmp_path / "nope")
    (tmp_path / "x.txt").write_text("hello", "utf-8")
    with pytest.raises(InputError, match="not a vulnerability database"):
        open_database(tmp_path / "x.txt")


def _zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def test_osv_export_zip_of_json(tmp_path: Path) -> None:
    z = _zip(tmp_path / "all.zip", [(f"PYSEC-2099-{i}.json", json.dumps(record(f"PYSEC-2099-{i}", "pkg",
                                                                             events=[{"introduced": "0"}])).encode())
                                    for i in range(5)])
    db = open_database(z)
    assert len(db.records_for("pkg")) == 5 and db.digest.startswith("zip-")


def test_zip_with_traversal_names_bomb_and_nesting_is_read_safely(tmp_path: Path) -> None:
    good = json.dumps(record("PYSEC-2099-1", "pkg", events=[{"introduced": "0"}])).encode()
    z = _zip(tmp_path / "evil.zip", [
        ("../../escape.json", good), ("/abs.json", good), ("C:/win.json", good), ("ok.json", good),
        ("big.json", b"[" + b" " * (5 << 20) + b"]"), ("ratio.json", b"[" + b" " * (2 << 20) + b"]"),
        ("inner.zip", b"PK"),
    ])
    db = open_database(z)
    s = db.stats
    assert len(db.records_for("pkg")) == 1
    assert s.skipped == 6
    text = "\n".join(s.problems)
    assert text.count("path traversal") == 3
    assert "zip bomb" in text and "larger than a record" in text and "nested archive" in text
    assert not (tmp_path.parent / "escape.json").exists()


def test_zip_member_lying_about_its_size_is_cut_at_the_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vdb.osv, "MAX_RECORD_BYTES", 1000)
    z = _zip(tmp_path / "a.zip", [("big.json", b"[" + b" " * 5000 + b"]")])
    db = open_database(z)
    assert db.stats.skipped == 1


def test_index_is_cached_and_reused(tmp_path: Path, isolated_cache: Path) -> None:
    folder = write_db(tmp_path / "db", [record("PYSEC-2099-1", "a", events=[{"introduced": "0"}])])
    first = open_database(folder)
    assert not first.from_cache
    second = open_database(folder)
    assert second.from_cache and second.digest == first.digest
    assert second.records_for("a") == first.records_for("a")
    assert list((isolated_cache / "osv").glob("index-*.bin"))


def test_xdg_cache_home_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLBOM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert vdb.cache_root() == tmp_path / "xdg" / "mlbom"
    folder = write_db(tmp_path / "db", [record("PYSEC-2099-1", "a", events=[{"introduced": "0"}])])
    open_database(folder)
    assert list((tmp_path / "xdg" / "mlbom" / "osv").glob("index-*.bin"))


def test_changed_content_gets_a_new_index(tmp_path: Path) -> None:
    folder = write_db(tmp_path / "db", [record("PYSEC-2099-1", "a", events=[{"introduced": "0"}])])
    first = open_database(folder)
    write_db(folder, [record("PYSEC-2099-1", "b", events=[{"introduced": "0"}])])
    second = open_database(folder)
    assert second.digest != first.digest and not second.from_cache
    assert second.records_for("b") and not second.records_for("a")


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "forged"])
def test_corrupt_cache_is_rebuilt_not_trusted(tmp_path: Path, isolated_cache: Path, damage: str) -> None:
    folder = write_db(tmp_path / "db", [record("PYSEC-2099-1", "a", events=[{"introduced": "0"}, {"fixed": "2"}])])
    good = open_database(folder).records_for("a")
    (index,) = (isolated_cache / "osv").glob("index-*.bin")
    data = index.read_bytes()
    if damage == "truncate":
        index.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        index.write_bytes(data[:-5] + bytes([data[-5] ^ 1]) + data[-4:])
    elif damage == "garbage":
        index.write_bytes(b"\x00" * 100)
    else:  # a well-formed file with the right checksum whose records have the wrong types
        import hashlib

        head, _, _ = data.partition(b"\n")
        header = json.loads(data[len(head) + 1:].partition(b"\n")[0])
        payload = json.dumps({"stats": {}, "packages": {"a": [["PYSEC-2099-1", 5]]}}).encode()
        header.update(payload_sha256=hashlib.sha256(payload).hexdigest(), payload_bytes=len(payload))
        index.write_bytes(head + b"\n" + json.dumps(header).encode() + b"\n" + payload)
    again = open_database(folder)
    assert again.records_for("a") == good
