"""Static safety scan of model files: format detected from content, verdict from what loading
the file would do — never by loading it.

Verdicts (CONTRACT.md): ``unsafe`` — loading runs code or reaches the file system or network;
``suspicious`` — not known to be dangerous but not known to be safe (an unlisted callable, a
place where two loaders read the bytes differently, a decompression bomb, TorchScript code);
``error`` — could not be judged (unknown binary content, truncated or malformed, encrypted or
unsupported archives, content that is not the format its name claims), so it is *not* safe;
``safe`` — positively parsed as a format that cannot run code, or a pickle whose every callable
is allowlisted.

Containers are read as the loaders read them (see :mod:`mlbom.formats.zipread` and
:mod:`mlbom.formats.compression`): torch zip checkpoints and TorchScript archives, torch's
legacy magic-number and tar formats, joblib's containers, gzip/bz2/xz/LZMA/zlib streams,
zip and tar archives, ``.npz``. Each file is scanned in isolation: no exception escapes
:func:`scan_file`, and every parser runs under the budgets of
:class:`~mlbom.formats.compression.Limits`.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import functools
import hashlib
import inspect
import io
import itertools
import mmap
import os
import pickletools
import re
import stat
import struct
import tarfile
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

from mlbom import gcpause
from mlbom.formats import (
    datafile,
    dcp,
    hdf5,
    inflation,
    keras,
    logging_config,
    matlab,
    msgpack,
    onnx_text,
    pickle_start,
    spacy_cfg,
    tarwalk,
    tf_text,
    ubjson,
    weights,
    wordvec,
)
from mlbom.formats.compression import (
    DEFAULT_LIMITS,
    SUFFIXES,
    BombError,
    Decompressing,
    Limits,
    StreamBroken,
    detect,
    lzma_chain_in_file,
    zlib_confirmed,
)
from mlbom.formats.onnx import ExternalRef
from mlbom.formats.paths import leave_reason
from mlbom.formats.weights import FormatError, Window
from mlbom.formats.zipread import ZipArchive, ZipEntry, crc32_of, find_end_record, open_member, read_archive
from mlbom.fswalk import SKIPPED_FOLDERS
from mlbom.hashing import CHUNK, ChunkedHash, ContentChanged, FileDigest, StatKey, VerifiedReader, open_beneath, stat_key
from mlbom.limits import INFLATED_TEXT_RATIO, INFLATED_TEXT_WALK_CAP
from mlbom.model import Finding, Judged, Severity, Verdict, first_of, worst_verdict

if TYPE_CHECKING:  # (imported on use: PyYAML; the pickle walker's allowlist tables)
    from _typeshed import WriteableBuffer

    from mlbom.formats import config_includes as ci
    from mlbom.formats import yaml_tags
    from mlbom.formats.pickle import PickleReport
    from mlbom.fswalk import BlobIndex

MAX_JSON = 64 << 20
MAX_TEXT = 64 << 20  # text is recognised by reading all of it, up to this size
MAX_KERAS_CONFIG = 64 << 20
SPOOL_IN_MEMORY = 32 << 20
TORCH_MAGIC = 0x1950A86A20F9469CFC6C
ZIP_MEMBERS_FLOOR = 3_072
ZIP_BYTES_PER_MEMBER = 320
"""Zip members one file may have judged by content, all its zips together: one per
``ZIP_BYTES_PER_MEMBER`` bytes of the file, or ``ZIP_MEMBERS_FLOOR``. A member costs 45-235 µs to
judge (JSON to a Jinja2 template; red team 122fmt-5: 10,000 three-character ``.jinja`` members in
a 970 KB stored zip took 2.3 s), so a file under 1 MB has at most ~3,100 judged (~0.7 s at worst).
A real archive spends far more bytes a member (an npz array: a 128-byte header, 170 bytes of zip
records, its data). Past it: ``zip.member-budget`` (``error``), the rest not judged."""
_PICKLE_NAMES = (".pkl", ".pickle", ".pk", ".joblib", ".dill")

# What a file's name claims, and the content formats that honour the claim
_CLAIMS: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = (
    ((".safetensors",), "safetensors", ("safetensors",)),
    # spaCy's vocab/lookups.bin is msgpack (Lookups.from_disk: srsly.msgpack_loads), named .bin (119pa-3)
    (("lookups.bin",), "spaCy lookups (msgpack) or PyTorch weights",
     ("msgpack", "pytorch-zip", "pytorch-legacy", "pytorch-legacy-tar", "torchscript", "pt2", "pickle", "safetensors",
      "gguf")),
    # word2vec's and fastText's binary vectors are .bin files too (red team 122fp-10)
    ((".bin", ".pt", ".pth", ".ckpt", ".pt2"), "PyTorch weights",
     ("pytorch-zip", "pytorch-legacy", "pytorch-legacy-tar", "torchscript", "pt2", "pickle", "safetensors", "gguf",
      "word2vec-binary", "fasttext-bin")),
    ((".pkl", ".pickle", ".pk", ".dill", ".joblib", ".sav"), "a pickle",
     ("pickle", "pytorch-zip", "pytorch-legacy", "pickle+*", "gzip", "bz2", "xz", "lzma", "zlib", "lz4", "joblib-zfile")),
    ((".npy",), "a NumPy array", ("numpy",)),
    ((".npz",), "a NumPy .npz archive", ("numpy-npz", "zip")),
    ((".skops",), "a skops file", ("skops",)),
    ((".onnx",), "ONNX", ("onnx",)),
    ((".gguf",), "GGUF", ("gguf",)),
    ((".h5", ".hdf5"), "HDF5", ("hdf5",)),
    ((".keras",), "a Keras archive", ("keras", "hdf5", "zip")),
    # TensorFlow reads these by name (loader_impl.parse_saved_model: saved_model.pb, else .pbtxt; tf-keras:
    # keras_metadata.pb): graph ops such as the init op run, and Keras layers (a Lambda's bytecode) are
    # revived, at load. mlbom does not read TF protobufs: whatever the content, not judged (red team 112pa-1/-2)
    (("saved_model.pb", "saved_model.pbtxt", "keras_metadata.pb", ".pbtxt"),
     "a TensorFlow SavedModel or graph, which mlbom does not read (its ops and Keras layers run on load)", ()),
    ((".pb",), "a protobuf model (a TensorFlow GraphDef runs its ops; only ONNX is read)", ("onnx", "onnx-*")),
)

# Every name a weight-format file goes by (the names :data:`_CLAIMS` judges content against):
# ``generate PROJECT_DIR`` inventories such a file wherever it lies in the project (red team 102c-5)
WEIGHT_SUFFIXES: tuple[str, ...] = tuple(sorted({s for names, _, _ in _CLAIMS for s in names}))


@dataclass(frozen=True)
class ScanFinding:
    """One finding of a file scan; :meth:`to_finding` is the same finding in the BOM model."""

    id: str
    severity: Severity
    message: str

    def to_finding(self, subject: str | None = None, source: str | None = None) -> Finding:
        return Finding(id=self.id, severity=self.severity, message=self.message, subject=subject, source=source)


@dataclass
class FileScan:
    """The scan of one file (``scan --format json`` prints one object per file)."""

    path: str
    format: str
    verdict: Verdict
    sha256: str | None = None
    size: int | None = None
    findings: list[ScanFinding] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    # an ONNX model's EXTERNAL tensors (their files are judged by :func:`scan_walked`)
    external_refs: tuple[ExternalRef, ...] = ()
    # the content is in no format mlbom recognises, and that is the only reason it is ``error``
    unrecognised: bool = False
    # modules of the file's folder a config names for a loader to import (``auto_map``,
    # ``modules.json``...): judged only when this run scanned them (:func:`_settle_code`)
    code_refs: tuple[CodeRef, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "format": self.format, "verdict": self.verdict, "sha256": self.sha256,
                "findings": [{"id": f.id, "severity": f.severity, "message": f.message} for f in self.findings]}


@dataclass(frozen=True)
class CodeRef:
    """A module of the config's folder that a loader imports: ``module`` (``a/b.py``, relative to
    the folder) for ``ref`` as the config names it; ``what``, ``loader`` and ``where`` say who
    names it and who imports it (for the ``code.remote`` finding when it is not judged)."""

    module: str
    ref: str
    what: str
    loader: str
    where: str


class _Acc:
    """Collects findings and folds them into one verdict."""

    def __init__(self) -> None:
        self.findings: list[ScanFinding] = []
        self.unsafe = self.suspicious = self.error = False
        self.error_ids: set[str] = set()
        self.imports: set[str] = set()
        self.onnx_refs: list[ExternalRef] = []
        self.code_refs: list[CodeRef] = []
        self.skops = False  # a zip member was a skops schema.json (the archive is a .skops file)

    def add(self, fid: str, sev: Severity, msg: str, *, effect: Verdict | None = None) -> None:
        self.findings.append(ScanFinding(fid, sev, msg))
        if effect == "unsafe":
            self.unsafe = True
        elif effect == "suspicious":
            self.suspicious = True
        elif effect == "error":
            self.error = True
            self.error_ids.add(fid)

    def pickle(self, rep: PickleReport, where: str) -> None:
        """Fold a pickle walk's own findings (the walker judges; see formats/pickle.py)."""
        self.imports.update(rep.globals)
        for f in rep.findings:
            self.add(f.id, f.severity, f"{where}: {f.message}", effect=f.effect)
        if rep.error is None and not rep.complete:
            self.add("pickle.truncated", "high", f"{where}: pickle stream ends without STOP", effect="error")
        if rep.value is not None:  # the data it returns: config targets carried as pickle data (12d-4)
            if not rep.no_targets:  # (the walk proved it holds none: nothing to judge)
                _pickle_config(rep.value, self, where)
            rep.value = None

    def verdict(self) -> Verdict:
        if self.unsafe:
            return "unsafe"
        if self.error:
            return "error"
        if self.suspicious:
            return "suspicious"
        return "safe"


@dataclass
class _Ctx:
    """Budgets shared by everything one file contains."""

    limits: Limits
    output: list[int]  # decompressed bytes left
    work: int  # archive member bytes left
    debug: bool = False
    folder: Path | None = None  # the scanned file's folder (ONNX external data resolves against it)
    entries: int = 0  # archive entries left to scan (all levels)
    tar_read: list[object] = field(default_factory=list)  # streams read as a tar that broke (not read again)
    members: int = -1  # zip members left to judge by content, all zips of the file (-1: not yet sized)

    @classmethod
    def new(cls, limits: Limits, debug: bool = False) -> _Ctx:
        return cls(limits, [limits.max_output], limits.max_work, debug, entries=limits.max_entries)


_JSON_LEAD = re.compile(rb"[ \t\r\n\x00\xef\xbb\xbf\xff\xfe]*")  # whitespace, BOMs, UTF-16/32 zero bytes


def _json_nodes(data: bytes) -> int:
    """About how many values a JSON document holds (its ``[``, ``{`` and ``,``), counted at C speed
    before it is parsed; 0 for text that does not start like JSON (plain text, CSV: nothing is parsed
    value by value)."""
    lead = _JSON_LEAD.match(data)
    at = lead.end() if lead is not None else 0
    if data[at:at + 1] not in (b"[", b"{"):
        return 0
    return data.count(b"[") + data.count(b"{") + data.count(b",")


_TEXT_BYTES_PER_STEP = 8  # text a reader scans whole with regular expressions: ~0.13 µs a byte (106p-3)
# text the YAML and config-target walks of :func:`_judge_text` take (:func:`_walk_bomb`): a YAML event
# walk, a Jsonnet lexer or the config-target readings go over it token by token, ~0.5 µs a byte
# (red team 111pa-9: 2.4 MB of YAML out of 2.4 KB of gzip, 1.3 s, safe)
_JUDGED_TEXT_BYTES_PER_STEP = 2

# set while a zip member that its archive's loader reads as raw bytes, never parsing them, is judged
# (a skops BytesNode's member, 106sa-3): (the member's ``where``, why); content in no format there is
# what such a member may hold (``info``), not an unjudged format (``file.unknown``)
_RAW_MEMBER: ContextVar[tuple[str, str] | None] = ContextVar("mlbom_scanner_raw_member", default=None)


def _parse_bomb(data: bytes, what: str, *, charge: bool = True) -> str | None:
    """Why ``data`` (text a reader takes whole: JSON is then walked value by value, any text scanned
    by several regular expressions) is too much work for the file it came out of a decompressor
    of (:mod:`mlbom.formats.inflation`), or None. A JSON value is a step; so are 8 bytes of text
    (text the YAML and config walks then take is charged again: :func:`_walk_bomb`)."""
    if not inflation.active():
        return None
    nodes = _json_nodes(data)
    steps = nodes + (len(data) + _TEXT_BYTES_PER_STEP - 1) // _TEXT_BYTES_PER_STEP
    _allowed, why = inflation.steps_allowed(steps)  # (why is set only when steps pass the budget)
    if charge:
        inflation.charge(steps)
    if not why:
        return None
    held = f" holding some {nodes} values" if nodes else ""
    return f"{len(data)} bytes of {what}{held}{why}; not judged"


def _walk_bomb(text: str) -> str | None:
    """Why ``text`` (a decompressor's output, :mod:`mlbom.formats.inflation`) is too much work for
    the YAML and config-target walks of :func:`_judge_text` (PyYAML's events, the Jsonnet lexer,
    the config readings: token by token, ~0.5 µs a character), or None: a step per
    :data:`_JUDGED_TEXT_BYTES_PER_STEP` characters in all, on top of what its reading as text was
    charged (a step per 8 bytes) (red team 111pa-9: 2.4 MB of YAML out of 2.4 KB of gzip, 1.3 s, safe).
    Text within what compressors make of real text (:func:`mlbom.formats.inflation.ordinary_text`:
    32 characters per byte of the file, 2 MiB at most) is walked without that charge (122fp-6)."""
    if not inflation.active():
        return None
    n = len(text)
    if inflation.ordinary_text(n):  # what text compressors make of real data (red team 122fp-6)
        return None
    steps = (n + _JUDGED_TEXT_BYTES_PER_STEP - 1) // _JUDGED_TEXT_BYTES_PER_STEP - n // _TEXT_BYTES_PER_STEP
    _allowed, why = inflation.steps_allowed(steps)
    inflation.charge(steps)
    return f"{n} characters of text for the YAML and config-target walks, past what text compressors make of " \
        f"real text ({INFLATED_TEXT_RATIO} characters per byte of the file, {INFLATED_TEXT_WALK_CAP} in all){why}; " \
        "not judged" if why else None


def _check_parse_work(data: bytes, what: str) -> None:
    """Raise :class:`BombError` where :func:`_parse_bomb` says why."""
    why = _parse_bomb(data, what)
    if why is not None:
        raise BombError(why)


# ---- entry points ----------------------------------------------------------------------

CHANGED_DURING_SCAN = "file.changed-during-scan"


def scan_file(path: Path, *, display: str | None = None, sha256: str | None = None, with_hash: bool = True,
              expect_key: StatKey | None = None, limits: Limits | None = None, debug: bool = False) -> FileScan:
    """Scan one file (:func:`_scan_one`). Code modules a config of it names for a loader to
    import are judged by no one in a scan of one file: ``code.remote``, at least ``suspicious``
    (:func:`_settle_code`; a folder's scan, :func:`scan_walked`, judges them by its own scans)."""
    return _settle_code(_scan_one(path, display=display, sha256=sha256, with_hash=with_hash, expect_key=expect_key,
                                  limits=limits, debug=debug), None)


def _scan_one(path: Path, *, display: str | None = None, sha256: str | None = None, with_hash: bool = True,
              expect_key: StatKey | None = None, limits: Limits | None = None, debug: bool = False) -> FileScan:
    """Scan one file. Never raises for the file's content or I/O: problems become findings and
    the ``error`` verdict (``debug=True`` re-raises internal errors instead). FIFOs, devices and
    sockets are never opened; a symbolic link given here is followed (the folder walker decides
    which links may be).

    The file is opened once, and the SHA-256 returned is always computed in this run from
    exactly the bytes judged (with ``with_hash``, or to check a ``sha256`` given): a file up to
    :data:`MAX_SNAPSHOT_BYTES` is read once into memory, hashed and scanned from that copy; a
    larger one is hashed once from the same descriptor (:class:`~mlbom.hashing.ChunkedHash`) and
    scanned only through chunks verified against that pass. A ``sha256`` given (taken by the
    caller through another open, or from a cache) is compared with it: when they differ, or a
    verified chunk differs, or the descriptor's ``fstat`` before and after disagree, the file
    changed while it was read (``file.changed-during-scan``, verdict ``error``, no digest). Give
    the :data:`~mlbom.hashing.StatKey` of the descriptor the caller hashed as ``expect_key``: a
    scanned descriptor that is another file is that finding too. Without either, the scan reads
    only what it needs and returns no digest."""
    shown = display or str(path)
    try:
        st = path.stat()
    except (OSError, ValueError) as exc:
        return FileScan(shown, "unknown", "error", findings=[ScanFinding("file.unreadable", "high",
                                                                         f"cannot stat: {getattr(exc, 'strerror', None) or exc}")])
    if not stat.S_ISREG(st.st_mode):
        kind = "folder" if stat.S_ISDIR(st.st_mode) else "FIFO, device or socket"
        return FileScan(shown, "unknown", "error",
                        findings=[ScanFinding("file.not-regular", "medium", f"not a regular file ({kind}); not opened")])
    return _scan_opened(path, shown, st.st_size, sha256, sha256 is None and with_hash, expect_key, limits, debug)


def _scan_opened(path: Path, shown: str, size: int, digest: str | None, with_hash: bool,
                 expect_key: StatKey | None, limits: Limits | None, debug: bool) -> FileScan:
    acc = _Acc()
    facts: dict[str, str] = {}
    fmt = "unknown"
    head = b""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        acc.add("file.unreadable", "high", f"cannot open: {exc.strerror or exc}", effect="error")
        return FileScan(shown, fmt, acc.verdict(), None, size, acc.findings, facts)
    hashed: ChunkedHash | None = None
    verified: VerifiedReader | None = None
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            acc.add("file.not-regular", "medium", "not a regular file; not read", effect="error")
            return FileScan(shown, fmt, acc.verdict(), None, size, acc.findings, facts)
        size = before.st_size
        other = expect_key is not None and stat_key(before) != expect_key
        if other:
            acc.add(CHANGED_DURING_SCAN, "high", "the file opened for the scan is not the one hashed (another file, or "
                    "changed since): its digest and its verdict would describe two contents; not judged", effect="error")
        # a digest to take, or one taken elsewhere to hold the scanned bytes to: the digest
        # recorded is always taken here, from the bytes judged — one read of a file that fits
        # in memory, or verified reads of a larger one (without either, the scan reads only
        # what it needs and no digest is recorded)
        paired = with_hash or digest is not None
        taken: str | None = None
        snapshot: memoryview | None = None
        if paired and size <= MAX_SNAPSHOT_BYTES:  # one read: the digest and the verdict are of the same bytes
            snapshot, taken = _snapshot(fd, size)
            if len(snapshot) != size:
                acc.add(CHANGED_DURING_SCAN, "high", f"{len(snapshot)} bytes read, {size} bytes when opened: the "
                        "file changed while it was read; not judged", effect="error")
        elif paired:  # too large to copy: hashed once from this descriptor; the scan reads only verified chunks
            hashed = ChunkedHash(fd)
            verified = VerifiedReader(hashed, size)
        stream: IO[bytes] = (io.BufferedReader(_ViewReader(snapshot), CHUNK) if snapshot is not None
                             else io.BufferedReader(verified, CHUNK) if verified is not None
                             else os.fdopen(fd, "rb", closefd=False))
        with stream as fh, _JUDGING:  # (the read and hash above run side by side; judging, one file at a time)
            ctx = _Ctx.new(limits or DEFAULT_LIMITS, debug)
            ctx.folder = path.parent
            scanned = len(snapshot) if snapshot is not None else size
            fmt = scan_stream(fh, scanned, path.name, acc, facts, ctx)
            fh.seek(0)
            head = fh.read(4096)
            if fmt == "unknown" and hdf5.signature_offset(fh, scanned) is not None:
                head = b"\x89HDF"  # a superblock at 512 * 2**k: h5py.is_hdf5 (tf.keras load_model) opens it
        if hashed is not None and verified is not None:
            d = hashed.result()
            if d.sha256 is None:
                return FileScan(shown, "unknown", "error", size=size,
                                findings=[ScanFinding("file.unreadable", "high", f"cannot read: {d.error}")])
            taken = d.sha256
            if verified.changed and not any(f.id == CHANGED_DURING_SCAN for f in acc.findings):
                acc.add(CHANGED_DURING_SCAN, "high", "bytes the scan read differ from the bytes hashed (the file was "
                        "rewritten in place while it was scanned); not judged", effect="error")
            if d.size != size:
                acc.add(CHANGED_DURING_SCAN, "high", f"{d.size} bytes hashed, {size} bytes when opened: the file "
                        "changed while it was read; not judged", effect="error")
        # two contents, the judged and the hashed: no digest stands for the verdict
        split = other or (verified is not None and verified.changed)
        if digest is not None and taken is not None and digest != taken:
            split = True
            acc.add(CHANGED_DURING_SCAN, "high", "the bytes scanned are not the bytes hashed (their SHA-256 differs: "
                    "the file was rewritten in place, or the digest came from a cache the file no longer matches); "
                    "not judged", effect="error")
        digest = taken if paired and not split else None
        if stat_key(os.fstat(fd)) != stat_key(before):
            acc.add(CHANGED_DURING_SCAN, "high", "the file changed while it was read (size, mtime or ctime differ "
                    "before and after): its digest and its verdict may describe two contents; not judged",
                    effect="error")
    except ContentChanged as exc:  # a verified read outside the parsers (the head, the HDF5 probe)
        if not any(f.id == CHANGED_DURING_SCAN for f in acc.findings):
            acc.add(CHANGED_DURING_SCAN, "high", f"{exc}; not judged", effect="error")
        digest = None
    except OSError as exc:
        acc.add("file.unreadable", "high", f"cannot read: {exc.strerror or exc}", effect="error")
        digest = None
    finally:
        if hashed is not None:
            hashed.result()  # the thread reads fd: join it before the close
        os.close(fd)
    if size == 0:
        acc.add("file.empty", "low", "0-byte file")
    if acc.imports:
        facts["pickle.imports"] = ",".join(sorted(acc.imports))[:2000]
    unrecognised = (fmt == "unknown" and _only_unknown(acc) and not (acc.unsafe or acc.suspicious)
                    and _loader_magic(head) is None)
    return FileScan(shown, fmt, acc.verdict(), digest, size, acc.findings, facts, tuple(acc.onnx_refs), unrecognised,
                    tuple(acc.code_refs))


def _only_unknown(acc: _Acc) -> bool:
    """Whether content in no format is the file's only ``error``: ``file.unknown``, and at most the
    claim of its name on that unknown content (``weights.bin`` says PyTorch weights: red team
    106sa-5; ``onnx.save_model(..., location=...)`` takes any name) — what an ONNX model's claim
    may make its raw tensor bytes (:func:`_judge_claimed`)."""
    claims = [f for f in acc.findings if f.id == "file.format-mismatch"]
    return "file.unknown" in acc.error_ids and acc.error_ids <= {"file.unknown", "file.format-mismatch"} and all(
        f.message.startswith(_UNKNOWN_CLAIM) for f in claims)


MAX_SCAN_THREADS = 4
"""Files of one folder read and hashed at once (:func:`scan_walked`): the CPUs, at most this many —
each may hold a snapshot of up to :data:`MAX_SNAPSHOT_BYTES`. Their content is judged one file at a
time (:data:`_JUDGING`)."""
# the judging of content, one file at a time across scan threads: readers use process-wide state that
# is not thread-safe (``warnings.catch_warnings`` in numpy's header parsing, ``compile``, Jinja2: red
# team 117pk-3 left an "ignore" filter behind), and the judging holds the GIL anyway; reading and
# hashing — the part that releases it — run side by side. Reentrant: a scan may scan within itself.
_JUDGING = threading.RLock()

MAX_SNAPSHOT_BYTES = 256 << 20
"""Files up to this size are read once into memory and both hashed and scanned from that copy
(red team 9c M1/C1: bytes rewritten in place through a shared mapping change no size, mtime or
ctime, so two reads of the file can differ unseen). Larger files are hashed once from the scanned
descriptor by :class:`~mlbom.hashing.ChunkedHash`, and the scan reads them only through a
:class:`~mlbom.hashing.VerifiedReader`: every chunk it reads is checked against the bytes the
digest covers (red team 10c B1; docs/scanning.md, "What a digest describes")."""


_SNAPSHOT_CHUNK = 16 << 20
_OVERLAP_MIN = 32 << 20  # from this size, each chunk is hashed in a thread while the next one is read


def _snapshot(fd: int, size: int) -> tuple[memoryview, str]:
    """The file's bytes, read to its end from offset 0 (``pread``: the descriptor's offset is
    untouched), at most one byte past the size the ``fstat`` gave, so growth shows; and their
    SHA-256. One buffer, filled in place (``preadv``) and hashed as it fills — a chunk hashed in
    a thread while the next one is read (hashlib and the read both release the GIL) — so a large
    file costs one copy from the page cache and about its hashing time, not two copies after
    the read (the benchmark's openssl floor, docs/benchmarks.md)."""
    # anonymous memory: its pages are first touched by the read itself (a bytearray is zero-filled
    # first: a second pass over a large file's worth of memory)
    buf: bytearray | mmap.mmap = mmap.mmap(-1, size + 1) if size >= _OVERLAP_MIN else bytearray(size + 1)
    view = memoryview(buf)
    h = hashlib.sha256()
    preadv = getattr(os, "preadv", None)
    got = 0
    hashing: threading.Thread | None = None
    try:
        while got <= size:
            want = view[got:min(size + 1, got + _SNAPSHOT_CHUNK)]
            if preadv is not None:
                n = preadv(fd, [want], got)
            else:  # (no preadv: Windows) a copy per chunk
                chunk = os.pread(fd, len(want), got)
                n = len(chunk)
                want[:n] = chunk
            if not n:
                break
            if hashing is not None:
                hashing.join()
            part = view[got:got + n]
            if size >= _OVERLAP_MIN:
                hashing = threading.Thread(target=h.update, args=(part,), name="mlbom-hash")
                hashing.start()
            else:
                h.update(part)
            got += n
    finally:
        if hashing is not None:
            hashing.join()
    return view[:got], h.hexdigest()


class _ViewReader(io.RawIOBase):
    """A read-only, seekable file over a snapshot in memory (no second copy, as ``BytesIO`` of a
    bytearray would make)."""

    def __init__(self, view: memoryview) -> None:
        super().__init__()
        self._view = view
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, b: WriteableBuffer, /) -> int:
        out = memoryview(b).cast("B")
        n = max(0, min(len(out), len(self._view) - self._pos))
        out[:n] = self._view[self._pos:self._pos + n]
        self._pos += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = 0 if whence == io.SEEK_SET else self._pos if whence == io.SEEK_CUR else len(self._view)
        if base + offset < 0:
            raise OSError(errno.EINVAL, "negative seek position")
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos


def _loader_magic(head: bytes) -> str | None:
    """The loader that takes a file by its first bytes whatever follows them (joblib's compressor
    prefixes, bare "ZF" included; zip, npy, GGUF, HDF5; a protocol 2+ pickle), or "text" when the
    first 4 KiB read as text (UTF-8 without NUL, or a UTF-16 byte order mark: YAML/JSON loaders
    read it; text over :data:`MAX_TEXT` is not read in full), or None. Content with such a start
    is never "no format": an ONNX claim cannot make it raw tensor bytes, even where mlbom's own
    reading of it failed or fell through (a format gap fails closed)."""
    codec = detect(head)
    if codec is not None:
        return codec
    for magic, kind in ((b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"\x93NUMPY", "numpy"), (b"GGUF", "gguf"),
                        (b"\x89HDF", "hdf5")):
        if head.startswith(magic):
            return kind
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "pickle"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "text"
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "text"
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
                return "text"  # a character cut by the 4 KiB read
    return None


def scan_bytes(data: bytes, name: str = "data", *, limits: Limits | None = None, debug: bool = False) -> FileScan:
    """Scan content held in memory (the fuzzing harness; tests). ``debug=True`` lets an
    internal error propagate instead of becoming the ``error`` verdict."""
    acc = _Acc()
    facts: dict[str, str] = {}
    fmt = scan_stream(io.BytesIO(data), len(data), name, acc, facts, _Ctx.new(limits or DEFAULT_LIMITS, debug))
    # (settled as a scan of one file is: every module or base config it names is judged by no one)
    return _settle_code(FileScan(name, fmt, acc.verdict(), None, len(data), acc.findings, facts,
                                 code_refs=tuple(acc.code_refs)), None)


def scan_stream(fh: IO[bytes], size: int, name: str, acc: _Acc, facts: dict[str, str], ctx: _Ctx) -> str:
    """Scan one file's content; an exception of any kind becomes the file's ``error``."""
    try:
        # one parse budget for all its decompressed content (106p-1); no cyclic collection while its
        # readers build and drop millions of small containers
        with inflation.file_budget(size), gcpause.paused():
            if ctx.members < 0:
                ctx.members = max(ZIP_MEMBERS_FLOOR, size // ZIP_BYTES_PER_MEMBER)
            fmt = _scan_content(fh, size, name, acc, facts, ctx, depth=0, where=name)
    except ContentChanged as exc:  # a verified read: the bytes are not the ones hashed
        acc.add(CHANGED_DURING_SCAN, "high", f"{name}: {exc}; not judged", effect="error")
        return "unknown"
    except RecursionError:
        if ctx.debug:
            raise
        acc.add("scan.too-deep", "high", f"{name}: structure nests too deep to judge", effect="error")
        return "unknown"
    except MemoryError:
        if ctx.debug:
            raise
        acc.add("scan.out-of-memory", "high", f"{name}: ran out of memory while scanning", effect="error")
        return "unknown"
    except Exception as exc:  # one bad file never aborts a run: it is that file's error
        if ctx.debug:
            raise
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
        acc.add("scan.internal-error", "high", f"{name}: could not be judged: {type(exc).__name__}: "
                f"{str(exc)[:200]}{at} (mlbom scan --debug shows the traceback)", effect="error")
        return "unknown"
    _check_claim(name, fmt, acc)
    return fmt


_UNKNOWN_CLAIM = "content is in no format mlbom recognises (unknown); "


# names of programs other frameworks load and mlbom does not read: a TF GraphDef (.pb: ONNX is
# the only .pb content mlbom reads, and a GraphDef is in no format it knows), a TF1 MetaGraph
# (model.ckpt.meta), PaddlePaddle's program, Caffe's nets (Python layers), TFLite (Flex ops run TF
# ops), TensorRT engines (.engine/.plan/.trt: a version-compatible engine carries plugin libraries
# the runtime loads when host code is allowed), TorchServe archives (.mar: a handler's Python), native
# libraries (a custom-op library an ONNX runtime session loads by path): content in no format mlbom
# knows under such a name is that program, not raw bytes (113pa-4; the TensorRT/native lead of stop 47)
_PROGRAM_SUFFIXES = (".pb", ".meta", ".pdmodel", ".prototxt", ".caffemodel", ".tflite", ".engine", ".plan", ".trt",
                     ".mar", ".so", ".dll", ".dylib", ".pyd")


def _claim_of(name: str) -> tuple[str, tuple[str, ...]] | None:
    """The :data:`_CLAIMS` row a file name matches first (its label and accepted formats), or None."""
    lower = name.lower()
    for exts, label, accepted in _CLAIMS:
        if lower.endswith(exts):
            return label, accepted
    return None


def _unread_format_name(path: str) -> bool:
    """The file's name says a format a loader opens by name and mlbom does not read at all (a claim
    that accepts no content: TensorFlow's saved_model.pb, keras_metadata.pb, .pbtxt; a name of
    :data:`_PROGRAM_SUFFIXES`)."""
    lower = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    claim = _claim_of(lower)
    return lower.endswith(_PROGRAM_SUFFIXES) or (claim is not None and not claim[1])


def _check_claim(name: str, fmt: str, acc: _Acc) -> None:
    """A weight-format extension over content of another format is an ``error``."""
    claim = _claim_of(name)
    if claim is None:
        return
    label, accepted = claim
    ok = any(fmt == a or (a.endswith("*") and fmt.startswith(a[:-1])) for a in accepted)
    if not ok and fmt != "git-lfs-pointer":
        shown = _UNKNOWN_CLAIM if fmt == "unknown" else f"content is {fmt}; "
        acc.add("file.format-mismatch", "high", f"{shown}the name {name!r} says {label}", effect="error")


# ---- dispatch --------------------------------------------------------------------------

_IMAGES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
           (b"GIF89a", "image/gif"), (b"BM", "image/bmp"))
_UNSUPPORTED = ((b"7z\xbc\xaf\x27\x1c", "7z"), (b"Rar!\x1a\x07", "rar"), (b"\x28\xb5\x2f\xfd", "zstd"),
                (b"MSCF", "cab"), (b"xar!", "xar"))
# native executables and libraries (a custom-op library beside an ONNX model is one)
_NATIVE = ((b"\x7fELF", "ELF executable or shared library"), (b"MZ", "Windows PE executable or DLL"),
           (b"\xfe\xed\xfa\xce", "Mach-O binary"), (b"\xfe\xed\xfa\xcf", "Mach-O binary"),
           (b"\xce\xfa\xed\xfe", "Mach-O binary"), (b"\xcf\xfa\xed\xfe", "Mach-O binary"),
           (b"\xca\xfe\xba\xbe", "Mach-O universal binary or Java class"))
_OPCODES = pickle_start.OPCODES
# the kinds of zip archive: read from offset 0, also checked for a tar or a pickle there (polyglots)
_ZIP_KINDS = ("zip", "skops", "pytorch-zip", "torchscript", "keras", "numpy-npz", "pytorch-dcp", "pt2")
# formats that are the reading from offset 0 a pickle loader makes (the dispatch walked the bytes as
# a pickle): every other format — one read fine, one that failed (a truncated codec stream, a bomb, a
# broken header: ``error``), one mlbom cannot read (cab, 7z, rar, …: ``archive.unsupported``), code
# by its name — is also checked for a tar or a pickle at offset 0 and a zip at the end (polyglots),
# and the worst reading wins (red team 16c-1, 16c-5). Zip kinds have their own rule below.
_OFFSET0_READ = ("pickle", "pytorch-legacy")


def _scan_content(fh: IO[bytes], size: int, name: str, acc: _Acc, facts: dict[str, str], ctx: _Ctx, *,
                  depth: int, where: str) -> str:
    """Scan one file's (or member's) content: the format it is read as, then the polyglot checks
    — bytes that another loader would read as a pickle (``pickle.load``/``torch.load`` start at
    offset 0) or as a zip archive (``zipfile`` looks at the end) are a differential."""
    read_as = _dispatch(fh, size, name, acc, facts, ctx, depth=depth, where=where)
    _dcp_metadata(fh, size, name, read_as, acc, ctx, depth=depth, where=where)  # a checkpoint's .metadata: its slices
    fmt = _python_by_name(name, read_as, acc, ctx.folder if depth == 0 else None, where)
    _text_reading(fh, size, name, fmt, acc, facts, folder=ctx.folder if depth == 0 else None, where=where)
    if fmt != "hdf5":
        _hdf5_user_block(fh, size, fmt, acc, ctx, depth=depth, where=where)
    base = read_as.split("+", 1)[0]
    if depth > ctx.limits.max_depth:
        return fmt
    if "+" in read_as or (base not in _OFFSET0_READ and base not in _ZIP_KINDS):
        try:
            _tar_polyglot(fh, size, name, read_as, acc, ctx, depth=depth, where=where)
            _pickle_polyglot(fh, size, read_as, acc, where)
            _zip_polyglot(fh, size, name, read_as, acc, ctx, depth=depth, where=where)
        except FormatError:
            pass
    elif base in _ZIP_KINDS and _starts_zip(fh):
        # a zip read from offset 0 (bytes before the archive are scanned as its prefix): its
        # first local header's name and extra field (zipfile skips local extras) can make the
        # same first bytes a tar header or a pickle another loader reads instead
        try:
            _tar_polyglot(fh, size, name, fmt, acc, ctx, depth=depth, where=where)
            _pickle_polyglot(fh, size, fmt, acc, where)
        except FormatError:
            pass
    return fmt


def _starts_zip(fh: IO[bytes]) -> bool:
    fh.seek(0)
    return fh.read(4) in (b"PK\x03\x04", b"PK\x05\x06")


def _python_by_name(name: str, fmt: str, acc: _Acc, folder: Path | None, where: str) -> str:
    """A file named as Python is code to Python (``import`` reads ``.py``/``.pyw`` as source and
    ``.pyc``/``.pyo`` as bytecode) whatever else its bytes also read as: the other reading was
    judged too, the worst wins, and the format says what the name makes it."""
    lower = name.lower()
    if lower.endswith((".py", ".pyw")) and fmt != "python-source":
        _python_source(name, acc, folder, where)
        acc.add("code.polyglot", "high", f"{where}: Python source that also reads as {fmt}: two readers, two "
                "files (judged as both)", effect="suspicious")
        return "python-source"
    if lower.endswith((".pyc", ".pyo")) and fmt != "python-bytecode":
        acc.add("code.python-bytecode", "high", f"{where}: named as compiled Python bytecode: code, not model data "
                f"(import runs it; its bytes also read as {fmt}); not judged", effect="suspicious")
        return "python-bytecode"
    return fmt


def _hdf5_user_block(fh: IO[bytes], size: int, fmt: str, acc: _Acc, ctx: _Ctx, *, depth: int, where: str) -> None:
    """h5py (Keras .h5) finds an HDF5 superblock at offset 0, 512, 1024, 2048, …: whatever
    precedes it is a "user block" that other loaders read as the file. Such a file is two files."""
    off = 512
    while off + 8 <= size:
        fh.seek(off)
        if fh.read(8) == b"\x89HDF\r\n\x1a\n":
            acc.add("hdf5.user-block", "high", f"{where}: an HDF5 file starts at offset {off} (h5py reads it; "
                    f"other loaders read the {fmt} before it)", effect="suspicious")
            try:
                _scan_content(Window(fh, off, size - off), size - off, "embedded.h5", acc, {}, ctx,  # type: ignore[arg-type]
                              depth=depth + 1, where=f"{where} (HDF5 at {off})")
            except FormatError as exc:
                acc.add("format.invalid", "high", f"{where} (HDF5 at {off}): {exc}", effect="error")
            return
        off *= 2


def _hdf5_behind_inert_block(fh: IO[bytes], size: int, block: tuple[int, str], acc: _Acc, facts: dict[str, str],
                             where: str) -> str:
    """An HDF5 file behind a user block that holds nothing another loader reads (zeros, or a
    MATLAB v7.3 header then zeros; red team 18e-6): one file, judged as HDF5. The polyglot checks
    of the whole file still run after the dispatch."""
    off, what = block
    facts["hdf5.user-block"] = str(off)
    acc.add("hdf5.user-block-inert", "info", f"{where}: the HDF5 file starts at offset {off}, behind a user block "
            f"of {what}: nothing another loader reads; judged as HDF5")
    return _scan_hdf5(Window(fh, off, size - off), size - off, acc, facts, where)  # type: ignore[arg-type]


_TAR_KINDS = ("tar", "pytorch-legacy-tar")


def _tar_polyglot(fh: IO[bytes], size: int, name: str, fmt: str, acc: _Acc, ctx: _Ctx, *, depth: int,
                  where: str) -> None:
    """``torch.load`` reads any non-zip file whose first block ``tarfile`` accepts as its legacy
    tar format, whatever else the bytes are; a tar read first may also be a safetensors file
    (``safetensors`` reads the same bytes as a header and tensors). Both readings are judged."""
    fh.seek(0)
    head = fh.read(512)
    if fmt in _TAR_KINDS:
        if _is_safetensors(head, size):
            acc.add("safetensors.polyglot", "high", f"{where}: this tar file is also a safetensors file "
                    "(safetensors reads its first bytes as a header): two loaders read two different files",
                    effect="suspicious")
            try:
                fh.seek(0)
                _merge(weights.parse_safetensors(fh, size), acc, {}, f"{where} (read as safetensors)")
            except FormatError as exc:
                acc.add("format.invalid", "high", f"{where} (read as safetensors): {exc}", effect="error")
        codec = detect(head)
        if codec == "lzma" and not head.startswith(b"\x5d\x00") and not name.lower().endswith((".xz", ".lzma")):
            # a tar header whose short member name reads as an LZMA-alone header (m0.pkl: red team 117pk):
            # joblib takes only its 5d 00 prefix, and pandas/lzma.open decode LZMA-alone only when told xz
            # (by a .xz name); no loader reads this tar as LZMA
            codec = None
        if codec is not None and (codec != "zlib" or zlib_confirmed(head)):
            acc.add("compressed.polyglot", "high", f"{where}: this tar file is also a {codec} stream (joblib and "
                    "pandas decompress it by its first bytes): two loaders read two different files",
                    effect="suspicious")
            try:
                _scan_compressed(fh, codec, size, name, acc, {}, ctx, depth=depth + 1,
                                 where=f"{where} (read as {codec})")
            except FormatError as exc:
                acc.add("format.invalid", "high", f"{where} (read as {codec}): {exc}", effect="error")
        return
    if not datafile.is_tar(head) or any(f is fh for f in ctx.tar_read):
        return
    acc.add("tar.polyglot", "high", f"{where}: this {fmt} file is also a tar archive from its first block: "
            "torch.load reads it as its legacy tar format", effect="suspicious")
    try:
        _scan_tar(fh, size, name, acc, {}, ctx, depth=depth + 1, where=f"{where} (read as a tar)")
    except _TarRefused as exc:  # torch.load falls back to offset 0 as a pickle: _pickle_polyglot's reading
        acc.add("tar.refused", "info", f"{where} (read as a tar): tarfile refuses it ({exc})")
    except FormatError as exc:
        acc.add("format.invalid", "high", f"{where} (read as a tar): {exc}", effect="error")


def _pickle_polyglot(fh: IO[bytes], size: int, fmt: str, acc: _Acc, where: str) -> None:
    fh.seek(0)
    first = fh.read(64)
    if not first or first[0] not in _OPCODES:
        return
    fh.seek(0)
    rep = _walk(fh, size, joblib=False)
    if _torch_magic(rep):  # torch's magic-number format: five pickles, all judged
        acc.add("pickle.polyglot", "high", f"{where}: this {fmt} file is also torch's legacy magic-number "
                "format from its first byte: torch.load reads it so when tarfile refuses it (or it is no tar)",
                effect="suspicious")
        fh.seek(0)
        _scan_torch_legacy(fh, size, acc, {}, where=f"{where} (read as torch's legacy format)")
        return
    reading = _pickle_reading(rep)
    if reading != "no" and first.startswith(b"PK\x03\x04") and rep.persistent_first and rep.verdict != "unsafe":
        # a zip's "PK" is PERSID with a str id: pickle.load, joblib and pandas have no
        # persistent_load, torch.load reads the file as a zip, and torch.package's load_pickle
        # asserts a tuple id (read on only under python -O, into a None it cannot SETITEM or call):
        # a protocol-0 torch.save archive reads so (red team 44f-2). What the reading would do
        # is still judged where it is unsafe.
        acc.add("pickle.polyglot", "info", f"{where}: this {fmt} file also reads as a pickle after its first "
                "opcode, a persistent id every loader refuses there (pickle.load, joblib, torch.load, torch.package)",
                effect=None)
        return
    if reading == "pickle":
        acc.add("pickle.polyglot", "high", f"{where}: this {fmt} file is also a pickle from its first byte: "
                "pickle.load and torch.load would run it", effect="suspicious")
        acc.pickle(rep, f"{where} (read as a pickle)")
    elif reading == "unproven":
        acc.add("pickle.polyglot", "high", f"{where}: this {fmt} file also reads as a pickle from its first byte "
                f"and mlbom's walk stopped after {rep.opcodes} opcodes where a loader may read on ({rep.error}): "
                "pickle.load and torch.load may run it", effect="suspicious")


def _zip_polyglot(fh: IO[bytes], size: int, name: str, fmt: str, acc: _Acc, ctx: _Ctx, *, depth: int,
                  where: str) -> None:
    eocd = find_end_record(fh, size)
    if eocd is None:
        return
    try:
        arc = read_archive(fh, size, eocd, ctx.limits)
    except FormatError as exc:
        # zipfile.is_zipfile needs no more than the end record found here (Keras then opens the
        # file as a .keras zip), and zipfile may read what mlbom cannot: not judged, never nothing
        acc.add("zip.polyglot", "high", f"{where}: this {fmt} file also ends in a zip end record "
                f"(zipfile.is_zipfile accepts it; Keras and numpy would open it as a zip) whose archive mlbom "
                f"cannot read ({exc}): not judged", effect="suspicious")
        return
    if not arc.entries:
        return
    acc.add("zip.polyglot", "high", f"{where}: this {fmt} file also ends in a zip archive of {len(arc.entries)} "
            "member(s) that zipfile.is_zipfile (Keras, numpy, zip tools) reads instead", effect="suspicious")
    _scan_zip(fh, size, name, acc, {}, ctx, depth=depth + 1, where=f"{where} (as a zip)", eocd=eocd, scan_prefix=False)


def _pickle_at_zero(fh: IO[bytes], size: int, head: bytes) -> bool:
    """Whether ``pickle.load``/``joblib.load``/``torch.load`` (no zip magic at offset 0) read these
    bytes as a pickle from their first byte — a PROTO opcode, or a walk from offset 0 that
    :func:`mlbom.formats.pickle_start.reading` does not prove to raise: a pickle, or opcodes up to
    a bound of the walker (red team 27a-2: the decision never depends on the walk finishing) —
    whatever archive they carry further on: the loaders read through it to STOP (red team 26a-3)."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return True
    if not head[:1] or head[0] not in _OPCODES:
        return False
    fh.seek(0)
    reading = _pickle_reading(_walk(fh, size, joblib=False))
    fh.seek(0)
    return reading != "no"


def _dispatch(fh: IO[bytes], size: int, name: str, acc: _Acc, facts: dict[str, str], ctx: _Ctx, *,
              depth: int, where: str) -> str:
    if depth > ctx.limits.max_depth:
        acc.add("container.too-deep", "high", f"{where}: containers nest more than {ctx.limits.max_depth} deep; "
                "not scanned further", effect="error")
        return "unknown"
    fh.seek(0)
    head = fh.read(512)
    fh.seek(0)
    lower = name.lower()
    try:
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return _scan_zip(fh, size, name, acc, facts, ctx, depth=depth, where=where, eocd=None)
        if head.startswith(b"\x93NUMPY"):
            return _scan_npy(fh, size, acc, facts, ctx, where=where)
        if head.startswith(b"GGUF"):
            from mlbom.formats import gguf  # imported on use: its template judge pulls in Jinja2

            _merge(gguf.parse_gguf(fh, size), acc, facts, where)
            return "gguf"
        if head.startswith(b"\x89HDF\r\n\x1a\n"):
            return _scan_hdf5(fh, size, acc, facts, where)
        if head[:1] in (b"\x00", b"M") and (block := hdf5.inert_user_block(fh, size)) is not None:
            return _hdf5_behind_inert_block(fh, size, block, acc, facts, where)
        if head.startswith(b"version https://git-lfs.github.com/spec/v1"):
            lfs = weights.parse_lfs_pointer(head)
            if lfs is not None:
                _merge(lfs, acc, facts, where)
                return "git-lfs-pointer"
        if datafile.is_tar(head):  # torch.load tries tarfile on every non-zip file before anything else
            try:
                return _scan_tar(fh, size, name, acc, facts, ctx, depth=depth, where=where)
            except _TarRefused as exc:  # torch.load reads on from offset 0 as a pickle: so does the scan
                acc.add("tar.refused", "high", f"{where}: its first block is a tar header but tarfile refuses the "
                        f"archive ({exc}): torch.load then reads the file as a pickle, other tar readers may read "
                        "the tar: judged as what follows", effect="suspicious")
                fh.seek(0)
            except FormatError:  # read and judged as a tar: the polyglot check does not read it again (106p-7)
                ctx.tar_read.append(fh)
                raise
        if _is_safetensors(head, size):
            _merge(weights.parse_safetensors(fh, size), acc, facts, where)
            return "safetensors"
        for magic, kind in _UNSUPPORTED:
            if head.startswith(magic):
                acc.add("archive.unsupported", "high", f"{where}: {kind} archive: mlbom cannot read it, so its "
                        "contents were not scanned", effect="error")
                return kind
        if lower.endswith(".mat") and matlab.looks_like_v4(head):
            # level 4 before the codecs: a double matrix's mopt 0 starts the file with zero bytes,
            # which also begin an LZMA-alone header; where those bytes do go on as a chain of LZMA
            # streams with content (lzma.open and pandas' xz read it: red team 55f-1), the file is
            # judged as that too
            try:
                mat = matlab.parse_mat4(fh, size)
            except FormatError:
                mat = None
            fh.seek(0)
            if mat is not None:
                polyglot = _mat4_lzma_reading(fh, size, name, head, acc, ctx, depth=depth, where=where)
                if polyglot is not None:
                    return polyglot
                _merge(mat, acc, facts, where)
                return "matlab"
        codec = detect(head)
        if lower.endswith(".pb") and codec is None:
            # no magic: a TensorProto is told by parsing all of it strictly — and never where a
            # compressor's magic starts it (red team 47f-1: a tensor name holding "BZh9…" is a bz2
            # stream joblib.load decompresses and unpickles; such a file is judged as what it inflates to)
            from mlbom.formats import onnx

            fh.seek(0)
            tensor = onnx.parse_tensor_file(fh, size, ctx.folder if depth == 0 else None)
            fh.seek(0)
            if tensor is not None:
                _merge(tensor, acc, facts, where)
                return "onnx-tensor"
        if codec == "zstd":  # skippable frames (lz4's and zstd's), then a zstd frame (red team 18c-2)
            acc.add("archive.unsupported", "high", f"{where}: zstd stream after skippable frames (zstandard, pandas' "
                    "'.zst', steps over them): mlbom cannot read it, so its contents were not scanned", effect="error")
            return "zstd"
        if codec is None and lzma_chain_in_file(fh, ctx.limits):  # empty zero-byte LZMA-alone streams (18c-1)
            codec = "lzma"
        if codec is not None and (codec != "zlib" or zlib_confirmed(head)):
            return _scan_compressed(fh, codec, size, name, acc, facts, ctx, depth=depth, where=where)
        eocd = find_end_record(fh, size)
        if eocd is not None and not _pickle_at_zero(fh, size, head):  # zipfile.is_zipfile: data may precede it
            return _scan_zip(fh, size, name, acc, facts, ctx, depth=depth, where=where, eocd=eocd)
        if eocd is not None or (len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5):
            kind = _scan_pickle_file(fh, size, acc, facts, ctx, where=where)
            if eocd is not None:  # the pickle carries a zip (red team 26a-3): zipfile's reading judged too
                _zip_polyglot(fh, size, name, kind, acc, ctx, depth=depth, where=where)
            return kind
        from mlbom.formats import onnx

        if lower.endswith(".onnx") or onnx.looks_like_onnx(head):
            try:
                fh.seek(0)
                refs: list[ExternalRef] = []
                _merge(onnx.parse_onnx(fh, size, ctx.folder if depth == 0 else None, refs), acc, facts, where)
                if depth == 0:  # a model file (not an archive member): its external data are files beside it
                    acc.onnx_refs.extend(refs)
                return "onnx"
            except FormatError:
                if lower.endswith(".onnx"):
                    raise
                fh.seek(0)
        if lower.endswith((".py", ".pyw")):  # whatever else its bytes read as, it is code to Python
            _python_source(name, acc, ctx.folder if depth == 0 else None, where)
            return "python-source"
        if msgpack.starts_map(head) and (fmt := _scan_msgpack(fh, size, acc, ctx, depth=depth, where=where)):
            return fmt  # (before protocol 0/1: a map's first byte is a pickle opcode; the pickle reading is judged after)
        if head[:1] and head[0] in _OPCODES:
            fmt = _try_protocol01(fh, size, acc, facts, ctx, where=where)
            if fmt is not None:
                return fmt
        for magic, kind in _NATIVE:
            if head.startswith(magic) and (magic != b"MZ" or _is_pe(head)):
                acc.add("file.native-code", "high", f"{where}: {kind}: native code, not model data (it runs when "
                        "loaded as a library or executed); not judged", effect="error")
                return "unknown"  # no model format: `generate --model` refuses it like any unknown file
        for magic, kind in _IMAGES:
            if head.startswith(magic):
                acc.add("file.image", "info", f"{where}: {kind} image (recognised by its signature)")
                return "image"
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return "image"
        if lower.endswith((".pyc", ".pyo")) and head[2:4] == b"\r\n":  # a code object's magic number
            acc.add("code.python-bytecode", "high", f"{where}: compiled Python bytecode: code, not model data "
                    "(it runs when imported); not judged", effect="suspicious")
            return "python-bytecode"
        if ubjson.looks_like(head) and not _logging_ini(fh, head):
            if not lower.endswith(".ubj") and size <= MAX_TEXT and _decode_text(_read_all(fh, size)) is not None:
                # text that starts like UBJSON (a Jinja "{#-" comment, "[Demo]"), not named .ubj: a
                # text reader takes it as text, so it is judged as text; one that is also a UBJSON
                # value is judged as that too (red team 97sb: chat_template.jinja was never judged).
                # A .ubj name claims UBJSON: content that is not one UBJSON value is error there
                fmt = _scan_text(fh, size, name, acc, facts, where=where, folder=ctx.folder if depth == 0 else None)
                if _is_ubjson(fh, size):
                    return _scan_ubjson(fh, size, acc, facts, where=where)
                return fmt
            return _scan_ubjson(fh, size, acc, facts, where=where)
        if matlab.looks_like_v5(head):  # (its pickle reading, 'M' being an opcode, was judged above)
            _merge(matlab.parse_mat(fh, size, ctx.limits), acc, facts, where)
            return "matlab"
        if lower.endswith(".mat") and matlab.looks_like_v4(head):  # (level 4's test is weak: named .mat only)
            _merge(matlab.parse_mat4(fh, size), acc, facts, where)
            return "matlab"
        if wordvec.looks_like_fasttext(head):  # word vectors: data read by fixed parsers (red team 122fp-10)
            facts.update(wordvec.parse_fasttext(fh, size))
            return "fasttext-bin"
        if wordvec.looks_like_word2vec(head):
            try:
                facts.update(wordvec.parse_word2vec(fh, size))
                return "word2vec-binary"
            except FormatError:
                fh.seek(0)  # (word2vec's text form, or text that starts so: judged as text)
        return _scan_text(fh, size, name, acc, facts, where=where, folder=ctx.folder if depth == 0 else None)
    except BombError as exc:
        acc.add("compressed.bomb", "high", f"{where}: {exc}", effect="suspicious")
        return _format_name(head, lower)
    except FormatError as exc:
        acc.add("format.invalid", "high", f"{where}: {exc}", effect="error")
        return _format_name(head, lower)


def _scan_msgpack(fh: IO[bytes], size: int, acc: _Acc, ctx: _Ctx, *, depth: int, where: str) -> str | None:
    """A file that is one msgpack map (spaCy's component files, thinc models: red team 119pa-3),
    judged as thinc's and spacy-transformers' ``from_bytes`` read it (:func:`mlbom.formats.msgpack.judge`):
    the bytes a loader reads as content of their own (a shim's ``state`` torch.load reads, a
    tokenizer file HFShim writes, msgpack bytes within) are scanned as such, one level deeper.
    None when the bytes are not one msgpack map (the other readings go on)."""
    fh.seek(0)
    try:
        value = msgpack.parse(fh, size)
    except FormatError:
        value = None
    fh.seek(0)
    if not isinstance(value, dict):
        return None

    def read(blob: msgpack.Blob) -> bytes | None:
        if blob.size > _MAX_CONFIG:
            return None
        fh.seek(blob.offset)
        return fh.read(blob.size)

    judged = msgpack.judge(value, read)
    for fid, sev, msg, effect in judged.findings:
        acc.add(fid, sev, f"{where}: {msg}", effect=effect)  # type: ignore[arg-type]
    scanned = 0
    for blob, name, path, why in judged.nested:
        win = Window(fh, blob.offset, blob.size)
        if why == "bytes" and not _loader_format(win.read(512)):
            continue  # raw bytes (a vector table, an attribute value): no loader reads a format from them
        scanned += 1
        if scanned > msgpack.MAX_NESTED:
            acc.add("msgpack.too-many-nested", "high", f"{where}: more than {msgpack.MAX_NESTED:,} byte values a "
                    "loader reads as content of their own (mlbom's bound): the rest were not judged", effect="error")
            break
        win.seek(0)
        _scan_content(win, blob.size, name, acc, {}, ctx, depth=depth + 1,  # type: ignore[arg-type]
                      where=f"{where}:{path}")
    fh.seek(0)
    return "msgpack"


def _loader_format(head: bytes) -> bool:
    """Whether bytes start like content a loader reads by its format: msgpack map (thinc reads
    nested shim and attribute bytes so), a pickle's PROTO, a zip, NPY, HDF5, a compressed stream, a tar."""
    return (msgpack.starts_map(head) or head.startswith((b"PK\x03\x04", b"\x93NUMPY", b"\x89HDF\r\n\x1a\n"))
            or (len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5) or detect(head) is not None
            or datafile.is_tar(head))


def _mat4_lzma_reading(fh: IO[bytes], size: int, name: str, head: bytes, acc: _Acc, ctx: _Ctx, *, depth: int,
                       where: str) -> str | None:
    """A level-4 MAT-file whose bytes also start LZMA streams (its zero-filled header fields make
    an LZMA-alone header liblzma takes, so small real files decode a few bytes before the stream
    breaks). The LZMA reading (``lzma.open``, pandas' ``xz``) is judged in a trial: where it comes
    to content in some format (red team 55f-1: a pickle), the file is a polyglot judged as that
    too and the kind is returned; where it decodes to bytes in no format (no loader reads anything
    from them), None: the file is the MAT-file."""
    codec = detect(head)
    if codec not in ("lzma", "xz"):
        codec = "lzma" if lzma_chain_in_file(fh, ctx.limits) else None
    fh.seek(0)
    if codec is None:
        return None
    trial, broke = _Acc(), None
    try:
        kind = _scan_compressed(fh, codec, size, name, trial, {}, ctx, depth=depth, where=where)
    except BombError as exc:
        trial.add("compressed.bomb", "high", f"{where}: {exc}", effect="suspicious")
        kind = codec
    except StreamBroken as exc:  # the stream breaks off as the loaders' readers break off: what it gave was judged
        broke, kind = exc, codec
    except FormatError as exc:  # one of mlbom's limits (streams, spool): the loaders read on (red team 57f-1)
        trial.add("format.invalid", "high", f"{where}: {exc}", effect="error")
        kind = codec
    fh.seek(0)
    # a break is the file's own only where what came before it is of no format: _spool lifts the error
    # effects a cut gives the content it judged, so the findings themselves are read (red team 60f-1: a
    # pickle past mlbom's stack bound, then a cut stream, kept no error and was safe)
    no_format = all(f.id == "file.unknown" or f.severity in ("low", "info") for f in trial.findings)
    if not (trial.unsafe or trial.suspicious or trial.error) and no_format \
            and (broke is not None or kind.startswith("unknown+")):
        acc.add("matlab.lzma-reading", "info", f"{where}: its first bytes also start an LZMA stream, which "
                "decodes to bytes in no format a loader reads before it ends or breaks off")
        return None
    acc.add("compressed.polyglot", "high", f"{where}: this level-4 MAT-file is also a chain of LZMA streams "
            f"(lzma.open and pandas' 'xz' decompress it to {kind.split('+')[0]} content): judged as that too",
            effect="suspicious")
    if broke is not None:
        trial.add("format.invalid", "high", f"{where}: {broke}", effect="error")
    acc.findings.extend(trial.findings)
    acc.unsafe, acc.error = acc.unsafe or trial.unsafe, acc.error or trial.error
    acc.suspicious = acc.suspicious or trial.suspicious
    acc.error_ids.update(trial.error_ids)
    acc.imports.update(trial.imports)
    return kind


def _logging_ini(fh: IO[bytes], head: bytes) -> bool:
    """Whether a file starting ``[`` is logging's INI form (``[DEFAULT]``/``[loggers]`` …, red team
    23b-1: :func:`~mlbom.formats.logging_config.looks_like_head`, on its first 64 KiB), not UBJSON."""
    if not logging_config.ini_start(head):
        return False
    fh.seek(0)
    more = fh.read(1 << 16)
    fh.seek(0)
    return logging_config.looks_like_head(more)


def _read_all(fh: IO[bytes], size: int) -> bytes:
    fh.seek(0)
    return fh.read(size)


def _is_ubjson(fh: IO[bytes], size: int) -> bool:
    try:
        ubjson.parse(_read_all(fh, size))
    except FormatError:
        return False
    return True


def _scan_ubjson(fh: IO[bytes], size: int, acc: _Acc, facts: dict[str, str], *, where: str) -> str:
    """UBJSON (XGBoost's ``.ubj`` model): pure data, judged as its JSON form is judged
    (:mod:`mlbom.formats.ubjson`); bytes that are not one UBJSON value are ``error``."""
    import json

    if size > ubjson.MAX_BYTES:
        acc.add("ubjson.too-large", "high", f"{where}: UBJSON document of {size} bytes, over mlbom's limit of "
                f"{ubjson.MAX_BYTES}: not judged", effect="error")
        return "ubjson"
    fh.seek(0)
    try:
        value, duplicates, _skipped = ubjson.parse(fh.read(size))
    except FormatError as exc:
        acc.add("ubjson.invalid", "high", f"{where}: starts like UBJSON but is not one UBJSON value ({exc}): "
                "not judged", effect="error")
        return "ubjson"
    if duplicates:
        acc.add("ubjson.duplicate-key", "high", f"{where}: object key(s) {', '.join(sorted(set(duplicates))[:5])!r} "
                "occur twice in one object: readers may keep either value (the last one was judged)",
                effect="suspicious")
    _scan_json(json.dumps(value), acc, facts, where=f"{where} (as JSON)")
    return "ubjson"


def _format_name(head: bytes, lower: str) -> str:
    """The format a broken file claims, for the report."""
    if head.startswith(b"GGUF"):
        return "gguf"
    if head.startswith(b"\x93NUMPY"):
        return "numpy"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    codec = detect(head)
    if codec is not None and (codec != "zlib" or zlib_confirmed(head)):
        return codec
    if lower.endswith(".onnx"):
        return "onnx"
    if _is_safetensors(head, 1 << 62) or lower.endswith(".safetensors"):
        return "safetensors"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "pickle"
    if matlab.looks_like_v5(head):
        return "matlab"
    return "unknown"


def _merge(f: weights.Facts, acc: _Acc, facts: dict[str, str], where: str) -> None:
    facts.update(f.facts)
    for fid, sev, msg in f.findings:
        effect: Verdict | None = f.effects.get(fid)
        if effect is None and fid not in f.effects:
            effect = "unsafe" if sev == "critical" else ("suspicious" if sev == "high" else None)
        acc.add(fid, sev, msg, effect=effect)  # type: ignore[arg-type]


def _is_safetensors(head: bytes, size: int) -> bool:
    """An 8-byte little-endian length then ``{``: what the safetensors library reads."""
    if len(head) < 9 or size < 9:
        return False
    (n,) = struct.unpack("<Q", head[:8])
    return 2 <= n < 1 << 40 and head[8:9] == b"{" and head[9:10] in (b'"', b" ", b"\n", b"\r", b"\t", b"}", b"")


def _is_pe(head: bytes) -> bool:
    """``MZ`` with ``e_lfanew`` pointing at a ``PE\\0\\0`` signature (a Windows executable or DLL)."""
    if len(head) < 64:
        return False
    (at,) = struct.unpack("<L", head[60:64])
    return 64 <= at <= len(head) - 4 and head[at:at + 4] == b"PE\0\0"


# ---- text, JSON, images ------------------------------------------------------------------

_ALONE = (" (if it is an ONNX model's external data, scan the model's folder: there it is judged as the "
          "model's raw tensor bytes)")


def _text_codec(data: bytes) -> str:
    """The codec text readers take for these bytes: PyYAML's Reader on a byte stream takes UTF-16
    LE/BE by its BOM, UTF-8 otherwise (``yaml.reader.Reader.determine_encoding``);
    ``json.loads(bytes)`` does the same for UTF-16."""
    return "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be" if data[:2] == b"\xfe\xff" else "utf-8"


def _decode_text(data: bytes) -> str | None:
    """All of ``data`` as text the way the text readers decode it, or None (not text: a byte that
    does not decode, or a NUL, which PyYAML refuses and no config or template holds)."""
    try:
        text = data.decode(_text_codec(data))
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _unknown_content(acc: _Acc, where: str, what: str) -> None:
    """Content in no format mlbom recognises: ``error`` (``file.unknown``), except in a zip member
    its archive's loader reads as raw bytes (:data:`_RAW_MEMBER`): ``info``."""
    raw = _RAW_MEMBER.get()
    if raw is not None and raw[0] == where:
        acc.add("zip.raw-member", "info", f"{where}: {what} in no format mlbom recognises; {raw[1]}")
        return
    acc.add("file.unknown", "high", f"{where}: {what} in no format mlbom recognises; not judged{_ALONE}",
            effect="error")


def _scan_text(fh: IO[bytes], size: int, name: str, acc: _Acc, facts: dict[str, str], *, where: str,
               folder: Path | None = None) -> str:
    """Text is recognised positively: all of it is UTF-8 without NUL bytes (read in full up to
    :data:`MAX_TEXT`). Anything else is unknown binary content: ``error`` (:func:`_unknown_content`)."""
    if size > MAX_TEXT:
        _unknown_content(acc, where, f"{size} bytes of content")
        fh.seek(0)
        _prefix_tags(fh.read(MAX_TEXT), acc, where)
        return "unknown"
    fh.seek(0)
    data = fh.read(MAX_TEXT + 1)
    text = _decode_text(data)
    if text is None and (sp := weights.parse_sentencepiece(data)) is not None:
        _merge(sp, acc, facts, where)
        return "sentencepiece"
    if text is None:
        _unknown_content(acc, where, "binary content")
        _prefix_tags(data, acc, where)
        return "unknown"
    _check_parse_work(data, "text")
    return _judge_text(text, name, acc, facts, where=where, folder=folder)


def _prefix_tags(data: bytes, acc: _Acc, where: str) -> None:
    """Python tags in the text before the first byte that does not decode (or NUL), or in the
    first :data:`MAX_TEXT` bytes of text too large to read: PyYAML's streaming reader (4 KiB
    chunks; libyaml 16 KiB) builds and constructs the documents of that prefix before it meets
    the bad byte (rt9b Y1)."""
    codec = _text_codec(data)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        text = data[:exc.start].decode(codec, "ignore")
    prefix = text.split("\x00", 1)[0]
    if "!" in prefix:
        _yaml_tags(prefix, acc, f"{where} (its first {len(prefix)} characters, read as YAML)")


@dataclass(frozen=True)
class _NamedText:
    """A judgement of text that its file's NAME selects (:data:`_NAMED_TEXT`)."""
    kind: str
    shown: str  # a name that selects it: unnamed content is judged under it (:func:`_name_free`)
    matches: Callable[[str], bool]  # on the lower-cased base name
    nul: bool  # whether the reader that name selects reads text holding a NUL byte


# ONE table of the text judgements a name selects: :func:`_judge_text` dispatches through it (a
# name is compared nowhere else there: tests/test_hfcache_rt28c.py), and :func:`_name_free` judges
# content no name reaches under each ``shown`` name (red team 28c-1: MLmodel was re-run under none)
_NAMED_TEXT: tuple[_NamedText, ...] = (
    # transformers >= 4.43 reads chat_template.jinja raw (UTF-8, NULs and all)
    _NamedText("chat-template", "chat_template.jinja", lambda low: low.endswith((".jinja", ".jinja2", ".j2")), True),
    # MLflow's model file: loader module, paths, env files (red team 26e-2..5); yaml.safe_load
    _NamedText("mlmodel", "MLmodel", lambda low: low == "mlmodel", False),
    # NeMo's (config_targets.NEMO_CONFIG): OmegaConf reads JSON in it as YAML, `target`/`cls` keys
    _NamedText("nemo", "model_config.yaml", lambda low: low == "model_config.yaml", False),
    # jsonargparse's jsonnet_load evaluates a .jsonnet/.libsonnet (config_targets.JSONNET_NAMES)
    _NamedText("jsonnet", "config.jsonnet", lambda low: low.endswith(_JSONNET_NAMES), False),
    # onnx.load's protobuf text / textual-syntax serializers, by extension (red team 112pa-3: onnx_text.TEXT_SUFFIXES)
    _NamedText("onnx-text", "model.textproto", lambda low: low.endswith(_ONNX_TEXT_NAMES), False),
    # a name that claims JSON / JSON Lines: text that does not parse is json.invalid
    _NamedText("json", "config.json", lambda low: low.endswith(_JSON_NAMES), False),
    _NamedText("lines", "data.jsonl", lambda low: low.endswith(_JSON_LINES_NAMES), False),
    # documentation: an unparsed config snippet in it is prose (only ever lowers a judgement)
    _NamedText("docs", "README.md", lambda low: low.endswith(_DOC_NAMES), False),
    # gin-config (T5X's config.gin): with dynamic registration it names the callables gin calls
    _NamedText("gin", "config.gin", lambda low: low.endswith(".gin"), False),
    # spaCy's pipeline config (spacy.load reads config.cfg; spacy train any .cfg): source/copy_from_base_model (119pa-4)
    _NamedText("spacy-config", "config.cfg", lambda low: low.endswith(".cfg"), False),
)
_JSONNET_NAMES: tuple[str, ...] = (".jsonnet", ".libsonnet")  # = config_targets.JSONNET_NAMES (that module imports PyYAML)
_ONNX_TEXT_NAMES: tuple[str, ...] = onnx_text.TEXT_SUFFIXES


def _name_kinds(name: str) -> frozenset[str]:
    """The :data:`_NAMED_TEXT` kinds a file name selects (its base name, any separator)."""
    low = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return frozenset(n.kind for n in _NAMED_TEXT if n.matches(low))


# mmengine ``Config._substitute_predefined_vars``: these four, in this order, replaced in the raw text of
# every config (``.py``/``.json``/``.yaml``) before it is parsed (red team 116pa-5)
_MM_PREDEFINED = ("fileDirname", "fileBasename", "fileBasenameNoExtension", "fileExtname")
_MM_PREDEFINED_ANY = re.compile(r"\{\{\s*(?:" + "|".join(_MM_PREDEFINED) + r")\s*\}\}")


def _mm_predefined(text: str, name: str, acc: _Acc, *, where: str, folder: Path | None) -> None:
    """A config with mmengine's predefined variables (``{{ fileBasename }}`` …) is judged again as
    mmengine reads it: the file's own name put in their place (a name may hold YAML: 116pa-5).
    ``{{ fileDirname }}`` is the folder the loader is given, which no scan knows: ``suspicious``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, ext = os.path.splitext(base)
    values = {"fileDirname": "mlbomFolder", "fileBasename": base, "fileBasenameNoExtension": stem,
              "fileExtname": ext}
    read = text
    for key in _MM_PREDEFINED:
        # (as mmengine does: no backslash is left, so the name is a plain replacement string)
        read = re.sub(r"\{\{\s*" + key + r"\s*\}\}", values[key].replace("\\", "/"), read)
    if re.search(r"\{\{\s*fileDirname\s*\}\}", text):
        acc.add("code.remote", "high", f"{where}: {{{{ fileDirname }}}}: mmengine's Config.fromfile puts the folder it "
                "is given into the config's text before parsing it; what that text then says is not known to this "
                "scan", effect="suspicious")
    if read != text:
        _judge_text(read, name, acc, {}, where=f"{where} (as mmengine reads it: {{{{ file… }}}} replaced by the "
                    "file's name)", folder=folder, mm_vars=False)


def _judge_text(text: str, name: str, acc: _Acc, facts: dict[str, str], *, where: str,
                folder: Path | None, mm_vars: bool = True) -> str:
    """The judgements of text: those its name selects (:data:`_NAMED_TEXT`: a chat template, an
    MLmodel, NeMo's config, Jsonnet), then every rule that holds whatever the name
    (:func:`_any_name_rules`: JSON, logging INI, gin, Caffe, YOLO, config targets, YAML tags);
    mmengine's predefined variables replaced (:func:`_mm_predefined`)."""
    if mm_vars and "{{" in text and _MM_PREDEFINED_ANY.search(text):
        _mm_predefined(text, name, acc, where=where, folder=folder)
    kinds = _name_kinds(name)
    if "chat-template" in kinds:
        facts["chat-template.present"] = "true"
        _add_template(acc, text, where)
        # the rules that hold whatever a text's name hold for a template too (red team 115pa-1b, 116pa-1b:
        # gin includes a base.j2; caffe.Net, logging.config.fileConfig, yolov5, OmegaConf, jsonargparse and
        # PyYAML read any name passed to them)
        _any_name_rules(text, name, kinds, acc, facts, where=where, folder=folder, template=True)
        return "chat-template"
    if "mlmodel" in kinds:
        _mlmodel(text, acc, folder, where)
    if "gin" in kinds and "dynamic_registration" not in text:  # (with it, gin is an any-name rule)
        _gin(text, acc, where, folder=folder, every=True)
    if "spacy-config" in kinds:
        for at, what in spacy_cfg.findings(text):
            acc.add("code.remote", "high", f"{where}: {at}: {what}; not judged by this scan", effect="suspicious")
    return _any_name_rules(text, name, kinds, acc, facts, where=where, folder=folder, template=False)


def _any_name_rules(text: str, name: str, kinds: frozenset[str], acc: _Acc, facts: dict[str, str], *, where: str,
                    folder: Path | None, template: bool) -> str:
    """EVERY judgement of text that holds whatever the file's name, in one place for a named
    template and any other text alike (red team 116pa-1b: a copy of three of them in the template
    branch missed the Caffe, logging-INI and YOLO rules). A name only tunes them (``kinds``: JSON
    claims, NeMo's ``target`` keys, documentation lowers unparsed snippets; a ``template``'s
    unparsed snippets are prose too). The format read: a JSON format when the text parsed as JSON
    (the rest is judged on the parsed document), else ``text``."""
    stripped = text.lstrip("\ufeff \t\r\n")
    nemo = "nemo" in kinds
    base = name.replace("\\", "/").rsplit("/", 1)[-1]  # (config_targets' Jsonnet rule reads it: "jsonnet")
    ini = logging_config.looks_like(text)  # logging.config.fileConfig's INI form, any name (red team 23b-1)
    for j in logging_config.judge(text) if ini else ():
        acc.add(j.id, j.severity, f"{where}: {j.message}", effect=j.effect)
    if "dynamic_registration" in text or ("gin" not in kinds and _gin_effect_import(text)):
        _gin(text, acc, where, folder=folder, every="gin" in kinds)  # gin includes a file of any name (114pa-1, 117pa-8)
    if "python_param" in text:  # a Caffe net (caffe.Net reads any path)
        _caffe_python_layers(text, acc, where)
    if not (template or "docs" in kinds) and tf_text.may_be(text):  # a TF MetaGraph / checkpoint state (122fmt-2/-4)
        for j in tf_text.judge(text):
            acc.add(j.id, j.severity, f"{where}: {j.message}", effect=j.effect)
    if stripped[:1] in ("{", "[") and not (ini and stripped[:1] == "["):
        claims = "json" if "json" in kinds else "lines" if "lines" in kinds else None
        fmt = _scan_json(text, acc, facts, where=where, folder=folder, claims=claims)
        if fmt != "text":
            if nemo:  # its `target` class paths (the `_target_` keys: judged on the parsed JSON)
                _config_targets(None, text, acc, where, nemo=True, hydra_key=False)
            return fmt
    if "onnx-text" in kinds:  # onnx.load's text forms (red team 112pa-3)
        _onnx_text(onnx_text.judge_text(text), acc, where)
    if (why := _walk_bomb(text)) is not None:
        acc.add("compressed.bomb", "high", f"{where}: {why}", effect="suspicious")
        return "text"
    if "backbone" in text or "\\" in text:  # a YOLO model definition whose strings parse_model eval()s (112pa-6)
        _yolo_config(None, text, acc, where)
    # (docs, or a template holding Jsonnet-like text no parser reads whole: an unparsed snippet is info)
    docs = template or "docs" in kinds
    if nemo or _may_name_targets(text, base):  # its readings give the Python tags too (one parse per parser)
        tags = _config_targets(None, text, acc, where, nemo=nemo, docs=docs, name=base)
        _yaml_tags(text, acc, where, found=tags, docs=docs)
    else:
        _yaml_tags(text, acc, where, docs=docs)
    return "text"


def text_may_be_judged(data: bytes, name: str) -> bool:
    """Whether a scan of ``data`` as a file called ``name`` may judge anything in it (False: the scan is
    ``safe`` with no finding), by the gates of the text rules themselves (:func:`_scan_text`,
    :func:`_judge_text`, :func:`_any_name_rules`): not UTF-8 text, too long, a name that selects rules,
    JSON, mmengine's ``{{``, a ``!`` (every YAML tag, HyperPyYAML's too), logging INI, gin, Caffe, a TF
    text, YOLO, the config-target walk's own pre-filter (:func:`_may_name_targets`: ``_target_``,
    ``class_path``, ``${``, base configs, a denied dotted word…), a decompressor's budget. The stray
    sweep's pre-filter for the generic configs of folders holding no weight (red team 123d-4): a
    training run's plain ``hparams.yaml`` needs no scan. Keep it in step with those functions' gates."""
    if len(data) > MAX_TEXT or inflation.active():
        return True
    text = _decode_text(data)
    if text is None or _name_kinds(name):
        return True
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return (text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[") or "{{" in text or "!" in text or "\\" in text
            or "tag:yaml.org" in text or "backbone" in text or "python_param" in text or "dynamic_registration" in text
            or _gin_effect_import(text) or logging_config.looks_like(text) or tf_text.may_be(text)
            or _may_name_targets(text, base))


def _onnx_text(found: list[Judged], acc: _Acc, where: str) -> None:
    for j in found:
        acc.add(j.id, j.severity, f"{where}: {j.message}", effect=j.effect)


def _yolo_config(doc: object, text: str | None, acc: _Acc, where: str) -> None:
    """A YOLOv5-style model definition (a parsed JSON ``doc`` or a YAML ``text``): the strings
    ``parse_model`` evaluates (:mod:`mlbom.formats.yolo_cfg`, imported on use: PyYAML), red team 112pa-6."""
    from mlbom.formats import yolo_cfg

    if text is not None and not yolo_cfg.may_be(text):
        return
    for j in yolo_cfg.judge_text(text) if text is not None else yolo_cfg.judge_doc(doc):
        acc.add(j.id, j.severity, f"{where}: {j.message}", effect=j.effect)


def _caffe_python_layers(text: str, acc: _Acc, where: str) -> None:
    """Python layers of a Caffe net (red team 115pa-3, 116pa-1): code outside the file that
    caffe.Net imports and calls at load, as an HF ``auto_map``. Every ``python_param`` field name
    (outside comments and strings: :func:`mlbom.formats.caffe_text.python_params`, protobuf's text
    format) is ``code.remote`` (suspicious) whatever its body looks like; a denied module or
    module.layer read from the body makes it ``unsafe``."""
    from mlbom.formats import caffe_text
    from mlbom.formats.config_targets import denied

    params, count = caffe_text.python_params(text)
    found: list[str] = []
    checked = 0
    for param in params:
        modules = [m.strip() for m in param.modules] or [""]
        for m, la in itertools.product(modules, [la.strip() for la in param.layers] or [""]):
            path = f"{m}.{la}".strip(".")
            found.append(path or "(no module)")
            if checked >= _CAFFE_CHECKS:
                continue  # (past the bound, code.remote only: never safe)
            checked += 1
            why = (denied(path) if path else None) or (denied(f"{m}.x") if m else None)
            if why is not None:
                acc.add("code.dangerous-target", "critical", f"{where}: Caffe Python layer {path!r}: caffe.Net imports "
                        f"and calls it at load ({why})", effect="unsafe")
    if count:
        more = f"; {count - len(params)} more not read" if count > len(params) else ""
        acc.add("code.remote", "high", f"{where}: Caffe net with Python layers ({', '.join(sorted(set(found))[:10])}"
                f"{more}): caffe.Net imports those modules and calls those classes at load; their code is not in "
                "this file", effect="suspicious")


_CAFFE_CHECKS = 4096  # module.layer readings checked against the deny list per file


def _gin_effect_import(text: str) -> bool:
    from mlbom.formats import gin

    return "import" in text and gin.EFFECT_IMPORT.search(text) is not None


def _gin(text: str, acc: _Acc, where: str, *, folder: Path | None = None, every: bool = True) -> None:
    """A gin file's judgement (:mod:`mlbom.formats.gin`); ``every``: a ``.gin`` (all its imports judged and
    listed) or a text of another name gin may include (imports that do something by themselves only).
    A module is the config folder's own when its first part is a ``.py`` file or a folder beside it."""
    from mlbom.formats import gin

    def local(module: str) -> bool:
        first = module.split(".", 1)[0]
        try:
            return folder is not None and ((folder / f"{first}.py").is_file() or (folder / first).is_dir())
        except (OSError, ValueError):
            return True

    for j in gin.judge(text, where, local=local if folder is not None else None, every=every):
        acc.add(j.id, j.severity, j.message, effect=j.effect)


def _mlmodel(text: str, acc: _Acc, folder: Path | None, where: str) -> None:
    """An MLflow ``MLmodel`` (:mod:`mlbom.formats.mlmodel`): in a folder, its paths are checked
    against what a scan of the folder walks (:func:`_dcp_target`) and its env files are read."""
    from mlbom.formats import mlmodel, safe_read

    def inside(rel: str) -> bool:
        return folder is not None and _dcp_target(folder, rel) is not None

    def read(rel: str) -> str | None:
        target = _dcp_target(folder, rel) if folder is not None else None
        if target is None or not target.exists():
            return None
        raw = safe_read.read_bounded(target, MAX_TEXT)
        text = safe_read.decode_utf8(raw, target)
        # the byte-order mark kept: pip decodes by it before any coding declaration (mlmodel.pip_coding)
        return "\ufeff" + text if raw.startswith(b"\xef\xbb\xbf") else text

    for j in mlmodel.judge(text, where, inside=inside if folder else None, read=read if folder else None):
        acc.add(j.id, j.severity, j.message, effect=j.effect)


# documentation (a model card, a README): a config snippet in it that no parser reads whole is
# prose around code, not a config file a framework loads (targets it does parse still count)
_DOC_NAMES: tuple[str, ...] = (".md", ".markdown", ".rst")


def _may_name_targets(text: str, name: str = "") -> bool:
    """Whether PyYAML may read a config target out of this text, whatever its name (12d-3): the
    loaders read a config by what the user passes — OmegaConf.load, jsonargparse's and
    LightningCLI's ``--config`` read any name as YAML, a ``.json`` that is no JSON included. A key
    of :data:`_CODE_KEYS` decodes from YAML only as itself (plain, quoted, or through an alias of
    it) or through an escape (a backslash in a double-quoted scalar: ``"\\x5ftarget_"``); a
    resolver call needs ``${`` (or, again, an escape). So a text with none of these holds no
    target, and any other text gets the YAML walk (bounded: :class:`~mlbom.formats.yaml_tags.EventBudget`).
    A plain dotted string the deny list denies needs no key (18b-1: jsonargparse's ``Callable``
    arguments import it), nor does Jsonnet (18b-2: it computes keys and values):
    :func:`~mlbom.formats.config_targets.may_name_targets`, :func:`~mlbom.formats.config_targets.jsonnet_like`."""
    if ("\\" in text and '"' in text) or "${" in text or "pyref" in text or any(k in text for k in _CODE_KEYS) \
            or "_base_" in text or "_BASE_" in text:  # (base configs: config_includes, 116pa-2/-3)
        return True
    if "name" in text and ("pipeline" in text or "preprocessors" in text):
        return True  # a pyannote.audio pipeline config (119pa-6: config_includes reads its exact shape)
    if "_scope_" in text or "default_scope" in text or "runner_type" in text or _MM_DOTTED_TYPE.search(text):
        return True  # mmengine scopes (122pa-1: config_targets.Targets.mm_scope)
    if any(k in text for k in _CHECKPOINT_KEYS):
        return True  # checkpoints a trainer loads (122pa-3: config_includes reads them)
    if "searchpath" in text or "__include__" in text or "env_set" in text or "@package" in text or (
            "defaults" in text and any(m in text for m in ("..", "//", ".git"))):
        # Hydra's search path, defaults, env_set and # @package header; jsonargparse (117pa-6/-7, 122pa-2, 123pa-1)
        return True
    if _LIGHTNING_CLASS.search(text) and any(k in text for k in ("trainer", "seed_everything", "class_path")):
        return True  # a dotted string jsonargparse may import as a class (122pa-4)
    if _LIGHTNING_PATH.search(text):
        return True  # a config jsonargparse may load (117pa-7) ...
    low = text.lower()
    if any(e in low for e in (".yaml", ".yml", ".json")) and (
            any(m in text for m in ("..", "~", "\\", "://", ".git")) or _ABS_VALUE.search(text)):
        return True  # ... one named by its suffix that may leave the folder
    leaving = any(m in text for m in ("../", "/..", "~/", "~\\")) or _ABS_VALUE.search(text)
    if leaving and any(k in text for k in _JSONARGPARSE_HINTS):
        return True  # ... or whatever its suffix, in a jsonargparse config (118pa-3)
    from mlbom.formats import config_targets as ct

    return ct.may_name_targets(text) or ct.jsonnet_like(text, name)


# a ``type`` key with a dotted value (its scope: mmengine imports ``<scope>.registry``, 122pa-1)
_MM_DOTTED_TYPE = re.compile(r"""\btype['"]?[ \t]*:[ \t]*['"]?[A-Za-z_]\w*\.[A-Za-z_]""")
# keys naming checkpoints a trainer loads (config_includes: LightningCLI, mmengine, NeMo; 122pa-3)
_CHECKPOINT_KEYS = ("ckpt_path", "load_from", "resume_from", "init_from_nemo_model", "init_from_ptl_ckpt")
# a dotted plain value (a key's or a list item's): a class path jsonargparse may import (122pa-4)
_LIGHTNING_CLASS = re.compile(r"""[:\-\[,][ \t]*['"]?[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+['"]?[ \t]*(?:$|[,\]}#])""", re.M)
# keys of which one sits in any config jsonargparse evidently reads (config_includes._jsonargparse)
_JSONARGPARSE_HINTS = ("trainer", "seed_everything", "fit", "class_path", "init_args", "model")
# a value that starts with "/" or a drive (an absolute path)
_ABS_VALUE = re.compile(r"""[:\-,\[{][ \t]*['"]?(?:/|[A-Za-z]:)""")
# a string given for a LightningCLI key that may name a file outside the folder (117pa-7)
_LIGHTNING_PATH = re.compile(r"""\b(?:model|data|trainer|optimizer|lr_scheduler|config)['"]?[ \t]*:[ \t]*['"]?"""
                             r"""(?:/|\.\.|~|\\|[A-Za-z]:|[\w+.-]+://)""")


# a JSON mapping that names code: a key of config_targets.MARKERS or INIT_ARGS, a fiddle pyref
# (spelled here: that module imports PyYAML, which a JSON document does not need)
_CODE_KEYS = ("_target_", "class_path", "init_args", "dict_kwargs", "_instantiator", "_class_path")


def _marks_code(node: dict[object, object]) -> bool:
    # (a logging dictConfig: a ``()`` factory anywhere, a handler's/formatter's/filter's ``class``: 23b-4)
    return (any(k in node for k in _CODE_KEYS) or node.get("type") == "pyref" or "()" in node
            or ("version" in node and any(k in node for k in ("handlers", "formatters", "filters"))))


def _config_targets(doc: object, yaml_text: str | None, acc: _Acc, where: str,
                    *, nemo: bool = False, hydra_key: bool = True, docs: bool = False,
                    name: str = "") -> yaml_tags.TagScan | None:
    """Code a config names for a framework to import and call (Hydra ``_target_``, jsonargparse
    ``class_path``, fiddle pyrefs, OmegaConf resolvers) — a parsed JSON ``doc``, or a YAML text,
    with the ``target`` class paths and Hydra-0.x ``cls`` targets of NeMo's ``model_config.yaml``
    (``nemo``) (:mod:`mlbom.formats.config_targets`, imported on use: PyYAML): deny-listed
    ``unsafe``, any other ``suspicious`` (``code.remote``). A YAML text's Python tags, from the same
    readings, are returned (:func:`_yaml_tags` judges them)."""
    from mlbom.formats import config_includes as ci
    from mlbom.formats import config_targets as ct

    if yaml_text is not None:
        targets = ct.text_targets(yaml_text, class_keys=ct.NEMO_KEYS if nemo else (),
                                  legacy_keys=ct.NEMO_LEGACY_KEYS if nemo else (), hydra_key=hydra_key, name=name)
        # (composed only when a reading met one of its keys — a broken text is not composed again — and
        # the walk's places may not be the document's: an alias, a merge key, mmengine's {{ _base_.x }})
        included = None
        header = hydra_key and ci.env_set_header(yaml_text)  # (a # @package landing at hydra.job.env_set: 123pa-1)
        if hydra_key and (targets.include_keys or header):
            shaped = targets.shaped or targets.unparsed or targets.bounded is not None or "{{" in yaml_text or header
            included = ci.from_yaml(yaml_text) if shaped else ci.Includes(bases=list(targets.bases))
    else:
        targets = ct.json_targets(doc)
        included = ci.from_doc(doc)
    for module in included.modules if included else ():  # (aliases, merge keys: the document as built, 116pa-5)
        targets.kind(ct.MMENGINE)
        if module not in targets.modules:
            targets.modules.append(module)
    known = set(targets.paths)  # (a set: 10,000 class strings against a list were 0.4 s — 123pa-6)
    for cls in dict.fromkeys(included.class_strings) if included else ():  # jsonargparse: a plain string class
        targets.kind(ct.JSONARGPARSE)                                     # path (122pa-4)
        if cls not in known:
            known.add(cls)
            targets.paths.append(cls)
    for cls in included.classes if included else ():  # pyannote.audio's pipeline/preprocessors names (119pa-6)
        targets.kind(ct.PYANNOTE)
        if cls not in targets.paths:
            targets.paths.append(cls)
    for j in ct.judge(targets) if targets else ():
        if docs and j.id == "config.unparsed-targets":
            acc.add(j.id, "info", f"{where}: documentation, not judged as a config: {j.message}")
            continue
        acc.add(j.id, j.severity, f"{where}: {j.message}", effect=j.effect)
    if included:
        _config_includes(included, acc, where)
    return targets.tags if yaml_text is not None else None


_BASE_LOADERS = {
    "_BASE_": ("detectron2/fvcore _BASE_ config", "detectron2's merge_from_file (fvcore CfgNode.load_yaml_with_base, "
               "yaml.unsafe_load allowed by default)"),
    "_base_": ("mmengine _base_ config", "mmengine Config.fromfile (a .py base: executed)"),
}


def _config_includes(included: ci.Includes, acc: _Acc, where: str) -> None:
    """The base configs a config inherits (detectron2/fvcore ``_BASE_``, mmengine ``_base_``: red team
    116pa-2/-3) and the ``custom_imports`` mmengine fills in at load (116pa-5). A base that leaves what a
    scan of the folder judges (absolute, a drive, ``~``, a URL, a folder the walker skips, a backslash,
    mmengine's ``pkg::path``) is ``code.remote``; any other — inside the folder, or climbing out with
    ``..`` to a file the same folder scan may walk (a checkout's ``configs/``) — is a reference settled
    after the walk (:class:`CodeRef`): judged only when this run scanned that very file."""
    outside: list[str] = []
    if len(included.bases) > _MAX_REFS:  # never a silent cap (rt9b R1)
        outside.append(f"more than {_MAX_REFS} base configs (the rest not checked)")
    for key, value in included.bases[:_MAX_REFS]:
        what, loader = _BASE_LOADERS[key]
        why = leave_reason(value, skipped=_UNWALKED, home=True, url=True)
        if key == "_base_" and "::" in value:
            why = "names a config of an installed package (pkg::path)"
        elif "\\" in value:
            why = "holds a backslash"
        if why is None or why.startswith("climbs out"):
            acc.code_refs.append(CodeRef(value, value, what, loader, where))
        else:
            code = " (Python: executed)" if key == "_base_" and value.strip().lower().endswith(".py") else ""
            outside.append(f"{key} {value[:200]!r}{code}: it {why}; {loader} reads it")
    for why in included.odd:
        outside.append(f"{why[:300]} (filled in when the config is loaded: not judged)")
    outside.extend(_hydra_includes(included))
    outside.extend(_jsonargparse_includes(included, acc, where))
    _hydra_env_set(included.env_set, acc, where)
    _config_checkpoints(included.checkpoints, acc, where)
    if outside:
        shown = "; ".join(outside[:5]) + (f"; and {len(outside) - 5} more" if len(outside) > 5 else "")
        acc.add("code.remote", "high", f"{where}: the config pulls in files or modules outside what this scan "
                f"judged: {shown}", effect="suspicious")


_HYDRA_SEARCHPATH = ("Hydra's config loader adds it to the config search path and composes the defaults list "
                     "from it (ConfigLoaderImpl._process_config_searchpath)")


def _hydra_searchpath_leaves(entry: str) -> str | None:
    """Why a ``hydra.searchpath`` entry reaches configs or code no scan of the folder judges (117pa-6), or
    None: a relative folder (Hydra joins it to the working directory; one in the model's folder is
    walked and judged there)."""
    if entry.startswith("<"):
        return f"is {entry[1:-1]}, not a path"
    if "${" in entry:
        return "is computed when the config is loaded (an interpolation)"
    scheme, sep, rest = entry.partition("://")
    if sep and scheme == "pkg":
        return "names a Python package (pkg://: importlib.resources imports it, then its configs are read)"
    if sep and scheme != "file":
        return f"uses the config source {scheme[:40]!r}:// (configs from code or a plugin, not from this folder)"
    path = rest if sep else entry
    if not path.strip():
        return "names the working directory"
    why = leave_reason(path, skipped=_UNWALKED, home=True)
    return "holds a backslash" if why is None and "\\" in path else why


def _hydra_default_leaves(path: str) -> str | None:
    """Why a config a Hydra ``defaults`` entry names (``group/option``) lands outside the search-path root
    (:func:`_hydra_searchpath_leaves`'s folders), or None. One leading ``/`` is Hydra's own (the root)."""
    p = path[1:] if path.startswith("/") else path
    why = leave_reason(p, skipped=_UNWALKED, url=True)
    if why is None and "\\" in p:
        why = "holds a backslash"
    if why is None and "${" in p:  # ``${a}${b}`` with the choices ``.``: a ``..`` made at load
        for part in p.split("/"):
            rest = re.sub(r"\$\{[^{}]*\}", "", part)
            count = part.count("${")
            if count and set(rest) <= {"."} and (count > 1 or rest):
                return "may spell '..' from interpolated choices"
    return why


def _hydra_includes(included: ci.Includes) -> list[str]:
    """What a Hydra config's search path and defaults list reach outside the folder (117pa-6)."""
    out: list[str] = []
    for entry in included.searchpath[:_MAX_REFS]:
        why = _hydra_searchpath_leaves(entry)
        if why is not None:
            out.append(f"hydra.searchpath entry {entry[:200]!r}: it {why}; {_HYDRA_SEARCHPATH}")
    for path in included.defaults[:_MAX_REFS]:
        why = _hydra_default_leaves(path)
        if why is not None:
            out.append(f"Hydra defaults entry {path[:200]!r}: it {why}; Hydra's FileConfigSource joins it to the "
                       "config search path (os.path.join) and composes it")
    if len(included.searchpath) + len(included.defaults) > 2 * _MAX_REFS:
        out.append(f"more than {_MAX_REFS} Hydra search-path or defaults entries (the rest not checked)")
    return out


# environment variables that make a process (or a program it starts) load code, a library or a program of the
# variable's choosing (red team 122pa-2): the dynamic linker's, Python's, the shells', git's (GIT_CONFIG_* sets
# any git config: core.fsmonitor, core.sshCommand run commands), Perl's, Ruby's, Node's, the JVM's, the
# compilers torch.compile/Triton call (CC, CXX) and the programs libraries start by name (BROWSER, EDITOR …)
_ENV_CODE = frozenset({
    "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
    "PYTHONWARNINGS", "PYTHONBREAKPOINT", "PYTHONUSERBASE", "PYTHONEXECUTABLE", "PYTHONPLATLIBDIR",
    "PYTHONSAFEPATH", "PYTHONNOUSERSITE", "PYTHONINSPECT", "BASH_ENV", "ENV", "SHELL", "SHELLOPTS", "BASHOPTS",
    "PS4", "IFS", "PROMPT_COMMAND", "BROWSER", "EDITOR", "VISUAL", "PAGER", "SSH_ASKPASS", "SUDO_ASKPASS",
    "PERL5OPT", "PERL5LIB", "PERLLIB", "RUBYOPT", "RUBYLIB", "NODE_OPTIONS", "NODE_PATH", "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH", "LUA_INIT", "CC", "CXX", "LDSHARED", "CUDA_HOME",
    "TRITON_LIBCUDA_PATH", "TRITON_PTXAS_PATH", "HOME", "XDG_CONFIG_HOME", "LESSOPEN", "LESSCLOSE",
    "OPENSSL_CONF", "OPENSSL_ENGINES", "GCONV_PATH", "LOCPATH", "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL", "PIP_CONFIG_FILE",
})
_ENV_CODE_PREFIXES = ("LD_", "DYLD_", "GIT_", "BASH_FUNC_", "NCCL_NET", "NCCL_TUNER", "NCCL_PROFILER")
_ENV_CODE_SUFFIXES = ("_PLUGIN", "_PLUGIN_PATH", "_PLUGINS")
# variables that only tune a run (threads, devices, logging): data, no finding
_ENV_DATA = frozenset({
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS", "NUMEXPR_MAX_THREADS",
    "VECLIB_MAXIMUM_THREADS", "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "CUDA_LAUNCH_BLOCKING",
    "TOKENIZERS_PARALLELISM", "HYDRA_FULL_ERROR", "NCCL_DEBUG", "NCCL_P2P_DISABLE", "NCCL_IB_DISABLE",
    "NCCL_ASYNC_ERROR_HANDLING", "TF_CPP_MIN_LOG_LEVEL", "WANDB_MODE", "WANDB_SILENT", "PYTHONUNBUFFERED",
    "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING", "PYTHONFAULTHANDLER",
    # torch.distributed / torchrun's rendezvous variables (123pa-4: Hydra's documented ``env_set: {RANK:
    # ${hydra:job.num}}``, website/docs/configure_hydra/job.md; torch/distributed/run.py, elastic agent's worker
    # env; Lightning's LightningEnvironment/TorchElasticEnvironment read them): integers and a host/port; the
    # determinism/allocator settings (a number or a key:value list)
    "RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "NODE_RANK", "GROUP_RANK", "ROLE_RANK",
    "ROLE_WORLD_SIZE", "GROUP_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RESTART_COUNT",
    "TORCHELASTIC_MAX_RESTARTS", "TORCHELASTIC_RUN_ID", "PL_GLOBAL_SEED", "PL_SEED_WORKERS",
    "CUBLAS_WORKSPACE_CONFIG", "PYTORCH_CUDA_ALLOC_CONF",
})
_HYDRA_ENV_SET = ("Hydra's run_job sets it while the task runs (env_override: os.environ.update of hydra.job.env_set), "
                  "for the task and every process it starts")


def env_var_loads_code(name: str) -> bool:
    """Whether setting environment variable ``name`` makes a process load code or run a program of its value's
    choosing (:data:`_ENV_CODE`; upper-cased: Windows' names ignore case)."""
    up = name.strip().upper()
    return up in _ENV_CODE or up.startswith(_ENV_CODE_PREFIXES) or up.endswith(_ENV_CODE_SUFFIXES)


def _hydra_env_set(names: list[str], acc: _Acc, where: str) -> None:
    """Hydra's ``hydra.job.env_set`` (red team 122pa-2, ``config.env-set``): a variable that loads code
    (:func:`env_var_loads_code`) is ``unsafe``; any other outside :data:`_ENV_DATA`, and an env_set that is no
    literal mapping, ``suspicious``. hydra-core 1.3 ``hydra/core/utils.py`` ``run_job``/``env_override``."""
    code = [n for n in names if not n.startswith("<") and env_var_loads_code(n)]
    other = [n for n in names if n not in code and n.strip().upper() not in _ENV_DATA]
    if code:
        acc.add("config.env-set", "critical", f"{where}: hydra.job.env_set sets environment variables that make "
                f"a process load code or run a program: {', '.join(repr(n[:100]) for n in code[:10])}"
                f"{' …' if len(code) > 10 else ''}; {_HYDRA_ENV_SET}", effect="unsafe")
    if other:
        shown = ", ".join(n[:200] if n.startswith("<") else repr(n[:100]) for n in other[:10])
        acc.add("config.env-set", "high", f"{where}: hydra.job.env_set sets environment variables this scan did not "
                f"judge: {shown}{' …' if len(other) > 10 else ''}; {_HYDRA_ENV_SET}", effect="suspicious")


_CKPT_LOADERS = {
    "lightning": "LightningCLI passes it to Trainer.fit/validate/test/predict, which torch.loads it "
                 "(lightning/fabric/utilities/cloud_io.py _load)",
    "lightning+weights_only=false": "LightningCLI passes it to Trainer.fit/validate/test/predict with the config's "
                                    "weights_only: false — a full unpickle (lightning/fabric/utilities/cloud_io.py "
                                    "_load)",
    "lightning-script": "a Lightning training script passes it to Trainer.fit (lightning-hydra-template's src/train.py: "
                        "trainer.fit(..., ckpt_path=cfg.get(\"ckpt_path\"))), which torch.loads it "
                        "(lightning/fabric/utilities/cloud_io.py _load)",
    "mmengine": "mmengine's Runner (load_from/resume) or PretrainedInit (init_cfg) loads it with torch.load "
                "(runner/checkpoint.py CheckpointLoader; torch's default weights_only: a full unpickle before "
                "torch 2.6)",
    "nemo": "NeMo restores it (ModelPT.maybe_init_from_pretrained_checkpoint: restore_from / torch.load; "
            "exp_manager: Lightning's ckpt_path)",
}
# LightningCLI's ckpt_path values that name no file (checkpoint_connector._parse_ckpt_path)
_CKPT_SPECIAL = frozenset({"last", "best", "hpc", "registry"})


def _config_checkpoints(checkpoints: list[tuple[str, str, str]], acc: _Acc, where: str) -> None:
    """Checkpoints a trainer loads by the config's word (red team 122pa-3): a Lightning/NeMo ``ckpt_path`` that
    is an ``http`` URL is ``code.remote`` (``suspicious``): Lightning's ``_load`` forces ``weights_only=False``
    for it (``torch.hub.load_state_dict_from_url``); a local path leaving the folder (``leave_reason``), or a
    Lightning/NeMo path another fsspec scheme reads, is ``config.path-outside`` (``suspicious``). mmengine's
    URLs (every OpenMMLab config has them: ``download.openmmlab.com``) are no finding."""
    remote: list[str] = []
    outside: list[str] = []
    for key, value, loader in checkpoints[:_MAX_REFS]:
        low = value.lower()
        if loader.startswith("lightning") and (low in _CKPT_SPECIAL or low.startswith("registry:")):
            continue
        how = _CKPT_LOADERS[loader]
        if "://" in value and low.startswith("http"):
            if loader != "mmengine":
                remote.append(f"{key} {value[:200]!r}: {how}; an http(s) URL is downloaded and unpickled with "
                              "weights_only=False unless the config sets weights_only")
            continue
        if "://" in value and loader == "mmengine":
            continue  # (mmengine's other schemes: a file backend's storage, as its URLs)
        why = leave_reason(value, skipped=_UNWALKED, home=True, url=True)
        if why is None and "\\" in value:
            why = "holds a backslash"
        if why is not None:
            outside.append(f"{key} {value[:200]!r}: it {why}; {how}")
    if len(checkpoints) > _MAX_REFS:
        outside.append(f"more than {_MAX_REFS} checkpoints (the rest not checked)")
    if remote:
        acc.add("code.remote", "high", f"{where}: the config loads a checkpoint from the network: "
                f"{'; '.join(remote[:5])}", effect="suspicious")
    if outside:
        acc.add("config.path-outside", "high", f"{where}: the config names checkpoints outside what a scan of this "
                f"folder judged: {'; '.join(outside[:5])}{' …' if len(outside) > 5 else ''}", effect="suspicious")


_JSONARGPARSE = ("jsonargparse/LightningCLI config", "jsonargparse (parse_value_or_config: a string given for a "
                 "class-, subclass- or dataclass-typed argument, or for LightningCLI's model/data/trainer/config, "
                 "that names an existing file is loaded as that argument's config; its class_path is imported)")
_JSONARGPARSE_INCLUDE = ("jsonargparse __include__ config", "jsonargparse (config_include_enabled: "
                         "resolve_config_includes loads every config an __include__ names)")


def _leaving_config_file(value: str, what: str, loader: str, acc: _Acc, where: str) -> str | None:
    """Why a config file a loader reads by name (a jsonargparse config path, a HyperPyYAML
    ``!include:``) lands outside what a scan of the folder judges — absolute, a drive, ``~``, a URL,
    a folder the walker skips, a backslash —, or None: inside (judged where it lies), or climbing out
    with ``..`` (a :class:`CodeRef` settled after the walk, as a ``_BASE_``: judged only when this run
    scanned that very file)."""
    why = leave_reason(value, skipped=_UNWALKED, home=True, url=True)
    if why is None and "\\" in value:
        why = "holds a backslash"
    if why is not None and why.startswith("climbs out"):
        acc.code_refs.append(CodeRef(value, value, what, loader, where))
        return None
    return why


def _jsonargparse_includes(included: ci.Includes, acc: _Acc, where: str) -> list[str]:
    """Configs jsonargparse may load that leave the folder (117pa-7): one climbing out with ``..`` is a
    reference settled after the walk (:class:`CodeRef`, as a ``_BASE_``); one absolute, on a drive, under
    ``~``, a URL or in a folder the walker skips is outside; one inside is judged where it lies."""
    out: list[str] = []
    for key, value in included.config_paths[:_MAX_REFS]:
        what, loader = _JSONARGPARSE_INCLUDE if key == "__include__" else _JSONARGPARSE
        why = _leaving_config_file(value, what, loader, acc, where)
        if why is not None:
            out.append(f"{key} {value[:200]!r}: it {why}; {loader}")
    if len(included.config_paths) > _MAX_REFS:
        out.append(f"more than {_MAX_REFS} config paths jsonargparse may load (the rest not checked)")
    return out


def _pickle_config(value: object, acc: _Acc, where: str) -> None:
    """Config targets in the data a pickle returns (a Lightning checkpoint's hyper-parameters:
    :func:`mlbom.formats.config_targets.pickle_targets`), judged as a config's."""
    from mlbom.formats import config_targets as ct

    plain: list[object] = []
    targets = ct.pickle_targets(value, plain_out=plain)
    for j in ct.judge(targets) if targets else ():
        acc.add(j.id, j.severity, f"{where}: the pickle's data, read as a config: {j.message}", effect=j.effect)
    if plain:
        _pickled_yolo(plain[0], acc, where)


def _pickled_yolo(doc: object, acc: _Acc, where: str) -> None:
    """YOLO model definitions in a pickle's data (red team 115pa-5: a yolov5 checkpoint's ``model`` is an
    object with a ``yaml`` attribute; ``train.py --weights`` builds ``Model(ckpt['model'].yaml)`` and
    ``parse_model`` evaluates its strings): every mapping holding ``backbone`` and ``head``, each once."""
    from mlbom.formats import yolo_cfg

    seen: set[int] = set()
    stack = [doc]
    found: list[Judged] = []
    while stack and len(found) < 10:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            if "backbone" in node and "head" in node:
                found.extend(yolo_cfg.judge_doc(node))
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    for j in found:
        acc.add(j.id, j.severity, f"{where}: the pickle's data, a YOLO model definition: {j.message}", effect=j.effect)


# formats the text judgements above produced (or refused: not text); a reading as anything else
# is also read as text (:func:`_text_reading`)
_TEXT_KINDS = frozenset({"text", "json", "sharded-index", "keras-config", "chat-template", "sentencepiece",
                         "unknown", "python-source", "python-bytecode"})
# formats whose bytes are text by design: protocol-0 pickles, Git LFS pointers
_TEXT_BORN = ("pickle", "git-lfs-pointer")
# names a text loader reads (PyYAML, json, Jinja, transformers' config.json, jsonargparse's toml/jsonnet modes)
_TEXT_NAMES = (".yaml", ".yml", ".json", ".jinja", ".jinja2", ".j2", ".toml", ".jsonnet", ".libsonnet")
_TEXT_PROBE = 1 << 16
# C0 control characters PyYAML's reader refuses (it takes tab, LF, CR) and strict JSON refuses
# anywhere (inside strings too)
_TEXT_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _text_reading(fh: IO[bytes], size: int, name: str, fmt: str, acc: _Acc, facts: dict[str, str], *,
                  folder: Path | None, where: str) -> None:
    """A file read as another format by its first bytes (a BMP ``BM``, ``GIF89a``, ``RIFF….WEBP``,
    a tar header block of printable ASCII, a protocol-0 pickle) may also be text that
    ``yaml.load``, ``json.load``, ``model_from_json``, Jinja or transformers' config reader read
    as such: those readers look at no signature. When all of it decodes as they decode it, the
    text judgements run too (the worst verdict wins), and a format that text does not carry by
    design — or a name a text loader reads — is a differential (``text.polyglot``). When only a
    prefix decodes, PyYAML's streaming reader may still build the first documents of it before
    it meets the first bad byte: that prefix is checked for Python tags."""
    base = fmt.split("+", 1)[0]
    if fmt in _TEXT_KINDS or size == 0:
        return
    fh.seek(0)
    head = fh.read(_TEXT_PROBE)
    codec = _text_codec(head)
    try:
        text = codecs.getincrementaldecoder(codec)("strict").decode(head, final=len(head) >= size)
    except UnicodeDecodeError as exc:
        text = head[:exc.start].decode(codec, "ignore")
        whole = False
    else:
        whole = "\x00" not in text
    longer: bytes | None = None  # the head decoded to its end: the prefix may run on past it (26c)
    if whole and len(head) < size:
        fh.seek(0)
        longer = fh.read(MAX_TEXT + (size <= MAX_TEXT))
        if size > MAX_TEXT:
            whole = False
        else:
            full = _decode_text(longer)
            whole = full is not None
            text = full if full is not None else text
    named = name.lower().endswith(_TEXT_NAMES)
    if not whole:
        _python_reading(fh, size, head, fmt, acc, where)
        if longer is not None:  # the prefix PyYAML builds runs to the first bad byte, past the head
            _prefix_tags(longer[:MAX_TEXT], acc, where)
        elif "!" in (prefix := text.split("\x00", 1)[0]):
            _yaml_tags(prefix, acc, f"{where} (its first {len(prefix)} characters, read as YAML)")
        if size > MAX_TEXT and "\x00" not in text and len(text) >= _TEXT_PROBE // 4 and (named or base not in _TEXT_BORN):
            acc.add("text.polyglot", "high", f"{where}: this {fmt} file starts as text that YAML/JSON readers take "
                    f"(no signature checked) and is too large ({size} bytes) to read in full as text: not judged "
                    "as text", effect="suspicious")
        return
    refused = _TEXT_REFUSED.search(text)
    if refused is not None and not named and base not in _TEXT_BORN:
        # PyYAML's reader and JSON (strict, as json/orjson/transformers read it) refuse a C0 control
        # character: no text reader takes the whole file (a tiny ONNX model is protobuf tags and
        # lengths in UTF-8: a false positive). PyYAML may still build the documents before it.
        if "!" in (prefix := text[:refused.start()]):
            _yaml_tags(prefix, acc, f"{where} (its first {len(prefix)} characters, read as YAML)")
        _judge_text(text, name, acc, facts, where=f"{where} (read as text)", folder=folder)
        return
    if named or base not in _TEXT_BORN:
        why = f"its name {name!r} is one a text loader reads, and " if named else ""
        acc.add("text.polyglot", "high", f"{where}: this {fmt} file is also text ({why}all of it decodes as the YAML, "
                "JSON and Jinja readers decode it, and they check no signature): two readers, two files (judged as "
                "both)", effect="suspicious")
    _judge_text(text, name, acc, facts, where=f"{where} (read as text)", folder=folder)


def _python_reading(fh: IO[bytes], size: int, head: bytes, fmt: str, acc: _Acc, where: str) -> None:
    """A file read as another format whose bytes are not all UTF-8 text may still be Python source
    to CPython: a PEP 263 coding declaration (``# -*- coding: latin-1 -*-``) on its first two lines
    selects another decoding, and CPython 3.11 does not check the bytes of comments (red team
    26c-1; :func:`mlbom.formats.pysource.python_readable`). Named ``.py`` it is a module: a
    differential (``text.polyglot``), like text the YAML/JSON readers take."""
    from mlbom.formats import pysource

    if fmt.split("+", 1)[0] in _TEXT_BORN or b"\x00" in head or size > MAX_TEXT:
        return
    fh.seek(0)
    data = head if len(head) >= size else fh.read(MAX_TEXT + 1)
    if pysource.python_readable(data):
        codec = pysource.declared_encoding(data)
        acc.add("text.polyglot", "high", f"{where}: this {fmt} file is also Python source (CPython decodes it as "
                f"{codec} by PEP 263, comments unchecked, and checks no signature): under a .py name it is a module; "
                "two readers, two files", effect="suspicious")


def _yaml_tags(text: str, acc: _Acc, where: str, found: yaml_tags.TagScan | None = None, *,
               docs: bool = False) -> None:
    """Python tags of a YAML text: as spelled (the substring rule, also for text that does not
    parse), and as PyYAML's parser resolves them (``%TAG`` handles, verbatim tags, ``%xx``
    escapes; :mod:`mlbom.formats.yaml_tags`; ``found``: from the config-target walk's readings of
    the same text). Any one is ``suspicious``."""
    from mlbom.formats import yaml_tags

    spelled = "!!python/" in text or "tag:yaml.org,2002:python/" in text
    if spelled:
        acc.add("yaml.python-tag", "high", f"{where}: YAML Python tag (!!python/…): yaml.unsafe_load builds objects "
                "and calls functions from it", effect="suspicious")
    if "!" not in text:  # every tag is written with a '!'
        return
    if found is None:
        found = yaml_tags.python_tags(text)
    if found.python and not spelled:
        shown = ", ".join(repr(t[:120]) for t in found.python[:3])
        acc.add("yaml.python-tag", "high", f"{where}: YAML Python tag resolved by the parser ({shown}; spelled "
                "through %TAG, a verbatim tag or %-escapes): yaml.unsafe_load builds objects and calls functions "
                "from it", effect="suspicious")
    if found.tuples and not spelled:
        shown = ", ".join(repr(t[:120]) for t in found.tuples[:3])
        acc.add("yaml.python-tag", "high", f"{where}: YAML Python tag inside a '(…)' string ({shown}): HyperPyYAML "
                "(SpeechBrain) makes it a !tuple and parses it again with yaml.Loader, which builds objects and "
                "calls functions from it", effect="suspicious")
    if found.bounded is not None and not (found.python or spelled):
        acc.add("yaml.tags-unchecked", "high", f"{where}: text with YAML tags whose resolution was not checked to the "
                f"end ({found.bounded}): a Python tag cannot be ruled out", effect="suspicious")
    _hyperpyyaml(found, acc, where)
    if not found.read_any and found.bounded is None and (m := yaml_tags.HYPER_SPELLED.search(text)) is not None:
        # (PyYAML and libyaml stop at an error; ruamel, HyperPyYAML's parser, may read on: red team 119pa-1's lead)
        msg = (f"{where}: text no PyYAML parser reads to its end spells a HyperPyYAML tag ({m.group(0)[:40]!r}): "
               "ruamel (HyperPyYAML's parser, YAML 1.2) reads some texts PyYAML refuses, so tags after the error "
               "are not judged")
        if docs:
            acc.add("yaml.tags-unchecked", "info", f"{msg} (documentation)")
        else:
            acc.add("yaml.tags-unchecked", "high", msg, effect="suspicious")


_HYPER_INCLUDE = ("HyperPyYAML !include: config", "hyperpyyaml resolve_references (!include: loads the file joined to "
                  "the config's folder, os.path.join: an absolute path replaces it, and runs its tags)")


def _hyperpyyaml(found: yaml_tags.TagScan, acc: _Acc, where: str) -> None:
    """SpeechBrain's HyperPyYAML tags (red team 119pa-1; :data:`mlbom.formats.yaml_tags.HYPER_CALLS`), as the
    parser resolved them: the dotted path of each call tag is judged as a config target (Hydra's
    ``_target_`` rule: the deny list ``unsafe``, any other ``code.remote``); an ``!include:`` by the include
    rules (absolute, a drive, ``~``, a URL, a skipped folder: outside; ``..``: a reference the folder scan
    settles, as a ``_BASE_``); a ``!ref <a.__x__>`` walks a dunder attribute (``getattr``); another local tag
    in a HyperPyYAML file has no constructor (the load fails): info."""
    from mlbom.formats import config_targets as ct
    from mlbom.formats.pickle_values import is_dunder

    if found.hyper:
        targets = ct.Targets()
        for _prefix, name in found.hyper:
            targets.add(name, ct.HYPERPYYAML)
        # a !ref <key.attr> of a node whose value is a call tag: getattr on what its path gives (the module of
        # !module:builtins, the function of !name:x): judged as the path.attr it reaches — through a nested key
        # (<mods[b].eval>), a !ref chain or an alias (red team 120y-4); one node per path, so one target per
        # reference (red team 120y-5: every call tag of a key repeated N times × N references was N² targets)
        for root, attr in found.ref_attrs:
            if (reached := found.resolve(f"{root}.{attr}")) is not None:
                targets.add(reached, ct.HYPERPYYAML)
        if found.unresolved is not None:
            acc.add("yaml.tags-unchecked", "high", f"{where}: {found.unresolved}: what a !ref <x.attr> fetches with "
                    "getattr (hyperpyyaml deref) was not followed to its end", effect="suspicious")
        for j in ct.judge(targets.finish()):
            acc.add(j.id, j.severity, f"{where}: {j.message}", effect=j.effect)
    dunder = [a for _root, a in found.ref_attrs if any(is_dunder(p) for p in a.split("."))]
    if dunder:
        acc.add("code.dangerous-target", "critical", f"{where}: HyperPyYAML !ref/!copy fetches a dunder attribute "
                f"({first_of([repr(a[:100]) for a in dunder], 5)}): hyperpyyaml deref makes it !apply:getattr at "
                "load (reaches interpreter internals)", effect="unsafe")
    outside: list[str] = []
    for value in found.includes[:_MAX_REFS]:
        why = _leaving_config_file(value, *_HYPER_INCLUDE, acc, where)
        if why is not None:
            outside.append(f"!include:{value[:200]}: it {why}")
    if len(found.includes) > _MAX_REFS:
        outside.append(f"more than {_MAX_REFS} !include: tags (the rest not checked)")
    if outside:
        acc.add("code.remote", "high", f"{where}: the config pulls in files outside what this scan judged: "
                f"{'; '.join(outside[:5])}; {_HYPER_INCLUDE[1]}", effect="suspicious")
    if found.ref_quoted and not found.tuples:
        acc.add("yaml.tags-unchecked", "high", f"{where}: a HyperPyYAML !ref/!copy expression holds a Python string "
                "literal: hyperpyyaml's parse_arithmetic evaluates it (escapes decoded, +, *, % applied), and a "
                "'(…)' result becomes a !tuple that HyperPyYAML parses again with yaml.Loader (Python tags built): "
                "not checked", effect="suspicious")
    elif ((found.ref_builds and found.bang) or (found.ref_mixed and found.literal)) and not found.tuples:
        acc.add("yaml.tags-unchecked", "high", f"{where}: a HyperPyYAML !ref/!copy builds a string from other values "
                "and a value holds a '!' (or a Python string literal parse_arithmetic evaluates): a string built as "
                "'(…)' becomes a !tuple that HyperPyYAML parses again with yaml.Loader (Python tags built): not checked",
                effect="suspicious")
    if found.local and found.hyperpyyaml():
        acc.add("yaml.unknown-tag", "info", f"{where}: local YAML tags HyperPyYAML registers no constructor for "
                f"({first_of([repr(t[:100]) for t in found.local], 5)}): ruamel's Loader refuses them (the load fails)")


# the configs from_pretrained reads an auto_map from (public: the stray sweep takes a folder holding one as a
# model folder, collectors/models.LOADER_CONFIGS); red team 123d-7: AutoVideoProcessor's
# video_preprocessor_config.json (transformers' VIDEO_PROCESSOR_NAME, >= 4.52; AutoProcessor reads it too)
AUTO_MAP_CONFIGS = ("config.json", "tokenizer_config.json", "processor_config.json", "preprocessor_config.json",
                    "feature_extractor_config.json", "image_processor_config.json", "video_preprocessor_config.json")
_MAX_CONFIG = 4 << 20


def _python_source(name: str, acc: _Acc, folder: Path | None, where: str) -> None:
    """Python source is code (a Hugging Face ``trust_remote_code`` module, a custom layer's
    file): never ``safe``. When a config beside it names the module in its ``auto_map``,
    ``from_pretrained(..., trust_remote_code=True)`` imports and runs it."""
    users = _auto_map_users(folder, name[:-3] if name.endswith(".py") else name[:-4]) if folder else []
    verb = "names" if len(users) == 1 else "name"
    how = (f"; {', '.join(users)} {verb} it in auto_map: from_pretrained(..., trust_remote_code=True) imports "
           "and runs it" if users else "; it runs when imported (trust_remote_code, torch.package, a custom layer)")
    acc.add("code.python-source", "high", f"{where}: Python source: code, not model data{how}; not judged",
            effect="suspicious")


def _auto_map_users(folder: Path, module: str) -> list[str]:
    """The config files beside a module whose ``auto_map`` names it (``"module.Class"``, or
    ``"repo--module.Class"``; a value may be a list of such names, ``null`` allowed)."""
    import json

    users: list[str] = []
    for cfg in AUTO_MAP_CONFIGS:
        try:
            with _open_named(folder / cfg) as fh:  # a regular file, no link (a FIFO never blocks the scan)
                data = fh.read(_MAX_CONFIG + 1)
            if len(data) > _MAX_CONFIG:
                continue
            doc = json.loads(data)
        except (OSError, ValueError, RecursionError):
            continue
        amap = doc.get("auto_map") if isinstance(doc, dict) else None
        if not isinstance(amap, dict):
            continue
        refs: list[object] = []
        for v in amap.values():
            refs.extend(v if isinstance(v, list) else [v])
        if any(isinstance(r, str) and r.split("--")[-1].rsplit(".", 1)[0] == module for r in refs):
            users.append(cfg)
    return users


def _add_template(acc: _Acc, template: str, where: str) -> None:
    from mlbom.formats import chat_template  # on use: it imports Jinja2 (startup time of `mlbom scan`)

    for f in chat_template.check_template(template, where=where):
        acc.add(f.id, f.severity, f.message, effect=f.effect)


# names that point a JSON reader at a file (red team 20c-2): text with another name that only
# starts like JSON (a WordPiece vocab.txt's "[PAD]", a README's "[![badge]", an INI "[section]")
# is read by no JSON loader, so it is text, without a finding; JSON Lines are read line by line
_JSON_NAMES: tuple[str, ...] = (".json",)
_JSON_LINES_NAMES: tuple[str, ...] = (".jsonl", ".ndjson")


def _bad_json_line(text: str) -> str | None:
    """The first line of JSON Lines that is not JSON (``line N: error``), or ``None``."""
    import json

    for n, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if line.strip():
            try:
                json.loads(line)
            except RecursionError:
                return None  # deep, not invalid: left to the reading of the whole text
            except ValueError as exc:
                return f"line {n}: {str(exc)[:120]}"
    return None


def _scan_json(text: str, acc: _Acc, facts: dict[str, str], *, where: str, folder: Path | None = None,
               claims: str | None = "json") -> str:
    """Judge ``text`` as one JSON document. Text that does not parse is ``json.invalid`` (``low``,
    read as text) only where its name claims JSON (``claims``): ``"json"``, or ``"lines"`` for
    JSON Lines with a line that does not parse; ``None``: no finding."""
    import json

    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except RecursionError:
        # well-formed perhaps, only deeper than this interpreter's recursion limit: a loader
        # running with a higher limit reads it (and any chat template in it) — not judged
        acc.add("json.too-deep", "high", f"{where}: JSON nested deeper than mlbom's reader goes; a loader with a "
                "higher recursion limit reads it: not judged", effect="error")
        return "json"
    except ValueError as exc:  # every JSON loader refuses it: nothing in it is used
        why = str(exc)[:120] if claims == "json" else _bad_json_line(text) if claims == "lines" else None
        if why is not None:
            acc.add("json.invalid", "low", f"{where}: not valid {'JSON' if claims == 'json' else 'JSON Lines'} "
                    f"({why}); read as text")
        return "text"
    if isinstance(doc, dict) and "chat_template" in doc:  # the parsed key (``"chat\\u005ftemplate"`` is one):
        # no key of that name, no template: skip importing the judge (Jinja2)
        _judge_config_templates(doc, acc, facts, where)
    # red team 90s-1: sentence-transformers' tokenizer_args, ...; only a literal key or a \u escape
    # (no other JSON escape yields a letter or ``_``) can spell the key: a document with neither is not walked
    for path, held in _nested_with_key(doc, "chat_template") if _may_spell(text, "chat_template") else ():
        _judge_config_templates(held, acc, facts, f"{where} ({path}.chat_template)")
    fmt = "json"
    _code_references(doc, acc, folder, where)  # every reading of the document is judged, whichever names it
    if isinstance(doc, dict) and "backbone" in doc and "head" in doc:
        _yolo_config(doc, None, acc, where)  # yaml.safe_load reads JSON too (red team 112pa-6)
    # an ONNX model in onnx's JSON form (red team 112pa-3), or any JSON holding its external-data
    # entries (onnx.load needs no graph nor ir_version, and reads functions' tensors too: 114pa-4)
    if isinstance(doc, dict) and ("graph" in doc or _may_spell(text, "externalData")
                                  or _may_spell(text, "external_data")):
        _onnx_text(onnx_text.judge_json(doc, folder), acc, where)
    if isinstance(doc, dict) and isinstance(doc.get("weight_map"), dict):
        _weight_map_paths(doc["weight_map"], acc, where)
        fmt = "sharded-index"
    if isinstance(doc, dict) and ("peft_type" in doc or "base_model_name_or_path" in doc):
        _peft_adapter_config(doc, acc, facts, where)  # a PEFT adapter config (red team 80s-2)
    if _may_spell(text, "args") or _may_spell(text, "attn_implementation"):  # *_args, *_kwargs
        _loader_kwargs(doc, acc, where)  # from_pretrained kwargs at any depth (red team 90s-2, 91sb-1)
    if isinstance(doc, dict):
        _named_models(doc, acc, facts, where)  # open_clip, diffusers modular, gliner (red team 90s-3..5)
    if _is_keras_config(doc):
        # Model.to_json() output (keras.models.model_from_json) or the config.json of an
        # unzipped Keras 3 folder (load_model(dir)): judged as a .keras archive's config.json
        _merge(keras.judge_config(doc, where), acc, facts, where)
        fmt = "keras-config"
    for sub in _embedded_json(doc, acc, where):
        if _is_keras_config(sub):  # red team 85s-1: Keras' Orbax checkpoints json.loads a string value
            _merge(keras.judge_config(sub, f"{where} (a JSON document held in a string value)"), acc, facts, where)
            fmt = "keras-config"
    return fmt


def _judge_config_templates(doc: dict[str, object], acc: _Acc, facts: dict[str, str], where: str) -> None:
    """The ``chat_template`` of ``doc`` judged as transformers reads a ``tokenizer_config.json``'s."""
    from mlbom.formats import chat_template  # on use: it imports Jinja2

    templates, unjudged = chat_template.tokenizer_config_templates(doc)
    if templates or unjudged:
        facts["chat-template.present"] = "true"
    for f in chat_template.check_templates(templates, where=where) if templates else ():
        acc.add(f.id, f.severity, f.message, effect=f.effect)
    if unjudged:  # fail closed (rt9b CT2): a value transformers may take in a way this reader does not
        shown = "; ".join(unjudged[:5]) + (f"; and {len(unjudged) - 5} more" if len(unjudged) > 5 else "")
        acc.add("template.unjudged", "high", f"{where}: {shown}: not judged as a chat template", effect="error")


def _json_objects(doc: object) -> Iterator[tuple[str, dict[str, object]]]:
    """Every object of ``doc`` (at any depth, inside lists too) with its path (``""`` for the top,
    ``tokenizer_args``, ``a[0].b``), each container walked once (linear in the document; its depth
    is bounded by the JSON reader's recursion limit), the path shown capped at 200 characters:
    deep nesting costs no memory."""
    stack: list[tuple[str, object]] = [("", doc)]
    walked: set[int] = set()
    while stack:
        path, node = stack.pop()
        if not isinstance(node, (dict, list)) or id(node) in walked:
            continue
        walked.add(id(node))
        if isinstance(node, dict):
            yield path, node
            stack.extend(((f"{path}.{k!s:.60}" if path else f"{k!s:.60}")[:200], v) for k, v in node.items()
                         if isinstance(v, (dict, list)))
        else:
            stack.extend((f"{path}[{i}]"[:200], v) for i, v in enumerate(node) if isinstance(v, (dict, list)))


def _nested_with_key(doc: object, key: str) -> Iterator[tuple[str, dict[str, object]]]:
    """Every object BELOW the top of ``doc`` (at any depth, inside lists too) that has ``key``, with
    its path (``tokenizer_args``, ``a[0].b``): sentence-transformers passes
    ``sentence_bert_config.json``'s ``tokenizer_args``/``processor_kwargs`` to
    ``AutoTokenizer.from_pretrained``, whose ``chat_template`` replaces the tokenizer's (red team
    90s-1); any other loader may do the same with its own sub-object."""
    return ((path, node) for path, node in _json_objects(doc) if path and key in node)


def _may_spell(text: str, key: str) -> bool:
    """Whether JSON ``text`` could hold the object key ``key`` (letters, digits, ``_``): written out,
    or through a ``\\u`` escape — no other JSON escape yields such a character. A cheap test before
    a walk or a parse looks for the key."""
    return key in text or "\\u" in text


_MAX_EMBEDDED_DEPTH = 4  # JSON in a string value of JSON in a string value ...: levels decoded


def _embedded_json(doc: object, acc: _Acc, where: str) -> Iterator[object]:
    """The JSON objects and arrays held as string values of ``doc`` (and of those, to
    :data:`_MAX_EMBEDDED_DEPTH` levels): what a loader that ``json.loads`` a stored string reads.
    Keras' Orbax checkpoints keep the model config as the string ``config`` of
    ``model_config/_strings.json`` (or of a ``data.json``/``metadata`` file) and rebuild the model
    from ``json.loads`` of it (red team 85s-1). A value is tried only when ``json.loads`` could take
    it (an object or array after JSON whitespace) and when it could spell the key ``class_name``
    (literally, or through a ``\\u`` escape: no other JSON escape yields a letter or ``_``); each
    level decodes strings of the level above, so the work is at most the depth times the
    document's size. One nested deeper than the
    interpreter's recursion limit is ``json.too-deep`` (not judged: ``error``)."""
    import json

    level: list[object] = [doc]
    for _ in range(_MAX_EMBEDDED_DEPTH):
        strings: list[str] = []
        walked: set[int] = set()
        for node in level:
            _string_leaves(node, strings, walked)
        level = []
        for text in strings:
            if text.lstrip(" \t\r\n")[:1] not in ("{", "[") or not _may_spell(text, "class_name"):
                continue  # no JSON, or none that can name a Keras object (only a \\u escape spells a letter)
            try:
                sub = json.loads(text)
            except RecursionError:
                acc.add("json.too-deep", "high", f"{where}: a string value holds JSON nested deeper than mlbom's "
                        "reader goes; a loader that decodes it with a higher recursion limit reads it: not judged",
                        effect="error")
                continue
            except ValueError:
                continue  # no json.loads reads it: nothing a loader rebuilds
            if isinstance(sub, (dict, list)):
                yield sub
                level.append(sub)
        if not level:
            return


# folders the walker does not enter (mlbom.fswalk): nothing in them is judged by a folder scan
_UNWALKED = SKIPPED_FOLDERS
_MAX_REFS = 10_000  # references checked against the folder (one stat each); past it: not checked, suspicious


def _string_leaves(node: object, out: list[str], walked: set[int]) -> None:
    """Every string of a JSON value (dict values, list items), without a cap: the document is in
    memory already (≤ MAX_TEXT), and ``walked`` (containers already walked, shared by every call
    on one document) keeps nested ``auto_map``s from being walked twice."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, str):
            out.append(n)
        elif isinstance(n, (dict, list)):
            if id(n) in walked:
                continue
            walked.add(id(n))
            stack.extend(n.values() if isinstance(n, dict) else n)


def _code_references(doc: object, acc: _Acc, folder: Path | None, where: str) -> None:
    """Code a config names for a loader to import. Hugging Face: ``auto_map`` (config,
    tokenizer, processor, feature-extractor configs; at any depth: a composite model's
    sub-config carries its own) and ``custom_pipelines[task].impl``, read as
    ``transformers.dynamic_module_utils.get_class_from_dynamic_module`` reads them:
    ``repo--module.Class`` takes ``module.py`` from another repository (a Hub id or any local
    path), ``module.Class`` (or ``path/file.py::Class``) from the model's folder.
    sentence-transformers (:func:`_st_references`): ``modules.json`` ``type``, a Router's
    ``types``, a WordEmbeddings ``tokenizer_class`` go through ``import_module_class`` — the
    same ``get_class_from_dynamic_module``, then ``import_from_string`` of any installed
    module — unless they name sentence-transformers' own classes; an activation function path
    goes to ``import_from_string``. A reference to code this scan did not judge as a regular
    file of the folder is ``suspicious`` (``code.remote``): loading with
    ``trust_remote_code=True`` imports and runs it. Config targets: every Hydra ``_target_``,
    jsonargparse ``class_path``, fiddle pyref at any depth (:func:`_config_targets`)."""
    from mlbom.formats import config_targets as ct

    refs: list[str] = []
    targets = False
    walked: set[int] = set()
    stack = [doc]
    while stack:  # the document is in memory already (≤ MAX_TEXT): a walk of it is bounded by it
        node = stack.pop()
        if isinstance(node, str):
            # an OmegaConf interpolation, in any JSON document (rt11b-1); a deny-listed dotted path or a
            # config inside a string, which jsonargparse imports / parses again (18b-1, 18b-3); a config
            # path jsonargparse may load (117pa-7)
            targets = targets or "${" in node or ct.string_names_code(node) \
                or node.rstrip().lower().endswith(ct.CONFIG_EXTS)
        elif isinstance(node, dict):
            if _marks_code(node) or ct.type_denied(node.get("type")) is not None or "__include__" in node or (
                    node is doc and any(k in node for k in (ct.CUSTOM_IMPORTS, "_base_", "_BASE_", "hydra",
                                                            "defaults", *ct.LIGHTNING_CLI_KEYS,
                                                            "pipeline", "preprocessors"))):
                targets = True  # Hydra, jsonargparse, fiddle, mmengine (:func:`_config_targets`), at any depth
            _string_leaves(node.get("auto_map"), refs, walked)
            pipes = node.get("custom_pipelines")
            if isinstance(pipes, dict):
                for task in pipes.values():
                    if isinstance(task, dict):
                        _string_leaves(task.get("impl"), refs, walked)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    _unjudged_code(refs, "auto_map/custom_pipelines name", "from_pretrained(..., trust_remote_code=True)",
                   acc, folder, where)
    if isinstance(doc, dict) and ("_diffusers_version" in doc or isinstance(doc.get("_class_name"), list)):
        _unjudged_code(_diffusers_code(doc, folder), "diffusers _class_name / component library names",
                       "DiffusionPipeline.from_pretrained (a local folder: no trust_remote_code check)", acc, folder, where)
        if imported := _diffusers_imports(doc, folder):
            shown = "; ".join(imported[:5]) + (f"; and {len(imported) - 5} more" if len(imported) > 5 else "")
            acc.add("code.remote", "high", f"{where}: diffusers components name libraries that are neither diffusers' "
                    f"own nor a file of the component's folder: {shown}; DiffusionPipeline.from_pretrained "
                    "(get_class_obj_and_candidates; a modular_model_index.json's ModularPipeline: "
                    "simple_get_class_obj) imports each as an installed module (importlib.import_module): "
                    "its top-level code runs", effect="suspicious")
    if targets:
        _config_targets(doc, None, acc, where)
    classes, functions = _st_references(doc)
    _unjudged_code([r for r in classes if not _ST_OWN.fullmatch(r)],
                   "sentence-transformers module classes (modules.json type, Router types, tokenizer_class) name",
                   "SentenceTransformer(..., trust_remote_code=True)", acc, folder, where)
    foreign = [f for f in dict.fromkeys(functions) if not _TORCH_NN_CLASS.fullmatch(f)]
    if foreign:
        shown = ", ".join(repr(f[:200]) for f in foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5
                                                               else "")
        acc.add("code.remote", "high", f"{where}: a sentence-transformers activation function names code other than a "
                f"torch.nn class ({shown}): with trust_remote_code=True import_from_string imports that module and "
                "calls what it names", effect="suspicious")


# sentence-transformers' own classes (``sentence_transformers.models.Pooling``,
# ``sentence_transformers.base.modules.dense.Dense``, ...): import_module_class imports them from
# the installed library, never from the model; torch.nn classes: what it takes as an activation
_ST_OWN = re.compile(r"sentence_transformers(?:\.[A-Za-z_][A-Za-z0-9_]*)*\.[A-Z][A-Za-z0-9_]*")
_TORCH_NN_CLASS = re.compile(r"torch\.nn(?:\.[a-z_][a-z0-9_]*)*\.[A-Z][A-Za-z0-9_]*")


def _st_references(doc: object) -> tuple[list[str], list[str]]:
    """What sentence-transformers imports from a config (``sentence_transformers.util.misc``,
    ``base.model``, ``base.modules``): class references — each ``type`` of ``modules.json`` (a
    list of ``{"idx", "name", "path", "type"}``; the loader reads ``path`` of every item before it
    imports any), a Router config's ``types`` values, a WordEmbeddings config's
    ``tokenizer_class`` — and activation-function paths (a Dense config's
    ``activation_function``, a CrossEncoder config's ``sentence_transformers.activation_fn`` or
    ``sbert_ce_default_activation_function``). A value without a dot is no module path
    (``import_from_string`` refuses it): GPT-2's ``"activation_function": "gelu_new"`` is none."""
    classes: list[str] = []
    functions: list[str] = []
    if isinstance(doc, list):
        for item in doc:  # every item: ST imports each module's type (no cap, rt9b R2)
            if isinstance(item, dict) and "path" in item and isinstance(item.get("type"), str):
                classes.append(item["type"])
        return classes, functions
    if not isinstance(doc, dict):
        return classes, functions
    types = doc.get("types")
    if isinstance(types, dict):
        classes.extend(v for v in types.values() if isinstance(v, str) and "." in v)
    tok = doc.get("tokenizer_class")
    if isinstance(tok, str) and "." in tok:
        classes.append(tok)
    st = doc.get("sentence_transformers")
    for v in (doc.get("activation_function"), doc.get("sbert_ce_default_activation_function"),
              st.get("activation_fn") if isinstance(st, dict) else None):
        if isinstance(v, str) and "." in v:
            functions.append(v)
    return classes, functions


# the libraries diffusers' ``get_class_obj_and_candidates`` takes a component from without importing a
# module the file names (red team 116pa-7): ``pipeline_loading_utils.LOADABLE_CLASSES``' keys (diffusers,
# transformers, onnxruntime.training; submodules of the first two are their installed code too) and the
# subpackages of ``diffusers.pipelines`` (``is_pipeline_module = hasattr(pipelines, library_name)``: the
# folders of src/diffusers/pipelines and pipelines/deprecated, diffusers at 58eb52c, Aug 2026). Any other
# library name is ``importlib.import_module(library_name)``: an installed module's top-level code runs
_DIFFUSERS_LIBRARIES = frozenset({"diffusers", "transformers", "onnxruntime.training"})
_DIFFUSERS_PIPELINE_MODULES = frozenset({
    "ace_step", "allegro", "alt_diffusion", "amused", "animatediff", "anyflow", "audio_diffusion", "audioldm",
    "audioldm2", "aura_flow", "blip_diffusion", "bria", "bria_fibo", "chroma", "chronoedit", "cogvideo",
    "cogview3", "cogview4", "consisid", "consistency_models", "controlnet", "controlnet_hunyuandit",
    "controlnet_sd3", "controlnet_xs", "cosmos", "dance_diffusion", "ddim", "ddpm", "deepfloyd_if",
    "deprecated", "diffusion_gemma", "dit", "dreamlite", "easyanimate", "ernie_image", "flux", "flux2",
    "glm_image", "helios", "hidream_image", "hunyuan_image", "hunyuan_video", "hunyuan_video1_5", "hunyuandit",
    "i2vgen_xl", "ideogram4", "joyimage", "kandinsky", "kandinsky2_2", "kandinsky3", "kandinsky5", "kolors",
    "krea2", "latent_consistency_models", "latent_diffusion", "latent_diffusion_uncond", "latte", "ledits_pp",
    "llada2", "longcat_audio_dit", "longcat_image", "ltx", "ltx2", "lucy", "lumina", "lumina2", "marigold",
    "mochi", "motif_video", "musicldm", "nucleusmoe_image", "omnigen", "ovis_image", "pag", "paint_by_example",
    "pia", "pixart_alpha", "pndm", "prx", "qwenimage", "repaint", "sana", "sana_video", "score_sde_ve",
    "semantic_stable_diffusion", "shap_e", "skyreels_v2", "spectrogram_diffusion", "stable_audio",
    "stable_audio_3", "stable_cascade", "stable_diffusion", "stable_diffusion_3",
    "stable_diffusion_attend_and_excite", "stable_diffusion_diffedit", "stable_diffusion_gligen",
    "stable_diffusion_ldm3d", "stable_diffusion_panorama", "stable_diffusion_safe", "stable_diffusion_sag",
    "stable_diffusion_variants", "stable_diffusion_xl", "stable_video_diffusion", "stochastic_karras_ve",
    "t2i_adapter", "text_to_video_synthesis", "unclip", "unidiffuser", "versatile_diffusion", "visualcloze",
    "vq_diffusion", "wan", "wuerstchen", "z_image"
})


def _diffusers_library_known(library: str) -> bool:
    return (library in _DIFFUSERS_LIBRARIES or library in _DIFFUSERS_PIPELINE_MODULES
            or library.startswith(("diffusers.", "transformers.")))


def _diffusers_imports(doc: dict[object, object], folder: Path | None) -> list[str]:
    """The components of a ``model_index.json`` whose library diffusers imports by name (116pa-7):
    ``name: [library, Class]`` with a library that is none of :func:`_diffusers_library_known` and no
    ``<folder>/<name>/<library>.py`` (that file is :func:`_diffusers_code`'s)."""
    out: list[str] = []
    for key, value in doc.items():
        if isinstance(key, str) and not key.startswith("_") and isinstance(value, list) and len(value) == 2 \
                and all(isinstance(v, str) for v in value) and not _diffusers_library_known(value[0]) \
                and not _path_leaves(f"{key}/{value[0]}") \
                and not (folder is not None and (folder / key / f"{value[0]}.py").is_file()) and len(out) < _MAX_REFS:
            out.append(f"{key}: {value[0][:200]!r} ({value[1][:200]!r})")
        elif isinstance(key, str) and not key.startswith("_") and isinstance(value, list) and len(value) == 3 \
                and len(out) < _MAX_REFS:
            # modular_model_index.json (red team 122pa-5): [library, Class, spec]; diffusers 0.36
            # modular_pipelines/modular_pipeline.py ModularPipeline.__init__ → _dict_to_component_spec takes
            # spec["type_hint"] = [library, Class] → pipeline_loading_utils.simple_get_class_obj:
            # importlib.import_module(library) for a name that is no attribute of diffusers.pipelines (no file of
            # the folder is looked for: an installed module)
            spec = value[2]
            hint = spec.get("type_hint") if isinstance(spec, dict) else None
            libs = [value[0]] + ([hint[0]] if isinstance(hint, list) and len(hint) == 2 else [])
            for lib in dict.fromkeys(lib for lib in libs if isinstance(lib, str) and lib):
                if not _diffusers_library_known(lib):
                    cls = value[1] if isinstance(value[1], str) else "?"
                    out.append(f"{key}: {lib[:200]!r} ({cls[:200]!r}; modular type_hint)")
    return out


def _diffusers_code(doc: dict[object, object], folder: Path | None) -> list[str]:
    """The module files a diffusers ``model_index.json`` makes ``DiffusionPipeline.from_pretrained`` of a
    local folder import (red team 115pa-2; ``pipeline_loading_utils``): ``_class_name: [file, Class]``
    imports ``<folder>/<file>.py`` when it is a file, and each component ``name: [library, Class]``
    imports ``<folder>/<name>/<library>.py`` when it is one (``os.path.join``: ``..`` and absolute parts
    kept), else the installed module ``library``. A name that leaves the folder, or a file that is
    there, is a reference (``path.py::Class``) judged as ``auto_map``'s are."""
    refs: list[str] = []

    def ref(path: str, cls: str) -> None:
        if _path_leaves(path) or (folder is not None and (folder / f"{path}.py").is_file()):
            refs.append(f"{path}.py::{cls}")

    cls = doc.get("_class_name")
    if isinstance(cls, list) and len(cls) == 2 and all(isinstance(c, str) for c in cls):
        ref(cls[0], cls[1])
    for key, value in doc.items():
        if isinstance(key, str) and not key.startswith("_") and isinstance(value, list) and len(value) == 2 \
                and all(isinstance(v, str) for v in value) and len(refs) < _MAX_REFS:
            ref(f"{key}/{value[0]}", value[1])
    return refs


def _unjudged_code(refs: list[str], what: str, loader: str, acc: _Acc, folder: Path | None, where: str) -> None:
    """``code.remote`` for the references that name code outside what this scan judged."""
    unseen: list[str] = []
    checked = 0
    for ref in dict.fromkeys(refs):
        if "--" in ref:
            unseen.append(f"{ref!r} (code from repository {ref.split('--', 1)[0]!r})")
            continue
        module = ref.split("::", 1)[0] if "::" in ref else ref.rsplit(".", 1)[0] + ".py"
        if "." not in ref and "::" not in ref:
            continue  # a bare class name: a transformers class, no module file
        checked += 1
        if checked > _MAX_REFS:  # never a silent cap (rt9b R1): what is not checked is not judged
            unseen.append(f"{ref!r} (not checked: more than {_MAX_REFS} module references)")
        elif _module_parts(folder, module) is None:
            unseen.append(f"{ref!r} ({module} is not a file this scan judged beside it)")
        else:  # judged only if this run scanned that very file (red team 12b-6): settled after the walk
            acc.code_refs.append(CodeRef(module, ref, what, loader, where))
    if unseen:
        shown = "; ".join(u[:300] for u in unseen[:5]) + (f"; and {len(unseen) - 5} more" if len(unseen) > 5 else "")
        acc.add("code.remote", "high", f"{where}: {what} code outside what this scan judged: {shown}; {loader} "
                "imports and runs it", effect="suspicious")


def _module_parts(folder: Path | None, module: str) -> tuple[str, ...] | None:
    """``module``'s path parts when it can be a file a scan of the config's folder judges:
    inside the folder, not in a folder the walker skips; else None (never judged)."""
    if folder is None or module.startswith(("/", "\\")) or "\\" in module:
        return None
    parts = tuple(module.split("/"))
    if any(p in ("", ".", "..") or p in _UNWALKED for p in parts):
        return None
    return parts


def _judged_module(folder: Path, parts: tuple[str, ...], scanned: dict[str, FileScan]) -> bool:
    """Whether the module at ``parts`` below ``folder`` is a file THIS run scanned (``scanned``:
    the walk's files by normalised path, with their scans) and judged (its scan is no
    ``error``), neither it nor a folder on its path a link. Existing on disk is not enough: a
    file that appears after the walk, or beside a file scanned alone, is judged by no one (red
    team 12b-6)."""
    sc = scanned.get(os.path.normpath(str(folder.joinpath(*parts))))
    if sc is None or sc.verdict == "error":
        return False
    try:
        # no link anywhere below the folder: the importer follows a linked folder out of it, the
        # walker does not follow it, so what it imports there is judged by nobody (red team 10b)
        return not any(folder.joinpath(*parts[:i]).is_symlink() for i in range(1, len(parts) + 1))
    except (OSError, ValueError):
        return False


def _judged_climbing(folder: Path, rel: str, scanned: dict[str, FileScan]) -> bool:
    """Whether ``rel`` (a relative name with ``..`` parts, joined to ``folder`` as the loader joins it)
    is a file THIS run scanned and judged: no part naming a folder the walker skips, no link on the
    way (the kernel resolves ``a/..`` through a linked ``a``; the walk follows none)."""
    raw = rel.split("/")
    if rel.startswith("/") or "\\" in rel or any(p in _UNWALKED for p in raw):
        return False
    sc = scanned.get(os.path.normpath(str(folder.joinpath(*raw))))
    if sc is None or sc.verdict == "error":
        return False
    try:
        return not any(raw[i - 1] not in ("..", ".", "") and folder.joinpath(*raw[:i]).is_symlink()
                       for i in range(1, len(raw) + 1))
    except (OSError, ValueError):
        return False


def _settle_code(sc: FileScan, judged: Callable[[CodeRef], bool] | None) -> FileScan:
    """``sc`` with its code references settled: each one ``judged`` does not accept (all of
    them without ``judged``: a scan of one file) is ``code.remote``, at least ``suspicious``."""
    if not sc.code_refs:
        return sc
    groups: dict[tuple[str, str, str], list[CodeRef]] = {}
    for c in sc.code_refs:
        if judged is None or not judged(c):
            groups.setdefault((c.where, c.what, c.loader), []).append(c)
    extra: list[ScanFinding] = []
    for (where, what, loader), refs in groups.items():
        unseen = [f"{c.ref!r} ({c.module} is not a file this scan judged beside it)" for c in refs]
        shown = "; ".join(u[:300] for u in unseen[:5]) + (f"; and {len(unseen) - 5} more" if len(unseen) > 5 else "")
        extra.append(ScanFinding("code.remote", "high", f"{where}: {what} code outside what this scan judged: {shown}; "
                                 f"{loader} imports and runs it"))
    verdict = worst_verdict(sc.verdict, "suspicious") if extra else sc.verdict
    return replace(sc, verdict=verdict, findings=sc.findings + extra, code_refs=())


def _joined_leaves(v: str) -> bool:
    """A name a loader joins to the model's folder that lands outside what a scan of the folder
    judges: absolute, a drive, a ``..`` part or a folder the walker skips."""
    return leave_reason(v, skipped=_UNWALKED) is not None


def _weight_map_paths(weight_map: dict[str, object], acc: _Acc, where: str) -> None:
    """Shard names of a sharded index (``model.safetensors.index.json``): transformers joins
    each to the model's folder unchecked (``os.path.join``), so an absolute name, a ``..``
    part or a folder the walker skips loads a file no folder scan judged."""
    bad = [v for v in dict.fromkeys(x for x in weight_map.values() if isinstance(x, str)) if _joined_leaves(v)]
    if bad:
        shown = ", ".join(repr(b[:200]) for b in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        acc.add("sharded.path-outside", "high", f"{where}: weight_map names shard files outside what a scan of this "
                f"folder judges ({shown}): the loader joins them to the folder and reads them unscanned",
                effect="suspicious")


# ---- PEFT adapter configs (red team 80s-2) ---------------------------------------------------

# huggingface_hub's ``validate_repo_id`` (utils/_validators.py): ``[namespace/]name``, ASCII word
# characters, ``-`` and ``.``, each part starting and ending with a word character, ≤ 96 each, no
# ``--``/``..``, not ending ``.git``. Anything else a loader can only take as a local path.
_HUB_REPO_ID = re.compile(r"(?:\b[\w\-.]{1,96}\b/)?\b[\w\-.]{1,96}\b", re.ASCII)
# the fields peft and transformers take as a model or tokenizer to load, a Hub id or a local
# folder (``os.path.isdir`` against the working directory, never the adapter's folder):
# ``base_model_name_or_path`` (transformers ``models/auto/auto_factory.py``: an adapter folder
# without config.json loads its base from it; peft ``auto.py`` ``AutoPeftModel*.from_pretrained``),
# ``tokenizer_name_or_path`` (prompt tuning / CPT, ``AutoTokenizer.from_pretrained``), ShadowConfig's
# ``shadow_model`` (``AutoModel.from_pretrained``, unless ``"mirror"``)
_PEFT_MODEL_FIELDS = ("base_model_name_or_path", "tokenizer_name_or_path", "shadow_model")
# a file peft reads at load (multitask prompt tuning: safetensors ``load_file`` or ``torch.load``)
_PEFT_FILE_FIELDS = ("prompt_tuning_init_state_dict_path",)
# what peft 0.21 lets ``auto_mapping.parent_library`` name (auto.py ``get_default_import_allowlist``,
# peft itself added): installed libraries' own classes; an older peft imports any module
_PEFT_LIBRARIES = ("transformers", "diffusers", "lerobot", "peft")


def _is_hub_id(v: str) -> bool:
    return (v.count("/") <= 1 and _HUB_REPO_ID.fullmatch(v) is not None and "--" not in v and ".." not in v
            and not v.endswith(".git"))


def _path_leaves(v: str) -> bool:
    """A file path that leaves what a scan of the folder judges: the rule of shard names
    (:func:`_joined_leaves`), and ``~`` or any backslash."""
    return leave_reason(v, skipped=_UNWALKED, home=True) is not None or "\\" in v


# ---- configs that pass keyword arguments to from_pretrained (red team 90s-2) ------------------

# sentence-transformers (``base/modules/transformer.py`` ``Transformer._load_init_kwargs``) merges
# ``sentence_bert_config.json``'s ``model_args``/``tokenizer_args``/``config_args`` (new names
# ``model_kwargs``/``tokenizer_kwargs``/``config_kwargs``/``processor_kwargs``) into the kwargs of
# ``AutoModel``/``AutoTokenizer``/``AutoConfig.from_pretrained``; peft passes an adapter config's
# ``tokenizer_kwargs`` the same way; open_clip (``factory.py`` ``get_tokenizer``) passes
# ``model_cfg.text_cfg.tokenizer_kwargs`` to ``HFTokenizer`` -> ``AutoTokenizer.from_pretrained``
# (red team 91sb-1). One rule: an object under a key ending in one of these, at any depth
_KWARGS_SUFFIXES = ("_args", "_kwargs")
# kwargs that make transformers (accelerate) write, or read, files elsewhere whatever their value:
# offloaded weights written to ``offload_folder``, downloads cached in ``cache_dir``, the weights
# read from a GGUF file ``gguf_file`` (a path, or a name in another repository)
_KWARGS_ELSEWHERE = ("offload_folder", "cache_dir", "gguf_file")
# the keys a transformers config takes as the attention implementation: ``PreTrainedConfig.__init__``
# pops ``attn_implementation`` and sets every other key as an attribute, and ``_attn_implementation``
# is the property that stores it (red team 92s-2); ``experts_implementation`` takes built-in names only
_ATTN_KEYS = ("attn_implementation", "_attn_implementation")
# transformers 5.24 ``integrations/hub_kernels.py`` ``is_kernel``: ``org/repo[@rev][:name]``
_HUB_KERNEL = re.compile(r"[^/:]+/[^/:]+(?:@[^/:]+)?(?::[^/:]+)?")


def _hub_kernel(v: object) -> bool:
    """Whether an ``attn_implementation`` value makes transformers download and import a Hub
    kernel: ``PreTrainedConfig`` keeps a string, or a dict (``""`` and sub-config names) of
    them; ``_check_and_adjust_attn_implementation`` strips ``paged|`` and loads any value
    ``is_kernel`` matches, ``load_and_register_attn_kernel`` the part after a ``|``
    (``split("|")[1]``). Built-in names (``eager``, ``sdpa``, ``flash_attention_2``,
    ``flex_attention``, ``paged|eager``...) hold no ``/``: never a kernel."""
    if isinstance(v, dict):
        return any(_hub_kernel(x) for x in v.values())
    if not isinstance(v, str):
        return False
    parts = (v, v.removeprefix("paged|"), v.split("|")[1] if "|" in v else v)
    return any(_HUB_KERNEL.fullmatch(p) is not None for p in parts)


def _nested_objects(doc: object) -> Iterator[tuple[str, str, object, dict[str, object]]]:
    """``(path, key, value, holder)`` of every key of every object in ``doc`` (:func:`_json_objects`:
    at any depth, in lists too, each container once), the path capped as there."""
    for path, node in _json_objects(doc):
        for k, v in node.items():
            yield (f"{path}.{k!s:.60}" if path else f"{k!s:.60}")[:200], k, v, node


def _loader_kwargs(doc: object, acc: _Acc, where: str) -> None:
    """The ``from_pretrained`` kwargs a config hands to transformers: every object under a key
    ending in ``_args``/``_kwargs`` (:data:`_KWARGS_SUFFIXES`) at any depth. A string value that
    is a path leaving the folder (:func:`_path_leaves`: ``vocab_file``, ``tokenizer_file``,
    ``merges_file``...), a key of :data:`_KWARGS_ELSEWHERE` or a ``device_map`` that offloads to
    ``"disk"`` is ``config.path-outside`` (``suspicious``): the loader reads or writes files no
    scan of this folder judged; a truthy ``trust_remote_code`` or ``use_kernels`` is
    ``code.remote`` (``suspicious``). An ``attn_implementation`` at any depth (a kwarg, or
    ``config.json``'s own, which ``PreTrainedConfig`` keeps for the model) naming a Hub kernel
    (:func:`_hub_kernel`) is ``code.remote`` (open lead of red team 91sb). ``chat_template`` is
    judged as a template (90s-1)."""
    outside: list[str] = []
    code: list[str] = []
    for path, key, kw, _ in _nested_objects(doc):
        if key in _ATTN_KEYS and _hub_kernel(kw):
            code.append(f"{path} {str(kw)[:200]!r} names kernels in a Hub repository")
        if not isinstance(key, str) or not key.endswith(_KWARGS_SUFFIXES) or not isinstance(kw, dict):
            continue
        for k, v in kw.items():
            field_ = f"{path}.{k!s:.60}"
            if k == "chat_template" or k in _ATTN_KEYS:
                continue  # judged as a template; a kernel by the rule above, as every attn_implementation
            if k in _KWARGS_ELSEWHERE and v is not None:
                outside.append(f"{field_} {str(v)[:200]!r} (the loader reads or writes files there)")
            elif k == "device_map" and _mentions_disk(v):
                outside.append(f"{field_} offloads to disk (the loader writes the weights to a folder)")
            elif isinstance(v, str) and _path_leaves(v):
                outside.append(f"{field_} {v[:200]!r}")
            elif k in ("trust_remote_code", "use_kernels") and v:
                code.append(f"{field_} is {v!r}")
    if outside:
        shown = ", ".join(outside[:5]) + (f" and {len(outside) - 5} more" if len(outside) > 5 else "")
        acc.add("config.path-outside", "high", f"{where}: keyword arguments for the loader's from_pretrained name "
                f"files outside what a scan of this folder judges: {shown}", effect="suspicious")
    if code:
        acc.add("code.remote", "high", f"{where}: the loader's from_pretrained is told to load code outside the "
                f"installed libraries: {'; '.join(code[:5])}", effect="suspicious")


# ---- configs that name another model the loader then loads (red team 90s-3..5) ---------------

_TIMM_SOURCE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-_]+")  # timm ``_factory.py`` ``_SOURCE_PREFIX_PATTERN``


def _timm_hub_id(v: str) -> str | None:
    """The Hub id a timm model name loads (timm ``parse_model_name``): a registry name (no
    prefix) is the installed library's own; ``hf-hub:``/``hf_hub:`` (any case) a Hub repo;
    ``local-dir:`` or anything else: ``None`` (a local folder, or no Hub id)."""
    source, sep, model_id = v.partition(":")
    if not sep or not _TIMM_SOURCE.fullmatch(source):
        return v
    return model_id if source.lower() in ("hf-hub", "hf_hub") else None


def _named_model_refs(doc: dict[str, object]) -> tuple[list[tuple[str, str, bool]], str]:
    """``(field, value, is a Hub id)`` of every field a known loader takes as another model to load,
    and the loader's name. open_clip (``factory.py`` ``create_model``: ``open_clip_config.json``'s
    ``model_cfg``, or the document itself, as ``_get_hf_config`` reads it): ``text_cfg.hf_model_name``
    (``hf_model.py``: ``AutoConfig``/``AutoModel.from_pretrained``), ``text_cfg.hf_tokenizer_name``
    (``AutoTokenizer.from_pretrained``), ``vision_cfg.timm_model_name`` (``timm.create_model``,
    with timm's ``hf-hub:``/``local-dir:`` prefixes); diffusers' ``modular_model_index.json``:
    each ``[library, class, spec]`` component's ``spec.pretrained_model_name_or_path`` (or the
    deprecated ``repo``; a string or a list) that ``load_components`` loads; gliner's
    ``gliner_config.json`` (``model_name`` with ``span_mode``/``max_width``/``labels_encoder``/
    ``labels_decoder``): ``model_name``, ``labels_encoder``, ``labels_decoder``
    (``modeling/encoder.py``, ``decoder.py``: built with ``trust_remote_code=True``)."""
    refs: list[tuple[str, str, bool]] = []
    cfg = doc.get("model_cfg") if isinstance(doc.get("model_cfg"), dict) else doc
    if isinstance(cfg, dict) and (isinstance(cfg.get("text_cfg"), dict) or isinstance(cfg.get("vision_cfg"), dict)):
        pre = "model_cfg." if cfg is not doc else ""
        text, vision = cfg.get("text_cfg"), cfg.get("vision_cfg")
        for key in ("hf_model_name", "hf_tokenizer_name"):
            v = text.get(key) if isinstance(text, dict) else None
            if isinstance(v, str) and v:
                refs.append((f"{pre}text_cfg.{key}", v, _is_hub_id(v)))
        v = vision.get("timm_model_name") if isinstance(vision, dict) else None
        if isinstance(v, str) and v:
            hub = _timm_hub_id(v)
            refs.append((f"{pre}vision_cfg.timm_model_name", v, hub is not None and _is_hub_id(hub)))
        if refs:
            return refs, "open_clip's create_model"
    for name, comp in doc.items():
        spec = comp[2] if isinstance(comp, list) and len(comp) == 3 else None
        if not isinstance(spec, dict):
            continue
        for key in ("pretrained_model_name_or_path", "repo"):
            v = spec.get(key)
            for i, x in enumerate(v if isinstance(v, list) else [v]):
                if isinstance(x, str) and x:
                    field_ = f"{name!s:.60}[2].{key}" + (f"[{i}]" if isinstance(v, list) else "")
                    refs.append((field_, x, _is_hub_id(x)))
    if refs:
        return refs, "diffusers' ModularPipeline load_components"
    # transformers' ProcessorMixin.get_processor_dict: processor_config.json's ``audio_tokenizer``
    # (or audio_tokenizer_config.json itself) names a class of transformers' namespace (AutoModel…)
    # whose from_pretrained loads ``audio_tokenizer_name_or_path`` before the processor is built
    # (red team 99sc-2)
    audio = doc.get("audio_tokenizer") if isinstance(doc.get("audio_tokenizer"), dict) else doc
    if isinstance(audio, dict) and isinstance(audio.get("audio_tokenizer_name_or_path"), str) \
            and audio["audio_tokenizer_name_or_path"]:
        v = str(audio["audio_tokenizer_name_or_path"])
        field_ = "audio_tokenizer.audio_tokenizer_name_or_path" if audio is not doc else "audio_tokenizer_name_or_path"
        return [(field_, v, _is_hub_id(v))], "transformers' ProcessorMixin (audio tokenizer from_pretrained)"
    # sentence-transformers' Transformer module: sentence_bert_config.json is passed to its __init__,
    # which loads the tokenizer/processor from ``tokenizer_name_or_path`` (the legacy CLIPModel's
    # ``processor_name`` is renamed to it): another folder or repository, chat template included
    # (red team 99sc-1). A PEFT adapter's key of that name is judged by the PEFT rule.
    if not ("peft_type" in doc or "base_model_name_or_path" in doc):
        for key in ("tokenizer_name_or_path", "processor_name"):
            v = doc.get(key)
            if isinstance(v, str) and v:
                refs.append((key, v, _is_hub_id(v)))
        if refs:
            return refs, "sentence-transformers' Transformer module (AutoTokenizer/AutoProcessor.from_pretrained)"
    if isinstance(doc.get("model_name"), str) and any(
            k in doc for k in ("span_mode", "max_width", "labels_encoder", "labels_decoder")):
        for key in ("model_name", "labels_encoder", "labels_decoder"):
            v = doc.get(key)
            if isinstance(v, str) and v:
                refs.append((key, v, _is_hub_id(v)))
        return refs, "GLiNER.from_pretrained"
    return refs, ""


def _named_models(doc: dict[str, object], acc: _Acc, facts: dict[str, str], where: str) -> None:
    """A config field that names another model a loader then loads (:func:`_named_model_refs`),
    PEFT's rule (red team 80s-2): a valid Hub repo id is provenance, the fact
    ``config.named-models`` (``field=value`` list); anything else — a local path, ``local-dir:``,
    ``..``, absolute, ``~`` — is resolved against the working directory or names a folder outside
    this one: ``config.path-outside`` (``suspicious``). gliner builds those models with
    ``trust_remote_code=True`` hard-coded: a Hub id there is also said (``gliner.remote-code``,
    ``info``): its ``auto_map`` code, if any, runs and this scan never judged that repository."""
    refs, loader = _named_model_refs(doc)
    hub = [f"{k}={v[:200]}" for k, v, ok in refs if ok]
    outside = [f"{k} {v[:200]!r}" for k, v, ok in refs if not ok]
    if hub:
        facts["config.named-models"] = ",".join(hub)[:2000]
        if loader.startswith("GLiNER"):
            acc.add("gliner.remote-code", "info", f"{where}: GLiNER loads {', '.join(hub[:5])} from the Hub with "
                    "trust_remote_code=True hard-coded: any auto_map code of that repository runs, and this scan "
                    "did not judge it")
    if outside:
        acc.add("config.path-outside", "high", f"{where}: the config names a model by a local path outside what a "
                f"scan of this folder judges ({', '.join(outside[:5])}): {loader} loads it from there unscanned"
                + (" with trust_remote_code=True (its auto_map code runs)" if loader.startswith("GLiNER") else ""),
                effect="suspicious")


def _mentions_disk(v: object) -> bool:
    strings: list[str] = []
    _string_leaves(v, strings, set())
    return any(s.strip().lower() == "disk" for s in strings)


def _in_library(module: str, libraries: tuple[str, ...]) -> bool:
    return any(module == lib or module.startswith(f"{lib}.") for lib in libraries)


def _peft_adapter_config(doc: dict[str, object], acc: _Acc, facts: dict[str, str], where: str) -> None:
    """A PEFT ``adapter_config.json`` (any top-level object with ``peft_type`` or
    ``base_model_name_or_path``): the models and files it points a loader at, the modules it
    makes peft import. A model field that is no valid Hub repo id is a local path — resolved
    against the working directory, so outside what a scan of this folder judges — and a file
    field that leaves the folder: ``peft.path-outside`` (``suspicious``): the loader reads a model
    no scan of this folder judged. A Hub id is provenance (fact ``peft.base-model``). A
    non-string value makes the loader fail: nothing is loaded, no finding."""
    outside: list[str] = []
    for key in _PEFT_MODEL_FIELDS:
        v = doc.get(key)
        if not isinstance(v, str) or not v or (key == "shadow_model" and v == "mirror"):
            continue
        if _is_hub_id(v):
            if key == "base_model_name_or_path":
                facts["peft.base-model"] = v
        else:
            outside.append(f"{key} {v[:200]!r}")
    for key in _PEFT_FILE_FIELDS:
        v = doc.get(key)
        if isinstance(v, str) and v and _path_leaves(v):
            outside.append(f"{key} {v[:200]!r}")
    rev = doc.get("revision")
    if isinstance(rev, str) and rev and "peft.base-model" in facts:
        facts["peft.base-model-revision"] = rev[:200]
    if outside:
        acc.add("peft.path-outside", "high", f"{where}: the adapter config names a local path outside what a scan "
                f"of this folder judges ({', '.join(outside)}): transformers' and peft's from_pretrained load that "
                "model or file from it unscanned", effect="suspicious")
    imports: list[str] = []
    mapping = doc.get("auto_mapping")
    if isinstance(mapping, dict):
        lib = mapping.get("parent_library")
        if isinstance(lib, str) and not _in_library(lib, _PEFT_LIBRARIES):
            cls = mapping.get("base_model_class")
            shown = f"{lib[:200]!r}" + (f" (class {cls[:100]!r})" if isinstance(cls, str) else "")
            imports.append(f"auto_mapping.parent_library {shown}: AutoPeftModel.from_pretrained imports it "
                           "(peft before its import allowlist, or a caller's import_allowlist)")
    if doc.get("megatron_config"):
        core = doc.get("megatron_core")
        if isinstance(core, str) and not _in_library(core, ("megatron",)):
            imports.append(f"megatron_core {core[:200]!r}: LoRA's Megatron dispatch imports it (peft before its "
                           "module allowlist)")
    tok = doc.get("tokenizer_kwargs")
    if isinstance(tok, dict) and tok.get("trust_remote_code"):
        imports.append("tokenizer_kwargs.trust_remote_code: a peft that does not drop it runs the tokenizer's "
                       "remote code (prompt-tuning TEXT init)")
    if imports:
        acc.add("code.remote", "high", f"{where}: the adapter config names code outside the installed libraries' own "
                f"classes: {'; '.join(imports)}", effect="suspicious")


_MAX_KERAS_PROBE = 1_000_000  # JSON nodes looked at for a serialized Keras object


def _is_keras_config(doc: object) -> bool:
    """A serialized Keras object anywhere in the document: what ``deserialize_keras_object``
    (behind ``model_from_json`` and ``load_model`` of a Keras folder) rebuilds — a
    ``class_name`` and its ``config``. Keras recurses into lists and into dicts without those
    keys, so a model nested at any depth (``[model]``, ``{"m": model}``) is rebuilt too. Any
    such JSON goes through the Keras judgement, whatever its file name; a document too large
    to look through is judged too (fail closed: the judgement walks it, bounded)."""
    stack = [doc]
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > _MAX_KERAS_PROBE:
            return True
        if isinstance(node, dict):
            if isinstance(node.get("class_name"), str) and "config" in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


# ---- pickles -------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _pickle_params(fn: Callable[..., object]) -> frozenset[str]:
    return frozenset(inspect.signature(fn).parameters)


def _walk(stream: IO[bytes], end: int | None, *, joblib: bool, depth: int = 0, torch_wo: bool = False) -> PickleReport:
    # imported here, as the first pickle is met: the walker's allowlist tables cost a good
    # part of a second, which a scan of a small JSON file never needs (red team 20c-3)
    from mlbom.formats.pickle import read_pickle

    params = _pickle_params(read_pickle)
    kwargs: dict[str, object] = {}
    if "joblib" in params:
        kwargs["joblib"] = joblib
    if "depth" in params:
        kwargs["depth"] = depth
    if torch_wo and "torch_wo" in params:
        kwargs["torch_wo"] = True
    from mlbom.formats.pickle import Limits as PickleLimits

    opcodes, why = inflation.steps_allowed(PickleLimits.opcodes)
    if why and "limits" in params:
        kwargs["limits"] = PickleLimits(opcodes=opcodes, opcodes_why=why)
    rep: PickleReport = read_pickle(stream, end, **kwargs)  # type: ignore[arg-type]
    inflation.charge(rep.opcodes)
    return rep


def _int_value(rep: PickleReport) -> int | None:
    """The integer a complete pickle returns, as the walker models it (any spelling the loaders
    read as one: memoised, INT/LONG text with blanks, underscores or a base prefix — ``int(s, 0)``
    —, LONG1/LONG4, in a FRAME); None for anything else."""
    return rep.value if rep.complete and type(rep.value) is int else None


def _torch_magic(rep: PickleReport) -> bool:
    """Whether the first pickle is torch's magic number, as ``_legacy_load`` decides it: it unpickles
    the first pickle and compares the VALUE with ``MAGIC_NUMBER`` (red team 119pk-7: mlbom decoded 64
    bytes with pickletools, so a memoised, blank-padded or hex-written magic number hid the
    checkpoint's object pickle — an ``os.system`` call — behind a trailing-data finding)."""
    return _int_value(rep) == TORCH_MAGIC


def _scan_pickle_file(fh: IO[bytes], size: int, acc: _Acc, facts: dict[str, str], ctx: _Ctx, *, where: str) -> str:
    """A pickle file: torch's legacy magic-number format (a sequence of pickles, then raw
    storage bytes) when the first pickle is torch's magic number, else one pickle that
    ``pickle.load``/``joblib.load`` would read — bytes after its STOP are a differential."""
    fh.seek(0)
    rep = _walk(fh, size, joblib=True)
    if _torch_magic(rep):
        fh.seek(0)
        return _scan_torch_legacy(fh, size, acc, facts, where=where)
    acc.pickle(rep, where)
    facts["pickle.protocol"] = str(rep.protocol)
    if rep.complete and rep.end < size:
        _trailing_pickle(fh, rep.end, size, acc, where=where)
    return "pickle"


def _trailing_pickle(fh: IO[bytes], start: int, size: int, acc: _Acc, *, where: str) -> None:
    acc.add("pickle.trailing-data", "high", f"{where}: {size - start} bytes follow the pickle's STOP: pickle.load "
            "ignores them, a second load (or another loader) reads them", effect="suspicious")
    # the pickles that follow, as a loader reading one after another reads them (torch's legacy format
    # has five): up to _MAX_TRAILING of them, each judged where it reads as one
    for n in range(_MAX_TRAILING):
        fh.seek(start)
        rep = _walk(fh, size, joblib=False)
        if rep.opcodes > 1 and (rep.complete or rep.globals):
            acc.pickle(rep, f"{where} ({_ORDINALS[n]} pickle at offset {start})")
        if not rep.complete or max(rep.consumed, rep.end) <= start or max(rep.consumed, rep.end) >= size:
            return
        start = max(rep.consumed, rep.end)


_MAX_TRAILING = 4  # pickles after the first walked (torch's legacy format: five in all)
_ORDINALS = ("second", "third", "fourth", "fifth")


_pickle_reading = pickle_start.reading  # what a walk from offset 0 says: "pickle", "no" or "unproven"


def _try_protocol01(fh: IO[bytes], size: int, acc: _Acc, facts: dict[str, str], ctx: _Ctx, *,
                    where: str) -> str | None:
    """Protocol 0/1 pickles have no header: walk one; it is a pickle if the walk reaches STOP
    (or imported something on the way)."""
    fh.seek(0)
    rep = _walk(fh, size, joblib=True)
    if _torch_magic(rep):
        fh.seek(0)
        return _scan_torch_legacy(fh, size, acc, facts, where=where)
    reading = _pickle_reading(rep)
    if reading == "unproven":
        acc.add("pickle.unproven-stop", "high", f"{where}: reads as a pickle from its first byte and mlbom's walk "
                f"stopped after {rep.opcodes} opcodes where a loader may read on: not proven to be text, not judged",
                effect="error")
    if reading != "no":
        acc.pickle(rep, where)
        facts["pickle.protocol"] = str(rep.protocol if rep.protocol is not None else 0)
        if rep.complete and rep.end < size:
            _trailing_pickle(fh, rep.end, size, acc, where=where)
        return "pickle"
    fh.seek(0)
    return None


_LEGACY_PARTS = ("magic number", "protocol version", "system info", "object", "storage keys")
_LEGACY_PROTOCOL_VERSION = 1001  # torch.serialization.PROTOCOL_VERSION


def _legacy_parts(fh: IO[bytes], size: int, *, torch_wo: bool = False) -> tuple[list[tuple[str, PickleReport]], bool]:
    """torch's legacy layout's pickles as ``_legacy_load`` reads them one after another: (part name
    and report of each walked, whether the file ends before the storage-keys pickle)."""
    parts: list[tuple[str, PickleReport]] = []
    pos = 0
    for i, part in enumerate(_LEGACY_PARTS):
        fh.seek(pos)
        rep = _walk(fh, size, joblib=False, torch_wo=torch_wo)
        parts.append((part, rep))
        if not rep.complete:
            return parts, False
        pos = rep.consumed
        if pos >= size and i < 4:
            return parts, True
    return parts, False


def _scan_torch_legacy(fh: IO[bytes], size: int, acc: _Acc, facts: dict[str, str], *, where: str) -> str:
    """torch's legacy (pre-1.6) ``torch.save``: five pickles of any protocol — magic number,
    protocol version, system info, the object, the storage keys — each read by its own
    ``pickle.load``; then raw storage bytes that are never unpickled."""
    parts, truncated = _legacy_parts(fh, size)
    version = _legacy_version(parts)  # (acc.pickle lets go of the values)
    keys = _legacy_storage_keys(parts)
    for part, rep in parts:
        acc.pickle(rep, f"{where} ({part} pickle)")
    data_bytes: int | None = None
    if truncated:
        acc.add("pytorch.legacy-truncated", "high", f"{where}: ends after the {parts[-1][0]} pickle; torch.load "
                "fails", effect="error")
    elif len(parts) == len(_LEGACY_PARTS) and parts[-1][1].complete:
        data_bytes = size - parts[-1][1].consumed
        facts["pytorch.storage-bytes"] = str(data_bytes)
    if any(rep.proto_unsupported is not None for _part, rep in parts):
        # pickle.load refuses a PROTO byte above 5, torch's weights_only unpickler reads on (red team
        # 119pk-5): the claim is answered by its reading (the verdict stays the walk's)
        parts, truncated = _legacy_parts(fh, size, torch_wo=True)
        version = _legacy_version(parts)
        keys = _legacy_storage_keys(parts)
        if len(parts) == len(_LEGACY_PARTS) and parts[-1][1].complete:
            data_bytes = size - parts[-1][1].consumed
    _legacy_weights_only(parts, truncated, version, acc, facts, where, (keys, data_bytes))
    return "pytorch-legacy"


def _legacy_storage_keys(parts: Sequence[tuple[str, PickleReport]]) -> list[str] | None:
    """The value of the storage-keys pickle when it is a list of str (None: absent or another value)."""
    if len(parts) < len(_LEGACY_PARTS) or not parts[4][1].complete:
        return None
    from mlbom.formats.pickle_values import Seq

    v = parts[4][1].value
    if not isinstance(v, Seq) or v.type != "list" or v.items is None or not all(isinstance(k, str) for k in v.items):
        return None
    return [k for k in v.items if isinstance(k, str)]


def _legacy_storages_check(rep: PickleReport, keys: list[str] | None, data_bytes: int | None) -> tuple[str | None,
                                                                                                      str | None]:
    """torch's ``_legacy_load`` after the object pickle (red team 122pk-2): ``for key in
    deserialized_storage_keys: assert key in deserialized_objects`` and
    ``_set_from_file(f, ...)`` of that key's storage, which reads an 8-byte element count and the
    storage's bytes (``numel x element size`` of the key's first id) and raises on a short read.
    (why torch certainly raises, in either mode; why mlbom cannot tell)."""
    if keys is None or data_bytes is None:
        return None, "a storage-keys pickle that is no list of str keys mlbom can read"
    need = 0
    for key in keys:
        if key not in rep.legacy_storages:
            if rep.legacy_storages_complete:
                return f"the storage-keys pickle names {key[:40]!r}, a key no storage id of the object pickle has " \
                    "(torch asserts it is in deserialized_objects)", None
            return None, f"a storage key {key[:40]!r} among ids mlbom did not all read"
        nbytes = rep.legacy_storages[key]
        if nbytes is None:
            return None, f"the size of the storage {key[:40]!r}, which mlbom cannot compute"
        need += 8 + nbytes
    if need > data_bytes:
        return f"the storages the keys name need {need} bytes after the pickles (an 8-byte count and the data " \
            f"each), {data_bytes} are there (torch reads past the end)", None
    return None, None


def _legacy_version(parts: Sequence[tuple[str, PickleReport]]) -> object:
    """The value of the protocol-version pickle (None where there is none)."""
    return parts[1][1].value if len(parts) > 1 and parts[1][1].complete else None


def _legacy_weights_only(parts: Sequence[tuple[str, PickleReport]], truncated: bool, version: object, acc: _Acc,
                         facts: dict[str, str], where: str,
                         storages: tuple[list[str] | None, int | None] = (None, None)) -> None:
    """``mlbom:torch:weights-only`` of a legacy checkpoint (red team 119pk-2): ``_legacy_load``
    reads ALL five pickles with the unpickler it is given (``torch.load(weights_only=True)``: the
    restricted one), the object pickle with its ``persistent_load``, the others with none (a
    persistent id there raises in either mode), and requires the protocol version to equal
    1001 ("Invalid protocol version", in either mode). ``true`` only when every pickle is
    accepted; a check that fails in either mode is ``pytorch.invalid`` / ``pytorch.tensor-invalid``
    (``error``) and no claim either way. ``storages``: the storage-keys pickle's keys and the bytes
    after the pickles, checked against the object pickle's storage ids
    (:func:`_legacy_storages_check`; red team 122pk-2)."""
    reasons: list[tuple[str, str]] = []  # (finding id, why)
    storage_unknown: str | None = None
    if truncated:
        reasons.append(("pytorch.legacy-truncated", "the file ends before the storage-keys pickle"))
    for i, (part, rep) in enumerate(parts):
        if i == 1 and rep.complete and (why := _version_refused(version)) is not None:
            reasons.append(("pytorch.invalid", why))
        if i != 3 and rep.persistent_ids:
            reasons.append(("pytorch.invalid", f"a persistent id in the {part} pickle, which torch reads with no "
                            "persistent_load (UnpicklingError)"))
        if rep.torch_zip_refused is not None:
            reasons.append(("pytorch.tensor-invalid", f"({part} pickle) {rep.torch_zip_refused}"))
        if i == 3:
            if rep.storage_devices:  # red team 15a-5
                facts["torch.storage-devices"] = ",".join(rep.storage_devices)
            if rep.load_refused is not None:
                reasons.append(("pytorch.tensor-invalid", rep.load_refused))
            why = _storage_refused(rep, "legacy")
            if why is not None:
                reasons.append(("pytorch.tensor-invalid", why))
            if len(parts) == len(_LEGACY_PARTS) and parts[4][1].complete:
                why, storage_unknown = _legacy_storages_check(rep, *storages)
                if why is not None:
                    reasons.append(("pytorch.tensor-invalid", why))
    for fid, why in reasons:
        if fid != "pytorch.legacy-truncated":  # (reported with the walk)
            acc.add(fid, "high", f"{where}: {why}: torch.load raises, with or without weights_only", effect="error")
    if reasons:
        facts.pop("torch.weights-only", None)  # it does not load: no claim either way
        return
    unknown: str | None = None
    for i, (part, rep) in enumerate(parts):
        answer, why = _wo_answer(rep, "legacy" if i == 3 else None)
        if answer == "false":
            facts["torch.weights-only"] = "false"
            acc.add("torch.weights-only-refused", "info", f"{where}: torch.load(weights_only=True) would refuse it "
                    f"(first refused: {why}, in the {part} pickle)")
            return
        if answer == "unknown" and unknown is None:
            unknown = f"{why} (the {part} pickle)"
    if unknown is None and len(parts) < len(_LEGACY_PARTS):
        unknown = f"the walk ended in the {parts[-1][0]} pickle"
    if unknown is None and storage_unknown is not None:
        unknown = storage_unknown
    if unknown is not None:
        facts.pop("torch.weights-only", None)
        acc.add("torch.weights-only-unknown", "info", f"{where}: whether torch.load(weights_only=True) accepts it "
                f"could not be decided ({unknown})")
        return
    facts["torch.weights-only"] = "true"


def _version_refused(version: object) -> str | None:
    """Why ``_legacy_load``'s ``protocol_version != PROTOCOL_VERSION`` holds for the value the walk
    knows (a number other than 1001, or a value that is no number); None where it passes or the
    walk cannot tell."""
    if type(version) in (int, bool, float):
        if version == _LEGACY_PROTOCOL_VERSION:
            return None
        shown = repr(version)[:60]
    elif _plain_value(version):
        from mlbom.formats.pickle_values import describe

        shown = describe(version)[:60]
    else:
        return None
    return f"its protocol-version pickle is {shown}, not {_LEGACY_PROTOCOL_VERSION}: torch raises 'Invalid protocol version'"


def _plain_value(v: object) -> bool:
    """A value the walk knows is no number (text, bytes, a container, None): it never equals one."""
    from mlbom.formats.pickle_values import NONE, Blob, Dct, Seq, Text

    return isinstance(v, str | Text | Blob | Dct | Seq) or v is NONE


def _storage_refused(rep: PickleReport, layout: str) -> str | None:
    """Why torch's ``persistent_load`` of ``layout`` raises on a storage id of ``rep``, in either
    mode (:func:`mlbom.formats.torch_weights_only.storage_ids_check`; red team 119pk-3)."""
    from mlbom.formats import torch_weights_only

    return torch_weights_only.storage_ids_check(rep, layout)[0]


def _wo_report(rep: PickleReport, stream: IO[bytes], start: int, end: int) -> PickleReport:
    """The report torch's weights_only reading gives: the walk's own, or — where it stopped at a
    PROTO byte above 5, which pickle refuses and that unpickler reads past (red team 119pk-5) —
    a walk that reads on as it does (for the claim only: the verdict stays the walk's)."""
    if rep.proto_unsupported is None:
        return rep
    stream.seek(start)
    return _walk(stream, end, joblib=False, torch_wo=True)


def _weights_only(rep: PickleReport, acc: _Acc, facts: dict[str, str], where: str, *,
                  layout: str | None = None) -> None:
    """``mlbom:torch:weights-only`` for a checkpoint's main pickle, and ``pytorch.tensor-invalid``
    where a check torch.load makes in either mode certainly fails (then no claim either way).
    ``layout`` ("zip" or "legacy"): whose ``persistent_load`` reads the storage ids."""
    _weights_only_claim(rep, acc, facts, where, layout)
    if rep.storage_devices:  # red team 15a-5: loads only where the device is (or with a map_location)
        facts["torch.storage-devices"] = ",".join(rep.storage_devices)
    if rep.load_refused is not None:  # red team 11a-2
        acc.add("pytorch.tensor-invalid", "high", f"{where}: {rep.load_refused}: torch.load raises, with or "
                "without weights_only", effect="error")
        facts.pop("torch.weights-only", None)


def _wo_answer(rep: PickleReport, layout: str | None) -> tuple[str, str | None]:
    """("true", None), ("false", the first thing refused) or ("unknown", why): whether
    ``torch.load(weights_only=True)`` accepts the pickle (the pickle engineer's table)."""
    try:
        from mlbom.formats import torch_weights_only  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return "unknown", "mlbom's weights_only table is not installed"
    check = getattr(torch_weights_only, "weights_only_check", None)
    if check is None:
        return "unknown", "mlbom's weights_only table is not installed"
    try:
        ok, refused = check(rep, layout=layout) if layout is not None else check(rep)
    except (OSError, ValueError, KeyError) as exc:
        return "unknown", str(exc)
    return ("true", None) if ok else ("false", refused)


def _weights_only_claim(rep: PickleReport, acc: _Acc, facts: dict[str, str], where: str,
                        layout: str | None = None) -> None:
    """``mlbom:torch:weights-only``: whether ``torch.load(weights_only=True)`` would accept the
    main pickle (the pickle engineer's table)."""
    answer, why = _wo_answer(rep, layout)
    if answer == "unknown":
        facts.pop("torch.weights-only", None)
        acc.add("torch.weights-only-unknown", "info", f"{where}: whether torch.load(weights_only=True) accepts it "
                f"could not be decided ({why})")
        return
    facts["torch.weights-only"] = answer
    if answer == "false":
        acc.add("torch.weights-only-refused", "info",
                f"{where}: torch.load(weights_only=True) would refuse it (first refused: {why})")


def _storage_records(rep: PickleReport, records: Mapping[str, tuple[int, ...]], acc: _Acc,
                     facts: dict[str, str], where: str) -> None:
    """torch.load (either mode) reads the record ``data/<key>`` of each ('storage', ..., key, ...)
    persistent id as it unpickles it (``persistent_load`` -> ``get_storage_from_record``): a key
    with no record is a RuntimeError, the checkpoint cannot load at all (red team 8a). The record
    must also hold exactly ``numel * element_size(dtype)`` bytes, as the key's first id declares
    them ("record size (N bytes) does not match expected size", red team 91sa-1): a copy of
    another size (torch's reader may return any copy) is ``pytorch.invalid``; a size mlbom cannot
    compute exactly (:attr:`PickleReport.storage_nbytes` None) is not checked."""
    missing = [k for k in rep.storage_keys if _record_key(k) not in records]
    if missing:
        shown = ", ".join(repr(k) for k in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        acc.add("pytorch.storage-missing", "high", f"{where}: the pickle names storage record(s) the archive does "
                f"not hold (data/{shown}): torch.load raises, with or without weights_only", effect="error")
        facts.pop("torch.weights-only", None)  # it does not load: no claim either way
    for k in rep.storage_keys:
        want = rep.storage_nbytes.get(k)
        bad = [n for n in records.get(_record_key(k), ()) if want is not None and n != want]
        if bad:
            acc.add("pytorch.invalid", "high", f"{where}: the storage record data/{k[:100]!r} holds {bad[0]} bytes, "
                    f"the pickle declares {want} (numel x element size): torch.load raises 'record size does not "
                    "match expected size', with or without weights_only (torch.load(mmap=True) does not check: it "
                    "slices the declared size from the file)", effect="error")
            facts.pop("torch.weights-only", None)
            break


# ---- npy --------------------------------------------------------------------------------

def _scan_npy(fh: IO[bytes], size: int, acc: _Acc, facts: dict[str, str], ctx: _Ctx, *, where: str) -> str:
    f = weights.parse_npy(fh, size)
    _merge(f, acc, facts, where)
    if f.pickle_offset is not None:
        fh.seek(f.pickle_offset)
        rep = _walk(fh, size, joblib=False)
        acc.pickle(rep, f"{where} (object array)")
    return "numpy"


# ---- compressed streams ---------------------------------------------------------------------

_CODEC_SUFFIX = SUFFIXES  # one table with the dataset collector's (it reads a name past these)


def _scan_compressed(fh: IO[bytes], codec: str, size: int, name: str, acc: _Acc, facts: dict[str, str], ctx: _Ctx, *,
                     depth: int, where: str) -> str:
    """A compressed stream is judged by what it decompresses to: it is inflated (under the
    ratio and size caps) to a temporary file, in memory up to :data:`SPOOL_IN_MEMORY`, and
    scanned like a file of its own (a pickle from joblib's ``compress=`` among them)."""
    facts["compression"] = codec
    fh.seek(0)
    stream = Decompressing(fh, codec, ctx.limits, budget=ctx.output)
    inner_name = name
    for suf in _CODEC_SUFFIX.get(codec, ()):
        if inner_name.lower().endswith(suf):
            inner_name = inner_name[: -len(suf)]
    label = f"{where} ({codec})"
    with _spool(stream, ctx, acc) as (tmp, n), inflation.inflated_from(size):
        _stream_notes(stream, acc, label)
        inner = _scan_content(tmp, n, inner_name, acc, {}, ctx, depth=depth + 1, where=label)
    _check_claim(inner_name, inner, acc)
    at = stream.trailing_at
    if stream.trailing_kind is not None and at is not None and 0 < at < size and depth < ctx.limits.max_depth:
        # another format's start after the last stream: the reading another loader makes is judged too (18c-2)
        _scan_content(Window(fh, at, size - at), size - at, name + ".trailing", acc, {}, ctx,  # type: ignore[arg-type]
                      depth=depth + 1, where=f"{where} (bytes after the last {codec} stream)")
    return f"{inner}+{codec}"


def _stream_notes(stream: Decompressing, acc: _Acc, label: str) -> None:
    if stream.members > 1 and stream.codec == "zlib":
        acc.add("compressed.multi-stream", "high", f"{label}: {stream.members} zlib streams back to back: joblib "
                "writes one; its readers differ on the rest (some read on, some never return), so the streams "
                "were read on and judged together", effect="suspicious")
    for note in dict.fromkeys(stream.notes):
        fid = "lz4.checksum-mismatch" if stream.codec == "lz4" else "gzip.crc-mismatch"
        acc.add(fid, "high", f"{label}: {note}", effect="suspicious")
    if stream.garbage:
        acc.add("gzip.trailing-garbage", "high", f"{label}: {stream.garbage} bytes after the last gzip member are "
                "no gzip member: gzip.GzipFile raises only when a read reaches them, after it has handed out the "
                "members before (pickle.load through gzip.open, as pandas.read_pickle, has run the pickle by then); "
                "the content before them is judged", effect="suspicious")
    if stream.trailing and stream.trailing_kind is not None:
        acc.add("compressed.trailing-stream", "high", f"{label}: the {stream.trailing} bytes after the last "
                f"{stream.codec} stream start {stream.trailing_kind}: this decompressor ignores (or stops at) them, "
                "another reader (pandas picks the codec by the file's name, joblib by the first bytes) reads them; "
                "judged as a file of their own too", effect="suspicious")
    elif stream.trailing:
        acc.add("compressed.trailing-data", "low", f"{label}: {stream.trailing} bytes after the last compressed "
                "stream (ignored by the decompressor)")
    if stream.skippable_only:
        acc.add("lz4.skippable-only", "high", f"{label}: nothing but skippable frames (magic 50-5f 2a 4d 18, shared "
                "by lz4 and zstd): nothing decodes, so there is no content to vouch for", effect="error")


class _Same:
    """Context manager handing back an already seekable stream and its size."""

    def __init__(self, stream: IO[bytes], size: int) -> None:
        self.stream = stream
        self.size = size

    def __enter__(self) -> tuple[IO[bytes], int]:
        return self.stream, self.size

    def __exit__(self, *exc: object) -> None:
        pass


class _spool:
    """Context manager: the rest of ``stream`` copied into a temporary file (in memory up to
    :data:`SPOOL_IN_MEMORY`), at most ``limits.max_member_spool`` bytes.

    A read error (corrupt data, a bomb, the cap) after some output does not discard it: the
    loaders' readers hand out what precedes the error and ``pickle.load`` runs a pickle there
    before the error is reached (red team 16c-2/-3/-7). The bytes before it are the content the
    body judges; the error is raised when the body is done (the worst of both is the verdict).
    What the body finds ``error`` in a prefix (a format cut short, unknown bytes) is an effect of
    the cut, not of the content: with ``acc`` given, those findings stay listed without their
    ``error`` effect, and the stream's error gives the verdict its own effect (a bomb suspicious)."""

    def __init__(self, stream: IO[bytes] | Decompressing, ctx: _Ctx, acc: _Acc | None = None) -> None:
        self.stream = stream
        self.ctx = ctx
        self.acc = acc
        self.before = (acc.error, set(acc.error_ids)) if acc is not None else (False, set())
        self.tmp: tempfile.SpooledTemporaryFile[bytes] | None = None
        self.error: FormatError | None = None
        self.n = 0

    def __enter__(self) -> tuple[IO[bytes], int]:
        self.tmp = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
        cap = self.ctx.limits.max_member_spool
        try:
            while True:
                chunk = self.stream.read(1 << 20)
                if not chunk:
                    break
                if self.n + len(chunk) > cap:
                    self.tmp.write(chunk[:cap - self.n])
                    self.n = cap
                    raise FormatError(f"content over {cap} bytes would have to be inflated to be scanned; over the limit")
                self.n += len(chunk)
                self.tmp.write(chunk)
        except FormatError as exc:
            if not self.n:  # nothing before the error
                self.tmp.close()
                raise
            self.error = exc
        self.tmp.seek(0)
        return self.tmp, self.n

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self.tmp is not None:
            self.tmp.close()
        if exc_type is None and self.error is not None:
            if self.acc is not None:
                self.acc.error, self.acc.error_ids = self.before[0], self.before[1]
            err = self.error
            err.args = (f"{err}; the {self.n} bytes read before it were judged (a loader's reader hands them out "
                        "before it reaches the error)",)
            raise err


# ---- zip ------------------------------------------------------------------------------------

_STORAGE_DIRS = {"pytorch-zip": ("data/",), "torchscript": ("data/", "constants/", "bytecode/")}
_TORCH_SMALL = {"version", "byteorder", ".data/version", ".data/serialization_id", ".format_version",
                ".storage_alignment", ".data/python_version"}


def _scan_zip(fh: IO[bytes], size: int, name: str, acc: _Acc, facts: dict[str, str], ctx: _Ctx, *, depth: int,
              where: str, eocd: int | None, scan_prefix: bool = True, arc: ZipArchive | None = None,
              zipfile_view: bool = True) -> str:
    if arc is None:
        if eocd is None:
            eocd = find_end_record(fh, size)
        if eocd is None:
            acc.add("zip.invalid", "high", f"{where}: starts like a zip archive but has no end-of-central-directory "
                    "record that zipfile or torch's reader finds (both refuse it)", effect="error")
            return "zip"
        arc = read_archive(fh, size, eocd, ctx.limits)
        if scan_prefix and arc.start > 0:
            chain, rest = _archive_chain(fh, arc.start, ctx)
            if chain:
                return _scan_concatenated(fh, size, name, acc, ctx, arc, chain, rest, depth=depth, where=where)
    for note in arc.notes:
        acc.add(note.id, "high", f"{where}: {note.message}", effect="suspicious")
    files = [e for e in arc.entries if not e.is_dir]
    # zipfile reads a folder entry's bytes by its name: any entry with data is judged
    judged = [e for e in arc.entries if not e.is_dir or e.holds_data]
    names = [e.name for e in files]
    top = names[0].split("/", 1)[0] if names and "/" in names[0] else ""
    prefix = top + "/" if top else ""
    # torch's root (PyTorchStreamReader::init): central-directory entry 0's text before its first
    # "/", a folder entry included (red team 91sa-2)
    first = arc.entries[0].name if arc.entries else ""
    ttop = first.split("/", 1)[0] if "/" in first else ""
    tprefix = ttop + "/" if ttop else ""
    kind = "zip"
    keys = {_miniz_key(n) for n in names}  # as torch's reader compares names (ASCII case ignored)
    pt2_root = next((p for p in dict.fromkeys((tprefix, prefix)) if _pt2_archive(fh, arc.entries, p, ctx)), None)
    if pt2_root is not None:
        # first: torch.export.load reads it as pt2 whatever else it holds (a data.pkl too: judged by
        # content, as are all records but the raw tensors its configs declare)
        kind = "pt2"
    elif any(k == "data.pkl" or k.endswith("/data.pkl") for k in keys):
        # torch's reader finds records ignoring ASCII case (_miniz_key): archive/DATA.PKL is its data.pkl
        kind = "pytorch-zip"
        top, prefix = ttop, tprefix
        if _miniz_key(f"{prefix}data.pkl") not in keys:
            acc.add("pytorch.data-pkl-elsewhere", "high", f"{where}: data.pkl is not under the archive's first "
                    f"folder {top!r}, where torch.load looks for it", effect="suspicious")
        tops = {n.split("/", 1)[0] for n in names if "/" in n}
        if len(tops) > 1:
            acc.add("pytorch.several-roots", "high", f"{where}: members under several top folders "
                    f"({', '.join(sorted(tops)[:5])}): torch reads only {top!r}, other readers see the rest",
                    effect="suspicious")
        if any(k.endswith("/constants.pkl") or k == "constants.pkl" for k in keys):
            kind = "torchscript"
    elif "config.json" in names and (any(n.startswith("model.weights.") for n in names) or "metadata.json" in names
                                     or name.lower().endswith(".keras")):
        kind = "keras"
    elif any(k.endswith("/version") or "/data/" in k for k in keys):  # ASCII case ignored, as torch's reader
        acc.add("pytorch.data-pkl-missing", "high", f"{where}: looks like a PyTorch checkpoint (version, data/ entries) "
                "but has no data.pkl: cannot be loaded or checked", effect="error")
    if kind == "torchscript":
        code = [n for n in names if n.startswith(f"{prefix}code/")]
        acc.add("torchscript.code", "medium", f"{where}: TorchScript archive: {len(code)} code file(s) under "
                f"{prefix}code/ are compiled by torch.jit.load and run when the model is called; TorchScript is code, "
                "not data", effect="suspicious")
    if kind in ("pytorch-zip", "torchscript", "pt2"):
        _case_collisions(arc.entries, acc, where)
    raw: frozenset[str] = frozenset()
    if kind == "pt2" and pt2_root is not None:
        prefix = pt2_root
        top = prefix[:-1]
        raw = _pt2_report(fh, arc.entries, prefix, acc, ctx, where)
    # the members skops.io.load reads as a bytes/bytearray value's raw bytes (106sa-3), in a zip no
    # other loader reads (kind "zip": no torch, pt2 or Keras reading) and in zipfile's own directory
    # (the one skops opens; not torch's other one)
    skops_raw = _skops_raw_entries(fh, arc.entries, ctx) if kind == "zip" and zipfile_view else frozenset()
    # torch.serialization.set_crc32_options(False) writes CRC 0 for every record: torch's own
    # mode, not a mismatch (zipfile-based tools refuse such an archive; torch reads it)
    check_crc = not (kind in ("pytorch-zip", "torchscript", "pt2") and files and all(e.crc == 0 for e in files))
    if not check_crc:
        acc.add("zip.crc-not-computed", "info", f"{where}: every record's CRC-32 is 0 (saved with torch's "
                "set_crc32_options(False)): torch reads it, zipfile-based tools refuse it")
    seen: set[tuple[int, int, int, int, bool, bool, bool]] = set()
    budget_told = False  # compressed.parse-budget said once
    npy_members = 0
    # the records torch's reader finds (names below the archive's first folder)
    # (each with the sizes of its copies: torch's reader may return any)
    records: dict[str, tuple[int, ...]] | None = None
    if kind == "pytorch-zip":
        records = {}
        for e in files:
            if (k := _miniz_key(e.name)).startswith(_miniz_key(prefix)):
                records[k[len(prefix):]] = (*records.get(k[len(prefix):], ()), e.usize)
    # the name's ASCII tail reads the same in any decoding, and miniz folds ASCII case
    pt2_named = any(n.lower().endswith("archive_format") for n in names)
    # every member torch's reader may return for <root>/data.pkl (it compares names ignoring ASCII
    # case and, of several, may return any: red team 119pk-6), by the bytes each is judged from,
    # with the weights-only answer each gave (None: no claim)
    wo_key = _miniz_key(f"{prefix}data.pkl") if kind in ("pytorch-zip", "torchscript") else None
    wo_copies = {_entry_key(e) for e in judged if wo_key is not None and _miniz_key(e.name) == wo_key}
    wo_answers: dict[tuple[int, int, int, int, bool, bool, bool], str | None] = {}
    for e in judged:
        member_where = f"{where}!{e.name}"
        _member_name_checks(e, acc, member_where)
        rel = e.name[len(prefix):] if prefix and e.name.startswith(prefix) else e.name
        if wo_key is not None and _miniz_key(e.name) == wo_key:
            rel = e.name[len(prefix):]  # torch's reader finds <root>/data.pkl ignoring ASCII case
        # np.load opens any zip as an NpzFile and reads every member whose (inflated) bytes begin
        # with the NPY magic as an array, object arrays unpickled, whatever its name: such a member
        # is judged before any role (red team 23e-3); a cut name has two readers: judged too
        declared_raw = False
        if e.zipfile_name == e.name and kind == "torchscript" and rel.startswith("code/"):
            if not _npy_magic(fh, e, ctx):
                continue  # reported as code above
        elif e.zipfile_name == e.name and not _npy_member(fh, e, ctx if kind in _STORAGE_DIRS else None):
            if kind in ("pytorch-zip", "torchscript"):
                low = _miniz_key(rel)  # torch's reader ignores ASCII case
                # torch reads it as bytes: a storage of the archive it sits in (``data/`` for data.pkl;
                # TorchScript's readArchive reads ``constants.pkl``'s and ``bytecode.pkl``'s from
                # ``constants/`` and ``bytecode/``, as torch.jit's lite-interpreter files before 1.10 have them)
                storage = low.startswith(_STORAGE_DIRS[kind]) and not low.endswith(".pkl")
                small = (rel in _TORCH_SMALL or rel.startswith(".data/")) and e.usize <= 4096  # read as strings
                if storage and e.method != 0 and not pt2_named:
                    # torch.load inflates it (miniz), torch.load(mmap=True) slices the stored bytes
                    # and whatever follows them in the file: two readings of the weights, and
                    # torch.save never compresses a storage (red team 94s-1)
                    acc.add("pytorch.compressed-storage", "high", f"{member_where}: a compressed storage "
                            "record: torch.load inflates it, torch.load(mmap=True) reads its stored bytes "
                            "raw (and the bytes after them) as the tensor's data — the weights differ by "
                            "how the file is loaded; torch.save never compresses a storage",
                            effect="suspicious")
                if (storage or small) and not pt2_named:
                    continue  # raw bytes torch.load never unpickles, whatever they hold (red team 23e-1)
                # an archive_format member: torch.export.load may take it as pt2 under a root name
                # mlbom decodes otherwise (red team 21e-3): its records judged as pt2 reads them
                declared_raw = storage or small
            elif kind == "pt2" and rel in raw:
                declared_raw = True  # raw tensor bytes torch.export.load views as a tensor (its config says so)
        reads_as = _loader_reads(fh, e) if declared_raw else "zip"
        if reads_as is None:
            continue  # bytes torch.load cannot read as a file: never unpickled, whatever the name
        # several entries sharing one member's bytes: scanned once per role, after the role is decided
        # — an entry skipped above never marks the bytes scanned for another entry that is judged (red
        # team 21e-2); a .pkl name (torch's pickle) and a declared-raw record that reads as a pickle
        # are roles of their own beside a member judged by content
        key = _entry_key(e, reads_as == "pickle")
        if key in seen:
            continue  # (reported above: zip.shared-data)
        seen.add(key)
        data_pkl = key in wo_copies
        if data_pkl:
            facts.pop("torch.weights-only", None)
        if reads_as == "pickle":
            ctx.work -= e.usize
            _judge_raw_pickle(fh, e, acc, member_where)
            continue
        lim = ctx.limits
        if e.method != 0 and e.usize > lim.ratio_floor and e.usize > lim.max_ratio * max(e.csize, 1):
            acc.add("compressed.bomb", "high", f"{member_where}: declares {e.csize} bytes inflating to {e.usize} "
                    f"(ratio {e.usize // max(e.csize, 1)}:1, limit {lim.max_ratio}:1); not inflated", effect="suspicious")
            continue
        if e.method != 0 and inflation.spent():
            # each member costs a decoder's start-up and first block (a 150-byte bzip2 member: 900 KB, 6 ms;
            # red team 106p-1: 300 of them): past the file's parse budget nothing more is inflated
            if not budget_told:
                budget_told = True
                acc.add("compressed.parse-budget", "high", f"{member_where}: this file's budget for parsing "
                        "decompressed content is spent; it and the compressed members after it were not inflated "
                        "or judged", effect="error")
            continue
        ctx.work -= e.usize
        ctx.entries -= 1
        if ctx.work < 0 or ctx.entries < 0:
            acc.add("zip.work-budget", "high", f"{where}: members claim more than {ctx.limits.max_work} bytes, or more "
                    f"than {ctx.limits.max_entries} entries, in all; the rest is not scanned", effect="error")
            break
        ctx.members -= 1
        if ctx.members < 0:  # (122fmt-5: 10,000 tiny templates in a 970 KB stored zip took 2.3 s)
            acc.add("zip.member-budget", "high", f"{where}: more members than mlbom judges in a file of this size "
                    f"(one per {ZIP_BYTES_PER_MEMBER} bytes of the file, or {ZIP_MEMBERS_FLOOR}, all its zips "
                    "together); the rest is not judged", effect="error")
            break
        try:
            member_fmt = _scan_member(fh, e, kind, rel, acc, facts, ctx, depth=depth, where=member_where,
                                      records=records, check_crc=check_crc,
                                      raw=_SKOPS_RAW if id(e) in skops_raw else None)
        except BombError as exc:
            acc.add("compressed.bomb", "high", f"{member_where}: {exc}", effect="suspicious")
            continue
        except FormatError as exc:
            acc.add("zip.member-unreadable", "high", f"{member_where}: {exc}", effect="error")
            continue
        finally:
            if data_pkl:
                wo_answers[key] = facts.get("torch.weights-only")
        if member_fmt == "numpy":
            npy_members += 1
    if len(wo_copies) > 1:
        _data_pkl_copies(wo_copies, wo_answers, acc, facts, where)
    if kind in ("pytorch-zip", "torchscript"):
        refused = _torch_records(fh, arc.entries, prefix, acc, facts, ctx, where)
        if not refused:  # (by torch's rule, not mlbom's kind: a name cut at a NUL counts too)
            _torchscript_claim(arc.entries, acc, facts, where)
        if arc.miniz is not None and "torch.weights-only" in facts:
            # torch's reader takes another central directory (zip.directory-mismatch): its data.pkl
            # may be another member than the one judged here
            facts.pop("torch.weights-only")
            acc.add("torch.weights-only-unknown", "info", f"{where}: whether torch.load(weights_only=True) accepts "
                    "it is not claimed: torch's reader reads another central directory than the one judged")
    if kind == "zip" and judged and npy_members == len(judged):
        kind = "numpy-npz"
    elif kind == "zip" and acc.skops:
        kind = "skops"
    if depth == 0 and ctx.folder is not None and scan_prefix and name.lower().endswith(".distcp"):
        _dcp_slices(fh, size, name, acc, ctx, {(arc.start, size)}, where=where)  # a one-item shard
    if arc.start > 0 and scan_prefix:
        _scan_prefix(fh, arc.start, name, acc, ctx, depth=depth, where=where)
    if arc.miniz is not None:  # the directory torch.load reads instead (zip.directory-mismatch above)
        _scan_zip(fh, size, name, acc, {}, ctx, depth=depth + 1, where=f"{where} (torch's central directory)",
                  eocd=eocd, scan_prefix=False, arc=arc.miniz, zipfile_view=False)
    return kind


_SKOPS_RAW = ("skops.io.load reads this member as the raw bytes of a bytes/bytearray value (a BytesNode of "
              "schema.json names it) and never parses them")


def _skops_raw_entries(fh: IO[bytes], entries: Sequence[ZipEntry], ctx: _Ctx) -> frozenset[int]:
    """The entries (``id``) that ``skops.io.load`` reads as raw bytes (red team 106sa-3):
    ``BytesNode``/``BytearrayNode`` read ``load_context.src.read(state["file"])`` (skops/io/
    _general.py) — ``zipfile``'s lookup of that name, the last entry of the name as ``zipfile``
    cuts it — of the schema skops reads (``read_schema``: ``json.loads(zip_file.read("schema.json"))``,
    the last entry named ``schema.json``), and never parse them. Such a member is still judged by
    its content (a reader that takes it out of the archive may parse it); only the claim of its name
    (``<uuid4>.bin``, what skops writes, is no PyTorch file) and content in no format are no finding.
    Empty when the schema is not read here (over the parse allowance, not a skops node tree)."""
    import json

    from mlbom.formats import skops

    last: dict[str, ZipEntry] = {}
    for e in entries:
        if not e.is_dir:
            last[e.zipfile_name] = e
    schema = last.get("schema.json")
    if schema is None or schema.encrypted or schema.usize > min(MAX_TEXT, skops.MAX_SCHEMA):
        return frozenset()
    try:
        data = open_member(fh, schema, ctx.limits, ctx.output).read(schema.usize + 1)
        if schema.method != 0:
            with inflation.inflated_from(schema.csize):
                if _parse_bomb(data, "skops schema", charge=False) is not None:  # (charged where it is judged)
                    return frozenset()
        doc = json.loads(data)
    except (FormatError, BombError, OSError, EOFError, ValueError, RecursionError, MemoryError):
        return frozenset()
    return frozenset(id(last[n]) for n in skops.raw_members(doc) if n in last and n != "schema.json")


def _archive_chain(fh: IO[bytes], end: int, ctx: _Ctx) -> tuple[list[tuple[int, int]], int]:
    """Zip archives laid back to back before ``end`` (the start of the file's last archive),
    found from the end one after the other — each must end exactly where the next begins —
    as ``(start, end)`` pairs, last first; and the offset where the chain stops (0: it covers
    the file from its first byte). A loop, not a recursion: siblings do not consume the
    nesting bound; the archives' entries count against the scan's entry budget."""
    chain: list[tuple[int, int]] = []
    entries = 0
    while end > 0 and len(chain) < ctx.limits.max_members:
        view = Window(fh, 0, end)
        eocd = find_end_record(view, end)  # type: ignore[arg-type]
        if eocd is None:
            break
        try:
            arc = read_archive(view, end, eocd, ctx.limits)  # type: ignore[arg-type]
        except FormatError:
            break
        entries += len(arc.entries)
        if arc.end != end or arc.start >= end or not arc.entries or entries > ctx.entries:
            break
        chain.append((arc.start, end))
        end = arc.start
    return chain, end


def _scan_concatenated(fh: IO[bytes], size: int, name: str, acc: _Acc, ctx: _Ctx, last: ZipArchive,
                       chain: list[tuple[int, int]], rest: int, *, depth: int, where: str) -> str:
    """Several zip archives back to back — a ``torch.distributed.checkpoint`` shard
    (``*.distcp``) is one ``torch.save`` archive per item, and ``dcp.load`` hands each item's
    (offset, length) slice to ``torch.load``: tensor items with ``weights_only=True``, any other
    value (a BYTE_IO item) with ``weights_only=False``. Each archive is judged as its own file
    (its pickles walked in full, whatever they hold), at the same nesting depth. Read as one zip,
    the file is its last archive after a prefix (``zipfile``) or, for torch's reader, the
    directory its zip64 locator names: that reading is judged too; its notes are ``info`` when
    the archives cover the whole file (every byte is judged as a loader of the slices reads
    it), a differential (``suspicious``) where other bytes precede the first archive."""
    segments = [*reversed(chain), (last.start, size)]
    covered = rest == 0
    acc.add("zip.concatenated", "info", f"{where}: {len(segments)} zip archives back to back (as "
            "torch.distributed.checkpoint writes a shard: one torch.save archive per item, each loaded from its "
            "offset); each archive judged as its own file")
    for note in last.notes:
        if covered and note.id in ("zip.prefix-data", "zip.directory-mismatch") and "unreadable" not in note.message:
            acc.add(note.id, "info", f"{where} (read as one zip): {note.message}")
        else:
            acc.add(note.id, "high", f"{where} (read as one zip): {note.message}", effect="suspicious")
    if last.miniz is not None:  # what torch.load of the whole file reads
        _scan_zip(fh, size, name, acc, {}, ctx, depth=depth + 1, where=f"{where} (torch's central directory)",
                  eocd=None, scan_prefix=False, arc=last.miniz, zipfile_view=False)
    if rest > 0:
        _scan_prefix(fh, rest, name, acc, ctx, depth=depth, where=where)
    if depth == 0 and ctx.folder is not None:
        _dcp_slices(fh, size, name, acc, ctx, set(segments), where=where)
    kinds = []
    for start, end in segments:
        if ctx.work < 0 or ctx.entries < 0:
            break  # zip.work-budget reported by the archive that spent it
        view = Window(fh, start, end - start)
        seg_where = f"{where} (archive at {start})"
        try:
            kinds.append(_scan_zip(view, end - start, name, acc, {}, ctx, depth=depth,  # type: ignore[arg-type]
                                   where=seg_where, eocd=None, scan_prefix=False))
        except FormatError as exc:
            acc.add("zip.invalid", "high", f"{seg_where}: unreadable as its own archive ({exc})", effect="error")
    return "pytorch-dcp" if kinds and all(k == "pytorch-zip" for k in kinds) else "zip"


_PT2_MAX_CONFIG = 64 << 20  # bytes of a pt2 payload config read to learn which records hold raw tensor bytes


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _record_key(key: str) -> str:
    """The record torch's reader finds for a storage key: ``data/<key>`` passed to miniz as a C
    string, so cut at a NUL (red team 121wo-4: key ``'0\\x00x'`` loads ``data/0``), compared as
    :func:`_miniz_key` compares names."""
    return _miniz_key(f"data/{key}".split("\x00", 1)[0])


def _miniz_key(name: str) -> str:
    """A record name as torch's reader compares it: ``PyTorchStreamReader::getRecord`` calls
    ``mz_zip_reader_locate_file`` with no flags, a binary search over the central directory
    sorted by an (unstable) heap sort, comparing names through ``MZ_TOLOWER`` (ASCII case
    ignored). So which of two names equal this way it returns depends on the layout (red team
    20e-2: the second copy, wherever it sits, in the archives measured)."""
    return name.translate(_ASCII_LOWER)


def _member_copies(fh: IO[bytes], entries: Sequence[ZipEntry], name: str, ctx: _Ctx,
                   limit: int) -> list[bytes | None]:
    """The bytes of EVERY member torch's reader may return for ``name`` (each entry whose name,
    or its name as zipfile cuts it at a NUL, equals ``name`` ignoring ASCII case: which one
    miniz picks depends on the layout), in directory order; None for a copy larger than
    ``limit`` or that mlbom cannot read. Never "the" member of a name that repeats."""
    key = _miniz_key(name)
    out: list[bytes | None] = []
    for e in entries:
        if e.is_dir or key not in (_miniz_key(e.name), _miniz_key(e.zipfile_name)):
            continue
        if e.usize > limit or e.encrypted:
            out.append(None)
            continue
        try:
            data = open_member(fh, e, ctx.limits, ctx.output).read(limit + 1)
            if data is not None and e.method != 0:  # parsed whole: within the parse allowance (105sa-1)
                with inflation.inflated_from(e.csize):
                    _check_parse_work(data, "pt2 config")
        except (FormatError, BombError, OSError, EOFError, ValueError):
            data = None
        out.append(data if data is not None and len(data) <= limit else None)
    return out


_C_SPACE = b" \t\n\v\f\r"
# caffe2/serialize/versions.h (torch 2.13): kMinSupportedFileFormatVersion 0x1, kMaxSupportedFileFormatVersion 0xA
_TORCH_MIN_VERSION, _TORCH_MAX_VERSION = 1, 10
_TORCH_RECORD_LIMIT = 4096


def _torch_version_refused(data: bytes | None) -> str | None:
    """Why ``PyTorchStreamReader::init`` refuses a version record, None when it accepts it.
    It reads ``.data/version`` when the archive has that record (``hasRecord``: miniz, ASCII case
    ignored) and otherwise requires ``version`` ("Expected hasRecord("version")"); see
    :func:`_torch_version_copies` (red team 89s-1). It parses it with ``std::stoull`` (leading C white space, an optional
    sign, decimal digits, anything after them ignored — the C string stops at a NUL; no digit:
    "Couldn't parse the version"; an overflow raises too; ``-N`` wraps modulo 2**64), then
    requires kMinSupportedFileFormatVersion <= version <= kMaxSupportedFileFormatVersion."""
    if data is None:
        return f"its version record is missing or larger than {_TORCH_RECORD_LIMIT} bytes"
    text = data.split(b"\0", 1)[0].lstrip(_C_SPACE)
    sign = text[:1] if text[:1] in (b"+", b"-") else b""
    digits = text[len(sign):]
    n = len(digits) - len(digits.lstrip(b"0123456789"))
    if n == 0:
        return f"its version record {data[:40]!r} does not parse as an integer"
    value = int(digits[:n])
    if value >= 1 << 64:
        return f"its version record {data[:40]!r} is out of range of an unsigned 64-bit integer"
    if sign == b"-":
        value = (-value) % (1 << 64)
    if not _TORCH_MIN_VERSION <= value <= _TORCH_MAX_VERSION:
        return (f"its version is {value}; torch reads versions {_TORCH_MIN_VERSION} to {_TORCH_MAX_VERSION} "
                "(kMin/kMaxSupportedFileFormatVersion)")
    return None


def _torch_version_copies(fh: IO[bytes], entries: Sequence[ZipEntry], prefix: str, ctx: _Ctx) -> list[bytes | None]:
    """The version record(s) ``PyTorchStreamReader::init`` reads (caffe2/serialize/inline_container.cc,
    torch 2.13): ``if (hasRecord(".data/version")) getRecord(".data/version") else { TORCH_CHECK(
    hasRecord("version")); getRecord("version") }``. So every copy of ``<root>/.data/version`` (ASCII
    case ignored) when there is any, else every copy of ``<root>/version``; ``[None]`` (refused) when
    neither exists. ``version`` is not read at all when ``.data/version`` exists (red team 89s-1)."""
    found = _member_copies(fh, entries, f"{prefix}.data/version", ctx, _TORCH_RECORD_LIMIT)
    return found or _member_copies(fh, entries, f"{prefix}version", ctx, _TORCH_RECORD_LIMIT) or [None]


_TORCH_TEXT_LIMIT = 1 << 16  # a larger .storage_alignment / .data/serialization_id is not judged (error)


def _int_refused(data: bytes | None) -> bool:
    """Whether ``int(data)`` raises, as torch.serialization._load calls it on ``.storage_alignment``
    (whitespace around the digits, ``_`` between them and any size are accepted, as Python's int()
    accepts them; None, a record mlbom could not read, counts as refused: not judged)."""
    if data is None:
        return True
    try:
        int(data)
    except ValueError:
        return True
    return False


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _torch_root_refused(entries: Sequence[ZipEntry]) -> str | None:
    """Why torch refuses the archive's layout, None when it accepts it (red team 91sa-2).
    ``PyTorchStreamReader::init`` (caffe2/serialize/inline_container.cc, torch 2.13) takes the
    root from central-directory entry 0 (a folder entry included): the bytes before its first
    ``/``, none being "file in archive is not in a subdirectory"; ``getAllRecords`` (run by every
    ``torch.load``: ``_is_torchscript_zip``) throws on any entry whose name does not begin with
    ``<root>/`` (``strncmp``: bytes, case-sensitive)."""
    if not entries:
        return None
    first = entries[0].raw_name
    if b"/" not in first:
        return f"its first entry {entries[0].name[:100]!r} is not in a folder (torch's root)"
    want = first[:first.index(b"/") + 1]
    for e in entries:
        if not e.raw_name.startswith(want):
            return (f"the entry {e.name[:100]!r} is not under the folder {want.decode('cp437')!r} of the first "
                    "entry (torch's root)")
    return None


def _torch_records(fh: IO[bytes], entries: Sequence[ZipEntry], prefix: str, acc: _Acc, facts: dict[str, str],
                   ctx: _Ctx, where: str) -> bool:
    """The small records torch reads before any pickle and refuses the archive on (red team 86s-1):
    the version record (``<root>/.data/version`` when present, else ``<root>/version``:
    :func:`_torch_version_copies`, :func:`_torch_version_refused`) and, when present, ``<root>/byteorder``,
    which ``torch.serialization._load`` requires to be exactly ``b"little"`` or ``b"big"`` ("Unknown
    endianness type"); ``<root>/.storage_alignment``, which ``_load`` reads with ``int()``, and
    ``<root>/.data/serialization_id``, which it decodes as UTF-8 after unpickling (red team 91sa-1);
    and flag bit 13 on any entry, on which miniz refuses the whole archive.
    Every copy torch's reader may return is checked (it may return any); a refusal is
    ``pytorch.invalid`` (``error``) and drops the weights-only claim (returns True)."""
    reasons: list[str] = []
    root = _torch_root_refused(entries)
    if root is not None:
        reasons.append(root)
    versions = _torch_version_copies(fh, entries, prefix, ctx)
    reasons += [r for v in versions if (r := _torch_version_refused(v)) is not None][:1]
    for b in _member_copies(fh, entries, f"{prefix}byteorder", ctx, _TORCH_RECORD_LIMIT):
        if b not in (b"little", b"big"):
            shown = "unreadable" if b is None else repr(b[:40])
            reasons.append(f"its byteorder record is {shown}, not b'little' or b'big'")
            break
    for b in _member_copies(fh, entries, f"{prefix}.storage_alignment", ctx, _TORCH_TEXT_LIMIT):
        if _int_refused(b):  # _load: int(zip_file.get_record(".storage_alignment")), before any pickle
            shown = "unreadable" if b is None else repr(b[:40])
            reasons.append(f"its .storage_alignment record is {shown}, which Python's int() refuses")
            break
    for b in _member_copies(fh, entries, f"{prefix}.data/serialization_id", ctx, _TORCH_TEXT_LIMIT):
        if b is None or not _utf8(b):  # _load: zip_file.serialization_id(), a str (strict UTF-8) after unpickling
            shown = "unreadable" if b is None else repr(b[:40])
            reasons.append(f"its .data/serialization_id record is {shown}, which is not UTF-8 text")
            break
    if any(e.flags & 0x2000 for e in entries):
        reasons.append("an entry has flag bit 13 (encrypted central directory): miniz refuses the archive")
    for why in reasons:
        acc.add("pytorch.invalid", "high", f"{where}: {why}: torch.load refuses it, with or without weights_only",
                effect="error")
    pkl = _miniz_key(f"{prefix}data.pkl")
    if reasons or any(e.encrypted and _miniz_key(e.name) == pkl for e in entries):  # (zip.encrypted reported)
        facts.pop("torch.weights-only", None)  # it does not load: no claim either way
        return True
    return False


def _entry_key(e: ZipEntry, as_pickle: bool = False) -> tuple[int, int, int, int, bool, bool, bool]:
    """The bytes a zip entry is judged from, and in which role (entries sharing one are judged once)."""
    return (e.header_offset, e.csize, e.usize, e.method, e.encrypted, e.name.lower().endswith(".pkl"), as_pickle)


def _data_pkl_copies(copies: set[tuple[int, int, int, int, bool, bool, bool]],
                     answers: Mapping[tuple[int, int, int, int, bool, bool, bool], str | None], acc: _Acc,
                     facts: dict[str, str], where: str) -> None:
    """Several members torch's reader may return for ``<root>/data.pkl`` (the same name, or names
    equal ignoring ASCII case: which one miniz's binary search finds depends on the layout; red
    team 119pk-6): the claim stands only where every copy was judged and all give the same answer."""
    got = {answers.get(k) for k in copies}
    facts.pop("torch.weights-only", None)
    if len(got) == 1 and (answer := got.pop()) is not None:
        facts["torch.weights-only"] = answer
        return
    acc.add("torch.weights-only-unknown", "info", f"{where}: whether torch.load(weights_only=True) accepts it is not "
            f"claimed: {len(copies)} members are torch's data.pkl (names equal ignoring ASCII case), torch's reader "
            "may read any of them, and their answers differ or are not all known")


def _torchscript_claim(entries: Sequence[ZipEntry], acc: _Acc, facts: dict[str, str], where: str) -> None:
    """A TorchScript archive to ``torch.load``: ``_is_torchscript_zip`` is ``"constants.pkl" in
    zip_file.get_all_records()`` — a record named exactly ``<root>/constants.pkl`` (bytes, case
    kept; ``getAllRecords`` cuts each name at a NUL), under the root taken from entry 0 — and
    ``torch.load(weights_only=True)`` then raises before it reads data.pkl (red team 119pk-4):
    ``false``, whatever data.pkl holds (a layout torch refuses anyway: ``_torch_records``)."""
    if not entries or b"/" not in entries[0].raw_name:
        return
    root = entries[0].raw_name[:entries[0].raw_name.index(b"/") + 1]
    if not any(e.raw_name.startswith(root) and e.raw_name[len(root):].split(b"\0", 1)[0] == b"constants.pkl"
               for e in entries):
        return
    facts["torch.weights-only"] = "false"
    acc.add("torch.weights-only-refused", "info", f"{where}: torch.load(weights_only=True) would refuse it: it holds "
            f"{root.decode('cp437')}constants.pkl, so torch.load takes it for a TorchScript archive and raises "
            "('Cannot use weights_only=True with TorchScript archives')")


def _case_collisions(entries: Sequence[ZipEntry], acc: _Acc, where: str) -> None:
    """Members whose names differ only in ASCII case: one record to torch's reader (it compares
    names ignoring case, :func:`_miniz_key`), two to zipfile (red team 20e-2)."""
    spellings: dict[str, set[str]] = {}
    for e in entries:
        if not e.is_dir:
            spellings.setdefault(_miniz_key(e.name), set()).add(e.name)
    clashes = sorted(sorted(v) for v in spellings.values() if len(v) > 1)
    if clashes:
        shown = "; ".join(" / ".join(repr(n[:100]) for n in c[:3]) for c in clashes[:5])
        acc.add("zip.duplicate-name", "high", f"{where}: member names that differ only in case ({shown}): torch's "
                "reader matches names ignoring ASCII case and may return any of them, other readers tell them "
                "apart", effect="suspicious")


def _pt2_archive(fh: IO[bytes], entries: Sequence[ZipEntry], prefix: str, ctx: _Ctx) -> bool:
    """A ``torch.export.save`` archive: ``torch.export.load`` reads ``<root>/archive_format``
    and requires it to be ``pt2`` (torch/export/pt2_archive/_package.py) — any copy of it,
    as torch's reader may take any (the worst case: more records judged)."""
    return b"pt2" in _member_copies(fh, entries, f"{prefix}archive_format", ctx, 64)


def _pt2_report(fh: IO[bytes], entries: Sequence[ZipEntry], prefix: str, acc: _Acc, ctx: _Ctx,
                where: str) -> frozenset[str]:
    """Report a ``torch.export`` (pt2) archive and return the records that hold raw tensor bytes.

    ``torch.export.load`` deserializes each ``models/<name>.json`` into an ExportedProgram — a
    graph whose operators are named by string and resolved at load, run when it is called: a
    program, not data (``suspicious``, as TorchScript). Weights and constants are listed in
    ``data/weights/<name>_weights_config.json`` and ``data/constants/<name>_constants_config.json``:
    an entry with ``use_pickle`` false (and, for constants, a ``tensor_`` path) is raw bytes viewed
    as a tensor (``torch.as_strided``), never unpickled; every other record — ``use_pickle``
    weights and constants (``torch.load(weights_only=False)``), ``custom_obj_*``
    (``torch._C._pickle_load_obj``), ``opaque_obj_*`` (``pickle.loads``), the legacy
    ``<name>.pt`` files, ``data/sample_inputs/*.pt`` — is judged by its content. Only the configs
    torch reads count: those of a program under ``models/`` that has no legacy ``<name>.pt``
    (read instead of the config, red team 19e-3). A record a config names both ways, a record
    any load path reads by name, or a config mlbom cannot read, leaves its records judged by
    content. Every copy of a config torch's reader may take counts (a name repeated, or equal
    ignoring ASCII case: :func:`_miniz_key`): a record is raw only when every copy agrees, and
    a record whose name two members share is judged by content (red team 20e-2)."""
    import json

    names = [e.name for e in entries if not e.is_dir]
    models = [n for n in names if n.startswith(f"{prefix}models/") and n.endswith(".json")]
    acc.add("pt2.program", "medium", f"{where}: torch.export archive (pt2): {len(models)} exported program(s) under "
            f"{prefix}models/ are deserialized by torch.export.load into graphs whose operators are named by string "
            "and resolved at load, and run when the program is called; a program is code, not data",
            effect="suspicious")
    native = [n for n in names if n.startswith((f"{prefix}data/aotinductor/", f"{prefix}data/executorch/",
                                                f"{prefix}data/mtia"))]
    if native:
        acc.add("pt2.compiled-code", "high", f"{where}: {len(native)} record(s) of compiled code (AOTInductor "
                "shared libraries, ExecuTorch or MTIA programs) that torch's packaged-model loaders run",
                effect="suspicious")
    raw: set[str] = set()
    judged: set[str] = set()
    untrusted: set[str] = set()  # folders with a config copy mlbom cannot read: nothing there is raw
    records = {n[len(prefix):] for n in names if n.startswith(prefix)}
    present = {_miniz_key(r) for r in records}
    # _load_exported_programs: every record under models/ is a program, named by cutting
    # "models/" and ".json"; per program, a legacy data/weights/<name>.pt (data/constants/<name>.pt)
    # is read by name and torch.load-ed INSTEAD of the config (deserialize_torch_artifact:
    # weights_only=True, then weights_only=False): a config applies only without it
    programs = [r[len("models/"):len(r) - len(".json")] for r in records if r.startswith("models/")]
    for model in programs:
        judged.update((f"data/weights/{model}.pt", f"data/constants/{model}.pt", f"data/sample_inputs/{model}.pt"))
        for base, suffix, tensor_prefix in (("data/weights/", "_weights_config.json", ""),
                                            ("data/constants/", "_constants_config.json", "tensor_")):
            if _miniz_key(f"{base}{model}.pt") in present:
                continue  # the legacy file is read instead: torch never reads this config
            # every copy torch's reader may take (red team 20e-2): a record is raw only if all agree
            for data in _member_copies(fh, entries, f"{prefix}{base}{model}{suffix}", ctx, _PT2_MAX_CONFIG):
                try:
                    doc = json.loads(data) if data is not None else None
                except (ValueError, RecursionError):
                    doc = None
                config = doc.get("config") if isinstance(doc, dict) else None
                if not isinstance(config, dict):
                    untrusted.add(base)  # a copy mlbom cannot read may declare any record there pickled
                    continue
                for meta in config.values():
                    path = meta.get("path_name") if isinstance(meta, dict) else None
                    if not isinstance(path, str):
                        continue
                    record = base + path  # os.path.join(base, path_name) for a plain name
                    if meta.get("use_pickle") is False and path.startswith(tensor_prefix) and "/" not in path:
                        raw.add(record)
                    else:
                        judged.add(record)
    # torch finds a record ignoring ASCII case; a name two members share (as torch or zipfile
    # reads it) is a record no config can vouch for: judged by content
    counts: dict[str, int] = {}
    for e in entries:
        if not e.is_dir:
            for key in {_miniz_key(e.name), _miniz_key(e.zipfile_name)}:
                counts[key] = counts.get(key, 0) + 1
    unsure = {_miniz_key(r) for r in judged}
    return frozenset(r for r in raw if _miniz_key(r) not in unsure and counts.get(_miniz_key(prefix + r), 0) <= 1
                     and not r.startswith(tuple(untrusted)))


def _dcp_slices(fh: IO[bytes], size: int, name: str, acc: _Acc, ctx: _Ctx, segments: set[tuple[int, int]], *,
                where: str) -> None:
    """With the checkpoint's ``.metadata`` beside the shard: the (offset, length) slices
    ``dcp.load`` hands to ``torch.load`` must be the archives judged here. A slice that is not
    is a differential (``dcp.slice-mismatch``, ``suspicious``) and is judged as what the loader
    reads; a slice past the end is ``error`` (the load fails); a ``.metadata`` mlbom cannot
    read leaves the slices unchecked (``suspicious``: the loader may read others)."""
    assert ctx.folder is not None
    try:
        with _open_named(ctx.folder / ".metadata", follow=True) as mf:
            data = mf.read(dcp.MAX_METADATA + 1)
    except FileNotFoundError:
        return
    except OSError as exc:
        acc.add("dcp.slices-unchecked", "high", f"{where}: the checkpoint's .metadata is unreadable ({exc}): the "
                "slices dcp.load reads are not checked against the archives judged", effect="suspicious")
        return
    found = dcp.storage_slices(data)
    if found is None:
        acc.add("dcp.slices-unchecked", "high", f"{where}: the checkpoint's .metadata is not the Metadata pickle "
                "torch.distributed.checkpoint writes as mlbom reads it: the slices dcp.load reads are not checked "
                "against the archives judged", effect="suspicious")
        return
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    here = ctx.folder / base  # any spelling of this file's name (``./x``, ``sub/../x``): the file dcp.load opens
    mine = [x for x in found.items if x.path == base or _dcp_target(ctx.folder, x.path) == here]
    odd = [x for x in mine if (x.offset, x.offset + x.length) not in segments or x.transformed]
    acc.add("dcp.slices", "info", f"{where}: .metadata lists {len(mine)} item(s) in this shard; "
            f"{len(mine) - len(odd)} are exactly archives judged here")
    for x in odd[:16]:
        if x.offset < 0 or x.length < 0 or x.offset + x.length > size:
            acc.add("dcp.slice-outside", "high", f"{where}: .metadata places an item at {x.offset}+{x.length}, "
                    f"outside the file's {size} bytes (dcp.load fails)", effect="error")
            continue
        how = " through a transform (extension) mlbom does not apply" if x.transformed else ""
        acc.add("dcp.slice-mismatch", "high", f"{where}: .metadata has dcp.load read {x.length} bytes at {x.offset}"
                f"{how}, which is no archive judged here: judged as its own file", effect="suspicious")
        view = Window(fh, x.offset, x.length)
        _scan_content(view, x.length, f"{name}@{x.offset}", acc, {}, ctx, depth=1,  # type: ignore[arg-type]
                      where=f"{where} (item at {x.offset})")
    if len(odd) > 16:
        acc.add("dcp.slice-mismatch", "high", f"{where}: {len(odd) - 16} more such item(s), not judged",
                effect="error")


_DCP_MAX_FILES = 4096  # files a .metadata's items name, opened to check the slices
_DCP_MAX_JUDGED = 16  # slices judged as their own file (each one a torch.load input) per .metadata


def _dcp_metadata(fh: IO[bytes], size: int, name: str, read_as: str, acc: _Acc, ctx: _Ctx, *, depth: int,
                  where: str) -> None:
    """A checkpoint's ``.metadata`` (``__<rank>.metadata``): every item's slice judged as what
    ``dcp.load`` reads (red team 19e-1). ``FileSystemReader.read_data`` opens
    ``Path(checkpoint) / relative_path`` — any spelling, any file, a path out of the folder or an
    absolute one too — and hands ``[offset, offset + length)`` to ``torch.load``: a BYTE_IO item
    with ``weights_only=False``, a tensor with ``weights_only=True`` (filesystem.py, default_planner.py
    ``load_bytes``). So every slice is judged as its own file with the full rules — one that is
    exactly one of the zip archives of a shard too, since the shard's own scan need not be part
    of this run (``.metadata`` scanned alone, red team 20e-3); a slice that is no such archive is
    ``dcp.slice-mismatch`` (``suspicious``). Each named file is opened by :func:`_open_named`:
    a FIFO, device or socket is never opened (``dcp.slice-missing``, red team 20e-1). A file
    outside the folder (or reached through a link, or in a folder the walker skips) is
    ``dcp.slice-foreign`` (``suspicious``; its bytes are not read); a missing file or a slice
    past a file's end is ``error`` (the load fails). In an archive, or a ``.metadata`` mlbom
    cannot read, the slices are unchecked (``dcp.slices-unchecked``, ``suspicious``)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if not base.endswith(".metadata") or size <= 0:
        return
    fh.seek(0)
    data = fh.read(min(size, dcp.MAX_METADATA + 1))
    found = dcp.storage_slices(data)  # None past MAX_METADATA too
    if found is None:
        # dcp.load hands any file of this name to pickle.load, and a pickle reaches its classes in
        # spellings no byte search sees (escaped names, copyreg, lookalike item classes: red team
        # 98sa-1): a pickle here that is not the Metadata mlbom reads leaves the slices unchecked
        if dcp.names_checkpoint(data) or read_as in _OFFSET0_READ:
            acc.add("dcp.slices-unchecked", "high", f"{where}: a .metadata pickle that is not the Metadata object DCP "
                    "writes as mlbom reads it: the slices dcp.load reads from the checkpoint's files are not "
                    "checked", effect="suspicious")
        return
    if depth > 0 or ctx.folder is None:
        if depth > 0:
            acc.add("dcp.slices-unchecked", "high", f"{where}: a checkpoint's .metadata inside an archive: the "
                    f"{len(found.items)} slice(s) dcp.load reads once it is extracted are not checked (scan the "
                    "extracted folder)", effect="suspicious")
        else:
            acc.add("dcp.slices", "info", f"{where}: scanned without its folder: the {len(found.items)} slice(s) "
                    "dcp.load reads are not checked")
        return
    folder = ctx.folder
    per_file: dict[str, list[dcp.Slice]] = {}
    for x in found.items:
        per_file.setdefault(x.path, []).append(x)
    if len(per_file) > _DCP_MAX_FILES:
        acc.add("dcp.slices-unchecked", "high", f"{where}: items in {len(per_file)} files (more than "
                f"{_DCP_MAX_FILES}): the slices dcp.load reads are not checked", effect="error")
        return
    judged = exact = unjudged = 0
    for rel, items in sorted(per_file.items()):
        shown = repr(rel[:200])
        target = _dcp_target(folder, rel)
        if target is None:
            acc.add("dcp.slice-foreign", "high", f"{where}: {len(items)} item(s) in {shown}, which dcp.load opens "
                    "outside the checkpoint's folder, through a link or in a folder the scan skips: bytes no scan of "
                    "the folder judges; not read", effect="suspicious")
            continue
        try:  # a name from the data: never a blocking open, never a FIFO or device (red team 20e-1)
            tf = _open_named(target, beneath=folder)
        except (OSError, ValueError) as exc:
            acc.add("dcp.slice-missing", "high", f"{where}: {len(items)} item(s) in {shown}, which cannot be opened "
                    f"({getattr(exc, 'strerror', None) or exc}): dcp.load fails (or, on a FIFO, waits for ever)",
                    effect="error")
            continue
        with tf:
            try:
                tsize = os.fstat(tf.fileno()).st_size
                segments = _zip_segments(tf, tsize, ctx)
            except OSError as exc:
                acc.add("dcp.slice-missing", "high", f"{where}: {shown} is unreadable ({exc}): dcp.load fails",
                        effect="error")
                continue
            seen: set[tuple[int, int, bool]] = set()
            for x in items:
                if x.offset < 0 or x.length < 0 or x.offset + x.length > tsize:
                    acc.add("dcp.slice-outside", "high", f"{where}: an item at {x.offset}+{x.length} of {shown}, "
                            f"outside its {tsize} bytes (dcp.load fails)", effect="error")
                    continue
                if (x.offset, x.length, x.transformed) in seen:
                    continue
                seen.add((x.offset, x.length, x.transformed))
                item_where = f"{where} (item at {x.offset} of {shown})"
                if (x.offset, x.offset + x.length) in segments and not x.transformed:
                    # exactly an archive a scan of that file judges — but no such scan need be part
                    # of this run (``.metadata`` scanned alone, red team 20e-3): judged here too
                    if ctx.work < 0 or ctx.entries < 0:
                        unjudged += 1  # zip.work-budget reported by the archive that spent it
                        continue
                    exact += 1
                    _scan_content(Window(tf, x.offset, x.length), x.length, f"{rel}@{x.offset}",  # type: ignore[arg-type]
                                  acc, {}, ctx, depth=1, where=item_where)
                    continue
                judged += 1
                if judged > _DCP_MAX_JUDGED:
                    continue
                how = " through a transform (extension) mlbom does not apply" if x.transformed else ""
                acc.add("dcp.slice-mismatch", "high", f"{where}: dcp.load hands {x.length} bytes at {x.offset} of "
                        f"{shown}{how} to torch.load, which are no archive a scan of that file judges: judged as "
                        "their own file", effect="suspicious")
                _scan_content(Window(tf, x.offset, x.length), x.length, f"{rel}@{x.offset}",  # type: ignore[arg-type]
                              acc, {}, ctx, depth=1, where=item_where)
    if judged > _DCP_MAX_JUDGED:
        acc.add("dcp.slice-mismatch", "high", f"{where}: {judged - _DCP_MAX_JUDGED} more such slice(s), not judged",
                effect="error")
    if unjudged:
        acc.add("dcp.slices-unchecked", "high", f"{where}: {unjudged} slice(s) not judged: the scan's work budget "
                "is spent", effect="error")
    acc.add("dcp.slices", "info", f"{where}: {len(found.items)} item(s) in {len(per_file)} file(s); judged here as "
            f"what dcp.load hands to torch.load: {exact} slice(s) that are exactly archives of their file, "
            f"{min(judged, _DCP_MAX_JUDGED)} other slice(s)")


_NAMED_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
                | getattr(os, "O_BINARY", 0))


def _open_named(path: Path, *, beneath: Path | None = None, follow: bool = False) -> IO[bytes]:
    """Open a file that scanned DATA names (a DCP item's ``relative_path``, the ``.metadata``
    beside a shard, a config a module is looked up in): the one guarded open for such names
    (red team 20e-1). ``lstat`` first (``stat`` with ``follow``): only a regular file is opened —
    never a FIFO (a blocking open waits for a writer for ever), device, socket or folder; a
    symbolic link is refused unless ``follow``. Opened ``O_NONBLOCK`` (and ``O_NOFOLLOW``), below
    ``beneath`` one folder at a time with no link on the way (:func:`mlbom.hashing.open_beneath`),
    then ``fstat``-checked to be the very file ``lstat`` saw (a swap in between is refused).
    Raises :class:`OSError` (``strerror`` says why) or :class:`ValueError`."""
    st = os.stat(path) if follow else os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise OSError(errno.ELOOP, "a symbolic link, not followed")
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO, device or socket"
        raise OSError(errno.EINVAL, f"not a regular file ({kind}); not opened")
    if beneath is not None:
        fd = open_beneath(str(beneath), "/".join(path.relative_to(beneath).parts), _NAMED_FLAGS)
    else:
        fd = os.open(path, _NAMED_FLAGS | (0 if follow else getattr(os, "O_NOFOLLOW", 0)))
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise OSError(errno.EAGAIN, "replaced by another file while it was opened; not read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _dcp_target(folder: Path, rel: str) -> Path | None:
    """The file ``Path(folder) / rel`` names (FileSystem.concat_path), when a scan of the folder
    walks it: inside the folder, no link on the way, not in a folder the walker skips."""
    if not rel or "\x00" in rel or os.path.isabs(rel):
        return None
    raw = rel.split("/")
    parts = [p for p in os.path.normpath(rel).split("/") if p not in ("", ".")]
    if not parts or parts[0] == ".." or any(p in _UNWALKED for p in parts):
        return None
    try:  # the kernel follows a link on the way (``a/../b`` through a linked ``a`` too)
        if any(folder.joinpath(*raw[:i]).is_symlink() for i in range(1, len(raw) + 1)):
            return None
    except (OSError, ValueError):
        return None
    return folder.joinpath(*parts)


def _zip_segments(fh: IO[bytes], size: int, ctx: _Ctx) -> set[tuple[int, int]]:
    """The zip archives a scan of a file that starts as a zip judges as their own file: the
    last archive, and those laid back to back before it (a DCP shard); none for a file that
    does not start as a zip (its slices are judged where the loader takes them)."""
    fh.seek(0)
    if not fh.read(4).startswith(b"PK\x03\x04"):
        return set()
    eocd = find_end_record(fh, size)
    if eocd is None:
        return set()
    try:
        arc = read_archive(fh, size, eocd, ctx.limits)
    except FormatError:
        return set()  # no archive mlbom judges there: every slice is judged as its own file
    chain, _rest = _archive_chain(fh, arc.start, ctx) if arc.start > 0 else ([], 0)
    return {*chain, (arc.start, size)}


def _loader_reads(fh: IO[bytes], e: ZipEntry) -> str | None:
    """What ``torch.load(io.BytesIO(<member bytes>))`` — what ``torch.export.load`` does with a
    pickled weight or constant — reads a member as: ``"zip"`` (``_is_zipfile``: the first four
    bytes are ``PK\\x03\\x04``, whatever follows — judged as a zip, ``error`` where mlbom cannot
    open it, never skipped (red team 23e-2); also any member mlbom
    does not read as stored bytes: compressed, encrypted), ``"pickle"`` (``_legacy_load``'s first ``pickle.load``, any protocol, whose walk
    from offset 0 is not proven to fail before any call: :func:`mlbom.formats.pickle_start.reading`)
    or None (the load raises before anything runs). A record whose name or config says "raw
    tensor bytes" is skipped only when this is None: the skip rests on the bytes, never on a name
    a loader may decode, match or dedupe otherwise (red team 21e-1..3)."""
    if e.method != 0 or e.encrypted or e.data_offset is None:
        return "zip"
    fh.seek(e.data_offset)
    head = fh.read(min(e.csize, 4))
    if head == b"PK\x03\x04":
        return "zip"  # whether torch's reader then finds an end record is judged by reading it
    if not head or head[0] not in _OPCODES:
        return None
    view = Window(fh, e.data_offset, e.csize)
    return "pickle" if _pickle_reading(_walk(view, e.csize, joblib=False)) != "no" else None  # type: ignore[arg-type]


def _judge_raw_pickle(fh: IO[bytes], e: ZipEntry, acc: _Acc, where: str) -> None:
    """A record declared raw whose bytes read as a pickle, judged as ``torch.load`` reads it:
    ``_legacy_load`` unpickles the first pickle and raises unless it is torch's magic number
    (then the magic-number format's five pickles: :func:`_scan_torch_legacy`). Bytes after a
    first pickle that is not the magic number are never read (the load has raised)."""
    view = Window(fh, e.data_offset or 0, e.csize)
    where = f"{where} (declared raw; its bytes read as a pickle, as torch.load reads them)"
    rep = _walk(view, e.csize, joblib=False)  # type: ignore[arg-type]
    if _torch_magic(rep):
        view.seek(0)
        _scan_torch_legacy(view, e.csize, acc, {}, where=where)  # type: ignore[arg-type]
        return
    if _pickle_reading(rep) == "unproven":
        acc.add("pickle.unproven-stop", "high", f"{where}: mlbom's walk stopped after {rep.opcodes} opcodes where "
                "a loader may read on: not proven to be raw bytes, not judged", effect="error")
    acc.pickle(rep, where)


def _npy_magic(fh: IO[bytes], e: ZipEntry, ctx: _Ctx) -> bool:
    """Whether ``np.load`` of the archive reads the member as an array: ``NpzFile.__getitem__``
    opens any member by its zipfile name and, when its first six (inflated) bytes are
    ``format.MAGIC_PREFIX`` (``\\x93NUMPY``), reads it with ``read_array`` (object arrays
    unpickled under ``allow_pickle``). A member whose first bytes mlbom cannot read: judged."""
    try:
        return open_member(fh, e, ctx.limits).read(6) == b"\x93NUMPY"
    except (FormatError, BombError):
        return True


def _npy_member(fh: IO[bytes], e: ZipEntry, ctx: _Ctx | None) -> bool:
    """Whether the member must be judged by content rather than skipped as a raw torch record:
    ``np.load`` reads it as an array (:func:`_npy_magic`), or mlbom cannot read it as torch does.
    A deflated record (method 8) is what torch's reader inflates (miniz ``mz_zip_reader_extract_to_mem``,
    which requires the central directory's size): it is inflated here, within the scan's
    decompression limits, and skipped like a stored one when it inflates to exactly its declared
    size and does not start with the NPY magic (red team 91sa lead: not ``error`` for the
    compression alone); any other method, a bomb, an unreadable stream or a size mismatch: judged.
    ``ctx`` None (not a torch.save / TorchScript archive: nothing would be skipped): a compressed
    member is judged without inflating it first."""
    if e.method == 0:
        if e.data_offset is None or e.csize < 6:
            return False
        fh.seek(e.data_offset)
        return fh.read(6) == b"\x93NUMPY"
    if ctx is None:
        return True
    lim = ctx.limits
    if e.method != 8 or e.encrypted or ctx.work < e.usize or (
            e.usize > lim.ratio_floor and e.usize > lim.max_ratio * max(e.csize, 1)):
        return True
    try:
        stream = open_member(fh, e, lim, ctx.output)
        head = stream.read(6)
        while stream.read(1 << 20):
            pass
    except (FormatError, BombError, OSError, EOFError, ValueError):
        return True
    if head == b"\x93NUMPY":
        return True
    ctx.work -= e.usize
    return False


def _member_name_checks(e: ZipEntry, acc: _Acc, where: str) -> None:
    if e.name.lower().endswith((".py", ".pyc", ".so", ".pyd", ".dll", ".dylib")) and "/code/" not in f"/{e.name}":
        acc.add("archive.code-member", "high", f"{where}: Python code or a native library inside the archive "
                "(torch.package and importers execute such members)", effect="suspicious")
    parts = e.name.replace("\\", "/").split("/")
    if not e.name:
        acc.add("zip.empty-name", "high", f"{where}: a member has an empty name (no loader can address it)",
                effect="suspicious")
    elif e.name.startswith(("/", "\\")) or ".." in parts or (len(e.name) > 1 and e.name[1] == ":"):
        acc.add("zip.path-traversal", "high", f"{where}: member name leaves the archive's folder when extracted",
                effect="suspicious")
    if e.is_symlink:
        acc.add("zip.symlink-member", "high", f"{where}: member is a symbolic link (an extractor creates a link)",
                effect="suspicious")
    if e.version_needed > 63:
        acc.add("zip.version", "high", f"{where}: needs zip version {e.version_needed / 10:.1f}; zipfile refuses it, "
                "torch's reader does not check", effect="suspicious")
    if e.unsupported_feature is not None:  # (zipread.UNREADABLE_FLAGS; red team 86s-1) stored bytes still scanned
        acc.add("zip.encrypted", "high", f"{where}: {e.unsupported_feature}; cannot be judged as a loader reads it",
                effect="error")
    elif e.encrypted and e.method == 0:
        acc.add("zip.encrypted-flag", "high", f"{where}: encryption flag on a stored member: zipfile asks for a "
                "password, torch's reader refuses it ('unsupported encryption'); other readers ignore the flag "
                "(scanned as they are)", effect="suspicious")
    elif e.encrypted:
        acc.add("zip.encrypted", "high", f"{where}: encrypted member cannot be scanned", effect="error")


def _scan_member(fh: IO[bytes], e: ZipEntry, kind: str, rel: str, acc: _Acc, facts: dict[str, str], ctx: _Ctx, *,
                 depth: int, where: str, check_crc: bool = True,
                 records: Mapping[str, tuple[int, ...]] | None = None, raw: str | None = None) -> str:
    """Judge one member by its content, then the claim of its name. ``raw`` (why): the archive's
    loader reads the member as raw bytes, never parsing them (:func:`_skops_raw_entries`): its
    name claims nothing, and content in no format is no gap (:func:`_unknown_content`)."""
    if e.encrypted and e.method != 0:
        return "encrypted"
    token = _RAW_MEMBER.set((where, raw)) if raw is not None else None
    try:
        fmt = _scan_member_content(fh, e, kind, rel, acc, facts, ctx, depth=depth, where=where,
                                   check_crc=check_crc, records=records)
    finally:
        if token is not None:
            _RAW_MEMBER.reset(token)
    if fmt != "pickle" and raw is None:
        _check_claim(e.name.rsplit("/", 1)[-1], fmt, acc)
    return fmt


def _scan_member_content(fh: IO[bytes], e: ZipEntry, kind: str, rel: str, acc: _Acc, facts: dict[str, str],
                         ctx: _Ctx, *, depth: int, where: str, check_crc: bool,
                         records: Mapping[str, tuple[int, ...]] | None) -> str:
    stream = open_member(fh, e, ctx.limits, ctx.output)
    if kind in ("pytorch-zip", "torchscript") and e.method not in (0, 8):
        acc.add("zip.method", "high", f"{where}: compression method {e.method}: torch's reader cannot read it, "
                "zipfile can", effect="suspicious")
    name = e.name.rsplit("/", 1)[-1]
    inflated = inflation.inflated_from(e.csize) if isinstance(stream, Decompressing) else contextlib.nullcontext()
    with _spool(stream, ctx, acc) if isinstance(stream, Decompressing) else _Same(stream, e.usize) as (data, n), \
            inflated:
        fmt = _judge_member(data, n, name, kind, rel, acc, facts, ctx, depth=depth, where=where, records=records)
        if check_crc and not e.encrypted and n == e.usize and crc32_of(data, n) != e.crc:
            acc.add("zip.crc-mismatch", "high", f"{where}: its CRC-32 does not match the archive's directory: "
                    "loaders disagree (zipfile, np.load and Keras raise 'Bad CRC-32' once they have read the member "
                    "— an object array's pickle has run by then; torch.load never checks)", effect="suspicious")
    return fmt


def _judge_member(data: IO[bytes], n: int, name: str, kind: str, rel: str, acc: _Acc, facts: dict[str, str],
                  ctx: _Ctx, *, depth: int, where: str,
                  records: Mapping[str, tuple[int, ...]] | None = None) -> str:
    if rel.lower().endswith(".pkl") and kind in ("pytorch-zip", "torchscript"):
        start = data.tell()
        rep = _walk(data, n, joblib=False)
        acc.pickle(rep, where)
        if _miniz_key(rel) == "data.pkl":  # torch's reader ignores ASCII case
            # (a TorchScript archive by torch's rule is torch.jit.load's: its claim is set in _scan_zip)
            wrep = _wo_report(rep, data, start, n)
            _weights_only(wrep, acc, facts, where, layout="zip")
            why = (wrep.torch_zip_refused or _storage_refused(wrep, "zip")) if kind == "pytorch-zip" else None
            if why is not None:  # red team 86s-1, 119pk-3
                acc.add("pytorch.tensor-invalid", "high", f"{where}: {why}: torch.load raises, "
                        "with or without weights_only", effect="error")
                facts.pop("torch.weights-only", None)
            if records is not None:
                _storage_records(wrep, records, acc, facts, where)
        if rep.complete and rep.end < n:
            acc.add("pickle.trailing-data", "high", f"{where}: {n - rep.end} bytes follow the pickle's STOP "
                    "(torch's unpickler stops there; other readers may not)", effect="suspicious")
        return "pickle"
    if kind == "keras" and rel == "config.json":
        _scan_keras_config(data, acc, where)
        return "json"
    # skops.io.load's node tree (26e-1), by the name zipfile reads (cut at a NUL), whatever kind the
    # other members made of the zip: skops opens any zip and reads only schema.json (27e-3)
    # (bytes decoded as skops' json.loads(bytes) does; too large to read: error, not left as text: 29e-1)
    if name.split("\x00", 1)[0] == "schema.json":
        from mlbom.formats import skops

        schema = data.read(n) if n <= min(MAX_TEXT, skops.MAX_SCHEMA) else None
        if schema is not None and (why := _parse_bomb(schema, "skops schema")) is not None:
            acc.skops = True  # a skops file all the same (its schema not judged)
            raise BombError(why)
        judged = (skops.judge_schema_bytes(schema, where) if schema is not None
                  else [skops.schema_unread(where, f"of {n} bytes is over the {skops.MAX_SCHEMA >> 20} MiB limit")])
        data.seek(0)
        for j in judged or ():
            acc.add(j.id, j.severity, j.message, effect=j.effect)
        acc.skops = acc.skops or judged is not None
        if judged is not None and kind not in ("zip", "skops"):
            acc.add("zip.polyglot", "high", f"{where}: this {kind} archive is also a skops file (skops.io.load "
                    "reads only its schema.json): two readers, judged as both", effect="suspicious")
    return _scan_content(data, n, name, acc, {}, ctx, depth=depth + 1, where=where)


def _scan_prefix(fh: IO[bytes], start: int, name: str, acc: _Acc, ctx: _Ctx, *, depth: int, where: str) -> None:
    """Bytes before a zip archive are what torch.load (and anything that reads from the start)
    sees: they are scanned too."""
    view = Window(fh, 0, start)
    _scan_content(view, start, name + ".prefix", acc, {}, ctx, depth=depth + 1,  # type: ignore[arg-type]
                  where=f"{where} (bytes before the zip)")


# ---- tar ------------------------------------------------------------------------------------

_STORAGE_SIZES = {"DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "LongStorage": 8, "IntStorage": 4,
                  "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1, "BoolStorage": 1, "BFloat16Storage": 2,
                  "ComplexDoubleStorage": 16, "ComplexFloatStorage": 8, "QUInt8Storage": 1, "QInt8Storage": 1,
                  "QInt32Storage": 4, "QUInt4x2Storage": 1, "QUInt2x4Storage": 1}


class _TarRefused(FormatError):
    """``tarfile.open`` refuses the archive (a first block ``frombuf`` accepts, then a broken
    long-name/PAX header or member): ``torch.load`` catches that ``TarError`` and reads the
    file from offset 0 as its magic-number pickle format instead."""


def _scan_tar(fh: IO[bytes], size: int, name: str, acc: _Acc, facts: dict[str, str], ctx: _Ctx, *, depth: int,
              where: str) -> str:
    """A tar archive (``tarfile``, as torch's legacy tar format and model archives are read):
    every regular member is scanned; links, devices and names that leave the folder are
    suspicious. torch's legacy tar (``sys_info``, ``pickle``, ``storages``, ``tensors``) is
    followed record by record as ``torch.serialization.legacy_load`` reads it.

    mlbom walks the header blocks itself first (:mod:`mlbom.formats.tarwalk`, red team 106p-6/-7/-10):
    ``tarfile`` is given only the bytes before a header the walk refuses (a negative or overflowing
    size, a hostile or malformed pax/GNU long-name header), whose members are judged; the refused
    header is ``tar.header-refused`` (``error``) and nothing from it on is judged."""
    fh.seek(0)
    walked = tarwalk.walk(fh, size)
    if walked.members > ctx.limits.max_members:
        raise FormatError(f"tar: more than {ctx.limits.max_members} members")
    if walked.end == 0 or walked.over_allowance:  # (too many members: none judged, as past max_members)
        raise FormatError(f"tar: {walked.refused}; not judged")
    view: IO[bytes] = fh if walked.end is None else Window(fh, 0, walked.end)  # type: ignore[assignment]
    fh.seek(0)
    try:
        tar = tarfile.open(fileobj=view, mode="r:")  # noqa: SIM115
    except tarfile.TarError as exc:
        raise _TarRefused(f"tar archive unreadable: {exc}") from exc
    except (EOFError, ValueError, OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"tar archive unreadable: {exc}") from exc
    members: list[tarfile.TarInfo] = []
    try:
        with tar:
            while True:
                try:
                    m = tar.next()
                except (tarfile.TarError, EOFError, ValueError, OverflowError, UnicodeDecodeError) as exc:
                    acc.add("tar.invalid", "high", f"{where}: tar archive breaks after {len(members)} members: {exc}",
                            effect="error")
                    break
                if m is None:
                    break
                members.append(m)
                if len(members) > ctx.limits.max_members:
                    raise FormatError(f"tar: more than {ctx.limits.max_members} members")
            names = [m.name for m in members]
            legacy = {"storages", "tensors", "pickle"} <= set(names)
            dupes = sorted({n for n in names if names.count(n) > 1}) if len(names) < 2000 else []
            if dupes:
                acc.add("tar.duplicate-name", "high", f"{where}: members named twice ({', '.join(dupes[:5])}): "
                        "the last one wins on extraction", effect="suspicious")
            escapes = _tar_link_escapes(members)
            for i, m in enumerate(members):
                mw = f"{where}!{m.name}"
                parts = m.name.replace("\\", "/").split("/")
                traversal = _absolute(m.name) or ".." in parts
                if traversal:
                    # tarfile.extract/extractall with no filter (Python before 3.14's default; NeMo's
                    # restore, torch's legacy loader) joins the name to the folder as it is: an
                    # absolute name or a '..' writes that path on the host (zipfile strips both)
                    acc.add("tar.path-traversal", "critical", f"{mw}: member name leaves the archive's folder: "
                            "extracting it without a filter writes outside the folder", effect="unsafe")
                if i in escapes and not traversal and not (m.issym() or m.islnk()):
                    acc.add("tar.link-escape", "critical", f"{mw}: extracting it writes outside the archive's "
                            "folder, through links extracted before it", effect="unsafe")
                if m.issym() or m.islnk():
                    if i in escapes:
                        # tarfile.extract before Python 3.14 (no filter: torch's legacy_load, NeMo's
                        # restore) creates the link, and opening or writing through it reaches a host file
                        acc.add("tar.link-escape", "critical", f"{mw}: link to {m.linkname!r}, outside the archive: "
                                "extracting it and reading (torch's legacy loader opens 'storages', 'tensors' and "
                                "'pickle' by name) or writing through it touches a file on the host", effect="unsafe")
                    else:
                        acc.add("tar.link-member", "high", f"{mw}: link member (to {m.linkname!r})",
                                effect="suspicious")
                    continue
                if m.isdev() or m.isfifo():
                    acc.add("tar.special-member", "high", f"{mw}: device or FIFO member", effect="suspicious")
                    continue
                if not m.isfile():
                    if m.type in tarfile.SUPPORTED_TYPES:
                        continue  # a directory (long-name and PAX headers tarfile consumed itself)
                    # tarfile reads a member of a type it does not know as a regular file
                    # (extractfile, extract's makeunknown, torch's legacy_load): judged as one
                    acc.add("tar.unknown-type", "high", f"{mw}: member of unknown type {m.type!r}: tarfile reads "
                            "it as a regular file (extractfile, extract, torch's legacy loader), other tar readers "
                            "skip or refuse it: judged as a file", effect="suspicious")
                ctx.work -= m.size
                ctx.entries -= 1
                if ctx.work < 0 or ctx.entries < 0:
                    acc.add("tar.work-budget", "high", f"{where}: members exceed the work budget", effect="error")
                    break
                if m.sparse is not None:
                    # GNU/PAX sparse member: the stored bytes are its data chunks only; tarfile's
                    # extractfile (torch's legacy_load, every extractor) reads the holes as zeros
                    _tar_sparse_member(tar, m, legacy, acc, facts, ctx, depth=depth, where=mw)
                    continue
                member = Window(fh, m.offset_data, m.size)
                if m.offset_data + m.size > size:
                    acc.add("tar.truncated", "high", f"{mw}: member runs past the end of the archive", effect="error")
                    continue
                _tar_member(member, m, legacy, acc, facts, ctx, depth=depth, where=mw)  # type: ignore[arg-type]
    except (tarfile.TarError, EOFError, UnicodeDecodeError) as exc:
        raise FormatError(f"tar archive unreadable: {exc}") from exc
    if walked.refused is not None:
        acc.add("tar.header-refused", "high", f"{where}: {walked.refused}; the {len(members)} member(s) before it "
                f"are judged, nothing from offset {walked.end} on", effect="error")
    return "pytorch-legacy-tar" if legacy else "tar"


MAX_SYMLINK_HOPS = 40  # Linux's MAXSYMLINKS: a longer chain fails to open (ELOOP)
MAX_LINK_REPLAYS = 256  # symbolic links re-resolved after each new one; beyond, a cruder rule


def _parts(path: str, posix: bool = False) -> list[str]:
    """A member name's components: split on ``/`` only as POSIX extraction does (``\\`` is an
    ordinary character there), or on ``\\`` too as on Windows."""
    return path.split("/") if posix else path.replace("\\", "/").split("/")


def _absolute(path: str) -> bool:
    p = path.replace("\\", "/")
    return p.startswith("/") or (len(p) > 1 and p[1] == ":")


def _resolve(links: dict[tuple[str, ...], str], parts: list[str],
             posix: bool = False) -> tuple[tuple[str, ...] | None, bool]:
    """Walk ``parts`` from the extraction folder as the OS does, following the symbolic links
    extracted so far (``links``: resolved location → target): (where it ends, None when it
    leaves the folder; whether it passed through a link). A chain longer than the OS follows
    fails to open (ELOOP): it reaches nothing, so it ends inside."""
    pending = list(reversed(parts))
    cur: list[str] = []
    hops = 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if not cur:
                return None, hops > 0
            cur.pop()
            continue
        cur.append(part)
        target = links.get(tuple(cur))
        if target is None:
            continue
        hops += 1
        if hops > MAX_SYMLINK_HOPS:
            return tuple(cur), True
        if _absolute(target):
            return None, True
        cur.pop()
        pending.extend(reversed(_parts(target, posix)))
    return tuple(cur), hops > 0


def _tar_link_escapes(members: list[tarfile.TarInfo]) -> set[int]:
    """The members that reach outside the extraction folder (:func:`_tar_link_escapes_as`),
    extracted on POSIX (``\\`` an ordinary character in names and link targets: ``a\\b -> ..``
    is one link at the top, pointing at the folder's parent — red team 13a-6) or on Windows
    (``\\`` a separator): either escape counts."""
    return _tar_link_escapes_as(members, True) | _tar_link_escapes_as(members, False)


def _tar_link_escapes_as(members: list[tarfile.TarInfo], posix: bool) -> set[int]:
    """The members that reach outside the extraction folder when ``tarfile.extractall`` (no
    filter: Python before 3.14's default) extracts them in order: a link whose target,
    resolved through the symbolic links extracted before (and after: it is read once all are
    there), leaves the folder — ``a/b -> ..``, ``a/c -> b/..``, ``x -> a/c/secret`` — and a member
    whose own path does (written through such a link). A hard link's target is a path from the
    folder, a symbolic link's from its own folder; later symbolic links replace earlier ones at
    the same place (``makelink`` unlinks first)."""
    links: dict[tuple[str, ...], str] = {}  # resolved place of a symbolic link -> its target
    placed: dict[tuple[str, ...], int] = {}  # its member
    out: set[int] = set()
    replay = sum(1 for m in members if m.issym()) <= MAX_LINK_REPLAYS

    def link_escapes(place: tuple[str, ...], target: str) -> bool:
        end, through = _resolve(links, [*place[:-1], *_parts(target, posix)], posix) if not _absolute(target) else (None, False)
        return end is None or (through and not replay)

    for i, m in enumerate(members):
        if _absolute(m.name):
            continue  # tar.path-traversal
        parts = [p for p in _parts(m.name, posix) if p not in ("", ".")]
        if not parts or parts[-1] == "..":
            continue  # the folder itself, or tar.path-traversal
        parent, through = _resolve(links, parts[:-1], posix)
        if parent is None or (through and not replay):
            out.add(i)
            continue
        place = (*parent, parts[-1])
        if m.islnk():
            end, through = _resolve(links, _parts(m.linkname, posix), posix) if not _absolute(m.linkname) else (None, False)
            if end is None or (through and not replay):
                out.add(i)
        elif m.issym():
            links[place] = m.linkname
            placed[place] = i
            if replay:
                for where, target in links.items():
                    if placed[where] not in out and link_escapes(where, target):
                        out.add(placed[where])
            elif link_escapes(place, m.linkname):
                out.add(i)
    return out


def _tar_member(view: IO[bytes], m: tarfile.TarInfo, legacy: bool, acc: _Acc, facts: dict[str, str], ctx: _Ctx, *,
                depth: int, where: str) -> None:
    """One regular tar member's bytes, judged as torch's ``legacy_load`` or an extractor reads them."""
    if legacy and m.name in ("sys_info", "pickle"):
        rep = _walk(view, m.size, joblib=False)
        acc.pickle(rep, where)
        if m.name == "pickle":
            # torch 2.13's legacy_load raises "Cannot use weights_only=True with files saved in the
            # legacy .tar format" as soon as tarfile opens the file, before any member is read (red
            # team 119pk-1): false, whatever the pickle holds (no claim where the load fails anyway)
            facts["torch.weights-only"] = "false"
            acc.add("torch.weights-only-refused", "info", f"{where}: torch.load(weights_only=True) refuses every "
                    "checkpoint in the legacy tar format (legacy_load raises before reading a member)")
            if rep.storage_devices:
                facts["torch.storage-devices"] = ",".join(rep.storage_devices)
            if rep.load_refused is not None:
                acc.add("pytorch.tensor-invalid", "high", f"{where}: {rep.load_refused}: torch.load raises, with "
                        "or without weights_only", effect="error")
                facts.pop("torch.weights-only", None)
    elif legacy and m.name in ("storages", "tensors"):
        _legacy_records(view, m.size, m.name, acc, where=where)  # type: ignore[arg-type]
    else:
        try:
            fmt = _scan_content(view, m.size, m.name.rsplit("/", 1)[-1], acc, {}, ctx, depth=depth + 1, where=where)
            _check_claim(m.name, fmt, acc)
        except FormatError as exc:
            acc.add("tar.member-unreadable", "high", f"{where}: {exc}", effect="error")


def _tar_sparse_member(tar: tarfile.TarFile, m: tarfile.TarInfo, legacy: bool, acc: _Acc, facts: dict[str, str],
                       ctx: _Ctx, *, depth: int, where: str) -> None:
    """A sparse member read exactly as ``tarfile.extractfile`` yields it (data chunks at their
    offsets, holes as zeros), into a bounded temporary file; over the bound it is not judged."""
    cap = ctx.limits.max_member_spool
    if m.size > cap:
        acc.add("tar.sparse-member", "high", f"{where}: sparse member expands to {m.size} bytes, over the "
                f"{cap}-byte limit; extractors fill its holes with zeros: not judged", effect="suspicious")
        return
    acc.add("tar.sparse-member", "info", f"{where}: sparse member ({len(m.sparse or [])} data chunk(s)): read as "
            "tarfile.extractfile reads it, holes as zeros")
    src = tar.extractfile(m)
    if src is None:
        acc.add("tar.member-unreadable", "high", f"{where}: sparse member cannot be read", effect="error")
        return
    try:
        with src, _spool(src, ctx) as (data, _n):
            _tar_member(data, m, legacy, acc, facts, ctx, depth=depth, where=where)
    except (tarfile.TarError, EOFError, OSError, ValueError, OverflowError) as exc:
        acc.add("tar.member-unreadable", "high", f"{where}: sparse member cannot be read: {exc}", effect="error")


_STRING_OPS = ("UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "STRING", "BINSTRING", "SHORT_BINSTRING")
_SCALAR_OPS = ("INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT", "BINBYTES",
               "SHORT_BINBYTES", "BINBYTES8")
_STORAGE_MODULES = ("torch", "torch.cuda")  # where torch's legacy storage classes live (type(storage) pickled)


@dataclass(frozen=True)
class _Global:
    module: str
    name: str


def _record_storage_type(data: bytes) -> str | None:
    """The storage type of a legacy tar storage record, as ``legacy_load`` gets it: the record
    pickle's value (the stack's top at STOP) unpacked as ``key, location, storage_type``, sized
    by ``storage_type._dtype``. The pickle is followed with a stack of its own values
    (``pickletools.genops``, never executed: strings, numbers, globals, tuples, lists, the memo,
    MARK, POP, DUP), so a string pushed and popped, a memoised item or a global that is not the
    third item cannot stand in for it. None unless the value is a 3-item tuple or list whose third
    item is one of torch's storage classes (``torch.X``/``torch.cuda.X``): then the element width,
    and every offset after it, are unknown, and the member is not followed (``error``)."""
    stack: list[object] = []
    marks: list[int] = []
    memo: dict[int, object] = {}

    def pop(n: int = 1) -> list[object]:
        fence = marks[-1] if marks else 0
        if len(stack) - n < fence:
            raise IndexError("stack underflow")  # the unpickler raises (never pops past a MARK)
        items = stack[len(stack) - n:]
        del stack[len(stack) - n:]
        return items

    try:
        for op, arg, _pos in pickletools.genops(io.BytesIO(data)):
            name = op.name
            if name in ("PROTO", "FRAME"):
                continue
            if name == "STOP":
                (value,) = pop()  # pickle's load_stop: the top (above any open MARK); the rest is dropped
                if not isinstance(value, (tuple, list)) or len(value) != 3 or not isinstance(value[2], _Global):
                    return None
                g = value[2]
                if g.module not in _STORAGE_MODULES or g.name not in _STORAGE_SIZES:
                    return None
                return f"{g.module}.{g.name}"
            if name in _STRING_OPS:
                stack.append(str(arg))
            elif name in _SCALAR_OPS:
                stack.append(arg)
            elif name in ("NONE", "NEWTRUE", "NEWFALSE"):
                stack.append({"NONE": None, "NEWTRUE": True, "NEWFALSE": False}[name])
            elif name == "GLOBAL":
                module, _, attr = str(arg).partition(" ")
                stack.append(_Global(module, attr))
            elif name == "STACK_GLOBAL":
                module_v, attr_v = pop(2)
                if not isinstance(attr_v, str) or not isinstance(module_v, str):
                    return None  # the unpickler raises
                stack.append(_Global(module_v, attr_v))
            elif name == "MARK":
                marks.append(len(stack))
            elif name in ("TUPLE", "LIST", "APPENDS", "POP_MARK"):
                at = marks.pop()
                items = stack[at:]
                del stack[at:]
                if name == "TUPLE":
                    stack.append(tuple(items))
                elif name == "LIST":
                    stack.append(items)
                elif name == "APPENDS":
                    target = pop()[0]
                    if not isinstance(target, list):
                        return None
                    target.extend(items)
                    stack.append(target)
            elif name in ("EMPTY_TUPLE", "TUPLE1", "TUPLE2", "TUPLE3"):
                stack.append(tuple(pop(("EMPTY_TUPLE", "TUPLE1", "TUPLE2", "TUPLE3").index(name))))
            elif name == "EMPTY_LIST":
                stack.append([])
            elif name == "APPEND":
                (item,) = pop()
                target = pop()[0]
                if not isinstance(target, list):
                    return None
                target.append(item)
                stack.append(target)
            elif name == "POP":
                if marks and len(stack) == marks[-1]:
                    marks.pop()  # POP on an empty frame drops the MARK (pickle's load_pop)
                else:
                    pop()
            elif name == "DUP":
                stack.append(pop()[0])
                stack.append(stack[-1])
            elif name in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
                top = pop()[0]
                stack.append(top)
                memo[len(memo) if name == "MEMOIZE" else int(str(arg))] = top
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                stack.append(memo[int(str(arg))])
            else:
                return None  # a construct torch never writes here (a call, a dict ...): not followed
    except (ValueError, EOFError, struct.error, UnicodeDecodeError, TypeError, IndexError, KeyError):
        return None
    return None


def _legacy_records(view: Window, size: int, member: str, acc: _Acc, *, where: str) -> None:
    """``storages``: a count pickle, then per storage a (key, location, type) pickle, an 8-byte
    element count and the bytes, then a storage-views pickle. ``tensors``: a count pickle, then
    per tensor a pickle and its ndim/sizes/strides/offset record."""
    rep = _walk(view, size, joblib=False)  # type: ignore[arg-type]
    count = _int_value(rep)  # (before acc.pickle, which lets the value go)
    acc.pickle(rep, f"{where} (count)")
    if not rep.complete:
        return
    if count is None or count < 0 or count > 1_000_000:
        acc.add("pytorch.legacy-tar-unreadable", "high", f"{where}: record count is not a small integer", effect="error")
        return
    pos = rep.consumed
    for i in range(count):
        view.seek(pos)
        start = pos
        rep = _walk(view, size, joblib=False)  # type: ignore[arg-type]
        acc.pickle(rep, f"{where} (record {i})")
        if not rep.complete:
            return
        pos = rep.consumed
        view.seek(pos)
        if member == "storages":
            view.seek(start)
            stype = _record_storage_type(view.read(rep.end - start))
            width = _STORAGE_SIZES[stype.rsplit(".", 1)[-1]] if stype else None
            view.seek(pos)
            raw = view.read(8)
            if width is None or len(raw) < 8:
                acc.add("pytorch.legacy-tar-unreadable", "high", f"{where}: storage record {i} is not "
                        "(key, location, storage type) with a known type, or has no size; the rest cannot be followed", effect="error")
                return
            (numel,) = struct.unpack("<q", raw)
            pos += 8 + max(numel, 0) * width
        else:
            raw = view.read(8)
            if len(raw) < 8:
                acc.add("pytorch.legacy-tar-unreadable", "high", f"{where}: tensor record {i} truncated", effect="error")
                return
            (ndim,) = struct.unpack("<i", raw[:4])
            if not 0 <= ndim <= 64:
                acc.add("pytorch.legacy-tar-unreadable", "high", f"{where}: tensor record {i} has ndim {ndim}",
                        effect="error")
                return
            pos += 8 + 16 * ndim + 8
        if pos > size:
            acc.add("pytorch.legacy-tar-unreadable", "high", f"{where}: record {i} runs past the member", effect="error")
            return
    if member == "storages":
        view.seek(pos)
        rep = _walk(view, size, joblib=False)  # type: ignore[arg-type]
        acc.pickle(rep, f"{where} (storage views)")
        if not rep.complete:
            return
        pos = rep.consumed
    if pos < size:  # torch writes nothing more and reads nothing more: another reader may
        _trailing_pickle(view, pos, size, acc, where=where)  # type: ignore[arg-type]


# ---- HDF5 / Keras (the formats engineer's readers plug in here) ------------------------------

def _scan_hdf5(fh: IO[bytes], size: int, acc: _Acc, facts: dict[str, str], where: str) -> str:
    """HDF5 (legacy Keras .h5): ``model_config``/``training_config`` read as root-group
    attributes by :mod:`mlbom.formats.hdf5` and judged by :mod:`mlbom.formats.keras`; the
    pickles PyTables/pandas unpickle anywhere in the tree, walked there, are folded in."""
    fh.seek(0)
    found = hdf5.parse_hdf5(fh, size)
    _merge(found, acc, facts, where)
    for inner, rep in found.pickles:
        acc.pickle(rep, f"{where}: {inner}")
    return "hdf5"


def _scan_keras_config(stream: IO[bytes] | Decompressing, acc: _Acc, where: str) -> None:
    raw = stream.read(MAX_KERAS_CONFIG + 1)
    _check_parse_work(raw, "Keras config")
    try:
        found = keras.parse_keras_config(raw, where, loader="keras3")  # saving_lib reads it (119fmt-2)
    except FormatError as exc:
        acc.add("keras.config-invalid", "high", f"{exc}; the Keras config was not judged", effect="error")
        return
    _merge(found, acc, {}, where)


# ---- folders --------------------------------------------------------------------------------

def scan(paths: Iterable[Path | str] | Path | str, *, with_hash: bool = True, limits: Limits | None = None,
         debug: bool = False) -> list[FileScan]:
    """Scan files and folders (recursively): one path or several. Paths that do not exist raise
    :class:`~mlbom.errors.InputError`. ``with_hash=False`` skips the SHA-256 (and reading the
    bytes a scan does not need). Folders are walked by :func:`mlbom.fswalk.walk_files` (the
    walker ``generate`` uses): links that stay inside the folder are followed, links that
    leave, dangle or loop are ``error`` entries, never read."""
    from mlbom.errors import InputError
    from mlbom.fswalk import BlobIndex, walk_files

    roots = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    for r in roots:
        if not r.exists() and not r.is_symlink():
            raise InputError(r, "no such file or directory")
    out: list[FileScan] = []
    blobs = _BlobRule(BlobIndex(), with_hash)
    for root in roots:
        if root.is_dir():
            files, problems = walk_files(root)
            # files scanned (and hashed from their own snapshots) side by side: scan_walked
            scans = scan_walked(root, files, [str(p) for p in files], with_hash=with_hash, limits=limits, debug=debug)
            out += [blobs.judge(p, sc) for p, sc in zip(files, scans, strict=True)]
            for f in problems:
                if f.severity == "info":  # a skipped .git folder: nothing judged there, no entry to judge
                    continue
                out.append(FileScan(str(root / f.source) if f.source else str(root), "unknown", "error",
                                    findings=[ScanFinding(f.id, f.severity, f.message)]))
        else:
            sc = scan_file(root, display=str(root), with_hash=with_hash, limits=limits, debug=debug)
            out.append(blobs.judge(root, sc))
    return out


def cache_blob_rule(*, with_hash: bool = True) -> Callable[[Path, FileScan], FileScan]:
    """The Hugging Face cache checks of :class:`_BlobRule` for one walk: a function applied to
    each file's scan after its own judgement (``generate`` applies it to a model's files)."""
    from mlbom.fswalk import BlobIndex

    return _BlobRule(BlobIndex(), with_hash).judge


_JINJA_OPEN = ("{{", "{%", "{#")


def _name_free(path: Path, sc: FileScan, own: str) -> tuple[bool, list[FileScan]]:
    """Whether content no name reaches (an unlinked cache blob, a shared-store entry) runs no code
    under ANY name a loader could give it, decided by what each reader a name selects would do
    with these bytes — not by a format label (red team 26c-1, 26c-2; fix26c2) — and its
    judgement as a chat template when it is one (``None`` otherwise). ``own`` is the content's
    own scan verdict.

    - Loaders that decide by content (``torch.load``: zip or legacy pickle; pickle/joblib;
      ``np.load`` by its magic; safetensors, GGUF, ONNX, HDF5/Keras, sentencepiece readers) read
      the same bytes whatever the name: their reading is the content's own scan, so ``own`` must
      be ``safe``.
    - Readers a name selects and that read text: Python source (a ``.py`` an ``auto_map``
      imports) — CPython refuses source holding a NUL byte (3.11: ``ValueError: source code
      string cannot contain null bytes``); YAML configs — PyYAML's ``Reader.check_printable``
      refuses NUL (and every non-printable) in each chunk it decodes, and the text before the
      first such chunk is already in the content's own scan (:func:`_text_reading`: its Python
      tags); so the content must hold a NUL byte, unless it is one JSON document (as Python only
      literals and the names ``true``/``false``/``null``; its JSON judgement is ``own``).
      Jinja: transformers reads ``chat_template.jinja`` with ``open(..., encoding="utf-8")`` —
      content that is not all UTF-8 raises there and nothing is rendered.
    - mlbom's own judgements of text that a name selects (:data:`_NAMED_TEXT`: ``MLmodel``,
      NeMo's ``model_config.yaml``, Jsonnet, a chat template …; red team 28c-1: a JSON document is
      an MLmodel to mlflow's ``yaml.safe_load``): one JSON document is judged under each table
      name, UTF-8 content holding a NUL and a Jinja delimiter (``{{``, ``{%``, ``{#``) under each
      whose reader reads NULs (the chat template). These readings (the ones whose verdict is not
      ``safe`` or that add a finding) are returned, and the worst verdict counts.

    Empty content is name-free; content too large to read as text (over :data:`MAX_TEXT`) with no
    NUL, or unreadable, is not."""
    if sc.size == 0:
        return True, []
    if own != "safe" or sc.size is None:
        return False, []
    try:
        with open(path, "rb") as fh:
            nul, utf8, jinja = _content_marks(fh)
            text: str | None = None
            if utf8 and (jinja or not nul) and sc.size <= MAX_TEXT:
                fh.seek(0)
                text = fh.read(MAX_TEXT + 1).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False, []
    if not nul and not (text is not None and _json_document(text)):
        return False, []  # CPython and PyYAML may read it under a .py/.yaml name
    if nul and not jinja:
        return True, []  # no reader of the table that reads a NUL sees a template in it
    if text is None:
        return False, []  # a template too large to judge: not shown name-free
    own_ids = {f.id for f in sc.findings}
    readings: list[FileScan] = []
    for named in _NAMED_TEXT:
        if nul and not named.nul:
            continue
        acc = _Acc()
        fmt = _judge_text(text, named.shown, acc, {}, where=named.shown, folder=None)
        if acc.verdict() != "safe" or any(f.id not in own_ids for f in acc.findings):
            readings.append(FileScan(named.shown, fmt, acc.verdict(), None, len(text), acc.findings, {}))
    return True, readings


def _json_document(text: str) -> bool:
    """Whether ``text`` is one JSON document (``json.loads``, as :func:`_judge_json` parses it; a
    UTF-8 BOM CPython skips too)."""
    import json

    try:
        json.loads(text.lstrip("\ufeff"))
    except (ValueError, RecursionError):
        return False
    return True


def _content_marks(fh: IO[bytes]) -> tuple[bool, bool, bool]:
    """One streamed read of a whole file (constant memory; it stops once all three are known):
    whether it holds a NUL byte, whether all of it decodes as UTF-8 (as transformers reads a
    ``.jinja`` file), and, while it does, whether the text holds a Jinja delimiter."""
    fh.seek(0)
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    nul = jinja = False
    utf8 = True
    tail = ""
    while chunk := fh.read(1 << 20):
        nul = nul or b"\x00" in chunk
        if utf8:
            try:
                text = tail + dec.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
            else:
                jinja = jinja or any(d in text for d in _JINJA_OPEN)
                tail = text[-1:]
        if nul and not utf8:
            return True, False, False
    if utf8:
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return nul, utf8, jinja and utf8


class _BlobRule:
    """The Hugging Face cache checks of one ``scan`` (:mod:`mlbom.fswalk`), applied to each
    file after its own judgement:

    - a blob (walked directly, or reached through a link whose first step into a repository's
      ``blobs/`` names it) whose content is not what its etag name claims:
      ``files.hf-blob-mismatch`` (high), at least ``suspicious``; one that could not be read to
      check it: ``files.hf-blob-unverified`` (high), ``error`` (red team 21c-1, 23c-1, 23c-2);
    - a repository blob no snapshot link reaches: ``files.hf-unlinked-blob`` (medium), at least
      ``suspicious`` unless its content runs no code under any name (:func:`_name_free`; red
      team 23c C, 26c-1, 26c-2);
    - content of a shared blob store (walked there or reached through any link), which
      huggingface_hub adopts by a Xet hash mlbom cannot recompute, for any repository under any
      name: ``files.hf-store-unverified`` (medium), the same rule (the finding only when the
      content is not name-free, so a genuine store's safetensors stay quiet); an entry not at
      ``<xx>/<hash>`` with ``xx`` its hash's first two characters: ``files.hf-store-misplaced``
      (medium), the same rule (red team 26c-3);
    - with ``--no-hash`` no etag is checked: the first cache blob says so (``info``).

    ``generate`` reports the same checks on the model (:func:`mlbom.collectors._files.hf_blob_finding`)."""

    def __init__(self, index: BlobIndex, with_hash: bool) -> None:
        self.index = index
        self.with_hash = with_hash
        self.told = False

    def judge(self, path: Path, sc: FileScan) -> FileScan:
        from mlbom.fswalk import blob_mismatch, blob_name, store_entry

        own = sc.verdict  # the content's own judgement, before this rule's
        if not self.with_hash and not self.told and blob_name(path) is not None:
            self.told = True
            sc.findings.append(ScanFinding("files.hf-blob-unchecked", "info",
                                           "--no-hash: no Hugging Face cache blob of this scan is checked against its "
                                           "etag name"))
        check = blob_mismatch(path, sc.sha256)
        if check is not None:
            sc.findings.append(ScanFinding(check.id, "high", check.message))
            self._at_least(sc, check.verdict)
        unnamed: list[ScanFinding] = []
        store = store_entry(path)
        if store == "placed":
            unnamed.append(ScanFinding("files.hf-store-unverified", "medium",
                                       "content of the shared blob store: a later download of ANY repository adopts "
                                       "it by its Xet hash (which this scan cannot recompute) under a file name this "
                                       "scan cannot know, whatever names link to it now"))
        elif store == "misplaced":
            unnamed.append(ScanFinding("files.hf-store-misplaced", "medium",
                                       "a file of the shared blob store not at <xx>/<Xet hash> with xx the hash's "
                                       "first two characters: no download writes it there; judged as unnamed content"))
        if self.index.unlinked(path):
            unnamed.append(ScanFinding("files.hf-unlinked-blob", "medium",
                                       "a cache blob no snapshot links to: a later download adopts it under a file "
                                       "name this scan cannot know"))
        if unnamed:
            free, readings = _name_free(path, sc, own)
            raised = any(r.verdict != "safe" for r in readings)
            # a store entry whose content is name-free (and safe under every name mlbom judges
            # specially) is every Xet-shared file of a genuine cache: no finding then (its own
            # judgement stands); the other two are always reported
            sc.findings.extend(f for f in unnamed if not free or raised or f.id != "files.hf-store-unverified")
            if not free:
                self._at_least(sc, "suspicious")
            for r in readings:
                for f in r.findings:
                    sc.findings.append(ScanFinding(f.id, f.severity, f"read as {r.path} (a name a later download "
                                                   f"may give it): {f.message}"))
                self._at_least(sc, r.verdict)
        return sc

    @staticmethod
    def _at_least(sc: FileScan, verdict: Verdict) -> None:
        sc.verdict = worst_verdict(sc.verdict, verdict)


# ---- a walked folder: two phases --------------------------------------------------------------

def scan_walked(root: Path, files: Sequence[Path], displays: Sequence[str],
                digests: Sequence[FileDigest | None] | None = None, *, with_hash: bool = False,
                expect_keys: Sequence[StatKey | None] | None = None,
                limits: Limits | None = None, debug: bool = False) -> list[FileScan]:
    """Scan the files of one walked folder (:func:`mlbom.fswalk.walk_files`), in order.

    Phase 1 scans every file once, on its own; an ONNX model's scan carries its EXTERNAL
    tensors' references. ``digests`` (from :func:`mlbom.hashing.sha256_files`) give a file's
    SHA-256 (the scan checks it reads the file hashed); a file without one is hashed by its scan
    when ``with_hash=True``, from the very bytes it scans, and must be the file ``expect_keys``
    names (the :data:`~mlbom.hashing.StatKey` the caller saw, e.g. before hashing the others). Phase 2
    reads nothing again: a file those references name is judged from its own scan and its size
    (:func:`judge_external_data`). A file whose digest failed is an ``error`` entry."""
    def one(i: int) -> FileScan:
        p, shown = files[i], displays[i]
        dg = digests[i] if digests is not None else None
        if dg is not None and dg.sha256 is None:
            return _unreadable(shown, dg)
        # without digests, each file is hashed from the descriptor it is scanned through
        key = dg.key if dg else expect_keys[i] if expect_keys is not None else None
        return _scan_one(p, display=shown, sha256=dg.sha256 if dg else None, with_hash=with_hash and dg is None,
                         expect_key=key, limits=limits, debug=debug)

    if len(files) != len(displays):
        raise ValueError("files and displays differ in length")
    workers = min(len(files), os.cpu_count() or 1, MAX_SCAN_THREADS)
    if workers <= 1 or debug:
        out = [one(i) for i in range(len(files))]
    else:
        # files read and hashed side by side: reading and hashing release the GIL (a folder of shards
        # hashes at the disk's pace, not one file's); judged one at a time (_JUDGING), each in a copy of
        # the caller's context (its ContextVars: the per-file inflation budget, the raw-member mark);
        # results in walk order
        from concurrent.futures import ThreadPoolExecutor
        from contextvars import copy_context

        # (each file its own copy of the CALLER's context, made here: a context copied inside a worker
        # is the worker's own, empty one — red team 117pk-4; one context cannot run in two threads)
        contexts = [copy_context() for _ in files]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlbom-scan") as pool:
            out = list(pool.map(lambda i: contexts[i].run(one, i), range(len(files))))
    return [_quiet_bookkeeping(p, sc) for p, sc in
            zip(files, judge_code_references(files, judge_external_data(root, files, out)), strict=True)]


def _quiet_bookkeeping(path: Path, sc: FileScan) -> FileScan:
    """An empty file that is a Hugging Face cache's bookkeeping (a ``.no_exist/`` marker, a
    ``.locks/`` file, the shared blob store's marker, ``.lock`` and ``.refs`` files:
    :func:`mlbom.fswalk.cache_noise`) gets ``file.empty`` as ``info``: 0 bytes hold no code,
    and a clean cache does not fail ``fail-on = "low"`` (red team 20c-4, 21c-4). It is judged
    like any file all the same."""
    if sc.size != 0 or not any(f.id == "file.empty" and f.severity == "low" for f in sc.findings):
        return sc
    from mlbom.fswalk import cache_noise

    if cache_noise(path):
        sc.findings = [ScanFinding(f.id, "info", f.message) if f.id == "file.empty" else f for f in sc.findings]
    return sc


def judge_code_references(files: Sequence[Path], scans: Sequence[FileScan]) -> list[FileScan]:
    """Phase 2 of a folder scan, for code: a module a config names (``auto_map``, ``modules.json``
    …) is judged only when it is one of ``files`` — this walk's files, scanned in this run, their
    bytes the ones recorded — and its scan is no ``error``; any other is ``code.remote`` on the
    config (:func:`_settle_code`). Reads no file again."""
    scanned = {os.path.normpath(str(p)): sc for p, sc in zip(files, scans, strict=True)}
    out = []
    for p, sc in zip(files, scans, strict=True):
        def judged(c: CodeRef, folder: Path = p.parent) -> bool:
            if ".." in c.module.split("/"):  # a base config one folder up (116pa-2/-3): the scan may hold it
                return _judged_climbing(folder, c.module, scanned)
            parts = _module_parts(folder, c.module)
            return parts is not None and _judged_module(folder, parts, scanned)

        out.append(_settle_code(sc, judged))
    return out


def _unreadable(shown: str, dg: FileDigest) -> FileScan:
    return FileScan(shown, "unknown", "error", findings=[ScanFinding("file.unreadable", "high", f"cannot read: {dg.error}")])


MAX_CLAIMS_SHOWN = 5


@dataclass(frozen=True)
class _Claim:
    model: str  # the referencing model, as displayed
    ref: ExternalRef


def judge_external_data(root: Path, files: Sequence[Path], scans: Sequence[FileScan]) -> list[FileScan]:
    """Phase 2 of a folder scan: every file that an ONNX model of the folder references as
    external data, judged in that model's context with onnx's own rules
    (``onnx.external_data_helper`` and ``resolve_external_data_location``).

    - A reference onnx refuses (location empty, absolute, with ``..``, a NUL, a backslash; the
      file a symlink, hard-linked, behind a folder leaving the model's, or missing) claims
      nothing: the model gets a finding, the file keeps its own verdict.
    - A claim whose offset or length does not fit the file (onnx checks both against the file
      size), or is not a plain number: ``onnx.external-data-bounds``, the file is ``error``.
    - Claims overlapping without being the same tensor bytes (offset, length, type, dims), from
      one model or two: ``onnx.external-data-conflict``, at least ``suspicious``.
    - Content mlbom recognises in no format, with only good claims: raw tensor bytes of the
      model, ``safe``, format ``onnx-external-data``, fact ``onnx.external-data-of``.
    - Content with a format of its own keeps its own verdict (a pickle stays a pickle):
      worst wins; a model cannot vouch for a file.
    """
    index = {os.path.normpath(str(p)): i for i, p in enumerate(files)}
    claims: dict[int, list[_Claim]] = {}
    notes: dict[int, list[ScanFinding]] = {}
    real_root = os.path.realpath(root)
    for i, sc in enumerate(scans):
        if not sc.external_refs:
            continue
        model_dir = files[i].parent
        real_dir = os.path.realpath(model_dir)
        refused: dict[str, str] = {}
        for ref in sc.external_refs:
            why = _refusal(ref.location, model_dir, real_dir, real_root, index)
            if why is not None:
                refused.setdefault(ref.location, why)
                continue
            j = index[os.path.normpath(str(model_dir / os.path.normpath(ref.location)))]
            claims.setdefault(j, []).append(_Claim(sc.path, ref))
        for loc, why in sorted(refused.items())[:MAX_CLAIMS_SHOWN]:
            notes.setdefault(i, []).append(ScanFinding(
                "onnx.external-data-refused", "medium",
                f"external data location {loc[:200]!r} {why}: onnx.load refuses this model"))
    out = list(scans)
    for i, extra in notes.items():
        out[i] = replace(out[i], findings=out[i].findings + extra)
    for j, cl in sorted(claims.items()):
        out[j] = _judge_claimed(out[j], cl)
    return out


def _refusal(loc: str, model_dir: Path, real_dir: str, real_root: str, index: dict[str, int]) -> str | None:
    from mlbom.formats.onnx import location_refusal

    why = location_refusal(loc)
    if why is not None:
        return why
    target = model_dir / os.path.normpath(loc)  # onnx: lexically_normal(), then the file system
    try:
        st = target.lstat()
    except (OSError, ValueError):
        return "names a file that does not exist"
    if stat.S_ISLNK(st.st_mode):
        return "names a symbolic link (onnx refuses links)"
    if not stat.S_ISREG(st.st_mode):
        return "names something that is not a regular file"
    if st.st_nlink > 1:
        return "names a file with several hard links (onnx refuses them)"
    real = os.path.realpath(target)
    if os.path.commonpath([real_dir, real]) != real_dir or os.path.commonpath([real_root, real]) != real_root:
        return "resolves (through a linked folder) outside the model's folder"
    if os.path.normpath(str(target)) not in index:
        return "names a file the folder walk did not list"
    return None


def _judge_claimed(sc: FileScan, claims: list[_Claim]) -> FileScan:
    size = sc.size or 0
    models = sorted({c.model for c in claims})
    findings = list(sc.findings)
    facts = dict(sc.facts)
    facts["onnx.external-data-of"] = ",".join(models)[:2000]
    bad: list[str] = []
    spans: list[tuple[int, int, int, tuple[int, ...], _Claim]] = []
    for c in claims:
        r = c.ref
        why = r.problem
        if why is None and r.offset is not None and r.offset > size:
            why = f"offset {r.offset} is past the end of this {size}-byte file"
        start = r.offset or 0
        if why is None and r.length is not None and r.length > size - start:
            why = f"length {r.length} from offset {start} runs past the end of this {size}-byte file"
        if why is not None:
            bad.append(f"{c.model}: tensor {r.tensor}: {why}")
            continue
        end = size if r.length is None else start + r.length
        spans.append((start, end, r.data_type, r.dims, c))
    verdict = sc.verdict
    for msg in bad[:MAX_CLAIMS_SHOWN]:
        findings.append(ScanFinding("onnx.external-data-bounds", "high",
                                    f"{msg}: onnx.load refuses the model; not judged as its tensor bytes"))
    conflict = _overlap(spans)
    if conflict:
        findings.append(ScanFinding("onnx.external-data-conflict", "high", conflict))
    if sc.unrecognised and not bad and not _unread_format_name(sc.path):
        # (the claim of a weight-format name on content in no format goes too: onnx names the file
        # whatever the caller passed as location, 106sa-5; no loader of that format reads these bytes.
        # Not so for a name whose format mlbom does not read at all, a TensorFlow SavedModel's files:
        # TF opens keras_metadata.pb by name and revives its layers, 112pa-5)
        named = [f for f in findings if f.id == "file.format-mismatch"]
        findings = [f for f in findings if f.id not in ("file.unknown", "file.format-mismatch")]
        also = (f"; {named[0].message[len(_UNKNOWN_CLAIM):]}, but its bytes are in no such format (that loader "
                "refuses them)") if named else ""
        findings.append(ScanFinding("onnx.external-data", "info",
                                    f"raw tensor bytes of {', '.join(models)[:300]} ({len(claims)} tensor(s)); "
                                    f"onnx reads them as numbers, never as code{also}"))
        return replace(sc, format="onnx-external-data", verdict="suspicious" if conflict else "safe",
                       findings=findings, facts=facts, unrecognised=False)
    if not sc.unrecognised:
        findings.append(ScanFinding("onnx.external-data", "info",
                                    f"referenced as external data by {', '.join(models)[:300]}, but it is {sc.format} "
                                    "content: judged as that format"))
    if bad:
        verdict = worst_verdict(verdict, "error")
    if conflict:
        verdict = worst_verdict(verdict, "suspicious")
    return replace(sc, verdict=verdict, findings=findings, facts=facts)


def _overlap(spans: list[tuple[int, int, int, tuple[int, ...], _Claim]]) -> str | None:
    """Two claims reading overlapping bytes as different tensors: loaders (and readers of the
    BOM) disagree on what those bytes are."""
    spans.sort(key=lambda s: (s[0], s[1]))
    reach: tuple[int, int, int, tuple[int, ...], _Claim] | None = None
    for s in spans:
        if s[0] == s[1]:
            continue  # an empty tensor reads nothing
        if reach is not None and s[0] < reach[1] and s[:4] != reach[:4]:
            a, b = reach[4], s[4]
            return (f"{a.model}: tensor {a.ref.tensor} (bytes {reach[0]}-{reach[1]}) and {b.model}: tensor "
                    f"{b.ref.tensor} (bytes {s[0]}-{s[1]}) claim overlapping bytes of this file as different tensors")
        if reach is None or s[1] > reach[1]:
            reach = s
    return None
