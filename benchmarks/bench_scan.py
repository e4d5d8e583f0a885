"""``mlbom scan`` against modelscan, picklescan and fickling, each in its own venv, in one run.

Run by hand::

    for t in modelscan picklescan fickling; do python3 -m venv /tmp/v-$t && /tmp/v-$t/bin/pip install $t; done
    python benchmarks/bench_scan.py /tmp/scanbench ../shared/corpus/pickles /tmp/v-modelscan /tmp/v-picklescan /tmp/v-fickling

Second mode, the physical floor (issue #12 "Measure")::

    python benchmarks/bench_scan.py floor [--gb 1] [--ckpt-gb 0.5] [--zeros] [--clean] [--dir /tmp/scanfloor]

writes a sharded safetensors model of ``--gb`` GB (4 shards + index; ``--gb 5`` for the issue's
5 GB) and a ``--ckpt-gb`` GB torch checkpoint (``torch.save`` when torch is installed, else the
same zip layout by hand; ``--zeros``: zero-filled tensors — sparse shards, and storages mapped
from one sparse file, so 5 GB inputs are written in seconds without 5 GB of memory), then times
``mlbom scan`` (SHA-256 of every byte + the scan) against
``openssl dgst -sha256`` over the same files, page cache warm, best of 3. The ratio
openssl / mlbom must be >= 0.9: the scan reads headers and pickles, never tensor bytes again.

``/tmp/scanbench`` holds ``big/model.pt`` (a ~500 MB torch.save of 120 float32 1024x1024
tensors), ``big/model.safetensors`` (the same tensors) and ``small/`` (200 small pickles) —
``benchmarks/make_scan_inputs.py`` writes them with torch. Wall time is best of 3; the detection
table runs every tool on every corpus sample and reads its exit code (non-zero = flagged).
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path


def tools(venvs: dict[str, Path]) -> dict[str, list[str]]:
    return {
        "mlbom": [sys.executable, "-m", "mlbom", "scan"],
        "mlbom-nohash": [sys.executable, "-m", "mlbom", "scan", "--no-hash"],
        "modelscan": [str(venvs["modelscan"] / "bin" / "modelscan"), "-p"],
        "picklescan": [str(venvs["picklescan"] / "bin" / "picklescan"), "--path"],
        "fickling": [str(venvs["fickling"] / "bin" / "fickling"), "--check-safety"],
    }


def run(cmd: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=600)
    return time.perf_counter() - t, proc.returncode


def best(cmd: list[str]) -> float:
    return min(run(cmd)[0] for _ in range(3))


def main(inputs: Path, corpus: Path, venvs: dict[str, Path]) -> None:
    cmds = tools(venvs)
    big_pt, big_st, small = inputs / "big" / "model.pt", inputs / "big" / "model.safetensors", inputs / "small"
    gb = big_pt.stat().st_size / 1e9
    print(f"{'tool':<13} {'500MB .pt s':>12} {'s/GB':>7} {'.safetensors s':>15} {'200 pickles s':>14}")
    rows = {}
    for name, cmd in cmds.items():
        t_pt = best([*cmd, str(big_pt)])
        t_st = best([*cmd, str(big_st)])
        if name == "fickling":  # takes one file at a time
            t0 = time.perf_counter()
            for f in sorted(small.iterdir()):
                run([*cmd, str(f)])
            t_small = time.perf_counter() - t0
        else:
            t_small = best([*cmd, str(small)])
        rows[name] = t_pt
        print(f"{name:<13} {t_pt:12.2f} {t_pt / gb:7.2f} {t_st:15.2f} {t_small:14.2f}")
    print(f"modelscan / mlbom on the .pt: {rows['modelscan'] / rows['mlbom']:.1f}x (mlbom hashes all 0.5 GB; modelscan "
          f"reads data.pkl only); without hashing: {rows['modelscan'] / rows['mlbom-nohash']:.1f}x")

    print("\ndetection over the corpus (flagged = non-zero exit; for mlbom: verdict unsafe/suspicious/error)")
    expected = [ln.split("\t")[:2] for ln in (corpus / "EXPECTED.tsv").read_text().splitlines()[1:]]
    header = f"{'sample':<48} {'expected':<12}" + "".join(f"{n:>13}" for n in cmds)
    print(header)
    missed: dict[str, int] = dict.fromkeys(cmds, 0)
    false_pos: dict[str, int] = dict.fromkeys(cmds, 0)
    for rel, verdict in expected:
        cells = []
        for name, cmd in cmds.items():
            _, rc = run([*cmd, str(corpus / rel)])
            flagged = rc != 0
            if verdict != "safe" and not flagged:
                missed[name] += 1
            if verdict == "safe" and flagged:
                false_pos[name] += 1
            cells.append("flag" if flagged else "-")
        print(f"{rel[-48:]:<48} {verdict:<12}" + "".join(f"{c:>13}" for c in cells))
    print("missed (dangerous/unscannable not flagged):", missed)
    print("false positives (safe flagged):", false_pos)


def _write_sharded(d: Path, gb: float, shards: int = 4, zeros: bool = False) -> list[Path]:
    d.mkdir(parents=True, exist_ok=True)
    per_shard = int(gb * 1e9 / shards)
    tensor = 4 << 20  # 1M float32 per tensor
    files, weight_map = [], {}
    for s in range(shards):
        name = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        n = max(1, per_shard // tensor)
        header = {f"l{s}.{i}.weight": {"dtype": "F32", "shape": [1024, 1024], "data_offsets": [i * tensor, (i + 1) * tensor]}
                  for i in range(n)}
        weight_map.update(dict.fromkeys(header, name))
        raw = json.dumps(header).encode()
        raw += b" " * (-len(raw) % 8)
        p = d / name
        if not p.exists() or p.stat().st_size != 8 + len(raw) + n * tensor:
            with open(p, "wb") as fh:
                fh.write(struct.pack("<Q", len(raw)) + raw)
                if zeros:  # a hole: reads as zeros, takes no disk
                    fh.truncate(8 + len(raw) + n * tensor)
                else:
                    block = os.urandom(tensor)
                    for _ in range(n):
                        fh.write(block)
        files.append(p)
    (d / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return files


def _write_checkpoint(p: Path, mb: int = 500, zeros: bool = False) -> Path:
    if p.exists() and p.stat().st_size > mb * 900_000:
        return p
    p.parent.mkdir(parents=True, exist_ok=True)
    n = mb * 1_000_000 // (4 << 20)
    try:
        import torch

        if zeros:  # every storage maps the same sparse 4 MiB file: no memory, real torch.save layout
            src = p.parent / "zeros.bin"
            with open(src, "wb") as fh:
                fh.truncate(4 << 20)
            torch.save({f"layer{i}.weight": torch.empty(0, dtype=torch.float32).set_(
                torch.UntypedStorage.from_file(str(src), True, 4 << 20), 0, (1024, 1024)) for i in range(n)}, p)
            src.unlink()
        else:
            torch.save({f"layer{i}.weight": torch.randn(1024, 1024) for i in range(n)}, p)
    except ImportError:  # the same layout torch writes: data.pkl, then one stored member per storage
        block = bytes(4 << 20) if zeros else os.urandom(4 << 20)
        with zipfile.ZipFile(p, "w") as zf:
            zf.writestr("archive/data.pkl", pickle.dumps({f"layer{i}.weight": i for i in range(n)}, protocol=2))
            zf.writestr("archive/version", "3\n")
            for i in range(n):
                zf.writestr(f"archive/data/{i}", block)
    return p


def _best(cmd: list[str], runs: int = 3) -> float:
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)  # warm the page cache
    return min(run(cmd)[0] for _ in range(runs))


def floor(gb: float, workdir: Path, ckpt_gb: float = 0.5, zeros: bool = False, clean: bool = False) -> None:
    try:
        _floor(gb, workdir, ckpt_gb, zeros)
    finally:
        if clean:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)


def _floor(gb: float, workdir: Path, ckpt_gb: float, zeros: bool) -> None:
    shards = _write_sharded(workdir / "sharded", gb, zeros=zeros)
    ckpt = _write_checkpoint(workdir / "ckpt" / "model.pt", int(ckpt_gb * 1000), zeros=zeros)
    mlbom = [sys.executable, "-m", "mlbom", "scan"]
    lib = [sys.executable, "-c", "import sys, time; import mlbom.scanner as s; t = time.perf_counter(); "
           "s.scan(sys.argv[1:]); print(time.perf_counter() - t)"]
    print("CLI: the whole `mlbom scan` process (interpreter and import start-up included); library: the "
          "mlbom.scan() call in a warm process")
    print(f"{'input':<34} {'bytes':>14} {'openssl s':>10} {'CLI s':>7} {'no-hash s':>10} {'library s':>10} "
          f"{'openssl/CLI':>12} {'openssl/library':>16}")
    for label, paths, folder in ((f"sharded safetensors ({len(shards)} shards)", shards, workdir / "sharded"),
                                 ("torch checkpoint", [ckpt], ckpt)):
        size = sum(p.stat().st_size for p in paths)
        t_ssl = _best(["openssl", "dgst", "-sha256", *map(str, paths)])
        t_mlbom = _best([*mlbom, str(folder)])
        t_nohash = _best([*mlbom, "--no-hash", str(folder)])
        t_lib = min(float(subprocess.run([*lib, str(folder)], capture_output=True, text=True, check=True).stdout)
                    for _ in range(3))
        print(f"{label:<34} {size:>14,} {t_ssl:>10.2f} {t_mlbom:>7.2f} {t_nohash:>10.2f} {t_lib:>10.2f} "
              f"{t_ssl / t_mlbom:>12.2f} {t_ssl / t_lib:>16.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["floor"]:
        import argparse

        ap = argparse.ArgumentParser(prog="bench_scan.py floor")
        ap.add_argument("--gb", type=float, default=1.0)
        ap.add_argument("--ckpt-gb", type=float, default=0.5, help="size of the torch checkpoint")
        ap.add_argument("--zeros", action="store_true", help="zero-filled tensors (sparse files, fast to write)")
        ap.add_argument("--clean", action="store_true", help="delete the inputs afterwards")
        ap.add_argument("--dir", type=Path, default=Path("/tmp/scanfloor"))
        a = ap.parse_args(sys.argv[2:])
        floor(a.gb, a.dir, a.ckpt_gb, a.zeros, a.clean)
    else:
        main(Path(sys.argv[1]), Path(sys.argv[2]),
             {"modelscan": Path(sys.argv[3]), "picklescan": Path(sys.argv[4]), "fickling": Path(sys.argv[5])})
