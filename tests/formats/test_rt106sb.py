"""Red team 106sb (against the 105sb fix): the judge believed a name held only a harmless constant,
and the key/|attr checks returned before the data-path rules ran. A ``{% set %}`` block replaced
the name's other values (106sb-1); three fixed passes missed values shifted through longer chains
(106sb-2); ``namespace()`` rebound without an attribute left it Undefined where the judge saw the
other binding's value (106sb-3); ``Markup('') == ''`` and ``1 == True`` merged values the renderer
tells apart (106sb-4). Now a string built at render time is a computed name at every name sink,
whatever it folds to; every binding adds its values; passes run until nothing changes (at most
``_BINDING_PASSES``; a name still growing is opaque) and ``computed``/``opaque`` are closed over
chains of any length. 106sb-5: nested ``.append(…)`` calls walked each argument's subtree again
(quadratic); the mapping question is now asked once per node."""

from __future__ import annotations

import pytest

from mlbom.formats import jinja_ast
from tests.helpers import counting_calls, template_worst

CUT = "{%- set k -%}{{ a }}class{{ a }}{%- endset -%}"
SHIFT = ("{%- set ns = namespace(a='x', b='x', c='x', k='x') -%}{%- for n in range(4) -%}"
         "{%- set ns.k = ns.c -%}{%- set ns.c = ns.b -%}{%- set ns.b = ns.a -%}{%- set ns.a = '__' -%}{%- endfor -%}")
LONG_SHIFT = ("{%- set ns = namespace(a='x', b='x', c='x', d='x', e='x', f='x', g='x', h='x', i='x', k='x') -%}"
              "{%- for n in range(9) -%}{%- set ns.k = ns.i -%}{%- set ns.i = ns.h -%}{%- set ns.h = ns.g -%}"
              "{%- set ns.g = ns.f -%}{%- set ns.f = ns.e -%}{%- set ns.e = ns.d -%}{%- set ns.d = ns.c -%}"
              "{%- set ns.c = ns.b -%}{%- set ns.b = ns.a -%}{%- set ns.a = 'format' -%}{%- endfor -%}")
