"""Red team 120s-1: a loop variable with 64 values through chains of one-letter filters (``X|e|e|…``): each
application of a fold cost some microseconds of Python but was charged a few units of the fold budget (the
size of a one-character string), so millions of applications fit: 49 KB took 5.4 s and was judged clean. Each
combination of operand values a fold applies is now charged a fixed cost (``_APPLY_COST``); past the budget the
rest is unknown and reported. Counted here, not timed."""

from __future__ import annotations

import pytest

from mlbom.formats import jinja_ast

S64 = "".join(chr(0x4E00 + i) for i in range(64))


def _chains(n: int, depth: int, form: str) -> str:
    expr = "X" + "|e" * depth
    body = "".join(f"{{% set z{i} = {expr} %}}" for i in range(n)) if form == "set" else f"{{{{ {expr} }}}}" * n
    return "{% for X in '" + S64 + "' %}" + body + "{% endfor %}"


@pytest.mark.parametrize(("n", "depth", "form"), [(20, 90, "set"), (1800, 10, "output")])
def test_120s1_fold_applications_are_bounded_and_reported(n: int, depth: int, form: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    applied = [0]
    real = jinja_ast._filter_value

    def counting(*a: object, **k: object) -> object:
        applied[0] += 1
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja_ast, "_filter_value", counting)
    found = jinja_ast.check_template(_chains(n, depth, form))
    assert applied[0] <= jinja_ast.MAX_FOLD_WORK // jinja_ast._APPLY_COST + 64, applied[0]
    assert any(f.id == "template.fold-budget" for f in found), [f.id for f in found]


def test_short_chains_still_fold() -> None:
    """A few applications fold as before: a dunder built through filters is still found."""
    found = jinja_ast.check_template("{% set k = '__CLASS__'|lower|e|string %}{{ messages[k] }}")
    assert any(f.id == "template.dunder-access" for f in found), [f.id for f in found]
