"""Red team 119sb.

119sb-1/-1b: names that differ only by Unicode NFKC (``a`` and fullwidth ``ａ``) are ONE Python variable once
Jinja2 compiles the template (``l_0_ａ`` is ``l_0_a``: Python NFKC-normalises identifiers), but were two for the
judge: ``{% set a = 'role' %}{% set ａ = … %}`` rebound ``a`` unseen, ``{% set ｅｍｉｔ = f %}`` made a macro call
call anything, ``namespace(ｊｏｉｎ=f)`` set ``join``. Every name Jinja2 emits as an identifier is now normalised
before the judge reads it (``template.odd-name``, suspicious, says so), and a name that has such an alias may
also be the renderer's variable of either spelling (Jinja2's code assigns ``resolve('<spelling>')`` at a scope's
top): never a constant, a number or context data.

119sb-2..4: work the judge did uncounted (format strings parsed again past a 64-entry cache, ``+`` chains
walked again at every level, ``join`` of a long list 64 ways): counted here, not timed."""

from __future__ import annotations

import json
import re
import struct
import unicodedata
from pathlib import Path

import pytest
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mlbom.formats import jinja_ast


def _fw(template: str) -> str:
    """``«name»`` spelt in fullwidth letters (U+FF21…; ``_`` as U+FF3F), NFKC-equal to ``name``."""
    return re.sub(r"«([^»]*)»", lambda m: "".join(chr(ord(c) + 0xFEE0) if c.isalpha() or c == "_" else c
                                                   for c in m.group(1)), template)


def _ascii(template: str) -> str:
    return re.sub(r"«([^»]*)»", lambda m: m.group(1), template)


def _bad(template: str) -> set[tuple[str, str | None]]:
    return {(f.id, f.effect) for f in jinja_ast.check_template(template) if f.effect in ("unsafe", "suspicious")}


def test_the_renderer_makes_nfkc_equal_names_one_variable() -> None:
    """The premise (harmless values): Jinja2's sandbox renders ``ａ`` and ``a`` as one variable, keyword
    argument keys normalised, attribute names (strings in the compiled code) not."""
    env = ImmutableSandboxedEnvironment()
    assert env.from_string(_fw("{% set a = 1 %}{% set «a» = 2 %}{{ a }}")).render() == "2"
    assert env.from_string(_fw("{{ dict(«a»=1) }}")).render() == "{'a': 1}"
    assert env.from_string(_fw("{% with «a» = 'X' %}{{ a }}{% endwith %}")).render() == "X"
    assert env.from_string(_fw("{% set ns = namespace() %}{% set ns.«a» = 2 %}[{{ ns.a }}]")).render() == "[]"


# (template with «aliases», what the judge must find besides template.odd-name)
ALIASED = {
    "set": ("{% set a = 'role' %}{% set «a» = '__cla' ~ 'ss__' %}{{ messages[0][a] }}",
            "template.computed-name"),
    "set-computed": ("{% set a = 'role' %}{% set «a» = 'init'.center(8, '_') %}{{ namespace[a] }}",
                     "template.computed-name"),
    "macro-name-rebound": ("{% macro emit(x) %}{{ x }}{% endmacro %}{% set «emit» = messages[0].content.format %}"
                           "{{ emit(namespace) }}", "template.odd-call"),
    "macro-name-aliased": ("{% macro «emit»(x) %}{{ x }}{% endmacro %}{% set emit = messages[0].content.format %}"
                           "{{ emit(namespace) }}", "template.odd-call"),
    "macro-argument": ("{% macro f(«x») %}{{ messages[0][x] }}{% endmacro %}{{ f('role') }}",
                       "template.computed-name"),
    "call-kwarg-namespace-join": ("{% set ns = namespace(«join»=1) %}{{ ns.x }}", "template.namespace-protocol"),
    "call-kwarg-namespace-frame": ("{% set ns = namespace(«gi_frame»=1) %}{{ ns.x }}", "template.internals-access"),
    "filter-kwarg-map": ("{{ messages|map(«attribute»='__class__')|list }}", "template.dunder-access"),
    "filter-kwarg-sort": ("{{ messages|sort(«attribute»='__class__')|list }}", "template.dunder-access"),
    "for-target": ("{% set k = 'role' %}{% for «k» in ['__cla' ~ 'ss__'] %}{{ messages[0][k] }}{% endfor %}",
                   "template.computed-name"),
    "for-target-shadowing-data": ("{% set «m» = 'role' %}{% for m in messages %}{{ m[m] }}{% endfor %}",
                                  "template.computed-name"),
    "with-target": ("{% with «a» = '__cla' ~ 'ss__' %}{{ messages[0][a] }}{% endwith %}", "template.computed-name"),
    "namespace-ref": ("{% set ns = namespace(a='role') %}{% set «ns».a = '__cla' ~ 'ss__' %}"
                      "{{ messages[0][ns.a] }}", "template.computed-name"),
    "global-shadowed": ("{% for «namespace» in [1] %}{{ namespace[messages[0].content] }}{% endfor %}",
                        "template.computed-name"),
}


@pytest.mark.parametrize("case", sorted(ALIASED))
def test_119sb1_aliased_names_are_judged_as_the_variable_they_are(case: str) -> None:
    template, expected = ALIASED[case]
    found = _bad(_fw(template))
    assert ("template.odd-name", "suspicious") in found, found
    assert any(fid == expected for fid, _ in found), found  # the judge itself, not only the name finding
    # never milder than the same template spelt in ASCII, less what only the folded constant showed
    ascii_effects = {e for _, e in _bad(_ascii(template))}
    assert "suspicious" in {e for _, e in found} or not ascii_effects


def test_119sb1_the_red_team_template() -> None:
    t = _fw("""{%- macro emit(x) -%}{{ x }}{%- endmacro -%}
{%- set a = 'role' -%}{%- set b = 'content' -%}{%- set c = 'name' -%}{%- set d = 'type' -%}
{%- set «a» = 'init'.center(8, '_') -%}{%- set «b» = 'globals'.center(11, '_') -%}
{%- set «c» = 'o' ~ 's' -%}{%- set «d» = 'sys' ~ 'tem' -%}
{%- set «emit» = namespace[a][b][c][d] -%}
{%- for message in messages -%}{{ '<|' ~ message['role'] ~ '|>' ~ message['content'] ~ '\\n' }}{%- endfor -%}
{{ emit('echo harmless') }}""")
    found = _bad(t)
    assert {("template.odd-name", "suspicious"), ("template.computed-name", "suspicious"),
            ("template.odd-call", "suspicious")} <= found, found


def test_119sb1_every_reader_path_is_not_safe(tmp_path: Path) -> None:
    """The red team's template through ``mlbom scan``'s readers: chat_template.jinja, tokenizer_config.json and
    a GGUF's ``tokenizer.chat_template`` (old: ``safe`` for each)."""
    from mlbom.scanner import scan_file

    t = _fw("{% macro emit(x) %}{{ x }}{% endmacro %}{% set a = 'role' %}{% set «a» = 'init'.center(8, '_') %}"
            "{% set «emit» = namespace[a] %}{{ emit('harmless') }}")
    (tmp_path / "chat_template.jinja").write_text(t, encoding="utf-8")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"chat_template": t}), encoding="utf-8")

    def text(v: str) -> bytes:
        return struct.pack("<Q", len(v.encode())) + v.encode()

    kv = text("general.architecture") + struct.pack("<I", 8) + text("llama")
    kv += text("tokenizer.chat_template") + struct.pack("<I", 8) + text(t)
    (tmp_path / "m.gguf").write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 2) + kv)
    for name in ("chat_template.jinja", "tokenizer_config.json", "m.gguf"):
        r = scan_file(tmp_path / name)
        assert r.verdict == "suspicious" and any(f.id == "template.odd-name" for f in r.findings), (name, r.verdict)


def test_119sb1b_attr_format_hidden_by_an_alias() -> None:
    t = _fw("""{%- macro emit(x) -%}{{ x }}{%- endmacro -%}
{%- set s = 'Hello' -%}{%- set a = 'upper' -%}
{%- set «s» = '{0.' ~ 'init'.center(8, '_') ~ '.' ~ 'globals'.center(11, '_') ~ '[os]}' -%}
{%- set «a» = 'for' ~ 'mat' -%}
{%- set «emit» = s|attr(a) -%}
{{ emit(namespace) }}""")
    found = _bad(t)
    assert ("template.odd-call", "suspicious") in found, found
    assert found & {("template.format-method", "suspicious"), ("template.computed-name", "suspicious")}, found


def test_119sb1_every_identifier_the_judge_reads_is_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    """One template with an alias in every construct Jinja2 emits as an identifier: after the judge's node
    walk, no name it keys on differs from its NFKC form; attribute names (strings) are left as written."""
    t = _fw("{% macro «m»(«x», «y»=1) %}{{ «x» }}{% endmacro %}{% set «a», «b» = 1, 2 %}"
            "{% for «i» in «l» %}{% set «ns».«q» = «i» %}{% endfor %}{% with «w» = 1 %}{% endwith %}"
            "{% call(«z») «m»(1) %}{{ «z» }}{% endcall %}{% set «ns» = namespace(«k»=1) %}"
            "{{ «l»|map(«attribute»='«role»')|join }}{{ dict(«kw»=1).«at» }}{% block «bl» %}{% endblock %}")
    seen: list[jinja_ast._Judge] = []
    real_run = jinja_ast._Judge.run

    def run(self: jinja_ast._Judge) -> list[jinja_ast.TemplateFinding]:
        seen.append(self)
        return real_run(self)

    monkeypatch.setattr(jinja_ast._Judge, "run", run)
    jinja_ast.check_template(t)
    tree = seen[0].tree
    names = [n.name for n in tree.find_all((nodes.Name, nodes.NSRef, nodes.Macro, nodes.Block))]
    names += [k.key for k in tree.find_all(nodes.Keyword)]
    assert names and all(n == unicodedata.normalize("NFKC", n) for n in names), names
    # strings stay strings: getattr(x, 'ａt') and ns['ｑ'] are not the ASCII names
    assert {g.attr for g in tree.find_all(nodes.Getattr)} == {_fw("«at»")}
    assert {r.attr for r in tree.find_all(nodes.NSRef)} == {_fw("«q»")}


def test_119sb1_ascii_and_other_scripts_are_left_alone() -> None:
    """Names already in NFKC (ASCII, CJK) raise nothing."""
    assert jinja_ast.check_template("{% set 名前 = messages[0]['content'] %}{{ 名前 }}") == []
    assert jinja_ast.check_template("{% set a = messages[0]['content'] %}{{ a }}") == []


