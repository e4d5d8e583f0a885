"""Red team 28c: "name-free" content of the Hugging Face cache (an unlinked blob, a shared-store
entry) was judged under ITS OWN name only, plus ``chat_template.jinja``: a JSON document that is an
MLflow ``MLmodel`` (mlflow reads it with ``yaml.safe_load``; JSON is YAML) was ``safe`` unnamed,
though mlbom judges the same bytes named ``MLmodel`` (28c-1: an unlinked blob; 28c-2: the shared
Xet store). Fix: one table of the text judgements a name selects (``scanner._NAMED_TEXT``), which
``_judge_text`` dispatches through and ``_name_free`` re-runs under each of its names.

The layouts are built as huggingface_hub writes them (file_download.py, utils/_shared_blobs.py).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import textwrap
from pathlib import Path

import pytest

from mlbom import scanner
from tests.helpers import git_sha1, hub_repo, scan_json_by_rel

REV = "0123456789abcdef0123456789abcdef01234567"
CONFIG = json.dumps({"model_type": "gpt2"}).encode()
# 28c-1's MLmodel in JSON syntax: an outside code folder and a loader module mlflow imports from it
MLMODEL = json.dumps({"flavors": {"python_function": {"loader_module": "rt28c_loader", "code": "/abs/shared_code",
                                                      "python_version": "3.11.7"}},
                      "mlflow_version": "3.17.2"}).encode() + b"\n"
MLMODEL_OS = json.dumps({"flavors": {"python_function": {"loader_module": "os"}}}).encode() + b"\n"


def _repo(hub: Path, files: dict[str, bytes]) -> Path:
    return hub_repo(hub, files, rev=REV, etag=lambda _rel, data: git_sha1(data))


def _store_entry(hub: Path, data: bytes) -> str:
    store = hub / "blobs"
    store.mkdir(parents=True, exist_ok=True)
    (store / ".huggingface-shared-blobs").write_text("1\n")
    xet = hashlib.sha256(b"xet" + data).hexdigest()
    (store / xet[:2]).mkdir(exist_ok=True)
    (store / xet[:2] / xet).write_bytes(data)
    return f"blobs/{xet[:2]}/{xet}"


def test_the_same_bytes_named_mlmodel(tmp_path: Path) -> None:
    """What mlbom says of these bytes under the name mlflow reads them by (the target verdicts)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "MLmodel").write_bytes(MLMODEL)
    (tmp_path / "b" / "MLmodel").write_bytes(MLMODEL_OS)
    assert scanner.scan_file(tmp_path / "a" / "MLmodel").verdict == "suspicious"
    assert scanner.scan_file(tmp_path / "b" / "MLmodel").verdict == "unsafe"


@pytest.mark.parametrize(("data", "verdict", "ids"), [
    (MLMODEL, "suspicious", {"code.remote", "mlmodel.path-outside"}),
    (MLMODEL_OS, "unsafe", {"code.dangerous-target"}),
])
def test_28c1_an_unlinked_json_mlmodel_blob_is_judged_as_mlmodel(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, verdict: str, ids: set[str]) -> None:
    repo = _repo(tmp_path / "hub", {"config.json": CONFIG})
    etag = git_sha1(data)
    (repo / "blobs" / etag).write_bytes(data)
    rc, scans = scan_json_by_rel(repo, capsys)
    got, found = scans[f"blobs/{etag}"]
    assert got == verdict and "files.hf-unlinked-blob" in found and ids <= set(found) and rc == 1, scans


@pytest.mark.parametrize(("data", "verdict", "ids"), [
    (MLMODEL, "suspicious", {"code.remote", "mlmodel.path-outside"}),
    (MLMODEL_OS, "unsafe", {"code.dangerous-target"}),
])
def test_28c2_a_json_mlmodel_in_the_shared_store_is_judged_as_mlmodel(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, verdict: str, ids: set[str]) -> None:
    hub = tmp_path / "hub"
    rel = _store_entry(hub, data)
    rc, scans = scan_json_by_rel(hub, capsys)
    got, found = scans[rel]
    # a raised verdict keeps the store finding (it is dropped only for name-free, safe content)
    assert got == verdict and "files.hf-store-unverified" in found and ids <= set(found) and rc == 1, scans


