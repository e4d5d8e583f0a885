"""Red team 19b's config-target findings (proofs: /work/redteam-19b/19b-1..4; the real loaders are
jsonargparse 4.53.0 + jsonnet 0.22 in /work/rt16b-venv and Hydra 1.3 / OmegaConf in this venv, run
here in a throw-away subprocess when they exist — CI has neither and skips those checks).

* 19b-1: the model-package exemption (keras/tensorflow/h5py/huggingface_hub) applies only when their
  whole-package deny entry is the only reason: ``h5py._hl.files.os.system`` reaches ``os.system``.
* 19b-2: a config inside a string value after any YAML line break (``\\r``, NEL, U+2028/9) or a BOM.
* 19b-3: Jsonnet judged by its grammar (operators, inline ``local``, ``if``, comprehensions), not a
  feature list.
* 19b-4: no silent length bound on a dotted whole value.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats import config_targets as ct
from mlbom.scanner import scan_bytes

RT_VENV = Path("/work/rt16b-venv/bin/python")
SITE = Path(sys.executable).parent.parent / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
APP = """
import json, os, sys
from typing import Callable, List
from jsonargparse import ArgumentParser, ActionConfigFile
p = ArgumentParser(parser_mode=sys.argv[2], exit_on_error=False)
p.add_argument("--config", action=ActionConfigFile)
p.add_argument("--model.activation", type=Callable)
p.add_argument("--model.hooks", type=List[Callable])
try:
    cfg = p.parse_args(["--config", sys.argv[1]])
    print("ACTIVATION-IS-OS-SYSTEM", cfg.model.activation is os.system,
          "HOOK-IS-OS-SYSTEM", bool(cfg.model.hooks) and cfg.model.hooks[0] is os.system)
except Exception as e:
    print("raised", str(e)[:300])
