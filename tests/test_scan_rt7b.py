"""Red team 7b: code that transformers' trust_remote_code takes from outside the scanned folder
(``auto_map``/``custom_pipelines``), shard names outside it, a trailing zip mlbom cannot read,
the zip64 locator that torch's reader follows (the attack files are rows of
``hostile/scanner/EXPECTED.tsv``)."""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import pytest

from mlbom.scanner import scan, scan_file


def _ids(path: Path) -> set[str]:
    return {f.id for f in scan_file(path).findings}


def _config(folder: Path, doc: dict[str, object], name: str = "config.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(json.dumps(doc))
    return p


def test_auto_map_naming_another_repository_is_suspicious(tmp_path: Path) -> None:
    # transformers' get_class_from_dynamic_module splits "repo--module.Class" and imports
    # module.py from that repo (a Hub id or a local folder), which this scan never saw
    for ref in ("attacker/other-repo--configuration_x.XConfig", f"{tmp_path}/m/.git--configuration_x.XConfig"):
        cfg = _config(tmp_path / "m", {"model_type": "x", "auto_map": {"AutoConfig": ref}})
        r = scan_file(cfg)
        assert r.verdict == "suspicious" and "code.remote" in {f.id for f in r.findings}, ref


def test_auto_map_module_missing_from_the_folder_is_suspicious(tmp_path: Path) -> None:
    cfg = _config(tmp_path, {"auto_map": {"AutoTokenizer": ["tok_x.XTokenizer", None]}}, "tokenizer_config.json")
    assert scan_file(cfg).verdict == "suspicious"
    pipes = _config(tmp_path / "p", {"custom_pipelines": {"pair": {"impl": "pipe_x.PairPipeline", "pt": []}}})
    assert "code.remote" in _ids(pipes)


def test_auto_map_module_beside_the_config_is_judged_there(tmp_path: Path) -> None:
    cfg = _config(tmp_path, {"auto_map": {"AutoConfig": "configuration_x.XConfig", "AutoModel": "AutoModel"}})
    (tmp_path / "configuration_x.py").write_text("X = 1\n")
    # judged by a scan of the folder, which scans the module; a scan of the config alone never
    # reads the module beside it, so there it is code nobody judged (red team 12b-6)
    assert scan_file(cfg).verdict == "suspicious"
    verdicts = {Path(r.path).name: r.verdict for r in scan(tmp_path)}
    assert verdicts == {"config.json": "safe", "configuration_x.py": "suspicious"}


def test_weight_map_names_outside_the_folder_are_findings(tmp_path: Path) -> None:
    for shard in ("/etc/x.safetensors", "../x.safetensors", ".git/objects/x.safetensors"):
        idx = _config(tmp_path, {"metadata": {}, "weight_map": {"a": "model-1.safetensors", "b": shard}},
                      "model.safetensors.index.json")
        r = scan_file(idx)
        assert r.verdict == "suspicious" and "sharded.path-outside" in {f.id for f in r.findings}, shard
    idx = _config(tmp_path, {"weight_map": {"a": "model-00001-of-00002.safetensors"}}, "model.safetensors.index.json")
    assert scan_file(idx).verdict == "safe"


def _zip_bytes() -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("config.json", "{}")
    return buf.getvalue()


def test_trailing_zip_mlbom_cannot_read_is_never_silent(tmp_path: Path) -> None:
    # a GGUF-free case: safetensors header + a zip whose directory offset is past the file
    # (zipfile.is_zipfile still accepts the end record)
    raw = bytearray(_zip_bytes())
    eocd = raw.rindex(b"PK\x05\x06")
    raw[eocd + 16:eocd + 20] = b"\xff\xff\xff\x7f"
    header = json.dumps({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    body = len(header).to_bytes(8, "little") + header + b"\x00" * 4
    p = tmp_path / "w.safetensors"
    p.write_bytes(body + bytes(raw))
    assert zipfile.is_zipfile(p)
    r = scan_file(p)
    assert r.verdict != "safe" and "zip.polyglot" in {f.id for f in r.findings}


def test_zip_multi_disk_field_is_read_as_zipfile_reads_it(tmp_path: Path) -> None:
    raw = bytearray(_zip_bytes())
    eocd = raw.rindex(b"PK\x05\x06")
    raw[eocd + 4:eocd + 6] = b"\x01\x00"
    p = tmp_path / "a.zip"
    p.write_bytes(bytes(raw))
    with zipfile.ZipFile(p) as z:  # zipfile ignores the disk number
        assert z.namelist() == ["config.json"]
    r = scan_file(p)
    assert r.verdict == "suspicious" and "zip.multi-disk" in {f.id for f in r.findings}


def test_zip64_archive_written_by_zipfile_has_one_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the locator of a real zip64 archive points at the record 76 bytes before the end record:
    # torch's reader and zipfile read the same directory, nothing to report
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)
    p = tmp_path / "a.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("a.txt", "a")
        z.writestr("b.txt", "b")
    assert b"PK\x06\x07" in p.read_bytes()
    r = scan_file(p)
    assert r.verdict == "safe", r.findings


def _gzip_member(payload: bytes, *, flags: int, extra: bytes = b"", fname: bytes = b"", comment: bytes = b"",
                 hcrc_ok: bool = True) -> bytes:
    head = b"\x1f\x8b\x08" + bytes([flags]) + b"\x00\x00\x00\x00\x00\xff"
    if flags & 4:
        head += len(extra).to_bytes(2, "little") + extra
    if flags & 8:
        head += fname + b"\x00"
    if flags & 16:
        head += comment + b"\x00"
    if flags & 2:
        crc = zlib.crc32(head) & 0xFFFF
        head += (crc if hcrc_ok else crc ^ 1).to_bytes(2, "little")
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = c.compress(payload) + c.flush()
    return head + body + zlib.crc32(payload).to_bytes(4, "little") + len(payload).to_bytes(4, "little")


def test_gzip_headers_are_read_as_gzip_py_reads_them(tmp_path: Path) -> None:
    import gzip
    import pickle

    data = pickle.dumps({"a": [1, 2, 3]}, protocol=4)
    good = _gzip_member(data, flags=2 | 4 | 8 | 16, extra=b"xy\x02\x00ab", fname=b"w.pkl", comment=b"c")
    p = tmp_path / "w.pkl.gz"  # two members (the pickle split between them) and zero padding
    p.write_bytes(_gzip_member(data[:9], flags=8, fname=b"w") + _gzip_member(data[9:], flags=2) + b"\x00" * 5)
    assert gzip.decompress(p.read_bytes()) == data
    r = scan_file(p)
    assert r.verdict == "safe" and r.format == "pickle+gzip", r.findings
    # reserved flag bits: gzip.py ignores them (zlib's gzip mode refuses the member)
    p.write_bytes(good)
    assert scan_file(p).verdict == "safe"
    p.write_bytes(_gzip_member(data, flags=0xE0))
    assert gzip.decompress(p.read_bytes()) == data
    assert scan_file(p).verdict == "safe"
    p.write_bytes(_gzip_member(data, flags=2, hcrc_ok=False))
    r = scan_file(p)
    assert r.verdict == "suspicious" and {f.id for f in r.findings} == {"gzip.crc-mismatch"}
    p.write_bytes(good[:-3])  # trailer cut: gzip.py raises EOFError
    assert scan_file(p).verdict == "error"


def test_git_folder_is_named_and_code_referenced_in_it_is_not_safe(tmp_path: Path) -> None:
    from mlbom.cli import main

    m = tmp_path / "m"
    (m / ".git").mkdir(parents=True)
    (m / ".git" / "configuration_x.py").write_text("import os\n")
    _config(m, {"model_type": "x", "auto_map": {"AutoConfig": f"{m}/.git--configuration_x.XConfig"}})
    assert {Path(r.path).name: r.verdict for r in scan(m)} == {"config.json": "suspicious"}
    out = tmp_path / "bom.json"
    assert main(["generate", "--no-cache", "--model", str(m), "-o", str(out)]) == 0
    d = json.loads(out.read_text())
    props = {c["name"]: {p["name"]: p["value"] for p in c.get("properties", [])} for c in d["components"]}
    assert props["m"]["mlbom:safety:verdict"] == "suspicious"
    assert "info files.skipped-folder: .git:" in out.read_text()
