"""Fuzz targets for the symbolic unpickler (``mlbom.formats.pickle.read_pickle``).

* ``pickle-raw``: the input is a pickle stream, walked as a plain pickle;
* ``pickle-joblib``: the same, with joblib's inline-array stepping;
* ``pickle-opcodes``: structure-aware — the input is a program that :func:`assemble` turns
  into a stream of well-formed opcodes (names from a small dictionary of allowlisted and
  dangerous globals, memo indices, marks, nested ``_load_from_bytes`` blobs), so mutations
  explore the walker's semantics rather than its argument decoding.

``read_pickle`` never raises for bad input: any exception is a crash. Each run also checks the
report's invariants (``end`` within the data, a verdict of the four).
"""

from __future__ import annotations

import io
import struct

from fuzz.harness import Target
from mlbom.formats.pickle import Limits, PickleReport, read_pickle

_NAMES = [("os", "system"), ("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"),
          ("builtins", "set"), ("numpy", "dtype"), ("joblib.numpy_pickle", "NumpyArrayWrapper"),
          ("torch.storage", "_load_from_bytes"), ("copyreg", "_reconstructor"), ("sklearn", "os.system"),
          ("torch._tensor", "_rebuild_from_type_v2"), ("__builtin__", "eval"), ("evil", "Thing"),
          ("_codecs", "encode"), ("builtins", "object")]
_SIMPLE = [b"(", b".", b"0", b"1", b"2", b"N", b"R", b"b", b"t", b")", b"}", b"]", b"s", b"u", b"a", b"e", b"l",
           b"d", b"o", b"\x81", b"\x85", b"\x86", b"\x87", b"\x88", b"\x89", b"\x8f", b"\x90", b"\x91", b"\x92",
           b"\x93", b"\x94", b"Q", b"\x98"]
_LIMITS = Limits(opcodes=200_000, stack=50_000, memo=50_000, cells=200_000, text_bytes=4 << 20)


def assemble(program: bytes, depth: int = 0) -> bytes:
    """Turn arbitrary bytes into a pickle of well-formed opcodes (deterministic)."""
    out = bytearray(b"\x80" + bytes([2 + (program[0] % 4 if program else 2)]))
    i = 1
    while i < len(program):
        b = program[i]
        i += 1
        arg = program[i] if i < len(program) else 0
        kind = b % 12
        if kind < 4:
            out += _SIMPLE[(b // 12) % len(_SIMPLE)]
        elif kind == 4:
            m, n = _NAMES[arg % len(_NAMES)]
            out += f"c{m}\n{n}\n".encode()
            i += 1
        elif kind == 5:
            m, n = _NAMES[arg % len(_NAMES)]
            for t in (m, n):
                out += b"\x8c" + bytes([len(t)]) + t.encode()
            out += b"\x93"
            i += 1
        elif kind == 6:
            out += b"q" + bytes([arg % 8])
            i += 1
        elif kind == 7:
            out += b"h" + bytes([arg % 8])
            i += 1
        elif kind == 8:
            out += b"K" + bytes([arg])
            i += 1
        elif kind == 9:
            text = program[i:i + arg % 16]
            i += arg % 16 + 1
            out += b"\x8c" + bytes([len(text)]) + text
        elif kind == 10:
            if depth < 2:  # a nested legacy torch blob for _load_from_bytes
                inner = assemble(program[i:i + 64], depth + 1)
                i += 65
                out += b"B" + struct.pack("<I", len(inner)) + inner
        else:
            out += b"\x95" + struct.pack("<Q", arg)
            i += 1
    return bytes(out + b".")


def _check(rep: PickleReport, size: int) -> None:
    if not 0 <= rep.end <= size:
        raise AssertionError(f"report end {rep.end} outside the data (0..{size})")
    if rep.verdict not in ("safe", "suspicious", "unsafe", "error"):
        raise AssertionError(f"bad verdict {rep.verdict}")
    if rep.complete and rep.error is not None:
        raise AssertionError("complete and errored")


def run_raw(data: bytes) -> None:
    _check(read_pickle(io.BytesIO(data), len(data), limits=_LIMITS, check_trailing=True), len(data))


def run_joblib(data: bytes) -> None:
    _check(read_pickle(io.BytesIO(data), len(data), joblib=True, limits=_LIMITS), len(data))


def run_opcodes(data: bytes) -> None:
    stream = assemble(data)
    _check(read_pickle(io.BytesIO(stream), len(stream), joblib=bool(data[:1] and data[0] & 1), limits=_LIMITS),
           len(stream))


_SEEDS = ("tests/fixtures/pickles/*.pkl", "tests/fixtures/pickles/benign/*", "tests/fixtures/hostile/pickle/*",
          "../shared/corpus/pickles/**/*.pkl")

TARGETS: list[Target] = [
    Target("pickle-raw", run_raw, _SEEDS, (), 1 << 20, "symbolic unpickler on raw bytes"),
    Target("pickle-joblib", run_joblib, ("tests/fixtures/pickles/benign/*.joblib", "tests/fixtures/joblib/*"), (),
           1 << 20, "symbolic unpickler with joblib inline arrays"),
    Target("pickle-opcodes", run_opcodes, ("tests/fixtures/hostile/pickle/*",), (), 4096,
           "structure-aware: bytes assembled into well-formed opcodes"),
]
