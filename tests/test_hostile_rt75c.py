"""Red team 75c: the input contract through the CLI (exit 0/1/2, a bad input is ONE line on stderr
and never "internal error").

75c-1: a BOM ``version`` past SQLite's 64-bit INTEGER crashed ``index add``, and one past 2^64
(XML) was indexed as version 1. 75c-2/3: ``mlbom:file:size`` of ``²`` or 5,000 digits crashed
``report`` and ``convert --to spdx3`` (``isdigit()`` then ``int()``). 75c-4: ``--shard '²/3'``
crashed ``manifest``. 75c-5: ``SOURCE_DATE_EPOCH=²`` or a year past 9999 crashed ``audit`` and
``convert``, which did not use ``generate``'s checked reader. 75c-6: ``diff`` was quadratic in
namesakes. 75c-7: ``convert --to spdx3`` indexed every SPDX object for nothing. Inputs:
``tests/fixtures/hostile/{bom-version,file-size,source-date-epoch}/`` (each with a README) and
``hostile/formats/`` (two scanner crashes found while routing every ``int()`` of text through
:func:`mlbom.limits.bounded_int`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from tests.helpers import quiet_output

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
VERSIONS = sorted((HOSTILE / "bom-version").glob("*.cdx.*"))
SIZES = sorted((HOSTILE / "file-size").glob("*.cdx.json"))
EPOCH = HOSTILE / "source-date-epoch"


def _one_line(capsys: Any) -> str:
    """The one stderr line of a refused input (a ``mlbom: hint:`` line may follow it)."""
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip() and not ln.startswith("mlbom: hint:")]
    assert len(err) == 1, err
    assert "internal error" not in err[0] and "Traceback" not in err[0], err
    return err[0]


# --- 75c-1: the BOM version ------------------------------------------------------------------

@pytest.mark.parametrize("bom", VERSIONS, ids=[p.name for p in VERSIONS])
@pytest.mark.parametrize("command", ["index-add", "diff", "query", "report", "convert"])
def test_75c_1_a_version_past_64_bits_is_refused_by_every_reader(bom: Path, command: str, tmp_path: Path,
                                                                 capsys: Any) -> None:
    args = {"index-add": ["index", "add", str(bom), "--db", f"sqlite:///{tmp_path / 'ix.db'}"],
            "diff": ["diff", str(bom), str(bom)], "query": ["query", str(bom)],
            "report": ["report", str(bom), "--format", "text"],
            "convert": ["convert", str(bom), "--to", "spdx3", "-o", str(tmp_path / "o.json")]}[command]
    assert main(args) == 2
    line = _one_line(capsys)
    assert "/version:" in line and "9223372036854775807" in line, line


def test_75c_1_validate_still_judges_by_the_schema(capsys: Any) -> None:
    """The schema sets no maximum: ``validate`` calls the BOM valid; the readers refuse it."""
    assert main(["validate", str(HOSTILE / "bom-version" / "version-2p64-1.cdx.json")]) == 0
    quiet_output(capsys)


def _bom(version: object) -> bytes:
    doc: dict[str, object] = {"bomFormat": "CycloneDX", "specVersion": "1.6",
                              "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
                              "components": [{"type": "library", "name": "x", "bom-ref": "x"}]}
    if version is not None:
        doc["version"] = version
    return json.dumps(doc).encode()


@pytest.mark.parametrize(("version", "read_as"), [(None, 1), (1, 1), (2.0, 2), (2**63 - 1, 2**63 - 1), (2**53, 2**53)])
def test_75c_1_versions_that_are_read(version: object, read_as: int) -> None:
    from mlbom.reader import loads

    assert loads(_bom(version)).version == read_as


@pytest.mark.parametrize("version", [0, -1, 2**63, 2**64 - 1, 1.5, 1e23, float(2**53 + 2), True, "3", [1], None])
def test_75c_1_versions_that_are_refused(version: object) -> None:
    from mlbom.errors import InputError
    from mlbom.reader import loads

    raw = _bom(version) if version is not None else _bom(1).replace(b'"version": 1', b'"version": null')
    with pytest.raises(InputError, match=r"/version: .* is not a BOM version mlbom can read"):
        loads(raw)


def test_75c_1_the_largest_version_is_indexed_and_found(tmp_path: Path, capsys: Any) -> None:
    bom = tmp_path / "max.cdx.json"
    bom.write_bytes(_bom(2**63 - 1))
    db = f"sqlite:///{tmp_path / 'ix.db'}"
    assert main(["index", "add", str(bom), "--db", db]) == 0
    assert f"v{2**63 - 1}" in capsys.readouterr().out
    assert main(["query", "--db", db, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["bom_version"] for r in rows] == [str(2**63 - 1)]


def test_75c_1_audit_of_the_largest_version_is_refused(tmp_path: Path, capsys: Any) -> None:
    """The audited BOM is one version on, which no reader could read back."""
    bom = tmp_path / "max.cdx.json"
    bom.write_bytes(_bom(2**63 - 1))
    assert main(["audit", str(bom), "--vuln-db", str(EPOCH / "osv"), "-o", str(tmp_path / "out.json")]) == 2
    assert "largest BOM version" in _one_line(capsys)


def test_75c_1_audit_bumps_a_version_written_2_0(tmp_path: Path, capsys: Any) -> None:
    bom = tmp_path / "two.cdx.json"
    bom.write_bytes(_bom(2.0))
    assert main(["audit", str(bom), "--vuln-db", str(EPOCH / "osv"), "-o", str(tmp_path / "out.json")]) == 0
    quiet_output(capsys)
    assert json.loads((tmp_path / "out.json").read_text())["version"] == 3


# --- 75c-2/3: mlbom:file:size ------------------------------------------------------------------

@pytest.mark.parametrize("bom", SIZES, ids=[p.name for p in SIZES])
@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_75c_2_report_reads_an_unreadable_size_as_absent(bom: Path, fmt: str, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / f"r.{fmt}"
    assert main(["report", str(bom), "--format", fmt, "-o", str(out)]) == 0
    quiet_output(capsys)
    assert "0 bytes in 1 files" in out.read_text("utf-8")


@pytest.mark.parametrize("bom", SIZES, ids=[p.name for p in SIZES])
def test_75c_3_spdx3_reads_an_unreadable_size_as_absent(bom: Path, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "o.spdx.json"
    assert main(["convert", str(bom), "--to", "spdx3", "-o", str(out)]) == 0
    quiet_output(capsys)
    text = out.read_text("utf-8")
    assert "dataset_DatasetPackage" in text and "datasetSize" not in text


def test_75c_3_a_plain_size_is_still_summed(tmp_path: Path, capsys: Any) -> None:
    src = json.loads((HOSTILE / "file-size" / "file-size-superscript-two.cdx.json").read_text("utf-8"))
    src["components"][1]["properties"][0]["value"] = "1234"
    bom = tmp_path / "ok.cdx.json"
    bom.write_text(json.dumps(src))
    assert main(["convert", str(bom), "--to", "spdx3", "-o", str(tmp_path / "o.json")]) == 0
    assert main(["report", str(bom), "--format", "text", "-o", str(tmp_path / "r.txt")]) == 0
    quiet_output(capsys)
    assert '"dataset_datasetSize": 1234' in (tmp_path / "o.json").read_text()
    assert "1234 bytes in 1 files" in (tmp_path / "r.txt").read_text()


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("18446744073709551615", 2**64 - 1), ("99999999999999999999", 10**20 - 1),
                                             ("²", None), ("٣", None), ("9" * 21, None), ("9" * 5000, None), ("", None),
                                             ("+1", None), ("-1", None), (" 1", None), ("1_0", None), ("0x1", None)])
def test_bounded_int_is_ascii_digits_of_bounded_length(text: str, value: int | None) -> None:
    from mlbom.limits import bounded_int

    assert bounded_int(text) == value


# --- 75c-4: manifest --shard -------------------------------------------------------------------

@pytest.mark.parametrize("shard", ["x/3", "²/3", "1/²", "٣/3", "00000001/3", "9" * 5000 + "/3", "1/" + "9" * 5000,
                                   "0/3", "4/3", "1/1000001", " 1/3", "+1/3"])
def test_75c_4_a_shard_is_ascii_digits_or_one_usage_line(shard: str, tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "a.bin").write_bytes(b"a")
    assert main(["manifest", str(tmp_path / "folder"), "--shard", shard, "-o", str(tmp_path / "part.jsonl"),
                 "--no-cache"]) == 2
    line = _one_line(capsys)
    assert "expected I/N with 1 ≤ I ≤ N" in line, line
    assert not (tmp_path / "part.jsonl").exists()


def test_75c_4_the_header_of_a_part_is_read_by_the_same_rule() -> None:
    from mlbom.manifest.format import read_shard

    assert read_shard("3/8") == (3, 8)
    assert read_shard("0000003/1000000") == (3, 1_000_000)
    assert [read_shard(t) for t in ("²/3", "3", "3/2", "1/1000001", "00000003/8")] == [None] * 5


# --- 75c-5: SOURCE_DATE_EPOCH ---------------------------------------------------------------------

BAD_EPOCHS = ["²", "99999999999999", "-60000000000", "+5", "1_000", "5e9", "1.5", "9" * 5000, "٣", "- 5"]


@pytest.mark.parametrize("epoch", BAD_EPOCHS)
@pytest.mark.parametrize("command", ["audit", "convert", "generate"])
def test_75c_5_every_reader_of_source_date_epoch_refuses_in_one_line(epoch: str, command: str, tmp_path: Path,
                                                                      capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    empty = tmp_path / "requirements.txt"
    empty.write_text("")
    args = {"audit": ["audit", str(EPOCH / "torch.cdx.json"), "--vuln-db", str(EPOCH / "osv"), "-o", str(tmp_path / "o.json")],
            "convert": ["convert", str(EPOCH / "torch.cdx.json"), "--to", "spdx3", "-o", str(tmp_path / "o.json")],
            "generate": ["generate", "--no-gpu", "--requirements", str(empty), "-o", str(tmp_path / "o.json")]}[command]
    assert main(args) == 2
    assert "SOURCE_DATE_EPOCH=" in _one_line(capsys)
    assert not (tmp_path / "o.json").exists()


@pytest.mark.parametrize(("epoch", "stamp"), [("1700000000", "2023-11-14T22:13:20Z"), (" 1700000000\n", "2023-11-14T22:13:20Z"),
                                              ("-5", "1969-12-31T23:59:55Z"), ("253402300799", "9999-12-31T23:59:59Z"),
                                              ("-30610224000", "1000-01-01T00:00:00Z")])
def test_75c_5_a_good_epoch_is_the_same_time_everywhere(epoch: str, stamp: str, tmp_path: Path, capsys: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    empty = tmp_path / "requirements.txt"
    empty.write_text("")
    assert main(["generate", "--no-gpu", "--requirements", str(empty), "-o", str(tmp_path / "g.json")]) == 0
    assert main(["audit", str(EPOCH / "torch.cdx.json"), "--vuln-db", str(EPOCH / "osv"), "-o", str(tmp_path / "a.json")]) == 0
    assert main(["convert", str(EPOCH / "torch.cdx.json"), "--to", "spdx3", "-o", str(tmp_path / "s.json")]) == 0
    quiet_output(capsys)
    assert json.loads((tmp_path / "g.json").read_text())["metadata"]["timestamp"] == stamp
    audited = json.loads((tmp_path / "a.json").read_text())
    assert any(f"at {stamp}" in p["value"] for p in audited["metadata"]["properties"])
    assert f'"created": "{stamp}"' in (tmp_path / "s.json").read_text()


# --- 75c-6: diff of namesakes ---------------------------------------------------------------------

def _namesakes(n: int) -> dict[str, object]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": [{"type": "library", "name": "a", "description": str(i)} for i in range(n)]}


def test_75c_6_namesakes_cost_linear_probes(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts the probes of the taken keys (not the clock): 10,000 namesakes took 33 s, i.e.
    N²/2 probes; now each namesake costs O(1)."""
    import mlbom.diff as d

    probes = 0

    class Counted:
        def __init__(self, keys: dict[str, object]) -> None:
            self.keys = keys

        def __contains__(self, key: object) -> bool:
            nonlocal probes
            probes += 1
            return key in self.keys

    real = d._unique
    monkeypatch.setattr(d, "_unique", lambda ident, c, taken, *rest: real(ident, c, Counted(taken), *rest))
    n = 3000
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(_namesakes(n)))
    doc = _namesakes(n)
    doc["components"][-1]["description"] = "changed"  # type: ignore[index]
    new.write_text(json.dumps(doc))
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    quiet_output(capsys)
    assert probes <= 4 * 2 * n, probes  # both BOMs; quadratic was ~n²/2 = 4.5 million per BOM


