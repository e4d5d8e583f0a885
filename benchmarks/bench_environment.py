"""``mlbom generate --env`` against ``cyclonedx-py environment`` on the same virtualenv, and
``--verify-record`` against ``openssl dgst -sha256`` over the same bytes, in one run.

Run by hand::

    python3 -m venv /tmp/mlvenv && /tmp/mlvenv/bin/pip install torch==2.13.0 transformers datasets scikit-learn pandas
    python3 -m venv /tmp/cdx && /tmp/cdx/bin/pip install cyclonedx-bom
    python benchmarks/bench_environment.py /tmp/mlvenv /tmp/cdx/bin/cyclonedx-py

Each tool runs as its own process, three times; the best wall time counts, with the child's
peak RSS. Counts compare components and dependency edges of the two BOMs.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str]) -> tuple[float, float]:
    """Best-of-3 wall seconds and peak RSS (MiB) of a command."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return best, rss


def counts(path: Path) -> tuple[int, int]:
    doc = json.loads(path.read_text())
    libs = [c for c in doc.get("components", []) if c.get("type") == "library"]
    edges = sum(len(d.get("dependsOn", [])) for d in doc.get("dependencies", [])
                if d["ref"] != doc["metadata"].get("component", {}).get("bom-ref"))
    return len(libs), edges


def record_files(venv: Path) -> list[Path]:
    """Every file a RECORD lists with a sha256 (what --verify-record hashes)."""
    files: list[Path] = []
    for rec in sorted(venv.glob("lib/python*/site-packages/*.dist-info/RECORD")):
        site = rec.parent.parent
        for line in rec.read_text("utf-8", "replace").splitlines():
            parts = line.rsplit(",", 2)
            if len(parts) == 3 and parts[1].startswith("sha256="):
                p = Path(os.path.normpath(site / parts[0]))
                if p.is_file() and p.is_relative_to(venv):
                    files.append(p)
    return files


def main(venv: Path, cdx_py: str) -> None:
    mlbom = [sys.executable, "-m", "mlbom"]
    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs = Path(tmp, "mlbom.json"), Path(tmp, "cdx.json")
        t_ml, rss_ml = timed([*mlbom, "generate", "--env", str(venv), "--reproducible", "-o", str(ours)])
        t_cdx, _ = timed([cdx_py, "environment", str(venv / "bin" / "python"), "--of", "JSON", "-o", str(theirs)])
        t_cdx_nv, _ = timed([cdx_py, "environment", str(venv / "bin" / "python"), "--of", "JSON", "--no-validate",
                             "-o", str(theirs)])
        n_ml, e_ml = counts(ours)
        n_cdx, e_cdx = counts(theirs)
        print(f"{'tool':<40} {'wall s':>8} {'libs':>5} {'edges':>6}")
        print(f"{'mlbom generate --env (validates)':<40} {t_ml:8.2f} {n_ml:5d} {e_ml:6d}   peak RSS {rss_ml:.0f} MiB")
        print(f"{'cyclonedx-py environment (validates)':<40} {t_cdx:8.2f} {n_cdx:5d} {e_cdx:6d}")
        print(f"{'cyclonedx-py environment --no-validate':<40} {t_cdx_nv:8.2f}")
        print(f"speed-up vs cyclonedx-py: {t_cdx / t_ml:.1f}x (vs its --no-validate: {t_cdx_nv / t_ml:.1f}x)")

        files = record_files(venv)
        size = sum(f.stat().st_size for f in files)
        t_rec, _ = timed([*mlbom, "generate", "--env", str(venv), "--reproducible", "--verify-record",
                          "-o", str(ours)])
        listing = Path(tmp, "files")
        listing.write_text("\n".join(str(f) for f in files))
        openssl = shutil.which("openssl") or "openssl"
        t_ssl = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            # one openssl process over every file, in batches (as fast as openssl gets serially)
            subprocess.run(f"xargs -d '\\n' -n 2000 {openssl} dgst -sha256 < {listing} > /dev/null", shell=True, check=True)
            t_ssl = min(t_ssl, time.perf_counter() - t)
        print(f"--verify-record over {len(files)} files, {size / 1e9:.2f} GB: mlbom {t_rec:.2f} s "
              f"(whole generate) vs openssl dgst -sha256 {t_ssl:.2f} s -> {t_ssl / t_rec:.2f}x openssl's speed")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), sys.argv[2])
