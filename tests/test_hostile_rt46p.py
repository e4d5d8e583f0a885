"""Red team 46p: hostile input through the CLI that hung or ended in an internal error.

46p-1/2: ``verify --artifacts`` read a FIFO ``pyvenv.cfg`` (beside a ``bin/python`` link that leaves
the folder) and a FIFO setuptools editable finder with plain ``open()``: blocked for ever. 46p-3:
a file named ``data`` in a dataset folder (or ``modelcard`` in a model folder) took the bom-ref of
the dataset block (model card): the BOM did not validate, "internal error"; a FIFO given as a
dataset was read as its parent folder. 46p-4: a policy TOML of 1,000 nested arrays raised
RecursionError from tomllib: "internal error".
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mlbom.artifacts import check_folder
from mlbom.cli import main

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(signal, "SIGALRM"), reason="POSIX")


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    def fail(*_: object) -> None:
        raise AssertionError(f"blocked for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _file(rel: str, data: bytes) -> dict[str, Any]:
    return {"type": "file", "name": rel, "bom-ref": rel,
            "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()}],
            "properties": [{"name": "mlbom:file:path", "value": rel}, {"name": "mlbom:file:size", "value": str(len(data))}]}


def _doc(*files: dict[str, Any]) -> dict[str, object]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": list(files)}


def test_46p_1_a_fifo_pyvenv_cfg_is_refused_not_waited_on(tmp_path: Path) -> None:
    art = tmp_path / "art"
    (art / "bin").mkdir(parents=True)
    (art / "bin" / "python3.11").write_bytes(b"x\n")
    os.symlink("/usr/bin/python3", art / "bin" / "python")
    os.mkfifo(art / "pyvenv.cfg")
    doc = _doc(_file("pyvenv.cfg", b"home = /usr/bin\n"), _file("bin/python3.11", b"x\n"))
    with _deadline(20):
        problems = check_folder(doc, art).problems()
    assert any("pyvenv.cfg" in p and "not a regular file" in p for p in problems), problems


def test_46p_2_a_fifo_editable_finder_is_refused_not_waited_on(tmp_path: Path) -> None:
    art = tmp_path / "art"
    site = art / "site-packages"
    site.mkdir(parents=True)
    pth = b"import __editable___x_finder; __editable___x_finder.install()\n"
    (site / "x.pth").write_bytes(pth)
    os.mkfifo(site / "__editable___x_finder.py")
    doc = _doc(_file("site-packages/x.pth", pth), _file("site-packages/__editable___x_finder.py", b"MAPPING = {}\n"))
    with _deadline(20):
        problems = check_folder(doc, art).problems()
    assert any("__editable___x_finder.py" in p for p in problems), problems


def _refs(bom: Path) -> list[str]:
    doc = json.loads(bom.read_text())
    out: list[str] = []

    def walk(comps: list[dict[str, Any]]) -> None:
        for c in comps:
            if "bom-ref" in c:
                out.append(c["bom-ref"])
            walk(c.get("components", []))
    walk(doc.get("components", []))
    return out


@pytest.mark.parametrize("layout", ["data/data", "data/modelcard", "model/modelcard", "model/data",
                                    "data/source:x", "model/base:y", "data/file:data"])
def test_46p_3_file_names_never_take_a_components_own_ref(tmp_path: Path, layout: str) -> None:
    proj = tmp_path / "proj"
    folder, name = layout.split("/")
    (proj / folder).mkdir(parents=True)
    (proj / folder / name).write_text("a,b\n1,2\n")
    if folder == "model":
        (proj / "model" / "config.json").write_text('{"model_type": "bert"}')
    out = tmp_path / "bom.json"
    assert main(["generate", str(proj), "--no-gpu", "--reproducible", "-o", str(out)]) == 0
    refs = _refs(out)
    assert len(refs) == len(set(refs)), refs


def test_46p_3_a_fifo_given_as_a_dataset_is_not_its_parent_folder(tmp_path: Path, capsys: Any) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "README.md").write_text("---\nlicense: mit\n---\n# a card\n")
    os.mkfifo(proj / "data")
    with _deadline(30):
        rc = main(["generate", "--dataset", str(proj / "data"), "--no-gpu", "-o", str(tmp_path / "bom.json")])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a regular file or folder" in err[0], err


@pytest.mark.parametrize("body", ["a = " + "[" * 1000 + "]" * 1000, "a = " + "{b = " * 1000 + "1" + "}" * 1000])
def test_46p_4_deeply_nested_policy_toml_is_an_input_error(tmp_path: Path, capsys: Any, body: str) -> None:
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(_doc()))
    policy = tmp_path / "policy.toml"
    policy.write_text(body + "\n")
    assert main(["check", str(bom), "--policy", str(policy)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nested too deeply" in err[0], err
