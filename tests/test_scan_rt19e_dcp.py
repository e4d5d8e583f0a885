"""Red team 19e: DCP checkpoints and torch.export (pt2) archives.

* 19e-1: ``dcp.load`` opens ``Path(checkpoint) / relative_path`` for EVERY item the
  ``.metadata`` lists — any file of the folder (an ``.npy``, the ``.metadata`` itself), any
  spelling (``./x``), a path out of the folder — and hands ``[offset, offset + length)`` to
  ``torch.load`` (``weights_only=False`` for a BYTE_IO item; torch/distributed/checkpoint/
  filesystem.py ``read_data``, default_planner.py ``load_bytes``). mlbom checked only the items
  whose path was the scanned shard's bare name: the check is now driven from ``.metadata``.
* 19e-2: the ``.metadata`` reader must read BUILD as ``pickle.load`` does (``load_build``: the
  state dict's items copied at BUILD time, BUILDs merged, a ``(dict, slotstate)`` pair's slot
  state set last).
* 19e-3: a pt2 legacy ``data/weights/<model>.pt`` is read (and unpickled) INSTEAD of the weights
  config: a config naming it raw must not make mlbom skip it.
* 19e-4: a checkpoint inside an archive: the slices are not checked there, and that is said.

Every attack file is built here with the stdlib (no torch needed; never loaded)."""

from __future__ import annotations

import io
import json
import os
import pickle
import tarfile
import zipfile
from pathlib import Path

import pytest

from mlbom.formats import dcp
from mlbom.scanner import scan, scan_bytes
from tests.helpers import stored_zip as _archive

# protocol-0 call of builtins.print: what a pickle loader runs (never loaded here)
_CALL = b"cbuiltins\nprint\n(S'RAN-19E'\ntR."
_MD = b"ctorch.distributed.checkpoint.metadata\n"
_INFO = b"ctorch.distributed.checkpoint.filesystem\n_StorageInfo\n)\x81"


def _s(text: str) -> bytes:
    raw = text.encode()
    return b"X" + len(raw).to_bytes(4, "little") + raw


def _i(n: int) -> bytes:
    return b"J" + n.to_bytes(4, "little", signed=True)


def _state(path: str | None = None, offset: int | None = None, length: int | None = None) -> bytes:
    """A ``{...}`` dict pickled with EMPTY_DICT MARK ... SETITEMS."""
    out = b"}("
    if path is not None:
        out += _s("relative_path") + _s(path)
    if offset is not None:
        out += _s("offset") + _i(offset)
    if length is not None:
        out += _s("length") + _i(length)
    return out + b"u"


def _plain(path: str, offset: int, length: int) -> bytes:
    return _INFO + _state(path, offset, length) + b"b"


def _metadata(infos: list[bytes], extra: bytes = b"") -> bytes:
    """A protocol-2 ``Metadata`` pickle (NEWOBJ + BUILD, as DCP's writer makes it) whose
    storage_data maps a MetadataIndex to each pickled ``_StorageInfo`` of ``infos``."""
    items = b"".join(_MD + b"MetadataIndex\n)\x81}" + _s("fqn") + _s(f"item{i}") + b"sb" + info
                     for i, info in enumerate(infos))
    body = b"}(" + _s("state_dict_metadata") + b"}" + _s("storage_data") + b"}(" + items + b"u" + extra + b"u"
    return b"\x80\x02" + _MD + b"Metadata\n)\x81" + body + b"b."


def _item(i: int) -> bytes:
    return _archive({"archive/data.pkl": pickle.dumps({"item": i}, protocol=2), "archive/byteorder": b"little",
                     "archive/version": b"3\n"})


def _shard() -> tuple[bytes, list[tuple[int, int]], int]:
    """Two benign archives; the second's raw storage record holds, after 8 zero bytes, a
    protocol-0 pickle that runs code (inert as tensor bytes — torch.load of the record itself
    raises at its first byte —, run by torch.load of a slice that starts there). Returns the
    shard, its archives' (offset, length) and the offset of the pickle."""
    first = _item(0)
    second = _archive({"archive/data.pkl": pickle.dumps({"x": 1}, protocol=2), "archive/data/0": b"\0" * 8 + _CALL,
                       "archive/version": b"3\n"})
    return first + second, [(0, len(first)), (len(first), len(second))], len(first) + second.index(_CALL)


def _npy(payload: bytes) -> bytes:
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + str(len(payload)) + ",), }"
    pad = 64 - (10 + len(header) + 1) % 64
    header += " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + payload


def _folder(tmp_path: Path, metadata: bytes, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "ckpt"
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (folder / ".metadata").write_bytes(metadata)
    return folder


def _results(folder: Path) -> dict[str, object]:
    return {Path(r.path).name: r for r in scan(folder)}


def _ids(res: object) -> set[str]:
    return {f.id for f in res.findings}  # type: ignore[attr-defined]


def _benign_infos(spans: list[tuple[int, int]]) -> list[bytes]:
    return [_plain("__0_0.distcp", o, n) for o, n in spans]


def test_benign_checkpoint_is_safe(tmp_path: Path) -> None:
    shard, spans, _at = _shard()
    res = _results(_folder(tmp_path, _metadata(_benign_infos(spans)), {"__0_0.distcp": shard}))
    for r in res.values():
        assert r.verdict == "safe", [(f.id, f.message) for f in r.findings if f.severity != "info"]  # type: ignore[attr-defined]
    assert "dcp.slices" in _ids(res[".metadata"])


# ---- 19e-1: items in any file the .metadata names -----------------------------------------

def test_item_in_an_npy_file_is_judged(tmp_path: Path) -> None:
    shard, spans, _at = _shard()
    vals = _npy(_CALL)
    assert scan_bytes(vals, "vals.npy").verdict == "safe"  # as an array: inert bytes
    md = _metadata([*_benign_infos(spans), _plain("vals.npy", vals.index(_CALL), len(_CALL))])
    res = _results(_folder(tmp_path, md, {"__0_0.distcp": shard, "vals.npy": vals}))
    assert res[".metadata"].verdict == "unsafe", sorted(_ids(res[".metadata"]))  # type: ignore[attr-defined]
    assert "dcp.slice-mismatch" in _ids(res[".metadata"])


def test_item_inside_the_metadata_itself_is_judged(tmp_path: Path) -> None:
    shard, spans, _at = _shard()
    extra = _s("storage_meta") + _s(_CALL.decode())  # the payload as a string attribute

    def build(at: int) -> bytes:
        return _metadata([*_benign_infos(spans), _plain(".metadata", at, len(_CALL))], extra)

    at = build(0).index(_CALL)
    md = build(at)
    assert md.index(_CALL) == at
    res = _results(_folder(tmp_path, md, {"__0_0.distcp": shard}))
    assert res[".metadata"].verdict == "unsafe", sorted(_ids(res[".metadata"]))  # type: ignore[attr-defined]


def test_other_spellings_of_the_shard_are_the_shard(tmp_path: Path) -> None:
    shard, spans, at = _shard()
    for i, path in enumerate(("./__0_0.distcp", "sub/../__0_0.distcp", ".//__0_0.distcp")):
        md = _metadata([*_benign_infos(spans), _plain(path, at, len(_CALL))])
        folder = _folder(tmp_path / str(i), md, {"__0_0.distcp": shard, "sub/keep": b"x"})
        res = _results(folder)
        assert res[".metadata"].verdict == "unsafe", (path, sorted(_ids(res[".metadata"])))  # type: ignore[attr-defined]
        assert res["__0_0.distcp"].verdict == "unsafe", (path, sorted(_ids(res["__0_0.distcp"])))  # type: ignore[attr-defined]


def test_item_out_of_the_folder_is_not_safe(tmp_path: Path) -> None:
    shard, spans, _at = _shard()
    outside = tmp_path / "outside.bin"
    outside.write_bytes(_item(9))
    for i, path in enumerate(("../outside.bin", str(outside))):
        md = _metadata([*_benign_infos(spans), _plain(path, 0, len(_item(9)))])
        res = _results(_folder(tmp_path / str(i), md, {"__0_0.distcp": shard}))
        assert res[".metadata"].verdict == "suspicious", sorted(_ids(res[".metadata"]))  # type: ignore[attr-defined]
        assert "dcp.slice-foreign" in _ids(res[".metadata"])


def test_item_through_a_link_is_not_safe(tmp_path: Path) -> None:
    shard, spans, _at = _shard()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.distcp").write_bytes(_item(3))
    md = _metadata([*_benign_infos(spans), _plain("linked/x.distcp", 0, len(_item(3)))])
    folder = _folder(tmp_path / "a", md, {"__0_0.distcp": shard})
    os.symlink(outside, folder / "linked")
    res = _results(folder)
    assert "dcp.slice-foreign" in _ids(res[".metadata"])
    assert res[".metadata"].verdict != "safe"  # type: ignore[attr-defined]


def test_item_in_a_missing_file_is_error(tmp_path: Path) -> None:
    shard, spans, _at = _shard()
    md = _metadata([*_benign_infos(spans), _plain("__1_0.distcp", 0, 10)])
    res = _results(_folder(tmp_path, md, {"__0_0.distcp": shard}))
    assert res[".metadata"].verdict == "error"  # type: ignore[attr-defined]
    assert "dcp.slice-missing" in _ids(res[".metadata"])


def test_many_odd_slices_are_bounded(tmp_path: Path) -> None:
    shard, spans, _at = _shard()
    md = _metadata([*_benign_infos(spans), *(_plain("__0_0.distcp", k, 7) for k in range(40))])
    res = _results(_folder(tmp_path, md, {"__0_0.distcp": shard}))
    assert res[".metadata"].verdict == "error"  # type: ignore[attr-defined]


def test_item_in_a_broken_zip_is_judged_not_refused(tmp_path: Path) -> None:
    """A file that starts like a zip but is none: its slices are judged where they lie."""
    shard, spans, _at = _shard()
    broken = _archive({"a/x": _CALL}).replace(b"PK\x01\x02", b"XX\x01\x02")  # its central directory unreadable
    md = _metadata([*_benign_infos(spans), _plain("b.distcp", broken.index(_CALL), len(_CALL))])
    res = _results(_folder(tmp_path, md, {"__0_0.distcp": shard, "b.distcp": broken}))
    assert res[".metadata"].verdict == "unsafe", sorted(_ids(res[".metadata"]))  # type: ignore[attr-defined]


def test_metadata_past_the_read_bound_is_unchecked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shard, spans, _at = _shard()
    folder = _folder(tmp_path, _metadata(_benign_infos(spans)), {"__0_0.distcp": shard})
    monkeypatch.setattr(dcp, "MAX_METADATA", 100)
    res = _results(folder)
    assert "dcp.slices-unchecked" in _ids(res[".metadata"])
    assert res[".metadata"].verdict == "suspicious"  # type: ignore[attr-defined]


# ---- 19e-2: BUILD read as pickle.load reads it ---------------------------------------------

def _slot(path: str, shown: tuple[int, int], real: tuple[int, int]) -> bytes:
    """State ``(dict, slotstate)``: pickle.load sets the slot state after the dict."""
    return _INFO + _state(path, *shown) + _state(None, *real) + b"\x86b"


def _alias(path: str, shown: tuple[int, int], real: tuple[int, int]) -> bytes:
    """The state dict memoised, BUILD, then the same dict edited: the instance keeps the
    items copied at BUILD time."""
    return _INFO + b"}q\x07(" + _s("relative_path") + _s(path) + _s("offset") + _i(real[0]) + _s("length") \
        + _i(real[1]) + b"ub" + b"h\x07(" + _s("offset") + _i(shown[0]) + _s("length") + _i(shown[1]) + b"u0"


def _twice(path: str, shown: tuple[int, int], real: tuple[int, int]) -> bytes:
    """Two BUILDs: the second's items are merged over the first's."""
    return _INFO + _state(path, *shown) + b"b" + _state(None, *real) + b"b"


def test_build_is_read_as_pickle_load_reads_it(tmp_path: Path) -> None:
    shard, spans, at = _shard()
    real = (at, len(_CALL))
    for i, make in enumerate((_slot, _alias, _twice)):
        md = _metadata([_plain("__0_0.distcp", *spans[0]), make("__0_0.distcp", spans[1], real)])
        found = dcp.storage_slices(md)
        assert found is not None, make.__name__
        assert [(x.offset, x.length) for x in found.items] == [spans[0], real], make.__name__
        res = _results(_folder(tmp_path / str(i), md, {"__0_0.distcp": shard}))
        assert res[".metadata"].verdict == "unsafe", (make.__name__, sorted(_ids(res[".metadata"])))  # type: ignore[attr-defined]
        assert res["__0_0.distcp"].verdict == "unsafe", make.__name__  # type: ignore[attr-defined]


def test_storage_info_called_is_not_read() -> None:
    """A REDUCE call runs ``__init__`` with arguments mlbom does not model: not read."""
    info = b"ctorch.distributed.checkpoint.filesystem\n_StorageInfo\n)R" + _state("__0_0.distcp", 0, 10) + b"b"
    assert dcp.storage_slices(_metadata([info])) is None


def test_unreadable_checkpoint_metadata_is_unchecked(tmp_path: Path) -> None:
    """A .metadata naming DCP classes that the reader refuses: said, at least suspicious."""
    info = b"ctorch.distributed.checkpoint.filesystem\n_StorageInfo\n)R" + _state("x", 0, 10) + b"b"
    res = scan_bytes(_metadata([info]), ".metadata")
    assert "dcp.slices-unchecked" in _ids(res)
    assert res.verdict != "safe"


# ---- 19e-4: a checkpoint inside an archive -------------------------------------------------

def test_checkpoint_in_an_archive_is_not_silently_safe(tmp_path: Path) -> None:
    shard, spans, at = _shard()
    md = _metadata([_plain("__0_0.distcp", *spans[0]), _plain("__0_0.distcp", at, len(_CALL))])
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("ckpt/.metadata", md)
        z.writestr("ckpt/__0_0.distcp", shard)
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w") as t:
        for name, data in (("ckpt/.metadata", md), ("ckpt/__0_0.distcp", shard)):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    for data, name in ((zbuf.getvalue(), "ckpt.zip"), (tbuf.getvalue(), "ckpt.tar")):
        res = scan_bytes(data, name)
        assert "dcp.slices-unchecked" in _ids(res), name
        assert res.verdict != "safe", name


# ---- 19e-3: pt2 legacy weights file ---------------------------------------------------------

def _pt2(records: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in records.items():
            z.writestr(f"m/{name}", data)
        z.writestr("m/archive_format", b"pt2")
        z.writestr("m/archive_version", b"0")
    return buf.getvalue()


def _cfg(path: str) -> bytes:
    meta = {"dtype": 7, "sizes": [{"as_int": 4}], "requires_grad": False, "device": {"type": "cpu", "index": None},
            "strides": [{"as_int": 1}], "storage_offset": {"as_int": 0}, "layout": 5}
    return json.dumps({"config": {"w": {"path_name": path, "is_param": True, "use_pickle": False,
                                        "tensor_meta": meta}}}).encode()


_PROGRAM = json.dumps({"graph_module": {"graph": {"nodes": []}}}).encode()


def test_pt2_legacy_weights_file_is_never_raw() -> None:
    data = _pt2({"models/model.json": _PROGRAM, "data/weights/model.pt": _CALL,
                 "data/weights/model_weights_config.json": _cfg("model.pt")})
    res = scan_bytes(data, "m.pt2")
    assert res.verdict == "unsafe", sorted(_ids(res))


def test_pt2_config_of_a_legacy_model_is_not_applied() -> None:
    """torch reads data/weights/model.pt instead of the config: the config's records are not
    raw tensors to skip (here the config names a record that is a pickle)."""
    data = _pt2({"models/model.json": _PROGRAM, "data/weights/model.pt": _archive({"a/data.pkl": pickle.dumps({})}),
                 "data/weights/weight_0": _CALL, "data/weights/model_weights_config.json": _cfg("weight_0")})
    assert scan_bytes(data, "m.pt2").verdict == "unsafe"


def test_pt2_config_of_no_program_is_not_applied() -> None:
    data = _pt2({"models/model.json": _PROGRAM, "data/weights/weight_0": _CALL,
                 "data/weights/other_weights_config.json": _cfg("weight_0")})
    assert scan_bytes(data, "m.pt2").verdict == "unsafe"


def test_pt2_raw_weights_of_a_program_stay_raw() -> None:
    # tensor bytes that hold a pickle past their first byte: torch.load of them would raise at
    # once (a pickle AT the first byte is judged whatever the config says: red team 21e)
    data = _pt2({"models/model.json": _PROGRAM, "data/weights/weight_0": b"\0" + _CALL,
                 "data/weights/model_weights_config.json": _cfg("weight_0"),
                 "data/sample_inputs/model.pt": _archive({"a/data.pkl": pickle.dumps(((), {}), protocol=2),
                                                          "a/version": b"3\n"}),
                 "data/constants/model_constants_config.json": b'{"config": {}}'})
    res = scan_bytes(data, "m.pt2")
    assert res.verdict == "suspicious", sorted(_ids(res))  # the program; the raw record is tensor bytes
