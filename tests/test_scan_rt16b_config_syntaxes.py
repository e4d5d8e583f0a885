"""Red team 16b's config-syntax findings (proofs: /work/redteam-16b/16b-3..5; real loader
jsonargparse 4.53.0, which LightningCLI uses):

* 16b-5: jsonargparse's default YAML loader subclasses ``yaml.CSafeLoader`` (libyaml), which accepts
  input PyYAML's pure-Python scanner refuses (a TAB after ``key:``, in a flow collection, before a
  comment …). The target walk read only the pure-Python parser's events and stopped silently at
  the error: ``seed_everything:<TAB>42`` on the first line hid every target after it (``safe``).
  Both parsers' readings are now walked and judged together; a text that names code keys and
  that no parser reads to its end is ``suspicious`` (``config.unparsed-targets``).
* 16b-3: jsonargparse's ``parser_mode="toml"`` (tomllib) reads ``[model] activation = "os.system"``
  and imports a TOML ``class_path``: TOML text is now read with tomllib for targets.
* 16b-4: ``parser_mode="jsonnet"`` computes strings (``std.join('.', ['os', 'system'])``): mlbom
  cannot evaluate Jsonnet, so a text naming code keys that no parser reads is ``suspicious``,
  and a literal deny-listed target visible in it is ``unsafe``.
"""

from __future__ import annotations

import yaml

from mlbom.formats import config_targets as ct
from mlbom.scanner import scan_bytes

LIBYAML = isinstance(getattr(yaml, "CBaseLoader", None), type)


def _scan(text: str, name: str) -> tuple[str, set[str]]:
    r = scan_bytes(text.encode(), name)
    return r.verdict, {f.id for f in r.findings}


# --- 16b-5: libyaml reads what PyYAML's pure-Python scanner refuses ---------------------------------

TAB_CONFIG = ("seed_everything:\t42\nmodel:\n  activation: os.system\n  encoder:\n"
              "    class_path: json.JSONEncoder\n")
TAB_IMPORT = "seed_everything:\t42\nmodel:\n  encoder:\n    class_path: this.JSONEncoder\n"


def test_16b5_tab_after_key_does_not_hide_the_targets_after_it() -> None:
    verdict, ids = _scan(TAB_CONFIG, "config.yaml")
    if LIBYAML:  # jsonargparse reads it with libyaml: os.system is imported
        assert verdict == "unsafe" and "code.dangerous-target" in ids
    else:  # no parser here reads it to its end: fail closed
        assert verdict != "safe" and "config.unparsed-targets" in ids
    verdict, ids = _scan(TAB_IMPORT, "import.yaml")
    assert verdict == "suspicious" and ids & {"code.remote", "config.unparsed-targets"}
    assert _scan(TAB_CONFIG.replace("\t", " "), "control.yaml")[0] == "unsafe"


def test_16b5_every_libyaml_only_spelling_is_walked() -> None:
    """The differences the red team measured (PyYAML 6.0.x): each in front of a target."""
    tail = "m:\n  _target_: os.system\n"
    for head in ("a:\t1\n", "x: {a: 1,\tb: 2}\n", "a: 1\t# c\n", "a: [1,\t2]\n", "a: !!str\t1\n",
                 "a: 'x'\t\n", "a: b\t\n", "a: {b:\tc}\n", "a: &x\t1\n"):
        verdict, ids = _scan(head + tail, "config.yaml")
        assert verdict == "unsafe" if LIBYAML else verdict != "safe", (head, verdict, ids)


def test_16b5_targets_of_both_readings_are_unioned() -> None:
    t = ct.yaml_targets(TAB_CONFIG)
    if LIBYAML:  # libyaml reads it to its end: the pure-Python reading (an error) adds nothing (fix18y)
        assert "os.system" in t.paths and "json.JSONEncoder" in t.paths
        assert not t.unparsed and not t.read_by_none
    else:
        assert t.read_by_none


def test_16b5_text_no_parser_reads_that_names_code_keys_is_suspicious() -> None:
    broken = "model:\n  encoder:\n    class_path: [json.JSONEncoder\n  other: }\n"
    verdict, ids = _scan(broken, "config.yaml")
    assert verdict != "safe" and "config.unparsed-targets" in ids
    # text that names no code key stays as it was, broken or not
    assert _scan("a: [1\nb: }\n", "notes.yaml")[0] == "safe"
    assert _scan("# Model card\n\nSome text: here\n- and a list\n", "README.md")[0] == "safe"


def test_16b5_benign_yaml_configs_stay_safe() -> None:
    for text in ("seed_everything:\t42\ntrainer:\n  max_epochs: 3\n", "a: 1\nb: [x, y]\n",
                 "optimizer:\n  lr: 0.1\n  name: 'adam'\n"):
        assert _scan(text, "config.yaml")[0] == "safe", text


# --- 16b-3: TOML -------------------------------------------------------------------------------------

def test_16b3_toml_config_targets_are_judged() -> None:
    config = '[model]\nactivation = "os.system"\n\n[model.encoder]\nclass_path = "json.JSONEncoder"\n'
    verdict, ids = _scan(config, "config.toml")
    assert verdict == "unsafe" and "code.dangerous-target" in ids
    verdict, ids = _scan('[model.encoder]\nclass_path = "this.JSONEncoder"\n', "import.toml")
    assert verdict == "suspicious" and "code.remote" in ids
    # any name: jsonargparse's --config reads what it is given in the parser's mode
    assert _scan('model = { _target_ = "subprocess.Popen", args = ["id"] }\n', "model.cfg")[0] == "unsafe"
    assert _scan('[[callbacks]]\nclass_path = "builtins.exec"\n', "c.txt")[0] == "unsafe"


