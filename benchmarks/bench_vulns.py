"""Vulnerability matching against the whole PyPA advisory database, cold and warm, in one run.

Run by hand: ``python benchmarks/bench_vulns.py [PYPA_DB]`` (default
``../shared/corpus/osv/pypa-advisory-database``). Builds a synthetic environment of 500
distributions — every package the database names (657), first 500 by name, each at version
``0.0.1`` so that most ranges are evaluated and match — and times, best of 3:

* **cold**: open the database with an empty cache (read, parse and schema-validate every
  YAML record, write the index) + match the 500 components;
* **warm**: open it again (listing fingerprint → cached index, checksum, lazy records) + match;
* **floor**: just read the index file and decode its JSON (what any warm run must at least do).

Ratios warm/floor and cold/warm are printed; peak RSS (``ru_maxrss``) of a warm run in a fresh
process shows memory follows the index, not the database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from mlbom.vulns import db as vdb  # noqa: E402
from mlbom.vulns.match import Target, match_all  # noqa: E402


def best(fn: object, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus" / "osv" / "pypa-advisory-database"
    cache = Path(tempfile.mkdtemp(prefix="mlbom-bench-cache-"))
    os.environ["MLBOM_CACHE_DIR"] = str(cache)
    names = vdb.open_database(path, use_cache=False).names()[:500]
    targets = [Target(f"pkg:pypi/{n}@0.0.1", n, "0.0.1") for n in names]

    def cold() -> int:
        for f in (cache / "osv").glob("*"):
            f.unlink()
        d = vdb.open_database(path)
        assert not d.from_cache
        return len(match_all(d, targets)[0])

    def warm() -> int:
        d = vdb.open_database(path)
        assert d.from_cache
        return len(match_all(d, targets)[0])

    cold_s = best(cold)
    matches = warm()
    warm_s = best(warm, 5)
    (index,) = (cache / "osv").glob("index-*.bin")

    def floor() -> None:
        data = vdb.read_index_bytes(index)
        assert data is not None
        orjson.loads(data[data.index(b"\n", len(vdb.INDEX_FORMAT)) + 1:])

    floor_s = best(floor, 5)
    rss = subprocess.run([sys.executable, "-c", (
        "import os,sys,resource; sys.path.insert(0, sys.argv[1]); from mlbom.vulns import db; "
        "d = db.open_database(sys.argv[2]); [d.records_for(n) for n in d.names()[:500]]; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"), str(ROOT), str(path)],
        check=True, capture_output=True, text=True, env=dict(os.environ)).stdout.strip()
    base_rss = subprocess.run([sys.executable, "-c", (
        "import sys,resource; sys.path.insert(0, sys.argv[1]); import mlbom.vulns.db, mlbom.vulns.match; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"), str(ROOT)],
        check=True, capture_output=True, text=True).stdout.strip()
    db_bytes = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    print(f"database: {path} ({db_bytes / 1e6:.1f} MB on disk); index {index.stat().st_size / 1e6:.1f} MB")
    print(f"500 distributions, {matches} matches")
    print(f"cold (parse + validate + index + match): {cold_s:.3f} s")
    print(f"warm (cached index + match):             {warm_s:.3f} s")
    print(f"floor (read + decode the index):         {floor_s:.3f} s")
    print(f"warm / floor = {warm_s / floor_s:.2f}x; cold / warm = {cold_s / warm_s:.1f}x")
    print(f"peak RSS warm run: {int(rss) / 1024:.0f} MiB (interpreter + modules alone: {int(base_rss) / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
