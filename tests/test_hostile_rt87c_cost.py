"""Red team 87c: the input contract through the CLI (exit 0/1/2, a bad input is ONE line on stderr
and never "internal error"; nothing good is lost; no input under 1 MB costs more than ~1 s in one
parser).

87c-3: a licence expression of 130,000 terms (a 910 KB card) went to the SPDX expression parser
with no bound, two or three times a value (11.6 s for ``generate``, 5 s for each of report, convert
and query on a BOM). An expression longer than ``MAX_LICENSE_EXPRESSION_CHARS`` is now never
parsed: it is kept as a licence name (with its whole text), with a finding where a collector reads
it; every value is parsed once (cached in :func:`mlbom.licenses.is_spdx_expression`).

87c-4 (links re-walking a 200-deep chain, quadratic) is tested in tests/test_hostile_rt87c_walk.py:
alias walks are budgeted, and a venv's ``lib64 -> lib`` is still listed under both names.

87c-7: a Croissant ``metadata.json`` saved as UTF-16 with a byte-order mark failed the UTF-8 sniff
and was dropped without a word (name, licence and url lost, "inventory complete"). Croissant files
are now recognised and read as ``json.loads(bytes)`` reads JSON (UTF-8/16/32, with or without a
BOM: :func:`mlbom.formats.safe_read.decode_json_text`); one found in a folder that says it is
Croissant but cannot be read is a ``dataset.croissant-unreadable`` finding and an incomplete
inventory.

87c-6: card front matter with a key given twice (``license: mit`` then ``license: gpl-3.0``) kept
the last value without a word. Every YAML document mlbom reads (``safe_read.load_yaml``) now notes
keys repeated in one mapping, in one pass over the node graph; the value kept is the one PyYAML and
huggingface_hub keep (the last), and cards report each as ``input.duplicate-key``, as Croissant
JSON does.

The inputs are written here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from tests.helpers import quiet_output


def _model_component(bom: Path) -> dict[str, Any]:
    doc = json.loads(bom.read_text())
    return next(c for c in doc["components"] if c["type"] == "machine-learning-model")


def _findings(comp: dict[str, Any]) -> list[str]:
    return [p["value"] for p in comp.get("properties", []) if p["name"].endswith(":finding")]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text handed to the SPDX expression parser (cyclonedx.spdx.is_expression)."""
    from cyclonedx import spdx

    seen: list[str] = []
    real = spdx.is_expression

    def counted(value: str) -> bool:
        seen.append(value)
        return bool(real(value))

    monkeypatch.setattr(spdx, "is_expression", counted)
    return seen


LONG = " OR ".join(["MIT"] * 20_000)  # 140 KB, ~0.7 s a parse before the fix


def test_87c_3_long_licence_expression_in_card_is_a_name_with_a_finding(
        tmp_path: Path, capsys: Any, parses: list[str]) -> None:
    from mlbom.limits import MAX_LICENSE_EXPRESSION_CHARS

    model = tmp_path / "model"
    model.mkdir()
    (model / "README.md").write_text('---\nlicense: "' + LONG + '"\n---\n# model\n')
    (model / "config.json").write_text('{"model_type": "bert"}')
    out = tmp_path / "bom.json"
    assert main(["generate", "--model", str(model), "--no-gpu", "--name", "x", "--version", "1",
                 "-o", str(out)]) == 0
    quiet_output(capsys)
    assert all(len(p) <= MAX_LICENSE_EXPRESSION_CHARS for p in parses), [len(p) for p in parses]
    comp = _model_component(out)
    (lic,) = comp["licenses"]
    assert "expression" not in lic
    assert lic["license"]["name"].startswith("MIT OR MIT")
    assert lic["license"]["text"]["content"] == LONG  # nothing lost: the whole value is the text
    assert any("model.card-malformed" in f and "license" in f for f in _findings(comp))

    # the BOM readers: never parsed, read as a licence that is no SPDX expression
    parses.clear()
    for argv in (["report", str(out), "-o", str(tmp_path / "r.html")],
                 ["convert", str(out), "--to", "spdx3", "-o", str(tmp_path / "s.json")],
                 ["query", str(out), "--license", "MIT"]):
        assert main(argv) in (0, 1)
        quiet_output(capsys)
    assert all(len(p) <= MAX_LICENSE_EXPRESSION_CHARS for p in parses), [len(p) for p in parses]


def test_87c_3_expression_in_bom_not_parsed(tmp_path: Path, capsys: Any, parses: list[str]) -> None:
    from mlbom.limits import MAX_LICENSE_EXPRESSION_CHARS

    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"type": "library", "name": "x", "version": "1", "bom-ref": "x",
                        "licenses": [{"expression": LONG}]},
                       {"type": "library", "name": "y", "version": "1", "bom-ref": "y",
                        "licenses": [{"expression": "MIT OR Apache-2.0"}]}]}))
    for argv in (["report", str(bom), "-o", str(tmp_path / "r.html")],
                 ["convert", str(bom), "--to", "spdx3", "-o", str(tmp_path / "s.json")],
                 ["query", str(bom), "--license", "Apache-2.0"]):
        assert main(argv) in (0, 1)
        quiet_output(capsys)
    assert all(len(p) <= MAX_LICENSE_EXPRESSION_CHARS for p in parses), [len(p) for p in parses]
    # an ordinary expression is parsed at most once however many commands read it
    assert parses.count("MIT OR Apache-2.0") <= 1