"""


def _scan(text: str, name: str) -> tuple[str, set[str], str]:
    r = scan_bytes(text.encode(), name)
    return r.verdict, {f.id for f in r.findings}, " ".join(f.message for f in r.findings)


def _jsonargparse(tmp_path: Path, text: str, name: str, mode: str, *, site: bool = False) -> str:
    """What jsonargparse does with the file, in a throw-away subprocess (``site``: this venv's packages
    importable too, for h5py/huggingface_hub)."""
    if not RT_VENV.exists():
        pytest.skip("no jsonargparse venv (/work/rt16b-venv)")
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / name).write_text(text, newline="")
    env = {"PATH": "/usr/bin:/bin", **({"PYTHONPATH": str(SITE)} if site else {})}
    out = subprocess.run([str(RT_VENV), str(tmp_path / "app.py"), name, mode], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env=env)
    return out.stdout + out.stderr


def _hydra_locate(path: str) -> str:
    """``hydra._internal.utils._locate`` (what ``get_method``/``instantiate`` resolve a path with), in a
    throw-away subprocess."""
    if importlib.util.find_spec("hydra") is None:
        pytest.skip("no hydra")
    code = ("import os, sys; from hydra._internal.utils import _locate; "
            "print('IS-OS-SYSTEM', _locate(sys.argv[1]) is os.system)")
    out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, timeout=120)
    return out.stdout + out.stderr


# --- 19b-1 -----------------------------------------------------------------------------------------

STEPPING = [
    ("model:\n  activation: h5py._hl.files.os.system\n", "config.yaml", "yaml"),
    ('{"model": {"activation": "huggingface_hub.file_download.os.system"}}\n', "config.json", "yaml"),
    ('[model]\nactivation = "h5py._hl.files.os.system"\n', "config.toml", "toml"),
]


@pytest.mark.parametrize(("text", "name", "mode"), STEPPING)
def test_19b1_a_model_package_is_no_stepping_stone_to_a_denied_module(tmp_path: Path, text: str, name: str,
                                                                     mode: str) -> None:
    verdict, ids, msg = _scan(text, name)
    assert verdict == "unsafe" and "code.dangerous-target" in ids, msg
    if RT_VENV.exists() and importlib.util.find_spec("h5py") and importlib.util.find_spec("huggingface_hub"):
        assert "ACTIVATION-IS-OS-SYSTEM True" in _jsonargparse(tmp_path, text, name, mode, site=True)


def test_19b1_hydra_locate_walks_the_same_path() -> None:
    if importlib.util.find_spec("h5py") is None:
        pytest.skip("no h5py")
    assert "IS-OS-SYSTEM True" in _hydra_locate("h5py._hl.files.os.system")


def test_19b1_only_the_whole_package_entry_is_exempt() -> None:
    for path in ("h5py._hl.files.os.system", "tensorflow.io.gfile.subprocess.Popen", "keras.src.saving.pickle.loads",
                 "keras.layers.__class__", "huggingface_hub.hf_hub_download", "keras.x.builtins.eval"):
        assert ct._bare_danger(path) is not None, path
        assert ct.names_denied(f"a: {path}\n"), path
        assert _scan(f"a: {path}\n", "c.yaml")[0] == "unsafe", path
    for path in ("keras.layers.Dense", "h5py.File", "keras.utils.get_file", "tensorflow.keras.optimizers.Adam",
                 "huggingface_hub.ModelCard"):
        assert ct._bare_danger(path) is None, path
        assert _scan(f'{{"module": "{path}"}}', "config.json")[0] == "safe", path


# --- 19b-2 -----------------------------------------------------------------------------------------

BREAKS = ["\r", "\r\n", "\x85", "\u2028", "\u2029", "\ufeff", "\ufeff\r", " \r  "]


@pytest.mark.parametrize("brk", BREAKS)
def test_19b2_a_list_after_any_yaml_line_break_or_a_bom_is_read(tmp_path: Path, brk: str) -> None:
    hooks = f"{brk}- os.system"
    text = json.dumps({"model": {"hooks": hooks}})
    verdict, ids, msg = _scan(text, "config.json")
    assert verdict == "unsafe" and "code.dangerous-target" in ids, (brk, msg)
    assert ct.string_names_code(hooks)
    if RT_VENV.exists() and brk in ("\r", "\x85", "\u2028", "\ufeff"):
        assert "HOOK-IS-OS-SYSTEM True" in _jsonargparse(tmp_path, text, "config.json", "yaml")


def test_19b2_the_yaml_spelling_and_the_strings_without_code() -> None:
    assert _scan('model:\n  hooks: "\\r- os.system"\n', "cr.yaml")[0] == "unsafe"
    assert _scan('model:\n  hooks: "\\u2028- subprocess.Popen"\n', "ls.yaml")[0] == "unsafe"
    for hooks in ("\r- relu", "\u2028- torch.nn.ReLU", "line one\rline two"):
        assert _scan(json.dumps({"model": {"hooks": hooks}}), "config.json")[0] == "safe", hooks


# --- 19b-4 -----------------------------------------------------------------------------------------

LONG = "os." + "path.os." * 50 + "system"  # 409 characters


@pytest.mark.parametrize(("text", "name"), [(f"loss_fn: {LONG}\n", "keyless.yaml"),
                                            (f'{{"loss_fn": "{LONG}"}}\n', "keyless.json"),
                                            (f'loss_fn = "{LONG}"\n', "keyless.toml"),
                                            (f"_target_: torch.nn.ReLU\nfn: {LONG}\n", "keyed.yaml"),
                                            (f"fn: a{'.b' * 5000}.os.system\n", "longer.yaml")])
def test_19b4_a_dotted_value_is_judged_at_any_length(text: str, name: str) -> None:
    verdict, ids, msg = _scan(text, name)
    assert verdict == "unsafe" and "code.dangerous-target" in ids, msg


def test_19b4_hydra_walks_the_long_path() -> None:
    assert "IS-OS-SYSTEM True" in _hydra_locate(LONG)


def test_19b4_long_harmless_dotted_values_stay_safe() -> None:
    assert _scan(f"fn: torch{'.nn' * 300}.ReLU\n", "c.yaml")[0] == "safe"
    assert not ct.string_names_code(f"torch{'.nn' * 300}.ReLU")


# --- 19b-3 -----------------------------------------------------------------------------------------

COMPUTED = [
    '{"model": {"activation": "os." + "system"}}\n',
    '{"model": {"activation": "%s.%s" % ["os", "system"]}}\n',
    '{local m = "os", "model": {"activation": m + ".system"}}\n',
    '{"model": {"activation": if true then "os.sy" + "stem" else ""}}\n',
    '{"model": {"activation": [x + ".system" for x in ["os"]][0]}}\n',
    '// a comment first\n{"model": {"activation": "os." + "system"}}\n',
    '{model: {activation: local a = "os"; a + ".system"}}\n',
    '{"model": {"activation": ("os" + "." + "system")}}\n',
]


@pytest.mark.parametrize("text", COMPUTED)
def test_19b3_jsonnet_that_computes_a_value_is_suspicious(tmp_path: Path, text: str) -> None:
    verdict, ids, msg = _scan(text, "config.json")
    # (``{l`` also starts like UBJSON, which is not judged: error; a quoted ``'os.sy'`` is a deny-listed
    # literal: unsafe — both at least as closed)
    assert verdict in ("suspicious", "error", "unsafe") and "config.unparsed-targets" in ids, msg
    assert ct.jsonnet_like(text) and ct.text_targets(text).unread is not None
    if RT_VENV.exists():
        assert "ACTIVATION-IS-OS-SYSTEM True" in _jsonargparse(tmp_path, text, "config.json", "jsonnet")


# texts that start like Jsonnet but hold an unknown variable (Jsonnet refuses them statically, and
# jsonnet_load reads them as YAML), or hold data only
NOT_JSONNET = ['{a: b.c}\n', '{name: my-model, lr: 0.1}\n', '[section]\nkey = value\n', '{"a": NaN}\n',
               '{"a": 1, // c\n "b": [1, 2,],}\n', '{a: -1, b: 1e-5, c: [x.y]}\n']


@pytest.mark.parametrize("text", NOT_JSONNET)
def test_19b3_text_jsonnet_refuses_or_reads_as_data_stays_safe(text: str) -> None:
    verdict, ids, msg = _scan(text, "config.json")
    assert "config.unparsed-targets" not in ids and verdict == "safe", msg


def test_19b3_the_real_jsonnet_refuses_the_free_variables() -> None:
    if not RT_VENV.exists():
        pytest.skip("no jsonnet venv (/work/rt16b-venv)")
    code = ("import _jsonnet, json, sys\n"
            "for t in json.loads(sys.stdin.read()):\n"
            "    try:\n        _jsonnet.evaluate_snippet('c', t); print('EVALUATED', repr(t))\n"
            "    except RuntimeError as e:\n        print('REFUSED', str(e).split(chr(10))[0])\n")
    out = subprocess.run([str(RT_VENV), "-c", code], input=json.dumps(NOT_JSONNET[:3]), capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.count("REFUSED") == 3 and "Unknown variable" in out.stdout, out.stdout + out.stderr


def test_19b3_documentation_and_plain_data_jsonnet() -> None:
    text = COMPUTED[0]
    assert _scan(text, "README.md")[0] == "safe"
    assert all(f.severity == "info" for f in scan_bytes(text.encode(), "README.md").findings
               if f.id == "config.unparsed-targets")
    assert _scan('{model: {activation: "relu", layers: [1, 2, 3]}}\n', "config.json")[0] == "safe"
    assert _scan('{"model": {"activation": "os.system"}}\n', "config.json")[0] == "unsafe"


def test_19b3_the_gate_before_lexing_sees_every_computing_token() -> None:
    # a computed field name across lines, a hidden field, an escaped single-quoted string, a string
    # spanning lines before an operator: each is Jsonnet beyond data
    for text in ('{[\n"class_path"\n]: "this.JSONEncoder"}\n', '{a:: 1, b: "x"}\n', "{a: 'os.sys\\u0074em'}\n",
                 '{"a": "o\ns" + "system"}\n'):
        assert ct._code_hint(text) is not None, text
    # data: numbers, negative numbers, exponents, strings holding operator characters, comments
    for text in ('{"a": [1.5, -2, 1e-5], "s": "x + y; f(z)", "t": "it\'s"} // c\n# d\n/* e */\n',
                 '[[1, 2], [3, 4]]\n', '{a:-1}\n'):
        assert ct._code_hint(text) is None, text


def test_19b3_over_the_lexing_bound_it_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ct, "MAX_JSONNET", 200)
    data = '{"text": "words + more", "n": -1.5}\n' * 20
    assert ct.text_targets(data).unread is None
    assert ct.text_targets(data + '{"a": "os." + "system"}\n').unread is not None


# --- 19b note: harmless members of denied modules -------------------------------------------------

@pytest.mark.parametrize("value", ["sys.version", "os.sep", "os.path.join", "shutil.which",
                                   "multiprocessing.cpu_count", "pickle.HIGHEST_PROTOCOL"])
def test_19b_members_of_denied_modules_stay_judged_by_the_deny_list(value: str) -> None:
    # documented decision (docs/scanning.md): the pickle judge's deny list, no member exemptions
    assert _scan(f"a: {value}\n", "c.yaml")[0] == "unsafe"
    assert ct._bare_danger(value) is not None
