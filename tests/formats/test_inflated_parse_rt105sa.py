"""Red team 105sa-1: parsing content that came out of a decompressor is bounded by the compressed
bytes it came from (``mlbom.limits.INFLATED_*``). Decompression itself is capped by ratio only past
64 MiB (zeroed arrays compress a thousandfold and are only hashed), so a 6 KB gzip of ``[[],[],…]``
was 6 MB of JSON judged node by node (5 s, 490 MB) and 6 KB of gzipped ``]a`` pickle opcodes 13 s
and 1 GB. Past the allowance, text is a decompression bomb (``compressed.bomb``, suspicious) and a
pickle is not judged (``pickle.limit``, error); under it, and for real compressed files, nothing
changes. Work is asserted by what is parsed, never by wall time."""

from __future__ import annotations

import gzip
import io
import json
import pickle
import struct
import zipfile

import pytest

from mlbom import limits, scanner
from mlbom.scanner import scan_bytes
from tests.helpers import counting_calls, stored_zip

JSON_BOMB = b"[" + b"[]," * 2_097_152 + b"[]]"  # 6 MB, gzip: ~6 KB
OPCODE_BOMB = b"\x80\x04]" + b"]a" * 3_000_000 + b"."  # 6 MB, 3 M appends, gzip: ~6 KB


def _zip(members: dict[str, bytes]) -> bytes:
    return stored_zip(members, deflated=True)


def _ids(r: object) -> set[str]:
    return {f.id for f in r.findings}  # type: ignore[attr-defined]


