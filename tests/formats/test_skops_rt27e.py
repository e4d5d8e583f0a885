"""Red team 27e-1 and 27e-3: skops picks a node's class by (``__loader__``, protocol) — the file
chooses the protocol, and protocol 0's ``FunctionNode`` imports ``content.module_path`` +
``content.function`` — and skops opens any zip whose ``schema.json`` it can read, whatever other
members make of it (keras, torch). No skops needed: the files are built here."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

from mlbom.formats import skops
from mlbom.scanner import scan_bytes


def _zip(schema: object, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("schema.json", json.dumps(schema))
        for k, v in (extra or {}).items():
            z.writestr(k, v)
    return buf.getvalue()


def _function_transformer(protocol: int, module_path: str, function: str) -> dict[str, object]:
    """FunctionTransformer(func=...) as skops dumps it, the FunctionNode's names as given: the
    node keeps ``numpy``/``add`` as its own type; ``content`` is what protocol 0's class imports."""
    func = {"__class__": "add", "__module__": "numpy", "__loader__": "FunctionNode",
            "content": {"module_path": module_path, "function": function}, "__id__": 2}
    state = {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode",
             "content": {"func": func}, "__id__": 3}
    return {"__class__": "FunctionTransformer", "__module__": "sklearn.preprocessing._function_transformer",
            "__loader__": "ObjectNode", "content": state, "__id__": 1, "protocol": protocol,
            "_skops_version": "0.16.0"}


def _ids(r: object) -> set[str]:
    return {f.id for f in r.findings}  # type: ignore[attr-defined]


def test_protocol_0_function_node_judges_what_it_imports() -> None:
    r = scan_bytes(_zip(_function_transformer(0, "os", "system")), "model.skops")
    assert (r.format, r.verdict) == ("skops", "unsafe")
    assert any("os.system" in f.message for f in r.findings if f.id == "skops.denied-type")


def test_protocol_0_function_node_has_its_own_default_list() -> None:
    # old FunctionNode trusts SCIPY_UFUNC_TYPE_NAMES only: numpy.add is reported by skops
    r = scan_bytes(_zip(_function_transformer(0, "numpy", "add")), "model.skops")
    assert r.verdict == "suspicious" and "skops.untrusted-type" in _ids(r)
    assert any("protocol 0" in f.message for f in r.findings)
    ufunc = next(n for n in sorted(skops.old_nodes()[("FunctionNode", 0)][1]))
    mod, _, fn = ufunc.rpartition(".")
    assert scan_bytes(_zip(_function_transformer(0, mod, fn)), "model.skops").verdict == "safe"


def test_current_protocols_use_the_current_class() -> None:
    # protocol 1 and 2 have no old FunctionNode: skops falls back to the current class, which
    # imports __module__.__class__ (numpy.add, default trusted) and never reads content
    for proto in (1, 2):
        r = scan_bytes(_zip(_function_transformer(proto, "os", "system")), "model.skops")
        assert r.verdict == "safe", (proto, r.findings)


def test_every_old_node_class_is_modelled() -> None:
    old = skops.old_nodes()
    assert set(old) == {("FunctionNode", 0), ("RandomGeneratorNode", 0), ("RandomGeneratorNode", 1)}
    for (loader, _), _model in old.items():
        assert loader in skops.trusted_defaults()


def _generator(protocol: int, bit_generator: str) -> dict[str, object]:
    name = {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(bit_generator), "is_json": True, "__id__": 3}
    state = {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode",
             "content": {"bit_generator": name}, "__id__": 2}
    return {"__class__": "Generator", "__module__": "numpy.random._generator", "__loader__": "RandomGeneratorNode",
            "content": {"bit_generator": state}, "__id__": 1, "protocol": protocol, "_skops_version": "0.16.0"}


def test_random_generator_bit_generator_name_is_judged() -> None:
    for proto in (1, 2):
        assert scan_bytes(_zip(_generator(proto, "PCG64")), "g.skops").verdict == "safe"
        r = scan_bytes(_zip(_generator(proto, "default_rng")), "g.skops")
        assert r.verdict == "suspicious" and "numpy.random.default_rng" in str([f.message for f in r.findings])
    raw = {"__class__": "Generator", "__module__": "numpy.random._generator", "__loader__": "RandomGeneratorNode",
           "content": {"bit_generator": {"bit_generator": "default_rng", "state": {}}}, "__id__": 1, "protocol": 0}
    assert scan_bytes(_zip(raw), "g.skops").verdict == "suspicious"


def test_newer_protocol_is_an_error() -> None:
    newest = skops._data()["protocol"]
    assert isinstance(newest, int)
    r = scan_bytes(_zip(_function_transformer(newest + 1, "numpy", "add")), "model.skops")
    assert r.verdict == "error" and "skops.invalid" in _ids(r)


_OS_SYSTEM = {"__class__": "system", "__module__": "os", "__loader__": "ConstructorFromReduceNode",
              "content": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
                          "content": [], "__id__": 2}, "__id__": 1, "protocol": 2, "_skops_version": "0.16.0"}


def test_schema_in_other_zip_kinds_is_judged() -> None:  # 27e-3
    extras = {
        "keras": {"config.json": b"{}", "metadata.json": b"{}"},
        "pytorch-zip": {"data.pkl": pickle.dumps({"a": 1}, protocol=2)},
    }
    for kind, extra in extras.items():
        for name in ("m.zip", "m.bin", "m.skops"):
            r = scan_bytes(_zip(_OS_SYSTEM, extra), name)
            assert r.format == kind and r.verdict == "unsafe", (kind, name, r.findings)
            assert {"skops.denied-type", "zip.polyglot"} <= _ids(r)


def test_benign_schema_in_a_keras_zip_is_a_differential() -> None:
    schema = {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "content": [],
              "__id__": 1, "protocol": 2, "_skops_version": "0.16.0"}
    r = scan_bytes(_zip(schema, {"config.json": b"{}", "metadata.json": b"{}"}), "m.keras")
    assert r.format == "keras" and r.verdict == "suspicious" and "zip.polyglot" in _ids(r)
    plain = scan_bytes(_zip(schema), "m.skops")
    assert (plain.format, plain.verdict) == ("skops", "safe")
