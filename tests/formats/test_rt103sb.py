"""Red team 103sb (against the 102sb fixes): 103sb-2, a template-written mapping's keys taken out
after a method call (``{…}.copy()|list``, ``.get('x')``/``.values()|first`` of a nested one);
103sb-1, a whole key used as an attribute path or a format string ('0._iterable', '{0._iterable}':
the name check saw one harmless name, the path reader splits it on dots); 103sb-3, the key
predicates walked a 190-deep filter chain again at every level (cubic: 1.6 KB, 5.8 s)."""

from __future__ import annotations

import pytest

from mlbom.formats import jinja_ast
from mlbom.formats.jinja_ast import check_template
from tests.helpers import counting_calls, template_worst

CUT = "{%- set u = k[0][1] -%}{{ messages[0][u + u + k[1] + u + u] }}"
PAYLOADS = {
    "copy-list": "{%- set k = {'a_': 0, 'class': 0}.copy()|list -%}" + CUT,
    "get-nested": "{%- set e = {'x': {'a_': 0, 'class': 0}}.get('x') -%}{%- set k = e|list -%}" + CUT,
    "values-first": "{%- set e = {'x': {'a_': 0, 'class': 0}}.values()|first -%}{%- set k = e|list -%}" + CUT,
    "whole-key-format": "{%- set d = {'{0._iterable}': 0} -%}{%- for m in messages -%}{%- for k in d -%}"
                        "{{ k.format(loop) }}{%- endfor -%}{%- endfor -%}",
    "whole-key-map-attribute": "{%- set d = {'0._iterable': 0} -%}{%- for m in messages -%}{%- set l = [[loop]] -%}"
                               "{%- for k in d -%}{{ l|map(attribute=k)|list|length }}{%- endfor -%}{%- endfor -%}",
    "whole-key-groupby": "{%- set d = {'0._iterable': 0} -%}{%- for m in messages -%}{%- for k in d -%}"
                         "{{ [[loop]]|groupby(k)|length }}{%- endfor -%}{%- endfor -%}",
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt103sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = template_worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


def test_rt103sb_3_key_predicates_are_linear_in_depth(monkeypatch: pytest.MonkeyPatch) -> None:
    def work(depth: int) -> int:
        with counting_calls(monkeypatch, jinja_ast._Judge, "_key_data_of") as calls:
            assert check_template("".join(f"{{%set a{i}=x{'|e' * depth}%}}" for i in range(4)) + "x") == []
        return calls[0]

    assert work(80) < 6 * work(20)  # cubic before: 64x
