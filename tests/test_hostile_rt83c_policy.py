"""Red team 83c, policy and purl matching (83c-4, 83c-5, 83c-6), through the CLI (exit 0/1/2, a bad
input is ONE line on stderr and never "internal error"; no input under 1 MB does super-linear work).

83c-4: a policy header ``[a.a.….a]`` of 20,000 parts took 5 s and 1.6 GB (tomllib and the policy's
line finder are quadratic in the parts of one key); 40,000 parts: MemoryError. 83c-5: purls
``pkg:PYPI/…``, ``pkg:PyPI/…``, ``pkg://pypi/…`` (valid, the same package as ``pkg:pypi/…``) were
skipped by ``audit`` and by ``[packages] deny`` with no note. 83c-6: an ``allow`` list of 166,000
entries took 8 s to load and was written whole into every violation (250 MB of output). Inputs are
written here; work is asserted by counting calls, never by wall clock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from tests.helpers import quiet_output


def _one_line(capsys: Any) -> str:
    """The one stderr line of a refused input (a ``mlbom: hint:`` line may follow it)."""
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip() and not ln.startswith("mlbom: hint:")]
    assert len(err) == 1, err
    assert "internal error" not in err[0] and "Traceback" not in err[0], err
    return err[0]


def _write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc, separators=(",", ":")))
    return path


def _lib(i: int, purl: str, licence: str | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"type": "library", "bom-ref": f"c{i}", "name": purl.rsplit("/", 1)[-1].split("@")[0],
                         "version": purl.rsplit("@", 1)[-1], "purl": purl}
    if licence:
        c["licenses"] = [{"license": {"id": licence}}]
    return c


def _bom(components: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components}


# --- 83c-4: a policy key of many dotted parts --------------------------------------------------

def _count_toml_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from mlbom.policy import config

    real = config.tomllib.loads
    calls = [0]

    def counting(text: str, **kw: Any) -> dict[str, Any]:
        calls[0] += 1
        return real(text, **kw)

    monkeypatch.setattr(config.tomllib, "loads", counting)
    return calls


@pytest.mark.parametrize("line", [
    "[" + ".".join(["a"] * 40_000) + "]",           # 80 KB header: MemoryError before
    ".".join(["a"] * 20_000) + " = 1",              # the same as a dotted key
    "x = {" + ".".join(['"a"'] * 5_000) + " = 1}",  # in an inline table, quoted parts
])
def test_deep_policy_key_refused_before_parse(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch,
                                              line: str) -> None:
    calls = _count_toml_parses(monkeypatch)
    bom = _write(tmp_path / "b.json", _bom([_lib(0, "pkg:pypi/requests@2.32.3", "MIT")]))
    policy = tmp_path / "p.toml"
    policy.write_text("[licenses]\nallow = ['MIT']\n" + line + "\n")
    assert main(["check", str(bom), "--policy", str(policy)]) == 2
    err = _one_line(capsys)
    assert "p.toml:3:" in err and "levels deep" in err, err
    assert calls[0] == 0  # refused by the linear scan, tomllib never saw it


def test_policy_key_within_limit_still_loads(tmp_path: Path, capsys: Any) -> None:
    from mlbom.policy import config

    p = config.loads(b"[licenses]\nallow = ['MIT']\n[packages]\ndeny = ['x']\n")
    assert p is not None
    with pytest.raises(config.PolicyError, match="unknown table"):
        config.loads(("[" + ".".join(["a"] * 8) + "]\n").encode())  # 8 parts: parsed, then refused by name


def test_deep_toml_key_in_lock_file_one_line(tmp_path: Path) -> None:
    from mlbom.errors import InputError
    from mlbom.formats.safe_read import load_toml
    from mlbom.limits import MAX_TOML_KEY_PARTS

    ok = ".".join(["a"] * MAX_TOML_KEY_PARTS) + " = 1\n"
    doc, _ = load_toml(ok.encode(), "ok.toml")
    assert doc
    bad = "x = 1\n" + "[" + ".".join(["a"] * 100_000) + "]\n"
    with pytest.raises(InputError, match=r"bad.toml: line 2: .*more than 64 dotted parts"):
        load_toml(bad.encode(), "bad.toml")


# --- 83c-6: a policy list of many entries ------------------------------------------------------

def test_repeated_allow_entries_validated_once(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom import licenses
    from mlbom.policy import licexpr

    real = licenses.is_spdx_expression
    calls = [0]

    def counting(text: str) -> bool:
        calls[0] += 1
        return real(text)

    monkeypatch.setattr(licenses, "is_spdx_expression", counting)
    licexpr._choices.cache_clear()  # else the count depends on which tests ran before in this process
    bom = _write(tmp_path / "b.json", _bom([_lib(i, f"pkg:pypi/p{i}@1.0", "Apache-2.0") for i in range(300)]
                                           + [_lib(300, "pkg:pypi/ok@1.0", "MIT")]))
    policy = tmp_path / "p.toml"
    policy.write_text("[licenses]\nallow = [" + ", ".join(['"MIT"'] * 140_000) + "]\n")
    out = tmp_path / "out.txt"
    assert main(["check", str(bom), "--policy", str(policy), "-o", str(out)]) == 1
    quiet_output(capsys)
    # the policy's one distinct entry validated once, not per repeat (140,002 calls before), and
    # each distinct BOM expression (Apache-2.0, MIT) once by the evaluator
    assert calls[0] <= 3
    text = out.read_text()
    assert text.count("licenses.allow") >= 300  # nothing lost: every Apache-2.0 library is a violation
    assert "ok@1.0" not in text
    assert len(text) < 300 * 1000  # each message names the list in brief (250 MB before)


def test_long_allow_list_summarised_in_messages(tmp_path: Path, capsys: Any) -> None:
    bom = _write(tmp_path / "b.json", _bom([_lib(i, f"pkg:pypi/p{i}@1.0", "Apache-2.0") for i in range(50)]))
    policy = tmp_path / "p.toml"
    policy.write_text("[licenses]\nallow = [" + ", ".join(f'"LicenseRef-x{i}"' for i in range(1000)) + "]\n")
    out = tmp_path / "out.txt"
    assert main(["check", str(bom), "--policy", str(policy), "-o", str(out)]) == 1
    quiet_output(capsys)
    text = out.read_text()
    assert text.count("and 990 more") == 50, text[:2000]
    assert "LicenseRef-x999" not in text


def test_too_many_distinct_entries_one_line(tmp_path: Path, capsys: Any) -> None:
    from mlbom.limits import MAX_POLICY_LIST_ITEMS

    bom = _write(tmp_path / "b.json", _bom([_lib(0, "pkg:pypi/p@1.0", "MIT")]))
    policy = tmp_path / "p.toml"
    policy.write_text("[packages]\ndeny = [" + ", ".join(f'"p{i}"' for i in range(MAX_POLICY_LIST_ITEMS + 1)) + "]\n")
    assert main(["check", str(bom), "--policy", str(policy)]) == 2
    err = _one_line(capsys)
    assert "p.toml:2: packages.deny:" in err and "distinct entries" in err, err


# --- 83c-5: a purl's type in any case, pkg:// ----------------------------------------------------

_PURLS = ["pkg:PYPI/requests@2.19.0", "pkg:PyPI/Requests@2.19.0", "pkg://pypi/requests@2.19.0"]


def _osv_db(root: Path) -> Path:
    db = root / "db"
    db.mkdir()
    _write(db / "PYSEC-2018-28.json", {
        "id": "PYSEC-2018-28", "modified": "2021-01-01T00:00:00Z",
        "affected": [{"package": {"name": "requests", "ecosystem": "PyPI"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}]}]})
    return db


@pytest.mark.parametrize("purl", _PURLS)
def test_noncanonical_pypi_purl_audited(tmp_path: Path, capsys: Any, purl: str) -> None:
    bom = _write(tmp_path / "b.json", _bom([_lib(0, purl), _lib(1, "pkg:pypi/ok@1.0")]))
    out = tmp_path / "a.json"
    assert main(["audit", str(bom), "--vuln-db", str(_osv_db(tmp_path)), "-o", str(out)]) == 0
    stdout, err = quiet_output(capsys)
    assert "2 PyPI component(s) checked" in stdout + err, stdout + err
    vulns = json.loads(out.read_text()).get("vulnerabilities", [])
    assert [v["id"] for v in vulns] == ["PYSEC-2018-28"]
    assert [a["ref"] for a in vulns[0]["affects"]] == ["c0"]


@pytest.mark.parametrize("purl", _PURLS)
def test_noncanonical_pypi_purl_denied(tmp_path: Path, capsys: Any, purl: str) -> None:
    bom = _write(tmp_path / "b.json", _bom([_lib(0, purl), _lib(1, "pkg:pypi/ok@1.0")]))
    policy = tmp_path / "deny.toml"
    policy.write_text('[packages]\ndeny = ["requests <2.20"]\n')
    assert main(["check", str(bom), "--policy", str(policy)]) == 1
    stdout, _ = quiet_output(capsys)
    assert "packages.deny" in stdout and "1 violation" in stdout, stdout


def test_canonical_purl_helpers() -> None:
    from mlbom.identity import canonical_purl, purl_base, purl_type

    assert {canonical_purl(p) for p in _PURLS} == {"pkg:pypi/requests@2.19.0"}
    assert purl_base("pkg:PyPI/Foo_Bar@1?x=1") == "pkg:pypi/foo-bar"
    assert purl_type("pkg:Conda/x") == "conda" and purl_type("not a purl") is None and purl_type(None) is None
