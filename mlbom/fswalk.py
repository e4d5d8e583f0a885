"""The one folder walker: ``mlbom scan`` and ``mlbom generate`` (models and datasets) list the
files of a folder with :func:`walk_files` and follow one symlink rule.

Rule: a symbolic link is followed only when its target stays inside the walked folder (or,
for a Hugging Face cache snapshot, inside the repository's folder, where the blobs live); a
link that leaves, dangles or loops is a finding and is never opened. FIFOs, devices and
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from mlbom.model import Finding

MAX_FILES = 100_000
SKIPPED_FOLDERS = frozenset({".git"})  # folder names never walked (each one an info finding)
SKIPPED = "files.skipped-folder"


def _skipped(rel: str) -> Finding:
    return Finding(id=SKIPPED, severity="info", source=rel,
                   message=f"{rel}: a {rel.rsplit('/', 1)[-1]} folder: not walked, nothing in it is judged "
                   "(a config naming code or shards inside it is a finding of its own)")


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


def iter_files(root: Path, *, hf_repo: bool = False,
               on_finding: Callable[[Finding], None] | None = None) -> Iterator[tuple[str, str]]:
    """Stream ``(relative path, path)`` for the regular files under ``root`` in code-point order
    of the relative path (the order of :func:`mlbom.hashing.tree_digest` and of a manifest),
    under the same link rule as :func:`walk_files`; what is not read goes to ``on_finding``
    (``source`` relative to ``root``). Not bounded in the number of files: the caller bounds
    what it keeps. Memory is one sorted listing per open folder level, so a million files stream."""
    for run in iter_runs(root, hf_repo=hf_repo, on_finding=on_finding):
        yield from run.items()


def iter_runs(root: Path, *, hf_repo: bool = False,
              on_finding: Callable[[Finding], None] | None = None) -> Iterator[FileRun]:
    """:func:`iter_files` as :class:`FileRun` s: the same files in the same order, a folder's
    files at a time (one Python step per folder, not per file, for those who can use it).

    Order: a folder's entries are sorted by name, a sub-folder's name with ``/`` appended, which
    is exactly the order of the full relative paths (``a.txt`` < ``a/b`` since ``.`` < ``/``);
    the files between two sub-folders are one run."""
    real_root = root.resolve()
    allowed = [real_root] + ([real_root.parent.parent] if hf_repo else [])
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
                if name in SKIPPED_FOLDERS:
                    report(_skipped(rel))
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


def walk_files(root: Path, *, hf_repo: bool = False) -> tuple[list[Path], list[Finding]]:
    """Regular files under ``root``, sorted, and findings (``source`` is the path relative to
    ``root``) for what was not read."""
    files: list[Path] = []
    findings: list[Finding] = []
    real_root = root.resolve()
    allowed = [real_root] + ([real_root.parent.parent] if hf_repo else [])
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
                if e.name in SKIPPED_FOLDERS:
                    findings.append(_skipped(rel))
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
