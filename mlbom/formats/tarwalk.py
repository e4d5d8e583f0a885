"""A tar archive's header blocks walked as ``tarfile.TarFile.next`` walks them, by mlbom's own
linear code, before ``tarfile`` reads anything (red team 106p-6, 106p-7, 106p-10).

``tarfile`` is the reader that matters (torch's legacy loader, NeMo, every ``extractall``), so the
scanner still enumerates members with it; but on the interpreters mlbom supports it parses a pax
header with a backtracking regular expression (CVE-2024-6232, before 3.11.10/3.12.6), steps back
onto an earlier header forever when a size is negative (CVE-2025-8194, before 3.11.14/3.12.12),
overflows ``seek`` on a size of 2^63 or more, and recurses once per extended header in a row. The
walk follows the same blocks — a header (checksum, size in octal or base-256, typeflag, a v7
directory's trailing ``/``), GNU long names/links (``L``/``K``), pax headers (``x``, ``g``, ``X``) with
their ``size`` records and GNU sparse sizes, old GNU sparse (``S``) extension blocks — and stops
where ``tarfile`` stops (end of data, a zero block, a bad checksum). It *refuses* (returns where and
why; the scanner hands ``tarfile`` only the bytes before) a member or extended header that:

* has a negative size, or one whose data would end past 2^63 (the member would not lie strictly
  after its header, or ``tarfile`` cannot seek past it);
* is an extended header over :data:`~mlbom.limits.MAX_TAR_EXTENDED_BYTES`, cut short by the end of
  the archive, the :data:`~mlbom.limits.MAX_TAR_EXTENDED_CHAIN` + 1st in a row, or (pax) not a
  sequence of well-formed records ``"<len> <keyword>=<value>\\n"`` filling its size (a length of
  at most 20 digits, the ``=`` and the newline inside the record) or holding a run of more than
  :data:`~mlbom.limits.MAX_TAR_PAX_DIGITS` digits — then both of ``tarfile``'s pax expressions run
  in time linear in the header;
* is a GNU sparse 1.0 member whose pax header also sets ``size`` (``tarfile`` then moves the data
  behind the sparse map; mlbom does not follow that layout);
* or is a header past the walk's allowance (a tar from a decompressor:
  :func:`mlbom.formats.inflation.steps_allowed`, :data:`~mlbom.limits.TAR_STEPS_PER_BLOCK`
  steps per header block and extended header block walked; and
  :func:`mlbom.formats.inflation.tar_blocks_allowed`, one block per
  :data:`~mlbom.limits.TAR_BYTES_PER_BLOCK` bytes of the file or
  :data:`~mlbom.limits.TAR_BLOCKS_FLOOR`, for all the file's tars).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO

from mlbom.formats import inflation
from mlbom.limits import (
    MAX_TAR_EXTENDED_BYTES,
    MAX_TAR_EXTENDED_CHAIN,
    MAX_TAR_PAX_DIGITS,
    TAR_STEPS_PER_BLOCK,
)

BLOCK = 512
_OFFSET_LIMIT = (1 << 63) - 1  # tarfile seeks to offset - 1 with a C ssize_t
_LONG = (b"L", b"K")  # GNU long name, long link
_PAX = (b"x", b"g", b"X")  # pax extended, pax global, Solaris extended
_REGULAR = (b"0", b"\0", b"7", b"S")  # tarfile.REGULAR_TYPES
_SUPPORTED = (b"0", b"\0", b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"L", b"K", b"S")  # tarfile.SUPPORTED_TYPES
_DIGITS = b"0123456789"
_DIGIT_MAP = bytes(49 if 48 <= i <= 57 else 48 for i in range(256))  # digits -> "1", all else "0"
_LONG_RUN = b"1" * (MAX_TAR_PAX_DIGITS + 1)
_SIGNED = struct.Struct("148b8x356b")
_MAX_LENGTH_DIGITS = 20
_PAX_SIZES = ("GNU.sparse.size", "GNU.sparse.realsize")  # _apply_pax_info: int(value), no fallback


@dataclass
class TarWalk:
    """What the walk found: ``members`` (as ``tarfile`` counts them), ``steps`` taken, and, when a
    header was refused, ``refused`` (why) and ``end`` (the offset of the refused member's first
    header: ``tarfile`` is given only the bytes before it); ``end`` is None when nothing was refused."""

    members: int = 0
    steps: int = 0
    blocks: int = 0  # header blocks walked (a member's own, its extended headers', sparse extension blocks)
    refused: str | None = None
    end: int | None = None
    over_allowance: bool = False  # refused for the step allowance: too many members, none judged


class _Refused(Exception):
    pass


def _nti(field: bytes) -> int | None:
    """``tarfile.nti``: base-256 (first byte 0x80 or 0xff, signed) or octal text up to a NUL;
    None where ``tarfile`` raises ``InvalidHeaderError``."""
    if field[0] in (0o200, 0o377):
        n = int.from_bytes(field[1:], "big")
        return n - (256 ** (len(field) - 1)) if field[0] == 0o377 else n
    try:
        return int(field.split(b"\0", 1)[0].decode("ascii").strip() or "0", 8)
    except ValueError:  # UnicodeDecodeError included
        return None


def _header(buf: bytes) -> tuple[int, bytes, int] | None:
    """A header block as ``TarInfo.frombuf`` checks it: (size, typeflag, old-GNU-sparse real
    size or 0), or None where ``tarfile`` stops (a zero block, a bad checksum, a bad number)."""
    if len(buf) != BLOCK or buf.count(0) == BLOCK:
        return None
    chksum = _nti(buf[148:156])
    unsigned = 256 + sum(buf[:148]) + sum(buf[156:])
    if chksum is None or (chksum != unsigned and chksum != 256 + sum(_SIGNED.unpack(buf))):
        return None
    size = _nti(buf[124:136])
    if size is None:
        return None
    typ = buf[156:157]
    if typ == b"\0" and buf[:100].split(b"\0", 1)[0].endswith(b"/"):
        typ = b"5"  # a v7 directory: tarfile makes it DIRTYPE (no data skipped)
    real = 0
    if typ == b"S":
        real_size = _nti(buf[483:495])
        if real_size is None:
            return None
        real = real_size
    return size, typ, real


def _check_size(size: int, data: int, what: str) -> None:
    if size < 0:
        raise _Refused(f"{what} has a negative size ({size}): its data would not lie after its header "
                       "(tarfile before 3.11.14/3.12.12 steps back onto an earlier header: CVE-2025-8194)")
    if data + -(-size // BLOCK) * BLOCK > _OFFSET_LIMIT:
        raise _Refused(f"{what} has a size of {size} bytes: its end lies past 2^63 (tarfile cannot seek there)")


def _pax_records(buf: bytes, size: int) -> list[tuple[str, str]]:
    """The records of a pax header as ``TarInfo._proc_pax`` reads them, refused unless they are
    well formed and fill ``size`` bytes, with no run of digits over the bound."""
    if buf.translate(_DIGIT_MAP).find(_LONG_RUN) != -1:  # the hdrcharset search costs a run's square
        raise _Refused(f"pax header holds a run of more than {MAX_TAR_PAX_DIGITS} digits (tarfile before "
                           "3.11.10/3.12.6 parses it in quadratic time: CVE-2024-6232)")
    records: list[tuple[str, str]] = []
    pos, n = 0, len(buf)
    while pos < n and buf[pos] in _DIGITS:  # tarfile's record loop goes on while a record starts here
        j = pos
        while j < n and buf[j] in _DIGITS:
            j += 1
        if j - pos > _MAX_LENGTH_DIGITS or j >= n or buf[j] != 0x20:
            raise _Refused(f"pax header is not well formed at byte {pos}: no '<length> ' there")
        length = int(buf[pos:j])
        end = pos + length
        eq = buf.find(b"=", j + 1, end - 1) if length else -1
        if length == 0 or end > n or eq <= j + 1 or buf[end - 1] != 0x0A:
            raise _Refused(f"pax header is not well formed at byte {pos}: a record of length {length} is not "
                           "'<length> <keyword>=<value>\\n' inside the header")
        records.append((buf[j + 1:eq].decode("utf-8", "surrogateescape"),
                        buf[eq + 1:end - 1].decode("utf-8", "surrogateescape")))
        pos = end
    if pos < size:
        raise _Refused(f"pax header is not well formed at byte {pos}: its records do not fill its {size} bytes")
    return records


def _apply_sizes(pax: dict[str, str], size: int) -> int:
    """The member size ``TarInfo._apply_pax_info`` leaves (its keys in order; ``size`` falls back
    to 0 where ``int`` refuses it, the GNU sparse sizes raise)."""
    for key, value in pax.items():
        if key in _PAX_SIZES:
            try:
                size = int(value)
            except ValueError as exc:
                raise _Refused(f"pax header's {key} is not a number") from exc
        elif key == "size":
            try:
                size = int(value)
            except ValueError:
                size = 0
    return size


def walk(fh: IO[bytes], total: int, max_steps: int | None = None) -> TarWalk:
    """Walk the archive of ``total`` bytes in ``fh`` from offset 0. ``max_steps``: the caller's bound
    (None: none); a tar from a decompressor is also held to :func:`inflation.steps_allowed`."""
    allowed, why = inflation.steps_allowed(max_steps if max_steps is not None else 1 << 62)
    blocks_allowed, blocks_why = inflation.tar_blocks_allowed()
    out = TarWalk()
    glob: dict[str, str] = {}  # tarfile.pax_headers: the global records so far
    off = 0
    start = 0

    def read(at: int, n: int) -> bytes:
        fh.seek(at)
        return fh.read(n)

    def step(blocks: int = 1) -> None:
        out.blocks += blocks
        out.steps += blocks * TAR_STEPS_PER_BLOCK
        if out.steps > allowed:
            out.over_allowance = True
            raise _Refused(f"its headers are more than {allowed} steps to walk, {TAR_STEPS_PER_BLOCK} a block{why}: "
                           f"more members than mlbom enumerates for the compressed bytes")
        if blocks_allowed is not None and out.blocks > blocks_allowed:
            out.over_allowance = True
            raise _Refused(f"its headers are more than {blocks_allowed} blocks to walk{blocks_why}: "
                           f"more members than mlbom enumerates for the compressed bytes")

    try:
        while True:
            start = off
            chain: list[dict[str, str]] = []  # the x/X headers' records, outermost first (each on the globals then)
            sparse10: list[bool] = []
            extended = 0
            while True:  # extended headers, then the member's own header
                step()
                hdr = _header(read(off, BLOCK))
                if hdr is None:
                    return out  # tarfile stops here (or raises: a header after an extended one)
                size, typ, real = hdr
                if typ not in _LONG and typ not in _PAX:
                    break
                extended += 1
                if extended > MAX_TAR_EXTENDED_CHAIN:
                    raise _Refused(f"more than {MAX_TAR_EXTENDED_CHAIN} extended headers before one member")
                what = f"extended header ({typ.decode('latin-1')!r}) at offset {off}"
                _check_size(size, off + BLOCK, what)
                if size > MAX_TAR_EXTENDED_BYTES:
                    raise _Refused(f"{what} is {size} bytes, over the {MAX_TAR_EXTENDED_BYTES}-byte limit")
                if off + BLOCK + size > total:
                    raise _Refused(f"{what} runs past the end of the archive")
                padded = -(-size // BLOCK) * BLOCK
                step(-(-size // BLOCK))
                if typ in _PAX:
                    records = _pax_records(read(off + BLOCK, padded), size)
                    if typ == b"g":
                        glob.update(records)  # tarfile updates its globals in place
                    else:
                        pax = dict(glob)
                        pax.update(records)
                        chain.append(pax)
                        sparse10.append(pax.get("GNU.sparse.major") == "1" and pax.get("GNU.sparse.minor") == "0")
                off += BLOCK + padded
            what = f"member header at offset {off}"
            data = off + BLOCK
            _check_size(size, data, what)
            skip = typ in _REGULAR or typ not in _SUPPORTED  # tarfile skips the data of these
            if typ == b"S":  # old GNU sparse: extension blocks while the "isextended" byte is set
                ext = read(off, BLOCK)[482]
                while ext:
                    step()
                    block = read(data, BLOCK)
                    if len(block) < BLOCK:
                        raise _Refused(f"{what}: its sparse extension blocks run past the end of the archive")
                    data += BLOCK
                    ext = block[504]
                nxt = data + -(-size // BLOCK) * BLOCK
                member_size = real  # _proc_sparse: the real size, no global records applied
            else:
                nxt = data + (-(-size // BLOCK) * BLOCK if skip else 0)
                member_size = _apply_sizes(glob, size)  # _proc_builtin applies the globals
            for pax, sp10 in zip(reversed(chain), reversed(sparse10), strict=True):  # the innermost x header applies first
                member_size = _apply_sizes(pax, member_size)
                if "size" in pax:  # _proc_pax moves tarfile.offset by the size it leaves
                    if sp10:
                        raise _Refused(f"{what}: a GNU sparse 1.0 member whose pax header also sets its size "
                                       "(tarfile moves its data behind the sparse map): not read")
                    _check_size(member_size, data, what)
                    nxt = data + (-(-member_size // BLOCK) * BLOCK if skip else 0)
            _check_size(member_size, data, what)
            out.members += 1
            if nxt > total:
                return out  # tarfile raises "unexpected end of data" at the next member
            off = nxt
    except _Refused as exc:
        out.refused = str(exc)
        out.end = start
        return out
    finally:
        inflation.charge(out.steps)  # (only a decompressor's output is charged)
        inflation.charge_tar_blocks(out.blocks)
