"""Red team 20e: DCP checkpoints and torch.export (pt2) archives, after fix19e.

* 20e-1 (new class: a blocking open of a file the DATA names): ``.metadata`` names a FIFO as an
  item's ``relative_path``; mlbom opened it with a blocking ``open()`` before checking its type
  and the scan hung for ever. Every file scanned data names now goes through one guarded open
  (``lstat`` first, regular files only, ``O_NONBLOCK``/``O_NOFOLLOW``, ``fstat`` re-checked).
* 20e-2: a pt2 archive with two copies of ``data/weights/<model>_weights_config.json`` (or two
  names torch's miniz reader confuses: it matches names ASCII-case-insensitively, by a binary
  search over a heap-sorted index): one copy declares a record raw, the copy torch reads
  declares it pickled. A record is raw only when EVERY copy of every config says so.
* 20e-3: ``.metadata`` scanned alone trusted a scan of its shard that never ran: a slice that is
  exactly an archive of the shard was skipped. Every slice is now judged from ``.metadata``.

The attack files are built with the stdlib (never loaded); the torch-built proofs skip without torch."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mlbom.scanner import scan, scan_bytes
from tests.helpers import stored_zip as _archive

# protocol-0 call of builtins.print: what a pickle loader runs (never loaded here)
_CALL = b"cbuiltins\nprint\n(S'RAN-20E'\ntR."
_MD = b"ctorch.distributed.checkpoint.metadata\n"
_INFO = b"ctorch.distributed.checkpoint.filesystem\n_StorageInfo\n)\x81"
_ROOT = Path(__file__).resolve().parents[1]


def _s(text: str) -> bytes:
    raw = text.encode()
    return b"X" + len(raw).to_bytes(4, "little") + raw


def _i(n: int) -> bytes:
    return b"J" + n.to_bytes(4, "little", signed=True)


def _info(path: str, offset: int, length: int) -> bytes:
    return _INFO + b"}(" + _s("relative_path") + _s(path) + _s("offset") + _i(offset) + _s("length") + _i(length) + b"ub"


def _metadata(infos: list[bytes]) -> bytes:
    """A protocol-2 ``Metadata`` pickle as DCP's writer makes it (NEWOBJ + BUILD)."""
    items = b"".join(_MD + b"MetadataIndex\n)\x81}" + _s("fqn") + _s(f"item{i}") + b"sb" + info
                     for i, info in enumerate(infos))
    body = b"}(" + _s("state_dict_metadata") + b"}" + _s("storage_data") + b"}(" + items + b"uu"
    return b"\x80\x02" + _MD + b"Metadata\n)\x81" + body + b"b."


def _item(pkl: bytes) -> bytes:
    return _archive({"archive/data.pkl": pkl, "archive/byteorder": b"little", "archive/version": b"3\n"})


def _checkpoint(tmp_path: Path, items: list[bytes], extra: list[bytes] | None = None) -> Path:
    """A folder with one shard of back-to-back archives and a ``.metadata`` listing each one
    exactly (what ``dcp.save`` writes), plus the ``extra`` infos."""
    folder = tmp_path / "ckpt"
    folder.mkdir()
    infos, offset = [], 0
    for data in items:
        infos.append(_info("__0_0.distcp", offset, len(data)))
        offset += len(data)
    (folder / "__0_0.distcp").write_bytes(b"".join(items))
    (folder / ".metadata").write_bytes(_metadata(infos + (extra or [])))
    return folder


def _ids(res: object) -> set[str]:
    return {f.id for f in res.findings}  # type: ignore[attr-defined]


def _scan_cli(path: Path) -> dict[str, dict[str, object]]:
    """``mlbom scan --format json`` in a subprocess with a deadline: a hang fails the test."""
    env = {**os.environ, "PYTHONPATH": str(_ROOT)}
    try:
        proc = subprocess.run([sys.executable, "-m", "mlbom", "scan", str(path), "--format", "json"],
                              capture_output=True, text=True, timeout=120, env=env, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"mlbom scan {path} hung (killed after 120 s)")
    doc = json.loads(proc.stdout)
    files = doc["files"] if isinstance(doc, dict) else doc
    return {Path(f["path"]).name: f for f in files}


# ---- 20e-1: a FIFO named by .metadata -----------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("alone", [False, True])
def test_fifo_named_by_metadata_is_never_opened(tmp_path: Path, alone: bool) -> None:
    benign = _item(pickle.dumps({"x": 1}, protocol=2))
    folder = _checkpoint(tmp_path, [benign], extra=[_info("pipe", 0, 10)])
    os.mkfifo(folder / "pipe")
    got = _scan_cli(folder / ".metadata" if alone else folder)
    md = got[".metadata"]
    assert md["verdict"] == "error", md
    msgs = [f["message"] for f in md["findings"] if f["id"] == "dcp.slice-missing"]  # type: ignore[union-attr,index]
    assert msgs and "'pipe'" in msgs[0] and "not a regular file" in msgs[0], md
    if not alone:
        assert got["pipe"]["verdict"] == "error"  # the walker's own entry for the FIFO
        assert got["__0_0.distcp"]["verdict"] == "safe"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_metadata_beside_a_shard_never_blocks(tmp_path: Path) -> None:
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "__0_0.distcp").write_bytes(_item(pickle.dumps({"x": 1}, protocol=2)))
    os.mkfifo(folder / ".metadata")
    got = _scan_cli(folder / "__0_0.distcp")
    assert got["__0_0.distcp"]["verdict"] == "suspicious"  # the slices it names cannot be checked
    assert any(f["id"] == "dcp.slices-unchecked" and "not a regular file" in f["message"]  # type: ignore[index]
               for f in got["__0_0.distcp"]["findings"])  # type: ignore[union-attr]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_config_beside_python_module_never_blocks(tmp_path: Path) -> None:
    (tmp_path / "modeling_x.py").write_text("X = 1\n")
    os.mkfifo(tmp_path / "config.json")  # looked up by name for an auto_map naming the module
    got = _scan_cli(tmp_path / "modeling_x.py")
    assert got["modeling_x.py"]["verdict"] == "suspicious"


# ---- 20e-3: .metadata alone judges the slices itself --------------------------------------------

def test_metadata_alone_judges_exact_archives(tmp_path: Path) -> None:
    folder = _checkpoint(tmp_path, [_item(pickle.dumps({"a": 1}, protocol=2)), _item(_CALL)])
    [alone] = scan(folder / ".metadata")
    assert alone.verdict == "unsafe", [(f.id, f.message) for f in alone.findings]
    info = next(f.message for f in alone.findings if f.id == "dcp.slices")
    assert "judged here" in info and "2 slice(s) that are exactly archives" in info
    got = {Path(r.path).name: r for r in scan(folder)}
    assert got[".metadata"].verdict == "unsafe" and got["__0_0.distcp"].verdict == "unsafe"


def test_metadata_of_a_large_benign_checkpoint_stays_safe(tmp_path: Path) -> None:
    # more exact items than the cap on mismatched slices: each judged, none left over
    folder = _checkpoint(tmp_path, [_item(pickle.dumps({"item": i}, protocol=2)) for i in range(40)])
    [alone] = scan(folder / ".metadata")
    assert alone.verdict == "safe", [(f.id, f.message) for f in alone.findings if f.severity != "info"]
    assert all(r.verdict == "safe" for r in scan(folder))


# ---- 20e-2: pt2 config copies torch's reader may take -------------------------------------------

_META = {"dtype": 7, "sizes": [{"as_int": 4}], "requires_grad": False, "device": {"type": "cpu", "index": None},
         "strides": [{"as_int": 1}], "storage_offset": {"as_int": 0}, "layout": 5}


def _wcfg(use_pickle: bool) -> bytes:
    return json.dumps({"config": {"p0": {"path_name": "weight_0", "is_param": True, "use_pickle": use_pickle,
                                         "tensor_meta": None if use_pickle else _META}}}).encode()


