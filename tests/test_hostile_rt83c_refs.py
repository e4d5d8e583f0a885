"""Red team 83c (bom-ref identity): the input contract through the CLI (exit 0/1/2, never
"internal error", nothing good lost).

83c-1: a folder named ``m#modelcard`` / ``d#data`` / ``m#config.json`` made a ref equal to one of
another model's or dataset's own parts (``REF#part``): a duplicate bom-ref (internal error) or a
model silently merged into another model's ``file`` component. 83c-3: a file named with the byte
0xFF and one named with the text ``a\\xff.txt`` became one component with two SHA-256s. 83c-2: two
card entries or file names that differ in a control character became one bom-ref in XML (each
control character written as U+FFFD). The rule: :func:`mlbom.refs.ref_part`; and
``inventory.normalize`` never merges two different things under one ref. Inputs are written here.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main

UNSAFE_PICKLE = b"cos\nsystem\n(S'id'\ntR."
CONFIG = '{"model_type":"bert"}'


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)


def _run(args: list[str], out: str, capsys: Any) -> str:
    rc = main(["generate", "--no-gpu", *args, "-o", out])
    err = str(capsys.readouterr().err)
    assert "internal error" not in err and "Traceback" not in err, err
    assert rc == 0, err
    assert main(["validate", out]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return Path(out).read_text(encoding="utf-8")


def _components(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(doc.get("components", []))


@pytest.mark.parametrize("second", ["m#modelcard", "m#config.json"])
def test_83c_1_model_folder_named_like_a_part(second: str, capsys: Any) -> None:
    for d in ("m", second):
        os.makedirs(d)
        Path(d, "config.json").write_text(CONFIG)
    Path(second, "model.pkl").write_bytes(UNSAFE_PICKLE)
    doc = json.loads(_run(["--model", "m", "--model", second], "bom.json", capsys))
    models = [c for c in _components(doc) if c["type"] == "machine-learning-model"]
    assert len(models) == 2, [c["bom-ref"] for c in _components(doc)]
    refs = [c["bom-ref"] for c in _components(doc)]
    assert len(refs) == len(set(refs))
    # the unsafe pickle of the second model is its own file component, under the second model
    pkl = [c for c in _components(doc) if c["name"] == "model.pkl"]
    assert len(pkl) == 1 and pkl[0]["bom-ref"].startswith("model:m%23")


def test_83c_1_dataset_folder_named_like_its_data_block(capsys: Any) -> None:
    for d in ("d", "d#data"):
        os.makedirs(d)
        Path(d, "x.csv").write_text("a,b\n")
    doc = json.loads(_run(["--dataset", "d", "--dataset", "d#data"], "bom.json", capsys))
    data = [c for c in _components(doc) if c["type"] == "data"]
    assert {c["bom-ref"] for c in data} == {"dataset:d", "dataset:d%23data"}


@pytest.mark.skipif(sys.platform != "linux", reason="a file name that is not UTF-8")
@pytest.mark.parametrize("flag", ["--model", "--dataset"])
def test_83c_3_raw_byte_name_and_backslash_name_are_two_files(flag: str, capsys: Any) -> None:
    os.makedirs("t")
    Path("t", "a\\xff.txt").write_bytes(b"literal backslash name\n")
    with open(b"t/a\xff.txt", "wb") as f:
        f.write(b"raw byte name\n")
    Path("t", "config.json" if flag == "--model" else "x.csv").write_text(CONFIG if flag == "--model" else "a,b\n")
    doc = json.loads(_run([flag, "t"], "bom.json", capsys))
    files = [c for c in _components(doc) if c["type"] == "file" and c["name"].startswith("a")]
    assert len(files) == 2, [(c["bom-ref"], c.get("hashes")) for c in files]
    assert all(len(c["hashes"]) == 1 for c in files)
    assert len({c["bom-ref"] for c in files}) == 2


def test_83c_2_card_entries_with_control_characters_in_xml(capsys: Any) -> None:
    os.makedirs("m")
    Path("m", "config.json").write_text(CONFIG)
    Path("m", "README.md").write_text('---\ndatasets: ["\\x02", "\\x03"]\n---\n# card\n')
    xml = _run(["--model", "m", "--format", "xml"], "bom.xml", capsys)
    assert 'bom-ref="dataset:named:%02"' in xml and 'bom-ref="dataset:named:%03"' in xml


def test_83c_2_file_names_with_control_characters_in_xml(capsys: Any) -> None:
    os.makedirs("m")
    Path("m", "config.json").write_text(CONFIG)
    Path("m", "a\x01.txt").write_text("1")
    Path("m", "a\x02.txt").write_text("2")
    xml = _run(["--model", "m", "--format", "xml"], "bom.xml", capsys)
    assert 'bom-ref="model:m#a%01.txt"' in xml and 'bom-ref="model:m#a%02.txt"' in xml


def test_ref_part_is_injective_and_keeps_ordinary_names() -> None:
    from mlbom.refs import ref_part

    for name in ("m", "org/model-v1.2", "data/train_00.parquet", "ünïcode/名前.bin", "a\\xff.txt", "a b+c@d"):
        assert ref_part(name) == name
    names = ["a#b", "a%23b", "a%b", "a\udcffb", "a%FFb", "a\\xffb", "a\x01b", "a%01b", "a\ud800b", "a%uD800b",
             "a\udced\udca0\udc80b", "a\ufffeb", "a\uffffb", "a\x7fb"]
    encoded = [ref_part(n) for n in names]
    assert len(set(encoded)) == len(names), encoded
    assert not any("#" in e for e in encoded)


def test_inventory_never_merges_two_different_things_under_one_ref() -> None:
    from mlbom.inventory import normalize
    from mlbom.model import Component, Hash

    root = Component(bom_ref="release:x", type="application", name="x")
    a = Component(bom_ref="model:c/m#config.json", type="file", name="config.json", hashes=(Hash(alg="SHA-256", content="a" * 64),))
    b = Component(bom_ref="model:c/m#config.json", type="machine-learning-model", name="m")
    c = Component(bom_ref="model:c/m#config.json", type="file", name="config.json", hashes=(Hash(alg="SHA-256", content="b" * 64),))
    same = Component(bom_ref="model:c/m#config.json", type="file", name="config.json", hashes=(Hash(alg="SHA-256", content="a" * 64),))
    comps, _rels, findings = normalize([a, b, c, same], [], [], root)
    assert len(comps) == 3
    assert sorted(c.type for c in comps) == ["file", "file", "machine-learning-model"]
    assert all(len(c.hashes) <= 1 for c in comps)
    assert len([f for f in findings if f.id == "inventory.ref-conflict"]) == 2
