"""Red team 83s-1/83s-4 (/work/redteam-83s): names whose content the judge cannot fold.

``a or b``/``a and b`` return an OPERAND (a string here, not a truth value), unpacked loop/set
targets take the values at their position of what they unpack, and an item key that folds to
no constant is safe only as a number/truth value or context data: anything else is a computed
name (fail closed). ``list.sort(key=f)`` calls ``f``.
"""

from __future__ import annotations

import json
import struct

import pytest

from mlbom.formats.jinja_ast import check_template
from mlbom.scanner import scan_bytes

T1 = (
    "{%- set u = none or '_' -%}\n"
    "{%- set gk = none or (u ~ u ~ 'globals' ~ u ~ u) -%}\n"
    "{%- set bk = none or (u ~ u ~ 'builtins' ~ u ~ u) -%}\n"
    "{%- set b = raise_exception[gk][bk] -%}\n"
    "{%- set cmd = [\"import os; os.system('touch /tmp/pwned-83s-1')\"] -%}\n"
    "{%- set x = cmd.sort(key=b['exec']) -%}\n"
    "{%- for message in messages -%}{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token }}"
    "{%- endfor -%}"
)
T4 = (
    "{%- for u, z in [['_', 0]] -%}"
    "{%- for ik, gk, bk in [[u ~ u ~ 'init' ~ u ~ u, u ~ u ~ 'globals' ~ u ~ u, u ~ u ~ 'builtins' ~ u ~ u]] -%}"
    "{%- set b = namespace[ik][gk][bk] -%}"
    "{%- set x = ['import os; os.system(\"touch /tmp/pwned-83s-4\")'].sort(key=b['exec']) -%}"
    "{%- endfor -%}{%- endfor -%}{{ bos_token }}{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}"
)


def _worst(template: str) -> tuple[str, list[str]]:
    found = check_template(template, where="t")
    worst = next((e for e in ("unsafe", "error", "suspicious") if any(f.effect == e for f in found)), "safe")
    return worst, [f"{f.id}: {f.message}" for f in found]


