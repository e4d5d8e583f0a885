"""The one folder walker: ``mlbom scan`` and ``mlbom generate`` (models and datasets) list the
files of a folder with :func:`walk_files` and follow one symlink rule.

Rule: a symbolic link is followed only when its target stays inside the walked folder (or,
for a Hugging Face cache snapshot, inside the repository's folder, where the blobs live); a
link that leaves, dangles or loops is a finding and is never opened. FIFOs, devices and
sockets are findings and are never opened. ``.git`` and ``__pycache__`` folders are skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

from mlbom.model import Finding

MAX_FILES = 100_000


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
                if e.name in (".git", "__pycache__"):
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
