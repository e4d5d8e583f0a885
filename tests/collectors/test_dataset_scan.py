"""Dataset files a loader may execute are scanned like a model's (a pickled CIFAR-style batch, a
NumPy file, a YAML config with Python tags), inline and in manifest mode;
data (CSV, JSON Lines, Parquet-like binary, raw token files) is not judged and gets no verdict."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from mlbom.cli import main

EVIL = b"cos\nsystem\n(S'true'\ntR."  # never loaded: bytes for the scanner


def _npy(descr: str, shape: tuple[int, ...], data: bytes) -> bytes:
    """A NumPy 1.0 file as ``numpy.save`` writes it (header padded to 64 bytes), without numpy."""
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}".encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data


def _dataset(root: Path) -> Path:
    ds = root / "ds"
    (ds / "batches").mkdir(parents=True)
    (ds / "README.md").write_text("---\nlicense: mit\n---\n# ds\n")
    (ds / "train.csv").write_text("a,b\n1,2\n3,4\n")
    (ds / "rows.jsonl").write_text('{"x": 1}\n{"x": 2}\n')
    (ds / "train.bin").write_bytes(bytes(range(128)))  # nanoGPT-style raw tokens
    with (ds / "batches" / "data_batch_1").open("wb") as f:  # the CIFAR-10 python layout: a pickled dict
        pickle.dump({"labels": [1, 2], "data": bytes(8)}, f, protocol=2)
    (ds / "batches" / "data_batch_2").write_bytes(EVIL)  # protocol 0, as old pickles are
    (ds / "arrays.npy").write_bytes(_npy("<f4", (2,), bytes(8)))
    (ds / "hparams.yaml").write_text("a: !!python/object/apply:os.system ['true']\n")
    return ds


def _by_name(doc: dict[str, object]) -> dict[str, dict[str, str]]:
    out = {}
    for c in doc["components"]:  # type: ignore[attr-defined]
        if c.get("type") == "file":
            out[c["name"]] = {p["name"]: p["value"] for p in c.get("properties", [])}
    return out


@pytest.mark.parametrize("manifest", [False, True], ids=["inline", "manifest"])
def test_loadable_dataset_files_are_scanned(tmp_path: Path, manifest: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    ds = _dataset(tmp_path)
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "bom.json"
    args = ["-q", "generate", "--no-gpu", "--dataset", str(ds), "-o", str(out)]
    main([*args, "--max-file-components", "0"] if manifest else args)
    doc = json.loads(out.read_text())
    files = _by_name(doc)
    verdict = {n: p.get("mlbom:safety:verdict") for n, p in files.items()}
    assert verdict["batches/data_batch_2"] == "unsafe"
    assert verdict["hparams.yaml"] == "suspicious"
    text = out.read_text()
    assert "pickle.dangerous-callable" in text or "os.system" in text
    if manifest:  # only what the scan flags is named; the rest is in the manifest
        assert "batches/data_batch_1" not in files and "train.csv" not in files
    else:
        assert verdict["batches/data_batch_1"] == "safe"  # a dict of a list and bytes
        assert verdict["arrays.npy"] == "safe" and files["arrays.npy"]["mlbom:file:format"] == "numpy"
        assert files["batches/data_batch_1"]["mlbom:file:format"] == "pickle"
        for data in ("train.csv", "rows.jsonl", "train.bin", "README.md"):
            assert verdict[data] is None, data  # data: no verdict claimed, none needed


def test_pickle_heads_are_detected() -> None:
    from mlbom.formats.datafile import detect

    assert detect(pickle.dumps({"a": 1}, protocol=2)) == "pickle"
    assert detect(pickle.dumps({"a": 1}, protocol=0)) == "pickle"
    assert detect(pickle.dumps([1], protocol=1)) == "pickle"
    assert detect(EVIL) == "pickle"
    assert detect(b"a,b\n1,2\n3,4\n") == "csv"
    assert detect(b"(not a pickle) just text\n") == "text"


@pytest.mark.parametrize("folder", ["rt9c-d1-heads", "rt9c-d1-containers", "rt9b-ds-names", "rt9b-wds-shard"])
def test_red_team_9c_dataset_files_are_scanned(folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Red team 9c D1: pickles beginning with another opcode (``N0``, ``I1\\n0``, ``)0``) under data
    names, ``torch.save`` zips named ``.pth.tar``/``.bin``, an extensionless ``np.savez`` object
    array and a zlib joblib file named ``.dat`` had no verdict, and the BOM said "findings: none"."""
    src = Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "dataset-scan" / folder
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "bom.json"
    main(["-q", "generate", "--no-gpu", "--dataset", str(src), "-o", str(out)])
    files = _by_name(json.loads(out.read_text()))
    loadable = {n: p.get("mlbom:safety:verdict") for n, p in files.items() if n.lower() not in ("readme.txt", "readme.md")}
    assert loadable and set(loadable.values()) == {"unsafe"}, loadable


def test_a_yaml_file_mlbom_cannot_read_whole_keeps_its_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Red team 9b DU: a named ``.yaml`` whose scan ends ``error`` (text, then a NUL) was dropped
    with no verdict and no finding; an error is never silently dropped (only raw data picked by
    its first bytes alone is)."""
    src = Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "dataset-scan" / "rt9b-yaml-nul"
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "bom.json"
    main(["-q", "generate", "--no-gpu", "--dataset", str(src), "-o", str(out)])
    files = _by_name(json.loads(out.read_text()))
    assert files["hparams.yaml"].get("mlbom:safety:verdict") in ("error", "suspicious", "unsafe")


def test_random_binary_data_is_not_flagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Raw data whose first bytes happen to read as a tiny pickle (``N.`` + junk) or pass a 2-byte
    zlib/gzip header check gets no verdict: 3,000 seeded random files, none named in the BOM."""
    import random

    rnd = random.Random(20261201)
    ds = tmp_path / "ds"
    for i in range(3000):
        sub = ds / f"d{i // 500}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i:05d}.bin").write_bytes(rnd.randbytes(rnd.randrange(64, 4096)))
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "bom.json"
    main(["-q", "generate", "--no-gpu", "--dataset", str(ds), "-o", str(out), "--max-file-components", "0"])
    assert _by_name(json.loads(out.read_text())) == {}
