"""mlbom's one JSON writer: every float in its RFC 8785 spelling, containers copied only on the
way to a float (a BOM without floats is passed to orjson as it is)."""

from __future__ import annotations

import json
from collections import OrderedDict

import rfc8785

from mlbom.jsonout import canonical_numbers, dump_document


def test_floats_anywhere_are_written_canonically() -> None:
    doc = {"a": [1, 2.0, {"b": 1e-6, "c": "s", "d": None}], "t": (1.5, True), "e": 1e21, "n": -0.0}
    out = dump_document(doc)
    assert json.loads(out) == json.loads(rfc8785.dumps(json.loads(out)))
    assert b'"b": 0.000001' in out and b"2," in out and b'"e": 1e+21' in out and b'"n": 0' in out


def test_containers_without_floats_are_not_copied() -> None:
    inner = {"x": [1, "a", None, True]}
    doc = {"keep": inner, "float": [0.5]}
    new = canonical_numbers(doc)
    assert new is not doc and new["keep"] is inner  # type: ignore[index]
    plain = {"a": [{"b": "c"}], "d": 3}
    assert canonical_numbers(plain) is plain


def test_subclasses_are_walked_too() -> None:
    class F(float):
        pass

    doc = OrderedDict(a=F(3.0), b=[OrderedDict(c=4.0)])
    assert dump_document(doc) == b'{\n  "a": 3,\n  "b": [\n    {\n      "c": 4\n    }\n  ]\n}\n'
