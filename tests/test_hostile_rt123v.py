"""Red team 123v.

123v-2: the report's "Needs attention" table had one row per finding, sorted (severity, component)
and cut at ``MAX_REPORT_TABLE_ROWS``: 5,000 decoy ``high`` findings on a library ``aaa`` pushed out
the only row saying that ``zz-evil-model`` is unsafe. Now one row per component (its worst item, how
many, the first few), unsafe verdicts first; a cut drops only rows ranked no higher than every row
shown, and says per rank how many.

123v-3: a file whose bom-ref extends nested model refs (``m``, ``m#a``, ...) belonged to every one of
them (D x F rows built before the cut); now to the nearest only, and a Files table makes only the rows
it shows.

Asserted through table rows, cells and output size, never time.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from mlbom.limits import MAX_REPORT_TABLE_ROWS
from tests.helpers import counting_calls


def _keypair(tmp_path: Path) -> tuple[Any, Path, Path]:
    from cryptography.hazmat.primitives import serialization

    from mlbom import signing

    k = signing.generate_key("es256")
    pub = tmp_path / "k.pub"
    pub.write_bytes(k.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo))
    priv = tmp_path / "k.key"
    priv.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return k, pub, priv


def _base() -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []}


def _build(doc: dict[str, Any]) -> Any:
    from mlbom import reader
    from mlbom import report as rp

    data = json.dumps(doc).encode()
    return rp.build(reader.loads(data, "bom.json")), data


def _attention_table(r: Any) -> Any:
    from mlbom.report.model import Table

    s = next(s for s in r.sections if s.id == "attention")
    return next(b for b in s.blocks if isinstance(b, Table))


def _unsafe_model() -> dict[str, Any]:
    return {"type": "machine-learning-model", "bom-ref": "evil", "name": "zz-evil-model",
            "properties": [{"name": "mlbom:safety:verdict", "value": "unsafe"}]}


# ---- 123v-2: "Needs attention" ----------------------------------------------------------


def test_decoy_findings_on_one_component_cannot_hide_an_unsafe_model() -> None:
    """The reproducer's shape: 5,000 high findings on ``aaa``, 200 models, 5 unscanned weights, and
    the 201st model unsafe (no section of its own)."""
    from mlbom import report as rp

    doc = _base()
    props = [{"name": "mlbom:finding", "value": f"high noise.check{i}: decoy"} for i in range(5000)]
    doc["components"].append({"type": "library", "bom-ref": "aaa", "name": "aaa", "version": "1", "properties": props})
    doc["components"] += [{"type": "machine-learning-model", "bom-ref": f"m{i}", "name": f"m{i:03d}"} for i in range(200)]
    doc["components"] += [{"type": "file", "bom-ref": f"w{i}", "name": f"extra/w{i}.bin",
                           "properties": [{"name": "mlbom:file:path", "value": f"extra/w{i}.bin"}]} for i in range(5)]
    doc["components"].append(_unsafe_model())
    r, _ = _build(doc)
    t = _attention_table(r)
    assert t.omitted == 0 and len(t.rows) == 2  # was 5,000 rows shown and the unsafe one cut
    assert t.rows[0][:2] == ("unsafe", "zz-evil-model")  # worst first
    assert t.rows[1][:4] == ("high", "aaa", "-", "5000")
    assert "and 4997 more" in t.rows[1][4]
    for fmt in ("markdown", "text", "html"):
        text = rp.render(r, fmt)
        assert any("zz-evil-model" in line and "unsafe" in line for line in text.splitlines()), fmt


def test_a_cut_attention_table_keeps_the_worst_and_counts_per_rank() -> None:
    """More components with a finding than the table's rows: the unsafe model (named last) and the
    critical ones are shown; only rows of the lowest shown rank or lower are cut, counted per rank."""
    from mlbom import report as rp

    doc = _base()
    n = MAX_REPORT_TABLE_ROWS + 50
    doc["components"] += [{"type": "library", "bom-ref": f"a{i}", "name": f"a{i:05d}",
                           "properties": [{"name": "mlbom:finding", "value": f"high noise.x: decoy {i}"}]}
                          for i in range(n)]
    doc["components"] += [{"type": "library", "bom-ref": f"l{i}", "name": f"l{i}",
                           "properties": [{"name": "mlbom:finding", "value": "low noise.y: decoy"}]} for i in range(7)]
    doc["components"].append({"type": "library", "bom-ref": "zc", "name": "zz-critical",
                              "properties": [{"name": "mlbom:finding", "value": "critical vuln.x: real"}]})
    doc["components"].append(_unsafe_model())
    r, _ = _build(doc)
    t = _attention_table(r)
    order = ("unsafe", "unknown", "critical", "high", "medium", "low", "info", "none")
    shown = [order.index(row[0]) for row in t.rows]
    assert shown == sorted(shown)
    assert t.rows[0][:2] == ("unsafe", "zz-evil-model") and t.rows[1][:2] == ("critical", "zz-critical")
    assert t.omitted == n + 2 + 7 - MAX_REPORT_TABLE_ROWS
    assert t.omitted_by == (("high", n + 2 - MAX_REPORT_TABLE_ROWS), ("low", 7))
    text = rp.render(r, "markdown")
    assert f"{t.omitted} more row(s) ({n + 2 - MAX_REPORT_TABLE_ROWS} high, 7 low) not shown" in text


# ---- 123v-4: long strings repeated per row ----------------------------------------------


def test_a_long_dataset_name_linked_from_many_models_is_not_amplified() -> None:
    """One dataset with a 100 KB name linked from 1,000 tiny model cards: the Models overview, each
    model's facts and lineage repeated it whole (161 MB of report from a 224 KB BOM)."""
    from mlbom import report as rp
    from mlbom.limits import MAX_REPORT_CELL_CHARS

    doc = _base()
    doc["components"].append({"type": "data", "bom-ref": "d", "name": "D" * 100_000})
    doc["components"] += [{"type": "machine-learning-model", "bom-ref": f"m{i}", "name": f"m{i}",
                           "modelCard": {"modelParameters": {"datasets": [{"ref": "d"}]}}} for i in range(1000)]
    r, data = _build(doc)
    for fmt in ("markdown", "text", "html"):
        text = rp.render(r, fmt)
        assert len(text) < 10 * len(data), (fmt, len(text), len(data))
        assert "D" * (MAX_REPORT_CELL_CHARS + 1) not in text
        assert "(100000 characters in all)" in text


