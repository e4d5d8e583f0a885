"""Red team 29e-1: skops reads ``schema.json`` with ``json.loads`` on the member's BYTES, so
``json.detect_encoding`` accepts a UTF-8 BOM, UTF-16/UTF-32 with or without a BOM, and decodes
with ``surrogatepass``. mlbom must judge the schema in every encoding skops reads, and a
``schema.json`` it cannot read (too large, too deep) is ``error``, never plain text. The files are
built here; skops is not needed."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from mlbom.formats import skops
from mlbom.scanner import scan_bytes

_ARG = {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
        "content": [{"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
                     "content": json.dumps("echo pwned"), "is_json": True, "__id__": 2}], "__id__": 3}
_SCHEMA = {"__class__": "system", "__module__": "os", "__loader__": "ConstructorFromReduceNode",
           "content": _ARG, "__id__": 1, "protocol": 2, "_skops_version": "0.16.0"}
_TEXT = json.dumps(_SCHEMA)

ENCODED = {
    "bom8": b"\xef\xbb\xbf" + _TEXT.encode(),
    "utf16": _TEXT.encode("utf-16"),
    "utf16le": _TEXT.encode("utf-16-le"),
    "utf16be": _TEXT.encode("utf-16-be"),
    "utf32": _TEXT.encode("utf-32"),
    "utf32le": _TEXT.encode("utf-32-le"),
    # a raw lone surrogate (ED A0 80) in a string: json.loads(bytes) decodes with surrogatepass
    "surrogate": _TEXT.replace('"0.16.0"', '"0.16.0 \\ud800"').encode().replace(
        b"\\ud800", "\ud800".encode("utf-8", "surrogatepass")),
}


def _zip(schema: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("schema.json", schema, compress_type=zipfile.ZIP_DEFLATED)
        for k, v in (extra or {}).items():
            z.writestr(k, v)
    return buf.getvalue()


@pytest.mark.parametrize("enc", sorted(ENCODED))
def test_every_encoding_json_loads_bytes_reads_is_a_schema(enc: str) -> None:
    data = ENCODED[enc]
    assert isinstance(json.loads(data), dict)  # what skops reads
    judged = skops.judge_schema_bytes(data, "schema.json")
    assert judged is not None
    assert any(j.id == "skops.denied-type" and "os.system" in j.message for j in judged)


@pytest.mark.parametrize("enc", sorted(ENCODED))
@pytest.mark.parametrize("name", ["model.zip", "model.skops", "pickled_model"])
def test_scan_judges_reencoded_schema_under_any_name(enc: str, name: str) -> None:
    r = scan_bytes(_zip(ENCODED[enc]), name)
    assert r.verdict == "unsafe", (r.format, [(f.id, f.message[:80]) for f in r.findings])
    assert r.format == "skops"
    assert any(f.id == "skops.denied-type" for f in r.findings)


def test_reencoded_schema_in_another_zip_kind_is_a_polyglot() -> None:
    r = scan_bytes(_zip(ENCODED["utf16"], {"archive/data.pkl": b"\x80\x02}q\x00."}), "model.pt")
    assert r.verdict == "unsafe"
    assert {"skops.denied-type", "zip.polyglot"} <= {f.id for f in r.findings}


def test_what_json_loads_bytes_refuses_is_no_schema() -> None:
    # skops' own json.loads raises on these: nothing is loaded, so they are not skops schemas
    for data in (b"\xff\xfe\x00", _TEXT.encode()[:-1], b"\xef\xbb\xbf\xef\xbb\xbf" + _TEXT.encode()):
        with pytest.raises(ValueError):
            json.loads(data)
        assert skops.judge_schema_bytes(data, "schema.json") is None


def test_too_deep_to_parse_is_error_not_text() -> None:
    deep = b'{"__loader__": "DictNode", "protocol": 2, "content": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    judged = skops.judge_schema_bytes(deep, "schema.json")
    assert judged is not None and [j.effect for j in judged] == ["error"]


def test_schema_over_the_limit_is_error_not_text(monkeypatch: pytest.MonkeyPatch) -> None:
    import mlbom.scanner as scanner

    monkeypatch.setattr(skops, "MAX_SCHEMA", 1 << 10)
    data = (_TEXT[:-1] + " " * (2 << 10) + "}").encode()
    judged = skops.judge_schema_bytes(data, "schema.json")
    assert judged is not None and [j.id for j in judged] == ["skops.invalid"]
    r = scanner.scan_bytes(_zip(data), "model.zip")
    assert r.verdict in ("error", "unsafe", "suspicious") and r.verdict != "safe"
    assert any(f.id == "skops.invalid" and "limit" in f.message for f in r.findings)
