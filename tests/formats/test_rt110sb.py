"""Red team 110sb found no bypass and three false-positive classes in the template judge. Fixed
here: a string filter of a loop variable over ``x.values()``/``x.items()``/``x|items``/``x|dictsort``
of the renderer's data is data (``type_map[p['type']|lower]``); a constant list indexed by a number
and ``loop.cycle('user', 'assistant')`` are one of their constants. A name bound to
``roles[loop.index0 % 2]`` was left flagged here and is clean since (test_template_numeric_keys.py);
int-returning methods (``messages.index(m)``) as keys stay flagged."""

from __future__ import annotations

import pytest

from tests.helpers import template_worst

TYPES = "{%- set type_map = {'string': 'str', 'integer': 'int', 'number': 'float', 'boolean': 'bool'} -%}"
TAGS = "{%- set tags = {'user': '[INST] ', 'assistant': '[/INST] '} -%}"
CLEAN = [
    TYPES + "{%- for tool in tools %}{% for name, p in tool.function.parameters.properties.items() %}"
    "{{ name }}: {{ type_map[p['type']|lower] }}{% endfor %}{% endfor %}",
    TYPES + "{%- for tool in tools %}{% for name, p in tool.function.parameters.properties|dictsort %}"
    "{{ type_map[p.type|trim|lower] }}{% endfor %}{% endfor %}",
    TYPES + "{%- for tool in tools %}{% for p in tool.function.parameters.properties.values() %}"
    "{{ type_map[p.type|lower] }}{% endfor %}{% endfor %}",
    TAGS + "{%- for m in messages %}{{ tags[['user', 'assistant'][loop.index0 % 2]] }}{{ m.content }}{%- endfor %}",
    TAGS + "{%- for m in messages %}{{ tags[loop.cycle('user', 'assistant')] }}{{ m.content }}{%- endfor %}",
]
FLAGGED = [
    "{%- for m in messages %}{{ m[['user', '__cla' ~ 'ss__'][loop.index0 % 2]] }}{%- endfor %}",
    "{%- set u = '_' -%}{%- for m in messages %}{{ m[loop.cycle('user', u ~ u ~ 'class' ~ u ~ u)] }}{%- endfor %}",
    "{%- set roles = ['user', 'assistant'] %}{% set roles = [m ~ 'x'] %}{%- for m in messages %}"
    "{{ m[roles[loop.index0 % 2]] }}{%- endfor %}",
    "{%- set u = '_' -%}{%- for tool in tools %}{% for p in tool.function.parameters.properties.values() %}"
    "{{ tool[p.type|replace('string', u ~ u ~ 'class' ~ u ~ u)] }}{% endfor %}{% endfor %}",
]


@pytest.mark.parametrize("template", CLEAN)
def test_rt110sb_idioms_stay_clean(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs


@pytest.mark.parametrize("template", FLAGGED)
def test_rt110sb_the_same_shapes_with_built_names_are_not_safe(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs
