"""``mlbom report`` and ``mlbom convert --to spdx3`` on synthetic BOMs of 2,500 to 20,000
components (one finding per 50 components, every component licensed and hashed), run by hand.

Reported as ratios against the floor measured in the same run: reading the BOM
(``mlbom.reader.loads``: JSON parse plus the reader's checks), which every report must do. A
linear renderer keeps the ratio flat as the BOM grows; a quadratic one would double it with
each doubling of the size. Also prints the HTML size per component.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_serialize import synthetic

import mlbom
from mlbom.reader import loads
from mlbom.report import report
from mlbom.spdx3 import to_spdx3


def _doc(n: int) -> bytes:
    doc = json.loads(mlbom.dumps(synthetic(n)))
    for i, c in enumerate(doc["components"]):
        if i % 50 == 0:
            c.setdefault("properties", []).append({"name": "mlbom:finding", "value": f"medium bench.finding: finding {i}"})
    return json.dumps(doc).encode()


def _best(fn: object, repeat: int = 3) -> float:
    assert callable(fn)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    print(f"{'components':>10}  {'read (floor)':>12}  {'html':>12}  {'markdown':>12}  {'text':>12}  {'spdx3':>12}  html bytes/comp")
    for n in (2_500, 5_000, 10_000, 20_000):
        data = _doc(n)
        t_read = _best(lambda data=data: loads(data, name="bench.json"))  # type: ignore[misc]
        bom = loads(data, name="bench.json")
        cols = []
        for fmt in ("html", "markdown", "text"):
            t = _best(lambda fmt=fmt, bom=bom: report(bom, fmt))  # type: ignore[misc]
            cols.append(f"{t:6.2f}s x{t / t_read:4.1f}")
        t_spdx = _best(lambda bom=bom: to_spdx3(bom), repeat=1)  # type: ignore[misc]
        size = len(report(bom, "html").encode())
        print(f"{n:>10}  {t_read:11.2f}s  {cols[0]:>12}  {cols[1]:>12}  {cols[2]:>12}  {t_spdx:6.2f}s x{t_spdx / t_read:4.1f}  "
              f"{size / n:.0f}")


if __name__ == "__main__":
    main()
