"""Red team 106sa, false positives on files the real libraries write (fixtures in
``tests/fixtures/rt106sa/``, made as ``tests/fixtures/SOURCES.md`` says; none is loaded here).

- 106sa-3: ``skops.io.dump`` writes a ``bytes``/``bytearray`` value to a ``<uuid4>.bin`` member that
  a ``BytesNode``/``BytearrayNode`` names and skops reads back raw: no name claim, no
  ``file.unknown`` for such members; any other ``.bin`` member, and the same members in an archive
  another loader reads too (a Keras polyglot), keep their judgement.
- 106sa-5: ``onnx.save_model(..., location="weights.bin")``: a folder scan takes the file as the
  model's raw tensor bytes like ``model.onnx.data``, whatever the name claims.
- 106sa-4 (decided: stays ``suspicious``): the ``pickle.load`` reading of a joblib dict holding an
  object array imports a top-level module named like a class of the file; the finding says why the
  file cannot settle it (docs/scanning.md, "joblib")."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import mlbom
from mlbom.scanner import FileScan, scan_file

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "rt106sa"


def ids(r: FileScan) -> list[str]:
    return [f.id for f in r.findings]


def about(r: FileScan, member: str) -> list[str]:
    return [f.id for f in r.findings if member in f.message]


def bytes_members() -> list[str]:
    with zipfile.ZipFile(FIX / "bytes_value.skops") as z:
        return [n for n in z.namelist() if n.endswith(".bin")]


def with_members(tmp_path: Path, name: str, extra: dict[str, bytes]) -> Path:
    """The skops fixture rewritten with ``extra`` members first (schema.json stays last, as skops writes it)."""
    out = tmp_path / name
    with zipfile.ZipFile(FIX / "bytes_value.skops") as src, zipfile.ZipFile(out, "w") as dst:
        for n, data in extra.items():
            dst.writestr(n, data)
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
    return out


def test_skops_bytes_values_are_raw_members() -> None:
    r = scan_file(FIX / "bytes_value.skops", with_hash=False)
    assert r.format == "skops" and r.verdict == "safe", r.findings
    assert "file.format-mismatch" not in ids(r) and "file.unknown" not in ids(r)
    members = bytes_members()
    assert len(members) == 2  # b"," (text) and bytearray(b"\x00\x01\x02") (binary)
    # the binary one is still judged by content: in no format, which a bytes value may be
    assert [m for m in members if about(r, m) == ["zip.raw-member"]]


def test_skops_raw_exemption_covers_only_what_skops_reads_raw(tmp_path: Path) -> None:
    # a .bin member no BytesNode names keeps today's judgement; the named ones are exempt
    other = scan_file(with_members(tmp_path, "extra.skops", {"extra.bin": b"\x00\x01\xfe\xff" * 8}), with_hash=False)
    assert other.verdict == "error"
    assert "file.format-mismatch" in about(other, "extra.bin") and "file.unknown" in about(other, "extra.bin")
    for m in bytes_members():
        assert "file.format-mismatch" not in about(other, m) and "file.unknown" not in about(other, m)
    # the same archive as a Keras file too (config.json + metadata.json): another loader, the polyglot
    # is judged as before and its members keep their name claims
    keras = scan_file(with_members(tmp_path, "poly.skops", {"config.json": b"{}", "metadata.json": b"{}"}),
                      with_hash=False)
    assert keras.verdict != "safe" and "zip.polyglot" in ids(keras)
    assert all("file.format-mismatch" in about(keras, m) for m in bytes_members())


def test_onnx_external_data_with_a_weight_name(tmp_path: Path) -> None:
    folder = tmp_path / "onnx_bin_external"
    shutil.copytree(FIX / "onnx_bin_external", folder)
    r = {Path(s.path).name: s for s in mlbom.scan([folder])}
    data = r["weights.bin"]
    assert data.verdict == "safe" and data.format == "onnx-external-data", data.findings
    assert ids(data) == ["onnx.external-data"] and "says PyTorch weights" in data.findings[0].message
    assert r["model.onnx"].verdict == "safe"
    # scanned alone nothing vouches for the bytes: the name's claim and the unknown content stay
    alone = scan_file(folder / "weights.bin", with_hash=False)
    assert alone.verdict == "error" and {"file.unknown", "file.format-mismatch"} <= set(ids(alone))


def test_joblib_plain_reading_top_level_import_stays_suspicious() -> None:
    for name, module in (("model_with_meta.joblib", "LogisticRegression"), ("labels_dict.joblib", "NumpyArrayWrapper")):
        r = scan_file(FIX / name, with_hash=False)
        assert r.verdict == "suspicious", (name, r.findings)
        msgs = [f.message for f in r.findings if f.id == "pickle.unlisted-callable"]
        assert len(msgs) == 1 and msgs[0].startswith(f"{name}: read by pickle.load (not joblib.load)")
        assert f"STACK_GLOBAL {module!r} 'dtype'" in msgs[0]
        assert f"a {module}.py or {module}/__init__.py the repository ships is found and run" in msgs[0]
