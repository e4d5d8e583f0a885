"""The options the model and dataset collectors declare for file manifests and the hash cache
(declared once here, identically by both: :func:`mlbom.collectors.declared_options` requires it)."""

from __future__ import annotations

from pathlib import Path

from mlbom.collectors import Option

DEFAULT_MAX_FILE_COMPONENTS = 1000

MANIFEST_OPTIONS: tuple[Option, ...] = (
    Option("max_file_components", int,
           "A model or dataset with more files than this lists them in a file manifest beside the BOM instead of one "
           "component per file (0: always a manifest; docs/manifests.md).", DEFAULT_MAX_FILE_COMPONENTS),
    Option("manifest_dir", Path, "Write file manifests into this folder [default: the folder of -o, else the current one]."),
    Option("compress_manifests", bool, "Write file manifests gzip-compressed (.jsonl.gz).", False),
    Option("cache_dir", Path, "Folder of the hash cache (SQLite) [default: $XDG_CACHE_HOME/mlbom or ~/.cache/mlbom]."),
    Option("no_cache", bool, "Hash every file; neither read nor write the hash cache.", False),
)


def check_max(value: int) -> int:
    """``--max-file-components`` must not be negative."""
    if value < 0:
        from mlbom.errors import UsageError

        raise UsageError(f"must be 0 or more, not {value}", option="max_file_components", value=str(value))
    return value


__all__ = ["DEFAULT_MAX_FILE_COMPONENTS", "MANIFEST_OPTIONS", "Path", "check_max"]
