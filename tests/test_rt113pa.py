"""Red team 113pa (after the 111pa/112pa fixes):

- 113pa-2: one ``.pb`` both a TF GraphDef (nodes: ModelProto's field 1 as messages) and an ONNX
  model: protobuf skips a known field of another wire type as unknown, so each reader saw its own
  model and mlbom called the file ONNX, ``safe``. A ModelProto field of the wrong wire type is now
  no ONNX.
- 113pa-4: an ONNX model naming a GraphDef (``frozen.pb``) or a TF1 MetaGraph (``model.ckpt.meta``)
  as its external data made that file raw tensor bytes, ``safe``.
- 113pa-3: a guessed dataset pickle whose walk stopped at one of mlbom's bounds before its
  ``os.system`` was dropped as raw data (no verdict); its ``error`` now stays.
- 113pa-5: pandas' ``read_pickle`` opens ``.pkl.zip``/``.pkl.tar``/``.pkl.tar.gz`` by the name;
  the sweep did not look past those suffixes.
Nothing here is loaded."""

from __future__ import annotations

import io
import pickle
import tarfile
import zipfile
from pathlib import Path

import pytest

from mlbom.collectors.models import weight_named
from mlbom.inventory import Inputs, generate
from mlbom.scanner import scan, scan_bytes
from tests.helpers import OsSystem
from tests.test_rt112pa_tf import GRAPH, _ld, _onnx_claiming, _vf


@pytest.fixture(autouse=True)
def _cache(isolated_cache: Path) -> Path:
    return isolated_cache


ONNX = _onnx_claiming("w.data", 4)  # a well-formed ModelProto


def test_a_graphdef_and_onnx_polyglot_is_not_onnx() -> None:
    assert scan_bytes(ONNX, "model.pb").format == "onnx"
    poly = GRAPH + ONNX  # the GraphDef's nodes are field-1 messages: ir_version is field 1, a varint
    r = scan_bytes(poly, "frozen.pb")
    assert r.verdict == "error" and r.format != "onnx", [(f.id, f.message[:120]) for f in r.findings]
    assert scan_bytes(ONNX + _ld(5, b"x"), "model.onnx").verdict == "error"  # model_version is a varint


@pytest.mark.parametrize("name", ["frozen.pb", "model.ckpt.meta", "net.pdmodel", "deploy.prototxt", "m.tflite",
                                  "model.engine", "model.plan", "m.trt", "handler.mar", "custom_ops.so", "ops.dll",
                                  "ops.dylib", "ops.pyd"])
def test_an_onnx_claim_makes_no_program_raw_bytes(tmp_path: Path, name: str) -> None:
    data = b"\x00" + GRAPH  # content in no format mlbom reads
    (tmp_path / name).write_bytes(data)
    (tmp_path / "model.onnx").write_bytes(_onnx_claiming(name, len(data)))
    got = {Path(s.path).name: s.verdict for s in scan(tmp_path)}
    assert got[name] == "error", got


def test_a_dataset_pickle_stopped_at_a_bound_keeps_its_verdict(tmp_path: Path) -> None:
    data = tmp_path / "proj" / "data"
    data.mkdir(parents=True)
    payload = b"cposix\nsystem\n(Vtrue\ntR."
    (data / "train.dat").write_bytes(b"(" + b"N" * 1_000_001 + b"1" + payload)  # the stack bound, then os.system
    (data / "control.dat").write_bytes(b"(" + b"N" * 10 + b"1" + payload)
    bom = generate(Inputs(project_dir=tmp_path / "proj"), reproducible=True)
    about = {f.id for f in bom.findings if "train.dat" in (f.message + (f.subject or ""))}
    assert "pickle.limit" in about, [(f.id, f.subject) for f in bom.findings]


@pytest.mark.parametrize("name", ["df.pkl.zip", "df.pkl.tar", "df.pkl.tar.gz", "df.pickle.tar.xz", "m.joblib.tgz"])
def test_archive_suffixes_pandas_opens_by_name_are_looked_past(name: str) -> None:
    assert weight_named(name)


def test_a_pickle_in_a_tar_gz_named_for_pandas_is_inventoried(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    blob = pickle.dumps(OsSystem())
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("df.pkl")
        info.size = len(blob)
        tf.addfile(info, io.BytesIO(blob))
    (proj / "df.pkl.tar.gz").write_bytes(buf.getvalue())
    with zipfile.ZipFile(proj / "df.pkl.zip", "w") as z:
        z.writestr("df.pkl", blob)
    bom = generate(Inputs(project_dir=proj), reproducible=True)
    refs = {c.bom_ref for c in bom.components if c.type == "machine-learning-model"}
    assert {"model:df.pkl.tar.gz", "model:df.pkl.zip"} <= refs, refs


def test_the_wire_type_check_keeps_real_shapes() -> None:
    # training_info (20), functions (25), metadata_props (14) as messages stay ONNX
    extra = _ld(14, _ld(1, b"k") + _ld(2, b"v")) + _vf(5, 3)
    assert scan_bytes(ONNX + extra, "model.onnx").format == "onnx"


def test_a_yolo_data_config_naming_test_txt_is_no_target() -> None:
    """yolov5's data/SKU-110K.yaml says ``test: test.txt``: the deny list covers CPython's ``test``
    package, which has no module ``txt`` (``import_object`` raises): no target, as for the other
    stdlib modules (56b-1). A module the package has stays denied."""
    sku = b"path: ../datasets/SKU-110K\ntrain: train.txt\nval: val.txt\ntest: test.txt\nnames:\n  0: object\n"
    assert scan_bytes(sku, "SKU-110K.yaml").verdict == "safe"
    assert scan_bytes(b"x: test.support.os_helper.rmtree\n", "x.yaml").verdict == "unsafe"
