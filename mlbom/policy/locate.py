"""Where a policy violation is shown: the file it is about (relative to the project, under
``base``), else the BOM relative to the working folder. Shared by every renderer
(:mod:`mlbom.policy.output`, :mod:`mlbom.policy.sarif`)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path, PurePosixPath

from mlbom.policy.rules import Result, Violation


def location(v: Violation, result: Result, base: str | None) -> str:
    """Where the violation is shown: the file it is about (under ``base``), else the BOM."""
    if v.location and not v.in_project:
        return bom_path(v.location)
    if v.location:
        rel = PurePosixPath(v.location.replace("\\", "/"))
        return str(PurePosixPath(base) / rel) if base else str(rel)
    return bom_path(result.bom)


def bom_path(bom: str) -> str:
    """The BOM's path relative to the working folder where it lies below it (CI shows it there)."""
    return _relative(bom, os.getcwd())


@lru_cache(maxsize=64)
def _relative(path: str, cwd: str) -> str:
    if path == "-":
        return "-"
    p = Path(path)
    if p.is_absolute():
        try:
            rel = os.path.relpath(p, cwd)
        except ValueError:  # another drive on Windows
            return p.as_posix()
        return Path(rel).as_posix() if not rel.startswith("..") else p.as_posix()
    return p.as_posix()
