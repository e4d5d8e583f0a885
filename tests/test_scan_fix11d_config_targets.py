"""fix11d: configs that name code to run beyond Hydra's ``_target_`` — jsonargparse/LightningCLI
``class_path``, fiddle ``pyref``s (NeMo 2 ``io.json``), OmegaConf ``${resolver:…}``
interpolations — judged by the one walker of :mod:`mlbom.formats.config_targets` with Hydra's
deny list and verdicts. The framework behaviour each rule rests on is proven against the real
libraries where they are installed (omegaconf 2.3 / hydra-core 1.3 / jsonargparse 4.x / fiddle
0.3, in a throw-away subprocess; skipped where absent)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlbom.formats import config_targets as ct
from mlbom.scanner import scan_bytes
from tests.conftest import FIXTURES


def _scan(data: str, name: str) -> tuple[str, set[str], str]:
    r = scan_bytes(data.encode(), name)
    return r.verdict, {f.id for f in r.findings}, " ".join(f.message for f in r.findings)


# --- jsonargparse / LightningCLI ---------------------------------------------------------------

LIGHTNING_CLI = """\
model:
  class_path: mypkg.models.LitModel
  init_args:
    encoder:
      class_path: torch.nn.TransformerEncoderLayer
      init_args: {d_model: 64, nhead: 4}
optimizer:
  class_path: torch.optim.Adam
  init_args:
    lr: 0.001
trainer:
  max_epochs: 3
"""


def test_a_lightning_cli_config_is_suspicious_naming_every_class_path() -> None:
    v, ids, msg = _scan(LIGHTNING_CLI, "config.yaml")
    assert v == "suspicious" and ids == {"code.remote"}
    for path in ("mypkg.models.LitModel", "torch.nn.TransformerEncoderLayer", "torch.optim.Adam"):
        assert repr(path) in msg
    assert "jsonargparse" in msg


@pytest.mark.parametrize(("text", "name"), [
    ("model:\n  class_path: os.system\n  init_args: {command: id}\n", "config.yaml"),
    ("a:\n  init_args:\n    b:\n      class_path: subprocess.Popen\n", "hparams.yml"),
    ('m:\n  "class\\x5fpath": builtins.exec\n', "config.yaml"),  # a key spelled with escapes
    ("k: &k class_path\nm: {*k : posix.system}\n", "c.yaml"),  # an aliased key
    # a Callable-typed argument imports a plain dotted string (jsonargparse's import_object)
    ("model:\n  class_path: mypkg.M\n  init_args:\n    fn: os.system\n", "config.yaml"),
])
def test_dangerous_class_paths_are_unsafe(text: str, name: str) -> None:
    v, ids, _ = _scan(text, name)
    assert v == "unsafe" and "code.dangerous-target" in ids, text


def test_class_path_in_json_at_any_depth() -> None:
    doc = {"fit": {"model": {"class_path": "a.B", "init_args": {"act": {"class_path": "os.system"}}}}}
    v, ids, msg = _scan(json.dumps(doc), "config.json")
    assert v == "unsafe" and ids == {"code.dangerous-target", "code.remote"} and "'a.B'" in msg
    v, ids, msg = _scan(json.dumps({"model": {"init_args": {"fn": "builtins.eval"}}}), "config.json")
    assert v == "unsafe" and "'builtins.eval'" in msg


def test_a_dotted_string_is_no_target_outside_a_jsonargparse_config() -> None:
    assert _scan("banned:\n  - my_pkg.Thing\n", "policy.yaml")[0] == "safe"
    assert _scan(json.dumps({"banned": ["my_pkg.Thing"]}), "policy.json")[0] == "safe"
    # red team 18b-1 changed this for the deny list: jsonargparse's Callable (and List[Callable])
    # arguments import a plain dotted string with no code key anywhere, so a deny-listed one is unsafe
    # in any config (a file that merely lists banned callables is a false positive mlbom accepts)
    assert _scan("banned:\n  - os.system\n", "policy.yaml")[0] == "unsafe"
    assert _scan(json.dumps({"banned": ["os.system"]}), "policy.json")[0] == "unsafe"


# --- fiddle ------------------------------------------------------------------------------------

FIDDLE = FIXTURES / "fiddle" / "config-join.json"  # fdl.Config(os.path.join, "a", "b") as dump_json writes it


def _fiddle_json(module: str, name: str) -> str:
    """The real ``dump_json`` output with the function's pyref swapped for ``module.name``."""
    text = FIDDLE.read_text()
    old = '"module": "posixpath",\n      "name": "join"'
    assert old in text
    return text.replace(old, f'"module": {json.dumps(module)},\n      "name": {json.dumps(name)}')


