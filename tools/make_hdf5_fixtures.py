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


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/hdf5"))
