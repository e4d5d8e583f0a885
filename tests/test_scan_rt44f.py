"""Red team 44f: real torch.save files mlbom did not call safe.

44f-1: a tensor of a dtype without a typed storage class (``float4_e2m1fn_x2``, the ``bits*``
dtypes) is saved with the dtype itself as the storage type of its persistent id; those dtype
constants were not on the allowlist. 44f-2: ``torch.save(..., pickle_protocol=0)`` writes a
zip whose ``PK`` reads as PERSID and whose stored ``data.pkl`` then reads as the rest of a
pickle: pickle.load, joblib and pandas have no ``persistent_load``, torch.load reads the zip and
torch.package's asserts a tuple id, so all raise there (an ``info`` polyglot note; the reading is
still judged where it is unsafe). 45f-1: a persistent id first does not make other bytes "no
pickle": torch.package's ``load_pickle`` of a resource reads on past an unknown tuple id.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import pytest

from mlbom.formats.pickle import read_pickle
from mlbom.formats.pickle_start import reading
from mlbom.scanner import scan_bytes, scan_file


def test_44f_2_a_persistent_id_first_is_recorded(tmp_path: Path) -> None:
    # what a protocol-0 torch.save zip reads as from byte 0: PERSID (its "PK" up to the first
    # newline), then a whole protocol-0 pickle; here the id is popped so the rest reads cleanly
    data = b"PK\x03\x04 header\n0" + pickle.dumps({"a": 1, "b": [1.5, "x"]}, protocol=0)
    rep = read_pickle(io.BytesIO(data), len(data))
    assert rep.complete and rep.persistent_first
    with pytest.raises(pickle.UnpicklingError):  # the real loader refuses it at the first opcode
        pickle.loads(data)


# 45f-1: torch.package's PackageImporter.load_pickle reads a resource from its first byte with a
# persistent_load that returns None for an unknown (tuple) id: the stream reads on
_PACKAGE_RESOURCE = b"(S'x'\ntQ0cos\nsystem\n(S'echo ran'\ntR."


def test_45f_1_a_pickle_after_a_persistent_id_is_still_a_pickle() -> None:
    rep = read_pickle(io.BytesIO(_PACKAGE_RESOURCE), len(_PACKAGE_RESOURCE))
    assert rep.persistent_first and reading(rep) == "pickle"
    for name in ("model", "res.txt", "model.pkl"):
        got = scan_bytes(_PACKAGE_RESOURCE, name)
        assert got.verdict == "unsafe", (name, got.format, [(f.id, f.message) for f in got.findings])


def test_45f_1_a_torch_package_layout_is_judged(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / ".data").mkdir(parents=True)
    (pkg / ".data" / "extern_modules").write_text("os\n")
    (pkg / ".data" / "version").write_text("6\n")
    (pkg / "res").mkdir()
    (pkg / "res" / "model").write_bytes(_PACKAGE_RESOURCE)
    assert scan_file(pkg / "res" / "model").verdict == "unsafe"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("evil/.DATA/VERSION", "6\n")  # torch's reader ignores ASCII case
        zf.writestr("evil/res/model", _PACKAGE_RESOURCE)
    got = scan_bytes(buf.getvalue(), "pkg.zip")
    assert got.verdict in ("unsafe", "error"), [(f.id, f.message) for f in got.findings]
    assert any(f.id == "pytorch.data-pkl-missing" for f in got.findings)


@pytest.mark.parametrize("name", ["float4_e2m1fn_x2", "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2"])
def test_44f_1_storage_typed_by_dtype_is_safe(tmp_path: Path, name: str) -> None:
    torch = pytest.importorskip("torch")
    dtype = getattr(torch, name, None)
    if dtype is None:
        pytest.skip(f"torch {torch.__version__} has no {name}")
    path = tmp_path / f"{name}.pt"
    torch.save({"w": torch.empty(4, dtype=dtype)}, path)
    torch.load(path)  # the default weights_only=True loads it
    got = scan_file(path)
    assert got.verdict == "safe", [(f.id, f.message) for f in got.findings]


def test_44f_2_real_protocol0_torch_save_is_safe(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "p0.pt"
    torch.save({"a": 1, "b": [1.5, "x"]}, path, pickle_protocol=0)
    got = scan_file(path)
    assert got.verdict == "safe", [(f.id, f.message) for f in got.findings]
