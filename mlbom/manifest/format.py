"""The manifest file: JSON Lines, one header line, then one line per file in code-point order of
the path (UTF-8 byte order; the order of :func:`mlbom.hashing.tree_digest` and of
``LC_ALL=C sort``).

Header: ``{"mlbom-manifest":1,"root":NAME,"algorithm":"sha256"}``; a shard's header adds
``"shard":"I/N"``, ``"files":TOTAL`` and ``"listing":HEX`` (the SHA-256 of every path of the
whole folder, one per line: what :mod:`mlbom.manifest.merge` checks shards against).
A file: ``{"name":PATH,"size":N,"algorithm":"sha256","digest":HEX}`` — ``name``, ``algorithm``
and ``digest`` are the fields of an OpenSSF model-signing ``resources`` entry, so a manifest
converts to one with ``jq -s``; a file that could not be hashed: ``{"name":PATH,"error":WHY}``.
Serialisation is fixed (key order, no spaces, ASCII with ``\\u`` escapes), so equal content
gives equal bytes. A name ending in ``.gz`` is gzip (mtime 0, no file name: deterministic).

Reading checks every line (bounded length, known keys and types, confined paths, strictly
increasing order) and raises :class:`~mlbom.errors.InputError` naming the line; it streams.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import io
import itertools
import json
import os
import stat
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

from mlbom.errors import InputError
from mlbom.limits import bounded_int
from mlbom.relpath import normalise

FORMAT_KEY = "mlbom-manifest"
FORMAT_VERSION = 1
MAX_LINE = 64 * 1024
"""Longest line read (a path of 4,096 bytes escaped six-fold fits)."""
MAX_ENTRIES = 500_000_000
"""Most file lines read from one manifest."""
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Header:
    """What a manifest is of. ``root`` is the folder's own name (not its path: shards written
    on machines that mount the data at different places must agree)."""

    root: str
    shard: tuple[int, int] | None = None
    files: int | None = None
    listing: str | None = None

    def to_line(self) -> bytes:
        obj: dict[str, object] = {FORMAT_KEY: FORMAT_VERSION, "root": self.root, "algorithm": "sha256"}
        if self.shard is not None:
            obj["shard"] = f"{self.shard[0]}/{self.shard[1]}"
            obj["files"] = self.files
            obj["listing"] = self.listing
        return _dumps(obj)

    def whole(self) -> Header:
        """The header of the whole manifest this shard is a part of."""
        return Header(self.root)


class Entry(NamedTuple):
    """One file: its digest and size, or why it could not be hashed (a named tuple: one is
    made per file)."""

    path: str
    size: int | None
    sha256: str | None
    error: str | None = None

    def to_line(self) -> bytes:
        if self.sha256 is None:
            return _dumps(_error_line(self.path, self.error))
        return (f'{{"name":{_json_str(self.path)},"size":{self.size},"algorithm":"sha256",'
                f'"digest":"{self.sha256}"}}\n').encode("ascii")


def _error_line(path: str, error: str | None) -> dict[str, object]:
    return {"name": path, "error": error or "not hashed"}


_json_str: Callable[[str], str] = json.encoder.encode_basestring_ascii
"""A string as JSON, ASCII with \\u escapes: what ``json.dumps`` writes for it (its own C
encoder), without ``json.dumps``'s per-call overhead (the line of a file is formatted directly)."""


def _dumps(obj: dict[str, object]) -> bytes:
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"


def path_key(path: str) -> bytes:
    """The sort key of a path: its UTF-8 bytes (undecodable names kept by surrogateescape)."""
    return path.encode("utf-8", "surrogateescape")


def shard_of(path: str, n: int) -> int:
    """The shard (1…n) a path belongs to: by a hash of the path, so shards are even and the
    same on every machine."""
    return int.from_bytes(hashlib.sha256(path_key(path)).digest()[:8], "big") % n + 1


def root_problem(root: str) -> str | None:
    """Why ``root`` cannot be a manifest's root name (None when it can): it must be one plain
    folder name — not empty, ``.`` or ``..``, no ``/`` or ``\\``, no control character or
    lone surrogate, at most 255 characters. It names a folder beside the manifest (or in the
    project), never a path, and is the dataset component's name."""
    if root in ("", ".", ".."):
        return "is empty, '.' or '..'"
    if len(root) > 255:
        return "is longer than 255 characters"
    if "/" in root or "\\" in root or (len(root) > 1 and root[1] == ":"):
        return "is a path, not a folder name"
    if any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 or 0xd800 <= ord(c) < 0xe000 for c in root):
        return "holds a control character or a lone surrogate"
    return None


