"""Red team 12a-6: tar links that leave the extraction folder only when resolved through each
other (``a/b -> ..``, ``a/c -> b/..``, ``x -> a/c/secret``). Each link is now resolved as the OS
resolves it after ``tarfile.extractall`` (no filter), through the links extracted around it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from mlbom.scanner import _tar_link_escapes, scan_file


def _tar(path: Path, members: list[tuple[str, str | None, bytes]]) -> None:
    """(name, symlink target or None for a file; 'H:target' for a hard link, content)."""
    with tarfile.open(path, "w") as t:
        for name, target, data in members:
            info = tarfile.TarInfo(name)
            if target is None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
                continue
            info.type = tarfile.LNKTYPE if target.startswith("H:") else tarfile.SYMTYPE
            info.linkname = target.removeprefix("H:")
            t.addfile(info)


def _escapes(members: list[tuple[str, str | None, bytes]]) -> set[str]:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, target, data in members:
            info = tarfile.TarInfo(name)
            if target is None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.LNKTYPE if target.startswith("H:") else tarfile.SYMTYPE
                info.linkname = target.removeprefix("H:")
                t.addfile(info)
    buf.seek(0)
    with tarfile.open(fileobj=buf, mode="r:") as t:
        ms = t.getmembers()
    return {ms[i].name for i in _tar_link_escapes(ms)}


CHAIN = [("a/b", "..", b""), ("a/c", "b/..", b""), ("model_config.yaml", "a/c/secret.txt", b"")]


def test_the_chain_escapes(tmp_path: Path) -> None:
    p = tmp_path / "model.tar"
    _tar(p, CHAIN)
    r = scan_file(p)
    assert r.verdict == "unsafe", r.findings
    assert {f.message.split(":")[0] for f in r.findings if f.id == "tar.link-escape"} == {
        "model.tar!a/c", "model.tar!model_config.yaml"}


@pytest.mark.parametrize(("members", "expected"), [
    (CHAIN, {"a/c", "model_config.yaml"}),
    # order does not matter: the link is read after extraction, when all links are there
    (list(reversed(CHAIN)), {"a/c", "model_config.yaml"}),
    # benign: links that stay inside, through each other or not
    ([("blobs/x", None, b"1"), ("snap/v1/model.bin", "../../blobs/x", b""), ("latest", "snap/v1", b""),
      ("current.bin", "latest/model.bin", b"")], set()),
    # a link placed through a link: 'a/b/x' is really './x', and '../s' from there leaves
    ([("a/b", "..", b""), ("a/b/x", "../s", b"")], {"a/b/x"}),
    # a file written through a link that leaves (at the time it is extracted)
    ([("d", "a/..", b""), ("a", ".", b""), ("d/../pwn", None, b"x")], {"d", "d/../pwn"}),
    ([("u", ".", b""), ("v", "u/..", b""), ("w", "v/..", b"")], {"v", "w"}),
    ([("a/b", "..", b""), ("a/c", "b/..", b""), ("a/c/evil", None, b"x")], {"a/c", "a/c/evil"}),
    # a hard link's target is from the folder, resolved through the symbolic links
    ([("a/b", "..", b""), ("a/c", "b/..", b""), ("h", "H:a/c/etc", b"")], {"a/c", "h"}),
    # an absolute target, and a loop (ELOOP: nothing reached)
    ([("x", "/etc/passwd", b"")], {"x"}),
    ([("x", "y", b""), ("y", "x", b"")], set()),
])
def test_resolution(members: list[tuple[str, str | None, bytes]], expected: set[str]) -> None:
    assert _escapes(members) == expected


def test_many_links_end_quickly() -> None:
    members: list[tuple[str, str | None, bytes]] = [(f"l{i}", f"l{i + 1}", b"") for i in range(400)]
    members.append(("z", "l0/..", b""))
    got = _escapes(members)
    assert "z" in got  # beyond the replay bound: a target through another link counts as leaving


def test_extraction_really_reaches_the_host_file(tmp_path: Path) -> None:
    p = tmp_path / "model.tar"
    _tar(p, CHAIN)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "secret.txt").write_text("host secret")
    out = tmp_path / "x" / "y"
    out.mkdir()
    code = ("import tarfile,sys\nt=tarfile.open(sys.argv[1])\n"
            "kw={'filter':'fully_trusted'} if hasattr(tarfile,'fully_trusted_filter') else {}\n"
            "t.extractall(sys.argv[2], **kw)\nprint(open(sys.argv[2]+'/model_config.yaml').read())")
    r = subprocess.run([sys.executable, "-c", code, str(p), str(out)], capture_output=True, text=True, timeout=60,
                       check=False)
    if r.returncode != 0:
        pytest.skip(f"extraction refused here: {r.stderr[-200:]}")
    assert os.path.realpath(out / "model_config.yaml") == str(tmp_path / "x" / "secret.txt")


# red team 13a-6: on POSIX '\' is an ordinary character of a name: 'a\b -> ..' is one link at the
# top of the folder pointing at its parent, and 'model_config.yaml -> a\b/secret.txt' reads a host file
BACKSLASH = [("a\\b", "..", b""), ("model_config.yaml", "a\\b/secret.txt", b""), ("README.md", None, b"x\n")]


def test_a_backslash_is_no_separator_in_a_posix_extraction(tmp_path: Path) -> None:
    assert _escapes(BACKSLASH) == {"a\\b", "model_config.yaml"}
    p = tmp_path / "model.tar"
    _tar(p, BACKSLASH)
    r = scan_file(p)
    assert r.verdict == "unsafe" and "tar.link-escape" in {f.id for f in r.findings}, r.findings
    # read as Windows reads it ('\' a separator) an escape still counts
    assert _escapes([("a\\b", "../..", b"")]) == {"a\\b"}
    assert _escapes([("a/b", "..\\..", b"")]) == {"a/b"}
    assert not _escapes([("a\\b", "c", b""), ("d", "a\\b", b"")])


@pytest.mark.skipif(os.name != "posix", reason="POSIX extraction")
def test_posix_extraction_reads_the_host_file_through_the_backslash_link(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("HOST\n")
    p = tmp_path / "model.tar"
    _tar(p, BACKSLASH)
    code = ("import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t:\n    t.extractall(sys.argv[2], filter='fully_trusted')"
            if sys.version_info >= (3, 12) else
            "import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t:\n    t.extractall(sys.argv[2])")
    subprocess.run([sys.executable, "-c", code, str(p), str(tmp_path / "x")], check=True, timeout=60)
    assert (tmp_path / "x" / "model_config.yaml").read_text() == "HOST\n"


@pytest.mark.parametrize("name", ["../outside.txt", "a/../../outside.txt"])
def test_a_member_name_leaving_the_folder_is_unsafe_as_extraction_writes_it(tmp_path: Path, name: str) -> None:
    """A tar member whose own name leaves the folder: ``tarfile.extractall`` with no filter (the
    default before Python 3.14) writes it there; ``zipfile`` strips such names, tarfile does not."""
    p = tmp_path / "model.tar"
    with tarfile.open(p, "w") as t:
        folder = tarfile.TarInfo("a")
        folder.type = tarfile.DIRTYPE
        t.addfile(folder)
        for n, data in ((name, b"written\n"), ("weights.txt", b"w\n")):
            info = tarfile.TarInfo(n)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    r = scan_file(p)
    hits = [f for f in r.findings if f.id == "tar.path-traversal"]
    assert r.verdict == "unsafe" and hits and hits[0].severity == "critical", r.findings
    assert "tar.link-escape" not in {f.id for f in r.findings}  # one finding, the accurate one
    dest = tmp_path / "x" / "y"
    dest.mkdir(parents=True)
    code = ("import tarfile,sys\nwith tarfile.open(sys.argv[1]) as t:\n"
            "    t.extractall(sys.argv[2], **({'filter': 'fully_trusted'} if hasattr(tarfile, 'fully_trusted_filter') else {}))\n")
    subprocess.run([sys.executable, "-c", code, str(p), str(dest)], check=True, capture_output=True)
    assert (dest.parent / "outside.txt").read_bytes() == b"written\n"


def test_an_absolute_member_name_is_unsafe(tmp_path: Path) -> None:
    p = tmp_path / "model.tar"
    _tar(p, [("/tmp/mlbom-never-written.txt", None, b"x")])
    r = scan_file(p)
    assert r.verdict == "unsafe" and "tar.path-traversal" in {f.id for f in r.findings}, r.findings
