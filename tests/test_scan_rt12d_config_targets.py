"""Red team 12d's config-target findings (proofs: /work/redteam-12d/12d-1..8; real loaders
hydra-core 1.3.2, omegaconf 2.3.0, jsonargparse 4.53, pytorch_lightning 2.6.6):

* 12d-1/12d-2: a resolver's argument becomes config nodes — ``oc.create`` parses a quoted string
  with OmegaConf's YAML loader (escapes, comments, explicit keys spell the key), ``oc.select``
  returns its default (a grammar dict) as it is. A regex looked for a literal key in
  ``oc.create``/``oc.decode`` only: both were ``safe``. Every resolver's dict/list arguments, and
  the quoted strings of those that parse text, are now read with PyYAML's parser like a file.
* 12d-3/12d-7: YAML text under any name (``config.json`` that is no JSON, ``model.cfg``), and a
  jsonargparse config with ``init_args`` but no ``class_path``, skipped the YAML walk.
* 12d-4: a Lightning checkpoint's pickled ``hyper_parameters`` (plain dicts and strings) go through
  ``_instantiator`` into jsonargparse, which imports every nested ``class_path``.
* 12d-5: deny-list gaps (``hydra.utils.get_method``, ``uuid._get_command_stdout``,
  ``logging.FileHandler``, ``gzip.GzipFile``, ``torch.save``).
* 12d-6: a relative interpolation inside an anchored mapping resolves at each alias.
* 12d-8: deep JSON with many interpolated targets kept a full path per target (1.2 GB at 2.8 MB).
"""

from __future__ import annotations

import io
import json
import pickle
import tracemalloc
import zipfile

import pytest

from mlbom.formats import config_targets as ct
from mlbom.scanner import scan_bytes


def _scan(data: str | bytes, name: str) -> tuple[str, set[str], str]:
    r = scan_bytes(data.encode() if isinstance(data, str) else data, name)
    return r.verdict, {f.id for f in r.findings}, " ".join(f.message for f in r.findings)


# --- 12d-1 / 12d-2: resolver arguments that become nodes ------------------------------------------

OC_CREATE_ESCAPED = "head: >-\n  ${oc.create:'{\"\\x5ftarget_\": os.system, \"command\": \"touch m\"}'}\n"
OC_CREATE_COMMENT = ("head: |-\n  ${oc.create:'{? _target_ # a comment between the key and its colon\n"
                     "   : os.system, command: \"touch m\"}'}\n")


@pytest.mark.parametrize(("data", "name"), [
    (OC_CREATE_ESCAPED, "escaped.yaml"),
    (OC_CREATE_COMMENT, "comment.yaml"),
    (json.dumps({"head": "${oc.create:'{\"\\x5ftarget_\": os.system, \"command\": \"touch m\"}'}"}), "config.json"),
    # 12d-2: oc.select returns its default, a dict, as it is
    ("model: '${oc.select:no.such.key,{_target_: os.system, command: \"touch m\"}}'\n", "model.yaml"),
    (json.dumps({"model": "${oc.select:nope,{_target_: os.system, command: \"touch m\"}}"}), "config.json"),
    # any resolver: an application's may return a node built from its argument
    ("m: '${my.resolver:{_target_: subprocess.run, args: [id]}}'\n", "config.yaml"),
    ("m: \"${oc.create:'a: {b: {_target_: os.system}}'}\"\n", "config.yaml"),  # block YAML, nested
    ("m: \"${oc.create:{a: ${oc.create:{_target_: os.system}}}}\"\n", "config.yaml"),  # nested calls
])
def test_a_target_built_by_a_resolver_from_its_argument_is_judged(data: str, name: str) -> None:
    v, ids, msg = _scan(data, name)
    assert v == "unsafe" and "code.dangerous-target" in ids, msg
    assert "'os.system'" in msg or "'subprocess.run'" in msg, msg


@pytest.mark.parametrize("data", [
    "m: '${oc.select:a.b,{x: 1, y: [2, 3]}}'\n",
    "m: \"${oc.create:{a: 1}}\"\n",
    "m: \"${oc.create:'a: 1'}\"\n",
    "m: '${oc.select:a.b,\"{_target_: os.system}\"}'\n",  # a quoted default is returned as a string
    "m: '${oc.env:HOME,{_target_: os.system}}'\n",  # oc.env makes a string of its default
])
def test_resolver_arguments_without_targets_stay_clean(data: str) -> None:
    _v, ids, msg = _scan(data, "config.yaml")
    assert "code.dangerous-target" not in ids, msg


def test_a_resolver_argument_that_does_not_parse_is_suspicious() -> None:
    v, _ids, msg = _scan("m: \"${oc.create:'{_target_: [a.B'}\"\n", "config.yaml")
    assert v == "suspicious" and "does not parse" in msg, msg


