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
path is relative to ``PROJECT_DIR`` and must stay inside it (red team 122g-2: the project's own
file is input of the checkout, not the user's word; an absolute path, ``~``, a ``..`` that leaves
the folder, or a path through a symbolic link that leaves it is an error, one line; the command
line's ``--cache-dir`` / ``--manifest-dir`` / ``--gpu-recording`` may name any path). A ``[policy]`` table (``[policy.licenses]``,
``[[policy.exceptions]]``, …) holds the release gate's policy; :mod:`mlbom.policy.config`
reads and validates it (docs/policy.md).

Command-line options win over the file. Unknown keys are an error, not ignored: a misspelt
setting that silently did nothing would be worse than none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

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
        if option.type is Path and isinstance(value, str):
            values[option.name] = _inside(project_dir, path, key, value)
        else:
            values[option.name] = value
    return Settings(values)


def _inside(project_dir: Path, path: Path, key: str, value: str) -> Path:
    """``PROJECT_DIR/value``, refused unless it stays inside the project folder, links resolved
    (red team 122g-2: ``cache-dir = "/elsewhere"``, ``manifest-dir = "../x"`` or an in-tree link
    to outside made ``generate`` write outside the checkout)."""
    why = None
    if value.startswith("~"):
        why = "starts with ~"
    elif os.path.isabs(value) or PurePosixPath(value).is_absolute() or value.startswith("\\"):
        why = "is an absolute path"
    if why is None:
        base = os.path.realpath(project_dir)
        real = os.path.realpath(os.path.join(base, value))  # through links, also those not yet there
        if os.path.commonpath([base, real]) != base:
            why = "leaves the project folder" + (" through a symbolic link" if ".." not in PurePosixPath(value).parts else "")
    if why is not None:
        raise InputError(path, f"generate.{key} = {ascii(value)[:80]} {why}: a path in the project's mlbom.toml "
                               f"must stay inside the project folder (--{key} on the command line may name any path)")
    return project_dir / value
