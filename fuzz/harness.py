"""The fuzz target protocol and a runner that needs no fuzzer (replay) or atheris (fuzz)."""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"

# An input under 1 MB that takes longer than this is a slow path (issue 19).
SLOW_SECONDS = 1.0


@dataclass(frozen=True)
class Target:
    """One parser under fuzzing.

    ``run`` takes arbitrary bytes and must either return or raise one of ``allowed`` (mlbom's
    own error types); any other exception is a crash. ``seeds`` are glob patterns relative to
    the repository root (``../shared/corpus/...`` is allowed and skipped when absent).
    """

    name: str
    run: Callable[[bytes], object]
    seeds: Sequence[str] = ()
    allowed: tuple[type[BaseException], ...] = ()
    max_len: int = 1 << 20
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    mutator: Callable[[bytes, int, int], bytes] | None = None
    """A structure-aware mutator (``fuzz.mutators``) for atheris' ``custom_mutator``; None
    leaves mutation to libFuzzer."""

    def seed_files(self) -> Iterator[Path]:
        for pattern in self.seeds:
            base, pat = (ROOT.parent, pattern[3:]) if pattern.startswith("../") else (ROOT, pattern)
            for path in sorted(base.glob(pat)):
                if path.is_file() and path.stat().st_size <= self.max_len:
                    yield path

    def check(self, data: bytes) -> tuple[BaseException | None, float]:
        """Run one input; return the crash (None when the contract held) and the seconds taken."""
        start = time.perf_counter()
        try:
            self.run(data)
        except self.allowed:
            pass
        except Exception as exc:  # a crash: anything outside the contract
            return exc, time.perf_counter() - start
        return None, time.perf_counter() - start


def all_targets() -> list[Target]:
    import fuzz.targets as pkg

    found: list[Target] = []
    for mod in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"fuzz.targets.{mod.name}")
        found.extend(getattr(module, "TARGETS", []))
    return sorted(found, key=lambda t: t.name)
