"""Red team 116pa, findings 6, 1 and 1b:

- 116pa-1: a Caffe Python layer spelled as protobuf's text format allows but a regular expression
  did not read (``python_param: {``, ``python_param <…>``, a brace in a string or a ``#`` comment,
  a body over 4096 characters) was ``safe``. Now every ``python_param`` field name outside comments
  and strings is ``code.remote`` whatever its body, and a small text-format tokenizer
  (:mod:`mlbom.formats.caffe_text`) reads module/layer to raise it to ``unsafe``.
- 116pa-1b: a ``.j2``/``.jinja`` name turned off the Caffe, logging-INI and YOLO rules (the
  chat-template branch held a copy of three of the name-free rules). Now one function,
  ``scanner._any_name_rules``, holds every rule that holds whatever the name, for both.
- 116pa-6: ``generate`` swept loose weight files by NAME only: pickles named ``model.p``,
  ``*.pcl``, ``*.pckl``, gensim ``*.model``/``*.kv``/``*.wv`` got no component and no verdict.
  Now those names are looked for, and the sweep also takes any file whose first bytes a loader
  unpickles (a pickle stream, a compressed pickle, a torch zip).

Nothing here is loaded, unpickled or rendered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.scanner import scan, scan_bytes

FIXTURES = Path(__file__).parent / "fixtures"

# ---------------------------------------------------------------- 116pa-1b

_CAFFE = 'name: "n"\nlayer { name: "p" type: "Python" top: "x" python_param { module: "os" layer: "system" } }\n'
_LOGINI = ("[loggers]\nkeys=root\n\n[handlers]\nkeys=h\n\n[formatters]\nkeys=\n\n[logger_root]\nlevel=INFO\n"
           "handlers=h\n\n[handler_h]\nclass=__import__('os').system('true')\nargs=()\n")
_YOLO = ("nc: 80\ndepth_multiple: 1.0\nwidth_multiple: 1.0\nactivation: __import__('os').system('true')\n"
         "anchors: 3\nbackbone:\n  [[-1, 1, Conv, [64, 6, 2, 2]]]\nhead:\n  [[-1, 1, Detect, [nc, anchors]]]\n")
_GIN = "from __gin__ import dynamic_registration\nimport os\ntrain.model = @os.system()\n"
_TARGET = "model:\n  _target_: os.system\n  command: 'true'\n"


@pytest.mark.parametrize("text", [_CAFFE, _LOGINI, _YOLO, _GIN, _TARGET], ids=["caffe", "logging", "yolo", "gin",
                                                                              "target"])
@pytest.mark.parametrize("name", ["template.j2", "chat_template.jinja", "x.jinja2", "deploy.prototxt", "x.yaml"])
def test_name_free_rules_hold_under_a_template_name(text: str, name: str) -> None:
    r = scan_bytes(text.encode(), name)
    assert r.verdict == "unsafe", (name, [(f.id, f.message[:100]) for f in r.findings])


def test_one_function_holds_the_name_free_rules() -> None:
    """The template branch and the rest call the same function (no copy to fall behind)."""
    import inspect

    from mlbom import scanner

    source = inspect.getsource(scanner._judge_text)
    assert source.count("_any_name_rules(") == 2
    for rule in ("_caffe_python_layers", "logging_config.judge", "_yolo_config", "_yaml_tags", "_config_targets"):
        assert rule not in source, rule
        assert rule in inspect.getsource(scanner._any_name_rules), rule


def test_real_chat_templates_stay_clean() -> None:
    folder = FIXTURES / "chat_templates"
    scans = list(scan(folder))
    assert len(scans) > 20
    bad = {Path(s.path).name: (s.verdict, [f.id for f in s.findings if f.severity != "info"])
           for s in scans if s.path.endswith((".jinja", ".j2")) and s.verdict != "safe"}
    assert bad == {}
