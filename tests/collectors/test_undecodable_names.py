"""File names that are not UTF-8 (issue #18/#19 class): manifest mode keeps them as surrogate
escapes; inline mode (datasets and models) used to crash building the file component. Now the
file is listed with ``\\xNN`` escapes, its digest counted, and the whole-folder digest is the
one manifest mode gives."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.fswalk import shown_name

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that takes any bytes in names")

_EVIL_PICKLE = b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."


def _tree(root: Path, files: dict[bytes, bytes]) -> Path:
    root.mkdir()
    for name, data in files.items():
        with open(os.path.join(os.fsencode(root), name), "wb") as fh:
            fh.write(data)
    return root


def _generate(tmp_path: Path, kind: str, folder: Path, limit: int, tag: str) -> dict[str, object]:
    out = tmp_path / f"bom-{tag}.json"
    assert main(["generate", kind, str(folder), "--max-file-components", str(limit), "--no-cache",
                 "--reproducible", "-o", str(out)]) == 0
    bom: dict[str, object] = json.loads(out.read_text("utf-8"))
    return bom


def _components(bom: dict[str, object]) -> list[dict[str, object]]:
    comps = bom.get("components")
    assert isinstance(comps, list)
    return comps


def test_shown_name() -> None:
    assert shown_name("plain/a.txt") == "plain/a.txt"
    assert shown_name("café/ü.txt") == "café/ü.txt"
    assert shown_name(os.fsdecode(b"bad\xffname.txt")) == "bad\\xffname.txt"


def test_dataset_inline_lists_an_undecodable_name(tmp_path: Path) -> None:
    data = _tree(tmp_path / "ds", {b"bad\xffname.txt": b"hello\n", b"ok.txt": b"x"})
    inline = _generate(tmp_path, "--dataset", data, 1000, "inline")
    files = {c["name"]: c for c in _components(inline) if c.get("type") == "file"}
    assert set(files) == {"bad\\xffname.txt", "ok.txt"}
    hashes = files["bad\\xffname.txt"]["hashes"]
    assert isinstance(hashes, list) and hashes[0]["content"] == (
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")  # sha256 of b"hello\n"
    assert "INCOMPLETE" not in json.dumps(inline)
    # the dataset's digest over every file is the one manifest mode records
    manifest = _generate(tmp_path, "--dataset", data, 0, "manifest")
    whole = [[c.get("hashes") for c in _components(b) if c.get("type") == "data"] for b in (inline, manifest)]
    assert whole[0] == whole[1] and whole[0][0]


def test_model_inline_names_an_unsafe_undecodable_file(tmp_path: Path) -> None:
    model = _tree(tmp_path / "m", {b"evil\xfe.pkl": _EVIL_PICKLE, b"config.json": b"{}"})
    for limit in (1000, 0):  # inline, and manifest mode (an unsafe file is still a named component)
        bom = _generate(tmp_path, "--model", model, limit, str(limit))
        named = {c["name"]: c for c in _components(bom) if c.get("type") == "file"}
        assert "evil\\xfe.pkl" in named, limit
        props = {p["name"]: p["value"] for p in named["evil\\xfe.pkl"]["properties"]}  # type: ignore[union-attr]
        assert props["mlbom:safety:verdict"] == "unsafe"