def confined(path: str) -> bool:
    """True for a normalised relative POSIX path that stays inside the folder (the rule of
    :func:`mlbom.relpath.normalise`, already in normal form)."""
    return normalise(path) == path


class _HashingFile(io.RawIOBase):
    """Writes through to ``raw`` and hashes what is written (the stored bytes)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        assert isinstance(data, (bytes, bytearray, memoryview))
        self.hash.update(data)
        self.size += len(data)
        return self.raw.write(data)


@dataclass(frozen=True)
class Written:
    """A finished manifest: where, the SHA-256 and size of its stored bytes, how many files it
    lists (and how many failed), their total size, and the tree digest over them (None when a
    file failed)."""

    path: Path
    sha256: str
    stored_bytes: int
    files: int
    failed: int
    total_size: int
    tree_sha256: str | None


def output_target(path: Path) -> tuple[Path, Path | None]:
    """Where a manifest written to ``path`` goes, by the rule of every ``-o`` of mlbom (red team
    96c-1): a symbolic link is written through (its target is written, the link stays); a FIFO or
    a device is written into as it is, never replaced (no temporary file); a folder is refused
    (:class:`InputError`, one line). Only a regular file (or a path where none is yet) is
    written through a temporary file beside it, ``NAME.tmp``, moved into place at the end.
    Returns the path written and that temporary file (``None`` for a FIFO or a device)."""
    target = Path(os.path.realpath(path))  # through links, also a dangling one (its target is created)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a loop of links, a folder that cannot be searched
        raise InputError(path, f"cannot write: {exc.strerror or exc}") from exc
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError(path, "cannot write: is a folder")
    if st is not None and not stat.S_ISREG(st.st_mode):
        return target, None
    return target, target.with_name(target.name + ".tmp")


def own_paths(root: Path, output: Path) -> frozenset[str]:
    """The paths, relative to the folder ``root``, of the manifest written to ``output`` when
    it lies in ``root``: the name given, the file written (through a link) and its temporary
    file. A walk of ``root`` leaves them out (red team 96c-3): a manifest never lists itself,
    else it would list a file while it is written, and one that is gone at the end."""
    try:
        base = root.resolve()
        given = Path(os.path.realpath(output.parent)) / output.name
        target, tmp = output_target(output)
    except (OSError, InputError):
        return frozenset()
    out: set[str] = set()
    for p in (given, target, tmp):
        if p is not None:
            with contextlib.suppress(ValueError):
                out.add(p.relative_to(base).as_posix())
    return frozenset(out)


class ManifestWriter:
    """Streams a manifest to ``path`` (through a temporary file, replaced at :meth:`close`,
    when it is a regular file; see :func:`output_target`);
    entries must come in strictly increasing path order. Lines and tree-digest lines are
    gathered as text and encoded, written and hashed once per few thousand files."""

    def __init__(self, path: Path, header: Header) -> None:
        self.path = path
        self._target, self._tmp = output_target(path)
        try:
            if self._tmp is None:  # a FIFO or a device: written into, never replaced
                self._raw: BinaryIO = open(self._target, "wb")  # noqa: SIM115 - closed in close()/abort()
            else:  # never through a link, a FIFO or a folder left under the temporary name
                fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK
                             | getattr(os, "O_CLOEXEC", 0), 0o666)
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    os.close(fd)
                    raise InputError(path, f"cannot write: {self._tmp.name} (its temporary file) is not a regular file")
                self._raw = os.fdopen(fd, "wb")
        except OSError as exc:
            raise InputError(path, f"cannot write: {exc.strerror or exc}") from exc
        self._hashing = _HashingFile(self._raw)
        self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self._hashing, mtime=0) if path.name.endswith(".gz") else None
        self._tree = hashlib.sha256()
        self._last: bytes | None = None
        self._lines: list[str] = [header.to_line().decode("ascii")]
        self._tree_lines: list[str] = []
        self._run_lines = 0  # lines pending in runs (add_run): each is one item of _lines
        self._written: Written | None = None
        self.files = self.failed = self.total_size = 0

    def add(self, entry: Entry) -> None:
        self.add_file(*entry)

    def add_file(self, path: str, size: int | None, sha256: str | None, error: str | None = None) -> None:
        """One file (the fields of an :class:`Entry`; called once per file, so without one)."""
        key = path.encode("utf-8", "surrogateescape")
        if self._last is not None and key <= self._last:
            raise ValueError(f"manifest entries out of order: {path!r}")
        self._last = key
        self.files += 1
        if sha256 is None:
            self.failed += 1
            self._lines.append(_dumps(_error_line(path, error)).decode("ascii"))
        else:
            self.total_size += size or 0
            self._tree_lines.append(f"{sha256}  {path}\n")
            # what _dumps writes for this key order, formatted directly
            self._lines.append(f'{{"name":{_json_str(path)},"size":{size},"algorithm":"sha256","digest":"{sha256}"}}\n')
        if len(self._lines) >= 4096:
            self._flush()

    def add_run(self, prefix: str, names: Sequence[str], sizes: Sequence[int], shas: Sequence[str]) -> None:
        """Files of one folder, all with a digest: ``prefix + name`` for each name, in order
        (names sorted and unique, as a folder's listing is). The same bytes as :meth:`add_file`
        per file, formatted with one C-speed join per run instead of a Python step per file;
        names that are not all ASCII go file by file (their order is checked on UTF-8 bytes)."""
        if not names:
            return
        if not "".join(names).isascii() or not prefix.isascii():
            for name, size, sha in zip(names, sizes, shas, strict=True):
                self.add_file(prefix + name, size, sha)
            return
        rels = list(map(prefix.__add__, names))
        first, last = rels[0].encode("ascii"), rels[-1].encode("ascii")
        if self._last is not None and first <= self._last:
            raise ValueError(f"manifest entries out of order: {rels[0]!r}")
        self._last = last
        self.files += len(rels)
        self.total_size += sum(sizes)
        self._lines.append("".join(itertools.chain.from_iterable(zip(
            itertools.repeat('{"name":'), map(_json_str, rels), itertools.repeat(',"size":'), map(str, sizes),
            itertools.repeat(',"algorithm":"sha256","digest":"'), shas, itertools.repeat('"}\n'), strict=False))))
        self._tree_lines.append("".join(itertools.chain.from_iterable(zip(
            shas, itertools.repeat("  "), rels, itertools.repeat("\n"), strict=False))))
        self._run_lines += len(rels)
        if len(self._lines) + self._run_lines >= 4096:
            self._flush()

    def _flush(self) -> None:
        try:
            (self._gzip or self._hashing).write("".join(self._lines).encode("ascii"))
        except OSError as exc:  # a full disk, a device that refuses: the output's fault, one line (96c-1)
            raise InputError(self.path, f"cannot write: {exc.strerror or exc}") from exc
        self._lines.clear()
        self._run_lines = 0
        self._tree.update("".join(self._tree_lines).encode("utf-8", "surrogateescape"))
        self._tree_lines.clear()

    def close(self) -> Written:
        """Finish and move the manifest into place (again: the same result)."""
        if self._written is None:
            self._flush()
            try:
                if self._gzip is not None:
                    self._gzip.close()
                self._raw.close()
                if self._tmp is not None:
                    os.replace(self._tmp, self._target)
            except OSError as exc:
                raise InputError(self.path, f"cannot write: {exc.strerror or exc}") from exc
            self._written = Written(self.path, self._hashing.hash.hexdigest(), self._hashing.size, self.files, self.failed,
                                    self.total_size, None if self.failed or not self.files else self._tree.hexdigest())
        return self._written

    def abort(self) -> None:
        """Drop the temporary file (after :meth:`close`: nothing)."""
        if self._written is None:
            with contextlib.suppress(OSError):
                self._raw.close()
            if self._tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self._tmp)


class _Closable(Protocol):
    def close(self) -> None: ...


@contextlib.contextmanager
def writing(path: Path, header: Header, cache: _Closable | None = None) -> Iterator[ManifestWriter]:
    """The life of a manifest being written: a :class:`ManifestWriter` that is closed (moved
    into place) when the block ends, aborted (its temporary file removed) when the block
    raises; ``cache`` (the hash cache the block hashes through) is closed either way, also
    when the manifest cannot be opened. ``writer.close()`` in the block gives the
    :class:`Written` early (closing again returns it)."""
    try:
        writer = ManifestWriter(path, header)
        try:
            yield writer
            writer.close()
        except BaseException:
            writer.abort()
            raise
    finally:
        if cache is not None:
            cache.close()


class _HashingReader(io.RawIOBase):
    """A file descriptor read once, front to back, hashing every byte it hands out: the bytes
    parsed are the bytes hashed (see :meth:`ManifestReader.stored_sha256`)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.hash = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, b: object) -> int:
        view = memoryview(b)  # type: ignore[arg-type]
        n = os.readv(self.fd, [view])
        self.hash.update(view[:n])
        return n

    def drain(self) -> str:
        """Hash what is left unread; the SHA-256 of every byte of the file."""
        while chunk := os.read(self.fd, 1 << 20):
            self.hash.update(chunk)
        return self.hash.hexdigest()

    def close(self) -> None:
        if not self.closed:
            os.close(self.fd)
        super().close()


