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
* 119pa-6: pyannote.audio imports a pipeline config's ``pipeline.name`` / ``preprocessors.*.name`` and a
  checkpoint's ``["pyannote.audio"]["architecture"]`` module: judged as targets, only in those shapes.
* 119pa-7b (FP): a SpeechBrain ``label_encoder.txt`` with one label lexed as a Jsonnet program; an operator token
  Jsonnet's parser does not take (``=>``, ``====``) makes Jsonnet refuse the text.
Nothing here is loaded."""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict
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
    '%TAG ! !apply:\n---\nrun: !os.system ["true"]\n',
    '%TAG !! !new:\n---\nrun: !!subprocess.Popen ["true"]\n',
    'a: [!apply:os.system [true]]\n',
    'x: !apply:builtins.exec ["1"]\n',
    # SpeechBrain's own nested loaders and downloaders (deny list: as transformers' from_pretrained)
    'm: !apply:speechbrain.inference.EncoderClassifier.from_hparams {source: acme/evil}\n',
    'm: !apply:speechbrain.inference.interfaces.foreign_class {source: acme/evil, pymodule_file: custom.py}\n',
    'm: !apply:hyperpyyaml.load_hyperpyyaml ["x: 1"]\n',
    'd: !applyref:speechbrain.utils.data_utils.download_file [http://x.invalid/a, /home/u/.bashrc]\n',
    # !ref <key.attr> is getattr on what the key's call tag gives
    'b: !module:builtins\ne: !ref <b.eval>\n',
    'k: 1\nb: !module:builtins\ne: !copy <b.exec>\n',
    'p: !name:posixpath\nj: !ref <p.join>\n',
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
    'a: "\\x21\\x21python/object/apply:os.system [true]"\nb: !ref (<a>)\n',
    'a: "(\\x21"\nc: "\\x21python/object/apply:os.system [true])"\nb: !ref <a><c>\n',
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
    "a: Hello\nb: !ref <a>/x\nc: !ref (<x>, <x>)\nx: 1\n",
    "a: Hello!\nb: !ref <a>/x\n",
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


PYANNOTE = """\
version: 3.1.0
pipeline:
  name: {name}
  params:
    clustering: AgglomerativeClustering
    embedding: pyannote/wespeaker-voxceleb-resnet34-LM
    segmentation: pyannote/segmentation-3.0
params:
  clustering:
    method: centroid
    threshold: 0.7045654963945799
"""


@pytest.mark.parametrize(("text", "verdict"), [
    (PYANNOTE.format(name="acme_diarize.pipelines.SpeakerDiarization"), "suspicious"),
    (PYANNOTE.format(name="pyannote.audio.pipelines.SpeakerDiarization"), "suspicious"),  # as Hydra's torch.nn.Linear
    (PYANNOTE.format(name="subprocess.Popen"), "unsafe"),
    (PYANNOTE.format(name="AcmeBlock"), "suspicious"),  # pyannote.pipeline.blocks.AcmeBlock
    ("pipeline:\n  name: acme.P\n", "suspicious"),
    ("preprocessors:\n  audio:\n    name: acme_diarize.io.Loader\n    params: {url: x}\n", "suspicious"),
    ("p: &p {name: acme.P}\npipeline:\n  <<: *p\n", "suspicious"),
    ('{"pipeline": {"name": "acme.P", "params": {}}}', "suspicious"),
])
def test_119pa6_pyannote_pipeline_names_are_targets(text: str, verdict: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == verdict and any("pyannote" in f.message or "dangerous" in f.message
                                        for f in r.findings), r.findings


@pytest.mark.parametrize("text", [
    "model:\n  name: resnet50\ndataset:\n  name: imagenet.v2\n",
    "pipeline:\n  name: train_pipeline\n  steps: [a, b]\n",
    "preprocessors:\n  audio: /data/database.yml\n",
    "tokenizer:\n  name: bert-base-uncased\n",
])
def test_119pa6_other_name_keys_stay_data(text: str) -> None:
    assert scan_bytes(text.encode(), "config.yaml").verdict == "safe"


def _torch_zip(obj: object) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle.dumps(obj, protocol=2))
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


@pytest.mark.parametrize(("arch", "verdict"), [
    ({"module": "acme_diarize.models", "class": "PyanNet"}, "suspicious"),
    ({"module": "os", "class": "system"}, "unsafe"),
    ({"module": "acme_diarize.models"}, "suspicious"),
])
def test_119pa6_pyannote_checkpoint_architecture_is_a_target(arch: dict[str, str], verdict: str) -> None:
    ckpt = {"pyannote.audio": {"versions": {"torch": "2.5.1", "pyannote.audio": "3.3.2"}, "architecture": arch},
            "state_dict": OrderedDict(), "epoch": 1}
    r = scan_bytes(_torch_zip(ckpt), "pytorch_model.bin")
    assert r.verdict == verdict and any("pyannote" in f.message for f in r.findings), r.findings


def test_119pa6_a_checkpoint_without_pyannote_metadata_stays_safe() -> None:
    r = scan_bytes(_torch_zip({"state_dict": OrderedDict(), "architecture": {"module": "acme"}}), "model.bin")
    assert r.verdict == "safe", r.findings


@pytest.mark.parametrize("text", [
    "'spk0' => 0\n================\n'starting_index' => 0\n",
    "('spk0', 'x') => 0\n================\n'starting_index' => 0\n",
    "================\n'starting_index' => 0\n",
    "'spk0' => 0\n'spk1' => 1\n================\n'starting_index' => 0\n",
])
def test_119pa7b_a_speechbrain_label_encoder_is_no_jsonnet(text: str) -> None:
    r = scan_bytes(text.encode(), "label_encoder.txt")
    assert r.verdict == "safe", r.findings


@pytest.mark.parametrize("text", [
    "local p = 'os' + '.system';\n{ class_path: p }\n",
    "{ a: 1 } + { class_path: 'x' + 'y' }\n",
    "{ a: [1, 2][::-1], b: 'x' + 'y' }\n",
    "{ a: !true, b: 1 <= 2 }\n",
])
def test_119pa7b_jsonnet_programs_with_its_operators_are_still_judged(text: str) -> None:
    r = scan_bytes(text.encode(), "config.txt")
    assert r.verdict == "suspicious" and "config.unparsed-targets" in _ids(r), r.findings


@pytest.mark.parametrize("text", [
    'a: &x: 1\nrun: !apply:os.system ["true"]\n',  # ruamel (YAML 1.2) reads the anchor "x:"; PyYAML, libyaml stop
    '{: x}\nrun: !apply:os.system ["true"]\n',
    '-\t!apply:os.system ["true"]\n',
    '%TAG !x! !ap%70ly:\n---\na: &y: 1\nrun: !x!os.system ["true"]\n',
])
def test_119pa1_a_text_pyyaml_stops_on_that_spells_hyperpyyaml_tags_is_not_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "hyperparams.yaml")
    assert r.verdict == "suspicious" and "yaml.tags-unchecked" in _ids(r), r.findings


def test_119pa1_documentation_spelling_hyperpyyaml_tags_is_info() -> None:
    text = b"# Model\n\n```yaml\nenc: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN\n```\n\n- a: b: c\n"
    r = scan_bytes(text, "README.md")
    assert r.verdict == "safe", r.findings


def test_119pa1_past_the_bound_of_hyperpyyaml_names_is_not_safe() -> None:
    text = "".join(f"k{i}: !new:acme.m{i}.C\n" for i in range(10_001)) + "z: !apply:os.system [x]\n"
    r = scan_bytes(text.encode(), "hyperparams.yaml")
    assert r.verdict == "suspicious" and "yaml.tags-unchecked" in _ids(r), r.findings
