"""``mlbom generate --dataset`` against ``openssl dgst -sha256`` over the same files, in one run.

Run by hand: ``python benchmarks/bench_dataset.py [DIR]``. Writes (once) a dataset of 10,000
small files (1–8 KiB) and one of 20 files of 500 MB under DIR (default /tmp/databench), then
times, best of 3 with a warm page cache: the whole ``mlbom generate --dataset`` (walk, hash,
detect formats, build and validate the BOM) vs openssl over the same files, serially (batches
of 2,000 files per process, openssl's fastest serial form). Peak RSS is reported for 1,000 and
10,000 files to show memory does not grow with the file count beyond the BOM itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def make(root: Path) -> tuple[Path, Path, Path]:
    small, small1k, large = root / "small", root / "small1k", root / "large"
    for d, n in ((small, 10_000), (small1k, 1_000)):
        if not d.is_dir():
            d.mkdir(parents=True)
            for i in range(n):
                (d / f"part-{i:05d}.jsonl").write_bytes(os.urandom(1024 + (i % 8) * 1024))
    if not large.is_dir():
        large.mkdir(parents=True)
        for i in range(20):
            with open(large / f"shard-{i:02d}.bin", "wb") as fh:
                for _ in range(500 // 50):
                    fh.write(os.urandom(50 << 20))
    return small, small1k, large


def timed(cmd: list[str] | str, shell: bool = False) -> float:
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(cmd, shell=shell, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t)
    return best


def rss(cmd: list[str]) -> float:
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, "
            "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], check=True, capture_output=True, text=True).stdout
    return int(out.strip()) / 1024


def main(root: Path) -> None:
    small, small1k, large = make(root)
    mlbom = [sys.executable, "-m", "mlbom", "generate", "--reproducible", "-o", os.devnull, "--dataset"]
    for label, d in (("10,000 small files", small), ("20 files x 500 MB", large)):
        t_ml = timed([*mlbom, str(d)])
        t_ssl = timed(f"find {d} -type f -print0 | xargs -0 -n 2000 openssl dgst -sha256 > /dev/null", shell=True)
        print(f"{label}: mlbom {t_ml:.2f} s, openssl serially {t_ssl:.2f} s -> {t_ssl / t_ml:.2f}x")
    print(f"peak RSS: 1,000 files {rss([*mlbom, str(small1k)]):.0f} MiB, 10,000 files {rss([*mlbom, str(small)]):.0f} MiB, "
          f"20 x 500 MB {rss([*mlbom, str(large)]):.0f} MiB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/databench"))
