"""Lock-file parsers (mlbom/formats/locks.py) on real lock files and on bad bytes; the
collector-level behaviour (components, drift) is in tests/collectors/test_locks.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from mlbom.errors import InputError
from mlbom.formats import locks

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
UV = FIXTURES / "uv-comfy-cli" / "uv.lock"
PYLOCK = FIXTURES / "pylock.spec-example.toml"


def test_detect_by_file_name() -> None:
    for name, fmt in (("uv.lock", "uv.lock"), ("poetry.lock", "poetry.lock"), ("Pipfile.lock", "Pipfile.lock"),
                      ("pylock.toml", "pylock.toml"), ("pylock.dev.toml", "pylock.toml"), ("environment.yml", "conda"),
                      ("env.conda.yaml", "conda")):
        assert locks.detect(Path(name)) == fmt, name
    assert locks.detect(Path("requirements.txt")) is None and locks.detect(Path("pylock.a.b.toml")) is None


def test_a_real_uv_lock_against_tomllib() -> None:
    lock = locks.parse(UV.read_bytes(), UV, "uv.lock")
    doc = tomllib.loads(UV.read_text("utf-8"))
    assert [p.name for p in lock.packages] == [p["name"] for p in doc["package"]]
    by_name = {p.name: p for p in lock.packages}
    anyio = by_name["anyio"]
    assert anyio.version == "4.10.0" and anyio.source == "registry"
    assert anyio.dependencies == ("exceptiongroup", "idna", "sniffio", "typing-extensions")
    raw = next(p for p in doc["package"] if p["name"] == "anyio")
    want = {raw["sdist"]["hash"].removeprefix("sha256:")} | {w["hash"].removeprefix("sha256:") for w in raw["wheels"]}
    assert {a.sha256 for a in anyio.artifacts} == want
    assert by_name["comfy-cli"].source == "editable"  # the project itself
    assert lock.notes == []


def test_the_pep_751_spec_example() -> None:
    lock = locks.parse(PYLOCK.read_bytes(), PYLOCK, "pylock.toml")
    assert [(p.name, p.version, len(p.artifacts)) for p in lock.packages] == [
        ("attrs", "25.1.0", 1), ("cattrs", "24.1.2", 1), ("numpy", "2.2.3", 2)]
    assert all(a.sha256 and len(a.sha256) == 64 for p in lock.packages for a in p.artifacts)
    assert lock.packages[1].index == "https://pypi.org/simple"


def test_a_nameless_uv_package_is_skipped_not_the_lock() -> None:
    """Red team 78c-5: one bad entry is listed in ``skipped``; the other packages stay."""
    lock = locks.parse(b'version = 1\n[[package]]\nname = 3\n[[package]]\nname = "a"\nversion = "1"\n',
                       Path("uv.lock"), "uv.lock")
    assert [p.name for p in lock.packages] == ["a"]
    assert lock.skipped == ["package[0]: package without a name"]


@pytest.mark.parametrize(("data", "message"), [
    (b'[[package]]\nname = "a"\nname = "b"\n', "not valid TOML"),
    (b'package = "x"\n', "unknown uv.lock version"),
    (b"\xff\xfe", "not"),
])
def test_bad_uv_locks_are_input_errors(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        locks.parse(data, Path("uv.lock"), "uv.lock")
