"""OSV records: parsing, bounds and schema validation (each bad record is an error of its own)."""

from __future__ import annotations

import json

import pytest

from mlbom.vulns import osv
from mlbom.vulns.osv import RecordError
from tests.vulns.conftest import record


def test_yaml_record_with_timestamps_is_parsed_and_validated() -> None:
    data = b"""id: PYSEC-2099-1
modified: 2024-05-01T10:00:00Z
published: 2024-04-01T10:00:00Z
aliases: [CVE-2099-0001]
affected:
- package: {name: Some_Pkg, ecosystem: PyPI}
  ranges:
  - type: ECOSYSTEM
    events: [{introduced: "0"}, {fixed: "1.2"}]
"""
    (raw,) = osv.parse_documents(data, "x.yaml")
    rec = osv.from_osv(raw, "x.yaml")
    assert rec.modified == "2024-05-01T10:00:00Z"  # YAML timestamps become RFC 3339 strings, as the schema wants
    assert rec.affected[0].name == "some-pkg"
    assert rec.aliases == ("CVE-2099-0001",)
    assert osv.from_compact(json.loads(json.dumps(rec.to_compact()))) == rec


@pytest.mark.parametrize(("name", "data", "message"), [
    ("bad.yaml", b"id: [unclosed", "not valid YAML"),
    ("bad.json", b"{\"id\": ", "not valid JSON"),
    ("multi.yaml", b"id: a\n---\nid: b\n", "not valid YAML"),
    ("python.yaml", b"!!python/object/apply:os.system ['true']", "not valid YAML"),
    ("latin1.yaml", b"id: caf\xe9", "not UTF-8"),
])
def test_malformed_files_raise_record_error(name: str, data: bytes, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        osv.parse_documents(data, name)


def test_yaml_alias_bomb_is_refused_by_the_node_budget() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(RecordError, match="once aliases are expanded"):
        osv.parse_documents("\n".join(lines).encode(), "bomb.yaml")


def test_deep_json_is_refused() -> None:
    with pytest.raises(RecordError):
        osv.parse_documents(b"[" * 200 + b"]" * 200, "deep.json")


def test_oversized_record_is_refused() -> None:
    with pytest.raises(RecordError, match="larger than"):
        osv.parse_documents(b" " * (osv.MAX_RECORD_BYTES + 1), "big.json")


@pytest.mark.parametrize("raw", [
    {"id": "PYSEC-1"},  # no modified
    {"id": "not an id", "modified": "2024-01-01T00:00:00Z"},
    {"id": "PYSEC-2099-2", "modified": "yesterday"},
    [1, 2, 3],
    "a string",
])
def test_schema_invalid_records_raise(raw: object) -> None:
    with pytest.raises(RecordError, match="not valid OSV"):
        osv.from_osv(raw, "r.json")


def test_other_ecosystems_are_dropped_from_the_record() -> None:
    rec = osv.from_osv(record("GHSA-aaaa-bbbb-cccc", "left-pad", events=[{"introduced": "0"}], ecosystem="npm"), "r")
    assert rec.affected == ()


def test_api_answer_shape_and_arrays_hold_many_records() -> None:
    one = record("PYSEC-2099-3", "a", events=[{"introduced": "0"}])
    assert len(osv.parse_documents(json.dumps({"vulns": [one, one]}).encode(), "q.json")) == 2
    assert len(osv.parse_documents(json.dumps([one, one, one]).encode(), "q.json")) == 3


def test_compact_form_is_type_checked() -> None:
    rec = osv.from_osv(record("PYSEC-2099-4", "a", events=[{"introduced": "0"}]), "r")
    compact = rec.to_compact()
    compact[11] = "not a list"
    with pytest.raises(RecordError):
        osv.from_compact(compact)
    with pytest.raises(RecordError):
        osv.from_compact({"id": 1})
