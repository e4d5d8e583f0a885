"""Red team 23b-1: logging's INI form, as ``logging.config.fileConfig`` reads it (``eval`` of a
handler's class/args/kwargs: :mod:`mlbom.formats.logging_config`). The real loader (CPython's, stdlib)
runs in a throw-away subprocess (proof: /work/redteam-23b/23b-1).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlbom.formats import logging_config
from mlbom.scanner import scan_bytes


def _scan(text: str, name: str) -> tuple[str, list[tuple[str, str]]]:
    r = scan_bytes(text.encode(), name)
    return r.verdict, [(f.id, f.severity) for f in r.findings]


# --- 23b-1: fileConfig (INI) ------------------------------------------------------------------------
INI = """{lead}[loggers]
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
{rest}
[formatter_f]
format=%(asctime)s %(levelname)s %(message)s
{fmt}
"""


def _ini(cls: str = "StreamHandler", rest: str = "args=(sys.stderr,)\n", fmt: str = "", lead: str = "") -> str:
    return INI.format(cls=cls, rest=rest, fmt=fmt, lead=lead)


@pytest.mark.parametrize("name", ["logging.ini", "logging.cfg", "logging.conf", "log_settings"])
@pytest.mark.parametrize("lead", ["; logging configuration\n", ""])
def test_23b1_fileconfig_args_eval_is_unsafe(name: str, lead: str, tmp_path: Path) -> None:
    mark = tmp_path / "MARK"
    text = _ini(rest=f"args=(__import__('os').system('touch {mark}'),)\n", lead=lead)
    verdict, found = _scan(text, name)
    assert verdict == "unsafe" and ("code.dangerous-target", "critical") in found, found
    (tmp_path / name).write_text(text)
    subprocess.run([sys.executable, "-c", "import logging.config, sys; logging.config.fileConfig(sys.argv[1])",
                    name], cwd=tmp_path, capture_output=True, timeout=60)
    assert mark.exists()  # the real loader ran it


@pytest.mark.parametrize(("cls", "rest", "fmt", "want"), [
    ("StreamHandler", "kwargs={'stream': open('/etc/passwd')}\n", "", "unsafe"),  # a call in kwargs
    ("StreamHandler", "args=(sys.modules,)\n", "", "unsafe"),  # a name that is no allowed data
    ("StreamHandler", "args=([x for x in ()],)\n", "", "unsafe"),
    ("StreamHandler", "args=(lambda: 0,)\n", "", "unsafe"),
    ("StreamHandler", "args=(sys.stderr.__class__,)\n", "", "unsafe"),
    ("StreamHandler", "args=((1,)[0],)\n", "", "unsafe"),  # a subscript
    ("__import__('os').system('x') or StreamHandler", "args=()\n", "", "unsafe"),  # class is eval'd
    ("os.system", "args=('touch x',)\n", "", "unsafe"),  # vars(logging) holds os: a denied callable
    ("config.dictConfig", "args=({},)\n", "", "unsafe"),  # logging.config through vars(logging)
    ("open", "args=('/tmp/x', 'w')\n", "", "unsafe"),  # a builtin through eval
    ("mypkg.handlers.Fancy", "args=()\n", "", "suspicious"),  # code this scan did not judge
    ("StreamHandler", "args=(sys.stderr,)\n", "class=mypkg.Formatter", "suspicious"),  # _resolve'd
    ("StreamHandler", "args=(%(undefined)s)\n", "", "safe"),  # the application's defaults: a name, allowed
    ("StreamHandler", "args=(sys.stderr,\n", "", "suspicious"),  # no Python expression: not judged
])
def test_23b1_fileconfig_class_args_kwargs(cls: str, rest: str, fmt: str, want: str) -> None:
    verdict, found = _scan(_ini(cls=cls, rest=rest, fmt=fmt), "logging.ini")
    assert verdict == want, found


@pytest.mark.parametrize(("rest", "want", "sev"), [
    ("args=('/home/u/.bashrc', 'a')\n", "unsafe", "high"),
    ("kwargs={'filename': '../../x.log'}\n", "unsafe", "high"),
    ("args=('.git/config',)\n", "unsafe", "high"),
    ("args=('logs/app.log', 'a', 10*1024*1024, 5)\n", "safe", "info"),
    ("args=('%(logfilename)s',)\n", "safe", "medium"),  # the logging docs' pattern: the app's defaults
])
def test_23b1_fileconfig_file_handler_paths(rest: str, want: str, sev: str) -> None:
    verdict, found = _scan(_ini(cls="handlers.RotatingFileHandler", rest=rest), "logging.ini")
    assert verdict == want and ("config.logging", sev) in found, found


COOKBOOK = [
    # the logging HOWTO's fileConfig example
    _ini(rest="level=DEBUG\nargs=(sys.stdout,)\n", fmt="datefmt="),
    # a realistic service config: console, rotating file, syslog, interpolation from [DEFAULT]
    """[DEFAULT]
