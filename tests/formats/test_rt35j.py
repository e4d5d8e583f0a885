"""Red team 35j (/work/redteam-35j): a name the template does not bind may come from the model file.

transformers renders a chat template with every ``*_token`` of tokenizer_config.json and every key
of its ``extra_special_tokens`` as variables, so such a name is no more the user's data than a
macro parameter: fed to an attribute path or used as a ``str.format`` receiver it is
``template.computed-*`` (not safe). Only the names the application passes (``messages``,
``tools``, …) count as context data.
"""

from __future__ import annotations

import json

import pytest

from mlbom.formats.jinja_ast import check_template
from mlbom.scanner import scan_bytes


def _worst(template: str) -> str:
    found = check_template(template, where="t")
    return next((e for e in ("unsafe", "error", "suspicious") if any(f.effect == e for f in found)), "safe")


@pytest.mark.parametrize("template", [
    "{% set q = fmt_token %}{{ q.format(namespace) }}",
    "{{ fmt_token.format(namespace) }}",
    "{{ prompt.format(namespace) }}",  # an extra_special_tokens key: any name
    "{% set q = path_token %}{{ [namespace]|map(attribute=q)|first }}",
    "{{ [namespace]|map(attribute=whatever)|first }}",
    "{% for grp in [namespace]|groupby(key) %}{{ grp }}{% endfor %}",
    "{% for key in keys %}{{ messages|map(attribute=key)|join(',') }}{% endfor %}",
])
def test_a_name_the_model_file_may_supply_is_not_context_data(template: str) -> None:
    assert _worst(template) != "safe"


@pytest.mark.parametrize("template", [
    "{% for m in messages %}{{ m.role }}{% endfor %}",
    "{{ messages|map(attribute='content')|join('\\n') }}",
    "{% for t in tools %}{{ t.function.name }}{% endfor %}",
    "{% for m in messages|selectattr('role', 'equalto', 'user') %}{{ m.content }}{% endfor %}",
    "{% for d in documents %}{{ d.title }}{% endfor %}{% if add_generation_prompt %}x{% endif %}",
])
def test_context_data_stays_clean(template: str) -> None:
    assert check_template(template, where="t") == []


def test_red_team_tokenizer_config_is_not_safe() -> None:
    cfg = {"chat_template": "{% set q = fmt_token %}{{ q.format(namespace) }}",
           "fmt_token": "{0.__init__.__globals__[os].environ[SECRET]}"}
    r = scan_bytes(json.dumps(cfg).encode(), "tokenizer_config.json")
    assert r.verdict in ("suspicious", "unsafe"), [f.message for f in r.findings]
