"""Red team 56b (false positives on real files from library wheels).

* 56b-3: whitespace tables of numbers (astropy's ASCII-table test data: ``1367.000  184.404 +68.75``)
  were "Jsonnet that mlbom does not evaluate" (``suspicious``): Jsonnet's grammar has no two values
  side by side (only ``e {...}``, ``e[...]``, ``e(...)`` and a function's body after ``)``), so
  Jsonnet refuses such a text and jsonargparse reads it as YAML: data.
"""

from __future__ import annotations

import pytest

from mlbom.formats import config_targets as ct
from mlbom.scanner import scan_bytes

TABLES = [
    "#   1 NUMBER   Running object number\n1367.000  184.404 265.1445228 +68.7507679   0.0100\n"
    "1368.000  185.110 265.1401234 +68.7511111  -0.0200\n",
    "4754.5002* 19.811   1.00\n4755.1000  20.112   2.00\n",
    "1367.000 184.404 +68.75\n",
]


@pytest.mark.parametrize("text", TABLES)
def test_tables_of_numbers_are_no_jsonnet_program(text: str) -> None:
    assert ct._jsonnet_program(text) is None
    r = scan_bytes(text.encode(), "table.dat")
    assert r.verdict == "safe", [f.message for f in r.findings]


@pytest.mark.parametrize(("text", "feature"), [
    ("{a: 1 + 2}", "'+'"), ("local f(x) = x * 2; f(3)", "'local'"), ("function(x) x + 1", "'function'"),
    ("[x * 2 for x in [1, 2] if x > 1]", "'*'"), ("{a: {b: 1} {c: 2}}", None), ("[1, 2][0]", "'['"),
    ("std.native('system')('id')", "'std'"), ("if true then 1 else 2", "'if'"),
])
def test_programs_whose_values_meet_by_the_grammar_stay_jsonnet(text: str, feature: str | None) -> None:
    got = ct._jsonnet_program(text)
    assert got == feature or (feature is None and got is not None), (text, got)


# * 56b-1: tensorboard's 6.5 MB JavaScript bundle (over the Jsonnet lexing bound, so read as an
#   unparsed text) was ``unsafe`` for the quoted string 'platform.keybindingsRegistry': the deny list's
#   module-wide ``platform.*`` matched an attribute Python's platform module does not have, so
#   import_object raises before anything runs. Such a name is no target; the text stays ``suspicious``.

def _bundle(literal: str) -> bytes:
    line = "var x = {\n        [58 /* Colon */]: 'a', EditorModes: '" + literal + "' };\n"
    return (line + "// padding\n" * ((ct.MAX_JSONNET // 11) + 16)).encode()


@pytest.mark.parametrize(("literal", "verdict"), [
    ("platform.keybindingsRegistry", "suspicious"),  # no such attribute: unparsed text, still not safe
    ("platform.system", "unsafe"),  # platform binds it: the module-wide entry counts
    ("platform.popen", "unsafe"),  # named by its own entry (Pythons before 3.8 have it)
])
def test_a_quoted_name_a_stdlib_module_does_not_bind_is_no_target(literal: str, verdict: str) -> None:
    r = scan_bytes(_bundle(literal), "editor.main.js")
    assert r.verdict == verdict, [f.message[:200] for f in r.findings]


def test_stdlib_names_are_read_from_source() -> None:
    from mlbom.formats import stdlib_names

    assert stdlib_names.binds("platform", "system") is True
    assert stdlib_names.binds("platform", "keybindingsRegistry") is False
    assert stdlib_names.binds("subprocess", "run") is True
    assert stdlib_names.binds("logging", "config") is True  # a package's submodule
    assert stdlib_names.binds("os", "system") is None  # os star-imports posix: any name
    assert stdlib_names.binds("posix", "system") is None  # written in C
    assert stdlib_names.binds("not_a_stdlib_module", "x") is None


# * red team 58f-1: Jsonnet 0.21's digit separators (``1_000``) lex as one number, and a text shaped
#   like a program (``local NAME``, ``std.``, a computed field …) stays Jsonnet whatever juxtaposition
#   mlbom's lexer sees; 58f-2: a dunder first attribute (``subprocess.__loader__.get_data``) and names a
#   module binds at run time (ssl's IntEnum._convert_) or that another package replaces (distutils)
#   are never dropped.

def test_a_program_with_digit_separators_stays_jsonnet() -> None:
    text = ("local k = '_tar' + 'get_';\n"
            "{ n: 1_000, [k]: std.join('.', ['os', 'system']), command: 'touch x', }\n")
    assert ct._jsonnet_program(text) is not None
    assert ct._jsonnet_program(text.replace("1_000", "1000 2000")) is not None  # a program's shape wins
    for name in ("c.yaml", "c.json", "c.jsonnet"):
        assert scan_bytes(text.encode(), name).verdict == "suspicious"


@pytest.mark.parametrize("literal", ["subprocess.__loader__.get_data", "platform.__loader__.__class__",
                                     "shutil.__builtins__", "ssl.Options", "distutils.importlib.import_module"])
def test_names_the_import_system_or_run_time_code_binds_stay_targets(literal: str) -> None:
    r = scan_bytes(_bundle(literal), "editor.main.js")
    assert r.verdict == "unsafe", [f.message[:200] for f in r.findings]


def test_each_stdlib_module_is_read_once_per_process() -> None:
    # red team 59f-1: strings cycling through the 88 deny-listed stdlib modules thrashed a 64-entry
    # cache (each miss parses a module's source: 14 s for a 26 KB YAML); the work is counted, not timed
    import sys

    from mlbom.formats import pickle as pickle_fmt
    from mlbom.formats import stdlib_names

    modules = sorted(k[:-2] for k in pickle_fmt.policy().deny
                     if k.endswith(".*") and "." not in k[:-2] and k[:-2] in sys.stdlib_module_names)
    assert len(modules) > 64
    text = "".join(f"- {m}.zz{i}\n" for i in range(3) for m in modules).encode()
    scan_bytes(text, "list.yaml")
    before = stdlib_names._top_names.cache_info().misses
    scan_bytes(text, "list.yaml")
    assert stdlib_names._top_names.cache_info().misses == before  # nothing read again
