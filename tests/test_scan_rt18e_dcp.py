"""Red team 18e-1/-2/-3: ``torch.distributed.checkpoint`` (DCP) checkpoints.

A DCP shard (``__0_0.distcp``) is one ``torch.save`` archive per item, back to back;
``dcp.load`` reads each item's (offset, length) slice with ``torch.load`` (tensor items
``weights_only=True``, any other value ``weights_only=False``; torch/distributed/checkpoint/
filesystem.py ``read_data``, default_planner.py ``load_bytes``). mlbom read the file as one zip
whose prefix was another zip, one nesting level per item: real shards were ``error``
(``container.too-deep``) and a code-running item behind five others hid as ``error`` instead of
``unsafe``. Concatenated archives are now walked in a loop, each judged as its own file.

The stdlib-built cases need no torch; the DCP-built ones skip without it (the CI venv has none)."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from mlbom.formats.compression import DEFAULT_LIMITS
from mlbom.scanner import scan, scan_bytes

# protocol-0 call of builtins.print: what a pickle loader runs (never loaded here)
_CALL = b"cbuiltins\nprint\n(S'RAN-18E'\ntR."


def _archive(members: dict[str, bytes]) -> bytes:
    """One zip archive written to its own buffer (offsets relative to its own start, as
    ``torch.save`` into DCP's stream writes each item)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _item(i: int, payload: bytes | None = None) -> bytes:
    pkl = payload if payload is not None else pickle.dumps({"item": i, "values": list(range(4))}, protocol=2)
    return _archive({"archive/data.pkl": pkl, "archive/byteorder": b"little", "archive/version": b"3\n"})


def _ids(res: object) -> set[str]:
    return {f.id for f in res.findings}  # type: ignore[attr-defined]


@pytest.mark.parametrize("n", [2, 5, 12, 300])
def test_concatenated_benign_archives_are_judged_each(n: int) -> None:
    res = scan_bytes(b"".join(_item(i) for i in range(n)), "__0_0.distcp")
    assert res.verdict == "safe", [(f.id, f.message) for f in res.findings if f.severity != "info"]
    assert res.format == "pytorch-dcp"
    assert "container.too-deep" not in _ids(res)
    assert "zip.concatenated" in _ids(res)


@pytest.mark.parametrize("n", [1, 8, 300])
def test_code_running_first_item_is_unsafe_whatever_follows(n: int) -> None:
    """18e-2: the evil item first, then n benign ones (before: ``error`` from n = 5 on)."""
    data = _item(0, _CALL) + b"".join(_item(i + 1) for i in range(n))
    res = scan_bytes(data, "__0_0.distcp")
    assert res.verdict == "unsafe", sorted(_ids(res))
    assert "container.too-deep" not in _ids(res)


def test_bytes_before_the_first_archive_stay_a_differential() -> None:
    data = b"junk that is no archive " * 4 + _item(0) + _item(1) + _item(2)
    res = scan_bytes(data, "x.distcp")
    assert res.verdict in ("suspicious", "error")
    assert "zip.prefix-data" in {f.id for f in res.findings if f.severity == "high"}


def test_pickle_before_the_archives_is_still_judged() -> None:
    """What a reader from offset 0 sees (a pickle) is judged, chain or not."""
    res = scan_bytes(_CALL + _item(0) + _item(1), "x.distcp")
    assert res.verdict == "unsafe"


def test_chain_is_bounded_by_the_entry_budget() -> None:
    limits = replace(DEFAULT_LIMITS, max_entries=40)
    res = scan_bytes(b"".join(_item(i) for i in range(60)), "x.distcp", limits=limits)
    assert res.verdict == "error"  # never safe with archives left unjudged


# ---- real DCP checkpoints (torch) -----------------------------------------------------------

_BUILD = r"""
import sys, torch, torch.distributed.checkpoint as dcp, warnings
warnings.simplefilter("ignore")
out, n, evil = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
class Evil:
    def __reduce__(self):
        return (print, ("RAN-18E",))
sd = {"a_obj": Evil()} if evil else {}
sd.update({f"z_w{i}": torch.randn(3, 3) for i in range(n)})
sd["meta"] = {"epoch": 1, "lr": 0.1}
sd["step"] = torch.tensor(7)
dcp.save(sd, checkpoint_id=out, no_dist=True)
"""


def _dcp(tmp_path: Path, n: int, evil: bool) -> Path:
    pytest.importorskip("torch")
    out = tmp_path / f"dcp{n}{int(evil)}"
    subprocess.run([sys.executable, "-c", _BUILD, str(out), str(n), "1" if evil else "0"], check=True,
                   capture_output=True, timeout=600)
    return out


@pytest.mark.parametrize("n", [3, 40])
def test_real_dcp_checkpoint_is_safe(tmp_path: Path, n: int) -> None:
    out = _dcp(tmp_path, n, evil=False)
    res = {Path(r.path).name: r for r in scan(out)}
    shard = res["__0_0.distcp"]
    assert shard.verdict == "safe", [(f.id, f.message) for f in shard.findings if f.severity != "info"]
    assert shard.format == "pytorch-dcp"
    meta = res[".metadata"]
    assert meta.verdict == "safe", [(f.id, f.message) for f in meta.findings if f.severity != "info"]


def test_real_dcp_code_running_item_is_unsafe(tmp_path: Path) -> None:
    out = _dcp(tmp_path, 8, evil=True)
    res = {Path(r.path).name: r for r in scan(out)}
    assert res["__0_0.distcp"].verdict == "unsafe"
    assert "pickle.dangerous-callable" in _ids(res["__0_0.distcp"]) or res["__0_0.distcp"].verdict == "unsafe"


# ---- 18e-3: the .metadata pickle's dataclasses (built by hand: no torch needed) --------------

_MD = b"ctorch.distributed.checkpoint.metadata\n"


def _metadata_pickle(call_metadata: bool = False) -> bytes:
    """What DCP's writer pickles, in protocol-2 opcodes: NEWOBJ + BUILD of dataclasses, a
    TensorProperties 5-tuple state with the memory-format enum called with its value."""
    props = (_MD + b"TensorProperties\n)\x81" + b"(ctorch\nfloat32\nctorch\nstrided\n\x89"
             + _MD + b"_MEM_FORMAT_ENCODING\nK\x00\x85R\x89tb")
    tsm = _MD + b"TensorStorageMetadata\n)\x81}(X\x0a\x00\x00\x00properties" + props + b"X\x06\x00\x00\x00chunks]u" + b"b"
    info = (b"ctorch.distributed.checkpoint.filesystem\n_StorageInfo\n)\x81}(X\x0d\x00\x00\x00relative_path"
            b"X\x0c\x00\x00\x00__0_0.distcpX\x06\x00\x00\x00offsetK\x00X\x06\x00\x00\x00lengthM\x00\x04ub")
    index = _MD + b"MetadataIndex\n)\x81}X\x03\x00\x00\x00fqnX\x01\x00\x00\x00ws" + b"b"
    body = (b"}(X\x13\x00\x00\x00state_dict_metadata}(X\x01\x00\x00\x00w" + tsm + b"X\x01\x00\x00\x00m" + _MD
            + b"BytesStorageMetadata\n)\x81}buX\x0c\x00\x00\x00storage_data}" + index + info + b"s"
            + b"X\x0c\x00\x00\x00storage_meta" + _MD + b"StorageMeta\n)\x81}bu")
    head = _MD + b"Metadata\n" + (b")R" if call_metadata else b")\x81")
    return b"\x80\x02" + head + body + b"b."


def test_dcp_metadata_dataclasses_are_data() -> None:
    data = _metadata_pickle()
    import pickletools

    pickletools.dis(data, out=io.StringIO())  # well-formed
    res = scan_bytes(data, ".metadata")
    assert res.verdict == "safe", [(f.id, f.message) for f in res.findings if f.severity != "info"]


def test_dcp_metadata_class_called_is_not_safe() -> None:
    """new_only: a REDUCE call runs the dataclass's __init__ with pickle data."""
    res = scan_bytes(_metadata_pickle(call_metadata=True), ".metadata")
    assert res.verdict != "safe"


# ---- the slices .metadata has dcp.load read (18e-1: gaps/overlaps are a differential) -------

def _s(text: str) -> bytes:
    raw = text.encode()
    return b"X" + len(raw).to_bytes(4, "little") + raw


def _dcp_metadata(slices: list[tuple[str, int, int]]) -> bytes:
    """A protocol-2 Metadata pickle whose storage_data lists (file, offset, length) items."""
    items = b""
    for i, (path, offset, length) in enumerate(slices):
        index = _MD + b"MetadataIndex\n)\x81}" + _s("fqn") + _s(f"item{i}") + b"sb"
        info = (b"ctorch.distributed.checkpoint.filesystem\n_StorageInfo\n)\x81}(" + _s("relative_path") + _s(path)
                + _s("offset") + b"J" + offset.to_bytes(4, "little", signed=True)
                + _s("length") + b"J" + length.to_bytes(4, "little", signed=True) + b"ub")
        items += index + info
    body = b"}(" + _s("state_dict_metadata") + b"}" + _s("storage_data") + b"}(" + items + b"uu"
    return b"\x80\x02" + _MD + b"Metadata\n)\x81" + body + b"b."


def _hidden_shard() -> tuple[bytes, int, int]:
    """Three archives; the second's raw storage record (never unpickled by torch, not judged
    as an archive) holds, after a first zero byte, a whole torch.save archive whose pickle runs
    code (a record that IS a zip from its first byte is judged as one: red team 21e)."""
    evil = _item(0, _CALL)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle.dumps({"x": 1}, protocol=2))
        z.writestr("archive/data/0", b"\0" + evil)
        z.writestr("archive/version", b"3\n")
    second = buf.getvalue()
    with zipfile.ZipFile(io.BytesIO(second)) as z:
        info = z.getinfo("archive/data/0")
    head = second[info.header_offset:info.header_offset + 30]
    inner = info.header_offset + 31 + int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little")
    assert second[inner:inner + len(evil)] == evil
    first = _item(1)
    return first + second + _item(2), len(first) + inner, len(evil)


