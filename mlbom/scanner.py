"""Static safety scan of model files: format detected from content, verdict from what loading
the file would do — never by loading it.

Verdicts (CONTRACT.md): ``unsafe`` — loading imports something that executes code or reaches
the file system or network; ``suspicious`` — it imports callables mlbom does not know, or the
file hides content (nested archives, an encryption flag on a readable member); ``error`` — the
file could not be read in full (truncated, encrypted, content absent), so it is *not* safe;
``safe`` — fully read, nothing executable beyond known tensor-rebuilding code.
"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import IO

from mlbom.formats import gguf, onnx, weights
from mlbom.formats.pickle import PickleReport, classify_import, read_pickle
from mlbom.hashing import sha256_file
from mlbom.model import Severity, Verdict

MAX_ZIP_MEMBERS = 100_000
MAX_PICKLE_MEMBER = 1 << 30
MAX_RATIO = 200  # a member that inflates more than this (and past 64 MiB) is treated as a bomb
MAX_JSON = 64 << 20
MAX_KERAS_CONFIG = 64 << 20
_PICKLE_NAMES = (".pkl", ".pickle", ".pk", ".joblib", ".dill")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"BZh", b"\xfd7zXZ")


@dataclass(frozen=True)
class ScanFinding:
    id: str
    severity: Severity
    message: str


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

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "format": self.format, "verdict": self.verdict, "sha256": self.sha256,
                "findings": [{"id": f.id, "severity": f.severity, "message": f.message} for f in self.findings]}


class _Acc:
    """Collects findings and folds them into one verdict."""

    def __init__(self) -> None:
        self.findings: list[ScanFinding] = []
        self.unsafe = self.suspicious = self.error = False
        self.imports: set[str] = set()

    def add(self, fid: str, sev: Severity, msg: str, *, effect: Verdict | None = None) -> None:
        self.findings.append(ScanFinding(fid, sev, msg))
        if effect == "unsafe":
            self.unsafe = True
        elif effect == "suspicious":
            self.suspicious = True
        elif effect == "error":
            self.error = True

    def pickle(self, rep: PickleReport, where: str) -> None:
        for module, name in rep.imports:
            v = classify_import(module, name)
            self.imports.add(f"{module}.{name}")
            if v.kind == "deny":
                self.add("pickle.dangerous-import", "critical",
                         f"{where}: imports {module}.{name}, which runs code or reaches the system when loaded",
                         effect="unsafe")
            elif v.kind == "unknown":
                self.add("pickle.unknown-callable", "medium",
                         f"{where}: imports {module}.{name}, a callable that is not on mlbom's allowlist",
                         effect="suspicious")
            elif v.kind == "class":
                self.add("pickle.class-import", "low", f"{where}: instantiates class {module}.{name} (needs its code to load)")
        for odd in rep.odd_imports:
            self.add("pickle.obfuscated-import", "critical", f"{where}: {odd}", effect="unsafe")
        if rep.error is not None:
            self.add("pickle.unreadable", "high", f"{where}: pickle stream breaks after {rep.opcodes} opcodes: {rep.error}",
                     effect="error")
        elif not rep.complete:
            self.add("pickle.truncated", "high", f"{where}: pickle stream ends without STOP", effect="error")

    def verdict(self) -> Verdict:
        if self.unsafe:
            return "unsafe"
        if self.error:
            return "error"
        if self.suspicious:
            return "suspicious"
        return "safe"


def _looks_like_pickle(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _is_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 9 or size < 9:
        return False
    (n,) = struct.unpack("<Q", head[:8])
    # A header length past the end is still safetensors — a truncated or hostile one, which
    # the parser reports; 2**40 only keeps random binary data from matching.
    return 2 <= n < 1 << 40 and head[8:9] == b"{" and head[9:10] in (b'"', b" ", b"\n", b"}", b"")


def scan_file(path: Path, *, display: str | None = None, sha256: str | None = None, with_hash: bool = True) -> FileScan:
    """Scan one file. Never raises for the file's content or I/O: problems become findings and
    the ``error`` verdict."""
    shown = display or str(path)
    try:
        st = path.stat()
    except OSError as exc:
        return FileScan(shown, "unknown", "error", findings=[ScanFinding("file.unreadable", "high", f"cannot stat: {exc.strerror}")])
    if not stat.S_ISREG(st.st_mode):
        return FileScan(shown, "unknown", "error", findings=[ScanFinding("file.not-regular", "medium", "not a regular file")])
    size = st.st_size
    digest = sha256
    if digest is None and with_hash:
        d = sha256_file(path)
        if d.sha256 is None:
            return FileScan(shown, "unknown", "error", size=size,
                            findings=[ScanFinding("file.unreadable", "high", f"cannot read: {d.error}")])
        digest = d.sha256
    acc = _Acc()
    facts: dict[str, str] = {}
    try:
        with open(path, "rb") as fh:
            fmt = _scan_stream(fh, size, path.name, acc, facts)
    except OSError as exc:
        acc.add("file.unreadable", "high", f"cannot read: {exc.strerror or exc}", effect="error")
        fmt = "unknown"
    if size == 0:
        acc.add("file.empty", "low", "0-byte file")
    if acc.imports:
        facts["pickle.imports"] = ",".join(sorted(acc.imports))[:2000]
    return FileScan(shown, fmt, acc.verdict(), digest, size, acc.findings, facts)


def _scan_stream(fh: IO[bytes], size: int, name: str, acc: _Acc, facts: dict[str, str]) -> str:
    head = fh.read(64)
    fh.seek(0)
    lower = name.lower()
    try:
        if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
            return _scan_zip(fh, size, acc, facts)
        if head.startswith(b"\x93NUMPY"):
            return _scan_npy(fh, size, acc, facts, where=name)
        if head.startswith(b"GGUF"):
            _merge(gguf.parse_gguf(fh, size), acc, facts)
            return "gguf"
        if head.startswith(b"\x89HDF\r\n\x1a\n"):
            return _scan_hdf5(fh, size, acc, facts)
        if head.startswith(b"version https://git-lfs.github.com/spec/v1"):
            lfs = weights.parse_lfs_pointer(fh.read(1024))
            if lfs is not None:
                _merge(lfs, acc, facts)
                acc.error = True
                return "git-lfs-pointer"
        if _is_safetensors(head, size):
            _merge(weights.parse_safetensors(fh, size), acc, facts)
            return "safetensors"
        if _looks_like_pickle(head):
            return _scan_pickles(fh, size, acc, facts, where=name)
        codec = _compression(head)
        if codec is not None and (codec != "zlib" or _inflates(fh)):
            return _scan_compressed(fh, codec, size, name, acc, facts)
        if lower.endswith(".onnx") or onnx.looks_like_onnx(head):
            try:
                _merge(onnx.parse_onnx(fh, size), acc, facts)
                return "onnx"
            except weights.FormatError:
                if lower.endswith(".onnx"):
                    raise
                fh.seek(0)
        if lower == "saved_model.pb":
            return "tf-savedmodel"
        if head.lstrip()[:1] in (b"{", b"[") and size <= MAX_JSON:
            return _scan_json(fh, name, acc, facts)
        if head[:1] in (b"(", b"c", b"}", b"]", b"I", b"N", b"S", b"V", b"l", b"d", b"i"):
            # Protocol 0/1 pickles have no header; try to walk one.
            rep = read_pickle(fh, size)
            if (rep.complete and rep.opcodes >= 2) or rep.imports or rep.odd_imports:
                # a broken stream that already imported something is a (broken) pickle
                acc.pickle(rep, name)
                return "pickle"
            fh.seek(0)
        fmt = _text_or_binary(fh)
        if fmt == "unknown" and lower.endswith(_PICKLE_NAMES):
            acc.add("pickle.unrecognized", "high", f"{name}: named like a pickle but in no format mlbom can read; "
                    "not scanned", effect="error")
        return fmt
    except weights.FormatError as exc:
        acc.add("format.invalid", "high", str(exc), effect="error")
        return _format_name(head, size, lower)


def _format_name(head: bytes, size: int, lower: str) -> str:
    if head.startswith(b"GGUF"):
        return "gguf"
    if head.startswith(b"\x93NUMPY"):
        return "numpy"
    if lower.endswith(".onnx"):
        return "onnx"
    if (size >= 8 and lower.endswith(".safetensors")) or (len(head) >= 9 and head[8:9] == b"{"):
        return "safetensors"
    return "unknown"


def _merge(f: weights.Facts, acc: _Acc, facts: dict[str, str]) -> None:
    facts.update(f.facts)
    for fid, sev, msg in f.findings:
        effect: Verdict | None = "unsafe" if sev == "critical" else ("suspicious" if sev == "high" else None)
        acc.add(fid, sev, msg, effect=effect)  # type: ignore[arg-type]


MAX_DECOMPRESSED = 64 << 30


def _compression(head: bytes) -> str | None:
    """The compressor of a single compressed stream (joblib's ``compress=`` containers among them)."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x04\x22\x4d\x18"):
        return "lz4"
    if head.startswith(b"ZF0x"):
        return "joblib-zfile"  # joblib < 0.10: "ZF" + hex length + zlib
    if len(head) >= 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and (head[0] << 8 | head[1]) % 31 == 0:
        return "zlib"
    return None


class _Inflating:
    """A forward-only, bounded view of a decompressed stream for the pickle walker: reads go
    through the decompressor in chunks; a forward seek reads and discards."""

    def __init__(self, raw: IO[bytes], codec: str) -> None:
        import bz2
        import lzma
        import zlib

        self.raw = raw
        self.pos = self.off = 0
        self.buf = b""
        self.eof = False
        if codec == "joblib-zfile":
            header = raw.read(21)  # "ZF" + the 0x-prefixed hex length padded to 19 characters
            if not header.startswith(b"ZF"):
                raise weights.FormatError("joblib ZF header unreadable")
        if codec in ("zlib", "joblib-zfile"):
            self.dec: object = zlib.decompressobj()
        elif codec == "gzip":
            self.dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif codec == "bz2":
            self.dec = bz2.BZ2Decompressor()
        elif codec == "xz":
            self.dec = lzma.LZMADecompressor()
        else:
            raise weights.FormatError(f"{codec}-compressed: mlbom has no {codec} decompressor")

    def _fill(self, n: int) -> None:
        """Make at least ``n`` bytes available past the read offset (or reach the end)."""
        while len(self.buf) - self.off < n and not self.eof:
            chunk = self.raw.read(1 << 20)
            if not chunk:
                self.eof = True
                break
            try:
                out = self.dec.decompress(chunk)  # type: ignore[attr-defined]
            except (OSError, EOFError, ValueError) as exc:
                raise ValueError(f"corrupt compressed stream: {exc}") from exc
            self.buf = self.buf[self.off:] + out  # compact once per chunk, not per read
            self.off = 0
            if self.pos + len(self.buf) > MAX_DECOMPRESSED:
                raise ValueError(f"decompresses to more than {MAX_DECOMPRESSED >> 30} GiB")

    def peek(self, n: int) -> bytes:
        """The next ``n`` bytes, without consuming them."""
        self._fill(n)
        return self.buf[self.off:self.off + n]

    def read(self, n: int = -1) -> bytes:
        n = 1 << 20 if n is None or n < 0 else n
        self._fill(n)
        out = self.buf[self.off:self.off + n]
        self.off += len(out)
        self.pos += len(out)
        return out

    def readline(self, limit: int = -1) -> bytes:
        limit = 1 << 20 if limit < 0 else limit
        self._fill(limit)
        i = self.buf.find(b"\n", self.off, self.off + limit)
        return self.read(i + 1 - self.off if i >= 0 else min(limit, len(self.buf) - self.off))

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        target = offset if whence == 0 else self.pos + offset
        if target < self.pos:
            raise ValueError("cannot seek backwards in a compressed stream")
        while self.pos < target:
            if not self.read(min(target - self.pos, 1 << 20)):
                break
        return self.pos


def _inflates(fh: IO[bytes]) -> bool:
    """Whether the start of the file really is a zlib stream (its two-byte header is weak: text
    beginning with "x^" has one)."""
    import zlib

    try:
        zlib.decompressobj().decompress(fh.read(64 << 10), 1 << 16)
        return True
    except zlib.error:
        return False
    finally:
        fh.seek(0)


def _scan_compressed(fh: IO[bytes], codec: str, size: int, name: str, acc: _Acc, facts: dict[str, str]) -> str:
    """A compressed pickle (joblib's ``compress=``) is decompressed on the fly and walked;
    compressed content of another kind is not scanned, and says so."""
    facts["compression"] = codec
    try:
        stream = _Inflating(fh, codec)
        head = stream.peek(2)
    except (weights.FormatError, ValueError) as exc:
        acc.add("compressed.unreadable", "high", f"{name}: {exc}; not scanned", effect="error")
        return codec
    if not _looks_like_pickle(head):
        acc.add("compressed.not-scanned", "medium", f"{name}: {codec}-compressed content that is not a pickle; "
                "its contents were not scanned", effect="error")
        return codec
    acc.pickle(read_pickle(stream, None), f"{name} ({codec})")  # type: ignore[arg-type]
    return f"pickle+{codec}"


def _text_or_binary(fh: IO[bytes]) -> str:
    sample = fh.read(4096)
    try:
        sample.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "unknown"


def _scan_json(fh: IO[bytes], name: str, acc: _Acc, facts: dict[str, str]) -> str:
    import json

    raw = fh.read(MAX_JSON + 1)
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        acc.add("json.invalid", "low", f"not valid JSON: {str(exc)[:200]}")
        return "text"
    if isinstance(doc, dict) and isinstance(doc.get("chat_template"), str):
        facts["chat-template.present"] = "true"
        for fid, sev, msg in gguf.check_chat_template(doc["chat_template"]):
            acc.add(fid, sev, msg, effect="suspicious")  # type: ignore[arg-type]
    if isinstance(doc, dict) and isinstance(doc.get("weight_map"), dict):
        return "sharded-index"
    return "json"


def _scan_pickles(fh: IO[bytes], size: int, acc: _Acc, facts: dict[str, str], *, where: str) -> str:
    """One pickle, or the consecutive pickles of a legacy (pre-1.6) torch.save file: magic
    number, protocol, system info, the object, the storage keys — then raw tensor bytes."""
    reports: list[PickleReport] = []
    start = 0
    for i in range(5):
        fh.seek(start)
        rep = read_pickle(fh, size)
        reports.append(rep)
        if not rep.complete or rep.end >= size:
            break
        fh.seek(rep.end)
        nxt = fh.read(2)
        if not _looks_like_pickle(nxt) or i == 4:
            break
        start = rep.end
    legacy = len(reports) >= 4
    for idx, rep in enumerate(reports):
        label = f"{where} pickle #{idx + 1}" if len(reports) > 1 else where
        acc.pickle(rep, label)
    facts["pickle.protocol"] = str(reports[0].protocol)
    return "pytorch-legacy" if legacy else "pickle"


def _scan_npy(fh: IO[bytes], size: int, acc: _Acc, facts: dict[str, str], *, where: str) -> str:
    f = weights.parse_npy(fh, size)
    _merge(f, acc, facts)
    if f.pickle_offset is not None:
        fh.seek(f.pickle_offset)
        acc.pickle(read_pickle(fh, size), f"{where} (object array)")
    return "numpy"


def _scan_hdf5(fh: IO[bytes], size: int, acc: _Acc, facts: dict[str, str]) -> str:
    """HDF5 (legacy Keras .h5): the model config is a JSON attribute stored as plain bytes;
    a ``Lambda`` layer in it carries marshalled Python bytecode."""
    blob = fh.read(min(size, 256 << 20))
    if b'"class_name": "Lambda"' in blob or b'"class_name":"Lambda"' in blob:
        acc.add("keras.lambda-layer", "high", "Keras model config contains a Lambda layer (marshalled Python code)",
                effect="unsafe")
    if size > 256 << 20:
        acc.add("hdf5.partially-searched", "info", "only the first 256 MiB were searched for a Keras model config")
    return "hdf5"


def _member_bytes(zf: zipfile.ZipFile, info: zipfile.ZipInfo, fh: IO[bytes]) -> IO[bytes] | None:
    """A readable stream for a member. An encryption flag on a *stored* member is read raw
    (the bytes are what a permissive loader would see); a really encrypted member is None."""
    if not info.flag_bits & 0x1:
        return zf.open(info)
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    fh.seek(info.header_offset)
    local = fh.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        return None
    n_len, x_len = struct.unpack("<HH", local[26:30])
    fh.seek(info.header_offset + 30 + n_len + x_len)
    return BytesIO(fh.read(min(info.compress_size, MAX_PICKLE_MEMBER)))


def _scan_zip(fh: IO[bytes], size: int, acc: _Acc, facts: dict[str, str]) -> str:
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        acc.add("zip.invalid", "high", f"broken zip archive: {exc}", effect="error")
        return "zip"
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            acc.add("zip.too-many-members", "high", f"{len(infos)} members; more than {MAX_ZIP_MEMBERS} are not scanned",
                    effect="error")
            return "zip"
        names = [i.filename for i in infos]
        kind = "zip"
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            kind = "pytorch-zip"
        elif "config.json" in names and any(n.endswith(".weights.h5") for n in names):
            kind = "keras"
        elif names and all(n.endswith(".npy") for n in names):
            kind = "numpy-npz"
        for info in infos:
            if info.is_dir():
                continue
            name = info.filename
            lower = name.lower()
            if info.flag_bits & 0x1:
                acc.add("zip.encrypted-flag", "medium", f"{name}: encryption flag set", effect="suspicious")
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 64 << 20:
                acc.add("zip.bomb", "high", f"{name}: inflates {info.file_size / info.compress_size:.0f}x to "
                        f"{info.file_size} bytes; not decompressed", effect="error")
                continue
            is_pickle = lower.endswith(_PICKLE_NAMES)
            is_npy = lower.endswith(".npy")
            is_keras_cfg = kind == "keras" and name == "config.json"
            if not (is_pickle or is_npy or is_keras_cfg):
                if lower.endswith((".zip", ".tar", ".gz", ".tgz", ".7z", ".pt", ".pth", ".bin", ".ckpt", ".keras")) \
                        and kind not in ("pytorch-zip",):
                    acc.add("zip.nested-archive", "medium", f"{name}: nested archive or model not scanned",
                            effect="suspicious")
                continue
            if info.file_size > MAX_PICKLE_MEMBER:
                acc.add("zip.member-too-large", "high", f"{name}: {info.file_size} bytes exceeds the scan limit", effect="error")
                continue
            stream = _member_bytes(zf, info, fh)
            if stream is None:
                acc.add("zip.encrypted", "high", f"{name}: encrypted member cannot be scanned", effect="error")
                continue
            try:
                with stream:
                    if is_pickle:
                        acc.pickle(read_pickle(stream, info.file_size), name)
                    elif is_npy:
                        _scan_npy(stream, info.file_size, acc, facts, where=name)
                    else:
                        _scan_keras_config(stream, acc)
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, weights.FormatError) as exc:
                acc.add("zip.member-unreadable", "high", f"{name}: {exc}", effect="error")
        torch_like = any(n.endswith("/version") or "/data/" in n for n in names) and kind == "zip"
        if torch_like and not any(n.lower().endswith(_PICKLE_NAMES) for n in names):
            acc.add("pytorch.data-pkl-missing", "high",
                    "looks like a PyTorch checkpoint (version, data/ entries) but has no data.pkl: cannot be loaded or checked",
                    effect="error")
        if kind == "zip" and not any(f.id.startswith("pickle.") for f in acc.findings) and \
                not any(n.lower().endswith(_PICKLE_NAMES) for n in names):
            others = [i for i in infos if i.flag_bits & 0x1]
            if others:
                for i in others:
                    acc.add("zip.encrypted", "high", f"{i.filename}: encrypted member cannot be scanned", effect="error")
    return kind


