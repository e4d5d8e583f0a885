"""A name bound to a constant list indexed by arithmetic on numbers (``set r = roles[loop.index0 %
2]``, Mistral-style role alternation) is one of the list's constants: ``%`` of two numbers is a
number, not string formatting. The judge now knows the numeric names before it closes the set of
computed names (left flagged by red team 110sb's fix). ``%`` with a string on the left, or a number
that is really a string, still builds a name."""

from __future__ import annotations

import pytest

from tests.helpers import template_worst

ROLES = "{%- set roles = ['user', 'assistant'] -%}"
CLEAN = [
    ROLES + "{%- for m in messages %}{% set r = roles[loop.index0 % 2] %}{{ m[r] if m[r] is defined "
    "else m['content'] }}{% endfor %}",
    "{%- for m in messages %}{% set r = ['user', 'assistant'][loop.index0 % 2] %}{{ m[r] }}{% endfor %}",
    ROLES + "{%- set ns = namespace(i=0) -%}{%- for m in messages %}{% set r = roles[(ns.i + 1) % 2] %}"
    "{% set ns.i = ns.i + 1 %}{{ m[r] }}{% endfor %}",
    ROLES + "{%- for m in messages %}{% set i = loop.index0 * 3 + 1 %}{% set r = roles[i % 2] %}{{ m[r] }}"
    "{% endfor %}",
]
FLAGGED = [
    # '%' formats a string here: r is built
    "{%- for m in messages %}{% set r = '__%s__' % 'class' %}{{ m[r] }}{% endfor %}",
    "{%- set u = '_' -%}{%- for m in messages %}{% set r = (u ~ u ~ '%s' ~ u ~ u) % 'class' %}{{ m[r] }}"
    "{% endfor %}",
    # the index is no number: a string modulo something is formatting
    "{%- set roles = ['user', 'assistant'] -%}{%- set u = '_' -%}{%- for m in messages %}"
    "{% set r = (u ~ u ~ '%s' ~ u ~ u) % roles[loop.index0 % 2] %}{{ m[r] }}{% endfor %}",
    # a 'numeric' name that is also bound to a built string
    "{%- set roles = ['user', 'assistant'] -%}{%- set u = '_' -%}{% set i = 1 %}{% set i = u ~ u ~ 'class' ~ u ~ u %}"
    "{%- for m in messages %}{% set r = i % 2 %}{{ m[r] }}{% endfor %}",
    # `loop` rebound to a mapping: loop.index0 % loop.length formats '__class%s' with '__' (renders
    # dict.__class__ under a plain Environment); numbers only while the judge has not seen the set
    "{%- set u = '_' -%}{%- set loop = {'index0': u ~ u ~ 'class%s', 'length': u ~ u} -%}"
    "{%- set r = loop.index0 % loop.length -%}{{ messages[0][r] }}",
    # the list holds a built string
    "{%- set u = '_' -%}{%- set roles = ['user', u ~ u ~ 'class' ~ u ~ u] -%}{%- for m in messages %}"
    "{% set r = roles[loop.index0 % 2] %}{{ m[r] }}{% endfor %}",
]


@pytest.mark.parametrize("template", CLEAN)
def test_numeric_index_into_constant_roles_is_clean(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs


@pytest.mark.parametrize("template", FLAGGED)
def test_string_formatting_and_built_lists_stay_flagged(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs
