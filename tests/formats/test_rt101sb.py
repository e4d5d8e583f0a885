"""Red team 101sb: namespace attributes, list mutation and a fold Python refuses.

101sb-1: a namespace made outside ``set x = namespace(k=…)`` (in a ``for``/``with``, from a mapping)
starts with values no ``set ns.k`` shows, so ``set ns.k = 0`` alone made ``ns.k`` a number.
101sb-2: an attribute set only by ``set ns.x`` may be Undefined where it is read (a set under
``{% if false %}``): ``ns.x|default('_')`` is ``_``, not the set's constant. 101sb-3:
``l.append({'upper': v})`` puts a template-built mapping into a list no binding shows. 101sb-4:
``'a'.upper('b')`` raised TypeError inside the judge (internal error) instead of being unknown.
"""

from __future__ import annotations

import pytest

from tests.helpers import template_worst

U = "{%- set u = '_'|center(1) -%}"
PAYLOADS = {
    "namespace-in-for": U + "{% for ns in [namespace(k=u ~ u ~ 'init' ~ u ~ u)] %}{% set ns.k = 0 %}"
                            "{{ namespace[ns.k] }}{% endfor %}",
    "namespace-in-with": U + "{% with ns = namespace(k=u ~ u ~ 'init' ~ u ~ u) %}{{ namespace[ns.k] }}{% endwith %}"
                             "{% set other = namespace(k=0) %}{% set other.k = 1 %}",
    "namespace-from-mapping": "{% set ns = namespace({'k': messages[0]['role'] ~ 'x'}) %}{% set ns.k = 0 %}"
                              "{{ namespace[ns.k] }}",
    "set-never-run": "{% set ns = namespace() %}{% if false %}{% set ns.x = 'a' %}{% endif %}"
                     "{{ ''|attr(ns.x|default('_') ~ '_class__') }}",
    "append-mapping": "{% set l = [] %}{{ l.append({'upper': namespace}) or '' }}{{ l[0].upper('x') }}",
    "extend-mapping": "{% set l = [] %}{{ l.extend([{'upper': namespace}]) or '' }}{{ l[0].upper('x') }}",
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt101sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = template_worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


def test_rt101sb_4_a_fold_python_refuses_is_unknown_not_an_error() -> None:
    worst, msgs = template_worst("{{ 'a'.upper('b') if false }}{{ messages[0]['content'] }}")
    assert worst == "safe", msgs


@pytest.mark.parametrize("template", [
    "{% set ns = namespace(i=0) %}{% for m in messages %}{% set ns.i = ns.i + 1 %}{% endfor %}"
    "{{ messages[ns.i - 1]['content'] }}",
    "{% set parts = [] %}{% for m in messages %}{{ parts.append(m['content']) or '' }}{% endfor %}{{ parts|join }}",
])
def test_rt101sb_ordinary_templates_stay_clean(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs
