"""Red team 122g (discovery): a loader-config folder holding no weight file (122g-7), a model format a
loader opens by content under a name no rule claims (122g-6), a FIFO or socket named like a weight
outside the model folders (122g-4)."""

from __future__ import annotations

import json
import os
import socket
import struct
from pathlib import Path

import pytest

from tests.helpers import file_refs, model_verdicts

_TEMPLATE = "{{ ''.__class__.__mro__[1].__subclasses__() }}{% for m in messages %}{{ m.content }}{% endfor %}"


def _tokenizer(folder: Path, *, sidecar: str | None = "chat_template.jinja") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    cfg: dict[str, object] = {"tokenizer_class": "PreTrainedTokenizerFast"}
    if sidecar is None:
        cfg["chat_template"] = _TEMPLATE
    (folder / "tokenizer_config.json").write_text(json.dumps(cfg))
    (folder / "tokenizer.json").write_text(json.dumps({"version": "1.0", "model": {"type": "BPE", "vocab": {},
                                                                                    "merges": []}}))
    if sidecar == "chat_template.jinja":
        (folder / sidecar).write_text(_TEMPLATE)
    elif sidecar == "chat_template.json":
        (folder / sidecar).write_text(json.dumps({"chat_template": _TEMPLATE}))


# --- 122g-7: a loader-config folder with no weight file --------------------------------------------------------

@pytest.mark.parametrize("sidecar", [None, "chat_template.jinja", "chat_template.json"])
def test_a_saved_tokenizer_folder_is_a_model(tmp_path: Path, sidecar: str | None) -> None:
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / "requirements.txt").write_text("transformers==4.50.0\n")
    _tokenizer(proj / "src" / "tok", sidecar=sidecar)
    assert model_verdicts(proj) == {"model:src/tok": "unsafe"}
    assert "model:src/tok#tokenizer_config.json" in file_refs(proj)


@pytest.mark.parametrize(("cfg", "module"), [
    ("config.json", "configuration_acme"), ("tokenizer_config.json", "tokenization_acme")])
def test_an_auto_map_config_folder_is_a_model_with_its_code(tmp_path: Path, cfg: str, module: str) -> None:
    proj = tmp_path / "proj"
    folder = proj / "hfcfg"
    folder.mkdir(parents=True)
    (proj / "requirements.txt").write_text("transformers==4.50.0\n")
    amap = {"AutoConfig": f"{module}.AcmeConfig"} if cfg == "config.json" else {"AutoTokenizer": [f"{module}.T", None]}
    (folder / cfg).write_text(json.dumps({"auto_map": amap}))
    (folder / f"{module}.py").write_text("import os\nos.system('true')\n")
    assert model_verdicts(proj) == {"model:hfcfg": "suspicious"}
    assert f"model:hfcfg#{module}.py" in file_refs(proj)


@pytest.mark.parametrize("name", ["tokenizer_config.json", "chat_template.json", "chat_template.jinja"])
def test_the_project_folder_as_a_saved_tokenizer_is_a_model(tmp_path: Path, name: str) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("transformers==4.50.0\n")
    text = _TEMPLATE if name.endswith(".jinja") else json.dumps({"chat_template": _TEMPLATE})
    (proj / name).write_text(text)
    assert model_verdicts(proj) == {"model:.": "unsafe"}


def test_a_hydra_config_yaml_with_no_weight_is_a_model(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "conf").mkdir(parents=True)
    (proj / "conf" / "config.yaml").write_text("model:\n  _target_: os.system\n  command: 'true'\n")
    (proj / "requirements.txt").write_text("hydra-core==1.3.2\n")
    assert model_verdicts(proj) == {"model:conf": "unsafe"}


def test_a_config_json_with_model_type_and_no_weight_is_a_model(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "cfg").mkdir(parents=True)
    (proj / "cfg" / "config.json").write_text(json.dumps({"model_type": "bert", "architectures": ["BertModel"]}))
    (proj / "requirements.txt").write_text("transformers==4.50.0\n")
    assert set(model_verdicts(proj)) == {"model:cfg"}


