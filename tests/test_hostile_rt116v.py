"""Red team 116v: signature-adjacent readers.

* 116v-4: ``report --key`` read the BOM twice — once for what it shows, once for the signature check — so a file
  swapped between the reads was reported with the other file's "verified yes"; from stdin the second read was
  empty and a genuinely signed BOM showed "verified NO". Now one read serves both (counted here).
* 116v-1/-2: an element with tens of thousands of attributes cost seconds in lxml's ``attrib.items()`` (the
  XML→JSON converter: validate, check, sign, verify) and in libxml2's C14N (quadratic in attributes per
  element); every XML reader now refuses more than ``MAX_XML_ATTRIBUTES`` on one element: exit 2, one line.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from mlbom import cli, limits
from mlbom.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny-release"


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("rt116v")
    assert main(["generate", str(EXAMPLE), "-o", str(d / "bom.json")]) == 0
    assert main(["generate", str(EXAMPLE), "--format", "xml", "-o", str(d / "bom.xml")]) == 0
    assert main(["keygen", "-o", str(d / "k")]) == 0
    assert main(["sign", str(d / "bom.json"), "--key", str(d / "k.key"), "-o", str(d / "s.json")]) == 0
    assert main(["sign", str(d / "bom.xml"), "--key", str(d / "k.key"), "-o", str(d / "s.xml")]) == 0
    return d


def test_116v4_report_reads_the_bom_once(signed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    real = cli._read

    def counting(path: Path) -> bytes:
        reads.append(str(path))
        return real(path)

    monkeypatch.setattr(cli, "_read", counting)
    import mlbom.reader

    monkeypatch.setattr(mlbom.reader, "load", lambda *a, **k: pytest.fail("a second read of the BOM"))
    out = signed / "r.txt"
    assert main(["report", str(signed / "s.json"), "--key", str(signed / "k.pub"), "--format", "text",
                 "-o", str(out)]) == 0
    assert reads == [str(signed / "s.json")]
    assert "verified: valid signature" in out.read_text()


def test_116v4_report_from_stdin_verifies_what_it_shows(signed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (signed / "s.json").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = signed / "r2.txt"
    assert main(["report", "-", "--key", str(signed / "k.pub"), "--format", "text", "-o", str(out)]) == 0
    text = out.read_text()
    assert "verified: valid signature" in text and "zero-length" not in text  # old: verified NO, an empty 2nd read


def _crowded(data: bytes, n: int, prefix: bytes = b"") -> bytes:
    attrs = b" ".join(b'%sa%d=""' % (prefix, i) for i in range(n))
    ns = b' xmlns:x="urn:x" ' if prefix else b" "
    return data.replace(b"<metadata>", b"<metadata" + ns + attrs + b">", 1)


@pytest.mark.parametrize("command", [["validate"], ["check"], ["report"], ["verify", "--key", "k.pub"],
                                     ["sign", "--key", "k.key"], ["diff", "SELF"]])
def test_116v2_too_many_attributes_on_one_element_is_one_line_exit_2(
        signed: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    hostile = signed / "crowded.xml"
    hostile.write_bytes(_crowded((signed / "s.xml").read_bytes(), limits.MAX_XML_ATTRIBUTES + 1, b"x:"))
    args = [command[0], str(hostile)] + [str(signed / a) if a.startswith("k.") else str(hostile) if a == "SELF" else a
                                         for a in command[1:]]
    if command[0] == "sign":
        args += ["-o", str(signed / "out.xml"), "--replace"]
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "attributes" in err and "Traceback" not in err, err


def test_116v2_a_handful_of_foreign_attributes_still_reads(signed: Path) -> None:
    ok = signed / "few.xml"
    ok.write_bytes(_crowded((signed / "bom.xml").read_bytes(), 20, b"x:"))
    assert main(["validate", str(ok)]) == 0
