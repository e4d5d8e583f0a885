"""Red team 116sb.

116sb-1: a ``|select``/``|reject``/… generator wrapped in a list, tuple or dict literal and taken
back out (``[g]|first``, ``(1, g)|last``, ``|list|first``, ``.values()|first``, ``.get('g')``,
``([g] + [])[0]``) or passed as ``|default``'s argument counted as the renderer's data: message-chosen
keys walked ``gi_frame.f_globals['random']._os`` to ``os`` under a plain Environment. "May be a
generator" (or another Python object of Jinja2's) is now followed through every flow, and context
data holds none.

Lead of 115sb-1/116sb-1: an allowed method (``remove``, ``pop``…) called on what a walk chosen at
render time reached is an odd call.

116sb-2: the generator check followed every binding of a name with no memo (12 names set three
times each: 5.4 s); it is now one least fixpoint over the bindings.
"""

from __future__ import annotations

import pytest

from mlbom.formats import jinja_ast
from tests.helpers import template_worst

W = "[messages[0].content][messages[1].content]['random'][messages[2].content].environ['HOME']"
G = "messages|select"
BYPASSES = [
    "{{ ([" + G + "]|first)" + W + " }}",
    "{{ ((1, messages|reject)|last)" + W + " }}",
    "{{ ([" + G + "]|list|first)" + W + " }}",
    "{{ ({'g': " + G + "}.values()|first)" + W + " }}",
    "{{ {'g': " + G + "}.get('g')" + W + " }}",
    "{{ ([" + G + "] + [])[0]" + W + " }}",
    "{% set L = [" + G + "] + [] %}{{ L[0]" + W + " }}",
    "{{ (messages[99]|default(" + G + "))" + W + " }}",
    "{{ (messages[0].missing|d(messages|reject))" + W + " }}",
    "{% for m in messages %}{% if loop.index0 == 3 %}{{ m.content.format([" + G + "]|first) }}{% endif %}{% endfor %}",
    "{% for m in messages %}{% if loop.index0 == 3 %}{{ [[" + G + "]|first]|map(attribute=m.content)|first }}"
    "{% endif %}{% endfor %}",
    "{% if messages|length > 4 %}{{ (([" + G + "]|first)[messages[0].content][messages[1].content]['random']"
    "[messages[2].content]).remove(messages[4].content) }}{% endif %}",
    # other flows of the same value
    "{{ ([messages[0], " + G + "]|last)" + W + " }}",
    "{{ ([[" + G + "]]|first|first)" + W + " }}",
    "{{ ([" + G + "]|sort|first)" + W + " }}",
    "{{ ([" + G + "]|reverse|first)" + W + " }}",
    "{% with L = [" + G + "] %}{{ (L|first)" + W + " }}{% endwith %}",
    "{% set ns = namespace(L=[" + G + "]) %}{{ (ns.L|first)" + W + " }}",
    "{% set ns = namespace(L=[]) %}{% set ns.L = [" + G + "] %}{{ (ns.L|first)" + W + " }}",
    "{% macro f(L) %}{{ (L|first)" + W + " }}{% endmacro %}{{ f([" + G + "]) }}",
    "{% macro f(x) %}{{ x" + W + " }}{% endmacro %}{{ f(messages[9]|default(" + G + ")) }}",
    "{% for L in [[" + G + "]] %}{{ (L|first)" + W + " }}{% endfor %}",
    "{% for k, v in {'g': " + G + "}|items %}{{ v" + W + " }}{% endfor %}",
    "{% for k, v in {'g': " + G + "}.items() %}{{ v" + W + " }}{% endfor %}",
    "{{ ({'g': " + G + "}|dictsort|first|last)" + W + " }}",
    "{% set a = [" + G + "] %}{% set b = a %}{% set c = b|first %}{{ c" + W + " }}",
    "{{ (" + G + ").gi_yieldfrom" + W + " }}",
    # loop is Jinja2's LoopContext inside a for, whatever a set outside bound (loop.cycle.__globals__)
    "{% set loop = [] %}{% for x in messages %}{{ ([loop]|first)[messages[0].content][messages[1].content]"
    "[messages[2].content] }}{% endfor %}",
]
# flows the old judge flagged already (kept: the new predicates must not lose them)
HELD = [
    "{{ ((" + G + ") if messages else none)" + W + " }}",
    "{{ (messages[9] or " + G + ")" + W + " }}",
    "{% for x in messages %}{{ loop.cycle(" + G + ", 1)" + W + " }}{% endfor %}",
    "{{ (messages|map('select')|first)" + W + " }}",
    "{{ ([messages]|map('reject')|first)" + W + " }}",
    "{{ dict(g=" + G + ").g" + W + " }}",
    "{{ ([" + G + "]|batch(1)|first|first)" + W + " }}",
    "{{ ([" + G + "] * 2)[0]" + W + " }}",
    "{{ ([1]|batch(2, " + G + ")|first|last)" + W + " }}",
    "{{ (messages|attr(messages[0].content)).pop() }}",
]
LEAD = [
    "{{ messages[0][messages[1].content][messages[2].content].pop(messages[3].content) }}",
    "{% set x = messages[0][messages[1].content] %}{{ x.remove(messages[2].content) }}",
    "{% for m in messages %}{{ (messages|map(attribute=m.content)|first).remove(1) }}{% endfor %}",
    "{% for x in messages[0][messages[1].content] %}{{ x.pop() }}{% endfor %}",
    "{{ ([messages[0][messages[1].content]]|first).remove(messages[2].content) }}",
    "{{ {}.get('a', messages[0][messages[1].content]).pop() }}",
    "{{ (none or messages[0][messages[1].content]).pop() }}",
    "{% set ns = namespace(o=none) %}{% set ns.o = messages[0][messages[1].content] %}{{ ns.o.pop() }}",
]
CLEAN = [
    # Hermes-2-Pro's json_to_python_type(json_spec|items): an attribute a generator lacks is Undefined
    "{%- macro t(json_spec) %}{%- set m = {'string': 'str'} %}{%- if m[json_spec.type] is defined %}"
    "{{ m[json_spec.type] }}{%- elif json_spec.type == 'array' %}{{ t(json_spec|items) }}{%- endif %}"
    "{%- endmacro %}{% for tool in tools %}{{ t(tool.function.parameters) }}{% endfor %}",
    "{% for m in messages|selectattr('role', 'ne', 'system') %}{{ m[m.role] }}{% endfor %}",
    "{% set sys = messages|selectattr('role', 'equalto', 'system')|first %}{{ sys.content.strip() }}",
    "{% set ms = messages|rejectattr('role', 'equalto', 'tool')|list %}{{ ms[0][ms[0].role] }}",
    "{% for m in messages %}{% set tc = m.tool_calls|default([]) %}{% for t in tc %}{{ t[t.type] }}{% endfor %}"
    "{% endfor %}",
    "{% for m in messages %}{{ m.content.split(m.role)[0].strip() }}{{ m[m.role] }}{% endfor %}",
    "{% set k = 'content' %}{% for m in messages %}{{ m[k].strip() }}{% endfor %}",
    "{% set names = {'user': 'U'} %}{% for m in messages %}{{ names.get(m.role, m.role).upper() }}{% endfor %}",
]


