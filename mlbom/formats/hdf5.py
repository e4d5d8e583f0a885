"""A bounded pure-Python HDF5 reader: the root-group attributes (legacy Keras ``.h5`` models
keep their ``model_config`` and ``training_config`` JSON there), and a walk of the whole object
tree for what PyTables/pandas unpickle and what h5py/PyTables read from other files.

Why not h5py: the HDF5 C library has a long record of memory-safety bugs on malformed files (a
segfault would end the whole scan batch). Spec:
https://docs.hdfgroup.org/hdf5/develop/_f_m_t3.html. Read: superblock versions 0–3 (at offset
0, 512, 1024, … as the library searches), object headers (v1 and v2 ``OHDR``, with
continuation blocks ``OCHK``), attribute messages v1–v3, fixed-length strings and
variable-length strings in the global heap (``GCOL``, walked whole as the library walks it),
dense attribute and link storage (a fractal heap indexed by a v2 B-tree of any depth; managed,
tiny and huge objects), committed (named) datatypes, groups by symbol table (v1 B-tree, local
heap), chunked raw data behind a v1 B-tree or a single chunk (deflate, shuffle, fletcher32).
Other layouts and messages in the shared object header message heap are reported as not read —
never guessed. Every offset and length is checked against the file size; blocks, messages,
objects and bytes are counted and bounded.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, overload

from mlbom.formats import keras
from mlbom.formats.paths import leave_reason
from mlbom.formats.weights import Facts, FormatError

if TYPE_CHECKING:  # the pickle walker (its allowlist tables) is imported when a pickle is found
    from mlbom.formats.pickle import PickleReport

SIGNATURE = b"\x89HDF\r\n\x1a\n"
MAX_SUPERBLOCK_SEARCH = 1 << 30
MAX_MESSAGES = 10_000
MAX_BLOCKS = 1_000
MAX_ATTRIBUTE_BYTES = 64 << 20
MAX_BLOCK_BYTES = 64 << 20
MAX_ELEMENTS = 4096  # strings in one attribute (Keras writes scalars; layer-name lists are chunked)
MAX_ATTRIBUTE_ELEMENTS = 100_000  # variable-length strings of one attribute, in the whole-tree walk

UNDEFINED = -1  # "undefined address" (all bits set)


@dataclass
class Attribute:
    """One root attribute: its name and value (str/bytes/list of them) or why it was not read."""

    name: str
    value: object = None
    unreadable: str | None = None
    # the other readings of a variable-length string whose global heap collection holds its
    # object index more than once (``value`` is the library's: the last copy)
    alternatives: list[bytes] = field(default_factory=list)


@dataclass
class RootAttributes:
    superblock_version: int
    attributes: dict[str, Attribute] = field(default_factory=dict)
    dense_storage: bool = False  # attribute info names a fractal heap: the library reads only those
    dense: dict[str, Attribute] = field(default_factory=dict)  # what dense storage holds (when read)
    dense_duplicates: list[Attribute] = field(default_factory=list)
    dense_unreadable: str | None = None  # why dense storage could not be read
    duplicates: list[Attribute] = field(default_factory=list)  # a second message with a name already seen


class _File:
    def __init__(self, fh: IO[bytes], size: int) -> None:
        self.fh, self.size = fh, size
        self.heaps: dict[int, dict[int, list[bytes]]] = {}  # global heap collections read: index -> copies
        self.heap_taken = 0  # bytes of global heap objects handed out (every copy, every read)
        self.base = 0
        self.so = 8  # size of offsets
        self.sl = 8  # size of lengths
        # superblock v0/1: group B-tree node and symbol table node "K" (None: not checked), and
        # the root's cached symbol table (B-tree, local heap) of its symbol table entry
        self.btree_k: int | None = None
        self.leaf_k: int | None = None
        self.root_cache: tuple[int, int] | None = None
        # object header blocks read, by start address: the object header that reached them (the
        # library never shares one between object headers), and header messages parsed
        self.blocks: dict[int, int] = {}
        self.messages_parsed = 0
        # committed (named) datatypes read, by object header address: (datatype message, flags)
        self.committed: dict[int, tuple[bytes, int]] = {}

    def read(self, pos: int, n: int, what: str) -> bytes:
        if pos < 0 or n < 0 or pos + n > self.size:
            raise FormatError(f"HDF5 {what} at {pos} (+{n}) lies outside the {self.size}-byte file")
        self.fh.seek(pos)
        data = self.fh.read(n)
        if len(data) != n:
            raise FormatError(f"truncated HDF5 {what} at {pos}")
        return data

    def addr(self, raw: bytes) -> int:
        v = int.from_bytes(raw, "little")
        return UNDEFINED if v == (1 << (8 * len(raw))) - 1 else v + self.base


class _Buf:
    """Little-endian cursor over one block."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise FormatError(f"HDF5 {self.what} is truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u(self, n: int) -> int:
        return int.from_bytes(self.take(n), "little")


def _find_superblock(f: _File) -> int:
    pos = 0
    while pos + 8 <= min(f.size, MAX_SUPERBLOCK_SEARCH):
        if f.read(pos, 8, "signature") == SIGNATURE:
            return pos
        pos = 512 if pos == 0 else pos * 2
    raise FormatError("no HDF5 superblock signature")


def signature_offset(fh: IO[bytes], size: int) -> int | None:
    """Where the HDF5 superblock signature is (0, 512, 1024, … as the library searches: a user
    block may precede it), or None."""
    try:
        return _find_superblock(_File(fh, size))
    except FormatError:
        return None


MATLAB_73 = b"MATLAB 7.3 MAT-file"


def _matlab_73_header(head: bytes) -> bool:
    """The 128-byte MAT-file header MATLAB (and ``hdf5storage``) write at the start of a v7.3
    file's user block: 116 bytes of printable text starting ``MATLAB 7.3 MAT-file`` (padded
    with spaces or NULs), an 8-byte subsystem data offset of spaces or zeros, version 0x0200 and
    the endian indicator (``IM`` little-endian, ``MI`` big-endian). ``scipy.io.loadmat`` reads
    these bytes (``_get_matfile_version``: major version 2) and refuses the file; only an HDF5
    reader reads it. The version bytes decide it, not the text: MATLAB 7.3's first HDF5 files
    (scipy's ``testhdf5_7.4_GLNX86.mat``) say ``MATLAB 7.0 MAT-file ... HDF5 schema 0.05``."""
    if len(head) < 128 or not (head.startswith(MATLAB_73) or (head.startswith(b"MATLAB ") and b" MAT-file" in head[:40])):
        return False
    text = head[:116].rstrip(b"\x00")
    return (all(0x20 <= c < 0x7F for c in text) and all(c in (0x00, 0x20) for c in head[116:124])
            and head[124:128] in (b"\x00\x02IM", b"\x02\x00MI"))


MAX_INERT_CHECK = 64 << 20  # a user block this long at most is checked for zeros (512 * 2**17)


def inert_user_block(fh: IO[bytes], size: int) -> tuple[int, str] | None:
    """(offset of the HDF5 superblock, what the user block holds) when an HDF5 file starts past
    offset 0 behind a user block that holds nothing another reader reads: all zeros (h5py's
    ``userblock_size``), or a MATLAB v7.3 MAT-file header then zeros. None otherwise (no user
    block, or one with other content: a file another loader reads)."""
    off = signature_offset(fh, size)
    if not off or off > MAX_INERT_CHECK:
        return None
    fh.seek(0)
    head = fh.read(128)
    what, pos = "zeros", 0
    if _matlab_73_header(head):
        what, pos = "a MATLAB 7.3 MAT-file header, then zeros", 128
    while pos < off:
        fh.seek(pos)
        chunk = fh.read(min(1 << 20, off - pos))
        if not chunk or chunk.count(0) != len(chunk):
            return None
        pos += len(chunk)
    return off, what


def _root_address(f: _File) -> tuple[int, int]:
    """(superblock version, root group object header address); sets the file's sizes and base."""
    size = f.size
    at = _find_superblock(f)
    head = _Buf(f.read(at, min(size - at, 256), "superblock"), "superblock")
    head.take(8)
    version = head.u(1)
    if version in (0, 1):
        head.take(4)  # free-space, root symbol table, reserved, shared header versions
        f.so, f.sl = head.u(1), head.u(1)
        _check_sizes(f)
        head.take(1)
        f.leaf_k, f.btree_k = head.u(2), head.u(2)
        head.take(4)
        if version == 1:
            head.take(4)
        head.take(f.so)  # base address: the library uses where it found the superblock instead
        f.base = at
        head.take(f.so * 3)  # free space, end of file, driver info
        head.take(f.so)  # root symbol table entry: link name offset
        root = f.addr(head.take(f.so))
        cache_type = head.u(4)
        head.take(4)
        scratch = _Buf(head.take(16), "root symbol table entry")
        if cache_type == 1:  # H5G_CACHED_STAB: the root group's B-tree and local heap
            f.root_cache = (f.addr(scratch.take(f.so)), f.addr(scratch.take(f.so)))
    elif version in (2, 3):
        f.so, f.sl = head.u(1), head.u(1)
        _check_sizes(f)
        head.take(1)
        head.take(f.so)  # base address: the library uses where it found the superblock instead
        f.base = at
        head.take(f.so * 2)  # superblock extension, end of file
        root = f.addr(head.take(f.so))
    else:
        raise FormatError(f"unknown HDF5 superblock version {version}")
    if root == UNDEFINED:
        raise FormatError("HDF5 root group address is undefined")
    return version, root


def read_root_attributes(fh: IO[bytes], size: int) -> RootAttributes:
    """The attributes of the root group (``/``), bounded; raises :class:`FormatError`."""
    f = _File(fh, size)
    version, root = _root_address(f)
    out = RootAttributes(version)
    _read_object_header(f, root, out)
    return out


def _check_sizes(f: _File) -> None:
    if f.so not in (2, 4, 8) or f.sl not in (2, 4, 8):
        raise FormatError(f"HDF5 sizes of offsets/lengths {f.so}/{f.sl} are not 2, 4 or 8")


def _header_messages(f: _File, addr: int) -> list[tuple[int, bytes, int]]:
    """Every message of the object header at ``addr`` as (type, body, flags), continuation
    blocks followed (bounded: blocks, messages, bytes; a loop raises)."""
    pending: list[tuple[int, int, int, bool]] = []  # (address, length, header version, continuation?)
    seen: set[int] = set()
    out: list[tuple[int, bytes, int]] = []
    first = f.read(addr, 4, "object header")
    if first == b"OHDR":
        b = _Buf(f.read(addr, min(f.size - addr, 4 + 1 + 1 + 16 + 4 + 8), "object header"), "object header")
        b.take(4)
        if b.u(1) != 2:
            raise FormatError("unknown HDF5 object header version")
        flags = b.u(1)
        if flags & 0x20:
            b.take(16)
        if flags & 0x10:
            b.take(4)
        chunk_size = b.u(1 << (flags & 3))
        start = addr + b.pos
        pending.append((start, chunk_size, 2, False))
        creation_order = bool(flags & 0x04)
    else:
        b = _Buf(f.read(addr, 16, "object header"), "object header")
        if b.u(1) != 1:
            raise FormatError("unknown HDF5 object header version")
        b.take(1)
        b.u(2)  # number of messages (bounded by MAX_MESSAGES below)
        b.take(4)
        chunk_size = b.u(4)
        pending.append((addr + 16, chunk_size, 1, False))
        creation_order = False
    while pending:
        start, length, hv, cont = pending.pop(0)
        if start in seen:
            raise FormatError("HDF5 object header continuation loops")
        seen.add(start)
        owner = f.blocks.setdefault(start, addr)
        if owner != addr:
            # many object headers continuing into one block would each parse it again (red team
            # 14c-1); the library writes one header's blocks for that header only
            raise FormatError(f"an object header block at {start} also belongs to the object header at {owner}: "
                              "not read again")
        if len(seen) > MAX_BLOCKS:
            raise FormatError(f"more than {MAX_BLOCKS} HDF5 object header blocks")
        if length > MAX_BLOCK_BYTES:
            raise FormatError(f"HDF5 object header block of {length} bytes exceeds the limit")
        block = f.read(start, length, "object header block")
        if hv == 2 and cont:  # OCHK signature … messages … checksum
            if block[:4] != b"OCHK" or len(block) < 8:
                raise FormatError("HDF5 continuation block lacks its OCHK signature")
            block = block[4:-4]
        b = _Buf(block, "object header block")
        end = len(block)
        while b.pos < end:
            if hv == 2:
                if end - b.pos < 4:
                    break  # gap
                mtype, msize, mflags = b.u(1), b.u(2), b.u(1)
                if creation_order:
                    b.take(2)
            else:
                if end - b.pos < 8:
                    break
                mtype, msize, mflags = b.u(2), b.u(2), b.u(1)
                b.take(3)
            body = b.take(msize)
            f.messages_parsed += 1
            if len(out) >= MAX_MESSAGES:
                raise FormatError(f"more than {MAX_MESSAGES} HDF5 header messages")
            if mtype == 0x10:  # continuation
                cb = _Buf(body, "continuation message")
                caddr = f.addr(cb.take(f.so))
                clen = cb.u(f.sl)
                if caddr != UNDEFINED:
                    pending.append((caddr, clen, hv, True))
            out.append((mtype, body, mflags))
    return out


