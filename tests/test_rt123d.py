"""Red team 123d (discovery after fix122gd): the named chat templates of a saved tokenizer (123d-1), the
configs transformers reads an ``auto_map`` from (123d-7), ``custom_pipelines`` (123d-6), by-name evidence
that collides with common non-ML files (123d-3), a weightless config whose scan is ``suspicious`` (123d-2),
and the sweep's cost on run folders' configs (123d-4) and protobuf-like files (123d-5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import file_refs, model_verdicts

_TEMPLATE = "{{ ''.__class__.__mro__[1].__subclasses__() }}{% for m in messages %}{{ m.content }}{% endfor %}"


def _tokenizer(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "PreTrainedTokenizerFast"}))
    (folder / "tokenizer.json").write_text(json.dumps({"version": "1.0", "model": {"type": "BPE", "vocab": {},
                                                                                    "merges": []}}))
    (folder / "chat_template.jinja").write_text("{% for m in messages %}{{ m.content }}{% endfor %}")


# --- 123d-1: additional_chat_templates/*.jinja ----------------------------------------------------------------

@pytest.mark.parametrize("weights", [False, True])
def test_additional_chat_templates_are_the_models_files(tmp_path: Path, weights: bool) -> None:
    proj = tmp_path / "proj"
    _tokenizer(proj / "tok")
    (proj / "requirements.txt").write_text("transformers==4.50.0\n")
    (proj / "tok" / "additional_chat_templates").mkdir()
    (proj / "tok" / "additional_chat_templates" / "tool_use.jinja").write_text(_TEMPLATE)
    if weights:
        (proj / "tok" / "model.safetensors").write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    assert model_verdicts(proj) == {"model:tok": "unsafe"}
    assert "model:tok#additional_chat_templates/tool_use.jinja" in file_refs(proj)


def test_a_folder_holding_only_additional_chat_templates_is_a_model(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "proc" / "additional_chat_templates").mkdir(parents=True)
    (proj / "proc" / "additional_chat_templates" / "tool_use.jinja").write_text(_TEMPLATE)
    (proj / "requirements.txt").write_text("transformers==4.50.0\n")
    assert model_verdicts(proj) == {"model:proc": "unsafe"}
    assert "model:proc#additional_chat_templates/tool_use.jinja" in file_refs(proj)


# --- 123d-7: video_preprocessor_config.json's auto_map ----------------------------------------------------------

_VIDEO = {"video_processor_type": "AcmeVideoProcessor", "auto_map": {"AutoVideoProcessor": "video_acme.AcmeVideoProcessor"}}


def test_a_video_preprocessor_config_folder_is_a_model_with_its_code(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "vproc").mkdir(parents=True)
    (proj / "requirements.txt").write_text("transformers==4.52.0\n")
    (proj / "vproc" / "video_preprocessor_config.json").write_text(json.dumps(_VIDEO))
    (proj / "vproc" / "video_acme.py").write_text("import os\nos.system('true')\n")
    assert model_verdicts(proj) == {"model:vproc": "suspicious"}
    assert "model:vproc#video_acme.py" in file_refs(proj)


def test_a_video_preprocessor_auto_map_module_below_is_the_models_file(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    m = proj / "m"
    (m / "proc").mkdir(parents=True)
    (proj / "requirements.txt").write_text("transformers==4.52.0\n")
    (m / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (m / "model.safetensors").write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    amap = {"auto_map": {"AutoVideoProcessor": "proc/video_acme.AcmeVideoProcessor"}}
    (m / "video_preprocessor_config.json").write_text(json.dumps(amap))
    (m / "proc" / "video_acme.py").write_text("import os\nos.system('true')\n")
    assert "model:m#proc/video_acme.py" in file_refs(proj)


# --- 123d-6: a config.json holding only custom_pipelines ---------------------------------------------------------

@pytest.mark.parametrize("doc", [
    {"custom_pipelines": {"sentiment": {"impl": "pipe.SentimentPipeline", "pt": ["AutoModel"], "tf": []}}},
    {"text_config": {"auto_map": {"AutoConfig": "pipe.AcmeConfig"}}}])
def test_a_config_json_naming_a_module_is_a_model(tmp_path: Path, doc: dict[str, object]) -> None:
    proj = tmp_path / "proj"
    (proj / "bert-sentiment").mkdir(parents=True)
    (proj / "requirements.txt").write_text("transformers==4.50.0\n")
    (proj / "bert-sentiment" / "config.json").write_text(json.dumps(doc))
    (proj / "bert-sentiment" / "pipe.py").write_text("import os\nos.system('true')\n")
    assert model_verdicts(proj) == {"model:bert-sentiment": "suspicious"}
    assert "model:bert-sentiment#pipe.py" in file_refs(proj)


# --- 123d-3: by-name evidence that collides with common non-ML files -------------------------------------------

def test_a_terraform_modules_json_is_no_model(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    mods = proj / "infra" / ".terraform" / "modules"
    (mods / "vpc" / "functions").mkdir(parents=True)
    (proj / "requirements.txt").write_text("flask==3.0.0\n")
    (proj / "infra" / "main.tf").write_text('module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n')
    (mods / "modules.json").write_text(json.dumps({"Modules": [
        {"Key": "vpc", "Source": "registry.terraform.io/terraform-aws-modules/vpc/aws", "Dir": ".terraform/modules/vpc"}]}))
    (mods / "vpc" / "main.tf").write_text('resource "aws_vpc" "this" {}\n')
    (mods / "vpc" / "functions" / "notify_slack.py").write_text("import os, urllib.request\nURL = os.environ['U']\n")
    (proj / "train").mkdir()
    (proj / "train" / "hyperparams.yaml").write_text("lr: 0.001\nbatch_size: 32\n")
    assert model_verdicts(proj) == {}


def test_a_sentence_transformers_or_speechbrain_folder_with_no_weight_is_still_a_model(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "st").mkdir(parents=True)
    (proj / "sb").mkdir()
    (proj / "requirements.txt").write_text("sentence-transformers==3.0.0\nspeechbrain==1.0.0\n")
    (proj / "st" / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "",
                                                           "type": "sentence_transformers.models.Transformer"}]))
    (proj / "sb" / "hyperparams.yaml").write_text("enc: !new:speechbrain.lobes.models.ECAPA_TDNN\n  input_size: 80\n")
    assert set(model_verdicts(proj)) == {"model:st", "model:sb"}


# --- 123d-2: a third-party command runner; a suspicious weightless config is never silent -----------------------

@pytest.mark.parametrize("target", ["invoke.run", "sarge.run", "plumbum.local", "sh.bash", "asteval.Interpreter"])
def test_a_config_calling_a_command_runner_is_a_model(tmp_path: Path, target: str) -> None:
    proj = tmp_path / "proj"
    (proj / "release" / "detector").mkdir(parents=True)
    (proj / "requirements.txt").write_text("hydra-core==1.3.2\ninvoke==2.2.0\n")
    (proj / "release" / "detector" / "config.yaml").write_text(f"model:\n  _target_: {target}\n  command: 'true'\n")
    assert model_verdicts(proj) == {"model:release/detector": "unsafe"}


def _findings(proj: Path) -> list[tuple[str, str, str | None]]:
    from mlbom.inventory import Inputs, generate

    bom = generate(Inputs(project_dir=proj), reproducible=True)
    return [(f.id, f.severity, f.source) for f in bom.findings if f.id == "project.config-code"]


def test_a_suspicious_weightless_config_is_a_low_finding_not_a_model(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "conf").mkdir(parents=True)
    (proj / "requirements.txt").write_text("hydra-core==1.3.2\n")
    (proj / "conf" / "config.yaml").write_text("model:\n  _target_: acme_runner.run\n  command: 'true'\n")
    assert model_verdicts(proj) == {}
    assert _findings(proj) == [("project.config-code", "low", "conf/config.yaml")]


def test_config_code_findings_are_bounded(tmp_path: Path) -> None:
    from mlbom.collectors.models import MAX_CONFIG_CODE_FINDINGS

    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("hydra-core==1.3.2\n")
    for i in range(MAX_CONFIG_CODE_FINDINGS + 5):
        (proj / "outputs" / f"run{i:03d}" / ".hydra").mkdir(parents=True)
        (proj / "outputs" / f"run{i:03d}" / ".hydra" / "config.yaml").write_text("model:\n  _target_: src.Net\n")
    got = _findings(proj)
    assert len(got) == MAX_CONFIG_CODE_FINDINGS + 1
    assert sum(g[2] is None for g in got) == 1 and all(g[1] == "low" for g in got)


# --- 123d-4: the sweep's cost on run folders' configs -----------------------------------------------------------

def test_run_folders_configs_are_scanned_once_per_content_and_plain_ones_not_at_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom.collectors import models
    from tests.helpers import counting_calls

    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("hydra-core==1.3.2\nlightning==2.2.0\n")
    hydra = "".join(f"layer{i}:\n  _target_: src.models.blocks.Block\n  dim: {i}\n" for i in range(20))
    for i in range(30):
        (proj / "outputs" / f"run{i}" / ".hydra").mkdir(parents=True)
        (proj / "outputs" / f"run{i}" / ".hydra" / "config.yaml").write_text(hydra)
        (proj / "lightning_logs" / f"version_{i}").mkdir(parents=True)
        (proj / "lightning_logs" / f"version_{i}" / "hparams.yaml").write_text(f"lr: 0.001\nseed: {i}\nhidden: 128\n")
    with counting_calls(monkeypatch, models, "scan_file") as calls:
        assert model_verdicts(proj) == {}
    assert calls[0] == 1  # (was 60: one scan per run folder's config)


# --- 123d-5: what only starts like ONNX gets no full scan -------------------------------------------------------

def _ld(field: int, data: bytes) -> bytes:
    n, size = len(data), b""
    while True:
        low, n = n & 0x7F, n >> 7
        size += bytes([low | (0x80 if n else 0)])
        if not n:
            return bytes([field << 3 | 2]) + size + data


def test_the_onnx_head_sniff_reads_modelproto_fields() -> None:
    from mlbom.formats.onnx import onnx_model_head

    graph = _ld(7, _ld(1, b"\x08\x01") + _ld(2, b"g"))
    model = b"\x08\x08" + _ld(2, b"pytorch") + _ld(3, b"2.1") + graph + _ld(8, b"\x08\x11")
    assert onnx_model_head(model, whole=True)
    assert onnx_model_head(model[:12], whole=False)  # (a head cut inside producer_version: graph still ahead)
    assert onnx_model_head(b"\x08\x08" + _ld(2, b"x") + _ld(7, b"\x00" * 10_000)[:100], whole=False)
    shard = b"\x08\x07" + b"\x12\x01\x00" * 2000  # a repeated field 2: no writer's ModelProto
    assert not onnx_model_head(shard[:4096], whole=False)
    assert not onnx_model_head(b"\x08\x01\x12\x03abc\x1a\x02xy", whole=True)  # no graph
    assert not onnx_model_head(b"\x08\x08" + _ld(2, b"x") + _ld(8, b"\x08\x11") + graph, whole=True)  # out of order
    assert not onnx_model_head(b"\x08\x08" + _ld(2, b"x") + b"\x50\x01" + graph, whole=True)  # field 10: no ModelProto's
    assert not onnx_model_head(b"\x08\xc8\x01" + graph, whole=True)  # ir_version 200


def test_protobuf_shards_that_only_start_like_onnx_are_not_scanned(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom.collectors import models
    from tests.helpers import counting_calls

    proj = tmp_path / "proj"
    (proj / "cache" / "shards").mkdir(parents=True)
    (proj / "requirements.txt").write_text("protobuf==5.27.0\n")
    for i in range(5):
        (proj / "cache" / "shards" / f"part-{i:05d}").write_bytes(b"\x08\x07" + b"\x12\x01\x00" * 3000 + b"\x12\x05")
    with counting_calls(monkeypatch, models, "_confirmed") as calls:
        assert model_verdicts(proj) == {}
    assert calls[0] == 0  # (was 5: each scanned whole)


def test_a_protobuf_that_is_no_sentencepiece_model_is_not_walked_to_its_end(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom.formats import weights
    from mlbom.scanner import scan_file

    charged: list[int] = []
    real = weights.inflation.charge
    monkeypatch.setattr(weights.inflation, "charge", lambda n: (charged.append(n), real(n))[1])
    f = tmp_path / "part-00000"
    f.write_bytes(b"\x08\x07" + b"\x12\x01\x00" * 100_000 + b"\x12\x05")
    assert scan_file(f, with_hash=False).verdict == "error"
    assert sum(charged) < 10  # (was 100,001: every field walked before the first one said no)
