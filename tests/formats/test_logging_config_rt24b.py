"""Red team 24b: logging configs (proofs: /work/redteam-24b). fileConfig's INI read as ``open()`` +
configparser read it (24b-2), a file handler's path that is no plain string (24b-1, 24b-4), ``cfg://``
chains of any length (24b-3), every stdlib file handler (24b-5), ``class`` read as ``eval`` reads it
(24b-6) and the log-path rule by where the file lands (24b-7). The real loaders (CPython's
``logging.config``, PyYAML's ``safe_load``) run only in a throw-away subprocess.
"""

from __future__ import annotations

import base64
import inspect
import json
import logging
import logging.handlers
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats import config_targets
from mlbom.scanner import scan_bytes


def _scan(data: str | bytes, name: str) -> tuple[str, list[tuple[str, str, str]]]:
    r = scan_bytes(data if isinstance(data, bytes) else data.encode(), name)
    return r.verdict, [(f.id, f.severity, f.message) for f in r.findings]


INI = """[loggers]
keys=root

[handlers]
keys=h

[formatters]
keys=f

[logger_root]
level=INFO
handlers=h

[handler_h]
class={cls}
formatter=f
{args}

[formatter_f]
format=%(message)s
"""


def _file_config(text: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    path = cwd / "app.conf"
    path.write_bytes(text.encode())
    return subprocess.run([sys.executable, "-c", "import logging, logging.config, sys; "
                           "logging.config.fileConfig(sys.argv[1]); logging.getLogger('app').warning('x')",
                           str(path)], cwd=cwd, capture_output=True, text=True, timeout=60)


# --- 24b-1: a fileConfig file handler's path that is no str literal --------------------------------
@pytest.mark.parametrize("args", [
    "args=('{p}/.bash' + 'rc',)",
    "args=('{p}/.bashrc',)*1",
    "args={{'{p}/.bashrc'}}",
    "args=()\nkwargs={{**{{'filename': '{p}/.bashrc'}}}}",
    "args=(b'{p}/.bashrc',)",
])
def test_24b1_computed_path_is_unsafe(args: str, tmp_path: Path) -> None:
    text = INI.format(cls="FileHandler", args=args.format(p=tmp_path))
    _file_config(text, tmp_path)
    assert (tmp_path / ".bashrc").exists()  # the real loader wrote there
    verdict, found = _scan(text, "app.conf")
    assert verdict == "unsafe", found


def test_24b1_bytes_path_is_judged_as_its_text() -> None:
    text = INI.format(cls="FileHandler", args="args=(b'logs/app.log',)")
    assert _scan(text, "app.conf")[0] == "safe"


# --- 24b-2: the text as open() and configparser read it --------------------------------------------
EXEC = "args=(__import__('os').system('true'),)"


@pytest.mark.parametrize("transform", [
    lambda t: ("# app logging\n" + t).replace("\n", "\r"),  # CR-only line ends: universal newlines
    lambda t: ("# app logging\n" + t).replace("\n", "\r\n"),
    lambda t: "\n".join("\f" + line if line else line for line in t.split("\n")),
    lambda t: "\n".join("\xa0" + line if line else line for line in t.split("\n")),
    lambda t: "\n".join("\u3000" + line if line else line for line in t.split("\n")),
])
def test_24b2_read_as_fileconfig_reads(transform: object, tmp_path: Path) -> None:
    assert callable(transform)
    text = transform(INI.format(cls="StreamHandler", args="args=(__import__('os').system('touch MARK'),)"))
    _file_config(text, tmp_path)
    assert (tmp_path / "MARK").exists()  # the real loader ran it
    verdict, found = _scan(text, "app.conf")
    assert verdict == "unsafe", found


def test_24b2_header_only_in_a_value_is_no_fileconfig() -> None:
    # configparser reads the "[handlers]" line as a continuation of ``note``: no section fileConfig reads
    text = "[app]\nnote = a\n  [handlers]\n  keys=h\n"
    assert not any(i == "config.logging" for i, _, _ in _scan(text, "app.cfg")[1])


# --- 24b-3: cfg:// chains of any length -----------------------------------------------------------
def _chain(n: int, end: str) -> str:
    links = "".join(f"  p{i}: cfg://paths.p{i + 1}\n" for i in range(n)) + f"  p{n}: {end}\n"
    return ("version: 1\npaths:\n" + links + "handlers:\n  h:\n    class: logging.FileHandler\n"
            "    filename: cfg://paths.p0\nroot:\n  handlers: [h]\n")


@pytest.mark.parametrize("n", [3, 20, 60])
def test_24b3_long_chain_is_followed(n: int, tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    text = _chain(n, str(tmp_path / ".bashrc"))
    (tmp_path / "l.yaml").write_text(text)
    subprocess.run([sys.executable, "-c", "import logging.config, sys, yaml; "
                    "logging.config.dictConfig(yaml.safe_load(open(sys.argv[1])))", str(tmp_path / "l.yaml")],
                   cwd=tmp_path, capture_output=True, timeout=60)
    assert yaml is not None and (tmp_path / ".bashrc").exists()
    verdict, found = _scan(text, "logging.yaml")
    assert verdict == "unsafe", found
    assert _scan(_chain(n, "logs/app.log"), "logging.yaml")[0] == "safe"


def test_24b3_past_the_bound_is_unsafe() -> None:
    verdict, found = _scan(_chain(config_targets.MAX_CFG_DEPTH + 5, "logs/app.log"), "logging.yaml")
    assert verdict == "unsafe", found


def test_24b3_cycle_is_noted_not_followed() -> None:
    text = ("version: 1\npaths:\n  a: cfg://paths.b\n  b: cfg://paths.a\nhandlers:\n  h:\n"
            "    class: logging.FileHandler\n    filename: cfg://paths.a\n")
    verdict, found = _scan(text, "logging.yaml")
    assert any("leads back to itself" in m for _, _, m in found), found
    assert verdict in ("safe", "suspicious", "unsafe")  # (no hang, no internal error)


# --- 24b-4: a YAML-tagged scalar as filename ------------------------------------------------------
def test_24b4_binary_filename(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    b64 = base64.b64encode(str(tmp_path / ".bashrc").encode()).decode()
    text = ("version: 1\nhandlers:\n  h:\n    class: logging.FileHandler\n    filename: !!binary " + b64 +
            "\nroot:\n  handlers: [h]\n")
    (tmp_path / "l.yaml").write_text(text)
    subprocess.run([sys.executable, "-c", "import logging.config, sys, yaml; "
                    "logging.config.dictConfig(yaml.safe_load(open(sys.argv[1])))", str(tmp_path / "l.yaml")],
                   cwd=tmp_path, capture_output=True, timeout=60)
    assert (tmp_path / ".bashrc").exists()
    assert _scan(text, "logging.yaml")[0] == "unsafe"
    ok = base64.b64encode(b"logs/app.log").decode()
    assert _scan(text.replace(b64, ok), "logging.yaml")[0] == "safe"


def test_24b4_other_tag_is_unsafe() -> None:
    text = "version: 1\nhandlers:\n  h:\n    class: logging.FileHandler\n    filename: !!python/str x.log\n"
    assert _scan(text, "logging.yaml")[0] == "unsafe"


# --- 24b-5: every stdlib file handler --------------------------------------------------------------
def test_24b5_file_handlers_are_every_stdlib_class_taking_filename() -> None:
    want = set()
    for mod in (logging, logging.handlers):
        for name, v in vars(mod).items():
            if (isinstance(v, type) and issubclass(v, logging.Handler) and v.__module__ == mod.__name__
                    and "filename" in inspect.signature(v.__init__).parameters):
                want.add(f"{mod.__name__}.{name}")
    assert config_targets.file_handler_classes() == want
    assert "logging.handlers.BaseRotatingHandler" in want


def test_24b5_base_rotating_handler(tmp_path: Path) -> None:
    target = tmp_path / ".bashrc"
    target.write_text("echo hi\n")
    text = INI.format(cls="handlers.BaseRotatingHandler", args=f"args=('{target}', 'w')")
    _file_config(text, tmp_path)
    assert target.read_text() == ""  # truncated by the real loader
    assert _scan(text, "app.conf")[0] == "unsafe"
    cfg = {"version": 1, "handlers": {"h": {"class": "logging.handlers.BaseRotatingHandler",
                                            "filename": str(target), "mode": "w"}}}
    assert _scan(json.dumps(cfg), "logging.json")[0] == "unsafe"


# --- 24b-6: class read as eval reads it (NFKC) -----------------------------------------------------
@pytest.mark.parametrize("cls", ["e\uff56al", "\uff45xec", "\uff4fs.system"])
def test_24b6_nfkc_class(cls: str, tmp_path: Path) -> None:
    text = INI.format(cls=cls, args="args=(\"__import__('os').system('touch MARK')\",)")
    if cls.startswith("e"):
        _file_config(text, tmp_path)
        assert (tmp_path / "MARK").exists()
    verdict, found = _scan(text, "app.conf")
    assert verdict == "unsafe", found


def test_24b6_class_expression_is_unsafe() -> None:
    assert _scan(INI.format(cls="FileHandler('x.log').__class__", args="args=('a.log',)"), "app.conf")[0] == "unsafe"
    assert _scan(INI.format(cls="handlers . RotatingFileHandler", args="args=('logs/a.log',)"),
                 "app.conf")[0] == "safe"


# --- 24b-7: the path rule by where the file lands --------------------------------------------------
@pytest.mark.parametrize(("path", "want"), [
    ("/tmp/gunicorn.error.log", "safe"),
    ("/var/log/myapp/app.log", "safe"),
    ("/var/tmp/app.log.1", "safe"),
    ("logs/app.log", "safe"),
    ("/opt/app/logs/app.log", "suspicious"),
    ("/srv/x/out.log", "suspicious"),
    ("/tmp/notes", "suspicious"),
    ("/etc/cron.d/job.log", "unsafe"),
    ("/usr/local/bin/x.log", "unsafe"),
    ("/lib64/x.log", "unsafe"),
    ("/home/u/app.log", "unsafe"),
    ("/root/app.log", "unsafe"),
    ("/var/lib/app/app.log", "unsafe"),
    ("/var/spool/cron/crontabs/u", "unsafe"),
    ("~/app.log", "unsafe"),
    ("$HOME/app.log", "unsafe"),
    ("venv/lib/python3.11/site-packages/app.log", "unsafe"),
    ("/tmp/.bashrc", "unsafe"),
    ("/var/log/app/sitecustomize.py", "unsafe"),
    ("/var/log/../../etc/x.log", "unsafe"),
    ("C:\\Users\\u\\app.log", "unsafe"),
    ("D:\\logs\\app.log", "suspicious"),
])
def test_24b7_path_rule(path: str, want: str) -> None:
    ini = INI.format(cls="FileHandler", args=f"args=({path!r}, 'a')")
    assert _scan(ini, "app.conf")[0] == want
    cfg = {"version": 1, "handlers": {"h": {"class": "logging.FileHandler", "filename": path}}}
    assert _scan(json.dumps(cfg), "logging.json")[0] == want


def test_24b7_gunicorn_example_is_safe() -> None:
    text = ("[loggers]\nkeys=root, gunicorn.error\n\n[handlers]\nkeys=error_file\n\n[formatters]\nkeys=generic\n\n"
            "[logger_root]\nlevel=INFO\nhandlers=error_file\n\n[logger_gunicorn.error]\nlevel=INFO\n"
            "handlers=error_file\npropagate=1\nqualname=gunicorn.error\n\n[handler_error_file]\n"
            "class=logging.FileHandler\nformatter=generic\nargs=('/tmp/gunicorn.error.log',)\n\n"
            "[formatter_generic]\nformat=%(asctime)s [%(process)d] [%(levelname)s] %(message)s\n"
            "datefmt=%Y-%m-%d %H:%M:%S\nclass=logging.Formatter\n")
    verdict, found = _scan(text, "logging.conf")
    assert verdict == "safe", found
    assert any(s == "info" and "gunicorn.error.log" in m for _, s, m in found)
