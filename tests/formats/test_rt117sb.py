"""Red team 117sb.

117sb-1: the generator fixpoint re-asked a binding reading every link of a chain once per link
(a list of 1,000 names, 14 attribute steps each, over a 1,000-link chain whose generator end the
worklist met last: 29 s, clean). The worklists now re-ask the cheapest question first, and the
fixpoint budget counts the nodes visited; running out of it is a finding, never clean.

117sb-2: ``'{0:{1}}'.format('a', N)`` took its width from an argument and built N characters before
refusing them. 117sb-3: ``('b' * 65536).join([''] * 4000)`` and ``|join`` built 262 M characters.
Every fold that can multiply sizes is sized before it is built, and a refused one costs fold budget.

Note: ``[m.name]|map('attr', m.content)`` was clean while ``|attr(m.content)`` was flagged.

No timing tests: the guards count predicate calls and trace allocations.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from mlbom.formats import jinja_ast
from tests.helpers import template_worst

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "chat_templates"


def _chain(k: int, d: int, end: str = "messages|select") -> str:
    """The 117sb-1 shape: a chain of k sets whose end (sorted last) is ``end``, and one list reading
    every link through d attribute steps."""
    w = len(str(k))

    def nm(i: int) -> str:
        return "v" + format(i, f"0{w}d")

    sets = f"{{%set {nm(k)}={end}%}}" + "".join(f"{{%set {nm(i)}={nm(i + 1)}%}}" for i in range(k))
    return sets + "{%set x=[" + ",".join(f"{nm(i)}{'.a' * d}" for i in range(k + 1)) + "]%}"


def _count_gen_of(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = jinja_ast._Judge._gen_of

    def counted(self: jinja_ast._Judge, node: object, itself: bool) -> bool:
        calls[0] += 1
        return real(self, node, itself)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja_ast._Judge, "_gen_of", counted)
    return calls


def test_rt117sb_1_wide_binding_over_a_chain_is_asked_a_bounded_number_of_times(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a timing test: the generator predicate's calls grow linearly with the template. The old
    worklist asked the list once per link, each time walking all of it: K * K * D calls (400 * 400
    * 4 = 640,000 here, 14 million for the red team's 53 KB)."""
    calls = _count_gen_of(monkeypatch)
    worst, msgs = template_worst(_chain(400, 4))
    assert worst == "safe", msgs
    assert calls[0] < 60_000, calls


def test_rt117sb_1_the_reversed_chain_and_other_ends_stay_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_gen_of(monkeypatch)
    for end in ("messages|select", "{'k': 1}", "messages[0]", "namespace(a=1)"):
        template_worst(_chain(300, 3, end))
    assert calls[0] < 200_000, calls


def test_rt117sb_1_past_the_fixpoint_budget_is_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """A template the fixpoints do not finish is not clean: the sets are taken at their strict
    side and template.fixpoint-budget is reported."""
    source = _chain(50, 2) + "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    assert template_worst(source)[0] == "safe"
    monkeypatch.setattr(jinja_ast, "MAX_FIXPOINT_WORK", 1_000)
    found = jinja_ast.check_template(source)
    assert any(f.id == "template.fixpoint-budget" for f in found), found
    assert all(f.effect != "safe" for f in found)


def test_rt117sb_1_the_budget_counts_nodes_visited_not_questions() -> None:
    """The red team's 53 KB template visits ~400,000 nodes: its questions were charged ~4,000."""
    judge = jinja_ast._Judge(jinja_ast._ENV.parse(_chain(1000, 14)), "t")
    judge.run()
    used = jinja_ast.MAX_FIXPOINT_WORK - judge.fixpoint_work
    # (the budget is checked between fixpoint steps: one step may overshoot it by the nodes it visits)
    assert 100_000 < used <= 2 * jinja_ast.MAX_FIXPOINT_WORK, used


def test_rt117sb_1_real_templates_use_a_small_share_of_the_fixpoint_budget() -> None:
    paths = sorted(FIXTURES.rglob("*.jinja"))
    assert len(paths) >= 100
    for path in paths:
        judge = jinja_ast._Judge(jinja_ast._ENV.parse(path.read_text(encoding="utf-8")), "t")
        assert judge.run() == [], path.name
        assert jinja_ast.MAX_FIXPOINT_WORK - judge.fixpoint_work < jinja_ast.MAX_FIXPOINT_WORK // 20, path.name


def _peak(source: str) -> tuple[int, list[str], str]:
    tracemalloc.start()
    try:
        worst, msgs = template_worst(source)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, msgs, worst


N = 50_000_000  # the old folder built N characters (2e10 asked for 20 GB)
BIG_FOLDS = [
    # 117sb-2: widths and precisions taken from an argument (nested replacement fields)
    f"{{% set x = '{{0:{{1}}}}'.format('a', {N}) %}}",
    f"{{% set x = '{{0:.{{1}}f}}'.format(1.5, {N}) %}}",
    f"{{% set x = '{{0:0{{1}}}}'.format(7, {N}) %}}",
    f"{{% set x = '{{0:x>{{1}}}}'.format('a', {N}) %}}",
    # one argument read by many fields, and printf-style by key
    "{% set b = 'b' * 65536 %}{% set x = ('{0}' * 2000).format(b) %}",
    "{% set b = 'b' * 65536 %}{% set x = ('%(a)s' * 2000) % {'a': b} %}",
    "{% set b = 'b' * 65536 %}{% set x = ('%(a)s' * 2000)|format(a=b) %}",
    # 117sb-3: joins and ~
    "{% set x = ('b' * 65536).join([''] * 4000) %}",
    "{% set x = ([''] * 4000)|join('b' * 65536) %}",
    "{% set x = ([''] * 4000)|join(d='b' * 65536) %}",
    "{% set b = 'b' * 30000 %}{% set x = " + " ~ ".join(["b"] * 600) + " %}",
    "{% set b = 'b' * 60000 %}{% set x = [b, b, b, b]|join %}",
]


