"""Red team 26c: the Hugging Face cache after fix23c (mlbom/fswalk.py, the unlinked-blob rule of
mlbom/scanner.py) and torch's case-folded record names.

26c-1: "name-free" was a format label: a blob starting ``BM`` (a 2-byte BMP signature) was an
``image`` and exempt from the unlinked-blob rule, though Python imports it (``BM = 1`` is an
assignment; CPython 3.11 does not check the UTF-8 of comments; PEP 263). 26c-2: a JSON blob
whose strings hold Jinja is a chat template under ``chat_template.jinja``. 26c-3: a shared-store
file is adopted by Xet hash for ANY repository under ANY name: its content is always judged as
unnamed. 26c-4: ``kernels--`` (any ``<type>s--``) repositories. 26c-5: ``blobs/``/``snapshots/``
that are links. D: torch's reader finds ``archive/DATA.PKL`` as its ``data.pkl``.

The layouts are built as huggingface_hub writes them (file_download.py, utils/_shared_blobs.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import zlib
from pathlib import Path

import pytest

from mlbom import scanner
from mlbom.cli import main
from mlbom.formats import pysource
from tests.helpers import git_sha1, hub_repo, scan_json_by_rel

REV = "0123456789abcdef0123456789abcdef01234567"
CONFIG = json.dumps({"model_type": "bert"}).encode()
# 26c-1's blob: BMP's signature, then Python; the non-UTF-8 bytes only in a comment
BMP_PY = b"BM = 1\n# -*- coding: latin-1 -*-\nimport os\nos.system('echo pwned')\n# \xff\xfe latin-1 bytes\n"
# 26c-2's blob: JSON whose strings are a Jinja template reaching a dunder
JSON_JINJA = json.dumps({"note": "{{ messages }}",
                         "x": "{{ cycler.__init__.__globals__.os.popen('id').read() }}"}).encode()


def _repo(hub: Path, files: dict[str, bytes], *, name: str = "models--acme--tiny") -> Path:
    return hub_repo(hub, files, name=name, rev=REV, etag=lambda _rel, data: git_sha1(data))


def _unlinked(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes) -> tuple[int, tuple[str, list[str]]]:
    """``data`` as a blob of a repository no snapshot links to (under its own git SHA-1: no mismatch)."""
    repo = _repo(tmp_path / "hub", {"config.json": CONFIG})
    etag = git_sha1(data)
    (repo / "blobs" / etag).write_bytes(data)
    rc, scans = scan_json_by_rel(repo, capsys)
    return rc, scans[f"blobs/{etag}"]


# ---- images read whole -------------------------------------------------------------------------

def _png(trailer: bytes = b"") -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\0"))
            + chunk(b"IEND", b"") + trailer)


def _bmp() -> bytes:
    pixels = b"\0\0\xff\0"
    dib = struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + len(pixels), 0, 0, 54) + dib + pixels


def _gif() -> bytes:
    return (b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
            + b",\0\0\0\0\1\0\1\0\0" + b"\x02\x02\x44\x01\0" + b";")


def _jpeg() -> bytes:
    return (b"\xff\xd8" + b"\xff\xfe\x00\x05abc" + b"\xff\xda\x00\x02" + b"\x12\xff\x00\x34\xff\xd0\x56"
            + b"\xff\xd9")


def _gif_python() -> bytes:
    """A GIF read whole (header, screen descriptor, colour table, trailer) that CPython 3.11
    imports: ``GIF89a=1`` an assignment, the non-ASCII packed byte in a comment, the code in the
    colour table, and no NUL byte anywhere."""
    table = b"\nimport os\nos.system('echo pwned')\n#".ljust(3 << 5, b"#")  # a 32-entry colour table
    return b"GIF89a=1#x" + bytes([0x80 | 4]) + b"xx" + table + b";"


@pytest.mark.parametrize("make", [_png, _bmp, _gif, _jpeg])
def test_an_unlinked_whole_image_stays_name_free(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 make: object) -> None:
    rc, (verdict, ids) = _unlinked(tmp_path, capsys, make())  # type: ignore[operator]
    assert verdict == "safe" and "files.hf-unlinked-blob" in ids and rc == 0


def test_26c1_a_bmp_signature_python_blob_is_not_name_free(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    rc, (verdict, ids) = _unlinked(tmp_path, capsys, BMP_PY)
    assert verdict == "suspicious" and "files.hf-unlinked-blob" in ids and rc == 1


def test_26c1_a_whole_gif_that_python_imports_is_not_name_free(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = _gif_python()
    assert b"\0" not in data
    compile(data, "modeling_x.py", "exec")  # CPython takes it as source (compiled, never run)
    rc, (verdict, ids) = _unlinked(tmp_path, capsys, data)
    assert verdict == "suspicious" and "files.hf-unlinked-blob" in ids and rc == 1


def test_image_trailing_bytes_after_a_nul_are_read_by_no_name_selected_reader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """fix26c2: no image structure rule. A PNG holds NULs (its IHDR length), so CPython refuses it
    as source, PyYAML stops at its first byte (0x89 is no UTF-8) and transformers cannot read it as
    chat_template.jinja: bytes after its IEND are read by no reader a name selects."""
    data = _png(b"\nimport os\nos.system('echo pwned')\n")
    with pytest.raises((SyntaxError, ValueError)):
        compile(data, "modeling_x.py", "exec")
    rc, (verdict, ids) = _unlinked(tmp_path, capsys, data)
    assert verdict == "safe" and "files.hf-unlinked-blob" in ids and rc == 0


def test_26c1_python_in_an_image_signature_is_a_text_polyglot_anywhere(tmp_path: Path) -> None:
    """Not only in a cache: bytes that are Python to CPython (comments unchecked, PEP 263) behind
    an image signature are a differential."""
    (tmp_path / "x.bmp").write_bytes(BMP_PY)
    compile(BMP_PY, "x.py", "exec")
    sc = scanner.scan_file(tmp_path / "x.bmp")
    assert sc.verdict == "suspicious" and "text.polyglot" in [f.id for f in sc.findings]
    (tmp_path / "y.bmp").write_bytes(_bmp())
    assert scanner.scan_file(tmp_path / "y.bmp").verdict == "safe"


@pytest.mark.parametrize("data", [
    BMP_PY,
    b"# -*- coding: latin-1 -*-\nx = '\xff'\n",
    b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '\x80'\n",
    b"\xef\xbb\xbfx = 1\n",
    b"x = 1\n# coding: latin-1\n# \xff only in a comment\n",
])
def test_python_readable_follows_cpython(data: bytes) -> None:
    compile(data, "m.py", "exec")  # CPython's own tokenizer takes it (compiled, never run)
    assert pysource.python_readable(data)


@pytest.mark.parametrize("data", [
    b"x = 1\n\0",
    b"x = '\xff'\n",
    b"x = 1\n# coding: latin-1\nx = '\xff'\n",  # a cookie on line 2 counts only after a comment line
    b"# coding: bogus\nx = 1\n",
    b"# coding: utf-16\nx = 1\n",
])
def test_python_unreadable_follows_cpython(data: bytes) -> None:
    with pytest.raises((SyntaxError, ValueError)):
        compile(data, "m.py", "exec")
    assert not pysource.python_readable(data)


# ---- 26c-2: JSON holding Jinja ------------------------------------------------------------------

def test_26c2_an_unlinked_json_jinja_blob_is_judged_as_a_template(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    rc, (verdict, ids) = _unlinked(tmp_path, capsys, JSON_JINJA)
    named = scanner.scan_bytes(JSON_JINJA, "chat_template.jinja")
    assert named.verdict == "unsafe"
    assert verdict == "unsafe" and "template.dunder-access" in ids and rc == 1


def test_26c2_plain_unlinked_json_stays_name_free(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, (verdict, ids) = _unlinked(tmp_path, capsys, json.dumps({"vocab_size": 5, "note": "{ not jinja }"}).encode())
    assert verdict == "safe" and ids == ["files.hf-unlinked-blob"] and rc == 0


def test_26c2_a_safetensors_blob_whose_text_is_a_template_is_judged_as_one(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """All UTF-8 (NUL is UTF-8: zero weights) with Jinja in its metadata: transformers would
    compile the whole file as the chat template under ``chat_template.jinja``."""
    header = json.dumps({"__metadata__": {"t": "{{ cycler.__init__.__globals__.os.popen('id').read() }}"},
                         "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    header = header.ljust(0x140)  # a length whose bytes are UTF-8 too (40 01 00 …)
    data = struct.pack("<Q", len(header)) + header + b"\0\0\0\0"
    data.decode("utf-8")
    assert scanner.scan_bytes(data, "model.safetensors").verdict == "safe"
    rc, (verdict, ids) = _unlinked(tmp_path, capsys, data)
    assert verdict == "unsafe" and "template.dunder-access" in ids and rc == 1


# ---- 26c-3: the shared store ----------------------------------------------------------------------

def _store(hub: Path) -> Path:
    store = hub / "blobs"
    store.mkdir(exist_ok=True)
    (store / ".huggingface-shared-blobs").write_text("1\n")
    return store


def test_26c3_store_content_is_judged_unnamed_whatever_links_to_it(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A planted repository links attacker code in the store as README.md (its blob name the
    content's own hash: no mismatch); the store name is the Xet hash of a victim's
    ``modeling_victim.py``, which a later download adopts with a size check only."""
    hub = tmp_path / "hub"
    code = b"import os\nos.system('echo pwned')\n"
    repo = _repo(hub, {"README.md": code}, name="models--someone--readme")
    xet = hashlib.sha256(b"the victim's xet hash").hexdigest()
    store = _store(hub)
    (store / xet[:2]).mkdir()
    blob = repo / "blobs" / git_sha1(code)
    blob.rename(store / xet[:2] / xet)
    os.symlink(f"../../blobs/{xet[:2]}/{xet}", blob)
    for root, rel in ((hub, f"blobs/{xet[:2]}/{xet}"), (hub, f"{repo.name}/snapshots/{REV}/README.md"),
                      (repo, f"snapshots/{REV}/README.md")):
        rc, scans = scan_json_by_rel(root, capsys)
        assert scans[rel] == ("suspicious", ["files.hf-store-unverified"]) and rc == 1, (root, scans)


