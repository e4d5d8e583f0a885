"""Red team 105sb (against the 104sb fix): the text of an uncalled builtin method reached a
string filter by other spellings than ``x.method|lower`` — an item, a conditional, a list's first,
a loop variable, a set, a namespace attribute, a dict value — and was cut into ``__class__``.
A string filter of data is data only when its operand is a plain path into what the renderer
passes, through names bound only to such paths."""

from __future__ import annotations

import pytest

from tests.helpers import template_worst

M = "(1).as_integer_ratio"
CUT = "{{ messages[0][s[19] + s[19] + s[45] + s[4] + s[17] + s[18] + s[18] + s[19] + s[19]] }}"
PAYLOADS = {
    "item": "{%- set s = (1)['as_integer_ratio']|lower -%}" + CUT,
    "conditional": f"{{%- set s = ({M} if true)|lower -%}}" + CUT,
    "list-first": f"{{%- set s = [{M}]|first|lower -%}}" + CUT,
    "loop": f"{{%- for f in [{M}] -%}}{{%- set s = f|lower -%}}" + CUT + "{%- endfor -%}",
    "set": f"{{%- set f = {M} -%}}{{%- set s = f|lower -%}}" + CUT,
    "namespace": f"{{%- set ns = namespace(f={M}) -%}}{{%- set s = ns.f|lower -%}}" + CUT,
    "dict-value": f"{{%- set s = {{'a': {M}}}.a|lower -%}}" + CUT,
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt105sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = template_worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


@pytest.mark.parametrize("template", [
    "{%- for m in messages -%}{{ tools[0][m['role']|lower] }}{%- endfor -%}",
    "{%- set loop_messages = messages[1:] -%}{%- for m in loop_messages -%}{%- for tc in m.tool_calls -%}"
    "{{ tools[0][tc.function.name|trim|lower] }}{%- endfor -%}{%- endfor -%}",
])
def test_rt105sb_string_filters_of_data_paths_stay_data(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs
