"""The installed distributions on a path: the record read from each metadata folder and the
folders found, in the order the import system sees them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from packaging.utils import NormalizedName

from mlbom.errors import InputError
from mlbom.formats import pymeta
from mlbom.formats.safe_read import read_bounded
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


_PSEUDO_FILE_SYSTEMS = ("proc", "sys", "dev")


@lru_cache(maxsize=256)
def _real_folder(folder: str) -> str:
    return os.path.join(os.path.realpath(folder), "")


def outside_file(path: Path, roots: Sequence[Path], where: str) -> str | None:
    """Why the small file ``path`` an environment collector reads (a distribution's metadata
    file, ``pyvenv.cfg``, a ``.pth``) is not read, or None: once resolved it must lie inside
    one of the folders ``roots`` (each resolved too: a folder that is itself a link into a
    store, as Nix lays out site-packages, is read where it lies) and never in ``/proc``,
    ``/sys``, ``/dev`` (red team 119ps-2: ``INSTALLER -> /proc/self/environ`` put 4 KB of
    mlbom's environment, CI secrets included, into the BOM; 120p-1: ``pyvenv.cfg`` linked out
    of the project had its ``version`` quoted in a finding). ``where`` names the roots in the
    reason. A file that is no regular file is refused by :func:`read_bounded` itself. The one
    rule for every such file (no second copy)."""
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):  # pragma: no cover - a path realpath cannot take
        return "its path cannot be resolved (not read)"
    parts = Path(real).parts
    if len(parts) > 1 and parts[0] == os.sep and parts[1] in _PSEUDO_FILE_SYSTEMS:
        return f"symbolic link into /{parts[1]}, the system's files (not read)"
    here = os.path.join(real, "")
    if not any(here.startswith(_real_folder(os.path.abspath(r))) for r in roots):  # (absolute: the cache outlives a chdir)
        return f"symbolic link to outside {where} (not read)"
    return None


def read_inside(path: Path, limit: int, roots: Sequence[Path], where: str, *, head: bool = False) -> bytes:
    """At most ``limit`` bytes of ``path`` (:func:`read_bounded`), or an :class:`InputError`
    saying why it is not read (:func:`outside_file`)."""
    if (why := outside_file(path, roots, where)) is not None:
        raise InputError(path, why)
    return read_bounded(path, limit, head=head)


def outside_dist(path: Path, ddir: Path, site: Path) -> str | None:
    """Why the file ``path`` of the distribution metadata folder ``ddir`` (on ``site``) is not
    read, or None (:func:`outside_file`): it must stay inside ``ddir`` or ``site``. An
    egg-info *file* must lie on ``site``."""
    return outside_file(path, [site, *([ddir] if ddir.is_dir() else [])],
                        "its distribution folder and site-packages")


def read_dist_file(path: Path, limit: int, ddir: Path, site: Path) -> bytes:
    """At most ``limit`` bytes of the file ``path`` of the distribution folder ``ddir`` (on
    ``site``) (:func:`read_bounded`), or an :class:`InputError` saying why it is not read
    (:func:`outside_dist`)."""
    if (why := outside_dist(path, ddir, site)) is not None:
        raise InputError(path, why)
    return read_bounded(path, limit)


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
