"""Red team 120d: the msgpack judge of thinc/spacy-transformers shims, spaCy's ``config.cfg``, and
how ``generate`` groups a project folder that is a model folder.

- 120d-1: a shim map with ``nd``/``data`` keys was taken for a msgpack-numpy array and never
  judged; srsly's ``decode_numpy`` makes an array only of a map with the *bytes* key ``b"nd"``
  (True, with ``b"type"``/``b"data"``/``b"shape"``).
- 120d-2: an HFShim message without ``state`` was no shim; ``HFShim.from_bytes`` writes the
  tokenizer files and runs ``AutoTokenizer.from_pretrained`` before it reads ``state``.
- 120d-3: ``config.cfg`` written with ``:`` delimiters (confection's default ``ConfigParser``).
- 120d-4: a literal pre-filter on ``spacy.copy_from_base_model`` that a JSON escape or a
  ``${…}`` interpolation defeated.
- 120d-5: the project folder that is a spaCy pipeline took its component folders from
  ``meta.json`` only; spaCy reads ``config.cfg``.
- 120d-6: a pickle named ``*.py`` at the root of a model-folder project was in no model.
- 120d-7: the code a loader imports (list-form ``auto_map``, ``custom_pipelines``, relative
  imports) was left out of ``model:.``.

Nothing here is loaded, unpickled or executed.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from mlbom.formats import spacy_cfg
from mlbom.scanner import scan_bytes
from tests.formats.test_msgpack import pack
from tests.helpers import file_refs as _files
from tests.helpers import model_verdicts as _models

FIXTURES = Path(__file__).parent / "fixtures"
EVIL_PICKLE = b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."


@pytest.fixture(autouse=True)
def _isolated(isolated_cache: Path) -> Path:
    return isolated_cache


def _thinc_model(shim: bytes, **extra: object) -> bytes:
    return pack({"nodes": [{"index": 0, "name": "pytorch", "dims": {}, "refs": {}}], "attrs": [{}], "params": [{}],
                 "shims": [[shim]], **extra})


def _verdict(data: bytes, name: str = "model") -> tuple[str, set[str]]:
    sc = scan_bytes(data, name)
    return sc.verdict, {f.id for f in sc.findings}


# ---------------------------------------------------------------- 120d-1

@pytest.mark.parametrize("data", [
    _thinc_model(pack({"config": {}, "state": EVIL_PICKLE, "nd": False, "data": b""})),  # str keys: a dict to srsly
    _thinc_model(pack({"config": {}, "state": EVIL_PICKLE}), nd=0, data=0),  # on the model map itself
    _thinc_model(pack({"config": {}, "state": EVIL_PICKLE, b"nd": False, b"data": b""})),  # no b"type": KeyError
    _thinc_model(pack({"config": {}, "state": EVIL_PICKLE, b"nd": True, b"type": "<f4", b"data": b""})),  # no shape
    _thinc_model(pack({"config": {}, "state": EVIL_PICKLE, b"complex": True})),  # no b"data": KeyError
])
def test_a_shim_map_with_numpy_like_keys_srsly_leaves_a_map_is_judged(data: bytes) -> None:
    verdict, ids = _verdict(data)
    assert verdict == "unsafe" and "pickle.dangerous-callable" in ids, ids


@pytest.mark.parametrize("array", [
    {b"nd": True, b"type": "<f4", b"kind": b"", b"shape": [4], b"data": EVIL_PICKLE[:16]},
    {b"nd": False, b"type": "<f8", b"data": EVIL_PICKLE[:8]},
    {b"complex": True, b"data": "1+2j"},
])
def test_a_numpy_array_srsly_decodes_stays_raw_data(array: dict[object, object]) -> None:
    # (array bytes that happen to start like a pickle are np.frombuffer's, never unpickled)
    verdict, _ = _verdict(_thinc_model(pack({"config": {}, "state": b""}), params=[{"W": array}]))
    assert verdict == "safe"


# ---------------------------------------------------------------- 120d-2

def _hf_shim(**parts: object) -> bytes:
    tok = {"tokenizer_config.json": json.dumps({"auto_map": {"AutoTokenizer": ["tok_evil.T", None]}}).encode(),
           "tok_evil.py": b"import os\nos.system('true')\n", "kwargs": {"trust_remote_code": True}}
    return pack({"config": {"model_type": "bert"}, "tokenizer": tok, **parts})


def test_an_hf_shim_without_state_is_judged() -> None:
    verdict, ids = _verdict(_thinc_model(_hf_shim()))
    assert verdict == "suspicious" and "code.trust-remote-code" in ids, ids


def test_a_torchscript_shim_model_is_judged_and_other_shim_keys_are_walked() -> None:
    verdict, _ = _verdict(_thinc_model(pack({"config": {}, "model": EVIL_PICKLE})))
    assert verdict == "unsafe"
    verdict, _ = _verdict(_thinc_model(pack({"config": {}, "state": b"", "more": EVIL_PICKLE})))
    assert verdict == "unsafe"


# ---------------------------------------------------------------- 120d-3 / 120d-4

def _cfg(text: str) -> tuple[str, set[str]]:
    return _verdict(text.encode(), "config.cfg")


_PIPE = '[nlp]\nlang = "en"\npipeline = ["ner"]\n\n[components]\n\n'
_CB = '[nlp.after_creation]\n@callbacks = {}\ntokenizer = "evil_pkg"\nvocab = null\n'


@pytest.mark.parametrize("text", [
    _PIPE + '[components.ner]\nsource: "evil_pkg"\n',  # 120d-3: ':' delimits as '=' does
    _PIPE + "[components.ner]\nsource:evil_pkg\n",
    _PIPE + '[components.ner]\nsource : "evil_pkg"\n',
    '[nlp]\nlang: "en"\n[nlp.after_creation]\n@callbacks: "spacy.copy_from_base_model.v1"\ntokenizer: "evil_pkg"\n',
    # 120d-4: a name spelled with a JSON escape, or put together by interpolation
    '[nlp]\nlang = "en"\n' + _CB.format('"spacy.copy\\u005ffrom_base_model.v1"'),
    '[paths]\ncb = "base_model"\n\n[nlp]\nlang = "en"\n' + _CB.format('"spacy.copy_from_${paths.cb}.v1"'),
    '[paths]\ncb = "spacy.copy_from_base_model.v1"\n\n[nlp]\nlang = "en"\n' + _CB.format("${paths.cb}"),
    # spaCy's round trip (Config.interpolate writes the config out and reads it back): an escaped
    # "\u0024{…}" is a live reference the second time
    '[paths]\ncb = "spacy.copy_from_base_model.v1"\n\n[nlp]\nlang = "en"\n' + _CB.format('"\\u0024{paths.cb}"'),
    '[nlp]\nlang = "en"\n' + _CB.format('"spacy.copy_from_base_model.v1"').replace('"evil_pkg"', '"evil\\u005fpkg"'),
    '[nlp]\nlang = "en"\nafter_creation = ${cb}\n\n[cb]\n@callbacks = "spacy.copy_from_base_model.v1"\n'
    'tokenizer = "evil_pkg"\n',  # a whole-section reference
    _PIPE.replace("[components]\n", '[components]\nner = {"source": "evil_pkg"}\n'),  # inline
    '[nlp]\nlang = "en"\npipeline = ["ner"]\n\n[x]\ns = "evil_pkg"\n\n[components]\nner = ${comp}\n\n'
    '[comp]\nsource = ${x.s}\n',
    '[paths]\nsrc = "evil_pkg"\n\n' + _PIPE + "[components.ner]\nsource = ${paths:src}\n",  # ${section:key}
    _PIPE + '[components.ner]\nfactory = "ner"\n\n[components.ner.model]\n@architectures = "x"\n\n'
    '[components.tagger]\nsource = "evil_pkg"\n',  # not in the pipeline: still flagged (never fewer)
    # a component named by an absolute path: Language.from_disk reads its files from there
    '[nlp]\nlang = "en"\npipeline = ["/srv/shared/ner"]\n\n[components]\n\n[components./srv/shared/ner]\n'
    'factory = "ner"\n',
])
def test_a_spacy_config_as_confection_reads_it_is_judged(text: str) -> None:
    verdict, ids = _cfg(text)
    assert verdict == "suspicious" and "code.remote" in ids, (text, ids)


@pytest.mark.parametrize("text", [
    (FIXTURES / "spacy" / "core_tiny" / "config.cfg").read_text(),
    (FIXTURES / "spacy" / "core_tiny" / "config.cfg").read_text().replace(" = ", ": "),
    '[paths]\ns = null\n\n' + _PIPE + "[components.ner]\nsource = ${paths.s}\n",
    '[paths]\ns = "blank:en"\n\n' + _PIPE + "[components.ner]\nsource: ${paths.s}\n",
    '[nlp]\nlang = "en"\n' + _CB.format('"spacy.copy_from_base_model.v1"').replace('"evil_pkg"', "null"),
    '[nlp]\nlang = "en"\n' + _CB.format('"spacy.other_callback.v1"'),
    "[metadata]\nname: pkg\nsource: https://example.org\nprice = $5\n",
])
def test_benign_spacy_configs_stay_safe(text: str) -> None:
    verdict, ids = _cfg(text)
    assert verdict == "safe", (text, ids)


def test_a_reference_fan_out_past_the_bound_is_reported_not_resolved() -> None:
    lines = ["[a]", 'x0 = "q"'] + [f"x{i} = " + "".join(f"${{a.x{i - 1}}}" for _ in range(30)) for i in range(1, 11)]
    text = "\n".join([*lines, "[components]", "[components.ner]", "source = ${a.x10}"]) + "\n"
    assert [at for at, _ in spacy_cfg.findings(text)] == ["(references)"]
    assert spacy_cfg.component_names(text) is None


def test_the_readings_agree_with_confection_on_these_values() -> None:
    # what confection 1.3.4 gives (checked against it: Config().from_str, and spaCy's
    # load_config(interpolate=False) then Config.interpolate())
    text = ('[x]\na = 1\nb = "$$a"\nc = "${x.a} and ${x:a}"\nd = ${x.a}\ne = [${x.a}, 2]\nf = True\ng = None\n'
            'h = "\\u0024{x.a}"\n[y]\nz = ${x}\n')
    budget = spacy_cfg._Budget()
    direct = spacy_cfg._parse(text, budget, interpolate=True)
    raw = spacy_cfg._parse(text, budget, interpolate=False)
    assert raw is not None and direct is not None
    back = spacy_cfg._parse(spacy_cfg._serialize(raw, budget), budget, interpolate=True)
    assert direct["x"] == {"a": 1, "b": "$a", "c": "1 and 1", "d": 1, "e": [1, 2], "f": True, "g": None,
                           "h": "${x.a}"}
    assert direct["y"]["z"] is direct["x"]
    assert raw["x"]["b"] == "$$a" and raw["x"]["c"] == '"${x.a} and ${x:a}"' and raw["x"]["h"] == "${x.a}"
    assert back is not None and back["x"]["b"] == "$$a" and back["x"]["h"] == 1


# ---------------------------------------------------------------- 120d-5

def _evil_component(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "cfg").write_text("{}")
    (folder / "model").write_bytes(_thinc_model(pack({"config": {}, "state": EVIL_PICKLE})))


@pytest.mark.parametrize("config", [
    '[nlp]\nlang = "en"\npipeline = ["ner"]\n\n[components]\n\n[components.ner]\nfactory = "ner"\n',
    '[nlp]\nlang: "en"\npipeline: ["ner"]\n\n[components]\n\n[components.ner]\nfactory: "ner"\n',
    '[paths]\np = ["ner"]\n\n[nlp]\nlang = "en"\npipeline = ${paths.p}\n\n[components]\n',
])
def test_the_project_folder_as_a_spacy_pipeline_reads_the_components_config_cfg_names(tmp_path: Path,
                                                                                       config: str) -> None:
    proj = tmp_path / "proj"
    _evil_component(proj / "ner")
    (proj / "config.cfg").write_text(config)
    (proj / "meta.json").write_text(json.dumps({"lang": "en", "pipeline": []}))
    got = _models(proj)
    assert got.get("model:ner") == "unsafe", got


def test_a_component_folder_no_list_names_is_read_by_its_model_file(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _evil_component(proj / "hidden_ner")
    (proj / "config.cfg").write_text('[nlp]\nlang = "en"\npipeline = []\n')
    (proj / "meta.json").write_text(json.dumps({"lang": "en", "pipeline": []}))
    (proj / "scripts").mkdir()
    (proj / "scripts" / "run.sh").write_text("echo\n")
    got = _models(proj)
    assert got.get("model:hidden_ner") == "unsafe", got
    assert "model:scripts" not in got


# ---------------------------------------------------------------- 120d-6

def _safetensors(path: Path) -> None:
    hdr = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(hdr)) + hdr + b"\0" * 4)


@pytest.mark.parametrize("name", ["weights_loader.py", "loader.pyw", "TRAIN.PY"])
def test_a_pickle_named_py_at_a_model_folder_project_root_is_in_a_model(tmp_path: Path, name: str) -> None:
    proj = tmp_path / "proj"
    _safetensors(proj / "model.safetensors")
    (proj / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (proj / name).write_bytes(EVIL_PICKLE)
    (proj / "train.py").write_text("import torch\nprint('the project code')\n") if name != "TRAIN.PY" else None
    got = _models(proj)
    assert got.get("model:.") == "unsafe", got
    files = _files(proj)
    assert f"model:.#{name}" in files, files
    assert not any(r.endswith("#train.py") for r in files), files  # (the project's own code stays out)


def test_the_spacy_root_keeps_a_pickle_named_py(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "vocab").mkdir(parents=True)
    (proj / "config.cfg").write_text('[nlp]\nlang = "en"\npipeline = []\n')
    (proj / "meta.json").write_text(json.dumps({"lang": "en", "pipeline": []}))
    (proj / "loader.py").write_bytes(EVIL_PICKLE)
    assert "unsafe" in _models(proj).values()


# ---------------------------------------------------------------- 120d-7

def _root_hf(proj: Path, config: dict[str, object], name: str = "config.json") -> None:
    _safetensors(proj / "model.safetensors")
    (proj / name).write_text(json.dumps(config))


@pytest.mark.parametrize(("config", "name", "modules"), [
    ({"auto_map": {"AutoModel": "modeling_acme.M"}}, "config.json", ["modeling_acme.py", "helper_acme.py",
                                                                      "deep_acme.py", "pkg_acme.py"]),
    ({"auto_map": ["tokenization_acme.Tok", None]}, "tokenizer_config.json", ["tokenization_acme.py"]),
    ({"custom_pipelines": {"acme-task": {"impl": "pipe_acme.P", "pt": ["AutoModel"]}}}, "config.json",
     ["pipe_acme.py"]),
    ({"text_config": {"auto_map": {"AutoConfig": "sub_acme.C"}}}, "config.json", ["sub_acme.py"]),
])
def test_the_code_a_loader_imports_is_in_the_root_model(tmp_path: Path, config: dict[str, object], name: str,
                                                        modules: list[str]) -> None:
    proj = tmp_path / "proj"
    _root_hf(proj, config, name)
    for m in modules:
        (proj / m).write_text("X = 1\n")
    (proj / "modeling_acme.py").write_text("from .helper_acme import f\nfrom . import pkg_acme\nX = 1\n")
    (proj / "helper_acme.py").write_text("from .deep_acme import g\n")
    (proj / "train.py").write_text("print('project code')\n")
    files = _files(proj)
    assert all(f"model:.#{m}" in files for m in modules), (modules, files)
    assert "model:.#train.py" not in files, files


def test_a_relative_import_in_a_string_counts_as_transformers_reads_it(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _root_hf(proj, {"auto_map": {"AutoModel": "modeling_acme.M"}})
    (proj / "modeling_acme.py").write_text('DOC = """\nfrom .helper_acme import f\n"""\n')
    (proj / "helper_acme.py").write_text("X = 1\n")
    assert "model:.#helper_acme.py" in _files(proj)



def test_a_spacy_pipeline_holding_another_input_keeps_its_components(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    pipe = proj / "pipe"
    _evil_component(pipe / "ner")
    (pipe / "config.cfg").write_text('[nlp]\nlang = "en"\npipeline = ["ner"]\n\n[components]\n\n[components.ner]\n'
                                     'factory = "ner"\n')
    (pipe / "meta.json").write_text(json.dumps({"lang": "en", "pipeline": ["ner"]}))
    (pipe / ".venv").mkdir()
    (pipe / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.9\n")
    got = _models(proj)
    assert got.get("model:pipe/ner") == "unsafe", got


def test_the_modules_configs_name() -> None:
    from mlbom.collectors.models import _named_modules, _relative_imports

    assert _named_modules({"auto_map": ["a.T", None], "x": [{"auto_map": {"AutoModel": "repo--b.M",
                                                                           "AutoTokenizer": ["c.S", {"fast": "d.F"}]}}],
                           "custom_pipelines": {"t": {"impl": "e.P"}}, "other": "f.G"}) == {"a", "b", "c", "d", "e"}
    assert _relative_imports("from .x import y\nfrom . import z\nfrom .p.q import r\nfrom ..up import u\n"
                             "'''\nfrom .doc import d\n'''\n") == {"x", "z", "p.q", "p", ".up", "doc"}
    assert _relative_imports("import .s\nfrom .t import u\n") == {"s", "t"}  # (no Python: transformers' reading)
