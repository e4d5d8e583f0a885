"""Red team 18b's config-target findings (proofs: /work/redteam-18b/18b-1..3; the real loader is
jsonargparse 4.53.0 + jsonnet 0.22 in /work/rt16b-venv, run here in a throw-away subprocess when it
exists — CI has no jsonargparse and skips those checks).

* 18b-1: a jsonargparse ``Callable`` (or class-typed) argument resolves a plain dotted string with
  ``import_object``: no ``class_path``/``_target_`` key is needed, so a deny-listed dotted string is a
  target in any YAML/JSON/TOML config.
* 18b-2: Jsonnet is judged by the language, not by a code key's spelling (computed field names,
  single-quoted escapes, imports, ``std`` calls).
* 18b-3: jsonargparse parses a string given for a non-``str`` type again (YAML/JSON, TOML): a config
  inside a string value is judged as the file's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlbom.formats import config_targets as ct
from mlbom.scanner import scan_bytes

RT_VENV = Path("/work/rt16b-venv/bin/python")
APP = """
import json, os, sys
from typing import Callable
from jsonargparse import ArgumentParser, ActionConfigFile
p = ArgumentParser(parser_mode=sys.argv[2], exit_on_error=False)
p.add_argument("--config", action=ActionConfigFile)
p.add_argument("--model.activation", type=Callable)
p.add_argument("--model.encoder", type=json.JSONEncoder)
try:
    cfg = p.parse_args(["--config", sys.argv[1]])
    print("ACTIVATION-IS-OS-SYSTEM", cfg.model.activation is os.system)
except Exception as e:
    print("raised", str(e)[:300])
"""


def _scan(text: str, name: str) -> tuple[str, set[str], str]:
    r = scan_bytes(text.encode(), name)
    return r.verdict, {f.id for f in r.findings}, " ".join(f.message for f in r.findings)


def _jsonargparse(tmp_path: Path, text: str, name: str, mode: str) -> str:
    """What the real loader does with the file (``this`` printing the Zen proves its import)."""
    if not RT_VENV.exists():
        pytest.skip("no jsonargparse venv (/work/rt16b-venv)")
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / name).write_text(text)
    out = subprocess.run([str(RT_VENV), str(tmp_path / "app.py"), name, mode], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    return out.stdout + out.stderr


# --- 18b-1 -----------------------------------------------------------------------------------------

NO_KEY = [
    ("model:\n  activation: os.system\n", "config.yaml", "yaml"),
    ('{"model": {"activation": "os.system"}}\n', "config.json", "yaml"),
    ('[model]\nactivation = "os.system"\n', "config.toml", "toml"),
]


@pytest.mark.parametrize(("text", "name", "mode"), NO_KEY)
def test_18b1_a_deny_listed_dotted_string_is_unsafe_without_any_code_key(tmp_path: Path, text: str, name: str,
                                                                          mode: str) -> None:
    verdict, ids, msg = _scan(text, name)
    assert verdict == "unsafe" and "code.dangerous-target" in ids and "'os.system'" in msg, msg
    if RT_VENV.exists():
        assert "ACTIVATION-IS-OS-SYSTEM True" in _jsonargparse(tmp_path, text, name, mode)


def test_18b1_escaped_and_nested_spellings_of_the_dotted_string() -> None:
    assert _scan('model:\n  activation: "os.sys\\x74em"\n', "config.yaml")[0] == "unsafe"
    assert _scan('{"m": {"act": "os.sys\\u0074em"}}', "config.json")[0] == "unsafe"
    assert _scan('[m]\nact = "subprocess.Pop\\u0065n"\n', "c.toml")[0] == "unsafe"
    assert _scan("callbacks:\n  - a: 1\n  - fns: [builtins.eval]\n", "config.yaml")[0] == "unsafe"
    assert _scan("x: mypkg.os.system\n", "config.yaml")[0] == "unsafe"  # (the deny list matches inside a path)


def test_18b1_ordinary_dotted_strings_stay_safe() -> None:
    """Only the deny list makes a bare string a target: dtypes, activations, class names of real
    configs are not; a Keras config names its own layers (``keras.*`` is on the pickle deny list for
    nested loads, not as a plain name)."""
    yaml_cfg = ("model:\n  dtype: torch.float16\n  act: gelu\n  cls: transformers.AutoModel\n"
                "  opt: torch.optim.AdamW\n  log: logging.StreamHandler\n  enc: json.JSONEncoder\n")
    assert _scan(yaml_cfg, "config.yaml")[0] == "safe"
    hf = {"architectures": ["LlamaForCausalLM"], "torch_dtype": "bfloat16", "hidden_act": "silu",
          "transformers_version": "4.40.0", "auto_map": None}
    assert _scan(json.dumps(hf), "config.json")[0] == "safe"
    keras_cfg = {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 2},
                 "registered_name": None}
    assert _scan(json.dumps(keras_cfg), "layer.json")[0] == "safe"
    assert _scan('[tool.x]\nbackend = "torch.nn.functional"\n', "pyproject.toml")[0] == "safe"


def test_18b1_the_shorthand_class_path_is_a_documented_limit() -> None:
    """A class-typed argument given ``this.JSONEncoder`` imports ``this``: from the data alone this
    is any dotted string (``torch.float16``); mlbom does not flag it (docs/scanning.md)."""
    assert _scan("model:\n  encoder: this.JSONEncoder\n", "shorthand.yaml")[0] == "safe"


def test_18b1_the_pre_filter_is_linear_and_exact() -> None:
    assert ct.names_denied("a: os.system") and ct.names_denied("x.y.subprocess.Popen")
    assert ct.names_denied("a.__class__.b") and ct.names_denied("m.AutoModel.from_pretrained")
    assert not ct.names_denied("torch.float16 keras.layers.Dense os . system osx.system")
    assert ct.names_denied("keras.utils.from_pretrained")  # a denied final name under Keras still counts
    big = "\n".join(f"k{i}: torch.v{i} x.y.z" for i in range(20000))
    assert not ct.names_denied(big) and ct.names_denied(big + "\nz: os.popen\n")


# --- 18b-2 -----------------------------------------------------------------------------------------

JSONNET = {
    "computed_key": "local k = 'class' + '_path';\nlocal m = 'th' + 'is';\n"
                    "{ model: { encoder: { [k]: m + '.JSONEncoder' } } }\n",
    "escaped_key": "{ model: { encoder: { 'class\\u005fpath': 'th' + 'is.JSONEncoder' } } }\n",
    "escaped_literal": "{ model: { encoder: { 'class\\u005fpath': 'this.JSONEncoder' } } }\n",
    "computed_callable": "{ model: { activation: std.join('.', ['os', 'system']) } }\n",
    "imports": "{ model: { encoder: import '../evil.libsonnet' } }\n",
    "no_space": "{model:{encoder:{class_path:'this.JSONEncoder'}}}\n",
}


@pytest.mark.parametrize("key", sorted(JSONNET))
@pytest.mark.parametrize("suffix", [".jsonnet", ".libsonnet", ".yaml", ".cfg"])
def test_18b2_jsonnet_that_computes_or_escapes_a_code_key_is_suspicious(key: str, suffix: str) -> None:
    text = JSONNET[key]
    if suffix in (".yaml", ".cfg") and key == "no_space":
        pytest.skip("YAML reads it as a mapping with an odd key; only a Jsonnet name marks it")
    verdict, ids, msg = _scan(text, key + suffix)
    assert verdict in ("suspicious", "unsafe") and ids & {"config.unparsed-targets", "code.remote"}, (key, msg)


def test_18b2_the_real_loader_computes_the_key(tmp_path: Path) -> None:
    out = _jsonargparse(tmp_path, JSONNET["computed_key"], "c.jsonnet", "jsonnet")
    assert "Zen of Python" in out, out
    out = _jsonargparse(tmp_path, JSONNET["computed_callable"], "c.yaml", "jsonnet")
    assert "ACTIVATION-IS-OS-SYSTEM True" in out, out


def test_18b2_data_only_jsonnet_and_other_languages_stay_safe() -> None:
    plain = "{ model: { activation: 'gelu', lr: -0.1, layers: [1, 2], name: \"x\" } }  # a comment\n"
    assert _scan(plain, "train.jsonnet")[0] == "safe"
    assert _scan('{"model": {"activation": "gelu"}}', "train.jsonnet")[0] == "safe"  # JSON: judged as JSON
    others = {
        "app.js": "(function() {\n  'use strict';\n  var x = a ? b : c;\n"
                  "  module.exports = function(y) { return '\\n' + y; };\n})();\n",
        "app2.js": "import x from 'y';\nexport default function(a) { return {[a]: 1}; }\n",
        "init.lua": "local torch = require 'torch'\nlocal x = {}\nfunction x.f(a) return a end\nreturn x\n",
        "main.cpp": "#include <vector>\nint main() { std::vector<int> v; return v.size(); }\n",
        "merges.txt": "#version: 0.2\n\u0120 t\n: :\n:: :\n",
    }
    for name, text in others.items():
        assert _scan(text, name)[0] == "safe", name


def test_18b2_jsonnet_in_documentation_is_info() -> None:
    card = "# Model\n\n```jsonnet\nlocal k = 'class' + '_path';\n{ m: { [k]: 'a.B' } }\n```\n"
    assert _scan(card, "README.md")[0] == "safe"
    # a Jsonnet config saved as documentation: the existing documentation rule, info only
    verdict, ids, _ = _scan("local k = 'class' + '_path';\n{ m: { [k]: 'a.B' } }\n", "config.md")
    assert verdict == "safe" and "config.unparsed-targets" in ids


# --- 18b-3 -----------------------------------------------------------------------------------------

IN_STRING = [
    ('{"model": {"encoder": "{\\"class_path\\": \\"this.JSONEncoder\\"}"}}\n', "in_string.json", "yaml",
     "suspicious"),
    ("model:\n  encoder: '{\"class\\u005fpath\": \"this.JSONEncoder\"}'\n", "in_string_u.yaml", "yaml", "suspicious"),
    ('model:\n  encoder: "{class\\x5fpath: this.JSONEncoder}"\n', "in_string_x.yaml", "yaml", "suspicious"),
    ("[model]\nencoder = '{\"class_path\": \"this.JSONEncoder\"}'\n", "in_string.toml", "toml", "suspicious"),
    ('model:\n  encoder: "class_path: this.JSONEncoder"\n', "block.yaml", "yaml", "suspicious"),
    ('[model]\nencoder = "class_path = \\"this.JSONEncoder\\""\n', "toml_in_toml.toml", "toml", "suspicious"),
    ('{"model": {"encoder": "{\\"class_path\\": \\"subprocess.Popen\\"}"}}\n', "deny.json", "yaml", "unsafe"),
    ('{"model": {"activation": "{\\"a\\": \\"os.system\\"}"}}\n', "deny_value.json", "yaml", "unsafe"),
]


@pytest.mark.parametrize(("text", "name", "mode", "verdict"), IN_STRING)
def test_18b3_a_config_inside_a_string_is_judged(tmp_path: Path, text: str, name: str, mode: str,
                                                 verdict: str) -> None:
    got, ids, msg = _scan(text, name)
    assert got == verdict and ids & {"code.remote", "code.dangerous-target"}, msg
    if RT_VENV.exists() and "this.JSONEncoder" in text:
        assert "Zen of Python" in _jsonargparse(tmp_path, text, name, mode)


def test_18b3_nesting_is_bounded_and_strings_without_code_stay_safe() -> None:
    inner = '{"class_path": "a.B"}'
    for _ in range(ct.MAX_NEST + 3):
        inner = json.dumps({"x": inner})
    verdict, ids, _ = _scan(inner, "deep.json")
    assert verdict == "suspicious" and "code.remote" in ids
    benign = {"chat_template": "{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] }}{% endfor %}",
              "note": "{a: 1, b: [2, 3]}", "args": "lr: 0.1\nsteps: 3\n", "desc": "see a: b"}
    assert _scan(json.dumps(benign), "tokenizer_config.json")[0] == "safe"
    assert _scan("x: '{a: 1}'\ny: \"k: v\"\n", "config.yaml")[0] == "safe"
