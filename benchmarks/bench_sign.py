"""Signing and verification at scale, and ``verify --artifacts`` against openssl, in one run.

Run by hand: ``python benchmarks/bench_sign.py [--components 1000,10000] [--gib 2] [--files 50]``.

1. Synthetic BOMs (the serialization benchmark's): ES256 (the default key) JSF ``sign`` and the
   whole ``verify`` (parse strictly, verify, trust, validate against the schema) next to
   ``json.dumps`` of the same document.
2. ``verify --artifacts`` over a release folder of ``--gib`` GiB in ``--files`` files (written
   once under ``/tmp/signbench``): the whole folder check (walk, lstat, O_NOFOLLOW open, SHA-256 of
   every file, in parallel) against ``openssl dgst -sha256`` over the same files — serially (one
   process) and in parallel (``xargs -P`` with as many processes as mlbom has threads), both
   after one warm-up pass so every run reads from the page cache.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_serialize import synthetic

import mlbom
from mlbom import signing
from mlbom.trust import TrustPolicy
from mlbom.verification import verify_bytes


def best(fn: object, n: int = 3) -> float:
    out = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out = min(out, time.perf_counter() - t)
    return out


def bench_boms(sizes: list[int]) -> None:
    key = signing.generate_key("es256")
    policy = TrustPolicy.from_keys([key.public_key()])
    print(f"{'components':>10} {'json.dumps s':>13} {'sign s':>8} {'verify s':>9} {'verify/dumps':>13}")
    for n in sizes:
        data = mlbom.dumps(synthetic(n))
        doc = json.loads(data)
        reps = 3 if n < 100_000 else 1
        t_dump = best(lambda doc=doc: json.dumps(doc), reps)
        signed = signing.sign(data, key)
        t_sign = best(lambda data=data: signing.sign(data, key), reps)
        t_ver = best(lambda signed=signed: verify_bytes(signed, policy), reps)
        print(f"{n:>10} {t_dump:13.3f} {t_sign:8.3f} {t_ver:9.3f} {t_ver / t_dump:13.1f}")


def bench_artifacts(gib: float, files: int) -> None:
    root = Path(f"/tmp/signbench-{gib:g}g-{files}")
    size = int(gib * (1 << 30)) // files
    model = root / "model"
    if not model.is_dir() or len(list(model.iterdir())) != files:
        model.mkdir(parents=True, exist_ok=True)
        block = os.urandom(1 << 20)
        for i in range(files):
            with open(model / f"shard-{i:03d}.safetensors", "wb") as fh:
                for _ in range(size >> 20):
                    fh.write(block)
                fh.write(os.urandom(i + 1))  # every file different
    key = signing.generate_key("es256")
    here = Path.cwd()
    os.chdir(root)
    try:
        bom = mlbom.dumps(mlbom.generate(models=Path("model"), reproducible=True))
    finally:
        os.chdir(here)
    signed = signing.sign(bom, key)
    policy = TrustPolicy.from_keys([key.public_key()])
    paths = sorted(str(p) for p in model.iterdir())
    workers = min(8, os.cpu_count() or 1)

    def ours() -> None:
        r = verify_bytes(signed, policy, artifacts=root)
        assert r.artifacts is not None and r.artifacts.ok and len(r.artifacts.verified) == files

    def openssl_serial() -> None:
        subprocess.run(["openssl", "dgst", "-sha256", *paths], check=True, capture_output=True)

    def openssl_parallel() -> None:
        subprocess.run(["xargs", "-0", "-n", "1", "-P", str(workers), "openssl", "dgst", "-sha256"],
                       input="\0".join(paths).encode(), check=True, capture_output=True)

    openssl_serial()  # warm the page cache
    t_ours = best(ours)
    t_ser = best(openssl_serial)
    t_par = best(openssl_parallel)
    total = sum(os.path.getsize(p) for p in paths) / (1 << 30)
    print(f"verify --artifacts over {total:.2f} GiB ({files} files, {workers} threads): mlbom {t_ours:.2f} s; "
          f"openssl serially {t_ser:.2f} s -> {t_ser / t_ours:.2f}x; openssl -P {workers} {t_par:.2f} s -> "
          f"{t_par / t_ours:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--components", default="1000,10000")
    ap.add_argument("--gib", type=float, default=2.0)
    ap.add_argument("--files", type=int, default=50)
    args = ap.parse_args()
    bench_boms([int(x) for x in args.components.split(",") if x])
    if args.gib > 0:
        bench_artifacts(args.gib, args.files)


if __name__ == "__main__":
    main()
