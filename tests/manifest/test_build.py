"""Streaming manifests of real folders: sharding and merging byte for byte, the hash cache,
and the bad inputs of issue #18 (files changing, vanishing or swapped while hashed; a corrupt
cache; shards of different folders)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import warnings
from pathlib import Path

import pytest

from mlbom import hashing
from mlbom.errors import InputError, UsageError
from mlbom.fswalk import FileRun, iter_files, iter_runs
from mlbom.hashing import sha256_stable
from mlbom.manifest import build
from mlbom.manifest.build import build_manifest, hash_stream, parse_shard
from mlbom.manifest.cache import CacheWarning, HashCache
from mlbom.manifest.format import ManifestReader
from mlbom.manifest.merge import merge


def _tree(root: Path, n: int = 60) -> Path:
    for i in range(n):
        d = root / f"d{i % 4}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:03d}.bin").write_bytes(os.urandom(100 + i))
    (root / "a.txt").write_text("x")
    (root / "a").mkdir()
    (root / "a" / "b").write_text("y")
    return root


def test_walk_order_is_code_point_order_of_paths(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ds")
    rels = [rel for rel, _ in iter_files(root)]
    assert rels == sorted(rels)
    assert rels.index("a.txt") < rels.index("a/b")


def test_shards_merge_byte_identically_and_in_any_order(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ds")
    whole = build_manifest(root, tmp_path / "whole.jsonl")
    parts = []
    for i in (3, 1, 2):
        parts.append(tmp_path / f"part-{i}.jsonl")
        build_manifest(root, parts[-1], shard=(i, 3))
    merged = merge(parts, tmp_path / "merged.jsonl")
    assert (tmp_path / "merged.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    assert merged.sha256 == whole.sha256 and merged.files == whole.files == 62
    merge([tmp_path / f"part-{i}.jsonl" for i in (1, 2, 3)], tmp_path / "merged.jsonl.gz")  # compressed output too


def test_merging_shards_of_different_folders_or_missing_shards_is_refused(tmp_path: Path) -> None:
    a, b = _tree(tmp_path / "x" / "ds"), _tree(tmp_path / "y" / "ds", n=61)
    build_manifest(a, tmp_path / "a1.jsonl", shard=(1, 2))
    build_manifest(a, tmp_path / "a2.jsonl", shard=(2, 2))
    build_manifest(b, tmp_path / "b2.jsonl", shard=(2, 2))
    with pytest.raises(InputError, match="shard of another folder"):
        merge([tmp_path / "a1.jsonl", tmp_path / "b2.jsonl"], tmp_path / "m.jsonl")
    with pytest.raises(InputError, match=r"shard\(s\) 2/2 missing"):
        merge([tmp_path / "a1.jsonl"], tmp_path / "m.jsonl")
    with pytest.raises(InputError, match="given twice"):
        merge([tmp_path / "a1.jsonl", tmp_path / "a1.jsonl"], tmp_path / "m.jsonl")
    build_manifest(a, tmp_path / "whole.jsonl")
    with pytest.raises(InputError, match="not a shard"):
        merge([tmp_path / "whole.jsonl"], tmp_path / "m.jsonl")
    assert not (tmp_path / "m.jsonl").exists()


def test_a_forged_shard_entry_is_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ds")
    build_manifest(root, tmp_path / "p1.jsonl", shard=(1, 2))
    build_manifest(root, tmp_path / "p2.jsonl", shard=(2, 2))
    lines = (tmp_path / "p1.jsonl").read_bytes().splitlines(keepends=True)
    other = (tmp_path / "p2.jsonl").read_bytes().splitlines(keepends=True)[1]
    # a path of shard 2 slipped into shard 1 (kept in order so that only the partition check catches it)
    forged = sorted([*lines[1:], other], key=lambda b: b.split(b'"')[3])
    (tmp_path / "p1.jsonl").write_bytes(lines[0] + b"".join(forged))
    with pytest.raises(InputError, match=r"does not belong to shard 1/2|in two shards"):
        merge([tmp_path / "p1.jsonl", tmp_path / "p2.jsonl"], tmp_path / "m.jsonl")


def test_parse_shard() -> None:
    assert parse_shard("3/8") == (3, 8)
    for bad in ("0/3", "4/3", "3", "a/b", "-1/2"):
        with pytest.raises(UsageError):
            parse_shard(bad)


def test_cache_makes_a_rerun_stat_only_and_rehashes_a_changed_file(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ds")
    cache = HashCache(tmp_path / "cache")
    first = build_manifest(root, tmp_path / "m1.jsonl", cache=cache, workers=1)
    cache.close()
    cache = HashCache(tmp_path / "cache")
    (root / "d0" / "f000.bin").write_bytes(b"changed")
    second = build_manifest(root, tmp_path / "m2.jsonl", cache=cache, workers=1)
    cache.close()
    assert cache.hits == first.files - 1
    with ManifestReader(tmp_path / "m2.jsonl") as r:
        got = {e.path: e.sha256 for e in r}
    assert got["d0/f000.bin"] == sha256_stable(str(root / "d0" / "f000.bin")).sha256
    assert second.sha256 != first.sha256


def test_a_forged_cache_entry_with_other_keys_is_not_used(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ds", n=3)
    cache = HashCache(tmp_path / "cache")
    build_manifest(root, tmp_path / "m1.jsonl", cache=cache, workers=1)
    cache.close()
    con = sqlite3.connect(tmp_path / "cache" / "hashes.sqlite3")
    con.execute("UPDATE files SET sha256 = ?, mtime_ns = mtime_ns + 1", ("00" * 32,))
    # the folder records too: other keys (zeros) and other digests
    forged = con.execute("UPDATE folders SET digests = zeroblob(length(digests)), keys = zeroblob(length(keys))")
    assert forged.rowcount == 5  # one record per folder
    con.commit()
    con.close()
    cache = HashCache(tmp_path / "cache")
    build_manifest(root, tmp_path / "m2.jsonl", cache=cache, workers=1)
    cache.close()
    assert cache.hits == 0
    assert (tmp_path / "m1.jsonl").read_bytes() == (tmp_path / "m2.jsonl").read_bytes()


def test_corrupt_cache_is_rebuilt_with_a_warning(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ds", n=3)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "hashes.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.warns(CacheWarning, match="corrupt or not mlbom's.*rebuilt"):
        cache = HashCache(tmp_path / "cache")
    build_manifest(root, tmp_path / "m.jsonl", cache=cache, workers=1)
    cache.close()
    again = HashCache(tmp_path / "cache")
    build_manifest(root, tmp_path / "m2.jsonl", cache=again, workers=1)
    again.close()
    assert again.hits == 5


def test_file_changing_while_hashed_is_an_error_line_not_a_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path / "ds", n=3)
    victim = root / "d1" / "f001.bin"
    real_read = os.read

    def growing_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        if os.fstat(fd).st_ino == victim.stat().st_ino:
            with open(victim, "ab") as fh:  # another process appends while we read
                fh.write(b"more")
        return data

    monkeypatch.setattr(hashing.os, "read", growing_read)
    build_manifest(root, tmp_path / "m.jsonl", workers=1)
    with ManifestReader(tmp_path / "m.jsonl") as r:
        entries = {e.path: e for e in r}
    assert entries["d1/f001.bin"].sha256 is None
    assert "changed while being hashed" in (entries["d1/f001.bin"].error or "")
    assert entries["d0/f000.bin"].sha256 is not None


def test_vanishing_and_swapped_files_are_error_lines(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ds", n=3)

    def walk_then_interfere() -> object:
        for rel, p in iter_files(root):
            if rel == "d0/f000.bin":
                os.unlink(p)
            if rel == "d1/f001.bin":
                os.unlink(p)
                os.mkfifo(p)  # opened non-blocking: no hang
            yield rel, p

    results = {h.rel: h for h in hash_stream(walk_then_interfere(), workers=1)}  # type: ignore[arg-type]
    assert "FileNotFoundError" in (results["d0/f000.bin"].error or "")
    assert "not a regular file" in (results["d1/f001.bin"].error or "")
    assert results["a.txt"].sha256 is not None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_an_error_line(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ds", n=3)
    (root / "a.txt").chmod(0)
    build_manifest(root, tmp_path / "m.jsonl", workers=1)
    with ManifestReader(tmp_path / "m.jsonl") as r:
        assert "PermissionError" in (next(e for e in r if e.path == "a.txt").error or "")


def test_worker_processes_give_the_same_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path / "ds", n=700)
    build_manifest(root, tmp_path / "one.jsonl", workers=1)
    monkeypatch.setattr(build, "BATCH", 64)
    cache = HashCache(tmp_path / "cache")
    build_manifest(root, tmp_path / "two.jsonl", workers=2, cache=cache)
    cache.close()
    cache = HashCache(tmp_path / "cache")
    build_manifest(root, tmp_path / "three.jsonl", workers=2, cache=cache)
    cache.close()
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes() == (tmp_path / "three.jsonl").read_bytes()


def test_stable_rows_agree_with_sha256_stable(tmp_path: Path) -> None:
    """The inline fast path of the manifest hashing loop gives what the careful function does,
    for every kind of path it may meet (and hands the odd ones to it)."""
    from mlbom.formats.datafile import detect
    from mlbom.hashing import stable_rows

    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "small.jsonl").write_bytes(b'{"a": 1}\n{"b": 2}\n')
    (tmp_path / "png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(5000))
    # past the one-read path; a first byte no pickle opcode (random bytes starting with one, `X` and a
    # length past the 4 KiB head, may be a pickle's start: detect says "pickle" then)
    (tmp_path / "large").write_bytes(b"\xfe" + os.urandom((1 << 20) + 16))
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    paths = [str(tmp_path / n) for n in ("empty", "small.jsonl", "png", "large", "folder", "fifo", "missing")]
    rows = stable_rows(paths, detect)
    for path, (sha, size, key, fmt, error, changed) in zip(paths, rows, strict=True):
        d = sha256_stable(path)
        assert (sha, size, key, error, changed) == (d.sha256, d.size, d.key, d.error, d.changed), path
        assert fmt == (detect(d.head) if d.sha256 is not None else None), path
    assert [r[3] for r in rows[:4]] == ["text", "jsonl", "png", "binary"]
    assert rows[4][4] == "not a regular file (not read)" and "FileNotFoundError" in (rows[6][4] or "")
    assert all(r[2] is None for r in stable_rows(paths, keys=False))


def test_short_reads_are_read_on_not_taken_for_a_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A network or FUSE file system may return fewer bytes than asked before the end: the file
    is read on, and its digest is the digest of all of it."""
    from mlbom.hashing import stable_rows

    data = os.urandom(9000)
    (tmp_path / "f").write_bytes(data)
    real_read = os.read
    monkeypatch.setattr(hashing.os, "read", lambda fd, n: real_read(fd, min(n, 1000)))
    want = hashlib.sha256(data).hexdigest()
    assert sha256_stable(str(tmp_path / "f")).sha256 == want
    assert stable_rows([str(tmp_path / "f")])[0][:2] == (want, 9000)
    assert hashing.sha256_file(tmp_path / "f").sha256 == want


