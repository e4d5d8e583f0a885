"""Red team 26b (proofs: /work/redteam-26b): a class judged by the ROLE the logging loader calls it in
(26b-1: a file handler named as a formatter's ``class`` is called ``c(format, datefmt, style)`` by
fileConfig and dictConfig: ``FileHandler(filename, mode, encoding)``), and ``ext://NAME`` anywhere in a
dictConfig imports NAME (26b-2). The real loader (CPython's ``logging.config``) runs only in a throw-away
subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats import config_targets
from mlbom.scanner import scan_bytes


def _scan(data: str, name: str) -> tuple[str, list[tuple[str, str, str]]]:
    r = scan_bytes(data.encode(), name)
    return r.verdict, [(f.id, f.severity, f.message) for f in r.findings]


def _ini(cls: str, fmt: str, datefmt: str = "w", style: str = "utf-8") -> str:
    return ("[loggers]\nkeys=root\n[handlers]\nkeys=\n[formatters]\nkeys=f\n[logger_root]\nhandlers=\n"
            f"[formatter_f]\nclass={cls}\nformat={fmt}\ndatefmt={datefmt}\nstyle={style}\n")


def _dict(cls: str, fmt: str, datefmt: str = "w", style: str = "utf-8") -> dict[str, object]:
    return {"version": 1, "formatters": {"f": {"class": cls, "format": fmt, "datefmt": datefmt, "style": style}},
            "handlers": {"h": {"class": "logging.StreamHandler", "formatter": "f"}}, "root": {"handlers": ["h"]}}


def _real(kind: str, path: Path) -> None:
    load = ("logging.config.fileConfig(sys.argv[1])" if kind == "ini"
            else "logging.config.dictConfig(json.load(open(sys.argv[1])))")
    subprocess.run([sys.executable, "-c", f"import json, logging.config, sys; {load}", str(path)],
                   check=True, capture_output=True, timeout=60)


@pytest.mark.parametrize("kind", ["ini", "json"])
def test_file_handler_as_formatter_truncates_home_dotfile(tmp_path: Path, kind: str) -> None:
    """26b-1: the formatter's ``format`` is the handler's positional ``filename``, ``datefmt`` its
    ``mode``: a home dotfile opened 'w' at load (the real loader truncates it) is unsafe."""
    home = tmp_path / "home"
    home.mkdir()
    target = home / ".bashrc"
    text = (_ini("logging.FileHandler", str(target)) if kind == "ini"
            else json.dumps(_dict("logging.FileHandler", str(target))))
    verdict, findings = _scan(text, f"logging.{kind}")
    assert verdict == "unsafe", findings
    assert any("no logging.Formatter" in m and "format as filename" in m for _, _, m in findings)
    assert any(".bashrc" in m and e == "high" for _, e, m in findings)
    cfg = tmp_path / f"logging.{kind}"
    cfg.write_text(text)
    target.write_text("echo precious\n")
    _real(kind, cfg)
    assert target.read_text() == "", "the real loader opens the 'formatter' with mode 'w'"


@pytest.mark.parametrize("kind", ["ini", "json"])
def test_other_handler_as_formatter_is_suspicious(kind: str) -> None:
    text = _ini("logging.StreamHandler", "x") if kind == "ini" else json.dumps(_dict("logging.StreamHandler", "x"))
    verdict, findings = _scan(text, f"logging.{kind}")
    assert verdict == "suspicious", findings
    assert any("no logging.Formatter" in m for _, _, m in findings)


@pytest.mark.parametrize("kind", ["ini", "json"])
def test_real_formatter_class_is_fine(kind: str) -> None:
    text = (_ini("logging.Formatter", "%(message)s", "%H", "%") if kind == "ini"
            else json.dumps(_dict("logging.Formatter", "%(message)s", "%H", "%")))
    verdict, findings = _scan(text, f"logging.{kind}")
    assert verdict == "safe", findings


def test_rotating_handler_mapping_derived_from_signature() -> None:
    """The positional mapping is the stdlib constructor's (inspect.signature), not a fixed list."""
    role, key = config_targets.formatter_role("logging.handlers.RotatingFileHandler", "x")
    assert role is not None and key == "format"
    assert "style as maxBytes" in role[1]
    assert config_targets.formatter_role("logging.Formatter", "x") == (None, None)


