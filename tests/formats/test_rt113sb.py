"""Red team 113sb: names chosen by the renderer's data, applied to Python objects.

- 113sb-1 (high; critical on a plain ``jinja2.Environment`` renderer, CVE-2024-34359): an item key,
  an attribute path (``attribute=``, ``|attr``) or a ``str.format`` string read from the
  renderer's data (a message's text, a tool name) was accepted whatever it was applied to. Sent as
  chat messages ``['__init__', '__globals__']``, ``namespace[m0.content][m1.content]['os']`` is
  the ``os`` module under a plain Environment (getitem falls back to getattr), and ``o.remove(…)``
  deletes a file. A data-chosen name is accepted now only on the data itself or on a literal the
  template wrote of constants and data (nothing changed in place); on ``namespace``, a macro,
  ``loop``, ``caller``, ``strftime_now``, ``raise_exception``, ``range``/``dict``/``lipsum``/
  ``cycler``/``joiner``, ``self``, ``varargs``/``kwargs``, a namespace object, a call result or a
  set block it is ``template.computed-name``; a format string of the data is accepted only when
  every argument of its call is such a value (``template.computed-format``).
- 113sb-2 (FP): ``m.content.count('x') % 2`` and the other int-returning str methods of the data
  are numbers.
"""

from __future__ import annotations

import pytest

from tests.helpers import template_worst

