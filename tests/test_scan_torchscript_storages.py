"""TorchScript's ``readArchive`` reads each archive's tensor storages from the folder named after it:
``data/`` for ``data.pkl``, ``constants/`` for ``constants.pkl`` and ``bytecode/`` for ``bytecode.pkl``
(lite-interpreter files of bytecode version 4, as torch's own ``script_module_v4.ptl``). Those records
are raw storage bytes torch reads with ``getRecord`` and never unpickles; they were ``file.unknown``
and made the file ``error``. The file is now ``suspicious`` (TorchScript is code) and nothing more.
Checked against torch 2.13: changing ``constants/0`` changes the loaded module's output."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from mlbom.scanner import scan_bytes, scan_file

V4 = Path(__file__).resolve().parent / "fixtures" / "torchscript" / "script_module_v4.ptl"


def test_constants_and_bytecode_storages_are_storages() -> None:
    r = scan_file(V4)
    ids = {f.id for f in r.findings if f.severity != "info"}
    assert r.verdict == "suspicious" and "file.unknown" not in ids, [(f.id, f.message[:120]) for f in r.findings]
    assert "torchscript.code" in ids


def _rewritten(member: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(V4) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, data if info.filename.endswith(member) else zin.read(info.filename))
    return out.getvalue()


def test_a_storage_record_is_never_unpickled_whatever_it_holds() -> None:
    """As ``data/``: torch reads a storage record as bytes, so a pickle in ``constants/0`` runs
    nothing (the verdict is the archive's own)."""
    r = scan_bytes(_rewritten("constants/0", b"cos\nsystem\n(S'true'\ntR."), "m.ptl")
    assert r.verdict == "suspicious", [(f.id, f.message[:120]) for f in r.findings]


def test_a_storage_folder_is_only_torchscripts() -> None:
    """``constants/`` in a torch.save archive (data.pkl's storages are in ``data/`` only) is no storage."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("m/data.pkl", b"\x80\x02}q\x00.")
        z.writestr("m/version", b"3\n")
        z.writestr("m/constants/0", b"\x00\x00\x00\x00\x00\x00\xf0?" * 8)
    r = scan_bytes(out.getvalue(), "m.pt")
    assert r.verdict == "error" and "file.unknown" in {f.id for f in r.findings}
