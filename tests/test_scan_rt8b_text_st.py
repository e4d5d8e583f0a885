"""Red team 8b I and S: text a loader reads whatever its first bytes (an ASCII image signature, a
tar header block of printable text) is judged as text too; sentence-transformers' class references
(``modules.json`` ``type``, Router ``types``, ``tokenizer_class``, activation paths) and ``auto_map``
at any depth are code references (the attack files are ``rt8b-*`` rows of
``hostile/scanner/EXPECTED.tsv``)."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

from mlbom.scanner import scan, scan_bytes, scan_file
from tests.conftest import FIXTURES

TAG = b"x: !!python/object/apply:os.system ['true']\n"


def _ids(data: bytes, name: str) -> tuple[str, set[str]]:
    r = scan_bytes(data, name)
    return r.verdict, {f.id for f in r.findings}


def test_image_signatures_do_not_hide_yaml_tags() -> None:
    for sig in (b"BM", b"GIF89a", b"GIF87a", b"RIFFxxxxWEBP"):
        for name in ("hparams.yaml", "notes.dat"):
            verdict, ids = _ids(sig + TAG, name)
            assert verdict == "suspicious" and {"yaml.python-tag", "text.polyglot"} <= ids, (sig, name, ids)


def test_an_image_that_is_all_text_is_not_safe_by_signature() -> None:
    verdict, ids = _ids(b"GIF89a hello world\n", "picture.gif")
    assert verdict == "suspicious" and "text.polyglot" in ids


def test_a_real_image_stays_an_image() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256))
    bmp = b"BM" + (70).to_bytes(4, "little") + bytes(64)
    for data in (png, bmp):
        r = scan_bytes(data, "hparams.yaml")  # a text name over bytes no text reader decodes: they raise
        assert (r.format, r.verdict) == ("image", "safe"), r.findings


def test_a_text_prefix_before_binary_is_checked_for_yaml_tags() -> None:
    # PyYAML's streaming reader builds the first documents before it meets a byte it cannot decode
    data = b"BM: !!python/object/apply:os.system ['true']\n...\n" + b"#" * 70000 + b"\xff\xfe\x00" * 10
    verdict, ids = _ids(data, "x.yaml")
    assert verdict == "suspicious" and "yaml.python-tag" in ids


def test_protocol0_pickles_are_text_by_design() -> None:
    data = pickle.dumps({"a": [1, 2.5, "s"]}, protocol=0)
    assert scan_bytes(data, "model.pkl").verdict == "safe"
    verdict, ids = _ids(data, "hparams.yaml")  # the name says a YAML reader reads it: two readers
    assert verdict == "suspicious" and "text.polyglot" in ids


def test_text_members_of_archives_are_read_as_text_too() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hparams.yaml", b"BM" + TAG)
    verdict, ids = _ids(buf.getvalue(), "bundle.zip")
    assert verdict == "suspicious" and "yaml.python-tag" in ids


def test_tar_header_text_is_judged_as_text(tmp_path: Path) -> None:
    # the red team's attack files, renamed: the finding follows the content, not the name
    hostile = FIXTURES / "hostile" / "scanner"
    r = scan_file(hostile / "rt8b-keras-model-tar-header.json")
    assert r.format == "tar" and r.verdict == "unsafe"
    other = tmp_path / "notes.bin"
    other.write_bytes((hostile / "rt8b-hparams-tar-header.yaml").read_bytes())
    ids = {f.id for f in scan_file(other).findings}
    assert {"yaml.python-tag", "text.polyglot"} <= ids


def _json(folder: Path, name: str, doc: object) -> Path:
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(doc))
    return p


def test_sentence_transformers_save_is_safe() -> None:
    results = {Path(r.path).relative_to(FIXTURES / "scan" / "st-benign").as_posix(): r
               for r in scan(FIXTURES / "scan" / "st-benign")}
    assert len(results) == 8
    assert all(r.verdict == "safe" for r in results.values()), {k: r.findings for k, r in results.items()}


def test_modules_json_class_references(tmp_path: Path) -> None:
    def ids(ref: str, where: Path) -> set[str]:
        return {f.id for f in scan_file(_json(where, "modules.json", [{"idx": 0, "name": "0", "path": "",
                                                                        "type": ref}])).findings}

    for ref in ("attacker/repo--custom_mod.MyModule", "custom_mod.MyModule", "pylate.models.Dense.Dense",
                "os.path.Thing", "sentence_transformers--x.Y"):
        assert "code.remote" in ids(ref, tmp_path / "a"), ref
    for ref in ("sentence_transformers.models.Pooling", "sentence_transformers.base.modules.dense.Dense",
                "Pooling"):
        assert "code.remote" not in ids(ref, tmp_path / "b"), ref
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "custom_mod.py").write_text("X = 1\n")
    # a scan of modules.json alone never judged the module beside it (red team 12b-6)
    assert "code.remote" in ids("custom_mod.MyModule", tmp_path / "c")
    # a scan of the folder did (the module is suspicious there, as Python source)
    got = {Path(r.path).name: r for r in scan(tmp_path / "c")}
    assert "code.remote" not in {f.id for f in got["modules.json"].findings}
    assert got["custom_mod.py"].verdict == "suspicious"


def test_other_sentence_transformers_code_references(tmp_path: Path) -> None:
    bad = [
        ("router_config.json", {"types": {"query_0_Dense": "evil_pkg.mod.Router"}, "structure": {}}),
        ("wordembedding_config.json", {"tokenizer_class": "other--tok.WhitespaceTokenizer"}),
        ("config.json", {"in_features": 2, "activation_function": "os.getpid"}),
        ("config.json", {"architectures": ["BertForSequenceClassification"],
                         "sentence_transformers": {"activation_fn": "builtins.breakpoint"}}),
        ("config.json", {"sbert_ce_default_activation_function": "subprocess.Popen"}),
        ("config.json", {"text_config": {"auto_map": {"AutoConfig": "attacker/x--configuration_x.XConfig"}}}),
    ]
    for i, (name, doc) in enumerate(bad):
        r = scan_file(_json(tmp_path / f"bad{i}", name, doc))
        # a deny-listed dotted string is unsafe in any config (red team 18b-1: a jsonargparse Callable imports it)
        denied = any(p in json.dumps(doc) for p in ("os.getpid", "builtins.breakpoint", "subprocess.Popen"))
        assert r.verdict == ("unsafe" if denied else "suspicious") and "code.remote" in {f.id for f in r.findings}, \
            (name, doc)
    good = [
        ("router_config.json", {"types": {"q": "sentence_transformers.base.modules.dense.Dense"}}),
        ("wordembedding_config.json",
         {"tokenizer_class": "sentence_transformers.models.tokenizer.WhitespaceTokenizer.WhitespaceTokenizer"}),
        ("config.json", {"activation_function": "torch.nn.modules.activation.Tanh"}),
        ("config.json", {"model_type": "gpt2", "activation_function": "gelu_new"}),
        ("config.json", {"sentence_transformers": {"activation_fn": "torch.nn.modules.activation.Sigmoid"}}),
        ("tokenizer_config.json", {"tokenizer_class": "BertTokenizer", "model_type": "bert"}),
    ]
    for i, (name, doc) in enumerate(good):
        r = scan_file(_json(tmp_path / f"good{i}", name, doc))
        assert r.verdict == "safe", (name, doc, r.findings)