def test_writing_removes_the_partial_manifest_and_closes_the_cache(tmp_path: Path) -> None:
    from mlbom.manifest.format import Header, writing

    class Cache:
        closed = 0

        def close(self) -> None:
            Cache.closed += 1

    out = tmp_path / "m.jsonl"
    with pytest.raises(RuntimeError), writing(out, Header("ds"), Cache()) as w:
        w.add_file("a", 1, "ab" * 32)
        raise RuntimeError("interrupted")
    assert not list(tmp_path.iterdir()) and Cache.closed == 1
    with pytest.raises(InputError, match="cannot write"), writing(tmp_path / "no" / "m.jsonl", Header("ds"), Cache()):
        pass
    assert Cache.closed == 2
    with writing(out, Header("ds"), Cache()) as w:
        w.add_file("a", 1, "ab" * 32)
    assert w.close().files == 1 and out.is_file() and Cache.closed == 3
    assert [p.name for p in tmp_path.iterdir()] == ["m.jsonl"]


# ---- per-folder cache records (issue #18 item 3) ------------------------------------------------

def _mixed(root: Path) -> Path:
    """Folders of files, a folder whose files sort around its sub-folders, names that are not ASCII."""
    for d in range(3):
        (root / f"d{d}").mkdir(parents=True)
        for i in range(40):
            (root / f"d{d}" / f"f{i:03d}.bin").write_bytes(os.urandom(50 + i))
    (root / "m" / "b").mkdir(parents=True)
    for name in ("a.txt", "b/x", "c.txt", "z", "é.txt", "b/ü"):
        (root / "m" / name).write_bytes(os.urandom(20) + name.encode())
    return root


