"""Red team 96sb: four ways past the chat-template judge, each now judged.

96sb-1: a recursive loop's variable is rebound by ``loop([...])`` to the template's own values; it was
taken for context data (``namespace[x[0]]…`` never judged). 96sb-2: a macro's name bound again by
``set`` was called as if it still held the macro. 96sb-3: ``set b = a`` then ``set b.i = …`` changed
``a.i`` while the judge folded ``a.i`` to its first constant. 96sb-4: ``str.format`` fields were
searched for a leading ``_`` only: ``{0.gi_frame.f_globals[t]…}`` read frame globals.
"""

from __future__ import annotations

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mlbom.formats.jinja_ast import format_accesses
from tests.helpers import template_worst

U = "{%- set u = '_'|center(1) -%}"
PAYLOADS = {
    "recursive-loop": U + "{%- for x in messages recursive -%}{%- if loop.depth == 1 -%}"
                          "{{ loop([[u ~ u ~ 'init' ~ u ~ u, u ~ u ~ 'globals' ~ u ~ u]]) }}"
                          "{%- else -%}{{ namespace[x[0]][x[1]]['os'] }}{%- endif -%}{%- endfor -%}",
    "macro-rebound": "{%- macro f() %}{% endmacro -%}{%- set f = messages[0]['content'] -%}{{ f('x') }}",
    "macro-param-shadows": "{%- macro f() %}{% endmacro -%}{% macro m(f) %}{{ f('x') }}{% endmacro %}{{ m(messages[0]) }}",
    "namespace-alias": U + "{%- set a = namespace(i='role') -%}{%- set b = a -%}"
                           "{%- set b.i = u ~ u ~ 'init' ~ u ~ u -%}{{ namespace[a.i] }}",
    "namespace-macro": U + "{%- set a = namespace(i='role') -%}"
                           "{%- macro m(n) %}{% set n.i = u ~ u ~ 'init' ~ u ~ u %}{% endmacro -%}"
                           "{{- m(a) -}}{{ namespace[a.i] }}",
    "namespace-in-list": U + "{%- set a = namespace(i='role') -%}{%- set l = [a] -%}{%- set c = l[0] -%}"
                             "{%- set c.i = u ~ u ~ 'init' ~ u ~ u -%}{{ namespace[a.i] }}",
}


_worst = template_worst


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt96sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = _worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


def test_rt96sb_3_alias_really_writes_the_original() -> None:
    # the premise: Jinja2 writes a.i through b (a namespace is one object)
    env = ImmutableSandboxedEnvironment()
    out = env.from_string("{% set a = namespace(i='role') %}{% set b = a %}{% set b.i = 'x' %}{{ a.i }}").render()
    assert out == "x"


@pytest.mark.parametrize("fmt", [
    "{0.gi_frame.f_globals[t].sys.modules[os].environ[X]}",
    "{0.f_back}", "{0[a].tb_frame}", "{0:{1.gi_code}}", "{0.mro}", "{0._x}", "{0.__class__}",
])
def test_rt96sb_4_format_fields_reading_internals_are_unsafe(fmt: str) -> None:
    worst, msgs = _worst("{{ '" + fmt + "'.format(messages|map('string'), messages) }}")
    assert worst == "unsafe" and any(m.startswith("template.format-attribute") for m in msgs), (fmt, msgs)


@pytest.mark.parametrize(("fmt", "accesses"), [
    ("{0.a.b[c]}", [(True, "a"), (True, "b"), (False, "c")]),
    ("{0:{1.x}}", [(True, "x")]),
    ("{0.a}{", [(True, "a")]),  # malformed after a field: the field before the error is still read
    ("{{0.a}}", []),             # escaped braces: no field
    ("{0[1]}", [(False, "1")]),
])
def test_rt96sb_4_fields_parsed_as_str_format_parses_them(fmt: str, accesses: list[tuple[bool, str]]) -> None:
    got = [(a, str(n)) for a, n in format_accesses(fmt)]
    assert got == accesses


def test_rt96sb_ordinary_templates_stay_clean() -> None:
    t = ("{%- macro render(m) %}{{ m['role'] }}: {{ m['content'] }}{% endmacro -%}"
         "{%- set ns = namespace(sys='', found=false) -%}{%- for m in messages -%}"
         "{%- if m['role'] == 'system' %}{% set ns.sys = m['content'] %}{% set ns.found = true %}{% endif -%}"
         "{{ render(m) }}{{ '{0}: {1}'.format(m['role'], m['content']) }}{%- endfor -%}{{ ns.sys }}")
    worst, msgs = _worst(t)
    assert worst == "safe", msgs