def _scan_keras_config(stream: IO[bytes], acc: _Acc) -> None:
    import json

    raw = stream.read(MAX_KERAS_CONFIG + 1)
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        acc.add("keras.config-invalid", "high", f"config.json is not valid JSON: {exc}", effect="error")
        return
    stack: list[object] = [doc]
    seen = 0
    while stack and seen < 1_000_000:
        seen += 1
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("class_name") == "Lambda":
                acc.add("keras.lambda-layer", "high", "Keras config contains a Lambda layer (serialized Python code)",
                        effect="unsafe")
                return
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, str]]:
    """Files under the given paths, sorted, with a display path; symlinks are not followed
    (a link is reported by the model collector, not scanned)."""
    for root in paths:
        if root.is_dir() and not root.is_symlink():
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                dirnames.sort()
                for fn in sorted(filenames):
                    p = Path(dirpath, fn)
                    yield p, str(p)
        else:
            yield root, str(root)


def scan(paths: Iterable[Path | str] | Path | str, *, with_hash: bool = True) -> list[FileScan]:
    """Scan files and folders (recursively): one path or several. Paths that do not exist raise
    :class:`~mlbom.errors.InputError`. ``with_hash=False`` skips the SHA-256 (and reading the
    bytes a scan does not need)."""
    from mlbom.errors import InputError

    roots = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    for r in roots:
        if not r.exists() and not r.is_symlink():
            raise InputError(r, "no such file or directory")
    out: list[FileScan] = []
    for p, shown in iter_files(roots):
        if p.is_symlink():
            out.append(FileScan(shown, "symlink", "error",
                                findings=[ScanFinding("file.symlink", "medium", f"symbolic link to {os.readlink(p)}; not followed")]))
            continue
        out.append(scan_file(p, display=shown, with_hash=with_hash))
    return out
