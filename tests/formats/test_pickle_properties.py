"""Property tests: no input makes the pickle walker raise, hang or contradict itself."""

from __future__ import annotations

import io
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.targets.pickle import TARGETS, assemble
from mlbom.formats.pickle import Limits, read_pickle
from tests.conftest import FIXTURES

SEEDS = {p.name: p.read_bytes() for p in sorted((FIXTURES / "pickles" / "benign").iterdir())
         if not p.name.endswith(".py")}
SEEDS.update({p.name: p.read_bytes() for p in sorted((FIXTURES / "hostile" / "pickle").iterdir())
              if p.suffix in (".pkl", ".joblib")})
LIMITS = Limits(opcodes=200_000, stack=50_000, memo=50_000, cells=200_000, text_bytes=4 << 20)
VERDICTS = {"safe", "suspicious", "unsafe", "error"}


def _check(data: bytes, joblib: bool) -> str:
    rep = read_pickle(io.BytesIO(data), len(data), joblib=joblib, limits=LIMITS, check_trailing=True)
    assert 0 <= rep.end <= len(data)
    assert rep.verdict in VERDICTS
    assert not (rep.complete and rep.error)
    assert rep.complete or rep.error is not None
    return rep.verdict


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=600), st.booleans())
def test_random_opcode_programs_never_raise(program: bytes, joblib: bool) -> None:
    data = assemble(program)
    first = _check(data, joblib)
    assert _check(data, joblib) == first  # deterministic


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(SEEDS)),
       edits=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=8),
       cut=st.integers(0, 1 << 20), insert=st.binary(max_size=16))
def test_mutated_real_pickles_never_raise(name: str, edits: list[tuple[int, int]], cut: int, insert: bytes) -> None:
    data = bytearray(SEEDS[name])
    for pos, value in edits:
        data[pos % len(data)] = value
    at = cut % (len(data) + 1)
    data[at:at] = insert
    _check(bytes(data), name.endswith(".joblib"))


def test_a_thousand_mutations_per_seed_family_in_one_batch() -> None:
    rng = random.Random(12)
    families = {"torch": [k for k in SEEDS if k.startswith("torch")], "sklearn": [k for k in SEEDS if k.startswith("sk_")],
                "pandas-numpy": [k for k in SEEDS if k.startswith(("pandas", "numpy", "builtins"))],
                "hostile": [k for k in SEEDS if not k.startswith(("torch", "sk_", "pandas", "numpy", "builtins", "joblib"))]}
    seen: dict[str, set[str]] = {}
    for family, names in families.items():
        assert names, family
        for _ in range(1000):
            name = rng.choice(names)
            data = bytearray(SEEDS[name])
            for _ in range(rng.randint(1, 4)):
                if not data:
                    data = bytearray(b"\x80")
                op = rng.random()
                pos = rng.randrange(len(data))
                if op < 0.6:
                    data[pos] = rng.randrange(256)
                elif op < 0.8:
                    del data[pos:pos + rng.randint(1, 8)]
                else:
                    data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
            seen.setdefault(family, set()).add(_check(bytes(data), name.endswith(".joblib")))
    assert all(v <= VERDICTS for v in seen.values())


def test_fuzz_targets_replay_their_seeds() -> None:
    root = Path(__file__).resolve().parent.parent.parent
    assert {t.name for t in TARGETS} == {"pickle-raw", "pickle-joblib", "pickle-opcodes"}
    for target in TARGETS:
        files = list(target.seed_files())
        assert files or target.name == "pickle-opcodes", target.name
        for path in files:
            crash, _took = target.check(path.read_bytes())
            assert crash is None, (target.name, path.relative_to(root.parent), crash)
