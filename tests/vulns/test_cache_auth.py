"""Red team 7c F2: the OSV index cache is authenticated, not self-checksummed. Whoever can write
the cache folder (a CI cache restored across jobs) cannot hide an advisory: an index or a
fingerprint file that does not carry a MAC under the user's key (kept outside the cache) is
rebuilt from the database."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import orjson
import pytest

from mlbom.cli import main
from mlbom.vulns import db as vdb
from mlbom.vulns.db import open_database
from tests.vulns.conftest import record, write_db


def _db(tmp_path: Path, name: str = "db", package: str = "torch") -> Path:
    return write_db(tmp_path / name, [record("PYSEC-2099-1", package, events=[{"introduced": "0"}, {"fixed": "9"}])])


def _poison(index: Path) -> None:
    """The red team's ``poison.py``: every advisory removed, the self-stated checksum and size
    recomputed (as for format 1)."""
    data = index.read_bytes()
    end = data.index(b"\n", len(vdb.INDEX_FORMAT))
    header = orjson.loads(data[len(vdb.INDEX_FORMAT):end])
    body = orjson.loads(data[end + 1:])
    body["packages"] = {}
    payload = orjson.dumps(body)
    header["payload_sha256"] = hashlib.sha256(payload).hexdigest()
    header["payload_bytes"] = len(payload)
    index.write_bytes(data[:len(vdb.INDEX_FORMAT)] + orjson.dumps(header) + b"\n" + payload)


def test_a_rewritten_index_does_not_hide_advisories(tmp_path: Path, isolated_cache: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = _db(tmp_path)
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "bom-ref": "t", "name": "torch", "version": "2.1.0", "purl": "pkg:pypi/torch@2.1.0"}]}))
    args = ["-q", "audit", str(bom), "--vuln-db", str(folder), "--fail-on", "high", "-o", str(tmp_path / "a.json")]
    assert main(args) == 1
    (index,) = (isolated_cache / "osv").glob("index-*.bin")
    _poison(index)
    assert main(args) == 1  # the release gate still fails
    assert "PYSEC-2099-1" in capsys.readouterr().err


def test_an_index_written_under_another_key_is_rebuilt(tmp_path: Path, isolated_cache: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The attacker's own mlbom (its own key) writes a well-formed index for an empty database
    and plants it under the digest of the real one."""
    real = _db(tmp_path)
    digest = open_database(real).digest
    (index,) = (isolated_cache / "osv").glob("index-*.bin")
    index.unlink()
    monkeypatch.setenv("MLBOM_CACHE_KEY_FILE", str(tmp_path / "attacker.key"))
    attacker_key = vdb.cache_key()
    assert attacker_key is not None
    vdb._write_index(attacker_key, isolated_cache / "osv", digest, {}, vdb.LoadStats())
    monkeypatch.undo()
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(isolated_cache))
    again = open_database(real)
    assert not again.from_cache and again.records_for("torch")


def test_a_forged_fingerprint_cannot_point_at_another_database(tmp_path: Path, isolated_cache: Path) -> None:
    """An index of an empty database, legitimately the user's, must not be served for another
    database through a fingerprint file mapping that database's listing to it."""
    empty = write_db(tmp_path / "empty", [record("PYSEC-2099-2", "other", events=[{"introduced": "0"}])])
    empty_digest = open_database(empty).digest
    real = _db(tmp_path)
    assert open_database(real).records_for("torch")
    fps = {p: p.read_text() for p in (isolated_cache / "osv").glob("fp-*")}
    for p in fps:
        p.write_text(empty_digest)  # format 1: the digest alone
    assert open_database(real).records_for("torch")
    for p in fps:  # a MAC copied from another fingerprint file
        other = next(t for q, t in fps.items() if q != p)
        p.write_text(f"{empty_digest} {other.split(' ')[1]}")
    assert open_database(real).records_for("torch")


@pytest.mark.parametrize("problem", ["mode", "size", "symlink"])
def test_an_unsafe_key_file_turns_the_cache_off(tmp_path: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                problem: str) -> None:
    key = tmp_path / "k" / "cache.key"
    key.parent.mkdir()
    if problem == "symlink":
        (tmp_path / "k" / "target").write_bytes(os.urandom(32))
        (tmp_path / "k" / "target").chmod(0o600)
        key.symlink_to(tmp_path / "k" / "target")
    else:
        key.write_bytes(os.urandom(32 if problem == "mode" else 31))
        key.chmod(0o644 if problem == "mode" else 0o600)
    monkeypatch.setenv("MLBOM_CACHE_KEY_FILE", str(key))
    assert vdb.cache_key() is None
    folder = _db(tmp_path)
    assert open_database(folder).records_for("torch")
    assert not open_database(folder).from_cache
    assert not list((isolated_cache / "osv").glob("index-*.bin")) if (isolated_cache / "osv").exists() else True