def test_a_long_library_name_with_many_findings_is_not_amplified() -> None:
    from mlbom import report as rp

    doc = _base()
    props = [{"name": "mlbom:finding", "value": f"high noise.n{i}: x"} for i in range(2000)]
    doc["components"].append({"type": "library", "bom-ref": "n", "name": "N" * 50_000, "properties": props})
    r, data = _build(doc)
    for fmt in ("markdown", "text", "html"):
        assert len(rp.render(r, fmt)) < 2 * len(data), fmt


# ---- 123v-3: files by bom-ref prefix -----------------------------------------------------


def _nested(d: int, f: int, kind: str = "machine-learning-model") -> dict[str, Any]:
    doc = _base()
    ref = "m"
    for i in range(d):
        doc["components"].append({"type": kind, "bom-ref": ref, "name": f"n{i}"})
        deepest, ref = ref, ref + "#a"
    doc["components"] += [{"type": "file", "bom-ref": f"{deepest}#w{j}.bin", "name": f"w{j}.bin"} for j in range(f)]
    return doc


@pytest.mark.parametrize("kind", ["machine-learning-model", "data"])
def test_a_file_belongs_to_its_nearest_model_only(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested refs ``m``, ``m#a``, ``m#a#a`` ... and files extending the deepest: every model listed
    every file (D x F rows and scores before the cut); now the deepest alone lists them."""
    import mlbom.report.model as rm
    from mlbom import reader, readmodel

    d, f = 40, 300
    doc = _nested(d, f, kind)
    v = readmodel.read(reader.loads(json.dumps(doc).encode(), "prefix.json"))
    counts = [len(v.files_of(c)) for c in v.components if c.type == kind]
    assert counts == [0] * (d - 1) + [f]  # was [f] * d
    with counting_calls(monkeypatch, rm, "weights_only") as calls:
        _build(doc)
    assert calls[0] <= f  # was d x f Files rows built


def test_a_file_next_to_a_nested_model_stays_with_the_outer_one() -> None:
    from mlbom import reader, readmodel

    doc = _base()
    doc["components"] = [{"type": "machine-learning-model", "bom-ref": "m", "name": "outer"},
                         {"type": "machine-learning-model", "bom-ref": "m#a", "name": "inner"},
                         {"type": "file", "bom-ref": "m#x.bin", "name": "x.bin"},
                         {"type": "file", "bom-ref": "m#a#y.bin", "name": "y.bin"},
                         {"type": "file", "bom-ref": "m#ab#z.bin", "name": "z.bin"}]
    v = readmodel.read(reader.loads(json.dumps(doc).encode(), "b.json"))
    outer, inner = v.by_ref["m"], v.by_ref["m#a"]
    assert [x.name for x in v.files_of(outer)] == ["x.bin", "z.bin"]
    assert [x.name for x in v.files_of(inner)] == ["y.bin"]


def test_a_models_files_table_makes_only_the_rows_it_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    import mlbom.report.model as rm

    doc = _nested(1, MAX_REPORT_TABLE_ROWS + 10)
    with counting_calls(monkeypatch, rm, "weights_only") as calls:
        r, _ = _build(doc)
    assert calls[0] == MAX_REPORT_TABLE_ROWS
    files = [b for s in r.sections for b in s.blocks if getattr(b, "caption", "") == "Files"]
    assert files[0].omitted == 10


# ---- 123v-1: sign --dsse and ES6 numbers -------------------------------------------------

ES6_EDGES = [(3.2e-6, "0.0000032", "0.0000032"), (1e-6, "0.000001", "0.000001"), (9.99e-6, "0.00000999", "0.00000999"),
             (1e-7, "1e-7", "1e-7"), (5e-324, "5e-324", "5e-324"), (123.5, "123.5", "123.5")]


def _energy_bom(tmp_path: Path, spelling: str) -> Path:
    doc = _base()
    doc["components"] = [{"type": "machine-learning-model", "bom-ref": "m", "name": "m", "modelCard": {
        "considerations": {"environmentalConsiderations": {"energyConsumptions": [{
            "activity": "training", "energyProviders": [],
            "activityEnergyCost": {"value": 424242, "unit": "kWh"}}]}}}}]
    bom = tmp_path / "bom.json"
    bom.write_bytes(json.dumps(doc).replace("424242", spelling).encode())
    return bom


@pytest.mark.parametrize(("value", "written", "spelling"), ES6_EDGES)
def test_sign_dsse_writes_numbers_as_verify_reads_them(value: float, written: str, spelling: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A BOM holding a number in [1e-6, 1e-5) (an energy figure of a few mWh in kWh): ``sign --dsse``
    wrote ``3.2e-6`` (orjson) and ``verify`` refused it as not RFC 8785, always. Both now use one writer."""
    from mlbom import dsse

    _k, pub, priv = _keypair(tmp_path)
    bom = _energy_bom(tmp_path, written)  # the RFC 8785 spelling
    env = tmp_path / "bom.intoto.json"
    assert main(["sign", str(bom), "--key", str(priv), "--dsse", "-o", str(env)]) == 0, capsys.readouterr().err
    payload = base64.b64decode(json.loads(env.read_bytes())["payload"])
    assert spelling.encode() in payload
    _subjects, predicate = dsse.parse_statement(payload)
    cost = predicate["components"][0]["modelCard"]["considerations"]["environmentalConsiderations"]
    assert cost["energyConsumptions"][0]["activityEnergyCost"]["value"] == value
    assert main(["verify", str(env), "--key", str(pub)]) == 0, capsys.readouterr().err
    assert main(["verify", str(env), "--key", str(pub), "--bom", str(bom)]) == 0, capsys.readouterr().err


def test_sign_statement_writes_every_double_in_its_es6_form() -> None:
    """The writer itself, on values no BOM file can spell (-0.0 reaches it as a double): the payload
    parses under verify's rules and reads back the same numbers."""
    from mlbom import dsse, signing

    values = [3.2e-6, 1e-6, 9.99e-6, 1e-7, 5e-324, -0.0, 1e-5, 0.1, 2.0 ** 53 - 1]
    doc = {**_base(), "x": values}
    env = dsse.sign_statement(b"{}", doc, signing.generate_key("es256"), bom_name="bom.json", extra_subjects=[])
    payload = base64.b64decode(json.loads(env)["payload"])
    assert b'"x":[0.0000032,0.000001,0.00000999,1e-7,5e-324,0,0.00001,0.1,9007199254740991]' in payload
    assert dsse.parse_statement(payload)[1]["x"] == values


@pytest.mark.parametrize(("written", "why"), [("1e+21", "exactly representable"),
                                              ("100000000000000000000", "exactly representable"),
                                              ("-0.0", "canonical RFC 8785 form"), ("1e-6", "canonical RFC 8785 form")])
def test_sign_dsse_refuses_what_verify_would_refuse(written: str, why: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Past 2**53 (I-JSON), or a BOM not in RFC 8785 form: refused at signing (exit 2), nothing written."""
    _k, _pub, priv = _keypair(tmp_path)
    env = tmp_path / "bom.intoto.json"
    assert main(["sign", str(_energy_bom(tmp_path, written)), "--key", str(priv), "--dsse", "-o", str(env)]) == 2
    assert why in capsys.readouterr().err and not env.exists()
