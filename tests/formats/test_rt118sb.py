"""Red team 118sb: one format string folded by many nodes (and many ways each) was parsed by Python's
format parser every time — 60 nodes × 64 values of one 4,000-field string: 23 s, judged clean. Each format
string is now parsed once per judge run (``_format_accesses`` and ``_format_shape_of``, 119sb-2); counted here,
not timed.

118sb-3: once the fold budget was spent, string constants joined in place (``'__cla' ~ 'ss__'``) were no longer
folded: a certain sandbox escape was judged ``suspicious`` (a computed name), not ``unsafe``. They are folded
whatever the budget now (their size is the template's own text)."""

from __future__ import annotations

import pytest

from mlbom.formats import jinja_ast


def _chain(vals: list[str]) -> str:
    e = repr(vals[-1])
    for i, v in enumerate(reversed(vals[:-1])):
        e = f"({v!r} if c > {i} else {e})"
    return e


def _template(nodes: int, spec: str = "{0:.0}") -> str:
    return ("{% set c = messages|length %}{% set A = " + _chain(list("abcdefgh")) + " %}{% set B = "
            + _chain(list("ijklmnop")) + " %}{% set X = A ~ B %}{% set F = '" + spec * 4000 + "' %}"
            + "".join("{{F.format(X)}}" for _ in range(nodes)))


@pytest.mark.parametrize("spec", ["{0:.0}", "{}"])
def test_a_format_string_is_parsed_once_however_often_it_is_folded(spec: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    parses = [0]
    shapes = [0]
    real = jinja_ast._format_accesses
    real_shape = jinja_ast._format_shape_of

    def counting(fmt: str) -> list[tuple[bool, str]]:
        parses[0] += 1
        return real(fmt)

    def counting_shape(fmt: str) -> tuple[int, int, int, bool] | None:
        shapes[0] += 1
        return real_shape(fmt)

    monkeypatch.setattr(jinja_ast, "_format_accesses", counting)
    monkeypatch.setattr(jinja_ast, "_format_shape_of", counting_shape)
    found = jinja_ast.check_template(_template(60, spec))
    assert [f.id for f in found if f.effect in ("unsafe", "suspicious")] == []
    assert parses[0] <= 4, parses  # old: once per fold, 60 nodes x 64 values
    assert shapes[0] <= 4, shapes


def test_fields_that_read_attributes_are_still_found() -> None:
    found = jinja_ast.check_template("{% set F = '{0.__class__}' %}{{ F.format(messages) }}" * 3)
    assert any(f.id == "template.format-attribute" for f in found), found


_BURN = "{% set B = 'x' * 65536 %}" + "".join("{{B|upper}}" for _ in range(320))  # spends the fold budget


@pytest.mark.parametrize("key", ["'__cla' ~ 'ss__'", "'__cla' + 'ss__'", "'__' ~ ('cla' + 'ss') ~ '__'"])
def test_118sb3_joined_constants_are_folded_past_the_budget(key: str) -> None:
    ids = {(f.id, f.effect) for f in jinja_ast.check_template(_BURN + "{{ messages[0][" + key + "] }}")}
    assert ("template.fold-budget", "suspicious") in ids and ("template.dunder-access", "unsafe") in ids, ids


def test_118sb3_a_long_sum_of_constants_past_the_budget() -> None:
    key = " + ".join(["'a'"] * 90) + " + '__class__'"  # (one Add per term, nested)
    ids = {f.id for f in jinja_ast.check_template(_BURN + "{{ messages[0][" + key + "] }}")}
    assert "template.dunder-string" in ids and "template.too-deep" not in ids, ids
