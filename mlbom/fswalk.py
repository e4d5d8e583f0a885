"""The one folder walker: ``mlbom scan`` and ``mlbom generate`` (models and datasets) list the
files of a folder with :func:`walk_files` and follow one symlink rule.

Rule: a symbolic link is followed only when its target stays inside the walked folder (or,
when the folder is — or lies inside — a Hugging Face cache snapshot, inside that repository's
folder, whose ``blobs/`` huggingface_hub's relative links ``../../blobs/<etag>`` point into); a
link that leaves, dangles or loops is a finding and is never opened. The walker decides this
from the folder's resolved path and the layout on disk (:func:`cache_repo_of`), so ``scan``,
``manifest build`` and ``generate`` follow the same links without being told.

A Hugging Face cache repository folder (``models--…``, ``datasets--…``, ``spaces--…`` holding
real ``blobs/`` and ``snapshots/`` folders, :func:`is_cache_repo`) is walked through its
snapshots: every ``snapshots/<commit>/`` (a loader may be pointed at any cached revision) with
each file under the name a loader opens it by. Its bookkeeping folders are skipped, each with
an ``info`` finding: ``blobs/`` (the same bytes under etag names; what a snapshot links to is
read through the link, an unlinked blob is opened by no loader), ``refs/`` (text naming a
commit) and ``.no_exist/`` (empty markers meaning "this repository has NO such file",
huggingface_hub's ``_CACHED_NO_EXIST``); so is the hub folder's ``.locks/`` (empty lock files),
in a folder holding such a repository. FIFOs, devices and
sockets are findings and are never opened. ``.git`` folders are skipped (git's object store,
zlib-compressed, is no model content), each with an ``info`` finding ``files.skipped-folder``
naming it: nothing in it is judged, so what reaches into it is a finding where the reference
is read (``code.remote`` for an ``auto_map`` naming it, ``sharded.path-outside`` for a shard
name). ``__pycache__`` is walked: ``import`` runs a ``.pyc`` found there (an unchecked-hash one
without reading its source).
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from mlbom.model import Finding

MAX_FILES = 100_000
SKIPPED_FOLDERS = frozenset({".git"})  # folder names never walked (each one an info finding)
SKIPPED = "files.skipped-folder"


# a Hugging Face hub cache repository folder's name (huggingface_hub's repo_folder_name:
# f"{repo_type}s--{repo_id.replace('/', '--')}"; a repo id may have no organisation)
_CACHE_REPO_NAME = re.compile(r"(?:models|datasets|spaces)--.+")
# its bookkeeping folders (huggingface_hub file_download.py), never model content: skipped
CACHE_BOOKKEEPING = {
    "blobs": "the Hugging Face cache's blob store (each file read through its snapshot link, by the name a "
             "loader opens; a blob no snapshot links to is opened by no loader)",
    "refs": "the Hugging Face cache's refs (text naming a commit)",
    ".no_exist": "the Hugging Face cache's markers of files the repository does NOT have (_CACHED_NO_EXIST)",
}
# the hub folder's lock files (huggingface_hub's WeakFileLock: .locks/<repo folder>/<etag>.lock)
HUB_LOCKS = ".locks"
_HUB_LOCKS_WHY = "the Hugging Face cache's lock files"


def _real_dir(p: Path) -> bool:
    return not p.is_symlink() and p.is_dir()


def is_cache_repo(folder: Path) -> bool:
    """Whether ``folder`` is laid out as a Hugging Face hub cache repository: named
    ``models--…``/``datasets--…``/``spaces--…`` and holding real (not linked) ``blobs/`` and
    ``snapshots/`` folders."""
    return (_CACHE_REPO_NAME.fullmatch(folder.name) is not None
            and _real_dir(folder / "blobs") and _real_dir(folder / "snapshots"))


def cache_repo_of(real_root: Path) -> Path | None:
    """The cache repository folder a resolved walk root may link into: the one whose
    ``snapshots/`` folder is the root or one of its parents; ``None`` elsewhere. (The whole
    repository folder, not only ``blobs/``: a walk of the repository folder itself follows the
    same links, so a snapshot and its repository are read alike.)"""
    for folder in (real_root, *real_root.parents):
        if folder.name == "snapshots" and is_cache_repo(folder.parent):
            return folder.parent
    return None


def _allowed(real_root: Path) -> list[Path]:
    repo = cache_repo_of(real_root)
    return [real_root] if repo is None else [real_root, repo]


def _skipped(rel: str, why: str | None = None) -> Finding:
    name = rel.rsplit('/', 1)[-1]
    return Finding(id=SKIPPED, severity="info", source=rel,
                   message=f"{rel}: {why or f'a {name} folder'}: not walked, nothing in it is judged "
                   "(a config naming code or shards inside it is a finding of its own)")


def _skip_reason(folder: str, name: str, cache: list[bool | None]) -> str | None:
    """Why the sub-folder ``name`` of ``folder`` is not walked (``cache`` holds whether
    ``folder`` is a cache repository, decided once per folder), or ``None``."""
    if name in SKIPPED_FOLDERS:
        return f"a {name} folder"
    if name in CACHE_BOOKKEEPING:
        if cache[0] is None:
            cache[0] = is_cache_repo(Path(folder))
        if cache[0]:
            return CACHE_BOOKKEEPING[name]
    if name == HUB_LOCKS and _is_hub(Path(folder)):
        return _HUB_LOCKS_WHY
    return None


def _is_hub(folder: Path) -> bool:
    """Whether ``folder`` holds a Hugging Face cache repository (the hub cache folder)."""
    try:
        with os.scandir(folder) as it:
            return any(_CACHE_REPO_NAME.fullmatch(e.name) is not None and e.is_dir(follow_symlinks=False)
                       and is_cache_repo(Path(e.path)) for e in it)
    except OSError:
        return False


def shown_name(path: str) -> str:
    """A path as text a BOM can hold. The walk keeps bytes of a file name that are not UTF-8
    as surrogate escapes (``os.fsdecode``; a manifest writes them as ``\\udcNN`` and they
    round-trip), which no BOM component can hold: here each such byte is written ``\\xNN``
    (``bad\\xffname.txt``). Unchanged for every name that is valid UTF-8."""
    if path.isascii():
        return path
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path


class FileRun(NamedTuple):
    """Consecutive files of one folder in walk order: ``names[lo:hi]`` of the folder's regular
    files (``names`` is the folder's whole sorted list of files, shared by its runs; a folder's
    files are cut into runs only where a sub-folder sorts between them). ``folder`` is the
    folder's path as walked, ``prefix`` the files' relative path before their name ("" or
    ending in ``/``). The unit of the hash cache's per-folder records."""

    folder: str
    prefix: str
    names: list[str]
    lo: int
    hi: int

    def base(self) -> str:
        """The folder's path with a separator: a file's path is ``base + name``."""
        return self.folder if self.folder.endswith("/") else self.folder + "/"

    def items(self) -> Iterator[tuple[str, str]]:
        """``(relative path, path)`` of the run's files."""
        prefix, base = self.prefix, self.base()
        for name in self.names[self.lo:self.hi]:
            yield prefix + name, base + name


