"""Red team 5b's scanner bypasses (issue #12): the reproducers live in
``fixtures/hostile/scanner/rt5b-*`` (rows of its EXPECTED.tsv); these tests pin the rules
behind them with files built here — sparse tar members, files named as Python, YAML tags as
the parser resolves them, Keras JSON configs, multi-stream zlib/LZMA, walker findings and
``__pycache__`` in ``generate``, and a file that changes between hashing and scanning."""

from __future__ import annotations

import json
import lzma
import os
import pickle
import zlib
from pathlib import Path

import pytest

import mlbom
from mlbom.cli import main
from mlbom.formats import yaml_tags
from mlbom.formats.compression import Limits
from mlbom.scanner import scan, scan_bytes, scan_file
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile" / "scanner"
EVIL = b"cposix\nsystem\n(S'true'\ntR."  # protocol 0: GLOBAL posix.system, call — never loaded here


def _ids(r: object) -> set[str]:
    return {f.id for f in r.findings}  # type: ignore[attr-defined]


# ---- S1: sparse tar members are read as tarfile.extractfile reads them ------------------------

def _hdr(name: bytes, size: int, typ: bytes, extra: list[tuple[int, bytes]] | None = None) -> bytes:
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"00000000000\0"
    h[156:157] = typ
    h[257:265] = b"ustar  \0"  # GNU
    for off, val in extra or []:
        h[off:off + len(val)] = val
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def _member(name: bytes, data: bytes) -> bytes:
    return _hdr(name, len(data), b"0") + data + b"\0" * (-len(data) % 512)


def _sparse_tar(chunks: list[tuple[int, bytes]], realsize: int, after: bytes = b"") -> bytes:
    """A GNU tar with one old-style sparse member ``payload.pkl``: data chunks at offsets."""
    extra = []
    for i, (off, data) in enumerate(chunks):
        extra += [(386 + 24 * i, b"%011o\0" % off), (398 + 24 * i, b"%011o\0" % len(data))]
    extra.append((483, b"%011o\0" % realsize))
    stored = b"".join(d for _, d in chunks)
    out = _hdr(b"payload.pkl", len(stored), b"S", extra) + stored + b"\0" * (-len(stored) % 512)
    return out + after + b"\0" * 1024


def test_sparse_member_is_read_with_its_holes() -> None:
    """Chunk 1 opens BINBYTES over the hole; chunk 2 is the call. Read back to back, the
    BINBYTES would swallow the call and the next member's '.' would end a harmless pickle."""
    hole = 1024 - 7
    call = b"0" + EVIL
    data = _sparse_tar([(0, b"\x80\x03B" + hole.to_bytes(4, "little")), (1024, call)], 1024 + len(call),
                       after=_member(b"notes.txt", b".\n" + b"x" * 600))
    r = scan_bytes(data, "archive.tar")
    assert r.verdict == "unsafe", r.findings
    assert "pickle.dangerous-callable" in _ids(r) and "tar.sparse-member" in _ids(r)
    assert scan_file(HOSTILE / "rt5b-sparse-pickle-member.pt").verdict == "unsafe"


def test_benign_sparse_member_is_safe_and_a_huge_one_is_not_expanded() -> None:
    benign = pickle.dumps({"a": 1}, protocol=2)
    r = scan_bytes(_sparse_tar([(0, benign[:4]), (4096, benign[4:])], 4096 + len(benign) - 4), "a.tar")
    assert r.verdict != "unsafe"  # holes of zeros inside a pickle: not the pickle it was
    ok = scan_bytes(_sparse_tar([(0, benign)], len(benign)), "b.tar")
    assert ok.verdict == "safe", ok.findings
    big = scan_bytes(_sparse_tar([(0, benign)], 1 << 40), "c.tar", limits=Limits(max_member_spool=1 << 20))
    assert big.verdict in ("suspicious", "error") and "tar.sparse-member" in _ids(big)


# ---- S2: a file named as Python is code whatever else it parses as -----------------------------

