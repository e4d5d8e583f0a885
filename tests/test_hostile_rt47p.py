"""Red team 47p: hostile input through the CLI.

47p-1: the index readers (``index releases``, ``index get``, ``query --vuln/--licenses --db``) on a
damaged or foreign SQLite index, or on values mlbom did not write, ended in "internal error" with
SQLAlchemy's multi-line message; now one line, exit 2. 47p-2: SARIF messages carried BOM text's
terminal and bidi controls raw. 47p-3: ``audit`` gave a vulnerability the bom-ref a component
already had, and ``validate`` did not look at vulnerabilities' bom-refs.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main

SERIAL = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
DOC = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "serialNumber": SERIAL,
       "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "app"}},
       "components": [{"type": "library", "name": "x", "version": "1", "bom-ref": "x", "purl": "pkg:pypi/x@1"}],
       "vulnerabilities": [{"id": "CVE-2024-1", "affects": [{"ref": "x"}]}]}

READERS = [["index", "releases"], ["index", "get", SERIAL], ["query", "--vuln", "CVE-2024-1"], ["query", "--licenses"],
           ["query", "--name", "x"]]


@pytest.fixture
def index(tmp_path: Path) -> Path:
    bom = tmp_path / "v.json"
    bom.write_text(json.dumps(DOC))
    db = tmp_path / "real.db"
    assert main(["index", "add", str(bom), "--db", str(db)]) == 0
    return db


def _one_line(capsys: Any) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error" not in err[0], err
    return err[0]


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a[:2]))
def test_47p_1_a_damaged_index_is_one_line(index: Path, capsys: Any, args: list[str]) -> None:
    size = os.path.getsize(index)
    with open(index, "r+b") as f:
        f.seek(4096)
        f.write(b"\xff" * (size - 4096))
    capsys.readouterr()
    assert main([*args, "--db", str(index)]) == 2
    assert "malformed" in _one_line(capsys)


@pytest.mark.parametrize("change", ["update mlbom_releases set problems='not json'",
                                    "update mlbom_releases set document=x'00010203'",
                                    "update mlbom_vulnerabilities set affects='[[1,2]]'",
                                    "drop table mlbom_vulnerabilities"])
def test_47p_1_values_mlbom_did_not_write_are_one_line(index: Path, capsys: Any, change: str) -> None:
    con = sqlite3.connect(index)
    con.execute(change)
    con.commit()
    con.close()
    capsys.readouterr()
    codes = [main([*args, "--db", str(index)]) for args in READERS[:3]]
    assert 2 in codes, codes
    for line in capsys.readouterr().err.strip().splitlines():
        assert "internal error" not in line and "Traceback" not in line, line


def test_47p_2_sarif_messages_escape_controls(tmp_path: Path) -> None:
    evil = "ok\u202egp.exe\x1b[31m"
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "components": [{"type": "library", "name": evil, "bom-ref": evil}]}
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(doc))
    policy = tmp_path / "p.toml"
    policy.write_text('[licenses]\nunknown = "fail"\n')
    out = tmp_path / "out.sarif"
    assert main(["check", str(bom), "--policy", str(policy), "--format", "sarif", "-o", str(out)]) == 1
    sarif = json.loads(out.read_text())
    result = sarif["runs"][0]["results"][0]
    for text in (result["message"]["text"], result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]):
        assert text.isprintable() and "\\u202e" in text, text
    assert result["properties"]["component"] == evil  # the exact name, for tools that match on it


def test_47p_3_vulnerability_refs_stay_unique(tmp_path: Path, capsys: Any) -> None:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "components": [{"type": "library", "name": "x", "bom-ref": "vuln:CVE-2024-1"}],
           "vulnerabilities": [{"bom-ref": "vuln:CVE-2024-1", "id": "CVE-2024-1", "affects": [{"ref": "vuln:CVE-2024-1"}]}]}
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(doc))
    assert main(["validate", str(bom)]) == 1
    assert "is not unique" in capsys.readouterr().out + capsys.readouterr().err


def test_47p_3_audit_gives_a_vulnerability_a_ref_of_its_own(tmp_path: Path) -> None:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "serialNumber": SERIAL,
           "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "app"}},
           "components": [{"type": "library", "name": "requests", "version": "2.0.0", "bom-ref": "vuln:PYSEC-2099-1",
                           "purl": "pkg:pypi/requests@2.0.0"}],
           "dependencies": [{"ref": "app", "dependsOn": ["vuln:PYSEC-2099-1"]}]}
    bom = tmp_path / "b.json"
    bom.write_text(json.dumps(doc))
    db = tmp_path / "db"
    db.mkdir()
    (db / "PYSEC-2099-1.json").write_text(json.dumps({
        "schema_version": "1.6.0", "id": "PYSEC-2099-1", "modified": "2024-01-01T00:00:00Z", "summary": "x",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0"}]}]}]}))
    out = tmp_path / "out.json"
    assert main(["audit", str(bom), "--vuln-db", str(db), "-o", str(out)]) in (0, 1)
    got = json.loads(out.read_text())
    vrefs = [v["bom-ref"] for v in got["vulnerabilities"]]
    assert vrefs == ["vuln:PYSEC-2099-1#2"], vrefs
    assert [a["ref"] for a in got["vulnerabilities"][0]["affects"]] == ["vuln:PYSEC-2099-1"]
    assert main(["validate", str(out)]) == 0
