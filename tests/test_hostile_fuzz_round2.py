"""What the second fuzzing round (16 cores, 45 targets, ~25 million inputs; docs/fuzzing.md)
found, one reproducer per class, through the CLI end to end: exit 0, 1 or 2, an error is one
line on stderr and never an "internal error", and each input is fast.

The scanner's reproducer (``hostile/scanner/zip64-locator-at-start.zip``) is in that folder's
EXPECTED.tsv; the dataset card's (``hostile/fuzz/dataset-card/``) and the OSV records'
(``hostile/vulns/``) are also replayed through their fuzz targets by the hostile tests.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import spdx_python_model

from tests.conftest import FIXTURES
from tests.helpers import all_properties, cli_within_contract

HOSTILE = FIXTURES / "hostile"
GOOD_RECORD = FIXTURES / "osv" / "ml" / "PYSEC-2023-38.yaml"  # onnx < 1.13.0
LIMIT_S = 10.0


def _cli(args: list[str], capsys: pytest.CaptureFixture[str], *, want: set[int]) -> tuple[str, str]:
    return cli_within_contract(args, capsys, want=want, limit_s=LIMIT_S)


def _onnx_bom(tmp_path: Path) -> Path:
    bom = tmp_path / "onnx.cdx.json"
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "bom-ref": "pkg:pypi/onnx@1.12.0", "name": "onnx", "version": "1.12.0",
         "purl": "pkg:pypi/onnx@1.12.0"}]}))
    return bom


# --- OSV databases: zipfile's exceptions typed (mlbom.formats.safe_zip) -----------------------


def test_bad_zip_members_are_noted_and_the_good_record_still_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """An entry with an empty name (``ZipInfo.is_dir``: IndexError) and one whose deflate data is
    corrupt (zlib.error) next to a good record: the record matches, the bad member is one note."""
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "audited.json"
    _, err = _cli(["audit", str(_onnx_bom(tmp_path)), "--vuln-db",
                   str(HOSTILE / "vulns" / "zip-empty-name-and-corrupt-deflate.zip"), "-o", str(out)], capsys, want={0})
    assert "bad.json: unreadable member: corrupt deflate data" in err
    assert [v["id"] for v in json.loads(out.read_bytes())["vulnerabilities"]] == ["PYSEC-2023-38"]


def test_zip_version_zipfile_refuses_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    _, err = _cli(["audit", str(_onnx_bom(tmp_path)), "--vuln-db", str(HOSTILE / "vulns" / "zip-version-25.5.zip"),
                   "-o", str(tmp_path / "a.json")], capsys, want={2})
    assert "not a readable zip: NotImplementedError: zip file version 25.5" in err


# --- OSV records in YAML: through the bounded YAML layer (mlbom.formats.safe_read) -----------


@pytest.mark.parametrize(("case", "why"), [("yaml-timestamp-month-45.yaml", "month must be in 1..12"),
                                           ("yaml-recursive-alias.yaml", "recursive alias")])
def test_bad_yaml_record_is_noted_and_the_others_read(case: str, why: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A date PyYAML cannot build (ValueError before) and a recursive alias (walked to the
    200,000-node budget before: over a second under the fuzzer) cost one note each."""
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    db = tmp_path / "db"
    (db / "onnx").mkdir(parents=True)
    shutil.copy(GOOD_RECORD, db / "onnx")
    shutil.copy(HOSTILE / "vulns" / case, db / "onnx")
    out = tmp_path / "audited.json"
    _, err = _cli(["audit", str(_onnx_bom(tmp_path)), "--vuln-db", str(db), "-o", str(out)], capsys, want={0})
    assert case in err and why in err
    assert [v["id"] for v in json.loads(out.read_bytes())["vulnerabilities"]] == ["PYSEC-2023-38"]


# --- requirements: a URL requirement whose URL names nothing --------------------------------


