"""Hugging Face cache snapshots: whether a folder's claim to be ``ORG/NAME@REVISION`` rests on
more than its name (red team 10c S1).

huggingface_hub (``file_download.py``) lays a cached repository out as
``<cache>/models--ORG--NAME/{blobs,refs,snapshots}`` (``datasets--`` for datasets):
``blobs/<etag>`` holds each file once, named by its etag (the SHA-256 of an LFS file, the git
blob SHA-1 of any other), and ``snapshots/<commit>/<path>`` is a symbolic link to
``../../blobs/<etag>``. Anyone can make a folder with such a name, so the name alone proves
nothing: the identity is taken (purl, group, version) only when the layout holds —

- the input is the snapshot folder itself, inside ``snapshots/`` of a repository folder that
  also holds ``blobs/`` (real folders, not links);
- every file of the snapshot is a symbolic link into that repository's ``blobs/``, to a blob
  whose name is the digest of the content the scan hashed (SHA-256, or for a 40-hex name the
  git blob SHA-1, computed from bytes whose SHA-256 is the one recorded);
- the walk left nothing unread (no link that leaves, dangles or loops).

Otherwise the folder name is only a label: no purl, group or version comes from it, and a
``*.identity-unverified`` finding says why. A cache written without links (Windows without
developer mode, ``HF_HUB_DISABLE_SYMLINKS``) copies files into the snapshot: there is nothing
that ties their content to a blob name, so such a snapshot is not verified either.

What the layout cannot show, offline: that the content is what the Hub serves for that
repository, or that the commit hash is a real revision of it. Whoever controls the folder can
build a consistent layout for any name; the check rules out a renamed or hand-edited folder,
not a forger who lays out blobs with care. The BOM says how the identity was established
(``mlbom:identity:source``), so a consumer can ask for more.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from mlbom.collectors._files import ChangedSinceHashed, read_recorded
from mlbom.fswalk import shown_name
from mlbom.model import Finding

__all__ = ["GIT_BLOB_LIMIT", "HfSnapshot", "LayoutCheck", "snapshot_of"]

_SNAPSHOT = re.compile(r"(?:^|/)(models|datasets)--([^/]+?)--([^/]+)/snapshots/([0-9a-f]{40})(/.*)?$")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHA1 = re.compile(r"[0-9a-f]{40}")
GIT_BLOB_LIMIT = 10 << 20
"""Largest file the Hub keeps in git rather than LFS (it refuses larger non-LFS files): a
40-hex blob above this size cannot be a genuine git blob, and is not read to check it."""
_SHOWN = 3  # problems named in the finding


@dataclass(frozen=True)
class HfSnapshot:
    """What a folder's path claims: a snapshot of ``org/name`` at ``revision``."""

    kind: str  # "models" or "datasets"
    org: str
    name: str
    revision: str
    repo: Path  # the repository folder (resolved)
    inside: bool  # the input is a folder below the snapshot folder, not the snapshot itself

    @property
    def repo_id(self) -> str:
        return f"{self.org}/{self.name}"


def snapshot_of(path: Path, kind: str) -> HfSnapshot | None:
    """The claim a folder's resolved path makes, when it lies in a ``KIND--ORG--NAME/snapshots/<40 hex>``."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return None
    m = _SNAPSHOT.search(real.as_posix())
    if m is None or m.group(1) != kind:
        return None
    below = m.group(5) or ""
    snapshot = Path(real.as_posix()[:len(real.as_posix()) - len(below)]) if below else real
    return HfSnapshot(kind, m.group(2), m.group(3), m.group(4), snapshot.parent.parent, bool(below.strip("/")))


@dataclass
class LayoutCheck:
    """Collects, file by file as the collector hashes them, why a snapshot's layout does not
    prove its identity; :attr:`verified` when nothing was found."""

    snap: HfSnapshot
    problems: list[str] = field(default_factory=list)
    checked: int = 0

    def __post_init__(self) -> None:
        if self.snap.inside:
            self.problems.append("the folder given is inside a snapshot, not the snapshot itself")
        for sub in ("blobs", "snapshots"):
            p = self.snap.repo / sub
            if p.is_symlink() or not p.is_dir():
                self.problems.append(f"the repository folder has no {sub}/ folder")

    @property
    def verified(self) -> bool:
        return not self.problems and self.checked > 0

    def not_read(self, rel: str) -> None:
        """A file of the snapshot the walk did not read (a link that leaves, dangles or loops)."""
        self.problems.append(f"{shown_name(rel)}: not read")

    def file(self, path: Path, rel: str, sha256: str | None, size: int | None) -> None:
        """One file of the snapshot, with the SHA-256 the collector recorded for it."""
        self.checked += 1
        problem = self._problem(path, sha256, size)
        if problem is not None:
            self.problems.append(f"{shown_name(rel)}: {problem}")

    def _problem(self, path: Path, sha256: str | None, size: int | None) -> str | None:
        if sha256 is None:
            return "no digest recorded"
        if not path.is_symlink():
            return "a copy, not a link into blobs/ (nothing ties its content to a blob name)"
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "its link does not resolve"
        if target.parent != self.snap.repo / "blobs":
            return "links outside the repository's blobs/ folder"
        blob = target.name
        if _SHA256.fullmatch(blob):
            return None if blob == sha256 else f"content SHA-256 {sha256} is not its blob name {blob}"
        if not _SHA1.fullmatch(blob):
            return f"blob name {blob!r} is not an etag (SHA-256 or git SHA-1)"
        if size is None or size > GIT_BLOB_LIMIT:
            return f"blob {blob} names a git blob but the file is larger than {GIT_BLOB_LIMIT} bytes"
        try:
            data = read_recorded(path, GIT_BLOB_LIMIT, sha256)
        except ChangedSinceHashed:
            return "changed since it was hashed"
        except (OSError, ValueError) as exc:
            return f"cannot read ({exc})"
        git = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
        return None if git == blob else f"content git blob SHA-1 {git} is not its blob name {blob}"

    def finding(self, subject: str, source: str) -> Finding | None:
        """``model.identity-unverified`` / ``dataset.identity-unverified``, unless verified."""
        if self.verified:
            return None
        why = self.problems[:_SHOWN] or ["no file to check"]
        more = f" (and {len(self.problems) - _SHOWN} more)" if len(self.problems) > _SHOWN else ""
        kind = "model" if self.snap.kind == "models" else "dataset"
        return Finding(
            id=f"{kind}.identity-unverified", severity="low", subject=subject, source=source,
            message=(f"the folder is named like a Hugging Face cache snapshot of {self.snap.repo_id}@{self.snap.revision}, "
                     f"but its layout does not show it: {'; '.join(why)}{more}. No purl, group or version is taken from "
                     "the folder name"))