def test_26c3_a_misplaced_store_file_is_a_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub = tmp_path / "hub"
    _repo(hub, {"config.json": CONFIG})
    store = _store(hub)
    xet = "cd" * 32
    (store / "ab").mkdir()
    (store / "ab" / xet).write_bytes(b"import os\nos.system('echo pwned')\n")
    (store / "ab" / ("ef" * 32)).write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 10)
    rc, scans = scan_json_by_rel(hub, capsys)
    verdict, ids = scans[f"blobs/ab/{xet}"]
    assert verdict == "suspicious" and "files.hf-store-misplaced" in ids and rc == 1
    # the same rule: name-free content keeps its own verdict, the finding is reported
    verdict, ids = scans[f"blobs/ab/{'ef' * 32}"]
    assert verdict == "safe" and "files.hf-store-misplaced" in ids


def test_26c3_name_free_store_content_stays_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub = tmp_path / "hub"
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    header += b" " * (-len(header) % 8)
    weights = struct.pack("<Q", len(header)) + header + b"\0\0\0\0"
    repo = _repo(hub, {"config.json": CONFIG, "model.safetensors": weights})
    xet = hashlib.sha256(b"xet" + weights).hexdigest()
    store = _store(hub)
    (store / xet[:2]).mkdir()
    blob = repo / "blobs" / git_sha1(weights)
    blob.rename(store / xet[:2] / xet)
    os.symlink(f"../../blobs/{xet[:2]}/{xet}", blob)
    rc, scans = scan_json_by_rel(hub, capsys)
    assert scans[f"blobs/{xet[:2]}/{xet}"] == ("safe", []) and rc == 0, scans