def test_plain_json_in_the_store_stays_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub = tmp_path / "hub"
    rel = _store_entry(hub, json.dumps({"flavors": {"sklearn": {"pickled_model": "model.pkl"}},
                                        "vocab_size": 3}).encode())
    rc, scans = scan_json_by_rel(hub, capsys)
    assert scans[rel] == ("safe", []) and rc == 0, scans


def test_nemo_target_in_an_unlinked_json_blob(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Another name-selected reading: NeMo's ``model_config.yaml`` ``target`` key (not a code key
    under any other name)."""
    data = json.dumps({"target": "os.system"}).encode()
    (tmp_path / "n").mkdir()
    (tmp_path / "n" / "model_config.yaml").write_bytes(data)
    named = scanner.scan_file(tmp_path / "n" / "model_config.yaml").verdict
    repo = _repo(tmp_path / "hub", {"config.json": CONFIG})
    (repo / "blobs" / git_sha1(data)).write_bytes(data)
    _, scans = scan_json_by_rel(repo, capsys)
    got, _ = scans[f"blobs/{git_sha1(data)}"]
    assert got == named != "safe"


# ---- the table IS the dispatch ------------------------------------------------------------------

def test_judge_text_compares_names_only_through_the_table() -> None:
    """A reader that ``_judge_text`` selects by name must be a row of ``_NAMED_TEXT`` (or
    ``_name_free`` does not judge unnamed content under it: 28c-1). ``name`` and the base name are
    used only to look the table up, for config_targets' Jsonnet rule (the table's "jsonnet" row) and for
    mmengine's predefined variables (the name is text mmengine puts into the config: 116pa-5);
    ``_judge_text`` hands ``name`` on to ``_any_name_rules`` (the rules that hold whatever the name,
    red team 116pa-1b), which is held to the same."""
    for judge in (scanner._judge_text, scanner._any_name_rules):
        _names_only_through_the_table(judge)


def _names_only_through_the_table(judge: object) -> None:
    tree = ast.parse(textwrap.dedent(inspect.getsource(judge)))  # type: ignore[arg-type]
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    allowed: set[int] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_name_kinds":
            allowed |= {id(a) for a in ast.walk(node)}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_any_name_rules":
            allowed |= {id(a) for a in node.args[1:2]}  # (its name: held to this test too)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "base" for t in node.targets):
            allowed |= {id(a) for a in ast.walk(node)}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "_may_name_targets", "_config_targets", "_mm_predefined"):
            # (_mm_predefined puts the name into the text as mmengine does — content, no reader selected: 116pa-5)
            allowed |= {id(a) for a in node.args[1:2]} if node.func.id != "_config_targets" else set()
            allowed |= {id(k.value) for k in node.keywords if k.arg == "name"}
    stray = [ast.unparse(n) for n in ast.walk(fn)
             if isinstance(n, ast.Name) and n.id in ("name", "base") and id(n) not in allowed
             and isinstance(n.ctx, ast.Load)]
    assert not stray, f"_judge_text reads the file name outside _NAMED_TEXT: {stray}"


def test_the_table_rows_select_themselves() -> None:
    from mlbom.formats import config_targets

    assert scanner._JSONNET_NAMES == config_targets.JSONNET_NAMES
    for row in scanner._NAMED_TEXT:
        assert row.kind in scanner._name_kinds(row.shown), row
        assert row.kind in scanner._name_kinds(f"sub\\dir/{row.shown.upper()}")
    assert len({r.kind for r in scanner._NAMED_TEXT}) == len(scanner._NAMED_TEXT)
