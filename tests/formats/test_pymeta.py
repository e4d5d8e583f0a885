"""Python packaging metadata parsers (mlbom/formats/pymeta.py): core metadata, RECORD, PEP 610
direct_url.json, dist-info folder names — on real installed distributions and on bad bytes."""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path

import pytest

from mlbom.errors import InputError
from mlbom.formats.pymeta import parse_direct_url, parse_dist_dirname, parse_metadata, parse_record

P = Path("x")


def _dist_info(name: str) -> Path:
    dist = importlib.metadata.distribution(name)
    files = dist.files or []
    meta = next(f for f in files if str(f).endswith(".dist-info/METADATA"))
    return Path(str(meta.locate())).parent


def test_real_metadata_fields_and_line_numbers() -> None:
    folder = _dist_info("click")
    data = (folder / "METADATA").read_bytes()
    meta = parse_metadata(data, folder / "METADATA")
    assert meta.first("Name") == "click" and meta.first("name") == "click"
    assert meta.first("Version") == importlib.metadata.version("click")
    raw_lines = data.decode().splitlines()
    for req in meta.all("Requires-Dist"):
        line = meta.lines[("requires-dist", req)]
        assert raw_lines[line - 1] == f"Requires-Dist: {req}"


def test_real_record_rows_match_the_installed_files() -> None:
    folder = _dist_info("packaging")
    rows = parse_record((folder / "RECORD").read_bytes(), folder / "RECORD")
    site = folder.parent
    hashed = [r for r in rows if r.alg == "sha256"]
    assert len(hashed) >= 10
    for r in hashed[:10]:
        body = (site / r.path).read_bytes()
        assert r.digest_hex == hashlib.sha256(body).hexdigest() and r.size == len(body)
    unhashed = [r for r in rows if r.path.endswith("RECORD")]
    assert unhashed and unhashed[0].alg is None and unhashed[0].digest_hex is None


def test_record_bad_input() -> None:
    with pytest.raises(InputError, match="not UTF-8 at byte 3"):
        parse_record(b"a.p\xff,,\n", P)
    with pytest.raises(InputError, match="malformed hash field"):
        parse_record(b"a.py,sha256=!!!,3\n", P)
    with pytest.raises(InputError, match="malformed hash field"):  # a quote left open swallows the rest
        parse_record(b'a.py,"unterminated\n', P)
    with pytest.raises(InputError, match="malformed hash field"):  # 31 bytes: can match no SHA-256
        parse_record(b"a.py,sha256=" + b"A" * 42 + b",3\n", P)
    rows = parse_record(b"a.py,,\xc2\xb2\r\nb.py,,99999999999999999999999\rc.py,,12\n\n", P)
    assert [(r.path, r.size, r.line) for r in rows] == [("a.py", None, 1), ("b.py", None, 2), ("c.py", 12, 3)]


def test_metadata_bad_input() -> None:
    with pytest.raises(InputError, match="empty file"):
        parse_metadata(b"\n\nbody", P)
    with pytest.raises(InputError, match="no parseable headers"):
        parse_metadata(b"this is not a header block\n", P)
    meta = parse_metadata(b"Metadata-Version: 2.1\nName: caf\xe9\nVersion: 1\n\nbody: not a header\n", P)
    assert meta.first("Name") == "caf\ufffd" and meta.first("body") is None


def test_direct_url_kinds() -> None:
    vcs = parse_direct_url(b'{"url": "https://g/r.git", "vcs_info": {"vcs": "git", "commit_id": "abc", '
                           b'"requested_revision": "main"}, "subdirectory": "pkg"}', P)
    assert (vcs.kind, vcs.vcs, vcs.commit_id, vcs.requested_revision, vcs.subdirectory) == ("vcs", "git", "abc", "main", "pkg")
    arc = parse_direct_url(b'{"url": "https://f/x.whl", "archive_info": {"hash": "SHA256=AB", "hashes": {"sha512": "CD"}}}', P)
    assert arc.kind == "archive" and arc.hashes == {"sha256": "ab", "sha512": "cd"}
    d = parse_direct_url(b'{"url": "file:///src", "dir_info": {"editable": true}}', P)
    assert d.kind == "dir" and d.editable


@pytest.mark.parametrize("doc", [b"[]", b'{"url": 1}', b'{"url": "u"}', b'{"url": "u", "vcs_info": {"vcs": "git"}}',
                                 b'{"url": "u", "url": "v", "dir_info": {}}', b"{"])
def test_direct_url_bad_input(doc: bytes) -> None:
    with pytest.raises(InputError):
        parse_direct_url(doc, P)


def test_dist_dirnames() -> None:
    assert parse_dist_dirname("foo_bar-1.0.dist-info") == ("foo_bar", "1.0")
    assert parse_dist_dirname("foo.egg-info") == ("foo", None)


HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "hostile" / "pymeta"


def test_hostile_reproducers() -> None:
    """A RECORD hash that is not base64 decoded to an empty digest (reported later as a file
    mismatch); a direct_url.json naming two URLs was read as the last one. Both are refused."""
    with pytest.raises(InputError, match="malformed hash field"):
        parse_record((HOSTILE / "record-hash-not-base64.RECORD").read_bytes(), P)
    with pytest.raises(InputError, match="more than once"):
        parse_direct_url((HOSTILE / "direct-url-duplicate-url.json").read_bytes(), P)
