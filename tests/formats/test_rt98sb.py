"""Red team 98sb: three more ways past the chat-template judge, each now judged.

98sb-1: an unscoped ``{% block %}`` renders from the template's context, not the loop around it:
``bos_token`` there is the model's token text, not the loop's message. 98sb-2: ``{'upper': v}.upper(…)``
calls ``v`` (Jinja2 reads the item when the attribute is missing), as do ``dict(title=v).title()``
and a macro's ``kwargs.upper()``; a macro used as a value is called unseen, so its parameters are
not followed. 98sb-3: a chat-template kwarg such as ``date_string`` may be a key of the model's
``extra_special_tokens``, which transformers passes under the same name: not the application's data.
"""

from __future__ import annotations

import pytest
from jinja2 import Environment

from tests.helpers import template_worst

PAYLOADS = {
    "block-in-loop": "{%- for bos_token in messages %}{% block turn %}{{ namespace[bos_token] }}{% endblock %}"
                     "{% endfor -%}",
    "dict-literal-method": "{{ {'upper': (messages|map('string'))[0]}.upper('x') }}",
    "dict-call-method": "{{ dict(title=messages[0].content.replace).title('h', 'C') }}",
    "kwargs-method": "{% macro m() %}{{ kwargs.upper('x') }}{% endmacro %}{{ m(upper=messages[0]['content']) }}",
    "dict-in-list": "{% for d in [{'strip': namespace}] %}{{ d.strip() }}{% endfor %}",
    "macro-as-value": "{%- macro m(x) -%}{{ (messages|map('string'))[x] }}{%- endmacro -%}"
                      "{%- if false %}{{ m(messages[0].content) }}{% endif -%}{{ {'upper': m}.upper('gi_frame') }}",
    "kwarg-name-as-key": "{{ namespace[date_string] }}",
    "thinking-flag-as-key": "{{ namespace[enable_thinking] }}",
}


_worst = template_worst


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt98sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = _worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


def test_rt98sb_premises() -> None:
    env = Environment()
    assert env.from_string("{{ {'upper': f}.upper('x') }}").render(f=lambda x: "CALLED") == "CALLED"
    out = env.from_string("{% for bos_token in ['loop'] %}{% block b %}{{ bos_token }}{% endblock %}{% endfor %}")
    assert out.render(bos_token="model") == "model"


@pytest.mark.parametrize("template", [
    "{% set a = tc.arguments or {} %}{% for k, v in a.items() %}{{ k }}={{ v }}{% endfor %}",
    "{% macro t(schema) %}{% set p = schema.get('properties', {}) %}{{ p|length }}{% endmacro %}"
    "{% for tool in tools %}{{ t(tool['parameters']) }}{% endfor %}",
    "{% set d = {'role': messages[0]['role'], 'n': 1} %}{{ d.get('role') }}",
    "{% if enable_thinking %}<think>{% endif %}{{ date_string }}{% for m in messages %}{{ m['content'].strip() }}{% endfor %}",
    "{% for m in messages %}{% block turn scoped %}{{ m['content'] }}{% endblock %}{% endfor %}",
])
def test_rt98sb_ordinary_templates_stay_clean(template: str) -> None:
    worst, msgs = _worst(template)
    assert worst == "safe", msgs
