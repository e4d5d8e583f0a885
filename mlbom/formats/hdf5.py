"""A bounded pure-Python reader for the root-group attributes of an HDF5 file (legacy Keras
``.h5`` models keep their ``model_config`` and ``training_config`` JSON there).

Why not h5py: the HDF5 C library has a long record of memory-safety bugs on malformed files (a
segfault would end the whole scan batch), and we need only a few attributes. Spec:
https://docs.hdfgroup.org/hdf5/develop/_f_m_t3.html. Read: superblock versions 0–3 (at offset
0, 512, 1024, … as the library searches), the root object header (v1 and v2 ``OHDR``, with
continuation blocks ``OCHK``), attribute messages v1–v3, fixed-length strings and
variable-length strings in the global heap (``GCOL``, walked whole as the library walks it),
dense attribute storage (a fractal heap indexed by a v2 B-tree, in the layouts small attribute
sets have). Other dense layouts and shared datatypes are reported as not readable — never guessed. Every offset and length is
checked against the file size; blocks and messages are counted and bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

from mlbom.formats import keras
from mlbom.formats.weights import Facts, FormatError

SIGNATURE = b"\x89HDF\r\n\x1a\n"
MAX_SUPERBLOCK_SEARCH = 1 << 30
MAX_MESSAGES = 10_000
MAX_BLOCKS = 1_000
MAX_ATTRIBUTE_BYTES = 64 << 20
MAX_BLOCK_BYTES = 64 << 20
MAX_ELEMENTS = 4096  # strings in one attribute (Keras writes scalars; layer-name lists are chunked)

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
        self.base = 0
        self.so = 8  # size of offsets
        self.sl = 8  # size of lengths

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


def read_root_attributes(fh: IO[bytes], size: int) -> RootAttributes:
    """The attributes of the root group (``/``), bounded; raises :class:`FormatError`."""
    f = _File(fh, size)
    at = _find_superblock(f)
    head = _Buf(f.read(at, min(size - at, 256), "superblock"), "superblock")
    head.take(8)
    version = head.u(1)
    if version in (0, 1):
        head.take(4)  # free-space, root symbol table, reserved, shared header versions
        f.so, f.sl = head.u(1), head.u(1)
        _check_sizes(f)
        head.take(1 + 2 + 2 + 4)
        if version == 1:
            head.take(4)
        head.take(f.so)  # base address: the library uses where it found the superblock instead
        f.base = at
        head.take(f.so * 3)  # free space, end of file, driver info
        head.take(f.so)  # root symbol table entry: link name offset
        root = f.addr(head.take(f.so))
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
    out = RootAttributes(version)
    _read_object_header(f, root, out)
    return out


def _check_sizes(f: _File) -> None:
    if f.so not in (2, 4, 8) or f.sl not in (2, 4, 8):
        raise FormatError(f"HDF5 sizes of offsets/lengths {f.so}/{f.sl} are not 2, 4 or 8")


def _read_object_header(f: _File, addr: int, out: RootAttributes) -> None:
    pending: list[tuple[int, int, int, bool]] = []  # (address, length, header version, continuation?)
    seen: set[int] = set()
    messages = 0
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
                mtype, msize, _mflags = b.u(1), b.u(2), b.u(1)
                if creation_order:
                    b.take(2)
            else:
                if end - b.pos < 8:
                    break
                mtype, msize, _mflags = b.u(2), b.u(2), b.u(1)
                b.take(3)
            body = b.take(msize)
            messages += 1
            if messages > MAX_MESSAGES:
                raise FormatError(f"more than {MAX_MESSAGES} HDF5 header messages")
            if mtype == 0x10:  # continuation
                cb = _Buf(body, "continuation message")
                caddr = f.addr(cb.take(f.so))
                clen = cb.u(f.sl)
                if caddr != UNDEFINED:
                    pending.append((caddr, clen, hv, True))
            elif mtype == 0x0C:
                attr = _attribute(f, body)
                if attr.name in out.attributes:
                    out.duplicates.append(attr)
                else:
                    out.attributes[attr.name] = attr
            elif mtype == 0x15:  # attribute info: a fractal heap address means dense storage
                ib = _Buf(body, "attribute info message")
                ib.take(1)
                iflags = ib.u(1)
                if iflags & 1:
                    ib.take(2)
                heap_addr = f.addr(ib.take(f.so))
                name_index = f.addr(ib.take(f.so))
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
    b = _Buf(f.read(addr, 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + f.so + 2 + f.sl, "v2 B-tree header"), "v2 B-tree header")
    if b.take(4) != b"BTHD" or b.u(1) != 0:
        raise FormatError("attribute name index: not a version 0 v2 B-tree header")
    if b.u(1) != 8:
        raise FormatError("attribute name index: B-tree is not of type 8 (attribute names)")
    b.take(4)  # node size
    rec_size = b.u(2)
    depth = b.u(2)
    b.take(2)  # split/merge percentages
    root = f.addr(b.take(f.so))
    nrec = b.u(2)
    if rec_size != 17:
        raise FormatError(f"attribute name index records of {rec_size} bytes, not 17")
    if depth != 0:
        raise FormatError(f"attribute name index B-tree of depth {depth} (mlbom reads only a root leaf)")
    if nrec > MAX_DENSE_RECORDS:
        raise FormatError(f"attribute name index of {nrec} records exceeds the limit")
    if nrec == 0:
        return []
    leaf = _Buf(f.read(root, 4 + 1 + 1 + nrec * rec_size, "v2 B-tree leaf"), "v2 B-tree leaf")
    if leaf.take(4) != b"BTLF" or leaf.u(1) != 0 or leaf.u(1) != 8:
        raise FormatError("attribute name index: root is not a type 8 leaf")
    records = []
    for _ in range(nrec):
        heap_id = leaf.take(8)
        mflags = leaf.u(1)
        leaf.take(4 + 4)  # creation order, name hash
        records.append((heap_id, mflags))
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
        b.take(f.sl + f.so + f.sl + f.so + f.sl * 8)  # huge-object and free-space bookkeeping
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
        if len(heap_id) < 1 + self.off_size + self.len_size:
            raise FormatError("fractal heap ID too short")
        kind = (heap_id[0] >> 4) & 3
        if heap_id[0] >> 6 != 0:
            raise FormatError("unknown fractal heap ID version")
        if kind == 2:  # tiny: the object is in the ID itself
            n = (heap_id[0] & 0x0F) + 1
            if 1 + n > len(heap_id):
                raise FormatError("tiny fractal heap object longer than its ID")
            return heap_id[1:1 + n]
        if kind != 0:
            raise FormatError("huge fractal heap object (stored through its own B-tree): not read")
        off = int.from_bytes(heap_id[1:1 + self.off_size], "little")
        length = int.from_bytes(heap_id[1 + self.off_size:1 + self.off_size + self.len_size], "little")
        for start, size, addr in self.blocks:
            if start <= off and off + length <= start + size:
                return self.f.read(addr + off - start, length, "fractal heap object")
        raise FormatError(f"fractal heap object at heap offset {off} (+{length}) is in no direct block")


def _pad8(n: int) -> int:
    return (n + 7) & ~7


def _attribute(f: _File, body: bytes) -> Attribute:
    b = _Buf(body, "attribute message")
    version = b.u(1)
    if version not in (1, 2, 3):
        raise FormatError(f"unknown HDF5 attribute message version {version}")
    flags = b.u(1)
    name_size, dt_size, ds_size = b.u(2), b.u(2), b.u(2)
    if version == 3:
        b.take(1)  # name character set
    pad = _pad8 if version == 1 else (lambda n: n)
    name = b.take(pad(name_size))[:name_size].rstrip(b"\x00").decode("utf-8", "replace")
    dtype = b.take(pad(dt_size))[:dt_size]
    dspace = b.take(pad(ds_size))[:ds_size]
    attr = Attribute(name)
    if flags & 3:
        attr.unreadable = "shared datatype or dataspace"
        return attr
    try:
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
        for i in range(count):
            rec = _Buf(data[i * width:(i + 1) * width], "variable-length string")
            length = rec.u(4)
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
    return [c[:length] for c in copies]


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
        keras.judge_config(keras.parse_config_json(value, where), where, facts)
    except FormatError as exc:
        facts.findings.append(("keras.config-invalid", "high", f"{exc}; not judged"))
        facts.effects["keras.config-invalid"] = "error"


def parse_hdf5(fh: IO[bytes], size: int) -> Facts:
    """An HDF5 file as Keras reads it: the root attributes ``model_config`` and
    ``training_config`` (JSON) judged by :mod:`mlbom.formats.keras`. A file without them is
    plain HDF5 data (weights). A config that cannot be read is an ``error`` finding: the file
    is not judged, never byte-searched."""
    attrs = read_root_attributes(fh, size)
    facts = Facts()
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
            keras.judge_config(doc, name, facts)
        except FormatError as exc:
            facts.findings.append(("keras.config-invalid", "high", f"{exc}; the Keras config was not judged"))
            facts.effects["keras.config-invalid"] = "error"
    if found:
        facts.facts["keras.model-config"] = "true"
    return facts