def test_tar_python_polyglot_named_by_auto_map(tmp_path: Path) -> None:
    (tmp_path / "modeling_evil.py").write_bytes((HOSTILE / "rt5b-tar-python-polyglot.py").read_bytes())
    (tmp_path / "config.json").write_text(json.dumps({"auto_map": {"AutoModel": "modeling_evil.EvilModel"}}))
    r = scan_file(tmp_path / "modeling_evil.py")
    assert (r.format, r.verdict) == ("python-source", "suspicious")
    assert {"code.python-source", "code.polyglot"} <= _ids(r)
    assert any("auto_map" in f.message for f in r.findings)
    bom = mlbom.generate(models=tmp_path, reproducible=True)
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert ("mlbom:safety:verdict", "suspicious") in [(p.name, p.value) for p in m.properties]


def test_pickle_named_py_and_tar_named_pyc_are_code() -> None:
    r = scan_bytes(b"\x80\x02" + EVIL, "helper.py")
    assert r.verdict == "unsafe" and "code.python-source" in _ids(r)  # worst reading wins
    tar = _member(b"x.txt", b"hello\n") + b"\0" * 1024
    r = scan_bytes(tar, "mod.cpython-311.pyc")
    assert (r.format, r.verdict) == ("python-bytecode", "suspicious") and "code.python-bytecode" in _ids(r)


# ---- S3: YAML tags as the parser resolves them --------------------------------------------------

_SPELLINGS = [
    'm: !!py%74hon/object/apply:os.system ["x"]\n',
    '%TAG !p! tag:yaml.org,2002:\n---\nm: !p!python/object/apply:os.system ["x"]\n',
    '%TAG ! tag:yaml.org,2002:\n---\nm: !python/name:os.system\n',
    'm: !<tag:yaml.org,2002:p%79thon/object/apply:os.system> ["x"]\n',
    '%TAG !e! tag:yaml.org,2002:py\n---\n[!e!thon%2Fmodule:os x]\n',
    'a: 1\n---\nb: !<tag:yaml.org%2C2002:python/object/new:os.system> [x]\n',
]