# ---- 26c-4 / 26c-5: cache repositories as huggingface_hub lays them out ------------------------

@pytest.mark.parametrize("name", ["kernels--acme--fastops", "widgets--acme--x", "models--noorg"])
def test_26c4_any_repo_type_word_is_a_cache_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       name: str) -> None:
    repo = _repo(tmp_path / "hub", {"README.md": b"# fastops\n"}, name=name)
    etag = git_sha1(b"# legit kernel\nX = 1\n")
    (repo / "blobs" / etag).write_bytes(b"import os\nos.system('echo pwned')\n")
    rc, scans = scan_json_by_rel(repo, capsys)
    verdict, ids = scans[f"blobs/{etag}"]
    assert verdict == "suspicious" and "files.hf-blob-mismatch" in ids and rc == 1


@pytest.mark.parametrize("linked", ["blobs", "snapshots"])
def test_26c5_linked_blobs_or_snapshots_folders_keep_the_checks(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str],
                                                                linked: str) -> None:
    repo = _repo(tmp_path / "hub", {"config.json": CONFIG})
    (repo / linked).rename(repo / ".moved")
    os.symlink(".moved", repo / linked)
    etag = git_sha1(b"# legit remote code\nX = 1\n")
    (repo / "blobs" / etag).write_bytes(b"import os\nos.system('echo pwned')\n")
    rc, scans = scan_json_by_rel(repo, capsys)
    planted = [v for r, v in scans.items() if r.endswith(etag)]
    assert planted and all(v[0] == "suspicious" and "files.hf-blob-mismatch" in v[1] for v in planted), scans
    assert rc == 1
    # the snapshot alone (reached through the linked folder) reads its links into blobs/
    rc, scans = scan_json_by_rel(repo / "snapshots" / REV, capsys)
    assert scans == {"config.json": ("safe", [])} and rc == 0


# ---- D: torch's reader ignores ASCII case ----------------------------------------------------------

def test_torch_finds_an_upper_case_data_pkl(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    import zipfile

    buf = io.BytesIO()
    torch.save({"a": torch.ones(2)}, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            z.writestr(info.filename.replace("data.pkl", "DATA.PKL").replace("/data/", "/DATA/"),
                       src.read(info.filename))
    (tmp_path / "m.pt").write_bytes(out.getvalue())
    sc = scanner.scan_file(tmp_path / "m.pt")
    assert sc.format == "pytorch-zip" and sc.verdict == "safe", sc.findings


def test_cli_generate_sees_the_bmp_python_blob(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "hub", {"config.json": CONFIG})
    (repo / "blobs" / git_sha1(BMP_PY)).write_bytes(BMP_PY)
    out = tmp_path / "bom.json"
    main(["-q", "generate", "--model", str(repo), "-o", str(out), "--no-cache"])
    bom = json.loads(out.read_text())
    model = next(c for c in bom["components"] if c["type"] == "machine-learning-model")
    assert next(p["value"] for p in model["properties"] if p["name"] == "mlbom:safety:verdict") == "suspicious"
