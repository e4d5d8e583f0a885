"""The bounded msgpack reader (:mod:`mlbom.formats.msgpack`) and what the scanner makes of spaCy's
msgpack component files (red team 119pa-3: spacy-transformers' ``transformer/model`` writes files
to paths from the file, takes ``trust_remote_code`` from it and gives ``state`` to ``torch.load``;
thinc's PyTorchShim does the last too; every benign component file was ``file.unknown`` ERROR).

The msgpack here is written by :func:`pack` below (the spec's encodings; no msgpack package is
needed). Nothing is loaded, unpickled or executed.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile

import pytest

from mlbom.formats import msgpack
from mlbom.formats.weights import FormatError
from mlbom.scanner import scan_bytes


def pack(v: object) -> bytes:
    """A msgpack encoder (the smallest encoding of each value, as msgpack-python writes)."""
    if v is None:
        return b"\xc0"
    if v is True or v is False:
        return b"\xc3" if v else b"\xc2"
    if isinstance(v, int):
        if 0 <= v <= 0x7F:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        if 0 <= v < 1 << 32:
            return b"\xce" + struct.pack(">I", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        raw = v.encode()
        if len(raw) < 32:
            return bytes([0xA0 | len(raw)]) + raw
        return b"\xdb" + struct.pack(">I", len(raw)) + raw
    if isinstance(v, bytes):
        return b"\xc6" + struct.pack(">I", len(v)) + v
    if isinstance(v, list):
        head = bytes([0x90 | len(v)]) if len(v) < 16 else b"\xdd" + struct.pack(">I", len(v))
        return head + b"".join(pack(x) for x in v)
    if isinstance(v, dict):
        head = bytes([0x80 | len(v)]) if len(v) < 16 else b"\xdf" + struct.pack(">I", len(v))
        return head + b"".join(pack(k) + pack(x) for k, x in v.items())
    raise TypeError(type(v))


def _parse(data: bytes) -> object:
    return msgpack.parse(io.BytesIO(data), len(data))


_P2 = b"\x80\x02cposix\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."


def _torch_zip(payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


def _verdict(data: bytes, name: str = "model") -> tuple[str, str, set[str]]:
    sc = scan_bytes(data, name)
    return sc.verdict, sc.format, {f.id for f in sc.findings}


# ---------------------------------------------------------------- the reader

def test_the_reader_reads_every_type() -> None:
    doc = {"a": 1, "neg": -5, "big": 1 << 40, "f": 1.5, "s": "x" * 40, "b": b"\x00\x01", "l": [None, True, False],
           7: {"nested": []}}
    got = _parse(pack(doc))
    assert isinstance(got, dict)
    assert got["a"] == 1 and got["neg"] == -5 and got["big"] == 1 << 40 and got["f"] == 1.5 and got["s"] == "x" * 40
    assert got["l"] == [None, True, False] and got[7] == {"nested": []}
    assert isinstance(got["b"], msgpack.Blob) and got["b"].size == 2


def test_the_reader_agrees_with_msgpack_python() -> None:
    mp = pytest.importorskip("msgpack")
    doc = {"k": [1, 2.5, "s", None, {"x": -1}], "long": "é" * 300, "n": 1 << 33, "m": -200}
    data = mp.packb(doc, use_bin_type=True)
    assert _parse(data) == doc


@pytest.mark.parametrize("data", [
    b"\x81\xa1a",  # a map of one pair, its value missing
    pack({"a": 1}) + b"\x00",  # extra data after the object
    b"\xc1",  # never used
    b"\x81\xa2\xff\xfe\x01",  # a str that is not UTF-8
    b"\xdf\xff\xff\xff\xff",  # a map of 4 billion pairs in no bytes
    b"\xc6\xff\xff\xff\xff",  # a bin past the end
    b"\x81" + b"\x81\x01" * 0 + b"\x91" * 100 + b"\xc0",  # nesting past the bound
])
def test_malformed_msgpack_is_a_format_error(data: bytes) -> None:
    with pytest.raises(FormatError):
        _parse(data)


def test_a_megabyte_of_small_values_is_read_in_bounds() -> None:
    doc = {str(i): [i, "v"] for i in range(60_000)}
    data = pack(doc)
    got = _parse(data)
    assert isinstance(got, dict) and len(got) == 60_000


def test_path_leaves() -> None:
    leaves = msgpack._path_leaves
    assert leaves("/tmp/x") and leaves("../x") and leaves("a/../../x") and leaves("..") and leaves("C:/x")
    assert leaves("..\\x") and not leaves("tokenizer.json") and not leaves("..foo") and not leaves("a/../b")


# ---------------------------------------------------------------- the scanner's judgement

def _hf_shim(tokenizer: dict[str, object], state: bytes = b"", config: object = None) -> bytes:
    return pack({"config": config if config is not None else {"model_type": "roberta"}, "state": state,
                 "tokenizer": tokenizer, "_init_tokenizer_config": {}, "_init_transformer_config": {}})


def test_a_tokenizer_entry_written_outside_the_temp_folder_is_unsafe() -> None:
    for key in ("/tmp/x.txt", "../../x.txt", "a/../../x"):
        verdict, fmt, ids = _verdict(_hf_shim({"kwargs": {}, key: b"data"}))
        assert (verdict, fmt) == ("unsafe", "msgpack") and "msgpack.write-outside" in ids, (key, ids)


def test_trust_remote_code_with_an_auto_map_and_a_module_is_suspicious() -> None:
    tok = {"kwargs": {"trust_remote_code": True},
           "tokenizer_config.json": json.dumps({"auto_map": {"AutoTokenizer": ["tok.T", None]}}).encode(),
           "tok.py": b"print('x')\n"}
    verdict, _, ids = _verdict(_hf_shim(tok))
    assert verdict == "suspicious" and {"code.trust-remote-code", "code.python-source"} <= ids, ids
    # the auto_map in the shim's config (written as config.json) counts as well
    tok2 = {"kwargs": {"trust_remote_code": True}, "vocab.txt": b"a\nb\n"}
    verdict, _, ids = _verdict(_hf_shim(tok2, config={"auto_map": {"AutoTokenizer": ["org/repo--tok.T", None]}}))
    assert verdict == "suspicious" and "code.trust-remote-code" in ids, ids


def test_shim_state_is_scanned_as_a_torch_file() -> None:
    verdict, _, ids = _verdict(pack({"config": {}, "state": _torch_zip(_P2)}))  # thinc's PyTorchShim
    assert verdict == "unsafe", ids
    verdict, _, ids = _verdict(_hf_shim({"kwargs": {}}, state=_P2))
    assert verdict == "unsafe", ids


def test_nested_msgpack_bytes_are_judged() -> None:
    shim = pack({"config": {}, "state": _torch_zip(_P2)})
    thinc_model = pack({"nodes": [{"index": 0, "name": "pytorch", "dims": {}, "refs": {}}],
                        "attrs": [{"a": pack({"x": 1})}], "params": [{}], "shims": [[shim]]})
    verdict, _, ids = _verdict(thinc_model)
    assert verdict == "unsafe", ids


def test_benign_component_files_are_safe() -> None:
    tokenizer = pack({"prefix_search": "^§", "suffix_search": "…$", "infix_finditer": "x", "token_match": None,
                      "url_match": None, "exceptions": {"can't": [{65: "ca"}, {65: "n't"}]},
                      "faster_heuristics": True})
    weights = struct.pack("<4f", 0.5, -1.0, 2.0, 3.0)
    thinc_model = pack({"nodes": [{"index": 0, "name": "linear", "dims": {"nO": 2, "nI": 2}, "refs": {}}],
                        "attrs": [{}],
                        "params": [{"W": {b"nd": True, b"type": "<f4", b"kind": b"f", b"shape": [2, 2],
                                          b"data": b"\x80\x02" + weights[2:]}}],  # (raw data starting like PROTO 2)
                        "shims": [[]]})
    moves = pack({"moves": {"0": {}, "1": {"PER": 1}}, "cfg": {"neg_key": None}})
    for name, data in (("tokenizer", tokenizer), ("model", thinc_model), ("moves", moves)):
        verdict, fmt, ids = _verdict(data, name)
        assert (verdict, fmt) == ("safe", "msgpack"), (name, ids)


def test_a_pickle_with_a_msgpack_start_is_still_judged_as_a_pickle() -> None:
    verdict, _, _ = _verdict(_P2, "tokenizer")
    assert verdict == "unsafe"
    # a msgpack map whose first byte is a pickle opcode: the pickle reading is judged after (polyglot)
    verdict, fmt, _ = _verdict(pack({"a": pickle.dumps(1)}), "tokenizer")
    assert (verdict, fmt) == ("safe", "msgpack")


def test_nested_scans_are_bounded() -> None:
    many = pack({"a": [b"\x80\x02N."] * (msgpack.MAX_NESTED + 5)})
    verdict, _, ids = _verdict(many)
    assert verdict == "error" and "msgpack.too-many-nested" in ids
