"""Red team 14c: object rows in External Data Files storage naming the HDF5 file itself (14c-2),
and a continuation block shared by many object headers (14c-1). Fixture:
``tests/fixtures/hdf5/rt14c`` (written by ``python tools/make_hdf5_fixtures.py --rt14c``; the
payload is ``os.system("true")``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats import hdf5
from mlbom.scanner import scan_file

FIX = Path(__file__).resolve().parent / "fixtures" / "hdf5" / "rt14c"
SELF = FIX / "external-self.h5"


def test_object_rows_in_external_storage_naming_the_file_itself_are_judged() -> None:
    # 14c-2: the rows' references point into this file's global heap: every heap object is judged
    r = scan_file(SELF)
    assert r.verdict == "unsafe", r.findings
    ids = {f.id for f in r.findings}
    assert {"pickle.dangerous-callable", "hdf5.unreadable", "hdf5.external-storage"} <= ids, r.findings


def test_object_rows_in_external_storage_are_never_only_suspicious(monkeypatch: pytest.MonkeyPatch) -> None:
    # rows mlbom cannot read are error at least, even where no heap object holds a pickle
    def none(f: object, addr: int) -> dict[int, list[bytes]]:
        raise hdf5.FormatError("no collection")

    monkeypatch.setattr(hdf5, "_collection", none)
    r = scan_file(SELF)
    assert r.verdict == "error", r.findings
    assert any(f.id == "hdf5.unreadable" and "external storage" in f.message for f in r.findings), r.findings


LOADER = r"""
import os, posix, sys, warnings
warnings.simplefilter("ignore")
import tables
calls = []
os.system = posix.system = lambda c: calls.append(c) or 0
with tables.open_file(sys.argv[1]) as f:
    try:
        f.get_node("/s/values").read()
    except Exception as exc:
        print("ERR", exc)
print("RAN" if calls else "CLEAN")
"""


def test_pytables_runs_the_row_read_from_the_file_itself() -> None:
    pytest.importorskip("tables")
    out = subprocess.run([sys.executable, "-c", LOADER, SELF.name], capture_output=True, text=True,
                         timeout=120, cwd=FIX)  # the external name resolves in the working directory
    assert out.stdout.strip().endswith("RAN"), out.stdout + out.stderr
