from __future__ import annotations

import json
import os
import struct
import zipfile
from pathlib import Path

import pytest

import mlbom
from mlbom.cli import main
from mlbom.scanner import scan_file
from tests.conftest import FIXTURES

VERDICT = {"safe": "safe", "dangerous": "unsafe", "unscannable": "error"}


def _expected(base: Path) -> list[tuple[str, str]]:
    rows = (base / "EXPECTED.tsv").read_text().splitlines()[1:]
    return [(r.split("\t")[0], VERDICT[r.split("\t")[1]]) for r in rows]


@pytest.mark.parametrize(("name", "verdict"), _expected(FIXTURES / "pickles"))
def test_fixture_samples_get_expected_verdict(name: str, verdict: str) -> None:
    assert scan_file(FIXTURES / "pickles" / name).verdict == verdict


# Where the corpus's EXPECTED.tsv predates issue #12's rules (unknown is never safe; a weight
# extension over other content is an error), the rule wins:
_CORPUS_OVERRIDES = {
    "picklescan/data/not_a_pickle.bin": "error",  # binary content in no known format: could not be judged
    "picklescan/data/bad_pytorch.pt": "error",  # a PNG image named .pt: content is not what the name says
}


def test_whole_pickle_corpus_gets_expected_verdicts(corpus: Path) -> None:
    base = corpus / "pickles"
    expected = [(f, _CORPUS_OVERRIDES.get(f, v)) for f, v in _expected(base)]
    wrong = [(f, v, scan_file(base / f).verdict) for f, v in expected if scan_file(base / f).verdict != v]
    assert wrong == []


def test_findings_name_the_import() -> None:
    r = scan_file(FIXTURES / "pickles" / "malicious11.pkl")
    assert any("system" in f.message and f.severity == "critical" for f in r.findings)
    r = scan_file(FIXTURES / "pickles" / "keyerror-exploit.pkl")
    assert any(f.id == "pickle.dangerous-callable" for f in r.findings)


def _write(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


def test_canary_pickle_is_never_executed(tmp_path: Path) -> None:
    canary = tmp_path / "PWNED"
    payload = f"cos\nsystem\n(S'touch {canary}'\ntR.".encode()
    model = tmp_path / "model"
    model.mkdir()
    _write(model / "pytorch_model.bin", payload)
    with zipfile.ZipFile(model / "checkpoint.pt", "w") as zf:
        zf.writestr("checkpoint/data.pkl", payload)
        zf.writestr("checkpoint/version", "3\n")
    results = mlbom.scan([model])
    assert {r.verdict for r in results} == {"unsafe"}
    bom = mlbom.generate(models=model, reproducible=True)
    assert mlbom.validate(mlbom.dumps(bom)).ok and mlbom.validate(mlbom.dumps(bom, "xml")).ok
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert ("mlbom:safety:verdict", "unsafe") in [(p.name, p.value) for p in m.properties]
    assert not canary.exists()


def _safetensors(header: dict[str, object], data: bytes = b"") -> bytes:
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def test_safetensors_header_facts(tmp_path: Path) -> None:
    f = _write(tmp_path / "m.bin", _safetensors(
        {"__metadata__": {"format": "pt"}, "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
         "b": {"dtype": "BF16", "shape": [4], "data_offsets": [24, 32]}}, b"\0" * 32))
    r = scan_file(f)
    assert (r.format, r.verdict) == ("safetensors", "safe")  # detected by content, not the .bin name
    assert r.facts["parameters"] == "10" and r.facts["tensors"] == "2" and r.facts["dtypes"] == "BF16,F32"
    assert r.facts["metadata.format"] == "pt"


@pytest.mark.parametrize(("data", "message"), [
    (_safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})[:-5], "runs past the end"),
    (struct.pack("<Q", 100 << 30) + b"{" + b" " * 100, "exceeds safetensors' limit"),
    (_safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 800]}}, b"\0" * 8), "TensorInvalidInfo"),
    (_safetensors({"a": {"dtype": "Q9", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8), "unknown dtype"),
])
def test_bad_safetensors_are_errors_not_safe(tmp_path: Path, data: bytes, message: str) -> None:
    r = scan_file(_write(tmp_path / "model.safetensors", data))
    assert r.verdict == "error" and r.format == "safetensors"
    assert any(message in f.message for f in r.findings), r.findings


def test_zip_bomb_and_missing_data_pkl(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/version", "3\n")  # torch refuses an archive without it (pytorch.invalid)
        with zf.open("archive/data.pkl", "w", force_zip64=True) as w:
            chunk = b"\0" * (1 << 20)
            for _ in range(200):
                w.write(chunk)
    r = scan_file(bomb)
    assert r.verdict == "suspicious" and any(f.id == "compressed.bomb" and "ratio" in f.message for f in r.findings)
    nopkl = tmp_path / "nopkl.pt"
    with zipfile.ZipFile(nopkl, "w") as zf:
        zf.writestr("archive/version", "3\n")
        zf.writestr("archive/data/0", b"\0" * 16)
    r = scan_file(nopkl)
    assert r.format == "zip" and r.verdict == "error"
    assert any(f.id == "pytorch.data-pkl-missing" for f in r.findings)
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as zf:
        zf.write(nopkl, "inner/model.pt")
    r = scan_file(nested)  # nested archives are scanned, not merely flagged: the inner problem surfaces
    assert r.verdict == "error" and any(f.id == "pytorch.data-pkl-missing" and "inner/model.pt" in f.message
                                        for f in r.findings)


def test_truncated_pickle_and_empty_file(tmp_path: Path) -> None:
    full = (FIXTURES / "pickles" / "pytorch_model.bin").read_bytes()
    r = scan_file(_write(tmp_path / "t.bin", full[:40]))
    assert r.verdict == "error"
    r = scan_file(_write(tmp_path / "empty.bin", b""))  # an empty file is no PyTorch checkpoint
    assert r.verdict == "error" and any(f.id == "file.format-mismatch" for f in r.findings)
    r = scan_file(_write(tmp_path / "empty.txt", b""))
    assert r.verdict == "safe" and any(f.id == "file.empty" for f in r.findings) and r.format == "text"


def test_gguf_chat_template_injection(tmp_path: Path) -> None:
    def s(x: str) -> bytes:
        b = x.encode()
        return struct.pack("<Q", len(b)) + b
    tmpl = "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('id').read() }}"
    kv = [("general.architecture", s("llama")), ("general.file_type", struct.pack("<I", 15)),
          ("tokenizer.chat_template", s(tmpl))]
    body = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kv))
    for k, v in kv:
        body += s(k) + struct.pack("<I", 8 if not k.endswith("file_type") else 4) + v
    r = scan_file(_write(tmp_path / "m.gguf", body))
    assert r.format == "gguf" and r.facts["general.architecture"] == "llama" and r.facts["quantization"] == "Q4_K_M"
    assert r.verdict in ("suspicious", "unsafe") and any(f.id.startswith("template.") for f in r.findings)
    assert len(r.facts["chat-template.sha256"]) == 64
    r = scan_file(_write(tmp_path / "t.gguf", body[:30]))
    assert r.verdict == "error"


def test_onnx_external_data_escape(tmp_path: Path) -> None:
    def field(num: int, payload: bytes) -> bytes:
        return bytes([(num << 3) | 2, len(payload)]) + payload
    entry = field(1, b"location") + field(2, b"../../etc/passwd")
    tensor = field(13, entry)
    graph = field(5, tensor)
    model = b"\x08\x08" + field(2, b"pytorch") + field(7, graph) + field(8, b"\x10\x11")
    r = scan_file(_write(tmp_path / "m.onnx", model))
    assert r.format == "onnx" and r.facts["onnx.producer"] == "pytorch"
    assert r.verdict == "unsafe" and any(f.id == "onnx.external-data-escape" for f in r.findings)


def test_keras_lambda_and_lfs_pointer(tmp_path: Path) -> None:
    k = tmp_path / "m.keras"
    with zipfile.ZipFile(k, "w") as zf:
        zf.writestr("config.json", json.dumps({"config": {"layers": [{"class_name": "Lambda", "config": {}}]}}))
        zf.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")
    r = scan_file(k)
    assert (r.format, r.verdict) == ("keras", "unsafe")
    lfs = _write(tmp_path / "w.safetensors", b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"a" * 64 +
                 b"\nsize 123\n")
    r = scan_file(lfs)
    assert (r.format, r.verdict) == ("git-lfs-pointer", "error")


