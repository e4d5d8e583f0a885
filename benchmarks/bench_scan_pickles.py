"""Many small pickles: ``mlbom`` against picklescan and fickling, speed and verdict agreement.

Run by hand (the issue's size; ``--n 50`` is the CI-sized run)::

    python benchmarks/bench_scan_pickles.py --n 10000 [--dir /tmp/scanpickles] [--keep]

Inputs: ``--n`` files written by real libraries — scikit-learn estimators (StandardScaler,
LogisticRegression, DecisionTree, RandomForest, KMeans, a TF-IDF + logistic-regression Pipeline),
NumPy arrays (float, int, structured, object arrays of strings) and dicts of arrays — each saved
with ``pickle`` (protocol 4 and 5) and ``joblib.dump``. 60 distinct objects × 3 writers are fitted
once and written round-robin under distinct names (fitting 10,000 models would time the fitting).

Each tool runs in its own process and scans every file through its Python API (fickling's CLI
takes one file per process: 10,000 interpreter starts would time the interpreter): wall seconds
for the whole process (start-up and imports included) and for the scan loop alone. Flagged means:
mlbom — verdict other than ``safe``; picklescan — an infected file or a scan error; fickling —
``is_likely_safe`` is false. All inputs are benign, so every flag is a false positive; the
agreement table says where the tools differ and on what kind of file.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

TOOLS = ("mlbom", "picklescan", "fickling")


def _objects() -> list[tuple[str, object]]:
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    out: list[tuple[str, object]] = []
    docs = ["the cat sat", "a dog ran", "the dog sat", "a cat ran", "cats and dogs", "nothing here"]
    for seed in range(6):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(40, 5))
        y = (x[:, 0] > 0).astype(int)
        out += [
            ("sk-scaler", StandardScaler().fit(x)),
            ("sk-logreg", LogisticRegression().fit(x, y)),
            ("sk-tree", DecisionTreeClassifier(max_depth=3, random_state=seed).fit(x, y)),
            ("sk-forest", RandomForestClassifier(n_estimators=3, max_depth=3, random_state=seed).fit(x, y)),
            ("sk-kmeans", KMeans(n_clusters=2, n_init=1, random_state=seed).fit(x)),
            ("sk-tfidf-pipeline", make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, [0, 1, 0, 1, 1, 0])),
            ("np-float", rng.normal(size=(32, 8)).astype(np.float32)),
            ("np-int", rng.integers(0, 100, size=64)),
            ("np-structured", np.zeros(4, dtype=[("a", "<i4"), ("b", "<f8", (2,))])),
            ("np-object-strings", np.array(["a", "bc", str(seed)], dtype=object)),
        ]
    return out


def write_inputs(d: Path, n: int) -> dict[str, str]:
    """``n`` files under ``d``; returns file name → kind."""
    import joblib

    d.mkdir(parents=True, exist_ok=True)
    blobs: list[tuple[str, str, bytes | object]] = []
    for kind, obj in _objects():
        blobs.append((kind, "p4", pickle.dumps(obj, protocol=4)))
        blobs.append((kind, "p5", pickle.dumps(obj, protocol=5)))
        blobs.append((kind, "joblib", obj))
    kinds: dict[str, str] = {}
    for i in range(n):
        kind, how, payload = blobs[i % len(blobs)]
        name = f"{i:05d}-{kind}-{how}.{'joblib' if how == 'joblib' else 'pkl'}"
        if how == "joblib":
            joblib.dump(payload, d / name)
        else:
            (d / name).write_bytes(payload)  # type: ignore[arg-type]
        kinds[name] = f"{kind} ({how})"
    return kinds


def scan_with(tool: str, d: Path) -> None:
    """Child process: scan every file of ``d`` with ``tool``; print JSON {seconds, flagged}."""
    t0 = time.perf_counter()
    files = sorted(d.iterdir())
    flagged: dict[str, bool] = {}
    if tool == "mlbom":
        from mlbom.scanner import scan

        t0 = time.perf_counter()
        for r in scan(d, with_hash=False):
            flagged[Path(r.path).name] = r.verdict != "safe"
    elif tool == "picklescan":
        from picklescan.scanner import scan_file_path

        t0 = time.perf_counter()
        for f in files:
            res = scan_file_path(str(f))
            flagged[f.name] = bool(res.infected_files or res.scan_err)
    else:
        import fickling

        t0 = time.perf_counter()
        for f in files:
            try:
                flagged[f.name] = not fickling.is_likely_safe(str(f))
            except Exception:  # fickling raises on what it cannot parse: counted as flagged
                flagged[f.name] = True
    print(json.dumps({"seconds": time.perf_counter() - t0, "flagged": flagged}))


def main(n: int, d: Path, keep: bool) -> None:
    if d.exists():
        shutil.rmtree(d)
    kinds = write_inputs(d, n)
    print(f"{n} files, {sum(f.stat().st_size for f in d.iterdir()):,} bytes, in {d}")
    results: dict[str, dict[str, bool]] = {}
    print(f"{'tool':<11} {'process s':>10} {'scan s':>8} {'files/s':>9} {'flagged':>8}")
    base: float | None = None
    for tool in TOOLS:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--child", tool, "--dir", str(d)], capture_output=True,
                              text=True, check=False)
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            print(f"{tool:<11} not run: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
            continue
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        results[tool] = out["flagged"]
        base = base or wall
        print(f"{tool:<11} {wall:>10.2f} {out['seconds']:>8.2f} {n / out['seconds']:>9.0f} "
              f"{sum(out['flagged'].values()):>8}   ({wall / base:.2f}x mlbom's process time)")
    if "mlbom" in results:
        for other in (t for t in TOOLS if t != "mlbom" and t in results):
            same = sum(results["mlbom"][f] == results[other][f] for f in kinds)
            print(f"\nmlbom vs {other}: same verdict on {same}/{n} files")
            diff = Counter((kinds[f], results["mlbom"][f], results[other][f]) for f in kinds
                           if results["mlbom"][f] != results[other][f])
            for (kind, m, o), c in sorted(diff.items()):
                print(f"  {c:>6} × {kind:<30} mlbom {'flags' if m else 'safe'}, {other} {'flags' if o else 'safe'}")
    if not keep:
        shutil.rmtree(d)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--n", type=int, default=10_000, help="how many files (default 10000; CI: 50)")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/scanpickles"))
    ap.add_argument("--keep", action="store_true", help="keep the inputs")
    ap.add_argument("--child", choices=TOOLS, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        scan_with(a.child, a.dir)
    else:
        main(a.n, a.dir, a.keep)
