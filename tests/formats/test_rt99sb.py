"""Red team 99sb: five more ways past the chat-template judge, each now judged.

99sb-1: ``for i in range(1) recursive`` — ``loop([...])`` rebinds ``i`` to strings: not a number.
99sb-2: ``namespace(i=0)`` written through an alias (``set b = a; set b.i = …``): ``a.i`` is a number
only when every namespace's ``i`` is written numbers only. 99sb-3: a ``set`` that may not run (under
``{% if false %}``, after the read) leaves the name the renderer's variable (the model's token text):
never a folded constant or a number. 99sb-4: a ``{% call(d) %}`` parameter filled by
``caller({'upper': v})`` and a recursive loop target filled by ``loop([{'upper': v}])`` may hold a
template-built mapping. 99sb-5: ``x.update({'upper': v})``/``setdefault`` puts a value under a
method's name into a dict the template did not build.
"""

from __future__ import annotations

import pytest

from tests.helpers import template_worst

RUN = "{%- macro run(f) -%}{{- caller({'upper': f}) -}}{%- endmacro -%}"
PAYLOADS = {
    "recursive-range": "{%- for i in range(1) recursive -%}{%- if loop.depth == 1 -%}{{ loop(['x']) }}"
                       "{%- else -%}{{ namespace[i] }}{%- endif -%}{%- endfor -%}",
    "namespace-number-alias": "{%- set a = namespace(i=0) -%}{%- set b = a -%}{%- set b.i = messages[0]['role'] ~ 'x' -%}"
                              "{{ namespace[a.i] }}",
    "namespace-number-macro": "{%- set a = namespace(i=0) -%}{% macro m(n) %}{% set n.i = 'x' ~ n.i %}{% endmacro %}"
                              "{{ m(a) }}{{ namespace[a.i] }}",
    "set-under-if-false": "{%- if false -%}{%- set bos_token = 0 -%}{%- endif -%}{{ namespace[bos_token] }}",
    "set-after-read": "{{ namespace[x] }}{% set x = 'role' %}",
    "callblock-param": RUN + "{%- call(d) run(messages|first) -%}{{ d.upper('x') }}{%- endcall -%}",
    "recursive-loop-target": "{%- for d in messages recursive -%}{%- if loop.depth == 1 -%}"
                             "{{ loop([{'upper': namespace}]) }}{%- else -%}{{ d.upper('x') }}{%- endif -%}{%- endfor -%}",
    "update-then-method": "{% set g = messages[0] %}{{ g.update({'upper': namespace}) or '' }}{{ g.upper('x') }}",
    "setdefault-then-method": "{{ messages[0].setdefault('strip', namespace) }}{{ messages[0].strip() }}",
}


_worst = template_worst


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt99sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = _worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


@pytest.mark.parametrize("template", [
    "{% set ns = namespace(i=0) %}{% macro bump(s) %}{% set s.i = s.i + 1 %}{% endmacro %}"
    "{% for m in messages %}{{ bump(ns) }}{{ messages[ns.i - 1]['content'] }}{% endfor %}",
    "{% if messages[0]['role'] == 'system' %}{% set sys = messages[0]['content'] %}{% else %}{% set sys = '' %}"
    "{% endif %}{{ sys.strip() }}",
    "{% for i in range(messages|length) %}{{ messages[i]['content'] }}{% endfor %}",
])
def test_rt99sb_ordinary_templates_stay_clean(template: str) -> None:
    worst, msgs = _worst(template)
    assert worst == "safe", msgs
