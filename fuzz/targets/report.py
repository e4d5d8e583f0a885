"""Report and SPDX export: any BOM the reader accepts renders in every format and converts to
SPDX 3 (or is refused with an MlbomError); nothing else may escape."""

from __future__ import annotations

from fuzz.harness import Target
from mlbom.errors import MlbomError
from mlbom.reader import loads


def report_all(data: bytes) -> None:
    from mlbom.report import report

    bom = loads(data, "fuzz.json")
    for fmt in ("html", "markdown", "text"):
        report(bom, fmt)


def spdx3(data: bytes) -> None:
    from mlbom.spdx3 import to_spdx3

    to_spdx3(loads(data, "fuzz.json"))


TARGETS: list[Target] = [
    Target("report", report_all, seeds=("tests/fixtures/report/*.json", "../shared/corpus/cyclonedx/examples/**/*.json"),
           allowed=(MlbomError,), max_len=1 << 18, description="a BOM rendered as HTML, Markdown and text"),
    Target("spdx3", spdx3, seeds=("tests/fixtures/report/*.json", "../shared/corpus/cyclonedx/examples/**/*.json"),
           allowed=(MlbomError,), max_len=1 << 18, description="a BOM converted to SPDX 3.0.1 JSON-LD"),
]
