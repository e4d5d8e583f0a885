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

from mlbom.formats import caffe_text
from mlbom.scanner import scan, scan_bytes

FIXTURES = Path(__file__).parent / "fixtures"

# ---------------------------------------------------------------- 116pa-1

_LAYER = 'name: "net"\ninput: "data"\nlayer {{ name: "p" type: "Python" top: "x" {body} }}\n'


@pytest.mark.parametrize("body", [
    'python_param: { module: "os" layer: "system" }',
    'python_param < module: "os" layer: "system" >',
    'python_param: < module: "os" layer: "system" >',
    'python_param { param_str: "{\'k\': 1}" module: "os" layer: "system" }',
    'python_param { # see {docs}\n  module: "os" layer: "system" }',
    'python_param { module: "os" layer: "system" param_str: "' + "x" * 5000 + '" }',
    'python_param { param_str: "' + "}" * 5000 + '" module: "os" layer: "system" }',
    'python_param { module: "o" "s" layer: "sys" \'tem\' }',  # adjacent literals concatenate
    'python_param { module: "\\157s" layer: "\\x73ystem" }',  # octal and hex escapes
    'python_param { module: "os"; layer: "system"; }',
    'python_param { module: "subprocess" layer: "Popen" }',
])
def test_caffe_python_layer_spellings_are_unsafe(body: str) -> None:
    r = scan_bytes(_LAYER.format(body=body).encode(), "deploy.prototxt")
    assert r.verdict == "unsafe", [(f.id, f.message[:120]) for f in r.findings]
    assert {"code.dangerous-target", "code.remote"} <= {f.id for f in r.findings}


@pytest.mark.parametrize("body", [
    'python_param: { module: "rpn.proposal_layer" layer: "ProposalLayer" param_str: "{\'feat_stride\': 16}" }',
    'python_param < module: "rpn.proposal_layer" layer: "ProposalLayer" >',
    'python_param { module: "rpn.proposal_layer" layer: "ProposalLayer" param_str: "' + "{" * 5000 + '" }',
    'python_param',  # a field protobuf would not parse: still the floor
    'python_param { param_str: "x"',  # never closed
    'python_param { }',
])
def test_any_python_param_field_is_at_least_code_remote(body: str) -> None:
    r = scan_bytes(_LAYER.format(body=body).encode(), "deploy.prototxt")
    assert r.verdict == "suspicious", [(f.id, f.message[:120]) for f in r.findings]
    assert "code.remote" in {f.id for f in r.findings}


@pytest.mark.parametrize("text", [
    '# python_param { module: "os" layer: "system" }\nlayer { name: "c" type: "ReLU" }\n',
    'layer { name: "python_param { module: \\"os\\" }" type: "ReLU" }\n',
    "name: 'python_param'\n",
])
def test_python_param_in_a_comment_or_a_string_is_no_layer(text: str) -> None:
    assert scan_bytes(text.encode(), "deploy.prototxt").verdict == "safe"


def test_real_py_faster_rcnn_nets_stay_code_remote_and_plain_nets_safe() -> None:
    got = {Path(s.path).name: (s.verdict, sorted({f.id for f in s.findings})) for s in scan(FIXTURES / "caffe")}
    assert got == {
        "fast_rcnn-test.prototxt": ("safe", []),
        "faster_rcnn_end2end-test.prototxt": ("suspicious", ["code.remote"]),
        "faster_rcnn_end2end-train.prototxt": ("suspicious", ["code.remote"]),
    }
    train = next(s for s in scan(FIXTURES / "caffe" / "faster_rcnn_end2end-train.prototxt"))
    message = next(f.message for f in train.findings if f.id == "code.remote")
    assert "rpn.proposal_layer.ProposalLayer" in message and "roi_data_layer.layer.RoIDataLayer" in message
    assert "rpn.debug_layer" not in message  # commented out there


def test_the_tokenizer_reads_escapes_and_concatenation() -> None:
    params, count = caffe_text.python_params('python_param { module: "a\\x2eb" \'\\143\' layer: "L\\u00e9" }')
    assert count == 1
    assert params == [caffe_text.PythonParam(("a.bc",), ("Lé",))]
    params, count = caffe_text.python_params('"python_param" # python_param\n')
    assert (params, count) == ([], 0)


def test_a_megabyte_net_is_read_fast() -> None:
    import time

    layer = 'layer { name: "c" type: "Convolution" convolution_param { num_output: 96 kernel_size: 7 } }\n'
    text = (layer * (1_000_000 // len(layer)) + _LAYER.format(body='python_param { module: "os" layer: "system" }'))
    start = time.process_time()
    assert scan_bytes(text.encode(), "deploy.prototxt").verdict == "unsafe"
    assert time.process_time() - start < 2.0


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
