"""Red team 23b's logging-config findings (proofs: /work/redteam-23b/23b-1..7). The real loaders —
CPython's ``logging.config.fileConfig``/``dictConfig`` (stdlib, always there) — run in a throw-away
subprocess.

(23b-1, fileConfig: tests/formats/test_logging_config_rt23b.py.)

* 23b-2/23b-7: dictConfig's ``cfg://``/``ext://`` converters are applied to a file handler's path.
* 23b-3: a relative log path lands in the project (the working directory, ``${hydra:runtime.cwd}``):
  onto a hidden file/folder or a code/config file name it is ``unsafe``.
* 23b-4: a dictConfig ``()`` factory or a non-stdlib ``class`` is a target (Hydra's rule).
* 23b-5: the Hydra run-time nodes of a log path are judged once each (the red team's k³ input is fast).
* 23b-6: a ``.`` mapping (attributes set on the built handler) is judged: ``baseFilename`` is a path.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes


def _scan(text: str, name: str) -> tuple[str, list[tuple[str, str]]]:
    r = scan_bytes(text.encode(), name)
    return r.verdict, [(f.id, f.severity) for f in r.findings]


# --- 23b-2 / 23b-7: converters on a file handler's path -----------------------------------------------
DICT = "version: 1\n{extra}handlers:\n  h:\n    class: logging.FileHandler\n    filename: {path}\n{more}" \
       "root:\n  handlers: [h]\n"


@pytest.mark.parametrize(("extra", "path", "want"), [
    ("paths:\n  target: /home/u/.bashrc\n", "cfg://paths.target", "unsafe"),
    ("paths:\n  all: [run.log, /home/u/.bashrc]\n", "cfg://paths.all[1]", "unsafe"),
    ("paths:\n  a: cfg://paths.b\n  b: /home/u/.bashrc\n", "cfg://paths.a", "unsafe"),  # converted again
    ("", "ext://logging._srcfile", "unsafe"),  # 23b-7: a path an import names
    ("paths:\n  target: logs/train.log\n", "cfg://paths.target", "safe"),
])
def test_23b2_23b7_converted_filenames(extra: str, path: str, want: str) -> None:
    verdict, found = _scan(DICT.format(extra=extra, path=path, more=""), "logging.yaml")
    assert verdict == want, found


def test_23b2_real_dictconfig_follows_cfg(tmp_path: Path) -> None:
    target = tmp_path / ".bashrc"  # (a start-up file: the path rule is by where it lands, 24b-7)
    cfg = {"version": 1, "paths": {"t": str(target)},
           "handlers": {"h": {"class": "logging.FileHandler", "filename": "cfg://paths.t"}}}
    subprocess.run([sys.executable, "-c", "import json, sys, logging.config; "
                    "logging.config.dictConfig(json.loads(sys.argv[1]))", json.dumps(cfg)],
                   cwd=tmp_path, capture_output=True, timeout=60)
    assert target.exists()
    assert _scan(json.dumps(cfg), "logging.json")[0] == "unsafe"


# --- 23b-3: relative paths are the project -----------------------------------------------------------
HYDRA = ("hydra:\n  job_logging:\n    version: 1\n    handlers:\n      file:\n        class: logging.FileHandler\n"
         "        filename: {path}\n    root:\n      handlers: [file]\n")


@pytest.mark.parametrize("path", [".git/config", "${hydra:runtime.cwd}/.git/config", "${hydra.runtime.cwd}/.envrc",
                                  "src/mypkg/__init__.py", "setup.cfg", "x/.ssh/authorized_keys", ".venv/bin/activate",
                                  "sitecustomize.pth", "Makefile", "bashrc", "conf/config.yaml"])
def test_23b3_a_relative_path_onto_project_code_is_unsafe(path: str) -> None:
    for text, name in ((DICT.format(extra="", path=path, more=""), "logging.yaml"), (HYDRA.format(path=path),
                                                                                      "config.yaml")):
        verdict, found = _scan(text, name)
        assert verdict == "unsafe" and ("config.logging", "high") in found, found


@pytest.mark.parametrize("path", ["train.log", "logs/train.log", "${hydra:runtime.cwd}/logs/run.log",
                                  "${hydra:runtime.output_dir}/${hydra:job.name}.log", "logs/debug.txt", "out/app.log.1"])
def test_23b3_a_plausible_log_file_stays_info(path: str) -> None:
    verdict, found = _scan(HYDRA.format(path=path), "config.yaml")
    assert verdict == "safe" and ("config.logging", "info") in found, found


# --- 23b-4: () factories and non-stdlib classes -------------------------------------------------------
@pytest.mark.parametrize(("text", "want"), [
    ("version: 1\nfilters:\n  f:\n    (): h5py.File\n    name: /home/u/.bashrc\n    mode: w\n", "unsafe"),
    # (open_memmap writes its file: deny-listed since red team 112pa-4)
    ("version: 1\nfilters:\n  f:\n    (): ext://numpy.lib.format.open_memmap\n    filename: x.npy\n", "unsafe"),
    ("version: 1\nfilters:\n  f:\n    (): ext://numpy.lib.format.dtype_to_descr\n    dtype: x\n", "suspicious"),
    ("version: 1\nfilters:\n  f:\n    (): mypkg.evil\n", "suspicious"),
    ("version: 1\nhandlers:\n  h:\n    class: mypkg.Evil\n", "suspicious"),
    ("version: 1\nformatters:\n  f:\n    class: ext://mypkg.Fmt\n", "suspicious"),
    ('{"version": 1, "handlers": {"h": {"class": "mypkg.Evil"}}}', "suspicious"),
    ('{"version": 1, "filters": {"f": {"()": "mypkg.evil"}}}', "suspicious"),
    ("version: 1\nhandlers:\n  h:\n    (): logging.FileHandler\n    filename: /home/u/.bashrc\n", "unsafe"),
    ("version: 1\nformatters:\n  f:\n    (): logging.Formatter\n    format: '%(message)s'\n", "safe"),
    ("model:\n  class: mypkg.Net\nhandlers:\n  x: 1\n", "safe"),  # no dictConfig: a class key is data
])
def test_23b4_dictconfig_factories_are_targets(text: str, want: str) -> None:
    verdict, found = _scan(text, "logging.json" if text.startswith("{") else "logging.yaml")
    assert verdict == want, found


# --- 23b-5: bounded run-folder reading ------------------------------------------------------------------
def _k3(k: int) -> str:
    def refs(name: str) -> str:
        return "/".join("${hydra:" + name + "}" for _ in range(k))
    return (f'hydra:\n  run:\n    dir: "o/{refs("sweep.dir")}"\n  sweep:\n    dir: "s/{refs("sweep.subdir")}"\n'
            f'    subdir: "u/{refs("job.name")}"\n  job:\n    name: train\n  job_logging:\n    version: 1\n'
            '    handlers:\n      file:\n        class: logging.FileHandler\n'
            '        filename: "${hydra:run.dir}/train.log"\n    root:\n      handlers: [file]\n')


def test_23b5_hydra_node_fan_out_is_fast() -> None:
    text = _k3(120)
    assert len(text) > 7000
    t0 = time.process_time()
    verdict, found = _scan(text, "config.yaml")
    assert time.process_time() - t0 < 2
    assert verdict == "safe" and ("config.logging", "info") in found, found


# --- 23b-6: the '.' mapping ----------------------------------------------------------------------------
DOT = ("version: 1\n{extra}handlers:\n  h:\n    class: logging.FileHandler\n    filename: run.log\n    delay: true\n"
       "    '.':\n      {key}: {value}\nroot:\n  handlers: [h]\n")


@pytest.mark.parametrize(("extra", "key", "value", "want"), [
    ("", "baseFilename", "/home/u/.bashrc", "unsafe"),
    ("", "baseFilename", ".git/config", "unsafe"),
    ("p:\n  x: /home/u/.bashrc\n", "baseFilename", "cfg://p.x", "unsafe"),
    ("", "baseFilename", "ext://logging._srcfile", "unsafe"),
    ("", "namer", "cfg://p.q", "suspicious"),
    ("", "rotator", "ext://mypkg.rotate", "suspicious"),
    ("", "baseFilename", "logs/other.log", "safe"),
    ("", "level", "10", "safe"),
])
def test_23b6_dot_attributes(extra: str, key: str, value: str, want: str) -> None:
    verdict, found = _scan(DOT.format(extra=extra, key=key, value=value), "logging.yaml")
    assert verdict == want, found


def test_23b6_real_dictconfig_sets_base_filename(tmp_path: Path) -> None:
    target = tmp_path / ".bashrc"  # (a start-up file: the path rule is by where it lands, 24b-7)
    cfg = {"version": 1, "handlers": {"h": {"class": "logging.FileHandler", "filename": "run.log", "delay": True,
                                            ".": {"baseFilename": str(target)}}}, "root": {"handlers": ["h"]}}
    subprocess.run([sys.executable, "-c", "import json, sys, logging, logging.config; "
                    "logging.config.dictConfig(json.loads(sys.argv[1])); logging.getLogger().warning('x')",
                    json.dumps(cfg)], cwd=tmp_path, capture_output=True, timeout=60)
    assert target.exists() and not (tmp_path / "run.log").exists()
    assert _scan(json.dumps(cfg), "logging.json")[0] == "unsafe"


def test_23b3_hydra_nodes_the_config_sets_are_part_of_the_path() -> None:
    """``hydra.run.dir: .git`` with ``job.name: config``: ``${hydra:runtime.output_dir}/${hydra:job.name}``
    is ``.git/config`` (the whole path judged, not each part alone)."""
    text = HYDRA.format(path="${hydra:runtime.output_dir}/${hydra:job.name}") + "  run:\n    dir: .git\n" \
        "  job:\n    name: config\n"
    assert _scan(text, "config.yaml")[0] == "unsafe"
    text = HYDRA.format(path="${hydra:runtime.output_dir}/${hydra:job.name}.log") + \
        "  run:\n    dir: outputs/${now:%Y-%m-%d}/${now:%H-%M-%S}\n  job:\n    name: train\n"
    assert _scan(text, "config.yaml")[0] == "safe"


def test_23b6_merge_keys_and_long_dot_mappings_fail_closed() -> None:
    text = ("version: 1\nbase: &b {filename: /home/u/.bashrc}\nhandlers:\n  h:\n    <<: *b\n"
            "    class: logging.FileHandler\n")
    assert _scan(text, "logging.yaml")[0] == "suspicious"
    many = "".join(f"      a{i}: 1\n" for i in range(150))
    text = "version: 1\nhandlers:\n  h:\n    class: logging.StreamHandler\n    '.':\n" + many
    assert _scan(text, "logging.yaml")[0] == "suspicious"


def test_23b4_a_handler_taken_from_another_node_is_computed() -> None:
    """dictConfig converts ``handlers.h: cfg://other`` to the mapping at ``other`` and configures it: a
    class there is not in a handler's place, so the entry is computed (``suspicious``)."""
    text = "version: 1\nother:\n  class: mypkg.Evil\nhandlers:\n  h: cfg://other\nroot:\n  handlers: [h]\n"
    assert _scan(text, "logging.yaml")[0] == "suspicious"
