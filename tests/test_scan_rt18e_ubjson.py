"""Red team 18e-8: XGBoost's UBJSON model (``Booster.save_model("m.ubj")``) was ``file.unknown``.
A bounded UBJSON reader (mlbom/formats/ubjson.py) reads it as the JSON value it is and the
scanner judges that value as it judges JSON; bytes that are not one UBJSON value are ``error``."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from mlbom.formats import ubjson
from mlbom.formats.weights import FormatError
from mlbom.scanner import scan, scan_bytes

FIX = Path(__file__).parent / "fixtures" / "ubjson"


def _enc(v: object) -> bytes:
    """A plain UBJSON encoder (draft 12, the markers xgboost writes)."""
    if v is None:
        return b"Z"
    if v is True:
        return b"T"
    if v is False:
        return b"F"
    if isinstance(v, int):
        return b"L" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"D" + struct.pack(">d", v)
    if isinstance(v, str):
        return b"S" + _len(v)
    if isinstance(v, list):
        return b"[" + b"".join(_enc(x) for x in v) + b"]"
    if isinstance(v, dict):
        return b"{" + b"".join(_len(k) + _enc(x) for k, x in v.items()) + b"}"
    raise TypeError(v)


def _len(s: str) -> bytes:
    raw = s.encode()
    return b"L" + struct.pack(">q", len(raw)) + raw


def test_real_xgboost_ubj_is_safe_and_reads_as_its_json_form() -> None:
    [res] = scan(FIX / "xgboost-3.2-binary-logistic.ubj")
    assert res.format == "ubjson"
    assert res.verdict == "safe", [(f.id, f.message) for f in res.findings]
    value, dups, skipped = ubjson.parse((FIX / "xgboost-3.2-binary-logistic.ubj").read_bytes())
    doc = json.loads((FIX / "xgboost-3.2-binary-logistic.json").read_text())
    assert not dups and skipped > 0
    assert isinstance(value, dict) and value.keys() == doc.keys()
    assert value["learner"]["objective"] == doc["learner"]["objective"]  # type: ignore[index]


def test_ubjson_content_is_judged_like_json() -> None:
    """A config that names code for a framework to call is judged whatever its encoding."""
    doc = {"model": {"_target_": "os.system", "command": "id"}}
    as_json = scan_bytes(json.dumps(doc).encode(), "c.json")
    as_ubj = scan_bytes(_enc(doc), "c.ubj")
    assert as_ubj.format == "ubjson"
    assert as_json.verdict != "safe"
    assert as_ubj.verdict == as_json.verdict


@pytest.mark.parametrize("data", [
    b"{L\x00\x00\x00\x00\x00\x00\x00\x05ab",  # key runs past the end
    b"{L\xff\xff\xff\xff\xff\xff\xff\xffab}",  # negative length
    b"[$d#L\x00\x00\x00\x00\x7f\xff\xff\xff",  # typed array larger than the file
    b"[i\x01]extra",  # bytes after the value
    b"[S" + b"i\x02\xff\xfe" + b"]",  # not UTF-8
    b"[i" + b"\x00",  # no end
    b"[$Z#L\x00\x00\x00\x00\x7f\xff\xff\xff",  # billions of zero-byte values
    b"[i\x01X]",  # unknown marker
])
def test_malformed_ubjson_is_error(data: bytes) -> None:
    res = scan_bytes(data, "m.ubj")
    assert res.verdict == "error", (data[:20], [(f.id, f.message) for f in res.findings])


def test_deep_ubjson_is_bounded() -> None:
    data = b"[i\x01" + b"[" * 5000 + b"]" * 5001
    with pytest.raises(FormatError):
        ubjson.parse(data)
    assert scan_bytes(data, "m.ubj").verdict == "error"


def test_duplicate_key_is_a_differential() -> None:
    data = b"{" + _len("a") + _enc(1) + _len("a") + _enc("x") + b"}"
    res = scan_bytes(data, "m.ubj")
    assert res.verdict == "suspicious"
    assert "ubjson.duplicate-key" in {f.id for f in res.findings}


def test_json_text_is_still_json() -> None:
    for text in (b'{"a": [1, 2]}', b"[]", b"{}", b'[{"a": 1}]'):
        assert scan_bytes(text, "x.json").format in ("json", "text")
