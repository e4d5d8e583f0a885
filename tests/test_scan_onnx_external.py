"""ONNX external data judged in its model's context (folder scan, two phases).

Models are written with the real onnx library; where a test says the loader refuses a model,
it asserts so with ``onnx.load`` on that same (benign, self-made) file: the ground truth."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

import mlbom
from mlbom.scanner import FileScan, scan_file

onnx = pytest.importorskip("onnx")
np = pytest.importorskip("numpy")
from onnx import TensorProto, helper  # noqa: E402

FLOATS = np.arange(16, dtype=np.float32).tobytes()  # starts with NUL bytes: no format of its own


def ext_tensor(name: str, location: str, offset: object = None, length: object = None,
               dims: tuple[int, ...] = (4,)) -> TensorProto:
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            entry = t.external_data.add()
            entry.key, entry.value = key, str(value)
    return t


def write_model(path: Path, *tensors: TensorProto) -> Path:
    nodes = [helper.make_node("Identity", [t.name], [f"y{i}"]) for i, t in enumerate(tensors)]
    outs = [helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, None) for i in range(len(tensors))]
    g = helper.make_graph(nodes, "g", [], outs, initializer=list(tensors))
    m = helper.make_model(g, producer_name="mlbom-test", opset_imports=[helper.make_opsetid("", 17)])
    path.write_bytes(m.SerializeToString())
    return path


def by_name(results: list[FileScan]) -> dict[str, FileScan]:
    return {Path(r.path).name: r for r in results}


def ids(r: FileScan) -> set[str]:
    return {f.id for f in r.findings}


def test_real_external_data_is_safe_in_its_folder(tmp_path: Path) -> None:
    model = helper.make_model(helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["y"])], "g", [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [16])],
        initializer=[helper.make_tensor("a", TensorProto.FLOAT, [16], FLOATS, raw=True),
                     helper.make_tensor("b", TensorProto.FLOAT, [16], np.ones(16, dtype=np.float32).tobytes(),
                                         raw=True)]))
    onnx.save_model(model, str(tmp_path / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="model.onnx.data", size_threshold=0)
    onnx.load(str(tmp_path / "model.onnx"))  # the loader accepts it
    r = by_name(mlbom.scan([tmp_path]))
    data = r["model.onnx.data"]
    assert data.verdict == "safe" and data.format == "onnx-external-data"
    assert data.facts["onnx.external-data-of"].endswith("model.onnx") and "file.unknown" not in ids(data)
    assert r["model.onnx"].verdict == "safe"
    # scanned alone, the same bytes cannot be judged, and the message says why
    alone = scan_file(tmp_path / "model.onnx.data")
    assert alone.verdict == "error"
    assert any("ONNX model's external data" in f.message for f in alone.findings)


def test_generate_model_folder_uses_the_model_context(tmp_path: Path) -> None:
    (tmp_path / "weights").write_bytes(FLOATS)
    write_model(tmp_path / "model.onnx", ext_tensor("w", "weights", 0, 64, dims=(16,)))
    bom = mlbom.generate(models=tmp_path, reproducible=True)
    files = {c.name: dict((p.name, p.value) for p in c.properties) for c in bom.components if c.type == "file"}
    assert files["weights"]["mlbom:safety:verdict"] == "safe"
    assert files["weights"]["mlbom:file:format"] == "onnx-external-data"


@pytest.mark.parametrize(("offset", "length", "why"), [
    (65, None, "past the end"),
    (0, 65, "runs past the end"),
    (2**70, 4, "past the end"),
    ("+8", 4, "plain non-negative decimal"),
    ("1_0", 4, "plain non-negative decimal"),
    (-1, 4, "plain non-negative decimal"),
    ("\u0661", 4, "plain non-negative decimal"),  # ARABIC-INDIC DIGIT ONE: int() accepts it
])
def test_bad_bounds_are_a_finding_and_not_safe(tmp_path: Path, offset: object, length: object, why: str) -> None:
    (tmp_path / "weights").write_bytes(FLOATS)
    write_model(tmp_path / "model.onnx", ext_tensor("w", "weights", offset, length))
    if why == "past the end" or why == "runs past the end":
        with pytest.raises(ValueError):
            onnx.load(str(tmp_path / "model.onnx"))  # the loader refuses it, as the scan says
    data = by_name(mlbom.scan([tmp_path]))["weights"]
    assert data.verdict == "error" and "onnx.external-data-bounds" in ids(data)
    assert any(why in f.message for f in data.findings)


def test_offset_at_end_with_zero_length_is_fine(tmp_path: Path) -> None:
    (tmp_path / "weights").write_bytes(FLOATS)
    write_model(tmp_path / "model.onnx", ext_tensor("w", "weights", 0, 64, dims=(16,)),
                ext_tensor("empty", "weights", 64, 0, dims=(0,)))
    onnx.load(str(tmp_path / "model.onnx"))
    assert by_name(mlbom.scan([tmp_path]))["weights"].verdict == "safe"


def test_two_models_with_conflicting_claims(tmp_path: Path) -> None:
    (tmp_path / "weights").write_bytes(FLOATS)
    write_model(tmp_path / "a.onnx", ext_tensor("w", "weights", 0, 32, dims=(8,)))
    write_model(tmp_path / "b.onnx", ext_tensor("v", "weights", 16, 32, dims=(8,)))
    data = by_name(mlbom.scan([tmp_path]))["weights"]
    assert data.verdict == "suspicious" and "onnx.external-data-conflict" in ids(data)
    assert "a.onnx" in data.facts["onnx.external-data-of"] and "b.onnx" in data.facts["onnx.external-data-of"]


def test_two_models_sharing_the_same_tensor_bytes_agree(tmp_path: Path) -> None:
    (tmp_path / "weights").write_bytes(FLOATS)
    write_model(tmp_path / "a.onnx", ext_tensor("w", "weights", 0, 32, dims=(8,)))
    write_model(tmp_path / "b.onnx", ext_tensor("w", "weights", 0, 32, dims=(8,)),
                ext_tensor("x", "weights", 32, 32, dims=(8,)))
    assert by_name(mlbom.scan([tmp_path]))["weights"].verdict == "safe"


def test_a_model_cannot_launder_a_pickle(tmp_path: Path) -> None:
    evil = pickle.dumps(os.system, protocol=2)[:-1] + b"(S'true'\ntR."  # os.system('true'), never run
    (tmp_path / "evil.pkl").write_bytes(evil)
    (tmp_path / "weights").write_bytes(evil)  # no extension: still a pickle by its content
    write_model(tmp_path / "model.onnx", ext_tensor("w", "evil.pkl"), ext_tensor("v", "weights"))
    r = by_name(mlbom.scan([tmp_path]))
    for name in ("evil.pkl", "weights"):
        assert r[name].verdict == "unsafe", name
        assert r[name].format != "onnx-external-data"
        assert any(f.id == "onnx.external-data" and "judged as that format" in f.message for f in r[name].findings)


def test_a_weight_format_name_over_raw_tensor_bytes_is_the_models(tmp_path: Path) -> None:
    # onnx.save_model(..., location="weights.pt") names the file as its caller says: raw bytes in no
    # format are the model's tensor bytes whatever the name claims (red team 106sa-5; the claim was
    # an error here before)
    (tmp_path / "weights.pt").write_bytes(FLOATS)
    write_model(tmp_path / "model.onnx", ext_tensor("w", "weights.pt", 0, 16))
    data = by_name(mlbom.scan([tmp_path]))["weights.pt"]
    assert data.verdict == "safe" and data.format == "onnx-external-data", data.findings
    assert ids(data) == {"onnx.external-data"}


def test_a_model_cannot_vouch_for_a_file_whose_name_claims_a_format(tmp_path: Path) -> None:
    # content with a format of its own (text, which YAML/JSON loaders read) under a weight-format
    # name: the claim stays an error, the model vouches for nothing
    (tmp_path / "weights.pt").write_bytes(b"raw: not tensor bytes\n" * 4)
    write_model(tmp_path / "model.onnx", ext_tensor("w", "weights.pt", 0, 16))
    data = by_name(mlbom.scan([tmp_path]))["weights.pt"]
    assert data.verdict == "error" and "file.format-mismatch" in ids(data)
    assert data.format != "onnx-external-data"


@pytest.mark.parametrize("loc", ["../weights", "/etc/passwd", "sub/../../weights"])
def test_locations_leaving_the_folder(tmp_path: Path, loc: str) -> None:
    (tmp_path / "weights").write_bytes(FLOATS)
    inner = tmp_path / "m"
    inner.mkdir()
    write_model(inner / "model.onnx", ext_tensor("w", loc))
    r = by_name(mlbom.scan([tmp_path]))
    assert r["model.onnx"].verdict == "unsafe"  # the walker's path traversal check (CVE-2022-25882 class)
    assert r["weights"].verdict == "error"  # claimed by nothing the loader would accept


@pytest.mark.parametrize("loc", ["a..b", "sub\\weights", "", "#in-memory"])
def test_locations_onnx_refuses(tmp_path: Path, loc: str) -> None:
    (tmp_path / "weights").write_bytes(FLOATS)
    (tmp_path / "a..b").write_bytes(FLOATS)
    write_model(tmp_path / "model.onnx", ext_tensor("w", loc))
    r = by_name(mlbom.scan([tmp_path]))
    assert r["weights"].verdict == "error" and r["a..b"].verdict == "error"
    if loc == "a..b":
        with pytest.raises(Exception, match="outside"):
            onnx.load(str(tmp_path / "model.onnx"))


def test_location_normalised_lexically_like_onnx(tmp_path: Path) -> None:
    (tmp_path / "weights").write_bytes(FLOATS)
    write_model(tmp_path / "model.onnx", ext_tensor("w", "nosuchdir/./../weights", 0, 64, dims=(16,)))
    onnx.load(str(tmp_path / "model.onnx"))  # onnx normalises the path before it looks at the disk
    assert by_name(mlbom.scan([tmp_path]))["weights"].verdict == "safe"


def test_symlink_and_hard_link_are_refused_like_onnx(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(FLOATS)
    os.symlink("real", tmp_path / "link")
    (tmp_path / "other").write_bytes(FLOATS)
    os.link(tmp_path / "other", tmp_path / "hard")
    write_model(tmp_path / "model.onnx", ext_tensor("w", "link"), ext_tensor("v", "hard"))
    with pytest.raises(Exception, match="symbolic link"):
        onnx.load(str(tmp_path / "model.onnx"))
    r = by_name(mlbom.scan([tmp_path]))
    assert {r[n].verdict for n in ("real", "link", "other", "hard")} == {"error"}
    refused = [f.message for f in r["model.onnx"].findings if f.id == "onnx.external-data-refused"]
    assert any("symbolic link" in m for m in refused) and any("hard links" in m for m in refused)


def test_linked_folder_leaving_the_model_folder(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "shared").mkdir(parents=True)
    (root / "shared" / "weights").write_bytes(FLOATS)
    (root / "m").mkdir()
    os.symlink("../shared", root / "m" / "data")  # inside the walked root, outside the model's folder
    write_model(root / "m" / "model.onnx", ext_tensor("w", "data/weights"))
    r = by_name(mlbom.scan([root]))
    assert {s.verdict for s in mlbom.scan([root]) if Path(s.path).name == "weights"} == {"error"}
    assert any("outside the model's folder" in f.message for f in r["model.onnx"].findings)


def test_missing_file_is_a_model_finding(tmp_path: Path) -> None:
    write_model(tmp_path / "model.onnx", ext_tensor("w", "nowhere"))
    (m,) = mlbom.scan([tmp_path])
    assert any(f.id == "onnx.external-data-refused" and "does not exist" in f.message for f in m.findings)


def test_member_of_an_archive_claims_nothing(tmp_path: Path) -> None:
    import zipfile

    (tmp_path / "weights").write_bytes(FLOATS)
    inner = tmp_path / "m.onnx"
    write_model(inner, ext_tensor("w", "weights"))
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as zf:
        zf.write(inner, "m.onnx")
    inner.unlink()
    assert by_name(mlbom.scan([tmp_path]))["weights"].verdict == "error"


# ---- red team: a model must not vouch for what is not tensor bytes -------------------------

ELF = b"\x7fELF\x02\x01\x01" + bytes(57) + b"\x90" * 200  # an ELF header (a custom-op library's shape)
PE = b"MZ" + bytes(58) + (128).to_bytes(4, "little") + bytes(64) + b"PE\x00\x00" + bytes(100)


@pytest.mark.parametrize("content", [ELF, PE], ids=["elf", "pe"])
def test_native_code_cannot_be_laundered_as_tensor_bytes(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "libcustom_ops").write_bytes(content)
    write_model(tmp_path / "model.onnx", ext_tensor("w", "libcustom_ops", 0, len(content), dims=(len(content),)))
    lib = by_name(mlbom.scan([tmp_path]))["libcustom_ops"]
    assert lib.verdict == "error" and lib.format == "unknown" and "file.native-code" in ids(lib)
    assert "file.native-code" in ids(scan_file(tmp_path / "libcustom_ops"))  # alone too


def test_mz_text_is_not_native_code(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("MZ is also how a note may start\n")
    assert scan_file(tmp_path / "notes.txt").verdict == "safe"


@pytest.mark.parametrize("loc", ["weights/", "weights/.", "."])
def test_a_folder_location_claims_nothing(tmp_path: Path, loc: str) -> None:
    (tmp_path / "weights").write_bytes(FLOATS)
    write_model(tmp_path / "model.onnx", ext_tensor("w", loc, 0, 16))
    with pytest.raises(Exception):  # noqa: B017 — onnx raises its own checker error type
        onnx.load(str(tmp_path / "model.onnx"))
    assert by_name(mlbom.scan([tmp_path]))["weights"].verdict == "error"


def test_a_non_external_tensor_claims_nothing(tmp_path: Path) -> None:
    (tmp_path / "weights").write_bytes(FLOATS)
    t = ext_tensor("w", "weights", 0, 64, dims=(16,))
    t.data_location = TensorProto.DEFAULT  # the location entry is there, the loader ignores it
    t.raw_data = FLOATS
    write_model(tmp_path / "model.onnx", t)
    assert by_name(mlbom.scan([tmp_path]))["weights"].verdict == "error"


def test_conflicting_claims_within_one_model(tmp_path: Path) -> None:
    (tmp_path / "weights").write_bytes(FLOATS)
    write_model(tmp_path / "model.onnx", ext_tensor("w", "weights", 0, 64, dims=(16,)),
                ext_tensor("v", "weights", 8, 16, dims=(4,)))
    assert by_name(mlbom.scan([tmp_path]))["weights"].verdict == "suspicious"


def test_repeated_keys_with_different_values_are_refused(tmp_path: Path) -> None:
    (tmp_path / "weights").write_bytes(FLOATS)
    t = ext_tensor("w", "weights", 0, 16)
    entry = t.external_data.add()
    entry.key, entry.value = "offset", "32"
    write_model(tmp_path / "model.onnx", t)
    data = by_name(mlbom.scan([tmp_path]))["weights"]
    assert data.verdict == "error" and "onnx.external-data-bounds" in ids(data)