def test_ordinary_projects_get_no_new_model(tmp_path: Path) -> None:
    """A web app's config.json/config.yaml, a Lightning logs tree: no model (only the saved tokenizer beside them)."""
    proj = tmp_path / "proj"
    _tokenizer(proj / "tok")
    (proj / "app" / "static").mkdir(parents=True)
    (proj / "requirements.txt").write_text("flask==3.0.0\n")
    (proj / "app" / "config.json").write_text(json.dumps({"DEBUG": False, "SECRET_KEY": "x", "DATABASE": "app.db"}))
    (proj / "app" / "static" / "config.json").write_text(json.dumps({"theme": "dark", "version": "1.2"}))
    (proj / "config.yaml").write_text("server:\n  port: 8080\n  host: 0.0.0.0\nlogging: info\n")
    # a Lightning logs tree: hparams.yaml and config.yaml beside a checkpoint folder, TensorBoard events
    run = proj / "lightning_logs" / "version_0"
    (run / "checkpoints").mkdir(parents=True)
    (run / "hparams.yaml").write_text("lr: 0.001\nbatch_size: 32\nhidden: 128\n")
    (run / "config.yaml").write_text("trainer:\n  max_epochs: 3\nseed_everything: 42\n")
    (run / "events.out.tfevents.1700000000.host.1.0").write_bytes(b"\x18\x00\x00\x00\x00\x00\x00\x00junk")
    (proj / "lightning_logs" / "version_1").mkdir()
    (proj / "lightning_logs" / "version_1" / "hparams.yaml").write_text("lr: 0.01\n")
    assert model_verdicts(proj) == {"model:tok": "unsafe"}


# --- 122g-6: a model format a loader opens by content, under a name no rule claims -----------------------------

def _gguf(template: str = _TEMPLATE) -> bytes:
    def s(text: str) -> bytes:
        b = text.encode()
        return struct.pack("<Q", len(b)) + b

    kvs = [("general.architecture", "llama"), ("tokenizer.chat_template", template)]
    out = b"GGUF" + struct.pack("<IQQ", 3, 1, len(kvs))
    for k, v in kvs:
        out += s(k) + struct.pack("<I", 8) + s(v)
    out += s("t") + struct.pack("<I", 1) + struct.pack("<Q", 4) + struct.pack("<I", 0) + struct.pack("<Q", 0)
    return out + b"\0" * ((-len(out)) % 32) + b"\0" * 16


def _ld(field: int, data: bytes) -> bytes:
    n, size = len(data), b""
    while True:
        low, n = n & 0x7F, n >> 7
        size += bytes([low | (0x80 if n else 0)])
        if not n:
            return bytes([field << 3 | 2]) + size + data


def _onnx_external(location: str) -> bytes:
    """A hand-built ONNX ModelProto whose one initializer's data lies in ``location`` (EXTERNAL)."""
    entry = _ld(1, b"location") + _ld(2, location.encode())
    tensor = b"\x08\x01\x10\x01" + _ld(8, b"w") + _ld(13, entry) + b"\x70\x01"
    return b"\x08\x08" + _ld(2, b"acme") + _ld(7, _ld(5, tensor) + _ld(2, b"g")) + _ld(8, b"\x08\x11")


def _safetensors_bytes() -> bytes:
    hdr = json.dumps({"__metadata__": {"format": "pt"}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})
    return struct.pack("<Q", len(hdr)) + hdr.encode() + b"\0" * 4


@pytest.mark.parametrize("rel", ["src/weights.dat", "src/model.q4", "ollama/models/blobs/sha256-" + "ab" * 32])
def test_a_gguf_under_any_name_is_a_model(tmp_path: Path, rel: str) -> None:
    proj = tmp_path / "proj"
    (proj / rel).parent.mkdir(parents=True)
    (proj / "requirements.txt").write_text("llama-cpp-python==0.3.16\n")
    (proj / rel).write_bytes(_gguf())
    assert model_verdicts(proj) == {f"model:{rel}": "unsafe"}


@pytest.mark.parametrize("name", ["encoder", "model.dat"])
def test_an_onnx_model_under_any_name_is_a_model(tmp_path: Path, name: str) -> None:
    proj = tmp_path / "proj"
    (proj / "a" / "b").mkdir(parents=True)
    (proj / "requirements.txt").write_text("onnxruntime==1.20.0\n")
    (proj / "a" / "b" / name).write_bytes(_onnx_external("../../../../etc/hostname"))
    assert model_verdicts(proj) == {f"model:a/b/{name}": "unsafe"}


def test_a_safetensors_file_under_any_name_is_a_model(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / "requirements.txt").write_text("safetensors==0.4.5\n")
    (proj / "src" / "weights.dat").write_bytes(_safetensors_bytes())
    assert set(model_verdicts(proj)) == {"model:src/weights.dat"}


def test_what_only_starts_like_a_model_format_is_no_model(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "notes").mkdir(parents=True)
    (proj / "requirements.txt").write_text("llama-cpp-python==0.3.16\n")
    (proj / "notes" / "gguf.txt").write_text("GGUF is llama.cpp's file format.\n")
    (proj / "notes" / "magic").write_bytes(b"GGUF\x00\x00\x00\x09 not a version")
    (proj / "notes" / "proto").write_bytes(b"\x08\x01\x12\x03abc\x1a\x02xy")  # a protobuf, no ONNX model
    (proj / "notes" / "lengthy").write_bytes(struct.pack("<Q", 40) + b'{"not": "a safetensors header"')
    (proj / "notes" / "model.bin.txt").write_text("{}")
    # and one that is: the sweep did read these folders
    (proj / "notes" / "blob").write_bytes(_gguf())
    assert model_verdicts(proj) == {"model:notes/blob": "unsafe"}