def _warm_equals_cold(root: Path, out: Path, cache_dir: Path, name: str) -> HashCache:
    """The manifest through the cache (closed again) and without it: the same bytes."""
    cache = HashCache(cache_dir)
    warm = build_manifest(root, out / f"{name}-warm.jsonl.gz", cache=cache, workers=1)
    cache.close()
    cold = build_manifest(root, out / f"{name}-cold.jsonl.gz", workers=1)
    assert (out / f"{name}-warm.jsonl.gz").read_bytes() == (out / f"{name}-cold.jsonl.gz").read_bytes()
    assert (warm.sha256, warm.files, warm.total_size, warm.tree_sha256) == (cold.sha256, cold.files, cold.total_size,
                                                                            cold.tree_sha256)
    return cache


def test_a_warm_run_writes_the_cold_runs_bytes_after_changes_additions_removals_and_renames(tmp_path: Path) -> None:
    root = _mixed(tmp_path / "ds")
    out = tmp_path / "out"
    out.mkdir()
    cache_dir = tmp_path / "cache"
    assert _warm_equals_cold(root, out, cache_dir, "first").hits == 0
    files = 126
    assert _warm_equals_cold(root, out, cache_dir, "again").hits == files
    runs = list(build.hash_runs(iter_runs_of(root), cache=(c := HashCache(cache_dir)), workers=1))
    c.close()
    assert all(isinstance(r, build.CachedRun) for r in runs) and len(runs) == 6  # d0-d2, m (3 runs), m/b
    (root / "d0" / "f001.bin").write_bytes(b"changed")                 # changed
    (root / "d1" / "new.bin").write_bytes(b"added")                    # added
    (root / "d2" / "f005.bin").unlink()                                # removed
    (root / "d0" / "f010.bin").rename(root / "d0" / "g010.bin")        # renamed within its folder
    (root / "d1").rename(root / "e1")                                  # a folder renamed
    (root / "m" / "c.txt").write_bytes(b"changed too")                 # changed, between two sub-folders' runs
    cache = _warm_equals_cold(root, out, cache_dir, "changed")
    # all but the two changed, the one added and the one renamed (a rename sets its ctime on Linux)
    assert files - 4 <= cache.hits <= files - 3
    again = _warm_equals_cold(root, out, cache_dir, "after")
    assert again.hits == files  # the folders' records were written anew
    with ManifestReader(out / "after-warm.jsonl.gz") as r:
        names = [e.path for e in r]
    assert "e1/new.bin" in names and "d0/g010.bin" in names and "d2/f005.bin" not in names and "m/é.txt" in names