def iter_files(root: Path, *, on_finding: Callable[[Finding], None] | None = None) -> Iterator[tuple[str, str]]:
    """Stream ``(relative path, path)`` for the regular files under ``root`` in code-point order
    of the relative path (the order of :func:`mlbom.hashing.tree_digest` and of a manifest),
    under the same link rule as :func:`walk_files`; what is not read goes to ``on_finding``
    (``source`` relative to ``root``). Not bounded in the number of files: the caller bounds
    what it keeps. Memory is one sorted listing per open folder level, so a million files stream."""
    for run in iter_runs(root, on_finding=on_finding):
        yield from run.items()


def iter_runs(root: Path, *, on_finding: Callable[[Finding], None] | None = None) -> Iterator[FileRun]:
    """:func:`iter_files` as :class:`FileRun` s: the same files in the same order, a folder's
    files at a time (one Python step per folder, not per file, for those who can use it).

    Order: a folder's entries are sorted by name, a sub-folder's name with ``/`` appended, which
    is exactly the order of the full relative paths (``a.txt`` < ``a/b`` since ``.`` < ``/``);
    the files between two sub-folders are one run."""
    real_root = root.resolve()
    allowed = _allowed(real_root)
    seen_dirs: set[Path] = {real_root}
    report = on_finding or (lambda f: None)

    def listing(folder: str, prefix: str) -> Iterator[FileRun | tuple[str, str]]:
        """The folder's runs of files and its sub-folders (path, relative path + ``/``), in walk
        order. Once per file of a dataset: a regular file is recognised first, by one call on
        the entry, and kept as its name only."""
        try:
            with os.scandir(folder) as it:
                raw = list(it)
        except OSError as exc:
            report(Finding(id="files.unreadable-folder", severity="high", message=f"{folder}: cannot list: {exc.strerror}",
                           source=prefix.rstrip("/") or "."))
            return iter(())
        # a regular file (not a link) is the common case: recognised by one call on its entry
        names = [e.name for e in raw if e.is_file(follow_symlinks=False)]
        add_name = names.append
        dirs: list[tuple[str, str, str]] = []
        cache: list[bool | None] = [None]
        others = [e for e in raw if not e.is_file(follow_symlinks=False)] if len(names) < len(raw) else []
        for e in others:  # links, folders, the rest
            name = e.name
            rel = prefix + name
            if e.is_symlink():
                p = Path(e.path)
                try:
                    target = p.resolve(strict=True)
                except (OSError, RuntimeError) as exc:
                    loops = "loop" in str(exc).lower() or isinstance(exc, RuntimeError)
                    report(Finding(id=f"files.symlink-{'loop' if loops else 'dangling'}", severity="medium",
                                   message=f"{rel}: symbolic link {'loops' if loops else 'dangles'}; not read", source=rel))
                    continue
                if not any(target.is_relative_to(a) for a in allowed):
                    report(Finding(id="files.symlink-escape", severity="high",
                                   message=f"{rel}: symbolic link leaves the folder (to {target}); not read", source=rel))
                    continue
                if target.is_dir():
                    if target in seen_dirs:
                        continue
                    seen_dirs.add(target)
                    dirs.append((name + "/", e.path, rel + "/"))
                elif target.is_file():
                    add_name(name)
                else:  # a link to a FIFO, device or socket: hashing it would block
                    report(Finding(id="files.not-regular", severity="medium",
                                   message=f"{rel}: links to a FIFO, device or socket; not opened", source=rel))
            elif e.is_dir(follow_symlinks=False):
                if (why := _skip_reason(folder, name, cache)) is not None:
                    report(_skipped(rel, why))
                else:
                    dirs.append((name + "/", e.path, rel + "/"))
            else:
                report(Finding(id="files.not-regular", severity="medium",
                               message=f"{rel}: FIFO, device or socket; not opened", source=rel))
        del raw, others
        names.sort()  # names are unique in a folder, and none equals a sub-folder's "name/"
        dirs.sort()
        out: list[FileRun | tuple[str, str]] = []
        lo = 0
        for key, path, rel in dirs:  # the files that sort before each sub-folder are one run
            hi = bisect.bisect_left(names, key, lo)
            if hi > lo:
                out.append(FileRun(folder, prefix, names, lo, hi))
            out.append((path, rel))
            lo = hi
        if len(names) > lo:
            out.append(FileRun(folder, prefix, names, lo, len(names)))
        return iter(out)

    stack = [listing(str(root), "")]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif type(item) is FileRun:
            yield item
        else:
            stack.append(listing(*item))