@pytest.mark.parametrize("where", ["key-folder", "config-home"])
def test_an_unusable_key_location_turns_the_cache_off_with_a_warning(
        tmp_path: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        where: str) -> None:
    """Red team 8c T3: the key's folder a dangling symbolic link (``$MLBOM_CACHE_KEY_FILE``'s
    folder, or ``$XDG_CONFIG_HOME/mlbom``, e.g. a dotfiles link to a removed folder) recursed
    until RecursionError (exit 2, no audit). Now: the audit runs, without the cache, and says why."""
    (tmp_path / "d").symlink_to(tmp_path / "nonexistent" / "dir")
    if where == "key-folder":
        monkeypatch.setenv("MLBOM_CACHE_KEY_FILE", str(tmp_path / "d" / "cache.key"))
    else:
        monkeypatch.delenv("MLBOM_CACHE_KEY_FILE")
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
        (tmp_path / "d").rename(tmp_path / "mlbom")
    key, why = vdb.load_cache_key()
    assert key is None and why is not None and "exists and is not a folder" in why
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "bom-ref": "t", "name": "torch", "version": "2.1.0", "purl": "pkg:pypi/torch@2.1.0"}]}))
    args = ["-q", "audit", str(bom), "--vuln-db", str(_db(tmp_path)), "--fail-on", "high", "-o", str(tmp_path / "a.json")]
    assert main(args) == 1  # the advisory is found: the run is not aborted
    err = capsys.readouterr().err
    assert "PYSEC-2099-1" in err and "internal error" not in err
    assert "warning: the index cache is not used: cannot create the folder of the cache key" in err
    assert not (isolated_cache / "osv").exists() or not list((isolated_cache / "osv").glob("index-*.bin"))


def test_the_key_is_created_private_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLBOM_CACHE_KEY_FILE", str(tmp_path / "cfg" / "mlbom" / "cache.key"))
    first = vdb.cache_key()
    assert first is not None and len(first) == 32
    assert (tmp_path / "cfg" / "mlbom" / "cache.key").stat().st_mode & 0o777 == 0o600
    assert vdb.cache_key() == first
    folder = _db(tmp_path)
    open_database(folder)
    assert open_database(folder).from_cache


@pytest.mark.parametrize("kind", ["folder", "zip", "file"])
def test_a_database_changed_between_digest_and_read_is_not_cached_under_that_digest(
        tmp_path: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """The index is filed under the digest of the bytes it was built from: a database swapped
    after it was digested (and restored later) must not leave the swapped content cached under
    the genuine database's digest."""
    import zipfile

    good = json.dumps(record("PYSEC-2099-1", "torch", events=[{"introduced": "0"}])).encode()
    evil = json.dumps(record("PYSEC-2099-1", "other", events=[{"introduced": "0"}])).encode()

    def put(data: bytes) -> Path:
        if kind == "folder":
            (tmp_path / "db").mkdir(exist_ok=True)
            (tmp_path / "db" / "r.json").write_bytes(data)
            return tmp_path / "db"
        if kind == "file":
            (tmp_path / "r.json").write_bytes(data)
            return tmp_path / "r.json"
        with zipfile.ZipFile(tmp_path / "db.zip", "w") as z:
            z.writestr("r.json", data)
        return tmp_path / "db.zip"

    path = put(good)
    source_cls = {"folder": vdb._FolderSource, "zip": vdb._ZipSource, "file": vdb._FileSource}[kind]
    real = source_cls.digest

    def then_swap(self: object) -> str:
        d = real(self)  # type: ignore[arg-type]
        put(evil)
        return d

    monkeypatch.setattr(source_cls, "digest", then_swap)
    swapped = open_database(path)
    assert swapped.records_for("other") and not swapped.records_for("torch")  # audited as read
    monkeypatch.undo()
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(isolated_cache))
    put(good)
    again = open_database(path)
    assert again.records_for("torch") and not again.records_for("other")
