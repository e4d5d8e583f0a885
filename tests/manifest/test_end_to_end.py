"""Manifest mode through ``generate``, ``verify --artifacts``, ``diff`` and ``manifest``: the
BOM stays small, the manifest is the evidence, one changed file is caught and named."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

import mlbom
from mlbom import signing
from mlbom.cli import main
from mlbom.errors import InputError, UsageError
from mlbom.manifest.format import ManifestReader
from tests.conftest import FIXTURES, assert_valid


def _dataset(root: Path, n: int = 30) -> Path:
    d = root / "data"
    for i in range(n):
        (d / f"split{i % 3}").mkdir(parents=True, exist_ok=True)
        (d / f"split{i % 3}" / f"img{i:03d}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(50 + i))
    return d


def _props(c: mlbom.Component) -> dict[str, str]:
    return {p.name: p.value for p in c.properties}


def _gen(project: Path, out: Path, **options: object) -> mlbom.Bom:
    bom = mlbom.generate(project, datasets=[project / "data"], reproducible=True,
                         options={"manifest_dir": out, "no_cache": True, **options})
    assert_valid(mlbom.dumps(bom))
    return bom


def test_threshold_inline_at_the_limit_manifest_above_it_same_dataset_digest(tmp_path: Path) -> None:
    project = tmp_path / "p"
    _dataset(project, 30)
    (tmp_path / "out").mkdir()
    inline = _gen(project, tmp_path / "out", max_file_components=30)
    manifested = _gen(project, tmp_path / "out", max_file_components=29)
    data_inline = next(c for c in inline.components if c.type == "data")
    data_m = next(c for c in manifested.components if c.type == "data")
    assert sum(c.type == "file" for c in inline.components) == 30
    assert sum(c.type == "file" for c in manifested.components) == 0
    assert data_inline.hashes == data_m.hashes  # the same digest over the same files, either way
    props = _props(data_m)
    assert props["mlbom:manifest:files"] == "30" and props["mlbom:manifest:root"] == "data"
    manifest = tmp_path / "out" / props["mlbom:manifest:path"]
    assert signing_sha(manifest) == props["mlbom:manifest:sha256"]
    assert data_m.external_references[0].url == manifest.name
    data_block = json.dumps(data_m.data)
    assert "png: 30 files" in data_block  # format detection still ran on every file
    with ManifestReader(manifest) as r:
        assert len(list(r)) == 30
    always = _gen(project, tmp_path / "out", max_file_components=0, compress_manifests=True)
    assert _props(next(c for c in always.components if c.type == "data"))["mlbom:manifest:path"].endswith(".jsonl.gz")


def signing_sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_mode_needs_a_folder_and_a_sane_threshold(tmp_path: Path) -> None:
    project = tmp_path / "p"
    _dataset(project, 3)
    with pytest.raises(UsageError, match="no folder to write its manifest"):
        mlbom.generate(project, datasets=[project / "data"], options={"max_file_components": 0, "no_cache": True})
    with pytest.raises(UsageError, match="must be 0 or more"):
        mlbom.generate(project, datasets=[project / "data"], options={"max_file_components": -1})


def test_model_manifest_mode_still_scans_every_file_and_names_the_unsafe_one(tmp_path: Path) -> None:
    model = tmp_path / "p" / "model"
    model.mkdir(parents=True)
    for i in range(20):
        (model / f"tok{i:02d}.txt").write_text(f"token {i}")
    shutil.copy(FIXTURES / "pickles" / "malicious2_v4.pkl", model / "zz_evil.pkl")
    (tmp_path / "out").mkdir()
    bom = mlbom.generate(tmp_path / "p", models=[model], reproducible=True,
                         options={"manifest_dir": tmp_path / "out", "max_file_components": 5, "no_cache": True})
    assert_valid(mlbom.dumps(bom))
    files = [c for c in bom.components if c.type == "file"]
    assert [c.name for c in files] == ["zz_evil.pkl"]
    assert _props(files[0])["mlbom:safety:verdict"] == "unsafe"
    m = next(c for c in bom.components if c.type == "machine-learning-model")
    assert _props(m)["mlbom:safety:verdict"] == "unsafe" and _props(m)["mlbom:manifest:files"] == "21"
    assert any(f.subject == files[0].bom_ref and f.severity in ("high", "critical") for f in bom.findings)


@pytest.fixture
def keys(tmp_path: Path) -> tuple[signing.PrivateKey, Path]:
    key = signing.generate_key("es256")
    pub = tmp_path / "k.pub"
    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, pub


def _cli_bom(project: Path, out: Path, key: signing.PrivateKey) -> Path:
    out.mkdir()
    assert main(["generate", str(project), "--dataset", str(project / "data"), "--max-file-components", "10",
                 "--no-cache", "--reproducible", "-o", str(out / "bom.json")]) == 0
    (out / "signed.json").write_bytes(signing.sign((out / "bom.json").read_bytes(), key))
    return out / "signed.json"


def test_verify_and_diff_through_the_manifest(tmp_path: Path, keys: tuple[signing.PrivateKey, Path],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    key, pub = keys
    project = tmp_path / "p"
    _dataset(project, 30)
    signed = _cli_bom(project, tmp_path / "v1", key)
    assert len((tmp_path / "v1" / "bom.json").read_bytes()) < 10_000
    capsys.readouterr()
    assert main(["verify", str(signed), "--key", str(pub), "--artifacts", str(project)]) == 0
    assert "30 listed, 30 verified" in capsys.readouterr().out

    (project / "data" / "split1" / "img001.png").write_bytes(b"swapped")
    assert main(["verify", str(signed), "--key", str(pub), "--artifacts", str(project)]) == 1
    assert "artifact modified: data/split1/img001.png" in capsys.readouterr().err

    (project / "data" / "split2" / "new.png").write_bytes(b"new")
    os.unlink(project / "data" / "split0" / "img000.png")
    _cli_bom(project, tmp_path / "v2", key)
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "v1" / "bom.json"), str(tmp_path / "v2" / "bom.json"), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert "file:dataset:data#split1/img001.png" in out and "hash-drift" in out
    assert "file:dataset:data#split2/new.png" in out and "file:dataset:data#split0/img000.png" in out

    assert main(["manifest", "diff", *(str(next((tmp_path / v).glob("*.jsonl"))) for v in ("v1", "v2"))]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == ["added    split2/new.png", "removed  split0/img000.png", "changed  split1/img001.png"]


def test_a_manifest_that_does_not_match_the_bom_fails_verification(tmp_path: Path, keys: tuple[signing.PrivateKey, Path],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    key, pub = keys
    project = tmp_path / "p"
    _dataset(project, 30)
    signed = _cli_bom(project, tmp_path / "v1", key)
    manifest = next((tmp_path / "v1").glob("*.jsonl"))
    # the attacker rewrites manifest and folder together: the signed BOM's manifest digest catches it
    (project / "data" / "split1" / "img001.png").write_bytes(b"swapped")
    from mlbom.manifest.build import build_manifest

    build_manifest(project / "data", manifest)
    capsys.readouterr()
    assert main(["verify", str(signed), "--key", str(pub), "--artifacts", str(project)]) == 1
    err = capsys.readouterr().err
    assert "is not the" in err and "modified or replaced" in err
    manifest.unlink()
    assert main(["verify", str(signed), "--key", str(pub), "--artifacts", str(project)]) == 1
    assert "manifest not found beside the BOM" in capsys.readouterr().err


def test_sharded_cli_and_dataset_manifest_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "p"
    data = _dataset(project, 40)
    parts = []
    for i in (1, 2, 3):
        parts.append(str(tmp_path / f"part-{i}.jsonl"))
        assert main(["manifest", str(data), "--shard", f"{i}/3", "--no-cache", "-o", parts[-1]]) == 0
    assert main(["manifest", "merge", *parts, "-o", str(tmp_path / "merged.jsonl")]) == 0
    assert main(["manifest", str(data), "--no-cache", "-o", str(tmp_path / "one.jsonl")]) == 0
    assert (tmp_path / "merged.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()
    assert main(["manifest", "merge", parts[0], "-o", str(tmp_path / "x.jsonl")]) == 2
    assert "missing" in capsys.readouterr().err

    out = tmp_path / "out"
    out.mkdir()
    bom = mlbom.generate(project, datasets=[tmp_path / "merged.jsonl"], reproducible=True, options={"manifest_dir": out})
    assert_valid(mlbom.dumps(bom))
    inline = mlbom.generate(project, datasets=[data], reproducible=True)
    d1 = next(c for c in bom.components if c.type == "data")
    d2 = next(c for c in inline.components if c.type == "data")
    assert d1.hashes == d2.hashes
    assert _props(d1)["mlbom:manifest:sampled"] == "32/32 matched"
    assert (out / "merged.jsonl").read_bytes() == (tmp_path / "merged.jsonl").read_bytes()

    (data / "split0" / "img000.png").write_bytes(b"changed")
    for f in data.glob("split1/*.png"):
        f.write_bytes(b"changed")
    bom = mlbom.generate(project, datasets=[tmp_path / "merged.jsonl"], reproducible=True, options={"manifest_dir": out})
    assert any(f.id == "dataset.manifest-mismatch" for f in bom.findings)
    with pytest.raises(InputError, match="merge the shards first"):
        mlbom.generate(project, datasets=[Path(parts[0])], options={"manifest_dir": out})


def test_a_manifest_written_inside_the_dataset_is_not_hashed_while_written(tmp_path: Path) -> None:
    project = tmp_path / "p"
    data = _dataset(project, 20)
    bom = _gen(project, data, max_file_components=5)  # manifest_dir is the dataset folder itself
    d = next(c for c in bom.components if c.type == "data")
    assert _props(d)["mlbom:manifest:files"] == "20"
    assert not bom.findings


@pytest.mark.parametrize("croissant", [False, True])
def test_a_warm_cached_generate_gives_the_cold_bom_and_manifest(tmp_path: Path, croissant: bool) -> None:
    """Through the hash cache's folder records (issue #18 item 3): the BOM and the manifest of a
    re-run equal those of a run without the cache, also after a change, an addition, a removal
    and renames; with a Croissant file the files are taken one by one (its check needs each path)."""
    project = tmp_path / "p"
    data = _dataset(project, 60)
    (data / "split0" / "notes.csv").write_text("a,b\n1,2\n")  # another format, counted from the record
    if croissant:
        (data / "croissant.json").write_text(json.dumps({
            "@context": {"@vocab": "https://schema.org/", "cr": "http://mlcommons.org/croissant/"}, "@type": "sc:Dataset",
            "name": "demo", "license": "cc-by-4.0", "distribution": [
                {"@type": "cr:FileSet", "@id": "imgs", "includes": "split*/*.png", "encodingFormat": "image/png"}]}))
    cache = {"no_cache": False, "cache_dir": tmp_path / "cache", "max_file_components": 10}
    for step in ("cold", "warm", "changed"):
        if step == "changed":
            (data / "split0" / "img000.png").write_bytes(b"\x89PNG\r\n\x1a\nchanged")
            (data / "split1" / "img001.png").unlink()
            (data / "split2" / "img002.png").rename(data / "split2" / "img902.png")
            (data / "split1").rename(data / "split3")
            (data / "split3" / "new.csv").write_text("x\n")
        outs = {}
        for name, options in (("cached", cache), ("plain", {"max_file_components": 10})):
            (tmp_path / name).mkdir(exist_ok=True)
            bom = _gen(project, tmp_path / name, **options)
            (c,) = [c for c in bom.components if c.type == "data"]
            outs[name] = (mlbom.dumps(bom), (tmp_path / name / _props(c)["mlbom:manifest:path"]).read_bytes())
        assert outs["cached"] == outs["plain"], step
    assert b"csv: 1 files" in outs["cached"][0] and b"png: 59 files" in outs["cached"][0]
