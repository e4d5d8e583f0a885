"""mlbom report: the example release in HTML, Markdown and text; a BOM from another producer;
hostile strings; --previous, --key, --min-score; a 10,000-component BOM."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.limits import MAX_REPORT_CELL_CHARS
from mlbom.reader import load, loads
from mlbom.report import report
from tests.report.conftest import FIXTURES

FOREIGN = FIXTURES / "cyclonedx-example.model-card-with-dataset.json"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(args)
    got = capsys.readouterr()
    return rc, got.out, got.err


def test_example_html_has_every_section_and_fetches_nothing(example_bom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, html, _ = _run(["report", str(example_bom), "--format", "html"], capsys)
    assert rc == 0
    assert html.startswith("<!DOCTYPE html>")
    assert ('<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;; '
            'style-src &#x27;unsafe-inline&#x27;; img-src data:">') in html
    # self-contained: no script, no external resource, links only to its own sections
    assert "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*(?!["']?#)""", html, re.I)
    assert not re.search(r"url\((?!#)", html) and "@import" not in html
    for section in ("Identity", "Signature", "Completeness", "Needs attention", "Models", "Datasets",
                    "Licences (components other than files)", "Known vulnerabilities", "GPU and CUDA stack",
                    "Appendix: every component", "Sign-off"):
        assert f">{section}" in html, section
    # the model, the dataset, every finding, the lineage picture
    assert "tiny-release-classifier" in html and "tiny-reviews" in html
    for fid in ("requirements.hash-missing", "requirements.range-pinned"):
        assert fid in html
    assert '<figure class="lineage"' in html and "<svg" in html and "acme/tiny-encoder" in html
    # model card content
    assert "Demonstrating ML-BOMs" in html and "Ten parameters" in html and "accuracy" in html
    assert "model/model.safetensors" in html and "n/a (not a pickle)" in html
    # the appendix starts collapsed, the summary sections open
    assert '<details id="appendix">' in html and '<details id="identity" open>' in html


def test_three_formats_carry_the_same_content(example_bom: Path) -> None:
    bom = load(example_bom)
    html, md, text = (report(bom, f) for f in ("html", "markdown", "text"))
    facts = ["tiny-release-classifier", "tiny-reviews", "requirements.hash-missing", "requirements.range-pinned",
             "acme/tiny-encoder", "Ten parameters; it has learnt nothing useful.", "45/100", "90/100", "100/100",
             "d5d2d05c557f00f3e46110024285ddaec7429bcf1e477a2cced46af2a26a9fa6", "What this BOM does not say", "Sign-off",
             "every weight file scanned and safe", "pin every requirement with --hash"]
    for fact in facts:
        assert fact in text, fact
        assert fact in md.replace("\\", ""), fact
        assert fact.replace("'", "&#x27;") in html, fact


def test_foreign_bom_renders_and_says_what_is_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    for fmt in ("html", "markdown", "text"):
        rc, out, err = _run(["report", str(FOREIGN), "--format", fmt], capsys)
        assert rc == 0 and not err
        assert "support-ticket-classifier" in out and "support-ticket-training-data" in out
        assert "no file carries a safety scan verdict" in out
        assert "does not declare whether its inventory is complete" in out
        assert "no weight file listed: the weights cannot be checked" in out
        assert "Suggest an initial support queue" in out  # the card's intended use


HOSTILE_NAME = '<script>alert(1)</script><img src=x onerror=alert(2)>'
HOSTILE_LINK = "[click](javascript:alert(3)) <a href=\"javascript:alert(4)\">x</a>"
TABLE_BREAKER = "a | b\n| c | d |\n\x1b[31mred"


def _hostile_doc(example_doc: dict[str, object]) -> dict[str, object]:
    doc = copy.deepcopy(example_doc)
    comps = doc["components"]
    assert isinstance(comps, list)
    for c in comps:
        if c["type"] == "machine-learning-model":
            c["name"] = HOSTILE_NAME
            c["description"] = HOSTILE_LINK
            c["modelCard"]["considerations"]["useCases"] = [TABLE_BREAKER, "1. not a list\n# not a heading"]
        if c["name"] == "tqdm":
            c["licenses"] = [{"license": {"name": TABLE_BREAKER}}]
            c["properties"].append({"name": "mlbom:finding", "value": f"high evil.id: {HOSTILE_LINK} {TABLE_BREAKER}"})
    return doc


def test_hostile_strings_are_inert(example_doc: dict[str, object]) -> None:
    bom = loads(json.dumps(_hostile_doc(example_doc)).encode(), name="hostile.json")
    html = report(bom, "html")
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert all(h.startswith("#") for h in re.findall(r'<a href="([^"]*)"', html))  # only our own anchors
    assert "javascript:" not in re.sub(r">[^<]*<", "><", html)  # only ever in text nodes, never in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\x1b" not in html and "\\x1b[31mred" in html

    md = report(bom, "markdown")
    assert not re.search(r"(?<!\\)<", md), "raw HTML in Markdown"  # every < from the BOM is escaped
    assert not re.search(r"(?<!\\)\]\(javascript:", md), "a Markdown link"
    assert "\x1b" not in md
    for line in md.splitlines():
        if line.startswith("|"):
            # every row of a table has as many unescaped cell separators as its header
            assert len(re.findall(r"(?<!\\)\|", line)) in (3, 4, 5, 6, 7), line
    header_cells = {}
    for block in md.split("\n\n"):
        rows = [r for r in block.splitlines() if r.startswith("|")]
        if rows:
            header_cells[rows[0]] = {len(re.findall(r"(?<!\\)\|", r)) for r in rows}
    assert all(len(counts) == 1 for counts in header_cells.values()), header_cells
    assert "\n# not a heading" not in md and "\n1. not a list" not in md

    text = report(bom, "text")
    assert "\x1b" not in text and "\\x1b[31mred" in text


