"""Red team 117pa, findings 1, 2, 3, 4, 5 and 9: ``generate``'s content sweep
(:func:`mlbom.collectors.models.unpickled_content`, :func:`~mlbom.collectors.models.stray_weights`).

- 117pa-1: an object NPY was found by the bytes ``'|O'`` only; ``'O'``, ``"|O"``, ``'object'`` or an
  object field were left out. The header is now read by the scanner's NPY reader.
- 117pa-2: a torch legacy tar was found by a ``pickle`` member only; ``storages`` (unpickled first)
  and ``tensors`` count too.
- 117pa-3: pandas' ``read_pickle`` opens ``.zip``/``.tar``/``.tar.gz`` (one member of any name) and
  ``.zst`` by the name; ``np.load`` reads a zip member of any name that starts like an NPY.
- 117pa-4: a symbolic link no name claims was skipped with no record.
- 117pa-5: the sweep read tar headers with ``tarfile`` (quadratic pax parsing, CVE-2024-6232).
- 117pa-9: an HDF5 Keras model (tf.keras picks HDF5 by content) under any name was left out.

Nothing here is loaded, unpickled or rendered.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from mlbom.collectors.models import stray_weights, unpickled_content

FIXTURES = Path(__file__).parent / "fixtures"
_P2 = b"\x80\x02cposix\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."  # the red team's bytes


def _npy(descr: bytes, payload: bytes = _P2) -> bytes:
    hdr = b"{'descr': " + descr + b", 'fortran_order': False, 'shape': (1,), }"
    hdr += b" " * (64 - (10 + len(hdr) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr + payload


def _tar(members: dict[str, bytes]) -> bytes:
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w:", format=tarfile.PAX_FORMAT) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return bio.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return bio.getvalue()


def _zstd(data: bytes) -> bytes:  # one zstd frame, one raw block (RFC 8878)
    assert len(data) < 256
    return b"\x28\xb5\x2f\xfd" + bytes([0x20, len(data)]) + (1 | (len(data) << 3)).to_bytes(3, "little") + data


def _safetensors(path: Path) -> None:
    import json
    import struct

    hdr = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(hdr)) + hdr + b"\0" * 4)


def _generate(proj: Path) -> tuple[dict[str, str | None], list[str], list[str]]:
    """The BOM's models (bom-ref -> verdict), what it says was not read, and its info findings."""
    from mlbom.inventory import Inputs, generate

    bom = generate(Inputs(project_dir=proj), reproducible=True)
    models = {c.bom_ref: next((p.value for p in c.properties if p.name == "mlbom:safety:verdict"), None)
              for c in bom.components if c.type == "machine-learning-model"}
    unread = [f"{u.path}: {u.reason}" for u in bom.unreadable]
    infos = [f.message for f in bom.findings if f.id == "files.symlink-not-followed"]
    return models, unread, infos


@pytest.fixture
def _isolated(isolated_cache: Path) -> Path:
    return isolated_cache


def _project(tmp_path: Path, files: dict[str, bytes]) -> Path:
    proj = tmp_path / "proj"
    _safetensors(proj / "model" / "model.safetensors")
    for rel, data in files.items():
        (proj / rel).parent.mkdir(parents=True, exist_ok=True)
        (proj / rel).write_bytes(data)
    return proj


# ---------------------------------------------------------------- 117pa-1

@pytest.mark.parametrize("descr", [b"'O'", b'"|O"', b"'|O'", b"'object'", b"'O8'", b"[('a', 'O')]",
                                   b"[('a', '<f8'), ('b', '|O')]", b"('O', (2,))", b"[('a', 'O', (1,))]",
                                   b"'<f8,O'"])
def test_an_object_npy_under_any_spelling_is_a_sure_pick(tmp_path: Path, descr: bytes) -> None:
    (tmp_path / "features.dat").write_bytes(_npy(descr))
    assert unpickled_content(tmp_path / "features.dat") == "sure"


@pytest.mark.parametrize("descr", [b"'<f8'", b"'|u1'", b"[('a', '<f8'), ('b', '<i4')]", b"'U5'"])
def test_a_plain_npy_is_no_pick(tmp_path: Path, descr: bytes) -> None:
    (tmp_path / "plain.dat").write_bytes(_npy(descr, b"\0" * 64))
    assert unpickled_content(tmp_path / "plain.dat") is None


@pytest.mark.usefixtures("_isolated")
def test_object_npy_spellings_are_inventoried(tmp_path: Path) -> None:
    proj = _project(tmp_path, {"a.dat": _npy(b"'O'"), "b.dat": _npy(b'"|O"'), "c.dat": _npy(b"[('a', 'O')]")})
    models, _, _ = _generate(proj)
    for rel in ("a.dat", "b.dat", "c.dat"):
        assert models.get(f"model:{rel}") == "unsafe", (rel, models)


# ---------------------------------------------------------------- 117pa-2 / 117pa-5

@pytest.mark.parametrize("member", ["storages", "tensors", "pickle"])
def test_each_legacy_torch_member_makes_a_tar_a_sure_pick(tmp_path: Path, member: str) -> None:
    (tmp_path / "checkpoint").write_bytes(_tar({"sys_info": b"x", member: _P2}))
    assert unpickled_content(tmp_path / "checkpoint") == "sure"


@pytest.mark.usefixtures("_isolated")
def test_a_tar_holding_only_storages_is_inventoried(tmp_path: Path) -> None:
    proj = _project(tmp_path, {"checkpoint": _tar({"storages": _P2}),
                               "bundle": _tar({"README": b"hello\n", "docs/storages.txt": b"x\n"})})
    models, _, _ = _generate(proj)
    assert models.get("model:checkpoint") == "unsafe", models
    assert "model:bundle" not in models, models


def _pax_digits(n: int) -> bytes:
    data = b"1" * n
    info = tarfile.TarInfo("././@PaxHeader")
    info.type = tarfile.XHDTYPE
    info.size = len(data)
    pad = b"\0" * ((512 - len(data) % 512) % 512)
    nxt = tarfile.TarInfo("pickle")
    nxt.size = 0
    return info.tobuf(format=tarfile.USTAR_FORMAT) + data + pad + nxt.tobuf(format=tarfile.USTAR_FORMAT) + b"\0" * 1024


def test_the_sweep_never_hands_a_refused_pax_header_to_tarfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CVE-2024-6232: the sweep walks tar headers with mlbom's own reader (tarwalk) first; a pax
    header holding a long run of digits is refused there (a guess: the scan says error) and
    ``tarfile``'s pax parser never sees it (counted, not timed)."""
    calls: list[int] = []
    real = tarfile.TarInfo._proc_pax

    def counting(self: tarfile.TarInfo, tar: tarfile.TarFile) -> tarfile.TarInfo:
        calls.append(1)
        return real(self, tar)  # type: ignore[no-any-return]

    monkeypatch.setattr(tarfile.TarInfo, "_proc_pax", counting)
    (tmp_path / "notes.dat").write_bytes(_pax_digits(20_000))
    assert unpickled_content(tmp_path / "notes.dat") == "guess"
    assert calls == []
    found = stray_weights(tmp_path, set(), [])
    assert found == [tmp_path / "notes.dat"] and calls == []  # (the scan refuses it too: error, kept)
    # a well-formed pax tar is still read by tarfile once its headers passed the walk
    (tmp_path / "notes.dat").write_bytes(_tar({"pickle": _P2}))
    assert unpickled_content(tmp_path / "notes.dat") == "sure"


# ---------------------------------------------------------------- 117pa-3

@pytest.mark.usefixtures("_isolated")
def test_what_pandas_opens_by_the_name_is_inventoried(tmp_path: Path) -> None:
    npz = _zip({"arr_0": _npy(b"'|O'")})
    proj = _project(tmp_path, {
        "frame.zip": _zip({"frame": _P2}),
        "frame.tar": _tar({"frame": _P2}),
        "frame.tar.gz": gzip.compress(_tar({"frame": _P2}), mtime=0),
        "frame.tar.bz2": __import__("bz2").compress(_tar({"frame": _P2})),
        "gz_inside.tar": gzip.compress(_tar({"frame": _P2}), mtime=0),  # tarfile's mode "r" decompresses
        "frame.zst": _zstd(_P2),
        "arrays.dat": npz,
        "nested/arrays": _zip({"readme.txt": b"hello", "weights/w": _npy(b"'O'")}),
    })
    models, _, _ = _generate(proj)
    for rel in ("frame.zip", "frame.tar", "frame.tar.gz", "frame.tar.bz2", "gz_inside.tar", "arrays.dat",
                "nested/arrays"):
        assert models.get(f"model:{rel}") == "unsafe", (rel, models)
    assert models.get("model:frame.zst") == "error", models  # zstd: mlbom cannot decode it