@pytest.mark.parametrize("text", _SPELLINGS)
def test_yaml_python_tag_in_any_spelling(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious" and "yaml.python-tag" in _ids(r), r.findings


@pytest.mark.parametrize("text", _SPELLINGS)
def test_pure_python_and_c_parser_agree(text: str) -> None:
    import yaml

    c_loader = getattr(yaml, "CBaseLoader", None)
    if c_loader is None:
        pytest.skip("PyYAML without libyaml")
    pure = yaml_tags.tags_with(text, yaml.BaseLoader).python
    assert pure and yaml_tags.tags_with(text, c_loader).python == pure


@pytest.mark.parametrize("version", ["1.0", "1.3", "1.9"])
def test_yaml_version_libyaml_refuses_is_read_as_pyyaml_reads_it(version: str) -> None:
    """Red team 6: libyaml refuses a %YAML directive other than 1.1/1.2; PyYAML's own parser
    (yaml.unsafe_load's) reads on. The tags of both readings count."""
    text = f'%YAML {version}\n%TAG !p! tag:yaml.org,2002:\n---\nx: !p!python/object/apply:os.system ["true"]\n'
    found = yaml_tags.python_tags(text)
    assert found.python == ["tag:yaml.org,2002:python/object/apply:os.system"]
    assert scan_bytes(text.encode(), "hparams.yaml").verdict == "suspicious"


@pytest.mark.parametrize("name", ["rt5b-yaml-config-pct.yaml", "rt5b-yaml-config-tagdir.yaml",
                                  "rt5b-yaml-hparams-primary.yaml", "rt5b-yaml-params-verbatim.yml"])
def test_red_team_yaml_files(name: str) -> None:
    assert scan_file(HOSTILE / name).verdict == "suspicious"


def test_benign_yaml_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    ok = "lr: 0.1\nname: !!str hello\nnote: 'python/object'\ntags: [!custom x, \"yes!\"]\n"
    assert scan_bytes(ok.encode(), "hparams.yaml").verdict == "safe"
    assert scan_bytes(b"Hello! not yaml: [unclosed\n", "README.md").verdict == "safe"  # no parse: today's rule
    flow = b'{m: !!python/name:os.system x}'  # not JSON, a YAML flow mapping
    assert "yaml.python-tag" in _ids(scan_bytes(flow, "c.json"))
    monkeypatch.setattr(yaml_tags, "MAX_EVENTS", 10)
    r = scan_bytes(("- !x a\n" * 50).encode(), "big.yaml")
    assert r.verdict == "suspicious" and "yaml.tags-unchecked" in _ids(r)


# ---- S4: Keras JSON configs outside a .keras zip -------------------------------------------------

_KERAS_CONFIG = (HOSTILE / "rt5b-keras-lambda-model.json").read_bytes()


def test_keras_to_json_with_lambda_is_unsafe() -> None:
    r = scan_file(HOSTILE / "rt5b-keras-lambda-model.json")
    assert (r.format, r.verdict) == ("keras-config", "unsafe") and "keras.lambda" in _ids(r)


def test_unzipped_keras_folder(tmp_path: Path) -> None:
    """``model.save(dir, zipped=False)``: config.json + metadata.json + model.weights.h5."""
    kdir = tmp_path / "kdir"
    kdir.mkdir()
    (kdir / "config.json").write_bytes(_KERAS_CONFIG)
    (kdir / "metadata.json").write_text('{"keras_version": "3.15.1", "date_saved": "2026-11-30@19:20:41"}')
    by_name = {Path(r.path).name: r for r in scan(kdir, with_hash=False)}
    assert by_name["config.json"].verdict == "unsafe" and by_name["metadata.json"].verdict == "safe"
    bom = mlbom.generate(models=kdir, reproducible=True)
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert ("mlbom:safety:verdict", "unsafe") in [(p.name, p.value) for p in m.properties]
    benign = json.loads(_KERAS_CONFIG)
    benign["config"]["layers"] = benign["config"]["layers"][:1]
    r = scan_bytes(json.dumps(benign).encode(), "model.json")
    assert (r.format, r.verdict) == ("keras-config", "safe"), r.findings
    assert scan_bytes(b'{"model_type": "bert", "hidden_size": 8}', "config.json").verdict == "safe"


# ---- S6: multi-stream zlib and LZMA-alone ---------------------------------------------------------

def test_streams_are_read_on_as_the_loaders_do() -> None:
    for codec, comp in (("lzma", lambda b: lzma.compress(b, format=lzma.FORMAT_ALONE)), ("zlib", zlib.compress)):
        r = scan_bytes(comp(EVIL[:5]) + comp(EVIL[5:]), "model.joblib")
        assert r.verdict == "unsafe", (codec, r.findings)
    for name in ("rt5b-lzma-alone-two-streams.joblib", "rt5b-zlib-two-streams.joblib"):
        assert scan_file(HOSTILE / name).verdict == "unsafe"
    benign = pickle.dumps({"w": [1.0, 2.0]}, protocol=2)
    z = scan_bytes(zlib.compress(benign[:6]) + zlib.compress(benign[6:]), "m.joblib")
    assert z.verdict == "suspicious" and "compressed.multi-stream" in _ids(z)  # loaders differ on it
    lz = scan_bytes(lzma.compress(benign[:6], format=lzma.FORMAT_ALONE)
                    + lzma.compress(benign[6:], format=lzma.FORMAT_ALONE), "m.joblib")
    assert lz.verdict == "safe", lz.findings  # LZMAFile reads on: one pickle, benign
    trailing = scan_bytes(lzma.compress(benign, format=lzma.FORMAT_ALONE) + b"\xff" * 64, "m.joblib")
    assert trailing.verdict == "safe" and "compressed.trailing-data" in _ids(trailing)


def test_streams_share_one_budget() -> None:
    lim = Limits(max_output=1 << 20, ratio_floor=1 << 30)
    chunk = zlib.compress(b"\0" * (600 << 10))
    r = scan_bytes(chunk + chunk, "m.joblib", limits=lim)
    assert r.verdict == "suspicious" and "compressed.bomb" in _ids(r)


# ---- S5: walker findings make the model error and the inventory incomplete -------------------------

def _verdicts(path: Path) -> dict[str, str]:
    d = json.loads(path.read_text())
    return {c["name"]: next(p["value"] for p in c.get("properties", []) if p["name"] == "mlbom:safety:verdict")
            for c in d["components"] if any(p["name"] == "mlbom:safety:verdict" for p in c.get("properties", []))}


@pytest.mark.parametrize("manifest", [False, True])
@pytest.mark.parametrize("kind", ["escape", "dangling", "fifo"])
def test_unread_files_make_the_model_error(tmp_path: Path, kind: str, manifest: bool) -> None:
    m = tmp_path / "m"
    m.mkdir()
    (m / "config.json").write_text('{"model_type": "demo"}')
    (tmp_path / "evil.pkl").write_bytes(EVIL)
    if kind == "escape":
        (m / "model.pkl").symlink_to("../evil.pkl")
    elif kind == "dangling":
        (m / "model.pkl").symlink_to("missing.pkl")
    else:
        os.mkfifo(m / "model.pkl")
    out = tmp_path / "bom.json"
    args = ["generate", "--no-cache", "--model", str(m), "-o", str(out)]
    main([*args, "--max-file-components", "0"] if manifest else args)
    assert _verdicts(out)["m"] == "error"
    d = json.loads(out.read_text())
    assert [c["aggregate"] for c in d["compositions"]] == ["incomplete"]


# ---- __pycache__ is walked; a .pyc there is code ---------------------------------------------------

def test_pycache_is_walked_and_named(tmp_path: Path) -> None:
    hf = tmp_path / "hf"
    (hf / "__pycache__").mkdir(parents=True)
    (hf / "modeling_quiet.py").write_text("QUIET = True\n")
    (hf / "config.json").write_text('{"model_type": "demo"}')
    (hf / "__pycache__" / "modeling_quiet.cpython-311.pyc").write_bytes(
        (HOSTILE / "rt5b-unchecked-hash.cpython-311.pyc").read_bytes())
    by_name = {Path(r.path).name: r for r in scan(hf, with_hash=False)}
    assert by_name["modeling_quiet.cpython-311.pyc"].verdict == "suspicious"
    out = tmp_path / "bom.json"
    main(["generate", "--no-cache", "--model", str(hf), "-o", str(out)])
    assert _verdicts(out)["__pycache__/modeling_quiet.cpython-311.pyc"] == "suspicious"


# ---- a file that changes between hashing and scanning ----------------------------------------------

@pytest.mark.parametrize("manifest", [False, True])
def test_file_changed_between_hash_and_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manifest: bool) -> None:
    import mlbom.collectors.models as models

    m = tmp_path / "m"
    m.mkdir()
    (m / "config.json").write_text('{"model_type": "demo"}')
    target = m / "model.pkl"
    target.write_bytes(pickle.dumps({"w": 1}, protocol=2))
    name = "scan_file" if manifest else "scan_walked"
    real = getattr(models, name)

    def swapped(*a: object, **k: object) -> object:
        target.write_bytes(pickle.dumps({"w": 2, "more": "x" * 100}, protocol=2))  # after the hash, before the scan
        return real(*a, **k)

    monkeypatch.setattr(models, name, swapped)
    out = tmp_path / "bom.json"
    args = ["generate", "--no-cache", "--model", str(m), "-o", str(out)]
    main([*args, "--max-file-components", "0"] if manifest else args)
    v = _verdicts(out)
    assert v["model.pkl"] == "error" and v["m"] == "error"
    d = json.loads(out.read_text())
    assert [c["aggregate"] for c in d["compositions"]] == ["incomplete"]
    assert "file.changed-during-scan" in out.read_text()


def test_unchanged_files_stay_safe(tmp_path: Path) -> None:
    m = tmp_path / "m"
    m.mkdir()
    (m / "model.pkl").write_bytes(pickle.dumps({"w": 1}, protocol=2))
    bom = mlbom.generate(models=m, reproducible=True)
    assert bom.is_complete
    assert not any(f.id == "file.changed-during-scan" for f in bom.findings)
