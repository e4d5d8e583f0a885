"""``mlbom check`` on a large BOM against the cost of reading that BOM, in one run.

Run by hand: ``python benchmarks/bench_check.py [N]``. Writes a synthetic mlbom-shaped BOM of N
(default 10,000) licensed Python packages, 500 model files (a third of them unsafe pickles) and
1,000 vulnerabilities, then times, best of 3: reading it (:func:`mlbom.reader.load`, the floor:
the check cannot be faster than reading its input) and the whole check with every rule of the
documented policy (docs/policy.md), then each renderer. The figure is the ratio check / read.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make(path: Path, n: int) -> None:
    rnd = random.Random(1)
    lics = ["MIT", "Apache-2.0", "BSD-3-Clause", "MIT OR GPL-3.0-only", "GPL-3.0-only", None]
    comps: list[dict[str, object]] = []
    for i in range(n):
        c: dict[str, object] = {"type": "library", "name": f"pkg{i}", "version": "1.0", "purl": f"pkg:pypi/pkg{i}@1.0",
                                "bom-ref": f"pkg:pypi/pkg{i}@1.0", "hashes": [{"alg": "SHA-256", "content": "a" * 64}]}
        lic = rnd.choice(lics)
        if lic:
            c["licenses"] = [{"expression": lic}] if " " in lic else [{"license": {"id": lic}}]
        comps.append(c)
    files = []
    for i in range(500):
        fmt = rnd.choice(["safetensors", "pickle", "json"])
        files.append({"type": "file", "name": f"w{i}", "bom-ref": f"model:m#w{i}", "properties": [
            {"name": "mlbom:file:format", "value": fmt}, {"name": "mlbom:file:path", "value": f"m/w{i}"},
            {"name": "mlbom:safety:verdict", "value": "unsafe" if fmt == "pickle" else "safe"}]})
    comps += [*files, {"type": "machine-learning-model", "name": "m", "bom-ref": "model:m",
                       "licenses": [{"license": {"id": "MIT"}}]}]
    vulns = [{"id": f"CVE-2099-{i}", "ratings": [{"severity": rnd.choice(["critical", "high", "low"]),
                                                  "score": round(rnd.random() * 10, 1), "method": "CVSSv31"}],
              "affects": [{"ref": f"pkg:pypi/pkg{rnd.randrange(n)}@1.0"}]} for i in range(1000)]
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "metadata": {"tools": {"components": [{"type": "application", "name": "mlbom"}]}},
           "components": comps, "dependencies": [{"ref": "model:m", "dependsOn": [f["bom-ref"] for f in files]}],
           "vulnerabilities": vulns}
    path.write_text(json.dumps(doc))


def best(fn: object, runs: int = 3) -> float:
    out = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out = min(out, time.perf_counter() - t)
    return out


def main() -> None:
    import re

    from mlbom.policy import check_file, render
    from mlbom.policy.config import loads
    from mlbom.reader import load

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    doc = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    policy = loads(re.findall(r"```toml\n(.*?)```", doc, re.S)[1].encode(), "documented.toml")
    with tempfile.TemporaryDirectory() as tmp:
        bom = Path(tmp) / "big.cdx.json"
        make(bom, n)
        read = best(lambda: load(bom))
        check = best(lambda: check_file(bom, policy))
        result = check_file(bom, policy)
        print(f"{n} packages + 500 model files + 1,000 vulnerabilities ({bom.stat().st_size >> 20} MiB), "
              f"{len(result.violations)} violations")
        print(f"read {read:.2f} s; check (read + every rule) {check:.2f} s; ratio {check / read:.1f}x")
        for fmt in ("text", "json", "markdown", "junit", "sarif"):
            print(f"  render {fmt}: {best(lambda f=fmt: render(result, f)):.2f} s")


if __name__ == "__main__":
    main()
