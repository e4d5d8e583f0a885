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


def _one_line(capsys: Any) -> str:
    """The one stderr line of a refused input (a ``mlbom: hint:`` line may follow it)."""
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip() and not ln.startswith("mlbom: hint:")]
    assert len(err) == 1, err
    assert "internal error" not in err[0] and "Traceback" not in err[0], err
    return err[0]


def _quiet(capsys: Any) -> tuple[str, str]:
    out = capsys.readouterr()
    assert "internal error" not in out.err and "Traceback" not in out.err, out.err
    return str(out.out), str(out.err)


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
