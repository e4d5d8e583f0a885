"""Red team 104sb (against the 103sb fixes): 104sb-1, a string filter of a list or tuple of
template-written dicts (``[{'a_': 0, …}]|lower``) is their text, keys included, which slicing cut
into ``__class__``; 104sb-2, a string filter of an uncalled method (``(1).as_integer_ratio|lower``
is ``<built-in method as_integer_ratio of int object at 0x…>``) gave underscores and letters to
cut; 104sb-3, sixty nested ``m[m[…[0, 0, …]]]`` keys were each judged over everything below
them, and ``_context_data`` was not memoised (62 KB, 16–22 s)."""

from __future__ import annotations

import pytest

from mlbom.formats import jinja_ast
from mlbom.formats.jinja_ast import check_template
from tests.helpers import counting_calls, template_worst

PAYLOADS = {
    "list-of-dicts-lower": "{{ messages[0][([{'a_': 0, 'b_': 0, 'ac': 0, 'al': 0, 'aa': 0, 'as': 0, 'bs': 0, "
                           "'c_': 0, 'd_': 0}]|lower)[4:77:9]] }}",
    "list-of-dicts-format": "{%- macro show(f) -%}{%- for m in messages -%}{{ f.format(loop) }}{%- endfor -%}"
                            "{%- endmacro -%}{{ show(([{'x{0._iterable}': 0}]|lower)[4:17]) }}",
    "list-of-dicts-path": "{%- set p = ([{'x0._iterable': 0}]|lower)[4:15] -%}{%- for m in messages -%}"
                          "{{ [[loop]]|map(attribute=p)|list|length }}{%- endfor -%}",
    "method-text": "{%- set s = (1).as_integer_ratio|lower -%}"
                   "{{ messages[0][s[19] + s[19] + s[45] + s[4] + s[17] + s[18] + s[18] + s[19] + s[19]] }}",
    "method-text-of-data": "{%- set s = add_generation_prompt.as_integer_ratio|lower -%}"
                           "{{ messages[0][s[19] + s[19] + s[46] + s[4] + s[17] + s[18] + s[18] + s[19] + s[19]] }}",
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rt104sb_payloads_are_not_safe(name: str) -> None:
    worst, msgs = template_worst(PAYLOADS[name])
    assert worst in ("suspicious", "unsafe"), (name, msgs)


def test_rt104sb_string_filters_of_data_stay_data() -> None:
    worst, msgs = template_worst("{%- for m in messages -%}{{ tools[0][m['role']|lower] }}"
                                 "{{ m[m.content|trim] }}{%- endfor -%}")
    assert worst == "safe", msgs


def test_rt104sb_3_nested_keys_are_judged_once_each(monkeypatch: pytest.MonkeyPatch) -> None:
    def work(depth: int, width: int) -> int:
        source = ("{% for m in messages %}{{ " + "m[" * depth + "[" + ",".join(["0"] * width) + "][0]"
                  + "]" * depth + " }}{% endfor %}")
        with counting_calls(monkeypatch, jinja_ast._Judge, "_context_data_of") as calls:
            check_template(source)
        return calls[0]

    assert work(40, 800) < 6 * work(10, 200)  # 16x-64x before
