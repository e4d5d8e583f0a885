"""Red team 119pa (config files frameworks load and evaluate):

* 119pa-1: SpeechBrain's ``hyperparams.yaml`` HyperPyYAML tags (``!new:``, ``!name:``, ``!apply:``, ``!applyref:``,
  ``!module:`` + a dotted path ``pydoc.locate`` imports; ``!include:`` another file) were SAFE. Each call tag's
  path is judged as a Hydra ``_target_`` is (deny list: unsafe; else code.remote), an ``!include:`` by the
  include rules; a ``(…)`` string (HyperPyYAML's ``!tuple``, parsed again with ``yaml.Loader``) is read for
  Python tags; a ``!ref <a.__x__>`` walks a dunder attribute.
* 119pa-5: an absolute ``.json`` under a top-level LightningCLI key (``model: /srv/x.json``) was SAFE (the
  ``/data/labels.json`` exception applied first). 119pa-7a (FP): ``data: ../data/train.json`` in a plain training
  config was code.remote. Under ``data:`` a ``.json`` is a dataset file unless the config is evidently
  jsonargparse's (trainer, seed_everything, fit, class_path, init_args…); under the other keys every config
  suffix counts in any config.
Nothing here is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.scanner import scan, scan_bytes


def _ids(r: object) -> list[str]:
    return [f.id for f in r.findings]  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", [
    'sample_rate: 16000\nrun: !apply:os.system ["true"]\n',
    'proc: !new:subprocess.Popen\n    args: ["true"]\n',
    'cmd: "true"\nrun: !applyref:os.system [!ref <cmd>]\n',
    'compute_features: !name:os.system\n    command: "true"\n',
    '%TAG !x! !apply:\n---\nrun: !x!os.system ["true"]\n',
    'run: !<!apply:os.system> ["true"]\n',
    'run: !%61pply:os.system ["true"]\n',
    'run: !apply:eval ["1"]\n',
    'run: !new:os..system\n',
    'a: !new:collections.Counter\nb: !ref <a.__class__>\n',
])
def test_119pa1_hyperpyyaml_call_tags_naming_danger_are_unsafe(text: str) -> None:
    r = scan_bytes(text.encode(), "hyperparams.yaml")
    assert r.verdict == "unsafe" and "code.dangerous-target" in _ids(r), r.findings


@pytest.mark.parametrize("text", [
    "m: !module:acme_speech.models\n",
    "enc: !new:acme_speech.Encoder\n  dim: 3\n",
    "base: !include:/srv/shared/recipes/base.yaml\n",
    "base: !include:~/recipes/base.yaml\n",
    "k: (!!python%2Fobject/apply:os.system [true])\n",
])
def test_119pa1_hyperpyyaml_other_code_is_suspicious(text: str) -> None:
    r = scan_bytes(text.encode(), "hyperparams.yaml")
    assert r.verdict == "suspicious", r.findings
    assert any("HyperPyYAML" in f.message or "hyperpyyaml" in f.message for f in r.findings), r.findings


def test_119pa1_include_climbing_out_is_settled_by_the_folder_scan(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "model").mkdir()
    (tmp_path / "shared" / "base.yaml").write_text("n_mels: 80\n")
    (tmp_path / "model" / "hyperparams.yaml").write_text("base: !include:../shared/base.yaml\n")
    alone = scan(tmp_path / "model")
    assert [s.verdict for s in alone] == ["suspicious"], alone
    both = {Path(s.path).name: s.verdict for s in scan(tmp_path)}
    assert both == {"base.yaml": "safe", "hyperparams.yaml": "safe"}, both


BENIGN = """\
# Model: ECAPA big for Speaker verification
n_mels: 80
pretrained_path: speechbrain/spkrec-ecapa-voxceleb
out_n_neurons: 7205
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: [1024, 1024, 1024, 1024, 3072]
    kernel_sizes: [5, 3, 3, 3, 1]
    attention_channels: 128
    lin_neurons: 192
classifier: !new:speechbrain.lobes.models.ECAPA_TDNN.Classifier
    input_size: 192
    out_neurons: !ref <out_n_neurons>
opt_class: !name:torch.optim.Adam
    lr: 0.001
kernel: (3, 3)
modules:
    embedding_model: !ref <embedding_model>
label_encoder: !new:speechbrain.dataio.encoder.CategoricalEncoder
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
        label_encoder: !ref <label_encoder>
    paths:
        embedding_model: !ref <pretrained_path>/embedding_model.ckpt
"""


def test_119pa1_a_real_speechbrain_hyperparams_is_only_code_remote() -> None:
    # framework code it names is judged as a Hydra ``_target_: torch.nn.Linear`` is: code.remote (suspicious)
    r = scan_bytes(BENIGN.encode(), "hyperparams.yaml")
    assert r.verdict == "suspicious" and set(_ids(r)) == {"code.remote"}, r.findings
    assert "speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN" in r.findings[0].message


@pytest.mark.parametrize("text", [
    "a: !ref <x>\nx: 1\nk: (3, 4)\ns: '(hello!)'\n",
    "title: Hello!\nlist: [a, b]\n",
])
def test_119pa1_data_tags_and_plain_text_stay_safe(text: str) -> None:
    assert scan_bytes(text.encode(), "hyperparams.yaml").verdict == "safe"


def test_119pa1_an_unknown_local_tag_in_a_hyperpyyaml_file_is_info() -> None:
    r = scan_bytes(b"a: !ref <x>\nx: 1\nb: !foo bar\n", "hyperparams.yaml")
    assert r.verdict == "safe" and "yaml.unknown-tag" in _ids(r), r.findings


@pytest.mark.parametrize("text", [
    "model: /srv/shared/lit/model.json\n",
    "config: /srv/shared/lit/base.json\n",
    "optimizer: /srv/shared/lit/opt.JSON\n",
    "lr_scheduler: /srv/shared/lit/s.json\n",
    "data: /srv/shared/lit/dm.json\ntrainer:\n  max_epochs: 1\n",
    "data: ../dm.json\nseed_everything: 1\n",
    "data: ../dm.json\nmodel:\n  class_path: acme.Model\n",
    '{"model": "/srv/shared/lit/model.json"}\n',
])
def test_119pa5_an_absolute_json_under_a_lightning_key_is_not_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious" and any("jsonargparse" in f.message for f in r.findings), r.findings


@pytest.mark.parametrize(("text", "name"), [
    ("model: bert-base-uncased\ndata: ../data/train.json\nlr: 3.0e-5\nepochs: 3\n", "config.yaml"),
    ('{"model": "roberta-base", "data": "../data/dev.json", "batch_size": 16}\n', "config.json"),
    ("data: /srv/datasets/train.json\nepochs: 3\n", "train.yaml"),
])
def test_119pa7a_a_dataset_json_under_data_in_a_plain_config_is_safe(text: str, name: str) -> None:
    assert scan_bytes(text.encode(), name).verdict == "safe"