# ---- 119sb-2: format strings parsed again past a 64-entry cache ----------------------------------------


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Fields parsed by ``_format_accesses`` (the field parser) in all."""
    fields = [0, 0]  # parses, fields
    real = jinja_ast._format_accesses

    def counting(fmt: str) -> list[tuple[bool, str]]:
        got = real(fmt)
        fields[0] += 1
        fields[1] += fmt.count("{")
        return got

    monkeypatch.setattr(jinja_ast, "_format_accesses", counting)
    return fields


def test_119sb2_strings_in_rotation_are_parsed_once_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """65 format strings used round-robin by 650 nodes: 65 parses (old: a 64-entry LRU missed every time)."""
    parses = _counting_parses(monkeypatch)
    k = 65
    t = "{% set F = '" + "{}" * 400 + "' %}"
    t += "".join(f"{{% set G{i} = F[{2 * i}:] %}}" for i in range(k))
    t += "".join(f"{{{{G{i % k}.format('')}}}}" for i in range(10 * k))
    found = jinja_ast.check_template(t)
    assert parses[0] <= k + 1, parses
    assert not [f for f in found if f.effect == "unsafe"], found
    assert jinja_ast._RUN_CACHE.get() is None  # nothing kept past the run


def test_119sb2_parsing_is_charged_to_the_fold_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """1,000 distinct 4,000-field strings: what is parsed is bounded by the fold budget, and the budget says so."""
    parses = _counting_parses(monkeypatch)
    t = "{% set F = '" + "{}" * 4000 + "' %}"
    t += "".join(f"{{% set G{i} = F[{2 * i}:] %}}{{{{G{i}.format('')}}}}" for i in range(1000))
    found = jinja_ast.check_template(t)
    assert parses[1] * jinja_ast._FIELD_COST <= jinja_ast.MAX_FOLD_WORK + 4000 * jinja_ast._FIELD_COST * 2, parses
    assert ("template.fold-budget", "suspicious") in {(f.id, f.effect) for f in found}


def test_119sb2_fields_that_read_attributes_are_still_found_in_rotation() -> None:
    t = "{% set F = '{0.__class__}' %}" + "".join(f"{{% set G{i} = F[0:] ~ '{i}' %}}" for i in range(70))
    t += "".join(f"{{{{G{i % 70}.format(messages)}}}}" for i in range(140))
    assert any(f.id == "template.format-attribute" and f.effect == "unsafe" for f in jinja_ast.check_template(t))


# ---- 119sb-3: deep + chains walked again at every level ------------------------------------------------


def _chain_counts(monkeypatch: pytest.MonkeyPatch, depth: int) -> tuple[dict[str, int], list[str]]:
    calls = {"numeric": 0, "stringy": 0}
    real_numeric = jinja_ast._Judge._numeric
    real_stringy = jinja_ast._stringy

    def numeric(self: jinja_ast._Judge, node: nodes.Node) -> bool:
        calls["numeric"] += 1
        return real_numeric(self, node)

    def stringy(node: nodes.Node, *args: object) -> bool:
        calls["stringy"] += 1
        return real_stringy(node, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja_ast._Judge, "_numeric", numeric)
    monkeypatch.setattr(jinja_ast, "_stringy", stringy)
    expr = "+".join(["c"] + ["m"] * (depth - 1))
    t = "{% for m in messages %}{% set c = 'a' ~ m %}{% set x = " + expr + " %}{{ messages[0][x] }}{% endfor %}"
    return calls, [f.id for f in jinja_ast.check_template(t)]


def test_119sb3_a_deep_chain_is_walked_once_per_level(monkeypatch: pytest.MonkeyPatch) -> None:
    """``set x = c+m+…+m`` (90 deep): each level's number/string question answered once (old: the chain
    below walked again at every level, 8,461 + 16,200 calls; now some 7 per level)."""
    calls, found = _chain_counts(monkeypatch, 90)
    assert calls["numeric"] <= 12 * 90 and calls["stringy"] <= 12 * 90, calls
    assert "template.computed-name" in found  # x is still a name built at render time


def test_119sb3_names_are_listed_in_document_order() -> None:
    tree = jinja_ast._ENV.parse("{{ a + b ~ (c|f(d, e=g)) }}{% for h in i %}{{ j[k] }}{% endfor %}")
    assert [n.name for n in jinja_ast._names(tree)] == [n.name for n in tree.find_all(nodes.Name)]
    deep = jinja_ast._ENV.parse("{{ " + "+".join(f"v{i}" for i in range(300)) + " }}")
    assert [n.name for n in jinja_ast._names(deep)] == [f"v{i}" for i in range(300)]


# ---- 119sb-4: a long list joined 64 ways, charged only for the result ---------------------------------


_SIXTY_FOUR = "".join(chr(0x4E00 + i) for i in range(64))  # one-character separators: X takes 64 values


@pytest.mark.parametrize("use", ["{{L|join(X)}}", "{{X.join(L)}}", "{{L|join(d=X)}}"])
def test_119sb4_operands_are_charged_per_application(use: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 4,000-element list and a separator of 64 values, 37 nodes: each application walks the list in
    Python; it is charged for it before it runs, so the budget bounds the applications (old: 2,368)."""
    sized = [0]
    real = jinja_ast._join_size

    def counting(sep: object, items: object) -> None:
        sized[0] += 1
        real(sep, items)

    monkeypatch.setattr(jinja_ast, "_join_size", counting)
    t = "{% set L = [''] * 4000 %}{% for X in '" + _SIXTY_FOUR + "' %}" + use * 37 + "{% endfor %}"
    found = {(f.id, f.effect) for f in jinja_ast.check_template(t)}
    per_application = jinja_ast._ITEM_COST * 4001
    assert sized[0] <= jinja_ast.MAX_FOLD_WORK // per_application + 2, sized
    assert ("template.fold-budget", "suspicious") in found, found


