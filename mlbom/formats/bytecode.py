"""Whether a ``__pycache__`` ``.pyc`` holds its source's bytecode, proved without running it.

importlib imports ``pkg/__pycache__/mod.<cache_tag>[.opt-N].pyc`` instead of compiling
``pkg/mod.py`` when the pyc's header matches the source (``SourceLoader.get_code`` in
``importlib/_bootstrap_external.py``): a *timestamp* pyc when the source's mtime and size (low
32 bits each) equal the header's, a *checked-hash* pyc when ``importlib.util.source_hash`` of the
source equals the header's, an *unchecked-hash* pyc always. The bytecode itself is never
compared with the source, so a pyc whose header was copied from the genuine one runs whatever
it holds. :func:`check_pyc` models that choice exactly, compiles the source (``compile`` only,
nothing is executed or imported) and compares the result with the pyc's body.

The body is **never** handed to :func:`marshal.loads` (CPython documents marshal as unsafe on
hostile data). When it is not byte-for-byte ``marshal.dumps`` of the fresh compile, a small
static reader of the marshal format (:func:`canonical_digest`) reduces both to a canonical
digest that resolves ``FLAG_REF``/``TYPE_REF`` back-references, treats every string type
(``t u a A z Z``) and interned-ness alike, orders set elements, and ignores ``co_filename``
(pip compiles with the install path; a relocated environment differs only there). Equal
digests mean the same code. The reader is bounded (nesting depth, sizes checked against the
bytes left) and raises :class:`BytecodeError` and nothing else.

Only the code-object layout of the running interpreter is known here (3.10: ``co_lnotab``-era
fields; 3.11 to 3.13: ``co_localsplusnames``/``co_qualname``/``co_exceptiontable``): a pyc
for another Python (another magic number) is reported as not compared, never as matching.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import stat
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlbom.errors import InputError
from mlbom.formats.safe_read import read_bounded

MAGIC = importlib.util.MAGIC_NUMBER
"""The running interpreter's pyc magic number: only pycs with this one are compared."""

CACHE_TAG = sys.implementation.cache_tag

MAX_DEPTH = 300
"""Nesting bound of the static reader (a module's own compile stays far below it)."""

MAX_SOURCE_BYTES = 8 << 20
"""Sources larger than this are not compiled (the pyc is reported as not compared)."""

MAX_PYC_BYTES = 64 << 20

FLAG_REF = 0x80


class BytecodeError(Exception):
    """The marshal data cannot be read. ``malformed``: marshal itself would refuse it too (it
    ends early, or names a type code or reference marshal does not know), so importlib's import
    fails; otherwise the data is beyond this reader (its bounds, a reference to an object still
    being read) and nothing is known about what marshal would make of it."""

    def __init__(self, reason: str, *, malformed: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.malformed = malformed


# Code-object fields after the type byte, per CPython version (Python/marshal.c, r_object,
# TYPE_CODE): "l" a 32-bit r_long, "o" an object, "f" the object co_filename (ignored).
_LAYOUTS: dict[tuple[int, int], str] = {
    (3, 10): "llllll" + "oooooo" + "fo" + "l" + "o",
    (3, 11): "lllll" + "ooooo" + "foo" + "l" + "oo",
    (3, 12): "lllll" + "ooooo" + "foo" + "l" + "oo",
    (3, 13): "lllll" + "ooooo" + "foo" + "l" + "oo",
}
LAYOUT = _LAYOUTS.get(sys.version_info[:2])

_SINGLETONS = {ord("N"): b"None", ord("F"): b"False", ord("T"): b"True", ord("S"): b"StopIteration",
               ord("."): b"Ellipsis"}
_PENDING = b""


def _h(*parts: bytes) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.digest()


class _Reader:
    def __init__(self, data: bytes | memoryview, layout: str) -> None:
        self.data = memoryview(data)
        self.pos = 0
        self.refs: list[bytes] = []
        self.layout = layout

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise BytecodeError("EOF read where object expected", malformed=True)
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def long(self) -> int:
        return int.from_bytes(self.take(4), "little", signed=True)

    def size(self, what: str) -> int:
        n = self.long()
        if n < 0:
            raise BytecodeError(f"bad marshal data ({what} size out of range)", malformed=True)
        return n

    def reserve(self, flag: int) -> int:
        if not flag:
            return -1
        self.refs.append(_PENDING)
        return len(self.refs) - 1

    def done(self, idx: int, digest: bytes) -> bytes:
        if idx >= 0:
            self.refs[idx] = digest
        return digest

    def obj(self, depth: int, *, null_ok: bool = False) -> bytes | None:
        if depth > MAX_DEPTH:
            raise BytecodeError(f"nested deeper than {MAX_DEPTH}", malformed=False)
        byte = self.take(1)[0]
        flag, code = byte & FLAG_REF, byte & ~FLAG_REF
        c = chr(code)
        if c == "0":
            if null_ok:
                return None
            raise BytecodeError("NULL object in marshal data", malformed=True)
        if code in _SINGLETONS:
            return _h(b"k", _SINGLETONS[code])
        if c == "r":
            n = self.long()
            if n < 0 or n >= len(self.refs):
                raise BytecodeError("bad marshal data (invalid reference)", malformed=True)
            got = self.refs[n]
            if not got:
                raise BytecodeError("a reference to an object still being read", malformed=False)
            return got
        if c in "il":
            return self.done(self.reserve(flag), self._int(c))
        if c == "I":
            value = int.from_bytes(self.take(8), "little", signed=True)
            return self.done(self.reserve(flag), _h(b"int", *_digits(value)))
        if c == "g":
            return self.done(self.reserve(flag), _h(b"float", bytes(self.take(8))))
        if c == "y":
            return self.done(self.reserve(flag), _h(b"complex", bytes(self.take(16))))
        if c == "f":
            return self.done(self.reserve(flag), _h(b"float", self._text_float()))
        if c == "x":
            return self.done(self.reserve(flag), _h(b"complex", self._text_float() + self._text_float()))
        if c == "s":
            return self.done(self.reserve(flag), _h(b"bytes", bytes(self.take(self.size("bytes object")))))
        if c in "tu":
            raw = self.take(self.size("unicode"))
            try:
                text = bytes(raw).decode("utf-8", "surrogatepass")
            except UnicodeDecodeError as exc:
                raise BytecodeError(f"bad marshal data (utf-8: {exc.reason})", malformed=True) from None
            return self.done(self.reserve(flag), _h(b"str", text.encode("utf-8", "surrogatepass")))
        if c in "aAzZ":
            n = self.take(1)[0] if c in "zZ" else self.size("string")
            text = bytes(self.take(n)).decode("latin-1")
            return self.done(self.reserve(flag), _h(b"str", text.encode("utf-8")))
        if c in "()[<>":
            n = self.take(1)[0] if c == ")" else self.size("tuple/list/set")
            if n > len(self.data) - self.pos:
                raise BytecodeError("EOF read where object expected", malformed=True)
            idx = self.reserve(flag)
            items = [self._item(depth) for _ in range(n)]
            kind = {"(": b"tuple", ")": b"tuple", "[": b"list", "<": b"set", ">": b"frozenset"}[c]
            if c in "<>":
                items.sort()
            return self.done(idx, _h(kind, *items))
        if c == "{":
            idx = self.reserve(flag)
            pairs: list[bytes] = []
            while True:
                key = self.obj(depth + 1, null_ok=True)
                if key is None:
                    break
                pairs += [key, self._item(depth)]
            return self.done(idx, _h(b"dict", *pairs))
        if c == "c":
            if not self.layout:
                raise BytecodeError("no code-object layout for this Python", malformed=False)
            idx = self.reserve(flag)
            fields: list[bytes] = []
            for field in self.layout:
                if field == "l":
                    fields.append(bytes(self.take(4)))
                else:
                    got = self._item(depth)
                    if field == "o":
                        fields.append(got)
            return self.done(idx, _h(b"code", *fields))
        raise BytecodeError(f"bad marshal data (unknown type code {byte:#04x})", malformed=True)

    def _item(self, depth: int) -> bytes:
        got = self.obj(depth + 1)
        assert got is not None
        return got

    def _int(self, c: str) -> bytes:
        if c == "i":
            return _h(b"int", *_digits(self.long()))
        n = self.long()
        count = abs(n)
        raw = self.take(2 * count)
        digits = [int.from_bytes(raw[2 * i:2 * i + 2], "little") for i in range(count)]
        if any(d > 0x7FFF for d in digits):
            raise BytecodeError("bad marshal data (digit out of range in long)", malformed=True)
        if count and digits[-1] == 0:
            raise BytecodeError("bad marshal data (unnormalized long data)", malformed=True)
        sign = b"-" if n < 0 else b"+"
        return _h(b"int", sign if count else b"+", b"".join(d.to_bytes(2, "little") for d in digits))

    def _text_float(self) -> bytes:
        raw = bytes(self.take(self.take(1)[0]))
        try:
            return struct.pack("<d", float(raw.decode("ascii")))
        except (UnicodeDecodeError, ValueError):
            raise BytecodeError("bad marshal data (float text)", malformed=True) from None


def _digits(value: int) -> tuple[bytes, bytes]:
    """A Python int as marshal's ``TYPE_LONG`` writes it: sign, then 15-bit digits."""
    sign = b"-" if value < 0 else b"+"
    value = abs(value)
    out = bytearray()
    while value:
        out += (value & 0x7FFF).to_bytes(2, "little")
        value >>= 15
    return sign, bytes(out)


@dataclass(frozen=True)
class Canonical:
    digest: bytes
    is_code: bool


def canonical_digest(data: bytes | memoryview) -> Canonical:
    """The canonical digest of the first marshal object in ``data`` (trailing bytes are
    ignored, as :func:`marshal.loads` ignores them). Raises :class:`BytecodeError` only."""
    reader = _Reader(data, LAYOUT or "")
    try:
        first = reader.data[:1].tobytes()
        got = reader.obj(0)
    except RecursionError:
        raise BytecodeError("nested too deeply for this reader", malformed=False) from None
    except MemoryError:
        raise BytecodeError("too large for this reader", malformed=False) from None
    assert got is not None
    return Canonical(got, bool(first) and first[0] & ~FLAG_REF == ord("c"))


# --- which pyc importlib would use, and whether it is its source's compile ------------------------

Outcome = Literal["unused", "match", "mismatch", "unverified", "unreadable", "unchecked"]


@dataclass(frozen=True)
class PycCheck:
    outcome: Outcome
    """``unused``: importlib would not load this pyc for its source (another tag, no source, a
    header that does not validate): it recompiles instead. ``unchecked``: an unchecked-hash pyc
    (reported elsewhere). ``match``: the body is the source's compile. ``mismatch``: importlib
    would run bytecode the source does not hold. ``unreadable``: importlib would use it but
    marshal cannot read the body (the import fails). ``unverified``: importlib may use it and
    it could not be compared (``reason``)."""
    reason: str = ""


def split_name(name: str, tag: str | None) -> tuple[str, int] | None:
    """``mod.<tag>[.opt-N].pyc`` → (``mod``, optimize level), or None when importlib never
    looks for this name (another cache tag, an optimization tag that is not ``opt-<digits>``).
    ``tag`` None: the environment's tag is not known, any tag is taken."""
    if not name.endswith(".pyc"):
        return None
    stem = name[:-4]
    optimize = 0
    head, dot, last = stem.rpartition(".")
    if dot and last.startswith("opt-"):
        level = last[4:]
        if not (level.isascii() and level.isdigit()) or int(level) < 1:
            return None
        optimize = min(int(level), 2)  # -OOO and beyond compile as -OO
        stem = head
    base, dot, got = stem.rpartition(".")
    if not dot or not base or not got or (tag is not None and got != tag):
        return None
    return base, optimize


def read_head(path: str, limit: int) -> bytes | None:
    """At most ``limit`` + 1 bytes of a regular file (no FIFOs, devices: :func:`read_bounded`),
    or None when it cannot be read."""
    try:
        return read_bounded(Path(path), limit, head=True)
    except InputError:
        return None


def check_pyc(pyc: str, source: str, optimize: int, env_magic: bytes | None) -> PycCheck:
    """Whether importlib, in an environment whose interpreter writes ``env_magic`` pycs (None:
    not known), would load ``pyc`` for ``source`` and, if so, whether it holds ``source``'s
    compile. Compiles the source; executes, imports and unmarshals nothing."""
    head = read_head(pyc, 15)
    try:
        st = os.stat(source)  # path_stats follows links, as importlib does
    except OSError:
        return PycCheck("unused")
    if head is None or len(head) < 16 or not stat.S_ISREG(st.st_mode):
        return PycCheck("unused")
    magic, flags = head[:4], int.from_bytes(head[4:8], "little")
    if env_magic is not None and magic != env_magic:
        return PycCheck("unused")
    if flags & ~0b11:
        return PycCheck("unused")  # _classify_pyc: invalid flags, recompiled
    if flags & 0b1 and not flags & 0b10:
        return PycCheck("unchecked")
    stamp = (int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF)
    if not flags & 0b1 and stamp != struct.unpack("<II", head[8:16]):
        return PycCheck("unused")  # _validate_timestamp_pyc: stale, recompiled
    if magic != MAGIC:
        return PycCheck("unverified", "it is bytecode for another Python than the one mlbom runs on")
    if st.st_size > MAX_SOURCE_BYTES:
        return PycCheck("unverified", f"its source is over {MAX_SOURCE_BYTES >> 20} MiB")
    src = read_head(source, MAX_SOURCE_BYTES)
    if src is None or len(src) > MAX_SOURCE_BYTES:
        return PycCheck("unverified", "its source cannot be read")
    if flags & 0b1 and importlib.util.source_hash(src) != head[8:16]:
        return PycCheck("unused")  # _validate_hash_pyc: stale, recompiled
    data = read_head(pyc, MAX_PYC_BYTES)
    if data is None or len(data) > MAX_PYC_BYTES:
        return PycCheck("unverified", f"it cannot be read or is over {MAX_PYC_BYTES >> 20} MiB")
    if LAYOUT is None:
        return PycCheck("unverified", f"mlbom cannot read Python {sys.version_info[0]}.{sys.version_info[1]} code objects")
    return compare(memoryview(data)[16:], src, source, optimize)


def compare(body: bytes | memoryview, src: bytes, source: str, optimize: int) -> PycCheck:
    """Whether the pyc body ``body`` is the compile of ``src`` (``match``/``mismatch``/...)."""
    import marshal  # dumps only: the pyc body is never unmarshalled
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning / DeprecationWarning of the compile
            code = compile(src, source, "exec", dont_inherit=True, optimize=optimize)
    except (SyntaxError, ValueError) as exc:
        # importlib does not compile the source when the pyc validates: the pyc runs
        return PycCheck("mismatch", f"its source does not compile ({type(exc).__name__}: {str(exc)[:120]})")
    except (RecursionError, MemoryError, OverflowError) as exc:
        return PycCheck("unverified", f"its source cannot be compiled here ({type(exc).__name__})")
    fresh = marshal.dumps(code)
    if fresh == body:
        return PycCheck("match")
    try:
        want = canonical_digest(fresh)
    except BytecodeError as exc:
        return PycCheck("unverified", f"its compile is beyond the static reader ({exc.reason})")
    try:
        got = canonical_digest(body)
    except BytecodeError as exc:
        if exc.malformed:
            return PycCheck("unreadable", f"marshal cannot read its body ({exc.reason}): the import fails")
        return PycCheck("mismatch", f"its body is not the source's compile ({exc.reason})")
    if not got.is_code:
        return PycCheck("unreadable", "its body is not a code object: the import fails")
    return PycCheck("match") if got.digest == want.digest else PycCheck("mismatch", "its bytecode differs from the source's compile")


_BATCH = 64
"""pycs per task handed to a worker process (compiling holds the GIL: threads would not help)."""


def _check_batch(items: list[tuple[str, str, int]], env_magic: bytes | None) -> list[PycCheck]:
    return [check_pyc(pyc, source, optimize, env_magic) for pyc, source, optimize in items]


def check_pycs(items: list[tuple[str, str, int]], env_magic: bytes | None, *, workers: int = 1) -> list[PycCheck]:
    """:func:`check_pyc` for each (pyc, source, optimize level), in order. With ``workers`` > 1
    and enough pycs, batches run in worker processes (forked where the platform can: the workers
    run one pure function and need nothing re-imported); if the pool cannot start or breaks,
    the rest is checked here."""
    batches = [items[i:i + _BATCH] for i in range(0, len(items), _BATCH)]
    if workers <= 1 or len(batches) < 2:
        return _check_batch(items, env_magic)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    out: list[PycCheck] = []
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(batches)), mp_context=ctx) as pool:
            for got in pool.map(_check_batch, batches, [env_magic] * len(batches)):
                out += got
    except (OSError, BrokenProcessPool):
        out += _check_batch(items[len(out):], env_magic)
    return out