def test_url_requirement_without_a_name_gets_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``svn+svn://…/trunk/#eg=…`` (no ``#egg=``): named after the path's last segment, not "" (whose
    purl cannot exist: the whole file was 'not read' before, ``requests`` with it)."""
    out = tmp_path / "bom.json"
    _cli(["generate", "--no-gpu", "--requirements",
          str(HOSTILE / "requirements" / "url-without-name" / "requirements.txt"), "-o", str(out)], capsys, want={0, 1})
    doc = json.loads(out.read_bytes())
    names = {c["name"] for c in doc["components"]}
    assert {"requests", "trunk"} <= names
    assert "compositions" not in out.read_text() or "incomplete" not in out.read_text()


# --- convert --to spdx3: a timestamp the SPDX bindings cannot write --------------------------


@pytest.mark.parametrize("timestamp", ["0608-04-28T12:00:00Z", "0001-01-01T00:00:00+01:00"])
def test_spdx3_conversion_of_an_unwritable_timestamp_is_valid_spdx(timestamp: str, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """spdx-python-model writes year 608 as '608-04-28T…' and then refuses it (its own pattern
    wants four digits); a year-1 time east of UTC overflows. Both fall back to the reproducible
    creation time, as an unreadable timestamp does."""
    bom = tmp_path / "bom.cdx.json"
    doc = json.loads((HOSTILE / "convert" / "timestamp-year-608.cdx.json").read_bytes())
    doc["metadata"]["timestamp"] = timestamp
    bom.write_text(json.dumps(doc))
    out = tmp_path / "bom.spdx.json"
    _cli(["convert", str(bom), "--to", "spdx3", "-o", str(out)], capsys, want={0})
    _model, objset = spdx_python_model.load_data(json.loads(out.read_bytes()))
    assert [p.name for p in objset.foreach_type(spdx_python_model.v3_0_1.software_Package)] == ["requests"]


def test_spdx3_fixture_is_the_fuzzer_find(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _cli(["convert", str(HOSTILE / "convert" / "timestamp-year-608.cdx.json"), "--to", "spdx3",
          "-o", str(tmp_path / "out.json")], capsys, want={0})


# --- YAML keys that are not text: made text at input, and by the writer ----------------------


def test_card_with_non_text_keys_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``co2_eq_emissions: {emissions: 1, 7: x}`` made the card's properties unsortable (an
    internal error for the whole run); ``{type: accuracy, 0.9}`` gave orjson a float key."""
    out = tmp_path / "bom.json"
    _cli(["generate", "--no-gpu", "--model", str(HOSTILE / "card" / "non-text-keys"), "-o", str(out)], capsys,
         want={0, 1})
    names = {p["name"] for p in all_properties(json.loads(out.read_bytes()))}
    assert {"co2_eq_emissions.7", "co2_eq_emissions.emissions"} <= names




def test_yaml_keys_become_text_in_order() -> None:
    from datetime import date

    from mlbom.formats.safe_read import load_yaml

    loaded = load_yaml(b"m: {b: 1, 0: neg, true: y, null: n, 2020-01-01: d, 0.9: ~}\n", "x.yaml")
    assert loaded.value == {"m": {"b": 1, "0": "neg", "true": "y", "null": "n", "2020-01-01": "d", "0.9": None}}
    assert list(loaded.value["m"]) == ["b", "0", "true", "null", "2020-01-01", "0.9"]  # type: ignore[index]
    assert loaded.replaced == ()
    assert date(2020, 1, 1) not in loaded.value["m"]  # type: ignore[index,operator]


def test_sanitize_makes_any_key_text() -> None:
    """What the loaders and the BOM writer's last line of defence (``cyclonedx.build``) call."""
    from mlbom.formats.safe_read import sanitize

    value, replaced = sanitize({"a": [{1: "x", "\ud800": "y", False: None}]}, "x")
    assert value == {"a": [{"1": "x", "\ufffd": "y", "false": None}]}
    assert replaced == ("a[0].\ufffd",)


def test_torch_allowlist_is_read_once_per_process() -> None:
    """Re-fuzzing ``scanner`` after the fixes: every pickle in a torch zip re-parsed torch's
    ``_weights_only_unpickler.py`` (0.2-0.3 s each, so a 6 KB input took over a second)."""
    from mlbom.formats.torch_weights_only import load_table

    assert load_table() is load_table()
