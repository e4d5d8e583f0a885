"""Red team 111sb: the template judge's acceptance rules read binding tables that left out
``{% with %}``.

- 111sb-1 (critical): a namespace bound by ``{% with ns = namespace(k=…) %}`` was followed and
  folded, but its ``k=`` values were missing from the tables the rules read (``_bindings`` for
  ``_alternatives_ok``, the numeric names, the mapping names, ``ns_initialised``): a dead
  ``set ns.k = 'role'`` was taken for the only value of ``ns.k``, one ``set ns = namespace(k=0)``
  made ``ns.k`` "always a number" (a concatenated key, a mapping whose ``upper`` item was then
  called). ``with`` binds as ``set`` does now. Strings made with ``ljust``, ``|center``,
  ``|striptags``… were not "built": every filter and method but the few that select builds one.
- 111sb-2 (high, plain renderer): ``L.append(x)`` grows a list literal; ``L[-1]`` folded to the
  literal's last constant. Once the template calls a method that changes a container in place,
  no list/tuple/dict a name holds is folded.
- 111sb-3 (low): a loop variable over ``['x_']`` indexed by a number, and one over a single key of
  a written mapping (``d|first``), were taken for whole constants; they are characters.

False positives fixed: ``{% with role = m.role %}`` is the data; a macro used only through
``{% call %}`` gets the call's arguments; an attribute of ``spec.additionalProperties if … else
'Any'`` is data (a plain-word fallback's attributes are Undefined; the word itself is no data: its
pieces joined could spell a name); ``|min``/``|max`` of numbers is a number. Left flagged on
purpose: int-returning methods as keys (``messages.index(m)``) and ``|replace`` keys
(``tags[m.role|replace('tool', 'ipython')]``): a single replace of harmless constants can still
build a dangerous name from the data (``'function'|replace('unction', 'ormat')`` is ``'format'``),
and which data a role holds is the caller's.
"""

from __future__ import annotations

import pytest

from tests.helpers import template_worst

