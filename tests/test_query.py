from __future__ import annotations

import json
from pathlib import Path

import pytest

import mlbom
from mlbom.cli import main
from mlbom.query import Filters, select, why

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"


@pytest.fixture(scope="module")
def doc() -> dict[str, object]:
    return json.loads(mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True, gpu=False)))  # type: ignore[no-any-return]


def test_filters(doc: dict[str, object]) -> None:
    assert [c.name for c in select(doc, Filters(type="machine-learning-model"))] == ["tiny-release-classifier"]
    assert {c.name for c in select(doc, Filters(purl="pkg:pypi/*", version_spec=">=2,<3"))} == {"numpy"}
    assert [c.name for c in select(doc, Filters(license="apache-2.0"))] == ["tiny-release-classifier"]
    # licences outside the allowlist, and components that declare none (unknown is not allowed)
    outside = {c.name for c in select(doc, Filters(license_not_in=("Apache-2.0",)))}
    assert "tiny-reviews" in outside and "numpy" in outside and "tiny-release-classifier" not in outside
    sha = next(h["content"] for c in select(doc, Filters(name="model.safetensors")) for h in c.raw["hashes"])  # type: ignore[union-attr]
    assert [c.name for c in select(doc, Filters(sha256=sha))] == ["model.safetensors"]
    assert [c.name for c in select(doc, Filters(properties=(("mlbom:file:format", "safetensors"),)))] == [
        "model.safetensors"]
    assert {c.name for c in select(doc, Filters(min_severity="medium"))} == {"tqdm"}


def test_why(doc: dict[str, object]) -> None:
    chains = why(doc, "reviews.csv").chains
    assert chains and chains[0][-1].endswith("#reviews.csv") and chains[0][1] == "dataset:data"


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: dict[str, object]) -> None:
    p = tmp_path / "bom.json"
    p.write_text(json.dumps(doc))
    assert main(["query", str(p), "--type", "library", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("type,name,version") and len(out) == 5
    assert main(["query", str(p), "--property", "nope"]) == 2
    assert main(["query", str(p), "--version-spec", "=>1"]) == 2
    assert main(["query", str(p), "--why", "numpy"]) == 0


def test_report_markdown_and_text(doc: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "bom.json"
    p.write_text(json.dumps(doc))
    assert main(["report", str(p)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Release tiny-release") and "| tiny-release-classifier |" in out
    assert "## Licences (components other than files)" in out and "| Apache-2.0 | 1 |" in out
    assert "findings: 1 medium, 1 low" in out
    assert main(["report", str(p), "--format", "text", "-o", str(tmp_path / "r.txt")]) == 0
    text = (tmp_path / "r.txt").read_text()
    assert "Release tiny-release" in text and "|" not in text.split("\n")[2]
    assert main(["report", str(tmp_path / "missing.json")]) == 2