def _open_fd(path: Path, follow_symlinks: bool) -> int:
    """One descriptor on a regular file (never a FIFO or device; with ``follow_symlinks``
    False, never through a symbolic link at the last component)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        why = "a symbolic link (refused)" if not follow_symlinks and exc.errno == errno.ELOOP else exc.strerror or exc
        raise InputError(path, f"cannot read manifest: {why}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(path, "cannot read manifest: not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _digest_fd(path: Path, fd: int) -> str:
    h = hashlib.sha256()
    try:
        while chunk := os.read(fd, 1 << 20):
            h.update(chunk)
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError as exc:
        raise InputError(path, f"cannot read manifest: {exc.strerror or exc}") from exc
    return h.hexdigest()


def _lines(path: Path, fh: BinaryIO) -> Iterator[tuple[int, object]]:
    n = 0
    try:
        while True:
            line = fh.readline(MAX_LINE + 1)
            if not line:
                return
            n += 1
            if len(line) > MAX_LINE:
                raise InputError(path, f"line longer than {MAX_LINE} bytes", at=f"line {n}")
            if n > MAX_ENTRIES + 1:
                raise InputError(path, f"more than {MAX_ENTRIES} files", at=f"line {n}")
            try:
                yield n, json.loads(line)
            except (ValueError, RecursionError) as exc:
                raise InputError(path, f"not a JSON line: {exc}", at=f"line {n}") from None
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(path, f"cannot read manifest: {exc}", at=f"line {n + 1}") from exc


def _header(path: Path, obj: object) -> Header:
    if not isinstance(obj, dict) or obj.get(FORMAT_KEY) != FORMAT_VERSION:
        raise InputError(path, f"not an mlbom manifest (the first line must be a {FORMAT_KEY} {FORMAT_VERSION} header)",
                         at="line 1")
    root, alg = obj.get("root"), obj.get("algorithm")
    if not isinstance(root, str) or alg != "sha256":
        raise InputError(path, "header needs a root name and algorithm sha256", at="line 1")
    if (why := root_problem(root)) is not None:
        raise InputError(path, f"header root {root[:80]!r} {why}", at="line 1")
    shard = obj.get("shard")
    if shard is None:
        if set(obj) != {FORMAT_KEY, "root", "algorithm"}:
            raise InputError(path, f"unknown header keys {sorted(set(obj) - {FORMAT_KEY, 'root', 'algorithm'})}", at="line 1")
        return Header(root)
    part = read_shard(shard) if isinstance(shard, str) else None
    files, listing = obj.get("files"), obj.get("listing")
    if part is None or not isinstance(files, int) or isinstance(files, bool) or files < 0 or not _is_hex(listing):
        raise InputError(path, "malformed shard header (shard I/N, files, listing)", at="line 1")
    assert isinstance(listing, str)
    return Header(root, part, files, listing)


MAX_SHARDS = 1_000_000

READ_BUFFER = 64 << 10
"""Bytes one open manifest buffers: ``manifest merge`` holds every shard open at once (red team
93c-2: 4,000 shards with a 1 MiB buffer each was a ``MemoryError`` under ``ulimit -v 4 GB``)."""


def read_shard(text: str) -> tuple[int, int] | None:
    """``I/N`` as ``(I, N)`` when both are 1–7 ASCII digits and 1 ≤ I ≤ N ≤ :data:`MAX_SHARDS`;
    else None. The one reading of a shard, on the command line (``--shard``) and in a part's
    header (``str.isdigit`` also accepts ``²``, which ``int()`` refuses: red team 75c-4)."""
    i, sep, n = text.partition("/")
    first, count = bounded_int(i, max_digits=7), bounded_int(n, max_digits=7)
    if not sep or first is None or count is None or not 1 <= first <= count <= MAX_SHARDS:
        return None
    return first, count


def _is_hex(v: object) -> bool:
    return isinstance(v, str) and len(v) == 64 and set(v) <= _HEX


def _entry(path: Path, n: int, obj: object) -> Entry:
    if not isinstance(obj, dict):
        raise InputError(path, "not a JSON object", at=f"line {n}")
    name = obj.get("name")
    if not isinstance(name, str) or not confined(name):
        raise InputError(path, f"file name {str(name)[:120]!r} is not a relative path inside the folder", at=f"line {n}")
    try:  # the writer escapes undecodable bytes as U+DC80–U+DCFF (os.fsdecode); any other lone
        name.encode("utf-8", "surrogateescape")  # surrogate names no file (red team 48p-1)
    except UnicodeEncodeError:
        raise InputError(path, f"file name {ascii(name)[:120]} holds a lone surrogate no file name has",
                         at=f"line {n}") from None
    if "error" in obj:
        err = obj["error"]
        if set(obj) != {"name", "error"} or not isinstance(err, str):
            raise InputError(path, "malformed error line", at=f"line {n}")
        return Entry(name, None, None, err[:500])
    size, alg, digest = obj.get("size"), obj.get("algorithm"), obj.get("digest")
    if set(obj) != {"name", "size", "algorithm", "digest"} or alg != "sha256" or not _is_hex(digest) \
            or not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InputError(path, "a file line needs name, size (bytes), algorithm sha256 and a lower-case hex digest",
                         at=f"line {n}")
    assert isinstance(digest, str)
    return Entry(name, size, digest)


class ManifestReader:
    """Streams a manifest: ``header`` is read on construction, iterate for the entries
    (checked; strictly increasing order). Use as a context manager.

    The file is opened once, and every byte parsed is hashed on the way:
    :meth:`stored_sha256` is the digest of exactly the bytes the entries came from. With
    ``expect_sha256`` the descriptor is hashed first (an :class:`InputError` when it differs,
    before any line is believed), then read from its start; the iteration ends with an
    :class:`InputError` when what was read no longer has that digest (the file was written to
    in between). Swapping the file by name cannot reach a descriptor already open.
    ``follow_symlinks=False`` refuses a symbolic link (a manifest found beside a BOM)."""

    def __init__(self, path: Path, expect_sha256: str | None = None, follow_symlinks: bool = True) -> None:
        self.path = path
        self._expect = expect_sha256
        fd = _open_fd(path, follow_symlinks)
        try:
            if expect_sha256 is not None:
                got = _digest_fd(path, fd)
                if got != expect_sha256:
                    raise InputError(path, f"manifest SHA-256 {got} is not the {expect_sha256} the BOM records "
                                           "(modified or replaced)")
        except BaseException:
            os.close(fd)
            raise
        self._raw = _HashingReader(fd)
        buffered = io.BufferedReader(self._raw, READ_BUFFER)
        self._fh: BinaryIO = gzip.GzipFile(fileobj=buffered, mode="rb") if path.name.endswith(".gz") \
            else buffered  # type: ignore[assignment]
        self._buffered = buffered
        self._digest: str | None = None
        self._it = _lines(path, self._fh)
        try:
            first = next(self._it, None)
            if first is None:
                raise InputError(path, "empty file: not an mlbom manifest")
            self.header = _header(path, first[1])
        except BaseException:
            self.close()
            raise

    def stored_sha256(self) -> str:
        """SHA-256 of every stored byte of the file this reader has open (what is left unread is
        read and hashed first; call it once the entries are consumed)."""
        if self._digest is None:
            try:
                while self._buffered.read(1 << 20):
                    pass
                self._digest = self._raw.drain()
            except OSError as exc:
                raise InputError(self.path, f"cannot read manifest: {exc.strerror or exc}") from exc
        return self._digest

    def __iter__(self) -> Iterator[Entry]:
        last: bytes | None = None
        for n, obj in self._it:
            e = _entry(self.path, n, obj)
            key = path_key(e.path)
            if last is not None and key <= last:
                raise InputError(self.path, f"{e.path!r} is out of order or listed twice (paths must be sorted)",
                                 at=f"line {n}")
            last = key
            yield e
        if self._expect is not None and self.stored_sha256() != self._expect:
            raise InputError(self.path, f"manifest changed while it was read (SHA-256 {self._digest}, the BOM records "
                                        f"{self._expect})")

    def close(self) -> None:
        self._fh.close()
        self._buffered.close()
        self._raw.close()

    def __enter__(self) -> ManifestReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stored_sha256(path: Path) -> str:
    """SHA-256 of a manifest's stored bytes (what the BOM references), from one descriptor on a
    regular file."""
    fd = _open_fd(path, True)
    try:
        return _digest_fd(path, fd)
    finally:
        os.close(fd)