@pytest.mark.parametrize("template", BIG_FOLDS)
def test_rt117sb_2_3_folds_are_sized_before_they_are_built(template: str) -> None:
    peak, msgs, worst = _peak(template + "{{ messages[0].content }}")
    assert peak < 4_000_000, peak  # the old folder: 18-262 MB per fold (new: under 0.5 MB)
    # judged, not crashed: clean, or flagged for what it is (a format string built at render time,
    # 600 reads of a 30,000-character value running out of fold budget)
    assert worst in ("safe", "suspicious"), msgs


def test_rt117sb_2_refused_folds_cost_fold_budget() -> None:
    """Each refusal is charged as a fold to the cap: 400 copies run out of the fold budget
    (before, a refused fold was free and every binding pass paid it again)."""
    source = "".join(f"{{% set x{i} = '{{0:{{1}}}}'.format('a', {N}) %}}" for i in range(400))
    _peak_bytes, msgs, worst = _peak(source)
    assert worst == "suspicious" and any("fold-budget" in m for m in msgs), msgs


FOLDED_STILL = [
    # small folds still give their values: a private name built by them is still seen
    "{{ messages[0]['{}{}'.format('__cla', 'ss__')] }}",
    "{{ messages[0]['{0}{1}'.format('__cla', 'ss__')] }}",
    "{{ messages[0]['{0:>9}'.format('__class__')] }}",
    "{{ messages[0]['%s%s'|format('__cla', 'ss__')] }}",
    "{{ messages[0]['%s%s' % ('__cla', 'ss__')] }}",
    "{{ messages[0][''.join(['__cla', 'ss__'])] }}",
    "{{ messages[0][['__cla', 'ss__']|join] }}",
    "{{ messages[0]['_'.join(['', 'class', ''])|replace('_', '__')] }}",
    "{{ messages[0]['__' ~ 'class' ~ '__'] }}",
]


@pytest.mark.parametrize("template", FOLDED_STILL)
def test_rt117sb_2_3_small_folds_are_still_folded(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("unsafe", "suspicious"), msgs


# note: map('attr', …) applies the attr filter to each element, with the same name argument
MAP_ATTR_FLAGGED = [
    "{% for m in messages %}{{ [m.name]|map('attr', m.content)|list }}{% endfor %}",
    "{% set f = 'attr' %}{% for m in messages %}{{ [m.name]|map(f, m.content)|list }}{% endfor %}",
    "{% for m in messages %}{{ [m.name]|map('map', 'attr', m.content)|list }}{% endfor %}",
    "{{ messages|map('attr', 'format')|list }}",
    "{{ messages|map('attr', '__class__')|list }}",
]
MAP_ATTR_CLEAN = [
    "{{ messages|map('attr', 'content')|join }}",
    "{{ messages|map(attribute='content')|join }}",
    "{% for m in messages %}{{ [m.name]|map('format', m.content)|list }}{% endfor %}",
]


@pytest.mark.parametrize("template", MAP_ATTR_FLAGGED)
def test_rt117sb_note_map_attr_is_judged_as_attr(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("unsafe", "suspicious"), msgs


@pytest.mark.parametrize("template", MAP_ATTR_CLEAN)
def test_rt117sb_note_map_attr_of_constants_stays_clean(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs


# own probes (117sb fix): a string turned into a list of its characters or pieces was built, then
# refused by the value bound, for free: 2,500 × ('b' * 65536)|sort took 14 s
def test_rt117sb_lists_of_characters_are_counted_before_they_are_made(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = jinja_ast._ENV.call_filter

    def counted(name: str, *args: object, **kwargs: object) -> object:
        calls.append(name)
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja_ast._ENV, "call_filter", counted)
    for f in ("list", "sort", "unique"):
        assert template_worst(f"{{% set x = ('b' * 65536)|{f} %}}{{{{ x|length }}}}")[0] == "safe"
    assert calls == [], calls
    assert template_worst("{% set x = ('ab' * 8)|sort %}{{ messages[0][x|join] }}")[0] == "suspicious"


@pytest.mark.parametrize("op", ["b.split('b')", "b|list", "b|sort", "(b ~ b) ~ (b ~ b) ~ b ~ b ~ b ~ b ~ b ~ b ~ b ~ b ~ b ~ b ~ b ~ b"])
def test_rt117sb_values_refused_for_their_size_cost_fold_budget(op: str) -> None:
    source = "{% set b = 'b' * 5000 %}" + "".join(f"{{% set x{i} = {op} %}}" for i in range(400))
    worst, msgs = template_worst(source)
    assert worst == "suspicious" and any("fold-budget" in m for m in msgs), msgs
