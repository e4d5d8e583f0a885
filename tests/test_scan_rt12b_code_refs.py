"""Red team 12b-6: a config's ``auto_map`` (or ``modules.json``) module counted as judged when the
file merely existed on disk. It is judged only when THIS run scanned that very file (a folder
scan's own walk, its scan no ``error``); a scan of the config alone, or a module that appears
after the walk, leaves the reference ``code.remote`` (``suspicious``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom import scanner
from mlbom.cli import main
from mlbom.collectors import models

AUTO_MAP = {"model_type": "evil", "auto_map": {"AutoModel": "modeling_evil.EvilModel"}}
MODULE = "class EvilModel:\n    pass\n"


def _folder(tmp: Path, *, module: bool) -> Path:
    m = tmp / "model"
    m.mkdir()
    (m / "config.json").write_text(json.dumps(AUTO_MAP))
    if module:
        (m / "modeling_evil.py").write_text(MODULE)
    return m


def _by_name(scans: list[scanner.FileScan]) -> dict[str, scanner.FileScan]:
    return {Path(s.path).name: s for s in scans}


def test_a_config_scanned_alone_never_counts_its_module_as_judged(tmp_path: Path) -> None:
    m = _folder(tmp_path, module=True)  # the module is on disk, beside it, but this scan never reads it
    sc = scanner.scan_file(m / "config.json")
    assert sc.verdict == "suspicious"
    assert any(f.id == "code.remote" and "modeling_evil" in f.message for f in sc.findings)
    assert not sc.code_refs


def test_a_folder_scan_judges_the_module_it_scanned(tmp_path: Path) -> None:
    m = _folder(tmp_path, module=True)
    got = _by_name(scanner.scan(m))
    assert got["config.json"].verdict == "safe" and not any(f.id == "code.remote" for f in got["config.json"].findings)
    assert got["modeling_evil.py"].verdict == "suspicious"  # Python source is code, judged as such
    # without the module: the reference is code nobody judged
    m2 = tmp_path / "other"
    m2.mkdir()
    (m2 / "config.json").write_text(json.dumps(AUTO_MAP))
    assert _by_name(scanner.scan(m2))["config.json"].verdict == "suspicious"


def test_a_module_that_appears_after_the_walk_is_not_judged(tmp_path: Path) -> None:
    m = _folder(tmp_path, module=False)
    files = [m / "config.json"]  # what the walk listed
    (m / "modeling_evil.py").write_text(MODULE)  # then the writer adds the module
    out = scanner.scan_walked(m, files, [str(p) for p in files], with_hash=True)
    assert out[0].verdict == "suspicious" and any(f.id == "code.remote" for f in out[0].findings)


def test_generate_with_a_module_created_after_the_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    np = pytest.importorskip("numpy")
    m = _folder(tmp_path, module=False)
    np.save(m / "weights.npy", np.zeros(3))
    real = models.scan_walked

    def racing(*a: object, **kw: object) -> list[scanner.FileScan]:
        (m / "modeling_evil.py").write_text(MODULE)  # appears after the walk, before the scan
        return real(*a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(models, "scan_walked", racing)
    out = tmp_path / "bom.json"
    assert main(["-q", "generate", "--no-gpu", "--model", str(m), "-o", str(out), "--no-cache"]) == 0
    comps = {c["name"]: c for c in json.loads(out.read_text())["components"]}
    assert "modeling_evil.py" not in comps
    verdicts = [p["value"] for p in comps["config.json"]["properties"] if p["name"] == "mlbom:safety:verdict"]
    assert verdicts == ["suspicious"]
    pol = tmp_path / "strict.toml"
    pol.write_text('[models]\nverdicts = ["safe"]\n')
    assert main(["-q", "check", str(out), "--policy", str(pol)]) == 1
