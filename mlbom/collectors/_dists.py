"""The installed distributions on a path: the record read from each metadata folder and the
folders found, in the order the import system sees them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName

from mlbom.formats import pymeta

DIST_SUFFIXES = (".dist-info", ".egg-info")


@dataclass
class Dist:
    dir: Path
    site: Path
    name: str
    canonical: NormalizedName
    version: str | None
    meta: pymeta.CoreMetadata | None
    ref: str = ""
    shadowed: bool = False



def has_dists(folder: Path) -> bool:
    try:
        return any(p.name.lower().endswith(DIST_SUFFIXES) for p in folder.iterdir())
    except OSError:
        return False


def find_dist_dirs(path: list[Path]) -> list[tuple[Path, Path]]:
    """``(site, dist_dir)`` for every ``*.dist-info``/``*.egg-info`` on ``path`` in path order
    (the order the import system would see them), each folder sorted by name."""
    found: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for entry in path:
        if entry in seen or not entry.is_dir():
            continue
        seen.add(entry)
        try:
            children = sorted(entry.iterdir(), key=lambda p: p.name)
        except OSError:
            continue
        found += [(entry, c) for c in children if c.name.lower().endswith(DIST_SUFFIXES)]
    return found

