from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlbom
from mlbom.collectors import datasets as ds_mod
from mlbom.errors import InputError
from tests.conftest import assert_valid

CTX = {"@vocab": "https://schema.org/", "cr": "http://mlcommons.org/croissant/", "dct": "http://purl.org/dc/terms/"}


def _croissant(root: Path, distribution: list[dict[str, object]], **extra: object) -> Path:
    doc = {"@context": CTX, "@type": "sc:Dataset", "name": "demo", "license": "cc-by-4.0",
           "conformsTo": "http://mlcommons.org/croissant/1.1", "distribution": distribution} | extra
    p = root / "croissant.json"
    p.write_text(json.dumps(doc))
    return p


def _gen(**kw: object) -> mlbom.Bom:
    bom = mlbom.generate(reproducible=True, **kw)  # type: ignore[arg-type]
    assert_valid(mlbom.dumps(bom))
    assert_valid(mlbom.dumps(bom, "xml"))
    return bom


def _ids(bom: mlbom.Bom) -> list[str]:
    return sorted(f.id for f in bom.findings)


def test_croissant_dataset_with_verified_checksum(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("a,b\n1,2\n3,4\n")
    sha = hashlib.sha256((tmp_path / "train.csv").read_bytes()).hexdigest()
    _croissant(tmp_path, [{"@type": "cr:FileObject", "@id": "train", "contentUrl": "train.csv", "sha256": sha,
                           "encodingFormat": "text/csv"}])
    bom = _gen(datasets=tmp_path)
    (data,) = [c for c in bom.components if c.type == "data"]
    assert data.name == "demo" and data.licenses[0].value == "CC-BY-4.0"
    assert data.data[0]["type"] == "dataset" and data.data[0]["name"] == "demo"
    f = next(c for c in bom.components if c.type == "file" and c.name == "train.csv")
    assert sorted(c.name for c in bom.components if c.type == "file") == ["croissant.json", "train.csv"]
    assert f.hashes[0].content == sha and ("mlbom:file:format", "csv") in [(p.name, p.value) for p in f.properties]
    assert f.bom_ref in next(r for r in bom.relations if r.ref == data.bom_ref).depends_on
    assert _ids(bom) == []


def test_tampered_missing_and_unlisted_files(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("a,b\n1,2\n")
    (tmp_path / "extra.bin").write_bytes(b"\0\1")
    _croissant(tmp_path, [
        {"@type": "cr:FileObject", "@id": "train", "contentUrl": "train.csv", "sha256": "0" * 64},
        {"@type": "cr:FileObject", "@id": "test", "contentUrl": "test.csv", "md5": "0" * 32},
    ])
    bom = _gen(datasets=tmp_path)
    by_id = {f.id: f for f in bom.findings}
    assert by_id["dataset.checksum-mismatch"].severity == "high"
    assert "train.csv" in by_id["dataset.checksum-mismatch"].message
    assert "test.csv is declared but not present" in by_id["dataset.file-missing"].message
    assert "extra.bin" in by_id["dataset.unlisted-file"].message


@pytest.mark.parametrize(("doc_change", "finding"), [
    ({"@context": {"cr": "http://example.org/not-croissant/"}}, "croissant.context"),
    ({"conformsTo": "http://mlcommons.org/croissant/9.9"}, "croissant.version"),
    ({"@type": "sc:WRONG_TYPE"}, "croissant.type"),
])
def test_broken_manifest_headers_are_findings(tmp_path: Path, doc_change: dict[str, object], finding: str) -> None:
    p = _croissant(tmp_path, [])
    doc = json.loads(p.read_text()) | doc_change
    p.write_text(json.dumps(doc))
    assert finding in _ids(_gen(datasets=p))


def test_cycles_and_escapes(tmp_path: Path) -> None:
    (tmp_path / "x.parquet").write_bytes(b"PAR1....PAR1")
    _croissant(tmp_path, [
        {"@type": "cr:FileSet", "@id": "a", "includes": "*.parquet", "containedIn": {"@id": "b"}},
        {"@type": "cr:FileSet", "@id": "b", "includes": "../../etc/*", "containedIn": {"@id": "a"}},
        {"@type": "cr:FileObject", "@id": "c", "contentUrl": "../outside.csv", "sha256": "0" * 64},
    ])
    bom = _gen(datasets=tmp_path)
    ids = _ids(bom)
    assert ids.count("croissant.containedin-cycle") == 1
    assert "dataset.glob-escape" in ids and "dataset.path-escape" in ids
    files = [c.name for c in bom.components if c.type == "file"]
    assert files == ["croissant.json", "x.parquet"]


def test_oversized_manifest_and_malformed_card(tmp_path: Path) -> None:
    big = tmp_path / "big" / "croissant.json"
    big.parent.mkdir()
    with big.open("wb") as fh:
        fh.write(b'{"@context": {"cr": "http://mlcommons.org/croissant/"}, "name": "x", "pad": "')
        fh.truncate(200 << 20)  # sparse: a 200 MB JSON-LD file
    with pytest.raises(InputError, match="larger than the 64 MiB"):
        mlbom.generate(datasets=big)
    card = tmp_path / "card" / "README.md"
    card.parent.mkdir()
    card.write_text("---\nlicense: [oops\n---\n# Data\n")
    bom = _gen(datasets=card.parent)
    assert "dataset.card-malformed" in _ids(bom)


def test_file_vanishing_during_scan_is_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "b.csv").write_text("x\n2\n")
    real = ds_mod.sha256_files

    def vanish(paths):  # type: ignore[no-untyped-def]
        paths = list(paths)
        paths[0].unlink()
        return real(paths)

    monkeypatch.setattr(ds_mod, "sha256_files", vanish)
    bom = _gen(datasets=tmp_path)
    assert any(f.id == "dataset.file-unreadable" and "a.csv" in f.message for f in bom.findings)
    assert {c.name for c in bom.components if c.type == "file"} == {"a.csv", "b.csv"}


def test_model_links_to_dataset_or_marks_it_not_inspected(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "README.md").write_text("---\nlicense: mit\ndatasets:\n- org/demo\n- org/elsewhere\n---\n# m\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "t.csv").write_text("a\n1\n")
    _croissant(data, [{"@type": "cr:FileObject", "@id": "t", "contentUrl": "t.csv"}])
    bom = _gen(models=model, datasets=data)
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert m.model_card is not None
    refs = m.model_card["modelParameters"]["datasets"]  # type: ignore[index,call-overload]
    demo = next(c for c in bom.components if c.type == "data" and c.name == "demo")
    named = next(c for c in bom.components if c.type == "data" and c.name == "org/elsewhere")
    assert refs == [{"ref": demo.bom_ref}, {"ref": named.bom_ref}]
    assert ("mlbom:dataset:inspected", "false") in [(p.name, p.value) for p in named.properties]


def test_hf_dataset_card_fields(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(
        "---\nlicense: cc-by-sa-4.0\npretty_name: Demo QA\nlanguage: [en]\ntask_categories: [question-answering]\n"
        "source_datasets: [extended|wikipedia]\nconfigs:\n- config_name: default\n  data_files: data/*.parquet\n"
        "dataset_info:\n  features:\n  - {name: question, dtype: string}\n  splits:\n"
        "  - {name: train, num_examples: 10, num_bytes: 1000}\n---\n# Demo\n\n"
        "## Personal and Sensitive Information\nNames of public figures appear.\n\n## Citation Information\n@misc{x}\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.parquet").write_bytes(b"PAR1" + b"\0" * 8 + b"PAR1")
    bom = _gen(datasets=tmp_path)
    (d,) = [c for c in bom.components if c.type == "data"]
    block = d.data[0]
    assert block["name"] == "Demo QA" and block["sensitiveData"] == ["Names of public figures appear."]
    props = {(p["name"], p["value"]) for p in block["contents"]["properties"]}  # type: ignore[index,union-attr]
    assert ("language", "en") in props and ("split", "default/train: 10 examples, 1000 bytes") in props
    assert ("feature", "question: string") in props and ("citation", "@misc{x}") in props
    assert d.ancestors[0].name == "wikipedia"
    assert d.licenses[0].value == "CC-BY-SA-4.0"


def test_dataset_corpus_gives_valid_boms(corpus: Path) -> None:
    files = sorted((corpus / "croissant").rglob("*.json")) + sorted((corpus / "dataset-cards").glob("*.md"))
    assert len(files) >= 20
    for f in files:
        if f.name.endswith("dataset_infos.json"):
            continue
        _gen(datasets=f)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["..", ".", "a", "b", "*", "**", "/", "c.csv", "x*"]), min_size=1, max_size=6))
