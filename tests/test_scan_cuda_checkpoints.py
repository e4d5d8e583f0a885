"""Real files written by ``torch.save``/``torch.jit.save``/``torch.export.save`` on a CUDA host
(PyTorch 2.11.0+cu130 on an NVIDIA H200, ``tools/record_cuda_checkpoints.py``; see
``tests/fixtures/SOURCES.md``). Their storages carry the location tag ``cuda:0``; float8 tensors
are rebuilt by ``_rebuild_tensor_v3`` over an ``UntypedStorage`` with the dtype as a GLOBAL; a
training checkpoint holds AdamW and GradScaler state. Data-only files must stay ``safe`` with their
device recorded; TorchScript and torch.export archives are code and stay ``suspicious``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.scanner import scan_file

HERE = Path(__file__).resolve().parent / "fixtures" / "cuda-ckpt"

SAFE = [
    ("state_dict_cuda.pt", "pytorch-zip"),
    ("state_dict_cuda_legacy.pt", "pytorch-legacy"),
    ("train_ckpt_cuda.pt", "pytorch-zip"),
    ("amp_scaler_cuda.pt", "pytorch-zip"),
    ("cuda_rng_state.pt", "pytorch-zip"),
    ("dtypes_cuda.pt", "pytorch-zip"),
    ("whole_module_cuda.pt", "pytorch-zip"),
    ("state_dict_cuda.safetensors", "safetensors"),
]


@pytest.mark.parametrize(("name", "fmt"), SAFE)
def test_data_only_checkpoints_written_on_a_gpu_are_safe(name: str, fmt: str) -> None:
    r = scan_file(HERE / name)
    assert (r.verdict, r.format) == ("safe", fmt), [(f.id, f.message[:160]) for f in r.findings]
    assert not [f for f in r.findings if f.severity != "info"]


def test_cuda_storages_and_float8_are_read_as_storages() -> None:
    r = scan_file(HERE / "dtypes_cuda.pt")
    facts = r.facts
    assert facts["torch.storage-devices"] == "cuda"
    assert facts["torch.weights-only"] == "true"
    imports = set(facts["pickle.imports"].split(","))
    assert {"torch._utils._rebuild_tensor_v3", "torch.storage.UntypedStorage", "torch.float8_e4m3fn"} <= imports


@pytest.mark.parametrize(("name", "fmt", "finding"), [
    ("script_cuda.pt", "torchscript", "torchscript.code"),
    ("export_cuda.pt2", "pt2", "pt2.program"),
])
def test_program_archives_written_on_a_gpu_are_code(name: str, fmt: str, finding: str) -> None:
    r = scan_file(HERE / name)
    assert (r.verdict, r.format) == ("suspicious", fmt)
    assert finding in {f.id for f in r.findings}
