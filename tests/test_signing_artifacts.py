"""``verify --artifacts DIR`` proves the whole folder (issue 13, item 5), through the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

import mlbom
from mlbom import artifacts, signing
from mlbom.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"
ROOT = Path(__file__).resolve().parent.parent
EXCLUDE = ["--exclude", "README.md", "--exclude", "mlbom.toml"]  # the release root's own files, not in the BOM


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], signing.PrivateKey, Path]:
    d = tmp_path_factory.mktemp("art")
    key = signing.generate_key("es256")
    (d / "k.pub").write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo))
    return json.loads(mlbom.dumps(mlbom.generate(EXAMPLE, reproducible=True))), key, d / "k.pub"


@pytest.fixture
def release(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "release")
    return tmp_path / "release"


def check(capsys: pytest.CaptureFixture[str], base: tuple[dict[str, object], signing.PrivateKey, Path], doc: object,
          folder: Path, *extra: str) -> tuple[int, str]:
    _, key, pub = base
    bom = folder.parent / "signed.json"
    bom.write_bytes(signing.sign(json.dumps(doc).encode(), key))
    capsys.readouterr()
    rc = main(["verify", str(bom), "--key", str(pub), "--artifacts", str(folder), *extra])
    out, err = capsys.readouterr()
    assert "internal error" not in err
    return rc, out + err


def _file(doc: dict[str, object], rel: str) -> dict[str, object]:
    from mlbom.artifacts import file_components

    for c in file_components(doc):
        for p in c.get("properties") or []:  # type: ignore[attr-defined]
            if p.get("name") == "mlbom:file:path" and p.get("value") == rel:
                return c
    raise KeyError(rel)


def test_the_whole_folder_must_be_listed(capsys: pytest.CaptureFixture[str], base: tuple[dict[str, object],
                                         signing.PrivateKey, Path], release: Path) -> None:
    doc = base[0]
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 0 and "7 listed, 7 verified, 0 unlisted, 0 missing, 0 mismatched, 0 refused" in text
    rc, text = check(capsys, base, doc, release)
    assert rc == 1 and "artifact not in the BOM: README.md" in text and "2 unlisted" in text
    (release / "model" / "extra").mkdir()
    (release / "model" / "extra" / "payload.bin").write_bytes(b"x")
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 1 and "artifact not in the BOM: model/extra/payload.bin" in text
    # patterns are anchored at the folder: a bare name is a top-level entry, ** reaches any depth
    rc, text = check(capsys, base, doc, release, *EXCLUDE, "--exclude", "extra")
    assert rc == 1 and "artifact not in the BOM: model/extra/payload.bin" in text
    for pattern in ("model/extra", "**/extra", "model/*/payload.bin", "model/**/*.bin"):
        rc, text = check(capsys, base, doc, release, *EXCLUDE, "--exclude", pattern)
        assert rc == 0, pattern
    rc, text = check(capsys, base, doc, release, *EXCLUDE, "--listed-only")
    assert rc == 0 and "--listed-only" in text
    (release / ".git").mkdir()
    (release / ".git" / "HEAD").write_text("ref")
    rc, text = check(capsys, base, doc, release, *EXCLUDE, "--exclude", "model/extra", "--exclude", ".git")
    assert rc == 0
    # red team 2: `--exclude .git` used to skip a nested model/.git/payload.py too
    (release / "model" / ".git").mkdir()
    (release / "model" / ".git" / "payload.py").write_text("import os")
    rc, text = check(capsys, base, doc, release, *EXCLUDE, "--exclude", "model/extra", "--exclude", ".git")
    assert rc == 1 and "artifact not in the BOM: model/.git/payload.py" in text
    rc, text = check(capsys, base, doc, release, *EXCLUDE, "--exclude", "model/extra", "--exclude", "**/.git")
    assert rc == 0
    rc, text = check(capsys, base, doc, release, *EXCLUDE, "--exclude", "../x")
    assert rc == 2


def test_symlinks_and_special_files_are_refused(capsys: pytest.CaptureFixture[str], base: tuple[dict[str, object],
                                                signing.PrivateKey, Path], release: Path, tmp_path: Path) -> None:
    doc = base[0]
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "w.bin").write_bytes(b"w")
    (release / "model" / "linked").symlink_to(outside, target_is_directory=True)
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 1 and "model/linked: symbolic link" in text
    (release / "model" / "linked").unlink()
    (release / "zero").symlink_to("/dev/zero")
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 1 and "zero: symbolic link" in text
    (release / "zero").unlink()
    os.mkfifo(release / "pipe")
    rc, text = check(capsys, base, doc, release, *EXCLUDE)  # must not hang
    assert rc == 1 and "pipe: not a regular file" in text
    os.unlink(release / "pipe")
    # a listed file replaced by a FIFO, or by a symlink to /dev/zero
    target = release / "data" / "reviews.csv"
    target.unlink()
    os.mkfifo(target)
    rc, text = check(capsys, base, doc, release, *EXCLUDE, "--listed-only")
    assert rc == 1 and "data/reviews.csv: not a regular file" in text
    target.unlink()
    target.symlink_to("/dev/zero")
    rc, text = check(capsys, base, doc, release, *EXCLUDE, "--listed-only")
    assert rc == 1 and "data/reviews.csv: symbolic link" in text


def test_listed_paths_are_confined(capsys: pytest.CaptureFixture[str], base: tuple[dict[str, object],
                                   signing.PrivateKey, Path], release: Path) -> None:
    for bad in ("../../etc/hostname", "/etc/hostname", "model/../../x", "model\\config.json", ""):
        doc = json.loads(json.dumps(base[0]))
        comp = _file(doc, "model/config.json")
        for p in comp["properties"]:  # type: ignore[attr-defined]
            if p["name"] == "mlbom:file:path":
                p["value"] = bad
        rc, text = check(capsys, base, doc, release, *EXCLUDE)
        assert rc == 1 and "leaves the folder" in text, (bad, text)
    assert artifacts.normalise("model/./config.json") == "model/config.json"
    assert artifacts.normalise("model//config.json") == "model/config.json"


def test_nested_components_and_every_hash(capsys: pytest.CaptureFixture[str], base: tuple[dict[str, object],
                                              signing.PrivateKey, Path], release: Path) -> None:
    doc = json.loads(json.dumps(base[0]))
    comps = doc["components"]
    weights = _file(doc, "model/model.safetensors")
    comps.remove(weights)
    holder = next(c for c in comps if c["type"] == "machine-learning-model")
    holder.setdefault("components", []).append(weights)
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 0, text
    (release / "model" / "model.safetensors").write_bytes(b"swapped")
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 1 and "artifact modified: model/model.safetensors" in text
    # SHA-512 only
    doc = json.loads(json.dumps(base[0]))
    csv = _file(doc, "data/reviews.csv")
    data = (release / "data" / "reviews.csv").read_bytes()
    csv["hashes"] = [{"alg": "SHA-512", "content": hashlib.sha512(data).hexdigest()}]
    (release / "model" / "model.safetensors").write_bytes((EXAMPLE / "model" / "model.safetensors").read_bytes())
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 0, text
    # the strongest digest decides: a right SHA-256 does not excuse a wrong SHA-512
    csv["hashes"] = [{"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()},
                     {"alg": "SHA-512", "content": hashlib.sha512(b"other").hexdigest()}]
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 1 and "artifact modified: data/reviews.csv" in text
    # every digest must match (red team 10c H1): a right SHA-512 does not excuse a stale SHA-256,
    # which diff and query read; nor does a second, different SHA-256 hide behind the first
    csv["hashes"] = [{"alg": "SHA-256", "content": hashlib.sha256(b"other").hexdigest()},
                     {"alg": "SHA-512", "content": hashlib.sha512(data).hexdigest()}]
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 1 and "artifact modified: data/reviews.csv" in text
    csv["hashes"] = [{"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()},
                     {"alg": "SHA-256", "content": hashlib.sha256(b"other").hexdigest()}]
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 1 and "artifact modified: data/reviews.csv" in text
    csv["hashes"] = [{"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()},
                     {"alg": "SHA3-512", "content": hashlib.sha3_512(data).hexdigest()},
                     {"alg": "SHA-512", "content": hashlib.sha512(data).hexdigest()}]
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 0, text
    # no usable hash, and a listed file that is missing
    csv["hashes"] = [{"alg": "MD5", "content": hashlib.md5(data).hexdigest()}]
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 1 and "without a usable" in text
    csv["hashes"] = [{"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()}]
    (release / "data" / "reviews.csv").unlink()
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 1 and "artifact missing: data/reviews.csv" in text


def test_fifo_in_folder_does_not_hang_the_cli(base: tuple[dict[str, object], signing.PrivateKey, Path],
                                              release: Path) -> None:
    doc, key, pub = base
    bom = release.parent / "s.json"
    bom.write_bytes(signing.sign(json.dumps(doc).encode(), key))
    os.mkfifo(release / "model" / "fifo.bin")
    p = subprocess.run([sys.executable, "-m", "mlbom", "verify", str(bom), "--key", str(pub), "--artifacts",
                        str(release), *EXCLUDE], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)), check=False)
    assert p.returncode == 1 and "model/fifo.bin: not a regular file" in p.stderr


def test_a_swapped_in_huge_sparse_file_is_not_hashed(capsys: pytest.CaptureFixture[str],
                                                     base: tuple[dict[str, object], signing.PrivateKey, Path],
                                                     release: Path) -> None:
    weights = release / "model" / "model.safetensors"
    weights.unlink()
    with open(weights, "wb") as fh:
        fh.truncate(1 << 40)  # 1 TiB of holes: hashing it would take hours
    rc, text = check(capsys, base, base[0], release, *EXCLUDE)
    assert rc == 1 and "artifact modified: model/model.safetensors" in text


def test_every_generated_file_component_has_a_size(base: tuple[dict[str, object], signing.PrivateKey, Path]) -> None:
    # red team 2 (F8): requirements.txt / pylock.toml had no mlbom:file:size, so a huge file swapped
    # in for them was hashed to the end; with the size it is a mismatch found by lstat alone
    doc = base[0]
    from mlbom.artifacts import listed_sizes

    expected, _ = artifacts.expected_files(doc)
    sizes = listed_sizes(doc)
    assert "requirements.txt" in expected and set(sizes) == set(expected)
    for rel, size in sizes.items():
        assert (EXAMPLE / rel).stat().st_size == size, rel


def test_a_huge_file_in_place_of_a_listed_one_is_not_hashed(
        capsys: pytest.CaptureFixture[str], base: tuple[dict[str, object], signing.PrivateKey, Path], release: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    doc = json.loads(json.dumps(base[0]))
    comp = _file(doc, "requirements.txt")
    sized = [p for p in comp["properties"] if p["name"] != "mlbom:file:size"]  # type: ignore[union-attr]
    real = (release / "requirements.txt").stat().st_size
    (release / "requirements.txt").unlink()
    with open(release / "requirements.txt", "wb") as f:  # sparse: 4 GiB apparent, nothing written
        f.truncate(4 << 30)
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 1 and "artifact modified: requirements.txt" in text  # listed size differs: not read
    comp["properties"] = sized  # a BOM from another tool: no size given
    monkeypatch.setenv("MLBOM_MAX_ARTIFACT_BYTES", str(1 << 30))
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 1 and "requirements.txt: 4294967296 bytes and the BOM gives no size" in text
    monkeypatch.setenv("MLBOM_MAX_ARTIFACT_BYTES", "lots")
    rc, text = check(capsys, base, doc, release, *EXCLUDE)
    assert rc == 2 and "MLBOM_MAX_ARTIFACT_BYTES" in text
    assert real < 1 << 30


def test_names_with_control_characters_print_on_one_line(
        capsys: pytest.CaptureFixture[str], base: tuple[dict[str, object], signing.PrivateKey, Path],
        release: Path) -> None:
    # red team 2 (F9): a file named "x\nsigned.json: verified ..." added a forged line to the output
    (release / "model" / "x\nsigned.json: verified (jsf); trust: 1 trusted key(s)\x1b[2K").write_bytes(b"x")
    rc, text = check(capsys, base, base[0], release, *EXCLUDE)
    assert rc == 1
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "model/x\\nsigned.json: verified" in lines[0] and "\\x1b[2K" in lines[0]