def test_119sb4_small_folds_are_still_folded() -> None:
    """The charge is the operands' size: a real template's joins fold as before."""
    t = ("{% set parts = ['__cl', 'ass__'] %}{% for sep in ['', ''] %}{{ messages[0][parts|join(sep)] }}"
         "{% endfor %}") * 50
    found = {(f.id, f.effect) for f in jinja_ast.check_template(t)}
    assert ("template.dunder-access", "unsafe") in found and ("template.fold-budget", "suspicious") not in found


@pytest.mark.parametrize(("ascii_name", "alias"), [("fi", "\ufb01"), ("a", "\U0001d41a"), ("e", "\u212f"),
                                                    ("n", "\u207f"), ("x", "\uff58")])
def test_119sb1_other_nfkc_aliases(ascii_name: str, alias: str) -> None:
    """Ligatures, mathematical letters, script and superscript letters: every NFKC alias, not only fullwidth."""
    assert unicodedata.normalize("NFKC", alias) == ascii_name
    t = (f"{{% set {ascii_name} = 'role' %}}{{% set {alias} = 'init'.center(8, '_') %}}"
         f"{{{{ messages[0][{ascii_name}] }}}}")
    found = _bad(t)
    assert {("template.odd-name", "suspicious"), ("template.computed-name", "suspicious")} <= found, found


def test_119sb4_a_joined_string_is_sized_without_walking_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """``S|join(X)`` of a 4,000-character string: its characters are counted, not each measured in Python."""
    calls = [0]
    real = jinja_ast._str_bound

    def counting(value: object, repr_factor: int = 1) -> int:
        calls[0] += 1
        return real(value, repr_factor)

    monkeypatch.setattr(jinja_ast, "_str_bound", counting)
    jinja_ast._join_size("x", "a" * 4000)
    assert calls[0] <= 2, calls
    with pytest.raises(jinja_ast._TooLarge):
        jinja_ast._join_size("x", "a" * 9000)


def test_119sb4_a_format_string_is_no_list() -> None:
    """A long format string costs its application nothing per character (C code; the result is paid for):
    the 118sb shape — 60 nodes formatting a 4,000-field string 64 ways — still folds within the budget."""
    assert jinja_ast._walk_cost("{}" * 4000) == 1
    assert jinja_ast._walk_cost([""] * 4000) == jinja_ast._ITEM_COST * 4001 + 4000


def test_119sb3_the_binding_passes_are_bounded() -> None:
    """95-deep ``+`` chains under 140 sets behind an 8-link chain of sets (so that every binding pass runs):
    each pass asked again of every chain (1.7 s). The passes stop past MAX_BINDING_VISITS as after the last
    one (a name still changing is opaque), and the fixpoint budget is smaller: the work is bounded, and the
    template is reported, never judged clean."""
    expr = "+".join(["c"] + ["m"] * 94)
    chain = "".join(f"{{% set y{i} = y{i - 1} %}}" for i in range(8, 0, -1)) + "{% set y0 = 'a' %}"
    t = (chain + "{% for m in messages %}{% set c = 'a' ~ m %}"
         + "".join(f"{{% set x{i} = {expr} %}}" for i in range(140)) + "{% endfor %}")
    judge = jinja_ast._Judge(jinja_ast._ENV.parse(t), "t")
    found = judge.run()
    assert judge.visits < 3 * jinja_ast.MAX_BINDING_VISITS + 2 * jinja_ast.MAX_FIXPOINT_WORK, judge.visits
    assert found, "judged clean"
