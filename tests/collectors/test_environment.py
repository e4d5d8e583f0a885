from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mlbom
from mlbom.collectors._interpreter import locate
from mlbom.errors import InputError
from tests.conftest import assert_valid
from tests.helpers import site_packages


def _doc(bom: mlbom.Bom) -> dict:  # type: ignore[type-arg]
    return assert_valid(mlbom.dumps(bom))


def _libs(bom: mlbom.Bom) -> dict[str, mlbom.Component]:
    return {c.name: c for c in bom.components if c.type == "library"}


def _props(c: mlbom.Component, name: str) -> list[str]:
    return [p.value for p in c.properties if p.name == name]


def test_every_distribution_listed_count_equals_importlib(venv: Path) -> None:
    bom = mlbom.generate(env=venv, reproducible=True)
    _doc(bom)
    path = [str(p) for p in locate(venv).path]
    expected = sorted(d.metadata["Name"] for d in importlib.metadata.distributions(path=path))
    assert sorted(_libs(bom)) == expected
    assert set(expected) == {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "zeta"}


def test_the_running_interpreter_environment_is_complete() -> None:
    """A real, larger environment: the one running the tests, given as an executable."""
    bom = mlbom.generate(env=Path(sys.executable), reproducible=True)
    _doc(bom)
    path = [str(p) for p in locate(Path(sys.executable)).path]
    n = len(list(importlib.metadata.distributions(path=path)))
    assert len([c for c in bom.components if c.type == "library"]) == n
    names = {c.name.lower() for c in bom.components}
    assert {"pydantic", "packaging", "cyclonedx-python-lib"} <= names
    pyd = next(c for c in bom.components if c.name.lower() == "pydantic")
    deps = next(r for r in bom.relations if r.ref == pyd.bom_ref).depends_on
    assert any("pydantic-core" in d for d in deps)


def test_dependency_edges_with_extras_and_markers(venv: Path) -> None:
    bom = mlbom.generate(env=venv, reproducible=True)
    libs = _libs(bom)
    edges = {r.ref: set(r.depends_on) for r in bom.relations}
    assert edges[libs["alpha"].bom_ref] == {libs["beta"].bom_ref, libs["gamma"].bom_ref}
    # alpha asks for gamma[fast]; gamma's extra 'fast' pulls delta
    assert edges[libs["gamma"].bom_ref] == {libs["delta"].bom_ref}
    assert _props(libs["gamma"], "mlbom:python:extras") == ["fast"]
    # alpha's extra 'full' is not requested by anybody: its requirement is not evaluated
    assert not any("notinstalled" in f.message for f in bom.findings)
    # eta's optional extra 'opt' needs beta<1.0: beta is installed for alpha, but nobody asked for
    # eta[opt], so there is no edge (eta does not require beta) and no version conflict (issue 14)
    assert edges[libs["eta"].bom_ref] == set()
    assert not any(f.subject == libs["eta"].bom_ref for f in bom.findings)
    root_deps = set(edges[bom.root.bom_ref])
    assert libs["alpha"].bom_ref in root_deps and libs["beta"].bom_ref not in root_deps


def test_version_conflict_and_missing_requirement_are_precise(venv: Path) -> None:
    bom = mlbom.generate(env=venv, reproducible=True)
    libs = _libs(bom)
    conflict = [f for f in bom.findings if f.id == "python.version-conflict"]
    assert len(conflict) == 1
    assert conflict[0].subject == libs["delta"].bom_ref
    assert conflict[0].severity == "high"
    assert "delta 0.5 requires beta<1.0, but beta 1.2 is installed" in conflict[0].message
    assert conflict[0].source and conflict[0].source.endswith("delta-0.5.dist-info/METADATA")
    assert conflict[0].line is not None
    missing = [f for f in bom.findings if f.id == "python.requirement-missing"]
    assert [m.message for m in missing] == ["delta 0.5 requires missing-pkg>=2 but no missing-pkg is installed"]
    doc = _doc(bom)
    delta = next(c for c in doc["components"] if c["name"] == "delta")
    values = [p["value"] for p in delta["properties"] if p["name"] == "mlbom:finding"]
    assert any(v.startswith("high python.version-conflict: delta 0.5 requires beta<1.0") for v in values)


