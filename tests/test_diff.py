from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import mlbom
from mlbom.cli import main
from mlbom.diff import diff, gate, parse_fail_on

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"


def _bom(root: Path) -> dict[str, object]:
    return json.loads(mlbom.dumps(mlbom.generate(root, reproducible=True, name="tiny-release")))  # type: ignore[no-any-return]


def test_an_input_that_became_unreadable_is_a_change(tmp_path: Path) -> None:
    new = tmp_path / "release"
    shutil.copytree(EXAMPLE, new)
    lock = new / "pylock.toml"  # a version edited by hand, inconsistent with the wheel names
    lock.write_text(lock.read_text().replace("version = '2.2.3'", "version = '2.2.4'"))
    changes = diff(_bom(EXAMPLE), _bom(new))
    (u,) = [c for c in changes if c.kind == "new-unreadable"]
    assert u.identity == "(release)" and "pylock.toml" in str(u.new) and "not consistent" in str(u.new)
    assert gate(changes, parse_fail_on("new-unreadable"))


def test_diff_of_identical_boms_is_empty() -> None:
    doc = _bom(EXAMPLE)
    assert diff(doc, doc) == []


def test_swapped_weights_upgraded_package_changed_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = tmp_path / "release"
    shutil.copytree(EXAMPLE, new)
    # swap a weight file (same name), upgrade a package, change the dataset
    st = new / "model" / "model.safetensors"
    st.write_bytes(st.read_bytes()[:-4] + b"\x00\x00\x80\x3f")
    req = new / "requirements.txt"
    req.write_text(req.read_text().replace("numpy==2.2.3", "numpy==2.2.4"))
    (new / "pylock.toml").write_text((new / "pylock.toml").read_text().replace("2.2.3", "2.2.4"))
    (new / "data" / "reviews.csv").write_text("review,label\n\"poisoned\",1\n")
    old_doc, new_doc = _bom(EXAMPLE), _bom(new)
    changes = diff(old_doc, new_doc)
    kinds = {(c.kind, c.identity) for c in changes}
    # exactly these changes: the weights, the package (its pin in both files), the data, and nothing else
    assert kinds == {
        ("hash-drift", "file:model:model#model.safetensors"),
        ("hash-drift", "file:dataset:data#reviews.csv"),
        # the model's and the dataset's digest over all their files (issue 14) change with them
        ("hash-drift", "machine-learning-model:/tiny-release-classifier"),
        ("hash-drift", "data:/tiny-reviews"),
        ("new-finding", "file:dataset:data#reviews.csv"),  # the Croissant checksum no longer matches
        ("version-change", "pkg:pypi/numpy"),
        ("hash-drift", "file:file:requirements.txt"), ("hash-drift", "file:file:pylock.toml"),  # the edited pins
    }, sorted(kinds)
    assert ("hash-drift", "file:model:model#model/model.safetensors") in kinds or any(
        c.kind == "hash-drift" and c.identity.endswith("model.safetensors") for c in changes)
    assert any(c.kind == "hash-drift" and c.identity.endswith("reviews.csv") for c in changes)
    assert any(c.kind == "new-finding" and "checksum-mismatch" in c.detail for c in changes)
    assert any(c.kind == "version-change" and c.identity == "pkg:pypi/numpy" and (c.old, c.new) == ("2.2.3", "2.2.4")
               for c in changes)
    assert parse_fail_on("hash-drift") and gate(changes, ["hash-drift"])
    assert gate(changes, ["new-finding:high"]) and not gate(changes, ["licence-change"])
    (tmp_path / "old.json").write_text(json.dumps(old_doc))
    (tmp_path / "new.json").write_text(json.dumps(new_doc))
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--fail-on", "licence-change"]) == 0
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--fail-on", "hash-drift"]) == 1
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"hash-drift"' in out
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--fail-on", "bogus"]) == 2


def test_model_card_and_licence_changes(tmp_path: Path) -> None:
    new = tmp_path / "release"
    shutil.copytree(EXAMPLE, new)
    card = new / "model" / "README.md"
    card.write_text(card.read_text().replace("license: apache-2.0", "license: mit").replace("value: 0.91", "value: 0.85"))
    changes = diff(_bom(EXAMPLE), _bom(new))
    assert any(c.kind == "licence-change" and c.old == "Apache-2.0" and c.new == "MIT" for c in changes)
    assert any(c.kind == "model-card-change" and "performanceMetrics" in c.detail and c.new == '"0.85"' for c in changes)
    assert any(c.kind == "hash-drift" and c.identity.endswith("README.md") for c in changes)


def test_terminal_rendering() -> None:
    from rich.console import Console

    from mlbom.diff import Change, render_rich

    console = Console(record=True, width=160)
    console.print(render_rich([Change("hash-drift", "file:model#w.safetensors", "different SHA-256", "aa", "bb")]))
    text = console.export_text()
    assert "hash-drift" in text and "file:model#w.safetensors" in text and "aa" in text
    console.print(render_rich([]))
    assert "no differences" in console.export_text()
