"""Red team 12a: PyTables/the HDF5 library transform or repair the bytes before they unpickle
them, and the walk judged the raw bytes. Fixtures: ``tests/fixtures/hdf5/rt12a`` (written by
``python tools/make_hdf5_fixtures.py --rt12a``; the payload is ``os.system("true")``)."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats import hdf5
from mlbom.scanner import scan_file

FIX = Path(__file__).resolve().parent / "fixtures" / "hdf5" / "rt12a"

EXPECTED = {
    "filters-rewrite.h5": ("unsafe", {"pickle.dangerous-callable"}),  # 12a-1
    "simple-rank0-attr.h5": ("unsafe", {"pickle.dangerous-callable"}),  # 12a-2
    "vlarray-big-endian-base.h5": ("unsafe", {"pickle.dangerous-callable"}),  # 12a-3
    "vlarray-float-base.h5": ("error", {"hdf5.unreadable"}),  # 12a-3: a conversion not modelled
    "flavor-pickled.h5": ("unsafe", {"pickle.dangerous-callable"}),  # 12a-4
    "root-cached-stab.h5": ("unsafe", {"pickle.dangerous-callable", "hdf5.symbol-table-cache",
                                       "hdf5.unreadable"}),  # 12a-5
}


def test_every_fixture_has_an_expected_verdict() -> None:
    assert sorted(p.name for p in FIX.glob("*.h5")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_verdicts(name: str) -> None:
    verdict, ids = EXPECTED[name]
    r = scan_file(FIX / name)
    assert r.verdict == verdict, r.findings
    assert ids <= {f.id for f in r.findings}, r.findings


def _pickles(name: str) -> list[tuple[str, bytes]]:
    data = (FIX / name).read_bytes()
    return hdf5.walk_tree(io.BytesIO(data), len(data)).pickles


def test_filters_is_judged_as_pytables_rewrites_it() -> None:
    readings = [d for w, d in _pickles("filters-rewrite.h5") if "'FILTERS'" in w]
    assert len(readings) == 2 and readings[1] == readings[0].replace(b"(ctables.Leaf\n", b"(ctables.filters\n", 1)
    # only the first match is rewritten, as re.sub(..., count=1) does; other names are not
    raw = b"(itables.Leaf\n(ctables.Leaf\n."
    assert hdf5._pickle_readings([raw], "FILTERS") == [raw, b"(itables.filters\n(ctables.Leaf\n."]
    assert hdf5._pickle_readings([raw], "OTHER") == [raw]


def test_a_simple_dataspace_of_rank_0_is_a_scalar() -> None:
    assert [w for w, _ in _pickles("simple-rank0-attr.h5")] == ["/data attribute 'note' (PyTables unpickles it)"]


def test_string_array_elements_are_judged_too() -> None:
    # an over-approximation: whatever shape PyTables reads as one string, every element is judged
    dt = bytes([0x13, 0, 0, 0]) + (8).to_bytes(4, "little")
    ds = bytes([1, 1, 0, 0, 0, 0, 0, 0]) + (2).to_bytes(8, "little")
    body = bytes([1, 0]) + (2).to_bytes(2, "little") + len(dt).to_bytes(2, "little") + len(ds).to_bytes(2, "little")
    body += b"a\x00" + b"\x00" * 6 + dt + ds + b"plain..." + b"cos\nx\n.\x00"
    walk = hdf5._TreeWalk(hdf5._File(io.BytesIO(b""), 0), hdf5.TreeReport(), None)
    name, readings, values = walk.attribute(body)
    assert (name, readings, values) == ("a", [b"plain...", b"cos\nx\n."], [])


def test_object_rows_are_judged_as_converted_to_the_native_type() -> None:
    rows = [d for w, d in _pickles("vlarray-big-endian-base.h5") if "row" in w]
    assert rows and rows[0].startswith(b"\x80\x04")  # the pickle PyTables passes, not its swapped bytes
    assert hdf5._byteswap(b"\x01\x02\x03\x04", 2) == b"\x02\x01\x04\x03"


@pytest.mark.parametrize(("props", "cls", "size", "bits", "swap"), [
    ((0).to_bytes(2, "little") + (8).to_bytes(2, "little"), 0, 1, 0, False),
    ((0).to_bytes(2, "little") + (16).to_bytes(2, "little"), 0, 2, 0, False),
    ((0).to_bytes(2, "little") + (16).to_bytes(2, "little"), 0, 2, 1, True),
    ((0).to_bytes(2, "little") + (64).to_bytes(2, "little"), 0, 8, 1, True),
    ((4).to_bytes(2, "little") + (4).to_bytes(2, "little"), 0, 1, 0, None),  # precision 4, offset 4
    ((0).to_bytes(2, "little") + (64).to_bytes(2, "little") + bytes(8), 1, 8, 0, None),  # float
    (b"", 6, 8, 0, None),  # compound
])
def test_native_base_conversions(props: bytes, cls: int, size: int, bits: int, swap: bool | None) -> None:
    base = hdf5._Dtype(cls, bits, size, props=props)
    if swap is None:
        with pytest.raises(hdf5.FormatError):
            hdf5._native_base(base)
    else:
        assert hdf5._native_base(base) is swap


@pytest.mark.parametrize(("values", "readings", "plain"), [
    ([b"Object"], [], b"Object"),
    ([b"numpy\x00\x00"], [], b"numpy"),
    ([b"VObject\np0\n."], [b"VObject\np0\n."], None),  # unpickled: may be "Object"
    ([b"numpy\x00Object"], [], None),  # two readings of one value
    ([b"a", b"b"], [], None),  # two copies
    ([], [], None),  # an array, not one string
])
def test_plain_string(values: list[bytes], readings: list[bytes], plain: bytes | None) -> None:
    assert hdf5._plain_string(values, readings) == plain


def test_the_cached_root_symbol_table_is_walked_too() -> None:
    paths = {w.split(" ")[0] for w, _ in _pickles("root-cached-stab.h5")}
    assert paths == {"/evil"}
    data = (FIX / "root-cached-stab.h5").read_bytes()
    tree = hdf5.walk_tree(io.BytesIO(data), len(data))
    assert any("wrong B-tree signature" in why for _, why in tree.unreadable)
    assert [w for w, _ in tree.differentials] == ["/"]


def test_benign_fixtures_have_no_cache_differential() -> None:
    for p in sorted((FIX.parent).glob("*.h5")):
        data = p.read_bytes()
        tree = hdf5.walk_tree(io.BytesIO(data), len(data))
        assert tree.differentials == [], p.name


# ---- the real loaders (not in the CI venv) --------------------------------------------------

PROOF = """
import sys, warnings
warnings.simplefilter("ignore")
import tables
path, mode = sys.argv[1], sys.argv[2]
with tables.open_file(path, mode) as f:
    for node in f.walk_nodes("/"):
        for name in node._v_attrs._v_attrnames:
            try:
                getattr(node._v_attrs, name)
            except Exception:
                pass
        if isinstance(node, tables.VLArray):
            node.read()