def test_licences_spdx_expression_names_and_classifiers(venv: Path) -> None:
    bom = mlbom.generate(env=venv, reproducible=True)
    libs = _libs(bom)
    assert [(lc.kind, lc.value) for lc in libs["alpha"].licenses] == [("expression", "MIT OR Apache-2.0")]
    assert [(lc.kind, lc.value) for lc in libs["beta"].licenses] == [("id", "BSD-3-Clause")]
    assert [(lc.kind, lc.value) for lc in libs["gamma"].licenses] == [("id", "MIT")]
    (delta_lic,) = libs["delta"].licenses
    assert delta_lic.kind == "name" and delta_lic.value == "Custom licence" and "not SPDX" in (delta_lic.text or "")
    assert [(lc.kind, lc.value) for lc in libs["epsilon"].licenses] == [("expression", "LicenseRef-Proprietary")]
    assert _props(libs["alpha"], "mlbom:python:license-file") == ["LICENSE"]
    doc = _doc(bom)
    alpha = next(c for c in doc["components"] if c["name"] == "alpha")
    assert alpha["licenses"] == [{"expression": "MIT OR Apache-2.0", "acknowledgement": "declared"}]


def test_direct_url_installer_and_shipped_sbom(venv: Path) -> None:
    bom = mlbom.generate(env=venv, reproducible=True)
    libs = _libs(bom)
    zeta = libs["zeta"]
    assert zeta.purl == ("pkg:pypi/zeta@0.1?vcs_url=git%2Bhttps://github.com/example/zeta.git"
                         "%400123456789abcdef0123456789abcdef01234567")
    assert any(r.type == "vcs" and r.url == "https://github.com/example/zeta.git" for r in zeta.external_references)
    assert _props(libs["epsilon"], "mlbom:python:editable") == ["true"]
    assert _props(libs["alpha"], "mlbom:python:installer") == ["pip"]
    boms = [r for r in libs["alpha"].external_references if r.type == "bom"]
    assert len(boms) == 1 and boms[0].url.endswith("alpha-1.0.dist-info/sboms/alpha.cdx.json")
    assert boms[0].hashes[0].alg == "SHA-256"


def test_malformed_direct_url_makes_the_inventory_incomplete(venv: Path, tmp_path: Path) -> None:
    copy = tmp_path / "venv"
    shutil.copytree(venv, copy, symlinks=True)
    du = next(site_packages(copy).glob("zeta-0.1.dist-info")) / "direct_url.json"
    du.write_text('{"url": 42}')
    bom = mlbom.generate(env=copy, reproducible=True)
    (u,) = [u for u in bom.unreadable if u.path.endswith("zeta-0.1.dist-info/direct_url.json")]
    assert "url" in u.reason and not bom.is_complete
    assert "zeta" in _libs(bom)  # the package itself is kept
    assert _doc(bom)["compositions"][0]["aggregate"] == "incomplete"


def test_verify_record_detects_tampering_and_missing_files(venv: Path, tmp_path: Path) -> None:
    copy = tmp_path / "venv"
    shutil.copytree(venv, copy, symlinks=True)
    clean = mlbom.generate(env=copy, reproducible=True, verify_record=True)
    assert not [f for f in clean.findings if f.id.startswith("python.record")]
    sp = site_packages(copy)
    (sp / "beta" / "__init__.py").write_text("import os; os.system('evil')\n")
    (sp / "gamma" / "__init__.py").unlink()
    bom = mlbom.generate(env=copy, reproducible=True, verify_record=True)
    _doc(bom)
    ids = sorted((f.id, f.message.split(":")[0]) for f in bom.findings if f.id.startswith("python.record"))
    assert ids == [("python.record-mismatch", "beta 1.2"), ("python.record-missing-file", "gamma 2.0")]
    mismatch = next(f for f in bom.findings if f.id == "python.record-mismatch")
    assert mismatch.severity == "high" and "beta/__init__.py" in mismatch.message


