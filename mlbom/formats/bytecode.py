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
digest that keeps what loading can observe (marshal order, object identity as reference
structure, interned-ness, the small-int cache) and drops only what differs between genuine
compiles: the ``FLAG_REF`` bits (they follow reference counts in the writing process) and the
text of ``co_filename`` (pip compiles with the install path; importlib rewrites it), which every
code object must share (red team 20f-3, 20f-6). Equal digests mean the same code. The reader is
bounded (nesting depth, sizes checked against the bytes left, an object budget of twice the
fresh compile's: 20f-4) and raises :class:`BytecodeError` and nothing else; a body it cannot
read, or one larger than twice the compile, is a mismatch, never a reason for leniency (20f-1).

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
from dataclasses import field as dc_field
from pathlib import Path
from typing import Literal

from mlbom.errors import InputError
from mlbom.formats.safe_read import read_bounded
from mlbom.limits import bounded_int

MAGIC = importlib.util.MAGIC_NUMBER
"""The running interpreter's pyc magic number: only pycs with this one are compared."""

CACHE_TAG = sys.implementation.cache_tag

MAX_DEPTH = 300
"""Nesting bound of the static reader (a module's own compile stays far below it)."""

MAX_SOURCE_BYTES = 8 << 20
"""Sources larger than this are not compiled (the pyc is reported as not compared)."""

MAX_PYC_BYTES = 64 << 20

SIZE_SLACK = 64 << 10
"""A pyc body may exceed twice its source's compile by this much (its ``co_filename`` is written
once, and a path is at most 4 KiB); a larger one is not that compile (red team 20f-4)."""

OBJECT_SLACK = 1024
"""Likewise for the number of marshal objects read from a body: twice the compile's, plus this."""

FLAG_REF = 0x80


class BytecodeError(Exception):
    """The marshal data cannot be read by this reader: it ends early, names a type code or a
    reference marshal does not know, or exceeds the reader's bounds. Never a reason to trust
    the data less strictly: a body that raises it is not its source's compile (red team 20f-1)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Code-object fields after the type byte, per CPython version (Python/marshal.c, r_object,
# TYPE_CODE): "l" a 32-bit r_long, "o" an object, "f" the object co_filename.
_LAYOUTS: dict[tuple[int, int], str] = {
    (3, 10): "llllll" + "oooooo" + "fo" + "l" + "o",
    (3, 11): "lllll" + "ooooo" + "foo" + "l" + "oo",
    (3, 12): "lllll" + "ooooo" + "foo" + "l" + "oo",
    (3, 13): "lllll" + "ooooo" + "foo" + "l" + "oo",
}
LAYOUT = _LAYOUTS.get(sys.version_info[:2])

_SINGLETONS = frozenset(b"NFTS.")
_PENDING = -1
_TOO_DEEP = "nested too deeply for the stack left to this reader"
_STRINGS = frozenset(b"tuaAzZ")
_INTERNED = frozenset(b"tAZ")
_SIZED = {ord("("): b"(", ord(")"): b"(", ord("["): b"[", ord("<"): b"<", ord(">"): b">"}
_FLUSH = 1 << 16


class _Reader:
    """Streams a canonical serialisation of one marshal object into one running hash (no
    per-item digests or lists kept). What it keeps is what loading can observe:

    - every object in marshal order (set and frozenset elements too: 3.11+ marshal writes them
      sorted by their marshalled bytes, so every compile of one source agrees);
    - object identity: a ``TYPE_REF`` is written as "the object at pre-order position k" (its
      target's index among all objects read, whether ``FLAG_REF`` was set or not: the flag
      depends on reference counts in the writing process, the structure does not), so an equal
      copy of a merged constant differs from a reference to it (red team 20f-3). Frozensets
      are the exception, compared by value (:meth:`_frozenset`): they take no position, and a
      reference inside one is written as its target's value;
    - a string's text and whether marshal interns it (``t A Z``); ``u``/``a``/``z`` of the same
      text load as equal, non-interned strings; ``""`` and one Latin-1 character load as the
      interpreter's singletons whatever their type code;
    - an int's value and encoding: ``i``/``I`` by value, noting whether the loader returns the
      small-int cache's object (-5..256); ``l`` (always a new object) by its digits;
    - ``co_filename``: not its text (pip compiles with the install path; importlib's
      ``_fix_co_filename`` rewrites it), but every code object must carry the top-level one's,
      because ``update_code_filenames`` (Python/import.c) rewrites only those (red team 20f-6).

    Accepts what ``r_object`` accepts: a dict ends at a NULL key or a NULL value (20f-1); a
    reference to a code object or frozenset still being read is refused (marshal stores None
    there), one to a tuple, list, set or dict still being read is the container itself."""

    def __init__(self, data: bytes, layout: str, budget: int) -> None:
        self.data = data
        self.pos = 0
        self.count = 0
        self.budget = budget
        self.refs: list[int] = []
        self.texts: dict[int, str] = {}
        self.values: dict[int, bytes] = {}
        self.fsets: list[bytes] = []
        self.capture = 0
        self.filenames: set[str] = set()
        self.out = bytearray()
        self.hash = hashlib.blake2b(digest_size=32)
        self.layout = layout

    def emit(self, *parts: bytes) -> None:
        out = self.out
        for p in parts:
            out += p
        if len(out) > _FLUSH and not self.capture:
            self.hash.update(out)
            out.clear()

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise BytecodeError("EOF read where object expected")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def long(self) -> int:
        return int.from_bytes(self.take(4), "little", signed=True)

    def size(self, what: str) -> int:
        n = self.long()
        if n < 0:
            raise BytecodeError(f"bad marshal data ({what} size out of range)")
        return n

    def reserve(self, flag: int, index: int) -> int:
        """``r_ref_reserve``/``R_REF``: the slot of a flagged object, or -1."""
        if not flag:
            return -1
        self.refs.append(index)
        return len(self.refs) - 1

    def obj(self, depth: int, *, null_ok: bool = False) -> int | None:
        """Reads one object; returns its position (a reference: its target's; a frozenset: a
        negative key), None for a NULL where ``null_ok``."""
        if depth > MAX_DEPTH:
            raise BytecodeError(f"nested deeper than {MAX_DEPTH}")
        if self.pos >= len(self.data):
            raise BytecodeError("EOF read where object expected")
        byte = self.data[self.pos]
        self.pos += 1
        flag, code = byte & FLAG_REF, byte & ~FLAG_REF
        if code == 0x30:  # "0" TYPE_NULL
            if null_ok:
                self.emit(b"0")
                return None
            raise BytecodeError("NULL object in marshal data")
        if code == 0x72:  # "r"
            n = self.long()
            if n < 0 or n >= len(self.refs) or self.refs[n] == _PENDING:
                raise BytecodeError("bad marshal data (invalid reference)")
            target = self.refs[n]
            if target < _PENDING:  # a frozenset: by value
                self.emit(self.fsets[_PENDING - 1 - target])
            elif self.capture and target in self.values:  # a frozenset's element: by value
                self.emit(self.values[target])
            else:
                self.emit(b"r", target.to_bytes(8, "little"))
            return target
        if code == 0x3E:  # ">"
            return self._frozenset(flag, depth)
        index = self.count
        self.count += 1
        if self.count > self.budget:
            raise BytecodeError(f"more than {self.budget} objects")
        if code in _SINGLETONS:
            self.emit(bytes((code,)))
            return index
        if code in _STRINGS:
            text = self._str(code)
            data = text.encode("utf-8", "surrogatepass")
            # the loader returns its own singleton for "" and a one-character Latin-1 string:
            # whether the writer's process had interned it is not the pyc's to say
            single = len(text) <= 1 and text <= "\xff"
            self._scalar(flag, index, b"S" if code in _INTERNED or single else b"s", data)
            if flag:
                self.texts[index] = text
            return index
        if code == 0x69:  # "i"
            value = self.long()
            self._int(flag, index, value, -5 <= value <= 256)
        elif code == 0x49:  # "I"
            value = int.from_bytes(self.take(8), "little", signed=True)
            self._int(flag, index, value, -5 <= value <= 256)
        elif code == 0x6C:  # "l"
            self._scalar(flag, index, b"l", self._long_digits())
        elif code == 0x67:  # "g"
            self._scalar(flag, index, b"g", self.take(8))
        elif code == 0x79:  # "y"
            self._scalar(flag, index, b"y", self.take(16))
        elif code == 0x66:  # "f"
            self._scalar(flag, index, b"g", self._text_float())
        elif code == 0x78:  # "x"
            self._scalar(flag, index, b"y", self._text_float() + self._text_float())
        elif code == 0x73:  # "s"
            self._scalar(flag, index, b"b", self.take(self.size("bytes object")))
        elif code in _SIZED:
            n = self.take(1)[0] if code == 0x29 else self.size("tuple/list/set")
            if n > len(self.data) - self.pos:
                raise BytecodeError("EOF read where object expected")
            self.reserve(flag, index)  # R_REF: registered before its items are read
            self.emit(_SIZED[code], n.to_bytes(8, "little"))
            for _ in range(n):
                self.obj(depth + 1)
        elif code == 0x7B:  # "{"
            self.reserve(flag, index)
            self.emit(b"{")
            while self.obj(depth + 1, null_ok=True) is not None and self.obj(depth + 1, null_ok=True) is not None:
                pass
        elif code == 0x63:  # "c"
            self._code(flag, index, depth)
        else:
            raise BytecodeError(f"bad marshal data (unknown type code {byte:#04x})")
        return index

    def _scalar(self, flag: int, index: int, tag: bytes, data: bytes) -> None:
        record = tag + len(data).to_bytes(8, "little") + data
        self.emit(record)
        if self.reserve(flag, index) >= 0:
            self.values[index] = record if len(record) <= 80 else b"H" + hashlib.blake2b(record, digest_size=32).digest()

    def _frozenset(self, flag: int, depth: int) -> int:
        """A frozenset is digested by value, and a reference to one likewise: genuine compiles
        of one source merge equal frozenset constants or not (CPython 3.11 compiles of the same
        file differ there), so only its elements, in marshal order, are kept. It is registered
        when complete (``r_ref_reserve``; an empty one at once)."""
        n = self.size("tuple/list/set")
        if n > len(self.data) - self.pos:
            raise BytecodeError("EOF read where object expected")
        key = _PENDING - 1 - len(self.fsets)
        self.fsets.append(b"")
        slot = self.reserve(flag, _PENDING if n else key)
        saved, self.out = self.out, bytearray()
        self.capture += 1
        try:
            for _ in range(n):
                self.obj(depth + 1)
            inner = bytes(self.out)
        finally:
            self.out = saved
            self.capture -= 1
        record = b">" + hashlib.blake2b(n.to_bytes(8, "little") + inner, digest_size=32).digest()
        self.fsets[_PENDING - 1 - key] = record
        if slot >= 0:
            self.refs[slot] = key
        self.emit(record)
        return key

    def _code(self, flag: int, index: int, depth: int) -> None:
        if not self.layout:
            raise BytecodeError("no code-object layout for this Python")
        slot = self.reserve(flag, _PENDING)
        self.emit(b"c")
        for field in self.layout:
            if field == "l":
                self.emit(self.take(4))
            elif field == "o":
                self.obj(depth + 1)
            else:
                self.filenames.add(self._filename())
        if slot >= 0:
            self.refs[slot] = index

    def _str(self, code: int) -> str:
        n = self.take(1)[0] if code in b"zZ" else self.size("unicode" if code in b"tu" else "string")
        raw = self.take(n)
        try:
            return raw.decode("utf-8", "surrogatepass") if code in b"tu" else raw.decode("latin-1")
        except UnicodeDecodeError as exc:
            raise BytecodeError(f"bad marshal data (utf-8: {exc.reason})") from None

    def _filename(self) -> str:
        """``co_filename``: a string (``_PyCode_Validate``), read and counted like any object
        but digested without its text; returned so that all of them can be required equal."""
        if self.pos >= len(self.data):
            raise BytecodeError("EOF read where object expected")
        byte = self.data[self.pos]
        flag, code = byte & FLAG_REF, byte & ~FLAG_REF
        if code == 0x72:  # "r"
            self.pos += 1
            n = self.long()
            target = self.refs[n] if 0 <= n < len(self.refs) else _PENDING
            if target == _PENDING or target not in self.texts:
                raise BytecodeError("co_filename is not a string")
            self.emit(b"fr", target.to_bytes(8, "little"))
            return self.texts[target]
        if code not in _STRINGS:
            raise BytecodeError("co_filename is not a string")
        self.pos += 1
        index = self.count
        self.count += 1
        text = self._str(code)
        if self.reserve(flag, index) >= 0:
            self.texts[index] = text
        self.emit(b"fs")
        return text

    def _int(self, flag: int, index: int, value: int, cached: bool) -> None:
        self._scalar(flag, index, b"I" if cached else b"i",
                     value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True))

    def _long_digits(self) -> bytes:
        n = self.long()
        count = abs(n)
        raw = self.take(2 * count)
        digits = struct.unpack(f"<{count}H", raw)
        if count and max(digits) > 0x7FFF:
            raise BytecodeError("bad marshal data (digit out of range in long)")
        if count and digits[-1] == 0:
            raise BytecodeError("bad marshal data (unnormalized long data)")
        return (b"-" if n < 0 and count else b"+") + raw

    def _text_float(self) -> bytes:
        raw = self.take(self.take(1)[0])
        # PyOS_string_to_double: no whitespace, no underscores (float() would take both)
        try:
            text = raw.decode("ascii")
            if not text or "_" in text or text != text.strip():
                raise ValueError(text)
            return struct.pack("<d", float(text))
        except (UnicodeDecodeError, ValueError):
            raise BytecodeError("bad marshal data (float text)") from None

    def digest(self) -> bytes:
        self.hash.update(self.out)
        self.out.clear()
        return self.hash.digest()


@dataclass(frozen=True)
class Canonical:
    digest: bytes
    is_code: bool
    objects: int
    """How many marshal objects were read (references not counted)."""


def canonical_digest(data: bytes | memoryview, *, budget: int = 1 << 62) -> Canonical:
    """The canonical digest of the first marshal object in ``data`` (trailing bytes are
    ignored, as :func:`marshal.loads` ignores them), reading at most ``budget`` objects.
    Raises :class:`BytecodeError` only."""
    reader = _Reader(bytes(data), LAYOUT or "", budget)
    try:
        got = reader.obj(0)
    except RecursionError:
        raise BytecodeError(_TOO_DEEP) from None
    except MemoryError:
        raise BytecodeError("too large for this reader") from None
    assert got is not None
    if len(reader.filenames) > 1:
        raise BytecodeError("its code objects name different files (co_filename): the import keeps the odd ones")
    return Canonical(reader.digest(), bool(data) and data[0] & ~FLAG_REF == ord("c"), reader.count)


# --- which pyc importlib would use, and whether it is its source's compile ------------------------

@dataclass
class CompileMemo:
    """Work :func:`check_pyc` may reuse within one check (red team 29s-3: N pyc copies for one
    source cost N compiles): the fresh compile of a source and its canonical digest, per (source
    path, optimize, source bytes' SHA-256), and the outcome per pyc body's SHA-256 on top of that.
    A compile that ran out of stack is not kept (it is retried on a fresh thread)."""

    compiled: dict[tuple[str, int, bytes], tuple[bytes, list[Canonical | BytecodeError]] | PycCheck] = \
        dc_field(default_factory=dict)
    outcomes: dict[tuple[str, int, bytes, bytes], PycCheck] = dc_field(default_factory=dict)
    compiles: int = 0
    """How many compiles ran (tests show that copies cost one)."""


Outcome = Literal["unused", "match", "mismatch", "unverified", "unchecked"]


@dataclass(frozen=True)
class PycCheck:
    outcome: Outcome
    """``unused``: importlib would not load this pyc for its source (another tag, no source, a
    header that does not validate): it recompiles instead. ``unchecked``: an unchecked-hash pyc
    (reported elsewhere). ``match``: the body is the source's compile. ``mismatch``: importlib
    would run bytecode the source does not hold, or the body cannot be proved the source's
    compile (whatever marshal would make of it: if the import fails, nothing is lost by saying
    so; red team 20f-1). ``unverified``: importlib may use it and it could not be compared
    (``reason``: bytecode for another Python, a source over the bound)."""
    reason: str = ""


def split_name(name: str, tag: str | frozenset[str] | None) -> tuple[str, int] | None:
    """``mod.<tag>[.opt-N].pyc`` → (``mod``, optimize level), or None when importlib never
    looks for this name (another cache tag, an optimization tag that is not ``opt-<n>``, ``n``
    written as importlib writes it: no sign, no leading zero).
    ``tag``: the environment's cache tag, or every tag its interpreter may have (red team 21d-3);
    None: the environment's tag is not known, any tag is taken."""
    if not name.endswith(".pyc"):
        return None
    stem = name[:-4]
    optimize = 0
    head, dot, last = stem.rpartition(".")
    if dot and last.startswith("opt-"):
        level = last[4:]
        # importlib writes ``opt-{sys.flags.optimize}`` (``str`` of an int: ``opt-1``, ``opt-2``,
        # ``opt-3`` under -OOO), never ``opt-01``: another spelling is never looked for (29s-3)
        number = bounded_int(level)
        if number is None or level[0] == "0":
            return None
        optimize = min(number, 2)  # -OOO and beyond compile as -OO
        stem = head
    base, dot, got = stem.rpartition(".")
    tags = frozenset({tag}) if isinstance(tag, str) else tag
    if not dot or not base or not got or (tags is not None and got not in tags):
        return None
    return base, optimize


def read_head(path: str, limit: int) -> bytes | None:
    """At most ``limit`` + 1 bytes of a regular file (no FIFOs, devices: :func:`read_bounded`),
    or None when it cannot be read."""
    try:
        return read_bounded(Path(path), limit, head=True)
    except InputError:
        return None


def check_pyc(pyc: str, source: str, optimize: int, env_magic: bytes | None, *,
              any_mtime: bool = False, memo: CompileMemo | None = None) -> PycCheck:
    """Whether importlib, in an environment whose interpreter writes ``env_magic`` pycs (None:
    not known), would load ``pyc`` for ``source`` and, if so, whether it holds ``source``'s
    compile. Compiles the source; executes, imports and unmarshals nothing.

    ``any_mtime``: the source's ``st_mtime``, which no digest covers, is taken as chosen by
    whoever writes the folder (``verify --artifacts``, red team 27s-4): a timestamp pyc is
    loadable when its recorded size equals the source's (low 32 bits), an unchecked-hash pyc is
    compared like any other instead of reported ``unchecked``, and a pyc or source that cannot
    be read is ``unverified``, never taken as ``unused``. ``memo``: compiles and outcomes reused
    across calls (:class:`CompileMemo`)."""
    head = read_head(pyc, 15)
    if head is None and any_mtime:
        return PycCheck("unverified", "it cannot be read")
    try:
        st = os.stat(source)  # path_stats follows links, as importlib does
    except OSError as exc:
        return PycCheck("unverified", f"its source cannot be stat-ed: {exc.strerror or exc}") if any_mtime \
            else PycCheck("unused")
    if head is None or len(head) < 16:
        return PycCheck("unused")
    if not stat.S_ISREG(st.st_mode):
        return PycCheck("unverified", "its source cannot be read") if any_mtime else PycCheck("unused")
    magic, flags = head[:4], int.from_bytes(head[4:8], "little")
    if env_magic is not None and magic != env_magic:
        return PycCheck("unused")
    if flags & ~0b11:
        return PycCheck("unused")  # _classify_pyc: invalid flags, recompiled
    if flags & 0b1 and not flags & 0b10 and not any_mtime:
        return PycCheck("unchecked")
    if not flags & 0b1:  # _validate_timestamp_pyc: a stale one is recompiled
        mtime, size = struct.unpack("<II", head[8:16])
        if size != st.st_size & 0xFFFFFFFF or (not any_mtime and mtime != int(st.st_mtime) & 0xFFFFFFFF):
            return PycCheck("unused")
    if magic != MAGIC:
        return PycCheck("unverified", "it is bytecode for another Python than the one mlbom runs on")
    if st.st_size > MAX_SOURCE_BYTES:
        return PycCheck("unverified", f"its source is over {MAX_SOURCE_BYTES >> 20} MiB")
    src = read_head(source, MAX_SOURCE_BYTES)
    if src is None or len(src) > MAX_SOURCE_BYTES:
        return PycCheck("unverified", "its source cannot be read")
    if flags & 0b11 == 0b11 and importlib.util.source_hash(src) != head[8:16]:
        return PycCheck("unused")  # _validate_hash_pyc: stale, recompiled
    data = read_head(pyc, MAX_PYC_BYTES)
    if data is None:
        return PycCheck("unverified", "it cannot be read")
    if LAYOUT is None:
        return PycCheck("unverified", f"mlbom cannot read Python {sys.version_info[0]}.{sys.version_info[1]} code objects")
    got = compare(memoryview(data)[16:], src, source, optimize, memo)
    if len(data) > MAX_PYC_BYTES and not got.reason.startswith("its body ("):
        return PycCheck("unverified", f"it is over {MAX_PYC_BYTES >> 20} MiB")
    return got


def compare(body: bytes | memoryview, src: bytes, source: str, optimize: int,
            memo: CompileMemo | None = None) -> PycCheck:
    """Whether the pyc body ``body`` is the compile of ``src`` (``match``/``mismatch``/...).
    Run at the caller's stack depth first; where that runs out of stack (the compile's AST
    limit is relative to the current depth, red team 20f-5), again in a fresh thread, whose
    stack starts empty like the one importlib compiles on (shallower than any import)."""
    if memo is None:
        return _compare_once(body, src, source, optimize)
    key = (source, optimize, hashlib.sha256(src).digest())
    okey = (*key, hashlib.sha256(body).digest())
    if okey not in memo.outcomes:
        memo.outcomes[okey] = _compare_once(body, src, source, optimize, memo, key)
    return memo.outcomes[okey]


def _compare_once(body: bytes | memoryview, src: bytes, source: str, optimize: int,
                  memo: CompileMemo | None = None, key: tuple[str, int, bytes] | None = None) -> PycCheck:
    try:
        return _compare(body, src, source, optimize, memo, key)
    except RecursionError:
        pass
    import threading

    result: list[PycCheck] = []

    def run() -> None:
        try:
            result.append(_compare(body, src, source, optimize, memo, key))
        except RecursionError:
            result.append(PycCheck("mismatch", "its source cannot be compiled and compared here (RecursionError even "
                                               "on an empty stack), so the pyc Python would load cannot be proved its "
                                               "compile"))

    worker = threading.Thread(target=run, name="mlbom-compile", daemon=True)
    worker.start()
    worker.join()
    return result[0] if result else PycCheck("mismatch", "its source cannot be compiled here")


def _compare(body: bytes | memoryview, src: bytes, source: str, optimize: int,
             memo: CompileMemo | None = None, key: tuple[str, int, bytes] | None = None) -> PycCheck:
    kept = memo.compiled.get(key) if memo is not None and key is not None else None
    if isinstance(kept, PycCheck):
        return kept
    if kept is None:
        kept = _fresh(src, source, optimize)
        if memo is not None and key is not None:
            memo.compiles += 1
            memo.compiled[key] = kept
        if isinstance(kept, PycCheck):
            return kept
    fresh, wants = kept
    if fresh == body:
        return PycCheck("match")
    if len(body) > 2 * len(fresh) + SIZE_SLACK:  # red team 20f-4: cost bounded by the source
        return PycCheck("mismatch", f"its body ({len(body)} bytes or more) is far larger than the source's compile "
                                    f"({len(fresh)} bytes)")
    if not wants:
        try:
            wants.append(canonical_digest(fresh))
        except BytecodeError as exc:
            if exc.reason == _TOO_DEEP:
                raise RecursionError from None  # compare() tries again on an empty stack
            wants.append(exc)
    want = wants[0]
    if isinstance(want, BytecodeError):
        return PycCheck("mismatch", f"its source's compile is beyond the static reader ({want.reason}), so the "
                                    "pyc Python would load cannot be proved its compile")
    try:
        got = canonical_digest(body, budget=2 * want.objects + OBJECT_SLACK)
    except BytecodeError as exc:
        if exc.reason == _TOO_DEEP:
            raise RecursionError from None
        # whatever marshal makes of it, it is not the source's compile (red team 20f-1)
        return PycCheck("mismatch", f"its body is not the source's compile ({exc.reason})")
    if not got.is_code or got.digest != want.digest:
        return PycCheck("mismatch", "its bytecode differs from the source's compile")
    return PycCheck("match")


def _fresh(src: bytes, source: str, optimize: int) -> tuple[bytes, list[Canonical | BytecodeError]] | PycCheck:
    """The source's compile, marshalled (with room for its canonical digest), or why there is none."""
    import marshal  # dumps only: the pyc body is never unmarshalled
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning / DeprecationWarning of the compile
            code = compile(src, source, "exec", dont_inherit=True, optimize=optimize)
    except (SyntaxError, ValueError) as exc:
        # importlib does not compile the source when the pyc validates: the pyc runs
        return PycCheck("mismatch", f"its source does not compile ({type(exc).__name__}: {str(exc)[:120]})")
    except (MemoryError, OverflowError) as exc:
        # the pyc validates, so importlib compiled this source once, or someone wrote the pyc
        return PycCheck("mismatch", f"its source cannot be compiled here ({type(exc).__name__}), so the pyc "
                                    "Python would load cannot be proved its compile")
    return marshal.dumps(code), []


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
