"""Red team 97c, lock readers and diff: wrong answers, not crashes (exit 0/1/2, one stderr line
for a bad input and never "internal error", nothing good lost).

97c-1: conda's exact pin ``numpy=1.21.0=py39h6635163_0`` (what ``conda env export`` writes) lost
its version; conda match specs are now split as conda splits them (the build string is kept).

97c-2: the ``pip:`` list of an environment.yml made pip option lines, URLs and paths packages
(``pkg:pypi/-r``) and never read ``-r requirements.txt``; it is now read as the requirements file
conda hands to pip (includes relative to the environment file, their bounds and findings).

97c-3: uv.lock ``source = { url = ..., subdirectory = ... }`` was read as source "subdirectory"
and the URL dropped; the kind is the key that names one of uv's kinds, never the first key.

97c-4: Pipfile.lock ``"===1.0"`` gave ``=1.0`` and ``"== 2.0"`` gave `` 2.0``; the version is
read with packaging's specifier rules.

97c-5: a package reinstalled at the same version from another repository and commit diffed as
"no differences" (exit 0 under every --fail-on kind); the new ``origin-change`` kind reports it,
``--fail-on origin-change`` gates it, ``report --previous`` shows it, and an upgrade (whose URLs
are expected to differ) is not one.

The inputs are written here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from mlbom.properties import Prop
from tests.helpers import quiet_output

_quiet = quiet_output


@pytest.fixture(autouse=True)
def _cache(isolated_cache: Path) -> Path:
    return isolated_cache


def _generate(lock: Path, tmp_path: Path, capsys: Any) -> dict[str, Any]:
    out = tmp_path / "bom.json"
    rc = main(["generate", "--no-gpu", "--lock", str(lock), "--reproducible", "-o", str(out)])
    _, err = _quiet(capsys)
    assert rc == 0, err
    assert "error" not in err.lower(), err
    doc = json.loads(out.read_bytes())
    assert isinstance(doc, dict)
    return doc


def _libs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(c["name"]): c for c in doc.get("components", []) if c.get("type") == "library"}


def _props(comp: dict[str, Any], name: Prop) -> list[str]:
    return [str(p["value"]) for p in comp.get("properties", []) if p.get("name") == name.value]


def _findings(doc: dict[str, Any]) -> list[str]:
    out = []
    for c in doc.get("components", []):
        out += _props(c, Prop.FINDING)
    return out


def test_97c_1_conda_export_pins_keep_their_version(tmp_path: Path, capsys: Any) -> None:
    env = tmp_path / "environment.yml"
    env.write_text("name: e\nchannels:\n  - conda-forge\ndependencies:\n"
                   "  - numpy=1.21.0=py39h6635163_0\n"
                   "  - python=3.9.7=hb7a2778_3_cpython\n"
                   "  - pytorch::pytorch=2.0.1=py3.10_cuda11.8_cudnn8.7.0_0\n"
                   "  - scipy==1.7.1\n"
                   "  - pandas 1.3.0 py39_0\n"
                   "  - requests>=2,<3\n")
    doc = _generate(env, tmp_path, capsys)
    libs = _libs(doc)
    assert {n: c.get("version") for n, c in libs.items()} == {
        "numpy": "1.21.0", "python": "3.9.7", "pytorch": "2.0.1", "scipy": "1.7.1", "pandas": "1.3.0",
        "requests": None}
    assert _props(libs["numpy"], Prop.CONDA_BUILD) == ["py39h6635163_0"]
    assert _props(libs["pandas"], Prop.CONDA_BUILD) == ["py39_0"]
    assert _props(libs["pytorch"], Prop.CONDA_CHANNEL) == ["pytorch"]
    assert libs["numpy"]["purl"].startswith("pkg:conda/numpy@1.21.0")
    unpinned = [f for f in _findings(doc) if "lock.unpinned" in f]
    assert len(unpinned) == 1 and "requests" in unpinned[0], unpinned


def test_97c_3_uv_source_kind_is_the_key_that_names_it(tmp_path: Path, capsys: Any) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\nrequires-python = ">=3.10"\n\n'
                    '[[package]]\nname = "foo"\nversion = "1.0"\n'
                    'source = { url = "https://attacker.example/foo-1.0.tar.gz", subdirectory = "python" }\n'
                    'sdist = { hash = "sha256:' + "a" * 64 + '" }\n\n'
                    '[[package]]\nname = "bar"\nversion = "2.0"\n'
                    'source = { url = "https://example.com/bar-2.0.tar.gz" }\n'
                    'sdist = { hash = "sha256:' + "b" * 64 + '" }\n')
    libs = _libs(_generate(lock, tmp_path, capsys))
    assert _props(libs["foo"], Prop.LOCK_SOURCE) == ["url"]
    assert _props(libs["bar"], Prop.LOCK_SOURCE) == ["url"]
    refs = [r["url"] for r in libs["foo"].get("externalReferences", [])]
    assert any(r.startswith("https://attacker.example/foo-1.0.tar.gz") for r in refs), refs
    assert "attacker.example" in libs["foo"]["purl"]
    assert libs["foo"]["version"] == "1.0" and libs["bar"]["version"] == "2.0"


def test_97c_4_pipfile_lock_versions_are_read_as_specifiers(tmp_path: Path, capsys: Any) -> None:
    lock = tmp_path / "Pipfile.lock"
    pkg = {"hashes": ["sha256:" + "c" * 64]}
    lock.write_text(json.dumps({
        "_meta": {"pipfile-spec": 6, "sources": [{"name": "pypi", "url": "https://pypi.org/simple"}]},
        "default": {"foo": {**pkg, "version": "===1.0"}, "bar": {**pkg, "version": "== 2.0"},
                    "baz": {**pkg, "version": "==3.0"}, "qux": {**pkg, "version": ">=1.0"},
                    "quux": {**pkg, "version": "==1.*"}},
        "develop": {}}))
    doc = _generate(lock, tmp_path, capsys)
    libs = _libs(doc)
    assert {n: c.get("version") for n, c in libs.items()} == {
        "foo": "1.0", "bar": "2.0", "baz": "3.0", "qux": None, "quux": None}
    assert libs["foo"]["purl"] == "pkg:pypi/foo@1.0" and libs["bar"]["purl"] == "pkg:pypi/bar@2.0"
    unpinned = sorted(f.split(" is not")[0] for f in _findings(doc) if "lock.unpinned" in f)
    assert len(unpinned) == 2, unpinned


def _composition(doc: dict[str, Any]) -> str:
    (comp,) = doc["compositions"]
    return str(comp["aggregate"])


def test_97c_2_conda_pip_list_is_read_as_a_requirements_file(tmp_path: Path, capsys: Any) -> None:
    env = tmp_path / "environment.yml"
    env.write_text("name: e\ndependencies:\n  - python=3.11\n  - pip:\n"
                   "    - -r requirements.txt\n"
                   "    - --extra-index-url https://download.pytorch.org/whl/cu118\n"
                   "    - git+https://github.com/huggingface/transformers@abc123\n"
                   "    - https://example.com/pkgs/foo-1.0-py3-none-any.whl\n"
                   "    - torch==2.0.0\n")
    (tmp_path / "requirements.txt").write_text("evil-package==6.6.6\nrequests==2.31.0\n")
    doc = _generate(env, tmp_path, capsys)
    purls = sorted(str(c.get("purl")) for c in doc["components"] if c.get("type") == "library")
    assert not [p for p in purls if "pkg:pypi/-" in p or "%2b" in p or "https:" in p.split("?")[0]], purls
    names = {n: c.get("version") for n, c in _libs(doc).items()}
    assert names == {"python": "3.11", "evil-package": "6.6.6", "requests": "2.31.0", "torch": "2.0.0",
                     "foo": "1.0"}, names
    findings = _findings(doc)
    assert any("requirements.extra-index-url" in f for f in findings), findings
    # the unnamed VCS line is not inventoried: a finding, and the inventory says so
    assert any("lock.package-invalid" in f and "transformers" in f for f in findings), findings
    assert _composition(doc) == "incomplete"


def test_97c_2_an_unreadable_include_makes_the_inventory_incomplete(tmp_path: Path, capsys: Any) -> None:
    env = tmp_path / "environment.yml"
    env.write_text("name: e\ndependencies:\n  - pip:\n    - -r missing.txt\n    - torch==2.0.0\n"
                   "    - -r loop.txt\n")
    (tmp_path / "loop.txt").write_text("-r loop.txt\nnumpy==1.0\n")
    doc = _generate(env, tmp_path, capsys)
    assert {n: c.get("version") for n, c in _libs(doc).items()} == {"torch": "2.0.0", "numpy": "1.0"}
    findings = _findings(doc)
    assert any("requirements.include-unreadable" in f and "missing.txt" in f for f in findings), findings
    assert any("requirements.include-cycle" in f for f in findings), findings
    assert _composition(doc) == "incomplete"


def _vcs_env(root: Path, repo: str, commit: str, version: str = "2.0") -> Path:
    env = root / "venv"
    sp = env / "lib" / "python3.11" / "site-packages"
    for old in sp.glob("bar-*.dist-info") if sp.exists() else []:
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    d = sp / f"bar-{version}.dist-info"
    d.mkdir(parents=True, exist_ok=True)
    (env / "bin").mkdir(exist_ok=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.4\n")
    (d / "METADATA").write_text(f"Metadata-Version: 2.1\nName: bar\nVersion: {version}\n")
    (d / "INSTALLER").write_text("pip\n")
    (d / "direct_url.json").write_text(json.dumps(
        {"url": f"https://github.com/{repo}/bar", "vcs_info": {"vcs": "git", "commit_id": commit}}))
    return env


def _env_bom(env: Path, out: Path, capsys: Any) -> Path:
    assert main(["generate", "--no-gpu", "--env", str(env), "--reproducible", "-o", str(out)]) == 0
    _quiet(capsys)
    return out


def test_97c_5_same_version_from_another_origin_is_an_origin_change(tmp_path: Path, capsys: Any) -> None:
    old = _env_bom(_vcs_env(tmp_path, "good", "1" * 40), tmp_path / "old.json", capsys)
    new = _env_bom(_vcs_env(tmp_path, "evil", "2" * 40), tmp_path / "new.json", capsys)
    gate = "added,removed,version-change,hash-drift,hash-change,licence-change,new-finding"
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    out, err = _quiet(capsys)
    changes = json.loads(out)["changes"]
    assert [c["kind"] for c in changes] == ["origin-change"], changes
    assert changes[0]["identity"] == "pkg:pypi/bar"
    assert "good/bar@" + "1" * 40 in changes[0]["old"] and "evil/bar@" + "2" * 40 in changes[0]["new"]
    assert main(["diff", str(old), str(new), "--fail-on", gate]) == 0  # the old kinds still do not see it
    _quiet(capsys)
    assert main(["diff", str(old), str(new), "--fail-on", "origin-change"]) == 1
    _, err = _quiet(capsys)
    assert len(err.strip().splitlines()) == 1 and "origin-change" in err, err
    assert main(["diff", str(old), str(new), "--fail-on", "any"]) == 1
    _quiet(capsys)
    assert main(["diff", str(old), str(old), "--fail-on", "origin-change"]) == 0  # nothing lost: same is same
    _quiet(capsys)
    report = tmp_path / "report.md"
    assert main(["report", str(new), "--previous", str(old), "--format", "markdown", "-o", str(report)]) in (0, 1)
    _quiet(capsys)
    assert "origin-change" in report.read_text()


def test_97c_5_an_upgrade_is_a_version_change_not_an_origin_change(tmp_path: Path, capsys: Any) -> None:
    old = _env_bom(_vcs_env(tmp_path, "good", "1" * 40, "2.0"), tmp_path / "old.json", capsys)
    new = _env_bom(_vcs_env(tmp_path, "good", "2" * 40, "2.1"), tmp_path / "new.json", capsys)
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    out, _ = _quiet(capsys)
    assert [c["kind"] for c in json.loads(out)["changes"]] == ["version-change"]
