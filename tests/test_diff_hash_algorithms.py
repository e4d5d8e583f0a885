"""diff compares every hash algorithm both BOMs state (red team 15b-3): a new BOM that gives the
same file (same identity and version) only a SHA-512 or SHA3-256 of other bytes, or no hash at
all, read as "no differences", and `--fail-on hash-drift`/`any` exited 0."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.diff import diff, gate, parse_fail_on

GOOD, EVIL = b"weights v1", b"weights v1 + pickle payload"


def _bom(hashes: list[dict[str, str]], serial: str = "1") -> dict[str, object]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "serialNumber": f"urn:uuid:00000000-0000-4000-8000-00000000000{serial}",
            "components": [{"type": "file", "name": "model/model.bin", "bom-ref": "file:model/model.bin",
                            "hashes": hashes, "properties": [{"name": "mlbom:file:path", "value": "model/model.bin"}]}]}


def _h(alg: str, data: bytes) -> dict[str, str]:
    fn = {"SHA-256": hashlib.sha256, "SHA-512": hashlib.sha512, "SHA3-256": hashlib.sha3_256}[alg.upper()]
    return {"alg": alg, "content": fn(data).hexdigest()}


OLD = _bom([_h("SHA-256", GOOD)])


@pytest.mark.parametrize("new", [
    pytest.param([_h("SHA-256", EVIL)], id="control-sha256-changed"),
    pytest.param([_h("SHA-512", EVIL)], id="sha512-only"),
    pytest.param([_h("SHA3-256", EVIL)], id="sha3-256-only"),
    pytest.param([], id="no-hash"),
    pytest.param([_h("SHA-256", EVIL), _h("SHA-512", GOOD)], id="common-differs-beside-another"),
])
def test_a_changed_or_uncomparable_hash_is_drift(new: list[dict[str, str]], tmp_path: Path) -> None:
    changes = diff(OLD, _bom(new, "2"))
    assert [c.kind for c in changes] == ["hash-drift"]
    assert gate(changes, parse_fail_on("hash-drift")) and gate(changes, parse_fail_on("any"))
    (tmp_path / "old.json").write_text(json.dumps(OLD))
    (tmp_path / "new.json").write_text(json.dumps(_bom(new, "2")))
    for rule in ("hash-drift", "any"):
        assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--fail-on", rule]) == 1


def test_not_comparable_says_which_algorithms() -> None:
    (c,) = diff(OLD, _bom([_h("SHA-512", EVIL)], "2"))
    assert "not comparable" in c.detail and "old SHA-256" in c.detail and "new SHA-512" in c.detail
    (c,) = diff(OLD, _bom([], "2"))
    assert "new (none)" in c.detail and c.new == "(none)"


def test_same_hashes_in_another_letter_case_are_no_change() -> None:
    h = hashlib.sha256(GOOD).hexdigest().upper()
    assert diff(OLD, _bom([{"alg": "sha-256", "content": h}], "2")) == []
    assert diff(OLD, _bom([{"alg": "SHA256", "content": h}], "2")) == []


def test_a_hash_added_is_a_change_but_not_drift() -> None:
    for old, new in (([], [_h("SHA-256", GOOD)]),  # none before
                     ([_h("SHA-256", GOOD)], [_h("SHA-256", GOOD), _h("SHA-512", EVIL)])):  # one added beside
        changes = diff(_bom(old), _bom(new, "2"))
        assert [c.kind for c in changes] == ["hash-change"]
        assert not gate(changes, parse_fail_on("hash-drift"))
        assert gate(changes, parse_fail_on("hash-change")) and gate(changes, parse_fail_on("any"))


def test_a_strong_algorithm_dropped_beside_one_that_matches_is_a_change_not_drift() -> None:
    """One strong algorithm in common that matches proves the same bytes: dropping another is a
    hash-change (nothing stated is contradicted), not drift."""
    changes = diff(_bom([_h("SHA-256", GOOD), _h("SHA-512", GOOD)]), _bom([_h("SHA-256", GOOD)], "2"))
    assert [c.kind for c in changes] == ["hash-change"]


def test_a_version_change_of_a_package_is_not_drift() -> None:
    """A real upgrade (two different versions of a package): its hashes are expected to differ.
    A file that gains a version is still compared (red team 16a-1, tests/test_diff_versions.py)."""
    old, new = _bom([_h("SHA-256", GOOD)]), _bom([_h("SHA-512", EVIL)], "2")
    for doc, v in ((old, "1"), (new, "2")):
        doc["components"] = [{"type": "library", "name": "torch", "version": v, "purl": f"pkg:pypi/torch@{v}",  # type: ignore[index]
                              "hashes": doc["components"][0]["hashes"]}]  # type: ignore[index]
    assert [c.kind for c in diff(old, new)] == ["version-change"]


def test_query_and_index_find_a_sha256_in_any_spelling(tmp_path: Path) -> None:
    """``query --sha256`` (over a BOM, and over the index) matched only ``alg`` exactly
    ``SHA-256`` and hex as written: a known-bad hash in upper case, or ``alg: "sha256"``, was
    missed. Both now read hashes as :attr:`ReadComponent.digests` does."""
    pytest.importorskip("sqlalchemy")
    from mlbom import index as ix
    from mlbom.query import Filters, select
    from mlbom.reader import load

    sha = hashlib.sha256(EVIL).hexdigest()
    for i, alg in enumerate(("SHA-256", "sha256", "Sha-256")):
        doc = _bom([{"alg": alg, "content": sha.upper()}], str(i + 1))
        assert [c.name for c in select(doc, Filters(sha256=sha))] == ["model/model.bin"]
        assert [c.name for c in select(doc, Filters(sha256=sha.upper()))] == ["model/model.bin"]
        path = tmp_path / f"{i}.json"
        path.write_text(json.dumps(doc))
        engine = ix.open_index(f"sqlite:///{tmp_path / f'{i}.db'}")
        ix.add(engine, load(path), raw=path.read_bytes())
        hits = ix.query(engine, ix.IndexFilters(sha256=sha))
        assert [(h["name"], h["sha256"]) for h in hits] == [("model/model.bin", sha)]