def iter_runs_of(root: Path) -> list[FileRun]:
    return list(iter_runs(root))


@pytest.mark.parametrize("change", ["names = CAST('x' AS BLOB)", "keys = substr(keys, 1, 40)",
                                    "digests = substr(digests, 2)", "fmts = 'a'", "names = 7",
                                    "digests = zeroblob(length(digests)), keys = substr(keys, 41) || substr(keys, 1, 40)"])
def test_a_folder_record_that_does_not_fit_its_folder_is_not_used(tmp_path: Path, change: str) -> None:
    """Records with other names, parts of the wrong length, values of another type (text that
    is not UTF-8, a number) or keys of other files are misses (the files are hashed), never a
    wrong digest, an error or the cache turned off."""
    root = _mixed(tmp_path / "ds")
    (tmp_path / "out").mkdir()
    _warm_equals_cold(root, tmp_path / "out", tmp_path / "cache", "first")
    con = sqlite3.connect(tmp_path / "cache" / "hashes.sqlite3")
    con.execute("DELETE FROM files")  # only the folder records are left to hit
    assert con.execute(f"UPDATE folders SET {change}").rowcount == 5
    con.commit()
    con.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache = _warm_equals_cold(root, tmp_path / "out", tmp_path / "cache", "forged")
    assert cache.hits == 0


def test_a_cache_from_an_older_detector_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    """A format cached by an older ``detect`` (a pickle behind a GIF header cached as ``gif``, so
    never scanned) is not used: a database of another schema is rebuilt (red team 10b 4)."""
    import sqlite3

    from mlbom.manifest import cache as cache_mod

    cache = HashCache(tmp_path / "cache")
    key = (1, 2, 3, 4, 5)
    cache.store(key, "a" * 64, "gif")
    cache.close()
    con = sqlite3.connect(tmp_path / "cache" / "hashes.sqlite3")
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(cache_mod.SCHEMA - 1),))
    con.commit()
    con.close()
    with pytest.warns(CacheWarning, match="rebuilt"):
        again = HashCache(tmp_path / "cache")
    assert again.lookup([key]) == [None]
    again.close()
