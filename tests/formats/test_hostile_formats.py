"""Replay the hostile reproducers of tests/fixtures/hostile/formats: each gets its verdict, one
batch through the CLI ends with exit 0/1/2 and no internal error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fuzz.targets.formats import TARGETS
from mlbom.cli import main
from mlbom.scanner import scan_file

HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "hostile" / "formats"
ROWS = [line.split("\t") for line in (HOSTILE / "EXPECTED.tsv").read_text().splitlines()[1:]]


@pytest.mark.parametrize(("name", "verdict"), ROWS, ids=[r[0] for r in ROWS])
def test_reproducer_verdict(name: str, verdict: str) -> None:
    start = time.perf_counter()
    r = scan_file(HOSTILE / name)
    assert r.verdict == verdict, [(f.id, f.message) for f in r.findings]
    assert time.perf_counter() - start < 5


def test_cli_batch(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", *(str(HOSTILE / name) for name, _v in ROWS)])
    captured = capsys.readouterr()
    assert code in (0, 1, 2) and "internal error" not in captured.err


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_fuzz_targets_hold_their_contract_on_seeds(target) -> None:  # type: ignore[no-untyped-def]
    seeds = list(target.seed_files())
    assert seeds, target.name
    for path in seeds:
        crash, _seconds = target.check(path.read_bytes())
        assert crash is None, (path, crash)
