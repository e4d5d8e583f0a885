"""File manifests at scale (issue #18), every figure a ratio measured in the same run.

Run by hand: ``python benchmarks/bench_manifest.py [--files N] [--dir DIR] [--repeat R] [--no-dask]``
(default 100,000 files of 1–8 KiB under /tmp/mlbom-manifest-bench; ``--files 1000000`` for the
million-file figures; the tree is written once and removed with ``--clean``). mlbom's modules
are byte-compiled first, as an installed copy is. Measures, best of R with a warm page cache:

- the floor: ``openssl dgst -sha256`` over the same files in batches of 2,000 per process,
  serially and with one ``xargs -P`` lane per core;
- ``mlbom manifest DIR`` (walk, hash in worker processes, write the manifest), no cache;
- ``mlbom generate --dataset DIR`` in manifest mode (in turns with the serial floor, which it is
  compared with): wall time and CPU time, peak RSS of the mlbom process and of its largest
  worker, BOM size, manifest size (plain and gzip);
- the same ``generate`` again with a warm hash cache vs the cold run that filled it (a fresh
  cache folder each time), in turns, for both states of the page cache: hot (every file read just
  before the cold run) and cold (the files' pages dropped with ``posix_fadvise(DONTNEED)``, only
  this tree's, before each run); also vs a cold run without the cache (``--no-cache``). Wall time
  best of R and CPU time best of R, each ratio in both (``--cache-only``: only this part);
- 4 shards on a Dask ``distributed`` LocalCluster (one worker process per core) + merge vs one
  ``mlbom manifest`` process.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": str(ROOT)}
"""mlbom runs from bytecode, as an installed copy does (pip compiles on install): with
PYTHONDONTWRITEBYTECODE set, every run would compile mlbom's modules again (0.4 CPU-s here)."""


