"""``python -m fuzz [--list] [--minutes N] [--target NAME]… [--replay DIR]``."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

from fuzz.harness import ROOT, SLOW_SECONDS, Target, all_targets


def _save(target: Target, data: bytes, kind: str) -> Path:
    out = ROOT / "fuzz" / "crashes" / target.name
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{kind}-{hashlib.sha256(data).hexdigest()[:16]}"
    path.write_bytes(data)
    return path


def replay(targets: list[Target], paths: list[Path]) -> int:
    bad = 0
    for target in targets:
        for path in paths or list(target.seed_files()):
            crash, took = target.check(path.read_bytes())
            if crash is not None or took > SLOW_SECONDS:
                bad += 1
                print(f"{target.name}: {path}: {type(crash).__name__ if crash else f'slow {took:.1f}s'}: {crash or ''}")
    print(f"replayed {len(targets)} target(s): {bad} problem(s)")
    return 1 if bad else 0


def fuzz_one(target: Target, seconds: float) -> None:
    """Run atheris on one target in this process for ``seconds`` (atheris owns the process)."""
    import atheris  # type: ignore[import-not-found]

    deadline = time.monotonic() + seconds

    def one(data: bytes) -> None:
        if time.monotonic() > deadline:
            os._exit(0)
        crash, took = target.check(data)
        if crash is not None:
            path = _save(target, data, "crash")
            print(f"\n{target.name}: {type(crash).__name__}: {crash} -> {path}", flush=True)
        elif took > SLOW_SECONDS and len(data) < 1 << 20:
            path = _save(target, data, "slow")
            print(f"\n{target.name}: slow input ({took:.1f}s) -> {path}", flush=True)

    corpus = ROOT / "fuzz" / "corpus" / target.name
    corpus.mkdir(parents=True, exist_ok=True)
    for seed in target.seed_files():
        (corpus / seed.name).write_bytes(seed.read_bytes())
    atheris.Setup([sys.argv[0], str(corpus), f"-max_len={target.max_len}", "-rss_limit_mb=4096"], one)
    atheris.Fuzz()


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    ap.add_argument("--list", action="store_true", help="name every target and exit")
    ap.add_argument("--target", action="append", default=[], help="fuzz only these targets (repeatable)")
    ap.add_argument("--minutes", type=float, default=1.0, help="minutes per target")
    ap.add_argument("--replay", type=Path, action="append", default=[], help="run these files (or the seeds) once and report")
    args = ap.parse_args()
    targets = [t for t in all_targets() if not args.target or t.name in args.target]
    if args.list:
        for t in targets:
            print(f"{t.name}\t{t.description}")
        return 0
    if args.replay or not targets:
        files = [p for d in args.replay for p in (sorted(d.rglob("*")) if d.is_dir() else [d]) if p.is_file()]
        return replay(targets, files)
    import subprocess

    rc = 0
    for t in targets:
        # One process per target: atheris takes over its process and exits when done.
        code = "import sys; from fuzz.__main__ import _child; _child(sys.argv[1], float(sys.argv[2]))"
        proc = subprocess.run([sys.executable, "-c", code, t.name, str(args.minutes * 60)], cwd=ROOT, check=False)
        rc |= proc.returncode not in (0,)
    return rc


def _child(name: str, seconds: float) -> None:
    (target,) = [t for t in all_targets() if t.name == name]
    fuzz_one(target, seconds)


if __name__ == "__main__":
    raise SystemExit(main())
