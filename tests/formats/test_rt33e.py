"""Red team 33e (/work/redteam-33e): readers of non-pickle files whose loader picks code by name.

- 33e-1: Jinja2 filters and tests that hand an argument to ``make_attrgetter`` /
  ``make_multi_attrgetter`` (a dotted attribute path), also through ``map('<filter>', …)``;
- 33e-2: an MLmodel transformers flavor naming a Hub repo (code and weights from outside the folder);
- 33e-3: logging ``fileConfig`` formatter ``defaults``, ``eval``'d by Python >= 3.12;
- 33e-4: MLmodel flavor keys that mlflow imports by name (``xgboost.model_class`` and the audit).
Every input is built here; the real loaders run only in throw-away subprocesses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes

# ---- 33e-3: fileConfig formatter defaults ---------------------------------------------------------

_INI = """[loggers]
keys=root

[handlers]
keys=h

[formatters]
keys=plain

[logger_root]
level=INFO
handlers=h

[handler_h]
class=StreamHandler
args=(sys.stderr,)
formatter=plain

[formatter_plain]
format=%(message)s %(x)s
{defaults}
"""


def _verdict(data: str, name: str) -> tuple[str, list[str]]:
    r = scan_bytes(data.encode(), name)
    return r.verdict, [f"{f.id}: {f.message}" for f in r.findings]


def test_33e3_formatter_defaults_code_is_unsafe() -> None:
    ini = _INI.format(defaults="defaults={'x': __import__('os').system('true')}")
    verdict, msgs = _verdict(ini, "logging.ini")
    assert verdict == "unsafe", msgs
    assert any("defaults" in m for m in msgs)


def test_33e3_formatter_defaults_literal_is_fine() -> None:
    verdict, msgs = _verdict(_INI.format(defaults="defaults={'x': 'y'}"), "logging.ini")
    assert verdict == "safe", msgs


def test_33e3_defaults_read_raw() -> None:
    # fileConfig reads defaults with raw=True: '%(' is not interpolated, so no value hides code behind it
    ini = _INI.format(defaults="defaults={'x': '%(message)s'}")
    assert _verdict(ini, "logging.ini")[0] == "safe"


_PYENV = Path("/root/.pyenv/versions")
# the eval/_resolve sites of logging/config.py fileConfig as modelled (logging_config's docstring)
_MODELLED = {
    "3.10": ["eval(args", "eval(klass", "eval(kwargs"],
    "3.11": ["eval(args", "eval(klass", "eval(kwargs"],
    "3.12": ["eval(args", "eval(defaults", "eval(klass", "eval(kwargs"],
    "3.13": ["eval(args", "eval(defaults", "eval(klass", "eval(kwargs"],
}


@pytest.mark.parametrize("minor", sorted(_MODELLED))
def test_33e3_eval_sites_of_each_python_are_modelled(minor: str) -> None:
    found = sorted(_PYENV.glob(f"{minor}.*/lib/python{minor}/logging/config.py"))
    if not found:
        pytest.skip(f"no Python {minor} source here")
    src = found[-1].read_text(encoding="utf-8")
    sites = sorted(set(re.findall(r"eval\(\w+", src)))
    assert sites == _MODELLED[minor], f"a new eval site in Python {minor}'s logging/config.py: model it"
