"""Red team 102c: CLI and collector findings (exit 0/1/2, nothing left out silently).

102c-5: ``generate PROJECT_DIR`` discovered models only under ``model/`` and ``models/*``: a
project that is itself a Hugging Face model (``config.json`` + ``pytorch_model.bin`` at its root)
or that keeps ``checkpoints/best.pt`` gave no component and no finding, the composition said
complete and the policy gate passed an ``os.system`` pickle. Now every weight-format file outside
the folders found (and outside ``.git`` and environments) is a model of its own, scanned.

102c-6: high ``lock.drift`` for pins pip calls satisfied (``torch==2.5.0`` vs ``2.5.0+cu121``,
``foo==1.0`` vs ``1.0.0``): now PEP 440 as pip decides it; a lock's exact version of another build
is still drift.

102c-1: a VEX statement about ``torch@2.0.0`` (OpenVEX versioned purl, CycloneDX
``affects[].versions``) waived an advisory on torch 2.5.0: now a versioned product matches that
version only (go-vex ``PurlMatches``), a versionless one every version; a range is not applied.

102c-2, 102c-7: a remote ``--find-links`` is a second package source (finding, policy rule); the
packages exposed by an index option are those of the whole pip run, not of its own file.

102c-4: a URL's ``#sha256=`` is the requirement's hash (no ``hash-missing``); an editable line in
hash-checking mode is ``requirements.editable-in-hash-mode``.

102c-3: poetry's legacy ``[package.source]`` url is kept as the package's index, and ``diff``
reports an index switch at the same version as ``origin-change``.

102c-8: a conda prefix named with ``--env ENV/bin/python``: its conda packages are said not
inventoried and the composition is incomplete.

Pickles here are written with :mod:`pickle` and never loaded.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from tests.helpers import quiet_output

_quiet = quiet_output


@pytest.fixture(autouse=True)
def _cache(isolated_cache: Path) -> Path:
    return isolated_cache


class _Evil:
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, ("echo pwned",))


def _evil(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(_Evil()))
    return path


def _bom(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


def _refs(bom: dict[str, Any]) -> set[str]:
    return {c["bom-ref"] for c in bom.get("components", [])}


def _verdict(comp: dict[str, Any]) -> str | None:
    return next((p["value"] for p in comp.get("properties", []) if p["name"] == "mlbom:safety:verdict"), None)


# ---------------------------------------------------------------- 102c-5

def _hf_project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "config.json").write_text('{"model_type": "bert"}')
    _evil(proj / "pytorch_model.bin")
    _evil(proj / "checkpoints" / "best.pt")
    (proj / "requirements.txt").write_text("torch==2.5.0\n")
    return proj


def test_weights_outside_model_folders_are_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = _hf_project(tmp_path)
    out = tmp_path / "bom.json"
    assert main(["-q", "generate", str(proj), "--reproducible", "-o", str(out)]) == 0
    _quiet(capsys)
    bom = _bom(out)
    comps = {c["bom-ref"]: c for c in bom["components"]}
    # the project folder is a model folder (config.json): one model of its own files, the weights
    # in its sub-folders models of their own (red team 119pa-2)
    for ref in ("model:.", "model:checkpoints/best.pt"):
        assert comps[ref]["type"] == "machine-learning-model"
        assert _verdict(comps[ref]) == "unsafe"
        assert comps[ref]["hashes"][0]["alg"] == "SHA-256"
    assert _verdict(comps["model:.#pytorch_model.bin"]) == "unsafe"


def test_policy_gate_sees_stray_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = _hf_project(tmp_path)
    policy = tmp_path / "policy.toml"
    policy.write_text('[models]\nverdicts = ["safe"]\n\n[findings]\nfail-on = "high"\n')
    out = tmp_path / "bom.json"
    rc = main(["-q", "generate", str(proj), "--policy", str(policy), "--reproducible", "-o", str(out)])
    text = "".join(_quiet(capsys))
    assert rc == 1
    assert "models.verdict" in text and "pytorch_model.bin" in text and "best.pt" in text


def test_stray_weights_kept_beside_explicit_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = _hf_project(tmp_path)
    named = proj / "release-model"
    named.mkdir()
    (named / "weights.npy").write_bytes(b"\x93NUMPY\x01\x00v\x00" + b"{'descr': '<f4', 'fortran_order': False, "
                                        b"'shape': (1,), }".ljust(117) + b"\n" + b"\x00" * 4)
    out = tmp_path / "bom.json"
    assert main(["-q", "generate", str(proj), "--model", str(named), "--reproducible", "-o", str(out)]) == 0
    _quiet(capsys)
    refs = _refs(_bom(out))
    assert {"model:.", "model:checkpoints/best.pt"} <= refs  # (the project folder is a model folder, 119pa-2)
    assert "model:release-model" in refs
    assert "model:release-model/weights.npy" not in refs  # inside the named model: one of its files


def test_stray_sweep_skips_git_envs_and_model_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = tmp_path / "proj"
    _evil(proj / ".git" / "objects" / "x.pkl")
    # (an environment's package folder: the files its distributions' RECORDs list are the
    # environment collector's; the rest of an environment folder, and a file there no RECORD
    # lists, is swept like any other, red team 111pa-1/-2, 113pa-1)
    site = proj / ".venv" / "lib" / "python3.11" / "site-packages"
    _evil(site / "site.pkl")
    (site / "pkg-1.0.dist-info").mkdir(parents=True)
    (site / "pkg-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n")
    (site / "pkg-1.0.dist-info" / "RECORD").write_text("site.pkl,,\npkg-1.0.dist-info/METADATA,,\n")
    (proj / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    _evil(proj / "models" / "m1" / "model.pkl")
    _evil(proj / "src" / "pkg" / "table.joblib")
    out = tmp_path / "bom.json"
    main(["-q", "generate", str(proj), "--reproducible", "-o", str(out)])
    _quiet(capsys)
    refs = _refs(_bom(out))
    assert "model:src/pkg/table.joblib" in refs
    assert "model:models/m1" in refs
    assert not any(r.startswith("model:") and ("x.pkl" in r or "site.pkl" in r or r.endswith("m1/model.pkl"))
                   for r in refs)


def test_stray_weight_link_out_of_project_is_recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("torch==2.5.0\n")
    outside = _evil(tmp_path / "elsewhere" / "w.pt")
    (proj / "w.pt").symlink_to(outside)
    out = tmp_path / "bom.json"
    assert main(["-q", "generate", str(proj), "--reproducible", "-o", str(out)]) == 0
    _quiet(capsys)
    bom = _bom(out)
    assert "model:w.pt" not in _refs(bom)
    assert bom["compositions"][0]["aggregate"] == "incomplete"
    assert "w.pt" in json.dumps(bom)


# ---------------------------------------------------------------- 102c-6

def _venv(proj: Path, dists: dict[str, str]) -> None:
    site = proj / ".venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (proj / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\n"
                                               "version = 3.11.2\n")
    for name, version in dists.items():
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def _drift(bom: dict[str, Any]) -> list[str]:
    return [p["value"] for c in [*bom.get("components", []), bom["metadata"]["component"]]
            for p in c.get("properties", []) if p["name"] == "mlbom:finding" and "lock.drift" in p["value"]]


def test_pins_pip_considers_satisfied_are_not_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    _venv(proj, {"torch": "2.5.0+cu121", "foo": "1.0.0", "bar": "2.0", "baz": "3.1"})
    (proj / "requirements.txt").write_text("torch==2.5.0\nfoo==1.0\nbar==2.0.1\nbaz===3.1.0\n")
    out = tmp_path / "bom.json"
    main(["-q", "generate", str(proj), "--reproducible", "-o", str(out)])
    _quiet(capsys)
    drift = _drift(_bom(out))
    assert not any("torch" in d or "foo" in d for d in drift), drift
    # a real mismatch, and === (string equality), are still drift
    assert any("pins bar 2.0.1 but 2.0 is installed" in d for d in drift), drift
    assert any("pins baz 3.1.0 but 3.1 is installed" in d for d in drift), drift


def test_lock_exact_version_of_another_build_is_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    _venv(proj, {"torch": "2.5.0+cu121", "foo": "1.0.0"})
    entry = 'description = ""\noptional = false\npython-versions = "*"\nfiles = []\n\n'
    (proj / "poetry.lock").write_text(
        f'[[package]]\nname = "torch"\nversion = "2.5.0"\n{entry}'
        f'[[package]]\nname = "foo"\nversion = "1.0"\n{entry}'
        '[metadata]\nlock-version = "2.0"\npython-versions = "*"\ncontent-hash = "x"\n')
    out = tmp_path / "bom.json"
    main(["-q", "generate", str(proj), "--reproducible", "-o", str(out)])
    _quiet(capsys)
    drift = _drift(_bom(out))
    assert any("torch 2.5.0 but 2.5.0+cu121" in d for d in drift), drift
    assert not any(" foo " in d for d in drift), drift


# ---------------------------------------------------------------- 102c-1

_OSV = {"schema_version": "1.6.0", "id": "GHSA-test-0001", "modified": "2025-01-01T00:00:00Z",
        "published": "2025-01-01T00:00:00Z", "aliases": ["CVE-2025-0001"], "summary": "torch.load RCE",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "torch"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.6.0"}]}]}],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}


def _openvex(product: str) -> dict[str, Any]:
    return {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "t",
            "timestamp": "2025-01-01T00:00:00Z", "version": 1,
            "statements": [{"vulnerability": {"name": "CVE-2025-0001"}, "products": [{"@id": product}],
                            "status": "not_affected", "justification": "vulnerable_code_not_present"}]}


def _cdx_vex(affect: dict[str, Any]) -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "vulnerabilities": [{"id": "CVE-2025-0001", "affects": [affect],
                                 "analysis": {"state": "not_affected", "justification": "code_not_present"}}]}


def _audit(tmp_path: Path, capsys: pytest.CaptureFixture[str], vex: dict[str, Any]) -> tuple[int, str | None, str]:
    tmp_path.mkdir(exist_ok=True)
    db = tmp_path / "db"
    db.mkdir(exist_ok=True)
    (db / "GHSA-test-0001.json").write_text(json.dumps(_OSV))
    req = tmp_path / "requirements.txt"
    req.write_text("torch==2.5.0\n")
    bom = tmp_path / "bom.json"
    assert main(["-q", "generate", "--requirements", str(req), "--reproducible", "-o", str(bom)]) == 0
    vex_file = tmp_path / "vex.json"
    vex_file.write_text(json.dumps(vex))
    out = tmp_path / "out.json"
    rc = main(["-q", "audit", str(bom), "--vuln-db", str(db), "--vex", str(vex_file), "--fail-on", "high",
               "-o", str(out)])
    _, err = _quiet(capsys)
    vulns = _bom(out)["vulnerabilities"]
    assert [v["id"] for v in vulns] == ["GHSA-test-0001"]
    analysis = vulns[0].get("analysis") or {}
    return rc, analysis.get("state"), err


def test_openvex_versioned_product_matches_that_version_only(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    rc, state, err = _audit(tmp_path / "a", capsys, _openvex("pkg:pypi/torch@2.0.0"))
    assert rc == 1 and state != "not_affected"
    assert "matches no vulnerability" in err
    # go-vex PurlMatches: a product with this version, or with none, still matches
    for sub, product in (("b", "pkg:pypi/torch@2.5.0"), ("c", "pkg:pypi/torch")):
        assert _audit(tmp_path / sub, capsys, _openvex(product))[:2] == (0, "not_affected")


def test_cyclonedx_affects_versions_scope_the_statement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, state, err = _audit(tmp_path / "a", capsys, _cdx_vex(
        {"ref": "pkg:pypi/torch", "versions": [{"version": "2.0.0", "status": "unaffected"}]}))
    assert rc == 1 and state != "not_affected"
    assert "matches no vulnerability" in err
    for sub, affect in (("b", {"ref": "pkg:pypi/torch", "versions": [{"version": "2.0.0"}, {"version": "2.5.0"}]}),
                        ("c", {"ref": "pkg:pypi/torch"})):
        assert _audit(tmp_path / sub, capsys, _cdx_vex(affect))[:2] == (0, "not_affected")


def test_cyclonedx_vex_version_range_is_not_applied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, state, err = _audit(tmp_path, capsys, _cdx_vex({"ref": "pkg:pypi/torch",
                                                        "versions": [{"range": "vers:pypi/<2.1"}]}))
    assert rc == 1 and state != "not_affected"
    assert "cannot be read exactly" in err


# ---------------------------------------------------------------- 102c-2, 102c-7

def _index_findings(bom: dict[str, Any]) -> list[str]:
    return [p["value"] for c in [*bom.get("components", []), bom["metadata"]["component"]]
            for p in c.get("properties", []) if p["name"] == "mlbom:finding"
            and "requirements.extra-index-url" in p["value"]]


def test_remote_find_links_is_a_second_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("--find-links https://wheels.example.net/simple/\n--find-links ./wheels\n"
                   "torch==2.5.0\ninternal-lib==1.0\n")
    policy = tmp_path / "policy.toml"
    policy.write_text("[packages]\nforbid-extra-index-url = true\n")
    out = tmp_path / "bom.json"
    rc = main(["-q", "generate", "--requirements", str(req), "--policy", str(policy), "--reproducible",
               "-o", str(out)])
    text = "".join(_quiet(capsys))
    assert rc == 1 and "packages.extra-index-url" in text
    found = _index_findings(_bom(out))
    assert len(found) == 1, found  # the local ./wheels folder is no second source on the network
    assert "--find-links https://wheels.example.net/simple/" in found[0]
    assert "Exposed: internal-lib, torch" in found[0]


def test_index_option_in_an_included_file_exposes_the_whole_run(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("torch==2.3.0\nnumpy==1.26.4\n-r extra.txt\n-r more.txt\n")
    (tmp_path / "extra.txt").write_text("--extra-index-url https://pypi.example.org/simple\n")
    (tmp_path / "more.txt").write_text("scipy==1.13.0\n")
    out = tmp_path / "bom.json"
    assert main(["-q", "generate", "--requirements", str(req), "--reproducible", "-o", str(out)]) == 0
    _quiet(capsys)
    found = _index_findings(_bom(out))
    assert len(found) == 1, found
    assert "Exposed: numpy, scipy, torch" in found[0] and "extra.txt:1)" in found[0]


# ---------------------------------------------------------------- 102c-4

def test_hash_checking_mode_read_as_pip_reads_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("numpy==1.26.4 --hash=sha256:" + "4" * 64 + "\n"
                   "torch @ https://download.pytorch.org/whl/torch-2.5.0-cp311-none-any.whl#sha256=" + "3" * 64 + "\n"
                   "-e git+https://github.com/acme/edit.git@" + "0" * 40 + "#egg=editpkg\n")
    out = tmp_path / "bom.json"
    assert main(["-q", "generate", "--requirements", str(req), "--reproducible", "-o", str(out)]) == 0
    _quiet(capsys)
    bom = _bom(out)
    comps = {c["name"]: c for c in bom["components"]}
    assert [h["content"] for h in comps["torch"].get("hashes", [])] == ["3" * 64]
    findings = {c["name"]: [p["value"] for p in c.get("properties", []) if p["name"] == "mlbom:finding"]
                for c in bom["components"]}
    assert not any("hash-missing" in f for f in findings["torch"]), findings["torch"]
    assert any("requirements.editable-in-hash-mode" in f for f in findings["editpkg"]), findings["editpkg"]


def test_require_hashes_alone_turns_hash_mode_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """pip's hash-checking mode is on with --require-hashes even when no line has a --hash:
    then every requirement without one makes pip reject the file (review of 102c-4)."""
    req = tmp_path / "requirements.txt"
    req.write_text("--require-hashes\nnumpy==1.26.4\n")
    out = tmp_path / "bom.json"
    assert main(["-q", "generate", "--requirements", str(req), "--reproducible", "-o", str(out)]) == 0
    _quiet(capsys)
    findings = [p["value"] for c in _bom(out)["components"] if c["name"] == "numpy"
                for p in c.get("properties", []) if p["name"] == "mlbom:finding"]
    assert any("requirements.hash-missing" in f and "--require-hashes" in f for f in findings), findings


# ---------------------------------------------------------------- 102c-8

def test_explicit_conda_env_says_its_conda_packages_are_not_inventoried(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = tmp_path / "env1"
    site = env / "lib" / "python3.11" / "site-packages"
    (site / "numpy-1.26.4.dist-info").mkdir(parents=True)
    (site / "numpy-1.26.4.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: numpy\nVersion: 1.26.4\n")
    (env / "lib" / "python3.11" / "lib-dynload").mkdir()
    (env / "lib" / "python3.11" / "os.py").write_text("")
    (env / "conda-meta").mkdir()
    (env / "conda-meta" / "history").write_text("==> 2024-01-01 <==\n")
    (env / "conda-meta" / "openssl-3.0.0-h0.json").write_text('{"name": "openssl", "version": "3.0.0"}')
    (env / "bin").mkdir()
    (env / "bin" / "python3.11").write_bytes(b"\x7fELF" + b"\x00" * 60)  # never run
    (env / "bin" / "python").symlink_to("python3.11")
    out = tmp_path / "bom.json"
    assert main(["-q", "generate", "--env", str(env / "bin" / "python"), "--reproducible", "-o", str(out)]) == 0
    _quiet(capsys)
    bom = _bom(out)
    assert "pkg:pypi/numpy@1.26.4" in _refs(bom)
    assert bom["compositions"][0]["aggregate"] == "incomplete"
    assert "python.environment-not-inventoried" in json.dumps(bom)


# ---------------------------------------------------------------- 102c-3

def _poetry_lock(index: str) -> str:
    return ('[[package]]\nname = "internal-lib"\nversion = "1.0.0"\ndescription = ""\noptional = false\n'
            'python-versions = "*"\ngroups = ["main"]\n'
            'files = [{file = "internal_lib-1.0.0-py3-none-any.whl", hash = "sha256:' + "1" * 64 + '"}]\n\n'
            f'[package.source]\ntype = "legacy"\nurl = "{index}"\nreference = "corp"\n\n'
            '[metadata]\nlock-version = "2.1"\npython-versions = "^3.11"\ncontent-hash = "abc"\n')


def test_poetry_index_switch_is_an_origin_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    boms = []
    for side, index in (("a", "https://pkgs.corp.example/simple"), ("b", "https://pypi.attacker.example/simple")):
        lock = tmp_path / side / "poetry.lock"
        lock.parent.mkdir()
        lock.write_text(_poetry_lock(index))
        out = tmp_path / f"{side}.json"
        assert main(["-q", "generate", "--lock", str(lock), "--reproducible", "--name", "app", "-o", str(out)]) == 0
        boms.append(out)
    _quiet(capsys)
    assert "pypi.attacker.example" in boms[1].read_text()
    rc = main(["-q", "diff", str(boms[0]), str(boms[1]), "--fail-on", "origin-change"])
    out_text, _ = _quiet(capsys)
    assert rc == 1
    assert "origin-change" in out_text and "pypi.attacker.example" in out_text
