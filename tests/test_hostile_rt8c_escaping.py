"""Red team 8c T6 and T7: every human-readable writer escapes BOM- and file-derived text through
:mod:`mlbom.table` (``printable`` for text, ``markdown_text``/``markdown_code`` for Markdown).

T6: ``diff --format markdown`` and ``check --format markdown`` escaped only ``|`` and ``\\n``; a
component version ``"1.0\\r<!--"`` ended the table row and opened a CommonMark HTML block (an HTML
comment) that hid every later row: the ``unsafe`` model, its critical finding and a critical CVE.
T7: ``diff`` (text), ``check`` (text, the component label) and ``scan`` (text, the path column)
printed C1 controls (the 8-bit CSI U+009B) and bidi overrides (U+202E) raw."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from mlbom.table import markdown_code, markdown_text, printable, printable_lines
from tests.helpers import cli_within_contract

HOSTILE = Path(__file__).parent / "fixtures" / "hostile" / "report-escaping"


def _raw_controls(text: str) -> list[str]:
    """Characters a terminal would act on or that reorder text: C0 (but LF) and C1 controls, and
    format characters (bidi overrides and isolates, …)."""
    return [f"U+{ord(c):04X}" for c in text
            if c != "\n" and (unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp"))]


def _render(md: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return str(markdown_it.MarkdownIt("commonmark").enable("table").render(md))


def _rows(md: str) -> int:
    return sum(1 for line in md.split("\n") if line.startswith("| ")) - 1


def _check_markdown_inert(md: str) -> None:
    """The raw bytes: one line per row (no CR anywhere), no ``<`` that is not escaped or in a code span."""
    assert "\r" not in md and _raw_controls(md) == []
    for line in md.split("\n"):
        outside_code = re.sub(r"(`+)(?:(?!\1).)*?\1", "", line)
        assert not re.search(r"(?<!\\)<", outside_code), line


def test_t6_diff_markdown_keeps_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = cli_within_contract(["diff", str(HOSTILE / "md-old.json"), str(HOSTILE / "md-new.json"),
                                  "--format", "markdown"], capsys, want={0})
    _check_markdown_inert(out)
    assert "1.0 \\<\\!--" in out
    html = _render(out)
    assert "<!--" not in html and "&lt;!--" in html
    assert html.count("<tr>") - 1 == _rows(out) == 5
    for seen in ("safety-escalation", "unsafe", "new-finding", "CVE-2025-32434", "new-vulnerability"):
        assert seen in html, seen


def test_t6_check_markdown_keeps_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = cli_within_contract(["check", str(HOSTILE / "md-new.json"), "--policy", str(HOSTILE / "pol-unknown-fail.toml"),
                                  "--format", "markdown"], capsys, want={1})
    _check_markdown_inert(out)
    html = _render(out)
    assert "<!--" not in html
    assert html.count("<tr>") - 1 == _rows(out) == 4 and "evil.pt" in html and "Rules checked" in html


def test_t7_diff_check_and_scan_text_escape_c1_and_bidi(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = cli_within_contract(["diff", str(HOSTILE / "diff-old.json"), str(HOSTILE / "diff-new.json")], capsys, want={0})
    assert _raw_controls(out) == [] and "1.26.1\\x9b1A" in out and "MIT\\x9b8m hidden \\u202eLPG" in out
    out, _ = cli_within_contract(["check", str(HOSTILE / "check-csi.json"), "--policy",
                                  str(HOSTILE / "pol-unknown-fail.toml")], capsys, want={1})
    assert _raw_controls(out) == [] and "zz\\x9b2J\\u202eEVIL 1" in out and "aaa-utils 1.0\\x0d<!--" in out
    (tmp_path / "m").mkdir()
    name = "w.bin\u009b1A\u009b2K\u202eTIM"
    (tmp_path / "m" / name).write_bytes(b"")
    out, err = cli_within_contract(["scan", str(tmp_path / "m")], capsys, want={0, 1})
    assert _raw_controls(out + err) == [] and "w.bin\\x9b1A\\x9b2K\\u202eTIM" in out
    assert len(out.splitlines()) == 2  # the verdict line and its finding


def test_t7_a_line_feed_in_bom_text_adds_no_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """diff text: a version holding a line feed cannot forge a line of its own."""
    new = tmp_path / "new.json"
    new.write_text((HOSTILE / "diff-new.json").read_text().replace("1.26.1\\u009b1A", "1.26.1\\nhash-drift  FAKE"))
    out, _ = cli_within_contract(["diff", str(HOSTILE / "diff-old.json"), str(new)], capsys, want={0})
    assert "1.26.1\\x0ahash-drift  FAKE" in out and not any(ln.startswith("hash-drift") for ln in out.splitlines())


def test_the_shared_escaping() -> None:
    assert printable_lines("a\u009bb\nc\u202ed") == "a\\x9bb\nc\\u202ed"
    assert markdown_text("1.0\r<!--") == "1.0 \\<\\!--"
    assert markdown_text("[x](javascript:1) | `y` & *z*") == "\\[x\\](javascript:1) \\| \\`y\\` \\& \\*z\\*"
    assert markdown_code("") == ""
    assert markdown_code("a|b") == "`a\\|b`"
    assert markdown_code("x`y") == "``x`y``"
    assert markdown_code("`x``") == "``` `x`` ```"
    assert markdown_code("a\r<!--\u202e") == "`a <!--\\u202e`"
    assert printable("\u009b") == "\\x9b"


@pytest.mark.parametrize("text", ["a`b", "``", "` x `", " y ", "a|b|c", "<!-- x", "a\\|b", "x\r\ny", "\u2028z"])
def test_markdown_code_renders_its_text_literally(text: str) -> None:
    md = "| h |\n|---|\n| " + markdown_code(text) + " |\n"
    html = _render(md)
    assert html.count("<td>") == 1, html
    shown = re.search(r"<td><code>(.*)</code></td>", html, re.S)
    assert shown is not None, html
    import html as _html

    expected = printable(text.replace("\r", " ").replace("\n", " "))
    assert _html.unescape(shown.group(1)) == expected


def test_t7_diff_terminal_table_escapes_and_takes_no_markup() -> None:
    """``diff`` on a terminal (a rich table): cells are plain text, escaped; ``[bold]`` stays text."""
    from rich.console import Console

    from mlbom import diff

    console = Console(record=True, width=200, force_terminal=True)
    console.print(diff.render_rich([diff.Change("version-change", "pkg:pypi/x [bold]y[/bold]", "v \u009b1A\u202e",
                                                old="1", new="2\r<!--")]))
    shown = console.export_text()
    assert _raw_controls(shown) == [] and "[bold]y[/bold]" in shown and "\\x9b1A\\u202e" in shown and "2\\x0d<!--" in shown
