"""The manifest line format: round trip, determinism, and every malformed line refused with
its line number."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from mlbom.errors import InputError
from mlbom.hashing import tree_digest
from mlbom.manifest.format import Entry, Header, ManifestReader, ManifestWriter, shard_of

H = "ab" * 32


def _write(path: Path, entries: list[Entry], header: Header | None = None) -> None:
    w = ManifestWriter(path, header or Header("ds"))
    for e in entries:
        w.add(e)
    w.close()


def test_round_trip_order_and_tree_digest(tmp_path: Path) -> None:
    # code-point order of the whole path: "a.txt" < "a/b" ('.' < '/'), as LC_ALL=C sort
    entries = [Entry("a b\u00e9.txt", 3, H), Entry("a.txt", 1, "cd" * 32), Entry("a/b", 2, H), Entry("z\udcff", 0, H)]
    out = tmp_path / "m.jsonl"
    w = ManifestWriter(out, Header("ds"))
    for e in entries:
        w.add(e)
    written = w.close()
    assert written.tree_sha256 == tree_digest([(e.path, e.sha256 or "") for e in entries])
    assert out.read_bytes().startswith(b'{"mlbom-manifest":1,"root":"ds","algorithm":"sha256"}\n{"name":"a b\\u00e9.txt"')
    with ManifestReader(out) as r:
        assert r.header == Header("ds")
        assert list(r) == entries


def test_out_of_order_entry_is_refused_when_writing(tmp_path: Path) -> None:
    w = ManifestWriter(tmp_path / "m.jsonl", Header("ds"))
    w.add(Entry("b", 1, H))
    with pytest.raises(ValueError, match="out of order"):
        w.add(Entry("a", 1, H))
    w.abort()
    assert not list(tmp_path.iterdir())


def test_gzip_is_deterministic(tmp_path: Path) -> None:
    entries = [Entry(f"f{i:03d}", i, H) for i in range(50)]
    _write(tmp_path / "a.jsonl.gz", entries)
    _write(tmp_path / "b.jsonl.gz", entries)
    _write(tmp_path / "c.jsonl", entries)
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()
    assert gzip.decompress((tmp_path / "a.jsonl.gz").read_bytes()) == (tmp_path / "c.jsonl").read_bytes()
    with ManifestReader(tmp_path / "a.jsonl.gz") as r:
        assert list(r) == entries


def test_error_lines_round_trip_and_give_no_tree_digest(tmp_path: Path) -> None:
    w = ManifestWriter(tmp_path / "m.jsonl", Header("ds"))
    w.add(Entry("a", 1, H))
    w.add(Entry("b", None, None, "changed while being hashed"))
    written = w.close()
    assert (written.files, written.failed, written.tree_sha256) == (2, 1, None)
    with ManifestReader(tmp_path / "m.jsonl") as r:
        assert list(r)[1] == Entry("b", None, None, "changed while being hashed")


BAD = [
    (b"", "empty file"),
    (b'{"root":"ds"}\n', "not an mlbom manifest"),
    (b'{"mlbom-manifest":1,"root":"ds","algorithm":"md5"}\n', "algorithm sha256"),
    (b'{"mlbom-manifest":1,"root":"ds","algorithm":"sha256","extra":1}\n', "unknown header keys"),
    (b'{"mlbom-manifest":1,"root":"ds","algorithm":"sha256","shard":"3/2","files":1,"listing":"' + b"a" * 64 + b'"}\n',
     "malformed shard header"),
    (b'H\n{"name":"../x","size":1,"algorithm":"sha256","digest":"' + H.encode() + b'"}\n', "line 2: file name '../x'"),
    (b'H\n{"name":"/etc/passwd","size":1,"algorithm":"sha256","digest":"' + H.encode() + b'"}\n', "line 2: file name"),
    (b'H\n{"name":"a","size":-1,"algorithm":"sha256","digest":"' + H.encode() + b'"}\n', "line 2: a file line needs"),
    (b'H\n{"name":"a","size":1,"algorithm":"sha256","digest":"' + H.upper().encode() + b'"}\n', "line 2: a file line needs"),
    (b'H\n{"name":"b","size":1,"algorithm":"sha256","digest":"' + H.encode() + b'"}\n'
     b'{"name":"a","size":1,"algorithm":"sha256","digest":"' + H.encode() + b'"}\n', "line 3: 'a' is out of order"),
    (b'H\n{"name":"a","size":1,"algorithm":"sha256","digest":"' + H.encode() + b'"}\n'
     b'{"name":"a","size":1,"algorithm":"sha256","digest":"' + H.encode() + b'"}\n', "line 3: 'a' is out of order or listed twice"),
    (b'H\n{"name":"a"' + b" " * 70_000 + b"}\n", "line 2: line longer than"),
    (b"H\n[[[[[[\n", "line 2: not a JSON line"),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_malformed_manifest_is_an_input_error_naming_the_line(tmp_path: Path, data: bytes, message: str) -> None:
    data = data.replace(b"H\n", b'{"mlbom-manifest":1,"root":"ds","algorithm":"sha256"}\n', 1)
    p = tmp_path / "m.jsonl"
    p.write_bytes(data)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("[", r"\[")), ManifestReader(p) as r:
        list(r)


def test_truncated_gzip_is_an_input_error(tmp_path: Path) -> None:
    _write(tmp_path / "a.jsonl.gz", [Entry(f"f{i:05d}", i, H) for i in range(2000)])
    data = (tmp_path / "a.jsonl.gz").read_bytes()
    (tmp_path / "a.jsonl.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cannot read manifest"), ManifestReader(tmp_path / "a.jsonl.gz") as r:
        list(r)


def test_shard_partition_is_stable_and_covers_every_path() -> None:
    paths = [f"d{i // 100}/f{i}" for i in range(2000)]
    parts = [shard_of(p, 4) for p in paths]
    assert set(parts) == {1, 2, 3, 4}
    assert all(300 < parts.count(i) < 700 for i in range(1, 5))
    assert shard_of("d0/f0", 4) == shard_of("d0/f0", 4)
