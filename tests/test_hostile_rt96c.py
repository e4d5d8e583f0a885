"""Red team 96c: manifest output paths and VEX application (exit 0/1/2, one stderr line for a bad
input and never "internal error", nothing good lost).

96c-1: ``manifest DIR -o OUT`` and ``manifest merge … -o OUT`` replaced OUT with ``os.replace``
whatever it was: a folder was an internal error, a symbolic link, a FIFO or a device was replaced
by a regular file. Now the rule of every ``-o`` of mlbom (``output_target``): a link is written
through, a FIFO or a device is written into (never replaced), a folder is one line and exit 2;
only a regular file goes through a temporary file.

96c-3: ``manifest DIR -o DIR/OUT`` listed its own temporary file (and, on a re-run, itself): a
BOM built from it never verified and its shards never merged.

96c-2, 96c-4: VEX statements whose products mlbom could not read were applied to every package
of the flaw; statements in a state or with a justification the format does not define were
dropped or half-applied without a word.

No device node is made or written here: FIFOs and links live in tmp_path only.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main


def _quiet(capsys: Any) -> tuple[str, str]:
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err, err
    return str(out), str(err)


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(cache))
    monkeypatch.setenv("MLBOM_CACHE_KEY_FILE", str(tmp_path_factory.mktemp("key") / "cache.key"))
    monkeypatch.delenv("MLBOM_OSV_API", raising=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return cache


def _write(path: Path, obj: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    return path


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("a\n")
    (data / "b.txt").write_text("b\n")
    return data


def _names(manifest: Path) -> list[str]:
    return [json.loads(line)["name"] for line in manifest.read_text().splitlines()[1:]]


def _shards(tmp_path: Path, data: Path) -> list[str]:
    parts = []
    for i in (1, 2):
        part = tmp_path / f"p{i}.jsonl"
        assert main(["manifest", str(data), "--shard", f"{i}/2", "-o", str(part)]) == 0
        parts.append(str(part))
    return parts


# ---------------------------------------------------------------------------------------------
# 96c-1


@pytest.mark.parametrize("merge", [False, True])
def test_96c1_a_folder_as_output_is_one_line(tmp_path: Path, merge: bool, capsys: Any) -> None:
    data = _data(tmp_path)
    out = tmp_path / "outdir"
    out.mkdir()
    (out / "keep").write_text("x")
    args = ["manifest", "merge", *_shards(tmp_path, data)] if merge else ["manifest", str(data)]
    capsys.readouterr()
    rc = main([*args, "-o", str(out)])
    _, err = _quiet(capsys)
    assert rc == 2, err
    assert len(err.strip().splitlines()) == 1 and "is a folder" in err, err
    assert out.is_dir() and (out / "keep").read_text() == "x"
    assert not (tmp_path / "outdir.tmp").exists()


@pytest.mark.parametrize("merge", [False, True])
def test_96c1_a_link_is_written_through(tmp_path: Path, merge: bool, capsys: Any) -> None:
    data = _data(tmp_path)
    (tmp_path / "target.jsonl").write_text("old")
    link = tmp_path / "link.jsonl"
    link.symlink_to("target.jsonl")
    args = ["manifest", "merge", *_shards(tmp_path, data)] if merge else ["manifest", str(data)]
    rc = main([*args, "-o", str(link)])
    _quiet(capsys)
    assert rc == 0
    assert link.is_symlink() and os.readlink(link) == "target.jsonl"
    assert _names(tmp_path / "target.jsonl") == ["a.txt", "b.txt"]


def test_96c1_a_dangling_link_creates_its_target(tmp_path: Path, capsys: Any) -> None:
    data = _data(tmp_path)
    link = tmp_path / "link.jsonl"
    link.symlink_to("new.jsonl")
    assert main(["manifest", str(data), "-o", str(link)]) == 0
    _quiet(capsys)
    assert link.is_symlink() and _names(tmp_path / "new.jsonl") == ["a.txt", "b.txt"]


@pytest.mark.parametrize("merge", [False, True])
def test_96c1_a_fifo_is_written_into_never_replaced(tmp_path: Path, merge: bool, capsys: Any) -> None:
    data = _data(tmp_path)
    args = ["manifest", "merge", *_shards(tmp_path, data)] if merge else ["manifest", str(data)]
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    rc = main([*args, "-o", str(fifo)])
    reader.join(10)
    _quiet(capsys)
    assert rc == 0
    assert fifo.is_fifo()  # still a FIFO: not replaced by a regular file
    lines = got[0].decode().splitlines()
    assert [json.loads(x)["name"] for x in lines[1:]] == ["a.txt", "b.txt"]
    assert not (tmp_path / "fifo.tmp").exists()


def test_96c1_a_temporary_name_that_is_a_folder_is_one_line(tmp_path: Path, capsys: Any) -> None:
    data = _data(tmp_path)
    (tmp_path / "out.jsonl.tmp").mkdir()
    rc = main(["manifest", str(data), "-o", str(tmp_path / "out.jsonl")])
    _, err = _quiet(capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1, err


# ---------------------------------------------------------------------------------------------
# 96c-3


def test_96c3_a_manifest_never_lists_itself_nor_its_temporary_file(tmp_path: Path, capsys: Any) -> None:
    data = _data(tmp_path)
    out = data / "MANIFEST.jsonl"
    for _ in range(2):  # the second run finds the first one's manifest in the folder
        assert main(["manifest", str(data), "-o", str(out)]) == 0
        assert _names(out) == ["a.txt", "b.txt"]
    _quiet(capsys)
    assert sorted(p.name for p in data.iterdir()) == ["MANIFEST.jsonl", "a.txt", "b.txt"]


def test_96c3_a_shard_written_into_the_folder_merges(tmp_path: Path, capsys: Any) -> None:
    # (shards of separate runs written into the folder see each other's output: a file of the
    # folder then, so those are refused as different walks, which is right)
    data = _data(tmp_path)
    part = data / "s1.jsonl"
    for _ in range(2):  # the second run finds the first one's shard in the folder
        assert main(["manifest", str(data), "--shard", "1/1", "-o", str(part)]) == 0
    merged = tmp_path / "merged.jsonl"
    rc = main(["manifest", "merge", str(part), "-o", str(merged)])
    _, err = _quiet(capsys)
    assert rc == 0, err
    assert _names(merged) == ["a.txt", "b.txt"]


def test_96c3_a_bom_from_a_manifest_in_its_folder_verifies(tmp_path: Path, capsys: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _data(tmp_path)
    assert main(["manifest", "data", "-o", "data/MANIFEST.jsonl"]) == 0
    main(["generate", "--dataset-manifest", "data/MANIFEST.jsonl", "--no-gpu", "-o", "bom.json"])
    assert main(["keygen", "-o", "k"]) == 0
    assert main(["sign", "bom.json", "--key", "k.key", "-o", "signed.json"]) == 0
    capsys.readouterr()
    rc = main(["verify", "signed.json", "--key", "k.pub", "--artifacts", ".", "--exclude", "*.json",
               "--exclude", "k.*", "--exclude", "data/MANIFEST.jsonl",
               "--exclude", "MANIFEST.jsonl"])
    _, err = _quiet(capsys)
    assert rc == 0, err


def test_96c3_generate_and_manifest_share_the_rule(tmp_path: Path) -> None:
    from mlbom.collectors._files import skipped
    from mlbom.manifest.format import own_paths

    data = _data(tmp_path)
    assert own_paths(data, data / "M.jsonl") == skipped(data, data / "M.jsonl") == {"M.jsonl", "M.jsonl.tmp"}
    assert own_paths(data, tmp_path / "M.jsonl") == frozenset()
