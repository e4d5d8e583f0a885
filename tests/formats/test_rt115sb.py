"""Red team 115sb-1: the output of ``|select``, ``|reject``, ``|selectattr``, ``|rejectattr``,
``|unique``, ``|map``, ``|items`` (jinja2.filters yields) was taken for "the renderer's data itself"
as a receiver: it is a generator object, whose ``gi_frame.f_globals`` are ``jinja2.filters``' module
globals (``['random']['_os']`` is ``os``). A name the messages choose applied to one (an item key,
an attribute path, held in a name, a namespace attribute, a literal) is now a computed name; looping
over such a filter still gives the data's items."""

from __future__ import annotations

import pytest

from tests.helpers import template_worst

WALK = "[messages[0].content][messages[1].content]['random'][messages[2].content].environ['HOME']"
FLAGGED = [
    "{{ (messages|select)" + WALK + " }}",
    "{{ (messages|rejectattr('tool_calls'))" + WALK + " }}",
    "{{ (messages[0]|items)" + WALK + " }}",
    "{{ (messages|unique)" + WALK + " }}",
    "{{ (messages|map(attribute='role'))" + WALK + " }}",
    "{% set g = messages|selectattr('role') %}{{ g" + WALK + " }}",
    "{% set ns = namespace(g=messages|select) %}{{ ns.g" + WALK + " }}",
    "{% set d = {'g': messages|reject} %}{{ d.g" + WALK + " }}",
    "{% for g in [messages|select] %}{{ g" + WALK + " }}{% endfor %}",
    "{% for m in messages %}{{ [messages|select]|groupby(m.role)|first|first }}{% endfor %}",
    "{% for m in messages %}{{ [messages|select]|map(attribute=m.role)|first }}{% endfor %}",
]
CLEAN = [
    "{% set tags = {'user': 'U', 'assistant': 'A'} %}{% for m in messages|selectattr('role', 'ne', 'system') %}"
    "{{ tags[m['role']] }}{{ m[m.role] }}{% endfor %}",
    "{% for m in messages|reject('none') %}{{ m.content }}{% endfor %}",
    "{% set ms = messages|selectattr('role', 'ne', 'system')|list %}{{ ms[0][ms[0].role] }}",
    "{% for k, v in tools[0]|items %}{{ k }}={{ v }}{% endfor %}",
]


@pytest.mark.parametrize("template", FLAGGED)
def test_template_generators_are_no_data_receivers(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs


@pytest.mark.parametrize("template", CLEAN)
def test_template_loops_over_generator_filters_stay_clean(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs
