"""Red team 122sb: chat templates that bomb the renderer, judged safe. Jinja2's sandbox bounds only
``range()`` (MAX_RANGE); ``*``, ``**``, str/filter widths, ``|slice(n)`` and nested loops run as plain
Python, and Jinja2 folds constant expressions while it compiles the template (llama-cpp-python compiles
every GGUF template at model load). A constant repeat count or width above 2**20, a constant ``**``
of more than 4096 digits, ``|slice``/``|batch`` of more than 2**20 and nested for loops over
constant-size iterables of more than 10**7 steps, a macro calling itself twice with counting arguments, a
recursive loop re-entered with the template's own values, and a namespace attribute doubled in a loop are now
``template.render-bomb`` (``suspicious``,
mirroring ``pickle.bomb``). A size that the renderer's data chooses (``'  ' * depth``) is no finding."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import pytest

from mlbom.formats.jinja_ast import check_template
from mlbom.scanner import scan_bytes

BASE = "{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "chat_templates"

BOMBS_1 = {  # 122sb-1: one constant expression, 10**11 bytes
    "str-mul": "{{ 'x' * 10**11 }}",
    "list-mul": "{{ ([0] * 10**11)|length }}",
    "ljust": "{{ ''.ljust(10**11) }}",
    "rjust-kw": "{{ ''.rjust(width=10**11) }}",
    "center": "{{ ''|center(10**11) }}",
    "zfill": "{{ ''.zfill(10**11) }}",
    "expandtabs": "{{ '\\t'.expandtabs(10**11) }}",
    "indent": "{{ 'a\nb'|indent(10**11) }}",
    "percent": "{{ '%0100000000000d' % 1 }}",
    "percent-star": "{{ '%*d' % (10**11, 1) }}",
    "percent-precision": "{{ '%.100000000000d' % 1 }}",
    "format-filter": "{{ '%0100000000000d'|format(1) }}",
    "format-width": "{{ '{:>100000000000}'.format(1) }}",
    "format-nested-width": "{{ '{:{}}'.format(1, 10**11) }}",
    "tojson-indent": "{{ messages|tojson(indent=10**11) }}",
    "tojson-positional": "{{ messages|tojson(false, 10**11) }}",
    "data-width": "{{ m|default('')|center(messages|length * 10**11) }}",
    "data-mul": "{{ m.content * 10**11 }}",
    "chained-mul": "{{ 'x' * 1000 * 1000 * 1000 }}",
    "set-name": "{% set n = 10**11 %}{{ 'x' * n }}",
    "namespace": "{% set ns = namespace(n=10**11) %}{{ 'x'.rjust(ns.n) }}",
    "set-string": "{% set s = 'x' * 100000 %}{{ s * 100000 }}",
    "int-filter": "{{ 'x' * (10**11)|int }}",
    "pow-compile": "{{ (10**100000000) % 7 }}",
    "pow-left-assoc": "{{ (2**100000**100) % 7 }}",  # (2**100000)**100: as Jinja2 parses it
    "pow-name": "{% set e = 10**7 %}{{ (10**e) % 7 }}",
}
BOMBS_2 = {  # 122sb-2: loops the sandbox does not bound
    "nested-range": "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
    "nested-range3": "{% for i in range(99999) %}{% for j in range(99999) %}{% for k in range(99999) %}"
                     "{% endfor %}{% endfor %}{% endfor %}",
    "slice-loop": "{% for s in messages|slice(10**12) %}{% endfor %}",
    "slice-anywhere": "{{ messages|slice(10**12)|list|length }}",
    "batch": "{{ messages|batch(10**11, 0)|list|length }}",
    "batch-of-range": "{% for i in range(99999) %}{% for b in range(99999)|batch(1) %}{% endfor %}{% endfor %}",
    "range-name": "{% set r = range(99999) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
    "gated": "{% if messages|length > 2 %}{% for i in range(99999) %}{% for j in range(99999) %}"
             "{% endfor %}{% endfor %}{% endif %}",
}

BOMBS_3 = {  # 122sb-2: recursion doubling and geometric growth, shapes none of the real templates has
    "macro-2rec": "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "loop-recursive": "{% for x in [1, 2] recursive %}{% if loop.depth < 60 %}{{ loop([1, 2]) }}{% endif %}"
                      "{% endfor %}",
    "loop-recursive-twice": "{% for x in [1] recursive %}{% if loop.depth < 60 %}{{ loop([1]) }}{{ loop([1]) }}"
                            "{% endif %}{% endfor %}",
    "ns-doubling": "{% set ns = namespace(a='x') %}{% for i in range(60) %}{% set ns.a = ns.a ~ ns.a %}{% endfor %}"
                   "{{ ns.a|length }}",
    "list-doubling": "{% set ns = namespace(l=[0]) %}{% for i in range(60) %}{% set ns.l = ns.l + ns.l %}{% endfor %}"
                     "{{ ns.l|length }}",
    "data-loop-doubling": "{% set ns = namespace(a='x') %}{% for m in messages %}{% set ns.a = ns.a * 2 %}{% endfor %}",
}


@pytest.mark.parametrize("bomb", [*BOMBS_1.values(), *BOMBS_2.values(), *BOMBS_3.values()],
                         ids=[*BOMBS_1, *BOMBS_2, *BOMBS_3])
def test_render_bombs_are_suspicious(bomb: str) -> None:
    found = check_template(BASE + bomb)
    assert [f.id for f in found] and {f.id for f in found} == {"template.render-bomb"}, \
        [(f.id, f.message) for f in found]
    assert {f.effect for f in found} == {"suspicious"}


def test_tokenizer_config_verdict() -> None:
    doc = {"bos_token": "<s>", "chat_template": BASE + BOMBS_1["str-mul"]}
    r = scan_bytes(json.dumps(doc).encode(), "tokenizer_config.json")
    assert r.verdict == "suspicious", [(f.id, f.message) for f in r.findings]
    assert any(f.id == "template.render-bomb" for f in r.findings)


def _gguf(*kv: tuple[str, str]) -> bytes:
    def s(t: str) -> bytes:
        return struct.pack("<Q", len(t.encode())) + t.encode()
    body = s("general.architecture") + struct.pack("<I", 8) + s("llama")
    for k, v in kv:
        body += s(k) + struct.pack("<I", 8) + s(v)
    return b"GGUF" + struct.pack("<IQQ", 3, 0, 1 + len(kv)) + body


@pytest.mark.parametrize("kv", [
    (("tokenizer.chat_template", BASE + BOMBS_1["str-mul"]),),
    (("tokenizer.chat_template", BASE), ("tokenizer.chat_template.tool_use", BASE + BOMBS_2["slice-loop"])),
], ids=["mem", "named-cpu"])
def test_gguf_verdict(kv: tuple[tuple[str, str], ...]) -> None:
    r = scan_bytes(_gguf(*kv), "model.gguf")
    assert r.verdict == "suspicious", [(f.id, f.message) for f in r.findings]
    assert any(f.id == "template.render-bomb" for f in r.findings)


def test_judge_never_computes_the_power() -> None:
    """10**(10**12) is sized, not computed (it would never finish)."""
    t = time.monotonic()
    found = check_template("{{ (10**10**12) % 7 }}{{ (7**(10**100)) % 3 }}{{ 'x' * 10**10**12 }}")
    assert time.monotonic() - t < 5
    assert {f.id for f in found} == {"template.render-bomb"}


CLEAN = {  # sizes the renderer's data chooses, small constants, arithmetic on numbers
    "data-depth": "{% macro r(x, depth) %}{{ '  ' * depth }}{{ x }}{% endmacro %}{{ r('a', messages|length) }}",
    "data-repeat": "{{ '<img>' * m.n }}{{ m.content * messages|length }}",
    "small-constants": "{{ '=' * 80 }}{{ x|tojson(indent=4) }}{{ y|indent(8, first=true) }}{{ 'a'.center(40) }}"
                       "{{ '%5d' % 3 }}{{ '{:>10}'.format(1) }}{{ 2**10 }}{{ 2**64 }}",
    "numeric-product": "{{ messages|length * 10**11 }}{{ (10**11) * (10**11) }}{{ loop.index * 1000000000 }}",
    "pow-left-assoc": "{{ 10**10**8 }}",  # (10**10)**8 = 10**80 as Jinja2 parses it, not 10**(10**8)
    "moderate-pow": "{{ 10**4000 }}",
    "small-loops": "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
    "data-loops": "{% for m in messages %}{% for t in tools %}{% for i in range(99999) %}{% endfor %}"
                  "{% endfor %}{% endfor %}",
    "small-slice": "{{ messages|slice(3)|list }}{{ messages|batch(2)|list }}",
    "long-range-refused": "{% for i in range(10**6) %}{% for j in range(10**6) %}{% endfor %}{% endfor %}",
    "data-recursion": "{% macro t(s) %}{% for k, v in s.properties|items %}{{ t(v) }}{{ t(v.items) }}{% endfor %}"
                      "{% endmacro %}{{ t(tools[0]) }}"
                      "{% for x in messages recursive %}{{ loop(x.children) }}{{ loop(x.parts) }}{% endfor %}",
    "scoped-name-doubling": "{% set s = 'x' %}{% for m in messages %}{% set s = s ~ s %}{% endfor %}",  # per iteration
    "number-doubling": "{% set ns = namespace(x=1) %}{% for m in messages %}{% set ns.x = ns.x * 2 %}"
                       "{% set ns.x = ns.x + ns.x %}{% endfor %}",
    "few-doublings": "{% set ns = namespace(a='x') %}{% for i in range(10) %}{% set ns.a = ns.a ~ ns.a %}{% endfor %}",
    "append-in-loop": "{% set ns = namespace(l=[], s='') %}{% for m in messages %}{% set ns.l = ns.l + [m] %}"
                      "{% set ns.s = ns.s ~ m.content %}{% endfor %}",
    "macro-resets-nesting": "{% for i in range(99999) %}{% macro f() %}{% for j in range(999) %}{% endfor %}"
                            "{% endmacro %}{% endfor %}",
}


@pytest.mark.parametrize("src", CLEAN.values(), ids=CLEAN)
def test_data_sized_and_small_are_clean(src: str) -> None:
    assert check_template(BASE + src) == []


def test_fixture_templates_stay_clean() -> None:
    paths = [p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".jinja", ".j2", ".txt", "")]
    assert len(paths) >= 100
    for p in paths:
        assert check_template(p.read_text(encoding="utf-8"), where=p.name) == [], p.name