"""


class _Marker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, (f"touch {self.path}",))


def test_pytables_unpickles_the_rewritten_filters(tmp_path: Path) -> None:
    pytest.importorskip("tables")
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    marker = tmp_path / "ran"
    shell = b"cos\nsystem\n(V" + f"touch {marker}".encode() + b"\ntR."
    lead = b"(ctables.Leaf\npadC\x03Z"
    payload = b"\x80\x03C" + bytes([len(lead)]) + lead + b"C" + bytes([len(shell)]) + shell + b"."
    assert len(shell) < 256 and b"\x00" not in payload
    p = tmp_path / "m.h5"
    with h5py.File(p, "w") as f:
        for k, v in {"PYTABLES_FORMAT_VERSION": b"1.6", "CLASS": b"GROUP", "VERSION": b"1.0", "TITLE": b""}.items():
            f.attrs[k] = np.bytes_(v)
        f.create_group("data").attrs["FILTERS"] = np.bytes_(payload)
    assert isinstance(pickle.loads(payload), bytes)  # the raw bytes run nothing
    assert scan_file(p).verdict == "unsafe"
    subprocess.run([sys.executable, "-c", PROOF, str(p), "r"], timeout=120, capture_output=True, check=False)
    assert marker.exists()


def test_pytables_unpickles_big_endian_object_rows(tmp_path: Path) -> None:
    pytest.importorskip("tables")
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    marker = tmp_path / "ran"
    pk = pickle.dumps(_Marker(marker), protocol=4)
    pk += b"." * (len(pk) % 2)
    p = tmp_path / "m.h5"
    with h5py.File(p, "w") as f:
        v = f.create_dataset("objs", shape=(1,), dtype=h5py.vlen_dtype(np.dtype(">u2")))
        v[0] = np.frombuffer(pk, dtype="<u2").astype(">u2")
        v.attrs["CLASS"] = np.bytes_(b"VLARRAY")
        v.attrs["VERSION"] = np.bytes_(b"1.4")
        v.attrs["PSEUDOATOM"] = np.bytes_(b"object")
    assert scan_file(p).verdict == "unsafe"
    subprocess.run([sys.executable, "-c", PROOF, str(p), "r"], timeout=120, capture_output=True, check=False)
    assert marker.exists()


def test_the_library_lists_the_cached_root_group_when_writable(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    p = tmp_path / "m.h5"
    p.write_bytes((FIX / "root-cached-stab.h5").read_bytes())
    with h5py.File(p, "r+") as f:  # the library repairs the root from the superblock's cache
        assert sorted(f.keys()) == ["decoy", "evil"]
