"""Red team 20c: real model folders that mlbom's commands judged apart.

20c-1: a Hugging Face hub cache snapshot (every file a relative link ``../../blobs/<etag>``) was
refused by ``scan`` and ``manifest build`` (``files.symlink-escape``) and read by ``generate``:
the walker now decides the cache rule itself, from the layout. 20c-4: the repository folder's
bookkeeping (``.no_exist/`` markers of files the repository does NOT have, ``refs/``, the
``blobs/`` store) was inventoried as model files with ``low`` noise (since red team 21c it is
walked again — a layout never hides files — with each linked blob judged once, through its
link, and empty markers ``info``). 20c-2: text starting with ``{``/``[`` that is
not JSON (a WordPiece ``vocab.txt``, a README, an INI file) got ``json.invalid``. 20c-3: scanning a
small JSON file imported the pickle allowlist.

The cache layout is huggingface_hub's (``file_download.py``): ``<hub>/models--ORG--NAME/`` with
``blobs/<etag>`` (SHA-256 of an LFS file, git blob SHA-1 of any other), ``refs/main`` (the
commit), ``snapshots/<commit>/<path>`` relative links to ``../../blobs/<etag>`` and
``.no_exist/<commit>/<path>`` empty markers (``_CACHED_NO_EXIST``).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom import scanner
from mlbom.cli import main
from tests.helpers import scan_json_by_rel

REV = "0123456789abcdef0123456789abcdef01234567"
VOCAB = "[PAD]\n[unused0]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nof\n"


def _safetensors() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + struct.pack("<2f", 1.0, 2.0)


FILES: dict[str, bytes] = {
    "config.json": json.dumps({"model_type": "bert", "architectures": ["BertModel"]}).encode(),
    "tokenizer_config.json": json.dumps({"do_lower_case": True}).encode(),
    "vocab.txt": VOCAB.encode(),
    "model.safetensors": _safetensors(),
    "1_Pooling/config.json": json.dumps({"word_embedding_dimension": 2}).encode(),
    "chat_template.jinja": b"{% for m in messages %}{{ m['content'] }}{% endfor %}",
}


def _hub(tmp_path: Path, files: dict[str, bytes] = FILES) -> tuple[Path, Path]:
    """(repository folder, snapshot folder) of a hub cache laid out as huggingface_hub does."""
    repo = tmp_path / "hub" / "models--tiny--bert"
    snap = repo / "snapshots" / REV
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REV)
    for rel, data in files.items():
        lfs = rel.endswith((".safetensors", ".bin"))
        blob = hashlib.sha256(data).hexdigest() if lfs else \
            hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
        (repo / "blobs" / blob).write_bytes(data)
        link = snap / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        up = "/".join([".."] * (rel.count("/") + 2))
        os.symlink(f"{up}/blobs/{blob}", link)
    # probes of optional files that 404ed (hf_hub_download touches the marker)
    (repo / ".no_exist" / REV).mkdir(parents=True)
    for name in ("adapter_config.json", "processor_config.json", "custom_generate"):
        (repo / ".no_exist" / REV / name).touch()
    return repo, snap




def _manifest(path: Path, out: Path) -> tuple[int, list[str]]:
    rc = main(["-q", "manifest", "build", str(path), "-o", str(out), "--no-cache"])
    rows = [json.loads(line) for line in out.read_text().splitlines()[1:]] if out.exists() else []
    return rc, sorted(r["name"] for r in rows if "name" in r)


def _generate(path: Path, out: Path) -> tuple[int, dict[str, str], list[str]]:
    rc = main(["-q", "generate", "--model", str(path), "-o", str(out), "--no-cache"])
    bom = json.loads(out.read_text())
    files: dict[str, str] = {}
    findings: list[str] = []
    for c in bom["components"]:
        props = {}
        for p in c.get("properties", []):
            if p["name"] == "mlbom:finding":
                findings.append(p["value"])
            props[p["name"]] = p["value"]
        if c["type"] == "file":
            files[c["name"]] = props.get("mlbom:safety:verdict", "")
    return rc, files, findings


def test_20c1_scan_manifest_and_generate_agree_on_a_cache_snapshot(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """One link rule: ``scan``, ``manifest build`` and ``generate`` read every file of a
    snapshot (links into the repository's ``blobs/``, one of them from a sub-folder)."""
    _, snap = _hub(tmp_path)
    rc, scans = scan_json_by_rel(snap, capsys)
    assert rc == 0, scans
    assert scans == {rel: ("safe", []) for rel in FILES}
    rc, rows = _manifest(snap, tmp_path / "m.jsonl")
    assert rc == 0
    assert rows == sorted(FILES)
    rc, files, findings = _generate(snap, tmp_path / "bom.json")
    assert rc == 0
    assert sorted(files) == sorted(FILES) and set(files.values()) == {"safe"}
    assert not [f for f in findings if "symlink" in f or "json.invalid" in f]


def test_20c1_links_leaving_the_cache_repository_stay_refused(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Only the repository's own folder is widened: a link into another repository of the
    hub (its blobs), to a file of the hub beside the repository or out of the hub is refused
    by every command."""
    _, snap = _hub(tmp_path, {"config.json": b"{}"})
    other, _ = _hub(tmp_path / "o", {"x.json": b"{}"})
    (tmp_path / "outside.txt").write_text("secret")
    os.symlink(os.path.relpath(next((other / "blobs").iterdir()), snap), snap / "other.json")
    os.symlink(str(tmp_path / "outside.txt"), snap / "out.txt")
    (snap.parent.parent.parent / "up.txt").write_text("beside the repository\n")
    os.symlink("../../../up.txt", snap / "up.txt")
    rc, scans = scan_json_by_rel(snap, capsys)
    assert rc == 2
    for rel in ("other.json", "out.txt", "up.txt"):
        assert scans[rel] == ("error", ["files.symlink-escape"]), rel
    assert scans["config.json"] == ("safe", [])
    rc, rows = _manifest(snap, tmp_path / "m.jsonl")
    assert rows == ["config.json"] and rc != 0
    rc, files, findings = _generate(snap, tmp_path / "bom.json")
    assert sorted(files) == ["config.json"]
    assert sum("files.symlink-escape" in f for f in findings) == 3


def test_20c1_a_folder_merely_named_like_a_cache_gets_no_wider_rule(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The widening needs the layout (real ``blobs/`` and ``snapshots/`` in a ``models--``
    folder), not the name: with ``blobs`` a link to elsewhere, the snapshot's links escape."""
    repo, snap = _hub(tmp_path, {"config.json": b"{}"})
    (tmp_path / "store").mkdir()
    blobs = repo / "blobs"
    for b in blobs.iterdir():
        b.rename(tmp_path / "store" / b.name)
    blobs.rmdir()
    os.symlink(str(tmp_path / "store"), blobs)
    rc, scans = scan_json_by_rel(snap, capsys)
    assert rc == 2 and scans["config.json"] == ("error", ["files.symlink-escape"])


def test_20c4_repository_folder_lists_snapshots_not_bookkeeping(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The repository folder (what ``HF_HUB_CACHE`` holds) is walked whole (red team 21c-1
    changed 20c-4's skip: a layout anyone can forge never hides files): each blob a snapshot
    links to is judged once, under the snapshot's name; ``refs/`` and the ``.no_exist``
    markers are judged like any file, an empty marker only an ``info`` ``file.empty``; no
    ``low`` noise, no ``json.invalid``."""
    repo, _ = _hub(tmp_path)
    marks = sorted(f".no_exist/{REV}/{n}" for n in ("adapter_config.json", "processor_config.json", "custom_generate"))
    want = sorted([f"snapshots/{REV}/{rel}" for rel in FILES] + ["refs/main"] + marks)
    rc, scans = scan_json_by_rel(repo, capsys)
    assert rc == 0 and sorted(scans) == want
    assert {v for v, _ in scans.values()} == {"safe"}
    assert {rel: ids for rel, (_, ids) in scans.items() if ids} == {m: ["file.empty"] for m in marks}
    sev = {Path(sc.path).relative_to(repo).as_posix(): {f.severity for f in sc.findings} for sc in scanner.scan(repo)}
    assert all(sev[m] == {"info"} for m in marks)
    rc, rows = _manifest(repo, tmp_path / "m.jsonl")
    assert rc == 0 and rows == want
    rc, files, findings = _generate(repo, tmp_path / "bom.json")
    assert rc == 0
    assert sorted(files) == want and set(files.values()) == {"safe"}
    assert not [f for f in findings if "file.empty" in f or "json.invalid" in f or "skipped-folder" in f], findings


def test_20c4_bookkeeping_names_elsewhere_are_walked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``blobs``/``refs``/``.no_exist`` are skipped only in a cache repository's folder: in
    any other folder they are content like any other."""
    for sub in ("blobs", "refs", ".no_exist"):
        (tmp_path / "m" / sub).mkdir(parents=True)
        (tmp_path / "m" / sub / "x.txt").write_text("hello\n")
    (tmp_path / "m" / "snapshots").mkdir()
    rc, scans = scan_json_by_rel(tmp_path / "m", capsys)
    assert rc == 0 and sorted(scans) == [".no_exist/x.txt", "blobs/x.txt", "refs/x.txt"]


@pytest.mark.parametrize(("name", "text"), [
    ("vocab.txt", VOCAB),  # bert-base-uncased and every WordPiece vocab start "[PAD]"
    ("README.md", "[![CI](https://x.invalid/b.svg)](https://x.invalid)\n# model\n"),
    ("setup.cfg", "[metadata]\nname = m\n"),
    ("train.jsonl", '{"text": "a"}\n{"text": "b"}\n\n'),
    ("rows.ndjson", '["a", 1]\n["b", 2]\n'),
    ("0b1d1a6c3f5e9d2a4c7b8e0f1a2b3c4d5e6f7a8b", '{"chat": "not json"\n'),  # a blob: no name claims JSON
])
def test_20c2_text_that_only_starts_like_json_gets_no_finding(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    [sc] = scanner.scan(tmp_path / name)
    assert sc.verdict == "safe" and sc.findings == [], sc


@pytest.mark.parametrize(("name", "text", "what"), [
    ("config.json", '{"a": 1,}', "not valid JSON ("),
    ("CONFIG.JSON", "[1, 2", "not valid JSON ("),
    ("train.jsonl", '{"text": "a"}\n{"text": \n', "not valid JSON Lines (line 2:"),
])
def test_20c2_a_name_that_claims_json_keeps_json_invalid(tmp_path: Path, name: str, text: str, what: str) -> None:
    (tmp_path / name).write_text(text)
    [sc] = scanner.scan(tmp_path / name)
    assert sc.verdict == "safe"
    assert [f.id for f in sc.findings] == ["json.invalid"] and what in sc.findings[0].message


def test_20c2_a_text_file_starting_like_json_is_still_judged_as_text(tmp_path: Path) -> None:
    """Falling through to text keeps the text judgements: a YAML Python tag after a ``[``."""
    (tmp_path / "notes.txt").write_text("[x]\na: !!python/object/apply:os.system ['id']\n")
    [sc] = scanner.scan(tmp_path / "notes.txt")
    assert sc.verdict != "safe"


def test_20c4_hub_folder_walks_locks_and_each_repository(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The hub folder (``HF_HUB_CACHE``): its ``.locks/`` (empty ``<etag>.lock`` files) is
    walked, each lock an ``info`` ``file.empty`` (red team 21c-3: no folder is skipped by its
    name); each repository is walked through its snapshots."""
    repo, _ = _hub(tmp_path)
    locks = repo.parent / ".locks" / repo.name
    locks.mkdir(parents=True)
    lock = f".locks/{repo.name}/{hashlib.sha256(b'x').hexdigest()}.lock"
    (repo.parent / lock).touch()
    rc, scans = scan_json_by_rel(repo.parent, capsys)
    assert rc == 0
    assert {rel for rel in scans if "/snapshots/" in rel} == {f"{repo.name}/snapshots/{REV}/{rel}" for rel in FILES}
    assert not any(rel.startswith(f"{repo.name}/blobs/") for rel in scans)  # judged through the links
    assert scans[lock] == ("safe", ["file.empty"])
    assert {f.severity for sc in scanner.scan(repo.parent) for f in sc.findings} == {"info"}
    # each file is judged under the name a loader opens it by, never by its blob's hash name
    formats = {Path(sc.path).name: sc.format for sc in scanner.scan(repo.parent)}
    assert formats["chat_template.jinja"] == "chat-template" and formats["vocab.txt"] == "text"
    (tmp_path / "plain" / ".locks").mkdir(parents=True)
    (tmp_path / "plain" / ".locks" / "a.txt").write_text("x\n")
    assert sorted(scan_json_by_rel(tmp_path / "plain", capsys)[1]) == [".locks/a.txt"]


def test_20c3_a_small_json_scan_does_not_import_the_pickle_walker(tmp_path: Path) -> None:
    """Importing the scanner and scanning a small JSON file leave the pickle walker and its
    allowlist tables unimported (a good part of a second of start-up); a pickle imports it."""
    (tmp_path / "generation_config.json").write_text('{"bos_token_id": 1, "eos_token_id": 2}')
    (tmp_path / "p.pkl").write_bytes(b"\x80\x04K\x01.")
    code = ("import sys; from pathlib import Path; import mlbom.scanner as s; "
            "a = 'mlbom.formats.pickle' in sys.modules; "
            "[r] = s.scan(Path(sys.argv[1]) / 'generation_config.json'); "
            "b = 'mlbom.formats.pickle' in sys.modules; "
            "[q] = s.scan(Path(sys.argv[1]) / 'p.pkl'); "
            "print(a, b, r.verdict, q.format, 'mlbom.formats.pickle' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert out.stdout.split() == ["False", "False", "safe", "pickle", "True"], out
