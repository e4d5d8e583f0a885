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
from tests.helpers import quiet_output

_quiet = quiet_output


@pytest.fixture(autouse=True)
def _cache(isolated_cache: Path) -> Path:
    return isolated_cache


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


# ---------------------------------------------------------------------------------------------
# 96c-2, 96c-4: a CRITICAL record affecting only bar; a BOM with foo and bar


def _audit(tmp_path: Path, vex: object, capsys: Any) -> tuple[int, str, dict[str, Any]]:
    _write(tmp_path / "db" / "g.json", {"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z",
                                        "aliases": ["CVE-2024-99999"],
                                        "database_specific": {"severity": "CRITICAL"},
                                        "affected": [{"package": {"ecosystem": "PyPI", "name": "bar"},
                                                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]})
    bom = _write(tmp_path / "bom.json", {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "bom-ref": n, "name": n, "version": "1.0", "purl": f"pkg:pypi/{n}@1.0"} for n in ("foo", "bar")]})
    vexf = _write(tmp_path / "vex.json", vex)
    out = tmp_path / "out.json"
    rc = main(["audit", str(bom), "--vuln-db", str(tmp_path / "db"), "--no-cache", "--vex", str(vexf),
               "--fail-on", "critical", "-o", str(out)])
    _, err = _quiet(capsys)
    (v,) = json.loads(out.read_text())["vulnerabilities"]
    return rc, err, v


def _openvex(**statement: object) -> dict[str, object]:
    return {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex-1", "author": "x",
            "timestamp": "2024-01-01T00:00:00Z", "version": 1,
            "statements": [{"vulnerability": {"name": "CVE-2024-99999"}, "status": "not_affected", **statement}]}


def _cdx(analysis: dict[str, object], affects: object = None) -> dict[str, object]:
    v: dict[str, object] = {"id": "CVE-2024-99999", "analysis": analysis}
    if affects is not None:
        v["affects"] = affects
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "vulnerabilities": [v]}


def _vex_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if "VEX" in line]


@pytest.mark.parametrize("products", [
    [{"identifiers": {"purl": "pkg:pypi/foo@1.0"}}],  # valid OpenVEX 0.2: a Component without @id
    {"@id": "pkg:pypi/foo@1.0"},  # an object, not a list
    [{"hashes": {"sha-256": "00"}}],  # nothing mlbom can read
    [{"@id": "pkg:pypi/foo@1.0", "subcomponents": [{"identifiers": "x"}]}],
    [],  # names no product: never "every product" (review of 96c-2)
])
def test_96c2_openvex_products_scope_the_statement_or_it_is_not_applied(tmp_path: Path, products: object,
                                                                        capsys: Any) -> None:
    rc, err, v = _audit(tmp_path, _openvex(products=products, justification="vulnerable_code_not_present"), capsys)
    assert rc == 1, err  # bar's CRITICAL flaw stays open
    assert v.get("analysis", {}).get("state") != "not_affected"
    assert len(_vex_lines(err)) == 1 and "not applied" in err, err


def test_96c2_an_openvex_identifiers_purl_is_read(tmp_path: Path, capsys: Any) -> None:
    vex = _openvex(products=[{"identifiers": {"purl": "pkg:pypi/bar@1.0"}}], justification="vulnerable_code_not_present")
    rc, err, v = _audit(tmp_path, vex, capsys)
    assert rc == 0, err  # the statement for bar applies to bar
    assert v["analysis"]["state"] == "not_affected" and v["analysis"]["justification"] == "code_not_present"


def test_96c2_a_statement_naming_no_products_still_applies_to_all(tmp_path: Path, capsys: Any) -> None:
    rc, err, v = _audit(tmp_path, _openvex(justification="vulnerable_code_not_present"), capsys)
    assert rc == 0 and v["analysis"]["state"] == "not_affected", err


@pytest.mark.parametrize("affects", [[{"ref": ""}], [{"ref": "pkg:pypi/foo@1.0"}, {}], []])
def test_96c2_a_cyclonedx_affects_entry_without_a_ref_is_not_all(tmp_path: Path, affects: object, capsys: Any) -> None:
    rc, err, v = _audit(tmp_path, _cdx({"state": "not_affected", "justification": "code_not_present"}, affects), capsys)
    assert rc == 1, err
    assert v.get("analysis", {}).get("state") != "not_affected"
    assert len(_vex_lines(err)) == 1 and "not applied" in err, err


@pytest.mark.parametrize("analysis", [
    {"state": "NOT_AFFECTED"}, {"state": "not-affected"},
    {"state": "not_affected", "justification": "vulnerable_code_not_present"},  # OpenVEX's word in CycloneDX
])
def test_96c4_a_cyclonedx_statement_mlbom_cannot_read_is_reported(tmp_path: Path, analysis: dict[str, object],
                                                                  capsys: Any) -> None:
    rc, err, v = _audit(tmp_path, _cdx(analysis), capsys)
    assert rc == 1, err
    assert v.get("analysis", {}).get("state") != "not_affected"
    assert len(_vex_lines(err)) == 1 and "cannot be read exactly" in err, err


@pytest.mark.parametrize("statement", [
    {"justification": "code_not_present"},  # CycloneDX's word in OpenVEX
    {},  # not_affected with neither a justification nor an impact_statement
])
def test_96c4_an_openvex_not_affected_without_its_justification_is_reported(tmp_path: Path,
                                                                            statement: dict[str, object],
                                                                            capsys: Any) -> None:
    rc, err, v = _audit(tmp_path, _openvex(products=[{"@id": "pkg:pypi/bar@1.0"}], **statement), capsys)
    assert rc == 1, err
    assert v.get("analysis", {}).get("state") != "not_affected"
    assert len(_vex_lines(err)) == 1 and "cannot be read exactly" in err, err


def test_96c4_an_openvex_impact_statement_is_enough(tmp_path: Path, capsys: Any) -> None:
    vex = _openvex(products=[{"@id": "pkg:pypi/bar@1.0"}], impact_statement="never called")
    rc, err, v = _audit(tmp_path, vex, capsys)
    assert rc == 0 and v["analysis"]["state"] == "not_affected", err


def test_96c4_many_unreadable_statements_are_one_line(tmp_path: Path, capsys: Any) -> None:
    from mlbom.vulns.vex import MAX_VEX_REPORT_LINES

    doc = _cdx({"state": "NOT_AFFECTED"})
    doc["vulnerabilities"] = doc["vulnerabilities"] * (MAX_VEX_REPORT_LINES + 20)  # type: ignore[operator]
    rc, err, _ = _audit(tmp_path, doc, capsys)
    assert rc == 1
    assert len(_vex_lines(err)) == 1 and f"{MAX_VEX_REPORT_LINES + 20} statements" in err, err
