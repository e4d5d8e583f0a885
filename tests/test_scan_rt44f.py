"""Red team 44f: real torch.save files mlbom did not call safe.

44f-1: a tensor of a dtype without a typed storage class (``float4_e2m1fn_x2``, the ``bits*``
dtypes) is saved with the dtype itself as the storage type of its persistent id; those dtype
constants were not on the allowlist. 44f-2: ``torch.save(..., pickle_protocol=0)`` writes a
zip whose ``PK`` reads as PERSID and whose stored ``data.pkl`` then reads as the rest of a
pickle: no loader reading from the first byte has a ``persistent_load``, so it raises there.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest

from mlbom.formats.pickle import read_pickle
from mlbom.formats.pickle_start import reading
from mlbom.scanner import scan_file


def test_44f_2_a_persistent_id_first_is_no_pickle_from_its_first_byte(tmp_path: Path) -> None:
    # what a protocol-0 torch.save zip reads as from byte 0: PERSID (its "PK" up to the first
    # newline), then a whole protocol-0 pickle; here the id is popped so the rest reads cleanly
    data = b"PK\x03\x04 header\n0" + pickle.dumps({"a": 1, "b": [1.5, "x"]}, protocol=0)
    rep = read_pickle(io.BytesIO(data), len(data))
    assert rep.complete and rep.persistent_first and reading(rep) == "no"
    with pytest.raises(pickle.UnpicklingError):  # the real loader refuses it at the first opcode
        pickle.loads(data)


def test_44f_2_a_persistent_id_after_a_global_still_reads_as_a_pickle() -> None:
    # code may run before the persistent id: the GLOBAL's import (and a REDUCE) come first
    data = b"cos\nsystem\n(S'true'\ntRPx\n."
    rep = read_pickle(io.BytesIO(data), len(data))
    assert not rep.persistent_first and reading(rep) != "no"


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
