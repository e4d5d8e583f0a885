"""fix26c2: a real shared-store cache is not suspicious.

huggingface_hub keeps its shared blob store on by default (``HF_HUB_DISABLE_SHARED_BLOBS`` opts
out), so every Xet-backed file of a cache lives at ``<hub>/blobs/<xx>/<xet hash>`` and is judged
as content no name reaches (red team 26c-3). Such content is name-free when the loaders that
decide by content accept it (its own verdict is ``safe``) and the readers a name selects for text
cannot read it: CPython refuses source holding a NUL byte, PyYAML's reader refuses NUL, and
transformers' ``open(chat_template.jinja, encoding="utf-8")`` refuses content that is not UTF-8
(UTF-8 content with a Jinja delimiter is judged as that template). JSON documents are exempt from
the NUL rule: as Python a JSON document is literals only.

The layout is built as huggingface_hub writes it (file_download.py, utils/_shared_blobs.py):
``snapshots/<rev>/<name>`` -> ``../../blobs/<etag>`` -> ``../../blobs/<xx>/<xet hash>``.
"""

from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import pytest

from tests.helpers import scan_json_by_rel

REV = "0123456789abcdef0123456789abcdef01234567"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LLAMA31 = (FIXTURES / "chat_templates" / "llamacpp-meta-llama-Llama-3.1-8B-Instruct.jinja").read_text()


def _git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _store_cache(hub: Path, files: dict[str, bytes]) -> dict[str, str]:
    """A repository whose every file is a shared-store entry; the store path of each by name."""
    store = hub / "blobs"
    store.mkdir(parents=True)
    (store / ".huggingface-shared-blobs").write_text("1\n")
    repo = hub / "models--acme--real"
    snap = repo / "snapshots" / REV
    snap.mkdir(parents=True)
    (repo / "blobs").mkdir()
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REV)
    where = {}
    for rel, data in files.items():
        xet = hashlib.sha256(b"xet" + data).hexdigest()
        (store / xet[:2]).mkdir(exist_ok=True)
        (store / xet[:2] / xet).write_bytes(data)
        etag = hashlib.sha256(data).hexdigest()  # an LFS file's etag: its SHA-256
        os.symlink(f"../../blobs/{xet[:2]}/{xet}", repo / "blobs" / etag)
        os.symlink(f"../../blobs/{etag}", snap / rel)
        where[rel] = f"blobs/{xet[:2]}/{xet}"
    return where


def _assert_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, bytes]) -> None:
    hub = tmp_path / "hub"
    where = _store_cache(hub, files)
    rc, scans = scan_json_by_rel(hub, capsys)
    for rel, store in where.items():
        for shown in (store, f"models--acme--real/snapshots/{REV}/{rel}"):
            verdict, ids = scans[shown]
            assert verdict == "safe" and not [i for i in ids if i.startswith("files.hf-")], (shown, scans[shown])
    assert rc == 0, scans


def _s(x: str) -> bytes:
    b = x.encode()
    return struct.pack("<Q", len(b)) + b


def _gguf() -> bytes:
    """A GGUF as llama.cpp writes one (v3, a chat template, an F32 tensor, 32-byte alignment)."""
    kvs = [(_s("general.architecture"), 8, _s("llama")), (_s("general.file_type"), 4, struct.pack("<I", 0)),
           (_s("tokenizer.chat_template"), 8, _s(LLAMA31))]
    body = b"GGUF" + struct.pack("<IQQ", 3, 1, len(kvs)) + b"".join(k + struct.pack("<I", t) + v for k, t, v in kvs)
    body += _s("w") + struct.pack("<I", 1) + struct.pack("<Q", 4) + struct.pack("<I", 0) + struct.pack("<Q", 0)
    body += b"\0" * (-len(body) % 32)
    return body + struct.pack("<4f", 0.5, -1.25, 3.0e7, 1.0e-9)


