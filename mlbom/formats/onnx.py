"""ONNX ModelProto read field by field, bounded, without the protobuf library
(schema: https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).

The walk visits EVERY tensor a loader could resolve: graph initializers, sparse initializers,
``Constant`` and other node attributes (``t``, ``tensors``, ``sparse_tensor(s)``), subgraphs
held in attributes (``g``/``graphs`` of ``If``/``Loop``/``Scan``…), local functions
(``FunctionProto``) and training graphs. A tensor whose ``data_location`` is EXTERNAL names a
file through its ``external_data`` ``location`` entry; a location that is absolute, has a drive
or a NUL, climbs out with ``..``, or (when the caller gives the model folder) resolves through a
symlink to outside the folder makes the loader read an arbitrary file (CVE-2022-25882 class):
``unsafe``. Operators from domains outside ONNX's and onnxruntime's own need code registered by
the runtime: recorded, with a low finding.

Every EXTERNAL tensor's reference (location, offset, length, data type, dims) is also handed
back as an :class:`ExternalRef` when the caller asks (``refs=``): the folder scan judges the
referenced file as that model's raw tensor bytes (see :func:`location_refusal` for onnx's own
rules on locations, and :func:`mlbom.scanner.scan_walked`).

The file is read through a seekable handle: large fields (``raw_data``) are skipped, never
loaded; nesting depth, field count and the bytes decoded are bounded. Errors raise
:class:`~mlbom.formats.weights.FormatError`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO

from mlbom.formats import inflation
from mlbom.formats.paths import leave_reason
from mlbom.formats.weights import Facts, FormatError
from mlbom.model import Verdict

MAX_DEPTH = 32  # graph → node → attribute → graph … (real models: < 10)
MAX_FIELDS = 20_000_000
MAX_STRING = 1 << 16  # names, domains, locations (longer ones are truncated for display)
MAX_LOCATIONS = 100_000
MAX_JUDGED_LOCATIONS = 4096  # distinct external-data locations resolved one by one
MAX_LOCATION_CHARS = 4096  # PATH_MAX on Linux: a longer location is not resolved
# Domains whose operators ship with onnx or onnxruntime itself.
STANDARD_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training",
                              "com.microsoft", "com.microsoft.nchwc", "com.microsoft.experimental",
                              "com.ms.internal.nhwc", "com.microsoft.dml"})

_BUF = 1 << 16
MAX_DIMS = 64
_DIGITS = re.compile(r"[0-9]{1,30}")


@dataclass(frozen=True)
class ExternalRef:
    """One EXTERNAL tensor's claim on a file, as ``onnx.external_data_helper`` reads it:
    ``location`` relative to the model's folder, ``offset`` (default 0) and ``length``
    (default: to the end of the file). ``problem`` says why the loader refuses the numbers
    (not a plain non-negative decimal, or keys repeated with different values)."""

    tensor: str
    location: str
    offset: int | None
    length: int | None
    data_type: int = 0
    dims: tuple[int, ...] = ()
    problem: str | None = None


def _ref_number(values: list[str], key: str) -> tuple[int | None, str | None]:
    """onnx takes the last ``offset``/``length`` entry through ``int()``, which also accepts
    signs, blanks, ``_`` and non-ASCII digits that onnxruntime's parser does not: only a plain
    decimal is honoured."""
    if not values:
        return None, None
    if len(set(values)) > 1:
        return None, f"{len(values)} different {key} entries (onnx takes the last, other readers the first)"
    if not _DIGITS.fullmatch(values[-1]):
        return None, f"{key} {values[-1][:40]!r} is not a plain non-negative decimal number"
    return int(values[-1]), None


class _Src:
    """A seekable byte source with a small read buffer; offsets are absolute in the file."""

    def __init__(self, fh: IO[bytes], size: int) -> None:
        self.fh, self.size = fh, size
        self.base = fh.tell()
        self.buf = b""
        self.buf_at = 0
        self.nfields = 0
        # fields read at most (fewer for a decompressor's output: mlbom.formats.inflation)
        self.max_fields, self.max_why = inflation.steps_allowed(MAX_FIELDS)
        self.differentials: list[str] = []  # where mlbom's reading and protobuf's could differ

    def differ(self, msg: str) -> None:
        if len(self.differentials) < 20:
            self.differentials.append(msg)

    def byte(self, pos: int) -> int:
        if not self.buf_at <= pos < self.buf_at + len(self.buf):
            self.fh.seek(self.base + pos)
            self.buf = self.fh.read(_BUF)
            self.buf_at = pos
            if not self.buf:
                raise FormatError(f"truncated protobuf at offset {pos}")
        return self.buf[pos - self.buf_at]

    def read(self, pos: int, n: int) -> bytes:
        if self.buf_at <= pos and pos + n <= self.buf_at + len(self.buf):
            return self.buf[pos - self.buf_at:pos - self.buf_at + n]
        self.fh.seek(self.base + pos)
        data = self.fh.read(n)
        if len(data) != n:
            raise FormatError(f"truncated protobuf: {n} bytes needed at offset {pos}")
        return data

    def varint(self, pos: int, end: int) -> tuple[int, int]:
        shift = result = 0
        while True:
            if pos >= end:
                raise FormatError("truncated protobuf varint")
            b = self.byte(pos)
            pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result, pos
            shift += 7
            if shift > 63:
                raise FormatError("protobuf varint too long")

    def tag(self, pos: int, end: int) -> tuple[int, int]:
        """A field's tag as C++ protobuf (onnxruntime) reads it: ``ReadTag`` in parse_context.h
        takes at most 5 bytes into a uint32 (bits past 32 are dropped; a 5th byte with its
        continuation bit set fails the parse). upb (python ``onnx.load``) refuses a tag above
        UINT32_MAX. A tag longer than 5 bytes is refused; one whose value reaches 2^32, or that
        is not minimally encoded (no protobuf writer makes one), is read as C++ reads it and
        noted as a parse differential."""
        key, after = self.varint(pos, end)
        length = after - pos
        if length > 5:
            raise FormatError(f"protobuf tag of {length} bytes at offset {pos} (C++ protobuf reads at most 5)")
        if key >= 1 << 32:
            self.differ(f"tag {key:#x} at offset {pos} is above 2^32: C++ protobuf (onnxruntime) keeps its low "
                        f"32 bits (field {(key & 0xFFFFFFFF) >> 3}, read so here), onnx.load refuses it")
        elif length > 1 and self.byte(after - 1) == 0:
            self.differ(f"tag at offset {pos} is an over-long ({length}-byte) varint encoding of field {key >> 3}")
        return key & 0xFFFFFFFF, after

    def fields(self, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
        """(field number, wire type, value or offset, length) for one message in [start, end);
        tags read as C++ protobuf reads them (:meth:`tag`)."""
        pos = start
        while pos < end:
            self.nfields += 1
            if self.nfields > self.max_fields:
                raise FormatError(f"more than {self.max_fields} protobuf fields{self.max_why}")
            key, pos = self.tag(pos, end)
            num, wt = key >> 3, key & 7
            if num == 0:
                raise FormatError("protobuf field number 0")
            if wt == 0:
                v, pos = self.varint(pos, end)
                yield num, wt, v, 0
            elif wt == 2:
                n, pos = self.varint(pos, end)
                if pos + n > end:
                    raise FormatError(f"protobuf field {num} claims {n} bytes past the end of its message")
                yield num, wt, pos, n
                pos += n
            elif wt in (1, 5):  # fixed64 / fixed32: (number, wire type, offset, size)
                size = 8 if wt == 1 else 4
                if pos + size > end:
                    raise FormatError("truncated protobuf field")
                yield num, wt, pos, size
                pos += size
            else:
                raise FormatError(f"protobuf wire type {wt} (groups) is not used by ONNX")
            if pos > end:
                raise FormatError("truncated protobuf field")

    def text(self, pos: int, n: int) -> str:
        return self.read(pos, min(n, MAX_STRING)).decode("utf-8", "replace")


def _enum(src: _Src, v: int, what: str, where: int) -> int:
    """An int32/enum field's varint as C++ protobuf reads it: truncated to 32 bits (signed).
    A value that needs more is noted as a parse differential (readers' handling may differ)."""
    low = v & 0xFFFFFFFF
    value = low - (1 << 32) if low >= 1 << 31 else low
    if v >= 1 << 32 and value != v - (1 << 64):
        src.differ(f"{what} {v} in the message at offset {where} is wider than 32 bits: "
                   f"C++ protobuf (onnxruntime) reads it as {value}")
    return value


@dataclass
class _Walk:
    src: _Src
    folder: Path | None
    facts: Facts = field(default_factory=Facts)
    effects: dict[str, Verdict] = field(default_factory=dict)
    opsets: set[str] = field(default_factory=set)
    locations: list[tuple[str, str]] = field(default_factory=list)  # (tensor path, location)
    op_domains: dict[str, set[str]] = field(default_factory=dict)  # domain → op types
    local_functions: set[tuple[str, str]] = field(default_factory=set)
    refs: list[ExternalRef] = field(default_factory=list)  # EXTERNAL tensors' claims
    tensors: int = 0
    nodes: int = 0

    def find(self, fid: str, sev: str, msg: str, effect: Verdict | None) -> None:
        self.facts.findings.append((fid, sev, msg))
        if effect is not None:
            self.effects[fid] = effect

    # -- messages --------------------------------------------------------------------------

    def model(self, start: int, end: int) -> None:
        graphs = 0
        for num, wt, v, n in self.src.fields(start, end):
            if _MODEL_WIRE.get(num, wt) != wt:
                # protobuf skips a known field of another wire type as an unknown one: a TF GraphDef's
                # nodes (field 1, messages) beside an ONNX graph make one file two models, the one
                # each reader sees (red team 113pa-2); no ONNX writer does it
                raise FormatError(f"not an ONNX model: ModelProto field {num} has wire type {wt}, not "
                                  f"{_MODEL_WIRE[num]} (another schema's message in the same bytes)")
            if num == 1 and wt == 0:
                self.facts.facts["onnx.ir-version"] = str(v)
            elif num in (2, 3, 4) and wt == 2:  # producer_name, producer_version, domain: short names
                self.model_name(num, v, n)
            elif num == 8 and wt == 2:
                self.opset(v, v + n)
            elif num == 7 and wt == 2:
                graphs += 1
                self.graph(v, v + n, "graph", 1)
            elif num == 20 and wt == 2:  # TrainingInfoProto: initialization (1), algorithm (2)
                for tnum, twt, tv, tn in self.src.fields(v, v + n):
                    if tnum in (1, 2) and twt == 2:
                        self.graph(tv, tv + tn, f"training_info.{'initialization' if tnum == 1 else 'algorithm'}", 2)
            elif num == 25 and wt == 2:
                self.function(v, v + n, 1)

        if not graphs and "onnx.ir-version" in self.facts.facts:
            # a TensorFlow SavedModel starts as a ModelProto would (08 01 12: schema version 1, then
            # its MetaGraphDefs, which an ONNX reading takes for a producer name): every model onnx
            # saves has a graph (red team 112pa-1)
            raise FormatError("not an ONNX model (no graph): a protobuf of another schema (a TensorFlow "
                              "SavedModel starts the same way)")

    def model_name(self, num: int, pos: int, n: int) -> None:
        """ModelProto's producer_name (2), producer_version (3), domain (4): names an exporter writes
        (pytorch, tf2onnx, skl2onnx 1.17.0, ai.onnx.ml). Bytes that are no such name (control bytes,
        not UTF-8, longer than 256) are another schema's message read as a string (a SavedModel's
        MetaGraphDef in field 2: red team 112pa-1). A producer_version may be build information over
        several lines: CatBoost writes 346 bytes of "Git info:\n    Commit: ..." (red team 122fp-3;
        onnx.checker and onnxruntime read it as the free string it is), so field 3 takes UTF-8 text
        with tabs and line breaks up to 4 KiB."""
        limit = 4096 if num == 3 else 256
        raw = self.src.read(pos, min(n, limit + 1))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        spacing = "\t\n\r" if num == 3 else ""
        if n > limit or text is None or any((ch < " " and ch not in spacing) or ch == "\x7f" for ch in text):
            what = ("producer_name", "producer_version", "domain")[num - 2]
            raise FormatError(f"not an ONNX model: its {what} (field {num}) is {n} bytes that are no name "
                              "(a protobuf of another schema)")
        if num != 4:
            self.facts.facts["onnx.producer" if num == 2 else "onnx.producer-version"] = " ".join(text.split())[:100]

    def opset(self, start: int, end: int) -> None:
        domain, version = "", "?"
        for num, wt, v, n in self.src.fields(start, end):
            if num == 1 and wt == 2:
                domain = self.src.text(v, n)
            elif num == 2 and wt == 0:
                version = str(v)
        self.opsets.add(f"{domain or 'ai.onnx'}:{version}")

    def graph(self, start: int, end: int, where: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise FormatError(f"subgraphs nested deeper than {MAX_DEPTH}")
        name = ""
        for num, wt, v, n in self.src.fields(start, end):
            if wt != 2:
                continue
            if num == 2:
                name = self.src.text(v, n)[:80]
            elif num == 1:
                self.node(v, v + n, f"{where}{'(' + name + ')' if name else ''}", depth)
            elif num == 5:
                self.tensor(v, v + n, f"{where}.initializer")
            elif num == 15:
                self.sparse(v, v + n, f"{where}.sparse_initializer")

    def function(self, start: int, end: int, depth: int) -> None:
        name = domain = ""
        body: list[tuple[int, int]] = []
        attrs: list[tuple[int, int]] = []
        for num, wt, v, n in self.src.fields(start, end):
            if wt != 2:
                continue
            if num == 1:
                name = self.src.text(v, n)
            elif num == 10:
                domain = self.src.text(v, n)
            elif num == 7:
                body.append((v, v + n))
            elif num == 11:
                attrs.append((v, v + n))
            elif num == 9:
                self.opset(v, v + n)
        self.local_functions.add((domain, name))
        where = f"functions({domain}.{name[:60]})"
        for s, e in body:
            self.node(s, e, where, depth + 1)
        for s, e in attrs:
            self.attribute(s, e, where, depth + 1)

    def node(self, start: int, end: int, where: str, depth: int) -> None:
        self.nodes += 1
        op, domain, name = "", "", ""
        attrs: list[tuple[int, int]] = []
        for num, wt, v, n in self.src.fields(start, end):
            if wt != 2:
                continue
            if num == 4:
                op = self.src.text(v, n)[:120]
            elif num == 7:
                domain = self.src.text(v, n)[:200]
            elif num == 3:
                name = self.src.text(v, n)[:80]
            elif num == 5:
                attrs.append((v, v + n))
        self.op_domains.setdefault(domain, set()).add(op)
        label = f"{where}/{name or op}"
        for s, e in attrs:
            self.attribute(s, e, label, depth)

    def attribute(self, start: int, end: int, where: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise FormatError(f"attributes nested deeper than {MAX_DEPTH}")
        aname = ""
        for num, wt, v, n in self.src.fields(start, end):
            if num == 1 and wt == 2:
                aname = self.src.text(v, n)[:60]
            if wt != 2:
                continue
            label = f"{where}.{aname or 'attribute'}"
            if num in (5, 10):  # t, tensors
                self.tensor(v, v + n, label)
            elif num in (22, 23):  # sparse_tensor, sparse_tensors
                self.sparse(v, v + n, label)
            elif num in (6, 11):  # g, graphs
                self.graph(v, v + n, label, depth + 1)

    def sparse(self, start: int, end: int, where: str) -> None:
        for num, wt, v, n in self.src.fields(start, end):
            if num in (1, 2) and wt == 2:  # values, indices
                self.tensor(v, v + n, f"{where}.{'values' if num == 1 else 'indices'}")

    def tensor(self, start: int, end: int, where: str) -> None:
        self.tensors += 1
        external = False
        name = ""
        data_type = 0
        dims: list[int] = []
        entries: list[tuple[str, str]] = []
        for num, wt, v, n in self.src.fields(start, end):
            if num == 14 and wt == 0:
                location = _enum(self.src, v, "data_location", start)
                if location in (0, 1):  # proto2 closed enum: another value is kept as an unknown field
                    external = location == 1
            elif num == 8 and wt == 2:
                name = self.src.text(v, n)[:80]
            elif num == 2 and wt == 0:
                data_type = v
            elif num == 1 and len(dims) < MAX_DIMS:
                if wt == 0:
                    dims.append(v)
                elif wt == 2:  # packed: decoded only up to MAX_DIMS
                    dims.extend(islice(_varints(self.src, v, v + n), MAX_DIMS - len(dims)))
            elif num == 13 and wt == 2:
                key = val = ""
                raw_val = b""
                for knum, kwt, kv, kn in self.src.fields(v, v + n):
                    if knum == 1 and kwt == 2:
                        key = self.src.text(kv, kn)
                    elif knum == 2 and kwt == 2:
                        raw_val = self.src.read(kv, min(kn, MAX_STRING))
                        # the bytes onnxruntime opens, kept exactly (invalid UTF-8 as surrogate
                        # escapes, as Python spells such file names): "replace" made another path,
                        # one that does not exist, so a link to outside was not followed (97sc-2)
                        val = raw_val.decode("utf-8", "surrogateescape")
                        if b"\x00" in raw_val:
                            val = val.replace("\x00", "\\x00")
                entries.append((key, val))
        label = f"{where}({name})" if name else where
        locations = [val for key, val in entries if key == "location"]
        if external and not locations:
            self.find("onnx.external-data-missing", "medium",
                      f"{label}: data_location is EXTERNAL but no location is given (the loader fails)", "error")
        # The loader reads external_data only for EXTERNAL tensors, but a converter or a
        # later writer may flip the flag: every location entry is judged.
        for loc in locations:
            if len(self.locations) < MAX_LOCATIONS:
                self.locations.append((label, loc))
        if external and locations and len(self.refs) < MAX_LOCATIONS:
            offset, bad_offset = _ref_number([v for k, v in entries if k == "offset"], "offset")
            length, bad_length = _ref_number([v for k, v in entries if k == "length"], "length")
            problem = bad_offset or bad_length
            if len(set(locations)) > 1:
                problem = f"{len(locations)} different location entries (onnx's checker reads each, its loader the last)"
            self.refs.append(ExternalRef(label, locations[-1], offset, length, data_type, tuple(dims), problem))

    # -- judgement -----------------------------------------------------------------------------

    def judge_locations(self) -> None:
        first: dict[str, str] = {}
        for where, loc in self.locations:
            first.setdefault(loc, where)
        if len(first) > MAX_JUDGED_LOCATIONS:
            # each location is resolved against the folder (realpath): a bound, and past it the
            # model is not judged location by location (red team 47f-3: 45,000 took 80 s)
            self.find("onnx.external-data-too-many", "high",
                      f"{len(first):,} distinct external-data locations, more than the {MAX_JUDGED_LOCATIONS:,} mlbom "
                      "judges one by one (real models name a few files): not judged", "suspicious")
            return
        long = sorted(loc for loc in first if len(loc) > MAX_LOCATION_CHARS)
        if long:
            # longer than any path the OS opens (PATH_MAX): resolving it costs time quadratic in its
            # components (red team 48f-2: 15 of 65 KB took 6 s), and no loader reads it
            self.find("onnx.external-data-too-long", "high",
                      f"{first[long[0]]}: {len(long)} external-data location(s) longer than {MAX_LOCATION_CHARS} "
                      "characters (no loader can open such a path; no writer makes one): not judged", "suspicious")
        real = os.path.realpath(self.folder) if self.folder is not None else None
        for loc in sorted(first):
            if len(loc) > MAX_LOCATION_CHARS:
                continue
            where = first[loc]
            why = escape_reason(loc, self.folder, real)
            if why:
                self.find("onnx.external-data-escape", "critical",
                          f"{where}: external data location {loc[:200]!r} {why}: the loader reads a file outside "
                          "the model folder (path traversal, CVE-2022-25882 class)", "unsafe")

    def judge_differentials(self) -> None:
        """Tags or int32 fields mlbom's reading and protobuf's could take differently (red team
        88s-1: a graph behind a tag above 2^32 that onnxruntime loads): ``suspicious``."""
        if self.src.differentials:
            self.find("onnx.parse-differential", "high",
                      "; ".join(self.src.differentials[:5])[:1000] + " (what onnxruntime loads may differ from what "
                      "onnx.load or mlbom reads)", "suspicious")

    def judge_domains(self) -> None:
        custom: dict[str, set[str]] = {}
        for domain, ops in self.op_domains.items():
            if domain in STANDARD_DOMAINS:
                continue
            outside = {op for op in ops if (domain, op) not in self.local_functions}
            if outside:
                custom[domain] = outside
        if custom:
            self.facts.facts["onnx.custom-domains"] = ",".join(sorted(custom))[:500]
            for domain in sorted(custom)[:20]:
                op_list = ", ".join(sorted(custom[domain])[:10])
                self.find("onnx.custom-operator", "low",
                          f"operators {op_list} from domain {domain[:100]!r} need code the runtime registers "
                          "(a custom-op library)", None)


_DRIVE = re.compile(r"^[A-Za-z]:")


# onnxruntime's kTensorProtoMemoryAddressTag (tensorprotoutils.h): a tensor whose external-data
# location is this has its ``offset`` taken as a process memory address and ``length`` bytes copied
# from there (GetExtDataFromTensorProto); releases before mid-2026 accepted it from a model file
# (red team 43f-1; onnxruntime PRs 28709, 29011 refuse it)
_ORT_TAG_PREFIX = "*/_ORT_"  # the tag is "*/_ORT_MEM_ADDR_/*"; the prefix covers its kin


def escape_reason(loc: str, folder: Path | None, real_folder: str | None = None) -> str | None:
    """Why an external-data location leaves the model folder, or None when it stays inside
    (``real_folder``: the folder's realpath, when the caller resolved it once for many)."""
    if "\x00" in loc or "\\x00" in loc:
        return "contains a NUL byte"
    if not loc:
        return "is empty"
    if loc.startswith(_ORT_TAG_PREFIX):
        return "is onnxruntime's in-memory marker: older onnxruntime reads `length` bytes of its own process " \
               "memory at the address in `offset` into the tensor"
    if (why := leave_reason(loc, climb_only=True)) is not None:  # (the folder's symlinks: below)
        return why
    if folder is not None:
        try:
            base = real_folder if real_folder is not None else os.path.realpath(folder)
            target = os.path.realpath(os.path.join(base, loc))
        except (OSError, ValueError):
            return "cannot be resolved"
        if os.path.commonpath([base, target]) != base:
            return "resolves through a symlink to outside the folder"
    return None


def location_refusal(loc: str) -> str | None:
    """Why onnx's loader refuses an external-data location before opening anything
    (``resolve_external_data_location`` in onnx's checker.cc): empty, absolute, ``..`` anywhere
    in its normalised form, a NUL. A backslash is a separator on Windows and a name character
    elsewhere: the file meant depends on the host, so it is refused here too. Symlinks, hard
    links and a parent folder leaving the model folder are checked on the file itself by the
    caller. None when the location is acceptable."""
    if not loc:
        return "is empty"
    if "\x00" in loc or "\\x00" in loc:
        return "contains a NUL byte"
    if loc.startswith(_ORT_TAG_PREFIX):
        return "is onnxruntime's in-memory marker, no file"
    if "\\" in loc:
        return "contains a backslash (a different file on Windows and elsewhere)"
    if loc.startswith("/") or _DRIVE.match(loc):
        return "is absolute"
    if loc.startswith("#"):
        return "names in-memory data ('#'), not a file"
    if loc.endswith(("/", "/.")) or loc == ".":
        return "names a folder, not a file"
    if ".." in os.path.normpath(loc):
        return "contains '..' (onnx refuses it anywhere in the path)"
    return None


# ModelProto's fields and their wire types: ir_version, producer_name, producer_version, domain,
# model_version, doc_string, graph, opset_import, metadata_props, training_info, functions
_MODEL_WIRE = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2}


def looks_like_onnx(head: bytes) -> bool:
    """ModelProto starts with ir_version (field 1, varint) in practice."""
    return len(head) > 4 and head[0] == 0x08 and head[1] < 0x20 and b"\x12" in head[2:4] + head[2:16]


_MAX_IR_VERSION = 64  # (IR 10 is onnx 1.16's; a varint byte)
_WIRE_TYPES = (0, 1, 2, 5)


def _varint(b: bytes, i: int) -> tuple[int, int] | None:
    v = shift = 0
    while i < len(b) and shift < 64:
        c = b[i]
        v |= (c & 0x7F) << shift
        i += 1
        if not c & 0x80:
            return v, i
        shift += 7
    return None


def onnx_model_head(head: bytes, *, whole: bool) -> bool:
    """Whether a file's first bytes ``head`` (all of it when ``whole``) read as the start of a
    ModelProto as ONNX writers serialize it (red team 123d-5: :func:`looks_like_onnx` holds for most
    small protobuf records with an int field 1 and a bytes field 2, and the stray sweep then scanned
    every such file whole): ``ir_version`` (field 1) first, a small varint; then only ModelProto's
    fields (:data:`_MODEL_WIRE`, each of its wire type; a field number past them of any wire type, as a
    newer schema's), in increasing field-number order with the singular ones once (protobuf writes
    fields in field-number order); and a ``graph`` (field 7) present, or still ahead where the head
    ends inside a field numbered below it (past it, none can come). A pre-filter of the sweep only:
    the scan reads the whole file."""
    if not looks_like_onnx(head):
        return False
    i, last, seen_graph = 0, 0, False
    while i < len(head):
        key = _varint(head, i)
        if key is None:
            return not whole and (seen_graph or last < 7)
        tag, j = key
        num, wt = tag >> 3, tag & 7
        seen_graph = seen_graph or (num == 7 and wt == 2)
        known = _MODEL_WIRE.get(num)
        if num == 0 or wt not in _WIRE_TYPES or (known is not None and known != wt) or (known is None and num < 26):
            return False
        if num < last or (num == last and num <= 7):  # (out of order, or a singular field twice)
            return False
        if i == 0 and num != 1:
            return False
        last = num
        if wt == 0:
            val = _varint(head, j)
            if val is None:
                return not whole and (seen_graph or last < 7)
            if num == 1 and not 1 <= val[0] <= _MAX_IR_VERSION:
                return False
            i = val[1]
        elif wt == 2:
            ln = _varint(head, j)
            if ln is None:
                return not whole and (seen_graph or last < 7)
            i = ln[1] + ln[0]
        else:
            i = j + (8 if wt == 1 else 4)
        if i > len(head):  # (the head ends inside this field: what follows is unread)
            return not whole and (seen_graph or last < 7)
        if not seen_graph and last > 7:
            return False  # (past graph's number with no graph: none can come)
    return seen_graph or (not whole and last < 7)


def parse_onnx(fh: IO[bytes], size: int, folder: Path | None = None,
               refs: list[ExternalRef] | None = None) -> Facts:
    """ModelProto: IR version, producer, opsets, custom-domain operators, and every tensor's
    external-data location (one that leaves ``folder``, the model's directory, is unsafe).
    ``refs``, when given, receives every EXTERNAL tensor's :class:`ExternalRef`."""
    walk = _Walk(_Src(fh, size), folder)
    try:
        walk.model(0, size)
    except RecursionError as exc:
        raise FormatError("ONNX model nested too deeply") from exc
    finally:
        inflation.charge(walk.src.nfields)
    if "onnx.ir-version" not in walk.facts.facts:
        raise FormatError("not an ONNX model (no ir_version)")
    facts = walk.facts
    if walk.opsets:
        facts.facts["onnx.opsets"] = ",".join(sorted(walk.opsets))[:1000]
    facts.facts["onnx.nodes"] = str(walk.nodes)
    facts.facts["onnx.tensors"] = str(walk.tensors)
    if walk.locations:
        facts.facts["onnx.external-data"] = ",".join(sorted({loc for _w, loc in walk.locations})[:20])[:2000]
    walk.judge_locations()
    walk.judge_domains()
    walk.judge_differentials()
    if refs is not None:
        refs.extend(walk.refs)
    target = getattr(facts, "effects", None)
    if isinstance(target, dict):
        target.update(walk.effects)
    return facts


# -- TensorProto / SequenceProto files (``onnx.save_tensor``, the .pb files of ONNX test data) -----

# TensorProto.DataType -> element size in bits (STRING: 0, counted in string_data); onnx 1.23
_ELEMENT_BITS = {1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 8: 0, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64,
                 14: 64, 15: 128, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4, 24: 8, 25: 2,
                 26: 2, 27: 6, 28: 6}
# the typed field each data type's values go in (when not raw_data) and values per element
_TYPED_FIELD = {1: (4, 1), 14: (4, 2), 11: (10, 1), 15: (10, 2), 7: (7, 1), 12: (11, 1), 13: (11, 1), 8: (6, 1)}
_INT32_FIELD = 5  # every other type: int32_data
_SUB_BYTE = frozenset({21, 22, 23, 25, 26, 27, 28})  # packed several to an int32 value
# wire types each TensorProto field may have (a repeated scalar: one value or packed)
_TENSOR_WIRE = {1: (0, 2), 2: (0,), 3: (2,), 4: (5, 2), 5: (0, 2), 6: (2,), 7: (0, 2), 8: (2,), 9: (2,),
                10: (1, 2), 11: (0, 2), 12: (2,), 13: (2,), 14: (0,), 16: (2,)}
MAX_TYPED_BYTES = 16 << 20  # typed (non-raw) values counted one by one; real files use raw_data
MAX_ELEMENTS = 1 << 62


class _NotTensor(Exception):
    """The bytes are not one TensorProto (or SequenceProto of them) as onnx writes it."""


def _varints(src: _Src, start: int, end: int) -> Iterator[int]:
    """The values of a packed repeated varint field, each decoded once."""
    pos = start
    while pos < end:
        value, pos = src.varint(pos, end)
        yield value


def _count_varints(src: _Src, start: int, end: int) -> int:
    allowed, why = inflation.steps_allowed(MAX_TYPED_BYTES)  # (a value per byte at most)
    if end - start > allowed:
        raise _NotTensor(f"typed values over {allowed} bytes{why}")
    inflation.charge(end - start)
    return sum(1 for _ in _varints(src, start, end))


def _tensor_proto(src: _Src, start: int, end: int, label: str, walk: _Walk) -> str:
    """Check one TensorProto strictly (every field one onnx.proto defines, with its wire type; a
    known data type; values that match its dims) and judge its external-data location; return
    a short description. :class:`_NotTensor` when it is not one."""
    data_type = 0
    dims: list[int] = []
    raw: int | None = None
    typed: dict[int, int] = {}  # field -> values
    external = False
    name = ""
    for num, wt, v, n in src.fields(start, end):
        if wt not in _TENSOR_WIRE.get(num, ()):
            raise _NotTensor(f"field {num} (wire type {wt}) is not TensorProto's")
        if num == 1:
            for d in ([v] if wt == 0 else _varints(src, v, v + n)):  # stops at MAX_DIMS: never all decoded
                if d >= 1 << 63 or len(dims) >= MAX_DIMS:
                    raise _NotTensor("a negative dimension or too many dimensions")
                dims.append(d)
        elif num == 2:
            if v not in _ELEMENT_BITS:
                raise _NotTensor(f"data type {v} is none onnx defines")
            data_type = v
        elif num == 3:
            raise _NotTensor("a segment of a tensor (not a whole one)")
        elif num == 9:
            raw = (raw or 0) + n
        elif num == 14:
            location = _enum(src, v, "data_location", start)
            if location not in (0, 1):
                raise _NotTensor(f"data_location {v}")
            external = location == 1
        elif num == 8:
            name = src.text(v, n)[:80]
        elif num in (4, 10):
            size = 4 if num == 4 else 8
            if wt == 2 and n % size:
                raise _NotTensor("packed fixed-size values of a length no count of them has")
            typed[num] = typed.get(num, 0) + (n // size if wt == 2 else 1)
        elif num in (5, 7, 11):
            typed[num] = typed.get(num, 0) + (_count_varints(src, v, v + n) if wt == 2 else 1)
        elif num == 6:
            typed[6] = typed.get(6, 0) + 1
    if not data_type:
        raise _NotTensor("no data type")
    count = 1
    for d in dims:
        count *= d
        if count > MAX_ELEMENTS:
            raise _NotTensor("more elements than any file holds")
    walk.tensor(start, end, label)  # external_data entries: every location is judged
    if external:
        if raw is not None or typed:
            raise _NotTensor("external data and values of its own")
        return f"{label}: external data"
    bits = _ELEMENT_BITS[data_type]
    if raw is not None:
        if typed or not bits or raw != (count * bits + 7) // 8:
            raise _NotTensor(f"{raw} raw bytes for {count} elements of data type {data_type}")
    else:
        field_no, per = _TYPED_FIELD.get(data_type, (_INT32_FIELD, 1))
        got = typed.pop(field_no, 0)
        if typed:
            raise _NotTensor("values in a field its data type does not use")
        if data_type in _SUB_BYTE:
            if not (count * bits + 31) // 32 <= got <= count:
                raise _NotTensor(f"{got} values for {count} elements of data type {data_type}")
        elif got != count * per:
            raise _NotTensor(f"{got} values for {count} elements of data type {data_type}")
    return f"{label}{'(' + name + ')' if name else ''}: data type {data_type}, dims {dims}"


def parse_tensor_file(fh: IO[bytes], size: int, folder: Path | None = None) -> Facts | None:
    """A serialized ``TensorProto`` (``onnx.save_tensor``, ``numpy_helper.from_array(...)
    .SerializeToString()``) or ``SequenceProto`` of tensors — the ``test_data_set_*/input_N.pb``
    files beside ONNX models: data only, whose one reference is an external-data location
    (judged as a model's are, relative to ``folder``). None when the bytes are not exactly one
    of them (unknown fields, values that do not match the dims): then nothing is claimed."""
    walk = _Walk(_Src(fh, size), folder)
    try:
        try:
            desc = _tensor_proto(walk.src, 0, size, "tensor", walk)
        except _NotTensor:
            desc = _sequence_proto(walk.src, size, walk)
    except (_NotTensor, FormatError, RecursionError):
        return None
    finally:
        inflation.charge(walk.src.nfields)
    facts = walk.facts
    facts.facts["onnx.tensor"] = desc[:200]
    walk.judge_locations()
    walk.judge_differentials()
    target = getattr(facts, "effects", None)
    if isinstance(target, dict):
        target.update(walk.effects)
    return facts


def _sequence_proto(src: _Src, size: int, walk: _Walk) -> str:
    """SequenceProto: name (1), elem_type (2: 1 = tensors), tensor_values (3)."""
    elem, tensors = None, 0
    for num, wt, v, n in src.fields(0, size):
        if num == 1 and wt == 2:
            continue
        if num == 2 and wt == 0:
            elem = v
        elif num == 3 and wt == 2:
            _tensor_proto(src, v, v + n, f"sequence[{tensors}]", walk)
            tensors += 1
        else:
            raise _NotTensor(f"field {num} (wire type {wt}) is not a SequenceProto of tensors")
    if elem != 1:
        raise _NotTensor("not a sequence of tensors")
    return f"sequence of {tensors} tensors"

