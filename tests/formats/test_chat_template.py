"""Chat templates judged on Jinja2's syntax tree: real templates are clean, attacks are found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbom.formats.chat_template import check_template, tokenizer_config_templates

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "chat_templates"
REAL = sorted(FIXTURES.glob("*.jinja"))


def effects(template: str) -> set[str]:
    return {f.effect or "none" for f in check_template(template)}


def test_enough_real_templates() -> None:
    assert len(REAL) >= 40
    names = " ".join(p.name for p in REAL).lower()
    for family in ("llama-3.1", "llama-3.2", "qwen2.5", "qwen3", "mistral", "devstral", "gemma", "phi-3",
                   "deepseek", "chatml", "granite", "command-r", "hermes", "gpt-oss"):
        assert family in names, family


@pytest.mark.parametrize("path", REAL, ids=[p.name for p in REAL])
def test_real_templates_have_no_findings(path: Path) -> None:
    assert check_template(path.read_text(encoding="utf-8"), where=path.name) == []


LLAMACPP = sorted((FIXTURES / "llamacpp").glob("*.jinja"))


@pytest.mark.parametrize("path", LLAMACPP, ids=[p.name for p in LLAMACPP])
def test_llamacpp_templates_scan_safe(path: Path) -> None:
    """llama.cpp's 70 real templates (fixtures/chat_templates/llamacpp/SOURCE.md), each scanned as a
    tokenizer_config.json chat_template: safe, nothing above info (83s fail-closed item keys)."""
    from mlbom.scanner import scan_bytes

    assert len(LLAMACPP) == 70
    doc = {"chat_template": path.read_text(encoding="utf-8"), "tokenizer_class": "PreTrainedTokenizerFast"}
    r = scan_bytes(json.dumps(doc).encode(), "tokenizer_config.json")
    assert r.verdict == "safe" and [f for f in r.findings if f.severity != "info"] == [], \
        [(f.id, f.message) for f in r.findings]


UNSAFE = {
    "hex-escape": "{{ ''['\\x5f\\x5fclass\\x5f\\x5f'] }}",
    "tilde-concat": "{{ x[('__cla' ~ 'ss__')] }}",
    "po-pen": "{{ cycler.__init__.__globals__.os|attr('po' ~ 'pen') }}",
    "subclasses": "{{ [].__class__.__base__.__subclasses__() }}",
    "cycler-globals": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "attr-filter": "{{ ''|attr('__class__') }}",
    "namespace-init": "{{ namespace.__init__ }}",
    "self-context": "{{ self._TemplateReference__context }}",
    "set-concat": "{% set x = '__cla' ~ 'ss__' %}{{ ''[x] }}",
    "join-filter": "{{ ''[['_', '_', 'class', '_', '_']|join] }}",
    "join-method": "{{ ''[''.join(['__cl', 'ass__'])] }}",
    "format-filter": "{{ ''['%sclass%s'|format('__', '__')] }}",
    "percent": "{{ ''['%sclass%s' % ('__', '__')] }}",
    "chr-format": "{{ ''|attr('%c%cclass%c%c'|format(95, 95, 95, 95)) }}",
    "reverse": "{{ ''|attr('__ssalc__'|reverse) }}",
    "replace": "{{ ''|attr('XXclassXX'|replace('X', '_')) }}",
    "slice": "{{ ''|attr('a__class__b'[1:10]) }}",
    "lower": "{{ ''|attr('__CLASS__'|lower) }}",
    "split": "{% set p = 'a__class__b'.split('a') %}{{ ''[p[1]] }}",
    "mul": "{{ ''[('_' * 2) ~ 'class' ~ ('_' * 2)] }}",
    "for-loop": "{% for k in ['__class__'] %}{{ ''[k] }}{% endfor %}",
    "namespace-set": "{% set ns = namespace(k='__cla') %}{% set ns.k = ns.k ~ 'ss__' %}{{ ''[ns.k] }}",
    "set-block": "{% set k %}__class__{% endset %}{{ ''[k] }}",
    "with": "{% with a = '__class__' %}{{ ''[a] }}{% endwith %}",
    "macro-default": "{% macro m(a='__class__') %}{{ ''[a] }}{% endmacro %}",
    "map-attr": "{{ messages|map('attr', '__class__')|list }}",
    "attribute-kwarg": "{{ messages|map(attribute='__class__.__name__')|list }}",
    "selectattr": "{{ messages|selectattr('__globals__')|list }}",
    "mro": "{{ x.mro() }}",
    "format-field": "{{ '{0.__class__}'.format(x) }}",
    "private-attribute": "{{ x._private }}",
    "import": "{% import 'x.html' as y %}",
    "include": "{% include '/etc/passwd' %}",
    "extends": "{% extends 'base.html' %}",
    "from-import": "{% from 'x' import y %}",
    "os-module": "{{ os.popen('id') }}",
    "getattr-builtin": "{{ getattr(x, 'y') }}",
    "lipsum-globals": "{{ lipsum.__globals__ }}",
    "groupby-positional": "{{ x|groupby('__class__') }}",
    "sum-positional": "{{ x|sum('__class__') }}",
    "join-attribute": "{{ x|join(',', '__class__') }}",
    "any-element": "{{ ''[['a', '__class__'][loop.index]] }}",
    "implicit-concat": "{{ x['__cl' 'ass__'] }}",
    "filter-block": "{% filter attr('__class__') %}x{% endfilter %}",
    "stored-format-method": "{% set f = '{0.__class__}'.format %}{{ f(x) }}",
    "attr-format-method": "{{ ('{0.' ~ '__cla' ~ 'ss__}')|attr('format')(x) }}",
    "unicode-escape": "{{ ''['\\u005f\\u005fclass\\u005f\\u005f'] }}",
}


@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_attacks_are_unsafe(name: str) -> None:
    assert "unsafe" in effects(UNSAFE[name]), check_template(UNSAFE[name])


SUSPICIOUS = {
    "unknown-filter": "{{ x|shell }}",
    "unknown-test": "{% if x is evil %}{% endif %}",
    "unknown-global": "{{ run('id') }}",
    "unknown-method": "{{ x.system('id') }}",
    "request-global": "{{ request.application }}",
    "joiner-global": "{{ joiner('x') }}",
    "computed-from-data": "{{ x[messages[0].content ~ 'x'] }}",
    "bos-token-as-name": "{{ ''|attr(bos_token) }}",
    "bos-token-item": "{% set k = bos_token %}{{ ''[k] }}",
    "set-block-from-token": "{% set k %}{{ eos_token }}{% endset %}{{ ''[k] }}",
    "macro-output-as-key": "{% macro k() %}{{ bos_token }}{% endmacro %}{{ ''[k()] }}",
    "format-on-token": "{{ bos_token.format(messages) }}",
    "dunder-in-dict-literal": "{{ ({'__class__': 1}|list)[0] }}",
    "dunder-keyword": "{{ (dict(__class__=1)|list)[0] }}",
    "map-unknown-filter": "{{ x|map('evil')|list }}",
    "chars-of-a-repr-in-a-loop": "{% for k in [(x|string)[17] ~ (x|string)[17] ~ 'class'] %}{{ ''[k] }}{% endfor %}",
    "computed-in-a-list": "{{ ''[[a ~ b][0]] }}",
    "macro-output-in-a-loop": "{% macro k() %}x{% endmacro %}{% for n in [k()] %}{{ ''[n] }}{% endfor %}",
    "computed-through-a-list-var": "{% set b = [a ~ b] %}{{ ''[b[0]] }}",
    "format-on-stored-token": "{% set f = bos_token.format %}{{ f(x) }}",
    "get-built-dunder": "{{ x.get('__glo' ~ 'bals__') }}",
}


@pytest.mark.parametrize("name", sorted(SUSPICIOUS))
def test_suspicious_constructs(name: str) -> None:
    got = effects(SUSPICIOUS[name])
    assert got & {"suspicious", "unsafe"}, check_template(SUSPICIOUS[name])


@pytest.mark.parametrize("template", [
    "{% if %}",
    "{{ x",
    "{% for %}",
    "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
    "{% do x.append(1) %}",  # jinja2.ext.do is not enabled by transformers
])
def test_unparseable_is_error(template: str) -> None:
    assert "error" in effects(template)


def test_huge_folds_stay_bounded() -> None:
    # Width/precision and repetition that would allocate gigabytes are not folded.
    for t in ("{{ ''['%999999999s' % 'x'] }}", "{{ ''['_' * 1000000000] }}", "{{ ''['{:>999999999}'.format(1)] }}",
              "{% set a = 'x' %}" + "".join(f"{{% set a = a ~ a ~ '{i}' %}}" for i in range(60)) + "{{ ''[a] }}"):
        assert isinstance(check_template(t), list)


def test_plain_text_with_dunder_is_clean() -> None:
    # Words in the template text are output, not code.
    assert check_template("Use __init__ and request.get in Python. {{ messages[0]['content'] }}") == []


def test_tokenizer_config_templates() -> None:
    assert tokenizer_config_templates({"chat_template": "x"}) == ([("chat_template", "x")], [])
    named = tokenizer_config_templates({"chat_template": [{"name": "default", "template": "a"},
                                                          {"name": "tool_use", "template": "b"}, 7]})
    assert named.templates == [("chat_template[default]", "a"), ("chat_template[tool_use]", "b")]
    assert named.unjudged == ["chat_template[2] is a number, not a {name, template} object with a string template"]
    assert tokenizer_config_templates([1]) == ([], [])
    assert tokenizer_config_templates({"chat_template": None}) == ([], [])
    assert tokenizer_config_templates({"chat_template": []}) == ([], [])


@pytest.mark.parametrize("value", [5, 1.5, True, ["a"], [["default", "x"]], [{"name": "default"}],
                                   [{"name": "default", "template": 5}], {"default": 5}, {"default": ["x"]},
                                   {"default": None}])
def test_a_template_value_of_no_known_shape_is_not_judged(value: object) -> None:
    """rt9b CT2 remainder: anything but null, a string, a list of {name, template} or an object of
    strings is `error` (template.unjudged), never silence."""
    from mlbom.scanner import scan_bytes

    assert tokenizer_config_templates({"chat_template": value}).unjudged
    for name in ("tokenizer_config.json", "processor_config.json", "chat_template.json"):
        r = scan_bytes(json.dumps({"chat_template": value}).encode(), name)
        assert r.verdict == "error" and "template.unjudged" in {f.id for f in r.findings}, r.findings


def test_an_escaped_chat_template_key_is_the_key() -> None:
    """``"chat\\u005ftemplate"`` is the key ``chat_template`` to json.load: judged by the parsed key,
    not by the spelling in the text."""
    from mlbom.scanner import scan_bytes

    r = scan_bytes(b'{"chat\\u005ftemplate": "{{ x.__class__ }}"}', "tokenizer_config.json")
    assert r.verdict == "unsafe" and "template.dunder-access" in {f.id for f in r.findings}


def test_fold_products_are_bounded() -> None:
    # 60 possible values of `a` concatenated six times: 60**6 combinations are never built.
    t = "".join(f"{{% set a = 'v{i}' %}}" for i in range(60)) + "{{ x[a ~ a ~ a ~ a ~ a ~ a] }}"
    assert {f.id for f in check_template(t)} == {"template.computed-name"}


def test_fold_work_budget_keeps_constants_judged() -> None:
    # 300 folds of a 30,000-character string exhaust the budget; the constant key is still judged.
    t = "{% set a = '" + "x" * 30000 + "' %}" + "".join(f"{{% set b{i} = a ~ '{i}' %}}" for i in range(300))
    t += "{{ x['__class__'] }}"
    assert len(t) < 64 << 10
    ids = {f.id for f in check_template(t)}
    assert {"template.dunder-access", "template.fold-budget"} <= ids


def test_oversized_template_is_error() -> None:
    assert effects("{{ x }}" * 20000) == {"error"}


def test_many_templates_have_a_total_budget() -> None:
    from mlbom.formats.chat_template import check_templates

    big = "{{ x }}" + " " * 20000  # 64 KiB in all per file (mlbom.limits.MAX_TEMPLATES_CHARS): three fit
    found = check_templates([(f"t{i}", big + str(i)) for i in range(5)] + [("same", big + "0")])
    assert [f.id for f in found] == ["template.too-many", "template.too-many"]
    assert check_templates([("a", "{{ x }}"), ("b", "{{ x }}")]) == []
