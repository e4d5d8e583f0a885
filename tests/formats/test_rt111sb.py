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
``{% call %}`` gets the call's arguments; ``|min``/``|max`` of numbers is a number. Left flagged on
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

@pytest.mark.parametrize("template", WITH_NAMESPACE + WITH_VARIANTS + MUTATED + LOOP_CHARS + HELD)
def test_rt111sb_bypasses_are_not_safe(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs
