"""Checks shared by the model and dataset collectors; the folder walker itself is
:func:`mlbom.fswalk.walk_files` (shared with ``mlbom scan``)."""

from __future__ import annotations

import re
from pathlib import Path

from mlbom.fswalk import MAX_FILES, walk_files
from mlbom.model import Finding

__all__ = ["MAX_FILES", "hf_blob_finding", "walk_files"]

_BLOB = re.compile(r"^[0-9a-f]{64}$")


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
