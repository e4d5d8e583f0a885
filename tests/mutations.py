"""The mutation driver shared by the scan property tests (tests/test_scan_mutations.py and
tests/formats/test_formats_mutations.py): write N mutations of each family's seed files into one
folder, then scan them in ONE batch — through the API and the CLI — and check every file got a
verdict, no internal error, exit 0/1/2."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

import mlbom
from mlbom.cli import main

Mutator = Callable[[bytes, random.Random], bytes]


def write_corpus(tmp: Path, families: dict[str, list[Path]], per_family: int, *, seed: int, mutate: Mutator) -> int:
    """``per_family`` mutations of each family's seeds (round robin) under ``tmp``; their count."""
    rng = random.Random(seed)
    n = 0
    for family, seeds in families.items():
        assert seeds, family
        datas = [(s, s.read_bytes()) for s in seeds]
        for k in range(per_family):
            src, data = datas[k % len(datas)]
            (tmp / f"{family}-{src.stem}-{k:04d}{src.suffix}").write_bytes(mutate(data, rng))
            n += 1
    return n


def check_batch(tmp: Path, n: int, capsys: pytest.CaptureFixture[str]) -> None:
    """One batch: every file a verdict, no internal error; the CLI exits 0/1/2 with JSON for all."""
    results = mlbom.scan(tmp, with_hash=False)
    assert len(results) == n
    internal = [(r.path, f.message) for r in results for f in r.findings if f.id == "scan.internal-error"]
    assert internal == []
    assert all(r.verdict in ("safe", "suspicious", "unsafe", "error") for r in results)
    rc = main(["scan", "--no-hash", "--format", "json", str(tmp)])
    out = capsys.readouterr()
    assert rc in (0, 1, 2) and "internal error" not in out.err
    assert len(json.loads(out.out)) == n
