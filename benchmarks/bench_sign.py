"""Signing and verification at scale, and ``verify --artifacts`` against openssl, in one run.

Run by hand: ``python benchmarks/bench_sign.py``. For synthetic BOMs of 1k, 10k and 100k
components: Ed25519 JSF sign and verify times next to ``json.dumps`` of the same document (the
issue's yardstick) — the ratio shows where canonicalization (RFC 8785) costs. Then
``verify --artifacts`` over a release folder of 2 GiB (50 files) against ``openssl dgst
-sha256`` over the same files, serially.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_serialize import synthetic

import mlbom
from mlbom import jsf, signing


def best(fn: object, n: int = 3) -> float:
    out = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out = min(out, time.perf_counter() - t)
    return out


def main() -> None:
    key = signing.generate_key("ed25519")
    print(f"{'components':>10} {'json.dumps s':>13} {'JCS+sig s':>10} {'ratio':>6} {'sign s':>8} {'verify s':>9} "
          f"{'sign/dumps':>11}")
    for n in (1000, 10_000, 100_000):
        data = mlbom.dumps(synthetic(n))
        doc = json.loads(data)
        t_dump = best(lambda doc=doc: json.dumps(doc), 3 if n < 100_000 else 1)
        signed: list[bytes] = []
        t_sign = best(lambda signed=signed, data=data: signed.append(signing.sign(data, key)), 3 if n < 100_000 else 1)
        t_ver = best(lambda signed=signed: signing.verify(signed[-1], [key.public_key()]), 3 if n < 100_000 else 1)
        t_jcs = best(lambda doc=doc: key.sign(jsf.canonicalize(doc)), 3 if n < 100_000 else 1)
        print(f"{n:>10} {t_dump:13.3f} {t_jcs:10.3f} {t_jcs / t_dump:6.2f} {t_sign:8.3f} {t_ver:9.3f} "
              f"{t_sign / t_dump:11.1f}")

    root = Path("/tmp/signbench")
    if not root.is_dir():
        (root / "model").mkdir(parents=True)
        import os

        for i in range(50):
            (root / "model" / f"shard-{i:02d}.safetensors").write_bytes(os.urandom(41_943_040))
    bom = mlbom.dumps(mlbom.generate(models=root / "model", reproducible=True))
    # the BOM's paths are relative to the current folder: verify from there
    here = Path.cwd()
    t_art = best(lambda: signing.verify(signing.sign(bom, key), [key.public_key()], artifacts=here))
    files = sorted((root / "model").iterdir())
    t_ssl = best(lambda: subprocess.run(["openssl", "dgst", "-sha256", *map(str, files)], check=True,
                                        capture_output=True))
    print(f"verify --artifacts over 2 GiB (50 files): mlbom {t_art:.2f} s, openssl serially {t_ssl:.2f} s "
          f"-> {t_ssl / t_art:.2f}x")


if __name__ == "__main__":
    main()