def test_fiddle_pyrefs_are_targets() -> None:
    v, ids, msg = _scan(FIDDLE.read_text(), "io.json")  # posixpath.* is on the deny list (file paths)
    assert v == "unsafe" and ids == {"code.dangerous-target", "code.remote"} and "'posixpath.join'" in msg
    v, ids, msg = _scan(_fiddle_json("os", "system"), "io.json")
    assert v == "unsafe" and "code.dangerous-target" in ids and "'os.system'" in msg and "fiddle" in msg
    v, ids, msg = _scan(_fiddle_json("nemo.collections.llm", "GPTModel"), "io.json")
    assert v == "suspicious" and ids == {"code.remote"}
    assert "'nemo.collections.llm.GPTModel'" in msg and "'fiddle._src.config.Config'" in msg
    v, ids, msg = _scan(json.dumps([{"type": "pyref", "module": ["os"], "name": "system"}]), "io.json")
    assert v == "suspicious" and "a pyref of module" in msg


def test_fiddle_load_json_imports_every_pyref(tmp_path: Path) -> None:
    """The real ``load_json`` imports a pyref's module (its top-level code runs) whatever the
    policy then says about the value."""
    pytest.importorskip("fiddle")
    (tmp_path / "evilmod_fd.py").write_text("import pathlib\npathlib.Path('ran').write_text('x')\ndef f(): pass\n")
    (tmp_path / "io.json").write_text(_fiddle_json("evilmod_fd", "f"))
    code = ("import sys; sys.path.insert(0, '.')\nfrom fiddle._src.experimental import serialization\n"
            "try:\n    serialization.load_json(open('io.json').read())\nexcept Exception as e:\n    print(type(e))\n")
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    assert (tmp_path / "ran").exists()
    assert scan_bytes((tmp_path / "io.json").read_bytes(), "io.json").verdict == "suspicious"


# --- OmegaConf interpolations ------------------------------------------------------------------

@pytest.mark.parametrize(("value", "calls"), [
    ("${eval:'1+1'}", ["eval"]),
    ("\\${eval:'1'}", []),  # escaped: a literal ${
    ("\\\\${eval:'1'}", ["eval"]),  # an escaped backslash, then an interpolation
    ("${a.b} and ${.c}", []),  # nodes, no calls
    ("${{ github.ref }}", []),
    ("${ eval : 1 }", ["eval"]),
    ("${oc.select:a,${py:1}}", ["py", "oc.select"]),  # nested in the arguments
    ("${foo:'}',${bar:2}}", ["bar", "foo"]),  # a quoted brace does not close
    ("${x:\\}${eval:1}}", ["eval", "x"]),  # an escaped brace does not close
    ("${oc.decode:'\\${eval:1}'}", ["eval", "oc.decode"]),  # decode parses the unescaped text again
    ("${${k}:1}", [None]),  # a computed resolver name
    ("${eval:'unclosed'", ["eval"]),
])
def test_resolver_calls_as_omegaconf_lexes_them(value: str, calls: list[str | None]) -> None:
    assert [name for name, _ in ct.resolver_calls(value)] == calls


@pytest.mark.parametrize(("text", "verdict", "ids"), [
    ("x: ${eval:'__import__(\"os\").system(\"id\")'}\n", "unsafe", {"code.dangerous-target"}),
    ("x: \"${python:print(1)}\"\n", "unsafe", {"code.dangerous-target"}),
    ("x: ${my_resolver:1,2}\n", "suspicious", {"code.remote"}),
    ("x: ${${name}:1}\n", "suspicious", {"code.remote"}),
    ("x: ${oc.env:AWS_SECRET_ACCESS_KEY}\n", "safe", {"config.env-read"}),
    ("x: ${oc.select:a.b,1}\ny: ${now:%Y-%m-%d}\nz: ${hydra:runtime.cwd}\nw: ${a.b}\n", "safe", set()),
    ("x: \\${eval:1}\n", "safe", set()),
    # oc.create makes config nodes that hydra.utils.instantiate calls; oc.decode parses text into them
    ("x: \"${oc.create:{_target_: builtins.print, _args_: [hi]}}\"\n", "unsafe", {"code.dangerous-target"}),
    ("x: \"${oc.decode:'{_target_: os.system}'}\"\n", "unsafe", {"code.dangerous-target"}),
    ("x: \"${oc.decode:'{class_path: a.B}'}\"\n", "suspicious", {"code.remote"}),
    # (18b-3: the string s is itself a config jsonargparse would parse again: its target counts)
    ("s: '{_target_: os.system}'\nx: ${oc.decode:${s}}\n", "unsafe", {"code.remote", "code.dangerous-target"}),
    ("x: \"${oc.create:{a: 1}}\"\n", "safe", set()),  # (quoted: unquoted, it is no YAML: 12d-1 reads it)
])
def test_interpolations_in_yaml_configs(text: str, verdict: str, ids: set[str]) -> None:
    v, got, msg = _scan(text, "config.yaml")
    assert (v, got) == (verdict, ids), msg


def test_interpolations_are_read_in_yaml_names_configs_and_any_json() -> None:
    text = "x: ${eval:'1'}\n"
    assert _scan(text, "train.yml")[0] == "unsafe"
    # any name: OmegaConf.load and jsonargparse's --config read every name as YAML (12d-3; "safe" before)
    assert _scan(text, "notes.txt")[0] == "unsafe"
    assert _scan("x: ${eval:'1'}", "notes.txt")[0] == "unsafe"
    assert _scan("echo ${HOME:-x} ${eval:1}\n", "run.sh")[0] == "safe"  # a scalar document is no config
    assert _scan("m:\n  _target_: a.B\n  x: ${eval:'1'}\n", "notes.txt")[0] == "unsafe"
    doc = {"m": {"_target_": "a.B", "n": ["${eval:'1'}"]}}
    assert _scan(json.dumps(doc), "config.json")[:2] == ("unsafe", {"code.dangerous-target", "code.remote"})
    # any JSON document: OmegaConf.load reads JSON as YAML, instantiate(json.load(f)) resolves a plain
    # dict — the name says nothing about the reader (rt11b-1; it was "safe" here before)
    assert _scan(json.dumps({"n": "${eval:'1'}"}), "tokenizer.json")[0] == "unsafe"
    assert _scan(json.dumps({"n": "${a.b} ${HOME}"}), "tokenizer.json")[0] == "safe"  # node references only


def test_a_long_value_is_read_to_its_bound() -> None:
    for value in ("${a.b}" + "x" * ct.MAX_VALUE, "${r:1}" * (ct.MAX_CALLS + 1)):
        t = ct.Targets()
        t.value(value)
        assert t.bounded is not None and any(j.effect == "suspicious" for j in ct.judge(t))
    t = ct.Targets()  # unclosed calls, each keeping the rest of the text, stay linear in memory
    t.value("${oc.decode:" * 100_000)
    assert any(j.effect == "suspicious" for j in ct.judge(t))
    assert _scan('{"a": {"b": "${eval:1}"}}', "model_config.yaml")[0] == "unsafe"  # NeMo's, in JSON syntax


