"""Red team 119pa, findings 2, 3 and 4: what ``generate`` inventories around weight files, and
spaCy pipelines.

- 119pa-2: a stray weight file (outside ``model/``/``models/*``) was scanned alone: the folder it
  lies in (a Hugging Face folder with a ``config.json`` ``auto_map`` and ``modeling_*.py``, a Hydra
  ``config.yaml`` with ``_target_: os.system``) was never judged, and the BOM said "findings: none;
  inventory complete", also when the project folder itself was such a folder (the 102c-5 shape).
  Now a weight file in a model folder (:func:`mlbom.collectors.models.model_folder`) is
  inventoried with the folder (:func:`~mlbom.collectors.models.stray_models`); the project folder
  is one model of its own top-level files.
- 119pa-3: spaCy pipelines (``config.cfg`` + ``meta.json``) were left out of the BOM.

Nothing here is loaded, unpickled or executed.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from mlbom.collectors.models import LOADER_CONFIGS, model_folder, spacy_pipeline
from mlbom.inventory import Inputs, generate
from tests.helpers import file_refs as _files
from tests.helpers import model_verdicts as _models

FIXTURES = Path(__file__).parent / "fixtures"


def _safetensors(path: Path) -> None:
    hdr = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(hdr)) + hdr + b"\0" * 4)


def _hf_remote_code(folder: Path) -> None:
    _safetensors(folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps({
        "model_type": "acme", "auto_map": {"AutoModel": "modeling_acme.AcmeModel"}}))
    (folder / "modeling_acme.py").write_text("import os\nos.system('true')\n")


@pytest.fixture(autouse=True)
def _isolated(isolated_cache: Path) -> Path:
    return isolated_cache


# ---------------------------------------------------------------- 119pa-2

def test_a_weight_in_a_hf_folder_is_inventoried_with_the_folder(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _hf_remote_code(proj / "checkpoints" / "hf-export")
    (proj / "requirements.txt").write_text("torch==2.5.1\n")
    got = _models(proj)
    assert got.get("model:checkpoints/hf-export") == "suspicious", got
    assert "model:checkpoints/hf-export/model.safetensors" not in got
    assert any(r.endswith("modeling_acme.py") for r in _files(proj))


def test_a_hydra_config_beside_a_checkpoint_is_judged(tmp_path: Path) -> None:
    import io
    import pickle
    import zipfile

    proj = tmp_path / "proj"
    sb = proj / "pretrained" / "spkrec"
    sb.mkdir(parents=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"state_dict": {}}, protocol=2))
        z.writestr("archive/version", "3\n")
    (sb / "embedding_model.ckpt").write_bytes(buf.getvalue())
    (sb / "config.yaml").write_text("model:\n  _target_: os.system\n  command: 'true'\n")
    got = _models(proj)
    assert got == {"model:pretrained/spkrec": "unsafe"}, got


def test_the_topmost_model_folder_takes_the_weights_below_it(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    pipe = proj / "exports" / "sd"
    (pipe / "unet").mkdir(parents=True)
    (pipe / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    _safetensors(pipe / "unet" / "diffusion_pytorch_model.safetensors")
    (pipe / "unet" / "config.json").write_text("{}")
    assert _models(proj) == {"model:exports/sd": "safe"}


def test_a_flat_model_folder_is_its_own_files_a_lightning_log_folder_no_model(tmp_path: Path) -> None:
    import struct as st

    proj = tmp_path / "proj"
    exp = proj / "exports" / "hf"
    _hf_remote_code(exp)
    _safetensors(exp / "onnx" / "other.safetensors")  # (a folder below a config.json folder: its own)
    log = proj / "lightning_logs" / "version_0"
    (log / "checkpoints").mkdir(parents=True)
    (log / "hparams.yaml").write_text("lr: 0.001\n")
    (log / "config.yaml").write_text("trainer:\n  max_epochs: 1\n")
    (log / "events.out.tfevents.1700000000.host.1.0").write_bytes(st.pack("<Q", 9) + b"\0" * 4 + b"x" * 9 + b"\0" * 4)
    _safetensors(log / "checkpoints" / "epoch=1.safetensors")
    got = _models(proj)
    assert got == {"model:exports/hf": "suspicious", "model:exports/hf/onnx/other.safetensors": "safe",
                   "model:lightning_logs/version_0/checkpoints/epoch=1.safetensors": "safe"}, got


def test_the_project_folder_that_is_a_model_folder_is_a_model_of_its_top_level_files(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _hf_remote_code(proj)
    (proj / "requirements.txt").write_text("torch==2.5.1\n")
    (proj / "train.py").write_text("print('the project's code: no auto_map names it')\n")
    _safetensors(proj / "checkpoints" / "best.safetensors")
    bom = generate(Inputs(project_dir=proj), reproducible=True)
    models = {c.bom_ref: c for c in bom.components if c.type == "machine-learning-model"}
    assert set(models) == {"model:.", "model:checkpoints/best.safetensors"}, set(models)
    files = {c.bom_ref for c in bom.components if c.type == "file"}
    assert any(r.endswith("modeling_acme.py") for r in files), files
    assert not any(r.startswith("model:.") and "requirements.txt" in r for r in files), files  # its own input
    assert not any(r.startswith("model:.") and "checkpoints" in r for r in files), files
    assert not any(r.startswith("model:.") and "train.py" in r for r in files), files
    assert any(c.name == "requirements.txt" for c in bom.components)


def test_a_model_folder_holding_another_input_is_read_for_its_own_files(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    exp = proj / "exp"
    _hf_remote_code(exp)
    (exp / "venv").mkdir()
    (exp / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    _safetensors(exp / "sub" / "other.safetensors")
    got = _models(proj)
    assert got.get("model:exp") == "suspicious", got
    assert "model:exp/sub/other.safetensors" in got, got


def test_a_checkpoint_beside_a_readme_is_a_model_of_its_own(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _safetensors(proj / "checkpoints" / "best.safetensors")
    (proj / "checkpoints" / "README.md").write_text("# checkpoints\n")
    (proj / "README.md").write_text("# project\n")
    (proj / "train.py").write_text("print('train')\n")
    assert _models(proj) == {"model:checkpoints/best.safetensors": "safe"}


def test_the_fixtures_as_a_project_group_only_into_model_folders(tmp_path: Path) -> None:
    proj = tmp_path / "fx"
    shutil.copytree(FIXTURES, proj, symlinks=True)
    got = _models(proj)
    for ref in got:
        rel = ref.removeprefix("model:")
        where = proj / rel
        if where.is_dir() and rel not in ("model", ".") and not rel.startswith("models/"):
            names = {p.name for p in where.iterdir() if p.is_file()}
            assert model_folder(names), ref


def test_the_predicate() -> None:
    assert model_folder({"config.json", "x"}) and model_folder({"MLmodel"}) and model_folder({"hyperparams.yaml"})
    assert not model_folder({"README.md", "best.pt", "train.py", "meta.json"})
    assert spacy_pipeline({"config.cfg", "meta.json"}) and not spacy_pipeline({"config.cfg"})
    assert {"modules.json", "model_index.json", "config.yaml", "tokenizer_config.json"} <= LOADER_CONFIGS


# ---------------------------------------------------------------- 119pa-3 (discovery)

def _spacy_pipeline(folder: Path, model: bytes = b"\xc1 no format") -> None:
    (folder / "transformer").mkdir(parents=True)
    (folder / "vocab").mkdir()
    (folder / "config.cfg").write_text('[nlp]\nlang = "en"\npipeline = ["transformer"]\n')
    (folder / "meta.json").write_text(json.dumps({"lang": "en", "name": "core_trf", "pipeline": ["transformer"]}))
    (folder / "transformer" / "cfg").write_text("{}")
    (folder / "transformer" / "model").write_bytes(model)
    (folder / "vocab" / "strings.json").write_text("[]")


def test_a_spacy_pipeline_is_a_model(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _spacy_pipeline(proj / "training" / "model-best")
    _spacy_pipeline(proj / "en_core_trf")
    (proj / "requirements.txt").write_text("spacy==3.8.2\n")
    got = _models(proj)
    assert set(got) == {"model:training/model-best", "model:en_core_trf"}, got
    assert all(v != "safe" for v in got.values()), got  # (bytes in no format: error)


def test_a_spacy_pipeline_installed_in_an_environment_is_package_data(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    site = proj / ".venv" / "lib" / "python3.11" / "site-packages"
    pipe = site / "en_core_web_sm" / "en_core_web_sm-3.8.0"
    _spacy_pipeline(pipe)
    (proj / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.9\n")
    dist = site / "en_core_web_sm-3.8.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: en_core_web_sm\nVersion: 3.8.0\n")
    rows = [f"{p.relative_to(site).as_posix()},," for p in sorted(pipe.rglob("*")) if p.is_file()]
    (dist / "RECORD").write_text("\n".join(rows) + "\n")
    assert not any("en_core_web_sm-3.8.0" in r for r in _models(proj))


def test_a_spacy_pipeline_as_the_project_folder_keeps_its_components(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _spacy_pipeline(proj)
    (proj / "meta.json").write_text(json.dumps({"lang": "en", "pipeline": ["transformer"], "components": ["transformer"],
                                                "disabled": ["../../etc"]}))
    _safetensors(proj / "scripts" / "other.safetensors")
    got = _models(proj)
    assert set(got) == {"model:.", "model:transformer", "model:vocab", "model:scripts/other.safetensors"}, got
    assert got["model:transformer"] != "safe"


# ---------------------------------------------------------------- 119pa-3 (the msgpack judge)

def _pack_hf_shim(tokenizer: dict[str, object]) -> bytes:
    from tests.formats.test_msgpack import pack

    return pack({"config": {"model_type": "roberta"}, "state": b"", "tokenizer": tokenizer,
                 "_init_tokenizer_config": {}, "_init_transformer_config": {}})


def test_a_spacy_transformers_model_that_writes_anywhere_and_runs_remote_code_is_flagged(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    tok = {"kwargs": {"trust_remote_code": True},
           "tokenizer_config.json": json.dumps({"auto_map": {"AutoTokenizer": ["tok.T", None]}}).encode(),
           "tok.py": b"print('x')\n", "/tmp/written_by_loader.txt": b"x"}
    _spacy_pipeline(proj / "training" / "model-best", model=_pack_hf_shim(tok))
    _spacy_pipeline(proj / "en_core_trf", model=_pack_hf_shim({"kwargs": {"trust_remote_code": True}, "tok.py": b""}))
    got = _models(proj)
    assert got == {"model:training/model-best": "unsafe", "model:en_core_trf": "suspicious"}, got


def test_a_real_spacy_pipeline_is_safe(tmp_path: Path) -> None:
    from mlbom.scanner import scan

    pipe = FIXTURES / "spacy" / "core_tiny"
    scans = scan(pipe)
    assert {s.path: s.verdict for s in scans if s.verdict != "safe"} == {}
    assert {s.format for s in scans if s.path.endswith(("model", "moves", "tokenizer", "key2row"))} == {"msgpack"}
    proj = tmp_path / "proj"
    shutil.copytree(pipe, proj / "training" / "model-best")
    assert _models(proj) == {"model:training/model-best": "safe"}


# ---------------------------------------------------------------- 119pa-4 (config.cfg)

def _cfg_verdict(text: str, name: str = "config.cfg") -> tuple[str, set[str]]:
    from mlbom.scanner import scan_bytes

    sc = scan_bytes(text.encode(), name)
    return sc.verdict, {f.id for f in sc.findings}


_PIPE = '[nlp]\nlang = "en"\npipeline = ["ner"]\n\n[components]\n\n[components.ner]\n'


@pytest.mark.parametrize("text", [
    _PIPE + 'source = "/srv/shared/pipelines/en_ner_trf"\ncomponent = "ner"\n',
    _PIPE + 'source = "../../downloads/unvetted_pipeline"\n',
    _PIPE + 'source = "en_core_web_sm_typo"\n',
    _PIPE + "source = en_core_web_sm\n",  # (not JSON: the string as written)
    '[paths]\nbase = "/srv/shared/base"\n\n' + _PIPE + 'source = ${paths.base}\n',
    '[paths]\nroot = "/srv"\n\n' + _PIPE + 'source = "${paths.root}/pipelines/x"\n',
    _PIPE + 'factory = "ner"\n\n[nlp.after_creation]\n@callbacks = "spacy.copy_from_base_model.v1"\n'
            'tokenizer = "/srv/shared/pipelines/base_trf"\nvocab = null\n',
    '[paths]\nv = "en_core_web_lg"\n\n[nlp]\nlang = "en"\nafter_creation = {"@callbacks": '
    '"spacy.copy_from_base_model.v1", "tokenizer": null, "vocab": "${paths.v}"}\n',
])
def test_a_spacy_config_that_loads_another_pipeline_is_code_remote(text: str) -> None:
    verdict, ids = _cfg_verdict(text)
    assert verdict == "suspicious" and "code.remote" in ids, (text, ids)


@pytest.mark.parametrize(("text", "name"), [
    ((FIXTURES / "spacy" / "core_tiny" / "config.cfg").read_text(), "config.cfg"),
    (_PIPE + 'source = "blank:en"\n', "config.cfg"),
    (_PIPE + 'factory = "ner"\n\n[nlp.after_creation]\n@callbacks = "spacy.copy_from_base_model.v1"\n'
             "tokenizer = null\nvocab = null\n", "config.cfg"),
    ("[metadata]\nname = pkg\nsource = https://example.org\n", "setup.cfg"),
    ("[components]\nsource = x\n", "config.cfg"),  # (no component section)
])
def test_benign_cfg_files_stay_safe(text: str, name: str) -> None:
    verdict, ids = _cfg_verdict(text, name)
    assert verdict == "safe", ids
