"""Static pickle analysis: walk the opcodes, simulate the stack, list every import — never load.

Pickle format: https://docs.python.org/3/library/pickle.html and the opcode table in
``pickletools`` (protocols 0–5). ``pickletools.genops`` decodes opcodes without executing
anything; mlbom adds a symbolic stack and memo so that ``STACK_GLOBAL`` imports built from
memoized strings are resolved, as an unpickler would resolve them.

Memory is bounded: a large argument (``BINBYTES8`` of a 50 GB tensor) is skipped with ``seek``
instead of read, and an argument that claims more bytes than the file holds is a truncation.
"""

from __future__ import annotations

import pickletools
from dataclasses import dataclass, field
from typing import IO, Literal

MAX_READ_ARG = 1 << 20  # arguments larger than this are skipped, not read
MAX_OPCODES = 50_000_000

Verdict = Literal["safe", "unsafe", "suspicious", "error"]


class _Skipped:
    """Stands in for a large argument that was skipped: it has the right length, no content."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


class BoundedReader:
    """A read-only view of a binary stream for ``pickletools.genops``: reads of more than
    :data:`MAX_READ_ARG` bytes seek past the data instead of reading it."""

    def __init__(self, raw: IO[bytes], size: int | None) -> None:
        self.raw = raw
        self.size = size
        self.pos = raw.tell() if raw.seekable() else 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = MAX_READ_ARG
        if n > MAX_READ_ARG:
            left = None if self.size is None else self.size - self.pos
            if left is not None and n > left:
                raise ValueError(f"argument of {n} bytes runs past the end of the data ({left} left)")
            self.raw.seek(n, 1)
            self.pos += n
            return _Skipped(n)  # type: ignore[return-value]
        data = self.raw.read(n)
        self.pos += len(data)
        return data

    def readline(self) -> bytes:
        line = self.raw.readline(MAX_READ_ARG)
        self.pos += len(line)
        return line

    def tell(self) -> int:
        return self.pos


@dataclass
class PickleReport:
    """What one pickle stream imports, and how far it could be read."""

    imports: list[tuple[str, str]] = field(default_factory=list)
    odd_imports: list[str] = field(default_factory=list)  # non-string STACK_GLOBAL, EXT codes
    protocol: int | None = None
    opcodes: int = 0
    end: int = 0
    error: str | None = None
    complete: bool = False  # reached STOP


_MARK = object()
_STRING_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE",
               "BINUNICODE8"}
_PUT = {"PUT", "BINPUT", "LONG_BINPUT"}
_GET = {"GET", "BINGET", "LONG_BINGET"}


def read_pickle(stream: IO[bytes], size: int | None) -> PickleReport:
    """Walk one pickle from the current position of ``stream`` up to its STOP opcode."""
    report = PickleReport()
    reader = BoundedReader(stream, size)
    stack: list[object] = []
    memo: dict[int, object] = {}

    def pop() -> object:
        if not stack:
            raise ValueError("stack underflow")
        return stack.pop()

    def pop_to_mark() -> None:
        while stack:
            if stack.pop() is _MARK:
                return
        raise ValueError("no MARK on the stack")

    try:
        for op, arg, _pos in pickletools.genops(reader):  # type: ignore[arg-type]
            report.opcodes += 1
            if report.opcodes > MAX_OPCODES:
                raise ValueError(f"more than {MAX_OPCODES} opcodes")
            name = op.name
            if name == "PROTO":
                report.protocol = int(arg) if isinstance(arg, int) else None
                continue
            if name == "STOP":
                report.complete = True
                break
            if name in ("GLOBAL", "INST"):
                module, _, attr = str(arg).partition(" ")
                report.imports.append((module, attr))
                if name == "INST":
                    pop_to_mark()
                stack.append(None)
                continue
            if name == "STACK_GLOBAL":
                attr_v, module_v = pop(), pop()
                if isinstance(module_v, str) and isinstance(attr_v, str):
                    report.imports.append((module_v, attr_v))
                else:
                    report.odd_imports.append(f"STACK_GLOBAL with non-string operands ({module_v!r}, {attr_v!r})")
                stack.append(None)
                continue
            if name in ("EXT1", "EXT2", "EXT4"):
                report.odd_imports.append(f"{name} extension code {arg} (resolved through copyreg at load time)")
                stack.append(None)
                continue
            if name in _STRING_OPS:
                stack.append(arg if isinstance(arg, str) else (arg.decode("latin-1") if isinstance(arg, bytes) else None))
                continue
            if name in _PUT:
                if stack:
                    memo[int(str(arg))] = stack[-1]
                continue
            if name == "MEMOIZE":
                if stack:
                    memo[len(memo)] = stack[-1]
                continue
            if name in _GET:
                stack.append(memo.get(int(str(arg))))
                continue
            if name == "MARK":
                stack.append(_MARK)
                continue
            if name == "DUP":
                stack.append(stack[-1] if stack else None)
                continue
            before = [s.name for s in op.stack_before]
            if "mark" in before:
                pop_to_mark()
                for _ in range(before.index("mark")):
                    pop()
            else:
                for _ in before:
                    pop()
            stack.extend(None for _ in op.stack_after)
    except (ValueError, EOFError, AttributeError, UnicodeDecodeError, OverflowError) as exc:
        report.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    report.end = reader.pos
    return report


# ---------------------------------------------------------------------------------------
# Classification. Denied: what gives code execution, file or network access when unpickled
# (the union of picklescan's and modelscan's lists, plus CVE-specific gadgets). Allowed: what
# real checkpoints of torch, numpy, scikit-learn and joblib import. Everything else: classes
# (a capitalized name) are reported but do not change the verdict — full-model saves import
# the model's own classes — while other callables make the file suspicious.

DENY_MODULES = (
    "os", "posix", "nt", "posixpath", "ntpath", "subprocess", "sys", "socket", "ssl", "shutil", "runpy",
    "pty", "ctypes", "_ctypes", "importlib", "imp", "pickle", "_pickle", "cPickle", "marshal", "code",
    "codeop", "commands", "webbrowser", "requests", "httplib", "http", "urllib", "urllib2", "urllib3",
    "aiohttp", "asyncio", "multiprocessing", "threading", "_thread", "pip", "pydoc", "profile", "cProfile",
    "pdb", "bdb", "timeit", "trace", "tempfile", "glob", "signal", "smtplib", "ftplib", "telnetlib", "dill",
    "cloudpickle", "types", "io", "_io", "zipimport", "platform", "builtins.__import__", "venv", "ensurepip",
    "torch.hub", "torch.utils.bottleneck", "torch.utils.collect_env", "torch.utils.cpp_extension",
    "torch.package", "torch._inductor", "torch.jit", "numpy.testing", "numpy.f2py", "numpy.distutils",
    "numpy.ctypeslib", "pandas.io", "keras.utils.generic_utils", "jinja2", "yaml", "shelve", "sqlite3",
)
DENY_NAMES = {
    ("builtins", n) for n in ("eval", "exec", "execfile", "compile", "open", "getattr", "setattr", "delattr",
                              "__import__", "globals", "locals", "vars", "apply", "input", "breakpoint",
                              "file", "reload", "__loader__", "help", "memoryview")
} | {
    ("__builtin__", n) for n in ("eval", "exec", "execfile", "compile", "open", "getattr", "setattr", "delattr",
                                 "__import__", "globals", "locals", "vars", "apply", "input", "file", "reload")
} | {
    ("operator", "attrgetter"), ("operator", "methodcaller"), ("_operator", "attrgetter"),
    ("_operator", "methodcaller"), ("torch", "load"), ("torch.serialization", "load"),
    ("torch.serialization", "_load"), ("torch", "from_file"), ("numpy", "load"), ("numpy", "fromfile"),
    ("numpy.lib.npyio", "load"), ("pandas", "read_pickle"), ("pandas", "read_csv"), ("joblib", "load"),
    ("joblib.numpy_pickle", "load"), ("sklearn.externals.joblib", "load"),
}
SAFE_NAMES = {
    ("collections", "OrderedDict"), ("collections", "defaultdict"), ("collections", "Counter"),
    ("collections", "deque"), ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"),
    ("builtins", "range"), ("builtins", "complex"), ("builtins", "bytearray"), ("builtins", "dict"),
    ("builtins", "list"), ("builtins", "tuple"), ("builtins", "int"), ("builtins", "float"),
    ("builtins", "bool"), ("builtins", "str"), ("builtins", "bytes"), ("builtins", "object"),
    ("__builtin__", "set"), ("__builtin__", "frozenset"), ("__builtin__", "slice"), ("__builtin__", "complex"),
    ("__builtin__", "object"), ("__builtin__", "long"), ("__builtin__", "unicode"), ("__builtin__", "dict"),
    ("__builtin__", "list"), ("__builtin__", "tuple"), ("__builtin__", "int"), ("__builtin__", "float"),
    ("__builtin__", "bool"), ("__builtin__", "str"), ("__builtin__", "bytes"), ("copy_reg", "_reconstructor"),
    ("copyreg", "_reconstructor"), ("copyreg", "__newobj__"), ("_codecs", "encode"), ("datetime", "datetime"),
    ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta"), ("datetime", "timezone"),
    ("decimal", "Decimal"), ("fractions", "Fraction"), ("uuid", "UUID"), ("pathlib", "PosixPath"),
    ("pathlib", "WindowsPath"), ("pathlib", "PurePosixPath"), ("pathlib", "Path"),
    ("numpy", "dtype"), ("numpy", "ndarray"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"), ("numpy.random._pickle", "__randomstate_ctor"),
    ("numpy.random._pickle", "__bit_generator_ctor"), ("numpy.random._pickle", "__generator_ctor"),
    ("joblib.numpy_pickle", "NumpyArrayWrapper"), ("joblib.numpy_pickle", "NDArrayWrapper"),
    ("argparse", "Namespace"), ("re", "_compile"), ("torch.serialization", "_get_layout"),
}
SAFE_PREFIXES = (
    "torch._utils._rebuild", "torch.nn.", "torch.optim.", "torch.storage", "torch._tensor",
    "torch.distributions.", "torch.amp.", "torch.cuda.amp.", "sklearn.", "scipy.sparse.",
    "transformers.", "tokenizers.", "sentence_transformers.",
)
SAFE_TORCH_ATTRS = {
    "Size", "device", "dtype", "float32", "float16", "bfloat16", "float64", "int64", "int32", "int16", "int8",
    "uint8", "bool", "complex64", "complex128", "layout", "strided", "sparse_coo", "memory_format",
    "contiguous_format", "channels_last", "preserve_format", "Tensor", "finfo", "iinfo", "qint8", "quint8",
    "per_tensor_affine", "per_channel_affine", "float8_e4m3fn", "float8_e5m2",
}

Severity = Literal["critical", "high", "medium", "low", "info"]


@dataclass(frozen=True)
class ImportVerdict:
    kind: Literal["deny", "allow", "class", "unknown"]
    severity: Severity


def classify_import(module: str, name: str) -> ImportVerdict:
    """How dangerous importing ``module.name`` at load time is."""
    full = f"{module}.{name}"
    if (module, name) in DENY_NAMES or any(full == d or module == d or module.startswith(d + ".") for d in DENY_MODULES):
        return ImportVerdict("deny", "critical")
    if (module, name) in SAFE_NAMES or full.startswith(SAFE_PREFIXES):
        return ImportVerdict("allow", "info")
    if module == "torch" and (name in SAFE_TORCH_ATTRS or name.endswith("Storage")):
        return ImportVerdict("allow", "info")
    if name[:1].isupper():
        return ImportVerdict("class", "low")
    return ImportVerdict("unknown", "medium")
