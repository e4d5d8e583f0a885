"""``mlbom diff`` of two BOMs of 50,000 components (and 5,000, to show linearity), run by hand.

The new BOM has 1% of versions changed, 1% of hashes drifted, 100 added and 100 removed
components. Timed: diffing the two parsed documents, and the whole ``mlbom diff`` command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_serialize import synthetic

import mlbom
from mlbom.diff import diff
from mlbom.reader import load


def pair(n: int, tmp: Path) -> tuple[Path, Path]:
    old = json.loads(mlbom.dumps(synthetic(n)))
    new = json.loads(json.dumps(old))
    comps = new["components"]
    for i, c in enumerate(comps):
        if i % 100 == 0:
            c["version"] = c["version"] + ".post1"
        elif i % 100 == 1:
            c["hashes"] = [{"alg": "SHA-256", "content": "f" * 64}]
    gone = {c["bom-ref"] for c in comps[:100]}
    del comps[:100]
    new["dependencies"] = [d for d in new["dependencies"] if d["ref"] not in gone]
    for d in new["dependencies"]:
        d["dependsOn"] = [t for t in d.get("dependsOn", []) if t not in gone]
    comps += [dict(c, name=c["name"] + "-new", purl=c["purl"].replace("pkg-", "new-"), **{"bom-ref": c["bom-ref"] + "-new"})
              for c in comps[:100]]
    a, b = tmp / f"old{n}.json", tmp / f"new{n}.json"
    a.write_text(json.dumps(old))
    b.write_text(json.dumps(new))
    return a, b


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        for n in (5_000, 50_000):
            a, b = pair(n, Path(d))
            da, db = load(a).doc, load(b).doc
            t = time.perf_counter()
            changes = diff(da, db)
            t_diff = time.perf_counter() - t
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "mlbom", "diff", str(a), str(b), "--format", "json"], check=True,
                           stdout=subprocess.DEVNULL)
            t_cmd = time.perf_counter() - t
            print(f"{n} components: {len(changes)} changes; diff {t_diff:.2f} s, whole command {t_cmd:.2f} s")


if __name__ == "__main__":
    main()
