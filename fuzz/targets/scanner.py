"""Fuzz targets for the scanner's container layer (``mlbom.scanner.scan_bytes``).

* ``scanner``: the input is a whole file; its first byte picks the name it is scanned under
  (so the name-versus-content rule is exercised too);
* ``scanner-safetensors``: structure-aware — the input is a safetensors header (JSON text)
  put in front of a data section of the size its offsets claim;
* ``scanner-npy``: structure-aware — the input is an NPY header literal;
* ``scanner-zip``: structure-aware — the input's bytes become the members of a zip archive
  (names, methods, data), then the archive's bytes are mutated at the input's choosing;
* ``scanner-yaml``: the input as a YAML text (tags and Hydra targets from the parser's events);
* ``scanner-matlab``: structure-aware — the input's bytes follow a level-5 MAT-file header (its
  first byte picks the byte order), scanned as ``data.mat``: the element walk of
  ``mlbom.formats.matlab`` (tags, compressed variables, nesting); a first byte with bit 1 set
  makes the rest a level-4 file (its records).

``scan_bytes(..., debug=True)`` re-raises what the scanner would turn into
``scan.internal-error``: any exception is a crash. Each result must carry a verdict of the four.
"""

from __future__ import annotations

import io
import struct
import zipfile

from fuzz.harness import Target
from mlbom.formats.compression import Limits
from mlbom.scanner import FileScan, scan_bytes

_NAMES = ("model.bin", "model.safetensors", "model.pkl", "model.joblib", "x.npy", "x.npz", "m.pt", "data.json.gz",
          "a.tar", "model.keras", "readme.txt", "w.onnx", "m.gguf", "model.h5", "x.pth", "blob")
_LIMITS = Limits(max_output=64 << 20, ratio_floor=8 << 20, max_member_spool=64 << 20, max_work=256 << 20)


def scan(data: bytes, name: str) -> None:
    """``scan_bytes`` under the fuzzing limits, asserting a verdict of the contract's four."""
    _check(scan_bytes(data, name, limits=_LIMITS, debug=True))


def _check(r: FileScan) -> None:
    if r.verdict not in ("safe", "suspicious", "unsafe", "error"):
        raise AssertionError(f"bad verdict {r.verdict}")


def run_file(data: bytes) -> None:
    name = _NAMES[data[0] % len(_NAMES)] if data else "empty"
    _check(scan_bytes(data[1:], name, limits=_LIMITS, debug=True))


def run_safetensors(data: bytes) -> None:
    header = data[:65536]
    _check(scan_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 64, "model.safetensors", limits=_LIMITS,
                      debug=True))


def run_npy(data: bytes) -> None:
    header = data[:4096] + b"\n"
    body = data[4096:]
    blob = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + body
    _check(scan_bytes(blob, "x.npy", limits=_LIMITS, debug=True))


def run_zip(data: bytes) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i, part in enumerate(data[:4096].split(b"\xff")[:16]):
            method = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)[i % 4]
            name = ("archive/data.pkl", "archive/version", "a.npy", "config.json", "x/y.pkl", "m.safetensors")[i % 6]
            zf.writestr(zipfile.ZipInfo(f"{name}" if i < 6 else f"{i}/{name}"), part, compress_type=method)
    raw = bytearray(buf.getvalue())
    tail = data[4096:]
    for j in range(0, len(tail) - 2, 3):  # (position, value) edits chosen by the input
        raw[(tail[j] << 8 | tail[j + 1]) % len(raw)] = tail[j + 2]
    _check(scan_bytes(bytes(raw), "m.pt", limits=_LIMITS, debug=True))


def run_yaml(data: bytes) -> None:
    _check(scan_bytes(data, "config.yaml", limits=_LIMITS, debug=True))


_MAT_HEADER = b"MATLAB 5.0 MAT-file, Platform: fuzz".ljust(116, b" ") + b"\0" * 8


def run_matlab(data: bytes) -> None:
    if data and data[0] & 2:  # level 4: the rest is the file (records of five int32 headers)
        _check(scan_bytes(data[1:], "data.mat", limits=_LIMITS, debug=True))
        return
    order = b"\x00\x01IM" if not data or data[0] & 1 == 0 else b"\x01\x00MI"
    _check(scan_bytes(_MAT_HEADER + order + data[1:], "data.mat", limits=_LIMITS, debug=True))


_SEEDS = ("tests/fixtures/scan/benign/*", "tests/fixtures/hostile/scanner/*", "tests/fixtures/joblib/*",
          "tests/fixtures/pickles/*.pkl")

TARGETS: list[Target] = [
    Target("scanner", run_file, _SEEDS, (), 1 << 20, "whole-file scan: container detection, decompression, zip, "
           "tar, weight headers, name-versus-content"),
    Target("scanner-safetensors", run_safetensors, ("tests/fixtures/hostile/scanner/st-*",), (), 1 << 17,
           "structure-aware: safetensors header JSON"),
    Target("scanner-npy", run_npy, ("tests/fixtures/hostile/scanner/npy-*",), (), 1 << 16,
           "structure-aware: NPY header literal"),
    Target("scanner-zip", run_zip, ("tests/fixtures/hostile/scanner/zip-*",), (), 1 << 16,
           "structure-aware: zip members then byte edits"),
    Target("scanner-yaml", run_yaml, ("tests/fixtures/hostile/scanner/rt5b-yaml-*",
                                      "tests/fixtures/hostile/scanner/rt9b-hydra-*.yaml", "tests/fixtures/hydra/*/*.yaml",
                                      "tests/fixtures/fiddle/*.json", "tests/fixtures/speechbrain/*.yaml"),
           (), 1 << 16, "YAML text: Python tags resolved from the parser's events (%TAG, verbatim, %xx), config "
           "targets from the same events (Hydra _target_, class_path, NeMo target/cls, fiddle pyrefs, OmegaConf "
           "interpolations)"),
    Target("scanner-matlab", run_matlab, ("fuzz/seeds/matlab/*",), (), 1 << 16,
           "structure-aware: the elements of a level-5 MAT-file after its header"),
]
