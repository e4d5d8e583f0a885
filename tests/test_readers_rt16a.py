"""Red team 16a: the readers (diff, report, query, the index) and the policy gate disagreed on
which vulnerabilities a BOM states (16a-3), how severe they are (16a-4) and whose details each
entry has (16a-8); the index kept one value of a multi-valued property (16a-5); the licence rules
judged a fixed list of component types (16a-6). Each BOM is built here, with its control."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main

_META = {"tools": {"components": [{"type": "application", "name": "mlbom"}]},
         "component": {"type": "application", "bom-ref": "release:m", "name": "m"}}
_TORCH = {"type": "library", "bom-ref": "pkg:pypi/torch@2.0.0", "name": "torch", "version": "2.0.0",
          "purl": "pkg:pypi/torch@2.0.0", "licenses": [{"license": {"id": "BSD-3-Clause"}}]}
_NUMPY = {"type": "library", "bom-ref": "pkg:pypi/numpy@1.26.0", "name": "numpy", "version": "1.26.0",
          "purl": "pkg:pypi/numpy@1.26.0", "licenses": [{"license": {"id": "BSD-3-Clause"}}]}


def _bom(**parts: object) -> dict[str, object]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "serialNumber": "urn:uuid:aabcc8ec-348a-413f-bafe-28595be29e4d", "metadata": copy.deepcopy(_META), **parts}


def _write(tmp_path: Path, name: str, doc: dict[str, object]) -> str:
    (tmp_path / name).write_text(json.dumps(doc))
    return str(tmp_path / name)


def _readers(tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: dict[str, object], vuln: str) -> dict[str, Any]:
    """What every reader says of ``doc``'s vulnerabilities: check, diff, report, query, the index."""
    old = _write(tmp_path, "old.json", {**doc, "vulnerabilities": []})
    new = _write(tmp_path, "new.json", doc)
    (tmp_path / "p.toml").write_text('[vulnerabilities]\nfail-on = "critical"\n')
    capsys.readouterr()
    out: dict[str, Any] = {"check": main(["-q", "check", new, "--policy", str(tmp_path / "p.toml")])}
    out["diff"] = main(["diff", old, new, "--fail-on", "new-vulnerability:high"])
    out["report"] = _vuln_table(new)
    capsys.readouterr()
    assert main(["query", new, "--vuln", vuln, "--format", "json"]) == 0
    out["query"] = json.loads(capsys.readouterr().out)
    db = f"sqlite:///{tmp_path / 'idx.db'}"
    (tmp_path / "idx.db").unlink(missing_ok=True)
    assert main(["index", "add", new, "--db", db]) == 0
    capsys.readouterr()
    assert main(["query", "--db", db, "--vuln", vuln, "--format", "json"]) == 0
    out["index"] = json.loads(capsys.readouterr().out)
    return out


def _vuln_table(path: str) -> list[list[str]]:
    """The rows of the report's "Known vulnerabilities" table."""
    from mlbom.reader import loads
    from mlbom.report import build
    from mlbom.report.model import Table

    report = build(loads(Path(path).read_bytes(), path))
    sec = next(s for s in report.sections if s.title == "Known vulnerabilities")
    return [list(r) for b in sec.blocks if isinstance(b, Table) for r in b.rows]


@pytest.mark.parametrize("with_id", [True, False])
def test_a_vulnerability_without_id_is_read_by_every_reader(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            with_id: bool) -> None:
    """16a-3: ``id`` is optional; a vulnerability named only by a reference CVE is the same
    vulnerability for the gate, diff, report, query and the index (control: with its id)."""
    vuln: dict[str, object] = {
        "bom-ref": "vuln-1", "references": [{"id": "CVE-2025-32434", "source": {"name": "NVD"}}],
        "ratings": [{"severity": "critical", "score": 9.8, "method": "CVSSv31"}],
        "affects": [{"ref": "pkg:pypi/torch@2.0.0"}]}
    if with_id:
        vuln["id"] = "CVE-2025-32434"
    out = _readers(tmp_path, capsys, _bom(components=[_TORCH], vulnerabilities=[vuln]), "CVE-2025-32434")
    assert out["check"] == 1 and out["diff"] == 1
    assert [r[:3] for r in out["report"]] == [["CVE-2025-32434", "critical", "in_triage"]]
    for reader in ("query", "index"):
        rows = out[reader]
        assert isinstance(rows, list) and [(r["vulnerability"], r["severity"]) for r in rows] == [
            ("CVE-2025-32434", "critical")], reader


