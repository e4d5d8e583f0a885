"""Reading BOMs back (JSON and XML, 1.4–1.7, from mlbom and from other tools) and refusing
what is not a BOM, clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mlbom
from mlbom.cli import main
from mlbom.diff import diff
from mlbom.errors import InputError
from mlbom.reader import load, loads

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"


@pytest.fixture(scope="module")
def example_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("pair")
    bom = mlbom.generate(EXAMPLE, reproducible=True, name="tiny-release", gpu=False)
    (out / "bom.json").write_bytes(mlbom.dumps(bom, "json"))
    (out / "bom.xml").write_bytes(mlbom.dumps(bom, "xml"))
    return out / "bom.json", out / "bom.xml"


def test_own_xml_reads_back_as_the_json_document(example_pair: tuple[Path, Path]) -> None:
    j, x = load(example_pair[0]), load(example_pair[1])
    assert (j.format, x.format) == ("json", "xml")
    assert j.serial_number == x.serial_number and j.spec_version == x.spec_version == "1.6"
    assert diff(j.doc, x.doc) == []
    assert j.content_digest == x.content_digest  # same BOM, two encodings
    assert j.sha256 != x.sha256
    # the ML blocks survive the XML reading field by field
    model_j = next(c for c in j.components() if c["type"] == "machine-learning-model")
    model_x = next(c for c in x.components() if c["type"] == "machine-learning-model")
    assert model_x["modelCard"] == model_j["modelCard"]
    data_x = next(c for c in x.components() if c["type"] == "data")
    assert data_x["data"] == next(c for c in j.components() if c["type"] == "data")["data"]
    assert not j.problems and not x.problems


def test_cli_diff_json_against_xml(example_pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(example_pair[0]), str(example_pair[1]), "--fail-on", "any"]) == 0
    assert "no differences" in capsys.readouterr().out
    assert main(["query", str(example_pair[1]), "--type", "library", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} >= {"numpy", "attrs"}


def test_spec_example_json_and_xml_agree(corpus: Path) -> None:
    base = corpus / "cyclonedx" / "examples" / "specification" / "1.6"
    j, x = load(base / "valid-machine-learning-1.6.json"), load(base / "valid-machine-learning-1.6.xml")
    body_j = {k: v for k, v in j.doc.items() if k != "$schema"}
    assert body_j == x.doc
    assert j.content_digest == x.content_digest


def test_every_corpus_example_loads(corpus: Path) -> None:
    files = sorted((corpus / "cyclonedx" / "examples").rglob("*.json")) + sorted(
        (corpus / "cyclonedx" / "examples").rglob("*.xml"))
    assert files
    broken = corpus / "cyclonedx" / "examples" / "bom-examples" / "MLBOM" / "Model" / "OpenSource" / "bom.json"
    for f in files:
        if f == broken:  # the published example has a trailing comma: a clear error, with the place
            with pytest.raises(InputError, match="trailing comma is not allowed: line 8"):
                load(f)
            continue
        b = load(f)
        assert b.spec_version in ("1.4", "1.5", "1.6", "1.7"), f
        assert isinstance(b.components(), list)
    signed = load(corpus / "cyclonedx" / "examples" / "specification" / "1.6" / "valid-signatures-1.6.json")
    assert signed.signature == "jsf"


_XML_14 = b"""<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4" serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" version="3">
  <metadata><timestamp>2020-04-13T20:20:39+00:00</timestamp>
    <tools><tool><vendor>CycloneDX</vendor><name>cyclonedx-py</name><version>3.0</version></tool></tools>
    <component type="application" bom-ref="app"><name>svc</name><version>1.0</version></component>
  </metadata>
  <components>
    <component type="library" bom-ref="pkg:pypi/requests@2.31.0">
      <name>requests</name><version>2.31.0</version>
      <hashes><hash alg="SHA-256">ABCDEF</hash></hashes>
      <licenses><license><id>Apache-2.0</id></license></licenses>
      <purl>pkg:pypi/requests@2.31.0</purl>
      <components><component type="library" bom-ref="inner"><name>inner</name></component></components>
    </component>
    <component type="library" bom-ref="dual"><name>dual</name>
      <licenses><expression>MIT OR Apache-2.0</expression></licenses>
      <properties><property name="a">1</property><property name="b">2</property></properties>
    </component>
  </components>
  <dependencies>
    <dependency ref="app"><dependency ref="pkg:pypi/requests@2.31.0"/></dependency>
    <dependency ref="pkg:pypi/requests@2.31.0"/>
  </dependencies>
  <x:extension xmlns:x="urn:example">ignored</x:extension>
