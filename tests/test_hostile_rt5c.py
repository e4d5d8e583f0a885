"""Red team 5c's parser findings (issue 19), replayed through the CLI: each ended in
``internal error``, a BOM that fails validation, or a hang before the fix. The inputs are built
here (a FIFO cannot live in git; the others are a few lines), except the manifest parts of F8
(``tests/fixtures/hostile/manifest-merge/``). Every case: exit 0/1/2, an error is one line
naming the file, never "internal error", and well under :data:`LIMIT_S`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlbom.cli import main
from tests.helpers import all_properties, cli_within_contract

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
LIMIT_S = 10.0
BIG = "1" * 5000  # over CPython's 4,300-digit int() limit
LONG = "1" + ".1" * 600  # 1,201 characters, valid PEP 440: over the schema's 1,024
RECORD_HASH = "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"


def _cli(args: list[str], capsys: pytest.CaptureFixture[str], *, want: set[int]) -> tuple[str, str]:
    return cli_within_contract(args, capsys, want=want, limit_s=LIMIT_S)


def _bom(tmp_path: Path, name: str = "base.json", **torch: object) -> Path:
    comps = [{"type": "library", "bom-ref": "pkg:pypi/torch@2.1.0", "name": "torch", "version": "2.1.0",
              "purl": "pkg:pypi/torch@2.1.0", **torch},
             {"type": "library", "bom-ref": "pkg:pypi/numpy@1.26.0", "name": "numpy", "version": "1.26.0",
              "purl": "pkg:pypi/numpy@1.26.0"}]
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
           "metadata": {"timestamp": "2024-01-01T00:00:00Z"}, "components": comps}
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def _generate(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    out = tmp_path / "out.json"
    _cli(["generate", "--no-gpu", *args, "-o", str(out)], capsys, want={0, 1})
    doc = json.loads(out.read_bytes())
    assert isinstance(doc, dict)
    _cli(["validate", str(out)], capsys, want={0})
    return doc


def _components(doc: dict[str, object]) -> dict[str, dict[str, object]]:
    comps = doc.get("components")
    assert isinstance(comps, list)
    return {str(c["name"]): c for c in comps if isinstance(c, dict)}


def _findings(doc: dict[str, object]) -> list[str]:
    return [str(p["value"]) for p in all_properties(doc) if p.get("name") == "mlbom:finding"]


def _venv(root: Path, dists: list[tuple[str, str, str]], *, record: str = "") -> Path:
    site = root / "lib" / "python3.11" / "site-packages"
    (site / "aaa").mkdir(parents=True)
    (root / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n")
    (site / "aaa" / "__init__.py").write_text("")
    for name, ver, extra in dists:
        d = site / f"{name if len(name) < 100 else 'long'}-1.0.dist-info"  # the name is read from METADATA
        d.mkdir()
        (d / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n{extra}\n")
        (d / "RECORD").write_text(record if name == "aaa" else "")
    return site


# --- F1: a 5,000-digit version is "not a version", never an internal error -----------------------

def test_f1_query_and_check_a_bom_whose_version_has_5000_digits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = _bom(tmp_path, version=BIG)
    out, _ = _cli(["query", str(bom), "--version-spec", ">=1", "--format", "json"], capsys, want={0})
    assert "numpy" in out and BIG not in out
    policy = tmp_path / "p.toml"
    policy.write_text('[packages]\ndeny = ["torch <2.6"]\n')
    # over the schema's maxLength for a version: check validates first and cannot evaluate (24s-3)
    _out, _err = _cli(["check", str(bom), "--policy", str(policy)], capsys, want={2})
    db = f"sqlite:///{tmp_path / 'ix.db'}"
    _cli(["index", "add", str(bom), "--db", db], capsys, want={0})
    out, _ = _cli(["query", "--db", db, "--version-spec", ">=1", "--format", "json"], capsys, want={0})
    assert "numpy" in out


def test_f1_policy_deny_specifier_of_5000_digits_is_a_policy_error(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('[packages]\ndeny = ["torch <' + "9" * 5000 + '"]\n')
    _, err = _cli(["check", str(_bom(tmp_path)), "--policy", str(policy)], capsys, want={2})
    assert "p.toml:2: packages.deny" in err


@pytest.mark.parametrize("bad", [{"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9" * 5000}]}]},
                                 {"versions": ["9" * 5000]}], ids=["fixed", "versions"])
def test_f1_osv_record_with_5000_digits_loses_only_itself(bad: dict[str, object], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "osv"
    db.mkdir()
    good = {"id": "PYSEC-2099-1", "modified": "2024-01-01T00:00:00Z", "affected": [
        {"package": {"ecosystem": "PyPI", "name": "torch"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.6"}]}]}]}
    evil = {"id": "PYSEC-2099-2", "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "torch"}, **bad}]}
    (db / "PYSEC-2099-1.json").write_text(json.dumps(good))
    (db / "PYSEC-2099-2.json").write_text(json.dumps(evil))
    out = tmp_path / "audited.json"
    _cli(["audit", str(_bom(tmp_path)), "--vuln-db", str(db), "-o", str(out)], capsys, want={0})
    ids = [v["id"] for v in json.loads(out.read_bytes()).get("vulnerabilities", [])]
    assert "PYSEC-2099-1" in ids


def test_f1_environment_with_a_5000_digit_version_keeps_the_others(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _venv(tmp_path / "v", [("aaa", BIG, ""), ("bbb", "1.0", "Requires-Dist: aaa>=1\n")])
    doc = _generate(["--env", str(tmp_path / "v")], tmp_path, capsys)
    comps = _components(doc)
    assert {"aaa", "bbb"} <= set(comps)
    assert "version" not in comps["aaa"]  # too long for the schema: left out, with a finding
    assert any("package.version-too-long" in f for f in _findings(doc))
    assert not any("not read" in f for f in _findings(doc))


@pytest.mark.parametrize("line", ["aaa==" + BIG, "aaa>=" + BIG], ids=["pin", "spec"])
def test_f1_requirements_with_5000_digits_against_an_environment(line: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _venv(tmp_path / "v", [("aaa", "1.0", "")])
    req = tmp_path / "requirements.txt"
    req.write_text(line + "\n")
    doc = _generate(["--env", str(tmp_path / "v"), "--requirements", str(req)], tmp_path, capsys)
    assert "aaa" in _components(doc)


# --- F2: a version over the schema's 1,024 characters ------------------------------------------

def test_f2_long_versions_never_make_an_invalid_bom(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("aaa==" + LONG + "\nbbb==1.0\n")
    doc = _generate(["--requirements", str(req)], tmp_path, capsys)
    assert _components(doc)["bbb"]["version"] == "1.0"
    assert "version" not in _components(doc)["aaa"]
    assert any("package.version-too-long" in f for f in _findings(doc))

    lock = tmp_path / "uv" / "uv.lock"
    lock.parent.mkdir()
    lock.write_text(f'version = 1\n[[package]]\nname = "aaa"\nversion = "{LONG}"\n'
                    'source = { registry = "https://pypi.org/simple" }\n')
    doc = _generate(["--lock", str(lock)], tmp_path, capsys)
    assert "aaa" in _components(doc)

    _venv(tmp_path / "v", [("aaa", LONG, ""), ("bbb", "2.0", "")])
    doc = _generate(["--env", str(tmp_path / "v")], tmp_path, capsys)
    assert {"aaa", "bbb"} <= set(_components(doc))


# --- F3: --verify-record never opens a FIFO or follows a link out --------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_f3_record_listing_a_fifo_or_a_link_to_dev_zero_does_not_hang(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    site = _venv(tmp_path / "fifo", [("aaa", "1.0", ""), ("bbb", "1.0", "")], record=f"aaa/fifo,{RECORD_HASH},4\n")
    os.mkfifo(site / "aaa" / "fifo")
    doc = _generate(["--env", str(tmp_path / "fifo"), "--verify-record"], tmp_path, capsys)
    assert any("python.record-unreadable-file" in f and "not a regular file" in f for f in _findings(doc))

    site = _venv(tmp_path / "zero", [("aaa", "1.0", ""), ("bbb", "1.0", "")], record=f"aaa/zero.py,{RECORD_HASH},4\n")
    os.symlink("/dev/zero", site / "aaa" / "zero.py")
    doc = _generate(["--env", str(tmp_path / "zero"), "--verify-record"], tmp_path, capsys)
    assert any("python.record-outside-environment" in f for f in _findings(doc))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_f3_hashing_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    from mlbom.hashing import sha256_file

    os.mkfifo(tmp_path / "p")
    got = sha256_file(tmp_path / "p")  # returns at once: the open does not wait for a writer
    assert got.sha256 is None and got.error and "not a regular file" in got.error
    if os.path.exists("/dev/zero"):
        assert sha256_file("/dev/zero").sha256 is None


# --- F4: a 5,000-digit "line" in a finding -----------------------------------------------------

def test_f4_finding_with_a_5000_digit_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = _bom(tmp_path, "f4.json",
               properties=[{"name": "mlbom:finding", "value": "high x.y: boom (f.txt:" + "9" * 5000 + ")"}])
    _cli(["report", str(bom), "--format", "text"], capsys, want={0})
    _cli(["check", str(bom)], capsys, want={0, 1})
    _cli(["diff", str(_bom(tmp_path)), str(bom)], capsys, want={0, 1})


# --- F5: policy licence lists ------------------------------------------------------------------

@pytest.mark.parametrize("terms", [300, 20_000])
def test_f5_policy_licence_expression_with_too_many_choices(terms: int, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('[licenses]\nallow = ["' + " OR ".join(["MIT"] * terms) + '"]\n')
    _, err = _cli(["check", str(_bom(tmp_path)), "--policy", str(policy)], capsys, want={2})
    assert "p.toml:2: licenses.allow: [0]" in err


# --- F8: manifest merge ------------------------------------------------------------------------

@pytest.mark.parametrize(("first", "second", "says"), [
    ("part1-shard-superscript-two.jsonl", "part2-ok.jsonl", "malformed shard header"),
    ("part1-shard-5000-digits.jsonl", "part2-ok.jsonl", "malformed shard header"),
    ("part1-ok.jsonl", "part2-corrupt-deflate.jsonl.gz", "cannot read manifest"),
])
def test_f8_bad_manifest_part_is_an_input_error(first: str, second: str, says: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    d = HOSTILE / "manifest-merge"
    _, err = _cli(["manifest", "merge", str(d / first), str(d / second), "-o", str(tmp_path / "m.jsonl")],
                  capsys, want={2})
    assert says in err and ("part1" in err if "shard" in first else second in err)
    _cli(["manifest", "merge", str(d / "part1-ok.jsonl"), str(d / "part2-ok.jsonl"), "-o", str(tmp_path / "m.jsonl")],
         capsys, want={0})


# --- F9: a requirement line that looks like a URL but is no reference --------------------------

def test_f9_colon_path_requirement_never_makes_an_invalid_bom(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\nrequests==2.31.0\n")
    doc = _generate(["--requirements", str(req)], tmp_path, capsys)
    assert "requests" in _components(doc)


def test_f9_safe_url_returns_only_valid_references() -> None:
    import jsonschema_rs

    from mlbom.identity import safe_url

    check = jsonschema_rs.validator_for({"type": "string", "format": "iri-reference"}, validate_formats=True)
    for text in ["_apt:x:42:65534::/nonexistent:/usr/sbin/nologin", "1abc:d", "https://x/%zz", "%", "foo bar",
                 "git+ssh://git@github.com:org/repo.git", "lib/x/sboms/a.json", "https://exa mple.com", "a:b"]:
        got = safe_url(text)
        assert got is None or check.is_valid(got), (text, got)
    assert safe_url("lib/x/sboms/a.json") == "lib/x/sboms/a.json"


# --- F11-F13: sign and audit validate the BOM they are given ---------------------------------------

@pytest.fixture
def key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["keygen", "-o", str(tmp_path / "k")]) == 0
    capsys.readouterr()
    return tmp_path / "k.key"


def _deep_bom(tmp_path: Path) -> Path:
    deep: object = 1
    for _ in range(150):
        deep = [deep]
    doc = json.loads(_bom(tmp_path).read_text())
    doc["components"] = [{"type": "library", "bom-ref": f"p{i}", "name": f"p{i}", "x": deep} for i in range(200)]
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(doc))
    return path


def test_f11_f12_sign_refuses_an_invalid_bom_before_signing(tmp_path: Path, key: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    bom = _bom(tmp_path, "f12.json", bogus=1)
    _, err = _cli(["sign", str(bom), "--key", str(key), "-o", str(tmp_path / "s.json")], capsys, want={2})
    assert "f12.json: not a valid CycloneDX 1.6 BOM" in err and "bogus" in err
    _, err = _cli(["sign", str(_deep_bom(tmp_path)), "--key", str(key), "-o", str(tmp_path / "s.json")],
                  capsys, want={2})
    assert "deep.json: not a valid CycloneDX 1.6 BOM" in err
    assert not (tmp_path / "s.json").exists()
    _cli(["sign", str(_bom(tmp_path)), "--key", str(key), "-o", str(tmp_path / "ok.json")], capsys, want={0})


def test_f11_f13_audit_refuses_an_invalid_bom_and_writes_nothing(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "osv"
    db.mkdir()
    (db / "PYSEC-2099-1.json").write_text(json.dumps({
        "id": "PYSEC-2099-1", "modified": "2024-01-01T00:00:00Z", "affected": [
            {"package": {"ecosystem": "PyPI", "name": "torch"}, "versions": ["2.1.0"]}]}))
    out = tmp_path / "a.json"
    _, err = _cli(["audit", str(_deep_bom(tmp_path)), "--vuln-db", str(db), "-o", str(out)], capsys, want={2})
    assert "deep.json: not a valid CycloneDX 1.6 BOM" in err and not out.exists()

    doc = json.loads(_bom(tmp_path).read_text())
    doc["vulnerabilities"] = [{"id": "X-1", "affects": [{"ref": "pkg:pypi/torch@2.1.0",
                                                         "versions": [{"range": "vers:pypi/<" + "9" * 5000}]}]}]
    bom = tmp_path / "f13.json"
    bom.write_text(json.dumps(doc))
    _, err = _cli(["audit", str(bom), "--vuln-db", str(db), "-o", str(out)], capsys, want={2})
    assert "f13.json: not a valid CycloneDX 1.6 BOM" in err and "/vulnerabilities/0/affects/0/versions/0/range" in err


# --- F6: the PyPI purl fast path writes what packageurl writes --------------------------------------

def test_f6_pypi_purl_fast_path_matches_packageurl() -> None:
    import random
    import string

    from packageurl import PackageURL
    from packaging.utils import canonicalize_name

    from mlbom.identity import pypi_purl

    rnd = random.Random(5)
    cases = [("torch", "2.1.0"), ("Foo_Bar.baz", "1.0rc1"), ("x", "1.0+local"), ("x", "1!2.0"), ("x", None),
             ("a-b", "1.0.dev0"), ("A", "V1")]
    cases += [("".join(rnd.choice(string.ascii_letters + string.digits + "-_.") for _ in range(rnd.randint(1, 8))),
               "".join(rnd.choice(string.ascii_letters + string.digits + ".+!") for _ in range(rnd.randint(1, 8))))
              for _ in range(3000)]
    for name, version in cases:
        if canonicalize_name(name):
            want = str(PackageURL(type="pypi", name=canonicalize_name(name), version=version or None).to_string())
            assert pypi_purl(name, version) == want, (name, version)


def test_cuda_wheel_name_or_version_with_5000_digits_costs_nothing_else(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Same class as F1, found while grepping for it: the CUDA family of an NVIDIA wheel is read
    out of its name and version with ``int()``."""
    _venv(tmp_path / "v", [("aaa", "1.0", ""), ("nvidia-x-cu" + BIG, "1.0", ""), ("nvidia-cublas", BIG, ""),
                           ("bbb", "1.0", "")])
    doc = _generate(["--env", str(tmp_path / "v")], tmp_path, capsys)
    assert {"aaa", "bbb", "nvidia-cublas"} <= set(_components(doc))
