"""Red team 111pa-7/-8/-9: readers of decompressed content the per-file parse budget
(:mod:`mlbom.formats.inflation`) did not charge.

- 111pa-7: content that is not text was tried as a sentencepiece protobuf (up to 4 M fields) before
  any charge: 7.8 KB of gzip took 1.9 s, each member of a zip as much again. Now a field is a step.
- 111pa-8: the MAT-file walk of ``miCOMPRESSED`` variables (up to 1 M tags a file, each MAT-file of
  a zip its own): now a tag costs :data:`mlbom.formats.matlab.STEPS_PER_TAG` steps.
- 111pa-9: text the YAML and config walks take (YAML events, the Jsonnet lexer) was charged a step
  per 8 bytes: 2.4 KB of gzip let 2.4 MB of YAML in (1.3 s). Now a step per 2 characters in all.

Past the budget: ``error`` (or ``suspicious`` for a text bomb) naming the budget, never ``safe``.
Work is asserted by counted calls and steps, never by time.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from mlbom import scanner
from mlbom.formats import inflation, matlab, weights
from mlbom.limits import INFLATED_STEPS_FLOOR
from mlbom.scanner import scan_file
from tests.helpers import counting_calls

_BUDGET_WORDS = "steps per byte of the file"


def _charged(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    steps: list[int] = []
    real = inflation.charge

    def charge(n: int) -> None:
        steps.append(n)
        real(n)

    monkeypatch.setattr(inflation, "charge", charge)
    return steps


# ---------------------------------------------------------------- 111pa-7

_FIELDS = b"\x12\x00" * 2_000_000  # field 2, an empty message: not text (NULs), 4 MB (a varint field stops the walk: 123d-5)


def test_sentencepiece_walk_of_decompressed_content_is_charged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "fields.gz"
    p.write_bytes(gzip.compress(_FIELDS, 9))
    walked: list[int] = []
    real = weights._pb_fields

    def counted(buf: bytes, limit: int = weights.MAX_PB_FIELDS, seen: list[int] | None = None,
                messages_upto: int = 0) -> object:
        mine: list[int] = []
        try:
            return real(buf, limit, mine, messages_upto)
        finally:
            walked.extend(mine)
            if seen is not None:
                seen.extend(mine)

    monkeypatch.setattr(weights, "_pb_fields", counted)
    sc = scan_file(p)
    assert sc.verdict == "error"
    assert any(_BUDGET_WORDS in f.message and "top-level fields" in f.message for f in sc.findings), sc.findings
    assert sum(walked) <= INFLATED_STEPS_FLOOR  # (was 2,000,000)


def test_sentencepiece_members_after_the_budget_are_not_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(4):
            zf.writestr(f"m{i}.model", _FIELDS + bytes([i]))
    p = tmp_path / "fields.zip"
    p.write_bytes(b.getvalue())
    with counting_calls(monkeypatch, weights, "parse_sentencepiece") as calls:
        sc = scan_file(p)
    assert sc.verdict == "error"
    assert calls[0] == 1  # (was 4: each member parsed, none charged)
    assert "compressed.parse-budget" in {f.id for f in sc.findings}


def _sentencepiece(pieces: int) -> bytes:
    out = b""
    for i in range(pieces):
        text = f"piece{i}".encode()
        sub = b"\x0a" + bytes([len(text)]) + text + b"\x15\x00\x00\x00\x00"  # piece, score (float)
        out += b"\x0a" + bytes([len(sub)]) + sub
    return out


def test_a_real_sentencepiece_model_in_a_gzip_is_still_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "tokenizer.model.gz"
    p.write_bytes(gzip.compress(_sentencepiece(2000)))
    steps = _charged(monkeypatch)
    sc = scan_file(p)
    assert sc.verdict == "safe", sc.findings
    assert sc.format.startswith("sentencepiece"), sc.format
    assert 2000 <= sum(steps) < 10_000  # a field a step (the 2,000 pieces)


def test_sentencepiece_outside_a_decompressor_is_not_charged() -> None:
    assert inflation.steps_allowed(weights.MAX_PB_FIELDS) == (weights.MAX_PB_FIELDS, "")
    facts = weights.parse_sentencepiece(_sentencepiece(10))
    assert facts is not None and facts.facts["sentencepiece.pieces"] == "10"


# ---------------------------------------------------------------- 111pa-8

_HEAD = b"MATLAB 5.0 MAT-file, test".ljust(116, b" ") + b"\0" * 8 + b"\x00\x01IM"


def _matrix(mclass: int, dims: tuple[int, ...], name: bytes, rest: bytes) -> bytes:
    body = struct.pack("<II", 6, 8) + struct.pack("<II", mclass, 0)
    body += struct.pack("<II", 5, 4 * len(dims)) + struct.pack(f"<{len(dims)}i", *dims)
    body += struct.pack("<I", 1 | (len(name) << 16)) + name.ljust(4, b"\0")
    return struct.pack("<II", 14, len(body) + len(rest)) + body + rest


def _mat_of_cells(n: int) -> bytes:
    """A MAT-file whose one compressed variable is a cell of ``n`` empty matrices (a tag each)."""
    inner = _matrix(1, (1, n), b"a", struct.pack("<II", 14, 0) * n)
    z = zlib.compress(inner, 9)
    return _HEAD + struct.pack("<II", 15, len(z)) + z


def test_mat_walk_of_a_compressed_variable_is_charged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "cells.mat"
    p.write_bytes(_mat_of_cells(999_000))
    with counting_calls(monkeypatch, matlab._Walk, "tag") as tags:
        sc = scan_file(p)
    assert sc.verdict == "error"  # (was safe)
    assert any("data elements in compressed variables" in f.message and _BUDGET_WORDS in f.message
               for f in sc.findings), sc.findings
    assert tags[0] <= INFLATED_STEPS_FLOOR // matlab.STEPS_PER_TAG + 10  # (was 999,005)


def test_mat_files_of_a_zip_share_one_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = _mat_of_cells(200_000)
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as zf:
        for i in range(4):
            zf.writestr(f"v{i}.mat", one)
    p = tmp_path / "mats.zip"
    p.write_bytes(b.getvalue())
    with counting_calls(monkeypatch, matlab._Walk, "tag") as tags:
        sc = scan_file(p)
    assert sc.verdict == "error"
    budget = max(INFLATED_STEPS_FLOOR, inflation.INFLATED_STEPS_PER_BYTE * p.stat().st_size)
    assert tags[0] <= budget // matlab.STEPS_PER_TAG + 40  # (was 4 x 200,005)


def test_a_small_compressed_mat_file_is_still_safe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "small.mat"
    p.write_bytes(_mat_of_cells(1000))
    steps = _charged(monkeypatch)
    sc = scan_file(p)
    assert sc.verdict == "safe", sc.findings
    assert sc.format == "matlab"
    assert sum(steps) >= matlab.STEPS_PER_TAG * 1000


# ---------------------------------------------------------------- 111pa-9

def _yaml(n: int) -> bytes:
    return (b"a:\n" + b"- 1\n" * (n // 4))[:n]


def test_yaml_from_a_decompressor_is_charged_at_two_bytes_a_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "hparams.yaml.gz"
    p.write_bytes(gzip.compress(_yaml(2_390_000), 9))
    with counting_calls(monkeypatch, scanner, "_may_name_targets") as walked:
        sc = scan_file(p)
    assert walked[0] == 0  # (was 1: 2.39 MB walked by the Jsonnet lexer, 1.3 s)
    assert sc.verdict == "suspicious"
    assert any(f.id == "compressed.bomb" and _BUDGET_WORDS in f.message for f in sc.findings), sc.findings


def test_yaml_within_the_budget_is_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "hparams.yaml.gz"
    p.write_bytes(gzip.compress(_yaml(400_000), 9))
    steps = _charged(monkeypatch)
    with counting_calls(monkeypatch, scanner, "_may_name_targets") as walked:
        sc = scan_file(p)
    assert walked[0] == 1 and sc.verdict == "safe", sc.findings
    assert sum(steps) >= 400_000 // scanner._JUDGED_TEXT_BYTES_PER_STEP


def test_json_text_is_not_charged_the_walk_rate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # JSON is parsed in C and walked value by value (its values counted): not the YAML walk's rate
    p = tmp_path / "vocab.json.gz"
    text = b"{" + b",".join(b'"tok%d": %d' % (i, i) for i in range(100_000)) + b"}"
    p.write_bytes(gzip.compress(text, 9))
    steps = _charged(monkeypatch)
    sc = scan_file(p)
    assert sc.verdict == "safe", sc.findings
    assert sum(steps) < len(text) // 4


def test_text_read_as_another_format_is_charged_too(tmp_path: Path) -> None:
    # a protocol-0 pickle (text by design), then YAML after its STOP: the text reading walks it all
    p = tmp_path / "cfg.yaml.gz"
    p.write_bytes(gzip.compress(b"(lp0\n.\n" + _yaml(2_390_000)[7:], 9))
    sc = scan_file(p)
    assert sc.verdict != "safe"
    assert any(f.id == "compressed.bomb" and "YAML and config-target walks" in f.message for f in sc.findings), \
        sc.findings
