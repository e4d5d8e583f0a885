"""The typed read model (:mod:`mlbom.readmodel`) and ``Finding.parse``, the inverse of ``render``."""

from __future__ import annotations

import os

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from mlbom.artifacts import expected_files
from mlbom.model import SEVERITIES, Finding
from mlbom.properties import Prop
from mlbom.query import Filters, select
from mlbom.reader import loads
from mlbom.readmodel import ReadComponent, components, read

EXAMPLES = int(os.environ.get("MLBOM_FUZZ_EXAMPLES", "300"))
_id = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=" :\n"), min_size=1, max_size=20)
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_source = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="()"), min_size=1, max_size=30)


def _plain_message(m: str) -> bool:
    """A message that does not itself end in a parenthesised group (see ``Finding.parse``)."""
    return not (m.endswith(")") and " (" in m)


def _plain_source(s: str) -> bool:
    head, colon, digits = s.rpartition(":")
    return not (colon and head and digits.isdigit() and digits.isascii() and not digits.startswith("0"))


@settings(max_examples=EXAMPLES, deadline=None)
@given(sev=st.sampled_from(SEVERITIES), fid=_id, message=_text.filter(_plain_message),
       source=st.none() | _source.filter(_plain_source), line=st.none() | st.integers(1, 10**6),
       subject=st.none() | st.just("pkg:pypi/x@1"))
def test_parse_is_the_inverse_of_render(sev: str, fid: str, message: str, source: str | None, line: int | None,
                                        subject: str | None) -> None:
    f = Finding(id=fid, severity=sev, message=message, subject=subject, source=source,  # type: ignore[arg-type]
                line=line if source else None)
    assert Finding.parse(f.render(), subject) == f


@settings(max_examples=EXAMPLES, deadline=None)
@given(value=st.one_of(_text, st.builds(lambda s, i, m: f"{s} {i}: {m}", st.sampled_from(SEVERITIES), _id, _text)))
def test_render_of_parse_gives_back_the_value(value: str) -> None:
    f = Finding.parse(value)
    if f is not None:
        assert f.render() == value


def test_parse_reads_source_and_line() -> None:
    f = Finding.parse("high pickle.global: imports os.system (weights/model.pkl:12)", "file:x")
    assert f is not None
    assert (f.severity, f.id, f.message, f.source, f.line, f.subject) == (
        "high", "pickle.global", "imports os.system", "weights/model.pkl", 12, "file:x")
    assert Finding.parse("loud x: y") is None  # no such severity
    assert Finding.parse("high no-colon") is None


_DOC = {
    "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
    "metadata": {"component": {"type": "application", "name": "rel", "bom-ref": "rel",
                               "properties": [{"name": Prop.FINDING.value, "value": "low release.x: whole release"}]}},
    "components": [{
        "type": "machine-learning-model", "name": "m", "bom-ref": "model:m",
        "pedigree": {"ancestors": [{"type": "machine-learning-model", "group": "org", "name": "base",
                                    "purl": "pkg:huggingface/org/base@abc"}]},
        "components": [{
            "type": "file", "name": "w.bin", "bom-ref": "model:m#w.bin",
            "hashes": [{"alg": "SHA-256", "content": "ab" * 32}],
            "licenses": [{"license": {"id": "MIT"}}, {"expression": "MIT OR Apache-2.0"}, {"license": {"name": "custom"}}],
            "properties": [{"name": Prop.FILE_PATH.value, "value": "w.bin"},
                           {"name": Prop.SAFETY_VERDICT.value, "value": "suspicious"},
                           {"name": Prop.SAFETY_VERDICT.value, "value": "unsafe"},
                           {"name": Prop.FINDING.value, "value": "critical pickle.global: os.system (w.bin)"},
                           {"name": Prop.FINDING.value, "value": "not a finding of ours"}],
        }],
    }],
}


def test_one_walk_reaches_nested_components_everywhere() -> None:
    b = loads(orjson.dumps(_DOC))
    names = [c.name for c in components(b.doc)]
    assert names == ["m", "w.bin"]
    assert [c.name for c in select(b.doc, Filters(type="file"))] == ["w.bin"]
    assert set(expected_files(b.doc)[0]) == {"w.bin"}  # verify --artifacts sees the nested file
    assert [c.name for c in read(b).components] == names


def test_component_accessors() -> None:
    v = read(loads(orjson.dumps(_DOC)))
    w = v.by_ref["model:m#w.bin"]
    assert w.verdict == "unsafe"  # worst of the stated verdicts
    assert w.stated_first(Prop.SAFETY_VERDICT) == "suspicious"  # first as written
    assert [lc.text for lc in w.licences] == ["MIT", "MIT OR Apache-2.0", "custom"]
    assert [lc.is_spdx for lc in w.licences] == [True, True, False]
    assert w.sha256s == {"ab" * 32} and w.sha256 == "ab" * 32
    assert [(f.severity, f.id) for f in w.findings] == [("critical", "pickle.global"), ("unknown", "")]
    assert w.findings[0].parsed is not None and w.findings[0].parsed.source == "w.bin"
    assert w.worst_finding == "unknown"  # a finding that does not parse ranks worst (red team 13b-4)
    m = v.by_ref["model:m"]
    assert m.base_model_keys == ("pkg:huggingface/org/base@abc", "org/base")
    assert [(b.name, b.revision) for b in m.base_models] == [("org/base", "abc")]
    assert [f.id for f in v.findings()] == ["release.x", "pickle.global", ""]
    assert (m.identity, w.identity) == ("machine-learning-model:/m", "file:model:m#w.bin")


def test_any_type_anywhere_reads_as_absent() -> None:
    c = ReadComponent({"name": 5, "version": True, "type": ["x"], "hashes": "x", "licenses": [1, {"license": 3}],
                       "properties": [{"name": 1}, {"name": Prop.FINDING.value, "value": None}], "modelCard": [],
                       "pedigree": {"ancestors": "x"}, "data": {"x": 1}})
    assert (c.name, c.version, c.type, c.hashes, c.licences) == ("5", "true", "", (), ())
    assert [f.severity for f in c.findings] == ["unknown"]
    assert c.base_models == () and not c.model_card.present and c.dataset_info.descriptions == ()


def test_base_model_revision_reads_the_purl_as_identity_does() -> None:
    """A base model's revision is the purl's version as every other reader takes it
    (``identity.purl_version``: percent-decoded, subpath and qualifiers dropped), else the
    version field; one rule, not a second spelling of it."""
    from mlbom.readmodel import BaseModel

    def rev(purl: str, version: str = "") -> str:
        return BaseModel(name="b", purl=purl, version=version, relation="").revision

    assert rev("pkg:huggingface/org/base@abc?x=1#sub/dir") == "abc"
    assert rev("pkg:huggingface/org/base@v1%2B2") == "v1+2"
    assert rev("pkg:huggingface/org/base", "main") == "main"
    assert rev("pkg:huggingface/org/base@", "main") == "main"
    assert rev("pkg:huggingface/org/base") == ""
