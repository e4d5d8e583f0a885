"""Walking a model or dataset folder safely, and checks shared by the model and dataset
collectors."""

from __future__ import annotations

import os
import re
from pathlib import Path

from mlbom.model import Finding

MAX_FILES = 100_000
_BLOB = re.compile(r"^[0-9a-f]{64}$")


def walk_files(root: Path, *, hf_repo: bool = False) -> tuple[list[Path], list[Finding]]:
    """Regular files under ``root``, sorted; symlinks followed only inside ``root`` (or, for a
    Hugging Face cache snapshot, inside its repository folder, where blobs live); links that
    loop, dangle or leave are findings, never read."""
    files: list[Path] = []
    findings: list[Finding] = []
    real_root = root.resolve()
    allowed = [real_root] + ([real_root.parent.parent] if hf_repo else [])
    seen_dirs: set[Path] = set()
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name, reverse=True)
        except OSError as exc:
            findings.append(Finding(id="files.unreadable-folder", severity="high",
                                    message=f"{d}: cannot list: {exc.strerror}"))
            continue
        for e in entries:
            p = Path(e.path)
            if e.is_symlink():
                rel = p.relative_to(root).as_posix()
                try:
                    target = p.resolve(strict=True)
                except (OSError, RuntimeError) as exc:
                    kind = "loops" if "loop" in str(exc).lower() or isinstance(exc, RuntimeError) else "dangles"
                    findings.append(Finding(id=f"files.symlink-{'loop' if kind == 'loops' else 'dangling'}",
                                            severity="medium", message=f"{rel}: symbolic link {kind}; not read"))
                    continue
                if not any(target.is_relative_to(a) for a in allowed):
                    findings.append(Finding(id="files.symlink-escape", severity="high",
                                            message=f"{rel}: symbolic link leaves the folder (to {target}); not read"))
                    continue
                if target.is_dir():
                    if target in seen_dirs:
                        continue
                    seen_dirs.add(target)
                    stack.append(p)
                    continue
                files.append(p)
                continue
            if e.is_dir(follow_symlinks=False):
                if e.name in (".git", "__pycache__"):
                    continue
                stack.append(p)
            elif e.is_file(follow_symlinks=False):
                files.append(p)
            if len(files) > MAX_FILES:
                findings.append(Finding(id="files.too-many-files", severity="high",
                                        message=f"more than {MAX_FILES} files; the rest is not inventoried"))
                return sorted(files), findings
    return sorted(files), findings


def hf_blob_finding(path: Path, sha256: str | None, subject: str) -> Finding | None:
    """In a Hugging Face cache, LFS files are blobs named by their SHA-256: a file whose
    content does not match its blob name has been modified after download."""
    if sha256 is None or not path.is_symlink():
        return None
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if target.parent.name != "blobs" or not _BLOB.match(target.name) or target.name == sha256:
        return None
    return Finding(id="files.hf-blob-mismatch", severity="high",
                   message=f"{path.name}: content sha256 {sha256} differs from its cache blob name {target.name}",
                   subject=subject)