def test_75c_6_namesakes_keep_their_numbers(tmp_path: Path, capsys: Any) -> None:
    """The counter gives the same keys as the probe from #2: a namesake changed in the middle
    is reported under its own number, and a component literally named ``a #3`` does not steal one."""
    doc = _namesakes(5)
    doc["components"].insert(0, {"type": "library", "name": "a #3"})  # type: ignore[attr-defined]
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(doc))
    # the third "a": "a #3" is taken (by the component of that name), so it is "a #4"
    doc["components"][3]["licenses"] = [{"license": {"id": "MIT"}}]  # type: ignore[index]
    new.write_text(json.dumps(doc))
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert [(c["kind"], c["identity"]) for c in changes] == [("licence-change", "library:/a #4")], changes


def test_75c_6_twenty_thousand_namesakes_are_diffed(tmp_path: Path, capsys: Any) -> None:
    """A 1 MB BOM of namesakes (over 2 minutes before): a generous bound, not a timing."""
    import time

    bom = tmp_path / "b.json"
    bom.write_text(json.dumps(_namesakes(20_000), separators=(",", ":")))
    start = time.process_time()
    assert main(["diff", str(bom), str(bom)]) == 0
    assert time.process_time() - start < 60
    quiet_output(capsys)


# --- 75c-7: convert --to spdx3 ---------------------------------------------------------------------

