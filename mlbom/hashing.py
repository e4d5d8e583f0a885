"""The one hashing engine: streaming SHA-256 of files, in parallel across files (another
``hashlib`` algorithm where a RECORD row names one: ``alg``).

Every collector that hashes artifacts (RECORD verification, model weights, dataset files,
``verify --artifacts``) goes through here. Memory is one fixed buffer per worker whatever the
file size; hashlib releases the GIL on large updates, so threads use every core.
"""

from __future__ import annotations

import base64
import ctypes
import errno
import hashlib
import io
import itertools
import os
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from mlbom.progress import advance

_HEAD = 4096
_BUF = 1 << 20  # 1 MiB: per-call overhead vanishes next to SHA-256 itself


StatKey = tuple[int, int, int, int, int]
"""(st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns): what the hash cache is keyed by."""


@dataclass(frozen=True)
class FileDigest:
    """The SHA-256 of one file (or the digest of ``alg`` where one was asked for), or why it
    could not be computed."""

    path: str | os.PathLike[str]
    sha256: str | None  # hex digest of ``alg``
    size: int | None
    error: str | None = None
    head: bytes = b""  # the first bytes (up to 4 KiB), so format detection needs no second read
    key: StatKey | None = None  # the hashed descriptor's fstat: which file was read (compare a later open's)
    alg: str = "sha256"


_local = threading.local()


def _buffer() -> memoryview:
    """One read buffer per thread, allocated once (allocating it per file costs more than
    hashing a small file). Its start is placed 2 KiB past a page boundary: measured here, a
    buffer whose address is page-aligned (or nearly) hashes 40% slower (2.15 s vs 1.52 s for
    2 GiB) — 4K aliasing between the page-cache copy and the buffer."""
    view: memoryview | None = getattr(_local, "view", None)
    if view is None:
        raw = bytearray(_BUF + 8192)
        addr = ctypes.addressof(ctypes.c_char.from_buffer(raw))
        offset = (2048 + 64 - addr) % 4096
        view = memoryview(raw)[offset:offset + _BUF]
        _local.raw = raw
        _local.view = view
    return view


def _hash_large(fd: int, progress: Callable[[int], None] | None = None, *,
                positional: bool = False, alg: str = "sha256") -> tuple[str, int, bytes]:
    """SHA-256 of ``fd`` read to its end through the thread's buffer: (hex digest, bytes read,
    the first :data:`_HEAD` of them). ``progress`` gets the bytes of each read. ``positional``
    reads from offset 0 with ``preadv`` and leaves the descriptor's offset alone, so another
    reader of the same open file is not disturbed. ``alg``: a fixed-length ``hashlib`` algorithm."""
    h = hashlib.new(alg)
    view = _buffer()
    head = b""
    size = 0
    while True:
        n = os.preadv(fd, [view], size) if positional else os.readv(fd, [view])
        if not n:
            break
        if len(head) < _HEAD:  # (over short reads too: a head shorter than _HEAD is the whole file, 111pa-5)
            head += bytes(view[:min(n, _HEAD - len(head))])
        h.update(view[:n])
        size += n
        if progress is not None:
            progress(n)
    return h.hexdigest(), size, head


def sha256_file(path: str | os.PathLike[str], alg: str = "sha256") -> FileDigest:
    """Hash one file in fixed-size chunks. Never raises for I/O problems: they come back in
    ``error`` (a file that vanished, a permission problem, a directory). Only a regular file is
    read: the open does not block (``O_NONBLOCK``: a FIFO would wait for a writer forever) and a
    FIFO, socket or device (``/dev/zero`` never ends) is refused after ``fstat``. ``alg``: another
    fixed-length ``hashlib`` algorithm (a RECORD row's); the digest is then that algorithm's."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return FileDigest(path, None, None, f"{type(exc).__name__}: {exc.strerror or exc}")
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            return FileDigest(path, None, None, "IsADirectoryError: is a directory")
        if not stat.S_ISREG(st.st_mode):
            return FileDigest(path, None, None, "not a regular file (a FIFO, socket or device)")
        if st.st_size < _BUF:
            h = hashlib.new(alg)
            # Small file: one read of its size plus one byte (at end of file, no second read),
            # one update. Not os.read(fd, _BUF): that allocates and frees 1 MiB per file, which
            # cost more than hashing a file of a few KiB (most files of an environment).
            data = os.read(fd, st.st_size + 1)
            head = data[:_HEAD]
            h.update(data)
            size = len(data)
            if size != st.st_size:  # a short read, or the file grew since the fstat: read on to the end
                while data := os.read(fd, _BUF):
                    h.update(data)
                    size += len(data)
                    if len(head) < _HEAD:  # (a head shorter than _HEAD is the whole file: 111pa-5)
                        head += data[:_HEAD - len(head)]
            advance(size)
            return FileDigest(path, h.hexdigest(), size, head=head, key=stat_key(st), alg=alg)
        hexdigest, size, head = _hash_large(fd, advance, alg=alg)
        return FileDigest(path, hexdigest, size, head=head, key=stat_key(st), alg=alg)
    except OSError as exc:
        return FileDigest(path, None, None, f"{type(exc).__name__}: {exc.strerror or exc}")
    finally:
        os.close(fd)


def sha256_descriptor(fd: int) -> FileDigest:
    """Hash the regular file open as ``fd`` from its first byte, without moving its offset
    (``preadv``): the digest describes the very file another reader of ``fd`` scans, not
    whatever a second open by name would find (a file renamed in between). Never raises for
    I/O problems."""
    try:
        hexdigest, size, head = _hash_large(fd, positional=True)
    except OSError as exc:
        return FileDigest(f"<fd {fd}>", None, None, f"{type(exc).__name__}: {exc.strerror or exc}")
    return FileDigest(f"<fd {fd}>", hexdigest, size, head=head)


def default_workers() -> int:
    """Worker threads for hashing: one per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def sha256_files(paths: Iterable[str | os.PathLike[str]], *, workers: int | None = None,
                 algs: Sequence[str] | None = None) -> Iterator[FileDigest]:
    """Hash many files, yielding results in input order. ``algs``: the algorithm of each file
    (same order; SHA-256 when not given).

    Work is split into one contiguous batch per worker, balanced by size, rather than one task
    per file: an environment holds tens of thousands of small files, and per-task overhead and
    GIL hand-offs would cost more than hashing them. Large files hash in parallel (hashlib
    releases the GIL on large updates)."""
    items = list(paths)
    kinds = list(algs) if algs is not None else ["sha256"] * len(items)
    if len(kinds) != len(items):
        raise ValueError("one algorithm per path")
    n = min(workers or default_workers(), max(1, len(items)))
    if n <= 1 or len(items) < 2:
        for p, a in zip(items, kinds, strict=True):
            yield sha256_file(p, a)
        return
    sizes = []
    for p in items:
        try:
            sizes.append(os.stat(p).st_size)
        except OSError:
            sizes.append(0)
    share = (sum(sizes) or 1) / n
    bounds = [0]
    acc = 0
    for i, size in enumerate(sizes):
        acc += size
        if acc >= share * len(bounds) and len(bounds) < n:
            bounds.append(i + 1)
    bounds.append(len(items))
    results: list[FileDigest | None] = [None] * len(items)

    def work(lo: int, hi: int) -> None:
        for i in range(lo, hi):
            results[i] = sha256_file(items[i], kinds[i])

    threads = [threading.Thread(target=work, args=(lo, hi), daemon=True) for lo, hi in itertools.pairwise(bounds) if hi > lo]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        assert r is not None
        yield r


def record_digest_to_hex(value: str) -> tuple[str, str] | None:
    """Decode a RECORD hash field (``sha256=<urlsafe-b64, no padding>``) to ``(alg, hex)``.
    Returns None for a field that is not of that form."""
    alg, sep, b64 = value.partition("=")
    if not sep or not alg or not b64:
        return None
    try:
        raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
    except (ValueError, TypeError):
        return None
    return alg.lower(), raw.hex()


