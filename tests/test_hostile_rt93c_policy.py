"""Red team 93c: policy values parsed once, policy matching bounded (through the CLI: exit 0/1/2,
a refusal is ONE line on stderr, never "internal error"; nothing good is lost).

93c-1: ``[licenses] allow``/``deny`` of 4,096 distinct expressions each were parsed four to six
times (a 4,096-entry cache thrashed): each is now parsed once at load, its keys kept on the policy.

93c-4: ``[packages] deny`` re-parsed every entry's specifier and every library's version for every
(library, entry) pair, with no bound: specifiers are parsed at load, versions once, a library meets
only its own name's entries, and more than ``MAX_PACKAGE_DENY_CHECKS`` pairs is exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from license_expression import Licensing

from mlbom.cli import main
from tests.helpers import quiet_output

_quiet = quiet_output


def _bom(path: Path, comps: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": comps}))
    return path


def _lib(name: str, version: str, i: int, lic: str | None = None) -> dict[str, object]:
    c: dict[str, object] = {"type": "library", "name": name, "version": version, "bom-ref": f"r{i}",
                            "purl": f"pkg:pypi/{name}@{version}"}
    if lic:
        c["licenses"] = [{"license": {"id": lic}}]
    return c


def test_93c1_licence_lists_parsed_once(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    ids = ["MIT", "Apache-2.0", "BSD-3-Clause", "ISC", "Zlib", "0BSD", "MPL-2.0", "CC0-1.0"]
    n = 2_100  # two lists: more distinct expressions than the old 4,096-entry cache held
    allow = [f"{ids[i % 8]} OR LicenseRef-a{i}" if i < 1_900 else f"LicenseRef-a{i}" for i in range(n)]
    deny = ["GPL-3.0-only"] + [f"AGPL-3.0-only OR LicenseRef-d{i}" if i < 1_900 else f"LicenseRef-d{i}" for i in range(n)]
    policy = tmp_path / "p.toml"
    policy.write_text(f"[licenses]\nunknown = \"ignore\"\nallow = {json.dumps(allow)}\ndeny = {json.dumps(deny)}\n")
    bom = _bom(tmp_path / "b.json", [_lib("good", "1.0", 0, "MIT"), _lib("bad", "1.0", 1, "GPL-3.0-only")])
    calls = [0]
    real = Licensing.parse

    def counted(self: Licensing, *a: Any, **k: Any) -> Any:
        calls[0] += 1
        return real(self, *a, **k)

    from mlbom.policy import licexpr
    monkeypatch.setattr(licexpr._licensing(), "parse", counted.__get__(licexpr._licensing()))
    assert main(["check", str(bom), "--policy", str(policy), "--format", "json"]) == 1
    out, _ = _quiet(capsys)
    hits = {(v["rule"], v["component"]) for v in json.loads(out)["violations"]}
    assert hits == {("licenses.deny", "pkg:pypi/bad@1.0")}  # the denied licence is still found, nothing else
    assert calls[0] <= len(allow) + len(deny) + 10  # once per entry (was two to three times)


@pytest.mark.parametrize("key", ["allow", "deny"])
def test_93c1_licence_terms_bounded(tmp_path: Path, capsys: Any, monkeypatch: Any, key: str) -> None:
    """Over MAX_POLICY_LICENSE_TERMS terms in one list: one line, exit 2, before any entry is parsed."""
    from mlbom.limits import MAX_POLICY_LICENSE_TERMS
    from mlbom.policy import licexpr

    per = 5
    n = MAX_POLICY_LICENSE_TERMS // per + 1  # 820 five-term expressions: 4,100 terms
    entries = [" OR ".join([f"LicenseRef-x{i}", "MIT", "(ISC", "Zlib WITH Classpath-exception-2.0)"]) for i in range(n)]
    assert n * per > MAX_POLICY_LICENSE_TERMS
    policy = tmp_path / "p.toml"
    policy.write_text(f"[licenses]\n{key} = {json.dumps(entries)}\n")
    bom = _bom(tmp_path / "b.json", [_lib("good", "1.0", 0, "MIT")])

    def never(*a: Any, **k: Any) -> Any:
        raise AssertionError("parsed before the bound was checked")

    monkeypatch.setattr(licexpr._licensing(), "parse", never)
    assert main(["check", str(bom), "--policy", str(policy)]) == 2
    _, err = _quiet(capsys)
    assert len(err.strip().splitlines()) == 1 and f"licenses.{key}" in err and "licence terms" in err, err
    monkeypatch.undo()
    policy.write_text(f"[licenses]\n{key} = {json.dumps(entries[:-2])}\n")  # 4,090 terms: within
    assert main(["check", str(bom), "--policy", str(policy)]) in (0, 1)
    _quiet(capsys)


def test_93c4_deny_specifiers_parsed_once(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    import packaging.specifiers
    import packaging.version

    m = 400
    policy = tmp_path / "p.toml"
    entries = [f"torch<0.{i}" for i in range(m)] + ["numpy<2"]
    policy.write_text(f"[packages]\ndeny = {json.dumps(entries)}\n")
    comps = [_lib("torch", f"2.{i}.0", i) for i in range(60)] + [_lib("numpy", "1.26.0", 99), _lib("numpy2", "1.0", 98)]
    bom = _bom(tmp_path / "b.json", comps)
    counts = {"spec": 0, "version": 0}
    spec_init, version_init = packaging.specifiers.SpecifierSet.__init__, packaging.version.Version.__init__

    def s(self: Any, *a: Any, **k: Any) -> None:
        counts["spec"] += 1
        spec_init(self, *a, **k)

    def v(self: Any, *a: Any, **k: Any) -> None:
        counts["version"] += 1
        version_init(self, *a, **k)

    monkeypatch.setattr(packaging.specifiers.SpecifierSet, "__init__", s)
    monkeypatch.setattr(packaging.version.Version, "__init__", v)
    assert main(["check", str(bom), "--policy", str(policy)]) == 1
    out, _ = _quiet(capsys)
    assert "numpy 1.26.0 matches denied 'numpy<2'" in out and "torch 2." not in out and "numpy2" not in out
    assert counts["spec"] <= 2 * (m + 1) + 10  # once per entry at load (was once per pair: 24,000)
    assert counts["version"] <= 4 * (m + 1) + 4 * len(comps) + 50  # (was three per pair)


@pytest.mark.parametrize("matching", [False, True])
def test_93c4_deny_pairs_bounded(tmp_path: Path, capsys: Any, monkeypatch: Any, matching: bool) -> None:
    import mlbom.limits

    monkeypatch.setattr(mlbom.limits, "MAX_PACKAGE_DENY_CHECKS", 1_000, raising=False)
    entries = [f"torch>=1.{i},!=1.{i}.1" if matching else f"torch<0.{i}" for i in range(100)]
    policy = tmp_path / "p.toml"
    policy.write_text(f"[packages]\ndeny = {json.dumps(entries)}\n")
    within = _bom(tmp_path / "w.json", [_lib("torch", f"2.{i}.0", i) for i in range(10)])
    assert main(["check", str(within), "--policy", str(policy)]) == (1 if matching else 0)
    _quiet(capsys)
    over = _bom(tmp_path / "o.json", [_lib("torch", f"2.{i}.0", i) for i in range(11)])
    assert main(["check", str(over), "--policy", str(policy)]) == 2
    _, err = _quiet(capsys)
    assert len(err.strip().splitlines()) == 1 and "1,000 (library, entry) pairs" in err, err
