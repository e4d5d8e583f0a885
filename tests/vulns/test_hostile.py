"""Replays tests/fixtures/hostile/vulns/ through the fuzz targets: each must end in an allowed error or cleanly."""

from __future__ import annotations

import pytest

from fuzz.harness import all_targets
from tests.vulns.conftest import FIXTURES

HOSTILE = sorted((FIXTURES / "hostile" / "vulns").iterdir())
TARGETS = [t for t in all_targets() if t.name.startswith(("osv-", "vex"))]


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
def test_hostile_inputs_never_crash(target: object, path: object) -> None:
    from pathlib import Path

    from fuzz.harness import Target

    assert isinstance(target, Target) and isinstance(path, Path)
    crash, seconds = target.check(path.read_bytes())
    assert crash is None, f"{target.name} on {path.name}: {crash!r}"
    assert seconds < 10
