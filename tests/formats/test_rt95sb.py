"""Red team 95sb: the chat-template judge folds filters with Jinja2's own filters, and a call of a
namespace attribute is a call of the stored value.

95sb-1: ``_filter_value`` re-implemented ``trim`` (no ``chars``), ``sort``/``unique`` (case-sensitive;
Jinja2 folds case), ``title`` (``str.title``) and ``e`` (no escaping): each made a constant the judge
took for harmless render as ``_`` (``'x_'|trim('x')|first``), so ``|attr(u ~ u ~ 'init' ~ u ~ u)``
reached ``__init__.__globals__`` in a renderer without a sandbox while the scan said ``safe``.
95sb-2: ``{% set ns.get = g[0] %}{{ ns.get(…) }}`` passed as a call of the ``dict.get`` method.
"""

from __future__ import annotations

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tests.helpers import template_worst

_worst = template_worst


_RT_TEMPLATE = (
    "{%- set u = 'x_'|trim('x')|first -%}\n{%- set ns = namespace() -%}\n"
    "{%- set ns.get = (namespace|attr(u ~ u ~ 'init' ~ u ~ u)|attr(u ~ u ~ 'globals' ~ u ~ u))"
    ".get('xosx'|trim('x'))|attr('xsystemx'|trim('x')) -%}\n{{- ns.get('touch /tmp/x') -}}\n"
    "{%- for message in messages %}{{ message['role'] + ': ' + message['content'] }}{% endfor -%}")


def test_rt95sb_1_red_team_template_is_unsafe() -> None:
    worst, msgs = _worst(_RT_TEMPLATE)
    assert worst == "unsafe", msgs
    assert any(m.startswith("template.dunder-access") for m in msgs), msgs


# expressions whose rendered value is "_" though a naive reading gives a letter
_UNDERSCORE = [
    "'x_'|trim('x')|first",              # trim(chars)
    "'x_x'|trim(chars='x')",
    "['B', '_', 'a']|sort|first",        # case-insensitive sort
    "(['x', 'X', '_']|unique|list)[1]",  # case-insensitive unique
    "('a_'|title)[1]",
    "(['a', '_']|reverse|list)[0]",
]


@pytest.mark.parametrize("expr", _UNDERSCORE)
def test_rt95sb_1_folding_agrees_with_jinja2(expr: str) -> None:
    env = ImmutableSandboxedEnvironment()
    assert env.from_string("{{ " + expr + " }}").render() == "_"  # the premise: Jinja2 renders "_"
    path = "u ~ u ~ 'cl' ~ 'ass' ~ u ~ u"
    worst, msgs = _worst("{% set u = " + expr + " %}{{ ''|attr(" + path + ") }}")
    assert worst == "unsafe", (expr, msgs)
    assert any("__class__" in m for m in msgs), (expr, msgs)


@pytest.mark.parametrize(("expr", "rendered"), [
    ("('a1b'|title)", "A1b"),      # Jinja2's word split, not str.title ('A1B')
    ("('<'|e)[1:3]", "lt"),        # escaping happens: the letters come from '&lt;'
    ("['b', 'A']|sort|join", "Ab"),
])
def test_rt95sb_1_folded_values_are_jinja2_values(expr: str, rendered: str) -> None:
    env = ImmutableSandboxedEnvironment()
    assert env.from_string("{{ " + expr + " }}").render() == rendered
    # a value folded as Jinja2 computes it: an attribute named by it is judged by that name
    worst, msgs = _worst("{{ ''|attr(" + expr + ") }}")
    assert worst in ("safe", "suspicious"), msgs
    assert not any("template.dunder" in m for m in msgs), msgs


def test_rt95sb_1_a_fold_that_cannot_be_modelled_stays_computed() -> None:
    # an attribute path keyword is never folded: the result is a value read at render time
    worst, msgs = _worst("{{ ''|attr(['_', 'a']|sort(attribute='x')|join) }}")
    assert worst in ("unsafe", "suspicious"), msgs


@pytest.mark.parametrize("template", [
    "{% set ns = namespace() %}{% set ns.get = g[0] %}{{ ns.get('x') }}",
    "{% set ns = namespace(format=g[0]) %}{{ ns.format('x') }}",
    "{% set ns = namespace({'replace': g[0]}) %}{{ ns.replace('x') }}",
    "{% set ns = namespace() %}{% set ns.pop = g[0] %}{% set m = ns %}{{ m.pop() }}",  # through an alias
    "{% set ns = namespace() %}{% set ns.items = g[0] %}{{ [ns][0].items() }}",
])
def test_rt95sb_2_calling_a_namespace_attribute_is_an_odd_call(template: str) -> None:
    worst, msgs = _worst(template)
    assert worst in ("suspicious", "unsafe") and any(m.startswith("template.odd-call") for m in msgs), msgs


def test_rt95sb_2_namespace_from_a_render_time_mapping() -> None:
    worst, msgs = _worst("{% set ns = namespace(messages[0]) %}{{ ns.content }}")
    assert worst == "suspicious" and any("namespace() from a mapping" in m for m in msgs), msgs


def test_rt95sb_2_ordinary_namespace_use_stays_clean() -> None:
    t = ("{% set ns = namespace(found=false, system='') %}{% for m in messages %}"
         "{% if m['role'] == 'system' %}{% set ns.system = m['content'].strip() %}{% set ns.found = true %}{% endif %}"
         "{% endfor %}{{ ns.system.upper() }}{{ messages[0]['content'].split(' ')|join(',') }}")
    worst, msgs = _worst(t)
    assert worst == "safe", msgs
