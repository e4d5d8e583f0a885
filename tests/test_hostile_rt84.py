"""Red team 84 (proofs: /work/redteam-84), through the CLI: exit 0/1/2, nothing silently lost.

84-1: a dataset folder given as ``--dataset named:foo`` took the ref ``dataset:named:foo`` of the
dataset a model card only names, and the card's dataset vanished (exit 0). 84-4: an OpenVEX
statement naming ``PKG:PYPI/requests@2.0.0`` as the BOM writes it was refused as "covers only part"
(a literal ``startswith("pkg:")``). 84-5: a policy comment holding U+2028 then ``a.a.….a = 1``:
TOML and the key-depth check see one comment line, the policy's line finder (``str.splitlines``)
saw a key line and stored every prefix of it (2.3 GB at 48 KB; MemoryError at 80 KB).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from tests.helpers import quiet_output


def test_84_1_a_folder_named_like_a_card_dataset_keeps_both(tmp_path: Path, capsys: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "README.md").write_text("---\ndatasets:\n- foo\nlicense: mit\n---\n# model\n")
    (tmp_path / "model" / "config.json").write_text('{"model_type": "bert"}')
    (tmp_path / "named:foo").mkdir()
    (tmp_path / "named:foo" / "README.md").write_text("---\npretty_name: Internal scrape\n---\n# data\n")
    (tmp_path / "named:foo" / "x.csv").write_text("a,b\n1,2\n")
    monkeypatch.chdir(tmp_path)
    rc = main(["generate", ".", "--dataset", "named:foo", "--model", "model", "--reproducible", "-o", "out.json"])
    quiet_output(capsys)[1]
    assert rc == 0
    doc = json.loads((tmp_path / "out.json").read_text())
    data = {c["bom-ref"]: c["name"] for c in doc["components"] if c["type"] == "data"}
    assert data.get("dataset:named:foo") == "foo", data  # the card's dataset, not inspected
    assert "dataset:./named:foo" in data, data  # the folder, under its own ref
    assert len(data) == 2, data


_ADVISORY = {"id": "PYSEC-2099-1", "modified": "2024-01-01T00:00:00Z",
             "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"}, "versions": ["2.0.0"]}]}


@pytest.mark.parametrize("purl", ["PKG:PYPI/requests@2.0.0", "pkg:PyPI/requests@2.0.0", "pkg://pypi/requests@2.0.0"])
def test_84_4_a_vex_product_spelled_as_the_bom_spells_it_applies(tmp_path: Path, capsys: Any, purl: str) -> None:
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "app"}},
           "components": [{"type": "library", "name": "requests", "version": "2.0.0", "purl": purl, "bom-ref": purl}],
           "dependencies": [{"ref": "app", "dependsOn": [purl]}, {"ref": purl}]}
    (tmp_path / "bom.json").write_text(json.dumps(bom))
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "PYSEC-2099-1.json").write_text(json.dumps(_ADVISORY))
    vex = {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "me",
           "timestamp": "2024-01-01T00:00:00Z", "version": 1,
           "statements": [{"vulnerability": {"name": "PYSEC-2099-1"}, "products": [{"@id": purl}],
                           "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}
    (tmp_path / "vex.json").write_text(json.dumps(vex))
    rc = main(["audit", str(tmp_path / "bom.json"), "--vuln-db", str(tmp_path / "db"), "--no-cache", "--vex",
               str(tmp_path / "vex.json"), "--fail-on", "any", "-o", str(tmp_path / "out.json")])
    err = quiet_output(capsys)[1]
    assert rc == 0 and "not applied" not in err, err


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85", "\x0c", "\x1c"])
def test_84_5_a_line_separator_tomllib_does_not_end_lines_at(tmp_path: Path, capsys: Any,
                                                            monkeypatch: pytest.MonkeyPatch, sep: str) -> None:
    from mlbom.policy import config

    stored = [0]
    real = config._key_lines

    def counting(text: str) -> dict[tuple[str | int, ...], int]:
        got = real(text)
        stored[0] = max(stored[0], len(got))
        return got

    monkeypatch.setattr(config, "_key_lines", counting)
    policy = tmp_path / "policy.toml"
    policy.write_text("# comment" + sep + ".".join(["a"] * 4000) + " = 1\n[licenses]\nallow = [\"MIT\"]\n",
                      encoding="utf-8")
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "app"}}}
    (tmp_path / "bom.json").write_text(json.dumps(bom))
    rc = main(["check", str(tmp_path / "bom.json"), "--policy", str(policy)])
    quiet_output(capsys)[1]
    assert rc in (0, 1, 2)
    assert stored[0] < 100, stored[0]  # before: every prefix of the 4,000-part key (4,000 entries)
