"""Red team 102sb: five chat templates judged clean that reach Python internals when rendered.

102sb-1: a dict literal's keys ('a_', 'class') are the template's own strings; listed, cut and
joined ((d|first|list|last) + …) they spelled ``__class__`` as an item key or a format string.
102sb-2: an item field of a format string ({0[_iterable]}) was skipped, but the sandbox's
formatter reads it with env.getitem, which falls back to getattr.
102sb-3: ``map(f, …)`` with ``f`` a macro parameter was judged by the parameter's default only.
102sb-4: an index known only at render time was folded to "any element", but an index out of
range is Undefined, which ``|default('_')`` replaces.
102sb-5: the fold cache was keyed by ``id()`` of a set block's temporary node; a freed one's id
went to the next block's, which then read an earlier block's harmless value.
(102sb-6 and -7, slow inputs: tests/formats/test_template_judge_bounds.py.)
"""

from __future__ import annotations

import pytest

from tests.helpers import template_worst

U = "{%- set u = '_'|center(1) -%}"
PAYLOADS = {
    "dict-keys-cut-and-joined": "{%- set d = {'a_': 0, 'class': 0} -%}{{ messages[0][(d|first|list|last) + "
                                "(d|first|list|last) + (d|list)[1] + (d|first|list|last) + (d|first|list|last)] }}",
    "dict-keys-format": "{%- set d = {'a_': 0, 'class': 0, '{0.': 0, '}': 0} -%}{%- set k = (d|list) -%}"
                        "{%- set u = k[0][1] -%}{%- set f = k[2] + u + u + k[1] + u + u + k[3] -%}{{ f.format(messages) }}",
    "dict-keys-loop": "{%- set d = {'a_': 0, 'class': 0} -%}{%- set ns = namespace(k='') -%}"
                      "{%- for key in d %}{% set ns.k = ns.k ~ key %}{% endfor -%}{{ messages[0][ns.k] }}",
    "dict-text": "{%- set d = {'a_': 0} -%}{{ messages[0][(d ~ '')[3] ~ (d ~ '')[3] ~ 'class' ~ (d ~ '')[3] * 2] }}",
    "format-item-private": "{%- for m in messages -%}{{ '{0[_iterable]}'.format(loop) }}{%- endfor -%}",
    "format-item-dangerous": "{{ '{0[gi_frame]}'.format(messages[0]) }}",
    "map-opaque-filter": "{%- macro render(f='upper') -%}" + U
                         + "{{ messages|map(f, u ~ u ~ 'class' ~ u ~ u)|list }}{%- endmacro -%}{{ render('attr') }}",
    "index-out-of-range": "{%- set u = 'x'[messages|length]|default('_') -%}{%- set k = u ~ u ~ 'class' ~ u ~ u -%}"
                          "{{ messages[0][k] }}",
    "set-block-cache": "{%- set u = '_' -%}{%- set v = 'x' -%}"
                       + "".join(f"{{%- set r{i} %}}{{{{ v }}}}{{{{ v }}}}class{{{{ v }}}}{{{{ v }}}}{{% endset -%}}"
                                 for i in range(3))
                       + "{%- set key %}{{ u }}{{ u }}class{{ u }}{{ u }}{% endset -%}{{ messages[0][key] }}",
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt102sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = template_worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


def test_rt102sb_2_format_item_fields_are_judged_like_attributes() -> None:
    worst, msgs = template_worst(PAYLOADS["format-item-private"])
    assert worst == "unsafe" and any("template.format-attribute" in m for m in msgs), msgs


def test_rt102sb_4_each_possible_element_is_still_judged() -> None:
    worst, msgs = template_worst("{{ ''[['a', '__class__'][loop.index]] }}")
    assert worst == "unsafe", msgs


@pytest.mark.parametrize("template", [
    # the JSON-schema idiom of Hermes / Command-R tool-use templates: a map written by the
    # template, a macro given {"type": t}, iterated with |items, its values read by key
    "{%- macro t(spec) %}{%- set m = {'string': 'str', 'number': 'float'} %}"
    "{%- if m[spec.type] is defined %}{{ m[spec.type] }}{%- elif spec.type is iterable %}"
    "{%- for x in spec.type %}{{ t({'type': x}) }}{% endfor %}{%- else %}{{ t(spec|items) }}{%- endif %}"
    "{%- endmacro %}{%- for tool in tools %}{{ t(tool.function.parameters) }}{% endfor %}",
    "{%- set roles = {'user': 'User', 'assistant': 'Assistant'} -%}{%- for m in messages -%}"
    "{{ roles[m['role']] }}: {{ m['content'] }}{%- endfor -%}",
    "{%- set d = {'a': 1, 'b': 2} -%}{%- for k in d %}{{ k }}={{ d[k] }}{% endfor -%}",
    "{{ '{0[content]}'.format(messages[0]) }}",
])
def test_rt102sb_ordinary_templates_stay_clean(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs
