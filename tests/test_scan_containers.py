"""Containers read as the loaders read them (issue #12 items 2, 3, 5; issue #19's
decompression, zip and weight-header classes): every hostile reproducer gets its verdict, real
files written by the libraries scan safe, and nothing aborts a run or grows without bound."""

from __future__ import annotations

import gzip
import importlib.util
import io
import os
import pickle
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest

import mlbom
from mlbom.cli import main
from mlbom.formats.compression import Limits
from mlbom.scanner import scan_bytes, scan_file
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile" / "scanner"
BENIGN = FIXTURES / "scan" / "benign"


def _rows() -> list[tuple[str, str, str]]:
    lines = (HOSTILE / "EXPECTED.tsv").read_text().splitlines()[1:]
    return [(r.split("\t")[0], r.split("\t")[1], r.split("\t")[2]) for r in lines]


@pytest.mark.parametrize(("name", "verdict", "finding"), _rows())
def test_hostile_reproducer(name: str, verdict: str, finding: str) -> None:
    start = time.monotonic()
    r = scan_file(HOSTILE / name)
    assert r.verdict == verdict, r.findings
    if finding:
        assert any(f.id == finding for f in r.findings), r.findings
    assert not any(f.id == "scan.internal-error" for f in r.findings), r.findings
    assert time.monotonic() - start < 10


def test_hostile_batch_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """All reproducers in one run: every file gets a verdict, the run ends with exit 1."""
    rc = main(["scan", "--format", "json", str(HOSTILE)])
    out = capsys.readouterr()
    import json

    results = json.loads(out.out)
    files = [p for p in HOSTILE.iterdir() if p.is_file()]
    assert len(results) == len(files)
    assert rc == 1 and "internal error" not in out.err
    assert all(r["verdict"] in ("safe", "unsafe", "suspicious", "error") for r in results)


def test_benign_files_written_by_the_libraries() -> None:
    """torch (state_dict, optimizer, full Sequential, legacy, TorchScript), scikit-learn with every
    joblib compressor, pandas, numpy (structured, nested, object), safetensors, gzip'd JSON/ARFF."""
    results = {Path(r.path).name: r for r in mlbom.scan(BENIGN)}
    assert len(results) >= 25
    for name, r in results.items():
        if name == "torchscript.pt":
            # a TorchScript archive is code: torch.jit.load compiles it, calling the model runs it
            assert (r.format, r.verdict) == ("torchscript", "suspicious")
            assert any(f.id == "torchscript.code" for f in r.findings)
        elif name.endswith(".py"):
            continue
        elif name.endswith("_lz4.joblib") and importlib.util.find_spec("lz4") is None:
            # without the optional lz4 package the content cannot be read: never safe, never a crash
            assert r.verdict == "error" and "lz4" in r.findings[0].message
        else:
            assert r.verdict == "safe", (name, r.findings)
    assert results["torch_legacy.pt"].format == "pytorch-legacy"
    assert results["sk_forest_lzma.joblib"].format == "pickle+lzma"
    assert results["sk_forest_xz.joblib"].format == "pickle+xz"
    assert results["sk_forest_lz4.joblib"].format == "pickle+lz4"
    assert results["config.json.gz"].format == "json+gzip"
    assert results["np_archive.npz"].format == "numpy-npz"
    assert results["pytorch_model.bin"].format == "pytorch-zip"