def test_a_vulnerability_with_no_name_at_all_is_kept(tmp_path: Path) -> None:
    """16a-3: no id, no reference, no bom-ref: a stable key derived from the entry, never dropped."""
    from mlbom.readmodel import vulnerabilities

    v = {"ratings": [{"severity": "high"}], "affects": [{"ref": "pkg:pypi/torch@2.0.0"}]}
    doc = _bom(components=[_TORCH], vulnerabilities=[v, {**v, "description": "another"}])
    got = vulnerabilities(doc)
    assert len(got) == 2 and all(x.id.startswith("(no id) sha256:") for x in got) and got[0].id != got[1].id
    assert [x.id for x in vulnerabilities(json.loads(json.dumps(doc)))] == [x.id for x in got]


@pytest.mark.parametrize("word", ["medium", "MEDIUM", None])
def test_a_cvss_score_rates_a_vulnerability_for_every_reader(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             word: str | None) -> None:
    """16a-4: a GHSA ``medium`` and an NVD CVSS 9.8 with no word: critical for the gate and
    every reader alike (the worst of words and scores)."""
    ratings: list[dict[str, object]] = [{"score": 9.8, "method": "CVSSv31", "source": {"name": "NVD"}}]
    if word:
        ratings.insert(0, {"severity": word, "source": {"name": "GHSA"}})
    vuln = {"id": "CVE-2025-32434", "ratings": ratings, "affects": [{"ref": "pkg:pypi/torch@2.0.0"}]}
    out = _readers(tmp_path, capsys, _bom(components=[_TORCH], vulnerabilities=[vuln]), "CVE-2025-32434")
    # "MEDIUM" is not a CycloneDX severity: `check` validates first and cannot evaluate it (24s-3)
    assert out["check"] == (2 if word == "MEDIUM" else 1) and out["diff"] == 1
    assert [r[1] for r in out["report"]] == ["critical"]
    for reader in ("query", "index"):
        rows = out[reader]
        assert isinstance(rows, list) and [r["severity"] for r in rows] == ["critical"], reader


def test_a_word_alone_still_rates_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """16a-4 control: a ``medium`` word and no score stays medium (diff passes ``high``)."""
    vuln = {"id": "CVE-2025-1", "ratings": [{"severity": "medium"}], "affects": [{"ref": "pkg:pypi/torch@2.0.0"}]}
    out = _readers(tmp_path, capsys, _bom(components=[_TORCH], vulnerabilities=[vuln]), "CVE-2025-1")
    assert out["check"] == 0 and out["diff"] == 0
    index = out["index"]
    assert [r[1] for r in out["report"]] == ["medium"]
    assert isinstance(index, list) and [r["severity"] for r in index] == ["medium"]


def test_entries_sharing_an_id_keep_their_own_details(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """16a-8: two entries of one id (one per affected package): each row shows its own score,
    justification, description and recommendation — never the first entry's."""
    closed = {"id": "CVE-2099-0001", "bom-ref": "v-numpy", "description": "harmless in numpy",
              "recommendation": "nothing to do", "ratings": [{"severity": "low", "score": 3.1, "method": "CVSSv31"}],
              "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
              "affects": [{"ref": "pkg:pypi/numpy@1.26.0"}]}
    open_ = {"id": "CVE-2099-0001", "bom-ref": "v-torch", "description": "remote code execution in torch.load",
             "recommendation": "upgrade to 2.6.0", "ratings": [{"severity": "critical", "score": 9.8, "method": "CVSSv31"}],
             "affects": [{"ref": "pkg:pypi/torch@2.0.0"}]}
    path = _write(tmp_path, "b.json", _bom(components=[_NUMPY, _TORCH], vulnerabilities=[closed, open_]))
    rows = _vuln_table(path)
    capsys.readouterr()
    assert sorted(rows) == sorted([["CVE-2099-0001", "critical", "in_triage", "torch 2.0.0", "9.8", "-"],
                                   ["CVE-2099-0001", "low", "not_affected", "numpy 1.26.0", "3.1", "code_not_reachable"]])
    assert main(["report", path, "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert "remote code execution in torch.load" in text and "upgrade to 2.6.0" in text
    assert "nothing to do" not in text  # the closed entry needs no attention


@pytest.mark.parametrize("formats", [["pickle"], ["json", "pickle"], ["pickle", "json"]])
def test_the_index_matches_every_value_of_a_property(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     formats: list[str]) -> None:
    """16a-5: a file stating ``mlbom:file:format`` twice (``json`` then ``pickle``): the index
    finds it by either value, as ``query BOM --property`` does (control: one value)."""
    props = [{"name": "mlbom:file:format", "value": f} for f in formats]
    props.append({"name": "mlbom:safety:verdict", "value": "unsafe"})
    f = {"type": "file", "bom-ref": "model:m#model.pkl", "name": "model.pkl", "properties": props}
    path = _write(tmp_path, "b.json", _bom(components=[f]))
    db = f"sqlite:///{tmp_path / 'idx.db'}"
    assert main(["index", "add", path, "--db", db]) == 0
    for value in (*formats, "numpy"):
        found = []
        for source in ([path], ["--db", db]):
            capsys.readouterr()
            assert main(["query", *source, "--property", f"mlbom:file:format={value}", "--format", "json"]) == 0
            found.append([r["name"] for r in json.loads(capsys.readouterr().out)])
        assert found == [["model.pkl"], ["model.pkl"]] if value in formats else [[], []], value


_AGPL = [{"license": {"id": "AGPL-3.0-only"}}]


@pytest.mark.parametrize("where", ["library", "application", "container", "firmware", "operating-system", "platform",
                                   "device-driver", "file", "release"])
def test_a_denied_licence_fails_on_any_object(tmp_path: Path, where: str) -> None:
    """16a-6: ``deny`` judges every object's declared licence, whatever its type, the release
    (``metadata.component``) included (control: a library; and the same BOM without it passes)."""
    model = {"type": "machine-learning-model", "bom-ref": "model:m", "name": "m",
             "licenses": [{"license": {"id": "MIT"}}]}
    clean = _bom(components=[model])
    doc = copy.deepcopy(clean)
    if where == "release":
        doc["metadata"]["component"]["licenses"] = _AGPL  # type: ignore[index]
    else:
        doc["components"].append({"type": where, "bom-ref": "x", "name": "x", "version": "1.0",  # type: ignore[attr-defined]
                                  "licenses": _AGPL})
    (tmp_path / "p.toml").write_text('[licenses]\ndeny = ["AGPL-3.0-only"]\nunknown = "ignore"\n')
    policy = ["--policy", str(tmp_path / "p.toml")]
    assert main(["-q", "check", _write(tmp_path, "clean.json", clean), *policy]) == 0
    assert main(["-q", "check", _write(tmp_path, "b.json", doc), *policy]) == 1


@pytest.mark.parametrize(("where", "fails"), [("application", True), ("container", True), ("library", True),
                                              ("file", False), ("release", False)])
def test_a_missing_licence(tmp_path: Path, where: str, fails: bool) -> None:
    """16a-6: a shipped component of any type must state a licence (``unknown = "fail"``); a file
    (covered by its component) and the release (the publisher's own) need not."""
    model = {"type": "machine-learning-model", "bom-ref": "model:m", "name": "m",
             "licenses": [{"license": {"id": "MIT"}}]}
    comps: list[dict[str, object]] = [model]
    if where != "release":
        comps.append({"type": where, "bom-ref": "x", "name": "x", "version": "1.0"})
    (tmp_path / "p.toml").write_text('[licenses]\nallow = ["MIT"]\n')
    rc = main(["-q", "check", _write(tmp_path, "b.json", _bom(components=comps)), "--policy", str(tmp_path / "p.toml")])
    assert rc == (1 if fails else 0)


def test_an_older_index_rebuilds_its_vulnerability_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """16a-3/16a-4: an index written by an mlbom that dropped id-less vulnerabilities (layout "2")
    rebuilds its rows from the stored BOMs the next time it is written."""
    import sqlite3

    vuln = {"references": [{"id": "CVE-2025-32434"}], "ratings": [{"severity": "medium"}, {"score": 9.8, "method": "CVSSv31"}],
            "affects": [{"ref": "pkg:pypi/torch@2.0.0"}]}
    path = _write(tmp_path, "b.json", _bom(components=[_TORCH], vulnerabilities=[vuln]))
    db = tmp_path / "idx.db"
    assert main(["index", "add", path, "--db", f"sqlite:///{db}"]) == 0
    with sqlite3.connect(db) as conn:  # what the older mlbom left: no row, layout "2"
        conn.execute("DELETE FROM mlbom_vulnerabilities")
        conn.execute("UPDATE mlbom_meta SET value = '2' WHERE key = 'vulnerabilities_indexed'")
    assert main(["index", "add", path, "--db", f"sqlite:///{db}"]) == 0
    capsys.readouterr()
    assert main(["query", "--db", f"sqlite:///{db}", "--vuln", "CVE-2025-32434", "--format", "json"]) == 0
    assert [r["severity"] for r in json.loads(capsys.readouterr().out)] == ["critical"]


def test_the_report_lists_the_release_licence(tmp_path: Path) -> None:
    """16a-6: the report's licence inventory shows the release's own licence (the gate judges it)."""
    from mlbom.reader import loads
    from mlbom.report import build
    from mlbom.report.model import Table

    doc = _bom(components=[_TORCH])
    doc["metadata"]["component"]["licenses"] = _AGPL  # type: ignore[index]
    path = _write(tmp_path, "b.json", doc)
    sec = next(s for s in build(loads(Path(path).read_bytes(), path)).sections if s.title.startswith("Licences"))
    rows = {r[0]: r[3] for b in sec.blocks if isinstance(b, Table) for r in b.rows}
    assert rows == {"AGPL-3.0-only": "m", "BSD-3-Clause": "torch"}


@pytest.mark.parametrize(("rating", "severity"), [
    ({"score": 9.8}, "critical"),  # no method: a 0-10 number is read on the CVSS scale
    ({"score": 9.8, "method": "other"}, "critical"),
    ({"score": 7, "method": "OWASP"}, "high"),  # OWASP's levels, not CVSS's
    ({"score": 9, "method": "SSVC"}, "low"),  # a method with no number: the word alone
    ({"score": 42, "method": "other"}, "low"),  # outside any scale it could be read on
])
def test_a_score_is_read_by_its_method_for_every_reader(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        rating: dict[str, object], severity: str) -> None:
    """Red team 18d (note): a ``low`` word next to a 9.8 whose rating names no method read as low
    everywhere (only ``CVSS*`` scores counted). Now a methodless score counts on the CVSS scale,
    an OWASP score by OWASP's levels — for the gate and every reader alike."""
    vuln = {"id": "CVE-2099-7", "ratings": [{"severity": "low"}, rating], "affects": [{"ref": "pkg:pypi/torch@2.0.0"}]}
    out = _readers(tmp_path, capsys, _bom(components=[_TORCH], vulnerabilities=[vuln]), "CVE-2099-7")
    assert [r[1] for r in out["report"]] == [severity]
    assert out["check"] == (severity == "critical") and out["diff"] == (severity in ("critical", "high"))
    for reader in ("query", "index"):
        rows = out[reader]
        assert isinstance(rows, list) and [r["severity"] for r in rows] == [severity], reader