# the reproducers (repro_1_data_keys.py, repro_3_data_format.py, repro_4_receivers.py)
REPRODUCERS = [
    "{%- for m in messages -%}<|{{ m.role }}|>{{ m.content }}{%- endfor -%}"
    "{{ namespace[messages[0].content][messages[1].content]['os'] }}",
    "{%- for m in messages -%}<|{{ m.role }}|>{%- endfor -%}{%- if messages|length > 2 -%}"
    "{%- set o = namespace[messages[0].content][messages[1].content]['os'] -%}"
    "{{ o.remove(messages[2].content) }}{%- endif -%}",
    "{%- set ns = namespace(o=namespace) -%}{%- for m in messages -%}{%- set ns.o = ns.o[m.content] -%}{%- endfor -%}"
    "{{ ns.o }}",
    "{%- for m in messages -%}{{ m.content.format(namespace) }}{%- endfor -%}",
    "{%- for m in messages -%}{{ [namespace]|map(attribute=m.role)|first }}{%- endfor -%}",
    "{%- for t in tools -%}{{ namespace[t.function.name][t.function.description]['os'] }}{%- endfor -%}",
    "{%- macro m() -%}x{%- endmacro -%}{%- for x in messages -%}{{ m[x.role][x.content] }}{%- endfor -%}",
    "{%- for x in messages -%}{{ loop[x.role][x.content] }}{%- endfor -%}",
    "{{ strftime_now[messages[0].role][messages[0].content]['os'] }}",
    "{%- for x in messages -%}{{ namespace[x.get('role', x.content)] }}{%- endfor -%}",
    "{%- set o = namespace[messages[0].role][messages[0].content]['os'] -%}{{ o.environ.pop('RT113SB_DUMMY', '') }}",
]
# other Python objects as receivers, other data, other positions
VARIANTS = [
    "{%- for m in messages -%}{{ raise_exception[m.role] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ range[m.role] }}{{ dict[m.content] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ cycler[m.role] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ joiner[m.role] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ lipsum[m.role] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ self[m.role] }}{%- endfor -%}",
    "{%- macro f() -%}{{ varargs[0][messages[0].role] }}{{ kwargs[messages[0].content] }}{%- endmacro -%}{{ f(1) }}",
    "{%- macro f() -%}{{ caller[messages[0].role] }}{%- endmacro -%}{%- call f() -%}x{%- endcall -%}",
    "{%- set ns = namespace(a=1) -%}{%- for m in messages -%}{{ ns[m.content] }}{%- endfor -%}",
    "{%- set f = namespace -%}{%- for m in messages -%}{{ f[m.content] }}{%- endfor -%}",
    "{%- set L = [namespace] -%}{%- for m in messages -%}{{ L[0][m.content] }}{%- endfor -%}",
    "{%- set d = {'a': namespace} -%}{%- for m in messages -%}{{ d.a[m.content] }}{{ d['a'][m.role] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ (m.content|escape)[m.role] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ (m|tojson)[m.role] }}{%- endfor -%}",
    "{%- set s -%}x{%- endset -%}{%- for m in messages -%}{{ s[m.role] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ (namespace if m.role else m)[m.content] }}{%- endfor -%}",
    "{%- set L = [] -%}{%- set _ = L.append(namespace) -%}{%- for m in messages -%}{{ L[0][m.content] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ loop.cycle[m.role] }}{%- endfor -%}",
    "{%- for n in [namespace] -%}{{ n[messages[0].role] }}{%- endfor -%}",
    # a macro's name also bound by a set that may not run: the macro where it does not
    "{%- macro m() -%}x{%- endmacro -%}{%- if false -%}{%- set m = {} -%}{%- endif -%}{{ m[messages[0].role] }}",
    "{%- if false -%}{%- set m = {} -%}{%- endif -%}{%- macro m() -%}x{%- endmacro -%}{{ m[messages[0].role] }}",
    "{%- macro m() -%}x{%- endmacro -%}{%- if false -%}{%- set m = {} -%}{%- endif -%}{{ m.a[messages[0].role] }}",
    "{%- macro m() -%}x{%- endmacro -%}{%- if false -%}{%- set m = messages -%}{%- endif -%}"
    "{%- for x in m -%}{{ x[messages[0].role] }}{%- endfor -%}",
    # 113sb-3: a caller= parameter of a macro a {% call %} calls holds the call block (a Macro)
    "{%- macro m(k, caller=none) -%}{{ caller[messages[0].role] }}{%- endmacro -%}{%- call m('role') -%}x{%- endcall -%}",
    "{%- macro g(x) -%}{{ x[messages[0].role] }}{%- endmacro -%}{%- macro h() -%}y{%- endmacro -%}{{ g(h) }}",
    # a namespace attribute whose namespace name is bound to something else too
    "{%- set ns = namespace(cycle={}) -%}{%- if messages -%}{%- set ns = loop -%}{%- endif -%}"
    "{{ ns.cycle[messages[0].role] }}",
    "{%- set ns = namespace(o={}) -%}{%- if x -%}{%- set ns = {'o': namespace} -%}{%- endif -%}{{ ns.o[messages[0].role] }}",
    "{%- set ns = namespace(o={}) -%}{%- set ns2 = ns -%}{%- set ns2.o = namespace -%}{{ ns.o[messages[0].role] }}",
    "{%- set ns = namespace(o={}) -%}{%- macro f(ns) -%}{{ ns.o[messages[0].role] }}{%- endmacro -%}"
    "{{ f({'o': namespace}) }}",
    "{%- for k, v in dict(a=namespace)|items -%}{{ v[messages[0].role] }}{%- endfor -%}",
    # attribute paths from data on a sequence of Python objects
    "{%- for m in messages -%}{{ [namespace]|selectattr(m.role)|list }}{%- endfor -%}",
    "{%- for m in messages -%}{{ [namespace]|sort(attribute=m.role)|first }}{%- endfor -%}",
    "{%- for m in messages -%}{{ [namespace]|groupby(m.role)|list }}{%- endfor -%}",
    "{%- for m in messages -%}{{ [namespace]|sum(attribute=m.role) }}{%- endfor -%}",
    "{%- for m in messages -%}{{ namespace|attr(m.role) }}{%- endfor -%}",
    "{%- for m in messages -%}{{ [namespace]|map('attr', m.role)|list }}{%- endfor -%}",
    "{%- for m in messages -%}{{ [[namespace]]|map('map', attribute=m.role)|list }}{%- endfor -%}",
    # format strings of the data with an argument that is no data
    "{%- for m in messages -%}{{ m.content.format(loop) }}{%- endfor -%}",
    "{%- for m in messages -%}{{ m.content.format(x=namespace) }}{%- endfor -%}",
    "{%- for m in messages -%}{%- set f = m.content.format -%}{{ f(namespace) }}{%- endfor -%}",
    "{%- for m in messages -%}{{ m['content'].format(m, raise_exception) }}{%- endfor -%}",
    "{%- for t in tools -%}{{ t.function.description.format(strftime_now) }}{%- endfor -%}",
]
# what real templates do with data-chosen names: on the data, on literals they wrote
CLEAN = [
    "{%- set names = {'user': 'User', 'assistant': 'Assistant'} -%}{%- for m in messages -%}{{ names[m.role] }}"
    "{%- endfor -%}",
    "{%- set ns = namespace(map={'user': 'U'}) -%}{%- for m in messages -%}{{ ns.map[m.role] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ m[m.role] }}{{ messages[0][m.content] }}{%- endfor -%}",
    "{%- for t in tools -%}{% for k in t.function.parameters.properties %}"
    "{{ t.function.parameters.properties[k].type }}{% endfor %}{%- endfor -%}",
    "{%- set nd = tool_namespace_descriptions if tool_namespace_descriptions is defined else {} -%}"
    "{%- for t in tools -%}{{ nd[t.function.name] if t.function.name in nd else '' }}{%- endfor -%}",
    "{%- set roles = ['user', 'assistant'] -%}{%- for m in messages -%}{{ roles[loop.index0 % 2] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ messages|selectattr('role', 'equalto', m.role)|list|length }}{%- endfor -%}",
    "{%- for k in ['role', 'content'] -%}{{ messages|map(attribute=k)|join }}{%- endfor -%}",
    "{%- for m in messages -%}{{ messages|map(attribute=m.role)|join }}{%- endfor -%}",
    "{%- for m in messages -%}{{ '{0[content]}'.format(m) }}{{ m.content.format(m) }}{%- endfor -%}",
    "{%- macro t(s) -%}{{ m[s.type] }}{%- endmacro -%}{%- set m = {'string': 'str'} -%}"
    "{%- for x in tools -%}{{ t(x) }}{%- endfor -%}",
    "{%- for m in messages -%}{{ {'user': '<u>', 'assistant': '<a>'}[m.role] }}{%- endfor -%}",
    "{%- set tok = {'user': ['<u>', '</u>']} -%}{%- for m in messages -%}{{ tok[m.role][0] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ (m.tool_calls or [{}])[0][m.role] }}{%- endfor -%}",
    # printf formatting reads items of a mapping argument, never attributes
    "{%- for m in messages -%}{{ m.content|format(namespace) }}{{ m.content % loop }}{%- endfor -%}",
    # 113sb-2: int/bool-returning str and list methods of the data (or of a string) are numbers
    "{%- set roles = ['user', 'assistant'] -%}{%- for m in messages -%}{{ roles[m.content.count('x') % 2] }}"
    "{%- endfor -%}",
    "{%- set roles = ['a', 'b'] -%}{%- for m in messages -%}{{ roles[m.content.isdigit()] }}"
    "{{ roles[('x' ~ m.role).find('u')] }}{{ roles[m['content'].rfind('u')] }}{%- endfor -%}",
    "{%- for m in messages -%}{{ images[messages.index(m)] }}{%- endfor -%}",
]
# neighbours of 113sb-2 that stay flagged: a mapping the template wrote answers .count() with its item
COUNT_FLAGGED = [
    "{%- set d = {'count': namespace} -%}{%- set roles = ['user', 'assistant'] -%}{{ roles[d.count('x')] }}",
    "{%- set roles = ['user', 'assistant'] -%}{%- for m in messages -%}{%- set n = m.content.count('x') ~ '' -%}"
    "{{ roles[n] }}{%- endfor -%}",
]


@pytest.mark.parametrize("template", COUNT_FLAGGED)
def test_rt113sb_template_count_neighbours_stay_flagged(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs


@pytest.mark.parametrize("template", REPRODUCERS + VARIANTS)
def test_rt113sb_template_data_names_on_python_objects_are_flagged(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst in ("suspicious", "unsafe"), msgs
    assert any(m.startswith(("template.computed-name", "template.computed-format")) for m in msgs), msgs


@pytest.mark.parametrize("template", CLEAN)
def test_rt113sb_template_data_names_on_data_are_clean(template: str) -> None:
    worst, msgs = template_worst(template)
    assert worst == "safe", msgs
