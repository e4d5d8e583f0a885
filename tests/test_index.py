"""The index of many BOMs, on SQLite and on a real PostgreSQL (``index_url`` runs each test on
both; the PostgreSQL run is skipped with its reason only when no server can be started)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import mlbom
from mlbom import index as ix
from mlbom.cli import main
from mlbom.reader import load
from mlbom.readmodel import subjects

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"
ROOT = Path(__file__).resolve().parent.parent
NUMPY_SHA = None


@pytest.fixture(scope="module")
def base_doc() -> dict[str, object]:
    return json.loads(mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True, name="tiny-release", gpu=False)))  # type: ignore[no-any-return]


def _comp(doc: dict[str, object], name: str) -> dict[str, object]:
    comps = doc["components"]
    assert isinstance(comps, list)
    return next(c for c in comps if c.get("name") == name)


def release(base: dict[str, object], out: Path, name: str, version: str, *, numpy: str = "2.2.3",
            weights_sha: str | None = None, unsafe: bool = False, base_model: str | None = None) -> Path:
    """A variant of the example release's BOM: another release name/version, numpy version,
    weight file hash, safety verdict and base model."""
    doc = copy.deepcopy(base)
    doc["serialNumber"] = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name + version)}"
    meta = doc["metadata"]
    assert isinstance(meta, dict)
    meta["component"]["name"], meta["component"]["version"] = name, version
    np = _comp(doc, "numpy")
    np["version"], np["purl"] = numpy, f"pkg:pypi/numpy@{numpy}"
    st = _comp(doc, "model.safetensors")
    if weights_sha:
        st["hashes"] = [{"alg": "SHA-256", "content": weights_sha}]
    if unsafe:
        for p in st["properties"]:  # type: ignore[union-attr]
            if p["name"] == "mlbom:safety:verdict":
                p["value"] = "unsafe"
    model = _comp(doc, "tiny-release-classifier")
    if base_model:
        org, _, bname = base_model.partition("/")
        model["pedigree"] = {"ancestors": [{"type": "machine-learning-model", "bom-ref": "base", "group": org,
                                            "name": bname, "purl": f"pkg:huggingface/{base_model}"}]}
    else:
        model.pop("pedigree", None)
    path = out / f"{name}-{version}.json"
    path.write_text(json.dumps(doc))
    return path


def test_compliance_questions_across_releases(index_url: str, base_doc: dict[str, object], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    swapped = "ab" * 32
    boms = [
        release(base_doc, tmp_path, "search", "1.0", numpy="1.26.4", base_model="google-bert/bert-base-uncased"),
        release(base_doc, tmp_path, "search", "1.1", numpy="2.2.3", base_model="google-bert/bert-base-uncased"),
        release(base_doc, tmp_path, "ranker", "3.0", numpy="2.1.0", weights_sha=swapped, unsafe=True,
                base_model="distilbert/distilbert-base-uncased"),
    ]
    assert main(["index", "add", *map(str, boms), "--db", index_url]) == 0
    assert capsys.readouterr().out.count("added") == 3

    def ask(*args: str) -> list[dict[str, str]]:
        assert main(["query", "--db", index_url, "--format", "json", *args]) == 0
        return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]

    # which releases contain package P in version range R
    hits = ask("--name", "numpy", "--version-spec", ">=2,<2.2")
    assert [(h["release"], h["release_version"], h["version"]) for h in hits] == [("ranker", "3.0", "2.1.0")]
    hits = ask("--purl", "pkg:pypi/numpy@*", "--version-spec", ">=2")
    assert sorted((h["release"], h["version"]) for h in hits) == [("ranker", "2.1.0"), ("search", "2.2.3")]
    # which contain a file with this SHA-256 (case does not matter)
    hits = ask("--sha256", swapped.upper())
    assert [(h["release"], h["name"], h["sha256"]) for h in hits] == [("ranker", "model.safetensors", swapped)]
    original = _comp(base_doc, "model.safetensors")["hashes"][0]["content"]  # type: ignore[index]
    assert {h["release_version"] for h in ask("--sha256", original)} == {"1.0", "1.1"}
    # which used a base model
    hits = ask("--base-model", "*bert-base-uncased", "--type", "machine-learning-model")
    assert len(hits) == 3
    hits = ask("--base-model", "pkg:huggingface/google-bert/*")
    assert {(h["release"], h["release_version"]) for h in hits} == {("search", "1.0"), ("search", "1.1")}
    # which have unsafe files
    hits = ask("--property", "mlbom:safety:verdict=unsafe")
    assert [(h["release"], h["name"], h["verdict"]) for h in hits] == [("ranker", "model.safetensors", "unsafe")]
    # findings and licences
    assert {h["name"] for h in ask("--severity", "medium")} == {"tqdm"}
    assert len(ask("--license", "apache-2.0")) == 3
    # licence inventory per release
    assert main(["query", "--db", index_url, "--licenses", "--format", "json", "--release", "search"]) == 0
    inv = json.loads(capsys.readouterr().out)
    per = {(r["release_version"], r["license"]): int(r["components"]) for r in inv}
    # the release itself (metadata.component, no licence) is one of the objects indexed (red team 12b-2)
    assert per[("1.0", "Apache-2.0")] == 1 and per[("1.1", "CC0-1.0")] == 1 and per[("1.0", "(none)")] == 12
    assert {r["release"] for r in inv} == {"search"}
    # CSV and table output
    assert main(["query", "--db", index_url, "--name", "numpy", "--format", "csv"]) == 0
    csv_out = capsys.readouterr().out.splitlines()
    assert csv_out[0].startswith("release,release_version,serial_number") and len(csv_out) == 4
    assert main(["index", "releases", "--db", index_url]) == 0
    assert capsys.readouterr().out.count("unsigned") == 3


def test_add_is_idempotent_and_refuses_a_changed_bom(index_url: str, base_doc: dict[str, object], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = release(base_doc, tmp_path, "app", "1.0")
    assert main(["index", "add", str(path), "--db", index_url]) == 0
    assert main(["index", "add", str(path), str(path), "--db", index_url]) == 0
    assert capsys.readouterr().out.count("present") == 2
    # the same BOM as XML is the same release
    xml = tmp_path / "app.xml"
    from mlbom.cyclonedx.build import to_xml

    xml.write_bytes(to_xml(json.loads(path.read_text())))
    assert main(["index", "add", str(xml), "--db", index_url]) == 0
    assert "present" in capsys.readouterr().out
    # same serial and version, different content: refused, exit 1, nothing changed
    doc = json.loads(path.read_text())
    _comp(doc, "numpy")["version"] = "9.9.9"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(doc))
    assert main(["index", "add", str(changed), "--db", index_url]) == 1
    assert "already indexed with different content" in capsys.readouterr().err
    engine = ix.open_index(index_url)
    assert [r["release_version"] for r in ix.list_releases(engine)] == ["1.0"]
    assert ix.query(engine, ix.IndexFilters(name="numpy"))[0]["version"] == "2.2.3"
    # the BOM comes back byte for byte
    assert ix.document(engine, str(doc["serialNumber"])) == path.read_bytes()
    out = tmp_path / "back.json"
    assert main(["index", "get", str(doc["serialNumber"]), "--db", index_url, "-o", str(out)]) == 0
    assert out.read_bytes() == path.read_bytes()


def test_bad_boms_are_reported_and_the_rest_added(index_url: str, base_doc: dict[str, object], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    good = release(base_doc, tmp_path, "good", "1")
    spdx = tmp_path / "spdx.json"
    spdx.write_text('{"spdxVersion": "SPDX-2.3"}')
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "xxxxxxxxxx">]>'
                    '<bom xmlns="http://cyclonedx.org/schema/bom/1.6">&a;</bom>')
    dangling = json.loads(good.read_text())
    dangling["serialNumber"] = f"urn:uuid:{uuid.uuid4()}"
    dangling["dependencies"].append({"ref": "ghost", "dependsOn": ["nothing"]})
    dpath = tmp_path / "dangling.json"
    dpath.write_text(json.dumps(dangling))
    rc = main(["index", "add", str(spdx), str(good), str(bomb), str(dpath), str(tmp_path / "missing.json"), "--db", index_url])
    assert rc == 2
    out, err = capsys.readouterr()
    assert "not a CycloneDX BOM" in err and "XML refused" in err and "missing.json" in err
    assert "'ghost' names no component" in err
    assert out.count("added") == 2
    rows = ix.list_releases(ix.open_index(index_url))
    assert sorted(r["problems"] for r in rows) == ["0", "2"]


def test_a_folder_of_boms(index_url: str, base_doc: dict[str, object], tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    dist = tmp_path / "dist"
    (dist / "nested").mkdir(parents=True)
    release(base_doc, dist, "one", "1")
    release(base_doc, dist / "nested", "two", "1")
    (dist / "README.txt").write_text("not a BOM")
    assert main(["index", "add", str(dist), "--db", index_url]) == 0
    assert capsys.readouterr().out.count("added") == 2
    (tmp_path / "empty").mkdir()
    assert main(["index", "add", str(tmp_path / "empty"), "--db", index_url]) == 0
    assert "no .json or .xml files" in capsys.readouterr().err


def test_filters_are_data_not_sql(index_url: str, base_doc: dict[str, object], tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "add", str(release(base_doc, tmp_path, "app", "1")), "--db", index_url]) == 0
    engine = ix.open_index(index_url)
    for hostile in ("x'; DROP TABLE mlbom_components; --", "' OR '1'='1", "%", "_umpy", "numpy\\", "[n]umpy'--"):
        assert ix.query(engine, ix.IndexFilters(name=hostile)) == []
        assert ix.query(engine, ix.IndexFilters(sha256=hostile)) == []
        assert ix.query(engine, ix.IndexFilters(purl=hostile, properties=(("x", hostile),))) == []
    assert main(["query", "--db", index_url, "--release", "' OR 1=1 --", "--licenses"]) == 0
    assert len(ix.query(engine, ix.IndexFilters(name="[n]umpy"))) == 1  # a real glob still works
    # property values are matched literally, metacharacters and all
    doc = json.loads(release(base_doc, tmp_path, "labelled", "1").read_text())
    _comp(doc, "numpy")["properties"] = [{"name": "x:label", "value": "[rc]_100%*"}]
    (tmp_path / "labelled.json").write_text(json.dumps(doc))
    assert main(["index", "add", str(tmp_path / "labelled.json"), "--db", index_url]) == 0
    assert [r["name"] for r in ix.query(engine, ix.IndexFilters(properties=(("x:label", "[rc]_100%*"),)))] == ["numpy"]
    assert ix.query(engine, ix.IndexFilters(properties=(("x:label", "[rc]_100%"),))) == []
    assert ix.query(engine, ix.IndexFilters(properties=(("x:label", "r"),))) == []
    assert len(ix.query(engine, ix.IndexFilters(name="*", release="app"))) == 14  # the tables are all still there
    capsys.readouterr()


def test_signature_state_is_recorded(index_url: str, base_doc: dict[str, object], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = release(base_doc, tmp_path, "signed", "1")
    assert main(["keygen", "-o", str(tmp_path / "k")]) == 0
    assert main(["keygen", "-o", str(tmp_path / "other")]) == 0
    assert main(["sign", str(path), "--key", str(tmp_path / "k.key"), "-o", str(tmp_path / "s.json")]) == 0
    assert main(["index", "add", str(path), "--db", index_url]) == 0
    # the signed copy of an indexed BOM is the same release: its signature is recorded
    assert main(["index", "add", str(tmp_path / "s.json"), "--db", index_url, "--key", str(tmp_path / "k.pub")]) == 0
    assert main(["index", "releases", "--db", index_url, "--format", "json"]) == 0
    capsys.readouterr()
    rows = ix.list_releases(ix.open_index(index_url))
    assert rows[0]["signature"] == "jsf (verified)"
    other = release(base_doc, tmp_path, "signed", "2")
    assert main(["sign", str(other), "--key", str(tmp_path / "k.key"), "-o", str(tmp_path / "s2.json")]) == 0
    assert main(["index", "add", str(tmp_path / "s2.json"), "--db", index_url, "--key", str(tmp_path / "other.pub")]) == 0
    rows = ix.list_releases(ix.open_index(index_url))
    assert [r["signature"] for r in rows] == ["jsf (verified)", "jsf (NOT verified)"]


def test_concurrent_adds_lose_nothing(index_url: str, base_doc: dict[str, object], tmp_path: Path) -> None:
    boms = [release(base_doc, tmp_path, f"rel{i}", "1") for i in range(8)]
    ix.open_index(index_url)  # nothing else to do: the processes race on the same releases
    procs = [subprocess.Popen([sys.executable, "-m", "mlbom", "index", "add", *map(str, boms[k:] + boms[:k]),
                               "--db", index_url], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [r[1] for r in results]
    outs = "".join(r[0] for r in results)
    assert outs.count("added") == 8 and outs.count("present") == 24
    engine = ix.open_index(index_url)
    assert len(ix.list_releases(engine)) == 8
    assert len(ix.query(engine, ix.IndexFilters(name="numpy"))) == 8
    assert len(ix.query(engine, ix.IndexFilters())) == 8 * 14  # 13 components and the release


def test_concurrent_first_use_of_an_empty_database(index_url: str, base_doc: dict[str, object], tmp_path: Path) -> None:
    paths = [release(base_doc, tmp_path, f"r{i}", "1") for i in range(3)]
    procs = [subprocess.Popen([sys.executable, "-m", "mlbom", "index", "add", str(p), "--db", index_url], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in paths]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert len(ix.list_releases(ix.open_index(index_url))) == 3


def test_database_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--db", "mysql://u@h/db", "--name", "x"]) == 2
    assert "SQLite or PostgreSQL" in capsys.readouterr().err
    assert main(["index", "add", "x.json", "--db", "postgresql://nobody:secret@127.0.0.1:1/none"]) == 2
    err = capsys.readouterr().err
    assert "cannot open the index postgresql+psycopg://nobody:***@127.0.0.1:1/none" in err and "secret" not in err
    (tmp_path / "notadb").write_text("hello, I am not SQLite " * 100)
    assert main(["index", "add", str(tmp_path / "x.json"), "--db", f"sqlite:///{tmp_path / 'notadb'}"]) == 2
    assert "cannot open the index" in capsys.readouterr().err
    assert main(["query"]) == 2 and main(["query", "a.json", "--db", "x.db"]) == 2
    assert main(["query", "--db", str(tmp_path / "none.db"), "--name", "x"]) == 2
    assert "no index at sqlite:///" in capsys.readouterr().err and not (tmp_path / "none.db").exists()
    assert main(["query", str(tmp_path / "a.json"), "--licenses"]) == 2


def test_loaded_index_rows_match_the_bom(index_url: str, base_doc: dict[str, object], tmp_path: Path) -> None:
    path = release(base_doc, tmp_path, "app", "1")
    engine = ix.open_index(index_url)
    ix.add(engine, load(path), raw=path.read_bytes())
    rows = ix.query(engine, ix.IndexFilters())
    # one row per object the policy gate judges: the release and its components (red team 12b-2)
    doc = load(path).doc
    assert sorted((r["type"], r["name"]) for r in rows) == sorted(
        (str(c.get("type") or where), str(c["name"])) for where, c in subjects(doc))


def test_a_long_question_does_not_block_an_add(index_url: str, base_doc: dict[str, object], tmp_path: Path) -> None:
    first, second = release(base_doc, tmp_path, "a", "1"), release(base_doc, tmp_path, "b", "1")
    engine = ix.open_index(index_url)
    ix.add(engine, load(first), raw=first.read_bytes())
    with engine.connect() as conn:  # a reader in the middle of its transaction
        conn.execute(ix.sa.select(ix.components_t.c.name)).fetchall()
        proc = subprocess.run([sys.executable, "-m", "mlbom", "index", "add", str(second), "--db", index_url],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    assert len(ix.list_releases(engine)) == 2


def test_parallel_preparation_equals_sequential(base_doc: dict[str, object], tmp_path: Path) -> None:
    paths = [str(release(base_doc, tmp_path, f"p{i}", "1")) for i in range(8)]
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    paths.insert(3, str(bad))
    one = list(ix.prepare_files(paths, workers=1))
    two = list(ix.prepare_files(paths, workers=2))
    assert one == two
    assert isinstance(one[3], str) and "not valid JSON" in one[3]
    assert all(not isinstance(p, str) and len(p.components) == 14 for i, p in enumerate(one) if i != 3)