def _pt2(configs: list[tuple[str, bytes]], weight: bytes) -> bytes:
    """A torch.export.save layout whose weights config is given as several (name, bytes) members."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("m/archive_format", "pt2")
        z.writestr("m/archive_version", "0")
        z.writestr("m/models/model.json", json.dumps({"graph_module": {"graph": {"nodes": []}}}))
        z.writestr("m/data/weights/weight_0", weight)
        for name, data in configs:
            z.writestr(f"m/data/weights/{name}", data)
        z.writestr("m/byteorder", "little")
    return buf.getvalue()


_EVIL = _item(_CALL)  # torch.load(weights_only=False) of this record runs the call


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("configs", [
    [("model_weights_config.json", _wcfg(False)), ("model_weights_config.json", _wcfg(True))],
    [("model_weights_config.json", _wcfg(True)), ("model_weights_config.json", _wcfg(False))],
    [("model_weights_config.json", _wcfg(False)), ("MODEL_weights_config.json", _wcfg(True))],
    [("model_weights_config.json", _wcfg(False)), ("model_weights_config.json", b"{not json")],
], ids=["second-pickles", "first-pickles", "case-variant", "unreadable-copy"])
def test_pt2_record_is_raw_only_if_every_config_copy_says_so(configs: list[tuple[str, bytes]]) -> None:
    res = scan_bytes(_pt2(configs, _EVIL), "m.pt2")
    assert res.format == "pt2"
    assert res.verdict == "unsafe", [(f.id, f.message) for f in res.findings if f.severity != "info"]
    assert "zip.duplicate-name" in _ids(res)


def test_pt2_single_raw_config_still_skips_the_record() -> None:
    # the control: one config, raw: the record is tensor bytes torch views, never unpickled (an
    # archive after a first zero byte: torch.load of the record would not read it as a zip either;
    # a record that IS a zip or a pickle is judged whatever the config: red team 21e)
    res = scan_bytes(_pt2([("model_weights_config.json", _wcfg(False))], b"\0" + _EVIL), "m.pt2")
    assert res.verdict == "suspicious" and "zip.duplicate-name" not in _ids(res)


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_pt2_duplicated_raw_record_is_judged() -> None:
    buf = io.BytesIO(_pt2([("model_weights_config.json", _wcfg(False))], b"\x00" * 16))
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_STORED) as z:
        z.writestr("m/data/weights/Weight_0", _EVIL)  # the same record to torch's reader
    res = scan_bytes(buf.getvalue(), "m.pt2")
    assert res.verdict == "unsafe", [(f.id, f.message) for f in res.findings if f.severity != "info"]


def test_torch_reader_matches_names_ignoring_case_and_takes_a_later_copy() -> None:
    """The premise, measured on torch's own reader (PyTorchStreamReader, miniz)."""
    torch = pytest.importorskip("torch")
    code = ("import io, sys, zipfile, warnings, torch\nwarnings.simplefilter('ignore')\nb = io.BytesIO()\n"
            "with zipfile.ZipFile(b, 'w') as z:\n"
            "    [z.writestr(n, d) for n, d in [('a/version', b'3'), ('a/x', b'first'), ('a/c', b'c'), ('a/x', b'second'),"
            " ('a/Y', b'upper')]]\n"
            "r = torch._C.PyTorchFileReader(io.BytesIO(b.getvalue()))\n"
            "sys.stdout.write(bytes(r.get_record('x')).decode() + ' ' + bytes(r.get_record('y')).decode())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout == "second upper", (out.stdout, out.stderr, torch.__version__)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_onnx_external_data_naming_a_fifo_is_refused_not_opened(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    t = onnx.TensorProto()
    t.name, t.data_type, t.data_location = "w", onnx.TensorProto.FLOAT, onnx.TensorProto.EXTERNAL
    t.dims.extend((4,))
    entry = t.external_data.add()
    entry.key, entry.value = "location", "pipe"
    h = onnx.helper
    g = h.make_graph([h.make_node("Identity", ["w"], ["y"])], "g", [],
                     [h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)], initializer=[t])
    (tmp_path / "m.onnx").write_bytes(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]).SerializeToString())
    os.mkfifo(tmp_path / "pipe")
    got = _scan_cli(tmp_path)
    assert any(f["id"] == "onnx.external-data-refused" and "not a regular file" in f["message"]  # type: ignore[index]
               for f in got["m.onnx"]["findings"])  # type: ignore[union-attr]
    assert got["pipe"]["verdict"] == "error"


