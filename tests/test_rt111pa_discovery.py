"""Red team 111pa: ``generate PROJECT_DIR``'s discovery left weight files out silently.

111pa-1/-2: an environment marker (``pyvenv.cfg``, ``conda-meta/history``) in the project folder
itself, or in ``checkpoints/``, made the stray-weight sweep skip that folder (``covered`` held the
environments found): no weight file there was inventoried or scanned, the composition said
complete. Now environment folders are swept too, and the project folder never counts as covered;
in their package folders (site-packages, dist-packages) a file a distribution's RECORD lists is
package data (113pa-1: an unlisted one there was hidden).

111pa-6: the sweep went by :data:`mlbom.scanner.WEIGHT_SUFFIXES` only (``checkpoint.pth.tar``,
``model.pkl.gz``, ``.pdparams``, ``.nemo``… were missed), and a nested ``.git`` folder was passed
with no record. Now compressed and framework names are looked for (:func:`weight_named`), and a
``.git`` below the project folder is an ``info`` finding, as in a model folder's walk.

111pa-5: a dataset file was picked for the scan from its first 4 KiB, and a pickle whose first
argument ran past them read as "proven not a pickle": now the head's end is not the file's end.

Pickles here are written by hand or with :mod:`pickle` and never loaded.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from mlbom.collectors.models import weight_named
from mlbom.formats import datafile
from mlbom.formats.pickle_start import may_unpickle
from mlbom.fswalk import discovery_walk
from mlbom.inventory import Inputs, generate
from mlbom.model import Bom
from tests.helpers import evil_pickle


@pytest.fixture(autouse=True)
def _cache(isolated_cache: Path) -> Path:
    return isolated_cache


_evil = evil_pickle


def _bom(proj: Path) -> Bom:
    return generate(Inputs(project_dir=proj), reproducible=True)


def _verdicts(bom: Bom) -> dict[str, str | None]:
    return {c.bom_ref: next((p.value for p in c.properties if p.name == "mlbom:safety:verdict"), None)
            for c in bom.components if c.type == "machine-learning-model"}


def _venv(folder: Path, *, site: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n")
    if site:
        (folder / "lib" / "python3.11" / "site-packages").mkdir(parents=True)


# ---------------------------------------------------------------- 111pa-1, 111pa-2

def test_pyvenv_cfg_at_the_root_hides_no_weight_file(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    for rel in ("checkpoints/best.pt", "model.pkl", "weights.bin"):
        _evil(proj / rel)
    (proj / "requirements.txt").write_text("torch==2.5.0\n")
    _venv(proj)  # python -m venv . (or one line a contributor adds)
    bom = _bom(proj)
    assert _verdicts(bom) == {"model:checkpoints/best.pt": "unsafe", "model:model.pkl": "unsafe",
                              "model:weights.bin": "unsafe"}


@pytest.mark.parametrize("marker", ["venv", "conda"])
def test_environment_marker_in_a_subfolder_hides_no_weight_file(tmp_path: Path, marker: str) -> None:
    proj = tmp_path / "proj"
    _evil(proj / "checkpoints" / "best.pt")
    if marker == "venv":
        _venv(proj / "checkpoints")
    else:
        (proj / "checkpoints" / "conda-meta").mkdir()
        (proj / "checkpoints" / "conda-meta" / "history").write_text("==> 2024-01-01 <==\n")
    assert _verdicts(_bom(proj)) == {"model:checkpoints/best.pt": "unsafe"}


def test_a_real_venv_adds_no_package_data_but_its_checkpoint_is_inventoried(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "train.py").parent.mkdir(parents=True)
    (proj / "train.py").write_text("import torch\n")
    (proj / "requirements.txt").write_text("torch==2.5.0\n")
    _venv(proj / ".venv")
    site = proj / ".venv" / "lib" / "python3.11" / "site-packages"
    (site / "pkg").mkdir()
    (site / "pkg" / "data.pkl").write_bytes(pickle.dumps({"table": [1, 2, 3]}))
    (site / "pkg" / "weights.pt").write_bytes(pickle.dumps([1.0, 2.0]))
    _installed(site, "pkg", ["pkg/data.pkl", "pkg/weights.pt"])
    (proj / ".venv" / "lib64").symlink_to("lib")  # as venv makes it on Linux: never followed
    bom = _bom(proj)
    assert _verdicts(bom) == {}  # no package data turned into a model
    assert bom.unreadable == ()
    _evil(proj / ".venv" / "best.pt")
    assert _verdicts(_bom(proj)) == {"model:.venv/best.pt": "unsafe"}
    # a weight file no distribution installed, in the package folder itself (113pa-1)
    _evil(site / "best.pt")
    assert _verdicts(_bom(proj)) == {"model:.venv/best.pt": "unsafe",
                                     "model:.venv/lib/python3.11/site-packages/best.pt": "unsafe"}


def _installed(site: Path, name: str, files: list[str]) -> None:
    """A distribution ``name`` whose RECORD lists ``files`` (and its own metadata)."""
    meta = site / f"{name}-1.0.dist-info"
    meta.mkdir(parents=True, exist_ok=True)
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    rows = [*files, f"{meta.name}/METADATA", f"{meta.name}/RECORD"]
    (meta / "RECORD").write_text("".join(f"{r},,\n" for r in rows))


def test_dist_packages_data_of_an_installed_distribution_is_not_swept(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _venv(proj / "env311")
    dist = proj / "env311" / "lib" / "python3" / "dist-packages" / "pkg"
    dist.mkdir(parents=True)
    (dist / "table.pkl").write_bytes(pickle.dumps({"a": 1}))
    _installed(dist.parent, "pkg", ["pkg/table.pkl"])
    _evil(proj / "env311" / "share" / "model.pkl")
    assert _verdicts(_bom(proj)) == {"model:env311/share/model.pkl": "unsafe"}
    _evil(dist / "extra.pkl")  # listed by no RECORD: put there, not installed (113pa-1)
    assert "model:env311/lib/python3/dist-packages/pkg/extra.pkl" in _verdicts(_bom(proj))


def test_a_site_packages_named_folder_outside_the_layout_is_swept(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _venv(proj)
    _evil(proj / "checkpoints" / "site-packages" / "best.pt")  # not where any environment keeps packages
    assert _verdicts(_bom(proj)) == {"model:checkpoints/site-packages/best.pt": "unsafe"}


# ---------------------------------------------------------------- 111pa-6

_MISSED = ("checkpoint.pth.tar", "model.pt.tar", "last.ckpt.tar", "model.pkl.gz", "model.joblib.z",
           "cache.pickle.gz", "m.pkl.xz", "m.pth.tar.gz", "model.pdparams", "model.pdopt", "model.nemo",
           "weights.ptl", "model.torchscript", "model.mar", "m.cloudpickle", "m.jbl", "m.dill.bz2", "M.PKL.GZ")


@pytest.mark.parametrize("name", _MISSED)
def test_weight_named_looks_past_compression_and_knows_framework_names(name: str) -> None:
    assert weight_named(name)


@pytest.mark.parametrize("name", ["tokenizer.model", "train.csv.gz", "notes.txt", "archive.tar", "x.gz", ".gz",
                                  "data.tar.gz", "net.data", "pkl.gz"])
def test_weight_named_is_not_every_name(name: str) -> None:
    assert not weight_named(name)


def test_compressed_and_framework_names_are_inventoried(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    for name in ("checkpoint.pth.tar", "model.pdparams", "model.pkl.gz", "model.joblib.z", "model.nemo",
                 "weights.ptl", "model.torchscript", "model.mar"):
        _evil(proj / "out" / name)
    got = _verdicts(_bom(proj))
    assert set(got) == {f"model:out/{n}" for n in ("checkpoint.pth.tar", "model.pdparams", "model.pkl.gz",
                                                   "model.joblib.z", "model.nemo", "weights.ptl",
                                                   "model.torchscript", "model.mar")}
    # (the .gz/.z names hold raw pickle bytes here: not a compressed stream, judged all the same)
    assert all(v in ("unsafe", "error", "suspicious") for v in got.values()), got


def test_nested_git_folder_is_an_info_finding_the_projects_own_is_not(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _evil(proj / "sub" / ".git" / "in_git.pt")
    (proj / ".git" / "objects").mkdir(parents=True)
    _evil(proj / "control.pt")
    bom = _bom(proj)
    skipped = [(f.id, f.severity, f.source) for f in bom.findings if f.id == "files.skipped-folder"]
    assert skipped == [("files.skipped-folder", "info", "sub/.git")]
    assert "model:control.pt" in _verdicts(bom)


def test_discovery_walk_reports_each_skipped_git_folder(tmp_path: Path) -> None:
    for d in (".git/objects", "a/.git", "a/b/.git/x"):
        (tmp_path / d).mkdir(parents=True)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / ".git").write_text("gitdir: ../.git/modules/c\n")  # a submodule's file: no folder
    passed: list[str] = []
    list(discovery_walk(tmp_path, max_entries=100, max_depth=10, on_skip=passed.append))
    assert sorted(passed) == [".git", "a/.git", "a/b/.git"]


# ---------------------------------------------------------------- 111pa-5

_PAYLOAD = b"cposix\nsystem\n(S'true'\ntR."


@pytest.mark.parametrize("first", [
    b"V" + b"a,b,c\r" * 9000 + b"\n0",  # a UNICODE line longer than the head
    b"S'" + b"a,b,c\r" * 9000 + b"'\n0",  # a STRING line
    b"X" + (54000).to_bytes(4, "little") + b"a,b,c\r" * 9000 + b"0",  # BINUNICODE's argument
])
def test_a_first_argument_past_the_head_may_be_a_pickle(first: bytes) -> None:
    data = first + _PAYLOAD
    head = data[:4096]
    assert may_unpickle(head)  # (cut: the head is not the whole)
    assert datafile.detect(head) == "pickle"
    assert datafile.detect(head, size=len(data)) == "pickle"
    assert not may_unpickle(head, whole=True)  # the same bytes as a whole file: proven no pickle


def test_a_whole_small_file_is_still_judged_whole() -> None:
    # a CSV shorter than the head whose last line has no newline: the file's end, not a cut
    assert datafile.detect(b"Vname,value\r1,2") != "pickle"
    assert datafile.detect(b"Sepal,Petal\n1,2\n3,4\n") == "csv"
    data = b"V" + b"a,b,c\r" * 100
    assert datafile.detect(data, size=len(data)) != "pickle"
    assert datafile.detect(data, size=len(data) + 1) == "pickle"  # more follows: may be a pickle


def test_generate_scans_a_dataset_pickle_whose_first_argument_runs_past_the_head(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    data = proj / "data"
    data.mkdir(parents=True)
    (data / "train.csv").write_bytes(b"V" + b"a,b,c\r" * 9000 + b"\n0" + _PAYLOAD)
    (data / "blob.dat").write_bytes(b"X" + (54000).to_bytes(4, "little") + b"a,b,c\r" * 9000 + b"0" + _PAYLOAD)
    (data / "rows.csv").write_bytes(b"a,b,c\n" * 2000)
    bom = _bom(proj)
    named = {f.source for f in bom.findings if f.id == "pickle.dangerous-callable"} | {
        f.message.split(":", 1)[0] for f in bom.findings if f.id == "pickle.dangerous-callable"}
    assert any("train.csv" in (s or "") for s in named), [f.message for f in bom.findings]
    assert any("blob.dat" in (s or "") for s in named), [f.message for f in bom.findings]
    assert not any("rows.csv" in (f.message + (f.source or "")) for f in bom.findings)


def test_raw_data_the_head_left_open_adds_no_finding(tmp_path: Path) -> None:
    # 'X' and a length past the first 4 KiB: scanned now (the head left it open), read whole it is
    # in no format (its length runs past the file's end): raw data, as before
    proj = tmp_path / "proj"
    (proj / "data").mkdir(parents=True)
    (proj / "data" / "rand.bin").write_bytes(b"X" + (1 << 30).to_bytes(4, "little") + bytes(range(256)) * 40)
    (proj / "data" / "img.bmp").write_bytes(b"BM" + (1 << 20).to_bytes(4, "little") + b"\x00\x01\x02\x03" * 3000)
    bom = _bom(proj)
    assert [f.id for f in bom.findings] == []


def test_a_short_first_read_still_gives_the_whole_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # detect takes a head shorter than 4 KiB for all of its file: short reads (network, FUSE file
    # systems) must not cut it
    from mlbom import hashing

    p = tmp_path / "big.bin"
    p.write_bytes(b"V" + b"a,b,c\r" * 300_000)  # > hashing._BUF: the large-file path
    real = os.readv

    def short(fd: int, buffers: list[Any]) -> int:
        return real(fd, [memoryview(buffers[0])[:1000]])

    monkeypatch.setattr(hashing.os, "readv", short)
    d = hashing.sha256_file(p)
    assert d.size == p.stat().st_size and d.head == p.read_bytes()[:4096]
    assert datafile.detect(d.head) == "pickle"