# the six templates of repro_1_with_namespace.py
WITH_NAMESPACE = [
    "{%- with ns = namespace(k='__class'.ljust(9, '_')) -%}{{ messages[0][ns.k] }}"
    "{%- set ns.k = 'role' -%}{%- endwith -%}",
    "{%- with ns = namespace(a='__init'.ljust(8, '_'), b='__globals'.ljust(11, '_')) -%}"
    "{{ namespace[ns.a][ns.b]['os'] }}{%- set ns.a = 'role' -%}{%- set ns.b = 'content' -%}{%- endwith -%}",
    "{%- set ns = namespace(k=0) -%}"
    "{%- with ns = namespace(k='_'|center(1) ~ '_class__') -%}{{ messages[0][ns.k] }}{%- endwith -%}",
    "{%- set ns = namespace(a=0, b=0) -%}"
    "{%- with ns = namespace(a='_'|center(1) ~ '_init__', b='_'|center(1) ~ '_globals__') -%}"
    "{{ namespace[ns.a][ns.b]['os'] }}{%- endwith -%}",
    "{%- set ns = namespace(a=0, b=0) -%}{%- set fn = namespace(c=0) -%}"
    "{%- with ns = namespace(a='_'|center(1) ~ '_init__', b='_'|center(1) ~ '_globals__') -%}"
    "{%- with fn = namespace(c={'upper': namespace[ns.a][ns.b]['os']['getpid']}) -%}"
    "pid={{ fn.c.upper() }}{%- endwith -%}{%- endwith -%}",
    "{%- set ns = namespace(k='__class'.ljust(9, '_')) -%}{%- with ns = namespace() -%}{%- endwith -%}"
    "{{ messages[0][ns.k] }}{%- if false -%}{%- set ns.k = 'role' -%}{%- endif -%}",
]
# variants: other builders that were not "building a string", other ways to hide the with value
WITH_VARIANTS = [
    "{%- with ns = namespace(k='__class'.rjust(8, '_').ljust(9, '_')) -%}{{ messages[0][ns.k] }}"
    "{%- set ns.k = 'role' -%}{%- endwith -%}",
    "{%- set ns = namespace(k=0) -%}"
    "{%- with ns = namespace(k='__class'.zfill(7).ljust(9, '_')) -%}{{ messages[0][ns.k] }}{%- endwith -%}",
    "{%- set ns = namespace(k=1) -%}"
    "{%- with ns = namespace(k='x'|indent(1)|replace(' x', '_') ~ '_class__') -%}{{ messages[0][ns.k] }}{%- endwith -%}",
    "{%- set ns = namespace(k=2) -%}"
    "{%- with ns = namespace(k='_\t'.expandtabs(1)|trim ~ '_class__') -%}{{ messages[0][ns.k] }}{%- endwith -%}",
    "{%- set ns = namespace(k=0) -%}{%- with ns = namespace(k='_'|indent) -%}{{ messages[0][ns.k] }}"
    "{%- endwith -%}",
    "{%- set ns = namespace(k=0) -%}{%- with ns = namespace(k='_'|wordwrap(5)) -%}"
    "{{ messages[0][ns.k] }}{%- endwith -%}",
    "{%- set fn = namespace(c=0) -%}{%- with fn = namespace(c={'upper': messages[0].get}) -%}{{ fn.c.upper() }}"
    "{%- endwith -%}",
    "{%- set fn = namespace(c=0) -%}{%- with fn = namespace(c=dict(upper=messages[0].get)) -%}{{ fn.c.upper() }}"
    "{%- endwith -%}",
    "{%- set ns = namespace(k='__class'.ljust(9, '_')) -%}{%- with ns = namespace(j=1) -%}{%- endwith -%}"
    "{{ messages[0][ns.k] }}{%- if false -%}{%- set ns.k = 'role' -%}{%- endif -%}",
]
# repro_2_list_append.py and variants: a container changed in place
MUTATED = [
    "{%- set L = ['role', 'content'] -%}{%- set _ = L.append('_'|center(1) ~ '_init__') -%}"
    "{%- set _ = L.append('_'|center(1) ~ '_globals__') -%}{{ namespace[L[-2]][L[-1]]['os'] }}",
    "{%- set L = ['role'] -%}{%- set _ = L.extend(['_'|center(1) ~ '_class__']) -%}{{ messages[0][L[-1]] }}",
    "{%- set L = ['role'] -%}{%- set _ = L.insert(0, '_'|center(1) ~ '_class__') -%}{{ messages[0][L[0]] }}",
    "{%- set L = ['role'] -%}{%- set M = L -%}{%- set _ = M.append('_'|center(1) ~ '_class__') -%}"
    "{{ messages[0][L[-1]] }}",
    "{%- set L = ['role'] -%}{%- set _ = L.append('_'|center(1) ~ '_class__') -%}"
    "{%- for k in L -%}{{ messages[0][k] }}{%- endfor -%}",
    "{%- set L = ['role'] -%}{%- for x in L -%}{%- set _ = L.append(x|center(9)) -%}{%- endfor -%}"
    "{{ messages[0][L[loop.index0 if loop else 1]] }}",
    "{%- set L = ['role'] -%}{%- set _ = L.append('_'|center(1) ~ '_class__') -%}{%- set k = L[-1] -%}"
    "{{ messages[0][k] }}",
]
# repro_3_loop_chars.py and variants: a loop variable over a string holds the string, not a list
LOOP_CHARS = [
    "{%- for r in ['x_'] -%}{{ messages[0][r[loop.index] if loop.first else 'role'] }}{%- endfor -%}",
    "{%- for k in {'x_': none}|first -%}{{ messages[0][k] }}{%- endfor -%}",
    "{%- for r in ['x_'] -%}{{ messages[0][r[loop.index]|default('role')] }}{%- endfor -%}",
    "{%- for k in {'x_': none}|last -%}{{ messages[0][k] }}{%- endfor -%}",
    "{%- set key = {'x_': none}|first -%}{%- for k in key -%}{{ messages[0][k] }}{%- endfor -%}",
]

