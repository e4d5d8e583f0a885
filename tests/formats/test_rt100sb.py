"""Red team 100sb: five more ways past the chat-template judge, each now judged.

100sb-1: ``(x if false)`` renders Undefined ('' when joined, ``|default``'s argument), not ``None``:
not folded. 100sb-2: ``'{0[0]}init'.format('_')`` is not its format string: not folded.
100sb-3: ``loop.previtem``/``nextitem`` are other elements of the iterable (a dict the template
built). 100sb-4: a macro's ``varargs`` hold whatever a call passes. 100sb-5: ``|first``/``|last``
and a conditional with one string branch are not surely strings, so a mapping there is tracked.
"""

from __future__ import annotations

import pytest
from jinja2 import Environment

from tests.helpers import template_worst

A = "{% set a = ('q' if false) %}"
PAYLOADS = {
    "cond-without-else": A + "{{ ''|attr(a ~ '_' ~ a ~ '_class' ~ a ~ '_' ~ a ~ '_') }}",
    "cond-default": "{{ ''|attr(('q' if false)|default('_') ~ '_class__') }}",
    "format-item-field": "{{ ''|attr('{0[0]}{0[0]}class{0[0]}{0[0]}'.format('_')) }}",
    "previtem": "{% for d in [{'upper': namespace}, 0] %}{{ loop.previtem.upper('x') if loop.previtem }}{% endfor %}",
    "nextitem": "{% for d in [0, {'upper': namespace}] %}{{ loop.nextitem.upper('x') if loop.nextitem }}{% endfor %}",
    "varargs": "{% macro m() %}{{ varargs[0].upper('x') }}{% endmacro %}{{ m({'upper': namespace}) }}",
    "varargs-loop": "{% macro m() %}{% for d in varargs %}{{ d.upper('x') }}{% endfor %}{% endmacro %}"
                    "{{ m({'upper': namespace}) }}",
    "first-of-list": "{{ ([{'upper': namespace}]|first).upper('x') }}",
    "cond-one-string": "{{ ({'upper': namespace} if true else 'a' ~ 'b').upper('x') }}",
}


_worst = template_worst


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt100sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = _worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


def test_rt100sb_premises() -> None:
    env = Environment()
    assert env.from_string("{{ 'x' ~ ('q' if false) ~ 'y' }}").render() == "xy"
    assert env.from_string("{{ ('q' if false)|default('_') }}").render() == "_"
    assert env.from_string("{{ '{0[0]}i'.format('_') }}").render() == "_i"


@pytest.mark.parametrize("template", [
    "{% for m in messages %}{{ m['content'].strip() }}{% if loop.previtem %}{{ loop.previtem['role'] }}{% endif %}"
    "{% endfor %}",
    "{{ ('a' if messages else 'b').upper() }}{{ (messages|first)['content'] }}",
    "{{ '{0}: {1}'.format(messages[0]['role'], messages[0]['content']) }}",
])
def test_rt100sb_ordinary_templates_stay_clean(template: str) -> None:
    worst, msgs = _worst(template)
    assert worst == "safe", msgs
