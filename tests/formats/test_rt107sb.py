"""Red team 107sb (against the 106sb rule "a string built at render time is a computed name at
every sink"). -1: ``{% set ns.ATTR = v %}`` stored v under any name, and Jinja2's filters and
markupsafe call some names on their operand with no call in the template (``__html__``,
``__html_format__``, ``items``, ``join``): a ``str.format`` fetched with ``map(attribute='format')``
and stored as ``ns.__html_format__`` read ``__class__.__mro__`` under jinja2 3.1.4's sandbox. -2:
nested ``|attr`` sinks walked their key subtrees twice each, unmemoised (2.3 s for 63 KB). -3: a
set block of one piece of text was taken for a built string (a plain system prompt used with
``.format``). -4: literal pieces joined in place, and Hunyuan's ``weekday_map[strftime_now('%A')]``."""

from __future__ import annotations

import pytest

from mlbom.formats import jinja_ast
from tests.helpers import counting_calls, template_worst

NS = "{%- set ns = namespace(f=none) -%}"
PAYLOADS = {
    "html-format-stores-str-format": (
        "{%- set u = ('a_b'|batch(1)|list)[1][0] -%}"
        "{%- set s = '{0.' ~ u ~ u ~ 'class' ~ u ~ u ~ '.' ~ u ~ u ~ 'mro' ~ u ~ u ~ '}' -%}" + NS
        + "{%- set ns.__html_format__ = [s]|map(attribute='format')|first -%}{{ ('{0:x}'|safe).format(ns) }}"),
    "dictsort-calls-items": NS + "{%- set ns.items = messages[0].content.upper -%}{{ ns|dictsort }}",
    "wordwrap-calls-join": NS + "{%- set ns.join = messages[0].content.split -%}{{ 'a b'|wordwrap(1, wrapstring=ns) }}",
    "safe-calls-html": NS + "{%- set ns.__html__ = messages[0].content.upper -%}{{ ns|safe }}",
    "set-block-html": NS + "{%- set ns.__html__ -%}x{%- endset -%}{{ ns|striptags }}",
    "map-attribute-format": "{{ ['{0.x}']|map(attribute='format')|list }}",
    "map-attr-format-map": "{{ ['{0.x}']|map('attr', 'format_map')|list }}",
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt107sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = template_worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


@pytest.mark.parametrize("template", [
    "{%- set sys_tmpl -%}\nYou are a helpful assistant.\nToday is {date}.\n{%- endset -%}"
    "{{ sys_tmpl.format(date=strftime_now('%Y-%m-%d')) }}",
    "{%- set key -%}content{%- endset -%}{{ messages[0][key] }}",
    "{%- for m in messages -%}{%- set k = 'reasoning' ~ '_content' -%}{%- if m[k] is defined -%}{{ m[k] }}"
    "{%- endif -%}{%- endfor -%}",
    "{%- set weekday_map = {'Monday': '一', 'Tuesday': '二'} -%}{{ weekday_map[strftime_now('%A')] }}",
    "{%- set ns = namespace(index=0, found=false) -%}{%- for m in messages -%}{%- set ns.index = loop.index -%}"
    "{%- endfor -%}{{ ns.index }}",
])
def test_rt107sb_real_idioms_stay_clean(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs


@pytest.mark.parametrize("template", [
    "{%- set m = {} -%}{{ m[strftime_now('__cla' ~ 'ss__')] }}",
    "{%- set m = {} -%}{{ m[strftime_now('%A_')] }}",
    "{{ messages[0]['__cla' ~ 'ss__'] }}",
])
def test_rt107sb_date_and_literal_keys_are_still_judged(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs


def _nested_attr_sinks(levels: int) -> str:
    big = "[" + ",".join(["0"] * 200) + "]"
    e = "0"
    for _ in range(levels):
        e = f"({big} if messages|attr({e}) else 0)"
    return "{{ " + e + " }}"


def test_rt107sb_nested_attr_sinks_walk_each_node_once(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = []
    for levels in (8, 32):
        with counting_calls(monkeypatch, jinja_ast._Judge, "_derived_of") as calls:
            jinja_ast.check_template(_nested_attr_sinks(levels))
        counts.append(calls[0])
    assert counts[1] < 5 * counts[0], counts  # linear: 4x the template, not 16x