@pytest.mark.usefixtures("_isolated")
def test_archives_pandas_would_not_unpickle_are_no_weight(tmp_path: Path) -> None:
    def npy(descr: str, shape: int, data: bytes) -> bytes:  # (numpy's format 1.0, written here: no numpy needed)
        hdr = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({shape},), }}".encode()
        hdr += b" " * (-(10 + len(hdr) + 1) % 64) + b"\n"
        return b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr + data

    plain = io.BytesIO()  # what np.savez(plain, a=np.zeros(3), b=np.arange(4)) writes
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("a.npy", npy("<f8", 3, bytes(24)))
        z.writestr("b.npy", npy("<i8", 4, b"".join(i.to_bytes(8, "little") for i in range(4))))
    proj = _project(tmp_path, {
        "data.zip": _zip({"data.csv": b"a,b\n1,2\n"}),  # one member, not a pickle
        "two.zip": _zip({"a": _P2, "b": b"x"}),  # two members: pandas refuses it
        "release.tgz": gzip.compress(_tar({"payload.p": _P2}), mtime=0),  # no pandas name
        "bundle.tar.gz": gzip.compress(_tar({"a.txt": b"hello"}), mtime=0),
        "logs.tar": _tar({"log.txt": b"The run\n" * 50}),
        "arrays.dat": plain.getvalue(),  # an .npz of plain arrays under another name
        "train.jsonl.zst": _zstd(b'{"a": 1}\n'),  # a zstd shard named as JSON Lines
    })
    models, _, _ = _generate(proj)
    assert models == {"model:model": "safe"}, models


# ---------------------------------------------------------------- 117pa-9

@pytest.mark.usefixtures("_isolated")
def test_a_keras_hdf5_model_under_any_name_is_inventoried(tmp_path: Path) -> None:
    lam = (FIXTURES / "keras" / "malicious" / "lambda-legacy.h5").read_bytes()
    benign = (FIXTURES / "keras" / "benign" / "sequential-legacy.h5").read_bytes()
    proj = _project(tmp_path, {"classifier": lam, "out/model_v2": benign})
    shutil.copy(FIXTURES / "hdf5" / "rt18e" / "userblock-zero.h5", proj / "ub_data")
    models, _, _ = _generate(proj)
    assert models.get("model:classifier") == "unsafe", models
    assert models.get("model:out/model_v2") == "safe", models  # a Keras model config: tf.keras rebuilds it
    assert "model:ub_data" not in models, models  # plain HDF5 behind a user block: data


def test_hdf5_behind_a_user_block_is_an_evidence_pick(tmp_path: Path) -> None:
    for k in (512, 1024, 4096, 65536):
        (tmp_path / f"ub{k}").write_bytes(b"\0" * k + b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
        assert unpickled_content(tmp_path / f"ub{k}") == "evidence", k
    (tmp_path / "not_at_a_power").write_bytes(b"\0" * 700 + b"\x89HDF\r\n\x1a\n" + b"\0" * 5000)
    assert unpickled_content(tmp_path / "not_at_a_power") is None


@pytest.mark.usefixtures("_isolated")
def test_plain_hdf5_netcdf_and_mat_data_are_no_weight(tmp_path: Path) -> None:
    """HDF5 data with no model config and nothing pickled (h5py datasets, a MAT 7.3 file, Keras
    weights alone, netCDF4 files: HDF5 with dimension scales) is not a model; a PyTables file whose
    attributes are pickles is (PyTables unpickles them on open)."""
    files = {"h5py_data": FIXTURES / "keras" / "benign" / "h5py-no-config.h5",
             "weights_only": FIXTURES / "keras" / "benign" / "functional.weights.h5",
             "matlab": FIXTURES / "hdf5" / "rt18e" / "userblock-matlab.mat",
             "climate": FIXTURES / "hdf5" / "netcdf4" / "netcdf4-classic.nc",
             "pytables": FIXTURES / "hdf5" / "benign-tables-numeric.h5"}
    proj = _project(tmp_path, {})
    for rel, src in files.items():
        shutil.copy(src, proj / rel)
    models, _, _ = _generate(proj)
    assert {k for k in models if k != "model:model"} == {"model:pytables"}, models


# ---------------------------------------------------------------- 117pa-4

@pytest.mark.usefixtures("_isolated")
def test_a_symbolic_link_the_sweep_does_not_follow_leaves_a_record(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "ckpts").mkdir(parents=True)
    (shared / "blob").write_bytes(_P2)
    (shared / "ckpts" / "best.pt").write_bytes(_P2)
    proj = _project(tmp_path, {".git/blob": _P2, ".git/ckpts/best.pt": _P2, "notes.txt": b"hello\n"})
    os.symlink("../shared/blob", proj / "classifier")
    os.symlink("../shared/ckpts", proj / "checkpoints")
    os.symlink(".git/ckpts", proj / "latest")
    os.symlink(".git/blob", proj / "git_classifier")
    os.symlink("notes.txt", proj / "notes_link")  # a text file inside: read through the link, no weight
    os.symlink("missing", proj / "dangling")
    models, unread, infos = _generate(proj)
    assert any(m.startswith("classifier: symbolic link to outside") for m in unread), unread
    assert any(m.startswith("checkpoints: symbolic link to a folder outside") for m in unread), unread
    assert any(m.startswith("latest: symbolic link to a folder inside a .git folder") for m in unread), unread
    assert models.get("model:git_classifier") == "unsafe", models  # read through the link, as scan does
    assert "model:notes_link" not in models, models
    assert any(m.startswith("dangling: symbolic link to nothing") for m in infos), infos


@pytest.mark.usefixtures("_isolated")
def test_an_environments_interpreter_links_are_info_not_incomplete(tmp_path: Path) -> None:
    proj = _project(tmp_path, {".venv/pyvenv.cfg": b"home = /usr/bin\nversion = 3.11.2\n"})
    (proj / ".venv" / "bin").mkdir()
    os.symlink(shutil.which("sh") or "/bin/sh", proj / ".venv" / "bin" / "python")
    (proj / ".venv" / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    os.symlink("lib", proj / ".venv" / "lib64")
    _models, unread, infos = _generate(proj)
    assert unread == [], unread
    assert any(m.startswith(".venv/bin/python: symbolic link to a file outside") for m in infos), infos


# ---------------------------------------------------------------- false positives and cost

def _only_real_pickles(root: Path) -> list[Path]:
    """The sweep of ``root`` with no environment (no RECORD spares a file): every file taken by its
    content (no weight name) is a pickle or object array for sure, or one whose scan finds a callable,
    or not ``safe``: nothing plain (HDF5/netCDF data, a one-file archive of text, a plain array)."""
    from mlbom.collectors.models import weight_named
    from mlbom.scanner import scan_file

    found = stray_weights(root, set(), [])
    for p in found:
        if weight_named(p.name) or unpickled_content(p) == "sure":
            continue
        sc = scan_file(p, with_hash=False)
        assert sc.verdict != "safe" or sc.facts.get("pickle.imports"), (p, sc.format, sc.verdict)
    return found


def test_the_fixture_tree_as_a_project_adds_only_what_a_loader_unpickles() -> None:
    assert _only_real_pickles(FIXTURES)


def test_a_site_packages_tree_as_a_project_adds_only_real_pickles() -> None:
    """A package folder swept as a project (the venv mlbom's tests run in): numpy, scipy and pandas
    ship .npz, .mat (HDF5 too), netCDF and zip test data; only real pickles are taken."""
    import importlib.util

    spec = importlib.util.find_spec("pytest")
    assert spec is not None and spec.origin is not None
    _only_real_pickles(Path(spec.origin).parent.parent)


@pytest.mark.usefixtures("_isolated")
def test_a_linked_folder_discovery_records_is_recorded_once(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "train.csv").write_text("a,b\n1,2\n")
    proj = _project(tmp_path, {})
    os.symlink("../elsewhere", proj / "data")
    _models, unread, _infos = _generate(proj)
    assert len([u for u in unread if u.startswith("data:")]) == 1, unread


def test_a_legacy_member_name_is_matched_normalized(tmp_path: Path) -> None:
    (tmp_path / "ckpt").write_bytes(_tar({"./storages": _P2}))
    assert unpickled_content(tmp_path / "ckpt") == "sure"
    (tmp_path / "dirs").write_bytes(_tar({"tensors/readme.txt": b"x"}))
    assert unpickled_content(tmp_path / "dirs") is None


def test_an_unreadable_file_is_never_silently_no_weight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the sweep cannot open (no permission, an I/O error) was taken as no weight without a word:
    its content is unknown, so the scan decides — it says it cannot read the file (an ``error`` the BOM
    records). (The tests run as root here: the refusal is simulated at ``os.open``.)"""
    (tmp_path / "notes.txt").write_text("hello\n")
    locked = tmp_path / "locked.dat"
    locked.write_bytes(_P2)
    real_open = os.open

    def refusing(path: object, *a: object, **k: object) -> int:
        if str(path).endswith("locked.dat"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing)
    assert unpickled_content(locked) == "guess"
    assert unpickled_content(tmp_path / "notes.txt") is None
    assert [p.name for p in stray_weights(tmp_path, set(), [])] == ["locked.dat"]