logdir=logs

[loggers]
keys=root,app

[handlers]
keys=console,file,syslog

[formatters]
keys=plain,detailed

[logger_root]
level=WARNING
handlers=console

[logger_app]
level=DEBUG
handlers=file,syslog
qualname=app
propagate=0

[handler_console]
class=StreamHandler
level=INFO
formatter=plain
args=(sys.stderr,)

[handler_file]
class=logging.handlers.TimedRotatingFileHandler
level=DEBUG
formatter=detailed
args=('%(logdir)s/app.log', 'midnight', 1, 7)
kwargs={'encoding': 'utf-8', 'delay': True}

[handler_syslog]
class=handlers.SysLogHandler
level=ERROR
formatter=plain
args=(('localhost', handlers.SYSLOG_UDP_PORT), handlers.SysLogHandler.LOG_USER)

[formatter_plain]
format=%(levelname)s %(message)s

[formatter_detailed]
class=logging.Formatter
format=%(asctime)s %(name)-15s %(levelname)-8s %(processName)-10s %(message)s
datefmt=%Y-%m-%d %H:%M:%S
""",
]


@pytest.mark.parametrize("i", range(len(COOKBOOK)))
def test_23b1_real_fileconfig_examples_are_safe(i: int, tmp_path: Path) -> None:
    verdict, found = _scan(COOKBOOK[i], "logging.conf")
    assert verdict == "safe", found
    assert {f for f, _ in found} == {"config.logging"}, found
    # the real loader accepts them
    (tmp_path / "logging.conf").write_text(COOKBOOK[i])
    (tmp_path / "logs").mkdir()
    out = subprocess.run([sys.executable, "-c", "import logging.config; logging.config.fileConfig('logging.conf')"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_23b1_interpolation_is_bounded() -> None:
    """``%(a)s`` fanning out ten levels deep (configparser's limit) stays bounded and fails closed."""
    lines = ["[DEFAULT]", "v0=" + "x" * 100] + [f"v{i}=" + f"%(v{i - 1})s" * 16 for i in range(1, 11)]
    text = "\n".join(lines) + "\n" + _ini(rest="args=('%(v10)s',)\n")
    t0 = time.process_time()
    verdict, _found = _scan(text, "logging.ini")
    assert time.process_time() - t0 < 2
    assert verdict == "suspicious"


def test_23b1_ini_without_logging_sections_is_plain_text() -> None:
    assert not logging_config.looks_like("[metadata]\nname = x\n[options]\npackages = find:\n")
    assert _scan("[metadata]\nname = x\n", "setup.cfg")[1] == []


def test_23b1_interpolation_fan_out_of_empty_values_is_bounded() -> None:
    """A fan-out that never grows the text (empty values) is bounded by the memo and step budget."""
    lines = ["[DEFAULT]", "v0="] + [f"v{i}=" + f"%(v{i - 1})s" * 200 for i in range(1, 11)]
    text = "\n".join(lines) + "\n" + _ini(rest="args=(sys.stderr,)\nkwargs={'x': '%(v10)s'}\n")
    t0 = time.process_time()
    verdict, _found = _scan(text, "logging.ini")
    assert time.process_time() - t0 < 2
    assert verdict == "safe", _found
