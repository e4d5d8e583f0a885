"""Red team 21b's config-target findings (proofs: /work/redteam-21b/21b-1..7). The real loaders —
CPython's ``logging.config.dictConfig`` (stdlib, always there), jsonargparse 4.53.0 + jsonnet 0.22 in
/work/rt16b-venv, hydra-core 1.3.2 + OmegaConf 2.3.0 in /work/rt20b-venv — run in a throw-away
subprocess; the venvs' proofs are skipped where they do not exist (CI).

* 21b-1: ``ext://NAME`` (dictConfig imports NAME; a ``()`` factory or ``class`` is called) is judged as
  the dotted path NAME; ``cfg://`` under ``()``/``class`` is computed.
* 21b-2/21b-3: ``$`` is a Jsonnet token of its own (a value); ``function(x) [x, 0]``'s ``[`` opens an array.
* 21b-4/21b-7: no regex of the Jsonnet gate rescans unbounded text (1 MB of each slow shape is fast).
* 21b-5: ``oc.decode`` parses its argument again (a second level of quotes is removed).
* 21b-6: a logging file handler writing outside the run folder (or where mlbom cannot tell) is ``unsafe``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlbom.formats import config_targets as ct
from mlbom.scanner import scan_bytes
from tests.formats.test_config_targets_rt20b import APP, HYDRA_VENV, JSONNET_VENV

ROOT = Path(__file__).resolve().parents[2]


def _scan(text: str, name: str) -> tuple[str, list[tuple[str, str]]]:
    r = scan_bytes(text.encode(), name)
    return r.verdict, [(f.id, f.severity) for f in r.findings]


def _jsonargparse(tmp_path: Path, text: str, name: str, mode: str) -> str:
    """What jsonargparse does with the file, in a throw-away subprocess."""
    if not JSONNET_VENV.exists():
        pytest.skip("no jsonargparse venv (/work/rt16b-venv)")
    py, env = JSONNET_VENV, {"PATH": "/usr/bin:/bin"}
    if mode == "omegaconf":
        if not HYDRA_VENV.exists():
            pytest.skip("no OmegaConf venv (/work/rt20b-venv)")
        py, env["PYTHONPATH"] = HYDRA_VENV, "/work/rt16b-venv/lib/python3.11/site-packages"
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / name).write_text(text, newline="")
    out = subprocess.run([str(py), str(tmp_path / "app.py"), name, mode], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env=env)
    return out.stdout + out.stderr


# --- 21b-1: dictConfig's ext:// and cfg:// ------------------------------------------------------------
EXT_CONFIGS = {
    "filter.yaml": "version: 1\nfilters:\n  f:\n    (): ext://os.system\n    command: touch {mark}\nhandlers:\n"
                   "  console:\n    class: logging.StreamHandler\n    filters: [f]\nroot:\n  handlers: [console]\n",
    "handler.yaml": "version: 1\nhandlers:\n  console:\n    (): ext://os.system\n    command: touch {mark}\n"
                    "root:\n  handlers: [console]\n",
    "formatter.json": '{{"version": 1, "formatters": {{"f": {{"()": "ext://os.system", "command": "touch {mark}"}}}}}}',
    "hydra.yaml": "hydra:\n  job_logging:\n    version: 1\n    formatters:\n      simple:\n"
                  "        (): ext://subprocess.getoutput\n        cmd: touch {mark}\n",
    "class.yaml": "version: 1\nhandlers:\n  h:\n    class: ext://os.system\n    command: touch {mark}\n",
    "filter_list.yaml": "version: 1\nhandlers:\n  h:\n    class: logging.StreamHandler\n"
                        "    filters: [ext://os.system]\nroot:\n  handlers: [h]\n",
}


@pytest.mark.parametrize("name", sorted(EXT_CONFIGS))
def test_21b1_ext_values_are_judged_as_the_path_they_import(name: str, tmp_path: Path) -> None:
    mark = tmp_path / "MARK"
    text = EXT_CONFIGS[name].format(mark=mark)
    verdict, found = _scan(text, name)
    assert verdict == "unsafe" and ("code.dangerous-target", "critical") in found, found
    if name.startswith("hydra"):
        return  # (Hydra applies hydra.job_logging: the proof is the section itself, below)
    # the real loader: CPython's dictConfig imports and calls it (the filter list: on a record)
    code = ("import json, sys, yaml, logging, logging.config\n" if name.endswith(".yaml") else
            "import json, sys, logging, logging.config\n")
    code += ("t = open(sys.argv[1]).read()\n"
             "cfg = json.loads(t) if sys.argv[1].endswith('.json') else yaml.safe_load(t)\n"
             "try:\n    logging.config.dictConfig(cfg); logging.getLogger().warning('x')\n"
             "except Exception:\n    pass\n")
    (tmp_path / name).write_text(text)
    subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], capture_output=True, timeout=60, cwd=tmp_path)
    if name not in ("filter_list.yaml", "class.yaml"):  # (3.11 resolves a class object again and fails before
        # calling it; os.system(record) runs the record as a command: no marker — both judged as what they import)
        assert mark.exists()


def test_21b1_everyday_ext_values_stay_safe() -> None:
    text = ("version: 1\nhandlers:\n  console:\n    class: logging.StreamHandler\n    stream: ext://sys.stdout\n"
            "  err:\n    class: logging.StreamHandler\n    stream: ext://sys.stderr\n"
            "formatters:\n  f:\n    (): ext://logging.Formatter\nroot:\n  handlers: [console, err]\n")
    assert _scan(text, "logging.yaml")[0] == "safe"
    for name in ("job_logging-default.yaml", "hydra_logging-hydra_debug.yaml"):
        r = scan_bytes((ROOT / "tests" / "fixtures" / "hydra-logging" / name).read_bytes(), name)
        assert r.verdict == "safe", r.findings


def test_21b1_cfg_factory_is_computed() -> None:
    text = "version: 1\nfactories:\n  x: mypkg.make\nformatters:\n  f:\n    (): cfg://factories.x\n"
    verdict, found = _scan(text, "logging.yaml")
    assert verdict == "suspicious" and ("code.remote", "high") in found, found
    # a cfg:// reference to a denied path: the path itself is judged where it stands
    text = "version: 1\nfactories:\n  x: os.system\nformatters:\n  f:\n    (): cfg://factories.x\n"
    assert _scan(text, "logging.yaml")[0] == "unsafe"


# --- 21b-2/21b-3: Jsonnet programs mlbom took for refused texts ---------------------------------------
PROGRAMS = [
    '{name:: std.join(".", ["os","system"]), model: {activation: $.name}}',
    '{name:: "os" + ".system", model: {activation: $["name"]}}',
    '{model: {activation: std.map(function(x) [x, 0][0], ["os", "system"])[0] + ".system"}}',
    'local pick = function(a) [a, "u"]; {model: {activation: pick("os.system")[0]}}',
]


@pytest.mark.parametrize("text", PROGRAMS)
def test_21b2_21b3_dollar_and_function_bodies_are_programs(text: str) -> None:
    assert ct._jsonnet_program(text) is not None
    assert _scan(text, "config.yaml")[0] != "safe"


def test_21b2_real_jsonnet_evaluates_them(tmp_path: Path) -> None:
    for text in (PROGRAMS[0], PROGRAMS[3]):
        assert "ACTIVATION-IS-OS-SYSTEM True" in _jsonargparse(tmp_path, text, "config.yaml", "jsonnet")


def test_21b3_an_index_holding_a_comma_is_still_refused() -> None:
    assert ct._jsonnet_program("[1, 2]\n[3, 4]") is None  # (20b-2's JSON-lines: Jsonnet refuses it)
    assert ct._jsonnet_program('{a: 1}[1, "x"]') is None


# --- 21b-4/21b-7: the Jsonnet gate is linear ----------------------------------------------------------
SLOW_SHAPES = {  # (each about 1 MB; before the fix each took hours)
    "unterminated block comments": "{a: 1}\n" + "/* " * 350_000,
    "escapes in an unclosed single-quoted string": "a: '" + "\\a" * 500_000,
    "escaped double quotes never closed": "{a: 1}\n" + '"\\' * 500_000,
    "escaped single quotes never closed": "{a: 1}\n?" + "'\\" * 500_000,
    "many lines of escapes": ("a: '" + "\\a" * 100 + "\n") * 5_000,
}


@pytest.mark.parametrize("shape", sorted(SLOW_SHAPES))
def test_21b4_21b7_slow_shapes_finish_fast(shape: str) -> None:
    text = SLOW_SHAPES[shape]
    start = time.perf_counter()
    ct.jsonnet_like(text)
    ct._jsonnet(text, "config.jsonnet", ct.Targets())
    ct._jsonnet_program(text + " ")  # (uncached)
    assert time.perf_counter() - start < 5  # generous: about 1 s on one slow CPU


def test_21b4_an_unterminated_comment_is_a_lexical_error() -> None:
    assert ct._jsonnet_tokens("{a: 1} /* x") is None
    assert ct._jsonnet_tokens("{a: 1} /* x */") is not None
    assert ct._jsonnet_tokens("{a: 'x\\'y'}") is not None


# --- 21b-5: oc.decode parses its argument again -------------------------------------------------------
DECODED = ["model:\n  activation: ${oc.decode:'\"os.system\"'}\n",
           "model:\n  activation: ${oc.decode:\"'os.system'\"}\n",
           "model:\n  activation: ${oc.select:missing,\"${oc.decode:'\\\"os.system\\\"'}\"}\n"]


@pytest.mark.parametrize("text", DECODED)
def test_21b5_oc_decode_removes_a_second_level_of_quotes(text: str, tmp_path: Path) -> None:
    assert _scan(text, "config.yaml")[0] == "unsafe"
    if text is DECODED[0]:
        assert "ACTIVATION-IS-OS-SYSTEM True" in _jsonargparse(tmp_path, text, "config.yaml", "omegaconf")


def test_21b5_readings() -> None:
    assert "os.system" in ct.readings("${oc.decode:'\"os.system\"'}")[0]
    assert "os.system" in ct.readings("${oc.decode:'  os.system  '}")[0]


# --- 21b-6: a logging file handler is a file write the config chooses -------------------------------
HANDLER = ("hydra:\n  job_logging:\n    formatters:\n      f:\n        format: 'touch MARK # %(message)s'\n"
           "    handlers:\n      file:\n        class: {cls}\n        formatter: f\n        filename: {path}\n"
           "    root:\n      handlers: [file]\n")


@pytest.mark.parametrize("path", ["${oc.env:HOME}/.bashrc", "/home/u/.bashrc", "~/.profile", "../../x.log",
                                  "${env:XDG_CONFIG_HOME}/autostart/x.desktop", "${hydra:runtime.cwd}/../x"])
@pytest.mark.parametrize("cls", ["logging.FileHandler", "logging.handlers.RotatingFileHandler",
                                 "logging.handlers.TimedRotatingFileHandler", "logging.handlers.WatchedFileHandler"])
def test_21b6_a_file_handler_outside_the_run_folder_is_unsafe(path: str, cls: str) -> None:
    verdict, found = _scan(HANDLER.format(cls=cls, path=path), "config.yaml")
    assert verdict == "unsafe" and ("config.logging", "high") in found, found


@pytest.mark.parametrize("path", ["${oc.env:LOGDIR,logs}/x.log", "${paths.log_dir}/x.log"])
def test_21b6_a_log_path_starting_with_an_unknown_part_is_medium(path: str) -> None:
    """lightning-hydra-template style (``${paths.log_dir}`` set in another file of the config group,
    or a project root from the environment): where it writes depends on the environment, not on
    the file alone — medium, no verdict change (a literal path outside is unsafe, above)."""
    verdict, found = _scan(HANDLER.format(cls="logging.FileHandler", path=path), "config.yaml")
    assert verdict == "safe" and ("config.logging", "medium") in found, found


@pytest.mark.parametrize("path", ["${hydra.runtime.output_dir}/${task_name}.log"])
def test_21b6_an_unknown_part_after_the_run_folder_stays_info(path: str) -> None:
    verdict, found = _scan(HANDLER.format(cls="logging.FileHandler", path=path), "config.yaml")
    assert verdict == "safe" and ("config.logging", "info") in found, found


@pytest.mark.parametrize("path", ["train.log", "logs/train.log", "${hydra.runtime.output_dir}/${hydra.job.name}.log",
                                  "${hydra:runtime.output_dir}/x.log", "${hydra.run.dir}/x.log", "${dir}/x.log"])
def test_21b6_a_file_handler_in_the_run_folder_stays_info(path: str) -> None:
    text = HANDLER.format(cls="logging.FileHandler", path=path) + "dir: logs\n"
    verdict, found = _scan(text, "config.yaml")
    assert verdict == "safe" and ("config.logging", "info") in found, found


def test_21b6_hydras_run_dir_set_by_the_config_is_judged() -> None:
    # (a hidden file is never a plausible log name, wherever it lies: 23b-3; hence train.log here)
    text = HANDLER.format(cls="logging.FileHandler", path="${hydra.runtime.output_dir}/train.log")
    assert _scan(text + "  run:\n    dir: /home/u\n", "config.yaml")[0] == "unsafe"
    assert _scan(text + "  run:\n    dir: outputs/${now:%Y-%m-%d}/${now:%H-%M-%S}\n", "config.yaml")[0] == "safe"
    assert _scan(text + "  run:\n    dir: ${now:/etc}\n", "config.yaml")[0] == "unsafe"


def test_21b6_json_dictconfig() -> None:
    text = json.dumps({"version": 1, "handlers": {"f": {"class": "logging.FileHandler", "filename": "/etc/x"}}})
    assert _scan(text, "logging.json")[0] == "unsafe"
