"""The scan benchmarks run at their CI size (a smoke test of the scripts, not a timing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.mark.slow
def test_floor_benchmark_tiny(tmp_path: Path) -> None:
    d = tmp_path / "floor"
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_scan.py"), "floor", "--gb", "0.01",
                          "--ckpt-gb", "0.01", "--zeros", "--clean", "--dir", str(d)],
                         capture_output=True, text=True, env=ENV, timeout=600, check=True).stdout
    assert "sharded safetensors" in out and "torch checkpoint" in out
    assert not d.exists()  # --clean


@pytest.mark.slow
def test_pickles_benchmark_tiny(tmp_path: Path) -> None:
    for mod in ("sklearn", "joblib", "picklescan", "fickling"):
        pytest.importorskip(mod)
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_scan_pickles.py"), "--n", "30", "--dir",
                          str(tmp_path / "pk")], capture_output=True, text=True, env=ENV, timeout=600, check=True).stdout
    assert "mlbom vs picklescan" in out and "mlbom vs fickling" in out