@pytest.mark.parametrize("wrap", ["gzip", "zip"])
def test_a_small_compressed_json_of_millions_of_nodes_is_a_bomb_not_parsed(wrap: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    data = gzip.compress(JSON_BOMB, 9) if wrap == "gzip" else _zip({"data.json": JSON_BOMB})
    assert len(data) < 8000
    with counting_calls(monkeypatch, scanner, "_judge_text") as calls:
        r = scan_bytes(data, "data.json.gz" if wrap == "gzip" else "data.zip")
    assert r.verdict == "suspicious" and "compressed.bomb" in _ids(r), [(f.id, f.message) for f in r.findings]
    assert calls == [0]  # the 2 M nodes were never parsed


def test_a_small_compressed_pickle_of_millions_of_opcodes_is_not_walked_to_the_end() -> None:
    r = scan_bytes(gzip.compress(OPCODE_BOMB, 9), "m.pkl.gz")
    assert r.verdict == "error", [(f.id, f.message) for f in r.findings]
    limit = [f.message for f in r.findings if f.id == "pickle.limit"]
    assert limit and "per byte of the file" in limit[0]
    stopped_at = int(limit[0].split("more than ")[1].split(" ")[0])
    assert stopped_at < 1_000_000  # not the 50 M opcodes of an uncompressed pickle


def test_keras_and_skops_configs_deflated_in_a_zip_are_bounded_too() -> None:
    keras_zip = _zip({"metadata.json": b'{"keras_version": "3.5.0"}', "config.json": JSON_BOMB})
    r = scan_bytes(keras_zip, "m.keras")
    assert "compressed.bomb" in _ids(r) and r.verdict in ("suspicious", "error")
    skops_zip = _zip({"schema.json": JSON_BOMB})
    r = scan_bytes(skops_zip, "m.skops")
    assert (r.format, r.verdict) == ("skops", "suspicious") and "compressed.bomb" in _ids(r)


def test_the_same_content_uncompressed_is_judged_in_full() -> None:
    """The allowance is about amplification: JSON given as it is, or under the floor, is judged;
    text is charged a step per 8 bytes, and text the YAML and config walks take a step per 2 in all
    (111pa-9: 512 KiB of one letter gzipped is judged; 2 MiB and 16 MiB are not)."""
    small = b"[" + b"[]," * 1000 + b"[]]"
    assert scan_bytes(small, "data.json").verdict == "safe"
    assert "compressed.bomb" not in _ids(scan_bytes(gzip.compress(small), "data.json.gz"))
    assert scan_bytes(gzip.compress(b"a" * (512 << 10)), "x.gz").verdict == "safe"
    assert "compressed.bomb" in _ids(scan_bytes(gzip.compress(b"a" * (2 << 20)), "x.gz"))
    assert "compressed.bomb" in _ids(scan_bytes(gzip.compress(b"a\n" * (8 << 20)), "x.gz"))  # 106p-3: 16 MiB


def test_real_compressed_content_stays_under_the_allowance() -> None:
    """Highly compressible but real: a config holding 100,000 zeros (877:1 gzipped, under the
    300,000-value floor), a 200,000-item list of zeros pickled (under the opcode floor) and a
    vocabulary of 350,000 tokens (7 MB, 4:1)."""
    cfg = json.dumps({"a": [0] * 100_000}).encode()
    vocab = json.dumps({f"tok{i}": i for i in range(350_000)}).encode()
    assert vocab.count(b",") > limits.INFLATED_STEPS_FLOOR  # past the floor, within the ratio
    for data, name in ((cfg, "config.json"), (vocab, "vocab.json")):
        r = scan_bytes(gzip.compress(data, 9), name + ".gz")
        assert r.verdict == "safe", (name, [(f.id, f.message[:200]) for f in r.findings])
    zeros = pickle.dumps([0] * 200_000, protocol=4)
    r = scan_bytes(gzip.compress(zeros, 9), "zeros.pkl.gz")
    assert r.verdict == "safe", [(f.id, f.message[:200]) for f in r.findings]


@pytest.mark.parametrize("lead", [b" " * 5000, b"\xef\xbb\xbf\n\n", b"\t\r\n" * 100])
def test_leading_whitespace_or_a_bom_hides_no_json(lead: bytes) -> None:
    r = scan_bytes(gzip.compress(lead + JSON_BOMB, 9), "data.json.gz")
    assert "compressed.bomb" in _ids(r), [(f.id, f.message) for f in r.findings]


def test_utf16_json_is_counted_too() -> None:
    data = ("\ufeff" + JSON_BOMB.decode()).encode("utf-16-le")
    assert "compressed.bomb" in _ids(scan_bytes(gzip.compress(data, 9), "data.json.gz"))


def _gguf_tokens(n: int) -> bytes:
    def s(t: bytes) -> bytes:
        return struct.pack("<Q", len(t)) + t
    return (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + s(b"tokenizer.ggml.tokens")
            + struct.pack("<IIQ", 9, 8, n) + struct.pack("<Q", 0) * n)


def _onnx_nodes(n: int) -> bytes:
    graph = b"\x0a\x00" * n  # NodeProto x n (field 1, empty)
    length, size = b"", len(graph)
    while True:
        length += bytes([(size & 0x7F) | (0x80 if size >> 7 else 0)])
        size >>= 7
        if not size:
            break
    return b"\x08\x07\x3a" + length + graph  # ir_version 7, graph


@pytest.mark.parametrize(("make", "name", "what"), [
    (_gguf_tokens, "m.gguf", "metadata array entries"),
    (_onnx_nodes, "m.onnx", "protobuf fields"),
])
def test_gguf_and_onnx_readers_step_within_the_allowance(make: object, name: str, what: str) -> None:
    """2 M empty vocabulary entries (24 KB gzipped) took 1.7 s, 2 M empty ONNX nodes (4 KB) 2.5 s."""
    data = make(2_000_000)  # type: ignore[operator]
    r = scan_bytes(gzip.compress(data, 9), name + ".gz")
    msgs = [f.message for f in r.findings if "per byte of the file" in f.message]
    assert r.verdict == "error" and msgs and what in msgs[0], [(f.id, f.message) for f in r.findings]
    small = make(10_000)  # type: ignore[operator]
    assert not [f for f in scan_bytes(gzip.compress(small, 9), name + ".gz").findings if "per compressed" in f.message]


def test_a_safetensors_header_is_counted_too() -> None:
    hdr = (b'{"t": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}, "m": [' + b"[]," * 2_000_000
           + b"[]]}")
    r = scan_bytes(gzip.compress(struct.pack("<Q", len(hdr)) + hdr, 9), "m.safetensors.gz")
    assert r.verdict == "error" and any("per byte of the file" in f.message for f in r.findings)


def test_one_budget_for_all_the_members_of_a_file() -> None:
    """Red team 106p-1: each of 300 bzip2 members of a 44 KB zip had its own allowance (184 s). The
    budget is the file's: once spent, later compressed members are not inflated."""
    out = io.BytesIO()
    body = b"\x80\x02" + b"N0" * 400_000 + b"N."
    with zipfile.ZipFile(out, "w", zipfile.ZIP_BZIP2) as z:
        for i in range(40):
            z.writestr(f"m{i}.pkl", body)
    r = scan_bytes(out.getvalue(), "many.zip")
    ids = [f.id for f in r.findings]
    assert r.verdict == "error" and "compressed.parse-budget" in ids
    assert ids.count("pickle.limit") <= 2, ids  # the budget was spent on the first member or two
