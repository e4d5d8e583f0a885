"""Write the inputs of bench_scan.py with torch (run with a Python that has torch and safetensors)."""

import collections
import pickle
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/scanbench")
(out / "big").mkdir(parents=True, exist_ok=True)
(out / "small").mkdir(parents=True, exist_ok=True)
sd = {f"layer{i}.weight": torch.randn(1024, 1024) for i in range(120)}  # ~503 MB of float32
torch.save(sd, out / "big" / "model.pt")
save_file(sd, str(out / "big" / "model.safetensors"))
for i in range(200):
    with open(out / "small" / f"s{i}.pkl", "wb") as f:
        pickle.dump({"step": i, "lr": 1e-3, "hist": list(range(100)), "cfg": collections.OrderedDict(a=1)}, f)
