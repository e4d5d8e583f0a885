from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import mlbom
from mlbom.errors import InputError
from tests.conftest import FIXTURES, assert_valid


def _gen(f: Path, **kw: object) -> mlbom.Bom:
    bom = mlbom.generate(locks=f, reproducible=True, **kw)  # type: ignore[arg-type]
    assert_valid(mlbom.dumps(bom))
    assert_valid(mlbom.dumps(bom, "xml"))
    return bom


def test_uv_lock_packages_hashes_and_edges() -> None:
    bom = _gen(FIXTURES / "uv-comfy-cli" / "uv.lock")
    libs = [c for c in bom.components if c.type == "library"]
    assert len(libs) == 74
    anyio = next(c for c in libs if c.name == "anyio")
    assert anyio.version == "4.10.0"
    assert "3f3fae35c96039744587aa5b8371e7e8e603c0702999535961dd336026973ba6" in {h.content for h in anyio.hashes}
    assert any(r.type == "distribution" and r.url.endswith("anyio-4.10.0.tar.gz") for r in anyio.external_references)
    deps = next(r for r in bom.relations if r.ref == anyio.bom_ref).depends_on
    assert {"pkg:pypi/idna@3.10", "pkg:pypi/sniffio@1.3.1"} <= set(deps) or any("idna" in d for d in deps)


def test_pylock_spec_example() -> None:
    bom = _gen(FIXTURES / "pylock.spec-example.toml")
    libs = {c.name: c for c in bom.components if c.type == "library"}
    assert set(libs) == {"attrs", "cattrs", "numpy"}
    assert [h.content for h in libs["attrs"].hashes] == ["c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("uv.lock", "version = 1\n[[package]\nname='x'\n", "TOML syntax error"),
    ("uv.lock", "version = 7\n", "unknown uv.lock version 7"),
    ("poetry.lock", "[metadata]\nlock-version = '9.0'\n", "unknown poetry lock-version '9.0'"),
    ("Pipfile.lock", "{\"_meta\": {\"pipfile-spec\": 6}, ", "JSON syntax error"),
    ("Pipfile.lock", "{\"_meta\": {\"pipfile-spec\": 99}}", "unknown pipfile-spec 99"),
    ("pylock.toml", "lock-version = '2.0'\ncreated-by='x'\npackages = []\n", "lock-version"),
    ("environment.yml", "dependencies: [a, b\n", "YAML syntax error"),
])
def test_invalid_lock_files_are_precise_input_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    f = tmp_path / name
    f.write_text(content)
    with pytest.raises(InputError, match=message) as info:
        mlbom.generate(locks=f)
    assert str(f) in str(info.value)


def test_toml_error_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "uv.lock"
    f.write_text("version = 1\n\n[[package]\n")
    with pytest.raises(InputError, match=r"line 3"):
        mlbom.generate(locks=f)


def test_broken_lock_discovered_in_project_is_recorded_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text("not toml at all [")
    shutil.copy(FIXTURES / "pylock.spec-example.toml", tmp_path / "pylock.toml")
    bom = mlbom.generate(tmp_path, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    assert [u.path for u in bom.unreadable] == ["uv.lock"]
    assert {"attrs", "cattrs", "numpy"} <= {c.name for c in bom.components}


def test_conda_environment(tmp_path: Path) -> None:
    f = tmp_path / "environment.yml"
    f.write_text("name: x\nchannels: [pytorch, nvidia]\ndependencies:\n  - python >= 3.8\n  - pytorch=1.9.1\n"
                 "  - pip:\n    - imgui==1.3.0\n    - pyspng\n")
    bom = _gen(f)
    purls = sorted(c.purl or "" for c in bom.components if c.type == "library")
    assert "pkg:conda/pytorch@1.9.1" in purls and "pkg:pypi/imgui@1.3.0" in purls
    unpinned = sorted(f.message.split(" ")[0] for f in bom.findings if f.id == "lock.unpinned")
    assert unpinned == ["python"]
    # a pip: line is read as a requirements.txt line (98c-4)
    assert [f.message.split(" ")[0] for f in bom.findings if f.id == "requirements.unpinned"] == ["pyspng"]


def test_lock_corpus_gives_valid_boms(corpus: Path) -> None:
    base = corpus / "requirements" / "lockfiles"
    files = [p for p in base.rglob("*") if p.is_file() and p.name not in ("pyproject.toml", "Pipfile")]
    for f in sorted(files):
        if f.name == "pylock.invalid.toml":
            with pytest.raises(InputError, match="TOML syntax error"):
                mlbom.generate(locks=f)
            continue
        _gen(f)


def test_drift_between_lock_and_environment(venv: Path, tmp_path: Path) -> None:
    lock = tmp_path / "Pipfile.lock"
    lock.write_text(json.dumps({"_meta": {"pipfile-spec": 6, "sources": []}, "default": {
        "alpha": {"version": "==1.0"}, "beta": {"version": "==1.1"}, "omega": {"version": "==2.0"}}}))
    bom = mlbom.generate(env=venv, locks=lock, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    drift = [f for f in bom.findings if f.id == "lock.drift"]
    assert [d.message for d in drift] == [f"{lock.name} pins beta 1.1 but 1.2 is installed"] or \
        [d.message.split(" pins ")[1] for d in drift] == ["beta 1.1 but 1.2 is installed"]
    assert any(f.id == "lock.not-installed" and "omega" in f.message for f in bom.findings)
    unlocked = sorted(f.message.split(" ")[0] for f in bom.findings if f.id == "lock.unlocked")
    assert unlocked == ["delta", "epsilon", "eta", "gamma", "zeta"]
    alpha = [c for c in bom.components if c.name == "alpha"]
    assert len(alpha) == 1  # the installed and the locked alpha 1.0 are one component


def test_unpinned_requirement_folds_into_installed_and_checks_specifier(venv: Path, tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("alpha>=1.0\nbeta>=2\n")
    bom = mlbom.generate(env=venv, requirements=req, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    assert len([c for c in bom.components if c.name == "alpha"]) == 1
    (bad,) = [f for f in bom.findings if f.id == "requirements.unsatisfied"]
    assert "requires beta>=2 but beta 1.2 is installed" in bad.message
