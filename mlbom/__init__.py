"""mlbom: signed CycloneDX ML-BOMs for ML releases.

The library API the CLI wraps::

    import mlbom
    bom = mlbom.generate("path/to/release", env=".venv", reproducible=True)
    data = mlbom.dumps(bom, "json")
    report = mlbom.validate(data)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlbom.version import __version__

if TYPE_CHECKING:  # the names below are imported lazily, so `mlbom scan` starts fast
    from mlbom.collectors import ByteProgress
    from mlbom.cyclonedx.build import dumps
    from mlbom.cyclonedx.validate import ValidationReport
    from mlbom.errors import InputError, MlbomError, UsageError, VerificationError
    from mlbom.inventory import Inputs
    from mlbom.model import Bom, Component, Finding, Relation, Unreadable
    from mlbom.scanner import FileScan, scan
    from mlbom.signing import VerificationResult, sign, verify

_LAZY = {
    "dumps": "mlbom.cyclonedx.build",
    "load": "mlbom.reader",
    "loads": "mlbom.reader",
    "LoadedBom": "mlbom.reader",
    "ValidationReport": "mlbom.cyclonedx.validate",
    "InputError": "mlbom.errors",
    "MlbomError": "mlbom.errors",
    "UsageError": "mlbom.errors",
    "VerificationError": "mlbom.errors",
    "Inputs": "mlbom.inventory",
    "Bom": "mlbom.model",
    "Component": "mlbom.model",
    "Finding": "mlbom.model",
    "Relation": "mlbom.model",
    "Unreadable": "mlbom.model",
    "FileScan": "mlbom.scanner",
    "scan": "mlbom.scanner",
    "sign": "mlbom.signing",
    "verify": "mlbom.signing",
    "VerificationResult": "mlbom.signing",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mlbom' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


StrPath = str | PathLike[str]

__all__ = [
    "Bom",
    "Component",
    "FileScan",
    "Finding",
    "InputError",
    "Inputs",
    "LoadedBom",
    "MlbomError",
    "Relation",
    "Unreadable",
    "UsageError",
    "ValidationReport",
    "VerificationError",
    "VerificationResult",
    "__version__",
    "dumps",
    "generate",
    "load",
    "loads",
    "scan",
    "sign",
    "validate",
    "verify",
]


def _paths(value: StrPath | Sequence[StrPath] | None) -> tuple[Path, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, PathLike)):
        return (Path(value),)
    return tuple(Path(v) for v in value)


def generate(
    project_dir: StrPath | None = None,
    *,
    env: StrPath | Sequence[StrPath] | None = None,
    requirements: StrPath | Sequence[StrPath] | None = None,
    locks: StrPath | Sequence[StrPath] | None = None,
    models: StrPath | Sequence[StrPath] | None = None,
    datasets: StrPath | Sequence[StrPath] | None = None,
    name: str | None = None,
    version: str | None = None,
    spec_version: str = "1.6",
    reproducible: bool = False,
    verify_record: bool | None = None,
    gpu: bool | None = None,
    gpu_recording: StrPath | None = None,
    include_hardware_ids: bool | None = None,
    cuda_nvcc: bool | None = None,
    options: Mapping[str, object] | None = None,
    progress: Callable[[str], None] | None = None,
    bytes_progress: ByteProgress | None = None,
) -> Bom:
    """Inventory a release and return its :class:`Bom` (not yet serialized).

    ``project_dir`` is searched for environments, requirement and lock files; explicit
    inputs of a kind replace discovery of that kind. Raises :class:`InputError` for a named
    input that cannot be used. Does not write files and does not reach the network.

    ``options`` configures the collectors by the options they declare
    (:func:`mlbom.collectors.declared_options`); the keywords ``verify_record``, ``gpu``,
    ``gpu_recording``, ``include_hardware_ids`` and ``cuda_nvcc`` are short for those options.
    ``gpu`` adds this host's NVIDIA driver, GPUs and CUDA toolkit; ``gpu_recording`` takes
    driver and GPUs from an NVML recording of another host instead (and implies ``gpu``).
    Left as ``None``, a setting comes from ``PROJECT_DIR/mlbom.toml`` (:mod:`mlbom.config`),
    else the collector's default. ``progress`` receives status lines; ``bytes_progress`` opens a
    byte-counting bar for each long hash (:meth:`mlbom.collectors.Context.progress_bytes`).
    """
    from mlbom.config import project_settings

    values: dict[str, object] = dict(options or {})
    for key, given in (("verify_record", verify_record), ("gpu", gpu), ("gpu_recording", gpu_recording),
                       ("include_hardware_ids", include_hardware_ids), ("cuda_nvcc", cuda_nvcc)):
        if given is not None:
            values[key] = given
    if project_dir is not None and Path(project_dir).is_dir():
        for key, value in project_settings(Path(project_dir)).options().items():
            if values.get(key) is None:
                values[key] = value
    from mlbom.inventory import Inputs
    from mlbom.inventory import generate as _generate

    inputs = Inputs(
        project_dir=Path(project_dir) if project_dir is not None else None,
        envs=_paths(env), requirements=_paths(requirements), locks=_paths(locks),
        models=_paths(models), datasets=_paths(datasets),
    )
    return _generate(inputs, name=name, version=version, spec_version=spec_version,
                     reproducible=reproducible, options=values, progress=progress, bytes_progress=bytes_progress)


def validate(data: bytes | StrPath) -> ValidationReport:
    """Validate a BOM (bytes, or a path to a JSON/XML file) against the bundled official
    schema of its own spec version, plus referential checks. Raises :class:`InputError` for
    something that is not a CycloneDX BOM of a supported version."""
    from mlbom.cyclonedx.document import read_bytes
    from mlbom.cyclonedx.validate import validate_bytes

    if isinstance(data, bytes):
        return validate_bytes(data)
    return validate_bytes(read_bytes(str(data)), name=str(data))