def _torch_zip() -> bytes:
    """The layout ``torch.save`` writes (protocol 2 data.pkl, raw storages), built by hand."""
    pkl = (b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00wq\x02ctorch._utils\n"
           b"_rebuild_tensor_v2\nq\x03((X\x07\x00\x00\x00storageq\x04ctorch\nFloatStorage\nq\x05X\x01\x00\x00\x00"
           b"0q\x06X\x03\x00\x00\x00cpuq\x07K\x02tq\x08QK\x00K\x02\x85q\tK\x01\x85q\n\x89h\x00)Rq\x0btq\x0cRq\rs.")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/data/0", struct.pack("<2f", 1.0, 2.0))
        z.writestr("archive/version", "3\n")
    return out.getvalue()


def _sentencepiece() -> bytes:
    def pb(num: int, payload: bytes) -> bytes:
        return bytes([(num << 3) | 2, len(payload)]) + payload
    piece = pb(1, b"<unk>") + b"\x15" + struct.pack("<f", 0.0) + b"\x18\x02"
    return pb(1, piece) + pb(1, pb(1, "\u2581the".encode()) + b"\x15" + struct.pack("<f", -1.5)) + pb(2, b"\x08\x01")


def test_hand_built_real_files_in_the_store_are_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = collections.OrderedDict([("layer.weight", [0.5, -1.0]), ("layer.bias", [0.0])])
    _assert_quiet(tmp_path, capsys, {
        "model.gguf": _gguf(),
        "pytorch_model.bin": _torch_zip(),
        "state.pkl": pickle.dumps(state, protocol=4),
        "tokenizer.model": _sentencepiece(),
        "model.onnx": (FIXTURES / "onnx" / "benign" / "ifgraph.onnx").read_bytes(),
        "tiny.gguf": (FIXTURES / "gguf" / "tiny-llama.gguf").read_bytes(),
        "tokenizer.json": json.dumps({"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0}}}).encode(),
        "model.h5": (FIXTURES / "hdf5" / "benign-tables-numeric.h5").read_bytes(),
    })


def test_library_written_files_in_the_store_are_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch = pytest.importorskip("torch")
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    buf = io.BytesIO()
    torch.save({"w": torch.ones(3), "b": torch.zeros(2)}, buf)
    legacy = io.BytesIO()
    torch.save({"w": torch.ones(3)}, legacy, _use_new_zipfile_serialization=False)
    node = helper.make_node("Relu", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
                              initializer=[helper.make_tensor("c", TensorProto.FLOAT, [2], [0.0, 1.0])])
    model = helper.make_model(graph, producer_name="pytorch")
    state = collections.OrderedDict((k, v.numpy()) for k, v in {"w": torch.ones(3), "b": torch.zeros(2)}.items())
    _assert_quiet(tmp_path, capsys, {
        "pytorch_model.bin": buf.getvalue(),
        "legacy.bin": legacy.getvalue(),
        "model.onnx": onnx._serialize(model) if hasattr(onnx, "_serialize") else model.SerializeToString(),
        "state_p4.pkl": pickle.dumps(state, protocol=4),
    })


def test_a_protocol_0_text_pickle_in_the_store_stays_suspicious(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """All printable text, no NUL: as ``modeling_x.py`` CPython compiles it (a syntax error here,
    but text with no NUL is text a name-selected reader may take) — not name-free."""
    data = pickle.dumps({"w": [1, 2]}, protocol=0)
    assert b"\0" not in data
    hub = tmp_path / "hub"
    where = _store_cache(hub, {"state.pkl": data})
    rc, scans = scan_json_by_rel(hub, capsys)
    assert scans[where["state.pkl"]] == ("suspicious", ["files.hf-store-unverified"]) and rc == 1


def test_nul_holding_content_a_content_loader_refuses_stays_suspicious(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Only content whose own verdict is safe is name-free: a pickle importing ``os`` is not."""
    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return os.system, ("id",)

    data = pickle.dumps(Evil(), protocol=4)  # written, never loaded
    assert b"\0" in data
    hub = tmp_path / "hub"
    where = _store_cache(hub, {"state.pkl": data})
    rc, scans = scan_json_by_rel(hub, capsys)
    verdict, ids = scans[where["state.pkl"]]
    assert verdict == "unsafe" and "files.hf-store-unverified" in ids and rc == 1
