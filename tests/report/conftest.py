from __future__ import annotations

import json
from pathlib import Path

import pytest

import mlbom

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tiny-release"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "report"


@pytest.fixture(scope="session")
def example_doc() -> dict[str, object]:
    doc = json.loads(mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True, gpu=False)))
    assert isinstance(doc, dict)
    return doc


@pytest.fixture()
def example_bom(tmp_path: Path, example_doc: dict[str, object]) -> Path:
    p = tmp_path / "bom.json"
    p.write_text(json.dumps(example_doc))
    return p
