"""``mlbom scan`` against modelscan, picklescan and fickling, each in its own venv, in one run.

Run by hand::

    for t in modelscan picklescan fickling; do python3 -m venv /tmp/v-$t && /tmp/v-$t/bin/pip install $t; done
    python benchmarks/bench_scan.py /tmp/scanbench ../shared/corpus/pickles /tmp/v-modelscan /tmp/v-picklescan /tmp/v-fickling

``/tmp/scanbench`` holds ``big/model.pt`` (a ~500 MB torch.save of 120 float32 1024x1024
tensors), ``big/model.safetensors`` (the same tensors) and ``small/`` (200 small pickles) —
``benchmarks/make_scan_inputs.py`` writes them with torch. Wall time is best of 3; the detection
table runs every tool on every corpus sample and reads its exit code (non-zero = flagged).
"""

from __future__ import annotations

import subprocess
import sys
import time
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


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]),
         {"modelscan": Path(sys.argv[3]), "picklescan": Path(sys.argv[4]), "fickling": Path(sys.argv[5])})