</bom>"""


def test_utf8_byte_order_mark_is_accepted() -> None:
    b = loads(b'\xef\xbb\xbf{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 2}', "bom.json")
    assert (b.spec_version, b.version) == ("1.5", 2)
    assert loads(b"\xef\xbb\xbf" + _XML_14, "bom.xml").spec_version == "1.4"


def test_xml_1_4_from_another_tool() -> None:
    b = loads(_XML_14, "other.xml")
    assert (b.spec_version, b.version, b.timestamp) == ("1.4", 3, "2020-04-13T20:20:39+00:00")
    assert b.metadata["tools"] == [{"vendor": "CycloneDX", "name": "cyclonedx-py", "version": "3.0"}]
    comps = {c["name"]: c for c in b.components()}
    assert set(comps) == {"requests", "inner", "dual"}
    assert comps["requests"]["hashes"] == [{"alg": "SHA-256", "content": "ABCDEF"}]
    assert comps["requests"]["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert comps["dual"]["licenses"] == [{"expression": "MIT OR Apache-2.0"}]
    assert comps["dual"]["properties"] == [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]
    assert b.doc["dependencies"] == [{"ref": "app", "dependsOn": ["pkg:pypi/requests@2.31.0"]},
                                     {"ref": "pkg:pypi/requests@2.31.0"}]
    assert not b.problems


@pytest.mark.parametrize(("data", "message"), [
    (b'{"bomFormat": "SPDX"}', "not a CycloneDX BOM"),
    (b'{"spdxVersion": "SPDX-2.3"}', "not a CycloneDX BOM"),
    (b'{"bomFormat": "CycloneDX", "specVersion": "1.3"}', "unsupported CycloneDX specVersion '1.3'"),
    (b'{"bomFormat": "CycloneDX", "specVersion": "2.0"}', "unsupported"),
    (b'{"bomFormat": "CycloneDX", "specVersion": ', "not valid JSON"),
    (b"hello", "neither JSON nor XML"),
    (b"", "empty file"),
    (b"  \n", "empty file"),
    (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.2"/>', "unsupported CycloneDX XML namespace version '1.2'"),
    (b"<html><body/></html>", "not a CycloneDX BOM"),
    (b"<bom", "not well-formed XML"),
    (b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
     b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6">&b;</bom>', "XML refused"),
    (b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>&x;</components></bom>', "XML refused"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_bad_input_is_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        loads(data, "bad")
    assert message in str(info.value)


def test_duplicate_and_dangling_refs_are_problems_not_crashes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "components": [{"type": "library", "name": "a", "bom-ref": "x"}, {"type": "library", "name": "b", "bom-ref": "x"}],
           "dependencies": [{"ref": "x", "dependsOn": ["nowhere"]}]}
    p = tmp_path / "dup.json"
    p.write_text(json.dumps(doc))
    b = load(p)
    assert any("not unique" in m for m in b.problems) and any("'nowhere' names no component" in m for m in b.problems)
    # a duplicated bom-ref is refused by every reader keyed by bom-ref (red team 10c P2): exit 2
    assert main(["query", str(p)]) == 2
    assert "not unique" in capsys.readouterr().err
    doc["components"][1]["bom-ref"] = "y"  # a dangling ref alone stays a warning
    p.write_text(json.dumps(doc))
    assert main(["query", str(p)]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "names no component" in err


def test_oversized_bom_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "huge.json"
    with open(big, "wb") as fh:  # a sparse 500 MB file: nothing is written, nothing read
        fh.truncate(500 << 20)
    with pytest.raises(InputError, match="500 MiB, larger than the 256 MiB"):
        load(big)
    monkeypatch.setenv("MLBOM_MAX_BOM_BYTES", str(1 << 20))
    small = tmp_path / "two-mb.json"
    small.write_bytes(b" " * (2 << 20))
    assert main(["query", str(small)]) == 2
    with pytest.raises(InputError, match="folder"):
        load(tmp_path)


@pytest.mark.parametrize("spec", ["1.4", "1.5", "1.6"])
def test_boms_written_by_cyclonedx_python_lib(spec: str) -> None:
    """Another producer's JSON and XML of the same BOM read to the same components and graph."""
    from cyclonedx.model import HashAlgorithm, HashType
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.license import LicenseExpression
    from cyclonedx.output import make_outputter
    from cyclonedx.schema import OutputFormat, SchemaVersion
    from packageurl import PackageURL

    bom = Bom()
    root = Component(name="app", version="1.0", type=ComponentType.APPLICATION, bom_ref="app")
    bom.metadata.component = root
    lib = Component(name="requests", version="2.31.0", type=ComponentType.LIBRARY, bom_ref="requests",
                    purl=PackageURL("pypi", name="requests", version="2.31.0"),
                    licenses=[LicenseExpression("Apache-2.0")],
                    hashes=[HashType(alg=HashAlgorithm.SHA_256, content="a" * 64)])
    dep = Component(name="idna", version="3.7", type=ComponentType.LIBRARY, bom_ref="idna")
    bom.components.update([lib, dep])
    bom.register_dependency(root, [lib])
    bom.register_dependency(lib, [dep])
    version = SchemaVersion.from_version(spec)
    j = loads(make_outputter(bom, OutputFormat.JSON, version).output_as_string().encode(), "cdx.json")
    x = loads(make_outputter(bom, OutputFormat.XML, version).output_as_string().encode(), "cdx.xml")
    for b in (j, x):
        assert b.spec_version == spec and not b.problems
        comps = {c["name"]: c for c in b.components()}
        assert comps["requests"]["purl"] == "pkg:pypi/requests@2.31.0"
        assert comps["requests"]["hashes"] == [{"alg": "SHA-256", "content": "a" * 64}]
        assert comps["requests"]["licenses"][0]["expression"] == "Apache-2.0"
    assert diff(j.doc, x.doc) == []


def test_own_1_7_xml_reads_back_as_its_json(tmp_path: Path) -> None:
    bom = mlbom.generate(EXAMPLE, reproducible=True, name="tiny-release", gpu=False, spec_version="1.7")
    (tmp_path / "b.json").write_bytes(mlbom.dumps(bom, "json"))
    (tmp_path / "b.xml").write_bytes(mlbom.dumps(bom, "xml"))
    j, x = load(tmp_path / "b.json"), load(tmp_path / "b.xml")
    assert j.spec_version == x.spec_version == "1.7"
    assert diff(j.doc, x.doc) == [] and j.content_digest == x.content_digest
