"""Red team 11b's config-target findings (proofs: /work/redteam-11b/11b-1..3, real loaders
hydra-core 1.3.2/1.3.8, omegaconf 2.3, nemo_toolkit 2.0.0):

* 11b-1: a ``_target_`` inside an ``oc.create``/``oc.decode`` argument of a **JSON** document
  scanned ``safe`` — JSON strings were lexed for interpolations only in documents with a
  ``_target_``/``class_path`` key; ``instantiate(json.load(f))`` (and ``OmegaConf.load``, which
  reads JSON as YAML) resolves every string of any JSON document.
* 11b-2: NeMo's ``maybe_update_config_version`` (``nemo/utils/model_utils.py`` ``_convert_config``,
  run by every ``from_config_dict`` on every sub-mapping) turns a Hydra-0.x ``cls`` into
  ``_target_`` and shifts ``params`` into the parent: ``cls: os.system`` + ``params: {command: …}``
  in a ``model_config.yaml`` ran ``os.system``.
* 11b-3: a NeMo ``target`` (or a Hydra ``_target_``) spelled as a node interpolation (``${t}``) is
  resolved by OmegaConf before NeMo imports it (``to_container(resolve=True)``): it was skipped as
  "no dot". Such targets are now resolved against their document as OmegaConf does and the result
  judged; one mlbom cannot resolve is ``suspicious``.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from mlbom.formats import config_targets as ct
from mlbom.scanner import scan_bytes


def _scan(data: str | bytes, name: str) -> tuple[str, set[str], str]:
    r = scan_bytes(data.encode() if isinstance(data, str) else data, name)
    return r.verdict, {f.id for f in r.findings}, " ".join(f.message for f in r.findings)


def _nemo(config: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = config.encode()
        info = tarfile.TarInfo("./model_config.yaml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# --- 11b-1: interpolations in any JSON document ---------------------------------------------------

@pytest.mark.parametrize("name", ["config.json", "tokenizer_config.json", "data.json"])
def test_a_resolver_built_target_in_any_json_is_judged(name: str) -> None:
    create = {"model": {"name": "tiny", "head": "${oc.create:{_target_: os.system, command: 'touch x'}}"}}
    decode = {"trainer": {"plugins": "${oc.decode:'{_target_: os.system, command: \"touch x\"}'}"}}
    for doc in (create, decode):
        v, ids, msg = _scan(json.dumps(doc), name)
        assert v == "unsafe" and "code.dangerous-target" in ids and "'os.system'" in msg, (doc, msg)
    v, ids, msg = _scan(json.dumps({"logger": "${oc.create:{_target_: torch.nn.Linear, in_features: 1}}"}), name)
    assert v == "suspicious" and ids == {"code.remote"} and "'torch.nn.Linear'" in msg


def test_benign_json_configs_stay_safe() -> None:
    hf = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
          "torch_dtype": "bfloat16", "rope_scaling": None}
    assert _scan(json.dumps(hf), "config.json")[0] == "safe"
    tok = {"chat_template": "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}",
           "eos_token": "</s>", "model_max_length": 4096}
    assert _scan(json.dumps(tok), "tokenizer_config.json")[0] == "safe"
    # shell-style and node references are no resolver call: nothing runs
    assert _scan(json.dumps({"cmd": "echo ${HOME}", "p": "${paths.root}/x"}), "config.json")[0] == "safe"


# --- 11b-2: NeMo's Hydra-0.x cls / params --------------------------------------------------------

CLS_PARAMS = "cls: os.system\nparams:\n  command: touch /tmp/MARK\n"


def test_nemo_cls_is_a_target_in_the_yaml_and_the_nemo_tar() -> None:
    for data, name in ((CLS_PARAMS, "model_config.yaml"), (_nemo(CLS_PARAMS), "evil.nemo")):
        v, ids, msg = _scan(data, name)
        assert v == "unsafe" and "code.dangerous-target" in ids and "'os.system'" in msg, (name, msg)


@pytest.mark.parametrize(("text", "verdict", "shown"), [
    # nested sections: _convert_config recurses into every sub-mapping (and the model's own
    # from_config_dict calls convert each sub-config again)
    ("target: nemo.collections.asr.models.EncDecCTCModel\nencoder:\n  cls: mypkg.Enc\n  params: {d: 4}\n",
     "suspicious", "'mypkg.Enc'"),
    ("model:\n  decoder:\n    cls: subprocess.Popen\n    params: {args: [id]}\n", "unsafe", "'subprocess.Popen'"),
    ("heads:\n  - cls: builtins.exec\n    params: {source: x}\n", "unsafe", "'builtins.exec'"),
    # params shifted into the parent may bring a cls of its own
    ("params:\n  cls: os.system\n", "unsafe", "'os.system'"),
    # a cls without a dot is a module Hydra's _locate imports
    ("cls: mymodule\n", "suspicious", "'mymodule'"),
    # JSON syntax (OmegaConf reads it as YAML)
    ('{"cls": "os.system", "params": {"command": "id"}}', "unsafe", "'os.system'"),
])
def test_nemo_cls_at_any_depth(text: str, verdict: str, shown: str) -> None:
    v, _, msg = _scan(text, "model_config.yaml")
    assert v == verdict and shown in msg, msg


def test_cls_outside_a_nemo_config_is_data() -> None:
    assert _scan("cls: my_pkg.Labels\nparams: {a: 1}\n", "labels.yaml")[0] == "safe"
    assert _scan(json.dumps({"cls": "my_pkg.Labels"}), "config.json")[0] == "safe"
    # a deny-listed dotted string is a target in any config (18b-1: a jsonargparse Callable imports it)
    assert _scan("cls: os.system\nparams: {a: 1}\n", "labels.yaml")[0] == "unsafe"


# --- 11b-3: targets spelled with node interpolations ---------------------------------------------

@pytest.mark.parametrize(("text", "verdict", "shown"), [
    ("target: ${t}\nt: antigravity.webbrowser\n", "unsafe", "'antigravity.webbrowser'"),
    ("target: ${t}\nt: mypkg.models.Net\n", "suspicious", "'mypkg.models.Net'"),
    ("target: ${t}\n", "suspicious", "'${t}'"),  # no such node: not resolved, never skipped
    ("target: ${a}\na: ${b}\nb: os.system\n", "unsafe", "'os.system'"),  # a chain
    ("target: ${a}\na: ${b}\nb: ${a}\n", "suspicious", "'${a}'"),  # a cycle: bounded, not resolved
    ("m:\n  target: ${..t}\nt: os.system\n", "unsafe", "'os.system'"),  # relative, one level up
    ("m:\n  target: ${.t}\n  t: os.system\n", "unsafe", "'os.system'"),  # a sibling
    ("target: ${l[1]}\nl: [a.B, os.system]\n", "unsafe", "'os.system'"),  # a list index
    ("target: ${l.1}\nl: [a.B, os.system]\n", "unsafe", "'os.system'"),
    ("target: ${p}.system\np: os\n", "unsafe", "'os.system'"),  # a string interpolation
    ("target: ${c.x}\nc: ${d}\nd: {x: os.system}\n", "unsafe", "'os.system'"),  # through an interpolated node
    ("target: ${t}\nt: {a: 1}\n", "suspicious", "(a collection)"),
    ("target: ${oc.env:T}\n", "suspicious", "'${oc.env:T}'"),  # a resolver: computed at load time
    ("target: ${t}\nt: nodots\n", "safe", ""),  # resolved without a dot: import_class_by_path raises
    ("cls: ${t}\nt: os.system\n", "unsafe", "'os.system'"),
])
def test_a_nemo_target_interpolation_is_resolved(text: str, verdict: str, shown: str) -> None:
    for data, name in ((text, "model_config.yaml"), (_nemo(text), "model.nemo")):
        v, _, msg = _scan(data, name)
        assert v == verdict and shown in msg, (name, msg)


@pytest.mark.parametrize(("data", "name", "verdict", "shown"), [
    ("m:\n  _target_: ${x}\nx: os.system\n", "config.yaml", "unsafe", "'os.system'"),
    ("m:\n  _target_: ${..x}\nx: subprocess.run\n", "config.yaml", "unsafe", "'subprocess.run'"),
    ("m:\n  _target_: ${x}\n", "config.yaml", "suspicious", "'${x}'"),
    ("a: &a {_target_: '${.t}', t: os.system}\nb: *a\n", "config.yaml", "unsafe", "'os.system'"),
    ("m:\n  class_path: ${x}\nx: os.system\n", "config.yaml", "unsafe", "'os.system'"),
    (json.dumps({"m": {"_target_": "${x}"}, "x": "os.system"}), "config.json", "unsafe", "'os.system'"),
    (json.dumps({"m": {"_target_": "${..x}"}, "x": "os.system"}), "config.json", "unsafe", "'os.system'"),
    (json.dumps({"m": {"_target_": "${x}"}, "x": 5}), "config.json", "suspicious", "'${x}'"),
    ("a: 1\n---\nm:\n  _target_: ${x}\nx: os.system\n", "config.yaml", "unsafe", "'os.system'"),  # doc 2
    ("base: &b\n  x: a.B\nm:\n  <<: *b\n  _target_: ${m.x}\n", "config.yaml", "suspicious", "'${m.x}'"),
    # a deny-listed plain string in a config with a target: get_method/_locate or jsonargparse resolve it (12d-5)
    ("base: &b\n  x: os.system\nm:\n  <<: *b\n  _target_: ${m.x}\n", "config.yaml", "unsafe", "'os.system'"),
])
def test_a_hydra_target_interpolation_is_resolved(data: str, name: str, verdict: str, shown: str) -> None:
    v, _, msg = _scan(data, name)
    assert v == verdict and shown in msg, msg


def test_resolution_is_bounded() -> None:
    chain = "".join(f"a{i}: ${{a{i + 1}}}\n" for i in range(ct.MAX_DEREF + 5)) + f"a{ct.MAX_DEREF + 5}: a.B\n"
    t = ct.yaml_targets("_target_: ${a0}\n" + chain)
    assert t.paths == [] and t.computed == ["'${a0}'"]
    wide = "m:\n" + "".join(f"  t{i}:\n    _target_: ${{x.a.b.c}}\n" for i in range(3000)) + "x: {a: {b: {c: a.B}}}\n"
    t = ct.yaml_targets(wide)
    assert t.paths == ["a.B"] and t.computed == ["'${x.a.b.c}'"]  # past MAX_LOOKUPS: the rest not resolved


# --- the resolution against OmegaConf's own ------------------------------------------------------

OMEGACONF_RESOLVE = textwrap.dedent("""\
    import json, sys
    from omegaconf import OmegaConf
    out = []
    for text, path in json.loads(sys.argv[1]):
        try:
            cfg = OmegaConf.to_container(OmegaConf.create(text), resolve=True)
            node = cfg
            for step in path:
                node = node[int(step)] if isinstance(node, list) else node[step]
            out.append(node if isinstance(node, str) else "<collection>" if isinstance(node, (dict, list))
                       else "<other>")
        except Exception as exc:
            out.append("<error>")
    print(json.dumps(out))