@pytest.mark.parametrize("template", BYPASSES)
def test_rt116sb_generator_flows_are_no_data(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs


@pytest.mark.parametrize("template", LEAD)
def test_rt116sb_methods_on_data_chosen_walks_are_odd_calls(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs


@pytest.mark.parametrize("template", HELD)
def test_rt116sb_flows_held_before_stay_flagged(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs


@pytest.mark.parametrize("template", CLEAN)
def test_rt116sb_real_idioms_stay_clean(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs


def _chain(names: int, sets: int) -> str:
    body = "".join(f"{{% set a{i} = a{i + 1} %}}" * sets for i in range(names))
    return body + f"{{% set a{names} = messages %}}{{% for m in messages %}}{{{{ a0[m.content] }}}}{{% endfor %}}"


def test_rt116sb_generator_check_is_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a timing test: the generator predicate is asked O(bindings) times. The old walk asked
    it 3**names times (40 names set three times each: 10**19 calls)."""
    calls = 0
    real = jinja_ast._Judge._gen_of

    def counted(self: jinja_ast._Judge, node: object, itself: bool) -> bool:
        nonlocal calls
        calls += 1
        return real(self, node, itself)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja_ast._Judge, "_gen_of", counted)
    worst, msgs = template_worst(_chain(40, 3))
    assert worst == "safe", msgs
    assert calls < 20_000, calls


# 116sb-3: json.loads of the data's text is data (vLLM's / llama-cpp-python's from_json idiom)
FROM_JSON_CLEAN = [
    "{% for m in messages %}{% for tc in m.tool_calls or [] %}{% set args = tc.function.arguments if "
    "tc.function.arguments is mapping else tc.function.arguments|from_json %}{% for k in args %}<parameter={{ k }}>"
    "{{ args[k] }}</parameter>{% endfor %}{% endfor %}{% endfor %}",
]
FROM_JSON_FLAGGED = [
    # of a string the template wrote: its own keys
    "{% set d = '{\"mro\": 1}'|from_json %}{% for k in d %}{{ messages[0][k] }}{% endfor %}",
    # of the data, but wrapped around a generator: no data
    "{% for m in messages %}{{ ([m.content|from_json, " + G + "]|last)" + W + " }}{% endfor %}",
]


@pytest.mark.parametrize("template", FROM_JSON_CLEAN)
def test_rt116sb_from_json_of_data_is_data(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs


@pytest.mark.parametrize("template", FROM_JSON_FLAGGED)
def test_rt116sb_from_json_of_template_text_is_not(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs


# own attack: str.format of the data's text reads attributes of its arguments with Python's getattr
# under a plain Environment; an argument that may be Undefined (a key the message lacks) leads to
# Undefined.__init__.__globals__ (jinja2.runtime's: sys.modules['os'])
FORMAT_FLAGGED = [
    "{% for m in messages %}{{ m.content.format(m.name) }}{% endfor %}",
    "{% for m in messages %}{{ m.content.format(m, m.role) }}{% endfor %}",
    "{% for m in messages %}{{ m.content.format(x=[m.name]) }}{% endfor %}",
    "{% for m in messages %}{% for n in [m.name] %}{{ m.content.format(n) }}{% endfor %}{% endfor %}",
]
FORMAT_CLEAN = [
    "{% for m in messages %}{{ m.content.format(m) }}{{ '{0[content]}'.format(m) }}{% endfor %}",
    "{% for m in messages %}{% for tc in m.tool_calls %}{{ m.content.format(tc, messages) }}{% endfor %}{% endfor %}",
]


@pytest.mark.parametrize("template", FORMAT_FLAGGED)
def test_rt116sb_format_arguments_that_may_be_undefined(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs


@pytest.mark.parametrize("template", FORMAT_CLEAN)
def test_rt116sb_format_of_data_by_data_elements_stays_clean(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs
