"""The hashing engine against ``openssl dgst -sha256`` (one core, the practical limit), in one run.

Run by hand: ``python benchmarks/bench_hash.py [DIR]``. Writes a 2 GiB file and 50 shards of
40 MiB under DIR (default /tmp/hashbench) once, then times, best of 3 with a warm page cache:
mlbom on the big file vs openssl on it; mlbom on the 50 shards (two threads) vs openssl run
serially over them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from mlbom.hashing import sha256_file, sha256_files


def ensure(path: Path, size: int) -> None:
    if path.is_file() and path.stat().st_size == size:
        return
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(left, 64 << 20)
            fh.write(os.urandom(n))
            left -= n


def best(fn: object) -> float:
    times = []
    for _ in range(3):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def main(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    big = root / "big.bin"
    ensure(big, 2 << 30)
    shards = []
    for i in range(50):
        p = root / f"shard-{i:02d}.bin"
        ensure(p, 40 << 20)
        shards.append(p)
    t_ml = best(lambda: sha256_file(big))
    t_ssl = best(lambda: subprocess.run(["openssl", "dgst", "-sha256", str(big)], check=True, capture_output=True))
    print(f"2 GiB file: mlbom {t_ml:.2f} s ({2 / t_ml:.2f} GiB/s), openssl {t_ssl:.2f} s -> {t_ssl / t_ml:.2f}x openssl")
    t_ml = best(lambda: list(sha256_files(shards)))
    t_ssl = best(lambda: [subprocess.run(["openssl", "dgst", "-sha256", str(p)], check=True, capture_output=True)
                          for p in shards])
    print(f"50 shards x 40 MiB: mlbom {t_ml:.2f} s ({os.cpu_count()} cores), openssl serially {t_ssl:.2f} s "
          f"-> {t_ssl / t_ml:.2f}x")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/hashbench"))