def _gguf(template: str) -> bytes:
    def s(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("<Q", len(raw)) + raw
    kv = s("tokenizer.chat_template") + struct.pack("<I", 8) + s(template)
    return b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + kv


@pytest.mark.parametrize("template", [T1, T4], ids=["83s-1", "83s-4"])
def test_red_team_templates_are_unsafe(template: str) -> None:
    worst, msgs = _worst(template)
    assert worst == "unsafe" and any(m.startswith("template.dunder-access") for m in msgs), msgs
    assert any(m.startswith("template.odd-call") and "key=" in m for m in msgs), msgs


@pytest.mark.parametrize("template", [T1, T4], ids=["83s-1", "83s-4"])
def test_red_team_templates_in_gguf_and_tokenizer_config(template: str) -> None:
    r = scan_bytes(_gguf(template), "f.gguf")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    r = scan_bytes(json.dumps({"chat_template": template}).encode(), "tokenizer_config.json")
    assert r.verdict == "unsafe", [f.message for f in r.findings]


def test_or_and_fold_to_their_operands() -> None:
    assert _worst("{% set k = none or '__class__' %}{{ messages[k] }}")[0] == "unsafe"
    assert _worst("{% set k = 'x' and '__class__' %}{{ messages[k] }}")[0] == "unsafe"
    assert _worst("{% set k = none or 'role' %}{{ messages[0][k] }}") == ("safe", [])


# Siblings: an item key whose content the judge cannot fold, and that is neither a number nor
# context data, is a computed name wherever its value comes from.
@pytest.mark.parametrize("template", [
    "{% for a, b in [[c, 1]] %}{{ x[a] }}{% endfor %}",                       # unpacked from an unknown
    "{% set a, b = c, 1 %}{{ x[a] }}",                                           # {% set a, b = … %}
    "{% for a, b in messages|batch(2) %}{{ x[a] }}{% endfor %}",                 # batch: not context data
    "{% macro m(k) %}{{ x[k] }}{% endmacro %}{{ m(c) }}",                        # macro argument
    "{% macro m(k) %}{{ x[k] }}{% endmacro %}",                                  # never called by name
    "{% for m in messages %}{{ x[loop.previtem] }}{% endfor %}",                  # loop.* value
    "{% set ns = namespace(k=none or c) %}{{ x[ns.k] }}",                         # namespace attribute
    "{% with k = none or c %}{{ x[k] }}{% endwith %}",                            # with block
    "{{ x[c or 'a'] }}", "{{ x[c and 'a'] }}", "{{ x['a' if c else c] }}",
    "{{ x[c|default('a')] }}", "{{ x[c|first] }}", "{{ x[c|last] }}", "{{ x[c|join] }}",
    "{{ x[c|replace('a', 'b')] }}", "{{ x[c|format(1)] }}", "{{ x[c|string] }}", "{{ x[c|lower] }}",
    "{{ x[c|trim] }}", "{{ x[(c|list)[0]] }}", "{{ x[(c|dictsort)[0][0]] }}", "{{ x[(c|items)[0][0]] }}",
    "{{ x[c * 2] }}", "{{ x[c % 1] }}", "{{ x[c + 'a'] }}",
    "{{ x[eos_token] }}",                                                        # model-supplied
    "{% set k %}a{% endset %}{{ x[k ~ c] }}",
])
def test_unknown_item_key_is_a_computed_name(template: str) -> None:
    worst, msgs = _worst(template)
    assert worst != "safe" and any(m.startswith(("template.computed-name", "template.dunder")) for m in msgs), msgs


@pytest.mark.parametrize("template", [
    "{% for a, b in [['__class__', 1]] %}{{ x[a] }}{% endfor %}",
    "{% set a, b = '__cla' ~ 'ss__', 1 %}{{ x[a] }}",
    "{% for a, (b, c) in [[1, ['__init__', 2]]] %}{{ x[b] }}{% endfor %}",
])
def test_unpacked_constants_fold(template: str) -> None:
    worst, msgs = _worst(template)
    assert worst == "unsafe" and any(m.startswith("template.dunder-access") for m in msgs), msgs


@pytest.mark.parametrize("template", [
    "{{ [3, 1].sort(key=c) }}",
    "{% set f = x.y %}{{ messages.sort(key=f) }}",
])
def test_sort_key_callable_is_an_odd_call(template: str) -> None:
    worst, msgs = _worst(template)
    assert worst == "suspicious" and any(m.startswith("template.odd-call") for m in msgs), msgs


@pytest.mark.parametrize("template", [
    "{% for m in messages %}{{ messages[loop.index0 - 1].role }}{% endfor %}",
    "{% set ns = namespace(i=0) %}{% for m in messages %}{% set ns.i = ns.i + 1 %}{{ messages[ns.i] }}{% endfor %}",
    "{% set index = (messages|length - 1) %}{{ messages[index].content }}",
    "{% for i in range(3) %}{{ messages[i] }}{% endfor %}",
    "{{ messages[-1] }}{{ messages[messages|length - 1] }}",
    "{% for k, v in tools[0].items() %}{{ tools[0][k] }}{% endfor %}",
    "{% for k, v in tools[0]|items %}{{ tools[0][k] }}{{ v }}{% endfor %}",
    "{% for field, name in [('maximum', 'Max'), ('minimum', 'Min')] %}{{ tools[0][field] }}{% endfor %}",
    "{% macro r(d) %}{% for k in d %}{{ d[k] }}{% endfor %}{% endmacro %}{% for t in tools %}{{ r(t) }}{% endfor %}",
    "{% macro t(s) %}{{ m[s.type] }}{% endmacro %}{% set m = {'string': 'str'} %}"
    "{% for x in tools %}{{ t(x) }}{{ t({'type': x}) }}{% endfor %}",
    "{% if not tools is defined %}{% set tools = [] %}{% endif %}{% for t in tools %}{{ t[t.name] }}{% endfor %}",
])
def test_real_template_shapes_stay_clean(template: str) -> None:
    assert _worst(template) == ("safe", [])


# The application's data seen through the flows real templates use (llama.cpp's muse-glimmer:
# ``nd[tns]``, tns over a namespace list of ``fn.name.split('.')[0]``) — and what must not pass.
@pytest.mark.parametrize("template", [
    "{% set ns = namespace(seen=[]) %}{% for t in tools %}{% set fn = t.function if t.function is defined else t %}"
    "{% set n = fn.name.split('.')[0] %}{% if n not in ns.seen %}{% set ns.seen = ns.seen + [n] %}{% endif %}"
    "{% endfor %}{% for n in ns.seen %}{{ d[n] }}{% endfor %}",
    "{{ x[messages[0].role.strip().lower()] }}{{ x[messages[0].role|lower] }}{{ x[(messages|list)[0].role] }}",
    "{{ x[messages[0].content.rsplit('/', 1)[-1]] }}{{ x[tools[0].get('type')] }}",
])
def test_data_flows_stay_clean(template: str) -> None:
    assert _worst(template) == ("safe", [])


@pytest.mark.parametrize("template", [
    "{% set ns = namespace(k=[]) %}{% set ns.k = ns.k + [none or c] %}{% for k in ns.k %}{{ x[k] }}{% endfor %}",
    "{% set ns = namespace(k=[]) %}{% set _ = ns.k.append(c) %}{% for k in ns.k %}{{ x[k] }}{% endfor %}",
    "{% set _ = messages.append(none or c) %}{% for m in messages %}{{ x[m] }}{% endfor %}",
    "{% set y = messages %}{% set _ = y.append(c) %}{% for m in messages %}{{ x[m] }}{% endfor %}",
    "{{ x[messages[0].content.replace('a', c)] }}", "{{ x[messages[0].get('a', c)] }}",
    "{{ x[messages[0].content + c] }}", "{{ x[messages[0].content ~ c] }}",
    "{{ x[messages[0].content.split(c)[0]] }}", "{{ x[c if true else messages[0].content] }}",
    "{% set a = namespace(k=[]) %}{% set b = a %}{% set b.k = [c] %}{% for k in a.k %}{{ x[k] }}{% endfor %}",
    "{% set a = namespace(k=[]) %}{% macro m(n) %}{% set n.k = [c] %}{% endmacro %}{{ m(a) }}"
    "{% for k in a.k %}{{ x[k] }}{% endfor %}",
    "{% set a = namespace(k=[]) %}{% set a.k %}zz{% endset %}{% for k in a.k %}{{ x[k] }}{% endfor %}",
    "{% set a = namespace(k=c) %}{{ x[a.k] }}",
    "{% set a = namespace(k=[]) %}{% set a = namespace(k=[c]) %}{% for k in a.k %}{{ x[k] }}{% endfor %}",
    "{{ x[messages[0].content|replace('a', c)] }}", "{{ x[messages[0].content|lower(c)] }}",
    "{{ x[(messages|map(c)|list)[0]] }}",
])
def test_data_flows_do_not_launder_the_templates_values(template: str) -> None:
    worst, msgs = _worst(template)
    assert worst != "safe" and any(m.startswith("template.computed-name") for m in msgs), msgs
