"""The installed distributions on a path: the record read from each metadata folder and the
folders found, in the order the import system sees them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName

from mlbom.errors import InputError
from mlbom.formats import pymeta
from mlbom.formats.safe_zip import open_archive

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
    for entry in _distinct(path, Path.is_dir):
        try:
            children = sorted(entry.iterdir(), key=lambda p: p.name)
        except OSError:
            continue
        found += [(entry, c) for c in children if c.name.lower().endswith(DIST_SUFFIXES)]
    return found


def _distinct(path: list[Path], keep: Callable[[Path], bool]) -> Iterator[Path]:
    """Each entry of ``path`` that ``keep`` accepts, once, in path order (the import system
    reads an entry once)."""
    seen: set[Path] = set()
    for entry in path:
        if entry not in seen and keep(entry):
            seen.add(entry)
            yield entry


def archived_dist_dirs(path: list[Path]) -> list[tuple[Path, list[str]]]:
    """``(archive, folders)`` for every zip (or egg) file on ``path`` whose root holds metadata
    folders, the ones ``importlib.metadata`` lists from it: ``*.dist-info``, ``*.egg-info``, and
    ``EGG-INFO`` in an ``.egg`` (zipimport imports the packages beside them). mlbom does not read
    inside such an archive; the caller reports it as not inventoried (red team 78c-9: a ``.pth``
    naming a zip that held ``bar-2.0.dist-info`` was skipped silently). Only the central directory
    is read (by ``zipfile``, as zipimport and importlib.metadata do), linear in its size; nothing
    is extracted or imported. A file that is no readable zip holds nothing importable and is
    skipped, as the import system skips it."""
    found: list[tuple[Path, list[str]]] = []
    for entry in _distinct(path, Path.is_file):
        try:
            with open_archive(entry) as zf:
                names = zf.namelist()
        except (InputError, OSError):
            continue
        egg = entry.name.lower().endswith(".egg")
        tops = {n.split("/", 1)[0] for n in names}
        folders = sorted(t for t in tops if t.lower().endswith(DIST_SUFFIXES) or (egg and t.lower() == "egg-info"))
        if folders:
            found.append((entry, folders))
    return found