def test_non_utf8_record_and_malformed_metadata(venv: Path, tmp_path: Path) -> None:
    copy = tmp_path / "venv"
    shutil.copytree(venv, copy, symlinks=True)
    sp = site_packages(copy)
    (sp / "beta-1.2.dist-info" / "RECORD").write_bytes(b"beta/__init__.py,sha256=\xff\xfe,12\n")
    (sp / "gamma-2.0.dist-info" / "METADATA").write_bytes(b"Summary: no name or version here\n")
    bom = mlbom.generate(env=copy, reproducible=True, verify_record=True)
    _doc(bom)
    assert not bom.is_complete
    assert any(u.path.endswith("beta-1.2.dist-info/RECORD") and "not UTF-8" in u.reason for u in bom.unreadable)
    malformed = [f for f in bom.findings if f.id == "python.metadata-malformed"]
    assert len(malformed) == 1 and "gamma: METADATA lacks Name, Version" in malformed[0].message
    assert "gamma" in _libs(bom)  # still inventoried, from the folder name
    doc = _doc(bom)
    assert doc["compositions"] == [{"aggregate": "incomplete", "assemblies": [bom.root.bom_ref]}]


def test_invalid_marker_in_requires_dist_is_a_finding(venv: Path, tmp_path: Path) -> None:
    copy = tmp_path / "venv"
    shutil.copytree(venv, copy, symlinks=True)
    meta = site_packages(copy) / "beta-1.2.dist-info" / "METADATA"
    meta.write_text(meta.read_text().replace("Summary:", "Requires-Dist: foo ; python_version >>> '3'\nSummary:"))
    bom = mlbom.generate(env=copy, reproducible=True)
    (f,) = [f for f in bom.findings if f.id == "python.requirement-invalid"]
    assert "beta 1.2: cannot parse Requires-Dist" in f.message and f.line == 4


def test_duplicate_distribution_on_path(venv: Path, tmp_path: Path) -> None:
    copy = tmp_path / "venv"
    shutil.copytree(venv, copy, symlinks=True)
    sp = site_packages(copy)
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copytree(sp / "beta-1.2.dist-info", extra / "beta-0.9.dist-info")
    m = extra / "beta-0.9.dist-info" / "METADATA"
    m.write_text(m.read_text().replace("Version: 1.2", "Version: 0.9"))
    (sp / "extra.pth").write_text(f"{extra}\nimport os; os.system('touch {tmp_path}/pth-ran')\n")
    bom = mlbom.generate(env=copy, reproducible=True)
    _doc(bom)
    assert not (tmp_path / "pth-ran").exists(), ".pth import lines must never run"
    dups = [f for f in bom.findings if f.id == "python.duplicate-distribution"]
    # one per name (red team 20d-6); low: the environment's copy wins over one outside it
    assert len(dups) == 1 and dups[0].severity == "low" and "environment's copy wins" in dups[0].message
    shadowed = [c for c in bom.components if c.name == "beta" and c.version == "0.9"]
    assert len(shadowed) == 1 and ("mlbom:python:shadowed", "true") in [(p.name, p.value) for p in shadowed[0].properties]


def test_static_mode_without_runnable_interpreter(venv: Path, tmp_path: Path) -> None:
    copy = tmp_path / "venv"
    shutil.copytree(venv, copy, symlinks=True)
    for exe in (copy / "bin").glob("python*"):
        exe.unlink()
    bom = mlbom.generate(env=copy, reproducible=True)
    _doc(bom)
    runtime = next(c for c in bom.components if c.type == "platform")
    assert any(p.value.startswith("static") for p in runtime.properties)
    assert {"alpha", "beta", "delta"} <= set(_libs(bom))
    # and a bare site-packages folder works too
    bom2 = mlbom.generate(env=site_packages(copy), reproducible=True)
    assert len(_libs(bom2)) == 7


def test_no_environment_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no Python environment here"):
        mlbom.generate(env=tmp_path, reproducible=True)
    with pytest.raises(InputError, match="no such file or directory"):
        mlbom.generate(env=tmp_path / "absent", reproducible=True)


def test_never_imports_inventoried_packages(venv: Path, tmp_path: Path) -> None:
    copy = tmp_path / "venv"
    shutil.copytree(venv, copy, symlinks=True)
    canary = tmp_path / "imported"
    (site_packages(copy) / "alpha" / "__init__.py").write_text(f"open({str(canary)!r}, 'w').close()\n")
    (site_packages(copy) / "sitecustomize.py").write_text(f"open({str(canary)!r}, 'w').close()\n")
    mlbom.generate(env=copy, reproducible=True)
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert not canary.exists()


def test_marker_environment_recorded(venv: Path) -> None:
    bom = mlbom.generate(env=venv, reproducible=True)
    runtime = next(c for c in bom.components if c.type == "platform")
    markers = json.loads(next(p.value for p in runtime.properties if p.name == "mlbom:python:marker-environment"))
    assert markers["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