def tree_digest(files: Iterable[tuple[str, str]]) -> str:
    """One SHA-256 over a set of files, from ``(path, sha256-hex)`` pairs: the SHA-256 of the
    lines ``"<sha256>  <path>\\n"`` sorted by path (code-point order, which is UTF-8 byte
    order), i.e. of what ``sha256sum`` prints for the files listed in ``LC_ALL=C sort`` order.
    Paths are relative to the folder and use ``/``. Independent of the order given."""
    h = hashlib.sha256()
    for path, digest in sorted(files):
        h.update(f"{digest}  {path}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


class StableDigest(NamedTuple):
    """The SHA-256 of a file that did not change while it was read, with the :data:`StatKey`
    it had; or why not (``changed`` when size or mtime differed before and after: the digest
    would describe no version of the file). A named tuple: one is made per file of a dataset."""

    sha256: str | None
    size: int | None
    key: StatKey | None
    head: bytes = b""
    error: str | None = None
    changed: bool = False


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


_STABLE_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def sha256_stable(path: str) -> StableDigest:
    """Hash one file, checking with ``fstat`` before and after that it did not change.
    Never raises for I/O problems. Opened non-blocking, so a file swapped for a FIFO after the
    walk does not hang."""
    try:
        fd = os.open(path, _STABLE_FLAGS)
    except OSError as exc:
        return StableDigest(None, None, None, error=f"{type(exc).__name__}: {exc.strerror or exc}")
    return _stable_fd(fd)


_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def open_beneath(root: str, rel: str, flags: int = _STABLE_FLAGS) -> int:
    """Open the file ``rel`` (``/``-separated) inside the folder ``root`` one step at a time,
    each folder relative to the last one's descriptor and none of them, nor the file, through a
    symbolic link (``O_NOFOLLOW``): what is opened lies inside ``root`` even if a folder on the
    way is swapped for a link meanwhile. Raises :class:`OSError` (``ELOOP``/``ENOTDIR`` for a
    link; ``ValueError`` for an empty, absolute or ``..`` step)."""
    parts = rel.split("/")
    if not rel or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a plain relative path: {rel!r}")
    fd = os.open(root, _DIR_FLAGS)
    try:
        for part in parts[:-1]:
            nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nxt
        return os.open(parts[-1], flags | getattr(os, "O_NOFOLLOW", 0), dir_fd=fd)
    finally:
        os.close(fd)


def sha256_stable_beneath(root: str, rel: str) -> StableDigest:
    """:func:`sha256_stable` of ``rel`` inside ``root``, opened by :func:`open_beneath`: a
    symbolic link anywhere on the way is not followed (error ``symbolic link (not followed)``)."""
    try:
        fd = open_beneath(root, rel)
    except ValueError as exc:
        return StableDigest(None, None, None, error=str(exc))
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _has_link(root, rel):
            return StableDigest(None, None, None, error="symbolic link (not followed)")
        return StableDigest(None, None, None, error=f"{type(exc).__name__}: {exc.strerror or exc}")
    return _stable_fd(fd)


def _has_link(root: str, rel: str) -> bool:
    here = root
    for part in rel.split("/"):
        here = os.path.join(here, part)
        try:
            if stat.S_ISLNK(os.lstat(here).st_mode):
                return True
        except OSError:
            return False
    return False


def _stable_fd(fd: int) -> StableDigest:
    """:func:`sha256_stable` of an open descriptor, which it closes."""
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return StableDigest(None, None, None, error="not a regular file (not read)")
        if st.st_size < _BUF:
            # one read of the size the fstat gave plus one byte: a file that grew since reads
            # more than that (and shows in the fstat below too); no read for end-of-file. Not
            # os.read(fd, _BUF): allocating 1 MiB per file costs more than hashing a small one.
            data = os.read(fd, st.st_size + 1)
            while 0 < len(data) < st.st_size and (more := os.read(fd, st.st_size + 1 - len(data))):
                data += more  # a short read (network and FUSE file systems may give one)
            size = len(data)
            hexdigest = hashlib.sha256(data).hexdigest()
            head = data[:_HEAD]
        else:
            hexdigest, size, head = _hash_large(fd)
        after = os.fstat(fd)
        if size != st.st_size or after.st_size != st.st_size or after.st_mtime_ns != st.st_mtime_ns:
            mtime = "same" if after.st_mtime_ns == st.st_mtime_ns else "changed"
            return StableDigest(None, size, None, changed=True, error=(
                f"changed while being hashed (size {st.st_size} → {after.st_size}, read {size} bytes; mtime {mtime})"))
        return StableDigest(hexdigest, size, stat_key(st), head)
    except OSError as exc:
        return StableDigest(None, None, None, error=f"{type(exc).__name__}: {exc.strerror or exc}")
    finally:
        os.close(fd)


StableRow = tuple[str | None, int | None, StatKey | None, str | None, str | None, bool]
"""(sha256, size, key, fmt, error, changed): :func:`sha256_stable` of one file as a plain tuple."""


def stable_rows(paths: Iterable[str], detect: Callable[[bytes], str] | None = None, *,
                keys: bool = True) -> list[StableRow]:
    """:func:`sha256_stable` over many files, as plain tuples: the per-file loop of a file
    manifest, where every Python call and object per file shows (measured: an inline fast path
    costs about 17 µs of CPU for a file of a few KiB, a call of :func:`sha256_stable` 24 µs).
    ``fmt`` is ``detect(first 4 KiB)`` for a file hashed (None without ``detect``); ``key`` is
    None unless ``keys`` (it only serves the hash cache).

    The fast path takes a regular file smaller than the read buffer that reads whole and whose
    size and mtime are the same after the read; anything else (an error, a large file, a file
    that changed, a short read) is handed to :func:`sha256_stable`, which decides and words it."""
    out: list[StableRow] = []
    append = out.append
    open_, fstat, read, close, sha256 = os.open, os.fstat, os.read, os.close, hashlib.sha256
    for path in paths:
        try:
            fd = open_(path, _STABLE_FLAGS)
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                st = fstat(fd)
                size = st.st_size
                if size < _BUF and stat.S_ISREG(st.st_mode):
                    data = read(fd, size + 1)
                    if len(data) == size:
                        after = fstat(fd)
                        if after.st_size == size and after.st_mtime_ns == st.st_mtime_ns:
                            append((sha256(data).hexdigest(), size,
                                    (st.st_dev, st.st_ino, size, st.st_mtime_ns, st.st_ctime_ns) if keys else None,
                                    detect(data[:_HEAD]) if detect is not None else None, None, False))
                            continue
            except OSError:
                pass
            finally:
                close(fd)
        d = sha256_stable(path)
        append((d.sha256, d.size, d.key if keys else None,
                detect(d.head) if detect is not None and d.sha256 is not None else None, d.error, d.changed))
    return out


# ---- verified reads: the digest of a large file and the bytes a scan reads are one content ----

CHUNK = 1 << 16
"""The smallest unit of a verified read (:class:`ChunkedHash`, :class:`VerifiedReader`): a read
anywhere re-hashes one chunk to check it, so the chunk is small — a zip's local headers, one per
tensor member spread through a checkpoint, cost 64 KiB each, not the whole file hashed again (a
500 MB checkpoint's scan re-hashed 236 MiB of 1 MiB chunks, twice). A file of more than
:data:`MAX_STATES` chunks gets larger ones (a power of two): the states kept stay under ~8 MB."""

MAX_STATES = 1 << 15
READ_BLOCK = 1 << 20
"""Bytes the hash pass reads per ``preadv`` at least (a whole number of chunks)."""


def chunk_for(size: int) -> int:
    """The verified-read chunk of a file of ``size`` bytes (see :data:`CHUNK`)."""
    chunk = CHUNK
    while size > chunk * MAX_STATES:
        chunk *= 2
    return chunk


class ContentChanged(Exception):
    """A chunk read again is not the chunk the hash pass read (the file changed in place)."""


class ChunkedHash:
    """The SHA-256 of the regular file open as ``fd``, read once, in order, from offset 0 by a
    thread (``preadv``: the descriptor's offset is untouched), keeping a copy of the hash
    state at every chunk boundary (:attr:`chunk`: :func:`chunk_for` the file's size).

    State ``i`` is SHA-256 midway, after bytes ``[0, i * chunk)``. A chunk read again later is
    the chunk the pass read iff finishing state ``i`` with it gives the digest of state ``i + 1``
    (both are SHA-256 of the same prefix followed by a chunk: equal digests for other bytes
    would be a SHA-256 collision). So a scan that reads through :class:`VerifiedReader` judges
    only bytes the recorded digest covers, however the file is rewritten meanwhile (a shared
    mapping changes no size, mtime or ctime) — and the pass hashes each byte once: no second
    digest per chunk. Memory: one state (about 250 bytes) per chunk, at most :data:`MAX_STATES`. Never raises for
    I/O problems: they come back in :meth:`result`."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        try:
            size = os.fstat(fd).st_size
        except OSError:  # (the pass reports it)
            size = 0
        self.chunk = chunk_for(size)
        """The chunk of :meth:`verify` (:func:`chunk_for` the size ``fstat`` gave at the start)."""
        self._states: list[Any] = []  # hashlib objects: state i before chunk i; the last one final
        self._done = False
        self._cond = threading.Condition()
        self._result: FileDigest | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        h = hashlib.sha256()
        chunk = self.chunk
        block = max(READ_BLOCK, chunk)
        buf = bytearray(block)
        view = memoryview(buf)
        size = 0
        head = b""
        error: str | None = None
        try:
            with self._cond:
                self._states.append(h.copy())  # state 0
            while True:
                got = 0
                while got < block:  # a whole block, or up to the end of the file (short reads happen)
                    n = os.preadv(self.fd, [view[got:]], size + got)
                    if not n:
                        break
                    got += n
                if not got:
                    break
                if not head:
                    head = bytes(view[:min(got, _HEAD)])
                states = []
                for off in range(0, got, chunk):  # the state after each chunk (a short last one: the end)
                    h.update(view[off:min(off + chunk, got)])
                    states.append(h.copy())
                with self._cond:
                    self._states.extend(states)
                    self._cond.notify_all()
                size += got
                advance(got)
                if got < block:
                    break
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc.strerror or exc}"
        with self._cond:
            self._result = (FileDigest(f"<fd {self.fd}>", None, None, error) if error is not None
                            else FileDigest(f"<fd {self.fd}>", h.hexdigest(), size, head=head))
            self._done = True
            self._cond.notify_all()

    def result(self) -> FileDigest:
        """The digest of every byte read (waits for the pass to end)."""
        self._thread.join()
        assert self._result is not None
        return self._result

    def _bounds(self, i: int) -> tuple[Any, Any] | None:
        """States ``i`` and ``i + 1`` once the pass has read chunk ``i``; None past its end."""
        with self._cond:
            while len(self._states) < i + 2 and not self._done:
                self._cond.wait()
            if self._result is not None and self._result.error is not None:
                raise OSError(self._result.error)
            if len(self._states) < i + 2:
                return None
            return self._states[i], self._states[i + 1]

    def verify(self, i: int, data: bytes) -> bool | None:
        """Whether ``data`` is chunk ``i`` as the pass read it; None when the pass read no chunk ``i``."""
        bounds = self._bounds(i)
        if bounds is None:
            return None
        start, end = bounds
        mine = start.copy()
        mine.update(data)
        return bool(mine.digest() == end.copy().digest())


class VerifiedReader(io.RawIOBase):
    """A seekable read-only view of the file ``hashed`` reads, that hands out only bytes it has
    verified: whole chunks (:attr:`ChunkedHash.chunk`) read with ``pread`` from the same descriptor and
    checked with :meth:`ChunkedHash.verify` (a few kept for re-reads). A chunk that differs sets
    :attr:`changed` and raises :class:`ContentChanged` (a caller checks :attr:`changed` after,
    whatever a parser made of the exception); past the bytes the pass hashed is end of file.
    ``size`` is where ``SEEK_END`` counts from (the size ``fstat`` gave)."""

    _KEEP_BYTES = 4 << 20  # chunks kept for re-reads: 4 MiB of them, 8 at least

    def __init__(self, hashed: ChunkedHash, size: int) -> None:
        super().__init__()
        self._hashed = hashed
        self._size = size
        self._pos = 0
        self._chunks: dict[int, bytes] = {}
        self.changed = False

    @property
    def hashed(self) -> ChunkedHash:
        """The hash pass the reads are checked against."""
        return self._hashed

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = 0 if whence == io.SEEK_SET else self._pos if whence == io.SEEK_CUR else self._size
        pos = base + offset
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def _chunk(self, i: int) -> bytes:
        data = self._chunks.get(i)
        if data is not None:
            return data
        if self.changed:
            raise ContentChanged("the file changed while it was scanned")
        parts: list[bytes] = []
        got = 0
        chunk = self._hashed.chunk
        while got < chunk:
            part = os.pread(self._hashed.fd, chunk - got, i * chunk + got)
            if not part:
                break
            parts.append(part)
            got += len(part)
        data = b"".join(parts)
        ok = self._hashed.verify(i, data)
        if ok is None:  # past what the pass hashed: nothing the digest covers
            return b""
        if not ok:
            self.changed = True
            raise ContentChanged(f"bytes {i * chunk}-{i * chunk + chunk - 1} differ from the bytes hashed: the file "
                                 "changed while it was scanned")
        if len(self._chunks) >= max(8, self._KEEP_BYTES // chunk):
            del self._chunks[next(iter(self._chunks))]
        self._chunks[i] = data
        return data

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        done = 0
        while done < len(view):
            i, off = divmod(self._pos, self._hashed.chunk)
            data = self._chunk(i)
            if off >= len(data):
                break
            n = min(len(view) - done, len(data) - off)
            view[done:done + n] = memoryview(data)[off:off + n]
            done += n
            self._pos += n
        return done
