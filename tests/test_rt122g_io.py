"""Red team 122g (I/O): a checkout's mlbom.toml paths leaving the checkout, the hash cache
through a link, a policy integer past 4,300 digits, ``generate -o`` inside the project, and XML
names that XML cannot hold.

Each test fails on the code before the fix (checked against ``git archive`` of the base)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import cli_within_contract

# --- 122g-2: path settings of the project's mlbom.toml stay inside the project ------------------


def _proj(tmp_path: Path, toml: str) -> Path:
    proj = tmp_path / "proj"
    (proj / "data").mkdir(parents=True)
    (proj / "data" / "a.csv").write_text("a\n1\n")
    (proj / "mlbom.toml").write_text(toml)
    return proj


@pytest.mark.parametrize(("key", "value"), [
    ("cache-dir", "../outside_c"),
    ("cache-dir", "ABS"),
    ("cache-dir", "~/c"),
    ("manifest-dir", "../outside_m"),
    ("manifest-dir", "sub/../../outside_m"),
    ("manifest-dir", "ABS"),
    ("manifest-dir", "out"),  # out -> ../outside_m, a link in the checkout
    ("gpu-recording", "../secret.json"),
    ("gpu-recording", "rec.json"),  # rec.json -> ../secret.json
])
def test_2_project_paths_must_stay_inside(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          key: str, value: str) -> None:
    outside = tmp_path / ("outside_c" if key == "cache-dir" else "outside_m")
    outside.mkdir()
    (tmp_path / "secret.json").write_text('{"x": 1}')
    if value == "ABS":
        value = str(outside)
    proj = _proj(tmp_path, f'[generate]\n{key} = "{value}"\nmax-file-components = 0\n')
    (proj / "out").symlink_to("../outside_m")
    (proj / "rec.json").symlink_to("../secret.json")
    ci = tmp_path / "ci"
    ci.mkdir()
    _, err = cli_within_contract(["generate", str(proj), "--no-gpu", "-o", str(ci / "bom.json")], capsys, want={2})
    assert f"generate.{key}" in err and "inside the project folder" in err, err
    assert not (ci / "bom.json").exists()
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("value", [".c", "sub/../.c", "."])
def test_2_project_paths_inside_are_used(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    proj = _proj(tmp_path, f'[generate]\ncache-dir = "{value}"\nmax-file-components = 0\n')
    cli_within_contract(["generate", str(proj), "--no-gpu", "-o", str(tmp_path / "bom.json")], capsys, want={0})
    assert (proj / os.path.normpath(value) / "hashes.sqlite3").is_file()


def test_2_command_line_paths_may_leave(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = _proj(tmp_path, "[generate]\nmax-file-components = 0\n")
    elsewhere = tmp_path / "elsewhere"
    cli_within_contract(["generate", str(proj), "--no-gpu", "--cache-dir", str(elsewhere), "--manifest-dir",
                         str(tmp_path), "-o", str(tmp_path / "bom.json")], capsys, want={0})
    assert (elsewhere / "hashes.sqlite3").is_file()


def _victim(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (x)")
    con.commit()
    con.close()


def _tables(path: Path) -> tuple[list[str], str]:
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master")]
        return names, con.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("suffix", ["", "-wal", "-journal"])
def test_2_cache_never_opened_through_a_link(tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    victim = tmp_path / "victim" / "app.db"
    victim.parent.mkdir()
    _victim(victim)
    proj = _proj(tmp_path, '[generate]\ncache-dir = ".c"\nmax-file-components = 0\n')
    (proj / ".c").mkdir()
    (proj / ".c" / ("hashes.sqlite3" + suffix)).symlink_to(victim if not suffix else tmp_path / "victim" / "x")
    _, err = cli_within_contract(["generate", str(proj), "--no-gpu", "-o", str(tmp_path / "bom.json")], capsys,
                                 want={0})
    assert "mlbom: warning: hash cache" in err and "symbolic link" in err, err
    assert _tables(victim) == (["users"], "delete")
    assert not (tmp_path / "victim" / "x").exists()
    assert sorted(os.listdir(tmp_path / "victim")) == ["app.db"]
    assert (tmp_path / "bom.json").is_file()


def test_2_cache_library_refuses_a_link(tmp_path: Path) -> None:
    from mlbom.manifest.cache import CacheWarning, HashCache

    victim = tmp_path / "app.db"
    _victim(victim)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "hashes.sqlite3").symlink_to(victim)
    with pytest.warns(CacheWarning, match="symbolic link"):
        cache = HashCache(tmp_path / "c")
    assert not cache.enabled
    cache.close()
    assert _tables(victim) == (["users"], "delete")



def test_2_manifest_never_written_through_a_committed_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``generate . -o bom.json`` puts manifests beside the BOM, in the checkout: a committed link
    named like the manifest does not carry the write outside."""
    proj = _proj(tmp_path, "[generate]\nmax-file-components = 0\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("VICTIM")
    (proj / "dataset-data.manifest.jsonl").symlink_to("../victim.txt")
    _, err = cli_within_contract(["generate", str(proj), "--no-gpu", "-o", str(proj / "bom.json")], capsys,
                                 want={0, 1, 2})
    assert victim.read_text() == "VICTIM"
    assert "not written through" in err, err


# --- 122g-1: a policy integer of more than 4,300 digits is one line, exit 2 -----------------------

_BIG = "9" * 5000


@pytest.fixture()
def small_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    proj = tmp_path / "proj"
    (proj / "models" / "m").mkdir(parents=True)
    (proj / "models" / "m" / "config.json").write_text('{"model_type":"bert"}')
    bom = tmp_path / "bom.json"
    cli_within_contract(["generate", str(proj), "--no-gpu", "-o", str(bom)], capsys, want={0, 1})
    return proj, bom


@pytest.mark.parametrize("how", ["check-policy", "generate-policy", "check-project", "generate-check",
                                 "project-toml-policy"])
def test_1_policy_bigint_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     small_project: tuple[Path, Path], how: str) -> None:
    proj, bom = small_project
    policy = tmp_path / "big.toml"
    policy.write_text(f"[findings]\nfail-on = {_BIG}\n")
    args = {
        "check-policy": ["check", str(bom), "--policy", str(policy)],
        "generate-policy": ["generate", str(proj), "--no-gpu", "-o", str(tmp_path / "b2.json"), "--policy", str(policy)],
        "check-project": ["check", str(bom), "--project", str(proj)],
        "generate-check": ["generate", str(proj), "--no-gpu", "-o", str(tmp_path / "b2.json"), "--check"],
        "project-toml-policy": ["check", str(bom), "--project", str(proj)],
    }[how]
    if how in ("check-project", "generate-check"):
        (proj / "mlbom-policy.toml").write_text(policy.read_text())
    if how == "project-toml-policy":
        (proj / "mlbom.toml").write_text(f"[policy.findings]\nfail-on = {_BIG}\n")
    _, err = cli_within_contract(args, capsys, want={2})
    assert "4300" in err or "4,300" in err or "cannot be read" in err, err


def test_1_policy_decode_raises_policy_error() -> None:
    from mlbom.policy.config import PolicyError, _decode

    with pytest.raises(PolicyError, match="cannot be read"):
        _decode(f"[findings]\nfail-on = {_BIG}\n".encode(), "p.toml")


# --- 122g-3: generate -o inside the project -------------------------------------------------------


def _tree(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    (proj / "models" / "m").mkdir(parents=True)
    (proj / "models" / "m" / "config.json").write_text('{"model_type":"bert"}')
    (proj / "requirements.txt").write_text("numpy==1.0\n")
    return proj


@pytest.mark.parametrize("out", ["requirements.txt", "models/m/config.json", "mlbom-policy.toml"])
def test_3a_output_over_an_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], out: str) -> None:
    proj = _tree(tmp_path)
    (proj / "mlbom-policy.toml").write_text('[findings]\nfail-on = "high"\n')
    before = (proj / out).read_bytes()
    _, err = cli_within_contract(["generate", str(proj), "--no-gpu", "-o", str(proj / out)], capsys, want={2})
    assert "is an input of this run" in err, err
    assert (proj / out).read_bytes() == before


def test_3a_output_over_a_named_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = _tree(tmp_path)
    req = proj / "requirements.txt"
    _, err = cli_within_contract(["generate", "--requirements", str(req), "--no-gpu", "-o", str(req)], capsys, want={2})
    assert "is an input of this run" in err, err
    assert req.read_text() == "numpy==1.0\n"


@pytest.mark.parametrize("how", ["link", "under-link"])
def test_3b_output_through_a_link_of_the_tree_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         how: str) -> None:
    proj = _tree(tmp_path)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "victim.txt").write_text("VICTIM")
    if how == "link":
        (proj / "bom.json").symlink_to("../victim/victim.txt")
        out = proj / "bom.json"
    else:
        (proj / "out").symlink_to("../victim")
        out = proj / "out" / "victim.txt"
    _, err = cli_within_contract(["generate", str(proj), "--no-gpu", "-o", str(out)], capsys, want={2})
    assert "symbolic link" in err and "not written through" in err, err
    assert (victim / "victim.txt").read_text() == "VICTIM"


def test_3b_manifest_output_through_a_link_of_the_folder_is_refused(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    proj = _tree(tmp_path)
    (tmp_path / "victim").mkdir()
    (proj / "out").symlink_to("../victim")
    _, err = cli_within_contract(["manifest", "build", str(proj), "-o", str(proj / "out" / "m.jsonl")], capsys, want={2})
    assert "not written through" in err, err
    assert list((tmp_path / "victim").iterdir()) == []


def test_3b_output_link_outside_the_tree_is_written_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = _tree(tmp_path)
    (tmp_path / "target.json").write_text("old")
    (tmp_path / "bom.json").symlink_to("target.json")
    cli_within_contract(["generate", str(proj), "--no-gpu", "-o", str(tmp_path / "bom.json")], capsys, want={0})
    assert (tmp_path / "bom.json").is_symlink() and b"CycloneDX" in (tmp_path / "target.json").read_bytes()


@pytest.mark.parametrize(("out", "fmt"), [("models/m/bom.json", "json"), ("bom.json", "json"),
                                          ("models/m/bom.xml", "xml")])
def test_3c_reruns_give_the_same_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch, out: str, fmt: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    proj = _tree(tmp_path)
    runs = []
    for _ in range(3):
        cli_within_contract(["generate", str(proj), "--no-gpu", "--reproducible", "--format", fmt, "-o",
                             str(proj / out)], capsys, want={0})
        runs.append((proj / out).read_bytes())
    assert runs[0] == runs[1] == runs[2]
    assert out.encode() not in runs[2] and b"bom.json" not in runs[2] and b"bom.xml" not in runs[2]


# --- 122g-5: XML names: CR as &#13;, names XML cannot hold verify by the escaped path ------------


def _xml_tree(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    (proj / "models" / "m").mkdir(parents=True)
    (proj / "models" / "m" / "config.json").write_text('{"model_type":"bert"}')
    (proj / "models" / "m" / "a\x01.json").write_text("{}")
    (proj / "models" / "m" / "a\x02.json").write_text('{"x":1}')
    (proj / "models" / "m" / "r\rn.json").write_text("{}")
    (proj / "models" / "m" / "p%01#.json").write_text("{}")  # looks like an escape: must stay itself
    return proj


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_5_signed_bom_verifies_artifacts(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    from tests.helpers import es256_key_files

    proj = _xml_tree(tmp_path)
    _, key, pub = es256_key_files(tmp_path)
    bom, signed = tmp_path / f"b.{fmt}", tmp_path / f"s.{fmt}"
    cli_within_contract(["generate", str(proj), "--no-gpu", "--format", fmt, "-o", str(bom)], capsys, want={0})
    cli_within_contract(["sign", str(bom), "--key", str(key), "-o", str(signed)], capsys, want={0})
    out, err = cli_within_contract(["verify", str(signed), "--key", str(pub), "--artifacts", str(proj)], capsys,
                                   want={0, 1})
    err += out
    assert "5 listed, 5 verified" in err and "0 missing" in err and "0 refused" in err, err


def test_5_xml_writes_cr_as_a_reference() -> None:
    from xml.dom.minidom import parseString

    from mlbom.cyclonedx.xmltext import xml_attr, xml_text

    assert xml_text("r\rn") == "r&#13;n"
    attr, text = xml_attr("x\ry"), xml_text("r\rn")
    doc = parseString(f"<a b={attr}>{text}</a>".encode())
    assert doc.documentElement.firstChild.data == "r\rn"
    assert doc.documentElement.getAttribute("b") == "x\ry"


@pytest.mark.parametrize(("shown", "escaped", "want"), [
    ("m/a\ufffd.json", "m/a%01.json", "m/a\x01.json"),
    ("m/a\ufffd.json", "m/b%01.json", "m/a\ufffd.json"),  # not the path shown: ignored
    ("m/a.json", "m/a%01.json", "m/a.json"),
    ("m/a\ufffd.json", "m/a%0.json", "m/a\ufffd.json"),  # malformed
    ("m/a%.json", "m/a%25.json", "m/a%.json"),
])
def test_5_escaped_path_only_disambiguates(shown: str, escaped: str, want: str) -> None:
    from mlbom.artifacts import listed_path

    assert listed_path({"mlbom:file:path": shown, "mlbom:file:path-escaped": escaped}) == want


def test_3_output_a_folder_of_the_tree_is_not_left_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``-o`` naming a folder of the tree fails as a write (one line), never by leaving the folder out."""
    proj = _tree(tmp_path)
    _, err = cli_within_contract(["generate", str(proj), "--no-gpu", "-o", str(proj / "models")], capsys, want={2})
    assert "cannot write" in err, err
