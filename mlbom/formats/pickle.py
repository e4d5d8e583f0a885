"""Static pickle analysis: walk the opcodes, simulate the stack, list every import — never load.

Pickle format: https://docs.python.org/3/library/pickle.html and the opcode table in
``pickletools`` (protocols 0–5). ``pickletools.genops`` decodes opcodes without executing
anything; mlbom adds a symbolic stack and memo so that ``STACK_GLOBAL`` imports built from
memoized strings are resolved, as an unpickler would resolve them.

Memory is bounded: a large argument (``BINBYTES8`` of a 50 GB tensor) is skipped with ``seek``
instead of read, and an argument that claims more bytes than the file holds is a truncation.

joblib writes NumPy arrays *inside* the pickle stream: after the ``BUILD`` of a
``joblib.numpy_pickle.NumpyArrayWrapper`` come an alignment padding (joblib ≥ 1.2) and the raw
array bytes, or, for object arrays, a nested protocol-2 pickle. The symbolic stack keeps the
small values needed to follow this (ints, tuples, string-keyed dicts, globals, ``dtype``
reductions), so the walk skips the bytes of ``shape × itemsize`` and walks the nested pickles —
which can import code, and are scanned like the rest.
"""

from __future__ import annotations

import pickletools
from dataclasses import dataclass, field
from typing import IO, Literal

from mlbom.model import Severity

MAX_READ_ARG = 1 << 20  # arguments larger than this are skipped, not read
MAX_OPCODES = 50_000_000



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
_JOBLIB_WRAPPER = {("joblib.numpy_pickle", "NumpyArrayWrapper"), ("sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper")}
_MAX_TRACKED = 64  # tuples and dicts larger than this are not kept symbolically


@dataclass(frozen=True)
class _Global:
    module: str
    attr: str


@dataclass
class _Obj:
    """The result of REDUCE/NEWOBJ, with its BUILD state once set."""

    cls: object
    args: object
    state: object = None


def _itemsize(dtype: object) -> int | None:
    """Bytes per element of a pickled ``numpy.dtype`` (None: object dtype or unknown)."""
    if not isinstance(dtype, _Obj) or not isinstance(dtype.args, tuple) or not dtype.args:
        return None
    code = dtype.args[0]
    if not isinstance(code, str) or code[:1] == "O":
        return None
    st = dtype.state
    if isinstance(st, tuple) and len(st) > 5 and isinstance(st[5], int) and st[5] > 0:
        return st[5]  # elsize given (strings, unicode, structured)
    digits = "".join(ch for ch in code if ch.isdigit())
    if not digits:
        return 1 if code in ("?", "b", "B") else None
    n = int(digits)
    return n * 4 if code[:1] == "U" else n
_STRING_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE",
               "BINUNICODE8"}
_PUT = {"PUT", "BINPUT", "LONG_BINPUT"}
_GET = {"GET", "BINGET", "LONG_BINGET"}


def read_pickle(stream: IO[bytes], size: int | None, *, depth: int = 0) -> PickleReport:
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
                stack.append(_Global(module, attr) if name == "GLOBAL" else None)
                continue
            if name == "STACK_GLOBAL":
                attr_v, module_v = pop(), pop()
                if isinstance(module_v, str) and isinstance(attr_v, str):
                    report.imports.append((module_v, attr_v))
                    stack.append(_Global(module_v, attr_v))
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
            if name in ("BININT", "BININT1", "BININT2", "LONG1", "LONG4", "INT", "LONG"):
                stack.append(arg if isinstance(arg, int) else None)
                continue
            if name in ("NEWTRUE", "NEWFALSE"):
                stack.append(name == "NEWTRUE")
                continue
            if name == "EMPTY_TUPLE":
                stack.append(())
                continue
            if name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(name[-1])
                items = [pop() for _ in range(n)][::-1]
                stack.append(tuple(items))
                continue
            if name == "TUPLE":
                items = []
                while stack and stack[-1] is not _MARK:
                    items.append(stack.pop())
                pop_to_mark()
                stack.append(tuple(reversed(items)) if len(items) <= _MAX_TRACKED else None)
                continue
            if name == "EMPTY_DICT":
                stack.append({})
                continue
            if name in ("SETITEM", "SETITEMS"):
                pairs: list[object] = []
                if name == "SETITEM":
                    pairs = [pop(), pop()][::-1]
                else:
                    while stack and stack[-1] is not _MARK:
                        pairs.append(stack.pop())
                    pop_to_mark()
                    pairs.reverse()
                target = stack[-1] if stack else None
                if isinstance(target, dict):
                    for k, v in zip(pairs[0::2], pairs[1::2], strict=False):
                        if isinstance(k, str) and len(target) < _MAX_TRACKED:
                            target[k] = v
                elif not stack:
                    raise ValueError("stack underflow")
                continue
            if name in ("REDUCE", "NEWOBJ"):
                args, fn = pop(), pop()
                stack.append(_Obj(fn, args))
                continue
            if name == "NEWOBJ_EX":
                _kwargs, args, fn = pop(), pop(), pop()
                stack.append(_Obj(fn, args))
                continue
            if name == "BUILD":
                state = pop()
                if not stack:
                    raise ValueError("stack underflow")
                obj = stack[-1]
                if isinstance(obj, _Obj):
                    obj.state = state
                    if isinstance(obj.cls, _Global) and (obj.cls.module, obj.cls.attr) in _JOBLIB_WRAPPER:
                        _skip_joblib_array(obj, reader, stream, size, report, depth)
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


def _skip_joblib_array(wrapper: _Obj, reader: BoundedReader, stream: IO[bytes], size: int | None,
                       report: PickleReport, depth: int) -> None:
    """Step over the array joblib wrote after a NumpyArrayWrapper, as joblib's unpickler reads it."""
    state = wrapper.state
    if not isinstance(state, dict):
        raise ValueError("joblib array wrapper without a readable state: cannot tell where the pickle resumes")
    shape, dtype = state.get("shape"), state.get("dtype")
    if not isinstance(dtype, _Obj) or not isinstance(dtype.cls, _Global) or dtype.cls.attr != "dtype":
        raise ValueError("joblib array of unknown dtype: cannot tell where the pickle resumes")
    code = dtype.args[0] if isinstance(dtype.args, tuple) and dtype.args else None
    if isinstance(code, str) and code[:1] == "O":  # object array: a nested pickle, scanned like the rest
        if depth >= 8:
            raise ValueError("joblib object arrays nested too deeply")
        nested = read_pickle(stream, size, depth=depth + 1)
        report.imports += nested.imports
        report.odd_imports += nested.odd_imports
        reader.pos = nested.end
        stream.seek(nested.end)
        if nested.error or not nested.complete:
            raise ValueError(f"joblib object array: {nested.error or 'nested pickle truncated'}")
        return
    item = _itemsize(dtype)
    if item is None or not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise ValueError("joblib array of unknown size: cannot tell where the pickle resumes")
    n = item
    for d in shape:
        n *= d
    if state.get("numpy_array_alignment_bytes") is not None:
        pad = stream.read(1)
        if len(pad) != 1:
            raise ValueError("joblib array padding runs past the end of the data")
        reader.pos += 1
        n += pad[0]
    left = None if size is None else size - reader.pos
    if left is not None and n > left:
        raise ValueError(f"joblib array of {n} bytes runs past the end of the data ({left} left)")
    stream.seek(n, 1)
    reader.pos += n


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
