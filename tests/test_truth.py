"""Issue 14's truth fixes: a BOM claims only what shipped. Each test runs on a real input (a real
venv built by pip from hand-made wheels, real card texts from the corpus)."""

from __future__ import annotations

from pathlib import Path

import mlbom
from tests.conftest import assert_valid


def _libs(bom: mlbom.Bom) -> dict[str, list[mlbom.Component]]:
    out: dict[str, list[mlbom.Component]] = {}
    for c in bom.components:
        if c.type == "library":
            out.setdefault(c.name, []).append(c)
    return out


def _props(c: mlbom.Component, name: str) -> list[str]:
    return [p.value for p in c.properties if p.name == name]


def test_a_pin_other_than_the_installed_version_is_a_property_not_a_component(venv: Path, tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("alpha==1.0\nbeta==1.1 --hash=sha256:" + "ab" * 32 + "\nomega==2.0\n")
    bom = mlbom.generate(env=venv, requirements=req, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    libs = _libs(bom)
    assert [c.version for c in libs["beta"]] == ["1.2"]  # one component per shipped distribution
    beta = libs["beta"][0]
    assert _props(beta, "mlbom:python:requirement") == ["beta==1.1"]
    assert not beta.hashes  # the pinned version's hash is not the installed file's
    drift = [f for f in bom.findings if f.id == "lock.drift"]
    assert [f.subject for f in drift] == [beta.bom_ref]
    assert "pins beta 1.1 but 1.2 is installed" in drift[0].message
    refs = {c.bom_ref for c in bom.components}
    assert all(t in refs for r in bom.relations for t in r.depends_on)
    assert "pkg:pypi/beta@1.1" not in {t for r in bom.relations for t in (r.ref, *r.depends_on)}
    # a pin of a package that is not installed is still the declaration (and a finding)
    assert [c.version for c in libs["omega"]] == ["2.0"]
    assert any(f.id == "lock.not-installed" and "omega" in f.message for f in bom.findings)


def test_an_extra_nobody_requested_draws_no_edge(tmp_path: Path) -> None:
    """joblib[docs] -> pandas: pandas installed for another reason is not a dependency of joblib."""
    from tests.helpers import make_venv, make_wheel

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "joblib", "1.4.2", requires=["pandas; extra == 'docs'"], extras=["docs"])
    make_wheel(wheels, "pandas", "2.2.3", requires=["numpy>=1.26"])
    make_wheel(wheels, "numpy", "2.1.3")
    make_wheel(wheels, "safetensors", "0.4.5", requires=["numpy>=1.21.6; extra == 'numpy'"], extras=["numpy"])
    make_wheel(wheels, "scikit-learn", "1.5.2", requires=["joblib>=1.2", "numpy>=1.19"])
    make_wheel(wheels, "app", "0.1", requires=["safetensors[numpy]", "pandas"])
    venv = make_venv(tmp_path / "venv", wheels, ["joblib", "pandas", "numpy", "safetensors", "scikit-learn", "app"])
    bom = mlbom.generate(env=venv, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    ref = {c.name: c.bom_ref for c in bom.components if c.type == "library"}
    edges = {r.ref: set(r.depends_on) for r in bom.relations}
    assert edges[ref["joblib"]] == set()
    assert edges[ref["safetensors"]] == {ref["numpy"]}  # app asks for safetensors[numpy]
    assert edges[ref["app"]] == {ref["safetensors"], ref["pandas"]}
    # nothing declared: the release's direct dependencies are the distributions no one requires
    assert {t for t in edges[bom.root.bom_ref] if t.startswith("pkg:")} == {ref["app"], ref["scikit-learn"]}

    # the project declares its direct dependencies: those are the release's
    req = tmp_path / "requirements.txt"
    req.write_text("scikit-learn==1.5.2\npandas>=2\n")
    bom = mlbom.generate(env=venv, requirements=req, reproducible=True)
    edges = {r.ref: set(r.depends_on) for r in bom.relations}
    assert {t for t in edges[bom.root.bom_ref] if t.startswith("pkg:")} == {ref["scikit-learn"], ref["pandas"]}
    assert_valid(mlbom.dumps(bom))


def test_a_uv_virtual_project_root_is_not_a_missing_package(venv: Path, corpus: Path) -> None:
    """kohya_ss's real uv.lock: its root ``kohya-ss`` has ``source = { virtual = "." }``."""
    lock = corpus / "requirements" / "lockfiles" / "uv.lock" / "kohya_ss" / "uv.lock"
    bom = mlbom.generate(env=venv, locks=lock, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    missing = [f.message for f in bom.findings if f.id == "lock.not-installed"]
    assert missing and not any("kohya-ss" in m for m in missing)
    assert any(" accelerate " in m for m in missing)
    # the project root's dependencies are the release's direct dependencies
    root = next(r for r in bom.relations if r.ref == bom.root.bom_ref)
    names = {c.bom_ref: c.name for c in bom.components}
    direct = {names[t] for t in root.depends_on if t.startswith("pkg:")}
    assert {"accelerate", "diffusers", "numpy"} <= direct
    assert "nvidia-cudnn-cu12" not in direct  # required by torch, not by the project