# --- 122g-4: a FIFO, socket or device named like a weight outside the model folders ---------------------------

def _unreadable(proj: Path) -> tuple[dict[str, str], list[str]]:
    from mlbom.inventory import Inputs, generate

    bom = generate(Inputs(project_dir=proj), reproducible=True)
    return ({u.path: u.reason for u in bom.unreadable},
            sorted(f.source or "" for f in bom.findings if f.id == "files.not-regular"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_or_socket_named_like_a_weight_is_not_read_never_silence(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    proj = tmp_path / "proj"
    (proj / "ckpt").mkdir(parents=True)
    (proj / "requirements.txt").write_text("torch==2.5.0\n")
    os.mkfifo(proj / "model.bin")
    os.mkfifo(proj / "ckpt" / "last.pt")
    (proj / "ckpt" / "best.pt").symlink_to("last.pt")  # a weight-named link to it
    os.mkfifo(proj / "ckpt" / "notes")  # (no weight name: not the sweep's)
    monkeypatch.chdir(proj / "ckpt")  # (a socket's path is bound relative: AF_UNIX paths are short)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("weights.safetensors")
        unread, ids = _unreadable(proj)
    want = ["ckpt/best.pt", "ckpt/last.pt", "ckpt/weights.safetensors", "model.bin"]
    assert sorted(unread) == want, unread
    assert all("FIFO, device or socket" in why for why in unread.values())
    assert ids == want


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_project_whose_only_weight_is_a_fifo_says_so(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    os.mkfifo(proj / "model.bin")
    assert list(_unreadable(proj)[0]) == ["model.bin"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_as_model_says_what_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom.cli import main

    os.mkfifo(tmp_path / "model")
    assert main(["generate", "--model", str(tmp_path / "model"), "-o", str(tmp_path / "bom.json")]) == 2
    err = capsys.readouterr().err
    assert "FIFO, device or socket" in err and "holds no files" not in err
    # discovered (a project's model/ or models/x that is a FIFO): not read, never silence
    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    os.mkfifo(proj / "model")
    os.mkfifo(proj / "models" / "x")
    (proj / "requirements.txt").write_text("torch==2.5.0\n")
    unread, ids = _unreadable(proj)
    assert sorted(unread) == ["model", "models/x"] and ids == ["model", "models/x"]


def test_a_tree_folder_with_no_weight_is_a_model_of_all_of_it(tmp_path: Path) -> None:
    """A diffusers pipeline whose weights are not there: its loader reads the component folders (a custom
    component's module), so the folder is one model, all of it, as with weights."""
    proj = tmp_path / "proj"
    pipe = proj / "pipes" / "sd"
    (pipe / "unet").mkdir(parents=True)
    (proj / "requirements.txt").write_text("diffusers==0.31.0\n")
    (pipe / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline",
                                                       "unet": ["my_unet", "MyUNet"]}))
    (pipe / "unet" / "config.json").write_text(json.dumps({"_class_name": "MyUNet", "_diffusers_version": "0.31.0"}))
    (pipe / "unet" / "my_unet.py").write_text("import os\nos.system('true')\nclass MyUNet: pass\n")
    _tokenizer(pipe / "tokenizer")
    assert model_verdicts(proj) == {"model:pipes/sd": "unsafe"}
    assert {"model:pipes/sd#unet/my_unet.py", "model:pipes/sd#tokenizer/chat_template.jinja"} <= file_refs(proj)


def test_a_training_runs_suspicious_generic_config_is_no_model(tmp_path: Path) -> None:
    """A LightningCLI run folder's saved config.yaml names torch classes (suspicious alone): the project's
    training code, not a model it ships (only an unsafe generic config makes a weightless folder a model)."""
    proj = tmp_path / "proj"
    run = proj / "lightning_logs" / "version_0"
    run.mkdir(parents=True)
    (proj / "requirements.txt").write_text("lightning==2.4.0\n")
    (run / "config.yaml").write_text("optimizer:\n  class_path: torch.optim.Adam\n  init_args:\n    lr: 0.001\n"
                                     "model:\n  class_path: src.models.Net\n")
    (proj / "conf").mkdir()
    (proj / "conf" / "config.yaml").write_text("model:\n  _target_: src.models.Net\n  hidden: 128\n")
    assert model_verdicts(proj) == {}
