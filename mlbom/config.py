"""Per-release settings in ``PROJECT_DIR/mlbom.toml``, so that a release says once how its BOM
is made and every pipeline run makes it the same way::

    [generate]
    gpu = true                            # inventory the build host's driver, GPUs, CUDA toolkit
    gpu-recording = "deploy-host.json"    # or: the host the release runs on, recorded there
    include-hardware-ids = false
    cuda-nvcc = false                     # run the toolkit's nvcc --version (it is a program of the toolkit)

A ``[policy]`` table (``[policy.licenses]``, ``[[policy.exceptions]]``, …) holds the release
gate's policy; :mod:`mlbom.policy.config` reads and validates it (docs/policy.md).

Command-line options win over the file. Unknown keys are an error, not ignored: a misspelt
setting that silently did nothing would be worse than none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlbom.errors import InputError
from mlbom.formats.safe_read import load_toml, read_bounded
from mlbom.limits import MAX_SMALL_JSON

FILE = "mlbom.toml"
_KEYS = {"gpu": bool, "gpu-recording": str, "include-hardware-ids": bool, "cuda-nvcc": bool}


@dataclass(frozen=True)
class Settings:
    gpu: bool | None = None
    gpu_recording: Path | None = None
    include_hardware_ids: bool | None = None
    cuda_nvcc: bool | None = None

    def options(self) -> dict[str, object]:
        """The settings given, as collector options (name → value)."""
        given = {"gpu": self.gpu, "gpu_recording": self.gpu_recording,
                 "include_hardware_ids": self.include_hardware_ids, "cuda_nvcc": self.cuda_nvcc}
        return {k: v for k, v in given.items() if v is not None}


def project_settings(project_dir: Path) -> Settings:
    path = project_dir / FILE
    if not path.is_file():
        return Settings()
    doc, _ = load_toml(read_bounded(path, MAX_SMALL_JSON), path)
    unknown_tables = sorted(set(doc) - {"generate", "policy"})  # [policy]: mlbom.policy.config reads it
    if unknown_tables:
        raise InputError(path, f"unknown table [{unknown_tables[0]}] (mlbom reads [generate] and [policy])")
    gen = doc.get("generate", {})
    if not isinstance(gen, dict):
        raise InputError(path, "[generate] must be a table")
    for key, value in gen.items():
        if key not in _KEYS:
            raise InputError(path, f"unknown setting generate.{key} (known: {', '.join(sorted(_KEYS))})")
        if not isinstance(value, _KEYS[key]):
            raise InputError(path, f"generate.{key} must be a {_KEYS[key].__name__}")
    rec = gen.get("gpu-recording")
    return Settings(gpu=gen.get("gpu"), gpu_recording=(project_dir / rec) if isinstance(rec, str) else None,
                    include_hardware_ids=gen.get("include-hardware-ids"), cuda_nvcc=gen.get("cuda-nvcc"))