def test_hydra_job_logging_formatter_file_handler(tmp_path: Path) -> None:
    """26b-1 via Hydra's ``hydra.job_logging`` (applied by ``@hydra.main`` with dictConfig)."""
    text = ("defaults:\n  - _self_\nhydra:\n  job_logging:\n    version: 1\n    formatters:\n"
            "      simple: {class: logging.FileHandler, format: /home/u/.bashrc, datefmt: w, style: utf-8}\n"
            "    handlers:\n      console: {class: logging.StreamHandler, formatter: simple}\n"
            "    root: {handlers: [console]}\nlr: 0.1\n")
    verdict, findings = _scan(text, "config.yaml")
    assert verdict == "unsafe", findings
    assert any("no logging.Formatter" in m for _, _, m in findings)


def test_handler_factory_as_formatter_is_suspicious() -> None:
    """A ``()`` factory in a formatter slot is called ``c(**kwargs)``: a handler there is no formatter."""
    doc = {"version": 1, "formatters": {"f": {"()": "logging.StreamHandler"}}}
    verdict, findings = _scan(json.dumps(doc), "log.json")
    assert verdict == "suspicious", findings


EVIL = 'open({mark!r}, "w").write("ran")\nFMT = "%(message)s"\nLEVEL = "INFO"\n'


@pytest.mark.parametrize("name,doc", [
    ("format.json", {"version": 1, "formatters": {"f": {"format": "ext://evilmod26b.FMT"}},
                     "handlers": {"h": {"class": "logging.StreamHandler", "formatter": "f"}},
                     "root": {"handlers": ["h"]}}),
    ("level.json", {"version": 1, "loggers": {"app": {"level": "ext://evilmod26b.LEVEL"}}}),
    ("cfg.json", {"version": 1, "vals": {"lvl": "ext://evilmod26b.LEVEL"},
                  "handlers": {"h": {"class": "logging.StreamHandler", "level": "cfg://vals.lvl"}},
                  "root": {"handlers": ["h"]}}),
])
def test_ext_import_anywhere_is_suspicious(tmp_path: Path, name: str, doc: dict[str, object]) -> None:
    """26b-2: dictConfig's converter imports NAME's module wherever it reads ``ext://NAME``."""
    verdict, findings = _scan(json.dumps(doc), name)
    assert verdict == "suspicious", findings
    assert any(i == "code.remote" and "evilmod26b" in m for i, _, m in findings)
    site = tmp_path / "site"
    site.mkdir()
    mark = tmp_path / "MARK"
    (site / "evilmod26b.py").write_text(EVIL.format(mark=str(mark)))
    cfg = tmp_path / name
    cfg.write_text(json.dumps(doc))
    subprocess.run([sys.executable, "-c", "import json, logging.config, sys; sys.path.insert(0, sys.argv[2]); "
                    "logging.config.dictConfig(json.load(open(sys.argv[1])))", str(cfg), str(site)],
                   check=True, capture_output=True, timeout=60)
    assert mark.exists(), "the real dictConfig imports the module"


def test_ext_yaml_level_and_stdlib_module() -> None:
    verdict, findings = _scan("version: 1\nloggers: {app: {level: ext://evilmod26b.LEVEL}}\n", "log.yaml")
    assert verdict == "suspicious", findings
    verdict, findings = _scan(json.dumps({"version": 1, "x": "ext://antigravity"}), "log.json")
    assert verdict == "suspicious" and any("antigravity" in m for _, _, m in findings), findings


def test_ext_streams_and_logging_data_are_fine() -> None:
    doc = {"version": 1, "loggers": {"a": {"level": "ext://logging.INFO"}},
           "handlers": {"h": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}},
           "root": {"handlers": ["h"]}}
    verdict, findings = _scan(json.dumps(doc), "log.json")
    assert verdict == "safe", findings
    verdict, findings = _scan(json.dumps({"version": 1, "x": "ext://logging.NoSuchName"}), "log.json")
    assert verdict == "suspicious", findings


def test_fileconfig_does_not_convert_ext(tmp_path: Path) -> None:
    """fileConfig reads ``ext://`` as plain text (no converter): no import, no finding for it."""
    text = _ini("logging.Formatter", "ext://evilmod26b.FMT", "%H", "%")
    verdict, findings = _scan(text, "logging.ini")
    assert verdict == "safe", findings


def test_fileconfig_args_first_is_filename_for_every_file_handler() -> None:
    """fileConfig's handler ``args`` are positional: the reader takes ``args[0]`` as the path, which holds
    only while every stdlib file handler's first parameter is ``filename`` (checked on this Python)."""
    for cls in sorted(config_targets.file_handler_classes()):
        assert config_targets.positional_parameter(cls, 0) == "filename", cls
