"""Red team 23c: the Hugging Face cache's etag check after fix21c (mlbom/fswalk.py).

23c-1: a 40-hex blob above 10 MiB was never checked against its name (the git blob SHA-1 was
computed only up to a size bound). 23c-2: a repository's ``blobs/<etag>`` linking into
huggingface_hub 2.4's shared store (``<hub>/blobs/<xx>/<hash>``) was never checked: the etag was
read from the fully resolved store file's name. C: a blob no snapshot links to is adopted by a
later download under a name mlbom cannot know, so it is not ``safe`` by a name-free reading of
its text. D: ``scan --no-hash`` checks no etag, and says so.

The layouts are built as huggingface_hub writes them (``blobs/<etag>``, ``refs/main``,
``snapshots/<rev>/<file>`` → ``../../blobs/<etag>``; the shared store's marker and
``<xx>/<hash>`` files, ``blobs/<etag>`` → ``../../blobs/<xx>/<hash>``: utils/_shared_blobs.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

import pytest

from mlbom import scanner
from mlbom.cli import main
from tests.helpers import git_sha1, hub_repo, scan_json_by_rel

REV = "0123456789abcdef0123456789abcdef01234567"
REV2 = "89abcdef0123456789abcdef0123456789abcdef"
CONFIG = json.dumps({"model_type": "bert", "architectures": ["BertModel"]}).encode()
EVIL_PY = b"import os\nos.system('echo pwned')\n"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safetensors() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + b"\0\0\0\0"


def _repo(hub: Path, files: dict[str, bytes], *, rev: str = REV, name: str = "models--acme--tiny") -> Path:
    return hub_repo(hub, files, name=name, rev=rev)


def _store(hub: Path) -> Path:
    store = hub / "blobs"
    store.mkdir(exist_ok=True)
    (store / ".huggingface-shared-blobs").write_text("1")
    return store


def _publish(hub: Path, repo: Path, etag: str, data: bytes) -> Path:
    """``publish_blob_to_shared_store``: the content moves to ``<hub>/blobs/<xx>/<hash>`` (the
    Xet hash, here any 64 hex), the repository's ``blobs/<etag>`` becomes a relative link to it."""
    xet = hashlib.sha256(b"xet" + data).hexdigest()
    store = _store(hub)
    (store / xet[:2]).mkdir(exist_ok=True)
    target = store / xet[:2] / xet
    target.write_bytes(data)
    (store / xet[:2] / f"{xet}.refs").write_text(f"{repo.name}/blobs/{etag}\n")
    (store / xet[:2] / f"{xet}.lock").write_bytes(b"")
    blob = repo / "blobs" / etag
    if blob.exists() or blob.is_symlink():
        blob.unlink()
    os.symlink(f"../../blobs/{xet[:2]}/{xet}", blob)
    return target


def _generate(path: Path, out: Path) -> tuple[str, list[str]]:
    main(["-q", "generate", "--model", str(path), "-o", str(out), "--no-cache"])
    bom = json.loads(out.read_text())
    findings, verdict = [], ""
    for c in bom["components"]:
        props = c.get("properties", [])
        findings += [p["value"] for p in props if p["name"] == "mlbom:finding"]
        if c["type"] == "machine-learning-model":
            verdict = next(p["value"] for p in props if p["name"] == "mlbom:safety:verdict")
    return verdict, findings


# ---- 23c-1: a git blob etag on content of any size ----------------------------------------------

def test_23c1_a_big_blob_under_a_git_etag_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Python padded past the old 10 MiB bound, planted under the git blob SHA-1 of a legit
    ``modeling_tiny.py``: the streamed git SHA-1 shows it is not that file."""
    hub = tmp_path / "hub"
    repo = _repo(hub, {"config.json": CONFIG})
    etag = git_sha1(b"# legit remote code\nX = 1\n")
    (repo / "blobs" / etag).write_bytes(EVIL_PY + b"#" * (11 * 1024 * 1024) + b"\n")
    rc, scans = scan_json_by_rel(repo, capsys)
    verdict, ids = scans[f"blobs/{etag}"]
    assert verdict == "suspicious" and "files.hf-blob-mismatch" in ids and rc == 1
    model_verdict, findings = _generate(repo, tmp_path / "bom.json")
    assert model_verdict == "suspicious" and any("files.hf-blob-mismatch" in f for f in findings)


def test_23c1_a_big_genuine_git_blob_matches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A large non-LFS blob that IS its git SHA-1 (streamed, above the old bound) is no mismatch."""
    big = b"# generated vocabulary\n" + b"a b c\n" * (2 * 1024 * 1024)
    repo = _repo(tmp_path / "hub", {"config.json": CONFIG, "vocab.txt": big})
    rc, scans = scan_json_by_rel(repo, capsys)
    assert scans[f"snapshots/{REV}/vocab.txt"] == ("safe", []) and rc == 0


# ---- 23c-2: the etag is the name of the first link step into a repository's blobs/ ---------------

def test_23c2_a_repo_blob_linking_into_the_shared_store_is_checked(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    hub = tmp_path / "hub"
    repo = _repo(hub, {"config.json": CONFIG})
    etag = git_sha1(b"# legit remote code\nX = 1\n")
    _publish(hub, repo, etag, EVIL_PY)
    for root, rel in ((repo, f"blobs/{etag}"), (hub, f"models--acme--tiny/blobs/{etag}")):
        rc, scans = scan_json_by_rel(root, capsys)
        verdict, ids = scans[rel]
        assert verdict == "suspicious" and "files.hf-blob-mismatch" in ids and rc == 1, (root, scans)
    model_verdict, findings = _generate(repo, tmp_path / "bom.json")
    assert model_verdict == "suspicious" and any("files.hf-blob-mismatch" in f for f in findings)


@pytest.mark.parametrize("lfs", [True, False])
def test_23c2_an_altered_store_file_is_a_mismatch_through_the_snapshot_link(tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture[str],
                                                                             lfs: bool) -> None:
    """snapshot → ``blobs/<etag>`` → store: the content is checked against ``<etag>``."""
    hub = tmp_path / "hub"
    name, data = ("model.safetensors", _safetensors()) if lfs else ("tokenizer_config.json", CONFIG)
    repo = _repo(hub, {name: data})
    etag = _sha256(data) if lfs else git_sha1(data)
    target = _publish(hub, repo, etag, data)
    rc, scans = scan_json_by_rel(repo, capsys)
    assert scans[f"snapshots/{REV}/{name}"] == ("safe", []) and rc == 0, scans
    target.write_bytes(data[:-1] + b" ")  # one byte changed in the store
    rc, scans = scan_json_by_rel(repo, capsys)
    assert "files.hf-blob-mismatch" in scans[f"snapshots/{REV}/{name}"][1] and rc != 0, scans
    rc, scans = scan_json_by_rel(repo / "snapshots" / REV, capsys)
    assert "files.hf-blob-mismatch" in scans[name][1] and rc != 0, scans


# ---- C: a blob no name reaches ---------------------------------------------------------------------

def test_23c_an_unlinked_blob_is_judged_without_a_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Text no snapshot links to is ``suspicious`` even when it matches its etag (named ``.py``
    by a later download it is code); a safetensors or JSON blob keeps its verdict, with the note."""
    hub = tmp_path / "hub"
    repo = _repo(hub, {"config.json": CONFIG})
    code, weights, extra = EVIL_PY, _safetensors(), json.dumps({"a": 1}).encode()
    for data, etag in ((code, git_sha1(code)), (weights, _sha256(weights)), (extra, git_sha1(extra))):
        (repo / "blobs" / etag).write_bytes(data)
    rc, scans = scan_json_by_rel(repo, capsys)
    assert scans[f"blobs/{git_sha1(code)}"] == ("suspicious", ["files.hf-unlinked-blob"]) and rc == 1
    assert scans[f"blobs/{_sha256(weights)}"] == ("safe", ["files.hf-unlinked-blob"])
    assert scans[f"blobs/{git_sha1(extra)}"] == ("safe", ["files.hf-unlinked-blob"])
    assert scans[f"snapshots/{REV}/config.json"] == ("safe", [])


def test_23c_a_store_file_no_repository_blob_reaches_is_unlinked(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """``try_link_from_shared_store`` adopts a store file by its Xet hash: one no repository
    blob links to is judged like an unlinked blob."""
    hub = tmp_path / "hub"
    repo = _repo(hub, {"config.json": CONFIG})
    _publish(hub, repo, git_sha1(CONFIG), CONFIG)
    xet = "ab" * 32
    (hub / "blobs" / "ab").mkdir()
    (hub / "blobs" / "ab" / xet).write_bytes(EVIL_PY)
    rc, scans = scan_json_by_rel(hub, capsys)
    assert scans[f"blobs/ab/{xet}"] == ("suspicious", ["files.hf-store-unverified"]) and rc == 1  # (red team 26c-3)
    reached = [r for r in scans if r.startswith("blobs/") and r.count("/") == 2 and not r.endswith((".refs", ".lock"))]
    assert all(scans[r] == ("safe", []) for r in reached if r != f"blobs/ab/{xet}"), scans


def test_23c_a_realistic_cache_has_no_new_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two snapshots sharing blobs, a shared-store file, ``.no_exist`` markers and the hub's
    ``.locks``: every file safe, no finding above ``info``."""
    hub = tmp_path / "hub"
    tok = json.dumps({"model_max_length": 512}).encode()
    weights = _safetensors()
    repo = _repo(hub, {"config.json": CONFIG, "tokenizer_config.json": tok, "model.safetensors": weights})
    _repo(hub, {"config.json": json.dumps({"model_type": "bert"}).encode(), "tokenizer_config.json": tok,
                "model.safetensors": weights}, rev=REV2)
    _publish(hub, repo, _sha256(weights), weights)
    (repo / ".no_exist" / REV).mkdir(parents=True)
    (repo / ".no_exist" / REV / "added_tokens.json").write_bytes(b"")
    (hub / ".locks" / repo.name).mkdir(parents=True)
    (hub / ".locks" / repo.name / f"{_sha256(weights)}.lock").write_bytes(b"")
    for root in (hub, repo, repo / "snapshots" / REV):
        rc, scans = scan_json_by_rel(root, capsys)
        bad = {r: v for r, v in scans.items() if v[0] != "safe" or any(i != "file.empty" for i in v[1])}
        assert rc == 0 and not bad, (root, bad)
    model_verdict, findings = _generate(repo, tmp_path / "bom.json")
    assert model_verdict == "safe" and not [f for f in findings if not f.startswith("info")], findings


# ---- D: --no-hash ----------------------------------------------------------------------------------

def test_23c_no_hash_says_the_etag_checks_are_off(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "hub", {"config.json": CONFIG, "vocab.txt": b"a\nb\n"})
    scans = scanner.scan(repo, with_hash=False)
    told = [f for sc in scans for f in sc.findings if f.id == "files.hf-blob-unchecked"]
    assert len(told) == 1 and told[0].severity == "info"
    assert not any(f.id == "files.hf-blob-unchecked" for sc in scanner.scan(repo) for f in sc.findings)
