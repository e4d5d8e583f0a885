"""The one document layer (:mod:`mlbom.cyclonedx.document`): the reader and ``validate`` give
one answer on the same bytes (issue 14: the two divergences found before it existed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.cyclonedx import document
from mlbom.cyclonedx.validate import validate_bytes
from mlbom.errors import InputError
from mlbom.reader import loads

_XML_DANGLING_DATASET = b"""<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
  <components>
    <component type="machine-learning-model" bom-ref="model">
      <name>m</name>
      <modelCard>
        <modelParameters>
          <datasets><ref>nowhere</ref></datasets>
        </modelParameters>
      </modelCard>
    </component>
  </components>
</bom>"""

_JSON = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
         "components": [{"type": "library", "name": "x", "bom-ref": "x"}],
         "dependencies": [{"ref": "x", "dependsOn": []}]}


def test_dangling_model_card_dataset_ref_in_xml_is_found_by_reader_and_validate() -> None:
    read = loads(_XML_DANGLING_DATASET, "bom.xml").problems
    checked = validate_bytes(_XML_DANGLING_DATASET, name="bom.xml").problems
    want = "/components/0/modelCard/modelParameters/datasets/0/ref: 'nowhere' names no component"
    assert want in read
    assert want in checked  # validate used to miss it in XML (it checked refs on the lxml tree)


def test_the_same_bom_in_json_and_xml_has_the_same_referential_problems() -> None:
    doc, _spec, _signed = document.parse_xml(_XML_DANGLING_DATASET, "bom.xml")
    data = json.dumps(doc).encode()
    assert loads(data).problems == loads(_XML_DANGLING_DATASET).problems
    assert [p for p in validate_bytes(data).problems if "names no component" in p] == \
        [p for p in validate_bytes(_XML_DANGLING_DATASET).problems if "names no component" in p]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_utf8_byte_order_mark_is_tolerated_by_reader_and_validate_alike(fmt: str) -> None:
    body = json.dumps(_JSON).encode() if fmt == "json" else _XML_DANGLING_DATASET
    marked = document.UTF8_MARK + body
    assert loads(marked).spec_version == loads(body).spec_version == "1.6"
    report = validate_bytes(marked)  # validate used to refuse a JSON BOM starting with the mark
    assert (report.format, report.problems) == (fmt, validate_bytes(body).problems)
    assert document.sniff(marked) == fmt


def test_duplicate_member_names_are_refused_by_reader_and_validate() -> None:
    data = b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "version": 2}'
    for read in (loads, validate_bytes):
        with pytest.raises(InputError, match="duplicate JSON member name 'version'"):
            read(data)
    nested = b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"a": 1, "b": 2, "a": 3}}'
    with pytest.raises(InputError, match="duplicate"):
        loads(nested)


@pytest.mark.parametrize("bad", [b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "x": NaN}',
                                 b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "x": "\\ud800"}',
                                 b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "x": "\xff"}',
                                 b'{"bomFormat": "CycloneDX", "specVersion": "1.6",}'])
def test_what_is_not_strict_json_is_refused_alike(bad: bytes) -> None:
    for read in (loads, validate_bytes):
        with pytest.raises(InputError, match="not valid JSON"):
            read(bad)


def test_one_list_of_spec_versions() -> None:
    from mlbom import reader
    from mlbom.cyclonedx import validate

    assert reader.SUPPORTED is document.SUPPORTED is validate.SUPPORTED
    for spec in ("1.3", "2.0"):
        data = json.dumps({**_JSON, "specVersion": spec}).encode()
        for read in (loads, validate_bytes):
            with pytest.raises(InputError, match=r"1\.4, 1\.5, 1\.6, 1\.7"):
                read(data)


def test_one_size_limit(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    import mlbom
    from mlbom.limits import MAX_BOM_BYTES
    from mlbom.signing import sign

    assert document.max_bytes() == MAX_BOM_BYTES
    monkeypatch.setenv("MLBOM_MAX_BOM_BYTES", "100")
    big = json.dumps({**_JSON, "pad": "x" * 200}).encode()
    path = Path(str(tmp_path)) / "bom.json"
    path.write_bytes(big)
    for read in (lambda: mlbom.load(path), lambda: mlbom.validate(path),
                 lambda: sign(big, None, name="bom.json")):  # type: ignore[arg-type]
        with pytest.raises(InputError, match="larger than"):
            read()


def test_utf8_byte_order_mark_is_refused_where_bytes_are_signed() -> None:
    from mlbom.errors import VerificationError
    from mlbom.verification import parse

    data = document.UTF8_MARK + json.dumps(_JSON).encode()
    with pytest.raises(VerificationError, match="byte-order mark"):
        parse(data, "bom.json")


HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "hostile" / "bom-read"


def test_numbers_read_as_orjson_reads_them_and_can_be_written_again() -> None:
    """Fuzzing found it: Python's parser reads any integer, which no BOM writer can write
    back (the content digest failed with a TypeError). Beyond 64 bits an integer is read as the
    nearest double, as orjson reads it; beyond the double range it is refused."""
    import orjson

    data = (HOSTILE / "int-beyond-64-bit.cdx.json").read_bytes()
    _fmt, doc, _spec, _sig = document.parse(data, "int.json")
    assert doc["components"][0]["properties"] == orjson.loads(data)["components"][0]["properties"]  # type: ignore[index]
    # a property whose value is not a string is read by no reader: the BOM is refused (red team 12b-3)
    with pytest.raises(InputError, match="value that is not a string"):
        loads(data, "int.json")
    big = b'"properties": [{"name": "n", "value": 100000000000000000000000000000}]'
    assert big in data
    b = loads(data.replace(big, b'"x-n": 100000000000000000000000000000'), "int.json")
    assert len(b.content_digest) == 64
    assert b.metadata["timestamp"] == float(2**64)
    assert b.components()[0]["x-n"] == orjson.loads(data)["components"][0]["properties"][0]["value"]
    for read in (loads, validate_bytes):
        with pytest.raises(InputError, match="not valid JSON: number is infinity"):
            read((HOSTILE / "number-beyond-double.cdx.json").read_bytes())