def walk_files(root: Path) -> tuple[list[Path], list[Finding]]:
    """Regular files under ``root``, sorted, and findings (``source`` is the path relative to
    ``root``) for what was not read."""
    files: list[Path] = []
    findings: list[Finding] = []
    real_root = root.resolve()
    allowed = _allowed(real_root)
    seen_dirs: set[Path] = {real_root}
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name, reverse=True)
        except OSError as exc:
            findings.append(Finding(id="files.unreadable-folder", severity="high",
                                    message=f"{d}: cannot list: {exc.strerror}",
                                    source=Path(d).relative_to(root).as_posix()))
            continue
        cache: list[bool | None] = [None]
        for e in entries:
            p = Path(e.path)
            rel = p.relative_to(root).as_posix()
            if e.is_symlink():
                try:
                    target = p.resolve(strict=True)
                except (OSError, RuntimeError) as exc:
                    loops = "loop" in str(exc).lower() or isinstance(exc, RuntimeError)
                    findings.append(Finding(id=f"files.symlink-{'loop' if loops else 'dangling'}", severity="medium",
                                            message=f"{rel}: symbolic link {'loops' if loops else 'dangles'}; not read",
                                            source=rel))
                    continue
                if not any(target.is_relative_to(a) for a in allowed):
                    findings.append(Finding(id="files.symlink-escape", severity="high",
                                            message=f"{rel}: symbolic link leaves the folder (to {target}); not read",
                                            source=rel))
                    continue
                if target.is_dir():
                    if target in seen_dirs:
                        continue
                    seen_dirs.add(target)
                    stack.append(p)
                    continue
                if not target.is_file():  # a link to a FIFO, device or socket: hashing it would block
                    findings.append(Finding(id="files.not-regular", severity="medium",
                                            message=f"{rel}: links to a FIFO, device or socket; not opened", source=rel))
                    continue
                files.append(p)
            elif e.is_dir(follow_symlinks=False):
                if (why := _skip_reason(str(d), e.name, cache)) is not None:
                    findings.append(_skipped(rel, why))
                    continue
                stack.append(p)
            elif e.is_file(follow_symlinks=False):
                files.append(p)
            else:
                findings.append(Finding(id="files.not-regular", severity="medium",
                                        message=f"{rel}: FIFO, device or socket; not opened", source=rel))
            if len(files) > MAX_FILES:
                findings.append(Finding(id="files.too-many-files", severity="high",
                                        message=f"more than {MAX_FILES} files; the rest is not inventoried"))
                return sorted(files), findings
    return sorted(files), findings