def test_quoted_arguments_are_unquoted_as_omegaconf_s_grammar_does() -> None:
    assert ct._split_args("'a\\'b', \"c\\\\\", d\\,e, ${x}") == [
        (True, "a'b"), (True, "c\\"), (False, " d\\,e"), (False, ' "${x}"')]
    assert ct._split_args("'\\x5f'") == [(True, "\\x5f")]  # other backslashes stay: YAML decodes them


def test_resolver_arguments_share_the_event_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mlbom.formats.yaml_tags.MAX_EVENTS", 50)
    arg = "{" + ", ".join(f"k{i}: v" for i in range(100)) + "}"
    t = ct.yaml_targets(f"m: '${{oc.create:{arg}}}'\n")
    assert t.bounded is not None and ct.judge(t)


# --- 12d-3 / 12d-7: which text gets the YAML walk ----------------------------------------------------

@pytest.mark.parametrize(("data", "name", "shown"), [
    ('{"handler": {"class\\x5fpath": "logging.FileHandler", "init\\x5fargs": {"filename": "m"}}}\n',
     "cli_config.json", "logging.FileHandler"),
    ('{"model": {"\\x5ftarget_": "os.system", "command": "touch m"}}\n', "hydra_config.json", "os.system"),
    ('model: {"\\x5ftarget_": "os.system", "command": "touch m"}\n', "model.cfg", "os.system"),
    ('model: {"\\x5ftarget_": "os.system"}\n', "notes", "os.system"),
    # 12d-7: jsonargparse's init_args alone makes the config its: a Callable argument imports the string
    ("model:\n  init_args:\n    hook: os.system\n    hook_arg: touch m\n", "cfg.yaml", "os.system"),
    ("model:\n  dict_kwargs:\n    hook: os.system\n", "cfg.conf", "os.system"),
])
def test_yaml_config_text_under_any_name_is_walked(data: str, name: str, shown: str) -> None:
    v, ids, msg = _scan(data, name)
    assert v == "unsafe" and "code.dangerous-target" in ids and shown in msg, msg


# --- 12d-4: config targets carried as a pickle's data --------------------------------------------

def _ckpt(net: object, instantiator: bool = True) -> dict[str, object]:
    hp: dict[str, object] = {"net": net, "lr": 0.01}
    if instantiator:
        hp["_instantiator"] = "pytorch_lightning.cli.instantiate_module"
    return {"state_dict": {}, "pytorch-lightning_version": "2.6.6", "epoch": 0, "global_step": 0,
            "hyper_parameters": hp}


EXEC = {"class_path": "subprocess.Popen", "init_args": {"args": "touch m", "shell": True}}


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_checkpoint_s_hyper_parameters_are_judged_as_a_config(protocol: int) -> None:
    v, ids, msg = _scan(pickle.dumps(_ckpt(EXEC), protocol=protocol), "exec.ckpt")
    assert v == "unsafe" and "code.dangerous-target" in ids and "subprocess.Popen" in msg, msg
    v, ids, msg = _scan(pickle.dumps(_ckpt({"class_path": "logging.FileHandler",
                                            "init_args": {"filename": "m"}})), "io.ckpt")
    assert v == "unsafe" and "logging.FileHandler" in msg, msg
    v, ids, msg = _scan(pickle.dumps(_ckpt({"class_path": "my_pkg.Net", "init_args": {}})), "import.ckpt")
    assert v == "suspicious" and ids == {"code.remote"} and "my_pkg.Net" in msg, msg


def test_targets_anywhere_in_pickle_data_and_the_instantiator_key() -> None:
    # Hydra targets in a NeMo-style cfg, shared and self-referencing containers: each judged once
    cfg: dict[str, object] = {"encoder": {"_target_": "os.system", "command": "id"}}
    cfg["self"] = cfg
    v, _ids, msg = _scan(pickle.dumps({"hyper_parameters": {"cfg": cfg, "again": cfg}}), "model.ckpt")
    assert v == "unsafe" and "os.system" in msg, msg
    # the _instantiator alone routes the hyper-parameters through jsonargparse: at least suspicious
    v, _ids, msg = _scan(pickle.dumps(_ckpt(1.0)), "model.ckpt")
    assert v == "suspicious" and "pytorch_lightning.cli.instantiate_module" in msg, msg
    # a deny-listed plain string in hyper-parameters jsonargparse reads: a Callable argument imports it
    v, _ids, msg = _scan(pickle.dumps(_ckpt("os.system")), "model.ckpt")
    assert v == "unsafe", msg


def test_plain_checkpoints_stay_safe() -> None:
    v, _ids, msg = _scan(pickle.dumps(_ckpt({"hidden": 32, "act": "relu"}, instantiator=False)), "model.ckpt")
    assert v == "safe", msg
    assert _scan(pickle.dumps({"vocab": {"${x}": 1, "os.system": 2}, "items": ["a"] * 1000}), "v.pkl")[0] == "safe"


def test_a_torch_checkpoint_s_hyper_parameters() -> None:
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save(_ckpt(EXEC), buf)
    assert zipfile.is_zipfile(io.BytesIO(buf.getvalue()))
    v, _ids, msg = _scan(buf.getvalue(), "exec.ckpt")
    assert v == "unsafe" and "subprocess.Popen" in msg, msg


# --- 12d-5: the deny list ---------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "shown"), [
    ("_target_: builtins.sorted\n_args_:\n  - [touch m]\nkey:\n  _target_: hydra.utils.get_method\n  path: os.system\n",
     "hydra.utils.get_method"),
    ("_target_: uuid._get_command_stdout\n_args_: [touch, m]\n", "uuid._get_command_stdout"),
    ("_target_: logging.FileHandler\nfilename: m\nmode: w\n", "logging.FileHandler"),
    ("_target_: logging.handlers.RotatingFileHandler\nfilename: m\n", "logging.handlers.RotatingFileHandler"),
    ("_target_: gzip.GzipFile\nfilename: m\nmode: wb\n", "gzip.GzipFile"),
    ("_target_: bz2.BZ2File\nfilename: m\nmode: wb\n", "bz2.BZ2File"),
    ("_target_: torch.save\nobj: 1\nf: m\n", "torch.save"),
    ("_target_: hydra.utils.get_class\npath: a.B\n", "hydra.utils.get_class"),
    # a deny-listed callable handed as a plain string to a target that resolves it
    ("_target_: my.app.call_by_name\nfn: os.system\n", "os.system"),
])
def test_code_execution_and_io_targets_are_denied(data: str, shown: str) -> None:
    v, _ids, msg = _scan(data, "config.yaml")
    assert v == "unsafe" and f"'{shown}'" in msg, msg


# --- 12d-6: anchors ------------------------------------------------------------------------------

ANCHOR = ("template:\n  fn: builtins.str\n  head: &H\n    _target_: ${..fn}\n    _args_: [touch m]\n"
          "model:\n  fn: os.system\n  head: *H\n")


@pytest.mark.parametrize("data", [
    ANCHOR,
    ANCHOR.replace("  head: *H\n", "  head:\n    <<: *H\n"),  # a merge key: the keys land in model.head
    ANCHOR.replace("  head: *H\n", "  heads: [*H]\n").replace("${..fn}", "${...fn}"),
    # an alias of a collection holding the alias
    ANCHOR.replace("  head: &H\n", "  head: &H\n").replace("model:\n", "outer: &O\n  x: *H\nmodel:\n")
          .replace("  head: *H\n", "  head: *H\nother:\n  fn: subprocess.run\n  o: *O\n"),
])
def test_a_relative_interpolation_resolves_at_each_alias(data: str) -> None:
    v, _ids, msg = _scan(data, "config.yaml")
    assert v == "unsafe" and "'os.system'" in msg, msg


def test_alias_copies_are_bounded() -> None:
    lines = ["a0: &a0 {_target_: '${.x}', x: os.path}"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    t = ct.yaml_targets("\n".join(lines) + "\n")
    assert t.bounded is not None and ct.judge(t)


# --- 12d-8: memory -----------------------------------------------------------------------------------

def test_deep_json_with_many_interpolated_targets_is_bounded() -> None:
    depth, n = 900, 30_000
    doc = json.loads('{"a":' * depth + "[" + ",".join(['{"_target_":"${x}"}'] * n) + "]" + "}" * depth)
    tracemalloc.start()
    try:
        t = ct.json_targets(doc)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 << 20, peak  # a path per target was ~200 MB here
    assert t.bounded is not None and "over 10000 targets" in t.bounded
    assert any(j.effect == "suspicious" for j in ct.judge(t))


@pytest.mark.parametrize("where", ["hyper_parameters", "target-mapping", "whole-checkpoint"])
def test_config_targets_in_ordereddicts_of_a_checkpoint_are_judged(where: str) -> None:
    """Lightning copies hyper-parameters from any mapping: an OrderedDict (allowlisted, and
    accepted by torch's weights-only loader) holding the config hid its targets (red team 14a-1)."""
    from collections import OrderedDict

    target: dict[str, object] = {"_target_": "os.system", "command": "true"}
    net: object = OrderedDict(target) if where == "target-mapping" else target
    hparams: object = {"net": net}
    if where == "hyper_parameters":
        hparams = OrderedDict(hparams)  # type: ignore[arg-type]
    ckpt: object = {"state_dict": {}, "hyper_parameters": hparams}
    if where == "whole-checkpoint":
        ckpt = OrderedDict(ckpt)  # type: ignore[arg-type]
    for protocol in (2, 4):
        v, _ids, msg = _scan(pickle.dumps(ckpt, protocol=protocol), "model.ckpt")
        assert v == "unsafe" and "os.system" in msg, (protocol, msg)
