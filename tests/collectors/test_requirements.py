from __future__ import annotations

from pathlib import Path

import pytest

import mlbom
from mlbom.errors import InputError
from tests.conftest import FIXTURES, assert_valid


def _gen(*files: Path) -> mlbom.Bom:
    bom = mlbom.generate(requirements=list(files), reproducible=True)
    assert_valid(mlbom.dumps(bom))
    assert_valid(mlbom.dumps(bom, "xml"))
    return bom


def _ids(bom: mlbom.Bom) -> list[str]:
    return sorted(f.id for f in bom.findings)


def test_security_findings_name_file_line_and_exposed_packages(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(
        "--index-url http://mirror.example/simple\n"
        "--extra-index-url https://internal.example/simple\n"
        "--trusted-host internal.example\n"
        "numpy==1.26.4 --hash=sha256:" + "a" * 64 + "\n"
        "torch>=2.0\n"
        "safetensors\n"
    )
    bom = _gen(req)
    by_id = {f.id: f for f in bom.findings}
    extra = by_id["requirements.extra-index-url"]
    assert (extra.line == 2 and extra.source == req.as_posix().lstrip("/")) or extra.source.endswith("requirements.txt")
    assert "Exposed: numpy, safetensors, torch" in extra.message
    assert by_id["requirements.insecure-index"].line == 1
    assert by_id["requirements.trusted-host"].line == 3
    assert by_id["requirements.unpinned"].line == 6 and "safetensors" in by_id["requirements.unpinned"].message
    assert by_id["requirements.range-pinned"].line == 5
    missing = [f for f in bom.findings if f.id == "requirements.hash-missing"]
    assert sorted(f.line or 0 for f in missing) == [5, 6]
    numpy = next(c for c in bom.components if c.name == "numpy")
    assert numpy.version == "1.26.4" and numpy.purl == "pkg:pypi/numpy@1.26.4"
    assert [h.content for h in numpy.hashes] == ["a" * 64]
    manifest = next(c for c in bom.components if c.type == "file")
    assert manifest.hashes and manifest.hashes[0].alg == "SHA-256"


def test_include_cycle_is_a_finding_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("-r b.txt\nrequests==2.32.3\n")
    (tmp_path / "b.txt").write_text("-r a.txt\nidna==3.7\n")
    bom = _gen(tmp_path / "a.txt")
    (cycle,) = [f for f in bom.findings if f.id == "requirements.include-cycle"]
    assert "a.txt -> " in cycle.message and cycle.line == 1
    assert {c.name for c in bom.components if c.type == "library"} == {"requests", "idna"}


def test_unreadable_include_marks_bom_incomplete(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("requests==2.32.3\n-c missing-constraints.txt\n")
    bom = _gen(tmp_path / "a.txt")
    assert not bom.is_complete
    (f,) = [f for f in bom.findings if f.id == "requirements.include-unreadable"]
    assert f.line == 2 and "missing-constraints.txt" in f.message
    doc = assert_valid(mlbom.dumps(bom))
    assert doc["compositions"][0]["aggregate"] == "incomplete"  # type: ignore[index]


def test_invalid_line_is_kept_as_finding(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("ok==1.0\nfoo ; python_version >>> '3'\n")
    bom = _gen(tmp_path / "r.txt")
    (f,) = [f for f in bom.findings if f.id == "requirements.invalid-line"]
    assert f.line == 2 and "python_version >>>" in f.message
    assert any(u.path.endswith("r.txt:2") for u in bom.unreadable)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        mlbom.generate(requirements=tmp_path / "absent.txt")


def test_pip_docs_examples_fixture() -> None:
    bom = _gen(FIXTURES / "requirements.pip-docs-examples.txt")
    names = {c.name.lower() for c in bom.components if c.type == "library"}
    assert {"somepackage", "someproject"} <= names


def test_whole_requirements_corpus_gives_valid_boms(corpus: Path) -> None:
    files = sorted(p for p in (corpus / "requirements").rglob("*") if p.suffix in (".txt", ".in"))
    assert len(files) >= 20
    for f in files:
        _gen(f)
