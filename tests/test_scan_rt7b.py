"""Red team 7b: code that transformers' trust_remote_code takes from outside the scanned folder
(``auto_map``/``custom_pipelines``), shard names outside it, a trailing zip mlbom cannot read,
the zip64 locator that torch's reader follows (the attack files are rows of
``hostile/scanner/EXPECTED.tsv``)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

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
    assert scan_file(cfg).verdict == "safe"
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
