"""Red team 16a-2: a collision-broken algorithm both BOMs state counted as proof of sameness. Old
BOM: SHA-256 + MD5; new BOM: only MD5 (the same value: a colliding file), or MD5 + a SHA-512 of
other bytes. ``common = {MD5}`` matched, so diff said ``hash-change``, and ``--fail-on hash-drift``
exited 0. MD5 and SHA-1 never prove sameness; a strong algorithm the old BOM stated must still be
there and equal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.diff import diff, gate, parse_fail_on

SHA256, SHA256_EVIL, MD5, SHA1 = "aa" * 32, "bb" * 32, "11" * 16, "22" * 20


def _bom(hashes: list[tuple[str, str]], serial: str = "1") -> dict[str, object]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "serialNumber": f"urn:uuid:00000000-0000-4000-8000-00000000000{serial}",
            "components": [{"type": "file", "name": "model.pkl", "bom-ref": "model:m#model.pkl",
                            "hashes": [{"alg": a, "content": v} for a, v in hashes],
                            "properties": [{"name": "mlbom:file:path", "value": "model.pkl"}]}]}


@pytest.mark.parametrize("old,new", [
    pytest.param([("SHA-256", SHA256), ("MD5", MD5)], [("SHA-256", SHA256_EVIL), ("MD5", MD5)], id="control"),
    pytest.param([("SHA-256", SHA256), ("MD5", MD5)], [("MD5", MD5)], id="md5-only"),
    pytest.param([("SHA-256", SHA256), ("MD5", MD5)], [("MD5", MD5), ("SHA-512", "cc" * 64)], id="md5-and-sha512"),
    pytest.param([("SHA-256", SHA256), ("SHA-1", SHA1)], [("sha1", SHA1)], id="sha1-only"),
    pytest.param([("MD5", MD5)], [("MD5", MD5), ("SHA-256", SHA256_EVIL)], id="only-weak-before"),
    pytest.param([("MD5", MD5)], [("MD5", "33" * 16)], id="weak-differs"),
    pytest.param([("CRC32", "1234abcd")], [("CRC32", "1234abcd"), ("SHA-256", SHA256_EVIL)], id="unknown-alg"),
])
def test_weak_or_missing_strong_hash_is_drift(old: list[tuple[str, str]], new: list[tuple[str, str]],
                                              tmp_path: Path) -> None:
    changes = diff(_bom(old), _bom(new, "2"))
    assert [c.kind for c in changes] == ["hash-drift"]
    assert gate(changes, parse_fail_on("hash-drift,new-unsafe"))
    (tmp_path / "old.json").write_text(json.dumps(_bom(old)))
    (tmp_path / "new.json").write_text(json.dumps(_bom(new, "2")))
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--fail-on", "hash-drift,new-unsafe"]) == 1


def test_the_detail_says_why_not_comparable() -> None:
    (c,) = diff(_bom([("SHA-256", SHA256), ("MD5", MD5)]), _bom([("MD5", MD5)], "2"))
    assert "not comparable" in c.detail and "only collision-broken ones in common" in c.detail


@pytest.mark.parametrize("old,new", [
    pytest.param([("SHA-256", SHA256), ("MD5", MD5)], [("SHA-256", SHA256)], id="weak-dropped-beside-strong"),
    pytest.param([("SHA-256", SHA256)], [("SHA-256", SHA256), ("MD5", MD5)], id="weak-added-beside-strong"),
    pytest.param([], [("MD5", MD5)], id="hashes-added"),
])
def test_a_strong_match_still_proves_sameness(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> None:
    changes = diff(_bom(old), _bom(new, "2"))
    assert [c.kind for c in changes] == ["hash-change"]
    assert not gate(changes, parse_fail_on("hash-drift"))
