"""Per-release settings in ``PROJECT_DIR/mlbom.toml``, so that a release says once how its BOM
is made and every pipeline run makes it the same way::

    [generate]
    gpu = true                            # inventory the build host's driver, GPUs, CUDA toolkit
    gpu-recording = "deploy-host.json"    # or: the host the release runs on, recorded there
    include-hardware-ids = false
    cuda-nvcc = false                     # run the toolkit's nvcc --version (it is a program of the toolkit)
    verify-record = true
    max-file-components = 5000

The keys of ``[generate]`` are the options the collectors declare
(:class:`mlbom.collectors.Option`), spelt as their ``generate`` flags without the dashes; a
path is relative to ``PROJECT_DIR``. A ``[policy]`` table (``[policy.licenses]``,
``[[policy.exceptions]]``, …) holds the release gate's policy; :mod:`mlbom.policy.config`
reads and validates it (docs/policy.md).

Command-line options win over the file. Unknown keys are an error, not ignored: a misspelt
setting that silently did nothing would be worse than none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mlbom.errors import InputError
from mlbom.formats.safe_read import load_toml, read_bounded
from mlbom.limits import MAX_SMALL_JSON

FILE = "mlbom.toml"


@dataclass(frozen=True)
class Settings:
    """The ``[generate]`` settings given, as collector options (name → value)."""

    values: dict[str, object] = field(default_factory=dict)

    def options(self) -> dict[str, object]:
        return dict(self.values)

    @property
    def gpu(self) -> bool | None:
        value = self.values.get("gpu")
        return value if isinstance(value, bool) else None

    @property
    def gpu_recording(self) -> Path | None:
        value = self.values.get("gpu_recording")
        return value if isinstance(value, Path) else None


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
    from mlbom.collectors import declared_options
    from mlbom.collectors.registry import builtin_collectors

    known = {o.cli_flag.removeprefix("--"): o for o in declared_options(builtin_collectors())}
    values: dict[str, object] = {}
    for key, value in gen.items():
        option = known.get(key)
        if option is None:
            raise InputError(path, f"unknown setting generate.{key} (known: {', '.join(sorted(known))})")
        want = str if option.type is Path else option.type
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise InputError(path, f"generate.{key} must be a {want.__name__}")
        if option.type is Path and (not str(value).strip() or "\x00" in str(value)):
            # a NUL reached the collectors and dropped every dataset at exit 0 (red team 49p-3)
            raise InputError(path, f"generate.{key}: not a usable path ({ascii(value)[:80]})")
        values[option.name] = project_dir / value if isinstance(value, str) and option.type is Path else value
    return Settings(values)
