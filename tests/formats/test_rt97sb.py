"""Red team 97sb: four more ways past the chat-template judge, each now judged.

97sb-1: ``m(x, caller=VALUE)`` — Jinja2 gives a macro that uses ``caller()`` the keyword as its
caller, so ``caller(x)`` calls a value read at render time. 97sb-2: a ``for`` variable read after
its loop is the renderer's variable of that name (``bos_token``: the model's own token text), not
the loop's context data. 97sb-3: ``'x'|int(default)`` returns its default unchanged when the value
does not convert: a string, not a number. 97sb-4: iterating a dict literal yields its keys, the
template's own strings (``gi_frame``), which were taken for context data.
"""

from __future__ import annotations

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mlbom.scanner import scan_file
from tests.helpers import template_worst

U = "{%- set u = '_'|center(1) -%}"
PAYLOADS = {
    "caller-keyword": "{%- macro m(x) %}{{ caller(x) }}{% endmacro -%}{{ m('id', caller=messages[0]['content']) }}",
    "loop-variable-after-loop": "{%- for bos_token in messages %}{% endfor -%}{{ namespace[bos_token] }}",
    "loop-variable-before-set": "{% for m in messages %}{{ namespace[x] }}{% set x = m['role'] %}{% endfor %}",
    "set-in-loop-read-after": "{% for m in messages %}{% set x = m['role'] %}{% endfor %}{{ namespace[x] }}",
    "macro-reads-global": "{% for x in messages %}{% endfor %}{% macro k() %}{{ namespace[x] }}{% endmacro %}{{ k() }}",
    "int-default": U + "{{ namespace['x'|int(u ~ u ~ 'init' ~ u ~ u)] }}",
    "float-default": U + "{{ namespace['x'|float(default=u ~ u ~ 'init' ~ u ~ u)] }}",
    "dict-keys": "{%- for a in {'gi_frame': none} -%}{{ (messages|map('string'))[a] }}{%- endfor -%}",
    "dict-first": "{{ (messages|map('string'))[{'f_globals': none}|first] }}",
}


_worst = template_worst


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt97sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = _worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


def test_rt97sb_premises() -> None:
    env = ImmutableSandboxedEnvironment()
    assert env.from_string("{% for x in [1] %}{% endfor %}[{{ x }}]").render(x="G") == "[G]"
    assert env.from_string("{% for m in [1] %}[{{ x }}]{% set x = 2 %}{% endfor %}").render(x="G") == "[G]"
    assert env.from_string("{{ 'x'|int('dflt') }}").render() == "dflt"
    assert env.from_string("{% macro m(a) %}{{ caller(a) }}{% endmacro %}{{ m(1, caller=f) }}").render(f=lambda a: "C") == "C"


@pytest.mark.parametrize("template", [
    "{% set messages = messages[1:] %}{% for m in messages %}{{ m['content'] }}{% endfor %}",
    "{% for m in messages %}{% set c = m['content'] %}{{ c }}{% endfor %}",
    "{% for t in tools %}{% for k, v in t['parameters']['properties']|items %}{{ k }}: {{ v['type'] }}{% endfor %}{% endfor %}",
    "{{ messages|length|int }}{{ (messages[0]['content']|int(0)) + 1 }}",
    "{% macro r(m) %}{{ m['role'] }}{% endmacro %}{% for m in messages %}{{ r(m) }}{% endfor %}",
    "{% for m in messages %}{{ {'role': m['role']}['role'] }}{% endfor %}",
])
def test_rt97sb_ordinary_templates_stay_clean(template: str) -> None:
    worst, msgs = _worst(template)
    assert worst == "safe", msgs


def test_rt97sb_jinja_comment_first_is_a_template(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    p = tmp_path / "chat_template.jinja"
    p.write_text("{#- a comment -#}\n{{ namespace.__init__ }}")  # '{#' also starts UBJSON's count marker
    r = scan_file(p)
    assert r.verdict == "unsafe", r.findings
