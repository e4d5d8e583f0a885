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
import subprocess
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


# ---- 33e-1: Jinja2 attribute paths ----------------------------------------------------------------

def _effects(template: str) -> tuple[str, list[str]]:
    from mlbom.formats.jinja_ast import check_template

    found = check_template(template, where="t")
    order = ("unsafe", "error", "suspicious")
    worst = next((e for e in order if any(f.effect == e for f in found)), "safe")
    return worst, [f"{f.id}: {f.message}" for f in found]


_RT_TEMPLATE = ("{% set p = ['_','_init','__.','_','_globals','__.os.system']|join %}\n"
                "{% for g in [[namespace]]|map('groupby', p) %}{% for grp in g %}{{ grp[0]('touch MARK') }}"
                "{% endfor %}{% endfor %}")


def test_33e1_red_team_template_is_unsafe() -> None:
    worst, msgs = _effects(_RT_TEMPLATE)
    assert worst == "unsafe", msgs
    assert any(m.startswith("template.dunder-access") for m in msgs), msgs
    assert any(m.startswith("template.dunder-string") for m in msgs), msgs  # the |join folds to a dunder path
    assert any(m.startswith("template.odd-call") for m in msgs), msgs  # grp[0](…)


# every filter with an ``attribute`` parameter, by its argument position (after the value)
_ATTRIBUTE_FILTERS = {"groupby": 0, "sum": 0, "unique": 1, "min": 1, "max": 1, "join": 1, "sort": 2}
_FILLER = {"groupby": [], "sum": [], "unique": ["false"], "min": ["false"], "max": ["false"], "join": ["','"],
           "sort": ["false", "false"]}


@pytest.mark.parametrize("filt", sorted(_ATTRIBUTE_FILTERS))
@pytest.mark.parametrize("form", ["direct-positional", "direct-keyword", "map-positional", "map-keyword"])
def test_33e1_every_attribute_filter_every_route(filt: str, form: str) -> None:
    path = "'x.__init__.__globals__'"
    pos = ", ".join([*_FILLER[filt], path])
    if form == "direct-positional":
        expr = f"xs|{filt}({pos})"
    elif form == "direct-keyword":
        expr = f"xs|{filt}(attribute={path})"
    elif form == "map-positional":
        expr = f"[xs]|map('{filt}', {pos})"
    else:
        expr = f"[xs]|map('{filt}', attribute={path})"
    worst, msgs = _effects("{{ " + expr + " }}")
    assert worst == "unsafe", (expr, msgs)
    assert any(m.startswith("template.dunder-access") for m in msgs), (expr, msgs)


@pytest.mark.parametrize("expr", [
    "[[xs]]|map('map', 'groupby', 'a.__class__')",  # nested map
    "[xs]|map('map', 'attr', '__class__')",
    "[xs]|map('selectattr', 'a.__class__')",
    "xs|selectattr('a.__class__.__base__', 'defined')",
    "xs|sort(attribute='name,__class__')",  # make_multi_attrgetter splits on commas
    "[xs]|map('groupby', ['__cl', 'ass__']|join)",  # a path built with |join
    "[xs]|map('sort', false, false, 'x.' ~ '_private')",
])
def test_33e1_other_routes_are_unsafe(expr: str) -> None:
    worst, msgs = _effects("{{ " + expr + " }}")
    assert worst == "unsafe", (expr, msgs)


@pytest.mark.parametrize("expr", [
    "['_', '_class__']|join",
    "'%s%s'|format('__cla', 'ss__')",
])
def test_33e1_folded_filter_value_naming_a_dunder(expr: str) -> None:
    worst, msgs = _effects("{{ " + expr + " }}")
    assert worst == "suspicious" and any(m.startswith("template.dunder-string") for m in msgs), msgs


@pytest.mark.parametrize("expr", ["grp[0]('x')", "m['k']()", "f()()"])
def test_33e1_calling_a_value_read_at_render_time(expr: str) -> None:
    worst, msgs = _effects("{% set f = namespace %}{{ " + expr + " }}")
    assert worst == "suspicious" and any(m.startswith("template.odd-call") for m in msgs), msgs


@pytest.mark.parametrize("expr", [
    "messages|map(attribute='content')|join('\\n')", "messages|groupby('role')", "messages|sort(attribute='role')",
    "messages|selectattr('role', 'equalto', 'system')|list", "[messages]|map('sum', 'n.count', 0)",
])
def test_33e1_plain_attribute_paths_stay_clean(expr: str) -> None:
    assert _effects("{{ " + expr + " }}") == ("safe", [])


def test_33e1_attribute_table_matches_jinja2_signatures() -> None:
    """Every jinja2 filter/test that takes an attribute argument is classified (by position), and
    every one taking ``*args`` (a filter/test applied by name) is followed as such."""
    import inspect

    from jinja2.filters import FILTERS
    from jinja2.tests import TESTS
    from jinja2.utils import _PassArg

    from mlbom.formats import jinja_ast

    assert _ATTRIBUTE_FILTERS == jinja_ast._ATTRIBUTE_ARG
    for kind, table in (("filter", FILTERS), ("test", TESTS)):
        for name, fn in table.items():
            params = list(inspect.signature(fn).parameters.values())
            params = params[(1 if _PassArg.from_obj(fn) is not None else 0) + 1:]  # context/env, then the value
            names = [p.name for p in params]
            attr = [i for i, p in enumerate(names) if "attr" in p]
            if name == "attr":
                continue  # do_attr(obj, name): a single getattr, judged as the attr filter
            if attr:
                assert kind == "filter" and jinja_ast._ATTRIBUTE_ARG.get(name) == attr[0], (kind, name, names)
            else:
                assert name not in jinja_ast._ATTRIBUTE_ARG, (kind, name)
            if name != "format" and any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
                # (|format's *args are %-operands: no name lookup)
                assert kind == "filter" and name in jinja_ast._NAMED_CALLABLE, (kind, name, names)


def test_33e1_map_groupby_reads_the_path_in_jinja2() -> None:
    """The loader's side: plain jinja2 hands map('groupby', p)'s p to make_attrgetter (dots split)."""
    import sys

    code = ("import jinja2; t = jinja2.Environment().from_string(\"{% for g in [[namespace]]|map('groupby', "
            "'__class__.__name__') %}{% for grp in g %}{{ grp[0] }}{% endfor %}{% endfor %}\"); print(t.render())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert "type" in out.stdout  # namespace.__class__ read through the attribute path


# ---- 33e-2 / 33e-4: MLmodel ------------------------------------------------------------------------

def _mlmodel(text: str) -> tuple[str, list[str]]:
    return _verdict(text, "MLmodel")


_HUB = """flavors:
  python_function: {loader_module: mlflow.transformers}
  transformers:
    task: text-classification
    instance_type: TextClassificationPipeline
    pipeline_model_type: EvilForSequenceClassification
    source_model_name: attacker/evil-model
    source_model_revision: 0123456789abcdef0123456789abcdef01234567
    components: [tokenizer]
    tokenizer_type: BertTokenizerFast
    tokenizer_name: attacker/evil-tok
    tokenizer_revision: 0123456789abcdef0123456789abcdef01234567
"""


def test_33e2_transformers_hub_reference_is_suspicious() -> None:
    verdict, msgs = _mlmodel(_HUB)
    assert verdict == "suspicious", msgs
    hit = [m for m in msgs if m.startswith("code.remote") and "attacker/evil-model" in m]
    assert hit and "attacker/evil-tok" in hit[0] and "trust_remote_code=True" in hit[0], msgs


def test_33e2_local_transformers_is_not_remote() -> None:
    local = "\n".join(line for line in _HUB.splitlines() if "_name" not in line and "_revision" not in line)
    _, msgs = _mlmodel(local + "\n    model_binary: model\n")
    assert not any(m.startswith("code.remote") for m in msgs), msgs


def test_33e2_sentence_transformers_trust_is_said() -> None:
    _, msgs = _mlmodel("flavors:\n  sentence_transformers: {sentence_transformers_version: 3.0.0}\n")
    assert any("trust_remote_code=True" in m for m in msgs), msgs


@pytest.mark.parametrize("uri", ["s3://bucket/model.pkl", "hf://attacker/repo", "runs:/abc/model",
                                 "models:/m/1", "dbfs:/x/y", "https://e.example/m.bin", "gs://b/k"])
def test_33e2_remote_uri_values_are_suspicious(uri: str) -> None:
    verdict, msgs = _mlmodel(f"flavors:\n  sklearn:\n    pickled_model: '{uri}'\n")
    assert verdict == "suspicious" and any(m.startswith("mlmodel.remote-uri") for m in msgs), msgs


def test_33e2_artifact_uri_provenance_note_is_not_flagged() -> None:
    text = ("flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n    artifacts:\n"
            "      w:\n        path: artifacts/w.bin\n        uri: s3://bucket/w.bin\n")
    _, msgs = _mlmodel(text)
    assert not any(m.startswith("mlmodel.remote-uri") for m in msgs), msgs


@pytest.mark.parametrize(("cls", "want"), [
    ("xgboost.core.Booster", "safe"), ("xgboost.sklearn.XGBClassifier", "safe"),
    ("cgitb.enable", "suspicious"), ("this.s", "suspicious"), ("helper.X", "suspicious"),
    ("os.system", "unsafe"),
])
def test_33e4_xgboost_model_class(cls: str, want: str) -> None:
    verdict, msgs = _mlmodel(f"flavors:\n  xgboost:\n    data: model.xgb\n    model_class: {cls}\n")
    assert verdict == want, msgs