def test_87c_3_ordinary_card_expression_kept(tmp_path: Path, capsys: Any) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "README.md").write_text('---\nlicense: "MIT OR Apache-2.0"\n---\n# model\n')
    out = tmp_path / "bom.json"
    assert main(["generate", "--model", str(model), "--no-gpu", "--name", "x", "--version", "1",
                 "-o", str(out)]) == 0
    quiet_output(capsys)
    comp = _model_component(out)
    assert comp["licenses"] == [{"expression": "MIT OR Apache-2.0", "acknowledgement": "declared"}]
    assert not any("card-malformed" in f for f in _findings(comp))


_CROISSANT = {"@context": {"@vocab": "https://schema.org/", "cr": "http://mlcommons.org/croissant/",
                           "sc": "https://schema.org/"},
              "@type": "sc:Dataset", "name": "d", "license": "mit", "url": "https://example.org/d"}


def _dataset(tmp_path: Path, capsys: Any, folder: Path) -> tuple[dict[str, Any], str]:
    bom = tmp_path / (folder.name + ".bom.json")
    assert main(["generate", "--dataset", str(folder), "--no-gpu", "--name", "x", "--version", "1",
                 "-o", str(bom)]) == 0
    _, err = quiet_output(capsys)
    return json.loads(bom.read_text()), err


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_87c_7_croissant_in_any_json_encoding_is_read(tmp_path: Path, capsys: Any, enc: str) -> None:
    folder = tmp_path / enc
    folder.mkdir()
    (folder / "metadata.json").write_bytes(json.dumps(_CROISSANT).encode(enc))
    doc, _ = _dataset(tmp_path, capsys, folder)
    (data,) = [c for c in doc["components"] if c["type"] == "data"]
    assert data["name"] == "d"
    assert data["licenses"] == [{"license": {"id": "MIT", "acknowledgement": "declared"}}]
    assert doc["compositions"][0]["aggregate"] == "complete"


@pytest.mark.parametrize("case", ["bad-utf16", "bad-json"])
def test_87c_7_unreadable_croissant_is_a_finding(tmp_path: Path, capsys: Any, case: str) -> None:
    folder = tmp_path / case
    folder.mkdir()
    raw = json.dumps(_CROISSANT)
    data = (raw.encode("utf-16")[:-2] + b"\x00\xdc}\x00") if case == "bad-utf16" else raw[:-1].encode()
    (folder / "metadata.json").write_bytes(data)
    doc, err = _dataset(tmp_path, capsys, folder)
    (comp,) = [c for c in doc["components"] if c["type"] == "data"]
    assert any("dataset.croissant-unreadable" in f for f in _findings(comp))
    assert doc["compositions"][0]["aggregate"] == "incomplete"
    assert "metadata.json" in err
    # named on the command line: one line, exit 2
    assert main(["generate", "--dataset", str(folder / "metadata.json"), "--no-gpu", "--name", "x",
                 "--version", "1", "-o", str(tmp_path / "n.json")]) == 2
    _, err = quiet_output(capsys)
    assert len(err.strip().splitlines()) == 1, err


def test_87c_6_duplicate_card_keys_are_reported(tmp_path: Path, capsys: Any) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "README.md").write_text("---\nlicense: mit\nlicense: apache-2.0\nlicense: gpl-3.0\n"
                                     "base_model: org/a\nbase_model: org/b\n---\n# model\n")
    (model / "config.json").write_text('{"model_type": "bert"}')
    out = tmp_path / "bom.json"
    assert main(["generate", "--model", str(model), "--no-gpu", "--name", "x", "--version", "1",
                 "-o", str(out)]) == 0
    quiet_output(capsys)
    comp = _model_component(out)
    # the value kept is the one huggingface_hub (yaml.safe_load) keeps: the last
    import yaml
    assert yaml.safe_load("license: mit\nlicense: gpl-3.0\n") == {"license": "gpl-3.0"}
    assert comp["licenses"] == [{"license": {"id": "GPL-3.0", "acknowledgement": "declared"}}]
    dups = [f for f in _findings(comp) if "input.duplicate-key" in f]
    assert len(dups) == 3, dups
    assert any("license" in f and "line 3" in f for f in dups) and any("base_model" in f for f in dups)


def test_87c_6_dataset_card_and_merge_keys(tmp_path: Path, capsys: Any) -> None:
    from mlbom.formats.safe_read import load_yaml

    # a merge key overridden by an explicit key is no repeat; an aliased mapping counts once
    loaded = load_yaml("a: &A {x: 1}\nb:\n  <<: *A\n  x: 2\nc: *A\n", "t")
    assert loaded.duplicate_keys == ()
    assert load_yaml("l:\n- &X {k: 1, k: 2}\n- *X\n", "t").duplicate_keys == ("line 2: k",)
    data = tmp_path / "ds"
    data.mkdir()
    (data / "README.md").write_text("---\nlicense: mit\nlicense: cc-by-4.0\n---\n# d\n")
    (data / "train.csv").write_text("a,b\n1,2\n")
    doc, _ = _dataset(tmp_path, capsys, data)
    (comp,) = [c for c in doc["components"] if c["type"] == "data"]
    assert any("input.duplicate-key" in f and "license" in f for f in _findings(comp))


def test_87c_6_many_repeats_are_a_bounded_report(tmp_path: Path, capsys: Any) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "README.md").write_text("---\n" + "license: mit\n" * 5000 + "---\n# model\n")
    out = tmp_path / "bom.json"
    assert main(["generate", "--model", str(model), "--no-gpu", "--name", "x", "--version", "1",
                 "-o", str(out)]) == 0
    quiet_output(capsys)
    dups = [f for f in _findings(_model_component(out)) if "input.duplicate-key" in f]
    assert len(dups) == 21 and any("4,979 more" in f for f in dups), dups