OMEGACONF_PROOF = textwrap.dedent("""\
    import json, sys
    from omegaconf import OmegaConf
    from hydra.utils import instantiate
    called = []
    OmegaConf.register_new_resolver("eval", lambda *a: called.append("eval") or "v")
    OmegaConf.register_new_resolver("py", lambda *a: called.append("py") or "v")
    out = {}
    for value in json.loads(sys.argv[1]):
        called.clear()
        try:
            OmegaConf.create({"x": value}).x
        except Exception as e:
            pass
        out[value] = sorted(set(called))
    hits = []
    import builtins
    builtins.mark = lambda *a: hits.append(a)
    instantiate(OmegaConf.create({"m": "${oc.create:{_target_: builtins.mark, _args_: [1]}}"}))
    out["create"] = bool(hits)
    print(json.dumps(out))
""")


def test_the_rules_match_real_omegaconf_and_hydra(tmp_path: Path) -> None:
    """The lexing above against OmegaConf's own resolution (marker resolvers, never eval): every
    value whose resolver it calls is one :func:`resolver_calls` reports; and Hydra instantiates
    the ``_target_`` of a node that ``oc.create`` made."""
    pytest.importorskip("omegaconf")
    pytest.importorskip("hydra")
    values = ["${eval:'1'}", "\\${eval:'1'}", "\\\\${eval:'1'}", "${ eval : 1 }", "${oc.select:a,${py:1}}",
              "${foo:'}',${py:2}}", "${oc.decode:'\\${eval:1}'}", "${oc.decode:'${py:1}'}", "a \\\\\\${eval:1}"]
    run = subprocess.run([sys.executable, "-c", OMEGACONF_PROOF, json.dumps(values)], cwd=tmp_path, check=True,
                         capture_output=True, text=True, timeout=120)
    real = json.loads(run.stdout.strip().splitlines()[-1])
    assert real.pop("create") is True
    for value, called in real.items():
        ours = {name for name, _ in ct.resolver_calls(value)}
        assert set(called) <= ours, (value, called, ours)
    assert real["\\${eval:'1'}"] == [] and real["\\\\${eval:'1'}"] == ["eval"]


JSONARGPARSE_PROOF = textwrap.dedent("""\
    import sys
    from typing import Callable
    from jsonargparse import ArgumentParser
    sys.path.insert(0, ".")
    p = ArgumentParser()
    p.add_argument("--opt", type=object)
    p.add_argument("--fn", type=Callable)
    cfg = p.parse_path("config.yaml")
    init = p.instantiate(cfg)
    print(init.fn.__name__)
""")


def test_jsonargparse_imports_class_path_and_callable_strings(tmp_path: Path) -> None:
    pytest.importorskip("jsonargparse")
    (tmp_path / "evilmod_ja.py").write_text("import pathlib\npathlib.Path('imported').write_text('x')\n"
                                            "class Opt:\n    def __init__(self, lr=1):\n"
                                            "        pathlib.Path('called').write_text(str(lr))\n")
    config = "opt:\n  class_path: evilmod_ja.Opt\n  init_args:\n    lr: 3\nfn: os.getcwd\n"
    (tmp_path / "config.yaml").write_text(config)
    run = subprocess.run([sys.executable, "-c", JSONARGPARSE_PROOF], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "imported").exists() and (tmp_path / "called").read_text() == "3"
    assert run.stdout.strip().endswith("getcwd")  # a plain dotted string became the function
    v, _, msg = _scan(config, "config.yaml")
    assert v == "unsafe" and "'evilmod_ja.Opt'" in msg and "'os.getcwd'" in msg  # os.* is deny-listed