def test_no_silent_truncation(example_doc: dict[str, object]) -> None:
    doc = copy.deepcopy(example_doc)
    long_name = "very-long-package-name-" + "x" * 400
    doc["components"].append({"type": "library", "name": long_name, "version": "1.0",  # type: ignore[attr-defined]
                              "bom-ref": "pkg:pypi/long@1.0"})
    bom = loads(json.dumps(doc).encode(), name="long.json")
    for fmt in ("html", "markdown", "text"):  # clipped, never silently (red team 123v-4)
        text = report(bom, fmt)
        assert long_name[:MAX_REPORT_CELL_CHARS] in text and f"… ({len(long_name)} characters in all)" in text


def test_previous_release_shows_what_changed(example_doc: dict[str, object], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    old = copy.deepcopy(example_doc)
    old["components"] = [c for c in old["components"] if c.get("name") != "numpy"]  # type: ignore[union-attr]
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(example_doc))
    rc, out, _ = _run(["report", str(tmp_path / "new.json"), "--previous", str(tmp_path / "old.json")], capsys)
    assert rc == 0
    section = out.split("## What changed since the last release", 1)[1].split("\n## ", 1)[0]
    assert "| added | pkg:pypi/numpy |" in section
    rc, out, _ = _run(["report", str(tmp_path / "new.json"), "--previous", str(tmp_path / "new.json")], capsys)
    assert "no differences" in out


def test_key_verifies_the_signature_and_names_the_signer(example_bom: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen", "-o", str(tmp_path / "k")]) == 0
    assert main(["keygen", "-o", str(tmp_path / "other")]) == 0
    assert main(["sign", str(example_bom), "--key", str(tmp_path / "k.key"), "-o", str(tmp_path / "s.json")]) == 0
    capsys.readouterr()
    rc, out, _ = _run(["report", str(tmp_path / "s.json"), "--key", str(tmp_path / "k.pub"), "--format", "text"], capsys)
    assert rc == 0
    assert re.search(r"verified +yes", out) and re.search(r"signer key ids +\S{8,}", out)
    assert re.search(r"signature verified +PASS", out)
    rc, out, _ = _run(["report", str(tmp_path / "s.json"), "--key", str(tmp_path / "other.pub"), "--format", "text"], capsys)
    assert re.search(r"verified +NO", out) and re.search(r"signature verified +FAIL", out)
    rc, out, _ = _run(["report", str(tmp_path / "s.json"), "--format", "text"], capsys)
    assert "not checked: no trusted key given (--key)" in out and re.search(r"signature present +PASS", out)
    # a key that cannot be read is "not verified", never an internal error
    (tmp_path / "bad.pub").write_text("not a key")
    rc, out, _ = _run(["report", str(tmp_path / "s.json"), "--key", str(tmp_path / "bad.pub"), "--format", "text"], capsys)
    assert rc == 0 and re.search(r"verified +NO", out)


def test_min_score(example_bom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(["report", str(example_bom), "--min-score", "40"], capsys)
    assert rc == 0 and not err
    rc, out, err = _run(["report", str(example_bom), "--min-score", "50"], capsys)
    assert rc == 1 and out.startswith("# Release")  # the report is still written
    assert "release tiny-release: completeness 45/100 is below --min-score 50" in err
    rc, _, err = _run(["report", str(example_bom), "--min-score", "101"], capsys)
    assert rc == 2


def test_bad_inputs_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "junk.json").write_text("{not json")
    for args in (["report", str(tmp_path / "missing.json")], ["report", str(tmp_path / "junk.json")],
                 ["report", str(FOREIGN), "--previous", str(tmp_path / "junk.json")]):
        rc, _, err = _run(args, capsys)
        assert rc == 2 and "Traceback" not in err and len(err.strip().splitlines()) <= 2, (args, err)
    rc, _, err = _run(["report", str(FOREIGN), "--format", "pdf"], capsys)
    assert rc == 2 and "Invalid value for '--format'" in err


def test_ten_thousand_components_stay_usable(example_doc: dict[str, object]) -> None:
    doc = copy.deepcopy(example_doc)
    many = [{"type": "library", "name": f"pkg{i:05d}", "version": "1.0", "bom-ref": f"pkg:pypi/pkg{i:05d}@1.0",
             "purl": f"pkg:pypi/pkg{i:05d}@1.0", "licenses": [{"license": {"id": "MIT" if i % 2 else "Apache-2.0"}}],
             "hashes": [{"alg": "SHA-256", "content": f"{i:064x}"}]} for i in range(10_000)]
    doc["components"] = [*doc["components"], *many]  # type: ignore[misc]
    bom = loads(json.dumps(doc).encode(), name="big.json")
    html = report(bom, "html")
    from mlbom.limits import MAX_REPORT_TABLE_ROWS

    # the appendix shows the first MAX_REPORT_TABLE_ROWS and counts the rest (red team 122v-3)
    assert html.count("<tr><td>library</td>") >= MAX_REPORT_TABLE_ROWS - len(example_doc["components"])  # type: ignore[arg-type]
    assert f"{len(doc['components']) - MAX_REPORT_TABLE_ROWS} more row(s) not shown" in html  # type: ignore[arg-type]
    assert '<details id="appendix">' in html  # collapsed
    assert '<details id="licences">' in html or "rows (expand)" in html
    for fmt in ("text", "markdown"):  # the licence table names ten per licence, then counts (red team 123v-4)
        text = report(bom, fmt)
        assert "pkg00000" in text and "more row(s) not shown" in text and "more" in text
