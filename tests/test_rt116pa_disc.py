"""Red team 116pa, findings 6, 1 and 1b:

- 116pa-1: a Caffe Python layer spelled as protobuf's text format allows but a regular expression
  did not read (``python_param: {``, ``python_param <…>``, a brace in a string or a ``#`` comment,
  a body over 4096 characters) was ``safe``. Now every ``python_param`` field name outside comments
  and strings is ``code.remote`` whatever its body, and a small text-format tokenizer
  (:mod:`mlbom.formats.caffe_text`) reads module/layer to raise it to ``unsafe``.
- 116pa-1b: a ``.j2``/``.jinja`` name turned off the Caffe, logging-INI and YOLO rules (the
  chat-template branch held a copy of three of the name-free rules). Now one function,
  ``scanner._any_name_rules``, holds every rule that holds whatever the name, for both.
- 116pa-6: ``generate`` swept loose weight files by NAME only: pickles named ``model.p``,
  ``*.pcl``, ``*.pckl``, gensim ``*.model``/``*.kv``/``*.wv`` got no component and no verdict.
  Now those names are looked for, and the sweep also takes any file whose first bytes a loader
  unpickles (a pickle stream, a compressed pickle, a torch zip).

Nothing here is loaded, unpickled or rendered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.formats import caffe_text
from mlbom.scanner import scan, scan_bytes

FIXTURES = Path(__file__).parent / "fixtures"

# ---------------------------------------------------------------- 116pa-1

_LAYER = 'name: "net"\ninput: "data"\nlayer {{ name: "p" type: "Python" top: "x" {body} }}\n'


@pytest.mark.parametrize("body", [
    'python_param: { module: "os" layer: "system" }',
    'python_param < module: "os" layer: "system" >',
    'python_param: < module: "os" layer: "system" >',
    'python_param { param_str: "{\'k\': 1}" module: "os" layer: "system" }',
    'python_param { # see {docs}\n  module: "os" layer: "system" }',
    'python_param { module: "os" layer: "system" param_str: "' + "x" * 5000 + '" }',
    'python_param { param_str: "' + "}" * 5000 + '" module: "os" layer: "system" }',
    'python_param { module: "o" "s" layer: "sys" \'tem\' }',  # adjacent literals concatenate
    'python_param { module: "\\157s" layer: "\\x73ystem" }',  # octal and hex escapes
    'python_param { module: "os"; layer: "system"; }',
    'python_param { module: "subprocess" layer: "Popen" }',
])
def test_caffe_python_layer_spellings_are_unsafe(body: str) -> None:
    r = scan_bytes(_LAYER.format(body=body).encode(), "deploy.prototxt")
    assert r.verdict == "unsafe", [(f.id, f.message[:120]) for f in r.findings]
    assert {"code.dangerous-target", "code.remote"} <= {f.id for f in r.findings}


@pytest.mark.parametrize("body", [
    'python_param: { module: "rpn.proposal_layer" layer: "ProposalLayer" param_str: "{\'feat_stride\': 16}" }',
    'python_param < module: "rpn.proposal_layer" layer: "ProposalLayer" >',
    'python_param { module: "rpn.proposal_layer" layer: "ProposalLayer" param_str: "' + "{" * 5000 + '" }',
    'python_param',  # a field protobuf would not parse: still the floor
    'python_param { param_str: "x"',  # never closed
    'python_param { }',
])
def test_any_python_param_field_is_at_least_code_remote(body: str) -> None:
    r = scan_bytes(_LAYER.format(body=body).encode(), "deploy.prototxt")
    assert r.verdict == "suspicious", [(f.id, f.message[:120]) for f in r.findings]
    assert "code.remote" in {f.id for f in r.findings}


@pytest.mark.parametrize("text", [
    '# python_param { module: "os" layer: "system" }\nlayer { name: "c" type: "ReLU" }\n',
    'layer { name: "python_param { module: \\"os\\" }" type: "ReLU" }\n',
    "name: 'python_param'\n",
])
def test_python_param_in_a_comment_or_a_string_is_no_layer(text: str) -> None:
    assert scan_bytes(text.encode(), "deploy.prototxt").verdict == "safe"


def test_real_py_faster_rcnn_nets_stay_code_remote_and_plain_nets_safe() -> None:
    got = {Path(s.path).name: (s.verdict, sorted({f.id for f in s.findings})) for s in scan(FIXTURES / "caffe")}
    assert got == {
        "fast_rcnn-test.prototxt": ("safe", []),
        "faster_rcnn_end2end-test.prototxt": ("suspicious", ["code.remote"]),
        "faster_rcnn_end2end-train.prototxt": ("suspicious", ["code.remote"]),
    }
    train = next(s for s in scan(FIXTURES / "caffe" / "faster_rcnn_end2end-train.prototxt"))
    message = next(f.message for f in train.findings if f.id == "code.remote")
    assert "rpn.proposal_layer.ProposalLayer" in message and "roi_data_layer.layer.RoIDataLayer" in message
    assert "rpn.debug_layer" not in message  # commented out there


def test_the_tokenizer_reads_escapes_and_concatenation() -> None:
    params, count = caffe_text.python_params('python_param { module: "a\\x2eb" \'\\143\' layer: "L\\u00e9" }')
    assert count == 1
    assert params == [caffe_text.PythonParam(("a.bc",), ("Lé",))]
    params, count = caffe_text.python_params('"python_param" # python_param\n')
    assert (params, count) == ([], 0)


def test_a_megabyte_net_is_read_fast() -> None:
    import time

    layer = 'layer { name: "c" type: "Convolution" convolution_param { num_output: 96 kernel_size: 7 } }\n'
    text = (layer * (1_000_000 // len(layer)) + _LAYER.format(body='python_param { module: "os" layer: "system" }'))
    start = time.process_time()
    assert scan_bytes(text.encode(), "deploy.prototxt").verdict == "unsafe"
    assert time.process_time() - start < 2.0


# ---------------------------------------------------------------- 116pa-1b

_CAFFE = 'name: "n"\nlayer { name: "p" type: "Python" top: "x" python_param { module: "os" layer: "system" } }\n'
_LOGINI = ("[loggers]\nkeys=root\n\n[handlers]\nkeys=h\n\n[formatters]\nkeys=\n\n[logger_root]\nlevel=INFO\n"
           "handlers=h\n\n[handler_h]\nclass=__import__('os').system('true')\nargs=()\n")
_YOLO = ("nc: 80\ndepth_multiple: 1.0\nwidth_multiple: 1.0\nactivation: __import__('os').system('true')\n"
         "anchors: 3\nbackbone:\n  [[-1, 1, Conv, [64, 6, 2, 2]]]\nhead:\n  [[-1, 1, Detect, [nc, anchors]]]\n")
_GIN = "from __gin__ import dynamic_registration\nimport os\ntrain.model = @os.system()\n"
_TARGET = "model:\n  _target_: os.system\n  command: 'true'\n"
_JSON_TARGET = '{"model": {"_target_": "os.system", "command": "true"}}'


@pytest.mark.parametrize("text", [_CAFFE, _LOGINI, _YOLO, _GIN, _TARGET, _JSON_TARGET],
                         ids=["caffe", "logging", "yolo", "gin", "target", "json-target"])
@pytest.mark.parametrize("name", ["template.j2", "chat_template.jinja", "x.jinja2", "deploy.prototxt", "x.yaml"])
def test_name_free_rules_hold_under_a_template_name(text: str, name: str) -> None:
    r = scan_bytes(text.encode(), name)
    assert r.verdict == "unsafe", (name, [(f.id, f.message[:100]) for f in r.findings])


def test_one_function_holds_the_name_free_rules() -> None:
    """The template branch and the rest call the same function (no copy to fall behind)."""
    import inspect

    from mlbom import scanner

    source = inspect.getsource(scanner._judge_text)
    assert source.count("_any_name_rules(") == 2
    for rule in ("_caffe_python_layers", "logging_config.judge", "_yolo_config", "_yaml_tags", "_config_targets"):
        assert rule not in source, rule
        assert rule in inspect.getsource(scanner._any_name_rules), rule


def test_real_chat_templates_stay_clean() -> None:
    folder = FIXTURES / "chat_templates"
    scans = list(scan(folder))
    assert len(scans) > 20
    bad = {Path(s.path).name: (s.verdict, [f.id for f in s.findings if f.severity != "info"])
           for s in scans if s.path.endswith((".jinja", ".j2")) and s.verdict != "safe"}
    assert bad == {}


# ---------------------------------------------------------------- 116pa-6

def _bom_models(proj: Path) -> dict[str, str | None]:
    from mlbom.inventory import Inputs, generate

    bom = generate(Inputs(project_dir=proj), reproducible=True)
    return {c.bom_ref: next((p.value for p in c.properties if p.name == "mlbom:safety:verdict"), None)
            for c in bom.components if c.type == "machine-learning-model"}


def _safetensors(path: Path) -> None:
    import json
    import struct

    hdr = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(hdr)) + hdr + b"\0" * 4)


_P2 = b"\x80\x02cposix\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."  # the red team's bytes


@pytest.fixture
def _isolated(isolated_cache: Path) -> Path:
    return isolated_cache


@pytest.mark.usefixtures("_isolated")
def test_pickles_under_common_pickle_names_are_inventoried(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _safetensors(proj / "model" / "model.safetensors")
    names = ["model.p", "classifier.pcl", "classifier.pckl", "word2vec.model", "vectors.kv", "embeddings.wv",
             "checkpoints/epoch_3.p"]
    for n in names:
        (proj / n).parent.mkdir(parents=True, exist_ok=True)
        (proj / n).write_bytes(_P2)
    got = _bom_models(proj)
    assert {f"model:{n}": "unsafe" for n in names}.items() <= got.items(), got


def _torch_zip(path: Path, payload: bytes, *, first: str = "archive/data.pkl") -> None:
    import zipfile

    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        if first != "archive/data.pkl":
            z.writestr(first, b"3")
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/version", b"3\n")


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, mtime=0)


@pytest.mark.usefixtures("_isolated")
def test_a_pickle_under_any_name_is_inventoried_by_its_content(tmp_path: Path) -> None:
    import pickle

    from tests.helpers import OsSystem

    proj = tmp_path / "proj"
    _safetensors(proj / "model" / "model.safetensors")
    evil = pickle.dumps(OsSystem(), protocol=4)
    (proj / "out").mkdir(parents=True)
    (proj / "out" / "classifier").write_bytes(evil)  # no extension
    (proj / "out" / "features.dat").write_bytes(pickle.dumps(OsSystem(), protocol=0))  # protocol 0: text
    (proj / "out" / "w2v.model.gz").write_bytes(_gzip(evil))  # gensim decompresses by the name, joblib by magic
    (proj / "out" / "state.lzma").write_bytes(__import__("lzma").compress(evil))
    _torch_zip(proj / "out" / "checkpoint_best", evil)  # torch.load reads any PK\x03\x04 file as its archive
    _torch_zip(proj / "out" / "last_epoch", evil, first="archive/.format_version")  # data.pkl not the first member
    got = _bom_models(proj)
    for rel in ("out/classifier", "out/features.dat", "out/w2v.model.gz", "out/state.lzma", "out/checkpoint_best",
                "out/last_epoch"):
        assert got.get(f"model:{rel}") == "unsafe", (rel, got)


@pytest.mark.usefixtures("_isolated")
def test_an_object_array_under_any_name_is_inventoried(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    proj = tmp_path / "proj"
    _safetensors(proj / "model" / "model.safetensors")
    with open(proj / "arr.bin2", "wb") as fh:
        np.save(fh, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with open(proj / "plain.bin2", "wb") as fh:
        np.save(fh, np.zeros(4))
    got = _bom_models(proj)
    assert "model:arr.bin2" in got and "model:plain.bin2" not in got, got


@pytest.mark.usefixtures("_isolated")
def test_content_that_only_starts_like_opcodes_is_no_weight(tmp_path: Path) -> None:
    import io
    import tarfile
    import zipfile

    proj = tmp_path / "proj"
    _safetensors(proj / "model" / "model.safetensors")
    texts = {
        "LICENSE": "The MIT License\n\nPermission is hereby granted, free of charge, " * 30,  # T: BINSTRING
        "AUTHORS.md": "This is a (possibly incomplete) list of all the contributors\n" * 80,
        "RECORD": "cryptography/__init__.py,sha256=abc,123\n" * 120,  # c: GLOBAL of an odd module
        "import_it.py": "import os\nimport sys\n\nprint(sys.argv)\n",  # i: INST
        "notes.txt": "N.B. nothing here\n",
        "data.csv": "S,T,U\n1,2,3\n" * 400,
        "kernel.fits": "SIMPLE  =                    T / conforms to FITS standard" + " " * 2830 + "END" + " " * 77,
        "package.json": '{"name": "x", "version": "1.0.0"}\n',
    }
    for name, text in texts.items():
        (proj / "misc" / name).parent.mkdir(parents=True, exist_ok=True)
        (proj / "misc" / name).write_text(text)
    (proj / "misc" / "log.txt.gz").write_bytes(_gzip(b"2024-01-01 started\n" * 500))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:  # a .tar.gz is an archive, not a weight
        info = tarfile.TarInfo("payload.p")
        info.size = len(_P2)
        tf.addfile(info, io.BytesIO(_P2))
    (proj / "misc" / "release.tgz").write_bytes(buf.getvalue())
    with zipfile.ZipFile(proj / "misc" / "assets.zip", "w") as z:
        z.writestr("readme.txt", "hello")
    (proj / "misc" / "tokenizer.model").write_bytes(b"\n\x0e\n\x05<unk>\x15\x00\x00\x00\x00\x18\x02")  # protobuf
    (proj / "misc" / "image.gif").write_bytes(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9"
                                               b"\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02"
                                               b"\x02D\x01\x00;")
    (proj / "misc" / "lone_none").write_bytes(b"N.")  # raw bytes reading as a pickle naming no callable
    got = _bom_models(proj)
    assert got == {"model:model": "safe"}, got


@pytest.mark.usefixtures("_isolated")
def test_a_venvs_package_data_is_not_swept_by_content_an_unlisted_pickle_is(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    _safetensors(proj / "model" / "model.safetensors")
    (proj / ".venv").mkdir(parents=True)
    (proj / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.2\n")
    site = proj / ".venv" / "lib" / "python3.11" / "site-packages"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg" / "table.dat").write_bytes(_P2)
    meta = site / "pkg-1.0.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n")
    (meta / "RECORD").write_text("pkg/table.dat,,\npkg-1.0.dist-info/METADATA,,\npkg-1.0.dist-info/RECORD,,\n")
    assert "model:.venv/lib/python3.11/site-packages/pkg/table.dat" not in _bom_models(proj)
    (site / "pkg" / "extra.dat").write_bytes(_P2)  # put there: no RECORD lists it
    assert _bom_models(proj).get("model:.venv/lib/python3.11/site-packages/pkg/extra.dat") == "unsafe"


def test_the_content_sweep_of_many_text_files_is_fast(tmp_path: Path) -> None:
    """Every file no name claims is read for its first 4 KiB; text starting with opcode letters
    (``import``, ``class``, ``The``) is walked by the pickle reader from that head only."""
    import time

    from mlbom.collectors.models import stray_weights

    starts = ["import os\n", "class A:\n    pass\n", "The end\n", "const x = require('y');\n", "plain\n"]
    for i in range(2000):
        d = tmp_path / f"node_modules/pkg{i // 100}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.js").write_text(starts[i % len(starts)] * 20)
    evil = tmp_path / "node_modules" / "pkg3" / "cache.bin2"
    evil.write_bytes(_P2)
    start = time.perf_counter()
    found = stray_weights(tmp_path, set(), [])
    assert found == [evil]
    assert time.perf_counter() - start < 5.0


@pytest.mark.usefixtures("_isolated")
def test_a_legacy_torch_tar_and_an_object_npz_under_any_name_are_inventoried(tmp_path: Path) -> None:
    import io
    import pickle
    import tarfile
    import zipfile

    from tests.helpers import OsSystem

    proj = tmp_path / "proj"
    _safetensors(proj / "model" / "model.safetensors")

    def tar(path: Path, members: dict[str, bytes]) -> None:
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))

    # torch.load tries any non-zip file as its legacy tar: storages, tensors, then `pickle` unpickled
    empty = pickle.dumps(0, protocol=2)
    tar(proj / "legacy_ckpt", {"sys_info": empty, "storages": empty, "tensors": empty,
                               "pickle": pickle.dumps(OsSystem(), protocol=2)})
    tar(proj / "docs_bundle", {"README": b"hello\n", "notes/pickle-howto.txt": b"text\n"})
    with zipfile.ZipFile(proj / "arrays", "w") as z:  # an .npz under another name
        z.writestr("a.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
                   .ljust(128 - 10 + 10, b" ")[:127] + b"\n" + pickle.dumps(OsSystem(), protocol=2))
    got = _bom_models(proj)
    assert got.get("model:legacy_ckpt") == "unsafe", got
    assert "model:docs_bundle" not in got, got
    assert got.get("model:arrays") in ("unsafe", "suspicious", "error"), got
