"""Property: random mutations of signed JSON, XML and DSSE inputs — bytes, JSON values, XML nodes,
envelope fields — never verify (unless the mutation left the document's meaning unchanged) and
never end in an internal error: through the CLI, exit 1 or 2 only."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from mlbom.cli import main
from tests.signing_world import signing_world

SETTINGS = settings(max_examples=int(os.environ.get("MLBOM_PROPERTY_EXAMPLES", "60")), deadline=None,
                    suppress_health_check=list(HealthCheck))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2 ** 70), 2 ** 70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    w = signing_world(tmp_path_factory.mktemp("prop"))
    return {"dir": w["dir"], "json": w["signed"], "xml": w["signed_xml"], "dsse": w["dsse"]}


def cli(material: dict[str, object], data: bytes, capsys: pytest.CaptureFixture[str]) -> int:
    d = Path(str(material["dir"]))
    (d / "in").write_bytes(data)
    capsys.readouterr()
    rc = main(["verify", str(d / "in"), "--key", str(d / "k.pub")])
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err, err
    assert rc in (0, 1, 2)
    return rc


def _same_json(a: bytes, b: bytes) -> bool:
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return False


def _same_xml(a: bytes, b: bytes) -> bool:
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
        ca = etree.tostring(etree.fromstring(a, parser), method="c14n", with_comments=False)
        cb = etree.tostring(etree.fromstring(b, parser), method="c14n", with_comments=False)
    except etree.LxmlError:
        return False
    return bool(ca == cb)


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: object, path: tuple[object, ...], new: object) -> object:
    if not path:
        return new
    parent = doc
    for p in path[:-1]:
        parent = parent[p]  # type: ignore[index]
    parent[path[-1]] = new  # type: ignore[index]
    return doc


@SETTINGS
@given(kind=st.sampled_from(["json", "xml", "dsse"]), data=st.data())
def test_byte_mutations(material: dict[str, object], capsys: pytest.CaptureFixture[str], kind: str,
                        data: st.DataObject) -> None:
    original = bytes(material[kind])  # type: ignore[arg-type]
    pos = data.draw(st.integers(0, len(original) - 1))
    op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
    byte = data.draw(st.integers(0, 255))
    if op == "flip":
        mutated = original[:pos] + bytes([original[pos] ^ (byte or 1)]) + original[pos + 1:]
    elif op == "insert":
        mutated = original[:pos] + bytes([byte]) + original[pos:]
    else:
        mutated = original[:pos] + original[pos + 1:]
    rc = cli(material, mutated, capsys)
    if rc == 0:
        same = _same_xml(original, mutated) if kind == "xml" else _same_json(original, mutated)
        assert same, (kind, op, pos, byte)


@SETTINGS
@given(kind=st.sampled_from(["json", "dsse"]), data=st.data(), value=json_values)
def test_json_value_mutations(material: dict[str, object], capsys: pytest.CaptureFixture[str], kind: str,
                              data: st.DataObject, value: object) -> None:
    doc = json.loads(bytes(material[kind]))  # type: ignore[arg-type]
    if kind == "dsse" and data.draw(st.booleans()):  # mutate inside the payload, keep the signature
        statement = json.loads(base64.b64decode(doc["payload"]))
        path = data.draw(st.sampled_from(_paths(statement)))
        statement = _set(statement, path, value)
        doc["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    else:
        path = data.draw(st.sampled_from(_paths(doc)))
        doc = _set(doc, path, value)
    mutated = json.dumps(doc).encode()
    rc = cli(material, mutated, capsys)
    if rc == 0:  # a DSSE keyid is an unsigned hint: changing it to another string changes nothing
        assert _same_json(bytes(material[kind]), mutated) or path[-1:] == ("keyid",)  # type: ignore[arg-type]


@SETTINGS
@given(data=st.data(), text=st.text(max_size=30))
def test_xml_node_mutations(material: dict[str, object], capsys: pytest.CaptureFixture[str], data: st.DataObject,
                            text: str) -> None:
    original = bytes(material["xml"])  # type: ignore[arg-type]
    root = etree.fromstring(original)
    nodes = [el for el in root.iter() if isinstance(el.tag, str)]
    el = data.draw(st.sampled_from(nodes))
    op = data.draw(st.sampled_from(["text", "attr", "delete", "duplicate", "move", "comment"]))
    clean = "".join(ch for ch in text if ch.isprintable())
    if op == "text":
        el.text = clean
    elif op == "attr":
        el.set(data.draw(st.sampled_from(["URI", "Algorithm", "bom-ref", "type", "x"])), clean)
    elif op == "delete" and el is not root:
        el.getparent().remove(el)
    elif op == "duplicate" and el is not root:
        el.addnext(etree.fromstring(etree.tostring(el)))
    elif op == "move" and el is not root:
        el.getparent().remove(el)
        data.draw(st.sampled_from([n for n in nodes if n is not el and el not in n.iterancestors()] or [root])).append(el)
    else:  # lxml refuses a comment holding "--" or ending with "-": no hyphens at all
        el.append(etree.Comment(clean.replace("-", "_")))
    mutated = etree.tostring(root)
    rc = cli(material, mutated, capsys)
    if op == "comment":  # a comment anywhere in a signed XML BOM is refused (it could split signed text)
        assert rc != 0
    if rc == 0:
        assert _same_xml(original, mutated), op


@SETTINGS
@given(data=st.data(), value=json_values)
def test_envelope_field_mutations(material: dict[str, object], capsys: pytest.CaptureFixture[str],
                                  data: st.DataObject, value: object) -> None:
    env = json.loads(bytes(material["dsse"]))  # type: ignore[arg-type]
    field = data.draw(st.sampled_from(["payload", "payloadType", "signatures", "sig", "keyid", "extra", "drop"]))
    if field == "sig":
        raw = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
        raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
        env["signatures"][0]["sig"] = base64.b64encode(bytes(raw)).decode()
    elif field == "keyid":
        env["signatures"][0]["keyid"] = value
    elif field == "extra":
        env[data.draw(st.text(min_size=1, max_size=10))] = value
    elif field == "drop":
        env.pop(data.draw(st.sampled_from(sorted(env))))
    else:
        env[field] = value
    mutated = json.dumps(env).encode()
    rc = cli(material, mutated, capsys)
    if rc == 0:
        assert _same_json(bytes(material["dsse"]), mutated) or field == "keyid"  # type: ignore[arg-type]