# neighbours that the old judge already flagged: they stay flagged
HELD = [
    "{%- with ns = namespace(k='<b>_</b>'|striptags ~ '_class__') -%}{{ messages[0][ns.k] }}"
    "{%- set ns.k = 'role' -%}{%- endwith -%}",
    "{%- with k = '__class'.ljust(9, '_') -%}{{ messages[0][k] }}{%- endwith -%}",
    "{%- set T = [['role']] -%}{%- set _ = T[0].append('_'|center(1) ~ '_class__') -%}{{ messages[0][T[0][-1]] }}",
    "{%- set ns = namespace(L=['role']) -%}{%- set _ = ns.L.append('_'|center(1) ~ '_class__') -%}"
    "{{ messages[0][ns.L[-1]] }}",
]
TAGS = "{%- set tags = {'user': '<|user|>', 'assistant': '<|assistant|>', 'system': '<|system|>', 'model': '<m>'} -%}"
TYPE_OF = "{%- macro type_of(spec) %}{%- set m = {'string': 'str', 'integer': 'int'} %}{{ m[spec.type] }}"
CLEAN = [
    # with binds as set does: the data, a constant, a namespace of constants
    TAGS + "{%- for m in messages -%}{%- with role = m.role -%}{{ tags[role] }}{%- endwith -%}{%- endfor -%}",
    TAGS + "{%- with role = 'model' -%}{{ tags[role] }}{%- endwith -%}",
    TAGS + "{%- with ns = namespace(prev='system') -%}{%- for m in messages -%}{{ tags[ns.prev] }}"
    "{%- set ns.prev = m.role -%}{%- endfor -%}{%- endwith -%}",
    TAGS + "{%- with ns = namespace(n=0) -%}{%- for m in messages -%}{{ ['a', 'b'][ns.n] }}"
    "{%- set ns.n = loop.index0 % 2 -%}{%- endfor -%}{%- endwith -%}",
    # MiniCPM3's tool template (111sb-4): a macro used only through {% call %} gets the call's arguments
    TYPE_OF + "{%- endmacro %}"
    "{%- macro fields(spec2) %}{{ caller() }}{%- for name, p in spec2.properties|items %}{{ name }}: {{ type_of(p) }}"
    "{%- endfor %}{%- endmacro %}"
    "{%- for tool in tools %}{%- call fields(tool.function.parameters) %}def {{ tool.function.name }}{%- endcall %}"
    "{%- endfor %}",
    # … and a recursive call whose argument falls back to a plain word
    TYPE_OF + "{%- if spec.type == 'object' %}{{ type_of(spec.additionalProperties if spec.additionalProperties "
    "else 'Any') }}{%- endif %}{%- endmacro %}"
    "{%- for tool in tools %}{%- for name, p in tool.function.parameters.properties|items %}{{ type_of(p) }}"
    "{%- endfor %}{%- endfor %}",
    TYPE_OF + "{%- if spec.type == 'array' %}{{ type_of(spec['items'] or 'Any') }}{%- endif %}{%- endmacro %}"
    "{%- for tool in tools %}{%- for name, p in tool.function.parameters.properties|items %}{{ type_of(p) }}"
    "{%- endfor %}{%- endfor %}",
    # |min / |max of numbers is a number
    "{%- set pre = ['No tools.', 'One tool.', 'Tools:'] -%}{{ pre[[tools|length, 2]|min] }}",
    "{%- set pre = ['a', 'b', 'c'] -%}{%- for m in messages -%}{{ pre[[loop.index0, 0]|max % 3] }}{%- endfor -%}",
]
# the same shapes with a built or private name, and what stays flagged on purpose
FLAGGED_FP_NEIGHBOURS = [
    "{%- for m in messages -%}{%- with role = m.role ~ '_' -%}{{ m[role] }}{%- endwith -%}{%- endfor -%}",
    "{%- macro get(d, k) %}{{ d[k] }}{%- endmacro %}{%- for m in messages %}{%- call get(m, '_'|center(1) ~ '_class__') %}"
    "{%- endcall %}{%- endfor %}",
    TYPE_OF + "{%- if spec.type == 'object' %}{{ type_of(spec.additionalProperties if spec.additionalProperties "
    "else 'x_') }}{{ m[spec[1]] }}{%- endif %}{%- endmacro %}"
    "{%- for tool in tools %}{%- for name, p in tool.function.parameters.properties|items %}{{ type_of(p) }}"
    "{%- endfor %}{%- endfor %}",
    TYPE_OF + "{%- if spec.type == 'object' %}{{ type_of(spec.x if spec.x else 'xmro') }}{{ m[spec[1:]] }}{%- endif %}"
    "{%- endmacro %}{%- for tool in tools %}{%- for name, p in tool.function.parameters.properties|items %}"
    "{{ type_of(p) }}{%- endfor %}{%- endfor %}",
    "{%- for m in messages -%}{{ m[['_'|center(1), 2]|min] }}{%- endfor -%}",
    # a plain-word fallback is no data: its pieces joined could spell a name ('mr' ~ 'o')
    "{%- for m in messages -%}{%- set a = m.x if m.x else 'Amr' -%}{%- set b = m.y if m.y else 'o' -%}"
    "{{ m[a[1:] + b] }}{%- endfor -%}",
    "{%- for m in messages -%}{%- set a = m.x or 'Amr' -%}{{ m[a[1:] ~ 'o'] }}{{ m[a] }}{%- endfor -%}",
    # |replace keys stay flagged (see the module docstring); int-returning methods of the data are
    # numbers since 113sb-2 (tests/formats/test_rt113sb.py)
    TAGS + "{%- for m in messages -%}{{ tags[m.role|replace('tool', 'ipython')] }}{%- endfor -%}",
]


@pytest.mark.parametrize("template", CLEAN)
def test_rt111sb_template_idioms_are_clean(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs


@pytest.mark.parametrize("template", FLAGGED_FP_NEIGHBOURS)
def test_rt111sb_template_fp_neighbours_stay_flagged(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs


@pytest.mark.parametrize("template", WITH_NAMESPACE + WITH_VARIANTS + MUTATED + LOOP_CHARS + HELD)
def test_rt111sb_template_bypasses_are_not_safe(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs
