"""Red team 21c: the Hugging Face cache rule of the walker (mlbom/fswalk.py) after fix20c.

21c-1: a pickle planted in a cache repository's ``blobs/<etag>`` (no snapshot links to it, its
name the public etag of a legit file) was skipped with the whole ``blobs/`` folder; but
``hf_hub_download`` links an existing ``blobs/<etag>`` by its name, without hashing it, and
returns it. 21c-3: the same skip (``blobs/``, ``refs/``, ``.no_exist/``, ``.locks/``) applied to a
``models--x--y`` folder planted in an ordinary model folder, hiding pickles a sharded index names.
Rule now: a folder's layout never reduces scrutiny — every folder is walked; a blob a snapshot
link of the same walk resolves to is judged once, through the link; every blob is checked
against its etag name. 21c-2: huggingface_hub 2.4's shared blob store (``<hub>/blobs/<xx>/<hash>``
with a ``.huggingface-shared-blobs`` marker, each repository's ``blobs/<etag>`` a relative link
into it) made every file of such a cache a ``files.symlink-escape``. 21c-4: its bookkeeping
(empty ``.lock`` files) was ``low`` ``file.empty`` noise.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest

from mlbom import scanner
from mlbom.cli import main
from tests.helpers import git_sha1, hub_repo, scan_json_by_rel

REV = "0123456789abcdef0123456789abcdef01234567"
CONFIG = json.dumps({"model_type": "bert", "architectures": ["BertModel"]}).encode()


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


EVIL = pickle.dumps(_Evil(), protocol=2)  # built, never loaded


def _repo(hub: Path, files: dict[str, bytes], name: str = "models--acme--tiny") -> Path:
    return hub_repo(hub, files, name=name, rev=REV)




def _generate(path: Path, out: Path) -> tuple[str, list[str], list[str]]:
    """(the model's verdict, its file components, every finding)."""
    main(["-q", "generate", "--model", str(path), "-o", str(out), "--no-cache"])
    bom = json.loads(out.read_text())
    files, findings, verdict = [], [], ""
    for c in bom["components"]:
        props = c.get("properties", [])
        findings += [p["value"] for p in props if p["name"] == "mlbom:finding"]
        if c["type"] == "file":
            files.append(c["name"])
        elif c["type"] == "machine-learning-model":
            verdict = next(p["value"] for p in props if p["name"] == "mlbom:safety:verdict")
    return verdict, sorted(files), findings


# ---- 21c-1: a blob no snapshot links to ----------------------------------------------------------

def test_21c1_an_unlinked_planted_blob_is_judged_by_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The planted pickle under the legit file's sha256 etag is judged (``unsafe``) and does
    not match its name (``files.hf-blob-mismatch``), from the hub, the repository and in
    ``generate``; the linked blob is judged once, under the snapshot's name."""
    hub = tmp_path / "hub"
    repo = _repo(hub, {"config.json": CONFIG})
    etag = hashlib.sha256(b"the legit model.pkl the Hub serves").hexdigest()
    (repo / "blobs" / etag).write_bytes(EVIL)
    for root, pre in ((hub, f"{repo.name}/"), (repo, "")):
        rc, scans = scan_json_by_rel(root, capsys)
        assert rc == 1
        verdict, ids = scans[f"{pre}blobs/{etag}"]
        assert verdict == "unsafe" and "files.hf-blob-mismatch" in ids, ids
        assert scans[f"{pre}snapshots/{REV}/config.json"] == ("safe", [])
        assert [r for r in scans if "/blobs/" in f"/{r}"] == [f"{pre}blobs/{etag}"]  # the linked blob: once
    verdict, files, findings = _generate(repo, tmp_path / "bom.json")
    assert verdict == "unsafe"
    assert f"blobs/{etag}" in files
    assert any("files.hf-blob-mismatch" in f for f in findings)


@pytest.mark.parametrize("lfs", [True, False])
def test_21c1_a_harmless_blob_not_matching_its_etag_is_not_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 lfs: bool) -> None:
    """Content a later download adopts under another file's etag is at least ``suspicious``
    whatever it holds: the sha256 name of an LFS blob, the git blob sha1 of any other."""
    repo = _repo(tmp_path / "hub", {"config.json": CONFIG})
    legit = b"the real tokenizer.json"
    etag = hashlib.sha256(legit).hexdigest() if lfs else git_sha1(legit)
    (repo / "blobs" / etag).write_bytes(b"something else\n")
    rc, scans = scan_json_by_rel(repo, capsys)
    unlinked = "files.hf-unlinked-blob"  # no snapshot links to it (red team 23c, C)
    assert scans[f"blobs/{etag}"] == ("suspicious", ["files.hf-blob-mismatch", unlinked]) and rc == 1
    # a blob that is what its name says is judged by content; plain text no snapshot links to
    # is still not safe (a later download may adopt it as ``modeling_x.py``)
    (repo / "blobs" / etag).write_bytes(legit)
    rc, scans = scan_json_by_rel(repo, capsys)
    assert scans[f"blobs/{etag}"] == ("suspicious", [unlinked]) and rc == 1
    [sc] = scanner.scan(repo / "blobs" / etag)
    assert sc.verdict == "suspicious" and [f.id for f in sc.findings] == [unlinked]
    (repo / "blobs" / etag).write_bytes(b"other\n")
    [sc] = scanner.scan(repo / "blobs" / etag)
    assert sc.verdict == "suspicious" and [f.id for f in sc.findings] == ["files.hf-blob-mismatch", unlinked]


def test_21c1_a_snapshot_link_to_a_tampered_blob_is_flagged_byscan_json_by_rel(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A linked blob is checked against its name too (``scan``, not only ``generate``)."""
    repo = _repo(tmp_path / "hub", {"model.bin": b"weights"})
    [blob] = (repo / "blobs").iterdir()
    blob.write_bytes(b"other weights")
    rc, scans = scan_json_by_rel(repo, capsys)
    assert rc != 0 and sorted(scans) == ["refs/main", f"snapshots/{REV}/model.bin"]
    assert "files.hf-blob-mismatch" in scans[f"snapshots/{REV}/model.bin"][1]


# ---- 21c-3: a cache-looking folder inside a model folder -------------------------------------------

def test_21c3_a_fake_cache_in_a_model_folder_hides_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "model"
    fake = model / "models--x--y"
    for sub in ("blobs", "snapshots", "refs", ".no_exist"):
        (fake / sub).mkdir(parents=True)
    (model / ".locks").mkdir()
    hidden = ["models--x--y/blobs/model.pkl", "models--x--y/refs/model.pkl", "models--x--y/.no_exist/model.pkl",
              ".locks/model.pkl"]
    for rel in hidden:
        (model / rel).write_bytes(EVIL)
    (model / "config.json").write_bytes(CONFIG)
    (model / "pytorch_model.bin.index.json").write_text(json.dumps(
        {"metadata": {}, "weight_map": {"w": "models--x--y/blobs/model.pkl"}}))
    rc, scans = scan_json_by_rel(model, capsys)
    assert rc == 1
    assert all(scans[rel][0] == "unsafe" for rel in hidden), scans
    verdict, files, findings = _generate(model, tmp_path / "bom.json")
    assert verdict == "unsafe" and set(hidden) <= set(files)
    assert not [f for f in findings if "shard-missing" in f or "skipped-folder" in f], findings


# ---- 21c-2 / 21c-4: huggingface_hub 2.4's shared blob store ---------------------------------------

FILES = {"config.json": CONFIG, "vocab.txt": b"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n"}


def _shared_by_hand(hub: Path) -> Path:
    """The layout of ``huggingface_hub.utils._shared_blobs.publish_blob_to_shared_store``: the
    repository's ``blobs/<etag>`` a relative link to ``<hub>/blobs/<xx>/<xet hash>``, beside it
    ``<hash>.refs`` (the repository blob paths linking to it) and ``<hash>.lock`` (empty)."""
    repo = _repo(hub, FILES)
    store = hub / "blobs"
    store.mkdir()
    (store / ".huggingface-shared-blobs").write_text("1\n")
    for blob in sorted((repo / "blobs").iterdir()):
        xet = hashlib.sha256(b"xet" + blob.read_bytes()).hexdigest()
        (store / xet[:2]).mkdir(exist_ok=True)
        blob.rename(store / xet[:2] / xet)
        (store / xet[:2] / f"{xet}.refs").write_text(f"{repo.name}/blobs/{blob.name}\n")
        (store / xet[:2] / f"{xet}.lock").touch()
        os.symlink(f"../../blobs/{xet[:2]}/{xet}", blob)
    return repo


def _shared_by_hub(hub: Path) -> Path:
    hf = pytest.importorskip("huggingface_hub.utils._shared_blobs")
    repo = _repo(hub, FILES)
    for blob in sorted((repo / "blobs").iterdir()):
        data = blob.read_bytes()
        assert hf.publish_blob_to_shared_store(blob_path=str(blob), xet_hash=hashlib.sha256(b"xet" + data).hexdigest(),
                                               cache_dir=str(hub), expected_size=len(data))
    return repo


@pytest.mark.parametrize("build", [_shared_by_hand, _shared_by_hub])
def test_21c2_a_shared_blob_store_cache_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                build: object) -> None:
    hub = tmp_path / "hub"
    repo = build(hub)  # type: ignore[operator]
    snap = repo / "snapshots" / REV
    # every link is followed and read; store content is adopted by Xet hash under any name (red
    # team 26c-3), so the store's plain text (vocab.txt) is judged as unnamed content too
    store_text = ("suspicious", ["files.hf-store-unverified"])
    expect = {"config.json": ("safe", []), "vocab.txt": store_text}
    rc, scans = scan_json_by_rel(snap, capsys)
    assert rc == 1 and scans == expect
    rc, scans = scan_json_by_rel(repo, capsys)
    assert rc == 1 and sorted(scans) == sorted([f"snapshots/{REV}/{r}" for r in FILES] + ["refs/main"])
    assert {r: v for r, v in scans.items() if v[0] != "safe"} == {f"snapshots/{REV}/vocab.txt": store_text}
    out = tmp_path / "m.jsonl"
    assert main(["-q", "manifest", "build", str(snap), "-o", str(out), "--no-cache"]) == 0
    assert sorted(json.loads(x)["name"] for x in out.read_text().splitlines()[1:] if "name" in json.loads(x)) == \
        sorted(FILES)
    verdict, files, findings = _generate(snap, tmp_path / "bom.json")
    assert verdict == "suspicious" and files == sorted(FILES)
    assert not [f for f in findings if "symlink" in f], findings
    # 21c-4: the hub, store bookkeeping included, is judged with nothing above info but the store's text
    rc, scans = scan_json_by_rel(hub, capsys)
    vocab = hashlib.sha256(b"xet" + FILES["vocab.txt"]).hexdigest()
    assert rc == 1 and {r: v for r, v in scans.items() if v[0] != "safe"} == {
        f"{repo.name}/snapshots/{REV}/vocab.txt": store_text, f"blobs/{vocab[:2]}/{vocab}": store_text}
    assert any(r.endswith(".lock") for r in scans) and any(r.endswith(".refs") for r in scans)
    assert {f.severity for sc in scanner.scan(hub) for f in sc.findings if sc.verdict == "safe"} <= {"info"}


def test_21c2_links_leaving_the_hub_or_an_unmarked_store_stay_refused(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    hub = tmp_path / "hub"
    repo = _shared_by_hand(hub)
    snap = repo / "snapshots" / REV
    (tmp_path / "outside.txt").write_text("secret\n")
    etag = git_sha1(b"x")
    os.symlink(str(tmp_path / "outside.txt"), repo / "blobs" / etag)
    os.symlink(f"../../blobs/{etag}", snap / "x.txt")
    os.symlink("../../../../outside.txt", snap / "y.txt")
    rc, scans = scan_json_by_rel(snap, capsys)
    assert rc == 1  # suspicious (the store's vocab.txt: red team 26c-3) ranks above error
    assert scans["x.txt"] == ("error", ["files.symlink-escape"]) and scans["y.txt"] == ("error", ["files.symlink-escape"])
    assert scans["config.json"] == ("safe", [])
    # without its marker the hub's blobs/ folder is no shared store: nothing is widened
    (hub / "blobs" / ".huggingface-shared-blobs").unlink()
    rc, scans = scan_json_by_rel(snap, capsys)
    assert rc == 2 and scans["config.json"] == ("error", ["files.symlink-escape"])


def test_21c1_a_link_in_a_skipped_folder_does_not_stand_for_its_blob(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Only links the walk reads make a blob "judged through its link": one under a snapshot's
    ``.git`` (never walked) does not, so the blob is judged directly."""
    repo = _repo(tmp_path / "hub", {"config.json": CONFIG})
    etag = hashlib.sha256(b"legit").hexdigest()
    (repo / "blobs" / etag).write_bytes(EVIL)
    (repo / "snapshots" / REV / ".git").mkdir()
    os.symlink(f"../../../blobs/{etag}", repo / "snapshots" / REV / ".git" / "model.pkl")
    rc, scans = scan_json_by_rel(repo, capsys)
    assert rc == 1 and scans[f"blobs/{etag}"][0] == "unsafe"