""")


def test_resolution_matches_omegaconf(tmp_path: Path) -> None:
    """Each resolved target is what OmegaConf itself resolves it to (node interpolations only: no
    resolver runs, nothing is imported); where mlbom does not resolve, OmegaConf either fails or
    the target is judged computed (``suspicious``) all the same."""
    pytest.importorskip("omegaconf")
    cases = [
        ("target: ${t}\nt: a.B\n", ["target"]),
        ("target: ${a}\na: ${b}\nb: c.D\n", ["target"]),
        ("m:\n  target: ${..t}\nt: a.B\n", ["m", "target"]),
        ("m:\n  n:\n    target: ${...t}\nt: a.B\n", ["m", "n", "target"]),
        ("m:\n  target: ${.t}\n  t: a.B\n", ["m", "target"]),
        ("target: ${l[1]}\nl: [x.Y, a.B]\n", ["target"]),
        ("target: ${l.1}\nl: [x.Y, a.B]\n", ["target"]),
        ("target: ${p}.B\np: a\n", ["target"]),
        ("target: ${c.x}\nc: ${d}\nd: {x: a.B}\n", ["target"]),
        ("target: ${ t }\nt: a.B\n", ["target"]),
        ("target: ${t}\nt: {a: 1}\n", ["target"]),
        ("m: [{target: '${..1}'}, a.B]\n", ["m", "0", "target"]),
    ]
    run = subprocess.run([sys.executable, "-c", OMEGACONF_RESOLVE, json.dumps(cases)], cwd=tmp_path, check=True,
                         capture_output=True, text=True, timeout=120)
    real = json.loads(run.stdout.strip().splitlines()[-1])
    for (text, path), want in zip(cases, real, strict=True):
        t = ct.yaml_targets(text, class_keys=ct.NEMO_KEYS)
        ours = t.paths[0] if t.paths else "<collection>" if any("collection" in c for c in t.computed) else None
        assert want != "<error>", text
        assert ours == want, (text, path, ours, want)
