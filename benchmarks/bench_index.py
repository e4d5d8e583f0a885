"""``mlbom index``: ingest N BOMs of M components into SQLite and PostgreSQL, then time the
compliance questions. Run by hand:

    python benchmarks/bench_index.py [--boms 1000] [--components 2000] [--pg URL]

Without ``--pg`` a throwaway PostgreSQL is started on loopback (tests/postgres_server.py).

Ingest goes the way ``mlbom index add`` does: files read and checked in parallel worker
processes (:func:`mlbom.index.prepare_files`), written one transaction per BOM by one writer.
Each synthetic BOM is one release: 85% libraries (pkg:pypi purls drawn from 6,000 names,
versions varying between releases), 14% files with a SHA-256 (some shared between releases, as
unchanged weights are), 1% models with a base model. BOMs are generated as JSON bytes in memory
and are written to files first.

Reported beside mlbom's ingest rate: the bulk-load floor of the same rows on the same database
— one ``executemany`` of plain tuples with the sqlite3 module, PostgreSQL ``COPY`` through
psycopg — so the figure reads as a ratio against what the database itself can take.
Queries are timed warm: the median of 20 runs of each, each with a different package/hash.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlbom import index as ix

PG_DIR = Path("/tmp/mlbom-bench-postgres")  # readable by the postgres user when run as root
NAMES = [f"pkg{i:05d}" for i in range(6000)]


def make_bom(k: int, n: int, rng: random.Random) -> bytes:
    comps = []
    names = rng.sample(NAMES, int(n * 0.85))
    for name in names:
        v = f"{rng.randint(0, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
        comps.append({"type": "library", "bom-ref": f"pkg:pypi/{name}@{v}", "name": name, "version": v,
                      "purl": f"pkg:pypi/{name}@{v}", "licenses": [{"license": {"id": rng.choice(["MIT", "Apache-2.0", "BSD-3-Clause"])}}]})
    for j in range(int(n * 0.14)):
        shared = rng.random() < 0.5
        sha = f"{rng.randrange(1 << 20):064x}" if shared else rng.randbytes(32).hex()
        comps.append({"type": "file", "bom-ref": f"file:{j}", "name": f"model-{j:05d}.safetensors",
                      "hashes": [{"alg": "SHA-256", "content": sha}],
                      "properties": [{"name": "mlbom:safety:verdict", "value": "unsafe" if rng.random() < 0.001 else "safe"}]})
    while len(comps) < n:
        j = len(comps)
        comps.append({"type": "machine-learning-model", "bom-ref": f"model:{j}", "name": f"m{j}",
                      "pedigree": {"ancestors": [{"type": "machine-learning-model", "bom-ref": f"base:{j}",
                                                  "purl": f"pkg:huggingface/org/base-{rng.randrange(50)}"}]}})
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": f"urn:uuid:00000000-0000-4000-8000-{k:012d}",
           "version": 1, "metadata": {"timestamp": "2026-11-23T00:00:00Z",
                                      "component": {"type": "application", "bom-ref": "root", "name": f"release-{k % 50}",
                                                    "version": f"{k // 50}.0"}},
           "components": comps, "dependencies": [{"ref": "root", "dependsOn": [c["bom-ref"] for c in comps]}]}
    return orjson.dumps(doc)


def floor_rows(boms: list[bytes]) -> list[tuple[object, ...]]:
    rows = []
    for rid, raw in enumerate(boms, 1):
        for i, c in enumerate(orjson.loads(raw)["components"]):
            rows.append((rid, i, c["bom-ref"], c["type"], None, c["name"], c["name"].lower(), c.get("version"),
                         c.get("purl"), None, None, None, None, 0, None, None))
    return rows


def bulk_floor(url: str, boms: list[bytes]) -> float:
    """Seconds to load the component rows alone, as fast as the database takes them."""
    rows = floor_rows(boms)
    if url.startswith("sqlite"):
        import sqlite3

        path = url.split("///", 1)[1]
        con = sqlite3.connect(path)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("CREATE TABLE f (release_id INTEGER, ordinal INTEGER, bom_ref TEXT, type TEXT, grp TEXT, name TEXT, "
                    "name_lc TEXT, version TEXT, purl TEXT, purl_base TEXT, licenses TEXT, verdict TEXT, max_severity TEXT, "
                    "findings INTEGER, file_format TEXT, properties TEXT, PRIMARY KEY (release_id, ordinal))")
        con.execute("CREATE INDEX fi ON f (name_lc)")
        t = time.perf_counter()
        with con:
            con.executemany("INSERT INTO f VALUES (" + ",".join("?" * 16) + ")", rows)
        took = time.perf_counter() - t
        con.close()
        return took
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS f")
        con.execute("CREATE UNLOGGED TABLE f (release_id INTEGER, ordinal INTEGER, bom_ref TEXT, type TEXT, grp TEXT, "
                    "name TEXT, name_lc TEXT, version TEXT, purl TEXT, purl_base TEXT, licenses TEXT, verdict TEXT, "
                    "max_severity TEXT, findings INTEGER, file_format TEXT, properties TEXT, PRIMARY KEY (release_id, ordinal))")
        con.execute("CREATE INDEX fi ON f (name_lc)")
        t = time.perf_counter()
        with con.cursor() as cur, cur.copy("COPY f FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)
        took = time.perf_counter() - t
        con.execute("DROP TABLE f")
        return took


def timed_queries(url: str, rng: random.Random, shas: list[str]) -> dict[str, float]:
    engine = ix.open_index(url)
    out: dict[str, list[float]] = {"package+range": [], "sha256": [], "base-model": [], "unsafe": []}
    for k in range(20):
        name = rng.choice(NAMES)
        t = time.perf_counter()
        ix.query(engine, ix.IndexFilters(name=name, version_spec=">=2,<4"))
        out["package+range"].append(time.perf_counter() - t)
        t = time.perf_counter()
        ix.query(engine, ix.IndexFilters(sha256=shas[k % len(shas)]))
        out["sha256"].append(time.perf_counter() - t)
        t = time.perf_counter()
        ix.query(engine, ix.IndexFilters(base_model=f"pkg:huggingface/org/base-{k}"))
        out["base-model"].append(time.perf_counter() - t)
        t = time.perf_counter()
        ix.query(engine, ix.IndexFilters(properties=(("mlbom:safety:verdict", "unsafe"),)))
        out["unsafe"].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in out.items()}


def run(label: str, url: str, boms: list[bytes], floor_url: str, files: list[str]) -> None:
    engine = ix.open_index(url)
    t = time.perf_counter()
    n_comp = 0
    for prep in ix.prepare_files(files):  # the path `mlbom index add` takes: parallel preparation, one writer
        assert not isinstance(prep, str), prep
        n_comp += ix.write(engine, prep).components
    took = time.perf_counter() - t
    floor = bulk_floor(floor_url, boms)
    print(f"{label}: ingest {len(boms)} BOMs / {n_comp} components in {took:.1f} s = {len(boms) / took:.1f} BOMs/s, "
          f"{n_comp / took:,.0f} components/s; bulk-load floor of the component rows alone {floor:.1f} s "
          f"(mlbom = {took / floor:.1f}x the floor, for components + hashes + links + parsing + one transaction per BOM)")
    shas = [c["hashes"][0]["content"] for raw in boms[:20] for c in orjson.loads(raw)["components"] if c["type"] == "file"][:20]
    for q, sec in timed_queries(url, random.Random(7), shas).items():
        print(f"  query {q:<14} median {sec * 1000:6.1f} ms  (target < 100 ms)")
    ix.dispose_all()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--boms", type=int, default=1000)
    ap.add_argument("--components", type=int, default=2000)
    ap.add_argument("--pg", help="PostgreSQL URL (default: start a throwaway server)")
    ap.add_argument("--only", choices=["sqlite", "postgresql"])
    args = ap.parse_args()
    rng = random.Random(1)
    t = time.perf_counter()
    boms = [make_bom(k, args.components, rng) for k in range(args.boms)]
    print(f"generated {len(boms)} BOMs, {sum(map(len, boms)) / 1e6:.0f} MB of JSON, in {time.perf_counter() - t:.1f} s")
    with tempfile.TemporaryDirectory() as d:
        files = []
        for k, raw in enumerate(boms):
            f = Path(d) / f"bom{k:04d}.json"
            f.write_bytes(raw)
            files.append(str(f))
        if args.only in (None, "sqlite"):
            run("SQLite", f"sqlite:///{d}/index.db", boms, f"sqlite:///{d}/floor.db", files)
        if args.only in (None, "postgresql"):
            url = args.pg
            started = False
            if url is None:
                sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
                import postgres_server

                url = postgres_server.start(PG_DIR)
                started = True
            import psycopg

            admin = url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(admin, autocommit=True) as con:
                con.execute("DROP DATABASE IF EXISTS mlbom_bench WITH (FORCE)")
                con.execute("CREATE DATABASE mlbom_bench")
            bench_url = admin.rsplit("/", 1)[0] + "/mlbom_bench"
            try:
                run("PostgreSQL", bench_url, boms, bench_url, files)
            finally:
                if started:
                    postgres_server.stop(PG_DIR)


if __name__ == "__main__":
    main()
