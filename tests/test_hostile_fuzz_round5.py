"""Round 5 of the fuzzing campaign (issue 19) found one crash class, replayed here through the
CLI: a URL whose host is an unclosed IPv6 literal (``http://[x``) makes ``urllib.parse.urlsplit``
raise ``ValueError`` ("Invalid IPv6 URL"), which reached the user as an internal error from the
requirements collector (an ``--extra-index-url``/``-f`` option) and, by the same route, from a
Croissant ``contentUrl`` in a dataset folder. The scheme is now read without ``urlsplit``
(:func:`mlbom.identity.url_scheme`), as ``urlsplit`` reads it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.identity import url_scheme


def _generate(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    out = tmp_path / "out.json"
    rc = main(["generate", "--no-gpu", *args, "-o", str(out)])
    err = capsys.readouterr().err
    assert rc in (0, 1), err
    assert "internal error" not in err and "Traceback" not in err, err
    doc = json.loads(out.read_bytes())
    assert isinstance(doc, dict)
    return doc


def test_url_scheme_reads_what_urlsplit_reads() -> None:
    for url in ("http://[x", "HTTP://h/p", "https://h", "file:///a", "s3://b/k", "data/x.csv", "", " gs://b",
                "c:\\x", "1http://x", "git+https://h/r"):
        try:
            from urllib.parse import urlsplit

            want = urlsplit(url.strip()).scheme
        except ValueError:
            want = "http"  # urlsplit refuses the host after it has read the scheme
        assert url_scheme(url) == want, url


def test_requirements_index_url_with_unclosed_ipv6_host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("--extra-index-url http://[broken/simple\n-f https://[x\nrequests==2.31.0\n")
    doc = _generate(["--requirements", str(req)], tmp_path, capsys)
    names = [c.get("name") for c in doc.get("components", []) if isinstance(c, dict)]
    assert "requests" in names
    text = json.dumps(doc)
    assert "requirements.insecure-index" in text  # the plain-http index is still named


def test_croissant_content_url_with_unclosed_ipv6_host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "train.csv").write_text("a,b\n1,2\n")
    (ds / "croissant.json").write_text(json.dumps({
        "@context": {"@vocab": "https://schema.org/", "cr": "http://mlcommons.org/croissant/"},
        "@type": "sc:Dataset", "name": "ds", "license": "cc-by-4.0",
        "distribution": [
            {"@type": "cr:FileObject", "@id": "remote", "name": "remote", "contentUrl": "http://[x/train.csv",
             "encodingFormat": "text/csv", "sha256": "0" * 64},
            {"@type": "cr:FileObject", "@id": "local", "name": "local", "contentUrl": "train.csv",
             "encodingFormat": "text/csv"},
        ]}))
    doc = _generate(["--dataset", str(ds)], tmp_path, capsys)
    assert "train.csv" in json.dumps(doc)
