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