def test_globs_never_escape_the_dataset_root(parts: list[str]) -> None:
    pattern = "/".join(parts)
    inside = ds_mod._inside(Path("/r"), pattern)
    resolved = Path("/r").joinpath(pattern)
    import os.path

    norm = os.path.normpath(resolved.as_posix())
    if inside:
        assert norm == "/r" or norm.startswith("/r/"), pattern


def test_a_glob_too_long_is_not_applied(tmp_path: Path) -> None:
    """Red team 51p-4: compiling a glob costs time in its length (24 FileSets of "*?" × 20,000 took 19 s);
    a glob over MAX_GLOB_CHARS is a finding and is not applied, the short ones still are."""
    import time

    (tmp_path / "x.csv").write_text("a\n1\n")
    sets = [{"@type": "cr:FileSet", "@id": f"s{i}", "includes": "*?" * 20_000 + f"{i}.csv"} for i in range(24)]
    sets.append({"@type": "cr:FileSet", "@id": "ok", "includes": "*.csv"})
    _croissant(tmp_path, sets)
    start = time.process_time()
    bom = _gen(datasets=tmp_path)
    assert time.process_time() - start < 10.0
    ids = _ids(bom)
    assert ids.count("dataset.glob-too-long") == 24 and "dataset.undeclared-file" not in ids, ids