def _attribute_info(f: _File, body: bytes) -> tuple[int, int]:
    """(fractal heap, name index) addresses of an Attribute Info message."""
    ib = _Buf(body, "attribute info message")
    ib.take(1)
    iflags = ib.u(1)
    if iflags & 1:
        ib.take(2)
    heap_addr = f.addr(ib.take(f.so))
    name_index = f.addr(ib.take(f.so))
    return heap_addr, name_index


MAX_SHARED_HOPS = 8
MAX_COMMITTED = 10_000


def _committed_datatype(f: _File, raw: bytes) -> bytes:
    """The datatype message a shared datatype message stands for: a committed (named) datatype,
    read as the library reads it (``H5O__shared_decode`` → ``H5O__shared_read``: the first
    Datatype message of the object header the shared message names). Shared message versions
    1–3 (v1: reserved bytes and a symbol-table-entry-like body; v2: the address; v3: type 2,
    committed, and the address). A datatype in the shared object header message heap (v3 type
    1, SOHM), another type, a chain of more than :data:`MAX_SHARED_HOPS` shared messages, a loop,
    or a header without a Datatype message raise :class:`FormatError` (not followed). Each named
    datatype's header is read once per file (at most :data:`MAX_COMMITTED` of them)."""
    seen: set[int] = set()
    while True:
        b = _Buf(raw, "shared datatype message")
        version = b.u(1)
        if version == 1:
            b.take(1 + 6)  # type (committed before version 2), reserved
            b.take(f.sl)  # the entry's link name offset, skipped as H5F_SIZEOF_SIZE bytes
        elif version in (2, 3):
            stype = b.u(1)
            if version == 3 and stype != 2:
                raise FormatError(f"a shared datatype message of sharing type {stype} (not a committed datatype: "
                                  "the shared object header message heap or unknown): not followed")
        else:
            raise FormatError(f"unknown shared message version {version}")
        addr = f.addr(b.take(f.so))
        if addr == UNDEFINED or addr in seen or len(seen) >= MAX_SHARED_HOPS:
            raise FormatError("a shared datatype message names an undefined address, loops, or chains more than "
                              f"{MAX_SHARED_HOPS} deep: not followed")
        seen.add(addr)
        found = f.committed.get(addr)
        if found is None:
            if len(f.committed) >= MAX_COMMITTED:
                raise FormatError(f"more than {MAX_COMMITTED} committed datatypes: the rest not followed")
            found = next(((body, mflags) for mtype, body, mflags in _header_messages(f, addr) if mtype == 0x03),
                         None)
            if found is None:
                raise FormatError(f"the committed datatype at {addr} has no datatype message")
            f.committed[addr] = found
        body, mflags = found
        if not mflags & 0x02:
            return body
        raw = body  # itself a shared message: the library follows it too


def _read_object_header(f: _File, addr: int, out: RootAttributes) -> None:
    for mtype, body, _flags in _header_messages(f, addr):
        if mtype == 0x0C:
            attr = _attribute(f, body)
            if attr.name in out.attributes:
                out.duplicates.append(attr)
            else:
                out.attributes[attr.name] = attr
        elif mtype == 0x15:  # attribute info: a fractal heap address means dense storage
            heap_addr, name_index = _attribute_info(f, body)
            if heap_addr != UNDEFINED:
                out.dense_storage = True
                try:
                    _read_dense(f, heap_addr, name_index, out)
                except FormatError as exc:
                    out.dense_unreadable = str(exc)


MAX_DENSE_RECORDS = 4096


def _read_dense(f: _File, heap_addr: int, name_index: int, out: RootAttributes) -> None:
    """Dense attribute storage as the library reads it (``H5A__dense_open``): the attribute
    name index (a v2 B-tree of type 8 records: heap ID, message flags, creation order, name
    hash) gives each attribute's heap ID in the fractal heap, whose managed object is the
    encoded attribute message. Read: B-trees of depth 0 (a root leaf), fractal heaps whose root
    is a direct block or an indirect block of direct blocks, without I/O filters; anything
    else raises :class:`FormatError` (not read, never guessed). Every record is read, a name
    stored twice is a duplicate."""
    if out.dense or out.dense_unreadable is not None:
        raise FormatError("more than one attribute info message names dense storage")
    heap = _FractalHeap(f, heap_addr)
    for heap_id, mflags in _name_index_records(f, name_index):
        if mflags & 0x02:
            raise FormatError("a dense attribute is a shared message")
        attr = _attribute(f, heap.object(heap_id))
        if attr.name in out.dense:
            out.dense_duplicates.append(attr)
        else:
            out.dense[attr.name] = attr


def _name_index_records(f: _File, addr: int) -> list[tuple[bytes, int]]:
    if addr == UNDEFINED:
        raise FormatError("dense attribute storage without a name index")
    records = []
    for rec in _btree2_records(f, addr, 8, "attribute name index"):
        if len(rec) != 17:
            raise FormatError(f"attribute name index records of {len(rec)} bytes, not 17")
        records.append((rec[:8], rec[8]))  # heap ID, message flags (then creation order, name hash)
    return records


MAX_BTREE_NODES = 10_000


def _enc_size(n: int) -> int:
    """``H5VM_limit_enc_size``: bytes that encode a count up to ``n``."""
    return (max(n, 1).bit_length() - 1) // 8 + 1


