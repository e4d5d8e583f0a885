"""Red team 112v: signature verification slow paths and XML-DSig strictness. Work is asserted as
counted quantities (signxml calls, tree-walk events, Python calls), never as time.

112v-1: an XML BOM of 963 KB — 240,000 leaves 198 deep under 31 namespace declarations, with a
copy of the publisher's genuine ``ds:Signature`` — cost 4.8 s of ``verify`` (libxml2's inclusive
C14N: elements × depth × declarations), 1.7 s without a signature (``crowded_namespaces`` read
``nsmap``, itself a walk of the ancestors, at every element). Now one linear walk
(:func:`mlbom.cyclonedx.document.xml_walk`) sums the C14N steps and past
:func:`mlbom.limits.xml_c14n_allowance` the signature cannot be verified: exit 2, one line,
before signxml runs. The same holds for prefixes redeclared at every level (distinct prefixes
within ``MAX_NAMESPACES``, thousands of declarations in scope: 3 s of C14N at 155 KB).

112v-3: a 990 KB JSON BOM of 330,000 empty arrays with a JSF signature block: ``report --key``
1.56 s, ``index add --key`` 1.68 s — four walks that each made a tuple (and a generator, a path
string or a link) per value. Now each is one list comprehension per level, and paths are spelled
only for what is reported.

112v-2: (a) ``ds:SignatureValue`` with ``%%%!!!...;;;`` added verified (signxml decodes it without
validation); now SignatureValue and DigestValue must be canonical base64 (XML whitespace only).
(b) the signature moved first in ``<bom>`` verified as "valid" while ``validate`` refused the
file; now it must be the last element of ``<bom>``, where ``sign`` puts it and the CycloneDX XSD
admits it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from mlbom import jsf, limits, xmldsig
from mlbom.cli import main
from mlbom.cyclonedx import document
from mlbom.errors import InputError
from mlbom.trust import TrustPolicy
from tests.helpers import counting_calls

BOM = (b'<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.6" '
       b'serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" version="1"><metadata>'
       b'<timestamp>2024-01-01T00:00:00Z</timestamp></metadata><components>'
       b'<component type="library" bom-ref="pkg:pypi/demo@1.0"><name>demo</name><version>1.0</version>'
       b'<purl>pkg:pypi/demo@1.0</purl></component></components></bom>\n')
HEAD = b"<?xml version='1.0' encoding='UTF-8'?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\" version=\"1\">"


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture()
def world(tmp_path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    """``pub.pub`` (the publisher's key) and ``signed.xml`` (a genuine signed XML BOM)."""
    (tmp_path / "pub.pub").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (tmp_path / "signed.xml").write_bytes(xmldsig.sign_xml(BOM, key, name="bom.xml"))
    return tmp_path


def _sig(signed: bytes) -> bytes:
    m = re.search(rb"<ds:Signature.*</ds:Signature>", signed, re.S)
    assert m is not None
    return m.group(0)


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


# ---- 112v-1 ---------------------------------------------------------------------------------

def _deep(depth: int, leaves: int, declared: int, *, redeclare: bool = False) -> bytes:
    """The red team's shape: ``depth`` nested ``<a>``, the first ``declared`` of them declaring one
    namespace each (or, ``redeclare``, every one declaring the same ``declared`` prefixes), then
    ``leaves`` empty ``<b/>``."""
    def decl(i: int) -> bytes:
        if redeclare:
            return b"".join(b' xmlns:n%d="urn:n%d"' % (j, j) for j in range(declared))
        return b' xmlns:n%d="urn:n%d"' % (i, i) if i < declared else b""
    return b"".join(b"<a" + decl(i) + b">" for i in range(depth)) + b"<b/>" * leaves + b"</a>" * depth


def test_112v1_copied_signature_on_a_deep_crowded_bom_is_refused_before_signxml(
        world: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from signxml.verifier import XMLVerifier

    hostile = HEAD + _deep(197, 240_000, 31) + _sig((world / "signed.xml").read_bytes()) + b"</bom>"
    assert len(hostile) < 1 << 20
    (world / "hostile.xml").write_bytes(hostile)
    capsys.readouterr()
    with counting_calls(monkeypatch, XMLVerifier, "verify") as verified:
        assert main(["verify", str(world / "hostile.xml"), "--key", str(world / "pub.pub")]) == 2
    assert verified[0] == 0  # the old code handed it to signxml: 4.8 s of C14N
    err = _one_line(capsys)
    assert "canonicalizing this XML would cost" in err and "cannot be verified" in err, err


def test_112v1_unsigned_deep_crowded_bom_is_refused_by_the_same_walk(
        world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (world / "unsigned.xml").write_bytes(HEAD + _deep(197, 240_000, 31) + b"</bom>")
    capsys.readouterr()
    assert main(["verify", str(world / "unsigned.xml"), "--key", str(world / "pub.pub")]) == 2
    assert "canonicalizing this XML would cost" in _one_line(capsys)  # old: 1.7 s, then "not signed"


def test_112v1_redeclared_prefixes_count_every_declaration(
        world: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """31 prefixes redeclared on each of 190 levels: 31 distinct (within MAX_NAMESPACES, so the
    old check let it through), 5,890 declarations in scope at the leaves (3 s of C14N at 155 KB)."""
    from signxml.verifier import XMLVerifier

    hostile = HEAD + _deep(190, 10_000, 31, redeclare=True) + _sig((world / "signed.xml").read_bytes()) + b"</bom>"
    (world / "hostile.xml").write_bytes(hostile)
    capsys.readouterr()
    with counting_calls(monkeypatch, XMLVerifier, "verify") as verified:
        assert main(["verify", str(world / "hostile.xml"), "--key", str(world / "pub.pub")]) == 2
    assert verified[0] == 0
    assert "canonicalizing this XML would cost" in _one_line(capsys)


def test_112v1_sign_refuses_what_verify_could_not_complete(
        tmp_path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    with pytest.raises(InputError, match="canonicalizing this XML would cost"):
        xmldsig.sign_xml(HEAD + _deep(190, 10_000, 31, redeclare=True) + b"</bom>", key, name="bom.xml")


def _counting_iterwalk(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    events = [0]
    real = etree.iterwalk

    def iterwalk(*args: object, **kwargs: object) -> Iterator[tuple[str, object]]:
        for item in real(*args, **kwargs):  # type: ignore[call-overload]
            events[0] += 1
            yield item

    monkeypatch.setattr(document.etree, "iterwalk", iterwalk)
    return events


def test_112v1_the_walk_is_linear_and_its_counts_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """One event per element start and end and one per declaration, whatever the depth; the
    counts are those of ``nsmap`` and of the C14N cost formula."""
    data = HEAD + _deep(150, 2_000, 20) + b"</bom>"
    events = _counting_iterwalk(monkeypatch)
    root, shape = document.xml_tree_shape(data, "bom.xml")
    elements = sum(1 for _ in root.iter())
    assert events[0] == 2 * elements + 21  # 20 declarations and the BOM's default namespace
    assert shape.crowded is None
    # the formula, the slow way: depth x (1 + declarations in scope), at every element
    expected = 0
    for el in root.iter():
        depth = sum(1 for _ in el.iterancestors()) + 1
        expected += depth * (1 + len(el.nsmap))  # no prefix is redeclared here: nsmap counts them all
    assert shape.c14n_steps == expected
    assert xmldsig.c14n_too_costly(shape, len(data)) is None  # 29 M steps: within the floor


def test_112v1_crowded_is_distinct_prefixes_as_before() -> None:
    decls = b"".join(b' xmlns:p%d="urn:p%d"' % (i, i) for i in range(40))
    _root, shape = document.xml_tree_shape(HEAD + b"<components" + decls + b"><x/></components></bom>", "b.xml")
    assert shape.crowded == ("components", 41)  # 40 + the default namespace, as len(nsmap) said
    redeclared = HEAD + b'<a xmlns:p="urn:p">' * 40 + b"</a>" * 40 + b"</bom>"
    assert document.xml_tree_shape(redeclared, "b.xml")[1].crowded is None  # 2 distinct prefixes


def test_112v1_the_budget_is_documented_in_limits() -> None:
    assert limits.XML_C14N_STEPS_PER_BYTE == 64 and limits.XML_C14N_STEPS_FLOOR == 1 << 26
    assert limits.xml_c14n_allowance(1000) == 1 << 26
    assert limits.xml_c14n_allowance(10 << 20) == 64 * (10 << 20)
    assert xmldsig.MAX_NAMESPACES == limits.MAX_NAMESPACES == 32


def test_112v1_a_genuine_bom_still_verifies(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(world / "signed.xml"), "--key", str(world / "pub.pub")]) == 0


# ---- 112v-3 ---------------------------------------------------------------------------------

def _python_calls(fn: Callable[[], object]) -> int:
    """Python frames entered (and generators resumed) while ``fn`` runs."""
    calls = [0]

    def profile(frame: object, event: str, arg: object) -> None:
        if event == "call":
            calls[0] += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls[0]


@pytest.fixture()
def arrays_bom(tmp_path: Path) -> Path:
    """A signed JSON BOM, its publisher's ``k.pub``, and ``hostile.json``: 20,000 empty arrays plus
    the genuine signature block."""
    assert main(["keygen", "-o", str(tmp_path / "k")]) == 0
    (tmp_path / "bom.json").write_text('{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[]}')
    assert main(["sign", str(tmp_path / "bom.json"), "--key", str(tmp_path / "k.key"), "-o", str(tmp_path / "s.json")]) == 0
    sig = (tmp_path / "s.json").read_bytes()
    block = sig[sig.index(b'"signature"'):sig.rindex(b"}")]
    (tmp_path / "hostile.json").write_bytes(b'{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"x":['
                                            + b",".join([b"[]"] * 20_000) + b"]," + block + b"}")
    return tmp_path


@pytest.mark.parametrize("command", [["report", "{d}/hostile.json", "--key", "{d}/k.pub", "-o", "{d}/r.html"],
                                     ["index", "add", "{d}/hostile.json", "--db", "sqlite:///{d}/i.db",
                                      "--key", "{d}/k.pub"],
                                     ["verify", "{d}/hostile.json", "--key", "{d}/k.pub"]])
def test_112v3_json_walks_do_not_make_a_python_call_per_value(
        arrays_bom: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.format(d=arrays_bom) for a in command]
    main(args)  # warm: imports and caches out of the count
    if command[0] == "index":
        (arrays_bom / "i.db").unlink()
    calls = _python_calls(lambda: main(args))
    # the old code: a generator resumed (or a link made) per value in each of four walks: 101,000
    # (verify) to 148,000 (index add); now 900 to 8,300, the same for 40,000 arrays
    assert calls < 20_000, calls


def test_112v3_nested_signature_path_still_spelled(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = {"bomFormat": "CycloneDX", "x": [[]] * 1000, "components": [{"name": "a"}, {"signature": {}}]}
    with counting_calls(monkeypatch, jsf, "_child") as links:
        assert jsf.nested_signature_path(doc) == "components[1].signature"  # type: ignore[arg-type]
    assert links[0] > 0
    clean = {"bomFormat": "CycloneDX", "x": [[]] * 1000, "signature": {"components": [{"signature": {}}]}}
    with counting_calls(monkeypatch, jsf, "_child") as links:
        assert jsf.nested_signature_path(clean) is None  # type: ignore[arg-type]
    assert links[0] == 0  # the old walk made a link per value (1,002 here)


def test_112v3_depth_bounds_unchanged() -> None:
    from mlbom.formats.safe_read import check_depth

    deep: object = []
    for _ in range(limits.MAX_DEPTH - 1):
        deep = [deep]
    check_depth(deep, "x")
    jsf._check_depth(deep)
    with pytest.raises(InputError, match="nested too deeply"):
        check_depth([deep], "x")
    with pytest.raises(jsf.SignatureFormatError, match="deeper than"):
        jsf._check_depth({"a": [deep]})
    assert next(document.property_problems({"c": [{"properties": [{"name": 1}]}]})) == \
        "/c/0/properties/0: a property without a string name"


# ---- 112v-2 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spoil", [
    lambda v: b"%%%!!!...;;;" + v,   # the red team's junk: dropped by b64decode, verified before
    lambda v: v[:10] + b"*" + v[10:],
    lambda v: v + b" ;",
    lambda v: v[:-3] + (b"R" if v[-3:-2] != b"R" else b"S") + v[-2:],  # non-zero pad bits (P-256: 64 bytes, "==")
    lambda v: v[:20] + b"\xc2\xa0" + v[20:],  # a no-break space: not XML whitespace
])
def test_112v2a_signature_value_has_one_spelling(
        world: Path, capsys: pytest.CaptureFixture[str], spoil: Callable[[bytes], bytes]) -> None:
    signed = (world / "signed.xml").read_bytes()
    m = re.search(rb"<ds:SignatureValue>([^<]*)</ds:SignatureValue>", signed)
    assert m is not None and m.group(1).endswith(b"==")
    (world / "a.xml").write_bytes(signed[:m.start(1)] + spoil(m.group(1)) + signed[m.end(1):])
    capsys.readouterr()
    assert main(["verify", str(world / "a.xml"), "--key", str(world / "pub.pub")]) == 1
    err = _one_line(capsys)
    assert "SignatureValue" in err and "canonical" in err, err


def test_112v2a_line_breaks_are_still_allowed(world: Path, key: ec.EllipticCurvePrivateKey) -> None:
    signed = (world / "signed.xml").read_bytes()
    m = re.search(rb"<ds:SignatureValue>([^<]*)</ds:SignatureValue>", signed)
    assert m is not None
    v = m.group(1)
    wrapped = signed[:m.start(1)] + b"\n" + v[:40] + b"\r\n\t" + v[40:] + b" \n" + signed[m.end(1):]
    xmldsig.verify_xml(wrapped, TrustPolicy(keys=(key.public_key(),)), name="w.xml")


def test_112v2a_digest_value_has_one_spelling(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    signed = (world / "signed.xml").read_bytes()
    (world / "d.xml").write_bytes(signed.replace(b"<ds:DigestValue>", b"<ds:DigestValue>!", 1))
    capsys.readouterr()
    assert main(["verify", str(world / "d.xml"), "--key", str(world / "pub.pub")]) == 1
    assert "DigestValue" in _one_line(capsys)  # old: a signature mismatch, after signxml ran


def test_112v2b_verify_and_validate_agree_on_the_signature_placement(
        world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    signed = (world / "signed.xml").read_bytes()
    sig = _sig(signed)
    moved = signed.replace(sig, b"").replace(b"<metadata>", sig + b"<metadata>", 1)
    (world / "b.xml").write_bytes(moved)
    capsys.readouterr()
    assert main(["validate", str(world / "b.xml")]) == 1
    capsys.readouterr()
    assert main(["verify", str(world / "b.xml"), "--key", str(world / "pub.pub")]) == 1  # old: 0, "valid"
    assert "not the last element" in _one_line(capsys)
    # where sign puts it, both say yes
    assert main(["validate", str(world / "signed.xml")]) == 0
    assert main(["verify", str(world / "signed.xml"), "--key", str(world / "pub.pub")]) == 0


def test_112v1_sign_never_writes_what_verify_would_refuse(
        key: ec.EllipticCurvePrivateKey, monkeypatch: pytest.MonkeyPatch) -> None:
    """The signature adds elements (and steps): the budget is checked again on the signed tree,
    as the namespace bound is, so that a BOM just under it is not signed into one verify refuses."""
    _root, shape = document.xml_tree_shape(BOM, "bom.xml")
    monkeypatch.setattr(limits, "XML_C14N_STEPS_FLOOR", shape.c14n_steps)
    monkeypatch.setattr(limits, "XML_C14N_STEPS_PER_BYTE", 0)
    with pytest.raises(InputError, match="refused once the signature is added"):
        xmldsig.sign_xml(BOM, key, name="bom.xml")
