"""Red team 10b: an HDF5 file was judged by its root attributes only. PyTables (and so
``pandas.read_hdf``) unpickles node attributes and the rows of object VLArrays anywhere in the
tree; h5py/PyTables read external raw data files, virtual dataset sources and external links.
The whole object tree is now walked (:func:`mlbom.formats.hdf5.walk_tree`)."""

from __future__ import annotations

import contextlib
import io
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats.hdf5 import parse_hdf5, walk_tree
from mlbom.formats.weights import FormatError
from mlbom.scanner import scan_file

FIX = Path(__file__).resolve().parent / "fixtures" / "hdf5"

EXPECTED = {
    "benign-pandas-fixed.h5": ("safe", None),
    "benign-pandas-fixed-object.h5": ("safe", None),
    "benign-pandas-table-str.h5": ("safe", None),
    "benign-tables-numeric.h5": ("safe", None),
    "pandas-fixed-object-column.h5": ("unsafe", "pickle.dangerous-callable"),
    "pandas-table-info-attr.h5": ("unsafe", "pickle.dangerous-callable"),
    "tables-node-attr.h5": ("unsafe", "pickle.dangerous-callable"),
    "tables-vlarray-object.h5": ("unsafe", "pickle.dangerous-callable"),
    "tables-vlarray-blosc.h5": ("error", "hdf5.unreadable"),
    "h5py-dense-links-attr.h5": ("unsafe", "pickle.dangerous-callable"),
    "h5py-external-absolute.h5": ("unsafe", "hdf5.external-storage"),
    "h5py-external-relative.h5": ("suspicious", "hdf5.external-storage"),
    "h5py-external-link.h5": ("unsafe", "hdf5.external-link"),
    "h5py-virtual-absolute.h5": ("unsafe", "hdf5.virtual-dataset"),
}


def test_every_fixture_has_an_expected_verdict() -> None:
    assert sorted(p.name for p in FIX.glob("*.h5")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_verdicts(name: str) -> None:
    verdict, fid = EXPECTED[name]
    r = scan_file(FIX / name)
    assert r.verdict == verdict, r.findings
    if fid is not None:
        assert fid in {f.id for f in r.findings}, r.findings


def test_where_the_pickles_are() -> None:
    data = (FIX / "tables-vlarray-object.h5").read_bytes()
    tree = walk_tree(io.BytesIO(data), len(data))
    assert [w for w, _ in tree.pickles] == ["/objs row 0 (PyTables' ObjectAtom unpickles it)",
                                            "/objs row 1 (PyTables' ObjectAtom unpickles it)"]
    data = (FIX / "benign-pandas-table-str.h5").read_bytes()
    tree = walk_tree(io.BytesIO(data), len(data))
    names = {w.split("'")[1] for w, _ in tree.pickles}
    assert {"info", "non_index_axes", "values_cols"} <= names and tree.unreadable == []
    f = parse_hdf5(io.BytesIO(data), len(data))
    assert all(rep.verdict == "safe" for _, rep in f.pickles)


def test_a_text_attribute_ending_in_a_dot_is_walked_and_passes() -> None:
    # PyTables tries pickle.loads on any scalar string ending in '.', and returns the text when
    # it raises: the walk says so (every unpickler refuses), which is no finding
    data = (FIX / "benign-tables-numeric.h5").read_bytes()
    tree = walk_tree(io.BytesIO(data), len(data))
    assert [(w, d) for w, d in tree.pickles] == [("/x attribute 'note' (PyTables unpickles it)",
                                                  b"a plain string attribute.")]
    assert parse_hdf5(io.BytesIO(data), len(data)).pickles == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_mutations_never_crash(name: str) -> None:
    rng = random.Random(name)
    data = (FIX / name).read_bytes()
    for _ in range(60):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(buf))
            buf[i] = rng.randrange(256)
        with contextlib.suppress(FormatError):
            parse_hdf5(io.BytesIO(bytes(buf)), len(buf))


@pytest.mark.parametrize("name", ["tables-vlarray-object.h5", "h5py-dense-links-attr.h5", "pandas-table-info-attr.h5"])
def test_truncations_never_crash_nor_pass_a_payload(name: str) -> None:
    data = (FIX / name).read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 150)):
        with contextlib.suppress(FormatError):
            f = parse_hdf5(io.BytesIO(data[:cut]), cut)
            del f


# ---- real writers and loaders (not in the CI venv) ----------------------------------------

PROOF = """
import os, sys, warnings
warnings.simplefilter("ignore")
kind, path = sys.argv[1], sys.argv[2]
if kind == "pandas":
    import pandas as pd
    try:
        pd.read_hdf(path)
    except Exception:
        pass
else:
    import tables
    with tables.open_file(path) as f:
        for node in f.walk_nodes("/"):
            for name in node._v_attrs._v_attrnamesuser:
                getattr(node._v_attrs, name)
            if isinstance(node, tables.VLArray):
                node.read()
"""


class _Marker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, (f"touch {self.path}",))


def _proof(kind: str, path: Path) -> None:
    subprocess.run([sys.executable, "-c", PROOF, kind, str(path)], check=True, timeout=120,
                   capture_output=True)


@pytest.mark.parametrize("shape", ["attr", "vlarray", "pandas-object", "pandas-info"])
def test_the_real_loaders_unpickle_what_the_scan_calls_unsafe(tmp_path: Path, shape: str) -> None:
    tables = pytest.importorskip("tables")
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    import warnings

    marker = tmp_path / "ran"
    p = tmp_path / "m.h5"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if shape == "attr":
            with tables.open_file(p, "w") as f:
                f.create_array("/", "x", np.arange(3)).attrs.cfg = _Marker(marker)
        elif shape == "vlarray":
            with tables.open_file(p, "w") as f:
                v = f.create_vlarray("/", "o", tables.ObjectAtom(), filters=tables.Filters(5, "zlib", shuffle=True))
                v.append(_Marker(marker))
        elif shape == "pandas-object":
            pd.DataFrame({"o": [_Marker(marker), 1]}).to_hdf(p, key="df", mode="w")
        else:
            pd.DataFrame({"a": [1.0]}).to_hdf(p, key="df", mode="w", format="table")
            with tables.open_file(p, "a") as f:
                f.root.df._v_attrs.info = _Marker(marker)
    assert not marker.exists()
    r = scan_file(p)
    assert r.verdict == "unsafe", r.findings
    _proof("pandas" if shape.startswith("pandas") else "tables", p)
    assert marker.exists()  # the loader ran the pickle


def test_real_numeric_files_are_safe(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("tables")
    for libver in ("earliest", "latest"):
        p = tmp_path / f"h5py-{libver}.h5"
        with h5py.File(p, "w", libver=libver) as h:
            h.create_dataset("w", data=np.arange(1000.0).reshape(10, 100), chunks=(5, 50), compression="gzip",
                             shuffle=True, fletcher32=True)
            g = h.create_group("layers")
            for i in range(30):  # enough children for dense link storage under "latest"
                g.create_dataset(f"d{i}", data=np.ones(4))
            g.attrs["names"] = [b"a.", b"b."]  # an array: never unpickled
            g.attrs["title"] = "Weights of a model."
            h.create_dataset("s", data=np.array([b"x", b"y"], dtype=h5py.string_dtype()))
        r = scan_file(p)
        assert r.verdict == "safe", r.findings
        assert r.facts.get("hdf5.objects") == str(2 + 30 + 2)
    p = tmp_path / "pd.h5"
    pd.DataFrame({"a": np.arange(50), "b": np.linspace(0, 1, 50)}).to_hdf(p, key="df", mode="w", format="table",
                                                                          data_columns=True)
    assert scan_file(p).verdict == "safe"


def test_hard_link_cycles_end(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    p = tmp_path / "loop.h5"
    with h5py.File(p, "w") as h:
        g = h.create_group("a/b")
        g["up"] = h["/"]  # a hard link to the root: a cycle
        h["a"].attrs["x"] = 1
    r = scan_file(p)
    assert r.verdict == "safe" and r.facts.get("hdf5.objects") == "3", r.findings


def test_virtual_dataset_in_the_same_file_is_not_external(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    p = tmp_path / "vds.h5"
    with h5py.File(p, "w", libver="latest") as h:
        h.create_dataset("src", data=list(range(4)))
        layout = h5py.VirtualLayout(shape=(4,), dtype="i8")
        layout[:] = h5py.VirtualSource(".", "src", shape=(4,))
        h.create_virtual_dataset("v", layout)
        layout = h5py.VirtualLayout(shape=(4,), dtype="i8")
        layout[:] = h5py.VirtualSource("parts/part0.h5", "src", shape=(4,))
        h.create_virtual_dataset("v2", layout)
    r = scan_file(p)
    assert r.verdict == "suspicious", r.findings
    assert [f.id for f in r.findings if f.id.startswith("hdf5.")] == ["hdf5.virtual-dataset"]


@pytest.mark.parametrize("mtype", [0x01, 0x0B])
def test_an_object_vlarray_with_a_shared_dataspace_or_filter_is_not_read_as_empty(
        monkeypatch: pytest.MonkeyPatch, mtype: int) -> None:
    """A dataspace or filter pipeline stored as a shared message is not followed: the rows of an
    object VLArray that uses one are reported unread (error), never skipped as if there were none."""
    import mlbom.formats.hdf5 as hdf5

    real = hdf5._header_messages

    def shared(f: object, addr: int) -> list[tuple[int, bytes, int]]:
        return [(t, body, flags | 0x02 if t == mtype else flags) for t, body, flags in real(f, addr)]  # type: ignore[arg-type]

    monkeypatch.setattr(hdf5, "_header_messages", shared)
    result = scan_file(FIX / "benign-pandas-fixed-object.h5")  # safe when its rows are read
    assert result.verdict == "error"
    assert any("shared message" in f.message for f in result.findings), result.findings