def _btree2_records(f: _File, addr: int, btype: int, what: str) -> list[bytes]:
    """Every record of a version 2 B-tree (``BTHD``) of type ``btype``, leaves and internal
    nodes, node sizes computed as ``H5B2__hdr_init`` computes them; bounded (records, nodes, a
    node seen twice raises)."""
    b = _Buf(f.read(addr, 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + f.so + 2 + f.sl, "v2 B-tree header"), "v2 B-tree header")
    if b.take(4) != b"BTHD" or b.u(1) != 0:
        raise FormatError(f"{what}: not a version 0 v2 B-tree header")
    if b.u(1) != btype:
        raise FormatError(f"{what}: B-tree is not of type {btype}")
    node_size = b.u(4)
    rec_size = b.u(2)
    depth = b.u(2)
    b.take(2)  # split/merge percentages
    root = f.addr(b.take(f.so))
    nrec = b.u(2)
    if not 0 < rec_size <= 1024 or not 64 <= node_size <= MAX_BLOCK_BYTES or depth > 32:
        raise FormatError(f"{what}: v2 B-tree node/record sizes or depth out of bounds")
    prefix = 4 + 1 + 1 + 4  # signature, version, type, checksum
    max_nrec = [(node_size - prefix) // rec_size]
    cum_max = [max_nrec[0]]
    cum_size = [0]
    max_nrec_size = _enc_size(max_nrec[0])
    for d in range(1, depth + 1):
        pointer = f.so + max_nrec_size + cum_size[d - 1]
        n = (node_size - prefix) // (rec_size + pointer)
        max_nrec.append(n)
        cum_max.append((n + 1) * cum_max[d - 1] + n)
        cum_size.append(_enc_size(cum_max[d]))
    records: list[bytes] = []
    if nrec == 0 or root == UNDEFINED:
        return records
    stack = [(root, nrec, depth)]
    seen: set[int] = set()
    while stack:
        node, count, d = stack.pop()
        if node in seen or len(seen) >= MAX_BTREE_NODES:
            raise FormatError(f"{what}: v2 B-tree nodes loop or exceed {MAX_BTREE_NODES}")
        seen.add(node)
        if count > max_nrec[d]:
            raise FormatError(f"{what}: v2 B-tree node of {count} records exceeds its size")
        if len(records) + count > MAX_DENSE_RECORDS:
            raise FormatError(f"{what}: more than {MAX_DENSE_RECORDS} records")
        n = 6 + count * rec_size + ((count + 1) * (f.so + max_nrec_size + cum_size[d - 1]) if d else 0)
        nb = _Buf(f.read(node, n, "v2 B-tree node"), "v2 B-tree node")
        if nb.take(4) != (b"BTIN" if d else b"BTLF") or nb.u(1) != 0 or nb.u(1) != btype:
            raise FormatError(f"{what}: v2 B-tree node of the wrong kind")
        for _ in range(count):
            records.append(nb.take(rec_size))
        if d:
            for _ in range(count + 1):
                child = f.addr(nb.take(f.so))
                child_n = nb.u(max_nrec_size)
                nb.take(cum_size[d - 1])
                stack.append((child, child_n, d - 1))
    return records


class _FractalHeap:
    """The managed objects of a fractal heap (``FRHP``): a doubling table of direct blocks."""

    def __init__(self, f: _File, addr: int) -> None:
        self.f = f
        b = _Buf(f.read(addr, min(f.size - addr, 4 + 1 + 2 + 2 + 1 + 4 + 12 * 8 + 2 + 8 + 8 + 2 + 2 + 8 + 2),
                        "fractal heap header"), "fractal heap header")
        if b.take(4) != b"FRHP" or b.u(1) != 0:
            raise FormatError("not a version 0 fractal heap header")
        self.id_len = b.u(2)
        if b.u(2):
            raise FormatError("fractal heap with I/O filters (compressed attributes)")
        self.flags = b.u(1)
        max_man = b.u(4)
        b.take(f.sl)  # next huge object ID
        self.huge_btree = f.addr(b.take(f.so))  # the v2 B-tree of huge objects
        b.take(f.sl + f.so + f.sl * 8)  # free-space and object bookkeeping
        self.width = b.u(2)
        self.start = b.u(f.sl)
        self.max_direct = b.u(f.sl)
        max_heap_bits = b.u(2)
        b.take(2)  # starting rows
        self.root = f.addr(b.take(f.so))
        self.rows = b.u(2)
        if not (1 <= self.width <= 4096) or self.start <= 0 or self.start & (self.start - 1) \
                or self.max_direct < self.start or self.max_direct & (self.max_direct - 1) or not 8 <= max_heap_bits <= 64:
            raise FormatError("fractal heap doubling table out of bounds")
        self.off_size = (max_heap_bits + 7) // 8
        dir_bits = self.max_direct.bit_length() - 1
        self.len_size = min((dir_bits + 7) // 8, (max_man.bit_length() - 1) // 8 + 1 if max_man else 1)
        self.blocks: list[tuple[int, int, int]] = []  # (heap offset, size, address) of each direct block
        # H5HF__huge_init: a huge object's ID holds its address and length when they fit in the
        # ID (no filters), else a key of up to 8 bytes into the heap's huge-object B-tree
        self.huge_direct = f.so + f.sl <= self.id_len - 1
        self.huge_id_size = min(self.id_len - 1, 8)
        self.huge: dict[int, tuple[int, int]] | None = None  # B-tree key -> (address, length), once read
        if self.root == UNDEFINED:
            return
        if self.rows == 0:
            self.blocks.append((0, self.start, self.root))
        else:
            self._indirect(self.root, max_heap_bits)

    def _row_size(self, row: int) -> int:
        return self.start if row == 0 else self.start << (row - 1)

    def _indirect(self, addr: int, max_heap_bits: int) -> None:
        f = self.f
        max_direct_rows = (self.max_direct.bit_length() - 1) - (self.start.bit_length() - 1) + 2
        if self.rows > max_direct_rows:
            raise FormatError("fractal heap with nested indirect blocks (mlbom reads direct blocks only)")
        n = self.rows * self.width
        if n > MAX_BLOCKS:
            raise FormatError("fractal heap of too many direct blocks")
        b = _Buf(f.read(addr, 4 + 1 + f.so + self.off_size + n * f.so, "fractal heap indirect block"),
                 "fractal heap indirect block")
        if b.take(4) != b"FHIB" or b.u(1) != 0:
            raise FormatError("not a version 0 fractal heap indirect block")
        b.take(f.so + self.off_size)
        offset = 0
        for row in range(self.rows):
            size = self._row_size(row)
            for _ in range(self.width):
                child = f.addr(b.take(f.so))
                if child != UNDEFINED:
                    self.blocks.append((offset, size, child))
                offset += size

    def object(self, heap_id: bytes) -> bytes:
        if not heap_id or heap_id[0] >> 6 != 0:
            raise FormatError("unknown fractal heap ID version")
        kind = (heap_id[0] >> 4) & 3
        if kind == 2:  # tiny: the object is in the ID itself
            n = (heap_id[0] & 0x0F) + 1
            if 1 + n > len(heap_id):
                raise FormatError("tiny fractal heap object longer than its ID")
            return heap_id[1:1 + n]
        if kind == 1:
            return self._huge_object(heap_id)
        if kind != 0:
            raise FormatError("fractal heap ID of an unknown type")
        if len(heap_id) < 1 + self.off_size + self.len_size:
            raise FormatError("fractal heap ID too short")
        off = int.from_bytes(heap_id[1:1 + self.off_size], "little")
        length = int.from_bytes(heap_id[1 + self.off_size:1 + self.off_size + self.len_size], "little")
        for start, size, addr in self.blocks:
            if start <= off and off + length <= start + size:
                return self.f.read(addr + off - start, length, "fractal heap object")
        raise FormatError(f"fractal heap object at heap offset {off} (+{length}) is in no direct block")

    def _huge_object(self, heap_id: bytes) -> bytes:
        """A huge object (``H5HF__huge_op_real``): stored whole at an address of the file, named
        by the ID itself (address and length) or by a key the heap's v2 B-tree of type 1 records
        (address, length, key) maps to them. Heaps with I/O filters (type 2/4 records: filtered
        huge objects) are refused before this. Bounded: an object of at most
        :data:`MAX_BLOCK_BYTES`, and every huge object read, every time, charged to the file's
        heap budget (:func:`_take_copies`) before it is read."""
        f = self.f
        if self.huge_direct:
            if len(heap_id) < 1 + f.so + f.sl:
                raise FormatError("huge fractal heap ID too short")
            addr = f.addr(heap_id[1:1 + f.so])
            length = int.from_bytes(heap_id[1 + f.so:1 + f.so + f.sl], "little")
        else:
            if len(heap_id) < 1 + self.huge_id_size:
                raise FormatError("huge fractal heap ID too short")
            key = int.from_bytes(heap_id[1:1 + self.huge_id_size], "little")
            found = self._huge_index().get(key)
            if found is None:
                raise FormatError(f"huge fractal heap object {key} is not in the heap's huge-object B-tree")
            addr, length = found
        if addr == UNDEFINED or length > MAX_BLOCK_BYTES:
            raise FormatError(f"huge fractal heap object of {length} bytes at an undefined address or over the limit")
        _charge_heap(f, length, "global heap and huge fractal heap objects")
        return f.read(addr, length, "huge fractal heap object")

    def _huge_index(self) -> dict[int, tuple[int, int]]:
        if self.huge is None:
            f = self.f
            if self.huge_btree == UNDEFINED:
                raise FormatError("huge fractal heap object in a heap without a huge-object B-tree")
            index: dict[int, tuple[int, int]] = {}
            for rec in _btree2_records(f, self.huge_btree, 1, "huge fractal heap objects"):
                if len(rec) != f.so + 2 * f.sl:
                    raise FormatError(f"huge fractal heap object records of {len(rec)} bytes, not {f.so + 2 * f.sl}")
                key = int.from_bytes(rec[f.so + f.sl:], "little")
                if key in index:
                    # H5B2_find returns one of them: which one depends on the search
                    raise FormatError(f"huge fractal heap object {key} is recorded twice in its B-tree")
                index[key] = (f.addr(rec[:f.so]), int.from_bytes(rec[f.so:f.so + f.sl], "little"))
            self.huge = index
        return self.huge


def _pad8(n: int) -> int:
    return (n + 7) & ~7


def _attribute(f: _File, body: bytes) -> Attribute:
    b = _Buf(body, "attribute message")
    version = b.u(1)
    if version not in (1, 2, 3):
        raise FormatError(f"unknown HDF5 attribute message version {version}")
    flags = b.u(1)
    if version == 1:
        flags = 0  # H5O__attr_decode: the byte is unused (reserved) before version 2
    name_size, dt_size, ds_size = b.u(2), b.u(2), b.u(2)
    if version == 3:
        b.take(1)  # name character set
    pad = _pad8 if version == 1 else (lambda n: n)
    name = b.take(pad(name_size))[:name_size].rstrip(b"\x00").decode("utf-8", "replace")
    dtype = b.take(pad(dt_size))[:dt_size]
    dspace = b.take(pad(ds_size))[:ds_size]
    attr = Attribute(name)
    if flags & 2:
        attr.unreadable = "shared dataspace (the shared object header message heap): not followed"
        return attr
    try:
        if flags & 1:  # a committed datatype
            dtype = _committed_datatype(f, dtype)
        count = _element_count(dspace, f.sl)
        attr.value = _decode(f, dtype, count, body[b.pos:], attr.alternatives)
    except FormatError as exc:
        attr.unreadable = str(exc)
    return attr


def _element_count(dspace: bytes, sl: int) -> int:
    b = _Buf(dspace, "dataspace")
    version = b.u(1)
    rank = b.u(1)
    flags = b.u(1)
    if version == 1:
        b.take(5)
        kind = 1 if rank else 0
    elif version == 2:
        kind = b.u(1)
    else:
        raise FormatError(f"unknown dataspace version {version}")
    if kind == 2:
        return 0
    if rank > 32:
        raise FormatError("dataspace rank over 32")
    count = 1
    for _ in range(rank):
        count *= b.u(sl)
        if count > MAX_ATTRIBUTE_BYTES:
            raise FormatError("attribute has too many elements")
    del flags  # bit 0: maximum dimensions follow (not needed)
    return count


def _decode(f: _File, dtype: bytes, count: int, data: bytes, alternatives: list[bytes]) -> object:
    b = _Buf(dtype, "datatype")
    cv = b.u(1)
    cls = cv & 0x0F
    bits = b.u(3)
    esize = b.u(4)
    if count > MAX_ELEMENTS or count * max(esize, 1) > MAX_ATTRIBUTE_BYTES:
        raise FormatError(f"attribute of {count} elements of {esize} bytes exceeds the limits")
    if esize == 0:
        raise FormatError("attribute datatype of size 0")
    values: list[object] = []
    if cls == 3:  # fixed-length string
        for i in range(count):
            raw = data[i * esize:(i + 1) * esize]
            if len(raw) != esize:
                raise FormatError("fixed-length string attribute is truncated")
            values.append(raw.split(b"\x00", 1)[0] if (bits & 0x0F) == 0 else raw.rstrip(b"\x00 "))
    elif cls == 9 and (bits & 0x0F) == 1:  # variable-length string
        width = 4 + f.so + 4
        char = _vlen_char_size(_dtype(dtype)[0])
        for i in range(count):
            rec = _Buf(data[i * width:(i + 1) * width], "variable-length string")
            length = rec.u(4) * char
            heap = f.addr(rec.take(f.so))
            index = rec.u(4)
            copies = _global_heap_object(f, heap, index, length)
            values.append(copies[-1])
            alternatives.extend(copies[:-1])
    else:
        raise FormatError(f"attribute of datatype class {cls} is not a string")
    return values[0] if count == 1 else values


def _global_heap_object(f: _File, addr: int, index: int, length: int) -> list[bytes]:
    """The copies of object ``index`` in the collection at ``addr``, in file order: the library
    (``H5HG__cache_heap_deserialize``) reads the collection as a table by index, each object
    overwriting an earlier one with its index, so the last copy is what it returns."""
    if addr == UNDEFINED:
        return [b""]
    if addr not in f.heaps:
        if len(f.heaps) >= 16:
            raise FormatError("attribute strings spread over more than 16 global heap collections")
        f.heaps[addr] = _collection(f, addr)
    copies = f.heaps[addr].get(index)
    if not copies:
        raise FormatError(f"global heap object {index} not found")
    if any(length > len(c) for c in copies):
        raise FormatError("variable-length string longer than its heap object")
    return _take_copies(f, copies, length)


# bytes of global heap objects handed out per file, every copy of every read counted (each is
# sliced, hashed and maybe judged): a floor plus four times the file's size. A file whose
# references each name their own object reads each object once; many references to one object
# (prefixes of it, or a collection holding many copies of its index) multiply the work, and are
# stopped here, before the slicing (red team 15c-1)
HEAP_TAKEN_FLOOR = 4 << 20
HEAP_TAKEN_FACTOR = 4


def _take_copies(f: _File, copies: list[bytes], length: int | None) -> list[bytes]:
    """``length`` bytes of every copy (None: whole), charged to the file's heap budget first."""
    _charge_heap(f, len(copies) + sum(len(c) if length is None else length for c in copies))
    return copies if length is None else [c[:length] for c in copies]


def _charge_heap(f: _File, need: int, what: str = "global heap objects") -> None:
    """Charge ``need`` bytes of heap objects (global heap copies, huge fractal heap objects)
    to the file's budget, or raise (and refuse every later read)."""
    limit = HEAP_TAKEN_FLOOR + HEAP_TAKEN_FACTOR * f.size
    if f.heap_taken + need > limit:
        f.heap_taken = limit + 1  # every later read is refused too
        raise FormatError(f"{what} read over {HEAP_TAKEN_FLOOR} bytes plus {HEAP_TAKEN_FACTOR} "
                          "times the file's size (every copy, every reference): the rest not read")
    f.heap_taken += need


def _collection(f: _File, addr: int) -> dict[int, list[bytes]]:
    """Every object of a global heap collection, walked as the library walks it: object headers
    (index, reference count, reserved, size) back to back; an object's data is padded to 8
    bytes; the free-space object (index 0) spans its own header, and the library reads on after
    it; a tail too small for a header is free space."""
    head = _Buf(f.read(addr, 8 + f.sl, "global heap"), "global heap")
    if head.take(4) != b"GCOL":
        raise FormatError("global heap collection signature missing")
    head.take(4)
    csize = head.u(f.sl)
    if csize > MAX_BLOCK_BYTES or csize < 8 + f.sl:
        raise FormatError("global heap collection size out of bounds")
    data = f.read(addr, csize, "global heap collection")
    objects: dict[int, list[bytes]] = {}
    hdr = 8 + f.sl
    pos = 8 + f.sl
    while pos < csize:
        if pos + hdr > csize:
            break  # too small for an object header: free space
        obj = _Buf(data[pos:pos + hdr], "global heap object header")
        obj_index = obj.u(2)
        obj.take(6)
        obj_size = obj.u(f.sl)
        if obj_index == 0:
            if obj_size < hdr:
                raise FormatError("global heap free-space object smaller than its own header")
            pos += obj_size
            continue
        if obj_size > csize - pos - hdr:
            raise FormatError(f"global heap object {obj_index} runs past its collection")
        objects.setdefault(obj_index, []).append(data[pos + hdr:pos + hdr + obj_size])
        pos += hdr + _pad8(obj_size)
    return objects


def text_attribute(attrs: RootAttributes, name: str) -> str | None:
    """A string attribute decoded as UTF-8 (None when absent); unreadable → :class:`FormatError`."""
    attr = attrs.attributes.get(name)
    if attr is None:
        return None
    if attr.unreadable is not None:
        raise FormatError(f"HDF5 attribute {name!r} cannot be read: {attr.unreadable}")
    value = attr.value
    if isinstance(value, list):
        if len(value) != 1:
            raise FormatError(f"HDF5 attribute {name!r} holds {len(value)} strings, not one")
        value = value[0]
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"HDF5 attribute {name!r} is not UTF-8") from exc
    raise FormatError(f"HDF5 attribute {name!r} is not a string")




def _judge_copy(value: object, unreadable: str | None, where: str, facts: Facts) -> None:
    """Judge one more copy of a Keras config attribute (a compact copy beside dense storage, a
    duplicate message, another global-heap copy): a Lambda in any copy counts; a copy that is
    not one readable string is ``keras.config-invalid``."""
    try:
        if not isinstance(value, bytes):
            raise FormatError(f"{where}: {unreadable or 'not a single string'}")
        keras.judge_config(keras.parse_config_json(value, where), where, facts, loader="legacy")
    except FormatError as exc:
        facts.findings.append(("keras.config-invalid", "high", f"{exc}; not judged"))
        facts.effects["keras.config-invalid"] = "error"


@dataclass
class HDF5Facts(Facts):
    """:class:`Facts` plus the walks of the pickles a reader of the file unpickles (where,
    report), for the scanner to fold in; walks that found nothing are counted, not kept."""

    pickles: list[tuple[str, PickleReport]] = field(default_factory=list)


MAX_KEPT_REPORTS = 10_000


def judge_pickle(data: bytes) -> PickleReport:
    """Walk bytes PyTables unpickles. Bytes every unpickler refuses (``stop_proven``) raise in
    ``pickle.loads``: PyTables then returns an attribute's raw value (``AttributeSet.__getattr__``
    catches), an object row's read raises — nothing is loaded, so that refusal is no finding;
    what the opcodes before it do still is."""
    from mlbom.formats.pickle import read_pickle

    rep = read_pickle(io.BytesIO(data), len(data))
    if rep.error is not None and rep.stop_proven:
        rep.findings = [f for f in rep.findings if f.id != "pickle.unreadable"]
    return rep


def _judge_tree(fh: IO[bytes], size: int, facts: HDF5Facts) -> None:
    """Walk the whole object tree (:func:`walk_tree`) and judge what it finds."""
    def on_pickle(where: str, data: bytes) -> None:
        rep = judge_pickle(data)
        if not (rep.findings or rep.globals or (rep.error is None and not rep.complete)):
            return
        if len(facts.pickles) >= MAX_KEPT_REPORTS:
            from mlbom.formats.pickle import PickleFinding, PickleReport

            rep = PickleReport(complete=True, findings=[PickleFinding(
                "hdf5.unreadable", "high", f"more than {MAX_KEPT_REPORTS} pickles with findings: not judged", "error")])
        facts.pickles.append((where, rep))

    tree = walk_tree(fh, size, on_pickle)
    facts.facts["hdf5.objects"] = str(tree.objects)
    if tree.pickled_values:
        facts.facts["hdf5.pickled-values"] = str(tree.pickled_values)
        facts.findings.append(("hdf5.pickled-values", "info",
                               f"{tree.pickled_values} value(s) ({tree.pickled_bytes} bytes) that PyTables (and "
                               "pandas.read_hdf) unpickles on read — attributes whose scalar string ends in '.', "
                               "rows of object VLArrays — each judged by the pickle scanner"))
    for where, kind, target in tree.external:
        if kind == "virtual-source" and target == ".":
            continue  # a virtual dataset's source in this same file
        shown = target[:200]
        what = {"external-file": ("hdf5.external-storage", "its raw data is read from the external file"),
                "virtual-source": ("hdf5.virtual-dataset", "a virtual dataset maps data from the file"),
                "external-link": ("hdf5.external-link", "an external link opens the object at")}[kind]
        if _outside(target.split(":", 1)[0] if kind == "external-link" else target):
            facts.findings.append((what[0], "critical", f"{where}: {what[1]} {shown!r}, outside the model's folder "
                                   "(an absolute path or '..'): h5py/PyTables read that file on load, and the "
                                   "BOM's hash does not cover it"))
            facts.effects[what[0]] = "unsafe"
        else:
            facts.findings.append((what[0], "high", f"{where}: {what[1]} {shown!r}: data outside the hashed file "
                                   "(read on load; not covered by the BOM's hash)"))
            if facts.effects.get(what[0]) != "unsafe":
                facts.effects[what[0]] = "suspicious"
    for where, differs in tree.differentials[:20]:
        facts.findings.append(("hdf5.symbol-table-cache", "high", f"{where}: {differs}"))
        facts.effects["hdf5.symbol-table-cache"] = "suspicious"
    for where, differs in tree.duplicate_messages[:20]:
        facts.findings.append(("hdf5.duplicate-message", "high", f"{where}: {differs}"))
        facts.effects["hdf5.duplicate-message"] = "suspicious"
    for where, why in tree.unreadable:
        facts.findings.append(("hdf5.unreadable", "high", f"{where}: {why}; what it holds (attributes PyTables "
                               "unpickles, object rows, external data) was not judged"))
        facts.effects["hdf5.unreadable"] = "error"


def parse_hdf5(fh: IO[bytes], size: int) -> HDF5Facts:
    """An HDF5 file as Keras reads it: the root attributes ``model_config`` and
    ``training_config`` (JSON) judged by :mod:`mlbom.formats.keras`. A file without them is
    plain HDF5 data (weights). A config that cannot be read is an ``error`` finding: the file
    is not judged, never byte-searched. Then the whole object tree as PyTables/pandas and
    h5py read it (:func:`walk_tree`): the pickles they unpickle (walked, on ``pickles``),
    external storage, virtual dataset sources and external links."""
    attrs = read_root_attributes(fh, size)
    facts = HDF5Facts()
    facts.facts["hdf5.superblock"] = str(attrs.superblock_version)
    compact: dict[str, Attribute] = {}
    if attrs.dense_storage:
        # H5O__attr_open_by_name: when the Attribute Info message names a fractal heap, the
        # library looks attributes up there only; compact attribute messages are not read
        if attrs.dense_unreadable is not None:
            facts.findings.append(("hdf5.dense-attributes", "high", "root attributes are in dense storage (a fractal "
                                   f"heap), all the HDF5 library reads, and mlbom cannot read it: "
                                   f"{attrs.dense_unreadable}; a Keras model_config there was not judged"))
            facts.effects["hdf5.dense-attributes"] = "error"
        else:
            facts.findings.append(("hdf5.dense-attributes", "info", f"root attributes read from dense storage (a "
                                   f"fractal heap, {len(attrs.dense)} attribute(s)), as the HDF5 library reads them"))
        compact, attrs.attributes = attrs.attributes, attrs.dense
        attrs.duplicates = attrs.dense_duplicates + attrs.duplicates
        if compact:
            facts.findings.append(("hdf5.dense-and-compact-attributes", "high",
                                   f"the root group also holds {len(compact)} compact attribute message(s) "
                                   f"({', '.join(sorted(compact))[:200]}) that the HDF5 library ignores beside "
                                   "dense storage: two readers read two sets of attributes (judged all the same)"))
            facts.effects["hdf5.dense-and-compact-attributes"] = "suspicious"
        for name in ("model_config", "training_config"):
            shadow = compact.get(name)
            if shadow is None:
                continue
            where = f"{name} (compact copy the library ignores)"
            for value in [shadow.value, *shadow.alternatives]:
                _judge_copy(value, shadow.unreadable, where, facts)
    for name in ("keras_version", "backend"):
        try:
            value = text_attribute(attrs, name)
        except FormatError:
            value = None
        if value is not None:
            facts.facts[f"keras.{name.replace('_', '-')}"] = value[:60]
    found = False
    for dup in attrs.duplicates:
        if dup.name in ("model_config", "training_config", "keras_version", "backend"):
            facts.findings.append(("hdf5.duplicate-attribute", "high",
                                   f"attribute {dup.name!r} is stored twice: readers may pick either"))
            facts.effects["hdf5.duplicate-attribute"] = "suspicious"
            if dup.name in ("model_config", "training_config"):
                _judge_copy(dup.value, dup.unreadable, f"{dup.name} (second copy)", facts)
    for name in ("model_config", "training_config", "keras_version", "backend"):
        attr = attrs.attributes.get(name)
        if attr is None or not attr.alternatives:
            continue
        facts.findings.append(("hdf5.global-heap-duplicate", "high",
                               f"attribute {name!r}: its global heap collection holds the string's object "
                               f"{len(attr.alternatives) + 1} times; the HDF5 library returns the last copy, "
                               "other readers may return another: every copy judged"))
        facts.effects["hdf5.global-heap-duplicate"] = "suspicious"
        if name in ("model_config", "training_config"):
            for i, alt in enumerate(attr.alternatives):
                _judge_copy(alt, None, f"{name} (global heap copy {i + 1})", facts)
    for name in ("model_config", "training_config"):
        try:
            text = text_attribute(attrs, name)
        except FormatError as exc:
            facts.findings.append(("hdf5.config-unreadable", "high", f"{name}: {exc}; the Keras config was not judged"))
            facts.effects["hdf5.config-unreadable"] = "error"
            continue
        if text is None:
            continue
        found = True
        try:
            doc = keras.parse_config_json(text, name)
            # keras reads an .h5 with its legacy loader, whatever keys the document carries (119fmt-2)
            keras.judge_config(doc, name, facts, loader="legacy")
        except FormatError as exc:
            facts.findings.append(("keras.config-invalid", "high", f"{exc}; the Keras config was not judged"))
            facts.effects["keras.config-invalid"] = "error"
    if found:
        facts.facts["keras.model-config"] = "true"
    _judge_tree(fh, size, facts)
    return facts


# ---- the whole object tree (red team 10b) ----------------------------------------------------
#
# PyTables (and so pandas' read_hdf) unpickles node attributes and the rows of object VLArrays;
# h5py and PyTables read external raw data files, virtual dataset sources and external links.
# Every object reachable from the root is visited, every such place reported.

MAX_OBJECTS = 100_000
MAX_PATH_DEPTH = 256
MAX_ROW_BYTES = 1 << 30  # decompressed raw data read for object VLArrays, whole file
MAX_HEAP_BYTES = 256 << 20  # global heap collections held, whole file
MAX_ROWS = 1_000_000  # object rows, whole file
# distinct pickles judged per file (a row or attribute whose bytes were judged already is counted,
# not judged again), and their bytes: a fixed floor plus twice the file's size, so that a small
# file never costs more than a few seconds (the pickle walk runs at about 1 µs a byte) however
# many rows point at one heap object, or at prefixes of it (red team 13a-3)
MAX_JUDGED_PICKLES = 100_000
# header messages and dense attribute records read per file: many object headers can share one
# continuation block or one dense attribute heap (each read again for every object)
# (at most 5,000,000, and a floor plus a quarter of the file's size: a message takes at least 4
# bytes, so a file whose blocks are not shared never reaches it — red team 14c-1)
MAX_TOTAL_MESSAGES = 5_000_000
MESSAGES_FLOOR = 20_000
MAX_JUDGED_FLOOR = 256 << 10
NOT_PICKLED = (b"0", b"0.")  # PyTables' workaround for ticket #253: returned as they are


@dataclass
class TreeReport:
    """What a walk of the whole object tree found."""

    objects: int = 0
    # (where and why a reader unpickles them, the bytes): kept when no callback takes them
    pickles: list[tuple[str, bytes]] = field(default_factory=list)
    # (where, kind: "external-file" / "virtual-source" / "external-link", the file it names)
    external: list[tuple[str, str, str]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (where, why): not followed
    # (where, what): structure two readers read differently (a group's cached symbol table)
    differentials: list[tuple[str, str]] = field(default_factory=list)
    # (where, what): an object header with two messages of a type the library reads once (the first)
    duplicate_messages: list[tuple[str, str]] = field(default_factory=list)
    pickled_values: int = 0
    pickled_bytes: int = 0


@dataclass
class _Dtype:
    cls: int
    bits: int
    size: int
    base: _Dtype | None = None
    props: bytes = b""  # the class's properties (what follows the 8-byte header), up to 16 bytes


def _dtype(raw: bytes, depth: int = 0) -> tuple[_Dtype, int]:
    """The class, class bits and size of a datatype message (and a variable-length type's
    base type); the number of bytes read when that is known (0: not needed)."""
    b = _Buf(raw, "datatype")
    cv = b.u(1)
    version, cls = cv >> 4, cv & 0x0F
    if version not in (1, 2, 3, 4, 5):
        raise FormatError(f"unknown HDF5 datatype message version {version}")
    bits = b.u(3)
    size = b.u(4)
    dt = _Dtype(cls, bits, size, props=raw[b.pos:b.pos + 16])
    if cls == 9:
        if depth > 8:
            raise FormatError("variable-length datatype nested too deep")
        dt.base, _ = _dtype(raw[b.pos:], depth + 1)
    return dt, b.pos


def _vlen_char_size(dt: _Dtype) -> int:
    """The bytes one unit of a variable-length string's length stands for: the size of its base
    (character) type, which the file states (``H5T__conv_vlen`` reads ``length × base size``
    bytes, red team 13a-1)."""
    if dt.base is None or not 1 <= dt.base.size <= 8:
        raise FormatError(f"variable-length string of a {dt.base.size if dt.base else 'missing'}-byte base type")
    return dt.base.size


def _dataspace(raw: bytes, sl: int) -> tuple[str, list[int]]:
    """("scalar" | "simple" | "null", current dimensions) of a dataspace message. A simple
    dataspace of rank 0 holds one element, as a scalar one does (the library's
    ``H5Sget_simple_extent_ndims`` is 0 for both: PyTables reads both as a scalar)."""
    b = _Buf(raw, "dataspace")
    version = b.u(1)
    rank = b.u(1)
    b.u(1)  # flags
    if version == 1:
        b.take(5)
        kind = "simple" if rank else "scalar"
    elif version == 2:
        k = b.u(1)
        if k not in (0, 1, 2):
            raise FormatError(f"unknown dataspace type {k}")
        kind = ("scalar", "simple", "null")[k]
    else:
        raise FormatError(f"unknown dataspace version {version}")
    if rank > 32:
        raise FormatError("dataspace rank over 32")
    dims = [b.u(sl) for _ in range(rank if kind == "simple" else 0)]
    return kind, dims


# PyTables' ``AttributeSet.__getattr__`` rewrites a ``FILTERS`` attribute before it unpickles it
# (files of format version < 2.0, which the root's own attribute states): the first match only
_OLD_FILTERS = re.compile(rb"\(([ic])tables\.Leaf\n")
_NEW_FILTERS = rb"(\1tables.filters\n"


def _pickle_readings(raws: list[bytes], name: str = "") -> list[bytes]:
    """What PyTables' ``AttributeSet.__getattr__`` passes to ``pickle.loads`` for a scalar
    string attribute: the bytes (fixed-length: the whole element, trailing NULs stripped;
    variable-length: up to the first NUL, as ``strlen`` reads it) when they end in ``.`` —
    both readings of every copy, so no reader's reading is missed. For ``FILTERS`` also the
    bytes after PyTables' rewrite of old pickled filters (``(ctables.Leaf\n`` becomes
    ``(ctables.filters\n``, which shifts every opcode after it), whatever the format version
    says: the file states its own version."""
    out: list[bytes] = []
    for raw in raws:
        for reading in (raw.rstrip(b"\x00"), raw.split(b"\x00", 1)[0]):
            if not reading.endswith(b".") or reading in NOT_PICKLED:
                continue
            readings = [reading]
            if name == "FILTERS":
                readings.append(_OLD_FILTERS.sub(_NEW_FILTERS, reading, 1))
            for r in readings:
                if r not in out:
                    out.append(r)
    return out


def _plain_string(values: list[bytes], readings: list[bytes]) -> bytes | None:
    """The one string an attribute holds when PyTables returns it as it is (one value, read
    the same up to the first NUL as with trailing NULs stripped, never unpickled); else None."""
    if len(values) != 1 or readings:
        return None
    value = values[0]
    if value.rstrip(b"\x00") != value.split(b"\x00", 1)[0]:
        return None
    return value.rstrip(b"\x00")


def _check_local_heap(f: _File, heap: int) -> None:
    b = _Buf(f.read(heap, 8 + 2 * f.sl + f.so, "local heap"), "local heap")
    if b.take(4) != b"HEAP" or b.u(1) != 0:
        raise FormatError("group local heap: not a version 0 local heap")


def _local_heap_string(f: _File, heap: int, offset: int, what: str) -> str:
    b = _Buf(f.read(heap, 8 + 2 * f.sl + f.so, "local heap"), "local heap")
    if b.take(4) != b"HEAP" or b.u(1) != 0:
        raise FormatError(f"{what}: not a version 0 local heap")
    b.take(3)
    seg_size = b.u(f.sl)
    b.u(f.sl)  # free list
    seg = f.addr(b.take(f.so))
    if offset >= seg_size or seg_size > MAX_BLOCK_BYTES:
        raise FormatError(f"{what}: local heap offset {offset} outside its {seg_size}-byte data segment")
    data = f.read(seg + offset, min(seg_size - offset, 4096), "local heap string")
    if b"\x00" not in data:
        raise FormatError(f"{what}: local heap string without its terminating NUL")
    return data.split(b"\x00", 1)[0].decode("utf-8", "replace")


def _outside(name: str) -> bool:
    """A file name that leaves the folder of the HDF5 file: absolute (POSIX or Windows), or
    with a ``..`` component."""
    return leave_reason(name) is not None


def _cstr(b: _Buf, what: str) -> str:
    rest = b.data[b.pos:]
    end = rest.find(b"\x00")
    if end < 0:
        raise FormatError(f"{what} without its terminating NUL")
    b.take(end + 1)
    return rest[:end].decode("utf-8", "replace")


def _skip_selection(b: _Buf) -> None:
    """Step over one serialised dataspace selection (``H5S_SELECT_DESERIALIZE``)."""
    stype, version = b.u(4), b.u(4)
    if stype in (0, 3):  # none, all
        b.take(8)  # reserved, length
        return
    if stype == 1:  # points
        if version == 1:
            b.take(8)
            rank, n = b.u(4), b.u(4)
            b.take(4 * rank * n)
            return
        if version == 2:
            size = b.u(1)
            rank = b.u(4)
            n = b.u(size)
            b.take(size * rank * n)
            return
    if stype == 2:  # hyperslabs
        if version == 1:
            b.take(8)
            rank, n = b.u(4), b.u(4)
            b.take(8 * rank * n)
            return
        if version == 2:
            flags = b.u(1)
            b.take(4)
            rank = b.u(4)
            if not flags & 1:
                raise FormatError("version 2 irregular hyperslab selection")
            b.take(4 * 8 * rank)
            return
        if version == 3:
            flags, size = b.u(1), b.u(1)
            rank = b.u(4)
            if flags & 1:
                b.take(4 * size * rank)
            else:
                n = b.u(size)
                b.take(2 * size * rank * n)
            return
    raise FormatError(f"unknown dataspace selection (type {stype}, version {version})")


# messages an object has one of: the library reads the first (``H5O_msg_read`` →
# ``H5O__msg_read_oh`` stops at the first match). A second one is a differential (red team
# 13a-2): those that decide how rows are read are taken from the first only, as the library
# does; the others (groups, attributes, links, external files) are read from every copy, a
# superset of what any reader reads
_SINGLE_MESSAGES = {0x01: "Dataspace", 0x02: "Link Info", 0x03: "Datatype", 0x04: "Fill Value (old)",
                    0x05: "Fill Value", 0x07: "External Data Files", 0x08: "Data Layout", 0x0B: "Filter Pipeline",
                    0x11: "Symbol Table", 0x15: "Attribute Info"}
_FIRST_ONLY = (0x01, 0x03, 0x04, 0x05, 0x08, 0x0B)


class _TreeWalk:
    def __init__(self, f: _File, out: TreeReport, on_pickle: Callable[[str, bytes], None] | None) -> None:
        self.f, self.out, self.on_pickle = f, out, on_pickle
        self.seen: set[int] = set()
        # symbol table entries' cached (B-tree, local heap) of the group they name, by its address
        self.cached: dict[int, set[tuple[int, int]]] = {}
        self.row_bytes = 0
        self.row_count = 0
        # what was judged already: pickles by digest, object rows by (heap, index, length,
        # swap), attribute messages by digest (their pickles and values)
        self.judged: set[bytes] = set()
        self.judged_bytes = 0
        self.judged_over = False
        self.row_keys: set[tuple[int, int, int, bool]] = set()
        self.attr_cache: dict[bytes, tuple[str, list[bytes], list[bytes]]] = {}
        # every path the walk reached, and the same-file sources of object VLArrays that are
        # virtual datasets (the dataset's path, the source's name): read after the walk
        self.paths: dict[str, int] = {}
        self.messages = 0  # header messages and dense attribute records read (MAX_TOTAL_MESSAGES)
        self.pending: list[tuple[str, str]] = []
        # every global heap object judged as a row of external storage (red team 14c-2): done per
        # (base size, byte swap), and the collection bytes read for it
        self.heap_rows_done: set[tuple[int, bool]] = set()
        self.heap_scan_bytes = 0
        self.fheaps: dict[int, _FractalHeap] = {}  # dense attribute heaps read, by address

    def note(self, where: str, why: str) -> None:
        if len(self.out.unreadable) < 100:
            self.out.unreadable.append((where, why))

    def pickle(self, where: str, data: bytes) -> None:
        self.out.pickled_bytes += len(data)
        self.out.pickled_values += 1
        if self.judged_over:
            return  # reported once; nothing more is hashed or judged (red team 15c-1)
        digest = hashlib.sha256(data).digest()
        if digest in self.judged:
            return  # the same bytes judged already (at another row or attribute): the same verdict
        if (len(self.judged) >= MAX_JUDGED_PICKLES
                or self.judged_bytes + len(data) > MAX_JUDGED_FLOOR + 2 * self.f.size):
            self.judged_over = True
            self.note(where, f"more than {MAX_JUDGED_PICKLES} distinct pickles or {MAX_JUDGED_FLOOR} bytes plus "
                      "twice the file's size of them: the rest not judged")
            return
        self.judged.add(digest)
        self.judged_bytes += len(data)
        if self.on_pickle is None:
            self.out.pickles.append((where, data))
        else:
            self.on_pickle(where, data)

    def run(self, root: int) -> None:
        if self.f.root_cache is not None:  # the superblock's root symbol table entry
            self.cached.setdefault(root, set()).add(self.f.root_cache)
        queue: deque[tuple[int, str]] = deque([(root, "/")])
        self.walk(queue)
        done: set[tuple[str, int]] = set()
        for _ in range(8):  # a virtual source may itself be virtual: followed 8 deep
            pending, self.pending = self.pending, []
            for where, name in pending:
                try:
                    self.virtual_source(where, name, done)
                except FormatError as exc:
                    self.note(where, f"virtual dataset source {name[:200]!r} of this file: {exc}")
        for where, name in self.pending:
            self.note(where, f"virtual dataset source {name[:200]!r}: virtual sources nested more than 8 deep")

    def walk(self, queue: deque[tuple[int, str]]) -> None:
        while queue:
            addr, path = queue.popleft()
            if len(self.paths) < 2 * MAX_OBJECTS:
                self.paths.setdefault(path, addr)
            if addr in self.seen:
                continue  # a hard link to an object already visited (cycles included)
            self.seen.add(addr)
            self.out.objects += 1
            if self.out.objects > MAX_OBJECTS:
                self.note(path, f"more than {MAX_OBJECTS} objects: the rest not read")
                return
            limit = min(MAX_TOTAL_MESSAGES, MESSAGES_FLOOR + self.f.size // 4)
            if self.messages > limit:
                self.note(path, f"more than {limit} header messages and dense attributes in the file "
                          f"({MESSAGES_FLOOR} plus a quarter of its size): the rest not read")
                return
            try:
                children = self.visit(addr, path)
            except FormatError as exc:
                self.note(path, str(exc))
                continue
            if path.count("/") < MAX_PATH_DEPTH:
                queue.extend(children)
            elif children:
                self.note(path, f"groups nested more than {MAX_PATH_DEPTH} deep: not read")

    def visit(self, addr: int, path: str) -> list[tuple[int, str]]:
        f = self.f
        messages = _header_messages(f, addr)
        self.messages += len(messages)
        children: list[tuple[int, str]] = []
        attrs: list[tuple[str, bytes]] = []  # (name, attribute message)
        dtype = dspace = layout = pipeline = None
        external = False  # an External Data Files message: the raw data is read from files it names
        shared: list[int] = []  # dataset messages stored elsewhere (shared/committed): not followed
        counts: dict[int, int] = {}
        fills: list[tuple[int, bytes]] = []  # Fill Value messages (old, new)
        for mtype, body, mflags in messages:
            if mtype in _SINGLE_MESSAGES:
                counts[mtype] = counts.get(mtype, 0) + 1
                if counts[mtype] == 2:
                    self.out.duplicate_messages.append((path, (
                        f"the object header holds more than one {_SINGLE_MESSAGES[mtype]} message: the HDF5 "
                        "library reads the first (H5O_msg_read), another reader may read another" + (
                            " (the first is read here)" if mtype in _FIRST_ONLY else
                            " (every one is read here)"))))
                if mtype in _FIRST_ONLY and counts[mtype] > 1:
                    continue
            if mflags & 0x02 and mtype == 0x03:
                try:  # a committed (named) datatype: its header's Datatype message (red team 18e-5)
                    dtype = _committed_datatype(f, body)
                except FormatError as exc:
                    shared.append(mtype)
                    self.note(path, f"a shared (committed) datatype message: {exc}")
                continue
            if mflags & 0x02 and mtype in (0x01, 0x08, 0x0B, 0x0C):
                shared.append(mtype)
                if mtype == 0x0C:
                    self.note(path, "a shared attribute message (the shared object header message heap): not followed")
                continue
            try:
                if mtype == 0x0C:
                    attrs.append(("", body))
                elif mtype == 0x15:
                    heap, index = _attribute_info(f, body)
                    if heap != UNDEFINED:
                        fh = self.fheaps.get(heap) or _FractalHeap(f, heap)
                        if len(self.fheaps) < 1000:
                            self.fheaps[heap] = fh
                        records = _name_index_records(f, index)
                        self.messages += len(records)
                        for heap_id, aflags in records:
                            if aflags & 0x02:
                                raise FormatError("a dense attribute is a shared message")
                            attrs.append(("dense ", fh.object(heap_id)))
                elif mtype == 0x11:
                    children += self.symbol_table(addr, body, path)
                elif mtype == 0x06:
                    child = self.link(body, path)
                    if child is not None:
                        children.append(child)
                elif mtype == 0x02:
                    children += self.dense_links(body, path)
                elif mtype == 0x07:
                    external = True
                    self.external_files(body, path)
                elif mtype == 0x03:
                    dtype = body
                elif mtype == 0x01:
                    dspace = body
                elif mtype == 0x08:
                    layout = body
                elif mtype == 0x0B:
                    pipeline = body
                elif mtype in (0x04, 0x05):
                    fills.append((mtype, body))
            except FormatError as exc:
                self.note(path, str(exc))
        object_kind = False
        for kind, body in attrs:
            digest = hashlib.sha256(body).digest()
            try:
                cached = self.attr_cache.get(digest)
                name, readings, values = cached if cached is not None else self.attribute(body)
            except FormatError as exc:
                self.note(path, f"{kind}attribute: {exc}")
                continue
            if cached is None:
                if len(self.attr_cache) < MAX_JUDGED_PICKLES:
                    self.attr_cache[digest] = (name, readings, values)
                for reading in readings:
                    self.pickle(f"{path} attribute {name!r} (PyTables unpickles it)", reading)
            else:  # the same attribute message (shared dense storage, copies): judged once
                self.out.pickled_values += len(readings)
                self.out.pickled_bytes += sum(len(r) for r in readings)
            # VLArray._g_open compares these attributes as AttributeSet.__getattr__ returns them:
            # unpickled when they end in '.', arrays when they are not one string. Only a plain
            # string is known; anything else may be the value that makes the rows object rows
            plain = _plain_string(values, readings)
            if name == "PSEUDOATOM" and plain not in (b"vlstring", b"vlunicode"):
                object_kind = True  # "object", or a value that may unpickle to it
            if name == "FLAVOR" and (plain is None or plain == b"Object"):
                object_kind = True  # PyTables 1.x object VLArrays (or a value that may unpickle to "Object")
        if object_kind and any(m in (0x01, 0x08, 0x0B) for m in shared):
            # the rows' dataspace, layout or filters are a shared message mlbom does not follow:
            # reading the rows without them could miss the pickles PyTables unpickles
            self.note(path, "an object VLArray whose dataspace, layout or filter pipeline is a shared message: "
                      "its rows not read")
        elif layout is not None:
            try:
                self.dataset(path, dtype, dspace, layout, pipeline, object_kind, fills, external)
            except FormatError as exc:
                self.note(path, str(exc))
        return children

    def attribute(self, body: bytes) -> tuple[str, list[bytes], list[bytes]]:
        """(name, the readings PyTables unpickles, the values of a one-element string) of an
        attribute. PyTables unpickles a string of rank 0 (a scalar dataspace, or a simple one of
        rank 0); every element of a string or opaque attribute of any shape is judged the same
        way (an over-approximation: no reading of the dataspace can hide one). The values are
        empty unless the attribute is one string PyTables reads as it is."""
        f = self.f
        b = _Buf(body, "attribute message")
        version = b.u(1)
        if version not in (1, 2, 3):
            raise FormatError(f"unknown HDF5 attribute message version {version}")
        flags = b.u(1)
        if version == 1:
            flags = 0  # H5O__attr_decode: the byte is unused (reserved) before version 2
        name_size, dt_size, ds_size = b.u(2), b.u(2), b.u(2)
        if version == 3:
            b.take(1)
        pad = _pad8 if version == 1 else (lambda n: n)
        name = b.take(pad(name_size))[:name_size].rstrip(b"\x00").decode("utf-8", "replace")
        dt_raw = b.take(pad(dt_size))[:dt_size]
        ds_raw = b.take(pad(ds_size))[:ds_size]
        if flags & 2:
            raise FormatError(f"attribute {name!r} has a shared dataspace (the shared object header message heap): "
                              "not followed")
        if flags & 1:  # a committed datatype
            dt_raw = _committed_datatype(f, dt_raw)
        dt, _ = _dtype(dt_raw)
        kind, dims = _dataspace(ds_raw, f.sl)
        if kind == "null":
            return name, [], []  # no value stored
        count = _product(dims)
        data = body[b.pos:]
        vlen_string = dt.cls == 9 and (dt.bits & 0x0F) == 1
        if dt.cls in (3, 5):  # fixed-length string, opaque
            if dt.size == 0 or dt.size * count > MAX_ATTRIBUTE_BYTES or len(data) < dt.size * count:
                raise FormatError(f"attribute {name!r}: {count} element(s) of {dt.size} bytes are truncated")
            raws = [data[i * dt.size:(i + 1) * dt.size] for i in range(count)]
        elif vlen_string:
            if count > MAX_ATTRIBUTE_ELEMENTS:
                raise FormatError(f"attribute {name!r}: {count} variable-length strings: not read")
            rec = _Buf(data, "variable-length string")
            raws = []
            char = _vlen_char_size(dt)
            for _ in range(count):
                length = rec.u(4) * char
                heap = f.addr(rec.take(f.so))
                index = rec.u(4)
                raws += self.heap_object(heap, index, length)
        else:
            return name, [], []
        one_string = not dims and (dt.cls == 3 or vlen_string)
        return name, _pickle_readings(raws, name), raws if one_string else []

    def heap_object(self, heap: int, index: int, length: int | None) -> list[bytes]:
        """The copies of a global heap object (``length`` bytes of each; None: whole)."""
        f = self.f
        if heap == UNDEFINED:
            if length is None:
                raise FormatError("undefined global heap address")
            return [b""]
        if heap not in f.heaps:
            if sum(len(c) for objs in f.heaps.values() for cs in objs.values() for c in cs) > MAX_HEAP_BYTES:
                raise FormatError(f"global heap collections over {MAX_HEAP_BYTES} bytes: not read")
            f.heaps[heap] = _collection(f, heap)
        copies = f.heaps[heap].get(index)
        if not copies:
            raise FormatError(f"global heap object {index} not found")
        if length is not None and any(length > len(c) for c in copies):
            raise FormatError("variable-length data longer than its global heap object")
        return _take_copies(f, copies, length)

    def symbol_table(self, addr: int, body: bytes, path: str) -> list[tuple[int, str]]:
        """The members of a group stored by symbol table. The library reads the B-tree and
        local heap the Symbol Table message names; when they are invalid it may use the ones
        cached in the group's symbol table entry instead (``H5G_mkroot`` → ``H5G__stab_valid``
        for the root, in a writable open: the superblock's root entry). Where the cache names
        another B-tree or heap, both are walked and the difference is reported."""
        f = self.f
        b = _Buf(body, "symbol table message")
        btree, heap = f.addr(b.take(f.so)), f.addr(b.take(f.so))
        out: list[tuple[int, str]] = []
        try:
            out += self.group_btree(btree, heap, path)
        except FormatError as exc:
            self.note(path, str(exc))
        for cbtree, cheap in sorted(self.cached.pop(addr, set()) - {(btree, heap)}):
            self.out.differentials.append((path, (
                f"the group's symbol table message names B-tree {btree:#x} and local heap {heap:#x}, its cached "
                f"symbol table entry B-tree {cbtree:#x} and heap {cheap:#x}: the HDF5 library reads the cached "
                "ones when it finds the message's invalid (a writable open of the root), other readers the "
                "message's (both walked)")))
            try:
                out += self.group_btree(cbtree, cheap, path)
            except FormatError as exc:
                self.note(path, f"cached symbol table: {exc}")
        return out

    def group_btree(self, btree: int, heap: int, path: str) -> list[tuple[int, str]]:
        """The entries of a group B-tree (v1, node type 0) as the library loads it (``H5B``
        cache: signature ``TREE``, node type 0, no more entries than its 2K; a level-0 node's
        children are symbol table nodes ``SNOD``, other levels' children B-tree nodes)."""
        f = self.f
        if btree == UNDEFINED:
            raise FormatError("group B-tree address is undefined")
        _check_local_heap(f, heap)  # H5G__stab_valid: the heap must load too
        out: list[tuple[int, str]] = []
        stack, seen = [(btree, True)], set[int]()
        while stack:
            node, is_tree = stack.pop()
            if node == UNDEFINED:
                raise FormatError("group B-tree child address is undefined")
            if node in seen or len(seen) > MAX_BTREE_NODES:
                raise FormatError("group B-tree nodes loop or are too many")
            seen.add(node)
            if not is_tree:
                out += self.symbol_node(node, heap, path)
                continue
            head = _Buf(f.read(node, 8 + 2 * f.so, "v1 B-tree node"), "v1 B-tree node")
            if head.take(4) != b"TREE":
                raise FormatError("group B-tree: wrong B-tree signature (not TREE)")
            if head.u(1) != 0:
                raise FormatError("group B-tree: incorrect B-tree node type (not a group node)")
            level = head.u(1)
            entries = head.u(2)
            if entries > (2 * f.btree_k if f.btree_k is not None else 65536):
                raise FormatError(f"group B-tree node of {entries} entries, more than its maximum")
            nb = _Buf(f.read(node + 8 + 2 * f.so, entries * (f.sl + f.so) + f.sl, "v1 B-tree node"), "v1 B-tree node")
            for _ in range(entries):
                nb.take(f.sl)
                stack.append((f.addr(nb.take(f.so)), level > 0))
        return out

    def symbol_node(self, node: int, heap: int, path: str) -> list[tuple[int, str]]:
        f = self.f
        b = _Buf(f.read(node, 8, "symbol table node"), "symbol table node")
        if b.take(4) != b"SNOD":
            raise FormatError("group B-tree leaf: wrong symbol table node signature (not SNOD)")
        if b.u(1) != 1:
            raise FormatError("unknown symbol table node version")
        b.take(1)
        n = b.u(2)
        if f.leaf_k is not None and n > 2 * f.leaf_k:
            raise FormatError(f"symbol table node of {n} entries, more than its maximum")
        entry = 2 * f.so + 4 + 4 + 16
        eb = _Buf(f.read(node + 8, n * entry, "symbol table node"), "symbol table node")
        out = []
        for _ in range(n):
            name_off = eb.u(f.so)
            obj = f.addr(eb.take(f.so))
            cache_type = eb.u(4)
            eb.take(4)
            scratch = _Buf(eb.take(16), "symbol table entry")  # a soft link's value: a path, nothing new
            name = _local_heap_string(f, heap, name_off, "group entry name")
            if obj != UNDEFINED:
                out.append((obj, path.rstrip("/") + "/" + name))
                if cache_type == 1:  # the child group's B-tree and heap, cached
                    self.cached.setdefault(obj, set()).add((f.addr(scratch.take(f.so)), f.addr(scratch.take(f.so))))
        return out

    def link(self, body: bytes, path: str) -> tuple[int, str] | None:
        """A Link message: a hard link's target, an external link reported (a soft link is a
        path in this file: nothing new)."""
        f = self.f
        b = _Buf(body, "link message")
        if b.u(1) != 1:
            raise FormatError("unknown link message version")
        flags = b.u(1)
        ltype = b.u(1) if flags & 0x08 else 0
        if flags & 0x04:
            b.take(8)
        if flags & 0x10:
            b.take(1)
        nlen = b.u(1 << (flags & 3))
        name = b.take(nlen).decode("utf-8", "replace")
        where = path.rstrip("/") + "/" + name
        if ltype == 0:
            target = f.addr(b.take(f.so))
            return None if target == UNDEFINED else (target, where)
        if ltype == 64:
            ib = _Buf(b.take(b.u(2)), "external link")
            ib.u(1)  # version and flags
            filename = _cstr(ib, "external link file name")
            objpath = _cstr(ib, "external link object path")
            self.out.external.append((where, "external-link", f"{filename}:{objpath}"))
        return None

    def dense_links(self, body: bytes, path: str) -> list[tuple[int, str]]:
        f = self.f
        b = _Buf(body, "link info message")
        b.u(1)
        flags = b.u(1)
        if flags & 1:
            b.take(8)
        heap, index = f.addr(b.take(f.so)), f.addr(b.take(f.so))
        if heap == UNDEFINED:
            return []
        if index == UNDEFINED:
            raise FormatError("dense link storage without a name index")
        fh = _FractalHeap(f, heap)
        out = []
        for rec in _btree2_records(f, index, 5, "link name index"):
            child = self.link(fh.object(rec[4:]), path)
            if child is not None:
                out.append(child)
        return out

    def external_files(self, body: bytes, path: str) -> None:
        f = self.f
        b = _Buf(body, "external data files message")
        if b.u(1) != 1:
            raise FormatError("unknown external data files message version")
        b.take(3)
        b.u(2)  # allocated slots
        used = b.u(2)
        heap = f.addr(b.take(f.so))
        for _ in range(min(used, 1000)):
            name_off = b.u(f.sl)
            b.take(2 * f.sl)  # offset in the file, size
            name = _local_heap_string(f, heap, name_off, "external data file name")
            self.out.external.append((path, "external-file", name))
        if used > 1000:
            raise FormatError(f"{used} external data files: the rest not read")

    def dataset(self, path: str, dtype: bytes | None, dspace: bytes | None, layout: bytes, pipeline: bytes | None,
                object_kind: bool, fills: Sequence[tuple[int, bytes]] = (), external: bool = False) -> None:
        f = self.f
        b = _Buf(layout, "layout message")
        version = b.u(1)
        if version in (1, 2):
            if not object_kind:
                return
            raise FormatError(f"layout message version {version} of an object VLArray: not read")
        if version not in (3, 4, 5):
            raise FormatError(f"unknown layout message version {version}")
        cls = b.u(1)
        if cls == 3:
            if version == 3:
                raise FormatError("virtual layout in a version 3 layout message")
            self.virtual(path, f.addr(b.take(f.so)), b.u(4), object_kind)
        if not object_kind:
            return  # raw data is read only where it holds pickles
        if dtype is None or dspace is None:
            raise FormatError("object VLArray without its datatype or dataspace")
        dt, _ = _dtype(dtype)
        if dt.cls != 9 or dt.base is None or (dt.bits & 0x0F) != 0:
            return  # PyTables' ObjectAtom is a variable-length sequence: nothing else unpickles
        kind, dims = _dataspace(dspace, f.sl)
        total = 1
        for d in dims:
            total *= d
        if kind == "null" or total == 0:
            return
        if total > MAX_ROWS:
            raise FormatError(f"object VLArray of {total} rows: not read")
        elem = 4 + f.so + 4
        if dt.size != elem:
            raise FormatError(f"variable-length element of {dt.size} bytes, not {elem}")
        swap = _native_base(dt.base)
        for mtype, body in fills:
            # a row never written reads as the fill value (H5D__fill_init): judged as a row whether
            # or not every row is allocated (red team 13a-4)
            value = _fill_value(body, mtype)
            if not value:
                continue  # none defined, or of size 0: the library's default (zeros, an empty row)
            if len(value) != elem:
                raise FormatError(f"fill value of {len(value)} bytes for {elem}-byte variable-length elements")
            self.rows(path, value, range(1), dt.base.size, swap, "fill value")
        if external:
            # the rows' 16-byte elements are read from the files the External Data Files message
            # names (red team 14c-2): mlbom cannot know what a name resolves to in the loader's
            # working directory — it may be this very file — but every reference an element holds
            # points into this file's global heap, so every global heap object of the file is
            # judged as a row; the rows themselves are not read: error at least
            self.note(path, "an object VLArray whose rows are read from external storage (an External Data Files "
                      "message): its rows not read (every global heap object of this file judged as a row)")
            self.heap_rows(path, dt.base.size, swap)
        if cls == 3:
            return  # a virtual dataset's rows are its sources' (read after the walk)
        filters = _filters(pipeline) if pipeline is not None else []
        if cls == 0:
            n = b.u(2)
            self.rows(path, b.take(n), range(min(total, n // elem)), dt.base.size, swap)
        elif cls == 1:
            addr, n = f.addr(b.take(f.so)), b.u(f.sl)
            if addr == UNDEFINED:
                return
            self.budget(n)
            self.rows(path, f.read(addr, min(n, total * elem), "raw data"), range(total), dt.base.size, swap)
        elif cls == 2:
            if version == 5:
                raise FormatError("chunked layout message version 5 (HDF5 2.0) of an object VLArray: not read")
            for data, indices in self.chunks(b, version, dims, elem, filters):
                self.rows(path, data, indices, dt.base.size, swap)
        else:
            raise FormatError(f"unknown layout class {cls}")

    def heap_rows(self, path: str, base_size: int, swap: bool) -> None:
        """Judge every object of every global heap collection of the file as an object row (whole:
        a row reads a prefix of its object). A collection is found where the library would read
        one — any address that holds ``GCOL`` — so every signature is tried; the collections read
        are bounded in bytes (twice the file's size plus a floor)."""
        if (base_size, swap) in self.heap_rows_done:
            return
        self.heap_rows_done.add((base_size, swap))
        f = self.f
        limit = 2 * f.size + (1 << 20)
        step = 1 << 20
        pos = 0
        while pos < f.size:
            window = f.read(pos, min(step + 3, f.size - pos), "global heap search")
            i = window.find(b"GCOL")
            while 0 <= i < step:
                addr = pos + i
                i = window.find(b"GCOL", i + 1)
                if addr + 8 + f.sl > f.size:
                    continue
                csize = int.from_bytes(f.read(addr + 8, f.sl, "global heap"), "little")
                self.heap_scan_bytes += min(csize, f.size - addr)
                if self.heap_scan_bytes > limit:
                    raise FormatError("global heap collections of more than twice the file's size: the rest not "
                                      "judged as rows")
                try:
                    objects = f.heaps[addr] if addr in f.heaps else _collection(f, addr)
                except FormatError:
                    continue  # not a collection the library reads either
                for index in sorted(objects):
                    for copy in objects[index]:
                        self.rows_seen(path)
                        if swap:
                            copy = _byteswap(copy[:len(copy) - len(copy) % base_size], base_size)
                        self.pickle(f"{path}: global heap object {index} at {addr} (a possible row in external "
                                    "storage; PyTables' ObjectAtom unpickles rows)", copy)
            pos += step

    def budget(self, n: int) -> None:
        self.row_bytes += n
        if self.row_bytes > MAX_ROW_BYTES:
            raise FormatError(f"object VLArray data over {MAX_ROW_BYTES} bytes: the rest not read")

    def rows(self, path: str, data: bytes, indices: Sequence[int], base_size: int, swap: bool = False,
             what: str = "row") -> None:
        f = self.f
        elem = 4 + f.so + 4
        view = memoryview(data)
        for local in range(len(indices)):
            start = local * elem
            if start + elem > len(data):
                raise FormatError("HDF5 variable-length element is truncated")
            count = int.from_bytes(view[start:start + 4], "little")
            if count == 0:
                continue  # ObjectAtom.fromarray: an empty row is None, never unpickled
            heap = f.addr(bytes(view[start + 4:start + 4 + f.so]))
            index = int.from_bytes(view[start + 4 + f.so:start + elem], "little")
            length = count * base_size
            key = (heap, index, length, swap)
            if key in self.row_keys:
                # this heap object, read as long, was judged already (at another row): counted only
                self.rows_seen(path)
                self.out.pickled_values += 1
                self.out.pickled_bytes += length
                continue
            row = indices[local]
            if row < 0:
                continue  # a chunk element past the dataset's extent: no reader returns it
            self.rows_seen(path)
            self.row_keys.add(key)
            self.budget(length)
            for i, copy in enumerate(self.heap_object(heap, index, length)):
                suffix = f" (copy {i + 1} of its global heap object)" if i else ""
                if swap:
                    copy = _byteswap(copy, base_size)
                label = f"row {row}" if what == "row" else what
                self.pickle(f"{path} {label} (PyTables' ObjectAtom unpickles it){suffix}", copy)

    def rows_seen(self, path: str) -> None:
        self.row_count += 1
        if self.row_count > MAX_ROWS:
            raise FormatError(f"more than {MAX_ROWS} object rows in the file: the rest not read")

    def chunks(self, b: _Buf, version: int, dims: list[int], elem: int,
               filters: list[tuple[int, list[int]]]) -> Iterator[tuple[bytes, Sequence[int]]]:
        """(decoded chunk, the row index of each of its elements; -1 outside the dataset)."""
        f = self.f
        if version == 3:
            ndims = b.u(1)
            btree = f.addr(b.take(f.so))
            cdims = [b.u(4) for _ in range(ndims)]
            if ndims != len(dims) + 1:
                raise FormatError("chunk dimensionality does not match the dataspace")
            chunk = cdims[:-1]
            for size, mask, offsets, addr in self.chunk_btree(btree, ndims):
                yield self.decode(addr, size, mask, chunk, elem, filters), _indices(offsets[:-1], chunk, dims)
            return
        cflags = b.u(1)
        ndims = b.u(1)
        enc = b.u(1)
        cdims = [b.u(enc) for _ in range(ndims)]
        index_type = b.u(1)
        if ndims != len(dims) + 1:
            raise FormatError("chunk dimensionality does not match the dataspace")
        chunk = cdims[:-1]
        if index_type == 1:  # single chunk
            nbytes, mask = _product(chunk) * elem, 0
            if cflags & 0x02:
                nbytes, mask = b.u(f.sl), b.u(4)
            addr = f.addr(b.take(f.so))
            if addr != UNDEFINED:
                yield self.decode(addr, nbytes, mask, chunk, elem, filters), _indices([0] * len(dims), chunk, dims)
            return
        raise FormatError(f"chunk index type {index_type} (fixed/extensible array, v2 B-tree, implicit) of an "
                          "object VLArray: not read")

    def chunk_btree(self, root: int, ndims: int) -> Iterator[tuple[int, int, list[int], int]]:
        f = self.f
        key = 4 + 4 + 8 * ndims
        stack, seen = [root], set[int]()
        while stack:
            node = stack.pop()
            if node == UNDEFINED:
                continue
            if node in seen or len(seen) > MAX_BTREE_NODES:
                raise FormatError("chunk B-tree nodes loop or are too many")
            seen.add(node)
            head = _Buf(f.read(node, 8 + 2 * f.so, "v1 B-tree node"), "v1 B-tree node")
            if head.take(4) != b"TREE" or head.u(1) != 1:
                raise FormatError("chunk B-tree: not a version 1 B-tree node of chunks")
            level = head.u(1)
            entries = head.u(2)
            if entries > 65536:
                raise FormatError("chunk B-tree node of too many entries")
            nb = _Buf(f.read(node + 8 + 2 * f.so, entries * (key + f.so) + key, "v1 B-tree node"), "v1 B-tree node")
            for _ in range(entries):
                size, mask = nb.u(4), nb.u(4)
                offsets = [nb.u(8) for _ in range(ndims)]
                child = f.addr(nb.take(f.so))
                if level:
                    stack.append(child)
                elif child != UNDEFINED:
                    yield size, mask, offsets, child

    def decode(self, addr: int, size: int, mask: int, chunk: list[int], elem: int,
               filters: list[tuple[int, list[int]]]) -> bytes:
        want = _product(chunk) * elem
        self.budget(size)
        data = self.f.read(addr, size, "chunk")
        for i in reversed(range(len(filters))):
            if mask & (1 << i):
                continue
            fid, params = filters[i]
            if fid == 1:  # deflate
                d = zlib.decompressobj()
                try:
                    out = d.decompress(data, want + 1)
                except zlib.error as exc:
                    raise FormatError(f"chunk does not inflate: {exc}") from exc
                if len(out) > want:
                    raise FormatError("chunk inflates past its size")
                data = out
            elif fid == 2:  # shuffle
                n = params[0] if params else elem
                data = _unshuffle(data, n)
            elif fid == 3:  # fletcher32: a checksum after the data
                data = data[:-4]
            else:
                raise FormatError(f"chunk filter {fid} (not deflate, shuffle or fletcher32): its rows not read")
        self.budget(len(data))
        return data

    def virtual_source(self, where: str, name: str, done: set[tuple[str, int]]) -> None:
        """Read the rows of dataset ``name`` of this file as the object rows of the virtual
        dataset at ``where`` (``H5Dopen2`` on the file: a path from the root), all of them: a
        superset of what any selection maps (red team 13a-5)."""
        key = "/" + "/".join(p for p in name.split("/") if p and p != ".")
        addr = self.paths.get(key)
        if addr is None:
            raise FormatError("not found among the objects the walk reached (hard links from the root): its "
                              "rows not read")
        if (where, addr) in done:
            return
        done.add((where, addr))
        dtype = dspace = layout = pipeline = None
        fills: list[tuple[int, bytes]] = []
        for mtype, body, mflags in _header_messages(self.f, addr):
            if mflags & 0x02 and mtype in (0x01, 0x03, 0x08, 0x0B):
                raise FormatError("a shared (committed) datatype, dataspace, layout or filter pipeline: not followed")
            if mtype == 0x03 and dtype is None:
                dtype = body
            elif mtype == 0x01 and dspace is None:
                dspace = body
            elif mtype == 0x08 and layout is None:
                layout = body
            elif mtype == 0x0B and pipeline is None:
                pipeline = body
            elif mtype in (0x04, 0x05) and all(t != mtype for t, _ in fills):
                fills.append((mtype, body))
        if layout is None:
            raise FormatError("not a dataset (no layout message)")
        self.dataset(f"{where} (virtual source {key[:200]})", dtype, dspace, layout, pipeline, True, fills)

    def virtual(self, path: str, heap: int, index: int, object_kind: bool = False) -> None:
        for copy in self.heap_object(heap, index, None):
            b = _Buf(copy, "virtual dataset mapping")
            version = b.u(1)
            if version not in (0, 1):
                raise FormatError(f"unknown virtual dataset mapping version {version}")
            n = b.u(self.f.sl)
            if n > 100_000:
                raise FormatError("virtual dataset of too many mappings")
            for _ in range(n):
                # version 1 (HDF5 2.0): a flags byte per entry; 0x04: the source is this file
                # (no name stored); names shared with another entry are not read
                flags = b.u(1) if version == 1 else 0
                if flags & ~0x04:
                    raise FormatError(f"virtual dataset mapping entry flags {flags:#x}: not read")
                filename = "." if flags & 0x04 else _cstr(b, "virtual dataset source file name")
                dsname = _cstr(b, "virtual dataset source dataset name")
                self.out.external.append((path, "virtual-source", filename))
                if object_kind and filename == ".":
                    if len(self.pending) < 1000:
                        self.pending.append((path, dsname))
                    else:
                        self.note(path, "more than 1000 virtual dataset sources of object VLArrays: the rest not read")
                elif object_kind:
                    self.note(path, f"an object VLArray whose rows are mapped from another file {filename[:200]!r}: "
                              "those rows not judged")
                _skip_selection(b)
                _skip_selection(b)


def _fill_value(body: bytes, mtype: int) -> bytes | None:
    """The stored fill value of a Fill Value message (0x05, versions 1–3; the old 0x04), or None
    when none is defined."""
    b = _Buf(body, "fill value message")
    if mtype == 0x04:
        return b.take(b.u(4))
    version = b.u(1)
    if version in (1, 2):
        b.take(2)  # space allocation time, fill value write time
        defined = b.u(1)
        if version == 2 and not defined:
            return None
        size = b.u(4)
        return b.take(size) if size else None
    if version == 3:
        flags = b.u(1)
        if flags & ~0x3F:
            raise FormatError(f"fill value message flags {flags:#x}")
        if not flags & 0x20:
            return None
        return b.take(b.u(4))
    raise FormatError(f"unknown fill value message version {version}")


def _native_base(base: _Dtype) -> bool:
    """How the rows of an object VLArray reach ``pickle.loads``: PyTables reads them as the
    native type of their base type (``get_native_type``: the HDF5 library converts every
    element) and unpickles ``tobytes()``. An integer of 1, 2, 4 or 8 bytes using all its bits
    converts by byte order only: True when the stored order is big-endian (each element is
    swapped to the little-endian native order), False when the bytes pass as stored. Any other
    base type (floats, bit offsets or precision, enums, nested types) converts in ways not
    modelled: raises, so the rows are reported unread, never judged as the raw bytes."""
    if base.cls == 0 and base.size in (1, 2, 4, 8) and len(base.props) >= 4:
        offset = int.from_bytes(base.props[0:2], "little")
        precision = int.from_bytes(base.props[2:4], "little")
        if offset == 0 and precision == 8 * base.size:
            return base.size > 1 and bool(base.bits & 0x01)
    raise FormatError(f"object VLArray of base type class {base.cls}, {base.size} byte(s) (not a whole-byte integer): "
                      "PyTables converts it to its native type before unpickling; the conversion is not modelled")


def _byteswap(data: bytes, n: int) -> bytes:
    """Each ``n``-byte element of ``data`` in the other byte order."""
    out = bytearray(len(data))
    for i in range(n):
        out[i::n] = data[n - 1 - i::n]
    return bytes(out)


def _product(xs: list[int]) -> int:
    n = 1
    for x in xs:
        n *= x
    return n


class _Indices(Sequence[int]):
    """The row-major index in the dataset of each element of a chunk at ``offsets`` (-1 where
    the chunk reaches past the dataset's extent), computed per element when asked: a chunk of
    mostly empty rows costs nothing per empty row."""

    def __init__(self, offsets: list[int], chunk: list[int], dims: list[int]) -> None:
        self.offsets, self.chunk, self.dims = offsets, chunk, dims
        self.n = _product(chunk)

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, local: int) -> int: ...
    @overload
    def __getitem__(self, local: slice) -> Sequence[int]: ...

    def __getitem__(self, local: int | slice) -> int | Sequence[int]:
        if isinstance(local, slice):
            return [self[i] for i in range(*local.indices(self.n))]
        if not 0 <= local < self.n:
            raise IndexError(local)
        coord, rest = [], local
        for c in reversed(self.chunk):
            coord.append(rest % c)
            rest //= c
        coord.reverse()
        flat = 0
        for o, c, d in zip(self.offsets, coord, self.dims, strict=True):
            if o + c >= d:
                return -1
            flat = flat * d + o + c
        return flat


def _indices(offsets: list[int], chunk: list[int], dims: list[int]) -> _Indices:
    if _product(chunk) > MAX_ROWS:
        raise FormatError("chunk of too many elements")
    return _Indices(offsets, chunk, dims)


def _unshuffle(data: bytes, n: int) -> bytes:
    if n <= 1 or len(data) < n:
        return data
    count = len(data) // n
    body = data[:count * n]
    out = bytearray(count * n)
    for byte in range(n):
        out[byte::n] = body[byte * count:(byte + 1) * count]
    return bytes(out) + data[count * n:]


def _filters(body: bytes) -> list[tuple[int, list[int]]]:
    """(filter id, client data) of a filter pipeline message, in pipeline order."""
    b = _Buf(body, "filter pipeline message")
    version = b.u(1)
    n = b.u(1)
    if version == 1:
        b.take(6)
    elif version != 2:
        raise FormatError(f"unknown filter pipeline message version {version}")
    out = []
    for _ in range(n):
        fid = b.u(2)
        name_len = b.u(2) if version == 1 or fid >= 256 else 0
        b.u(2)  # flags
        nvalues = b.u(2)
        b.take(_pad8(name_len) if version == 1 else name_len)
        params = [b.u(4) for _ in range(nvalues)]
        if version == 1 and nvalues % 2:
            b.take(4)
        out.append((fid, params))
    return out


def walk_tree(fh: IO[bytes], size: int, on_pickle: Callable[[str, bytes], None] | None = None) -> TreeReport:
    """Every object reachable from the root group, bounded: the attribute values and object
    VLArray rows PyTables unpickles (given to ``on_pickle`` as they are found, else kept on
    the report), the external files, virtual dataset sources and external links h5py and
    PyTables read, and every structure not followed (with the reason). Raises
    :class:`FormatError` only when there is no superblock to start from."""
    f = _File(fh, size)
    _version, root = _root_address(f)
    out = TreeReport()
    _TreeWalk(f, out, on_pickle).run(root)
    return out
