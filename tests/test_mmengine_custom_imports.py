"""mmengine ``custom_imports`` (an open lead of stop 47): ``Config.fromfile(..., import_custom_modules=True)``
— the default — calls ``import_modules_from_strings(**cfg['custom_imports'])``, which imports every module the
top-level ``custom_imports['imports']`` names (a string or a list of strings): the module's top-level code
runs when the config is loaded. Such a config is ``suspicious`` (``code.remote``); the same key deeper, or
configs without it, stay as they were."""

from __future__ import annotations

import json

import pytest

from mlbom.scanner import scan_bytes

_FLAGGED = [
    ("cfg.json", json.dumps({"custom_imports": {"imports": ["evil_plugin"], "allow_failed_imports": False},
                             "model": {"type": "ResNet"}})),
    ("cfg.json", json.dumps({"custom_imports": {"imports": "evil_plugin"}})),
    ("cfg.yaml", "custom_imports:\n  imports: [evil_plugin]\nmodel:\n  type: ResNet\n"),
    ("cfg.yaml", "custom_imports:\n  imports:\n    - mmdet.models\n    - evil_plugin\n"),
    ("cfg.yaml", "custom_imports: {imports: evil_plugin}\n"),
    ("cfg.yaml", 'custom_imports: {"\\x69mports": evil_plugin}\n'),  # a YAML escape in the key
    ("cfg.json", '{"\\u0063ustom_imports": {"imports": ["evil_plugin"]}}'),  # a JSON escape in the key
]


@pytest.mark.parametrize(("name", "text"), _FLAGGED)
def test_custom_imports_are_code_remote(name: str, text: str) -> None:
    r = scan_bytes(text.encode(), name)
    assert r.verdict == "suspicious", r.findings
    assert any(f.id == "code.remote" and "custom_imports" in f.message and "evil_plugin" in f.message
               for f in r.findings)


@pytest.mark.parametrize(("name", "text"), [
    ("cfg.json", json.dumps({"model": {"custom_imports": {"imports": ["x"]}}})),  # not top-level: not read
    ("cfg.yaml", "model:\n  type: ResNet\n  depth: 50\nimports: [a, b]\n"),
    ("cfg.json", json.dumps({"custom_imports": {"allow_failed_imports": True}})),
])
def test_other_configs_stay_safe(name: str, text: str) -> None:
    assert scan_bytes(text.encode(), name).verdict == "safe"
