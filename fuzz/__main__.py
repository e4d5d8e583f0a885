"""``python -m fuzz [--list] [--minutes N] [--max-len BYTES] [--instrument MODULES] [--target NAME]… [--replay DIR]``."""

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
        target.check(b"")  # imports and caches warm: the time bound is for the parse, not start-up
        for path in paths or list(target.seed_files()):
            crash, took = target.check(path.read_bytes())
            if crash is not None or took > SLOW_SECONDS:
                bad += 1
                print(f"{target.name}: {path}: {type(crash).__name__ if crash else f'slow {took:.1f}s'}: {crash or ''}")
    print(f"replayed {len(targets)} target(s): {bad} problem(s)")
    return 1 if bad else 0


def fuzz_one(target: Target, seconds: float, max_len: int = 0) -> None:
    """Run atheris on one target in this process for ``seconds`` (atheris owns the process).

    mlbom's modules are instrumented for coverage (``atheris.instrument_all``), libFuzzer stops
    after ``-max_total_time`` and prints its final statistics (runs, ``cov:``, ``exec/s``),
    which the parent process records in ``fuzz/runs.tsv``. ``max_len`` (when positive and
    below the target's own) caps the inputs libFuzzer makes."""
    import atheris  # type: ignore[import-not-found]

    deadline = time.monotonic() + seconds + 60

    def one(data: bytes) -> None:
        if time.monotonic() > deadline:  # a safety net; -max_total_time normally ends the run
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
    cap = min(target.max_len, max_len) if max_len > 0 else target.max_len
    argv = [sys.argv[0], str(corpus), f"-max_len={cap}", "-rss_limit_mb=4096", "-timeout=60",
            f"-max_total_time={max(1, int(seconds))}", "-print_final_stats=1"]
    target.check(b"")  # warm up imports before timing anything
    if target.mutator is not None:
        atheris.Setup(argv, one, custom_mutator=target.mutator)
    else:
        atheris.Setup(argv, one)
    atheris.Fuzz()


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    ap.add_argument("--list", action="store_true", help="name every target and exit")
    ap.add_argument("--target", action="append", default=[], help="fuzz only these targets (repeatable)")
    ap.add_argument("--minutes", type=float, default=1.0, help="minutes per target")
    ap.add_argument("--max-len", type=int, default=0,
                    help="cap inputs at this many bytes (below the target's own cap; libFuzzer's default is 4096)")
    ap.add_argument("--instrument", default=",".join(INSTRUMENTED),
                    help="comma-separated module prefixes instrumented for coverage (default: %(default)s); "
                         "a target whose time goes to a library another target covers runs faster without it")
    ap.add_argument("--replay", type=Path, action="append", default=[], help="run these files once and report")
    ap.add_argument("--seeds", action="store_true", help="run every target's seed files once and report")
    args = ap.parse_args()
    targets = [t for t in all_targets() if not args.target or t.name in args.target]
    if args.list:
        for t in targets:
            print(f"{t.name}\t{t.description}")
        return 0
    if args.replay or args.seeds or not targets:
        files = [p for d in args.replay for p in (sorted(d.rglob("*")) if d.is_dir() else [d]) if p.is_file()]
        return replay(targets, files)
    import subprocess

    rc = 0
    logs = ROOT / "fuzz" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for t in targets:
        # One process per target: atheris takes over its process and exits when done.
        code = ("import sys; from fuzz.__main__ import _child; "
                "_child(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(','))")
        log = logs / f"{t.name}.log"
        started = time.monotonic()
        with open(log, "wb") as fh:
            proc = subprocess.run([sys.executable, "-c", code, t.name, str(args.minutes * 60), str(args.max_len),
                                   args.instrument], cwd=ROOT,
                                  check=False, stdout=fh, stderr=subprocess.STDOUT)
        took = time.monotonic() - started
        stats = _stats(log.read_text("utf-8", "replace"))
        crashes = len(list((ROOT / "fuzz" / "crashes" / t.name).glob("*"))) if (ROOT / "fuzz" / "crashes" / t.name).is_dir() else 0
        line = f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\t{t.name}\t{stats.get('runs', '?')}\t" \
               f"{stats.get('cov', '?')}\t{stats.get('exec_s', '?')}\t{took:.0f}\t{crashes}"
        with open(ROOT / "fuzz" / "runs.tsv", "a", encoding="utf-8") as out:
            out.write(line + "\n")
        print(line, flush=True)
        rc |= proc.returncode not in (0,)
    return rc


def _stats(log: str) -> dict[str, str]:
    """Runs, coverage and speed from a libFuzzer log (the last status line and final stats)."""
    import re

    out: dict[str, str] = {}
    for m in re.finditer(r"^#(\d+)\s+\w+\s+cov: (\d+).*?exec/s: (\d+)", log, re.MULTILINE):
        out["runs"], out["cov"], out["exec_s"] = m.group(1), m.group(2), m.group(3)
    done = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
    if done:
        out["runs"] = done.group(1)
    return out


INSTRUMENTED = ("mlbom", "pip_requirements_parser", "packaging")


def _child(name: str, seconds: float, max_len: int = 0, instrument: list[str] | None = None) -> None:
    import contextlib
    import importlib
    import pkgutil

    import atheris

    # Coverage instrumentation for mlbom and the third-party parsers it drives; instrument_all()
    # would take minutes on this machine, instrumenting every loaded library.
    with atheris.instrument_imports(include=list(instrument or INSTRUMENTED)):
        import mlbom

        for mod in pkgutil.walk_packages(mlbom.__path__, "mlbom."):
            if mod.name.endswith("__main__"):
                continue
            with contextlib.suppress(ImportError):  # an optional dependency is absent: not fuzzed
                importlib.import_module(mod.name)
        import packaging.requirements  # noqa: F401
        import pip_requirements_parser  # noqa: F401
    (target,) = [t for t in all_targets() if t.name == name]
    fuzz_one(target, seconds, max_len)


if __name__ == "__main__":
    raise SystemExit(main())