PAYLOADS = {
    "block-in-false-if": "{%- set a = '__' -%}{%- if false -%}{%- set a -%}x{%- endset -%}{%- endif -%}" + CUT
                         + "{{ messages[0][k] }}",
    "block-in-loop": "{%- set a = '__' -%}{%- for i in range(1) -%}{%- set a -%}x{%- endset -%}{%- endfor -%}" + CUT
                     + "{{ messages[0]|attr(k) }}",
    "block-in-macro": "{%- set a = '__' -%}{%- macro m() -%}{%- set a -%}x{%- endset -%}{%- endmacro -%}" + CUT
                      + "{{ messages[0][k] }}",
    "shift-item": SHIFT + "{%- set key = ns.k ~ 'class' ~ ns.k -%}{{ messages[0][key] }}",
    "shift-attr": SHIFT + "{%- set key = ns.k ~ 'class' ~ ns.k -%}{{ messages[0]|attr(key) }}",
    "shift-globals": SHIFT + "{%- set i = ns.k ~ 'init' ~ ns.k -%}{%- set g = ns.k ~ 'globals' ~ ns.k -%}"
                     "{{ (namespace|attr(i)|attr(g))['os'] }}",
    "accumulate": "{%- set ns = namespace(s='') -%}{%- for m in range(5) -%}{%- set ns.s = ns.s ~ '_' -%}{%- endfor -%}"
                  "{%- set key = ns.s[3:] ~ 'class' ~ ns.s[3:] -%}{{ messages[0][key] }}",
    "by-messages": "{%- set ns = namespace(s='') -%}{%- for m in messages -%}{%- set ns.s = ns.s ~ '_' -%}{%- endfor -%}"
                   "{{ messages[0]|attr(ns.s[3:] ~ 'class' ~ ns.s[3:]) }}",
    "long-shift-format": LONG_SHIFT + "{{ ('{0.x}'|attr(ns.k))(messages) }}",
    "namespace-rebound": "{%- set ns = namespace(k='x') -%}{%- set ns = namespace() -%}"
                         "{%- set d = ns.k|default('__') -%}{%- set key = d ~ 'class' ~ d -%}{{ messages[0][key] }}",
    "namespace-other-attr": "{%- set ns = namespace(k='x') -%}{%- set ns = namespace(j='y') -%}"
                            "{%- set key = ns.k|default('__') ~ 'class' ~ ns.k|default('__') -%}"
                            "{{ messages[0]|attr(key) }}",
    "markup-equals-str": "{%- set a = ''|safe -%}{%- set a = '' -%}"
                         "{%- set k = (a + '<<class<<')|replace('<', '_') -%}{{ messages[0][k] }}",
    "markup-in-branch": "{%- set a = ''|safe -%}{%- if messages -%}{%- set a = '' -%}{%- endif -%}"
                        "{%- set k = (a + '<<class<<')|replace('<', '_') -%}{{ messages[0]|attr(k) }}",
    "true-equals-one": "{%- set a = 1 -%}{%- set a = true -%}"
                       "{%- set k = (a ~ '')|replace('True', '<<class<<')|replace('<', '_') -%}{{ messages[0][k] }}",
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt106sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = template_worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


@pytest.mark.parametrize("template", [
    "{%- set ns = namespace(sep='') -%}{%- for m in messages -%}{{ ns.sep }}{{ m['content'] }}"
    "{%- set ns.sep = '\\n' -%}{%- endfor -%}",
    "{%- set k = 'content' -%}{%- if messages[0]['role'] == 'system' -%}{%- set k = 'role' -%}{%- endif -%}"
    "{{ messages[0][k] }}",
    "{%- set ns = namespace(a='role', b='role', c='role', k='role') -%}{%- for n in range(4) -%}"
    "{%- set ns.k = ns.c -%}{%- set ns.c = ns.b -%}{%- set ns.b = ns.a -%}{%- set ns.a = 'content' -%}{%- endfor -%}"
    "{{ messages[0][ns.k] }}",
])
def test_rt106sb_constants_copied_around_stay_clean(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs


TOK = ("{%- set tok = {'system': '<start_of_turn>user\\n', 'user': '<start_of_turn>user\\n', "
       "'model': '<start_of_turn>model\\n', 'tool': '<start_of_turn>tool\\n'} -%}")
ROLE_IDIOMS = {  # 106sb-6: every value the key takes is a harmless constant or the renderer's data
    "gemma-if-else-remap": TOK + "{%- for message in messages -%}{%- if message['role'] == 'assistant' -%}"
    "{%- set role = 'model' -%}{%- else -%}{%- set role = message['role'] -%}{%- endif -%}"
    "{{ tok[role] }}{{ message['content'] | trim }}<end_of_turn>{%- endfor -%}",
    "conditional-remap": TOK + "{%- for message in messages -%}"
    "{%- set role = 'model' if message.role == 'assistant' else message.role -%}{{ tok[role] }}{%- endfor -%}",
    "role-default": TOK + "{%- for message in messages -%}{{ tok[message.role | default('user')] }}{%- endfor -%}",
    "previous-role": TOK + "{%- set ns = namespace(prev='') -%}{%- for message in messages -%}"
    "{%- if ns.prev -%}{{ tok[ns.prev] }}{%- endif -%}{%- set ns.prev = message.role -%}{%- endfor -%}",
}
ROLE_ABUSES = {  # the same shapes with a value built from pieces, or a constant naming internals
    "remap-to-dunder-pieces": TOK + "{%- set u = '_' -%}{%- for message in messages -%}{%- if message.role == 'x' -%}"
    "{%- set role = u ~ u ~ 'class' ~ u ~ u -%}{%- else -%}{%- set role = message['role'] -%}{%- endif -%}"
    "{{ tok[role] }}{%- endfor -%}",
    "default-built": TOK + "{%- set u = '_' -%}{%- for message in messages -%}"
    "{{ tok[message.nothing | default(u ~ u ~ 'class' ~ u ~ u)] }}{%- endfor -%}",
    "loop-over-pieces": TOK + "{%- set u = '_' -%}{%- for role in [u ~ u ~ 'class' ~ u ~ u] -%}{{ tok[role] }}{%- endfor -%}",
}


@pytest.mark.parametrize("name", sorted(ROLE_IDIOMS))
def test_rt106sb_role_remaps_of_real_templates_stay_clean(name: str) -> None:
    worst, msgs = template_worst(ROLE_IDIOMS[name])
    assert worst == "safe", (name, msgs)


@pytest.mark.parametrize("name", sorted(ROLE_ABUSES))
def test_rt106sb_role_remaps_built_from_pieces_are_not_safe(name: str) -> None:
    worst, msgs = template_worst(ROLE_ABUSES[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


def _nested_appends(depth: int) -> str:
    return "{{ " + "[].append(" * depth + "[" + ",".join(["0"] * 2000) + "]" + ")" * depth + " }}"


def test_rt106sb_nested_appends_ask_each_node_once(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = []
    for depth in (10, 40):
        with counting_calls(monkeypatch, jinja_ast._Judge, "_mapping_node") as calls:
            jinja_ast.check_template(_nested_appends(depth))
        counts.append(calls[0])
    # each node once: the count follows the template's size (2,000 constants), not depth x size
    assert counts[1] < 1.2 * counts[0], counts
