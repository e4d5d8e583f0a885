"""The one folder walker: ``mlbom scan`` and ``mlbom generate`` (models and datasets) list the
files of a folder with :func:`walk_files` and follow one symlink rule; ``generate PROJECT_DIR``
discovers its inputs (environment markers, weight files outside the folders found) with the one
bounded :func:`discovery_walk`, which follows no link to a folder.

Rule: a symbolic link is followed only when its target stays inside the walked folder (or,
when the folder is — or lies inside — a Hugging Face cache snapshot, inside that repository's
folder, whose ``blobs/`` huggingface_hub's relative links ``../../blobs/<etag>`` point into; and
when it is or lies inside a cache repository whose hub folder holds huggingface_hub's shared
blob store, ``<hub>/blobs/`` with its ``.huggingface-shared-blobs`` marker, inside that store);
a link that leaves, dangles or loops is a finding and is never opened. The walker decides this
from the folder's resolved path and the layout on disk (:func:`cache_repo_of`), so ``scan``,
``manifest build`` and ``generate`` follow the same links without being told. A link to a folder
the walk also reaches by descent (a venv's ``lib64 -> lib``) is walked under its name within a
budget, the entries listed by descent; past it, ``files.symlink-alias`` (:class:`_FolderLinks`,
red team 87c-4).

A folder's layout can be forged by whoever wrote the folder, so it never reduces scrutiny
(red team 21c-1, 21c-3): nothing is skipped because a folder looks like a cache. A Hugging
Face cache repository folder (``<type>s--…``: ``models--``, ``datasets--``, ``spaces--``,
``kernels--``, any type word, holding ``blobs/`` and ``snapshots/`` folders, real or linked,
:func:`is_cache_repo`; red team 26c-4, 26c-5) is walked whole: every
``snapshots/<commit>/`` file under the name a loader opens it by, and ``blobs/``, ``refs/``,
``.no_exist/``, ``.locks/`` like any folder. A blob a snapshot link of the same walk resolves
to is judged once, through that link (:func:`linked_blobs`); every other blob is walked and
judged by its content (``hf_hub_download`` adopts an existing ``blobs/<etag>`` by its name,
without hashing it), and :func:`blob_mismatch` checks a blob against its etag name (the
name of the first link step into a repository's ``blobs/``, :func:`blob_name`), whatever its
size; :class:`BlobIndex` tells a blob no name reaches (red team 23c), and :func:`store_entry`
a shared-store file, whose content a download adopts under any name (red team 26c-3).
FIFOs, devices and
sockets are findings and are never opened. ``.git`` folders are skipped (git's object store,
zlib-compressed, is no model content), each with an ``info`` finding ``files.skipped-folder``
naming it: nothing in it is judged, so what reaches into it is a finding where the reference
is read (``code.remote`` for an ``auto_map`` naming it, ``sharded.path-outside`` for a shard
name). ``__pycache__`` is walked: ``import`` runs a ``.pyc`` found there (an unchecked-hash one
without reading its source).
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from mlbom.model import Finding, Verdict

MAX_FILES = 100_000
SKIPPED_FOLDERS = frozenset({".git"})  # folder names never walked (each one an info finding)
SKIPPED = "files.skipped-folder"


# a Hugging Face hub cache repository folder's name (huggingface_hub's repo_folder_name:
# f"{repo_type}s--{repo_id.replace('/', '--')}"; a repo id may have no organisation). Any type
# word, not a list: huggingface_hub 2.4 added ``kernels--`` (REPO_TYPES_MAPPING) and the list
# grows, and recognising one more folder only adds checks (red team 26c-4)
_CACHE_REPO_NAME = re.compile(r"[a-z][a-z0-9_]*s--.+")
# huggingface_hub 2.4's cache-wide shared blob store (utils/_shared_blobs.py): ``<hub>/blobs/``
# holding this marker file, a repository's ``blobs/<etag>`` a relative link to ``<xx>/<hash>`` in it
SHARED_BLOBS_MARKER = ".huggingface-shared-blobs"
# a blob's name: the etag huggingface_hub names it by (SHA-256 of an LFS file, git blob SHA-1 of any other)
_ETAG = re.compile(r"[0-9a-f]{64}|[0-9a-f]{40}")


def _real_dir(p: Path) -> bool:
    return not p.is_symlink() and p.is_dir()


def is_cache_repo(folder: Path) -> bool:
    """Whether ``folder`` is laid out as a Hugging Face hub cache repository: named
    ``<type>s--…`` (``models--``, ``datasets--``, ``spaces--``, ``kernels--``, any type word) and
    holding ``blobs/`` and ``snapshots/`` folders, real or links that resolve to folders:
    huggingface_hub only joins paths, so a linked ``blobs/`` serves downloads as a real one does
    (red team 26c-4, 26c-5; the walk's link rule still decides what is followed)."""
    with contextlib.suppress(OSError, ValueError):
        return (_CACHE_REPO_NAME.fullmatch(folder.name) is not None
                and (folder / "blobs").is_dir() and (folder / "snapshots").is_dir())
    return False


def blobs_repo(folder: Path) -> Path | None:
    """The resolved cache repository whose ``blobs/`` folder ``folder`` is, or ``None``:
    ``folder`` as given (``<repo>/blobs``, through links or ``..`` steps) or resolved (a folder
    some repository's linked ``blobs/`` resolves to, inside that repository: red team 26c-5)."""
    try:
        if folder.name == "blobs":
            repo = Path(os.path.realpath(folder.parent))
            if is_cache_repo(repo):
                return repo
        real = Path(os.path.realpath(folder))
        repo = real.parent
        if is_cache_repo(repo) and (real.name == "blobs" or Path(os.path.realpath(repo / "blobs")) == real):
            return repo
    except (OSError, ValueError):
        pass
    return None


def cache_repo_of(real_root: Path) -> Path | None:
    """The cache repository folder a resolved walk root may link into: the one whose
    ``snapshots/`` folder is the root or one of its parents; ``None`` elsewhere. (The whole
    repository folder, not only ``blobs/``: a walk of the repository folder itself follows the
    same links, so a snapshot and its repository are read alike.)"""
    for folder in (real_root, *real_root.parents):
        if folder.name == "snapshots" and is_cache_repo(folder.parent):
            return folder.parent
        with contextlib.suppress(OSError, ValueError):  # a linked snapshots/ (red team 26c-5)
            if is_cache_repo(folder.parent) and Path(os.path.realpath(folder.parent / "snapshots")) == folder:
                return folder.parent
    return None


def is_shared_store(folder: Path) -> bool:
    """Whether ``folder`` is huggingface_hub's shared blob store: a real ``blobs/`` folder of a
    hub folder holding the ``.huggingface-shared-blobs`` marker (a regular file)."""
    marker = folder / SHARED_BLOBS_MARKER
    return folder.name == "blobs" and _real_dir(folder) and not marker.is_symlink() and marker.is_file()


def _allowed(real_root: Path) -> list[Path]:
    """Where a link of the walk may lead: the walked folder; for a folder at or below a cache
    repository's ``snapshots/``, that repository; for a folder at or inside a cache repository
    whose hub folder holds a shared blob store, that store too (red team 21c-2). Everything a
    followed link reaches is read and judged: the layout only widens, it never skips."""
    allowed = [real_root]
    repo = cache_repo_of(real_root)
    if repo is not None:
        allowed.append(repo)
    else:
        repo = next((f for f in (real_root, *real_root.parents) if is_cache_repo(f)), None)
    if repo is not None and is_shared_store(repo.parent / "blobs"):
        allowed.append(repo.parent / "blobs")
    return allowed


def linked_blobs(repo: Path) -> set[Path]:
    """The resolved targets of the symbolic links under ``repo/snapshots`` (real folders only,
    none the walk skips, at most :data:`MAX_FILES` entries): the blobs a walk of the repository reads through a
    snapshot link, under the name a loader opens. A walk that also meets such a blob in
    ``blobs/`` judges it once, through the link (red team 21c-1)."""
    out: set[Path] = set()
    stack = [repo / "snapshots"]
    seen = 0
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                entries = list(it)
        except OSError:
            continue
        for e in entries:
            seen += 1
            if seen > MAX_FILES:
                return out
            if e.is_symlink():
                with contextlib.suppress(OSError, RuntimeError):
                    out.add(Path(e.path).resolve(strict=True))
            elif e.is_dir(follow_symlinks=False) and e.name not in SKIPPED_FOLDERS:  # as the walk does
                stack.append(Path(e.path))
    return out


def blob_etag(path: Path) -> str | None:
    """The etag a file's name claims when it is a blob of a Hugging Face cache repository
    (``models--…/blobs/<40 or 64 hex>``, a real ``blobs/`` beside real ``snapshots/``); ``None``
    elsewhere."""
    if _ETAG.fullmatch(path.name) is None:
        return None
    return path.name if blobs_repo(path.parent) is not None else None


MAX_LINK_HOPS = 40  # the kernel's own bound on links followed in one lookup


def blob_name(path: Path) -> str | None:
    """The etag by which huggingface_hub looks ``path``'s content up: the name of ``path``
    itself when it is a repository's ``blobs/<etag>``, else of the FIRST link step of its chain
    that lands in a repository's ``blobs/`` (a snapshot's ``../../blobs/<etag>``), whatever that
    blob links on to (huggingface_hub 2.4's shared store, ``<hub>/blobs/<xx>/<hash>``: red team
    23c-2); ``None`` when no step names a cache blob."""
    cur = path
    for _ in range(MAX_LINK_HOPS):
        try:
            etag = blob_etag(cur)
            if etag is not None or not cur.is_symlink():
                return etag
            cur = Path(os.path.join(cur.parent, os.readlink(cur)))
        except (OSError, ValueError):
            return None
    return None


class BlobCheck(NamedTuple):
    """A cache blob that is not (``files.hf-blob-mismatch``) or could not be shown to be
    (``files.hf-blob-unverified``) the content its etag name claims; ``verdict`` the least a
    scan gives it."""

    id: str
    message: str
    verdict: Verdict


CHUNK = 1 << 20


def _git_blob_sha1(path: Path) -> tuple[str, str]:
    """The git blob SHA-1 (``sha1(b"blob <size>\\0" + content)``) and the SHA-256 of ``path``'s
    bytes, streamed in one read (constant memory, any size). ``OSError`` when it cannot be read
    whole, or its size changes while it is read."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        git = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
        sha = hashlib.sha256()
        n = 0
        while chunk := fh.read(CHUNK):
            git.update(chunk)
            sha.update(chunk)
            n += len(chunk)
        if n != size:
            raise OSError(f"its size changed while it was read ({size} bytes, {n} read)")
    return git.hexdigest(), sha.hexdigest()


def blob_mismatch(path: Path, sha256: str | None) -> BlobCheck | None:
    """Why ``path`` — a cache blob, or a link whose chain steps through one — is not (or could
    not be shown to be) the content its etag name claims (:func:`blob_name`: the SHA-256 for a
    64-hex name, the git blob SHA-1 ``sha1("blob <size>\\0" + content)`` for a 40-hex one, streamed
    whatever the size: red team 23c-1), or ``None``. huggingface_hub links an existing
    ``blobs/<etag>`` without hashing it, so a blob that is not what its name says is content a
    later download adopts. ``sha256`` is the digest of the bytes judged (``None``: no digest was
    taken, ``scan --no-hash``, and no check is made); a git SHA-1 is trusted only from bytes with
    that digest."""
    if sha256 is None:
        return None
    etag = blob_name(path)
    if etag is None:
        return None
    if len(etag) == 64:
        if etag == sha256:
            return None
        return BlobCheck("files.hf-blob-mismatch", f"content sha256 {sha256} differs from its cache blob name {etag}",
                         "suspicious")
    try:
        git, again = _git_blob_sha1(path)
    except OSError as exc:
        return BlobCheck("files.hf-blob-unverified", f"could not be verified against its cache blob name {etag}: "
                         f"{exc.strerror or exc}", "error")
    if again != sha256:
        return BlobCheck("files.hf-blob-unverified", f"could not be verified against its cache blob name {etag}: "
                         "its content changed after it was judged", "error")
    if git == etag:
        return None
    return BlobCheck("files.hf-blob-mismatch", f"content git blob sha1 {git} differs from its cache blob name {etag}",
                     "suspicious")


_STORE_BLOB = re.compile(r"[0-9a-f]{64}")


def store_entry(path: Path) -> str | None:
    """What the file ``path`` resolves to is in a shared blob store (``<hub>/blobs/``, with its
    marker): ``"placed"`` for a ``<xx>/<64 hex>`` entry with ``xx`` its name's first two
    characters (where ``try_link_from_shared_store`` looks a Xet hash up), ``"misplaced"`` for
    any other file of a ``<xx>/`` folder but the store's own ``.lock``/``.refs`` files; ``None``
    elsewhere. huggingface_hub adopts a placed entry by its Xet hash for ANY repository and
    under ANY file name, checking only its size, and mlbom cannot recompute that hash: store
    content is always judged as unnamed, whatever names reach it (red team 26c-3)."""
    try:
        real = Path(os.path.realpath(path))
        if real.name.endswith((".lock", ".refs")) or not is_shared_store(real.parent.parent):
            return None
    except (OSError, ValueError):
        return None
    return "placed" if _STORE_BLOB.fullmatch(real.name) and real.parent.name == real.name[:2] else "misplaced"


class BlobIndex:
    """Which cache blobs no name reaches (red team 23c, finding C): a repository's
    ``blobs/<name>`` that no ``snapshots/`` link resolves to. Such a blob is content a later
    download adopts (``hf_hub_download`` by its etag name) under a file name mlbom cannot know,
    so its verdict must not rest on a name. (A shared store's entries are always such content:
    :func:`store_entry`.) One index per walk: each repository's links are listed once."""

    def __init__(self) -> None:
        self._linked: dict[Path, set[Path]] = {}

    def unlinked(self, path: Path) -> bool:
        """Whether ``path`` (a walked file, not itself followed) is such a blob: a file of a
        cache repository's ``blobs/`` folder, real or linked (:func:`blobs_repo`)."""
        repo = blobs_repo(path.parent)
        if repo is None:
            return False
        if repo not in self._linked:
            self._linked[repo] = linked_blobs(repo)
        try:
            return Path(os.path.realpath(path)) not in self._linked[repo]
        except (OSError, ValueError):
            return False


def cache_noise(path: Path) -> bool:
    """Whether an EMPTY file at ``path`` is a Hugging Face cache's bookkeeping, which holds no
    code: a ``.no_exist/`` marker of a cache repository, a file under a hub folder's ``.locks/``,
    or a shared blob store's marker, ``.lock`` or ``.refs`` file. Only a finding's severity
    depends on this (``file.empty`` is ``info`` there): the file is still walked and judged."""
    parts = path.parts
    for i, part in enumerate(parts[:-1]):
        if part == ".no_exist" and i > 0 and is_cache_repo(Path(*parts[:i])):
            return True
        if part == ".locks":
            return True
    if path.name == SHARED_BLOBS_MARKER:
        return is_shared_store(path.parent)
    return path.name.endswith((".lock", ".refs")) and is_shared_store(path.parent.parent)


ALIAS = "files.symlink-alias"  # a link to a folder walked by descent, past the walk's alias budget (87c-4)


def _descent_reaches(target: Path, real_root: Path) -> bool:
    """Whether the walk of ``real_root`` reaches the real folder ``target`` by descent (through
    real sub-folders only): it lies under the root and no folder on the way is one the walk
    skips. A link to such a folder is an *alias*: a second name of a folder the walk lists."""
    if not target.is_relative_to(real_root):
        return False
    return not any(_skip_reason(part) is not None for part in target.relative_to(real_root).parts)


class _FolderLinks:
    """The folder-link rule of one walk, the same for :func:`iter_runs` and :func:`walk_files`
    (red team 87c-4). A link to a folder (its target inside what the walk may reach) is:

    - not walked, silently, when its target is the root or a folder walked already through a
      link (each link target once per walk);
    - walked under its own name when its target is NOT reached by descent (outside the root in a
      Hugging Face cache repository, or under a skipped ``.git``): once per target;
    - an *alias* when descent reaches its target (a venv's ``lib64 -> lib``). Aliases met by
      descent are walked under the link's name, in the walk's order (code-point order of the
      relative path), while the entries they list fit the budget: the number of entries
      (files and links to files) the walk lists by descent. The first alias that does not fit,
      and every alias after it, is a ``files.symlink-alias`` finding (medium, not read). An
      alias met inside a link's walk is not walked (alias walks never compound; its folder is
      listed under its own name and, through the link met by descent, under that one's).

    So a walk lists at most about twice the entries of its real tree, whatever the links
    (``L0001 -> d``, ``L0002 -> d/d``, … walked the chain below each link: quadratic). The
    budget is found by one extra walk of the descent, made only when a walk meets an alias."""

    def __init__(self, root: Path, real_root: Path) -> None:
        self.root = root
        self.real_root = real_root
        self.seen: set[Path] = {real_root}
        self.budget = 0
        self._plan: dict[str, bool | None] | None = None

    def decide(self, rel: str, target: Path, via_link: bool) -> bool | Finding:
        """Whether the folder link ``rel`` (resolved ``target``) is walked; a finding when it is
        not read. ``via_link``: met inside a link's walk."""
        if target in self.seen:
            return False
        if not _descent_reaches(target, self.real_root):
            self.seen.add(target)
            return True
        if via_link:
            return False
        if self._plan is None:
            self._plan = self._make_plan()
        walk = self._plan.get(rel)
        if walk:
            self.seen.add(target)
            return True
        if walk is False:
            return False
        return Finding(id=ALIAS, severity="medium", source=rel,
                       message=f"{rel}: symbolic link to the folder {target.relative_to(self.real_root).as_posix()}, "
                       f"listed under its own name; past the walk's alias budget ({self.budget} entries listed "
                       "by descent), not read under this name")

    def _make_plan(self) -> dict[str, bool | None]:
        """One walk of the descent: its entries (the budget), each real folder's entries below it,
        and the aliases met; each alias decided in walk order: True walked, False its target
        walked already through an earlier alias, None past the budget."""
        own: list[int] = []
        parent: list[int] = []
        index: dict[Path, int] = {}
        aliases: list[tuple[str, Path]] = []
        stack: list[tuple[str, str, int, Path]] = [(str(self.root), "", -1, self.real_root)]
        while stack:
            folder, prefix, up, real = stack.pop()
            i = len(own)
            index[real] = i
            parent.append(up)
            n = 0
            try:
                with os.scandir(folder) as it:
                    entries = list(it)
            except OSError:
                entries = []
            for e in entries:
                try:
                    if e.is_symlink():
                        if e.is_dir():
                            with contextlib.suppress(OSError, RuntimeError):
                                target = Path(e.path).resolve(strict=True)
                                if target != self.real_root and _descent_reaches(target, self.real_root):
                                    aliases.append((prefix + e.name, target))
                        elif e.is_file():
                            n += 1
                    elif e.is_file(follow_symlinks=False):
                        n += 1
                    elif e.is_dir(follow_symlinks=False) and _skip_reason(e.name) is None:
                        stack.append((e.path, prefix + e.name + "/", i, real / e.name))
                except OSError:
                    continue
            own.append(n)
        for i in range(len(own) - 1, 0, -1):  # a folder comes after its parent
            own[parent[i]] += own[i]
        self.budget = own[0] if own else 0
        used = 0
        walked: set[Path] = set()
        plan: dict[str, bool | None] = {}
        over = False
        for rel, target in sorted(aliases, key=lambda a: a[0] + "/"):
            if target in walked:
                plan[rel] = False
                continue
            cost = own[index[target]] if target in index else 0
            if over or used + cost > self.budget:
                over = True
                plan[rel] = None
                continue
            used += cost
            walked.add(target)
            plan[rel] = True
        return plan


def _skipped(rel: str, why: str | None = None) -> Finding:
    name = rel.rsplit('/', 1)[-1]
    return Finding(id=SKIPPED, severity="info", source=rel,
                   message=f"{rel}: {why or f'a {name} folder'}: not walked, nothing in it is judged "
                   "(a config naming code or shards inside it is a finding of its own)")


def skipped_folder(rel: str) -> Finding:
    """The ``info`` finding of a :data:`SKIPPED_FOLDERS` folder at ``rel`` that a walk passed: the
    same wherever a walk passes one (a model folder's, ``generate``'s stray-weight walk)."""
    return _skipped(rel, _skip_reason(rel.rsplit("/", 1)[-1]))


def _skip_reason(name: str) -> str | None:
    """Why the sub-folder ``name`` is not walked, or ``None``. Only by what the folder is
    (``.git``), never by a layout a folder's writer can forge (red team 21c-1, 21c-3)."""
    return f"a {name} folder" if name in SKIPPED_FOLDERS else None


def _not_linked(folder: Path, names: list[str]) -> list[str]:
    """``names`` of the folder's files less, when ``folder`` is the ``blobs/`` of a cache
    repository met inside a walk (its ``snapshots/`` walked too), the blobs a snapshot link
    resolves to: those are read and judged through the link, under the name a loader opens.
    Every other blob — one no snapshot links to, which ``hf_hub_download`` adopts by its etag
    name without hashing it — is walked and judged by its content (red team 21c-1)."""
    # (a folder path is resolved only where it may be a repository's blobs/: not for every folder walked)
    maybe = folder.name == "blobs" or _CACHE_REPO_NAME.fullmatch(folder.parent.name) is not None
    repo = blobs_repo(folder) if maybe else None
    if repo is None:
        return names
    linked = linked_blobs(repo)
    if not linked:
        return names
    return [n for n in names if Path(os.path.realpath(folder / n)) not in linked]


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


_LEFT_OUT: dict[tuple[int, int], str] = {}
"""(st_dev, st_ino) of the files every walk of this run leaves out (:func:`leaving_out`)."""
_LEFT_OUT_INODES: set[int] = set()
_MET: list[str] = []


@contextlib.contextmanager
def leaving_out(paths: Iterable[Path]) -> Iterator[list[str]]:
    """For the ``with`` block, every walk and discovery of a project leaves out the files at
    ``paths`` (the name given, and the file it links to): ``generate -o OUT`` with OUT in the
    tree never inventories its own previous BOM (red team 122g-3, as ``manifest.format.own_paths``
    for manifests). Yields the paths of the entries left out (walks met them), for the caller to
    refuse an OUT that is an input. Process-wide: one ``generate`` command at a time."""
    keys: dict[tuple[int, int], str] = {}
    for p in paths:
        for follow in (False, True):
            try:
                st = os.stat(p, follow_symlinks=follow)
            except (OSError, ValueError):
                continue
            if not stat.S_ISDIR(st.st_mode):  # a folder is never left out (-o DIR fails when written)
                keys[(st.st_dev, st.st_ino)] = str(p)
    saved = dict(_LEFT_OUT), set(_LEFT_OUT_INODES), list(_MET)
    _LEFT_OUT.update(keys)
    _LEFT_OUT_INODES.update(k[1] for k in keys)
    _MET.clear()
    met: list[str] = []
    try:
        yield met
    finally:
        met.extend(_MET)
        _LEFT_OUT.clear()
        _LEFT_OUT.update(saved[0])
        _LEFT_OUT_INODES.clear()
        _LEFT_OUT_INODES.update(saved[1])
        _MET[:] = saved[2]


def left_out(path: str, entry: os.DirEntry[str] | None = None) -> bool:
    """Whether the entry at ``path`` is one :func:`leaving_out` leaves out (recorded as met)."""
    if not _LEFT_OUT:
        return False
    try:
        if entry is not None and entry.inode() not in _LEFT_OUT_INODES:
            return False
        st = entry.stat(follow_symlinks=False) if entry is not None else os.lstat(path)
    except OSError:
        return False
    if (st.st_dev, st.st_ino) in _LEFT_OUT:
        _MET.append(path)
        return True
    return False


def iter_files(root: Path, *, on_finding: Callable[[Finding], None] | None = None) -> Iterator[tuple[str, str]]:
    """Stream ``(relative path, path)`` for the regular files under ``root`` in code-point order
    of the relative path (the order of :func:`mlbom.hashing.tree_digest` and of a manifest),
    under the same link rule as :func:`walk_files`; what is not read goes to ``on_finding``
    (``source`` relative to ``root``). Not bounded in the number of files: the caller bounds
    what it keeps. Memory is one sorted listing per open folder level, so a million files stream."""
    for run in iter_runs(root, on_finding=on_finding):
        yield from run.items()


def iter_runs(root: Path, *, on_finding: Callable[[Finding], None] | None = None,
              top_only: bool = False, keep_below: frozenset[str] = frozenset()) -> Iterator[FileRun]:
    """:func:`iter_files` as :class:`FileRun` s: the same files in the same order, a folder's
    files at a time (one Python step per folder, not per file, for those who can use it).
    ``top_only``: the files directly in ``root`` only, no sub-folder listed (a project folder
    that is itself a model folder: its own files are the model, its sub-folders the rest of the
    project, red team 119pa-2) — but for the files at the relative paths ``keep_below`` (``a/b.py``:
    code in a sub-folder that the model's loader imports), whose folders are listed for them alone
    (by the same rules: a link leaving the tree is not followed).

    Order: a folder's entries are sorted by name, a sub-folder's name with ``/`` appended, which
    is exactly the order of the full relative paths (``a.txt`` < ``a/b`` since ``.`` < ``/``);
    the files between two sub-folders are one run."""
    real_root = root.resolve()
    allowed = _allowed(real_root)
    links = _FolderLinks(root, real_root)
    report = on_finding or (lambda f: None)
    # with top_only: the sub-folders (relative, "/"-ended) that lead to a path of keep_below
    leads = {k[:i + 1] for k in keep_below for i, c in enumerate(k) if c == "/"} if top_only else set()

    def listing(folder: str, prefix: str, via_link: bool) -> Iterator[FileRun | tuple[str, str, bool]]:
        """The folder's runs of files and its sub-folders (path, relative path + ``/``), in walk
        order. Once per file of a dataset: a regular file is recognised first, by one call on
        the entry, and kept as its name only."""
        try:
            with os.scandir(folder) as it:
                raw = list(it)
                if top_only and prefix:  # a folder listed for the paths of keep_below in it alone
                    raw = [e for e in raw if prefix + e.name in keep_below or prefix + e.name + "/" in leads]
                if _LEFT_OUT:  # generate -o OUT inside the tree: OUT is not inventoried (122g-3)
                    raw = [e for e in raw if not left_out(e.path, e)]
        except OSError as exc:
            report(Finding(id="files.unreadable-folder", severity="high", message=f"{folder}: cannot list: {exc.strerror}",
                           source=prefix.rstrip("/") or "."))
            return iter(())
        # a regular file (not a link) is the common case: recognised by one call on its entry
        names = [e.name for e in raw if e.is_file(follow_symlinks=False)]
        add_name = names.append
        dirs: list[tuple[str, str, str, bool]] = []
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
                    walk = links.decide(rel, target, via_link)
                    if isinstance(walk, Finding):
                        report(walk)
                    elif walk:
                        dirs.append((name + "/", e.path, rel + "/", True))
                elif target.is_file():
                    add_name(name)
                else:  # a link to a FIFO, device or socket: hashing it would block
                    report(Finding(id="files.not-regular", severity="medium",
                                   message=f"{rel}: links to a FIFO, device or socket; not opened", source=rel))
            elif e.is_dir(follow_symlinks=False):
                if (why := _skip_reason(name)) is not None:
                    report(_skipped(rel, why))
                else:
                    dirs.append((name + "/", e.path, rel + "/", via_link))
            else:
                report(Finding(id="files.not-regular", severity="medium",
                               message=f"{rel}: FIFO, device or socket; not opened", source=rel))
        del raw, others
        if prefix:
            names = _not_linked(Path(folder), names)
        names.sort()  # names are unique in a folder, and none equals a sub-folder's "name/"
        dirs.sort()
        out: list[FileRun | tuple[str, str, bool]] = []
        lo = 0
        for key, path, rel, via in dirs:  # the files that sort before each sub-folder are one run
            hi = bisect.bisect_left(names, key, lo)
            if hi > lo:
                out.append(FileRun(folder, prefix, names, lo, hi))
            out.append((path, rel, via))
            lo = hi
        if len(names) > lo:
            out.append(FileRun(folder, prefix, names, lo, len(names)))
        return iter(out)

    stack = [listing(str(root), "", False)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif type(item) is FileRun:
            yield item
        elif not top_only or item[1] in leads:
            stack.append(listing(*item))


class DiscoveryStop(NamedTuple):
    """Why a discovery walk did not look somewhere: ``rel`` (the folder, relative to the root; "."
    for the rest of the walk) and a sentence."""

    rel: str
    reason: str


def discovery_walk(root: Path, *, max_entries: int, max_depth: int,
                   enter: Callable[[str, int], bool] | None = None,
                   report_deep: bool = False, report_unlisted: bool = False,
                   on_stop: Callable[[DiscoveryStop], None] | None = None,
                   on_skip: Callable[[str], None] | None = None) -> Iterator[tuple[str, int, list[os.DirEntry[str]]]]:
    """The folders of ``root`` (itself included) as ``(path, depth, sorted entries)``: the one bounded
    walk that ``generate PROJECT_DIR`` discovers inputs with (environment markers, stray weight files).
    Never follows a symbolic link to a folder (a linked file is an entry like any other, for the
    caller to resolve), never into :data:`SKIPPED_FOLDERS`, at most ``max_depth`` folders deep and
    ``max_entries`` entries in all. ``enter(path, depth)`` False: the folder is not listed (an
    environment found, a folder another input covers). Past the entry bound the walk stops and
    ``on_stop`` hears why ("."); a folder past the depth bound (``report_deep``) or one that cannot be
    listed (``report_unlisted``) is a stop of its own: the BOM then says incomplete, never silently.
    ``on_skip`` hears the path (relative to the root) of each :data:`SKIPPED_FOLDERS` folder passed."""
    stop = on_stop or (lambda s: None)
    stack: list[tuple[str, int]] = [(str(root), 0)]
    count = 0
    while stack:
        folder, depth = stack.pop()
        if enter is not None and not enter(folder, depth):
            continue
        rel = Path(folder).relative_to(root).as_posix()
        try:
            with os.scandir(folder) as it:
                entries = sorted((e for e in it if not _LEFT_OUT or not left_out(e.path, e)), key=lambda e: e.name)
        except OSError as exc:
            if report_unlisted:
                stop(DiscoveryStop(rel, f"folder not listed ({exc.strerror or type(exc).__name__})"))
            continue
        count += len(entries)
        if count > max_entries:
            stop(DiscoveryStop(".", f"more than {max_entries:,} entries"))
            return
        yield folder, depth, entries
        for e in reversed(entries):
            if not e.is_dir(follow_symlinks=False):
                continue
            if e.name in SKIPPED_FOLDERS:
                if on_skip is not None:
                    on_skip(Path(e.path).relative_to(root).as_posix())
                continue
            if depth + 1 > max_depth:
                if report_deep:
                    stop(DiscoveryStop(Path(e.path).relative_to(root).as_posix(), f"more than {max_depth} folders deep"))
                continue
            stack.append((e.path, depth + 1))


def walk_files(root: Path) -> tuple[list[Path], list[Finding]]:
    """Regular files under ``root``, sorted, and findings (``source`` is the path relative to
    ``root``) for what was not read."""
    files: list[Path] = []
    findings: list[Finding] = []
    real_root = root.resolve()
    allowed = _allowed(real_root)
    links = _FolderLinks(root, real_root)  # the folder-link rule of iter_runs (87c-4)
    stack: list[tuple[Path, bool]] = [(root, False)]  # a folder, and whether it is met inside a link's walk
    while stack:
        d, via_link = stack.pop()
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as exc:
            findings.append(Finding(id="files.unreadable-folder", severity="high",
                                    message=f"{d}: cannot list: {exc.strerror}",
                                    source=Path(d).relative_to(root).as_posix()))
            continue
        # sub-folders are walked in iter_runs' order (name + "/"), so both meet links alike
        subdirs: list[tuple[str, Path, bool]] = []
        kept = set(_not_linked(Path(d), [e.name for e in entries])) if d is not root else None
        for e in entries:
            if kept is not None and e.name not in kept and not e.is_dir(follow_symlinks=False):
                continue  # a blob judged through its snapshot link
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
                    walk = links.decide(rel, target, via_link)
                    if isinstance(walk, Finding):
                        findings.append(walk)
                    elif walk:
                        subdirs.append((e.name + "/", p, True))
                    continue
                if not target.is_file():  # a link to a FIFO, device or socket: hashing it would block
                    findings.append(Finding(id="files.not-regular", severity="medium",
                                            message=f"{rel}: links to a FIFO, device or socket; not opened", source=rel))
                    continue
                files.append(p)
            elif e.is_dir(follow_symlinks=False):
                if (why := _skip_reason(e.name)) is not None:
                    findings.append(_skipped(rel, why))
                    continue
                subdirs.append((e.name + "/", p, via_link))
            elif e.is_file(follow_symlinks=False):
                files.append(p)
            else:
                findings.append(Finding(id="files.not-regular", severity="medium",
                                        message=f"{rel}: FIFO, device or socket; not opened", source=rel))
            if len(files) > MAX_FILES:
                findings.append(Finding(id="files.too-many-files", severity="high",
                                        message=f"more than {MAX_FILES} files; the rest is not inventoried"))
                return sorted(files), findings
        subdirs.sort(reverse=True)
        stack.extend((p, via) for _, p, via in subdirs)
    return sorted(files), findings