def test_16b3_benign_toml_stays_safe() -> None:
    text = ('[project]\nname = "x"\nversion = "1.0"\n[tool.trainer]\nmax_epochs = 3\n'
            'lr = 0.1\nwhen = 2024-01-01T00:00:00Z\n')
    assert _scan(text, "pyproject.toml")[0] == "safe"


# --- 16b-4: Jsonnet ----------------------------------------------------------------------------------

def test_16b4_computed_jsonnet_targets_are_suspicious() -> None:
    config = ("local fn = std.join('.', ['os', 'system']);\n"
              "{ model: { activation: fn, encoder: { class_path: 'json.JSONEncoder' } } }\n")
    verdict, ids = _scan(config, "config.jsonnet")
    assert verdict == "suspicious" and "config.unparsed-targets" in ids
    imp = "local mod = 'th' + 'is';\n{ model: { encoder: { class_path: mod + '.JSONEncoder' } } }\n"
    verdict, ids = _scan(imp, "import.jsonnet")
    assert verdict == "suspicious" and "config.unparsed-targets" in ids


def test_16b4_visible_dangerous_literal_in_jsonnet_is_unsafe() -> None:
    for text in ("local x = 1;\n{ model: { encoder: { class_path: 'os.system' } } }\n",
                 "local e = std.join('.', ['a', 'b']);\n"
                 "{ model: { activation: \"subprocess.Popen\", encoder: { class_path: e } } }\n",
                 "local t = 'x';\n{ m: { _target_: \"builtins.eval\" + t } }\n"):
        verdict, ids = _scan(text, "config.libsonnet")
        assert verdict == "unsafe" and "code.dangerous-target" in ids, text
    # JSON-compatible Jsonnet is JSON: judged as before
    plain = '{"model": {"activation": "os.system", "encoder": {"class_path": "json.JSONEncoder"}}}\n'
    assert _scan(plain, "plain.jsonnet")[0] == "unsafe"


def test_16b4_jsonnet_is_judged_by_the_language_not_by_a_key_s_spelling() -> None:
    """Red team 18b-2 changed this: Jsonnet that computes anything is ``suspicious`` whether or not
    a code key is spelled (a computed field name ``[k]:`` spells none); data-only Jsonnet that YAML
    reads the same stays safe."""
    verdict, ids = _scan("local lr = 0.1;\n{ optimizer: { lr: lr * 2 } }\n", "train.jsonnet")
    assert verdict == "suspicious" and "config.unparsed-targets" in ids
    assert _scan("{ optimizer: { lr: 0.1, name: 'adam', betas: [0.9, -0.99] } }  # data\n", "train.jsonnet")[0] == "safe"


def test_a_config_snippet_in_a_model_card_no_parser_reads_is_not_a_config() -> None:
    """A README/model card showing a Hydra snippet in a fenced block: markdown is no YAML, so no
    parser reads it whole; it is documentation, not a config a framework loads — the finding is
    info there. A target a parser does read in it still counts."""
    card = ("---\nlicense: mit\n---\n# Model\n\nUse it with Hydra:\n\n```yaml\nmodel:\n  _target_: my_pkg.Model\n"
            "  size: 3\n```\n\n| a | b |\n|---|---|\n| {x | y] |\n")
    verdict, ids = _scan(card, "README.md")
    assert verdict == "safe" and "config.unparsed-targets" in ids
    assert _scan(card, "config.yaml")[0] == "suspicious"  # the same text as a config file


def test_17b1_jsonnet_that_yaml_reads_as_one_scalar_is_still_unread() -> None:
    """Red team 17b-1: Jsonnet with no ``': '`` reads to its end in both YAML parsers as one plain
    scalar, so "some parser read it" held and the Jsonnet rule never ran (``safe``). Code keys the
    text spells as keys that no reading holds as keys are unread whatever parsed."""
    computed = "local fn = std.join('.', ['os', 'system']);\n{model:{activation:fn,encoder:{class_path:'json.JSONEncoder'}}}\n"
    verdict, ids = _scan(computed, "config.jsonnet")
    assert verdict == "suspicious" and "config.unparsed-targets" in ids
    imported = "local mod = 'th' + 'is';\n{model:{encoder:{class_path:mod + '.JSONEncoder'}}}\n"
    assert _scan(imported, "config.jsonnet")[0] == "suspicious"
    literal = "local x = 1;\n{model:{encoder:{class_path:'os.system'}}}\n"
    assert _scan(literal, "config.jsonnet")[0] == "unsafe"


def test_a_resolver_argument_is_parsed_once_however_often_it_repeats(monkeypatch: object) -> None:
    """Fuzzing (scanner-yaml, 1 Dec): a 2 KB config whose values repeat resolver calls made a
    thousand nested YAML parses (1.25 s); both top-level readings walked them again. Each argument
    text is parsed once per text now."""
    import pytest as _pytest

    mp: _pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    calls: list[str] = []
    real = ct.yaml_targets

    def counting(text: str, **kw: object) -> ct.Targets:
        if kw.get("depth"):
            calls.append(text)
        return real(text, **kw)  # type: ignore[arg-type]

    mp.setattr(ct, "yaml_targets", counting)
    value = "${oc.create:'{a: ${oc.create:\"{b: 1}\"}}'}"
    text = "".join(f"k{i}: {value}\n" for i in range(200))
    targets = ct.text_targets(text)
    assert len(calls) == len(set(calls)) <= 4, len(calls)
    assert targets.resolvers == [] or "oc.create" not in targets.resolvers
