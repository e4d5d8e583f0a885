"""Red team 108sb (against the 107sb fix). -1: the namespace-name rule covered only ``set ns.X``:
``namespace(join=s['format'])`` stored a str.format fetched by ITEM (the sandbox's getitem falls
back to getattr) under a name ``|wordwrap(wrapstring=ns)`` calls; now ``namespace(...)`` keywords and
constant keys are judged as namespace attributes, and an item ``format`` of a value the template
built is a format-method fetch. -2 (FP): the renderer's data through ``|default([])``,
``|default({})`` or ``or []`` (Gemma 4: ``value['required'] | default([])``) is still data."""

from __future__ import annotations

import pytest

from tests.helpers import template_worst

U = "{%- set u = ('a_b'|batch(1)|list)[1][0] -%}{%- set s = '{0.' ~ u ~ u ~ 'class' ~ u ~ u ~ '}' -%}"
PAYLOADS = {
    "namespace-keyword-join": U + "{%- set ns = namespace(join=s['format']) -%}{{ 'a b'|wordwrap(1, wrapstring=ns) }}",
    "namespace-dict-join": U + "{%- set ns = namespace({'join': s['format']}) -%}{{ 'a b'|wordwrap(1, wrapstring=ns) }}",
    "namespace-keyword-items": "{%- set ns = namespace(items=messages[0].content.upper) -%}{{ ns|dictsort }}",
    "item-format-called": U + "{{ s['format'](messages) }}",
    "item-format-map": U + "{%- set f = s['format_map'] -%}{{ f({}) }}",
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt108sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = template_worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


P = "{%- for t in tools -%}{%- set p = t.function.parameters -%}"
E = "{%- endfor -%}{%- endfor -%}"


@pytest.mark.parametrize("template", [
    P + "{%- for r in p.required | default([]) -%}{{ r }}: {{ p.properties[r].type }}\n" + E,
    P + "{%- set props = p.properties | default({}) -%}{%- for name in props -%}{{ props[name].type }}\n" + E,
    "{%- for m in messages -%}{%- for tc in m.tool_calls | default([]) -%}{%- set args = tc.function.arguments -%}"
    "{%- for k in args -%}{{ k }}={{ args[k] }}{%- endfor -%}{%- endfor -%}{%- endfor -%}",
    "{%- set tools = tools or [] -%}" + P + "{%- for name in p.properties -%}{{ p.properties[name].type }}" + E,
    # a JSON schema's "format" key read from the renderer's data is an item, not str.format
    P + "{%- for name in p.properties -%}{{ p.properties[name]['format'] }}" + E,
])
def test_rt108sb_data_through_defaults_stays_data(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs
