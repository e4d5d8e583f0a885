"""Red team 9b's Hydra gap: a ``_target_`` in a YAML/JSON config is a code reference
(``hydra.utils.instantiate`` imports and calls it; NeMo's ``restore_from`` instantiates the
``model_config.yaml`` of a ``.nemo`` tar, whose ``target`` it imports too). Deny-listed targets
are ``unsafe``, every other one ``suspicious`` — NeMo's and Lightning's own included (the attack
files are ``rt9b-hydra-*`` rows of ``hostile/scanner/EXPECTED.tsv``; each was proven with
hydra-core 1.3.2 / omegaconf 2.3.1 in a throw-away subprocess)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

import mlbom
from mlbom.formats import config_targets as hydra
from mlbom.formats import yaml_tags
from mlbom.scanner import scan_bytes
from tests.conftest import FIXTURES

BENIGN = FIXTURES / "hydra"


def _scan(data: bytes, name: str) -> tuple[str, set[str], str]:
    r = scan_bytes(data, name)
    return r.verdict, {f.id for f in r.findings}, " ".join(f.message for f in r.findings)


@pytest.mark.parametrize(("text", "paths"), [
    ("m:\n  _target_: os.system\n", ["os.system"]),
    ('m:\n  "\\x5ftarget\\u005f": a.B\n', ["a.B"]),  # escapes decoded by the parser
    ("m:\n  '_target_': a.B\n", ["a.B"]),
    ("m:\n  ? |-\n    _target_\n  : a.B\n", ["a.B"]),  # a block-scalar key
    ("k: &k _target_\nv: &v a.B\nm: {*k : *v}\n", ["a.B"]),  # aliased key and value
    ("{_target_: a.B, x: [{_target_: c.D}]}\n", ["a.B", "c.D"]),  # flow style, nested in a list
    ("a: 1\n---\nm:\n  _target_: a.B\n", ["a.B"]),  # a later document
    ("m:\n  _target_: a.B\n  n:\n    _target_: a.B\n", ["a.B"]),  # each once
    ("_target_: a.B\n", ["a.B"]),  # top level
    ("m:\n  x: _target_\n  target_: a.B\n  __target__: c.D\n", []),  # a value, other keys
    ("m:\n  [_target_]: a.B\n", []),  # a collection as key is no key named _target_
])
def test_targets_as_pyyaml_parses_them(text: str, paths: list[str]) -> None:
    t = hydra.yaml_targets(text)
    assert t.paths == paths and not t.computed and t.bounded is None


def test_targets_that_are_no_literal_path() -> None:
    t = hydra.yaml_targets("n: os.system\nm:\n  _target_: ${n}\nk:\n  _target_: [a]\nj:\n  _target_: {a: 1}\n")
    assert t.paths == ["os.system"] and t.computed == ["a collection"]  # ${n} resolved (rt11b-3)
    t = hydra.yaml_targets("m:\n  _target_: ${oc.select:n}\n")  # a resolver call: not resolved here
    assert t.paths == [] and t.computed == ["'${oc.select:n}'"]
    v, ids, msg = _scan(json.dumps({"m": [{"_target_": 5}, {"_target_": "${oc.env:X}"}]}).encode(), "c.json")
    assert v == "suspicious" and ids == {"code.remote", "config.env-read"} and "'${oc.env:X}'" in msg
    assert "a int value" in msg and "'X' (oc.env)" in msg


def test_json_targets_at_any_depth() -> None:
    text = b'{"a": [{"b": {"_t\\u0061rget_": "x.Y"}}], "_target_": "z.W", "c": {"_target_": "os.system"}}'
    v, ids, msg = _scan(text, "config.json")
    assert v == "unsafe" and ids == {"code.remote", "code.dangerous-target"}
    assert "'x.Y'" in msg and "'z.W'" in msg and "'os.system'" in msg


@pytest.mark.parametrize(("target", "verdict", "fid"), [
    ("os.system", "unsafe", "code.dangerous-target"),
    ("subprocess.Popen", "unsafe", "code.dangerous-target"),
    ("builtins.exec", "unsafe", "code.dangerous-target"),
    ("eval", "unsafe", "code.dangerous-target"),  # a single name: builtins for pydoc-style locators
    ("torch.load", "unsafe", "code.dangerous-target"),
    ("transformers.AutoModel.from_pretrained", "unsafe", "code.dangerous-target"),
    ("mypkg.__builtins__.open", "unsafe", "code.dangerous-target"),
    ("mypkg.models.Net", "suspicious", "code.remote"),
    ("nemo.collections.asr.modules.ConformerEncoder", "suspicious", "code.remote"),
    ("torch.nn.ReLU", "suspicious", "code.remote"),
])
def test_verdict_of_a_target(target: str, verdict: str, fid: str) -> None:
    for data, name in ((f"m:\n  _target_: {target}\n".encode(), "config.yaml"),
                       (json.dumps({"m": {"_target_": target}}).encode(), "config.json")):
        v, ids, msg = _scan(data, name)
        assert v == verdict and fid in ids and target in msg, (name, msg)


def test_nemo_target_key_in_model_config_yaml() -> None:
    """NeMo's from_config_dict imports ``target`` (import_class_by_path) and calls it with the
    config: a class path in ``model_config.yaml`` at any depth; a value without a dot is none."""
    text = b"target: builtins.exec\nsub:\n  target: mypkg.Enc\n  lang:\n    target: en\n"
    v, ids, msg = _scan(text, "model_config.yaml")
    assert v == "unsafe" and {"code.dangerous-target", "code.remote"} <= ids and "mypkg.Enc" in msg
    assert "'en'" not in msg
    # `target` is no class path elsewhere (builtins.exec still is a target: 18b-1, a deny-listed string)
    assert "mypkg.Enc" not in _scan(text, "config.yaml")[2]
    assert _scan(text.replace(b"builtins.exec", b"mypkg.Other"), "config.yaml")[0] == "safe"
    # JSON syntax in model_config.yaml: OmegaConf reads it as YAML, NeMo imports its target
    v, ids, msg = _scan(b'{"target": "builtins.exec", "enc": {"_target_": "a.B"}}', "model_config.yaml")
    assert v == "unsafe" and {"code.dangerous-target", "code.remote"} <= ids
    assert msg.count("'a.B'") == 1


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_inside_a_nemo_tar_and_a_zip(tmp_path: Path) -> None:
    import zipfile

    evil = b"target: builtins.exec\nsample_rate: 16000\n"
    v, ids, msg = _scan(_tar({"./model_config.yaml": evil, "./model_weights.ckpt": b""}), "m.nemo")
    assert v == "unsafe" and "code.dangerous-target" in ids and "model_config.yaml" in msg
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("conf/model.yaml", "model:\n  _target_: posix.system\n")
    assert _scan(buf.getvalue(), "bundle.zip")[:2] == ("unsafe", {"code.dangerous-target"})


def test_model_folder_through_generate(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.yaml").write_text("model:\n  _target_: subprocess.Popen\n  args: [touch, x]\n")
    (model / "m.nemo").write_bytes(_tar({"./model_config.yaml": (BENIGN / "nemo" / "model_config.yaml").read_bytes()}))
    results = {Path(r.path).name: r for r in mlbom.scan(model)}
    assert results["config.yaml"].verdict == "unsafe"
    assert results["m.nemo"].verdict == "suspicious"


def test_real_nemo_and_lightning_configs_are_suspicious_not_unsafe() -> None:
    """The verdict chosen for benign configs (docs/scanning.md): no framework namespace is exempt —
    NeMo's AutoTokenizer with trust_remote_code runs a Hub repository's code — so a real NeMo
    model config and lightning-hydra-template configs are `suspicious` (`code.remote`, naming every
    target), never `unsafe` and never `safe`."""
    results = {Path(r.path).name: r for r in mlbom.scan(BENIGN)}
    assert set(results) == {"model_config.yaml", "mnist.yaml", "trainer.yaml"}
    for name, r in results.items():
        assert r.verdict == "suspicious" and {f.id for f in r.findings} == {"code.remote"}, (name, r.findings)
    nemo = results["model_config.yaml"].findings[0].message
    assert "nemo.collections.asr.modules.ConformerEncoder" in nemo
    assert "nemo.collections.asr.models.ctc_bpe_models.EncDecCTCModelBPE" in nemo  # its `target`
    assert "src.models.mnist_module.MNISTLitModule" in results["mnist.yaml"].findings[0].message


def test_text_without_a_target_key_stays_safe() -> None:
    for text in (b"max_target_positions: 448\n", b'say "a \\ b"\n', b"\\alpha \\beta\n", b'{"x": "_target_"}'):
        assert _scan(text, "notes.yaml")[0] == "safe", text
    assert _scan(json.dumps({"max_target_positions": 448}).encode(), "config.json")[0] == "safe"


def test_an_escaped_key_is_read_in_yaml_names() -> None:
    """A key spelled only with escapes is looked for in any name: OmegaConf.load and jsonargparse's
    --config read every name as YAML (12d-3; merges.txt was "safe" here before)."""
    text = b'm:\n  "\\x5ftarget\\x5f": os.system\n'
    for name in ("config.yaml", "hparams.YML", "model_config.yaml", "a/b/conf.yaml"):
        assert _scan(text, name)[0] == "unsafe", name
    assert _scan(text, "merges.txt")[0] == "unsafe"
    assert _scan(b'#version: 0.2\n\xc4\xa0 t\n" \\ x\n', "merges.txt")[0] == "safe"
    assert _scan(text.replace(b"\\x5ftarget\\x5f", b"_target_"), "merges.txt")[0] == "unsafe"


def test_a_walk_past_its_bound_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_tags, "MAX_EVENTS", 50)  # the shared budget (EventBudget) reads it
    text = "".join(f"k{i}: {i}\n" for i in range(100)) + "m:\n  _target_: a.B\n"
    v, ids, msg = _scan(text.encode(), "config.yaml")
    assert v == "suspicious" and "code.remote" in ids and "not checked to the end" in msg