def test_real_dcp_checkpoint_of_a_code_running_object_metadata_alone(tmp_path: Path) -> None:
    """The plainest malicious checkpoint, written by ``dcp.save`` itself (in a subprocess that
    only pickles the object: nothing is loaded); its ``.metadata`` scanned alone is unsafe."""
    pytest.importorskip("torch")
    code = ("import sys, warnings, torch, torch.distributed.checkpoint as dcp\nwarnings.simplefilter('ignore')\n"
            "class Evil:\n    def __reduce__(self):\n        return (print, ('RAN-20E',))\n"
            "dcp.save({'a_obj': Evil(), 'w': torch.zeros(2)}, checkpoint_id=sys.argv[1], no_dist=True)\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "ckpt")], capture_output=True, timeout=600, check=True)
    [alone] = scan(tmp_path / "ckpt" / ".metadata")
    assert alone.verdict == "unsafe", [(f.id, f.message) for f in alone.findings]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_croissant_md5_of_a_file_swapped_for_a_fifo_never_blocks(tmp_path: Path) -> None:
    """A ``contentUrl`` the walk saw as a file, a FIFO by the time its declared MD5 is checked:
    the hash open is non-blocking and refuses it (no digest: never a hang)."""
    os.mkfifo(tmp_path / "data.csv")
    code = ("import sys\nfrom pathlib import Path\nfrom mlbom.collectors import datasets\n"
            "sys.stdout.write(repr(datasets._md5(Path(sys.argv[1]))))\n")
    try:
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "data.csv")], capture_output=True, text=True,
                             timeout=120, env={**os.environ, "PYTHONPATH": str(_ROOT)}, check=True)
    except subprocess.TimeoutExpired:
        pytest.fail("hashing a FIFO named by a Croissant contentUrl hung")
    assert out.stdout == "None"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_environment_interpreter_linked_to_a_fifo_never_blocks(tmp_path: Path) -> None:
    """An environment folder whose ``bin/python`` links to a FIFO outside it: the magic-number
    read of the link's target (the interpreter check of ``generate --env``) refuses it instead of
    waiting for a writer."""
    os.mkfifo(tmp_path / "fifo")
    env = tmp_path / "venv"
    (env / "bin").mkdir(parents=True)
    (env / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n")
    (env / "bin" / "python").symlink_to(tmp_path / "fifo")
    out = tmp_path / "bom.json"
    try:
        proc = subprocess.run([sys.executable, "-m", "mlbom", "generate", "--no-gpu", "--env", str(env), "-o", str(out)],
                              capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(_ROOT)},
                              check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("reading an environment's interpreter linked to a FIFO hung")
    assert proc.returncode in (0, 1), proc.stderr
    text = out.read_text("utf-8")
    assert "python.interpreter-unverified" in text and "not a regular file" in text, text[:2000]


# ---- 98sa-1: a .metadata pickle mlbom cannot read, whatever it names ------------------------------

@pytest.mark.parametrize("variant", ["escaped-module", "lookalike-item", "plain-dict"])
def test_98sa_1_unreadable_metadata_pickle_leaves_slices_unchecked(tmp_path: Path, variant: str) -> None:
    """dcp.load hands any ``.metadata`` to pickle.load and reads its items' attributes by name: a
    pickle reaching DCP's classes through escaped names (protocol 0 ``V`` text with ``\\u0063``),
    an item that is another class with the same attributes, or any pickle mlbom does not read as
    the Metadata object was skipped unless its bytes spelled ``torch.distributed.checkpoint``."""
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    good = _metadata([_info("model.safetensors", 0, 10)])
    if variant == "escaped-module":
        data = good.replace(b"ctorch.distributed.checkpoint.metadata\nMetadata\n",
                            b"Vtorch.distributed.\\u0063heckpoint.metadata\nVMetadata\n\x93")
        data = data.replace(b"ctorch.distributed.checkpoint.metadata\nMetadataIndex\n",
                            b"Vtorch.distributed.\\u0063heckpoint.metadata\nVMetadataIndex\n\x93")
        data = data.replace(b"ctorch.distributed.checkpoint.filesystem\n_StorageInfo\n",
                            b"Vtorch.distributed.\\u0063heckpoint.filesystem\nV_StorageInfo\n\x93")
        data = b"\x80\x04" + data[2:]
        assert b"torch.distributed.checkpoint" not in data
    elif variant == "lookalike-item":  # and the Metadata classes' module spelled with an escape
        data = good.replace(b"ctorch.distributed.checkpoint.filesystem\n_StorageInfo\n", b"ctypes\nSimpleNamespace\n")
        data = b"\x80\x04" + data[2:].replace(b"ctorch.distributed.checkpoint.metadata\nMetadata\n",
                                               b"Vtorch.distributed.\\u0063heckpoint.metadata\nVMetadata\n\x93")
        data = data.replace(b"ctorch.distributed.checkpoint.metadata\nMetadataIndex\n",
                            b"Vtorch.distributed.\\u0063heckpoint.metadata\nVMetadataIndex\n\x93")
        assert b"torch.distributed.checkpoint" not in data
    else:
        data = pickle.dumps({"storage_data": {}}, protocol=2)
    (folder / ".metadata").write_bytes(data)
    res = {Path(r.path).name: r for r in scan([str(folder)], with_hash=False)}
    meta = res[".metadata"]
    assert meta.verdict in ("suspicious", "unsafe"), meta.findings
    assert any(i.startswith("dcp.slice") for i in _ids(meta)), meta.findings  # judged, or said unchecked
