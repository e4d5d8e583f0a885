"""Red team 16c-1, 16c-5, 16c-8: a file that is a pickle from its first byte AND starts like
another format (a zlib header whose stored block runs past the end, the cab magic ``MSCF``). The
other format fails or is unsupported (``error``); ``pickle.load``/``joblib.load``/``torch.load``
read the same bytes as a protocol-0 pickle and run it. Every attack file is built here; a
throw-away subprocess proves what the real loader does (never mlbom's own process)."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes

# a protocol-0 call of builtins.print: harmless, and what the loader prints proves it ran
_CALL = b"cbuiltins\nprint\n(S'RAN-16C'\ntR."


def _zlib_header_pickle() -> bytes:
    """16c-1: ``(\\x91`` is a zlib header (0x2891 % 31 == 0) and MARK, FROZENSET; ``0`` a non-final
    stored deflate block and POP; LEN/NLEN ``4E 8A B1 75`` NONE + LONG1 of 0xB1 bytes; then the call."""
    data = b"(\x91" + b"0" + bytes([0x4E, 0x8A, 0xB1, 0x75]) + b"\x00" * 0xB0 + b"00" + _CALL
    d = zlib.decompressobj()
    d.decompress(data)
    assert not d.eof  # a valid zlib start whose stored block is longer than the file: "truncated"
    return data


def _cab_magic_pickle() -> bytes:
    """16c-5: ``MSCF`` is BININT2 "SC" then FLOAT reading the line ``1.0``."""
    return b"MSCF1.0\n0" + b"0" + _CALL


_CASES = {"zlib-header": (_zlib_header_pickle, "zlib"), "cab-magic": (_cab_magic_pickle, "cab")}


def _loader_runs(path: Path) -> bool:
    proc = subprocess.run([sys.executable, "-c", "import pickle, sys\npickle.load(open(sys.argv[1], 'rb'))", str(path)],
                          capture_output=True, text=True, timeout=120)
    return "RAN-16C" in proc.stdout


@pytest.mark.parametrize("case", sorted(_CASES))
def test_a_pickle_that_starts_like_a_failing_format_is_judged_as_the_pickle(case: str, tmp_path: Path) -> None:
    build, other = _CASES[case]
    data = build()
    path = tmp_path / "model.pkl"
    path.write_bytes(data)
    assert _loader_runs(path)  # pickle.load reads it from offset 0 and calls print
    for name in ("model.pkl", "model.bin", "weights"):
        r = scan_bytes(data, name)
        ids = {f.id for f in r.findings}
        assert r.format == other  # still reported as the format it starts like, and that failure kept
        assert ids & {"format.invalid", "archive.unsupported"}
        assert r.verdict == "unsafe", (name, r.findings)
        assert {"pickle.polyglot", "pickle.dangerous-callable"} <= ids


def test_a_dataset_file_detected_as_a_pickle_keeps_a_verdict_the_scanner_reads_otherwise(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """16c-8: ``part-0000.bin`` is picked for the scan as a pickle by its first bytes; the scanner
    reads it as a cab archive. Its verdict stays in the BOM and ``mlbom check`` fails."""
    from mlbom.cli import main
    from mlbom.formats.datafile import detect

    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "README.md").write_text("---\nlicense: mit\n---\n# ds\nLoad: pandas.read_pickle('part-0000.bin')\n")
    (ds / "part-0000.bin").write_bytes(_cab_magic_pickle())
    assert detect(_cab_magic_pickle()) == "pickle"
    assert _loader_runs(ds / "part-0000.bin")
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(tmp_path / "cache"))
    for manifest in (False, True):
        out = tmp_path / f"bom{manifest}.json"
        args = ["-q", "generate", "--no-gpu", "--dataset", str(ds), "-o", str(out)]
        main([*args, "--max-file-components", "0"] if manifest else args)
        doc = json.loads(out.read_text())
        verdicts = {c["name"]: {p["name"]: p["value"] for p in c.get("properties", [])}.get("mlbom:safety:verdict")
                    for c in doc["components"] if c.get("type") == "file"}
        if not manifest:
            assert verdicts.get("part-0000.bin") == "unsafe"
        capsys.readouterr()
        assert main(["check", str(out)]) != 0, manifest


def test_the_drop_rule_keeps_a_guessed_file_the_scanner_did_not_read_as_a_pickle(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The guessed-pickle drop rule trusts only a scan that walked the bytes as a pickle: an
    ``error`` or ``suspicious`` for another reading (here a cab the scanner cannot read) is kept."""
    from mlbom.collectors import datasets
    from mlbom.scanner import FileScan

    path = tmp_path / "part-0000.bin"
    path.write_bytes(_cab_magic_pickle())

    def fake(fmt: str, verdict: str) -> FileScan:
        return FileScan(path="part-0000.bin", format=fmt, verdict=verdict, sha256="0" * 64)  # type: ignore[arg-type]

    for fmt, verdict, kept in (("cab", "error", True), ("zlib", "suspicious", True), ("pickle", "safe", False)):
        result = fake(fmt, verdict)
        monkeypatch.setattr(datasets, "scan_file", lambda *a, _s=result, **k: _s)
        got = datasets._scan_data_file(path, "part-0000.bin", "0" * 64, None, guessed=True)
        assert (got is not None) == kept, (fmt, verdict)


@pytest.mark.parametrize("name", ["run.py", "run.pyc"])
def test_code_by_its_name_that_is_also_a_pickle_is_judged_as_the_pickle_too(name: str) -> None:
    """A ``.py``/``.pyc`` name makes the file code, and ``torch.load``/``pickle.load`` read the same
    bytes as a pickle from offset 0: both readings are judged, the worst wins."""
    for data in (_CALL, _cab_magic_pickle()):
        r = scan_bytes(data, name)
        assert r.verdict == "unsafe", (name, data[:8], r.findings)
        assert "pickle.dangerous-callable" in {f.id for f in r.findings}
