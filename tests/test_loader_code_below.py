"""Code in a model folder's sub-folders that its loader imports is the model's (stop 49 lead).

A model folder the project sweep groups a weight with is read for its own files (``top_only``);
transformers still imports code from its sub-folders: an ``auto_map`` entry ``sub/mod.Class``
(``get_class_from_dynamic_module`` splits the reference at the dot, ``get_cached_module_file``
reads ``sub/mod.py`` and copies its relative imports from beside it) and, with
``trust_remote_code=True``, ``custom_generate/generate.py`` (``GenerationMixin.load_custom_generate``
in ``from_pretrained``). Before: ``sub/mod.py`` was in no model (only a ``code.remote`` on the
config), ``custom_generate/generate.py`` in nothing at all while the BOM said "inventory complete".
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest

from mlbom.fswalk import iter_runs
from tests.helpers import file_refs, model_verdicts


def _weights(path: Path) -> None:
    head = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    path.write_bytes(struct.pack("<Q", len(head)) + head + b"\0" * 4)


def _project(tmp_path: Path, auto_map: str) -> Path:
    proj = tmp_path / "proj"
    m = proj / "m"
    (m / "sub").mkdir(parents=True)
    (m / "config.json").write_text(json.dumps({"model_type": "llama", "auto_map": {"AutoModel": auto_map}}))
    _weights(m / "model.safetensors")
    (m / "sub" / "mod.py").write_text("from .helper import x\n")
    (m / "sub" / "helper.py").write_text("x = 1\n")
    (m / "sub" / "unrelated.py").write_text("y = 1\n")
    return proj


def test_auto_map_module_in_a_sub_folder_is_the_models(tmp_path: Path) -> None:
    proj = _project(tmp_path, "sub/mod.MyModel")
    refs = file_refs(proj)
    assert {"model:m#sub/mod.py", "model:m#sub/helper.py"} <= refs
    assert "model:m#sub/unrelated.py" not in refs  # (no loader imports it)
    assert model_verdicts(proj)["model:m"] == "suspicious"  # code, not judged


def test_custom_generate_is_the_models(tmp_path: Path) -> None:
    proj = _project(tmp_path, "modeling.MyModel")
    cg = proj / "m" / "custom_generate"
    cg.mkdir()
    (cg / "generate.py").write_text("from .beam import search\ndef generate(model, *a, **k):\n    return search()\n")
    (cg / "beam.py").write_text("def search():\n    return 0\n")
    (cg / "requirements.txt").write_text("numpy\n")
    (proj / "m" / "modeling.py").write_text("class MyModel: pass\n")
    refs = file_refs(proj)
    assert {"model:m#custom_generate/generate.py", "model:m#custom_generate/beam.py",
            "model:m#custom_generate/requirements.txt", "model:m#modeling.py"} <= refs
    assert model_verdicts(proj)["model:m"] == "suspicious"


def test_a_leaving_module_name_is_never_walked(tmp_path: Path) -> None:
    proj = _project(tmp_path, "../outside/mod.MyModel")
    (proj / "outside").mkdir()
    (proj / "outside" / "mod.py").write_text("import os\n")
    refs = file_refs(proj)
    assert not any("outside" in r for r in refs if r.startswith("model:m#"))
    assert model_verdicts(proj)["model:m"] == "suspicious"  # code.remote on the config


def test_keep_below_lists_only_the_kept_paths_by_the_walk_rules(tmp_path: Path) -> None:
    root = tmp_path / "m"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "config.json").write_text("{}")
    (root / "sub" / "mod.py").write_text("")
    (root / "sub" / "other.py").write_text("")
    (root / "sub" / "deeper" / "x.py").write_text("")
    outside = tmp_path / "secret.py"
    outside.write_text("")
    os.symlink(outside, root / "sub" / "link.py")
    found: list[object] = []
    runs = list(iter_runs(root, on_finding=found.append, top_only=True,
                          keep_below=frozenset({"sub/mod.py", "sub/link.py", "sub/deeper/x.py"})))
    names = [r.prefix + n for r in runs for n in r.names[r.lo:r.hi]]
    assert names == ["config.json", "sub/deeper/x.py", "sub/mod.py"]
    assert [getattr(f, "id", None) for f in found] == ["files.symlink-escape"]


@pytest.mark.parametrize("name", ["sub/../../x", "/abs/mod", "sub\\mod", "c:mod", "sub//mod"])
def test_odd_module_names_are_not_paths_below(tmp_path: Path, name: str) -> None:
    from mlbom.collectors.models import loader_files_below

    m = tmp_path / "m"
    m.mkdir()
    (m / "config.json").write_text(json.dumps({"auto_map": {"AutoModel": f"{name}.C"}}))
    assert loader_files_below(m) == frozenset()
