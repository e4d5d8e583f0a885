"""Write the real CUDA-host checkpoints of ``tests/fixtures/cuda-ckpt`` (run on a machine with an
NVIDIA GPU and a CUDA build of PyTorch; safetensors optional). Every file is written by torch's own
savers from tensors that live on ``cuda:0``; ``MANIFEST.json`` records the versions and which
writers succeeded.

    OUT=/some/dir python tools/record_cuda_checkpoints.py      # writes $OUT/cuda-ckpt/
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

DEV = "cuda"


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.fc(x)))


def _net() -> Net:
    return Net().to(DEV)


def _train_ckpt(p: Path) -> None:
    m = _net()
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
    m(torch.randn(8, 4, device=DEV)).sum().backward()
    opt.step()
    torch.save({"model": m.state_dict(), "optimizer": opt.state_dict(), "epoch": 1, "step": 10}, p)


def _amp_scaler(p: Path) -> None:
    scaler = torch.amp.GradScaler("cuda")
    m = _net()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    with torch.autocast("cuda", dtype=torch.float16):
        loss = m(torch.randn(8, 4, device=DEV)).sum()
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    torch.save({"scaler": scaler.state_dict(), "optimizer": opt.state_dict()}, p)


def _dtypes(p: Path) -> None:
    d = {"bf16": torch.randn(3, 3, device=DEV, dtype=torch.bfloat16),
         "f16": torch.randn(2, device=DEV, dtype=torch.float16),
         "i8": torch.zeros(4, device=DEV, dtype=torch.int8),
         "bool": torch.ones(2, device=DEV, dtype=torch.bool)}
    for name in ("float8_e4m3fn", "float8_e5m2"):
        if hasattr(torch, name):
            d[name] = torch.zeros(4, device=DEV).to(getattr(torch, name))
    d["view"] = d["bf16"][1:]  # shares the bf16 storage at an offset
    torch.save(d, p)


def _export(p: Path) -> None:
    program = torch.export.export(_net().eval(), (torch.randn(2, 4, device=DEV),))
    torch.export.save(program, p)


def _safetensors(p: Path) -> None:
    from safetensors.torch import save_file
    save_file(_net().state_dict(), str(p))


WRITERS: dict[str, Callable[[Path], None]] = {
    "state_dict_cuda.pt": lambda p: torch.save(_net().state_dict(), p),
    "state_dict_cuda_legacy.pt": lambda p: torch.save(_net().state_dict(), p, _use_new_zipfile_serialization=False),
    "train_ckpt_cuda.pt": _train_ckpt,
    "amp_scaler_cuda.pt": _amp_scaler,
    "cuda_rng_state.pt": lambda p: torch.save({"cuda_rng": torch.cuda.get_rng_state_all(),
                                               "cpu_rng": torch.get_rng_state()}, p),
    "dtypes_cuda.pt": _dtypes,
    "whole_module_cuda.pt": lambda p: torch.save(nn.Sequential(nn.Linear(4, 3), nn.ReLU()).to(DEV), p),
    "script_cuda.pt": lambda p: torch.jit.save(torch.jit.script(_net().eval()), p),
    "export_cuda.pt2": _export,
    "state_dict_cuda.safetensors": _safetensors,
}


def main() -> int:
    out = Path(os.environ["OUT"]) / "cuda-ckpt"
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    log: dict[str, Any] = {"torch": torch.__version__, "cuda": torch.version.cuda, "python": sys.version,
                           "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    for name, write in WRITERS.items():
        try:
            write(out / name)
            log[name] = "ok"
        except Exception:  # a writer this torch lacks is recorded, the others still run
            log[name] = traceback.format_exc()[-800:]
    (out / "MANIFEST.json").write_text(json.dumps(log, indent=1))
    print(json.dumps(log, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