def test_cli_scan_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(FIXTURES / "pickles" / "pytorch_model.bin")]) == 0
    assert "SAFE" in capsys.readouterr().out
    assert main(["scan", "--format", "json", str(FIXTURES / "pickles" / "malicious2_v4.pkl")]) == 1
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert doc[0]["verdict"] == "unsafe" and set(doc[0]) == {"path", "format", "verdict", "sha256", "findings"}
    assert main(["scan", str(FIXTURES / "pickles" / "password_protected.zip")]) == 2
    assert main(["scan", str(tmp_path / "absent")]) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_is_error(tmp_path: Path) -> None:
    f = _write(tmp_path / "x.bin", b"\x80\x04N.")
    f.chmod(0)
    assert scan_file(f).verdict == "error"


@pytest.mark.parametrize(("name", "verdict"), [
    ("model-like.joblib", "safe"), ("proto2.joblib", "safe"),
    ("evil-after-array.joblib", "unsafe"), ("evil-in-object-array.joblib", "unsafe"), ("truncated.joblib", "error"),
    ("compressed-zlib.joblib", "safe"), ("evil-zlib.joblib", "unsafe"), ("evil-gzip.joblib", "unsafe"),
    ("evil-bz2.joblib", "unsafe"), ("evil-xz.joblib", "unsafe"),
])
def test_joblib_inline_arrays_are_stepped_over(name: str, verdict: str) -> None:
    """Real joblib files: the array bytes inside the pickle are skipped as joblib reads them, and
    what follows them, or hides in an object array, is still scanned."""
    from tests.conftest import FIXTURES

    (result,) = mlbom.scan(FIXTURES / "joblib" / name)
    assert result.verdict == verdict, result.findings
    if verdict == "unsafe":
        assert any("posix" in f.message and "system" in f.message for f in result.findings)
    if verdict == "error":
        assert any("runs past the end" in f.message for f in result.findings)


def test_compressed_containers_never_pass_unscanned(tmp_path: Path) -> None:
    import gzip
    import pickle
    import zlib

    from tests.conftest import FIXTURES

    evil = (FIXTURES / "joblib" / "evil-after-array.joblib").read_bytes()
    # joblib < 0.10: "ZF" + hex length padded to 19 characters + zlib
    zf = tmp_path / "old.pkl"
    zf.write_bytes(b"ZF" + hex(len(evil)).encode().ljust(19) + zlib.compress(evil))
    # a gzip whose content is not a pickle, a truncated one, a pickle-named file mlbom cannot read
    (tmp_path / "notes.txt.gz").write_bytes(gzip.compress(b"just text\n" * 100))
    (tmp_path / "cut.joblib").write_bytes((FIXTURES / "joblib" / "evil-gzip.joblib").read_bytes()[:40])
    (tmp_path / "model.pkl").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "formula.txt").write_text("x^2 + y^2\n")  # starts like a zlib header, is text
    (tmp_path / "plain.pkl.gz").write_bytes(gzip.compress(pickle.dumps({"a": [1, 2.0]}, protocol=4)))
    results = {Path(r.path).name: r for r in mlbom.scan(tmp_path)}
    assert results["old.pkl"].verdict == "unsafe" and results["old.pkl"].format == "pickle+joblib-zfile"
    # judged by what it decompresses to (issue #12): gzip'd text is as safe as the text
    assert (results["notes.txt.gz"].verdict, results["notes.txt.gz"].format) == ("safe", "text+gzip")
    assert results["cut.joblib"].verdict == "error"
    assert results["model.pkl"].verdict == "error"
    assert any(f.id == "file.format-mismatch" and "unknown" in f.message for f in results["model.pkl"].findings)
    assert (results["formula.txt"].verdict, results["formula.txt"].format) == ("safe", "text")
    assert (results["plain.pkl.gz"].verdict, results["plain.pkl.gz"].format) == ("safe", "pickle+gzip")
