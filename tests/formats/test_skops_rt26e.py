"""Red team 26e-1: a ``.skops`` file's schema.json names callables skops.io.load imports and
calls; mlbom judges every node against skops' default trusted set (no skops needed)."""

from __future__ import annotations

import io
import json
import zipfile

from mlbom.formats import skops
from mlbom.scanner import scan_bytes


def _skops(schema: object, extra: dict[str, bytes] | None = None, member: str = "schema.json") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(member, json.dumps(schema))
        for k, v in (extra or {}).items():
            z.writestr(k, v)
    return buf.getvalue()


def _json(v: object, i: int) -> dict[str, object]:
    return {"__class__": type(v).__name__, "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(v), "is_json": True, "__id__": i}


def _call(module: str, name: str) -> dict[str, object]:
    arg = {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
           "content": [_json("echo hi", 2)], "__id__": 3}
    return {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
            "content": arg, "__id__": 1, "protocol": 2, "_skops_version": "0.16.0"}


def _ids(r: object) -> set[str]:
    return {f.id for f in r.findings}  # type: ignore[attr-defined]


def test_denied_callable_is_unsafe() -> None:
    r = scan_bytes(_skops(_call("os", "system")), "model.skops")
    assert r.format == "skops" and r.verdict == "unsafe" and "skops.denied-type" in _ids(r)


def test_unlisted_callable_is_suspicious() -> None:
    r = scan_bytes(_skops(_call("mypkg.helpers", "run")), "model.skops")
    assert r.verdict == "suspicious" and "skops.untrusted-type" in _ids(r)


def test_nested_object_node_outside_defaults() -> None:
    inner = {"__class__": "Thing", "__module__": "evil.mod", "__loader__": "ObjectNode", "__id__": 5}
    root = {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode", "protocol": 2,
            "_skops_version": "0.16.0", "__id__": 1, "content": {"a": inner}}
    r = scan_bytes(_skops(root), "x.zip")
    assert r.verdict == "suspicious" and "evil.mod.Thing" in " ".join(f.message for f in r.findings)


def test_default_trusted_estimator_is_safe() -> None:
    est = {"__class__": "LogisticRegression", "__module__": "sklearn.linear_model._logistic",
           "__loader__": "ObjectNode", "__id__": 1, "protocol": 2, "_skops_version": "0.16.0",
           "content": {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode", "__id__": 2,
                       "content": {"C": _json(1.0, 3)}}}
    r = scan_bytes(_skops(est), "model.skops")
    assert r.format == "skops" and r.verdict == "safe", r.findings


def test_same_class_on_a_node_without_defaults_is_suspicious() -> None:
    # a sklearn estimator is trusted by default only as an ObjectNode (skops' per-node lists)
    node = _call("sklearn.linear_model._logistic", "LogisticRegression")
    assert scan_bytes(_skops(node), "m.skops").verdict == "suspicious"


def test_method_node_is_never_default_trusted() -> None:
    obj = {"__class__": "LogisticRegression", "__module__": "sklearn.linear_model._logistic",
           "__loader__": "ObjectNode", "__id__": 2}
    root = {"__class__": "LogisticRegression", "__module__": "sklearn.linear_model._logistic",
            "__loader__": "MethodNode", "content": {"func": "fit", "obj": obj}, "__id__": 1, "protocol": 2}
    r = scan_bytes(_skops(root), "m.skops")
    assert r.verdict == "suspicious" and ".fit" in " ".join(f.message for f in r.findings)


def test_unknown_loader_and_bad_protocol_are_errors() -> None:
    node = {"__class__": "x", "__module__": "y", "__loader__": "FancyNode", "protocol": 2}
    assert scan_bytes(_skops(node), "m.skops").verdict == "error"
    bad = dict(_call("builtins", "tuple"), protocol="2")
    r = scan_bytes(_skops(bad), "m.skops")
    assert r.verdict == "error" and "skops.invalid" in _ids(r)


def test_deep_schema_is_bounded() -> None:
    node: dict[str, object] = {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode"}
    root = node
    for _ in range(skops.MAX_DEPTH + 5):
        child: dict[str, object] = {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode"}
        node["content"] = [child]
        node = child
    root["protocol"] = 2
    r = scan_bytes(_skops(root), "m.skops")
    assert r.verdict == "error"


def test_plain_zip_with_schema_json_is_not_skops() -> None:
    r = scan_bytes(_skops({"type": "object", "properties": {}}), "data.zip")
    assert r.format == "zip" and r.verdict == "safe"


def test_skops_name_on_other_content_is_a_mismatch() -> None:
    r = scan_bytes(_skops({"type": "object"}), "model.skops")
    assert r.verdict == "error" and "file.format-mismatch" in _ids(r)


def test_default_lists_come_from_the_data_file() -> None:
    assert skops.default_trusted_anywhere("builtins.list")
    assert not skops.default_trusted_anywhere("os.system")


def test_schema_name_cut_at_nul_is_judged() -> None:
    # zipfile (skops' reader) cuts a member name at its first NUL: "schema.json\x00x" is schema.json to it
    data = _skops(_call("os", "system"), member="schema.jsonZx").replace(b"schema.jsonZx", b"schema.json\x00x")
    r = scan_bytes(data, "model.skops")
    assert r.verdict == "unsafe" and "skops.denied-type" in _ids(r)