def _shard_folder(tmp_path: Path, shard: bytes, metadata: bytes) -> Path:
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "__0_0.distcp").write_bytes(shard)
    (folder / ".metadata").write_bytes(metadata)
    return folder


def _shard_result(folder: Path) -> object:
    return {Path(r.path).name: r for r in scan(folder)}["__0_0.distcp"]


def test_metadata_slices_matching_the_archives_are_safe(tmp_path: Path) -> None:
    parts = [_item(i) for i in range(3)]
    offs = [0, len(parts[0]), len(parts[0]) + len(parts[1])]
    folder = _shard_folder(tmp_path, b"".join(parts),
                           _dcp_metadata([("__0_0.distcp", o, len(p)) for o, p in zip(offs, parts, strict=True)]))
    res = _shard_result(folder)
    assert res.verdict == "safe", [(f.id, f.message) for f in res.findings if f.severity != "info"]  # type: ignore[attr-defined]
    assert "dcp.slices" in _ids(res)


def test_metadata_slice_into_a_storage_record_is_judged(tmp_path: Path) -> None:
    shard, offset, length = _hidden_shard()
    assert scan_bytes(shard, "__0_0.distcp").verdict == "safe"  # the shard alone: nothing reads the inner archive
    folder = _shard_folder(tmp_path, shard, _dcp_metadata([("__0_0.distcp", offset, length)]))
    res = _shard_result(folder)
    assert "dcp.slice-mismatch" in _ids(res)
    assert res.verdict == "unsafe", sorted(_ids(res))  # type: ignore[attr-defined]


def test_metadata_slice_outside_the_file_is_error(tmp_path: Path) -> None:
    shard = _item(0) + _item(1)
    folder = _shard_folder(tmp_path, shard, _dcp_metadata([("__0_0.distcp", len(shard) - 10, 100)]))
    assert _shard_result(folder).verdict == "error"  # type: ignore[attr-defined]


def test_unreadable_metadata_leaves_the_shard_not_safe(tmp_path: Path) -> None:
    folder = _shard_folder(tmp_path, _item(0) + _item(1), pickle.dumps({"not": "Metadata"}, protocol=4))
    res = _shard_result(folder)
    assert res.verdict == "suspicious"  # type: ignore[attr-defined]
    assert "dcp.slices-unchecked" in _ids(res)


def test_one_archive_shard_is_checked_too(tmp_path: Path) -> None:
    evil = _item(0, _CALL)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle.dumps({"x": 1}, protocol=2))
        z.writestr("archive/data/0", evil)
    shard = buf.getvalue()
    at = shard.index(evil)
    folder = _shard_folder(tmp_path, shard, _dcp_metadata([("__0_0.distcp", at, len(evil))]))
    assert _shard_result(folder).verdict == "unsafe"  # type: ignore[attr-defined]
