"""Write the HDF5 fixtures of ``tests/fixtures/hdf5`` (red team 10b) with the real writers:
PyTables, pandas ``to_hdf`` and h5py. Needs numpy, pandas, tables and h5py (not in the CI venv:
that is why the files are committed). The hostile payload is ``os.system("true")``: harmless if
ever run, and what the scanner calls a shell command. Never load the hostile files.

    python tools/make_hdf5_fixtures.py tests/fixtures/hdf5
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path


class Payload:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("true",))


def main(out: Path) -> None:
    import h5py
    import numpy as np
    import pandas as pd
    import tables

    warnings.simplefilter("ignore")  # pandas' PerformanceWarning: "PyTables will pickle object types"
    out.mkdir(parents=True, exist_ok=True)
    for p in out.glob("*.h5"):
        p.unlink()
    num = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5]})
    # benign: pandas fixed and table formats (the table format pickles its metadata attributes)
    num.to_hdf(out / "benign-pandas-fixed.h5", key="df", mode="w")
    pd.DataFrame({"a": [1, 2], "s": ["x", "y"]}).to_hdf(out / "benign-pandas-table-str.h5", key="df", mode="w",
                                                         format="table", index=False)
    pd.DataFrame({"a": [1, 2], "s": ["x", None]}).to_hdf(out / "benign-pandas-fixed-object.h5", key="df",
                                                          mode="w", complevel=9, complib="zlib")
    with tables.open_file(out / "benign-tables-numeric.h5", "w") as f:
        f.create_array("/", "x", np.arange(10))
        g = f.create_group("/", "g")
        f.create_carray(g, "c", obj=np.ones((20, 20)), filters=tables.Filters(complevel=5, complib="zlib"))
        f.root.x.attrs.note = "a plain string attribute."  # PyTables tries pickle.loads on it, and fails
    # hostile: pickles PyTables/pandas unpickle on read
    pd.DataFrame({"a": [1, 2], "o": [Payload(), "z"]}).to_hdf(out / "pandas-fixed-object-column.h5", key="df",
                                                               mode="w", complevel=9, complib="zlib")
    num.to_hdf(out / "pandas-table-info-attr.h5", key="df", mode="w", format="table", index=False)
    with tables.open_file(out / "pandas-table-info-attr.h5", "a") as f:
        f.root.df._v_attrs.info = Payload()  # what pandas' read_hdf reads as the table's metadata
    with tables.open_file(out / "tables-node-attr.h5", "w") as f:
        g = f.create_group("/", "deep")
        a = f.create_array(g, "x", np.arange(4))
        a.attrs.payload = Payload()
    with tables.open_file(out / "tables-vlarray-object.h5", "w") as f:
        v = f.create_vlarray("/", "objs", tables.ObjectAtom(),
                             filters=tables.Filters(complevel=5, complib="zlib", shuffle=True))
        v.append([1, 2])
        v.append(Payload())
    with tables.open_file(out / "tables-vlarray-blosc.h5", "w") as f:
        v = f.create_vlarray("/", "objs", tables.ObjectAtom(), filters=tables.Filters(complevel=5, complib="blosc"))
        v.append([1, 2])
    # hostile: data outside the file
    with h5py.File(out / "h5py-external-absolute.h5", "w") as h:
        h.create_dataset("e", shape=(16,), dtype="u1", external=[("/etc/passwd", 0, 16)])
    with h5py.File(out / "h5py-external-relative.h5", "w") as h:
        h.create_dataset("e", shape=(16,), dtype="u1", external=[("weights.bin", 0, 16)])
    with h5py.File(out / "h5py-external-link.h5", "w") as h:
        h["l"] = h5py.ExternalLink("../../secret.h5", "/x")
    layout = h5py.VirtualLayout(shape=(4,), dtype="u1")
    layout[:] = h5py.VirtualSource("/etc/shadow.h5", "data", shape=(4,))
    with h5py.File(out / "h5py-virtual-absolute.h5", "w", libver="latest") as h:
        h.create_virtual_dataset("v", layout)
    # hostile: a pickled attribute on an object reached only through dense link storage
    with h5py.File(out / "h5py-dense-links-attr.h5", "w", libver="latest") as h:
        for i in range(40):
            h.create_group(f"g{i:03d}")
        h["g033"].attrs["payload"] = np.bytes_(__import__("pickle").dumps(Payload(), protocol=0))
    rt12a(out / "rt12a")
    rt13a(out / "rt13a")
    rt14c(out / "rt14c")
    rt18e(out / "rt18e")


# ---- red team 12a: the loader transforms or repairs the bytes before it unpickles them -------

def _lookup3(data: bytes) -> int:
    """Jenkins lookup3 ``hashlittle`` (initval 0): the checksum of HDF5 v2 metadata blocks."""
    m = 0xFFFFFFFF

    def rot(x: int, k: int) -> int:
        return ((x << k) | (x >> (32 - k))) & m

    n, i = len(data), 0
    a = b = c = (0xDEADBEEF + n) & m
    while n > 12:
        a = (a + int.from_bytes(data[i:i + 4], "little")) & m
        b = (b + int.from_bytes(data[i + 4:i + 8], "little")) & m
        c = (c + int.from_bytes(data[i + 8:i + 12], "little")) & m
        a = (a - c) & m; a ^= rot(c, 4); c = (c + b) & m  # noqa: E702
        b = (b - a) & m; b ^= rot(a, 6); a = (a + c) & m  # noqa: E702
        c = (c - b) & m; c ^= rot(b, 8); b = (b + a) & m  # noqa: E702
        a = (a - c) & m; a ^= rot(c, 16); c = (c + b) & m  # noqa: E702
        b = (b - a) & m; b ^= rot(a, 19); a = (a + c) & m  # noqa: E702
        c = (c - b) & m; c ^= rot(b, 4); b = (b + a) & m  # noqa: E702
        n -= 12
        i += 12
    if n == 0:
        return c
    tail = data[i:] + b"\x00" * (12 - n)
    a = (a + int.from_bytes(tail[0:4], "little")) & m
    b = (b + int.from_bytes(tail[4:8], "little")) & m
    c = (c + int.from_bytes(tail[8:12], "little")) & m
    c ^= b; c = (c - rot(b, 14)) & m  # noqa: E702
    a ^= c; a = (a - rot(c, 11)) & m  # noqa: E702
    b ^= a; b = (b - rot(a, 25)) & m  # noqa: E702
    c ^= b; c = (c - rot(b, 16)) & m  # noqa: E702
    a ^= c; a = (a - rot(c, 4)) & m  # noqa: E702
    b ^= a; b = (b - rot(a, 14)) & m  # noqa: E702
    c ^= b; c = (c - rot(b, 24)) & m  # noqa: E702
    return c


def _fix_ohdr_checksums(buf: bytearray) -> None:
    """Re-checksum the first chunk of every v2 object header after a byte edit."""
    pos = buf.find(b"OHDR")
    while pos >= 0:
        if buf[pos + 4] == 2:
            flags = buf[pos + 5]
            p = pos + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
            w = 1 << (flags & 3)
            end = p + w + int.from_bytes(buf[p:p + w], "little")
            buf[end:end + 4] = _lookup3(bytes(buf[pos:end])).to_bytes(4, "little")
        pos = buf.find(b"OHDR", pos + 4)


def _pytables_1x_root(f: object) -> None:
    import numpy as np

    for k, v in {"PYTABLES_FORMAT_VERSION": b"1.6", "CLASS": b"GROUP", "VERSION": b"1.0", "TITLE": b""}.items():
        f.attrs[k] = np.bytes_(v)  # type: ignore[attr-defined]


def rt12a(out: Path) -> None:
    """One file per finding of red team 12a, built as its proof builds it (payload: ``true``)."""
    import pickle

    import h5py
    import numpy as np
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    for p in out.glob("*.h5"):
        p.unlink()
    shell = b"cos\nsystem\n(Vtrue\ntR."
    # 12a-1: FILTERS (format 1.6) that PyTables rewrites before pickle.loads: '(ctables.Leaf\n'
    # inside a SHORT_BINBYTES grows by 3 bytes, so the string's last 3 bytes become opcodes
    tail = b"pad" + b"C\x03Z"
    lead = b"(ctables.Leaf\n" + tail
    filters = b"\x80\x03C" + bytes([len(lead)]) + lead + b"C" + bytes([len(shell)]) + shell + b"."
    with h5py.File(out / "filters-rewrite.h5", "w") as f:
        _pytables_1x_root(f)
        g = f.create_group("data")
        g.attrs["CLASS"] = np.bytes_(b"GROUP")
        g.attrs["FILTERS"] = np.bytes_(filters)
    # 12a-2: a scalar string attribute whose dataspace says 'simple' with rank 0
    path = out / "simple-rank0-attr.h5"
    with h5py.File(path, "w", libver="latest") as f:
        f.create_group("data").attrs["note"] = np.bytes_(pickle.dumps(Payload(), protocol=0))
    buf = bytearray(path.read_bytes())
    hdr = buf.find(b"note\x00") - 9
    nsz, dsz = (int.from_bytes(buf[hdr + 2 + 2 * k:hdr + 4 + 2 * k], "little") for k in range(2))
    ds = hdr + 9 + nsz + dsz
    assert buf[hdr] == 3 and bytes(buf[ds:ds + 4]) == b"\x02\x00\x00\x00"
    buf[ds + 3] = 1  # dataspace v2, rank 0, type simple (was scalar)
    _fix_ohdr_checksums(buf)
    path.write_bytes(buf)
    # 12a-3: a pandas fixed-format object Series whose 'values' VLArray base type is >u2
    pk = pickle.dumps(Payload(), protocol=4)
    pk += b"." * (len(pk) % 2)  # bytes after STOP are never read
    path = out / "vlarray-big-endian-base.h5"
    pd.Series([1, "a", None], dtype=object).to_hdf(path, key="s", format="fixed")
    with h5py.File(path, "a") as f:
        attrs = dict(f["s"]["values"].attrs)
        del f["s"]["values"]
        v = f["s"].create_dataset("values", shape=(1,), dtype=h5py.vlen_dtype(np.dtype(">u2")))
        v[0] = np.frombuffer(pk, dtype="<u2").astype(">u2")
        for k, val in attrs.items():
            v.attrs[k] = val
    # 12a-3 (class): a base type whose conversion is not modelled (big-endian float64)
    path = out / "vlarray-float-base.h5"
    with h5py.File(path, "w") as f:
        v = f.create_dataset("objs", shape=(1,), dtype=h5py.vlen_dtype(np.dtype(">f8")))
        v[0] = np.frombuffer(pk + b"." * (-len(pk) % 8), dtype="<f8").astype(">f8")
        v.attrs["CLASS"] = np.bytes_(b"VLARRAY")
        v.attrs["PSEUDOATOM"] = np.bytes_(b"object")
    # 12a-4: a PyTables 1.x VLArray whose FLAVOR is pickle.dumps("Object")
    with h5py.File(out / "flavor-pickled.h5", "w") as f:
        _pytables_1x_root(f)
        v = f.create_dataset("obj", shape=(1,), dtype=h5py.vlen_dtype(np.dtype("u1")))
        v[0] = np.frombuffer(pk, dtype="u1")
        v.attrs["CLASS"] = np.bytes_(b"VLARRAY")
        v.attrs["FLAVOR"] = np.bytes_(pickle.dumps("Object", protocol=0))
    # 12a-5: the root's Symbol Table message names a decoy group's SNOD as its B-tree; the
    # superblock's cached root entry still names the real one (listing 'evil')
    path = out / "root-cached-stab.h5"
    with h5py.File(path, "w", libver="earliest") as f:
        f.create_group("decoy").create_group("ok")
        f.create_group("evil").attrs["note"] = np.bytes_(pickle.dumps(Payload(), protocol=0))
    buf = bytearray(path.read_bytes())

    def u(p: int, n: int = 8) -> int:
        return int.from_bytes(buf[p:p + n], "little")

    def stab(oh: int) -> int:
        p, end = oh + 16, oh + 16 + u(oh + 8, 4)
        while p < end:
            if u(p, 2) == 0x11:
                return p + 8
            p += 8 + u(p + 2, 2)
        raise SystemExit("no symbol table message")

    root_stab = stab(u(64))
    root_snod = u(u(root_stab) + 32)
    seg = u(u(root_stab + 8) + 24)
    decoy = next(u(root_snod + 8 + i * 40 + 8) for i in range(u(root_snod + 6, 2))
                 if bytes(buf[seg + u(root_snod + 8 + i * 40):]).split(b"\0", 1)[0] == b"decoy")
    buf[root_stab:root_stab + 8] = u(u(stab(decoy)) + 32).to_bytes(8, "little")
    path.write_bytes(buf)


# ---- red team 13a: the HDF5 library reads what the walk did not --------------------------

def rt13a(out: Path) -> None:
    """One file per HDF5 finding of red team 13a, built as its proof builds it (payload: ``true``)."""
    import ctypes
    import glob
    import pickle
    import zlib

    import h5py
    import numpy as np
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    for p in out.glob("*.h5"):
        p.unlink()
    # 13a-1: a variable-length string attribute whose base (character) type is 2 bytes wide: the
    # length field counts 2-byte elements, so the library reads the whole (even-length) pickle
    payload = pickle.dumps(Payload(), protocol=0)
    payload += b"." * (len(payload) % 2)  # bytes after STOP are never read
    path = out / "vlen-string-base-2.h5"
    pd.DataFrame({"a": [1.0, 2.0, 3.0]}).to_hdf(path, key="df", format="fixed")
    with h5py.File(path, "r+") as f:
        f["df"].attrs.create("note", payload, dtype=h5py.string_dtype("ascii"))
    buf = bytearray(path.read_bytes())
    i = buf.find(b"note\x00")
    hdr = i - 8 if buf[i - 8] == 1 else i - 9  # attribute message v1 (8-byte header) or v3 (9)
    ver = buf[hdr]
    nsz, dsz, ssz = (int.from_bytes(buf[hdr + 2 + 2 * k:hdr + 4 + 2 * k], "little") for k in range(3))

    def pad(n: int) -> int:
        return (n + 7) & ~7 if ver == 1 else n

    dt = hdr + (8 if ver == 1 else 9) + pad(nsz)
    assert buf[dt] & 0x0F == 9 and buf[dt + 1] & 0x0F == 1 and buf[dt + 8 + 4] == 1
    buf[dt + 8 + 4] = 2  # base type: 2 bytes ...
    buf[dt + 8 + 10] = 16  # ... precision 16 bits
    data = dt + pad(dsz) + pad(ssz)
    assert int.from_bytes(buf[data:data + 4], "little") == len(payload)
    buf[data:data + 4] = (len(payload) // 2).to_bytes(4, "little")
    _fix_ohdr_checksums(buf)
    path.write_bytes(buf)
    # 13a-2: a second Datatype (1-byte integer) / Layout (compact, 0 bytes) message after the
    # first in a pandas object VLArray's header (its modification-time message retyped)
    for name, mtype, body in (("duplicate-datatype.h5", b"\x03\x00", b"\x10\x00\x00\x00\x01\x00\x00\x00"),
                              ("duplicate-layout.h5", b"\x08\x00", b"\x03\x00\x00\x00\x00\x00\x00\x00")):
        path = out / name
        pd.Series([Payload(), "a"], dtype=object).to_hdf(path, key="s", format="fixed", complevel=9, complib="zlib")
        buf = bytearray(path.read_bytes())
        pos, done = 0, 0
        while (pos := buf.find(b"\x12\x00\x08\x00\x00\x00\x00\x00", pos + 1)) >= 0:
            if b"\x03\x00\x18\x00\x01\x00\x00\x00\x19\x00\x00\x00" in bytes(buf[max(0, pos - 200):pos]):
                buf[pos:pos + 2] = mtype
                buf[pos + 8:pos + 16] = body
                done += 1
        assert done == 1, done
        path.write_bytes(buf)
    # 13a-3: 65,536 rows of one chunk, every row the same element: one 4 KB heap pickle (harmless)
    with h5py.File(out / "shared-rows.h5", "w") as f:
        c = 65536
        ds = f.create_dataset("v", shape=(c,), chunks=(c,), dtype=h5py.vlen_dtype(np.uint8), compression="gzip")
        ds[0] = np.frombuffer(b"N0" * 2000 + b"N.", np.uint8)
        ds.attrs["PSEUDOATOM"] = np.bytes_(b"object")
        ds.attrs["CLASS"] = np.bytes_(b"VLARRAY")
        _mask, raw = ds.id.read_direct_chunk((0,))
        ds.id.write_direct_chunk((0,), zlib.compress(zlib.decompress(raw)[:16] * c, 9), 0)
    # 13a-4: an object VLArray with no storage allocated and the pickle as its (vlen) fill value
    path = out / "vlen-fill-value.h5"
    pd.Series(["a", "b"], dtype=object).to_hdf(path, key="s", format="fixed")
    lib = ctypes.CDLL(glob.glob(os.path.join(os.path.dirname(h5py.__file__), "..", "h5py.libs", "libhdf5-*.so*"))[0])
    lib.H5Pset_fill_value.argtypes = [ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]

    class HvlT(ctypes.Structure):
        _fields_ = [("len", ctypes.c_size_t), ("p", ctypes.c_void_p)]

    pk = pickle.dumps(Payload(), protocol=2)
    with h5py.File(path, "r+") as f:
        g = f["s"]
        attrs = {k: g["values"].attrs[k] for k in g["values"].attrs}
        nrows = g["values"].shape[0]
        del g["values"]
        vt = h5py.h5t.vlen_create(h5py.h5t.NATIVE_UINT8)
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((1,))
        cbuf = ctypes.create_string_buffer(pk, len(pk))
        fill = HvlT(len(pk), ctypes.cast(cbuf, ctypes.c_void_p))
        assert lib.H5Pset_fill_value(dcpl.id, vt.id, ctypes.addressof(fill)) >= 0
        space = h5py.h5s.create_simple((nrows,), (h5py.h5s.UNLIMITED,))
        ds = h5py.Dataset(h5py.h5d.create(g.id, b"values", vt, space, dcpl=dcpl))
        for k, v in attrs.items():
            ds.attrs[k] = v
    # 13a-5: an object VLArray that is a virtual view of a plain vlen dataset of this file
    path = out / "virtual-same-file.h5"
    pd.Series([Payload(), "a"], dtype=object).to_hdf(path, key="s", format="fixed")
    with h5py.File(path, "r+", libver=("earliest", "v114")) as f:
        g = f["s"]
        attrs = {k: g["values"].attrs[k] for k in g["values"].attrs}
        rows = [g["values"][i] for i in range(g["values"].shape[0])]
        del g["values"]
        rawds = g.create_dataset("_raw", shape=(len(rows),), dtype=h5py.vlen_dtype(np.uint8))
        for i, r in enumerate(rows):
            rawds[i] = r
        layout = h5py.VirtualLayout(shape=(len(rows),), dtype=h5py.vlen_dtype(np.uint8))
        layout[:] = h5py.VirtualSource(rawds)
        v = g.create_virtual_dataset("values", layout)
        for k, val in attrs.items():
            v.attrs[k] = val


# ---- red team 14c: object rows in external storage that is the HDF5 file itself -------------

def rt14c(out: Path) -> None:
    """14c-2, built as its proof builds it (payload: ``true``): a pandas object Series whose
    ``values`` VLArray is remade with an External Data Files entry naming the file itself, at the
    offset of the original rows (kept as a plain vlen dataset ``_raw``, its attributes stripped)."""
    import h5py
    import numpy as np
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    for p in out.glob("*.h5"):
        p.unlink()
    path = out / "external-self.h5"
    pd.Series([Payload(), "b"], dtype=object).to_hdf(path, key="s", format="fixed")
    with h5py.File(path, "r+", libver=("earliest", "v114")) as f:
        g = f["s"]
        old = g["values"]
        attrs = {k: old.attrs[k] for k in old.attrs}
        nrows = old.shape[0]
        off = old.id.get_chunk_info(0).byte_offset if old.chunks else old.id.get_offset()
        for k in list(old.attrs):
            del old.attrs[k]
        g.move("values", "_raw")
        ds = g.create_dataset("values", shape=(nrows,), dtype=h5py.vlen_dtype(np.uint8),
                              external=[(path.name, off, 16 * nrows)])
        for k, v in attrs.items():
            ds.attrs[k] = v


# ---- red team 18e: benign files mlbom could not read (huge attributes, committed types, user blocks)

MATLAB_TEXT = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Tue Dec  1 12:00:00 2026 HDF5 schema 1.00 ."


def matlab_header(text: bytes = MATLAB_TEXT) -> bytes:
    """The 128-byte MAT-file header a MATLAB v7.3 file holds in its 512-byte user block (as
    ``hdf5storage`` writes it): 116 bytes of text padded with spaces, an 8-byte subsystem data
    offset (zeros), version 0x0200 and the endian indicator ``IM``, little-endian."""
    return text.ljust(116, b" ") + bytes(8) + b"\x00\x02IM"


def rt18e(out: Path) -> None:
    """18e-4: an attribute over 64 KiB stored as a huge fractal-heap object (libver latest);
    18e-5: datasets and attributes whose datatype is a committed (named) datatype; 18e-6: a
    zero-filled user block (h5py ``userblock_size``) and a MATLAB v7.3 header in it."""
    import h5py
    import numpy as np

    out.mkdir(parents=True, exist_ok=True)
    for p in out.glob("*.h5"):
        p.unlink()
    with h5py.File(out / "huge-attribute.h5", "w", libver="latest") as f:
        f["w"] = np.arange(4.0)
        f.attrs["calibration"] = np.arange(70_000, dtype="u1")  # over the 64 KiB a dense heap manages
    with h5py.File(out / "committed-type.h5", "w") as f:
        f["Point"] = np.dtype([("x", "<f4"), ("y", "<f4")])
        f.create_dataset("pts", shape=(3,), dtype=f["Point"])
        f["pts"].attrs.create("origin", np.zeros((), dtype=f["Point"].dtype), dtype=f["Point"])
    with h5py.File(out / "userblock-zero.h5", "w", userblock_size=512) as f:
        f["w"] = np.arange(4.0)
    with h5py.File(out / "userblock-matlab.mat", "w", userblock_size=512) as f:
        f["w"] = np.arange(4.0)
    with open(out / "userblock-matlab.mat", "r+b") as fh:
        fh.write(matlab_header())


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--rt18e":  # only the red team 18e files
        rt18e(Path(sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/hdf5/rt18e"))
    elif len(sys.argv) > 1 and sys.argv[1] == "--rt14c":  # only the red team 14c files
        rt14c(Path(sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/hdf5/rt14c"))
    elif len(sys.argv) > 1 and sys.argv[1] == "--rt13a":  # only the red team 13a files
        rt13a(Path(sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/hdf5/rt13a"))
    elif len(sys.argv) > 1 and sys.argv[1] == "--rt12a":  # only the red team 12a files
        rt12a(Path(sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/hdf5/rt12a"))
    else:
        main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/hdf5"))