def test_75c_7_spdx3_writes_without_indexing_each_object(tmp_path: Path, capsys: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The object set's index serves lookups nothing makes: not built (8.3 → 5.8 s CPU for 30,000
    components), and the output is byte for byte what the indexed set writes."""
    import io

    from spdx_python_model import v3_0_1 as s

    from mlbom.reader import load
    from mlbom.spdx3 import build, to_spdx3

    bom = HOSTILE / "file-size" / "file-size-superscript-two.cdx.json"
    indexed = s.SHACLObjectSet()
    for o in build(load(bom)):
        indexed.add(o)
    want = io.BytesIO()
    s.JSONLDSerializer().write(indexed, want, indent=2)
    calls = 0
    real = s.SHACLObjectSet.add_index

    def counted(self: Any, obj: Any) -> None:
        nonlocal calls
        calls += 1
        real(self, obj)

    monkeypatch.setattr(s.SHACLObjectSet, "add_index", counted)
    got = to_spdx3(load(bom))
    assert calls == 0
    assert got == want.getvalue() + b"\n"


# --- other int() readings of text, found on the way ---------------------------------------------

def test_artifact_size_bound_from_the_environment_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """``MLBOM_MAX_ARTIFACT_BYTES`` of 5,000 digits passed ``isascii() and isdigit()`` and crashed
    in ``int()`` (``verify --artifacts``)."""
    from mlbom.artifacts import MAX_UNSIZED_ENV, max_unsized_bytes
    from mlbom.errors import UsageError

    for bad in ("9" * 5000, "²", "0", "-5"):
        monkeypatch.setenv(MAX_UNSIZED_ENV, bad)
        with pytest.raises(UsageError, match=MAX_UNSIZED_ENV):
            max_unsized_bytes()
    monkeypatch.setenv(MAX_UNSIZED_ENV, "1000")
    assert max_unsized_bytes() == 1000



def test_an_omegaconf_index_is_read_as_omegaconf_reads_it() -> None:
    """Up to 4,300 digits (leading zeros count for nothing) is an index; more is not an int to
    OmegaConf either. 5,000 digits crashed the scan (``scan.internal-error``)."""
    from mlbom.formats.config_targets import _Resolver

    res = _Resolver(["x", "y"])
    assert res.child(["x", "y"], "0" * 4299 + "1") == "y"
    assert res.child(["x", "y"], "0" * 4300 + "1") is res.child(["x", "y"], "2")  # both: not found