def make(root: Path, n: int) -> Path:
    data = root / f"data-{n}"
    if data.is_dir():
        return data
    tmp = root / f"tmp-{n}"
    shutil.rmtree(tmp, ignore_errors=True)
    rnd = os.urandom(9000)
    for d in range((n + 999) // 1000):
        sub = tmp / f"d{d:04d}"
        sub.mkdir(parents=True)
        for i in range(min(1000, n - d * 1000)):
            size = 1024 + ((d * 1000 + i) * 7919) % 7169  # 1–8 KiB
            off = (d * 31 + i) % 800
            (sub / f"f{i:04d}.bin").write_bytes(os.urandom(16) + rnd[off:off + size - 16])
    tmp.rename(data)
    return data


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def best(cmd: list[str] | str, repeat: int, *, shell: bool = False) -> float:
    return best_cpu(cmd, repeat, shell=shell)[0]


def best_cpu(cmd: list[str] | str, repeat: int, *, shell: bool = False) -> tuple[float, float]:
    """(best wall seconds, best CPU seconds of the command and everything it started): on a
    shared machine the wall time depends on the neighbours, the CPU time much less."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        c, t = _cpu(), time.perf_counter()
        subprocess.run(cmd, shell=shell, check=False, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, _cpu() - c)
    return wall, cpu


_RSS = ("import resource, sys, time; from mlbom.cli import main; t = time.perf_counter(); rc = main(sys.argv[1:]); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)")


def measured(args: list[str], repeat: int = 1) -> tuple[float, float, float, float]:
    """Best of ``repeat`` runs: (seconds, CPU seconds of mlbom and its workers, peak RSS MiB of
    the mlbom process, of its largest worker)."""
    best = (float("inf"), float("inf"), 0.0, 0.0)
    for _ in range(repeat):
        c = _cpu()
        out = subprocess.run([sys.executable, "-c", _RSS, *args], check=True, env=ENV, capture_output=True, text=True).stdout
        cpu = _cpu() - c
        secs, own, child, _ = out.split()
        best = (min(best[0], float(secs)), min(best[1], cpu), max(best[2], int(own) / 1024), max(best[3], int(child) / 1024))
    return best


def read_all(data: Path) -> None:
    """Every file read once: the page cache holds the tree (as far as memory allows)."""
    subprocess.run(f"find {data} -type f -print0 | xargs -0 cat > /dev/null", shell=True, check=True)


def evict(data: Path) -> None:
    """Drop this tree's pages from the page cache (``posix_fadvise(DONTNEED)`` per file; the
    rest of the machine's cache, and the inodes and dentries, are left alone)."""
    for folder, _, names in os.walk(data):
        for name in names:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def whole(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``python -m mlbom ARGS`` process, start-up included."""
    c, t = _cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-m", "mlbom", *args], check=True, env=ENV, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t, _cpu() - c


def cache_pairs(gen: list[str], data: Path, out: Path, repeat: int, *, cold_pages: bool = True) -> None:
    """The hash cache's ratio (issue #18 item 3): a cold run that fills a fresh cache, then a warm
    re-run, for a hot and a cold page cache, R times in turns; best wall and best CPU of each,
    of the whole process (interpreter start and imports included)."""
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in ("hot-nocache", "hot-cold", "hot-warm", "cold-cold",
                                                                 "cold-warm")}
    load = []
    for r in range(repeat):
        load.append(os.getloadavg()[0])
        read_all(data)
        runs["hot-nocache"].append(whole([*gen, "--no-cache"]))
        cache = out / f"cache-hot-{r}"
        read_all(data)
        runs["hot-cold"].append(whole([*gen, "--cache-dir", str(cache)]))
        runs["hot-warm"].append(whole([*gen, "--cache-dir", str(cache)]))
        if cold_pages and hasattr(os, "posix_fadvise"):
            cache = out / f"cache-cold-{r}"
            evict(data)
            runs["cold-cold"].append(whole([*gen, "--cache-dir", str(cache)]))
            evict(data)
            runs["cold-warm"].append(whole([*gen, "--cache-dir", str(cache)]))
        load.append(os.getloadavg()[0])
    best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in runs.items() if v}
    print(f"hash cache, {repeat} rounds in turns, load average {min(load):.1f}–{max(load):.1f}; best wall s / best CPU-s:")
    for k, (w, c) in best.items():
        print(f"  {k:12} {w:6.2f} s  {c:6.2f} CPU-s   (all: {', '.join(f'{a:.2f}/{b:.2f}' for a, b in runs[k])})")
    for warm, cold in (("hot-warm", "hot-cold"), ("hot-warm", "hot-nocache"), ("cold-warm", "cold-cold")):
        if warm in best and cold in best:
            print(f"  {warm} / {cold}: wall {best[warm][0] / best[cold][0]:.2f}, CPU {best[warm][1] / best[cold][1]:.2f}"
                  f"  (target < 0.33)")


def dask_run(data: Path, out: Path, shards: int) -> float:
    code = ("import sys, time; from pathlib import Path; from mlbom.manifest.distributed import build_on_dask, local_client\n"
            "if __name__ == '__main__':\n"
            "    cluster, client = local_client(int(sys.argv[4]))\n"
            "    try:\n"
            "        t = time.perf_counter()\n"
            "        out = Path(sys.argv[2])\n"
            "        build_on_dask(client, Path(sys.argv[1]), out, shards=int(sys.argv[3]), parts_dir=out.parent)\n"
            "        print(time.perf_counter() - t)\n"
            "    finally:\n"
            "        client.close(); cluster.close()\n")
    script = out.parent / "dask_run.py"
    script.write_text(code)
    res = subprocess.run([sys.executable, str(script), str(data), str(out), str(shards), str(os.cpu_count() or 1)],
                         check=True, env=ENV, capture_output=True, text=True).stdout
    return float(res.split()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "mlbom-manifest-bench")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--quick", action="store_true",
                    help="only the floor (serially) and generate: the 1,000,000-file figures (with --repeat 1)")
    ap.add_argument("--clean", action="store_true", help="remove the tree afterwards")
    ap.add_argument("--cache-only", action="store_true", help="only the hash cache's cold/warm pairs")
    ap.add_argument("--hot-only", action="store_true", help="the cache pairs with a hot page cache only (1,000,000 files)")
    a = ap.parse_args()
    data = make(a.dir, a.files)
    out = a.dir / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    subprocess.run(f"find {data} -type f > /dev/null", shell=True, check=True)  # warm the page cache and dentries
    cores = os.cpu_count() or 1
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "mlbom")], check=True, env=ENV,
                   stdout=subprocess.DEVNULL)
    ml = [sys.executable, "-m", "mlbom"]
    gen = ["generate", "--dataset", str(data), "--max-file-components", "1000", "--reproducible", "-o", str(out / "bom.json")]
    if a.cache_only:
        cache_pairs(gen, data, out, a.repeat, cold_pages=not a.hot_only)
        shutil.rmtree(out, ignore_errors=True)
        return
    # the floor and generate in turns, best of each: on a shared machine the load drifts
    ssl_serial = ssl_cpu = t_gen = cpu_gen = float("inf")
    rss = worker = 0.0
    load = []
    for _ in range(a.repeat):
        load.append(os.getloadavg()[0])
        w, c = best_cpu(f"find {data} -type f -print0 | xargs -0 -n 2000 openssl dgst -sha256 > /dev/null", 1, shell=True)
        ssl_serial, ssl_cpu = min(ssl_serial, w), min(ssl_cpu, c)
        w, c, r, wr = measured([*gen, "--no-cache"])
        t_gen, cpu_gen, rss, worker = min(t_gen, w), min(cpu_gen, c), max(rss, r), max(worker, wr)
    print(f"{a.files:,} files, {cores} cores, load average {min(load):.1f}–{max(load):.1f}")
    if a.quick:
        floor = ssl_serial
        print(f"openssl floor: serial batches {ssl_serial:.2f} s ({ssl_cpu:.2f} CPU-s)")
    else:
        ssl_par = best(f"find {data} -type f -print0 | xargs -0 -n 2000 -P {cores} openssl dgst -sha256 > /dev/null",
                       a.repeat, shell=True)
        t_manifest, cpu_manifest = best_cpu([*ml, "manifest", str(data), "--no-cache", "-o", str(out / "m.jsonl")], a.repeat)
        floor = min(ssl_serial, ssl_par)
        print(f"openssl floor: serial batches {ssl_serial:.2f} s ({ssl_cpu:.2f} CPU-s), {cores} lanes {ssl_par:.2f} s")
        print(f"mlbom manifest (no cache): {t_manifest:.2f} s = {t_manifest / floor:.2f}x the floor; "
              f"{cpu_manifest:.2f} CPU-s = {cpu_manifest / ssl_cpu:.2f}x openssl's CPU time")

    bom, man = (out / "bom.json").stat().st_size, next(out.glob("dataset-*.manifest.jsonl")).stat().st_size
    print(f"generate --dataset (manifest mode, no cache): {t_gen:.2f} s = {t_gen / floor:.2f}x the floor, "
          f"{cpu_gen:.2f} CPU-s = {cpu_gen / ssl_cpu:.2f}x openssl's; peak RSS {rss:.0f} MiB (largest worker "
          f"{worker:.0f} MiB); BOM {bom / 1e3:.1f} kB; manifest {man / 1e6:.1f} MB")
    if a.quick:
        shutil.rmtree(out, ignore_errors=True)
        return
    subprocess.run([*ml, "manifest", str(data), "--no-cache", "-o", str(out / "m.jsonl.gz")], check=True, env=ENV,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"manifest gzip: {(out / 'm.jsonl.gz').stat().st_size / 1e6:.1f} MB")

    cache_pairs(gen, data, out, a.repeat, cold_pages=not a.hot_only)

    if not a.no_dask:
        t_one = best([*ml, "manifest", str(data), "--no-cache", "-o", str(out / "one.jsonl")], 1)
        t_dask = dask_run(data, out / "dask.jsonl", 4)
        same = (out / "dask.jsonl").read_bytes() == (out / "one.jsonl").read_bytes()
        print(f"Dask LocalCluster ({cores} workers), 4 shards + merge: {t_dask:.2f} s vs one mlbom process {t_one:.2f} s "
              f"= {t_dask / t_one:.2f}x; merged manifest byte-identical: {same}")
    shutil.rmtree(out, ignore_errors=True)
    if a.clean:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
