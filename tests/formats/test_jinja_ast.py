"""formats.jinja_ast's own contract (tests/formats/test_chat_template.py judges templates through
chat_template): every input gives a list of findings, never an exception; unparseable and
too-deep templates are ``error`` findings; the number of findings is bounded."""

from __future__ import annotations

import pytest

from mlbom.formats.jinja_ast import MAX_FINDINGS, MAX_TEMPLATE_CHARS, MAX_TEMPLATES_TOTAL, check_template, check_templates
from tests.conftest import FIXTURES

TEMPLATES = sorted((FIXTURES / "chat_templates").glob("*.jinja"))


def test_real_templates_are_clean_one_call() -> None:
    """All of them, in as few calls as the per-file budget allows (each file's templates are one call)."""
    assert TEMPLATES
    batches: list[list[tuple[str, str]]] = [[]]
    for p in TEMPLATES:
        text = p.read_text(encoding="utf-8")
        if sum(len(t) for _, t in batches[-1]) + len(text) > MAX_TEMPLATES_TOTAL:
            batches.append([])
        batches[-1].append((p.name, text))
    assert len(batches) > 1
    for batch in batches:
        assert check_templates(batch, where="fixtures") == []


@pytest.mark.parametrize(("source", "what"), [
    ("{% if %}", "cannot parse"),
    ("{{ x ", "cannot parse"),
    ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", ""),
    ("{% for %}{% endfor %}", "cannot parse"),
    ("\0{{ \udcff }}", ""),
])
def test_bad_templates_are_error_findings(source: str, what: str) -> None:
    found = check_template(source, where="t")
    assert found and all(f.effect == "error" for f in found if f.id == "template.unparseable")
    assert any(what in f.message for f in found)


def test_size_limit_is_an_error_finding() -> None:
    (f,) = check_template("x" * (MAX_TEMPLATE_CHARS + 1))
    assert (f.id, f.effect) == ("template.too-large", "error")


def test_findings_are_bounded() -> None:
    source = "".join(f"{{{{ x.__class__.__mro__[{i}] }}}}" for i in range(MAX_FINDINGS * 3))
    found = check_template(source)
    assert 0 < len(found) <= MAX_FINDINGS + 1
    assert {f.effect for f in found} & {"unsafe", "suspicious"}
