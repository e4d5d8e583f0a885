"""Pieces shared by the model and dataset collectors: the Hugging Face blob check, and the
choice between one ``file`` component per file and a file manifest (:mod:`mlbom.manifest`)
for folders with more than ``max_file_components`` files. The folder walker itself is
:mod:`mlbom.fswalk` (shared with ``mlbom scan``)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from mlbom.collectors import BaseCollector, Option
from mlbom.errors import InputError, UsageError
from mlbom.formats.safe_read import read_bounded
from mlbom.fswalk import MAX_FILES, FileRun, blob_mismatch, iter_runs, walk_files
from mlbom.identity import url_from_segments
from mlbom.manifest.options import DEFAULT_MAX_FILE_COMPONENTS, MANIFEST_OPTIONS, check_max
from mlbom.model import ExternalReference, Finding, Hash, Property
from mlbom.properties import Prop
from mlbom.refs import ref_part

if TYPE_CHECKING:  # imported where used: a generate without a large folder does not pay for sqlite3 & co
    from mlbom.manifest.cache import HashCache
    from mlbom.manifest.format import Written

__all__ = [
    "MAX_FILES",
    "NOT_READ",
    "ChangedSinceHashed",
    "FolderCollector",
    "ManifestSettings",
    "Walked",
    "hf_blob_finding",
    "manifest_properties",
    "manifest_reference",
    "read_recorded",
    "skipped",
    "unreadable_message",
    "walk_files",
    "walk_streaming",
    "written_reference",
]

# walker findings for what was never read (a link leaving, dangling or looping, a FIFO, a folder
# that cannot be listed, files past the limit): the model or dataset is not judged in full
NOT_READ = frozenset({"files.symlink-escape", "files.symlink-dangling", "files.symlink-loop", "files.symlink-alias",
                      "files.not-regular", "files.unreadable-folder", "files.too-many-files"})


# the parts a model or dataset component's own bom-refs use after '#': its dataset block, model
# card, Croissant sources and base models (and inventory.normalize's #conflict:N)
_OWN_PARTS = frozenset({"data", "modelcard"})
_OWN_PREFIXES = ("source:", "base:", "file:", "conflict:")


def file_ref(owner: str, rel: str) -> str:
    """The bom-ref of the file ``rel`` (as walked: a byte that is not UTF-8 is a surrogate
    escape) of the model or dataset ``owner``: ``owner#rel``; ``owner#file:rel`` where ``rel`` is
    a name the owner's own parts use (``#data``, ``#modelcard``, ``#source:…``, ``#base:…``) or
    starts ``file:``, so no file name makes two components one ref (red team 46p-3: a file named
    ``data`` in a dataset folder). ``rel`` is written with :func:`mlbom.refs.ref_part` (as the
    owner's path is), so no ``#`` in a folder or file name and no name that is not UTF-8 makes
    two components one ref (red team 83c-1, 83c-3)."""
    part = ref_part(rel)
    if rel in _OWN_PARTS or rel.startswith(_OWN_PREFIXES):
        return f"{owner}#file:{part}"
    return f"{owner}#{part}"


def hf_blob_finding(path: Path, sha256: str | None, subject: str) -> Finding | None:
    """In a Hugging Face cache, blobs are named by their etag (the SHA-256 of an LFS file, the
    git blob SHA-1 of any other): a blob — walked directly or through a snapshot link — whose
    content does not match its name was modified or planted after download
    (``files.hf-blob-mismatch``), and one that could not be read to check it is
    ``files.hf-blob-unverified`` (:func:`mlbom.fswalk.blob_mismatch`; red team 21c-1, 23c-1, 23c-2)."""
    check = blob_mismatch(path, sha256)
    if check is None:
        return None
    return Finding(id=check.id, severity="high", message=f"{path.name}: {check.message}", subject=subject)


class ChangedSinceHashed(InputError):
    """A card, config or Croissant file read for its content is not the file the BOM records
    (red team 10c L1)."""


def read_recorded(path: Path, limit: int, recorded: str | None) -> bytes:
    """The bytes of a card, config or Croissant file, only when they are the bytes the BOM
    records: their SHA-256 must be ``recorded``, the digest its scan (or hash pass) took. Read by
    name again after that, the file could be another (swapped or rewritten in between), and what the BOM then
    says (licence, base model, architecture) would come from content it does not record.
    :class:`ChangedSinceHashed` when they differ or no digest was recorded."""
    if recorded is None:
        raise ChangedSinceHashed(path, "no digest recorded for it (unreadable, or changed while it was scanned); "
                                       "its content is not used")
    data = read_bounded(path, limit)
    if hashlib.sha256(data).hexdigest() != recorded:
        raise ChangedSinceHashed(path, "changed between hashing and reading its content (its SHA-256 is not the one "
                                       "recorded); its content is not used")
    return data


# ---- large folders: inline file components or a file manifest (issue #18) ---------------------

@dataclass(frozen=True)
class ManifestSettings:
    """How the model and dataset collectors treat a folder's files: more than ``max_files``
    go to a manifest in ``folder`` (gzip with ``compress``), hashed through ``cache``."""

    max_files: int = DEFAULT_MAX_FILE_COMPONENTS
    folder: Path | None = None
    compress: bool = False
    cache_dir: Path | None = None
    use_cache: bool = True

    def open_cache(self) -> HashCache | None:
        from mlbom.manifest.cache import open_cache

        return open_cache(self.cache_dir, enabled=self.use_cache)

    def manifest_path(self, ref: str, explicit: bool) -> Path:
        """Where the manifest of the component ``ref`` goes: a file name made from the ref."""
        if self.folder is None:
            raise UsageError("this folder has more files than max_file_components, and there is no folder to write its "
                             "manifest into", option="manifest_dir", value="",
                             related=("manifest_dir", "output"),
                             hint="give {manifest_dir} or {output} (the manifest is written beside the BOM)")
        if not self.folder.is_dir():
            raise InputError(self.folder, "manifest folder: no such folder")
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", ref).strip("-.")[:150] or "manifest"
        path = self.folder / (slug + ".manifest.jsonl" + (".gz" if self.compress else ""))
        if path.is_symlink():  # a name mlbom chose, not one the user gave: never written through (122g-2)
            raise InputError(path, "manifest: is a symbolic link; a manifest mlbom names is not written through a "
                                   "link (remove it, or give another manifest folder)")
        return path


@dataclass
class Walked:
    """A folder's files, streamed as :class:`~mlbom.fswalk.FileRun` s: ``head_runs`` hold the
    first ``max_files + 1`` files or more; when ``is_large`` the rest follow in ``rest``. Walk
    findings accumulate in ``findings``."""

    head_runs: list[FileRun]
    rest: Iterator[FileRun]
    findings: list[Finding] = field(default_factory=list)
    rest_pending: bool = False

    @property
    def is_large(self) -> bool:
        return self.rest_pending

    @property
    def empty(self) -> bool:
        """No file at all (a run holds at least one)."""
        return not self.head_runs

    @property
    def head(self) -> list[tuple[str, str]]:
        """The files read ahead, as ``(relative path, path)`` (all of them unless ``is_large``)."""
        return [x for run in self.head_runs for x in run.items()]

    def runs(self) -> Iterator[FileRun]:
        """Every file, streamed a run at a time (leave out the manifest being written with
        :func:`skipped`)."""
        head, self.head_runs = self.head_runs, []  # the caller streams from here on: memory stays flat
        yield from head
        yield from self.rest

    def all(self, *, root: Path | None = None, writing: Path | None = None) -> Iterator[tuple[str, str]]:
        """Every file, streamed. ``writing`` is the manifest being written: when it lies in
        ``root`` (``-o data/bom.json``) it and its temporary file are left out, else the walk
        would hash a file while it is written."""
        skip = skipped(root, writing)
        for run in self.runs():
            yield from ((x for x in run.items() if x[0] not in skip) if skip else run.items())


def skipped(root: Path | None, writing: Path | None) -> frozenset[str]:
    """The relative paths of the manifest ``writing`` and its temporary file when it lies in
    ``root``: left out of the walk (else it would be hashed while it is written)."""
    if root is not None and writing is not None:
        from mlbom.manifest.format import own_paths  # one rule with `mlbom manifest DIR -o DIR/OUT` (96c-3)

        return own_paths(root, writing)
    return frozenset()


def walk_streaming(root: Path, *, max_files: int, top_only: bool = False,
                   leave_out: frozenset[str] = frozenset(), keep_below: frozenset[str] = frozenset()) -> Walked:
    """Start walking ``root``; read ahead ``max_files + 1`` files (whole runs) to decide between
    inline components and a manifest. ``top_only``: the files directly in ``root`` only, and those
    at the relative paths ``keep_below`` (:func:`~mlbom.fswalk.iter_runs`), less the relative paths
    ``leave_out``."""
    findings: list[Finding] = []
    it = iter_runs(root, on_finding=findings.append, top_only=top_only, keep_below=keep_below)
    if leave_out:
        it = _without(it, leave_out)
    head: list[FileRun] = []
    count = 0
    for run in it:
        head.append(run)
        count += run.hi - run.lo
        if count > max_files:
            break
    return Walked(head, it, findings, count > max_files)


def _without(runs: Iterator[FileRun], leave_out: frozenset[str]) -> Iterator[FileRun]:
    for run in runs:
        names = [n for n in run.names[run.lo:run.hi] if run.prefix + n not in leave_out]
        if names:
            yield FileRun(run.folder, run.prefix, names, 0, len(names))


def manifest_properties(written: Written, root_rel: str) -> tuple[Property, ...]:
    """What a component says about its manifest."""
    return (Property(name=Prop.MANIFEST_PATH.value, value=written.path.name),
            Property(name=Prop.MANIFEST_SHA256.value, value=written.sha256),
            Property(name=Prop.MANIFEST_ROOT.value, value=root_rel or "."),
            Property(name=Prop.MANIFEST_FILES.value, value=str(written.files)),
            Property(name=Prop.MANIFEST_BYTES.value, value=str(written.total_size)))


def manifest_reference(name: str, files: int, sha256: str) -> ExternalReference | None:
    """The manifest file ``name`` as an external reference (relative to the BOM), with its
    SHA-256. The URL is the name percent-encoded as one path segment (``train set.jsonl`` is
    ``train%20set.jsonl``, ``x:y.jsonl`` no scheme ``x``; red team 87c-2); None for a name no
    URL can hold (:func:`~mlbom.identity.url_from_segments`)."""
    url = url_from_segments(name)
    if url is None:
        return None
    return ExternalReference(type="other", url=url, comment=f"file manifest: {files} files (docs/manifests.md)",
                             hashes=(Hash(alg="SHA-256", content=sha256),))


def written_reference(written: Written) -> list[ExternalReference]:
    """The manifest this run wrote, as :func:`manifest_reference` (none when its name is no URL)."""
    ref = manifest_reference(written.path.name, written.files, written.sha256)
    return [ref] if ref is not None else []


def unreadable_message(rel: str, error: str | None, *, changed: bool) -> tuple[str, str]:
    """(finding id, message) for a file that could not be hashed (``changed``: it changed
    while it was hashed)."""
    if changed:
        return "files.changed-while-hashed", f"{rel}: {error}; no digest recorded"
    return "files.unreadable", f"{rel}: cannot read ({error}); it may have disappeared during the scan"


class FolderCollector(BaseCollector):
    """A collector of folders of files (models, datasets), configured with the file-manifest
    options it declares (``--max-file-components``, the manifest folder, the hash cache)."""

    options: ClassVar[tuple[Option, ...]] = MANIFEST_OPTIONS

    def __init__(self, *, max_file_components: int = DEFAULT_MAX_FILE_COMPONENTS, manifest_dir: Path | None = None,
                 compress_manifests: bool = False, cache_dir: Path | None = None, no_cache: bool = False) -> None:
        self.settings = ManifestSettings(check_max(max_file_components), manifest_dir, compress_manifests, cache_dir,
                                         not no_cache)