def _torch_like(data_pkl: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        zf.writestr("archive/version", "3\n")
        zf.writestr("archive/data/0", os.urandom(64))
    return buf.getvalue()


def test_checkpoint_with_a_2_mib_string_is_safe() -> None:
    r = scan_bytes(_torch_like(pickle.dumps({"note": "a" * (2 << 20), "b": b"\0" * (3 << 20)}, protocol=2)), "m.pt")
    assert (r.format, r.verdict) == ("pytorch-zip", "safe"), r.findings


@pytest.mark.torch
def test_real_torch_checkpoint_with_a_2_mib_string(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    torch.save({"note": "a" * (2 << 20), "w": torch.ones(3)}, tmp_path / "ckpt.pt")
    r = scan_file(tmp_path / "ckpt.pt")
    assert (r.format, r.verdict) == ("pytorch-zip", "safe"), r.findings
    assert r.facts.get("torch.weights-only") in (None, "true")


def test_zlib_bomb_stops_early_in_bounded_memory(tmp_path: Path) -> None:
    """A zlib bomb (1000:1) is stopped at the ratio cap, in a subprocess whose peak RSS is
    measured: it must not grow with the bomb's declared output."""
    comp = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    data = b"".join(comp.compress(chunk) for _ in range(400)) + comp.flush()  # 400 MiB -> ~400 KiB
    (tmp_path / "bomb.joblib").write_bytes(data)
    # VmHWM (peak RSS of this process image), not ru_maxrss: Linux keeps ru_maxrss across exec,
    # so a child of a large pytest process would report the parent's size
    code = ("import re, sys; from pathlib import Path; from mlbom.scanner import scan_file; "
            f"r = scan_file(Path({str(tmp_path / 'bomb.joblib')!r})); "
            "print(r.verdict, ','.join(f.id for f in r.findings)); "
            "print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    verdict_line, rss_mb = proc.stdout.split("\n")[:2]
    assert verdict_line.startswith("suspicious") and "compressed.bomb" in verdict_line
    assert int(rss_mb) < 400, rss_mb


def test_limits_are_configurable() -> None:
    # gzip'd JSON text (2 MiB: under the parse budget of decompressed text, which charges text the
    # YAML walks take, such as 2 MiB of one letter, four times as much: red team 111pa-9)
    data = gzip.compress(b"[" + b" " * ((2 << 20) - 2) + b"]", mtime=0)
    assert scan_bytes(data, "x.gz").verdict == "safe"
    tight = Limits(max_ratio=10, ratio_floor=1 << 20)
    r = scan_bytes(data, "x.gz", limits=tight)
    assert r.verdict == "suspicious" and any("ratio" in f.message for f in r.findings)
    r = scan_bytes(data, "x.gz", limits=Limits(max_output=1 << 20))
    assert r.verdict == "suspicious" and any("cap" in f.message for f in r.findings)


def test_lz4_without_the_package_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (BENIGN / "sk_forest_lz4.joblib").read_bytes()
    monkeypatch.setitem(sys.modules, "lz4", None)
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    r = scan_bytes(data, "m.joblib")
    assert r.verdict == "error" and any("lz4" in f.message for f in r.findings)


def test_ls_binary_is_an_error() -> None:
    r = scan_file(Path("/bin/ls"))
    assert r.verdict == "error" and r.format == "unknown"
    assert any(f.id == "file.native-code" for f in r.findings)  # recognised as code, never judged as data


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_never_opened_and_links_never_leave(tmp_path: Path) -> None:
    d = tmp_path / "model"
    d.mkdir()
    os.mkfifo(d / "pipe.bin")  # opening it for reading would block forever
    (d / "pipe-link.bin").symlink_to("pipe.bin")  # and so would hashing it through a link
    (tmp_path / "outside.pkl").write_bytes(b"cos\nsystem\n(S'id'\ntR.")
    (d / "escape.pkl").symlink_to(tmp_path / "outside.pkl")
    (d / "inner.pkl").symlink_to("real.pkl")
    (d / "real.pkl").write_bytes(pickle.dumps([1, 2], protocol=2))
    results = {Path(r.path).name: r for r in mlbom.scan(d)}
    assert results["pipe.bin"].verdict == "error" and results["pipe-link.bin"].verdict == "error"
    assert results["escape.pkl"].verdict == "error"
    assert any(f.id == "files.symlink-escape" for f in results["escape.pkl"].findings)
    assert results["inner.pkl"].verdict == "safe" and results["real.pkl"].verdict == "safe"
    r = scan_file(d / "pipe.bin")
    assert r.verdict == "error" and any(f.id == "file.not-regular" for f in r.findings)
    # generate walks with the same rule
    bom = mlbom.generate(models=d, reproducible=True)
    ids = {f.id for f in bom.findings}
    assert {"files.symlink-escape", "files.not-regular"} <= ids


def test_an_internal_error_is_that_files_error_and_the_batch_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom.formats import weights

    def boom(fh: object, size: int) -> object:
        raise KeyError("parser bug")

    monkeypatch.setattr(weights, "parse_npy", boom)
    (tmp_path / "a.npy").write_bytes((BENIGN / "np_float.npy").read_bytes())
    (tmp_path / "b.safetensors").write_bytes((BENIGN / "model.safetensors").read_bytes())
    results = {Path(r.path).name: r for r in mlbom.scan(tmp_path)}
    assert results["a.npy"].verdict == "error"
    assert any(f.id == "scan.internal-error" and "KeyError" in f.message for f in results["a.npy"].findings)
    assert results["b.safetensors"].verdict == "safe"
    assert main(["scan", str(tmp_path)]) == 2
    with pytest.raises(KeyError):
        main(["--debug", "scan", str(tmp_path)])


def test_zip_reader_agrees_with_zipfile_on_real_archives() -> None:
    """Our central-directory reading gives zipfile's names, sizes and offsets."""
    from mlbom.formats.zipread import find_end_record, read_archive

    for p in sorted(BENIGN.iterdir()):
        data = p.read_bytes()
        if not data.startswith(b"PK"):
            continue
        fh = io.BytesIO(data)
        arc = read_archive(fh, len(data), find_end_record(fh, len(data)) or 0)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            ours = [(e.name, e.usize, e.csize, e.header_offset) for e in arc.entries]
            theirs = [(i.filename, i.file_size, i.compress_size, i.header_offset) for i in zf.infolist()]
        assert ours == theirs, p.name
        assert arc.notes == [], (p.name, arc.notes)


def _pb(num: int, payload: bytes) -> bytes:
    return bytes([(num << 3) | 2, len(payload)]) + payload


def test_sentencepiece_tokenizer_model_is_recognised() -> None:
    """``tokenizer.model`` (sentencepiece ModelProto) is tokenizer data, recognised positively;
    protobuf-shaped bytes with other fields, or broken wire format, stay unknown."""
    import struct

    piece = _pb(1, b"<unk>") + b"\x15" + struct.pack("<f", 0.0) + b"\x18\x02"
    model = _pb(1, piece) + _pb(1, _pb(1, "▁the".encode()) + b"\x15" + struct.pack("<f", -1.5)) + _pb(2, b"\x08\x01")
    r = scan_bytes(model, "tokenizer.model")
    assert (r.format, r.verdict) == ("sentencepiece", "safe"), r.findings
    assert scan_bytes(model[:-1], "tokenizer.model").verdict == "error"
    assert scan_bytes(_pb(9, piece), "tokenizer.model").verdict == "error"


def _globals_then(n: int, final: bytes = b"builtins\ndict\n") -> bytes:
    """red team 7a: n GLOBALs torch's weights_only allows, then one it refuses (builtins.dict)."""
    return b"\x80\x02](" + b"ccollections\nOrderedDict\n" * n + b"ec" + final + b")R\x86."


@pytest.mark.parametrize(("n", "claim", "finding"), [
    (10_000, None, "torch.weights-only-unknown"),  # past the recorded events: never "true"
    (9_990, "false", "torch.weights-only-refused"),
])
def test_weights_only_claim_past_the_event_cap(n: int, claim: str | None, finding: str) -> None:
    r = scan_bytes(_torch_like(_globals_then(n)), "m.pt")
    assert r.format == "pytorch-zip", r.findings
    assert r.facts.get("torch.weights-only") == claim
    assert any(f.id == finding for f in r.findings), r.findings
